# cython: language_level=3
"""The common case of ``pixel_array`` for a dataset read by dcmfast, in one compiled call.

A dataset read from a file keeps its elements in the index until they are asked
for. For the elements that describe the pixel data (Image Pixel module, Pixel
Data, the transfer syntax in the File Meta) this module reads the raw index
entries directly - no DataElement is created, no value converted - and then, for
native little-endian and RLE Lossless data, makes the array in the same call.

It only serves the well-formed case, where the values are exactly those the
Python path (:mod:`dcmfast.pixels.description`) would read and nothing would be
warned about, logged (but RLE's debug message) or raised: a US of two bytes, a
Photometric Interpretation that is one of the known names, a plain Number of
Frames, a known transfer syntax, one fragment per RLE frame, no Extended Offset
Table, and so on. Anything else makes :func:`pixel_array` and :func:`describe`
return None, and the caller takes the Python path, which keeps every check,
warning and error message.

A dataset's element dict wins over the index: an element there (set by the
user, or already read) is taken by its value, with the Python path's rules; an
element of the index is only used while the dataset has not been loaded whole
(from then on its dict is the truth, deletions included).
"""
cimport cython
from cpython.buffer cimport PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.object cimport PyObject, PyObject_GenericSetAttr
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp

cdef extern from "Python.h":
    PyObject* PyDict_GetItemWithError(object d, object key) except? NULL

from dcmfast._core._bytes cimport load_u16, load_u32
from dcmfast._core._vr cimport VR_CS, VR_IS, VR_OB, VR_OW, VR_UI, VR_US
from dcmfast._core.colour cimport ybr_full_to_rgb_kernel
from dcmfast._core.parse cimport F_ENCAPS, F_IMPLICIT, F_UNDEF, Index
from dcmfast._core.rle cimport decode_frames_nogil
from dcmfast._core.unpack cimport clear_unused_bits, count_unused_bits

import logging

import numpy as np

from dcmfast._core.element import DatasetBase
from dcmfast.valuerep import IS

__all__ = ["pixel_array", "describe"]

# the Image Pixel and pixel data elements looked for, by slot
cdef enum:
    S_SPP = 0
    S_PI = 1
    S_PC = 2
    S_NF = 3
    S_ROWS = 4
    S_COLS = 5
    S_BA = 6
    S_BS = 7
    S_PR = 8
    S_EOT = 9
    S_EOTL = 10
    S_FLOAT = 11
    S_DOUBLE = 12
    S_PIXEL = 13
    S_CHARSET = 14
    N_SLOTS = 15

# their tags, by slot (keys of a dataset's element dict: BaseTag equals int)
cdef tuple _KEYS = (0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280010, 0x00280011,
                    0x00280100, 0x00280101, 0x00280103, 0x7FE00001, 0x7FE00002, 0x7FE00008,
                    0x7FE00009, 0x7FE00010, 0x00080005)
cdef object _TS_KEY = 0x00020010
cdef uint32_t _TAGS_PIXEL = 0x7FE00010
cdef str _VR_US = "US", _VR_CS = "CS", _VR_IS = "IS"

# transfer syntax kinds this module decodes
cdef enum:
    K_OTHER = 0       # described only
    K_NATIVE_LE = 1
    K_RLE = 2

cdef enum:
    MAX_RATIO = 64    # pixels.rle.MAX_RATIO: no RLE segment expands more than 64x
    MAX_PI = 16       # the longest Photometric Interpretation value served (CS: 16)
    MAX_FAST_FRAMES = 4096

# Photometric Interpretation values (pixels.description._KNOWN_PHOTOMETRIC)
cdef tuple _PHOTOMETRIC = (
    "MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "YBR_FULL", "YBR_FULL_422",
    "YBR_ICT", "YBR_RCT", "HSV", "ARGB", "CMYK", "YBR_PARTIAL_422", "YBR_PARTIAL_420",
)
cdef tuple _PHOTOMETRIC_BYTES = tuple(s.encode("ascii") for s in _PHOTOMETRIC)
cdef Py_ssize_t PI_YBR_FULL = 4, PI_YBR_FULL_422 = 5
# Specific Character Set values whose conversion has no side effect but caching
cdef tuple _PLAIN_CHARSETS = (b"ISO_IR 100", b"ISO_IR 192", b"ISO_IR 6")

