/* f32_gemm_sparse_avx2.c: the float GEMM for inputs with many zeros (a
 * ReLU's outputs), AVX2 + FMA twin of f32_gemm_sparse_avx512.c: tiles of
 * rows that walk only the k where one of their rows is not zero, here 6
 * rows by one panel of 16 channels (12 ymm accumulators, the dense AVX2
 * kernel's tile: with 4 rows, 8 FMA chains, the FMAs' latency held it back
 * and it took 1.07 times the dense kernel's time on V2's projections), and
 * with the dense kernel's results bit for bit (kernels.h).
 *
 * AVX2 has no compress instruction: a tile's nonzero k are listed 8 at a
 * time through a table of the set bits' positions for each of the 256
 * masks.  A row block whose first tiles list more than DENSE_SHARE of k
 * goes to the dense kernel (x86/sparse_lists.h). */
#include "kernels.h"
#include "x86/f32_avx2.h"
#include "x86/sparse_lists.h"
#include "x86/unroll.h"

#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#define NR MN_F32_GEMM_NR
#define MR 6
#define DENSE_SHARE 0.9

#define UNROLL MN_UNROLL_ALL (6)

/* For each 8-bit mask, the positions of its set bits, lowest first, a
 * byte each (written by a script: entry m's byte j is the j-th set bit's
 * position in m). */
static const uint64_t set_bits[256] = {
  0, 0, 0x1ull, 0x100ull, 0x2ull, 0x200ull, 0x201ull, 0x20100ull, 0x3ull, 0x300ull, 0x301ull,
  0x30100ull, 0x302ull, 0x30200ull, 0x30201ull, 0x3020100ull, 0x4ull, 0x400ull, 0x401ull,
  0x40100ull, 0x402ull, 0x40200ull, 0x40201ull, 0x4020100ull, 0x403ull, 0x40300ull, 0x40301ull,
  0x4030100ull, 0x40302ull, 0x4030200ull, 0x4030201ull, 0x403020100ull, 0x5ull, 0x500ull,
  0x501ull, 0x50100ull, 0x502ull, 0x50200ull, 0x50201ull, 0x5020100ull, 0x503ull, 0x50300ull,
  0x50301ull, 0x5030100ull, 0x50302ull, 0x5030200ull, 0x5030201ull, 0x503020100ull, 0x504ull,
  0x50400ull, 0x50401ull, 0x5040100ull, 0x50402ull, 0x5040200ull, 0x5040201ull, 0x504020100ull,
  0x50403ull, 0x5040300ull, 0x5040301ull, 0x504030100ull, 0x5040302ull, 0x504030200ull,
  0x504030201ull, 0x50403020100ull, 0x6ull, 0x600ull, 0x601ull, 0x60100ull, 0x602ull, 0x60200ull,
  0x60201ull, 0x6020100ull, 0x603ull, 0x60300ull, 0x60301ull, 0x6030100ull, 0x60302ull,
  0x6030200ull, 0x6030201ull, 0x603020100ull, 0x604ull, 0x60400ull, 0x60401ull, 0x6040100ull,
  0x60402ull, 0x6040200ull, 0x6040201ull, 0x604020100ull, 0x60403ull, 0x6040300ull, 0x6040301ull,
  0x604030100ull, 0x6040302ull, 0x604030200ull, 0x604030201ull, 0x60403020100ull, 0x605ull,
  0x60500ull, 0x60501ull, 0x6050100ull, 0x60502ull, 0x6050200ull, 0x6050201ull, 0x605020100ull,
  0x60503ull, 0x6050300ull, 0x6050301ull, 0x605030100ull, 0x6050302ull, 0x605030200ull,
  0x605030201ull, 0x60503020100ull, 0x60504ull, 0x6050400ull, 0x6050401ull, 0x605040100ull,
  0x6050402ull, 0x605040200ull, 0x605040201ull, 0x60504020100ull, 0x6050403ull, 0x605040300ull,
  0x605040301ull, 0x60504030100ull, 0x605040302ull, 0x60504030200ull, 0x60504030201ull,
  0x6050403020100ull, 0x7ull, 0x700ull, 0x701ull, 0x70100ull, 0x702ull, 0x70200ull, 0x70201ull,
  0x7020100ull, 0x703ull, 0x70300ull, 0x70301ull, 0x7030100ull, 0x70302ull, 0x7030200ull,
  0x7030201ull, 0x703020100ull, 0x704ull, 0x70400ull, 0x70401ull, 0x7040100ull, 0x70402ull,
  0x7040200ull, 0x7040201ull, 0x704020100ull, 0x70403ull, 0x7040300ull, 0x7040301ull,
  0x704030100ull, 0x7040302ull, 0x704030200ull, 0x704030201ull, 0x70403020100ull, 0x705ull,
  0x70500ull, 0x70501ull, 0x7050100ull, 0x70502ull, 0x7050200ull, 0x7050201ull, 0x705020100ull,
  0x70503ull, 0x7050300ull, 0x7050301ull, 0x705030100ull, 0x7050302ull, 0x705030200ull,
  0x705030201ull, 0x70503020100ull, 0x70504ull, 0x7050400ull, 0x7050401ull, 0x705040100ull,
  0x7050402ull, 0x705040200ull, 0x705040201ull, 0x70504020100ull, 0x7050403ull, 0x705040300ull,
  0x705040301ull, 0x70504030100ull, 0x705040302ull, 0x70504030200ull, 0x70504030201ull,
  0x7050403020100ull, 0x706ull, 0x70600ull, 0x70601ull, 0x7060100ull, 0x70602ull, 0x7060200ull,
  0x7060201ull, 0x706020100ull, 0x70603ull, 0x7060300ull, 0x7060301ull, 0x706030100ull,
  0x7060302ull, 0x706030200ull, 0x706030201ull, 0x70603020100ull, 0x70604ull, 0x7060400ull,
  0x7060401ull, 0x706040100ull, 0x7060402ull, 0x706040200ull, 0x706040201ull, 0x70604020100ull,
  0x7060403ull, 0x706040300ull, 0x706040301ull, 0x70604030100ull, 0x706040302ull,
  0x70604030200ull, 0x70604030201ull, 0x7060403020100ull, 0x70605ull, 0x7060500ull, 0x7060501ull,
  0x706050100ull, 0x7060502ull, 0x706050200ull, 0x706050201ull, 0x70605020100ull, 0x7060503ull,
  0x706050300ull, 0x706050301ull, 0x70605030100ull, 0x706050302ull, 0x70605030200ull,
  0x70605030201ull, 0x7060503020100ull, 0x7060504ull, 0x706050400ull, 0x706050401ull,
  0x70605040100ull, 0x706050402ull, 0x70605040200ull, 0x70605040201ull, 0x7060504020100ull,
  0x706050403ull, 0x70605040300ull, 0x70605040301ull, 0x7060504030100ull, 0x70605040302ull,
  0x7060504030200ull, 0x7060504030201ull, 0x706050403020100ull
};

