/* q8_add_avx512.c: TFLite's 8-bit rescaling ADD, AVX-512 twin of
 * mn_q8_add () (ops.c), bit-exact.
 *
 * The AVX2 twin's method on 16 lanes: each input byte's rescaled value
 * computed in the same form (q8_add_forms.h), vpaddd, the output
 * requantisation, then 64 results narrowed at once (vpackssdw, vpackuswb
 * and one vpermd to put the lanes back in order) and clamped.  64 elements
 * an iteration; the tail goes through a zero-padded copy (whatever the
 * padding computes is not stored). */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "x86/q8_add_forms.h"
#include "x86/q8_requant_avx512.h"
#include "x86/unroll.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))
#define STEP 64

void mn_q8_add_avx512 (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                       const mn_q8_add_params *p);

/* One input's per-tensor constants. */
typedef struct {
  __m512i offset;
  __m128i left_shift;
  mn_q8_rq16 q;
  __m512i m_hi, m_lo, half;   /* the SPLIT form (q8_add_forms.h) */
  __m128i low_bits;
} add_input;

static void
input_init (add_input *in, int32_t offset, int left_shift, const mn_q8_rq8 *q,
            const mn_q8_add_split *s)
{
  in->offset = _mm512_set1_epi32 (offset);
  in->left_shift = _mm_cvtsi32_si128 (left_shift);
  mn_q8_rq16_join (&in->q, q, q);
  in->m_hi = _mm512_set1_epi32 (s->m_hi);
  in->m_lo = _mm512_set1_epi32 (s->m_lo);
  in->half = _mm512_set1_epi32 (s->half);
  in->low_bits = _mm_cvtsi32_si128 (s->low_bits);
}

/* The rescaled values of 16 bytes at v; mode: an mn_q8_rq_mode or
 * MN_Q8_ADD_SPLIT, a compile-time constant. */
static ALWAYS_INLINE __m512i
rescaled16 (const int mode, const uint8_t *v, const add_input *in)
{
  const __m512i x = _mm512_add_epi32 (_mm512_cvtepu8_epi32 (_mm_loadu_si128 ((const __m128i *) v)),
                                      in->offset);
  if (mode == MN_Q8_ADD_SPLIT) {
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
MN_UNROLL_ALL (4)
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

/* The input rescaling's form by the output's mode. */
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

void
mn_q8_add_avx512 (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                  const mn_q8_add_params *p)
{
  if (n == 0)
    return;
  mn_q8_rq8 qa, qb, q8;
  mn_q8_rq_mode mode;
  mn_q8_add_split sa = { 0 }, sb = { 0 };
  const int form = mn_q8_add_forms (p, &qa, &qb, &q8, &mode, &sa, &sb);
  add_input ia, ib;
  input_init (&ia, p->a_offset, p->left_shift, &qa, &sa);
  input_init (&ib, p->b_offset, p->left_shift, &qb, &sb);
  mn_q8_rq16 q;
  mn_q8_rq16_join (&q, &q8, &q8);
  if (form == MN_Q8_ADD_SPLIT)
    add_any_out (MN_Q8_ADD_SPLIT, mode, n, a, b, out, p, &ia, &ib, &q);
  else if (form == MN_Q8_RQ_GENERAL)
    add_any_out (MN_Q8_RQ_GENERAL, mode, n, a, b, out, p, &ia, &ib, &q);
  else
    add_any_out (MN_Q8_RQ_PLAIN, mode, n, a, b, out, p, &ia, &ib, &q);
}
