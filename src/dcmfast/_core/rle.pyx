# cython: language_level=3
"""RLE Lossless (DICOM PS3.5 Annex G) frame decoding into a caller-given buffer.

The 64-byte header is untrusted input: every field is checked before any byte
of segment data is touched. The segments are decoded without the GIL. A
single-segment frame decodes straight into the output. Several segments decode
in lockstep, a chunk of pixels at a time, into small buffers that stay in the L1
cache; each chunk is then interleaved into the output, so the output is written
once and the frame comes out as little-endian, colour-by-pixel (planar
configuration 0) samples, ready to be viewed as an ndarray.

Runs are decoded whole. Away from the ends of the segment and of the output
buffer a run is copied with a fixed number of 8- or 16-byte moves chosen by one
test of its length (32 bytes for a short literal, 8 for a short replicate run,
128 for a long run), possibly writing up to 127 bytes past its end (the next run
overwrites them) - never reading past the segment nor writing past the buffer;
near either end an exact byte count is copied.

:func:`decode_frames` decodes a list of frames in one call without the GIL; worker
threads share a multi-frame image, each taking frames one at a time from the
front of its own share, then from the backs of the others'.
"""
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t, uintptr_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memmove, memset

from dcmfast._core._bytes cimport load_u32
from dcmfast._core.unpack cimport clear_unused_bits

from dcmfast.errors import PixelDataError

cdef extern from *:
    """
    /* The shares of frames several decode_frames calls take from (claim mode). A
       share is one int64: the next frame to take from its front (high 32 bits) and
       the end of what is left (low 32 bits). dcmfast_take takes one frame from the
       front or the back of a share: its index, or -1 when the share is empty. */
    #if defined(_MSC_VER)
    #include <intrin.h>
    static int64_t dcmfast_load(int64_t* c) {
        return _InterlockedOr64((volatile __int64*)c, 0);
    }
    static int dcmfast_cas(int64_t* c, int64_t* old, int64_t value) {
        int64_t seen = _InterlockedCompareExchange64((volatile __int64*)c, value, *old);
        if (seen == *old) return 1;
        *old = seen;
        return 0;
    }
    #else
    static int64_t dcmfast_load(int64_t* c) { return __atomic_load_n(c, __ATOMIC_RELAXED); }
    static int dcmfast_cas(int64_t* c, int64_t* old, int64_t value) {
        return __atomic_compare_exchange_n(c, old, value, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    }
    #endif
    static int64_t dcmfast_take(int64_t* share, int front) {
        int64_t old = dcmfast_load(share);
        for (;;) {
            uint64_t next = (uint64_t)old >> 32, end = (uint64_t)old & 0xFFFFFFFFu;
            if (next >= end) return -1;
            if (front) {
                if (dcmfast_cas(share, &old, (int64_t)(((next + 1) << 32) | end))) return (int64_t)next;
            } else if (dcmfast_cas(share, &old, (int64_t)((next << 32) | (end - 1)))) {
                return (int64_t)(end - 1);
            }
        }
    }
    static void dcmfast_store_min(int64_t* c, int64_t k) {
        int64_t old = dcmfast_load(c);
        while (k < old && !dcmfast_cas(c, &old, k)) {
        }
    }
    """
    int64_t dcmfast_load(int64_t* c) noexcept nogil
    int64_t dcmfast_take(int64_t* share, int front) noexcept nogil
    void dcmfast_store_min(int64_t* c, int64_t k) noexcept nogil

cdef extern from *:
    """
    /* A branch the decoder rarely takes on noisy data (GCC, Clang): its code goes
       out of the way of the common path. */
    #if defined(__GNUC__)
    #define DCMFAST_RARELY(x) __builtin_expect(!!(x), 0)
    #else
    #define DCMFAST_RARELY(x) (x)
    #endif
    """
    bint DCMFAST_RARELY(bint x) noexcept nogil

cdef extern from *:
    """
    /* Hide a pointer's value from the optimizer (GCC, Clang), so that an address
       computed from it is not shared with one computed from the original. */
    #if defined(__GNUC__)
    #define DCMFAST_OPAQUE(p) __asm__("" : "+r"(p))
    #else
    #define DCMFAST_OPAQUE(p) ((void)0)
    #endif
    """
    void DCMFAST_OPAQUE(const uint8_t* p) noexcept nogil

cdef enum:
    HEADER_LENGTH = 64
    MAX_SEGMENTS = 15
    MAX_RUN = 128           # the longest run a header byte describes
    FAST_IN = MAX_RUN + 2   # source bytes a fast run may look at (header, data, 1 spare)
    CHUNK_PIXELS = 4096     # pixels per lockstep chunk (per segment buffer: + slack)
    CHUNK_SLACK = 2 * MAX_RUN + 16  # carry (< 128) + one run (<= 128, rounded up to 16)
    CHUNK_BUDGET = 32768    # bytes of segment buffers: fewer pixels per chunk above 8 segments

