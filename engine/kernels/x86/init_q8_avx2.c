/* init_q8_avx2.c: the 8-bit AVX2 twins in the dispatch table. */
#include "x86/avx2.h"

void
mn_kernels_upgrade_q8_avx2 (mn_kernel_table *t)
{
  (void) t; /* no 8-bit twins yet */
}
