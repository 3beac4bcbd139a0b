"""RLE Lossless encoding (DICOM PS3.5 Annex G) of ndarrays, one bytes object per frame.

The frames are encoded by :class:`dcmfast._core.rle_encode.FrameEncoder` without
the GIL, each straight into its own output allocated at the worst-case size up
front (shrunk at the end); several frames are shared out, one at a time, among
the calling thread and the RLE decoder's worker pool (:mod:`dcmfast.pixels.rle`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dcmfast._core import rle_encode as _rle_encode
from dcmfast.errors import PixelDataError

from . import rle

__all__ = ["rle_encode"]

_BITS = (8, 16, 32, 64)


def _geometry(shape: tuple[int, ...], samples_per_pixel: int | None) -> tuple[int, int, int, int]:
    """(frames, rows, columns, samples per pixel) of an array of `shape`, laid out as
    pydicom's ``pixel_array``: (frames,) rows, columns(, samples)."""
    ndim = len(shape)
    if ndim not in (2, 3, 4):
        raise PixelDataError(
            f"An array of shape {shape} does not hold frames: expected (frames,) rows, "
            "columns(, samples)")
    if samples_per_pixel is None:
        if ndim == 2:
            samples_per_pixel = 1
        elif ndim == 4:
            samples_per_pixel = shape[-1]
        elif ndim == 3 and shape[-1] != 3:
            samples_per_pixel = 1
        else:
            raise PixelDataError(
                f"An array of shape {shape} may be one frame of 3 samples per pixel or "
                f"{shape[0]} frames of one sample: pass 'samples_per_pixel'")
    if samples_per_pixel == 1:
        if ndim == 2:
            return 1, shape[0], shape[1], 1
        if ndim == 3:
            return shape[0], shape[1], shape[2], 1
    elif samples_per_pixel == 3:
        if ndim == 3 and shape[2] == 3:
            return 1, shape[0], shape[1], 3
        if ndim == 4 and shape[3] == 3:
            return shape[0], shape[1], shape[2], 3
    else:
        raise PixelDataError(f"Samples per pixel must be 1 or 3, not {samples_per_pixel}")
    raise PixelDataError(
        f"An array of shape {shape} does not hold frames of {samples_per_pixel} sample(s) per "
        "pixel: expected (frames,) rows, columns" + (", 3" if samples_per_pixel == 3 else ""))


def rle_encode(arr: Any, *, bits_allocated: int | None = None, samples_per_pixel: int | None = None,
               planar_configuration: int = 0, threads: int | None = None) -> list[bytes]:
    """RLE Lossless encode `arr`: one encoded frame (bytes) per frame.

    `arr` is an ndarray of unsigned or signed integers laid out as pydicom's
    ``pixel_array`` gives it: ``(rows, columns)``, ``(frames, rows, columns)``,
    ``(rows, columns, 3)`` or ``(frames, rows, columns, 3)``. `samples_per_pixel`
    (1 or 3) is taken from the shape when it is unambiguous; a 3-dimensional array
    whose last axis is 3 needs it. `bits_allocated` (8, 16, 32 or 64; default: the
    dtype's size) must equal the dtype's item size in bits. At most 15 segments fit
    a frame, so 64-bit samples must be single-sample.

    `planar_configuration` (0 or 1) is the value the dataset will carry: an RLE
    frame stores each sample as its own segments either way, so the encoded bytes
    are the same, and decoders (pydicom's, dcmfast's) give colour-by-pixel arrays.

    Frames are encoded without the GIL; `threads` bounds the threads sharing them
    (default: every CPU; 1: everything on the calling thread). Put the result in a
    dataset with :func:`dcmfast.pixels.encapsulate`.

    Parameters
    ----------
    arr : numpy.ndarray
        The samples (unsigned or signed integers).
    bits_allocated : int, optional
        8, 16, 32 or 64 (default: the dtype's size, which it must equal).
    samples_per_pixel : int, optional
        1 or 3 (default: from the shape).
    planar_configuration : int
        0 or 1: the value the dataset will carry.
    threads : int, optional
        Threads sharing the frames (default: every CPU).

    Returns
    -------
    list of bytes
        The encoded frames.

    Raises
    ------
    PixelDataError
        A shape, dtype or parameter the encoder cannot take (a ``ValueError``).
    ValueError
        `threads` is less than 1.

    Examples
    --------
    >>> import numpy as np
    >>> from dcmfast.pixels import encapsulate, rle_encode
    >>> frames = rle_encode(np.zeros((2, 4, 4), dtype=np.uint16))
    >>> len(frames), len(encapsulate(frames)) % 2
    (2, 0)
    """
    if not isinstance(arr, np.ndarray):
        raise PixelDataError(f"RLE encoding needs a numpy ndarray, not {type(arr).__name__}")
    if arr.dtype.kind not in "ui":
        raise PixelDataError(
            f"RLE encoding needs an array of unsigned or signed integers, not {arr.dtype}")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    if planar_configuration not in (0, 1):
        raise PixelDataError(f"Planar configuration must be 0 or 1, not {planar_configuration!r}")
    itembits = arr.dtype.itemsize * 8
    if bits_allocated is None:
        bits_allocated = itembits
    if bits_allocated not in _BITS:
        raise PixelDataError(
            f"RLE Lossless encoding needs 8, 16, 32 or 64 bits allocated, not {bits_allocated}")
    if bits_allocated != itembits:
        raise PixelDataError(
            f"Bits Allocated {bits_allocated} does not match the array's {arr.dtype} samples")
    nr_frames, rows, columns, spp = _geometry(arr.shape, samples_per_pixel)
    if spp * bits_allocated // 8 > 15:
        raise PixelDataError(
            f"RLE Lossless allows at most 15 segments per frame: {spp} samples of "
            f"{bits_allocated} bits need {spp * bits_allocated // 8}")
    if rows < 1 or columns < 1:
        raise PixelDataError(f"A frame of {rows} x {columns} pixels cannot be RLE encoded")
    if nr_frames == 0:
        return []
    # little-endian, C-contiguous samples (a copy only if they are not already)
    src = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    encoder = _rle_encode.FrameEncoder(src.reshape(-1).view(np.uint8), nr_frames, rows, columns,
                                       spp, bits_allocated)
    _run(encoder, nr_frames, src.nbytes, threads)
    return encoder.frames()


def _run(encoder: _rle_encode.FrameEncoder, nr_frames: int, nbytes: int,
         threads: int | None) -> None:
    """Run `encoder` on the calling thread and, for enough work, on the RLE pool."""
    # as for decoding: no more workers than CPUs, nor than frames, nor than 1 MiB shares
    workers = min(nr_frames, nbytes // rle.MIN_BYTES_PER_WORKER)
    if workers > 1:
        workers = 1 if threads == 1 else min(workers, rle.resolve_threads(threads, nr_frames),
                                             rle._cpus())
    if workers <= 1:
        encoder.run()
        return
    pool = rle._shared_pool()
    futures = [pool.submit(encoder.run) for _ in range(workers - 1)]
    try:
        encoder.run()
    finally:
        errors = []
        for future in futures:  # every worker done before the outputs are touched
            try:
                future.result()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)
    if errors:
        raise errors[0]
