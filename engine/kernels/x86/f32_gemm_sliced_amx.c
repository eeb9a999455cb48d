/* f32_gemm_sliced_amx.c: float GEMM on int8-sliced weights with AMX-INT8
 * (Sapphire Rapids and later), the twin of f32_gemm_sliced_c.c (scheme in
 * kernels.h), with the same bits.
 *
 * Why int8 slices and not bfloat16 parts: a TDPBSSD takes the ~5 ns of a
 * TDPBF16PS but does twice its products, exactly, and a float product
 * takes six of either.  The weights are half the bytes (3 a weight, not
 * 6), which counts as much: a layer's weights come from L3, where this
 * machine loads a tile in about 37 ns against 6 from L2 and 2.3 from L1.
 * Against the bfloat16 kernel it replaced, V2 float took 0.87 of the time
 * at 1 thread and 0.91 at 2 (separate processes alternating, medians);
 * alone on V2's 14x14 and 7x7 layers, 0.87 warm and 0.65 with the
 * weights cold.  The cut of the rows took 18 % of this kernel's time in
 * V2 and the three levels' epilogue 11 %.
 *
 * A group of rows is cut into three int8 planes on the stack (as many
 * whole tiles of rows as 192 KiB hold: 64 at 1024 k, 160 at 384, so V2's
 * 14x14 layers with k of 384 and 576 take two groups at 1 thread and one
 * at 2, the others one), then taken in
 * 32-row blocks x 16-channel panels: six C tiles (three levels x two row
 * tiles), one A and one B tile register.  A step of 64 k loads each weight
 * slice once and the activation slices it meets (12 A tiles, 3 B for 12
 * products).  Where a block's planes fit in L1 (k of 384 or less) it
 * serves every panel in turn, otherwise each panel serves every block
 * (V2 float 0.99 of the time at 1 thread either way).  Rows past m in
 * the last tile and k past k are zero in the planes and compute nothing
 * stored. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "x86/amx_tile_config.h"

#define NR MN_F32_GEMM_NR
#define KB MN_F32_SLICE_KB
#define TILE_ROWS 16
#define BLOCK_ROWS (2 * TILE_ROWS)
#define TILE_BYTES (KB / 4 * NR * 4)   /* one B tile, 1 KiB */
#define PLANE_BYTES (3 * 64 * MN_F32_SLICE_K_MAX)
#define GROUP_MAX (PLANE_BYTES / (3 * KB))
#define L1_PLANES_BYTES (36 * 1024)

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

void mn_f32_gemm_sliced_amx (int m, int n, int k, int n_begin, int n_end, const float *a,
                             size_t a_stride, const void *packed, float *c, size_t c_stride,
                             const float *residual, float out_min, float out_max);

/* Tile registers: C tiles by level and row tile, then A and B.  Macros,
 * not an enum: the intrinsics paste the numbers into the text. */
#define L0R0 0
#define L0R1 1
#define L1R0 2
#define L1R1 3
#define L2R0 4
#define L2R1 5
#define TA 6
#define TB 7

/* Every tile 16 rows of 64 bytes: 16 int32 sums, 64 int8 k, or 16 groups
 * of 4 k for 16 channels. */
static void
configure (void)
{
  mn_amx_tile_config cfg;
  memset (&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int t = L0R0; t <= TB; t++) {
    cfg.rows[t] = TILE_ROWS;
    cfg.colsb[t] = 64;
  }
  _tile_loadconfig (&cfg);
}

static __mmask16
live_mask (int k, int j)
{
  return k - j >= 16 ? 0xffff : k > j ? (__mmask16) ((1u << (k - j)) - 1) : 0;
}

/* Largest |v| of the row's k values, NaN where one is NaN (as the C
 * twin's): the largest of the magnitudes' bits as unsigned integers,
 * which order as the floats do, with NaN's above infinity's. */
