/* init_amx.c: upgrade the dispatch table to the AMX twins (after the
 * AVX-512 ones, whose epilogue the 8-bit one uses); the CPU has AMX-INT8
 * and AVX-512 VBMI. */
#include "kernels.h"

void mn_kernels_upgrade_amx (mn_kernel_table *t);
void mn_q8_gemm4_amx (int m, int n, int k, int n_begin, int n_end, const uint8_t *a,
                      size_t a_stride, const void *packed, uint8_t *c, size_t c_stride,
                      const mn_requant *rq);
void mn_f32_gemm_sliced_amx (int m, int n, int k, int n_begin, int n_end, const float *a,
                             size_t a_stride, const void *packed, float *c, size_t c_stride,
                             const float *residual, float out_min, float out_max);

void
mn_kernels_upgrade_amx (mn_kernel_table *t)
{
  t->q8_gemm4 = mn_q8_gemm4_amx;
  t->f32_gemm_sliced = mn_f32_gemm_sliced_amx;
  t->isa = "amx";
}
