/* f32_gemm_avx512.c: float GEMM (pointwise convolutions, fully connected),
 * AVX-512 twin of f32_gemm_c.c, on the same packed layout: one panel of 16
 * output channels is one zmm.
 *
 * Micro-kernel: up to 12 rows of A times 2 panels (32 channels), 24 zmm
 * accumulators of the 32 registers; per k step two loads of weights, one
 * broadcast a row and two FMAs a row.  Rows are cut into tiles of equal
 * height (x86/row_tiles.h).  A last panel with 9-15 live channels stores
 * (and reads its residual) under a mask; one with 1-8 gives each pair of
 * rows one accumulator (tile_half ()).  A single row (fully connected)
 * takes 4 panels at a time.
 *
 * Cache blocking as the AVX2 twin: rows in blocks whose slice of A fits in
 * L2, and within a block each pair of panels is reused by every row tile;
 * the second tile prefetches the next pair's weights (panel_rows ()).
 *
 * Every output element is bias + A[i][0] * W[0] + ... in k order, one FMA
 * at a time, so results do not depend on the tile or on how the caller
 * splits rows or panels (and equal the AVX2 twin's bit for bit). */
#include "kernels.h"
#include "x86/avx512.h"
#include "x86/row_tiles.h"
#include "x86/unroll.h"

#include <immintrin.h>
#include <stdbool.h>

#define NR MN_F32_GEMM_NR
#define MR_MAX 12
/* Floats of A a row block may hold (192 KiB). */
#define A_BLOCK_FLOATS (48 * 1024)

#define ALWAYS_INLINE inline __attribute__ ((always_inline))
#define UNROLL MN_UNROLL_ALL (12)

/* clamp (acc) plus the residual's live lanes at r, if any, stored under
 * mask (all ones for a full panel). */
static ALWAYS_INLINE void
finish_store (float *d, __m512 acc, const float *r, __mmask16 mask, __m512 vmin, __m512 vmax)
{
  __m512 v = _mm512_min_ps (vmax, _mm512_max_ps (vmin, acc));
  if (r)
    v = _mm512_add_ps (v, _mm512_maskz_loadu_ps (mask, r));
  _mm512_mask_storeu_ps (d, mask, v);
}

/* mr rows by np panels (1 or 2) at panel; the last one's live lanes in
 * last_mask.  mr and np are constants after inlining. */
static ALWAYS_INLINE void
tile (const int mr, const int np, int k, const float *a, size_t a_stride, const float *panel,
      size_t panel_floats, __mmask16 last_mask, float *c, size_t c_stride, const float *res,
      const float *const *next, __m512 vmin, __m512 vmax)
{
  __m512 acc[MR_MAX][2];
  /* no second panel's address past the last panel */
  const float *w0 = panel + NR, *w1 = np > 1 ? panel + panel_floats + NR : w0;
  const __m512 bias0 = _mm512_loadu_ps (panel);
  const __m512 bias1 = np > 1 ? _mm512_loadu_ps (panel + panel_floats) : bias0;

  UNROLL
  for (int r = 0; r < mr; r++) {
    acc[r][0] = bias0;
    acc[r][1] = bias1;
  }
  for (int kk = 0; kk < k; kk++) {
    const __m512 x0 = _mm512_loadu_ps (w0 + (size_t) kk * NR);
    const __m512 x1 = np > 1 ? _mm512_loadu_ps (w1 + (size_t) kk * NR) : x0;
    if (next) {
      _mm_prefetch ((const char *) (next[0] + (size_t) kk * NR), _MM_HINT_T0);
      _mm_prefetch ((const char *) (next[1] + (size_t) kk * NR), _MM_HINT_T0);
    }
    UNROLL
    for (int r = 0; r < mr; r++) {
      const __m512 b = _mm512_set1_ps (a[(size_t) r * a_stride + kk]);
      acc[r][0] = _mm512_fmadd_ps (b, x0, acc[r][0]);
      if (np > 1)
        acc[r][1] = _mm512_fmadd_ps (b, x1, acc[r][1]);
    }
  }
  UNROLL
  for (int r = 0; r < mr; r++) {
    float *cr = c + (size_t) r * c_stride;
    const float *rr = res ? res + (size_t) r * c_stride : NULL;
    finish_store (cr, acc[r][0], rr, np > 1 ? (__mmask16) 0xffff : last_mask, vmin, vmax);
    if (np > 1)
      finish_store (cr + NR, acc[r][1], rr ? rr + NR : NULL, last_mask, vmin, vmax);
  }
}

