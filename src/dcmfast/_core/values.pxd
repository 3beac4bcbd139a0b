from dcmfast._core.parse cimport Index

cpdef object empty_value(str vr)
cpdef object clipped_empty_value(str vr)
cpdef object convert(Index index, Py_ssize_t i, str vr, object encodings)
cdef object wrap_multi(object constructor, list items)
cdef object new_sequence(list items, bint undefined, object origin, bint untracked)
