# cython: language_level=3
"""Per-pixel kernels of the grey-scale and palette pipeline (modality LUT,
rescale, VOI LUT, windowing, palette colour).

Three loops, each run without the GIL on a range of pixels so that callers can
split an image across threads:

* :func:`gather` - ``out[i] = table[src[i] - offset]``: a row of any width per
  integer input value. The Python layer builds the table by applying pydicom's
  own arithmetic (in numpy) to every value the input type can hold (or to every
  value between the input's minimum and maximum), so any per-pixel mapping whose
  result depends only on the pixel value is reproduced bit for bit.
* :func:`window_linear` - pydicom's LINEAR / LINEAR_EXACT windowing computed
  directly on float or 32/64-bit integer input, with the operations in pydicom's
  order (one IEEE double rounding each, as numpy does).
* :func:`rescale` - ``v * slope + intercept`` in double, as numpy does it.

Buffers come in as contiguous ``uint8`` memoryviews with an item size; values are
loaded through ``memcpy`` so unaligned views are safe. Every range and length is
checked holding the GIL.
"""
from libc.stdint cimport (
    int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, uintptr_t,
)
from libc.string cimport memcpy

ctypedef fused idx_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    uint64_t
    int32_t
    int64_t

ctypedef fused row_t:
    uint8_t
    uint16_t
    uint32_t
    uint64_t

ctypedef fused num_t:
    float
    double
    int8_t
    uint8_t
    int16_t
    uint16_t
    int32_t
    uint32_t
    int64_t
    uint64_t

cdef extern from *:
    """
    /* pydicom's LINEAR windowing of aligned float64 input, written so that the
       compiler vectorizes it: the formula for every pixel, then the two clamps.
       GCC if-converts the selects only when comparisons may not trap; that
       option changes no result (no reassociation, no contraction on x86-64). */
    #if defined(__GNUC__) && !defined(__clang__)
    __attribute__((optimize("no-trapping-math")))
    #endif
    static void dcmfast_window_f64(const double* __restrict src, Py_ssize_t n,
                                   double* __restrict out, double lo, double hi,
                                   double center, double width, double y_min,
                                   double y_max, double y_range) {
        for (Py_ssize_t i = 0; i < n; i++) {
            double v = src[i], t;
            t = (v - center) / width;
            t = t + 0.5;
            t = t * y_range;
            t = t + y_min;
            t = v > hi ? y_max : t;
            out[i] = v <= lo ? y_min : t;
        }
    }
    """
    void dcmfast_window_f64(const double* src, Py_ssize_t n, double* out, double lo, double hi,
                            double center, double width, double y_min, double y_max,
                            double y_range) noexcept nogil


# input kinds: (item size, signed, float) -> code
cdef enum Kind:
    K_U8 = 0
    K_I8 = 1
    K_U16 = 2
    K_I16 = 3
    K_U32 = 4
    K_I32 = 5
    K_U64 = 6
    K_I64 = 7
    K_F32 = 8
    K_F64 = 9


cdef int _kind(str code) except -1:
    """The Kind of a numpy dtype code ('u1', 'i4', 'f8', ...)."""
    cdef dict kinds = {"u1": K_U8, "i1": K_I8, "u2": K_U16, "i2": K_I16, "u4": K_U32,
                       "i4": K_I32, "u8": K_U64, "i8": K_I64, "f4": K_F32, "f8": K_F64}
    try:
        return kinds[code]
    except KeyError:
        raise ValueError(f"unsupported input type '{code}'") from None


cdef Py_ssize_t _itemsize(int kind) noexcept nogil:
    if kind <= K_I8:
        return 1
    if kind <= K_I16:
        return 2
    if kind <= K_I32 or kind == K_F32:
        return 4
    return 8


