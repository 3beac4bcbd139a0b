"""Compress and decompress a dataset's pixel data in place: pydicom 3's
``compress`` / ``decompress`` (and ``Dataset.compress`` / ``Dataset.decompress``).

Encoders (:func:`encode_backends` lists them):

* RLE Lossless by :func:`dcmfast.pixels.rle_encode` (compiled, frames on the RLE
  thread pool);
* JPEG 2000 Lossless by imagecodecs' OpenJPEG (``dcmfast[codecs]``; frames on the pool,
  the GIL released), else, or with ``encoding_plugin="pylibjpeg"``, by
  pylibjpeg-openjpeg with pydicom's options (pydicom's exact bytes); JPEG 2000 lossy
  (``j2k_cr`` / ``j2k_psnr``, quality layers) always by pylibjpeg-openjpeg. That
  binding holds the GIL and crashes when two threads encode at once: one frame at a
  time, process-wide;
* HTJ2K (lossless, lossless RPCL, lossy with ``quantization_step``) by imagecodecs'
  OpenJPH, frames on the pool;
* JPEG-LS (lossless, near-lossless with ``jls_error``) by pyjpegls with pydicom's
  options (pydicom's exact bytes); the binding holds the GIL: one frame after another.

Both functions either finish or leave the dataset as it was: everything is encoded
or decoded first, then the elements are set; should setting fail, the previous
elements are put back.
"""
from __future__ import annotations

import importlib
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from dcmfast.errors import PixelDataError, UnsupportedTransferSyntaxError

from . import _imagecodecs, encaps
from ._pool import map_frames
from ._syntax import lookup
from .rle_encode import rle_encode

__all__ = ["compress", "decompress", "ENCODABLE", "encode_frames", "encode_backends"]

LOGGER = logging.getLogger(__name__)

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
JPEG2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
JPEG2000 = "1.2.840.10008.1.2.4.91"
HTJ2K = ("1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203")
JPEG_LS = ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81")

# syntax -> photometric interpretations allowed after encoding (PS3.5 8.2, as pydicom checks)
_MONO = ("MONOCHROME1", "MONOCHROME2")
_PROFILES: dict[str, tuple[str, ...]] = {
    RLE_LOSSLESS: (*_MONO, "PALETTE COLOR", "YBR_FULL", "RGB"),
    JPEG2000_LOSSLESS: (*_MONO, "PALETTE COLOR", "YBR_RCT", "RGB", "YBR_FULL"),
    JPEG2000: (*_MONO, "YBR_ICT", "RGB", "YBR_FULL"),
    # no colour transform is applied: RGB / YBR_FULL samples are encoded as they are
    HTJ2K[0]: (*_MONO, "PALETTE COLOR", "RGB", "YBR_FULL"),
    HTJ2K[1]: (*_MONO, "PALETTE COLOR", "RGB", "YBR_FULL"),
    HTJ2K[2]: (*_MONO, "RGB", "YBR_FULL"),
    JPEG_LS[0]: (*_MONO, "PALETTE COLOR", "RGB", "YBR_FULL"),  # PS3.5 Table 8.2.3-1
    JPEG_LS[1]: (*_MONO, "RGB", "YBR_FULL"),
}
ENCODABLE = tuple(_PROFILES)

# Image Pixel keywords pydicom's compress() refuses as options (the dataset's values rule)
_IMAGE_PIXEL_OPTIONS = {"rows", "columns", "samples_per_pixel", "bits_allocated", "bits_stored",
                        "pixel_representation", "photometric_interpretation", "number_of_frames",
                        "planar_configuration", "pixel_keyword"}

_TAG_PIXEL_DATA = 0x7FE00010
_TAG_EOT = 0x7FE00001
_TAG_EOT_LENGTHS = 0x7FE00002


def _new_uid() -> str:
    return f"2.25.{uuid.uuid4().int}"


def _required(ds: Any, keyword: str) -> int:
    value = ds.get(keyword, None)
    if value is None or value == "":
        raise PixelDataError(f"Unable to compress: the dataset has no (0028,xxxx) '{keyword}' value")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PixelDataError(f"Unable to compress: '{keyword}' is {value!r}, not a number") from None


