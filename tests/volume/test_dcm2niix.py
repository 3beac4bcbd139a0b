"""Geometry against dcm2niix: series with known positions (axial, sagittal, coronal,
oblique; reversed and shuffled file order; RLE; tilted; a missing slice; duplicates),
converted by dcm2niix and by read_series.

Both NIfTI images are brought to the closest canonical (RAS+) orientation by nibabel, so
the comparison does not depend on the axis order each tool writes: the voxel arrays must
be equal and the affines equal within 1e-4 mm.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pydicom
import pytest

from dcmfast import volume as vol_mod
from dcmfast.errors import VolumeError
from dcmfast.volume._export import LPS_TO_RAS, nifti_affine

from .builders import AXIAL, CORONAL, OBLIQUE, SAGITTAL, build_series

nib = pytest.importorskip("nibabel")

CASES = [
    ("axial-reversed", dict(orientation=AXIAL, order="reversed")),
    ("axial-shuffled", dict(orientation=AXIAL, order="shuffled")),
    ("sagittal", dict(orientation=SAGITTAL, order="shuffled", spacing=1.25)),
    ("coronal", dict(orientation=CORONAL, order="forward", spacing=3.0)),
    ("oblique", dict(orientation=OBLIQUE, order="shuffled", spacing=2.0)),
    ("mr-oblique", dict(orientation=OBLIQUE, order="reversed", source="MR_small.dcm")),
    ("axial-rle", dict(orientation=AXIAL, order="shuffled", rle=True)),
]


def _canonical(img):
    c = nib.as_closest_canonical(img)
    return np.asarray(c.get_fdata()), c.affine


def _check_positions(vol: vol_mod.Volume) -> None:
    """Each slice's affine position is its file's Image Position (Patient), by pydicom."""
    for k, (name, _frame) in enumerate(vol.files):
        ipp = np.array([float(v) for v in pydicom.dcmread(name, stop_before_pixels=True)
                        .ImagePositionPatient])
        np.testing.assert_allclose(vol.affine @ [k, 0, 0, 1], [*ipp, 1], atol=1e-6)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[c[0] for c in CASES])
def test_same_as_dcm2niix(tmp_path: Path, dcm2niix, name: str, kwargs: dict) -> None:
    folder = tmp_path / "series"
    build_series(folder, 7, **kwargs)
    niis, _text = dcm2niix(folder, "s")
    assert len(niis) == 1, niis
    theirs, their_affine = _canonical(nib.load(niis[0]))
    vol = vol_mod.read_series(folder, dtype="float64")
    ours, our_affine = _canonical(vol.to_nifti())
    assert ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)
    np.testing.assert_allclose(our_affine, their_affine, atol=1e-4)
    _check_positions(vol)
    # the affine itself, not only through to_nifti: LPS -> RAS and the axis order
    np.testing.assert_allclose(LPS_TO_RAS @ vol.affine @ np.array(
        [[0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]), nifti_affine(vol.affine))


def test_written_nifti_reads_back(tmp_path: Path, dcm2niix) -> None:
    folder = tmp_path / "series"
    build_series(folder, 5, orientation=OBLIQUE)
    vol = vol_mod.read_series(folder)
    out = tmp_path / "v.nii.gz"
    vol.to_nifti(out)
    (theirs,), _ = dcm2niix(folder, "s")
    a, aa = _canonical(nib.load(out))
    b, ba = _canonical(nib.load(theirs))
    assert np.array_equal(a, b)
    np.testing.assert_allclose(aa, ba, atol=1e-4)
    assert not list(tmp_path.glob(".*.dcmfast-tmp*"))  # no temporary left behind (dcmfast._atomic)


def _tilt_of(text: str) -> float:
    m = re.search(r"estimated from slice vector (-?[\d.]+)", text)
    assert m, text
    return float(m.group(1))


def test_tilt_as_dcm2niix(tmp_path: Path, dcm2niix) -> None:
    folder = tmp_path / "tilt"
    build_series(folder, 8, tilt_deg=12.0, order="shuffled")
    niis, text = dcm2niix(folder, "t")
    corrected = [p for p in niis if "_Tilt_" in p.name]
    assert len(corrected) == 1, niis
    vol = vol_mod.read_series(folder, dtype="float64")
    assert vol.tilt == pytest.approx(abs(_tilt_of(text)), abs=1e-3)
    _check_positions(vol)  # the sheared affine places every slice where its file says
    assert abs(vol.affine[:3, 0] @ vol.affine[:3, 1]) > 0.1  # sheared

    res = vol_mod.read_series(folder, dtype="float64", resample_tilt=True)
    assert res.resampled and res.tilt == vol.tilt
    img = nib.load(corrected[0])
    theirs = np.asarray(img.get_fdata())
    # dcm2niix writes (column, row flipped, slice); ours are (slice, row, column)
    ours = res.array.transpose(2, 1, 0)[:, ::-1, :]
    assert ours.shape == theirs.shape
    # voxels whose interpolation neighbours are all inside the data (dcm2niix fills
    # outside with its own value): equal but for dcm2niix's rounding to integers
    inside = theirs > theirs.min()
    core = inside.copy()
    core[:, 1:] &= inside[:, :-1]
    core[:, :-1] &= inside[:, 1:]
    core[:, [0, -1]] = False  # the grid's edge rows: a neighbour is outside it
    assert core.sum() > 0.9 * core.size
    assert np.abs(ours - theirs)[core].max() <= 0.5 + 1e-9
    # the grid: orthogonal, same axes and spacing as dcm2niix's
    ours_aff = nifti_affine(res.affine)
    np.testing.assert_allclose(ours_aff[:3, :3] @ np.diag([1, -1, 1]), img.affine[:3, :3], atol=1e-4)
    np.testing.assert_allclose(res.affine[:3, 0] @ res.affine[:3, 1], 0, atol=1e-9)


def test_missing_slice(tmp_path: Path, dcm2niix) -> None:
    folder = tmp_path / "miss"
    build_series(folder, 8, missing=3)
    _niis, text = dcm2niix(folder, "m")
    assert "Interslice distance varies" in text
    with pytest.raises(VolumeError, match=r"missing slice\(s\): 1 between .* mm .*IM\d+\.dcm"):
        vol_mod.read_series(folder)


def test_duplicates(tmp_path: Path, dcm2niix) -> None:
    folder = tmp_path / "dup"
    paths = build_series(folder, 6, duplicate=2)
    _niis, text = dcm2niix(folder, "d")
    assert "Interslice distance varies" in text
    with pytest.raises(VolumeError, match=r"duplicate slice positions .* mm \(.*IM\d+\.dcm, .*IM\d+\.dcm\)"):
        vol_mod.read_series(folder)
    vol = vol_mod.read_series(folder, keep_first_duplicate=True)
    twins = sorted([paths[2], paths[3]], key=lambda p: p.name)  # folders are read in name order
    assert len(vol.files) == 6
    assert vol.files[2][0] == str(twins[0])
    ds = pydicom.dcmread(twins[0])
    assert np.array_equal(vol.array[2], pydicom.pixels.apply_modality_lut(ds.pixel_array, ds))
