# cython: language_level=3
"""Value converters: the bytes of one indexed element -> its Python value.

The semantics are pydicom 3's defaults (``pydicom.values``): numbers as int /
float (lists when there are several), strings split on backslash with the same
stripping rules, DS / IS / PN / UI as their value types, binary VRs as bytes.
Converters read straight from the file buffer; the only copy is the Python
object that is returned.
"""
from cpython.bytearray cimport PyByteArray_FromStringAndSize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize

from dcmfast._core._huge cimport HUGE_ADVICE_BYTES, dcmfast_advise_huge
from dcmfast._core._text cimport _is_space, _latin1
from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF


from cpython.object cimport PyTypeObject

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(PyObject* op)

cdef extern from "Python.h":
    PyTypeObject PyFloat_Type
    PyTypeObject PyLong_Type
    PyTypeObject PyUnicode_Type

cdef extern from *:
    """
    /* An instance of a Python subclass of int / float / str built by the base
       type's constructor, without running the subclass's Python __new__. */
    static PyObject* dcmfast_subtype_new(PyTypeObject* base, PyObject* type, PyObject* arg) {
        PyObject* args = PyTuple_Pack(1, arg);
        PyObject* result;
        if (args == NULL) return NULL;
        result = base->tp_new((PyTypeObject*)type, args, NULL);
        Py_DECREF(args);
        return result;
    }
    """
    object dcmfast_subtype_new(PyTypeObject* base, object type, object arg)

cdef extern from *:
    """
    #include "structmember.h"
    /* The offset of a __slots__ member, from its member descriptor (-1 if it is not one). */
    static Py_ssize_t dcmfast_slot_offset(PyObject* descr) {
        if (Py_TYPE(descr) != &PyMemberDescr_Type) return -1;
        return ((PyMemberDescrObject*)descr)->d_member->offset;
    }
    /* Set the (empty) slot at `off` of a new object. */
    static void dcmfast_set_slot(PyObject* obj, Py_ssize_t off, PyObject* v) {
        Py_INCREF(v);
        *(PyObject**)((char*)obj + off) = v;
    }
    """
    Py_ssize_t dcmfast_slot_offset(object descr) except? -2
    void dcmfast_set_slot(object obj, Py_ssize_t off, object v)
    double PyOS_string_to_double(const char* s, char** endptr, PyObject* overflow_exception) except? -1.0
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int16_t, int32_t, int64_t
from libc.string cimport memcpy, memchr

from dcmfast._core._decimal cimport exact_double
from dcmfast._core._bytes cimport load_u16, load_u32, load_u64
from dcmfast._core._vr cimport VR_LO, VR_LT, VR_PN, VR_SH, VR_SQ, VR_ST, vr_code
from dcmfast._core.parse cimport Index, Entry
from dcmfast._core.dsfloat cimport DSfloat, new_dsfloat, new_dsfloat_ascii
from dcmfast._core.multivalue cimport MultiValueBase
from dcmfast._core._alloc cimport new_instance

import warnings

from dcmfast.charset import decode_bytes, DEFAULT as _DEFAULT_ENCODINGS
from dcmfast.errors import BytesLengthException, UnknownVRError
from dcmfast.tag import _tag_from_int
from dcmfast.sequence import Sequence, _validate as _seq_validate
from dcmfast.valuerep import IS, MultiValue, PersonName, UID

cdef enum Kind:
    K_US = 1
    K_SS
    K_UL
    K_SL
    K_UV
    K_SV
    K_FL
    K_FD
    K_AT
    K_BYTES
    K_AE
    K_STRING   # AS CS DA DT TM
    K_UR
    K_UI
    K_DS
    K_IS
    K_TEXT     # SH LO UC: charset, multi-valued
    K_SINGLE   # LT ST UT: charset, one value
    K_PN
    K_SQ

cdef dict _KINDS = {
    "US": K_US, "SS": K_SS, "UL": K_UL, "SL": K_SL, "UV": K_UV, "SV": K_SV,
    "FL": K_FL, "FD": K_FD, "AT": K_AT,
    "OB": K_BYTES, "OD": K_BYTES, "OF": K_BYTES, "OL": K_BYTES, "OV": K_BYTES,
    "OW": K_BYTES, "UN": K_BYTES, "OB or OW": K_BYTES, "US or SS": K_BYTES,
    "US or OW": K_BYTES, "US or SS or OW": K_BYTES,
    "AE": K_AE, "AS": K_STRING, "CS": K_STRING, "DA": K_STRING, "DT": K_STRING,
    "TM": K_STRING, "UR": K_UR, "UI": K_UI, "DS": K_DS, "IS": K_IS,
    "SH": K_TEXT, "LO": K_TEXT, "UC": K_TEXT,
    "LT": K_SINGLE, "ST": K_SINGLE, "UT": K_SINGLE,
    "PN": K_PN, "SQ": K_SQ,
}

