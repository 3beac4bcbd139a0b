"""Value types with pydicom's default semantics: DS, IS, PN, UI and multi-values.

They are cheap to create (``__slots__`` where the base type allows) because
they are made on the hot path, once per element value on first access.
"""
from __future__ import annotations

import warnings
from collections.abc import MutableSequence

__all__ = ["DSfloat", "IS", "ISfloat", "PersonName", "UID", "MultiValue", "DS"]

from ._core.dsfloat import DSfloat  # compiled: DS values are made by the thousand
from ._core.facing import facing_class as _facing_class
from ._core.multivalue import MultiValueBase

TYPE_CHECKING = False  # (not typing.TYPE_CHECKING: `import dcmfast` does not import typing)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, TypeVar, overload

    _T = TypeVar("_T")
else:
    _T = object  # MutableSequence[_T] below: only type checkers need a TypeVar



DS = DSfloat


class IS(int):
    """Integer String value: an int that keeps the string it was read from.

    Parameters
    ----------
    val : str, int, float or None
        The value; None gives None, a blank string is returned as it is, and a number that
        is not an integer gives an :class:`ISfloat` (as pydicom).
    validation_mode : int, optional
        Accepted for pydicom compatibility (checks happen on assignment).

    Attributes
    ----------
    original_string : str
        The text the value was read from (when it was made from text).
    """

    # pydicom's class too once pydicom is imported (see dcmfast._core.facing)
    __class__ = property(_facing_class)

    def __new__(cls, val: Any, validation_mode: int | None = None) -> Any:
        if val is None:
            return val
        if isinstance(val, str) and val.strip() == "":
            return val
        try:
            new = super().__new__(cls, val)
        except ValueError:
            new = super().__new__(cls, float(val))
        if isinstance(val, (float, str)) and new != float(val):
            return ISfloat(val, validation_mode)
        return new

    def __init__(self, val: Any, validation_mode: int | None = None) -> None:
        if isinstance(val, str):
            self.original_string = val.strip()
        elif isinstance(val, IS) and hasattr(val, "original_string"):
            self.original_string = val.original_string

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str(self) == other
        return int(self) == other

    def __ne__(self, other: Any) -> bool:
        return not self == other

    __hash__ = int.__hash__

    def __str__(self) -> str:
        if hasattr(self, "original_string"):
            return self.original_string
        return repr(self)[1:-1]

    def __repr__(self) -> str:
        return f"'{int.__repr__(self)}'"

    def __reduce__(self) -> tuple[Any, ...]:
        return (IS, (str(self),))


class ISfloat(float):
    """An IS value that is not an integer (invalid, but read as pydicom does).

    Parameters
    ----------
    val : str or float
        The value.
    validation_mode : int, optional
        None: warn that the value is not valid for IS (pydicom's message); given: the
        caller has validated it.

    Attributes
    ----------
    original_string : str
        The text the value was read from.
    """

    # pydicom's class too once pydicom is imported (see dcmfast._core.facing)
    __class__ = property(_facing_class)

    __slots__ = ("original_string",)

    def __new__(cls, val: Any, validation_mode: int | None = None) -> Any:
        if isinstance(val, str) and val.strip() == "":
            return ""
        return super().__new__(cls, val)

    def __init__(self, val: Any, validation_mode: int | None = None) -> None:
        if isinstance(val, str):
            self.original_string = val.strip()
        if validation_mode is None:  # else the caller validated it with pydicom's rules
            msg = f'Value "{self}" is not valid for elements with a VR of IS'
            warnings.warn(msg, UserWarning, stacklevel=2)

    def __str__(self) -> str:
        return getattr(self, "original_string", None) or float.__repr__(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ISfloat, (str(self),))


