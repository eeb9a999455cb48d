/* f32_avx2.h: what the float AVX2 twins share. */
#ifndef MN_F32_AVX2_H
#define MN_F32_AVX2_H

#include "kernels.h"

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

/* The float GEMMs (f32_gemm_avx2.c, f32_gemm_sparse_avx2.c): the table's
 * f32_gemm and f32_gemm_sparse; the sparse one hands blocks with few
 * zeros to the other. */
void mn_f32_gemm_minmax_6x16_avx2 (int m, int n, int k, int n_begin, int n_end,
                                   const float *a, size_t a_stride, const float *packed,
                                   float *c, size_t c_stride, const float *residual,
                                   float out_min, float out_max);
void mn_f32_gemm_sparse_avx2 (int m, int n, int k, int n_begin, int n_end, const float *a,
                              size_t a_stride, const float *packed, float *c, size_t c_stride,
                              const float *residual, float out_min, float out_max);

#endif /* MN_F32_AVX2_H */
