# cython: language_level=3
"""YCbCr (YBR_FULL, ITU-T T.871) to RGB conversion of 8-bit colour-by-pixel data.

The arithmetic reproduces pydicom 3's ``convert_color_space`` bit for bit:
pydicom multiplies float32 pixels by a float32 matrix (a fused multiply-add per
term), adds 0.5, floors and clips to 0..255. Each product of an 8-bit integer
and a float32 coefficient, plus a float32 or small integer, is exact in double
precision, so rounding the double sum to float32 once per term gives the fused
result without calling ``fmaf``.
"""
from libc.stdint cimport uint8_t

from dcmfast.errors import PixelDataError

# pydicom's coefficients, computed in double then stored as float32
cdef float CR_TO_R = <float>1.402
cdef float CB_TO_G = <float>(-0.114 * 1.772 / 0.587)
cdef float CR_TO_G = <float>(-0.299 * 1.402 / 0.587)
cdef float CB_TO_B = <float>1.772


cdef inline uint8_t _round_clip(float v) noexcept nogil:
    cdef float r = v + <float>0.5
    if r < 0:
        return 0
    if r >= 255:
        return 255
    return <uint8_t>r  # truncation == floor for 0 <= r < 255


cdef void ybr_full_to_rgb_kernel(const uint8_t* src, uint8_t* out,
                                 Py_ssize_t pixels) noexcept nogil:
    """Convert `pixels` Y Cb Cr triplets; `out` may be `src` (in place)."""
    cdef Py_ssize_t _i
    cdef double y, cb, cr
    cdef float g
    for _i in range(pixels):
        y = src[0]
        cb = <double>src[1] - 128.0
        cr = <double>src[2] - 128.0
        g = <float>(cb * CB_TO_G + y)
        out[0] = _round_clip(<float>(cr * CR_TO_R + y))
        out[1] = _round_clip(<float>(cr * CR_TO_G + g))
        out[2] = _round_clip(<float>(cb * CB_TO_B + y))
        src += 3
        out += 3


def ybr_full_to_rgb(const uint8_t[::1] src, uint8_t[::1] out):
    """Convert 8-bit YBR_FULL colour-by-pixel samples in `src` to RGB in `out`.

    `out` has the length of `src` and may be the same buffer.
    """
    cdef Py_ssize_t n = src.shape[0]
    if n % 3:
        raise PixelDataError(
            f"YBR to RGB: {n} bytes is not a whole number of 3-sample pixels")
    if out.shape[0] != n:
        raise ValueError(f"'out' holds {out.shape[0]} bytes, {n} needed")
    if n == 0:
        return
    with nogil:
        ybr_full_to_rgb_kernel(&src[0], &out[0], n // 3)
