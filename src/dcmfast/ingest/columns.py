"""The tags read and their columns: keywords, ints or pairs -> :class:`Column` (name, tag, VR, kind)."""
from __future__ import annotations

import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..datadict import KEYWORD_TO_TAG, MAIN, get_entry

#: The tags read when none are given: identity, retrieval keys and geometry.
DEFAULT_TAGS: tuple[str, ...] = (
    "PatientID",
    "PatientName",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "SOPClassUID",
    "Modality",
    "StudyDate",
    "SeriesDate",
    "AccessionNumber",
    "StudyDescription",
    "SeriesDescription",
    "SeriesNumber",
    "InstanceNumber",
    "Rows",
    "Columns",
    "NumberOfFrames",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
)

#: The fields of every record before the tag values.
RECORD_FIELDS: tuple[str, ...] = ("path", "size", "mtime_ns", "transfer_syntax", "error_type", "error")

_N_FIXED = len(RECORD_FIELDS)
_NOT_DICOM_MESSAGE = (
    "File is missing DICOM File Meta Information header or the 'DICM' prefix is missing "
    "from the header. Use force=True to force reading."
)
_AMBIGUOUS_VRS = frozenset(["US or SS or OW", "US or SS", "US or OW", "OB or OW"])
# tags whose value the facade adjusts after conversion: always read through it
_FACADE_TAGS = frozenset([0x00281101, 0x00281102, 0x00281103, 0x00283002])

_INT_VRS = frozenset(["US", "SS", "UL", "SL", "UV", "SV", "IS", "AT", "US or SS"])
_FLOAT_VRS = frozenset(["FL", "FD", "DS"])
_BYTES_VRS = frozenset(["OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW"])


# -- tags and columns ------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One tag asked for: its column name, dictionary VR / VM and the typed-output kind.

    Attributes
    ----------
    tag : int
        The tag.
    name : str
        The column name: the keyword, or ``xGGGGEEEE`` for a tag without one.
    vr, vm : str
        The dictionary VR ("" for tags the dictionary does not know) and VM.
    kind : str
        ``"str"``, ``"int"``, ``"float"``, ``"bytes"`` or ``"any"`` (JSON text).
    multi : bool
        A list column (the dictionary allows more than one value).
    """

    tag: int
    name: str
    vr: str  # dictionary VR; "" for tags the dictionary does not know (private)
    vm: str
    kind: str  # "str", "int", "float", "bytes" or "any"
    multi: bool  # a list column (the dictionary allows more than one value)


def _parse_tag(spec: Any) -> int:
    if isinstance(spec, int):
        value = int(spec)
    elif isinstance(spec, (tuple, list)) and len(spec) == 2:
        value = (int(spec[0]) << 16) | int(spec[1])
    elif isinstance(spec, str):
        text = spec.strip()
        if text in KEYWORD_TO_TAG:
            return KEYWORD_TO_TAG[text]
        hexa = re.sub(r"[\s(),]", "", text)
        if hexa.lower().startswith("0x"):
            hexa = hexa[2:]
        if not re.fullmatch(r"[0-9A-Fa-f]{8}", hexa):
            raise ValueError(f"unknown tag {spec!r}: give a keyword, (gggg,eeee) or ggggeeee")
        value = int(hexa, 16)
    else:
        raise TypeError(f"not a tag: {spec!r}")
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"not a tag: {spec!r}")
    return value


def _kind(vr: str) -> str:
    if vr in _INT_VRS:
        return "int"
    if vr in _FLOAT_VRS:
        return "float"
    if vr in _BYTES_VRS:
        return "bytes"
    if not vr or vr in _AMBIGUOUS_VRS:
        return "any"
    return "str"


def resolve_tags(tags: Iterable[Any] = DEFAULT_TAGS) -> tuple[Column, ...]:
    """The columns for `tags` (keywords, ints, (group, element) pairs or hex strings).

    Duplicates are dropped. Sequences (SQ) and item tags cannot be columns.

    Parameters
    ----------
    tags : iterable of str, int or tuple
        The top-level elements to read: keywords, ints, ``(group, element)`` pairs or hex
        strings (default: ``DEFAULT_TAGS``).

    Returns
    -------
    tuple of Column

    Raises
    ------
    ValueError
        A tag that cannot be parsed, a sequence or item tag, or no tags.
    TypeError
        Something that is not a tag.
    """
    if isinstance(tags, (str, int)):
        tags = [tags]
    out: list[Column] = []
    seen: set[int] = set()
    for spec in tags:
        tag = _parse_tag(spec)
        if tag in seen:
            continue
        seen.add(tag)
        if tag >> 16 == 0xFFFE:
            raise ValueError(f"({tag >> 16:04X},{tag & 0xFFFF:04X}) is an item tag, not an element")
        try:
            vr, vm, _name, _retired, keyword = get_entry(tag)
        except KeyError:
            vr, vm, keyword = "", "1-n", ""
            if not (tag >> 16) & 1 and tag & 0xFFFF == 0:
                vr, vm = "UL", "1"  # a group length, as the facade reads it
        if vr == "SQ":
            raise ValueError(f"{keyword or hex(tag)} is a sequence: only element values can be columns")
        name = keyword or f"x{tag:08X}"
        out.append(Column(tag, name, vr, vm, _kind(vr), vm != "1"))
    if not out:
        raise ValueError("no tags to read")
    return tuple(out)


def _fast_vr(col: Column) -> str:
    """The VR the compiled reader uses for an implicit VR element ("" or "*": the facade)."""
    if col.tag in _FACADE_TAGS:
        return "*"
    if (col.tag >> 16) & 1 or col.vr in _AMBIGUOUS_VRS or len(col.vr) != 2:
        return ""
    return col.vr


_SQ_TAGS = array("I", sorted(t for t, e in MAIN.items() if e[0] == "SQ"))