class _Geometry:
    """The Image Pixel values the encoded pixel data must agree with."""

    def __init__(self, ds: Any) -> None:
        self.rows = _required(ds, "Rows")
        self.columns = _required(ds, "Columns")
        self.samples_per_pixel = _required(ds, "SamplesPerPixel")
        self.bits_allocated = _required(ds, "BitsAllocated")
        self.bits_stored = _required(ds, "BitsStored")
        self.pixel_representation = _required(ds, "PixelRepresentation")
        frames = ds.get("NumberOfFrames", None)
        try:
            self.number_of_frames = int(frames) if frames not in (None, "") else 1
        except (TypeError, ValueError):
            raise PixelDataError(f"Unable to compress: 'NumberOfFrames' is {frames!r}") from None
        pi = ds.get("PhotometricInterpretation", None)
        if not pi:
            raise PixelDataError("Unable to compress: the dataset has no (0028,0004) "
                                 "'Photometric Interpretation' value")
        self.photometric_interpretation = str(pi).strip()
        self.planar_configuration = int(ds.get("PlanarConfiguration", 0) or 0)
        if self.bits_allocated not in (1, 8, 16, 32, 64):
            raise PixelDataError(
                f"Unable to compress: (0028,0100) 'Bits Allocated' is {self.bits_allocated}, "
                "not 1, 8, 16, 32 or 64")
        if self.bits_allocated == 1:
            raise PixelDataError("Unable to compress pixel data with 1 bit allocated: "
                                 "only 8, 16, 32 or 64 bits are encodable")
        if not 1 <= self.bits_stored <= self.bits_allocated:
            raise PixelDataError(
                f"Unable to compress: (0028,0101) 'Bits Stored' is {self.bits_stored} with "
                f"{self.bits_allocated} bits allocated")
        if self.pixel_representation not in (0, 1):
            raise PixelDataError(f"Unable to compress: (0028,0103) 'Pixel Representation' is "
                                 f"{self.pixel_representation}")
        if self.samples_per_pixel not in (1, 3):
            raise PixelDataError(f"Unable to compress: (0028,0002) 'Samples per Pixel' is "
                                 f"{self.samples_per_pixel}, not 1 or 3")
        if self.rows < 1 or self.columns < 1 or self.number_of_frames < 1:
            raise PixelDataError(f"Unable to compress {self.number_of_frames} frame(s) of "
                                 f"{self.rows} x {self.columns} pixels")

    @property
    def shape(self) -> tuple[int, ...]:
        """pydicom's pixel_array shape for these values."""
        dims = [self.number_of_frames, self.rows, self.columns, self.samples_per_pixel]
        if dims[0] == 1:
            dims = dims[1:]
        if dims[-1] == 1:
            dims = dims[:-1]
        return tuple(dims)

    def check_profile(self, uid: str, name: str) -> None:
        allowed = _PROFILES[uid]
        spp_ok = self.samples_per_pixel == (1 if self.photometric_interpretation in
                                            (*_MONO, "PALETTE COLOR") else 3)
        if self.photometric_interpretation not in allowed or not spp_ok:
            raise PixelDataError(
                f"Pixel data with a (0028,0004) 'Photometric Interpretation' of "
                f"'{self.photometric_interpretation}' and {self.samples_per_pixel} sample(s) per "
                f"pixel cannot be encoded as '{name}' (allowed: {', '.join(allowed)})")
        _check_bits(self, uid, name)


def _source_array(ds: Any, arr: np.ndarray | None, geo: _Geometry) -> np.ndarray:
    """The samples to encode, shaped and typed as pydicom's pixel_array, checked against
    the dataset (pydicom's rules for a user array)."""
    if arr is None:
        file_meta = ds.get("file_meta", None) or getattr(ds, "file_meta", None) or {}
        tsyntax = file_meta.get("TransferSyntaxUID", None)
        if not tsyntax:
            raise PixelDataError(
                "Unable to determine the initial compression state of the dataset as there's no "
                "(0002,0010) 'Transfer Syntax UID' element in the dataset's 'file_meta'")
        syntax = lookup(str(tsyntax))
        if syntax is not None and syntax.encapsulated:
            raise PixelDataError(f"Only uncompressed datasets may be compressed, this one is "
                                 f"'{syntax.name}'")
        if "PixelData" not in ds:
            raise PixelDataError("Unable to compress: the dataset has no (7FE0,0010) 'Pixel Data'")
        from . import pixel_array

        arr = pixel_array(ds, raw=True, threads=1)
    if not isinstance(arr, np.ndarray):
        raise PixelDataError(f"Unable to compress a {type(arr).__name__}: a numpy ndarray is needed")
    if arr.shape != geo.shape:
        raise PixelDataError(f"Mismatch between the expected ndarray shape {geo.shape} (from the "
                             f"dataset's Image Pixel elements) and the array's {arr.shape}")
    if arr.dtype.kind not in "ui":
        raise PixelDataError(f"The ndarray's dtype '{arr.dtype}' is not supported: signed or "
                             "unsigned integers are needed")
    if (arr.dtype.kind == "i") != bool(geo.pixel_representation):
        raise PixelDataError(
            f"The ndarray's dtype '{arr.dtype}' is not consistent with a (0028,0103) 'Pixel "
            f"Representation' of {geo.pixel_representation}")
    if arr.dtype.itemsize * 8 < geo.bits_allocated:
        raise PixelDataError(f"The ndarray's dtype '{arr.dtype}' is too small for "
                             f"{geo.bits_allocated} bits allocated")
    target = np.dtype(f"{arr.dtype.kind}{geo.bits_allocated // 8}")
    if arr.dtype != target:
        if arr.size:
            lo, hi = np.iinfo(target).min, np.iinfo(target).max
            if arr.min() < lo or arr.max() > hi:
                raise PixelDataError(f"The ndarray's values do not fit {geo.bits_allocated} "
                                     "bits allocated")
        arr = arr.astype(target)
    return arr


