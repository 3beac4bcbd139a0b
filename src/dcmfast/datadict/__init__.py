"""DICOM data dictionary lookups (keyword <-> tag, VR, VM, name, retired).

The tables are generated from pydicom's dictionary by ``tools/gen_datadict.py``;
importing this module does not import pydicom. The public dictionary (``MAIN``,
``REPEATERS``, ``KEYWORD_TO_TAG``) is loaded on first use (the first keyword lookup or
VR look-up), the private dictionary too: ``import dcmfast`` pays for neither. The scanner's
tables of known and SQ tags come precomputed (:func:`tag_arrays`).
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from array import array
    from typing import Any

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

# loaded by _load() on first use (module __getattr__ for other modules)
MAIN: dict[int, tuple[str, str, str, bool, str]]
REPEATERS: dict[str, tuple[str, str, str, bool, str]]
KEYWORD_TO_TAG: dict[str, int]
# (mask string, xor value, and-mask) per repeater: tag matches when
# (tag ^ value) & mask == 0
_MASKS: list[tuple[str, int, int]]
_loaded = False


def _load() -> None:
    global MAIN, REPEATERS, KEYWORD_TO_TAG, _MASKS, _loaded
    from . import _main

    MAIN, REPEATERS = _main.MAIN, _main.REPEATERS
    KEYWORD_TO_TAG = {entry[4]: tag for tag, entry in MAIN.items()}
    _MASKS = [
        (
            mask,
            int(mask.replace("x", "0"), 16),
            int("".join("0" if c == "x" else "F" for c in mask), 16),
        )
        for mask in REPEATERS
    ]
    _loaded = True


def __getattr__(name: str) -> Any:
    if name in ("MAIN", "REPEATERS", "KEYWORD_TO_TAG"):
        _load()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def tag_arrays() -> tuple[array[int], array[int]]:
    """The sorted SQ tags and all public tags of the dictionary as uint32 arrays (for
    ``_core.parse.set_dictionary``), without loading the dictionary."""
    import sys
    from array import array

    from ._tags import KNOWN_TAGS, SQ_TAGS

    out = []
    for packed in (SQ_TAGS, KNOWN_TAGS):
        values = array("I")
        assert values.itemsize == 4
        values.frombytes(packed)
        if sys.byteorder == "big":
            values.byteswap()
        out.append(values)
    return out[0], out[1]


def _mask_match(tag: int) -> str | None:
    if not _loaded:
        _load()
    for mask, value, keep in _MASKS:
        if (tag ^ value) & keep == 0:
            return mask
    return None


def get_entry(tag: int) -> tuple[str, str, str, bool, str]:
    """Return (VR, VM, name, retired, keyword) for a public tag; KeyError if unknown.

    Parameters
    ----------
    tag : int
        The tag (repeating groups such as 60xx are matched).

    Returns
    -------
    tuple of (str, str, str, bool, str)

    Raises
    ------
    KeyError
        The tag is not in the public dictionary.
    """
    tag = int(tag)
    if not _loaded:
        _load()
    try:
        return MAIN[tag]
    except KeyError:
        if not (tag >> 16) & 1:
            mask = _mask_match(tag)
            if mask is not None:
                return REPEATERS[mask]
        raise KeyError(f"Tag ({tag >> 16:04X},{tag & 0xFFFF:04X}) not found in DICOM dictionary") from None


def dictionary_VR(tag: int) -> str:
    """The VR of a public tag (KeyError if unknown).

    Parameters
    ----------
    tag : int
        The tag.

    Returns
    -------
    str
    """
    return get_entry(tag)[0]


def dictionary_VM(tag: int) -> str:
    """The VM of a public tag (KeyError if unknown).

    Parameters
    ----------
    tag : int
        The tag.

    Returns
    -------
    str
    """
    return get_entry(tag)[1]


def dictionary_description(tag: int) -> str:
    """The name of a public tag (KeyError if unknown).

    Parameters
    ----------
    tag : int
        The tag.

    Returns
    -------
    str
    """
    return get_entry(tag)[2]


def dictionary_is_retired(tag: int) -> bool:
    """True when the public tag is retired (KeyError if unknown).

    Parameters
    ----------
    tag : int
        The tag.

    Returns
    -------
    bool
    """
    return get_entry(tag)[3]


def dictionary_keyword(tag: int) -> str:
    """The keyword of a public tag (KeyError if unknown).

    Parameters
    ----------
    tag : int
        The tag.

    Returns
    -------
    str
    """
    return get_entry(tag)[4]


def dictionary_has_tag(tag: int) -> bool:
    """True when the tag is in the public dictionary (repeaters excluded).

    Parameters
    ----------
    tag : int
        The tag.

    Returns
    -------
    bool
    """
    if not _loaded:
        _load()
    try:
        return int(tag) in MAIN
    except (TypeError, ValueError):
        return False


def repeater_has_tag(tag: int) -> bool:
    """True when the tag matches a repeating-group entry (60xx, ...).

    Parameters
    ----------
    tag : int
        The tag.

    Returns
    -------
    bool
    """
    return _mask_match(int(tag)) in REPEATERS


def keyword_for_tag(tag: int) -> str:
    """The keyword of a public tag, or ``""``.

    Parameters
    ----------
    tag : int
        The tag.

    Returns
    -------
    str
    """
    try:
        return dictionary_keyword(tag)
    except KeyError:
        return ""


def tag_for_keyword(keyword: str) -> int | None:
    """The tag of a keyword, or None.

    Parameters
    ----------
    keyword : str
        A DICOM keyword (``"PatientName"``).

    Returns
    -------
    int or None
    """
    if not _loaded:
        _load()
    return KEYWORD_TO_TAG.get(keyword)


_private: dict[str, dict[str, tuple[str, str, str, bool]]] | None = None


def _private_tables() -> dict[str, dict[str, tuple[str, str, str, bool]]]:
    global _private
    if _private is None:
        from ._private import PRIVATE

        _private = PRIVATE
    return _private


def get_private_entry(tag: int, private_creator: Any) -> tuple[str, str, str, bool]:
    """Return (VR, VM, name, retired) for a private tag under `private_creator`.

    Parameters
    ----------
    tag : int
        The private tag (its block byte is matched as ``xx``).
    private_creator : str
        The private creator value.

    Returns
    -------
    tuple of (str, str, str, bool)

    Raises
    ------
    KeyError
        The creator or the tag is not in the private dictionary.
    """
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
    """The VR of a private tag (KeyError if unknown).

    Parameters
    ----------
    tag : int
        The private tag.
    private_creator : str
        Its private creator.

    Returns
    -------
    str
    """
    return get_private_entry(tag, private_creator)[0]


def private_dictionary_description(tag: int, private_creator: Any) -> str:
    """The name of a private tag (KeyError if unknown).

    Parameters
    ----------
    tag : int
        The private tag.
    private_creator : str
        Its private creator.

    Returns
    -------
    str
    """
    return get_private_entry(tag, private_creator)[2]
