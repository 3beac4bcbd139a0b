"""Helpers of the command line tests: every test runs the console script in a subprocess,
``python -m dcmfast ...``, with the dcmfast under test first on ``PYTHONPATH``."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dcmfast

#: the folder that holds the dcmfast package under test (a source tree or site-packages)
TREE = os.path.dirname(dcmfast.__path__[0])

pydicom_data = pytest.importorskip("pydicom.data")


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(p for p in (TREE, out.get("PYTHONPATH")) if p)
    out.pop("PYTHONWARNINGS", None)
    return out


def run(*args: str | os.PathLike[str], stdin: bytes | None = None, cwd: str | os.PathLike[str] | None = None,
        timeout: float = 300, **kwargs) -> subprocess.CompletedProcess[str]:
    """``python -m dcmfast ARGS`` with text output (stdin given as bytes, or none)."""
    proc = subprocess.run(
        [sys.executable, "-m", "dcmfast", *map(str, args)],
        input=stdin if stdin is not None else b"",
        capture_output=True, env=env(), cwd=cwd, timeout=timeout, check=False, **kwargs,
    )
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))


def run_closed_stdout(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
    """``python -m dcmfast ARGS`` writing to a pipe whose reader is already gone (``| head``
    that has exited): the first write of the output fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "dcmfast", *map(str, args)], stdin=subprocess.DEVNULL,
                              stdout=write_end, stderr=subprocess.PIPE, env=env(), timeout=300, check=False)
    finally:
        os.close(write_end)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", proc.stderr.decode("utf-8", "replace"))


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The one line of stderr of a failed command (asserting there is one and no traceback)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def data_file(name: str) -> Path:
    return Path(pydicom_data.get_testdata_file(name))


@pytest.fixture
def ct_small() -> Path:
    return data_file("CT_small.dcm")


@pytest.fixture
def bad_files(tmp_path: Path, ct_small: Path) -> dict[str, Path]:
    """Inputs a new user might give by mistake, by kind."""
    png = tmp_path / "image.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    text = tmp_path / "notes.txt"
    text.write_text("not a DICOM file\n" * 20)
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.dcm"
    truncated.write_bytes(ct_small.read_bytes()[:1000])
    folder = tmp_path / "folder"
    folder.mkdir()
    return {"missing": tmp_path / "no-such-file.dcm", "folder": folder, "png": png, "text": text,
            "empty": empty, "truncated": truncated}


@pytest.fixture
def mixed_folder(tmp_path: Path, ct_small: Path) -> Path:
    """Two DICOM files (one in a subfolder) and two files that are not DICOM."""
    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(ct_small, folder / "ct.dcm")
    shutil.copy(data_file("MR_small.dcm"), folder / "sub" / "mr.dcm")
    (folder / "README.txt").write_text("a folder of scans\n")
    (folder / "meta.json").write_text('{"a": 1}\n')
    return folder
