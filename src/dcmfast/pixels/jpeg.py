"""JPEG, JPEG-LS and JPEG 2000 / HTJ2K frames.

Backends (:func:`codec_backends` says which serves each syntax, and each decode logs
it at DEBUG): with ``imagecodecs`` installed (``dcmfast[codecs]``), JPEG-LS frames are
decoded by its CharLS and JPEG 2000 / HTJ2K frames by its OpenJPEG, both releasing the
GIL, so frames go to the worker pool; without it, JPEG-LS goes to pylibjpeg-libjpeg and
JPEG 2000 to pylibjpeg-openjpeg, one frame after the other (both hold the GIL). JPEG
baseline / extended / lossless stay on pylibjpeg-libjpeg: libjpeg-turbo's IDCT gives
other lossy pixels than pydicom's plugin. There is no silent fallback: when the backend
of a syntax fails, its error is raised.

The codec packages are optional and imported on first use; a missing one raises
:class:`UnsupportedTransferSyntaxError` naming the syntax and what to install.
The codestream header is read first (dimensions checked against the dataset
before the codec allocates anything) and the result is adjusted as pydicom 3
adjusts it: JPEG colour space from component IDs / JFIF markers, JPEG-LS and
JPEG 2000 container size from the codestream precision, and their sign
correction.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import struct
from typing import Any, NamedTuple

import numpy as np

from dcmfast.errors import PixelDataError, UnsupportedTransferSyntaxError

from . import _imagecodecs, encaps
from ._decoded import Decoded
from ._pool import map_frames
from .description import PixelDescription
from .processing import clear_high_bits

__all__ = ["decode", "codestream_info", "codec_backends", "RELEASES_GIL", "USE_IMAGECODECS"]

LOGGER = logging.getLogger(__name__)

# kind -> (module, pip requirement that provides it)
_CODECS = {
    "jpeg": ("libjpeg", "dcmfast[jpeg] (pylibjpeg-libjpeg)"),
    "jpegls": ("libjpeg", "dcmfast[jpeg] (pylibjpeg-libjpeg)"),
    "j2k": ("openjpeg", "pylibjpeg-openjpeg"),
}
# Whether the pylibjpeg binding lets other threads run while it decodes a frame: frames
# go to the worker pool only then. Measured with pylibjpeg-libjpeg 2.3 and
# pylibjpeg-openjpeg 2.6 (benchmarks/scripts/codec_bench.py): both hold the GIL for the
# whole call, two threads decode no faster than one. imagecodecs' codecs release it
# (measured in the same script): their frames always go to the pool.
RELEASES_GIL: dict[str, bool] = {"jpeg": False, "jpegls": False, "j2k": False}
# decode JPEG-LS and JPEG 2000 / HTJ2K through imagecodecs when it is installed
USE_IMAGECODECS = True
_PYLIBJPEG = {"jpeg": "pylibjpeg-libjpeg", "jpegls": "pylibjpeg-libjpeg", "j2k": "pylibjpeg-openjpeg"}
_SOF = {0xFFC0 + n for n in range(16)} - {0xFFC4, 0xFFC8, 0xFFCC} | {0xFFF7}
_RGB_IDS = ([82, 71, 66], [114, 103, 98])  # "RGB" / "rgb" component IDs
_U16 = struct.Struct(">H")


class CodestreamInfo(NamedTuple):
    precision: int
    rows: int
    columns: int
    component_ids: list[int]
    jfif: bool


def codestream_info(src: bytes) -> CodestreamInfo | None:
    """The SOF parameters of a JPEG / JPEG-LS codestream, None if unreadable."""
    if src[:2] != b"\xff\xd8":
        return None
    pos, jfif = 2, False
    try:
        while True:
            (marker,) = _U16.unpack_from(src, pos)
            (length,) = _U16.unpack_from(src, pos + 2)
            if marker in _SOF:
                precision = src[pos + 4]
                (rows,) = _U16.unpack_from(src, pos + 5)
                (columns,) = _U16.unpack_from(src, pos + 7)
                ids = [src[pos + 10 + 3 * k] for k in range(src[pos + 9])]
                return CodestreamInfo(precision, rows, columns, ids, jfif)
            if 0xFFE0 <= marker <= 0xFFEF and src[pos + 4 : pos + 8] == b"JFIF":
                jfif = True
            if marker >> 8 != 0xFF or length < 2:
                return None
            pos += 2 + length
    except (struct.error, IndexError):
        return None


def _codec(desc: PixelDescription) -> Any:
    kind = desc.syntax.kind
    module, requirement = _CODECS[kind]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UnsupportedTransferSyntaxError(
            f"Decoding '{desc.syntax.name}' ({desc.transfer_syntax_uid}) pixel data needs "
            f"{module}: pip install {requirement}") from None


def _uses_imagecodecs(kind: str) -> bool:
    return USE_IMAGECODECS and kind in ("jpegls", "j2k") and _imagecodecs.available(kind)


def codec_backends(encode: bool = False) -> dict[str, str]:
    """Which library decodes (or encodes) each encapsulated transfer syntax here.

    Parameters
    ----------
    encode : bool
        List the encoders instead of the decoders.

    Returns
    -------
    dict of str to str
        Transfer Syntax UID -> the library, e.g. ``"imagecodecs (openjpeg 2.5.4)"``,
        ``"pylibjpeg-libjpeg"``, ``"dcmfast"``, or ``"none (pip install ...)"`` when
        the codec is missing.
    """
    from ._syntax import SYNTAXES

    if encode:
        from .codec import encode_backends

        return encode_backends()
    versions = _imagecodecs.versions()
    out = {}
    for uid, syntax in SYNTAXES.items():
        if syntax.kind == "native":
            continue
        if syntax.kind == "rle":
            out[uid] = "dcmfast"
        elif _uses_imagecodecs(syntax.kind):
            out[uid] = f"imagecodecs ({versions.get(syntax.kind, '')})"
        else:
            module, requirement = _CODECS[syntax.kind]
            found = importlib.util.find_spec(module) is not None
            out[uid] = _PYLIBJPEG[syntax.kind] if found else f"none (pip install {requirement})"
    return out


def _conform_colour(desc: PixelDescription, info: CodestreamInfo) -> PixelDescription:
    """pydicom's JPEG colour space checks on the codestream."""
    if desc.samples_per_pixel != 3:
        return desc
    pi = desc.photometric_interpretation
    if info.component_ids in _RGB_IDS:
        if pi != "RGB":
            LOGGER.warning("The (0028,0004) 'Photometric Interpretation' is '%s' but the "
                           "codestream's component IDs indicate 'RGB'", pi)
            return desc.replace(photometric_interpretation="RGB")
        return desc
    if info.jfif and "YBR" not in pi:
        cs = "YBR_FULL_422" if desc.transfer_syntax_uid == "1.2.840.10008.1.2.4.50" else "YBR_FULL"
        LOGGER.warning("The (0028,0004) 'Photometric Interpretation' is '%s' but the "
                       "codestream has a JFIF APP marker, which indicates '%s'", pi, cs)
        return desc.replace(photometric_interpretation=cs)
    return desc


