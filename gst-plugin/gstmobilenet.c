/* GStreamer MobileNet image classifier
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-mobilenet
 * @title: mobilenet
 *
 * Classifies video frames with a MobileNet V1/V2 TensorFlow Lite model
 * (float32, uint8 or int8 quantised) on the CPU, using the project's own
 * engine.  Frames pass through unchanged (unless #GstMobilenet:overlay is
 * set) and the result is reported three ways:
 *
 * - a `MobilenetClassificationMeta` (a #GstCustomMeta, see
 *   gstmobilenetmeta.h) on every buffer: class-id, label, score, top-k,
 *   raw-class-id, raw-label, raw-score, model, reused, inference-time,
 *   report, result-frame, age-frames and age;
 * - element messages on the bus (#GstMobilenet:post-messages): with
 *   `changes` (the default) a `mobilenet-label-changed` message each time
 *   the stable label changes (previous, previous-class-id, label, class-id,
 *   score, timestamp, stream-time, running-time, result-frame); with `all`
 *   also a `mobilenet` message for every result: timestamp, stream-time,
 *   running-time, duration, class-id, label, score, top-k, raw-class-id,
 *   raw-label, raw-score, inference-time and result-frame;
 * - a tag event downstream each time the stable label changes
 *   (#GstMobilenet:tags): stream-scope GST_TAG_KEYWORDS and GST_TAG_COMMENT
 *   hold the label, `mobilenet-class-id` (int) and `mobilenet-score`
 *   (double) the rest; merged with upstream's stream tags.  matroskamux
 *   writes the comment (the last label of the stream) and drops keywords
 *   and the mobilenet-* tags;
 * - with #GstMobilenet:overlay, the top-k labels and confidence bars drawn
 *   in the top-left corner of the frame.
 *
 * ## Stable labels
 *
 * `class-id`, `label` and `score` are the stable label: the scores of
 * successive results are smoothed (#GstMobilenet:smoothing: `ema` with
 * #GstMobilenet:smoothing-factor, or the mean of the last
 * #GstMobilenet:smoothing-window results), and the label changes only when
 * another class has led the smoothed scores for #GstMobilenet:min-dwell
 * results in a row and beats the current one by #GstMobilenet:switch-margin.
 * `raw-class-id`, `raw-label` and `raw-score` are the best class of the
 * result alone.  With the defaults (smoothing=none, min-dwell=1,
 * switch-margin=0) both are equal and nothing changes from earlier
 * versions.  `top-k` holds the smoothed scores with the stable label first.
 *
 * ## Live sources
 *
 * With #GstMobilenet:mode `async` (or `auto`, the default, when the element
 * is in a #GstPipeline and a latency query at the first buffer says
 * upstream is live; a #GstHarness is not a pipeline) a worker thread
 * classifies the newest frame while frames pass without waiting: at most
 * one frame waits for the worker, a newer one replaces it, and no frame is
 * dropped or delayed by the element.  Each buffer carries the newest
 * result and says how old it is (`result-frame`, `age-frames`, `age`).
 * In `sync` mode inference runs in the streaming thread and the element
 * adds the longest of its recent inference times to the latency; async
 * adds none.
 *
 * #GstMobilenet:skip-similar reuses the last result for frames whose
 * 16x16 grey thumbnail differs from the last classified frame's by less
 * than the threshold (at most #GstMobilenet:max-reuse frames in a row):
 * a static camera is classified only now and then.
 *
 * ## Class groups
 *
 * #GstMobilenet:groups names a file of `group-name: classes` lines (class
 * ids, ranges such as `152-269`, labels or patterns such as `*rose*`,
 * comma-separated; `#` starts a comment); `models/imagenet_groups.txt`
 * groups the ImageNet classes.  With #GstMobilenet:report `groups` the
 * scores of each group's classes are summed and the groups are reported
 * instead of classes (class-id is the group's index in the file, label its
 * name).  #GstMobilenet:allow and #GstMobilenet:deny restrict what is
 * reported (classes, or group names with report=groups).
 *
 * The model is the #GstMobilenet:model property, else the
 * `GST_MOBILENET_MODEL` environment variable, else the model installed
 * with the plugin (run `models/fetch-models.sh` to get it).  Elements
 * share loaded models within a process.  Labels are the
 * #GstMobilenet:labels file, else labels embedded in the model's metadata,
 * else `labels.txt` or `<model name>.txt` next to the model, else
 * "class N".  A file with a leading "background" line matches a model
 * without that class and vice versa.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=cat.png ! pngdec ! imagefreeze num-buffers=1 ! mobilenet model=mobilenet_v2_1.0_224_quant.tflite labels=imagenet_labels.txt ! fakesink
 * ]| Classifies a picture and prints the `mobilenet` messages.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! mobilenet overlay=true inference-interval=5 top-k=3 ! videoconvert ! autovideosink
 * ]| Shows a camera with the three best classes, classifying every fifth frame.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=slideshow.webm ! decodebin ! videoconvert ! mobilenet smoothing=ema smoothing-factor=0.3 min-dwell=5 groups=imagenet_groups.txt report=groups ! fakesink
 * ]| Prints a `mobilenet-label-changed` message each time the stable group label changes.
 */

#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include "gstmobilenet.h"
#include "model_cache.h"
#include "report.h"
#include "meta/gstmobilenetmeta.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_mobilenet_debug);
#define GST_CAT_DEFAULT gst_mobilenet_debug

#ifndef MOBILENET_MODEL_DIR
# define MOBILENET_MODEL_DIR "/usr/share/gst-mobilenet/models"
#endif
#ifndef MOBILENET_DEFAULT_MODEL
# define MOBILENET_DEFAULT_MODEL "mobilenet_v2_1.0_224_quant.tflite"
#endif

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_LABELS,
  PROP_THREADS,
  PROP_TOP_K,
  PROP_THRESHOLD,
  PROP_INFERENCE_INTERVAL,
  PROP_SCALE_MODE,
  PROP_MEAN,
  PROP_STD,
  PROP_OVERLAY,
  PROP_POST_MESSAGES,
  PROP_MODE,
  PROP_SMOOTHING,
  PROP_SMOOTHING_FACTOR,
  PROP_SMOOTHING_WINDOW,
  PROP_MIN_DWELL,
  PROP_SWITCH_MARGIN,
  PROP_SKIP_SIMILAR,
  PROP_MAX_REUSE,
  PROP_TAGS,
  PROP_GROUPS,
  PROP_REPORT,
  PROP_ALLOW,
  PROP_DENY,
};

#define DEFAULT_PROP_MODEL              NULL
#define DEFAULT_PROP_LABELS             NULL
#define DEFAULT_PROP_THREADS            0
#define DEFAULT_PROP_TOP_K              5
#define DEFAULT_PROP_THRESHOLD          0.0
#define DEFAULT_PROP_INFERENCE_INTERVAL 1
#define DEFAULT_PROP_SCALE_MODE         GST_MOBILENET_SCALE_MODE_STRETCH
#define DEFAULT_PROP_MEAN               NAN
#define DEFAULT_PROP_STD                NAN
#define DEFAULT_PROP_OVERLAY            FALSE
#define DEFAULT_PROP_POST_MESSAGES      GST_MOBILENET_POST_MESSAGES_CHANGES
#define DEFAULT_PROP_MODE               GST_MOBILENET_MODE_AUTO
#define DEFAULT_PROP_SMOOTHING          GST_MOBILENET_SMOOTHING_NONE
#define DEFAULT_PROP_SMOOTHING_FACTOR   0.3
#define DEFAULT_PROP_SMOOTHING_WINDOW   5
#define DEFAULT_PROP_MIN_DWELL          1
#define DEFAULT_PROP_SWITCH_MARGIN      0.0
#define DEFAULT_PROP_SKIP_SIMILAR       0.0
#define DEFAULT_PROP_MAX_REUSE          30
#define DEFAULT_PROP_TAGS               TRUE
#define DEFAULT_PROP_GROUPS             NULL
#define DEFAULT_PROP_REPORT             GST_MOBILENET_REPORT_CLASSES
#define DEFAULT_PROP_ALLOW              NULL
#define DEFAULT_PROP_DENY               NULL

#define MOBILENET_FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, " \
    "ARGB, ABGR, I420, YV12, NV12, NV21, YUY2, UYVY, GRAY8 }"