class PersonName:
    """A Person Name value: component groups split on ``=``, components on ``^``.

    Parameters
    ----------
    *args, **kwargs
        ``val`` (str, bytes or PersonName; None gives None), ``encodings`` (Python codec
        names for bytes), ``original_string`` (the bytes a str was decoded from),
        ``validation_mode`` (accepted for pydicom compatibility): pydicom's arguments.

    Attributes
    ----------
    encodings : tuple of str or None
        The Python codecs the value is encoded with.

    Examples
    --------
    >>> from dcmfast import PersonName
    >>> pn = PersonName("Doe^John^^Dr")
    >>> pn.family_name, pn.given_name, pn.name_prefix
    ('Doe', 'John', 'Dr')
    """

    # pydicom's class too once pydicom is imported (see dcmfast._core.facing)
    __class__ = property(_facing_class)

    __slots__ = ("_components", "_original", "encodings")
    _original: bytes | None
    encodings: tuple[str, ...] | None

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if args and args[0] is None:
            return None
        return super().__new__(cls)

    def __init__(
        self,
        val: bytes | str | PersonName,
        encodings: Any = None,
        original_string: bytes | None = None,
        validation_mode: int | None = None,
    ) -> None:
        if isinstance(encodings, str):
            encodings = (encodings,)
        elif encodings is not None:
            encodings = tuple(encodings)
        if isinstance(val, PersonName):
            self.encodings = val.encodings if encodings is None else encodings
            self._original = val._original
            self._components: tuple[str, ...] | None = tuple(str(val).split("="))
        elif isinstance(val, bytes):
            self.encodings = encodings
            self._original = val
            self._components = None
        else:
            self.encodings = encodings
            self._original = original_string
            self._components = _split_groups(val)

    @classmethod
    def _from_str(cls, text: str, encodings: tuple[str, ...] | None) -> PersonName:
        """Fast constructor used by the value converter."""
        self = object.__new__(cls)
        self.encodings = encodings
        self._original = None
        self._components = _split_groups(text)
        return self

    @property
    def original_string(self) -> bytes:
        """The value's bytes, encoded with its character sets (as read, for a value read)."""
        if self._original is None:
            # each component group encoded on its own, as pydicom does
            from pydicom.valuerep import _encode_personname

            self._original = _encode_personname(self.components, list(self.encodings or ("iso8859",)))
        return self._original

    @property
    def components(self) -> tuple[str, ...]:
        """The component groups: alphabetic, ideographic and phonetic, empty trailing ones dropped."""
        if self._components is None:
            from .charset import decode_bytes

            encodings = self.encodings or ("iso8859",)
            parts = [decode_bytes(c, encodings, {0x5E}) for c in self._original.split(b"=")]  # type: ignore[union-attr]  # (read: bytes)
            while parts and not parts[-1]:
                parts.pop()
            self._components = tuple(parts)
        return self._components

    def _name_part(self, i: int) -> str:
        try:
            return self.components[0].split("^")[i]
        except IndexError:
            return ""

    family_name = property(lambda self: self._name_part(0), doc="The first part (^) of the alphabetic name.")
    given_name = property(lambda self: self._name_part(1), doc="The second part (^) of the alphabetic name.")
    middle_name = property(lambda self: self._name_part(2), doc="The third part (^) of the alphabetic name.")
    name_prefix = property(lambda self: self._name_part(3), doc="The fourth part (^) of the alphabetic name.")
    name_suffix = property(lambda self: self._name_part(4), doc="The fifth part (^) of the alphabetic name.")

    @property
    def alphabetic(self) -> str:
        """The first component group ('' when there is none)."""
        comps = self.components
        return comps[0] if comps else ""

    @property
    def ideographic(self) -> str:
        """The second component group ('' when there is none)."""
        comps = self.components
        return comps[1] if len(comps) > 1 else ""

    @property
    def phonetic(self) -> str:
        """The third component group ('' when there is none)."""
        comps = self.components
        return comps[2] if len(comps) > 2 else ""

    def family_comma_given(self) -> str:
        """``'Family, Given'``."""
        return f"{self.family_name}, {self.given_name}"

    def formatted(self, format_str: str) -> str:
        """The name formatted with ``%``-style fields.

        Parameters
        ----------
        format_str : str
            A format with ``%(family_name)s``-style fields: family_name, given_name,
            middle_name, name_prefix, name_suffix, ideographic, phonetic.

        Returns
        -------
        str
        """
        parts = ("family_name", "given_name", "middle_name", "name_prefix", "name_suffix",
                 "ideographic", "phonetic")
        return format_str % {p: getattr(self, p) for p in parts}

    def encode(self, encodings: Any = None) -> bytes:
        """The value encoded with `encodings`.

        Parameters
        ----------
        encodings : sequence of str, optional
            Python codec names (default: the value's own).

        Returns
        -------
        bytes
        """
        if encodings is None or tuple(encodings) == self.encodings:
            return self.original_string
        from pydicom.valuerep import _encode_personname

        return _encode_personname(self.components, list(encodings))

    def decode(self, encodings: Any = None) -> PersonName:
        """The same name with `encodings` as its character sets.

        Parameters
        ----------
        encodings : sequence of str, optional
            Python codec names; None returns the name itself.

        Returns
        -------
        PersonName
        """
        if encodings is None:
            return self
        return PersonName(self.encode(), encodings)

    def __eq__(self, other: object) -> bool:
        return str(self) == other

    def __ne__(self, other: Any) -> bool:
        return not self == other

    def __str__(self) -> str:
        return "=".join(self.components)

    def __repr__(self) -> str:
        return repr("=".join(self.components))

    def __hash__(self) -> int:
        return hash(self.components)

    def __iter__(self) -> Iterator[str]:
        yield from str(self)

    def __len__(self) -> int:
        return len(str(self))

    def __contains__(self, x: Any) -> bool:
        return x in str(self)

    def __bool__(self) -> bool:
        comps = self.components
        return bool(comps) and (len(comps) > 1 or bool(comps[0]))

    def __reduce__(self) -> tuple[Any, ...]:
        return (PersonName, (str(self), self.encodings))


