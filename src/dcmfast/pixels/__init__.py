"""Pixel data as numpy arrays: :func:`pixel_array` and :func:`iter_pixels`.

``src`` is a path, a bytes-like DICOM file, a pydicom Dataset or a dcmfast
Dataset. It is reduced once to a :class:`PixelDescription` (the Image Pixel
values plus a zero-copy view of the pixel data), which the decoder registered
for its transfer syntax turns into samples; the shared steps (unused bits,
shape, YBR -> RGB) then give arrays equal to pydicom 3's ``pixel_array``.
Native little-endian data is returned as a read-only view of the source buffer.

The other way, :func:`rle_encode` RLE Lossless encodes an array frame by frame and
:func:`encapsulate` / :func:`encapsulate_extended` make a Pixel Data value of the
encoded frames (pydicom's ``encaps`` output, byte for byte); :func:`generate_frames`
and :func:`get_frame` take them apart again.

Datasets in place: :func:`compress` and :func:`decompress` (pydicom 3's, also
``Dataset.compress`` / ``Dataset.decompress``); a file to another file:
:func:`transcode` (``dcmfast transcode``). The grey-scale and colour pipeline of
``pydicom.pixels.processing``, compiled: :func:`apply_modality_lut`,
:func:`apply_rescale`, :func:`apply_voi_lut`, :func:`apply_voi`,
:func:`apply_windowing`, :func:`apply_presentation_lut`, :func:`apply_color_lut`,
:func:`convert_color_space`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

from dcmfast._core import pixfast as _pixfast
from dcmfast.errors import UnsupportedTransferSyntaxError

from . import jpeg, native, rle
from ._decoded import Decoded

# after rle_encode: codec imports it
from .codec import compress, decompress  # noqa: E402,I001
from .description import READABLE, PixelDescription, _read_dataset, describe
from .encaps import encapsulate, encapsulate_extended, generate_frames, get_frame
from .jpeg import codec_backends
from .lut import (
    apply_color_lut,
    apply_modality_lut,
    apply_presentation_lut,
    apply_rescale,
    apply_voi,
    apply_voi_lut,
    apply_windowing,
    convert_color_space,
)
from .processing import correct_unused_bits, shape, to_rgb
from .rle_encode import rle_encode
from .transcoding import transcode  # noqa: E402

__all__ = ["pixel_array", "iter_pixels", "PixelDescription", "describe", "DECODERS", "rle_encode",
           "encapsulate", "encapsulate_extended", "generate_frames", "get_frame", "compress",
           "decompress", "transcode", "codec_backends",
           "apply_color_lut", "apply_modality_lut", "apply_presentation_lut", "apply_rescale",
           "apply_voi", "apply_voi_lut", "apply_windowing", "convert_color_space"]


class DecoderEntry(NamedTuple):
    decode: Callable[..., Decoded]
    # apply pydicom's correct_unused_bits afterwards (RLE does it in its workers;
    # JPEG-LS and JPEG 2000 get a sign correction from the codestream instead)
    correct_bits: bool


def _native(desc: PixelDescription, indices: list[int] | None, *, allow_excess_frames: bool = True,
            **_: Any) -> Decoded:
    return native.decode(desc, None if indices is None else indices[0],
                         allow_excess_frames=allow_excess_frames)


# decoder per transfer syntax kind (see _syntax.SYNTAXES)
DECODERS: dict[str, DecoderEntry] = {
    "native": DecoderEntry(_native, True),
    "rle": DecoderEntry(rle.decode, False),
    "jpeg": DecoderEntry(jpeg.decode, True),
    "jpegls": DecoderEntry(jpeg.decode, False),
    "j2k": DecoderEntry(jpeg.decode, False),
}

_DECODE_OPTIONS = {"allow_excess_frames", "correct_unused_bits", "segment_order"}
_IGNORED_OPTIONS = {"view_only", "decoding_plugin", "use_pdh"}  # accepted for pydicom compatibility
_FIELDS = {f.name for f in dataclasses.fields(PixelDescription)} - {"data"}


def _split_options(opts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(decoder options, description overrides) from pydicom-style keyword options."""
    if "rle_segment_order" in opts:
        opts["segment_order"] = opts.pop("rle_segment_order")
    unknown = set(opts) - _DECODE_OPTIONS - _IGNORED_OPTIONS - _FIELDS
    if unknown:
        raise TypeError(f"Unknown pixel option(s): {', '.join(sorted(unknown))}")
    decode_opts = {k: v for k, v in opts.items() if k in _DECODE_OPTIONS}
    overrides = {k: v for k, v in opts.items() if k in _FIELDS}
    return decode_opts, overrides