# Header errors found by _parse_header (offset errors add the segment index).
cdef enum:
    HDR_OK = 0
    HDR_TOO_SHORT = 1
    HDR_BAD_COUNT = 2
    HDR_COUNT_MISMATCH = 3
    HDR_BAD_OFFSET = 16


cdef inline void _copy16(uint8_t* dst, const uint8_t* src) noexcept nogil:
    memcpy(dst, src, 16)


cdef inline void _fill16(uint8_t* dst, uint64_t v) noexcept nogil:
    memcpy(dst, &v, 8)
    memcpy(dst + 8, &v, 8)


cdef inline Py_ssize_t _fast_run(const uint8_t** pp, uint8_t** pq, Py_ssize_t h) noexcept nogil:
    """Decode the literal or replicate run whose header h = pp[0][0] (not 128) into
    pq[0]; both pointers move past the run. Returns the header that follows it.

    pp[0][0:130] and pq[0][0:128] must exist. The first 32 bytes of a literal run, 8
    of a replicate run, are always written (most runs of noisy data are shorter: no
    branch on the length); a longer run writes all 128 (no loop whose exit depends on
    the length). The bytes written past the run's end are junk that the next run (or
    the caller) overwrites.

    On noisy data the speed is bound by the chain from one header to the next: one
    load per literal run, whose address p + 2 + h is formed by the load itself (h at
    full width; p + 2 kept apart from the p + h + 2 that p moves to, else the
    compiler adds first and loads after), nothing per replicate run (the next
    header is 2 bytes on, read without waiting for this run). The long-run branches
    are marked rare: the short runs take no jump but the loop's.
    """
    cdef const uint8_t* p = pp[0]
    cdef const uint8_t* at
    cdef uint8_t* q = pq[0]
    cdef Py_ssize_t k, following
    cdef uint64_t v
    if h < 128:  # literal run of h + 1 bytes
        _copy16(q, p + 1)
        _copy16(q + 16, p + 17)
        if DCMFAST_RARELY(h >= 32):
            for k in range(32, MAX_RUN, 16):
                _copy16(q + k, p + 1 + k)
        at = p + 2
        DCMFAST_OPAQUE(at)
        following = at[h]  # the header after the run
        pq[0] = q + h + 1
        pp[0] = p + h + 2
        return following
    # replicate run: the next byte 257 - h times; runs of noisy data are short, one
    # 8-byte store (no vector to build: the store's data is ready sooner)
    v = p[1] * <uint64_t>0x0101010101010101
    memcpy(q, &v, 8)
    if DCMFAST_RARELY(h < 249):  # more than 8 bytes
        for k in range(0, MAX_RUN, 16):
            _fill16(q + k, v)
    following = p[2]
    pq[0] = q + 257 - h
    pp[0] = p + 2
    return following


cdef inline Py_ssize_t _runs(const uint8_t* src, Py_ssize_t src_len, Py_ssize_t* ppos,
                             uint8_t* out, Py_ssize_t written, Py_ssize_t target,
                             Py_ssize_t limit, bint* overrun) noexcept nogil:
    """Decode whole runs of src[ppos[0]:src_len] into `out` from `written` on, while
    fewer than `target` bytes are written; returns the new count.

    `out` has room for `limit` (>= target) bytes: a run that would pass `limit` is
    cut there and `overrun` set. A run cut short by the end of the source yields the
    bytes that are there (as pydicom does). ppos[0] advances past the runs decoded.
    """
    cdef Py_ssize_t pos = ppos[0]
    cdef Py_ssize_t fast_src = src_len - FAST_IN   # fast run: src[pos : pos + 130] exists
    cdef Py_ssize_t fast_out = limit - MAX_RUN     # fast run: out[written : written + 128] exists
    cdef Py_ssize_t run, avail, bound
    cdef Py_ssize_t tf = target if target < fast_out + 1 else fast_out + 1
    cdef const uint8_t* p
    cdef const uint8_t* p_fast
    cdef uint8_t* q
    cdef uint8_t* q_fast
    cdef Py_ssize_t h
    # Below tf a run ends by tf + 127 <= limit. Bulk loop: a literal or replicate run
    # of r bytes takes at most 2r source bytes, so while pos + 2 * (tf - written)
    # stays within the fast source bound (the invariant pos - 2 * written <= bound),
    # no run can reach the end of the source and only the output count needs
    # checking; a no-op (1 byte, nothing out) checks the invariant itself.
    bound = fast_src - 2 * MAX_RUN - 2 * tf
    if written < tf and pos - 2 * written <= bound:
        p = src + pos
        q = out + written
        q_fast = out + tf
        h = p[0]
        while q < q_fast:
            if h != 128:
                h = _fast_run(&p, &q, h)
            elif (p + 1 - src) - 2 * (q - out) > bound:
                break
            else:
                p += 1
                h = p[0]
        pos = p - src
        written = q - out
    # Then (a highly compressed segment, or the last runs) both bounds checked per
    # run, while a run starting here can neither reach the end of the source nor
    # pass `limit`
    if written < tf and pos <= fast_src:
        p = src + pos
        p_fast = src + fast_src
        q = out + written
        q_fast = out + tf
        h = p[0]
        while q < q_fast and p <= p_fast:
            if h != 128:
                h = _fast_run(&p, &q, h)
            else:
                p += 1
                h = p[0]
        pos = p - src
        written = q - out
    # Near the end of the source or of the output (neither bound ever moves back
    # into the loops' range): an exact byte count per run.
    while written < target:
        if pos >= src_len:
            break
        h = src[pos]
        pos += 1
        if h < 128:
            run = h + 1
            avail = src_len - pos
            if run > avail:
                run = avail
            if run > limit - written:
                run = limit - written
                overrun[0] = True
            memcpy(out + written, src + pos, run)
            pos += run
            written += run
        elif h > 128:
            if pos >= src_len:
                break
            run = 257 - h
            if run > limit - written:
                run = limit - written
                overrun[0] = True
            memset(out + written, src[pos], run)
            pos += 1
            written += run
    ppos[0] = pos
    return written


