"""Dataset, FileDataset and FileMetaDataset: pydicom-compatible views over an element index.

A dataset read from a file holds the file buffer's :class:`~dcmfast._core.parse.Index`
and the range of entries that are its elements. Elements are created when they
are first looked up and their values converted when first read; until the
dataset is changed, lookups go straight to the index. The first change (or an
operation that needs every element in order) materializes all elements into an
ordinary dict, after which the dataset behaves exactly like pydicom's.
"""
from __future__ import annotations

import copy
import io
import os
import warnings
from bisect import bisect_left

from . import datadict as _datadict  # its KEYWORD_TO_TAG is loaded on first use
from ._core import element as _elem
from ._core import values as _values
from ._core.parse import Index
from .charset import DEFAULT as _DEFAULT_ENCODINGS
from .charset import convert_encodings
from .datadict import dictionary_VR, keyword_for_tag
from .dataelem import DataElement
from .errors import AmbiguousVRError
from .tag import BaseTag, Tag, _tag_from_int

TYPE_CHECKING = False  # (not typing.TYPE_CHECKING: `import dcmfast` does not import typing)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, overload

    import numpy
    from typing_extensions import Self

    from ._core.element import View

    # the keyword attributes (ds.PatientName ...), typed Any: a generated stub
    # (tools/gen_datadict.py), so that type checkers reject a misspelt method name
    from .datadict._keywords import KeywordAttributes
    from .tag import TagType

    class _DatasetBase(_elem.DatasetBase, KeywordAttributes): ...
else:
    _DatasetBase = _elem.DatasetBase  # at run time the keywords are resolved in C


__all__ = ["Dataset", "FileDataset", "FileMetaDataset", "PrivateBlock"]

_TAG_CHARSET = 0x00080005
_TAG_PIXREP = 0x00280103
_PIXEL_TAGS = frozenset([0x7FE00008, 0x7FE00009, 0x7FE00010])
_AMBIGUOUS_US_SS_TAGS = frozenset([
    0x00189810, 0x00221452, 0x00280104, 0x00280105, 0x00280106, 0x00280107,
    0x00280108, 0x00280109, 0x00280110, 0x00280111, 0x00280120, 0x00280121,
    0x00281101, 0x00281102, 0x00281103, 0x00283002, 0x00409211, 0x00409216,
    0x00603004, 0x00603006,
])
_AMBIGUOUS_OB_OW_TAGS = frozenset([0x54000110, 0x54000112, 0x5400100A, 0x54001010])
_OVERLAY_DATA_TAGS = frozenset((g << 16) | 0x3000 for g in range(0x6000, 0x601F, 2))
_camel_case_match: Callable[[str], Any] | None = None  # a compiled regular expression's match


def _is_camel_case(name: str) -> bool:
    """Whether `name` looks like a DICOM keyword (pydicom's camel-case warning); `re` is
    imported on first use."""
    global _camel_case_match
    if _camel_case_match is None:
        import re

        _camel_case_match = re.compile(r"(?P<start>(^[A-Za-z])((?=.+?[A-Z])[A-Za-z0-9]+)|(^[A-Z])([a-z0-9]+))"
                                       r"(?P<last>[A-Za-z0-9][^_]$)").match
    return _camel_case_match(name) is not None



_NOT_RAW = 8 | 16 | 32 | 64  # parse: F_SEQ, F_MAYBE_SQ, F_ERROR, F_TRUNCATED


def _raw_element(ds: Any, view: Any, elem: Any) -> Any:
    """pydicom's RawDataElement of `elem`'s bytes in the file (None: no such thing, or
    pydicom not imported)."""
    import sys

    pydicom_dataelem = sys.modules.get("pydicom.dataelem")
    if pydicom_dataelem is None:
        return None
    i = view.raw_entry(elem)
    if i < 0:
        return None
    _tag, vr, flags, _end, _parent, _offset, _value_offset, length = view.index.entry(i)
    if flags & _NOT_RAW or length == 0:  # (pydicom converts empty values as it reads them)
        return None
    undefined = bool(flags & 1)
    return pydicom_dataelem.RawDataElement(
        elem.tag,
        chr(vr >> 8) + chr(vr & 0xFF) if vr else None,
        0xFFFFFFFF if undefined else length,
        bytes(view.value_view(elem)),
        elem.file_tell,
        bool(ds._read_implicit),
        bool(ds._read_little) if ds._read_little is not None else True,
    )


class PrivateBlock:
    """A block of private tags of one private creator in one group (pydicom's PrivateBlock).

    Made by :meth:`Dataset.private_block`. ``block[offset]`` is the element at that offset
    in the block, ``offset in block`` and ``del block[offset]`` work as on a dataset.

    Parameters
    ----------
    key : tuple of (int, str)
        The group and the private creator.
    dataset : Dataset
        The dataset the block is in.
    private_creator_element : int
        The element number of the private creator (0x10-0xFF): the block's tags are
        ``(group, private_creator_element << 8 | offset)``.
    """

    def __init__(self, key: tuple[int, str], dataset: Dataset, private_creator_element: int) -> None:
        self.group = key[0]
        self.private_creator = key[1]
        self.dataset = dataset
        self.block_start = private_creator_element << 8

    def get_tag(self, element_offset: int) -> BaseTag:
        """The tag of the element at an offset in the block.

        Parameters
        ----------
        element_offset : int
            0x00-0xFF.

        Returns
        -------
        BaseTag

        Raises
        ------
        ValueError
            `element_offset` is more than 0xFF.
        """
        if element_offset > 0xFF:
            raise ValueError("Element offset must be less than 256")
        return Tag(self.group, self.block_start + element_offset)

    def __contains__(self, element_offset: int) -> bool:
        return self.get_tag(element_offset) in self.dataset

    def __getitem__(self, element_offset: int) -> DataElement:
        return self.dataset.__getitem__(self.get_tag(element_offset))

    def __delitem__(self, element_offset: int) -> None:
        del self.dataset[self.get_tag(element_offset)]

    def add_new(self, element_offset: int, VR: str, value: object) -> None:  # noqa: N803
        """Add (or replace) the element at an offset in the block.

        Parameters
        ----------
        element_offset : int
            0x00-0xFF.
        VR : str
            The element's VR.
        value : object
            Its value.
        """
        self.dataset.add_new(self.get_tag(element_offset), VR, value)


# attributes the compiled base keeps in C fields (see DatasetBase._c_attributes)
_C_ATTRIBUTES = frozenset(
    ["_read_implicit", "_read_little", "is_undefined_length_sequence_item", "seq_item_tell", "file_tell"]
)


