from libc.stdint cimport uint8_t, uint16_t, uint32_t, int64_t

from dcmfast._core.parse cimport Entry, Scanner

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
    Entry** hits          # per tag asked for (output order): its entry, NULL if absent
    uint16_t* hit_vr      # per tag asked for: the VR to convert it with
    int64_t cs_offset     # Specific Character Set value in buf (-1: absent or not needed)
    int64_t cs_length


cdef class _Workspace:
    cdef Job* jobs
    cdef Py_ssize_t cap
    cdef Py_ssize_t ntags
    cdef Entry** hits            # cap * ntags
    cdef uint16_t* hit_vr        # cap * ntags
    # the last value converted per tag: its bytes and object (shared when the next
    # file has the same bytes: str, int, float and bytes are immutable; lists are copied)
    cdef uint8_t* memo_raw       # ntags * MEMO_MAX
    cdef Py_ssize_t* memo_len    # -1: empty
    cdef uint16_t* memo_vr
    cdef uint8_t* memo_little
    cdef list memo_codec
    cdef list memo_value
    cdef uint8_t* memo_lent      # 1: memo_value is the very list given out in this batch
    # the last transfer syntax and character set seen, and what they gave
    cdef bytes ts_raw
    cdef object ts_value
    cdef bytes cs_raw
    cdef object cs_codec
    cdef bint cs_ok

    cdef int ensure(self, Py_ssize_t n, Py_ssize_t ntags) except -1
    cdef int settle(self) except -1


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
    cdef object _template        # a record dict with every key None (keys given), or None
    cdef object _keys            # the record keys (keys given), or None
    cdef bint compact            # rows as compact_row() makes them

    cdef object _codec_of(self, const uint8_t* p, Py_ssize_t n, bint* ok)
    cdef bint _values(self, Job* j, _Workspace ws, list out, object d, Py_ssize_t offset) except -1
