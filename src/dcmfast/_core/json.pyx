# cython: language_level=3
"""DICOM JSON text (PS3.18 Annex F) written in one pass, as pydicom's ``to_json`` gives it.

The text is exactly ``json.dumps(ds.to_json_dict(), sort_keys=True)`` of pydicom: keys
in order, ``", "`` and ``": "`` separators, ASCII only (``\\uXXXX`` escapes), floats as
``repr`` gives them (``NaN``/``Infinity`` as the json module writes them).

A dataset read from a file whose element was never looked up is written from its index
entry: binary numbers, ``AT`` and bulk values straight from the buffer, text (and DS, IS,
PN) through the compiled value converter, without a DataElement; a sequence whose
element was never made, item by item from the index. Every element that exists as an
object (looked up, changed, added) is written from its value by pydicom's rules. What
only pydicom's own path can give (a value of a type JSON has no form for, a bulk data
element handler for an element never made inside an unread sequence ...) makes
:func:`dumps` return None or fall back element by element.
"""
from libc.math cimport isinf, isnan
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdio cimport snprintf
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, strlen

from cpython.bytes cimport (
    PyBytes_AS_STRING, PyBytes_Check, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE,
)
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_Check
from cpython.long cimport PyLong_Check
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_Check

from dcmfast._core._bytes cimport load_u16, load_u32, load_u64
from dcmfast._core._vr cimport (
    VR_AE, VR_AS, VR_AT, VR_CS, VR_DA, VR_DS, VR_DT, VR_FD, VR_FL, VR_IS, VR_LO, VR_LT,
    VR_OB, VR_OD, VR_OF, VR_OL, VR_OV, VR_OW, VR_PN, VR_SH, VR_SL, VR_SQ, VR_SS, VR_ST,
    VR_SV, VR_TM, VR_UC, VR_UI, VR_UL, VR_UN, VR_UR, VR_US, VR_UT, VR_UV, vr_code,
)
from dcmfast._core.parse cimport (
    F_BAD_ITEM, F_ENCAPS, F_ERROR, F_ITEM, F_MAYBE_SQ, F_SEQ, F_TRUNCATED, F_UNDEF, Entry, Index,
)
from dcmfast._core cimport values as _cvalues

import logging
import warnings
from binascii import a2b_base64 as _a2b_base64

from dcmfast._core.multivalue import MultiValueBase
from dcmfast._core.values import convert_bytes as _convert_bytes
from dcmfast.datadict import MAIN as _MAIN
from dcmfast.dataelem import DataElement
from dcmfast._core.element import _checked_element
from dcmfast.tag import _CACHE as _TAG_CACHE, Tag, _tag_from_int
from dcmfast.valuerep import PersonName

cdef extern from "Python.h":
    PyObject* PyDict_GetItem "PyDict_GetItemWithError"(object d, object key) except? NULL
    char* PyOS_double_to_string(double val, char format_code, int precision, int flags,
                                int* type) except NULL
    void PyMem_Free(void* p)
    int Py_DTSF_ADD_DOT_0
    long long PyLong_AsLongLongAndOverflow(object o, int* overflow) except? -1
    bint PyUnicode_IS_ASCII(object o)
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    uint32_t PyUnicode_READ(int kind, void* data, Py_ssize_t index)
    object PyUnicode_FromKindAndData(int kind, const void* buffer, Py_ssize_t size)
    int PyUnicode_1BYTE_KIND

logger = logging.getLogger("dcmfast")

cdef frozenset _LUT_DESCRIPTOR_TAGS = frozenset([0x00281101, 0x00281102, 0x00281103, 0x00283002])
cdef frozenset _INLINE_VR = frozenset(
    ["OB", "OD", "OF", "OL", "OV", "OW", "UN", "US or SS or OW", "US or OW", "OB or OW"])
cdef frozenset _INT_VR = frozenset(["IS", "SL", "SS", "SV", "UL", "US", "UV", "US or SS"])
cdef frozenset _FLOAT_VR = frozenset(["DS", "FD", "FL"])
cdef dict _VR_NAMES = {
    (ord(name[0]) << 8) | ord(name[1]): name
    for name in ("AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM",
                 "UC", "UI", "UR", "UT")
}
cdef const char* _HEX = b"0123456789abcdef"
cdef const char* _B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


cdef object _DATASET_SETITEM = None
cdef uint16_t _B64_PAIRS[4096]  # the two base64 characters of each 12-bit value
cdef bint _B64_PAIRS_READY = False


cdef const uint16_t* _b64_pairs() noexcept:
    global _B64_PAIRS_READY
    cdef int k
    cdef char two[2]
    if not _B64_PAIRS_READY:
        for k in range(4096):
            two[0] = _B64[k >> 6]
            two[1] = _B64[k & 0x3F]
            memcpy(&_B64_PAIRS[k], two, 2)
        _B64_PAIRS_READY = True
    return _B64_PAIRS


cdef int8_t _B64_VALUES[256]  # the 6-bit value of each base64 character, -1 for others
cdef bint _B64_VALUES_READY = False


cdef void _b64_values() noexcept:
    global _B64_VALUES_READY
    cdef int k
    for k in range(256):
        _B64_VALUES[k] = -1
    for k in range(64):
        _B64_VALUES[<uint8_t>_B64[k]] = k
    _B64_VALUES_READY = True


