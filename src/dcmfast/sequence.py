"""Sequence: a list of Datasets, as ``pydicom.Sequence``."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .valuerep import MultiValue

__all__ = ["Sequence"]


def _validate(item: Any) -> Any:
    from .dataset import Dataset

    if isinstance(item, Dataset):
        return item
    raise TypeError("Sequence contents must be 'Dataset' instances.")


class Sequence(MultiValue[Any]):
    """A DICOM sequence value: a list of :class:`~dcmfast.Dataset` items."""

    __slots__ = ("is_undefined_length",)

    def __init__(self, iterable: Iterable[Any] | None = None) -> None:
        from .dataset import Dataset

        if isinstance(iterable, Dataset):
            raise TypeError("The Sequence constructor requires an iterable")
        super().__init__(_validate, iterable or [])
        self.is_undefined_length = False

    @classmethod
    def _from_items(cls, items: list[Any], undefined_length: bool) -> Sequence:
        self = cls.__new__(cls)
        self._constructor = _validate
        self._list = items
        self.is_undefined_length = undefined_length
        return self

    def extend(self, val: Iterable[Any]) -> None:
        from .dataset import Dataset

        if isinstance(val, Dataset):
            raise TypeError("An iterable of 'Dataset' is required")
        super().extend(val)

    def __setitem__(self, index: Any, val: Any) -> None:
        from .dataset import Dataset

        if isinstance(index, slice) and isinstance(val, Dataset):
            raise TypeError("Can only assign an iterable of 'Dataset'")
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