def _split_groups(text: str) -> tuple[str, ...]:
    comps = text.split("=")
    while comps and not comps[-1]:
        comps.pop()
    return tuple(comps)


_valid_uid_match: Callable[[str], Any] | None = None  # re is imported on first use
_UIDS: dict[str, tuple[str, str, str, bool, str]] | None = None
_UNCOMPRESSED_TS = frozenset(
    ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"]
)


def _uid_table() -> dict[str, tuple[str, str, str, bool, str]]:
    global _UIDS
    if _UIDS is None:
        from .datadict._uids import UIDS

        _UIDS = UIDS
    return _UIDS


class UID(str):
    """A UID: a str with the registry's name, type and transfer syntax properties.

    Parameters
    ----------
    val : str
        The UID (surrounding spaces are stripped).
    validation_mode : int, optional
        Accepted for pydicom compatibility (pydicom's validation happens on assignment
        to a dataset).

    Raises
    ------
    TypeError
        `val` is not a str.

    Examples
    --------
    >>> from dcmfast import UID
    >>> uid = UID("1.2.840.10008.1.2.1")
    >>> uid.name, uid.is_little_endian, uid.is_implicit_VR
    ('Explicit VR Little Endian', True, False)
    """

    # pydicom's class too once pydicom is imported (see dcmfast._core.facing)
    __class__ = property(_facing_class)

    __slots__ = ()

    def __new__(cls, val: str, validation_mode: int | None = None) -> UID:
        if not isinstance(val, str):
            raise TypeError("A UID must be created from a string")
        return super().__new__(cls, val.strip())

    def __reduce__(self) -> tuple[Any, ...]:
        return (UID, (str(self),))

    def _entry(self) -> tuple[str, str, str, bool, str] | None:
        return _uid_table().get(str(self))

    @property
    def name(self) -> str:
        """The UID's name in the DICOM registry (the UID itself when it is not registered)."""
        entry = self._entry()
        return entry[0] if entry else str(self)

    @property
    def type(self) -> str:
        """The registry's type (``'Transfer Syntax'``, ``'SOP Class'`` ...; '' when unregistered)."""
        entry = self._entry()
        return entry[1] if entry else ""

    @property
    def info(self) -> str:
        """The registry's extra information ('' when none)."""
        entry = self._entry()
        return entry[2] if entry else ""

    @property
    def is_retired(self) -> bool:
        """Whether the registry marks the UID retired."""
        entry = self._entry()
        return bool(entry[3]) if entry else False

    @property
    def keyword(self) -> str:
        """The registry's keyword ('' when unregistered)."""
        entry = self._entry()
        return entry[4] if entry else ""

    @property
    def is_private(self) -> bool:
        """Whether the UID is outside the DICOM root (``1.2.840.10008.``)."""
        return self[:14] != "1.2.840.10008."

    @property
    def is_valid(self) -> bool:
        """Whether the UID is at most 64 characters of dot-separated numbers without leading zeros."""
        global _valid_uid_match
        if _valid_uid_match is None:
            import re

            _valid_uid_match = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$").match
        return len(self) <= 64 and _valid_uid_match(self) is not None

    @property
    def is_transfer_syntax(self) -> bool:
        """Whether the UID is a registered transfer syntax."""
        return not self.is_private and self.type == "Transfer Syntax"

    def _require_ts(self) -> None:
        if not self.is_transfer_syntax:
            raise ValueError("UID is not a transfer syntax.")

    @property
    def is_implicit_VR(self) -> bool:  # noqa: N802
        """Whether the transfer syntax is implicit VR (ValueError if not a transfer syntax)."""
        self._require_ts()
        return self == "1.2.840.10008.1.2"

    @property
    def is_little_endian(self) -> bool:
        """Whether the transfer syntax is little endian (ValueError if not a transfer syntax)."""
        self._require_ts()
        return self != "1.2.840.10008.1.2.2"

    @property
    def is_deflated(self) -> bool:
        """Whether the transfer syntax is deflated (ValueError if not a transfer syntax)."""
        self._require_ts()
        return self == "1.2.840.10008.1.2.1.99"

    @property
    def is_compressed(self) -> bool:
        """Whether the transfer syntax encapsulates its pixel data (ValueError if not a transfer
        syntax); also ``is_encapsulated``.
        """
        self._require_ts()
        return self not in _UNCOMPRESSED_TS

    is_encapsulated = is_compressed


