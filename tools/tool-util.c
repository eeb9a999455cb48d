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
mobilenet_tool_find_plugin (void)
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
  if (factory == NULL)
    return FALSE;
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

gboolean
mobilenet_tool_link_raw_video (GstPad *pad, GstElement *convert)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean linked = FALSE;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (!gst_caps_is_empty (caps) && g_str_has_prefix (gst_structure_get_name
          (gst_caps_get_structure (caps, 0)), "video/x-raw")) {
    GstPad *sink = gst_element_get_static_pad (convert, "sink");

    linked = gst_pad_link (pad, sink) == GST_PAD_LINK_OK;
    gst_object_unref (sink);
  }
  gst_caps_unref (caps);
  return linked;
}
