/* f32_gemm_sparse_avx512.c: the float GEMM for inputs with many zeros (a
 * ReLU's outputs: 30-70 % of MobileNet V2's projection inputs), on the
 * dense GEMM's packed layout and with its results bit for bit
 * (mn_f32_gemm_sparse_suits () in kernels.h says when).
 *
 * Rows go in tiles of 4.  A tile lists the k where any of its rows is not
 * zero (compressed 16 k at a time) and walks only those: per listed k one
 * index, 4 broadcasts, P weight loads and 4 x P FMAs (P up to 6 panels,
 * 24 accumulators).  Each output element still adds its products in k
 * order, one FMA each; what is left out are zero products, which leave a
 * sum as it is (kernels.h).  A 1-row kernel would skip every zero, but
 * then each FMA needs a weight load of its own, and those loads, not the
 * FMAs, bound it: measured on V2's layers, it was no faster than the
 * dense kernel at 60-65 % zeros.
 *
 * The first tiles of a row block decide: where they list more than
 * DENSE_SHARE of k, the block goes to the dense kernel, whose 12-row tiles
 * reuse each weight load three times as often. */
#include "kernels.h"
#include "x86/avx512.h"
#include "x86/sparse_lists.h"
#include "x86/unroll.h"

#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#define NR MN_F32_GEMM_NR
#define MR 4
#define P_MAX 6
/* share of k listed above which a block goes to the dense kernel: tiles of
 * 2 panels reuse each broadcast less */
#define DENSE_SHARE 0.85
#define DENSE_SHARE_2 0.7

#define ALWAYS_INLINE inline __attribute__ ((always_inline))
#define UNROLL MN_UNROLL_ALL (6)

/* The k where any of rows [0, mr) of a is not zero (NaN counts: unordered
 * compares true), to list (room for k + 16); returns how many. */
static int
list_tile (int mr, int k, const float *a, size_t a_stride, uint16_t *list)
{
  const __m512i iota = _mm512_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  int count = 0;
  for (int k0 = 0; k0 < k; k0 += 16) {
    const __mmask16 live =
        k - k0 >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << (k - k0)) - 1u);
    __mmask16 any = 0;
    for (int r = 0; r < mr; r++)
      any |= _mm512_mask_cmp_ps_mask (live, _mm512_maskz_loadu_ps (live, a + (size_t) r * a_stride + k0),
                                      _mm512_setzero_ps (), _CMP_NEQ_UQ);
    const __m512i idx = _mm512_maskz_compress_epi32 (any, _mm512_add_epi32 (iota, _mm512_set1_epi32 (k0)));
    _mm256_storeu_si256 ((__m256i *) (list + count), _mm512_cvtepi32_epi16 (idx));
    count += __builtin_popcount (any);
  }
  return count;
}

/* mr rows times P panels (panel p at panels + p * pstride: NR biases,
 * then k rows of NR weights) over the count listed k; the last panel's
 * live lanes in last_mask. */
static ALWAYS_INLINE void
tile (const int mr, const int P, const uint16_t *list, int count, const float *a, size_t a_stride,
      const float *panels, size_t pstride, __mmask16 last_mask, float *c, size_t c_stride,
      const float *res, __m512 vmin, __m512 vmax)
{
  __m512 acc[MR][P_MAX];
  UNROLL
  for (int p = 0; p < P; p++) {
    const __m512 bias = _mm512_loadu_ps (panels + (size_t) p * pstride);
    UNROLL
    for (int r = 0; r < mr; r++)
      acc[r][p] = bias;
  }
  const float *w = panels + NR;
  for (int j = 0; j < count; j++) {
    const size_t kk = list[j];
    const float *wk = w + kk * NR;
    __m512 x[P_MAX];
    UNROLL
    for (int p = 0; p < P; p++)
      x[p] = _mm512_loadu_ps (wk + (size_t) p * pstride);
    UNROLL
    for (int r = 0; r < mr; r++) {
      const __m512 b = _mm512_set1_ps (a[(size_t) r * a_stride + kk]);
      UNROLL
      for (int p = 0; p < P; p++)
        acc[r][p] = _mm512_fmadd_ps (b, x[p], acc[r][p]);
    }
  }
  UNROLL
  for (int r = 0; r < mr; r++) {
    float *cr = c + (size_t) r * c_stride;
    const float *rr = res ? res + (size_t) r * c_stride : NULL;
    UNROLL
    for (int p = 0; p < P; p++) {
      const __mmask16 mask = p == P - 1 ? last_mask : (__mmask16) 0xffff;
      __m512 v = _mm512_min_ps (vmax, _mm512_max_ps (vmin, acc[r][p]));
      if (rr)
        v = _mm512_add_ps (v, _mm512_maskz_loadu_ps (mask, rr + p * NR));
      _mm512_mask_storeu_ps (cr + p * NR, mask, v);
    }
  }
}

