cdef object facing_of(object obj)
