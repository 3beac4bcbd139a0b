# cython: freethreading_compatible=False
"""The writer's splice path: a dataset level copied from the file buffer.

``filewriter.py`` encodes what changed; everything pydicom would write as a *raw*
element (read, value never converted) is the element's original bytes, copied here
from the buffer by index entry, a whole dataset level in one call when its elements
ascend in tag order (pydicom writes in tag order).
"""
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

from dcmfast._core._vr cimport VR_UN
from dcmfast._core.parse cimport (
    F_BAD_ITEM, F_ENCAPS, F_ERROR, F_IMPLICIT, F_MAYBE_SQ, F_SEQ, F_TRUNCATED, F_UNDEF, Entry, Index,
)

RAW_COPY = 0
RAW_CONVERT = 1

cdef uint32_t _PIXEL_DATA = 0x7FE00010
cdef uint32_t _CHARSET = 0x00080005


cdef int _kind(Index index, Py_ssize_t i, bint top) noexcept:
    """RAW_COPY if entry i's original bytes are what pydicom writes for it as a raw
    element in the same encoding, else RAW_CONVERT (encoded from its value)."""
    cdef Entry* e = &index.entries[i]
    cdef unsigned int flags = e.flags
    if e.tag == _CHARSET:
        return 1  # pydicom's writer reads it (to find the dataset's encodings): converted
    if flags & (F_ERROR | F_BAD_ITEM) or (flags & F_TRUNCATED and flags & F_UNDEF):
        return 1
    if flags & F_IMPLICIT and not index.implicit_vr:
        return 1  # an implicit VR element inside explicit VR data: pydicom's reader fixes the VR
    if flags & F_UNDEF:
        if flags & (F_SEQ | F_MAYBE_SQ) or not flags & F_ENCAPS:
            return 1  # read as a sequence: written item by item
    if e.length == 0 and e.vr == VR_UN:
        return 1  # pydicom converts an empty binary value at once (and so the UN to its VR)
    if top and e.tag == _PIXEL_DATA and e.length & 1:
        return 1  # dcmwrite converts the top-level Pixel Data (and pads an odd length)
    return 0


def raw_kind(Index index, Py_ssize_t i, bint top=False):
    if i < 0 or i >= index.n:
        raise IndexError(i)
    return _kind(index, i, top)


cdef inline int _append(bytearray out, const uint8_t* src, Py_ssize_t n) except -1:
    cdef Py_ssize_t size = PyByteArray_GET_SIZE(out)
    PyByteArray_Resize(out, size + n)
    memcpy(PyByteArray_AS_STRING(out) + size, src, n)
    return 0


cdef inline void _store(uint8_t* p, int64_t value, int size, bint little) noexcept:
    cdef int k
    for k in range(size):
        p[k if little else size - 1 - k] = (value >> (8 * k)) & 0xFF


cdef int _copy(bytearray out, Index index, Py_ssize_t i) except -1:
    """Entry i's header and value as they are in the buffer (an undefined-length value
    with a Sequence Delimitation Item of zero length after it, as pydicom writes it)."""
    cdef Entry* e = &index.entries[i]
    cdef const uint8_t* buf = &index.view[0]
    cdef int64_t size = index.view.shape[0]
    cdef int64_t stop = e.value_offset + e.length
    cdef uint8_t delim[8]
    if e.offset < 0 or stop > size or e.value_offset < e.offset:
        raise IndexError(f"entry {i} lies outside the buffer")
    cdef Py_ssize_t at = PyByteArray_GET_SIZE(out)
    cdef Py_ssize_t header = e.value_offset - e.offset
    cdef uint8_t* p
    _append(out, buf + e.offset, stop - e.offset)
    if header == 12 and not (index.implicit_vr or e.flags & F_IMPLICIT):
        # explicit VR with a 4-byte length: pydicom writes the 2 reserved bytes as zeros
        # whatever the file held there
        p = <uint8_t*>PyByteArray_AS_STRING(out) + at
        p[6] = 0
        p[7] = 0
    if e.flags & F_TRUNCATED and not e.flags & F_UNDEF:
        # pydicom's raw element holds the bytes that were there: its length is theirs
        p = <uint8_t*>PyByteArray_AS_STRING(out) + at
        if header == 8 and not (index.implicit_vr or e.flags & F_IMPLICIT):  # explicit, 2-byte length
            _store(p + 6, e.length, 2, index.little_endian)
        else:
            _store(p + header - 4, e.length, 4, index.little_endian)
    if e.flags & F_UNDEF:
        memset(delim, 0, 8)
        _store(delim, 0xFFFE, 2, index.little_endian)
        _store(delim + 2, 0xE0DD, 2, index.little_endian)
        _append(out, delim, 8)
    return 0


