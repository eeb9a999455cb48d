/* mobilenet-tag: tag a video with what the mobilenet element sees in it.
 *
 * INPUT is a video file, a folder of video files (each tagged in turn, one
 * output each) or a camera device (/dev/video*, tagged live until Ctrl-C).
 * A file runs through
 *
 *   filesrc ! decodebin ! videoconvert ! mobilenet post-messages=all ! fakesink sync=false
 *
 * (a camera through v4l2src ! decodebin ! ...), and the element's
 * "mobilenet" bus messages (one per classified frame, with the stable,
 * smoothed label) become a timeline of segments: maximal runs of the same
 * stable label, with their start and end in seconds, the label and class
 * id (a group name and index with --report groups), the mean smoothed
 * score and the label's group.  The timeline is written as JSON lines,
 * CSV or WebVTT subtitles, and drawn as a PNG with --timeline
 * (tag-output.c).
 *
 * The mobilenet plugin is found as mobilenet-classify finds it
 * (tool-util.c): MOBILENET_PLUGIN_DIR, the registry, then the plugin
 * built beside a tool run from the build tree.
 *
 * Exit status: 0 when every input was tagged (or a camera stopped with
 * Ctrl-C), 1 when one failed (its error goes to stderr; the other files
 * of a folder are still tagged), 2 on a usage error, 130 when Ctrl-C
 * stopped a file or a folder (what was tagged so far is written).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "gstmobilenetmeta.h"
#include "groups.h"
#include "tag-output.h"
#include "tool-util.h"

#define DEFAULT_SMOOTHING "ema"
#define DEFAULT_MIN_DWELL 5
#define DEFAULT_WIDTH 1200
#define DEFAULT_HEIGHT 200
#define PROGRESS_INTERVAL_MS 200

typedef enum {
  RUN_OK,
  RUN_FAILED,
  RUN_INTERRUPTED,
} RunStatus;

typedef struct {
  gchar *model;
  gchar *labels;
  gchar *groups;
  gchar *report;
  gchar *smoothing;
  gdouble smoothing_factor;     /* NAN: the element's default */
  gint smoothing_window;        /* 0: the element's default */
  gint min_dwell;
  gdouble switch_margin;        /* NAN: the element's default */
  gint every;
  gint threads;                 /* -1: the element's default */
  gchar *format_name;
  TagFormat format;
  gchar *output;
  gchar *output_dir;
  gchar *timeline;
  gint width, height;
  gdouble min_segment;
  gboolean quiet, verbose;

  gboolean report_groups;
  gboolean progress;            /* stderr is a terminal and not --quiet */
  /* the group of each class (report=classes): from the groups file and
   * the labels file */
  gchar **class_names;          /* the labels file's lines */
  guint n_class_names;
  gchar **class_groups;         /* [n_class_names]: a group name or NULL */
} Options;

/* One input's run. */
typedef struct {
  const Options *opt;
  const gchar *input;
  gboolean live;
  GstElement *pipeline;
  GstElement *convert;          /* decodebin links its video pad here */
  GstElement *mobilenet;
  GMainLoop *loop;
  gboolean failed;
  gboolean interrupted;

  /* written by the pad probe in the streaming thread */
  GMutex lock;
  GstSegment segment;
  guint64 frames;
  gboolean have_t0;
  GstClockTime t0;              /* stream time of the first frame (live) */
  GstClockTime last_end;        /* stream time at the end of the last frame */

  /* the timeline, on the main thread */
  GArray *segments;             /* closed segments (TagSegment) */
  TagSegment cur;
  gboolean have_cur;
  guint n_results;
  gint last_raw;
  guint raw_changes, changes;
  gint64 start_us;

  /* live without --min-segment: segments are written as they close */
  FILE *stream;
  gboolean stream_close;
  guint n_written;
} Run;

static gchar *program_name = (gchar *) "mobilenet-tag";
static Run *current_run;        /* for the SIGINT handler */
static gboolean interrupted;    /* Ctrl-C: no further input */

/* ------------------------------------------------------------------------ */
/* class groups (report=classes) */

static gchar **
read_labels (const gchar *path, guint *n, GError **error)
{
  gchar *text, **lines;
  gsize len;
  guint count;

  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  g_free (text);
  count = g_strv_length (lines);
  /* no empty last line after the final newline */
  while (count > 0 && *g_strstrip (lines[count - 1]) == '\0') {
    g_free (lines[count - 1]);
    lines[--count] = NULL;
  }
  for (guint i = 0; i < count; i++)
    g_strstrip (lines[i]);
  *n = count;
  return lines;
}

static const gchar *
default_groups_file (void)
{
#ifdef MOBILENET_SOURCE_GROUPS
  if (mobilenet_tool_run_from_build_tree ())
    return MOBILENET_SOURCE_GROUPS;
#endif
#ifdef MOBILENET_INSTALLED_GROUPS
  return MOBILENET_INSTALLED_GROUPS;
#else
  return "imagenet_groups.txt";
#endif
}

/* With report=classes: each class's first group, for the segments' group
 * field.  Needs the labels (to resolve label patterns); without --labels
 * or with a groups file that does not fit them there is no group field
 * (a warning when --groups was given). */
