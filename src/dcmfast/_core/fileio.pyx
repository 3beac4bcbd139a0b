# cython: language_level=3
"""Whole-file reads for dcmread: open, fstat, read and close in C without the GIL
(a large file by two threads).

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

from dcmfast._core._huge cimport HUGE_ADVICE_BYTES, dcmfast_advise_huge
from dcmfast._core._fileio cimport DCMFAST_HAVE_FD_IO, dcmfast_close, dcmfast_open, dcmfast_read

cdef extern from *:
    """
    #include <stdint.h>
    #ifdef _WIN32
    static int64_t dcmfast_read_shared(int fd, uint8_t* buf, int64_t n) { return -2; }
    #else
    #include <errno.h>
    #include <fcntl.h>
    #include <pthread.h>
    #include <unistd.h>
    #if defined(__linux__)
    #include <sched.h>
    #endif
    /* pread n bytes at offset off, fewer only at the end of the file; -1 on error
       (errno set). The file offset is left alone. */
    static int64_t dcmfast_pread(int fd, uint8_t* buf, int64_t n, int64_t off) {
        int64_t got = 0;
        while (got < n) {
            int64_t want = n - got;
            ssize_t r = pread(fd, buf + got, (size_t)(want > 0x40000000 ? 0x40000000 : want),
                              (off_t)(off + got));
            if (r < 0) {
                if (errno == EINTR) continue;
                return -1;
            }
            if (r == 0) break;
            got += r;
        }
        return got;
    }
    /* A file read by several threads: each claims the next block until none are
       left (a thread that gets less CPU time reads fewer). */
    typedef struct {
        int fd;
        uint8_t* buf;
        int64_t size, next, end;  /* next block; end: where the file turned out to end */
        int err;                  /* the first read error (errno), or 0 */
    } dcmfast_shared_read;
    enum { DCMFAST_READ_BLOCK = 1 << 20 };
    static void dcmfast_read_blocks(dcmfast_shared_read* r) {
        for (;;) {
            int64_t off = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED) * DCMFAST_READ_BLOCK;
            int64_t want, got, end;
            if (off >= __atomic_load_n(&r->end, __ATOMIC_RELAXED)
                    || __atomic_load_n(&r->err, __ATOMIC_RELAXED))
                return;
            want = r->size - off < DCMFAST_READ_BLOCK ? r->size - off : DCMFAST_READ_BLOCK;
            got = dcmfast_pread(r->fd, r->buf + off, want, off);
            if (got < 0) {
                int none = 0;
                __atomic_compare_exchange_n(&r->err, &none, errno ? errno : EIO, 0,
                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED);
                return;
            }
            if (got < want) {  /* the file ended here (it shrank since fstat) */
                end = __atomic_load_n(&r->end, __ATOMIC_RELAXED);
                while (off + got < end && !__atomic_compare_exchange_n(
                           &r->end, &end, off + got, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                }
                return;
            }
        }
    }
    static void* dcmfast_read_helper(void* arg) {
        dcmfast_read_blocks((dcmfast_shared_read*)arg);
        return NULL;
    }
    /* CPUs this process may run on */
    static int dcmfast_cpus(void) {
    #if defined(__linux__) && defined(CPU_COUNT)
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
    #endif
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 1 ? (int)n : 1;
    }
    /* Read the first n bytes of the regular file fd into buf on the calling thread
       and a helper: copying from the page cache is bound by what one core can move.
       As dcmfast_read: the bytes read, fewer only at the end of the file (the file
       offset then stands after them), or -1 (errno set); -2 when no helper runs (one
       CPU, or it could not start): nothing read. */
    static int64_t dcmfast_read_shared(int fd, uint8_t* buf, int64_t n) {
        pthread_t tid;
        dcmfast_shared_read r;
        int flags;
        if (n <= DCMFAST_READ_BLOCK || dcmfast_cpus() < 2) return -2;
        /* blocking reads (dcmfast_open leaves O_NONBLOCK set; see dcmfast_read) */
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || ((flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0))
            return -2;
        r.fd = fd; r.buf = buf; r.size = n; r.next = 0; r.end = n; r.err = 0;
        if (pthread_create(&tid, NULL, dcmfast_read_helper, &r) != 0) return -2;
        dcmfast_read_blocks(&r);
        pthread_join(tid, NULL);
        if (r.err) { errno = r.err; return -1; }
        if (lseek(fd, (off_t)r.end, SEEK_SET) < 0) return -1;
        return r.end;
    }
    #endif
    """
    int64_t dcmfast_read_shared(int fd, uint8_t* buf, int64_t n) noexcept nogil

cdef extern from "Python.h":
    object PyUnicode_EncodeFSDefault(object u)
    object PyErr_SetFromErrnoWithFilenameObject(object exc, object filename)


cdef enum:
    SHARED_READ_BYTES = 8 << 20   # larger files are read by two threads (if two CPUs)


cpdef object read_path(object path, int threads=0):
    """``(data, mtime)`` for the regular file at `path` (a str): `data` a bytearray
    of the whole file, `mtime` its modification time as ``os.stat().st_mtime``.

    A file of 8 MiB or more is read by two threads (the calling one and a helper,
    each taking the next 1 MiB block until none are left) when the process may run
    on more than one CPU, unless `threads` is 1 (the calling thread alone).

    Returns None where Python's own ``open()`` must do the read: on platforms
    without POSIX file descriptors, and for anything that is not a regular file
    (a directory, a FIFO, a device), so that those behave exactly as ``open()``.
    An open or read error raises the OSError subclass ``open()`` would.
    """
    found = _read(path, threads, -1)
    return None if found is None else found[:2]


def read_path_prefix(object path, Py_ssize_t limit):
    """``(data, mtime, size)`` as read_path, but `data` holds at most the first `limit`
    bytes of the file (on the calling thread) and `size` is the file's size when it
    was opened (`data` is the whole file when it is shorter than `limit`)."""
    if limit < 0:
        raise ValueError("limit must not be negative")
    return _read(path, 1, limit)


cdef object _read(object path, int threads, int64_t limit):
    """read_path's work; `limit` >= 0 reads at most that many bytes. Returns
    (data, mtime, size at open) or None."""
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
    cdef int64_t want = size if limit < 0 or limit >= size else limit
    try:
        data = PyByteArray_FromStringAndSize(NULL, want)  # not zeroed: the read fills it
        out = <uint8_t*>PyByteArray_AS_STRING(data)
        with nogil:
            if want >= HUGE_ADVICE_BYTES:
                dcmfast_advise_huge(out, <size_t>want)
            got = -2
            if want >= SHARED_READ_BYTES and threads != 1:
                got = dcmfast_read_shared(fd, out, want)
            if got == -2:
                got = dcmfast_read(fd, out, want)
            if got == size and want == size:  # the file may have grown since fstat: read to the end
                more = dcmfast_read(fd, tail, sizeof(tail))
            if got < 0 or more < 0:
                err = libc.errno.errno
        if got < 0 or more < 0:
            libc.errno.errno = err
            PyErr_SetFromErrnoWithFilenameObject(OSError, path)
        if got < want:
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
    return data, <double>sec + <double>nsec * 1e-9, size
