/* avx512.h: the AVX-512 twins' entry points into the dispatch table. */
#ifndef MN_KERNELS_AVX512_H
#define MN_KERNELS_AVX512_H

#include "kernels.h"

/* Overwrites the table entries with AVX-512 twins (after the AVX2 ones). */
void mn_kernels_upgrade_avx512 (mn_kernel_table *t);

#endif
