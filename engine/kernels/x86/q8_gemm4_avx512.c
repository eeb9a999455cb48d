/* q8_gemm4_avx512.c: the q8 GEMM on byte quads, AVX-512 VNNI twin of
 * q8_gemm4_c.c, same packed layout (panels of 16 channels: 16 int32 biases,
 * 16 int32 coefficients 128 - w_zp, then groups of 4 k of 16 x 4 int8
 * weights W - 128).
 *
 * One vpdpbusd multiplies the 4 activation bytes of a row at k .. k + 3
 * (unsigned, broadcast to every lane) by a group of 16 channels' 4 signed
 * weight bytes and adds the 4 products into the channels' int32
 * accumulators: 64 multiply-adds an instruction, 4 times what the AVX2
 * twin's vpmaddwd + vpaddd pair does, with no widening of the activations.
 * Products are at most 255 * 128 and are summed exactly (no saturation),
 * so the sums are the C twin's modulo 2^32.
 *
 * A tile is up to 6 rows x 4 panels (64 channels, 24 zmm accumulators of
 * the 32 registers), 8 rows x 3 or 12 rows x 1-2, rows cut into tiles of
 * equal height (x86/row_tiles.h).  Models with uint8 weights
 * (w_zp not 128) need each row's sum of activations: computed once a
 * block of rows (vpsadbw) and put into the accumulators' starting values,
 * bias + (128 - w_zp) * sum.  Requantisation is q8_requant_avx2.h's on 16
 * lanes (q8_requant_avx512.h), bit-exact with requant.h. */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "x86/q8_gemm4_avx512.h"
#include "x86/q8_requant_avx512.h"
#include "x86/row_tiles.h"
#include "x86/unroll.h"

#define NR MN_Q8_GEMM4_NR    /* 16 channels a panel, one zmm */
#define NP_MAX 4             /* panels a tile */
#define ACC_MAX 24           /* accumulators a tile */
#define MR_MAX 12            /* rows a tile */
#define BLOCK_ROWS 256       /* rows whose sums are kept at once */

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* Rows a tile of np panels: np * rows <= ACC_MAX. */
static ALWAYS_INLINE int
rows_for_panels (int np)
{
  return np >= 4 ? 6 : np == 3 ? 8 : MR_MAX;
}

static ALWAYS_INLINE __m512i
bcast_quad (const uint8_t *p)
{
  int32_t v;
  memcpy (&v, p, sizeof v);
  return _mm512_set1_epi32 (v);
}

/* The last k % 4 bytes of a row (tail > 0), the rest zero: no read past k. */
static ALWAYS_INLINE __m512i
bcast_tail (const uint8_t *p, int tail)
{
  int32_t v = 0;
  memcpy (&v, p, (size_t) tail);
  return _mm512_set1_epi32 (v);
}

void
mn_q8_gemm4_avx512_row_sums (int rows, int k, const uint8_t *a, size_t a_stride, int32_t *sums)
{
  const __m512i zero = _mm512_setzero_si512 ();
  for (int r = 0; r < rows; r++) {
    const uint8_t *s = a + (size_t) r * a_stride;
    __m512i acc = zero;
    int i = 0;
    for (; i + 64 <= k; i += 64)
      acc = _mm512_add_epi64 (acc, _mm512_sad_epu8 (_mm512_loadu_si512 (s + i), zero));
    if (i < k) {
      const __mmask64 live = (1ull << (k - i)) - 1;   /* k - i < 64 */
      acc = _mm512_add_epi64 (acc, _mm512_sad_epu8 (_mm512_maskz_loadu_epi8 (live, s + i), zero));
    }
    sums[r] = (int32_t) _mm512_reduce_add_epi64 (acc);
  }
}

/* acc[i][j] += row i's quads x panel j's weight groups over k; mr, np are
 * compile-time constants at every call.  The loops run to the largest
 * counts, guarded: clang simplifies an inline function on its own before
 * inlining it, and there unrolled the loops over a variable np by 2 or 4,
 * which then stayed loops with the accumulators in memory where np is 4
 * (built with clang, TF2 int8 took twice GCC's time); a loop of constant
 * count unrolls completely either way. */
