/* test_stress.c: load and fault tests of the mobilenet element.
 *
 * - 8 pipelines in parallel threads sharing one model, 300 frames each:
 *   every buffer comes out, in order, timestamps, offsets and flags intact,
 *   each with the engine's own result for its content;
 * - state storms (200 random pipeline states while buffers flow), flushing
 *   seeks and EOS mid-stream, renegotiation to another size and format
 *   every few frames;
 * - property storms: top-k, threshold, inference-interval and overlay set
 *   from other threads while buffers flow; the model set while PLAYING is
 *   refused with a warning (documented on the property);
 * - faults: the model file truncated and deleted while a pipeline runs
 *   (the engine copied everything at load), threads far above the cores,
 *   frames smaller than their caps, labels files of the wrong size or kind.
 *
 * Sized for a few minutes on 2 cores with the smallest shared model;
 * MN_STRESS_SCALE=0.1 (say) shortens every loop, e.g. under valgrind. */
#include <gst/check/gstharness.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "elements_util.h"
#include "engine_reference.h"
#include "gstmobilenetmeta.h"
#include "mobilenet.h"

#define MODEL_NAME "mobilenet_v1_0.25_128_quant.tflite"
#define N_PATTERNS 5

static gchar *model;
static gdouble scale = 1.0;

static guint
scaled (guint n)
{
  guint v = (guint) (n * scale);
  return v ? v : 1;
}

/* ------------------------------------------------------------------------ */
/* frames and the engine's answer for them */

static GstVideoInfo small_info;          /* RGB 64x48 */
static GstBuffer *patterns[N_PATTERNS];
static gint expect_id[N_PATTERNS];
static gfloat expect_score[N_PATTERNS];

static mn_model *ref_model;
static mn_session *ref_session;

/* The engine's top-1 for @buf, scaled the way the element scales it. */
static gint
engine_top1 (const GstVideoInfo *in_info, GstBuffer *buf, gfloat *score)
{
  if (ref_session == NULL) {
    mn_config cfg;
    mn_config_default (&cfg);
    if (mn_model_load (model, &cfg, &ref_model) != MN_OK ||
        mn_session_create (ref_model, &cfg, &ref_session) != MN_OK)
      return -1;
  }
  return engine_reference_top1 (ref_model, ref_session, in_info, buf,
      GST_MOBILENET_SCALE_MODE_STRETCH, score);
}

static void
make_patterns (void)
{
  gst_video_info_set_format (&small_info, GST_VIDEO_FORMAT_RGB, 64, 48);
  for (gint i = 0; i < N_PATTERNS; i++) {
    patterns[i] = eu_pattern_buffer (&small_info, 1000 + i * 77);
    expect_id[i] = engine_top1 (&small_info, patterns[i], &expect_score[i]);
  }
  CHECK (expect_id[0] >= 0, "engine results for %d patterns (%d %d %d %d %d)",
      N_PATTERNS, expect_id[0], expect_id[1], expect_id[2], expect_id[3],
      expect_id[4]);
}

static gboolean
meta_matches (GstBuffer *buf, gint pattern)
{
  gint id = -2;
  gdouble score = -1;

  if (!eu_meta_top1 (buf, &id, NULL, &score))
    return FALSE;
  return id == expect_id[pattern] && (gfloat) score == expect_score[pattern];
}

/* ------------------------------------------------------------------------ */
/* 8 pipelines, one model */

#define N_PIPELINES 8

typedef struct {
  guint index, frames;
  guint out, in_order, flags_ok, meta_ok;
  gboolean error;
} ParallelJob;

