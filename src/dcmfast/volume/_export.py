"""Export: a Volume to NIfTI (nibabel), an image to PNG (Pillow).

Windowing goes through :mod:`._lut` (pydicom's functions today; dcmfast's compiled
ones once ``dcmfast.pixels.lut`` lands: a one-line change there).
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from dcmfast.errors import DcmfastError, PixelDataError, VolumeError

from . import _lut

__all__ = ["to_nifti", "to_png", "LPS_TO_RAS", "nifti_affine"]

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
# NIfTI voxel (x, y, z) = our (column, row, slice): index permutation as a matrix
_XYZ_TO_KIJ = np.array([[0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]], dtype=np.float64)


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{module} is needed for this: pip install 'dcmfast[{extra}]'") from None


def nifti_affine(affine: np.ndarray) -> np.ndarray:
    """The RAS affine of NIfTI voxel (column, row, slice) from our LPS (slice, row, column) one."""
    ras: np.ndarray = LPS_TO_RAS @ affine @ _XYZ_TO_KIJ
    return ras


def _atomic_save(path: str | os.PathLike[str], save: Any, suffix: str) -> None:
    """`save(tmp)` writes the file at a temporary path ending in `suffix` (the writers
    choose the format by the name), renamed to `path` when done (dcmfast._atomic)."""
    from dcmfast._atomic import atomic_file

    with atomic_file(path, suffix=suffix) as (_, tmp):
        save(tmp)


def _nifti_suffix(path: str) -> str:
    for ext in (".nii.gz", ".nii", ".img.gz", ".img"):
        if path.lower().endswith(ext):
            return ext
    raise ValueError(f"{path}: a NIfTI file name ends in .nii or .nii.gz")


def to_nifti(volume: Any, path: str | os.PathLike[str] | None = None) -> Any:
    """`volume` as a nibabel Nifti1Image (RAS affine as sform, and as qform when it is not
    sheared); saved to `path` atomically when given."""
    nib = _need("nibabel", "nifti")
    arr = volume.array
    if arr.ndim == 4:
        if arr.shape[3] != 3 or arr.dtype != np.uint8:
            raise VolumeError("only 8-bit RGB colour volumes can be written as NIfTI")
        rgb = np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1")])
        data = np.ascontiguousarray(arr).view(rgb)[..., 0].transpose(2, 1, 0)
    else:
        data = arr.transpose(2, 1, 0)
    affine = nifti_affine(volume.affine)
    img = nib.Nifti1Image(data, affine)
    img.set_sform(affine, code=1)
    if getattr(volume, "tilt", 0) and not getattr(volume, "resampled", False):
        img.set_qform(None, code=0)  # a shear has no quaternion form
    else:
        img.set_qform(affine, code=1)
    img.header.set_xyzt_units("mm")
    if path is not None:
        suffix = _nifti_suffix(os.fspath(path))
        _atomic_save(path, lambda p: nib.save(img, p), suffix)
    return img


def _dataset(src: Any) -> Any:
    if isinstance(src, (str, os.PathLike, bytes, bytearray, memoryview)):
        from dcmfast.reader import dcmread

        try:
            return dcmread(src)
        except OSError as exc:
            name = "input" if isinstance(src, (bytes, bytearray, memoryview)) else os.fspath(src)
            raise VolumeError(f"{name}: {exc.strerror or exc}") from exc
    return src


def to_png(ds_or_array: Any, path: str | os.PathLike[str], window: tuple[float, float] | None = None,
           frame: int | None = None) -> None:
    """Write one frame as an 8-bit PNG (Pillow: ``dcmfast[png]``), atomically.

    Grey images: the modality rescale, then `window` (centre, width) or the file's first
    window (VOI LUT Sequence or Window Center / Width), else the image's own range;
    MONOCHROME1 is inverted. Colour images are kept (as RGB). An array (no dataset) is
    windowed with `window` or its range. `frame`: which frame of a multi-frame image
    (default the first).

    Parameters
    ----------
    ds_or_array : Dataset or numpy.ndarray
        The image.
    path : str or PathLike
        The PNG file.
    window : tuple of (float, float), optional
        (centre, width).
    frame : int, optional
        The frame of a multi-frame image.

    Raises
    ------
    ImportError
        Pillow is not installed.
    """
    image = _need("PIL.Image", "png")
    ds = None
    if isinstance(ds_or_array, np.ndarray):
        arr = ds_or_array
        if frame is not None:
            arr = arr[frame]
    else:
        ds = _dataset(ds_or_array)
        from dcmfast.pixels import pixel_array

        frames = int(ds.get("NumberOfFrames") or 1)
        index = frame if frame is not None else (0 if frames > 1 else None)
        if index is not None and not 0 <= index < frames:
            raise PixelDataError(f"frame {index} asked for, the image has {frames}")
        arr = pixel_array(ds, index=index)
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        out = arr if arr.dtype == np.uint8 else _to_8bit(arr.astype(np.float64), 0.0,
                                                         float(np.iinfo(arr.dtype).max))
        mode = "RGB" if arr.shape[-1] == 3 else "RGBA"
    elif arr.ndim == 2:
        out = _grey(arr, ds, window)
        mode = "L"
    else:
        raise PixelDataError(f"cannot write an array of shape {arr.shape} as a PNG image")
    img = image.fromarray(np.ascontiguousarray(out), mode=mode)
    _atomic_save(path, lambda p: img.save(p, format="PNG"), ".png")


def _grey(arr: np.ndarray, ds: Any, window: tuple[float, float] | None) -> np.ndarray:
    if ds is None:
        if window is not None:
            c, w = window
            lo, hi = c - w / 2, c + w / 2
            return _to_8bit(np.clip(arr.astype(np.float64), lo, hi), lo, hi)
        return _to_8bit(arr.astype(np.float64), float(arr.min()), float(arr.max()))
    try:
        pds = _lut.as_pydicom(ds)
        values = _lut.apply_modality_lut(arr, pds)
        if window is not None:
            pds.WindowCenter, pds.WindowWidth = window[0], window[1]
            if "VOILUTSequence" in pds:
                del pds.VOILUTSequence
            values, lo, hi = _lut.window(values, pds)
        elif "WindowCenter" in pds and "WindowWidth" in pds or "VOILUTSequence" in pds:
            values, lo, hi = _lut.window(values, pds)
        else:
            lo, hi = float(values.min()), float(values.max())
    except DcmfastError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise PixelDataError(f"cannot window the image: {type(exc).__name__}: {exc}") from exc
    out = _to_8bit(values.astype(np.float64), lo, hi)
    if str(ds.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1":
        out = 255 - out
    return out


def _to_8bit(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if hi <= lo:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = (values - lo) * (255.0 / (hi - lo))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
