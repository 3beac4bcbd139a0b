"""From slices to volumes: series of DICOM images as 3D arrays with their affine.

Entry points: :func:`read_series` (one series into a :class:`Volume`, then
``Volume.to_nifti``), :func:`find_series` (the series among files and folders) and
:func:`to_png` (one frame as an 8-bit PNG).

A volume's array has the axes (slice, row, column) (+ samples for colour); its affine
maps those indices to patient coordinates in mm, LPS as in DICOM. Slices are sorted by
the projection of Image Position (Patient) on the slice normal, every gap is checked,
and a missing slice, a duplicate position or an inconsistent series is an error naming
the files. See ``_geometry`` for the conventions, ``_assemble`` for how the array is
filled.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from dcmfast.errors import ResourceLimitError, VolumeError

from ._assemble import ModalityLutFoundError, allocate, assemble
from ._export import to_nifti, to_png
from ._geometry import check_consistent, deshear, plan
from ._headers import SliceInfo, learn_luts, read_headers, slices_of

__all__ = ["read_series", "find_series", "Volume", "SeriesInfo", "SeriesList", "to_png",
           "DEFAULT_MAX_BYTES"]

LOGGER = logging.getLogger("dcmfast.volume")

DEFAULT_MAX_BYTES = 8 << 30  # capped further by the memory available


@dataclasses.dataclass
class Volume:
    """A 3D image: ``array`` (slices, rows, columns[, samples]) and ``affine`` (4x4,
    (slice, row, column) indices to LPS mm).

    Attributes
    ----------
    array : numpy.ndarray
        The voxels, slices in order along the slice axis.
    affine : numpy.ndarray
        4x4: (slice, row, column, 1) indices to LPS millimetres.
    files : list of (str, int or None)
        Per slice: its source and frame (None: a single-frame file).
    tilt : float
        The gantry tilt found (degrees between the slice step and the slice normal).
    resampled : bool
        The tilt was resampled away (the affine is orthogonal).
    """

    array: np.ndarray
    affine: np.ndarray
    files: list[tuple[str, int | None]]  # per slice: its source and frame (None: single frame)
    tilt: float = 0.0  # gantry tilt found (degrees between slice step and normal)
    resampled: bool = False  # the tilt was resampled away (the affine is orthogonal)

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Length of the steps along the slice, row and column axes (mm); the slice step
        of a sheared (tilted) volume is longer than the distance between its planes."""
        s = np.linalg.norm(self.affine[:3, :3], axis=0)
        return float(s[0]), float(s[1]), float(s[2])

    @property
    def direction(self) -> np.ndarray:
        """3x3: unit vectors (columns) of the slice, row and column axes in LPS."""
        unit: np.ndarray = self.affine[:3, :3] / np.linalg.norm(self.affine[:3, :3], axis=0)
        return unit

    @property
    def origin(self) -> np.ndarray:
        """LPS position (mm) of the centre of the first voxel."""
        origin: np.ndarray = self.affine[:3, 3].copy()
        return origin

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``array``."""
        return self.array.shape

    def to_nifti(self, path: str | os.PathLike[str] | None = None) -> Any:
        """A nibabel ``Nifti1Image`` (RAS, the data's axes (column, row, slice)); written
        to `path` (atomically) when given. Needs nibabel (``dcmfast[nifti]``).

        Parameters
        ----------
        path : str or PathLike, optional
            Where to write it (``.nii`` or ``.nii.gz``).

        Returns
        -------
        nibabel.Nifti1Image
        """
        return to_nifti(self, path)


@dataclasses.dataclass
class SeriesInfo:
    """One group of slices that can make a volume.

    Attributes
    ----------
    series_uid, frame_of_reference : str or None
        Series Instance UID and Frame of Reference UID.
    orientation : tuple of float or None
        Image Orientation (Patient).
    rows, columns : int or None
        The slices' size.
    pixel_spacing : tuple of (float, float) or None
        Pixel Spacing.
    files : list of str
        The files (``read_series`` takes them).
    number_of_slices : int
        Slices (frames of enhanced multi-frame files counted one by one).
    """

    series_uid: str | None
    frame_of_reference: str | None
    orientation: tuple[float, ...] | None
    rows: int | None
    columns: int | None
    pixel_spacing: tuple[float, float] | None
    files: list[str]
    number_of_slices: int


class SeriesList(list):  # type: ignore[type-arg]
    """find_series' result: a list of SeriesInfo, and ``left_out``: (file, reason)."""

    left_out: list[tuple[str, str]]


def _expand(inputs: Any) -> list[tuple[Any, bool]]:
    """(source, found by walking a folder) for each input; folders walked in name order."""
    if isinstance(inputs, (str, os.PathLike)) or not isinstance(inputs, Iterable):
        inputs = [inputs]
    out: list[tuple[Any, bool]] = []
    for item in inputs:
        if isinstance(item, (str, os.PathLike)) and os.path.isdir(item):
            for root, dirs, files in os.walk(item):  # type: ignore[type-var]  # (str or PathLike[str])
                dirs.sort()
                out += [(os.path.join(root, f), True) for f in sorted(files)]  # type: ignore[type-var]
        else:
            out.append((item, False))
    return out


def _collect(inputs: Any, threads: int | None = None) -> tuple[list[SliceInfo], list[tuple[str, str]]]:
    """The image slices of the inputs, and what was left out and why."""
    slices: list[SliceInfo] = []
    left_out: list[tuple[str, str]] = []
    expanded = _expand(inputs)
    headers = read_headers([src for src, _ in expanded], threads)
    for i, ((src, walked), got) in enumerate(zip(expanded, headers, strict=True)):
        if isinstance(got, Exception):
            if not walked:
                raise got
            left_out.append((os.fspath(src), str(got)))
            continue
        ds, name = got
        if ds.get("Rows") is None or ds.get("Columns") is None:
            left_out.append((name, "not an image (no Rows / Columns)"))
            continue
        slices += slices_of(ds, src, name if name else f"dataset #{i}")
    return slices, left_out


def find_series(paths: Any) -> SeriesList:
    """Group the images among `paths` (files, folders, datasets) by Series Instance UID,
    then Frame of Reference, orientation, rows/columns and pixel spacing.

    Files that are not DICOM, not images or that have no position are in ``left_out``.

    Parameters
    ----------
    paths : str, PathLike, Dataset or iterable of them
        Files, folders (walked) and datasets.

    Returns
    -------
    SeriesList
    """
    slices: list[SliceInfo] = []
    left_out: list[tuple[str, str]] = []
    expanded = _expand(paths)
    for i, ((src, _walked), got) in enumerate(zip(expanded, read_headers([s for s, _ in expanded]),
                                                  strict=True)):
        name = os.fspath(src) if isinstance(src, (str, os.PathLike)) else f"dataset #{i}"
        try:
            if isinstance(got, Exception):
                raise got
            ds, name = got
            if ds.get("Rows") is None or ds.get("Columns") is None:
                left_out.append((name, "not an image (no Rows / Columns)"))
                continue
            found = slices_of(ds, src, name)
        except VolumeError as exc:
            left_out.append((name, str(exc)))
            continue
        for s in found:
            if s.position is None or s.orientation is None:
                left_out.append((s.name, "no (0020,0032) Image Position (Patient) / (0020,0037) "
                                 "Image Orientation (Patient)"))
                break
        else:
            slices += found
    groups: dict[tuple[Any, ...], list[SliceInfo]] = {}
    for s in slices:
        key = (s.series_uid, s.frame_of_reference,
               tuple(round(v, 4) + 0.0 for v in s.orientation),  # type: ignore[union-attr]
               s.rows, s.columns,
               None if s.pixel_spacing is None else tuple(round(v, 5) for v in s.pixel_spacing))
        groups.setdefault(key, []).append(s)
    result = SeriesList()
    for (uid, ref, orient, rows, cols, spacing), members in groups.items():
        files = list(dict.fromkeys(s.name for s in members))
        result.append(SeriesInfo(uid, ref, orient, rows, cols, spacing, files, len(members)))
    result.left_out = left_out
    return result


_STORED = {(8, 0): "uint8", (8, 1): "int8", (16, 0): "uint16", (16, 1): "int16",
           (32, 0): "uint32", (32, 1): "int32"}
_OUT_TYPES = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"}


def _stored_dtype(s: SliceInfo) -> str:
    try:
        return _STORED[(s.bits_allocated, 1 if s.pixel_representation else 0)]  # type: ignore[index]
    except KeyError:
        raise VolumeError(f"{s.name}: {s.bits_allocated} bits allocated are not supported in a "
                          "volume") from None


def _out_dtype(slices: list[SliceInfo], stored: str, rescale: bool, dtype: Any) -> str:
    if dtype is not None:
        name: str = np.dtype(dtype).name
        if name not in _OUT_TYPES:
            raise ValueError(f"dtype must be one of {', '.join(sorted(_OUT_TYPES))}, not {name}")
        return name
    first = slices[0]
    pairs = [(s.slope, s.intercept) for s in slices if s.slope is not None]
    if not rescale or first.samples_per_pixel > 1 or not pairs:
        return stored
    if all(sl == 1.0 and float(ic).is_integer() for sl, ic in pairs):  # type: ignore[arg-type]  # (set with slope)
        bits = first.bits_stored or first.bits_allocated or 16
        if first.pixel_representation:
            lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        else:
            lo, hi = 0, (1 << bits) - 1
        shifts = [ic for _, ic in pairs] + ([0.0] if len(pairs) < len(slices) else [])
        low, high = lo + min(shifts), hi + max(shifts)  # type: ignore[type-var, operator]
        for name in ("int16", "int32"):
            info = np.iinfo(name)
            if info.min <= low and high <= info.max:
                return name
    return "float32"


def _assembled(ordered: list[SliceInfo], rescale: bool, dtype: Any, threads: int | None,
               max_bytes: int | None, progress: Callable[[int, int], Any] | None) -> np.ndarray:
    """The array of the sorted slices, its type chosen, its size checked."""
    first = ordered[0]
    stored = _stored_dtype(first)
    lut_dtype = _lut_out_dtype(ordered) if rescale else None
    out_dtype = _out_dtype(ordered, stored, rescale, dtype) if lut_dtype is None else \
        _out_dtype(ordered, lut_dtype, False, dtype)
    shape: tuple[int, ...] = (len(ordered), first.rows, first.columns)  # type: ignore[assignment]
    if first.samples_per_pixel > 1:
        shape += (first.samples_per_pixel,)
        stored = "uint8" if first.photometric in ("YBR_FULL", "YBR_FULL_422") else stored
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(out_dtype).itemsize
    _check_cap(nbytes, shape, out_dtype, max_bytes)
    out = allocate(shape, np.dtype(out_dtype))
    assemble(ordered, out, stored, rescale=rescale and first.samples_per_pixel == 1,
             threads=threads, progress=progress)
    return out


def _lut_out_dtype(slices: list[SliceInfo]) -> str | None:
    """With a Modality LUT Sequence: the type pydicom's apply_modality_lut gives (uint8 or
    uint16, from the LUT Descriptor), which every slice must share; None without one."""
    with_lut = [s for s in slices if s.modality_lut]
    if not with_lut:
        return None
    first = with_lut[0]
    if len(with_lut) != len(slices):
        other = next(s for s in slices if not s.modality_lut)
        raise VolumeError(f"{first.name} has a (0028,3000) Modality LUT Sequence, {other.name} "
                          "has none: their modality values are of different kinds "
                          "(rescale=False gives the stored values)")
    for s in with_lut:
        if s.lut_dtype not in ("uint8", "uint16"):
            why = s.lut_dtype if s.lut_dtype and " " in s.lut_dtype else \
                f"{s.name}: a Modality LUT of {str(s.lut_dtype)[4:]} bits (8 or 16 are supported)"
            raise VolumeError(why)
        if s.samples_per_pixel != 1:
            raise VolumeError(f"{s.name}: a Modality LUT Sequence on colour pixel data")
        if s.lut_dtype != first.lut_dtype:
            raise VolumeError(f"{first.name} has a {first.lut_dtype[4:]}-bit Modality LUT, "  # type: ignore[index]
                              f"{s.name} a {s.lut_dtype[4:]}-bit one")
    return first.lut_dtype


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _check_cap(nbytes: int, shape: tuple[int, ...], dtype: str, max_bytes: int | None) -> None:
    cap = max_bytes
    if cap is None:
        cap = DEFAULT_MAX_BYTES
        avail = _available_memory()
        if avail is not None:
            cap = min(cap, avail)
    if nbytes > cap:
        raise ResourceLimitError(
            f"the volume would need {nbytes} bytes ({' x '.join(map(str, shape))} {dtype}), more "
            f"than the limit of {cap} bytes (max_bytes=...)")


def read_series(paths_or_datasets: Any, *, series_uid: str | None = None, rescale: bool = True,
                dtype: Any = None, threads: int | None = None, spacing_tolerance: float = 0.01,
                keep_first_duplicate: bool = False, resample_tilt: bool = False,
                max_bytes: int | None = None,
                progress: Callable[[int, int], Any] | None = None) -> Volume:
    """Read one series into a :class:`Volume`.

    `paths_or_datasets`: files, folders (walked; files there that are not DICOM are
    left out) or datasets (dcmfast or pydicom), single-frame slices or enhanced
    multi-frame images. With several series, `series_uid` says which.

    `rescale`: apply the Modality LUT Sequence or else Rescale Slope / Intercept as
    pydicom's ``apply_modality_lut`` does (rescale computed in double precision). `dtype`:
    the array's type; by default the stored one, with rescale int16 / int32 when every
    slope is 1 and every intercept an integer (exact), else float32 (pydicom's float64
    values rounded once); with a Modality LUT, pydicom's type for it (uint8 or uint16 as
    the LUT Descriptor says; every slice must have one of the same depth).
    `spacing_tolerance`: largest deviation of a gap from the median gap, as a fraction of
    it. `keep_first_duplicate`: keep the first of slices at the same position (first in
    the order of the inputs, a folder's files by name); else an error. `resample_tilt`:
    resample a gantry-tilted (sheared) series onto an orthogonal grid (linear
    interpolation in-plane, 0 outside, as dcm2niix's correction); otherwise the affine is
    the sheared one. `max_bytes`: the largest array allowed (default 8 GiB or the
    memory available), checked before allocating. `threads`: files read and decoded
    concurrently (default: every CPU).

    Parameters
    ----------
    paths_or_datasets : str, PathLike, Dataset or iterable of them
        The slices.
    series_uid : str, optional
        Which series, when several are found.
    rescale : bool
        Apply Rescale Slope / Intercept.
    dtype : numpy dtype, optional
        The array's type.
    threads : int, optional
        Files read and decoded concurrently.
    spacing_tolerance : float
        Largest gap deviation, as a fraction of the median gap.
    keep_first_duplicate : bool
        Keep the first of slices at the same position instead of raising.
    resample_tilt : bool
        Resample a gantry-tilted series onto an orthogonal grid.
    max_bytes : int, optional
        The largest array allowed.
    progress : callable, optional
        Called as ``progress(count, total)`` when a file is done: the `count` slices it
        filled, of `total` (from the worker threads, one call at a time).

    Returns
    -------
    Volume

    Raises
    ------
    VolumeError
        The slices do not make one volume (several series and no `series_uid`,
        inconsistent orientation or size, missing positions, uneven gaps, duplicates).
    ResourceLimitError
        The array would be larger than `max_bytes`.
    """
    slices, left_out = _collect(paths_or_datasets, threads)
    for name, why in left_out:
        LOGGER.debug("left out %s: %s", name, why)
    if not slices:
        raise VolumeError("no image among the inputs" + (
            f" ({len(left_out)} file(s) left out, e.g. {left_out[0][0]}: {left_out[0][1]})"
            if left_out else ""))
    uids: dict[str | None, int] = {}
    for s in slices:
        uids[s.series_uid] = uids.get(s.series_uid, 0) + 1
    if series_uid is not None:
        slices = [s for s in slices if s.series_uid == series_uid]
        if not slices:
            raise VolumeError(f"no slice of series {series_uid} among the inputs "
                              f"({len(uids)} series found)")
    elif len(uids) > 1:
        listing = ", ".join(f"{uid} ({n} slices)" for uid, n in uids.items())
        raise VolumeError(f"{len(uids)} series among the inputs, pass series_uid: {listing}")
    check_consistent(slices)
    geom = plan(slices, spacing_tolerance, keep_first_duplicate)
    ordered = [slices[i] for i in geom.order]
    if rescale and any(s.modality_lut for s in ordered):
        learn_luts(ordered)  # every slice's LUT is needed for the output type
    try:
        out = _assembled(ordered, rescale, dtype, threads, max_bytes, progress)
    except ModalityLutFoundError:
        # a slice read from an ingest record (no sequences) has a Modality LUT: now
        # that the headers say which do, again with the LUT's type
        learn_luts(ordered)
        out = _assembled(ordered, rescale, dtype, threads, max_bytes, progress)
    affine = geom.affine
    resampled = False
    if geom.tilt and resample_tilt:
        out, affine = _resample(out, affine, max_bytes)
        resampled = True
    files = [(s.name, s.frame) for s in ordered]
    return Volume(array=out, affine=affine, files=files, tilt=geom.tilt, resampled=resampled)


def _resample(arr: np.ndarray, affine: np.ndarray,
              max_bytes: int | None) -> tuple[np.ndarray, np.ndarray]:
    """A sheared volume resampled onto an orthogonal grid (as dcm2niix's tilt correction):
    the grid grows by the total in-plane shift, rounded up, so that no voxel is lost, the
    first slice on whole voxels of it; linear interpolation in-plane, 0 outside
    the data."""
    ortho, rows_shift, cols_shift = deshear(affine)
    n = arr.shape[0]
    grow = [math.ceil(abs((n - 1) * s) - 1e-6) for s in (rows_shift, cols_shift)]
    # the first slice lands on whole voxels (dcm2niix's choice)
    offset = [g if s < 0 else 0 for g, s in zip(grow, (rows_shift, cols_shift), strict=True)]
    shape = (n, arr.shape[1] + grow[0], arr.shape[2] + grow[1]) + arr.shape[3:]
    nbytes = int(np.prod(shape, dtype=np.int64)) * arr.itemsize
    _check_cap(nbytes, shape, arr.dtype.name, max_bytes)
    out = np.zeros(shape, dtype=arr.dtype)
    ortho[:3, 3] -= offset[0] * affine[:3, 1] + offset[1] * affine[:3, 2]
    for k in range(n):
        # new grid (u, v) holds slice k's value at (u - offset - k * shift)
        img = np.zeros(shape[1:], dtype=np.float64)
        img[:arr.shape[1], :arr.shape[2]] = arr[k]
        img = _shift_axis(img, offset[0] + k * rows_shift, 0)
        img = _shift_axis(img, offset[1] + k * cols_shift, 1)
        if np.issubdtype(arr.dtype, np.integer):
            info = np.iinfo(arr.dtype)
            img = np.clip(np.rint(img), info.min, info.max)
        out[k] = img
    return out, ortho


def _shift_axis(img: np.ndarray, shift: float, axis: int) -> np.ndarray:
    n = img.shape[axis]
    src = np.arange(n) - shift
    lo = np.floor(src).astype(np.int64)
    frac = src - lo
    out = np.zeros_like(img)
    for idx, weight in ((lo, 1 - frac), (lo + 1, frac)):
        ok = (idx >= 0) & (idx < n)
        taken = np.take(img, np.clip(idx, 0, n - 1), axis=axis)
        w = np.where(ok, weight, 0.0)
        shape = [1] * img.ndim
        shape[axis] = n
        out += taken * w.reshape(shape)
    return out