def _container_bits(precision: int, widths: tuple[int, ...]) -> int:
    return next((w for w in widths if precision <= w), widths[-1])


class _FrameDecoder:
    """Decodes one frame; remembers what the codestreams said about the data."""

    def __init__(self, desc: PixelDescription) -> None:
        self.kind = desc.syntax.kind
        self.imagecodecs = _uses_imagecodecs(self.kind)
        self.codec: Any = None if self.imagecodecs else _codec(desc)
        self.backend = "imagecodecs" if self.imagecodecs else _PYLIBJPEG[self.kind]
        self.releases_gil = self.imagecodecs or RELEASES_GIL.get(self.kind, False)
        self.desc = desc
        self.precision = desc.bits_stored
        self.j2k_signed = bool(desc.pixel_representation)
        self.container = desc.bits_allocated

    def __call__(self, src: bytes, where: str) -> np.ndarray:
        desc = self.desc
        # the codec sizes its output from the codestream header: check that header
        # against the dataset and the read's max_bytes before the codec sees it
        desc.check_alloc(desc.frame_bytes, f"{where} (decoded by the codec)")
        if self.kind == "j2k":
            if self.imagecodecs:
                siz = _imagecodecs.siz_info(src)
                if siz is None:
                    raise PixelDataError(f"{where}: no readable JPEG 2000 SIZ marker segment")
                self.precision, self.j2k_signed = siz.precision, siz.signed
                rows, columns = siz.rows, siz.columns
            else:
                params = self._codec_call(self.codec.get_parameters, src, where)
                self.precision = params.get("precision", desc.bits_stored)
                self.j2k_signed = params.get("is_signed", bool(desc.pixel_representation))
                rows, columns = params.get("rows", desc.rows), params.get("columns", desc.columns)
            self._check_size(rows, columns, where)
            self.container = _container_bits(self.precision, (8, 16, 32))
            if desc.photometric_interpretation in ("YBR_ICT", "YBR_RCT"):
                self.desc = desc.replace(photometric_interpretation="RGB")
            raw = self._decode(src, where)
        else:
            info = codestream_info(src)
            if info is None:
                raise PixelDataError(f"{where}: no readable JPEG start-of-frame header")
            if info.rows == 0 or info.columns == 0:
                # a height defined later by a DNL marker: the codec would grow its
                # buffers without bound, so the frame is refused
                raise PixelDataError(
                    f"{where}: the codestream's frame header gives a size of {info.rows} x "
                    f"{info.columns}")
            rows, columns = info.rows, info.columns
            self.desc = desc = _conform_colour(desc, info)
            self.precision = info.precision
            if self.kind == "jpegls":
                self.container = _container_bits(self.precision, (8, 16))
                if desc.samples_per_pixel > 1:
                    self.desc = desc.replace(planar_configuration=0)
            self._check_size(rows, columns, where)
            raw = self._decode(src, where)
        if not 1 <= self.container <= 64 or self.container % 8:
            raise PixelDataError(f"{where}: unsupported sample precision {self.precision}")
        dtype = np.dtype(f"{'ui'[self.desc.pixel_representation]}{self.container // 8}")
        if len(raw) != self.desc.frame_pixels * dtype.itemsize:
            raise PixelDataError(
                f"{where}: decoded to {len(raw)} bytes, {self.desc.frame_pixels * dtype.itemsize} "
                "expected")
        return np.frombuffer(raw, dtype=dtype)

    def _decode(self, src: bytes, where: str) -> Any:
        """The frame's samples (bytes or an array) from the chosen backend."""
        if not self.imagecodecs:
            return self._codec_call(self.codec.utils.decode_pixel_data, src, where)
        fn = _imagecodecs.j2k_decode if self.kind == "j2k" else _imagecodecs.jpegls_decode
        try:
            arr = fn(src)
        except (RuntimeError, ValueError, TypeError, IndexError, OverflowError) as exc:
            raise PixelDataError(f"{where}: imagecodecs failed to decode the frame: {exc}") from exc
        if arr.ndim == 3 and arr.shape[-1] != self.desc.samples_per_pixel:
            raise PixelDataError(f"{where}: the codestream has {arr.shape[-1]} components, the "
                                 f"dataset says {self.desc.samples_per_pixel} samples per pixel")
        width = self.container // 8
        if arr.dtype.itemsize != width:
            raise PixelDataError(f"{where}: decoded to {arr.dtype.itemsize}-byte samples, "
                                 f"{width} expected from the codestream's precision")
        return arr.reshape(-1).view(np.uint8)

    @staticmethod
    def _codec_call(fn: Any, src: bytes, where: str) -> Any:
        """Call the codec; its errors on a corrupt codestream become PixelDataError."""
        try:
            return fn(src, version=2) if fn.__name__ == "decode_pixel_data" else fn(src)
        except (RuntimeError, ValueError, TypeError, KeyError, IndexError, OverflowError,
                struct.error) as exc:
            raise PixelDataError(f"{where}: the codec failed to decode the frame: {exc}") from exc

    def _check_size(self, rows: int, columns: int, where: str) -> None:
        if (rows, columns) != (self.desc.rows, self.desc.columns):
            raise PixelDataError(
                f"{where}: the codestream is {rows} x {columns}, the dataset says "
                f"{self.desc.rows} x {self.desc.columns}")

    def sign_correct(self, flat: np.ndarray) -> np.ndarray:
        """pydicom's JPEG-LS / JPEG 2000 sign correction, in place."""
        desc = self.desc
        if self.kind == "jpegls" and desc.pixel_representation == 1:
            return clear_high_bits(flat, self.precision, True, True)
        if (self.kind == "j2k" and desc.photometric_interpretation in ("MONOCHROME1", "MONOCHROME2")
                and self.j2k_signed != bool(desc.pixel_representation)):
            return clear_high_bits(flat, self.precision, bool(desc.pixel_representation), True)
        return flat


