/* labeler.c: see labeler.h. */
#include "labeler.h"

#include <string.h>

struct _GstMobilenetLabeler {
  guint n_classes;
  guint n;                      /* items: classes or groups */
  const gchar *const *names;    /* n names */
  const GstMobilenetGroups *groups;
  gboolean *mask;               /* allowed items */
  gfloat *items;                /* this result, per item */
  const gfloat *smoothed;       /* owned by the smoother */
  GstMobilenetSmoother *smoother;
  GstMobilenetHysteresis hyst;
  gint raw;                     /* best allowed item of the last result */
  gint reported;                /* after the threshold, -1 = none */
  gboolean have_result;
  gchar *unmatched;
};

GstMobilenetLabeler *
gst_mobilenet_labeler_new (guint n_classes, const gchar *const *class_names,
    const GstMobilenetLabelerSettings *s, GError **error)
{
  GstMobilenetLabeler *l = g_new0 (GstMobilenetLabeler, 1);
  gboolean numbers;
  GString *miss = g_string_new (NULL);

  l->n_classes = n_classes;
  l->groups = s->groups;
  if (s->groups) {
    l->n = gst_mobilenet_groups_count (s->groups);
    l->names = gst_mobilenet_groups_names (s->groups);
    numbers = FALSE;            /* allow/deny name groups */
  } else {
    l->n = n_classes;
    l->names = class_names;
    numbers = TRUE;
  }
  l->mask = g_new0 (gboolean, l->n);
  l->items = g_new0 (gfloat, l->n);

  if (s->allow && *s->allow) {
    if (!gst_mobilenet_select (s->allow, l->n, l->names, numbers, l->mask,
            miss, error))
      goto fail;
  } else {
    for (guint i = 0; i < l->n; i++)
      l->mask[i] = TRUE;
  }
  if (s->deny && *s->deny) {
    gboolean *deny = g_new0 (gboolean, l->n);

    if (!gst_mobilenet_select (s->deny, l->n, l->names, numbers, deny, miss,
            error)) {
      g_free (deny);
      goto fail;
    }
    for (guint i = 0; i < l->n; i++)
      if (deny[i])
        l->mask[i] = FALSE;
    g_free (deny);
  }
  if (miss->len)
    l->unmatched = g_strdup (miss->str);
  g_string_free (miss, TRUE);

  l->smoother = gst_mobilenet_smoother_new (l->n, s->smoothing,
      s->smoothing_factor, s->smoothing_window);
  gst_mobilenet_hysteresis_init (&l->hyst, s->min_dwell, s->switch_margin);
  gst_mobilenet_labeler_reset (l);
  return l;

fail:
  g_string_free (miss, TRUE);
  gst_mobilenet_labeler_free (l);
  return NULL;
}

void
gst_mobilenet_labeler_free (GstMobilenetLabeler *l)
{
  if (l == NULL)
    return;
  gst_mobilenet_smoother_free (l->smoother);
  g_free (l->mask);
  g_free (l->items);
  g_free (l->unmatched);
  g_free (l);
}

void
gst_mobilenet_labeler_reset (GstMobilenetLabeler *l)
{
  if (l->smoother)
    gst_mobilenet_smoother_reset (l->smoother);
  gst_mobilenet_hysteresis_reset (&l->hyst);
  l->smoothed = NULL;
  l->raw = -1;
  l->reported = -1;
  l->have_result = FALSE;
}

const gchar *
gst_mobilenet_labeler_unmatched (GstMobilenetLabeler *l)
{
  return l->unmatched;
}

gboolean
gst_mobilenet_labeler_has_result (GstMobilenetLabeler *l)
{
  return l->have_result;
}

static void
set_label (GstMobilenetLabeler *l, GstMobilenetLabel *out, gint id,
    const gfloat *v)
{
  out->id = id;
  out->name = id >= 0 && l->names[id] ? l->names[id] : "";
  out->score = id >= 0 ? v[id] : 0.0;
}

/* The held item, or -1 when it scores below @threshold. */
static gint
held_after_threshold (GstMobilenetLabeler *l, gdouble threshold)
{
  gint held = l->hyst.current;

  if (held < 0 || !l->smoothed || l->smoothed[held] < threshold)
    return -1;
  return held;
}

void
gst_mobilenet_labeler_push (GstMobilenetLabeler *l, const gfloat *scores,
    gdouble threshold, GstMobilenetLabelerResult *out)
{
  gint previous = l->reported, leader;
  const gfloat *prev_smoothed = l->smoothed;
  gdouble prev_score = previous >= 0 && prev_smoothed ?
      prev_smoothed[previous] : 0.0;

  if (l->groups)
    gst_mobilenet_groups_sum (l->groups, scores, l->items);
  else
    memcpy (l->items, scores, l->n * sizeof (gfloat));

  l->raw = gst_mobilenet_argmax (l->items, l->n, l->mask);
  l->smoothed = gst_mobilenet_smoother_push (l->smoother, l->items);
  leader = gst_mobilenet_argmax (l->smoothed, l->n, l->mask);
  gst_mobilenet_hysteresis_update (&l->hyst, l->smoothed, leader, l->mask);
  l->reported = held_after_threshold (l, threshold);
  l->have_result = TRUE;

  set_label (l, &out->raw, l->raw >= 0 && l->items[l->raw] >= threshold ?
      l->raw : -1, l->items);
  set_label (l, &out->reported, l->reported, l->smoothed);
  out->previous.id = previous;
  out->previous.name = previous >= 0 && l->names[previous] ?
      l->names[previous] : "";
  out->previous.score = prev_score;
  out->changed = l->reported != previous;
}

void
gst_mobilenet_labeler_last (GstMobilenetLabeler *l, gdouble threshold,
    GstMobilenetLabelerResult *out)
{
  gint reported = held_after_threshold (l, threshold);

  memset (out, 0, sizeof (*out));
  if (!l->have_result) {
    set_label (l, &out->raw, -1, NULL);
    set_label (l, &out->reported, -1, NULL);
  } else {
    set_label (l, &out->raw, l->raw >= 0 && l->items[l->raw] >= threshold ?
        l->raw : -1, l->items);
    set_label (l, &out->reported, reported, l->smoothed);
  }
  out->previous = out->reported;
  out->changed = FALSE;
}

guint
gst_mobilenet_labeler_top_k (GstMobilenetLabeler *l, guint k,
    gdouble threshold, GstMobilenetLabel *out)
{
  gint held;
  guint n = 0;
  const gfloat *v = l->smoothed;

  if (!l->have_result || k == 0)
    return 0;
  held = held_after_threshold (l, threshold);
  if (held < 0)
    return 0;
  set_label (l, &out[n++], held, v);
  if (k == 1)
    return n;

  /* insertion into the k-1 best of the others */
  for (guint i = 0; i < l->n; i++) {
    guint pos;

    if ((gint) i == held || !l->mask[i] || v[i] < threshold)
      continue;
    if (n == k && v[i] <= out[n - 1].score)
      continue;
    pos = n < k ? n++ : n - 1;
    while (pos > 1 && v[i] > out[pos - 1].score) {
      out[pos] = out[pos - 1];
      pos--;
    }
    set_label (l, &out[pos], i, v);
  }
  return n;
}
