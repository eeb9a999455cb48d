/* f32_conv_avx512.c: general float convolution (MobileNet's first layer),
 * AVX-512 twin of f32_conv_c.c, on the same packed layout (panels of 8
 * output channels: 8 biases, then k_h * k_w * in_c rows of 8 weights).
 *
 * As the AVX2 twin, vectorised over output channels, but 16 a vector (the
 * rows of two neighbouring panels joined by an insert) and up to 12 output
 * pixels of 32 channels at a time: 24 of the 32 registers accumulate, one
 * broadcast per input value and pixel feeds two FMAs.  Pixels whose taps
 * are all inside the image walk each kernel row's k_w * in_c inputs as
 * one contiguous run; tiles touching the border skip each pixel's
 * padding taps.  Channels past out_c are computed from zero weights (a missing
 * panel reads as zeros) and not stored.
 *
 * Every output element is bias + taps in (ky, kx, ic) order, one FMA each,
 * skipping taps outside the image, as in the C and AVX2 twins. */
#include "kernels.h"
#include "x86/f32_avx512.h"
#include "x86/unroll.h"

#include <immintrin.h>
#include <stdbool.h>

#define NR MN_F32_CONV_NR   /* 8: a panel is half a vector */
#define VECS 2              /* vectors of 16 channels a tile */
#define PIXELS 12           /* most pixels of a tile */

#define ALWAYS_INLINE inline __attribute__ ((always_inline))
#define UNROLL MN_UNROLL_ALL (12)

void mn_f32_conv_minmax_12x32_avx512 (const mn_conv_geom *g, const float *in, const float *packed,
                                      float *out, int oy_begin, int oy_end, float out_min,
                                      float out_max);

/* A first layer on RGB: 3x3, stride 2, 3 input channels, whole 16-channel
 * vectors.  With these as constants the 12 pixels' inputs are fixed
 * offsets from one pointer (the general code kept their offsets on the
 * stack) and no pair is checked for a missing panel: V2's first layer
 * alone (224x224x3 -> 112x112x32), 126 against 145 us.  Unrolling a
 * kernel row's 9 inputs as well made it 1.8x slower. */
static bool
is_rgb_3x3s2 (const mn_conv_geom *g)
{
  return g->in_c == 3 && g->k_h == 3 && g->k_w == 3 && g->stride_h == 2 && g->stride_w == 2
         && g->out_c % 16 == 0;
}

/* npx pixels from ox of row oy by nv vectors of channels from panel p0;
 * check: skip each pixel's taps outside the image; rgb: is_rgb_3x3s2 (g),
 * whose sizes are then taken as constants. */
static ALWAYS_INLINE void
conv_tile (const mn_conv_geom *g, const bool rgb, const float *in, const float *packed,
           size_t panel_floats, int panels, int p0, const int nv, const int npx, bool check,
           int oy, int ox, float *out, __m512 vmin, __m512 vmax)
{
  const int k_h = rgb ? 3 : g->k_h, k_w = rgb ? 3 : g->k_w, stride = rgb ? 2 : g->stride_w;
  const size_t cin = rgb ? 3 : (size_t) g->in_c;
  const float *pa[VECS], *pb[VECS];
  __m512 acc[PIXELS][VECS];

  UNROLL
  for (int v = 0; v < nv; v++) {
    pa[v] = packed + (size_t) (p0 + 2 * v) * panel_floats;
    pb[v] = rgb || p0 + 2 * v + 1 < panels ? pa[v] + panel_floats : NULL;
    acc[0][v] = mn_f32_panel_pair (pa[v], pb[v], 0);
    UNROLL
    for (int px = 1; px < npx; px++)
      acc[px][v] = acc[0][v];
  }
  const int iy0 = oy * g->stride_h - g->pad_top;
  const int ix0 = ox * stride - g->pad_left;
  if (!check) {
    /* All taps inside: the k_w * in_c inputs of a kernel row are
     * contiguous, in the packed row order. */
    const size_t row_len = (size_t) k_w * cin, xs = (size_t) stride * cin;
    for (int ky = 0; ky < k_h; ky++) {
      const float *x0 = in + ((size_t) (iy0 + ky) * g->in_w + ix0) * cin;
      const size_t r0 = NR + (size_t) ky * row_len * NR;
      for (size_t j = 0; j < row_len; j++) {
        __m512 w[VECS];
        UNROLL
        for (int v = 0; v < nv; v++)
          w[v] = mn_f32_panel_pair (pa[v], pb[v], r0 + j * NR);
        UNROLL
        for (int px = 0; px < npx; px++) {
          const __m512 a = _mm512_set1_ps (x0[px * xs + j]);
          UNROLL
          for (int v = 0; v < nv; v++)
            acc[px][v] = _mm512_fmadd_ps (a, w[v], acc[px][v]);
        }
      }
    }
  } else {
    /* each pixel skips its own taps outside the image; the weights of a
     * tap are joined once for all the pixels */
    for (int ky = 0; ky < k_h; ky++) {
      const int iy = iy0 + ky;
      if (iy < 0 || iy >= g->in_h)
        continue;
      const float *row = in + (size_t) iy * g->in_w * cin;
      for (int kx = 0; kx < k_w; kx++) {
        const size_t r0 = NR + ((size_t) ky * k_w + kx) * cin * NR;
        for (size_t ic = 0; ic < cin; ic++) {
          __m512 w[VECS];
          UNROLL
          for (int v = 0; v < nv; v++)
            w[v] = mn_f32_panel_pair (pa[v], pb[v], r0 + ic * NR);
          UNROLL
          for (int px = 0; px < npx; px++) {
            const int ix = ix0 + px * stride + kx;
            if (ix < 0 || ix >= g->in_w)
              continue;
            const __m512 a = _mm512_set1_ps (row[(size_t) ix * cin + ic]);
            UNROLL
            for (int v = 0; v < nv; v++)
              acc[px][v] = _mm512_fmadd_ps (a, w[v], acc[px][v]);
          }
        }
      }
    }
  }
  UNROLL
  for (int px = 0; px < npx; px++) {
    float *o = out + ((size_t) oy * g->out_w + ox + px) * g->out_c + (size_t) p0 * NR;
    UNROLL
    for (int v = 0; v < nv; v++) {
      const int live = g->out_c - (p0 + 2 * v) * NR;
      const __m512 y = _mm512_min_ps (vmax, _mm512_max_ps (vmin, acc[px][v]));
      if (live >= 16)
        _mm512_storeu_ps (o + v * 16, y);
      else
        _mm512_mask_storeu_ps (o + v * 16, (__mmask16) ((1u << live) - 1u), y);
    }
  }
}