static float
row_largest (const float *src, int k)
{
  const __m512i magnitude = _mm512_set1_epi32 (0x7fffffff);
  __m512i mx = _mm512_setzero_si512 ();
  for (int j = 0; j < k; j += 16) {
    const __m512i v = _mm512_maskz_loadu_epi32 (live_mask (k, j), src + j);
    mx = _mm512_max_epu32 (mx, _mm512_and_si512 (v, magnitude));
  }
  const uint32_t bits = _mm512_reduce_max_epu32 (mx);
  float largest;
  memcpy (&largest, &bits, sizeof largest);
  return largest;
}

/* Rows [0, rows) of a as three planes of kp int8 a row (plane apart) and
 * their scales, with the C twin's operations: x = v inv, then each slice
 * rounded by adding and subtracting 1.5 * 2^23, 2^16 and 2^9, whose sums'
 * low bytes are the slices (the constants' own low bytes are 0).  Two
 * vectors' low bytes go to one 32-byte store by a byte permute.  Rows up
 * to tile_rows are zero.  A row whose scale is NaN (inv 0) has NaN in x
 * where it has an infinity or NaN, and slices of no meaning there: its
 * outputs are NaN whatever they are. */
static void
slice_rows (int rows, int tile_rows, int k, int kp, const float *a, size_t a_stride,
            int8_t *planes, size_t plane, float *scales)
{
  const __m512i low_bytes = _mm512_set_epi8 (
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 124, 120, 116, 112, 108, 104, 100, 96, 92, 88, 84, 80, 76, 72, 68, 64, 60, 56, 52, 48,
      44, 40, 36, 32, 28, 24, 20, 16, 12, 8, 4, 0);
  const __m512 m0 = _mm512_set1_ps (0x1.8p23f), m1 = _mm512_set1_ps (0x1.8p16f);
  const __m512 m2 = _mm512_set1_ps (0x1.8p9f);
  for (int i = 0; i < rows; i++) {
    const float *src = a + (size_t) i * a_stride;
    float inv;
    mn_f32_slice_scales (row_largest (src, k), &inv, &scales[i]);
    const __m512 vinv = _mm512_set1_ps (inv);
    int8_t *dst = planes + (size_t) i * (size_t) kp;
    for (int j = 0; j < kp; j += 32) {
      const __m512 xa = _mm512_mul_ps (_mm512_maskz_loadu_ps (live_mask (k, j), src + j), vinv);
      const __m512 xb =
          _mm512_mul_ps (_mm512_maskz_loadu_ps (live_mask (k, j + 16), src + j + 16), vinv);
      const __m512 r0a = _mm512_add_ps (xa, m0), r0b = _mm512_add_ps (xb, m0);
      const __m512 ya = _mm512_sub_ps (xa, _mm512_sub_ps (r0a, m0));
      const __m512 yb = _mm512_sub_ps (xb, _mm512_sub_ps (r0b, m0));
      const __m512 r1a = _mm512_add_ps (ya, m1), r1b = _mm512_add_ps (yb, m1);
      const __m512 r2a = _mm512_add_ps (_mm512_sub_ps (ya, _mm512_sub_ps (r1a, m1)), m2);
      const __m512 r2b = _mm512_add_ps (_mm512_sub_ps (yb, _mm512_sub_ps (r1b, m1)), m2);
#define LOW_BYTES(ra, rb)                                                                     \
  _mm512_castsi512_si256 (_mm512_permutex2var_epi8 (_mm512_castps_si512 (ra), low_bytes,     \
                                                    _mm512_castps_si512 (rb)))
      _mm256_storeu_si256 ((__m256i *) (dst + j), LOW_BYTES (r0a, r0b));
      _mm256_storeu_si256 ((__m256i *) (dst + plane + j), LOW_BYTES (r1a, r1b));
      _mm256_storeu_si256 ((__m256i *) (dst + 2 * plane + j), LOW_BYTES (r2a, r2b));
#undef LOW_BYTES
    }
  }
  for (int p = 0; p < 3 && rows < tile_rows; p++)
    memset (planes + p * plane + (size_t) rows * (size_t) kp, 0,
            (size_t) (tile_rows - rows) * (size_t) kp);
}

