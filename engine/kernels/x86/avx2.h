/* avx2.h: the AVX2 twins' entry points into the dispatch table. */
#ifndef MN_KERNELS_AVX2_H
#define MN_KERNELS_AVX2_H

#include "kernels.h"

/* Each overwrites the table entries it has twins for. */
void mn_kernels_upgrade_f32_avx2 (mn_kernel_table *t);
void mn_kernels_upgrade_q8_avx2 (mn_kernel_table *t);

#endif
