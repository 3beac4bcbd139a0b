"""decompress decoding RLE straight into the Pixel Data value (no copy) and compress
encapsulating the frames into one preallocated value, freeing each frame as it is
copied: the values against pydicom's (``Dataset.decompress`` with pylibjpeg-rle or its
own decoder, ``pydicom.encaps.encapsulate*``), and the single-pass paths actually taken."""
from __future__ import annotations

import weakref
from io import BytesIO

import numpy as np
import pydicom
import pydicom.encaps
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset

import dcmfast
from dcmfast._core import bytesout
from dcmfast.errors import PixelDataError
from dcmfast.pixels import encaps

RLE = "1.2.840.10008.1.2.5"


def _pydicom_decompressed(data: bytes) -> Dataset:
    ds = pydicom.dcmread(BytesIO(data))
    ds.decompress(generate_instance_uid=False)
    return ds


def _no_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if decompress copies the decoded array into a new bytes object."""
    def refuse(*_args: object) -> bytes:
        raise AssertionError("decompress copied the decoded frames")

    monkeypatch.setattr(bytesout, "to_bytes", refuse)


def _native_file(arr: np.ndarray, *, photometric: str = "MONOCHROME2", bits_stored: int | None = None,
                 signed: bool = False) -> bytes:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = "1.2.3.4.5"
    frames = arr.shape[0] if arr.ndim == 4 or (arr.ndim == 3 and arr.shape[-1] != 3) else 1
    colour = arr.shape[-1] == 3 and arr.ndim >= 3 and photometric != "MONOCHROME2"
    ds.Rows, ds.Columns = (arr.shape[1], arr.shape[2]) if frames > 1 else arr.shape[:2]
    ds.SamplesPerPixel = 3 if colour else 1
    if colour:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    bits = arr.dtype.itemsize * 8
    ds.BitsAllocated, ds.BitsStored = bits, bits_stored or bits
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = arr.tobytes() + (b"\0" if arr.nbytes % 2 else b"")
    out = BytesIO()
    pydicom.dcmwrite(out, ds, enforce_file_format=True)
    return out.getvalue()


def _rle_file(native: bytes) -> bytes:
    ds = dcmfast.dcmread(native)
    ds.compress(RLE, generate_instance_uid=False)
    return dcmfast.dcmwrite_bytes(ds)


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "emri_small_RLE.dcm", "SC_rgb_rle.dcm",
                                  "SC_rgb_rle_16bit.dcm", "SC_rgb_rle_32bit.dcm",
                                  "OBXXXX1A_rle.dcm", "rtdose_rle.dcm"])
def test_corpus_rle_decoded_into_the_value(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = get_testdata_file(name)
    with open(path, "rb") as f:
        data = f.read()
    ref = _pydicom_decompressed(data)
    _no_copy(monkeypatch)
    ds = dcmfast.dcmread(data)
    ds.decompress(generate_instance_uid=False)
    assert type(ds.PixelData) is bytes
    assert ds.PixelData == ref.PixelData
    assert ds["PixelData"].VR == ref["PixelData"].VR
    assert ds.PhotometricInterpretation == ref.PhotometricInterpretation
    assert ds.file_meta.TransferSyntaxUID == ref.file_meta.TransferSyntaxUID
    assert np.array_equal(ds.pixel_array, ref.pixel_array)


@pytest.mark.parametrize("shape,dtype,bits_stored,signed", [
    ((3, 5), np.uint8, None, False),             # odd length: one pad byte
    ((4, 3, 5), np.uint8, 6, False),             # frames, odd length, unused bits set
    ((7, 9), np.int16, 12, True),                # sign extended from bit 11
    ((2, 3, 3, 3), np.uint8, None, False),       # RGB frames
])
def test_built_rle_decoded_into_the_value(shape: tuple[int, ...], dtype: type, bits_stored: int | None,
                                          signed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    info = np.iinfo(dtype)
    arr = rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    arr[..., :2] = arr[..., :1]  # a few runs
    photometric = "RGB" if shape[-1] == 3 and len(shape) == 4 else "MONOCHROME2"
    data = _rle_file(_native_file(arr, photometric=photometric, bits_stored=bits_stored,
                                  signed=signed))
    ref = _pydicom_decompressed(data)
    _no_copy(monkeypatch)
    ds = dcmfast.dcmread(data)
    ds.decompress(generate_instance_uid=False)
    assert len(ds.PixelData) % 2 == 0
    assert ds.PixelData == ref.PixelData
    assert np.array_equal(ds.pixel_array, ref.pixel_array)


def test_ybr_converted_in_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """YBR_FULL RLE: decoded into the value, converted to RGB there (as_rgb)."""
    from pydicom.pixels import convert_color_space

    rgb = pydicom.dcmread(get_testdata_file("SC_rgb.dcm")).pixel_array
    ybr = convert_color_space(rgb, "RGB", "YBR_FULL")
    data = _rle_file(_native_file(ybr, photometric="YBR_FULL"))
    ref = _pydicom_decompressed(data)
    assert ref.PhotometricInterpretation == "RGB"
    _no_copy(monkeypatch)
    ds = dcmfast.dcmread(data)
    ds.decompress(generate_instance_uid=False)
    assert ds.PhotometricInterpretation == "RGB"
    assert ds.PixelData == ref.PixelData


def test_big_multiframe_on_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Enough frames for the thread pool: each worker decodes into the value."""
    ct = pydicom.dcmread(get_testdata_file("CT_small.dcm")).pixel_array
    arr = np.stack([np.roll(np.tile(ct, (2, 2)), 3 * i, axis=1) for i in range(12)])
    data = _rle_file(_native_file(arr, signed=True, bits_stored=16))
    ref = _pydicom_decompressed(data)
    _no_copy(monkeypatch)
    for threads in (1, 2):
        ds = dcmfast.dcmread(data)
        ds.decompress(generate_instance_uid=False, threads=threads)
        assert ds.PixelData == ref.PixelData