cdef object _b64decode(str text):
    """base64.b64decode(text) (non-alphabet characters skipped, as it does). Canonical
    text (ASCII, a multiple of 4 long, alphabet characters then at most two '=') is
    decoded here, 4 characters at a time; anything else by binascii, whose result and
    errors are pydicom's."""
    cdef Py_ssize_t n, pad = 0, k, out_n
    cdef const uint8_t* p
    cdef uint8_t* out
    cdef int8_t a, b, c, d
    cdef bint bad = False
    if not PyUnicode_IS_ASCII(text):
        return _a2b_base64(text)
    n = PyUnicode_GET_LENGTH(text)
    if n == 0 or n % 4:
        return _a2b_base64(text)
    p = <const uint8_t*>PyUnicode_DATA(text)
    if p[n - 1] == b'=':
        pad = 2 if p[n - 2] == b'=' else 1
    if not _B64_VALUES_READY:
        _b64_values()
    out_n = n // 4 * 3 - pad
    result = PyBytes_FromStringAndSize(NULL, out_n)
    out = <uint8_t*>PyBytes_AS_STRING(result)
    with nogil:
        k = 0
        while k + 4 <= n - (4 if pad else 0):
            a = _B64_VALUES[p[k]]
            b = _B64_VALUES[p[k + 1]]
            c = _B64_VALUES[p[k + 2]]
            d = _B64_VALUES[p[k + 3]]
            if (a | b | c | d) < 0:
                bad = True
                break
            out[0] = <uint8_t>((a << 2) | (b >> 4))
            out[1] = <uint8_t>(((b & 0xF) << 4) | (c >> 2))
            out[2] = <uint8_t>(((c & 0x3) << 6) | d)
            out += 3
            k += 4
        if not bad and pad:
            a = _B64_VALUES[p[k]]
            b = _B64_VALUES[p[k + 1]]
            c = _B64_VALUES[p[k + 2]] if pad == 1 else 0
            if (a | b | c) < 0:
                bad = True
            else:
                out[0] = <uint8_t>((a << 2) | (b >> 4))
                if pad == 1:
                    out[1] = <uint8_t>(((b & 0xF) << 4) | (c >> 2))
    if bad:
        return _a2b_base64(text)
    return result


class _Fallback(Exception):
    """A value the writer leaves to pydicom's dict-then-json.dumps path."""


cdef enum:
    NEEDS_ELEMENT = 1   # write_entry: this entry needs its DataElement


cdef inline Py_ssize_t _escape(char* out, uint32_t ch) noexcept:
    """json's escape of one character (below 0x10000) that is not printed as it is, into
    `out`; the number of bytes written."""
    cdef char letter = 0
    if ch == 0x22:
        letter = b'"'
    elif ch == 0x5C:
        letter = b'\\'
    elif ch == 0x0A:
        letter = b'n'
    elif ch == 0x0D:
        letter = b'r'
    elif ch == 0x09:
        letter = b't'
    elif ch == 0x08:
        letter = b'b'
    elif ch == 0x0C:
        letter = b'f'
    out[0] = b'\\'
    if letter:
        out[1] = letter
        return 2
    out[1] = b'u'
    out[2] = _HEX[(ch >> 12) & 0xF]
    out[3] = _HEX[(ch >> 8) & 0xF]
    out[4] = _HEX[(ch >> 4) & 0xF]
    out[5] = _HEX[ch & 0xF]
    return 6


cdef inline bint _json_safe(unsigned int c) noexcept nogil:
    """A byte json.dumps writes as it is inside a string (printable ASCII, not quote or backslash)."""
    return 0x20 <= c < 0x7F and c != 0x22 and c != 0x5C


