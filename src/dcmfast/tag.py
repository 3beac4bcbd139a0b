"""Element tags: :class:`BaseTag` (an int subclass printed as ``(gggg,eeee)``) and :func:`Tag`."""
from __future__ import annotations

from ._core.basetag import BaseTag

__all__ = ["BaseTag", "Tag", "TagType", "ItemTag", "ItemDelimiterTag", "SequenceDelimiterTag"]

TagType = int | str | tuple[int, int] | tuple[str, str] | BaseTag


# BaseTag is compiled (not a GC type): see dcmfast/_core/basetag.pyx


_CACHE: dict[int, BaseTag] = {}


def _tag_from_int(value: int) -> BaseTag:
    """A cached BaseTag for `value` (tags repeat across files)."""
    tag = _CACHE.get(value)
    if tag is None:
        tag = BaseTag(value)
        if len(_CACHE) < 65536:
            _CACHE[value] = tag
    return tag


def Tag(arg: TagType, arg2: int | None = None) -> BaseTag:  # noqa: N802 (pydicom's name)
    """Create a :class:`BaseTag` from an int, a (group, element) pair, a hex string or a keyword.

    Parameters
    ----------
    arg : int, tuple, str or BaseTag
        ``0x00100010``, ``(0x0010, 0x0010)`` (ints or hex strings), ``"00100010"``
        (hex), or a keyword (``"PatientName"``). A BaseTag is returned as it is.
    arg2 : int, optional
        The element number, when `arg` is the group number.

    Returns
    -------
    BaseTag
        The tag, an int.

    Raises
    ------
    ValueError
        A tuple that is not a pair, a string that is neither hex nor a keyword.
    OverflowError
        The tag does not fit 32 bits (or is negative).

    Examples
    --------
    >>> from dcmfast import Tag
    >>> Tag("PatientName") == Tag(0x0010, 0x0010) == 0x00100010
    True
    """
    if isinstance(arg, BaseTag):
        return arg
    if arg2 is not None:
        arg = (arg, arg2)  # type: ignore[assignment]
    if isinstance(arg, (tuple, list)):
        if len(arg) != 2:
            raise ValueError("Tag must be an int or a 2-tuple")
        first, second = arg
        if isinstance(first, str) and isinstance(second, str):
            first, second = int(first, 16), int(second, 16)
        elif not (isinstance(first, int) and isinstance(second, int)):
            raise TypeError(
                f"Unable to create an element tag from '{arg}': both arguments must be "
                "the same type and str or int"
            )
        if first > 0xFFFF or second > 0xFFFF:
            raise OverflowError(
                f"Unable to create an element tag from '{arg}': the group and element "
                "values are limited to a maximum of 2-bytes each"
            )
        value = first << 16 | second
    elif isinstance(arg, str):
        try:
            value = int(arg, 16)
        except ValueError:
            from .datadict import tag_for_keyword

            found = tag_for_keyword(arg)
            if found is None:
                raise ValueError(
                    f"Unable to create an element tag from '{arg}': unknown DICOM element "
                    "keyword or an invalid int"
                ) from None
            value = found
    else:
        # as pydicom: anything ordered against ints (a float, a numpy integer) goes
        # on, and becomes int(value); anything else fails the comparison (TypeError)
        value = arg
    if value > 0xFFFFFFFF:
        raise OverflowError(
            f"Unable to create an element tag from '{value}': the combined group and element "
            "values are limited to a maximum of 4-bytes"
        )
    if value < 0:
        raise ValueError(f"Unable to create an element tag from '{value}': tags must be positive")
    return _tag_from_int(int(value)) if type(value) is int else BaseTag(value)


ItemTag = BaseTag(0xFFFEE000)
ItemDelimiterTag = BaseTag(0xFFFEE00D)
SequenceDelimiterTag = BaseTag(0xFFFEE0DD)
