/* gstmobilenet.h: the mobilenet element, an in-place image classifier. */
#ifndef __GST_MOBILENET_H__
#define __GST_MOBILENET_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

#include "mobilenet.h"
#include "overlay.h"
#include "preprocess.h"

G_BEGIN_DECLS

#define GST_TYPE_MOBILENET (gst_mobilenet_get_type ())
G_DECLARE_FINAL_TYPE (GstMobilenet, gst_mobilenet, GST, MOBILENET,
    GstBaseTransform)

#define GST_TYPE_MOBILENET_SCALE_MODE (gst_mobilenet_scale_mode_get_type ())
GType gst_mobilenet_scale_mode_get_type (void);

/* The most classes the element reports (the top-k property's maximum). */
#define GST_MOBILENET_MAX_TOP_K 100

struct _GstMobilenet {
  GstBaseTransform parent;

  /* properties, under the object lock */
  gchar *model_location;
  gchar *labels_location;
  gint threads;
  guint top_k;
  gdouble threshold;
  guint inference_interval;
  GstMobilenetScaleMode scale_mode;
  gdouble mean;
  gdouble std;
  gboolean overlay;
  gboolean post_messages;
  gboolean started;             /* between start() and stop() */

  /* from start() to stop() */
  mn_model *model;
  gchar *model_path;            /* canonical path of the loaded model */
  mn_session *session;
  mn_model_info info;
  mn_labels *labels;            /* NULL: "class N" */
  gint label_offset;
  GstBuffer *rgb;               /* the model's input, packed RGB */
  GstVideoInfo rgb_info;
  GstMobilenetScaleMode active_scale_mode;

  /* per caps (streaming thread) */
  GstVideoInfo in_info;
  GstVideoConverter *convert;

  /* last result (streaming thread) */
  guint64 frame_count;
  gboolean have_result;
  mn_class_score last[GST_MOBILENET_MAX_TOP_K];
  gint n_last;
  guint64 last_time_ns;
  GstMobilenetOverlay *ov;
};

GST_ELEMENT_REGISTER_DECLARE (mobilenet);

G_END_DECLS

#endif /* __GST_MOBILENET_H__ */
