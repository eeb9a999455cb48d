/* image_util.c: BMP decoding and area-averaging resize for tests. */
#include "image_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t
le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

int
test_image_load_bmp (const char *path, test_image *img)
{
  memset (img, 0, sizeof *img);
  FILE *f = fopen (path, "rb");
  if (!f) {
    fprintf (stderr, "cannot open %s\n", path);
    return -1;
  }
  fseek (f, 0, SEEK_END);
  long size = ftell (f);
  fseek (f, 0, SEEK_SET);
  uint8_t *buf = size > 54 ? malloc ((size_t) size) : NULL;
  if (!buf || fread (buf, 1, (size_t) size, f) != (size_t) size) {
    fclose (f);
    free (buf);
    fprintf (stderr, "cannot read %s\n", path);
    return -1;
  }
  fclose (f);
  int rc = -1;
  uint32_t data_offset = le32 (buf + 10);
  int32_t w = (int32_t) le32 (buf + 18), h = (int32_t) le32 (buf + 22);
  int bpp = buf[28] | buf[29] << 8;
  uint32_t compression = le32 (buf + 30);
  int bottom_up = h > 0;
  if (h < 0)
    h = -h;
  if (memcmp (buf, "BM", 2) != 0 || w <= 0 || h <= 0 || w > 16384 || h > 16384 ||
      (bpp != 24 && bpp != 32) || (compression != 0 && compression != 3)) {
    fprintf (stderr, "%s: unsupported BMP (%dx%d, %d bpp, compression %u)\n", path, w, h, bpp,
             compression);
    goto out;
  }
  size_t row = ((size_t) w * (size_t) (bpp / 8) + 3) & ~(size_t) 3;
  if (data_offset > (size_t) size || row * (size_t) h > (size_t) size - data_offset) {
    fprintf (stderr, "%s: truncated BMP\n", path);
    goto out;
  }
  img->width = w;
  img->height = h;
  img->rgb = malloc ((size_t) w * (size_t) h * 3);
  if (!img->rgb)
    goto out;
  for (int y = 0; y < h; y++) {
    const uint8_t *src = buf + data_offset + row * (size_t) (bottom_up ? h - 1 - y : y);
    uint8_t *dst = img->rgb + (size_t) y * (size_t) w * 3;
    for (int x = 0; x < w; x++) { /* BGR(A) -> RGB */
      const uint8_t *px = src + (size_t) x * (size_t) (bpp / 8);
      dst[3 * x] = px[2];
      dst[3 * x + 1] = px[1];
      dst[3 * x + 2] = px[0];
    }
  }
  rc = 0;
out:
  free (buf);
  return rc;
}

int
test_image_resize (const test_image *src, int width, int height, test_image *dst)
{
  dst->width = width;
  dst->height = height;
  dst->rgb = malloc ((size_t) width * (size_t) height * 3);
  if (!dst->rgb)
    return -1;
  const double sx = (double) src->width / width, sy = (double) src->height / height;
  for (int y = 0; y < height; y++) {
    double y0 = y * sy, y1 = (y + 1) * sy;
    for (int x = 0; x < width; x++) {
      double x0 = x * sx, x1 = (x + 1) * sx;
      double acc[3] = { 0, 0, 0 }, area = 0;
      for (int iy = (int) y0; iy < src->height && iy < y1; iy++) {
        double wy = (iy + 1 < y1 ? iy + 1 : y1) - (iy > y0 ? iy : y0);
        for (int ix = (int) x0; ix < src->width && ix < x1; ix++) {
          double wx = (ix + 1 < x1 ? ix + 1 : x1) - (ix > x0 ? ix : x0);
          const uint8_t *p = src->rgb + ((size_t) iy * (size_t) src->width + (size_t) ix) * 3;
          for (int c = 0; c < 3; c++)
            acc[c] += wx * wy * p[c];
          area += wx * wy;
        }
      }
      for (int c = 0; c < 3; c++)
        dst->rgb[((size_t) y * (size_t) width + (size_t) x) * 3 + (size_t) c] =
            (uint8_t) (acc[c] / area + 0.5);
    }
  }
  return 0;
}

void
test_image_free (test_image *img)
{
  free (img->rgb);
  img->rgb = NULL;
}
