/* q8_gemm4_avx512.h: what the AMX twin of the quads GEMM borrows from the
 * AVX-512 VNNI one (q8_gemm4_avx512.c): the rows' byte sums, and the
 * epilogue that turns int32 sums into stored bytes. */
#ifndef MN_Q8_GEMM4_AVX512_H
#define MN_Q8_GEMM4_AVX512_H

#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels.h"
#include "x86/q8_requant_avx512.h"

void mn_q8_gemm4_avx512 (int m, int n, int k, int n_begin, int n_end, const uint8_t *a,
                         size_t a_stride, const void *packed, uint8_t *c, size_t c_stride,
                         const mn_requant *rq);

/* Whether any channel of [n_begin, n_end) needs the rows' sums (a
 * coefficient 128 - w_zp that is not zero). */
bool mn_q8_gemm4_needs_row_sums (int k, int n_begin, int n_end, const void *packed);

/* Sum of the bytes of each of rows rows of a (k bytes each) into sums. */
void mn_q8_gemm4_avx512_row_sums (int rows, int k, const uint8_t *a, size_t a_stride,
                                  int32_t *sums);

/* The requantisation of channels [n0, n0 + nc), nc <= 64, set up once
 * for the rows of a call. */
typedef struct {
  mn_q8_rq16 q[4];
  mn_q8_rq_mode mode;
  int nc;
} mn_q8_gemm4_epilogue;

void mn_q8_gemm4_avx512_epilogue (mn_q8_gemm4_epilogue *e, const mn_requant *rq, int n0, int nc);

/* acc: rows x np sums A (W - 128) (row major, np <= 4) of the panels from
 * p0 (pb bytes each), the channels of e.  Adds each panel's bias and, with
 * sums, (128 - w_zp) times the row's byte sum, requantises, clamps and
 * stores the channels of each row at c. */
void mn_q8_gemm4_avx512_finish (int rows, int np, __m512i *acc, const int32_t *sums,
                                const uint8_t *p0, size_t pb, const mn_q8_gemm4_epilogue *e,
                                const mn_requant *rq, uint8_t *c, size_t c_stride);

#endif /* MN_Q8_GEMM4_AVX512_H */