cdef inline bint _produces_more(const uint8_t* src, Py_ssize_t pos,
                                Py_ssize_t src_len) noexcept nogil:
    """True if the runs left in src[pos:] would produce at least one byte."""
    cdef uint8_t h
    while pos < src_len:
        h = src[pos]
        pos += 1
        if h == 128:          # no-op
            continue
        return pos < src_len  # a literal or replicate run with data behind it
    return False


cdef int decode_segment(const uint8_t* src, Py_ssize_t src_len,
                        uint8_t* out, Py_ssize_t count,
                        Py_ssize_t* produced) noexcept nogil:
    """Decode one PackBits segment into out[0:count].

    Never writes more than `count` bytes nor reads past src[src_len - 1]. A run
    cut short by the end of the segment yields the bytes that are there (as
    pydicom does). `produced` receives the number of bytes written.
    """
    cdef Py_ssize_t pos = 0
    cdef bint overrun = False
    cdef Py_ssize_t written = _runs(src, src_len, &pos, out, 0, count, count, &overrun)
    produced[0] = written
    if written < count:
        return RLE_SHORT
    if overrun or _produces_more(src, pos, src_len):
        return RLE_LONG
    return RLE_OK


cdef void _interleave(const uint8_t* planes, Py_ssize_t stride, Py_ssize_t pixels,
                      Py_ssize_t nr_planes, const Py_ssize_t* positions,
                      uint8_t* out) noexcept nogil:
    """out[i * nr_planes + positions[j]] = planes[j * stride + i] for i < pixels, every j."""
    cdef Py_ssize_t i, j
    cdef const uint8_t* p0 = planes
    cdef const uint8_t* p1 = planes + stride
    cdef const uint8_t* p2 = planes + 2 * stride
    cdef const uint8_t* p3 = planes + 3 * stride
    if nr_planes == 2:  # one 16-bit sample: vectorizes (a byte unpack per 16 pixels)
        if positions[0] == 1:
            p0, p1 = p1, p0
        for i in range(pixels):
            out[2 * i] = p0[i]
            out[2 * i + 1] = p1[i]
        return
    if nr_planes == 3 and positions[0] == 0 and positions[1] == 1:  # 3 x 8-bit (RGB)
        for i in range(pixels):
            out[3 * i] = p0[i]
            out[3 * i + 1] = p1[i]
            out[3 * i + 2] = p2[i]
        return
    if nr_planes == 4 and positions[0] == 3 and positions[1] == 2 and positions[2] == 1:
        for i in range(pixels):  # one 32-bit sample, segments most significant first
            out[4 * i] = p3[i]
            out[4 * i + 1] = p2[i]
            out[4 * i + 2] = p1[i]
            out[4 * i + 3] = p0[i]
        return
    if nr_planes == 6:  # 3 x 16-bit (RGB): one pass, every byte of a pixel at once
        _interleave_fixed(planes, stride, pixels, 6, positions, out)
        return
    if nr_planes == 12:  # 3 x 32-bit
        _interleave_fixed(planes, stride, pixels, 12, positions, out)
        return
    for j in range(nr_planes):
        p0 = planes + j * stride
        p1 = out + positions[j]
        for i in range(pixels):
            (<uint8_t*>p1)[i * nr_planes] = p0[i]