def _check_bits(geo: _Geometry, uid: str, name: str) -> None:
    """The sample precisions each encoder takes (pydicom's profiles for JPEG-LS)."""
    if uid in (JPEG2000_LOSSLESS, JPEG2000) and geo.bits_stored > 24:
        raise PixelDataError(f"JPEG 2000 encoding supports at most 24 bits stored, "
                             f"not {geo.bits_stored}")
    if uid in HTJ2K and geo.bits_stored > 16:
        # OpenJPH writes 32-bit samples OpenJPEG cannot read back
        raise PixelDataError(f"HTJ2K encoding supports at most 16 bits stored, "
                             f"not {geo.bits_stored}")
    if uid in JPEG_LS:
        if geo.bits_allocated not in (8, 16) or not 2 <= geo.bits_stored <= 16:
            raise PixelDataError(
                f"'{name}' encodes 2 to 16 bits stored in 8 or 16 bits allocated, not "
                f"{geo.bits_stored} in {geo.bits_allocated}")
        if geo.samples_per_pixel == 3 and geo.pixel_representation:
            raise PixelDataError(f"'{name}' encodes unsigned colour samples only")
        if geo.photometric_interpretation == "YBR_FULL" and geo.bits_stored > 8:
            raise PixelDataError(f"'{name}' encodes YBR_FULL with at most 8 bits stored")
    if uid in (*HTJ2K, *JPEG_LS) and geo.photometric_interpretation == "PALETTE COLOR" and \
            geo.pixel_representation:
        raise PixelDataError(f"'{name}' encodes unsigned PALETTE COLOR indices only")


# pylibjpeg-openjpeg's encoder holds the GIL and crashes (SIGSEGV) when two threads
# encode at the same time (measured with 2.6.0): one encode at a time, process-wide
_OPENJPEG_LOCK = threading.Lock()
# encode JPEG 2000 Lossless and HTJ2K through imagecodecs when it is installed
USE_IMAGECODECS = True
_PYLIBJPEG_PLUGINS = ("pylibjpeg", "pylibjpeg-openjpeg", "openjpeg")


def _openjpeg() -> Any:
    try:
        return importlib.import_module("openjpeg.utils")
    except ImportError:
        raise UnsupportedTransferSyntaxError(
            "JPEG 2000 encoding needs pylibjpeg-openjpeg: pip install dcmfast[j2k], or "
            "imagecodecs for JPEG 2000 Lossless: pip install dcmfast[codecs]") from None


def _frames(arr: np.ndarray, geo: _Geometry, itemsize: int | None = None) -> np.ndarray:
    """(frames, rows, columns[, samples]) little endian samples, in a container of
    `itemsize` bytes when given (the values are checked to fit by _source_array)."""
    shape: tuple[int, ...] = (geo.number_of_frames, geo.rows, geo.columns)
    if geo.samples_per_pixel > 1:
        shape += (geo.samples_per_pixel,)
    frames = arr.reshape(shape)
    target = np.dtype(f"<{frames.dtype.kind}{itemsize or frames.dtype.itemsize}")
    return frames if frames.dtype == target else frames.astype(target)


def _precision_itemsize(bits_stored: int) -> int:
    """pydicom's container for a sample precision (EncodeRunner.get_frame)."""
    return 1 if bits_stored <= 8 else 2 if bits_stored <= 16 else 4


def _j2k_imagecodecs(uid: str, encoding_plugin: str) -> bool:
    return (uid == JPEG2000_LOSSLESS and USE_IMAGECODECS
            and encoding_plugin not in _PYLIBJPEG_PLUGINS and _imagecodecs.available("j2k"))


