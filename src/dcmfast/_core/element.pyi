# Typing stub for the compiled module dcmfast._core.element (element.pyx).
# Keep in step with element.pyx: tests/test_typing.py runs mypy.stubtest on it.
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, final

from typing_extensions import disjoint_base

from dcmfast._core.parse import Index
from dcmfast.datadict import KEYWORD_TO_TAG as KEYWORD_TO_TAG
from dcmfast.tag import BaseTag, TagType

BYTES_VR: frozenset[str]
AMBIGUOUS_VR: frozenset[str]
LONG_VALUE_VR: frozenset[str]
ALLOW_BACKSLASH: frozenset[str]
DEFAULT_CHARSET_VR: frozenset[str]

@disjoint_base
class DataElement:
    """A DICOM data element: tag, VR and value, as ``pydicom.DataElement``.

    Elements read from a file convert their value the first time it is read (and keep
    it); until an element's value is changed, writing copies its original bytes.

    Parameters
    ----------
    tag : int, tuple, str or BaseTag
        The element's tag (anything :func:`dcmfast.Tag` takes).
    VR : str
        The Value Representation (``"UN"`` for a public tag becomes its dictionary VR,
        as pydicom does).
    value : object
        The value: converted to the VR's type (``DSfloat``, ``IS``, ``UID``,
        ``PersonName``, ``MultiValue`` for several values, ``Sequence`` for SQ); a str
        with backslashes is split into several values (not for LT, ST, UT and the binary
        VRs).
    file_value_tell : int, optional
        The byte offset of the value in the file it was read from.
    is_undefined_length : bool
        The element was read with an undefined length.
    already_converted : bool
        Keep `value` as given (no conversion, no validation).
    validation_mode : int, optional
        ``config.IGNORE``, ``WARN`` or ``RAISE`` for the check of `value` (default: the
        reading validation mode of ``dcmfast.config.settings``).

    Attributes
    ----------
    tag : BaseTag
        The tag.
    VR : str
        The Value Representation.
    is_undefined_length : bool
        Read (and written) with an undefined length.
    private_creator : str or None
        The private creator of a private element (set by ``Dataset.private_block``).
    validation_mode : int or None
        As given.

    Examples
    --------
    >>> from dcmfast import DataElement
    >>> elem = DataElement(0x00280030, "DS", ["0.5", "0.5"])
    >>> elem.keyword, elem.VM, elem.value
    ('PixelSpacing', 2, [0.5, 0.5])
    """
    descripWidth: ClassVar[int]  # noqa: N815 (pydicom's name)
    maxBytesToDisplay: ClassVar[int]  # noqa: N815 (pydicom's name)
    showVR: ClassVar[bool]  # noqa: N815 (pydicom's name)
    is_raw: ClassVar[bool]
    __hash__: ClassVar[None]  # type: ignore[assignment]

    tag: BaseTag
    VR: str  # noqa: N815 (pydicom's name)
    is_undefined_length: bool
    private_creator: str | None
    validation_mode: int | None
    def __init__(
        self,
        tag: TagType,
        VR: str,  # noqa: N803 (pydicom's name)
        value: Any,
        file_value_tell: int | None = None,
        is_undefined_length: bool = False,
        already_converted: bool = False,
        validation_mode: int | None = None,
    ) -> None: ...
    @property
    def value(self) -> Any:
        """The value, converted (from the file's bytes) on first access; setting it converts as the
        constructor does."""
    @value.setter
    def value(self, val: Any) -> None: ...
    @property
    def file_tell(self) -> int | None:
        """The byte offset of the value in the file it was read from (None for an element made in code)."""
    @file_tell.setter
    def file_tell(self, value: int | None) -> None: ...
    @property
    def _source(self) -> View | None: ...
    def _convert_value(self, val: Any) -> Any: ...
    def _convert(self, val: Any) -> Any: ...
    @property
    def VM(self) -> int:  # noqa: N802 (pydicom's name)
        """The Value Multiplicity: the number of values (0 when empty, 1 for a sequence)."""
    @property
    def is_empty(self) -> bool:
        """True when the element has no value (a sequence: no items)."""
    @property
    def empty_value(self) -> Any:
        """The value an empty element of this VR has (pydicom's: ``''``, None or an empty Sequence)."""
    def clear(self) -> None:
        """Empty the value (set it to :attr:`empty_value`)."""
    @property
    def is_buffered(self) -> bool:
        """Always False: dcmfast has no buffered (file-like) values."""
    @property
    def is_private(self) -> bool:
        """True for a private element (odd group)."""
    @property
    def is_retired(self) -> bool:
        """True when the data dictionary marks the (public) tag retired."""
    @property
    def keyword(self) -> str:
        """The dictionary keyword of the tag (``PatientName``), or ``''`` for a private or unknown tag."""
    @property
    def name(self) -> str:
        """The dictionary name of the tag; ``[description]`` for a known private tag, else ``Private tag
        data`` or ``Private Creator``."""
    def description(self) -> str:
        """The same as :attr:`name` (pydicom's older method)."""
    def to_json_dict(
        self, bulk_data_element_handler: Callable[[DataElement], Any] | None, bulk_data_threshold: int
    ) -> dict[str, Any]: ...
    def to_json(
        self,
        bulk_data_threshold: int = 1024,
        bulk_data_element_handler: Callable[[DataElement], Any] | None = None,
        dump_handler: Callable[[dict[str, Any]], Any] | None = None,
    ) -> Any: ...
    @classmethod
    def from_json(
        cls,
        dataset_class: type,
        tag: str,
        vr: str,
        value: Any,
        value_key: str | None,
        bulk_data_uri_handler: Callable[..., Any] | None = None,
    ) -> DataElement: ...
    @property
    def repval(self) -> str:
        """The value as ``str(elem)`` and printing a Dataset show it (long values shortened)."""
    def __getitem__(self, key: Any, /) -> Any: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    def _materialize(self) -> None: ...
    def __reduce__(self) -> tuple[Any, ...]: ...
    def __copy__(self) -> DataElement: ...
    def __deepcopy__(self, memo: dict[int, Any]) -> DataElement: ...