def copy_entry(bytearray out, Index index, Py_ssize_t i):
    """Append entry i's raw bytes to `out`."""
    if i < 0 or i >= index.n:
        raise IndexError(i)
    _copy(out, index, i)


cdef inline const uint8_t* _buf(Index index) noexcept:
    return &index.view[0] if index.view.shape[0] else NULL


cdef int _flush_run(bytearray out, const uint8_t* buf, int64_t* run) except -1:
    if run[1] > run[0]:
        _append(out, buf + run[0], run[1] - run[0])
    run[0] = run[1] = -1
    return 0


cdef inline int _splice(bytearray out, Index index, Py_ssize_t i, int64_t* run) except -1:
    """Entry i's raw bytes (`_copy`) with consecutive entries joined into one copy: `run`
    is the [start, stop) of the buffer not yet appended (flushed by _flush_run)."""
    cdef Entry* e = &index.entries[i]
    cdef int64_t stop = e.value_offset + e.length
    if e.flags & (F_TRUNCATED | F_UNDEF):
        _flush_run(out, _buf(index), run)
        _copy(out, index, i)
        return 0
    if e.offset < 0 or stop > index.view.shape[0] or e.value_offset < e.offset:
        raise IndexError(f"entry {i} lies outside the buffer")
    cdef const uint8_t* buf = _buf(index)
    if (e.value_offset - e.offset == 12 and not (index.implicit_vr or e.flags & F_IMPLICIT)
            and (buf[e.offset + 6] or buf[e.offset + 7])):
        # non-zero reserved bytes: _copy writes them as zeros, as pydicom does
        _flush_run(out, buf, run)
        _copy(out, index, i)
        return 0
    if run[1] == e.offset and run[1] >= 0:
        run[1] = stop
    else:
        _flush_run(out, _buf(index), run)
        run[0] = e.offset
        run[1] = stop
    return 0


def level_raw(bytearray out, Index index, Py_ssize_t first, Py_ssize_t stop, dict elements,
              object view, bint top, object convert, Py_ssize_t big=-1):
    """Write the elements of the dataset level [first, stop) of `index` in tag order.

    An element that has a DataElement in `elements` is copied only if
    ``view.raw_entry(elem)`` says it is still raw; it and every element whose raw bytes
    are not what pydicom writes go to ``convert(tag, elem_or_None)``. Consecutive raw
    elements are copied as one range. Returns -1, having written nothing, if the
    level's tags do not ascend (the caller sorts); else the entry where it stopped:
    `stop` when done, or (with `big` >= 0) the first raw element whose value is at
    least `big` bytes, which is not written (the caller writes its value from the
    buffer without a copy, then calls again from the entry after it)."""
    cdef Py_ssize_t i, n = index.n
    cdef uint32_t tag, last = 0
    cdef bint any_ = False
    cdef Entry* e
    cdef int64_t run[2]
    run[0] = run[1] = -1
    if stop > n:
        stop = n
    i = first
    while 0 <= i < stop:
        tag = index.entries[i].tag
        if any_ and tag <= last:
            return -1
        last = tag
        any_ = True
        if index.entries[i].end <= i:
            return -1
        i = index.entries[i].end
    i = first
    while 0 <= i < stop:
        e = &index.entries[i]
        tag = e.tag
        if not (tag & 0xFFFF == 0 and (tag >> 16) > 6):
            if elements:
                elem = elements.get(tag)
            else:
                elem = None
            if elem is not None:
                if view.raw_entry(elem) >= 0 and _kind(index, i, top) == 0:
                    if 0 <= big <= e.length and not e.flags & (F_UNDEF | F_TRUNCATED):
                        _flush_run(out, _buf(index), run)
                        return i
                    _splice(out, index, i, run)
                else:
                    _flush_run(out, _buf(index), run)
                    convert(tag, elem)
            elif _kind(index, i, top) == 0:
                if 0 <= big <= e.length and not e.flags & (F_UNDEF | F_TRUNCATED):
                    _flush_run(out, _buf(index), run)
                    return i
                _splice(out, index, i, run)
            else:
                _flush_run(out, _buf(index), run)
                convert(tag, None)
        i = e.end
    if run[1] > run[0]:
        _flush_run(out, _buf(index), run)
    return stop