static ALWAYS_INLINE void
ukernel (const int mr, const int np, int k, const uint8_t *a, size_t a_stride, const int8_t *w0,
         size_t pb, __m512i acc[ACC_MAX])
{
  __m512i cc[ACC_MAX];
  const int quads = k / 4, tail = k % 4;
  const int8_t *w = w0;

MN_UNROLL_ALL (24)
  for (int i = 0; i < ACC_MAX; i++)
    if (i < mr * np)
      cc[i] = acc[i];
  for (int g = 0; g < quads; g++, w += 4 * NR) {
    __m512i wv[NP_MAX];
MN_UNROLL_ALL (4)
    for (int j = 0; j < NP_MAX; j++)
      if (j < np)
        wv[j] = _mm512_loadu_si512 (w + (size_t) j * pb);
MN_UNROLL_ALL (12)
    for (int i = 0; i < MR_MAX; i++) {
      if (i >= mr)
        break;
      const __m512i x = bcast_quad (a + (size_t) i * a_stride + 4 * (size_t) g);
MN_UNROLL_ALL (4)
      for (int j = 0; j < NP_MAX; j++)
        if (j < np)
          cc[i * np + j] = _mm512_dpbusd_epi32 (cc[i * np + j], x, wv[j]);
    }
  }
  if (tail) {
MN_UNROLL_ALL (12)
    for (int i = 0; i < MR_MAX; i++) {
      if (i >= mr)
        break;
      const __m512i x = bcast_tail (a + (size_t) i * a_stride + 4 * (size_t) quads, tail);
MN_UNROLL_ALL (4)
      for (int j = 0; j < NP_MAX; j++)
        if (j < np)
          cc[i * np + j] =
              _mm512_dpbusd_epi32 (cc[i * np + j], x, _mm512_loadu_si512 (w + (size_t) j * pb));
    }
  }
MN_UNROLL_ALL (24)
  for (int i = 0; i < ACC_MAX; i++)
    if (i < mr * np)
      acc[i] = cc[i];
}

/* Requantise, narrow, clamp and store rows x np accumulators from acc (row
 * major), nc channels; a row of 4 panels as one vector (two vpackssdw, a
 * vpackuswb, a vpermd and one store instead of four vpmovusdb and four
 * stores: V2's 8-bit networks in 0.98 of the time).  Its own function for
 * each mode, reading the
 * accumulators from memory: inlined after the micro-kernel, the 16-lane
 * constants (10 vectors a panel) and temporaries left GCC too few
 * registers for the loop's 24 accumulators, which it then spilled and
 * shuffled inside the loop (the 1x1 layers with k above 100 up to 1.7
 * times slower). */
