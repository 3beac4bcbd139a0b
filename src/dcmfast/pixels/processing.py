"""Processing shared by every decoder: unused-bit correction, shaping, YBR -> RGB.

Each step follows pydicom 3's ``Decoder.as_array`` so the arrays are equal to
pydicom's, and each is done by a GIL-free kernel on the decoded buffer, in
place when the buffer is ours. A view on the caller's buffer is never changed:
it is kept as is when the correction would change nothing, copied otherwise.
"""
from __future__ import annotations

import logging

import numpy as np

from dcmfast._core import colour, unpack
from dcmfast.errors import PixelDataError

from ._decoded import Decoded
from .description import PixelDescription

__all__ = ["clear_high_bits", "correct_unused_bits", "shape", "to_rgb"]

LOGGER = logging.getLogger(__name__)

_YBR_FULL = ("YBR_FULL", "YBR_FULL_422")


def _bytes_of(arr: np.ndarray) -> np.ndarray:
    """A flat uint8 view of a C-contiguous array."""
    return arr.reshape(-1).view(np.uint8)


def clear_high_bits(flat: np.ndarray, bits: int, signed: bool, owned: bool) -> np.ndarray:
    """`flat` with every value reduced to its low `bits` bits, zero- or sign-extended:
    pydicom's ``(v << shift) >> shift``. In place when `owned`; a view is kept when
    nothing would change, else copied first."""
    itemsize = flat.dtype.itemsize
    if not 0 < bits < 8 * itemsize:
        return flat
    if not owned:
        if not unpack.unused_bits_set(_bytes_of(flat), itemsize, bits, signed):
            return flat
        flat = flat.copy()
    unpack.correct_unused_bits(_bytes_of(flat), itemsize, bits, signed)
    return flat


def correct_unused_bits(decoded: Decoded, enabled: bool = True) -> Decoded:
    """pydicom's ``correct_unused_bits`` step for integer data with Bits Stored <
    Bits Allocated."""
    desc = decoded.desc
    if not (enabled and desc.is_integer and desc.bits_allocated > desc.bits_stored):
        return decoded
    flat = clear_high_bits(decoded.flat, desc.bits_stored, bool(desc.pixel_representation),
                           decoded.owned)
    return decoded._replace(flat=flat, owned=decoded.owned or flat is not decoded.flat)


def shape(decoded: Decoded, single_frame: bool) -> np.ndarray:
    """Reshape as pydicom does: (frames,) rows, columns (, samples), colour-by-pixel.

    A frames axis is present when several frames were asked for or the data has
    more than one frame and no index was given.
    """
    desc = decoded.desc
    flat = decoded.flat
    frames = decoded.frames
    lead = () if single_frame or (frames == 1 and desc.number_of_frames == 1) else (frames,)
    if desc.samples_per_pixel == 1:
        return flat.reshape(*lead, desc.rows, desc.columns)
    if desc.planar_configuration == 0:
        return flat.reshape(*lead, desc.rows, desc.columns, desc.samples_per_pixel)
    arr = flat.reshape(*lead, desc.samples_per_pixel, desc.rows, desc.columns)
    return np.moveaxis(arr, -3, -1)


def to_rgb(arr: np.ndarray, desc: PixelDescription, owned: bool) -> tuple[np.ndarray, PixelDescription]:
    """Convert YBR_FULL / YBR_FULL_422 samples to RGB (pydicom's default); other
    photometric interpretations (PALETTE COLOR, MONOCHROME1, ...) are left as stored."""
    if desc.photometric_interpretation not in _YBR_FULL or desc.samples_per_pixel != 3:
        return arr, desc
    if arr.dtype != np.uint8:
        raise PixelDataError(
            f"Invalid ndarray.dtype '{arr.dtype}' for color space conversion, must be 'uint8'")
    if owned and arr.flags.c_contiguous:
        out = arr
    else:
        out = np.empty(arr.shape, dtype=np.uint8)
        arr = np.ascontiguousarray(arr)
    colour.ybr_full_to_rgb(_bytes_of(arr), _bytes_of(out))
    return out, desc.replace(photometric_interpretation="RGB")
