/* tool-util.h: small helpers shared by the command-line tools over the
 * mobilenet element (mobilenet-tag; meant for mobilenet-classify too).
 *
 * Compiled with MOBILENET_BUILD_PLUGIN_DIR and MOBILENET_BUILD_TOOL_DIR
 * (tools/meson.build): a tool run from the build tree falls back to the
 * plugin built beside it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __MOBILENET_TOOL_UTIL_H__
#define __MOBILENET_TOOL_UTIL_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* TRUE when the running executable lies in the build tree's tools/ (not an
 * installed copy), so files of the source and build trees are the ones to
 * use. */
gboolean mobilenet_tool_run_from_build_tree (void);

/* Makes the mobilenet element available: MOBILENET_PLUGIN_DIR first, then
 * the registry (GST_PLUGIN_PATH, the system plugins), then, for a tool run
 * from the build tree, the plugin built beside it.  FALSE, after saying
 * so on stderr as @program, when none. */
gboolean mobilenet_tool_find_plugin (const gchar *program);

/* Links @decodebin's first raw video stream to @convert's sink as its pads
 * appear (other streams stay unlinked and are dropped); when it has
 * exposed all its pads and none was video, posts a STREAM WRONG_TYPE
 * error saying @no_video. */
void mobilenet_tool_decode_video_to (GstElement *decodebin, GstElement *convert,
    const gchar *no_video);

/* Appends @s as a JSON string (quotes, escapes; UTF-8 passes through). */
void mobilenet_tool_json_string (GString *out, const gchar *s);

/* A file name as a JSON string: valid UTF-8 as is, anything else as GLib's
 * display name of it (so the output stays valid JSON). */
void mobilenet_tool_json_file_name (GString *out, const gchar *file);

/* "PROGRAM: FILE: message" on stderr and, indented below, the developer
 * details of a GStreamer error without their "file.c(line): function ():
 * /element/path:" first line.  Flushes stdout first. */
void mobilenet_tool_print_error (const gchar *program, const gchar *file,
    const gchar *message, const gchar *details);

G_END_DECLS

#endif /* __MOBILENET_TOOL_UTIL_H__ */
