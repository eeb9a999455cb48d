/* q8_gemm4_c.c: the q8 GEMM on byte quads, portable C twin of the VNNI
 * kernels (vpdpbusd: four unsigned bytes times four signed bytes, summed
 * into an int32 lane).
 *
 * Same result as q8_gemm_c.c, acc[i][n] = bias'[n] + sum_k A[i][k] * u[n][k]
 * with u = W - w_zp in [-255, 255], from signed bytes s = W - 128:
 *   sum_k A u = sum_k A s + (128 - w_zp[n]) * sum_k A[i][k]
 * an identity of integers, so equal to the pairs twin's sum modulo 2^32 (the
 * wrapping included).  int8 per-channel models (w_zp 128 in the uint8
 * domain) have a zero coefficient and need no row sums.
 *
 * Packed layout (shared with every SIMD twin), per panel of NR = 16 output
 * channels, MN_Q8_GEMM4 panel bytes:
 *   int32 bias'[NR]   (as mn_q8_gemm_pack ()'s)
 *   int32 coef[NR]    128 - w_zp
 *   for g in 0 .. ceil(k / 4) - 1:  int8 s[NR][4], s[j][t] = W[n0 + j][4g + t] - 128
 * Missing k past the end and channels past n are zero.  One group is 64
 * bytes: one zmm of weights for 16 int32 accumulators.
 *
 * Overflow: |s| <= 128 and A <= 255, so the sums stay within int32 for
 * k < 16000 as the pairs twin's do; beyond, both wrap the same way. */
#include "kernels.h"
#include "requant.h"

#include <string.h>

#define NR MN_Q8_GEMM4_NR

size_t
mn_q8_gemm4_panel_bytes (int k)
{
  return 2 * NR * sizeof (int32_t) + (((size_t) k + 3) / 4) * NR * 4;
}

size_t
mn_q8_gemm4_packed_size (int n, int k)
{
  return ((size_t) n + NR - 1) / NR * mn_q8_gemm4_panel_bytes (k);
}

void
mn_q8_gemm4_pack (int n, int k, const uint8_t *w, const int32_t *w_zero_point,
                  const int32_t *bias, int32_t a_zero_point, void *packed)
{
  const size_t pb = mn_q8_gemm4_panel_bytes (k);

  memset (packed, 0, mn_q8_gemm4_packed_size (n, k));
  for (int n0 = 0; n0 < n; n0 += NR) {
    uint8_t *panel = (uint8_t *) packed + (size_t) (n0 / NR) * pb;
    int32_t *pbias = (int32_t *) panel, *pcoef = pbias + NR;
    int8_t *ps = (int8_t *) (pcoef + NR);
    const int nr = n - n0 < NR ? n - n0 : NR;

    for (int j = 0; j < nr; j++) {
      const uint8_t *wrow = w + (size_t) (n0 + j) * k;
      const int32_t wzp = w_zero_point[n0 + j];

      for (int kk = 0; kk < k; kk++)
        ps[(size_t) (kk / 4) * NR * 4 + j * 4 + (kk & 3)] = (int8_t) ((int32_t) wrow[kk] - 128);
      pbias[j] = mn_q8_fold_bias (bias ? bias[n0 + j] : 0, a_zero_point, wrow, k, wzp);
      pcoef[j] = 128 - wzp;
    }
  }
}

void
mn_q8_gemm4_c (int m, int n, int k, int n_begin, int n_end, const uint8_t *a, size_t a_stride,
               const void *packed, uint8_t *c, size_t c_stride, const mn_requant *rq)
{
  const size_t pb = mn_q8_gemm4_panel_bytes (k);

  if (n_end > n)
    n_end = n;

  for (int n0 = n_begin; n0 < n_end; n0 += NR) {
    const uint8_t *panel = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
    const int32_t *pbias = (const int32_t *) panel, *pcoef = pbias + NR;
    const int8_t *ps = (const int8_t *) (pcoef + NR);
    const int nr = n_end - n0 < NR ? n_end - n0 : NR;

    for (int i = 0; i < m; i++) {
      const uint8_t *arow = a + (size_t) i * a_stride;
      uint8_t *crow = c + (size_t) i * c_stride + n0;
      uint32_t acc[NR];   /* wrapping int32 sums, as the SIMD twins' */
      uint32_t rowsum = 0;

      for (int kk = 0; kk < k; kk++)
        rowsum += arow[kk];
      for (int j = 0; j < NR; j++)
        acc[j] = (uint32_t) pbias[j] + (uint32_t) pcoef[j] * rowsum;
      for (int kk = 0; kk < k; kk++) {
        const int8_t *sg = ps + (size_t) (kk / 4) * NR * 4 + (kk & 3);
        for (int j = 0; j < NR; j++)
          acc[j] += (uint32_t) ((int32_t) arow[kk] * sg[4 * j]);
      }
      for (int j = 0; j < nr; j++) {
        crow[j] = mn_requant_u8 ((int32_t) acc[j], rq->multiplier[n0 + j], rq->shift[n0 + j],
                                 rq->out_zero_point, rq->out_min, rq->out_max);
      }
    }
  }
}
