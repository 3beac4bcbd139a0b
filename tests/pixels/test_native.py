"""Native pixel data: synthetic datasets checked against pydicom, and zero-copy views."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from dcmfast.errors import DcmfastError, PixelDataError
from dcmfast.pixels import iter_pixels, pixel_array

from .conftest import EXPLICIT_BE, EXPLICIT_LE, assert_same, make_dataset, pydicom_pixel_array


def _random(rng, n: int, itemsize: int) -> bytes:
    return rng.integers(0, 256, n * itemsize, dtype=np.uint8).tobytes()


def _check(ds, **kw):
    ref = pydicom_pixel_array(ds, **kw)
    assert_same(pixel_array(ds, **kw), ref)
    return ref


@pytest.mark.parametrize("tsyntax", [EXPLICIT_LE, EXPLICIT_BE])
@pytest.mark.parametrize("bits_allocated,bits_stored", [(8, 8), (8, 5), (16, 16), (16, 12), (32, 32),
                                                        (32, 20), (64, 64), (64, 40)])
@pytest.mark.parametrize("signed", [0, 1])
@pytest.mark.parametrize("samples,planar,frames", [(1, 0, None), (1, 0, 3), (3, 0, 2), (3, 1, 1), (3, 1, 3)])
def test_integer_layouts(rng, tsyntax, bits_allocated, bits_stored, signed, samples, planar, frames):
    """Random bytes (so unused high bits are garbage, exercising pydicom's correction)."""
    n = 4 * 5 * samples * (frames or 1)
    ds = make_dataset(_random(rng, n, bits_allocated // 8), tsyntax=tsyntax, samples=samples,
                      planar=planar, frames=frames, bits_allocated=bits_allocated,
                      bits_stored=bits_stored, signed=signed)
    _check(ds)
    for index in range(frames or 1):
        _check(ds, index=index)


@pytest.mark.parametrize("tsyntax", [EXPLICIT_LE, EXPLICIT_BE])
@pytest.mark.parametrize("keyword,bits", [("FloatPixelData", 32), ("DoubleFloatPixelData", 64)])
@pytest.mark.parametrize("frames", [None, 3])
def test_float_pixel_data(rng, tsyntax, keyword, bits, frames):
    values = rng.normal(size=4 * 5 * (frames or 1)).astype(f"<f{bits // 8}")
    data = values.tobytes() if tsyntax == EXPLICIT_LE else values.byteswap().tobytes()
    ds = make_dataset(data, tsyntax=tsyntax, bits_allocated=bits, keyword=keyword, frames=frames)
    _check(ds)
    _check(ds, index=(frames or 1) - 1)


@pytest.mark.parametrize("tsyntax", [EXPLICIT_LE, EXPLICIT_BE])
@pytest.mark.parametrize("rows,columns,frames", [(3, 3, 5), (4, 4, 3), (1, 7, 9), (5, 5, None)])
def test_one_bit(rng, tsyntax, rows, columns, frames):
    """Bit-packed frames that do not end on a byte boundary."""
    nbits = rows * columns * (frames or 1)
    nbytes = (nbits + 7) // 8
    ds = make_dataset(_random(rng, nbytes + nbytes % 2, 1), tsyntax=tsyntax, rows=rows,
                      columns=columns, bits_allocated=1, frames=frames)
    ref = _check(ds)
    # pydicom 3.0 reads one byte too few for some frames that straddle bytes: compare
    # single frames with its whole-array result instead
    for index in range(frames or 1):
        assert_same(pixel_array(ds, index=index), ref[index] if frames else ref)


@pytest.mark.parametrize("columns", [4, 6])
@pytest.mark.parametrize("frames", [None, 2])
def test_ybr_full_422(rng, columns, frames):
    n = 2 * columns * 2 * (frames or 1)
    ds = make_dataset(_random(rng, n, 1), rows=2, columns=columns, samples=3, bits_allocated=8,
                      photometric="YBR_FULL_422", frames=frames)
    _check(ds)
    _check(ds, raw=True)
    _check(ds, index=(frames or 1) - 1)


def test_big_endian_8bit_ow_odd_frames(rng):
    """8-bit data written as big-endian OW: byte pairs swapped, frames of odd length."""
    data = _random(rng, 3 * 3 * 3 * 3 + 1, 1)
    ds = make_dataset(data, tsyntax=EXPLICIT_BE, rows=3, columns=3, samples=3, bits_allocated=8,
                      frames=3, vr="OW")
    _check(ds)
    for index in range(3):
        _check(ds, index=index)


def test_little_endian_is_a_view(rng):
    data = bytearray(_random(rng, 4 * 5 * 64, 2))
    ds = make_dataset(bytes(data), frames=64)
    arr = pixel_array(ds)
    assert np.shares_memory(arr, np.frombuffer(ds.PixelData, np.uint8))
    assert not arr.flags.writeable  # bytes are immutable
    frame = pixel_array(ds, index=10)
    assert np.shares_memory(frame, np.frombuffer(ds.PixelData, np.uint8))
    assert all(np.shares_memory(f, arr) for f in iter_pixels(ds, indices=[0, 63]))


class RawViewDataset:
    """The dcmfast Dataset protocol: pydicom's attribute API plus ``_raw_value_view``
    returning a view on a (here writable) file buffer."""

    def __init__(self, ds, buffers):
        self._ds, self._buffers = ds, buffers

    def __getattr__(self, name):
        return getattr(self._ds, name)

    def __contains__(self, key):
        return key in self._ds

    def __getitem__(self, key):
        return self._ds[key]

    def _raw_value_view(self, tag):
        return memoryview(self._buffers[tag]) if tag in self._buffers else None


def test_view_of_bytearray_is_read_only(rng):
    # zero-copy, but an edit cannot reach the buffer (the dataset's or the caller's)
    data = bytearray(_random(rng, 4 * 5, 2))
    ds = RawViewDataset(make_dataset(bytes(data)), {0x7FE00010: data})
    arr = pixel_array(ds)
    assert not arr.flags.writeable
    assert np.shares_memory(arr, np.frombuffer(data, np.uint8))
    with pytest.raises(ValueError, match="read-only"):
        arr[0, 0] = 1


def test_unused_bits_keep_the_view_when_clean(rng):
    values = rng.integers(-2048, 2048, 4 * 5, dtype=np.int16)
    ds = make_dataset(values.tobytes(), bits_stored=12, signed=1)
    arr = _check(ds)
    ours = pixel_array(ds)
    assert np.shares_memory(ours, np.frombuffer(ds.PixelData, np.uint8))
    assert np.array_equal(arr, values.reshape(4, 5))
    # garbage in the unused bits: corrected into a copy, the source is untouched
    dirty = (values.view(np.uint16) ^ np.uint16(0x5000)).tobytes()
    ds.PixelData = dirty
    ours = _check(ds)
    assert ds.PixelData == dirty
    assert not np.shares_memory(pixel_array(ds), np.frombuffer(ds.PixelData, np.uint8))
    # opting out keeps the stored values
    raw = pixel_array(ds, correct_unused_bits=False)
    assert np.array_equal(raw.view(np.uint16), np.frombuffer(dirty, "<u2").reshape(4, 5))


def test_ybr_full_conversion_does_not_touch_the_source(rng):
    data = bytearray(_random(rng, 4 * 5 * 3, 1))
    original = bytes(data)
    plain = make_dataset(original, samples=3, bits_allocated=8, photometric="YBR_FULL")
    ds = RawViewDataset(plain, {0x7FE00010: data})
    assert_same(pixel_array(ds), pydicom_pixel_array(plain))
    assert data == original
    assert np.shares_memory(pixel_array(ds, raw=True), np.frombuffer(data, np.uint8))


def test_excess_frames_are_returned(rng, caplog):
    ds = make_dataset(_random(rng, 4 * 5 * 3, 2), frames=2)
    with caplog.at_level(logging.WARNING):
        ref = _check(ds)
    assert ref.shape[0] == 3
    assert pixel_array(ds, allow_excess_frames=False).shape[0] == 2


def test_excess_padding_is_ignored(rng):
    ds = make_dataset(_random(rng, 4 * 5 + 3, 2))
    _check(ds)


def test_missing_bytes_raise(rng):
    ds = make_dataset(_random(rng, 4 * 5 * 2 - 1, 2), frames=2)
    with pytest.raises(PixelDataError, match="less than expected"):
        pixel_array(ds)


@pytest.mark.parametrize("change", [
    {"Rows": 0}, {"Columns": 65536 * 4}, {"NumberOfFrames": 10**9}, {"BitsAllocated": 12},
    {"BitsStored": 17}, {"SamplesPerPixel": 2}, {"PixelRepresentation": 2},
    {"PhotometricInterpretation": "NONSENSE"},
])
def test_invalid_descriptions_raise(rng, change):
    ds = make_dataset(_random(rng, 4 * 5, 2))
    for keyword, value in change.items():
        setattr(ds, keyword, value)
    with pytest.raises(DcmfastError):
        pixel_array(ds)


def test_missing_elements_and_bad_index(rng):
    ds = make_dataset(_random(rng, 4 * 5, 2))
    del ds.BitsStored
    with pytest.raises(PixelDataError, match="bits_stored"):
        pixel_array(ds)
    ds = make_dataset(_random(rng, 4 * 5, 2))
    with pytest.raises(PixelDataError, match="out of range"):
        pixel_array(ds, index=1)
    with pytest.raises(ValueError):
        pixel_array(ds, index=-1)
    with pytest.raises(TypeError, match="Unknown pixel option"):
        pixel_array(ds, no_such_option=True)
