/* test_mobilenet_overlay.c: the label box changes pixels only inside its
 * rectangle (RGB, I420, NV12 and the other formats), is re-rendered only
 * when the result changes, and the element draws it only with
 * overlay=true. */
#include <gst/check/gstharness.h>
#include <stdio.h>

#include "elements_util.h"
#include "overlay.h"

/* Bounding box, in luma/pixel coordinates, of the pixels that differ
 * between two frames of the same format; FALSE when none differ. */
static gboolean
diff_box (GstVideoFrame *a, GstVideoFrame *b, gint *x0, gint *y0, gint *x1,
    gint *y1)
{
  const GstVideoFormatInfo *f = a->info.finfo;
  gboolean any = FALSE;

  *x0 = *y0 = G_MAXINT;
  *x1 = *y1 = -1;
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (a); p++) {
    /* the first component in this plane tells its subsampling */
    guint comp = 0;
    gint pw, ph, bpp, ws, hs;

    for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (f); c++)
      if (GST_VIDEO_FORMAT_INFO_PLANE (f, c) == p) {
        comp = c;
        break;
      }
    ws = GST_VIDEO_FORMAT_INFO_W_SUB (f, comp);
    hs = GST_VIDEO_FORMAT_INFO_H_SUB (f, comp);
    pw = GST_VIDEO_FRAME_COMP_WIDTH (a, comp);
    ph = GST_VIDEO_FRAME_COMP_HEIGHT (a, comp);
    bpp = GST_VIDEO_FRAME_COMP_PSTRIDE (a, comp);
    if (GST_VIDEO_FORMAT_INFO_IS_YUV (f) && (GST_VIDEO_FRAME_FORMAT (a) ==
            GST_VIDEO_FORMAT_YUY2 || GST_VIDEO_FRAME_FORMAT (a) ==
            GST_VIDEO_FORMAT_UYVY)) {
      /* packed 4:2:2: 4 bytes per 2 pixels */
      pw = GST_VIDEO_FRAME_WIDTH (a);
      bpp = 2;
      ws = 0;
    }
    for (gint y = 0; y < ph; y++) {
      const guint8 *ra = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (a, p) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (a, p);
      const guint8 *rb = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (b, p) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (b, p);
      for (gint x = 0; x < pw; x++) {
        if (memcmp (ra + x * bpp, rb + x * bpp, bpp) == 0)
          continue;
        any = TRUE;
        *x0 = MIN (*x0, x << ws);
        *y0 = MIN (*y0, y << hs);
        *x1 = MAX (*x1, ((x + 1) << ws) - 1);
        *y1 = MAX (*y1, ((y + 1) << hs) - 1);
      }
    }
  }
  return any;
}

static const GstMobilenetClassScore classes[] = {
  {286, "Egyptian cat", 0.83}, {282, "tabby, tabby cat", 0.10},
  {283, "tiger cat", 0.03},
};

/* overlay.c alone: draw on a pattern frame, compare with the rectangle it
 * reports. */
