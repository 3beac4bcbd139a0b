"""The threaded pipeline of read_many: the calling thread reads chunks too, with a shared pool.

The chunk reader is wrapped (slowed down, made to fail) to see which thread
reads what; the records themselves are always compared with a serial read.
"""
from __future__ import annotations

import os
import shutil
import sys
import threading
import time

import pytest

from dcmfast import ingest

pytestmark = pytest.mark.filterwarnings("ignore")

TAGS = ["PatientID", "InstanceNumber", "ImagePositionPatient"]


@pytest.fixture
def many(tmp_path, ct_small):
    """60 distinct file names (copies of one file)."""
    folder = tmp_path / "many"
    folder.mkdir()
    files = []
    for k in range(60):
        path = folder / f"f{k:02d}.dcm"
        shutil.copy(ct_small, path)
        files.append(str(path))
    return files


class Spy:
    """Wraps a reader's read_chunk: records the thread of each chunk, can slow down or fail."""

    def __init__(self, reader, delay=0.0, fail_on=None):
        self.read = reader.read_chunk
        self.delay = delay
        self.fail_on = fail_on
        self.calls = []  # (first path, thread name)
        self.lock = threading.Lock()
        reader.read_chunk = self

    def __call__(self, chunk):
        with self.lock:
            self.calls.append((chunk[0], threading.current_thread().name))
        if self.delay:
            time.sleep(self.delay)  # (releases the GIL, as the compiled reader does)
        if self.fail_on is not None and self.fail_on in chunk:
            raise RuntimeError(f"failed on {self.fail_on}")
        return self.read(chunk)


def _paths(chunks):
    return [row[0] for rows in chunks for row in rows]


def test_order_kept_every_file_once_caller_reads_too(many):
    inputs = many * 3  # the same files again: each read again, in place
    reader = ingest._Reader(TAGS)
    spy = Spy(reader, delay=0.003)
    got = _paths(reader.row_chunks(inputs, 2, chunk_size=4))
    assert got == inputs
    assert sorted(first for first, _ in spy.calls) == sorted(inputs[::4])  # each chunk once
    threads = {name for _, name in spy.calls}
    assert threading.current_thread().name in threads  # the consumer read chunks
    assert any(name.startswith("dcmfast-ingest") for name in threads)  # and a pool thread
    assert list(ingest.read_many(inputs, tags=TAGS, workers=2)) == list(
        ingest.read_many(inputs, tags=TAGS, workers=1))


def test_more_workers_than_cpus_and_chunks(many):
    serial = list(ingest.read_many(many, tags=TAGS, workers=1))
    for workers in (3, 8, 40):
        reader = ingest._Reader(TAGS)
        spy = Spy(reader, delay=0.002)
        assert _paths(reader.row_chunks(many, workers, chunk_size=2)) == many
        assert len({name for _, name in spy.calls}) > 2
        assert list(ingest.read_many(many, tags=TAGS, workers=workers)) == serial


def test_exception_in_a_pool_thread_raised_in_order(many):
    """A chunk that fails raises in the consumer when its turn comes, after every chunk before it."""
    for fail_at in (0, 5, 37, 59):
        reader = ingest._Reader(TAGS)
        spy = Spy(reader, delay=0.002, fail_on=many[fail_at])
        got = []
        with pytest.raises(RuntimeError, match="failed on"):
            for rows in reader.row_chunks(many, 2, chunk_size=3):
                got.extend(row[0] for row in rows)
        assert got == many[: fail_at // 3 * 3]
        assert any(name.startswith("dcmfast-ingest") for _, name in spy.calls) or fail_at == 0


def test_on_error_raise_with_threads(many, tmp_path):
    inputs = many[:30] + [str(tmp_path / "missing.dcm")] + many[30:]
    got = []
    with pytest.raises(FileNotFoundError):
        for record in ingest.read_many(inputs, tags=TAGS, workers=2, on_error="raise"):
            got.append(record["path"])
    assert got == many[: len(got)] and len(got) <= 30


def test_closed_early_stops_the_pool_threads(many):
    """A consumer that stops: the chunks not started are dropped, the threads stop soon after."""
    reader = ingest._Reader(TAGS)
    spy = Spy(reader, delay=0.01)
    gen = reader.row_chunks(many * 10, 2, chunk_size=2)  # 300 chunks
    next(gen)
    gen.close()
    read_at_close = len(spy.calls)
    time.sleep(0.1)
    assert len(spy.calls) <= read_at_close + 1  # at most the chunk a pool thread was reading
    assert len(spy.calls) < 20  # a few windows at most, never the rest
    read_after = len(spy.calls)
    time.sleep(0.05)
    assert len(spy.calls) == read_after


def test_abandoned_generator_is_collected(many):
    import gc
    import weakref

    reader = ingest._Reader(TAGS)
    Spy(reader, delay=0.005)
    gen = reader.row_chunks(many * 10, 2, chunk_size=2)
    next(gen)
    ref = weakref.ref(gen)
    del gen
    gc.collect()
    assert ref() is None


def test_folders_walked_in_place_with_threads(tmp_path, many):
    folder = os.path.dirname(many[0])
    inputs = [many[0], folder, many[1], folder + "/f0*.dcm", folder]
    serial = [r["path"] for r in ingest.read_many(inputs, tags=TAGS, workers=1)]
    assert serial == [many[0], *many, many[1], *many[:10]]  # a folder is walked once
    reader = ingest._Reader(TAGS)
    Spy(reader, delay=0.001)
    assert _paths(reader.row_chunks(inputs, 2, chunk_size=4)) == serial


def test_accept_runs_in_the_calling_thread(many):
    threads = set()

    def accept(path):
        threads.add(threading.current_thread().name)
        return not path.endswith("7.dcm")

    reader = ingest._Reader(TAGS)
    got = _paths(reader.row_chunks(many, 2, accept=accept, chunk_size=4))
    assert got == [p for p in many if not p.endswith("7.dcm")]
    assert threads == {threading.current_thread().name}


def test_calls_from_several_threads_and_nested(many):
    serial = list(ingest.read_many(many, tags=TAGS, workers=1))
    results = {}

    def run(key):
        results[key] = list(ingest.read_many(many * 2, tags=TAGS, workers=2))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[k] == serial * 2 for k in range(4))
    # a consumer that reads more files for each record, with threads too
    outer = []
    for record in ingest.read_many(many[:10], tags=TAGS, workers=2):
        outer.append(record)
        assert list(ingest.read_many(many[:5], tags=TAGS, workers=2)) == serial[:5]
    assert outer == serial[:10]


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork")
def test_pool_after_fork(many):
    """A forked child (the parent's pool threads are gone there) reads with threads too."""
    expected = [r["path"] for r in ingest.read_many(many, tags=TAGS, workers=2)]  # the pool exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            got = [r["path"] for r in ingest.read_many(many, tags=TAGS, workers=2)]
            code = 0 if got == expected else 2
        finally:
            os.write(write, bytes([code]))
            os._exit(0)
    os.close(write)
    try:
        assert os.read(read, 1) == b"\x00"
    finally:
        os.close(read)
        os.waitpid(pid, 0)