cdef Py_ssize_t _gather_rows(const uint8_t* src, Py_ssize_t n, uint64_t offset,
                             const row_t* table, uint64_t nrows, row_t* out,
                             idx_t kind) noexcept nogil:
    """out[i] = table[src[i] - offset] (modular arithmetic, so one unsigned test
    bounds the index); the first pixel whose index is outside the table, or -1."""
    cdef Py_ssize_t i
    cdef uint64_t k
    cdef idx_t v
    for i in range(n):
        memcpy(&v, src + i * <Py_ssize_t>sizeof(idx_t), sizeof(idx_t))
        k = <uint64_t>v - offset
        if k >= nrows:
            return i
        out[i] = table[k]
    return -1


cdef Py_ssize_t _gather_bytes(const uint8_t* src, Py_ssize_t n, uint64_t offset,
                              const uint8_t* table, uint64_t nrows, Py_ssize_t rowbytes,
                              uint8_t* out, idx_t kind) noexcept nogil:
    """As _gather_rows for rows of any byte width (RGB: 3 or 6 bytes)."""
    cdef Py_ssize_t i
    cdef uint64_t k
    cdef idx_t v
    for i in range(n):
        memcpy(&v, src + i * <Py_ssize_t>sizeof(idx_t), sizeof(idx_t))
        k = <uint64_t>v - offset
        if k >= nrows:
            return i
        memcpy(out + i * rowbytes, table + k * rowbytes, rowbytes)
    return -1


cdef Py_ssize_t _gather_kind(const uint8_t* src, Py_ssize_t n, uint64_t offset,
                             const uint8_t* table, uint64_t nrows, Py_ssize_t rowbytes,
                             uint8_t* out, idx_t kind) noexcept nogil:
    if rowbytes == 1:
        return _gather_rows(src, n, offset, <const uint8_t*>table, nrows, <uint8_t*>out, kind)
    if rowbytes == 2:
        return _gather_rows(src, n, offset, <const uint16_t*>table, nrows, <uint16_t*>out, kind)
    if rowbytes == 4:
        return _gather_rows(src, n, offset, <const uint32_t*>table, nrows, <uint32_t*>out, kind)
    if rowbytes == 8:
        return _gather_rows(src, n, offset, <const uint64_t*>table, nrows, <uint64_t*>out, kind)
    return _gather_bytes(src, n, offset, table, nrows, rowbytes, out, kind)


cdef Py_ssize_t _pixels(str name, const uint8_t[::1] src, str code, Py_ssize_t size,
                        Py_ssize_t* start, Py_ssize_t* stop) except -1:
    """The number of `size`-byte pixels `src` holds, with ``start:stop`` checked against it
    (a negative `stop`: the end)."""
    cdef Py_ssize_t n
    if src.shape[0] % size:
        raise ValueError(f"{name}: {src.shape[0]} bytes is not a whole number of '{code}' items")
    n = src.shape[0] // size
    if stop[0] < 0:
        stop[0] = n
    if not 0 <= start[0] <= stop[0] <= n:
        raise ValueError(f"{name}: pixel range {start[0]}:{stop[0]} is outside 0:{n}")
    return n