cdef class _Writer:
    """A growing ASCII buffer and the options of one to_json call."""
    cdef char* buf
    cdef Py_ssize_t n
    cdef Py_ssize_t cap
    cdef object handler
    cdef int64_t limit          # bulk data above this many bytes goes to the handler
    cdef object ds_type         # dcmfast.Dataset

    def __dealloc__(self):
        free(self.buf)

    cdef int reserve(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t need = self.n + extra
        cdef Py_ssize_t cap = self.cap
        cdef char* grown
        if need <= cap:
            return 0
        if cap < 4096:
            cap = 4096
        while cap < need:
            cap *= 2
        grown = <char*>realloc(self.buf, cap)
        if grown == NULL:
            raise MemoryError()
        self.buf = grown
        self.cap = cap
        return 0

    cdef inline int put(self, const char* s, Py_ssize_t k) except -1:
        if self.n + k > self.cap:
            self.reserve(k)
        memcpy(self.buf + self.n, s, k)
        self.n += k
        return 0

    cdef inline int putc(self, char ch) except -1:
        if self.n + 1 > self.cap:
            self.reserve(1)
        self.buf[self.n] = ch
        self.n += 1
        return 0

    cdef int put_tag_key(self, uint32_t tag) except -1:
        """'"GGGGEEEE": ' (uppercase hex, as f"{tag:08X}")."""
        cdef int k
        cdef const char* upper = b"0123456789ABCDEF"
        self.reserve(12)
        self.buf[self.n] = b'"'
        for k in range(8):
            self.buf[self.n + 1 + k] = upper[(tag >> (28 - 4 * k)) & 0xF]
        memcpy(self.buf + self.n + 9, b'": ', 3)
        self.n += 12
        return 0

    cdef int put_vr_code(self, unsigned int code) except -1:
        """'"vr": "XX"}' for a two-letter VR code."""
        self.reserve(12)
        memcpy(self.buf + self.n, b'"vr": "', 7)
        self.buf[self.n + 7] = <char>(code >> 8)
        self.buf[self.n + 8] = <char>(code & 0xFF)
        memcpy(self.buf + self.n + 9, b'"}', 2)
        self.n += 11
        return 0

    cdef int put_vr(self, object vr) except -1:
        """'"vr": <vr>}' for a VR object (normally a str)."""
        cdef unsigned int code = vr_code(vr)
        if code and _json_safe(code >> 8) and _json_safe(code & 0xFF):
            return self.put_vr_code(code)
        # a damaged VR (control, non-ASCII, quote characters): escaped as json.dumps does
        self.put(b'"vr": ', 6)
        self.put_any(vr)
        return self.putc(b'}')

    cdef int put_str(self, object s) except -1:
        """A str as json.dumps(ensure_ascii=True) writes it."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(s), i
        cdef int kind
        cdef void* data
        cdef const uint8_t* a
        cdef uint32_t ch, hi, lo
        cdef char* out
        if PyUnicode_IS_ASCII(s):
            self.reserve(6 * n + 2)
            a = <const uint8_t*>PyUnicode_DATA(s)
            out = self.buf + self.n
            out[0] = b'"'
            out += 1
            for i in range(n):
                ch = a[i]
                if 0x20 <= ch < 0x7F and ch != 0x22 and ch != 0x5C:
                    out[0] = <char>ch
                    out += 1
                else:
                    out += _escape(out, ch)
            out[0] = b'"'
            self.n = out + 1 - self.buf
            return 0
        kind = PyUnicode_KIND(s)
        data = PyUnicode_DATA(s)
        self.reserve(12 * n + 2)
        out = self.buf + self.n
        out[0] = b'"'
        out += 1
        for i in range(n):
            ch = PyUnicode_READ(kind, data, i)
            if 0x20 <= ch < 0x7F and ch != 0x22 and ch != 0x5C:
                out[0] = <char>ch
                out += 1
            elif ch >= 0x10000:
                ch -= 0x10000
                hi = 0xD800 | ((ch >> 10) & 0x3FF)
                lo = 0xDC00 | (ch & 0x3FF)
                out += _escape(out, hi)
                out += _escape(out, lo)
            else:
                out += _escape(out, ch)
        out[0] = b'"'
        self.n = out + 1 - self.buf
        return 0

    cdef int put_double(self, double x) except -1:
        cdef char* text
        if isnan(x):
            return self.put(b"NaN", 3)
        if isinf(x):
            if x > 0:
                return self.put(b"Infinity", 8)
            return self.put(b"-Infinity", 9)
        text = PyOS_double_to_string(x, b'r', 0, Py_DTSF_ADD_DOT_0, NULL)
        try:
            self.put(text, strlen(text))
        finally:
            PyMem_Free(text)
        return 0

    cdef int put_i64(self, int64_t v) except -1:
        cdef char tmp[24]
        cdef int k = snprintf(tmp, 24, b"%lld", <long long>v)
        return self.put(tmp, k)

    cdef int put_u64(self, uint64_t v) except -1:
        cdef char tmp[24]
        cdef int k = snprintf(tmp, 24, b"%llu", <unsigned long long>v)
        return self.put(tmp, k)

    cdef int put_int(self, object v) except -1:
        """An int (or subclass) as int.__repr__ writes it."""
        cdef int overflow = 0
        cdef long long x = PyLong_AsLongLongAndOverflow(v, &overflow)
        if overflow:
            text = (<str>int.__repr__(v)).encode("ascii")
            return self.put(text, len(<bytes>text))
        return self.put_i64(x)

    cdef int put_any(self, object v) except -1:
        """A JSON scalar value: None, bool, int, float, str; anything else is left to
        json.dumps (raises _Fallback)."""
        if v is None:
            return self.put(b"null", 4)
        if v is True:
            return self.put(b"true", 4)
        if v is False:
            return self.put(b"false", 5)
        if PyUnicode_Check(v):
            return self.put_str(v)
        if PyLong_Check(v):
            return self.put_int(v)
        if PyFloat_Check(v):
            return self.put_double(PyFloat_AS_DOUBLE(v))
        raise _Fallback()

    cdef int put_base64(self, const uint8_t* p, Py_ssize_t n) except -1:
        cdef Py_ssize_t full = n // 3 * 3, i
        cdef char* out
        cdef uint32_t v
        self.reserve((n + 2) // 3 * 4 + 2)
        out = self.buf + self.n
        out[0] = b'"'
        out += 1
        cdef const uint16_t* pairs = _b64_pairs()
        i = 0
        while i < full:  # 12 bits -> 2 characters per lookup
            v = (<uint32_t>p[i] << 16) | (<uint32_t>p[i + 1] << 8) | p[i + 2]
            memcpy(out, &pairs[v >> 12], 2)
            memcpy(out + 2, &pairs[v & 0xFFF], 2)
            out += 4
            i += 3
        if n - full == 1:
            v = <uint32_t>p[i] << 16
            out[0] = _B64[v >> 18]
            out[1] = _B64[(v >> 12) & 0x3F]
            out[2] = b'='
            out[3] = b'='
            out += 4
        elif n - full == 2:
            v = (<uint32_t>p[i] << 16) | (<uint32_t>p[i + 1] << 8)
            out[0] = _B64[v >> 18]
            out[1] = _B64[(v >> 12) & 0x3F]
            out[2] = _B64[(v >> 6) & 0x3F]
            out[3] = b'='
            out += 4
        out[0] = b'"'
        self.n = out + 1 - self.buf
        return 0

    cdef object text(self):
        return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, self.buf, self.n)


# -- values (pydicom's DataElement.to_json_dict) ----------------------------------------

cdef Py_ssize_t _vm(object value) except -1:
    """pydicom's DataElement.VM of a value (SQ aside)."""
    if value is None:
        return 0
    if PyUnicode_Check(value) or PyBytes_Check(value):
        return 1 if len(value) else 0
    if PyLong_Check(value) or PyFloat_Check(value):
        return 1
    if isinstance(value, (list, MultiValueBase)):
        return len(value)
    if isinstance(value, PersonName):
        return 1 if value else 0
    try:
        iter(value)
    except TypeError:
        return 1
    return len(value)


cdef enum:
    K_OTHER = 0
    K_SQ = 1
    K_INLINE = 2
    K_PN = 3
    K_AT = 4
    K_INT = 5
    K_FLOAT = 6


cdef int _kind(object vr, unsigned int code) except -1:
    """How pydicom's to_json_dict writes a value of `vr` (code: its 2-letter code or 0)."""
    if code == VR_SQ:
        return K_SQ
    if code == VR_PN:
        return K_PN
    if code == VR_AT:
        return K_AT
    if (code == VR_US or code == VR_SS or code == VR_UL or code == VR_SL or code == VR_SV
            or code == VR_UV or code == VR_IS):
        return K_INT
    if code == VR_DS or code == VR_FD or code == VR_FL:
        return K_FLOAT
    if _binary(code) or code == VR_UN:
        return K_INLINE
    if code:
        return K_OTHER
    # not an exact 2-letter str: compare as pydicom does
    if vr == "SQ":
        return K_SQ
    if vr in _INLINE_VR:
        return K_INLINE
    if vr == "PN":
        return K_PN
    if vr == "AT":
        return K_AT
    if vr in _INT_VR:
        return K_INT
    if vr in _FLOAT_VR:
        return K_FLOAT
    return K_OTHER


cdef int write_value(_Writer w, object vr, object value, object elem) except -1:
    """The JSON object of an element with `vr` and `value` (`elem`: for the handler)."""
    cdef Py_ssize_t vm, k
    cdef bint first = True
    cdef int kind = _kind(vr, vr_code(vr))
    if kind == K_SQ:
        w.put(b'{"Value": [', 11)
        for item in value:
            if not first:
                w.put(b", ", 2)
            first = False
            if not isinstance(item, w.ds_type):
                raise _Fallback()
            write_dataset(w, item)
        w.put(b'], ', 3)
        return w.put_vr(vr)
    vm = _vm(value)
    if vm == 0:
        w.putc(b'{')
        return w.put_vr(vr)
    if kind == K_INLINE:
        if w.handler is not None and len(value) > w.limit:
            w.put(b'{"BulkDataURI": ', 16)
            w.put_any(w.handler(elem))
        else:
            if not PyBytes_CheckExact(value):
                raise _Fallback()
            w.put(b'{"InlineBinary": ', 17)
            w.put_base64(<const uint8_t*>PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value))
        w.put(b', ', 2)
        return w.put_vr(vr)
    values = value if vm > 1 else (value,)
    w.put(b'{"Value": [', 11)
    for v in values:
        if not first:
            w.put(b", ", 2)
        first = False
        if kind == K_PN:
            comps = v.components
            k = len(comps)
            if k == 0:  # (bounds are not checked in this module)
                raise IndexError("tuple index out of range")
            w.put(b'{"Alphabetic": ', 15)
            w.put_any(comps[0])
            if k > 1:
                w.put(b', "Ideographic": ', 17)
                w.put_any(comps[1])
            if k > 2:
                w.put(b', "Phonetic": ', 14)
                w.put_any(comps[2])
            w.putc(b'}')
        elif kind == K_AT:
            if PyLong_Check(v) and 0 <= v <= 0xFFFFFFFF:
                w.put_tag_key(<uint32_t>v)
                w.n -= 2  # '"GGGGEEEE": ' -> '"GGGGEEEE"'
            else:
                w.put_any(format(v, "08X"))
        elif kind == K_INT:
            if v is None:
                w.put(b"null", 4)
            elif PyLong_Check(v):  # int(v) of an int (IS included) is its value
                w.put_int(v)
            else:
                w.put_any(int(v))
        elif kind == K_FLOAT:
            if v is None:
                w.put(b"null", 4)
            elif PyFloat_Check(v):  # float(v) of a float (DSfloat included) is its value
                w.put_double(PyFloat_AS_DOUBLE(v))
            else:
                w.put_any(float(v))
        else:
            w.put_any(v)
    w.put(b'], ', 3)
    return w.put_vr(vr)


