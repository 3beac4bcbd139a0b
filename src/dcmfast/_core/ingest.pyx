# cython: language_level=3
"""Batch extraction of selected top-level tags from many files, without the facade.

For each path of a batch, one GIL-free pass opens the file, reads a prefix
(8 KiB by default; more only when the tags asked for lie further on), checks
the preamble, indexes the File Meta group and then the data set up to the last
tag asked for (``parse.scan_dataset``, the scanner ``dcmread`` uses), and
closes the file. Then, holding the GIL, the values asked for are converted
straight from the bytes to plain Python values (str, int, float, bytes, lists
of those) with the same rules as the facade's converters (``values.pyx``)
followed by ``dcmfast.ingest.plain_value``.

Anything unusual (no File Meta transfer syntax, deflate, an implicit/explicit
VR switch, a value that was clipped or does not convert cleanly, a VR that
needs context such as UN, private or ambiguous tags, multi-byte or ISO 2022
character sets) is not handled here: the file gets status ``S_FALLBACK`` and
``dcmfast.ingest`` reads it through ``dcmread``, so the results are the
facade's in every case.
"""
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_Copy, PyDict_SetItem
from cpython.list cimport PyList_GetSlice
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.float cimport PyFloat_FromString
from cpython.ref cimport PyObject
from cpython.unicode cimport PyUnicode_DecodeLatin1, PyUnicode_Decode
from libc.errno cimport errno
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int16_t, int32_t, int64_t
from libc.stdlib cimport calloc, malloc, realloc, free
from libc.string cimport memcmp, memcpy, memchr, memset, strlen

from dcmfast._core._bytes cimport load_u16, load_u32, load_u64
from dcmfast._core._vr cimport *  # noqa: F403 (the VR codes)
from dcmfast._core.parse cimport (
    Entry, Scanner, scan_dataset,
    F_UNDEF, F_SEQ, F_MAYBE_SQ, F_ERROR, F_TRUNCATED, F_ENCAPS, F_ITEM,
)

from dcmfast._core._decimal cimport exact_double
from dcmfast._core._text cimport _is_space, _latin1

cdef extern from "Python.h":
    object PyLong_FromUnicodeObject(object u, int base)
    object PyUnicode_EncodeFSDefault(object u)
    bint PyUnicode_IS_COMPACT_ASCII(object u)
    void* PyUnicode_DATA(object u)
    Py_ssize_t PyUnicode_GET_LENGTH(object u)
    Py_ssize_t PY_SSIZE_T_MAX
    char* PyOS_double_to_string(double val, char format_code, int precision, int flags,
                                int* ptype) except NULL
    int Py_DTSF_ADD_DOT_0
    void PyMem_Free(void* p)
    double PyOS_string_to_double(const char* s, char** endptr, PyObject* overflow_exception) except? -1.0

from dcmfast._core._fileio cimport (
    DCMFAST_HAVE_FD_IO, dcmfast_close, dcmfast_open, dcmfast_read,
)

# statuses of one file
cdef enum:
    S_OK = 0
    S_FALLBACK = 1      # read it with dcmread instead
    S_IO_ERROR = 2      # open/read failed: err_no
    S_NOT_REGULAR = 3   # not a regular file (device, FIFO, socket)
    S_NOT_DICOM = 4     # no 'DICM' prefix
    S_NEED_MORE = 5     # internal: the prefix read so far is not enough
    S_NOMEM = 6
    S_BAD_PATH = 7      # the path cannot be encoded / has a NUL

STATUS_OK = S_OK
STATUS_FALLBACK = S_FALLBACK
STATUS_IO_ERROR = S_IO_ERROR
STATUS_NOT_REGULAR = S_NOT_REGULAR
STATUS_NOT_DICOM = S_NOT_DICOM
STATUS_BAD_PATH = S_BAD_PATH
HAVE_FD_IO = bool(DCMFAST_HAVE_FD_IO)

cdef enum:
    VR_FACADE = 0xFFFF   # a tag that always goes through the facade

cdef enum:
    TAG_CHARSET = 0x00080005
    TAG_TRANSFER_SYNTAX = 0x00020010
    DEFAULT_PREFIX = 8192
    KEEP_BUFFER = 262144     # per-job buffers up to this size are reused across batches
    KEEP_ENTRIES = 4096
    MEMO_MAX = 128           # values up to this many bytes are remembered per tag

cdef object _FALLBACK = object()   # a value the facade must produce

# the Python codecs (dcmfast.charset.PYTHON_ENCODING values) handled here:
# single-byte sets and UTF-8, where decoding the whole value then splitting
# on backslash equals what pydicom does; latin-1 is decoded directly
_LATIN1 = frozenset(["iso8859", "latin_1"])
_SINGLE_BYTE = frozenset(["iso8859_2", "iso8859_3", "iso8859_4", "iso_ir_126", "iso_ir_127",
                          "iso_ir_138", "iso_ir_144", "iso_ir_148", "iso_ir_166", "UTF8"])


def pack_vr(str vr):
    """The 16-bit code of a two-letter VR (0 for anything else)."""
    if len(vr) != 2:
        return 0
    return (ord(vr[0]) << 8) | ord(vr[1])


cdef inline bint _looks_implicit(const uint8_t* buf, int64_t pos) noexcept nogil:
    cdef uint8_t a = buf[pos + 4], b = buf[pos + 5]
    return not (0x40 < a < 0x5B and 0x40 < b < 0x5B)


cdef void _init_scanner(Scanner* s, const uint8_t* buf, int64_t size, bint little,
                        const uint32_t* sq, Py_ssize_t n_sq) noexcept nogil:
    """Reset a scanner, keeping its entry array (reused across files)."""
    cdef Entry* entries = s.entries
    cdef Py_ssize_t cap = s.cap
    memset(s, 0, sizeof(Scanner))
    s.entries = entries
    s.cap = cap
    s.n = 0
    s.buf = buf
    s.size = size
    s.little = little
    s.stop_group = -1
    s.stop_after = 0xFFFFFFFF
    s.stop_pixels = False
    s.stopped = False
    s.stop_pos = size
    s.sq_tags = sq
    s.n_sq = n_sq