def level_loaded(bytearray out, Index index, object view, dict elements, list tags,
                 Py_ssize_t start, bint top, object convert, Py_ssize_t big=-1):
    """Write a loaded dataset level (its element dict is the truth), `tags` being its
    tags in order, from tags[start]: each element still raw (``view.raw_entries``, one
    compiled walk) copied from the buffer, consecutive ones as one range, the others
    given to ``convert(tag, elem)``. Returns len(tags), or (with `big` >= 0) the
    position in `tags` of the first raw element whose value is at least `big` bytes,
    not written (as level_raw)."""
    cdef uint32_t t
    cdef Py_ssize_t k, n = len(tags)
    cdef int64_t entry
    cdef Entry* e
    cdef int64_t run[2]
    cdef bytes raw = view.raw_entries(elements, tags, start)
    cdef const int64_t* entries = <const int64_t*>PyBytes_AS_STRING(raw)
    if PyBytes_GET_SIZE(raw) != 8 * (n - start if n > start else 0):
        raise ValueError("raw_entries: one entry per tag expected")
    run[0] = run[1] = -1
    for k in range(start, n):
        tag = tags[k]
        t = <uint32_t>tag
        if t & 0xFFFF == 0 and (t >> 16) > 6:
            continue
        entry = entries[k - start]
        if 0 <= entry < index.n and _kind(index, entry, top) == 0:
            e = &index.entries[entry]
            if 0 <= big <= e.length and not e.flags & (F_UNDEF | F_TRUNCATED):
                _flush_run(out, _buf(index), run)
                return k
            _splice(out, index, entry, run)
        else:
            _flush_run(out, _buf(index), run)
            convert(tag, elements[tag])
    if run[1] > run[0]:
        _flush_run(out, _buf(index), run)
    return n


def raw_charset(Index index, Py_ssize_t i):
    """The Specific Character Set of entry i as pydicom converts it (a str or a list)."""
    cdef Entry* e = &index.entries[i]
    data = bytes(index.view[e.value_offset:e.value_offset + e.length])
    text = data.decode("latin-1")
    if text[-1:] in (" ", "\0"):
        text = text[:len(text) - 1]
    parts = text.split("\\")
    return parts[0] if len(parts) == 1 else parts


# -- encoding from values (the common cases; filewriter.py's Python path does the rest) --

cdef frozenset _STRING_VRS = frozenset(["AE", "AS", "CS", "UR", "DA", "DT", "TM"])
cdef frozenset _TEXT_VRS = frozenset(["LO", "LT", "SH", "ST", "UC", "UT"])
cdef frozenset _LONG_VRS = frozenset(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR",
                                      "UT", "UV"])
cdef frozenset _BINARY_VRS = frozenset(["OB", "OD", "OF", "OL", "OV", "OW"])
cdef dict _NUMBER_SIZE = {"US": 2, "SS": 2, "UL": 4, "SL": 4, "FL": 4, "FD": 8, "SV": 8, "UV": 8}
cdef object _MultiValue = None


cdef inline bint _is_list(object value):
    global _MultiValue
    if type(value) is list or type(value) is tuple:
        return True
    if _MultiValue is None:
        from dcmfast._core.multivalue import MultiValueBase  # (an ABC check is slow)
        _MultiValue = MultiValueBase
    return isinstance(value, _MultiValue)


cdef object _PersonName = None


