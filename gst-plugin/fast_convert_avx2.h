/* fast_convert_avx2.h: the AVX2 twins of the fast path's passes
 * (fast_convert_avx2.c, built with -mavx2 only on x86-64; fast_convert.c
 * calls it when the CPU has AVX2 and MOBILENET_FORCE_C is not set). */
#ifndef __GST_MOBILENET_FAST_CONVERT_AVX2_H__
#define __GST_MOBILENET_FAST_CONVERT_AVX2_H__

#include <glib.h>

G_BEGIN_DECLS

/* @ps 1 to 4.  For each output i < @n and each byte c < @ps of the
 * pixel with out[c] != NULL: out[c][i] = (128 + sum over the span of
 * weight * acc) >> 8, as the portable pass, where @acc holds the
 * vertical sums minus 32768 (the AVX2 vertical pass).  Output i's span
 * from sample start[i] is read as @nvec vectors of 16 int16 lanes, lane
 * L of vector v holding sample v * samples_per_vector +
 * lane_sample (ps, L) of one channel (the pixel's bytes paired by
 * channel); @wx: per output, nvec vectors of 16 weights in that order
 * (zero past the span and on lanes with no sample).  @acc must be
 * readable (ntaps + samples_per_vector + 2) * ps values past each span's
 * start. */
void gst_mobilenet_fc_hpass_avx2 (const guint16 *acc, gint ps, gint n,
    const gint *start, const gint16 *wx, gint nvec, guint16 *const *out);

/* Samples of a span one vector of the horizontal pass covers. */
gint gst_mobilenet_fc_samples_per_vector (gint ps);

/* The sample (0 .. samples_per_vector - 1) that lane @lane (0..15) of a
 * vector holds, or -1 for an empty lane (RGB). */
gint gst_mobilenet_fc_lane_sample (gint ps, gint lane);

/* fast_convert_vertical.h's vertical pass, built with -mavx2, storing
 * the sums minus 32768 (bias 0x8000) for the horizontal pass above. */
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
