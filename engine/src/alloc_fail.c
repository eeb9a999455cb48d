/* alloc_fail.c: the counter behind alloc_fail.h (tests only). */
#define MN_ALLOC_FAIL_IMPL
#include "alloc_fail.h"

/* The build force-includes alloc_fail.h before this file's first line,
 * with the macros: here the names must mean the C library's again. */
#undef malloc
#undef calloc
#undef realloc
#undef aligned_alloc
#undef posix_memalign

#include <errno.h>
#include <stdatomic.h>

static atomic_long fail_at = -1;
static atomic_long count;

void
mn_test_fail_alloc_after (long n)
{
  atomic_store (&count, 0);
  atomic_store (&fail_at, n);
}

long
mn_test_alloc_count (void)
{
  return atomic_load (&count);
}

static int
should_fail (void)
{
  long k = atomic_fetch_add (&count, 1);
  long at = atomic_load (&fail_at);
  return at >= 0 && k == at;
}

void *
mn_test_malloc (size_t n)
{
  return should_fail () ? NULL : malloc (n);
}

void *
mn_test_calloc (size_t n, size_t size)
{
  return should_fail () ? NULL : calloc (n, size);
}

void *
mn_test_realloc (void *p, size_t n)
{
  return should_fail () ? NULL : realloc (p, n);
}

void *
mn_test_aligned_alloc (size_t align, size_t n)
{
  return should_fail () ? NULL : aligned_alloc (align, n);
}

int
mn_test_posix_memalign (void **p, size_t align, size_t n)
{
  if (should_fail ())
    return ENOMEM;
  return posix_memalign (p, align, n);
}
