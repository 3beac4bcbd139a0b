# cython: language_level=3
"""One slice of a volume: samples copied (or converted) from a decoded or stored frame
into the slice's slot of the output array, in one pass without the GIL.

On the way each integer sample gets pydicom's ``correct_unused_bits`` (the bits above
Bits Stored cleared, or the sign extended from them) and, when asked, the rescale
``sample * slope + intercept`` computed in double precision (pydicom's
``apply_modality_lut`` computes in float64) before being stored in the output's type.
A float converted to an integer output is clipped to that type's range (NaN gives 0),
so no input makes the conversion undefined.

:func:`rle_into` decodes an RLE frame into a slot with the same conversion, chunk by
chunk as the decoder produces the samples.
"""
from libc.stdint cimport (int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                          uint32_t, uint64_t)
from libc.string cimport memcpy

from dcmfast._core.rle cimport decode_frame_sink

from dcmfast.errors import PixelDataError

ctypedef fused src_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    int32_t
    float
    double

ctypedef fused dst_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    int32_t
    float
    double

# numpy dtype name -> (kind code, itemsize)
_KINDS = {"uint8": (0, 1), "int8": (1, 1), "uint16": (2, 2), "int16": (3, 2),
          "uint32": (4, 4), "int32": (5, 4), "float32": (6, 4), "float64": (7, 8)}


cdef inline dst_t _from_double(double v, dst_t* _d) noexcept nogil:
    """`v` stored as dst_t: floats as they are, integers rounded toward zero (as numpy's
    astype) after clipping to the type's range, NaN as 0."""
    cdef double lo, hi
    if dst_t is float or dst_t is double:
        return <dst_t>v
    else:
        if v != v:
            return 0
        if dst_t is uint8_t:
            lo, hi = 0.0, 255.0
        elif dst_t is int8_t:
            lo, hi = -128.0, 127.0
        elif dst_t is uint16_t:
            lo, hi = 0.0, 65535.0
        elif dst_t is int16_t:
            lo, hi = -32768.0, 32767.0
        elif dst_t is uint32_t:
            lo, hi = 0.0, 4294967295.0
        else:
            lo, hi = -2147483648.0, 2147483647.0
        if v < lo:
            v = lo
        elif v > hi:
            v = hi
        return <dst_t>v


cdef inline int64_t _fix(int64_t x, bint signed_src, int shift, uint64_t mask) noexcept nogil:
    if signed_src:
        return (<int64_t>((<uint64_t>x) << shift)) >> shift
    return <int64_t>((<uint64_t>x) & mask)


cdef inline int32_t _fix32(int32_t x, bint signed_src, int shift, uint32_t mask) noexcept nogil:
    if signed_src:
        return (<int32_t>((<uint32_t>x) << shift)) >> shift
    return <int32_t>((<uint32_t>x) & mask)


cdef inline int64_t _dst_min(dst_t* _d) noexcept nogil:
    if dst_t is int8_t:
        return -128
    elif dst_t is int16_t:
        return -32768
    elif dst_t is int32_t:
        return -2147483648
    else:
        return 0


cdef inline int64_t _dst_max(dst_t* _d) noexcept nogil:
    if dst_t is uint8_t:
        return 255
    elif dst_t is int8_t:
        return 127
    elif dst_t is uint16_t:
        return 65535
    elif dst_t is int16_t:
        return 32767
    elif dst_t is uint32_t:
        return 4294967295
    else:
        return 2147483647


