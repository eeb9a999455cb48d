/* elements_util.c: see elements_util.h. */
#include "elements_util.h"
#include "gstmobilenetmeta.h"

#include <gst/check/gstharness.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int eu_passed, eu_failed;

gboolean
eu_check (gboolean ok, const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  gchar *what;

  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (ok) {
    eu_passed++;
    printf ("ok   %s\n", what);
  } else {
    eu_failed++;
    printf ("FAIL %s (%s:%d)\n", what, file, line);
  }
  fflush (stdout);
  g_free (what);
  return ok;
}

static const gchar *
shared_dir (void)
{
  const gchar *env = g_getenv ("MOBILENET_SHARED_DIR");
  return env && *env ? env : "../shared";
}

static gchar *
shared_file (const gchar *sub, const gchar *name)
{
  gchar *path = g_build_filename (shared_dir (), sub, name, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    printf ("FAIL missing shared file %s: set MOBILENET_SHARED_DIR to the "
        "shared data folder (models/, images/)\n", path);
    printf ("%d passed, %d failed\n", eu_passed, eu_failed + 1);
    exit (1);
  }
  return path;
}

gchar *
eu_model (const gchar *name)
{
  return shared_file ("models", name);
}

gchar *
eu_image (const gchar *name)
{
  return shared_file ("images", name);
}

gchar *
eu_labels (void)
{
  return shared_file ("models", "imagenet_labels.txt");
}

void
eu_init (int *argc, char ***argv)
{
  GstElementFactory *f;

  gst_init (argc, argv);
  g_free (eu_labels ());
  f = gst_element_factory_find ("mobilenet");
  if (f == NULL) {
    printf ("FAIL the mobilenet element is not in the registry: "
        "GST_PLUGIN_PATH_1_0=%s\n", g_getenv ("GST_PLUGIN_PATH_1_0"));
    exit (1);
  }
  gst_object_unref (f);
}

int
eu_finish (void)
{
  int failed = eu_failed;

  printf ("%d passed, %d failed\n", eu_passed, eu_failed);
  gst_deinit ();
  return failed ? 1 : 0;
}

GstSample *
eu_decode_image (const gchar *path, const gchar *format)
{
  GstElement *pipe, *sink;
  GstSample *sample;
  GError *err = NULL;
  gchar *desc;
  const gchar *dec = g_str_has_suffix (path, ".png") ? "pngdec" :
      g_str_has_suffix (path, ".jpg") ? "jpegdec" : "decodebin";

  desc = g_strdup_printf ("filesrc location=\"%s\" ! %s ! videoconvert ! "
      "video/x-raw,format=%s ! appsink name=sink sync=false", path, dec,
      format);
  pipe = gst_parse_launch (desc, &err);
  g_free (desc);
  if (pipe == NULL) {
    printf ("# cannot decode %s: %s\n", path, err ? err->message : "?");
    g_clear_error (&err);
    return NULL;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_signal_emit_by_name (sink, "pull-sample", &sample);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return sample;
}

GstBuffer *
eu_pattern_buffer (const GstVideoInfo *info, guint seed)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstMapInfo map;
  guint32 x = seed * 2654435761u + 12345u;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++) {
    x = x * 1664525u + 1013904223u;
    map.data[i] = x >> 24;
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_N_PLANES (info),
      (gsize *) info->offset, (gint *) info->stride);
  return buf;
}

gboolean
eu_buffers_equal (GstBuffer *a, GstBuffer *b)
{
  GstMapInfo ma, mb;
  gboolean eq;

  if (!gst_buffer_map (a, &ma, GST_MAP_READ))
    return FALSE;
  if (!gst_buffer_map (b, &mb, GST_MAP_READ)) {
    gst_buffer_unmap (a, &ma);
    return FALSE;
  }
  eq = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return eq;
}

gboolean
eu_meta_top1 (GstBuffer *buf, gint *class_id, const gchar **label,
    gdouble *score)
{
  const GstStructure *s = gst_buffer_get_mobilenet_meta (buf);

  if (s == NULL)
    return FALSE;
  gst_mobilenet_structure_get_top1 (s, class_id, label, score);
  return TRUE;
}

GstElement *
eu_harness_element (gpointer harness, const gchar *name)
{
  GstHarness *h = harness;

  if (GST_IS_BIN (h->element))
    return gst_bin_get_by_name (GST_BIN (h->element), name);
  return gst_object_ref (h->element);
}