cdef inline void _interleave_fixed(const uint8_t* planes, Py_ssize_t stride, Py_ssize_t pixels,
                                   const Py_ssize_t nr_planes, const Py_ssize_t* positions,
                                   uint8_t* out) noexcept nogil:
    """_interleave for a constant `nr_planes` (at most 15) that the compiler unrolls:
    pixel by pixel, the positions held in a local array the output cannot alias."""
    cdef Py_ssize_t i, j
    cdef Py_ssize_t pos[MAX_SEGMENTS]
    cdef uint8_t* o
    for j in range(nr_planes):
        pos[j] = positions[j]
    for i in range(pixels):
        o = out + i * nr_planes
        for j in range(nr_planes):
            o[pos[j]] = planes[j * stride + i]


cdef int _parse_header(const uint8_t* s, Py_ssize_t src_len, Py_ssize_t expected,
                       Py_ssize_t* nr_segments, Py_ssize_t* starts,
                       Py_ssize_t* ends) noexcept nogil:
    """Check the header of the frame s[0:src_len] and find its segments."""
    cdef Py_ssize_t i, lower, n
    if src_len < HEADER_LENGTH:
        return HDR_TOO_SHORT
    n = load_u32(s, True)
    nr_segments[0] = n
    if n < 1 or n > MAX_SEGMENTS:
        return HDR_BAD_COUNT
    if n != expected:
        return HDR_COUNT_MISMATCH
    for i in range(n):
        starts[i] = load_u32(s + 4 * (i + 1), True)
        lower = HEADER_LENGTH if i == 0 else starts[i - 1] + 1
        if starts[i] < lower or starts[i] >= src_len:
            return HDR_BAD_OFFSET + i
    for i in range(n):
        ends[i] = starts[i + 1] if i + 1 < n else src_len
    return HDR_OK


cdef Py_ssize_t _chunk_pixels(Py_ssize_t nr_segments) noexcept nogil:
    cdef Py_ssize_t n = CHUNK_BUDGET // nr_segments - CHUNK_SLACK
    if n > CHUNK_PIXELS:
        n = CHUNK_PIXELS
    return n & ~<Py_ssize_t>63


cdef Py_ssize_t _work_bytes(Py_ssize_t nr_segments) noexcept nogil:
    """Size of the segment buffers _decode_segments needs (0 for one segment)."""
    if nr_segments == 1:
        return 0
    return nr_segments * (_chunk_pixels(nr_segments) + CHUNK_SLACK)


cdef void _decode_segments(const uint8_t* s, const Py_ssize_t* starts, const Py_ssize_t* ends,
                           Py_ssize_t nr_segments, Py_ssize_t pixels,
                           const Py_ssize_t* positions, uint8_t* o, uint8_t* work,
                           int* status, Py_ssize_t* produced) noexcept nogil:
    """Decode the segments of a checked frame into `o` (pixels * nr_segments bytes).

    `work` holds _work_bytes(nr_segments) bytes. status[i] / produced[i] receive
    decode_segment's result for segment i. A segment that runs short leaves zeros.
    """
    if nr_segments == 1:
        status[0] = decode_segment(s + starts[0], ends[0] - starts[0], o, pixels, &produced[0])
        if status[0] == RLE_SHORT:  # leave the rest defined
            memset(o + produced[0], 0, pixels - produced[0])
        return
    _chunks(s, starts, ends, nr_segments, pixels, positions, o, work, NULL, NULL, status,
            produced)


cdef void _chunks(const uint8_t* s, const Py_ssize_t* starts, const Py_ssize_t* ends,
                  Py_ssize_t nr_segments, Py_ssize_t pixels, const Py_ssize_t* positions,
                  uint8_t* o, uint8_t* work, rle_sink sink, void* ctx, int* status,
                  Py_ssize_t* produced) noexcept nogil:
    """_decode_segments' lockstep decoding, a chunk of pixels at a time: each chunk is
    interleaved into `o` at its place, or (`sink` not NULL) into `o` (a chunk's worth of
    bytes) and handed to ``sink(ctx, o, first pixel, pixels)``."""
    cdef Py_ssize_t i, done, n, stride, chunk, written
    cdef Py_ssize_t pos[MAX_SEGMENTS]
    cdef Py_ssize_t carry[MAX_SEGMENTS]
    cdef bint overrun[MAX_SEGMENTS]
    cdef uint8_t* buf
    chunk = _chunk_pixels(nr_segments)
    stride = chunk + CHUNK_SLACK
    for i in range(nr_segments):
        pos[i] = 0
        carry[i] = 0
        overrun[i] = False
        produced[i] = 0
        status[i] = RLE_OK
    done = 0
    while done < pixels:
        n = pixels - done
        if n > chunk:
            n = chunk
        for i in range(nr_segments):
            buf = work + i * stride
            # the bytes the last run wrote past the previous chunk come first
            if carry[i]:
                memmove(buf, buf + chunk, carry[i])
            if status[i] == RLE_SHORT:
                memset(buf, 0, n)
                continue
            # a run starts before n, ends before n + 128: never cut, never past the buffer
            written = _runs(s + starts[i], ends[i] - starts[i], &pos[i], buf, carry[i], n,
                            n + MAX_RUN, &overrun[i])
            if written < n:  # the segment ran out
                status[i] = RLE_SHORT
                produced[i] = done + written
                memset(buf + written, 0, n - written)
                carry[i] = 0
            else:
                carry[i] = written - n
        if sink == NULL:
            _interleave(work, stride, n, nr_segments, positions, o + done * nr_segments)
        elif nr_segments == 1:
            sink(ctx, work, done, n)
        else:
            _interleave(work, stride, n, nr_segments, positions, o)
            sink(ctx, o, done, n)
        done += n
    for i in range(nr_segments):
        if status[i] == RLE_SHORT:
            continue
        produced[i] = pixels
        # bytes past the frame's end, or runs left that would produce some: long
        if carry[i] or _produces_more(s + starts[i], pos[i], ends[i] - starts[i]):
            status[i] = RLE_LONG


