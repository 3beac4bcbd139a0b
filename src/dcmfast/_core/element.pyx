# cython: language_level=3
"""DataElement and the hot paths of the Dataset facade, compiled.

A dataset read from a file keeps its elements in the index until they are
asked for; this module creates the DataElement for an index entry (resolving
the VR as pydicom does), converts its value on first access, and materializes
a whole dataset in one C loop over the index.
"""
cimport cython
import copy as _copy
from sys import intern as _intern

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.dict cimport PyDict_Next
from cpython.long cimport PyLong_AsLongLong, PyLong_AsUnsignedLong
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_DECREF
cdef extern from "Python.h":
    # unlike PyDict_GetItem, no save and restore of the exception state per call
    PyObject* PyDict_GetItem "PyDict_GetItemWithError"(object d, object key) except? NULL
from cpython.object cimport PyObject_GenericGetAttr
from cpython.unicode cimport PyUnicode_Check, PyUnicode_GET_LENGTH, PyUnicode_READ_CHAR

from libc.stdint cimport int64_t
from libc.stdlib cimport free, realloc

cdef extern from *:
    """
    static inline Py_ssize_t dcmfast_refcnt(PyObject* o) { return Py_REFCNT(o); }
    """
    Py_ssize_t dcmfast_refcnt(PyObject* o) noexcept

cdef extern from "Python.h":
    dict _PyDict_NewPresized(Py_ssize_t minused)
    int PyObject_GC_IsTracked(object op)
    int PyObject_IS_GC(object op)
    void PyObject_GC_Track(PyObject* op)
    void PyObject_GC_UnTrack(PyObject* op)
import warnings

from dcmfast._core.parse cimport (
    F_ERROR, F_ITEM_IMPLICIT, F_MAYBE_SQ, F_SEQ, F_TRUNCATED, F_UNDEF, Entry, Index,
)
from dcmfast._core cimport values as _cvalues
from dcmfast._core.multivalue cimport MultiValueBase
from dcmfast._core._alloc cimport new_instance
from dcmfast._core.facing cimport facing_of
from dcmfast._core._vr cimport VR_SQ, VR_UN, vr_code
from dcmfast._core import values as _values

from dcmfast.charset import DEFAULT as _DEFAULT_ENCODINGS, convert_encodings
from dcmfast.datadict import (
    dictionary_description,
    dictionary_has_tag,
    dictionary_is_retired,
    dictionary_keyword,
    dictionary_VR,
    private_dictionary_description,
    private_dictionary_VR,
    repeater_has_tag,
)
from dcmfast.errors import InvalidDicomError, UnknownVRError
from dcmfast.sequence import Sequence
from dcmfast.tag import BaseTag, Tag, _tag_from_int
from dcmfast.valuerep import IS, UID, DSfloat, MultiValue, PersonName

BYTES_VR = frozenset(["OB", "OD", "OF", "OL", "OV", "OW", "UN"])
AMBIGUOUS_VR = frozenset(["US or SS or OW", "US or SS", "US or OW", "OB or OW"])
LONG_VALUE_VR = frozenset(["LT", "UC", "UT"]) | BYTES_VR | AMBIGUOUS_VR
ALLOW_BACKSLASH = frozenset(["LT", "ST", "UT", "US or SS or OW", "US or OW", "OB or OW"]) | BYTES_VR
DEFAULT_CHARSET_VR = frozenset(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "UR"])
_LUT_DESCRIPTOR_TAGS = frozenset([0x00281101, 0x00281102, 0x00281103, 0x00283002])
cdef object _UNSET = object()
cdef tuple _IMMUTABLE_VALUES = (str, bytes, int, float, PersonName, BaseTag)
cdef object _ITEM_TELL = object()  # a dataset's tell is its C field _item_tell


# A direct-mapped cache of BaseTag objects keyed by the 32-bit tag, so that the
# same tag is always the same object (dict lookups then match by identity) and
# creating one costs a few instructions. Each slot owns one reference.
cdef enum:
    TAG_CACHE_SIZE = 8192
cdef unsigned int _tag_keys[TAG_CACHE_SIZE]
cdef PyObject* _tag_objs[TAG_CACHE_SIZE]


cdef inline object _tag(unsigned int value):
    cdef unsigned int slot = ((value * 2654435761u) >> 19) & (TAG_CACHE_SIZE - 1)
    cdef PyObject* cached = _tag_objs[slot]
    if cached != NULL and _tag_keys[slot] == value:
        return <object>cached
    tag = _tag_from_int(value)
    Py_INCREF(tag)
    if cached != NULL:
        Py_DECREF(<object>cached)
    _tag_objs[slot] = <PyObject*>tag
    _tag_keys[slot] = value
    return tag


# the public dictionary's tables, taken from dcmfast.datadict on first use (loading
# them costs milliseconds that `import dcmfast` does not pay)
cdef dict _MAIN = None
cdef dict _KEYWORDS = None


cdef int _load_dictionary() except -1:
    global _MAIN, _KEYWORDS
    from dcmfast import datadict

    _MAIN = datadict.MAIN
    _KEYWORDS = datadict.KEYWORD_TO_TAG
    return 0


cdef object _dict_vr(unsigned int tag):
    if _MAIN is None:
        _load_dictionary()
    entry = _MAIN.get(tag)
    if entry is not None:
        return entry[0]
    if not (tag >> 16) & 1 and repeater_has_tag(tag):
        return dictionary_VR(tag)
    return None


