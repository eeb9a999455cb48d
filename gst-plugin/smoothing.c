/* smoothing.c: see smoothing.h. */
#include "smoothing.h"

#include <string.h>

struct _GstMobilenetSmoother {
  guint n;
  GstMobilenetSmoothing mode;
  gdouble factor;
  guint window;
  guint count;                  /* results pushed since the reset */
  gfloat *out;                  /* the smoothed vector */
  /* WINDOW: a ring of the last window results, and their sum in double
   * so that adding and removing does not drift */
  gfloat *ring;
  gdouble *sum;
  guint head;
};

GstMobilenetSmoother *
gst_mobilenet_smoother_new (guint n, GstMobilenetSmoothing mode,
    gdouble factor, guint window)
{
  GstMobilenetSmoother *sm;

  g_return_val_if_fail (n > 0, NULL);

  sm = g_new0 (GstMobilenetSmoother, 1);
  sm->n = n;
  sm->mode = mode;
  sm->factor = CLAMP (factor, 1e-6, 1.0);
  sm->window = MAX (window, 1);
  sm->out = g_new0 (gfloat, n);
  if (mode == GST_MOBILENET_SMOOTHING_WINDOW) {
    sm->ring = g_new0 (gfloat, (gsize) n * sm->window);
    sm->sum = g_new0 (gdouble, n);
  }
  return sm;
}

void
gst_mobilenet_smoother_free (GstMobilenetSmoother *sm)
{
  if (sm == NULL)
    return;
  g_free (sm->out);
  g_free (sm->ring);
  g_free (sm->sum);
  g_free (sm);
}

void
gst_mobilenet_smoother_reset (GstMobilenetSmoother *sm)
{
  sm->count = 0;
  sm->head = 0;
  if (sm->sum)
    memset (sm->sum, 0, sm->n * sizeof (gdouble));
}

const gfloat *
gst_mobilenet_smoother_push (GstMobilenetSmoother *sm, const gfloat *scores)
{
  guint n = sm->n;

  switch (sm->mode) {
    case GST_MOBILENET_SMOOTHING_EMA:
      if (sm->count == 0) {
        memcpy (sm->out, scores, n * sizeof (gfloat));
      } else {
        gfloat f = (gfloat) sm->factor;

        for (guint i = 0; i < n; i++)
          sm->out[i] += f * (scores[i] - sm->out[i]);
      }
      break;
    case GST_MOBILENET_SMOOTHING_WINDOW:{
      gfloat *slot = sm->ring + (gsize) sm->head * n;
      guint filled;

      if (sm->count >= sm->window)
        for (guint i = 0; i < n; i++)
          sm->sum[i] -= slot[i];
      memcpy (slot, scores, n * sizeof (gfloat));
      for (guint i = 0; i < n; i++)
        sm->sum[i] += scores[i];
      sm->head = (sm->head + 1) % sm->window;
      filled = MIN (sm->count + 1, sm->window);
      for (guint i = 0; i < n; i++)
        sm->out[i] = (gfloat) (sm->sum[i] / filled);
      break;
    }
    case GST_MOBILENET_SMOOTHING_NONE:
    default:
      memcpy (sm->out, scores, n * sizeof (gfloat));
      break;
  }
  if (sm->count < G_MAXUINT)
    sm->count++;
  return sm->out;
}

gint
gst_mobilenet_argmax (const gfloat *v, guint n, const gboolean *mask)
{
  gint best = -1;

  for (guint i = 0; i < n; i++) {
    if (mask && !mask[i])
      continue;
    if (best < 0 || v[i] > v[best])
      best = i;
  }
  return best;
}

void
gst_mobilenet_hysteresis_init (GstMobilenetHysteresis *h, guint min_dwell,
    gdouble margin)
{
  h->min_dwell = MAX (min_dwell, 1);
  h->margin = margin;
  gst_mobilenet_hysteresis_reset (h);
}

void
gst_mobilenet_hysteresis_reset (GstMobilenetHysteresis *h)
{
  h->current = -1;
  h->candidate = -1;
  h->count = 0;
}

gint
gst_mobilenet_hysteresis_update (GstMobilenetHysteresis *h, const gfloat *v,
    gint leader, const gboolean *mask)
{
  if (leader < 0 || h->current < 0 || (mask && !mask[h->current])) {
    /* nothing to compare with: take the leader (or nothing) at once */
    h->current = leader;
    h->candidate = -1;
    h->count = 0;
    return h->current;
  }
  if (leader == h->current) {
    h->candidate = -1;
    h->count = 0;
    return h->current;
  }
  if (leader == h->candidate) {
    h->count++;
  } else {
    h->candidate = leader;
    h->count = 1;
  }
  if (h->count >= h->min_dwell &&
      (gdouble) v[leader] - (gdouble) v[h->current] >= h->margin) {
    h->current = leader;
    h->candidate = -1;
    h->count = 0;
  }
  return h->current;
}
