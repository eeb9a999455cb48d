/* q8_gemv_avx2.c: the one-row quantised GEMM (the classifier), AVX2 twin
 * of q8_gemv_c.c, same packed layout (per panel of 8 channels: 8 int32
 * biases, 8 int32 weight zero points, then pairs of uint8 weights).
 *
 * The row is widened to int16 on the stack once; then per pair of k one
 * broadcast of (A[2g], A[2g + 1]) feeds up to 4 panels, each a 16-byte
 * weight load zero-extended to int16 (vpmovzxbw's load form) + vpmaddwd +
 * vpaddd.  The step is bound by the weights' memory traffic, which the
 * byte layout halves: V2's 1001 x 1280 classifier, weights evicted to
 * memory between runs (as by the rest of the network), 75 against 121 us
 * in the GEMM's int16 layout (fastest of 300).  Rows deeper than
 * MAX_K (no MobileNet: 1280) go to the C twin. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "x86/q8_avx2.h"
#include "x86/q8_requant_avx2.h"
#include "x86/unroll.h"

#define NR MN_Q8_GEMM_NR
#define NP 4                 /* panels a pass over the row */
#define MAX_K 8192           /* int16 row on the stack: 16 KiB */
#define HEAD_BYTES (2 * NR * sizeof (int32_t))

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

static ALWAYS_INLINE __m256i
weights16 (const uint8_t *p)
{
  return _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) p));
}

/* np (1..NP, a constant after inlining) panels from pan: accumulate,
 * then bias, zero-point term, requantisation and nc bytes to c. */
static ALWAYS_INLINE void
gemv_panels (const mn_q8_rq_mode mode, const int np, int groups, const int16_t *aw,
             __m256i a_sum, const uint8_t *pan, size_t pb, const mn_requant *rq, int c0,
             int nc, uint8_t *c, __m256i zp, __m256i lo, __m256i hi)
{
  __m256i c0a = _mm256_setzero_si256 (), c1a = c0a, c2a = c0a, c3a = c0a;
  const uint8_t *w = pan + HEAD_BYTES;

  for (int g = 0; g < groups; g++, w += 2 * NR) {
    int32_t pair;
    memcpy (&pair, aw + 2 * g, sizeof pair);
    const __m256i x = _mm256_set1_epi32 (pair);
    c0a = _mm256_add_epi32 (c0a, _mm256_madd_epi16 (x, weights16 (w)));
    if (np > 1)
      c1a = _mm256_add_epi32 (c1a, _mm256_madd_epi16 (x, weights16 (w + pb)));
    if (np > 2)
      c2a = _mm256_add_epi32 (c2a, _mm256_madd_epi16 (x, weights16 (w + 2 * pb)));
    if (np > 3)
      c3a = _mm256_add_epi32 (c3a, _mm256_madd_epi16 (x, weights16 (w + 3 * pb)));
  }

  const __m256i acc[NP] = { c0a, c1a, c2a, c3a };
  __m256i r[NP];
MN_UNROLL_ALL (4)
  for (int j = 0; j < NP; j++) {
    if (j >= np) {
      r[j] = r[0];
      continue;
    }
    const uint8_t *pj = pan + (size_t) j * pb;
    const __m256i bias = _mm256_loadu_si256 ((const __m256i *) pj);
    const __m256i wzp = _mm256_loadu_si256 ((const __m256i *) (pj + NR * sizeof (int32_t)));
    const __m256i sum = _mm256_sub_epi32 (_mm256_add_epi32 (acc[j], bias),
                                          _mm256_mullo_epi32 (wzp, a_sum));
    const int left = nc - j * NR;
    mn_q8_rq8 q;
    mn_q8_rq8_load (&q, rq, c0 + j * NR, left < NR ? left : NR);
    r[j] = mn_q8_requant8 (mode, sum, &q, zp);
  }
  mn_q8_store_bytes (c + c0, mn_q8_narrow2x16 (r[0], r[1], r[2], r[3], lo, hi), nc);
}

static ALWAYS_INLINE void
gemv_body (const mn_q8_rq_mode mode, int n_begin, int n_end, int k, const int16_t *aw,
           __m256i a_sum, const void *packed, uint8_t *c, const mn_requant *rq)
{
  const size_t pb = mn_q8_gemv_packed_size (NR, k);   /* one panel */
  const int groups = (k + 1) / 2;
  const __m256i zp = _mm256_set1_epi32 (rq->out_zero_point);
  const __m256i lo = _mm256_set1_epi8 ((char) rq->out_min);
  const __m256i hi = _mm256_set1_epi8 ((char) rq->out_max);

  for (int c0 = n_begin; c0 < n_end; c0 += NP * NR) {
    const uint8_t *pan = (const uint8_t *) packed + (size_t) (c0 / NR) * pb;
    const int nc = n_end - c0 < NP * NR ? n_end - c0 : NP * NR;
    switch ((nc + NR - 1) / NR) {
      case 4:
        gemv_panels (mode, 4, groups, aw, a_sum, pan, pb, rq, c0, nc, c, zp, lo, hi);
        break;
      case 3:
        gemv_panels (mode, 3, groups, aw, a_sum, pan, pb, rq, c0, nc, c, zp, lo, hi);
        break;
      case 2:
        gemv_panels (mode, 2, groups, aw, a_sum, pan, pb, rq, c0, nc, c, zp, lo, hi);
        break;
      default:
        gemv_panels (mode, 1, groups, aw, a_sum, pan, pb, rq, c0, nc, c, zp, lo, hi);
    }
  }
}

void
mn_q8_gemv_avx2 (int n, int k, int n_begin, int n_end, const uint8_t *a, const void *packed,
                 uint8_t *c, const mn_requant *rq)
{
  int16_t aw[MAX_K + 2];
  uint32_t sum = 0;

  if (n_end > n)
    n_end = n;
  if (n_begin >= n_end)
    return;
  if (k > MAX_K) {
    mn_q8_gemv_c (n, k, n_begin, n_end, a, packed, c, rq);
    return;
  }
  for (int i = 0; i < k; i++) {
    aw[i] = a[i];
    sum += a[i];
  }
  aw[k] = 0;   /* an odd tail's partner (its weight is zero too) */

  const __m256i a_sum = _mm256_set1_epi32 ((int32_t) sum);
  switch (mn_q8_rq_mode_of (rq, n_begin, n_end)) {
    case MN_Q8_RQ_GENERAL:
      gemv_body (MN_Q8_RQ_GENERAL, n_begin, n_end, k, aw, a_sum, packed, c, rq);
      break;
    case MN_Q8_RQ_CLAMPED:
      gemv_body (MN_Q8_RQ_CLAMPED, n_begin, n_end, k, aw, a_sum, packed, c, rq);
      break;
    default:
      gemv_body (MN_Q8_RQ_PLAIN, n_begin, n_end, k, aw, a_sum, packed, c, rq);
  }
}
