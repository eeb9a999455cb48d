/* overlay.c: the label box, rendered with Pango/Cairo into a
 * GstVideoOverlayComposition and blended with
 * gst_video_overlay_composition_blend(). */
#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include "overlay.h"

#include <pango/pangocairo.h>
#include <string.h>

/* At most this many lines are drawn, whatever top-k is. */
#define MAX_LINES 10

struct _GstMobilenetOverlay {
  PangoContext *context;        /* on the shared font map: use under text_lock */
  gchar *key;                   /* what was last rendered, NULL = nothing */
  GstVideoOverlayComposition *comp;
  gint x, y, width, height;
};

/* One font map for the process, never freed: Pango and fontconfig leak a
 * few kilobytes for every font map created and destroyed (so one per
 * element would grow with every pipeline), and pango's default map is
 * per thread.  Font maps are not thread-safe: all text work is done under
 * text_lock (a few layouts when the result changes, not per frame). */
static GMutex text_lock;
static PangoFontMap *shared_fontmap;

static PangoFontMap *
font_map_locked (void)
{
  if (shared_fontmap == NULL)
    shared_fontmap = pango_cairo_font_map_new ();
  return shared_fontmap;
}

GstMobilenetOverlay *
gst_mobilenet_overlay_new (void)
{
  GstMobilenetOverlay *ov = g_new0 (GstMobilenetOverlay, 1);

  g_mutex_lock (&text_lock);
  ov->context = pango_font_map_create_context (font_map_locked ());
  g_mutex_unlock (&text_lock);
  return ov;
}

void
gst_mobilenet_overlay_free (GstMobilenetOverlay *ov)
{
  if (ov == NULL)
    return;
  if (ov->comp)
    gst_video_overlay_composition_unref (ov->comp);
  g_free (ov->key);
  g_mutex_lock (&text_lock);
  g_object_unref (ov->context);
  g_mutex_unlock (&text_lock);
  g_free (ov);
}

static gint
even_down (gint v)
{
  return v & ~1;
}

static void
overlay_clear (GstMobilenetOverlay *ov)
{
  if (ov->comp)
    gst_video_overlay_composition_unref (ov->comp);
  ov->comp = NULL;
  ov->x = ov->y = ov->width = ov->height = 0;
}

/* Renders @n lines into a new premultiplied ARGB buffer of w x h. */
static GstBuffer *
render_box (GstMobilenetOverlay *ov, PangoLayout *layout, gchar **lines,
    const gdouble *scores, guint n, gint w, gint h, gint pad, gint line_h,
    gint text_h, gint bar_h)
{
  GstBuffer *buf;
  GstMapInfo map;
  cairo_surface_t *surface;
  cairo_t *cr;
  gint stride = cairo_format_stride_for_width (CAIRO_FORMAT_ARGB32, w);

  buf = gst_buffer_new_allocate (NULL, (gsize) stride * h, NULL);
  gst_buffer_map (buf, &map, GST_MAP_READWRITE);
  surface = cairo_image_surface_create_for_data (map.data,
      CAIRO_FORMAT_ARGB32, w, h, stride);
  cr = cairo_create (surface);

  /* translucent dark background */
  cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
  cairo_set_source_rgba (cr, 0.0, 0.0, 0.0, 0.6);
  cairo_paint (cr);
  cairo_set_operator (cr, CAIRO_OPERATOR_OVER);

  for (guint i = 0; i < n; i++) {
    gint top = pad + (gint) i * line_h;
    gdouble bar_w = (w - 2 * pad) * CLAMP (scores[i], 0.0, 1.0);

    pango_layout_set_text (layout, lines[i], -1);
    cairo_move_to (cr, pad, top);
    cairo_set_source_rgba (cr, 1.0, 1.0, 1.0, 1.0);
    pango_cairo_show_layout (cr, layout);

    /* confidence bar under the text: green, grey track */
    cairo_set_source_rgba (cr, 0.5, 0.5, 0.5, 0.8);
    cairo_rectangle (cr, pad, top + text_h, w - 2 * pad, bar_h);
    cairo_fill (cr);
    cairo_set_source_rgba (cr, 0.1, 0.9, 0.2, 1.0);
    cairo_rectangle (cr, pad, top + text_h, bar_w, bar_h);
    cairo_fill (cr);
  }

  cairo_destroy (cr);
  cairo_surface_flush (surface);
  cairo_surface_destroy (surface);
  gst_buffer_unmap (buf, &map);

  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h, 1,
      (gsize[GST_VIDEO_MAX_PLANES]) {0}, (gint[GST_VIDEO_MAX_PLANES]) {stride});
  return buf;
}