@cython.freelist(1024)
cdef class DataElement:
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

    cdef public object tag
    cdef public object VR
    cdef Py_ssize_t _tell          # file_tell from the index (no int object until asked)
    cdef object _tell_set          # file_tell when set explicitly (_UNSET otherwise)
    cdef public bint is_undefined_length
    cdef object _private_creator
    cdef object _validation_mode
    cdef object _value
    cdef object _src
    cdef Py_ssize_t _entry
    cdef TreeState _state          # the tree of the file it was read from (or put in)
    cdef object __weakref__

    descripWidth = 35
    maxBytesToDisplay = 16
    showVR = True
    is_raw = False

    @property
    def __class__(self):
        # pydicom's DataElement too once pydicom is imported (see dcmfast._core.facing)
        return facing_of(self)

    def __init__(self, tag, VR, value, file_value_tell=None, bint is_undefined_length=False,
                 bint already_converted=False, validation_mode=None):
        if not isinstance(tag, BaseTag):
            tag = Tag(tag)
        self.tag = tag
        if VR == "UN" and not tag.is_private and (
                is_undefined_length or value is None or len(value) < 0xFFFF):
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
            self.value = value
        self.file_tell = file_value_tell
        self.is_undefined_length = is_undefined_length
        self.private_creator = None

    @property
    def value(self):
        """The value, converted (from the file's bytes) on first access; setting it converts as the
        constructor does."""
        if self._value is _UNSET:
            _set_value(self, element_value(self._src, self, self._entry))
        return self._value

    @value.setter
    def value(self, val):
        if self._state is not None and PyObject_IS_GC(val):
            self._state.touch()  # a container in a file's tree: see TreeState
        self._src = None
        if self.VR not in ALLOW_BACKSLASH:
            if isinstance(val, str) and "\\" in val:
                val = val.split("\\")
            elif isinstance(val, bytes) and b"\\" in val:
                val = val.split(b"\\")
        _set_value(self, self._convert_value(val))

    @property
    def private_creator(self):
        """The private creator of a private element (set by ``Dataset.private_block``)."""
        return self._private_creator

    @private_creator.setter
    def private_creator(self, value):
        self._private_creator = self._container_ok(value)

    @property
    def validation_mode(self):
        """The validation mode of values set on this element (None: the settings')."""
        return self._validation_mode

    @validation_mode.setter
    def validation_mode(self, value):
        self._validation_mode = self._container_ok(value)

    cdef object _container_ok(self, value):
        """`value` about to be held by this element: a container may make a cycle, so the
        element is tracked by the GC (and its file tree leaves its pristine state)."""
        if PyObject_IS_GC(value):
            if self._state is not None:
                self._state.touch()
            _track(self)
        return value

    @property
    def file_tell(self):
        """The byte offset of the value in the file it was read from (None for an element made in code)."""
        if self._tell_set is _UNSET:
            return self._tell
        return self._tell_set

    @file_tell.setter
    def file_tell(self, value):
        self._tell_set = value

    @property
    def _source(self):
        """The View this element's value is read from (None once converted or set)."""
        return self._src

    def _convert_value(self, val):
        if self.VR == "SQ":
            return val if isinstance(val, Sequence) else Sequence(val)
        if not hasattr(val, "append"):
            return self._convert(val)
        if len(val) == 1:
            return self._convert(val[0])
        return MultiValue(self._convert, val)

    def _convert(self, val):
        vr = self.VR
        if vr in DEFAULT_CHARSET_VR and isinstance(val, bytes):
            val = val.decode()
        mode = self._validation_mode
        if mode is None:
            mode = _reading_mode()
        if mode and val is not None and type(val) not in _CHECKED_TYPES and not _surely_valid(vr, val, mode):
            _validate_assigned(vr, val, mode)
        if vr == "IS":
            return IS(val, mode)
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
    def VM(self):
        """The Value Multiplicity: the number of values (0 when empty, 1 for a sequence)."""
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
    def is_empty(self):
        """True when the element has no value (a sequence: no items)."""
        if self.VR == "SQ":
            return not bool(self.value)
        return self.VM == 0

    @property
    def empty_value(self):
        """The value an empty element of this VR has (pydicom's: ``''``, None or an empty Sequence)."""
        return _values.empty_value(self.VR)

    def clear(self):
        """Empty the value (set it to :attr:`empty_value`)."""
        self._src = None
        _set_value(self, self.empty_value)

    @property
    def is_buffered(self):
        """Always False: dcmfast has no buffered (file-like) values."""
        return False

    @property
    def is_private(self):
        """True for a private element (odd group)."""
        return self.tag.is_private

    @property
    def is_retired(self):
        """True when the data dictionary marks the (public) tag retired."""
        if dictionary_has_tag(self.tag):
            return dictionary_is_retired(self.tag)
        return False

    @property
    def keyword(self):
        """The dictionary keyword of the tag (``PatientName``), or ``''`` for a private or unknown tag."""
        if dictionary_has_tag(self.tag):
            return dictionary_keyword(self.tag)
        return ""

    @property
    def name(self):
        """The dictionary name of the tag; ``[description]`` for a known private tag, else ``Private tag
        data`` or ``Private Creator``."""
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

    def description(self):
        """The same as :attr:`name` (pydicom's older method)."""
        return self.name

    # -- DICOM JSON (pydicom's DataElement methods; the work is in dcmfast.jsonrep) --
    def to_json_dict(self, bulk_data_element_handler, bulk_data_threshold):
        """The element as a DICOM JSON model dict (pydicom's ``to_json_dict``).

        Parameters
        ----------
        bulk_data_element_handler : callable or None
            Called with the element for binary values longer than
            `bulk_data_threshold`; returns the ``BulkDataURI`` (else ``InlineBinary``).
        bulk_data_threshold : int
            The length above which `bulk_data_element_handler` is used.

        Returns
        -------
        dict
            ``{"vr": ..., "Value" | "InlineBinary" | "BulkDataURI": ...}`` as pydicom's.
        """
        from dcmfast.jsonrep import element_to_json_dict
        return element_to_json_dict(self, bulk_data_element_handler, bulk_data_threshold)

    def to_json(self, bulk_data_threshold=1024, bulk_data_element_handler=None,
                dump_handler=None):
        """The element as DICOM JSON text (pydicom's ``to_json``).

        Parameters
        ----------
        bulk_data_threshold : int
            The length above which `bulk_data_element_handler` is used.
        bulk_data_element_handler : callable, optional
            Called with the element for long binary values; returns the ``BulkDataURI``.
        dump_handler : callable, optional
            Turns the dict into text (default: ``json.dumps(d, sort_keys=True)``).

        Returns
        -------
        str
            What `dump_handler` returns.
        """
        d = self.to_json_dict(bulk_data_element_handler, bulk_data_threshold)
        if dump_handler is None:
            import json
            return json.dumps(d, sort_keys=True)
        return dump_handler(d)

    @classmethod
    def from_json(cls, dataset_class, tag, vr, value, value_key, bulk_data_uri_handler=None):
        """An element from one DICOM JSON model attribute (pydicom's ``from_json``).

        Parameters
        ----------
        dataset_class : type
            The class of the datasets made for sequence items.
        tag : str
            The tag as 8 hexadecimal digits.
        vr : str
            The attribute's VR.
        value : object
            The value under `value_key`.
        value_key : str or None
            ``"Value"``, ``"InlineBinary"``, ``"BulkDataURI"`` or None (empty).
        bulk_data_uri_handler : callable, optional
            Called with the URI (or tag, VR and URI) of a ``BulkDataURI``; returns the
            bytes.

        Returns
        -------
        DataElement
        """
        from dcmfast.jsonrep import element_from_json
        return element_from_json(dataset_class, tag, vr, value, value_key, bulk_data_uri_handler)

    @property
    def repval(self):
        """The value as ``str(elem)`` and printing a Dataset show it (long values shortened)."""
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

    def __str__(self):
        value = self.repval or ""
        name = f"{self.name[:self.descripWidth]:<{self.descripWidth}}"
        if self.showVR:
            return f"{self.tag} {name} {self.VR}: {value}"
        return f"{self.tag} {name} {value}"

    def __repr__(self):
        return self.__str__()

    def __getitem__(self, key):
        try:
            return self.value[key]
        except TypeError:
            raise TypeError("DataElement value is unscriptable (not a Sequence)") from None

    def __eq__(self, other):
        if other is self:
            return True
        if isinstance(other, DataElement):
            if self.tag != other.tag or self.VR != other.VR:
                return False
            return bool(self.value == other.value)
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None

    def _materialize(self):
        """Convert the value now and drop the reference to the file index."""
        self.value
        self._src = None

    def __reduce__(self):
        self._materialize()
        return (_restore, (type(self), self.tag, self.VR, self._value, self.file_tell,
                           self.is_undefined_length, self.private_creator, self.validation_mode))

    def __copy__(self):
        self._materialize()
        return _restore(type(self), self.tag, self.VR, self._value, self.file_tell,
                        self.is_undefined_length, self.private_creator, self.validation_mode)

    def __deepcopy__(self, memo):
        self._materialize()
        new = _restore(type(self), self.tag, self.VR, None, self.file_tell,
                       self.is_undefined_length, self.private_creator, self.validation_mode)
        memo[id(self)] = new
        (<DataElement>new)._value = _copy.deepcopy(self._value, memo)
        return new


