"""``dcmfast volume``'s progress bar (tqdm, through cli._common.progress_bar): drawn on a
terminal, counting slices; never written when stderr is a pipe; off with --no-progress."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from volume.builders import build_series

from .conftest import run
from .test_cli_progress import run_with_terminal_stderr

pytest.importorskip("nibabel")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def test_volume_bar(tmp_path: Path) -> None:
    build_series(tmp_path / "s", 6, order="shuffled")
    code, shown = run_with_terminal_stderr("volume", tmp_path / "s", "-o", tmp_path / "a.nii",
                                           "--threads", "1")
    assert code == 0, shown
    # tqdm draws at most every 0.1 s and erases the bar at the end: the count may not show
    assert "volume: " in shown and "slice" in shown and "\r" in shown
    code, quiet = run_with_terminal_stderr("volume", tmp_path / "s", "-o", tmp_path / "b.nii",
                                           "--no-progress")
    assert code == 0, quiet
    assert "volume: " not in quiet and "slice" not in quiet
    piped = run("volume", tmp_path / "s", "-o", tmp_path / "c.nii")
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    assert piped.stdout.startswith(f"{tmp_path / 'c.nii'}: 6 x 128 x 128")
