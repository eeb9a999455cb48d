/* fma_peak.c: the machine's measured fp32 FMA throughput.
 *
 * Zen 3 (and Haswell onwards) retires two 8-lane FMAs a cycle with a latency
 * of 4 to 5 cycles, so at least 10 independent dependency chains are needed
 * to keep both units busy; we run 12, all in registers (12 + 2 of the 16
 * ymm registers).  Compiled with -mavx2 -mfma: only this file.
 */
#include "fma_peak.h"

#include <immintrin.h>
#include <omp.h>
#include <stdint.h>

#define CHAINS 12
#define LANES 8

/* iterations x CHAINS x LANES multiply-accumulates; returns a value that
 * depends on every chain so nothing can be dropped. */
static float
fma_chains (int64_t iterations)
{
  const __m256 b = _mm256_set1_ps (0.9999999f);
  const __m256 c = _mm256_set1_ps (1e-7f);
  __m256 a0 = _mm256_set1_ps (0.10f), a1 = _mm256_set1_ps (0.11f), a2 = _mm256_set1_ps (0.12f);
  __m256 a3 = _mm256_set1_ps (0.13f), a4 = _mm256_set1_ps (0.14f), a5 = _mm256_set1_ps (0.15f);
  __m256 a6 = _mm256_set1_ps (0.16f), a7 = _mm256_set1_ps (0.17f), a8 = _mm256_set1_ps (0.18f);
  __m256 a9 = _mm256_set1_ps (0.19f), a10 = _mm256_set1_ps (0.20f), a11 = _mm256_set1_ps (0.21f);
  for (int64_t i = 0; i < iterations; i++) {
    a0 = _mm256_fmadd_ps (a0, b, c);
    a1 = _mm256_fmadd_ps (a1, b, c);
    a2 = _mm256_fmadd_ps (a2, b, c);
    a3 = _mm256_fmadd_ps (a3, b, c);
    a4 = _mm256_fmadd_ps (a4, b, c);
    a5 = _mm256_fmadd_ps (a5, b, c);
    a6 = _mm256_fmadd_ps (a6, b, c);
    a7 = _mm256_fmadd_ps (a7, b, c);
    a8 = _mm256_fmadd_ps (a8, b, c);
    a9 = _mm256_fmadd_ps (a9, b, c);
    a10 = _mm256_fmadd_ps (a10, b, c);
    a11 = _mm256_fmadd_ps (a11, b, c);
  }
  __m256 s = _mm256_add_ps (_mm256_add_ps (_mm256_add_ps (a0, a1), _mm256_add_ps (a2, a3)),
                            _mm256_add_ps (_mm256_add_ps (a4, a5), _mm256_add_ps (a6, a7)));
  s = _mm256_add_ps (s, _mm256_add_ps (_mm256_add_ps (a8, a9), _mm256_add_ps (a10, a11)));
  float out[LANES];
  _mm256_storeu_ps (out, s);
  return out[0] + out[7];
}

double
fma_peak_gmacs (int threads, double seconds)
{
  /* ~2-3 ms a chunk at 2 FMAs a cycle; the best of many chunks. */
  const int64_t iterations = 500000;
  volatile float sink = 0.f;
  double best = 0.0;
  if (threads < 1)
    threads = 1;
  fma_chains (iterations / 10);   /* wake the core up */
  const double end = fma_now_s () + seconds;
  do {
    double t0 = 0.0, t1 = 0.0;
    float acc = 0.f;
#pragma omp parallel num_threads(threads) reduction(+ : acc)
    {
#pragma omp barrier
#pragma omp master
      t0 = fma_now_s ();
      acc += fma_chains (iterations);
#pragma omp barrier
#pragma omp master
      t1 = fma_now_s ();
    }
    sink = sink + acc;
    const double rate = (double) iterations * CHAINS * LANES * threads / (t1 - t0) * 1e-9;
    if (rate > best)
      best = rate;
  } while (fma_now_s () < end);
  (void) sink;
  return best;
}
