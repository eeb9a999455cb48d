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
 *   model, reused, inference-time;
 * - an element message named `mobilenet` on the bus for every classified
 *   frame (when #GstMobilenet:post-messages is set): timestamp,
 *   stream-time, running-time, class-id, label, score, top-k, and
 *   inference-time;
 * - with #GstMobilenet:overlay, the top-k labels and confidence bars drawn
 *   in the top-left corner of the frame.
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
 */

#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include "gstmobilenet.h"
#include "model_cache.h"
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
#define DEFAULT_PROP_POST_MESSAGES      TRUE

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
      self->post_messages = g_value_get_boolean (value);
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
      g_value_set_boolean (value, self->post_messages);
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

static void
gst_mobilenet_release (GstMobilenet * self)
{
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
  gchar *location, *labels_location, *path, *message = NULL;
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

  gst_mobilenet_preprocess_rgb_info (&self->rgb_info, self->info.input_width,
      self->info.input_height);
  self->rgb = gst_buffer_new_allocate (NULL, self->rgb_info.size, NULL);
  self->frame_count = 0;
  self->have_result = FALSE;
  self->n_last = 0;

  GST_OBJECT_LOCK (self);
  self->started = TRUE;
  GST_OBJECT_UNLOCK (self);

  g_free (location);
  g_free (labels_location);
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
  g_clear_pointer (&self->ov, gst_mobilenet_overlay_free);
  self->have_result = FALSE;
  self->n_last = 0;
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
  if (self->rgb == NULL)
    goto not_started;

  convert = gst_mobilenet_preprocess_new (&info, &self->rgb_info,
      self->active_scale_mode);
  if (convert == NULL)
    goto no_converter;

  /* a new size or format: the old converter goes, the last result stays */
  g_clear_pointer (&self->convert, gst_video_converter_free);
  self->convert = convert;
  self->in_info = info;
  GST_DEBUG_OBJECT (self, "converting %s %dx%d to RGB %dx%d",
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)),
      GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info),
      GST_VIDEO_INFO_WIDTH (&self->rgb_info),
      GST_VIDEO_INFO_HEIGHT (&self->rgb_info));
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