cdef int write_element(_Writer w, object elem) except -1:
    return write_value(w, elem.VR, elem.value, elem)


# -- entries never made into elements ---------------------------------------------------

cdef bint _ascending(Index index, Py_ssize_t i, Py_ssize_t stop) noexcept:
    """Whether the direct entries of [i, stop) have strictly ascending tags."""
    cdef uint32_t last = 0
    cdef bint started = False
    while 0 <= i < stop:
        if started and index.entries[i].tag <= last:
            return False
        started = True
        last = index.entries[i].tag
        i = index.entries[i].end
    return True


cdef bint _has_direct(Index index, Py_ssize_t i, Py_ssize_t stop, uint32_t tag) noexcept:
    while 0 <= i < stop:
        if index.entries[i].tag == tag:
            return True
        if index.entries[i].tag > tag:
            return False
        i = index.entries[i].end
    return False


cdef int write_numbers(_Writer w, const uint8_t* p, Py_ssize_t length, unsigned int code) except -1:
    cdef Py_ssize_t size, count, k
    cdef uint32_t bits32
    cdef uint64_t bits64
    cdef float f
    cdef double d
    if code == VR_US or code == VR_SS or code == VR_AT:
        size = 2 if code != VR_AT else 4
    elif code == VR_UL or code == VR_SL or code == VR_FL:
        size = 4
    else:
        size = 8
    count = length // size
    w.put(b'{"Value": [', 11)
    for k in range(count):
        if k:
            w.put(b", ", 2)
        if code == VR_US:
            w.put_i64(load_u16(p, True))
        elif code == VR_SS:
            w.put_i64(<int16_t>load_u16(p, True))
        elif code == VR_UL:
            w.put_i64(load_u32(p, True))
        elif code == VR_SL:
            w.put_i64(<int32_t>load_u32(p, True))
        elif code == VR_UV:
            w.put_u64(load_u64(p, True))
        elif code == VR_SV:
            w.put_i64(<int64_t>load_u64(p, True))
        elif code == VR_FL:
            bits32 = load_u32(p, True)
            memcpy(&f, &bits32, 4)
            w.put_double(<double>f)
        elif code == VR_FD:
            bits64 = load_u64(p, True)
            memcpy(&d, &bits64, 8)
            w.put_double(d)
        else:  # AT
            w.put_tag_key((<uint32_t>load_u16(p, True) << 16) | load_u16(p + 2, True))
            w.n -= 2
        p += size
    w.put(b'], ', 3)
    return w.put_vr_code(code)


