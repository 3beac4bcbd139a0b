"""read_many against the open+read+close floor and a pydicom loop, and the SQLite writer.

Run: PYTHONPATH=src python -m pytest benchmarks/ingest -p no:cacheprovider
The ratios are printed at the end (medians of the same run); nothing is asserted.
"""
from __future__ import annotations

import os
import sqlite3
import warnings

import pytest
from _ingest_bench import BENCH_TAGS, N_FILES, record

from dcmfast import ingest

pydicom = pytest.importorskip("pydicom")

ROUNDS = 7
GROUP = "ingest-2000-files-16-tags"


def _check(records, files) -> bool:
    """Spot-check records against pydicom (every 97th file)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(0, len(files), 97):
            ds = pydicom.dcmread(files[k], stop_before_pixels=True)
            rec = records[k]
            for col in ingest.resolve_tags(BENCH_TAGS):
                elem = ds.get(col.tag)
                want = None if elem is None else ingest.plain_value(elem.value, elem.VR)
                if rec[col.name] != want:
                    return False
    return len(records) == len(files)


@pytest.mark.benchmark(group=GROUP)
def test_open_read_close(benchmark, ct_copies):
    def run():
        for path in ct_copies:
            with open(path, "rb") as f:
                f.read()

    benchmark.pedantic(run, rounds=ROUNDS, warmup_rounds=1)
    record(benchmark, "open_read_close")


@pytest.mark.benchmark(group=GROUP)
def test_open_read_close_2_threads(benchmark, ct_copies):
    """The floor with two threads (each reads every other file)."""
    import threading

    def part(paths):
        for path in paths:
            with open(path, "rb") as f:
                f.read()

    def run():
        other = threading.Thread(target=part, args=(ct_copies[1::2],))
        other.start()
        part(ct_copies[::2])
        other.join()

    benchmark.pedantic(run, rounds=ROUNDS, warmup_rounds=1)
    record(benchmark, "open_read_close_2_threads")


@pytest.mark.benchmark(group=GROUP)
@pytest.mark.parametrize("workers", [1, 2])
def test_read_many(benchmark, ct_copies, workers):
    result = benchmark.pedantic(
        lambda: list(ingest.read_many(ct_copies, tags=BENCH_TAGS, workers=workers)),
        rounds=ROUNDS, warmup_rounds=1,
    )
    record(benchmark, f"read_many_{workers}_worker{'s' if workers > 1 else ''}", _check(result, ct_copies))


@pytest.mark.benchmark(group=GROUP)
def test_pydicom_loop(benchmark, ct_copies):
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [
                pydicom.dcmread(path, stop_before_pixels=True, specific_tags=BENCH_TAGS)
                for path in ct_copies
            ]

    benchmark.pedantic(run, rounds=3, warmup_rounds=0)
    record(benchmark, "pydicom_loop")


@pytest.mark.benchmark(group=GROUP)
@pytest.mark.parametrize("workers", [1, 2])
def test_index_sqlite(benchmark, ct_copies, tmp_path, workers):
    counter = iter(range(10**6))

    def setup():
        db = tmp_path / f"bench{next(counter)}.sqlite"
        return (db,), {}

    def run(db):
        return ingest.index_sqlite(ct_copies, db, tags=BENCH_TAGS, workers=workers)

    benchmark.pedantic(run, setup=setup, rounds=ROUNDS, warmup_rounds=1)
    db = max(tmp_path.glob("bench*.sqlite"))
    con = sqlite3.connect(db)
    n = con.execute("SELECT count(*) FROM instances WHERE error_type IS NULL").fetchone()[0]
    con.close()
    record(benchmark, f"index_sqlite_{workers}_worker{'s' if workers > 1 else ''}", n == N_FILES)
    for f in tmp_path.glob("bench*"):
        os.unlink(f)
