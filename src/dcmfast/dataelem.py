"""DataElement: one element of a dataset, its value converted once and cached."""
from __future__ import annotations

import copy
from typing import Any

from .datadict import (
    dictionary_description,
    dictionary_has_tag,
    dictionary_is_retired,
    dictionary_keyword,
    dictionary_VR,
    private_dictionary_description,
    repeater_has_tag,
)
from .tag import BaseTag, Tag
from .valuerep import IS, UID, DSfloat, MultiValue, PersonName

__all__ = ["DataElement", "RawDataElement"]

BYTES_VR = frozenset(["OB", "OD", "OF", "OL", "OV", "OW", "UN"])
AMBIGUOUS_VR = frozenset(["US or SS or OW", "US or SS", "US or OW", "OB or OW"])
LONG_VALUE_VR = frozenset(["LT", "UC", "UT"]) | BYTES_VR | AMBIGUOUS_VR
ALLOW_BACKSLASH = frozenset(["LT", "ST", "UT", "US or SS or OW", "US or OW", "OB or OW"]) | BYTES_VR
DEFAULT_CHARSET_VR = frozenset(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "UR"])
_UNSET: Any = object()


def empty_value_for_VR(VR: str | None, raw: bool = False) -> Any:  # noqa: N802, N803
    """The value an empty element of `VR` has (pydicom's defaults)."""
    from ._core.values import empty_value

    if raw:
        return b"" if VR == "SQ" or VR == "PN" or (VR in _STR_VR and VR not in ("DS", "IS")) else None
    return empty_value(VR or "")


_STR_VR = DEFAULT_CHARSET_VR | {"LO", "LT", "PN", "SH", "ST", "UC", "UT"}


