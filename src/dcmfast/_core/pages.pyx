# cython: language_level=3
"""Large decoder outputs in memory mappings of their own, the last one freed kept
for the next (Linux).

A fresh anonymous mapping costs the kernel's zeroing of every page on first
touch (about 4 ms for a 52 MB output here, even with huge pages), and numpy
takes a fresh mapping for every array above glibc's largest malloc threshold
(32 MiB): decoding a series of large multi-frame images pays it for every file.
Below that size, malloc reuses freed memory already.

:func:`alloc` gives a writable buffer of at least 32 MiB in a 2 MiB-aligned
mapping (advised to use transparent huge pages). When the last reference to the
buffer goes, its mapping is kept in a one-slot cache, its pages given back with
``MADV_FREE``: the kernel reclaims them only under memory pressure, until then
the next buffer of about the same size reuses them without faulting or
zeroing. An allocation that does not fit the cached mapping unmaps it first, so
a new mapping never comes on top of a cached one. Callers overwrite every byte
they expose: the content of a reused buffer is whatever was there.

Elsewhere (no ``MADV_FREE``), :func:`alloc` returns None and callers use
``numpy.empty``.
"""
from cpython.buffer cimport PyBUF_FORMAT, PyBUF_ND, PyBUF_STRIDES
from libc.stddef cimport size_t
from libc.stdint cimport uintptr_t

cdef extern from "Python.h":
    int PyTraceMalloc_Track(unsigned int domain, uintptr_t ptr, size_t size)
    int PyTraceMalloc_Untrack(unsigned int domain, uintptr_t ptr)

cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #endif
    #if defined(__linux__) && defined(MADV_FREE) && defined(MAP_ANONYMOUS)
    #define DCMFAST_HAVE_PAGES 1
    #include <stdint.h>
    #define DCMFAST_PAGE_ALIGN ((size_t)2 << 20)
    /* A mapping of n bytes (a multiple of DCMFAST_PAGE_ALIGN) aligned to
       DCMFAST_PAGE_ALIGN, or NULL. */
    static void* dcmfast_map(size_t n) {
        size_t extra = DCMFAST_PAGE_ALIGN, head, tail;
        uint8_t* p;
        uint8_t* start;
        if (n > SIZE_MAX - extra) return NULL;
        p = (uint8_t*)mmap(NULL, n + extra, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == (uint8_t*)MAP_FAILED) return NULL;
        start = (uint8_t*)(((uintptr_t)p + extra - 1) & ~(uintptr_t)(extra - 1));
        head = (size_t)(start - p);
        tail = extra - head;
        if (head) (void)munmap(p, head);
        if (tail) (void)munmap(start + n, tail);
    #if defined(MADV_HUGEPAGE)
        (void)madvise(start, n, MADV_HUGEPAGE);  /* advice only */
    #endif
        return start;
    }
    static void dcmfast_unmap(void* p, size_t n) { (void)munmap(p, n); }
    /* Give the pages back lazily: 0, or -1 when the kernel refuses (then unmap). */
    static int dcmfast_lazy_free(void* p, size_t n) { return madvise(p, n, MADV_FREE); }
    #else
    #define DCMFAST_HAVE_PAGES 0
    #define DCMFAST_PAGE_ALIGN ((size_t)2 << 20)
    static void* dcmfast_map(size_t n) { (void)n; return NULL; }
    static void dcmfast_unmap(void* p, size_t n) { (void)p; (void)n; }
    static int dcmfast_lazy_free(void* p, size_t n) { (void)p; (void)n; return -1; }
    #endif
    """
    bint DCMFAST_HAVE_PAGES
    size_t DCMFAST_PAGE_ALIGN
    void* dcmfast_map(size_t n) noexcept nogil
    void dcmfast_unmap(void* p, size_t n) noexcept nogil
    int dcmfast_lazy_free(void* p, size_t n) noexcept nogil

__all__ = ["alloc", "release_cached", "cached_bytes", "MIN_BYTES"]

cdef enum:
    # Smaller outputs come from numpy.empty: malloc reuses freed blocks up to 32 MiB.
    MIN_PAGES_BYTES = 32 << 20
    # A cached mapping serves a request up to a quarter smaller than itself (the
    # rest stays mapped, unused, while the buffer lives).
    SLACK_DIVISOR = 4
    # tracemalloc domain of the buffers handed out (numpy reports its arrays' data
    # the same way, in a domain of its own)
    TRACE_DOMAIN = 0x64636D66

MIN_BYTES = MIN_PAGES_BYTES

# The one cached mapping (NULL: none). Touched only with the GIL held.
cdef void* _cached = NULL
cdef size_t _cached_length = 0


cdef class Pages:
    """A writable buffer of `nbytes` bytes at the start of a mapping of its own;
    the mapping goes to the cache (or is unmapped) when the object is freed."""
    cdef void* addr
    cdef size_t length
    cdef Py_ssize_t nbytes

    def __cinit__(self):
        self.addr = NULL

    def __init__(self):
        raise TypeError("Pages buffers come from dcmfast._core.pages.alloc()")

    def __getbuffer__(self, Py_buffer* view, int flags):
        if self.addr == NULL:
            raise BufferError("an empty Pages object")
        view.buf = self.addr
        view.obj = self
        view.len = self.nbytes
        view.readonly = 0
        view.itemsize = 1
        view.format = NULL
        if flags & PyBUF_FORMAT:
            view.format = b"B"
        view.ndim = 1
        view.shape = NULL
        view.strides = NULL
        if flags & PyBUF_ND:
            view.shape = &self.nbytes
        if flags & PyBUF_STRIDES == PyBUF_STRIDES:
            view.strides = &view.itemsize
        view.suboffsets = NULL
        view.internal = NULL

    def __len__(self):
        return self.nbytes

    def __dealloc__(self):
        global _cached, _cached_length
        if self.addr == NULL:
            return
        PyTraceMalloc_Untrack(TRACE_DOMAIN, <uintptr_t>self.addr)
        if dcmfast_lazy_free(self.addr, self.length) != 0:
            dcmfast_unmap(self.addr, self.length)
            return
        if _cached != NULL:  # the most recent one is kept
            dcmfast_unmap(_cached, _cached_length)
        _cached = self.addr
        _cached_length = self.length


def alloc(Py_ssize_t nbytes):
    """A :class:`Pages` buffer of `nbytes` (at least :data:`MIN_BYTES`) writable
    bytes, or None where this platform has no lazily freed mappings or the mapping
    fails (the caller then allocates as usual). The content is undefined."""
    global _cached, _cached_length
    cdef size_t length
    cdef void* addr = NULL
    cdef Pages pages
    if not DCMFAST_HAVE_PAGES or nbytes < MIN_PAGES_BYTES:
        return None
    if <size_t>nbytes > (<size_t>-1) - DCMFAST_PAGE_ALIGN:
        return None
    length = (<size_t>nbytes + DCMFAST_PAGE_ALIGN - 1) & ~(DCMFAST_PAGE_ALIGN - 1)
    if _cached != NULL:
        if length <= _cached_length <= length + length // SLACK_DIVISOR:
            addr = _cached
            length = _cached_length
        else:  # no new mapping on top of a cached one
            dcmfast_unmap(_cached, _cached_length)
        _cached = NULL
        _cached_length = 0
    if addr == NULL:
        addr = dcmfast_map(length)
        if addr == NULL:
            return None
    try:
        pages = Pages.__new__(Pages)
    except BaseException:
        dcmfast_unmap(addr, length)
        raise
    pages.addr = addr
    pages.length = length
    pages.nbytes = nbytes
    PyTraceMalloc_Track(TRACE_DOMAIN, <uintptr_t>addr, <size_t>nbytes)  # -2: not tracing
    return pages


def release_cached():
    """Unmap the cached mapping, if any."""
    global _cached, _cached_length
    if _cached != NULL:
        dcmfast_unmap(_cached, _cached_length)
        _cached = NULL
        _cached_length = 0


def cached_bytes():
    """The length of the cached mapping (0: none)."""
    return _cached_length
