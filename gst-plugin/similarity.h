/* similarity.h: is a frame nearly the same as an earlier one?
 *
 * A frame is reduced to a GST_MOBILENET_THUMB_SIZE^2 grey thumbnail (the
 * mean luma of a grid of samples in each cell); two thumbnails differ by
 * the mean absolute difference of their pixels, in [0, 1].  Cheap: 16x16
 * cells of at most 4x4 samples each, whatever the frame size.
 * Plain C + GLib, no GStreamer: tested by tests/elements/test_similarity.c. */
#ifndef __GST_MOBILENET_SIMILARITY_H__
#define __GST_MOBILENET_SIMILARITY_H__

#include <glib.h>

G_BEGIN_DECLS

#define GST_MOBILENET_THUMB_SIZE 16
#define GST_MOBILENET_THUMB_PIXELS \
  (GST_MOBILENET_THUMB_SIZE * GST_MOBILENET_THUMB_SIZE)

/* Where a frame's luma, or its R, G and B, are: component c of pixel
 * (x, y) is data[c][y * stride[c] + x * pstride[c]].  n_comp is 1 (grey or
 * the Y of a YUV format) or 3 (R, G, B). */
typedef struct {
  gint width, height;
  gint n_comp;
  const guint8 *data[3];
  gint stride[3];
  gint pstride[3];
} GstMobilenetImageView;

void gst_mobilenet_thumb_compute (const GstMobilenetImageView *view,
    guint8 thumb[GST_MOBILENET_THUMB_PIXELS]);

/* Mean absolute difference of two thumbnails, 0 (equal) to 1. */
gdouble gst_mobilenet_thumb_diff (const guint8 *a, const guint8 *b);

G_END_DECLS

#endif /* __GST_MOBILENET_SIMILARITY_H__ */