/* Row oy, nv vectors of channels from panel p0: 12 pixels at a time (24
 * accumulators with 2 vectors, 12 with 1), then 4, then 1; tiles with a
 * tap outside the image (the borders, a last row that reaches into the
 * padding) check each pixel's taps. */
static ALWAYS_INLINE void
conv_row (const mn_conv_geom *g, const bool rgb, const float *in, const float *packed,
          size_t panel_floats, int panels, int p0, const int nv, int oy, bool row_inside,
          int ox_lo, int ox_hi, float *out, __m512 vmin, __m512 vmax)
{
  for (int ox = 0; ox < g->out_w;) {
    const int npx = ox + PIXELS <= g->out_w ? PIXELS : ox + 4 <= g->out_w ? 4 : 1;
    const bool check = !row_inside || ox < ox_lo || ox + npx > ox_hi;
#define MN_TILE(NPX)                                                                             \
  if (npx == NPX && check)                                                                       \
    conv_tile (g, rgb, in, packed, panel_floats, panels, p0, nv, NPX, true, oy, ox, out, vmin,   \
               vmax);                                                                            \
  else if (npx == NPX)                                                                           \
    conv_tile (g, rgb, in, packed, panel_floats, panels, p0, nv, NPX, false, oy, ox, out, vmin,  \
               vmax);
    MN_TILE (PIXELS)
    MN_TILE (4)
    MN_TILE (1)
#undef MN_TILE
    ox += npx;
  }
}

void
mn_f32_conv_minmax_12x32_avx512 (const mn_conv_geom *g, const float *in, const float *packed,
                                 float *out, int oy_begin, int oy_end, float out_min,
                                 float out_max)
{
  const __m512 vmin = _mm512_set1_ps (out_min), vmax = _mm512_set1_ps (out_max);
  const size_t panel_floats = NR * ((size_t) g->k_h * g->k_w * g->in_c + 1);
  const int panels = (g->out_c + NR - 1) / NR;
  const bool rgb = is_rgb_3x3s2 (g);
  int ox_lo, ox_hi;
  mn_conv_inside_columns (g, &ox_lo, &ox_hi);

  for (int oy = oy_begin; oy < oy_end; oy++) {
    const int iy0 = oy * g->stride_h - g->pad_top;
    const bool row_inside = iy0 >= 0 && iy0 + g->k_h <= g->in_h;
    int p0 = 0;
#define MN_ROW(RGB, NV)                                                                          \
  conv_row (g, RGB, in, packed, panel_floats, panels, p0, NV, oy, row_inside, ox_lo, ox_hi, out, \
            vmin, vmax)
    for (; p0 + 2 < panels; p0 += 2 * VECS) { /* 3 or 4 panels: two vectors */
      if (rgb)
        MN_ROW (true, 2);
      else
        MN_ROW (false, 2);
    }
    if (p0 < panels && rgb)
      MN_ROW (true, 1);
    else if (p0 < panels)
      MN_ROW (false, 1);
#undef MN_ROW
  }
}
