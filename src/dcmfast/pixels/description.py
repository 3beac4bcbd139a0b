"""What the decoders need to know about a pixel data element, whatever its source.

:class:`PixelDescription` carries the Image Pixel module values, the transfer
syntax and the pixel data value itself as a zero-copy memoryview. It is built
once from a path, bytes, a pydicom Dataset or a dcmfast Dataset
(:func:`describe`) and validated with the rules pydicom 3 applies, so the
decoders never look at a dataset.
"""
from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any

from dcmfast._core import pixfast as _pixfast
from dcmfast._limits import default_max_bytes
from dcmfast.errors import (
    DcmfastError,
    MissingPixelDataError,
    PixelDataError,
    ResourceLimitError,
    UnsupportedPixelFormatError,
    UnsupportedTransferSyntaxError,
)

from ._syntax import Syntax, lookup

__all__ = ["PixelDescription", "describe", "PIXEL_KEYWORDS"]

LOGGER = logging.getLogger(__name__)

# pixel keyword -> tag
PIXEL_KEYWORDS = {
    "PixelData": 0x7FE00010,
    "FloatPixelData": 0x7FE00008,
    "DoubleFloatPixelData": 0x7FE00009,
}
_EXTENDED_OFFSET_TABLE = 0x7FE00001
_EXTENDED_OFFSET_TABLE_LENGTHS = 0x7FE00002

# description field -> Image Pixel module tag
_IMAGE_PIXEL = {
    "samples_per_pixel": 0x00280002,
    "photometric_interpretation": 0x00280004,
    "planar_configuration": 0x00280006,
    "number_of_frames": 0x00280008,
    "rows": 0x00280010,
    "columns": 0x00280011,
    "bits_allocated": 0x00280100,
    "bits_stored": 0x00280101,
    "pixel_representation": 0x00280103,
}
_KNOWN_PHOTOMETRIC = {
    "MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "YBR_FULL", "YBR_FULL_422",
    "YBR_ICT", "YBR_RCT", "HSV", "ARGB", "CMYK", "YBR_PARTIAL_422", "YBR_PARTIAL_420",
}


