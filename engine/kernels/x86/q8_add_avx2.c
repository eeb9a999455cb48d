/* q8_add_avx2.c: TFLite's 8-bit rescaling ADD, AVX2 twin of mn_q8_add ()
 * (ops.c), bit-exact.
 *
 * The C twin looks each input byte up in its table of rescaled values
 * (a_table, b_table: built by mn_q8_add_params_init () as
 * MBQM ((v + offset) << left_shift, multiplier, shift)).  Here 8 lanes at a
 * time compute that same formula (q8_add_forms.h) instead of looking it
 * up: two vpgatherdd an 8 lanes measured 3.5-5 cycles an element on Zen
 * 3.  Then vpaddd, the output requantisation, the saturating narrowing and
 * the clamp.  32 elements an iteration; the tail goes through a
 * zero-padded copy (whatever the padding computes is not stored). */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "x86/q8_add_forms.h"
#include "x86/q8_avx2.h"
#include "x86/unroll.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* One input's per-tensor constants. */
typedef struct {
  __m256i offset;
  __m128i left_shift;
  mn_q8_rq8 q;
  __m256i m_hi, m_lo, half;   /* the SPLIT form (q8_add_forms.h) */
  __m128i low_bits;
} add_input;

static void
input_init (add_input *in, int32_t offset, int left_shift, const mn_q8_rq8 *q,
            const mn_q8_add_split *s)
{
  in->offset = _mm256_set1_epi32 (offset);
  in->left_shift = _mm_cvtsi32_si128 (left_shift);
  in->q = *q;
  in->m_hi = _mm256_set1_epi32 (s->m_hi);
  in->m_lo = _mm256_set1_epi32 (s->m_lo);
  in->half = _mm256_set1_epi32 (s->half);
  in->low_bits = _mm_cvtsi32_si128 (s->low_bits);
}

/* The table's values of 8 bytes at v, computed; mode: an mn_q8_rq_mode or
 * MN_Q8_ADD_SPLIT, a compile-time constant. */
static ALWAYS_INLINE __m256i
rescaled8 (const int mode, const uint8_t *v, const add_input *in)
{
  const __m256i x = _mm256_add_epi32 (_mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) v)),
                                      in->offset);
  if (mode == MN_Q8_ADD_SPLIT) {
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
MN_UNROLL_ALL (4)
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

/* The input rescaling's form by the output's mode. */
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

void
mn_q8_add_avx2 (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                const mn_q8_add_params *p)
{
  if (n == 0)
    return;
  mn_q8_rq8 qa, qb, q;
  mn_q8_rq_mode mode;
  mn_q8_add_split sa = { 0 }, sb = { 0 };
  const int form = mn_q8_add_forms (p, &qa, &qb, &q, &mode, &sa, &sb);
  add_input ia, ib;
  input_init (&ia, p->a_offset, p->left_shift, &qa, &sa);
  input_init (&ib, p->b_offset, p->left_shift, &qb, &sb);
  if (form == MN_Q8_ADD_SPLIT)
    add_any_out (MN_Q8_ADD_SPLIT, mode, n, a, b, out, p, &ia, &ib, &q);
  else if (form == MN_Q8_RQ_GENERAL)
    add_any_out (MN_Q8_RQ_GENERAL, mode, n, a, b, out, p, &ia, &ib, &q);
  else
    add_any_out (MN_Q8_RQ_PLAIN, mode, n, a, b, out, p, &ia, &ib, &q);
}
