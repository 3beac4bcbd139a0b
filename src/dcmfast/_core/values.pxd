from dcmfast._core.parse cimport Index

cpdef object empty_value(str vr)
cpdef object convert(Index index, Py_ssize_t i, str vr, tuple encodings)
