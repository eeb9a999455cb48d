/* f32_dwconv_avx2.c: float depthwise convolution, AVX2 + FMA twin of
 * f32_dwconv_c.c, on the same packed layout (panels of 8 channels: 8
 * biases, then k_h * k_w rows of 8 weights).
 *
 * 3x3, stride 1 or 2, any padding: one ymm holds 8 channels.  Each output
 * row is walked in strips of 4 pixels; for a strip, every group of 8
 * channels takes its bias and weights from L1 and loads each input vector
 * once for all the strip's pixels it feeds (6 columns a row at stride 1, 9
 * at stride 2), so a vector of outputs costs 9 FMAs and about 5 loads.
 * Strips inside the image run without checks; strips touching the padding
 * (and the last, narrower strip) skip the columns outside, and rows
 * outside the image are skipped (padding adds nothing).  A last group of
 * fewer than 8 channels uses masked loads and stores.  Other kernel sizes
 * and strides take a generic path, one pixel at a time; depth multipliers
 * other than 1 (not in MobileNet) use the C twin.
 *
 * Every output element is bias + taps in (ky, kx) order, one FMA each,
 * skipping taps outside the image, whatever the path or the row range, so
 * results do not depend on the split. */
#include "kernels.h"
#include "x86/f32_avx2.h"
#include "x86/f32_dw3x3.h"
#include "x86/unroll.h"

#include <immintrin.h>
#include <stdbool.h>

#define NR MN_F32_DW_NR

#define UNROLL MN_UNROLL_ALL (9)

void mn_f32_dwconv_minmax_8c_avx2 (const mn_conv_geom *g, const float *in, const float *packed,
                                   float *out, int oy_begin, int oy_end, float out_min,
                                   float out_max);

static ALWAYS_INLINE __m256
load_x (const float *p, bool masked, __m256i mask)
{
  return masked ? _mm256_maskload_ps (p, mask) : _mm256_loadu_ps (p);
}

static ALWAYS_INLINE void
store_y (float *p, __m256 v, bool masked, __m256i mask)
{
  if (masked)
    _mm256_maskstore_ps (p, mask, v);
  else
    _mm256_storeu_ps (p, v);
}

/* WIDTH output pixels side by side, 8 channels from c0 (masked: fewer).
 * rows[v] (v < nv) are the input rows inside the image, at channel c0;
 * kys[v] their kernel rows; ix0 the strip's first input column.  Each
 * input vector is loaded once and feeds every output pixel whose window
 * covers it.  check: input columns ix0 + j outside [0, in_w) are padding
 * and skipped.  all_rows: nv == 3, known when compiling. */
static ALWAYS_INLINE void
dw3x3_strip (const int width, const int stride, const bool check, const bool all_rows,
             int ix0, int in_w, const size_t cs, const float *const *rows, const int *kys,
             int nv, const float *panel, float *o, size_t oc, bool masked, __m256i mask, __m256 vmin,
             __m256 vmax)
{
  __m256 acc[MN_DW_WIDE_STRIP];
  const __m256 bias = _mm256_loadu_ps (panel);

  UNROLL
  for (int p = 0; p < width; p++)
    acc[p] = bias;
  UNROLL
  for (int v = 0; v < 3; v++) {
    if (!all_rows && v >= nv)
      break;
    const float *r = rows[v], *wr = panel + NR + (all_rows ? v : kys[v]) * 3 * NR;
    const __m256 w0 = _mm256_loadu_ps (wr), w1 = _mm256_loadu_ps (wr + NR),
                 w2 = _mm256_loadu_ps (wr + 2 * NR);
    /* Inside the image, one pointer stepping along the row: with an
     * offset register per column (up to 9 at stride 2) the loop runs out
     * of registers.  Strips at the edges form addresses of columns inside
     * only. */
    const float *xp = check ? r : r + (size_t) ix0 * cs;
    UNROLL
    for (int j = 0; j < (width - 1) * stride + 3; j++) {
      if (check && (ix0 + j < 0 || ix0 + j >= in_w))
        continue;
      if (!check && j > 0) {
        xp += cs;
        __asm__ ("" : "+r" (xp));
      }
      const __m256 x = load_x (check ? r + (size_t) (ix0 + j) * cs : xp, masked, mask);
      UNROLL
      for (int p = 0; p < width; p++) {
        const int kx = j - p * stride;
        if (kx >= 0 && kx < 3)
          acc[p] = _mm256_fmadd_ps (x, kx == 0 ? w0 : kx == 1 ? w1 : w2, acc[p]);
      }
    }
  }
  UNROLL
  for (int p = 0; p < width; p++)
    store_y (o + (size_t) p * oc, _mm256_min_ps (vmax, _mm256_max_ps (vmin, acc[p])), masked,
             mask);
}

/* All channel groups of the strip of width pixels from ox; r, kys, nv:
 * the row's inputs (mn_f32_dw3x3_rows ()). */
