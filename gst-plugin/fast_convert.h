/* fast_convert.h: a fused colour-convert + downscale from the common
 * camera/decoder formats straight into the model's packed RGB input, used
 * by the element instead of GstVideoConverter where it can be.
 *
 * Filter: separable.  Along an axis that shrinks, each output sample is the
 * area average (box) of the input it covers, with fractional weights for
 * the input samples cut by its edges; along an axis that grows, bilinear
 * (centre-aligned, edges clamped).  Weights are 8-bit fixed point, summing
 * to exactly 256, so flat areas stay exact; intermediate values keep 8
 * fractional bits until the final rounding.
 *
 * YUV: the matrix and range of the caps' colorimetry (any matrix
 * gst_video_color_matrix_get_Kr_Kb() knows: BT.601, BT.709, BT.2020,
 * SMPTE 240M; full or limited range).  The planes are resampled on their
 * own grids, then converted: chroma siting is approximated as centred
 * between the luma samples (the caps' chroma-site is ignored, a quarter of
 * an output pixel at most when shrinking 1080p to 224).
 *
 * Handles progressive I420, YV12, NV12, NV21, Y42B, Y444, RGB, BGR, RGBx,
 * BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR (alpha ignored, as
 * GstVideoConverter does when writing RGB); anything else returns NULL and
 * the caller keeps GstVideoConverter. */
#ifndef __GST_MOBILENET_FAST_CONVERT_H__
#define __GST_MOBILENET_FAST_CONVERT_H__

#include <gst/video/video.h>
#include "preprocess.h"

G_BEGIN_DECLS

typedef struct _GstMobilenetFastConvert GstMobilenetFastConvert;

/* Precomputes the spans and weights for frames of @in_info into
 * @out_info (packed RGB, from gst_mobilenet_preprocess_rgb_info()) under
 * @mode, with the rects of gst_mobilenet_preprocess_rects().  NULL when the
 * fast path does not handle the format, layout or colorimetry. */
GstMobilenetFastConvert *gst_mobilenet_fast_convert_new (
    const GstVideoInfo *in_info, const GstVideoInfo *out_info,
    GstMobilenetScaleMode mode);

/* Converts @src (mapped with the set-up's in_info) into @dest (mapped
 * with its out_info).  No allocation; one caller at a time per object. */
void gst_mobilenet_fast_convert_frame (GstMobilenetFastConvert *fc,
    const GstVideoFrame *src, GstVideoFrame *dest);

void gst_mobilenet_fast_convert_free (GstMobilenetFastConvert *fc);

/* FALSE when the environment variable GST_MOBILENET_FAST_CONVERT is "0"
 * (or "no"/"false"): the element then uses GstVideoConverter only. */
gboolean gst_mobilenet_fast_convert_enabled (void);

G_END_DECLS

#endif /* __GST_MOBILENET_FAST_CONVERT_H__ */
