/* q8_avx2.h: the 8-bit AVX2 twins (signatures as their C twins in kernels.h). */
#ifndef MN_KERNELS_Q8_AVX2_H
#define MN_KERNELS_Q8_AVX2_H

#include "kernels.h"

void mn_q8_gemm_avx2 (int m, int n, int k, int n_begin, int n_end, const uint8_t *a,
                           size_t a_stride, const void *packed, uint8_t *c, size_t c_stride,
                           const mn_requant *rq);
void mn_q8_gemv_avx2 (int n, int k, int n_begin, int n_end, const uint8_t *a, const void *packed,
                      uint8_t *c, const mn_requant *rq);
void mn_q8_dwconv_16c_avx2 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                            const void *packed, uint8_t *out, int oy_begin, int oy_end,
                            const mn_requant *rq);
void mn_q8_conv_avx2 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                      const void *packed, uint8_t *out, int oy_begin, int oy_end,
                      const mn_requant *rq);
void mn_q8_add_avx2 (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                     const mn_q8_add_params *p);

#endif /* MN_KERNELS_Q8_AVX2_H */
