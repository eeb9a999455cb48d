/* f32_conv_c.c: general float convolution (any kernel size, stride and
 * padding; MobileNet uses it for its first layer), portable C twin.
 *
 * Packed layout (shared with every SIMD twin): for each panel of
 * MN_F32_CONV_NR output channels, NR biases and then k_h * k_w * in_c rows
 * of NR weights, rows ordered (ky, kx, ic) like the TFLite filter
 * [out_c][k_h][k_w][in_c].  Channels past out_c are zero.  A panel is
 * (k_h * k_w * in_c + 1) * NR floats long. */
#include "kernels.h"

#include <string.h>

#define NR MN_F32_CONV_NR

size_t
mn_f32_conv_packed_size (const mn_conv_geom *g)
{
  size_t panels = ((size_t) g->out_c + NR - 1) / NR;
  size_t kk = (size_t) g->k_h * g->k_w * g->in_c;
  return panels * NR * (kk + 1);
}

void
mn_f32_conv_pack (const mn_conv_geom *g, const float *w, const float *bias, float *packed)
{
  const size_t kk = (size_t) g->k_h * g->k_w * g->in_c;

  memset (packed, 0, mn_f32_conv_packed_size (g) * sizeof (float));
  for (int o0 = 0; o0 < g->out_c; o0 += NR) {
    float *panel = packed + (size_t) (o0 / NR) * NR * (kk + 1);
    const int nr = g->out_c - o0 < NR ? g->out_c - o0 : NR;

    for (int j = 0; j < nr; j++) {
      panel[j] = bias ? bias[o0 + j] : 0.0f;
      for (size_t r = 0; r < kk; r++)
        panel[NR + r * NR + j] = w[(size_t) (o0 + j) * kk + r];
    }
  }
}

/* Taps outside the image are padding (real zero) and are skipped; the sum
 * runs bias first, then taps in (ky, kx, ic) order. */
void
mn_f32_conv_c (const mn_conv_geom *g, const float *in, const float *packed, float *out,
               int oy_begin, int oy_end, float out_min, float out_max)
{
  const size_t kk = (size_t) g->k_h * g->k_w * g->in_c;

  for (int oy = oy_begin; oy < oy_end; oy++) {
    for (int ox = 0; ox < g->out_w; ox++) {
      const int iy0 = oy * g->stride_h - g->pad_top;
      const int ix0 = ox * g->stride_w - g->pad_left;
      float *o = out + ((size_t) oy * g->out_w + ox) * g->out_c;

      for (int o0 = 0; o0 < g->out_c; o0 += NR) {
        const float *panel = packed + (size_t) (o0 / NR) * NR * (kk + 1);
        const int nr = g->out_c - o0 < NR ? g->out_c - o0 : NR;
        float acc[NR];

        for (int j = 0; j < NR; j++)
          acc[j] = panel[j];
        for (int ky = 0; ky < g->k_h; ky++) {
          const int iy = iy0 + ky;
          if (iy < 0 || iy >= g->in_h)
            continue;
          for (int kx = 0; kx < g->k_w; kx++) {
            const int ix = ix0 + kx;
            if (ix < 0 || ix >= g->in_w)
              continue;
            const float *x = in + ((size_t) iy * g->in_w + ix) * g->in_c;
            const float *wrow = panel + NR + ((size_t) ky * g->k_w + kx) * g->in_c * NR;
            for (int ic = 0; ic < g->in_c; ic++) {
              const float xv = x[ic];
              for (int j = 0; j < NR; j++)
                acc[j] += xv * wrow[(size_t) ic * NR + j];
            }
          }
        }
        for (int j = 0; j < nr; j++) {
          float v = acc[j];
          v = v < out_min ? out_min : v;
          v = v > out_max ? out_max : v;
          o[o0 + j] = v;
        }
      }
    }
  }
}