cdef void _reset_job(Job* j) noexcept nogil:
    """Clear a job for the next file, keeping its buffer and entry arrays."""
    cdef uint8_t* buf = j.buf
    cdef int64_t cap = j.cap
    cdef Entry* me = j.meta.entries
    cdef Py_ssize_t mcap = j.meta.cap
    cdef Entry* de = j.data.entries
    cdef Py_ssize_t dcap = j.data.cap
    cdef Entry** hits = j.hits
    cdef uint16_t* hit_vr = j.hit_vr
    memset(j, 0, sizeof(Job))
    j.hits = hits
    j.hit_vr = hit_vr
    j.cs_offset = -1
    j.buf = buf
    j.cap = cap
    j.meta.entries = me
    j.meta.cap = mcap
    j.data.entries = de
    j.data.cap = dcap
    j.ts_offset = -1


cdef void _release_job(Job* j, bint keep) noexcept nogil:
    """Free a job's memory; with keep, only what is larger than is worth keeping."""
    if not keep or j.cap > KEEP_BUFFER:
        free(j.buf)
        j.buf = NULL
        j.cap = 0
    if not keep or j.meta.cap > KEEP_ENTRIES:
        free(j.meta.entries)
        j.meta.entries = NULL
        j.meta.cap = 0
    if not keep or j.data.cap > KEEP_ENTRIES:
        free(j.data.entries)
        j.data.entries = NULL
        j.data.cap = 0
    j.meta.n = 0
    j.data.n = 0


cdef Py_ssize_t _find_top(Scanner* s, uint32_t tag) noexcept nogil:
    """The last top-level entry with `tag`, or -1 (as Index.find)."""
    cdef Py_ssize_t i = 0, found = -1
    while 0 <= i < s.n:
        if s.entries[i].tag == tag:
            found = i
        i = s.entries[i].end
    return found


cdef int _index(Extractor x, Job* j) noexcept nogil:
    """Index the bytes read so far: S_OK, S_FALLBACK, S_NOT_DICOM or S_NEED_MORE."""
    cdef const uint8_t* buf = j.buf
    cdef int64_t n = j.len, pos, after = 0, meta_end, a, b
    cdef bint complete = j.complete
    cdef Py_ssize_t ts
    cdef Entry* e
    cdef int rc
    j.meta.n = 0
    j.data.n = 0
    if n < 132:
        return S_NOT_DICOM if complete else S_NEED_MORE
    if memcmp(buf + 128, b"DICM", 4) != 0:
        return S_NOT_DICOM
    pos = 132
    if pos + 6 > n:
        return S_FALLBACK if complete else S_NEED_MORE
    if _looks_implicit(buf, pos):
        return S_FALLBACK
    # File Meta Information: explicit VR little endian, group 0002
    _init_scanner(&j.meta, buf, n, True, x.sq_tags, x.n_sq)
    j.meta.stop_group = 2
    rc = scan_dataset(&j.meta, pos, n, n, False, True, -1, &after)
    if rc < 0 or j.meta.n_clipped:
        return S_FALLBACK if complete else S_NEED_MORE
    if not j.meta.stopped and not complete:
        return S_NEED_MORE
    meta_end = j.meta.stop_pos if j.meta.stopped else after
    # transfer syntax, trimmed as reader._uid_value: rstrip NUL/space, then strip()
    ts = _find_top(&j.meta, TAG_TRANSFER_SYNTAX)
    if ts < 0:
        return S_FALLBACK
    e = &j.meta.entries[ts]
    if e.flags & (F_UNDEF | F_SEQ | F_MAYBE_SQ | F_ERROR | F_TRUNCATED | F_ENCAPS):
        return S_FALLBACK
    a = e.value_offset
    b = a + e.length
    while b > a and (buf[b - 1] == 0 or buf[b - 1] == 0x20):
        b -= 1
    while b > a and _is_space(buf[b - 1]):
        b -= 1
    while a < b and _is_space(buf[a]):
        a += 1
    j.ts_offset = e.value_offset
    j.ts_length = e.length
    j.implicit = False
    j.little = True
    if b - a == 17 and memcmp(buf + a, b"1.2.840.10008.1.2", 17) == 0:
        j.implicit = True
    elif b - a == 19 and memcmp(buf + a, b"1.2.840.10008.1.2.2", 19) == 0:
        j.little = False
    elif b - a == 22 and memcmp(buf + a, b"1.2.840.10008.1.2.1.99", 22) == 0:
        return S_FALLBACK   # deflated
    pos = meta_end
    if pos >= n and not complete:
        return S_NEED_MORE
    if pos + 6 <= n:
        # the facade switches implicit/explicit (with a warning) here
        if _looks_implicit(buf, pos) != j.implicit:
            return S_FALLBACK
    elif not complete:
        return S_NEED_MORE
    _init_scanner(&j.data, buf, n, j.little, x.sq_tags, x.n_sq)
    j.data.stop_after = x.stop_after
    j.data.stop_pixels = x.stop_pixels
    if pos < n:
        rc = scan_dataset(&j.data, pos, n, n, j.implicit, True, -1, &after)
        if rc < 0 or j.data.n_clipped:
            return S_FALLBACK if complete else S_NEED_MORE
        if not j.data.stopped and not complete:
            return S_NEED_MORE
    return S_OK


cdef inline bint _is_text_vr(uint16_t vr) noexcept nogil:
    """VRs whose value is decoded with the Specific Character Set."""
    return (vr == VR_SH or vr == VR_LO or vr == VR_UC or vr == VR_PN or vr == VR_LT
            or vr == VR_ST or vr == VR_UT)


