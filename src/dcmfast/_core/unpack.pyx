# cython: language_level=3
"""Native pixel data reshuffling: 1-bit unpack, byte swap, unused-bit checks and
fixes (sign extension), YBR_FULL_422 upsampling.

Each public function follows the same recipe: take any buffer as a contiguous
``uint8`` memoryview, check every length holding the GIL, then run the loop
without it. Values are read and written through ``memcpy`` so unaligned
buffers (a pixel view at an odd file offset) are safe.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy

from dcmfast.errors import PixelDataError


cdef void unpack_bits_kernel(const uint8_t* src, Py_ssize_t bit_offset, Py_ssize_t count,
                             uint8_t* out) noexcept nogil:
    """out[i] = bit (bit_offset + i) of src, least significant bit first."""
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t bit
    cdef uint8_t b
    # leading bits up to a byte boundary
    while i < count and (bit_offset + i) & 7:
        bit = bit_offset + i
        out[i] = (src[bit >> 3] >> (bit & 7)) & 1
        i += 1
    # whole bytes
    while i + 8 <= count:
        b = src[(bit_offset + i) >> 3]
        out[i] = b & 1
        out[i + 1] = (b >> 1) & 1
        out[i + 2] = (b >> 2) & 1
        out[i + 3] = (b >> 3) & 1
        out[i + 4] = (b >> 4) & 1
        out[i + 5] = (b >> 5) & 1
        out[i + 6] = (b >> 6) & 1
        out[i + 7] = b >> 7
        i += 8
    # trailing bits
    while i < count:
        bit = bit_offset + i
        out[i] = (src[bit >> 3] >> (bit & 7)) & 1
        i += 1


cdef void byteswap_kernel(const uint8_t* src, Py_ssize_t n, Py_ssize_t itemsize,
                          uint8_t* out) noexcept nogil:
    """Reverse the byte order of each of the n items of `itemsize` bytes."""
    cdef Py_ssize_t i, k
    cdef const uint8_t* s
    cdef uint8_t* d
    for i in range(n):
        s = src + i * itemsize
        d = out + i * itemsize
        for k in range(itemsize):
            d[k] = s[itemsize - 1 - k]


cdef inline uint_t _high_mask(int bits_stored, uint_t kind) noexcept nogil:
    """The bits above `bits_stored` in a value of type uint_t."""
    return <uint_t>(~((<uint64_t>1 << bits_stored) - 1))


cdef Py_ssize_t count_unused_bits(const uint8_t* p, Py_ssize_t n, int bits_stored,
                                  bint signed, uint_t kind) noexcept nogil:
    """How many of the n native-order values differ from their low `bits_stored`
    bits zero- (unsigned) or sign- (signed) extended, i.e. would change under
    pydicom's ``(v << shift) >> shift`` correction."""
    cdef uint_t himask = _high_mask(bits_stored, kind)
    cdef uint_t v, high, want
    cdef Py_ssize_t i, bad = 0
    cdef int sign_bit = bits_stored - 1
    for i in range(n):
        memcpy(&v, p + i * sizeof(uint_t), sizeof(uint_t))
        high = v & himask
        want = himask if (signed and (v >> sign_bit) & 1) else 0
        bad += high != want
    return bad


cdef void clear_unused_bits(uint8_t* p, Py_ssize_t n, int bits_stored, bint signed,
                            uint_t kind) noexcept nogil:
    """In place: replace the bits above `bits_stored` by zero or sign extension."""
    cdef uint_t himask = _high_mask(bits_stored, kind)
    cdef uint_t v
    cdef Py_ssize_t i
    cdef int sign_bit = bits_stored - 1
    for i in range(n):
        memcpy(&v, p + i * sizeof(uint_t), sizeof(uint_t))
        if signed and (v >> sign_bit) & 1:
            v = v | himask
        else:
            v = v & ~himask
        memcpy(p + i * sizeof(uint_t), &v, sizeof(uint_t))


cdef int _check_itemsize(Py_ssize_t length, Py_ssize_t itemsize, str what) except -1:
    if itemsize not in (1, 2, 4, 8):
        raise ValueError(f"{what}: itemsize must be 1, 2, 4 or 8, not {itemsize}")
    if length % itemsize:
        raise PixelDataError(
            f"{what}: {length} bytes is not a whole number of {itemsize}-byte values")
    return 0