/* The k where any of rows [0, mr) of a is not zero (NaN counts: unordered
 * compares true), to list (room for k + 8); returns how many. */
static int
list_tile (int mr, int k, const float *a, size_t a_stride, uint16_t *list)
{
  const __m256 zero = _mm256_setzero_ps ();
  int count = 0;
  for (int k0 = 0; k0 < k; k0 += 8) {
    const int live = k - k0 < 8 ? k - k0 : 8;
    const __m256i lanes = mn_f32_lane_mask (live);
    unsigned any = 0;
    for (int r = 0; r < mr; r++)
      any |= (unsigned) _mm256_movemask_ps (
          _mm256_cmp_ps (_mm256_maskload_ps (a + (size_t) r * a_stride + k0, lanes), zero,
                         _CMP_NEQ_UQ));
    const __m128i at = _mm_cvtepu8_epi16 (_mm_cvtsi64_si128 ((long long) set_bits[any]));
    _mm_storeu_si128 ((__m128i *) (list + count), _mm_add_epi16 (at, _mm_set1_epi16 ((short) k0)));
    count += __builtin_popcount (any);
  }
  return count;
}

/* mr rows of one panel (16 channels, or its first 8 unless wide) over the
 * count listed k; the last 8's live lanes in mask (all where full). */
static ALWAYS_INLINE void
tile (const bool wide, const int mr, const uint16_t *list, int count, const float *a,
      size_t a_stride, const float *panel, __m256i mask, bool full, float *c, size_t c_stride,
      const float *res, __m256 vmin, __m256 vmax)
{
  __m256 acc[MR][2];
  const __m256 bias0 = _mm256_loadu_ps (panel), bias1 = _mm256_loadu_ps (panel + 8);
  UNROLL
  for (int r = 0; r < mr; r++) {
    acc[r][0] = bias0;
    acc[r][1] = bias1;
  }
  const float *w = panel + NR;
  for (int j = 0; j < count; j++) {
    const size_t kk = list[j];
    const __m256 w0 = _mm256_loadu_ps (w + kk * NR);
    const __m256 w1 = wide ? _mm256_loadu_ps (w + kk * NR + 8) : w0;
    UNROLL
    for (int r = 0; r < mr; r++) {
      const __m256 b = _mm256_broadcast_ss (a + (size_t) r * a_stride + kk);
      acc[r][0] = _mm256_fmadd_ps (b, w0, acc[r][0]);
      if (wide)
        acc[r][1] = _mm256_fmadd_ps (b, w1, acc[r][1]);
    }
  }
  UNROLL
  for (int r = 0; r < mr; r++) {
    float *cr = c + (size_t) r * c_stride;
    const float *rr = res ? res + (size_t) r * c_stride : NULL;
    for (int h = 0; h < (wide ? 2 : 1); h++) {
      const bool last = h == (wide ? 1 : 0);
      const bool masked = last && !full;
      __m256 v = _mm256_min_ps (vmax, _mm256_max_ps (vmin, acc[r][h]));
      if (rr)
        v = _mm256_add_ps (v, masked ? _mm256_maskload_ps (rr + 8 * h, mask)
                                     : _mm256_loadu_ps (rr + 8 * h));
      if (masked)
        _mm256_maskstore_ps (cr + 8 * h, mask, v);
      else
        _mm256_storeu_ps (cr + 8 * h, v);
    }
  }
}

