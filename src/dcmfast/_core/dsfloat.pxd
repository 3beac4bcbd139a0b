cimport cython


@cython.no_gc
cdef class DSfloat(float):
    cdef object _text      # the string it was read from (None: made from a number)
    cdef bint _auto        # auto_format


cdef DSfloat new_dsfloat(double value, str text)
