/* overlay.h: draws the top-k labels and confidence bars on frames. */
#ifndef __GST_MOBILENET_OVERLAY_H__
#define __GST_MOBILENET_OVERLAY_H__

#include <gst/video/video.h>
#include "meta/gstmobilenetmeta.h"

G_BEGIN_DECLS

typedef struct _GstMobilenetOverlay GstMobilenetOverlay;

GstMobilenetOverlay *gst_mobilenet_overlay_new (void);
void gst_mobilenet_overlay_free (GstMobilenetOverlay *ov);

/* Sets what to draw on frames of @frame_width x @frame_height: one line
 * "label NN%" and a bar per class.  Renders (with Pango and Cairo, into an
 * ARGB overlay rectangle) only when the text, the percentages or the frame
 * size changed; returns TRUE when it did. */
gboolean gst_mobilenet_overlay_update (GstMobilenetOverlay *ov,
    const GstMobilenetClassScore *classes, guint n_classes, gint frame_width,
    gint frame_height);

/* Blends the current label box onto @frame (mapped read-write).  Nothing
 * outside the box changes.  Returns FALSE when there is nothing to draw. */
gboolean gst_mobilenet_overlay_blend (GstMobilenetOverlay *ov,
    GstVideoFrame *frame);

/* Where the box is in frame coordinates; FALSE when there is none.  x, y,
 * width and height are even, so chroma-subsampled formats change only
 * inside it. */
gboolean gst_mobilenet_overlay_get_rect (GstMobilenetOverlay *ov, gint *x,
    gint *y, gint *width, gint *height);

G_END_DECLS

#endif /* __GST_MOBILENET_OVERLAY_H__ */
