# cython: language_level=3
"""The element-stream scanner.

One pass over a buffer, without the GIL and without a Python object per
element, builds an :class:`Index`: a C array of entries (tag, VR, flags, value
offset and length, subtree end), in file order, items and the elements inside
them included. Every offset and length is checked against the buffer before it
is used; the index can never hold more entries than the buffer has 8-byte
headers, so its size is bounded by the input.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t, int64_t
from libc.stdlib cimport malloc, realloc, free, qsort
from libc.string cimport memcmp

from dcmfast._core._bytes cimport load_tag, load_u16, load_u32, lower_bound_u32
from dcmfast._core._vr cimport *  # noqa: F403 (the VR codes)

cdef enum:
    TAG_ITEM = 0xFFFEE000
    TAG_ITEM_DELIM = 0xFFFEE00D
    TAG_SEQ_DELIM = 0xFFFEE0DD
    UNDEFINED = 0xFFFFFFFF
    MAX_DEPTH = 128
    TAG_CHARSET = 0x00080005
    FIND_LINEAR = 64     # Index.find scans ranges up to this many entries

# error codes
cdef enum:
    E_OK = 0
    E_NOMEM = 1
    E_DEPTH = 2
    E_NO_DELIM = 3
    E_ITEM_HEADER = 4
    E_TOO_MANY = 5

_MESSAGES = {
    E_NOMEM: "out of memory while indexing",
    E_DEPTH: "sequences nested deeper than %d levels" % MAX_DEPTH,
    E_NO_DELIM: "end of data reached before the sequence delimiter of an undefined-length value",
    E_ITEM_HEADER: "truncated sequence item header",
    E_TOO_MANY: "too many elements",
}
TOO_MANY_MESSAGE = _MESSAGES[E_TOO_MANY]

# The VRs of PS3.5 Table 6.2-1, packed as (c0 << 8) | c1.
cdef inline uint16_t pack_vr(const uint8_t* p) noexcept nogil:
    return (<uint16_t>p[0] << 8) | p[1]


cdef inline int vr_kind(uint16_t vr) noexcept nogil:
    """0: not a known VR, 1: 2-byte length, 2: 4-byte length."""
    if (vr == VR_OB or vr == VR_OD or vr == VR_OF or vr == VR_OL or vr == VR_OV
            or vr == VR_OW or vr == VR_SQ or vr == VR_SV or vr == VR_UC
            or vr == VR_UN or vr == VR_UR or vr == VR_UT or vr == VR_UV):
        return 2
    if (vr == VR_AE or vr == VR_AS or vr == VR_AT or vr == VR_CS or vr == VR_DA
            or vr == VR_DS or vr == VR_DT or vr == VR_FD or vr == VR_FL
            or vr == VR_IS or vr == VR_LO or vr == VR_LT or vr == VR_PN
            or vr == VR_SH or vr == VR_SL or vr == VR_SS or vr == VR_ST
            or vr == VR_TM or vr == VR_UI or vr == VR_UL or vr == VR_US):
        return 1
    return 0


cdef bint is_dict_sq(Scanner* s, uint32_t tag) noexcept nogil:
    cdef Py_ssize_t i = lower_bound_u32(s.sq_tags, s.n_sq, tag)
    return i < s.n_sq and s.sq_tags[i] == tag


cdef enum:
    FIRST_GUESS_MAX = 1 << 20  # entries (40 MiB) the first allocation may reserve


cdef Py_ssize_t add_entry(Scanner* s, int64_t pos) noexcept nogil:
    """Append an entry, returning its index, or -1 (s.err set)."""
    cdef Py_ssize_t newcap
    cdef Entry* grown
    if s.max_entries > 0 and s.n >= s.max_entries:
        s.err = E_TOO_MANY
        s.err_offset = pos
        return -1
    if s.n == s.cap:
        if s.cap:
            newcap = s.cap * 2
        elif s.stop_group >= 0:
            newcap = 64  # the File Meta group: a few elements
        else:
            # a guess from the bytes left (elements average well over 32 bytes), so
            # that a large file is not copied by realloc a dozen times as it grows;
            # scan() gives back what is not used
            newcap = (s.size - pos) // 32
            if newcap < 64:
                newcap = 64
            elif newcap > FIRST_GUESS_MAX:  # a huge file of few, large values: grow instead
                newcap = FIRST_GUESS_MAX
        if s.max_entries > 0 and newcap > s.max_entries:
            newcap = s.max_entries
        if newcap > 0x7FFFFFF0:
            s.err = E_TOO_MANY
            s.err_offset = pos
            return -1
        grown = <Entry*>realloc(s.entries, newcap * sizeof(Entry))
        if grown == NULL:
            s.err = E_NOMEM
            return -1
        s.entries = grown
        s.cap = newcap
    s.n += 1
    return s.n - 1


cdef inline int fail(Scanner* s, int code, uint32_t tag, int64_t offset) noexcept nogil:
    s.err = code
    s.err_tag = tag
    s.err_offset = offset
    return -1


cdef bint looks_implicit(Scanner* s, int64_t pos, int64_t end) noexcept nogil:
    """True if the element at pos has no valid-looking explicit VR."""
    if pos + 6 > end:
        return False
    cdef uint8_t a = s.buf[pos + 4], b = s.buf[pos + 5]
    return not (0x40 < a < 0x5B and 0x40 < b < 0x5B)


cdef int find_seq_delimiter(Scanner* s, int64_t pos, int64_t end, int64_t* found) noexcept nogil:
    """Find the sequence delimiter ending an undefined-length value starting at pos.

    First walks the value as encapsulated items (robust against delimiter bytes
    inside fragments), then falls back to a byte search. Returns 0 and the
    delimiter position, or -1 if there is none before `end`.
    """
    cdef int64_t p = pos
    cdef uint32_t tag, length
    cdef uint8_t pat[4]
    while p + 4 <= end:
        tag = load_tag(s.buf + p, s.little)
        if tag == TAG_SEQ_DELIM:
            found[0] = p
            return 0
        if tag != TAG_ITEM or p + 8 > end:
            break
        length = load_u32(s.buf + p + 4, s.little)
        p += 8 + <int64_t>length
    # byte search
    if s.little:
        pat[0] = 0xFE
        pat[1] = 0xFF
        pat[2] = 0xDD
        pat[3] = 0xE0
    else:
        pat[0] = 0xFF
        pat[1] = 0xFE
        pat[2] = 0xE0
        pat[3] = 0xDD
    p = pos
    while p + 4 <= end:
        if s.buf[p] == pat[0] and memcmp(s.buf + p, pat, 4) == 0:
            found[0] = p
            return 0
        p += 1
    return -1


cdef int scan_sequence(Scanner* s, int64_t pos, int64_t end, int64_t limit,
                       bint implicit, int32_t parent, int64_t* out_pos) noexcept nogil:
    """Index the items of a sequence value.

    end < 0: undefined length, items run to a sequence delimiter.
    limit: the end of the bytes this sequence may use.
    """
    cdef uint32_t tag, length
    cdef Py_ssize_t idx
    cdef int64_t item_end, after
    cdef bint item_implicit
    if s.depth >= MAX_DEPTH:
        return fail(s, E_DEPTH, 0, pos)
    s.depth += 1
    while True:
        if end >= 0 and pos >= end:
            break
        if pos + 8 > limit:
            if pos < limit:
                # bytes left that cannot hold an item header (pydicom: "No tag
                # to read"): an error, for defined and undefined lengths alike
                s.depth -= 1
                return fail(s, E_ITEM_HEADER, 0, pos)
            if end < 0:
                # undefined-length sequence cut off by the end of the data
                s.depth -= 1
                return fail(s, E_NO_DELIM, 0, pos)
            break
        tag = load_tag(s.buf + pos, s.little)
        length = load_u32(s.buf + pos + 4, s.little)
        if tag == TAG_SEQ_DELIM:
            pos += 8
            break
        idx = add_entry(s, pos)
        if idx < 0:
            s.depth -= 1
            return -1
        s.entries[idx].tag = TAG_ITEM
        s.entries[idx].vr = 0
        s.entries[idx].flags = F_ITEM | (F_BAD_ITEM if tag != TAG_ITEM else 0)
        s.entries[idx].parent = parent
        s.entries[idx].offset = pos
        s.entries[idx].value_offset = pos + 8
        # a sequence item switches to implicit VR when its first element
        # has no valid explicit VR (PS3.5 7.5: items of UN may be implicit)
        item_implicit = implicit or looks_implicit(s, pos + 8, limit)
        if item_implicit:
            s.entries[idx].flags |= F_ITEM_IMPLICIT
        if length == UNDEFINED:
            s.entries[idx].flags |= F_UNDEF
            if scan_dataset(s, pos + 8, -1, limit, item_implicit, False, <int32_t>idx, &after) < 0:
                s.depth -= 1
                return -1
            s.entries[idx].length = after - (pos + 8)   # includes the item delimiter
        else:
            item_end = pos + 8 + <int64_t>length
            if item_end > limit:
                item_end = limit
                s.entries[idx].flags |= F_TRUNCATED
                s.n_clipped += 1
            if scan_dataset(s, pos + 8, item_end, limit, item_implicit, False, <int32_t>idx, &after) < 0:
                s.depth -= 1
                return -1
            s.entries[idx].length = item_end - (pos + 8)
            # an element may run past a defined item end: continue after it
            if after < item_end:
                after = item_end
        s.entries[idx].end = <int32_t>s.n
        pos = after
    s.depth -= 1
    out_pos[0] = pos
    return 0


cdef int scan_dataset(Scanner* s, int64_t pos, int64_t end, int64_t limit,
                      bint implicit, bint top, int32_t parent,
                      int64_t* out_pos) noexcept nogil:
    """Index the elements of a dataset.

    end < 0: undefined length (an item), elements run to an item delimiter
    or the limit. top: the top-level dataset, where the stop conditions apply.
    """
    cdef uint32_t tag, length
    cdef uint16_t vr
    cdef int64_t header, vpos, vend, delim, after
    cdef int kind
    cdef Py_ssize_t idx, saved_n
    cdef bint el_implicit, as_seq, tentative
    while True:
        if end >= 0 and pos >= end:
            break
        if pos + 8 > limit:
            # fewer than 8 bytes left: the dataset ends here (as pydicom)
            break
        tag = load_tag(s.buf + pos, s.little)
        el_implicit = implicit
        vr = 0
        if implicit:
            length = load_u32(s.buf + pos + 4, s.little)
            header = 8
        else:
            vr = pack_vr(s.buf + pos + 4)
            kind = vr_kind(vr)
            if kind == 2:
                if pos + 12 > limit:
                    break
                length = load_u32(s.buf + pos + 8, s.little)
                header = 12
            elif kind == 1:
                length = load_u16(s.buf + pos + 6, s.little)
                header = 8
            elif not (0x4141 <= vr <= 0x5A5A):
                # not a VR at all: this element is implicit VR
                el_implicit = True
                vr = 0
                length = load_u32(s.buf + pos + 4, s.little)
                header = 8
            else:
                # an unknown upper-case VR: assume a 2-byte length
                length = load_u16(s.buf + pos + 6, s.little)
                header = 8
        if tag == TAG_ITEM_DELIM:
            pos += 8
            if top:
                s.stopped = True
                s.stop_pos = pos
            break
        if top:
            if ((s.stop_group >= 0 and <int>(tag >> 16) != s.stop_group)
                    or tag > s.stop_after
                    or (s.stop_pixels and (tag == 0x7FE00010 or tag == 0x7FE00008
                                           or tag == 0x7FE00009))):
                s.stopped = True
                s.stop_pos = pos
                break
        if top:
            s.top_n = s.n
            s.top_pos = pos
        idx = add_entry(s, pos)
        if idx < 0:
            return -1
        vpos = pos + header
        if tag == TAG_CHARSET and vr == VR_SQ:
            # Specific Character Set is never a sequence (its value decodes the
            # text of every item, its own included): read the bytes as UN
            vr = VR_UN
        s.entries[idx].tag = tag
        s.entries[idx].vr = vr
        s.entries[idx].flags = F_IMPLICIT if el_implicit else 0
        s.entries[idx].parent = parent
        s.entries[idx].offset = pos
        s.entries[idx].value_offset = vpos
        if length != UNDEFINED:
            vend = vpos + <int64_t>length
            if vend > limit:
                vend = limit
                s.entries[idx].flags |= F_TRUNCATED
                s.n_clipped += 1
            s.entries[idx].length = vend - vpos
            as_seq = False
            tentative = False
            if tag == TAG_CHARSET:
                # never a sequence: its value decodes every text value, items
                # included, so a sequence here would have to decode itself
                pass
            elif vr == VR_SQ:
                as_seq = True
            elif vr == 0 or vr == VR_UN:
                if (tag >> 16) & 1:
                    # private: a sequence only if the private dictionary says
                    # so, which the facade decides; index it if it looks like one
                    # (an item, or a Sequence Delimitation Item alone: an empty
                    # sequence, as pydicom reads it)
                    tentative = (vend - vpos >= 8
                                 and (load_tag(s.buf + vpos, s.little) == TAG_ITEM
                                      or load_tag(s.buf + vpos, s.little) == TAG_SEQ_DELIM))
                else:
                    as_seq = is_dict_sq(s, tag) and (vr == 0 or length < 0xFFFF)
            if as_seq or tentative:
                saved_n = s.n
                if scan_sequence(s, vpos, vend, vend, el_implicit, <int32_t>idx, &after) < 0:
                    if s.err == E_NOMEM or s.err == E_TOO_MANY or s.err == E_DEPTH:
                        return -1
                    # keep the element opaque; reading it raises the error
                    s.n = saved_n
                    s.entries[idx].flags |= F_ERROR
                    s.err = E_OK
                elif as_seq:
                    s.entries[idx].flags |= F_SEQ
                    s.entries[idx].vr = VR_SQ if vr == 0 or vr == VR_SQ else vr
                else:
                    s.entries[idx].flags |= F_MAYBE_SQ
            s.entries[idx].end = <int32_t>s.n
            pos = vend
            if s.entries[idx].flags & F_TRUNCATED:
                # nothing valid can follow a clipped value
                pos = limit
        else:
            s.entries[idx].flags |= F_UNDEF
            as_seq = (vr == VR_SQ or vr == VR_UN) and tag != TAG_CHARSET
            if vr == 0 and tag != TAG_CHARSET:
                if (tag >> 16) & 1 or not (is_dict_sq(s, tag)):
                    # unknown or not a sequence in the dictionary: a sequence
                    # if an item follows (pydicom's look-ahead)
                    as_seq = (vpos + 4 <= limit
                              and load_tag(s.buf + vpos, s.little) == TAG_ITEM
                              and not _dict_known_non_sq(tag))
                else:
                    as_seq = True
            if as_seq:
                if scan_sequence(s, vpos, -1, limit, el_implicit, <int32_t>idx, &after) < 0:
                    if s.err_tag == 0:
                        s.err_tag = tag
                    return -1
                s.entries[idx].flags |= F_SEQ
                s.entries[idx].vr = VR_SQ
                s.entries[idx].length = after - vpos
                s.entries[idx].end = <int32_t>s.n
                pos = after
            else:
                if find_seq_delimiter(s, vpos, limit, &delim) < 0:
                    return fail(s, E_NO_DELIM, tag, pos)
                s.entries[idx].flags |= F_ENCAPS
                s.entries[idx].length = delim - vpos
                s.entries[idx].end = <int32_t>s.n
                pos = delim + 8
                if pos > limit:
                    # a delimiter tag whose length field is cut off by the end
                    pos = limit
    out_pos[0] = pos
    return 0


# Tags that are in the dictionary with a VR other than SQ: for these an
# undefined length never means a sequence (pydicom looks the VR up first).
cdef bint _dict_known_non_sq(uint32_t tag) noexcept nogil:
    return _known_tag(tag)


cdef const uint32_t* _known = NULL
cdef Py_ssize_t _n_known = 0
cdef const uint32_t* _sq = NULL
cdef Py_ssize_t _n_sq = 0
cdef object _keep_alive = None


cdef bint _known_tag(uint32_t tag) noexcept nogil:
    cdef Py_ssize_t i = lower_bound_u32(_known, _n_known, tag)
    return i < _n_known and _known[i] == tag


def set_dictionary(sq_tags, known_tags):
    """Install the sorted uint32 arrays of SQ tags and of all public dictionary tags.

    Called once by dcmfast.reader at import with tables from dcmfast.datadict.
    """
    global _sq, _n_sq, _known, _n_known, _keep_alive
    cdef const uint32_t[::1] sq = sq_tags
    cdef const uint32_t[::1] kn = known_tags
    _keep_alive = (sq_tags, known_tags, sq, kn)
    _sq = &sq[0] if sq.shape[0] else NULL
    _n_sq = sq.shape[0]
    _known = &kn[0] if kn.shape[0] else NULL
    _n_known = kn.shape[0]


cdef void _init_scanner(Scanner* s, const uint8_t* buf, int64_t size, bint little) noexcept:
    s.buf = buf
    s.size = size if buf != NULL else 0
    s.little = little
    s.entries = NULL
    s.n = 0
    s.cap = 0
    s.depth = 0
    s.err = E_OK
    s.err_tag = 0
    s.err_offset = 0
    s.stop_group = -1
    s.stop_after = 0xFFFFFFFF
    s.stop_pixels = False
    s.stopped = False
    s.stop_pos = s.size
    s.sq_tags = _sq
    s.n_sq = _n_sq
    s.n_clipped = 0
    s.top_n = 0
    s.top_pos = 0
    s.max_entries = 0


# One entries array of a large index (1 to 16 MiB), kept when its Index is freed, for
# the next large scan (taken and given back with the GIL held). glibc hands arrays this
# large to and from the kernel depending on its heap's history; reading large files in
# turn then faulted in ~500 fresh pages for each index (a 5,000-item per-frame file).
cdef enum:
    CACHE_MIN_ENTRIES = (1 << 20) // 40  # 1 MiB: smaller arrays come from malloc's heap
    CACHE_MAX_ENTRIES = (16 << 20) // 40
cdef Entry* _cached_entries = NULL
cdef Py_ssize_t _cached_cap = 0


cdef void _take_cached(Scanner* s, Py_ssize_t guess) noexcept:
    global _cached_entries, _cached_cap
    if _cached_entries != NULL and guess >= CACHE_MIN_ENTRIES and _cached_cap >= guess:
        s.entries = _cached_entries
        s.cap = _cached_cap
        _cached_entries = NULL
        _cached_cap = 0


cdef bint _give_back(Entry* entries, Py_ssize_t cap) noexcept:
    """Keep `entries` for the next large scan (True), or leave it to the caller to free."""
    global _cached_entries, _cached_cap
    if cap < CACHE_MIN_ENTRIES or cap > CACHE_MAX_ENTRIES or cap <= _cached_cap:
        return False
    free(_cached_entries)
    _cached_entries = entries
    _cached_cap = cap
    return True


def cached_entries():
    """The capacity (entries) of the kept entries array, 0 if none (for the tests)."""
    return _cached_cap


cdef int _cmp_u64(const void* a, const void* b) noexcept nogil:
    cdef uint64_t x = (<const uint64_t*>a)[0], y = (<const uint64_t*>b)[0]
    return (x > y) - (x < y)


cdef class Index:
    """The compact element index of one dataset stream over a buffer."""

    def __cinit__(self):
        self.entries = NULL
        self.n = 0
        self.cap = 0

    def __dealloc__(self):
        cdef int k
        if self.entries != NULL:
            if not _give_back(self.entries, self.cap):
                free(self.entries)
            self.entries = NULL
        for k in range(4):
            free(self._tables[k])
            self._tables[k] = NULL

    def __len__(self):
        return self.n

    def entry(self, Py_ssize_t i):
        """(tag, vr, flags, end, parent, offset, value_offset, length) of entry i."""
        if i < 0 or i >= self.n:
            raise IndexError(i)
        cdef Entry* e = &self.entries[i]
        return (e.tag, e.vr, e.flags, e.end, e.parent, e.offset, e.value_offset, e.length)

    cpdef list children(self, Py_ssize_t first, Py_ssize_t stop):
        """Indices of the entries directly in [first, stop), in file order."""
        cdef Py_ssize_t i = first
        out = []
        if stop > self.n:
            stop = self.n
        while 0 <= i < stop:
            out.append(i)
            i = self.entries[i].end
        return out

    cpdef Py_ssize_t find(self, Py_ssize_t first, Py_ssize_t stop, uint32_t tag):
        """Index of the last direct entry in [first, stop) with `tag`, or -1.

        Small ranges are scanned; a large one (a dataset of many elements) gets a
        table of its direct entries sorted by tag on its first lookup (as costly as
        one scan), searched by bisection from then on.
        """
        cdef Py_ssize_t i = first, found = -1, n, lo, hi, mid
        cdef uint64_t* table
        cdef uint64_t want
        cdef int k
        if stop > self.n:
            stop = self.n
        if stop - first <= FIND_LINEAR:
            while 0 <= i < stop:
                if self.entries[i].tag == tag:
                    found = i
                i = self.entries[i].end
            return found
        table = NULL
        for k in range(4):
            if self._tables[k] != NULL and self._table_first[k] == first and self._table_stop[k] == stop:
                table = self._tables[k]
                n = self._table_n[k]
                break
        if table == NULL:
            table = self._find_table(first, stop, &n)
        # the last entry whose key is at most (tag, largest index): with equal tags
        # ordered by index, that is the last such entry in file order
        want = (<uint64_t>tag << 32) | 0xFFFFFFFFu
        lo = 0
        hi = n
        while lo < hi:
            mid = (lo + hi) >> 1
            if table[mid] <= want:
                lo = mid + 1
            else:
                hi = mid
        if lo > 0 and <uint32_t>(table[lo - 1] >> 32) == tag:
            return <Py_ssize_t>(table[lo - 1] & 0xFFFFFFFFu)
        return -1

    cdef uint64_t* _find_table(self, Py_ssize_t first, Py_ssize_t stop, Py_ssize_t* count) except NULL:
        """Build (in the next of the four slots) the sorted table of [first, stop)."""
        cdef Py_ssize_t i = first, n = 0
        cdef bint ordered = True
        cdef uint64_t key, last = 0
        cdef int k = self._table_next
        cdef uint64_t* table = <uint64_t*>malloc(max(stop - first, 1) * sizeof(uint64_t))
        if table == NULL:
            raise MemoryError()
        while 0 <= i < stop:
            key = (<uint64_t>self.entries[i].tag << 32) | <uint64_t>i
            if n and key < last:
                ordered = False
            table[n] = key
            last = key
            n += 1
            i = self.entries[i].end
        if not ordered:
            qsort(table, n, sizeof(uint64_t), _cmp_u64)
        free(self._tables[k])
        self._tables[k] = table
        self._table_first[k] = first
        self._table_stop[k] = stop
        self._table_n[k] = n
        self._table_next = (k + 1) & 3
        count[0] = n
        return table

    cpdef list tags(self, Py_ssize_t first, Py_ssize_t stop):
        """Tags of the entries directly in [first, stop), in file order."""
        cdef Py_ssize_t i = first
        out = []
        if stop > self.n:
            stop = self.n
        while 0 <= i < stop:
            out.append(self.entries[i].tag)
            i = self.entries[i].end
        return out

    def sequence_error(self, Py_ssize_t i):
        """(message, tag, offset) of why entry i did not index as a sequence."""
        if i < 0 or i >= self.n:
            raise IndexError(i)
        cdef Entry* e = &self.entries[i]
        cdef Scanner s
        cdef int64_t after = 0
        _init_scanner(&s, &self.view[0], self.view.shape[0], self.little_endian)
        scan_sequence(&s, e.value_offset, e.value_offset + e.length,
                      e.value_offset + e.length, (e.flags & F_IMPLICIT) != 0, -1, &after)
        if s.entries != NULL:
            free(s.entries)
        if s.err == E_OK:
            return None
        return (_MESSAGES.get(s.err, "indexing failed"), s.err_tag or e.tag, s.err_offset)

    def value_view(self, Py_ssize_t i):
        """A zero-copy memoryview of the value bytes of entry i."""
        if i < 0 or i >= self.n:
            raise IndexError(i)
        cdef Entry* e = &self.entries[i]
        return memoryview(self.buffer)[e.value_offset:e.value_offset + e.length]


def scan(object buffer, Py_ssize_t start, bint implicit, bint little,
         int stop_group=-1, object stop_after=None, bint stop_pixels=False,
         Py_ssize_t end=-1, bint lenient=True, Py_ssize_t max_entries=-1):
    """Scan the element stream of `buffer` from `start` and return an Index.

    stop_group: stop at the first top-level element outside this group.
    stop_after: stop at the first top-level tag greater than this.
    stop_pixels: stop at the top-level pixel data elements.
    lenient: when the data ends inside an undefined-length value, index the
    elements before it and report (message, tag, offset) in ``truncation``.
    max_entries: fail with TOO_MANY_MESSAGE rather than index more entries.
    Raises ValueError(message, tag, offset) on data that cannot be indexed.
    """
    cdef const uint8_t[::1] view = buffer
    cdef Index index = Index.__new__(Index)
    cdef Scanner s
    cdef Entry* shrunk
    cdef int rc
    cdef int64_t after = 0
    cdef int64_t size = view.shape[0]
    if end >= 0 and end < size:
        size = end
    if start < 0 or start > size:
        raise ValueError("start offset outside the buffer", 0, start)
    _init_scanner(&s, &view[0] if view.shape[0] else NULL, size, little)
    s.stop_group = stop_group
    s.stop_after = 0xFFFFFFFF if stop_after is None else <uint32_t>stop_after
    s.stop_pixels = stop_pixels
    s.max_entries = max_entries if max_entries > 0 else 0
    if stop_group < 0 and size - start >= CACHE_MIN_ENTRIES * 32:
        _take_cached(&s, min((size - start) // 32, FIRST_GUESS_MAX))
    with nogil:
        if s.buf != NULL:
            rc = scan_dataset(&s, start, size, size, implicit, True, -1, &after)
        else:
            rc = 0
    truncation = None
    if rc < 0 and lenient and (s.err == E_NO_DELIM or s.err == E_ITEM_HEADER):
        # the data ends inside an undefined-length value: keep the elements
        # before it (the caller warns) instead of failing the whole read
        truncation = (_MESSAGES.get(s.err, "indexing failed"), s.err_tag, s.err_offset)
        s.n = s.top_n
        s.stopped = True
        s.stop_pos = s.top_pos
        rc = 0
    if rc < 0:
        if s.entries != NULL:
            free(s.entries)
        raise ValueError(_MESSAGES.get(s.err, "indexing failed"), s.err_tag, s.err_offset)
    if s.cap > 2 * s.n + 64:  # return the unused part of the first guess
        shrunk = <Entry*>realloc(s.entries, (s.n if s.n else 1) * sizeof(Entry))
        if shrunk != NULL:
            s.entries = shrunk
            s.cap = s.n if s.n else 1
    index.entries = s.entries
    index.n = s.n
    index.cap = s.cap
    index.buffer = buffer
    index.view = view
    index.little_endian = little
    index.implicit_vr = implicit
    index.start = start
    index.stop_offset = s.stop_pos if s.stopped else after
    index.stopped_early = s.stopped
    index.warnings = s.n_clipped
    index.truncation = truncation
    return index


def looks_implicit_at(object buffer, Py_ssize_t pos):
    """True if the element header at pos has no valid explicit VR."""
    cdef const uint8_t[::1] view = buffer
    if pos < 0 or pos + 6 > view.shape[0]:
        return False
    return not (0x40 < view[pos + 4] < 0x5B and 0x40 < view[pos + 5] < 0x5B)
