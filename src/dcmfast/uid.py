"""UIDs as ``pydicom.uid``: :class:`UID`, :func:`generate_uid` and the registry's UIDs.

A constant for every UID of the registry (``dcmfast.uid.CTImageStorage``,
``dcmfast.uid.ExplicitVRLittleEndian``, ... made on first use from the generated table,
``dcmfast.datadict._uids``) and the transfer syntax groups (``AllTransferSyntaxes``,
``JPEGTransferSyntaxes``, ...)."""
from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from typing import Any

from .valuerep import UID

__all__ = [
    "UID",
    "generate_uid",
    "DCMFAST_ROOT_UID",
    "AllTransferSyntaxes",
    "JPEGTransferSyntaxes",
    "JPEGLSTransferSyntaxes",
    "JPEG2000TransferSyntaxes",
    "MPEGTransferSyntaxes",
    "RLETransferSyntaxes",
    "UncompressedTransferSyntaxes",
]

# generate_uid's default prefix: pydicom's root, so that a UID made by dcmfast is the one
# pydicom would make from the same entropy sources (pass your own organisation's root)
DCMFAST_ROOT_UID = "1.2.826.0.1.3680043.8.498."
_MAX_PREFIX_LENGTH = 54
_VALID_PREFIX = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*\.$")


def generate_uid(prefix: str | None = DCMFAST_ROOT_UID, entropy_srcs: list[str] | None = None) -> UID:
    """A new UID, as pydicom's ``generate_uid``.

    Parameters
    ----------
    prefix : str or None
        The root the UID starts with (ending in ``.``; at most 54 characters). The default
        is pydicom's root (so the same `entropy_srcs` give pydicom's UID): pass your
        organisation's. None: a ``2.25.`` UID derived from a random UUID (ISO/IEC 9834-8).
    entropy_srcs : list of str, optional
        Make the UID reproducible: `prefix` followed by the number of the SHA-512 of the
        joined strings (cut to 64 characters). Default: a random number.

    Returns
    -------
    UID

    Raises
    ------
    ValueError
        `prefix` is too long or not a valid UID root.

    Examples
    --------
    >>> from dcmfast.uid import generate_uid
    >>> generate_uid(entropy_srcs=["a patient", "a study"]) == generate_uid(
    ...     entropy_srcs=["a patient", "a study"])
    True
    """
    if prefix is None:
        return UID(f"2.25.{uuid.uuid4().int}")
    if len(prefix) > _MAX_PREFIX_LENGTH:
        raise ValueError(f"The 'prefix' should be no more than {_MAX_PREFIX_LENGTH} characters long")
    if not _VALID_PREFIX.match(prefix):
        raise ValueError(
            "The 'prefix' is not valid for use with a UID, see Part 5, Section 9.1 of the DICOM Standard"
        )
    if entropy_srcs is None:
        return UID(f"{prefix}{secrets.randbelow(10 ** (64 - len(prefix)))}")
    digest = hashlib.sha512("".join(entropy_srcs).encode("utf-8")).hexdigest()
    return UID(f"{prefix}{int(digest, 16)}"[:64])


def _by_keyword() -> dict[str, str]:
    from .datadict._uids import UIDS

    return {entry[4]: uid for uid, entry in UIDS.items() if entry[4]}


_KEYWORDS: dict[str, str] | None = None


def _constant(keyword: str) -> UID:
    global _KEYWORDS
    if _KEYWORDS is None:
        _KEYWORDS = _by_keyword()
    try:
        return UID(_KEYWORDS[keyword])
    except KeyError:
        raise AttributeError(f"module 'dcmfast.uid' has no attribute {keyword!r}") from None


def _group(*keywords: str) -> list[UID]:
    return [_constant(k) for k in keywords]


_GROUPS = {
    "JPEGTransferSyntaxes": ("JPEGBaseline8Bit", "JPEGExtended12Bit", "JPEGLossless", "JPEGLosslessSV1"),
    "JPEGLSTransferSyntaxes": ("JPEGLSLossless", "JPEGLSNearLossless"),
    "JPEG2000TransferSyntaxes": ("JPEG2000Lossless", "JPEG2000", "JPEG2000MCLossless", "JPEG2000MC",
                                 "HTJ2KLossless", "HTJ2KLosslessRPCL", "HTJ2K"),
    "MPEGTransferSyntaxes": ("MPEG2MPML", "MPEG2MPMLF", "MPEG2MPHL", "MPEG2MPHLF", "MPEG4HP41", "MPEG4HP41F",
                             "MPEG4HP41BD", "MPEG4HP41BDF", "MPEG4HP422D", "MPEG4HP422DF", "MPEG4HP423D",
                             "MPEG4HP423DF", "MPEG4HP42STEREO", "MPEG4HP42STEREOF", "HEVCMP51", "HEVCM10P51"),
    "RLETransferSyntaxes": ("RLELossless",),
    "UncompressedTransferSyntaxes": ("ExplicitVRLittleEndian", "ImplicitVRLittleEndian",
                                     "DeflatedExplicitVRLittleEndian", "ExplicitVRBigEndian"),
}
_ALL = ("ImplicitVRLittleEndian", "ExplicitVRLittleEndian", "DeflatedExplicitVRLittleEndian",
        "ExplicitVRBigEndian", *_GROUPS["JPEGTransferSyntaxes"], *_GROUPS["JPEGLSTransferSyntaxes"],
        *_GROUPS["JPEG2000TransferSyntaxes"][:4], *_GROUPS["MPEGTransferSyntaxes"],
        *_GROUPS["JPEG2000TransferSyntaxes"][4:], "JPIPHTJ2KReferenced", "JPIPHTJ2KReferencedDeflate",
        "RLELossless", "SMPTEST211020UncompressedProgressiveActiveVideo",
        "SMPTEST211020UncompressedInterlacedActiveVideo", "SMPTEST211030PCMDigitalAudio")


AllTransferSyntaxes = _group(*_ALL)
JPEGTransferSyntaxes = _group(*_GROUPS["JPEGTransferSyntaxes"])
JPEGLSTransferSyntaxes = _group(*_GROUPS["JPEGLSTransferSyntaxes"])
JPEG2000TransferSyntaxes = _group(*_GROUPS["JPEG2000TransferSyntaxes"])
MPEGTransferSyntaxes = _group(*_GROUPS["MPEGTransferSyntaxes"])
RLETransferSyntaxes = _group(*_GROUPS["RLETransferSyntaxes"])
UncompressedTransferSyntaxes = _group(*_GROUPS["UncompressedTransferSyntaxes"])


def __getattr__(name: str) -> Any:
    if not name[:1].isupper():
        raise AttributeError(f"module 'dcmfast.uid' has no attribute {name!r}")
    value = _constant(name)
    globals()[name] = value
    return value
