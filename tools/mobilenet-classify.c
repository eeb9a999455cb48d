/* mobilenet-classify: classify image and video files with the mobilenet
 * GStreamer element.
 *
 * For each FILE it runs
 *
 *   filesrc ! decodebin ! videoconvert ! mobilenet ! fakesink sync=false
 *
 * (or filesrc ! rawvideoparse format=rgb ! ... with --raw WxH) and prints
 * the results of the element's "mobilenet" bus messages:
 *
 * - a still image (a stream whose frame rate is 0/1, or a raw file of one
 *   frame): Keras-style lines "class_id label score", best first;
 * - a video: one line per classified frame, "TIMESTAMP class_id label
 *   score", with further classes appended as " | class_id label score"
 *   when --top-k is given;
 * - with --json: one JSON object per classified frame,
 *   {"file": …, "timestamp": NS, "top_k": [{"class_id", "label", "score"}]}
 *   where timestamp is the frame's stream time (its position in the file)
 *   in nanoseconds, an integer, or null when the frame has none.
 *
 * The mobilenet plugin is found through the GStreamer registry
 * (GST_PLUGIN_PATH); MOBILENET_PLUGIN_DIR, when set, is scanned first, and
 * when the registry has no mobilenet element, the executable in the build
 * tree (not an installed copy) falls back to the plugin built beside it
 * (MOBILENET_BUILD_PLUGIN_DIR, a compile-time define; tool-util.c).
 *
 * Exit status: 0 when every file was classified, 1 when one failed (its
 * error goes to stderr and the next file is tried), 2 on a usage error.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstmobilenetmeta.h"
#include "tool-util.h"

#define DEFAULT_TOP_K 5         /* what an image prints, as Keras does */

typedef struct {
  gchar *model;
  gchar *labels;
  gint top_k;                   /* 0: not given */
  gboolean json;
  gchar *raw;
  gint raw_width, raw_height;
  gint every;
  gint threads;                 /* -1: the element's default */
  gboolean several;             /* more than one file: header lines */
} Options;

/* One file's run. */
typedef struct {
  const Options *opt;
  const gchar *file;
  GstElement *pipeline;
  GstElement *convert;          /* decodebin links its video pad here */
  GstElement *mobilenet;
  gboolean raw_single_frame;    /* --raw and the file holds one frame */
  gboolean mode_known, still;
  guint n_results;
} Run;

static gchar *program_name = (gchar *) "mobilenet-classify";

/* ------------------------------------------------------------------------ */
/* output */

/* Still or video: decided on the first result from the negotiated caps. */
static void
run_decide_mode (Run * run)
{
  GstPad *pad;
  GstCaps *caps;
  gint num = -1, den = 1;

  if (run->mode_known)
    return;
  run->mode_known = TRUE;
  run->still = run->raw_single_frame;
  if (run->opt->raw)
    return;
  pad = gst_element_get_static_pad (run->mobilenet, "sink");
  caps = gst_pad_get_current_caps (pad);
  if (caps) {
    if (gst_structure_get_fraction (gst_caps_get_structure (caps, 0),
            "framerate", &num, &den) && num == 0)
      run->still = TRUE;
    gst_caps_unref (caps);
  }
  gst_object_unref (pad);
}

