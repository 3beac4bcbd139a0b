"""Series built from the corpora's single-frame CT / MR files with known geometry, written
with ``dcmfast.dcmwrite``: the inputs of the volume tests (and of the benchmark).

Each slice's pixels differ (the source image rolled by k rows, plus k), so a slice put in
the wrong place changes the array.
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pydicom.data

import dcmfast
from dcmfast.pixels import pixel_array

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
_a = np.radians(20.0)
_b = np.radians(-15.0)
_r = np.array([np.cos(_a), np.sin(_a), 0.0])
_c = np.array([-np.sin(_a) * np.cos(_b), np.cos(_a) * np.cos(_b), np.sin(_b)])
OBLIQUE = tuple(float(v) for v in np.concatenate([_r, _c]))


def fmt(v: float) -> str:
    """A DS string of at most 16 characters."""
    text = f"{v:.10g}"
    if len(text) > 16:
        text = f"{v:.8g}"
    return text


def build_series(folder: Path, n: int = 6, *, source: str = "CT_small.dcm",
                 orientation: tuple[float, ...] = AXIAL, spacing: float = 2.5,
                 origin: tuple[float, float, float] = (-120.5, -95.25, 33.0),
                 tilt_deg: float = 0.0, order: str = "reversed", missing: int | None = None,
                 duplicate: int | None = None, slopes: list[tuple[float, float]] | None = None,
                 series_uid: str | None = None, seed: int = 1, rle: bool = False) -> list[Path]:
    """Write `n` slices of `source` into `folder`; returns the paths in positional order
    (along the normal), without the missing slice, with the duplicate after its twin.

    `order` is the order of the file names and instance numbers: "reversed" (instance 1
    is the last position), "shuffled" or "forward". `tilt_deg` shears the positions
    along the column direction (a gantry tilt; GantryDetectorTilt set to it).
    """
    folder.mkdir(parents=True, exist_ok=True)
    base = dcmfast.dcmread(pydicom.data.get_testdata_file(source))
    pixels = np.asarray(pixel_array(base)).copy()
    r = np.array(orientation[:3])
    c = np.array(orientation[3:])
    normal = np.cross(r, c)
    step = normal * spacing - c * spacing * np.tan(np.radians(tilt_deg))  # dcm2niix's sign
    uid = series_uid or dcmfast_uid(seed, 0)
    ks = [k for k in range(n) if k != missing]
    if duplicate is not None:
        ks.insert(ks.index(duplicate) + 1, duplicate)
    names = list(range(len(ks)))
    if order == "reversed":
        names = names[::-1]
    elif order == "shuffled":
        random.Random(seed).shuffle(names)
    paths = []
    for idx, k in enumerate(ks):
        ds = dcmfast.dcmread(pydicom.data.get_testdata_file(source))
        pos = np.array(origin) + k * step
        ds.ImagePositionPatient = [fmt(v) for v in pos]
        ds.ImageOrientationPatient = [fmt(v) for v in orientation]
        ds.SliceLocation = fmt(float(pos @ normal))
        ds.SeriesInstanceUID = uid
        ds.SOPInstanceUID = dcmfast_uid(seed, 1000 + idx)
        ds.InstanceNumber = names[idx] + 1
        if tilt_deg:
            ds.GantryDetectorTilt = fmt(tilt_deg)
        if slopes is not None:
            ds.RescaleSlope, ds.RescaleIntercept = fmt(slopes[k][0]), fmt(slopes[k][1])
        img = np.roll(pixels, k, axis=0) + (k if idx == ks.index(k) else 50 + k)
        ds.PixelData = np.ascontiguousarray(img.astype(pixels.dtype)).tobytes()
        if rle:
            ds = _rle(ds)
        path = folder / f"IM{names[idx]:04d}.dcm"
        dcmfast.dcmwrite(path, ds)
        paths.append(path)
    return paths


def _rle(ds: dcmfast.Dataset) -> dcmfast.Dataset:
    from dcmfast.pixels import encapsulate, rle_encode

    arr = pixel_array(ds)
    frames = rle_encode(arr)
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.5"
    return ds


def dcmfast_uid(seed: int, k: int) -> str:
    return f"1.2.826.0.1.3680043.10.543.{seed}.{k}"
