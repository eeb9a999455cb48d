/* init_avx512.c: upgrade the dispatch table to the AVX-512 (F, BW, DQ, VL,
 * VNNI) twins, over the AVX2 ones. */
#include "x86/avx512.h"

/* Same signatures as their C twins (kernels.h). */
void mn_f32_conv_minmax_12x32_avx512 (const mn_conv_geom *g, const float *in, const float *packed,
                                      float *out, int oy_begin, int oy_end, float out_min,
                                      float out_max);
void mn_f32_dwconv_minmax_16c_avx512 (const mn_conv_geom *g, const float *in, const float *packed,
                                      float *out, int oy_begin, int oy_end, float out_min,
                                      float out_max);
void mn_q8_conv_avx512 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                        const void *packed, uint8_t *out, int oy_begin, int oy_end,
                        const mn_requant *rq);
void mn_q8_add_avx512 (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                       const mn_q8_add_params *p);
void mn_q8_gemm4_avx512 (int m, int n, int k, int n_begin, int n_end, const uint8_t *a,
                         size_t a_stride, const void *packed, uint8_t *c, size_t c_stride,
                         const mn_requant *rq);

void
mn_kernels_upgrade_avx512 (mn_kernel_table *t)
{
  t->f32_gemm = mn_f32_gemm_minmax_12x32_avx512;
  t->f32_gemm_sparse = mn_f32_gemm_sparse_avx512;
  t->f32_conv = mn_f32_conv_minmax_12x32_avx512;
  t->f32_dwconv = mn_f32_dwconv_minmax_16c_avx512;
  t->q8_gemm4 = mn_q8_gemm4_avx512;
  t->q8_conv = mn_q8_conv_avx512;
  t->q8_dwconv = mn_q8_dwconv_32c_avx512;
  t->q8_dwconv_make_blocks = mn_q8_dwconv_make_blocks_avx512;
  t->q8_dwconv_blocks = mn_q8_dwconv_blocks_avx512;
  t->q8_add = mn_q8_add_avx512;
  t->f32_from_u8 = mn_f32_from_u8_avx512;
  t->isa = "avx512";
}
