# cython: language_level=3
"""RLE Lossless (DICOM PS3.5 Annex G) frame encoding, without the GIL.

A frame of `rows` x `columns` pixels of `samples_per_pixel` little-endian samples
of `bytes_per_sample` bytes (colour-by-pixel, as an ndarray holds them) becomes a
64-byte header and one segment per sample and byte, most significant byte first
(sample 0's segments, then sample 1's ...). Each row is encoded on its own (runs
never cross a row boundary, G.3.1): a run of 3 to 128 equal bytes is a replicate
run (header 257 - n), everything else goes into literal runs of up to 128 bytes
(header n - 1), so a run of 2 equal bytes inside literal data costs no header.
Each segment is padded with one zero byte to an even length.

The output size is bounded before any byte is encoded: a row of n bytes costs at
most n + ceil(n / 128) bytes (one header per 128 literal bytes; a replicate run
always costs less than the bytes it stands for, see `row_bound`). Each frame's
output is a bytes object of that bound, written in place and shrunk at the end.
Every byte plane of a row is split out once, then encoded into its own segment's
region (each at its worst-case offset); the segments are moved together last.

:class:`FrameEncoder` encodes a whole array: several threads may call its
:meth:`run` at once, each taking frames one at a time from a shared counter.
"""
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, _PyBytes_Resize
from cpython.ref cimport PyObject, Py_XDECREF, Py_INCREF
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memmove, memset

from dcmfast._core._release cimport dcmfast_release_pages

from dcmfast.errors import PixelDataError

cdef extern from *:
    """
    /* Little-endian 8-byte load (any alignment), first byte in the low bits;
       the count of trailing zero bits of a non-zero word; an atomic
       fetch-and-add (the frame counter several threads share). */
    #include <string.h>
    static uint64_t dcmfast_load64le(const uint8_t* p) {
        uint64_t v;
        memcpy(&v, p, 8);
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v = __builtin_bswap64(v);
    #endif
        return v;
    }
    #if defined(_MSC_VER)
    #include <intrin.h>
    static int dcmfast_ctz64(uint64_t v) {
        unsigned long i;
        _BitScanForward64(&i, v);
        return (int)i;
    }
    static int64_t dcmfast_fetch_add(int64_t* c, int64_t k) {
        return _InterlockedExchangeAdd64((volatile __int64*)c, k);
    }
    #else
    static int dcmfast_ctz64(uint64_t v) { return __builtin_ctzll(v); }
    static int64_t dcmfast_fetch_add(int64_t* c, int64_t k) {
        return __atomic_fetch_add(c, k, __ATOMIC_RELAXED);
    }
    #endif
    """
    uint64_t dcmfast_load64le(const uint8_t* p) noexcept nogil
    int dcmfast_ctz64(uint64_t v) noexcept nogil
    int64_t dcmfast_fetch_add(int64_t* c, int64_t k) noexcept nogil

cdef enum:
    HEADER_LENGTH = 64
    MAX_SEGMENTS = 15
    MAX_RUN = 128

cdef uint64_t ONES = 0x0101010101010101
cdef uint64_t HIGHS = 0x8080808080808080