def _j2k_frames(arr: np.ndarray, geo: _Geometry, uid: str, j2k_cr: Any, j2k_psnr: Any,
                kwargs: dict[str, Any], encoding_plugin: str = "",
                threads: int | None = None) -> list[bytes]:
    if uid == JPEG2000_LOSSLESS and (j2k_cr or j2k_psnr):
        raise PixelDataError("A lossy option (j2k_cr / j2k_psnr) was given with 'JPEG 2000 "
                             "Lossless': use JPEG 2000 (1.2.840.10008.1.2.4.91)")
    if _j2k_imagecodecs(uid, encoding_plugin):
        frames = _frames(arr, geo, _precision_itemsize(geo.bits_stored))
        return _encode_pooled(lambda f: _imagecodecs.j2k_encode(f, geo.bits_stored), frames,
                              "JPEG 2000", threads)
    utils = _openjpeg()
    if uid == JPEG2000:
        if not j2k_cr and not j2k_psnr:
            raise PixelDataError("'JPEG 2000' (lossy) encoding needs j2k_cr or j2k_psnr")
        if j2k_cr and j2k_psnr:
            raise PixelDataError("Give only one of j2k_cr and j2k_psnr")
    opts = dict(kwargs)
    opts.update(rows=geo.rows, columns=geo.columns, samples_per_pixel=geo.samples_per_pixel,
                bits_allocated=geo.bits_allocated, bits_stored=geo.bits_stored,
                pixel_representation=geo.pixel_representation,
                photometric_interpretation=geo.photometric_interpretation,
                number_of_frames=1, planar_configuration=0)
    if geo.photometric_interpretation == "RGB":
        opts["use_mct"] = False
    if uid == JPEG2000:
        opts["compression_ratios"] = list(j2k_cr) if j2k_cr else None
        opts["signal_noise_ratios"] = list(j2k_psnr) if j2k_psnr else None
    frames = _frames(arr, geo).reshape(geo.number_of_frames, -1)

    out = []
    for i in range(geo.number_of_frames):
        try:
            with _OPENJPEG_LOCK:  # holds the GIL anyway; crashes when called by two threads
                out.append(bytes(utils.encode_pixel_data(frames[i].tobytes(), **opts)))
        except (RuntimeError, ValueError) as exc:
            raise PixelDataError(f"JPEG 2000 encoding of frame {i} failed: {exc}") from exc
    return out


def _encode_pooled(fn: Callable[[np.ndarray], bytes], frames: np.ndarray, what: str,
                   threads: int | None) -> list[bytes]:
    """fn(frame) for every frame, on the worker pool (fn must release the GIL)."""

    def one(i: int) -> bytes:
        try:
            return fn(frames[i])
        except (RuntimeError, ValueError, TypeError) as exc:
            raise PixelDataError(f"{what} encoding of frame {i} failed: {exc}") from exc

    return map_frames(one, len(frames), frames.nbytes, threads)


def _htj2k_frames(arr: np.ndarray, geo: _Geometry, uid: str, kwargs: dict[str, Any],
                  threads: int | None) -> list[bytes]:
    if not (USE_IMAGECODECS and _imagecodecs.available("htj2k")):
        raise UnsupportedTransferSyntaxError(
            "HTJ2K encoding needs imagecodecs (OpenJPH): pip install dcmfast[codecs]")
    step = kwargs.get("quantization_step")
    if uid == HTJ2K[2]:
        if step is None:
            raise PixelDataError("'High-Throughput JPEG 2000' (lossy) encoding needs "
                                 "quantization_step (OpenJPH's base step, e.g. 0.001 to 0.1)")
        try:
            step = float(step)
        except (TypeError, ValueError):
            raise PixelDataError(f"quantization_step {step!r} is not a number") from None
        if not 1e-5 <= step <= 1.0:
            raise PixelDataError(f"quantization_step {step} is outside [0.00001, 1]")
    elif step is not None:
        raise PixelDataError("quantization_step is a lossy option: use 'High-Throughput JPEG "
                             "2000' (1.2.840.10008.1.2.4.203)")
    reversible, rpcl = uid != HTJ2K[2], uid == HTJ2K[1]
    frames = _frames(arr, geo, _precision_itemsize(geo.bits_stored))
    return _encode_pooled(
        lambda f: _imagecodecs.htj2k_encode(f, reversible=reversible, quantization_step=step,
                                            rpcl_options=rpcl), frames, "HTJ2K", threads)


