"""DataElement: one element of a dataset, its value converted once and cached.

The class is compiled (``dcmfast._core.element``); this module is its public home.
"""
from __future__ import annotations

from ._core.element import (
    ALLOW_BACKSLASH,
    AMBIGUOUS_VR,
    BYTES_VR,
    DEFAULT_CHARSET_VR,
    LONG_VALUE_VR,
    DataElement,
)

TYPE_CHECKING = False  # (not typing.TYPE_CHECKING: `import dcmfast` does not import typing)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ALLOW_BACKSLASH",
    "AMBIGUOUS_VR",
    "BYTES_VR",
    "DEFAULT_CHARSET_VR",
    "LONG_VALUE_VR",
    "DataElement",
    "RawDataElement",
    "empty_value_for_VR",
]



def empty_value_for_VR(VR: str | None, raw: bool = False) -> Any:  # noqa: N802, N803
    """The value an empty element of `VR` has (pydicom's defaults).

    Parameters
    ----------
    VR : str or None
        The Value Representation.
    raw : bool
        The raw (bytes) form: ``b""`` for text VRs, PN and SQ, else None.

    Returns
    -------
    object
        ``""`` for text VRs but DS and IS (and for PN), an empty Sequence for SQ, None
        otherwise (as pydicom, with ``config.use_none_as_empty_text_VR_value`` False).
    """
    from ._core.values import empty_value

    if raw:
        return b"" if VR == "SQ" or VR == "PN" or (VR in _STR_VR and VR not in ("DS", "IS")) else None
    return empty_value(VR or "")


_STR_VR = DEFAULT_CHARSET_VR | {"LO", "LT", "PN", "SH", "ST", "UC", "UT"}


RawDataElement = None  # dcmfast has no raw elements: values convert lazily inside DataElement