static void
run_print_result (Run * run, const GstStructure * s)
{
  const Options *opt = run->opt;
  GstClockTime ts = GST_CLOCK_TIME_NONE;
  GstMobilenetClassScore c;
  GString *out = g_string_new (NULL);
  guint n = gst_mobilenet_structure_get_n_classes (s);
  guint shown;

  /* the position in the file; the buffer's PTS when there is no segment */
  if (!gst_structure_get_uint64 (s, "stream-time", &ts) ||
      !GST_CLOCK_TIME_IS_VALID (ts))
    if (!gst_structure_get_uint64 (s, "timestamp", &ts))
      ts = GST_CLOCK_TIME_NONE;

  run_decide_mode (run);
  if (opt->several && !opt->json && run->n_results == 0)
    g_string_append_printf (out, "%s:\n", run->file);

  if (opt->json) {
    g_string_append (out, "{\"file\": ");
    mobilenet_tool_json_file_name (out, run->file);
    if (GST_CLOCK_TIME_IS_VALID (ts))
      g_string_append_printf (out, ", \"timestamp\": %" G_GUINT64_FORMAT, ts);
    else
      g_string_append (out, ", \"timestamp\": null");
    g_string_append (out, ", \"top_k\": [");
    for (guint i = 0; i < n; i++) {
      if (!gst_mobilenet_structure_get_class (s, i, &c))
        break;
      g_string_append_printf (out, "%s{\"class_id\": %d, \"label\": ",
          i ? ", " : "", c.class_id);
      mobilenet_tool_json_string (out, c.label);
      g_string_append_printf (out, ", \"score\": %.6f}", c.score);
    }
    g_string_append (out, "]}\n");
  } else if (run->still) {
    for (guint i = 0; i < n; i++) {
      if (!gst_mobilenet_structure_get_class (s, i, &c))
        break;
      g_string_append_printf (out, "%d %s %.4f\n", c.class_id, c.label,
          c.score);
    }
  } else {
    /* a video shows the best class unless --top-k asked for more */
    shown = opt->top_k > 0 ? MIN (n, (guint) opt->top_k) : MIN (n, 1);
    if (GST_CLOCK_TIME_IS_VALID (ts))
      g_string_append_printf (out, "%" GST_TIME_FORMAT, GST_TIME_ARGS (ts));
    else
      g_string_append (out, "-");
    for (guint i = 0; i < shown; i++) {
      if (!gst_mobilenet_structure_get_class (s, i, &c))
        break;
      g_string_append_printf (out, "%s%d %s %.4f", i ? " | " : " ",
          c.class_id, c.label, c.score);
    }
    if (shown == 0)
      g_string_append (out, " -1 (none) 0.0000");
    g_string_append_c (out, '\n');
  }
  fputs (out->str, stdout);
  g_string_free (out, TRUE);
  run->n_results++;
}

static void
print_error (const gchar * file, const gchar * message, const gchar * details)
{
  mobilenet_tool_print_error (program_name, file, message, details);
}

/* ------------------------------------------------------------------------ */
/* pipeline */

static gboolean
run_build (Run * run, GError ** error)
{
  const Options *opt = run->opt;
  GstElement *src, *demux, *sink;

  run->pipeline = gst_pipeline_new ("classify");
  src = gst_element_factory_make ("filesrc", NULL);
  demux = gst_element_factory_make (opt->raw ? "rawvideoparse" : "decodebin",
      NULL);
  run->convert = gst_element_factory_make ("videoconvert", NULL);
  run->mobilenet = gst_element_factory_make ("mobilenet", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  if (!src || !demux || !run->convert || !run->mobilenet || !sink) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "missing element %s", !src ? "filesrc" : !demux ?
        (opt->raw ? "rawvideoparse" : "decodebin") : !run->convert ?
        "videoconvert" : !run->mobilenet ? "mobilenet" : "fakesink");
    goto fail;
  }

  g_object_set (src, "location", run->file, NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  if (opt->model)
    g_object_set (run->mobilenet, "model", opt->model, NULL);
  if (opt->labels)
    g_object_set (run->mobilenet, "labels", opt->labels, NULL);
  if (opt->threads >= 0)
    g_object_set (run->mobilenet, "threads", opt->threads, NULL);
  g_object_set (run->mobilenet,
      "top-k", (guint) (opt->top_k > 0 ? opt->top_k : DEFAULT_TOP_K),
      "inference-interval", (guint) opt->every, NULL);
  /* a "mobilenet" message for every classified frame (the element's
   * default posts only "mobilenet-label-changed" messages) */
  gst_util_set_object_arg (G_OBJECT (run->mobilenet), "post-messages", "all");
  /* every --every'th frame classified in the streaming thread, none
   * skipped (a file is not live: "auto" is "sync" too) */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (run->mobilenet),
          "mode"))
    gst_util_set_object_arg (G_OBJECT (run->mobilenet), "mode", "sync");

  gst_bin_add_many (GST_BIN (run->pipeline), src, demux, run->convert,
      run->mobilenet, sink, NULL);
  if (!gst_element_link (src, demux) ||
      !gst_element_link_many (run->convert, run->mobilenet, sink, NULL))
    goto link_failed;

  if (opt->raw) {
    g_object_set (demux, "width", opt->raw_width, "height", opt->raw_height,
        NULL);
    gst_util_set_object_arg (G_OBJECT (demux), "format", "rgb");
    if (!gst_element_link (demux, run->convert))
      goto link_failed;
  } else {
    mobilenet_tool_decode_video_to (demux, run->convert,
        "The file has no video or image stream.");
  }
  return TRUE;

  /* ERRORS */
