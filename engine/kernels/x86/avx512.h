/* avx512.h: the AVX-512 twins' entry points into the dispatch table. */
#ifndef MN_KERNELS_AVX512_H
#define MN_KERNELS_AVX512_H

#include "kernels.h"

/* Overwrites the table entries with AVX-512 twins (after the AVX2 ones). */
void mn_kernels_upgrade_avx512 (mn_kernel_table *t);

/* The float GEMMs (f32_gemm_avx512.c, f32_gemm_sparse_avx512.c): the
 * table's f32_gemm and f32_gemm_sparse; the sparse one hands blocks with
 * few zeros to the other. */
void mn_f32_gemm_minmax_12x32_avx512 (int m, int n, int k, int n_begin, int n_end,
                                      const float *a, size_t a_stride, const float *packed,
                                      float *c, size_t c_stride, const float *residual,
                                      float out_min, float out_max);
void mn_f32_gemm_sparse_avx512 (int m, int n, int k, int n_begin, int n_end, const float *a,
                                size_t a_stride, const float *packed, float *c, size_t c_stride,
                                const float *residual, float out_min, float out_max);

/* A float model's input from an image's bytes (f32_from_u8_avx512.c):
 * the table's f32_from_u8. */
void mn_f32_from_u8_avx512 (size_t n, const uint8_t *src, float *dst, float mean, float inv_std);

/* The 8-bit depthwise twin (q8_dwconv_avx512.c): the table's q8_dwconv,
 * q8_dwconv_make_blocks and q8_dwconv_blocks. */
void mn_q8_dwconv_32c_avx512 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                              const void *packed, uint8_t *out, int oy_begin, int oy_end,
                              const mn_requant *rq);
size_t mn_q8_dwconv_make_blocks_avx512 (const mn_conv_geom *g, const void *packed,
                                        int32_t in_zero_point, const mn_requant *rq,
                                        void *blocks);
void mn_q8_dwconv_blocks_avx512 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                                 const void *blocks, uint8_t *out, int oy_begin, int oy_end,
                                 const mn_requant *rq);

#endif
