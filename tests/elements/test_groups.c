/* test_groups.c: selections and groups files (gst-plugin/groups.c), and
 * the shipped models/imagenet_groups.txt against the shared ImageNet
 * labels.  Usage: test-groups GROUPS_FILE LABELS_FILE */
#include <string.h>

#include "unit_check.h"
#include "groups.h"

static const gchar *names[] = {
  "background", "tench, Tinca tinca", "goldfish, Carassius auratus",
  "daisy", "rose hip", "Cardigan, Cardigan Welsh corgi", "cardigan",
  "cab, hack, taxi, taxicab", "wild rose",
};
#define N G_N_ELEMENTS (names)

static gchar *
mask_str (const gboolean *m)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < N; i++)
    if (m[i])
      g_string_append_printf (s, "%s%u", s->len ? "," : "", i);
  return g_string_free (s, FALSE);
}

static void
check_select (const gchar *spec, gboolean numbers, const gchar *want,
    const gchar *want_unmatched)
{
  gboolean mask[N] = { 0, };
  GString *miss = g_string_new (NULL);
  GError *err = NULL;
  gboolean ok = gst_mobilenet_select (spec, N, names, numbers, mask, miss,
      &err);
  gchar *got = mask_str (mask);

  if (want == NULL)
    CHECK (!ok && err, "select \"%s\": error \"%s\"", spec,
        err ? err->message : "(none)");
  else
    CHECK (ok && strcmp (got, want) == 0 &&
        strcmp (miss->str, want_unmatched ? want_unmatched : "") == 0,
        "select \"%s\": {%s} (want {%s}), unmatched \"%s\"", spec, got, want,
        miss->str);
  g_clear_error (&err);
  g_free (got);
  g_string_free (miss, TRUE);
}

static void
check_selections (void)
{
  check_select ("1", TRUE, "1", NULL);
  check_select (" 1 - 3 , 5", TRUE, "1,2,3,5", NULL);
  check_select ("goldfish", TRUE, "2", NULL);
  check_select ("GOLDFISH, Tinca tinca", TRUE, "1,2", NULL);
  check_select ("*rose*", TRUE, "4,8", NULL);
  check_select ("taxi", TRUE, "7", NULL);
  check_select ("cardigan", TRUE, "5,6", NULL);
  check_select ("rose", TRUE, "", "rose");
  check_select ("daisy, nothing, *zebra*", TRUE, "3", "nothing, *zebra*");
  check_select ("3", FALSE, "", "3");
  check_select ("", TRUE, "", NULL);
  check_select ("3-1", TRUE, NULL, NULL);
  check_select ("1-9", TRUE, NULL, NULL);
  check_select ("9", TRUE, NULL, NULL);
  check_select ("2x", TRUE, NULL, NULL);
}

static void
check_parse (void)
{
  GError *err = NULL;
  GstMobilenetGroups *g;
  const gfloat scores[N] = { 0.1f, 0.1f, 0.2f, 0.3f, 0.05f, 0.05f, 0.1f,
    0.05f, 0.05f
  };
  gfloat sums[3];

  g = gst_mobilenet_groups_parse ("# comment\n\n fish : 1-2 # tench, goldfish\n"
      "flower: daisy, *rose*\r\nclothes:6, nosuch\n", "t.txt", N, names,
      &err);
  CHECK (g && gst_mobilenet_groups_count (g) == 3,
      "parse: three groups (%s)", err ? err->message : "");
  if (g) {
    const gchar *const *gn = gst_mobilenet_groups_names (g);

    CHECK (strcmp (gn[0], "fish") == 0 && strcmp (gn[1], "flower") == 0 &&
        strcmp (gn[2], "clothes") == 0 && gn[3] == NULL,
        "names in file order, trimmed, NULL-terminated");
    CHECK (gst_mobilenet_groups_size (g, 0) == 2 &&
        gst_mobilenet_groups_size (g, 1) == 3 &&
        gst_mobilenet_groups_contains (g, 1, 8) &&
        !gst_mobilenet_groups_contains (g, 0, 3), "members");
    gst_mobilenet_groups_sum (g, scores, sums);
    CHECK (G_APPROX_VALUE (sums[0], 0.3f, 1e-6) &&
        G_APPROX_VALUE (sums[1], 0.4f, 1e-6) &&
        G_APPROX_VALUE (sums[2], 0.1f, 1e-6),
        "sums %.2f %.2f %.2f", sums[0], sums[1], sums[2]);
    CHECK (g_strcmp0 (gst_mobilenet_groups_unmatched (g),
            "line 5: nosuch") == 0, "unmatched: \"%s\"",
        gst_mobilenet_groups_unmatched (g));
    gst_mobilenet_groups_free (g);
  }
  g_clear_error (&err);

  g = gst_mobilenet_groups_parse ("fish 1-2\n", "t.txt", N, names, &err);
  CHECK (!g && err && strstr (err->message, "t.txt:1"),
      "no colon: error \"%s\"", err ? err->message : "");
  g_clear_error (&err);
  g = gst_mobilenet_groups_parse ("a: 1\nb: 2\na: 3\n", "t.txt", N, names,
      &err);
  CHECK (!g && err && strstr (err->message, "t.txt:3") &&
      strstr (err->message, "twice"), "duplicate: \"%s\"",
      err ? err->message : "");
  g_clear_error (&err);
  g = gst_mobilenet_groups_parse ("a: 1-100\n", "t.txt", N, names, &err);
  CHECK (!g && err && strstr (err->message, "0-8"), "out of range: \"%s\"",
      err ? err->message : "");
  g_clear_error (&err);
  g = gst_mobilenet_groups_parse ("# nothing\n", "t.txt", N, names, &err);
  CHECK (!g && err, "no group: \"%s\"", err ? err->message : "");
  g_clear_error (&err);
  g = gst_mobilenet_groups_load ("/nonexistent/groups.txt", N, names, &err);
  CHECK (!g && err && err->domain == G_FILE_ERROR, "missing file: \"%s\"",
      err ? err->message : "");
  g_clear_error (&err);
}