#define MOBILENET_CAPS "video/x-raw, format = (string) " MOBILENET_FORMATS \
    ", width = (int) [ 1, 7680 ], height = (int) [ 1, 4320 ], " \
    "framerate = (fraction) [ 0/1, MAX ]"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (MOBILENET_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (MOBILENET_CAPS));

#define gst_mobilenet_parent_class parent_class
G_DEFINE_TYPE (GstMobilenet, gst_mobilenet, GST_TYPE_BASE_TRANSFORM);

static gboolean mobilenet_element_init (GstPlugin * plugin);
GST_ELEMENT_REGISTER_DEFINE_CUSTOM (mobilenet, mobilenet_element_init);

static gboolean gst_mobilenet_build_labeler (GstMobilenet * self,
    GError ** error);
static void gst_mobilenet_job_free (gpointer data);

GType
gst_mobilenet_scale_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MOBILENET_SCALE_MODE_STRETCH,
        "Scale the whole frame to the model's input, ignoring its aspect ratio",
        "stretch"},
    {GST_MOBILENET_SCALE_MODE_CENTER_CROP,
        "Scale the short side to the model's input and crop the centre",
        "center-crop"},
    {GST_MOBILENET_SCALE_MODE_LETTERBOX,
        "Scale the whole frame keeping its aspect ratio, with black bars",
        "letterbox"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMobilenetScaleMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_mobilenet_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MOBILENET_MODE_AUTO,
        "async when upstream is live, else sync", "auto"},
    {GST_MOBILENET_MODE_SYNC,
        "Classify in the streaming thread (frames wait for inference)",
        "sync"},
    {GST_MOBILENET_MODE_ASYNC,
        "Classify the newest frame in a worker thread; frames never wait",
        "async"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMobilenetMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_mobilenet_post_messages_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MOBILENET_POST_MESSAGES_NONE, "Post no messages", "none"},
    {GST_MOBILENET_POST_MESSAGES_ALL,
          "A \"mobilenet\" message for every result, and label changes",
        "all"},
    {GST_MOBILENET_POST_MESSAGES_CHANGES,
          "A \"mobilenet-label-changed\" message when the stable label "
          "changes", "changes"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMobilenetPostMessages", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_mobilenet_report_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MOBILENET_REPORT_CLASSES, "Report the model's classes", "classes"},
    {GST_MOBILENET_REPORT_GROUPS,
        "Report the groups of the groups file (summed scores)", "groups"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMobilenetReport", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_mobilenet_smoothing_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MOBILENET_SMOOTHING_NONE, "Each result as it is", "none"},
    {GST_MOBILENET_SMOOTHING_EMA,
        "Exponential moving average of the scores (smoothing-factor)", "ema"},
    {GST_MOBILENET_SMOOTHING_WINDOW,
        "Mean of the scores of the last smoothing-window results", "window"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMobilenetSmoothing", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------------ */
/* properties */

static void
gst_mobilenet_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMobilenet *self = GST_MOBILENET (object);

  GST_OBJECT_LOCK (self);
  /* GstObject does not enforce GST_PARAM_MUTABLE_*: refuse changes that
   * would only take effect at the next start(). */
  if (!(pspec->flags & GST_PARAM_MUTABLE_PLAYING) &&
      (self->started || GST_STATE (self) > GST_STATE_READY))
    goto not_mutable;

  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_location);
      self->model_location = g_value_dup_string (value);
      break;
    case PROP_LABELS:
      g_free (self->labels_location);
      self->labels_location = g_value_dup_string (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    case PROP_TOP_K:
      self->top_k = g_value_get_uint (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_double (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->inference_interval = g_value_get_uint (value);
      break;
    case PROP_SCALE_MODE:
      self->scale_mode = g_value_get_enum (value);
      break;
    case PROP_MEAN:
      self->mean = g_value_get_double (value);
      break;
    case PROP_STD:
      self->std = g_value_get_double (value);
      break;
    case PROP_OVERLAY:
      self->overlay = g_value_get_boolean (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_enum (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_SMOOTHING:
      self->smoothing = g_value_get_enum (value);
      self->labeler_cookie++;
      break;
    case PROP_SMOOTHING_FACTOR:
      self->smoothing_factor = g_value_get_double (value);
      self->labeler_cookie++;
      break;
    case PROP_SMOOTHING_WINDOW:
      self->smoothing_window = g_value_get_uint (value);
      self->labeler_cookie++;
      break;
    case PROP_MIN_DWELL:
      self->min_dwell = g_value_get_uint (value);
      self->labeler_cookie++;
      break;
    case PROP_SWITCH_MARGIN:
      self->switch_margin = g_value_get_double (value);
      self->labeler_cookie++;
      break;
    case PROP_SKIP_SIMILAR:
      self->skip_similar = g_value_get_double (value);
      break;
    case PROP_MAX_REUSE:
      self->max_reuse = g_value_get_uint (value);
      break;
    case PROP_TAGS:
      self->push_tags = g_value_get_boolean (value);
      break;
    case PROP_GROUPS:
      g_free (self->groups_location);
      self->groups_location = g_value_dup_string (value);
      break;
    case PROP_REPORT:
      self->report = g_value_get_enum (value);
      break;
    case PROP_ALLOW:
      g_free (self->allow);
      self->allow = g_value_dup_string (value);
      self->labeler_cookie++;
      break;
    case PROP_DENY:
      g_free (self->deny);
      self->deny = g_value_dup_string (value);
      self->labeler_cookie++;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  return;

  /* ERRORS */
not_mutable:
  {
    GstState state = GST_STATE (self);

    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "refusing to change \"%s\" in state %s",
        pspec->name, gst_element_state_get_name (state));
    g_warning ("%s: the \"%s\" property can only be changed in the NULL or "
        "READY state; set the element to READY first",
        GST_OBJECT_NAME (self), pspec->name);
    return;
  }
}

static void
gst_mobilenet_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstMobilenet *self = GST_MOBILENET (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_location);
      break;
    case PROP_LABELS:
      g_value_set_string (value, self->labels_location);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    case PROP_TOP_K:
      g_value_set_uint (value, self->top_k);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->inference_interval);
      break;
    case PROP_SCALE_MODE:
      g_value_set_enum (value, self->scale_mode);
      break;
    case PROP_MEAN:
      g_value_set_double (value, self->mean);
      break;
    case PROP_STD:
      g_value_set_double (value, self->std);
      break;
    case PROP_OVERLAY:
      g_value_set_boolean (value, self->overlay);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_enum (value, self->post_messages);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_SMOOTHING:
      g_value_set_enum (value, self->smoothing);
      break;
    case PROP_SMOOTHING_FACTOR:
      g_value_set_double (value, self->smoothing_factor);
      break;
    case PROP_SMOOTHING_WINDOW:
      g_value_set_uint (value, self->smoothing_window);
      break;
    case PROP_MIN_DWELL:
      g_value_set_uint (value, self->min_dwell);
      break;
    case PROP_SWITCH_MARGIN:
      g_value_set_double (value, self->switch_margin);
      break;
    case PROP_SKIP_SIMILAR:
      g_value_set_double (value, self->skip_similar);
      break;
    case PROP_MAX_REUSE:
      g_value_set_uint (value, self->max_reuse);
      break;
    case PROP_TAGS:
      g_value_set_boolean (value, self->push_tags);
      break;
    case PROP_GROUPS:
      g_value_set_string (value, self->groups_location);
      break;
    case PROP_REPORT:
      g_value_set_enum (value, self->report);
      break;
    case PROP_ALLOW:
      g_value_set_string (value, self->allow);
      break;
    case PROP_DENY:
      g_value_set_string (value, self->deny);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------------------ */
/* start / stop: model, session, labels */

/* The model to load: property, environment, installed default. */
static gchar *
gst_mobilenet_resolve_model (const gchar * location)
{
  const gchar *env = g_getenv ("GST_MOBILENET_MODEL");
  gchar *installed;

  if (location && *location)
    return g_strdup (location);
  if (env && *env)
    return g_strdup (env);
  installed = g_build_filename (MOBILENET_MODEL_DIR, MOBILENET_DEFAULT_MODEL,
      NULL);
  if (g_file_test (installed, G_FILE_TEST_IS_REGULAR))
    return installed;
  g_free (installed);
  return NULL;
}

/* Labels found next to the model: labels.txt, then <model name>.txt. */
static gchar *
gst_mobilenet_find_labels_beside (const gchar * model_path)
{
  gchar *dir = g_path_get_dirname (model_path);
  gchar *base = g_path_get_basename (model_path);
  gchar *dot = strrchr (base, '.');
  gchar *candidate;

  if (dot && dot != base)
    *dot = '\0';
  candidate = g_build_filename (dir, "labels.txt", NULL);
  if (!g_file_test (candidate, G_FILE_TEST_IS_REGULAR)) {
    g_free (candidate);
    candidate = g_strdup_printf ("%s" G_DIR_SEPARATOR_S "%s.txt", dir, base);
    if (!g_file_test (candidate, G_FILE_TEST_IS_REGULAR)) {
      g_free (candidate);
      candidate = NULL;
    }
  }
  g_free (dir);
  g_free (base);
  return candidate;
}

/* Loads and matches the labels; posts an error and returns FALSE when a
 * file cannot be read or does not fit the model.  Label files are looked
 * for beside @model_path as the user named it (not the canonical path, so a
 * symlinked model finds the labels beside the link). */
static gboolean
gst_mobilenet_load_labels (GstMobilenet * self, const gchar * location,
    const gchar * model_path)
{
  gchar *path = NULL, *message = NULL, *source;
  mn_labels *labels = NULL;
  mn_status st;
  char match_msg[512] = "";

  if (location && *location) {
    path = g_strdup (location);
    st = mn_labels_load (path, &labels);
    if (st != MN_OK)
      goto read_failed;
  } else if (mn_model_get_labels (self->model, &labels) == MN_OK) {
    GST_INFO_OBJECT (self, "using the labels embedded in the model");
  } else if ((path = gst_mobilenet_find_labels_beside (model_path))) {
    st = mn_labels_load (path, &labels);
    if (st != MN_OK)
      goto read_failed;
  } else {
    GST_INFO_OBJECT (self, "no labels for %s: reporting \"class N\"",
        model_path);
    g_free (gst_mobilenet_engine_take_last_error ());
    return TRUE;
  }

  st = mn_labels_match (labels, self->info.num_classes, &self->label_offset,
      match_msg, sizeof (match_msg));
  if (st != MN_OK)
    goto mismatch;

  GST_INFO_OBJECT (self, "%d labels from %s, offset %d",
      mn_labels_count (labels), path ? path : "the model",
      self->label_offset);
  self->labels = labels;
  g_free (path);
  return TRUE;

  /* ERRORS */
read_failed:
  {
    message = gst_mobilenet_engine_take_last_error ();
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not read labels \"%s\".", path),
        ("%s", message ? message : mn_status_str (st)));
    g_free (message);
    g_free (path);
    return FALSE;
  }
mismatch:
  {
    source = path ? g_strdup_printf ("\"%s\"", path) :
        g_strdup ("embedded in the model");
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The labels %s do not match model \"%s\": %d labels for %d classes.",
            source, self->model_path, mn_labels_count (labels),
            self->info.num_classes), ("%s", match_msg));
    g_free (source);
    mn_labels_free (&labels);
    g_free (path);
    return FALSE;
  }
}

