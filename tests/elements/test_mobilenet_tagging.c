/* test_mobilenet_tagging.c: stream tagging with the mobilenet element:
 * stable labels on a flickering stream, label-change messages and tag
 * events (kept by matroskamux), class groups and allow/deny, skip-similar
 * on a static camera, async mode on a live source that is slower than
 * real time (no frame lost, no lag, ages), latency in both modes, and
 * flush/EOS/state changes stopping the worker.
 *
 * Usage: test-mobilenet-tagging [--quick]  (quick: shorter live runs, for
 * the leaks tracer) */
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "elements_util.h"
#include "gstmobilenetmeta.h"

static gchar *small_model;      /* V1 0.25 128 quant: fast */
static gchar *slow_model;       /* V2 float: slower than 60 fps on 1 thread
                                   with the C kernels (MOBILENET_FORCE_C=1) */
static gchar *labels;
static gchar *groups_file;
static gboolean quick;

/* A picture decoded and scaled to RGB @w x @h. */
static GstSample *
decode_scaled (const gchar *name, gint w, gint h)
{
  gchar *path = eu_image (name);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! "
      "videoconvert ! videoscale ! video/x-raw,format=RGB,width=%d,height=%d "
      "! appsink name=sink sync=false", path, w, h);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstSample *s = NULL;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_signal_emit_by_name (sink, "pull-sample", &s);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  g_free (path);
  return s;
}

static gint
meta_int (GstBuffer *b, const gchar *field)
{
  const GstStructure *s = b ? gst_buffer_get_mobilenet_meta (b) : NULL;
  gint v = -100;

  if (s)
    gst_structure_get_int (s, field, &v);
  return v;
}

static gint64
meta_int64 (GstBuffer *b, const gchar *field)
{
  const GstStructure *s = b ? gst_buffer_get_mobilenet_meta (b) : NULL;
  gint64 v = -100;

  if (s)
    gst_structure_get_int64 (s, field, &v);
  return v;
}

static void
check_properties (void)
{
  GstElement *e = gst_element_factory_make ("mobilenet", NULL);
  gint mode, smoothing, post, report;
  gdouble factor, margin, skip;
  guint window, dwell, max_reuse;
  gboolean tags;
  gchar *groups, *allow, *deny;

  g_object_get (e, "mode", &mode, "smoothing", &smoothing, "post-messages",
      &post, "report", &report, "smoothing-factor", &factor,
      "switch-margin", &margin, "skip-similar", &skip, "smoothing-window",
      &window, "min-dwell", &dwell, "max-reuse", &max_reuse, "tags", &tags,
      "groups", &groups, "allow", &allow, "deny", &deny, NULL);
  CHECK (mode == 0 && smoothing == 0 && post == 2 && report == 0,
      "defaults: mode auto, smoothing none, post-messages changes, report "
      "classes");
  CHECK (factor == 0.3 && window == 5 && dwell == 1 && margin == 0.0 &&
      skip == 0.0 && max_reuse == 30 && tags && !groups && !allow && !deny,
      "defaults: smoothing-factor 0.3, smoothing-window 5, min-dwell 1, "
      "switch-margin 0, skip-similar 0, max-reuse 30, tags on, no groups, "
      "allow, deny");
  gst_util_set_object_arg (G_OBJECT (e), "post-messages", "all");
  gst_util_set_object_arg (G_OBJECT (e), "mode", "async");
  gst_util_set_object_arg (G_OBJECT (e), "smoothing", "window");
  gst_util_set_object_arg (G_OBJECT (e), "report", "groups");
  g_object_get (e, "mode", &mode, "smoothing", &smoothing, "post-messages",
      &post, "report", &report, NULL);
  CHECK (post == 1 && mode == 2 && smoothing == 2 && report == 1,
      "enum nicks: post-messages=all mode=async smoothing=window "
      "report=groups");
  for (const gchar * const *n = (const gchar *[]) {"smoothing",
        "smoothing-factor", "smoothing-window", "min-dwell", "switch-margin",
        "skip-similar", "max-reuse", "tags", "allow", "deny", "post-messages",
        NULL}; *n; n++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (e), *n);
    CHECK (p && (p->flags & GST_PARAM_MUTABLE_PLAYING),
        "%s is mutable in PLAYING", *n);
  }
  for (const gchar * const *n = (const gchar *[]) {"mode", "groups",
        "report", NULL}; *n; n++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (e), *n);
    CHECK (p && (p->flags & GST_PARAM_MUTABLE_READY) &&
        !(p->flags & GST_PARAM_MUTABLE_PLAYING), "%s is mutable in READY "
        "only", *n);
  }
  g_free (groups);
  g_free (allow);
  g_free (deny);
  gst_object_unref (e);
}