def _jpegls_frames(arr: np.ndarray, geo: _Geometry, uid: str,
                   jls_error: int | None) -> list[bytes]:
    """pydicom's pyjpegls plugin, frame by frame (the binding holds the GIL)."""
    try:
        jpeg_ls = importlib.import_module("jpeg_ls")
    except ImportError:
        raise UnsupportedTransferSyntaxError(
            "JPEG-LS encoding needs pyjpegls: pip install dcmfast[codecs]") from None
    error = int(jls_error or 0)
    if uid == JPEG_LS[0] and error:
        raise PixelDataError(f"A 'jls_error' of {error} was given with 'JPEG-LS Lossless': use "
                             "JPEG-LS Near Lossless (1.2.840.10008.1.2.4.81)")
    if error < 0 or error > 255 or error >= 2 ** geo.bits_stored:
        raise PixelDataError(f"'jls_error' {error} is out of range for {geo.bits_stored} bits")
    frames = _frames(arr, geo, _precision_itemsize(geo.bits_stored))
    if error and geo.pixel_representation and frames.size:
        # as pydicom: near-lossless signed values must not cross the range limits
        lo, hi = -(2 ** (geo.bits_stored - 1)), 2 ** (geo.bits_stored - 1) - 1
        if frames.min() < lo + error or frames.max() > hi - error:
            raise PixelDataError(
                f"The supported range of pixel values when performing lossy JPEG-LS encoding "
                f"of signed integers with a (0028,0101) 'Bits Stored' value of "
                f"{geo.bits_stored} and a 'jls_error' of {error} is "
                f"({lo + error}, {hi - error})")
    opts: dict[str, Any] = {"rows": geo.rows, "columns": geo.columns,
                            "samples_per_pixel": geo.samples_per_pixel,
                            "bits_stored": geo.bits_stored}
    if geo.samples_per_pixel > 1:
        opts["planar_configuration"] = 0
    out = []
    for i in range(geo.number_of_frames):
        try:
            out.append(bytes(jpeg_ls.encode_pixel_data(frames[i].tobytes(), lossy_error=error,
                                                       **opts)))
        except (RuntimeError, ValueError) as exc:
            raise PixelDataError(f"JPEG-LS encoding of frame {i} failed: {exc}") from exc
    return out


def encode_frames(arr: np.ndarray, geo: Any, uid: str, *, threads: int | None = None,
                  j2k_cr: Any = None, j2k_psnr: Any = None, jls_error: int | None = None,
                  encoding_plugin: str = "", **kwargs: Any) -> list[bytes]:
    """Encode the frames of `arr` (checked against `geo`) as `uid`."""
    if uid == RLE_LOSSLESS:
        return rle_encode(arr, bits_allocated=geo.bits_allocated,
                          samples_per_pixel=geo.samples_per_pixel,
                          planar_configuration=geo.planar_configuration, threads=threads)
    if uid in HTJ2K:
        return _htj2k_frames(arr, geo, uid, kwargs, threads)
    if uid in JPEG_LS:
        return _jpegls_frames(arr, geo, uid, jls_error)
    return _j2k_frames(arr, geo, uid, j2k_cr, j2k_psnr, kwargs, encoding_plugin, threads)


def lossy_method(uid: str, jls_error: int | None = None) -> str | None:
    """The (0028,2114) Lossy Image Compression Method a compress to `uid` gives, None
    for a lossless one (near-lossless JPEG-LS with jls_error 0 is lossless)."""
    if uid == JPEG2000:
        return "ISO_15444_1"
    if uid == HTJ2K[2]:
        return "ISO_15444_15"
    if uid == JPEG_LS[1] and jls_error:
        return "ISO_14495_1"
    return None


def encode_backends() -> dict[str, str]:
    """Which library encodes each transfer syntax here (UID -> name, or "none (...)")."""
    from importlib.util import find_spec

    versions = _imagecodecs.versions()
    openjpeg = "pylibjpeg-openjpeg" if find_spec("openjpeg") else None
    out = {RLE_LOSSLESS: "dcmfast"}
    if _j2k_imagecodecs(JPEG2000_LOSSLESS, ""):
        out[JPEG2000_LOSSLESS] = f"imagecodecs ({versions.get('j2k', '')})"
    else:
        out[JPEG2000_LOSSLESS] = openjpeg or "none (pip install dcmfast[j2k] or dcmfast[codecs])"
    out[JPEG2000] = openjpeg or "none (pip install dcmfast[j2k])"
    htj2k = (f"imagecodecs ({versions.get('htj2k', '')})"
             if USE_IMAGECODECS and _imagecodecs.available("htj2k")
             else "none (pip install dcmfast[codecs])")
    out.update(dict.fromkeys(HTJ2K, htj2k))
    jls = "pyjpegls" if find_spec("jpeg_ls") else "none (pip install dcmfast[codecs])"
    out.update(dict.fromkeys(JPEG_LS, jls))
    return out


def _check_encodable(uid: str) -> str:
    syntax = lookup(uid)
    name = syntax.name if syntax else uid
    if uid in _PROFILES:
        return name
    if syntax is not None and not syntax.encapsulated:
        raise UnsupportedTransferSyntaxError(
            f"'{name}' is not a compressed transfer syntax: write the dataset with it instead "
            "(dcmwrite(..., implicit_vr=, little_endian=) or change file_meta.TransferSyntaxUID)")
    raise UnsupportedTransferSyntaxError(f"No encoder for the transfer syntax '{name}' ({uid})")


