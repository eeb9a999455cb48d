/* tag-output.c: see tag-output.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include <cairo.h>

#include "tag-output.h"
#include "tool-util.h"

/* ------------------------------------------------------------------------ */
/* formats */

gboolean
tag_format_from_name (const gchar *name, TagFormat *format)
{
  if (g_ascii_strcasecmp (name, "jsonl") == 0 ||
      g_ascii_strcasecmp (name, "json") == 0)
    *format = TAG_FORMAT_JSONL;
  else if (g_ascii_strcasecmp (name, "csv") == 0)
    *format = TAG_FORMAT_CSV;
  else if (g_ascii_strcasecmp (name, "vtt") == 0 ||
      g_ascii_strcasecmp (name, "webvtt") == 0)
    *format = TAG_FORMAT_VTT;
  else
    return FALSE;
  return TRUE;
}

gboolean
tag_format_from_file_name (const gchar *path, TagFormat *format)
{
  const gchar *dot = strrchr (path, '.');

  if (dot == NULL || strchr (dot, G_DIR_SEPARATOR) != NULL)
    return FALSE;
  return tag_format_from_name (dot + 1, format);
}

const gchar *
tag_format_extension (TagFormat format)
{
  switch (format) {
    case TAG_FORMAT_CSV:
      return "csv";
    case TAG_FORMAT_VTT:
      return "vtt";
    case TAG_FORMAT_JSONL:
    default:
      return "jsonl";
  }
}

/* ------------------------------------------------------------------------ */
/* segments */

static void
segment_clear (gpointer data)
{
  TagSegment *s = data;

  g_clear_pointer (&s->label, g_free);
  g_clear_pointer (&s->group, g_free);
}

GArray *
tag_segments_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (TagSegment));

  g_array_set_clear_func (a, segment_clear);
  return a;
}

gdouble
tag_segment_score (const TagSegment *s)
{
  return s->n_results ? s->score_sum / s->n_results : 0.0;
}

static gboolean
same_label (const TagSegment *a, const TagSegment *b)
{
  return a->class_id == b->class_id && g_strcmp0 (a->label, b->label) == 0;
}

void
tag_segments_merge_short (GArray *segments, gdouble min_seconds)
{
  if (min_seconds <= 0.0)
    return;
  while (segments->len > 1) {
    TagSegment *v = (TagSegment *) segments->data;
    guint n = segments->len, i, shortest = G_MAXUINT;
    gdouble len = min_seconds;

    for (i = 0; i < n; i++)
      if (v[i].end - v[i].start < len) {
        len = v[i].end - v[i].start;
        shortest = i;
      }
    if (shortest == G_MAXUINT)
      break;
    i = shortest;
    if (i > 0 && i + 1 < n && same_label (&v[i - 1], &v[i + 1])) {
      /* A B A -> A */
      v[i - 1].end = v[i + 1].end;
      v[i - 1].score_sum += v[i + 1].score_sum;
      v[i - 1].n_results += v[i + 1].n_results;
      g_array_remove_range (segments, i, 2);
    } else if (i == 0 || (i + 1 < n &&
            v[i + 1].end - v[i + 1].start > v[i - 1].end - v[i - 1].start)) {
      v[i + 1].start = v[i].start;
      g_array_remove_index (segments, i);
    } else {
      v[i - 1].end = v[i].end;
      g_array_remove_index (segments, i);
    }
  }
}

/* ------------------------------------------------------------------------ */
/* writers */

/* a number with a '.' whatever the locale */
static void
append_double (GString *out, const gchar *fmt, gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_formatd (buf, sizeof buf, fmt, v));
}

static void
csv_field (GString *out, const gchar *s)
{
  if (strpbrk (s, ",\"\r\n") == NULL) {
    g_string_append (out, s);
    return;
  }
  g_string_append_c (out, '"');
  for (; *s; s++) {
    if (*s == '"')
      g_string_append_c (out, '"');
    g_string_append_c (out, *s);
  }
  g_string_append_c (out, '"');
}