cdef object _person_name(object value):
    """One PersonName (with no character sets of its own) or str as latin-1 bytes, as
    filewriter._pn gives them in the default character set (and, as there, the encoded
    bytes kept as the PersonName's original); None where the Python path decides."""
    global _PersonName
    if type(value) is str:
        return _latin1(value)
    if _PersonName is None:
        from dcmfast.valuerep import PersonName
        _PersonName = PersonName
    if type(value) is not _PersonName or value.encodings is not None:
        return None
    original = value._original
    if original is not None:
        return original if type(original) is bytes else None
    data = _latin1("=".join(value.components))
    if data is not None:
        value._original = data
    return data


cdef object _latin1(object text):
    """`text` as latin-1 bytes, or None if it is not a str or has other characters."""
    if type(text) is not str and not isinstance(text, str):
        return None
    try:
        return (<str>text).encode("latin-1")
    except UnicodeEncodeError:
        return None


cdef object _joined(object value, bint number_string):
    """A str or a list of str (DS/IS: their original strings) as latin-1 bytes joined by
    backslashes; None where the Python path decides."""
    cdef list parts
    if _is_list(value):
        parts = []
        for item in value:
            if number_string:
                original = getattr(item, "original_string", None)
                item = original if isinstance(original, str) else str(item)
            data = _latin1(item)
            if data is None:
                return None
            parts.append(data)
        return b"\\".join(parts)
    if number_string:
        original = getattr(value, "original_string", None)
        value = original if isinstance(original, str) else str(value)
    return _latin1(value)


cdef object _packed(object value, str vr, bint little):
    """Numbers packed as `vr` (a struct format's rules: range-checked); None where the
    Python path decides (it raises pydicom's error)."""
    import struct
    fmt = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d", "SV": "q", "UV": "Q"}[vr]
    end = "<" if little else ">"
    try:
        if _is_list(value):
            values = list(value)
            return struct.pack(f"{end}{len(values)}{fmt}", *values)
        return struct.pack(end + fmt, value)
    except Exception:
        return None


def element_fast(bytearray out, object elem, bint little, bint implicit, bint text_default,
                 bint swap):
    """Append `elem` encoded from its value, as pydicom's writer does, for the common
    cases (text in the default character set, DS/IS, numbers, bytes in the same byte
    order; defined length); return False, having written nothing, for anything else."""
    cdef object vr = elem.VR
    cdef object data
    cdef Py_ssize_t n
    cdef uint32_t tag
    cdef uint8_t header[12]
    if type(vr) is not str or len(<str>vr) != 2 or elem.is_undefined_length:
        return False
    if vr == "SQ" or vr == "AT" or (vr == "PN" and not text_default):
        return False
    value = elem.value
    if value is None or (type(value) is str and not value) or (type(value) is bytes and not value):
        data = b""
    elif vr == "PN":
        data = _person_name(value)
        if data is None:
            return False
        if len(data) & 1:
            data += b" "
    elif vr in _STRING_VRS or vr == "UI":
        if vr in ("DA", "DT", "TM") and not isinstance(value, str) and not _is_list(value):
            return False
        data = _joined(value, False)
        if data is None:
            return False
        if len(data) & 1:
            data += b"\0" if vr == "UI" else b" "
    elif vr in _TEXT_VRS:
        if not text_default:
            return False
        data = _joined(value, False)
        if data is None:
            return False
        if len(data) & 1:
            data += b" "
    elif vr == "DS" or vr == "IS":
        data = _joined(value, True)
        if data is None:
            return False
        if len(data) & 1:
            data += b" "
    elif vr in _NUMBER_SIZE:
        if tag_is_lut_descriptor(elem) or type(value) is tuple:
            return False
        if _is_list(value) and len(value) == 0:
            data = b""
        else:
            data = _packed(value, vr, little)
            if data is None:
                return False
    elif vr in _BINARY_VRS or vr == "UN":
        if swap and vr != "OB" and vr != "UN":
            return False  # swapped on a change of byte order: the Python path
        if type(value) is not bytes:
            return False
        data = value
        if len(data) & 1 and vr != "UN":
            data += b"\0"
    else:
        return False
    n = len(data)
    if not implicit and vr not in _LONG_VRS and n > 0xFFFF:
        return False  # the Python path changes the VR to UN, with pydicom's warning
    tag = <uint32_t>int(elem.tag)
    _store(header, tag >> 16, 2, little)
    _store(header + 2, tag & 0xFFFF, 2, little)
    if implicit:
        _store(header + 4, n, 4, little)
        _append(out, header, 8)
    else:
        if len(<str>vr) != 2 or not (<str>vr).isascii():
            return False  # a damaged VR read as it is: the Python path writes it as pydicom does
        vr_bytes = (<str>vr).encode("ascii")
        header[4] = (<bytes>vr_bytes)[0]
        header[5] = (<bytes>vr_bytes)[1]
        if vr in _LONG_VRS:
            header[6] = 0
            header[7] = 0
            _store(header + 8, n, 4, little)
            _append(out, header, 12)
        else:
            _store(header + 6, n, 2, little)
            _append(out, header, 8)
    if n:
        _append(out, <const uint8_t*><char*>data, n)
    return True


