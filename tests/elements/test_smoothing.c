/* test_smoothing.c: the smoother, the hysteresis and the labeler
 * (gst-plugin/smoothing.c, labeler.c) on synthetic score vectors. */
#include <math.h>
#include <string.h>

#include "unit_check.h"
#include "labeler.h"
#include "smoothing.h"

static void
check_smoother (void)
{
  GstMobilenetSmoother *sm;
  const gfloat a[3] = { 1, 0, 0 }, b[3] = { 0, 1, 0 };
  const gfloat *o;

  sm = gst_mobilenet_smoother_new (3, GST_MOBILENET_SMOOTHING_NONE, 0.5, 1);
  gst_mobilenet_smoother_push (sm, a);
  o = gst_mobilenet_smoother_push (sm, b);
  CHECK (memcmp (o, b, sizeof (b)) == 0, "none: the last result as it is");
  gst_mobilenet_smoother_free (sm);

  sm = gst_mobilenet_smoother_new (3, GST_MOBILENET_SMOOTHING_EMA, 0.25, 1);
  o = gst_mobilenet_smoother_push (sm, a);
  CHECK (o[0] == 1 && o[1] == 0, "ema: the first result is taken as it is");
  o = gst_mobilenet_smoother_push (sm, b);
  CHECK (fabsf (o[0] - 0.75f) < 1e-6 && fabsf (o[1] - 0.25f) < 1e-6,
      "ema 0.25: 0.75 * old + 0.25 * new (%.3f %.3f)", o[0], o[1]);
  o = gst_mobilenet_smoother_push (sm, b);
  CHECK (fabsf (o[0] - 0.5625f) < 1e-6 && fabsf (o[1] - 0.4375f) < 1e-6,
      "ema 0.25: twice (%.4f %.4f)", o[0], o[1]);
  gst_mobilenet_smoother_reset (sm);
  o = gst_mobilenet_smoother_push (sm, b);
  CHECK (o[1] == 1 && o[0] == 0, "ema: reset forgets");
  gst_mobilenet_smoother_free (sm);

  sm = gst_mobilenet_smoother_new (3, GST_MOBILENET_SMOOTHING_WINDOW, 0, 3);
  o = gst_mobilenet_smoother_push (sm, a);
  CHECK (o[0] == 1, "window 3: one result");
  o = gst_mobilenet_smoother_push (sm, b);
  CHECK (o[0] == 0.5f && o[1] == 0.5f, "window 3: mean of two");
  gst_mobilenet_smoother_push (sm, b);
  o = gst_mobilenet_smoother_push (sm, b);
  CHECK (o[0] == 0 && o[1] == 1, "window 3: the oldest falls out (%.3f %.3f)",
      o[0], o[1]);
  /* a long run must not drift */
  for (gint i = 0; i < 100000; i++)
    o = gst_mobilenet_smoother_push (sm, (i % 2) ? a : b);
  o = gst_mobilenet_smoother_push (sm, a);
  o = gst_mobilenet_smoother_push (sm, a);
  o = gst_mobilenet_smoother_push (sm, a);
  CHECK (o[0] == 1 && o[1] == 0, "window 3: exact after 100000 results");
  gst_mobilenet_smoother_free (sm);
}

static void
check_argmax (void)
{
  const gfloat v[4] = { 0.1f, 0.4f, 0.4f, 0.1f };
  const gboolean mask[4] = { TRUE, FALSE, TRUE, TRUE };
  const gboolean none[4] = { FALSE, FALSE, FALSE, FALSE };

  CHECK (gst_mobilenet_argmax (v, 4, NULL) == 1, "argmax: ties to the lower");
  CHECK (gst_mobilenet_argmax (v, 4, mask) == 2, "argmax: masked");
  CHECK (gst_mobilenet_argmax (v, 4, none) == -1, "argmax: nothing allowed");
}