@dataclasses.dataclass(frozen=True, slots=True)
class PixelDescription:
    """One pixel data element and the values that describe it (:func:`describe` makes it).

    Attributes
    ----------
    rows, columns, samples_per_pixel, bits_allocated, bits_stored : int
        The Image Pixel values of those names.
    pixel_representation, planar_configuration : int
        0 or 1.
    photometric_interpretation : str
        ``MONOCHROME2``, ``RGB``, ``YBR_FULL_422``, ...
    number_of_frames : int
        Frames in the pixel data (1 without Number of Frames).
    transfer_syntax_uid : str
        The transfer syntax of the pixel data.
    data : memoryview
        The pixel data value, without a copy.
    pixel_keyword : str
        ``PixelData``, ``FloatPixelData`` or ``DoubleFloatPixelData``.
    pixel_vr : str or None
        The VR the pixel data was read with.
    extended_offsets : tuple or None
        The raw (offsets, lengths) values of the Extended Offset Table.
    max_bytes : int or None
        The cap on what a decoder may allocate (the read's ``max_bytes``).
    """

    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    planar_configuration: int
    photometric_interpretation: str
    number_of_frames: int
    transfer_syntax_uid: str
    data: memoryview
    pixel_keyword: str = "PixelData"
    pixel_vr: str | None = None
    # raw (offsets, lengths) values of the Extended Offset Table, 8-byte little endian
    extended_offsets: tuple[Any, Any] | None = None
    # cap on the bytes a decoder may allocate for its output (dcmread's max_bytes)
    max_bytes: int | None = None

    def check_alloc(self, nbytes: int, what: str) -> None:
        """Raise ResourceLimitError before allocating `nbytes` for `what` over the cap.

        Parameters
        ----------
        nbytes : int
            The size of the allocation.
        what : str
            What it is for (named in the message).

        Raises
        ------
        ResourceLimitError
            `nbytes` is more than :attr:`max_bytes`.
        """
        if self.max_bytes is not None and nbytes > self.max_bytes:
            raise ResourceLimitError(
                f"Decoding would allocate {nbytes} bytes for {what} ({self.number_of_frames} "
                f"frame(s) of {self.rows} x {self.columns} x {self.samples_per_pixel}, "
                f"{self.bits_allocated} bits allocated), more than max_bytes={self.max_bytes}")

    def replace(self, **changes: Any) -> PixelDescription:
        """A copy with some fields changed.

        Parameters
        ----------
        **changes
            New values of fields (``rows=...``).

        Returns
        -------
        PixelDescription
        """
        return dataclasses.replace(self, **changes)

    @property
    def syntax(self) -> Syntax:
        """What the transfer syntax means for decoding (UnsupportedTransferSyntaxError when unknown)."""
        syntax = lookup(self.transfer_syntax_uid)
        if syntax is None:
            raise UnsupportedTransferSyntaxError(
                f"Transfer syntax '{self.transfer_syntax_uid}' is not one dcmfast can "
                "decode pixel data for")
        return syntax

    @property
    def frame_pixels(self) -> int:
        """Samples in one frame (rows x columns x samples per pixel)."""
        return self.rows * self.columns * self.samples_per_pixel

    @property
    def itemsize(self) -> int:
        """Bytes per decoded sample (1-bit data is unpacked to one byte per sample)."""
        return max(self.bits_allocated // 8, 1)

    @property
    def frame_bytes(self) -> int:
        """Bytes of one decoded frame."""
        return self.frame_pixels * self.itemsize

    @property
    def dtype_str(self) -> str:
        """The numpy dtype (native byte order) of the decoded samples."""
        if self.pixel_keyword == "FloatPixelData":
            return "float32"
        if self.pixel_keyword == "DoubleFloatPixelData":
            return "float64"
        if self.bits_allocated == 1:
            return "uint8"
        return f"{'ui'[self.pixel_representation]}{self.itemsize}"

    @property
    def is_integer(self) -> bool:
        """True for (integer) Pixel Data, False for Float and Double Float Pixel Data."""
        return self.pixel_keyword == "PixelData"

    def frame_shape(self) -> tuple[int, ...]:
        """The shape of one decoded frame: (rows, columns) or (rows, columns, samples)."""
        if self.samples_per_pixel == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.samples_per_pixel)

    def validate(self) -> PixelDescription:
        """Check every value as pydicom 3 does; raise PixelDataError naming the element."""
        self.syntax  # noqa: B018  (unknown syntax raises)

        def bad(tag: str, name: str, value: Any, rule: str) -> PixelDataError:
            return PixelDataError(f"A ({tag}) '{name}' value of {value!r} is invalid, {rule}")

        ba = self.bits_allocated
        if not 1 <= ba <= 64 or (ba != 1 and ba % 8):
            raise bad("0028,0100", "Bits Allocated", ba, "it must be 1 or a multiple of 8 up to 64")
        if self.is_integer and not 1 <= self.bits_stored <= ba:
            raise bad("0028,0101", "Bits Stored", self.bits_stored,
                      f"it must be 1 to the 'Bits Allocated' value {ba}")
        if not self.is_integer and ba != (32 if self.pixel_keyword == "FloatPixelData" else 64):
            raise bad("0028,0100", "Bits Allocated", ba, f"it does not match {self.pixel_keyword}")
        if not 0 < self.rows <= 0xFFFF:
            raise bad("0028,0010", "Rows", self.rows, "it must be 1 to 65535")
        if not 0 < self.columns <= 0xFFFF:
            raise bad("0028,0011", "Columns", self.columns, "it must be 1 to 65535")
        if self.number_of_frames < 1:
            raise bad("0028,0008", "Number of Frames", self.number_of_frames, "it must be at least 1")
        if self.samples_per_pixel not in (1, 3):
            raise bad("0028,0002", "Samples per Pixel", self.samples_per_pixel, "it must be 1 or 3")
        if self.samples_per_pixel == 3 and self.planar_configuration not in (0, 1):
            raise bad("0028,0006", "Planar Configuration", self.planar_configuration, "it must be 0 or 1")
        if self.is_integer and self.pixel_representation not in (0, 1):
            raise bad("0028,0103", "Pixel Representation", self.pixel_representation, "it must be 0 or 1")
        if self.photometric_interpretation not in _KNOWN_PHOTOMETRIC:
            raise bad("0028,0004", "Photometric Interpretation", self.photometric_interpretation,
                      "it is not a known value")
        if self.is_integer and ba not in (1, 8, 16, 32, 64):
            # e.g. 24: valid DICOM, but numpy has no 3-byte integers (pydicom's error)
            raise UnsupportedPixelFormatError(
                f"The data type '{self.dtype_str}' needed to contain the pixel data is not "
                "supported by NumPy")
        return self