void
tag_format_vtt_time (GString *out, gdouble seconds)
{
  gint64 ms = (gint64) llround (MAX (seconds, 0.0) * 1000.0);

  g_string_append_printf (out, "%02" G_GINT64_FORMAT ":%02d:%02d.%03d",
      ms / 3600000, (gint) (ms / 60000 % 60), (gint) (ms / 1000 % 60),
      (gint) (ms % 1000));
}

/* cue text: no "-->", no blank line, &, < and > escaped */
static void
vtt_text (GString *out, const gchar *s)
{
  for (; *s; s++) {
    switch (*s) {
      case '&':
        g_string_append (out, "&amp;");
        break;
      case '<':
        g_string_append (out, "&lt;");
        break;
      case '>':
        g_string_append (out, "&gt;");
        break;
      case '\r':
      case '\n':
        g_string_append_c (out, ' ');
        break;
      default:
        g_string_append_c (out, *s);
        break;
    }
  }
}

void
tag_write_header (GString *out, TagFormat format)
{
  switch (format) {
    case TAG_FORMAT_CSV:
      g_string_append (out, "file,start,end,label,class_id,score,group\n");
      break;
    case TAG_FORMAT_VTT:
      g_string_append (out, "WEBVTT\n\n");
      break;
    case TAG_FORMAT_JSONL:
      break;
  }
}

void
tag_write_segment (GString *out, TagFormat format, const gchar *file,
    const TagSegment *s, guint index)
{
  gchar *display;

  switch (format) {
    case TAG_FORMAT_JSONL:
      g_string_append (out, "{\"file\": ");
      mobilenet_tool_json_file_name (out, file);
      g_string_append (out, ", \"start\": ");
      append_double (out, "%.3f", s->start);
      g_string_append (out, ", \"end\": ");
      append_double (out, "%.3f", s->end);
      g_string_append (out, ", \"label\": ");
      mobilenet_tool_json_string (out, s->label);
      g_string_append_printf (out, ", \"class_id\": %d, \"score\": ",
          s->class_id);
      append_double (out, "%.4f", tag_segment_score (s));
      g_string_append (out, ", \"group\": ");
      if (s->group)
        mobilenet_tool_json_string (out, s->group);
      else
        g_string_append (out, "null");
      g_string_append (out, "}\n");
      break;
    case TAG_FORMAT_CSV:
      display = g_filename_display_name (file);
      csv_field (out, display);
      g_free (display);
      g_string_append_c (out, ',');
      append_double (out, "%.3f", s->start);
      g_string_append_c (out, ',');
      append_double (out, "%.3f", s->end);
      g_string_append_c (out, ',');
      csv_field (out, s->label);
      g_string_append_printf (out, ",%d,", s->class_id);
      append_double (out, "%.4f", tag_segment_score (s));
      g_string_append_c (out, ',');
      csv_field (out, s->group ? s->group : "");
      g_string_append_c (out, '\n');
      break;
    case TAG_FORMAT_VTT:
      g_string_append_printf (out, "%u\n", index);
      tag_format_vtt_time (out, s->start);
      g_string_append (out, " --> ");
      tag_format_vtt_time (out, s->end);
      g_string_append_c (out, '\n');
      vtt_text (out, s->class_id >= 0 ? s->label : "(none)");
      g_string_append_c (out, ' ');
      append_double (out, "%.2f", tag_segment_score (s));
      if (s->group && g_strcmp0 (s->group, s->label) != 0) {
        g_string_append (out, " [");
        vtt_text (out, s->group);
        g_string_append_c (out, ']');
      }
      g_string_append (out, "\n\n");
      break;
  }
}

/* ------------------------------------------------------------------------ */
/* timeline */

typedef struct {
  const gchar *label;           /* borrowed from a segment */
  gint class_id;
  gdouble r, g, b;
  gdouble seconds;              /* total time on screen */
} LegendEntry;

