/* fma512_peak.c: the fp32 FMA throughput with 16-lane (AVX-512) vectors,
 * for CPUs that have them: the FMA bound is the AVX2 rate
 * (fma_peak.c), and this one says how far from the wider vectors' limit
 * both engines are where they use them.  Compiled with -mavx512f: only
 * this file, called only after fma512_peak_available (). */
#include "fma_peak.h"

#include <immintrin.h>
#include <stdint.h>

#define CHAINS 12

/* iterations x CHAINS x 16 multiply-accumulates in registers. */
static float
fma512_chains (int64_t iterations)
{
  const __m512 b = _mm512_set1_ps (0.9999999f), c = _mm512_set1_ps (1e-7f);
  __m512 a[CHAINS];
  for (int j = 0; j < CHAINS; j++)
    a[j] = _mm512_set1_ps (0.1f + 0.01f * (float) j);
  for (int64_t i = 0; i < iterations; i++) {
#pragma GCC unroll 12
    for (int j = 0; j < CHAINS; j++)
      a[j] = _mm512_fmadd_ps (a[j], b, c);
  }
  __m512 s = a[0];
  for (int j = 1; j < CHAINS; j++)
    s = _mm512_add_ps (s, a[j]);
  return _mm512_reduce_add_ps (s);
}

double
fma512_peak_gmacs (double seconds)
{
  const int64_t iterations = 250000;
  volatile float sink = 0.f;
  double best = 0.0;
  fma512_chains (iterations / 10);   /* wake the core up */
  const double end = fma_now_s () + seconds;
  do {
    const double t0 = fma_now_s ();
    sink += fma512_chains (iterations);
    const double t = fma_now_s () - t0;
    const double rate = (double) iterations * CHAINS * 16 / t / 1e9;
    best = rate > best ? rate : best;
  } while (fma_now_s () < end);
  (void) sink;
  return best;
}
