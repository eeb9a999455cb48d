/* groups.c: see groups.h. */
#include "groups.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (gst-mobilenet-groups-error-quark, gst_mobilenet_groups_error);

struct _GstMobilenetGroups {
  GPtrArray *names;             /* gchar*, NULL-terminated */
  GPtrArray *members;           /* GArray of guint per group */
  guint n_classes;
  gchar *unmatched;
};

/* Parses "123" into *v; FALSE when @s is not only digits. */
static gboolean
parse_uint (const gchar *s, guint64 *v)
{
  if (*s == '\0')
    return FALSE;
  for (const gchar *p = s; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT, v, NULL);
}

/* Does @name (casefolded) match the casefolded @pattern? */
static gboolean
name_matches (const gchar *name, const gchar *pattern, GPatternSpec *glob)
{
  const gchar *p;

  if (glob)
    return g_pattern_spec_match_string (glob, name);
  if (strcmp (name, pattern) == 0)
    return TRUE;
  /* one of the synonyms: "great white shark, white shark, man-eater" */
  p = name;
  while (p) {
    const gchar *comma = strchr (p, ',');
    gsize len = comma ? (gsize) (comma - p) : strlen (p);

    while (len > 0 && g_ascii_isspace (*p)) {
      p++;
      len--;
    }
    while (len > 0 && g_ascii_isspace (p[len - 1]))
      len--;
    if (len == strlen (pattern) && strncmp (p, pattern, len) == 0)
      return TRUE;
    p = comma ? comma + 1 : NULL;
  }
  return FALSE;
}

gboolean
gst_mobilenet_select (const gchar *spec, guint n, const gchar *const *names,
    gboolean numbers, gboolean *mask, GString *unmatched, GError **error)
{
  gchar **tokens;
  gchar **folded = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (mask != NULL || n == 0, FALSE);

  if (spec == NULL)
    return TRUE;
  tokens = g_strsplit (spec, ",", -1);
  for (gchar **t = tokens; *t && ok; t++) {
    gchar *tok = g_strstrip (*t), *dash;
    guint64 a, b;
    guint hits = 0;

    if (*tok == '\0')
      continue;

    if (numbers && g_ascii_isdigit (*tok)) {
      dash = strchr (tok, '-');
      if (dash) {
        *dash = '\0';
        g_strstrip (tok);
        if (!parse_uint (tok, &a) || !parse_uint (g_strstrip (dash + 1), &b))
          goto bad_token;
      } else if (parse_uint (tok, &a)) {
        b = a;
      } else {
        goto bad_token;
      }
      if (a > b || b >= n)
        goto out_of_range;
      for (guint64 i = a; i <= b; i++)
        mask[i] = TRUE;
      continue;
    }

    /* a label pattern */
    {
      gchar *pat = g_utf8_casefold (tok, -1);
      GPatternSpec *glob = (strchr (pat, '*') || strchr (pat, '?')) ?
          g_pattern_spec_new (pat) : NULL;

      if (folded == NULL) {
        folded = g_new0 (gchar *, n + 1);
        for (guint i = 0; i < n; i++)
          folded[i] = names && names[i] ? g_utf8_casefold (names[i], -1) :
              NULL;
      }
      for (guint i = 0; i < n; i++)
        if (folded[i] && name_matches (folded[i], pat, glob)) {
          mask[i] = TRUE;
          hits++;
        }
      if (hits == 0 && unmatched)
        g_string_append_printf (unmatched, "%s%s", unmatched->len ? ", " : "",
            tok);
      if (glob)
        g_pattern_spec_free (glob);
      g_free (pat);
    }
    continue;

  bad_token:
    g_set_error (error, GST_MOBILENET_GROUPS_ERROR, 0,
        "\"%s\" is neither a class id, a range \"first-last\" nor a label", tok);
    ok = FALSE;
    continue;
  out_of_range:
    g_set_error (error, GST_MOBILENET_GROUPS_ERROR, 0,
        "%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT " is not a range within "
        "0-%u", a, b, n - 1);
    ok = FALSE;
  }
  g_strfreev (folded);
  g_strfreev (tokens);
  return ok;
}

static void
members_free (gpointer p)
{
  g_array_unref (p);
}

