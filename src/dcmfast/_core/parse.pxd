from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t, int64_t

cdef enum:
    F_UNDEF = 1          # undefined length (0xFFFFFFFF) in the file
    F_IMPLICIT = 2       # header had no VR: resolve it from the dictionary
    F_ITEM = 4           # a sequence item (FFFE,E000)
    F_SEQ = 8            # value indexed as a sequence: children follow
    F_MAYBE_SQ = 16      # private/UN value that parsed as items; the facade decides
    F_ERROR = 32         # value should be a sequence but did not parse
    F_TRUNCATED = 64     # value runs past the end of its container: clipped
    F_ENCAPS = 128       # undefined-length value that is not a sequence
    F_BAD_ITEM = 256     # item whose tag is not (FFFE,E000)
    F_ITEM_IMPLICIT = 512  # item content is implicit VR

ctypedef struct Entry:
    uint32_t tag
    uint16_t vr           # two ASCII chars, first in the high byte; 0 if implicit
    uint16_t flags
    int32_t end           # index one past this entry's subtree
    int32_t parent        # index of the enclosing item / sequence; -1 at top level
    int64_t offset        # offset of the element (or item) header in the buffer
    int64_t value_offset  # offset of the value
    int64_t length        # value length in bytes as stored (clipped if truncated)


ctypedef struct Scanner:
    const uint8_t* buf
    int64_t size
    bint little
    Entry* entries
    Py_ssize_t n
    Py_ssize_t cap
    int depth
    int err
    uint32_t err_tag
    int64_t err_offset
    # top-level stop conditions
    int stop_group          # stop when group != stop_group (-1: off)
    uint32_t stop_after     # stop when tag > stop_after
    bint stop_pixels        # stop at (7FE0,0008/0009/0010)
    bint stopped
    int64_t stop_pos
    # sorted tags whose dictionary VR is SQ
    const uint32_t* sq_tags
    Py_ssize_t n_sq
    # counts of lenient reads (clipped values), reported as warnings
    Py_ssize_t n_clipped
    # entries and position before the top-level element being read
    Py_ssize_t top_n
    int64_t top_pos
    # cap on the number of entries (the caller's memory budget); <= 0: none
    Py_ssize_t max_entries


cdef int scan_dataset(Scanner* s, int64_t pos, int64_t end, int64_t limit,
                      bint implicit, bint top, int32_t parent,
                      int64_t* out_pos) noexcept nogil
cdef int scan_sequence(Scanner* s, int64_t pos, int64_t end, int64_t limit,
                       bint implicit, int32_t parent, int64_t* out_pos) noexcept nogil


cdef class Index:
    cdef Entry* entries
    cdef Py_ssize_t n
    cdef Py_ssize_t cap
    cdef readonly object buffer
    cdef const uint8_t[::1] view
    cdef readonly bint little_endian
    cdef readonly bint implicit_vr
    cdef readonly Py_ssize_t start
    cdef readonly Py_ssize_t stop_offset
    cdef readonly bint stopped_early
    cdef readonly object warnings
    cdef readonly object truncation
    # find(): tag-sorted (tag << 32 | entry) tables of the direct entries of a few
    # large ranges (a dataset of many elements), built on their first lookup
    cdef uint64_t* _tables[4]
    cdef Py_ssize_t _table_first[4]
    cdef Py_ssize_t _table_stop[4]
    cdef Py_ssize_t _table_n[4]
    cdef int _table_next

    cpdef list children(self, Py_ssize_t first, Py_ssize_t stop)
    cpdef Py_ssize_t find(self, Py_ssize_t first, Py_ssize_t stop, uint32_t tag)
    cdef uint64_t* _find_table(self, Py_ssize_t first, Py_ssize_t stop, Py_ssize_t* count) except NULL
    cpdef list tags(self, Py_ssize_t first, Py_ssize_t stop)
