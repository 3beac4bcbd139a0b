from libc.stdint cimport uint8_t, uint16_t, uint32_t, int64_t

from dcmfast._core.parse cimport Scanner

ctypedef struct Job:
    const char* path
    uint8_t* buf          # malloc'd file bytes (a prefix, or the whole file)
    int64_t cap
    int64_t len           # bytes in buf
    int64_t size          # file size (fstat)
    int64_t mtime_ns      # modification time (fstat)
    int err_no            # errno of a failed open / read
    int status            # see the S_* codes in ingest.pyx
    bint complete         # buf holds the whole file
    bint implicit         # the data set's encoding (from the transfer syntax)
    bint little
    int64_t ts_offset     # Transfer Syntax UID value in buf (-1: absent)
    int64_t ts_length
    Scanner meta          # index of the File Meta group
    Scanner data          # index of the data set, up to the last tag asked for


cdef class Extractor:
    cdef uint32_t* want          # tags asked for, in output order
    cdef uint16_t* dict_vr       # their dictionary VR (packed), 0: needs the facade
    cdef uint32_t* sorted_want   # the same tags sorted, and their output position
    cdef Py_ssize_t* sorted_pos
    cdef Py_ssize_t n
    cdef uint32_t stop_after
    cdef bint stop_pixels
    cdef int64_t prefix
    cdef const uint32_t* sq_tags
    cdef Py_ssize_t n_sq
    cdef object _keep
    cdef readonly object tags
    cdef dict _codecs
    cdef list _pool
    cdef object list_encoder

    cdef object _codec(self, Job* j, bint* ok)
    cdef bint _values(self, Job* j, list out, Py_ssize_t offset) except -1
    cdef object _transfer_syntax(self, Job* j)
