/* f32_gemm_split_amx.c: float GEMM on split weights with AMX-BF16
 * (Sapphire Rapids and later), the twin of f32_gemm_split_c.c.
 *
 * Each weight is packed as three bfloat16 parts (kernels.h); each block of
 * activation rows is cut into three exact parts too, planes on the stack
 * (split_rows ()).  With a = ah + am + al and w = wh + wm + wl, one
 * TDPBF16PS adds 16 x 16 x 32 products of parts exactly into float sums,
 * and six of the nine part products make the float product (the three
 * dropped, am wl, al wm and al wl, are below 2^-22 of it).  A TDPBF16PS
 * takes about 5 ns whatever its rows (so a tile of 1 row costs one of
 * 16): six of them, 49,152 products, to a step of 32 k of a block, 2.3
 * times AVX-512's FMA rate at best.  Alone on V2's 14x14 and 7x7 layers
 * this ran in 0.65-0.85 of the AVX-512 twin's time with the weights in
 * L2, 0.85-0.95 from L3, to within 3e-7 of the products' magnitude (the
 * FMA chain: 2-3e-7).
 *
 * A block is 32 rows x 32 channels (four C tiles, as many as the eight
 * tile registers allow with two A and two B); rows past m in the block's
 * last tile and k past k to the step are zero in the planes and compute
 * nothing that is stored.  The planes of a block take 3 x 32 x k x 2
 * bytes of stack, 192 KiB at MN_F32_SPLIT_K_MAX.  Weights of more than
 * 256 KiB (a 7x7 layer's) leave L2 before the next row block comes to
 * them, so as many row blocks as those 192 KiB hold are split
 * first, and each panel pair's weights serve them all in turn: they
 * stream from L3 once for the group, not once a block (V2's 1280 x 320
 * layer alone: 0.86 of the time; V2 float 0.98-1.0 at 1 thread and
 * 0.96-0.97 at 2).  Smaller weights stay in L2 and the group is one
 * block, whose planes stay in L1.  The sums are stored to the stack, and
 * the epilogue adds the bias, clamps, adds the residual and stores (the
 * last panel's live channels under a mask).  Prefetching the next step's
 * weights was slower. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "x86/amx_tile_config.h"

#define NR MN_F32_GEMM_NR
#define KB MN_F32_SPLIT_KB
#define TILE_ROWS 16
#define BLOCK_ROWS (2 * TILE_ROWS)
#define PART_BYTES (KB / 2 * NR * 2 * sizeof (uint16_t))   /* one B tile */
/* Weights above this many bytes leave L2 between row blocks (below). */
#define GROUP_WEIGHT_BYTES (256 * 1024)

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

void mn_f32_gemm_split_amx (int m, int n, int k, int n_begin, int n_end, const float *a,
                            size_t a_stride, const void *packed, float *c, size_t c_stride,
                            const float *residual, float out_min, float out_max);

/* Tile registers: four C tiles (rows x panels), two A and two B tiles.
 * Macros, not an enum: the intrinsics paste the numbers into the text. */
#define C00 0
#define C01 1
#define C10 2
#define C11 3
#define A0 4
#define A1 5
#define B0 6
#define B1 7

/* Every tile 16 rows of 64 bytes: 16 float sums, 32 bfloat16 k, or 16
 * pairs of k for 16 channels. */
static void
configure (void)
{
  mn_amx_tile_config cfg;
  memset (&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int t = C00; t <= B1; t++) {
    cfg.rows[t] = TILE_ROWS;
    cfg.colsb[t] = 64;
  }
  _tile_loadconfig (&cfg);
}

/* src[j ... j + 15], zero past k. */
static __m512
load_live (int k, int j, const float *src)
{
  const __mmask16 live = k - j >= 16 ? 0xffff : k > j ? (__mmask16) ((1u << (k - j)) - 1) : 0;
  return _mm512_maskz_loadu_ps (live, src + j);
}

/* Rows [0, rows) of a (rows <= BLOCK_ROWS) as three planes of kp
 * bfloat16 a row, hi, mid and lo (kp a multiple of KB); the rows up to
 * the tile and the k past k are zero.  The parts are cut, not rounded: hi
 * is a's top 8 significant bits, mid the next 8 of what is left, lo the
 * rest (8 bits at most, as a has 24), each difference exact in float and
 * each part exact in bfloat16: 16 floats take two bit-ands, two
 * subtractions and one and a half two-register conversions for their
 * three parts, half the instructions of rounding each part (conversions
 * there and back): V2's 14x14 and 7x7 layers alone took 0.95 of the
 * time, 0.86 at k 576 and 96 channels.  The tile products then miss a
 * mid x w lo and a lo x w mid (below 2^-23 and 2^-22 of the product
 * against 2^-24 rounded), well under the float sums' own rounding: the
 * kernel tests see the same worst errors either way. */
