"""read_series' ``progress(count, total)``: every slice counted once, one call per file."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from dcmfast import volume as vol_mod

from .builders import build_series


@pytest.mark.parametrize("threads", [1, 2])
def test_progress_counts_every_slice(tmp_path: Path, threads: int) -> None:
    build_series(tmp_path, 7, source="693_UNCI.dcm", order="shuffled")  # 512 x 512: 2 workers
    calls: list[tuple[int, int, str]] = []
    vol_mod.read_series(tmp_path, threads=threads,
                        progress=lambda n, t: calls.append((n, t, threading.current_thread().name)))
    assert len(calls) == 7
    assert all(n == 1 and t == 7 for n, t, _ in calls)
