/* fast_convert_avx2.c: the fast path's passes with AVX2, twins of those
 * in fast_convert.c (same sums, same rounding: the results are identical,
 * tested in tests/elements/test_fast_convert.c).
 *
 * Horizontal, for 1, 2 and 4 bytes a pixel (3-byte RGB keeps the portable
 * pass, as fast here): output sample i is, per byte lane c, 128 + sum over
 * its span of weight * acc.  The span's ntaps * ps values are read as
 * vectors of 16, so lane j is always channel j % ps, against weights
 * expanded per lane at set-up (zero past the span).  acc is below 2^16
 * and a weight at most 256, so the products are exact in 32 bits: vpmullw
 * and vpmulhuw give their low and high halves, interleaved into 32-bit
 * products and summed into one vector per output.
 *
 * The vertical pass is fast_convert_vertical.h's, vectorised here by the
 * compiler with -mavx2. */
#include "fast_convert_avx2.h"

#include <immintrin.h>
#include <string.h>

#define FC_INLINE static inline __attribute__ ((always_inline))
#include "fast_convert_vertical.h"

#define W_BITS 8
#define C_BITS 12   /* as fast_convert.c */

/* An output's sum vector (span_sums) into its rows: byte lane c of the
 * pixel to out[c][i] (when wanted), 8 fractional bits dropped with
 * rounding. */
static inline void
store_output (__m256i s, gint ps, gint i, guint16 * const *out)
{
  const guint32 round = 1u << (W_BITS - 1);
  /* lane k belongs to channel k % ps (its elements are k or k + 4 or
   * k + 8 or k + 12, all k modulo 4) */
  __m128i t = _mm_add_epi32 (_mm256_castsi256_si128 (s),
      _mm256_extracti128_si256 (s, 1));
  guint32 l[4];
  gint k;

  if (ps <= 2)
    t = _mm_add_epi32 (t, _mm_shuffle_epi32 (t, _MM_SHUFFLE (1, 0, 3, 2)));
  if (ps == 1)
    t = _mm_add_epi32 (t, _mm_shuffle_epi32 (t, _MM_SHUFFLE (2, 3, 0, 1)));
  _mm_storeu_si128 ((__m128i *) l, t);
  for (k = 0; k < ps; k++)
    if (out[k] != NULL)
      out[k][i] = (guint16) ((l[k] + round) >> W_BITS);
}

/* The 8 lanes of output i's products summed over its nvec vectors (one
 * 32-bit sum vector; the output is the sum of its lanes). */
static inline __m256i
span_sums (const guint16 * a, const guint16 * w, gint nvec)
{
  __m256i s = _mm256_setzero_si256 ();
  gint v;

  for (v = 0; v < nvec; v++) {
    const __m256i x = _mm256_loadu_si256 ((const __m256i *) (a + v * 16));
    const __m256i wv = _mm256_loadu_si256 ((const __m256i *) (w + v * 16));
    const __m256i pl = _mm256_mullo_epi16 (x, wv);
    const __m256i ph = _mm256_mulhi_epu16 (x, wv);

    s = _mm256_add_epi32 (s, _mm256_add_epi32 (_mm256_unpacklo_epi16 (pl, ph),
            _mm256_unpackhi_epi16 (pl, ph)));
  }
  return s;
}

/* One-byte pixels, outputs [i, i + 8): the eight sum vectors reduced
 * together (vphaddd tree), rounded, narrowed and stored as 8 values. */
static inline void
eight_outputs (const guint16 * acc, const gint * start, const guint16 * wx,
    gint nvec, gint i, guint16 * o)
{
  __m256i s[8];
  gint j;

  for (j = 0; j < 8; j++)
    s[j] = span_sums (acc + start[i + j], wx + (gsize) (i + j) * nvec * 16, nvec);
  /* per 128 bits: partial sums of outputs 0-3, then of 4-7 */
  const __m256i u0 = _mm256_hadd_epi32 (_mm256_hadd_epi32 (s[0], s[1]),
      _mm256_hadd_epi32 (s[2], s[3]));
  const __m256i u1 = _mm256_hadd_epi32 (_mm256_hadd_epi32 (s[4], s[5]),
      _mm256_hadd_epi32 (s[6], s[7]));
  __m256i t = _mm256_add_epi32 (_mm256_permute2x128_si256 (u0, u1, 0x20),
      _mm256_permute2x128_si256 (u0, u1, 0x31));

  t = _mm256_srli_epi32 (_mm256_add_epi32 (t, _mm256_set1_epi32 (1 << (W_BITS - 1))),
      W_BITS);
  /* values < 2^16: the 32 -> 16 bit pack keeps them */
  t = _mm256_permute4x64_epi64 (_mm256_packus_epi32 (t, t), 0x08);
  _mm_storeu_si128 ((__m128i *) (o + i), _mm256_castsi256_si128 (t));
}

void
gst_mobilenet_fc_hpass_avx2 (const guint16 * acc, gint ps, gint n,
    const gint * start, const guint16 * wx, gint nvec, guint16 * const *out)
{
  gint i = 0;

  if (ps == 1 && out[0] != NULL)
    for (; i + 8 <= n; i += 8)
      eight_outputs (acc, start, wx, nvec, i, out[0]);
  for (; i < n; i++)
    store_output (span_sums (acc + (gsize) start[i] * ps, wx + (gsize) i * nvec * 16,
            nvec), ps, i, out);
}

void
gst_mobilenet_fc_vertical_pass_avx2 (const guint8 * base, gint stride,
    const guint16 * w, gint count, guint16 * acc, gint x0, gint x1)
{
  fc_vertical_pass (base, stride, w, count, acc, x0, x1);
}

gint
gst_mobilenet_fc_yuv_to_rgb_avx2 (const guint16 * y_row, const guint16 * u_row,
    const guint16 * v_row, gint n, const gint32 coef[6], guint8 * out)
{
  const __m256i cy = _mm256_set1_epi32 (coef[0]), crv = _mm256_set1_epi32 (coef[1]);
  const __m256i cgu = _mm256_set1_epi32 (coef[2]), cgv = _mm256_set1_epi32 (coef[3]);
  const __m256i cbu = _mm256_set1_epi32 (coef[4]), yoff = _mm256_set1_epi32 (coef[5]);
  const __m256i round = _mm256_set1_epi32 (1 << (W_BITS + C_BITS - 1));
  const __m256i mid = _mm256_set1_epi32 (128 << W_BITS);
  /* per 128 bits: r0-3 g0-3 b0-3 0000 -> r0 g0 b0 r1 g1 b1 ... b3 */
  const __m256i interleave = _mm256_setr_epi8 (0, 4, 8, 1, 5, 9, 2, 6, 10,
      3, 7, 11, -1, -1, -1, -1, 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, -1, -1,
      -1, -1);
  gint i;

  for (i = 0; i + 8 <= n; i += 8) {
    const __m256i yv = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) (y_row + i)));
    const __m256i u = _mm256_sub_epi32 (_mm256_cvtepu16_epi32 (_mm_loadu_si128
            ((const __m128i *) (u_row + i))), mid);
    const __m256i v = _mm256_sub_epi32 (_mm256_cvtepu16_epi32 (_mm_loadu_si128
            ((const __m128i *) (v_row + i))), mid);
    const __m256i y = _mm256_add_epi32 (_mm256_mullo_epi32 (cy,
            _mm256_sub_epi32 (yv, yoff)), round);
    const __m256i r = _mm256_srai_epi32 (_mm256_add_epi32 (y,
            _mm256_mullo_epi32 (crv, v)), W_BITS + C_BITS);
    const __m256i g = _mm256_srai_epi32 (_mm256_sub_epi32 (_mm256_sub_epi32 (y,
                _mm256_mullo_epi32 (cgu, u)), _mm256_mullo_epi32 (cgv, v)),
        W_BITS + C_BITS);
    const __m256i b = _mm256_srai_epi32 (_mm256_add_epi32 (y,
            _mm256_mullo_epi32 (cbu, u)), W_BITS + C_BITS);
    /* saturating packs clamp to 0..255, as clamp_u8() */
    const __m256i rgb = _mm256_packus_epi16 (_mm256_packs_epi32 (r, g),
        _mm256_packs_epi32 (b, _mm256_setzero_si256 ()));
    guint8 t[32];

    _mm256_storeu_si256 ((__m256i *) t, _mm256_shuffle_epi8 (rgb, interleave));
    memcpy (out + 3 * i, t, 12);
    memcpy (out + 3 * i + 12, t + 16, 12);
  }
  return i;
}
