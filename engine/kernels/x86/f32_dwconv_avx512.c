/* f32_dwconv_avx512.c: float depthwise convolution, AVX-512 twin of
 * f32_dwconv_c.c, on the same packed layout (panels of 8 channels: 8
 * biases, then k_h * k_w rows of 8 weights).
 *
 * 3x3, stride 1 or 2, any padding, 16 channels a vector.  A whole group
 * of 16 channels loads its bias and taps once (each vector joins the rows
 * of two neighbouring panels) and goes down its rows 3 or 2 at a time,
 * where all their input rows are inside the image, in strips of a few
 * pixels side by side (dw3x3_rows_strip ()), each input vector loaded once
 * for every pixel and row it feeds.  The image's first and last rows, a
 * row left over and a last group of fewer than 16 channels (under a mask)
 * go one row at a time, as in the AVX2 twin: strips of 8 pixels inside the
 * image at stride 1, else 4, their taps loaded once a strip, taps outside
 * the image skipped.  Other kernel sizes, strides and depth multipliers
 * take the AVX2 twin.
 *
 * Every output element is bias + taps in (ky, kx) order, one FMA each,
 * skipping taps outside the image, as in the C and AVX2 twins. */
#include "kernels.h"
#include "x86/f32_avx512.h"
#include "x86/f32_dw3x3.h"
#include "x86/unroll.h"

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>

#define NR MN_F32_DW_NR   /* 8: a panel is half a vector */
#define LANES 16

#define ALWAYS_INLINE inline __attribute__ ((always_inline))
#define UNROLL MN_UNROLL_ALL (16)

void mn_f32_dwconv_minmax_16c_avx512 (const mn_conv_geom *g, const float *in, const float *packed,
                                      float *out, int oy_begin, int oy_end, float out_min,
                                      float out_max);
void mn_f32_dwconv_minmax_8c_avx2 (const mn_conv_geom *g, const float *in, const float *packed,
                                   float *out, int oy_begin, int oy_end, float out_min,
                                   float out_max);

static ALWAYS_INLINE __m512
load_x (const float *p, bool masked, __mmask16 mask)
{
  return masked ? _mm512_maskz_loadu_ps (mask, p) : _mm512_loadu_ps (p);
}

/* width output pixels side by side, 16 channels (masked: fewer).  rows[v]
 * (v < nv) are the input rows inside the image at the group's first
 * channel, kys[v] their kernel rows, ix0 the strip's first input column.
 * check: input columns outside [0, in_w) are skipped. */
static ALWAYS_INLINE void
dw3x3_strip (const int width, const int stride, const bool check, const bool all_rows, int ix0,
             int in_w, const size_t cs, const float *const *rows, const int *kys, int nv,
             const float *pa, const float *pb, float *o, size_t oc, bool masked, __mmask16 mask,
             __m512 vmin, __m512 vmax)
{
  __m512 acc[MN_DW_WIDE_STRIP];
  const __m512 bias = mn_f32_panel_pair (pa, pb, 0);

  UNROLL
  for (int p = 0; p < width; p++)
    acc[p] = bias;
  UNROLL
  for (int v = 0; v < 3; v++) {
    if (!all_rows && v >= nv)
      break;
    const float *r = rows[v];
    const size_t wr = NR + (size_t) (all_rows ? v : kys[v]) * 3 * NR;
    const __m512 w0 = mn_f32_panel_pair (pa, pb, wr), w1 = mn_f32_panel_pair (pa, pb, wr + NR),
                 w2 = mn_f32_panel_pair (pa, pb, wr + 2 * NR);
    UNROLL
    for (int j = 0; j < (width - 1) * stride + 3; j++) {
      if (check && (ix0 + j < 0 || ix0 + j >= in_w))
        continue;
      __m512 x = load_x (r + (size_t) (ix0 + j) * cs, masked, mask);
      /* one load for the 1-3 FMAs it feeds: GCC would fold it into each
       * (72 loads a wide strip instead of 30); 1 % on V2 float, 10 % on
       * the 14x14 and 7x7 layers alone */
      __asm__ ("" : "+v"(x));
      UNROLL
      for (int p = 0; p < width; p++) {
        const int kx = j - p * stride;
        if (kx >= 0 && kx < 3)
          acc[p] = _mm512_fmadd_ps (x, kx == 0 ? w0 : kx == 1 ? w1 : w2, acc[p]);
      }
    }
  }
  UNROLL
  for (int p = 0; p < width; p++) {
    const __m512 y = _mm512_min_ps (vmax, _mm512_max_ps (vmin, acc[p]));
    if (masked)
      _mm512_mask_storeu_ps (o + (size_t) p * oc, mask, y);
    else
      _mm512_storeu_ps (o + (size_t) p * oc, y);
  }
}

