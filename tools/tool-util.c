/* tool-util.c: see tool-util.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <string.h>

#include "tool-util.h"

gboolean
mobilenet_tool_run_from_build_tree (void)
{
#if defined (MOBILENET_BUILD_PLUGIN_DIR) && defined (MOBILENET_BUILD_TOOL_DIR)
  gchar *exe = g_file_read_link ("/proc/self/exe", NULL);
  gchar *dir = exe ? g_path_get_dirname (exe) : NULL;
  gboolean same = dir && g_strcmp0 (dir, MOBILENET_BUILD_TOOL_DIR) == 0 &&
      g_file_test (MOBILENET_BUILD_PLUGIN_DIR, G_FILE_TEST_IS_DIR);

  g_free (exe);
  g_free (dir);
  return same;
#else
  return FALSE;
#endif
}

gboolean
mobilenet_tool_find_plugin (const gchar *program)
{
  GstRegistry *registry = gst_registry_get ();
  const gchar *dir = g_getenv ("MOBILENET_PLUGIN_DIR");
  GstElementFactory *factory;

  if (dir && *dir)
    gst_registry_scan_path (registry, dir);
  factory = gst_element_factory_find ("mobilenet");
#ifdef MOBILENET_BUILD_PLUGIN_DIR
  if (factory == NULL && mobilenet_tool_run_from_build_tree ()) {
    gst_registry_scan_path (registry, MOBILENET_BUILD_PLUGIN_DIR);
    factory = gst_element_factory_find ("mobilenet");
  }
#endif
  if (factory == NULL) {
    g_printerr ("%s: the mobilenet GStreamer element was not found: set "
        "GST_PLUGIN_PATH (or MOBILENET_PLUGIN_DIR) to the directory of "
        "libgstmobilenet.so\n", program);
    return FALSE;
  }
  gst_object_unref (factory);
  return TRUE;
}

void
mobilenet_tool_json_string (GString *out, const gchar *s)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) s; *p; p++) {
    switch (*p) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if (*p < 0x20)
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, (gchar) *p);
        break;
    }
  }
  g_string_append_c (out, '"');
}

void
mobilenet_tool_json_file_name (GString *out, const gchar *file)
{
  gchar *display = g_filename_display_name (file);

  mobilenet_tool_json_string (out, display);
  g_free (display);
}

void
mobilenet_tool_print_error (const gchar *program, const gchar *file,
    const gchar *message, const gchar *details)
{
  const gchar *nl = details ? strchr (details, '\n') : NULL;
  gchar *d = g_strstrip (g_strdup (nl ? nl + 1 : ""));

  fflush (stdout);
  if (*d)
    g_printerr ("%s: %s: %s\n  (%s)\n", program, file, message, d);
  else
    g_printerr ("%s: %s: %s\n", program, file, message);
  g_free (d);
}

typedef struct
{
  GstElement *convert;          /* owned by the pipeline, which outlives us */
  gchar *no_video;
  gint linked;                  /* atomic: pads may appear on several threads */
} DecodeLink;

static void
decode_link_free (gpointer data, GClosure * closure)
{
  DecodeLink *d = data;

  (void) closure;
  g_free (d->no_video);
  g_free (d);
}

/* The first raw video pad goes to the converter. */
static void
on_pad_added (GstElement * decodebin, GstPad * pad, DecodeLink * d)
{
  GstCaps *caps;
  GstPad *sink;

  (void) decodebin;
  if (g_atomic_int_get (&d->linked))
    return;
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (!gst_caps_is_empty (caps) && g_str_has_prefix (gst_structure_get_name
          (gst_caps_get_structure (caps, 0)), "video/x-raw")) {
    sink = gst_element_get_static_pad (d->convert, "sink");
    if (gst_pad_link (pad, sink) == GST_PAD_LINK_OK)
      g_atomic_int_set (&d->linked, 1);
    gst_object_unref (sink);
  }
  gst_caps_unref (caps);
}

static void
on_no_more_pads (GstElement * decodebin, DecodeLink * d)
{
  if (!g_atomic_int_get (&d->linked))
    GST_ELEMENT_ERROR (decodebin, STREAM, WRONG_TYPE, ("%s", d->no_video),
        ("decodebin exposed no video/x-raw pad"));
}

void
mobilenet_tool_decode_video_to (GstElement * decodebin, GstElement * convert,
    const gchar * no_video)
{
  DecodeLink *d = g_new0 (DecodeLink, 1);

  d->convert = convert;
  d->no_video = g_strdup (no_video);
  g_signal_connect_data (decodebin, "pad-added", G_CALLBACK (on_pad_added), d,
      decode_link_free, 0);
  g_signal_connect (decodebin, "no-more-pads", G_CALLBACK (on_no_more_pads), d);
}
