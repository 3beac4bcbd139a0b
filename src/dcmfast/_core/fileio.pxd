cpdef object read_path(object path, int threads=*)