/* The strip of width pixels from ox for the channel group at c0 (16
 * channels, or the last, fewer, masked); r, kys, nv: the row's inputs
 * (mn_f32_dw3x3_rows ()). */
static ALWAYS_INLINE void
dw3x3_group (const mn_conv_geom *g, const int width, const int stride, const bool check,
             const float *const r[3], const int kys[3], int nv, const float *packed, float *o,
             int ox, int c0, __m512 vmin, __m512 vmax)
{
  const int c = g->out_c;
  const size_t cs = (size_t) g->in_c, panel_floats = NR * (1 + 9); /* bias, 3x3 taps */
  const int ix0 = ox * stride - g->pad_left;
  const float *rc[3] = { r[0] + c0, r[1] + c0, r[2] + c0 };
  const float *pa = packed + (size_t) (c0 / NR) * panel_floats;

  if (c - c0 < LANES) {
    const __mmask16 mask = (__mmask16) ((1u << (c - c0)) - 1u);
    dw3x3_strip (width, stride, check, false, ix0, g->in_w, cs, rc, kys, nv, pa,
                 c - c0 > NR ? pa + panel_floats : NULL, o + c0, (size_t) c, true, mask, vmin,
                 vmax);
  } else if (nv == 3)
    dw3x3_strip (width, stride, check, true, ix0, g->in_w, cs, rc, kys, nv, pa,
                 pa + panel_floats, o + c0, (size_t) c, false, 0xffff, vmin, vmax);
  else
    dw3x3_strip (width, stride, check, false, ix0, g->in_w, cs, rc, kys, nv, pa,
                 pa + panel_floats, o + c0, (size_t) c, false, 0xffff, vmin, vmax);
}

/* One output row of the channel group at c0, strip by strip
 * (MN_F32_DW3X3_STRIPS). */
static ALWAYS_INLINE void
dw3x3_row (const mn_conv_geom *g, const int stride, const float *const r[3], const int kys[3],
           int nv, const float *packed, float *orow, int c0, int ox_lo, int ox_hi, __m512 vmin,
           __m512 vmax)
{
  const size_t oc = (size_t) g->out_c;
#define MN_COLUMN(WIDTH, CHECK, OX)                                                              \
  dw3x3_group (g, WIDTH, stride, CHECK, r, kys, nv, packed, orow + (size_t) (OX) * oc, OX, c0,   \
               vmin, vmax)
  MN_F32_DW3X3_STRIPS (g->out_w, stride, ox_lo, ox_hi, MN_COLUMN);
#undef MN_COLUMN
}

/* ---- several output rows at once -------------------------------------------------------- */

/* Output pixels side by side in a strip of 3 (2) output rows, at stride 1
 * and 2.  Together the rows' accumulators are enough FMA chains to hide
 * the FMA's latency, where one row's 8 (stride 2: 4) were not, and each
 * input vector feeds up to 3 rows' FMAs.  Over V2's depthwise layers, on
 * the bands the fused blocks give them, alternating in one process: 0.73x
 * the one-row kernel's time; 2-row strips only, 0.79-0.86x; 3 rows x 3 at
 * stride 2, or 2 rows x 6 at stride 1, 0.74-0.78x (widths of 6 and more
 * spill). */
#define W3S1 4
#define W3S2 2
#define W2S1 4
#define W2S2 4
#define ROWS_MAX 3
#define WIDTH_MAX 4

/* The 16-channel group's bias and 9 tap vectors, loaded once for all its
 * rows. */
typedef struct {
  __m512 bias, w[9];
} dw3x3_taps;

/* width pixels of nrows output rows, every input row they read inside the
 * image: in[i] (i < (nrows - 1) * stride + 3) the input rows from the
 * first one's top, at the group's first channel; o: the first row's first
 * output, orow: a row's floats.  Each accumulator still gets bias + taps
 * in (ky, kx) order: input rows in order, in a row the columns in order. */