static void
check_hysteresis (void)
{
  GstMobilenetHysteresis h;
  gfloat v[2];
  gint got[8];

  /* min-dwell 3: a challenger must lead 3 results in a row */
  gst_mobilenet_hysteresis_init (&h, 3, 0.0);
  v[0] = 0.9f, v[1] = 0.1f;
  got[0] = gst_mobilenet_hysteresis_update (&h, v, 0, NULL);
  v[0] = 0.1f, v[1] = 0.9f;
  got[1] = gst_mobilenet_hysteresis_update (&h, v, 1, NULL);
  got[2] = gst_mobilenet_hysteresis_update (&h, v, 1, NULL);
  v[0] = 0.9f, v[1] = 0.1f;
  got[3] = gst_mobilenet_hysteresis_update (&h, v, 0, NULL);   /* resets */
  v[0] = 0.1f, v[1] = 0.9f;
  got[4] = gst_mobilenet_hysteresis_update (&h, v, 1, NULL);
  got[5] = gst_mobilenet_hysteresis_update (&h, v, 1, NULL);
  got[6] = gst_mobilenet_hysteresis_update (&h, v, 1, NULL);
  CHECK (got[0] == 0 && got[1] == 0 && got[2] == 0 && got[3] == 0 &&
      got[4] == 0 && got[5] == 0 && got[6] == 1,
      "min-dwell 3: first taken at once, switch after 3 leads in a row "
      "(%d %d %d %d %d %d %d)", got[0], got[1], got[2], got[3], got[4],
      got[5], got[6]);

  /* margin 0.2: a lead of 0.1 never switches */
  gst_mobilenet_hysteresis_init (&h, 1, 0.2);
  v[0] = 0.6f, v[1] = 0.4f;
  gst_mobilenet_hysteresis_update (&h, v, 0, NULL);
  v[0] = 0.45f, v[1] = 0.55f;
  for (gint i = 0; i < 10; i++)
    got[0] = gst_mobilenet_hysteresis_update (&h, v, 1, NULL);
  v[0] = 0.35f, v[1] = 0.65f;
  got[1] = gst_mobilenet_hysteresis_update (&h, v, 1, NULL);
  CHECK (got[0] == 0 && got[1] == 1, "switch-margin 0.2: 0.1 ahead keeps, "
      "0.3 ahead switches (%d %d)", got[0], got[1]);

  /* the current class masked out: the leader is taken at once */
  {
    const gboolean mask[2] = { FALSE, TRUE };

    gst_mobilenet_hysteresis_init (&h, 5, 0.0);
    v[0] = 0.9f, v[1] = 0.1f;
    gst_mobilenet_hysteresis_update (&h, v, 0, NULL);
    got[0] = gst_mobilenet_hysteresis_update (&h, v, 1, mask);
    CHECK (got[0] == 1, "a denied current class is dropped at once");
  }
}

/* The labeler on a stream that alternates two "images" every result: the
 * raw label flips every time, the stable one at most once per min-dwell. */
static void
check_labeler_flicker (void)
{
  const gchar *names[4] = { "zero", "one", "two", "three" };
  const gfloat a[4] = { 0.05f, 0.70f, 0.20f, 0.05f };
  const gfloat b[4] = { 0.05f, 0.20f, 0.70f, 0.05f };
  GstMobilenetLabelerSettings s = { GST_MOBILENET_SMOOTHING_EMA, 0.3, 1, 5,
    0.0, NULL, NULL, NULL
  };
  GstMobilenetLabelerResult r;
  GstMobilenetLabeler *l = gst_mobilenet_labeler_new (4, names, &s, NULL);
  gint raw_changes = 0, changes = 0, last_raw = -1, since = 1000, min_gap =
      1000;

  for (gint i = 0; i < 60; i++) {
    gst_mobilenet_labeler_push (l, i % 2 ? b : a, 0.0, &r);
    if (r.raw.id != last_raw)
      raw_changes++;
    last_raw = r.raw.id;
    since++;
    if (r.changed && i > 0) {
      changes++;
      min_gap = MIN (min_gap, since);
      since = 0;
    }
  }
  CHECK (raw_changes == 60, "alternating: the raw label changes every "
      "result (%d)", raw_changes);
  CHECK (changes <= 60 / 5, "alternating, ema 0.3 + min-dwell 5: the stable "
      "label changes %d times, at most once per 5 results (min gap %d)",
      changes, min_gap);
  CHECK (changes == 0 || min_gap >= 5, "min gap %d >= 5", min_gap);
  gst_mobilenet_labeler_free (l);

  /* none + min-dwell 1: the stable label is the raw one */
  s.smoothing = GST_MOBILENET_SMOOTHING_NONE;
  s.min_dwell = 1;
  l = gst_mobilenet_labeler_new (4, names, &s, NULL);
  changes = 0;
  for (gint i = 0; i < 10; i++) {
    gst_mobilenet_labeler_push (l, i % 2 ? b : a, 0.0, &r);
    if (r.raw.id == r.reported.id && r.raw.score == r.reported.score &&
        r.changed)
      changes++;
  }
  CHECK (changes == 10, "smoothing=none, min-dwell=1: stable = raw, changed "
      "every result (%d)", changes);
  gst_mobilenet_labeler_free (l);
}