def gather(const uint8_t[::1] src, str code, const uint8_t[::1] table, Py_ssize_t rowbytes,
           uint8_t[::1] out, long long offset=0, Py_ssize_t start=0, Py_ssize_t stop=-1):
    """``out[i] = table[src[i] - offset]`` for the pixels ``start:stop`` (all by default).

    `src` holds integer pixels of numpy type `code` ('u1', 'i1', ... 'i8'), `table`
    rows of `rowbytes` bytes, `out` one row per pixel. The index is computed modulo
    2**64 (a signed value is sign-extended first), so a table indexed by the
    unsigned bit pattern of signed input is used with the unsigned code. Returns the first pixel
    (from `start`) whose value is outside the table, or -1 when every pixel was
    mapped (the pixels after a bad one are then left unwritten).
    """
    cdef int kind = _kind(code)
    cdef Py_ssize_t size = _itemsize(kind)
    cdef Py_ssize_t n, bad = -1
    cdef uint64_t nrows, off = <uint64_t>offset
    if kind > K_I64:
        raise ValueError(f"gather: unsupported index type '{code}'")
    if rowbytes < 1:
        raise ValueError("gather: rows must have at least one byte")
    n = _pixels("gather", src, code, size, &start, &stop)
    if table.shape[0] % rowbytes:
        raise ValueError("gather: the table is not a whole number of rows")
    nrows = table.shape[0] // rowbytes
    if out.shape[0] != n * rowbytes:
        raise ValueError(f"gather: 'out' holds {out.shape[0]} bytes, {n * rowbytes} needed")
    if start == stop:
        return -1
    cdef const uint8_t* s = &src[0] + start * size
    cdef const uint8_t* t = &table[0] if nrows else NULL
    cdef uint8_t* o = &out[0] + start * rowbytes
    n = stop - start
    if nrows == 0:
        return start
    with nogil:
        if kind == K_U8:
            bad = _gather_kind(s, n, off, t, nrows, rowbytes, o, <uint8_t>0)
        elif kind == K_I8:
            bad = _gather_kind(s, n, off, t, nrows, rowbytes, o, <int8_t>0)
        elif kind == K_I16:
            bad = _gather_kind(s, n, off, t, nrows, rowbytes, o, <int16_t>0)
        elif kind == K_U16:
            bad = _gather_kind(s, n, off, t, nrows, rowbytes, o, <uint16_t>0)
        elif kind == K_U32:
            bad = _gather_kind(s, n, off, t, nrows, rowbytes, o, <uint32_t>0)
        elif kind == K_I32:
            bad = _gather_kind(s, n, off, t, nrows, rowbytes, o, <int32_t>0)
        elif kind == K_U64:
            bad = _gather_kind(s, n, off, t, nrows, rowbytes, o, <uint64_t>0)
        else:
            bad = _gather_kind(s, n, off, t, nrows, rowbytes, o, <int64_t>0)
    return -1 if bad < 0 else start + bad


cdef void _window(const uint8_t* src, Py_ssize_t n, double* out, double lo, double hi,
                  double center, double width, double y_min, double y_max, double y_range,
                  num_t kind) noexcept nogil:
    """pydicom's LINEAR windowing (as dcmfast_window_f64, for the other input types):
    y_min at or below `lo`, y_max above `hi`, else
    ((v - center) / width + 0.5) * y_range + y_min (NaN falls in between)."""
    cdef Py_ssize_t i
    cdef num_t raw
    cdef double v, t
    # branch-free (the compiler vectorizes it): the formula for every pixel, then
    # the two clamps (disjoint: lo <= hi for every width pydicom accepts)
    for i in range(n):
        memcpy(&raw, src + i * <Py_ssize_t>sizeof(num_t), sizeof(num_t))
        v = <double>raw
        t = (v - center) / width
        t = t + 0.5
        t = t * y_range
        t = t + y_min
        t = y_max if v > hi else t
        out[i] = y_min if v <= lo else t


