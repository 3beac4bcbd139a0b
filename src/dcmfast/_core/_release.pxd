# Giving memory that is allocated but no longer needed back to the system (Linux,
# glibc; elsewhere no-ops), shared by the RLE encoder (rle_encode.pyx) and the
# encapsulation of its frames (bytesout.pyx).

cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #include <unistd.h>
    #endif
    #if defined(__GLIBC__)
    #include <malloc.h>
    #endif
    #include <stdint.h>
    /* Drop the whole pages inside [p, p + n) of an allocation whose bytes there are
       no longer needed (their content becomes zero): the resident memory of the unused
       tail of a buffer allocated at a worst-case size. Advice only. */
    static void dcmfast_release_pages(void* p, size_t n) {
    #if defined(__linux__) && defined(MADV_DONTNEED)
        const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t start, end;
        if (page == 0 || page == (uintptr_t)-1) return;
        start = ((uintptr_t)p + page - 1) & ~(page - 1);
        end = ((uintptr_t)p + n) & ~(page - 1);
        if (end > start) (void)madvise((void*)start, end - start, MADV_DONTNEED);
    #else
        (void)p; (void)n;
    #endif
    }
    /* Give the free pages of the malloc heap back (glibc's malloc_trim): memory of
       freed objects in the middle of the heap stays resident otherwise. */
    static int dcmfast_trim_heap(void) {
    #if defined(__GLIBC__)
        return malloc_trim(0);
    #else
        return 0;
    #endif
    }
    """
    void dcmfast_release_pages(void* p, size_t n) noexcept nogil
    int dcmfast_trim_heap() noexcept nogil
