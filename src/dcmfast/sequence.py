"""Sequence: a list of Datasets, as ``pydicom.Sequence``."""
from __future__ import annotations

from .valuerep import MultiValue

TYPE_CHECKING = False  # (not typing.TYPE_CHECKING: `import dcmfast` does not import typing)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any
else:
    Any = object  # the base class MultiValue[Any] below is evaluated at run time

__all__ = ["Sequence"]


def _validate(item: Any) -> Any:
    from .dataset import Dataset

    if isinstance(item, Dataset):
        return item
    raise TypeError("Sequence contents must be 'Dataset' instances.")


class Sequence(MultiValue[Any]):
    """A DICOM sequence value: a list of :class:`~dcmfast.Dataset` items.

    Parameters
    ----------
    iterable : iterable of Dataset, optional
        The items.

    Attributes
    ----------
    is_undefined_length : bool
        The sequence was read with an undefined length (written the same way by
        pydicom's rules).

    Raises
    ------
    TypeError
        `iterable` is a Dataset, or holds something that is not one.
    """

    # _origin: the TreeState of the file tree a sequence read from a file belongs to
    # (None otherwise); its mutators touch it before adding items (see
    # dcmfast._core.element.TreeState: such a sequence may be untracked by the GC)
    __slots__ = ("is_undefined_length", "_origin")

    def __init__(self, iterable: Iterable[Any] | None = None) -> None:
        from .dataset import Dataset

        if isinstance(iterable, Dataset):
            raise TypeError("The Sequence constructor requires an iterable")
        super().__init__(_validate, iterable or [])
        self.is_undefined_length = False
        self._origin = None

    @classmethod
    def _from_items(cls, items: list[Any], undefined_length: bool) -> Sequence:
        self = cls.__new__(cls)
        self._constructor = _validate
        self._list = items
        self.is_undefined_length = undefined_length
        self._origin = None
        return self

    def _touch(self) -> None:
        origin = self._origin
        if origin is not None:
            origin.touch(self)

    def append(self, item: Any) -> None:
        """Append the Dataset `item`.

        Parameters
        ----------
        item : Dataset
            The item.
        """
        self._touch()
        super().append(item)

    def insert(self, position: int, item: Any) -> None:
        """Insert the Dataset `item` before `position`.

        Parameters
        ----------
        position : int
            The index to insert before.
        item : Dataset
            The item.
        """
        self._touch()
        super().insert(position, item)

    def extend(self, val: Iterable[Any]) -> None:
        """Append every Dataset of `val`.

        Parameters
        ----------
        val : iterable of Dataset
            The items.
        """
        from .dataset import Dataset

        if isinstance(val, Dataset):
            raise TypeError("An iterable of 'Dataset' is required")
        self._touch()
        super().extend(val)

    def __setitem__(self, index: Any, val: Any) -> None:
        from .dataset import Dataset

        if isinstance(index, slice) and isinstance(val, Dataset):
            raise TypeError("Can only assign an iterable of 'Dataset'")
        self._touch()
        super().__setitem__(index, val)

    def __str__(self) -> str:
        return f"[{''.join(str(x) for x in self)}]"

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}, length {len(self)}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Sequence._from_items, (list(self._list), self.is_undefined_length))

    def __deepcopy__(self, memo: dict[int, Any]) -> Sequence:
        import copy

        return Sequence._from_items(copy.deepcopy(self._list, memo), self.is_undefined_length)
