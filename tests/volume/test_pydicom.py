"""Each slice of ``read_series(...).array`` against pydicom: its file's ``pixel_array``
(with ``apply_modality_lut`` when rescale=True), for every decoding path (native, RLE
into the slot and through scratch, JPEG-LS / JPEG 2000 through the plugins, big endian),
every output dtype, one thread and two; enhanced multi-frame against the single-frame
series made from it."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pydicom.data
import pytest
from pydicom.pixels import apply_modality_lut

import dcmfast
from dcmfast import volume as vol_mod
from dcmfast.errors import VolumeError
from dcmfast.pixels import encapsulate, rle_encode

from .builders import OBLIQUE, build_series, dcmfast_uid, fmt


def _expected(path: str, rescale: bool) -> np.ndarray:
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    return apply_modality_lut(arr, ds) if rescale else arr


def _check(vol: vol_mod.Volume, rescale: bool) -> None:
    for k, (name, frame) in enumerate(vol.files):
        assert frame is None
        ref = _expected(name, rescale)
        assert np.array_equal(vol.array[k], ref.astype(vol.array.dtype)), (k, name)
        if vol.array.dtype.kind == "f" and vol.array.dtype.itemsize == 8 or vol.array.dtype.kind == "i":
            assert np.array_equal(vol.array[k], ref), (k, name)  # exactly pydicom's values


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("rle", [False, True])
@pytest.mark.parametrize("rescale,dtype", [(True, None), (True, "float64"), (True, "float32"),
                                           (False, None), (False, "float32")])
def test_slices_equal_pydicom(tmp_path: Path, rle: bool, rescale: bool, dtype: str | None,
                              threads: int) -> None:
    build_series(tmp_path, 6, orientation=OBLIQUE, order="shuffled", rle=rle)
    vol = vol_mod.read_series(tmp_path, rescale=rescale, dtype=dtype, threads=threads)
    assert vol.array.dtype == np.dtype(dtype or ("int32" if rescale else "int16"))
    _check(vol, rescale)


def test_default_dtype_int16_when_exact(tmp_path: Path) -> None:
    """MR_small: 16 bits stored, signed, no rescale pair -> the stored int16, unchanged."""
    build_series(tmp_path / "mr", 4, source="MR_small.dcm")
    vol = vol_mod.read_series(tmp_path / "mr")
    assert vol.array.dtype == np.int16
    _check(vol, True)


def test_float32_when_slopes_vary(tmp_path: Path) -> None:
    slopes = [(0.5 + k / 7, -1000.25 + k) for k in range(5)]
    build_series(tmp_path, 5, slopes=slopes, order="shuffled", rle=True)
    vol = vol_mod.read_series(tmp_path, threads=2)
    assert vol.array.dtype == np.float32
    _check(vol, True)
    vol = vol_mod.read_series(tmp_path, dtype="float64")
    _check(vol, True)


def test_threads_many_files(tmp_path: Path) -> None:
    """Enough output for several workers (each gets >= 1 MiB): 512 x 512 slices."""
    build_series(tmp_path, 6, source="693_UNCI.dcm", order="shuffled")
    one = vol_mod.read_series(tmp_path, threads=1)
    two = vol_mod.read_series(tmp_path, threads=2)
    assert np.array_equal(one.array, two.array)
    _check(two, True)


@pytest.mark.parametrize("source", ["MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
                                    "MR_small_jp2klossless.dcm", "MR_small_bigendian.dcm",
                                    "MR_small_implicit.dcm", "693_J2KR.dcm", "SC_rgb.dcm",
                                    "SC_rgb_rle.dcm", "SC_rgb_16bit.dcm", "SC_ybr_full_uncompressed.dcm",
                                    "SC_rgb_jpeg_gdcm.dcm", "RG3_UNCI.dcm", "OBXXXX1A_rle.dcm"])
def test_codecs(tmp_path: Path, source: str) -> None:
    """Copies of one encoded file at known positions: every transfer syntax's path."""
    src = pydicom.data.get_testdata_file(source)
    names = []
    for k in range(3):
        ds = dcmfast.dcmread(src)
        ds.ImagePositionPatient = ["0", "0", fmt(2.0 * k)]
        ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
        ds.SeriesInstanceUID = dcmfast_uid(7, 1)
        if "PixelSpacing" not in ds:
            ds.PixelSpacing = ["0.5", "0.5"]
        ds.FrameOfReferenceUID = dcmfast_uid(7, 2)
        dcmfast.dcmwrite(tmp_path / f"{k}.dcm", ds)
        names.append(str(tmp_path / f"{k}.dcm"))
    for rescale in (True, False):
        vol = vol_mod.read_series(tmp_path, rescale=rescale, dtype="float64" if rescale else None)
        assert [f for f, _ in vol.files] == names
        _check(vol, rescale)


