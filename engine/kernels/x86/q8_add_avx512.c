/* q8_add_avx512.c: TFLite's 8-bit rescaling ADD, AVX-512 twin of
 * mn_q8_add () (ops.c), bit-exact.
 *
 * The AVX2 twin's method on 16 lanes: each input byte's rescaled value
 * computed in the same form (SPLIT where TFLite's parameters allow it,
 * else the general requantisation), vpaddd, the output requantisation,
 * then 64 results narrowed at once (vpackssdw, vpackuswb and one vpermd
 * to put the lanes back in order) and clamped.  64 elements an iteration;
 * the tail goes through a zero-padded copy (whatever the padding computes
 * is not stored). */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "x86/q8_avx2.h"
#include "x86/q8_requant_avx512.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))
#define STEP 64

void mn_q8_add_avx512 (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                       const mn_q8_add_params *p);

/* One input's per-tensor constants. */
typedef struct {
  __m512i offset;
  __m128i left_shift;
  mn_q8_rq16 q;
  /* the SPLIT form (q8_add_avx2.c): m = m_hi 2^(31 - L) + m_lo */
  __m512i m_hi, m_lo, half;
  __m128i low_bits;           /* 31 - L */
} add_input;

enum { RESCALE_SPLIT = -1 };

/* The AVX2 twin's split_multiplier (), whose conditions it shares. */
static bool
split_multiplier (int32_t multiplier, int32_t shift, int left_shift, add_input *in)
{
  if (left_shift < 8 || left_shift > 22 || multiplier < 0 || shift > 0)
    return false;
  const int low_bits = 31 - left_shift;
  in->m_hi = _mm512_set1_epi32 (multiplier >> low_bits);
  in->m_lo = _mm512_set1_epi32 (multiplier & ((1 << low_bits) - 1));
  in->half = _mm512_set1_epi32 (1 << (low_bits - 1));
  in->low_bits = _mm_cvtsi32_si128 (low_bits);
  return true;
}

/* The rescaled values of 16 bytes at v; mode: an mn_q8_rq_mode or
 * RESCALE_SPLIT, a compile-time constant. */
static ALWAYS_INLINE __m512i
rescaled16 (const int mode, const uint8_t *v, const add_input *in)
{
  const __m512i x = _mm512_add_epi32 (_mm512_cvtepu8_epi32 (_mm_loadu_si128 ((const __m128i *) v)),
                                      in->offset);
  if (mode == RESCALE_SPLIT) {
    const __m512i low = _mm512_sra_epi32 (
        _mm512_add_epi32 (_mm512_mullo_epi32 (x, in->m_lo), in->half), in->low_bits);
    return mn_q8_round_shift16 (_mm512_add_epi32 (_mm512_mullo_epi32 (x, in->m_hi), low), &in->q);
  }
  return mn_q8_requant16 ((mn_q8_rq_mode) mode, _mm512_sll_epi32 (x, in->left_shift), &in->q,
                          _mm512_setzero_si512 ());
}

/* 64 sums of a and b, requantised, narrowed and clamped. */
static ALWAYS_INLINE __m512i
add64 (const int in_mode, const mn_q8_rq_mode mode, const uint8_t *a, const uint8_t *b,
       const add_input *ia, const add_input *ib, const mn_q8_rq16 *q, __m512i zp, __m512i lo,
       __m512i hi)
{
  __m512i r[4];
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++)
    r[j] = mn_q8_requant16 (mode,
                            _mm512_add_epi32 (rescaled16 (in_mode, a + 16 * j, ia),
                                              rescaled16 (in_mode, b + 16 * j, ib)),
                            q, zp);
  /* 128-bit lane l holds r0, r1, r2 and r3's elements 4l .. 4l + 3, a
   * dword each: dword 4l + j goes to 4j + l */
  const __m512i u = _mm512_packus_epi16 (_mm512_packs_epi32 (r[0], r[1]),
                                         _mm512_packs_epi32 (r[2], r[3]));
  const __m512i order = _mm512_setr_epi32 (0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_min_epu8 (_mm512_max_epu8 (_mm512_permutexvar_epi32 (order, u), lo), hi);
}

static ALWAYS_INLINE void
add_body (const int in_mode, const mn_q8_rq_mode mode, size_t n, const uint8_t *a,
          const uint8_t *b, uint8_t *out, const mn_q8_add_params *p, const add_input *ia,
          const add_input *ib, const mn_q8_rq16 *q)
{
  const __m512i zp = _mm512_set1_epi32 (p->out_zero_point);
  const __m512i lo = _mm512_set1_epi8 ((char) p->out_min);
  const __m512i hi = _mm512_set1_epi8 ((char) p->out_max);
  size_t i = 0;

  for (; i + STEP <= n; i += STEP)
    _mm512_storeu_si512 (out + i, add64 (in_mode, mode, a + i, b + i, ia, ib, q, zp, lo, hi));
  if (i < n) {
    uint8_t ta[STEP] = { 0 }, tb[STEP] = { 0 }, to[STEP];
    memcpy (ta, a + i, n - i);
    memcpy (tb, b + i, n - i);
    _mm512_storeu_si512 (to, add64 (in_mode, mode, ta, tb, ia, ib, q, zp, lo, hi));
    memcpy (out + i, to, n - i);
  }
}

/* The input rescaling's form (SPLIT, else PLAIN, or GENERAL if either
 * needs it) by the output's mode. */
static ALWAYS_INLINE void
add_any_out (const int in_mode, mn_q8_rq_mode mode, size_t n, const uint8_t *a,
             const uint8_t *b, uint8_t *out, const mn_q8_add_params *p, const add_input *ia,
             const add_input *ib, const mn_q8_rq16 *q)
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

/* A per-tensor multiplier and shift as 16 lanes of a requantisation. */
static mn_q8_rq_mode
per_tensor (int32_t multiplier, int32_t shift, int32_t zero_point, uint8_t out_min,
            uint8_t out_max, mn_q8_rq16 *q)
{
  const int32_t mult[8] = { multiplier, multiplier, multiplier, multiplier,
                            multiplier, multiplier, multiplier, multiplier };
  const int32_t sh[8] = { shift, shift, shift, shift, shift, shift, shift, shift };
  const mn_requant rq = { mult, sh, zero_point, out_min, out_max, 0 };
  mn_q8_rq8 q8;
  mn_q8_rq8_load (&q8, &rq, 0, 8);
  mn_q8_rq16_join (q, &q8, &q8);
  return mn_q8_rq_mode_scan (&rq, 0, 1);
}

void
mn_q8_add_avx512 (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                  const mn_q8_add_params *p)
{
  add_input ia, ib;
  mn_q8_rq16 q;

  if (n == 0)
    return;
  ia.offset = _mm512_set1_epi32 (p->a_offset);
  ib.offset = _mm512_set1_epi32 (p->b_offset);
  ia.left_shift = ib.left_shift = _mm_cvtsi32_si128 (p->left_shift);
  /* (zero point 1, out_min 0: never the clamped form) */
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
