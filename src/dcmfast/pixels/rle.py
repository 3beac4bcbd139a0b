"""RLE Lossless pixel data: frames decoded by :func:`dcmfast._core.rle.decode_frames`
(GIL-free, one call per worker, each with a contiguous share of the frames and
helping with the others' once done) straight into one preallocated array. Worker
threads come from one long-lived pool.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from dcmfast._core import pages as _pages
from dcmfast._core import rle as _rle
from dcmfast.errors import PixelDataError

from . import encaps
from ._decoded import Decoded
from .description import PixelDescription

__all__ = ["decode", "MAX_RATIO"]

LOGGER = logging.getLogger(__name__)

# A 2-byte replicate run gives at most 128 bytes: no segment expands more than 64x.
MAX_RATIO = 64

# Each worker thread gets at least this many decoded bytes: handing a share of the
# frames to another thread costs tens of microseconds, decoding 1 MiB about a
# millisecond. Less work than two shares decodes on the calling thread alone.
MIN_BYTES_PER_WORKER = 1024 * 1024

# Outputs of this size and more go into mappings that are reused once freed
# (_core/pages: no page faults nor kernel zeroing for the next one).
PAGES_BYTES = _pages.MIN_BYTES


def resolve_threads(threads: int | None, jobs: int) -> int:
    """Worker count for `jobs` independent frames (default: every CPU)."""
    if threads is None:
        threads = _cpus()
    if threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    return max(1, min(threads, jobs))


def _cpus() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on every platform
        return os.cpu_count() or 1


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> ThreadPoolExecutor:
    """The process's RLE worker pool, created on first use (its threads start lazily).

    The calling thread decodes a share itself, so one thread fewer than the CPUs is
    enough: decoding is CPU-bound, more shares than CPUs would only queue.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, _cpus() - 1),
                                       thread_name_prefix="dcmfast-rle")
        return _pool


def _forget_pool() -> None:
    """In a forked child the pool's threads are gone: start a new pool when needed."""
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _output(nr_frames: int, frame_pixels: int, dtype: np.dtype[Any],
            alloc: Callable[[int], Any] | None = None) -> np.ndarray:
    """An uninitialized (nr_frames, frame_pixels) array for the decoded frames; a large
    one in a mapping that, once freed, the next large output reuses (no page faults
    nor zeroing: :mod:`dcmfast._core.pages`). `alloc` (given a byte count, a writable
    buffer of that many bytes) puts it in the caller's memory instead."""
    count = nr_frames * frame_pixels
    if alloc is not None:
        return np.frombuffer(alloc(count * dtype.itemsize), dtype=dtype,
                             count=count).reshape(nr_frames, frame_pixels)
    pages = _pages.alloc(count * dtype.itemsize)  # None: small, or not on this platform
    if pages is None:
        return np.empty((nr_frames, frame_pixels), dtype=dtype)
    # (Pages has the buffer protocol: numpy's stubs list concrete types before Python 3.12)
    return np.frombuffer(pages, dtype=dtype, count=count).reshape(  # type: ignore[call-overload, no-any-return]
        nr_frames, frame_pixels)