# --------------------------------------------------------------------------- building


def _as_int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)):  # a multi-valued US: pydicom would fail too
        raise PixelDataError(f"'{name}' has {len(value)} values, one expected")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise PixelDataError(f"'{name}' value {value!r} is not a number") from exc


def _raw_view(ds: Any, tag: int) -> memoryview | None:
    """The element's value bytes without a copy when the dataset can give them."""
    if hasattr(ds, "_raw_value_view"):  # a dcmfast Dataset
        view: memoryview | None = ds._raw_value_view(tag)
        return view
    if tag not in ds:
        return None
    value = ds[tag].value
    return None if value is None else memoryview(value)


def _element_value(ds: Any, tag: int) -> Any:
    lookup = getattr(ds, "_lookup", None)  # a dcmfast Dataset: one call, no KeyError
    if lookup is not None:
        elem = lookup(tag)
        return None if elem is None else elem.value
    return ds[tag].value if tag in ds else None


def _has(ds: Any, tag: int) -> bool:
    lookup = getattr(ds, "_lookup", None)
    if lookup is not None:
        return lookup(tag) is not None
    return tag in ds


def from_dataset(ds: Any) -> PixelDescription:
    """Build a :class:`PixelDescription` from a pydicom or dcmfast Dataset.

    An element that cannot be read (a damaged file: an unknown VR, an ambiguous
    VR that cannot be resolved, an undecodable string) raises PixelDataError
    naming it, with the original error chained.
    """
    try:
        return _from_dataset(ds)
    except DcmfastError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, NotImplementedError, LookupError,
            OverflowError) as exc:
        raise PixelDataError(
            f"Unable to read the values describing the pixel data: {type(exc).__name__}: {exc}"
        ) from exc


def _from_dataset(ds: Any) -> PixelDescription:
    meta = getattr(ds, "file_meta", None)
    tsuid = meta.get("TransferSyntaxUID") if meta is not None else None
    if not tsuid:
        raise MissingPixelDataError(
            "Unable to decode the pixel data as the dataset's 'file_meta' has no "
            "(0002,0010) 'Transfer Syntax UID' element")

    present = [kw for kw, tag in PIXEL_KEYWORDS.items() if _has(ds, tag)]
    if not present:
        raise MissingPixelDataError(
            "The dataset has no 'Pixel Data', 'Float Pixel Data' or 'Double Float "
            "Pixel Data' element, no pixel data to decode")
    if len(present) > 1:
        raise PixelDataError(
            "One and only one of 'Pixel Data', 'Float Pixel Data' or 'Double Float "
            "Pixel Data' may be present in the dataset")
    keyword = present[0]
    tag = PIXEL_KEYWORDS[keyword]
    data = _raw_view(ds, tag)
    if data is None:
        raise PixelDataError(f"The dataset's ({tag >> 16:04X},{tag & 0xFFFF:04X}) {keyword} is empty")
    if data.ndim != 1 or data.itemsize != 1:
        data = data.cast("B")

    values: dict[str, Any] = {}
    for field, etag in _IMAGE_PIXEL.items():
        value = _element_value(ds, etag)
        values[field] = value if field == "photometric_interpretation" else _as_int(value, field)
    missing = [
        f for f in ("rows", "columns", "bits_allocated", "samples_per_pixel", "photometric_interpretation")
        if values[f] is None
    ]
    if keyword == "PixelData":
        missing += [f for f in ("bits_stored", "pixel_representation") if values[f] is None]
    if values["samples_per_pixel"] == 3 and values["planar_configuration"] is None:
        if lookup(tsuid) is None or not lookup(tsuid).encapsulated:  # type: ignore[union-attr]
            missing.append("planar_configuration")
    if missing:
        tags = ", ".join(f"({_IMAGE_PIXEL[f] >> 16:04X},{_IMAGE_PIXEL[f] & 0xFFFF:04X}) {f}" for f in missing)
        raise PixelDataError(f"Missing required element(s) to decode the pixel data: {tags}")

    frames = values["number_of_frames"]
    if not frames:  # absent is 1 frame; 0 or empty is invalid: pydicom assumes 1
        if _element_value(ds, _IMAGE_PIXEL["number_of_frames"]) is not None or frames == 0:
            LOGGER.warning("A (0028,0008) 'Number of Frames' value of %r is invalid, assuming 1 frame",
                           frames)
        frames = 1

    eot = None
    offsets = _raw_view(ds, _EXTENDED_OFFSET_TABLE)
    if offsets is not None:
        lengths = _raw_view(ds, _EXTENDED_OFFSET_TABLE_LENGTHS)
        if lengths is not None:
            eot = (offsets, lengths)

    pixel_vr = None
    try:
        pixel_vr = str(ds[tag].VR)
    except (KeyError, AttributeError):
        pass

    photometric = str(values["photometric_interpretation"]).strip()
    return PixelDescription(
        rows=values["rows"],
        columns=values["columns"],
        samples_per_pixel=values["samples_per_pixel"],
        bits_allocated=values["bits_allocated"],
        bits_stored=values["bits_stored"] if values["bits_stored"] is not None else values["bits_allocated"],
        pixel_representation=values["pixel_representation"] or 0,
        planar_configuration=values["planar_configuration"] or 0,
        photometric_interpretation=photometric,
        number_of_frames=frames,
        transfer_syntax_uid=str(tsuid).strip("\0 "),
        data=data,
        pixel_keyword=keyword,
        pixel_vr=pixel_vr,
        extended_offsets=eot,
        max_bytes=_max_bytes_of(ds, len(data)),
    )


