/* f32_conv_avx2.c: general float convolution (MobileNet's first layer),
 * AVX2 + FMA twin of f32_conv_c.c, on the same packed layout (panels of 8
 * output channels: 8 biases, then k_h * k_w * in_c rows of 8 weights).
 *
 * Vectorised over output channels: up to 4 panels (32 channels) of 3 output
 * pixels at a time (4 pixels of 2 panels, 6 of 1), about 12 accumulators,
 * one broadcast per input value and pixel.  For pixels whose taps are all
 * inside the image the k_w * in_c inputs of a kernel row are one
 * contiguous run, walked without checks; border pixels go one at a time
 * and skip padding taps.  A last panel with fewer than 8 live channels is
 * stored masked.
 *
 * Every output element is bias + taps in (ky, kx, ic) order, one FMA each,
 * skipping taps outside the image, whatever the path or the row range. */
#include "kernels.h"
#include "x86/f32_avx2.h"
#include "x86/unroll.h"

#include <immintrin.h>
#include <stdbool.h>

#define NR MN_F32_CONV_NR
#define MAX_PANELS 4
#define PIXELS 6  /* most pixels of a tile */

#define UNROLL MN_UNROLL_ALL (8)

void mn_f32_conv_minmax_3x32_avx2 (const mn_conv_geom *g, const float *in, const float *packed,
                                   float *out, int oy_begin, int oy_end, float out_min,
                                   float out_max);

/* npx pixels from ox of row oy by np panels from panel index p0; check:
 * skip taps outside the image (then npx == 1). */
static ALWAYS_INLINE void
conv_tile (const mn_conv_geom *g, const float *in, const float *packed, size_t panel_floats,
           int p0, const int np, const int npx, bool check, int oy, int ox, float *out,
           __m256 vmin, __m256 vmax)
{
  const size_t cin = (size_t) g->in_c;
  const float *pan[MAX_PANELS];
  __m256 acc[PIXELS][MAX_PANELS];

  UNROLL
  for (int p = 0; p < np; p++) {
    pan[p] = packed + (size_t) (p0 + p) * panel_floats;
    acc[0][p] = _mm256_loadu_ps (pan[p]);
    UNROLL
    for (int px = 1; px < npx; px++)
      acc[px][p] = acc[0][p];
  }
  const int iy0 = oy * g->stride_h - g->pad_top;
  const int ix0 = ox * g->stride_w - g->pad_left;
  if (!check) {
    /* All taps inside: the k_w * in_c inputs of a kernel row are
     * contiguous, in the packed row order. */
    const size_t row_len = (size_t) g->k_w * cin;
    for (int ky = 0; ky < g->k_h; ky++) {
      const float *x0 = in + ((size_t) (iy0 + ky) * g->in_w + ix0) * cin;
      const size_t xs = (size_t) g->stride_w * cin;
      const size_t r0 = NR + (size_t) ky * row_len * NR;
      for (size_t j = 0; j < row_len; j++) {
        __m256 a[PIXELS];
        UNROLL
        for (int px = 0; px < npx; px++)
          a[px] = _mm256_broadcast_ss (x0 + px * xs + j);
        UNROLL
        for (int p = 0; p < np; p++) {
          const __m256 w = _mm256_loadu_ps (pan[p] + r0 + j * NR);
          UNROLL
          for (int px = 0; px < npx; px++)
            acc[px][p] = _mm256_fmadd_ps (a[px], w, acc[px][p]);
        }
      }
    }
  } else {
    for (int ky = 0; ky < g->k_h; ky++) {
      const int iy = iy0 + ky;
      if (iy < 0 || iy >= g->in_h)
        continue;
      for (int kx = 0; kx < g->k_w; kx++) {
        const int ix = ix0 + kx;
        if (ix < 0 || ix >= g->in_w)
          continue;
        const float *x0 = in + ((size_t) iy * g->in_w + ix) * cin;
        const size_t r0 = NR + ((size_t) ky * g->k_w + kx) * cin * NR;
        for (size_t ic = 0; ic < cin; ic++) {
          const __m256 a0 = _mm256_broadcast_ss (x0 + ic);
          UNROLL
          for (int p = 0; p < np; p++)
            acc[0][p] = _mm256_fmadd_ps (a0, _mm256_loadu_ps (pan[p] + r0 + ic * NR), acc[0][p]);
        }
      }
    }
  }
  UNROLL
  for (int px = 0; px < npx; px++) {
    float *o = out + ((size_t) oy * g->out_w + ox + px) * g->out_c + (size_t) p0 * NR;
    UNROLL
    for (int p = 0; p < np; p++) {
      const int live = g->out_c - (p0 + p) * NR;
      const __m256 v = _mm256_min_ps (vmax, _mm256_max_ps (vmin, acc[px][p]));
      if (live >= NR)
        _mm256_storeu_ps (o + p * NR, v);
      else
        _mm256_maskstore_ps (o + p * NR, mn_f32_lane_mask (live), v);
    }
  }
}

