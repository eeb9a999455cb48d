/* q8_dwconv_c.c: quantised (uint8 domain) depthwise convolution, portable
 * C twin.
 *
 * acc[o] = bias[o] + sum over in-image taps of (x[o / m] - x_zp) * (w[o] - w_zp[o]),
 * m the depth multiplier; padding taps add nothing.
 *
 * Packed layout (shared with every SIMD twin), per panel of NR = 8 output
 * channels:
 *   int32 bias[NR]
 *   k_h * k_w rows of int16 w[NR], row ky * k_w + kx, w[j] = W[ky][kx][o0 + j] - w_zp[o0 + j]
 * Channels past out_c are zero.  A panel is 32 + 16 * k_h * k_w bytes. */
#include "kernels.h"
#include "requant.h"

#include <string.h>

#define NR MN_Q8_DW_NR

static size_t
panel_bytes (const mn_conv_geom *g)
{
  return NR * sizeof (int32_t) + (size_t) g->k_h * g->k_w * NR * sizeof (int16_t);
}

size_t
mn_q8_dwconv_packed_size (const mn_conv_geom *g)
{
  return ((size_t) g->out_c + NR - 1) / NR * panel_bytes (g);
}

void
mn_q8_dwconv_pack (const mn_conv_geom *g, const uint8_t *w, const int32_t *w_zero_point,
                   const int32_t *bias, void *packed)
{
  const size_t taps = (size_t) g->k_h * g->k_w;
  const size_t pb = panel_bytes (g);

  memset (packed, 0, mn_q8_dwconv_packed_size (g));
  for (int o0 = 0; o0 < g->out_c; o0 += NR) {
    uint8_t *panel = (uint8_t *) packed + (size_t) (o0 / NR) * pb;
    int32_t *pbias = (int32_t *) panel;
    int16_t *pw = (int16_t *) (panel + NR * sizeof (int32_t));
    const int nr = g->out_c - o0 < NR ? g->out_c - o0 : NR;

    for (int j = 0; j < nr; j++) {
      pbias[j] = bias ? bias[o0 + j] : 0;
      for (size_t t = 0; t < taps; t++)
        pw[t * NR + j] = (int16_t) ((int32_t) w[t * g->out_c + o0 + j] - w_zero_point[o0 + j]);
    }
  }
}

void
mn_q8_dwconv_c (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                const void *packed, uint8_t *out, int oy_begin, int oy_end,
                const mn_requant *rq)
{
  const size_t pb = panel_bytes (g);
  const int dm = g->depth_multiplier > 0 ? g->depth_multiplier : 1;

  for (int oy = oy_begin; oy < oy_end; oy++) {
    for (int ox = 0; ox < g->out_w; ox++) {
      const int iy0 = oy * g->stride_h - g->pad_top;
      const int ix0 = ox * g->stride_w - g->pad_left;
      uint8_t *o = out + ((size_t) oy * g->out_w + ox) * g->out_c;

      for (int o0 = 0; o0 < g->out_c; o0 += NR) {
        const uint8_t *panel = (const uint8_t *) packed + (size_t) (o0 / NR) * pb;
        const int32_t *pbias = (const int32_t *) panel;
        const int16_t *pw = (const int16_t *) (panel + NR * sizeof (int32_t));
        const int nr = g->out_c - o0 < NR ? g->out_c - o0 : NR;
        uint32_t acc[NR];   /* wrapping int32 sums, as the SIMD twins' */

        for (int j = 0; j < NR; j++)
          acc[j] = (uint32_t) pbias[j];
        for (int ky = 0; ky < g->k_h; ky++) {
          const int iy = iy0 + ky;
          if (iy < 0 || iy >= g->in_h)
            continue;
          for (int kx = 0; kx < g->k_w; kx++) {
            const int ix = ix0 + kx;
            if (ix < 0 || ix >= g->in_w)
              continue;
            const uint8_t *x = in + ((size_t) iy * g->in_w + ix) * g->in_c;
            const int16_t *wrow = pw + ((size_t) ky * g->k_w + kx) * NR;
            for (int j = 0; j < nr; j++)
              acc[j] += (uint32_t) (((int32_t) x[(o0 + j) / dm] - in_zero_point) * wrow[j]);
          }
        }
        for (int j = 0; j < nr; j++) {
          o[o0 + j] = mn_requant_u8 ((int32_t) acc[j], rq->multiplier[o0 + j], rq->shift[o0 + j],
                                     rq->out_zero_point, rq->out_min, rq->out_max);
        }
      }
    }
  }
}
