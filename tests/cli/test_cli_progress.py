"""Progress bars (tqdm) of index, summary and bench: drawn when stderr is a terminal, never
written to a pipe or a file."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import env, run

pty = pytest.importorskip("pty")  # POSIX only

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def run_with_terminal_stderr(*args: str | os.PathLike[str]) -> tuple[int, str]:
    """``python -m dcmfast ARGS`` with stderr on a pseudo-terminal: (exit code, what it showed)."""
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    # a terminal of 24 rows and 100 columns (a new pseudo-terminal has none: tqdm would draw nothing)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        proc = subprocess.Popen([sys.executable, "-m", "dcmfast", *map(str, args)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=slave, env=env())
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    return proc.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


def test_index_bar(tmp_path, mixed_folder):
    code, shown = run_with_terminal_stderr("index", mixed_folder / "ct.dcm", "--db", tmp_path / "a.sqlite")
    assert code == 0
    assert "index: " in shown and " file" in shown and "\r" in shown  # tqdm redraws in place
    quiet_code, quiet = run_with_terminal_stderr("index", mixed_folder / "ct.dcm", "--db",
                                                 tmp_path / "b.sqlite", "--quiet")
    assert quiet_code == 0
    assert "index: " not in quiet
    piped = run("index", mixed_folder / "ct.dcm", "--db", tmp_path / "c.sqlite")
    assert piped.returncode == 0
    assert len(piped.stderr.splitlines()) == 1 and piped.stderr.startswith("1 files: 1 read")


def test_summary_bar(mixed_folder):
    code, shown = run_with_terminal_stderr("summary", "--repeat", "1", "--no-check", mixed_folder)
    assert code == 0
    assert "summary: " in shown and "/4 [" in shown and "file/s" in shown
    piped = run("summary", "--repeat", "1", "--no-check", mixed_folder)
    assert piped.returncode == 0 and piped.stderr == ""


def test_bench_bar():
    code, shown = run_with_terminal_stderr("bench", "--quick", "--peers", "pydicom")
    assert code == 0
    assert "%|" in shown and "sample" in shown
    code, shown = run_with_terminal_stderr("bench", "--quick", "--peers", "pydicom", "--no-progress")
    assert code == 0
    assert "%" not in shown
