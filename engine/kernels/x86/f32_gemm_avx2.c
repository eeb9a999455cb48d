/* f32_gemm_avx2.c: float GEMM (pointwise convolutions, fully connected),
 * AVX2 + FMA twin of f32_gemm_c.c, on the same packed layout.
 *
 * Micro-kernel: MR = 6 rows of A times one panel of 16 output channels,
 * twelve ymm accumulators; per k step two loads of packed weights, six
 * broadcasts of A and twelve FMAs.  A last panel with at most 8 live
 * channels only computes its first half (the packed row stride stays 16).
 * Rows left over (m % 6) take the same code with fewer rows; a remainder
 * of 1 or 2 rows is merged with the last full tile and split 4 + 3 or
 * 4 + 4, so that every tile has at least 6 independent FMA chains.
 *
 * A single row (fully connected) takes 4 panels at a time.
 *
 * A residual (a following ADD fused by the planner) is added to each
 * clamped output vector before it is stored.
 *
 * Cache blocking: rows are taken in blocks whose slice of A fits in L2;
 * within a block the panels are the outer loop, so one panel of weights
 * (k * 64 bytes) is reused by every row tile of the block from L1/L2.
 *
 * Every output element is bias + A[i][0] * W[0] + ... in k order, one FMA
 * at a time, whatever the tile it falls in, so results do not depend on
 * how the caller splits rows or panels. */
#include "kernels.h"
#include "x86/f32_avx2.h"
#include "x86/unroll.h"

#include <immintrin.h>

#define NR MN_F32_GEMM_NR
#define MR 6
/* Floats of A a row block may hold (192 KiB: L2 is 512 KiB a core). */
#define A_BLOCK_FLOATS (48 * 1024)

/* Loops over the rows of a tile unroll completely, so the accumulators
 * live in registers. */
#define UNROLL_MR MN_UNROLL_ALL (8)

/* The residual n floats further on, or NULL without one (no arithmetic
 * on a NULL pointer). */
static ALWAYS_INLINE const float *
res_at (const float *res, size_t n)
{
  return res ? res + n : NULL;
}

/* clamp (acc), plus the residual's 8 floats at r (masked: the live lanes)
 * when there is one. */
static ALWAYS_INLINE __m256
finish (__m256 acc, const float *r, bool masked, __m256i mask, __m256 vmin, __m256 vmax)
{
  const __m256 v = _mm256_min_ps (vmax, _mm256_max_ps (vmin, acc));
  if (!r)
    return v;
  return _mm256_add_ps (v, masked ? _mm256_maskload_ps (r, mask) : _mm256_loadu_ps (r));
}

/* mr rows by 16 channels (nr live, 9..16). mr is a constant after inlining.
 * res: the residual at the tile's first output, or NULL. */