/* A block's tiles times one panel, all 16 channels (wide) or its first 8;
 * wide is a constant after inlining. */
static ALWAYS_INLINE void
panel_tiles (const bool wide, int rows, const uint16_t *lists, const int *counts,
             size_t list_stride, const float *a, size_t a_stride, const float *panel,
             __m256i mask, bool full, float *c, size_t c_stride, const float *res, __m256 vmin,
             __m256 vmax)
{
  for (int i = 0, t = 0; i < rows; i += MR, t++) {
    const int mr = rows - i < MR ? rows - i : MR;
    const uint16_t *list = lists + (size_t) t * list_stride;
    const float *at = a + (size_t) i * a_stride;
    float *ct = c + (size_t) i * c_stride;
    const float *rt = res ? res + (size_t) i * c_stride : NULL;
#define MN_TILE(R) \
  tile (wide, R, list, counts[t], at, a_stride, panel, mask, full, ct, c_stride, rt, vmin, vmax)
    switch (mr) {
      case 6: MN_TILE (6); break;
      case 5: MN_TILE (5); break;
      case 4: MN_TILE (4); break;
      case 3: MN_TILE (3); break;
      case 2: MN_TILE (2); break;
      default: MN_TILE (1); break;
    }
#undef MN_TILE
  }
}

void
mn_f32_gemm_sparse_avx2 (int m, int n, int k, int n_begin, int n_end, const float *a,
                         size_t a_stride, const float *packed, float *c, size_t c_stride,
                         const float *residual, float out_min, float out_max)
{
  if (n_end > n)
    n_end = n;
  if (m < 2 || k < 1 || k > MN_SPARSE_K_MAX) {
    mn_f32_gemm_minmax_6x16_avx2 (m, n, k, n_begin, n_end, a, a_stride, packed, c, c_stride,
                                  residual, out_min, out_max);
    return;
  }
  uint16_t lists[MN_SPARSE_LIST_CAP];
  int counts[MN_SPARSE_TILES_MAX];
  const __m256 vmin = _mm256_set1_ps (out_min), vmax = _mm256_set1_ps (out_max);
  const size_t panel_floats = (size_t) NR * ((size_t) k + 1);
  const size_t list_stride = mn_sparse_list_stride (k);
  const int block = mn_sparse_block_rows (k, MR);

  for (int i0 = 0; i0 < m; i0 += block) {
    const int rows = m - i0 < block ? m - i0 : block;
    const float *ab = a + (size_t) i0 * a_stride;
    float *cb = c + (size_t) i0 * c_stride;
    const float *rb = residual ? residual + (size_t) i0 * c_stride : NULL;
    if (!mn_sparse_list_block (rows, MR, k, ab, a_stride, DENSE_SHARE, list_tile, lists, counts)) {
      mn_f32_gemm_minmax_6x16_avx2 (rows, n, k, n_begin, n_end, ab, a_stride, packed, cb,
                                    c_stride, rb, out_min, out_max);
      continue;
    }
    for (int n0 = n_begin; n0 < n_end; n0 += NR) {
      const float *panel = packed + (size_t) (n0 / NR) * panel_floats;
      const int nr = n_end - n0 < NR ? n_end - n0 : NR;
      const int last = nr > 8 ? nr - 8 : nr; /* live lanes of the last 8 */
      const __m256i mask = mn_f32_lane_mask (last);
      const float *rp = rb ? rb + n0 : NULL;
      if (nr > 8)
        panel_tiles (true, rows, lists, counts, list_stride, ab, a_stride, panel, mask,
                     last == 8, cb + n0, c_stride, rp, vmin, vmax);
      else
        panel_tiles (false, rows, lists, counts, list_stride, ab, a_stride, panel, mask,
                     last == 8, cb + n0, c_stride, rp, vmin, vmax);
    }
  }
}
