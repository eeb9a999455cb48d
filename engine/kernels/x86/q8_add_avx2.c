/* q8_add_avx2.c: TFLite's 8-bit rescaling ADD, AVX2 twin of mn_q8_add ()
 * (ops.c), bit-exact.
 *
 * The C twin looks each input byte up in its table of rescaled values
 * (a_table, b_table: built by mn_q8_add_params_init () as
 * MBQM ((v + offset) << left_shift, multiplier, shift)).  Here 8 lanes at a
 * time compute that same formula with q8_requant_avx2.h's requantisation
 * instead of looking it up: two vpgatherdd an 8 lanes measured 3.5-5
 * cycles an element on Zen 3.  Then vpaddd, the output requantisation, the
 * saturating narrowing and the clamp.  32 elements an iteration; the tail
 * goes through a zero-padded copy (whatever the padding computes is not
 * stored). */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "x86/q8_avx2.h"
#include "x86/q8_requant_avx2.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* One input's per-tensor constants. */
typedef struct {
  __m256i offset;
  __m128i left_shift;
  mn_q8_rq8 q;
  /* the SPLIT form (split_multiplier ()): m = m_hi 2^(31 - L) + m_lo */
  __m256i m_hi, m_lo, half;
  __m128i low_bits;           /* 31 - L */
} add_input;

/* The input rescaling's forms: the general requantisation (mode PLAIN or
 * GENERAL), or SPLIT.  With x = v + offset (|x| <= 255) and L the left
 * shift, TFLite's high multiply of x 2^L by m (never the saturating case:
 * |x 2^L| < 2^31) is floor ((x m 2^L + 2^30) / 2^31) (q8_requant_avx2.h),
 * that is floor ((x m + D / 2) / D) with D = 2^(31 - L), and with
 * m = m_hi D + m_lo (0 <= m_lo < D) exactly
 *   x m_hi + floor ((x m_lo + D / 2) / D),
 * two 32-bit products that cannot overflow for 8 <= L <= 22 (|x m_hi| <
 * 2^(8 + L), |x m_lo| < 2^(39 - L)) and m >= 0: 5 operations instead of
 * 9 and no 64-bit lanes; the rounding divide by 2^right follows as in
 * every form.  TFLite's ADD has L = 20 and multipliers below one. */
enum { RESCALE_SPLIT = -1 };

static bool
split_multiplier (int32_t multiplier, int32_t shift, int left_shift, add_input *in)
{
  if (left_shift < 8 || left_shift > 22 || multiplier < 0 || shift > 0)
    return false;
  const int low_bits = 31 - left_shift;
  in->m_hi = _mm256_set1_epi32 (multiplier >> low_bits);
  in->m_lo = _mm256_set1_epi32 (multiplier & ((1 << low_bits) - 1));
  in->half = _mm256_set1_epi32 (1 << (low_bits - 1));
  in->low_bits = _mm_cvtsi32_si128 (low_bits);
  return true;
}

/* The table's values of 8 bytes at v, computed; mode: an mn_q8_rq_mode or
 * RESCALE_SPLIT, a compile-time constant. */
static ALWAYS_INLINE __m256i
rescaled8 (const int mode, const uint8_t *v, const add_input *in)
{
  const __m256i x = _mm256_add_epi32 (_mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) v)),
                                      in->offset);
  if (mode == RESCALE_SPLIT) {
    const __m256i low = _mm256_sra_epi32 (
        _mm256_add_epi32 (_mm256_mullo_epi32 (x, in->m_lo), in->half), in->low_bits);
    return mn_q8_round_shift8 (_mm256_add_epi32 (_mm256_mullo_epi32 (x, in->m_hi), low), &in->q);
  }
  return mn_q8_requant8 ((mn_q8_rq_mode) mode, _mm256_sll_epi32 (x, in->left_shift), &in->q,
                         _mm256_setzero_si256 ());
}

static ALWAYS_INLINE __m256i
add32 (const int in_mode, const mn_q8_rq_mode mode, const uint8_t *a, const uint8_t *b,
       const add_input *ia, const add_input *ib, const mn_q8_rq8 *q, __m256i zp, __m256i lo,
       __m256i hi)
{
  __m256i r[4];
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++)
    r[j] = mn_q8_requant8 (mode,
                           _mm256_add_epi32 (rescaled8 (in_mode, a + 8 * j, ia),
                                             rescaled8 (in_mode, b + 8 * j, ib)),
                           q, zp);
  return mn_q8_narrow2x16 (r[0], r[1], r[2], r[3], lo, hi);
}