cdef inline bint tag_is_lut_descriptor(object elem):
    cdef uint32_t tag = <uint32_t>int(elem.tag)
    return tag == 0x00281101 or tag == 0x00281102 or tag == 0x00281103 or tag == 0x00283002


def level_encode(bytearray out, dict elements, bint little, bint implicit, bint text_default,
                 bint swap, object fallback):
    """Every element of `elements` in tag order encoded from its value (group lengths of
    groups above 6 dropped): element_fast where it can, else ``fallback(elem)``."""
    cdef uint32_t t
    for tag in sorted(elements):
        t = <uint32_t>tag
        if t & 0xFFFF == 0 and (t >> 16) > 6:
            continue
        elem = elements[tag]
        if not element_fast(out, elem, little, implicit, text_default, swap):
            fallback(elem)


def min_tag(Index index, Py_ssize_t first, Py_ssize_t stop):
    """The smallest tag among the direct entries of [first, stop) (0xFFFFFFFF if none)."""
    cdef Py_ssize_t i = first
    cdef uint32_t low = 0xFFFFFFFF
    if stop > index.n:
        stop = index.n
    while 0 <= i < stop:
        if index.entries[i].tag < low:
            low = index.entries[i].tag
        if index.entries[i].end <= i:
            break
        i = index.entries[i].end
    return low