cdef void _convert_int(const src_t* src, dst_t* dst, Py_ssize_t n, int bits, bint fix_bits,
                       bint rescale, double slope, double intercept) noexcept nogil:
    # One loop per case, with no test inside it that the compiler cannot hoist, so that
    # it vectorizes; sources of up to 16 bits are worked in 32-bit integers.
    cdef Py_ssize_t i
    cdef int64_t x, lo, hi, shift_by
    cdef int32_t x32, lo32, hi32, shift32
    cdef bint signed_src = src_t is int8_t or src_t is int16_t or src_t is int32_t
    cdef bint narrow = src_t is uint8_t or src_t is int8_t or src_t is uint16_t or src_t is int16_t
    cdef int sh64 = 64 - bits
    cdef int sh32 = 32 - bits
    cdef uint64_t mask = ((<uint64_t>1) << bits) - 1 if 0 < bits < 64 else <uint64_t>-1
    cdef uint32_t mask32 = <uint32_t>mask
    cdef bint float_dst = dst_t is float or dst_t is double
    cdef bint both16 = ((src_t is int16_t or src_t is uint16_t)
                        and (dst_t is int16_t or dst_t is uint16_t))
    cdef int sh16 = 16 - bits
    cdef uint16_t mask16 = <uint16_t>mask
    cdef uint16_t shift16
    cdef bint int_shift
    if not rescale:
        if fix_bits and both16 and signed_src:
            for i in range(n):
                dst[i] = <dst_t>(<int16_t>(<uint16_t>src[i] << sh16) >> sh16)
        elif fix_bits and both16:
            for i in range(n):
                dst[i] = <dst_t>(<uint16_t>src[i] & mask16)
        elif fix_bits and narrow:
            for i in range(n):
                dst[i] = <dst_t>_fix32(<int32_t>src[i], signed_src, sh32, mask32)
        elif fix_bits:
            for i in range(n):
                dst[i] = <dst_t>_fix(<int64_t>src[i], signed_src, sh64, mask)
        else:
            for i in range(n):
                dst[i] = <dst_t>src[i]
        return
    # x * 1 + integer: exact in integers (a clip keeps it inside the output type)
    int_shift = (not float_dst and slope == 1.0 and intercept == <double><int64_t>intercept
                 and -1e9 < intercept < 1e9)
    if int_shift:
        shift_by = <int64_t>intercept
        lo = _dst_min(dst)
        hi = _dst_max(dst)
        if narrow and dst_t is not uint32_t and dst_t is not int32_t:
            shift32, lo32, hi32 = <int32_t>shift_by, <int32_t>lo, <int32_t>hi
            if fix_bits and both16 and (signed_src and lo32 <= shift32 - (1 << (bits - 1))
                                        and shift32 + (1 << (bits - 1)) - 1 <= hi32):
                # 16-bit lanes: every result fits the output, so wrapping sums are exact
                shift16 = <uint16_t>shift32
                for i in range(n):
                    dst[i] = <dst_t><int16_t>(
                        <uint16_t>(<int16_t>(<uint16_t>src[i] << sh16) >> sh16) + shift16)
            elif fix_bits and (signed_src and lo32 <= shift32 - (1 << (bits - 1))
                               and shift32 + (1 << (bits - 1)) - 1 <= hi32):
                # every value fits the output: no clip (SSE2 has no 32-bit min / max)
                for i in range(n):
                    dst[i] = <dst_t>(_fix32(<int32_t>src[i], True, sh32, mask32) + shift32)
            elif fix_bits:
                for i in range(n):
                    x32 = _fix32(<int32_t>src[i], signed_src, sh32, mask32) + shift32
                    x32 = lo32 if x32 < lo32 else x32
                    dst[i] = <dst_t>(hi32 if x32 > hi32 else x32)
            else:
                for i in range(n):
                    x32 = <int32_t>src[i] + shift32
                    x32 = lo32 if x32 < lo32 else x32
                    dst[i] = <dst_t>(hi32 if x32 > hi32 else x32)
        else:
            for i in range(n):
                x = <int64_t>src[i]
                if fix_bits:
                    x = _fix(x, signed_src, sh64, mask)
                x = x + shift_by
                x = lo if x < lo else x
                x = hi if x > hi else x
                dst[i] = <dst_t>x
        return
    if narrow:
        if fix_bits:
            for i in range(n):
                dst[i] = _from_double(<double>_fix32(<int32_t>src[i], signed_src, sh32, mask32)
                                      * slope + intercept, dst)
        else:
            for i in range(n):
                dst[i] = _from_double(<double>src[i] * slope + intercept, dst)
    else:
        for i in range(n):
            x = <int64_t>src[i]
            if fix_bits:
                x = _fix(x, signed_src, sh64, mask)
            dst[i] = _from_double(<double>x * slope + intercept, dst)


