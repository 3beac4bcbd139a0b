"""The codecs of the optional ``imagecodecs`` package (``dcmfast[codecs]``): OpenJPEG
(JPEG 2000 and HTJ2K decoding, JPEG 2000 lossless encoding), OpenJPH (HTJ2K encoding)
and CharLS (JPEG-LS decoding). Its Cython wrappers release the GIL while the C library works, so frames
decoded or encoded through them go to the worker pool.

imagecodecs is imported on first use, never by ``import dcmfast``; whether it is used
for a transfer syntax is :func:`dcmfast.pixels.codec_backends`.
"""
from __future__ import annotations

import importlib
import struct
from typing import Any, NamedTuple

import numpy as np

__all__ = ["module", "available", "siz_info", "SizInfo", "j2k_decode", "jpegls_decode",
           "htj2k_encode", "j2k_encode", "versions"]

_UNSET: Any = object()
_MODULE: Any = _UNSET
# the codec classes of imagecodecs each use needs (kind -> attribute)
_NEEDS = {"j2k": "JPEG2K", "htj2k": "HTJ2K", "jpegls": "JPEGLS"}
_SIZ = struct.Struct(">HHIIIIIIIIH")  # Lsiz .. Csiz, after the SIZ marker


def module() -> Any:
    """The imagecodecs module, None when it is not installed (looked up once)."""
    global _MODULE
    if _MODULE is _UNSET:
        try:
            _MODULE = importlib.import_module("imagecodecs")
        except ImportError:
            _MODULE = None
    return _MODULE


def available(kind: str) -> bool:
    """Whether imagecodecs is installed with the codec for `kind` ("j2k", "htj2k", "jpegls")."""
    mod = module()
    if mod is None:
        return False
    codec = getattr(mod, _NEEDS[kind], None)
    return bool(getattr(codec, "available", False))


def versions() -> dict[str, str]:
    """The library behind each codec, e.g. {"j2k": "openjpeg 2.5.4", ...}."""
    mod = module()
    if mod is None:
        return {}
    names = {"j2k": "jpeg2k_version", "htj2k": "htj2k_version", "jpegls": "jpegls_version"}
    out = {}
    for kind, fn in names.items():
        try:
            out[kind] = str(getattr(mod, fn)())
        except Exception:  # noqa: BLE001 - a version string is informative only
            out[kind] = "imagecodecs"
    return out


class SizInfo(NamedTuple):
    rows: int
    columns: int
    precision: int
    signed: bool
    components: int


def siz_info(src: bytes) -> SizInfo | None:
    """Image size and component 0's precision / signedness from a JPEG 2000 codestream's
    SIZ marker segment (a raw codestream or one inside a JP2 file), None if unreadable."""
    pos = src.find(b"\xff\x4f\xff\x51", 0, 4096)
    if pos < 0:
        return None
    try:
        (_, _, xsiz, ysiz, xo, yo, _, _, _, _, csiz) = _SIZ.unpack_from(src, pos + 4)
        ssiz = src[pos + 4 + _SIZ.size]
    except (struct.error, IndexError):
        return None
    if xsiz <= xo or ysiz <= yo or csiz < 1:
        return None
    return SizInfo(ysiz - yo, xsiz - xo, (ssiz & 0x7F) + 1, bool(ssiz & 0x80), csiz)


def j2k_decode(src: bytes) -> np.ndarray:
    """A JPEG 2000 / HTJ2K frame decoded by OpenJPEG (GIL released), colour-by-pixel."""
    return np.ascontiguousarray(module().jpeg2k_decode(src))


def jpegls_decode(src: bytes) -> np.ndarray:
    """A JPEG-LS frame decoded by CharLS (GIL released), colour-by-pixel."""
    return np.ascontiguousarray(module().jpegls_decode(src))


def htj2k_encode(frame: np.ndarray, *, reversible: bool, quantization_step: float | None,
                 rpcl_options: bool) -> bytes:
    """One frame ((rows, columns) or (rows, columns, samples), colour-by-pixel) as an HTJ2K
    codestream by OpenJPH (GIL released), without a colour transform. OpenJPH's default
    progression order is RPCL; `rpcl_options` adds what PS3.5 asks of
    1.2.840.10008.1.2.4.202 besides: a TLM marker segment and tile-parts split at
    resolution boundaries."""
    opts: dict[str, Any] = {"reversible": reversible, "rgb": False}
    if frame.ndim == 3:
        opts["planar"] = False
    if quantization_step is not None:
        opts["level"] = quantization_step
    if rpcl_options:
        opts.update(tlm=True, tilepart=1)
    return bytes(module().htj2k_encode(np.ascontiguousarray(frame), **opts))


def j2k_encode(frame: np.ndarray, bits_stored: int) -> bytes:
    """One frame as a lossless JPEG 2000 codestream (J2K, reversible 5/3 wavelet, no
    colour transform, precision `bits_stored`) by OpenJPEG (GIL released)."""
    mod = module()
    opts: dict[str, Any] = {"codecformat": mod.JPEG2K.CODEC.J2K, "reversible": True,
                            "mct": False, "bitspersample": bits_stored, "numthreads": 1}
    if frame.ndim == 3:
        opts["planar"] = False
    return bytes(mod.jpeg2k_encode(np.ascontiguousarray(frame), **opts))