static gpointer
parallel_job (gpointer data)
{
  ParallelJob *job = data;
  GstElement *pipe, *src, *sink;
  GstCaps *caps;
  gchar *desc;
  GstBus *bus;
  GstMessage *msg;

  desc = g_strdup_printf ("appsrc name=src format=time ! queue ! "
      "mobilenet model=\"%s\" threads=1 top-k=3 ! queue ! "
      "appsink name=sink sync=false", model);
  pipe = gst_parse_launch (desc, NULL);
  g_free (desc);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  caps = gst_video_info_to_caps (&small_info);
  g_object_set (src, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  for (guint i = 0; i < job->frames; i++) {
    GstBuffer *buf = gst_buffer_copy (patterns[(i + job->index) % N_PATTERNS]);
    GstFlowReturn ret;

    GST_BUFFER_PTS (buf) = i * GST_SECOND / 30;
    GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
    GST_BUFFER_OFFSET (buf) = i;
    GST_BUFFER_OFFSET_END (buf) = i + 1;
    if (i % 7 == 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    if (i % 11 == 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_MARKER);
    g_signal_emit_by_name (src, "push-buffer", buf, &ret);
    gst_buffer_unref (buf);
    if (ret != GST_FLOW_OK)
      break;
  }
  {
    GstFlowReturn ret;
    g_signal_emit_by_name (src, "end-of-stream", &ret);
  }

  for (guint i = 0;; i++) {
    GstSample *sample = NULL;
    GstBuffer *buf;
    guint expect_flags;

    g_signal_emit_by_name (sink, "pull-sample", &sample);
    if (sample == NULL)
      break;
    buf = gst_sample_get_buffer (sample);
    job->out++;
    if (GST_BUFFER_PTS (buf) == i * GST_SECOND / 30 &&
        GST_BUFFER_DURATION (buf) == GST_SECOND / 30 &&
        GST_BUFFER_OFFSET (buf) == i && GST_BUFFER_OFFSET_END (buf) == i + 1)
      job->in_order++;
    expect_flags = (i % 7 == 0 ? GST_BUFFER_FLAG_DELTA_UNIT : 0) |
        (i % 11 == 0 ? GST_BUFFER_FLAG_MARKER : 0) |
        (i == 0 ? GST_BUFFER_FLAG_DISCONT : 0);
    if ((GST_BUFFER_FLAGS (buf) & (GST_BUFFER_FLAG_DELTA_UNIT |
                GST_BUFFER_FLAG_MARKER)) == (expect_flags &
            (GST_BUFFER_FLAG_DELTA_UNIT | GST_BUFFER_FLAG_MARKER)))
      job->flags_ok++;
    if (meta_matches (buf, (i + job->index) % N_PATTERNS))
      job->meta_ok++;
    gst_sample_unref (sample);
  }

  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  job->error = msg == NULL || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR;
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return NULL;
}

static void
check_parallel (void)
{
  ParallelJob jobs[N_PIPELINES];
  GThread *threads[N_PIPELINES];
  guint frames = scaled (300);
  gint64 t0 = g_get_monotonic_time ();

  for (guint i = 0; i < N_PIPELINES; i++) {
    memset (&jobs[i], 0, sizeof jobs[i]);
    jobs[i].index = i;
    jobs[i].frames = frames;
    threads[i] = g_thread_new ("pipeline", parallel_job, &jobs[i]);
  }
  for (guint i = 0; i < N_PIPELINES; i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < N_PIPELINES; i++) {
    CHECK (!jobs[i].error && jobs[i].out == frames &&
        jobs[i].in_order == frames && jobs[i].flags_ok == frames &&
        jobs[i].meta_ok == frames,
        "pipeline %u of %d: %u/%u out, %u in order with timestamps, %u with "
        "flags, %u with the engine's class", i, N_PIPELINES, jobs[i].out,
        frames, jobs[i].in_order, jobs[i].flags_ok, jobs[i].meta_ok);
  }
  printf ("# %d x %u frames in %.1f s\n", N_PIPELINES, frames,
      (g_get_monotonic_time () - t0) / 1e6);
}

/* ------------------------------------------------------------------------ */
/* state storms, seeks, EOS */

static GstPadProbeReturn
count_meta (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  gint *counts = data;          /* [0] buffers, [1] with a meta */
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  g_atomic_int_inc (&counts[0]);
  if (gst_buffer_get_mobilenet_meta (buf))
    g_atomic_int_inc (&counts[1]);
  return GST_PAD_PROBE_OK;
}

static GstElement *
storm_pipeline (gint * counts, const gchar * extra)
{
  gchar *desc = g_strdup_printf ("videotestsrc pattern=ball ! "
      "video/x-raw,format=I420,width=64,height=48,framerate=30/1 ! "
      "mobilenet name=m model=\"%s\" threads=1 %s ! fakesink name=sink "
      "sync=false", model, extra);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  g_free (desc);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_meta, counts, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  return pipe;
}

static guint
bus_errors (GstElement * pipe)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
    GError *err = NULL;
    gst_message_parse_error (msg, &err, NULL);
    printf ("# error: %s\n", err->message);
    g_clear_error (&err);
    gst_message_unref (msg);
    n++;
  }
  gst_object_unref (bus);
  return n;
}

