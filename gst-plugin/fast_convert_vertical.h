/* fast_convert_vertical.h: the fast path's vertical pass, one source
 * compiled twice: in fast_convert.c for the baseline ISA and in
 * fast_convert_avx2.c with -mavx2, where the compiler vectorises the same
 * integer loops 16 lanes wide (the results are the same by construction).
 * Include after defining FC_INLINE. */
#ifndef __GST_MOBILENET_FAST_CONVERT_VERTICAL_H__
#define __GST_MOBILENET_FAST_CONVERT_VERTICAL_H__

#include <glib.h>

/* Rows a pass (up to 4 before: 1080p to 224 spans 5 or 6 rows, and the
 * second pass over acc cost 7-8 % of the packed formats' time). */
#define FC_VERTICAL_ROWS 6

/* acc[x0, x1) (= @bias +, or += when @add) the weighted sum of @m rows
 * from @row, @m a constant after inlining: one pass, one store per
 * sample. */
FC_INLINE void
fc_vertical_rows (const guint8 * row, gssize stride, const guint16 * w,
    const gint m, const gboolean add, const guint16 bias,
    guint16 * restrict acc, gint x0, gint x1)
{
  /* rows past m alias the first, weight 0: never read once inlined */
  const guint8 *r0 = row, *r1 = row + (m > 1 ? stride : 0);
  const guint8 *r2 = row + (m > 2 ? 2 * stride : 0);
  const guint8 *r3 = row + (m > 3 ? 3 * stride : 0);
  const guint8 *r4 = row + (m > 4 ? 4 * stride : 0);
  const guint8 *r5 = row + (m > 5 ? 5 * stride : 0);
  const guint16 w0 = w[0], w1 = m > 1 ? w[1] : 0, w2 = m > 2 ? w[2] : 0;
  const guint16 w3 = m > 3 ? w[3] : 0, w4 = m > 4 ? w[4] : 0;
  const guint16 w5 = m > 5 ? w[5] : 0;
  gint x;

  for (x = x0; x < x1; x++) {
    guint16 v = (guint16) (w0 * r0[x]);

    if (m > 1)
      v = (guint16) (v + w1 * r1[x]);
    if (m > 2)
      v = (guint16) (v + w2 * r2[x]);
    if (m > 3)
      v = (guint16) (v + w3 * r3[x]);
    if (m > 4)
      v = (guint16) (v + w4 * r4[x]);
    if (m > 5)
      v = (guint16) (v + w5 * r5[x]);
    acc[x] = (guint16) (add ? acc[x] + v : v + bias);
  }
}

#define FC_VERTICAL_CASE(m) \
  case m: \
    if (add) \
      fc_vertical_rows (row, stride, w + k, m, TRUE, 0, acc, x0, x1); \
    else \
      fc_vertical_rows (row, stride, w + k, m, FALSE, bias, acc, x0, x1); \
    break

/* acc[x0, x1) = sum over the row's span of weight * input byte,
 * FC_VERTICAL_ROWS rows a pass.  The weights sum to 256, so no sum exceeds
 * 255 * 256.  Plus @bias, modulo 2^16: 0x8000 stores the sums minus 32768
 * as int16 (the AVX2 horizontal pass's signed multiply-adds), 0 the sums. */
FC_INLINE void
fc_vertical_pass (const guint8 * base, gint stride, const guint16 * w,
    gint count, const guint16 bias, guint16 * restrict acc, gint x0, gint x1)
{
  gint k = 0;

  while (k < count) {
    const guint8 *row = base + (gssize) k * stride;
    gint m = MIN (count - k, FC_VERTICAL_ROWS);
    gboolean add = k > 0;

    switch (m) {
        FC_VERTICAL_CASE (1);
        FC_VERTICAL_CASE (2);
        FC_VERTICAL_CASE (3);
        FC_VERTICAL_CASE (4);
        FC_VERTICAL_CASE (5);
        FC_VERTICAL_CASE (6);
      default:
        g_assert_not_reached ();
    }
    k += m;
  }
}

#undef FC_VERTICAL_CASE

#endif /* __GST_MOBILENET_FAST_CONVERT_VERTICAL_H__ */
