/* test_mobilenet_pipeline.c: real pipelines: caps changes mid-stream, the
 * meta surviving videoconvert/videoscale/queue, errors for bad models and
 * labels, state cycles, two pipelines in two threads sharing one model,
 * and READY-only properties refused while PLAYING.
 *
 * Usage: test-mobilenet-pipeline [--cycles N] */
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "elements_util.h"
#include "gstmobilenetmeta.h"

#ifndef MOBILENET_MODEL_DIR
# error "meson defines MOBILENET_MODEL_DIR and MOBILENET_DEFAULT_MODEL"
#endif

static gchar *model;            /* the small V1 model */
static gchar *tmpdir;

/* Waits for an element "mobilenet" message, an error or EOS; returns the
 * message (or NULL after @timeout_s). */
static GstMessage *
wait_message (GstElement *pipe, gdouble timeout_s)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m;

  for (;;) {
    m = gst_bus_timed_pop_filtered (bus, timeout_s * GST_SECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (m == NULL || GST_MESSAGE_TYPE (m) != GST_MESSAGE_ELEMENT ||
        gst_message_has_name (m, "mobilenet"))
      break;
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  return m;
}

static void
check_caps_change (void)
{
  static const struct {
    const gchar *format;
    gint w, h;
  } steps[] = {
    {"RGB", 320, 240}, {"I420", 640, 360}, {"GRAY8", 17, 5}, {"NV12", 2, 2},
    {"RGB", 320, 240},
  };
  gchar *desc = g_strdup_printf ("mobilenet model=\"%s\"", model);
  GstHarness *h = gst_harness_new_parse (desc);

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++) {
    GstVideoInfo info;
    GstBuffer *in, *ref, *out;
    gint id = -1;
    gboolean has;
    gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
        "framerate=25/1", steps[i].format, steps[i].w, steps[i].h);

    gst_harness_set_src_caps_str (h, caps);
    gst_video_info_set_format (&info,
        gst_video_format_from_string (steps[i].format), steps[i].w,
        steps[i].h);
    for (gint n = 0; n < 2; n++) {
      in = eu_pattern_buffer (&info, i + n);
      ref = gst_buffer_copy_deep (in);
      out = gst_harness_push_and_pull (h, in);
      has = out && eu_meta_top1 (out, &id, NULL, NULL);
      CHECK (has && eu_buffers_equal (out, ref),
          "caps change step %u (%s %dx%d) frame %d: unchanged, meta class %d",
          i, steps[i].format, steps[i].w, steps[i].h, n, id);
      gst_clear_buffer (&out);
      gst_buffer_unref (ref);
    }
    g_free (caps);
  }
  gst_harness_teardown (h);
  g_free (desc);
}

/* The meta has no tags: videoconvert, videoscale, queue and tee keep it. */
static void
check_meta_survives (void)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=2 ! "
      "video/x-raw,format=RGB,width=160,height=120 ! mobilenet model=\"%s\" ! "
      "tee ! queue ! videoconvert ! videoscale ! "
      "video/x-raw,format=I420,width=64,height=48 ! appsink name=sink", model);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstSample *s = NULL;
  gint id = -1;
  gboolean has = FALSE;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_signal_emit_by_name (sink, "pull-sample", &s);
  if (s)
    has = eu_meta_top1 (gst_sample_get_buffer (s), &id, NULL, NULL);
  CHECK (has && id >= 0, "meta kept through tee, queue, videoconvert and "
      "videoscale (class %d)", id);
  if (s)
    gst_sample_unref (s);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
}

/* A pipeline with "mobilenet <props>" must fail with an error message of
 * @domain/@code whose text contains @text and whose debug contains
 * @debug_text. */
