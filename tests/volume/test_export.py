"""to_png against DCMTK's dcm2pnm (the file's first window, a given window, MONOCHROME1,
colour, a frame of a multi-frame image); to_nifti's file is written atomically."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pydicom.data
import pytest

from dcmfast import volume as vol_mod
from dcmfast.errors import PixelDataError

from .builders import build_series

Image = pytest.importorskip("PIL.Image")


def _dcm2pnm(src: str, out: Path, *args: str) -> np.ndarray:
    exe = shutil.which("dcm2pnm")
    if exe is None:
        pytest.skip("DCMTK's dcm2pnm is not installed")
    subprocess.run([exe, "+on", *args, src, str(out)], check=True, capture_output=True, timeout=60)
    return np.asarray(Image.open(out)).astype(int)


def _ours(src, out: Path, **kw) -> np.ndarray:
    vol_mod.to_png(src, out, **kw)
    return np.asarray(Image.open(out)).astype(int)


@pytest.mark.parametrize("name,kw,args", [
    ("MR_small.dcm", {}, ["+Wi", "1"]),
    ("MR_small_RLE.dcm", {}, ["+Wi", "1"]),
    ("RG3_UNCI.dcm", {}, ["+Wi", "1"]),  # MONOCHROME1, inverted
    ("MR_small.dcm", {"window": (500.0, 1000.0)}, ["+Ww", "500", "1000"]),
    ("CT_small.dcm", {"window": (40.0, 400.0)}, ["+Ww", "40", "400"]),  # rescaled (intercept -1024)
    ("RG3_UNCI.dcm", {"window": (300.0, 500.0)}, ["+Ww", "300", "500"]),
    ("SC_rgb.dcm", {}, []),
    ("SC_rgb_2frame.dcm", {"frame": 1}, ["+F", "2"]),
])
def test_png_like_dcm2pnm(tmp_path: Path, name: str, kw: dict, args: list[str]) -> None:
    src = pydicom.data.get_testdata_file(name)
    theirs = _dcm2pnm(src, tmp_path / "theirs.png", *args)
    ours = _ours(src, tmp_path / "ours.png", **kw)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() <= 1  # rounding: DCMTK's LUT vs pydicom's float window


def test_png_ybr_like_pydicom(tmp_path: Path) -> None:
    """YBR_FULL: pydicom's RGB conversion (DCMTK's rounds differently, by up to 2)."""
    src = pydicom.data.get_testdata_file("SC_ybr_full_uncompressed.dcm")
    assert np.array_equal(_ours(src, tmp_path / "o.png"), pydicom.dcmread(src).pixel_array)


def test_png_of_an_array_and_errors(tmp_path: Path) -> None:
    arr = np.arange(64 * 64, dtype=np.int16).reshape(64, 64) - 1000
    ours = _ours(arr, tmp_path / "a.png")
    assert ours.min() == 0 and ours.max() == 255
    ours = _ours(arr, tmp_path / "b.png", window=(0.0, 100.0))
    assert ours[0, 0] == 0 and ours[-1, -1] == 255
    with pytest.raises(PixelDataError, match="frame 5 asked for, the image has 2"):
        vol_mod.to_png(pydicom.data.get_testdata_file("SC_rgb_2frame.dcm"), tmp_path / "c.png", frame=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]  # no temporaries


def test_png_of_a_volume_slice(tmp_path: Path) -> None:
    paths = build_series(tmp_path / "s", 3)
    vol = vol_mod.read_series(tmp_path / "s")
    ours = _ours(vol.array, tmp_path / "v.png", window=(40.0, 400.0), frame=1)
    theirs = _dcm2pnm(str(paths[1]), tmp_path / "t.png", "+Ww", "40", "400")
    assert np.abs(ours - theirs).max() <= 1


def test_nifti_path_suffix(tmp_path: Path) -> None:
    pytest.importorskip("nibabel")
    build_series(tmp_path / "s", 3)
    vol = vol_mod.read_series(tmp_path / "s")
    with pytest.raises(ValueError, match="ends in .nii or .nii.gz"):
        vol.to_nifti(tmp_path / "v.png")
    vol.to_nifti(tmp_path / "v.nii")
    import nibabel as nib

    img = nib.load(tmp_path / "v.nii")
    assert np.array_equal(np.asarray(img.dataobj), vol.array.transpose(2, 1, 0))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    _ = pydicom  # imported for the corpus
