/* f32_gemm_c.c: float GEMM for pointwise convolutions and fully connected
 * layers, portable C twin.
 *
 * Packed layout (shared with every SIMD twin): for each panel of
 * MN_F32_GEMM_NR output channels, NR biases and then k rows of NR weights
 * (row kk holds W[n0 + j][kk] for j < NR).  Channels past n in the last
 * panel are zero.  Every panel is (k + 1) * NR floats long. */
#include "kernels.h"

#include <math.h>
#include <string.h>

#define NR MN_F32_GEMM_NR

size_t
mn_f32_gemm_packed_size (int n, int k)
{
  size_t panels = ((size_t) n + NR - 1) / NR;
  return panels * NR * ((size_t) k + 1);
}

/* Every packed float written once (the missing channels' zeros with the
 * rest, no memset of the whole first), in blocks of 16 k so that each
 * weight row is read 16 floats at a time and the block's 16 packed rows
 * (1 KiB) stay in L1.  Channel by channel after a memset, packing took
 * 37 % of V2 float's load; V2 float's load 11.8 -> 8.2 ms (median of
 * loads one after the other, in one process). */
void
mn_f32_gemm_pack (int n, int k, const float *w, const float *bias, float *packed)
{
  for (int n0 = 0; n0 < n; n0 += NR) {
    float *panel = packed + (size_t) (n0 / NR) * NR * ((size_t) k + 1);
    const float *wp = w + (size_t) n0 * k;
    const int nr = n - n0 < NR ? n - n0 : NR;

    for (int j = 0; j < NR; j++)
      panel[j] = j < nr && bias ? bias[n0 + j] : 0.0f;
    /* blocks of 16 k: each weight row's 16 floats read together */
    for (int k0 = 0; k0 < k; k0 += 16) {
      const int kb = k - k0 < 16 ? k - k0 : 16;
      float *rows = panel + NR + (size_t) k0 * NR;
      for (int j = 0; j < nr; j++) {
        const float *src = wp + (size_t) j * k + k0;
        for (int i = 0; i < kb; i++)
          rows[(size_t) i * NR + j] = src[i];
      }
      for (int j = nr; j < NR; j++)
        for (int i = 0; i < kb; i++)
          rows[(size_t) i * NR + j] = 0.0f;
    }
  }
}

bool
mn_f32_gemm_sparse_suits (int n, int k, const float *packed)
{
  const size_t panel_floats = (size_t) NR * ((size_t) k + 1);
  for (size_t p = 0; p < ((size_t) n + NR - 1) / NR; p++) {
    const float *panel = packed + p * panel_floats;
    for (int j = 0; j < NR; j++)
      if (panel[j] == 0.0f && signbit (panel[j]))
        return false;
    for (size_t i = NR; i < panel_floats; i++)
      if (!isfinite (panel[i]))
        return false;
  }
  return true;
}

/* C[i][n] = clamp (bias[n] + sum_kk A[i][kk] * W[n][kk]) (+ R[i][n]), summed
 * in kk order. */
void
mn_f32_gemm_c (int m, int n, int k, int n_begin, int n_end, const float *a, size_t a_stride,
               const float *packed, float *c, size_t c_stride, const float *residual,
               float out_min, float out_max)
{
  if (n_end > n)
    n_end = n;

  for (int n0 = n_begin; n0 < n_end; n0 += NR) {
    const float *panel = packed + (size_t) (n0 / NR) * NR * ((size_t) k + 1);
    const int nr = n_end - n0 < NR ? n_end - n0 : NR;

    for (int i = 0; i < m; i++) {
      const float *arow = a + (size_t) i * a_stride;
      float *crow = c + (size_t) i * c_stride + n0;
      float acc[NR];

      for (int j = 0; j < NR; j++)
        acc[j] = panel[j];
      for (int kk = 0; kk < k; kk++) {
        const float av = arow[kk];
        const float *wrow = panel + NR + (size_t) kk * NR;
        for (int j = 0; j < NR; j++)
          acc[j] += av * wrow[j];
      }
      for (int j = 0; j < nr; j++) {
        float v = acc[j];
        v = v < out_min ? out_min : v;
        v = v > out_max ? out_max : v;
        if (residual)
          v += residual[(size_t) i * c_stride + n0 + j];
        crow[j] = v;
      }
    }
  }
}
