# float(text) of plain decimal text without Python's parser, where one correctly
# rounded operation gives the exact answer (Clinger's fast path). Shared by the
# DS values of dcmread (values.pyx) and of ingest (ingest.pyx).
from libc.stdint cimport uint8_t

cdef extern from *:
    """
    #include <float.h>
    #include <stdint.h>
    /* double arithmetic rounds every operation to a double (no extended precision) */
    #if defined(FLT_EVAL_METHOD)
    #define DCMFAST_PLAIN_DOUBLES (FLT_EVAL_METHOD == 0)
    #elif defined(_M_X64) || defined(_M_ARM64) || defined(__x86_64__) || defined(__aarch64__)
    #define DCMFAST_PLAIN_DOUBLES 1
    #else
    #define DCMFAST_PLAIN_DOUBLES 0
    #endif
    /* 10 ** 22 is the largest power of ten a double holds exactly */
    static const double dcmfast_pow10[23] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    /* The value of [+-]digits[.digits][(e|E)[+-]digits] (or [+-].digits...) in *out
       when its digits (without the point and leading zeros) make an integer
       w <= 2 ** 53 and its scale (exponent less digits after the point) is within
       22 of zero: w and 10 ** |scale| are exact doubles, so one multiplication or
       division rounds the exact value correctly, as float() does. Returns 0 for
       anything else (the caller parses it then), and always where doubles carry
       extra precision. */
    #if defined(__GNUC__)
    __attribute__((always_inline))  /* one call per DS item: keep it in the caller's loop */
    #endif
    static inline int dcmfast_exact_double(const uint8_t* p, Py_ssize_t n, double* out) {
        Py_ssize_t i = 0, digits = 0, after = 0, exp_digits = 0;
        uint64_t w = 0;
        int64_t e = 0, scale;
        int neg = 0, exp_neg = 0, point = 0, any_digit = 0;
        if (!DCMFAST_PLAIN_DOUBLES) return 0;
        if (i < n && (p[i] == '+' || p[i] == '-')) { neg = p[i] == '-'; i++; }
        for (; i < n; i++) {
            uint8_t c = p[i];
            if (c >= '0' && c <= '9') {
                any_digit = 1;
                if (w || c != '0') {
                    if (++digits > 16) return 0;
                    w = w * 10 + (uint64_t)(c - '0');
                }
                if (point) after++;
            } else if (c == '.' && !point) {
                point = 1;
            } else {
                break;
            }
        }
        if (!any_digit) return 0;
        if (i < n) {
            if (p[i] != 'e' && p[i] != 'E') return 0;
            i++;
            if (i < n && (p[i] == '+' || p[i] == '-')) { exp_neg = p[i] == '-'; i++; }
            if (i == n) return 0;
            for (; i < n; i++) {
                if (p[i] < '0' || p[i] > '9' || ++exp_digits > 4) return 0;
                e = e * 10 + (p[i] - '0');
            }
            if (exp_neg) e = -e;
        }
        if (w > ((uint64_t)1 << 53)) return 0;
        scale = e - after;
        if (scale < -22 || scale > 22) {
            if (w != 0) return 0;
            scale = 0;
        }
        *out = scale >= 0 ? (double)w * dcmfast_pow10[scale] : (double)w / dcmfast_pow10[-scale];
        if (neg) *out = -*out;
        return 1;
    }
    """
    bint exact_double "dcmfast_exact_double"(const uint8_t* p, Py_ssize_t n, double* out) noexcept nogil
