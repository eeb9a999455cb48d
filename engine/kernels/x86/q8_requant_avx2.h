/* q8_requant_avx2.h: requant.h's TFLite requantisation on 8 int32 lanes,
 * bit-exact with mn_multiply_by_quantized_multiplier () for every int32
 * accumulator, multiplier and shift in [-31, 31], plus the zero point, the
 * saturating narrowing to uint8 and the fused clamp.
 *
 * Saturating rounding doubling high multiply: TFLite computes
 * (ab + nudge) / 2^31 with nudge = ab >= 0 ? 2^30 : 1 - 2^30 and a division
 * that truncates toward zero; for ab < 0 that is ceil ((ab + 1 - 2^30) / 2^31)
 * = floor ((ab + 2^30) / 2^31), so in every case it is (ab + 2^30) >> 31
 * (arithmetic).  Only bits 31..62 are kept, which a logical 64-bit shift
 * gives just as well.  The one saturating case (a == b == INT32_MIN) gives
 * 2^31, which wraps to INT32_MIN; no other product can reach INT32_MIN
 * (the least is (2^31 - 1) * -2^31 -> -2^31 + 1), so flipping INT32_MIN to
 * INT32_MAX is exact.  Rounding divide by a power of two is requant.h's
 * formula with per-lane shifts (vpsravd). */
#ifndef MN_Q8_REQUANT_AVX2_H
#define MN_Q8_REQUANT_AVX2_H

#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

/* Per-channel constants for 8 output channels. */
typedef struct {
  __m256i mult;       /* Q31 multiplier */
  __m256i mult_odd;   /* the odd lanes' multipliers moved to the even dwords */
  __m256i left;       /* max (shift, 0) */
  __m256i right;      /* max (-shift, 0) */
  __m256i mask;       /* (1 << right) - 1 */
  __m256i thr;        /* mask >> 1 */
} mn_q8_rq8;

/* Channels [c0, c0 + nr) of rq, nr <= 8; missing lanes get multiplier 0. */
static inline void
mn_q8_rq8_load (mn_q8_rq8 *p, const mn_requant *rq, int c0, int nr)
{
  __m256i m, s;
  if (nr >= 8) {
    m = _mm256_loadu_si256 ((const __m256i *) (rq->multiplier + c0));
    s = _mm256_loadu_si256 ((const __m256i *) (rq->shift + c0));
  } else {
    int32_t mt[8] = { 0 }, st[8] = { 0 };
    memcpy (mt, rq->multiplier + c0, sizeof (int32_t) * (size_t) nr);
    memcpy (st, rq->shift + c0, sizeof (int32_t) * (size_t) nr);
    m = _mm256_loadu_si256 ((const __m256i *) mt);
    s = _mm256_loadu_si256 ((const __m256i *) st);
  }
  const __m256i zero = _mm256_setzero_si256 ();
  p->mult = m;
  p->mult_odd = _mm256_srli_epi64 (m, 32);
  p->left = _mm256_max_epi32 (s, zero);
  p->right = _mm256_max_epi32 (_mm256_sub_epi32 (zero, s), zero);
  p->mask = _mm256_sub_epi32 (_mm256_sllv_epi32 (_mm256_set1_epi32 (1), p->right),
                              _mm256_set1_epi32 (1));
  p->thr = _mm256_srai_epi32 (p->mask, 1);
}

/* Whether channels [c0, c1) need the general requantisation: a left shift
 * (multiplier above one) or the saturating multiplier INT32_MIN (which
 * mn_quantize_multiplier () never makes).  Otherwise mn_q8_requant8 () may
 * skip both, with the same results. */
static inline bool
mn_q8_rq_general (const mn_requant *rq, int c0, int c1)
{
  for (int c = c0; c < c1; c++)
    if (rq->shift[c] > 0 || rq->multiplier[c] == INT32_MIN)
      return true;
  return false;
}

/* mn_multiply_by_quantized_multiplier () on 8 lanes, plus zp (wrapping,
 * as the C twins' int32 addition).  general: a compile-time constant, see
 * mn_q8_rq_general (). */
static inline __attribute__ ((always_inline)) __m256i
mn_q8_requant8 (const bool general, __m256i acc, const mn_q8_rq8 *p, __m256i zp)
{
  const __m256i nudge = _mm256_set1_epi64x (1ll << 30);
  const __m256i x = general ? _mm256_sllv_epi32 (acc, p->left) : acc;
  __m256i even = _mm256_add_epi64 (_mm256_mul_epi32 (x, p->mult), nudge);
  __m256i odd = _mm256_add_epi64 (_mm256_mul_epi32 (_mm256_srli_epi64 (x, 32), p->mult_odd), nudge);
  even = _mm256_srli_epi64 (even, 31);      /* bits 31..62 in the low dword */
  odd = _mm256_slli_epi64 (odd, 1);         /* bits 31..62 in the high dword */
  __m256i r = _mm256_blend_epi32 (even, odd, 0xAA);
  if (general)
    r = _mm256_xor_si256 (r, _mm256_cmpeq_epi32 (r, _mm256_set1_epi32 (INT32_MIN)));
  /* rounding divide by 2^right, half away from zero */
  const __m256i rem = _mm256_and_si256 (r, p->mask);
  const __m256i thr = _mm256_sub_epi32 (p->thr, _mm256_srai_epi32 (r, 31));
  r = _mm256_sub_epi32 (_mm256_srav_epi32 (r, p->right), _mm256_cmpgt_epi32 (rem, thr));
  return _mm256_add_epi32 (r, zp);
}

/* Two rows of 16 requantised int32 (lo: channels 0-7, hi: 8-15) to uint8,
 * saturated and clamped: row a in the low 16 bytes, row b in the high. */
static inline __m256i
mn_q8_narrow2x16 (__m256i a_lo, __m256i a_hi, __m256i b_lo, __m256i b_hi, __m256i lo,
                  __m256i hi)
{
  const __m256i a = _mm256_packs_epi32 (a_lo, a_hi);   /* a0-3 a8-11 | a4-7 a12-15 */
  const __m256i b = _mm256_packs_epi32 (b_lo, b_hi);
  __m256i u = _mm256_packus_epi16 (a, b);  /* a0-3 a8-11 b0-3 b8-11 | a4-7 a12-15 b4-7 b12-15 */
  u = _mm256_permutevar8x32_epi32 (u, _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7));
  return _mm256_min_epu8 (_mm256_max_epu8 (u, lo), hi);
}

#endif /* MN_Q8_REQUANT_AVX2_H */
