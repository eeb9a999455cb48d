/* test_similarity.c: thumbnails and their difference
 * (gst-plugin/similarity.c) on synthetic grey and RGB images. */
#include <string.h>

#include "unit_check.h"
#include "similarity.h"

static void
fill (guint8 *img, gint w, gint h, gint bpp, guint seed, gint noise)
{
  guint32 x = seed * 2654435761u + 1;

  for (gint y = 0; y < h; y++)
    for (gint i = 0; i < w; i++)
      for (gint c = 0; c < bpp; c++) {
        gint v = (i * 255 / MAX (w - 1, 1) + y) / 2;

        x = x * 1664525u + 1013904223u;
        if (noise)
          v += (gint) (x >> 24) % (2 * noise + 1) - noise;
        img[(y * w + i) * bpp + c] = CLAMP (v, 0, 255);
      }
}

static void
thumb (const guint8 *img, gint w, gint h, gint bpp, guint8 *t)
{
  GstMobilenetImageView v = { 0, };

  v.width = w;
  v.height = h;
  v.n_comp = bpp == 1 ? 1 : 3;
  for (gint c = 0; c < v.n_comp; c++) {
    v.data[c] = img + c;
    v.stride[c] = w * bpp;
    v.pstride[c] = bpp;
  }
  gst_mobilenet_thumb_compute (&v, t);
}

int
main (int argc, char **argv)
{
  const gint w = 640, h = 480;
  guint8 *a = g_malloc (w * h * 4), *b = g_malloc (w * h * 4);
  guint8 ta[GST_MOBILENET_THUMB_PIXELS], tb[GST_MOBILENET_THUMB_PIXELS];
  gdouble d;

  fill (a, w, h, 1, 1, 0);
  thumb (a, w, h, 1, ta);
  thumb (a, w, h, 1, tb);
  CHECK (gst_mobilenet_thumb_diff (ta, tb) == 0.0, "same frame: 0");

  fill (b, w, h, 1, 2, 3);
  thumb (b, w, h, 1, tb);
  d = gst_mobilenet_thumb_diff (ta, tb);
  CHECK (d > 0 && d < 0.01, "sensor noise of +-3: below 0.01 (%.4f)", d);

  memset (b, 255, w * h);
  thumb (b, w, h, 1, tb);
  d = gst_mobilenet_thumb_diff (ta, tb);
  CHECK (d > 0.3, "white against a gradient: above 0.3 (%.4f)", d);

  /* a small object moving in: a 64x64 black square */
  memcpy (b, a, w * h);
  for (gint y = 200; y < 264; y++)
    memset (b + y * w + 300, 0, 64);
  thumb (b, w, h, 1, tb);
  d = gst_mobilenet_thumb_diff (ta, tb);
  CHECK (d > 0.003 && d < 0.05, "a 64x64 square appears: %.4f", d);

  /* RGB: grey pixels give the same thumbnail as luma */
  fill (b, w, h, 3, 1, 0);
  thumb (b, w, h, 3, tb);
  d = gst_mobilenet_thumb_diff (ta, tb);
  CHECK (d < 0.005, "RGB grey = luma (%.4f)", d);

  /* RGBx with pixel stride 4, odd sizes, a 1x1 frame */
  fill (b, 17, 5, 4, 1, 0);
  thumb (b, 17, 5, 4, tb);
  CHECK (TRUE, "17x5 RGBx: no out-of-bounds read");
  b[0] = 200;
  thumb (b, 1, 1, 1, tb);
  CHECK (tb[0] == 200 && tb[255] == 200, "1x1 frame: every cell is the pixel");

  g_free (a);
  g_free (b);
  return uc_finish ();
}
