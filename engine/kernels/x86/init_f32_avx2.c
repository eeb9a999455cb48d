/* init_f32_avx2.c: the float AVX2 twins in the dispatch table. */
#include "x86/avx2.h"

void
mn_kernels_upgrade_f32_avx2 (mn_kernel_table *t)
{
  (void) t; /* no float twins yet */
}