/* The first 8 floats of a half panel's row at p (its live channels, then
 * the packing's zeros), as both halves of a vector. */
static ALWAYS_INLINE __m512
half_twice (const float *p)
{
  return _mm512_broadcast_f32x8 (_mm256_loadu_ps (p));
}

/* As tile (), where the last of the np panels has at most 8 live channels
 * (mask8): rows 2i and 2i + 1 share one accumulator for it, row 2i in
 * lanes 0-7 and row 2i + 1 in lanes 8-15, each lane its channel's bias and
 * weights, so that the 8 dead lanes do no FMAs.  V2's 24-channel
 * projections (56x56, 112 -> 56) take 18 FMAs a k step for 12 rows, not
 * 24.  Each pair's broadcast is a blend of its rows' two, which Zen 5 runs
 * beside the FMAs (a loop of 24 FMAs and 8 blends runs as fast as the 24
 * FMAs alone).  The stores of the second row's lanes go through the upper
 * half, so no address left of a row is formed. */
static ALWAYS_INLINE void
tile_half (const int mr, const int np, int k, const float *a, size_t a_stride,
           const float *panel, size_t panel_floats, __mmask8 mask8, float *c, size_t c_stride,
           const float *res, const float *const *next, __m512 vmin, __m512 vmax)
{
  __m512 acc[MR_MAX], pair[(MR_MAX + 1) / 2];
  const int pairs = (mr + 1) / 2;
  const float *half = panel + (size_t) (np - 1) * panel_floats;
  const __m512 bias = _mm512_loadu_ps (panel), bias_half = half_twice (half);

  UNROLL
  for (int r = 0; r < mr; r++)
    acc[r] = bias;
  UNROLL
  for (int q = 0; q < pairs; q++)
    pair[q] = bias_half;
  for (int kk = 0; kk < k; kk++) {
    const __m512 x = _mm512_loadu_ps (panel + NR + (size_t) kk * NR);
    const __m512 xh = half_twice (half + NR + (size_t) kk * NR);
    if (next) {
      _mm_prefetch ((const char *) (next[0] + (size_t) kk * NR), _MM_HINT_T0);
      _mm_prefetch ((const char *) (next[1] + (size_t) kk * NR), _MM_HINT_T0);
    }
    UNROLL
    for (int q = 0; q < pairs; q++) {
      const int r = 2 * q;
      const __m512 b0 = _mm512_set1_ps (a[(size_t) r * a_stride + kk]);
      __m512 both = b0;
      if (np > 1)
        acc[r] = _mm512_fmadd_ps (b0, x, acc[r]);
      if (r + 1 < mr) {
        const __m512 b1 = _mm512_set1_ps (a[(size_t) (r + 1) * a_stride + kk]);
        if (np > 1)
          acc[r + 1] = _mm512_fmadd_ps (b1, x, acc[r + 1]);
        both = _mm512_mask_blend_ps (0xff00, b0, b1);
      }
      pair[q] = _mm512_fmadd_ps (both, xh, pair[q]);
    }
  }
  const size_t off = (size_t) (np - 1) * NR; /* the half panel's first channel */
  UNROLL
  for (int r = 0; r < mr; r++)
    if (np > 1)
      finish_store (c + (size_t) r * c_stride, acc[r], res ? res + (size_t) r * c_stride : NULL,
                    0xffff, vmin, vmax);
  UNROLL
  for (int q = 0; q < pairs; q++) {
    const int r = 2 * q;
    const bool second = r + 1 < mr;
    float *c0 = c + (size_t) r * c_stride + off;
    __m512 v = _mm512_min_ps (vmax, _mm512_max_ps (vmin, pair[q]));
    if (res) {
      const float *r0 = res + (size_t) r * c_stride + off;
      __m512 rv = _mm512_zextps256_ps512 (_mm256_maskz_loadu_ps (mask8, r0));
      if (second)
        rv = _mm512_insertf32x8 (rv, _mm256_maskz_loadu_ps (mask8, r0 + c_stride), 1);
      v = _mm512_add_ps (v, rv);
    }
    _mm256_mask_storeu_ps (c0, mask8, _mm512_castps512_ps256 (v));
    if (second)
      _mm256_mask_storeu_ps (c0 + c_stride, mask8, _mm512_extractf32x8_ps (v, 1));
  }
}