static ALWAYS_INLINE void
dw3x3_rows_strip (const int nrows, const int width, const int stride, const bool check, int ix0,
                  int in_w, const size_t cs, const float *const *in, const dw3x3_taps *t,
                  float *o, size_t orow, size_t oc, __m512 vmin, __m512 vmax)
{
  __m512 acc[ROWS_MAX][WIDTH_MAX];

  UNROLL
  for (int q = 0; q < nrows; q++)
    UNROLL
    for (int p = 0; p < width; p++)
      acc[q][p] = t->bias;
  UNROLL
  for (int i = 0; i < (nrows - 1) * stride + 3; i++) {
    const float *r = in[i];
    UNROLL
    for (int j = 0; j < (width - 1) * stride + 3; j++) {
      if (check && (ix0 + j < 0 || ix0 + j >= in_w))
        continue;
      __m512 x = _mm512_loadu_ps (r + (ptrdiff_t) (ix0 + j) * (ptrdiff_t) cs);
      __asm__ ("" : "+v"(x)); /* one load for all the FMAs it feeds */
      UNROLL
      for (int q = 0; q < nrows; q++) {
        const int ky = i - q * stride;
        if (ky < 0 || ky >= 3)
          continue;
        UNROLL
        for (int p = 0; p < width; p++) {
          const int kx = j - p * stride;
          if (kx >= 0 && kx < 3)
            acc[q][p] = _mm512_fmadd_ps (x, t->w[ky * 3 + kx], acc[q][p]);
        }
      }
    }
  }
  UNROLL
  for (int q = 0; q < nrows; q++)
    UNROLL
    for (int p = 0; p < width; p++)
      _mm512_storeu_ps (o + q * orow + (size_t) p * oc,
                        _mm512_min_ps (vmax, _mm512_max_ps (vmin, acc[q][p])));
}

/* nrows output rows of the group whose taps are t, strip by strip; in:
 * their input rows (dw3x3_rows_strip ()), o: the first row's first output
 * at the group. */
static ALWAYS_INLINE void
dw3x3_rows (const mn_conv_geom *g, const int nrows, const int stride, const float *const *in,
            const dw3x3_taps *t, float *o, int ox_lo, int ox_hi, __m512 vmin, __m512 vmax)
{
  const int strip = nrows == 3 ? (stride == 1 ? W3S1 : W3S2) : (stride == 1 ? W2S1 : W2S2);
  const size_t oc = (size_t) g->out_c, cs = (size_t) g->in_c, orow = (size_t) g->out_w * oc;

  for (int ox = 0; ox < g->out_w; ox += strip) {
    const int width = g->out_w - ox < strip ? g->out_w - ox : strip;
    const bool check = ox < ox_lo || ox + width > ox_hi;
    const int ix0 = ox * stride - g->pad_left;
    float *at = o + (size_t) ox * oc;
#define MN_STRIP(WIDTH)                                                                         \
  case WIDTH:                                                                                   \
    if (WIDTH > strip)                                                                          \
      break;                                                                                    \
    if (check)                                                                                  \
      dw3x3_rows_strip (nrows, WIDTH, stride, true, ix0, g->in_w, cs, in, t, at, orow, oc,     \
                        vmin, vmax);                                                            \
    else                                                                                        \
      dw3x3_rows_strip (nrows, WIDTH, stride, false, ix0, g->in_w, cs, in, t, at, orow, oc,    \
                        vmin, vmax);                                                            \
    break;
    switch (width) {
      MN_STRIP (1)
      MN_STRIP (2)
      MN_STRIP (3)
      MN_STRIP (4)
    }
#undef MN_STRIP
  }
}

/* The rows [oy_begin, oy_end) of the whole 16-channel group at c0: three
 * or two at a time where all their input rows are inside the image, the
 * others (the image's first and last rows, a last one) one at a time. */