static void
check_labeler_top_k (void)
{
  const gchar *names[5] = { "a", "b", "c", "d", "e" };
  const gfloat x[5] = { 0.1f, 0.3f, 0.3f, 0.25f, 0.05f };
  const gfloat y[5] = { 0.1f, 0.05f, 0.05f, 0.7f, 0.1f };
  GstMobilenetLabelerSettings s = { GST_MOBILENET_SMOOTHING_NONE, 1, 1, 3,
    0.0, NULL, NULL, "4"
  };
  GstMobilenetLabel out[5];
  GstMobilenetLabelerResult r;
  GstMobilenetLabeler *l = gst_mobilenet_labeler_new (5, names, &s, NULL);
  guint n;

  gst_mobilenet_labeler_push (l, x, 0.0, &r);
  n = gst_mobilenet_labeler_top_k (l, 5, 0.0, out);
  CHECK (n == 4 && out[0].id == 1 && out[1].id == 2 && out[2].id == 3 &&
      out[3].id == 0, "top-k: best first, ties to the lower id, denied "
      "class 4 left out (%u: %d %d %d %d)", n, out[0].id, out[1].id,
      out[2].id, out[3].id);
  /* d leads now, but min-dwell 3 holds b: b stays first */
  gst_mobilenet_labeler_push (l, y, 0.0, &r);
  n = gst_mobilenet_labeler_top_k (l, 2, 0.0, out);
  CHECK (r.raw.id == 3 && r.reported.id == 1 && !r.changed && n == 2 &&
      out[0].id == 1 && out[1].id == 3, "top-k: the held label first "
      "(raw %d, stable %d, top %d %d)", r.raw.id, r.reported.id, out[0].id,
      out[1].id);
  n = gst_mobilenet_labeler_top_k (l, 1, 0.0, out);
  CHECK (n == 1 && out[0].id == 1, "top-k 1: the held label");
  n = gst_mobilenet_labeler_top_k (l, 5, 0.5, out);
  gst_mobilenet_labeler_last (l, 0.5, &r);
  CHECK (n == 0 && r.reported.id == -1 && *r.reported.name == '\0',
      "threshold above the held label's score: nothing reported");
  gst_mobilenet_labeler_free (l);
}

static void
check_labeler_groups (void)
{
  const gchar *names[6] = { "background", "tabby", "Persian cat", "beagle",
    "pug", "daisy"
  };
  const gfloat v[6] = { 0.0f, 0.2f, 0.2f, 0.3f, 0.05f, 0.25f };
  GError *err = NULL;
  GstMobilenetGroups *g = gst_mobilenet_groups_parse ("cat: 1-2\n"
      "dog: beagle, pug\nflower: daisy\n", "test", 6, names, &err);
  GstMobilenetLabelerSettings s = { GST_MOBILENET_SMOOTHING_NONE, 1, 1, 1,
    0.0, g, NULL, NULL
  };
  GstMobilenetLabelerResult r;
  GstMobilenetLabel out[3];
  GstMobilenetLabeler *l = gst_mobilenet_labeler_new (6, names, &s, &err);
  guint n;

  gst_mobilenet_labeler_push (l, v, 0.0, &r);
  n = gst_mobilenet_labeler_top_k (l, 3, 0.0, out);
  CHECK (n == 3 && r.reported.id == 0 && strcmp (r.reported.name, "cat") == 0
      && fabs (r.reported.score - 0.4) < 1e-6 && out[1].id == 1 &&
      fabs (out[1].score - 0.35) < 1e-6 && out[2].id == 2,
      "report=groups: cat 0.4 > dog 0.35 > flower 0.25 (%s %.2f)",
      r.reported.name, r.reported.score);
  gst_mobilenet_labeler_free (l);

  s.deny = "cat";
  l = gst_mobilenet_labeler_new (6, names, &s, &err);
  gst_mobilenet_labeler_push (l, v, 0.0, &r);
  CHECK (r.reported.id == 1 && r.raw.id == 1, "groups, deny=cat: dog");
  gst_mobilenet_labeler_free (l);

  s.deny = NULL;
  s.allow = "flower, nosuchgroup";
  l = gst_mobilenet_labeler_new (6, names, &s, &err);
  gst_mobilenet_labeler_push (l, v, 0.0, &r);
  CHECK (r.reported.id == 2 && gst_mobilenet_labeler_unmatched (l) &&
      strcmp (gst_mobilenet_labeler_unmatched (l), "nosuchgroup") == 0,
      "groups, allow=flower: flower; \"nosuchgroup\" reported unmatched");
  gst_mobilenet_labeler_free (l);

  s.groups = NULL;
  s.allow = "3-9";
  l = gst_mobilenet_labeler_new (6, names, &s, &err);
  CHECK (l == NULL && err != NULL, "allow=3-9 out of range: error \"%s\"",
      err ? err->message : "");
  g_clear_error (&err);
  gst_mobilenet_groups_free (g);
}

int
main (int argc, char **argv)
{
  check_smoother ();
  check_argmax ();
  check_hysteresis ();
  check_labeler_flicker ();
  check_labeler_top_k ();
  check_labeler_groups ();
  return uc_finish ();
}
