"""Transcode a DICOM file to another transfer syntax: :func:`transcode`.

Compressed targets go through :func:`dcmfast.pixels.compress` (after decompressing a
compressed source), uncompressed ones through :func:`dcmfast.pixels.decompress` and
the writer. A lossless result is decoded back and compared with the source's pixels
before anything is written; the output file is written atomically.
"""
from __future__ import annotations

import os
from typing import Any

from dcmfast.errors import PixelDataError, UnsupportedTransferSyntaxError

from ._syntax import SYNTAXES, lookup
from .codec import (
    HTJ2K,
    JPEG2000,
    JPEG2000_LOSSLESS,
    JPEG_LS,
    RLE_LOSSLESS,
    compress,
    decompress,
)

__all__ = ["transcode", "SYNTAX_NAMES", "LOSSY"]

# short names (the command line's --syntax) -> transfer syntax UID
SYNTAX_NAMES = {
    "rle": RLE_LOSSLESS,
    "j2k": JPEG2000_LOSSLESS,
    "j2k-lossy": JPEG2000,
    "htj2k": HTJ2K[0],
    "htj2k-rpcl": HTJ2K[1],
    "jpegls": JPEG_LS[0],
    "explicit": "1.2.840.10008.1.2.1",
    "implicit": "1.2.840.10008.1.2",
    "deflated": "1.2.840.10008.1.2.1.99",
    "big": "1.2.840.10008.1.2.2",
}
LOSSY = {JPEG2000, HTJ2K[2], "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
         "1.2.840.10008.1.2.4.81"}

_DEFAULT_J2K_CR = [10.0]


def _resolve(syntax: str) -> str:
    uid = SYNTAX_NAMES.get(syntax, syntax)
    if uid not in SYNTAXES:
        raise UnsupportedTransferSyntaxError(f"Unknown transfer syntax '{syntax}'")
    return uid


def transcode(src: Any, dst: str | os.PathLike[str], transfer_syntax_uid: str, *,
              j2k_cr: list[float] | None = None, j2k_psnr: list[float] | None = None,
              threads: int | None = None, verify: bool = True, fsync: bool = False) -> None:
    """Read `src` (a path or bytes), convert it to `transfer_syntax_uid` (a UID or one of
    :data:`SYNTAX_NAMES`) and write it to `dst` atomically.

    Lossless targets keep the SOP Instance UID; a lossy one (``j2k-lossy``, default
    compression ratio 10) gets a new one and the Lossy Image Compression elements. With
    `verify` (default) a lossless result is decoded back and must give the source's
    pixel array, else :class:`PixelDataError` is raised and `dst` is left untouched.

    Parameters
    ----------
    src : str, PathLike or bytes
        The DICOM file.
    dst : str or PathLike
        The file written.
    transfer_syntax_uid : str
        The target: a UID, or ``rle``, ``j2k``, ``j2k-lossy``, ``htj2k``, ``explicit``,
        ``implicit``, ``deflated``, ``big``.
    j2k_cr, j2k_psnr : list of float, optional
        JPEG 2000 compression ratios or peak signal-to-noise ratios (lossy only).
    threads : int, optional
        Threads decoding and encoding frames (default: every CPU).
    verify : bool
        Decode a lossless result back and compare it with the source's pixels.
    fsync : bool
        Flush `dst` to the disk before it is renamed into place.

    Raises
    ------
    UnsupportedTransferSyntaxError
        No encoder (or decoder) for a syntax.
    PixelDataError
        The verification failed (`dst` is not written).
    """
    import dcmfast
    from dcmfast.filewriter import _write_atomic

    uid = _resolve(transfer_syntax_uid)
    target = SYNTAXES[uid]
    lossy = uid in LOSSY
    ds = dcmfast.dcmread(src)
    meta = getattr(ds, "file_meta", None) or {}
    source = lookup(str(meta.get("TransferSyntaxUID", "") or ""))
    has_pixels = "PixelData" in ds
    reference = None
    if verify and not lossy and has_pixels:
        reference = _pixel_array()(ds, threads=threads)
    if source is not None and source.uid == uid:
        pass  # already there: written again as it is
    elif target.encapsulated:
        if not has_pixels:
            raise PixelDataError(f"No (7FE0,0010) 'Pixel Data' to encode as '{target.name}'")
        if source is not None and source.encapsulated:
            decompress(ds, generate_instance_uid=False, threads=threads)
        if uid == JPEG2000 and not j2k_cr and not j2k_psnr:
            j2k_cr = _DEFAULT_J2K_CR
        compress(ds, uid, generate_instance_uid=lossy, j2k_cr=j2k_cr, j2k_psnr=j2k_psnr,
                 threads=threads)
    else:
        if has_pixels and source is not None and source.encapsulated:
            decompress(ds, generate_instance_uid=False, threads=threads)
        ds.file_meta.TransferSyntaxUID = uid
    data = dcmfast.dcmwrite_bytes(ds, implicit_vr=uid == "1.2.840.10008.1.2",
                                  little_endian=target.little_endian)
    if reference is not None:
        import numpy as np

        back = _pixel_array()(dcmfast.dcmread(data), threads=threads)
        if back.shape != reference.shape or back.dtype != reference.dtype or not np.array_equal(
                back, reference):
            raise PixelDataError(f"Transcoding to '{target.name}' did not give back the same "
                                 "pixels; nothing was written")
    _write_atomic(os.fspath(dst), [data], True, fsync)


def _pixel_array() -> Any:
    """dcmfast.pixels.pixel_array (the package imports this module: imported on use)."""
    from dcmfast.pixels import pixel_array

    return pixel_array
