# Latin-1 text helpers shared by the value conversion of dcmread (values.pyx) and
# of ingest (ingest.pyx).
from libc.stdint cimport uint8_t

cdef extern from *:
    """
    #include <string.h>
    /* bytes.decode("latin-1"): a short text (DS / IS items, codes) is copied into a
       new compact string directly; a single character comes from the interpreter's
       cache and longer texts go through PyUnicode_DecodeLatin1. */
    static PyObject* dcmfast_latin1(const char* p, Py_ssize_t n) {
        unsigned char high = 0;
        Py_ssize_t i;
        PyObject* s;
        if (n <= 1 || n > 64) return PyUnicode_DecodeLatin1(p, n, NULL);
        for (i = 0; i < n; i++) high |= (unsigned char)p[i];
        s = PyUnicode_New(n, high < 0x80 ? 0x7F : 0xFF);
        if (s == NULL) return NULL;
        memcpy(PyUnicode_1BYTE_DATA(s), p, (size_t)n);
        return s;
    }
    """
    str dcmfast_latin1(const char* p, Py_ssize_t n)


cdef inline str _latin1(const uint8_t* p, Py_ssize_t n):
    return dcmfast_latin1(<const char*>p, n)


cdef inline bint _is_space(uint8_t c) noexcept nogil:
    """Characters str.strip() removes from latin-1 text (str.isspace())."""
    return c == 0x20 or 0x09 <= c <= 0x0D or 0x1C <= c <= 0x1F or c == 0x85 or c == 0xA0