/* Class names, the groups file, the labeler; FALSE after posting an
 * error. */
static gboolean
gst_mobilenet_setup_reporting (GstMobilenet * self,
    const gchar * groups_location, GstMobilenetReport report)
{
  gint n = self->info.num_classes;
  GError *err = NULL;

  self->class_names = g_new0 (gchar *, n + 1);
  for (gint i = 0; i < n; i++) {
    const gchar *label = self->labels ?
        mn_labels_for_class (self->labels, self->label_offset, i) : NULL;

    self->class_names[i] = label ? g_strdup (label) :
        g_strdup_printf ("class %d", i);
  }

  if (report == GST_MOBILENET_REPORT_GROUPS) {
    if (groups_location == NULL || *groups_location == '\0')
      goto no_groups;
    self->groups = gst_mobilenet_groups_load (groups_location, n,
        (const gchar * const *) self->class_names, &err);
    if (self->groups == NULL)
      goto groups_failed;
    if (gst_mobilenet_groups_unmatched (self->groups))
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("Groups file \"%s\": some labels match no class.",
              groups_location), ("%s",
              gst_mobilenet_groups_unmatched (self->groups)));
    GST_INFO_OBJECT (self, "%u groups from %s",
        gst_mobilenet_groups_count (self->groups), groups_location);
  }

  self->async_scores = g_new0 (gfloat, n);
  if (!gst_mobilenet_build_labeler (self, &err))
    goto bad_selection;
  return TRUE;

  /* ERRORS */
no_groups:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("report=groups needs a groups file: set the \"groups\" property."),
        (NULL));
    return FALSE;
  }
groups_failed:
  {
    if (err->domain == G_FILE_ERROR)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read groups \"%s\".", groups_location),
          ("%s", err->message));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Invalid groups file \"%s\".", groups_location),
          ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
bad_selection:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid allow or deny setting."), ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
}

static void
gst_mobilenet_release (GstMobilenet * self)
{
  /* the worker uses the session: stop it first */
  g_clear_pointer (&self->worker, gst_mobilenet_worker_free);
  g_clear_pointer (&self->spare_job, gst_mobilenet_job_free);
  g_clear_pointer (&self->labeler, gst_mobilenet_labeler_free);
  g_clear_pointer (&self->groups, gst_mobilenet_groups_free);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_clear_pointer (&self->async_scores, g_free);
  g_clear_pointer (&self->async_error, g_free);
  g_clear_pointer (&self->announced_name, g_free);
  g_clear_pointer (&self->upstream_tags, gst_tag_list_unref);
  g_clear_pointer (&self->label_tags, gst_tag_list_unref);
  mn_session_destroy (&self->session);
  gst_mobilenet_model_cache_release (&self->model);
  mn_labels_free (&self->labels);
  g_clear_pointer (&self->model_path, g_free);
  gst_clear_buffer (&self->rgb);
}

static gboolean
gst_mobilenet_start (GstBaseTransform * trans)
{
  GstMobilenet *self = GST_MOBILENET (trans);
  gchar *location, *labels_location, *groups_location, *path, *message = NULL;
  GstMobilenetReport report;
  mn_config cfg;
  mn_status st;
  guint users;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->model_location);
  labels_location = g_strdup (self->labels_location);
  mn_config_default (&cfg);
  cfg.threads = self->threads;
  cfg.input_mean = (float) self->mean;
  cfg.input_std = (float) self->std;
  self->active_scale_mode = self->scale_mode;
  groups_location = g_strdup (self->groups_location);
  report = self->report;
  self->active_mode = self->mode;       /* AUTO: decided later */
  self->reported_latency = 0;
  self->latency_n = 0;
  GST_OBJECT_UNLOCK (self);

  path = gst_mobilenet_resolve_model (location);
  if (path == NULL)
    goto no_model;

  self->model = gst_mobilenet_model_cache_acquire (path, &self->model_path,
      &users, &st, &message);
  if (self->model == NULL)
    goto load_failed;
  GST_INFO_OBJECT (self, "using model %s (%u users)", self->model_path, users);

  mn_model_get_info (self->model, &self->info);
  if (self->info.input_channels != 3 || self->info.input_width < 1 ||
      self->info.input_height < 1 || self->info.num_classes < 1)
    goto not_a_classifier;

  cfg.log = gst_mobilenet_engine_log;
  cfg.log_user_data = self;
  st = mn_session_create (self->model, &cfg, &self->session);
  if (st != MN_OK)
    goto session_failed;

  if (!gst_mobilenet_load_labels (self, labels_location, path))
    goto error;
  if (!gst_mobilenet_setup_reporting (self, groups_location, report))
    goto error;

  gst_mobilenet_preprocess_rgb_info (&self->rgb_info, self->info.input_width,
      self->info.input_height);
  self->rgb = gst_buffer_new_allocate (NULL, self->rgb_info.size, NULL);
  self->frame_count = 0;
  self->submitted = FALSE;
  self->have_thumb = FALSE;
  self->reuse_run = 0;
  self->announced = -1;
  self->async_seq = self->async_used = 0;

  GST_OBJECT_LOCK (self);
  self->started = TRUE;
  GST_OBJECT_UNLOCK (self);

  g_free (location);
  g_free (labels_location);
  g_free (groups_location);
  g_free (path);
  return TRUE;

  /* ERRORS */
no_model:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No MobileNet model: set the \"model\" property or the "
            "GST_MOBILENET_MODEL environment variable, or install one with "
            "models/fetch-models.sh."),
        ("no model property, no GST_MOBILENET_MODEL and no %s",
            MOBILENET_MODEL_DIR G_DIR_SEPARATOR_S MOBILENET_DEFAULT_MODEL));
    goto error;
  }
