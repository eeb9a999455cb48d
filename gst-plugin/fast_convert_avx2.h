/* fast_convert_avx2.h: the AVX2 twins of the fast path's passes
 * (fast_convert_avx2.c, built with -mavx2 only on x86-64; fast_convert.c
 * calls it when the CPU has AVX2 and MOBILENET_FORCE_C is not set). */
#ifndef __GST_MOBILENET_FAST_CONVERT_AVX2_H__
#define __GST_MOBILENET_FAST_CONVERT_AVX2_H__

#include <glib.h>

G_BEGIN_DECLS

/* @ps 1, 2 or 4.  For each output i < @n and each byte c < @ps of the pixel with
 * out[c] != NULL: out[c][i] = (128 + sum over the span of weight * acc)
 * >> 8, as the portable pass.  @wx: per output, @nvec
 * vectors of 16 weights, lane j of vector v weighting value
 * start[i] * ps + v * 16 + j (zero past the span).  @acc must be readable nvec * 16 values past each span's
 * start. */
void gst_mobilenet_fc_hpass_avx2 (const guint16 *acc, gint ps, gint n,
    const gint *start, const guint16 *wx, gint nvec, guint16 *const *out);

/* fast_convert_vertical.h's vertical pass, built with -mavx2. */
void gst_mobilenet_fc_vertical_pass_avx2 (const guint8 *base, gint stride,
    const guint16 *w, gint count, guint16 *acc, gint x0, gint x1);

/* The YUV -> RGB step of the first pixels of a row, 8 at a time (coef:
 * cy, crv, cgu, cgv, cbu, yoff as fast_convert.c); returns how many it
 * did (n rounded down to 8), the caller does the rest. */
gint gst_mobilenet_fc_yuv_to_rgb_avx2 (const guint16 *y_row,
    const guint16 *u_row, const guint16 *v_row, gint n, const gint32 coef[6],
    guint8 *out);

G_END_DECLS

#endif /* __GST_MOBILENET_FAST_CONVERT_AVX2_H__ */
