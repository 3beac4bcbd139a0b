"""RLE Lossless: offset tables, threads, malformed input and the pydicom plugin."""
from __future__ import annotations

import copy
import struct

import numpy as np
import pytest
from pydicom.encaps import encapsulate, encapsulate_extended, generate_frames  # noqa: E402

from dcmfast._core import rle as core_rle
from dcmfast.errors import DcmfastError, PixelDataError
from dcmfast.pixels import pixel_array

from .conftest import (
    RLE,
    RLE_PLUGIN,
    assert_same,
    corpus_files,
    decodable,
    make_dataset,
    pydicom,
    pydicom_pixel_array,
    read,
)

RLE_FILES = [p for p in corpus_files() if decodable(p) and read(p).file_meta.TransferSyntaxUID == RLE]


def _encode(arr: np.ndarray, **kw) -> tuple[pydicom.Dataset, list[bytes]]:
    """An RLE dataset of `arr` (frames, rows, columns[, samples]) and its encoded frames."""
    frames, rows, columns = arr.shape[:3]
    samples = arr.shape[3] if arr.ndim == 4 else 1
    ds = make_dataset(arr.tobytes(), rows=rows, columns=columns, samples=samples,
                      bits_allocated=arr.dtype.itemsize * 8, signed=int(arr.dtype.kind == "i"),
                      frames=frames, **kw)
    ds.compress(RLE, arr, encoding_plugin=RLE_PLUGIN, generate_instance_uid=False)
    return ds, list(generate_frames(ds.PixelData, number_of_frames=frames))


@pytest.fixture(scope="module")
def synthetic(rng):
    arr = rng.integers(-2048, 2048, (6, 24, 40), dtype=np.int16)
    arr[:, :8] = 7  # runs, so replicate runs are exercised too
    ds, frames = _encode(arr, bits_stored=12)
    return arr, ds, frames


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(7)


def _with_frames(ds, frames, *, bot=False, extended=False, fragments=1):
    ds = copy.deepcopy(ds)
    if extended:
        data, offsets, lengths = encapsulate_extended(frames)
        ds.PixelData = data
        ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = offsets, lengths
    else:
        ds.PixelData = encapsulate(frames, fragments_per_frame=fragments, has_bot=bot)
    ds["PixelData"].is_undefined_length = True
    return ds


@pytest.mark.parametrize("layout", [{}, {"bot": True}, {"extended": True},
                                    {"bot": True, "fragments": 3}])
def test_frame_location(synthetic, layout):
    arr, ds, frames = synthetic
    # pydicom 3.0 mis-groups fragments when a Basic Offset Table points at frames of
    # several fragments, so its result for the one-fragment layout is the oracle
    ref = pydicom_pixel_array(ds)
    assert np.array_equal(ref, arr)
    ds = _with_frames(ds, frames, **layout)
    assert_same(pixel_array(ds), ref)
    for index in (0, 5):
        assert_same(pixel_array(ds, index=index), ref[index])


@pytest.mark.parametrize("dtype,samples", [("u1", 3), ("u2", 3), ("i2", 1), ("u1", 1)])
def test_sample_layouts(rng, dtype, samples):
    shape = (3, 16, 20) + ((samples,) if samples > 1 else ())
    info = np.iinfo(dtype)
    arr = rng.integers(max(info.min, -(2**30)), min(info.max, 2**30), shape, dtype=dtype)
    ds, _ = _encode(arr)
    assert_same(pixel_array(ds), pydicom_pixel_array(ds))
    assert_same(pixel_array(ds, index=2), pydicom_pixel_array(ds, index=2))


def test_threads_agree(synthetic):
    _, ds, _ = synthetic
    one = pixel_array(ds, threads=1)
    for threads in (2, 3, 16, None):
        np.testing.assert_array_equal(pixel_array(ds, threads=threads), one)
    with pytest.raises(ValueError):
        pixel_array(ds, threads=0)


def _header(n, offsets):
    return struct.pack("<16I", n, *offsets, *([0] * (15 - len(offsets))))


SEGMENT = bytes([0x81, 5]) * 8  # replicate runs: 8 x 128 bytes