cdef inline Py_ssize_t _number_size(unsigned int code) noexcept:
    if code == VR_US or code == VR_SS:
        return 2
    if code == VR_UL or code == VR_SL or code == VR_FL or code == VR_AT:
        return 4
    if code == VR_UV or code == VR_SV or code == VR_FD:
        return 8
    return 0


cdef inline bint _text_like(unsigned int code) noexcept:
    return (code == VR_AE or code == VR_AS or code == VR_CS or code == VR_DA or code == VR_DS
            or code == VR_DT or code == VR_IS or code == VR_LO or code == VR_LT or code == VR_PN
            or code == VR_SH or code == VR_ST or code == VR_TM or code == VR_UC or code == VR_UI
            or code == VR_UR or code == VR_UT)


cdef inline bint _binary(unsigned int code) noexcept:
    return (code == VR_OB or code == VR_OD or code == VR_OF or code == VR_OL or code == VR_OV
            or code == VR_OW)


cdef int write_entry(_Writer w, Index index, Py_ssize_t i, tuple encodings) except -1:
    """Entry i written from the index; NEEDS_ELEMENT (nothing written) where only its
    DataElement can say what pydicom gives."""
    cdef Entry* e = &index.entries[i]
    cdef uint32_t tag = e.tag
    cdef unsigned int flags = e.flags
    cdef unsigned int code
    cdef Py_ssize_t size
    cdef const uint8_t* p
    if not index.little_endian or (tag >> 16 & 1 and (e.vr == 0 or e.vr == VR_UN)):
        # a private element's VR may come from its creator and the private dictionary;
        # one with its VR in the file is read as any other (pydicom keeps that VR)
        return NEEDS_ELEMENT
    if flags & F_SEQ and not flags & F_MAYBE_SQ:
        if flags & (F_ERROR | F_TRUNCATED):
            return NEEDS_ELEMENT
        return write_sequence(w, index, i, encodings)
    if flags & (F_UNDEF | F_MAYBE_SQ | F_ERROR | F_TRUNCATED | F_ENCAPS | F_BAD_ITEM | F_ITEM):
        return NEEDS_ELEMENT
    if e.vr:
        code = e.vr
    else:
        entry = _MAIN.get(tag)
        if entry is None:
            return NEEDS_ELEMENT
        code = vr_code(entry[0])
    if code == 0 or code == VR_UN or code == VR_SQ:
        return NEEDS_ELEMENT
    if tag == 0x00080005 or tag in _LUT_DESCRIPTOR_TAGS:
        return NEEDS_ELEMENT
    if e.length == 0:
        w.putc(b'{')
        return w.put_vr_code(code)
    p = &index.view[e.value_offset]
    size = _number_size(code)
    if size:
        if e.length % size:
            return NEEDS_ELEMENT
        return write_numbers(w, p, e.length, code)
    if _binary(code):
        if w.handler is not None and e.length > w.limit:
            return NEEDS_ELEMENT
        w.put(b'{"InlineBinary": ', 17)
        w.put_base64(p, e.length)
        w.put(b', ', 2)
        return w.put_vr_code(code)
    if _text_like(code):
        vr = _VR_NAMES[code]
        return write_value(w, vr, _cvalues.convert(index, i, vr, encodings), None)
    return NEEDS_ELEMENT