def unpack_bits(const uint8_t[::1] src, Py_ssize_t bit_offset, Py_ssize_t count,
                uint8_t[::1] out):
    """Unpack `count` bits of `src`, starting at bit `bit_offset` (LSB first), one
    per byte of `out`."""
    if bit_offset < 0 or count < 0:
        raise ValueError("bit_offset and count must not be negative")
    if (bit_offset + count + 7) // 8 > src.shape[0]:
        raise PixelDataError(
            f"bit-packed pixel data: {src.shape[0]} bytes cannot hold bits "
            f"{bit_offset} to {bit_offset + count}")
    if out.shape[0] < count:
        raise ValueError(f"'out' holds {out.shape[0]} bytes, {count} needed")
    if count == 0:
        return
    with nogil:
        unpack_bits_kernel(&src[0], bit_offset, count, &out[0])


def byteswap(const uint8_t[::1] src, Py_ssize_t itemsize, uint8_t[::1] out):
    """Copy `src` to `out` reversing the byte order of every `itemsize`-byte value."""
    cdef Py_ssize_t n = src.shape[0]
    _check_itemsize(n, itemsize, "byte swap")
    if out.shape[0] != n:
        raise ValueError(f"'out' holds {out.shape[0]} bytes, {n} needed")
    if n == 0:
        return
    with nogil:
        byteswap_kernel(&src[0], n // itemsize, itemsize, &out[0])


def unused_bits_set(const uint8_t[::1] data, Py_ssize_t itemsize, int bits_stored,
                    bint signed):
    """Number of native-order values whose bits above `bits_stored` are not the
    zero/sign extension of the stored bits (0: correcting would change nothing)."""
    cdef Py_ssize_t n = data.shape[0]
    cdef Py_ssize_t bad = 0
    cdef const uint8_t* p
    _check_itemsize(n, itemsize, "unused bits")
    if not 0 < bits_stored < 8 * itemsize or n == 0:
        return 0
    p = &data[0]
    n //= itemsize
    with nogil:
        if itemsize == 1:
            bad = count_unused_bits(p, n, bits_stored, signed, <uint8_t>0)
        elif itemsize == 2:
            bad = count_unused_bits(p, n, bits_stored, signed, <uint16_t>0)
        elif itemsize == 4:
            bad = count_unused_bits(p, n, bits_stored, signed, <uint32_t>0)
        else:
            bad = count_unused_bits(p, n, bits_stored, signed, <uint64_t>0)
    return bad


def correct_unused_bits(uint8_t[::1] data, Py_ssize_t itemsize, int bits_stored,
                        bint signed):
    """In place, set the bits above `bits_stored` of each native-order value to the
    zero/sign extension of its stored bits (pydicom's shift correction)."""
    cdef Py_ssize_t n = data.shape[0]
    cdef uint8_t* p
    _check_itemsize(n, itemsize, "unused bits")
    if not 0 < bits_stored < 8 * itemsize or n == 0:
        return
    p = &data[0]
    n //= itemsize
    with nogil:
        if itemsize == 1:
            clear_unused_bits(p, n, bits_stored, signed, <uint8_t>0)
        elif itemsize == 2:
            clear_unused_bits(p, n, bits_stored, signed, <uint16_t>0)
        elif itemsize == 4:
            clear_unused_bits(p, n, bits_stored, signed, <uint32_t>0)
        else:
            clear_unused_bits(p, n, bits_stored, signed, <uint64_t>0)


def expand_ybr422(const uint8_t[::1] src, Py_ssize_t itemsize, uint8_t[::1] out):
    """Upsample YBR_FULL_422 samples: each Y1 Y2 Cb Cr group becomes
    Y1 Cb Cr Y2 Cb Cr (PS3.3 C.7.6.3.1.2). `out` holds 3/2 as many bytes."""
    cdef Py_ssize_t n = src.shape[0]
    cdef Py_ssize_t groups, _g, k
    cdef const uint8_t* s
    cdef uint8_t* d
    _check_itemsize(n, itemsize, "YBR_FULL_422")
    if (n // itemsize) % 4:
        raise PixelDataError(
            f"YBR_FULL_422: {n // itemsize} samples is not a whole number of "
            "Y1 Y2 Cb Cr groups")
    groups = n // itemsize // 4
    if out.shape[0] != groups * 6 * itemsize:
        raise ValueError(f"'out' holds {out.shape[0]} bytes, {groups * 6 * itemsize} needed")
    if groups == 0:
        return
    s = &src[0]
    d = &out[0]
    with nogil:
        for _g in range(groups):
            for k in range(itemsize):
                d[k] = s[k]                               # Y1
                d[itemsize + k] = s[2 * itemsize + k]     # Cb
                d[2 * itemsize + k] = s[3 * itemsize + k]  # Cr
                d[3 * itemsize + k] = s[itemsize + k]     # Y2
                d[4 * itemsize + k] = s[2 * itemsize + k]  # Cb
                d[5 * itemsize + k] = s[3 * itemsize + k]  # Cr
            s += 4 * itemsize
            d += 6 * itemsize