static void
dw3x3_group_rows (const mn_conv_geom *g, const float *in, const float *packed, float *out,
                  int oy_begin, int oy_end, int c0, int ox_lo, int ox_hi, __m512 vmin,
                  __m512 vmax)
{
  const size_t panel_floats = NR * (1 + 9), row_floats = (size_t) g->in_w * (size_t) g->in_c;
  const size_t orow_floats = (size_t) g->out_w * (size_t) g->out_c;
  const int stride = g->stride_h;
  const float *pa = packed + (size_t) (c0 / NR) * panel_floats, *pb = pa + panel_floats;
  dw3x3_taps t;

  t.bias = mn_f32_panel_pair (pa, pb, 0);
  for (int i = 0; i < 9; i++)
    t.w[i] = mn_f32_panel_pair (pa, pb, NR + (size_t) i * NR);
  for (int oy = oy_begin; oy < oy_end;) {
    const int iy0 = oy * stride - g->pad_top, left = oy_end - oy;
    /* rows inside the image from oy on: all of them from (in_h - 3) / stride */
    const int inside = iy0 < 0 || iy0 + 3 > g->in_h ? 0 : (g->in_h - 3 - iy0) / stride + 1;
    int n = left < inside ? left : inside;
    n = n == 4 ? 2 : n > ROWS_MAX ? ROWS_MAX : n;
    if (n >= 2) {
      /* only here are all the rows inside the image: no pointer to a row
       * outside it is formed */
      float *o = out + (size_t) oy * orow_floats + c0;
      const float *rows[(ROWS_MAX - 1) * 2 + 3];
      for (int i = 0; i < (n - 1) * stride + 3; i++)
        rows[i] = in + (size_t) (iy0 + i) * row_floats + c0;
      if (n == 3 && stride == 1)
        dw3x3_rows (g, 3, 1, rows, &t, o, ox_lo, ox_hi, vmin, vmax);
      else if (n == 3)
        dw3x3_rows (g, 3, 2, rows, &t, o, ox_lo, ox_hi, vmin, vmax);
      else if (stride == 1)
        dw3x3_rows (g, 2, 1, rows, &t, o, ox_lo, ox_hi, vmin, vmax);
      else
        dw3x3_rows (g, 2, 2, rows, &t, o, ox_lo, ox_hi, vmin, vmax);
    } else {
      const float *r[3];
      int kys[3];
      const int nv = mn_f32_dw3x3_rows (g, in, oy, r, kys);
      n = 1;
      if (stride == 1)
        dw3x3_row (g, 1, r, kys, nv, packed, out + (size_t) oy * orow_floats, c0, ox_lo, ox_hi,
                   vmin, vmax);
      else
        dw3x3_row (g, 2, r, kys, nv, packed, out + (size_t) oy * orow_floats, c0, ox_lo, ox_hi,
                   vmin, vmax);
    }
    oy += n;
  }
}

/* Channel group by channel group, each over all the rows: a group's input
 * is a cache line a pixel, so its rows stay in L1 from one output row to
 * the next, where all channels of three input rows (32-100 KB at V2's
 * 14x14 and 7x7) would not, and every input vector would come from L2. */
void
mn_f32_dwconv_minmax_16c_avx512 (const mn_conv_geom *g, const float *in, const float *packed,
                                 float *out, int oy_begin, int oy_end, float out_min,
                                 float out_max)
{
  if (g->depth_multiplier > 1 || g->k_h != 3 || g->k_w != 3 || g->stride_w != g->stride_h
      || (g->stride_w != 1 && g->stride_w != 2)) {
    mn_f32_dwconv_minmax_8c_avx2 (g, in, packed, out, oy_begin, oy_end, out_min, out_max);
    return;
  }
  const __m512 vmin = _mm512_set1_ps (out_min), vmax = _mm512_set1_ps (out_max);
  int ox_lo, ox_hi;
  mn_conv_inside_columns (g, &ox_lo, &ox_hi);

  const int whole = g->out_c / LANES * LANES;
  for (int c0 = 0; c0 < whole; c0 += LANES)
    dw3x3_group_rows (g, in, packed, out, oy_begin, oy_end, c0, ox_lo, ox_hi, vmin, vmax);
#define MN_ROW(STRIDE, ROWS, KYS, NV, OROW) \
  dw3x3_row (g, STRIDE, ROWS, KYS, NV, packed, OROW, c0, ox_lo, ox_hi, vmin, vmax)
  for (int c0 = whole; c0 < g->out_c; c0 += LANES)
    MN_F32_DW3X3_EACH_ROW (g, in, out, oy_begin, oy_end, MN_ROW)
#undef MN_ROW
}
