"""``dcmfast volume`` and ``dcmfast png``, run as the console script in a subprocess."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom.data
import pytest
from volume.builders import build_series

from dcmfast import volume as vol_mod

from .conftest import one_error_line, run

nib = pytest.importorskip("nibabel")
Image = pytest.importorskip("PIL.Image")


@pytest.mark.parametrize("command", ["volume", "png"])
def test_help(command: str) -> None:
    proc = run(command, "--help")
    assert proc.returncode == 0, proc.stderr
    examples = proc.stdout.split("\nexamples:\n")[1]
    assert f"  dcmfast {command} " in examples
    assert "exit status:" in proc.stdout


def test_volume_writes_nifti(tmp_path: Path) -> None:
    build_series(tmp_path / "s", 5, order="shuffled")
    out = tmp_path / "v.nii.gz"
    proc = run("volume", tmp_path / "s", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{out}: 5 x 128 x 128 int32")
    vol = vol_mod.read_series(tmp_path / "s")
    img = nib.load(out)
    assert np.array_equal(np.asarray(img.dataobj), vol.array.transpose(2, 1, 0))
    np.testing.assert_allclose(img.affine, vol.to_nifti().affine, atol=1e-5)


def test_volume_tilt_and_series(tmp_path: Path) -> None:
    build_series(tmp_path / "t", 6, tilt_deg=10.0, seed=3)
    build_series(tmp_path / "t", 3, seed=4, origin=(0.0, 0.0, 200.0))
    out = tmp_path / "t.nii"
    proc = run("volume", tmp_path / "t", "-o", out)
    assert proc.returncode == 1
    assert "2 series among the inputs, pass series_uid" in one_error_line(proc)
    proc = run("volume", tmp_path / "t", "-o", out, "--series", "1.2.826.0.1.3680043.10.543.3.0",
               "--resample-tilt")
    assert proc.returncode == 0, proc.stderr
    assert "gantry tilt of 10.000 degrees, resampled to an orthogonal grid" in proc.stdout


def test_volume_errors(tmp_path: Path) -> None:
    build_series(tmp_path / "m", 6, missing=2)
    proc = run("volume", tmp_path / "m", "-o", tmp_path / "m.nii")
    assert proc.returncode == 1
    line = one_error_line(proc)
    assert line.startswith("dcmfast: missing slice(s): 1 between")
    assert not (tmp_path / "m.nii").exists()
    proc = run("volume", tmp_path / "m", "-o", tmp_path / "m.png")
    assert proc.returncode == 2
    assert "must end in .nii or .nii.gz" in one_error_line(proc)
    proc = run("volume", tmp_path / "nothing.dcm", "-o", tmp_path / "x.nii")
    assert proc.returncode == 1
    assert "nothing.dcm: No such file or directory" in one_error_line(proc)


def test_png(tmp_path: Path) -> None:
    src = pydicom.data.get_testdata_file("CT_small.dcm")
    out = tmp_path / "ct.png"
    proc = run("png", src, "-o", out, "--window", "40,400")
    assert proc.returncode == 0, proc.stderr
    vol_mod.to_png(src, tmp_path / "ref.png", window=(40.0, 400.0))
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(tmp_path / "ref.png")))
    proc = run("png", src, "-o", out, "--window", "40")
    assert proc.returncode == 2
    assert "expected CENTER,WIDTH" in one_error_line(proc)
    proc = run("png", src, "-o", out, "--frame", "3")
    assert proc.returncode == 1
    assert "frame 3 asked for, the image has 1" in one_error_line(proc)