/* Tableau 10, then hues spaced by the golden angle */
static void
label_colour (guint i, LegendEntry *e)
{
  static const guint32 palette[] = {
    0x4e79a7, 0xf28e2b, 0x59a14f, 0xe15759, 0x76b7b2,
    0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac,
  };

  if (i < G_N_ELEMENTS (palette)) {
    e->r = ((palette[i] >> 16) & 0xff) / 255.0;
    e->g = ((palette[i] >> 8) & 0xff) / 255.0;
    e->b = (palette[i] & 0xff) / 255.0;
  } else {
    gdouble h = fmod (i * 0.618033988749895, 1.0) * 6.0, s = 0.55, v = 0.85;
    gdouble f = h - floor (h), p = v * (1 - s), q = v * (1 - s * f),
        t = v * (1 - s * (1 - f));

    switch ((gint) floor (h) % 6) {
      case 0: e->r = v; e->g = t; e->b = p; break;
      case 1: e->r = q; e->g = v; e->b = p; break;
      case 2: e->r = p; e->g = v; e->b = t; break;
      case 3: e->r = p; e->g = q; e->b = v; break;
      case 4: e->r = t; e->g = p; e->b = v; break;
      default: e->r = v; e->g = p; e->b = q; break;
    }
  }
}

/* The first synonym of an ImageNet label ("dragonfly, darning needle" ->
 * "dragonfly"), for the picture; the outputs keep the whole label. */
static gchar *
short_label (const TagSegment *s)
{
  const gchar *comma;

  if (s->class_id < 0 || s->label == NULL || *s->label == '\0')
    return g_strdup ("(none)");
  comma = strchr (s->label, ',');
  return comma ? g_strndup (s->label, comma - s->label) : g_strdup (s->label);
}

static gdouble
text_width (cairo_t *cr, const gchar *text)
{
  cairo_text_extents_t ext;

  cairo_text_extents (cr, text, &ext);
  return ext.x_advance;
}

/* @text cut with "…" to fit @max_width, or NULL when not even three
 * characters and "…" fit */
static gchar *
fit_text (cairo_t *cr, const gchar *text, gdouble max_width)
{
  glong len = g_utf8_strlen (text, -1);

  if (text_width (cr, text) <= max_width)
    return g_strdup (text);
  for (glong n = len - 1; n >= 3; n--) {
    gchar *cut = g_utf8_substring (text, 0, n);
    gchar *s = g_strconcat (cut, "\xe2\x80\xa6", NULL);

    g_free (cut);
    if (text_width (cr, s) <= max_width)
      return s;
    g_free (s);
  }
  return NULL;
}

static gchar *
legend_text (const LegendEntry *e)
{
  TagSegment tmp = { 0 };
  gchar *name, *text;

  tmp.class_id = e->class_id;
  tmp.label = (gchar *) e->label;
  name = short_label (&tmp);
  if (e->seconds < 60.0)
    text = g_strdup_printf ("%s (%.1fs)", name, e->seconds);
  else if (e->seconds < 3600.0)
    text = g_strdup_printf ("%s (%d:%02d)", name, (gint) e->seconds / 60,
        (gint) e->seconds % 60);
  else
    text = g_strdup_printf ("%s (%d:%02d:%02d)", name,
        (gint) e->seconds / 3600, (gint) e->seconds / 60 % 60,
        (gint) e->seconds % 60);
  g_free (name);
  return text;
}

/* the legend's order when it does not fit: longest time first */
static gint
by_time (gconstpointer a, gconstpointer b, gpointer user_data)
{
  GArray *legend = user_data;
  gdouble ta = g_array_index (legend, LegendEntry, *(const guint *) a).seconds;
  gdouble tb = g_array_index (legend, LegendEntry, *(const guint *) b).seconds;

  if (ta != tb)
    return ta > tb ? -1 : 1;
  return *(const guint *) a < *(const guint *) b ? -1 : 1;
}

/* how many rows the legend takes in @width */
static guint
legend_rows (cairo_t *cr, GArray *legend, gdouble width, gdouble fs)
{
  gdouble lx = 0;
  guint rows = legend->len ? 1 : 0;

  for (guint i = 0; i < legend->len; i++) {
    gchar *text = legend_text (&g_array_index (legend, LegendEntry, i));
    gdouble w = fs + 4 + text_width (cr, text) + fs;

    if (lx > 0 && lx + w > width) {
      rows++;
      lx = 0;
    }
    lx += w;
    g_free (text);
  }
  return rows;
}

