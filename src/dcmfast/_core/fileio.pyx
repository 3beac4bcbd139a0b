# cython: language_level=3
"""Whole-file reads for dcmread: open, fstat, read and close in C without the GIL.

Python's ``open(path, "rb").read()`` builds a FileIO and a BufferedReader,
stats the file and reads through them; for the small files DICOM headers
usually are that is most of the cost of a read. Here the file is read
straight into one (not zeroed) bytearray, and the fstat that sizes it also
gives the modification time that ``FileDataset.timestamp`` reports.
"""
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize
from cpython.bytes cimport PyBytes_FromStringAndSize
cimport libc.errno
from libc.stdint cimport int64_t, uint8_t

from dcmfast._core._fileio cimport DCMFAST_HAVE_FD_IO, dcmfast_close, dcmfast_open, dcmfast_read

cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #endif
    #include <stdint.h>
    /* Ask for transparent huge pages for the page-aligned part of a large
       buffer before it is first written: a 50 MB file then costs a few dozen
       page faults instead of ~12,000. Advice only: any failure is ignored. */
    static void dcmfast_advise_huge(void* p, size_t n) {
    #if defined(__linux__) && defined(MADV_HUGEPAGE)
        const uintptr_t huge = (uintptr_t)2 << 20;
        uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
        uintptr_t end = ((uintptr_t)p + n) & ~(huge - 1);
        if (end > start) (void)madvise((void*)start, end - start, MADV_HUGEPAGE);
    #else
        (void)p; (void)n;
    #endif
    }
    """
    void dcmfast_advise_huge(void* p, size_t n) noexcept nogil

cdef extern from "Python.h":
    object PyUnicode_EncodeFSDefault(object u)
    object PyErr_SetFromErrnoWithFilenameObject(object exc, object filename)


cdef enum:
    HUGE_ADVICE_BYTES = 32 << 20  # smaller buffers come from the reused malloc heap


cpdef object read_path(object path):
    """``(data, mtime)`` for the regular file at `path` (a str): `data` a bytearray
    of the whole file, `mtime` its modification time as ``os.stat().st_mtime``.

    Returns None where Python's own ``open()`` must do the read: on platforms
    without POSIX file descriptors, and for anything that is not a regular file
    (a directory, a FIFO, a device), so that those behave exactly as ``open()``.
    An open or read error raises the OSError subclass ``open()`` would.
    """
    cdef int64_t size = 0, mtime_ns = 0, got = 0, more = 0, sec, nsec
    cdef int kind = 0, fd, err = 0
    cdef uint8_t tail[4096]
    cdef uint8_t* out
    cdef const char* cpath
    if not DCMFAST_HAVE_FD_IO:
        return None
    encoded = PyUnicode_EncodeFSDefault(path)
    if b"\0" in encoded:
        raise ValueError("embedded null byte")
    cpath = encoded
    with nogil:
        fd = dcmfast_open(cpath, &size, &mtime_ns, &kind)
        if fd < 0:
            err = libc.errno.errno
    if fd < 0:
        libc.errno.errno = err
        PyErr_SetFromErrnoWithFilenameObject(OSError, path)
    if kind != 0:
        dcmfast_close(fd)
        return None
    try:
        data = PyByteArray_FromStringAndSize(NULL, size)  # not zeroed: the read fills it
        out = <uint8_t*>PyByteArray_AS_STRING(data)
        with nogil:
            if size >= HUGE_ADVICE_BYTES:
                dcmfast_advise_huge(out, <size_t>size)
            got = dcmfast_read(fd, out, size)
            if got == size:  # the file may have grown since fstat: read to the end
                more = dcmfast_read(fd, tail, sizeof(tail))
            if got < 0 or more < 0:
                err = libc.errno.errno
        if got < 0 or more < 0:
            libc.errno.errno = err
            PyErr_SetFromErrnoWithFilenameObject(OSError, path)
        if got < size:
            del data[got:]
        while more > 0:
            data += PyBytes_FromStringAndSize(<const char*>tail, more)
            with nogil:
                more = dcmfast_read(fd, tail, sizeof(tail))
                if more < 0:
                    err = libc.errno.errno
            if more < 0:
                libc.errno.errno = err
                PyErr_SetFromErrnoWithFilenameObject(OSError, path)
    finally:
        dcmfast_close(fd)
    # as os.stat's st_mtime: seconds + nanoseconds * 1e-9, in double precision
    sec = mtime_ns // 1000000000
    nsec = mtime_ns % 1000000000
    if nsec < 0:  # C division truncates; the nanoseconds field is never negative
        nsec += 1000000000
        sec -= 1
    return data, <double>sec + <double>nsec * 1e-9