# _KINDS for the 2-character VRs, indexed by the VR's letters: no dict lookup
# and no string comparison on the hot path
cdef uint8_t _KIND_TABLE[26 * 26]


cdef inline Py_ssize_t _code_slot(unsigned int code) noexcept:
    """The _KIND_TABLE slot of a VR code, or -1 if it is not two capital letters."""
    cdef unsigned int a = (code >> 8) - 0x41, b = (code & 0xFF) - 0x41
    if a < 26 and b < 26:
        return a * 26 + b
    return -1


for _name, _kind in _KINDS.items():
    if len(_name) == 2:
        _KIND_TABLE[_code_slot(vr_code(_name))] = _kind


cdef inline int _kind_of(str vr):
    """The converter kind of a VR name, 0 if it is not one."""
    cdef Py_ssize_t slot = _code_slot(vr_code(vr))
    if slot >= 0:
        return _KIND_TABLE[slot]
    cdef PyObject* found = PyDict_GetItem(_KINDS, vr)
    return 0 if found == NULL else <int><object>found


# VRs whose empty value is "" (pydicom: STR_VR without DS and IS)
_EMPTY_STR = frozenset(["AE", "AS", "CS", "DA", "DT", "LO", "LT", "SH", "ST",
                        "TM", "UC", "UI", "UR", "UT"])
_TEXT_DELIMS = {0x0D, 0x0A, 0x09, 0x0C}


def new_buffer(Py_ssize_t size):
    """A bytearray of `size` bytes that are not zeroed first (the caller fills it)."""
    if size < 0:
        raise ValueError("negative size")
    return PyByteArray_FromStringAndSize(NULL, size)


cpdef object empty_value(str vr):
    """The value of an empty element of this VR (pydicom's empty_value_for_VR)."""
    cdef unsigned int code = vr_code(vr)
    if code == VR_SQ:
        return []
    if code == VR_PN:
        return PersonName._from_str("", None)
    if vr in _EMPTY_STR:
        return ""
    return None


cpdef object clipped_empty_value(str vr):
    """The value of an element whose bytes the end of the data cut to none (a non-zero
    length, no bytes left): pydicom converts the empty bytes its short read returns,
    which is not what it gives for a length of 0 (empty_value)."""
    cdef int kind = _kind_of(vr)
    if kind == 0:
        return empty_value(vr)
    if kind == K_BYTES:
        return b""
    if kind == K_AT:
        return wrap_multi(_tag_from_int, [])
    if kind <= K_FD or kind == K_DS or kind == K_IS:
        return ""
    if kind == K_UI:
        return UID("")
    return empty_value(vr)


def is_known_vr(str vr):
    return vr in _KINDS


cdef object _number(const uint8_t* p, int kind, bint little):
    cdef uint32_t raw32
    cdef uint64_t raw
    cdef float f32
    cdef double f64
    if kind == K_US:
        return load_u16(p, little)
    if kind == K_SS:
        return <int16_t>load_u16(p, little)
    if kind == K_UL:
        return load_u32(p, little)
    if kind == K_SL:
        return <int32_t>load_u32(p, little)
    if kind == K_UV:
        return load_u64(p, little)
    if kind == K_SV:
        return <int64_t>load_u64(p, little)
    if kind == K_FL:
        raw32 = load_u32(p, little)
        memcpy(&f32, &raw32, 4)
        return <double>f32
    raw = load_u64(p, little)
    memcpy(&f64, &raw, 8)
    return f64


cdef object _numbers(const uint8_t* p, Py_ssize_t length, int kind, bint little):
    cdef Py_ssize_t size, count, i
    if kind == K_US or kind == K_SS:
        size = 2
    elif kind == K_UL or kind == K_SL or kind == K_FL:
        size = 4
    else:
        size = 8
    if length % size:
        raise BytesLengthException(
            "Expected total bytes to be an even multiple of bytes per value. "
            f"Instead received a value with length {length} and {size} bytes per value.")
    count = length // size
    if count == 1:
        return _number(p, kind, little)
    out = PyList_New(count)
    for i in range(count):
        item = _number(p + i * size, kind, little)
        Py_INCREF(item)
        PyList_SET_ITEM(out, i, item)
    return out