cdef int _match(Extractor x, Job* j) noexcept nogil:
    """Find the entries of the tags asked for and the VR of each: S_OK or S_FALLBACK.

    Every entry with a tag asked for is checked (the last one is used, as in the
    facade); group 0002 only from the File Meta, the rest only from the data
    set. Anything the facade must decide makes the file S_FALLBACK.
    """
    cdef Py_ssize_t i, lo, k, pos, count, n = x.n
    cdef int pass_
    cdef Scanner* s
    cdef Entry* e
    cdef Entry* entries
    cdef const uint32_t* want = x.sorted_want
    cdef uint32_t tag, prev, next_want
    cdef uint16_t vr
    cdef bint need_codec = False
    for i in range(n):
        j.hits[i] = NULL
    j.cs_offset = -1
    if n == 0:
        return S_OK
    for pass_ in range(2):
        s = &j.meta if pass_ == 0 else &j.data
        entries = s.entries
        count = s.n
        i = 0
        lo = 0
        prev = 0
        next_want = want[0]
        while 0 <= i < count:
            # the elements of a data set come in tag order: merge them with the sorted
            # tags asked for (a step back in the file starts the merge over)
            e = &entries[i]
            i = e.end
            tag = e.tag
            if tag < prev:
                lo = 0
                next_want = want[0]
            prev = tag
            if tag < next_want:
                continue
            while lo < n and want[lo] < tag:
                lo += 1
            next_want = want[lo] if lo < n else 0xFFFFFFFF
            k = lo
            while k < n and want[k] == tag:
                if (pass_ == 0) == ((tag >> 16) == 2):
                    pos = x.sorted_pos[k]
                    vr = e.vr
                    if x.dict_vr[pos] == VR_FACADE:
                        return S_FALLBACK
                    if e.flags & (F_UNDEF | F_SEQ | F_MAYBE_SQ | F_ERROR | F_TRUNCATED
                                  | F_ENCAPS | F_ITEM):
                        return S_FALLBACK
                    if vr == 0 or (vr == VR_UN and e.length < 0xFFFF):
                        # implicit VR, or a public tag stored as UN: the dictionary's
                        # VR (as the facade); 0 for private / unknown / ambiguous
                        vr = x.dict_vr[pos]
                        if vr == 0:
                            return S_FALLBACK
                    if vr == VR_UN or vr == VR_SQ:
                        return S_FALLBACK
                    j.hits[pos] = e
                    j.hit_vr[pos] = vr
                    if pass_ == 1 and _is_text_vr(vr):
                        need_codec = True
                k += 1
    if need_codec:
        i = _find_top(&j.data, TAG_CHARSET)
        if i >= 0 and j.data.entries[i].length != 0:
            e = &j.data.entries[i]
            if e.vr != 0 and e.vr != VR_CS:
                return S_FALLBACK
            j.cs_offset = e.value_offset
            j.cs_length = e.length
    return S_OK


cdef int _grow(Job* j, int64_t cap) noexcept nogil:
    cdef uint8_t* grown
    if cap <= j.cap:
        return 0
    grown = <uint8_t*>realloc(j.buf, cap if cap > 0 else 1)
    if grown == NULL:
        return -1
    j.buf = grown
    j.cap = cap
    return 0


cdef int _run(Extractor x, Job* j) noexcept nogil:
    """Open, read, index one file and find the tags asked for (no GIL).

    Leaves the buffer, the index and the entries found (j.hits) in j.
    """
    cdef int kind = 0, rc
    cdef int64_t want, got
    cdef int fd = dcmfast_open(j.path, &j.size, &j.mtime_ns, &kind)
    if fd < 0:
        j.err_no = errno
        return S_IO_ERROR
    if kind == 1:
        dcmfast_close(fd)
        j.err_no = 21   # EISDIR, as open() of a directory in Python
        return S_IO_ERROR
    if kind != 0:
        dcmfast_close(fd)
        return S_NOT_REGULAR
    want = j.size if j.size < x.prefix else x.prefix
    while True:
        if _grow(j, want) < 0:
            rc = S_NOMEM
            break
        got = dcmfast_read(fd, j.buf + j.len, want - j.len)
        if got < 0:
            j.err_no = errno
            rc = S_IO_ERROR
            break
        j.complete = j.len + got < want or want >= j.size
        j.len += got
        rc = _index(x, j)
        if rc == S_OK:
            rc = _match(x, j)
            break
        if rc != S_NEED_MORE:
            break
        if j.complete:
            rc = S_FALLBACK
            break
        want = j.len * 8
        if want < 65536:
            want = 65536
        if want > j.size:
            want = j.size
    dcmfast_close(fd)
    return rc


cdef inline object _text(const uint8_t* p, Py_ssize_t n, object codec):
    """Decode (codec None: latin-1); a decoding error propagates (the caller falls back)."""
    if codec is None:
        return _latin1(p, n)
    return PyUnicode_Decode(<const char*>p, n, PyBytes_AS_STRING(codec), "strict")


cdef object _numbers(uint16_t vr, const uint8_t* p, Py_ssize_t n, bint little):
    cdef Py_ssize_t size, count, i
    cdef uint64_t raw
    cdef uint32_t raw32
    cdef float f32
    cdef double f64
    if vr == VR_US or vr == VR_SS:
        size = 2
    elif vr == VR_UL or vr == VR_SL or vr == VR_FL or vr == VR_AT:
        size = 4
    else:
        size = 8
    if n % size:
        return _FALLBACK
    count = n // size
    out = [None] * count
    for i in range(count):
        if vr == VR_US:
            out[i] = load_u16(p, little)
        elif vr == VR_SS:
            out[i] = <int16_t>load_u16(p, little)
        elif vr == VR_UL:
            out[i] = load_u32(p, little)
        elif vr == VR_SL:
            out[i] = <int32_t>load_u32(p, little)
        elif vr == VR_AT:
            out[i] = (<uint32_t>load_u16(p, little) << 16) | load_u16(p + 2, little)
        elif vr == VR_UV:
            out[i] = load_u64(p, little)
        elif vr == VR_SV:
            out[i] = <int64_t>load_u64(p, little)
        elif vr == VR_FL:
            raw32 = load_u32(p, little)
            memcpy(&f32, &raw32, 4)
            out[i] = <double>f32
        else:
            raw = load_u64(p, little)
            memcpy(&f64, &raw, 8)
            out[i] = f64
        p += size
    return out[0] if count == 1 else out


