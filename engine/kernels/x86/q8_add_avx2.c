/* q8_add_avx2.c: TFLite's 8-bit rescaling ADD, AVX2 twin of mn_q8_add ()
 * (ops.c), bit-exact.
 *
 * The C twin looks each input byte up in its table of rescaled values
 * (a_table, b_table: int32, built by mn_q8_add_params_init ()), adds and
 * requantises the sum with the output multiplier.  Here 8 lanes at a time:
 * the bytes zero-extended to dword indices, two vpgatherdd from the same
 * tables, vpaddd, q8_requant_avx2.h's requantisation with the per-tensor
 * multiplier in every lane (bit-exact with requant.h), then the saturating
 * narrowing and the clamp.  32 elements an iteration; the tail goes through
 * a zero-padded copy (whatever the padding computes is not stored). */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "x86/q8_avx2.h"
#include "x86/q8_requant_avx2.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

static ALWAYS_INLINE __m256i
sum8 (const uint8_t *a, const uint8_t *b, const int32_t *at, const int32_t *bt)
{
  const __m256i ia = _mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) a));
  const __m256i ib = _mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) b));
  return _mm256_add_epi32 (_mm256_i32gather_epi32 ((const int *) at, ia, 4),
                           _mm256_i32gather_epi32 ((const int *) bt, ib, 4));
}

static ALWAYS_INLINE __m256i
add32 (const mn_q8_rq_mode mode, const uint8_t *a, const uint8_t *b, const mn_q8_add_params *p,
       const mn_q8_rq8 *q, __m256i zp, __m256i lo, __m256i hi)
{
  const __m256i r0 = mn_q8_requant8 (mode, sum8 (a, b, p->a_table, p->b_table), q, zp);
  const __m256i r1 = mn_q8_requant8 (mode, sum8 (a + 8, b + 8, p->a_table, p->b_table), q, zp);
  const __m256i r2 = mn_q8_requant8 (mode, sum8 (a + 16, b + 16, p->a_table, p->b_table), q, zp);
  const __m256i r3 = mn_q8_requant8 (mode, sum8 (a + 24, b + 24, p->a_table, p->b_table), q, zp);
  return mn_q8_narrow2x16 (r0, r1, r2, r3, lo, hi);
}

static ALWAYS_INLINE void
add_body (const mn_q8_rq_mode mode, size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
          const mn_q8_add_params *p, const mn_q8_rq8 *q)
{
  const __m256i zp = _mm256_set1_epi32 (p->out_zero_point);
  const __m256i lo = _mm256_set1_epi8 ((char) p->out_min);
  const __m256i hi = _mm256_set1_epi8 ((char) p->out_max);
  size_t i = 0;

  for (; i + 32 <= n; i += 32)
    _mm256_storeu_si256 ((__m256i *) (out + i), add32 (mode, a + i, b + i, p, q, zp, lo, hi));
  if (i < n) {
    uint8_t ta[32] = { 0 }, tb[32] = { 0 }, to[32];
    memcpy (ta, a + i, n - i);
    memcpy (tb, b + i, n - i);
    _mm256_storeu_si256 ((__m256i *) to, add32 (mode, ta, tb, p, q, zp, lo, hi));
    memcpy (out + i, to, n - i);
  }
}

void
mn_q8_add_avx2 (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                const mn_q8_add_params *p)
{
  const int32_t mult[8] = { p->out_multiplier, p->out_multiplier, p->out_multiplier,
                            p->out_multiplier, p->out_multiplier, p->out_multiplier,
                            p->out_multiplier, p->out_multiplier };
  const int32_t shift[8] = { p->out_shift, p->out_shift, p->out_shift, p->out_shift,
                             p->out_shift, p->out_shift, p->out_shift, p->out_shift };
  const mn_requant rq = { mult, shift, p->out_zero_point, p->out_min, p->out_max };
  mn_q8_rq8 q;

  if (n == 0)
    return;
  mn_q8_rq8_load (&q, &rq, 0, 8);
  switch (mn_q8_rq_mode_of (&rq, 0, 1)) {
    case MN_Q8_RQ_GENERAL:
      add_body (MN_Q8_RQ_GENERAL, n, a, b, out, p, &q);
      break;
    case MN_Q8_RQ_CLAMPED:
      add_body (MN_Q8_RQ_CLAMPED, n, a, b, out, p, &q);
      break;
    default:
      add_body (MN_Q8_RQ_PLAIN, n, a, b, out, p, &q);
  }
}
