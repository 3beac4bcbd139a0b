from libc.stdint cimport uint8_t

# Status of one segment decode (decode_segment's return value).
cdef enum:
    RLE_OK = 0       # exactly `count` bytes produced, nothing left over
    RLE_SHORT = 1    # the segment ran out before `count` bytes were produced
    RLE_LONG = 2     # `count` bytes produced, the segment would produce more (ignored)


# Receives a chunk of decoded samples: (ctx, samples, first pixel, pixels).
ctypedef void (*rle_sink)(void* ctx, const uint8_t* samples, Py_ssize_t first,
                          Py_ssize_t pixels) noexcept nogil


cdef int decode_segment(const uint8_t* src, Py_ssize_t src_len,
                        uint8_t* out, Py_ssize_t count,
                        Py_ssize_t* produced) noexcept nogil


cdef Py_ssize_t decode_frames_nogil(Py_ssize_t nr_frames, const uint8_t* const* srcs,
                                    const Py_ssize_t* lens, Py_ssize_t rows, Py_ssize_t columns,
                                    Py_ssize_t samples_per_pixel, Py_ssize_t bits_allocated,
                                    uint8_t* out, int bits_stored, bint signed,
                                    Py_ssize_t* nr_long) noexcept nogil


cdef int decode_frame_sink(const uint8_t* src, Py_ssize_t src_len, Py_ssize_t rows,
                           Py_ssize_t columns, Py_ssize_t samples_per_pixel,
                           Py_ssize_t bits_allocated, rle_sink sink, void* ctx,
                           Py_ssize_t* nr_long) noexcept nogil