class _Changes:
    """Element changes applied together, undone together if one fails.

    Each change puts a new DataElement in the dataset; the element it replaces is kept
    as it was (not copied: a Pixel Data value read from a file is never converted) and
    put back by :meth:`undo`.
    """

    def __init__(self, ds: Any) -> None:
        self.ds = ds
        self.saved: list[tuple[Any, int, Any]] = []  # (dataset, tag, previous element or None)

    def set(self, target: Any, keyword: str, tag: int, value: Any, vr: str | None = None,
            undefined_length: bool = False) -> None:
        from dcmfast.datadict import dictionary_VR
        from dcmfast.dataelem import DataElement

        prev = target[tag] if tag in target else None
        if vr is None:
            vr = prev.VR if prev is not None and prev.VR not in ("UN", "OB or OW") else \
                dictionary_VR(tag)
        elem = DataElement(tag, vr, value, is_undefined_length=undefined_length)
        self.saved.append((target, tag, prev))
        target[tag] = elem

    def undo(self) -> None:
        for target, tag, prev in reversed(self.saved):
            try:
                if prev is None:
                    if tag in target:
                        del target[tag]
                else:
                    target[tag] = prev
            except Exception:  # noqa: BLE001 - best effort; the first error is re-raised
                LOGGER.exception("could not restore element (%04X,%04X)", tag >> 16, tag & 0xFFFF)


def _file_meta(ds: Any, created: list[bool]) -> Any:
    meta = ds.__dict__.get("file_meta") if hasattr(ds, "__dict__") else None
    if meta is None:
        meta = getattr(ds, "file_meta", None)
    if meta is None:
        ds.ensure_file_meta()
        created.append(True)
        meta = ds.file_meta
    return meta


def _apply(ds: Any, work: Callable[[_Changes, Any], None]) -> None:
    created: list[bool] = []
    meta = _file_meta(ds, created)
    changes = _Changes(ds)
    try:
        work(changes, meta)
    except BaseException:
        changes.undo()
        if created:
            try:
                del ds.file_meta
            except AttributeError:
                ds.__dict__.pop("file_meta", None)
        raise
    ds.__dict__.pop("_pixel_array", None)
    if "_pixel_id" in ds.__dict__:
        ds._pixel_id = {}