static void
split_rows (int rows, int k, int kp, const float *a, size_t a_stride, uint16_t *planes)
{
  const size_t plane = (size_t) BLOCK_ROWS * (size_t) kp;
  const int tile_rows = (rows + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS;
  const __m512i top = _mm512_set1_epi32 ((int) 0xffff0000u);
  for (int i = 0; i < rows; i++) {
    const float *src = a + (size_t) i * a_stride;
    uint16_t *hi = planes + (size_t) i * (size_t) kp;
    for (int j = 0; j < kp; j += 32) {
      const __m512 v0 = load_live (k, j, src), v1 = load_live (k, j + 16, src);
      const __m512 h0 = _mm512_castsi512_ps (_mm512_and_si512 (_mm512_castps_si512 (v0), top));
      const __m512 h1 = _mm512_castsi512_ps (_mm512_and_si512 (_mm512_castps_si512 (v1), top));
      const __m512 r0 = _mm512_sub_ps (v0, h0), r1 = _mm512_sub_ps (v1, h1);
      const __m512 m0 = _mm512_castsi512_ps (_mm512_and_si512 (_mm512_castps_si512 (r0), top));
      const __m512 m1 = _mm512_castsi512_ps (_mm512_and_si512 (_mm512_castps_si512 (r1), top));
      const __m512 l0 = _mm512_sub_ps (r0, m0), l1 = _mm512_sub_ps (r1, m1);
      _mm512_storeu_si512 (hi + j, (__m512i) _mm512_cvtne2ps_pbh (h1, h0));
      _mm512_storeu_si512 (hi + plane + j, (__m512i) _mm512_cvtne2ps_pbh (m1, m0));
      _mm512_storeu_si512 (hi + 2 * plane + j, (__m512i) _mm512_cvtne2ps_pbh (l1, l0));
    }
  }
  for (int p = 0; p < 3 && rows < tile_rows; p++)
    memset (planes + p * plane + (size_t) rows * (size_t) kp, 0,
            (size_t) (tile_rows - rows) * (size_t) kp * sizeof (uint16_t));
}

/* The rows of the 32-row block at m0 of a group of g_rows. */
static int
block_rows (int g_rows, int m0)
{
  return g_rows - m0 < BLOCK_ROWS ? g_rows - m0 : BLOCK_ROWS;
}

/* The tile products of one pair of loaded A and B tiles into the C tiles
 * the block has (rt row tiles x np panels, constants after inlining). */
#define PRODUCTS()                   \
  do {                               \
    _tile_dpbf16ps (C00, A0, B0);    \
    if (np > 1)                      \
      _tile_dpbf16ps (C01, A0, B1);  \
    if (rt > 1)                      \
      _tile_dpbf16ps (C10, A1, B0);  \
    if (rt > 1 && np > 1)            \
      _tile_dpbf16ps (C11, A1, B1);  \
  } while (0)
#define LOAD_A(plane)                                      \
  do {                                                     \
    _tile_loadd (A0, (plane), a_bytes);                    \
    if (rt > 1)                                            \
      _tile_loadd (A1, (plane) + TILE_ROWS * kp, a_bytes); \
  } while (0)
#define LOAD_B(part)                                   \
  do {                                                 \
    _tile_loadd (B0, b0 + (part) * PART_BYTES, 64);    \
    if (np > 1)                                        \
      _tile_loadd (B1, b1 + (part) * PART_BYTES, 64);  \
  } while (0)

/* rt * 16 rows x np panels of sums over all of k into acc (32 x 32
 * floats); planes from split_rows (), p0 the first panel's packing. */
static ALWAYS_INLINE void
block (const int rt, const int np, int kp, const uint16_t *planes, const uint8_t *p0, size_t pb,
       float *acc)
{
  const size_t plane = (size_t) BLOCK_ROWS * (size_t) kp;
  const long a_bytes = (long) kp * (long) sizeof (uint16_t);
  /* no second panel's address past the last panel */
  const uint8_t *w0 = p0 + NR * sizeof (float), *w1 = np > 1 ? w0 + pb : w0;
  _tile_zero (C00);
  if (np > 1)
    _tile_zero (C01);
  if (rt > 1)
    _tile_zero (C10);
  if (rt > 1 && np > 1)
    _tile_zero (C11);
  for (int s = 0; s < kp; s += KB) {
    const size_t step = (size_t) (s / KB) * 3 * PART_BYTES;
    const uint8_t *b0 = w0 + step, *b1 = w1 + step;
    const uint16_t *hi = planes + s, *mid = hi + plane, *lo = mid + plane;
    /* (hi, hi), (hi, mid), (hi, lo), (mid, mid), (mid, hi), (lo, hi):
     * each tile loaded once but B's hi and mid twice */
    LOAD_A (hi);
    LOAD_B (0);
    PRODUCTS ();
    LOAD_B (1);
    PRODUCTS ();
    LOAD_B (2);
    PRODUCTS ();
    LOAD_A (mid);
    LOAD_B (1);
    PRODUCTS ();
    LOAD_B (0);
    PRODUCTS ();
    LOAD_A (lo);
    PRODUCTS ();
  }
  _tile_stored (C00, acc, 2 * NR * sizeof (float));
  if (np > 1)
    _tile_stored (C01, acc + NR, 2 * NR * sizeof (float));
  if (rt > 1)
    _tile_stored (C10, acc + TILE_ROWS * 2 * NR, 2 * NR * sizeof (float));
  if (rt > 1 && np > 1)
    _tile_stored (C11, acc + TILE_ROWS * 2 * NR + NR, 2 * NR * sizeof (float));
}
#undef PRODUCTS
#undef LOAD_A
#undef LOAD_B

/* bias + sums, clamped, plus the residual: rows x nc channels (nc <= 32)
 * from acc to c. */
static void
finish (int rows, int nc, const float *acc, const float *bias, float *c, size_t c_stride,
        const float *residual, float out_min, float out_max)
{
  const __m512 vmin = _mm512_set1_ps (out_min), vmax = _mm512_set1_ps (out_max);
  for (int half = 0; half * NR < nc; half++) {
    const int live = nc - half * NR < NR ? nc - half * NR : NR;
    const __mmask16 mask = (__mmask16) ((1u << live) - 1);
    const __m512 b = _mm512_loadu_ps (bias + half * NR);
    for (int i = 0; i < rows; i++) {
      const size_t at = (size_t) i * c_stride + (size_t) half * NR;
      __m512 v = _mm512_add_ps (b, _mm512_loadu_ps (acc + i * 2 * NR + half * NR));
      v = _mm512_min_ps (vmax, _mm512_max_ps (vmin, v));
      if (residual)
        v = _mm512_add_ps (v, _mm512_maskz_loadu_ps (mask, residual + at));
      _mm512_mask_storeu_ps (c + at, mask, v);
    }
  }
}

void
mn_f32_gemm_split_amx (int m, int n, int k, int n_begin, int n_end, const float *a,
                       size_t a_stride, const void *packed, float *c, size_t c_stride,
                       const float *residual, float out_min, float out_max)
{
  if (n_end > n)
    n_end = n;
  /* k past MN_F32_SPLIT_K_MAX is never packed so (mn_f32_gemm_split_suits):
   * the planes would not fit */
  if (m <= 0 || n_begin >= n_end || k <= 0 || k > MN_F32_SPLIT_K_MAX)
    return;
  const int kp = (k + KB - 1) / KB * KB;
  const size_t pb = mn_f32_gemm_split_packed_size (NR, k);
  uint16_t planes[3 * BLOCK_ROWS * MN_F32_SPLIT_K_MAX];
  float acc[BLOCK_ROWS * 2 * NR], bias[2 * NR];
  const size_t block_planes = (size_t) 3 * BLOCK_ROWS * (size_t) kp;
  const size_t weight_bytes = (size_t) (n_end - n_begin) * (size_t) kp * 3 * sizeof (uint16_t);
  const int group = (weight_bytes > GROUP_WEIGHT_BYTES
                         ? (int) (sizeof planes / sizeof planes[0] / block_planes) : 1)
                    * BLOCK_ROWS;
  configure ();
  for (int g0 = 0; g0 < m; g0 += group) {
    const int g_rows = m - g0 < group ? m - g0 : group;
    for (int m0 = 0; m0 < g_rows; m0 += BLOCK_ROWS)
      split_rows (block_rows (g_rows, m0), k, kp, a + (size_t) (g0 + m0) * a_stride, a_stride,
                  planes + (size_t) (m0 / BLOCK_ROWS) * block_planes);
    for (int n0 = n_begin; n0 < n_end; n0 += 2 * NR) {
      const uint8_t *p0 = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
      const int nc = n_end - n0 < 2 * NR ? n_end - n0 : 2 * NR;
      const int np = nc > NR ? 2 : 1;
      memcpy (bias, p0, NR * sizeof (float));
      if (np > 1)
        memcpy (bias + NR, p0 + pb, NR * sizeof (float));
      for (int m0 = 0; m0 < g_rows; m0 += BLOCK_ROWS) {
        const int rows = block_rows (g_rows, m0);
        const int rt = rows > TILE_ROWS ? 2 : 1;
        const uint16_t *pl = planes + (size_t) (m0 / BLOCK_ROWS) * block_planes;
        if (rt == 2 && np == 2)
          block (2, 2, kp, pl, p0, pb, acc);
        else if (rt == 2)
          block (2, 1, kp, pl, p0, pb, acc);
        else if (np == 2)
          block (1, 2, kp, pl, p0, pb, acc);
        else
          block (1, 1, kp, pl, p0, pb, acc);
        const size_t at = (size_t) (g0 + m0) * c_stride + (size_t) n0;
        finish (rows, nc, acc, bias, c + at, c_stride, residual ? residual + at : NULL, out_min,
                out_max);
      }
    }
  }
  _tile_release ();
}
