"""RLE Lossless pixel data: frames decoded by :func:`dcmfast._core.rle.decode_frame`
(GIL-free) straight into one preallocated array, over a pool of threads.
"""
from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from dcmfast._core import rle as _rle
from dcmfast._core import unpack
from dcmfast.errors import PixelDataError

from . import encaps
from ._decoded import Decoded
from .description import PixelDescription

__all__ = ["decode", "MAX_RATIO"]

LOGGER = logging.getLogger(__name__)

# A 2-byte replicate run gives at most 128 bytes: no segment expands more than 64x.
MAX_RATIO = 64


# Below this many decoded bytes the default decodes on the calling thread.
THREADS_MIN_BYTES = 2 * 1024 * 1024


def resolve_threads(threads: int | None, jobs: int) -> int:
    """Worker count for `jobs` independent frames (default: every CPU)."""
    if threads is None:
        threads = os.cpu_count() or 1
    if threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    return max(1, min(threads, jobs))


def decode(desc: PixelDescription, indices: list[int] | None, *, threads: int | None = None,
           allow_excess_frames: bool = True, segment_order: str = ">",
           correct_unused_bits: bool = True, **_: Any) -> Decoded:
    """Decode frames `indices` (all when None) of RLE Lossless pixel data.

    Also corrects unused bits (pydicom's ``correct_unused_bits``) frame by frame in
    the worker threads.
    """
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
    out = np.empty((len(wanted), desc.frame_pixels), dtype=desc.dtype_str)
    out_bytes = out.view(np.uint8)
    itemsize = out.dtype.itemsize
    fix_bits = correct_unused_bits and desc.bits_stored < desc.bits_allocated
    local = threading.local()  # one scratch buffer for the segment planes per thread

    def work(k: int) -> int:
        i = wanted[k]
        frame = frames[i]
        scratch = getattr(local, "scratch", None)
        if scratch is None:
            scratch = local.scratch = np.empty(frame_bytes, dtype=np.uint8)
        nr_long = _rle.decode_frame(
            frame.data, desc.rows, desc.columns, desc.samples_per_pixel, desc.bits_allocated,
            out_bytes[k], segment_order=segment_order, frame_index=i, base_offset=frame.offset,
            scratch=scratch)
        if fix_bits:
            unpack.correct_unused_bits(out_bytes[k], itemsize, desc.bits_stored,
                                       bool(desc.pixel_representation))
        return nr_long

    workers = resolve_threads(threads, len(wanted))
    if threads is None and len(wanted) * frame_bytes < THREADS_MIN_BYTES:
        workers = 1  # starting threads costs more than decoding a little data
    if workers == 1:
        nr_long = sum(map(work, range(len(wanted))))
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dcmfast-rle") as pool:
            nr_long = sum(pool.map(work, range(len(wanted))))
    if nr_long:
        LOGGER.debug("%d RLE segments held more data than their frame needs; it was ignored",
                     nr_long)
    return Decoded(out.reshape(-1), desc.replace(planar_configuration=0), len(wanted), True)