/* Row oy, np panels from p0: as many pixels at a time as keep about 12
 * accumulators (3 for 4 or 3 panels, 4 for 2, 6 for 1). */
static ALWAYS_INLINE void
conv_row (const mn_conv_geom *g, const float *in, const float *packed, size_t panel_floats,
          int p0, const int np, int oy, bool row_inside, int ox_lo, int ox_hi, float *out,
          __m256 vmin, __m256 vmax)
{
  const int npx = np >= 3 ? 3 : np == 2 ? 4 : 6;
  int ox = 0;

  while (ox < g->out_w) {
    if (row_inside && ox >= ox_lo && ox + npx <= ox_hi) {
      conv_tile (g, in, packed, panel_floats, p0, np, npx, false, oy, ox, out, vmin, vmax);
      ox += npx;
    } else if (row_inside && ox >= ox_lo && ox < ox_hi) {
      conv_tile (g, in, packed, panel_floats, p0, np, 1, false, oy, ox, out, vmin, vmax);
      ox += 1;
    } else {
      conv_tile (g, in, packed, panel_floats, p0, np, 1, true, oy, ox, out, vmin, vmax);
      ox += 1;
    }
  }
}

void
mn_f32_conv_minmax_3x32_avx2 (const mn_conv_geom *g, const float *in, const float *packed,
                              float *out, int oy_begin, int oy_end, float out_min, float out_max)
{
  const __m256 vmin = _mm256_set1_ps (out_min), vmax = _mm256_set1_ps (out_max);
  const size_t panel_floats = NR * ((size_t) g->k_h * g->k_w * g->in_c + 1);
  const int panels = (g->out_c + NR - 1) / NR;
  int ox_lo, ox_hi;
  mn_conv_inside_columns (g, &ox_lo, &ox_hi);

  for (int oy = oy_begin; oy < oy_end; oy++) {
    const int iy0 = oy * g->stride_h - g->pad_top;
    const bool row_inside = iy0 >= 0 && iy0 + g->k_h <= g->in_h;
    int p0 = 0;
    for (; p0 + MAX_PANELS <= panels; p0 += MAX_PANELS)
      conv_row (g, in, packed, panel_floats, p0, MAX_PANELS, oy, row_inside, ox_lo, ox_hi, out,
                vmin, vmax);
    switch (panels - p0) {
    case 3:
      conv_row (g, in, packed, panel_floats, p0, 3, oy, row_inside, ox_lo, ox_hi, out, vmin, vmax);
      break;
    case 2:
      conv_row (g, in, packed, panel_floats, p0, 2, oy, row_inside, ox_lo, ox_hi, out, vmin, vmax);
      break;
    case 1:
      conv_row (g, in, packed, panel_floats, p0, 1, oy, row_inside, ox_lo, ox_hi, out, vmin, vmax);
      break;
    default:
      break;
    }
  }
}
