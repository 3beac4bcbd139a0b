from libc.stdint cimport uint8_t


cdef void ybr_full_to_rgb_kernel(const uint8_t* src, uint8_t* out,
                                 Py_ssize_t pixels) noexcept nogil