def decode(desc: PixelDescription, indices: list[int] | None, *, threads: int | None = None,
           allow_excess_frames: bool = True, segment_order: str = ">",
           correct_unused_bits: bool = True, out_alloc: Callable[[int], Any] | None = None,
           **_: Any) -> Decoded:
    """Decode frames `indices` (all when None) of RLE Lossless pixel data.

    Also corrects unused bits (pydicom's ``correct_unused_bits``) frame by frame in
    the worker threads. `out_alloc` (a byte count -> a writable buffer of that size)
    gives the memory the frames are decoded into (see ``codec.decompress``).
    """
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    if desc.bits_allocated % 8:
        raise PixelDataError(
            f"Unable to decode RLE Lossless pixel data with {desc.bits_allocated} bits allocated")
    frames = encaps.locate_frames(desc.data, desc.number_of_frames, desc.extended_offsets)
    wanted = encaps.select_frames(frames, desc.number_of_frames, indices)
    if indices is None and allow_excess_frames and len(frames) > desc.number_of_frames:
        LOGGER.warning("%d frames found in the encapsulated pixel data, more than the (0028,0008) "
                       "'Number of Frames' value %d; the extra frames are returned",
                       len(frames), desc.number_of_frames)
        wanted = list(range(len(frames)))
        desc = desc.replace(number_of_frames=len(frames))

    frame_bytes = desc.frame_bytes
    for i in wanted:  # before allocating: each frame must be able to fill its output
        if frame_bytes > MAX_RATIO * len(frames[i].data):
            raise PixelDataError(
                f"RLE frame {i}: {len(frames[i].data)} encoded bytes cannot hold a "
                f"{desc.rows} x {desc.columns} x {desc.samples_per_pixel} frame of "
                f"{desc.bits_allocated}-bit samples [at byte offset {frames[i].offset} of the "
                "Pixel Data value]")

    desc.check_alloc(len(wanted) * frame_bytes, "the decoded RLE frames")
    out = _output(len(wanted), desc.frame_pixels, np.dtype(desc.dtype_str), out_alloc)
    out_bytes = out.view(np.uint8)
    fix_bits = correct_unused_bits and desc.bits_stored < desc.bits_allocated
    data = [frames[i].data for i in wanted]
    offsets = [frames[i].offset for i in wanted]

    def work(start: int, stop: int, claim: np.ndarray | None = None, share: int = 0) -> int:
        return _rle.decode_frames(
            data[start:stop], desc.rows, desc.columns, desc.samples_per_pixel,
            desc.bits_allocated, out_bytes[start:stop], segment_order=segment_order,
            frame_indices=wanted[start:stop], base_offsets=offsets[start:stop],
            bits_stored=desc.bits_stored if fix_bits else 0,
            signed=bool(desc.pixel_representation), claim=claim, share=share)

    # no more workers than CPUs (CPU-bound work) nor than shares worth a thread
    workers = min(len(wanted), len(wanted) * frame_bytes // MIN_BYTES_PER_WORKER)
    if workers > 1:
        workers = 1 if threads == 1 else min(workers, resolve_threads(threads, len(wanted)), _cpus())
    if workers <= 1:
        nr_long = work(0, len(wanted))
    else:
        # contiguous shares (each worker faults in pages of its own), the calling
        # thread decodes the first; a worker done with its share takes frames from
        # the backs of the others (one that gets less CPU time decodes fewer)
        bounds = [len(wanted) * w // workers for w in range(workers + 1)]
        claim = np.array([(bounds[w] << 32) | bounds[w + 1] for w in range(workers)]
                         + [len(wanted)], dtype=np.int64)
        pool = _shared_pool()
        futures = [pool.submit(work, 0, len(wanted), claim, w) for w in range(1, workers)]
        try:
            nr_long = work(0, len(wanted), claim, 0)
        finally:
            # wait for every worker (none may still write into `out`)
            results: list[Any] = []  # (int, or the exception raised)
            for future in futures:
                try:
                    results.append(future.result())
                except BaseException as exc:  # noqa: BLE001 - re-raised below, in order
                    results.append(exc)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        nr_long += sum(results)
        first_bad = int(claim[-1])
        if first_bad < len(wanted):  # decoded alone, it raises its error
            work(first_bad, first_bad + 1)
            raise PixelDataError(f"RLE frame {wanted[first_bad]}: malformed")  # not reached
    if nr_long:
        LOGGER.debug("%d RLE segments held more data than their frame needs; it was ignored",
                     nr_long)
    if desc.planar_configuration != 0:  # the frames come out colour-by-pixel
        desc = desc.replace(planar_configuration=0)
    return Decoded(out.reshape(-1), desc, len(wanted), True)