def _max_bytes_of(ds: Any, data_size: int) -> int:
    """The max_bytes the dataset was read with (dcmfast datasets), else dcmread's
    default for pixel data of `data_size` bytes (pydicom datasets)."""
    try:
        value = vars(ds).get("_max_bytes")
    except TypeError:
        value = None
    return value if isinstance(value, int) else default_max_bytes(data_size)


# sources describe() (and pixel_array) read with dcmfast's reader first
READABLE = (str, os.PathLike, bytes, bytearray, memoryview)


def _read_dataset(src: Any, threads: int | None = None) -> Any:
    """Read a path or bytes with dcmfast's reader (`threads` 1: on this thread alone)."""
    from dcmfast.reader import dcmread

    return dcmread(src, read_threads=1 if threads == 1 else None)


_fast_describe: Any = _pixfast.describe  # a test swaps in a function returning None


def describe(src: Any, *, _threads: int | None = None,
             **overrides: Any) -> tuple[PixelDescription, Any]:
    """The validated :class:`PixelDescription` of `src` and the object that owns its
    buffer (kept alive alongside the arrays that view it).

    `src` is a path, a bytes-like holding a DICOM file, or a pydicom / dcmfast
    Dataset. `overrides` replace described values (pydicom's option names).
    `_threads` 1 reads a path on the calling thread alone.

    Parameters
    ----------
    src : str, PathLike, bytes-like or Dataset
        As :func:`pixel_array` takes it.
    **overrides
        Values that replace the described ones (``rows``, ``columns``,
        ``number_of_frames``, ... : the fields of :class:`PixelDescription`).

    Returns
    -------
    tuple of (PixelDescription, object)

    Raises
    ------
    MissingPixelDataError, PixelDataError
        No pixel data, or Image Pixel values that are missing or inconsistent.
    """
    if isinstance(src, READABLE):
        src = _read_dataset(src, _threads)
    # the common case of a dcmfast Dataset read from a file, validated, or None
    desc = _fast_describe(src, PixelDescription)
    if desc is None:
        desc = from_dataset(src)
    elif not overrides:
        return desc, src
    if overrides:
        try:
            desc = desc.replace(**overrides)
        except TypeError as exc:
            raise TypeError(f"Unknown pixel option: {exc}") from None
    return desc.validate(), src