cdef void _convert(const src_t* src, dst_t* dst, Py_ssize_t n, int bits, bint fix_bits,
                   bint rescale, double slope, double intercept) noexcept nogil:
    cdef Py_ssize_t i
    if src_t is float or src_t is double:
        if rescale:
            for i in range(n):
                dst[i] = _from_double(<double>src[i] * slope + intercept, dst)
        else:
            for i in range(n):
                dst[i] = _from_double(<double>src[i], dst)
    else:
        _convert_int(src, dst, n, bits, fix_bits, rescale, slope, intercept)


cdef void _dispatch_dst(const src_t* src, void* dst, int dst_kind, Py_ssize_t n, int bits,
                        bint fix_bits, bint rescale, double slope,
                        double intercept) noexcept nogil:
    if dst_kind == 0:
        _convert(src, <uint8_t*>dst, n, bits, fix_bits, rescale, slope, intercept)
    elif dst_kind == 1:
        _convert(src, <int8_t*>dst, n, bits, fix_bits, rescale, slope, intercept)
    elif dst_kind == 2:
        _convert(src, <uint16_t*>dst, n, bits, fix_bits, rescale, slope, intercept)
    elif dst_kind == 3:
        _convert(src, <int16_t*>dst, n, bits, fix_bits, rescale, slope, intercept)
    elif dst_kind == 4:
        _convert(src, <uint32_t*>dst, n, bits, fix_bits, rescale, slope, intercept)
    elif dst_kind == 5:
        _convert(src, <int32_t*>dst, n, bits, fix_bits, rescale, slope, intercept)
    elif dst_kind == 6:
        _convert(src, <float*>dst, n, bits, fix_bits, rescale, slope, intercept)
    else:
        _convert(src, <double*>dst, n, bits, fix_bits, rescale, slope, intercept)


cdef void convert_nogil(const uint8_t* src, int src_kind, uint8_t* dst, int dst_kind,
                        Py_ssize_t n, int bits, bint fix_bits, bint rescale, double slope,
                        double intercept) noexcept nogil:
    """Convert `n` samples of kind `src_kind` at `src` to kind `dst_kind` at `dst`."""
    if src_kind == 0:
        _dispatch_dst(<const uint8_t*>src, dst, dst_kind, n, bits, fix_bits, rescale, slope, intercept)
    elif src_kind == 1:
        _dispatch_dst(<const int8_t*>src, dst, dst_kind, n, bits, fix_bits, rescale, slope, intercept)
    elif src_kind == 2:
        _dispatch_dst(<const uint16_t*>src, dst, dst_kind, n, bits, fix_bits, rescale, slope, intercept)
    elif src_kind == 3:
        _dispatch_dst(<const int16_t*>src, dst, dst_kind, n, bits, fix_bits, rescale, slope, intercept)
    elif src_kind == 4:
        _dispatch_dst(<const uint32_t*>src, dst, dst_kind, n, bits, fix_bits, rescale, slope, intercept)
    elif src_kind == 5:
        _dispatch_dst(<const int32_t*>src, dst, dst_kind, n, bits, fix_bits, rescale, slope, intercept)
    elif src_kind == 6:
        _dispatch_dst(<const float*>src, dst, dst_kind, n, bits, fix_bits, rescale, slope, intercept)
    else:
        _dispatch_dst(<const double*>src, dst, dst_kind, n, bits, fix_bits, rescale, slope, intercept)


def _kind(str name):
    try:
        return _KINDS[name]
    except KeyError:
        raise ValueError(f"unsupported sample type '{name}'") from None


def convert(const uint8_t[::1] src, str src_dtype, uint8_t[::1] dst, str dst_dtype, *,
            int bits_stored=0, bint rescale=False, double slope=1.0, double intercept=0.0):
    """Store the samples of `src` (little-endian ``src_dtype``, e.g. ``"int16"``) in
    `dst` (``dst_dtype``), which holds exactly as many samples.

    Integer samples first get pydicom's unused-bit correction when ``0 < bits_stored <``
    their width (sign extension for signed types); with `rescale` each sample becomes
    ``sample * slope + intercept`` computed in double precision. Runs without the GIL;
    `src` and `dst` may not overlap.
    """
    cdef int sk, sz, dk, dz
    cdef Py_ssize_t n, nbytes
    cdef bint fix_bits
    sk, sz = _kind(src_dtype)
    dk, dz = _kind(dst_dtype)
    nbytes = src.shape[0]
    if nbytes % sz:
        raise ValueError(f"{nbytes} bytes is not a whole number of {src_dtype} samples")
    n = nbytes // sz
    if dst.shape[0] != n * dz:
        raise ValueError(f"'dst' holds {dst.shape[0]} bytes, {n * dz} needed")
    if n == 0:
        return
    fix_bits = sk < 6 and 0 < bits_stored < 8 * sz
    if sk == dk and not fix_bits and not rescale:
        with nogil:
            memcpy(&dst[0], &src[0], nbytes)
        return
    with nogil:
        convert_nogil(&src[0], sk, &dst[0], dk, n, bits_stored, fix_bits, rescale, slope,
                      intercept)