class Dataset(_DatasetBase):
    """A collection of DICOM data elements with pydicom's ``Dataset`` interface.

    Elements are reached by keyword (``ds.PatientName``, the value), by tag
    (``ds[0x00100010]``, the :class:`DataElement`), with ``get``, ``in``, iteration in tag
    order, ``iterall`` (nested items too) and slicing by tag range. A dataset read from a
    file answers lookups from the file's index until it is changed; values are converted
    on first access. Behaviour that differs from pydicom's is listed in
    ``docs/pydicom-differences.md``.

    Parameters
    ----------
    *args
        Optional: a Dataset to copy the elements of, or a mapping of tag to DataElement.
    **kwargs
        ``parent_encoding``: the character set(s) inherited from an enclosing dataset
        (a Python codec name or a sequence of them; default ``iso8859``).

    Attributes
    ----------
    is_undefined_length_sequence_item : bool
        A sequence item read with an undefined length.
    seq_item_tell, file_tell : int
        The byte offset of a sequence item read from a file (AttributeError otherwise).

    Examples
    --------
    >>> from dcmfast import Dataset
    >>> ds = Dataset()
    >>> ds.PatientName = "Doe^John"
    >>> ds.Rows = 512
    >>> ds[0x00280010].value, "PatientName" in ds, len(ds)
    (512, True, 2)
    """

    indent_chars = "   "
    # defaults, set on an instance only where they differ
    _read_charset: Any = ""
    _parent_encoding: tuple[str, ...] = _DEFAULT_ENCODINGS
    _pixel_array: Any = None
    _private_blocks: dict[Any, PrivateBlock] | None = None
    _edict: dict[BaseTag, DataElement]  # the elements (made from the view on first need)
    default_element_format = "%(tag)s %(name)-35.35s %(VR)s: %(repval)s"
    default_sequence_element_format = "%(tag)s %(name)-35.35s %(VR)s: %(repval)s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        set_ = object.__setattr__
        if not args:
            elements: dict[BaseTag, DataElement] = {}
        elif isinstance(args[0], Dataset):
            args[0]._load_all()
            elements = args[0]._edict
        else:
            elements = dict(args[0])
        parent = kwargs.get("parent_encoding", _DEFAULT_ENCODINGS)
        set_(self, "_edict", elements)
        set_(self, "_view", None)
        if isinstance(parent, str):
            parent = _DEFAULT_ENCODINGS if parent == "iso8859" else (parent,)
        set_(self, "_parent_encoding", tuple(parent))
        set_(self, "_read_implicit", None)
        set_(self, "_read_little", None)

    # -- construction from an index ------------------------------------------------
    @classmethod
    def _from_index(
        cls,
        index: Index,
        first: int,
        stop: int,
        implicit: bool,
        parent_encoding: tuple[str, ...],
        parent: View | None,
        tell_base: int = 0,
    ) -> Self:
        return _elem.make_dataset(cls, index, first, stop, implicit, parent_encoding, parent, tell_base)

    # -- ambiguous VRs -----------------------------------------------------------
    def _pixel_rep_for(self) -> int | None:
        """The PixelRepresentation that applies here: own, else inherited from parents."""
        ds: Dataset | None = self
        while ds is not None:
            elem = ds._lookup(_TAG_PIXREP)
            if elem is not None and elem.value is not None:
                value = elem.value
                return int(b"\x01" in value) if isinstance(value, bytes) else value
            view = ds._view
            parent_view = view.parent_view if view is not None else None
            ds = parent_view.ds if parent_view is not None else None
        return None

    def _correct_ambiguous(self, elem: DataElement) -> None:
        tag = elem.tag
        little = self._read_little if self._read_little is not None else True
        elem.value  # noqa: B018 - convert with the ambiguous VR (to bytes) first, as pydicom
        try:
            if tag == 0x7FE00010:
                if elem.is_undefined_length:
                    elem.VR = "OB"
                elif self._read_implicit:
                    elem.VR = "OW"
                else:
                    elem.VR = "OW" if self.BitsAllocated > 8 else "OB"
            elif tag in _AMBIGUOUS_US_SS_TAGS:
                pixel_rep = self._pixel_rep_for()
                if pixel_rep is None:
                    pixel_rep = 1
                    if ("PixelRepresentation" not in self and "PixelData" not in self) or (
                        self.PixelRepresentation == 0
                    ):
                        pixel_rep = 0
                elem.VR = "US" if pixel_rep == 0 else "SS"
                raw = elem.value
                if isinstance(raw, bytes) and raw:
                    elem.value = _values.convert_bytes(elem.VR, raw, little)
            elif tag in _AMBIGUOUS_OB_OW_TAGS:
                if self._read_implicit:
                    elem.VR = "OW"
                else:
                    elem.VR = "OW" if self.WaveformBitsAllocated > 8 else "OB"
            elif tag == 0x00283006:
                if self.LUTDescriptor[0] == 1:
                    elem.VR = "US"
                    raw = elem.value
                    if isinstance(raw, bytes) and raw:
                        elem.value = _values.convert_bytes("US", raw, little)
                else:
                    elem.VR = "OW"
            elif tag in _OVERLAY_DATA_TAGS:
                elem.VR = "OW"
        except AttributeError as exc:
            raise AmbiguousVRError(f"Failed to resolve ambiguous VR for tag {tag}: {exc}") from None
        except (TypeError, ValueError) as exc:
            # an element it depends on (Bits Allocated, Pixel Representation, Waveform Bits
            # Allocated, LUT Descriptor) stored with a text VR: '16' > 8 (pydicom: TypeError)
            raise AmbiguousVRError(
                f"Failed to resolve ambiguous VR for tag {tag}: an element it depends on has a "
                f"value that is not a number ({exc})"
            ) from None

    # -- element access ----------------------------------------------------------
    def _lookup(self, tag: int) -> DataElement | None:
        view = self._view
        if view is not None:
            return view.lookup(tag, self._edict)
        return self._edict.get(tag)  # type: ignore[call-overload, no-any-return]  # an int finds its BaseTag key

    @property
    def _loaded(self) -> bool:
        view = self._view
        return view is None or view.loaded

    def _load_all(self) -> None:
        """Materialize every element, in file order; from now on _dict is the truth."""
        view = self._view
        if view is not None and not view.loaded:
            d = self.__dict__
            object.__setattr__(self, "_edict", view.load_all(self._edict))
            d["_sorted_elements"] = view.last_in_order
            view.last_in_order = None

    def _changed(self) -> None:
        """Forget what depends on the set of elements (after a change)."""
        view = self._view
        if view is not None:
            view.sorted_tags = None
        self.__dict__.pop("_sorted", None)
        self.__dict__.pop("_sorted_elements", None)

    def _keep_only(self, tags: set[BaseTag]) -> None:
        """Drop every element whose tag is not in `tags` (dcmread's specific_tags)."""
        self._load_all()
        for tag in [t for t in self._edict if t not in tags]:
            del self._edict[tag]
        self._changed()

    def _tags(self) -> list[BaseTag]:
        view = self._view
        if view is not None:
            return view.tags(self._edict)
        return list(self._edict)

    def _raw_value_view(self, tag: int) -> memoryview | None:
        """A zero-copy view of an element's value bytes in the file buffer (or None)."""
        elem = self._lookup(tag)
        if elem is None:
            return None
        view = self._view
        if view is not None and elem._source is view:
            return view.value_view(elem)
        value = elem.value
        return None if value is None else memoryview(value)

    if TYPE_CHECKING:  # what DatasetBase.__getitem__ (C) returns, as pydicom types it
        @overload
        def __getitem__(self, key: slice) -> Dataset: ...
        @overload
        def __getitem__(self, key: TagType) -> DataElement: ...
        def __getitem__(self, key: Any) -> Any: ...

    # ds[int or BaseTag] is answered by DatasetBase.__getitem__ (C); other keys come here
    def _getitem(self, key: Any) -> Any:
        if isinstance(key, slice):
            return self._dataset_slice(key)
        if not isinstance(key, int):
            try:
                key = Tag(key)
            except Exception as exc:
                raise KeyError(f"'{key}'") from exc
        elem = self._lookup(key)
        if elem is None:
            raise KeyError(_tag_from_int(int(key)) if 0 <= key <= 0xFFFFFFFF else key)
        return elem

    def get_item(self, key: Any, *, keep_deferred: bool = False) -> Any:
        """The element at `key`, as pydicom's ``get_item``.

        Once pydicom is imported, an element read from the file and not changed since is
        returned as a ``pydicom.dataelem.RawDataElement`` of its bytes in the file, so
        pydicom's writer copies it as it does its own (see ``docs/pydicom-differences.md``).

        Parameters
        ----------
        key : int, tuple, str, BaseTag or slice
            The tag (anything :func:`dcmfast.Tag` takes), or a slice of tags (a Dataset).
        keep_deferred : bool
            Accepted for pydicom compatibility (dcmfast defers nothing).

        Returns
        -------
        DataElement, RawDataElement or Dataset

        Raises
        ------
        KeyError
            No element has the tag.
        """
        if isinstance(key, slice):
            return self._dataset_slice(key)
        elem = self.__getitem__(key)
        view = self._view
        # pydicom converts Specific Character Set and the File Meta as it reads them
        if (view is not None and elem.VR != "SQ" and elem.tag != _TAG_CHARSET
                and not isinstance(self, FileMetaDataset)):
            raw = _raw_element(self, view, elem)
            if raw is not None:
                return raw
        return elem

    def __contains__(self, name: Any) -> bool:
        try:
            tag = name if isinstance(name, int) and 0 <= name <= 0xFFFFFFFF else Tag(name)
        except Exception as exc:
            msg = (
                f"Invalid value '{name}' used with the 'in' operator: must be an element tag "
                "as a 2-tuple or int, or an element keyword"
            )
            if isinstance(exc, OverflowError):
                msg = (
                    "Invalid element tag value used with the 'in' operator: tags have a "
                    "maximum value of (0xFFFF, 0xFFFF)"
                )
            warnings.warn(msg, stacklevel=2)
            return False
        view = self._view
        if view is not None:
            return view.contains(tag, self._edict)
        return tag in self._edict

    def get(self, key: Any, default: Any = None) -> Any:
        """The value of the element `key` names, or `default` when there is none.

        Parameters
        ----------
        key : str or int or tuple
            A keyword (the value is returned, as ``getattr``) or a tag (the DataElement).
        default : object
            What to return when the element is missing.
        """
        if isinstance(key, str):
            try:
                return getattr(self, key)
            except AttributeError:
                return default
        try:
            key = Tag(key)
        except Exception as exc:
            raise TypeError("Dataset.get key must be a string or tag") from exc
        try:
            return self.__getitem__(key)
        except KeyError:
            return default

    def data_element(self, name: str) -> DataElement | None:
        """The DataElement of keyword `name`.

        Parameters
        ----------
        name : str
            A DICOM keyword (``"PatientName"``).

        Returns
        -------
        DataElement or None
            None when `name` is not a keyword.

        Raises
        ------
        KeyError
            The keyword's element is not in the dataset (as pydicom).
        """
        tag = _datadict.KEYWORD_TO_TAG.get(name)
        if tag is not None:
            return self[tag]
        return None

    def __len__(self) -> int:
        return len(self._tags())

    def __bool__(self) -> bool:
        return len(self) > 0

    def _sorted_tags(self) -> list[BaseTag]:
        view = self._view
        if view is not None:
            if not view.loaded:
                self._load_all()
            tags = view.sorted_tags
            if tags is None:
                in_order = self.__dict__.get("_sorted_elements")
                # elements loaded in ascending order: the dict's order is sorted
                tags = list(self._edict) if in_order is not None else sorted(self._edict, key=int)
                view.sorted_tags = tags
            return tags
        tags = self.__dict__.get("_sorted")
        if tags is None:
            tags = self.__dict__["_sorted"] = sorted(self._edict, key=int)
        return tags

    def __iter__(self) -> Iterator[DataElement]:
        view = self._view
        if view is not None and not view.loaded:
            self._load_all()
        elements = self.__dict__.get("_sorted_elements")
        if elements is not None:
            return iter(elements)
        return self._iter_sorted()

    def _iter_sorted(self) -> Iterator[DataElement]:
        d = self._edict
        for tag in self._sorted_tags():
            yield d[tag]

    def elements(self) -> Iterator[DataElement]:
        """The top-level DataElements in tag order (as iterating over the dataset)."""
        return self.__iter__()

    def __reversed__(self) -> Iterator[DataElement]:
        tags = self._sorted_tags()
        d = self._edict
        for tag in reversed(tags):
            yield d[tag]

    def keys(self) -> Any:
        """The tags of the top-level elements (a dict view, in insertion order)."""
        self._load_all()
        return self._edict.keys()

    def values(self) -> Any:
        """The top-level DataElements (a dict view, in insertion order)."""
        self._load_all()
        return self._edict.values()

    def items(self) -> Any:
        """``(tag, DataElement)`` pairs of the top-level elements (a dict view)."""
        self._load_all()
        return self._edict.items()

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.dir()))

    def dir(self, *filters: str) -> list[str]:
        """The keywords of the top-level elements, sorted.

        Parameters
        ----------
        *filters : str
            Keep only the keywords containing one of these (case-insensitive).
        """
        names = [n for n in (keyword_for_tag(t) for t in self._tags()) if n]
        if not filters:
            return sorted(names)
        matches = {n for n in names for f in filters if f.lower() in n.lower()}
        return sorted(matches)

    def _slice_tags(self, start: Any, stop: Any, step: int | None) -> list[BaseTag]:
        all_tags = sorted(_tag_from_int(t) for t in self._tags())
        if start is not None:
            start = Tag(start)
        if stop is not None:
            stop = Tag(stop)
        i_start = 0 if start is None else bisect_left(all_tags, start)
        i_stop = len(all_tags) if stop is None else bisect_left(all_tags, stop)
        return all_tags[i_start:i_stop:step]

    def _dataset_slice(self, slce: slice) -> Dataset:
        tags = self._slice_tags(slce.start, slce.stop, slce.step)
        ds = Dataset({tag: self[tag] for tag in tags})
        ds.set_original_encoding(self._read_implicit, self._read_little, self._read_charset)
        return ds

    def group_dataset(self, group: int) -> Dataset:
        """A Dataset of the elements of one group.

        Parameters
        ----------
        group : int
            The group number (``ds[(group, 0):(group + 1, 0)]``).

        Returns
        -------
        Dataset
        """
        return self[(group, 0):(group + 1, 0)]

    # -- character set -----------------------------------------------------------
    def _character_set_tuple(self) -> tuple[str, ...]:
        """The Python codecs for this dataset's text (own charset, else the parent's)."""
        elem = self._lookup(_TAG_CHARSET)
        value = elem.value if elem is not None else None
        if value:
            return convert_encodings(value)
        view = self._view
        return view.parent_encoding if view is not None else self._parent_encoding

    @property
    def _character_set(self) -> Any:
        enc = self._character_set_tuple()
        return list(enc)

    @property
    def original_character_set(self) -> Any:
        """The Specific Character Set the dataset was read with (pydicom's
        ``original_character_set``).
        """
        charset = self._read_charset
        if charset == "" and self._view is not None:
            return list(self._character_set_tuple())
        return charset

    @property
    def original_encoding(self) -> tuple[bool | None, bool | None]:
        """``(is_implicit_VR, is_little_endian)`` as read (None, None for a new dataset)."""
        return (self._read_implicit, self._read_little)

    def set_original_encoding(
        self, is_implicit_vr: bool | None, is_little_endian: bool | None, character_encoding: Any = None
    ) -> None:
        """Set the encoding the dataset is treated as having been read with.

        Parameters
        ----------
        is_implicit_vr : bool or None
            Implicit VR (True) or explicit VR (False); None: unknown.
        is_little_endian : bool or None
            Little endian (True) or big endian (False); None: unknown.
        character_encoding : str or list of str, optional
            The character set(s) it was read with (unchanged when None).
        """
        object.__setattr__(self, "_read_implicit", is_implicit_vr)
        object.__setattr__(self, "_read_little", is_little_endian)
        if character_encoding is not None:
            object.__setattr__(self, "_read_charset", character_encoding)

    @property
    def is_little_endian(self) -> bool | None:
        """Whether the dataset is (to be) written little endian; defaults to how it was read."""
        return self.__dict__.get("_is_little_endian", self._read_little)

    @is_little_endian.setter
    def is_little_endian(self, value: bool | None) -> None:
        self.__dict__["_is_little_endian"] = value

    @property
    def is_implicit_VR(self) -> bool | None:  # noqa: N802
        """Whether the dataset is (to be) written with implicit VR; defaults to how it was read."""
        return self.__dict__.get("_is_implicit_VR", self._read_implicit)

    @is_implicit_VR.setter
    def is_implicit_VR(self, value: bool | None) -> None:  # noqa: N802
        self.__dict__["_is_implicit_VR"] = value

    @property
    def is_original_encoding(self) -> bool:
        """Whether the current ``is_implicit_VR`` and ``is_little_endian`` are those read."""
        return self.original_encoding == (self.is_implicit_VR, self.is_little_endian)

    # -- changes -----------------------------------------------------------------
    def __setitem__(self, key: Any, elem: Any) -> None:
        if isinstance(key, slice):
            raise NotImplementedError("Slicing is not supported when setting Dataset items")
        try:
            key = Tag(key)
        except Exception as exc:
            raise ValueError(f"Unable to convert the key '{key}' to an element tag") from exc
        if not isinstance(elem, DataElement):
            elem = _from_pydicom_element(elem)
        elem_tag = elem.tag if isinstance(elem.tag, BaseTag) else Tag(elem.tag)
        if key != elem_tag:
            raise ValueError(f"The key '{key}' doesn't match the 'DataElement' tag '{elem_tag}'")
        view = self._view
        if view is None or view.loaded or self._edict.get(elem_tag) is not elem:
            # (setting the element already at its tag, as `ds.Keyword = value` does,
            # changes no tag: an unloaded level stays unloaded, its dict overriding)
            self._load_all()
        if elem_tag.is_private:
            creator_tag = Tag(elem_tag.group, elem_tag.element >> 8)
            if creator_tag in self and elem_tag != creator_tag:
                elem.private_creator = self[creator_tag].value
        if elem_tag in _PIXEL_TAGS:
            object.__setattr__(self, "_pixel_array", None)
        if elem_tag == _TAG_CHARSET and self._view is not None:
            self._view.encodings = None
        self._changed()
        self._adopt(elem)  # may end a file tree's pristine state (see _core.element.TreeState)
        self._edict[elem_tag] = elem

    def add(self, data_element: DataElement) -> None:
        """Add (or replace) `data_element`, at its tag.

        Parameters
        ----------
        data_element : DataElement
            The element.
        """
        self[data_element.tag] = data_element

    def add_new(self, tag: Any, VR: str, value: Any) -> None:  # noqa: N803
        """Add (or replace) an element made from `tag`, `VR` and `value`.

        Parameters
        ----------
        tag : int or str or tuple
            The element's tag (anything :func:`dcmfast.Tag` accepts).
        VR : str
            Its value representation ("PN", "US", ...).
        value : object
            Its value.
        """
        self.add(DataElement(tag, VR, value))

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("is_") or name.islower() or name in type(self).__dict__:
            if name == "file_meta" and value is not None and not isinstance(value, FileMetaDataset):
                if isinstance(value, Dataset):
                    value = FileMetaDataset(value)
                else:
                    raise TypeError(f"'{type(self).__name__}.file_meta' must be a 'FileMetaDataset' instance")
            self._touch(value)
            object.__setattr__(self, name, value)
            return
        tag = _datadict.KEYWORD_TO_TAG.get(name)
        if tag is not None:
            elem = self._lookup(tag)
            if elem is None:
                elem = DataElement(tag, dictionary_VR(tag), value)
            else:
                elem.value = value
            self[tag] = elem
            return
        if _is_camel_case(name):
            warnings.warn(
                f"Camel case attribute '{name}' used which is not in the element keyword data dictionary",
                stacklevel=2,
            )
        self._touch(value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        tag = _datadict.KEYWORD_TO_TAG.get(name)
        if tag is not None and tag in self:
            del self[tag]
        elif name in self.__dict__:
            del self.__dict__[name]
        elif name in _C_ATTRIBUTES:
            object.__delattr__(self, name)
        else:
            raise AttributeError(name)

    def __delitem__(self, key: Any) -> None:
        self._load_all()
        if isinstance(key, slice):
            tags = self._slice_tags(key.start, key.stop, key.step)
        else:
            tags = [Tag(key)]
        self._changed()
        for tag in tags:
            del self._edict[tag]
            if tag in _PIXEL_TAGS:
                object.__setattr__(self, "_pixel_array", None)
            if tag == _TAG_CHARSET and self._view is not None:
                self._view.encodings = None
            if tag.is_private_creator:
                self.__dict__.pop("_private_blocks", None)

    def pop(self, key: Any, *args: Any) -> Any:
        """Remove the element at `key` and return it.

        Parameters
        ----------
        key : int, tuple, str or BaseTag
            The tag (anything :func:`dcmfast.Tag` takes).
        *args
            Optional: the default returned when there is no such element.

        Returns
        -------
        DataElement or the default

        Raises
        ------
        KeyError
            No such element and no default.
        """
        self._load_all()
        try:
            key = Tag(key)
        except Exception:
            pass
        self._changed()
        return self._edict.pop(key, *args)

    def popitem(self) -> tuple[BaseTag, DataElement]:
        """Remove and return the last ``(tag, DataElement)`` pair added."""
        self._load_all()
        self._changed()
        return self._edict.popitem()

    def setdefault(self, key: Any, default: Any = None) -> DataElement:
        """The element at `key`; when missing, add one holding `default` and return it.

        Parameters
        ----------
        key : int, tuple, str or BaseTag
            The tag (anything :func:`dcmfast.Tag` takes).
        default : DataElement or object
            The element to add, or its value (given the dictionary's VR; 'UN' for
            private or unknown tags, with a warning for an unknown public tag).

        Returns
        -------
        DataElement
        """
        tag = Tag(key)
        if tag in self:
            return self[tag]
        if not isinstance(default, DataElement):
            if tag.is_private:
                vr = "UN"
            else:
                try:
                    vr = dictionary_VR(tag)
                except KeyError:
                    warnings.warn(f"Unknown DICOM tag {tag} - setting VR to 'UN'", stacklevel=2)
                    vr = "UN"
            default = DataElement(tag, vr, default)
        elem: DataElement = default
        self[tag] = elem
        return elem

    def update(self, d: Any) -> None:
        """Set the elements of a mapping.

        Parameters
        ----------
        d : mapping
            Keyword keys are set as attributes (``ds.Keyword = value``), other keys as
            items (``ds[Tag(key)] = value``: a DataElement).
        """
        for key, value in list(d.items()):
            if isinstance(key, str):
                setattr(self, key, value)
            else:
                self[Tag(key)] = value

    def clear(self) -> None:
        """Remove every element."""
        self._load_all()
        self._changed()
        self._edict.clear()

    # -- traversal ---------------------------------------------------------------
    def iterall(self) -> Iterator[DataElement]:
        """Every DataElement, depth first: each element, then the elements of its sequence items."""
        for elem in self:
            yield elem
            if elem.VR == "SQ":
                for item in elem.value:
                    yield from item.iterall()

    def walk(self, callback: Callable[[Dataset, DataElement], None], recursive: bool = True) -> None:
        """Call ``callback(dataset, element)`` for every element, in tag order.

        Parameters
        ----------
        callback : callable
            Called with the dataset holding the element and the element; it may delete it.
        recursive : bool
            Also walk the items of sequences (default True).
        """
        for tag in list(self._sorted_tags()):
            data_element = self[tag]
            callback(self, data_element)
            if recursive and tag in self and data_element.VR == "SQ":
                for dataset in data_element.value:
                    dataset.walk(callback)

    def remove_private_tags(self) -> None:
        """Remove every private element, in sequence items too."""
        def remove_callback(dataset: Dataset, elem: DataElement) -> None:
            if elem.tag.is_private:
                del dataset[elem.tag]

        self.walk(remove_callback)

    # -- private blocks ----------------------------------------------------------
    def private_block(self, group: int, private_creator: str, create: bool = False) -> PrivateBlock:
        """The :class:`PrivateBlock` of `private_creator` in group `group`.

        Parameters
        ----------
        group : int
            An odd group number.
        private_creator : str
            The private creator's value.
        create : bool
            Reserve a new block (adding its private creator element) when there is none;
            otherwise a missing block raises KeyError.
        """
        key = (group, private_creator)
        blocks = self.__dict__.setdefault("_private_blocks", {})
        if key in blocks:
            return blocks[key]  # type: ignore[no-any-return]
        if not private_creator:
            raise ValueError("Private creator must have a value")
        if group % 2 == 0:
            raise ValueError("Tag must be private if private creator is given")
        block = self[(group, 0x10):(group, 0x100)]
        found = next((elem for elem in block if elem.value == private_creator), None)
        if found is not None:
            new = PrivateBlock(key, self, found.tag.element)
        else:
            if not create:
                raise KeyError(f"Private creator '{private_creator}' not found")
            first_free = next(el for el in range(0x10, 0x100) if Tag(group, el) not in self)
            self.add_new(Tag(group, first_free), "LO", private_creator)
            new = PrivateBlock(key, self, first_free)
        blocks[key] = new
        return new

    def private_creators(self, group: int) -> list[str]:
        """The private creator values of one private group, in element order.

        Parameters
        ----------
        group : int
            An odd group number.

        Returns
        -------
        list of str

        Raises
        ------
        ValueError
            `group` is even.
        """
        if group % 2 == 0:
            raise ValueError("Group must be an odd number")
        return [x.value for x in self[(group, 0x10):(group, 0x100)]]

    def get_private_item(self, group: int, element_offset: int, private_creator: str) -> DataElement:
        """A private element, by its offset in its private creator's block.

        Parameters
        ----------
        group : int
            The (odd) group number.
        element_offset : int
            The element's offset in the block, 0x00-0xFF.
        private_creator : str
            The private creator value that reserves the block.

        Returns
        -------
        DataElement

        Raises
        ------
        KeyError
            No block of `private_creator` in `group`, or no element at the offset.
        ValueError
            `element_offset` is out of range, or `group` is not private.
        """
        block = self.private_block(group, private_creator)
        return self.__getitem__(block.get_tag(element_offset))

    # -- printing ----------------------------------------------------------------
    def _pretty_str(self, indent: int = 0, top_level_only: bool = False) -> str:
        strings = []
        indent_str = self.indent_chars * indent
        nextindent_str = self.indent_chars * (indent + 1)
        file_meta = self.__dict__.get("file_meta")
        if file_meta:
            strings.append(f"{'Dataset.file_meta ':-<49}")
            for elem in file_meta:
                strings.append(indent_str + repr(elem))
            strings.append(f"{'':-<49}")
        for elem in self:
            if elem.VR == "SQ":
                strings.append(f"{indent_str}{elem.tag}  {elem.name}  {len(elem.value)} item(s) ---- ")
                if not top_level_only:
                    for dataset in elem.value:
                        strings.append(dataset._pretty_str(indent + 1))
                        strings.append(nextindent_str + "---------")
            else:
                strings.append(indent_str + repr(elem))
        return "\n".join(strings)

    def __str__(self) -> str:
        return self._pretty_str()

    __repr__ = __str__

    def top(self) -> str:
        """The top-level elements as text (sequences are named, not expanded)."""
        return self._pretty_str(top_level_only=True)

    def formatted_lines(
        self,
        element_format: str = default_element_format,
        sequence_element_format: str = default_sequence_element_format,
        indent_format: str | None = None,
    ) -> Iterator[str]:
        """One line of text per element, nested items' included (``iterall``).

        Parameters
        ----------
        element_format : str
            ``%``-style format of an element: fields tag, name, VR, repval, value,
            keyword, VM, is_private, is_retired, is_empty, file_tell, ...
        sequence_element_format : str
            The format of a sequence element (the same fields).
        indent_format : str, optional
            Accepted for pydicom compatibility (a placeholder there too).

        Yields
        ------
        str
        """
        for elem in self.iterall():
            fields = {
                "tag": elem.tag, "name": elem.name, "VR": elem.VR, "repval": elem.repval,
                "value": elem.value, "keyword": elem.keyword, "VM": elem.VM,
                "is_private": elem.is_private, "is_retired": elem.is_retired,
                "is_empty": elem.is_empty, "file_tell": elem.file_tell,
                "is_undefined_length": elem.is_undefined_length,
                "private_creator": elem.private_creator, "descripWidth": elem.descripWidth,
                "maxBytesToDisplay": elem.maxBytesToDisplay, "showVR": elem.showVR,
            }
            yield (sequence_element_format if elem.VR == "SQ" else element_format) % fields

    # -- comparison, copying, pickling ---------------------------------------------
    def __eq__(self, other: Any) -> bool:
        if other is self:
            return True
        if isinstance(other, Dataset):
            self._load_all()
            other._load_all()
            return self._edict == other._edict
        return NotImplemented

    def __ne__(self, other: Any) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        """Unhashable, as pydicom's datasets (``TypeError``), unless code has made pydicom's
        class hashable: deid, for one, sets ``pydicom.dataset.FileDataset.__hash__`` while it
        walks a dataset, and then dcmfast's dataset hashes as pydicom's would."""
        theirs = _pydicom_hash(self)
        if theirs is None:
            raise TypeError(f"unhashable type: '{type(self).__name__}'")
        return theirs(self)  # type: ignore[no-any-return]

    def _materialize(self) -> None:
        """Convert every value, recursively, and drop the references to the index."""
        self._load_all()
        for elem in self._edict.values():
            elem._materialize()
            if elem.VR == "SQ":
                for item in elem.value:
                    item._materialize()
        meta = self.__dict__.get("file_meta")
        if meta is not None:
            meta._materialize()
        view = self._view
        if view is not None:
            self.__dict__["_parent_encoding"] = view.parent_encoding
        object.__setattr__(self, "_view", None)

    def copy(self) -> Dataset:
        """A shallow copy (``copy.copy``): new containers, the same element values."""
        return copy.copy(self)

    def __copy__(self) -> Dataset:
        self._load_all()
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        for name, value in self._c_attributes().items():
            object.__setattr__(new, name, value)
        new._edict = dict(self._edict)
        if self._view is not None:
            new.__dict__["_parent_encoding"] = self._view.parent_encoding
        object.__setattr__(new, "_view", None)
        new.__dict__.pop("_private_blocks", None)
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> Dataset:
        self._materialize()
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            if key in ("buffer", "_buffer"):
                new.__dict__[key] = value
            else:
                new.__dict__[key] = copy.deepcopy(value, memo)
        new.__dict__.pop("_private_blocks", None)
        for name, value in self._c_attributes().items():
            object.__setattr__(new, name, copy.deepcopy(value, memo))
        new._edict = copy.deepcopy(self._edict, memo)
        return new

    def __getstate__(self) -> dict[str, Any]:
        self._materialize()
        state = dict(self.__dict__)
        state.update(self._c_attributes())  # C fields of the compiled base
        state["_dict"] = self._edict  # a slot of the compiled base, not in __dict__
        state.pop("_buffer", None)
        state.pop("buffer", None)
        state.pop("_private_blocks", None)
        state.pop("_pixel_array", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        self._edict = state.pop("_dict", {})
        for name in _C_ATTRIBUTES:
            if name in state:
                object.__setattr__(self, name, state.pop(name))
        self.__dict__.update(state)

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (_new_instance, (type(self),), self.__getstate__())

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        return None

    # -- pixel data --------------------------------------------------------------
    @property
    def pixel_array(self) -> numpy.ndarray:
        """The pixel data as a numpy array (decoded once and cached), with the options
        last set by :meth:`pixel_array_options`.

        Native little-endian pixel data comes back as a *read-only* view of the file
        buffer (no copy): an edit can never change what the dataset reads or writes, nor
        a buffer passed to ``dcmread``. ``arr.copy()`` gives a writable array.
        """
        arr: numpy.ndarray | None = self.__dict__.get("_pixel_array")
        if arr is None:
            self.convert_pixel_data()
            arr = self.__dict__["_pixel_array"]
        return arr

    def pixel_array_options(
        self,
        *,
        index: int | None = None,
        raw: bool = False,
        decoding_plugin: str = "",
        use_v2_backend: bool = False,
        **kwargs: Any,
    ) -> None:
        """Set the options the next :attr:`pixel_array` is decoded with (pydicom's method).

        The cached array is dropped.

        Parameters
        ----------
        index : int, optional
            Decode only this frame (0-based).
        raw : bool
            Skip the YBR to RGB conversion.
        decoding_plugin : str
            Accepted for pydicom compatibility (dcmfast has one decoder per syntax).
        use_v2_backend : bool
            Must be False: pydicom 2's backend does not exist here (TypeError).
        **kwargs
            Other options of :func:`dcmfast.pixels.pixel_array` (``as_rgb``,
            ``threads``, ...).
        """
        if use_v2_backend:
            raise TypeError(
                f"{type(self).__name__}.pixel_array_options() got an unexpected keyword argument "
                "'use_v2_backend'"
            )
        kwargs["index"] = index
        kwargs["raw"] = raw
        if decoding_plugin:
            kwargs["decoding_plugin"] = decoding_plugin.lower()
        self.__dict__["_pixel_array_opts"] = kwargs
        self.__dict__["_pixel_array"] = None

    def convert_pixel_data(self, handler_name: str = "") -> None:
        """Decode the pixel data into :attr:`pixel_array` (pydicom's method).

        Parameters
        ----------
        handler_name : str
            Accepted for pydicom compatibility and ignored.
        """
        if self.__dict__.get("_pixel_array") is not None:
            return
        import dcmfast.pixels as pixels  # (an absolute import costs half a relative one)

        opts = self.__dict__.get("_pixel_array_opts")
        if opts:
            opts = dict(opts)
            opts.pop("decoding_plugin", None)
            arr = pixels.pixel_array(self, **opts)
        else:
            arr = pixels.pixel_array(self)
        self.__dict__["_pixel_array"] = arr

    def overlay_array(self, group: int) -> Any:
        """The overlay in a repeating group as a numpy array.

        pydicom's own function does the work (a dcmfast dataset passes its type checks),
        so the result is pydicom's.

        Parameters
        ----------
        group : int
            The overlay group, 0x6000-0x601E (even).

        Returns
        -------
        numpy.ndarray
        """
        from pydicom.overlays import get_overlay_array  # type: ignore[attr-defined]  # (not in its __all__)

        # a dcmfast Dataset passes pydicom's isinstance checks (_pydicom_compat), not mypy's
        return get_overlay_array(self, group)  # type: ignore[arg-type]

    def waveform_array(self, index: int) -> Any:
        """One multiplex group of the Waveform Sequence as a numpy array.

        pydicom's own function does the work (a dcmfast dataset passes its type checks),
        so the result is pydicom's.

        Parameters
        ----------
        index : int
            The item of the Waveform Sequence.

        Returns
        -------
        numpy.ndarray
        """
        from pydicom.waveforms.numpy_handler import multiplex_array

        return multiplex_array(self, index, as_raw=False)  # type: ignore[arg-type]  # (as above)

    # -- DICOM JSON (PS3.18 Annex F): see jsonrep.py ----------------------------------
    def to_json_dict(
        self,
        bulk_data_threshold: int = 1024,
        bulk_data_element_handler: Callable[[DataElement], Any] | None = None,
        suppress_invalid_tags: bool = False,
    ) -> dict[str, Any]:
        """The DICOM JSON model of the dataset as a dict (pydicom's ``to_json_dict``).

        Parameters
        ----------
        bulk_data_threshold : int
            Binary values whose base64 text would be longer than this go to
            `bulk_data_element_handler` when it is given (pydicom's rule).
        bulk_data_element_handler : callable, optional
            Called with such an element; returns its BulkDataURI. Without it, binary
            values are inline (InlineBinary, base64).
        suppress_invalid_tags : bool
            Leave out elements whose value cannot be converted instead of raising.

        Returns
        -------
        dict
            See :func:`dcmfast.jsonrep.dataset_to_json_dict`.
        """
        from . import jsonrep

        return jsonrep.dataset_to_json_dict(
            self, bulk_data_threshold, bulk_data_element_handler, suppress_invalid_tags
        )

    def to_json(
        self,
        bulk_data_threshold: int = 1024,
        bulk_data_element_handler: Callable[[DataElement], Any] | None = None,
        dump_handler: Callable[[dict[str, Any]], Any] | None = None,
        suppress_invalid_tags: bool = False,
    ) -> Any:
        """The DICOM JSON text of the dataset (pydicom's ``to_json``; keys sorted).

        Parameters
        ----------
        bulk_data_threshold, bulk_data_element_handler, suppress_invalid_tags
            As :meth:`to_json_dict`.
        dump_handler : callable, optional
            Turns the dict into the result (default: ``json.dumps`` with sorted keys).

        Returns
        -------
        str (or what `dump_handler` returns)
        """
        from . import jsonrep

        return jsonrep.dataset_to_json(
            self, bulk_data_threshold, bulk_data_element_handler, dump_handler, suppress_invalid_tags
        )

    @classmethod
    def from_json(
        cls, json_dataset: dict[str, Any] | str | bytes | bytearray, bulk_data_uri_handler: Any = None
    ) -> Dataset:
        """A dataset from a DICOM JSON model object or its text (pydicom's ``from_json``).

        Parameters
        ----------
        json_dataset : dict, str, bytes or bytearray
            The JSON model object, or its text.
        bulk_data_uri_handler : callable, optional
            Returns the bytes of a BulkDataURI (called with the tag, VR and URI, or with
            the URI alone, as pydicom).

        Returns
        -------
        Dataset
            An instance of this class.
        """
        from . import jsonrep

        return jsonrep.dataset_from_json(cls, json_dataset, bulk_data_uri_handler)  # type: ignore[no-any-return]

    def to_pydicom(self) -> Any:
        """A genuine ``pydicom.Dataset`` (``FileDataset`` for files) with the same elements."""
        from ._topydicom import to_pydicom

        return to_pydicom(self)

    # -- writing -------------------------------------------------------------------
    def save_as(
        self,
        filename: Any,
        /,
        __write_like_original: bool | None = None,
        *,
        implicit_vr: bool | None = None,
        little_endian: bool | None = None,
        enforce_file_format: bool = False,
        overwrite: bool = True,
        fsync: bool = False,
        **kwargs: Any,
    ) -> None:
        """Write the dataset to `filename` (a path, written atomically, or a file-like).

        As pydicom's ``save_as``: a change between little and big endian is refused
        (use :func:`dcmfast.dcmwrite` for that).

        Parameters
        ----------
        filename : str, PathLike or binary file-like
            The target (see :func:`dcmfast.dcmwrite`).
        implicit_vr, little_endian : bool, optional
            The encoding, when the File Meta has no Transfer Syntax UID.
        enforce_file_format : bool
            Write a conformant DICOM file (preamble, ``DICM``, complete File Meta).
        overwrite : bool
            If False and `filename` is a path that exists, raise ``FileExistsError``.
        fsync : bool
            Flush the new file to the disk before renaming it over the target.
        **kwargs
            ``write_like_original`` (pydicom 2's name).

        Raises
        ------
        DicomWriteError
            A change of endianness, or any case where pydicom's writer raises.
        """
        from .errors import DicomWriteError
        from .filewriter import dcmwrite

        if implicit_vr is not None and little_endian is None:
            little_endian = True
        if self.original_encoding[1] is not None:
            file_meta = self.__dict__.get("file_meta") or {}
            syntax = file_meta.get("TransferSyntaxUID", None)
            use_little: bool | None = None
            try:
                use_little = syntax.is_little_endian  # type: ignore[union-attr]
            except (AttributeError, ValueError):
                use_little = little_endian if little_endian is not None else self.is_little_endian
            if use_little is not None and self.original_encoding[1] != use_little:
                raise DicomWriteError(
                    f"'{type(self).__name__}.save_as()' cannot be used to convert between little and big "
                    "endian encoding. Please read the documentation for filewriter.dcmwrite() if this is "
                    "what you really want to do"
                )
        dcmwrite(
            filename,
            self,
            __write_like_original,
            implicit_vr=implicit_vr,
            little_endian=little_endian,
            enforce_file_format=enforce_file_format,
            overwrite=overwrite,
            fsync=fsync,
            **kwargs,
        )

    def ensure_file_meta(self) -> None:
        """Create an empty ``file_meta`` if the dataset has none (pydicom's method)."""
        if "file_meta" not in self.__dict__:
            self.__dict__["file_meta"] = FileMetaDataset()

    # -- compression (dcmfast.pixels.codec) ----------------------------------------
    def compress(
        self,
        transfer_syntax_uid: str,
        arr: Any = None,
        encoding_plugin: str = "",
        encapsulate_ext: bool = False,
        *,
        generate_instance_uid: bool = True,
        jls_error: int | None = None,
        j2k_cr: list[float] | None = None,
        j2k_psnr: list[float] | None = None,
        **kwargs: Any,
    ) -> None:
        """Compress the pixel data in place (pydicom 3's ``Dataset.compress``).

        Parameters
        ----------
        transfer_syntax_uid : str
            RLE Lossless, JPEG 2000 Lossless or JPEG 2000 (see
            :func:`dcmfast.pixels.compress`).
        arr : numpy.ndarray, optional
            The pixels to encode instead of the dataset's (shaped as ``pixel_array``).
        encoding_plugin : str
            Accepted for pydicom compatibility and ignored.
        encapsulate_ext : bool
            Use an Extended Offset Table.
        generate_instance_uid : bool
            Give the dataset a new SOP Instance UID.
        jls_error : int, optional
            Accepted for pydicom compatibility (no JPEG-LS encoder).
        j2k_cr, j2k_psnr : list of float, optional
            JPEG 2000 compression ratios or peak signal-to-noise ratios (lossy).
        **kwargs
            Further encoder options (as :func:`dcmfast.pixels.compress`).
        """
        from .pixels.codec import compress

        compress(self, transfer_syntax_uid, arr, encoding_plugin=encoding_plugin,
                 encapsulate_ext=encapsulate_ext, generate_instance_uid=generate_instance_uid,
                 jls_error=jls_error, j2k_cr=j2k_cr, j2k_psnr=j2k_psnr, **kwargs)

    def decompress(self, handler_name: str = "", *, as_rgb: bool = True,
                   generate_instance_uid: bool = True, decoding_plugin: str = "",
                   **kwargs: Any) -> None:
        """Decompress the pixel data in place (pydicom 3's ``Dataset.decompress``).

        Parameters
        ----------
        handler_name : str
            Accepted for pydicom compatibility and ignored.
        as_rgb : bool
            Convert YBR colour to RGB.
        generate_instance_uid : bool
            Give the dataset a new SOP Instance UID.
        decoding_plugin : str
            Accepted for pydicom compatibility and ignored.
        **kwargs
            Further options of :func:`dcmfast.pixels.decompress` (``threads``).
        """
        from .pixels.codec import decompress

        decompress(self, as_rgb=as_rgb, generate_instance_uid=generate_instance_uid,
                   decoding_plugin=decoding_plugin or handler_name, **kwargs)


def _from_pydicom_element(elem: Any) -> DataElement:
    """A dcmfast DataElement equal to a pydicom one (libraries built on pydicom, deid for
    one, put pydicom's elements into datasets they are given); anything else: TypeError."""
    module = type(elem).__module__
    if not module.startswith("pydicom") or getattr(elem, "is_raw", True) or elem.VR == "SQ":
        raise TypeError("Dataset items must be 'DataElement' instances")
    value = elem.value
    if type(value).__module__.startswith("pydicom"):
        if isinstance(value, (str, bytes, int, float)):
            value = value if type(value) in (str, bytes, int, float) else _plain(value)
        elif hasattr(value, "__iter__") and not hasattr(value, "components"):
            value = [_plain(v) for v in value]
        else:
            value = _plain(value)
    new = DataElement(int(elem.tag), elem.VR, value, is_undefined_length=elem.is_undefined_length)
    new.private_creator = elem.private_creator
    return new


def _plain(value: Any) -> Any:
    """A pydicom value (DSfloat, IS, UID, PersonName, ...) as the text or number it stands for."""
    original = getattr(value, "original_string", None)
    if isinstance(original, str):
        return original
    if hasattr(value, "components"):  # PersonName
        return str(value)
    for kind in (str, int, float, bytes):
        if isinstance(value, kind):
            return kind(value)  # type: ignore[arg-type]  # (value is a `kind`: mypy joins the four)
    return value


def _pydicom_hash(ds: Any) -> Any:
    """The ``__hash__`` of pydicom's class for `ds` (None: unhashable, or no pydicom)."""
    import sys

    module = sys.modules.get("pydicom.dataset")
    if module is None:
        return None
    for ours, name in ((FileMetaDataset, "FileMetaDataset"), (FileDataset, "FileDataset")):
        if isinstance(ds, ours):
            return getattr(getattr(module, name), "__hash__", None)
    return getattr(module.Dataset, "__hash__", None)


class FileMetaDataset(Dataset):
    """The File Meta Information group (0002,eeee).

    Parameters
    ----------
    *args, **kwargs
        As :class:`Dataset`.

    Raises
    ------
    ValueError
        An element is not of group 2.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bad = [t for t in self._edict if int(t) >> 16 != 2]
        if bad:
            raise ValueError("Only group 2 data elements are allowed in a FileMetaDataset")

    @property
    def _tsyntax_encoding(self) -> tuple[bool, bool] | tuple[None, None]:
        """(is implicit VR, is little endian) of a public Transfer Syntax UID, else
        (None, None) (pydicom's property, which pydicom's functions read)."""
        tsyntax = self.get("TransferSyntaxUID", None)
        if not tsyntax or tsyntax.is_private or not tsyntax.is_transfer_syntax:
            return (None, None)
        return (tsyntax.is_implicit_VR, tsyntax.is_little_endian)

    def __setitem__(self, key: Any, value: Any) -> None:
        tag = value.tag if isinstance(value, DataElement) else key
        if Tag(tag).group != 2:
            raise ValueError("Only group 2 data elements are allowed in a FileMetaDataset")
        super().__setitem__(key, value)


class FileDataset(Dataset):
    """A dataset read from a file: adds preamble, file_meta, filename, timestamp.

    :func:`dcmfast.dcmread` returns one; made directly, as in pydicom, it wraps a dataset.

    Parameters
    ----------
    filename_or_obj : str, PathLike, file-like or None
        Where the dataset came from: a path becomes ``filename``; a file-like becomes
        ``buffer`` (and ``filename`` when it has a name).
    dataset : Dataset or mapping
        The elements.
    preamble : bytes, optional
        The 128-byte preamble.
    file_meta : FileMetaDataset, optional
        The File Meta Information (an empty one when None).
    is_implicit_VR, is_little_endian : bool
        The encoding the dataset was read with.

    Attributes
    ----------
    preamble : bytes or None
        The preamble (None: the file had none).
    file_meta : FileMetaDataset
        The File Meta Information.
    filename : str or None
        The path read (None for bytes or an unnamed file-like).
    buffer : object
        The file-like or bytes read, when not a path.
    fileobj_type : type or None
        ``open`` for a path, else the type of `filename_or_obj`.
    timestamp : float or None
        The file's modification time (``st_mtime``) when read from a path.
    """

    # set by _init_file (in the instance __dict__)
    preamble: bytes | None
    file_meta: FileMetaDataset
    filename: str | None
    buffer: Any
    fileobj_type: Any
    timestamp: float | None

    def __init__(
        self,
        filename_or_obj: Any,
        dataset: Any,
        preamble: bytes | None = None,
        file_meta: FileMetaDataset | None = None,
        is_implicit_VR: bool = True,  # noqa: N803
        is_little_endian: bool = True,
    ) -> None:
        Dataset.__init__(self, dataset)
        self._init_file(filename_or_obj, preamble, file_meta, is_implicit_VR, is_little_endian)

    def _init_file(
        self,
        filename_or_obj: Any,
        preamble: bytes | None,
        file_meta: FileMetaDataset | None,
        is_implicit_vr: bool,
        is_little_endian: bool,
        mtime: float | None = None,
    ) -> None:
        """`mtime`: the file's st_mtime when the reader already has it (from its fstat)."""
        d = self.__dict__
        d["preamble"] = preamble
        d["file_meta"] = file_meta if file_meta is not None else FileMetaDataset()
        object.__setattr__(self, "_read_implicit", is_implicit_vr)
        object.__setattr__(self, "_read_little", is_little_endian)
        d["fileobj_type"] = None
        d["filename"] = None
        d["buffer"] = None
        if not isinstance(filename_or_obj, str) and isinstance(filename_or_obj, os.PathLike):
            filename_or_obj = os.fspath(filename_or_obj)
        if isinstance(filename_or_obj, str):
            d["filename"] = filename_or_obj
            d["fileobj_type"] = open
        elif isinstance(filename_or_obj, io.BufferedReader):
            d["filename"] = filename_or_obj.name
            d["fileobj_type"] = open
        elif filename_or_obj is not None:
            d["buffer"] = filename_or_obj
            d["fileobj_type"] = type(filename_or_obj)
            name = getattr(filename_or_obj, "name", None) or getattr(filename_or_obj, "filename", None)
            if name:
                d["filename"] = name
        d["timestamp"] = None
        filename = d["filename"]
        if mtime is not None:
            d["timestamp"] = mtime
        elif isinstance(filename, str):
            try:
                d["timestamp"] = os.stat(filename).st_mtime
            except OSError:
                pass


def _new_instance(cls: Any) -> Any:
    return cls.__new__(cls)


_elem.set_dataset_class(Dataset)
