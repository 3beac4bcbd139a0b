"""dcmfast's exception classes.

Every error dcmfast raises for bad input is a :class:`DcmfastError`. Read errors
carry the tag and the byte offset where reading failed.
"""
from __future__ import annotations

__all__ = [
    "DcmfastError",
    "InvalidDicomError",
    "UnsupportedTransferSyntaxError",
    "PixelDataError",
    "MissingPixelDataError",
    "UnsupportedPixelFormatError",
    "InvalidValueError",
    "BytesLengthException",
    "ResourceLimitError",
    "UnknownVRError",
    "AmbiguousVRError",
    "DicomWriteError",
    "DeidentificationError",
    "VolumeError",
]


class DcmfastError(Exception):
    """Base class of every dcmfast error."""


class InvalidDicomError(DcmfastError, ValueError):
    """The input is not valid DICOM (or is damaged beyond what can be read).

    A ``ValueError``; once pydicom is imported, pydicom's ``InvalidDicomError`` catches
    it too.

    Parameters
    ----------
    message : str
        What is wrong (the file name is part of it where known).
    tag : int, optional
        The tag of the element where reading failed, appended to the message.
    offset : int, optional
        The byte offset where reading failed, appended to the message.

    Attributes
    ----------
    tag, offset : int or None
        As given.
    """

    def __init__(self, message: str, *, tag: int | None = None, offset: int | None = None) -> None:
        where = []
        if tag is not None:
            where.append(f"tag ({tag >> 16:04X},{tag & 0xFFFF:04X})")
        if offset is not None:
            where.append(f"byte offset {offset} (0x{offset:X})")
        if where:
            message = f"{message} [at {', '.join(where)}]"
        super().__init__(message)
        self.tag = tag
        self.offset = offset


class UnsupportedTransferSyntaxError(DcmfastError, NotImplementedError):
    """No decoder is available for the transfer syntax."""


class PixelDataError(DcmfastError, ValueError):
    """Pixel data is missing, malformed or inconsistent with its description."""


class MissingPixelDataError(PixelDataError, AttributeError):
    """There is no pixel data to decode (or no Transfer Syntax UID to decode it by).

    An AttributeError too, as pydicom raises there: ``hasattr(ds, "pixel_array")`` is
    False for a dataset without pixel data.
    """


class UnsupportedPixelFormatError(PixelDataError, NotImplementedError):
    """The pixel data is valid DICOM but has no numpy representation (e.g. Bits
    Allocated 24); a NotImplementedError, as pydicom raises there."""


class InvalidValueError(DcmfastError, ValueError):
    """A value is invalid for its VR and the validation mode is RAISE
    (``dcmfast.config.settings.reading_validation_mode``; pydicom raises ValueError)."""


class BytesLengthException(DcmfastError, ValueError):
    """A value's length is not a multiple of its VR's item size."""


class ResourceLimitError(DcmfastError, MemoryError):
    """Reading or decoding would allocate more than the read's ``max_bytes`` allows.

    Raised before the allocation (inflating a deflated dataset, growing the element
    index, sizing a decoded pixel array): a header field asked for more memory than
    the cap permits. Raise the cap with ``dcmread(..., max_bytes=...)``.
    """


class UnknownVRError(DcmfastError, NotImplementedError):
    """An element's VR is not one dcmfast (or pydicom) knows how to convert."""


class AmbiguousVRError(DcmfastError, AttributeError):
    """An ambiguous VR (e.g. 'OB or OW') cannot be resolved: an element it depends on is missing."""


class DicomWriteError(DcmfastError, ValueError):
    """A dataset cannot be written as asked (pydicom's writer raises ValueError there too):
    an inconsistent encoding, a File Meta that is missing required elements, a value
    that cannot be encoded for its VR."""


class DeidentificationError(DcmfastError, ValueError):
    """De-identification cannot proceed: a bad option, key, key file or UID root."""


class VolumeError(DcmfastError, ValueError):
    """Slices do not make one volume: files of several series, inconsistent orientation,
    pixel spacing or size, a missing slice, duplicate positions, uneven spacing, an
    absent or non-finite Image Position / Orientation (each named in the message)."""
