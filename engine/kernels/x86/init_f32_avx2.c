/* init_f32_avx2.c: the float AVX2 twins in the dispatch table. */
#include "x86/avx2.h"
#include "x86/f32_avx2.h"

/* Defined in f32_*_avx2.c, same signatures as their C twins. */
void mn_f32_dwconv_minmax_8c_avx2 (const mn_conv_geom *g, const float *in, const float *packed,
                                   float *out, int oy_begin, int oy_end, float out_min,
                                   float out_max);
void mn_f32_conv_minmax_3x32_avx2 (const mn_conv_geom *g, const float *in, const float *packed,
                                   float *out, int oy_begin, int oy_end, float out_min,
                                   float out_max);

void
mn_kernels_upgrade_f32_avx2 (mn_kernel_table *t)
{
  t->f32_gemm = mn_f32_gemm_minmax_6x16_avx2;
  t->f32_gemm_sparse = mn_f32_gemm_sparse_avx2;
  t->f32_dwconv = mn_f32_dwconv_minmax_8c_avx2;
  t->f32_conv = mn_f32_conv_minmax_3x32_avx2;
}
