/* q8_gemv_c.c: the quantised GEMM for a single row (the classifier: one
 * pixel, 1001 x 1280 weights), portable C twin.
 *
 * With one row nothing reuses a weight, so the step streams its weights
 * from memory once per image: 2.6 MB in the GEMM's int16 layout, more than
 * L2 holds and often more than this tenant's share of L3.  This layout keeps
 * them as the model's bytes (half the traffic) and moves the weight zero
 * point out of the sum:
 *   acc[n] = bias'[n] + sum_k A[k] * W[n][k] - w_zp[n] * sum_k A[k]
 * with bias' the GEMM's (mn_q8_fold_bias ()): the same int32 value as the
 * GEMM's acc, since both are the exact sum reduced mod 2^32.
 *
 * Packed layout (shared with every SIMD twin), per panel of NR = 8 output
 * channels, panel_bytes (k) bytes:
 *   int32 bias'[NR], int32 w_zp[NR]
 *   for g in 0 .. ceil(k / 2) - 1:  uint8 w[NR][2], w[j][t] = W[n0 + j][2g + t]
 * A missing odd tail and channels past n are zero (bias and zero point
 * too), so they add nothing.  One group is 16 bytes: zero-extended to int16
 * it is what vpmaddwd multiplies against a broadcast pair (A[2g], A[2g + 1]). */
#include "kernels.h"
#include "requant.h"

#include <string.h>

#define NR MN_Q8_GEMM_NR
#define HEAD_BYTES (2 * NR * sizeof (int32_t))

static size_t
panel_bytes (int k)
{
  return HEAD_BYTES + (((size_t) k + 1) / 2) * NR * 2;
}

size_t
mn_q8_gemv_packed_size (int n, int k)
{
  return ((size_t) n + NR - 1) / NR * panel_bytes (k);
}

void
mn_q8_gemv_pack (int n, int k, const uint8_t *w, const int32_t *w_zero_point,
                 const int32_t *bias, int32_t a_zero_point, void *packed)
{
  const size_t pb = panel_bytes (k);

  memset (packed, 0, mn_q8_gemv_packed_size (n, k));
  for (int n0 = 0; n0 < n; n0 += NR) {
    uint8_t *panel = (uint8_t *) packed + (size_t) (n0 / NR) * pb;
    int32_t *pbias = (int32_t *) panel, *pzp = pbias + NR;
    uint8_t *pw = panel + HEAD_BYTES;
    const int nr = n - n0 < NR ? n - n0 : NR;

    for (int j = 0; j < nr; j++) {
      const uint8_t *wrow = w + (size_t) (n0 + j) * k;
      for (int kk = 0; kk < k; kk++)
        pw[(size_t) (kk / 2) * NR * 2 + j * 2 + (kk & 1)] = wrow[kk];
      pbias[j] = mn_q8_fold_bias (bias ? bias[n0 + j] : 0, a_zero_point, wrow, k,
                                  w_zero_point[n0 + j]);
      pzp[j] = w_zero_point[n0 + j];
    }
  }
}

void
mn_q8_gemv_c (int n, int k, int n_begin, int n_end, const uint8_t *a, const void *packed,
              uint8_t *c, const mn_requant *rq)
{
  const size_t pb = panel_bytes (k);
  const int groups = (k + 1) / 2;
  uint32_t a_sum = 0;   /* wrapping, as the SIMD twins' int32 */

  if (n_end > n)
    n_end = n;
  for (int kk = 0; kk < k; kk++)
    a_sum += a[kk];

  for (int n0 = n_begin; n0 < n_end; n0 += NR) {
    const uint8_t *panel = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
    const int32_t *pbias = (const int32_t *) panel, *pzp = pbias + NR;
    const uint8_t *pw = panel + HEAD_BYTES;
    const int nr = n_end - n0 < NR ? n_end - n0 : NR;
    uint32_t acc[NR];

    for (int j = 0; j < NR; j++)
      acc[j] = (uint32_t) pbias[j] - (uint32_t) pzp[j] * a_sum;
    for (int g = 0; g < groups; g++) {
      const uint32_t a0 = a[2 * g], a1 = 2 * g + 1 < k ? a[2 * g + 1] : 0;
      const uint8_t *wg = pw + (size_t) g * NR * 2;
      for (int j = 0; j < NR; j++)
        acc[j] += a0 * wg[2 * j] + a1 * wg[2 * j + 1];
    }
    for (int j = 0; j < nr; j++)
      c[n0 + j] = mn_requant_u8 ((int32_t) acc[j], rq->multiplier[n0 + j], rq->shift[n0 + j],
                                 rq->out_zero_point, rq->out_min, rq->out_max);
  }
}