GstMobilenetGroups *
gst_mobilenet_groups_parse (const gchar *text, const gchar *source,
    guint n_classes, const gchar *const *names, GError **error)
{
  GstMobilenetGroups *g = g_new0 (GstMobilenetGroups, 1);
  gchar **lines = g_strsplit (text ? text : "", "\n", -1);
  gboolean *mask = g_new0 (gboolean, n_classes);
  GString *unmatched = g_string_new (NULL);
  GError *err = NULL;

  g->names = g_ptr_array_new_with_free_func (g_free);
  g->members = g_ptr_array_new_with_free_func (members_free);
  g->n_classes = n_classes;

  for (guint ln = 0; lines[ln]; ln++) {
    gchar *line = lines[ln], *hash = strchr (line, '#'), *colon, *name;
    GString *miss = g_string_new (NULL);
    GArray *ids;

    if (hash)
      *hash = '\0';
    g_strstrip (line);
    if (*line == '\0') {
      g_string_free (miss, TRUE);
      continue;
    }
    colon = strchr (line, ':');
    if (colon == NULL) {
      g_string_free (miss, TRUE);
      g_set_error (error, GST_MOBILENET_GROUPS_ERROR, 0,
          "%s:%u: \"%s\" is not \"group-name: classes\"", source, ln + 1,
          line);
      goto fail;
    }
    *colon = '\0';
    name = g_strstrip (line);
    if (*name == '\0') {
      g_string_free (miss, TRUE);
      g_set_error (error, GST_MOBILENET_GROUPS_ERROR, 0,
          "%s:%u: the group has no name", source, ln + 1);
      goto fail;
    }
    for (guint i = 0; i < g->names->len; i++)
      if (strcmp (g_ptr_array_index (g->names, i), name) == 0) {
        g_string_free (miss, TRUE);
        g_set_error (error, GST_MOBILENET_GROUPS_ERROR, 0,
            "%s:%u: group \"%s\" is defined twice", source, ln + 1, name);
        goto fail;
      }
    memset (mask, 0, n_classes * sizeof (gboolean));
    if (!gst_mobilenet_select (colon + 1, n_classes, names, TRUE, mask, miss,
            &err)) {
      g_string_free (miss, TRUE);
      g_set_error (error, GST_MOBILENET_GROUPS_ERROR, 0,
          "%s:%u: group \"%s\": %s", source, ln + 1, name, err->message);
      g_clear_error (&err);
      goto fail;
    }
    if (miss->len)
      g_string_append_printf (unmatched, "%sline %u: %s",
          unmatched->len ? "; " : "", ln + 1, miss->str);
    g_string_free (miss, TRUE);

    ids = g_array_new (FALSE, FALSE, sizeof (guint));
    for (guint i = 0; i < n_classes; i++)
      if (mask[i])
        g_array_append_val (ids, i);
    g_ptr_array_add (g->names, g_strdup (name));
    g_ptr_array_add (g->members, ids);
  }

  if (g->names->len == 0) {
    g_set_error (error, GST_MOBILENET_GROUPS_ERROR, 0,
        "%s: no group (lines are \"group-name: classes\")", source);
    goto fail;
  }
  g_ptr_array_add (g->names, NULL);
  if (unmatched->len)
    g->unmatched = g_strdup (unmatched->str);
  g_string_free (unmatched, TRUE);
  g_free (mask);
  g_strfreev (lines);
  return g;

fail:
  g_string_free (unmatched, TRUE);
  g_free (mask);
  g_strfreev (lines);
  g_ptr_array_add (g->names, NULL);
  gst_mobilenet_groups_free (g);
  return NULL;
}

GstMobilenetGroups *
gst_mobilenet_groups_load (const gchar *path, guint n_classes,
    const gchar *const *names, GError **error)
{
  gchar *text = NULL;
  GstMobilenetGroups *g;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  g = gst_mobilenet_groups_parse (text, path, n_classes, names, error);
  g_free (text);
  return g;
}

void
gst_mobilenet_groups_free (GstMobilenetGroups *g)
{
  if (g == NULL)
    return;
  g_ptr_array_unref (g->names);
  g_ptr_array_unref (g->members);
  g_free (g->unmatched);
  g_free (g);
}

guint
gst_mobilenet_groups_count (const GstMobilenetGroups *g)
{
  return g->members->len;
}

const gchar *const *
gst_mobilenet_groups_names (const GstMobilenetGroups *g)
{
  return (const gchar * const *) g->names->pdata;
}

guint
gst_mobilenet_groups_size (const GstMobilenetGroups *g, guint i)
{
  g_return_val_if_fail (i < g->members->len, 0);
  return ((GArray *) g_ptr_array_index (g->members, i))->len;
}

gboolean
gst_mobilenet_groups_contains (const GstMobilenetGroups *g, guint i,
    guint class_id)
{
  GArray *ids;

  g_return_val_if_fail (i < g->members->len, FALSE);
  ids = g_ptr_array_index (g->members, i);
  for (guint k = 0; k < ids->len; k++)
    if (g_array_index (ids, guint, k) == class_id)
      return TRUE;
  return FALSE;
}

const gchar *
gst_mobilenet_groups_unmatched (const GstMobilenetGroups *g)
{
  return g->unmatched;
}

void
gst_mobilenet_groups_sum (const GstMobilenetGroups *g, const gfloat *scores,
    gfloat *out)
{
  for (guint i = 0; i < g->members->len; i++) {
    GArray *ids = g_ptr_array_index (g->members, i);
    gdouble sum = 0.0;

    for (guint k = 0; k < ids->len; k++)
      sum += scores[g_array_index (ids, guint, k)];
    out[i] = (gfloat) MIN (sum, 1.0);
  }
}
