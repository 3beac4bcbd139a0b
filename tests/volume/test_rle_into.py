"""``_core.volume.rle_into``: an RLE frame decoded and converted (unused bits, rescale, the
output type) into a slot chunk by chunk, against pydicom's decoding of the same frame
(``pixel_array``) and ``apply_modality_lut``; and ``read_series`` taking it for rescaled
RLE slices (no scratch frame, no second pass)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import apply_modality_lut

from dcmfast import volume as vol_mod
from dcmfast._core import volume as _cvol
from dcmfast.errors import PixelDataError
from dcmfast.pixels import encapsulate, rle_encode

from .builders import build_series
from .test_pydicom import _check

RLE = "1.2.840.10008.1.2.5"


def _pydicom_rle(frame: bytes, rows: int, columns: int, spp: int, bits: int, stored: int,
                 signed: bool, slope: float | None, intercept: float | None) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = RLE
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, columns, spp
    ds.PhotometricInterpretation = "RGB" if spp == 3 else "MONOCHROME2"
    if spp == 3:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, stored, stored - 1
    ds.PixelRepresentation = int(signed)
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    ds.PixelData = encapsulate([frame])
    ds["PixelData"].VR = "OB"
    return ds


CASES = [
    # stored dtype, bits stored, samples, shape, out dtype, (slope, intercept) or None
    ("int16", 12, 1, (37, 41), "int16", (1.0, -1024.0)),     # same type, in the slot
    ("uint16", 12, 1, (64, 70), "int16", (1.0, -1024.0)),
    ("uint16", 16, 1, (101, 103), "float32", (0.5, -3.25)),  # several chunks, the last short
    ("int16", 16, 1, (9, 11), "float64", (2.5, 1.0)),
    ("uint8", 8, 1, (65, 67), "float32", (0.25, 10.0)),      # one segment
    ("uint8", 6, 1, (13, 17), "int16", None),                 # unused bits cleared
    ("int32", 20, 1, (19, 23), "float64", (1.5, -7.0)),       # four segments
    ("int32", 32, 1, (15, 16), "int16", None),                # narrowing (values fit)
    ("uint8", 8, 3, (70, 71), "float32", None),               # colour, two chunks
    ("uint16", 16, 3, (80, 90), "uint16", (1.0, 0.0)),
]


@pytest.mark.parametrize("stored,bits_stored,spp,shape,out_dtype,rescale", CASES)
def test_rle_into_equals_pydicom(stored: str, bits_stored: int, spp: int, shape: tuple[int, int],
                                 out_dtype: str, rescale: tuple[float, float] | None) -> None:
    rng = np.random.default_rng(hash((stored, shape)) & 0xFFFF)
    dt = np.dtype(stored)
    full = shape + ((spp,) if spp > 1 else ())
    if out_dtype == "int16" and dt.itemsize == 4:
        arr = rng.integers(-30000, 30000, size=full).astype(dt)
    else:
        info = np.iinfo(dt)
        arr = rng.integers(info.min, info.max, size=full, endpoint=True).astype(dt)
    arr[:, : shape[1] // 2] = arr[:, :1]  # runs as well as literals
    frame = rle_encode(arr, samples_per_pixel=spp)[0]
    slope, intercept = rescale if rescale else (None, None)
    pds = _pydicom_rle(frame, shape[0], shape[1], spp, dt.itemsize * 8, bits_stored,
                       dt.kind == "i", slope, intercept)
    ref = pds.pixel_array
    if rescale:
        ref = apply_modality_lut(ref, pds)  # float64
    dst = np.empty(arr.size, dtype=out_dtype)
    nr_long = _cvol.rle_into(frame, shape[0], shape[1], spp, dt.itemsize * 8, stored,
                             dst.view(np.uint8), out_dtype,
                             bits_stored=bits_stored if bits_stored < dt.itemsize * 8 else 0,
                             rescale=rescale is not None, slope=slope or 1.0,
                             intercept=intercept or 0.0)
    assert nr_long == 0
    assert np.array_equal(dst.reshape(ref.shape), ref.astype(out_dtype))
    if out_dtype == "float64" or (rescale is None and np.dtype(out_dtype).kind == "i"):
        assert np.array_equal(dst.reshape(ref.shape), ref)  # pydicom's values exactly


def test_rle_into_malformed_frame() -> None:
    arr = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)
    frame = rle_encode(arr)[0]
    dst = np.empty(arr.size, dtype=np.float32)
    with pytest.raises(PixelDataError, match=r"RLE frame 3: segment \d decoded to \d+ bytes"):
        _cvol.rle_into(frame[:-40], 64, 64, 1, 16, "uint16", dst.view(np.uint8), "float32",
                       rescale=True, slope=2.0, frame_index=3)
    with pytest.raises(PixelDataError, match="RLE frame 0: .* too short"):
        _cvol.rle_into(frame[:10], 64, 64, 1, 16, "uint16", dst.view(np.uint8), "float32")
    with pytest.raises(ValueError, match="'dst' holds"):
        _cvol.rle_into(frame, 64, 64, 1, 16, "uint16", dst.view(np.uint8)[:-4], "float32")
    with pytest.raises(ValueError, match="not int8"):
        _cvol.rle_into(frame, 64, 64, 1, 16, "int8", dst.view(np.uint8), "float32")


@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
@pytest.mark.parametrize("threads", [1, 2])
def test_read_series_rescaled_rle_through_rle_into(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   dtype: str | None, threads: int) -> None:
    """Rescaled RLE slices never go through a decoded frame (decode_frames is for the
    unconverted slices only): decoded and rescaled into their slots."""
    from dcmfast.volume import _assemble

    build_series(tmp_path, 5, source="693_UNCI.dcm", order="shuffled", rle=True)

    class NoFrames:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"_core.rle.{name} called for a rescaled slice")

    monkeypatch.setattr(_assemble, "_rle", NoFrames())
    vol = vol_mod.read_series(tmp_path, threads=threads, dtype=dtype)
    assert vol.array.dtype == np.dtype(dtype or "int16")
    _check(vol, True)


def test_read_series_rle_float_slopes(tmp_path: Path) -> None:
    slopes = [(0.5 + k / 7, -1000.25 + k) for k in range(4)]
    build_series(tmp_path, 4, slopes=slopes, rle=True)
    for dtype in (None, "float64", "int32"):
        vol = vol_mod.read_series(tmp_path, dtype=dtype)
        for k, (name, _frame) in enumerate(vol.files):
            ds = pydicom.dcmread(name)
            ref = apply_modality_lut(ds.pixel_array, ds)
            assert np.array_equal(vol.array[k], ref.astype(vol.array.dtype)), (k, dtype)


def test_rle_into_long_segment_counted() -> None:
    """A last segment holding more runs than the frame needs: the extra is ignored (as
    pydicom does) and counted, as decode_frames counts it."""
    from dcmfast._core import rle as _rle

    arr = np.random.default_rng(3).integers(0, 4000, size=(40, 50)).astype(np.uint16)
    frame = rle_encode(arr)[0] + b"\x01\x07\x07"  # a 2-byte literal run past the end
    dst = np.empty(arr.size, dtype=np.int32)
    assert _cvol.rle_into(frame, 40, 50, 1, 16, "uint16", dst.view(np.uint8), "int32") == 1
    out = np.empty((1, arr.nbytes), dtype=np.uint8)
    assert _rle.decode_frames([frame], 40, 50, 1, 16, out) == 1
    pds = _pydicom_rle(frame, 40, 50, 1, 16, 16, False, None, None)
    assert np.array_equal(dst.reshape(40, 50), pds.pixel_array)
