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

/* Per-channel constants for 8 output channels.  Only __m256i members:
 * the depthwise kernel permutes the struct as an array of vectors. */
typedef struct {
  __m256i mult;       /* Q31 multiplier */
  __m256i mult_odd;   /* the odd lanes' multipliers moved to the even dwords */
  __m256i left;       /* max (shift, 0) */
  __m256i right;      /* max (-shift, 0) */
  __m256i mask;       /* (1 << right) - 1 */
  __m256i thr;        /* mask >> 1 */
  /* the clamped form (mn_q8_requant8_clamped ()): per 64-bit lane, the even
   * and the odd channel's rounding constant with the zero point folded in
   * and the shifts that leave the result in the low (even) or high (odd)
   * dword, see mn_q8_rq8_load () */
  __m256i round_even, round_odd, shift_even, shift_odd;
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
  /* The clamped form's constants, one 64-bit lane per channel pair: the
   * result floor ((x m + 2^30 + 2^(30 + right)) / 2^s) + zp, s = 31 + right,
   * is floor ((x m + 2^30 + 2^(30 + right) + zp 2^s) / 2^s), in range of the
   * unsigned 64-bit sum when right <= MN_Q8_CLAMPED_MAX_RIGHT (x, m < 2^31).
   * A zero multiplier (TFLite: zp) gets no rounding term, so whatever its
   * shift it gives zp or less (its zp 2^s may leave the range), which the
   * form's clamp (out_min >= zp) turns into out_min, as it does zp. */
  const __m256i one = _mm256_set1_epi64x (1), low = _mm256_set1_epi64x (0xffffffff);
  const __m256i zp = _mm256_set1_epi64x (rq->out_zero_point);
  const __m256i c30 = _mm256_set1_epi64x (30), c31 = _mm256_set1_epi64x (31);
  const __m256i r_even = _mm256_and_si256 (p->right, low);
  const __m256i r_odd = _mm256_srli_epi64 (p->right, 32);
  const __m256i s_even = _mm256_add_epi64 (r_even, c31), s_odd = _mm256_add_epi64 (r_odd, c31);
  const __m256i half = _mm256_slli_epi64 (one, 30);
  p->round_even = _mm256_andnot_si256 (
      _mm256_cmpeq_epi64 (_mm256_and_si256 (m, low), zero),
      _mm256_add_epi64 (half, _mm256_sllv_epi64 (one, _mm256_add_epi64 (r_even, c30))));
  p->round_odd = _mm256_andnot_si256 (
      _mm256_cmpeq_epi64 (p->mult_odd, zero),
      _mm256_add_epi64 (half, _mm256_sllv_epi64 (one, _mm256_add_epi64 (r_odd, c30))));
  p->round_even = _mm256_add_epi64 (p->round_even, _mm256_sllv_epi64 (zp, s_even));
  p->round_odd = _mm256_add_epi64 (p->round_odd, _mm256_sllv_epi64 (zp, s_odd));
  p->shift_even = s_even;
  /* the odd lane keeps its result in the high dword: s - 32, which is -1
   * (all ones: shifts out everything) for right 0 */
  p->shift_odd = _mm256_sub_epi64 (s_odd, _mm256_set1_epi64x (32));
}

/* The clamped form's largest right shift: zp 2^(31 + right) stays below
 * 2^62 (zp < 2^8). */
#define MN_Q8_CLAMPED_MAX_RIGHT 23

/* Which requantisation channels [c0, c1) of rq can take, each exact:
 * - GENERAL: a left shift (multiplier above one) or the saturating
 *   multiplier INT32_MIN (which mn_quantize_multiplier () never makes);
 * - CLAMPED: right shifts of 1 to MN_Q8_CLAMPED_MAX_RIGHT and multipliers
 *   > 0 (or a zero multiplier, whatever its shift: TFLite's "nothing gets
 *   through"), a zero point in 0..255 and an output clamp starting at or
 *   above it (ReLU, ReLU6): one rounding instead of two, and the zero
 *   point added with the rounding, see mn_q8_requant8_clamped ();
 * - PLAIN: the rest (right shifts, any clamp). */
typedef enum { MN_Q8_RQ_PLAIN, MN_Q8_RQ_GENERAL, MN_Q8_RQ_CLAMPED } mn_q8_rq_mode;

static inline mn_q8_rq_mode
mn_q8_rq_mode_scan (const mn_requant *rq, int c0, int c1)
{
  bool clamped = rq->out_zero_point >= 0 && rq->out_zero_point <= rq->out_min;
  for (int c = c0; c < c1; c++) {
    if (rq->shift[c] > 0 || rq->multiplier[c] == INT32_MIN)
      return MN_Q8_RQ_GENERAL;
    if (rq->multiplier[c] != 0 && (rq->shift[c] > -1 || rq->shift[c] < -MN_Q8_CLAMPED_MAX_RIGHT ||
                                   rq->multiplier[c] < 0))
      clamped = false;
  }
  return clamped ? MN_Q8_RQ_CLAMPED : MN_Q8_RQ_PLAIN;
}