def _restore(
    cls: type[DataElement],
    tag: BaseTag,
    VR: str,  # noqa: N803 (pydicom's name)
    value: Any,
    file_tell: int | None,
    undefined: bool,
    private_creator: str | None,
    validation_mode: int | None,
) -> DataElement: ...
def set_dataset_class(cls: type[Any]) -> None: ...
_D = TypeVar("_D")

def make_dataset(
    cls: type[_D],
    index: Index,
    first: int,
    stop: int,
    implicit: bool,
    parent_encoding: tuple[str, ...],
    parent_view: View | None,
    tell_base: int,
) -> _D: ...

@final
class TreeState:
    @property
    def is_pristine(self) -> bool: ...
    def touch(self, sequence: Any = None) -> None: ...

@disjoint_base
class DatasetBase:
    def __getitem__(self, key: Any, /) -> Any: ...
    def _touch(self, value: object) -> None: ...
    def _adopt(self, elem: object) -> None: ...
    def _c_attributes(self) -> dict[str, Any]: ...
    _view: View | None
    _read_implicit: bool | None
    _read_little: bool | None
    is_undefined_length_sequence_item: bool
    seq_item_tell: int
    file_tell: int

@disjoint_base
class View:
    @property
    def index(self) -> Index: ...
    @property
    def first(self) -> int: ...
    @property
    def stop(self) -> int: ...
    @property
    def tell_base(self) -> int: ...
    @property
    def parent_encoding(self) -> tuple[str, ...]: ...
    parent_view: View | None
    encodings: tuple[str, ...] | None
    loaded: bool
    sorted_tags: list[BaseTag] | None
    last_in_order: list[DataElement] | None
    def __init__(
        self,
        index: Index,
        first: int,
        stop: int,
        tell_base: int,
        ds: object,
        parent_encoding: tuple[str, ...],
    ) -> None: ...
    @property
    def tree(self) -> TreeState | None: ...
    @property
    def ds(self) -> Any: ...
    def lookup(self, tag: int, elements: dict[BaseTag, DataElement]) -> DataElement | None: ...
    def contains(self, tag: int, elements: dict[BaseTag, DataElement]) -> bool: ...
    def tags(self, elements: dict[BaseTag, DataElement]) -> list[BaseTag]: ...
    def load_all(self, cached: dict[BaseTag, DataElement]) -> dict[BaseTag, DataElement]: ...
    def charset(self) -> tuple[str, ...]: ...
    def value_view(self, elem: DataElement) -> memoryview | None: ...
    def entry(self, i: int) -> tuple[int, int, int, int, int, int, int, int]: ...
    def raw_entry(self, elem: DataElement) -> int: ...
    def raw_entries(self, elements: dict[BaseTag, DataElement], tags: list[int], start: int = 0) -> bytes: ...

def _assigned_value_surely_valid(vr: str, val: Any, mode: int) -> bool: ...
def _converted_element(tag: BaseTag, VR: str, value: Any, validation_mode: int | None) -> DataElement: ...  # noqa: N803
def _checked_element(
    tag: BaseTag, VR: str, items: list[Any], validation_mode: int | None  # noqa: N803
) -> DataElement | None: ...
