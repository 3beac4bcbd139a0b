"""Element tags: :class:`BaseTag` (an int subclass printed as ``(gggg,eeee)``) and :func:`Tag`."""
from __future__ import annotations

from typing import Any, Union

__all__ = ["BaseTag", "Tag", "TagType", "ItemTag", "ItemDelimiterTag", "SequenceDelimiterTag"]

TagType = Union[int, str, tuple[int, int], tuple[str, str], "BaseTag"]


class BaseTag(int):
    """A DICOM tag: ``group << 16 | element``, compared and hashed as an int."""

    __slots__ = ()

    def __lt__(self, other: Any) -> bool:
        if not isinstance(other, int):
            try:
                other = Tag(other)
            except Exception:
                raise TypeError("Cannot compare Tag with non-Tag item") from None
        return int(self) < int(other)

    def __le__(self, other: Any) -> bool:
        return self == other or self < other

    def __gt__(self, other: Any) -> bool:
        return not (self == other or self < other)

    def __ge__(self, other: Any) -> bool:
        return self == other or self > other

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, int):
            try:
                other = Tag(other)
            except Exception:
                return False
        return int(self) == int(other)

    def __ne__(self, other: Any) -> bool:
        return not self == other

    __hash__ = int.__hash__

    def __str__(self) -> str:
        return f"({self >> 16:04X},{self & 0xFFFF:04X})"

    __repr__ = __str__

    def __reduce__(self) -> tuple[Any, ...]:
        return (BaseTag, (int(self),))

    @property
    def json_key(self) -> str:
        return f"{self >> 16:04X}{self & 0xFFFF:04X}"

    @property
    def group(self) -> int:
        return self >> 16

    @property
    def element(self) -> int:
        return self & 0xFFFF

    elem = element

    @property
    def is_private(self) -> bool:
        return (self >> 16) % 2 == 1

    @property
    def is_private_creator(self) -> bool:
        return self.is_private and 0x0010 <= (self & 0xFFFF) < 0x0100

    @property
    def private_creator(self) -> BaseTag:
        return BaseTag((self & 0xFFFF0000) | ((self & 0xFFFF) >> 8))


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
    """Create a :class:`BaseTag` from an int, a (group, element) pair, a hex string or a keyword."""
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
        value = arg  # type: ignore[assignment]
    if not isinstance(value, int):
        raise TypeError(f"Unable to create an element tag from '{arg}'")
    if value > 0xFFFFFFFF:
        raise OverflowError(
            f"Unable to create an element tag from '{value}': the combined group and element "
            "values are limited to a maximum of 4-bytes"
        )
    if value < 0:
        raise ValueError(f"Unable to create an element tag from '{value}': tags must be positive")
    return _tag_from_int(int(value))


ItemTag = BaseTag(0xFFFEE000)
ItemDelimiterTag = BaseTag(0xFFFEE00D)
SequenceDelimiterTag = BaseTag(0xFFFEE0DD)
