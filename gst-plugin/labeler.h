/* labeler.h: from one result's class scores to what the element reports.
 *
 * For every result: class scores -> group sums (report=groups) -> the
 * smoother -> allow/deny -> the hysteresis; the raw best item (before
 * smoothing and hysteresis) is kept beside the reported one.  Items are
 * classes, or groups with report=groups.
 * Plain C + GLib, no GStreamer: tested by tests/elements/test_smoothing.c. */
#ifndef __GST_MOBILENET_LABELER_H__
#define __GST_MOBILENET_LABELER_H__

#include <glib.h>

#include "groups.h"
#include "smoothing.h"

G_BEGIN_DECLS

typedef struct {
  GstMobilenetSmoothing smoothing;
  gdouble smoothing_factor;
  guint smoothing_window;
  guint min_dwell;
  gdouble switch_margin;
  const GstMobilenetGroups *groups;     /* non-NULL: report groups */
  const gchar *allow;                   /* NULL or "": everything */
  const gchar *deny;                    /* NULL or "": nothing */
} GstMobilenetLabelerSettings;

typedef struct {
  gint id;                      /* class id or group index; -1 = none */
  const gchar *name;            /* "" when id is -1; owned by the labeler */
  gdouble score;
} GstMobilenetLabel;

typedef struct {
  GstMobilenetLabel raw;        /* best allowed item of this result alone */
  GstMobilenetLabel reported;   /* the held item, with its smoothed score */
  GstMobilenetLabel previous;   /* the reported item before this result */
  gboolean changed;             /* reported.id != previous.id */
} GstMobilenetLabelerResult;

typedef struct _GstMobilenetLabeler GstMobilenetLabeler;

/* @class_names: @n_classes names (borrowed: they and @s->groups must
 * outlive the labeler).  NULL with @error when allow/deny is malformed.
 * Tokens of allow/deny that match nothing are in
 * gst_mobilenet_labeler_unmatched(). */
GstMobilenetLabeler *gst_mobilenet_labeler_new (guint n_classes,
    const gchar *const *class_names, const GstMobilenetLabelerSettings *s,
    GError **error);
void gst_mobilenet_labeler_free (GstMobilenetLabeler *l);
void gst_mobilenet_labeler_reset (GstMobilenetLabeler *l);
const gchar *gst_mobilenet_labeler_unmatched (GstMobilenetLabeler *l);

/* Feeds one result (@scores: n_classes values).  An item scoring below
 * @threshold is not reported (id -1). */
void gst_mobilenet_labeler_push (GstMobilenetLabeler *l, const gfloat *scores,
    gdouble threshold, GstMobilenetLabelerResult *out);

/* TRUE once a result was pushed (since new/reset). */
gboolean gst_mobilenet_labeler_has_result (GstMobilenetLabeler *l);

/* The last result's reportable items into @out (at most @k): the reported
 * item first, then the other allowed items by smoothed score, best first,
 * ties to the lower id; none below @threshold (and nothing at all when the
 * reported item is below it).  Returns how many. */
guint gst_mobilenet_labeler_top_k (GstMobilenetLabeler *l, guint k,
    gdouble threshold, GstMobilenetLabel *out);

/* The last result again, as push() reported it (changed is FALSE). */
void gst_mobilenet_labeler_last (GstMobilenetLabeler *l, gdouble threshold,
    GstMobilenetLabelerResult *out);

G_END_DECLS

#endif /* __GST_MOBILENET_LABELER_H__ */
