/* gstmobilenetmeta.h: the classification result the mobilenet element
 * attaches to every buffer it handles.
 *
 * Applications: `#include <gst/mobilenet/gstmobilenetmeta.h>` and link with
 * `pkg-config --cflags --libs gstmobilenetmeta-1.0`:
 *
 *   const GstStructure *s = gst_buffer_get_mobilenet_meta (buffer);
 *   gint id; const gchar *label; gdouble score;
 *   if (s && gst_mobilenet_structure_get_top1 (s, &id, &label, &score))
 *     g_print ("%s (%d) %.0f%%\n", label, id, score * 100);
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_MOBILENET_META_H__
#define __GST_MOBILENET_META_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#ifndef GST_MOBILENET_META_API
# define GST_MOBILENET_META_API extern
#endif

/**
 * GST_MOBILENET_META_NAME:
 *
 * The name the classification meta is registered under with
 * gst_meta_register_custom().  From any language with GObject
 * introspection:
 *
 * |[<!-- language="python" -->
 * meta = buf.get_custom_meta ("MobilenetClassificationMeta")
 * s = meta.get_structure ()
 * print (s.get_int ("class-id"), s.get_string ("label"), s.get_double ("score"))
 * ok, top_k = s.get_array ("top-k")  # GValueArray of "class" structures
 * ]|
 *
 * The meta is a #GstCustomMeta without tags, so elements that keep
 * untagged metas (queue, tee, videoconvert, videoscale, ...) carry it
 * through.  Its #GstStructure, named like the meta, holds:
 *
 * - `class-id` (int): the best class, -1 when no class reached the
 *   element's threshold
 * - `label` (string): its label ("" when class-id is -1)
 * - `score` (double): its score in [0, 1] (0 when class-id is -1)
 * - `top-k` (#GstValueArray of #GstStructure named `class`, each with
 *   `class-id`, `label` and `score`): the best classes, best first
 * - `model` (string): the path of the model that produced the result
 * - `reused` (boolean): TRUE when this frame was not classified itself
 *   (inference-interval > 1) and carries the last frame's result
 * - `inference-time` (guint64): nanoseconds the classification took
 *   (preprocessing and inference)
 * - `raw-class-id` (int), `raw-label` (string), `raw-score` (double): the
 *   best class of the result itself, before smoothing and hysteresis.
 *   `class-id`, `label` and `score` are the smoothed, stable label (the
 *   element's smoothing, min-dwell and switch-margin properties); with
 *   the defaults (smoothing=none, min-dwell=1, switch-margin=0) both are
 *   the same.  `top-k` holds smoothed scores, the stable label first.
 * - `report` (string): "classes", or "groups" when the element reports
 *   class groups: then class-id is the group's index in the groups file
 *   and label its name, and scores are sums over the group's classes
 * - `result-frame` (gint64): the index (counted from the element's start)
 *   of the frame the result was computed on, -1 when there is no result
 *   yet (async mode, first frames)
 * - `age-frames` (gint64): how many frames ago that was (0: this frame),
 *   -1 when there is no result yet
 * - `age` (guint64): how much older than this frame the result is, in
 *   nanoseconds of running time (GST_CLOCK_TIME_NONE when unknown)
 *
 * `reused` is TRUE whenever `age-frames` is not 0: frames skipped by
 * inference-interval or skip-similar, and frames that passed while the
 * worker thread was busy (mode=async).
 *
 * A buffer that went through several mobilenet elements carries one meta
 * per element; gst_buffer_get_mobilenet_meta() returns the first.
 */
#define GST_MOBILENET_META_NAME "MobilenetClassificationMeta"

/* Field names of the structure, shared by the meta and the bus message. */
#define GST_MOBILENET_FIELD_CLASS_ID       "class-id"
#define GST_MOBILENET_FIELD_LABEL          "label"
#define GST_MOBILENET_FIELD_SCORE          "score"
#define GST_MOBILENET_FIELD_TOP_K          "top-k"
#define GST_MOBILENET_FIELD_MODEL          "model"
#define GST_MOBILENET_FIELD_REUSED         "reused"
#define GST_MOBILENET_FIELD_INFERENCE_TIME "inference-time"
#define GST_MOBILENET_FIELD_RAW_CLASS_ID   "raw-class-id"
#define GST_MOBILENET_FIELD_RAW_LABEL      "raw-label"
#define GST_MOBILENET_FIELD_RAW_SCORE      "raw-score"
#define GST_MOBILENET_FIELD_REPORT         "report"
#define GST_MOBILENET_FIELD_RESULT_FRAME   "result-frame"
#define GST_MOBILENET_FIELD_AGE_FRAMES     "age-frames"
#define GST_MOBILENET_FIELD_AGE            "age"

