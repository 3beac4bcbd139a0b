cimport cython


@cython.no_gc
cdef class DSfloat(float):
    # the string it was read from (None: made from a number, or not made yet:
    # then it is the _nraw bytes of _raw)
    cdef object _text
    cdef bint _auto        # auto_format
    cdef unsigned char _nraw
    cdef char _raw[16]     # a short ASCII string read from a file, made str when asked


cdef DSfloat new_dsfloat(double value, str text)
cdef DSfloat new_dsfloat_ascii(double value, const char* text, Py_ssize_t n)
