"""Native (uncompressed) pixel data: Implicit/Explicit VR Little Endian, Deflated,
Explicit VR Big Endian.

Little-endian 8/16/32/64-bit samples come back as a read-only view on the Pixel
Data bytes (no copy; ``arr.copy()`` gives a writable array). Big-endian samples are swapped
into a new array, 1-bit data is unpacked and YBR_FULL_422 upsampled, each by a
GIL-free kernel of :mod:`dcmfast._core.unpack`. Lengths are checked as pydicom
3 checks them: missing bytes raise, excess whole frames are returned (unless
``allow_excess_frames=False``), other excess bytes are ignored.
"""
from __future__ import annotations

import logging
import math

import numpy as np

from dcmfast._core import unpack
from dcmfast.errors import PixelDataError

from ._decoded import Decoded
from .description import PixelDescription

__all__ = ["decode"]

LOGGER = logging.getLogger(__name__)


def _stored_frame_length(desc: PixelDescription) -> float:
    """Bytes of one stored frame; fractional for 1-bit frames not ending on a byte."""
    if desc.bits_allocated == 1:
        return desc.frame_pixels / 8
    length = desc.frame_pixels * (desc.bits_allocated // 8)
    if desc.photometric_interpretation == "YBR_FULL_422":
        length = length // 3 * 2
    return length


def _check_length(desc: PixelDescription, frame_length: float, allow_excess_frames: bool) -> PixelDescription:
    """pydicom's buffer validation; returns `desc` with excess frames counted in."""
    expected = math.ceil(frame_length * desc.number_of_frames)
    actual = len(desc.data)
    padded = expected + expected % 2
    if actual < padded:
        if actual != expected:
            raise PixelDataError(
                f"The number of bytes of pixel data is less than expected ({actual} vs "
                f"{padded} bytes) - the dataset may be corrupted, have an invalid group "
                "0028 element value, or the transfer syntax may be incorrect")
        return desc
    if actual == padded:
        return desc
    if desc.photometric_interpretation == "YBR_FULL_422":
        ybr_length = expected // 2 * 3
        if actual >= ybr_length + ybr_length % 2:
            raise PixelDataError(
                f"The number of bytes of pixel data is a third larger than expected ({actual} "
                f"vs {expected} bytes) which indicates the (0028,0004) 'Photometric "
                "Interpretation' value of 'YBR_FULL_422' is incorrect and may need to be "
                "changed to either 'RGB' or 'YBR_FULL'")
    elif allow_excess_frames:
        whole_frames = int(actual // frame_length)
        if whole_frames > desc.number_of_frames:
            LOGGER.warning(
                "The pixel data holds %d whole frames, more than the (0028,0008) 'Number of "
                "Frames' value of %d; the extra frames are returned (pass "
                "allow_excess_frames=False to drop them)", whole_frames, desc.number_of_frames)
            return desc.replace(number_of_frames=whole_frames)
    LOGGER.info("The pixel data is %d bytes long: %d bytes of excess padding are ignored",
                actual, actual - expected)
    return desc


def _swapped(data: memoryview, start: int, stop: int, itemsize: int) -> np.ndarray:
    """Bytes data[start:stop] as a new buffer with every `itemsize`-byte value swapped.

    The swap works on whole values aligned to the start of `data`, so a range that
    does not begin or end on a value boundary (8-bit data stored as big-endian OW)
    swaps the enclosing values and returns the requested bytes of the result.
    """
    lo = start - start % itemsize
    hi = min(stop + (-stop) % itemsize, len(data) - len(data) % itemsize)
    out = np.empty(hi - lo, dtype=np.uint8)
    unpack.byteswap(data[lo:hi], itemsize, out)
    if (hi - lo) < (stop - lo):
        raise PixelDataError(f"The pixel data ends before byte {stop}")
    return out[start - lo : stop - lo]


def decode(desc: PixelDescription, index: int | None, *, allow_excess_frames: bool = True) -> Decoded:
    """The samples of frame `index` (all frames when None) of native pixel data."""
    frame_length = _stored_frame_length(desc)
    desc = _check_length(desc, frame_length, allow_excess_frames)
    first, count = (0, desc.number_of_frames) if index is None else (index, 1)
    if index is not None and not 0 <= index < desc.number_of_frames:
        raise PixelDataError(
            f"Frame index {index} is out of range: the pixel data has {desc.number_of_frames} frames")
    data = desc.data
    dtype = np.dtype(desc.dtype_str)
    if desc.bits_allocated == 1 or not desc.syntax.little_endian or \
            desc.photometric_interpretation == "YBR_FULL_422":
        # these allocate their output (little-endian data is returned as a view)
        desc.check_alloc(count * desc.frame_bytes, "the unpacked pixel data")

    if desc.bits_allocated == 1:
        pixels = desc.frame_pixels
        bit_start = first * pixels
        out = np.empty(pixels * count, dtype=np.uint8)
        byte_start = bit_start // 8
        unpack.unpack_bits(data[byte_start:], bit_start % 8, pixels * count, out)
        return Decoded(out, desc, count, True)

    length = int(frame_length)
    start, stop = first * length, (first + count) * length
    if stop > len(data):
        raise PixelDataError(f"There is insufficient pixel data to contain {first + count} frames")
    owned = True
    if desc.syntax.little_endian:
        flat = np.frombuffer(data[start:stop], dtype=dtype)
        flat.setflags(write=False)  # a view of the source: read-only (see Dataset.pixel_array)
        owned = False
    elif dtype.itemsize == 1:
        # 8-bit big endian: as stored, unless written as OW (byte pairs swapped)
        swap_ow = desc.pixel_vr == "OW" and desc.pixel_keyword == "PixelData"
        if swap_ow:
            flat = _swapped(data, start, stop, 2)
        else:
            flat = np.frombuffer(data[start:stop], dtype)
            flat.setflags(write=False)
        owned = swap_ow
    else:
        flat = _swapped(data, start, stop, dtype.itemsize).view(dtype)

    if desc.photometric_interpretation == "YBR_FULL_422":
        full = np.empty(flat.size // 2 * 3, dtype=dtype)
        unpack.expand_ybr422(flat.view(np.uint8), dtype.itemsize, full.view(np.uint8))
        return Decoded(full, desc.replace(photometric_interpretation="YBR_FULL"), count, True)
    return Decoded(flat, desc, count, owned)