static void
load_class_groups (Options *opt, gboolean explicit_groups)
{
  GstMobilenetGroups *groups = NULL;
  GError *error = NULL;
  guint n = 0, n_groups;
  const gchar *const *names;

  if (opt->labels == NULL) {
    if (explicit_groups)
      g_printerr ("%s: warning: the group field needs --labels with "
          "--report classes\n", program_name);
    return;
  }
  opt->class_names = read_labels (opt->labels, &n, &error);
  if (opt->class_names == NULL)
    goto failed;
  opt->n_class_names = n;
  groups = gst_mobilenet_groups_load (opt->groups, n,
      (const gchar * const *) opt->class_names, &error);
  if (groups == NULL)
    goto failed;
  n_groups = gst_mobilenet_groups_count (groups);
  names = gst_mobilenet_groups_names (groups);
  opt->class_groups = g_new0 (gchar *, n + 1);
  for (guint c = 0; c < n; c++)
    for (guint g = 0; g < n_groups; g++)
      if (gst_mobilenet_groups_contains (groups, g, c)) {
        opt->class_groups[c] = g_strdup (names[g]);
        break;
      }
  gst_mobilenet_groups_free (groups);
  return;

failed:
  if (explicit_groups)
    g_printerr ("%s: warning: no group field: %s\n", program_name,
        error->message);
  g_clear_error (&error);
}

/* The group of a class the element reported: its index in the labels file
 * when the label there matches, else the line one off (a labels file with
 * or without "background" against a model without or with it), else the
 * first line with that label. */