class DataElement:
    """A DICOM data element: tag, VR and value, as ``pydicom.DataElement``.

    Elements read from a file hold a reference to the file's index and convert
    their value the first time it is read.
    """

    __slots__ = (
        "tag",
        "VR",
        "_value",
        "file_tell",
        "is_undefined_length",
        "private_creator",
        "validation_mode",
        "_src",
        "_entry",
        "__weakref__",
    )

    descripWidth = 35  # noqa: N815 (pydicom's names)
    maxBytesToDisplay = 16  # noqa: N815
    showVR = True  # noqa: N815
    is_raw = False

    def __init__(
        self,
        tag: Any,
        VR: str,  # noqa: N803
        value: Any,
        file_value_tell: int | None = None,
        is_undefined_length: bool = False,
        already_converted: bool = False,
        validation_mode: int | None = None,
    ) -> None:
        if not isinstance(tag, BaseTag):
            tag = Tag(tag)
        self.tag = tag
        if VR == "UN" and not tag.is_private and (
            is_undefined_length or value is None or len(value) < 0xFFFF
        ):
            try:
                VR = dictionary_VR(tag)
            except KeyError:
                pass
        self.VR = VR
        self.validation_mode = validation_mode
        self._src = None
        self._entry = -1
        if already_converted:
            self._value = value
        else:
            self._value = _UNSET
            self.value = value
        self.file_tell = file_value_tell
        self.is_undefined_length = is_undefined_length
        self.private_creator: str | None = None

    @property
    def value(self) -> Any:
        value = self._value
        if value is _UNSET:
            value = self._value = self._src._element_value(self, self._entry)
        return value

    @value.setter
    def value(self, val: Any) -> None:
        self._src = None
        if self.VR not in ALLOW_BACKSLASH:
            if isinstance(val, str) and "\\" in val:
                val = val.split("\\")
            elif isinstance(val, bytes) and b"\\" in val:
                val = val.split(b"\\")
        self._value = self._convert_value(val)

    def _convert_value(self, val: Any) -> Any:
        if self.VR == "SQ":
            from .sequence import Sequence

            return val if isinstance(val, Sequence) else Sequence(val)
        if not hasattr(val, "append"):
            return self._convert(val)
        if len(val) == 1:
            return self._convert(val[0])
        return MultiValue(self._convert, val)

    def _convert(self, val: Any) -> Any:
        vr = self.VR
        if vr in DEFAULT_CHARSET_VR and isinstance(val, bytes):
            val = val.decode()
        if vr == "IS":
            return IS(val)
        if vr == "DS":
            return DSfloat(val)
        if vr == "UI":
            return UID(val) if val is not None else None
        if vr == "PN":
            return PersonName(val)
        if vr == "AT" and (val == 0 or val):
            return val if isinstance(val, BaseTag) else Tag(val)
        return val

    @property
    def VM(self) -> int:  # noqa: N802
        if self.VR == "SQ":
            return 1
        value = self.value
        if value is None:
            return 0
        if isinstance(value, (str, bytes, PersonName)):
            return 1 if value else 0
        try:
            iter(value)
        except TypeError:
            return 1
        return len(value)

    @property
    def is_empty(self) -> bool:
        if self.VR == "SQ":
            return not bool(self.value)
        return self.VM == 0

    @property
    def empty_value(self) -> Any:
        return empty_value_for_VR(self.VR)

    def clear(self) -> None:
        self._src = None
        self._value = self.empty_value

    @property
    def is_buffered(self) -> bool:
        return False

    @property
    def is_private(self) -> bool:
        return self.tag.is_private

    @property
    def is_retired(self) -> bool:
        if dictionary_has_tag(self.tag):
            return dictionary_is_retired(self.tag)
        return False

    @property
    def keyword(self) -> str:
        if dictionary_has_tag(self.tag):
            return dictionary_keyword(self.tag)
        return ""

    @property
    def name(self) -> str:
        tag = self.tag
        if tag.is_private:
            if self.private_creator:
                try:
                    return f"[{private_dictionary_description(tag, self.private_creator)}]"
                except KeyError:
                    pass
            elif tag.element >> 8 == 0:
                return "Private Creator"
            return "Private tag data"
        if dictionary_has_tag(tag) or repeater_has_tag(tag):
            return dictionary_description(tag)
        if tag.element == 0:
            return "Group Length"
        return ""

    def description(self) -> str:
        return self.name

    @property
    def repval(self) -> str:
        if self.VR in LONG_VALUE_VR:
            try:
                length = len(self.value)
            except TypeError:
                pass
            else:
                if length > self.maxBytesToDisplay:
                    return f"Array of {length} elements"
        if self.VM > self.maxBytesToDisplay:
            return f"Array of {self.VM} elements"
        if isinstance(self.value, UID):
            return self.value.name
        return repr(self.value)

    def __str__(self) -> str:
        value = self.repval or ""
        name = f"{self.name[:self.descripWidth]:<{self.descripWidth}}"
        if self.showVR:
            return f"{self.tag} {name} {self.VR}: {value}"
        return f"{self.tag} {name} {value}"

    __repr__ = __str__

    def __getitem__(self, key: int) -> Any:
        try:
            return self.value[key]
        except TypeError:
            raise TypeError("DataElement value is unscriptable (not a Sequence)") from None

    def __eq__(self, other: Any) -> Any:
        if other is self:
            return True
        if isinstance(other, DataElement):
            if self.tag != other.tag or self.VR != other.VR:
                return False
            return bool(self.value == other.value)
        return NotImplemented

    def __ne__(self, other: Any) -> Any:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    def _materialize(self) -> None:
        """Convert the value now and drop the reference to the file index."""
        self.value  # noqa: B018
        self._src = None

    def __getstate__(self) -> dict[str, Any]:
        self._materialize()
        return {name: getattr(self, name) for name in self.__slots__[:-3] if name != "_src"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._src = None
        self._entry = -1
        for name, val in state.items():
            object.__setattr__(self, name, val)

    def __copy__(self) -> DataElement:
        self._materialize()
        new = DataElement.__new__(DataElement)
        new.__setstate__(self.__getstate__())
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> DataElement:
        self._materialize()
        new = DataElement.__new__(DataElement)
        memo[id(self)] = new
        state = self.__getstate__()
        state["_value"] = copy.deepcopy(state["_value"], memo)
        new.__setstate__(state)
        return new


def _lazy_element(
    tag: BaseTag, vr: str, src: Any, entry: int, file_tell: int, undefined: bool
) -> DataElement:
    """An element whose value ``src._element_value(elem, entry)`` converts on first access."""
    elem = DataElement.__new__(DataElement)
    elem.tag = tag
    elem.VR = vr
    elem._value = _UNSET
    elem._src = src
    elem._entry = entry
    elem.file_tell = file_tell
    elem.is_undefined_length = undefined
    elem.private_creator = None
    elem.validation_mode = None
    return elem


RawDataElement = None  # dcmfast has no raw elements: values convert lazily inside DataElement
