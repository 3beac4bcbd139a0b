# File I/O without the GIL: open + fstat, read in a loop, close (POSIX). On
# Windows DCMFAST_HAVE_FD_IO is 0 and the callers use Python's own open().
from libc.stdint cimport int64_t, uint8_t

cdef extern from *:
    """
    #include <errno.h>
    #include <stdint.h>
    #ifdef _WIN32
    #define DCMFAST_HAVE_FD_IO 0
    static int dcmfast_open(const char* p, int64_t* s, int64_t* m, int* k) { errno = ENOSYS; return -1; }
    static int64_t dcmfast_read(int fd, uint8_t* b, int64_t n) { errno = ENOSYS; return -1; }
    static void dcmfast_close(int fd) { (void)fd; }
    #else
    #include <fcntl.h>
    #include <unistd.h>
    #include <sys/stat.h>
    #define DCMFAST_HAVE_FD_IO 1
    #ifndef O_CLOEXEC
    #define O_CLOEXEC 0
    #endif
    /* open for reading and fstat: the fd, or -1 (errno set).
       kind: 0 regular file, 1 directory, 2 anything else.
       O_NONBLOCK: opening a FIFO must not wait for a writer. It is left set on
       regular files (Linux and the BSDs ignore it there; dcmfast_read clears it
       if a read ever says EAGAIN), which spares two fcntl calls per file. */
    static int dcmfast_open(const char* path, int64_t* size, int64_t* mtime_ns, int* kind) {
        int fd, e;
        struct stat st;
        do { fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); } while (fd < 0 && errno == EINTR);
        if (fd < 0) return -1;
        if (fstat(fd, &st) != 0) { e = errno; close(fd); errno = e; return -1; }
        *size = (int64_t)st.st_size;
    #if defined(__APPLE__)
        *mtime_ns = (int64_t)st.st_mtimespec.tv_sec * 1000000000LL + st.st_mtimespec.tv_nsec;
    #else
        *mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    #endif
        *kind = S_ISREG(st.st_mode) ? 0 : (S_ISDIR(st.st_mode) ? 1 : 2);
        return fd;
    }
    /* read n bytes, fewer only at the end of the file; -1 on error (errno set) */
    static int64_t dcmfast_read(int fd, uint8_t* buf, int64_t n) {
        int64_t got = 0;
        int blocking = 0;
        while (got < n) {
            int64_t want = n - got;
            ssize_t r = read(fd, buf + got, (size_t)(want > 0x40000000 ? 0x40000000 : want));
            if (r < 0) {
                if (errno == EINTR) continue;
                if ((errno == EAGAIN || errno == EWOULDBLOCK) && !blocking) {
                    /* a file system that honours O_NONBLOCK on regular files */
                    int flags = fcntl(fd, F_GETFL);
                    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return -1;
                    blocking = 1;
                    continue;
                }
                return -1;
            }
            if (r == 0) break;
            got += r;
        }
        return got;
    }
    static void dcmfast_close(int fd) { close(fd); }
    #endif
    """
    int DCMFAST_HAVE_FD_IO
    int dcmfast_open(const char* path, int64_t* size, int64_t* mtime_ns, int* kind) noexcept nogil
    int64_t dcmfast_read(int fd, uint8_t* buf, int64_t n) noexcept nogil
    void dcmfast_close(int fd) noexcept nogil