/* Cat and bird frames alternating: the raw label flips every frame, the
 * stable one at most once per min-dwell; one message and one tag event
 * per stable change. */
static void
check_flicker (void)
{
  GstSample *cat = decode_scaled ("cat.png", 224, 224);
  GstSample *bird = decode_scaled ("bird.png", 224, 224);
  gchar *desc = g_strdup_printf ("mobilenet model=\"%s\" labels=\"%s\" "
      "smoothing=ema smoothing-factor=0.3 min-dwell=5", small_model, labels);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GstEvent *ev;
  gint raw_changes = 0, changes = 0, last_raw = -2, last = -2, since = 100,
      min_gap = 100, msgs = 0, tag_events = 0, first_msg_ok = 0;
  const gint frames = 40;
  gchar *last_label = NULL, *last_tag = NULL;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, gst_caps_copy (gst_sample_get_caps (cat)));
  for (gint i = 0; i < frames; i++) {
    GstBuffer *in = gst_buffer_copy (gst_sample_get_buffer (i % 2 ? bird :
            cat)), *out;
    const gchar *label = NULL;
    gint raw, id;

    GST_BUFFER_PTS (in) = i * GST_SECOND / 30;
    out = gst_harness_push_and_pull (h, in);
    raw = meta_int (out, "raw-class-id");
    id = meta_int (out, "class-id");
    if (raw != last_raw)
      raw_changes++;
    since++;
    if (id != last) {
      if (i > 0) {
        changes++;
        min_gap = MIN (min_gap, since);
      }
      since = 0;
      eu_meta_top1 (out, NULL, &label, NULL);
      g_free (last_label);
      last_label = g_strdup (label);
    }
    last_raw = raw;
    last = id;
    gst_buffer_unref (out);
  }
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (m);

    if (gst_structure_has_name (s, "mobilenet-label-changed")) {
      if (msgs == 0 && g_strcmp0 (gst_structure_get_string (s, "previous"),
              "") == 0 && gst_structure_has_field (s, "class-id") &&
          gst_structure_has_field (s, "score") &&
          gst_structure_has_field (s, "timestamp"))
        first_msg_ok = 1;
      msgs++;
    }
    CHECK (!gst_structure_has_name (s, "mobilenet") || FALSE,
        "post-messages=changes posts no per-frame message");
    gst_message_unref (m);
  }
  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_TAG) {
      GstTagList *tl;
      gchar *kw = NULL;
      gint id = -1;

      gst_event_parse_tag (ev, &tl);
      if (gst_tag_list_get_string (tl, GST_TAG_KEYWORDS, &kw) &&
          gst_tag_list_get_int (tl, "mobilenet-class-id", &id) && id >= 0) {
        tag_events++;
        g_free (last_tag);
        last_tag = kw;
      } else {
        g_free (kw);
      }
    }
    gst_event_unref (ev);
  }
  CHECK (raw_changes >= frames * 3 / 4, "alternating cat/bird: the raw "
      "label changes %d times in %d frames", raw_changes, frames);
  CHECK (changes <= frames / 5 && (changes == 0 || min_gap >= 5),
      "ema 0.3 + min-dwell 5: the stable label changes %d times, at least "
      "5 frames apart (min gap %d)", changes, min_gap);
  CHECK (msgs == changes + 1 && first_msg_ok, "one mobilenet-label-changed "
      "message per change, the first with previous=\"\" (%d)", msgs);
  CHECK (tag_events == changes + 1 && g_strcmp0 (last_tag, last_label) == 0,
      "one tag event per change, keywords = the label \"%s\" (%d)",
      last_tag, tag_events);
  g_free (last_tag);
  g_free (last_label);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_free (desc);
  gst_sample_unref (cat);
  gst_sample_unref (bird);
}