class MultiValue(MultiValueBase, MutableSequence[_T]):
    """A list of values of one VR, equal to a list of the same values.

    Its list and constructor, item access, ``len``, iteration and ``in`` are compiled
    (:class:`dcmfast._core.multivalue.MultiValueBase`).

    Parameters
    ----------
    type_constructor : callable
        Converts each item added (``str``, ``DSfloat``, ``IS``, ...).
    iterable : iterable
        The first items (each converted).
    """

    __slots__ = ()
    if TYPE_CHECKING:
        _list: list[_T]
        _constructor: Callable[[Any], _T]

        @overload
        def __getitem__(self, index: int) -> _T: ...

        @overload
        def __getitem__(self, index: slice) -> MutableSequence[_T]: ...

        def __getitem__(self, index: Any) -> Any: ...

        def __len__(self) -> int: ...

        def __iter__(self) -> Iterator[_T]: ...

    def __init__(self, type_constructor: Callable[[Any], _T], iterable: Iterable[Any]) -> None:
        self._constructor = type_constructor
        self._list = [type_constructor(x) for x in iterable]

    @classmethod
    def _wrap(cls, type_constructor: Callable[[Any], _T], values: list[_T]) -> MultiValue[_T]:
        """Wrap an already converted list (no per-item constructor call)."""
        self = cls.__new__(cls)
        self._constructor = type_constructor
        self._list = values
        return self

    def __setitem__(self, index: Any, val: Any) -> None:
        if isinstance(index, slice):
            self._list[index] = [self._constructor(x) for x in val]
        else:
            self._list[index] = self._constructor(val)

    def __delitem__(self, index: Any) -> None:
        del self._list[index]

    def insert(self, position: int, item: Any) -> None:
        """Insert `item` (converted by the value type's constructor) before `position`.

        Parameters
        ----------
        position : int
            The index to insert before (``list.insert``'s).
        item : object
            The value.
        """
        self._list.insert(position, self._constructor(item))

    def append(self, item: Any) -> None:
        """Append `item`, converted by the value type's constructor.

        Parameters
        ----------
        item : object
            The value.
        """
        self._list.append(self._constructor(item))

    def extend(self, val: Iterable[Any]) -> None:
        """Append every item of `val`, each converted by the value type's constructor.

        Parameters
        ----------
        val : iterable
            The values.

        Raises
        ------
        TypeError
            `val` is not iterable.
        """
        if not hasattr(val, "__iter__"):
            raise TypeError("An iterable is required")
        self._list.extend(self._constructor(x) for x in val)

    def __iadd__(self, other: Iterable[Any]) -> MultiValue[_T]:
        self.extend(other)
        return self

    def sort(self, *args: Any, **kwargs: Any) -> None:
        """Sort in place.

        Parameters
        ----------
        *args, **kwargs
            ``list.sort``'s arguments (``key``, ``reverse``).
        """
        self._list.sort(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiValue):
            return self._list == other._list
        return self._list == other

    def __ne__(self, other: Any) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        if not self._list:
            return ""
        parts = (repr(x) if isinstance(x, (str, bytes)) else str(x) for x in self._list)
        return f"[{', '.join(parts)}]"

    __repr__ = __str__

    def __reduce__(self) -> tuple[Any, ...]:
        return (MultiValue._wrap, (self._constructor, self._list))