static void
check_state_storm (void)
{
  static const GstState states[] = { GST_STATE_NULL, GST_STATE_READY,
    GST_STATE_PAUSED, GST_STATE_PLAYING
  };
  gint counts[2] = { 0, 0 };
  GstElement *pipe = storm_pipeline (counts, "");
  GRand *rand = g_rand_new_with_seed (4242);
  guint changes = scaled (200), failures = 0, before;

  for (guint i = 0; i < changes; i++) {
    GstState target = states[g_rand_int_range (rand, 0, 4)];
    GstStateChangeReturn r = gst_element_set_state (pipe, target);
    if (r == GST_STATE_CHANGE_ASYNC)
      r = gst_element_get_state (pipe, NULL, NULL, 10 * GST_SECOND);
    if (r == GST_STATE_CHANGE_FAILURE)
      failures++;
    g_usleep (g_rand_int_range (rand, 0, 3000));
  }
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  gst_element_get_state (pipe, NULL, NULL, 10 * GST_SECOND);
  before = g_atomic_int_get (&counts[0]);
  g_usleep (300 * 1000);
  CHECK (failures == 0 && bus_errors (pipe) == 0,
      "%u random state changes: no failure, no error", changes);
  CHECK (g_atomic_int_get (&counts[0]) > (gint) before,
      "buffers still flow after the storm (%d in all)", counts[0]);
  CHECK (counts[0] == counts[1], "every buffer carried a meta (%d/%d)",
      counts[1], counts[0]);

  /* flushing seeks, then EOS mid-stream */
  guint seek_ok = 0;
  for (guint i = 0; i < scaled (20); i++) {
    if (gst_element_seek_simple (pipe, GST_FORMAT_TIME,
            GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
            g_rand_int_range (rand, 0, 100) * GST_SECOND))
      seek_ok++;
    g_usleep (g_rand_int_range (rand, 0, 20000));
  }
  CHECK (seek_ok == scaled (20), "%u flushing seeks while playing", seek_ok);
  /* A flushing seek makes the sinks preroll again and the pipeline return
   * to PLAYING asynchronously; an EOS sent to the pipeline meanwhile holds
   * its state lock while the source's streaming thread waits for that
   * return (a GStreamer deadlock that valgrind's slowness finds).  An
   * application waits for the seek to complete first, and so does this. */
  CHECK (gst_element_get_state (pipe, NULL, NULL, 120 * GST_SECOND)
      == GST_STATE_CHANGE_SUCCESS, "the pipeline is back to PLAYING after the seeks");
  gst_element_send_event (pipe, gst_event_new_eos ());
  {
    GstBus *bus = gst_element_get_bus (pipe);
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    CHECK (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
        "EOS mid-stream reaches the bus");
    if (msg)
      gst_message_unref (msg);
    gst_object_unref (bus);
  }
  CHECK (counts[0] == counts[1], "every buffer carried a meta (%d/%d)",
      counts[1], counts[0]);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  g_rand_free (rand);
}