/* A block's tiles times one group of P panels. */
static ALWAYS_INLINE void
group (const int P, int rows, const uint16_t *lists, const int *counts, size_t list_stride,
       const float *a, size_t a_stride, const float *panels, size_t pstride, __mmask16 last_mask,
       float *c, size_t c_stride, const float *res, __m512 vmin, __m512 vmax)
{
  for (int i = 0, t = 0; i < rows; i += MR, t++) {
    const int mr = rows - i < MR ? rows - i : MR;
    const uint16_t *list = lists + (size_t) t * list_stride;
    const float *at = a + (size_t) i * a_stride;
    float *ct = c + (size_t) i * c_stride;
    const float *rt = res ? res + (size_t) i * c_stride : NULL;
#define MN_TILE(R)                                                                            \
  tile (R, P, list, counts[t], at, a_stride, panels, pstride, last_mask, ct, c_stride, rt, vmin, \
        vmax)
    switch (mr) {
      case 4: MN_TILE (4); break;
      case 3: MN_TILE (3); break;
      case 2: MN_TILE (2); break;
      default: MN_TILE (1); break;
    }
#undef MN_TILE
  }
}

void
mn_f32_gemm_sparse_avx512 (int m, int n, int k, int n_begin, int n_end, const float *a,
                           size_t a_stride, const float *packed, float *c, size_t c_stride,
                           const float *residual, float out_min, float out_max)
{
  if (n_end > n)
    n_end = n;
  const int panels_begin = n_begin / NR, panels = (n_end + NR - 1) / NR - panels_begin;
  if (m < 2 || k < 1 || k > MN_SPARSE_K_MAX || panels < 2) {
    mn_f32_gemm_minmax_12x32_avx512 (m, n, k, n_begin, n_end, a, a_stride, packed, c, c_stride,
                                     residual, out_min, out_max);
    return;
  }
  uint16_t lists[MN_SPARSE_LIST_CAP];
  int counts[MN_SPARSE_TILES_MAX];
  const __m512 vmin = _mm512_set1_ps (out_min), vmax = _mm512_set1_ps (out_max);
  const size_t panel_floats = (size_t) NR * ((size_t) k + 1);
  const size_t list_stride = mn_sparse_list_stride (k);
  const int groups = (panels + P_MAX - 1) / P_MAX;
  const int block = mn_sparse_block_rows (k, MR);
  const double dense_share = panels / groups >= 3 ? DENSE_SHARE : DENSE_SHARE_2;

  for (int i0 = 0; i0 < m; i0 += block) {
    const int rows = m - i0 < block ? m - i0 : block;
    const float *ab = a + (size_t) i0 * a_stride;
    float *cb = c + (size_t) i0 * c_stride;
    const float *rb = residual ? residual + (size_t) i0 * c_stride : NULL;
    if (!mn_sparse_list_block (rows, MR, k, ab, a_stride, dense_share, list_tile, lists, counts)) {
      mn_f32_gemm_minmax_12x32_avx512 (rows, n, k, n_begin, n_end, ab, a_stride, packed, cb,
                                       c_stride, rb, out_min, out_max);
      continue;
    }
    for (int g = 0, p0 = panels_begin; g < groups; g++) {
      const int np = panels / groups + (g < panels % groups ? 1 : 0);
      const int ch0 = p0 * NR, ch_end = (p0 + np) * NR < n_end ? (p0 + np) * NR : n_end;
      const __mmask16 last_mask = (__mmask16) ((1u << (ch_end - (p0 + np - 1) * NR)) - 1u);
      const float *gp = packed + (size_t) p0 * panel_floats;
#define MN_GROUP(P)                                                                         \
  group (P, rows, lists, counts, list_stride, ab, a_stride, gp, panel_floats, last_mask, \
         cb + ch0, c_stride, rb ? rb + ch0 : NULL, vmin, vmax)
      switch (np) {
        case 6: MN_GROUP (6); break;
        case 5: MN_GROUP (5); break;
        case 4: MN_GROUP (4); break;
        case 3: MN_GROUP (3); break;
        case 2: MN_GROUP (2); break;
        default: MN_GROUP (1); break;
      }
#undef MN_GROUP
      p0 += np;
    }
  }
}
