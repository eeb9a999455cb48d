/* report.h: how the mobilenet element reports a result: the meta on the
 * buffer, the bus messages and the tag event.  GStreamer glue only; the
 * decisions are in labeler.c. */
#ifndef __GST_MOBILENET_REPORT_H__
#define __GST_MOBILENET_REPORT_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

#include "gstmobilenet.h"
#include "labeler.h"
#include "meta/gstmobilenetmeta.h"

G_BEGIN_DECLS

/* Registers the mobilenet-class-id (int) and mobilenet-score (double)
 * tags; once per process (gst_tag_register() is idempotent). */
void gst_mobilenet_report_register_tags (void);

/* A stream-scope tag list for the stable label @l: GST_TAG_KEYWORDS and
 * GST_TAG_COMMENT hold the label (matroskamux keeps the comment),
 * mobilenet-class-id and mobilenet-score the rest. */
GstTagList *gst_mobilenet_report_label_tags (const GstMobilenetLabel *l);

/* The labeler's items as the meta's classes (labels borrowed). */
void gst_mobilenet_report_classes (const GstMobilenetLabel *items, guint n,
    GstMobilenetClassScore *out);

/* Attaches the meta with every field (see gstmobilenetmeta.h); @info NULL
 * or @raw->id < 0 with no result: "no result yet". */
void gst_mobilenet_report_meta (GstBuffer *buf,
    const GstMobilenetClassScore *classes, guint n, const gchar *model,
    const GstMobilenetLabel *raw, gboolean groups,
    const GstMobilenetResultInfo *info, guint64 frame, GstClockTime running_time);

/* The per-result "mobilenet" element message. */
GstMessage *gst_mobilenet_report_result_message (GstBaseTransform *trans,
    const GstMobilenetClassScore *classes, guint n,
    const GstMobilenetLabel *raw, const GstMobilenetResultInfo *info,
    GstClockTime duration);

/* The "mobilenet-label-changed" element message. */
GstMessage *gst_mobilenet_report_change_message (GstBaseTransform *trans,
    const GstMobilenetLabelerResult *r, const GstMobilenetResultInfo *info);

G_END_DECLS

#endif /* __GST_MOBILENET_REPORT_H__ */