load_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not load model \"%s\".", path), ("%s", message));
    g_free (message);
    goto error;
  }
not_a_classifier:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not load model \"%s\".", path),
        ("the input is %dx%dx%d and the output has %d values: not an "
            "RGB image classifier", self->info.input_width,
            self->info.input_height, self->info.input_channels,
            self->info.num_classes));
    goto error;
  }
session_failed:
  {
    message = gst_mobilenet_engine_take_last_error ();
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not load model \"%s\".", path),
        ("%s", message ? message : mn_status_str (st)));
    g_free (message);
    goto error;
  }
error:
  {
    gst_mobilenet_release (self);
    g_free (location);
    g_free (labels_location);
    g_free (groups_location);
    g_free (path);
    return FALSE;
  }
}

static gboolean
gst_mobilenet_stop (GstBaseTransform * trans)
{
  GstMobilenet *self = GST_MOBILENET (trans);

  GST_OBJECT_LOCK (self);
  self->started = FALSE;
  GST_OBJECT_UNLOCK (self);

  gst_mobilenet_release (self);
  g_clear_pointer (&self->convert, gst_video_converter_free);
  g_clear_pointer (&self->fast, gst_mobilenet_fast_convert_free);
  g_clear_pointer (&self->ov, gst_mobilenet_overlay_free);
  self->submitted = FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* caps */

static gboolean
gst_mobilenet_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstMobilenet *self = GST_MOBILENET (trans);
  GstVideoInfo info;
  GstVideoConverter *convert;

  if (!gst_video_info_from_caps (&info, incaps))
    goto invalid_caps;
  /* an interlaced frame of one line has fields of none, which
   * GstVideoConverter cannot scale (it asserts) */
  if (GST_VIDEO_INFO_IS_INTERLACED (&info) && GST_VIDEO_INFO_HEIGHT (&info) < 2)
    goto invalid_caps;
  if (self->rgb == NULL)
    goto not_started;

  convert = gst_mobilenet_preprocess_new (&info, &self->rgb_info,
      self->active_scale_mode);
  if (convert == NULL)
    goto no_converter;

  /* a new size or format: the old converter goes, the last result stays */
  g_clear_pointer (&self->convert, gst_video_converter_free);
  g_clear_pointer (&self->fast, gst_mobilenet_fast_convert_free);
  self->convert = convert;
  /* the fused fast path where it handles the caps (fast_convert.h),
   * GstVideoConverter for the rest or when GST_MOBILENET_FAST_CONVERT=0 */
  if (gst_mobilenet_fast_convert_enabled ())
    self->fast = gst_mobilenet_fast_convert_new (&info, &self->rgb_info,
        self->active_scale_mode);
  self->in_info = info;
  GST_DEBUG_OBJECT (self, "converting %s %dx%d to RGB %dx%d with %s",
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)),
      GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info),
      GST_VIDEO_INFO_WIDTH (&self->rgb_info),
      GST_VIDEO_INFO_HEIGHT (&self->rgb_info),
      self->fast ? "the fast path" : "GstVideoConverter");
  return TRUE;

  /* ERRORS */
invalid_caps:
  {
    GST_ERROR_OBJECT (self, "invalid caps %" GST_PTR_FORMAT, incaps);
    return FALSE;
  }
not_started:
  {
    GST_ERROR_OBJECT (self, "caps before the model was loaded");
    return FALSE;
  }
no_converter:
  {
    GST_ERROR_OBJECT (self, "no converter from %" GST_PTR_FORMAT, incaps);
    return FALSE;
  }
}

/* ------------------------------------------------------------------------ */
/* streaming */

/* sync or async, deciding "auto" once per start(): async when a latency
 * query said upstream is live before the first buffer, else sync. */
static GstMobilenetMode
gst_mobilenet_decide_mode (GstMobilenet * self, gboolean live_known,
    gboolean live)
{
  GstMobilenetMode mode;

  GST_OBJECT_LOCK (self);
  if (self->active_mode == GST_MOBILENET_MODE_AUTO) {
    self->active_mode = live_known && live ? GST_MOBILENET_MODE_ASYNC :
        GST_MOBILENET_MODE_SYNC;
    GST_INFO_OBJECT (self, "mode=auto: %s (%s)",
        self->active_mode == GST_MOBILENET_MODE_ASYNC ? "async" : "sync",
        live_known ? (live ? "live upstream" : "upstream not live") :
        "not in a pipeline");
  }
  mode = self->active_mode;
  GST_OBJECT_UNLOCK (self);
  return mode;
}

/* mode=auto at the first buffer: async when the element is in a pipeline
 * and upstream answers a latency query with live=TRUE.  Outside a pipeline
 * (GstHarness, a bare element) there is no live pipeline: sync. */
static GstMobilenetMode
gst_mobilenet_first_buffer_mode (GstMobilenet * self)
{
  GstObject *top, *parent;
  gboolean in_pipeline, live = FALSE, known = FALSE;
  GstQuery *query;

  GST_OBJECT_LOCK (self);
  if (self->active_mode != GST_MOBILENET_MODE_AUTO) {
    GstMobilenetMode mode = self->active_mode;

    GST_OBJECT_UNLOCK (self);
    return mode;
  }
  GST_OBJECT_UNLOCK (self);

  top = gst_object_ref (GST_OBJECT (self));
  while ((parent = gst_object_get_parent (top))) {
    gst_object_unref (top);
    top = parent;
  }
  in_pipeline = GST_IS_PIPELINE (top);
  gst_object_unref (top);

  if (in_pipeline) {
    query = gst_query_new_latency ();
    if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), query)) {
      gst_query_parse_latency (query, &live, NULL, NULL);
      known = TRUE;
    }
    gst_query_unref (query);
  }
  return gst_mobilenet_decide_mode (self, known, live);
}

/* (Re)builds the labeler from the properties; FALSE with @error when
 * allow/deny is malformed. */
static gboolean
gst_mobilenet_build_labeler (GstMobilenet * self, GError ** error)
{
  GstMobilenetLabelerSettings s;
  GstMobilenetLabeler *l;
  gchar *allow, *deny;
  guint cookie;

  GST_OBJECT_LOCK (self);
  s.smoothing = self->smoothing;
  s.smoothing_factor = self->smoothing_factor;
  s.smoothing_window = self->smoothing_window;
  s.min_dwell = self->min_dwell;
  s.switch_margin = self->switch_margin;
  allow = g_strdup (self->allow);
  deny = g_strdup (self->deny);
  cookie = self->labeler_cookie;
  GST_OBJECT_UNLOCK (self);

  s.groups = self->groups;      /* set only with report=groups */
  s.allow = allow;
  s.deny = deny;
  l = gst_mobilenet_labeler_new (self->info.num_classes,
      (const gchar * const *) self->class_names, &s, error);
  self->labeler_cookie_used = cookie;
  if (l && gst_mobilenet_labeler_unmatched (l))
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("allow/deny: \"%s\" matches no %s.",
            gst_mobilenet_labeler_unmatched (l),
            self->groups ? "group" : "label"), (NULL));
  g_free (allow);
  g_free (deny);
  if (l == NULL)
    return FALSE;
  gst_mobilenet_labeler_free (self->labeler);
  self->labeler = l;
  return TRUE;
}

/* Converts @frame into @rgb (the model's input). */
static gboolean
gst_mobilenet_convert (GstMobilenet * self, GstVideoFrame * frame,
    GstBuffer * rgb)
{
  GstVideoFrame out, woven;

  if (!gst_video_frame_map (&out, &self->rgb_info, rgb, GST_MAP_WRITE))
    return FALSE;
  /* The converters are progressive (preprocess.c): an interlaced frame is
   * read as the whole woven picture. */
  woven = *frame;
  woven.info.interlace_mode = GST_VIDEO_INTERLACE_MODE_PROGRESSIVE;
  woven.flags &= ~(GST_VIDEO_FRAME_FLAG_INTERLACED | GST_VIDEO_FRAME_FLAG_TFF |
      GST_VIDEO_FRAME_FLAG_RFF | GST_VIDEO_FRAME_FLAG_ONEFIELD);
  frame = &woven;
  if (self->fast) {
    gst_mobilenet_fast_convert_frame (self->fast, frame, &out);
    gst_video_frame_unmap (&out);
    return TRUE;
  }
  /* GStreamer 1.22's converter keeps lines cached between frames when the
   * input is only a line or two high (fields included), and then converts
   * the first frame forever: tiny frames get a fresh converter each time. */
  if (G_UNLIKELY (GST_VIDEO_INFO_HEIGHT (&self->in_info) <= 4)) {
    GstVideoConverter *fresh = gst_mobilenet_preprocess_new (&self->in_info,
        &self->rgb_info, self->active_scale_mode);

    gst_video_converter_frame (fresh ? fresh : self->convert, frame, &out);
    if (fresh)
      gst_video_converter_free (fresh);
  } else {
    gst_video_converter_frame (self->convert, frame, &out);
  }
  gst_video_frame_unmap (&out);
  return TRUE;
}