static ALWAYS_INLINE void
dw3x3_column (const mn_conv_geom *g, const int width, const int stride, const bool check,
              const float *const r[3], const int kys[3], int nv, const float *packed, float *o,
              int ox, __m256i tail_mask, __m256 vmin, __m256 vmax)
{
  const int c = g->out_c, cfull = c - c % NR;
  const size_t cs = (size_t) g->in_c, panel_floats = NR * 10;
  const int ix0 = ox * stride - g->pad_left;
  const __m256i no_mask = _mm256_setzero_si256 ();

  int c0 = 0;
  if (nv == 3) {
    for (; c0 < cfull; c0 += NR) {
      const float *rc[3] = { r[0] + c0, r[1] + c0, r[2] + c0 };
      dw3x3_strip (width, stride, check, true, ix0, g->in_w, cs, rc, kys, nv,
                   packed + (size_t) (c0 / NR) * panel_floats, o + c0, (size_t) c, false,
                   no_mask, vmin, vmax);
    }
  }
  for (; c0 < cfull; c0 += NR) {
    const float *rc[3] = { r[0] + c0, r[1] + c0, r[2] + c0 };
    dw3x3_strip (width, stride, check, false, ix0, g->in_w, cs, rc, kys, nv,
                 packed + (size_t) (c0 / NR) * panel_floats, o + c0, (size_t) c, false, no_mask,
                 vmin, vmax);
  }
  if (c0 < c) {
    const float *rc[3] = { r[0] + c0, r[1] + c0, r[2] + c0 };
    dw3x3_strip (width, stride, check, false, ix0, g->in_w, cs, rc, kys, nv,
                 packed + (size_t) (c0 / NR) * panel_floats, o + c0, (size_t) c, true,
                 tail_mask, vmin, vmax);
  }
}

/* One output row, strip by strip (MN_F32_DW3X3_STRIPS). */
static ALWAYS_INLINE void
dw3x3_row (const mn_conv_geom *g, const int stride, const float *const r[3], const int kys[3],
           int nv, const float *packed, float *orow, int ox_lo, int ox_hi, __m256i tail_mask,
           __m256 vmin, __m256 vmax)
{
  const size_t oc = (size_t) g->out_c;
#define MN_COLUMN(WIDTH, CHECK, OX)                                                              \
  dw3x3_column (g, WIDTH, stride, CHECK, r, kys, nv, packed, orow + (size_t) (OX) * oc, OX,       \
                tail_mask, vmin, vmax)
  MN_F32_DW3X3_STRIPS (g->out_w, stride, ox_lo, ox_hi, MN_COLUMN);
#undef MN_COLUMN
}

/* 3x3, stride 1 or 2 (both directions the same). */
static void
dw3x3 (const mn_conv_geom *g, const float *in, const float *packed, float *out, int oy_begin,
       int oy_end, __m256 vmin, __m256 vmax)
{
  const __m256i tail_mask = mn_f32_lane_mask (g->out_c % NR);
  int ox_lo, ox_hi;
  mn_conv_inside_columns (g, &ox_lo, &ox_hi);

#define MN_ROW(STRIDE, ROWS, KYS, NV, OROW) \
  dw3x3_row (g, STRIDE, ROWS, KYS, NV, packed, OROW, ox_lo, ox_hi, tail_mask, vmin, vmax)
  MN_F32_DW3X3_EACH_ROW (g, in, out, oy_begin, oy_end, MN_ROW)
#undef MN_ROW
}

/* Any kernel size, depth multiplier 1: weights from memory. */
static void
dw_generic (const mn_conv_geom *g, const float *in, const float *packed, float *out,
            int oy_begin, int oy_end, __m256 vmin, __m256 vmax)
{
  const size_t taps = (size_t) g->k_h * g->k_w;
  const int c = g->out_c;

  for (int oy = oy_begin; oy < oy_end; oy++) {
    for (int ox = 0; ox < g->out_w; ox++) {
      const int iy0 = oy * g->stride_h - g->pad_top;
      const int ix0 = ox * g->stride_w - g->pad_left;
      float *o = out + ((size_t) oy * g->out_w + ox) * c;

      for (int c0 = 0; c0 < c; c0 += NR) {
        const float *panel = packed + (size_t) (c0 / NR) * NR * (taps + 1);
        const bool masked = c - c0 < NR;
        const __m256i mask = mn_f32_lane_mask (masked ? c - c0 : NR);
        __m256 acc = _mm256_loadu_ps (panel);

        for (int ky = 0; ky < g->k_h; ky++) {
          const int iy = iy0 + ky;
          if (iy < 0 || iy >= g->in_h)
            continue;
          for (int kx = 0; kx < g->k_w; kx++) {
            const int ix = ix0 + kx;
            if (ix < 0 || ix >= g->in_w)
              continue;
            const float *x = in + ((size_t) iy * g->in_w + ix) * g->in_c + c0;
            const __m256 xv = masked ? _mm256_maskload_ps (x, mask) : _mm256_loadu_ps (x);
            acc = _mm256_fmadd_ps (xv, _mm256_loadu_ps (panel + NR + ((size_t) ky * g->k_w + kx) * NR),
                                   acc);
          }
        }
        acc = _mm256_min_ps (vmax, _mm256_max_ps (vmin, acc));
        if (masked)
          _mm256_maskstore_ps (o + c0, mask, acc);
        else
          _mm256_storeu_ps (o + c0, acc);
      }
    }
  }
}

void
mn_f32_dwconv_minmax_8c_avx2 (const mn_conv_geom *g, const float *in, const float *packed,
                              float *out, int oy_begin, int oy_end, float out_min, float out_max)
{
  const __m256 vmin = _mm256_set1_ps (out_min), vmax = _mm256_set1_ps (out_max);

  if (g->depth_multiplier > 1) {
    mn_f32_dwconv_c (g, in, packed, out, oy_begin, oy_end, out_min, out_max);
    return;
  }
  if (g->k_h == 3 && g->k_w == 3 && g->stride_w == g->stride_h
      && (g->stride_w == 1 || g->stride_w == 2))
    dw3x3 (g, in, packed, out, oy_begin, oy_end, vmin, vmax);
  else
    dw_generic (g, in, packed, out, oy_begin, oy_end, vmin, vmax);
}