# transfer syntaxes: uid bytes, uid str, kind (filled on first use by _load_syntaxes:
# dcmfast.pixels imports this module)
cdef list _SYNTAX_UIDS = []
cdef list _SYNTAX_STRS = []
cdef list _SYNTAX_KINDS = []
cdef dict _SYNTAX_BY_STR = {}


cdef void _load_syntaxes() except *:
    from dcmfast.pixels._syntax import SYNTAXES

    for uid, syntax in SYNTAXES.items():
        if syntax.kind == "native" and syntax.little_endian:
            kind = K_NATIVE_LE
        elif syntax.kind == "rle":
            kind = K_RLE
        else:
            kind = K_OTHER
        _SYNTAX_BY_STR[uid] = len(_SYNTAX_UIDS)
        _SYNTAX_UIDS.append(uid.encode("ascii"))
        _SYNTAX_STRS.append(uid)
        _SYNTAX_KINDS.append(kind)


# numpy dtypes by [signed][log2(itemsize)], as pixels.description.dtype_str names them
cdef list _DTYPES = [[np.dtype(f"{k}{n}") for n in (1, 2, 4, 8)] for k in "ui"]
cdef object _np_empty = np.empty


cdef object _dtype(Py_ssize_t bits_allocated, Py_ssize_t pixel_representation):
    """The numpy dtype of PixelDescription.dtype_str, or None where numpy has none."""
    if bits_allocated == 8:
        return _DTYPES[pixel_representation][0]
    if bits_allocated == 16:
        return _DTYPES[pixel_representation][1]
    if bits_allocated == 32:
        return _DTYPES[pixel_representation][2]
    if bits_allocated == 64:
        return _DTYPES[pixel_representation][3]
    return None


cdef object _np_frombuffer = np.frombuffer
cdef object _rle_logger = logging.getLogger("dcmfast.pixels.rle")


cdef inline int _slot(uint32_t tag) noexcept nogil:
    cdef uint32_t element = tag & 0xFFFF
    if tag >> 16 == 0x0028:
        if element == 0x0002:
            return S_SPP
        if element == 0x0004:
            return S_PI
        if element == 0x0006:
            return S_PC
        if element == 0x0008:
            return S_NF
        if element == 0x0010:
            return S_ROWS
        if element == 0x0011:
            return S_COLS
        if element == 0x0100:
            return S_BA
        if element == 0x0101:
            return S_BS
        if element == 0x0103:
            return S_PR
    elif tag >> 16 == 0x7FE0:
        if element == 0x0010:
            return S_PIXEL
        if element == 0x0001:
            return S_EOT
        if element == 0x0002:
            return S_EOTL
        if element == 0x0008:
            return S_FLOAT
        if element == 0x0009:
            return S_DOUBLE
    elif tag == 0x00080005:
        return S_CHARSET
    return -1