# per-item trimming of _items
cdef enum:
    T_NONE = 0      # as is
    T_RNULSP = 1    # rstrip("\x00 ")
    T_WS = 2        # strip() (whitespace both ends)
    T_REQ = 3       # rstrip("=")  (str(PersonName): no trailing empty groups)
    T_DS = 4        # DS item -> float / None
    T_IS = 5        # IS item -> int / None


cdef inline Py_ssize_t _rtrim_nulsp(const uint8_t* p, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    while b > a and (p[b - 1] == 0 or p[b - 1] == 0x20):
        b -= 1
    return b


cdef inline Py_ssize_t _rtrim_ws(const uint8_t* p, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    while b > a and _is_space(p[b - 1]):
        b -= 1
    return b


cdef inline Py_ssize_t _ltrim_ws(const uint8_t* p, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    while a < b and _is_space(p[a]):
        a += 1
    return a


cdef object _ds_item(const uint8_t* p, Py_ssize_t a, Py_ssize_t b):
    """A DS item as the facade's _make_ds then plain_value: float, None if blank."""
    cdef char buf[40]
    cdef Py_ssize_t i
    cdef uint8_t c
    cdef bint simple = True
    cdef double d
    a = _ltrim_ws(p, a, b)
    b = _rtrim_ws(p, a, b)
    if a == b:
        return None
    if b - a < 40:
        for i in range(a, b):
            c = p[i]
            if not ((0x30 <= c <= 0x39) or c == 0x2B or c == 0x2D or c == 0x2E
                    or c == 0x45 or c == 0x65):
                simple = False
                break
        if simple:
            if exact_double(p + a, b - a, &d):
                return d
            memcpy(buf, p + a, b - a)
            buf[b - a] = 0
            try:
                return PyOS_string_to_double(buf, NULL, NULL)
            except ValueError:
                return _FALLBACK
    try:
        return PyFloat_FromString(_latin1(p + a, b - a))
    except ValueError:
        return _FALLBACK


cdef object _is_item(const uint8_t* p, Py_ssize_t a, Py_ssize_t b):
    """An IS item as the facade's IS() then plain_value: int, None if blank."""
    cdef Py_ssize_t i, s, e
    cdef int64_t v = 0
    cdef bint neg = False
    s = _ltrim_ws(p, a, b)
    e = _rtrim_ws(p, s, b)
    if s == e:
        return None
    i = s
    if p[i] == 0x2B or p[i] == 0x2D:
        neg = p[i] == 0x2D
        i += 1
    if 0 < e - i <= 15:
        while i < e and 0x30 <= p[i] <= 0x39:
            v = v * 10 + (p[i] - 0x30)
            i += 1
        if i == e:
            return -v if neg else v
    # anything else as pydicom's IS(text): int(text), but an ISfloat when
    # float(text) differs from it (beyond 2**53); not an int: the facade's way
    text = _latin1(p + a, b - a)
    try:
        v_obj = PyLong_FromUnicodeObject(text, 10)
    except ValueError:
        return _FALLBACK
    if not -9007199254740992 < v_obj < 9007199254740992:
        f_obj = PyFloat_FromString(text)
        if f_obj != v_obj:
            return f_obj
    return v_obj


cdef inline object _item(const uint8_t* p, Py_ssize_t a, Py_ssize_t b, int mode, object codec):
    if mode == T_RNULSP:
        b = _rtrim_nulsp(p, a, b)
    elif mode == T_WS:
        a = _ltrim_ws(p, a, b)
        b = _rtrim_ws(p, a, b)
    elif mode == T_REQ:
        while b > a and p[b - 1] == 0x3D:
            b -= 1
    elif mode == T_DS:
        return _ds_item(p, a, b)
    elif mode == T_IS:
        return _is_item(p, a, b)
    return _text(p + a, b - a, codec)


cdef object _items(const uint8_t* p, Py_ssize_t n, int mode, object codec):
    """Split on backslash, trim each item (mode) and decode: a str, or a list of several.

    Splitting and trimming the bytes equals doing it on the decoded text for
    latin-1 and for the ASCII-compatible codecs handled here (backslash, NUL,
    space and "=" never occur inside a multi-byte UTF-8 character).
    """
    cdef const uint8_t* sep = <const uint8_t*>memchr(p, 0x5C, n)
    cdef Py_ssize_t a, b
    cdef list out
    if sep == NULL:
        return _item(p, 0, n, mode, codec)
    out = []
    a = 0
    while True:
        b = sep - p if sep != NULL else n
        v = _item(p, a, b, mode, codec)
        if v is _FALLBACK:
            return _FALLBACK
        out.append(v)
        if sep == NULL:
            break
        a = b + 1
        sep = <const uint8_t*>memchr(p + a, 0x5C, n - a)
    return out


cdef object _convert(uint16_t vr, const uint8_t* p, Py_ssize_t n, bint little, object codec):
    """One value as a plain Python value, or _FALLBACK.

    The same results as values.pyx's converter for the VR followed by
    dcmfast.ingest.plain_value (the comments give the facade's Python).
    """
    cdef Py_ssize_t a, b
    if n == 0:
        if (vr == VR_PN or vr == VR_AE or vr == VR_AS or vr == VR_CS or vr == VR_DA
                or vr == VR_DT or vr == VR_LO or vr == VR_LT or vr == VR_SH or vr == VR_ST
                or vr == VR_TM or vr == VR_UC or vr == VR_UI or vr == VR_UR or vr == VR_UT):
            return ""
        if vr == VR_SQ or vr == VR_UN:
            return _FALLBACK
        return None
    if (vr == VR_US or vr == VR_SS or vr == VR_UL or vr == VR_SL or vr == VR_FL
            or vr == VR_FD or vr == VR_UV or vr == VR_SV or vr == VR_AT):
        return _numbers(vr, p, n, little)
    if vr == VR_AS or vr == VR_CS or vr == VR_DA or vr == VR_DT or vr == VR_TM:
        # text.rstrip(" \x00").split("\\")
        return _items(p, _rtrim_nulsp(p, 0, n), T_NONE, None)
    if vr == VR_UI:
        # text.rstrip("\x00 ").split("\\"), UID(item) strips each
        return _items(p, _rtrim_nulsp(p, 0, n), T_WS, None)
    if vr == VR_DS:
        # text.strip().rstrip(" \x00").split("\\"), float(item.strip()) / blank
        a = _ltrim_ws(p, 0, n)
        b = _rtrim_nulsp(p, a, _rtrim_ws(p, a, n))
        return _items(p + a, b - a, T_DS, None)
    if vr == VR_IS:
        # text.rstrip(" \x00").split("\\"), IS(item) / blank
        return _items(p, _rtrim_nulsp(p, 0, n), T_IS, None)
    if vr == VR_AE:
        # [s.strip() for s in text.split("\\")]
        return _items(p, n, T_WS, None)
    if vr == VR_UR:
        # text.rstrip()
        return _latin1(p, _rtrim_ws(p, 0, n))
    if vr == VR_OB or vr == VR_OW or vr == VR_OD or vr == VR_OF or vr == VR_OL or vr == VR_OV:
        return PyBytes_FromStringAndSize(<const char*>p, n)
    if not (vr == VR_SH or vr == VR_LO or vr == VR_UC or vr == VR_PN
            or vr == VR_LT or vr == VR_ST or vr == VR_UT):
        return _FALLBACK
    # text in the character set
    if memchr(p, 0x1B, n) != NULL:
        return _FALLBACK      # ISO 2022 escapes: pydicom's decoder
    try:
        if vr == VR_PN:
            # bytes rstripped of NUL/space, split, str(PersonName) of each
            return _items(p, _rtrim_nulsp(p, 0, n), T_REQ, codec)
        if vr == VR_LT or vr == VR_ST or vr == VR_UT:
            # decoded.rstrip("\x00 ")
            return _text(p, _rtrim_nulsp(p, 0, n), codec)
        # SH LO UC: decoded.split("\\"), each rstrip("\x00 ")
        return _items(p, n, T_RNULSP, codec)
    except (UnicodeError, LookupError):
        return _FALLBACK      # replacement characters and a warning: the facade's way


cdef object _json_numbers(list value, object fallback):
    """A list of ints / finite floats as JSON text (floats as repr); others: fallback(value)."""
    cdef Py_ssize_t i, n = len(value)
    cdef double d
    cdef char* text
    parts = [None] * n
    for i in range(n):
        v = value[i]
        if type(v) is float:
            d = v
            if d != d or d == 1e308 * 10 or d == -1e308 * 10:
                return fallback(value)
            text = PyOS_double_to_string(d, b"r", 0, Py_DTSF_ADD_DOT_0, NULL)
            try:
                parts[i] = PyUnicode_DecodeLatin1(text, strlen(text), NULL)
            finally:
                PyMem_Free(text)
        elif type(v) is int:
            parts[i] = str(v)
        else:
            return fallback(value)
    return "[" + ", ".join(parts) + "]"


cdef object _memo_value(_Workspace ws, Py_ssize_t k, uint16_t vr, const uint8_t* p, Py_ssize_t n,
                        bint little, object codec, object list_encoder):
    """The plain value of one tag (_convert, lists as JSON when list_encoder is given).

    A value with the same bytes (and VR, byte order and codec) as the last one
    converted for this tag in this workspace is the same object (a copy for a
    list): the files of a series mostly repeat their values.
    """
    cdef uint8_t* raw = ws.memo_raw + k * MEMO_MAX
    if (ws.memo_len[k] == n and ws.memo_vr[k] == vr and ws.memo_little[k] == little
            and ws.memo_codec[k] is codec and memcmp(raw, p, n) == 0):
        value = ws.memo_value[k]
        if type(value) is list:
            return PyList_GetSlice(value, 0, PY_SSIZE_T_MAX)
        return value
    value = _convert(vr, p, n, little, codec)
    if value is _FALLBACK:
        return value
    if list_encoder is not None and type(value) is list:
        value = _json_numbers(<list>value, list_encoder)
    if n <= MEMO_MAX:
        ws.memo_len[k] = -1
        memcpy(raw, p, n)
        ws.memo_vr[k] = vr
        ws.memo_little[k] = little
        ws.memo_codec[k] = codec
        # a list is remembered as is, not copied: nothing changes it before the
        # batch ends, when settle() copies it (once a batch, not once a file)
        ws.memo_value[k] = value
        ws.memo_lent[k] = type(value) is list
        ws.memo_len[k] = n
    return value


cdef object _ts_value(Job* j, _Workspace ws):
    """The transfer syntax UID, trimmed as reader._uid_value (the last one is reused)."""
    cdef bytes raw = ws.ts_raw
    if j.ts_offset < 0:
        return None
    if (raw is not None and PyBytes_GET_SIZE(raw) == j.ts_length
            and memcmp(PyBytes_AS_STRING(raw), j.buf + j.ts_offset, j.ts_length) == 0):
        return ws.ts_value
    value = _latin1(j.buf + j.ts_offset, j.ts_length).rstrip("\x00 ").strip()
    ws.ts_raw = PyBytes_FromStringAndSize(<const char*>j.buf + j.ts_offset, j.ts_length)
    ws.ts_value = value
    return value


cpdef list compact_row(list row):
    """[mask, *the values of row that are not None]: bit i of mask is set when row[i] is not None.

    The form of the rows written to SQLite: None values are left out of the
    statement (their columns default to NULL) rather than bound, because
    sqlite3 binds None through its adapter protocol (attribute lookups that
    fail), which costs more than the rest of the row.
    """
    cdef Py_ssize_t i, n = len(row)
    cdef uint64_t bits = 0
    cdef list out = [None]
    big = 0
    for i in range(n):
        v = row[i]
        if v is not None:
            out.append(v)
            if i < 63:
                bits |= (<uint64_t>1) << i
            else:
                big |= (<object>1) << i   # a Python int: no C overflow
    out[0] = bits | big if big else bits
    return out


cdef inline bint _same(object a, object b):
    """a and b are stored alike by SQLite: the same object, or equal str / int."""
    if a is b:
        return True
    t = type(a)
    return t is type(b) and (t is str or t is int) and a == b


def insert_groups(list rows, Py_ssize_t max_rows=32, Py_ssize_t max_params=999):
    """Split compact rows (compact_row) into groups for multi-row INSERT statements.

    Returns a list of (mask, shared, n, params): n consecutive rows with the
    same mask; bit c of shared is set when every one of them has the same
    value at c (bound once, and named by every row of the statement);
    params: the mask, the shared values, then each row's other values. The
    files of a series share most of their values, and binding a value is
    most of the cost of an INSERT through sqlite3 (with the GIL held).
    """
    cdef Py_ssize_t start = 0, end, n = len(rows), k, c, r, unique, count
    cdef list first, row, params, out = []
    cdef uint64_t shared
    while start < n:
        first = <list>rows[start]
        k = len(first)
        mask = first[0]
        if k > 64:
            max_group = 1
        else:
            max_group = max_rows
        # the run of rows with this mask (as many as fit in one statement)
        end = start + 1
        while end < n and end - start < max_group and (<list>rows[end])[0] == mask:
            end += 1
        shared = 0
        if end - start > 1:
            for c in range(1, k):
                v = first[c]
                for r in range(start + 1, end):
                    if not _same(v, (<list>rows[r])[c]):
                        break
                else:
                    shared |= (<uint64_t>1) << c
        count = 0
        for c in range(1, k):
            if shared >> c & 1:
                count += 1
        unique = k - 1 - count
        # at most max_params parameters a statement
        if 1 + count + (end - start) * unique > max_params:
            end = start + max(1, (max_params - 1 - count) // max(1, unique))
        params = [mask]
        for c in range(1, k):
            if shared >> c & 1:
                params.append(first[c])
        for r in range(start, end):
            row = <list>rows[r]
            for c in range(1, k):
                if not (shared >> c & 1):
                    params.append(row[c])
        out.append((mask, shared, end - start, params))
        start = end
    return out


cdef class Extractor:
    """Reads batches of files and extracts the values of a fixed set of top-level tags.

    tags: the tags (ints) in output order; vrs: for each, the VR to use when
    the file does not say (implicit VR): a two-letter VR, or "" when only the
    facade can tell (unknown, private, ambiguous, sequence) or "*" to always
    use the facade for this tag. sq_tags: the sorted uint32 array of tags whose
    dictionary VR is SQ (as given to ``parse.set_dictionary``). keys: when
    given (the 6 record fields then one name per tag), read_rows makes dicts
    instead of lists. compact: read_rows makes rows in the form of
    compact_row() (for SQLite).
    """

    def __cinit__(self):
        self.want = NULL
        self.dict_vr = NULL
        self.sorted_want = NULL
        self.sorted_pos = NULL
        self.n = 0

    def __dealloc__(self):
        free(self.want)
        free(self.dict_vr)
        free(self.sorted_want)
        free(self.sorted_pos)

    def __init__(self, tags, vrs, sq_tags, *, bint stop_before_pixels=True,
                 Py_ssize_t prefix=DEFAULT_PREFIX, dict charsets=None, object list_encoder=None,
                 object keys=None, bint compact=False):
        cdef Py_ssize_t i, n = len(tags)
        cdef const uint32_t[::1] sq = sq_tags
        if len(vrs) != n:
            raise ValueError("one VR per tag")
        if prefix < 256:
            raise ValueError("prefix must be at least 256 bytes")
        if keys is not None and compact:
            raise ValueError("keys and compact exclude each other")
        self.compact = compact
        if keys is not None:
            keys = tuple(keys)
            if len(keys) != 6 + n or not all(type(k) is str for k in keys) or len(set(keys)) != len(keys):
                raise ValueError("keys: 6 record fields and one name per tag, distinct str")
            self._keys = keys
            self._template = dict.fromkeys(keys)
        else:
            self._keys = None
            self._template = None
        self.want = <uint32_t*>malloc(max(n, 1) * sizeof(uint32_t))
        self.dict_vr = <uint16_t*>malloc(max(n, 1) * sizeof(uint16_t))
        self.sorted_want = <uint32_t*>malloc(max(n, 1) * sizeof(uint32_t))
        self.sorted_pos = <Py_ssize_t*>malloc(max(n, 1) * sizeof(Py_ssize_t))
        if not (self.want and self.dict_vr and self.sorted_want and self.sorted_pos):
            raise MemoryError()
        order = sorted(range(n), key=lambda k: tags[k])
        stop_after = TAG_CHARSET
        for i in range(n):
            tag = int(tags[i])
            if not 0 <= tag <= 0xFFFFFFFF:
                raise ValueError(f"not a tag: {tag!r}")
            self.want[i] = tag
            self.dict_vr[i] = VR_FACADE if vrs[i] == "*" else pack_vr(vrs[i])
            self.sorted_want[i] = int(tags[order[i]])
            self.sorted_pos[i] = order[i]
            if tag > stop_after:
                stop_after = tag
        self.n = n
        self.tags = tuple(int(t) for t in tags)
        self.stop_after = stop_after
        self.stop_pixels = stop_before_pixels
        self.prefix = prefix
        self.sq_tags = &sq[0] if sq.shape[0] else NULL
        self.n_sq = sq.shape[0]
        self._keep = (sq_tags, sq)
        self._pool = []
        # rows for SQLite: lists become JSON text (numbers here, others by list_encoder)
        self.list_encoder = list_encoder
        # Specific Character Set term -> codec (None: latin-1); absent: not handled here
        self._codecs = {}
        for term, codec in (charsets or {}).items():
            if codec in _LATIN1:
                self._codecs[term] = None
            elif codec in _SINGLE_BYTE:
                self._codecs[term] = codec.encode("ascii")

    cdef object _codec_of(self, const uint8_t* p, Py_ssize_t n, bint* ok):
        """The codec of a Specific Character Set value (None: latin-1); ok False when not handled here."""
        ok[0] = True
        text = _latin1(p, n).rstrip(" \x00")
        if not text:
            return None
        if "\\" in text or text not in self._codecs:
            ok[0] = False
            return None
        return self._codecs[text]

    cdef bint _values(self, Job* j, _Workspace ws, list out, object d, Py_ssize_t offset) except -1:
        """The plain values of the tags asked for (found by _match): into out[offset:], or
        into the dict d (keys[offset:]) when d is not None; False: use the facade."""
        cdef Py_ssize_t k, n = self.n
        cdef Entry* e
        cdef uint16_t vr
        cdef bint ok = True, meta
        cdef bytes raw
        codec = None
        if j.cs_offset >= 0:
            raw = ws.cs_raw
            if (raw is not None and PyBytes_GET_SIZE(raw) == j.cs_length
                    and memcmp(PyBytes_AS_STRING(raw), j.buf + j.cs_offset, j.cs_length) == 0):
                codec = ws.cs_codec
                ok = ws.cs_ok
            else:
                codec = self._codec_of(j.buf + j.cs_offset, j.cs_length, &ok)
                ws.cs_raw = PyBytes_FromStringAndSize(<const char*>j.buf + j.cs_offset, j.cs_length)
                ws.cs_codec = codec
                ws.cs_ok = ok
            if not ok:
                return False
        keys = self._keys
        for k in range(n):
            e = j.hits[k]
            if e == NULL:
                continue
            vr = j.hit_vr[k]
            meta = (self.want[k] >> 16) == 2
            value = _memo_value(ws, k, vr, j.buf + e.value_offset, e.length,
                                True if meta else j.little,
                                codec if not meta and _is_text_vr(vr) else None,
                                self.list_encoder)
            if value is _FALLBACK:
                return False
            if d is None:
                out[offset + k] = value
            elif value is not None:
                PyDict_SetItem(d, <object>PyTuple_GET_ITEM(keys, offset + k), value)
        return True

    def read_rows(self, list paths):
        """Read a batch of files: (rows, others).

        paths: str (or bytes) paths. rows[k] is the record of paths[k]: a list
        [path, size, mtime_ns, transfer_syntax, None, None, *values] (a dict
        with the keys given instead, when keys were given), or None when the
        file needs more: then others holds (k, status, size, mtime_ns, extra)
        with the errno (STATUS_IO_ERROR) or the exception (STATUS_BAD_PATH) as
        extra. The I/O, indexing and finding of the tags of the whole batch run
        without the GIL; safe to call from several threads at once.
        """
        cdef Py_ssize_t n = len(paths), i, nv = self.n
        cdef _Workspace ws
        cdef Job* jobs
        cdef Job* j
        cdef list encoded = [None] * n
        cdef list rows = [None] * n
        cdef list others = []
        cdef list row
        cdef bint as_dict = self._keys is not None
        cdef const char* data
        if not DCMFAST_HAVE_FD_IO:
            raise NotImplementedError("read_rows needs POSIX file I/O: use extract()")
        if n == 0:
            return rows, others
        # a workspace (job array, buffers, entry arrays, memos) from the pool:
        # reusing its memory spares a page fault per 4 KiB read
        try:
            ws = self._pool.pop()
        except IndexError:
            ws = _Workspace()
        ws.ensure(n, nv)
        jobs = ws.jobs
        keys = self._keys
        try:
            for i in range(n):
                j = &jobs[i]
                _reset_job(j)
                p = paths[i]
                if type(p) is str and PyUnicode_IS_COMPACT_ASCII(p):
                    # an ASCII path is its own file system encoding: no bytes object
                    data = <const char*>PyUnicode_DATA(p)
                    if memchr(data, 0, PyUnicode_GET_LENGTH(p)) == NULL:
                        j.path = data
                        continue
                try:
                    raw = PyUnicode_EncodeFSDefault(p) if isinstance(p, str) else p
                    if not isinstance(raw, bytes):
                        raise TypeError(f"not a path: {p!r}")
                    if memchr(PyBytes_AS_STRING(raw), 0, len(raw)) != NULL:
                        raise ValueError("embedded null byte")
                except (ValueError, UnicodeError, TypeError) as exc:
                    j.status = S_BAD_PATH
                    encoded[i] = exc
                    continue
                encoded[i] = raw
                j.path = PyBytes_AS_STRING(raw)
            with nogil:
                for i in range(n):
                    if jobs[i].path != NULL:
                        jobs[i].status = _run(self, &jobs[i])
            for i in range(n):
                j = &jobs[i]
                if j.status == S_OK:
                    p = paths[i]
                    path = p if type(p) is str else str(p)
                    if as_dict:
                        d = PyDict_Copy(self._template)
                        PyDict_SetItem(d, <object>PyTuple_GET_ITEM(keys, 0), path)
                        PyDict_SetItem(d, <object>PyTuple_GET_ITEM(keys, 1), j.size)
                        PyDict_SetItem(d, <object>PyTuple_GET_ITEM(keys, 2), j.mtime_ns)
                        PyDict_SetItem(d, <object>PyTuple_GET_ITEM(keys, 3), _ts_value(j, ws))
                        if self._values(j, ws, None, d, 6):
                            rows[i] = d
                            continue
                    else:
                        row = [None] * (6 + nv)
                        row[0] = path
                        row[1] = j.size
                        row[2] = j.mtime_ns
                        row[3] = _ts_value(j, ws)
                        if self._values(j, ws, row, None, 6):
                            rows[i] = compact_row(row) if self.compact else row
                            continue
                    others.append((i, S_FALLBACK, j.size, j.mtime_ns, None))
                elif j.status == S_IO_ERROR:
                    others.append((i, S_IO_ERROR, None, None, j.err_no))
                elif j.status == S_BAD_PATH:
                    others.append((i, S_BAD_PATH, None, None, encoded[i]))
                elif j.status == S_NOMEM:
                    others.append((i, S_FALLBACK, j.size, j.mtime_ns, None))
                else:
                    others.append((i, j.status, j.size, j.mtime_ns, None))
            return rows, others
        finally:
            for i in range(n):
                jobs[i].path = NULL
                _release_job(&jobs[i], True)
            ws.settle()
            if len(self._pool) < 64:
                self._pool.append(ws)

    def extract(self, object buffer):
        """Extract from the whole content of one file already in memory.

        Returns (status, transfer_syntax, values) as read_rows does (size and
        mtime are the caller's business); values is a list in tag order (lists
        as JSON text when a list_encoder was given).
        """
        cdef const uint8_t[::1] view = buffer
        cdef _Workspace ws
        cdef Job* j
        try:
            ws = self._pool.pop()
        except IndexError:
            ws = _Workspace()
        ws.ensure(1, self.n)
        j = &ws.jobs[0]
        _reset_job(j)
        _release_job(j, False)
        j.buf = <uint8_t*>&view[0] if view.shape[0] else <uint8_t*>b""
        j.len = view.shape[0]
        j.size = j.len
        j.complete = True
        try:
            with nogil:
                j.status = _index(self, j)
                if j.status == S_OK:
                    j.status = _match(self, j)
            if j.status != S_OK:
                return (j.status, None, None)
            values = [None] * self.n
            if not self._values(j, ws, values, None, 0):
                return (S_FALLBACK, None, None)
            return (S_OK, _ts_value(j, ws), values)
        finally:
            j.buf = NULL
            j.cap = 0
            j.len = 0
            _release_job(j, False)
            ws.settle()
            if len(self._pool) < 64:
                self._pool.append(ws)


cdef class _Workspace:
    """Jobs whose buffers and entry arrays are kept between batches, and the memos."""

    def __cinit__(self):
        self.jobs = NULL
        self.cap = 0
        self.ntags = -1
        self.hits = NULL
        self.hit_vr = NULL
        self.memo_raw = NULL
        self.memo_len = NULL
        self.memo_vr = NULL
        self.memo_little = NULL
        self.memo_lent = NULL

    cdef int settle(self) except -1:
        """Copy the remembered lists given out in this batch (the caller may change those)."""
        cdef Py_ssize_t k
        for k in range(self.ntags):
            if self.memo_lent[k]:
                self.memo_value[k] = PyList_GetSlice(self.memo_value[k], 0, PY_SSIZE_T_MAX)
                self.memo_lent[k] = 0
        return 0

    cdef int ensure(self, Py_ssize_t n, Py_ssize_t ntags) except -1:
        cdef Job* grown
        cdef Entry** hits
        cdef uint16_t* hit_vr
        cdef Py_ssize_t i, m = max(ntags, 1)
        if self.ntags < 0:
            self.memo_raw = <uint8_t*>malloc(m * MEMO_MAX)
            self.memo_len = <Py_ssize_t*>malloc(m * sizeof(Py_ssize_t))
            self.memo_vr = <uint16_t*>malloc(m * sizeof(uint16_t))
            self.memo_little = <uint8_t*>malloc(m)
            self.memo_lent = <uint8_t*>calloc(m, 1)
            if not (self.memo_raw and self.memo_len and self.memo_vr and self.memo_little
                    and self.memo_lent):
                raise MemoryError()
            for i in range(m):
                self.memo_len[i] = -1
            self.memo_codec = [None] * m
            self.memo_value = [None] * m
            self.ntags = ntags
        elif ntags != self.ntags:
            raise ValueError("a workspace serves one Extractor")
        if n <= self.cap:
            return 0
        grown = <Job*>realloc(self.jobs, n * sizeof(Job))
        if grown == NULL:
            raise MemoryError()
        memset(grown + self.cap, 0, (n - self.cap) * sizeof(Job))
        self.jobs = grown
        self.cap = n
        hits = <Entry**>realloc(self.hits, n * m * sizeof(Entry*))
        if hits == NULL:
            raise MemoryError()
        self.hits = hits
        hit_vr = <uint16_t*>realloc(self.hit_vr, n * m * sizeof(uint16_t))
        if hit_vr == NULL:
            raise MemoryError()
        self.hit_vr = hit_vr
        for i in range(n):
            self.jobs[i].hits = self.hits + i * m
            self.jobs[i].hit_vr = self.hit_vr + i * m
        return 0

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self.jobs != NULL:
            for i in range(self.cap):
                _release_job(&self.jobs[i], False)
            free(self.jobs)
        free(self.hits)
        free(self.hit_vr)
        free(self.memo_raw)
        free(self.memo_len)
        free(self.memo_vr)
        free(self.memo_little)
        free(self.memo_lent)