# The compiled common case of pixel_array(ds) for a dcmfast Dataset read from a file
# (None: not served, take the path below); a test sets it to `_not_served` to compare.
# It stands for the native and RLE decoders below: not used once they are replaced.
_fast_pixel_array: Callable[[Any, bool, int], np.ndarray | None] = _pixfast.pixel_array
_NATIVE, _RLE = DECODERS["native"], DECODERS["rle"]


def _not_served(*_: Any) -> None:
    return None


def _entry(desc: PixelDescription) -> DecoderEntry:
    try:
        return DECODERS[desc.syntax.kind]
    except KeyError:  # pragma: no cover - every kind in _syntax has a decoder
        raise UnsupportedTransferSyntaxError(f"No decoder for '{desc.syntax.name}'") from None


def _decode_full(desc: PixelDescription, indices: list[int] | None, single: bool, *, raw: bool,
                 as_rgb: bool, threads: int | None,
                 opts: dict[str, Any]) -> tuple[np.ndarray, PixelDescription, int]:
    """(array, description of the array's samples, frame count)."""
    entry = _entry(desc)
    decoded = entry.decode(desc, indices, threads=threads, **opts)
    if entry.correct_bits:
        decoded = correct_unused_bits(decoded, opts.get("correct_unused_bits", True))
    arr = shape(decoded, single)
    out_desc = decoded.desc
    if not raw and as_rgb:
        arr, out_desc = to_rgb(arr, decoded.desc, decoded.owned)
    return arr, out_desc, decoded.frames


def _decode(desc: PixelDescription, indices: list[int] | None, single: bool, *, raw: bool,
            as_rgb: bool, threads: int | None, opts: dict[str, Any]) -> np.ndarray:
    return _decode_full(desc, indices, single, raw=raw, as_rgb=as_rgb, threads=threads,
                        opts=opts)[0]


def _decode_with_desc(src: Any, *, as_rgb: bool, threads: int | None, opts: dict[str, Any],
                      out_alloc: Callable[[int], Any] | None = None,
                      ) -> tuple[np.ndarray, PixelDescription, int]:
    """Every frame of `src` with what describes them after decoding (for decompress).

    `out_alloc` (a byte count -> a writable buffer of that size) is the memory a
    decoder that can write into the caller's memory (RLE) decodes into."""
    decode_opts, overrides = _split_options(dict(opts))
    desc, _owner = describe(src, _threads=threads, **overrides)
    if out_alloc is not None and _entry(desc) is _RLE:
        decode_opts["out_alloc"] = out_alloc
    return _decode_full(desc, None, False, raw=False, as_rgb=as_rgb, threads=threads,
                        opts=decode_opts)