def level_splice(bytearray out not None, Index index not None, Py_ssize_t first, Py_ssize_t stop,
                 dict actions not None, dict consts not None, bint top, bint private_dynamic,
                 list inserts, bytearray plan not None, object level, uint32_t min_tag=0,
                 int pixel_undefined=-1):
    """De-identification's write of the dataset level [first, stop) of `index` in tag
    order, with no DataElement for the elements it copies or leaves out.

    Each entry's action is ``actions[tag << 17 | seq << 16 | VR code]`` (seq: the entry
    is indexed as a sequence; VR code 0 when implicit), or, when missing (and always for
    private tags if `private_dynamic`), ``level.resolve(i, tag, key)`` (which may add it).
    ``"K"``: the entry's bytes are copied (consecutive entries in one copy) when they
    are what pydicom writes for a raw element, else ``level.handle(i, tag, "K")``;
    ``"X"`` (and the group lengths of groups above 6): left out; ``"R..."``: replaced by
    ``consts[key]`` (an encoded element) if there; anything else (and R not in `consts`):
    ``level.handle(i, tag, action, key)``, which appends the element's encoding to `out`.
    `inserts`: (tag, bytes) in ascending tag order, written in their place (replacing
    an entry with the same tag). `plan` gets 5 bytes per entry: the tag (little endian)
    and the last character of its action. Returns False, having written nothing, if
    the level's tags do not ascend, a tag is below `min_tag`, or (`pixel_undefined`
    0 or 1) the length kind of Pixel Data (7FE0,0010) is not that one (the writer
    would change it)."""
    cdef Py_ssize_t i, n = index.n, k = 0, n_ins = 0, count = 0, recorded = 0, at
    cdef uint32_t tag, last = 0, ins_tag = 0
    cdef bint any_ = False, seq, replaced
    cdef Entry* e
    cdef const uint8_t* buf
    cdef int64_t size
    cdef int64_t run[2]
    cdef uint8_t* rec
    cdef str act
    cdef Py_UCS4 c
    if stop > n:
        stop = n
    i = first
    while 0 <= i < stop:
        tag = index.entries[i].tag
        if (any_ and tag <= last) or tag < min_tag:
            return False
        if (tag == _PIXEL_DATA and pixel_undefined >= 0
                and ((index.entries[i].flags & F_UNDEF) != 0) != (pixel_undefined != 0)):
            return False
        last = tag
        any_ = True
        count += 1
        if index.entries[i].end <= i:
            return False
        i = index.entries[i].end
    # the plan records: room for all at once, trimmed at the end
    at = PyByteArray_GET_SIZE(plan)
    PyByteArray_Resize(plan, at + 5 * count)
    if inserts is not None:
        n_ins = len(inserts)
    if n_ins:
        ins_tag = <uint32_t>inserts[0][0]
    buf = &index.view[0] if index.view.shape[0] else NULL
    size = index.view.shape[0]
    run[0] = run[1] = -1
    i = first
    while 0 <= i < stop:
        e = &index.entries[i]
        tag = e.tag
        replaced = False
        while k < n_ins and ins_tag <= tag:
            _flush_run(out, buf, run)
            out += <bytes>inserts[k][1]
            replaced = ins_tag == tag
            k += 1
            if k < n_ins:
                ins_tag = <uint32_t>inserts[k][0]
        if replaced:
            i = e.end  # the insert takes the entry's place
            continue
        if tag & 0xFFFF == 0 and (tag >> 16) > 6:
            i = e.end
            continue
        seq = (e.flags & (F_SEQ | F_MAYBE_SQ)) != 0
        if private_dynamic and (tag >> 16) & 1:
            key = None
            act = level.resolve(i, tag, None)
        else:
            key = (<uint64_t>tag << 17) | (<uint64_t>seq << 16) | e.vr
            found = actions.get(key)
            if found is None:
                act = level.resolve(i, tag, key)
            else:
                act = <str>found
        c = act[0]
        rec = <uint8_t*>PyByteArray_AS_STRING(plan) + at
        rec[0] = tag & 0xFF
        rec[1] = (tag >> 8) & 0xFF
        rec[2] = (tag >> 16) & 0xFF
        rec[3] = (tag >> 24) & 0xFF
        rec[4] = <uint8_t>act[len(act) - 1]
        at += 5
        recorded += 1
        if c == u"X":
            pass
        elif c == u"K" and not seq and _kind(index, i, top) == 0:
            if e.offset < 0 or e.value_offset + e.length > size or e.value_offset < e.offset:
                raise IndexError(f"entry {i} lies outside the buffer")
            if e.flags & (F_TRUNCATED | F_UNDEF):
                _flush_run(out, buf, run)
                _copy(out, index, i)
            elif run[1] == e.offset:
                run[1] = e.value_offset + e.length
            else:
                _flush_run(out, buf, run)
                run[0] = e.offset
                run[1] = e.value_offset + e.length
        else:
            _flush_run(out, buf, run)
            if c == u"R" and key is not None:
                found = consts.get(key)
                if found is not None:
                    out += <bytes>found
                    i = e.end
                    continue
            # handle() may splice the items of a sequence: their records come next
            PyByteArray_Resize(plan, at)
            level.handle(i, tag, act, key)
            at = PyByteArray_GET_SIZE(plan)
            PyByteArray_Resize(plan, at + 5 * (count - recorded))
        i = e.end
    _flush_run(out, buf, run)
    while k < n_ins:
        out += <bytes>inserts[k][1]
        k += 1
    PyByteArray_Resize(plan, at)
    return True


def first_damaged(Index index not None):
    """The first entry of `index` (any depth) that was clipped by the end of its data, did
    not parse (a sequence) or is an item with another tag, or -1: a damaged input."""
    cdef Py_ssize_t i
    for i in range(index.n):
        if index.entries[i].flags & (F_ERROR | F_TRUNCATED | F_BAD_ITEM):
            return i
    return -1
