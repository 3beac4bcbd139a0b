# Transparent huge pages for large buffers (advice only), shared by the file
# reads (fileio.pyx) and the large bytes values (values.pyx).

cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #endif
    #include <stdint.h>
    /* Ask for transparent huge pages for the page-aligned part of a large
       buffer before it is first written: a 50 MB buffer then costs a few dozen
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

cdef enum:
    # Buffers this large get the advice. glibc's malloc maps anything from 32 MiB
    # on in a mapping of its own (its largest mmap threshold), so the advice never
    # stays on heap memory that later serves other allocations.
    HUGE_ADVICE_BYTES = 32 << 20