/* The label tags reach a Matroska file: COMMENT survives, read back. */
static GstPadProbeReturn
tag_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  gchar **comment = data;

  if (GST_EVENT_TYPE (ev) == GST_EVENT_TAG) {
    GstTagList *tl;
    gchar *c = NULL;

    gst_event_parse_tag (ev, &tl);
    if (gst_tag_list_get_string (tl, GST_TAG_COMMENT, &c)) {
      g_free (*comment);
      *comment = c;
    }
  }
  return GST_PAD_PROBE_OK;
}

static void
check_matroska (void)
{
  gchar *path = g_build_filename (g_get_tmp_dir (), "mobilenet-tags.mkv",
      NULL);
  gchar *cat = eu_image ("cat.png");
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! "
      "videoconvert ! imagefreeze num-buffers=5 ! video/x-raw,framerate=10/1 "
      "! mobilenet model=\"%s\" labels=\"%s\" ! videoconvert ! jpegenc ! "
      "matroskamux ! filesink location=\"%s\"", cat, small_model, labels,
      path);
  GstElement *pipe = gst_parse_launch (desc, NULL);

  g_free (cat);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m;
  gchar *label = NULL, *comment = NULL;
  GstElement *sink;
  GstPad *pad;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while ((m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
              GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR))) {
    gboolean done = GST_MESSAGE_TYPE (m) != GST_MESSAGE_ELEMENT;

    if (gst_message_has_name (m, "mobilenet-label-changed")) {
      g_free (label);
      label = g_strdup (gst_structure_get_string (gst_message_get_structure
              (m), "label"));
    }
    gst_message_unref (m);
    if (done)
      break;
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_free (desc);

  desc = g_strdup_printf ("filesrc location=\"%s\" ! matroskademux ! "
      "fakesink name=sink", path);
  pipe = gst_parse_launch (desc, NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, tag_probe,
      &comment, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipe);
  m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (m)
    gst_message_unref (m);
  gst_element_set_state (pipe, GST_STATE_NULL);
  CHECK (label && comment && strcmp (label, comment) == 0,
      "matroskamux ! filesink keeps the label as COMMENT: \"%s\" (label "
      "\"%s\")", comment, label);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_unlink (path);
  g_free (path);
  g_free (desc);
  g_free (label);
  g_free (comment);
}

/* One picture through "mobilenet <props>"; the output buffer. */
static GstBuffer *
run_one (GstSample *sample, const gchar *props)
{
  gchar *desc = g_strdup_printf ("mobilenet %s", props);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBuffer *out;

  gst_harness_set_src_caps (h, gst_caps_copy (gst_sample_get_caps (sample)));
  out = gst_harness_push_and_pull (h,
      gst_buffer_copy (gst_sample_get_buffer (sample)));
  gst_harness_teardown (h);
  g_free (desc);
  return out;
}

