# cython: language_level=3
"""A ``bytes`` copy of a large buffer (decoded pixel data becoming a Pixel Data value),
made without the GIL and in huge pages: a 52 MB copy costs a few ms instead of the
~12,000 page faults of a plain allocation (``ndarray.tobytes()``: ~50 ms here).

:class:`BytesBuilder` avoids even that copy: a new bytes object whose storage a
decoder writes into through a writable buffer, before the bytes are used."""
from cpython.buffer cimport PyBUF_FORMAT, PyBUF_ND, PyBUF_STRIDES
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.string cimport memcpy

from dcmfast._core._huge cimport HUGE_ADVICE_BYTES, dcmfast_advise_huge
from dcmfast._core._release cimport dcmfast_trim_heap


def to_bytes(const unsigned char[::1] src, bint pad_even=False):
    """bytes(src), with one zero byte appended when `pad_even` and the length is odd."""
    cdef Py_ssize_t n = src.shape[0]
    cdef Py_ssize_t total = n + (n & 1 if pad_even else 0)
    obj = PyBytes_FromStringAndSize(NULL, total)
    cdef char* out = PyBytes_AS_STRING(obj)
    cdef const unsigned char* p = &src[0] if n else NULL
    with nogil:
        if total >= HUGE_ADVICE_BYTES:
            dcmfast_advise_huge(out, <size_t>total)
        if n:
            memcpy(out, p, <size_t>n)
        if total > n:
            out[n] = 0
    return obj


cdef class BytesBuilder:
    """A new ``bytes`` object of `size` bytes (uninitialized) whose storage is exported
    as a writable buffer, so that a decoder writes its output straight into the bytes
    that become a value: one allocation, no copy.

    ``numpy.frombuffer(builder, numpy.uint8)`` is a writable view of the storage. The
    bytes object is :attr:`value`; it must not be handed to anyone (hashed, compared,
    stored) before every write through the views is done, nor written afterwards. With
    `pad_even` and an odd `size` one more byte is allocated, set to zero and left out
    of the exported buffer (the even-length padding of a DICOM value).
    """
    cdef object _value
    cdef Py_ssize_t _size

    def __cinit__(self, Py_ssize_t size, bint pad_even=False):
        cdef Py_ssize_t total
        cdef char* out
        if size < 0:
            raise ValueError(f"size must not be negative, not {size}")
        total = size + (size & 1 if pad_even else 0)
        self._value = PyBytes_FromStringAndSize(NULL, total)
        self._size = size
        out = PyBytes_AS_STRING(self._value)
        if total >= HUGE_ADVICE_BYTES:
            dcmfast_advise_huge(out, <size_t>total)
        if total > size:
            out[size] = 0

    def __getbuffer__(self, Py_buffer* view, int flags):
        view.buf = PyBytes_AS_STRING(self._value)
        view.obj = self
        view.len = self._size
        view.readonly = 0
        view.itemsize = 1
        view.format = NULL
        if flags & PyBUF_FORMAT:
            view.format = b"B"
        view.ndim = 1
        view.shape = &self._size if flags & PyBUF_ND else NULL
        view.strides = &view.itemsize if flags & PyBUF_STRIDES else NULL
        view.suboffsets = NULL
        view.internal = NULL

    def __releasebuffer__(self, Py_buffer* view):
        pass

    def __len__(self):
        return self._size

    @property
    def value(self):
        """The bytes object (with its pad byte, if one was added)."""
        return self._value


def trim_heap():
    """Give the free pages of the malloc heap back to the system (glibc's
    ``malloc_trim``; elsewhere nothing): objects freed in the middle of the heap, e.g.
    encoded frames once copied into their encapsulated value, stop counting in the
    resident memory. Returns whether any memory was released."""
    cdef int released
    with nogil:
        released = dcmfast_trim_heap()
    return released != 0
