/* q8_requant_avx512.h: q8_requant_avx2.h's requantisation on 16 int32
 * lanes, the same operations lane for lane (so bit-exact with requant.h in
 * the same cases), from the constants of two 8-channel mn_q8_rq8. */
#ifndef MN_Q8_REQUANT_AVX512_H
#define MN_Q8_REQUANT_AVX512_H

#include <immintrin.h>

#include "x86/q8_requant_avx2.h"

/* Per-channel constants for 16 output channels (see mn_q8_rq8). */
typedef struct {
  __m512i mult, mult_odd, left, right, mask, thr;
  __m512i round_even, round_odd, shift_even, shift_odd;
} mn_q8_rq16;

static inline __m512i
mn_q8_join (__m256i lo, __m256i hi)
{
  return _mm512_inserti64x4 (_mm512_castsi256_si512 (lo), hi, 1);
}

/* Channels 0-7 from lo, 8-15 from hi. */
static inline void
mn_q8_rq16_join (mn_q8_rq16 *p, const mn_q8_rq8 *lo, const mn_q8_rq8 *hi)
{
  p->mult = mn_q8_join (lo->mult, hi->mult);
  p->mult_odd = mn_q8_join (lo->mult_odd, hi->mult_odd);
  p->left = mn_q8_join (lo->left, hi->left);
  p->right = mn_q8_join (lo->right, hi->right);
  p->mask = mn_q8_join (lo->mask, hi->mask);
  p->thr = mn_q8_join (lo->thr, hi->thr);
  p->round_even = mn_q8_join (lo->round_even, hi->round_even);
  p->round_odd = mn_q8_join (lo->round_odd, hi->round_odd);
  p->shift_even = mn_q8_join (lo->shift_even, hi->shift_even);
  p->shift_odd = mn_q8_join (lo->shift_odd, hi->shift_odd);
}

/* mn_q8_requant8_clamped () on 16 lanes. */
static inline __attribute__ ((always_inline)) __m512i
mn_q8_requant16_clamped (__m512i acc, const mn_q8_rq16 *p)
{
  const __m512i x = _mm512_max_epi32 (acc, _mm512_setzero_si512 ());
  __m512i even = _mm512_add_epi64 (_mm512_mul_epu32 (x, p->mult), p->round_even);
  __m512i odd =
      _mm512_add_epi64 (_mm512_mul_epu32 (_mm512_srli_epi64 (x, 32), p->mult_odd), p->round_odd);
  even = _mm512_srlv_epi64 (even, p->shift_even);
  odd = _mm512_srlv_epi64 (odd, p->shift_odd);
  return _mm512_mask_blend_epi32 ((__mmask16) 0xAAAA, even, odd);
}

/* mn_q8_round_shift8 () on 16 lanes: requant.h's rounding divide by
 * 2^right, half away from zero. */
static inline __attribute__ ((always_inline)) __m512i
mn_q8_round_shift16 (__m512i r, const mn_q8_rq16 *p)
{
  const __m512i rem = _mm512_and_si512 (r, p->mask);
  const __m512i thr = _mm512_sub_epi32 (p->thr, _mm512_srai_epi32 (r, 31));
  const __m512i q = _mm512_srav_epi32 (r, p->right);
  return _mm512_mask_add_epi32 (q, _mm512_cmpgt_epi32_mask (rem, thr), q, _mm512_set1_epi32 (1));
}

/* mn_q8_requant8 () on 16 lanes. */
static inline __attribute__ ((always_inline)) __m512i
mn_q8_requant16 (const mn_q8_rq_mode mode, __m512i acc, const mn_q8_rq16 *p, __m512i zp)
{
  if (mode == MN_Q8_RQ_CLAMPED)
    return mn_q8_requant16_clamped (acc, p);
  const bool general = mode == MN_Q8_RQ_GENERAL;
  const __m512i nudge = _mm512_set1_epi64 (1ll << 30);
  const __m512i x = general ? _mm512_sllv_epi32 (acc, p->left) : acc;
  __m512i even = _mm512_add_epi64 (_mm512_mul_epi32 (x, p->mult), nudge);
  __m512i odd = _mm512_add_epi64 (_mm512_mul_epi32 (_mm512_srli_epi64 (x, 32), p->mult_odd), nudge);
  even = _mm512_srli_epi64 (even, 31);      /* bits 31..62 in the low dword */
  odd = _mm512_slli_epi64 (odd, 1);         /* bits 31..62 in the high dword */
  __m512i r = _mm512_mask_blend_epi32 ((__mmask16) 0xAAAA, even, odd);
  if (general)   /* the one saturating product: INT32_MIN to INT32_MAX */
    r = _mm512_mask_xor_epi32 (r, _mm512_cmpeq_epi32_mask (r, _mm512_set1_epi32 (INT32_MIN)), r,
                               _mm512_set1_epi32 (-1));
  return _mm512_add_epi32 (mn_q8_round_shift16 (r, p), zp);
}

/* Four vectors of requantised int32 lanes as 64 bytes: saturated to int16,
 * then to uint8 (negative to 0, above 255 to 255), clamped to [lo, hi].
 * The packs work within 128-bit lanes: byte 16 L + 4 j + i is lane
 * 4 L + i of r<j>. */
static inline __attribute__ ((always_inline)) __m512i
mn_q8_pack64 (__m512i r0, __m512i r1, __m512i r2, __m512i r3, __m512i lo, __m512i hi)
{
  const __m512i u = _mm512_packus_epi16 (_mm512_packs_epi32 (r0, r1), _mm512_packs_epi32 (r2, r3));
  return _mm512_min_epu8 (_mm512_max_epu8 (u, lo), hi);
}

#endif /* MN_Q8_REQUANT_AVX512_H */