def pixel_array(src: Any, *, index: int | None = None, raw: bool = False, as_rgb: bool = True,
                threads: int | None = None, **opts: Any) -> np.ndarray:
    """The pixel data of `src` as an ndarray, equal to pydicom 3's ``pixel_array``.

    `index` selects one frame (only that frame is decoded). ``raw=True`` or
    ``as_rgb=False`` keeps YBR_FULL(_422) samples as stored. `threads` bounds the
    threads reading a large file and decoding RLE frames (default: every CPU;
    1: everything on the calling thread). Other options:
    ``allow_excess_frames``, ``correct_unused_bits``, ``segment_order`` (RLE,
    ">" or "<") and overrides of the described values (``rows=...``,
    ``number_of_frames=...``, pydicom's option names).

    Native little-endian pixel data comes back as a read-only view on the source
    buffer (no copy; an edit can never change the dataset or the caller's buffer);
    ``arr.copy()`` gives a writable array.

    Parameters
    ----------
    src : str, PathLike, bytes-like or Dataset
        A path, the bytes of a DICOM file, or a dcmfast or pydicom Dataset.
    index : int, optional
        Decode only this frame (0-based).
    raw : bool
        Keep YBR_FULL(_422) samples as stored (no conversion to RGB).
    as_rgb : bool
        Convert YBR colour to RGB (pydicom's default).
    threads : int, optional
        Threads reading a large file and decoding RLE frames (default: every CPU).
    **opts
        ``allow_excess_frames``, ``correct_unused_bits``, ``segment_order``, and
        overrides of the described values (``rows=...``, ``number_of_frames=...``).

    Returns
    -------
    numpy.ndarray
        ``(rows, columns)``, ``(frames, rows, columns)``, with a last axis of samples
        for colour, as pydicom's.

    Raises
    ------
    MissingPixelDataError
        No pixel data (an ``AttributeError``, as pydicom's).
    UnsupportedTransferSyntaxError
        No decoder for the transfer syntax (for JPEG: pylibjpeg-libjpeg missing).
    PixelDataError
        The pixel data is malformed or does not match its description.
    ResourceLimitError
        The array would be larger than the read's ``max_bytes``.
    TypeError
        An unknown option.

    Examples
    --------
    >>> import dcmfast.pixels
    >>> from pydicom.data import get_testdata_file
    >>> arr = dcmfast.pixels.pixel_array(get_testdata_file("MR_small_RLE.dcm"))
    >>> arr.shape, arr.dtype.name
    ((64, 64), 'int16')
    """
    if index is None and not opts and (threads is None or (type(threads) is int and threads >= 1)):
        if isinstance(src, READABLE):  # read once: the compiled path needs the dataset
            src = _read_dataset(src, threads)
        if DECODERS.get("native") is _NATIVE and DECODERS.get("rle") is _RLE:
            # it leaves RLE work worth more than one thread to rle.decode; with
            # threads=1 only the large outputs rle.decode puts in reusable mappings
            arr = _fast_pixel_array(src, not raw and as_rgb, rle.PAGES_BYTES // 2
                                    if threads == 1 else rle.MIN_BYTES_PER_WORKER)
            if arr is not None:
                return arr
    decode_opts, overrides = _split_options(opts)
    desc, _owner = describe(src, _threads=threads, **overrides)
    if index is not None and index < 0:
        raise ValueError("'index' must be greater than or equal to 0")
    indices = None if index is None else [index]
    return _decode(desc, indices, index is not None, raw=raw, as_rgb=as_rgb, threads=threads,
                   opts=decode_opts)


def iter_pixels(src: Any, *, indices: Iterable[int] | None = None, raw: bool = False,
                as_rgb: bool = True, threads: int | None = None, **opts: Any) -> Iterator[np.ndarray]:
    """Yield the frames of `src` (those in `indices`, else all) one at a time.

    Each frame is decoded only when it is reached; options as :func:`pixel_array`.

    Parameters
    ----------
    src : str, PathLike, bytes-like or Dataset
        As :func:`pixel_array`.
    indices : iterable of int, optional
        The frames to yield (0-based), in that order; default: every frame.
    raw, as_rgb, threads, **opts
        As :func:`pixel_array`.

    Yields
    ------
    numpy.ndarray
        One frame: ``(rows, columns)`` or ``(rows, columns, samples)``.

    Raises
    ------
    ValueError
        A negative frame index.
    """
    decode_opts, overrides = _split_options(opts)
    desc, _owner = describe(src, _threads=threads, **overrides)
    for i in range(desc.number_of_frames) if indices is None else indices:
        if i < 0:
            raise ValueError("frame indices must be greater than or equal to 0")
        yield _decode(desc, [i], True, raw=raw, as_rgb=as_rgb, threads=threads, opts=decode_opts)
