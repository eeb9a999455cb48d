/* init_q8_avx2.c: the 8-bit AVX2 twins in the dispatch table. */
#include "x86/avx2.h"
#include "x86/q8_avx2.h"

void
mn_kernels_upgrade_q8_avx2 (mn_kernel_table *t)
{
  t->q8_gemm = mn_q8_gemm_avx2;
  t->q8_gemv = mn_q8_gemv_avx2;
  t->q8_dwconv = mn_q8_dwconv_16c_avx2;
  t->q8_conv = mn_q8_conv_avx2;
  t->q8_add = mn_q8_add_avx2;
}