static const gchar *
class_group (const Options *opt, gint class_id, const gchar *label)
{
  if (opt->class_groups == NULL || class_id < 0)
    return NULL;
  for (gint d = 0; d <= 2; d++) {
    gint i = d == 0 ? class_id : d == 1 ? class_id + 1 : class_id - 1;

    if (i >= 0 && (guint) i < opt->n_class_names &&
        g_strcmp0 (opt->class_names[i], label) == 0)
      return opt->class_groups[i];
  }
  for (guint i = 0; i < opt->n_class_names; i++)
    if (g_strcmp0 (opt->class_names[i], label) == 0)
      return opt->class_groups[i];
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* the timeline */

static void
progress_clear (const Options *opt)
{
  if (opt->progress)
    g_printerr ("\r\033[K");
}

static void
stream_segment (Run *run, const TagSegment *s)
{
  GString *out = g_string_new (NULL);

  if (run->n_written == 0)
    tag_write_header (out, run->opt->format);
  tag_write_segment (out, run->opt->format, run->input, s,
      ++run->n_written);
  if (run->stream == stdout)
    progress_clear (run->opt);
  fputs (out->str, run->stream);
  fflush (run->stream);
  g_string_free (out, TRUE);
}

static void
close_segment (Run *run, gdouble end)
{
  if (!run->have_cur)
    return;
  run->cur.end = MAX (end, run->cur.start);
  g_array_append_val (run->segments, run->cur);
  memset (&run->cur, 0, sizeof run->cur);
  run->have_cur = FALSE;
  if (run->stream)
    stream_segment (run, &g_array_index (run->segments, TagSegment,
            run->segments->len - 1));
}

static void
run_add_result (Run *run, const GstStructure *s)
{
  GstClockTime ts = GST_CLOCK_TIME_NONE;
  gdouble t, score = 0.0;
  gint id = -1, raw = -1;
  const gchar *label = "";

  /* the position in the input (its stream time); for a camera from the
   * first frame */
  if (!gst_structure_get_uint64 (s, "stream-time", &ts) ||
      !GST_CLOCK_TIME_IS_VALID (ts))
    if (!gst_structure_get_uint64 (s, "timestamp", &ts) ||
        !GST_CLOCK_TIME_IS_VALID (ts))
      return;
  g_mutex_lock (&run->lock);
  if (run->live && run->have_t0)
    ts = ts > run->t0 ? ts - run->t0 : 0;
  g_mutex_unlock (&run->lock);
  t = (gdouble) ts / GST_SECOND;

  gst_mobilenet_structure_get_top1 (s, &id, &label, &score);
  if (!gst_structure_get_int (s, GST_MOBILENET_FIELD_RAW_CLASS_ID, &raw))
    raw = -1;
  if (run->n_results > 0) {
    if (raw != run->last_raw)
      run->raw_changes++;
    if (!run->have_cur || id != run->cur.class_id ||
        g_strcmp0 (label, run->cur.label) != 0)
      run->changes++;
  }
  run->last_raw = raw;
  run->n_results++;

  if (run->have_cur && (id != run->cur.class_id ||
          g_strcmp0 (label, run->cur.label) != 0))
    close_segment (run, t);
  if (!run->have_cur) {
    run->cur.start = t;
    run->cur.class_id = id;
    run->cur.label = g_strdup (id >= 0 ? label : "");
    run->cur.group = g_strdup (run->opt->report_groups ?
        (id >= 0 ? label : NULL) : class_group (run->opt, id, label));
    run->have_cur = TRUE;
  }
  run->cur.score_sum += score;
  run->cur.n_results++;
  run->cur.end = t;
}

/* The stream time at the end of the last frame seen, in seconds from the
 * start. */
static gdouble
run_end_time (Run *run)
{
  gdouble end = run->have_cur ? run->cur.end : 0.0;
  GstClockTime last;
  gint64 dur;

  g_mutex_lock (&run->lock);
  last = run->last_end;
  if (run->live && run->have_t0 && GST_CLOCK_TIME_IS_VALID (last))
    last = last > run->t0 ? last - run->t0 : 0;
  g_mutex_unlock (&run->lock);
  if (GST_CLOCK_TIME_IS_VALID (last))
    return MAX (end, (gdouble) last / GST_SECOND);
  if (!run->live && gst_element_query_duration (run->pipeline,
          GST_FORMAT_TIME, &dur) && dur > 0)
    return MAX (end, (gdouble) dur / GST_SECOND);
  return end;
}

/* ------------------------------------------------------------------------ */
/* the pipeline */

static GstPadProbeReturn
on_sink_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Run *run = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime pts = GST_BUFFER_PTS (buf), st = GST_CLOCK_TIME_NONE;

    g_mutex_lock (&run->lock);
    run->frames++;
    if (GST_CLOCK_TIME_IS_VALID (pts)) {
      st = run->segment.format == GST_FORMAT_TIME ?
          gst_segment_to_stream_time (&run->segment, GST_FORMAT_TIME, pts) :
          pts;
      if (!GST_CLOCK_TIME_IS_VALID (st))
        st = pts;
    }
    if (GST_CLOCK_TIME_IS_VALID (st)) {
      if (!run->have_t0) {
        run->t0 = st;
        run->have_t0 = TRUE;
      }
      if (GST_BUFFER_DURATION_IS_VALID (buf))
        st += GST_BUFFER_DURATION (buf);
      if (!GST_CLOCK_TIME_IS_VALID (run->last_end) || st > run->last_end)
        run->last_end = st;
    }
    g_mutex_unlock (&run->lock);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      const GstSegment *seg;

      gst_event_parse_segment (event, &seg);
      g_mutex_lock (&run->lock);
      gst_segment_copy_into (seg, &run->segment);
      g_mutex_unlock (&run->lock);
    }
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
run_build (Run *run, GError **error)
{
  const Options *opt = run->opt;
  GstElement *src, *decode, *sink;
  GstPad *pad;

  run->pipeline = gst_pipeline_new ("tag");
  src = gst_element_factory_make (run->live ? "v4l2src" : "filesrc", NULL);
  decode = gst_element_factory_make ("decodebin", NULL);
  run->convert = gst_element_factory_make ("videoconvert", NULL);
  run->mobilenet = gst_element_factory_make ("mobilenet", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  if (!src || !decode || !run->convert || !run->mobilenet || !sink) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "missing element %s", !src ? (run->live ? "v4l2src" : "filesrc") :
        !decode ? "decodebin" : !run->convert ? "videoconvert" :
        !run->mobilenet ? "mobilenet" : "fakesink");
    goto fail;
  }

  g_object_set (src, run->live ? "device" : "location", run->input, NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  if (opt->model)
    g_object_set (run->mobilenet, "model", opt->model, NULL);
  if (opt->labels)
    g_object_set (run->mobilenet, "labels", opt->labels, NULL);
  if (opt->threads >= 0)
    g_object_set (run->mobilenet, "threads", opt->threads, NULL);
  g_object_set (run->mobilenet, "inference-interval", (guint) opt->every,
      "min-dwell", (guint) opt->min_dwell, "top-k", 1u,
      /* the tags go nowhere (fakesink) */
      "tags", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (run->mobilenet), "post-messages", "all");
  gst_util_set_object_arg (G_OBJECT (run->mobilenet), "smoothing",
      opt->smoothing);
  if (!isnan (opt->smoothing_factor))
    g_object_set (run->mobilenet, "smoothing-factor", opt->smoothing_factor,
        NULL);
  if (opt->smoothing_window > 0)
    g_object_set (run->mobilenet, "smoothing-window",
        (guint) opt->smoothing_window, NULL);
  if (!isnan (opt->switch_margin))
    g_object_set (run->mobilenet, "switch-margin", opt->switch_margin, NULL);
  if (opt->report_groups) {
    g_object_set (run->mobilenet, "groups", opt->groups, NULL);
    gst_util_set_object_arg (G_OBJECT (run->mobilenet), "report", "groups");
  }
  /* a file: every --every'th frame classified in the streaming thread,
   * none skipped; a camera: "auto" classifies in a worker thread so that
   * frames never wait */
  if (!run->live)
    gst_util_set_object_arg (G_OBJECT (run->mobilenet), "mode", "sync");

  gst_bin_add_many (GST_BIN (run->pipeline), src, decode, run->convert,
      run->mobilenet, sink, NULL);
  if (!gst_element_link (src, decode) ||
      !gst_element_link_many (run->convert, run->mobilenet, sink, NULL)) {
    /* the pipeline owns the elements */
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "could not link the pipeline's elements");
    return FALSE;
  }
  mobilenet_tool_decode_video_to (decode, run->convert,
      "The file has no video stream.");

  pad = gst_element_get_static_pad (run->mobilenet, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_probe, run, NULL);
  gst_object_unref (pad);
  return TRUE;

  /* ERRORS */
fail:
  g_clear_object (&src);
  g_clear_object (&decode);
  g_clear_object (&run->convert);
  g_clear_object (&run->mobilenet);
  g_clear_object (&sink);
  return FALSE;
}

