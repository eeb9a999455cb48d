/* groups.h: class selections and class groups.
 *
 * A selection is a comma-separated list of class ids ("286"), ranges
 * ("151-268") and label patterns: a word matches a label that equals it or
 * one of the label's comma-separated synonyms ("daisy", "goldfish"), a
 * pattern with * or ? is matched against the whole label ("*rose*").
 * Case is ignored.  The allow/deny properties and every line of a groups
 * file are selections.
 *
 * A groups file has one group a line, "name: selection"; blank lines and
 * everything after a '#' are ignored:
 *
 *   # ImageNet
 *   dog: 152-269
 *   cat: 282-286
 *   flower: daisy, *rose*
 *
 * A group's score is the sum of its classes' scores.
 * Plain C + GLib, no GStreamer: tested by tests/elements/test_groups.c. */
#ifndef __GST_MOBILENET_GROUPS_H__
#define __GST_MOBILENET_GROUPS_H__

#include <glib.h>

G_BEGIN_DECLS

#define GST_MOBILENET_GROUPS_ERROR (gst_mobilenet_groups_error_quark ())
GQuark gst_mobilenet_groups_error_quark (void);

/* Marks in @mask (n values, not cleared first) the items of @names (n
 * names, NULL entries never match) that @spec selects.  With @numbers,
 * integers and ranges are item indices; without, every token is a pattern.
 * Returns FALSE with @error on a malformed token or an index out of range.
 * Tokens that select nothing are appended to @unmatched (when given),
 * separated by ", ". */
gboolean gst_mobilenet_select (const gchar *spec, guint n,
    const gchar *const *names, gboolean numbers, gboolean *mask,
    GString *unmatched, GError **error);

typedef struct _GstMobilenetGroups GstMobilenetGroups;

/* Parses a groups file's @text for a model of @n_classes classes named
 * @names; @source names the file in errors.  NULL with @error when a line
 * is malformed, a name repeats or there is no group. */
GstMobilenetGroups *gst_mobilenet_groups_parse (const gchar *text,
    const gchar *source, guint n_classes, const gchar *const *names,
    GError **error);
GstMobilenetGroups *gst_mobilenet_groups_load (const gchar *path,
    guint n_classes, const gchar *const *names, GError **error);
void gst_mobilenet_groups_free (GstMobilenetGroups *g);

guint gst_mobilenet_groups_count (const GstMobilenetGroups *g);
/* The names, in file order, NULL-terminated. */
const gchar *const *gst_mobilenet_groups_names (const GstMobilenetGroups *g);
/* How many classes group @i holds. */
guint gst_mobilenet_groups_size (const GstMobilenetGroups *g, guint i);
gboolean gst_mobilenet_groups_contains (const GstMobilenetGroups *g,
    guint i, guint class_id);
/* Patterns that matched no class ("line 3: *foo*, ..."), or NULL. */
const gchar *gst_mobilenet_groups_unmatched (const GstMobilenetGroups *g);

/* out[i] = the sum of @scores over the classes of group i. */
void gst_mobilenet_groups_sum (const GstMobilenetGroups *g,
    const gfloat *scores, gfloat *out);

G_END_DECLS

#endif /* __GST_MOBILENET_GROUPS_H__ */
