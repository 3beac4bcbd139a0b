"""Volumes of slices with a Modality LUT Sequence: each slice of ``read_series(...).array``
equal to pydicom's ``apply_modality_lut(pixel_array, ds)`` for its file, with the type
pydicom gives (``uint`` + the LUT's bit depth), stacked; from paths (headers read without
sequences, the LUT found during assembly), from datasets, native and RLE, 1 and 2 threads."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut

import dcmfast
from dcmfast import volume as vol_mod

from .builders import build_series


def _expected(path: str | Path) -> np.ndarray:
    ds = pydicom.dcmread(path)
    return apply_modality_lut(ds.pixel_array, ds)


def _check(vol: vol_mod.Volume) -> None:
    stacked = np.stack([_expected(name) for name, _frame in vol.files])
    assert vol.array.dtype == stacked.dtype
    assert np.array_equal(vol.array, stacked)


def _with_lut(paths: list[Path], descriptor: list[int], data: np.ndarray, vr: str = "US") -> None:
    for p in paths:
        pds = dcmfast.dcmread(p).to_pydicom()
        item = pydicom.Dataset()
        item.LUTDescriptor = descriptor
        if vr == "US":
            item.add_new(0x00283006, "US", [int(v) for v in data])
        else:
            item.add_new(0x00283006, "OW", data.astype("<u2").tobytes())
        item.ModalityLUTType = "HU"
        pds.ModalityLUTSequence = [item]
        pds.save_as(p)


def _mlut_series(folder: Path, n: int, rle: bool = False) -> list[Path]:
    """Slices of the corpus's mlut_18.dcm (a 16-bit Modality LUT, first value mapped
    -2048), placed by the builder; it has no Pixel Spacing: one is added."""
    paths = build_series(folder, n, source="mlut_18.dcm", order="shuffled", rle=rle)
    for p in paths:
        ds = dcmfast.dcmread(p)
        ds.PixelSpacing = ["0.5", "0.5"]
        dcmfast.dcmwrite(p, ds)
    return paths


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("rle", [False, True])
def test_corpus_lut_series(tmp_path: Path, threads: int, rle: bool) -> None:
    _mlut_series(tmp_path, 4, rle=rle)
    vol = vol_mod.read_series(tmp_path, threads=threads)
    assert vol.array.dtype == np.uint16
    _check(vol)
    stored = vol_mod.read_series(tmp_path, rescale=False, threads=threads)
    assert stored.array.dtype == np.int16  # the LUT only with rescale


def test_corpus_lut_series_from_datasets(tmp_path: Path) -> None:
    paths = _mlut_series(tmp_path, 3)
    dss = [dcmfast.dcmread(p) for p in paths]
    vol = vol_mod.read_series(dss)
    assert sorted(name for name, _ in vol.files) == sorted(str(p) for p in paths)
    _check(vol)  # (a dataset read from a file is named by it)
    pvol = vol_mod.read_series([pydicom.dcmread(p) for p in paths])
    assert np.array_equal(pvol.array, vol.array)


@pytest.mark.parametrize("rle", [False, True])
def test_eight_bit_lut(tmp_path: Path, rle: bool) -> None:
    """CT slices with an 8-bit LUT added (first value mapped below the data, values past
    the end clipped to the last entry): uint8, as pydicom."""
    paths = build_series(tmp_path, 4, rle=rle)
    data = (np.arange(300) * 7 + 3) % 256
    _with_lut(paths, [300, -20, 8], data)
    vol = vol_mod.read_series(tmp_path)
    assert vol.array.dtype == np.uint8
    _check(vol)


def test_ow_lut_and_a_given_dtype(tmp_path: Path) -> None:
    paths = build_series(tmp_path, 3)
    data = (np.arange(5000) * 13 + 5) % 65536
    _with_lut(paths, [5000, 10, 16], data, vr="OW")
    vol = vol_mod.read_series(tmp_path)
    _check(vol)
    for dtype in ("float32", "int32", "uint16"):
        got = vol_mod.read_series(tmp_path, dtype=dtype)
        assert got.array.dtype == np.dtype(dtype)
        assert np.array_equal(got.array, vol.array.astype(dtype))


def test_lut_values_not_the_rescale(tmp_path: Path) -> None:
    """The LUT wins over Rescale Slope / Intercept (CT_small has both here), as pydicom."""
    paths = build_series(tmp_path, 2, slopes=[(2.0, -1000.0), (2.0, -1000.0)])
    _with_lut(paths, [4096, 0, 16], np.arange(4096)[::-1])
    vol = vol_mod.read_series(tmp_path)
    assert vol.array.dtype == np.uint16
    _check(vol)