cdef int write_range(_Writer w, Index index, Py_ssize_t i, Py_ssize_t stop, tuple encodings) except -1:
    """The entries [i, stop) of an item never made into a dataset, as a JSON object;
    NEEDS_ELEMENT where some entry needs its DataElement (the caller rewinds)."""
    cdef bint first = True
    w.putc(b'{')
    while 0 <= i < stop:
        if not first:
            w.put(b", ", 2)
        first = False
        w.put_tag_key(index.entries[i].tag)
        if write_entry(w, index, i, encodings) == NEEDS_ELEMENT:
            return NEEDS_ELEMENT
        i = index.entries[i].end
    return w.putc(b'}')


cdef int write_sequence(_Writer w, Index index, Py_ssize_t i, tuple encodings) except -1:
    cdef Entry* e = &index.entries[i]
    cdef Py_ssize_t j = i + 1, end = e.end
    cdef Entry* item
    cdef bint first = True
    if end > index.n:
        end = index.n
    w.put(b'{"Value": [', 11)
    while 0 <= j < end:
        item = &index.entries[j]
        if not item.flags & F_ITEM or item.flags & F_BAD_ITEM:
            return NEEDS_ELEMENT
        if (not _ascending(index, j + 1, item.end)
                or _has_direct(index, j + 1, item.end, 0x00080005)):
            return NEEDS_ELEMENT
        if not first:
            w.put(b", ", 2)
        first = False
        if write_range(w, index, j + 1, item.end, encodings) == NEEDS_ELEMENT:
            return NEEDS_ELEMENT
        j = item.end
    w.put(b'], ', 3)
    return w.put_vr_code(VR_SQ)


# -- datasets ---------------------------------------------------------------------------

cdef int write_dataset(_Writer w, object ds) except -1:
    cdef Index index
    cdef Py_ssize_t i, stop, mark
    cdef bint first = True
    cdef uint32_t tag
    cdef PyObject* found
    cdef dict elements
    view = ds._view
    if view is not None and not view.loaded:
        index = view.index
        i = view.first
        stop = view.stop
        if _ascending(index, i, stop):
            encodings = view.charset()  # may make the (0008,0005) element: before _dict
            elements = ds._edict
            w.putc(b'{')
            while 0 <= i < stop:
                if not first:
                    w.put(b", ", 2)
                first = False
                tag = index.entries[i].tag
                w.put_tag_key(tag)
                found = PyDict_GetItem(elements, tag) if elements else NULL
                if found != NULL:
                    _write_top(w, <object>found, tag)
                else:
                    mark = w.n
                    if write_entry(w, index, i, encodings) == NEEDS_ELEMENT:
                        w.n = mark
                        _write_top(w, ds[tag], tag)
                i = index.entries[i].end
            return w.putc(b'}')
        ds._load_all()
    elements = ds._edict
    w.putc(b'{')
    for key in sorted(elements):
        if not first:
            w.put(b", ", 2)
        first = False
        tag = key
        w.put_tag_key(tag)
        _write_top(w, elements[key], tag)
    return w.putc(b'}')


cdef int _write_top(_Writer w, object elem, uint32_t tag) except -1:
    try:
        return write_element(w, elem)
    except _Fallback:
        raise
    except Exception:
        logger.error(f"Error while processing tag {tag:08X}")
        raise


cdef object _dataset_type():
    global _DATASET_SETITEM, _DATASET
    if _DATASET is None:
        from dcmfast.dataset import Dataset
        _DATASET = Dataset
        _DATASET_SETITEM = Dataset.__setitem__
    return _DATASET


cdef object _DATASET = None