/* Converts the frame and runs the model; fills self->last. */
static gboolean
gst_mobilenet_classify (GstMobilenet * self, GstVideoFrame * frame)
{
  GstVideoFrame rgb;
  mn_result result;
  mn_status st;
  guint64 t0, t1;
  gchar *message;

  t0 = g_get_monotonic_time ();
  if (!gst_video_frame_map (&rgb, &self->rgb_info, self->rgb, GST_MAP_WRITE))
    goto map_failed;
  gst_video_converter_frame (self->convert, frame, &rgb);
  st = mn_session_run (self->session, GST_VIDEO_FRAME_PLANE_DATA (&rgb, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (&rgb, 0), &result);
  gst_video_frame_unmap (&rgb);
  if (st != MN_OK)
    goto run_failed;

  self->n_last = mn_result_top_k (&result, GST_MOBILENET_MAX_TOP_K,
      self->last);
  t1 = g_get_monotonic_time ();
  self->last_time_ns = (t1 - t0) * GST_USECOND;
  self->have_result = TRUE;
  GST_LOG_OBJECT (self, "class %d (%.3f) in %" G_GUINT64_FORMAT " us",
      self->n_last > 0 ? self->last[0].class_id : -1,
      self->n_last > 0 ? self->last[0].score : 0.f, t1 - t0);
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

/* Fills @out with the reportable part of the last result: at most @top_k
 * classes scoring at least @threshold.  @names holds "class N" labels. */
static guint
gst_mobilenet_get_classes (GstMobilenet * self, guint top_k,
    gdouble threshold, GstMobilenetClassScore * out, gchar names[][24])
{
  guint n = 0;

  for (gint i = 0; i < self->n_last && n < top_k; i++) {
    const mn_class_score *c = &self->last[i];
    const gchar *label = NULL;

    if (c->score < threshold)
      break;                    /* sorted: the rest scores lower */
    if (self->labels)
      label = mn_labels_for_class (self->labels, self->label_offset,
          c->class_id);
    if (label == NULL) {
      g_snprintf (names[n], 24, "class %d", c->class_id);
      label = names[n];
    }
    out[n].class_id = c->class_id;
    out[n].label = label;
    out[n].score = c->score;
    n++;
  }
  return n;
}

static void
gst_mobilenet_post_result (GstMobilenet * self, GstBuffer * buf,
    const GstMobilenetClassScore * classes, guint n)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GstStructure *s;

  if (GST_CLOCK_TIME_IS_VALID (pts) && trans->segment.format == GST_FORMAT_TIME) {
    stream_time = gst_segment_to_stream_time (&trans->segment,
        GST_FORMAT_TIME, pts);
    running_time = gst_segment_to_running_time (&trans->segment,
        GST_FORMAT_TIME, pts);
  }

  s = gst_structure_new ("mobilenet",
      "timestamp", G_TYPE_UINT64, pts,
      "stream-time", G_TYPE_UINT64, stream_time,
      "running-time", G_TYPE_UINT64, running_time,
      "duration", G_TYPE_UINT64, GST_BUFFER_DURATION (buf), NULL);
  gst_mobilenet_structure_set_classes (s, classes, n);
  gst_structure_set (s,
      GST_MOBILENET_FIELD_INFERENCE_TIME, G_TYPE_UINT64, self->last_time_ns,
      NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static GstFlowReturn
gst_mobilenet_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstMobilenet *self = GST_MOBILENET (trans);
  GstMobilenetClassScore classes[GST_MOBILENET_MAX_TOP_K];
  gchar names[GST_MOBILENET_MAX_TOP_K][24];
  GstVideoFrame frame;
  gboolean classify, draw, post, mapped = FALSE;
  guint top_k, interval, n;
  gdouble threshold;

  if (G_UNLIKELY (self->convert == NULL || self->session == NULL))
    goto not_negotiated;

  GST_OBJECT_LOCK (self);
  top_k = self->top_k;
  threshold = self->threshold;
  interval = self->inference_interval;
  draw = self->overlay;
  post = self->post_messages;
  GST_OBJECT_UNLOCK (self);

  classify = !self->have_result || self->frame_count % interval == 0;
  self->frame_count++;

  /* Read-only unless drawing: a frame shared after a tee is not copied. */
  if (classify || draw) {
    /* NO_REF: a mapped frame holding a ref would make buf unwritable */
    if (!gst_video_frame_map (&frame, &self->in_info, buf,
            (draw ? GST_MAP_READWRITE : GST_MAP_READ) |
            GST_VIDEO_FRAME_MAP_FLAG_NO_REF))
      goto map_failed;
    mapped = TRUE;
  }

  if (classify && !gst_mobilenet_classify (self, &frame))
    goto classify_failed;

  n = gst_mobilenet_get_classes (self, top_k, threshold, classes, names);
  gst_buffer_add_mobilenet_meta (buf, classes, n, self->model_path, !classify,
      self->last_time_ns);
  if (classify && post)
    gst_mobilenet_post_result (self, buf, classes, n);

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
map_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("could not map the frame"));
    return GST_FLOW_ERROR;
  }
classify_failed:
  {
    gst_video_frame_unmap (&frame);
    return GST_FLOW_ERROR;
  }
}

/* ------------------------------------------------------------------------ */
/* class */

static void
gst_mobilenet_finalize (GObject * object)
{
  GstMobilenet *self = GST_MOBILENET (object);

  g_free (self->model_location);
  g_free (self->labels_location);
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
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post a \"mobilenet\" element message for every classified frame",
          DEFAULT_PROP_POST_MESSAGES, playing));

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
  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_MOBILENET_SCALE_MODE, 0);
}

static gboolean
mobilenet_element_init (GstPlugin * plugin)
{
  GST_DEBUG_CATEGORY_INIT (gst_mobilenet_debug, "mobilenet", 0,
      "MobileNet image classifier");
  gst_mobilenet_engine_debug_init ();
  gst_mobilenet_meta_register ();
  return gst_element_register (plugin, "mobilenet", GST_RANK_NONE,
      GST_TYPE_MOBILENET);
}