/* Runs the model on @rgb; on success *result points into the session. */
static mn_status
gst_mobilenet_run (GstMobilenet * self, GstBuffer * rgb, mn_result * result)
{
  GstVideoFrame in;
  mn_status st;

  if (!gst_video_frame_map (&in, &self->rgb_info, rgb, GST_MAP_READ))
    return MN_ERR_INVALID_ARG;
  st = mn_session_run (self->session, GST_VIDEO_FRAME_PLANE_DATA (&in, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (&in, 0), result);
  gst_video_frame_unmap (&in);
  return st;
}

/* Sync latency: the longest of the recent inference times. */
static guint64
gst_mobilenet_measured_latency (GstMobilenet * self)
{
  guint64 max = 0;

  for (guint i = 0; i < MIN (self->latency_n, GST_MOBILENET_LATENCY_HISTORY);
      i++)
    max = MAX (max, self->latency_ns[i]);
  return max;
}

/* Records an inference time; asks for a new latency when it grew. */
static void
gst_mobilenet_note_time (GstMobilenet * self, guint64 ns)
{
  guint64 max;
  gboolean post = FALSE;

  GST_OBJECT_LOCK (self);
  self->latency_ns[self->latency_n++ % GST_MOBILENET_LATENCY_HISTORY] = ns;
  max = gst_mobilenet_measured_latency (self);
  if (self->active_mode == GST_MOBILENET_MODE_SYNC &&
      max > self->reported_latency + self->reported_latency / 4 +
      GST_MSECOND) {
    self->reported_latency = max;
    post = TRUE;
  }
  GST_OBJECT_UNLOCK (self);
  if (post) {
    GST_DEBUG_OBJECT (self, "inference takes up to %" GST_TIME_FORMAT
        ": new latency", GST_TIME_ARGS (max));
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
  }
}

/* sync: converts and classifies @frame in the streaming thread and feeds
 * the labeler. */
static gboolean
gst_mobilenet_classify (GstMobilenet * self, GstVideoFrame * frame,
    const GstMobilenetResultInfo * info, gdouble threshold,
    GstMobilenetLabelerResult * res)
{
  mn_result result;
  mn_status st;
  guint64 t0, t1;
  gchar *message;

  t0 = g_get_monotonic_time ();
  if (!gst_mobilenet_convert (self, frame, self->rgb))
    goto map_failed;
  st = gst_mobilenet_run (self, self->rgb, &result);
  if (st != MN_OK)
    goto run_failed;
  gst_mobilenet_labeler_push (self->labeler, result.scores, threshold, res);
  t1 = g_get_monotonic_time ();

  self->last = *info;
  self->last.inference_ns = (t1 - t0) * GST_USECOND;
  self->last_time_ns = self->last.inference_ns;
  gst_mobilenet_note_time (self, self->last_time_ns);
  GST_LOG_OBJECT (self, "class %d (%.3f) in %" G_GUINT64_FORMAT " us",
      res->raw.id, res->raw.score, t1 - t0);
  return TRUE;

  /* ERRORS */
map_failed:
  {
    GST_ELEMENT_ERROR (self, CORE, FAILED, (NULL),
        ("could not map the model's input buffer"));
    return FALSE;
  }
run_failed:
  {
    message = gst_mobilenet_engine_take_last_error ();
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not classify a frame with model \"%s\".", self->model_path),
        ("%s", message ? message : mn_status_str (st)));
    g_free (message);
    return FALSE;
  }
}

/* async: a frame converted to the model's input, waiting for the worker */
typedef struct {
  GstBuffer *rgb;
  GstMobilenetResultInfo info;
  guint64 convert_ns;
} GstMobilenetJob;

static void
gst_mobilenet_job_free (gpointer data)
{
  GstMobilenetJob *job = data;

  gst_buffer_unref (job->rgb);
  g_free (job);
}

/* The worker thread: classifies the newest frame, keeps the scores. */
static void
gst_mobilenet_worker_run (gpointer data, gpointer user_data)
{
  GstMobilenetJob *job = data;
  GstMobilenet *self = user_data;
  mn_result result;
  mn_status st;
  guint64 t0 = g_get_monotonic_time (), t1;

  st = gst_mobilenet_run (self, job->rgb, &result);
  t1 = g_get_monotonic_time ();
  g_mutex_lock (&self->async_lock);
  if (st != MN_OK) {
    if (self->async_error == NULL) {
      gchar *message = gst_mobilenet_engine_take_last_error ();

      self->async_error = g_strdup (message ? message : mn_status_str (st));
      g_free (message);
    }
  } else {
    memcpy (self->async_scores, result.scores,
        self->info.num_classes * sizeof (gfloat));
    self->async_info = job->info;
    self->async_info.inference_ns = job->convert_ns + (t1 - t0) * GST_USECOND;
    self->async_seq++;
  }
  g_mutex_unlock (&self->async_lock);
}

/* async: converts @frame and hands it to the worker (replacing a frame
 * still waiting).  Never waits for inference. */
static gboolean
gst_mobilenet_submit (GstMobilenet * self, GstVideoFrame * frame,
    const GstMobilenetResultInfo * info)
{
  GstMobilenetJob *job, *old;
  guint64 t0 = g_get_monotonic_time ();

  if (self->worker == NULL)
    self->worker = gst_mobilenet_worker_new ("mobilenet-infer",
        gst_mobilenet_worker_run, self, gst_mobilenet_job_free);
  job = self->spare_job ? self->spare_job :
      gst_mobilenet_worker_take_done (self->worker);
  self->spare_job = NULL;
  if (job == NULL) {
    job = g_new0 (GstMobilenetJob, 1);
    job->rgb = gst_buffer_new_allocate (NULL, self->rgb_info.size, NULL);
  }
  if (!gst_mobilenet_convert (self, frame, job->rgb)) {
    self->spare_job = job;
    GST_ELEMENT_ERROR (self, CORE, FAILED, (NULL),
        ("could not map the model's input buffer"));
    return FALSE;
  }
  job->info = *info;
  job->convert_ns = (g_get_monotonic_time () - t0) * GST_USECOND;
  old = gst_mobilenet_worker_submit (self->worker, job);
  if (old) {
    GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT " replaces frame %"
        G_GUINT64_FORMAT ", not classified", info->frame, old->info.frame);
    if (self->spare_job == NULL)
      self->spare_job = old;
    else
      gst_mobilenet_job_free (old);
  }
  return TRUE;
}

/* async: feeds the labeler with the worker's newest result, if it has a
 * new one.  Returns -1 when the worker failed, 1 when there was a new
 * result, 0 otherwise. */
static gint
gst_mobilenet_take_result (GstMobilenet * self, gdouble threshold,
    GstMobilenetLabelerResult * res)
{
  gint ret = 0;
  gchar *error = NULL;

  g_mutex_lock (&self->async_lock);
  if (self->async_error) {
    error = self->async_error;
    self->async_error = NULL;
    ret = -1;
  } else if (self->async_seq != self->async_used) {
    gst_mobilenet_labeler_push (self->labeler, self->async_scores, threshold,
        res);
    self->async_used = self->async_seq;
    self->last = self->async_info;
    self->last_time_ns = self->last.inference_ns;
    ret = 1;
  }
  g_mutex_unlock (&self->async_lock);

  if (error) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not classify a frame with model \"%s\".", self->model_path),
        ("%s", error));
    g_free (error);
  }
  return ret;
}

/* Drops a frame waiting for the worker and waits for the one in progress
 * (flush, EOS); the next result comes from a new frame. */
static void
gst_mobilenet_worker_drain (GstMobilenet * self)
{
  if (self->worker)
    gst_mobilenet_worker_flush (self->worker);
  g_mutex_lock (&self->async_lock);
  self->async_used = self->async_seq;
  g_mutex_unlock (&self->async_lock);
}

