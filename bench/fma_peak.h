/* fma_peak.h: the machine's measured fp32 FMA throughput.
 *
 * Only fma_peak.c is compiled with -mavx2 -mfma; it is called only after
 * fma_peak_available() says the CPU has both.
 */
#ifndef BENCH_FMA_PEAK_H
#define BENCH_FMA_PEAK_H

#include <stdbool.h>
#include <time.h>

/* Monotonic seconds, for both microbenchmarks. */
static inline double
fma_now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* Whether the CPU has AVX2 and FMA; inline, so that it is compiled without
 * -mavx2 in the caller. */
static inline bool
fma_peak_available (void)
{
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
}

/* Runs independent 8-lane vfmadd231ps chains on threads OpenMP threads for
 * about seconds and returns the best aggregate rate seen, in GMAC/s (one
 * lane of one FMA = one multiply-accumulate). */
double fma_peak_gmacs (int threads, double seconds);

/* Whether the CPU has AVX-512 F (fma512_peak.c is built with -mavx512f). */
static inline bool
fma512_peak_available (void)
{
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx512f");
}

/* The same with 16-lane vectors, on the calling thread: GMAC/s a core. */
double fma512_peak_gmacs (double seconds);

#endif /* BENCH_FMA_PEAK_H */
