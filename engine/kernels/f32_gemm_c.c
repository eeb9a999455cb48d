/* f32_gemm_c.c: float GEMM for pointwise convolutions and fully connected
 * layers, portable C twin.
 *
 * Packed layout (shared with every SIMD twin): for each panel of
 * MN_F32_GEMM_NR output channels, NR biases and then k rows of NR weights
 * (row kk holds W[n0 + j][kk] for j < NR).  Channels past n in the last
 * panel are zero.  Every panel is (k + 1) * NR floats long. */
#include "kernels.h"

#include <string.h>

#define NR MN_F32_GEMM_NR

size_t
mn_f32_gemm_packed_size (int n, int k)
{
  size_t panels = ((size_t) n + NR - 1) / NR;
  return panels * NR * ((size_t) k + 1);
}

void
mn_f32_gemm_pack (int n, int k, const float *w, const float *bias, float *packed)
{
  memset (packed, 0, mn_f32_gemm_packed_size (n, k) * sizeof (float));

  for (int n0 = 0; n0 < n; n0 += NR) {
    float *panel = packed + (size_t) (n0 / NR) * NR * ((size_t) k + 1);
    const int nr = n - n0 < NR ? n - n0 : NR;

    for (int j = 0; j < nr; j++) {
      panel[j] = bias ? bias[n0 + j] : 0.0f;
      for (int kk = 0; kk < k; kk++)
        panel[NR + (size_t) kk * NR + j] = w[(size_t) (n0 + j) * k + kk];
    }
  }
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