/* The shipped groups file: every pattern matches, and the classes the
 * shared photos are known for land in the right group. */
static void
check_imagenet (const gchar *groups_path, const gchar *labels_path)
{
  gchar *text = NULL;
  gchar **lines;
  GError *err = NULL;
  GstMobilenetGroups *g;
  guint n;
  static const struct {
    guint class_id;
    const gchar *group;
  } known[] = {
    {286, "cat"}, {282, "cat"}, {20, "bird"}, {986, "flower"},
    {320, "insect"}, {653, "people"}, {152, "dog"}, {269, "dog"},
    {292, "big cat"}, {1, "fish"}, {964, "food"}, {951, "fruit and vegetable"},
    {469, "car"}, {818, "car"}, {405, "aircraft"},
  };

  if (!g_file_get_contents (labels_path, &text, NULL, &err)) {
    CHECK (FALSE, "read %s: %s", labels_path, err->message);
    g_clear_error (&err);
    return;
  }
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  while (n > 0 && *lines[n - 1] == '\0')
    n--;
  CHECK (n == 1001 && strcmp (lines[0], "background") == 0,
      "%s: 1001 labels, background first (%u)", labels_path, n);

  g = gst_mobilenet_groups_load (groups_path, n,
      (const gchar * const *) lines, &err);
  CHECK (g != NULL, "%s parses (%s)", groups_path, err ? err->message : "ok");
  g_clear_error (&err);
  if (g) {
    const gchar *const *gn = gst_mobilenet_groups_names (g);

    CHECK (gst_mobilenet_groups_unmatched (g) == NULL,
        "every label pattern of %s matches a class (unmatched: %s)",
        groups_path, gst_mobilenet_groups_unmatched (g));
    for (guint i = 0; i < G_N_ELEMENTS (known); i++) {
      gboolean in = FALSE;

      for (guint k = 0; gn[k]; k++)
        if (strcmp (gn[k], known[i].group) == 0)
          in = gst_mobilenet_groups_contains (g, k, known[i].class_id);
      CHECK (in, "class %u (%s) is in group \"%s\"", known[i].class_id,
          lines[known[i].class_id], known[i].group);
    }
    for (guint k = 0; gn[k]; k++)
      CHECK (gst_mobilenet_groups_size (g, k) > 0, "group \"%s\": %u classes",
          gn[k], gst_mobilenet_groups_size (g, k));
    gst_mobilenet_groups_free (g);
  }
  g_strfreev (lines);
  g_free (text);
}

int
main (int argc, char **argv)
{
  check_selections ();
  check_parse ();
  if (argc >= 3)
    check_imagenet (argv[1], argv[2]);
  else
    CHECK (FALSE, "usage: test-groups GROUPS_FILE LABELS_FILE");
  return uc_finish ();
}
