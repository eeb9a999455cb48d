/* similarity.c: see similarity.h. */
#include "similarity.h"

#define SAMPLES 4               /* per cell and direction, at most */

static inline guint
luma_at (const GstMobilenetImageView *v, gint x, gint y)
{
  if (v->n_comp == 1)
    return v->data[0][(gsize) y * v->stride[0] + (gsize) x * v->pstride[0]];
  /* BT.601 weights, 8-bit fixed point */
  return (77 * v->data[0][(gsize) y * v->stride[0] + (gsize) x * v->pstride[0]]
      + 150 * v->data[1][(gsize) y * v->stride[1] + (gsize) x * v->pstride[1]]
      + 29 * v->data[2][(gsize) y * v->stride[2] + (gsize) x * v->pstride[2]])
      >> 8;
}

void
gst_mobilenet_thumb_compute (const GstMobilenetImageView *v,
    guint8 thumb[GST_MOBILENET_THUMB_PIXELS])
{
  const gint S = GST_MOBILENET_THUMB_SIZE;

  for (gint cy = 0; cy < S; cy++) {
    /* the rows of the frame that cell row cy covers: [y0, y1) */
    gint y0 = (gint) ((gint64) cy * v->height / S);
    gint y1 = MAX ((gint) ((gint64) (cy + 1) * v->height / S), y0 + 1);

    for (gint cx = 0; cx < S; cx++) {
      gint x0 = (gint) ((gint64) cx * v->width / S);
      gint x1 = MAX ((gint) ((gint64) (cx + 1) * v->width / S), x0 + 1);
      guint sum = 0, count = 0;

      for (gint j = 0; j < SAMPLES; j++) {
        gint y = MIN (y0 + (2 * j + 1) * (y1 - y0) / (2 * SAMPLES),
            v->height - 1);

        for (gint i = 0; i < SAMPLES; i++) {
          gint x = MIN (x0 + (2 * i + 1) * (x1 - x0) / (2 * SAMPLES),
              v->width - 1);

          sum += luma_at (v, x, y);
          count++;
        }
      }
      thumb[cy * S + cx] = (guint8) ((sum + count / 2) / count);
    }
  }
}

gdouble
gst_mobilenet_thumb_diff (const guint8 *a, const guint8 *b)
{
  guint sum = 0;

  for (gint i = 0; i < GST_MOBILENET_THUMB_PIXELS; i++)
    sum += ABS ((gint) a[i] - (gint) b[i]);
  return (gdouble) sum / (255.0 * GST_MOBILENET_THUMB_PIXELS);
}