static void
check_groups (void)
{
  GstSample *cat = decode_scaled ("cat.png", 224, 224);
  gchar *model = eu_model ("mobilenet_v2_1.0_224_quant.tflite");
  gchar *props;
  GstBuffer *out;
  const gchar *label = NULL;
  const GstStructure *s;
  gint id = -1;
  gdouble score = 0;
  GstMobilenetClassScore c;
  gboolean no_286 = TRUE;

  props = g_strdup_printf ("model=\"%s\" groups=\"%s\" report=groups",
      model, groups_file);
  out = run_one (cat, props);
  s = out ? gst_buffer_get_mobilenet_meta (out) : NULL;
  eu_meta_top1 (out, &id, &label, &score);
  CHECK (g_strcmp0 (label, "cat") == 0 && id == 7 && score > 0.5 &&
      g_strcmp0 (gst_structure_get_string (s, "report"), "groups") == 0 &&
      g_strcmp0 (gst_structure_get_string (s, "raw-label"), "cat") == 0,
      "report=groups on cat.png: group 7 \"cat\" (%d \"%s\" %.3f)", id, label,
      score);
  gst_clear_buffer (&out);
  g_free (props);

  props = g_strdup_printf ("model=\"%s\" groups=\"%s\" report=groups "
      "deny=cat", model, groups_file);
  out = run_one (cat, props);
  eu_meta_top1 (out, &id, &label, NULL);
  CHECK (label && strcmp (label, "cat") != 0 && *label,
      "report=groups deny=cat: another group (\"%s\")", label);
  gst_clear_buffer (&out);
  g_free (props);

  props = g_strdup_printf ("model=\"%s\" groups=\"%s\" report=groups "
      "allow=\"flower, bird\"", model, groups_file);
  out = run_one (cat, props);
  eu_meta_top1 (out, &id, &label, NULL);
  CHECK (g_strcmp0 (label, "flower") == 0 || g_strcmp0 (label, "bird") == 0,
      "report=groups allow=\"flower, bird\": \"%s\"", label);
  s = out ? gst_buffer_get_mobilenet_meta (out) : NULL;
  CHECK (s && gst_mobilenet_structure_get_n_classes (s) == 2,
      "allow=\"flower, bird\": two groups in top-k");
  gst_clear_buffer (&out);
  g_free (props);

  props = g_strdup_printf ("model=\"%s\" labels=\"%s\" deny=\"286, *tabby*\" "
      "top-k=20", model, labels);
  out = run_one (cat, props);
  s = out ? gst_buffer_get_mobilenet_meta (out) : NULL;
  eu_meta_top1 (out, &id, &label, NULL);
  for (guint i = 0; s && i < gst_mobilenet_structure_get_n_classes (s); i++)
    if (gst_mobilenet_structure_get_class (s, i, &c) &&
        (c.class_id == 286 || c.class_id == 282))
      no_286 = FALSE;
  CHECK (s && id != 286 && id != 282 && no_286 &&
      gst_structure_get_int (s, "raw-class-id", &id) && id != 286,
      "classes, deny=\"286, *tabby*\": neither Egyptian cat nor tabby "
      "reported (%d \"%s\")", id, label);
  gst_clear_buffer (&out);
  g_free (props);

  props = g_strdup_printf ("model=\"%s\" labels=\"%s\" allow=\"dog, "
      "151-269\"", model, labels);
  out = run_one (cat, props);
  eu_meta_top1 (out, &id, &label, NULL);
  CHECK (id >= 151 && id <= 269, "classes, allow=151-269: a dog (%d \"%s\")",
      id, label);
  gst_clear_buffer (&out);
  g_free (props);

  g_free (model);
  gst_sample_unref (cat);
}

/* "videotestsrc ! mobilenet <props>" must fail to start with an error
 * containing @text. */
static void
check_start_error (const gchar *what, const gchar *props, const gchar *text)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 ! mobilenet "
      "model=\"%s\" %s ! fakesink", small_model, props);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m;
  GError *err = NULL;
  gchar *dbg = NULL;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  if (m)
    gst_message_parse_error (m, &err, &dbg);
  CHECK (err && (strstr (err->message, text) || (dbg && strstr (dbg, text))),
      "%s: error \"%s\" (%s)", what, err ? err->message : "(none)",
      dbg ? dbg : "");
  g_clear_error (&err);
  g_free (dbg);
  if (m)
    gst_message_unref (m);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_free (desc);
}