link_failed:
  {
    /* the pipeline owns the elements */
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "could not link the pipeline's elements");
    return FALSE;
  }
fail:
  g_clear_object (&src);
  g_clear_object (&demux);
  g_clear_object (&run->convert);
  g_clear_object (&run->mobilenet);
  g_clear_object (&sink);
  return FALSE;
}

/* Checks a raw file's size against --raw WxH before the pipeline runs. */
static gboolean
run_check_raw (Run * run)
{
  const Options *opt = run->opt;
  guint64 frame = (guint64) opt->raw_width * opt->raw_height * 3;
  gchar *msg;
  struct stat st;

  if (stat (run->file, &st) != 0)
    return TRUE;                /* filesrc reports a missing file */
  if (!S_ISREG (st.st_mode) || st.st_size == 0 ||
      (guint64) st.st_size % frame != 0) {
    msg = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes are not a whole "
        "number of %dx%d RGB frames (%" G_GUINT64_FORMAT " bytes each).",
        (guint64) st.st_size, opt->raw_width, opt->raw_height, frame);
    print_error (run->file, msg, NULL);
    g_free (msg);
    return FALSE;
  }
  run->raw_single_frame = (guint64) st.st_size == frame;
  return TRUE;
}

static gboolean
classify_file (const Options * opt, const gchar * file)
{
  Run run = { 0 };
  GstBus *bus;
  GstMessage *msg;
  GError *error = NULL;
  gchar *debug = NULL;
  gboolean ok = FALSE, done = FALSE;
  const GstStructure *s;

  run.opt = opt;
  run.file = file;
  if (opt->raw && !run_check_raw (&run))
    return FALSE;
  if (!run_build (&run, &error)) {
    print_error (file, error->message, NULL);
    g_clear_error (&error);
    gst_clear_object (&run.pipeline);
    return FALSE;
  }

  bus = gst_element_get_bus (run.pipeline);
  /* A failed state change (a missing file, an unloadable model) has posted
   * an ERROR on the bus: the loop below reports it. */
  gst_element_set_state (run.pipeline, GST_STATE_PLAYING);

  while (!done) {
    msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING |
        GST_MESSAGE_ELEMENT);
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ELEMENT:
        s = gst_message_get_structure (msg);
        if (GST_MESSAGE_SRC (msg) == GST_OBJECT (run.mobilenet) &&
            gst_structure_has_name (s, "mobilenet"))
          run_print_result (&run, s);
        break;
      case GST_MESSAGE_WARNING:
        gst_message_parse_warning (msg, &error, &debug);
        fflush (stdout);
        g_printerr ("%s: %s: warning: %s\n", program_name, file,
            error->message);
        g_clear_error (&error);
        g_clear_pointer (&debug, g_free);
        break;
      case GST_MESSAGE_ERROR:
        gst_message_parse_error (msg, &error, &debug);
        print_error (file, error->message, debug);
        g_clear_error (&error);
        g_clear_pointer (&debug, g_free);
        done = TRUE;
        break;
      case GST_MESSAGE_EOS:
        if (run.n_results > 0)
          ok = TRUE;
        else
          print_error (file, "No frame was classified (an empty or "
              "truncated stream?).", NULL);
        done = TRUE;
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }

  gst_element_set_state (run.pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (run.pipeline);
  fflush (stdout);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* setup */

static gboolean
parse_raw_size (Options * opt, GError ** error)
{
  gchar *end = NULL;
  guint64 w, h;

  w = g_ascii_strtoull (opt->raw, &end, 10);
  if (end == opt->raw || (*end != 'x' && *end != 'X'))
    goto bad;
  h = g_ascii_strtoull (end + 1, &end, 10);
  if (*end != '\0' || w < 1 || h < 1 || w > 32768 || h > 32768)
    goto bad;
  opt->raw_width = (gint) w;
  opt->raw_height = (gint) h;
  return TRUE;

bad:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "--raw wants WIDTHxHEIGHT, e.g. 224x224 (got \"%s\")", opt->raw);
  return FALSE;
}