/* Is @frame nearly the last classified one (skip-similar)?  Remembers
 * its thumbnail when it is not. */
static gboolean
gst_mobilenet_is_similar (GstMobilenet * self, GstVideoFrame * frame,
    gdouble threshold, guint max_reuse)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  GstMobilenetImageView view = { 0, };
  guint8 thumb[GST_MOBILENET_THUMB_PIXELS];
  gdouble diff;
  gint n = GST_VIDEO_FORMAT_INFO_IS_RGB (finfo) ? 3 : 1;

  view.width = GST_VIDEO_FRAME_WIDTH (frame);
  view.height = GST_VIDEO_FRAME_HEIGHT (frame);
  view.n_comp = n;
  for (gint c = 0; c < n; c++) {
    view.data[c] = GST_VIDEO_FRAME_COMP_DATA (frame, c);
    view.stride[c] = GST_VIDEO_FRAME_COMP_STRIDE (frame, c);
    view.pstride[c] = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, c);
  }
  gst_mobilenet_thumb_compute (&view, thumb);
  if (self->have_thumb && self->reuse_run < max_reuse) {
    diff = gst_mobilenet_thumb_diff (thumb, self->thumb);
    if (diff < threshold) {
      self->reuse_run++;
      GST_LOG_OBJECT (self, "similar frame (%.4f < %.4f), %u in a row", diff,
          threshold, self->reuse_run);
      return TRUE;
    }
  }
  memcpy (self->thumb, thumb, sizeof (thumb));
  self->have_thumb = TRUE;
  self->reuse_run = 0;
  return FALSE;
}

/* The stable label changed: message and tag event. */
static void
gst_mobilenet_announce (GstMobilenet * self, GstMobilenetLabelerResult * res,
    gboolean post, gboolean push_tags)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);

  GST_DEBUG_OBJECT (self, "label \"%s\" -> \"%s\"", res->previous.name,
      res->reported.name);
  if (post)
    gst_element_post_message (GST_ELEMENT (self),
        gst_mobilenet_report_change_message (trans, res, &self->last));
  if (push_tags) {
    GstTagList *tags = gst_mobilenet_report_label_tags (&res->reported);

    if (self->label_tags)
      gst_tag_list_unref (self->label_tags);
    self->label_tags = gst_tag_list_ref (tags);
    if (self->upstream_tags) {
      GstTagList *merged = gst_tag_list_merge (self->upstream_tags, tags,
          GST_TAG_MERGE_REPLACE);

      gst_tag_list_unref (tags);
      tags = merged;
      gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
    }
    gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (trans),
        gst_event_new_tag (tags));
  }
}

/* Whether @buf holds the whole frame its caps (and its GstVideoMeta, if
 * any) promise.  GStreamer maps a meta's planes without checking that
 * they fit the buffer, and gst_video_frame_map() only checks buffers
 * without one, so a short buffer or a meta whose strides or offsets run
 * past the end would have the converter (or the overlay) read or write
 * outside the buffer.  Such frames are refused instead. */
static gboolean
gst_mobilenet_frame_fits (GstMobilenet * self, GstBuffer * buf)
{
  const GstVideoInfo *info = &self->in_info;
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
  guint p, c;

  if (meta == NULL)
    return gst_buffer_get_size (buf) >= GST_VIDEO_INFO_SIZE (info);

  /* what gst_video_frame_map() asserts */
  if (meta->format != GST_VIDEO_INFO_FORMAT (info) ||
      meta->width < (guint) GST_VIDEO_INFO_WIDTH (info) ||
      meta->height < (guint) GST_VIDEO_INFO_HEIGHT (info) ||
      meta->n_planes != GST_VIDEO_INFO_N_PLANES (info))
    return FALSE;

  for (p = 0; p < meta->n_planes; p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    guint height = meta->height, rows, idx, length;
    gsize row_bytes = 0, skip;
    GstMemory *mem;

    if (GST_VIDEO_INFO_INTERLACE_MODE (info) ==
        GST_VIDEO_INTERLACE_MODE_ALTERNATE)
      height = GST_ROUND_UP_2 (height) / 2;
    gst_video_format_info_component (info->finfo, p, comp);
    rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (info->finfo, comp[0], height);
    for (c = 0; c < GST_VIDEO_MAX_COMPONENTS && comp[c] >= 0; c++) {
      gsize w = GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (info->finfo, comp[c],
          meta->width);
      row_bytes = MAX (row_bytes,
          w * GST_VIDEO_FORMAT_INFO_PSTRIDE (info->finfo, comp[c]));
    }
    if (meta->stride[p] <= 0 || (gsize) meta->stride[p] < row_bytes)
      return FALSE;
    /* gst_video_meta_map() maps only the memory holding the plane's first
     * byte: the whole plane must lie in it */
    if (!gst_buffer_find_memory (buf, meta->offset[p], 1, &idx, &length,
            &skip))
      return FALSE;
    mem = gst_buffer_peek_memory (buf, idx);
    if (rows > 0 && (gsize) meta->stride[p] * (rows - 1) + row_bytes >
        gst_memory_get_sizes (mem, NULL, NULL) - skip)
      return FALSE;
  }
  return TRUE;
}

/* GStreamer 1.22's overlay blending reads and writes outside a frame
 * whose rows do not start on a whole pixel (a GstVideoMeta's stride or
 * offset not a multiple of the pixel size): such frames are classified
 * but not drawn on. */
static gboolean
gst_mobilenet_can_draw (GstMobilenet * self, GstBuffer * buf)
{
  const GstVideoFormatInfo *finfo = self->in_info.finfo;
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
  guint p, c;

  if (meta == NULL)
    return TRUE;
  for (p = 0; p < meta->n_planes; p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS], pstride = 1;

    gst_video_format_info_component (finfo, p, comp);
    for (c = 0; c < GST_VIDEO_MAX_COMPONENTS && comp[c] >= 0; c++)
      pstride = MAX (pstride, GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp[c]));
    if (meta->stride[p] % pstride != 0 || meta->offset[p] % pstride != 0)
      return FALSE;
  }
  return TRUE;
}