def test_malformed_rle_leaves_the_dataset(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray(_rle_file(_native_file(np.arange(64, dtype=np.uint8).reshape(8, 8))))
    ds = dcmfast.dcmread(bytes(data))
    value = bytearray(ds.PixelData)
    value[-20:] = b"\0" * 20  # the last runs cut: the segment decodes short
    ds.PixelData = bytes(value)
    before = ds.PixelData
    with pytest.raises(PixelDataError):
        ds.decompress()
    assert ds.PixelData == before and ds.file_meta.TransferSyntaxUID == RLE


def test_bytes_builder() -> None:
    b = bytesout.BytesBuilder(5, True)
    view = np.frombuffer(b, dtype=np.uint8)
    assert view.flags.writeable and view.size == 5 and len(b) == 5
    view[:] = [1, 2, 3, 4, 5]
    assert b.value == b"\x01\x02\x03\x04\x05\x00"
    assert bytesout.BytesBuilder(4, True).value.__len__() == 4
    assert bytesout.BytesBuilder(0).value == b""
    with pytest.raises(ValueError):
        bytesout.BytesBuilder(-1)


@pytest.mark.parametrize("sizes", [[10, 7, 1], [3], [2, 2, 2, 2]])
def test_encapsulate_frames_is_pydicom(sizes: list[int]) -> None:
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in sizes]
    assert encaps.encapsulate_frames(list(frames)) == pydicom.encaps.encapsulate(frames)
    got = encaps.encapsulate_frames(list(frames), extended=True)
    assert got == pydicom.encaps.encapsulate_extended(frames)
    for n in (1, 2):
        if all(s >= 2 * n for s in sizes):
            assert encaps.encapsulate(frames, n) == pydicom.encaps.encapsulate(frames, n)
            assert encaps.encapsulate(frames, n, has_bot=False) == \
                pydicom.encaps.encapsulate(frames, n, has_bot=False)


def test_encapsulate_frames_frees_each_frame() -> None:
    """Each frame is dropped from the list once copied: with no other holder it is freed
    (an ndarray, which can be weakly referenced, stands for the encoder's bytes)."""
    frames = [np.full(9, k, dtype=np.uint8) for k in range(4)]
    refs = [weakref.ref(f) for f in frames]
    expected = pydicom.encaps.encapsulate([f.tobytes() for f in frames])
    copy = list(frames)
    del frames
    freed: list[list[bool]] = []

    class Watch(list):  # the state of the frames at each copy
        def __setitem__(self, i: object, v: object) -> None:
            super().__setitem__(i, v)  # type: ignore[index]
            freed.append([r() is None for r in refs])

    watched = Watch(copy)
    del copy
    assert encaps.encapsulate_frames(watched) == expected
    assert watched == [None] * 4
    assert freed[0] == [True, False, False, False]  # frame 0 gone before frame 1 is copied
    assert all(r() is None for r in refs)


def test_encapsulate_keeps_the_callers_frames() -> None:
    frames = [b"abcd", b"efg"]
    encaps.encapsulate(frames)
    encaps.encapsulate_extended(frames)
    assert frames == [b"abcd", b"efg"]


def test_compress_value_is_pydicom_encapsulation() -> None:
    """compress's value: pydicom's encapsulation of the frames dcmfast encodes."""
    from dcmfast.pixels import rle_encode

    native = get_testdata_file("emri_small.dcm")
    ds = dcmfast.dcmread(native)
    frames = rle_encode(ds.pixel_array)
    ds.compress(RLE, generate_instance_uid=False)
    assert ds.PixelData == pydicom.encaps.encapsulate(frames)
    ds = dcmfast.dcmread(native)
    ds.compress(RLE, generate_instance_uid=False, encapsulate_ext=True)
    value, eot, lengths = pydicom.encaps.encapsulate_extended(frames)
    assert ds.PixelData == value
    assert ds.ExtendedOffsetTable == eot and ds.ExtendedOffsetTableLengths == lengths


def test_trim_heap_and_encoded_frames_after_release() -> None:
    """The encoder gives back the pages past each frame's encoded length: the frames
    are still exactly what pydicom decodes (the released pages were never part of them)."""
    assert bytesout.trim_heap() in (True, False)
    ds = pydicom.dcmread(get_testdata_file("emri_small.dcm"))
    arr = ds.pixel_array
    fast = dcmfast.dcmread(get_testdata_file("emri_small.dcm"))
    fast.compress(RLE, generate_instance_uid=False)
    ref = pydicom.dcmread(BytesIO(dcmfast.dcmwrite_bytes(fast)))
    assert np.array_equal(ref.pixel_array, arr)
