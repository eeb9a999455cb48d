/* gstmobilenetmeta.c: the classification meta, a GstCustomMeta.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include "gstmobilenetmeta.h"

#include <string.h>

/* Classification does not depend on the frame's geometry, size, format or
 * memory, so every transform (copy, scale, crop...) keeps the result. */
static gboolean
gst_mobilenet_meta_transform (GstBuffer *transbuf, GstCustomMeta *meta,
    GstBuffer *buffer, GQuark type, gpointer data, gpointer user_data)
{
  GstCustomMeta *dmeta;
  GstStructure *src, *dst;

  dmeta = gst_buffer_add_custom_meta (transbuf, GST_MOBILENET_META_NAME);
  if (dmeta == NULL)
    return FALSE;

  src = gst_custom_meta_get_structure (meta);
  dst = gst_custom_meta_get_structure (dmeta);
  /* Copy field by field: the destination's structure belongs to its meta
   * (it has a parent refcount), so it cannot be replaced. */
  gst_structure_remove_all_fields (dst);
  for (gint i = 0; i < gst_structure_n_fields (src); i++) {
    const gchar *name = gst_structure_nth_field_name (src, i);
    gst_structure_set_value (dst, name, gst_structure_get_value (src, name));
  }
  return TRUE;
}

const GstMetaInfo *
gst_mobilenet_meta_register (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter (&info)) {
    static const gchar *tags[] = { NULL };
    const GstMetaInfo *i = gst_meta_get_info (GST_MOBILENET_META_NAME);

    /* Another copy of this library (or the application) may have
     * registered it already: never register a name twice. */
    if (i == NULL)
      i = gst_meta_register_custom (GST_MOBILENET_META_NAME, tags,
          gst_mobilenet_meta_transform, NULL, NULL);
    g_once_init_leave (&info, i);
  }
  return info;
}

const GstMetaInfo *
gst_mobilenet_meta_get_info (void)
{
  return gst_mobilenet_meta_register ();
}

static GstStructure *
gst_mobilenet_class_structure_new (const GstMobilenetClassScore *c)
{
  return gst_structure_new (GST_MOBILENET_CLASS_STRUCTURE_NAME,
      GST_MOBILENET_FIELD_CLASS_ID, G_TYPE_INT, c->class_id,
      GST_MOBILENET_FIELD_LABEL, G_TYPE_STRING, c->label ? c->label : "",
      GST_MOBILENET_FIELD_SCORE, G_TYPE_DOUBLE, c->score, NULL);
}

void
gst_mobilenet_structure_set_classes (GstStructure *s,
    const GstMobilenetClassScore *classes, guint n_classes)
{
  GValue array = G_VALUE_INIT;
  GValue item = G_VALUE_INIT;

  g_return_if_fail (s != NULL);
  g_return_if_fail (n_classes == 0 || classes != NULL);

  if (n_classes > 0)
    gst_structure_set (s,
        GST_MOBILENET_FIELD_CLASS_ID, G_TYPE_INT, classes[0].class_id,
        GST_MOBILENET_FIELD_LABEL, G_TYPE_STRING,
        classes[0].label ? classes[0].label : "",
        GST_MOBILENET_FIELD_SCORE, G_TYPE_DOUBLE, classes[0].score, NULL);
  else
    gst_structure_set (s,
        GST_MOBILENET_FIELD_CLASS_ID, G_TYPE_INT, -1,
        GST_MOBILENET_FIELD_LABEL, G_TYPE_STRING, "",
        GST_MOBILENET_FIELD_SCORE, G_TYPE_DOUBLE, 0.0, NULL);

  g_value_init (&array, GST_TYPE_ARRAY);
  for (guint i = 0; i < n_classes; i++) {
    g_value_init (&item, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&item, gst_mobilenet_class_structure_new (&classes[i]));
    gst_value_array_append_and_take_value (&array, &item);
    /* item was moved into the array; it is zeroed and can be reused */
    memset (&item, 0, sizeof (item));
  }
  gst_structure_take_value (s, GST_MOBILENET_FIELD_TOP_K, &array);
}

GstStructure *
gst_buffer_add_mobilenet_meta (GstBuffer *buffer,
    const GstMobilenetClassScore *classes, guint n_classes, const gchar *model,
    gboolean reused, guint64 inference_time)
{
  GstCustomMeta *meta;
  GstStructure *s;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);

  gst_mobilenet_meta_register ();
  meta = gst_buffer_add_custom_meta (buffer, GST_MOBILENET_META_NAME);
  if (meta == NULL)
    return NULL;

  s = gst_custom_meta_get_structure (meta);
  gst_mobilenet_structure_set_classes (s, classes, n_classes);
  gst_structure_set (s,
      GST_MOBILENET_FIELD_MODEL, G_TYPE_STRING, model ? model : "",
      GST_MOBILENET_FIELD_REUSED, G_TYPE_BOOLEAN, reused,
      GST_MOBILENET_FIELD_INFERENCE_TIME, G_TYPE_UINT64, inference_time, NULL);
  return s;
}

const GstStructure *
gst_buffer_get_mobilenet_meta (GstBuffer *buffer)
{
  GstCustomMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  gst_mobilenet_meta_register ();
  meta = gst_buffer_get_custom_meta (buffer, GST_MOBILENET_META_NAME);
  return meta ? gst_custom_meta_get_structure (meta) : NULL;
}

gboolean
gst_mobilenet_structure_get_top1 (const GstStructure *s, gint *class_id,
    const gchar **label, gdouble *score)
{
  gint id = -1;
  gdouble sc = 0.0;
  const gchar *l;

  g_return_val_if_fail (s != NULL, FALSE);

  if (!gst_structure_get_int (s, GST_MOBILENET_FIELD_CLASS_ID, &id))
    id = -1;
  if (!gst_structure_get_double (s, GST_MOBILENET_FIELD_SCORE, &sc))
    sc = 0.0;
  l = gst_structure_get_string (s, GST_MOBILENET_FIELD_LABEL);

  if (class_id)
    *class_id = id;
  if (label)
    *label = l ? l : "";
  if (score)
    *score = sc;
  return id >= 0;
}

guint
gst_mobilenet_structure_get_n_classes (const GstStructure *s)
{
  const GValue *v;

  g_return_val_if_fail (s != NULL, 0);

  v = gst_structure_get_value (s, GST_MOBILENET_FIELD_TOP_K);
  if (v == NULL || !GST_VALUE_HOLDS_ARRAY (v))
    return 0;
  return gst_value_array_get_size (v);
}

gboolean
gst_mobilenet_structure_get_class (const GstStructure *s, guint n,
    GstMobilenetClassScore *out)
{
  const GValue *v, *item;
  const GstStructure *c;

  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  v = gst_structure_get_value (s, GST_MOBILENET_FIELD_TOP_K);
  if (v == NULL || !GST_VALUE_HOLDS_ARRAY (v) ||
      n >= gst_value_array_get_size (v))
    return FALSE;
  item = gst_value_array_get_value (v, n);
  if (!GST_VALUE_HOLDS_STRUCTURE (item))
    return FALSE;
  c = gst_value_get_structure (item);
  if (!gst_structure_get_int (c, GST_MOBILENET_FIELD_CLASS_ID, &out->class_id)
      || !gst_structure_get_double (c, GST_MOBILENET_FIELD_SCORE, &out->score))
    return FALSE;
  out->label = gst_structure_get_string (c, GST_MOBILENET_FIELD_LABEL);
  if (out->label == NULL)
    out->label = "";
  return TRUE;
}