static gchar *
format_seconds (gdouble s)
{
  gint t = (gint) s;

  if (t >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  if (t >= 60)
    return g_strdup_printf ("%d:%02d", t / 60, t % 60);
  return g_strdup_printf ("%.1fs", s);
}

static gdouble
run_fps (Run *run, guint64 *frames)
{
  gdouble elapsed = (g_get_monotonic_time () - run->start_us) / 1e6;

  g_mutex_lock (&run->lock);
  *frames = run->frames;
  g_mutex_unlock (&run->lock);
  return elapsed > 0 ? *frames / elapsed : 0.0;
}

/* The progress line on stderr (a terminal): the position against the
 * duration, or for a camera the time and the current label. */
static gboolean
on_progress (gpointer user_data)
{
  Run *run = user_data;
  gint64 pos = -1, dur = -1;
  guint64 frames;
  gdouble fps = run_fps (run, &frames);
  gchar *name = g_path_get_basename (run->input), *p, *d;
  GString *line = g_string_new ("\r");

  if (g_utf8_strlen (name, -1) > 24) {
    gchar *cut = g_utf8_substring (name, 0, 23);

    g_free (name);
    name = g_strconcat (cut, "\xe2\x80\xa6", NULL);
    g_free (cut);
  }
  g_string_append_printf (line, "%s ", name);
  if (!run->live &&
      gst_element_query_position (run->pipeline, GST_FORMAT_TIME, &pos) &&
      gst_element_query_duration (run->pipeline, GST_FORMAT_TIME, &dur) &&
      pos >= 0 && dur > 0) {
    gdouble f = CLAMP ((gdouble) pos / dur, 0.0, 1.0);
    gint filled = (gint) (f * 30 + 0.5);

    p = format_seconds ((gdouble) pos / GST_SECOND);
    d = format_seconds ((gdouble) dur / GST_SECOND);
    g_string_append_printf (line, "%3d%% [", (gint) (f * 100));
    for (gint i = 0; i < 30; i++)
      g_string_append_c (line, i < filled ? '#' : '-');
    g_string_append_printf (line, "] %s / %s", p, d);
    g_free (p);
    g_free (d);
  } else {
    g_mutex_lock (&run->lock);
    pos = GST_CLOCK_TIME_IS_VALID (run->last_end) && run->have_t0 ?
        (gint64) (run->last_end - MIN (run->t0, run->last_end)) : 0;
    g_mutex_unlock (&run->lock);
    p = format_seconds ((gdouble) pos / GST_SECOND);
    g_string_append_printf (line, "%s%s", run->live ? "live " : "", p);
    g_free (p);
    if (run->have_cur)
      g_string_append_printf (line, "  %s", run->cur.label);
  }
  g_string_append_printf (line, "  %.1f fps\033[K", fps);
  fputs (line->str, stderr);
  fflush (stderr);
  g_string_free (line, TRUE);
  g_free (name);
  return G_SOURCE_CONTINUE;
}

static void
run_print_error (Run *run, GstMessage *msg)
{
  GError *error = NULL;
  gchar *debug = NULL;

  gst_message_parse_error (msg, &error, &debug);
  progress_clear (run->opt);
  mobilenet_tool_print_error (program_name, run->input, error->message,
      debug);
  g_clear_error (&error);
  g_free (debug);
}

static gboolean
on_bus (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  Run *run = user_data;
  const GstStructure *s;
  GError *error = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      s = gst_message_get_structure (msg);
      if (GST_MESSAGE_SRC (msg) == GST_OBJECT (run->mobilenet) &&
          gst_structure_has_name (s, "mobilenet"))
        run_add_result (run, s);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &error, &debug);
      progress_clear (run->opt);
      g_printerr ("%s: %s: warning: %s\n", program_name, run->input,
          error->message);
      g_clear_error (&error);
      g_free (debug);
      break;
    case GST_MESSAGE_ERROR:
      run_print_error (run, msg);
      run->failed = TRUE;
      g_main_loop_quit (run->loop);
      break;
    case GST_MESSAGE_EOS:
      g_main_loop_quit (run->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* Ctrl-C (or SIGTERM): the first ends the stream (EOS), so what was tagged
 * is written; a second one stops at once. */
static gboolean
on_signal (gpointer user_data)
{
  Run *run = current_run;

  interrupted = TRUE;
  if (run == NULL)
    return G_SOURCE_CONTINUE;
  if (!run->interrupted) {
    run->interrupted = TRUE;
    gst_element_send_event (run->pipeline, gst_event_new_eos ());
  } else {
    g_main_loop_quit (run->loop);
  }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* one input */

static gboolean
write_text (const gchar *path, const gchar *text, gsize len)
{
  GError *error = NULL;

  FILE *f;

  if (path == NULL || strcmp (path, "-") == 0) {
    fwrite (text, 1, len, stdout);
    fflush (stdout);
    return TRUE;
  }
  /* a pipe or a device (/dev/stdout): written as it is; a file: replaced
   * at once when complete */
  if (g_file_test (path, G_FILE_TEST_EXISTS) &&
      !g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    gboolean ok;

    f = g_fopen (path, "w");
    ok = f != NULL && fwrite (text, 1, len, f) == len;
    if (f != NULL && fclose (f) != 0)
      ok = FALSE;
    if (!ok) {
      g_printerr ("%s: cannot write %s: %s\n", program_name, path,
          g_strerror (errno));
      return FALSE;
    }
    return TRUE;
  }
  if (!g_file_set_contents (path, text, len, &error)) {
    g_printerr ("%s: %s\n", program_name, error->message);
    g_clear_error (&error);
    return FALSE;
  }
  return TRUE;
}

static gboolean
run_write (Run *run, const gchar *output, const gchar *timeline)
{
  const Options *opt = run->opt;
  TagSegment *v = (TagSegment *) run->segments->data;
  guint n = run->segments->len;
  GString *out;
  GError *error = NULL;
  gboolean ok = TRUE;

  if (run->stream == NULL) {
    out = g_string_new (NULL);
    tag_write_header (out, opt->format);
    for (guint i = 0; i < n; i++)
      tag_write_segment (out, opt->format, run->input, &v[i], i + 1);
    ok = write_text (output, out->str, out->len);
    g_string_free (out, TRUE);
  }
  if (timeline && n > 0) {
    gchar *title = g_filename_display_basename (run->input);

    if (!tag_timeline_draw (timeline, v, n, v[n - 1].end, opt->width,
            opt->height, title, &error)) {
      g_printerr ("%s: %s\n", program_name, error->message);
      g_clear_error (&error);
      ok = FALSE;
    }
    g_free (title);
  }
  return ok;
}

static void
run_print_stats (Run *run)
{
  guint64 frames;
  gdouble fps = run_fps (run, &frames);
  gdouble wall = (g_get_monotonic_time () - run->start_us) / 1e6;

  g_printerr ("%s: %s: %" G_GUINT64_FORMAT " frames, %u classified, in "
      "%.2f s (%.1f fps); %u segments; label changes: %u stable, %u raw\n",
      program_name, run->input, frames, run->n_results, wall, fps,
      run->segments->len, run->changes, run->raw_changes);
}

static RunStatus
tag_input (const Options *opt, const gchar *input, gboolean live,
    const gchar *output, const gchar *timeline)
{
  Run run = { 0 };
  GstBus *bus;
  GstMessage *msg;
  GError *error = NULL;
  GstStateChangeReturn ret;
  guint progress = 0;
  RunStatus status = RUN_FAILED;

  run.opt = opt;
  run.input = input;
  run.live = live;
  run.last_raw = -1;
  run.last_end = GST_CLOCK_TIME_NONE;
  g_mutex_init (&run.lock);
  gst_segment_init (&run.segment, GST_FORMAT_UNDEFINED);
  run.segments = tag_segments_new ();

  if (!run_build (&run, &error)) {
    mobilenet_tool_print_error (program_name, input, error->message, NULL);
    g_clear_error (&error);
    gst_clear_object (&run.pipeline);
    goto out;
  }
  if (live && opt->min_segment <= 0.0) {
    if (output && strcmp (output, "-") != 0) {
      run.stream = g_fopen (output, "w");
      if (run.stream == NULL) {
        g_printerr ("%s: cannot write %s: %s\n", program_name, output,
            g_strerror (errno));
        gst_object_unref (run.pipeline);
        goto out;
      }
      run.stream_close = TRUE;
    } else {
      run.stream = stdout;
    }
  }

  run.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (run.pipeline);
  gst_bus_add_watch (bus, on_bus, &run);
  if (opt->progress)
    progress = g_timeout_add (PROGRESS_INTERVAL_MS, on_progress, &run);
  current_run = &run;
  run.start_us = g_get_monotonic_time ();

  ret = gst_element_set_state (run.pipeline, GST_STATE_PLAYING);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    /* a missing file, a model that does not load: the ERROR is on the bus
     * already */
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      run_print_error (&run, msg);
      gst_message_unref (msg);
    } else {
      mobilenet_tool_print_error (program_name, input,
          "The pipeline could not start.", NULL);
    }
    run.failed = TRUE;
  } else if (!interrupted) {
    g_main_loop_run (run.loop);
  } else {
    run.interrupted = TRUE;
  }

  current_run = NULL;
  if (progress)
    g_source_remove (progress);
  progress_clear (opt);
  if (!run.failed)
    close_segment (&run, run_end_time (&run));
  gst_element_set_state (run.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  g_main_loop_unref (run.loop);

  if (run.failed) {
    status = RUN_FAILED;
  } else if (run.segments->len == 0) {
    mobilenet_tool_print_error (program_name, input, run.interrupted ?
        "Interrupted before a frame was classified." :
        "No frame was classified (an empty or truncated stream?).", NULL);
    status = run.interrupted ? RUN_INTERRUPTED : RUN_FAILED;
  } else {
    tag_segments_merge_short (run.segments, opt->min_segment);
    status = run_write (&run, output, timeline) ? RUN_OK : RUN_FAILED;
    if (status == RUN_OK && run.interrupted && !live)
      status = RUN_INTERRUPTED;
  }
  if (opt->verbose)
    run_print_stats (&run);
  gst_object_unref (run.pipeline);

out:
  if (run.stream_close)
    fclose (run.stream);
  g_clear_pointer (&run.cur.label, g_free);
  g_clear_pointer (&run.cur.group, g_free);
  g_array_unref (run.segments);
  g_mutex_clear (&run.lock);
  return status;
}

/* ------------------------------------------------------------------------ */
/* folders */

static const gchar *const video_extensions[] = {
  "webm", "mkv", "mka", "mp4", "m4v", "mov", "avi", "ogv", "ogg", "mpg",
  "mpeg", "ts", "mts", "m2ts", "flv", "wmv", "asf", "3gp", "y4m", "mxf",
  "dv", "gif", NULL,
};

/* A folder's file that looks like a video (its guessed content type or
 * its extension), not one of the tool's outputs. */
static gboolean
looks_like_video (const gchar *path)
{
  const gchar *dot = strrchr (path, '.');
  gchar *type, *mime = NULL;
  guchar data[4096];
  gsize len = 0;
  gboolean uncertain = FALSE, video = FALSE;
  FILE *f;
  TagFormat fmt;

  if (dot && (tag_format_from_name (dot + 1, &fmt) ||
          g_ascii_strcasecmp (dot + 1, "png") == 0))
    return FALSE;
  if (dot)
    for (guint i = 0; video_extensions[i]; i++)
      if (g_ascii_strcasecmp (dot + 1, video_extensions[i]) == 0)
        return TRUE;
  f = g_fopen (path, "rb");
  if (f) {
    len = fread (data, 1, sizeof data, f);
    fclose (f);
  }
  type = g_content_type_guess (path, len ? data : NULL, len, &uncertain);
  if (type)
    mime = g_content_type_get_mime_type (type);
  video = mime && g_str_has_prefix (mime, "video/");
  g_free (mime);
  g_free (type);
  return video;
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* The sorted video files of @dir (full paths), or NULL with a message. */
static GPtrArray *
list_folder (const gchar *dir)
{
  GError *error = NULL;
  GDir *d = g_dir_open (dir, 0, &error);
  GPtrArray *files;
  const gchar *name;

  if (d == NULL) {
    g_printerr ("%s: %s\n", program_name, error->message);
    g_clear_error (&error);
    return NULL;
  }
  files = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path;

    if (name[0] == '.')
      continue;
    path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_REGULAR) && looks_like_video (path))
      g_ptr_array_add (files, path);
    else
      g_free (path);
  }
  g_dir_close (d);
  g_ptr_array_sort (files, compare_paths);
  return files;
}