gboolean
gst_mobilenet_overlay_update (GstMobilenetOverlay *ov,
    const GstMobilenetClassScore *classes, guint n_classes, gint frame_width,
    gint frame_height)
{
  gchar *lines[MAX_LINES];
  gdouble scores[MAX_LINES];
  GString *key;
  PangoLayout *layout;
  PangoFontDescription *desc;
  GstVideoOverlayRectangle *rect;
  GstBuffer *pixels;
  gint font_px, pad, margin, text_w = 0, text_h = 0, bar_h, line_h, w, h;
  guint n = MIN (n_classes, MAX_LINES);

  g_return_val_if_fail (ov != NULL, FALSE);

  key = g_string_new (NULL);
  g_string_append_printf (key, "%dx%d", frame_width, frame_height);
  for (guint i = 0; i < n; i++) {
    lines[i] = g_strdup_printf ("%s %d%%", classes[i].label,
        (gint) (classes[i].score * 100.0 + 0.5));
    scores[i] = classes[i].score;
    g_string_append_c (key, '\n');
    g_string_append (key, lines[i]);
  }

  if (ov->key && strcmp (ov->key, key->str) == 0) {
    for (guint i = 0; i < n; i++)
      g_free (lines[i]);
    g_string_free (key, TRUE);
    return FALSE;
  }
  g_free (ov->key);
  ov->key = g_string_free (key, FALSE);
  overlay_clear (ov);

  /* Scale with the frame; too small a frame gets no box at all. */
  font_px = CLAMP (frame_height / 24, 8, 72);
  pad = even_down (MAX (font_px / 3, 2));
  margin = even_down (MAX (font_px / 2, 2));
  bar_h = MAX (font_px / 4, 2);
  if (n == 0 || frame_width < 2 * margin + 2 * pad + 2 ||
      frame_height < 2 * margin + 2 * pad + 2)
    goto done;

  g_mutex_lock (&text_lock);
  layout = pango_layout_new (ov->context);
  desc = pango_font_description_from_string ("Sans Bold");
  pango_font_description_set_absolute_size (desc, font_px * PANGO_SCALE);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);

  for (guint i = 0; i < n; i++) {
    gint lw, lh;

    pango_layout_set_text (layout, lines[i], -1);
    pango_layout_get_pixel_size (layout, &lw, &lh);
    text_w = MAX (text_w, lw);
    text_h = MAX (text_h, lh);
  }
  line_h = text_h + bar_h + pad / 2;

  /* Even position and size: 4:2:0 and 4:2:2 chroma outside stays intact. */
  w = even_down (MIN (text_w + 2 * pad + 1, frame_width - margin));
  h = even_down (MIN ((gint) n * line_h + 2 * pad - pad / 2 + 1,
          frame_height - margin));
  if (w < 2 || h < 2)
    goto done_layout;

  pixels = render_box (ov, layout, lines, scores, n, w, h, pad, line_h, text_h,
      bar_h);
  rect = gst_video_overlay_rectangle_new_raw (pixels, margin, margin, w, h,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (pixels);
  ov->comp = gst_video_overlay_composition_new (rect);
  gst_video_overlay_rectangle_unref (rect);
  ov->x = margin;
  ov->y = margin;
  ov->width = w;
  ov->height = h;

done_layout:
  g_object_unref (layout);
  g_mutex_unlock (&text_lock);
done:
  for (guint i = 0; i < n; i++)
    g_free (lines[i]);
  return TRUE;
}

gboolean
gst_mobilenet_overlay_blend (GstMobilenetOverlay *ov, GstVideoFrame *frame)
{
  g_return_val_if_fail (ov != NULL, FALSE);

  if (ov->comp == NULL)
    return FALSE;
  return gst_video_overlay_composition_blend (ov->comp, frame);
}

gboolean
gst_mobilenet_overlay_get_rect (GstMobilenetOverlay *ov, gint *x, gint *y,
    gint *width, gint *height)
{
  g_return_val_if_fail (ov != NULL, FALSE);

  if (x)
    *x = ov->x;
  if (y)
    *y = ov->y;
  if (width)
    *width = ov->width;
  if (height)
    *height = ov->height;
  return ov->comp != NULL;
}