/* Rows [0, m) of np panels in tiles of equal height, at most MR_MAX; half:
 * the last panel's live channels, at most 8, in tile_half ().
 * next: NULL, or the weights of the two panels after these (the same one
 * twice if there is one), which the second tile (the first, if it is the
 * only one) prefetches a row a k step.  The first tile over a pair of
 * panels reads its weights from L3 or memory where they are not in L2
 * (V2's 7x7 layers, 0.6-1.6 MB a layer), 2 lines a k step; the others
 * leave the memory idle.  V2 float, 7x7 expansions 0.82-0.85x the time,
 * the last 1x1 layer 0.80-0.85x; the fused bands' GEMMs, whose weights
 * stay in L2 after the first band, the same within noise. */
static ALWAYS_INLINE void
panel_rows (const int np, const bool half, int m, int k, const float *a, size_t a_stride,
            const float *panel, size_t panel_floats, __mmask16 last_mask, float *c,
            size_t c_stride, const float *res, const float *const *next, __m512 vmin,
            __m512 vmax)
{
  const int tiles = mn_row_tile_count (m, MR_MAX);
  for (int t = 0, i = 0; t < tiles; t++) {
    const int mr = mn_row_tile_height (m, tiles, t);
    const float *at = a + (size_t) i * a_stride;
    float *ct = c + (size_t) i * c_stride;
    const float *rt = res ? res + (size_t) i * c_stride : NULL;
#define MN_TILE_NEXT(MR, NEXT)                                                                  \
  do {                                                                                          \
    if (half)                                                                                   \
      tile_half (MR, np, k, at, a_stride, panel, panel_floats, (__mmask8) last_mask, ct,        \
                 c_stride, rt, NEXT, vmin, vmax);                                               \
    else                                                                                        \
      tile (MR, np, k, at, a_stride, panel, panel_floats, last_mask, ct, c_stride, rt, NEXT,    \
            vmin, vmax);                                                                        \
  } while (0)
#define MN_TILE(MR) MN_TILE_NEXT (MR, NULL)
#define MN_TILE_PF(MR) MN_TILE_NEXT (MR, next)
    if (next && t == (tiles > 1))
      MN_SWITCH_ROWS_1_TO_12 (mr, MN_TILE_PF)
    else
      MN_SWITCH_ROWS_1_TO_12 (mr, MN_TILE)
#undef MN_TILE
#undef MN_TILE_PF
#undef MN_TILE_NEXT
    i += mr;
  }
}

static void
panels_2_half (int m, int k, const float *a, size_t a_stride, const float *panel,
               size_t panel_floats, __mmask16 last_mask, float *c, size_t c_stride, const float *res,
               const float *const *next, __m512 vmin, __m512 vmax)
{
  panel_rows (2, true, m, k, a, a_stride, panel, panel_floats, last_mask, c, c_stride, res, next,
              vmin, vmax);
}

static void
panels_1_half (int m, int k, const float *a, size_t a_stride, const float *panel,
               size_t panel_floats, __mmask16 last_mask, float *c, size_t c_stride, const float *res,
               __m512 vmin, __m512 vmax)
{
  panel_rows (1, true, m, k, a, a_stride, panel, panel_floats, last_mask, c, c_stride, res, NULL,
              vmin, vmax);
}

static void
panels_2 (int m, int k, const float *a, size_t a_stride, const float *panel, size_t panel_floats,
          __mmask16 last_mask, float *c, size_t c_stride, const float *res,
          const float *const *next, __m512 vmin, __m512 vmax)
{
  panel_rows (2, false, m, k, a, a_stride, panel, panel_floats, last_mask, c, c_stride, res, next,
              vmin, vmax);
}

