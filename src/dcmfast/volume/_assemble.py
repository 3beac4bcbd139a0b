"""Assembly: the output allocated once, each slice decoded or copied straight into its
slot, the files read and decoded on the RLE thread pool.

Per file: dcmfast's reader (file read and index scan without the GIL), the pixel
description (compiled), then one of

* native little-endian data: ``_core.volume.convert`` from the file buffer into the
  slot (unused bits and rescale fused, no GIL);
* RLE Lossless: ``_core.rle.decode_frames`` into the slot (no GIL); when the slot's type
  is not the stored one or the slice is rescaled, ``_core.volume.rle_into``: decoded and
  converted into the slot chunk by chunk (no GIL, no per-slice scratch);
* anything else (JPEG through the plugins, big endian, YBR colour): ``pixel_array``, then
  ``convert`` into the slot.
"""
from __future__ import annotations

import os
import struct
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from dcmfast._core import rle as _rle
from dcmfast._core import volume as _cvol
from dcmfast.errors import DcmfastError, PixelDataError, VolumeError

from ._headers import SliceInfo

__all__ = ["allocate", "assemble", "Job", "ModalityLutFoundError"]

_YBR = ("YBR_FULL", "YBR_FULL_422")


class ModalityLutFoundError(Exception):
    """A slice whose header was read without its sequences has a Modality LUT Sequence:
    the output's type must be chosen again (read_series does)."""


class Job:
    """One source and the slots its frames go to."""

    __slots__ = ("source", "name", "targets", "lut_known")

    def __init__(self, source: Any, name: str) -> None:
        self.source = source
        self.name = name
        # (frame index or None, slot, slope, intercept) per slice
        self.targets: list[tuple[int | None, int, float | None, float | None]] = []
        self.lut_known = True  # whether the header said if there is a Modality LUT


def allocate(shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
    """An uninitialized array (large ones in reusable huge-page mappings, as RLE's)."""
    from dcmfast.pixels import rle

    count = int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1
    return rle._output(shape[0], count, dtype).reshape(shape)


def _read(job: Job) -> Any:
    if not isinstance(job.source, (str, os.PathLike)):
        return job.source
    from dcmfast.reader import dcmread

    return dcmread(job.source, read_threads=1)


class _Worker:
    """Decodes jobs into `out`."""

    def __init__(self, out: np.ndarray, stored: str, rescale: bool) -> None:
        self.out = out
        self.out_bytes = out.reshape(out.shape[0], -1).view(np.uint8)
        self.out_dtype = out.dtype.name
        self.stored = stored
        self.rescale = rescale

    def run(self, job: Job) -> None:
        from dcmfast.pixels import describe

        try:
            ds = _read(job)
            desc, _owner = describe(ds)
        except DcmfastError as exc:
            raise type(exc)(f"{job.name}: {exc}") from exc
        except OSError as exc:
            raise VolumeError(f"{job.name}: {exc.strerror or exc}") from exc
        slot_bytes = self.out_bytes.shape[1]
        frame_pixels = desc.rows * desc.columns * desc.samples_per_pixel
        if frame_pixels * self.out.itemsize != slot_bytes:
            raise PixelDataError(f"{job.name}: the pixel data is {desc.rows} x {desc.columns} x "
                                 f"{desc.samples_per_pixel}, not the size its header gave")
        frames = [t[0] or 0 for t in job.targets]
        if max(frames) >= desc.number_of_frames:
            raise PixelDataError(f"{job.name}: frame {max(frames)} asked for, the pixel data has "
                                 f"{desc.number_of_frames}")
        kind = desc.syntax.kind
        plain = (desc.photometric_interpretation not in _YBR
                 and (desc.samples_per_pixel == 1 or desc.planar_configuration == 0)
                 and desc.pixel_keyword == "PixelData" and desc.bits_allocated in (8, 16, 32))
        dtype = np.dtype(desc.dtype_str).name
        if plain and dtype != self.stored:
            raise PixelDataError(f"{job.name}: samples are {dtype}, the series' first "
                                 f"file has {self.stored}")
        try:
            if self.rescale and ds.get("ModalityLUTSequence"):
                if not job.lut_known:
                    raise ModalityLutFoundError(job.name)
                self._lut(job, ds)
            elif plain and kind == "native" and desc.syntax.little_endian and _LITTLE:
                self._native(job, desc, dtype)
            elif plain and kind == "rle":
                self._rle(job, desc, dtype)
            else:
                self._generic(job, ds)
        except DcmfastError as exc:
            raise type(exc)(f"{job.name}: {exc}") from exc

    def _put(self, src: Any, src_dtype: str, slot: int, slope: float | None,
             intercept: float | None, bits: int) -> None:
        rescale = self.rescale and slope is not None
        _cvol.convert(src, src_dtype, self.out_bytes[slot], self.out_dtype, bits_stored=bits,
                      # (rescale is True only with a slope and an intercept)
                      rescale=rescale, slope=slope if rescale else 1.0,  # type: ignore[arg-type]
                      intercept=intercept if rescale else 0.0)  # type: ignore[arg-type]

    def _native(self, job: Job, desc: Any, dtype: str) -> None:
        fb = desc.frame_bytes
        data = desc.data
        bits = desc.bits_stored if desc.bits_stored < desc.bits_allocated else 0
        for frame, slot, slope, intercept in job.targets:
            start = (frame or 0) * fb
            if len(data) < start + fb:
                raise PixelDataError(f"the pixel data holds {len(data)} bytes, {start + fb} are "
                                     f"needed for frame {frame or 0}")
            self._put(data[start:start + fb], dtype, slot, slope, intercept, bits)

    def _rle(self, job: Job, desc: Any, dtype: str) -> None:
        from dcmfast.pixels import encaps, rle

        frames = encaps.locate_frames(desc.data, desc.number_of_frames, desc.extended_offsets)
        fix = desc.bits_stored if desc.bits_stored < desc.bits_allocated else 0
        direct = self.out_dtype == dtype
        for frame, slot, slope, intercept in job.targets:
            f = frame or 0
            if f >= len(frames):
                raise PixelDataError(f"RLE frame {f} is missing from the pixel data")
            data = frames[f].data
            if desc.frame_bytes > rle.MAX_RATIO * len(data):
                raise PixelDataError(f"RLE frame {f}: {len(data)} encoded bytes cannot hold a "
                                     f"{desc.rows} x {desc.columns} frame")
            rescale = self.rescale and slope is not None
            if direct and not rescale:
                _rle.decode_frames([data], desc.rows, desc.columns, desc.samples_per_pixel,
                                   desc.bits_allocated, self.out_bytes[slot:slot + 1],
                                   frame_indices=[f], base_offsets=[frames[f].offset],
                                   bits_stored=fix, signed=bool(desc.pixel_representation))
            else:  # decoded and converted (unused bits, rescale) chunk by chunk into the slot
                _cvol.rle_into(data, desc.rows, desc.columns, desc.samples_per_pixel,
                               desc.bits_allocated, dtype, self.out_bytes[slot], self.out_dtype,
                               bits_stored=fix, rescale=rescale,
                               slope=slope if rescale else 1.0,  # type: ignore[arg-type]
                               intercept=intercept if rescale else 0.0,  # type: ignore[arg-type]
                               frame_index=f, base_offset=frames[f].offset)

    def _lut(self, job: Job, ds: Any) -> None:
        """The Modality LUT Sequence by the compiled LUT of ``pixels.lut`` (pydicom's
        ``apply_modality_lut``), straight into the slot when it has the LUT's type."""
        from dcmfast.pixels import pixel_array
        from dcmfast.pixels.lut import apply_modality_lut

        for frame, slot, _slope, _intercept in job.targets:
            arr = pixel_array(ds, index=frame, threads=1)
            direct = self.out_dtype == f"uint{ds.ModalityLUTSequence[0].LUTDescriptor[2]}"
            try:
                mapped = apply_modality_lut(arr, ds, out=self.out[slot] if direct else None,
                                            threads=1)
            except (ValueError, TypeError, OverflowError, struct.error) as exc:
                raise VolumeError(f"the (0028,3000) Modality LUT Sequence cannot be applied: "
                                  f"{exc}") from exc
            if not direct:  # the slot has another type (dtype=...): converted into it
                mapped = np.ascontiguousarray(mapped)
                self._put(mapped.reshape(-1).view(np.uint8), mapped.dtype.name, slot, None,
                          None, 0)

    def _generic(self, job: Job, ds: Any) -> None:
        from dcmfast.pixels import pixel_array

        for frame, slot, slope, intercept in job.targets:
            arr = pixel_array(ds, index=frame, threads=1)
            arr = np.ascontiguousarray(arr)
            if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and not _LITTLE):
                arr = arr.astype(arr.dtype.newbyteorder("<"))
            self._put(arr.reshape(-1).view(np.uint8), arr.dtype.name, slot, slope, intercept, 0)