@pytest.mark.parametrize("frame,match", [
    (_header(0, []) + SEGMENT, "declares 0 segments"),
    (struct.pack("<I", 16) + b"\0" * 60 + SEGMENT, "declares 16 segments"),
    (_header(2, [64, 80]) + SEGMENT, "need 1"),
    (_header(1, [32]) + SEGMENT, "offset 32 is invalid"),
    (_header(1, [64 + len(SEGMENT)]) + SEGMENT, "is invalid"),
    (_header(1, [10**9]) + SEGMENT, "is invalid"),
    (_header(1, [64]) + SEGMENT[:6], "decoded to 384 bytes, 1024 expected"),
    (_header(1, [64])[:40], "too short"),
])
def test_malformed_frames_raise(frame, match):
    out = bytearray(32 * 32)
    with pytest.raises(PixelDataError, match=match) as info:
        core_rle.decode_frame(frame, 32, 32, 1, 8, out, frame_index=3)
    assert "frame 3" in str(info.value)


def test_decreasing_offsets_raise():
    frame = _header(3, [64, 200, 100]) + SEGMENT * 20
    with pytest.raises(PixelDataError, match="segment 2 offset 100 is invalid.*byte offset 12"):
        core_rle.decode_frame(frame, 32, 32, 3, 8, bytearray(32 * 32 * 3))


def test_long_segments_are_cut(caplog):
    frame = _header(1, [64]) + SEGMENT * 2
    out = bytearray(32 * 32)
    assert core_rle.decode_frame(frame, 32, 32, 1, 8, out) == 1
    assert out == bytes([5]) * 1024


def test_malformed_frame_through_pixel_array(synthetic):
    _, ds, frames = synthetic
    bad = list(frames)
    bad[4] = struct.pack("<I", 0) + bad[4][4:]
    with pytest.raises(PixelDataError, match=r"frame 4.*byte offset \d+"):
        pixel_array(_with_frames(ds, bad))
    # the other frames still decode on their own
    pixel_array(_with_frames(ds, bad), index=3)


def test_truncated_fragment_raises(synthetic):
    _, ds, frames = synthetic
    ds = _with_frames(ds, frames)
    ds.PixelData = ds.PixelData[:-100]
    with pytest.raises(PixelDataError, match="truncated"):
        pixel_array(ds)


@pytest.mark.parametrize("change,match", [
    ({"Rows": 65535, "Columns": 65535}, "cannot hold"),
    ({"NumberOfFrames": 10**9}, "only 6 fragments"),
    ({"BitsAllocated": 64, "BitsStored": 64}, "segments|cannot hold"),
])
def test_absurd_sizes_raise_before_allocating(synthetic, change, match):
    _, ds, frames = synthetic
    ds = _with_frames(ds, frames)
    for keyword, value in change.items():
        setattr(ds, keyword, value)
    with pytest.raises(PixelDataError, match=match):
        pixel_array(ds)


def test_mutated_frames_never_crash(synthetic):
    """Random byte flips in headers and data: decoded or a DcmfastError, nothing else."""
    _, ds, frames = synthetic
    rng = np.random.default_rng(1)
    frame = bytearray(frames[0])
    out = bytearray(24 * 40 * 2)
    for _ in range(400):
        mutated = bytearray(frame)
        for pos in rng.integers(0, 72 if rng.random() < 0.7 else len(frame), rng.integers(1, 4)):
            mutated[pos] = rng.integers(0, 256)
        cut = len(mutated) if rng.random() < 0.8 else int(rng.integers(0, len(mutated)))
        try:
            core_rle.decode_frame(bytes(mutated[:cut]), 24, 40, 1, 16, out)
        except DcmfastError:
            pass


@pytest.fixture
def plugin():
    from pydicom.pixels.decoders.base import RLELosslessDecoder

    from dcmfast.pydicom_plugin import register_pydicom

    saved = dict(RLELosslessDecoder._available)
    yield register_pydicom, RLELosslessDecoder
    RLELosslessDecoder._available.clear()
    RLELosslessDecoder._available.update(saved)


@pytest.mark.parametrize("path", RLE_FILES, ids=lambda p: p.name)
def test_pydicom_plugin_matches(plugin, path):
    register, _ = plugin
    register()
    ds = read(path)
    ref = pydicom_pixel_array(ds, decoding_plugin=RLE_PLUGIN)
    assert_same(pydicom_pixel_array(ds, decoding_plugin="dcmfast"), ref)
    ds = pydicom.dcmread(path)
    ds.pixel_array_options(decoding_plugin="dcmfast")
    assert_same(ds.pixel_array, ref)


def test_pydicom_plugin_order(plugin):
    register, decoder = plugin
    others = [name for name in decoder._available if name != "dcmfast"]
    register()
    assert list(decoder._available)[-1] == "dcmfast"
    register(prefer=True)
    assert list(decoder._available)[0] == "dcmfast"
    register()
    assert list(decoder._available)[-1] == "dcmfast"
    assert list(decoder._available) == [*others, "dcmfast"]