def _single_frames(enhanced: str, folder: Path) -> None:
    """The single-frame series equivalent to an enhanced multi-frame file: each frame
    with its functional groups' values at the top level (read with pydicom)."""
    folder.mkdir()
    p = pydicom.dcmread(enhanced)
    frames = p.pixel_array
    shared = p.SharedFunctionalGroupsSequence[0]
    for f, item in enumerate(p.PerFrameFunctionalGroupsSequence):
        def group(macro: str, kw: str, item=item):
            for g in (item, shared):
                if macro in g and kw in g[macro][0]:
                    return g[macro][0][kw].value
            return None
        ds = dcmfast.dcmread(enhanced, stop_before_pixels=True)
        del ds.PerFrameFunctionalGroupsSequence
        del ds.SharedFunctionalGroupsSequence
        del ds.NumberOfFrames
        ds.ImagePositionPatient = [str(v) for v in group("PlanePositionSequence", "ImagePositionPatient")]
        ds.ImageOrientationPatient = [str(v) for v in group("PlaneOrientationSequence",
                                                             "ImageOrientationPatient")]
        ds.PixelSpacing = [str(v) for v in group("PixelMeasuresSequence", "PixelSpacing")]
        ds.RescaleSlope = str(group("PixelValueTransformationSequence", "RescaleSlope"))
        ds.RescaleIntercept = str(group("PixelValueTransformationSequence", "RescaleIntercept"))
        ds.PixelData = np.ascontiguousarray(frames[f]).tobytes()
        ds["PixelData"].VR = "OW"
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
        dcmfast.dcmwrite(folder / f"frame{f}.dcm", ds)


def _rle_copy(path: str, out: Path) -> Path:
    ds = dcmfast.dcmread(path)
    ds.PixelData = encapsulate(rle_encode(pydicom.dcmread(path).pixel_array))
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.5"
    dcmfast.dcmwrite(out, ds)
    return out


@pytest.mark.parametrize("rle", [False, True])
def test_enhanced_equals_single_frames(tmp_path: Path, rle: bool) -> None:
    enhanced = pydicom.data.get_testdata_file("eCT_Supplemental.dcm")
    if enhanced is None:
        pytest.skip("pydicom-data's eCT_Supplemental.dcm is not installed")
    _single_frames(enhanced, tmp_path / "single")
    if rle:
        enhanced = str(_rle_copy(enhanced, tmp_path / "rle.dcm"))
    for kwargs in ({}, {"rescale": False}, {"dtype": "float64"}):
        multi = vol_mod.read_series(enhanced, **kwargs)
        single = vol_mod.read_series(tmp_path / "single", **kwargs)
        assert multi.array.dtype == single.array.dtype
        assert np.array_equal(multi.array, single.array)
        np.testing.assert_array_equal(multi.affine, single.affine)
        assert [f for _, f in multi.files] == [1, 0]  # sorted along the normal
    # each frame against pydicom
    p = pydicom.dcmread(enhanced)
    frames = p.pixel_array
    multi = vol_mod.read_series(enhanced, dtype="float64")
    for k, (_, f) in enumerate(multi.files):
        assert np.array_equal(multi.array[k], frames[f].astype(np.float64) * 1.0 - 1024.0)


def test_datasets_as_input(tmp_path: Path) -> None:
    paths = build_series(tmp_path, 4, order="shuffled")
    dss = [dcmfast.dcmread(p) for p in reversed(paths)]
    vol = vol_mod.read_series(dss)
    ref = vol_mod.read_series(tmp_path)
    assert np.array_equal(vol.array, ref.array)
    np.testing.assert_array_equal(vol.affine, ref.affine)
    vol = vol_mod.read_series([pydicom.dcmread(p) for p in paths])
    assert np.array_equal(vol.array, ref.array)


def test_series_choice_and_find_series(tmp_path: Path) -> None:
    build_series(tmp_path / "a", 3, seed=1)
    build_series(tmp_path / "b", 4, seed=2, orientation=OBLIQUE)
    (tmp_path / "README.txt").write_text("not dicom")
    shutil.copy(pydicom.data.get_testdata_file("CT_small.dcm"), tmp_path / "b" / "x.dcm")
    found = vol_mod.find_series(tmp_path)
    uids = {s.series_uid: s for s in found}
    assert uids[dcmfast_uid(1, 0)].number_of_slices == 3
    assert uids[dcmfast_uid(2, 0)].number_of_slices == 4
    assert len(found) == 3  # + the original CT_small's own series
    assert any(name.endswith("README.txt") for name, _ in found.left_out)
    with pytest.raises(VolumeError, match="3 series among the inputs, pass series_uid"):
        vol_mod.read_series(tmp_path)
    vol = vol_mod.read_series(tmp_path, series_uid=dcmfast_uid(2, 0))
    assert vol.array.shape[0] == 4


def test_enhanced_top_level_rescale(tmp_path: Path) -> None:
    """No Pixel Value Transformation in the functional groups: the top-level pair, as
    pydicom's apply_modality_lut on the whole dataset uses it."""
    enhanced = pydicom.data.get_testdata_file("eCT_Supplemental.dcm")
    if enhanced is None:
        pytest.skip("pydicom-data's eCT_Supplemental.dcm is not installed")
    ds = dcmfast.dcmread(enhanced)
    del ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence
    ds.RescaleSlope, ds.RescaleIntercept = "0.5", "-7.25"
    path = tmp_path / "e.dcm"
    dcmfast.dcmwrite(path, ds)
    p = pydicom.dcmread(path)
    ref = apply_modality_lut(p.pixel_array, p)
    vol = vol_mod.read_series(path, dtype="float64")
    for k, (_, f) in enumerate(vol.files):
        assert np.array_equal(vol.array[k], ref[f])