/* The mode for channels [c0, c1): the one the table's q8_requant_prepare () found
 * for all of rq's channels (exact for any of them: each mode's conditions
 * hold for every channel it covers), else a scan of these.  Scanning on
 * every call was 29,000 channels a V2 run, about 1 % of it. */
static inline mn_q8_rq_mode
mn_q8_rq_mode_of (const mn_requant *rq, int c0, int c1)
{
  return rq->prepared > 0 ? (mn_q8_rq_mode) (rq->prepared - 1) : mn_q8_rq_mode_scan (rq, c0, c1);
}

/* mn_q8_requant8 () for lanes whose output clamp starts at or above the
 * zero point (ReLU, ReLU6) and whose right shift is at least 1, multiplier
 * non-negative.  For acc >= 0 TFLite's two roundings are one:
 * floor ((acc * m + 2^30 + 2^(30 + right)) / 2^(31 + right)).  For acc < 0
 * TFLite's result is <= 0 and this form's is 0: the clamp turns both into
 * out_min.  The zero point is in the rounding constants (zp unused). */
static inline __attribute__ ((always_inline)) __m256i
mn_q8_requant8_clamped (__m256i acc, const mn_q8_rq8 *p, __m256i zp)
{
  (void) zp;
  const __m256i x = _mm256_max_epi32 (acc, _mm256_setzero_si256 ());
  __m256i even = _mm256_add_epi64 (_mm256_mul_epu32 (x, p->mult), p->round_even);
  __m256i odd =
      _mm256_add_epi64 (_mm256_mul_epu32 (_mm256_srli_epi64 (x, 32), p->mult_odd), p->round_odd);
  even = _mm256_srlv_epi64 (even, p->shift_even);   /* the result in the low dword */
  odd = _mm256_srlv_epi64 (odd, p->shift_odd);      /* the result in the high dword */
  return _mm256_blend_epi32 (even, odd, 0xAA);
}

/* requant.h's rounding divide by 2^right (half away from zero), 8 lanes. */
static inline __attribute__ ((always_inline)) __m256i
mn_q8_round_shift8 (__m256i r, const mn_q8_rq8 *p)
{
  const __m256i rem = _mm256_and_si256 (r, p->mask);
  const __m256i thr = _mm256_sub_epi32 (p->thr, _mm256_srai_epi32 (r, 31));
  return _mm256_sub_epi32 (_mm256_srav_epi32 (r, p->right), _mm256_cmpgt_epi32 (rem, thr));
}

/* mn_multiply_by_quantized_multiplier () on 8 lanes, plus zp (wrapping,
 * as the C twins' int32 addition); with mode CLAMPED, values the clamp
 * turns into the same bytes.  mode: a compile-time constant, see
 * mn_q8_rq_mode_of (). */
static inline __attribute__ ((always_inline)) __m256i
mn_q8_requant8 (const mn_q8_rq_mode mode, __m256i acc, const mn_q8_rq8 *p, __m256i zp)
{
  if (mode == MN_Q8_RQ_CLAMPED)
    return mn_q8_requant8_clamped (acc, p, zp);
  const bool general = mode == MN_Q8_RQ_GENERAL;
  const __m256i nudge = _mm256_set1_epi64x (1ll << 30);
  const __m256i x = general ? _mm256_sllv_epi32 (acc, p->left) : acc;
  __m256i even = _mm256_add_epi64 (_mm256_mul_epi32 (x, p->mult), nudge);
  __m256i odd = _mm256_add_epi64 (_mm256_mul_epi32 (_mm256_srli_epi64 (x, 32), p->mult_odd), nudge);
  even = _mm256_srli_epi64 (even, 31);      /* bits 31..62 in the low dword */
  odd = _mm256_slli_epi64 (odd, 1);         /* bits 31..62 in the high dword */
  __m256i r = _mm256_blend_epi32 (even, odd, 0xAA);
  if (general)
    r = _mm256_xor_si256 (r, _mm256_cmpeq_epi32 (r, _mm256_set1_epi32 (INT32_MIN)));
  return _mm256_add_epi32 (mn_q8_round_shift8 (r, p), zp);
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

/* The first nc (<= 32) bytes of u to d, in whole stores where nc is 32,
 * 24, 16 or 8 (a compile-time constant at most calls), else through a
 * copy: never past d + nc. */
static inline __attribute__ ((always_inline)) void
mn_q8_store_bytes (uint8_t *d, __m256i u, int nc)
{
  if (nc == 32) {
    _mm256_storeu_si256 ((__m256i *) d, u);
  } else if (nc == 16 || nc == 24) {
    _mm_storeu_si128 ((__m128i *) d, _mm256_castsi256_si128 (u));
    if (nc == 24)
      _mm_storel_epi64 ((__m128i *) (d + 16), _mm256_extracti128_si256 (u, 1));
  } else if (nc == 8) {
    _mm_storel_epi64 ((__m128i *) d, _mm256_castsi256_si128 (u));
  } else {
    uint8_t t[32];
    _mm256_storeu_si256 ((__m256i *) t, u);
    memcpy (d, t, (size_t) nc);
  }
}

#endif /* MN_Q8_REQUANT_AVX2_H */
