/* f32_avx2.h: what the float AVX2 twins share. */
#ifndef MN_F32_AVX2_H
#define MN_F32_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* Lanes [0, count) of a mask for vmaskmovps, count in 0..8. */
static ALWAYS_INLINE __m256i
mn_f32_lane_mask (int count)
{
  static const int32_t ones[16] = { -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 };
  return _mm256_loadu_si256 ((const __m256i *) (ones + 8 - count));
}

#endif /* MN_F32_AVX2_H */
