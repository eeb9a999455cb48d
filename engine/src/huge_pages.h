/* huge_pages.h: the big long-lived buffers (packed weights, a session's
 * arena) in 2 MiB pages where the system gives them.
 *
 * A run reads all of a model's packed weights (14 MB for V2 float, 3.5 MB
 * for the 8-bit V2s) and writes and reads back its arena.  In 4 KiB pages
 * that is thousands of pages, more than the second-level TLB holds, so
 * every run walks page tables again, and at 2 threads a step split by rows
 * has each core walk all of its weights' pages.  On the Xeon of the
 * performance log, with both in huge pages V2 float took 0.93 of the time
 * at 1 and at 2 threads, V2 uint8 0.97 and 0.95, TF2 int8 0.98 and 0.96
 * (separate processes alternating); the weights and the arena each gave
 * about half of it.  Linux gives them to anonymous memory advised
 * MADV_HUGEPAGE when transparent huge pages are "always" or "madvise",
 * Debian's default; otherwise the same memory comes in small pages.
 *
 * A region reserves address space, not memory: pages are made only where
 * something is written.  It hands out 64-byte aligned pieces in order; a
 * trim gives back the address space past the last piece's 2 MiB page.
 * Where a region is unavailable (not Linux, mmap refused, AddressSanitizer
 * builds, whose redzones live on the heap, and the tests' allocation-
 * failure builds, which count heap allocations) or full, mn_huge_alloc ()
 * falls back to mn_aligned_alloc (), so callers need no second path. */
#ifndef MN_HUGE_PAGES_H
#define MN_HUGE_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MN_HUGE_PAGE ((size_t) 2 << 20)

/* How small pages are timed after a slow huge page: measured, or (the
 * tests) taken as faster or as slower than the huge page. */
typedef enum { MN_SMALL_PROBE_MEASURE, MN_SMALL_PROBE_FASTER, MN_SMALL_PROBE_SLOWER } mn_small_probe;

typedef struct {
  uint8_t *base;          /* 2 MiB aligned; NULL: no region (the heap serves) */
  size_t reserved;        /* bytes of address space from base */
  size_t used;            /* bytes handed out */
  size_t last;            /* offset of the last piece handed out */
  size_t made;            /* bytes of pages made so far (whole pages) */
  uint64_t slow_ns;       /* a page slower than this to make ... */
  mn_small_probe probe;   /* ... has small pages timed ... */
  bool settled;           /* ... once, and then no page is timed ... */
  bool small_pages;       /* ... and the rest took small pages, being faster */
} mn_huge_region;

/* A huge page slower than this to make (a virtual machine's host backing
 * it again) has small pages timed against it; a recycled page takes
 * 30-100 us, one the host backs again 1.4-5 ms. */
#define MN_HUGE_FAULT_SLOW_NS ((uint64_t) 1000000)

/* Whether this build makes regions at all (Linux, not AddressSanitizer,
 * not the allocation-failure build). */
bool mn_huge_regions_built (void);

/* An empty region with room for bytes (rounded up to 2 MiB); for under 1
 * MiB (most of a huge page would be empty memory), on failure, or where
 * regions are unavailable, an unavailable one, which is not an error:
 * everything then comes from the heap.  Once a page of it takes
 * MN_HUGE_FAULT_SLOW_NS or more to make, the rest takes small pages if
 * they are faster to make (huge_pages.c says why). */
void mn_huge_region_reserve (mn_huge_region *r, size_t bytes);

/* The same with the slowness threshold and the small pages' timing given
 * (the tests: 0 takes every page as slow, UINT64_MAX none). */
void mn_huge_region_reserve_probed (mn_huge_region *r, size_t bytes, uint64_t slow_ns,
                                    mn_small_probe small_probe);

/* bytes (> 0) from r, 64-byte aligned, else from the heap; NULL when both
 * fail.  Makes the region's pages the piece reaches first. */
void *mn_huge_alloc (mn_huge_region *r, size_t bytes);

/* p from mn_huge_alloc (r, ...) or NULL.  A heap piece is freed; a region
 * piece only when it is the last one handed out (its bytes serve the next
 * request), else its bytes stay until the region is released. */
void mn_huge_free (mn_huge_region *r, void *p);

/* Whether p lies in r's address space. */
bool mn_huge_region_owns (const mn_huge_region *r, const void *p);

/* Gives back the address space past the last piece's 2 MiB page; later
 * pieces come from what that page has left, then from the heap. */
void mn_huge_region_trim (mn_huge_region *r);

/* Unmaps r (its pieces are gone; heap pieces must be freed first). */
void mn_huge_region_release (mn_huge_region *r);

#endif /* MN_HUGE_PAGES_H */
