# cython: language_level=3
"""Value converters: the bytes of one indexed element -> its Python value.

The semantics are pydicom 3's defaults (``pydicom.values``): numbers as int /
float (lists when there are several), strings split on backslash with the same
stripping rules, DS / IS / PN / UI as their value types, binary VRs as bytes.
Converters read straight from the file buffer; the only copy is the Python
object that is returned.
"""
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_DecodeLatin1
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int16_t, int32_t, int64_t
from libc.string cimport memcpy, memchr

from dcmfast._core._bytes cimport load_u16, load_u32, load_u64
from dcmfast._core.parse cimport Index, Entry

import warnings

from dcmfast.charset import decode_bytes, DEFAULT as _DEFAULT_ENCODINGS
from dcmfast.errors import BytesLengthException
from dcmfast.tag import _tag_from_int
from dcmfast.valuerep import DSfloat, IS, ISfloat, MultiValue, PersonName, UID

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

_KINDS = {
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

# VRs whose empty value is "" (pydicom: STR_VR without DS and IS)
_EMPTY_STR = frozenset(["AE", "AS", "CS", "DA", "DT", "LO", "LT", "SH", "ST",
                        "TM", "UC", "UI", "UR", "UT"])
_TEXT_DELIMS = {0x0D, 0x0A, 0x09, 0x0C}
_float_new = float.__new__


cpdef object empty_value(str vr):
    """The value of an empty element of this VR (pydicom's empty_value_for_VR)."""
    if vr == "SQ":
        return []
    if vr == "PN":
        return PersonName._from_str("", None)
    if vr in _EMPTY_STR:
        return ""
    return None


def is_known_vr(str vr):
    return vr in _KINDS


cdef object _numbers(const uint8_t* p, Py_ssize_t length, int kind, bint little):
    cdef Py_ssize_t size, count, i
    cdef uint64_t raw
    cdef uint32_t raw32
    cdef float f32
    cdef double f64
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
    out = [None] * count
    for i in range(count):
        if kind == K_US:
            out[i] = load_u16(p, little)
        elif kind == K_SS:
            out[i] = <int16_t>load_u16(p, little)
        elif kind == K_UL:
            out[i] = load_u32(p, little)
        elif kind == K_SL:
            out[i] = <int32_t>load_u32(p, little)
        elif kind == K_UV:
            out[i] = load_u64(p, little)
        elif kind == K_SV:
            out[i] = <int64_t>load_u64(p, little)
        elif kind == K_FL:
            raw32 = load_u32(p, little)
            memcpy(&f32, &raw32, 4)
            out[i] = <double>f32
        else:
            raw = load_u64(p, little)
            memcpy(&f64, &raw, 8)
            out[i] = f64
        p += size
    if count == 1:
        return out[0]
    return out


cdef object _split(str text, object constructor):
    """pydicom's multi_string: rstrip, split on backslash, construct each."""
    items = text.rstrip(" \x00").split("\\")
    if len(items) == 1:
        return constructor(items[0]) if constructor is not None else items[0]
    if constructor is None:
        return MultiValue._wrap(str, items)
    return MultiValue._wrap(constructor, [constructor(x) for x in items])


cdef object _make_ds(str item):
    cdef str stripped = item.strip()
    if not stripped:
        return item
    obj = _float_new(DSfloat, stripped)
    obj.original_string = stripped
    obj.auto_format = False
    return obj


cdef object _make_is(str item):
    if not item.strip():
        return item
    return IS(item)


cdef object _ds_value(str text):
    items = text.strip().rstrip(" \x00").split("\\")
    if len(items) == 1:
        return _make_ds(items[0])
    return MultiValue._wrap(DSfloat, [_make_ds(x) for x in items])


cdef object _is_value(str text):
    items = text.rstrip(" \x00").split("\\")
    if len(items) == 1:
        return _make_is(items[0])
    return MultiValue._wrap(IS, [_make_is(x) for x in items])


cdef object _decode(const uint8_t* p, Py_ssize_t length, tuple encodings):
    """Decode text as pydicom's decode_bytes; latin-1 without escapes is done here."""
    cdef str first = encodings[0]
    if (first == "iso8859" or first == "latin_1") and memchr(p, 0x1B, length) == NULL:
        return PyUnicode_DecodeLatin1(<const char*>p, length, NULL)
    return decode_bytes(PyBytes_FromStringAndSize(<const char*>p, length), encodings, _TEXT_DELIMS)


cdef object _text(const uint8_t* p, Py_ssize_t length, tuple encodings):
    values = (<str>_decode(p, length, encodings)).split("\\")
    if len(values) == 1:
        return (<str>values[0]).rstrip("\x00 ")
    return MultiValue._wrap(str, [(<str>v).rstrip("\x00 ") for v in values])


cdef object _pn(const uint8_t* p, Py_ssize_t length, tuple encodings):
    while length > 0 and (p[length - 1] == 0 or p[length - 1] == 0x20):
        length -= 1
    values = (<str>_decode(p, length, encodings)).split("\\")
    if len(values) == 1:
        return PersonName._from_str(values[0], encodings)
    return MultiValue._wrap(PersonName, [PersonName._from_str(v, encodings) for v in values])


cdef object _at(const uint8_t* p, Py_ssize_t length, bint little):
    cdef Py_ssize_t i
    if length == 4:
        return _tag_from_int((<uint32_t>load_u16(p, little) << 16) | load_u16(p + 2, little))
    if length % 4:
        warnings.warn(f"Expected length to be multiple of 4 for VR 'AT', got length {length}")
        length -= length % 4
    tags = [_tag_from_int((<uint32_t>load_u16(p + i, little) << 16) | load_u16(p + i + 2, little))
            for i in range(0, length, 4)]
    return MultiValue._wrap(_tag_from_int, tags)


cdef object _convert(int kind, const uint8_t* p, Py_ssize_t length, bint little, tuple encodings):
    if kind <= K_FD:
        return _numbers(p, length, kind, little)
    if kind == K_BYTES:
        return PyBytes_FromStringAndSize(<const char*>p, length)
    if kind == K_STRING:
        return _split(PyUnicode_DecodeLatin1(<const char*>p, length, NULL), None)
    if kind == K_TEXT:
        return _text(p, length, encodings)
    if kind == K_UI:
        text = PyUnicode_DecodeLatin1(<const char*>p, length, NULL)
        return _split(text.rstrip("\x00 "), UID)
    if kind == K_DS:
        return _ds_value(PyUnicode_DecodeLatin1(<const char*>p, length, NULL))
    if kind == K_IS:
        return _is_value(PyUnicode_DecodeLatin1(<const char*>p, length, NULL))
    if kind == K_PN:
        return _pn(p, length, encodings)
    if kind == K_SINGLE:
        return (<str>_decode(p, length, encodings)).rstrip("\x00 ")
    if kind == K_AE:
        items = [s.strip() for s in PyUnicode_DecodeLatin1(<const char*>p, length, NULL).split("\\")]
        return items[0] if len(items) == 1 else MultiValue._wrap(str, items)
    if kind == K_UR:
        return PyUnicode_DecodeLatin1(<const char*>p, length, NULL).rstrip()
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


cdef object _convert_vr(str vr, const uint8_t* p, Py_ssize_t length, bint little, tuple encodings):
    kind = _KINDS.get(vr)
    if kind is None or kind == K_SQ:
        raise NotImplementedError(f"Unknown Value Representation '{vr}'")
    try:
        return _convert(kind, p, length, little, encodings)
    except ValueError:
        for other in _RETRY:
            if other == vr:
                continue
            try:
                return _convert(_KINDS[other], p, length, little, encodings)
            except Exception:
                pass
        return PyBytes_FromStringAndSize(<const char*>p, length)


cpdef object convert(Index index, Py_ssize_t i, str vr, tuple encodings):
    """The Python value of entry `i` of `index`, read as `vr`."""
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
    return PyBytes_FromStringAndSize(<const char*>&index.view[e.value_offset], e.length)
