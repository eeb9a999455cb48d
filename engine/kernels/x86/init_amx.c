/* init_amx.c: upgrade the dispatch table to the AMX twin (after the
 * AVX-512 ones, whose epilogue it uses). */
#include "kernels.h"

void mn_kernels_upgrade_amx (mn_kernel_table *t);
void mn_q8_gemm4_amx (int m, int n, int k, int n_begin, int n_end, const uint8_t *a,
                      size_t a_stride, const void *packed, uint8_t *c, size_t c_stride,
                      const mn_requant *rq);

void
mn_kernels_upgrade_amx (mn_kernel_table *t)
{
  t->q8_gemm4 = mn_q8_gemm4_amx;
  t->isa = "amx";
}