/* rt * 16 rows (rt 1 or 2, a constant after inlining) x one panel, all of
 * k, into acc: three levels of 32 rows x 16 int32.  a: the block's first
 * row in plane 0. */
static ALWAYS_INLINE void
block (const int rt, int kp, const int8_t *a, size_t plane, const uint8_t *w, int32_t *acc)
{
  const long a_bytes = kp;
  const int8_t *a1 = a + (size_t) TILE_ROWS * (size_t) kp;
  _tile_zero (L0R0);
  _tile_zero (L1R0);
  _tile_zero (L2R0);
  if (rt > 1) {
    _tile_zero (L0R1);
    _tile_zero (L1R1);
    _tile_zero (L2R1);
  }
#define PRODUCT(c0, c1, slice)                             \
  do {                                                     \
    _tile_loadd (TA, a + (slice) * plane + s, a_bytes);    \
    _tile_dpbssd (c0, TA, TB);                             \
    if (rt > 1) {                                          \
      _tile_loadd (TA, a1 + (slice) * plane + s, a_bytes); \
      _tile_dpbssd (c1, TA, TB);                           \
    }                                                      \
  } while (0)
  for (int s = 0; s < kp; s += KB) {
    const uint8_t *b = w + (size_t) (s / KB) * 3 * TILE_BYTES;
    _tile_loadd (TB, b, 64);   /* w0 */
    PRODUCT (L0R0, L0R1, 0);
    PRODUCT (L1R0, L1R1, 1);
    PRODUCT (L2R0, L2R1, 2);
    _tile_loadd (TB, b + TILE_BYTES, 64);   /* w1 */
    PRODUCT (L1R0, L1R1, 0);
    PRODUCT (L2R0, L2R1, 1);
    _tile_loadd (TB, b + 2 * TILE_BYTES, 64);   /* w2 */
    PRODUCT (L2R0, L2R1, 0);
  }
#undef PRODUCT
  const long c_bytes = NR * sizeof (int32_t);
  const size_t level = BLOCK_ROWS * NR;
  _tile_stored (L0R0, acc, c_bytes);
  _tile_stored (L1R0, acc + level, c_bytes);
  _tile_stored (L2R0, acc + 2 * level, c_bytes);
  if (rt > 1) {
    _tile_stored (L0R1, acc + TILE_ROWS * NR, c_bytes);
    _tile_stored (L1R1, acc + level + TILE_ROWS * NR, c_bytes);
    _tile_stored (L2R1, acc + 2 * level + TILE_ROWS * NR, c_bytes);
  }
}

/* The C twin's combination for rows x nc channels (nc <= 16) from acc:
 * bias + (level0 + level1 / 128 + level2 / 16384) * row scale * channel
 * scale, clamped, plus the residual. */
static void
finish (int rows, int nc, const int32_t *acc, const float *scales, const float *head, float *c,
        size_t c_stride, const float *residual, float out_min, float out_max)
{
  const __m512 vmin = _mm512_set1_ps (out_min), vmax = _mm512_set1_ps (out_max);
  const __m512 l1_unit = _mm512_set1_ps (0x1p-7f), l2_unit = _mm512_set1_ps (0x1p-14f);
  const __m512 bias = _mm512_loadu_ps (head), channel_scale = _mm512_loadu_ps (head + NR);
  const __mmask16 mask = (__mmask16) ((1u << nc) - 1);
  const size_t level = BLOCK_ROWS * NR;
  for (int i = 0; i < rows; i++) {
    const int32_t *l0 = acc + (size_t) i * NR;
    __m512 sum = _mm512_fmadd_ps (_mm512_cvtepi32_ps (_mm512_loadu_si512 (l0 + level)), l1_unit,
                                  _mm512_cvtepi32_ps (_mm512_loadu_si512 (l0)));
    sum = _mm512_fmadd_ps (_mm512_cvtepi32_ps (_mm512_loadu_si512 (l0 + 2 * level)), l2_unit, sum);
    sum = _mm512_mul_ps (sum, _mm512_set1_ps (scales[i]));
    __m512 v = _mm512_fmadd_ps (sum, channel_scale, bias);
    v = _mm512_min_ps (vmax, _mm512_max_ps (vmin, v));
    const size_t at = (size_t) i * c_stride;
    if (residual)
      v = _mm512_add_ps (v, _mm512_maskz_loadu_ps (mask, residual + at));
    _mm512_mask_storeu_ps (c + at, mask, v);
  }
}

