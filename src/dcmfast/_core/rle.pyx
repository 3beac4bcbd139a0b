# cython: language_level=3
"""RLE Lossless (DICOM PS3.5 Annex G) frame decoding into a caller-given buffer.

The 64-byte header is untrusted input: every field is checked, holding the GIL,
before any byte of segment data is touched. The segments are then decoded
without the GIL (runs become memcpy / memset) into contiguous byte planes, and
the planes interleaved into the output, so the frame comes out as
little-endian, colour-by-pixel (planar configuration 0) samples, ready to be
viewed as an ndarray. A single-segment frame decodes straight into the output.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from dcmfast._core._bytes cimport load_u32

from dcmfast.errors import PixelDataError

cdef enum:
    HEADER_LENGTH = 64
    MAX_SEGMENTS = 15


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
    cdef Py_ssize_t written = 0
    cdef Py_ssize_t run, avail
    cdef uint8_t h
    cdef bint overrun = False
    while pos < src_len and written < count:
        h = src[pos]
        pos += 1
        if h < 128:
            # literal run of h + 1 bytes
            run = h + 1
            avail = src_len - pos
            if run > avail:
                run = avail
            if run > count - written:
                run = count - written
                overrun = True
            memcpy(out + written, src + pos, run)
            pos += run
            written += run
        elif h > 128:
            # replicate the next byte 257 - h times
            if pos >= src_len:
                break
            run = 257 - h
            if run > count - written:
                run = count - written
                overrun = True
            memset(out + written, src[pos], run)
            pos += 1
            written += run
        # h == 128 is a no-op
    produced[0] = written
    if written < count:
        return RLE_SHORT
    if overrun or _produces_more(src, pos, src_len):
        return RLE_LONG
    return RLE_OK


cdef void _interleave(const uint8_t* planes, Py_ssize_t pixels, Py_ssize_t nr_planes,
                      const Py_ssize_t* positions, uint8_t* out) noexcept nogil:
    """out[i * nr_planes + positions[j]] = planes[j * pixels + i] for every plane j."""
    cdef Py_ssize_t i, j
    cdef uint16_t v16
    cdef uint32_t v32
    cdef const uint8_t* lo
    cdef const uint8_t* hi
    if nr_planes == 2 and positions[0] == 1 and positions[1] == 0:
        hi = planes
        lo = planes + pixels
        for i in range(pixels):  # 16-bit, one sample: vectorizes
            v16 = lo[i] | (<uint16_t>hi[i] << 8)
            memcpy(out + 2 * i, &v16, 2)
        return
    if nr_planes == 4 and positions[0] == 3 and positions[1] == 2 and positions[2] == 1:
        for i in range(pixels):  # 32-bit, one sample
            v32 = (planes[3 * pixels + i] | (<uint32_t>planes[2 * pixels + i] << 8)
                   | (<uint32_t>planes[pixels + i] << 16) | (<uint32_t>planes[i] << 24))
            memcpy(out + 4 * i, &v32, 4)
        return
    for j in range(nr_planes):
        lo = planes + j * pixels
        for i in range(pixels):
            out[i * nr_planes + positions[j]] = lo[i]


def decode_frame(const uint8_t[::1] src, Py_ssize_t rows, Py_ssize_t columns,
                 Py_ssize_t samples_per_pixel, Py_ssize_t bits_allocated,
                 uint8_t[::1] out, *, str segment_order=">",
                 Py_ssize_t frame_index=0, Py_ssize_t base_offset=0,
                 uint8_t[::1] scratch=None):
    """Decode one RLE Lossless frame into `out`, a writable byte buffer.

    The output holds ``rows * columns * samples_per_pixel`` little-endian
    samples of ``bits_allocated // 8`` bytes, colour-by-pixel (planar
    configuration 0). `segment_order` is ">" (the standard: the first segment
    holds the most significant bytes) or "<". `frame_index` and `base_offset`
    (the frame's offset inside the Pixel Data value) only serve error messages.
    `scratch`, a writable buffer of at least ``rows * columns * segments`` bytes,
    saves allocating the segment planes for every frame (one per thread).
    Returns the number of segments that decoded long (their extra data is
    ignored, as pydicom with pylibjpeg-rle does). Raises PixelDataError for a
    malformed header or a segment that decodes short.
    """
    cdef Py_ssize_t src_len = src.shape[0]
    cdef Py_ssize_t bytes_per_sample, nr_segments, expected, pixels, frame_length
    cdef Py_ssize_t i, sample, byte, lower, nr_long
    cdef Py_ssize_t starts[MAX_SEGMENTS]
    cdef Py_ssize_t ends[MAX_SEGMENTS]
    cdef Py_ssize_t positions[MAX_SEGMENTS]
    cdef Py_ssize_t produced[MAX_SEGMENTS]
    cdef int status[MAX_SEGMENTS]
    cdef const uint8_t* s
    cdef uint8_t* o
    cdef bint little_segments

    where = f"RLE frame {frame_index}"
    if segment_order not in (">", "<"):
        raise ValueError(f"segment_order must be '>' or '<', not {segment_order!r}")
    little_segments = segment_order == "<"
    if bits_allocated <= 0 or bits_allocated % 8:
        raise PixelDataError(
            f"{where}: RLE Lossless needs a (0028,0100) 'Bits Allocated' that is a "
            f"multiple of 8, not {bits_allocated}")
    if rows <= 0 or columns <= 0 or samples_per_pixel <= 0:
        raise PixelDataError(
            f"{where}: invalid frame size {rows} x {columns} x {samples_per_pixel}")
    bytes_per_sample = bits_allocated // 8
    expected = samples_per_pixel * bytes_per_sample
    if expected > MAX_SEGMENTS:
        raise PixelDataError(
            f"{where}: {samples_per_pixel} samples of {bits_allocated} bits need "
            f"{expected} segments, RLE Lossless allows at most {MAX_SEGMENTS}")
    pixels = rows * columns
    frame_length = pixels * expected

    # --- the header: untrusted, checked field by field ---
    if src_len < HEADER_LENGTH:
        raise PixelDataError(
            f"{where}: {src_len} bytes is too short for the {HEADER_LENGTH}-byte "
            f"RLE header [at byte offset {base_offset}]")
    s = &src[0]
    nr_segments = load_u32(s, True)
    if nr_segments < 1 or nr_segments > MAX_SEGMENTS:
        raise PixelDataError(
            f"{where}: the RLE header declares {nr_segments} segments, it must be "
            f"1 to {MAX_SEGMENTS} [at byte offset {base_offset}]")
    if nr_segments != expected:
        raise PixelDataError(
            f"{where}: the RLE header declares {nr_segments} segments but "
            f"{samples_per_pixel} samples of {bits_allocated} bits need {expected} "
            f"[at byte offset {base_offset}]")
    for i in range(nr_segments):
        starts[i] = load_u32(s + 4 * (i + 1), True)
        lower = HEADER_LENGTH if i == 0 else starts[i - 1] + 1
        if starts[i] < lower or starts[i] >= src_len:
            raise PixelDataError(
                f"{where}: segment {i} offset {starts[i]} is invalid: offsets must "
                f"increase from {HEADER_LENGTH} and stay inside the {src_len}-byte "
                f"frame [at byte offset {base_offset + 4 * (i + 1)}]")
    for i in range(nr_segments):
        ends[i] = starts[i + 1] if i + 1 < nr_segments else src_len

    if out.shape[0] != frame_length:
        raise ValueError(
            f"{where}: 'out' holds {out.shape[0]} bytes, the frame needs {frame_length}")

    # Segment i holds byte j of sample (i // bytes_per_sample), j counted from
    # the most significant byte unless the segment order is little endian.
    for i in range(nr_segments):
        sample = i // bytes_per_sample
        byte = i % bytes_per_sample
        if not little_segments:
            byte = bytes_per_sample - 1 - byte
        positions[i] = sample * bytes_per_sample + byte

    o = &out[0]
    cdef uint8_t* planes = NULL
    cdef bint own_planes = False
    if nr_segments > 1:
        # segments decode contiguously (memcpy / memset runs), then interleave
        if scratch is not None and scratch.shape[0] >= nr_segments * pixels:
            planes = &scratch[0]
        else:
            planes = <uint8_t*>malloc(nr_segments * pixels)
            own_planes = True
            if planes == NULL:
                raise MemoryError()
    with nogil:
        for i in range(nr_segments):
            status[i] = decode_segment(s + starts[i], ends[i] - starts[i],
                                       o if planes == NULL else planes + i * pixels,
                                       pixels, &produced[i])
        if planes != NULL:
            for i in range(nr_segments):
                if status[i] == RLE_SHORT:  # leave the rest undefined but initialised
                    memset(planes + i * pixels + produced[i], 0, pixels - produced[i])
            _interleave(planes, pixels, nr_segments, positions, o)
            if own_planes:
                free(planes)

    nr_long = 0
    for i in range(nr_segments):
        if status[i] == RLE_SHORT:
            raise PixelDataError(
                f"{where}: segment {i} decoded to {produced[i]} bytes, {pixels} "
                f"expected [segment at byte offset {base_offset + starts[i]}]")
        if status[i] == RLE_LONG:
            nr_long += 1
    return nr_long