/* The element message posted when the stable label changes, and the tags
 * of the tag event pushed downstream then. */
#define GST_MOBILENET_LABEL_CHANGED_MESSAGE "mobilenet-label-changed"
#define GST_MOBILENET_TAG_CLASS_ID "mobilenet-class-id"
#define GST_MOBILENET_TAG_SCORE    "mobilenet-score"
#define GST_MOBILENET_CLASS_STRUCTURE_NAME "class"

/**
 * GstMobilenetClassScore:
 * @class_id: the class index of the model's output
 * @label: its label (UTF-8); owned by whoever filled the struct
 * @score: the score in [0, 1]
 *
 * One classified class.
 */
typedef struct {
  gint class_id;
  const gchar *label;
  gdouble score;
} GstMobilenetClassScore;

/**
 * gst_mobilenet_meta_register:
 *
 * Registers the custom meta once per process (thread-safe, idempotent).
 * The element calls it when its plugin loads; applications that attach the
 * meta themselves call it first.
 *
 * Returns: (transfer none): the #GstMetaInfo of the meta
 */
GST_MOBILENET_META_API
const GstMetaInfo *gst_mobilenet_meta_register (void);

/**
 * gst_mobilenet_meta_get_info:
 *
 * Same as gst_mobilenet_meta_register().
 *
 * Returns: (transfer none): the #GstMetaInfo of the meta
 */
GST_MOBILENET_META_API
const GstMetaInfo *gst_mobilenet_meta_get_info (void);

/**
 * gst_buffer_add_mobilenet_meta:
 * @buffer: a writable #GstBuffer
 * @classes: (array length=n_classes) (nullable): the classes, best first
 * @n_classes: how many
 * @model: (nullable): the model's path
 * @reused: whether the result was carried over from an earlier frame
 * @inference_time: nanoseconds the classification took
 *
 * Attaches a new classification meta to @buffer.
 *
 * Returns: (transfer none): the meta's structure, owned by the meta and
 * writable while @buffer is
 */
GST_MOBILENET_META_API
GstStructure *gst_buffer_add_mobilenet_meta (GstBuffer *buffer,
    const GstMobilenetClassScore *classes, guint n_classes, const gchar *model,
    gboolean reused, guint64 inference_time);

/**
 * gst_buffer_get_mobilenet_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the structure of the first
 * classification meta on @buffer, or %NULL; valid while the buffer lives
 */
GST_MOBILENET_META_API
const GstStructure *gst_buffer_get_mobilenet_meta (GstBuffer *buffer);

/**
 * gst_mobilenet_structure_set_classes:
 * @s: a writable #GstStructure
 * @classes: (array length=n_classes) (nullable): the classes, best first
 * @n_classes: how many
 *
 * Sets `class-id`, `label`, `score` (the first class, or -1, "" and 0
 * when @n_classes is 0) and `top-k` on @s.  The element fills both the meta
 * and its bus message with it.
 */
GST_MOBILENET_META_API
void gst_mobilenet_structure_set_classes (GstStructure *s,
    const GstMobilenetClassScore *classes, guint n_classes);

/**
 * gst_mobilenet_structure_get_top1:
 * @s: a meta's or a message's structure
 * @class_id: (out) (optional): the best class, -1 when none
 * @label: (out) (optional) (transfer none): its label, owned by @s
 * @score: (out) (optional): its score
 *
 * Returns: %TRUE when @s holds a class (class-id >= 0)
 */
GST_MOBILENET_META_API
gboolean gst_mobilenet_structure_get_top1 (const GstStructure *s,
    gint *class_id, const gchar **label, gdouble *score);

/**
 * gst_mobilenet_structure_get_n_classes:
 * @s: a meta's or a message's structure
 *
 * Returns: the number of entries in `top-k`
 */
GST_MOBILENET_META_API
guint gst_mobilenet_structure_get_n_classes (const GstStructure *s);

/**
 * gst_mobilenet_structure_get_class:
 * @s: a meta's or a message's structure
 * @n: an index below gst_mobilenet_structure_get_n_classes()
 * @out: (out caller-allocates): the class; its label is owned by @s
 *
 * Returns: %TRUE when entry @n exists and is well formed
 */
GST_MOBILENET_META_API
gboolean gst_mobilenet_structure_get_class (const GstStructure *s, guint n,
    GstMobilenetClassScore *out);

G_END_DECLS

#endif /* __GST_MOBILENET_META_H__ */