static void
check_error (const gchar *what, const gchar *props, GQuark domain, gint code,
    const gchar *text, const gchar *debug_text)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 ! mobilenet %s ! "
      "fakesink", props);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstStateChangeReturn ret;
  GstMessage *m;
  GError *err = NULL;
  gchar *dbg = NULL;

  ret = gst_element_set_state (pipe, GST_STATE_PLAYING);
  m = wait_message (pipe, 10);
  CHECK (ret == GST_STATE_CHANGE_FAILURE, "%s: state change fails", what);
  CHECK (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR,
      "%s: ERROR message on the bus", what);
  if (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (m, &err, &dbg);
    CHECK (err->domain == domain && err->code == code,
        "%s: error %s %d (want %s %d)", what, g_quark_to_string (err->domain),
        err->code, g_quark_to_string (domain), code);
    CHECK (strstr (err->message, text) != NULL, "%s: says \"%s\"", what,
        err->message);
    CHECK (dbg && strstr (dbg, debug_text) != NULL, "%s: details \"%s\"",
        what, dbg ? strrchr (dbg, '\n') ? strrchr (dbg, '\n') + 1 : dbg : "");
    g_clear_error (&err);
    g_free (dbg);
  }
  if (m)
    gst_message_unref (m);
  CHECK (gst_element_set_state (pipe, GST_STATE_NULL) ==
      GST_STATE_CHANGE_SUCCESS, "%s: back to NULL cleanly", what);
  gst_object_unref (pipe);
  g_free (desc);
}

static gchar *
write_tmp (const gchar *name, const void *data, gsize size)
{
  gchar *path = g_build_filename (tmpdir, name, NULL);

  g_file_set_contents (path, data, size, NULL);
  return path;
}

static void
check_errors (void)
{
  gchar *contents = NULL, *props, *text, *labels;
  gsize size = 0;
  gchar *missing = g_build_filename (tmpdir, "missing.tflite", NULL);
  gchar *garbage, *truncated, *textfile, *short_labels;
  guint8 noise[4096];
  GString *ten = g_string_new (NULL);

  for (guint i = 0; i < sizeof (noise); i++)
    noise[i] = (i * 7919u) >> 3;
  garbage = write_tmp ("garbage.tflite", noise, sizeof (noise));
  textfile = write_tmp ("text.tflite", "hello, world\n", 13);
  g_file_get_contents (model, &contents, &size, NULL);
  truncated = write_tmp ("truncated.tflite", contents, size / 3);
  g_free (contents);
  for (gint i = 0; i < 10; i++)
    g_string_append_printf (ten, "label %d\n", i);
  short_labels = write_tmp ("ten_labels.txt", ten->str, ten->len);
  g_string_free (ten, TRUE);

  props = g_strdup_printf ("model=\"%s\"", missing);
  text = g_strdup_printf ("Could not load model \"%s\".", missing);
  check_error ("missing model", props, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, text, "mn_model_load");
  g_free (props);
  g_free (text);

  props = g_strdup_printf ("model=\"%s\"", garbage);
  check_error ("garbage model", props, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, "garbage.tflite", "mn_model_load");
  g_free (props);

  props = g_strdup_printf ("model=\"%s\"", textfile);
  check_error ("text file as model", props, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, "Could not load model", "mn_");
  g_free (props);

  props = g_strdup_printf ("model=\"%s\"", truncated);
  check_error ("truncated model", props, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, "Could not load model", "mn_");
  g_free (props);

  props = g_strdup_printf ("model=\"%s\" labels=\"%s\"", model, short_labels);
  text = g_strdup_printf ("\"%s\"", short_labels);
  check_error ("10 labels for 1001 classes", props, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, text, "10");
  g_free (text);
  text = g_strdup_printf ("10 labels for 1001 classes");
  check_error ("labels count in the message", props, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, text, "1001");
  g_free (text);
  g_free (props);

  labels = g_build_filename (tmpdir, "no-such-labels.txt", NULL);
  props = g_strdup_printf ("model=\"%s\" labels=\"%s\"", model, labels);
  check_error ("missing labels file", props, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, "no-such-labels.txt", "");
  g_free (props);
  g_free (labels);

  /* no model anywhere (unless one is installed) */
  {
    const gchar *env = g_getenv ("GST_MOBILENET_MODEL");
    gchar *saved = g_strdup (env);
    gchar *installed = g_build_filename (MOBILENET_MODEL_DIR,
        MOBILENET_DEFAULT_MODEL, NULL);

    if (g_file_test (installed, G_FILE_TEST_EXISTS)) {
      printf ("# skipped \"no model at all\": %s is installed\n", installed);
      g_free (installed);
      g_free (saved);
      goto cleanup;
    }
    g_free (installed);

    g_unsetenv ("GST_MOBILENET_MODEL");
    check_error ("no model at all", "", GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_NOT_FOUND, "fetch-models.sh", "GST_MOBILENET_MODEL");
    if (saved)
      g_setenv ("GST_MOBILENET_MODEL", saved, TRUE);
    g_free (saved);
  }

cleanup:
  g_unlink (garbage);
  g_unlink (textfile);
  g_unlink (truncated);
  g_unlink (short_labels);
  g_free (garbage);
  g_free (textfile);
  g_free (truncated);
  g_free (short_labels);
  g_free (missing);
}

