/* test_huge_pages.c: the regions that hold packed weights and session
 * arenas (engine/src/huge_pages.h).
 *
 * - Pieces are 64-byte aligned, disjoint, inside their region, and keep
 *   what is written to them; the region starts on a 2 MiB boundary.
 * - A request past the region's end comes from the heap, and
 *   mn_huge_free () frees it (the AddressSanitizer build's leak check
 *   sees it if not).
 * - Freeing the last piece gives its bytes to the next request; freeing
 *   an earlier one changes nothing.
 * - A trim keeps every piece readable and writable, and the rest of the
 *   last piece's page still serves.
 * - A region that cannot be reserved serves everything from the heap.
 * - A region whose first page came slowly advises the rest against huge
 *   pages (the kernel's VMA flags say so) and still serves; one whose
 *   first page came quickly keeps the advice for huge pages throughout.
 * - A loaded model's packed weights lie in its plan's region (in builds
 *   that make regions), and a session's results do not depend on where
 *   its memory came from (the models test checks every model's classes).
 *
 * Builds without regions (AddressSanitizer) check the heap path instead:
 * every piece from the heap, each freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "huge_pages.h"
#include "model.h"
#include "test_util.h"

#define MIB ((size_t) 1 << 20)

static void
fill (uint8_t *p, size_t n, uint8_t seed)
{
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t) (seed + i * 7);
}

static bool
holds (const uint8_t *p, size_t n, uint8_t seed)
{
  for (size_t i = 0; i < n; i++)
    if (p[i] != (uint8_t) (seed + i * 7))
      return false;
  return true;
}

static void
test_pieces (void)
{
  const bool built = mn_huge_regions_built ();
  mn_huge_region r;
  mn_huge_region_reserve (&r, 3 * MIB);
  CHECK (built == (r.base != NULL), "a 3 MiB region is %s in this build",
         built ? "reserved" : "not reserved");
  if (r.base) {
    CHECK ((uintptr_t) r.base % MN_HUGE_PAGE == 0, "the region starts on a 2 MiB boundary");
    CHECK (r.reserved == 4 * MIB, "3 MiB round up to 4 (%zu)", r.reserved);
  }

  /* odd sizes, so that alignment has work to do */
  const size_t sizes[] = { 1, 63, 65, 1000, 777777, 1 * MIB + 3, 5 };
  enum { N = sizeof sizes / sizeof sizes[0] };
  uint8_t *p[N];
  bool aligned = true, inside = true, all_ok = true;
  for (int i = 0; i < N; i++) {
    p[i] = mn_huge_alloc (&r, sizes[i]);
    all_ok = all_ok && p[i];
    if (!p[i])
      continue;
    aligned = aligned && (uintptr_t) p[i] % 64 == 0;
    inside = inside && mn_huge_region_owns (&r, p[i]) == (r.base != NULL);
    fill (p[i], sizes[i], (uint8_t) i);
  }
  CHECK (all_ok, "%d pieces of odd sizes allocated", N);
  CHECK (aligned, "every piece is 64-byte aligned");
  CHECK (inside, built ? "every piece lies in the region" : "every piece comes from the heap");
  bool kept = true;
  for (int i = 0; i < N; i++)
    kept = kept && p[i] && holds (p[i], sizes[i], (uint8_t) i);
  CHECK (kept, "every piece holds what was written to it (no two overlap)");

  /* the last piece's bytes go to the next request */
  uint8_t *last = p[N - 1];
  mn_huge_free (&r, last);
  uint8_t *again = mn_huge_alloc (&r, 5);
  CHECK (!r.base || again == last, "freeing the last piece gives its bytes to the next request");
  mn_huge_free (&r, p[0]);
  if (r.base) {
    /* an earlier piece freed: its bytes stay, the next comes after */
    uint8_t *next = mn_huge_alloc (&r, 64);
    CHECK (next > again, "freeing an earlier piece reuses nothing");
    mn_huge_free (&r, next);
  }

  /* past the end: the heap */
  uint8_t *big = mn_huge_alloc (&r, 3 * MIB);
  CHECK (big && !mn_huge_region_owns (&r, big), "a request past the region's end comes from the heap");
  if (big) {
    fill (big, 3 * MIB, 9);
    CHECK (holds (big, 3 * MIB, 9), "the heap piece holds what was written to it");
  }
  mn_huge_free (&r, big);

  /* trim: pieces survive, the last page's rest still serves */
  mn_huge_region_trim (&r);
  if (r.base) {
    CHECK (r.reserved == 2 * MIB, "a trim keeps the pages in use (2 MiB of %zu)", r.reserved);
    uint8_t *tail = mn_huge_alloc (&r, 4096);
    CHECK (tail && mn_huge_region_owns (&r, tail), "after a trim the last page's rest serves");
    uint8_t *beyond = mn_huge_alloc (&r, MIB);
    CHECK (beyond && !mn_huge_region_owns (&r, beyond), "past the trimmed page: the heap");
    mn_huge_free (&r, beyond);
    mn_huge_free (&r, tail);
  }
  kept = true;
  for (int i = 1; i < N - 1; i++) {
    kept = kept && holds (p[i], sizes[i], (uint8_t) i);
    fill (p[i], sizes[i], (uint8_t) (i + 100));
    kept = kept && holds (p[i], sizes[i], (uint8_t) (i + 100));
  }
  CHECK (kept, "after the trim every piece still holds its bytes and takes new ones");
  for (int i = 1; i < N - 1; i++)
    mn_huge_free (&r, p[i]);
  mn_huge_free (&r, again);
  mn_huge_region_release (&r);
  CHECK (r.base == NULL && r.reserved == 0, "a released region is empty");
}