/* DIR/NAME.EXT for INPUT = .../NAME.VIDEO-EXT; DIR/NAME.VIDEO-EXT.EXT when
 * NAME is taken already (a.webm and a.mkv). */
static gchar *
output_name (const gchar *dir, const gchar *input, const gchar *ext,
    GHashTable *taken)
{
  gchar *base = g_path_get_basename (input);
  gchar *dot = strrchr (base, '.');
  gchar *stem = dot && dot != base ? g_strndup (base, dot - base) :
      g_strdup (base);
  gchar *name = g_strdup_printf ("%s.%s", stem, ext);
  gchar *path;

  if (g_hash_table_contains (taken, name)) {
    g_free (name);
    name = g_strdup_printf ("%s.%s", base, ext);
  }
  g_hash_table_add (taken, g_strdup (name));
  path = g_build_filename (dir, name, NULL);
  g_free (name);
  g_free (stem);
  g_free (base);
  return path;
}

static gboolean
make_dir (const gchar *dir)
{
  if (g_mkdir_with_parents (dir, 0777) != 0) {
    g_printerr ("%s: cannot create the folder %s: %s\n", program_name, dir,
        g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static int
tag_folder (const Options *opt, const gchar *dir)
{
  GPtrArray *files = list_folder (dir);
  GHashTable *taken_out, *taken_png;
  const gchar *out_dir = opt->output_dir ? opt->output_dir : dir;
  guint failed = 0;
  int status = 0;

  if (files == NULL)
    return 1;
  if (files->len == 0) {
    g_printerr ("%s: %s: no video files in this folder\n", program_name, dir);
    g_ptr_array_unref (files);
    return 1;
  }
  if ((opt->output_dir && !make_dir (opt->output_dir)) ||
      (opt->timeline && !make_dir (opt->timeline))) {
    g_ptr_array_unref (files);
    return 1;
  }
  taken_out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  taken_png = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < files->len && !interrupted; i++) {
    const gchar *input = g_ptr_array_index (files, i);
    gchar *output = output_name (out_dir, input,
        tag_format_extension (opt->format), taken_out);
    gchar *png = opt->timeline ?
        output_name (opt->timeline, input, "png", taken_png) : NULL;
    RunStatus st = tag_input (opt, input, FALSE, output, png);

    if (st == RUN_FAILED)
      failed++;
    else if (opt->verbose)
      g_printerr ("%s: %s -> %s%s%s\n", program_name, input, output,
          png ? ", " : "", png ? png : "");
    if (st == RUN_INTERRUPTED)
      interrupted = TRUE;
    g_free (output);
    g_free (png);
  }
  if (interrupted)
    status = 130;
  else if (failed)
    status = 1;
  g_hash_table_unref (taken_out);
  g_hash_table_unref (taken_png);
  g_ptr_array_unref (files);
  return status;
}

/* ------------------------------------------------------------------------ */
/* setup */

static gboolean
is_camera (const gchar *input)
{
  struct stat st;

  if (g_str_has_prefix (input, "/dev/video"))
    return TRUE;
  return g_stat (input, &st) == 0 && S_ISCHR (st.st_mode);
}

static void
options_clear (Options *opt)
{
  g_free (opt->model);
  g_free (opt->labels);
  g_free (opt->groups);
  g_free (opt->report);
  g_free (opt->smoothing);
  g_free (opt->format_name);
  g_free (opt->output);
  g_free (opt->output_dir);
  g_free (opt->timeline);
  g_strfreev (opt->class_names);
  if (opt->class_groups) {
    for (guint i = 0; i < opt->n_class_names; i++)
      g_free (opt->class_groups[i]);
    g_free (opt->class_groups);
  }
}

#define BAD_VALUE(...) \
  G_STMT_START { \
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, \
        __VA_ARGS__); \
    goto usage; \
  } G_STMT_END

int
main (int argc, char **argv)
{
  Options opt = { 0 };
  gchar **inputs = NULL;
  const gchar *input;
  GError *error = NULL;
  GOptionContext *ctx;
  gboolean explicit_groups;
  int status;
  const GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &opt.model,
        "TensorFlow Lite model (default: $GST_MOBILENET_MODEL, else the "
          "model installed with the plugin)", "MODEL"},
    {"labels", 'l', 0, G_OPTION_ARG_FILENAME, &opt.labels,
        "Labels file (default: the element's: labels in the model, else "
          "labels.txt or <model name>.txt beside it)", "LABELS"},
    {"groups", 'g', 0, G_OPTION_ARG_FILENAME, &opt.groups,
        "Class groups file (default: the shipped imagenet_groups.txt); "
          "gives the group field, or the labels with --report groups",
          "FILE"},
    {"report", 'r', 0, G_OPTION_ARG_STRING, &opt.report,
        "Tag with the model's classes or with the groups (default classes)",
          "classes|groups"},
    {"smoothing", 's', 0, G_OPTION_ARG_STRING, &opt.smoothing,
        "How scores are smoothed over time (default ema)",
          "none|ema|window"},
    {"smoothing-factor", 0, 0, G_OPTION_ARG_DOUBLE, &opt.smoothing_factor,
        "ema: weight of the newest result, 0.01-1 (default 0.3)", "F"},
    {"smoothing-window", 0, 0, G_OPTION_ARG_INT, &opt.smoothing_window,
        "window: results averaged (default 5)", "N"},
    {"min-dwell", 0, 0, G_OPTION_ARG_INT, &opt.min_dwell,
        "A new label must lead for N results in a row (default 5)", "N"},
    {"switch-margin", 0, 0, G_OPTION_ARG_DOUBLE, &opt.switch_margin,
        "...and beat the current one by this score, 0-1 (default 0)", "M"},
    {"every", 'e', 0, G_OPTION_ARG_INT, &opt.every,
        "Classify every Nth frame (default 1)", "N"},
    {"threads", 't', 0, G_OPTION_ARG_INT, &opt.threads,
        "Inference threads, 0 = all cores (default: the element's)", "N"},
    {"format", 'f', 0, G_OPTION_ARG_STRING, &opt.format_name,
        "Output format (default: from --output's extension, else jsonl)",
          "jsonl|csv|vtt"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt.output,
        "Write the segments to FILE (default or -: stdout); not for a "
          "folder",
          "FILE"},
    {"output-dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt.output_dir,
        "A folder INPUT: write NAME.jsonl/.csv/.vtt here (default: beside "
          "each video)", "DIR"},
    {"timeline", 'T', 0, G_OPTION_ARG_FILENAME, &opt.timeline,
        "Draw the timeline into this PNG (a folder INPUT: into DIR/NAME.png)",
          "PNG"},
    {"width", 'W', 0, G_OPTION_ARG_INT, &opt.width,
        "Width of the PNG (default 1200)", "PIXELS"},
    {"height", 'H', 0, G_OPTION_ARG_INT, &opt.height,
        "Height of the PNG (default 200)", "PIXELS"},
    {"min-segment", 0, 0, G_OPTION_ARG_DOUBLE, &opt.min_segment,
        "Merge segments shorter than this into their neighbours (default 0: "
          "none)", "SECONDS"},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &opt.quiet,
        "No progress bar", NULL},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt.verbose,
        "Print frames, speed and label changes of each input on stderr",
          NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs, NULL,
        "INPUT"},
    {NULL}
  };

  opt.smoothing_factor = NAN;
  opt.switch_margin = NAN;
  opt.min_dwell = DEFAULT_MIN_DWELL;
  opt.every = 1;
  opt.threads = -1;
  opt.width = DEFAULT_WIDTH;
  opt.height = DEFAULT_HEIGHT;
  if (argv[0])
    program_name = g_path_get_basename (argv[0]);

  ctx = g_option_context_new ("- tag a video with the mobilenet "
      "GStreamer element");
  g_option_context_set_summary (ctx,
      "Classifies the frames of INPUT (a video file, a folder of videos, "
      "or a camera such as /dev/video0)\nand writes a timeline of segments: "
      "maximal runs of the same smoothed label, with start, end\n(seconds), "
      "label, class id, mean score and group, as JSON lines, CSV or WebVTT "
      "subtitles.\nA camera is tagged until Ctrl-C.");
  g_option_context_set_description (ctx,
      "Environment:\n"
      "  GST_MOBILENET_MODEL    the model when --model is not given\n"
      "  GST_PLUGIN_PATH        where GStreamer finds the mobilenet plugin\n"
      "  MOBILENET_PLUGIN_DIR   a directory with libgstmobilenet.so to use "
      "first\n"
      "\n"
      "Exit status: 0 when every input was tagged (a camera: stopped with "
      "Ctrl-C), 1 when one failed,\n2 on a usage error, 130 when Ctrl-C "
      "stopped a file or a folder (what was tagged is written).\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    goto usage;
  if (inputs == NULL || inputs[0] == NULL) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "no INPUT given");
    goto usage;
  }
  if (inputs[1] != NULL)
    BAD_VALUE ("one INPUT at a time (a file, a folder or a camera)");
  input = inputs[0];

  if (opt.report == NULL || strcmp (opt.report, "classes") == 0)
    opt.report_groups = FALSE;
  else if (strcmp (opt.report, "groups") == 0)
    opt.report_groups = TRUE;
  else
    BAD_VALUE ("--report wants classes or groups (got \"%s\")", opt.report);
  if (opt.smoothing == NULL)
    opt.smoothing = g_strdup (DEFAULT_SMOOTHING);
  if (strcmp (opt.smoothing, "none") != 0 &&
      strcmp (opt.smoothing, "ema") != 0 &&
      strcmp (opt.smoothing, "window") != 0)
    BAD_VALUE ("--smoothing wants none, ema or window (got \"%s\")",
        opt.smoothing);
  if (!isnan (opt.smoothing_factor) &&
      (opt.smoothing_factor < 0.01 || opt.smoothing_factor > 1.0))
    BAD_VALUE ("--smoothing-factor wants 0.01 to 1 (got %g)",
        opt.smoothing_factor);
  if (opt.smoothing_window < 0 || opt.smoothing_window > 1000)
    BAD_VALUE ("--smoothing-window wants 1 to 1000 (got %d)",
        opt.smoothing_window);
  if (opt.min_dwell < 1 || opt.min_dwell > 100000)
    BAD_VALUE ("--min-dwell wants 1 to 100000 (got %d)", opt.min_dwell);
  if (!isnan (opt.switch_margin) &&
      (opt.switch_margin < 0.0 || opt.switch_margin > 1.0))
    BAD_VALUE ("--switch-margin wants 0 to 1 (got %g)", opt.switch_margin);
  if (opt.every < 1)
    BAD_VALUE ("--every wants 1 or more (got %d)", opt.every);
  if (opt.threads < -1 || opt.threads > 1024)
    BAD_VALUE ("--threads wants 0 to 1024 (got %d)", opt.threads);
  if (opt.width < 64 || opt.width > 16384 || opt.height < 32 ||
      opt.height > 16384)
    BAD_VALUE ("--width wants 64 to 16384 and --height 32 to 16384 (got "
        "%dx%d)", opt.width, opt.height);
  if (opt.min_segment < 0.0)
    BAD_VALUE ("--min-segment wants 0 or more seconds (got %g)",
        opt.min_segment);
  if (opt.format_name) {
    if (!tag_format_from_name (opt.format_name, &opt.format))
      BAD_VALUE ("--format wants jsonl, csv or vtt (got \"%s\")",
          opt.format_name);
  } else if (!opt.output ||
      !tag_format_from_file_name (opt.output, &opt.format)) {
    opt.format = TAG_FORMAT_JSONL;
  }
  if (g_file_test (input, G_FILE_TEST_IS_DIR)) {
    if (opt.output)
      BAD_VALUE ("--output names one file: with a folder INPUT, outputs go "
          "beside the videos or into --output-dir");
  } else if (opt.output_dir) {
    BAD_VALUE ("--output-dir is for a folder INPUT: use --output");
  }
  g_option_context_free (ctx);
  ctx = NULL;

  explicit_groups = opt.groups != NULL;
  if (opt.groups == NULL)
    opt.groups = g_strdup (default_groups_file ());
  if (opt.report_groups && !g_file_test (opt.groups, G_FILE_TEST_EXISTS)) {
    g_printerr ("%s: the groups file %s does not exist: give one with "
        "--groups\n", program_name, opt.groups);
    status = 1;
    goto out;
  }
  if (!opt.report_groups)
    load_class_groups (&opt, explicit_groups);
  opt.progress = !opt.quiet && isatty (STDERR_FILENO);

  if (!mobilenet_tool_find_plugin (program_name)) {
    status = 1;
    goto out;
  }

  g_unix_signal_add (SIGINT, on_signal, NULL);
  g_unix_signal_add (SIGTERM, on_signal, NULL);

  if (g_file_test (input, G_FILE_TEST_IS_DIR)) {
    status = tag_folder (&opt, input);
  } else {
    gboolean live = is_camera (input);

    switch (tag_input (&opt, input, live, opt.output, opt.timeline)) {
      case RUN_OK:
        status = 0;
        break;
      case RUN_INTERRUPTED:
        status = 130;
        break;
      case RUN_FAILED:
      default:
        status = 1;
        break;
    }
  }

out:
  g_strfreev (inputs);
  options_clear (&opt);
  gst_deinit ();
  return status;

usage:
  g_printerr ("%s: %s\nTry \"%s --help\".\n", program_name, error->message,
      program_name);
  g_clear_error (&error);
  if (ctx)
    g_option_context_free (ctx);
  g_strfreev (inputs);
  options_clear (&opt);
  return 2;
}