static void
check_errors (void)
{
  gchar *bad = g_build_filename (g_get_tmp_dir (), "mobilenet-bad-groups.txt",
      NULL);
  gchar *props;

  g_file_set_contents (bad, "cat 282-286\n", -1, NULL);
  check_start_error ("report=groups without groups", "report=groups",
      "groups");
  props = g_strdup_printf ("report=groups groups=\"%s\"", bad);
  check_start_error ("malformed groups file", props, "mobilenet-bad-groups");
  g_free (props);
  check_start_error ("missing groups file",
      "report=groups groups=/nonexistent/g.txt", "/nonexistent/g.txt");
  check_start_error ("allow out of range", "allow=5-2000", "5-2000");
  g_unlink (bad);
  g_free (bad);
}

/* Frames inferred out of @frames with "<src> ! mobilenet <props>". */
static gint
count_inferred (const gchar *src, const gchar *props, gint *frames)
{
  gchar *desc = g_strdup_printf ("%s ! mobilenet model=\"%s\" %s ! "
      "appsink name=sink sync=false", src, small_model, props);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstSample *s;
  gint inferred = 0;

  *frames = 0;
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  for (;;) {
    gboolean reused = TRUE;
    const GstStructure *st;

    g_signal_emit_by_name (sink, "pull-sample", &s);
    if (s == NULL)
      break;
    st = gst_buffer_get_mobilenet_meta (gst_sample_get_buffer (s));
    if (st && gst_structure_get_boolean (st, "reused", &reused) && !reused)
      inferred++;
    (*frames)++;
    gst_sample_unref (s);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  return inferred;
}

static void
check_skip_similar (void)
{
  gint frames, n;
  gchar *src, *cat;

  n = count_inferred ("videotestsrc pattern=solid-color num-buffers=100 ! "
      "video/x-raw,width=320,height=240", "skip-similar=0.02 max-reuse=30",
      &frames);
  printf ("# static camera (solid colour): %d of %d frames inferred\n", n,
      frames);
  CHECK (frames == 100 && n == 4, "solid colour, skip-similar=0.02 "
      "max-reuse=30: 4 of 100 frames inferred (%d of %d)", n, frames);

  cat = eu_image ("cat.png");
  src = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! videoconvert ! "
      "imagefreeze num-buffers=300", cat);
  g_free (cat);
  n = count_inferred (src, "skip-similar=0.02 max-reuse=100", &frames);
  printf ("# still picture (imagefreeze): %d of %d frames inferred\n", n,
      frames);
  CHECK (frames == 300 && n == 3, "imagefreeze cat.png, max-reuse=100: "
      "3 of 300 frames inferred (%d of %d)", n, frames);
  g_free (src);

  n = count_inferred ("videotestsrc pattern=snow num-buffers=30 ! "
      "video/x-raw,width=320,height=240", "skip-similar=0.02", &frames);
  CHECK (n == 30, "snow changes every frame: all inferred (%d of %d)", n,
      frames);
  n = count_inferred ("videotestsrc pattern=ball num-buffers=60 ! "
      "video/x-raw,width=320,height=240", "skip-similar=0.02 "
      "max-reuse=1000", &frames);
  printf ("# moving ball: %d of %d frames inferred\n", n, frames);
  CHECK (n > 1 && n < 60, "a moving ball: some frames inferred (%d of %d)",
      n, frames);
  n = count_inferred ("videotestsrc pattern=solid-color num-buffers=20",
      "", &frames);
  CHECK (n == 20, "skip-similar=0 (default): every frame inferred (%d)", n);
}

/* Live source at 60 fps, a model slower than that: async keeps up. */
typedef struct {
  GstElement *pipe;
  gint n;
  gint frames;
  gboolean in_order;
  GstClockTime last_pts;
  GstClockTimeDiff max_lag, max_lag_late, sum_lag;
  gint64 last_result, results, max_age;
  gint64 prev_age;
  gboolean ages_grow;
  gint with_result;
} LiveStats;