static void
test_unavailable (void)
{
  mn_huge_region r;
  mn_huge_region_reserve (&r, MN_HUGE_PAGE / 2 - 1);
  CHECK (r.base == NULL, "under 1 MiB: no region (a huge page would be mostly empty)");
  mn_huge_region_reserve (&r, MN_HUGE_PAGE / 2);
  CHECK ((r.base != NULL) == mn_huge_regions_built (), "1 MiB: a region where the build makes them");
  mn_huge_region_release (&r);
  mn_huge_region_reserve (&r, SIZE_MAX - 4096);
  CHECK (r.base == NULL, "a region too large to reserve is unavailable, not an error");
  uint8_t *p = mn_huge_alloc (&r, 1000);
  CHECK (p && (uintptr_t) p % 64 == 0, "an unavailable region serves from the heap, aligned");
  if (p) {
    fill (p, 1000, 3);
    CHECK (holds (p, 1000, 3), "the heap piece holds what was written to it");
  }
  mn_huge_free (&r, p);
  mn_huge_region_trim (&r);
  mn_huge_region_release (&r);
  CHECK (r.base == NULL, "trim and release of an unavailable region do nothing");
}

/* The VmFlags line of the mapping that holds p in /proc/self/smaps, into
 * flags; false if not found. */
static bool
vm_flags_of (const void *p, char *flags, size_t size)
{
  FILE *f = fopen ("/proc/self/smaps", "r");
  if (!f)
    return false;
  char line[512];
  bool inside = false, found = false;
  while (!found && fgets (line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf (line, "%lx-%lx ", &lo, &hi) == 2)
      inside = (uintptr_t) p >= lo && (uintptr_t) p < hi;
    else if (inside && strncmp (line, "VmFlags:", 8) == 0) {
      line[strcspn (line, "\n")] = '\0';
      snprintf (flags, size, "%s ", line + 8);
      found = true;
    }
  }
  fclose (f);
  return found;
}

static bool
has_flag (const char *flags, const char *flag)
{
  const size_t n = strlen (flag);
  for (const char *at = strstr (flags, flag); at; at = strstr (at + 1, flag))
    if ((at == flags || at[-1] == ' ') && at[n] == ' ')
      return true;
  return false;
}

/* want_small: 1 or 0, or -1 where the machine's timing chooses (then the
 * advice must follow the choice) */