def window_linear(const uint8_t[::1] src, str code, double[::1] out, double lo, double hi,
                  double center, double width, double y_min, double y_max, double y_range,
                  Py_ssize_t start=0, Py_ssize_t stop=-1):
    """Windowed values of the pixels ``start:stop`` of `src` (numpy type `code`, any
    integer or float type of 1 to 8 bytes) as float64 into `out`."""
    cdef int kind = _kind(code)
    cdef Py_ssize_t size = _itemsize(kind)
    cdef Py_ssize_t n
    n = _pixels("window_linear", src, code, size, &start, &stop)
    if out.shape[0] != n:
        raise ValueError(f"window_linear: 'out' holds {out.shape[0]} values, {n} needed")
    if start == stop:
        return
    cdef const uint8_t* s = &src[0] + start * size
    cdef double* o = &out[0] + start
    n = stop - start
    with nogil:
        if kind == K_F64 and (<uintptr_t>s) % sizeof(double) == 0 and (
                <const uint8_t*>o >= s + n * 8 or <const uint8_t*>(o + n) <= s):
            dcmfast_window_f64(<const double*>s, n, o, lo, hi, center, width, y_min, y_max,
                               y_range)
        elif kind == K_F64:
            _window(s, n, o, lo, hi, center, width, y_min, y_max, y_range, <double>0)
        elif kind == K_F32:
            _window(s, n, o, lo, hi, center, width, y_min, y_max, y_range, <float>0)
        elif kind == K_U8:
            _window(s, n, o, lo, hi, center, width, y_min, y_max, y_range, <uint8_t>0)
        elif kind == K_I8:
            _window(s, n, o, lo, hi, center, width, y_min, y_max, y_range, <int8_t>0)
        elif kind == K_U16:
            _window(s, n, o, lo, hi, center, width, y_min, y_max, y_range, <uint16_t>0)
        elif kind == K_I16:
            _window(s, n, o, lo, hi, center, width, y_min, y_max, y_range, <int16_t>0)
        elif kind == K_U32:
            _window(s, n, o, lo, hi, center, width, y_min, y_max, y_range, <uint32_t>0)
        elif kind == K_I32:
            _window(s, n, o, lo, hi, center, width, y_min, y_max, y_range, <int32_t>0)
        elif kind == K_U64:
            _window(s, n, o, lo, hi, center, width, y_min, y_max, y_range, <uint64_t>0)
        else:
            _window(s, n, o, lo, hi, center, width, y_min, y_max, y_range, <int64_t>0)


cdef void _rescale(const uint8_t* src, Py_ssize_t n, double* out, double slope,
                   double intercept, num_t kind) noexcept nogil:
    """out = float64(v) * slope + intercept, two roundings as numpy's two passes."""
    cdef Py_ssize_t i
    cdef num_t raw
    cdef double v
    for i in range(n):
        memcpy(&raw, src + i * <Py_ssize_t>sizeof(num_t), sizeof(num_t))
        v = <double>raw * slope
        out[i] = v + intercept


def rescale(const uint8_t[::1] src, str code, double[::1] out, double slope, double intercept,
            Py_ssize_t start=0, Py_ssize_t stop=-1):
    """``float64(v) * slope + intercept`` for the pixels ``start:stop`` of `src`."""
    cdef int kind = _kind(code)
    cdef Py_ssize_t size = _itemsize(kind)
    cdef Py_ssize_t n
    n = _pixels("rescale", src, code, size, &start, &stop)
    if out.shape[0] != n:
        raise ValueError(f"rescale: 'out' holds {out.shape[0]} values, {n} needed")
    if start == stop:
        return
    cdef const uint8_t* s = &src[0] + start * size
    cdef double* o = &out[0] + start
    n = stop - start
    with nogil:
        if kind == K_F64:
            _rescale(s, n, o, slope, intercept, <double>0)
        elif kind == K_F32:
            _rescale(s, n, o, slope, intercept, <float>0)
        elif kind == K_U8:
            _rescale(s, n, o, slope, intercept, <uint8_t>0)
        elif kind == K_I8:
            _rescale(s, n, o, slope, intercept, <int8_t>0)
        elif kind == K_U16:
            _rescale(s, n, o, slope, intercept, <uint16_t>0)
        elif kind == K_I16:
            _rescale(s, n, o, slope, intercept, <int16_t>0)
        elif kind == K_U32:
            _rescale(s, n, o, slope, intercept, <uint32_t>0)
        elif kind == K_I32:
            _rescale(s, n, o, slope, intercept, <int32_t>0)
        elif kind == K_U64:
            _rescale(s, n, o, slope, intercept, <uint64_t>0)
        else:
            _rescale(s, n, o, slope, intercept, <int64_t>0)