def compress(ds: Any, transfer_syntax_uid: str, arr: Any = None, *, encoding_plugin: str = "",
             encapsulate_ext: bool = False, generate_instance_uid: bool = True,
             jls_error: int | None = None, j2k_cr: list[float] | None = None,
             j2k_psnr: list[float] | None = None, threads: int | None = None,
             **kwargs: Any) -> Any:
    """Compress the uncompressed pixel data of `ds` (or `arr`) in place, as pydicom 3's
    ``compress``: Pixel Data becomes an encapsulated (OB, undefined length) value with a
    basic offset table (an extended offset table when ``encapsulate_ext`` or when the
    frames need it), (0002,0010) the new syntax, and with ``generate_instance_uid`` a new
    SOP Instance UID (and Media Storage SOP Instance UID).

    Encoders (see the module docstring and :func:`encode_backends`): RLE Lossless
    (1.2.840.10008.1.2.5, compiled); JPEG 2000 Lossless (.4.90; imagecodecs, or
    pylibjpeg-openjpeg with ``encoding_plugin="pylibjpeg"`` for pydicom's exact bytes);
    JPEG 2000 (.4.91, with ``j2k_cr`` or ``j2k_psnr``, pylibjpeg-openjpeg); HTJ2K
    Lossless (.4.201), Lossless RPCL (.4.202) and lossy (.4.203, with
    ``quantization_step=``) by imagecodecs' OpenJPH; JPEG-LS Lossless (.4.80) and
    Near-Lossless (.4.81, ``jls_error``) by pyjpegls, as pydicom. A lossy result also
    sets Lossy Image Compression "01" and appends the ratio and method ("ISO_15444_1",
    "ISO_15444_15", "ISO_14495_1"), as PS3.3 C.7.6.1.1.5 requires (pydicom leaves them
    unchanged), and a colour result sets Planar Configuration 0. The samples encoded are
    the dataset's pixel array (pydicom 3.0 encodes the raw buffer, which gives other
    samples for big endian or planar configuration 1 data).
    `encoding_plugin` picks pylibjpeg-openjpeg for JPEG 2000 Lossless and is otherwise
    ignored; `threads` bounds the threads encoding frames. On any error the dataset is
    left unchanged.

    Parameters
    ----------
    ds : Dataset
        The dataset (changed in place); its File Meta gives the current syntax.
    transfer_syntax_uid : str
        RLE Lossless, JPEG 2000 Lossless, JPEG 2000, HTJ2K (Lossless, Lossless RPCL,
        lossy), JPEG-LS Lossless or Near-Lossless.
    arr : numpy.ndarray, optional
        The pixels to encode instead of the dataset's, shaped as ``pixel_array``.
    encoding_plugin : str
        ``"pylibjpeg"`` encodes JPEG 2000 Lossless with pylibjpeg-openjpeg (pydicom's
        exact bytes) instead of imagecodecs; otherwise ignored.
    encapsulate_ext : bool
        Use an Extended Offset Table.
    generate_instance_uid : bool
        Give the dataset a new SOP Instance UID.
    jls_error : int, optional
        JPEG-LS Near-Lossless: the largest absolute error allowed (NEAR).
    j2k_cr, j2k_psnr : list of float, optional
        JPEG 2000 compression ratios or peak signal-to-noise ratios (one per layer).
    threads : int, optional
        Threads encoding frames (default: every CPU).
    **kwargs
        Options of the JPEG 2000 encoder (pylibjpeg-openjpeg's) and ``quantization_step``
        for lossy HTJ2K; pydicom's Image Pixel overrides are accepted and ignored.

    Returns
    -------
    Dataset
        `ds`.

    Raises
    ------
    UnsupportedTransferSyntaxError
        No encoder for the syntax (HTJ2K without imagecodecs, JPEG-LS without pyjpegls,
        JPEG 2000 without imagecodecs or pylibjpeg-openjpeg).
    PixelDataError
        The dataset is compressed already, has no pixel data, or `arr` does not match it.
    """
    for option in _IMAGE_PIXEL_OPTIONS:
        kwargs.pop(option, None)
    uid = str(transfer_syntax_uid).strip("\0 ")
    name = _check_encodable(uid)
    geo = _Geometry(ds)
    geo.check_profile(uid, name)
    src = _source_array(ds, arr, geo)
    frames = encode_frames(src, geo, uid, threads=threads, j2k_cr=j2k_cr, j2k_psnr=j2k_psnr,
                           jls_error=jls_error, encoding_plugin=encoding_plugin, **kwargs)
    total = (len(frames) - 1) * 8 + sum(len(f) for f in frames[:-1])
    extended = encapsulate_ext or total > 2**32 - 1
    method = lossy_method(uid, jls_error)
    ratio = src.nbytes / max(1, sum(len(f) for f in frames))
    # each frame freed once copied into the value: the peak is the frames plus one
    if extended:
        value, eot, eot_lengths = encaps.encapsulate_frames(frames, extended=True)
    else:
        value = encaps.encapsulate_frames(frames)
    del frames
    new_uid = _new_uid() if generate_instance_uid else None

    def work(changes: _Changes, meta: Any) -> None:
        changes.set(ds, "PixelData", _TAG_PIXEL_DATA, value, "OB", undefined_length=True)
        if extended:
            changes.set(ds, "ExtendedOffsetTable", _TAG_EOT, eot)
            changes.set(ds, "ExtendedOffsetTableLengths", _TAG_EOT_LENGTHS, eot_lengths)
        if method is not None:
            ratios = _as_list(ds.get("LossyImageCompressionRatio", None))
            methods = _as_list(ds.get("LossyImageCompressionMethod", None))
            changes.set(ds, "LossyImageCompression", 0x00282110, "01")
            changes.set(ds, "LossyImageCompressionRatio", 0x00282112,
                        [*ratios, f"{ratio:.4g}"[:16]])
            changes.set(ds, "LossyImageCompressionMethod", 0x00282114, [*methods, method])
        if uid != RLE_LOSSLESS and geo.samples_per_pixel > 1 and geo.planar_configuration != 0:
            # JPEG 2000 codestreams are decoded colour-by-pixel (PS3.5 8.2.4: shall be 0)
            changes.set(ds, "PlanarConfiguration", 0x00280006, 0)
        changes.set(meta, "TransferSyntaxUID", 0x00020010, uid)
        if new_uid is not None:
            changes.set(ds, "SOPInstanceUID", 0x00080018, new_uid)
            changes.set(meta, "MediaStorageSOPInstanceUID", 0x00020003, new_uid)

    _apply(ds, work)
    return ds


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return [value]
    return list(value)


def decoded_array(ds: Any, *, as_rgb: bool = True, threads: int | None = None,
                  out_alloc: Callable[[int], Any] | None = None,
                  **opts: Any) -> tuple[np.ndarray, Any, int]:
    """All frames of `ds` decoded, with the description of what was decoded (its
    photometric interpretation and planar configuration after decoding).

    `out_alloc` (a byte count -> a writable buffer of that many bytes): where a decoder
    that can decode into the caller's memory (RLE) puts the frames."""
    from . import _decode_with_desc

    return _decode_with_desc(ds, as_rgb=as_rgb, threads=threads, opts=opts, out_alloc=out_alloc)


_MAX_VALUE = 2**32 - 2  # the largest even defined length