static GstFlowReturn
gst_mobilenet_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstMobilenet *self = GST_MOBILENET (trans);
  GstMobilenetClassScore classes[GST_MOBILENET_MAX_TOP_K];
  GstMobilenetLabel items[GST_MOBILENET_MAX_TOP_K];
  GstMobilenetLabelerResult res;
  GstMobilenetResultInfo info;
  GstMobilenetPostMessages post;
  GstVideoFrame frame;
  GstMobilenetMode mode;
  gboolean classify, draw, push_tags, mapped = FALSE, fresh = FALSE;
  guint top_k, interval, n, max_reuse, cookie;
  gdouble threshold, skip_similar;
  GError *err = NULL;

  if (G_UNLIKELY (self->convert == NULL || self->session == NULL))
    goto not_negotiated;
  if (G_UNLIKELY (!gst_mobilenet_frame_fits (self, buf)))
    goto invalid_frame;

  GST_OBJECT_LOCK (self);
  top_k = self->top_k;
  threshold = self->threshold;
  interval = self->inference_interval;
  draw = self->overlay;
  post = self->post_messages;
  skip_similar = self->skip_similar;
  max_reuse = self->max_reuse;
  push_tags = self->push_tags;
  cookie = self->labeler_cookie;
  GST_OBJECT_UNLOCK (self);
  if (draw && G_UNLIKELY (!gst_mobilenet_can_draw (self, buf))) {
    GST_DEBUG_OBJECT (self, "rows do not start on whole pixels: "
        "not drawing on this frame");
    draw = FALSE;
  }

  if (G_UNLIKELY (cookie != self->labeler_cookie_used) &&
      !gst_mobilenet_build_labeler (self, &err)) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Invalid allow or deny setting: the previous one stays."),
        ("%s", err->message));
    g_clear_error (&err);
  }
  mode = gst_mobilenet_first_buffer_mode (self);

  info.frame = self->frame_count++;
  info.pts = GST_BUFFER_PTS (buf);
  info.running_time = GST_CLOCK_TIME_NONE;
  info.inference_ns = 0;
  if (GST_CLOCK_TIME_IS_VALID (info.pts) &&
      trans->segment.format == GST_FORMAT_TIME)
    info.running_time = gst_segment_to_running_time (&trans->segment,
        GST_FORMAT_TIME, info.pts);
  classify = !self->submitted || info.frame % interval == 0;

  /* Read-only unless drawing: a frame shared after a tee is not copied. */
  if (classify || draw) {
    /* NO_REF: a mapped frame holding a ref would make buf unwritable */
    if (!gst_video_frame_map (&frame, &self->in_info, buf,
            (draw ? GST_MAP_READWRITE : GST_MAP_READ) |
            GST_VIDEO_FRAME_MAP_FLAG_NO_REF))
      goto map_failed;
    mapped = TRUE;
  }

  /* compared with the last classified frame (none after start or flush) */
  if (classify && skip_similar > 0.0 &&
      gst_mobilenet_is_similar (self, &frame, skip_similar, max_reuse))
    classify = FALSE;

  if (mode == GST_MOBILENET_MODE_ASYNC) {
    gint got;

    if (classify && !gst_mobilenet_submit (self, &frame, &info))
      goto classify_failed;
    got = gst_mobilenet_take_result (self, threshold, &res);
    if (got < 0)
      goto classify_failed;
    fresh = got > 0;
  } else if (classify) {
    if (!gst_mobilenet_classify (self, &frame, &info, threshold, &res))
      goto classify_failed;
    fresh = TRUE;
  }
  if (classify)
    self->submitted = TRUE;
  if (!fresh)
    gst_mobilenet_labeler_last (self->labeler, threshold, &res);

  n = gst_mobilenet_labeler_top_k (self->labeler, top_k, threshold, items);
  gst_mobilenet_report_classes (items, n, classes);
  gst_mobilenet_report_meta (buf, classes, n, self->model_path, &res.raw,
      self->groups != NULL,
      gst_mobilenet_labeler_has_result (self->labeler) ? &self->last : NULL,
      info.frame, info.running_time);

  if (fresh && post == GST_MOBILENET_POST_MESSAGES_ALL)
    gst_element_post_message (GST_ELEMENT (self),
        gst_mobilenet_report_result_message (trans, classes, n, &res.raw,
            &self->last, GST_BUFFER_DURATION (buf)));
  if (fresh && res.reported.id != self->announced) {
    res.previous.id = self->announced;
    res.previous.name = self->announced_name ? self->announced_name : "";
    gst_mobilenet_announce (self, &res,
        post != GST_MOBILENET_POST_MESSAGES_NONE, push_tags);
    self->announced = res.reported.id;
    g_free (self->announced_name);
    self->announced_name = g_strdup (res.reported.name);
  }

  if (draw) {
    if (self->ov == NULL)
      self->ov = gst_mobilenet_overlay_new ();
    gst_mobilenet_overlay_update (self->ov, classes, n,
        GST_VIDEO_INFO_WIDTH (&self->in_info),
        GST_VIDEO_INFO_HEIGHT (&self->in_info));
    gst_mobilenet_overlay_blend (self->ov, &frame);
  }

  if (mapped)
    gst_video_frame_unmap (&frame);
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("buffer before caps or before the model was loaded"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
invalid_frame:
  {
    /* one broken frame need not stop the stream: drop it, as
     * GstVideoFilter passes on frames it cannot map */
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Dropped a video frame smaller than its format says."),
        ("buffer of %" G_GSIZE_FORMAT " bytes%s does not hold a %s %dx%d "
            "frame", gst_buffer_get_size (buf),
            gst_buffer_get_video_meta (buf) ? " (with a video meta)" : "",
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&self->in_info)),
            GST_VIDEO_INFO_WIDTH (&self->in_info),
            GST_VIDEO_INFO_HEIGHT (&self->in_info)));
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }
map_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("could not map the frame"));
    return GST_FLOW_ERROR;
  }
classify_failed:
  {
    if (mapped)
      gst_video_frame_unmap (&frame);
    return GST_FLOW_ERROR;
  }
}

/* Latency: sync adds the longest recent inference time, async nothing.
 * The answer from upstream also decides mode=auto. */
static gboolean
gst_mobilenet_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstMobilenet *self = GST_MOBILENET (trans);
  GstClockTime min, max, ours;
  gboolean live;

  if (direction != GST_PAD_SRC || GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
        query);

  if (!GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
          query))
    return FALSE;
  gst_query_parse_latency (query, &live, &min, &max);
  if (gst_mobilenet_decide_mode (self, TRUE, live) == GST_MOBILENET_MODE_SYNC) {
    GST_OBJECT_LOCK (self);
    ours = gst_mobilenet_measured_latency (self);
    self->reported_latency = ours;
    GST_OBJECT_UNLOCK (self);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    gst_query_set_latency (query, live, min, max);
  }
  GST_DEBUG_OBJECT (self, "latency: live %d, min %" GST_TIME_FORMAT ", max %"
      GST_TIME_FORMAT, live, GST_TIME_ARGS (min), GST_TIME_ARGS (max));
  return TRUE;
}

