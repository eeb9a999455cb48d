/* q8_gemm_c.c: quantised (uint8 domain) GEMM for pointwise convolutions and
 * fully connected layers, portable C twin.
 *
 * acc[i][n] = bias[n] + sum_k (A[i][k] - a_zp) * (W[n][k] - w_zp[n])
 *           = bias'[n] + sum_k A[i][k] * (W[n][k] - w_zp[n])
 * with bias'[n] = bias[n] - a_zp * sum_k (W[n][k] - w_zp[n]) folded in at
 * packing time (exact: a 1x1 GEMM has no padding taps).
 *
 * Packed layout (shared with every SIMD twin), per panel of NR = 8 output
 * channels, MN_Q8_GEMM_PANEL_BYTES (k) bytes:
 *   int32 bias'[NR]
 *   for g in 0 .. ceil(k / 2) - 1:  int16 w[NR][2], w[j][t] = W[n0 + j][2g + t] - w_zp
 * A missing odd tail (2g + 1 == k) and channels past n are zero.  One group
 * is 32 bytes, exactly what vpmaddwd multiplies against a broadcast pair
 * (A[2g], A[2g + 1]) zero-extended to int16.
 *
 * Overflow: |A| <= 255 and |W - w_zp| <= 255, so every partial sum is
 * bounded by |bias| + 2 * 65025 * k: int32 is exact for k < 16000 with
 * |bias| < 2^30 (MobileNet: k <= 1280; requant.h multipliers then scale).
 * Past that (a hostile model's bias) the sums wrap around int32, as the
 * SIMD twins' vpaddd does; the accumulators are uint32 so that the wrap is
 * defined C, and so is the zero point's addition (mn_wrap_add ()). */
#include "kernels.h"
#include "requant.h"

#include <string.h>

#define NR MN_Q8_GEMM_NR

static size_t
panel_bytes (int k)
{
  return NR * sizeof (int32_t) + (((size_t) k + 1) / 2) * NR * 2 * sizeof (int16_t);
}

int32_t
mn_q8_fold_bias (int32_t bias, int32_t a_zero_point, const uint8_t *wrow, int k,
                 int32_t w_zero_point)
{
  int64_t wsum = 0;
  for (int kk = 0; kk < k; kk++)
    wsum += (int32_t) wrow[kk] - w_zero_point;
  /* Wraps like the int32 sum it stands for. */
  return (int32_t) (uint32_t) ((int64_t) bias - (int64_t) a_zero_point * wsum);
}

size_t
mn_q8_gemm_packed_size (int n, int k)
{
  return ((size_t) n + NR - 1) / NR * panel_bytes (k);
}

void
mn_q8_gemm_pack (int n, int k, const uint8_t *w, const int32_t *w_zero_point,
                 const int32_t *bias, int32_t a_zero_point, void *packed)
{
  const size_t pb = panel_bytes (k);

  memset (packed, 0, mn_q8_gemm_packed_size (n, k));
  for (int n0 = 0; n0 < n; n0 += NR) {
    uint8_t *panel = (uint8_t *) packed + (size_t) (n0 / NR) * pb;
    int32_t *pbias = (int32_t *) panel;
    int16_t *pw = (int16_t *) (panel + NR * sizeof (int32_t));
    const int nr = n - n0 < NR ? n - n0 : NR;

    for (int j = 0; j < nr; j++) {
      const uint8_t *wrow = w + (size_t) (n0 + j) * k;
      const int32_t wzp = w_zero_point[n0 + j];

      for (int kk = 0; kk < k; kk++)
        pw[(size_t) (kk / 2) * NR * 2 + j * 2 + (kk & 1)] = (int16_t) ((int32_t) wrow[kk] - wzp);
      pbias[j] = mn_q8_fold_bias (bias ? bias[n0 + j] : 0, a_zero_point, wrow, k, wzp);
    }
  }
}

void
mn_q8_gemm_c (int m, int n, int k, int n_begin, int n_end, const uint8_t *a, size_t a_stride,
              const void *packed, uint8_t *c, size_t c_stride, const mn_requant *rq)
{
  const size_t pb = panel_bytes (k);
  const int groups = (k + 1) / 2;

  if (n_end > n)
    n_end = n;

  for (int n0 = n_begin; n0 < n_end; n0 += NR) {
    const uint8_t *panel = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
    const int32_t *pbias = (const int32_t *) panel;
    const int16_t *pw = (const int16_t *) (panel + NR * sizeof (int32_t));
    const int nr = n_end - n0 < NR ? n_end - n0 : NR;

    for (int i = 0; i < m; i++) {
      const uint8_t *arow = a + (size_t) i * a_stride;
      uint8_t *crow = c + (size_t) i * c_stride + n0;
      uint32_t acc[NR];   /* wrapping int32 sums, as the SIMD twins' */

      for (int j = 0; j < NR; j++)
        acc[j] = (uint32_t) pbias[j];
      for (int g = 0; g < groups; g++) {
        const int32_t a0 = arow[2 * g];
        const int32_t a1 = 2 * g + 1 < k ? arow[2 * g + 1] : 0;
        const int16_t *wg = pw + (size_t) g * NR * 2;
        for (int j = 0; j < NR; j++)
          acc[j] += (uint32_t) (a0 * wg[2 * j] + a1 * wg[2 * j + 1]);
      }
      for (int j = 0; j < nr; j++) {
        crow[j] = mn_requant_u8 ((int32_t) acc[j], rq->multiplier[n0 + j], rq->shift[n0 + j],
                                 rq->out_zero_point, rq->out_min, rq->out_max);
      }
    }
  }
}
