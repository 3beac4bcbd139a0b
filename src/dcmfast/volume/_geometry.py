"""Slice geometry: consistency checks, sorting along the slice normal, spacing checks,
duplicate and missing slices, gantry tilt, the affine.

Conventions: the array axes are (slice, row, column); the affine maps those indices to
patient coordinates in mm, LPS as DICOM has them. Its columns are the step from one slice
to the next, the step down one row (the column cosine times the row spacing, Pixel
Spacing's first value) and the step along one row (the row cosine times the column
spacing, Pixel Spacing's second value); its translation is the Image Position
(Patient) of the first slice. Slices are sorted by the projection of their position on
the normal (row cosine x column cosine), ascending.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dcmfast.errors import VolumeError

from ._headers import SliceInfo

__all__ = ["Geometry", "check_consistent", "plan", "ORIENTATION_TOLERANCE"]

LOGGER = logging.getLogger("dcmfast.volume")

# direction cosines of two slices are the same orientation when no component differs
# by more than this
ORIENTATION_TOLERANCE = 1e-4
# Pixel Spacing values are the same when they differ by at most this fraction
PIXEL_SPACING_TOLERANCE = 1e-4
# a shear (gantry tilt) is reported when the in-plane part of the slice step is more than
# this fraction of its part along the normal (0.006 degrees)
TILT_TOLERANCE = 1e-4

_NAMES = 4  # files named in one message


@dataclasses.dataclass
class Geometry:
    order: list[int]  # indices of the slices kept, in volume order
    affine: np.ndarray  # 4x4 float64, (slice, row, column) -> LPS mm
    tilt: float  # degrees between the slice step and the normal (0: none)
    dropped: list[int]  # duplicates left out (keep_first_duplicate)


def _vec(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _names(slices: list[SliceInfo], indices: list[int]) -> str:
    shown = [_where(slices[i]) for i in indices[:_NAMES]]
    more = len(indices) - _NAMES
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _where(s: SliceInfo) -> str:
    if s.frame is None or s.number_of_frames == 1:
        return s.name
    return f"{s.name} frame {s.frame}"


def check_consistent(slices: list[SliceInfo]) -> None:
    """Raise VolumeError unless every slice has a position, an orientation and a pixel
    spacing, and all share the orientation, pixel spacing, size, samples, bits and frame
    of reference of the first."""
    for s in slices:
        if s.position is None:
            raise VolumeError(f"{_where(s)}: no (0020,0032) Image Position (Patient)")
        if s.orientation is None:
            raise VolumeError(f"{_where(s)}: no (0020,0037) Image Orientation (Patient)")
        if s.pixel_spacing is None:
            raise VolumeError(f"{_where(s)}: no (0028,0030) Pixel Spacing")
        if not (s.pixel_spacing[0] > 0 and s.pixel_spacing[1] > 0):
            raise VolumeError(f"{_where(s)}: (0028,0030) Pixel Spacing {list(s.pixel_spacing)} "
                              "is not positive")
        if not s.rows or not s.columns:
            raise VolumeError(f"{_where(s)}: no or zero (0028,0010) Rows / (0028,0011) Columns")
    first = slices[0]
    r, c = _vec(first.orientation[:3]), _vec(first.orientation[3:])  # type: ignore[index]
    if abs(np.linalg.norm(r) - 1) > 1e-3 or abs(np.linalg.norm(c) - 1) > 1e-3 or abs(r @ c) > 1e-3:
        raise VolumeError(f"{_where(first)}: (0020,0037) Image Orientation (Patient) "
                          f"{list(first.orientation)} is not two orthogonal unit vectors")  # type: ignore[arg-type]
    # the two float checks for every slice at once (per slice: the largest difference)
    orient = np.asarray([s.orientation for s in slices], dtype=np.float64)
    spacing = np.asarray([s.pixel_spacing for s in slices], dtype=np.float64)
    orient_ok = np.max(np.abs(orient - orient[0]), axis=1) <= ORIENTATION_TOLERANCE
    spacing_ok = np.max(np.abs(spacing - spacing[0]) / spacing[0], axis=1) <= PIXEL_SPACING_TOLERANCE
    # (what, same as the first slice? (by index and slice), the value shown)
    checks: list[tuple[str, Callable[[int, Any], Any], Callable[[Any], object]]] = [
        ("(0020,0037) Image Orientation (Patient)", lambda i, s: orient_ok[i],
         lambda s: list(s.orientation)),
        ("(0028,0030) Pixel Spacing", lambda i, s: spacing_ok[i], lambda s: list(s.pixel_spacing)),
        ("size (Rows x Columns)", lambda i, s: (s.rows, s.columns) == (first.rows, first.columns),
         lambda s: f"{s.rows} x {s.columns}"),
        ("(0028,0002) Samples per Pixel", lambda i, s: s.samples_per_pixel == first.samples_per_pixel,
         lambda s: s.samples_per_pixel),
        ("(0028,0100) Bits Allocated", lambda i, s: s.bits_allocated == first.bits_allocated,
         lambda s: s.bits_allocated),
        ("(0028,0103) Pixel Representation",
         lambda i, s: s.pixel_representation == first.pixel_representation,
         lambda s: s.pixel_representation),
        ("(0028,0004) Photometric Interpretation", lambda i, s: s.photometric == first.photometric,
         lambda s: s.photometric),
        ("(0020,0052) Frame of Reference UID",
         lambda i, s: s.frame_of_reference == first.frame_of_reference,
         lambda s: s.frame_of_reference),
    ]
    for what, same, show in checks:
        for i in range(1, len(slices)):
            s = slices[i]
            if not same(i, s):
                raise VolumeError(f"inconsistent series: {what} is {show(s)} in {_where(s)} but "
                                  f"{show(first)} in {_where(first)}")


def plan(slices: list[SliceInfo], spacing_tolerance: float = 0.01,
         keep_first_duplicate: bool = False) -> Geometry:
    """Sort `slices` (checked with :func:`check_consistent`) and check their spacing.

    `spacing_tolerance` is the largest difference allowed between a gap and the median
    gap, and between a position and the line through the first and last, as a fraction
    of the slice spacing.
    """
    if not (spacing_tolerance >= 0 and math.isfinite(spacing_tolerance)):
        raise ValueError(f"spacing_tolerance must be a finite number >= 0, not {spacing_tolerance}")
    first = slices[0]
    r, c = _vec(first.orientation[:3]), _vec(first.orientation[3:])  # type: ignore[index]
    r /= np.linalg.norm(r)
    c /= np.linalg.norm(c)
    normal = np.cross(r, c)
    positions = _vec([s.position for s in slices])
    dist = positions @ normal
    order = [int(i) for i in np.argsort(dist, kind="stable")]  # ties: input order
    ps = first.pixel_spacing
    dropped: list[int] = []

    if len(order) > 1:
        gaps = np.diff(dist[order])
        positive = gaps[gaps > 0]
        typical = float(np.median(positive)) if positive.size else 0.0
        dup_limit = max(spacing_tolerance * typical, 1e-6)
        runs: list[list[int]] = []
        for k, gap in enumerate(gaps):
            if gap <= dup_limit:
                if runs and runs[-1][-1] == order[k]:
                    runs[-1].append(order[k + 1])
                else:
                    runs.append([order[k], order[k + 1]])
        if runs:
            if not keep_first_duplicate:
                desc = "; ".join(f"{dist[run[0]]:.4f} mm ({_names(slices, run)})" for run in runs[:_NAMES])
                more = f" and {len(runs) - _NAMES} more" if len(runs) > _NAMES else ""
                raise VolumeError(
                    f"duplicate slice positions along the slice normal: {desc}{more} "
                    "(keep_first_duplicate=True keeps the first of each)")
            for run in runs:
                dropped += sorted(run)[1:]
            LOGGER.warning("%d duplicate slice(s) left out (keep_first_duplicate)", len(dropped))
            gone = set(dropped)
            order = [i for i in order if i not in gone]

    if len(order) == 1:
        step = normal * 1.0  # one slice: unit spacing along the normal
        tilt = 0.0
    else:
        d = dist[order]
        gaps = np.diff(d)
        typical = float(np.median(gaps))
        for k, gap in enumerate(gaps):
            if abs(gap - typical) > spacing_tolerance * typical:
                a, b = order[k], order[k + 1]
                ratio = gap / typical
                if round(ratio) >= 2 and abs(gap - round(ratio) * typical) <= spacing_tolerance * typical:
                    raise VolumeError(
                        f"missing slice(s): {int(round(ratio)) - 1} between {d[k]:.4f} mm "
                        f"({_where(slices[a])}) and {d[k + 1]:.4f} mm ({_where(slices[b])}) along "
                        f"the slice normal, the spacing elsewhere being {typical:.4f} mm")
                raise VolumeError(
                    f"uneven slice spacing: {gap:.4f} mm between {_where(slices[a])} and "
                    f"{_where(slices[b])}, {typical:.4f} mm elsewhere (spacing_tolerance="
                    f"{spacing_tolerance})")
        p = positions[order]
        step = (p[-1] - p[0]) / (len(order) - 1)
        expected = p[0] + np.arange(len(order))[:, None] * step
        off = np.linalg.norm(p - expected, axis=1)
        worst = int(np.argmax(off))
        if off[worst] > spacing_tolerance * np.linalg.norm(step):
            raise VolumeError(
                f"slice positions are not on one line: {_where(slices[order[worst]])} is "
                f"{off[worst]:.4f} mm from the line through the first and last slices")
        along = float(step @ normal)
        inplane = step - along * normal
        ratio = float(np.linalg.norm(inplane)) / along
        tilt = math.degrees(math.atan(ratio)) if ratio > TILT_TOLERANCE else 0.0
        if tilt:
            LOGGER.info("gantry tilt: the slices are sheared by %.4f degrees", tilt)

    affine = np.eye(4)
    affine[:3, 0] = step
    affine[:3, 1] = c * ps[0]  # type: ignore[index]
    affine[:3, 2] = r * ps[1]  # type: ignore[index]
    affine[:3, 3] = positions[order[0]]
    return Geometry(order=order, affine=affine, tilt=tilt, dropped=dropped)


def deshear(affine: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The orthogonal affine of a sheared one (the slice step reduced to its part along
    the normal) and the in-plane shift per slice, in rows and in columns."""
    step = affine[:3, 0]
    c_step, r_step = affine[:3, 1], affine[:3, 2]
    normal = np.cross(r_step, c_step)
    normal /= np.linalg.norm(normal)
    along = float(step @ normal)
    inplane = step - along * normal
    out = affine.copy()
    out[:3, 0] = along * normal
    rows = float(inplane @ c_step) / float(c_step @ c_step)
    cols = float(inplane @ r_step) / float(r_step @ r_step)
    return out, rows, cols
