cdef class MultiValueBase:
    cdef public list _list          # the values
    cdef public object _constructor  # what converts a value put in