cdef void _positions(Py_ssize_t nr_segments, Py_ssize_t bytes_per_sample, bint little_segments,
                     Py_ssize_t* positions) noexcept nogil:
    # Segment i holds byte j of sample (i // bytes_per_sample), j counted from
    # the most significant byte unless the segment order is little endian.
    cdef Py_ssize_t i, sample, byte
    for i in range(nr_segments):
        sample = i // bytes_per_sample
        byte = i % bytes_per_sample
        if not little_segments:
            byte = bytes_per_sample - 1 - byte
        positions[i] = sample * bytes_per_sample + byte


cdef Py_ssize_t _check_geometry(Py_ssize_t rows, Py_ssize_t columns, Py_ssize_t samples_per_pixel,
                                Py_ssize_t bits_allocated, str segment_order,
                                Py_ssize_t frame_index) except -1:
    """Segments per frame for this geometry, or raise."""
    cdef Py_ssize_t expected
    where = f"RLE frame {frame_index}"
    if segment_order not in (">", "<"):
        raise ValueError(f"segment_order must be '>' or '<', not {segment_order!r}")
    if bits_allocated <= 0 or bits_allocated % 8:
        raise PixelDataError(
            f"{where}: RLE Lossless needs a (0028,0100) 'Bits Allocated' that is a "
            f"multiple of 8, not {bits_allocated}")
    if rows <= 0 or columns <= 0 or samples_per_pixel <= 0:
        raise PixelDataError(
            f"{where}: invalid frame size {rows} x {columns} x {samples_per_pixel}")
    expected = samples_per_pixel * (bits_allocated // 8)
    if expected > MAX_SEGMENTS:
        raise PixelDataError(
            f"{where}: {samples_per_pixel} samples of {bits_allocated} bits need "
            f"{expected} segments, RLE Lossless allows at most {MAX_SEGMENTS}")
    return expected


def decode_frame(const uint8_t[::1] src, Py_ssize_t rows, Py_ssize_t columns,
                 Py_ssize_t samples_per_pixel, Py_ssize_t bits_allocated,
                 uint8_t[::1] out, *, str segment_order=">",
                 Py_ssize_t frame_index=0, Py_ssize_t base_offset=0):
    """Decode one RLE Lossless frame into `out`, a writable byte buffer.

    The output holds ``rows * columns * samples_per_pixel`` little-endian
    samples of ``bits_allocated // 8`` bytes, colour-by-pixel (planar
    configuration 0). `segment_order` is ">" (the standard: the first segment
    holds the most significant bytes) or "<". `frame_index` and `base_offset`
    (the frame's offset inside the Pixel Data value) only serve error messages.
    Segments decode through small chunk buffers (no frame-sized scratch). Returns the
    number of segments that decoded long (their extra data is ignored, as pydicom with
    pylibjpeg-rle does). Raises PixelDataError for a malformed header or a segment that
    decodes short.
    """
    cdef Py_ssize_t src_len = src.shape[0]
    cdef Py_ssize_t expected, pixels, frame_length, i, nr_long, nr_segments = 0
    cdef Py_ssize_t starts[MAX_SEGMENTS]
    cdef Py_ssize_t ends[MAX_SEGMENTS]
    cdef Py_ssize_t positions[MAX_SEGMENTS]
    cdef Py_ssize_t produced[MAX_SEGMENTS]
    cdef int status[MAX_SEGMENTS]
    cdef int err
    cdef const uint8_t* s
    cdef uint8_t* work = NULL

    expected = _check_geometry(rows, columns, samples_per_pixel, bits_allocated,
                               segment_order, frame_index)
    where = f"RLE frame {frame_index}"
    pixels = rows * columns
    frame_length = pixels * expected

    # --- the header: untrusted, checked field by field ---
    s = &src[0] if src_len else NULL
    err = _parse_header(s, src_len, expected, &nr_segments, starts, ends)
    if err == HDR_TOO_SHORT:
        raise PixelDataError(
            f"{where}: {src_len} bytes is too short for the {HEADER_LENGTH}-byte "
            f"RLE header [at byte offset {base_offset}]")
    if err == HDR_BAD_COUNT:
        raise PixelDataError(
            f"{where}: the RLE header declares {nr_segments} segments, it must be "
            f"1 to {MAX_SEGMENTS} [at byte offset {base_offset}]")
    if err == HDR_COUNT_MISMATCH:
        raise PixelDataError(
            f"{where}: the RLE header declares {nr_segments} segments but "
            f"{samples_per_pixel} samples of {bits_allocated} bits need {expected} "
            f"[at byte offset {base_offset}]")
    if err >= HDR_BAD_OFFSET:
        i = err - HDR_BAD_OFFSET
        raise PixelDataError(
            f"{where}: segment {i} offset {starts[i]} is invalid: offsets must "
            f"increase from {HEADER_LENGTH} and stay inside the {src_len}-byte "
            f"frame [at byte offset {base_offset + 4 * (i + 1)}]")

    if out.shape[0] != frame_length:
        raise ValueError(
            f"{where}: 'out' holds {out.shape[0]} bytes, the frame needs {frame_length}")

    _positions(nr_segments, bits_allocated // 8, segment_order == "<", positions)
    if nr_segments > 1:
        work = <uint8_t*>malloc(_work_bytes(nr_segments))
        if work == NULL:
            raise MemoryError()
    with nogil:
        _decode_segments(s, starts, ends, nr_segments, pixels, positions, &out[0], work,
                         status, produced)
        free(work)

    nr_long = 0
    for i in range(nr_segments):
        if status[i] == RLE_SHORT:
            raise PixelDataError(
                f"{where}: segment {i} decoded to {produced[i]} bytes, {pixels} "
                f"expected [segment at byte offset {base_offset + starts[i]}]")
        if status[i] == RLE_LONG:
            nr_long += 1
    return nr_long


cdef Py_ssize_t _frames_nogil(Py_ssize_t nr_frames, const uint8_t* const* srcs,
                              const Py_ssize_t* lens, Py_ssize_t expected,
                              Py_ssize_t pixels, Py_ssize_t itemsize,
                              const Py_ssize_t* positions, uint8_t* out, uint8_t* work,
                              int bits_stored, bint signed, int64_t* claim,
                              Py_ssize_t nr_shares, Py_ssize_t share,
                              Py_ssize_t* nr_long) noexcept nogil:
    """Decode frames 0 .. nr_frames - 1 into consecutive frames of `out` (fixing the
    unused bits when 0 < bits_stored < 8 * itemsize); returns the index of the first
    frame that fails (bad header or short segment), or nr_frames.

    With `claim` (not NULL: claim[0 .. nr_shares - 1] the shares of the frames,
    claim[nr_shares] the first frame that failed, all shared with other threads)
    the frames are taken one at a time from the front of share `share`, then from
    the back of the others, until none are left; a frame after one that failed is
    skipped, a frame that fails is recorded in claim[nr_shares] (the lowest such
    index stays), and nr_frames is returned.
    """
    cdef Py_ssize_t k = -1, j, i, nr_segments, frame_length = pixels * expected
    cdef Py_ssize_t starts[MAX_SEGMENTS]
    cdef Py_ssize_t ends[MAX_SEGMENTS]
    cdef Py_ssize_t produced[MAX_SEGMENTS]
    cdef int status[MAX_SEGMENTS]
    cdef const uint8_t* s
    cdef uint8_t* o
    cdef bint fix = 0 < bits_stored < 8 * itemsize
    cdef bint bad
    while True:
        if claim == NULL:
            k += 1
            if k >= nr_frames:
                return nr_frames
        else:
            # each thread writes a region of its own (no two wait on the same page
            # fault) until it helps with what the others have left
            k = dcmfast_take(&claim[share], 1)
            j = 1
            while k < 0 and j < nr_shares:
                k = dcmfast_take(&claim[(share + j) % nr_shares], 0)
                j += 1
            if k < 0:
                return nr_frames
            if k >= nr_frames or k > dcmfast_load(&claim[nr_shares]):
                continue  # not a frame; or after one that failed: not needed
        s = srcs[k]
        o = out + k * frame_length
        bad = _parse_header(s, lens[k], expected, &nr_segments, starts, ends) != HDR_OK
        if not bad:
            _decode_segments(s, starts, ends, nr_segments, pixels, positions, o, work,
                             status, produced)
            for i in range(nr_segments):
                if status[i] == RLE_SHORT:
                    bad = True
                elif status[i] == RLE_LONG:
                    nr_long[0] += 1
        if bad:
            if claim == NULL:
                return k
            dcmfast_store_min(&claim[nr_shares], k)
            continue
        if fix:
            if itemsize == 1:
                clear_unused_bits(o, frame_length, bits_stored, signed, <uint8_t>0)
            elif itemsize == 2:
                clear_unused_bits(o, frame_length // 2, bits_stored, signed, <uint16_t>0)
            elif itemsize == 4:
                clear_unused_bits(o, frame_length // 4, bits_stored, signed, <uint32_t>0)
            elif itemsize == 8:
                clear_unused_bits(o, frame_length // 8, bits_stored, signed, <uint64_t>0)


def decode_frames(list frames, Py_ssize_t rows, Py_ssize_t columns,
                  Py_ssize_t samples_per_pixel, Py_ssize_t bits_allocated,
                  uint8_t[:, ::1] out, *, str segment_order=">", list frame_indices=None,
                  list base_offsets=None, int bits_stored=0, bint signed=False,
                  int64_t[::1] claim=None, Py_ssize_t share=0):
    """Decode the RLE Lossless frames `frames` (bytes-like objects) into the rows of
    `out`, a writable ``(len(frames), frame bytes)`` uint8 array, in one call that
    holds the GIL only to take and give back the frames' buffers.

    Each row comes out as :func:`decode_frame` gives it; with ``0 < bits_stored <
    bits_allocated`` the unused bits are then set as pydicom's
    ``correct_unused_bits`` does (`signed`: the pixel representation).
    `frame_indices` and `base_offsets` (one per frame) only serve error messages.
    Returns the number of segments that decoded long. The first frame that is
    malformed raises the PixelDataError :func:`decode_frame` raises for it; the
    frames before it are decoded, the ones after it are not.

    Several threads share the work with `claim`, an int64 array holding one word
    per thread, ``(first << 32) | stop`` for its share ``frames[first:stop]`` (the
    shares cover the frames), then ``len(frames)``; concurrent calls over the same
    `frames` and `out` are all given it, each its own `share` (an index into it).
    Each call then decodes the frames of its share one at a time from the front,
    then takes what is left of the others from their backs (a thread that gets less
    CPU time decodes fewer). A malformed frame is not raised but recorded: once
    every call has returned, the last word of `claim` is the index of the first
    malformed frame (``len(frames)`` when there is none; the frames before it are
    decoded), which the caller decodes alone for its error.
    """
    cdef Py_ssize_t nr_frames = len(frames)
    cdef Py_ssize_t expected, pixels, frame_length, k, acquired = 0, failed, nr_long = 0
    cdef Py_ssize_t itemsize = bits_allocated // 8
    cdef Py_ssize_t positions[MAX_SEGMENTS]
    cdef Py_buffer* bufs = NULL
    cdef const uint8_t** srcs = NULL
    cdef Py_ssize_t* lens = NULL
    cdef uint8_t* work = NULL
    cdef uint8_t* o
    cdef int64_t* shared = NULL
    cdef Py_ssize_t nr_shares = 0

    if claim is not None:
        nr_shares = claim.shape[0] - 1
        if (nr_shares < 1 or not 0 <= share < nr_shares or nr_frames >= 1 << 31
                or <uintptr_t>&claim[0] % 8):  # atomics need aligned words
            raise ValueError("claim must be an aligned int64 array of the shares and "
                             "len(frames), share an index of one of them")
        shared = &claim[0]
    if frame_indices is not None and len(frame_indices) != nr_frames:
        raise ValueError("frame_indices must hold one index per frame")
    if base_offsets is not None and len(base_offsets) != nr_frames:
        raise ValueError("base_offsets must hold one offset per frame")
    expected = _check_geometry(rows, columns, samples_per_pixel, bits_allocated, segment_order,
                               frame_indices[0] if frame_indices else 0)
    pixels = rows * columns
    frame_length = pixels * expected
    if out.shape[0] != nr_frames or out.shape[1] != frame_length:
        raise ValueError(
            f"'out' has shape ({out.shape[0]}, {out.shape[1]}), the frames need "
            f"({nr_frames}, {frame_length})")
    if nr_frames == 0:
        return 0
    o = &out[0, 0]
    _positions(expected, itemsize, segment_order == "<", positions)
    bufs = <Py_buffer*>malloc(nr_frames * sizeof(Py_buffer))
    srcs = <const uint8_t**>malloc(nr_frames * sizeof(uint8_t*))
    lens = <Py_ssize_t*>malloc(nr_frames * sizeof(Py_ssize_t))
    work = <uint8_t*>malloc(_work_bytes(expected) + 1)
    try:
        if bufs == NULL or srcs == NULL or lens == NULL or work == NULL:
            raise MemoryError()
        for k in range(nr_frames):
            PyObject_GetBuffer(frames[k], &bufs[k], PyBUF_SIMPLE)
            acquired += 1
            srcs[k] = <const uint8_t*>bufs[k].buf
            lens[k] = bufs[k].len
        with nogil:
            failed = _frames_nogil(nr_frames, srcs, lens, expected, pixels, itemsize, positions,
                                   o, work, bits_stored, signed, shared, nr_shares, share,
                                   &nr_long)
    finally:
        for k in range(acquired):
            PyBuffer_Release(&bufs[k])
        free(bufs)
        free(<void*>srcs)
        free(lens)
        free(work)
    if failed < nr_frames and shared == NULL:  # again, holding the GIL, for the exact error
        index = frame_indices[failed] if frame_indices is not None else failed
        offset = base_offsets[failed] if base_offsets is not None else 0
        decode_frame(frames[failed], rows, columns, samples_per_pixel, bits_allocated,
                     out[failed], segment_order=segment_order, frame_index=index,
                     base_offset=offset)
        raise PixelDataError(f"RLE frame {index}: malformed")  # not reached
    return nr_long


cdef Py_ssize_t decode_frames_nogil(Py_ssize_t nr_frames, const uint8_t* const* srcs,
                                    const Py_ssize_t* lens, Py_ssize_t rows, Py_ssize_t columns,
                                    Py_ssize_t samples_per_pixel, Py_ssize_t bits_allocated,
                                    uint8_t* out, int bits_stored, bint signed,
                                    Py_ssize_t* nr_long) noexcept nogil:
    """:func:`decode_frames` for C callers: frames given as pointers and lengths, the
    standard segment order, ``out`` holding ``nr_frames`` frames. Returns the index of
    the first frame that is malformed (its header or a segment that decodes short),
    ``nr_frames`` when every frame decoded, or -1 for a geometry RLE cannot have or a
    failed allocation; the caller then takes the checked path for the exact error."""
    cdef Py_ssize_t expected, failed
    cdef Py_ssize_t positions[MAX_SEGMENTS]
    cdef uint8_t* work
    if (bits_allocated <= 0 or bits_allocated % 8 or rows <= 0 or columns <= 0
            or samples_per_pixel <= 0):
        return -1
    expected = samples_per_pixel * (bits_allocated // 8)
    if expected > MAX_SEGMENTS:
        return -1
    _positions(expected, bits_allocated // 8, False, positions)
    work = <uint8_t*>malloc(_work_bytes(expected) + 1)
    if work == NULL:
        return -1
    failed = _frames_nogil(nr_frames, srcs, lens, expected, rows * columns, bits_allocated // 8,
                           positions, out, work, bits_stored, signed, NULL, 0, 0, nr_long)
    free(work)
    return failed


cdef int decode_frame_sink(const uint8_t* src, Py_ssize_t src_len, Py_ssize_t rows,
                           Py_ssize_t columns, Py_ssize_t samples_per_pixel,
                           Py_ssize_t bits_allocated, rle_sink sink, void* ctx,
                           Py_ssize_t* nr_long) noexcept nogil:
    """Decode one RLE frame (standard segment order) a chunk of pixels at a time, each
    chunk handed to ``sink(ctx, samples, first pixel, pixels)`` as little-endian,
    colour-by-pixel samples (``pixels * samples_per_pixel * bits_allocated // 8`` bytes,
    valid during the call): the caller converts them into its output while they are in
    the cache, with no frame-sized scratch. Returns 0 (decoded; nr_long[0] counts the
    segments that decoded long), 1 for a malformed frame (its header or a segment that
    decodes short: the caller takes decode_frame for the exact error) or -1 for a
    geometry RLE cannot have or a failed allocation."""
    cdef Py_ssize_t expected, nr_segments = 0, chunk, i
    cdef Py_ssize_t positions[MAX_SEGMENTS]
    cdef Py_ssize_t starts[MAX_SEGMENTS]
    cdef Py_ssize_t ends[MAX_SEGMENTS]
    cdef Py_ssize_t produced[MAX_SEGMENTS]
    cdef int status[MAX_SEGMENTS]
    cdef uint8_t* work
    cdef int result = 0
    if (bits_allocated <= 0 or bits_allocated % 8 or rows <= 0 or columns <= 0
            or samples_per_pixel <= 0 or sink == NULL):
        return -1
    expected = samples_per_pixel * (bits_allocated // 8)
    if expected > MAX_SEGMENTS:
        return -1
    if _parse_header(src, src_len, expected, &nr_segments, starts, ends) != HDR_OK:
        return 1
    _positions(expected, bits_allocated // 8, False, positions)
    chunk = _chunk_pixels(expected)
    # the segment buffers, then one chunk of interleaved samples
    work = <uint8_t*>malloc(expected * (chunk + CHUNK_SLACK) + expected * chunk)
    if work == NULL:
        return -1
    _chunks(src, starts, ends, expected, rows * columns, positions,
            work + expected * (chunk + CHUNK_SLACK), work, sink, ctx, status, produced)
    free(work)
    for i in range(expected):
        if status[i] == RLE_SHORT:
            result = 1
        elif status[i] == RLE_LONG:
            nr_long[0] += 1
    return result