static gboolean
gst_mobilenet_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMobilenet *self = GST_MOBILENET (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      /* a seek: the next frames are new content */
      gst_mobilenet_worker_drain (self);
      if (self->labeler)
        gst_mobilenet_labeler_reset (self->labeler);
      self->submitted = FALSE;
      self->have_thumb = FALSE;
      self->reuse_run = 0;
      break;
    case GST_EVENT_EOS:
      gst_mobilenet_worker_drain (self);
      break;
    case GST_EVENT_TAG:{
      GstTagList *tags;

      /* our label tags would replace upstream's stream tags: merge */
      gst_event_parse_tag (event, &tags);
      if (gst_tag_list_get_scope (tags) == GST_TAG_SCOPE_STREAM) {
        if (self->upstream_tags)
          gst_tag_list_unref (self->upstream_tags);
        self->upstream_tags = gst_tag_list_ref (tags);
        if (self->label_tags) {
          tags = gst_tag_list_merge (tags, self->label_tags,
              GST_TAG_MERGE_REPLACE);
          gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
          gst_event_unref (event);
          event = gst_event_new_tag (tags);
        }
      }
      break;
    }
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* ------------------------------------------------------------------------ */
/* class */

static void
gst_mobilenet_finalize (GObject * object)
{
  GstMobilenet *self = GST_MOBILENET (object);

  g_free (self->model_location);
  g_free (self->labels_location);
  g_free (self->groups_location);
  g_free (self->allow);
  g_free (self->deny);
  g_mutex_clear (&self->async_lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_mobilenet_init (GstMobilenet * self)
{
  self->model_location = g_strdup (DEFAULT_PROP_MODEL);
  self->labels_location = g_strdup (DEFAULT_PROP_LABELS);
  self->threads = DEFAULT_PROP_THREADS;
  self->top_k = DEFAULT_PROP_TOP_K;
  self->threshold = DEFAULT_PROP_THRESHOLD;
  self->inference_interval = DEFAULT_PROP_INFERENCE_INTERVAL;
  self->scale_mode = DEFAULT_PROP_SCALE_MODE;
  self->mean = DEFAULT_PROP_MEAN;
  self->std = DEFAULT_PROP_STD;
  self->overlay = DEFAULT_PROP_OVERLAY;
  self->post_messages = DEFAULT_PROP_POST_MESSAGES;
  self->mode = DEFAULT_PROP_MODE;
  self->smoothing = DEFAULT_PROP_SMOOTHING;
  self->smoothing_factor = DEFAULT_PROP_SMOOTHING_FACTOR;
  self->smoothing_window = DEFAULT_PROP_SMOOTHING_WINDOW;
  self->min_dwell = DEFAULT_PROP_MIN_DWELL;
  self->switch_margin = DEFAULT_PROP_SWITCH_MARGIN;
  self->skip_similar = DEFAULT_PROP_SKIP_SIMILAR;
  self->max_reuse = DEFAULT_PROP_MAX_REUSE;
  self->push_tags = DEFAULT_PROP_TAGS;
  self->groups_location = g_strdup (DEFAULT_PROP_GROUPS);
  self->report = DEFAULT_PROP_REPORT;
  self->allow = g_strdup (DEFAULT_PROP_ALLOW);
  self->deny = g_strdup (DEFAULT_PROP_DENY);
  self->announced = -1;
  g_mutex_init (&self->async_lock);

  /* in place, never passthrough: the buffer gets a meta */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
}

/* A double property whose default is NaN ("automatic"): GParamSpecDouble
 * refuses a NaN default at creation, so set it afterwards. */
static GParamSpec *
param_spec_double_auto (const gchar * name, const gchar * nick,
    const gchar * blurb, gdouble min, gdouble max, GParamFlags flags)
{
  GParamSpec *pspec = g_param_spec_double (name, nick, blurb, min, max, min,
      flags);

  G_PARAM_SPEC_DOUBLE (pspec)->default_value = NAN;
  return pspec;
}

static void
gst_mobilenet_class_init (GstMobilenetClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  const GParamFlags playing = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_mobilenet_set_property;
  gobject_class->get_property = gst_mobilenet_get_property;
  gobject_class->finalize = gst_mobilenet_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "TensorFlow Lite MobileNet model file (NULL = the GST_MOBILENET_MODEL "
          "environment variable, else the model installed with the plugin). "
          "Only settable in NULL or READY: changes while PAUSED or PLAYING "
          "are refused with a warning",
          DEFAULT_PROP_MODEL, ready));
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_string ("labels", "Labels",
          "Labels file, one label a line (NULL = labels embedded in the model, "
          "else labels.txt or <model name>.txt next to the model, else "
          "\"class N\"). A leading \"background\" line may be present or not",
          DEFAULT_PROP_LABELS, ready));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "Inference threads (0 = all cores)", 0, 1024, DEFAULT_PROP_THREADS,
          ready));
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top K",
          "How many of the best classes to report", 1, GST_MOBILENET_MAX_TOP_K,
          DEFAULT_PROP_TOP_K, playing));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "Minimum score (0-1) of a reported class; when the best class "
          "scores less, class-id is -1 and top-k is empty", 0.0, 1.0,
          DEFAULT_PROP_THRESHOLD, playing));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Classify every Nth frame; the frames in between carry the last "
          "result with reused=TRUE and post no message", 1, G_MAXUINT,
          DEFAULT_PROP_INFERENCE_INTERVAL, playing));
  g_object_class_install_property (gobject_class, PROP_SCALE_MODE,
      g_param_spec_enum ("scale-mode", "Scale mode",
          "How a frame is fitted to the model's input size",
          GST_TYPE_MOBILENET_SCALE_MODE, DEFAULT_PROP_SCALE_MODE, ready));
  g_object_class_install_property (gobject_class, PROP_MEAN,
      param_spec_double_auto ("mean", "Mean",
          "Float models: input = (pixel - mean) / std. NaN (default) = from "
          "the model's metadata, else 127.5. Ignored by quantised models",
          -G_MAXFLOAT, G_MAXFLOAT, ready));
  g_object_class_install_property (gobject_class, PROP_STD,
      param_spec_double_auto ("std", "Standard deviation",
          "Float models: input = (pixel - mean) / std. NaN (default) = from "
          "the model's metadata, else 127.5. Ignored by quantised models",
          1e-6, G_MAXFLOAT, ready));
  g_object_class_install_property (gobject_class, PROP_OVERLAY,
      g_param_spec_boolean ("overlay", "Overlay",
          "Draw the top-k labels and confidence bars on the frames",
          DEFAULT_PROP_OVERLAY, playing));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_enum ("post-messages", "Post messages",
          "Which element messages to post: none; all (a \"mobilenet\" "
          "message for every result, plus label changes); changes (a "
          "\"mobilenet-label-changed\" message when the stable label "
          "changes)", GST_TYPE_MOBILENET_POST_MESSAGES,
          DEFAULT_PROP_POST_MESSAGES, playing));
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "Where inference runs: sync (in the streaming thread; the element "
          "adds its inference time to the latency), async (a worker thread "
          "classifies the newest frame; frames never wait and carry the "
          "newest result with its age), auto (async when the element is in a "
          "pipeline whose upstream is live, else sync)",
          GST_TYPE_MOBILENET_MODE, DEFAULT_PROP_MODE, ready));
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_enum ("smoothing", "Smoothing",
          "How the scores of successive results are smoothed before the "
          "stable label is chosen (class-id, label, score; the raw-* "
          "fields are never smoothed)", GST_TYPE_MOBILENET_SMOOTHING,
          DEFAULT_PROP_SMOOTHING, playing));
  g_object_class_install_property (gobject_class, PROP_SMOOTHING_FACTOR,
      g_param_spec_double ("smoothing-factor", "Smoothing factor",
          "smoothing=ema: weight of the newest result (1 = no smoothing, "
          "smaller = smoother and slower)", 0.01, 1.0,
          DEFAULT_PROP_SMOOTHING_FACTOR, playing));
  g_object_class_install_property (gobject_class, PROP_SMOOTHING_WINDOW,
      g_param_spec_uint ("smoothing-window", "Smoothing window",
          "smoothing=window: how many results are averaged", 1, 1000,
          DEFAULT_PROP_SMOOTHING_WINDOW, playing));
  g_object_class_install_property (gobject_class, PROP_MIN_DWELL,
      g_param_spec_uint ("min-dwell", "Minimum dwell",
          "The stable label changes only when another class has led the "
          "(smoothed) scores for this many results in a row", 1, 100000,
          DEFAULT_PROP_MIN_DWELL, playing));
  g_object_class_install_property (gobject_class, PROP_SWITCH_MARGIN,
      g_param_spec_double ("switch-margin", "Switch margin",
          "...and when its (smoothed) score beats the current label's by "
          "at least this much", 0.0, 1.0, DEFAULT_PROP_SWITCH_MARGIN,
          playing));
  g_object_class_install_property (gobject_class, PROP_SKIP_SIMILAR,
      g_param_spec_double ("skip-similar", "Skip similar frames",
          "0 = off; else reuse the last result for a frame whose 16x16 grey "
          "thumbnail differs from the last classified frame's by less than "
          "this (mean absolute difference, 0-1; e.g. 0.02)", 0.0, 1.0,
          DEFAULT_PROP_SKIP_SIMILAR, playing));
  g_object_class_install_property (gobject_class, PROP_MAX_REUSE,
      g_param_spec_uint ("max-reuse", "Maximum reuse",
          "skip-similar: classify at least every this many similar frames",
          1, G_MAXUINT, DEFAULT_PROP_MAX_REUSE, playing));
  g_object_class_install_property (gobject_class, PROP_TAGS,
      g_param_spec_boolean ("tags", "Tags",
          "Push a tag event downstream when the stable label changes "
          "(keywords and comment = the label, mobilenet-class-id, "
          "mobilenet-score)", DEFAULT_PROP_TAGS, playing));
  g_object_class_install_property (gobject_class, PROP_GROUPS,
      g_param_spec_string ("groups", "Groups",
          "Class groups file for report=groups: \"group-name: class ids, "
          "ranges (first-last) or label patterns\" per line, # comments "
          "(e.g. models/imagenet_groups.txt)", DEFAULT_PROP_GROUPS, ready));
  g_object_class_install_property (gobject_class, PROP_REPORT,
      g_param_spec_enum ("report", "Report",
          "Report the model's classes, or the groups of the groups file "
          "(the sum of their classes' scores)", GST_TYPE_MOBILENET_REPORT,
          DEFAULT_PROP_REPORT, ready));
  g_object_class_install_property (gobject_class, PROP_ALLOW,
      g_param_spec_string ("allow", "Allow",
          "Report only these: comma-separated class ids, ranges and label "
          "patterns (group names with report=groups); NULL = all",
          DEFAULT_PROP_ALLOW, playing));
  g_object_class_install_property (gobject_class, PROP_DENY,
      g_param_spec_string ("deny", "Deny",
          "Never report these: comma-separated class ids, ranges and label "
          "patterns (group names with report=groups)", DEFAULT_PROP_DENY,
          playing));

  gst_element_class_set_static_metadata (element_class,
      "MobileNet image classifier", "Filter/Analyzer/Video",
      "Classifies video frames with a MobileNet TensorFlow Lite model; "
      "attaches a MobilenetClassificationMeta, posts \"mobilenet\" element "
      "messages and can draw the labels",
      "gst-mobilenet developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_mobilenet_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_mobilenet_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_mobilenet_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_mobilenet_transform_ip);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_mobilenet_query);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_mobilenet_sink_event);
  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_MOBILENET_SCALE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MOBILENET_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MOBILENET_POST_MESSAGES, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MOBILENET_REPORT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MOBILENET_SMOOTHING, 0);
}

static gboolean
mobilenet_element_init (GstPlugin * plugin)
{
  GST_DEBUG_CATEGORY_INIT (gst_mobilenet_debug, "mobilenet", 0,
      "MobileNet image classifier");
  gst_mobilenet_engine_debug_init ();
  gst_mobilenet_meta_register ();
  gst_mobilenet_report_register_tags ();
  return gst_element_register (plugin, "mobilenet", GST_RANK_NONE,
      GST_TYPE_MOBILENET);
}
