"""Inputs for the ingest benchmarks: 2,000 copies of CT_small.dcm with distinct SOP Instance
UIDs, generated once into a cache folder (DCMFAST_BENCH_CACHE, default: the temp folder)."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

try:
    import dcmfast.ingest  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

pydicom = pytest.importorskip("pydicom")

from _ingest_bench import BENCH_TAGS, N_FILES, RESULTS  # noqa: E402 (after the importorskip)


@pytest.fixture(scope="session")
def ct_copies() -> list[str]:
    root = Path(os.environ.get("DCMFAST_BENCH_CACHE", Path(tempfile.gettempdir()) / "dcmfast-bench"))
    folder = root / f"ct_small_x{N_FILES}"
    files = [folder / f"ct_{i:05d}.dcm" for i in range(N_FILES)]
    if not all(f.exists() for f in files):
        folder.mkdir(parents=True, exist_ok=True)
        ds = pydicom.dcmread(Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm")
        for i, path in enumerate(files):
            ds.SOPInstanceUID = f"1.2.826.0.1.3680043.8.498.{i + 1}"
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.InstanceNumber = i + 1
            ds.save_as(path, enforce_file_format=True)
    for f in files:  # warm the page cache: every contender reads from memory
        f.read_bytes()
    return [str(f) for f in files]


def pytest_terminal_summary(terminalreporter):
    r = RESULTS
    if not r:
        return
    write = terminalreporter.write_line
    write("")
    write(f"ingest: {N_FILES} x CT_small.dcm, {len(BENCH_TAGS)} tags, medians per file:")
    for name, value in r.items():
        write(f"  {name:<28} {value / N_FILES * 1e6:8.1f} us/file")

    def ratio(label, a, b):
        if a in r and b in r:
            write(f"  {label:<50} {r[a] / r[b]:6.2f}x")

    ratio("read_many 1 worker / open+read+close (target <= 3)", "read_many_1_worker", "open_read_close")
    ratio("open+read+close 1 thread / 2 threads", "open_read_close", "open_read_close_2_threads")
    ratio("read_many 1 worker / 2 workers (target >= 1.7)", "read_many_1_worker", "read_many_2_workers")
    ratio("pydicom loop / read_many 1 worker (target >= 30)", "pydicom_loop", "read_many_1_worker")
    ratio("pydicom loop / read_many 2 workers", "pydicom_loop", "read_many_2_workers")
    ratio("index_sqlite 1 worker / read_many 1 worker (bound ~1.3)", "index_sqlite_1_worker",
          "read_many_1_worker")
    ratio("index_sqlite 2 workers / read_many 2 workers (bound ~1.3)", "index_sqlite_2_workers",
          "read_many_2_workers")
    ratio("index_sqlite 1 worker / 2 workers", "index_sqlite_1_worker", "index_sqlite_2_workers")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load is not None:
        write(f"  load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
              f"({os.cpu_count()} CPUs; ratios need the CPUs free)")
