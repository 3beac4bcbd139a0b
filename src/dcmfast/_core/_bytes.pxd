# Inline, GIL-free loads of little/big endian integers from a byte pointer.
# Callers check bounds before calling: these helpers never do.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t
from libc.string cimport memcpy


cdef inline uint16_t load_u16(const uint8_t* p, bint little) noexcept nogil:
    if little:
        return <uint16_t>p[0] | (<uint16_t>p[1] << 8)
    return <uint16_t>p[1] | (<uint16_t>p[0] << 8)


cdef inline uint32_t load_u32(const uint8_t* p, bint little) noexcept nogil:
    if little:
        return (<uint32_t>p[0] | (<uint32_t>p[1] << 8)
                | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24))
    return (<uint32_t>p[3] | (<uint32_t>p[2] << 8)
            | (<uint32_t>p[1] << 16) | (<uint32_t>p[0] << 24))


cdef inline uint64_t load_u64(const uint8_t* p, bint little) noexcept nogil:
    cdef uint64_t lo = load_u32(p, little)
    cdef uint64_t hi = load_u32(p + 4, little)
    if little:
        return lo | (hi << 32)
    return hi | (lo << 32)


cdef inline uint32_t load_tag(const uint8_t* p, bint little) noexcept nogil:
    """A tag as group << 16 | element."""
    return (<uint32_t>load_u16(p, little) << 16) | load_u16(p + 2, little)


cdef inline Py_ssize_t lower_bound_u32(const uint32_t* a, Py_ssize_t n, uint32_t value) noexcept nogil:
    """The first index i in the sorted a[0:n] with a[i] >= value (n if none)."""
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo
