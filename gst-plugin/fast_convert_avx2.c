/* fast_convert_avx2.c: the fast path's passes with AVX2, twins of those
 * in fast_convert.c (same sums, same rounding: the results are identical,
 * tested in tests/elements/test_fast_convert.c).
 *
 * Horizontal, 1 to 4 bytes a pixel: output sample i is, per channel c,
 * 128 + sum over its span of weight * acc.  vpmaddwd multiplies 16-bit
 * lanes and adds neighbouring pairs, one instruction for 16 products: so
 * the vertical pass stores its sums minus 32768 (int16; the weights sum
 * to 256, so the sums come out 2^23 short, added back with the rounding),
 * and a byte shuffle puts each channel's neighbouring samples side by side
 * (RGB: 2 pixels a 128-bit half, 2 lanes empty), against weights expanded
 * per lane at set-up (zero past the span and on empty lanes).  Weights are
 * at most 256, so products and sums are exact in 32 bits.  Outputs go 8
 * (one byte a pixel) or 4 at a time, their sums transposed to one vector
 * a channel.
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

/* The weights sum to 256 and acc holds each sum minus 32768, so a sum
 * of weight * acc lacks 256 * 32768; added back with the rounding. */
#define SUM_OFFSET ((1u << 23) + (1u << (W_BITS - 1)))

/* Per 128 bits, 16-bit lanes: each channel's two neighbouring samples
 * side by side, so that vpmaddwd adds products of one channel (see
 * gst_mobilenet_fc_lane_sample()). */
