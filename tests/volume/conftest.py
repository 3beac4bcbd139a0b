"""Fixtures of the volume tests: dcm2niix (the PyPI wheel ships the binary) as the oracle
of geometry, nibabel to read its output."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def _dcm2niix() -> str | None:
    return shutil.which("dcm2niix")


@pytest.fixture
def dcm2niix(tmp_path: Path):
    """run(folder, name) -> (list of NIfTI paths written, dcm2niix's output text)."""
    exe = _dcm2niix()
    if exe is None:
        pytest.skip("dcm2niix is not installed (pip install dcm2niix)")
    pytest.importorskip("nibabel")

    def run(folder: Path, name: str = "out") -> tuple[list[Path], str]:
        out = tmp_path / f"nii-{name}"
        out.mkdir()
        proc = subprocess.run([exe, "-z", "n", "-b", "n", "-o", str(out), "-f", name, str(folder)],
                              capture_output=True, text=True, timeout=120, check=False)
        text = proc.stdout + proc.stderr
        assert proc.returncode == 0, text
        return sorted(out.glob("*.nii")), text

    return run
