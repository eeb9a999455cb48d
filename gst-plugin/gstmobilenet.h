/* gstmobilenet.h: the mobilenet element, an in-place image classifier. */
#ifndef __GST_MOBILENET_H__
#define __GST_MOBILENET_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

#include "mobilenet.h"
#include "overlay.h"
#include "preprocess.h"
#include "fast_convert.h"
#include "async_worker.h"
#include "groups.h"
#include "labeler.h"
#include "similarity.h"

G_BEGIN_DECLS

#define GST_TYPE_MOBILENET (gst_mobilenet_get_type ())
G_DECLARE_FINAL_TYPE (GstMobilenet, gst_mobilenet, GST, MOBILENET,
    GstBaseTransform)

#define GST_TYPE_MOBILENET_SCALE_MODE (gst_mobilenet_scale_mode_get_type ())
GType gst_mobilenet_scale_mode_get_type (void);

/* Where inference runs: in the streaming thread, or in a worker thread
 * that classifies the newest frame while frames pass (live sources). */
typedef enum {
  GST_MOBILENET_MODE_AUTO = 0,
  GST_MOBILENET_MODE_SYNC,
  GST_MOBILENET_MODE_ASYNC,
} GstMobilenetMode;
#define GST_TYPE_MOBILENET_MODE (gst_mobilenet_mode_get_type ())
GType gst_mobilenet_mode_get_type (void);

typedef enum {
  GST_MOBILENET_POST_MESSAGES_NONE = 0,
  GST_MOBILENET_POST_MESSAGES_ALL,
  GST_MOBILENET_POST_MESSAGES_CHANGES,
} GstMobilenetPostMessages;
#define GST_TYPE_MOBILENET_POST_MESSAGES \
  (gst_mobilenet_post_messages_get_type ())
GType gst_mobilenet_post_messages_get_type (void);

typedef enum {
  GST_MOBILENET_REPORT_CLASSES = 0,
  GST_MOBILENET_REPORT_GROUPS,
} GstMobilenetReport;
#define GST_TYPE_MOBILENET_REPORT (gst_mobilenet_report_get_type ())
GType gst_mobilenet_report_get_type (void);

#define GST_TYPE_MOBILENET_SMOOTHING (gst_mobilenet_smoothing_get_type ())
GType gst_mobilenet_smoothing_get_type (void);

/* Where a result came from. */
typedef struct {
  guint64 frame;                /* index of the classified frame since start */
  GstClockTime pts;
  GstClockTime running_time;
  guint64 inference_ns;         /* conversion + inference */
} GstMobilenetResultInfo;

/* How many recent inference times the sync latency is the maximum of. */
#define GST_MOBILENET_LATENCY_HISTORY 16

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
  GstMobilenetPostMessages post_messages;
  gboolean started;             /* between start() and stop() */
  GstMobilenetMode mode;
  GstMobilenetSmoothing smoothing;
  gdouble smoothing_factor;
  guint smoothing_window;
  guint min_dwell;
  gdouble switch_margin;
  gdouble skip_similar;
  guint max_reuse;
  gboolean push_tags;
  gchar *groups_location;
  GstMobilenetReport report;
  gchar *allow;
  gchar *deny;
  guint labeler_cookie;         /* bumped when a labeler setting changes */
  GstMobilenetMode active_mode; /* AUTO until decided (object lock) */
  GstClockTime reported_latency;        /* sync: last answered (object lock) */

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
  gchar **class_names;          /* num_classes labels or "class N" */
  GstMobilenetGroups *groups;   /* report=groups */

  /* per caps (streaming thread) */
  GstVideoInfo in_info;
  GstVideoConverter *convert;
  GstMobilenetFastConvert *fast;  /* NULL: convert with GstVideoConverter */

  /* last result (streaming thread) */
  guint64 frame_count;
  gboolean submitted;           /* a frame was classified or handed over */
  GstMobilenetLabeler *labeler;
  guint labeler_cookie_used;
  gint announced;               /* the stable label last announced, -1 */
  gchar *announced_name;
  GstMobilenetResultInfo last;  /* where the labeler's last result is from */
  guint64 last_time_ns;
  GstMobilenetOverlay *ov;
  guint8 thumb[GST_MOBILENET_THUMB_PIXELS];     /* of the last classified */
  gboolean have_thumb;
  guint reuse_run;              /* similar frames skipped in a row */
  guint64 latency_ns[GST_MOBILENET_LATENCY_HISTORY];
  guint latency_n;
  GstTagList *upstream_tags;    /* the last stream tags from upstream */
  GstTagList *label_tags;       /* the last label tags we pushed */

  /* async mode: the worker and its newest result (async_lock) */
  GstMobilenetWorker *worker;
  gpointer spare_job;           /* streaming thread */
  GMutex async_lock;
  gfloat *async_scores;         /* num_classes */
  guint64 async_seq;            /* results the worker produced */
  guint64 async_used;           /* streaming thread: seq consumed */
  GstMobilenetResultInfo async_info;
  gchar *async_error;           /* the worker failed: details */
};

GST_ELEMENT_REGISTER_DECLARE (mobilenet);

G_END_DECLS

#endif /* __GST_MOBILENET_H__ */