static GstPadProbeReturn
live_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  LiveStats *st = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClock *clock = gst_element_get_clock (st->pipe);
  gint64 rf = meta_int64 (buf, "result-frame");
  gint64 age = meta_int64 (buf, "age-frames");

  if (clock) {
    GstClockTime now = gst_clock_get_time (clock) -
        gst_element_get_base_time (st->pipe);
    /* videotestsrc: running time = pts */
    GstClockTimeDiff lag = GST_CLOCK_DIFF (GST_BUFFER_PTS (buf), now);

    st->max_lag = MAX (st->max_lag, lag);
    st->sum_lag += lag;
    if (st->frames >= st->n / 2)
      st->max_lag_late = MAX (st->max_lag_late, lag);
    gst_object_unref (clock);
  }
  if (st->frames > 0 && GST_BUFFER_PTS (buf) <= st->last_pts)
    st->in_order = FALSE;
  st->last_pts = GST_BUFFER_PTS (buf);
  st->frames++;
  if (rf >= 0) {
    st->with_result++;
    if (rf != st->last_result)
      st->results++;
    else if (age != st->prev_age + 1)
      st->ages_grow = FALSE;
    if (rf < st->last_result)
      st->in_order = FALSE;
    st->last_result = rf;
    st->max_age = MAX (st->max_age, age);
  }
  st->prev_age = age;
  return GST_PAD_PROBE_OK;
}

static void
check_live_async (void)
{
  gint n = quick ? 60 : 240;
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true num-buffers=%d "
      "pattern=ball ! video/x-raw,width=320,height=240,framerate=60/1 ! "
      "mobilenet name=mn model=\"%s\" threads=1 ! fakesink name=sink "
      "sync=true", n, slow_model);
  LiveStats st = { 0, };
  GstElement *sink, *mn;
  GstPad *pad;
  GstBus *bus;
  GstMessage *m;
  GstQuery *q;
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
  gint64 t0;

  st.pipe = gst_parse_launch (desc, NULL);
  st.n = n;
  st.in_order = TRUE;
  st.ages_grow = TRUE;
  st.last_result = -1;
  sink = gst_bin_get_by_name (GST_BIN (st.pipe), "sink");
  mn = gst_bin_get_by_name (GST_BIN (st.pipe), "mn");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, live_probe, &st, NULL);
  bus = gst_element_get_bus (st.pipe);
  t0 = g_get_monotonic_time ();
  gst_element_set_state (st.pipe, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  CHECK (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS, "live async: EOS "
      "after %.2f s for %.2f s of video", (g_get_monotonic_time () - t0) / 1e6,
      n / 60.0);
  if (m)
    gst_message_unref (m);

  /* the element's own answer: upstream's latency plus its own */
  q = gst_query_new_latency ();
  {
    GstPad *src = gst_element_get_static_pad (mn, "src");

    if (gst_pad_query (src, q))
      gst_query_parse_latency (q, &live, &min, &max);
    gst_object_unref (src);
  }
  gst_query_unref (q);

  printf ("# live 60 fps, V2 float on 1 thread: %d frames, %" G_GINT64_FORMAT
      " results, max age %" G_GINT64_FORMAT " frames, lag at the sink: "
      "mean %.1f ms, max %.1f ms, max in the second half %.1f ms\n",
      st.frames, st.results, st.max_age,
      st.sum_lag / 1e6 / MAX (st.frames, 1), st.max_lag / 1e6,
      st.max_lag_late / 1e6);
  CHECK (st.frames == n && st.in_order, "every input buffer came out, in "
      "order (%d of %d)", st.frames, n);
  /* a live videotestsrc pushes a frame once it is complete, one frame
   * (16.7 ms) after its running time; sync mode here lags by seconds */
  CHECK (st.max_lag_late < GST_SECOND / 60 + 50 * GST_MSECOND &&
      st.sum_lag / MAX (st.frames, 1) < GST_SECOND / 60 + 20 * GST_MSECOND,
      "no growing lag: buffers reach the sink %.1f ms after their running "
      "time on average, at most %.1f ms in the second half",
      st.sum_lag / 1e6 / MAX (st.frames, 1), st.max_lag_late / 1e6);
  CHECK (st.results >= 2 && st.results < n * 9 / 10 && st.max_age >= 2,
      "the worker missed frames: %" G_GINT64_FORMAT " results for %d frames, "
      "ages up to %" G_GINT64_FORMAT, st.results, n, st.max_age);
  CHECK (st.ages_grow, "between results the age grows by one a frame");
  CHECK (st.with_result >= n / 2, "most frames carry a result (%d)",
      st.with_result);
  CHECK (live && min == GST_SECOND / 60, "async adds no latency: the "
      "element answers live, min %" GST_TIME_FORMAT " = one frame of "
      "videotestsrc", GST_TIME_ARGS (min));

  t0 = g_get_monotonic_time ();
  gst_element_set_state (st.pipe, GST_STATE_NULL);
  CHECK (g_get_monotonic_time () - t0 < 2 * G_USEC_PER_SEC,
      "PLAYING -> NULL after EOS stops the worker at once");

  /* stopped while the worker is busy, several times */
  for (gint i = 0; i < (quick ? 2 : 5); i++) {
    gst_element_set_state (st.pipe, GST_STATE_PLAYING);
    g_usleep (150000 + i * 37000);
    t0 = g_get_monotonic_time ();
    gst_element_set_state (st.pipe, GST_STATE_NULL);
    if (g_get_monotonic_time () - t0 > 2 * G_USEC_PER_SEC)
      break;
    if (i == (quick ? 1 : 4))
      CHECK (TRUE, "PLAYING -> NULL mid-stream stops the worker (%d times)",
          i + 1);
  }
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (mn);
  gst_object_unref (bus);
  gst_object_unref (st.pipe);
  g_free (desc);
}

