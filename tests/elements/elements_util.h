/* elements_util.h: helpers shared by the element tests: checks that print
 * one line each, the shared models and images, decoding a picture, reading
 * the classification meta. */
#ifndef ELEMENTS_UTIL_H
#define ELEMENTS_UTIL_H

#include <gst/gst.h>
#include <gst/video/video.h>

extern int eu_passed, eu_failed;

/* Prints "ok   <what>" or "FAIL <what> (file:line)" and counts it. */
#define CHECK(cond, ...)                                                  \
  eu_check (!!(cond), __FILE__, __LINE__, __VA_ARGS__)

gboolean eu_check (gboolean ok, const char *file, int line,
    const char *fmt, ...) G_GNUC_PRINTF (4, 5);

/* gst_init, plus a loud failure if the plugin or the shared data cannot be
 * found.  Every test program starts with it. */
void eu_init (int *argc, char ***argv);

/* Prints the totals, calls gst_deinit() and returns the exit status. */
int eu_finish (void);

/* "<shared>/models/<name>"; exits with a failure if the file is missing. */
gchar *eu_model (const gchar *name);
/* "<shared>/images/<name>"; same. */
gchar *eu_image (const gchar *name);
/* "<shared>/models/imagenet_labels.txt" */
gchar *eu_labels (void);

/* Decodes a picture into a sample of @format (e.g. "RGB", "I420"), or
 * NULL. */
GstSample *eu_decode_image (const gchar *path, const gchar *format);

/* A buffer of the size @info needs, filled with a repeatable pattern. */
GstBuffer *eu_pattern_buffer (const GstVideoInfo *info, guint seed);

/* TRUE if both buffers hold the same bytes. */
gboolean eu_buffers_equal (GstBuffer *a, GstBuffer *b);

/* The element named @name inside a harness made with
 * gst_harness_new_parse() (transfer full). */
GstElement *eu_harness_element (gpointer harness, const gchar *name);

/* Top-1 of the meta on @buf: returns FALSE when there is no meta. */
gboolean eu_meta_top1 (GstBuffer *buf, gint *class_id, const gchar **label,
    gdouble *score);

#endif