static void
check_probed (uint64_t slow_ns, mn_small_probe probe, int want, const char *what)
{
  mn_huge_region r;
  mn_huge_region_reserve_probed (&r, 5 * MIB, slow_ns, probe);
  if (!r.base) {
    CHECK (!mn_huge_regions_built (), "%s: no region only where the build makes none", what);
    return;
  }
  CHECK (r.made == 0, "%s: a new region has made no pages", what);
  uint8_t *p = mn_huge_alloc (&r, 2 * MIB + 123);
  CHECK (p && mn_huge_region_owns (&r, p), "%s: a piece across two pages comes from the region",
         what);
  const bool want_small = want < 0 ? r.small_pages : want;
  const bool slow = slow_ns == 0;
  CHECK (r.small_pages == want_small, "%s: the rest of the region takes %s pages", what,
         r.small_pages ? "small" : "huge");
  CHECK (r.settled == slow, "%s: %s", what,
         r.settled ? "the pages' kind settled" : "the pages' kind still open");
  CHECK (r.made == (slow ? MN_HUGE_PAGE : 2 * MN_HUGE_PAGE),
         "%s: pages made until the first slow one (%zu bytes)", what, r.made);
  char first[512] = "", rest[512] = "";
  const bool read = vm_flags_of (r.base, first, sizeof first)
                    && vm_flags_of (r.base + r.reserved - 1, rest, sizeof rest);
  if (CHECK (read, "%s: /proc/self/smaps has the region's flags", what)) {
    CHECK (has_flag (first, "hg"), "%s: the first page is advised for huge pages (%s)", what,
           first);
    CHECK (has_flag (rest, want_small ? "nh" : "hg") && !has_flag (rest, want_small ? "hg" : "nh"),
           "%s: the last page is advised %s huge pages (%s)", what,
           want_small ? "against" : "for", rest);
  }
  uint8_t *q = mn_huge_alloc (&r, 2 * MIB);
  CHECK (q && mn_huge_region_owns (&r, q), "%s: the next piece comes from the region too", what);
  if (p && q) {
    fill (p, 2 * MIB + 123, 5);
    fill (q, 2 * MIB, 6);
    CHECK (holds (p, 2 * MIB + 123, 5) && holds (q, 2 * MIB, 6),
           "%s: both hold what was written to them", what);
  }
  mn_huge_free (&r, q);
  mn_huge_free (&r, p);
  mn_huge_region_release (&r);
}

static void
test_first_page_probe (void)
{
  check_probed (0, MN_SMALL_PROBE_FASTER, 1, "every page slow, small pages faster");
  check_probed (0, MN_SMALL_PROBE_SLOWER, 0, "every page slow, small pages slower");
  check_probed (0, MN_SMALL_PROBE_MEASURE, -1, "every page slow, small pages timed");
  check_probed (UINT64_MAX, MN_SMALL_PROBE_FASTER, 0, "no page taken as slow");
}

static void
test_model_weights (const char *rel)
{
  const char *path = tu_shared_path (rel);
  mn_config c;
  mn_config_default (&c);
  mn_model *m = NULL;
  if (!CHECK (mn_model_load (path, &c, &m) == MN_OK, "%s loads", rel))
    return;
  const mn_plan *p = &m->plan;
  int packed = 0, owned = 0;
  for (int i = 0; i < p->num_steps; i++)
    if (p->steps[i].packed) {
      packed++;
      owned += mn_huge_region_owns (&p->weights, p->steps[i].packed);
    }
  CHECK (packed > 20, "%s: %d steps have packed weights", rel, packed);
  if (mn_huge_regions_built ())
    CHECK (owned == packed, "%s: all of them in the plan's region (%d of %d)", rel, owned,
           packed);
  else
    CHECK (owned == 0, "%s: all of them on the heap in this build", rel);
  CHECK (p->weights.reserved % MN_HUGE_PAGE == 0 && p->weights.used <= p->weights.reserved
             && p->weights.reserved - p->weights.used < MN_HUGE_PAGE,
         "%s: the region is trimmed to its last page (%zu of %zu bytes used)", rel,
         p->weights.used, p->weights.reserved);
  mn_model_unref (&m);
}

int
main (void)
{
  test_pieces ();
  test_unavailable ();
  test_first_page_probe ();
  test_model_weights ("models/mobilenet_v2_1.0_224_float.tflite");
  test_model_weights ("models/tf2_mobilenet_v2_1.0_224_ptq.tflite");
  return tu_finish ();
}