int
main (int argc, char **argv)
{
  Options opt = { 0 };
  gchar **files = NULL;
  GError *error = NULL;
  GOptionContext *ctx;
  guint n_files, failed = 0;
  int status;
  const GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &opt.model,
        "TensorFlow Lite model (default: $GST_MOBILENET_MODEL, else the "
          "model installed with the plugin)", "MODEL"},
    {"labels", 'l', 0, G_OPTION_ARG_FILENAME, &opt.labels,
        "Labels file (default: labels in the model, else labels.txt or "
          "<model name>.txt beside it, else \"class N\")", "LABELS"},
    {"top-k", 'k', 0, G_OPTION_ARG_INT, &opt.top_k,
        "Classes to print (default: 5 for an image, 1 for a video)", "K"},
    {"json", 'j', 0, G_OPTION_ARG_NONE, &opt.json,
        "One JSON object per classified frame: {\"file\", \"timestamp\" "
          "(stream time in ns, or null), \"top_k\": [{\"class_id\", "
          "\"label\", \"score\"}]}", NULL},
    {"raw", 0, 0, G_OPTION_ARG_STRING, &opt.raw,
        "Files are raw RGB frames of WxH pixels (W*H*3 bytes each, read "
          "at 25 fps)", "WxH"},
    {"every", 'e', 0, G_OPTION_ARG_INT, &opt.every,
        "Classify every Nth frame of a video (default 1)", "N"},
    {"threads", 't', 0, G_OPTION_ARG_INT, &opt.threads,
        "Inference threads, 0 = all cores (default: the element's)", "N"},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL,
        "FILE..."},
    {NULL}
  };

  opt.every = 1;
  opt.threads = -1;
  if (argv[0])
    program_name = g_path_get_basename (argv[0]);

  ctx = g_option_context_new ("- classify images and videos with "
      "the mobilenet GStreamer element");
  g_option_context_set_summary (ctx,
      "Decodes each FILE (any format GStreamer's decodebin opens; raw RGB "
      "with --raw) and classifies its frames.\n"
      "An image prints \"class_id label score\" lines, best first; a video "
      "one \"TIMESTAMP class_id label score\" line per classified frame.\n"
      "With several files, each file's lines follow a \"FILE:\" line.");
  g_option_context_set_description (ctx,
      "Environment:\n"
      "  GST_MOBILENET_MODEL    the model when --model is not given\n"
      "  GST_PLUGIN_PATH        where GStreamer finds the mobilenet plugin\n"
      "  MOBILENET_PLUGIN_DIR   a directory with libgstmobilenet.so to use "
      "first\n"
      "\n"
      "Exit status: 0 when every file was classified, 1 when any failed, "
      "2 on a usage error.\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    goto usage;
  if (files == NULL || files[0] == NULL) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "no FILE given");
    goto usage;
  }
  if (opt.top_k < 0 || opt.top_k > 100) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--top-k wants 1 to 100 (got %d)", opt.top_k);
    goto usage;
  }
  if (opt.every < 1) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--every wants 1 or more (got %d)", opt.every);
    goto usage;
  }
  if (opt.threads < -1 || opt.threads > 1024) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--threads wants 0 to 1024 (got %d)", opt.threads);
    goto usage;
  }
  if (opt.raw && !parse_raw_size (&opt, &error))
    goto usage;
  g_option_context_free (ctx);

  if (!mobilenet_tool_find_plugin (program_name)) {
    status = 1;
    goto out;
  }

  n_files = g_strv_length (files);
  opt.several = n_files > 1;
  for (guint i = 0; i < n_files; i++)
    if (!classify_file (&opt, files[i]))
      failed++;
  status = failed ? 1 : 0;

out:
  g_strfreev (files);
  g_free (opt.model);
  g_free (opt.labels);
  g_free (opt.raw);
  gst_deinit ();
  return status;

usage:
  g_printerr ("%s: %s\nTry \"%s --help\".\n", program_name, error->message,
      program_name);
  g_clear_error (&error);
  g_option_context_free (ctx);
  g_strfreev (files);
  g_free (opt.model);
  g_free (opt.labels);
  g_free (opt.raw);
  return 2;
}