void
mn_f32_gemm_sliced_amx (int m, int n, int k, int n_begin, int n_end, const float *a,
                        size_t a_stride, const void *packed, float *c, size_t c_stride,
                        const float *residual, float out_min, float out_max)
{
  if (n_end > n)
    n_end = n;
  /* k past MN_F32_SLICE_K_MAX is never packed so (mn_f32_gemm_sliced_suits) */
  if (m <= 0 || n_begin >= n_end || k <= 0 || k > MN_F32_SLICE_K_MAX)
    return;
  const int kp = (k + KB - 1) / KB * KB;
  const size_t pb = mn_f32_gemm_sliced_packed_size (NR, k);
  int8_t planes[PLANE_BYTES] __attribute__ ((aligned (64)));
  int32_t acc[3 * BLOCK_ROWS * NR] __attribute__ ((aligned (64)));
  float scales[GROUP_MAX];
  /* whole tiles of rows, as many as the planes hold */
  const int group = (int) (PLANE_BYTES / (3 * (size_t) kp)) / TILE_ROWS * TILE_ROWS;
  configure ();
  for (int g0 = 0; g0 < m; g0 += group) {
    const int g_rows = m - g0 < group ? m - g0 : group;
    const int tile_rows = (g_rows + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS;
    const size_t plane = (size_t) tile_rows * (size_t) kp;
    slice_rows (g_rows, tile_rows, k, kp, a + (size_t) g0 * a_stride, a_stride, planes, plane,
                scales);
    /* a block's planes that stay in L1 serve every panel in turn;
     * otherwise a panel's weights serve every block */
    const bool blocks_outer = 3 * BLOCK_ROWS * (size_t) kp <= L1_PLANES_BYTES;
    const int n_panels = (n_end - n_begin + NR - 1) / NR;
    const int n_blocks = (g_rows + BLOCK_ROWS - 1) / BLOCK_ROWS;
    for (int outer = 0; outer < (blocks_outer ? n_blocks : n_panels); outer++)
      for (int inner = 0; inner < (blocks_outer ? n_panels : n_blocks); inner++) {
        const int n0 = n_begin + (blocks_outer ? inner : outer) * NR;
        const int m0 = (blocks_outer ? outer : inner) * BLOCK_ROWS;
        const uint8_t *panel = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
        const uint8_t *w = panel + 2 * NR * sizeof (float);
        const int nc = n_end - n0 < NR ? n_end - n0 : NR;
        const int rows = g_rows - m0 < BLOCK_ROWS ? g_rows - m0 : BLOCK_ROWS;
        const int8_t *pl = planes + (size_t) m0 * (size_t) kp;
        if (rows > TILE_ROWS)
          block (2, kp, pl, plane, w, acc);
        else
          block (1, kp, pl, plane, w, acc);
        const size_t at = (size_t) (g0 + m0) * c_stride + (size_t) n0;
        finish (rows, nc, acc, scales + m0, (const float *) panel, c + at, c_stride,
                residual ? residual + at : NULL, out_min, out_max);
      }
  }
  _tile_release ();
}