/* Another size and format every few frames, through a harness. */
static void
check_renegotiation (void)
{
  static const gchar *formats[] = { "RGB", "BGRx", "I420", "NV12", "YUY2",
    "GRAY8", "ABGR", "UYVY"
  };
  GstHarness *h;
  GRand *rand = g_rand_new_with_seed (7);
  gchar *desc = g_strdup_printf ("mobilenet model=\"%s\" threads=1", model);
  guint out = 0, meta = 0, same = 0, pushed = 0, right = 0;

  h = gst_harness_new_parse (desc);
  g_free (desc);
  for (guint n = 0; n < scaled (60); n++) {
    const gchar *fmt = formats[g_rand_int_range (rand, 0, G_N_ELEMENTS (formats))];
    gint w = g_rand_int_range (rand, 1, 200), hh = g_rand_int_range (rand, 1, 150);
    gchar *caps_str = g_strdup_printf ("video/x-raw,format=%s,width=%d,"
        "height=%d,framerate=30/1", fmt, w, hh);
    GstCaps *caps = gst_caps_from_string (caps_str);
    GstVideoInfo info;

    gst_video_info_from_caps (&info, caps);
    gst_harness_set_src_caps (h, caps);
    g_free (caps_str);
    for (guint f = 0; f < 3; f++) {
      GstBuffer *in = eu_pattern_buffer (&info, n * 3 + f);
      GstBuffer *ref = gst_buffer_copy_deep (in);
      GstBuffer *o;
      gfloat score = 0;
      gint id = engine_top1 (&info, ref, &score), got = -2;
      gdouble got_score = -1;

      pushed++;
      o = gst_harness_push_and_pull (h, in);
      if (o) {
        out++;
        meta += eu_meta_top1 (o, &got, NULL, &got_score);
        same += eu_buffers_equal (o, ref);
        if (got == id && (gfloat) got_score == score)
          right++;
        else
          printf ("# %s %dx%d frame %u: element class %d (%f), engine %d (%f)\n",
              fmt, w, hh, f, got, got_score, id, score);
        gst_buffer_unref (o);
      }
      gst_buffer_unref (ref);
    }
  }
  CHECK (out == pushed && meta == pushed && same == pushed && right == pushed,
      "renegotiated %u times: %u/%u frames out, %u with a meta, %u unchanged, "
      "%u with the engine's class", scaled (60), out, pushed, meta, same, right);
  gst_harness_teardown (h);
  g_rand_free (rand);
}

/* ------------------------------------------------------------------------ */
/* property storms */

static void
prop_storm (gpointer thread, gpointer data)
{
  GstElement *e = GST_ELEMENT (data);
  static gint turn;
  gint i = g_atomic_int_add (&turn, 1);

  switch (i % 4) {
    case 0:
      g_object_set (e, "top-k", (guint) (1 + i % 10), NULL);
      break;
    case 1:
      g_object_set (e, "threshold", (i % 3) * 0.3, NULL);
      break;
    case 2:
      g_object_set (e, "inference-interval", (guint) (1 + i % 4), NULL);
      break;
    default:
      g_object_set (e, "overlay", (gboolean) (i % 2), NULL);
      break;
  }
}

static void
prop_storm_init (gpointer thread, gpointer data)
{
}

static guint warnings;

static void
count_warning (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer data)
{
  if (strstr (message, "can only be changed"))
    g_atomic_int_inc (&warnings);
  else
    g_log_default_handler (domain, level, message, data);
}

