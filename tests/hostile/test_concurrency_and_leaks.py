"""Thread safety (8 threads reading, walking and decoding the corpus at once give
the serial results) and no leaks (RSS flat over 10,000 read + walk + decode)."""
from __future__ import annotations

import gc
import hashlib
import logging
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import dcmfast
from dcmfast.errors import DcmfastError

from . import conftest
from .mutations import seed_paths


def digest(data: bytes) -> str:
    """Everything the guarantee covers, reduced to one hash (or the error raised)."""
    h = hashlib.sha256()
    try:
        ds = dcmfast.dcmread(data, force=True)
        for elem in ds.iterall():
            h.update(f"{elem.tag}{elem.VR}{elem.value!r}".encode("utf-8", "replace"))
        h.update(str(ds).encode("utf-8", "replace"))
        try:
            arr = ds.pixel_array
            h.update(f"{arr.shape}{arr.dtype}".encode())
            h.update(np.ascontiguousarray(arr).tobytes())
        except DcmfastError as exc:
            h.update(type(exc).__name__.encode())
    except Exception as exc:  # noqa: BLE001 - the same failure serially and in threads
        h.update(f"{type(exc).__name__}: {exc}".encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def inputs():
    return [p.read_bytes() for p in seed_paths()]


def test_threads_match_serial(inputs):
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            serial = [digest(d) for d in inputs]
            jobs = inputs * 8
            with ThreadPoolExecutor(max_workers=8) as pool:
                threaded = list(pool.map(digest, jobs))
    finally:
        logging.disable(logging.NOTSET)
    conftest.COUNTS["threaded reads"] = len(jobs)
    assert threaded == serial * 8


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(not hasattr(__import__("os"), "sysconf"), reason="needs /proc")
def test_no_leak_over_10000_reads():
    names = {"MR_small_RLE.dcm", "CT_small.dcm", "SC_rgb_jpeg_dcmtk.dcm", "image_dfl.dcm",
             "rtplan.dcm", "MR_small_bigendian.dcm"}
    files = [p.read_bytes() for p in seed_paths() if p.name in names]

    def once(data: bytes) -> None:
        ds = dcmfast.dcmread(data, force=True)
        for elem in ds.iterall():
            elem.value  # noqa: B018
        try:
            ds.pixel_array  # noqa: B018
        except DcmfastError:
            pass

    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i in range(600):  # warm-up: caches, pools, codec state
                once(files[i % len(files)])
            gc.collect()
            before = _rss()
            for i in range(10_000):
                once(files[i % len(files)])
            gc.collect()
            after = _rss()
    finally:
        logging.disable(logging.NOTSET)
    conftest.COUNTS["leak-test reads"] = 10_000
    growth = after - before
    # a leak of even 1 KiB per read would be 10 MB; allow allocator noise
    assert growth < 8 * 1024 * 1024, f"RSS grew {growth / 1e6:.1f} MB over 10,000 reads"
