/* f32_avx512.h: what the float AVX-512 twins share. */
#ifndef MN_F32_AVX512_H
#define MN_F32_AVX512_H

#include <immintrin.h>
#include <stddef.h>

/* Row off of two 8-channel packed panels as one vector: pa's channels in
 * lanes 0-7, pb's in 8-15 (pb NULL: zeros, past the last channel). */
static inline __attribute__ ((always_inline)) __m512
mn_f32_panel_pair (const float *pa, const float *pb, size_t off)
{
  const __m512 lo = _mm512_zextps256_ps512 (_mm256_loadu_ps (pa + off));
  return pb ? _mm512_insertf32x8 (lo, _mm256_loadu_ps (pb + off), 1) : lo;
}

#endif /* MN_F32_AVX512_H */