static void
check_property_storm (void)
{
  GstHarness *h;
  GstElement *e;
  GstHarnessThread *threads[3];
  gchar *desc = g_strdup_printf ("mobilenet name=m model=\"%s\" threads=1", model);
  gchar *other = eu_model ("mobilenet_v1_0.25_128_float.tflite");
  gchar *now = NULL;
  guint frames = scaled (300), out = 0, meta = 0, bad_k = 0;
  guint handler;

  h = gst_harness_new_parse (desc);
  g_free (desc);
  e = eu_harness_element (h, "m");
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&small_info));
  /* three threads, each cycling through all four properties */
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = gst_harness_stress_custom_start (h, prop_storm_init,
        prop_storm, e, 100);

  handler = g_log_set_handler ("GStreamer", G_LOG_LEVEL_WARNING, count_warning, NULL);
  g_log_set_handler (NULL, G_LOG_LEVEL_WARNING, count_warning, NULL);
  for (guint i = 0; i < frames; i++) {
    GstBuffer *o = gst_harness_push_and_pull (h,
        gst_buffer_copy_deep (patterns[i % N_PATTERNS]));
    if (o) {
      const GstStructure *s = gst_buffer_get_mobilenet_meta (o);
      out++;
      if (s) {
        meta++;
        bad_k += gst_mobilenet_structure_get_n_classes (s) > 10;
      }
      gst_buffer_unref (o);
    }
    if (i == frames / 2)        /* the model, while PLAYING: refused */
      g_object_set (e, "model", other, NULL);
  }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    gst_harness_stress_thread_stop (threads[i]);
  g_object_get (e, "model", &now, NULL);
  CHECK (out == frames && meta == frames && bad_k == 0,
      "property storm from 3 threads: %u/%u frames out, %u with a meta",
      out, frames, meta);
  CHECK (g_strcmp0 (now, model) == 0 && warnings == 1,
      "model set while PLAYING: refused with a warning (%u), still %s",
      warnings, now);
  g_log_remove_handler ("GStreamer", handler);
  g_log_set_handler (NULL, G_LOG_LEVEL_WARNING, g_log_default_handler, NULL);
  g_free (now);
  g_free (other);
  gst_object_unref (e);
  gst_harness_teardown (h);
}

/* ------------------------------------------------------------------------ */
/* faults */

static gboolean
copy_file (const gchar * from, const gchar * to)
{
  gchar *data = NULL;
  gsize n = 0;
  gboolean ok = g_file_get_contents (from, &data, &n, NULL) &&
      g_file_set_contents (to, data, n, NULL);
  g_free (data);
  return ok;
}

/* The element sits in a harness without a bus of its own: give it one. */
static GstHarness *
harness_with_bus (const gchar * desc, GstBus ** bus)
{
  GstHarness *h = gst_harness_new_empty ();

  *bus = gst_bus_new ();
  gst_harness_add_parse (h, desc);
  gst_element_set_bus (h->element, *bus);
  return h;
}

/* A bare element with properties from @props (a gst-launch fragment)
 * taken to PAUSED, which starts it; returns whether that worked and the
 * text of the ERROR it posted, if any. */