static void
panels_1 (int m, int k, const float *a, size_t a_stride, const float *panel, size_t panel_floats,
          __mmask16 last_mask, float *c, size_t c_stride, const float *res, __m512 vmin,
          __m512 vmax)
{
  panel_rows (1, false, m, k, a, a_stride, panel, panel_floats, last_mask, c, c_stride, res, NULL,
              vmin, vmax);
}

/* One row by PANELS1 full panels (fully connected layers, m == 1): 4
 * independent FMA chains and 4 weight streams in flight. */
#define PANELS1 4
static void
row_4x16 (int k, const float *a, const float *panel, size_t panel_floats, float *c,
          const float *res, __m512 vmin, __m512 vmax)
{
  __m512 acc[PANELS1];

  UNROLL
  for (int p = 0; p < PANELS1; p++)
    acc[p] = _mm512_loadu_ps (panel + (size_t) p * panel_floats);
  for (int kk = 0; kk < k; kk++) {
    const __m512 x = _mm512_set1_ps (a[kk]);
    UNROLL
    for (int p = 0; p < PANELS1; p++)
      acc[p] = _mm512_fmadd_ps (
          x, _mm512_loadu_ps (panel + (size_t) p * panel_floats + NR + (size_t) kk * NR), acc[p]);
  }
  UNROLL
  for (int p = 0; p < PANELS1; p++)
    finish_store (c + p * NR, acc[p], res ? res + p * NR : NULL, 0xffff, vmin, vmax);
}

void
mn_f32_gemm_minmax_12x32_avx512 (int m, int n, int k, int n_begin, int n_end, const float *a,
                                 size_t a_stride, const float *packed, float *c, size_t c_stride,
                                 const float *residual, float out_min, float out_max)
{
  const __m512 vmin = _mm512_set1_ps (out_min), vmax = _mm512_set1_ps (out_max);
  const size_t panel_floats = (size_t) NR * ((size_t) k + 1);
  int mb = A_BLOCK_FLOATS / (k > 0 ? k : 1);

  if (n_end > n)
    n_end = n;
  if (m == 1) /* whole groups of full panels first; the rest below */
    for (; n_begin + PANELS1 * NR <= n_end; n_begin += PANELS1 * NR)
      row_4x16 (k, a, packed + (size_t) (n_begin / NR) * panel_floats, panel_floats, c + n_begin,
                residual ? residual + n_begin : NULL, vmin, vmax);
  mb = mb < MR_MAX ? MR_MAX : mb - mb % MR_MAX;
  for (int i0 = 0; i0 < m; i0 += mb) {
    const int rows = m - i0 < mb ? m - i0 : mb;
    const float *ab = a + (size_t) i0 * a_stride;
    float *cb = c + (size_t) i0 * c_stride;
    const float *rb = residual ? residual + (size_t) i0 * c_stride : NULL;

    for (int n0 = n_begin; n0 < n_end; n0 += 2 * NR) {
      const float *panel = packed + (size_t) (n0 / NR) * panel_floats;
      const int nc = n_end - n0 < 2 * NR ? n_end - n0 : 2 * NR;
      const int live = nc > NR ? nc - NR : nc;   /* the last panel's channels */
      const __mmask16 last_mask = (__mmask16) ((1u << live) - 1u);
      const float *rp = rb ? rb + n0 : NULL;
      const bool more = n0 + 2 * NR < n_end;
      const float *next[2] = { NULL, NULL };
      if (more) {
        next[0] = panel + 2 * panel_floats + NR;
        next[1] = n0 + 3 * NR < n_end ? next[0] + panel_floats : next[0];
      }
      if (live <= NR / 2 && nc > NR)
        panels_2_half (rows, k, ab, a_stride, panel, panel_floats, last_mask, cb + n0,
                       c_stride, rp, more ? next : NULL, vmin, vmax);
      else if (live <= NR / 2)
        panels_1_half (rows, k, ab, a_stride, panel, panel_floats, last_mask, cb + n0,
                       c_stride, rp, vmin, vmax);
      else if (nc > NR)
        panels_2 (rows, k, ab, a_stride, panel, panel_floats, last_mask, cb + n0, c_stride, rp,
                  more ? next : NULL, vmin, vmax);
      else
        panels_1 (rows, k, ab, a_stride, panel, panel_floats, last_mask, cb + n0, c_stride, rp,
                  vmin, vmax);
    }
  }
}