_CHECKED_TYPES = frozenset([IS, UID, DSfloat, PersonName, BaseTag])  # made valid already
_config = None


cdef object _reading_mode():
    global _config
    if _config is None:
        import dcmfast.config as _config
    return _config.reading_validation_mode()


cdef dict _TEXT_MAX = {"LO": 64, "SH": 16, "LT": 10240, "ST": 1024}
cdef dict _INT_RANGE = {
    "US": (0, 0xFFFF), "SS": (-0x8000, 0x7FFF), "UL": (0, 0xFFFFFFFF),
    "SL": (-0x80000000, 0x7FFFFFFF), "SV": (-0x8000000000000000, 0x7FFFFFFFFFFFFFFF),
    "UV": (0, 0xFFFFFFFFFFFFFFFF), "IS": (-0x80000000, 0x7FFFFFFF),
}


cdef bint _ascii_in(str text, Py_ssize_t limit, const char* allowed) noexcept:
    """`text` has at most `limit` characters, each one of `allowed`."""
    cdef Py_ssize_t k, n = PyUnicode_GET_LENGTH(text)
    cdef Py_UCS4 c
    cdef const char* a
    if n > limit:
        return False
    for k in range(n):
        c = PyUnicode_READ_CHAR(text, k)
        if c >= 128:
            return False
        a = allowed
        while a[0] != 0 and <Py_UCS4>a[0] != c:
            a += 1
        if a[0] == 0:
            return False
    return True


cdef bint _uid_form(str text) noexcept:
    """pydicom's UI rule: at most 64 characters, ``(0|[1-9][0-9]*)`` parts joined by dots."""
    cdef Py_ssize_t k, n = PyUnicode_GET_LENGTH(text), start = 0
    cdef Py_UCS4 c
    if n > 64:
        return False
    for k in range(n + 1):
        c = PyUnicode_READ_CHAR(text, k) if k < n else u"."
        if c == u".":
            if k == start or (k - start > 1 and PyUnicode_READ_CHAR(text, start) == u"0"):
                return False
            start = k + 1
        elif not (u"0" <= c <= u"9"):
            return False
    return True