def dumps(ds, bulk_data_threshold, bulk_data_element_handler):
    """pydicom's ``json.dumps(ds.to_json_dict(...), sort_keys=True)`` for a dcmfast dataset,
    or None where a value has no JSON form of its own (the caller then asks json.dumps)."""
    cdef _Writer w = _Writer.__new__(_Writer)
    w.ds_type = _dataset_type()
    w.handler = bulk_data_element_handler
    w.limit = 0
    if bulk_data_element_handler is not None:
        limit = (bulk_data_threshold // 4) * 3
        if not isinstance(limit, int):
            return None
        w.limit = max(-1, min(limit, 1 << 62))
    try:
        write_dataset(w, ds)
    except _Fallback:
        return None
    return w.text()


# -- from JSON (pydicom's Dataset.from_json / DataElement.from_json) --------------------

cdef frozenset _NUMBER_VR = _INT_VR | _FLOAT_VR
cdef str _VALUE = "Value"
cdef str _INLINE = "InlineBinary"
cdef str _BULK = "BulkDataURI"


cdef object _warn(str msg):
    logger.warning(msg)
    warnings.warn(msg, UserWarning, stacklevel=4)


cdef object _pn_value(object tag, object value):
    cdef list comps
    if type(value) is not dict:
        _warn(f"Value of data element '{tag}' with VR Person Name (PN) is not formatted correctly")
        return value
    if "Phonetic" in value:
        comps = ["", "", ""]
    elif "Ideographic" in value:
        comps = ["", ""]
    else:
        comps = [""]
    if "Alphabetic" in value:
        comps[0] = value["Alphabetic"]
    if "Ideographic" in value:
        comps[1] = value["Ideographic"]
    if "Phonetic" in value:
        comps[2] = value["Phonetic"]
    return "=".join(comps)


cdef object _regular_value(object cls, object tag, object vr, object value, object handler):
    if vr == "SQ":
        item = cls()
        _add_elements(item, cls, {} if value is None else value, handler, tag)
        return item
    if value is None:
        return _cvalues.empty_value(vr)
    if vr == "PN":
        return _pn_value(tag, value)
    if vr == "AT":
        try:
            return int(value, 16)
        except ValueError:
            _warn(f"Invalid value '{value}' for AT element - ignoring it")
        return None
    return value


cdef object _element_value(object cls, object tag, object vr, object value, object value_key,
                           object handler):
    cdef list values
    cdef Py_ssize_t k, n
    if value_key is None:
        return _cvalues.empty_value(vr)
    if value_key == _VALUE:
        if not isinstance(value, list):
            raise TypeError(f"'{value_key}' of data element '{tag}' must be a list")
        n = len(<list>value)
        if n == 0:
            return _cvalues.empty_value(vr)
        if n == 1 and vr != "SQ":
            one = _regular_value(cls, tag, vr, (<list>value)[0], handler)
            if one is None:
                return None
            if vr in _NUMBER_VR:
                return int(one) if vr in _INT_VR else float(one)
            return one
        values = [_regular_value(cls, tag, vr, v, handler) for v in <list>value]
        if vr == "SQ" and _DATASET is not None and isinstance(cls, type) and issubclass(cls, _DATASET):
            # the items are `cls` datasets made here: the Sequence without its Python
            # constructor's per-item check (as the reader makes its sequences)
            return _cvalues.new_sequence(values, False, None, False)
        if n == 1 and vr != "SQ":
            one = values[0]
            if one is None:
                return None
            if vr in _NUMBER_VR:
                return int(one) if vr in _INT_VR else float(one)
            return one
        if vr in _NUMBER_VR:
            number = int if vr in _INT_VR else float
            for k in range(n):
                if values[k] is not None:
                    values[k] = number(values[k])
                else:
                    values[k] = _cvalues.empty_value(vr)
        return values
    if isinstance(value, list):
        if not value:  # (bounds are not checked in this module)
            raise IndexError("list index out of range")
        value = value[0]
    if value_key == _INLINE:
        if not isinstance(value, str):
            raise TypeError(
                f"Invalid attribute value for data element '{tag}' - the value for "
                f"'InlineBinary' must be str, not {type(value).__name__}"
            )
        return _b64decode(value)
    if value_key == _BULK:
        if not isinstance(value, str):
            raise TypeError(
                f"Invalid attribute value for data element '{tag}' - the value for "
                f"'BulkDataURI' must be str, not {type(value).__name__}"
            )
        if handler is None:
            _warn(f'No bulk data URI handler provided for retrieval of value of data element "{tag}"')
            return _cvalues.empty_value(vr)
        return handler(tag, vr, value)
    raise ValueError(f"Unknown attribute name '{value_key}' for tag {tag}")


cdef object _un_to_known(uint32_t tag, bytes value):
    """An UN value of a known public tag as implicit VR little endian gives it with the
    dictionary's VR (pydicom's replace_un_with_known_vr); else the bytes (also for a
    sequence or an ambiguous VR)."""
    if tag >> 16 & 1 or len(value) >= 0xFFFF:
        return value
    entry = _MAIN.get(tag)
    if entry is None:
        return value
    vr = entry[0]
    if vr == "SQ" or len(vr) != 2:
        return value
    if not value:
        return _cvalues.empty_value(vr)
    converted = _convert_bytes(vr, value, True)
    if type(converted) is list and converted and tag in _LUT_DESCRIPTOR_TAGS:
        if isinstance(converted[0], int) and converted[0] < 0:
            converted[0] += 65536
    return converted


cdef int64_t _hex8(object key) noexcept:
    """The value of an 8-digit hex str (either case), or -1."""
    cdef const uint8_t* p
    cdef int64_t v = 0
    cdef uint8_t c
    cdef int k
    if type(key) is not str or PyUnicode_GET_LENGTH(key) != 8 or not PyUnicode_IS_ASCII(key):
        return -1
    p = <const uint8_t*>PyUnicode_DATA(key)
    for k in range(8):
        c = p[k]
        if 0x30 <= c <= 0x39:
            v = (v << 4) | (c - 0x30)
        elif 0x41 <= c <= 0x46:
            v = (v << 4) | (c - 0x37)
        elif 0x61 <= c <= 0x66:
            v = (v << 4) | (c - 0x57)
        else:
            return -1
    return v


cdef object _cached_tag(uint32_t value):
    found = PyDict_GetItem(_TAG_CACHE, value)
    if found != NULL:
        return <object>found
    return _tag_from_int(value)


cdef object _tag_of(object key):
    """The BaseTag of a JSON key as pydicom's Tag() reads it."""
    cdef int64_t v = _hex8(key)
    if v >= 0:
        return _cached_tag(<uint32_t>v)
    return Tag(key)


# the reading validation mode during a load: asked once, not once per value, and kept
# in each element as pydicom's DataElement keeps it (None: ask per value)
cdef object _LOAD_MODE = None


# VRs whose JSON values become the element's values as they are (numbers after pydicom's
# int()/float(); DS: DSfloat of the float), where pydicom's checks can be decided here
cdef frozenset _PLAIN_VR = frozenset(["US", "SS", "UL", "SL", "SV", "UV", "FL", "FD", "DS", "LO", "SH",
                                      "LT", "ST", "CS", "UT", "UC"])


cdef object _plain_element(object tag, object vr, object value):
    """The element of a "Value" list of numbers or strings that pydicom's checks surely
    accept (made without the element's per-value conversion), or None for the general
    path (it makes the same element)."""
    cdef Py_ssize_t k, n
    cdef list items
    if _LOAD_MODE is None or type(value) is not list or vr not in _PLAIN_VR:
        return None
    n = len(<list>value)
    if n == 0:
        return None
    items = list(<list>value)
    for k in range(n):
        item = items[k]
        if item is None:
            return None
        if vr in _INT_VR:
            if type(item) is not int:
                return None
        elif vr in _FLOAT_VR:
            if type(item) is not float:
                if type(item) is not int:
                    return None
                item = float(item)
        elif type(item) is not str or (n == 1 and "\\" in <str>item):
            return None  # (a backslash in a single text value splits it: the general path)
        items[k] = item
    return _checked_element(_tag_of(tag), vr, items, _LOAD_MODE)


cdef object _element_from_json(object cls, object tag, object vr, object value, object value_key,
                               object handler):
    if value_key is _VALUE or value_key == _VALUE:
        elem = _plain_element(tag, vr, value)
        if elem is not None:
            return elem
    elem_value = _element_value(cls, tag, vr, value, value_key, handler)
    try:
        btag = _tag_of(tag)
        if vr == "UN" and type(elem_value) is bytes:
            elem_value = _un_to_known(btag, elem_value)
        if _LOAD_MODE is None:
            return DataElement(btag, vr, elem_value)
        return DataElement(btag, vr, elem_value, validation_mode=_LOAD_MODE)
    except Exception as exc:
        raise ValueError(f"Data element '{tag}' could not be loaded from JSON: {elem_value}") from exc


cdef int _add_elements(object ds, object cls, object mapping, object handler, object where) except -1:
    cdef dict elements = None
    cdef PyObject* found
    cdef uint32_t t
    if type(ds).__setitem__ is _DATASET_SETITEM and ds._view is None and not ds._edict:
        elements = ds._edict  # a new dataset: the elements go straight into its dict
    for key, val in mapping.items():
        if where is not None and "vr" not in val:
            raise KeyError(f"Data element '{where}' must have key 'vr'")
        vr = val["vr"]
        value_key = None
        if _VALUE in val:
            value_key = _VALUE
        elif _INLINE in val:
            value_key = _INLINE
        elif _BULK in val:
            value_key = _BULK
        if where is not None and value_key is None:
            elem = DataElement(int(key, 16), vr, _cvalues.empty_value(vr))
        else:
            elem = _element_from_json(cls, key, vr, val[value_key] if value_key is not None else [""],
                                      value_key, handler)
        if elements is None:
            ds.add(elem)
            continue
        btag = elem.tag
        t = btag
        if t >> 16 & 1:
            creator = _cached_tag((t & 0xFFFF0000) | ((t & 0xFF00) >> 8))
            if creator != btag:
                found = PyDict_GetItem(elements, creator)
                if found != NULL:
                    elem.private_creator = (<object>found).value
        if t == 0x7FE00008 or t == 0x7FE00009 or t == 0x7FE00010:
            object.__setattr__(ds, "_pixel_array", None)
        elements[btag] = elem
    return 0


import gc as _gc


def load(cls, mapping, bulk_data_uri_handler):
    """A `cls` dataset from a JSON model dict (the handler takes tag, vr and URI)."""
    global _LOAD_MODE
    from dcmfast.config import reading_validation_mode

    _dataset_type()
    ds = cls()
    previous = _LOAD_MODE
    _LOAD_MODE = reading_validation_mode()
    # the cyclic GC is paused while the elements are made: they are all new objects that
    # live on (as when the reader makes them), and its passes over them (and over every
    # older object, in a full collection) were a fifth of the time of a large dataset
    paused = _gc.isenabled()
    if paused:
        _gc.disable()
    try:
        _add_elements(ds, cls, mapping, bulk_data_uri_handler, None)
    finally:
        _LOAD_MODE = previous
        if paused:
            _gc.enable()
    return ds


def element_from_json(dataset_class, tag, vr, value, value_key, bulk_data_uri_handler):
    """pydicom's DataElement.from_json (the handler takes tag, vr and URI)."""
    return _element_from_json(dataset_class, tag, vr, value, value_key, bulk_data_uri_handler)
