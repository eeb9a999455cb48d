/* smoothing.h: stable labels from a stream of score vectors.
 *
 * A smoother averages score vectors (exponential moving average or the mean
 * of a sliding window); a hysteresis decides which class is reported: the
 * reported class changes only when another class has led for min_dwell
 * results in a row and beats the reported one by more than margin.
 * Plain C + GLib, no GStreamer: tested by tests/elements/test_smoothing.c. */
#ifndef __GST_MOBILENET_SMOOTHING_H__
#define __GST_MOBILENET_SMOOTHING_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  GST_MOBILENET_SMOOTHING_NONE = 0,     /* the last result as it is */
  GST_MOBILENET_SMOOTHING_EMA,          /* s = f * x + (1 - f) * s */
  GST_MOBILENET_SMOOTHING_WINDOW,       /* mean of the last N results */
} GstMobilenetSmoothing;

typedef struct _GstMobilenetSmoother GstMobilenetSmoother;

/* A smoother of vectors of @n values.  @factor (EMA) is the weight of the
 * newest result, in (0, 1]; @window (WINDOW) how many results are averaged,
 * >= 1. */
GstMobilenetSmoother *gst_mobilenet_smoother_new (guint n,
    GstMobilenetSmoothing mode, gdouble factor, guint window);
void gst_mobilenet_smoother_free (GstMobilenetSmoother *sm);

/* Adds a result; returns the smoothed vector (n values, owned by @sm, valid
 * until the next call).  The first result after new/reset is returned as
 * it is. */
const gfloat *gst_mobilenet_smoother_push (GstMobilenetSmoother *sm,
    const gfloat *scores);

/* Forgets every result. */
void gst_mobilenet_smoother_reset (GstMobilenetSmoother *sm);

/* The index of the best value among the @n of @v where @mask (NULL = all)
 * is TRUE; ties go to the lower index; -1 when none is allowed. */
gint gst_mobilenet_argmax (const gfloat *v, guint n, const gboolean *mask);

typedef struct {
  guint min_dwell;              /* results a challenger must lead, >= 1 */
  gdouble margin;               /* by how much it must beat the current one */
  gint current;                 /* the reported class, -1 = none yet */
  gint candidate;               /* the challenger, -1 = none */
  guint count;                  /* results it has led in a row */
} GstMobilenetHysteresis;

void gst_mobilenet_hysteresis_init (GstMobilenetHysteresis *h,
    guint min_dwell, gdouble margin);
void gst_mobilenet_hysteresis_reset (GstMobilenetHysteresis *h);

/* Feeds the (smoothed) scores of one result whose best allowed class is
 * @leader (-1 = none); returns the reported class.  The first leader is
 * taken at once; later the reported class changes to a challenger when it
 * has led for min_dwell results in a row (this one included) and
 * v[leader] - v[current] >= margin.  When @mask rules out the current class
 * (the settings changed), the leader is taken at once. */
gint gst_mobilenet_hysteresis_update (GstMobilenetHysteresis *h,
    const gfloat *v, gint leader, const gboolean *mask);

G_END_DECLS

#endif /* __GST_MOBILENET_SMOOTHING_H__ */
