/* init_q8_avx2.c: the 8-bit AVX2 twins in the dispatch table. */
#include "x86/avx2.h"
#include "x86/q8_avx2.h"
#include "x86/q8_requant_avx2.h"

/* Classifies all of rq's channels once (mn_q8_rq_mode_of ()). */
static void
requant_prepare (mn_requant *rq, int channels)
{
  rq->prepared = 1 + (int32_t) mn_q8_rq_mode_scan (rq, 0, channels);
}

void
mn_kernels_upgrade_q8_avx2 (mn_kernel_table *t)
{
  t->q8_gemm = mn_q8_gemm_avx2;
  t->q8_gemv = mn_q8_gemv_avx2;
  t->q8_dwconv = mn_q8_dwconv_16c_avx2;
  t->q8_conv = mn_q8_conv_avx2;
  t->q8_add = mn_q8_add_avx2;
  t->q8_requant_prepare = requant_prepare;
}
