/* q8_conv_gather.h: what the AVX2 and AVX-512 twins of the q8 general
 * convolution share (both built with AVX2 at least): a packed panel's
 * size, and the receptive field gathered as int16 (x - zero point). */
#ifndef MN_Q8_CONV_GATHER_H
#define MN_Q8_CONV_GATHER_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

/* Bytes of one packed panel of MN_Q8_CONV_NR channels (kernels.h). */
static inline size_t
mn_q8_conv_panel_bytes (const mn_conv_geom *g)
{
  return MN_Q8_CONV_NR * sizeof (int32_t)
         + (size_t) g->k_h * g->k_w * g->in_c * MN_Q8_CONV_NR * sizeof (int16_t);
}

/* The receptive field of output pixel (oy, ox) as int16 (x - zp), padding
 * zero, plus one zero past an odd end. */
static inline void
mn_q8_conv_gather (const mn_conv_geom *g, const uint8_t *in, const uint8_t *in_end, int32_t in_zp, int oy,
        int ox, int16_t *dst)
{
  const int iy0 = oy * g->stride_h - g->pad_top;
  const int ix0 = ox * g->stride_w - g->pad_left;
  const int run = g->k_w * g->in_c;
  const __m256i vzp = _mm256_set1_epi16 ((short) in_zp);

  for (int ky = 0; ky < g->k_h; ky++) {
    const int iy = iy0 + ky;
    int16_t *d = dst + (size_t) ky * run;
    if (iy < 0 || iy >= g->in_h) {
      memset (d, 0, sizeof (int16_t) * (size_t) run);
      continue;
    }
    const uint8_t *row = in + (size_t) iy * g->in_w * g->in_c;
    if (ix0 >= 0 && ix0 + g->k_w <= g->in_w) {
      const uint8_t *s = row + (size_t) ix0 * g->in_c;
      int i = 0;
      /* 16 at a time while the read stays inside the input; the last
       * store may spill into the next run, which is written after. */
      for (; i < run && s + i + 16 <= in_end; i += 16)
        _mm256_storeu_si256 ((__m256i *) (d + i),
                             _mm256_sub_epi16 (_mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (s + i))), vzp));
      for (; i < run; i++)
        d[i] = (int16_t) (s[i] - in_zp);
    } else {
      for (int kx = 0; kx < g->k_w; kx++) {
        const int ix = ix0 + kx;
        int16_t *dk = d + (size_t) kx * g->in_c;
        if (ix < 0 || ix >= g->in_w) {
          memset (dk, 0, sizeof (int16_t) * (size_t) g->in_c);
        } else {
          const uint8_t *s = row + (size_t) ix * g->in_c;
          for (int c = 0; c < g->in_c; c++)
            dk[c] = (int16_t) (s[c] - in_zp);
        }
      }
    }
  }
  dst[(size_t) g->k_h * run] = 0;
}

/* mn_q8_conv_gather () for a pixel whose taps are all inside the image, when a
 * kernel row's run of values is at most 16 (the first layer: 3 x 3): one
 * widening load a kernel row, no checks.  s: the first tap; the caller
 * makes sure the last row's 16-byte load stays inside the input.  Each
 * row's store spills past its run into the next row's, written after. */
static inline __attribute__ ((always_inline)) void
mn_q8_conv_gather_inside16 (const mn_conv_geom *g, const uint8_t *s, size_t row_bytes, int run,
                 __m256i vzp, int16_t *dst)
{
  for (int ky = 0; ky < g->k_h; ky++, s += row_bytes, dst += run)
    _mm256_storeu_si256 ((__m256i *) dst,
                         _mm256_sub_epi16 (_mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) s)),
                                           vzp));
  dst[0] = 0;   /* one zero past an odd end (dst is at k_h * run) */
}

#endif /* MN_Q8_CONV_GATHER_H */