/* GST_MOBILENET_MODEL is used when the property is unset. */
static void
check_env_model (void)
{
  GstHarness *h;
  GstBuffer *out;
  const GstStructure *s;
  GstVideoInfo info;
  gchar *base_model = g_path_get_basename (model), *base_meta = NULL;

  g_setenv ("GST_MOBILENET_MODEL", model, TRUE);
  h = gst_harness_new ("mobilenet");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=32,"
      "height=32,framerate=1/1");
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, 32, 32);
  out = gst_harness_push_and_pull (h, eu_pattern_buffer (&info, 1));
  s = out ? gst_buffer_get_mobilenet_meta (out) : NULL;
  if (s && gst_structure_get_string (s, "model"))
    base_meta = g_path_get_basename (gst_structure_get_string (s, "model"));
  CHECK (g_strcmp0 (base_meta, base_model) == 0,
      "GST_MOBILENET_MODEL is used when model is unset (%s)", base_meta);
  gst_clear_buffer (&out);
  gst_harness_teardown (h);
  g_unsetenv ("GST_MOBILENET_MODEL");
  g_free (base_model);
  g_free (base_meta);
}

static void
check_cycles (gint cycles)
{
  gchar *desc = g_strdup_printf ("videotestsrc ! video/x-raw,width=96,"
      "height=64,framerate=30/1 ! mobilenet model=\"%s\" post-messages=all ! "
      "fakesink", model);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  gint good = 0;

  for (gint i = 0; i < cycles; i++) {
    GstMessage *m;

    gst_element_set_state (pipe, GST_STATE_PLAYING);
    m = wait_message (pipe, 10);
    if (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT)
      good++;
    if (m)
      gst_message_unref (m);
    if (gst_element_set_state (pipe, GST_STATE_NULL) !=
        GST_STATE_CHANGE_SUCCESS)
      break;
  }
  CHECK (good == cycles, "%d NULL->PLAYING->NULL cycles, each classified "
      "(%d)", cycles, good);
  gst_object_unref (pipe);
  g_free (desc);
}

/* Two pipelines in two threads: the second element must share the model
 * the first loaded ("using model ... (2 users)" in the debug log). */
static GMutex share_lock;
static GCond share_cond;
static gint share_running;
static gint share_users_max;
static gint share_classes[2];

static void
share_log (GstDebugCategory *cat, GstDebugLevel level, const gchar *file,
    const gchar *function, gint line, GObject *object, GstDebugMessage *msg,
    gpointer user_data)
{
  const gchar *text;
  guint users;

  if (strcmp (gst_debug_category_get_name (cat), "mobilenet") != 0)
    return;
  text = gst_debug_message_get (msg);
  if (text && g_str_has_prefix (text, "using model ") &&
      sscanf (strrchr (text, '('), "(%u users)", &users) == 1) {
    g_mutex_lock (&share_lock);
    share_users_max = MAX (share_users_max, (gint) users);
    g_mutex_unlock (&share_lock);
  }
}

static gpointer
share_thread (gpointer data)
{
  gint idx = GPOINTER_TO_INT (data);
  gchar *desc = g_strdup_printf ("videotestsrc pattern=snow ! "
      "video/x-raw,width=128,height=96 ! mobilenet model=\"%s\" "
      "post-messages=all ! fakesink", model);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstMessage *m;
  gint64 end = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  m = wait_message (pipe, 10);
  if (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT)
    gst_structure_get_int (gst_message_get_structure (m), "class-id",
        &share_classes[idx]);
  if (m)
    gst_message_unref (m);

  /* keep running until both pipelines are up */
  g_mutex_lock (&share_lock);
  share_running++;
  g_cond_broadcast (&share_cond);
  while (share_running < 2 && g_cond_wait_until (&share_cond, &share_lock,
          end));
  g_mutex_unlock (&share_lock);

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  g_free (desc);
  return NULL;
}

