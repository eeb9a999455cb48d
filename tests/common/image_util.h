/* image_util.h: test images without extra dependencies: 24/32-bit BMP
 * decoding and an area-averaging resize to the model's input size. */
#ifndef MN_TEST_IMAGE_UTIL_H
#define MN_TEST_IMAGE_UTIL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int width, height;
  uint8_t *rgb;   /* width * height * 3, top row first */
} test_image;

/* Returns 0 on success; prints why on failure. */
int test_image_load_bmp (const char *path, test_image *img);
/* Area-averaging resize (each output pixel the mean of the input area it
 * covers), the usual way to shrink a photo without aliasing. */
int test_image_resize (const test_image *src, int width, int height, test_image *dst);
void test_image_free (test_image *img);

#endif
