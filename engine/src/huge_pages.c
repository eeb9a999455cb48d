/* huge_pages.c: see huge_pages.h. */
#include "huge_pages.h"

#include <string.h>

#include "model.h"   /* mn_aligned_alloc */

#if defined(__SANITIZE_ADDRESS__)
#define NO_REGIONS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_REGIONS 1
#endif
#endif
#if defined(MN_ALLOC_FAIL) || !defined(__linux__)
#define NO_REGIONS 1
#endif

#ifndef NO_REGIONS
#include <sys/mman.h>
#include <time.h>
#endif

#define PIECE_ALIGN ((size_t) 64)

static size_t
round_up (size_t n, size_t to)
{
  return (n + to - 1) / to * to;
}

#ifndef NO_REGIONS
static uint64_t
monotonic_ns (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (uint64_t) t.tv_sec * 1000000000u + (uint64_t) t.tv_nsec;
}

/* The time to make 2 MiB of small pages, from 64 of them made in a
 * scratch mapping (advised against huge pages, which THP "always" would
 * otherwise make where it merges with a neighbour) and unmapped again. */
static uint64_t
small_pages_ns (void)
{
  enum { PAGES = 64, SMALL = 4096 };
  uint8_t *scratch = mmap (NULL, PAGES * SMALL, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (scratch == MAP_FAILED)
    return UINT64_MAX;
  (void) madvise (scratch, PAGES * SMALL, MADV_NOHUGEPAGE);
  const uint64_t start = monotonic_ns ();
  for (size_t i = 0; i < PAGES; i++)
    *(volatile uint8_t *) (scratch + i * SMALL) = 0;
  const uint64_t ns = monotonic_ns () - start;
  munmap (scratch, PAGES * SMALL);
  return ns * (MN_HUGE_PAGE / (PAGES * SMALL));
}

static bool
small_pages_faster (const mn_huge_region *r, uint64_t huge_ns)
{
  switch (r->probe) {
  case MN_SMALL_PROBE_FASTER:
    return true;
  case MN_SMALL_PROBE_SLOWER:
    return false;
  default:
    return small_pages_ns () < huge_ns;
  }
}

/* Makes r's pages up to byte end, timing each page's first write, until
 * one is slow.  A virtual machine may hand free memory back to its host
 * (free page reporting): a huge page made from such memory has the host
 * back it again, 4.5-5 ms a page on the Zen 5 virtual machine of the
 * performance log against 30-100 us for one the system recycled, which
 * put V2 float's load at 19-34 ms instead of 5-6.  Small pages there came
 * from memory the guest still held, so the rest of the region took them:
 * runs up to 7 % slower on the Xeon of the log (none on the Zen 5),
 * rather than a load several times as long.  But on a later virtual
 * machine of the same kind a slow huge page took 1.4 ms and every small
 * page 10-14 us, 5-7 ms for 2 MiB of them, so small pages put V2 float's
 * load at 36 ms instead of 13-20: after a slow page the two are timed
 * once, and the faster makes the rest. */
static void
make_pages (mn_huge_region *r, size_t end)
{
  while (!r->settled && r->made < end) {
    const uint64_t start = monotonic_ns ();
    *(volatile uint8_t *) (r->base + r->made) = 0;
    const uint64_t huge_ns = monotonic_ns () - start;
    r->made += MN_HUGE_PAGE;
    if (huge_ns >= r->slow_ns && r->made < r->reserved) {
      r->settled = true;
      r->small_pages = small_pages_faster (r, huge_ns);
      if (r->small_pages)
        (void) madvise (r->base + r->made, r->reserved - r->made, MADV_NOHUGEPAGE);
    }
  }
}
#endif

bool
mn_huge_regions_built (void)
{
#ifndef NO_REGIONS
  return true;
#else
  return false;
#endif
}

void
mn_huge_region_reserve (mn_huge_region *r, size_t bytes)
{
  mn_huge_region_reserve_probed (r, bytes, MN_HUGE_FAULT_SLOW_NS, MN_SMALL_PROBE_MEASURE);
}

void
mn_huge_region_reserve_probed (mn_huge_region *r, size_t bytes, uint64_t slow_ns,
                               mn_small_probe small_probe)
{
  memset (r, 0, sizeof *r);
#ifndef NO_REGIONS
  /* under half a page, a huge page would be mostly empty memory */
  if (bytes < MN_HUGE_PAGE / 2 || bytes > SIZE_MAX / 2)
    return;
  const size_t size = round_up (bytes, MN_HUGE_PAGE);
  /* a page more, to cut a 2 MiB aligned start out of it */
  uint8_t *map = mmap (NULL, size + MN_HUGE_PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (map == MAP_FAILED)
    return;
  uint8_t *base = (uint8_t *) round_up ((uintptr_t) map, MN_HUGE_PAGE);
  if (base > map)
    munmap (map, (size_t) (base - map));
  /* mmap's start is 4 KiB aligned, so some of the extra page is left */
  munmap (base + size, (size_t) (map + MN_HUGE_PAGE - base));
  /* a refusal (huge pages disabled) leaves small pages: still correct */
  (void) madvise (base, size, MADV_HUGEPAGE);
  r->base = base;
  r->reserved = size;
  r->slow_ns = slow_ns;
  r->probe = small_probe;
#else
  (void) bytes;
  (void) slow_ns;
  (void) small_probe;
#endif
}

bool
mn_huge_region_owns (const mn_huge_region *r, const void *p)
{
  const uintptr_t at = (uintptr_t) p, base = (uintptr_t) r->base;
  return r->base && at >= base && at - base < r->reserved;
}

void *
mn_huge_alloc (mn_huge_region *r, size_t bytes)
{
  if (r->base && bytes > 0) {
    const size_t at = round_up (r->used, PIECE_ALIGN);
    if (at <= r->reserved && bytes <= r->reserved - at) {
#ifndef NO_REGIONS
      make_pages (r, at + bytes);
#endif
      r->last = at;
      r->used = at + bytes;
      return r->base + at;
    }
  }
  return mn_aligned_alloc (bytes);
}

void
mn_huge_free (mn_huge_region *r, void *p)
{
  if (!p)
    return;
  if (!mn_huge_region_owns (r, p)) {
    mn_aligned_free (p);
    return;
  }
  if ((uint8_t *) p == r->base + r->last && r->used > r->last)
    r->used = r->last;
}

void
mn_huge_region_trim (mn_huge_region *r)
{
#ifndef NO_REGIONS
  if (!r->base)
    return;
  const size_t keep = round_up (r->used, MN_HUGE_PAGE);
  if (keep < r->reserved)
    munmap (r->base + keep, r->reserved - keep);
  r->reserved = keep;
  if (keep == 0)
    r->base = NULL;
#else
  (void) r;
#endif
}

void
mn_huge_region_release (mn_huge_region *r)
{
#ifndef NO_REGIONS
  if (r->base)
    munmap (r->base, r->reserved);
#endif
  memset (r, 0, sizeof *r);
}