static void
check_overlay_unit (const gchar *format, gint width, gint height)
{
  GstMobilenetOverlay *ov = gst_mobilenet_overlay_new ();
  GstVideoInfo info;
  GstBuffer *buf, *ref;
  GstVideoFrame fa, fb;
  gint rx = 0, ry = 0, rw = 0, rh = 0, x0, y0, x1, y1;
  gboolean changed, has_rect;

  gst_video_info_set_format (&info, gst_video_format_from_string (format),
      width, height);
  buf = eu_pattern_buffer (&info, 3);
  ref = gst_buffer_copy_deep (buf);

  CHECK (gst_mobilenet_overlay_update (ov, classes, 3, width, height),
      "%s %dx%d: first update renders", format, width, height);
  CHECK (!gst_mobilenet_overlay_update (ov, classes, 3, width, height),
      "%s %dx%d: same result, no re-render", format, width, height);
  has_rect = gst_mobilenet_overlay_get_rect (ov, &rx, &ry, &rw, &rh);
  CHECK (has_rect && rw > 0 && rh > 0 && rx % 2 == 0 && ry % 2 == 0 &&
      rw % 2 == 0 && rh % 2 == 0 && rx + rw <= width && ry + rh <= height,
      "%s %dx%d: box %dx%d at %d,%d, even, inside the frame", format, width,
      height, rw, rh, rx, ry);

  gst_video_frame_map (&fa, &info, buf, GST_MAP_READWRITE);
  gst_video_frame_map (&fb, &info, ref, GST_MAP_READ);
  CHECK (gst_mobilenet_overlay_blend (ov, &fa), "%s: blended", format);
  changed = diff_box (&fa, &fb, &x0, &y0, &x1, &y1);
  CHECK (changed && x0 >= rx && y0 >= ry && x1 < rx + rw && y1 < ry + rh,
      "%s %dx%d: changed pixels [%d,%d]-[%d,%d] inside the box", format,
      width, height, x0, y0, x1, y1);
  gst_video_frame_unmap (&fb);
  gst_video_frame_unmap (&fa);

  CHECK (gst_mobilenet_overlay_update (ov, classes, 2, width, height),
      "%s: a different result re-renders", format);
  CHECK (!gst_mobilenet_overlay_update (ov, NULL, 0, width, height) ||
      !gst_mobilenet_overlay_get_rect (ov, NULL, NULL, NULL, NULL),
      "%s: no classes, no box", format);

  gst_buffer_unref (buf);
  gst_buffer_unref (ref);
  gst_mobilenet_overlay_free (ov);
}

/* Through the element: overlay=true changes only the top-left box; with
 * overlay=false nothing changes. */
static void
check_element (const gchar *model, const gchar *format, gboolean overlay)
{
  gchar *desc = g_strdup_printf ("mobilenet model=\"%s\" overlay=%s", model,
      overlay ? "true" : "false");
  GstHarness *h = gst_harness_new_parse (desc);
  GstVideoInfo info;
  GstBuffer *in, *ref, *out;
  GstVideoFrame fa, fb;
  gint x0, y0, x1, y1, w = 320, hgt = 240;
  gboolean changed;
  gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1", format, w, hgt);

  gst_harness_set_src_caps_str (h, caps);
  gst_video_info_set_format (&info, gst_video_format_from_string (format), w,
      hgt);
  in = eu_pattern_buffer (&info, 11);
  ref = gst_buffer_copy_deep (in);
  out = gst_harness_push_and_pull (h, in);
  CHECK (out != NULL, "element %s overlay=%d: output", format, overlay);
  if (out) {
    gst_video_frame_map (&fa, &info, out, GST_MAP_READ);
    gst_video_frame_map (&fb, &info, ref, GST_MAP_READ);
    changed = diff_box (&fa, &fb, &x0, &y0, &x1, &y1);
    if (overlay)
      CHECK (changed && x0 >= 2 && y0 >= 2 && x1 < w * 3 / 4 && y1 < hgt * 3 / 4,
          "element %s overlay=true: changes only in the top-left box "
          "[%d,%d]-[%d,%d]", format, x0, y0, x1, y1);
    else
      CHECK (!changed, "element %s overlay=false: frame unchanged", format);
    gst_video_frame_unmap (&fb);
    gst_video_frame_unmap (&fa);
    gst_buffer_unref (out);
  }
  gst_buffer_unref (ref);
  g_free (caps);
  g_free (desc);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  static const gchar *all[] = {
    "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB",
    "ABGR", "I420", "YV12", "NV12", "NV21", "YUY2", "UYVY", "GRAY8",
  };
  gchar *model;

  eu_init (&argc, &argv);
  model = eu_model ("mobilenet_v1_0.25_128_quant.tflite");

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    check_overlay_unit (all[i], 320, 240);
  check_overlay_unit ("I420", 641, 481);
  check_overlay_unit ("NV12", 1920, 1080);
  {
    GstMobilenetOverlay *ov = gst_mobilenet_overlay_new ();

    gst_mobilenet_overlay_update (ov, classes, 3, 1, 1);
    CHECK (!gst_mobilenet_overlay_get_rect (ov, NULL, NULL, NULL, NULL),
        "1x1 frame: no box");
    gst_mobilenet_overlay_free (ov);
  }

  check_element (model, "RGB", TRUE);
  check_element (model, "I420", TRUE);
  check_element (model, "NV12", TRUE);
  check_element (model, "NV12", FALSE);

  g_free (model);
  return eu_finish ();
}