static inline __m256i
pair_shuffle (gint ps)
{
  switch (ps) {
    case 2:                    /* u0 v0 u1 v1 .. -> u0 u1 v0 v1 .. */
      return _mm256_setr_epi8 (0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11,
          14, 15, 0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15);
    case 3:                    /* r0 g0 b0 r1 g1 b1 -> r0 r1 g0 g1 b0 b1 0 0 */
      return _mm256_setr_epi8 (0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1,
          -1, -1, 0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1);
    default:                   /* 4: b0 g0 r0 x0 b1 .. -> b0 b1 g0 g1 .. */
      return _mm256_setr_epi8 (0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7,
          14, 15, 0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
  }
}

gint
gst_mobilenet_fc_samples_per_vector (gint ps)
{
  return ps == 1 ? 16 : ps == 2 ? 8 : 4;
}

gint
gst_mobilenet_fc_lane_sample (gint ps, gint lane)
{
  static const gint8 map[5][8] = {
    {0}, {0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 0, 1, 2, 3, 2, 3},
    {0, 1, 0, 1, 0, 1, -1, -1}, {0, 1, 0, 1, 0, 1, 0, 1},
  };
  const gint j = map[ps][lane % 8];

  if (j < 0)
    return -1;
  return (lane / 8) * (gst_mobilenet_fc_samples_per_vector (ps) / 2) + j;
}

/* An output's sum vector (span_sums) into its rows: channel c to
 * out[c][i] (when wanted), 8 fractional bits dropped with rounding. */
static inline void
store_output (__m256i s, gint ps, gint i, guint16 * const *out)
{
  /* 32-bit lane k holds channel k % ps (ps 1, 2, 4) or k % 4 (ps 3: lane
   * 3 is empty) */
  __m128i t = _mm_add_epi32 (_mm256_castsi256_si128 (s),
      _mm256_extracti128_si256 (s, 1));
  guint32 l[4];
  gint k;

  if (ps <= 2)
    t = _mm_add_epi32 (t, _mm_shuffle_epi32 (t, _MM_SHUFFLE (1, 0, 3, 2)));
  if (ps == 1)
    t = _mm_add_epi32 (t, _mm_shuffle_epi32 (t, _MM_SHUFFLE (2, 3, 0, 1)));
  t = _mm_srli_epi32 (_mm_add_epi32 (t, _mm_set1_epi32 (SUM_OFFSET)), W_BITS);
  _mm_storeu_si128 ((__m128i *) l, t);
  for (k = 0; k < ps; k++)
    if (out[k] != NULL)
      out[k][i] = (guint16) l[k];
}

/* Output i's products (its span from @a, weights @w) summed over its
 * nvec vectors: 32-bit lanes by channel, as store_output() reads them. */
static inline __m256i
span_sums (const gint16 * a, const gint16 * w, gint nvec, gint ps)
{
  const __m256i shuffle = pair_shuffle (ps);
  __m256i s = _mm256_setzero_si256 ();
  gint v;

  for (v = 0; v < nvec; v++) {
    __m256i x;

    if (ps == 3)                /* 2 pixels a half: 6 of its 8 values */
      x = _mm256_inserti128_si256 (_mm256_castsi128_si256 (_mm_loadu_si128
              ((const __m128i *) (a + v * 12))),
          _mm_loadu_si128 ((const __m128i *) (a + v * 12 + 6)), 1);
    else
      x = _mm256_loadu_si256 ((const __m256i *) (a + v * 16));
    if (ps > 1)
      x = _mm256_shuffle_epi8 (x, shuffle);
    s = _mm256_add_epi32 (s, _mm256_madd_epi16 (x,
            _mm256_loadu_si256 ((const __m256i *) (w + v * 16))));
  }
  return s;
}

/* One-byte pixels, outputs [i, i + 8): the eight sum vectors reduced
 * together (vphaddd tree), rounded, narrowed and stored as 8 values. */
static inline void
eight_outputs (const gint16 * acc, const gint * start, const gint16 * wx,
    gint nvec, gint i, guint16 * o)
{
  __m256i s[8];
  gint j;

  for (j = 0; j < 8; j++)
    s[j] = span_sums (acc + start[i + j], wx + (gsize) (i + j) * nvec * 16,
        nvec, 1);
  /* per 128 bits: partial sums of outputs 0-3, then of 4-7 */
  const __m256i u0 = _mm256_hadd_epi32 (_mm256_hadd_epi32 (s[0], s[1]),
      _mm256_hadd_epi32 (s[2], s[3]));
  const __m256i u1 = _mm256_hadd_epi32 (_mm256_hadd_epi32 (s[4], s[5]),
      _mm256_hadd_epi32 (s[6], s[7]));
  __m256i t = _mm256_add_epi32 (_mm256_permute2x128_si256 (u0, u1, 0x20),
      _mm256_permute2x128_si256 (u0, u1, 0x31));

  t = _mm256_srli_epi32 (_mm256_add_epi32 (t, _mm256_set1_epi32 (SUM_OFFSET)),
      W_BITS);
  /* values < 2^16: the 32 -> 16 bit pack keeps them */
  t = _mm256_permute4x64_epi64 (_mm256_packus_epi32 (t, t), 0x08);
  _mm_storeu_si128 ((__m128i *) (o + i), _mm256_castsi256_si128 (t));
}

/* Multi-byte pixels, outputs [i, i + 4): each output's channel sums
 * (as store_output() folds them), transposed to one vector a channel,
 * rounded, narrowed and stored as 4 values a row. */
static inline __attribute__ ((always_inline)) void
four_outputs (const gint16 * acc, const gint * start, const gint16 * wx,
    const gint nvec, const gint ps, gint i, guint16 * const *out)
{
  const __m128i offset = _mm_set1_epi32 (SUM_OFFSET);
  __m128i t[4], c[4];
  gint j;

  for (j = 0; j < 4; j++) {
    const __m256i s = span_sums (acc + (gsize) start[i + j] * ps,
        wx + (gsize) (i + j) * nvec * 16, nvec, ps);

    t[j] = _mm_add_epi32 (_mm256_castsi256_si128 (s),
        _mm256_extracti128_si256 (s, 1));
  }
  if (ps == 2) {
    /* lanes u v u v: fold to u v, then pair the outputs */
    for (j = 0; j < 4; j++)
      t[j] = _mm_add_epi32 (t[j], _mm_shuffle_epi32 (t[j],
              _MM_SHUFFLE (1, 0, 3, 2)));
    const __m128i a = _mm_shuffle_epi32 (_mm_unpacklo_epi64 (t[0], t[1]),
        _MM_SHUFFLE (3, 1, 2, 0));
    const __m128i b = _mm_shuffle_epi32 (_mm_unpacklo_epi64 (t[2], t[3]),
        _MM_SHUFFLE (3, 1, 2, 0));

    c[0] = _mm_unpacklo_epi64 (a, b);
    c[1] = _mm_unpackhi_epi64 (a, b);
  } else {
    /* lanes are channels 0-3: a 4 x 4 transpose */
    const __m128i a = _mm_unpacklo_epi32 (t[0], t[1]);
    const __m128i b = _mm_unpacklo_epi32 (t[2], t[3]);
    const __m128i d = _mm_unpackhi_epi32 (t[0], t[1]);
    const __m128i e = _mm_unpackhi_epi32 (t[2], t[3]);

    c[0] = _mm_unpacklo_epi64 (a, b);
    c[1] = _mm_unpackhi_epi64 (a, b);
    c[2] = _mm_unpacklo_epi64 (d, e);
    c[3] = _mm_unpackhi_epi64 (d, e);
  }
  for (j = 0; j < ps; j++)
    if (out[j] != NULL) {
      /* values < 2^16: the 32 -> 16 bit pack keeps them */
      const __m128i v = _mm_srli_epi32 (_mm_add_epi32 (c[j], offset), W_BITS);

      _mm_storel_epi64 ((__m128i *) (out[j] + i), _mm_packus_epi32 (v, v));
    }
}

/* ps and (when it is 1 to 3, the common spans) nvec constants after
 * inlining: the sums stay in registers */
static inline __attribute__ ((always_inline)) void
hpass_ps_nvec (const gint16 * acc, const gint ps, gint n, const gint * start,
    const gint16 * wx, const gint nvec, guint16 * const *out)
{
  gint i = 0;

  if (ps == 1 && out[0] != NULL)
    for (; i + 8 <= n; i += 8)
      eight_outputs (acc, start, wx, nvec, i, out[0]);
  if (ps > 1)
    for (; i + 4 <= n; i += 4)
      four_outputs (acc, start, wx, nvec, ps, i, out);
  for (; i < n; i++)
    store_output (span_sums (acc + (gsize) start[i] * ps,
            wx + (gsize) i * nvec * 16, nvec, ps), ps, i, out);
}

static inline __attribute__ ((always_inline)) void
hpass_ps (const gint16 * acc, const gint ps, gint n, const gint * start,
    const gint16 * wx, gint nvec, guint16 * const *out)
{
  switch (nvec) {
    case 1:
      hpass_ps_nvec (acc, ps, n, start, wx, 1, out);
      break;
    case 2:
      hpass_ps_nvec (acc, ps, n, start, wx, 2, out);
      break;
    case 3:
      hpass_ps_nvec (acc, ps, n, start, wx, 3, out);
      break;
    default:
      hpass_ps_nvec (acc, ps, n, start, wx, nvec, out);
      break;
  }
}

void
gst_mobilenet_fc_hpass_avx2 (const guint16 * acc, gint ps, gint n,
    const gint * start, const gint16 * wx, gint nvec, guint16 * const *out)
{
  const gint16 *a = (const gint16 *) acc;

  switch (ps) {
    case 1:
      hpass_ps (a, 1, n, start, wx, nvec, out);
      break;
    case 2:
      hpass_ps (a, 2, n, start, wx, nvec, out);
      break;
    case 3:
      hpass_ps (a, 3, n, start, wx, nvec, out);
      break;
    default:
      hpass_ps (a, 4, n, start, wx, nvec, out);
      break;
  }
}

void
gst_mobilenet_fc_vertical_pass_avx2 (const guint8 * base, gint stride,
    const guint16 * w, gint count, guint16 * acc, gint x0, gint x1)
{
  fc_vertical_pass (base, stride, w, count, 0x8000, acc, x0, x1);
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
