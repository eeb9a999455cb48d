/* alloc_fail.h: allocation-failure injection, for tests only.
 *
 * Never part of the engine library.  tests/engine/meson.build builds a
 * second copy of the engine's sources with `-include alloc_fail.h
 * -DMN_ALLOC_FAIL`, so every malloc, calloc, realloc, aligned_alloc and
 * posix_memalign in engine/src goes through the counter below without the
 * sources naming it; the real engine is untouched (no wrapper, no branch on
 * any path).  A test then makes the k-th allocation fail for every k of a
 * load or a session creation and checks for a clean MN_ERR_NO_MEMORY and,
 * under AddressSanitizer, no leak.
 */
#ifndef MN_ALLOC_FAIL_H
#define MN_ALLOC_FAIL_H

#include <stddef.h>
#include <stdlib.h>

/* The n-th allocation from now (0 = the next one) fails, and only it;
 * n < 0 turns failures off. */
void mn_test_fail_alloc_after (long n);
/* Allocations made since the last mn_test_fail_alloc_after(). */
long mn_test_alloc_count (void);

void *mn_test_malloc (size_t n);
void *mn_test_calloc (size_t n, size_t size);
void *mn_test_realloc (void *p, size_t n);
void *mn_test_aligned_alloc (size_t align, size_t n);
int mn_test_posix_memalign (void **p, size_t align, size_t n);

#if defined(MN_ALLOC_FAIL) && !defined(MN_ALLOC_FAIL_IMPL)
# define malloc(n) mn_test_malloc (n)
# define calloc(n, s) mn_test_calloc (n, s)
# define realloc(p, n) mn_test_realloc (p, n)
# define aligned_alloc(a, n) mn_test_aligned_alloc (a, n)
# define posix_memalign(p, a, n) mn_test_posix_memalign (p, a, n)
#endif

#endif /* MN_ALLOC_FAIL_H */