static gboolean
start_element (const gchar * props, gchar ** error_text)
{
  gchar *desc = g_strdup_printf ("mobilenet %s", props);
  GstElement *e = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  gboolean ok;

  gst_element_set_bus (e, bus);
  ok = gst_element_set_state (e, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE;
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (error_text)
    *error_text = NULL;
  if (msg) {
    GError *err = NULL;
    gchar *dbg = NULL;
    gst_message_parse_error (msg, &err, &dbg);
    if (error_text)
      *error_text = g_strdup_printf ("%s | %s", err->message, dbg);
    ok = FALSE;
    g_clear_error (&err);
    g_free (dbg);
    gst_message_unref (msg);
  }
  gst_element_set_state (e, GST_STATE_NULL);
  /* queued messages hold the element, which holds the bus */
  gst_bus_set_flushing (bus, TRUE);
  gst_element_set_bus (e, NULL);
  gst_object_unref (e);
  gst_object_unref (bus);
  g_free (desc);
  return ok;
}

static void
check_model_truncated (void)
{
  gchar *dir = g_dir_make_tmp ("mn-stress-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "model.tflite", NULL);
  gchar *desc;
  GstHarness *h;
  guint ok = 0, frames = scaled (60);

  CHECK (copy_file (model, path), "copied the model to %s", path);
  desc = g_strdup_printf ("mobilenet name=m model=\"%s\" threads=1", path);
  h = gst_harness_new_parse (desc);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&small_info));
  for (guint i = 0; i < frames; i++) {
    GstBuffer *o;
    if (i == frames / 3)
      CHECK (truncate (path, 100) == 0, "truncated the model file mid-run");
    if (i == 2 * frames / 3)
      CHECK (g_unlink (path) == 0, "deleted the model file mid-run");
    o = gst_harness_push_and_pull (h, gst_buffer_copy_deep (patterns[i % N_PATTERNS]));
    if (o) {
      ok += meta_matches (o, i % N_PATTERNS);
      gst_buffer_unref (o);
    }
  }
  CHECK (ok == frames, "%u/%u frames classified right before and after the "
      "file was truncated and deleted", ok, frames);
  gst_harness_teardown (h);

  /* Starting again now fails cleanly: an error, not a crash. */
  copy_file (model, path);
  CHECK (truncate (path, 1000) == 0, "a truncated copy");
  {
    gchar *props = g_strdup_printf ("model=\"%s\"", path), *err = NULL;
    /* not inside CHECK's arguments: err must be read after the call */
    gboolean refused = !start_element (props, &err) && err != NULL;
    CHECK (refused, "starting on a truncated model fails with an ERROR (%s)",
        err ? err : "none");
    g_free (err);
    g_free (props);
  }
  g_unlink (path);
  g_rmdir (dir);
  g_free (desc);
  g_free (path);
  g_free (dir);
}

static void
check_many_threads (void)
{
  gchar *desc = g_strdup_printf ("mobilenet model=\"%s\" threads=64", model);
  GstHarness *h = gst_harness_new_parse (desc);
  guint ok = 0;

  gst_harness_set_src_caps (h, gst_video_info_to_caps (&small_info));
  for (guint i = 0; i < scaled (20); i++) {
    GstBuffer *o = gst_harness_push_and_pull (h,
        gst_buffer_copy_deep (patterns[i % N_PATTERNS]));
    if (o) {
      ok += meta_matches (o, i % N_PATTERNS);
      gst_buffer_unref (o);
    }
  }
  CHECK (ok == scaled (20), "threads=64 on %u cores: same classes (%u/%u)",
      g_get_num_processors (), ok, scaled (20));
  gst_harness_teardown (h);
  g_free (desc);
}

/* Frames smaller than their caps, and metas that promise more than the
 * buffer holds: dropped with a warning, the stream goes on. */
static void
check_short_frames (void)
{
  gchar *desc = g_strdup_printf ("mobilenet model=\"%s\" threads=1", model);
  GstBus *bus;
  GstHarness *h = harness_with_bus (desc, &bus);
  GstVideoInfo info;
  GstBuffer *buf, *o;
  GstMessage *msg;
  gsize offset[4] = { 0 };
  gint stride[4] = { 64 * 3 + 64 };

  gst_harness_play (h);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, 64, 48);
  gst_harness_set_src_caps (h, gst_video_info_to_caps (&info));
  buf = gst_buffer_new_allocate (NULL, info.size / 2, NULL);
  gst_buffer_memset (buf, 0, 7, info.size / 2);
  CHECK (gst_harness_push (h, buf) == GST_FLOW_OK
      && gst_harness_buffers_in_queue (h) == 0, "a half-size frame is dropped");
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  CHECK (msg != NULL, "with a WARNING message");
  if (msg)
    gst_message_unref (msg);

  /* a meta with rows longer than the caps' and a buffer of the caps' size */
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_buffer_memset (buf, 0, 7, info.size);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_RGB, 64, 48, 1, offset, stride);
  CHECK (gst_harness_push (h, buf) == GST_FLOW_OK
      && gst_harness_buffers_in_queue (h) == 0,
      "a frame whose meta overruns the buffer is dropped");

  o = gst_harness_push_and_pull (h, gst_buffer_copy_deep (patterns[0]));
  CHECK (o && meta_matches (o, 0), "the next good frame is classified");
  if (o)
    gst_buffer_unref (o);
  CHECK ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR)) == NULL,
      "no ERROR for bad frames");
  if (msg)
    gst_message_unref (msg);
  /* queued messages hold the element, which holds the bus */
  gst_bus_set_flushing (bus, TRUE);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
  g_free (desc);
}