cdef inline Py_ssize_t _find_triple(const uint8_t* x, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """The first k >= i with x[k] == x[k + 1] == x[k + 2] (k + 2 < n), else n.

    Eight positions at a time: a zero byte of (x[k:] ^ x[k+1:]) | (x[k+1:] ^ x[k+2:])
    marks a triple; the lowest byte the zero-byte test flags is always a true one.
    """
    cdef uint64_t w0, w1, w2, d, m
    while i + 10 <= n:
        w0 = dcmfast_load64le(x + i)
        w1 = dcmfast_load64le(x + i + 1)
        w2 = dcmfast_load64le(x + i + 2)
        d = (w0 ^ w1) | (w1 ^ w2)
        m = (d - ONES) & ~d & HIGHS
        if m:
            return i + (dcmfast_ctz64(m) >> 3)
        i += 8
    while i + 2 < n:
        if x[i] == x[i + 1] and x[i] == x[i + 2]:
            return i
        i += 1
    return n


cdef inline Py_ssize_t _run_end(const uint8_t* x, Py_ssize_t k, Py_ssize_t limit) noexcept nogil:
    """The end of the run of x[k] that starts at k (at least 3 long), at most `limit`."""
    cdef uint64_t v = x[k] * ONES
    cdef uint64_t d
    cdef Py_ssize_t j = k + 3
    while j + 8 <= limit:
        d = dcmfast_load64le(x + j) ^ v
        if d:
            return j + (dcmfast_ctz64(d) >> 3)
        j += 8
    while j < limit and x[j] == x[k]:
        j += 1
    return j


cdef inline uint8_t* _literal(const uint8_t* x, Py_ssize_t n, uint8_t* o) noexcept nogil:
    """x[0:n] as literal runs of up to 128 bytes at `o`; returns the new end."""
    while n > MAX_RUN:
        o[0] = MAX_RUN - 1
        memcpy(o + 1, x, MAX_RUN)
        o += MAX_RUN + 1
        x += MAX_RUN
        n -= MAX_RUN
    if n > 0:
        o[0] = <uint8_t>(n - 1)
        memcpy(o + 1, x, n)
        o += n + 1
    return o


cdef uint8_t* encode_row(const uint8_t* x, Py_ssize_t n, uint8_t* o) noexcept nogil:
    """Encode the n bytes x[0:n] at `o` (room for row_bound(n) bytes); returns the end."""
    cdef Py_ssize_t lit = 0, k, end, limit
    while True:
        k = _find_triple(x, lit, n)
        if k >= n:
            break
        o = _literal(x + lit, k - lit, o)
        limit = k + MAX_RUN if k + MAX_RUN < n else n
        end = _run_end(x, k, limit)
        o[0] = <uint8_t>(257 - (end - k))
        o[1] = x[k]
        o += 2
        lit = end
    return _literal(x + lit, n - lit, o)


cdef Py_ssize_t row_bound(Py_ssize_t n) noexcept nogil:
    """The most bytes encode_row writes for n bytes: n + ceil(n / 128).

    Literal pieces of L bytes cost L + ceil(L / 128), replicate runs of L >= 3 bytes
    cost 2 <= L - 1, and there is at most one literal piece more than replicate runs.
    """
    return n + (n + MAX_RUN - 1) // MAX_RUN


cdef Py_ssize_t frame_bound(Py_ssize_t rows, Py_ssize_t columns, Py_ssize_t nr_segments) noexcept nogil:
    """The most bytes _encode_frame writes: header, segments, one pad byte each."""
    return HEADER_LENGTH + nr_segments * (rows * row_bound(columns) + 1)


cdef void _split(const uint8_t* row, Py_ssize_t columns, Py_ssize_t bytes_per_sample,
                 Py_ssize_t nr_planes, uint8_t* planes) noexcept nogil:
    """Byte plane p of the row's pixels into planes[p * columns:(p + 1) * columns];
    plane p = sample * bytes_per_sample + b holds byte b counted from the most
    significant one of that (little-endian) sample."""
    cdef Py_ssize_t c, p, off
    cdef uint8_t* p0 = planes
    cdef uint8_t* p1 = planes + columns
    cdef uint8_t* p2 = planes + 2 * columns
    cdef uint8_t* p3 = planes + 3 * columns
    if nr_planes == 2:  # one 16-bit sample (vectorizes)
        for c in range(columns):
            p0[c] = row[2 * c + 1]
            p1[c] = row[2 * c]
        return
    if nr_planes == 3:  # 3 x 8-bit
        for c in range(columns):
            p0[c] = row[3 * c]
            p1[c] = row[3 * c + 1]
            p2[c] = row[3 * c + 2]
        return
    if nr_planes == 4 and bytes_per_sample == 4:  # one 32-bit sample
        for c in range(columns):
            p0[c] = row[4 * c + 3]
            p1[c] = row[4 * c + 2]
            p2[c] = row[4 * c + 1]
            p3[c] = row[4 * c]
        return
    for p in range(nr_planes):
        off = (p // bytes_per_sample) * bytes_per_sample + bytes_per_sample - 1 - p % bytes_per_sample
        p0 = planes + p * columns
        for c in range(columns):
            p0[c] = row[c * nr_planes + off]


cdef inline void _store_u32le(uint8_t* p, uint32_t v) noexcept nogil:
    p[0] = v & 0xFF
    p[1] = (v >> 8) & 0xFF
    p[2] = (v >> 16) & 0xFF
    p[3] = v >> 24


cdef Py_ssize_t encode_frame(const uint8_t* src, Py_ssize_t rows, Py_ssize_t columns,
                             Py_ssize_t samples_per_pixel, Py_ssize_t bytes_per_sample,
                             uint8_t* out, uint8_t* planes) noexcept nogil:
    """Encode one frame at `out` (frame_bound bytes); returns the encoded length.

    `planes` holds samples_per_pixel * bytes_per_sample * columns bytes (unused for
    one 8-bit sample). The caller checked that the bound fits 32-bit offsets.
    """
    cdef Py_ssize_t nr_planes = samples_per_pixel * bytes_per_sample
    cdef Py_ssize_t capacity = rows * row_bound(columns) + 1
    cdef Py_ssize_t row_bytes = columns * nr_planes
    cdef Py_ssize_t r, p, length, pos
    cdef uint8_t* ends[MAX_SEGMENTS]
    cdef const uint8_t* row
    for p in range(nr_planes):
        ends[p] = out + HEADER_LENGTH + p * capacity
    for r in range(rows):
        row = src + r * row_bytes
        if nr_planes == 1:
            ends[0] = encode_row(row, columns, ends[0])
            continue
        _split(row, columns, bytes_per_sample, nr_planes, planes)
        for p in range(nr_planes):
            ends[p] = encode_row(planes + p * columns, columns, ends[p])
    # the segments moved together after the header, each padded to an even length
    memset(out, 0, HEADER_LENGTH)
    _store_u32le(out, <uint32_t>nr_planes)
    pos = HEADER_LENGTH
    for p in range(nr_planes):
        length = ends[p] - (out + HEADER_LENGTH + p * capacity)
        if p:  # segment 0 is in place; the others move down (the regions may overlap)
            memmove(out + pos, out + HEADER_LENGTH + p * capacity, length)
        _store_u32le(out + 4 * (p + 1), <uint32_t>pos)
        pos += length
        if length & 1:
            out[pos] = 0
            pos += 1
    return pos


cdef class FrameEncoder:
    """Encodes the frames of one array into one bytes object each.

    `src` holds `nr_frames` frames of `rows` x `columns` pixels of
    `samples_per_pixel` little-endian samples of `bits_allocated` bits, contiguous,
    colour-by-pixel. Each frame's output is allocated at its worst-case size here;
    :meth:`run` (from any number of threads at once) encodes frames until none is
    left; :meth:`frames` then returns them, shrunk to their encoded length.
    """
    cdef Py_buffer _view
    cdef bint _has_view
    cdef Py_ssize_t _nr_frames, _rows, _columns, _samples, _bytes, _frame_bytes, _capacity
    cdef PyObject** _outs
    cdef uint8_t** _ptrs
    cdef Py_ssize_t* _sizes
    cdef int64_t _next
    cdef list _result

    def __init__(self, src, Py_ssize_t nr_frames, Py_ssize_t rows, Py_ssize_t columns,
                 Py_ssize_t samples_per_pixel, Py_ssize_t bits_allocated):
        cdef Py_ssize_t i, nr_segments
        cdef object obj
        if self._has_view:
            raise RuntimeError("FrameEncoder is initialized once")
        if bits_allocated not in (8, 16, 32, 64):
            raise PixelDataError(
                f"RLE Lossless encoding needs 8, 16, 32 or 64 bits allocated, not {bits_allocated}")
        if samples_per_pixel < 1:
            raise PixelDataError(f"Samples per pixel must be at least 1, not {samples_per_pixel}")
        nr_segments = samples_per_pixel * (bits_allocated // 8)
        if nr_segments > MAX_SEGMENTS:
            raise PixelDataError(
                f"RLE Lossless allows at most {MAX_SEGMENTS} segments per frame: "
                f"{samples_per_pixel} samples of {bits_allocated} bits need {nr_segments}")
        if rows < 1 or columns < 1:
            raise PixelDataError(f"A frame of {rows} x {columns} pixels cannot be RLE encoded")
        if nr_frames < 0:
            raise PixelDataError(f"The number of frames cannot be negative ({nr_frames})")
        if rows > 0xFFFFFFFF // columns // nr_segments:
            raise PixelDataError(f"A {rows} x {columns} frame is too large for RLE Lossless")
        self._capacity = frame_bound(rows, columns, nr_segments)
        if self._capacity > 0xFFFFFFFF:  # segment offsets are 32-bit
            raise PixelDataError(f"A {rows} x {columns} frame is too large for RLE Lossless")
        self._nr_frames = nr_frames
        self._rows = rows
        self._columns = columns
        self._samples = samples_per_pixel
        self._bytes = bits_allocated // 8
        self._frame_bytes = rows * columns * nr_segments
        PyObject_GetBuffer(src, &self._view, PyBUF_SIMPLE)
        self._has_view = True
        if self._view.len % self._frame_bytes or self._view.len // self._frame_bytes != nr_frames:
            raise PixelDataError(
                f"{self._view.len} bytes of pixel data do not hold {nr_frames} frames of "
                f"{self._frame_bytes} bytes")
        self._outs = <PyObject**>calloc(nr_frames + 1, sizeof(PyObject*))
        self._ptrs = <uint8_t**>calloc(nr_frames + 1, sizeof(uint8_t*))
        self._sizes = <Py_ssize_t*>malloc((nr_frames + 1) * sizeof(Py_ssize_t))
        if self._outs == NULL or self._ptrs == NULL or self._sizes == NULL:
            raise MemoryError()
        for i in range(nr_frames):
            obj = PyBytes_FromStringAndSize(NULL, self._capacity)
            Py_INCREF(obj)  # owned by _outs
            self._outs[i] = <PyObject*>obj
            self._ptrs[i] = <uint8_t*>PyBytes_AS_STRING(obj)
            self._sizes[i] = -1

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self._outs != NULL:
            for i in range(self._nr_frames):
                Py_XDECREF(self._outs[i])
            free(self._outs)
        free(self._ptrs)
        free(self._sizes)
        if self._has_view:
            PyBuffer_Release(&self._view)

    @property
    def capacity(self) -> int:
        """The bytes allocated for each frame (the worst-case encoded size)."""
        return self._capacity

    def run(self) -> int:
        """Encode frames (without the GIL) until none is left; returns how many.

        Several threads may run it at once: each frame is taken by one of them.
        """
        cdef Py_ssize_t nr_planes = self._samples * self._bytes
        cdef uint8_t* planes = NULL
        cdef const uint8_t* src = <const uint8_t*>self._view.buf
        cdef int64_t f
        cdef Py_ssize_t done = 0
        if self._result is not None:
            raise RuntimeError("FrameEncoder.run() after frames()")
        if nr_planes > 1:
            planes = <uint8_t*>malloc(nr_planes * self._columns)
            if planes == NULL:
                raise MemoryError()
        with nogil:
            while True:
                f = dcmfast_fetch_add(&self._next, 1)
                if f >= self._nr_frames:
                    break
                self._sizes[f] = encode_frame(src + f * self._frame_bytes, self._rows,
                                              self._columns, self._samples, self._bytes,
                                              self._ptrs[f], planes)
                # the segments were written at their worst-case offsets: the pages past
                # the encoded length are not needed (the frame is shrunk to it later)
                if self._capacity > self._sizes[f] + 1:
                    dcmfast_release_pages(self._ptrs[f] + self._sizes[f] + 1,
                                          <size_t>(self._capacity - self._sizes[f] - 1))
                done += 1
        free(planes)
        return done

    def frames(self) -> list[bytes]:
        """The encoded frames (every :meth:`run` must have returned)."""
        cdef Py_ssize_t i
        cdef object obj
        if self._result is not None:
            return self._result
        for i in range(self._nr_frames):
            if self._sizes[i] < 0:
                raise RuntimeError(f"RLE frame {i} has not been encoded")
        result = []
        for i in range(self._nr_frames):
            _PyBytes_Resize(&self._outs[i], self._sizes[i])
            obj = <object>self._outs[i]
            result.append(obj)
            Py_XDECREF(self._outs[i])
            self._outs[i] = NULL
        self._result = result
        return result


def encoded_bound(Py_ssize_t rows, Py_ssize_t columns, Py_ssize_t nr_segments) -> int:
    """The largest size an RLE frame of `nr_segments` segments of rows x columns
    bytes can take (64-byte header, a pad byte per segment included)."""
    if rows < 0 or columns < 0 or nr_segments < 0:
        raise ValueError("negative frame geometry")
    return frame_bound(rows, columns, nr_segments)