cdef bint _surely_valid(object vr, object val, object mode) except -1:
    """True where pydicom's checks of an assigned value (``_validate_assigned``) certainly
    pass without a warning or an error, decided here without calling pydicom; False
    where they must run. (tests/json/test_json.py checks each True against pydicom.)"""
    cdef type t = type(val)
    if t is str:
        limit = _TEXT_MAX.get(vr)
        if limit is not None:
            return PyUnicode_GET_LENGTH(val) <= <Py_ssize_t>limit
        if vr == "CS":
            return _ascii_in(<str>val, 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _")
        if vr == "UI":
            return _uid_form(<str>val)
        if vr == "PN":
            return PyUnicode_GET_LENGTH(val) <= 64 and (<str>val).count("=") <= 2
        return vr == "UT" or vr == "UC"
    if t is int:
        bounds = _INT_RANGE.get(vr)
        if bounds is not None:
            return (<tuple>bounds)[0] <= val <= (<tuple>bounds)[1]
        if vr == "FL" or vr == "FD":
            return True
        return vr == "DS" and mode != 2
    if t is float:
        return vr == "FL" or vr == "FD" or (vr == "DS" and mode != 2)
    return False


def _converted_element(tag, str VR, value, validation_mode):
    """(For from_json) ``DataElement(tag, VR, value, validation_mode=validation_mode)``
    for a value already as that constructor makes it and checked by the caller: one
    converted value, or a list of them, which becomes the MultiValue the value setter
    makes (the element's converter as its constructor) without converting again. `tag`
    is a BaseTag; `VR` is not UN."""
    return _make_converted(tag, VR, value, validation_mode)


def _checked_element(tag, str VR, list items not None, validation_mode):
    """(For from_json) _converted_element of `items` (values of a number or text VR, as
    DataElement's conversion keeps them; DS: floats, made DSfloat here) if every one
    is a value ``_surely_valid`` accepts; else None (the caller takes the general path)."""
    cdef Py_ssize_t k, n = len(items)
    if n == 0:
        return None
    for k in range(n):
        if not _surely_valid(VR, items[k], validation_mode):
            return None
    if VR == "DS":
        for k in range(n):
            items[k] = DSfloat(items[k])
    return _make_converted(tag, VR, items[0] if n == 1 else items, validation_mode)


cdef object _make_converted(object tag, str VR, object value, object validation_mode):
    cdef DataElement elem = DataElement.__new__(DataElement)
    elem.tag = tag
    elem.VR = VR
    elem.validation_mode = validation_mode
    elem._src = None
    elem._entry = -1
    elem._tell_set = None
    elem.is_undefined_length = False
    elem.private_creator = None
    if type(value) is list:
        multi = new_instance(MultiValue)
        (<MultiValueBase>multi)._list = value
        (<MultiValueBase>multi)._constructor = elem._convert
        PyObject_GC_UnTrack(<PyObject*>value)  # numbers and strings only: no cycle through it
        value = multi
    _set_value(elem, value)
    return elem


def _assigned_value_surely_valid(vr, val, mode):
    """(For the tests) whether ``_surely_valid`` skips pydicom's checks of `val`."""
    return _surely_valid(vr, val, mode)


cdef object _validate_assigned(object vr, object val, object mode):
    """pydicom's checks of a value assigned to an element (``ds.Rows = "abc"`` warns),
    done by pydicom's own functions, so the warnings and errors are its own."""
    import pydicom.valuerep as pv

    if vr == "IS":
        pv.IS(val, mode)
    elif vr == "DS":
        pv.DS(val, False, mode)
    elif vr == "UI":
        from pydicom.uid import UID as PydicomUID

        PydicomUID(val, mode)
    elif vr == "PN":
        pv.PersonName(val, validation_mode=mode)
    elif vr != "AT" and vr != "SQ":
        pv.validate_value(vr, val, mode)


def _restore(cls, tag, VR, value, file_tell, bint undefined, private_creator, validation_mode):
    cdef DataElement elem = cls.__new__(cls)
    elem.tag = tag
    elem.VR = VR
    elem._value = value
    elem._src = None
    elem._entry = -1
    elem._tell_set = file_tell
    elem.is_undefined_length = undefined
    elem.private_creator = private_creator
    elem.validation_mode = validation_mode
    return elem


# -- the facade's hot paths ----------------------------------------------------------

# The VR names by their two letters: interned str objects, made on first use and
# kept for the life of the module (each slot owns one reference).
cdef PyObject* _VR_TABLE[26 * 26]


cdef inline str _vr_name(unsigned int code):
    cdef unsigned int a = (code >> 8) - 0x41, b = (code & 0xFF) - 0x41
    cdef PyObject* found
    if a < 26 and b < 26:
        found = _VR_TABLE[a * 26 + b]
        if found != NULL:
            return <str>found
        name = _intern(chr(code >> 8) + chr(code & 0xFF))
        Py_INCREF(name)
        _VR_TABLE[a * 26 + b] = <PyObject*>name
        return name
    return chr(code >> 8) + chr(code & 0xFF)


cdef object _dataset_class = None


cdef class View  # defined below


@cython.no_gc
@cython.final
cdef class TreeState:
    """What the objects made from one file's index share: whether they are pristine.

    The datasets, element dicts and sequences made from a file form a tree: a
    container in it refers only to what was read below it, so the tree alone holds
    no reference cycle and CPython's cyclic GC has nothing to find there. While the
    tree is pristine those containers are left untracked by the GC: its full
    collections then walk none of them (they cost as much as the whole tracked heap,
    and a 5,000-item sequence adds 35,000 objects to it), and they are freed by
    reference counting as before.

    Only a change can put a tree object on a cycle (an attribute, element or
    sequence item that refers to a container). Every such change calls touch()
    first (Dataset.__setattr__/__setitem__, DataElement.value, Sequence's
    mutators): the first one tracks every object of the tree made so far, and the
    tree is no longer pristine, so what is made later is tracked as usual. The
    views register here (borrowed pointers, removed in View.__dealloc__) so that
    touch() finds every dataset still alive, whichever part of the tree changed.
    """

    cdef bint pristine
    cdef PyObject** views
    cdef Py_ssize_t n
    cdef Py_ssize_t cap

    def __cinit__(self):
        self.pristine = True

    def __dealloc__(self):
        free(self.views)

    @property
    def is_pristine(self):
        return self.pristine

    cdef int add(self, View view) except -1:
        cdef Py_ssize_t cap
        cdef PyObject** grown
        if not self.pristine:
            return 0
        if self.n == self.cap:
            cap = self.cap * 2 if self.cap else 16
            grown = <PyObject**>realloc(self.views, cap * sizeof(PyObject*))
            if grown == NULL:  # no memory for the registry: give up being pristine
                self.touch()
                return 0
            self.views = grown
            self.cap = cap
        view._slot = self.n
        self.views[self.n] = <PyObject*>view
        self.n += 1
        return 0

    cdef void remove(self, View view) noexcept:
        cdef Py_ssize_t k = view._slot
        cdef View last
        if not self.pristine or k < 0 or k >= self.n or self.views[k] != <PyObject*>view:
            return
        self.n -= 1
        if k != self.n:
            last = <View>self.views[self.n]
            self.views[k] = <PyObject*>last
            last._slot = k
        view._slot = -1

    cpdef void touch(self, object sequence=None) except *:
        """The tree is about to change: track its objects by the cyclic GC from now on.

        `sequence`: a Sequence of the tree about to change; it and its list are
        tracked even when no dataset of the tree refers to it any more (the others
        are found through the datasets still alive).
        """
        cdef Py_ssize_t k
        cdef View view
        if sequence is not None:
            if isinstance(sequence, Sequence):
                _track(sequence._list)
            _track(sequence)
        if not self.pristine:
            return
        self.pristine = False
        try:
            # tracking runs no Python code: no view can come or go during the loop
            for k in range(self.n):
                view = <View>self.views[k]
                view._slot = -1
                if view._ds != NULL and dcmfast_refcnt(view._ds) > 0:  # not being freed
                    _track_dataset(<object>view._ds)
        finally:
            free(self.views)
            self.views = NULL
            self.n = self.cap = 0


cdef inline void _track(object obj) noexcept:
    if PyObject_IS_GC(obj) and not PyObject_GC_IsTracked(obj):
        PyObject_GC_Track(<PyObject*>obj)


cdef void _track_dataset(object ds) except *:
    """Track a dataset of a pristine tree, its element dict and the sequences in it."""
    cdef Py_ssize_t pos = 0
    cdef PyObject* key
    cdef PyObject* value
    cdef DataElement elem
    _track(ds)
    if (<DatasetBase>ds)._cached:
        _track_value((<DatasetBase>ds)._cvalue)
    elements = (<DatasetBase>ds)._elements
    if type(elements) is not dict:
        return
    _track(elements)
    while PyDict_Next(elements, &pos, &key, &value):
        if type(<object>value) is not DataElement:
            continue
        elem = <DataElement>value
        inner = elem._value
        if inner is not _UNSET and _track_value(inner):
            _track(elem)


cdef bint _track_value(object value) except -1:
    """Track a value held in a pristine tree (a Sequence and its list); whether it is."""
    if not PyObject_IS_GC(value):
        return False
    if type(value) is Sequence:
        _track(value._list)
    _track(value)
    return PyObject_GC_IsTracked(value)


def set_dataset_class(cls):
    """Install the Dataset class sequence items are made of (dcmfast.dataset does this)."""
    global _dataset_class
    _dataset_class = cls


cpdef object make_dataset(object cls, Index index, Py_ssize_t first, Py_ssize_t stop, bint implicit,
                          tuple parent_encoding, object parent_view, Py_ssize_t tell_base):
    """A lazy Dataset (of class `cls`) over entries [first, stop) of `index`.

    `parent_view` is the View of the dataset holding the sequence this one is an
    item of (None at the top): a strong reference to it makes no cycle.
    """
    ds = new_instance(cls)
    cdef View view = View.__new__(View)
    cdef TreeState state
    view._init(index, first, stop, tell_base, ds, parent_encoding)
    view.parent_view = parent_view
    if parent_view is None or (<View>parent_view).state is None:
        state = TreeState.__new__(TreeState)
    else:
        state = (<View>parent_view).state
    view.state = state
    state.add(view)
    if parent_view is not None and state.pristine:
        PyObject_GC_UnTrack(<PyObject*>ds)  # an item of a pristine tree: see TreeState
    # C fields rather than instance attributes: an item dataset then has no
    # per-instance attribute storage at all until Python code sets something
    cdef DatasetBase base = <DatasetBase>ds
    base._lview = view
    base._read_implicit = implicit
    base._read_little = index.little_endian
    return ds


cdef class View  # defined below


cdef class DatasetBase:
    """The C part of Dataset: attribute access by DICOM keyword.

    ``ds.PatientName`` goes straight to the element (created from the index on
    first use) instead of through a failed normal lookup and ``__getattr__``.
    Names that are not DICOM keywords are looked up normally.
    """

    cdef View _cview  # the View this dataset was made over; it points back here
    # The element dict (tag -> DataElement), kept here rather than in the instance
    # __dict__: then that __dict__ holds only atomic values (flags, file positions) and
    # the cyclic GC never tracks it -- one tracked object fewer per dataset and item.
    cdef object _elements
    # What every dataset read from a file has, as C fields behind properties (an
    # instance attribute costs an attribute-values array per dataset and a dict
    # insertion each): the view lookups go through (None once the dataset is
    # detached from its file: _dict is the truth then), the encoding it was read
    # with, and for sequence items their positions and undefined-length flag.
    cdef object _lview
    cdef public object _read_implicit
    cdef public object _read_little
    cdef object _seq_item_tell   # _UNSET: no such attribute
    cdef object _file_tell       # _UNSET: no such attribute
    cdef Py_ssize_t _item_tell   # the value of either one when it is _ITEM_TELL
    cdef bint _undefined_item
    # One value read by keyword with no DataElement made for it (yet): ds.Keyword on
    # a dataset read from a file converts the value straight from its index entry and
    # keeps it here. Anything that needs the element (ds[tag], _dict, a second keyword,
    # a change of view) first moves it into a DataElement in the element dict
    # (_flush), so the value object stays the same one. The element dict itself is
    # made on first need (_elements is None until then): an item dataset read only
    # by keyword has neither. Invariant: the cached tag is never in the dict.
    cdef bint _cached
    cdef unsigned int _gen  # counts changes to the dict or the cached value (see below)
    cdef unsigned int _ctag
    cdef Py_ssize_t _centry
    cdef object _cvalue

    def __cinit__(self):
        self._seq_item_tell = _UNSET
        self._file_tell = _UNSET

    @property
    def __class__(self):
        # pydicom's Dataset class too once pydicom is imported (see dcmfast._core.facing)
        return facing_of(self)

    @property
    def _view(self):
        return self._lview

    @_view.setter
    def _view(self, value):
        if value is not None and not isinstance(value, View):
            raise TypeError("_view must be a View or None")  # the C paths rely on it
        self._flush()  # the cached value is its view's
        self._lview = value
        self._gen += 1

    @property
    def is_undefined_length_sequence_item(self):
        """True for a sequence item read with an undefined length (written the same way)."""
        return self._undefined_item

    @is_undefined_length_sequence_item.setter
    def is_undefined_length_sequence_item(self, value):
        self._undefined_item = bool(value)

    cdef inline object _tell(self, object value):
        return self._item_tell if value is _ITEM_TELL else value

    @property
    def seq_item_tell(self):
        """The byte offset of a sequence item (its Item tag) in its file, as pydicom's; AttributeError when
        not read from a file."""
        if self._seq_item_tell is _UNSET:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'seq_item_tell'")
        return self._tell(self._seq_item_tell)

    @seq_item_tell.setter
    def seq_item_tell(self, value):
        self._seq_item_tell = value

    @seq_item_tell.deleter
    def seq_item_tell(self):
        if self._seq_item_tell is _UNSET:
            raise AttributeError("seq_item_tell")
        self._seq_item_tell = _UNSET

    @property
    def file_tell(self):
        """The same as seq_item_tell (pydicom sets both on the items it reads)."""
        if self._file_tell is _UNSET:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'file_tell'")
        return self._tell(self._file_tell)

    @file_tell.setter
    def file_tell(self, value):
        self._file_tell = value

    @file_tell.deleter
    def file_tell(self):
        if self._file_tell is _UNSET:
            raise AttributeError("file_tell")
        self._file_tell = _UNSET

    def _c_attributes(self):
        """The attributes kept in C fields that copies and pickles carry (those set)."""
        out = {"_read_implicit": self._read_implicit, "_read_little": self._read_little}
        if self._undefined_item:
            out["is_undefined_length_sequence_item"] = True
        if self._seq_item_tell is not _UNSET:
            out["seq_item_tell"] = self._tell(self._seq_item_tell)
        if self._file_tell is not _UNSET:
            out["file_tell"] = self._tell(self._file_tell)
        return out

    @property
    def _edict(self):
        """The element dict as it is: the elements made so far (dcmfast's own code)."""
        self._flush()
        self._gen += 1  # whoever asks may change it
        return self._element_dict()

    @_edict.setter
    def _edict(self, value):
        self._cached = False  # a new set of elements: the cached value is not among them
        self._cvalue = None
        self._elements = value
        self._gen += 1

    @property
    def _dict(self):
        """Every element (pydicom's ``_dict``, which code outside dcmfast reads, pydicom's
        own functions included): a dataset read lazily is loaded whole first."""
        if self._lview is not None and not (<View>self._lview).loaded:
            self._load_all()
        self._flush()
        self._gen += 1
        return self._element_dict()

    @_dict.setter
    def _dict(self, value):
        self._cached = False
        self._cvalue = None
        self._elements = value
        self._gen += 1

    cdef inline dict _element_dict(self):
        if self._elements is None:
            self._elements = {}
        return <dict>self._elements

    cdef int _flush(self) except -1:
        """Move the value cached by keyword into a DataElement in the element dict."""
        if not self._cached:
            return 0
        value = self._cvalue
        self._cached = False
        self._cvalue = None
        self._gen += 1
        if self._lview is None:  # cannot happen (the _view setter flushes first)
            return 0
        cdef View view = <View>self._lview
        cdef dict elements = self._element_dict()
        elem = view._make(self._centry, elements)
        _set_value(<DataElement>elem, value)
        elements[_tag(self._ctag)] = elem
        if view.state is not None and view.state.pristine:
            PyObject_GC_UnTrack(<PyObject*>elements)  # see TreeState
        return 0

    cdef object _keyword_value(self, unsigned int tag, object name):
        """``ds.<keyword>``: the value of the element with `tag` (AttributeError if none)."""
        cdef PyObject* found
        cdef View view
        cdef Py_ssize_t i
        if self._cached and self._ctag == tag:
            return self._cvalue
        key = _tag(tag)
        if self._elements is not None:
            found = PyDict_GetItem(<dict>self._elements, key)
            if found != NULL:
                return _value_of(<object>found)
            if self._lview is None:
                raise _no_attribute(self, name)
            # the dict is in use (something asked for elements): read as they are
            self._gen += 1
            elem = (<View>self._lview)._add(tag, key, <dict>self._elements)
            if elem is None:
                raise _no_attribute(self, name)
            return _value_of(elem)
        if self._lview is None:
            raise _no_attribute(self, name)
        view = <View>self._lview
        if view.loaded:
            raise _no_attribute(self, name)
        i = view.index.find(view.first, view.stop, tag)
        if i < 0:
            raise _no_attribute(self, name)
        vr = view._simple_vr(i)
        if vr is not None:
            gen = self._gen
            value = view._value_at(i, vr)
            # converting can run code (a charset lookup) that reads this dataset: if
            # that changed what the dataset holds for the tag, that wins
            if self._gen != gen:
                if self._cached and self._ctag == tag:
                    return self._cvalue
                if self._lview is not view or view.loaded or (
                        self._elements is not None and PyDict_GetItem(<dict>self._elements, key) != NULL):
                    vr = None
            if vr is not None:
                self._flush()
                self._ctag = tag
                self._centry = i
                self._cvalue = value
                self._cached = True
                self._gen += 1
                return value
        self._flush()
        self._gen += 1
        if self._lview is None:
            elem = self._element_dict().get(key)
        else:
            elem = (<View>self._lview).lookup(tag, self._element_dict())
        if elem is None:
            raise _no_attribute(self, name)
        return _value_of(elem)

    # No __del__ (a finalizer costs every dataset's deallocation a call): the view's
    # borrowed pointer is cleared here, and until then (while a Python subclass tears
    # down its __dict__ and weak references, which can run code) a dataset with no
    # references left is not handed out (View._dataset and TreeState.touch check).
    def __dealloc__(self):
        self._release_view()

    cdef inline void _release_view(self) noexcept:
        if self._cview is not None and self._cview._ds == <PyObject*>self:
            self._cview._ds = NULL

    cdef inline TreeState _pristine_state(self):
        if self._cview is not None and self._cview.state is not None and self._cview.state.pristine:
            return self._cview.state
        return None

    def _touch(self, value):
        """Called before `value` is put in this dataset (an attribute): a container
        ends the pristine state of a tree read from a file (see TreeState)."""
        cdef TreeState state
        if PyObject_IS_GC(value):
            state = self._pristine_state()
            if state is not None:
                state.touch()

    def _adopt(self, elem):
        """Called before the element `elem` is put in this dataset's element dict.

        An element with no container for a value joins the tree (a later container
        value then touches it); anything else ends its pristine state.
        """
        cdef TreeState state = self._pristine_state()
        cdef DataElement e
        if state is None:
            return
        if type(elem) is DataElement:
            e = <DataElement>elem
            if e._state is state:
                return
            if e._state is None and e._value is not _UNSET and not PyObject_IS_GC(e._value):
                e._state = state
                return
        state.touch()

    def __getattribute__(self, name):
        cdef PyObject* found
        if (PyUnicode_Check(name) and PyUnicode_GET_LENGTH(name) > 0
                and 0x41 <= PyUnicode_READ_CHAR(name, 0) <= 0x5A):
            if _KEYWORDS is None:
                _load_dictionary()
            found = PyDict_GetItem(_KEYWORDS, name)
            if found != NULL:
                return self._keyword_value(<unsigned int>PyLong_AsUnsignedLong(<object>found), name)
        return PyObject_GenericGetAttr(self, name)

    def __getitem__(self, key):
        """``ds[tag]``: the element; an int or BaseTag key is looked up here, anything
        else (a keyword, a (group, element) pair, a slice) by ``Dataset._getitem``."""
        cdef long long value
        if type(key) is int or type(key) is BaseTag:
            # as a C integer: comparing a BaseTag in Python runs its Python methods
            value = PyLong_AsLongLong(key)  # an int too large for it raises OverflowError
            if 0 <= value <= 0xFFFFFFFF:
                if self._cached and self._ctag == <unsigned int>value:
                    self._flush()
                self._gen += 1
                if self._lview is not None:
                    elem = (<View>self._lview).lookup(<unsigned int>value, self._element_dict())
                else:
                    elem = self._element_dict().get(key)
                if elem is not None:
                    return elem
                raise KeyError(_tag(<unsigned int>value))
        return self._getitem(key)


cdef object _no_attribute(object ds, object name):
    return AttributeError(f"'{type(ds).__name__}' object has no attribute '{name}'")


cdef inline object _value_of(object elem):
    if type(elem) is DataElement:
        return _get_value(<DataElement>elem)
    return elem.value


cdef bint _has_direct(Index index, Py_ssize_t i, Py_ssize_t stop, unsigned int tag):
    """Whether an entry with `tag` is directly in [i, stop) (children are in tag order,
    so the scan stops at the first larger tag unless the order is broken)."""
    if stop > index.n:
        stop = index.n
    while 0 <= i < stop:
        if index.entries[i].tag == tag:
            return True
        i = index.entries[i].end
    return False


# A free list of views (at most 4096 x ~180 bytes kept): besides sparing allocations,
# the views it keeps hold on to the interpreter's small-object arenas they sit in. A
# read that makes thousands of datasets otherwise empties those 1 MiB arenas when it
# is freed, the allocator hands them back to the system, and the next read maps them
# again: ~850 page faults (a third of the time) per 5,000-item per-frame read.
@cython.no_gc
@cython.freelist(4096)
cdef class View:
    """A dataset's window on the index: its entries and text encodings.

    The view refers to its dataset weakly, and the dataset's element dict is
    passed in by the dataset, so a dataset, its view and its elements form no
    reference cycle: a dataset is freed (and its file buffer released) as soon
    as the last reference to it goes. Since a view is never part of a cycle it
    is not tracked by the cyclic GC (one tracked object fewer per dataset).
    ``last_in_order`` (which refers to elements) is handed to the dataset and
    cleared right after ``load_all``.
    """

    cdef readonly Index index
    cdef readonly Py_ssize_t first
    cdef readonly Py_ssize_t stop
    cdef readonly Py_ssize_t tell_base
    cdef PyObject* _ds             # the dataset, borrowed: its __dealloc__ clears this
    cdef tuple _parent_enc          # None for an item: its parent view's charset, when needed
    cdef public object parent_view   # the View of the dataset this one is an item of
    cdef public object encodings
    cdef public bint loaded
    cdef public object sorted_tags
    cdef public object last_in_order  # load_all's elements in order (taken by the dataset)
    cdef dict _building            # load_all's new element dict while it runs
    cdef unsigned int _creator_tag  # ... and the last private creator it looked up
    cdef object _creator_elem
    cdef bint _in_charset          # charset() is running (guards against re-entrance)
    cdef bint _ascending           # ... and whether the tags so far ascend
    cdef TreeState state           # shared by the views of one tree (None for a bare View)
    cdef Py_ssize_t _slot          # this view's place in state's registry

    def __dealloc__(self):
        if self.state is not None:
            self.state.remove(self)

    def __init__(self, Index index, Py_ssize_t first, Py_ssize_t stop, Py_ssize_t tell_base,
                 object ds, tuple parent_encoding):
        self._init(index, first, stop, tell_base, ds, parent_encoding)

    cdef void _init(self, Index index, Py_ssize_t first, Py_ssize_t stop, Py_ssize_t tell_base,
                    object ds, tuple parent_encoding) except *:
        self.index = index
        self.first = first
        self.stop = stop if stop <= index.n else index.n
        self.tell_base = tell_base
        cdef View previous
        self._ds = NULL
        if isinstance(ds, DatasetBase):
            previous = (<DatasetBase>ds)._cview
            if previous is not None and previous._ds == <PyObject*>ds:
                previous._ds = NULL
            (<DatasetBase>ds)._cview = self
            self._ds = <PyObject*>ds
        self._parent_enc = parent_encoding
        self.parent_view = None
        self.encodings = None
        self.loaded = False
        self.sorted_tags = None
        self.last_in_order = None
        self._building = None
        self._slot = -1

    @property
    def parent_encoding(self):
        """The codecs of the dataset this one is an item of (the default at the top)."""
        return self._parent_codecs()

    cdef tuple _parent_codecs(self):
        if self._parent_enc is None:
            if self.parent_view is None:
                return _DEFAULT_ENCODINGS
            self._parent_enc = (<View>self.parent_view).charset()
        return self._parent_enc

    @property
    def tree(self):
        """The TreeState shared by the datasets of this view's file tree (or None)."""
        return self.state

    @property
    def ds(self):
        """The dataset (None once it has been freed)."""
        return self._dataset()

    cdef inline object _dataset(self):
        if self._ds != NULL and dcmfast_refcnt(self._ds) > 0:
            return <object>self._ds
        return None  # gone, or being deallocated

    cpdef object lookup(self, unsigned int tag, dict elements):
        """The element with `tag` directly in this dataset, created if needed; or None."""
        key = _tag(tag)
        found = PyDict_GetItem(elements, key)
        if found != NULL:
            return <object>found
        return self._add(tag, key, elements)

    cdef object _add(self, unsigned int tag, object key, dict elements):
        """lookup() for a tag not in `elements`: its element made from the index, or None."""
        if self.loaded:
            return None
        cdef Py_ssize_t i = self.index.find(self.first, self.stop, tag)
        if i < 0:
            return None
        elem = self._make(i, elements)
        elements[key] = elem
        if self.state is not None and self.state.pristine:
            PyObject_GC_UnTrack(<PyObject*>elements)  # see TreeState
        return elem

    cpdef bint contains(self, unsigned int tag, dict elements):
        if _tag(tag) in elements:
            return True
        if self.loaded:
            return False
        return self.index.find(self.first, self.stop, tag) >= 0

    cpdef list tags(self, dict elements):
        """The tags of the elements (file order, duplicates once)."""
        if self.loaded:
            return list(elements)
        return list(dict.fromkeys(self.index.tags(self.first, self.stop)))

    cpdef dict load_all(self, dict cached):
        """Every element in file order (a new dict, which becomes the dataset's truth)."""
        if self.loaded:
            return cached
        cdef Index index = self.index
        cdef dict ordered
        cdef list in_order = []
        cdef Py_ssize_t i = self.first
        cdef Py_ssize_t stop = self.stop
        cdef DataElement elem
        cdef PyObject* found
        cdef unsigned int tag, last = 0
        cdef bint started = False
        cdef bint have_cached = len(cached) > 0
        cdef Py_ssize_t count = 0
        while 0 <= i < stop:
            count += 1
            i = index.entries[i].end
        i = self.first
        ordered = _PyDict_NewPresized(count)
        self._building = ordered
        self._ascending = True
        try:
            while 0 <= i < stop:
                tag = index.entries[i].tag
                if started and tag <= last:
                    self._ascending = False
                started = True
                last = tag
                key = _tag(tag)
                found = PyDict_GetItem(cached, key) if have_cached else NULL
                if found != NULL and (<DataElement>found)._src is self and (<DataElement>found)._entry == i:
                    elem = <DataElement>found
                elif found != NULL and (<DataElement>found)._src is not self:
                    # an element whose value was replaced (``ds[tag].value = ...``, which
                    # drops its view) or set in its place: the change is kept
                    elem = <DataElement>found
                else:
                    elem = self._make(i, cached)
                ordered[key] = elem
                if tag == self._creator_tag:  # a repeated creator tag replaces the cached one
                    self._creator_elem = None
                in_order.append(elem)
                i = index.entries[i].end
        finally:
            self._building = None
            self._creator_elem = None
        self.loaded = True
        if self.state is not None and self.state.pristine:
            PyObject_GC_UnTrack(<PyObject*>ordered)  # see TreeState
        if self._ascending:
            # held here only until the dataset takes it: elements refer to this
            # view, so the view must not keep them (no reference cycle)
            self.last_in_order = in_order
        return ordered

    cpdef tuple charset(self):
        """The Python codecs for text in this dataset (its own charset, else the parent's)."""
        if self._in_charset:
            # reading (0008,0005) itself needed the charset: use the parent's
            return self._parent_codecs()
        if self.encodings is None:
            self._in_charset = True
            try:
                self.encodings = self._compute_charset()
            finally:
                self._in_charset = False
        return <tuple>self.encodings

    cdef tuple _compute_charset(self):
        cdef Py_ssize_t i
        ds = self._dataset()
        if ds is not None:
            if (_has_direct(self.index, self.first, self.stop, 0x00080005)
                    or _tag(0x00080005) in ds._edict):
                return ds._character_set_tuple()
            return self._parent_codecs()
        i = self.index.find(self.first, self.stop, 0x00080005)
        value = _cvalues.convert(self.index, i, "CS", _DEFAULT_ENCODINGS) if i >= 0 else None
        return convert_encodings(value) if value else self._parent_codecs()

    cdef object _creator(self, unsigned int creator_tag, dict elements):
        """The element at creator_tag (a private creator, or group length), or None.

        While load_all runs over ascending tags, everything before the current
        element is in its new dict already: no index search is needed.
        """
        if self._building is not None:
            if creator_tag == self._creator_tag and self._creator_elem is not None:
                return self._creator_elem  # the block's elements follow one another
            found = PyDict_GetItem(self._building, _tag(creator_tag))
            if found != NULL:
                self._creator_tag = creator_tag
                self._creator_elem = <object>found
                return <object>found
            if self._ascending:
                return None
        return self.lookup(creator_tag, elements)

    cdef str _private_vr(self, unsigned int tag, dict elements):
        cdef unsigned int element = tag & 0xFFFF
        if 0x10 <= element < 0x100:
            return "LO"
        if element & 0xFF00:
            creator = self._creator(((tag >> 16) << 16) | (element >> 8), elements)
            if creator is not None:
                try:
                    return private_dictionary_VR(tag, _get_value(<DataElement>creator))
                except KeyError:
                    pass
        return "UN"

    cdef DataElement _make(self, Py_ssize_t i, dict elements):
        cdef Entry* e = &self.index.entries[i]
        cdef unsigned int tag = e.tag
        cdef unsigned int flags = e.flags
        cdef unsigned int creator_tag
        cdef DataElement elem
        cdef object vr
        btag = _tag(tag)
        if flags & F_SEQ and not flags & F_MAYBE_SQ:
            vr = "SQ"
        elif e.vr:
            vr = _vr_name(e.vr)
            if e.vr == VR_UN:
                if tag >> 16 & 1:
                    vr = self._private_vr(tag, elements)
                elif e.length < 0xFFFF or flags & F_UNDEF:
                    vr = _dict_vr(tag) or "UN"
        else:
            vr = _dict_vr(tag)
            if vr is None:
                if tag >> 16 & 1:
                    vr = self._private_vr(tag, elements)
                elif tag & 0xFFFF == 0:
                    vr = "UL"
                else:
                    warnings.warn(
                        f"VR lookup failed for the raw element with tag {btag} - setting VR to 'UN'",
                        stacklevel=4,
                    )
                    vr = "UN"
        elem = DataElement.__new__(DataElement)
        # An element read from the file refers to its tag, VR, view and (soon) its
        # value; only a value that is itself a GC-tracked container (a Sequence)
        # can put it on a reference cycle, so it is tracked only then (_set_value).
        PyObject_GC_UnTrack(<PyObject*>elem)
        elem.tag = btag
        elem.VR = vr
        elem._value = _UNSET
        elem._src = self
        elem._entry = i
        elem._state = self.state
        elem._tell = e.value_offset - self.tell_base
        elem._tell_set = _UNSET
        elem.is_undefined_length = (flags & F_UNDEF) != 0
        if tag >> 16 & 1 and not (flags & F_UNDEF and vr == "SQ"):
            # as pydicom (which sets it for every element but undefined-length
            # sequences): the element at (gggg,00bb) for block bb (for a private
            # creator itself that is the group length, if present)
            creator_tag = ((tag >> 16) << 16) | ((tag & 0xFF00) >> 8)
            if creator_tag != tag:
                creator = self._creator(creator_tag, elements)
                if creator is not None:
                    elem._private_creator = _get_value(<DataElement>creator)
        if len(<str>vr) != 2 and vr in AMBIGUOUS_VR:
            ds = self._dataset()
            if ds is not None:
                ds._correct_ambiguous(elem)
        return elem

    cdef object _simple_vr(self, Py_ssize_t i):
        """The VR of entry i where it needs nothing but the entry and the dictionary (no
        private creator, no ambiguous VR, no warning): what _make gives it; else None."""
        cdef Entry* e = &self.index.entries[i]
        cdef unsigned int flags = e.flags
        if e.tag >> 16 & 1:
            return None
        if flags & F_SEQ and not flags & F_MAYBE_SQ:
            return "SQ"
        if e.vr:
            if e.vr == VR_UN:
                return None
            return _vr_name(e.vr)
        vr = _dict_vr(e.tag)
        if vr is None or len(<str>vr) != 2:
            return None
        return vr

    cdef object value_of(self, DataElement elem):
        """Convert the value of `elem` from its index entry (called once per element)."""
        return self._value_at(elem._entry, elem.VR)

    cdef object _value_at(self, Py_ssize_t i, object vr):
        """Convert the value of entry i, read as `vr`."""
        cdef Index index = self.index
        cdef Entry* e = &index.entries[i]
        cdef unsigned int tag = e.tag
        cdef object encodings
        if vr_code(vr) == VR_SQ:
            if e.flags & F_ERROR:
                message, etag, offset = index.sequence_error(i)
                raise InvalidDicomError(f"Unable to read the sequence: {message}", tag=etag, offset=offset)
            if not e.flags & (F_SEQ | F_MAYBE_SQ):
                if e.length == 0:
                    return self._make_sequence(i, i + 1, (e.flags & F_UNDEF) != 0, e.value_offset)
                raise InvalidDicomError("Value is not a sequence", tag=tag, offset=e.offset)
            return self._make_sequence(i, e.end, (e.flags & F_UNDEF) != 0, e.value_offset)
        if e.length == 0:
            if e.flags & F_TRUNCATED:  # a length, but the data ended before its bytes
                return _cvalues.clipped_empty_value(vr)
            return _cvalues.empty_value(vr)
        if tag == 0x00080005:
            encodings = _DEFAULT_ENCODINGS
        elif self.encodings is not None:
            encodings = self.encodings
        else:
            encodings = self  # charset() is asked for only by text values
        try:
            value = _cvalues.convert(index, i, vr, encodings)
        except UnknownVRError as exc:
            raise UnknownVRError(f"{exc} in tag {_tag(tag)} [at byte offset {e.offset}]") from None
        if type(value) is list and tag in _LUT_DESCRIPTOR_TAGS and value:
            if isinstance(value[0], int) and value[0] < 0:
                value[0] += 65536
        return value

    cdef object _make_sequence(self, Py_ssize_t i, Py_ssize_t end, bint undefined,
                               Py_ssize_t value_offset):
        """The Sequence of entry i: one lazy item Dataset per item entry."""
        cdef Index index = self.index
        cdef Py_ssize_t base = self.tell_base
        # pydicom reads a defined-length sequence from a buffer of its own value, so
        # positions inside it are relative to the value's start; keep its file_tell
        cdef Py_ssize_t item_base = base if undefined else value_offset
        cdef Py_ssize_t j = i + 1
        cdef Entry* item_entry
        items = []
        if end > index.n:
            end = index.n
        while 0 <= j < end:
            item_entry = &index.entries[j]
            # the items' parent encoding is this dataset's charset, found when needed
            item = make_dataset(_dataset_class, index, j + 1, item_entry.end,
                                (item_entry.flags & F_ITEM_IMPLICIT) != 0, None, self, item_base)
            if item_entry.flags & F_UNDEF:
                (<DatasetBase>item)._undefined_item = True
            # both are the item's position: a C integer until asked for
            (<DatasetBase>item)._item_tell = item_entry.offset - base
            (<DatasetBase>item)._seq_item_tell = _ITEM_TELL
            (<DatasetBase>item)._file_tell = _ITEM_TELL
            items.append(item)
            j = item_entry.end
        if self.state is None:
            return _cvalues.new_sequence(items, undefined, None, False)
        return _cvalues.new_sequence(items, undefined, self.state, self.state.pristine)

    def value_view(self, DataElement elem):
        """A zero-copy view of `elem`'s value bytes if it was read through this view."""
        if elem._src is not self:
            return None
        return self.index.value_view(elem._entry)

    def entry(self, Py_ssize_t i):
        return self.index.entry(i)

    def raw_entry(self, DataElement elem):
        """For the writer: `elem`'s entry if it was made through this view and its value
        never replaced (its tag, VR and length kind as read) nor converted to a container
        (which may have been changed in place), so its original bytes are what pydicom
        writes for a raw element; else -1."""
        return self._raw_entry(elem)

    def raw_entries(self, dict elements not None, list tags not None, Py_ssize_t start=0):
        """For the writer: ``raw_entry(elements[tags[k]])`` for k from `start` on, in one
        call, as native int64 values in a bytes object (-1: not raw, or not a
        DataElement)."""
        cdef Py_ssize_t k, n = len(tags)
        cdef int64_t* p
        if start < 0:
            start = 0
        if start > n:
            start = n
        out = PyBytes_FromStringAndSize(NULL, (n - start) * 8)
        p = <int64_t*>PyBytes_AS_STRING(out)
        for k in range(start, n):
            elem = elements[tags[k]]
            if type(elem) is DataElement:
                p[k - start] = self._raw_entry(<DataElement>elem)
            else:
                p[k - start] = -1
        return out

    cdef Py_ssize_t _raw_entry(self, DataElement elem) except -2:
        cdef Entry* e
        if elem._src is not self:
            return -1
        value = elem._value
        if value is not _UNSET and value is not None and not isinstance(value, _IMMUTABLE_VALUES):
            return -1  # a container: it may have been changed in place

        e = &self.index.entries[elem._entry]
        if not isinstance(elem.tag, BaseTag) or <unsigned int>int(elem.tag) != e.tag:
            return -1
        if ((e.flags & F_UNDEF) != 0) != elem.is_undefined_length:
            return -1
        vr = self._simple_vr(elem._entry)
        if vr is not None and vr != elem.VR:
            return -1
        return elem._entry


cdef inline object _get_value(DataElement elem):
    if elem._value is _UNSET:
        _set_value(elem, (<View>elem._src).value_of(elem))
    return elem._value


cdef inline void _set_value(DataElement elem, object value):
    """elem._value = value, tracking elem by the cyclic GC if value is tracked."""
    elem._value = value
    if PyObject_GC_IsTracked(value) and not PyObject_GC_IsTracked(elem):
        PyObject_GC_Track(<PyObject*>elem)


cdef object element_value(object src, DataElement elem, Py_ssize_t i):
    return (<View>src).value_of(elem)