cdef struct _SinkCtx:
    uint8_t* dst
    int src_kind
    int dst_kind
    Py_ssize_t dst_size    # bytes per output sample
    Py_ssize_t samples     # samples per pixel
    int bits
    bint fix_bits
    bint rescale
    double slope
    double intercept


cdef void _sink(void* ctx, const uint8_t* samples, Py_ssize_t first,
                Py_ssize_t pixels) noexcept nogil:
    cdef _SinkCtx* c = <_SinkCtx*>ctx
    convert_nogil(samples, c.src_kind, c.dst + first * c.samples * c.dst_size, c.dst_kind,
                  pixels * c.samples, c.bits, c.fix_bits, c.rescale, c.slope, c.intercept)


def rle_into(const uint8_t[::1] frame, Py_ssize_t rows, Py_ssize_t columns,
             Py_ssize_t samples_per_pixel, Py_ssize_t bits_allocated, str src_dtype,
             uint8_t[::1] dst, str dst_dtype, *, int bits_stored=0, bint rescale=False,
             double slope=1.0, double intercept=0.0, Py_ssize_t frame_index=0,
             Py_ssize_t base_offset=0):
    """Decode the RLE Lossless `frame` (standard segment order; samples of
    ``src_dtype``, ``bits_allocated`` bits) straight into `dst` (``dst_dtype``), a
    chunk of pixels at a time, each converted as :func:`convert` does (unused bits,
    rescale) while it is in the cache: one pass over `dst`, no frame-sized scratch, no
    GIL. Returns the number of segments that decoded long (their extra data ignored);
    a malformed frame raises decode_frame's PixelDataError (`frame_index` and
    `base_offset` name it)."""
    cdef int sk, sz, dk, dz, status
    cdef Py_ssize_t n, nr_long = 0
    cdef _SinkCtx ctx
    sk, sz = _kind(src_dtype)
    dk, dz = _kind(dst_dtype)
    if sk >= 6 or sz * 8 != bits_allocated:
        raise ValueError(f"RLE samples of {bits_allocated} bits are not {src_dtype}")
    if rows <= 0 or columns <= 0 or samples_per_pixel <= 0:
        raise ValueError(f"invalid frame size {rows} x {columns} x {samples_per_pixel}")
    n = rows * columns * samples_per_pixel
    if dst.shape[0] != n * dz:
        raise ValueError(f"'dst' holds {dst.shape[0]} bytes, {n * dz} needed")
    ctx.dst = &dst[0]
    ctx.src_kind = sk
    ctx.dst_kind = dk
    ctx.dst_size = dz
    ctx.samples = samples_per_pixel
    ctx.bits = bits_stored
    ctx.fix_bits = 0 < bits_stored < 8 * sz
    ctx.rescale = rescale
    ctx.slope = slope
    ctx.intercept = intercept
    with nogil:
        status = decode_frame_sink(&frame[0] if frame.shape[0] else NULL, frame.shape[0], rows,
                                   columns, samples_per_pixel, bits_allocated, _sink, &ctx,
                                   &nr_long)
    if status != 0:  # again, into a scratch frame, for the exact error
        from dcmfast._core.rle import decode_frame

        scratch = bytearray(n * sz)
        decode_frame(frame, rows, columns, samples_per_pixel, bits_allocated, scratch,
                     frame_index=frame_index, base_offset=base_offset)
        raise PixelDataError(f"RLE frame {frame_index}: malformed")  # not reached
    return nr_long
