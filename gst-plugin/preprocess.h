/* preprocess.h: how a frame becomes the model's RGB input.  Shared by the
 * element and its tests, so both scale a frame exactly the same way. */
#ifndef __GST_MOBILENET_PREPROCESS_H__
#define __GST_MOBILENET_PREPROCESS_H__

#include <gst/video/video.h>

G_BEGIN_DECLS

typedef enum {
  GST_MOBILENET_SCALE_MODE_STRETCH = 0,     /* the whole frame, aspect ignored */
  GST_MOBILENET_SCALE_MODE_CENTER_CROP,     /* short side scaled, centre cropped */
  GST_MOBILENET_SCALE_MODE_LETTERBOX,       /* whole frame inside black bars */
} GstMobilenetScaleMode;

/* Fills @out_info with packed RGB of @width x @height. */
void gst_mobilenet_preprocess_rgb_info (GstVideoInfo *out_info, gint width,
    gint height);

/* The rects @mode implies for a frame described by @in_info and an output
 * of @out_width x @out_height: @src is read (centre crop: the centred rect
 * of the output's aspect, its origin on the chroma grid), @dest is written
 * (letterbox: the centred sub-rect, the rest is black).  Shared by the
 * GstVideoConverter set-up below and the fast path (fast_convert.c). */
void gst_mobilenet_preprocess_rects (const GstVideoInfo *in_info,
    gint out_width, gint out_height, GstMobilenetScaleMode mode,
    GstVideoRectangle *src, GstVideoRectangle *dest);

/* A converter from frames described by @in_info to @out_info (from
 * gst_mobilenet_preprocess_rgb_info()) under @mode, honouring the input's
 * colorimetry.  NULL if GstVideoConverter cannot do it. */
GstVideoConverter *gst_mobilenet_preprocess_new (const GstVideoInfo *in_info,
    const GstVideoInfo *out_info, GstMobilenetScaleMode mode);

G_END_DECLS

#endif /* __GST_MOBILENET_PREPROCESS_H__ */
