"""Specific Character Set (0008,0005) handling.

The common cases (no character set, or one single-byte/UTF-8 set, and text
without ISO 2022 escape sequences) are decoded here directly. Code extensions
(escape sequences, several character sets) and non-standard terms are rare;
they are delegated to ``pydicom.charset`` so the result is identical to
pydicom's, and pydicom is imported only when such a file is read.
"""
from __future__ import annotations

import warnings

TYPE_CHECKING = False  # (not typing.TYPE_CHECKING: `import dcmfast` does not import typing)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


__all__ = ["default_encoding", "convert_encodings", "decode_bytes", "encode_string"]

default_encoding = "iso8859"

# DICOM defined terms (PS3.3 C.12.1.1.2) -> Python codec names
PYTHON_ENCODING = {
    "": default_encoding,
    "ISO_IR 6": default_encoding,
    "ISO_IR 13": "shift_jis",
    "ISO_IR 100": "latin_1",
    "ISO_IR 101": "iso8859_2",
    "ISO_IR 109": "iso8859_3",
    "ISO_IR 110": "iso8859_4",
    "ISO_IR 126": "iso_ir_126",
    "ISO_IR 127": "iso_ir_127",
    "ISO_IR 138": "iso_ir_138",
    "ISO_IR 144": "iso_ir_144",
    "ISO_IR 148": "iso_ir_148",
    "ISO_IR 166": "iso_ir_166",
    "ISO 2022 IR 6": default_encoding,
    "ISO 2022 IR 13": "shift_jis",
    "ISO 2022 IR 87": "iso2022_jp",
    "ISO 2022 IR 100": "latin_1",
    "ISO 2022 IR 101": "iso8859_2",
    "ISO 2022 IR 109": "iso8859_3",
    "ISO 2022 IR 110": "iso8859_4",
    "ISO 2022 IR 126": "iso_ir_126",
    "ISO 2022 IR 127": "iso_ir_127",
    "ISO 2022 IR 138": "iso_ir_138",
    "ISO 2022 IR 144": "iso_ir_144",
    "ISO 2022 IR 148": "iso_ir_148",
    "ISO 2022 IR 149": "euc_kr",
    "ISO 2022 IR 159": "iso2022_jp_2",
    "ISO 2022 IR 166": "iso_ir_166",
    "ISO 2022 IR 58": "iso_ir_58",
    "ISO_IR 192": "UTF8",
    "GB18030": "GB18030",
    "ISO 2022 GBK": "GBK",
    "ISO 2022 58": "GB2312",
    "GBK": "GBK",
}

DEFAULT = (default_encoding,)
_ESC = 0x1B


def convert_encodings(value: Any) -> tuple[str, ...]:
    """Python codecs for a Specific Character Set value (str, list or None).

    A value that is not text (a damaged (0008,0005), e.g. with VR US) or that
    names no usable codec gives the default character set, with a warning.

    Parameters
    ----------
    value : str, list of str or None
        The (0008,0005) Specific Character Set value.

    Returns
    -------
    tuple of str
        Python codec names.
    """
    if not value:
        return DEFAULT
    if isinstance(value, str):
        terms: list[str] = [value]
    else:
        try:
            terms = list(value)
        except TypeError:
            terms = [value]
        if terms and not terms[0]:
            terms[0] = "ISO_IR 6"
    if not all(isinstance(term, str) for term in terms):
        warnings.warn(
            f"Invalid Specific Character Set value of type {type(value).__name__} - using the "
            "default character set instead",
            stacklevel=2,
        )
        return DEFAULT
    if len(terms) == 1 and terms[0] in PYTHON_ENCODING:
        return (PYTHON_ENCODING[terms[0]],)
    from pydicom.charset import convert_encodings as pyd_convert

    try:
        return tuple(pyd_convert(terms))
    except (LookupError, ValueError, TypeError) as exc:
        warnings.warn(
            f"Unusable Specific Character Set value ({exc}) - using the default character set instead",
            stacklevel=2,
        )
        return DEFAULT


def decode_bytes(value: bytes, encodings: Sequence[str], delimiters: set[int]) -> str:
    """Decode text bytes as pydicom does (replacement characters on bad bytes).

    Parameters
    ----------
    value : bytes
        The encoded text.
    encodings : sequence of str
        Python codec names (the first is the default; ISO 2022 escapes switch).
    delimiters : set of int
        The bytes after which an ISO 2022 escape may switch back (``^`` and ``=`` of PN).

    Returns
    -------
    str
    """
    if _ESC not in value:
        first = encodings[0]
        try:
            return value.decode(first)
        except LookupError:
            warnings.warn(f"Unknown encoding '{first}' - using default encoding instead", stacklevel=2)
            return value.decode(default_encoding)
        except UnicodeError:
            warnings.warn(
                f"Failed to decode byte string with encoding '{first}' - using replacement "
                "characters in decoded string",
                stacklevel=2,
            )
            return value.decode(first, errors="replace")
    from pydicom.charset import decode_bytes as pyd_decode

    return pyd_decode(value, list(encodings), delimiters)


def encode_string(value: str, encodings: Sequence[str] | None) -> bytes:
    """Encode text with the first encoding that can (as pydicom does).

    Parameters
    ----------
    value : str
        The text.
    encodings : sequence of str or None
        Python codec names (default: ASCII/latin-1).

    Returns
    -------
    bytes
    """
    from pydicom.charset import encode_string as pyd_encode

    return pyd_encode(value, list(encodings or DEFAULT))