class _ValueBuffer:
    """The bytes a decoder writes the frames into (``out_alloc``): the Pixel Data value
    made in place, padded to even length, one allocation and no copy."""

    def __init__(self) -> None:
        self.builder: Any = None

    def __call__(self, nbytes: int) -> Any:
        from dcmfast._core.bytesout import BytesBuilder

        if nbytes > _MAX_VALUE:
            raise PixelDataError("Unable to decompress as the length of the uncompressed pixel "
                                 "data will be greater than the maximum allowed by the DICOM "
                                 "Standard")
        self.builder = BytesBuilder(nbytes, True)
        return self.builder

    def value_of(self, arr: np.ndarray) -> bytes | None:
        """The bytes holding `arr`'s samples, when `arr` is all of the buffer decoded into."""
        builder = self.builder
        if builder is None or not arr.flags.c_contiguous or arr.nbytes != len(builder):
            return None
        base = np.frombuffer(builder, dtype=np.uint8)
        if arr.size and arr.__array_interface__["data"][0] != base.__array_interface__["data"][0]:
            return None
        return builder.value  # type: ignore[no-any-return]


def decompress(ds: Any, *, as_rgb: bool = True, generate_instance_uid: bool = True,
               decoding_plugin: str = "", threads: int | None = None, **kwargs: Any) -> Any:
    """Decompress the pixel data of `ds` in place, as pydicom 3's ``decompress``: Pixel
    Data becomes the decoded frames (padded to even length; OB for up to 8 bits
    allocated, else OW; defined length), (0002,0010) Explicit VR Little Endian, the
    Photometric Interpretation what the decoder gives (RGB for YBR with ``as_rgb``),
    Planar Configuration 0 for colour, Number of Frames the decoded frame count, and
    with ``generate_instance_uid`` a new SOP Instance UID. Frames are decoded on all
    CPUs (`threads` bounds them). On any error the dataset is left unchanged.

    Parameters
    ----------
    ds : Dataset
        The dataset (changed in place).
    as_rgb : bool
        Convert YBR colour to RGB.
    generate_instance_uid : bool
        Give the dataset a new SOP Instance UID.
    decoding_plugin : str
        Ignored (one decoder per syntax).
    threads : int, optional
        Threads decoding frames (default: every CPU).
    **kwargs
        Options of :func:`pixel_array`.

    Returns
    -------
    Dataset
        `ds`.

    Raises
    ------
    PixelDataError
        No pixel data, no Transfer Syntax UID, the data is uncompressed already, or the
        result would be 4 GiB or more.
    UnsupportedTransferSyntaxError
        No decoder for the syntax.
    """
    del decoding_plugin
    kwargs.pop("index", None)
    kwargs.pop("use_pdh", None)
    if "PixelData" not in ds:
        raise PixelDataError("Unable to decompress as the dataset has no (7FE0,0010) 'Pixel Data' "
                             "element")
    meta = getattr(ds, "file_meta", None) or {}
    tsyntax = meta.get("TransferSyntaxUID", None)
    if not tsyntax:
        raise PixelDataError("Unable to determine the initial compression state as there's no "
                             "(0002,0010) 'Transfer Syntax UID' element in the dataset's "
                             "'file_meta'")
    syntax = lookup(str(tsyntax))
    if syntax is None:
        raise UnsupportedTransferSyntaxError(f"No decoder for the transfer syntax '{tsyntax}'")
    if not syntax.encapsulated:
        raise PixelDataError("The dataset is already uncompressed")
    into = _ValueBuffer()
    arr, desc, nr_frames = decoded_array(ds, as_rgb=as_rgb, threads=threads, out_alloc=into,
                                         **kwargs)
    data = into.value_of(arr)  # RLE: decoded straight into the value
    if data is None:
        if arr.nbytes > _MAX_VALUE:
            raise PixelDataError("Unable to decompress as the length of the uncompressed pixel "
                                 "data will be greater than the maximum allowed by the DICOM "
                                 "Standard")
        from dcmfast._core.bytesout import to_bytes

        data = to_bytes(np.ascontiguousarray(arr).reshape(-1).view(np.uint8), True)  # even
    del arr, into
    vr = "OB" if int(ds.BitsAllocated) <= 8 else "OW"
    new_uid = _new_uid() if generate_instance_uid else None

    def work(changes: _Changes, meta: Any) -> None:
        changes.set(ds, "PixelData", _TAG_PIXEL_DATA, data, vr)
        changes.set(meta, "TransferSyntaxUID", 0x00020010, EXPLICIT_VR_LITTLE_ENDIAN)
        if new_uid is not None:
            changes.set(ds, "SOPInstanceUID", 0x00080018, new_uid)
            changes.set(meta, "MediaStorageSOPInstanceUID", 0x00020003, new_uid)
        changes.set(ds, "PhotometricInterpretation", 0x00280004, desc.photometric_interpretation)
        if desc.samples_per_pixel > 1:
            changes.set(ds, "PlanarConfiguration", 0x00280006, desc.planar_configuration)
        if "NumberOfFrames" in ds or nr_frames > 1:
            changes.set(ds, "NumberOfFrames", 0x00280008, nr_frames)

    _apply(ds, work)
    return ds
