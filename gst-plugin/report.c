/* report.c: see report.h. */
#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include "report.h"

void
gst_mobilenet_report_register_tags (void)
{
  gst_tag_register (GST_MOBILENET_TAG_CLASS_ID, GST_TAG_FLAG_META, G_TYPE_INT,
      "MobileNet class id", "class id (or group index) of the stable label "
      "the mobilenet element reports", gst_tag_merge_use_first);
  gst_tag_register (GST_MOBILENET_TAG_SCORE, GST_TAG_FLAG_META, G_TYPE_DOUBLE,
      "MobileNet score", "smoothed score (0-1) of the stable label the "
      "mobilenet element reports", gst_tag_merge_use_first);
}

GstTagList *
gst_mobilenet_report_label_tags (const GstMobilenetLabel *l)
{
  GstTagList *tags = gst_tag_list_new_empty ();

  if (l->id >= 0)
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE,
        GST_TAG_KEYWORDS, l->name, GST_TAG_COMMENT, l->name,
        GST_MOBILENET_TAG_CLASS_ID, l->id,
        GST_MOBILENET_TAG_SCORE, l->score, NULL);
  else
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE,
        GST_MOBILENET_TAG_CLASS_ID, -1, NULL);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  return tags;
}

void
gst_mobilenet_report_classes (const GstMobilenetLabel *items, guint n,
    GstMobilenetClassScore *out)
{
  for (guint i = 0; i < n; i++) {
    out[i].class_id = items[i].id;
    out[i].label = items[i].name;
    out[i].score = items[i].score;
  }
}

static void
set_raw (GstStructure *s, const GstMobilenetLabel *raw)
{
  gst_structure_set (s,
      GST_MOBILENET_FIELD_RAW_CLASS_ID, G_TYPE_INT, raw ? raw->id : -1,
      GST_MOBILENET_FIELD_RAW_LABEL, G_TYPE_STRING, raw ? raw->name : "",
      GST_MOBILENET_FIELD_RAW_SCORE, G_TYPE_DOUBLE, raw ? raw->score : 0.0,
      NULL);
}

void
gst_mobilenet_report_meta (GstBuffer *buf,
    const GstMobilenetClassScore *classes, guint n, const gchar *model,
    const GstMobilenetLabel *raw, gboolean groups,
    const GstMobilenetResultInfo *info, guint64 frame,
    GstClockTime running_time)
{
  gint64 result_frame = -1, age_frames = -1;
  GstClockTime age = GST_CLOCK_TIME_NONE;
  GstStructure *s;

  if (info) {
    result_frame = (gint64) info->frame;
    age_frames = (gint64) (frame - info->frame);
    if (GST_CLOCK_TIME_IS_VALID (running_time) &&
        GST_CLOCK_TIME_IS_VALID (info->running_time))
      age = running_time > info->running_time ?
          running_time - info->running_time : 0;
  }
  s = gst_buffer_add_mobilenet_meta (buf, classes, n, model, age_frames != 0,
      info ? info->inference_ns : 0);
  if (s == NULL)
    return;
  set_raw (s, raw);
  gst_structure_set (s,
      GST_MOBILENET_FIELD_REPORT, G_TYPE_STRING, groups ? "groups" : "classes",
      GST_MOBILENET_FIELD_RESULT_FRAME, G_TYPE_INT64, result_frame,
      GST_MOBILENET_FIELD_AGE_FRAMES, G_TYPE_INT64, age_frames,
      GST_MOBILENET_FIELD_AGE, G_TYPE_UINT64, age, NULL);
}

/* stream-time and running-time of @pts in the element's segment */
static void
segment_times (GstBaseTransform *trans, GstClockTime pts,
    GstClockTime *stream_time, GstClockTime *running_time)
{
  *stream_time = *running_time = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (pts) &&
      trans->segment.format == GST_FORMAT_TIME) {
    *stream_time = gst_segment_to_stream_time (&trans->segment,
        GST_FORMAT_TIME, pts);
    *running_time = gst_segment_to_running_time (&trans->segment,
        GST_FORMAT_TIME, pts);
  }
}

GstMessage *
gst_mobilenet_report_result_message (GstBaseTransform *trans,
    const GstMobilenetClassScore *classes, guint n,
    const GstMobilenetLabel *raw, const GstMobilenetResultInfo *info,
    GstClockTime duration)
{
  GstClockTime stream_time, running_time;
  GstStructure *s;

  segment_times (trans, info->pts, &stream_time, &running_time);
  s = gst_structure_new ("mobilenet",
      "timestamp", G_TYPE_UINT64, info->pts,
      "stream-time", G_TYPE_UINT64, stream_time,
      "running-time", G_TYPE_UINT64, running_time,
      "duration", G_TYPE_UINT64, duration, NULL);
  gst_mobilenet_structure_set_classes (s, classes, n);
  set_raw (s, raw);
  gst_structure_set (s,
      GST_MOBILENET_FIELD_INFERENCE_TIME, G_TYPE_UINT64, info->inference_ns,
      GST_MOBILENET_FIELD_RESULT_FRAME, G_TYPE_INT64, (gint64) info->frame,
      NULL);
  return gst_message_new_element (GST_OBJECT (trans), s);
}

GstMessage *
gst_mobilenet_report_change_message (GstBaseTransform *trans,
    const GstMobilenetLabelerResult *r, const GstMobilenetResultInfo *info)
{
  GstClockTime stream_time, running_time;
  GstStructure *s;

  segment_times (trans, info->pts, &stream_time, &running_time);
  s = gst_structure_new (GST_MOBILENET_LABEL_CHANGED_MESSAGE,
      "previous", G_TYPE_STRING, r->previous.name,
      "previous-class-id", G_TYPE_INT, r->previous.id,
      GST_MOBILENET_FIELD_LABEL, G_TYPE_STRING, r->reported.name,
      GST_MOBILENET_FIELD_CLASS_ID, G_TYPE_INT, r->reported.id,
      GST_MOBILENET_FIELD_SCORE, G_TYPE_DOUBLE, r->reported.score,
      "timestamp", G_TYPE_UINT64, info->pts,
      "stream-time", G_TYPE_UINT64, stream_time,
      "running-time", G_TYPE_UINT64, running_time,
      GST_MOBILENET_FIELD_RESULT_FRAME, G_TYPE_INT64, (gint64) info->frame,
      NULL);
  return gst_message_new_element (GST_OBJECT (trans), s);
}