static ALWAYS_INLINE void
store_rows (const mn_q8_rq_mode mode, int rows, int np, const __m512i *acc, const mn_q8_rq16 *q,
            const mn_requant *rq, uint8_t *c, size_t c_stride, int nc)
{
  const __m512i zp = _mm512_set1_epi32 (rq->out_zero_point);
  const __m128i lo = _mm_set1_epi8 ((char) rq->out_min);
  const __m128i hi = _mm_set1_epi8 ((char) rq->out_max);
  const __m512i zero = _mm512_setzero_si512 ();

  if (np == NP_MAX) {
    /* a row's 64 channels narrowed together: the packs leave dword 4 L + j
     * holding panel j's channels 4 L .. 4 L + 3 (mn_q8_pack64 ()); one
     * permutation puts them back in order */
    const __m512i order = _mm512_setr_epi32 (0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i lo64 = _mm512_broadcast_i32x4 (lo), hi64 = _mm512_broadcast_i32x4 (hi);
    const __mmask64 mask = nc >= NP_MAX * NR ? ~(__mmask64) 0 : ((__mmask64) 1 << nc) - 1;
    for (int i = 0; i < rows; i++) {
      const __m512i *ai = acc + (size_t) i * NP_MAX;
      const __m512i u = mn_q8_pack64 (
          mn_q8_requant16 (mode, ai[0], &q[0], zp), mn_q8_requant16 (mode, ai[1], &q[1], zp),
          mn_q8_requant16 (mode, ai[2], &q[2], zp), mn_q8_requant16 (mode, ai[3], &q[3], zp),
          lo64, hi64);
      _mm512_mask_storeu_epi8 (c + (size_t) i * c_stride, mask,
                               _mm512_permutexvar_epi32 (order, u));
    }
    return;
  }
  for (int j = 0; j < np; j++) {
    const int live = nc - j * NR;
    const __mmask16 mask = live >= NR ? (__mmask16) 0xffff : (__mmask16) ((1u << live) - 1u);
    for (int i = 0; i < rows; i++) {
      /* negative to 0, above 255 to 255: the pairs twin's saturating packs */
      const __m512i r = _mm512_max_epi32 (mn_q8_requant16 (mode, acc[i * np + j], &q[j], zp), zero);
      const __m128i b = _mm_min_epu8 (_mm_max_epu8 (_mm512_cvtusepi32_epi8 (r), lo), hi);
      _mm_mask_storeu_epi8 (c + (size_t) i * c_stride + j * NR, mask, b);
    }
  }
}

#define MN_STORE_FN(MODE)                                                                       \
  static __attribute__ ((noinline)) void store_##MODE (int rows, int np, const __m512i *acc,    \
                                                       const mn_q8_rq16 *q,                     \
                                                       const mn_requant *rq, uint8_t *c,        \
                                                       size_t c_stride, int nc)                 \
  {                                                                                             \
    store_rows (MN_Q8_RQ_##MODE, rows, np, acc, q, rq, c, c_stride, nc);                        \
  }
MN_STORE_FN (PLAIN)
MN_STORE_FN (GENERAL)
MN_STORE_FN (CLAMPED)
#undef MN_STORE_FN

/* mr rows x np panels from panel p0; sums: the rows' byte sums, or NULL
 * when every coefficient is zero. */
static ALWAYS_INLINE void
tile (const mn_q8_rq_mode mode, const int mr, const int np, int k, const uint8_t *a,
      size_t a_stride, const int32_t *sums, const uint8_t *p0, size_t pb, const mn_q8_rq16 *q,
      const mn_requant *rq, uint8_t *c, size_t c_stride, int nc)
{
  __m512i acc[ACC_MAX];

MN_UNROLL_ALL (4)
  for (int j = 0; j < NP_MAX; j++) {
    if (j >= np)
      break;
    const int32_t *pj = (const int32_t *) (p0 + (size_t) j * pb);
    const __m512i bias = _mm512_loadu_si512 (pj);
    if (sums) {
      const __m512i coef = _mm512_loadu_si512 (pj + NR);
MN_UNROLL_ALL (12)
      for (int i = 0; i < MR_MAX; i++)
        if (i < mr)
          acc[i * np + j] =
              _mm512_add_epi32 (bias, _mm512_mullo_epi32 (coef, _mm512_set1_epi32 (sums[i])));
    } else {
MN_UNROLL_ALL (12)
      for (int i = 0; i < MR_MAX; i++)
        if (i < mr)
          acc[i * np + j] = bias;
    }
  }
  ukernel (mr, np, k, a, a_stride, (const int8_t *) (p0 + 2 * NR * sizeof (int32_t)), pb, acc);
  __m512i out[ACC_MAX];
MN_UNROLL_ALL (24)
  for (int i = 0; i < ACC_MAX; i++)
    if (i < mr * np)
      _mm512_store_si512 (&out[i], acc[i]);
  (mode == MN_Q8_RQ_GENERAL ? store_GENERAL : mode == MN_Q8_RQ_CLAMPED ? store_CLAMPED
                                                                         : store_PLAIN) (
      mr, np, out, q, rq, c, c_stride, nc);
}

/* Rows [0, rows) in tiles of equal height, np panels. */
static ALWAYS_INLINE void
tiles (const mn_q8_rq_mode mode, const int np, int rows, int k, const uint8_t *a,
       size_t a_stride, const int32_t *sums, const uint8_t *p0, size_t pb, const mn_q8_rq16 *q,
       const mn_requant *rq, uint8_t *c, size_t c_stride, int nc)
{
  const int r_max = rows_for_panels (np);
  const int count = mn_row_tile_count (rows, r_max);
  for (int t = 0, i = 0; t < count; t++) {
    const int mr = mn_row_tile_height (rows, count, t);
    const uint8_t *at = a + (size_t) i * a_stride;
    const int32_t *st = sums ? sums + i : NULL;
    uint8_t *ct = c + (size_t) i * c_stride;
    /* each case a compile-time row count; those above r_max never taken */
#define MN_TILE(MR) \
  tile (mode, (MR) <= r_max ? (MR) : 1, np, k, at, a_stride, st, p0, pb, q, rq, ct, c_stride, nc)
    MN_SWITCH_ROWS_1_TO_12 (mr, MN_TILE)
#undef MN_TILE
    i += mr;
  }
}

/* tiles () for one requantisation mode and panel count, each its own
 * function: with all twelve inlined into one, GCC's register allocation
 * also spilled weights and accumulators inside the micro-kernels' loops. */
typedef void (*tiles_fn) (int rows, int k, const uint8_t *a, size_t a_stride, const int32_t *sums,
                          const uint8_t *p0, size_t pb, const mn_q8_rq16 *q, const mn_requant *rq,
                          uint8_t *c, size_t c_stride, int nc);
#define MN_TILES_FN(MODE, NP)                                                                   \
  static __attribute__ ((noinline)) void tiles_##MODE##_##NP (                                 \
      int rows, int k, const uint8_t *a, size_t a_stride, const int32_t *sums,                 \
      const uint8_t *p0, size_t pb, const mn_q8_rq16 *q, const mn_requant *rq, uint8_t *c,     \
      size_t c_stride, int nc)                                                                 \
  {                                                                                            \
    tiles (MN_Q8_RQ_##MODE, NP, rows, k, a, a_stride, sums, p0, pb, q, rq, c, c_stride, nc);   \
  }
MN_TILES_FN (PLAIN, 1) MN_TILES_FN (PLAIN, 2) MN_TILES_FN (PLAIN, 3) MN_TILES_FN (PLAIN, 4)
MN_TILES_FN (GENERAL, 1) MN_TILES_FN (GENERAL, 2) MN_TILES_FN (GENERAL, 3)
MN_TILES_FN (GENERAL, 4)
MN_TILES_FN (CLAMPED, 1) MN_TILES_FN (CLAMPED, 2) MN_TILES_FN (CLAMPED, 3)
MN_TILES_FN (CLAMPED, 4)
#undef MN_TILES_FN

bool
mn_q8_gemm4_needs_row_sums (int k, int n_begin, int n_end, const void *packed)
{
  /* a panel's 16 coefficients are one vector: int8 per-channel models
   * (all zero) have every panel read on every call, 1,060 in TF2 V2 */
  const size_t pb = mn_q8_gemm4_panel_bytes (k);
  for (int n0 = n_begin; n0 < n_end; n0 += NR) {
    const uint8_t *panel = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
    const __m512i coef = _mm512_loadu_si512 (panel + NR * sizeof (int32_t));
    if (_mm512_test_epi32_mask (coef, coef))
      return true;
  }
  return false;
}

/* The 16-lane requantisation of channels [n0, n0 + nc), nc <= NP_MAX * NR. */
static void
load_requant (const mn_requant *rq, int n0, int nc, mn_q8_rq16 q[NP_MAX])
{
  mn_q8_rq8 q8[2 * NP_MAX];
  for (int h = 0; h * 8 < nc; h++)
    mn_q8_rq8_load (&q8[h], rq, n0 + h * 8, nc - h * 8 < 8 ? nc - h * 8 : 8);
  for (int h = (nc + 7) / 8; h < 2 * NP_MAX; h++)
    q8[h] = q8[0];   /* the empty half of a last panel: computed, not stored */
  for (int j = 0; j * NR < nc; j++)
    mn_q8_rq16_join (&q[j], &q8[2 * j], &q8[2 * j + 1]);
}

void
mn_q8_gemm4_avx512_epilogue (mn_q8_gemm4_epilogue *e, const mn_requant *rq, int n0, int nc)
{
  load_requant (rq, n0, nc, e->q);
  e->mode = mn_q8_rq_mode_of (rq, n0, n0 + nc);
  e->nc = nc;
}

void
mn_q8_gemm4_avx512_finish (int rows, int np, __m512i *acc, const int32_t *sums, const uint8_t *p0,
                           size_t pb, const mn_q8_gemm4_epilogue *e, const mn_requant *rq,
                           uint8_t *c, size_t c_stride)
{
  for (int j = 0; j < np; j++) {
    const int32_t *pj = (const int32_t *) (p0 + (size_t) j * pb);
    const __m512i bias = _mm512_loadu_si512 (pj), coef = _mm512_loadu_si512 (pj + NR);
    for (int i = 0; i < rows; i++) {
      __m512i start = bias;
      if (sums)
        start = _mm512_add_epi32 (bias, _mm512_mullo_epi32 (coef, _mm512_set1_epi32 (sums[i])));
      acc[i * np + j] = _mm512_add_epi32 (acc[i * np + j], start);
    }
  }
  (e->mode == MN_Q8_RQ_GENERAL   ? store_GENERAL
   : e->mode == MN_Q8_RQ_CLAMPED ? store_CLAMPED
                                 : store_PLAIN) (rows, np, acc, e->q, rq, c, c_stride, e->nc);
}

static void
gemm_body (const tiles_fn fns[NP_MAX], int m, int k, int n_begin, int n_end, const uint8_t *a,
           size_t a_stride, const void *packed, uint8_t *c, size_t c_stride, const mn_requant *rq)
{
  int32_t sums[BLOCK_ROWS];
  const size_t pb = mn_q8_gemm4_panel_bytes (k);
  const bool with_sums = mn_q8_gemm4_needs_row_sums (k, n_begin, n_end, packed);

  for (int m0 = 0; m0 < m; m0 += BLOCK_ROWS) {
    const int rows = m - m0 < BLOCK_ROWS ? m - m0 : BLOCK_ROWS;
    const uint8_t *ab = a + (size_t) m0 * a_stride;
    if (with_sums)
      mn_q8_gemm4_avx512_row_sums (rows, k, ab, a_stride, sums);

    for (int n0 = n_begin; n0 < n_end; n0 += NP_MAX * NR) {
      const uint8_t *p0 = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
      const int nc = n_end - n0 < NP_MAX * NR ? n_end - n0 : NP_MAX * NR;
      uint8_t *cb = c + (size_t) m0 * c_stride + n0;
      mn_q8_rq16 q[NP_MAX];
      load_requant (rq, n0, nc, q);
      fns[(nc + NR - 1) / NR - 1](rows, k, ab, a_stride, with_sums ? sums : NULL, p0, pb, q, rq,
                                  cb, c_stride, nc);
    }
  }
}

void
mn_q8_gemm4_avx512 (int m, int n, int k, int n_begin, int n_end, const uint8_t *a,
                    size_t a_stride, const void *packed, uint8_t *c, size_t c_stride,
                    const mn_requant *rq)
{
  if (n_end > n)
    n_end = n;
  if (m <= 0 || n_begin >= n_end || k <= 0)
    return;
  static const tiles_fn plain[NP_MAX] = { tiles_PLAIN_1, tiles_PLAIN_2, tiles_PLAIN_3,
                                           tiles_PLAIN_4 };
  static const tiles_fn general[NP_MAX] = { tiles_GENERAL_1, tiles_GENERAL_2, tiles_GENERAL_3,
                                             tiles_GENERAL_4 };
  static const tiles_fn clamped[NP_MAX] = { tiles_CLAMPED_1, tiles_CLAMPED_2, tiles_CLAMPED_3,
                                             tiles_CLAMPED_4 };
  const mn_q8_rq_mode mode = mn_q8_rq_mode_of (rq, n_begin, n_end);
  gemm_body (mode == MN_Q8_RQ_GENERAL ? general : mode == MN_Q8_RQ_CLAMPED ? clamped : plain, m, k,
             n_begin, n_end, a, a_stride, packed, c, c_stride, rq);
}
