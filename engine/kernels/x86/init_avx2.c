/* init_avx2.c: upgrade the dispatch table to the AVX2 + FMA twins. */
#include "x86/avx2.h"

void mn_kernels_upgrade_avx2 (mn_kernel_table *t);

void
mn_kernels_upgrade_avx2 (mn_kernel_table *t)
{
  mn_kernels_upgrade_f32_avx2 (t);
  mn_kernels_upgrade_q8_avx2 (t);
  t->isa = "avx2";
}
