/* f32_dw3x3.h: what the float 3x3 depthwise twins (AVX2, AVX-512) share:
 * the input rows an output row reads, and how the row is cut into strips
 * of output pixels side by side. */
#ifndef MN_F32_DW3X3_H
#define MN_F32_DW3X3_H

#include "kernels.h"

/* Output pixels side by side: each input vector loaded once for all the
 * strip's pixels it feeds. */
#define MN_DW_STRIP 4
/* Inside the image, stride 1 rows go MN_DW_WIDE_STRIP pixels at a time: 10
 * input vectors a kernel row feed 24 FMAs instead of 6 feeding 12. */
#define MN_DW_WIDE_STRIP 8

/* The input rows that output row oy of g reads inside the image, at the
 * image's first channel, packed to the front of rows[] with their kernel
 * rows in kys[]; their count.  Unused entries point at in (rows outside the
 * image add nothing, padding being zero). */
static inline int
mn_f32_dw3x3_rows (const mn_conv_geom *g, const float *in, int oy, const float *rows[3],
                   int kys[3])
{
  const int iy0 = oy * g->stride_h - g->pad_top;
  int nv = 0;
  for (int ky = 0; ky < 3; ky++) {
    rows[ky] = in;
    kys[ky] = 0;
  }
  for (int ky = 0; ky < 3; ky++) {
    const int iy = iy0 + ky;
    if (iy >= 0 && iy < g->in_h) {
      rows[nv] = in + (size_t) iy * (size_t) g->in_w * (size_t) g->in_c;
      kys[nv++] = ky;
    }
  }
  return nv;
}

/* ROW (STRIDE, rows, kys, nv, orow) for each output row of g in
 * [oy_begin, oy_end), STRIDE g's stride (1 or 2) as a constant: rows, kys,
 * nv the row's inputs (mn_f32_dw3x3_rows ()), orow its first output. */
#define MN_F32_DW3X3_EACH_ROW(g, in, out, oy_begin, oy_end, ROW)                               \
  for (int oy_ = (oy_begin); oy_ < (oy_end); oy_++) {                                          \
    const float *rows_[3];                                                                     \
    int kys_[3];                                                                               \
    const int nv_ = mn_f32_dw3x3_rows ((g), (in), oy_, rows_, kys_);                           \
    float *orow_ = (out) + (size_t) oy_ * (g)->out_w * (g)->out_c;                             \
    if ((g)->stride_w == 1)                                                                    \
      ROW (1, rows_, kys_, nv_, orow_);                                                        \
    else                                                                                       \
      ROW (2, rows_, kys_, nv_, orow_);                                                        \
  }

/* COLUMN (WIDTH, CHECK, OX) for the strips of one output row of out_w
 * pixels, WIDTH and CHECK constants: at stride 1 the left padding column,
 * then wide strips inside the columns [ox_lo, ox_hi) whose taps are all in
 * the image; the rest in strips of MN_DW_STRIP (the last narrower), CHECK
 * set for those touching the padding. */
#define MN_F32_DW3X3_STRIPS(out_w, stride, ox_lo, ox_hi, COLUMN)                               \
  do {                                                                                         \
    int ox_ = 0;                                                                               \
    if ((stride) == 1 && (ox_lo) + MN_DW_WIDE_STRIP <= (ox_hi)) {                              \
      for (; ox_ < (ox_lo); ox_++)                                                             \
        COLUMN (1, true, ox_);                                                                 \
      for (; ox_ + MN_DW_WIDE_STRIP <= (ox_hi); ox_ += MN_DW_WIDE_STRIP)                       \
        COLUMN (MN_DW_WIDE_STRIP, false, ox_);                                                 \
    }                                                                                          \
    for (; ox_ < (out_w); ox_ += MN_DW_STRIP) {                                                \
      const int width_ = (out_w) - ox_ < MN_DW_STRIP ? (out_w) - ox_ : MN_DW_STRIP;            \
      if (width_ == MN_DW_STRIP && ox_ >= (ox_lo) && ox_ + MN_DW_STRIP <= (ox_hi))             \
        COLUMN (MN_DW_STRIP, false, ox_);                                                      \
      else if (width_ == MN_DW_STRIP)                                                          \
        COLUMN (MN_DW_STRIP, true, ox_);                                                       \
      else if (width_ == 3)                                                                    \
        COLUMN (3, true, ox_);                                                                 \
      else if (width_ == 2)                                                                    \
        COLUMN (2, true, ox_);                                                                 \
      else                                                                                     \
        COLUMN (1, true, ox_);                                                                 \
    }                                                                                          \
  } while (0)

#endif /* MN_F32_DW3X3_H */