/* sync on a live source: the latency grows by the inference time. */
static void
check_latency_sync (void)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true num-buffers=20 ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! mobilenet name=mn "
      "model=\"%s\" mode=sync threads=1 ! fakesink name=sink sync=true "
      "enable-last-sample=true", slow_model);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m;
  GstQuery *q;
  GstSample *last = NULL;
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
  guint64 t = 0;
  gint64 age = -1;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (m)
    gst_message_unref (m);
  q = gst_query_new_latency ();
  {
    GstElement *mn = gst_bin_get_by_name (GST_BIN (pipe), "mn");
    GstPad *src = gst_element_get_static_pad (mn, "src");

    if (gst_pad_query (src, q))
      gst_query_parse_latency (q, &live, &min, &max);
    gst_object_unref (src);
    gst_object_unref (mn);
  }
  gst_query_unref (q);
  g_object_get (sink, "last-sample", &last, NULL);
  if (last) {
    const GstStructure *s =
        gst_buffer_get_mobilenet_meta (gst_sample_get_buffer (last));
    gst_structure_get_uint64 (s, "inference-time", &t);
    gst_structure_get_int64 (s, "age-frames", &age);
    gst_sample_unref (last);
  }
  CHECK (live && t > 0 && min >= GST_SECOND / 30 + t / 2 && age == 0,
      "sync: latency %" GST_TIME_FORMAT " = one frame + the inference time "
      "(last %" GST_TIME_FORMAT "), age 0", GST_TIME_ARGS (min),
      GST_TIME_ARGS (t));
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
}

/* Harness, mode=async: flush and EOS stop the work in progress cleanly;
 * results arrive for later frames with their age. */