/* Labels the element must refuse with an ERROR, or read right. */
static gboolean
start_with_labels (const gchar * labels, gchar ** error_text)
{
  gchar *props = g_strdup_printf ("model=\"%s\" labels=\"%s\"", model, labels);
  gboolean ok = start_element (props, error_text);

  g_free (props);
  return ok;
}

/* The element refuses @labels with an ERROR mentioning @expect (if set). */
static void
check_labels_refused (const gchar * labels, const gchar * expect,
    const gchar * what)
{
  gchar *err = NULL;
  /* not inside CHECK's arguments: err must be read after the call */
  gboolean refused = !start_with_labels (labels, &err) && err != NULL
      && (expect == NULL || strstr (err, expect) != NULL);

  CHECK (refused, "%s: ERROR (%s)", what, err ? err : "none");
  g_free (err);
}

static void
check_labels (void)
{
  gchar *dir = g_dir_make_tmp ("mn-labels-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "labels.txt", NULL);
  GString *text = g_string_new ("\xEF\xBB\xBF");
  int fd;

  for (gint i = 0; i < 1001; i++)
    g_string_append_printf (text, "label %d\r\n", i);
  g_file_set_contents (path, text->str, text->len, NULL);
  CHECK (start_with_labels (path, NULL), "1001 labels with a BOM and CRLF: starts");

  g_file_set_contents (path, "a\nb\nc\n", -1, NULL);
  check_labels_refused (path, "3 labels", "3 labels for 1001 classes");

  g_string_append (text, "one too many\nand another\n");
  g_file_set_contents (path, text->str, text->len, NULL);
  check_labels_refused (path, NULL, "1003 labels");

  g_file_set_contents (path, "\xff\xfe\n\x80\n", -1, NULL);
  check_labels_refused (path, NULL, "2 lines of non-UTF-8 bytes");

  check_labels_refused (dir, NULL, "a directory");

  fd = open (path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
  CHECK (fd >= 0 && ftruncate (fd, 100 << 20) == 0, "a 100 MB labels file");
  if (fd >= 0)
    close (fd);
  check_labels_refused (path, NULL, "a 100 MB labels file");

  g_unlink (path);
  g_rmdir (dir);
  g_string_free (text, TRUE);
  g_free (path);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  const gchar *s = g_getenv ("MN_STRESS_SCALE");

  eu_init (&argc, &argv);
  if (s && g_ascii_strtod (s, NULL) > 0)
    scale = g_ascii_strtod (s, NULL);
  model = eu_model (MODEL_NAME);
  make_patterns ();

  /* MN_STRESS_ONLY=name runs one part (parallel, storm, renegotiation,
   * properties, truncated, threads, short, labels) */
#define PART(name, fn) \
  if (!g_getenv ("MN_STRESS_ONLY") || !strcmp (g_getenv ("MN_STRESS_ONLY"), name)) \
    fn ()
  PART ("parallel", check_parallel);
  PART ("storm", check_state_storm);
  PART ("renegotiation", check_renegotiation);
  PART ("properties", check_property_storm);
  PART ("truncated", check_model_truncated);
  PART ("threads", check_many_threads);
  PART ("short", check_short_frames);
  PART ("labels", check_labels);
#undef PART

  for (gint i = 0; i < N_PATTERNS; i++)
    gst_buffer_unref (patterns[i]);
  mn_session_destroy (&ref_session);
  mn_model_unref (&ref_model);
  g_free (model);
  return eu_finish ();
}
