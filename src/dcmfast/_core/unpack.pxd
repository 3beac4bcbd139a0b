from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t

ctypedef fused uint_t:
    uint8_t
    uint16_t
    uint32_t
    uint64_t


cdef void unpack_bits_kernel(const uint8_t* src, Py_ssize_t bit_offset, Py_ssize_t count,
                             uint8_t* out) noexcept nogil
cdef void byteswap_kernel(const uint8_t* src, Py_ssize_t n, Py_ssize_t itemsize,
                          uint8_t* out) noexcept nogil
cdef Py_ssize_t count_unused_bits(const uint8_t* p, Py_ssize_t n, int bits_stored,
                                  bint signed, uint_t kind) noexcept nogil
cdef void clear_unused_bits(uint8_t* p, Py_ssize_t n, int bits_stored, bint signed,
                            uint_t kind) noexcept nogil