static void
check_async_flush (void)
{
  gchar *desc = g_strdup_printf ("mobilenet model=\"%s\" mode=async "
      "threads=1", slow_model);
  GstHarness *h = gst_harness_new_parse (desc);
  GstVideoInfo info;
  gint64 first_age = -100, later = -100, rf = -100;
  GstBuffer *out;
  gint64 t0;

  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=64,"
      "height=48,framerate=30/1");
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, 64, 48);
  t0 = g_get_monotonic_time ();
  for (gint i = 0; i < 5; i++) {
    GstBuffer *in = eu_pattern_buffer (&info, i);

    GST_BUFFER_PTS (in) = i * GST_SECOND / 30;
    out = gst_harness_push_and_pull (h, in);
    if (i == 0)
      first_age = meta_int64 (out, "age-frames");
    gst_buffer_unref (out);
  }
  CHECK (first_age == -1 && g_get_monotonic_time () - t0 < 200000,
      "async: the first frame passes at once without a result (age-frames "
      "%" G_GINT64_FORMAT ")", first_age);
  g_usleep (400000);
  {
    GstBuffer *in = eu_pattern_buffer (&info, 9);

    GST_BUFFER_PTS (in) = 5 * GST_SECOND / 30;
    out = gst_harness_push_and_pull (h, in);
    later = meta_int64 (out, "age-frames");
    rf = meta_int64 (out, "result-frame");
    gst_buffer_unref (out);
  }
  CHECK (later >= 1 && rf >= 0 && rf + later == 5, "a later frame carries "
      "the result of frame %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
      " frames old", rf, later);

  gst_harness_push (h, eu_pattern_buffer (&info, 10));
  gst_buffer_unref (gst_harness_pull (h));
  t0 = g_get_monotonic_time ();
  gst_harness_push_event (h, gst_event_new_flush_start ());
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  CHECK (g_get_monotonic_time () - t0 < 2 * G_USEC_PER_SEC,
      "flush returns once the frame in progress is done");
  gst_harness_push_event (h, gst_event_new_segment (&(GstSegment) {
        .format = GST_FORMAT_TIME,.rate = 1.0,.applied_rate = 1.0,
        .stop = GST_CLOCK_TIME_NONE,.duration = GST_CLOCK_TIME_NONE}));
  out = gst_harness_push_and_pull (h, eu_pattern_buffer (&info, 11));
  CHECK (meta_int64 (out, "age-frames") == -1,
      "after a flush the old result is gone");
  gst_buffer_unref (out);
  gst_harness_push (h, eu_pattern_buffer (&info, 12));
  gst_buffer_unref (gst_harness_pull (h));
  gst_harness_push_event (h, gst_event_new_eos ());
  t0 = g_get_monotonic_time ();
  gst_harness_teardown (h);
  CHECK (g_get_monotonic_time () - t0 < 2 * G_USEC_PER_SEC,
      "teardown with work in progress: no hang");
  g_free (desc);
}

int
main (int argc, char **argv)
{
  eu_init (&argc, &argv);
  for (gint i = 1; i < argc; i++)
    if (strcmp (argv[i], "--quick") == 0)
      quick = TRUE;
  small_model = eu_model ("mobilenet_v1_0.25_128_quant.tflite");
  slow_model = eu_model ("mobilenet_v2_1.0_224_float.tflite");
  labels = eu_labels ();
  groups_file = g_strdup (g_getenv ("MOBILENET_GROUPS"));
  if (groups_file == NULL || !g_file_test (groups_file, G_FILE_TEST_EXISTS)) {
    printf ("FAIL MOBILENET_GROUPS (models/imagenet_groups.txt) is not set "
        "or missing: %s\n", groups_file ? groups_file : "(unset)");
    return 1;
  }

  check_properties ();
  check_flicker ();
  check_matroska ();
  check_groups ();
  check_errors ();
  check_skip_similar ();
  check_async_flush ();
  check_latency_sync ();
  check_live_async ();

  g_free (groups_file);
  g_free (labels);
  g_free (small_model);
  g_free (slow_model);
  return eu_finish ();
}