static ALWAYS_INLINE void
add_body (const int in_mode, const mn_q8_rq_mode mode, size_t n, const uint8_t *a,
          const uint8_t *b, uint8_t *out, const mn_q8_add_params *p, const add_input *ia,
          const add_input *ib, const mn_q8_rq8 *q)
{
  const __m256i zp = _mm256_set1_epi32 (p->out_zero_point);
  const __m256i lo = _mm256_set1_epi8 ((char) p->out_min);
  const __m256i hi = _mm256_set1_epi8 ((char) p->out_max);
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    _mm256_storeu_si256 ((__m256i *) (out + i),
                         add32 (in_mode, mode, a + i, b + i, ia, ib, q, zp, lo, hi));
  if (i < n) {
    uint8_t ta[32] = { 0 }, tb[32] = { 0 }, to[32];
    memcpy (ta, a + i, n - i);
    memcpy (tb, b + i, n - i);
    _mm256_storeu_si256 ((__m256i *) to, add32 (in_mode, mode, ta, tb, ia, ib, q, zp, lo, hi));
    memcpy (out + i, to, n - i);
  }
}

/* The input rescaling's form (SPLIT, else PLAIN, or GENERAL if either
 * needs it: init never makes one) by the output's mode. */
static ALWAYS_INLINE void
add_any_out (const int in_mode, mn_q8_rq_mode mode, size_t n, const uint8_t *a,
             const uint8_t *b, uint8_t *out, const mn_q8_add_params *p, const add_input *ia,
             const add_input *ib, const mn_q8_rq8 *q)
{
  switch (mode) {
    case MN_Q8_RQ_GENERAL:
      add_body (in_mode, MN_Q8_RQ_GENERAL, n, a, b, out, p, ia, ib, q);
      break;
    case MN_Q8_RQ_CLAMPED:
      add_body (in_mode, MN_Q8_RQ_CLAMPED, n, a, b, out, p, ia, ib, q);
      break;
    default:
      add_body (in_mode, MN_Q8_RQ_PLAIN, n, a, b, out, p, ia, ib, q);
  }
}

/* A per-tensor multiplier and shift as 8 lanes of a requantisation, no
 * clamp (out_min 0 below a zero point of 1: never the clamped form). */
static mn_q8_rq_mode
per_tensor (int32_t multiplier, int32_t shift, int32_t zero_point, uint8_t out_min,
            uint8_t out_max, mn_q8_rq8 *q)
{
  const int32_t mult[8] = { multiplier, multiplier, multiplier, multiplier,
                            multiplier, multiplier, multiplier, multiplier };
  const int32_t sh[8] = { shift, shift, shift, shift, shift, shift, shift, shift };
  const mn_requant rq = { mult, sh, zero_point, out_min, out_max, 0 };
  mn_q8_rq8_load (q, &rq, 0, 8);
  return mn_q8_rq_mode_scan (&rq, 0, 1);
}

void
mn_q8_add_avx2 (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                const mn_q8_add_params *p)
{
  add_input ia, ib;
  mn_q8_rq8 q;

  if (n == 0)
    return;
  ia.offset = _mm256_set1_epi32 (p->a_offset);
  ib.offset = _mm256_set1_epi32 (p->b_offset);
  ia.left_shift = ib.left_shift = _mm_cvtsi32_si128 (p->left_shift);
  const mn_q8_rq_mode a_mode = per_tensor (p->a_multiplier, p->a_shift, 1, 0, 255, &ia.q);
  const mn_q8_rq_mode b_mode = per_tensor (p->b_multiplier, p->b_shift, 1, 0, 255, &ib.q);
  const mn_q8_rq_mode mode = per_tensor (p->out_multiplier, p->out_shift, p->out_zero_point,
                                         p->out_min, p->out_max, &q);
  if (split_multiplier (p->a_multiplier, p->a_shift, p->left_shift, &ia)
      && split_multiplier (p->b_multiplier, p->b_shift, p->left_shift, &ib))
    add_any_out (RESCALE_SPLIT, mode, n, a, b, out, p, &ia, &ib, &q);
  else if (a_mode == MN_Q8_RQ_GENERAL || b_mode == MN_Q8_RQ_GENERAL)
    add_any_out (MN_Q8_RQ_GENERAL, mode, n, a, b, out, p, &ia, &ib, &q);
  else
    add_any_out (MN_Q8_RQ_PLAIN, mode, n, a, b, out, p, &ia, &ib, &q);
}