cdef inline Py_ssize_t _rstrip_sp_nul(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    while n > 0 and (p[n - 1] == 0x20 or p[n - 1] == 0):
        n -= 1
    return n


cdef inline bint _plain(Index index, Py_ssize_t i, unsigned int vr) noexcept:
    """Entry i has a defined length, no flags but implicit, and `vr` or no VR (implicit:
    the dictionary's, which is `vr` for every element read this way)."""
    cdef unsigned int flags = index.entries[i].flags
    return (flags & ~(<unsigned int>F_IMPLICIT)) == 0 and (
        index.entries[i].vr == vr or index.entries[i].vr == 0)


cdef inline const uint8_t* _value(Index index, Py_ssize_t i) noexcept:
    return &index.view[0] + index.entries[i].value_offset


cdef Py_ssize_t _raw_us(Index index, Py_ssize_t i) noexcept:
    """The US value of entry i, or -1 unless it is one plain 2-byte US."""
    if not _plain(index, i, VR_US) or index.entries[i].length != 2:
        return -1
    return load_u16(_value(index, i), index.little_endian)


cdef Py_ssize_t _raw_frames(Index index, Py_ssize_t i) noexcept:
    """Number of Frames from entry i: digits with leading spaces and trailing spaces or
    NULs, at most 12 characters (an IS pydicom reads without a warning), at least 1;
    else -1."""
    cdef const uint8_t* p
    cdef Py_ssize_t n, k = 0, value = 0
    if not _plain(index, i, VR_IS) or index.entries[i].length == 0:
        return -1
    p = _value(index, i)
    n = _rstrip_sp_nul(p, index.entries[i].length)
    if n > 12:
        return -1
    while k < n and p[k] == 0x20:
        k += 1
    if k == n:
        return -1
    while k < n:
        if not 0x30 <= p[k] <= 0x39:
            return -1
        value = value * 10 + (p[k] - 0x30)
        k += 1
    return value if value >= 1 else -1


cdef Py_ssize_t _match(const uint8_t* p, Py_ssize_t n, tuple table):
    """Index of the bytes p[:n] in `table` (a tuple of bytes), or -1."""
    cdef Py_ssize_t k
    cdef bytes item
    for k in range(len(table)):
        item = <bytes>table[k]
        if len(item) == n and memcmp(<const char*>item, p, n) == 0:
            return k
    return -1


cdef Py_ssize_t _raw_photometric(Index index, Py_ssize_t i):
    """Index in _PHOTOMETRIC of entry i's value (a known name padded with spaces or
    NULs, at most 16 bytes), or -1."""
    cdef const uint8_t* p
    if not _plain(index, i, VR_CS) or not 0 < index.entries[i].length <= MAX_PI:
        return -1
    p = _value(index, i)
    return _match(p, _rstrip_sp_nul(p, index.entries[i].length), _PHOTOMETRIC_BYTES)


cdef bint _plain_charset(Index index, Py_ssize_t i):
    """Whether converting (0008,0005) entry i gives a charset without any warning."""
    cdef const uint8_t* p
    if not _plain(index, i, VR_CS) or index.entries[i].length > 16:
        return False
    if index.entries[i].length == 0:
        return True
    p = _value(index, i)
    return _match(p, _rstrip_sp_nul(p, index.entries[i].length), _PLAIN_CHARSETS) >= 0


cdef Py_ssize_t _dict_int(object elem) except -3:
    """A dict element's value as pydicom's _as_int would give it: -2 for no value (as
    absent), -1 for anything the Python path must judge, else the value."""
    value = elem.value
    if value is None:
        return -2
    if type(value) is int or type(value) is IS:
        value = int(value)
        if 0 <= value <= 0xFFFFFFFF:
            return value
    return -1


cdef Py_ssize_t _dict_photometric(object elem) except -3:
    value = elem.value
    if value is None:
        return -2
    if type(value) is not str:
        return -1
    try:
        return _PHOTOMETRIC.index((<str>value).strip())
    except ValueError:
        return -1


cdef Py_ssize_t _syntax_of(object meta) except -3:
    """Index in the syntax tables of `meta`'s (0002,0010) 'Transfer Syntax UID', or -1."""
    cdef Index index
    cdef Py_ssize_t i, n
    cdef const uint8_t* p
    cdef PyObject* found
    if not isinstance(meta, DatasetBase):
        return -1
    if not _SYNTAX_UIDS:
        _load_syntaxes()
    elements = meta._edict
    if elements:
        found = PyDict_GetItemWithError(elements, _TS_KEY)
        if found != NULL:
            value = (<object>found).value
            if not isinstance(value, str) or not value:
                return -1
            return _SYNTAX_BY_STR.get(str(value).strip("\0 "), -1)
    view = meta._view
    if view is None or view.loaded:
        return -1
    index = view.index
    i = index.find(view.first, view.stop, 0x00020010)
    if i < 0 or not _plain(index, i, VR_UI):
        return -1
    p = _value(index, i)
    n = _rstrip_sp_nul(p, index.entries[i].length)
    for k in range(len(_SYNTAX_UIDS)):
        uid = <bytes>_SYNTAX_UIDS[k]
        if len(uid) == n and memcmp(<const char*>uid, p, n) == 0:
            return k
    return -1


@cython.final
cdef class _Image:
    """What the Python path's describe() would find, read straight from the index."""
    cdef Index index
    cdef Py_ssize_t rows, columns, spp, ba, bs, pr, pc, frames, photometric, syntax
    cdef Py_ssize_t value_offset, length, max_bytes
    cdef str pixel_vr

    cdef inline const uint8_t* data(self) noexcept:
        return &self.index.view[0] + self.value_offset

    cdef inline Py_ssize_t itemsize(self) noexcept:
        return self.ba // 8 if self.ba >= 8 else 1

    cdef inline Py_ssize_t frame_pixels(self) noexcept:
        return self.rows * self.columns * self.spp


cdef _Image _read(object ds):
    """The image of `ds` if it is the well-formed, unmodified case, else None."""
    cdef Index index
    cdef Py_ssize_t i, slot, stop
    cdef Py_ssize_t[N_SLOTS] at
    cdef Py_ssize_t[N_SLOTS] values
    cdef PyObject* found
    cdef bint loaded, from_index = False
    cdef _Image image
    cdef unsigned int vr
    if not isinstance(ds, DatasetBase):
        return None
    view = ds._view
    if view is None:
        return None
    index = view.index
    if index is None or index.n == 0 or index.view is None:
        return None
    meta = getattr(ds, "file_meta", None)
    if meta is None:
        return None
    syntax = _syntax_of(meta)
    if syntax < 0:
        return None

    loaded = view.loaded
    for slot in range(N_SLOTS):
        at[slot] = -1
        values[slot] = -2  # absent
    if not loaded:
        # every direct entry: the last one of a tag wins, as in Index.find
        i = view.first
        stop = view.stop
        if stop > index.n:
            stop = index.n
        while 0 <= i < stop:
            slot = _slot(index.entries[i].tag)
            if slot >= 0:
                at[slot] = i
            i = index.entries[i].end

    # The element dict wins over the index. An element there that was read through
    # this view and not set since (its value, converted or not, is its entry's) is
    # read from its entry: the last one with its tag, as View.lookup and load_all.
    elements = ds._edict
    pixel_elem = None
    if elements:
        for slot in range(N_SLOTS):
            found = PyDict_GetItemWithError(elements, _KEYS[slot])
            if found == NULL:
                continue
            elem = <object>found
            if slot == S_CHARSET:
                at[slot] = -2  # in the dict: see below
                continue
            if S_EOT <= slot <= S_DOUBLE:
                return None
            untouched = getattr(elem, "_source", None) is view
            if slot == S_PIXEL:
                if not untouched:
                    return None
                if loaded:
                    at[slot] = index.find(view.first, view.stop, _TAGS_PIXEL)
                if at[slot] < 0:
                    return None
                pixel_elem = elem
                continue
            if untouched and at[slot] >= 0:
                if elem.VR != (_VR_CS if slot == S_PI else _VR_IS if slot == S_NF else _VR_US):
                    return None
                continue
            at[slot] = -1
            try:
                values[slot] = _dict_photometric(elem) if slot == S_PI else _dict_int(elem)
            except Exception:  # noqa: BLE001 - the Python path raises its own error
                return None
            if values[slot] == -1:
                return None
    if at[S_EOT] >= 0 or at[S_EOTL] >= 0 or at[S_FLOAT] >= 0 or at[S_DOUBLE] >= 0:
        return None
    if at[S_PIXEL] < 0:
        return None

    # the Image Pixel values still in the index
    for slot in range(S_EOT):
        i = at[slot]
        if i < 0:
            continue
        if slot == S_PI:
            values[slot] = _raw_photometric(index, i)
        elif slot == S_NF:
            values[slot] = _raw_frames(index, i)
        else:
            values[slot] = _raw_us(index, i)
        if values[slot] < 0:
            return None
        from_index = True

    # required values (pixels.description._from_dataset); Planar Configuration is
    # required for colour native data only
    if (values[S_ROWS] < 0 or values[S_COLS] < 0 or values[S_BA] < 0 or values[S_SPP] < 0
            or values[S_PI] < 0 or values[S_BS] < 0 or values[S_PR] < 0):
        return None
    if values[S_SPP] == 3 and values[S_PC] < 0 and _SYNTAX_KINDS[syntax] == K_NATIVE_LE:
        return None
    if values[S_NF] == -2:
        values[S_NF] = 1
    if values[S_PC] == -2:
        values[S_PC] = 0

    # PixelDescription.validate()
    ba = values[S_BA]
    if not 1 <= ba <= 64 or (ba != 1 and ba % 8):
        return None
    if ba != 1 and ba != 8 and ba != 16 and ba != 32 and ba != 64:
        return None  # no numpy integer type (24, 40, ...): the Python path raises
    if not 1 <= values[S_BS] <= ba:
        return None
    if not 0 < values[S_ROWS] <= 0xFFFF or not 0 < values[S_COLS] <= 0xFFFF:
        return None
    if values[S_NF] < 1:
        return None
    if values[S_SPP] != 1 and values[S_SPP] != 3:
        return None
    if values[S_SPP] == 3 and values[S_PC] > 1:
        return None
    if values[S_PR] > 1:
        return None

    # the Pixel Data element and the VR it would get
    i = at[S_PIXEL]
    if index.entries[i].flags & ~(<unsigned int>(F_IMPLICIT | F_UNDEF | F_ENCAPS)):
        return None
    if index.entries[i].length <= 0:
        return None
    if pixel_elem is not None:
        pixel_vr = pixel_elem.VR
        if type(pixel_vr) is not str:
            return None
    else:
        vr = index.entries[i].vr
        if vr == VR_OB:
            pixel_vr = "OB"
        elif vr == VR_OW:
            pixel_vr = "OW"
        elif vr == 0 and index.entries[i].flags & F_UNDEF:
            pixel_vr = "OB"  # Dataset._correct_ambiguous (which converts the value)
            from_index = True
        elif vr == 0 and getattr(ds, "_read_implicit", None) is True:
            pixel_vr = "OW"
            from_index = True
        else:
            return None

    # converting a value from the index first works out the dataset's charset, which
    # may warn or fail: unless it is a plain one, the Python path does that
    if from_index and view.encodings is None and at[S_CHARSET] != -1:
        if at[S_CHARSET] == -2 or not _plain_charset(index, at[S_CHARSET]):
            return None

    image = _Image.__new__(_Image)
    image.index = index
    image.rows = values[S_ROWS]
    image.columns = values[S_COLS]
    image.spp = values[S_SPP]
    image.ba = ba
    image.bs = values[S_BS]
    image.pr = values[S_PR]
    image.pc = values[S_PC]
    image.frames = values[S_NF]
    image.photometric = values[S_PI]
    image.syntax = syntax
    image.value_offset = index.entries[i].value_offset
    image.length = index.entries[i].length
    image.pixel_vr = pixel_vr
    # pixels.description._max_bytes_of
    try:
        max_bytes = ds.__dict__.get("_max_bytes")
    except AttributeError:
        max_bytes = None
    if type(max_bytes) is int and 0 <= max_bytes <= 0x7FFFFFFFFFFFFFFF:
        image.max_bytes = max_bytes
    elif not isinstance(max_bytes, int):
        from dcmfast._limits import default_max_bytes

        image.max_bytes = min(default_max_bytes(image.length), 0x7FFFFFFFFFFFFFFF)
    else:
        return None
    return image


# ----------------------------------------------------------------------------- arrays

cdef tuple _shape(_Image image, bint lead):
    if image.spp == 1:
        if lead:
            return (image.frames, image.rows, image.columns)
        return (image.rows, image.columns)
    if lead:
        return (image.frames, image.rows, image.columns, image.spp)
    return (image.rows, image.columns, image.spp)


cdef object _native(_Image image):
    """The native little-endian pixel data as a view (pixels.native.decode, then
    processing.correct_unused_bits and shape), or None."""
    cdef Py_ssize_t itemsize = image.ba // 8
    cdef Py_ssize_t count, expected, bad = 0
    cdef const uint8_t* p
    cdef uint8_t* q
    cdef int bits = <int>image.bs
    cdef bint signed = image.pr != 0
    cdef Py_buffer buf
    if image.ba < 8 or image.photometric == PI_YBR_FULL_422:
        return None
    if image.spp == 3 and (image.pc != 0 or image.photometric == PI_YBR_FULL):
        return None  # colour-by-plane or YBR: moved or converted by the Python path
    count = image.frame_pixels() * image.frames
    expected = count * itemsize
    # native._check_length: exact, or one byte of padding; anything else warns or logs
    if image.length != expected and image.length != expected + expected % 2:
        return None
    dtype = _dtype(image.ba, image.pr)
    if dtype is None:
        return None
    arr = _np_frombuffer(image.index.buffer, dtype, count, image.value_offset)
    # a view of the file buffer is read-only: an edit must not change what the dataset
    # reads or writes, nor a buffer the caller passed to dcmread (arr.copy() to edit)
    arr.setflags(write=False)
    if image.bs < image.ba:
        # processing.clear_high_bits: the view when the stored values need no
        # correction, else a corrected copy
        p = image.data()
        with nogil:
            if itemsize == 1:
                bad = count_unused_bits(p, count, bits, signed, <uint8_t>0)
            elif itemsize == 2:
                bad = count_unused_bits(p, count, bits, signed, <uint16_t>0)
            elif itemsize == 4:
                bad = count_unused_bits(p, count, bits, signed, <uint32_t>0)
            else:
                bad = count_unused_bits(p, count, bits, signed, <uint64_t>0)
        if bad:
            arr = arr.copy()
            PyObject_GetBuffer(arr, &buf, PyBUF_WRITABLE)
            q = <uint8_t*>buf.buf
            with nogil:
                if itemsize == 1:
                    clear_unused_bits(q, count, bits, signed, <uint8_t>0)
                elif itemsize == 2:
                    clear_unused_bits(q, count, bits, signed, <uint16_t>0)
                elif itemsize == 4:
                    clear_unused_bits(q, count, bits, signed, <uint32_t>0)
                else:
                    clear_unused_bits(q, count, bits, signed, <uint64_t>0)
            PyBuffer_Release(&buf)
    return arr.reshape(_shape(image, image.frames > 1))


cdef object _rle(_Image image, bint as_rgb, Py_ssize_t min_bytes_per_worker):
    """RLE Lossless frames of one fragment each, small enough for one thread
    (pixels.rle.decode, then shape and to_rgb), or None."""
    cdef const uint8_t* data = image.data()
    cdef Py_ssize_t size = image.length
    cdef Py_ssize_t nbasic, pos, first, n = 0, k, frame_bytes, failed, nr_long = 0
    cdef uint32_t tag, length
    cdef const uint8_t** srcs = NULL
    cdef Py_ssize_t* lens = NULL
    cdef Py_ssize_t* offsets = NULL
    cdef Py_buffer buf
    cdef bint ybr
    if image.ba % 8 or image.frames > MAX_FAST_FRAMES:
        return None
    # pixels.encaps.parse_fragments: the Basic Offset Table item, then the fragments
    if size < 8 or load_u32(data, True) != 0xE000FFFE:
        return None
    length = load_u32(data + 4, True)
    if length % 4 or 8 + <int64_t>length > size:
        return None
    nbasic = length // 4
    first = pos = 8 + length
    if nbasic and nbasic != image.frames:
        return None
    srcs = <const uint8_t**>malloc(image.frames * sizeof(uint8_t*))
    lens = <Py_ssize_t*>malloc(image.frames * sizeof(Py_ssize_t))
    offsets = <Py_ssize_t*>malloc(image.frames * sizeof(Py_ssize_t))
    try:
        if srcs == NULL or lens == NULL or offsets == NULL:
            return None
        while pos + 8 <= size:
            tag = load_u32(data + pos, True)
            if tag == 0xE0DDFFFE:
                break
            if tag != 0xE000FFFE:
                return None
            length = load_u32(data + pos + 4, True)
            if pos + 8 + <int64_t>length > size:
                return None
            if n == image.frames:
                return None  # more fragments than frames: the Python path decides
            srcs[n] = data + pos + 8
            lens[n] = length
            offsets[n] = pos - first
            n += 1
            pos += 8 + length
        else:
            if pos != size:
                return None
        # pixels.encaps.locate_frames: one fragment per frame, whether the Basic
        # Offset Table points at each of them or there is none
        if n != image.frames:
            return None
        for k in range(nbasic):
            if load_u32(data + 8 + 4 * k, True) != <uint64_t>offsets[k]:
                return None
        frame_bytes = image.frame_pixels() * image.itemsize()
        for k in range(n):
            if frame_bytes > MAX_RATIO * lens[k]:
                return None
        if n * frame_bytes > image.max_bytes:
            return None
        # more than one worker's share: the Python path runs the thread pool
        if n > 1 and n * frame_bytes // min_bytes_per_worker > 1:
            return None
        ybr = (as_rgb and image.spp == 3 and
               (image.photometric == PI_YBR_FULL or image.photometric == PI_YBR_FULL_422))
        if ybr and (image.ba != 8 or image.pr != 0):
            return None  # not uint8: processing.to_rgb raises
        dtype = _dtype(image.ba, image.pr)
        if dtype is None:
            return None
        arr = _np_empty(_shape(image, image.frames > 1), dtype)
        PyObject_GetBuffer(arr, &buf, PyBUF_WRITABLE)
        try:
            with nogil:
                failed = decode_frames_nogil(
                    n, srcs, lens, image.rows, image.columns, image.spp, image.ba,
                    <uint8_t*>buf.buf, <int>image.bs if image.bs < image.ba else 0,
                    image.pr != 0, &nr_long)
                if failed == n and ybr:
                    ybr_full_to_rgb_kernel(<uint8_t*>buf.buf, <uint8_t*>buf.buf,
                                           n * image.rows * image.columns)
        finally:
            PyBuffer_Release(&buf)
        if failed != n:
            return None  # malformed: the Python path raises its error
    finally:
        free(<void*>srcs)
        free(lens)
        free(offsets)
    if nr_long:
        _rle_logger.debug("%d RLE segments held more data than their frame needs; it was "
                          "ignored", nr_long)
    return arr


def pixel_array(ds, bint as_rgb, Py_ssize_t min_bytes_per_worker):
    """``pixels.pixel_array(ds)`` (all frames, no options but `as_rgb`: convert YBR to
    RGB) for the common case, or None when the Python path must decide.

    `min_bytes_per_worker` is pixels.rle.MIN_BYTES_PER_WORKER: RLE data worth more
    than one worker thread is left to the Python path and its thread pool.
    """
    cdef _Image image = _read(ds)
    cdef int kind
    if image is None:
        return None
    kind = _SYNTAX_KINDS[image.syntax]
    if kind == K_NATIVE_LE:
        return _native(image)
    if kind == K_RLE:
        return _rle(image, as_rgb, min_bytes_per_worker if min_bytes_per_worker > 0 else 1)
    return None


def describe(ds, cls):
    """The validated ``PixelDescription`` (class `cls`) that
    ``pixels.description.describe(ds)`` would make, or None when the Python path must
    decide."""
    cdef _Image image = _read(ds)
    if image is None:
        return None
    desc = cls.__new__(cls)
    PyObject_GenericSetAttr(desc, "rows", image.rows)
    PyObject_GenericSetAttr(desc, "columns", image.columns)
    PyObject_GenericSetAttr(desc, "samples_per_pixel", image.spp)
    PyObject_GenericSetAttr(desc, "bits_allocated", image.ba)
    PyObject_GenericSetAttr(desc, "bits_stored", image.bs)
    PyObject_GenericSetAttr(desc, "pixel_representation", image.pr)
    PyObject_GenericSetAttr(desc, "planar_configuration", image.pc)
    PyObject_GenericSetAttr(desc, "photometric_interpretation", _PHOTOMETRIC[image.photometric])
    PyObject_GenericSetAttr(desc, "number_of_frames", image.frames)
    PyObject_GenericSetAttr(desc, "transfer_syntax_uid", _SYNTAX_STRS[image.syntax])
    PyObject_GenericSetAttr(desc, "data", memoryview(image.index.buffer)[
        image.value_offset:image.value_offset + image.length])
    PyObject_GenericSetAttr(desc, "pixel_keyword", "PixelData")
    PyObject_GenericSetAttr(desc, "pixel_vr", image.pixel_vr)
    PyObject_GenericSetAttr(desc, "extended_offsets", None)
    PyObject_GenericSetAttr(desc, "max_bytes", image.max_bytes)
    return desc