static void
check_shared_model (void)
{
  GThread *t[2];
  GstDebugLevel old = gst_debug_category_get_threshold (GST_CAT_DEFAULT);
  gboolean default_log = gst_debug_remove_log_function (gst_debug_log_default)
      > 0;

  (void) old;
  gst_debug_add_log_function (share_log, NULL, NULL);
  gst_debug_set_threshold_for_name ("mobilenet", GST_LEVEL_INFO);
  share_classes[0] = share_classes[1] = -2;

  t[0] = g_thread_new ("pipeline-a", share_thread, GINT_TO_POINTER (0));
  t[1] = g_thread_new ("pipeline-b", share_thread, GINT_TO_POINTER (1));
  g_thread_join (t[0]);
  g_thread_join (t[1]);

  gst_debug_unset_threshold_for_name ("mobilenet");
  gst_debug_remove_log_function (share_log);
  if (default_log)
    gst_debug_add_log_function (gst_debug_log_default, NULL, NULL);

  CHECK (share_running == 2, "two pipelines ran at the same time");
  CHECK (share_classes[0] >= 0 && share_classes[0] == share_classes[1],
      "both classified the same input alike (%d, %d)", share_classes[0],
      share_classes[1]);
  CHECK (share_users_max == 2, "the second element shared the cached model "
      "(max users %d)", share_users_max);
}

static gint warnings;

static void
count_warning (const gchar *domain, GLogLevelFlags level, const gchar *msg,
    gpointer user_data)
{
  warnings++;
  printf ("# warning: %s\n", msg);
}

static void
check_ready_only (void)
{
  gchar *desc = g_strdup_printf ("mobilenet name=mn model=\"%s\"", model);
  GstHarness *h = gst_harness_new_parse (desc);
  GstElement *e = eu_harness_element (h, "mn");
  GstVideoInfo info;
  GstBuffer *out;
  GLogFunc old;
  gchar *now = NULL;
  gint threads = -1;

  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=32,"
      "height=32,framerate=1/1");
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, 32, 32);
  out = gst_harness_push_and_pull (h, eu_pattern_buffer (&info, 5));
  gst_clear_buffer (&out);
  CHECK (GST_STATE (e) == GST_STATE_PLAYING, "element is PLAYING");

  old = g_log_set_default_handler (count_warning, NULL);
  warnings = 0;
  g_object_set (e, "model", "/elsewhere.tflite", NULL);
  g_object_set (e, "threads", 3, NULL);
  g_log_set_default_handler (old, NULL);
  g_object_get (e, "model", &now, "threads", &threads, NULL);
  CHECK (warnings == 2, "setting model and threads while PLAYING warns (%d)",
      warnings);
  CHECK (g_strcmp0 (now, model) == 0 && threads == 0,
      "model and threads unchanged while PLAYING");
  g_free (now);

  g_object_set (e, "top-k", 3, "overlay", TRUE, NULL);
  out = gst_harness_push_and_pull (h, eu_pattern_buffer (&info, 6));
  CHECK (out && gst_mobilenet_structure_get_n_classes
      (gst_buffer_get_mobilenet_meta (out)) == 3,
      "top-k set while PLAYING is used");
  gst_clear_buffer (&out);

  gst_element_set_state (h->element, GST_STATE_READY);
  g_object_set (e, "model", "/elsewhere.tflite", NULL);
  g_object_get (e, "model", &now, NULL);
  CHECK (g_strcmp0 (now, "/elsewhere.tflite") == 0, "model settable in READY");
  g_free (now);

  gst_object_unref (e);
  gst_harness_teardown (h);
  g_free (desc);
}

int
main (int argc, char **argv)
{
  gint cycles = 100;

  eu_init (&argc, &argv);
  for (gint i = 1; i < argc; i++)
    if (strcmp (argv[i], "--cycles") == 0 && i + 1 < argc)
      cycles = atoi (argv[++i]);

  model = eu_model ("mobilenet_v1_0.25_128_quant.tflite");
  tmpdir = g_dir_make_tmp ("mobilenet-test-XXXXXX", NULL);

  check_caps_change ();
  check_meta_survives ();
  check_errors ();
  check_env_model ();
  check_ready_only ();
  check_shared_model ();
  check_cycles (cycles);

  g_rmdir (tmpdir);
  g_free (tmpdir);
  g_free (model);
  return eu_finish ();
}