static void
time_label (gchar *buf, gsize size, gdouble t, gdouble step, gdouble total)
{
  if (total >= 120.0) {
    gint s = (gint) llround (t);

    if (total >= 7200.0)
      g_snprintf (buf, size, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    else
      g_snprintf (buf, size, "%d:%02d", s / 60, s % 60);
  } else if (step < 1.0) {
    g_snprintf (buf, size, "%.1fs", t);
  } else {
    g_snprintf (buf, size, "%gs", floor (t + 0.5));
  }
}

gboolean
tag_timeline_draw (const gchar *png, const TagSegment *segments, guint n,
    gdouble total, gint width, gint height, const gchar *title,
    GError **error)
{
  static const gdouble steps[] = {
    0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
    7200, 10800, 21600, 43200, 86400,
  };
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t st;
  GArray *legend = g_array_new (FALSE, FALSE, sizeof (LegendEntry));
  GHashTable *index = g_hash_table_new (g_str_hash, g_str_equal);
  gdouble fs, pad, x0, x1, y, band_top, band_h, axis_h, legend_h, scale;
  gdouble step = steps[0];
  gchar buf[64];
  guint i;

  if (total <= 0.0)
    total = n ? segments[n - 1].end : 1.0;
  if (total <= 0.0)
    total = 1.0;

  /* a colour per label, in the order of first appearance */
  for (i = 0; i < n; i++) {
    gpointer v;
    LegendEntry e = { 0 };

    if (g_hash_table_lookup_extended (index, segments[i].label, NULL, &v)) {
      g_array_index (legend, LegendEntry, GPOINTER_TO_UINT (v)).seconds +=
          segments[i].end - segments[i].start;
      continue;
    }
    e.label = segments[i].label;
    e.class_id = segments[i].class_id;
    e.seconds = segments[i].end - segments[i].start;
    label_colour (legend->len, &e);
    g_hash_table_insert (index, (gpointer) e.label,
        GUINT_TO_POINTER (legend->len));
    g_array_append_val (legend, e);
  }

  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_NORMAL);

  /* layout: title, band, axis, legend, scaled to the height */
  fs = CLAMP (height * 0.07, 7.0, 16.0);
  pad = CLAMP (height * 0.04, 2.0, 10.0);
  cairo_set_font_size (cr, fs);
  x0 = MIN (pad * 2, width * 0.05);
  x1 = width - x0;
  y = pad;
  if (title && height >= 80) {
    gchar *t = fit_text (cr, title, x1 - x0);

    if (t) {
      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      cairo_move_to (cr, x0, y + fs);
      cairo_show_text (cr, t);
      g_free (t);
    }
    y += fs * 1.4;
  }
  /* the band takes what the axis and the legend (at most half the
   * height) leave */
  band_top = y;
  legend_h = legend_rows (cr, legend, x1 - x0, fs) * fs * 1.4;
  legend_h = MIN (legend_h, floor (height * 0.5 / (fs * 1.4)) * fs * 1.4);
  axis_h = fs * 0.4 + fs * 1.3 + pad;
  band_h = height - band_top - axis_h - legend_h - pad;
  if (band_h < MAX (height * 0.2, 4.0)) {
    band_h = MAX (height * 0.2, 4.0);
    legend_h = MAX (height - band_top - axis_h - band_h - pad, 0.0);
  }
  scale = (x1 - x0) / total;

  /* the band: one block per segment, coloured by label */
  for (i = 0; i < n; i++) {
    const TagSegment *s = &segments[i];
    LegendEntry *e = &g_array_index (legend, LegendEntry,
        GPOINTER_TO_UINT (g_hash_table_lookup (index, s->label)));
    gdouble sx = x0 + s->start * scale, sw = (s->end - s->start) * scale;
    gchar *name, *t;

    cairo_set_source_rgb (cr, e->r, e->g, e->b);
    cairo_rectangle (cr, sx, band_top, MAX (sw, 1.0), band_h);
    cairo_fill (cr);
    /* the label inside when it fits */
    if (band_h >= fs * 1.2 && sw > fs * 2) {
      name = short_label (s);
      t = fit_text (cr, name, sw - 6);
      if (t) {
        gdouble lum = 0.299 * e->r + 0.587 * e->g + 0.114 * e->b;

        if (lum > 0.6)
          cairo_set_source_rgb (cr, 0, 0, 0);
        else
          cairo_set_source_rgb (cr, 1, 1, 1);
        cairo_move_to (cr, sx + 3, band_top + band_h / 2 + fs * 0.35);
        cairo_show_text (cr, t);
        g_free (t);
      }
      g_free (name);
    }
  }
  cairo_set_source_rgb (cr, 0.3, 0.3, 0.3);
  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, x0 + 0.5, band_top + 0.5, x1 - x0 - 1, band_h - 1);
  cairo_stroke (cr);

  /* the time axis: ticks at a round step at least ~70 px (or one label
   * width) apart */
  time_label (buf, sizeof buf, total, 1.0, total);
  {
    gdouble min_px = MAX (70.0, text_width (cr, buf) + fs);

    for (i = 0; i < G_N_ELEMENTS (steps); i++) {
      step = steps[i];
      if (step * scale >= min_px)
        break;
    }
  }
  y = band_top + band_h;
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  for (gint k = 0; k * step <= total + 1e-9; k++) {
    gdouble t = k * step, tx = floor (x0 + t * scale) + 0.5, tw;

    cairo_move_to (cr, tx, y);
    cairo_line_to (cr, tx, y + MAX (fs * 0.4, 3.0));
    cairo_stroke (cr);
    time_label (buf, sizeof buf, t, step, total);
    tw = text_width (cr, buf);
    cairo_move_to (cr, CLAMP (tx - tw / 2, 0, width - tw),
        y + fs * 0.4 + fs);
    cairo_show_text (cr, buf);
  }
  y += axis_h;

  /* the legend: a swatch and the label, in rows; when it does not fit,
   * the labels with the most time first and "+N more" */
  {
    gdouble lx = x0, row_h = fs * 1.4, more_w;
    guint n_rows = (guint) floor ((legend_h + 0.5) / row_h), row = 0;
    guint *order = g_new (guint, legend->len + 1);
    gboolean all_fit = legend_rows (cr, legend, x1 - x0, fs) <= n_rows;

    for (i = 0; i < legend->len; i++)
      order[i] = i;
    if (!all_fit)
      g_qsort_with_data (order, legend->len, sizeof (guint), by_time,
          legend);
    more_w = text_width (cr, "+9999 more") + fs;
    for (i = 0; i < legend->len && n_rows > 0; i++) {
      LegendEntry *e = &g_array_index (legend, LegendEntry, order[i]);
      gchar *text = legend_text (e);
      gdouble w = fs + 4 + text_width (cr, text) + fs;
      gboolean last_row = row + 1 >= n_rows, more = i + 1 < legend->len;

      if (lx > x0 && lx + w + (last_row && more ? more_w : 0) > x1) {
        if (last_row) {
          gchar *m = g_strdup_printf ("+%u more", legend->len - i);

          cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
          cairo_move_to (cr, lx, y + fs * 0.85);
          cairo_show_text (cr, m);
          g_free (m);
          g_free (text);
          break;
        }
        row++;
        lx = x0;
        y += row_h;
      }
      cairo_set_source_rgb (cr, e->r, e->g, e->b);
      cairo_rectangle (cr, lx, y, fs, fs);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      cairo_move_to (cr, lx + fs + 4, y + fs * 0.85);
      cairo_show_text (cr, text);
      lx += w;
      g_free (text);
    }
    g_free (order);
  }

  cairo_destroy (cr);
  cairo_surface_flush (surface);
  st = cairo_surface_write_to_png (surface, png);
  cairo_surface_destroy (surface);
  g_hash_table_unref (index);
  g_array_unref (legend);
  if (st != CAIRO_STATUS_SUCCESS) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "could not write %s (%s)", png, cairo_status_to_string (st));
    return FALSE;
  }
  return TRUE;
}