def decode(desc: PixelDescription, indices: list[int] | None, *, allow_excess_frames: bool = True,
           threads: int | None = None, **_: Any) -> Decoded:
    """Decode frames `indices` (all when None) of JPEG-family pixel data.

    Frames go to the worker pool (:mod:`dcmfast.pixels._pool`) for a codec that lets
    other threads run while it decodes (imagecodecs, or :data:`RELEASES_GIL`); the
    pylibjpeg bindings hold the GIL, so their frames are decoded one after the other.
    """
    decoder = _FrameDecoder(desc)
    LOGGER.debug("decoding '%s' frames with %s (%s)", desc.syntax.name, decoder.backend,
                 "on the worker pool" if decoder.releases_gil else "one after the other")
    frames = encaps.locate_frames(desc.data, desc.number_of_frames, desc.extended_offsets)
    wanted = encaps.select_frames(frames, desc.number_of_frames, indices)
    fp = desc.frame_pixels
    desc.check_alloc(len(wanted) * desc.frame_bytes, "the decoded frames")
    # the first frame on this thread: the output is sized only once a frame has
    # decoded to the expected length
    first = decoder(bytes(frames[wanted[0]].data), f"frame {wanted[0]}")
    out = np.empty(len(wanted) * fp, dtype=desc.dtype_str)
    out[:fp] = first

    def one(k: int) -> None:
        i = wanted[k]
        out[k * fp : (k + 1) * fp] = decoder(bytes(frames[i].data), f"frame {i}")

    rest = len(wanted) - 1
    if decoder.releases_gil:
        map_frames(lambda k: one(k + 1), rest, rest * desc.frame_bytes, threads)
    else:
        for k in range(1, len(wanted)):
            one(k)
    count = len(wanted)
    if indices is None and allow_excess_frames and len(frames) > desc.number_of_frames:
        excess: list[np.ndarray] = []
        for i in range(desc.number_of_frames, len(frames)):
            desc.check_alloc((count + len(excess) + 1) * desc.frame_bytes, "the decoded frames")
            try:
                excess.append(decoder(bytes(frames[i].data), f"frame {i}"))
            except PixelDataError:
                continue
        if excess:
            LOGGER.warning("%d frames found in the encapsulated pixel data, more than the "
                           "(0028,0008) 'Number of Frames' value %d; the extra frames are returned",
                           count + len(excess), desc.number_of_frames)
            out = np.concatenate([out, *[e.astype(out.dtype) for e in excess]])
            count += len(excess)
    out = decoder.sign_correct(out)
    return Decoded(out, decoder.desc.replace(number_of_frames=max(count, desc.number_of_frames)),
                   count, True)