_LITTLE = sys.byteorder == "little"


def jobs_of(slices: list[SliceInfo]) -> list[Job]:
    """One job per source, in the order of first use; slot k is `slices[k]`."""
    jobs: dict[int, Job] = {}
    for slot, s in enumerate(slices):
        key = id(s.source)
        job = jobs.get(key)
        if job is None:
            job = jobs[key] = Job(s.source, s.name)
            job.lut_known = s.lut_known
        job.targets.append((s.frame, slot, s.slope, s.intercept))
    return list(jobs.values())


def assemble(slices: list[SliceInfo], out: np.ndarray, stored: str, *, rescale: bool,
             threads: int | None, progress: Callable[[int, int], Any] | None = None) -> None:
    """Fill `out` (one slot per slice, in order) from the slices' sources; `progress` is
    called with the number of slices each source filled and the number of slices (one
    call at a time)."""
    from dcmfast.pixels import rle

    jobs = jobs_of(slices)
    workers = rle.resolve_threads(threads, len(jobs))
    workers = min(workers, rle._cpus(), max(1, out.nbytes // rle.MIN_BYTES_PER_WORKER))
    if workers <= 1:
        worker = _Worker(out, stored, rescale)
        for job in jobs:
            worker.run(job)
            if progress is not None:
                progress(len(job.targets), len(slices))
        return

    lock = threading.Lock()
    state: dict[str, Any] = {"next": 0, "failed": None}
    errors: list[tuple[int, BaseException]] = []

    def loop() -> None:
        worker = _Worker(out, stored, rescale)
        while True:
            with lock:
                i = state["next"]
                if i >= len(jobs) or state["failed"] is not None:
                    return
                state["next"] = i + 1
            try:
                worker.run(jobs[i])
            except BaseException as exc:  # noqa: BLE001 - re-raised by the caller below
                with lock:
                    errors.append((i, exc))
                    state["failed"] = True
                return
            if progress is not None:
                with lock:
                    progress(len(jobs[i].targets), len(slices))

    _run_parallel(loop, workers)
    if errors:
        raise min(errors, key=lambda e: e[0])[1]


def _run_parallel(loop: Callable[[], None], workers: int) -> None:
    from dcmfast.pixels import rle

    pool = rle._shared_pool()
    futures = [pool.submit(loop) for _ in range(workers - 1)]
    try:
        loop()
    finally:
        for f in futures:  # none may still write into the output
            f.result()