static ALWAYS_INLINE void
tile_16 (const int mr, int k, int nr, const float *a, size_t a_stride, const float *panel,
         float *c, size_t c_stride, const float *res, __m256 vmin, __m256 vmax)
{
  __m256 acc0[MR], acc1[MR];
  const float *ar[MR];
  const __m256 bias0 = _mm256_loadu_ps (panel), bias1 = _mm256_loadu_ps (panel + 8);

  UNROLL_MR

  for (int r = 0; r < mr; r++) {
    acc0[r] = bias0;
    acc1[r] = bias1;
    ar[r] = a + (size_t) r * a_stride;
  }
  const float *w = panel + NR;
  for (int kk = 0; kk < k; kk++) {
    const __m256 w0 = _mm256_loadu_ps (w), w1 = _mm256_loadu_ps (w + 8);
    w += NR;
    UNROLL_MR
    for (int r = 0; r < mr; r++) {
      const __m256 x = _mm256_broadcast_ss (ar[r] + kk);
      acc0[r] = _mm256_fmadd_ps (x, w0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps (x, w1, acc1[r]);
    }
  }
  const __m256i mask = mn_f32_lane_mask (nr - 8);
  UNROLL_MR
  for (int r = 0; r < mr; r++) {
    float *cr = c + (size_t) r * c_stride;
    const float *rr = res_at (res, (size_t) r * c_stride);
    _mm256_storeu_ps (cr, finish (acc0[r], rr, false, mask, vmin, vmax));
    const __m256 v1 = finish (acc1[r], res_at (rr, 8), nr < NR, mask, vmin, vmax);
    if (nr == NR)
      _mm256_storeu_ps (cr + 8, v1);
    else
      _mm256_maskstore_ps (cr + 8, mask, v1);
  }
}

/* mr rows by the first 8 channels of a panel (nr live, 1..8). */
static ALWAYS_INLINE void
tile_8 (const int mr, int k, int nr, const float *a, size_t a_stride, const float *panel,
        float *c, size_t c_stride, const float *res, __m256 vmin, __m256 vmax)
{
  __m256 acc[MR];
  const float *ar[MR];
  const __m256 bias = _mm256_loadu_ps (panel);

  UNROLL_MR

  for (int r = 0; r < mr; r++) {
    acc[r] = bias;
    ar[r] = a + (size_t) r * a_stride;
  }
  const float *w = panel + NR;
  for (int kk = 0; kk < k; kk++) {
    const __m256 w0 = _mm256_loadu_ps (w);
    w += NR;
    UNROLL_MR
    for (int r = 0; r < mr; r++)
      acc[r] = _mm256_fmadd_ps (_mm256_broadcast_ss (ar[r] + kk), w0, acc[r]);
  }
  const __m256i mask = mn_f32_lane_mask (nr);
  UNROLL_MR
  for (int r = 0; r < mr; r++) {
    const __m256 v = finish (acc[r], res_at (res, (size_t) r * c_stride), nr < 8, mask,
                             vmin, vmax);
    if (nr == 8)
      _mm256_storeu_ps (c + (size_t) r * c_stride, v);
    else
      _mm256_maskstore_ps (c + (size_t) r * c_stride, mask, v);
  }
}

/* mr rows of a panel, all 16 channels (wide) or the first 8; both
 * constants after inlining. */
static ALWAYS_INLINE void
tile (const bool wide, const int mr, int k, int nr, const float *a, size_t a_stride,
      const float *panel, float *c, size_t c_stride, const float *res, __m256 vmin, __m256 vmax)
{
  if (wide)
    tile_16 (mr, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
  else
    tile_8 (mr, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
}

/* Rows [0, m) of one panel. */
static ALWAYS_INLINE void
panel_rows (const bool wide, int m, int k, int nr, const float *a, size_t a_stride,
            const float *panel, float *c, size_t c_stride, const float *res, __m256 vmin,
            __m256 vmax)
{
  /* Full tiles, but a remainder of 1 or 2 rows (2 or 4 accumulators: FMA
   * latency bound) joins the last full tile as 4 + 3 or 4 + 4 rows. */
  int tiles = m / MR, rest = m % MR;
  if (tiles > 0 && rest > 0 && rest < 3)
    tiles--, rest += MR;
  for (int t = 0; t < tiles; t++, a += MR * a_stride, c += MR * c_stride) {
    tile (wide, MR, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
    res = res_at (res, MR * c_stride);
  }
  if (rest > 5) {
    tile (wide, 4, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
    a += 4 * a_stride, c += 4 * c_stride, rest -= 4;
    res = res_at (res, 4 * c_stride);
  }
  switch (rest) {
  case 5:
    tile (wide, 5, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
    break;
  case 4:
    tile (wide, 4, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
    break;
  case 3:
    tile (wide, 3, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
    break;
  case 2:
    tile (wide, 2, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
    break;
  case 1:
    tile (wide, 1, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
    break;
  default:
    break;
  }
}

/* A panel with more than 8 live channels. */
static void
panel_16 (int m, int k, int nr, const float *a, size_t a_stride, const float *panel, float *c,
          size_t c_stride, const float *res, __m256 vmin, __m256 vmax)
{
  panel_rows (true, m, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
}

/* A panel with at most 8 live channels. */
static void
panel_8 (int m, int k, int nr, const float *a, size_t a_stride, const float *panel, float *c,
         size_t c_stride, const float *res, __m256 vmin, __m256 vmax)
{
  panel_rows (false, m, k, nr, a, a_stride, panel, c, c_stride, res, vmin, vmax);
}

/* One row by PANELS1 full panels (fully connected layers, m == 1): 8
 * independent FMA chains instead of 2, and 8 weight streams in flight. */
#define PANELS1 4
static void
row_4x16 (int k, const float *a, const float *panel, size_t panel_floats, float *c,
          const float *res, __m256 vmin, __m256 vmax)
{
  __m256 acc[PANELS1][2];
  const float *w[PANELS1];

  UNROLL_MR
  for (int p = 0; p < PANELS1; p++) {
    w[p] = panel + (size_t) p * panel_floats;
    acc[p][0] = _mm256_loadu_ps (w[p]);
    acc[p][1] = _mm256_loadu_ps (w[p] + 8);
    w[p] += NR;
  }
  for (int kk = 0; kk < k; kk++) {
    const __m256 x = _mm256_broadcast_ss (a + kk);
    UNROLL_MR
    for (int p = 0; p < PANELS1; p++) {
      acc[p][0] = _mm256_fmadd_ps (x, _mm256_loadu_ps (w[p] + (size_t) kk * NR), acc[p][0]);
      acc[p][1] = _mm256_fmadd_ps (x, _mm256_loadu_ps (w[p] + (size_t) kk * NR + 8), acc[p][1]);
    }
  }
  UNROLL_MR
  for (int p = 0; p < PANELS1; p++) {
    const __m256i no_mask = _mm256_setzero_si256 ();
    _mm256_storeu_ps (c + p * NR, finish (acc[p][0], res_at (res, (size_t) p * NR), false, no_mask,
                                          vmin, vmax));
    _mm256_storeu_ps (c + p * NR + 8, finish (acc[p][1], res_at (res, (size_t) p * NR + 8), false,
                                              no_mask, vmin, vmax));
  }
}

void
mn_f32_gemm_minmax_6x16_avx2 (int m, int n, int k, int n_begin, int n_end, const float *a,
                              size_t a_stride, const float *packed, float *c, size_t c_stride,
                              const float *residual, float out_min, float out_max)
{
  const __m256 vmin = _mm256_set1_ps (out_min), vmax = _mm256_set1_ps (out_max);
  const size_t panel_floats = (size_t) NR * ((size_t) k + 1);
  int mb = A_BLOCK_FLOATS / (k > 0 ? k : 1);

  if (n_end > n)
    n_end = n;
  if (m == 1) /* whole groups of full panels first; the rest below */
    for (; n_begin + PANELS1 * NR <= n_end; n_begin += PANELS1 * NR)
      row_4x16 (k, a, packed + (size_t) (n_begin / NR) * panel_floats, panel_floats, c + n_begin,
                res_at (residual, (size_t) n_begin), vmin, vmax);
  mb = mb < MR ? MR : mb - mb % MR;
  for (int i0 = 0; i0 < m; i0 += mb) {
    const int rows = m - i0 < mb ? m - i0 : mb;
    const float *ab = a + (size_t) i0 * a_stride;
    float *cb = c + (size_t) i0 * c_stride;
    const float *rb = res_at (residual, (size_t) i0 * c_stride);

    for (int n0 = n_begin; n0 < n_end; n0 += NR) {
      const float *panel = packed + (size_t) (n0 / NR) * panel_floats;
      const int nr = n_end - n0 < NR ? n_end - n0 : NR;
      const float *rp = res_at (rb, (size_t) n0);
      if (nr > 8)
        panel_16 (rows, k, nr, ab, a_stride, panel, cb + n0, c_stride, rp, vmin, vmax);
      else
        panel_8 (rows, k, nr, ab, a_stride, panel, cb + n0, c_stride, rp, vmin, vmax);
    }
  }
}
