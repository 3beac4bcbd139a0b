"""DICOM data dictionary lookups (keyword <-> tag, VR, VM, name, retired).

The tables are generated from pydicom's dictionary by ``tools/gen_datadict.py``;
importing this module does not import pydicom. The private dictionary is loaded
on first use.
"""
from __future__ import annotations

from typing import Any

from ._main import MAIN, REPEATERS

__all__ = [
    "dictionary_VR",
    "dictionary_VM",
    "dictionary_description",
    "dictionary_is_retired",
    "dictionary_keyword",
    "dictionary_has_tag",
    "repeater_has_tag",
    "keyword_for_tag",
    "tag_for_keyword",
    "get_entry",
    "private_dictionary_VR",
    "private_dictionary_description",
    "get_private_entry",
]

KEYWORD_TO_TAG: dict[str, int] = {entry[4]: tag for tag, entry in MAIN.items()}

# (xor value, and-mask) per repeater mask string: tag matches when
# (tag ^ value) & mask == 0
_MASKS: list[tuple[str, int, int]] = [
    (
        mask,
        int(mask.replace("x", "0"), 16),
        int("".join("0" if c == "x" else "F" for c in mask), 16),
    )
    for mask in REPEATERS
]


def _mask_match(tag: int) -> str | None:
    for mask, value, keep in _MASKS:
        if (tag ^ value) & keep == 0:
            return mask
    return None


def get_entry(tag: int) -> tuple[str, str, str, bool, str]:
    """Return (VR, VM, name, retired, keyword) for a public tag; KeyError if unknown."""
    tag = int(tag)
    try:
        return MAIN[tag]
    except KeyError:
        if not (tag >> 16) & 1:
            mask = _mask_match(tag)
            if mask is not None:
                return REPEATERS[mask]
        raise KeyError(f"Tag ({tag >> 16:04X},{tag & 0xFFFF:04X}) not found in DICOM dictionary") from None


def dictionary_VR(tag: int) -> str:
    return get_entry(tag)[0]


def dictionary_VM(tag: int) -> str:
    return get_entry(tag)[1]


def dictionary_description(tag: int) -> str:
    return get_entry(tag)[2]


def dictionary_is_retired(tag: int) -> bool:
    return get_entry(tag)[3]


def dictionary_keyword(tag: int) -> str:
    return get_entry(tag)[4]


def dictionary_has_tag(tag: int) -> bool:
    try:
        return int(tag) in MAIN
    except (TypeError, ValueError):
        return False


def repeater_has_tag(tag: int) -> bool:
    return _mask_match(int(tag)) in REPEATERS


def keyword_for_tag(tag: int) -> str:
    try:
        return dictionary_keyword(tag)
    except KeyError:
        return ""


def tag_for_keyword(keyword: str) -> int | None:
    return KEYWORD_TO_TAG.get(keyword)


_private: dict[str, dict[str, tuple[str, str, str, bool]]] | None = None


def _private_tables() -> dict[str, dict[str, tuple[str, str, str, bool]]]:
    global _private
    if _private is None:
        from ._private import PRIVATE

        _private = PRIVATE
    return _private


def get_private_entry(tag: int, private_creator: Any) -> tuple[str, str, str, bool]:
    """Return (VR, VM, name, retired) for a private tag under `private_creator`."""
    tag = int(tag)
    try:
        table = _private_tables()[private_creator]
    except (KeyError, TypeError):
        raise KeyError(f"Private creator {private_creator!r} not in the private dictionary") from None
    group = f"{tag >> 16:04X}"
    elem = f"{tag & 0xFFFF:04X}"
    for key in (group + elem, group + "xx" + elem[2:], group[:2] + "xxxx" + elem[2:]):
        entry = table.get(key)
        if entry is not None:
            return entry
    raise KeyError(f"Tag ({group},{elem}) not in private dictionary for {private_creator!r}")


def private_dictionary_VR(tag: int, private_creator: Any) -> str:
    return get_private_entry(tag, private_creator)[0]


def private_dictionary_description(tag: int, private_creator: Any) -> str:
    return get_private_entry(tag, private_creator)[2]
