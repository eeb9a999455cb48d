/* Unit test of mobilenet-tag's timeline module (tools/tag-output.c):
 * merging short segments, the JSON lines, CSV and WebVTT writers, and the
 * PNG's size for many labels and small pictures (in a temporary folder).
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "tag-output.h"
#include "unit_check.h"

static void
add (GArray *a, gdouble start, gdouble end, gint id, const gchar *label,
    gdouble score)
{
  TagSegment s = { 0 };

  s.start = start;
  s.end = end;
  s.class_id = id;
  s.label = g_strdup (label);
  s.score_sum = score;
  s.n_results = 1;
  g_array_append_val (a, s);
}

/* "label start-end, ..." */
static gchar *
describe (GArray *a)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < a->len; i++) {
    TagSegment *v = &g_array_index (a, TagSegment, i);

    g_string_append_printf (s, "%s%s %g-%g", i ? ", " : "", v->label,
        v->start, v->end);
  }
  return g_string_free (s, FALSE);
}

static void
check_merge (const gchar *what, gdouble min, const gchar *expect,
    const gdouble *v, guint n)
{
  GArray *a = tag_segments_new ();
  gchar *got;

  /* v: start, end, id triples; label "c<id>" */
  for (guint i = 0; i < n; i++) {
    gchar *label = g_strdup_printf ("c%d", (gint) v[3 * i + 2]);

    add (a, v[3 * i], v[3 * i + 1], (gint) v[3 * i + 2], label, 0.5);
    g_free (label);
  }
  tag_segments_merge_short (a, min);
  got = describe (a);
  CHECK (strcmp (got, expect) == 0, "merge %s: %s (got %s)", what, expect,
      got);
  g_free (got);
  g_array_unref (a);
}

static void
test_merge (void)
{
  const gdouble flicker[] = { 0, 3, 1, 3, 3.2, 2, 3.2, 6, 1, 6, 6.1, 3 };
  const gdouble first[] = { 0, 0.2, 2, 0.2, 4, 1 };
  const gdouble last[] = { 0, 4, 1, 4, 4.3, 2 };
  const gdouble longer[] = { 0, 1, 1, 1, 1.2, 2, 1.2, 5, 3 };
  const gdouble one[] = { 0, 0.1, 1 };

  check_merge ("A b A -> A; a trailing short one joins its neighbour", 0.5,
      "c1 0-6.1", flicker, 4);
  check_merge ("none shorter: unchanged", 0.05,
      "c1 0-3, c2 3-3.2, c1 3.2-6, c3 6-6.1", flicker, 4);
  check_merge ("off (0)", 0, "c1 0-3, c2 3-3.2, c1 3.2-6, c3 6-6.1",
      flicker, 4);
  check_merge ("a short first segment", 1.0, "c1 0-4", first, 2);
  check_merge ("a short last segment", 1.0, "c1 0-4.3", last, 2);
  check_merge ("into the longer neighbour", 0.5, "c1 0-1, c3 1-5", longer, 3);
  check_merge ("a single short segment stays", 1.0, "c1 0-0.1", one, 1);
}

static void
test_writers (void)
{
  GArray *a = tag_segments_new ();
  TagSegment *s;
  GString *out = g_string_new (NULL);

  add (a, 0, 2.5, 320, "dragonfly, darning \"needle\"", 1.8);
  s = &g_array_index (a, TagSegment, 0);
  s->n_results = 2;
  s->group = g_strdup ("insect");

  tag_write_segment (out, TAG_FORMAT_JSONL, "v\"1.webm", s, 1);
  CHECK (strcmp (out->str, "{\"file\": \"v\\\"1.webm\", \"start\": 0.000, "
          "\"end\": 2.500, \"label\": \"dragonfly, darning \\\"needle\\\"\", "
          "\"class_id\": 320, \"score\": 0.9000, \"group\": \"insect\"}\n")
      == 0, "jsonl: escaped strings, mean score (%s)", out->str);

  g_string_truncate (out, 0);
  tag_write_header (out, TAG_FORMAT_CSV);
  tag_write_segment (out, TAG_FORMAT_CSV, "a,b.webm", s, 1);
  CHECK (strcmp (out->str, "file,start,end,label,class_id,score,group\n"
          "\"a,b.webm\",0.000,2.500,\"dragonfly, darning \"\"needle\"\"\","
          "320,0.9000,insect\n") == 0, "csv: header, RFC 4180 quoting (%s)",
      out->str);

  g_string_truncate (out, 0);
  g_free (s->label);
  s->label = g_strdup ("a <b> & c");
  s->start = 3723.4567;
  s->end = 3725;
  tag_write_header (out, TAG_FORMAT_VTT);
  tag_write_segment (out, TAG_FORMAT_VTT, "v.webm", s, 7);
  CHECK (strcmp (out->str, "WEBVTT\n\n7\n01:02:03.457 --> 01:02:05.000\n"
          "a &lt;b&gt; &amp; c 0.90 [insect]\n\n") == 0,
      "vtt: header, cue id, HH:MM:SS.mmm, escaped text (%s)", out->str);

  g_string_free (out, TRUE);
  g_array_unref (a);
}

static gboolean
png_size (const gchar *path, guint *w, guint *h)
{
  gchar *data = NULL;
  gsize len = 0;
  gboolean ok;

  ok = g_file_get_contents (path, &data, &len, NULL) && len >= 24 &&
      memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0 &&
      memcmp (data + 12, "IHDR", 4) == 0;
  if (ok) {
    const guchar *p = (const guchar *) data + 16;

    *w = (guint) p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
    *h = (guint) p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
  }
  g_free (data);
  return ok;
}

static void
test_timeline (const gchar *dir)
{
  static const gint sizes[][2] = {
    {1200, 200}, {64, 32}, {300, 60}, {2000, 1000}, {5000, 40},
  };
  GArray *a = tag_segments_new ();
  gchar *png = g_build_filename (dir, "timeline.png", NULL);
  GError *error = NULL;
  gboolean ok;

  /* 40 labels over an hour, the last ones long and UTF-8 */
  for (gint i = 0; i < 40; i++) {
    gchar *label = g_strdup_printf ("label number %d, Übergröße \xe2\x80\x94 "
        "with a long tail of synonyms", i);

    add (a, i * 90.0, (i + 1) * 90.0, i, label, 0.5);
    g_free (label);
  }
  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++) {
    guint w = 0, h = 0;
    gboolean drawn = tag_timeline_draw (png, (TagSegment *) a->data, a->len,
        3600.0, sizes[k][0], sizes[k][1], "a title", &error) &&
        png_size (png, &w, &h);

    CHECK (drawn && (gint) w == sizes[k][0] && (gint) h == sizes[k][1],
        "timeline: 40 labels in a %dx%d PNG (%ux%u)", sizes[k][0],
        sizes[k][1], w, h);
    g_clear_error (&error);
    g_unlink (png);
  }
  ok = tag_timeline_draw ("/nonexistent/dir/t.png", (TagSegment *) a->data,
      a->len, 3600.0, 300, 100, NULL, &error);
  CHECK (!ok && error != NULL, "timeline: an unwritable path is an error (%s)",
      error ? error->message : "none");
  g_clear_error (&error);
  g_free (png);
  g_array_unref (a);
}

int
main (int argc, char **argv)
{
  gchar *dir = g_dir_make_tmp ("test-tag-output-XXXXXX", NULL);

  test_merge ();
  test_writers ();
  test_timeline (dir);
  g_rmdir (dir);
  g_free (dir);
  return uc_finish ();
}