cdef inline Py_ssize_t _rstrip_sp_nul(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    """Length without trailing spaces and NULs (pydicom's rstrip(" \x00"))."""
    while n > 0 and (p[n - 1] == 0x20 or p[n - 1] == 0):
        n -= 1
    return n


cdef inline bint _has_backslash(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    return memchr(p, 0x5C, n) != NULL


cdef object wrap_multi(object constructor, list items):
    """A MultiValue over `items` (already converted by `constructor`): MultiValue._wrap in C.

    The values a MultiValue holds are made by its constructor (numbers, strings,
    UIDs, tags, person names), never containers, so neither it nor its list can
    be part of a reference cycle: both are left out of the cyclic GC's tracking,
    which otherwise walks every one of them on each full collection.
    """
    cdef MultiValueBase obj = <MultiValueBase>new_instance(MultiValue)
    obj._list = items
    obj._constructor = constructor
    PyObject_GC_UnTrack(<PyObject*>items)
    PyObject_GC_UnTrack(<PyObject*>obj)
    return obj


cdef Py_ssize_t _SEQ_UNDEFINED = dcmfast_slot_offset(Sequence.__dict__["is_undefined_length"])
cdef Py_ssize_t _SEQ_ORIGIN = dcmfast_slot_offset(Sequence.__dict__["_origin"])


cdef object new_sequence(list items, bint undefined, object origin, bint untracked):
    """A Sequence over `items` (Datasets): Sequence._from_items in C.

    `origin`: the TreeState of the file tree it belongs to (its mutators touch it);
    `untracked`: leave it and its list out of the cyclic GC (a pristine tree).
    """
    cdef MultiValueBase obj
    if _SEQ_UNDEFINED < 0 or _SEQ_ORIGIN < 0:
        seq = Sequence._from_items(items, undefined)
        seq._origin = origin
        obj = seq
    else:
        obj = <MultiValueBase>new_instance(Sequence)
        obj._list = items
        obj._constructor = _seq_validate
        dcmfast_set_slot(obj, _SEQ_UNDEFINED, True if undefined else False)
        dcmfast_set_slot(obj, _SEQ_ORIGIN, origin)
    if untracked:
        PyObject_GC_UnTrack(<PyObject*>items)
        PyObject_GC_UnTrack(<PyObject*>obj)
    return obj


cdef object _new_ds(str stripped):
    """A DSfloat from a stripped, non-empty string (ValueError if not a number)."""
    cdef DSfloat obj = DSfloat.__new__(DSfloat, stripped)
    obj._text = stripped
    return obj


cdef object _new_ds_bytes(const uint8_t* p, Py_ssize_t n):
    """A DSfloat from n stripped, non-blank bytes: plain decimal numbers are parsed in C;
    anything else (underscores, nan/inf spellings, garbage) goes through float()."""
    cdef char buf[40]
    cdef char* end = NULL
    cdef Py_ssize_t i
    cdef double v = 0
    if exact_double(p, n, &v):  # ASCII digits, sign, point, exponent
        return new_dsfloat_ascii(v, <const char*>p, n)
    if n < 40:
        for i in range(n):
            c = p[i]
            if not (0x30 <= c <= 0x39 or c == 0x2B or c == 0x2D or c == 0x2E or c == 0x45 or c == 0x65):
                break
        else:
            memcpy(buf, p, n)
            buf[n] = 0
            try:
                v = PyOS_string_to_double(buf, &end, NULL)
            except ValueError:
                end = NULL
            if end == buf + n:
                return new_dsfloat(v, _latin1(p, n))
    return _new_ds(_latin1(p, n))


cdef object _new_is(str stripped, str item):
    try:
        obj = dcmfast_subtype_new(&PyLong_Type, IS, stripped)
    except ValueError:
        return IS(item)  # a float-looking IS: pydicom's own rules (ISfloat, warning)
    if len(stripped) > 15 and obj != float(stripped):
        # beyond 2**53 pydicom compares with float(value) and makes an ISfloat
        return IS(item)
    obj.original_string = stripped
    return obj


cdef inline Py_ssize_t _lstrip_space(const uint8_t* p, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    while start < end and _is_space(p[start]):
        start += 1
    return start


cdef inline Py_ssize_t _rstrip_space(const uint8_t* p, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    while end > start and _is_space(p[end - 1]):
        end -= 1
    return end


def _parse_exact_double(bytes text):
    """exact_double for the tests: the float, or None where it does not apply."""
    cdef double v = 0
    if exact_double(<const uint8_t*>(<char*>text), len(text), &v):
        return v
    return None


cdef object _number_item(const uint8_t* p, Py_ssize_t start, Py_ssize_t end, bint is_ds):
    """One DS / IS item: the raw str if blank, else the number keeping its stripped text."""
    cdef Py_ssize_t a = _lstrip_space(p, start, end)
    cdef Py_ssize_t b = _rstrip_space(p, a, end)
    if a == b:
        return _latin1(p + start, end - start)
    if is_ds:
        return _new_ds_bytes(p + a, b - a)
    _validate_regex_vr("IS", p + start, end - start, 12)
    return _new_is(_latin1(p + a, b - a), _latin1(p + start, end - start))


cdef object _numbers_text(const uint8_t* p, Py_ssize_t n, bint is_ds):
    """DS (is_ds) or IS value: pydicom's strip / rstrip(" \\x00") / split rules, in C."""
    cdef Py_ssize_t start = 0, end, i
    if is_ds:
        start = _lstrip_space(p, 0, n)
        n = _rstrip_space(p, start, n)
    while n > start and (p[n - 1] == 0x20 or p[n - 1] == 0):
        n -= 1
    if not _has_backslash(p + start, n - start):
        return _number_item(p, start, n, is_ds)
    items = []
    i = start
    while True:
        end = i
        while end < n and p[end] != 0x5C:
            end += 1
        items.append(_number_item(p, i, end, is_ds))
        if end >= n:
            break
        i = end + 1
    return wrap_multi(DSfloat if is_ds else IS, items)


cdef inline bint _latin_codec(tuple encodings):
    cdef str first = encodings[0]
    if first is _ISO8859:  # the default, shared by every dataset without a charset
        return True
    return first == "iso8859" or first == "latin_1"


cdef str _ISO8859 = _DEFAULT_ENCODINGS[0]


# -- pydicom's validation warnings on read (reading_validation_mode WARN) -----------

cdef int _report(str msg, int stacklevel) except -1:
    """A validation finding: warned, ignored or raised as the reading validation mode
    says (dcmfast.config, which is pydicom's setting once pydicom is imported)."""
    from dcmfast.config import reading_validation_mode

    mode = reading_validation_mode()
    if mode == 0:
        return 0
    if mode >= 2:
        from dcmfast.errors import InvalidValueError

        raise InvalidValueError(msg)
    warnings.warn(msg, UserWarning, stacklevel=stacklevel + 1)
    return 0


_SEE_TABLE = (" Please see <https://dicom.nema.org/medical/dicom/current/output/html/"
              "part05.html#table_6.2-1> for allowed values for each VR.")


cdef void _warn_length(str vr, Py_ssize_t n, Py_ssize_t maxlen) except *:
    if maxlen and n > maxlen:
        _report(f"The value length ({n}) exceeds the maximum length of {maxlen} allowed for VR {vr}.", 3)


cdef bint _valid_uid(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    """pydicom's UI regex: ^(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))*$"""
    cdef Py_ssize_t i = 0, start
    if n == 0:
        return True
    while True:
        start = i
        while i < n and 0x30 <= p[i] <= 0x39:
            i += 1
        if i == start or (p[start] == 0x30 and i - start > 1):
            return False
        if i == n:
            return True
        if p[i] != 0x2E:
            return False
        i += 1


cdef bint _valid_is(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    """pydicom's IS regex: ^ *[+\\-]?\\d+ *$"""
    cdef Py_ssize_t i = 0, digits
    while i < n and p[i] == 0x20:
        i += 1
    if i < n and (p[i] == 0x2B or p[i] == 0x2D):
        i += 1
    digits = i
    while i < n and 0x30 <= p[i] <= 0x39:
        i += 1
    if i == digits:
        return False
    while i < n and p[i] == 0x20:
        i += 1
    return i == n


cdef void _validate_regex_vr(str vr, const uint8_t* p, Py_ssize_t n, Py_ssize_t maxlen) except *:
    """UI / IS: pydicom's length and regex check of one item, warning as pydicom does."""
    cdef bint valid = _valid_uid(p, n) if vr == "UI" else _valid_is(p, n)
    msgs = []
    if n > maxlen:
        msgs.append(f"The value length ({n}) exceeds the maximum length of {maxlen} allowed for VR {vr}.")
    if not valid:
        msgs.append(f"Invalid value for VR {vr}: {_latin1(p, n)!r}.")
    if msgs:
        _report(" ".join(msgs) + _SEE_TABLE, 3)


cdef void _validate_pn(str text) except *:
    comps = text.split("=")
    if len(comps) > 3:
        _report(f"The number of PN components length ({len(comps)}) exceeds the maximum "
                "allowed number of 3.", 3)
        return
    for comp in comps:
        if len(<str>comp) > 64:
            _report(f"The PN component length ({len(<str>comp)}) exceeds the maximum allowed "
                    "length of 64.", 3)
            return


cdef Py_ssize_t _max_len(str vr):
    cdef unsigned int code = vr_code(vr)
    if code == VR_SH:
        return 16
    if code == VR_LO:
        return 64
    if code == VR_ST:
        return 1024
    if code == VR_LT:
        return 10240
    return 0


cdef object _decode(const uint8_t* p, Py_ssize_t length, tuple encodings):
    """Decode text as pydicom's decode_bytes; latin-1 without escapes is done here."""
    if _latin_codec(encodings) and memchr(p, 0x1B, length) == NULL:
        return _latin1(p, length)
    return decode_bytes(PyBytes_FromStringAndSize(<const char*>p, length), encodings, _TEXT_DELIMS)


cdef object _text(const uint8_t* p, Py_ssize_t length, tuple encodings, str vr):
    cdef Py_ssize_t maxlen = _max_len(vr)
    if _latin_codec(encodings) and not _has_backslash(p, length) and memchr(p, 0x1B, length) == NULL:
        _warn_length(vr, length, maxlen)
        return _latin1(p, _rstrip_sp_nul(p, length))
    values = (<str>_decode(p, length, encodings)).split("\\")
    for v in values:
        _warn_length(vr, len(<str>v), maxlen)
    if len(values) == 1:
        return (<str>values[0]).rstrip("\x00 ")
    return wrap_multi(str, [(<str>v).rstrip("\x00 ") for v in values])


_object_new = object.__new__


cdef object _new_pn(str text, tuple encodings):
    cdef list comps
    if len(text) > 64 or "=" in text:
        _validate_pn(text)
    pn = _object_new(PersonName)
    pn.encodings = encodings
    pn._original = None
    if "=" in text:
        comps = text.split("=")
        while comps and not comps[len(comps) - 1]:
            comps.pop()
        pn._components = tuple(comps)
    else:
        pn._components = (text,) if text else ()
    return pn


cdef object _pn(const uint8_t* p, Py_ssize_t length, tuple encodings):
    length = _rstrip_sp_nul(p, length)
    values = (<str>_decode(p, length, encodings)).split("\\")
    if len(values) == 1:
        return _new_pn(values[0], encodings)
    return wrap_multi(PersonName, [_new_pn(v, encodings) for v in values])


cdef object _ui(const uint8_t* p, Py_ssize_t length):
    cdef Py_ssize_t i, start
    length = _rstrip_sp_nul(p, length)
    if not _has_backslash(p, length):
        _validate_regex_vr("UI", p, length, 64)
        if length and not _is_space(p[0]) and not _is_space(p[length - 1]):
            return dcmfast_subtype_new(&PyUnicode_Type, UID, _latin1(p, length))
        return UID(_latin1(p, length))
    items = []
    start = 0
    for i in range(length + 1):
        if i == length or p[i] == 0x5C:
            _validate_regex_vr("UI", p + start, i - start, 64)
            items.append(UID(_latin1(p + start, i - start)))
            start = i + 1
    return wrap_multi(UID, items)


cdef object _string(const uint8_t* p, Py_ssize_t length):
    length = _rstrip_sp_nul(p, length)
    if not _has_backslash(p, length):
        return _latin1(p, length)
    return wrap_multi(str, _latin1(p, length).split("\\"))


cdef object _at(const uint8_t* p, Py_ssize_t length, bint little):
    cdef Py_ssize_t i
    if length == 4:
        return _tag_from_int((<uint32_t>load_u16(p, little) << 16) | load_u16(p + 2, little))
    if length % 4:
        warnings.warn(f"Expected length to be multiple of 4 for VR 'AT', got length {length}")
        length -= length % 4
    tags = [_tag_from_int((<uint32_t>load_u16(p + i, little) << 16) | load_u16(p + i + 2, little))
            for i in range(0, length, 4)]
    return wrap_multi(_tag_from_int, tags)


cdef inline tuple _resolve(object encodings):
    """The codecs: `encodings` itself, or asked of the source (an object with a charset()
    method, a View) the first time a value needs them: numbers, dates, UIDs and codes
    never do, so most values are converted without looking up the character set."""
    if type(encodings) is tuple:
        return <tuple>encodings
    return encodings.charset()


cdef object _bytes(const uint8_t* p, Py_ssize_t n):
    """bytes(p[:n]); a large value (pixel data) is copied into huge pages without the
    GIL (a 50 MB value: ~6 ms instead of ~25 ms of page faults)."""
    if n < HUGE_ADVICE_BYTES:
        return PyBytes_FromStringAndSize(<const char*>p, n)
    obj = PyBytes_FromStringAndSize(NULL, n)
    cdef char* out = PyBytes_AS_STRING(obj)
    with nogil:
        dcmfast_advise_huge(out, <size_t>n)
        memcpy(out, p, <size_t>n)
    return obj


cdef object _convert(int kind, const uint8_t* p, Py_ssize_t length, bint little, object encodings,
                     str vr):
    if kind == K_TEXT or kind == K_PN or kind == K_SINGLE:
        encodings = _resolve(encodings)
    if kind <= K_FD:
        return _numbers(p, length, kind, little)
    if kind == K_BYTES:
        return _bytes(p, length)
    if kind == K_STRING:
        return _string(p, length)
    if kind == K_TEXT:
        return _text(p, length, encodings, vr)
    if kind == K_DS:
        return _numbers_text(p, length, True)
    if kind == K_UI:
        return _ui(p, length)
    if kind == K_IS:
        return _numbers_text(p, length, False)
    if kind == K_PN:
        return _pn(p, length, encodings)
    if kind == K_SINGLE:
        if _latin_codec(encodings) and memchr(p, 0x1B, length) == NULL:
            _warn_length(vr, length, _max_len(vr))
            return _latin1(p, _rstrip_sp_nul(p, length))
        text = <str>_decode(p, length, encodings)
        _warn_length(vr, len(text), _max_len(vr))
        return text.rstrip("\x00 ")
    if kind == K_AE:
        items = [s.strip() for s in _latin1(p, length).split("\\")]
        return items[0] if len(items) == 1 else wrap_multi(str, items)
    if kind == K_UR:
        return _latin1(p, length).rstrip()
    if kind == K_AT:
        return _at(p, length, little)
    raise NotImplementedError("no converter")


# pydicom retries a value that fails to convert (ValueError) with these VRs
_RETRY = ("SH", "UL", "SL", "US", "SS", "FL", "FD", "OF", "OB", "UI", "DA", "TM",
          "PN", "IS", "DS", "LT", "UN", "AT", "OW", "DT", "UT")


def convert_bytes(str vr, const uint8_t[::1] data, bint little, tuple encodings=_DEFAULT_ENCODINGS):
    """Convert a value given as bytes (used for values outside an index)."""
    cdef Py_ssize_t n = data.shape[0]
    if n == 0:
        return empty_value(vr)
    return _convert_vr(vr, &data[0], n, little, encodings)


cdef object _convert_vr(str vr, const uint8_t* p, Py_ssize_t length, bint little, object encodings):
    cdef int kind = _kind_of(vr)
    if kind == 0 or kind == K_SQ:
        raise UnknownVRError(f"Unknown Value Representation '{vr}'")
    try:
        return _convert(kind, p, length, little, encodings, vr)
    except ValueError:
        from dcmfast.config import reading_validation_mode

        if reading_validation_mode() == 2:
            raise  # RAISE: no retry with other VRs (pydicom's convert_value)
        for other in _RETRY:
            if other == vr:
                continue
            try:
                return _convert(_KINDS[other], p, length, little, encodings, other)
            except Exception:
                pass
        return _bytes(p, length)


cpdef object convert(Index index, Py_ssize_t i, str vr, object encodings):
    """The Python value of entry `i` of `index`, read as `vr`. `encodings`: the codecs,
    or an object whose charset() method gives them when a value needs them."""
    if i < 0 or i >= index.n:
        raise IndexError(i)
    cdef Entry* e = &index.entries[i]
    if e.length == 0:
        return empty_value(vr)
    return _convert_vr(vr, &index.view[e.value_offset], e.length, index.little_endian, encodings)


def raw_bytes(Index index, Py_ssize_t i):
    """The value bytes of entry `i` (a copy)."""
    if i < 0 or i >= index.n:
        raise IndexError(i)
    cdef Entry* e = &index.entries[i]
    if e.length == 0:
        return b""
    return _bytes(&index.view[e.value_offset], e.length)
