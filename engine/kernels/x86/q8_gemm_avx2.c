/* q8_gemm_avx2.c: quantised (uint8 domain) GEMM, AVX2 twin of
 * q8_gemm_c.c, same packed layout (panels of 8 channels: 8 int32 biases
 * with the zero points folded in, then pairs of int16 (w - w_zp)).
 *
 * A block of rows is widened once to int16 on the stack.  The micro-kernel
 * then computes R rows x np panels (np up to 4, 32 channels): per pair of
 * k, the pair (A[i][2g], A[i][2g + 1]) of each row as int16 in all 8
 * dwords of a vector (one vpbroadcastd from the block), vpmaddwd against
 * each panel's weight pairs, vpaddd into int32 accumulators.  On this Zen 3
 * vpmaddwd alone issues two a cycle but vpmaddwd + vpaddd pairs only 1.5
 * (they share vector pipes, as the broadcasts do), so a tile wants as many
 * multiplies per broadcast as 16 registers allow: 3 rows x 4 panels (12
 * accumulators, 4 weight vectors), 4 rows when 1 or 2 panels are left.
 * Against the 4 rows x 2 panels tile it replaced (same process, kernels
 * alternating, fastest of 200 runs): 4 % less time summed over V2's 1x1
 * shapes; 6-10 % less on the expansions (ReLU6, k <= 160); the projections
 * unchanged, already at about 75 GMAC/s, the pipes' limit; 4 % more at
 * 12544 x 16 x 32 (2 panels either way).
 * Pre-broadcasting each pair into a 32-byte vector per tile
 * (a vpermd and a store per pair, then plain loads) was measured slower at
 * every MobileNet shape, by 4-17 % at k <= 96 and 10-20 % above.
 * Products are at most 255 * 255, so the sums are exactly the C twin's int32
 * sums (the wrapping of the bias fold included).  Requantisation is
 * q8_requant_avx2.h, bit-exact with requant.h. */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "x86/q8_avx2.h"
#include "x86/q8_requant_avx2.h"
#include "x86/unroll.h"

#define NR MN_Q8_GEMM_NR     /* 8 channels a panel */
#define NP_MAX 4             /* panels a tile */
#define R_MAX 4              /* rows a tile */
#define ACC_MAX 12           /* accumulators a tile (rows x panels) */
/* int16: 64 KiB of widened activations.  The rows of a block are
 * multiplied by every weight panel of the call, so each block streams the
 * layer's weights once more: with 16 KiB the 7x7 layers (49 rows, up to
 * 800 KB of weights) took 2-7 blocks; now 1-3.  In the network (per step,
 * fastest of 600 runs) the 1x1 layers took 1.8 % less time, the 7x7 ones
 * 2-5 % (a 32 KiB block: 1.3 %). */
#define ABUF_ELEMS 32768
#define KC_MAX 2048          /* deepest k widened whole: blocks of 16 rows or more */

/* Rows a tile of np panels: np * rows accumulators (a row-major array of
 * at most ACC_MAX), np weight vectors, a broadcast and a product within 16
 * registers.  4 x 3 panels fits too, but with it in the function GCC
 * spilled accumulators of the other tiles (projections 30-45 % slower). */
#define ROWS_FOR_PANELS(np) ((np) >= 3 ? 3 : 4)

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

static size_t
panel_bytes (int k)
{
  return NR * sizeof (int32_t) + (((size_t) k + 1) / 2) * NR * 2 * sizeof (int16_t);
}

/* A[r][k0, k1) of rows rows -> int16 rows of dst (stride dst_stride), the
 * odd tail of the last pair zeroed. */
static void
widen_rows (int rows, const uint8_t *a, size_t a_stride, int k0, int k1, int16_t *dst,
            size_t dst_stride)
{
  for (int r = 0; r < rows; r++) {
    const uint8_t *s = a + (size_t) r * a_stride + k0;
    int16_t *d = dst + (size_t) r * dst_stride;
    const int n = k1 - k0;
    int i = 0;
    for (; i + 16 <= n; i += 16)
      _mm256_storeu_si256 ((__m256i *) (d + i),
                           _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (s + i))));
    for (; i + 8 <= n; i += 8)
      _mm_storeu_si128 ((__m128i *) (d + i),
                        _mm_cvtepu8_epi16 (_mm_loadl_epi64 ((const __m128i *) (s + i))));
    for (; i < n; i++)
      d[i] = s[i];
    if (n & 1)
      d[n] = 0;
  }
}

static ALWAYS_INLINE __m256i
bcast_pair (const int16_t *p)
{
  int32_t v;
  memcpy (&v, p, sizeof v);
  return _mm256_set1_epi32 (v);
}

/* acc[i][j] += sum over groups of row i's pairs x panel j's weight pairs
 * (panel j at w0 + j * panel_elems); mr, np are compile-time constants at
 * every call, so the fully unrolled loops keep acc in registers. */
static ALWAYS_INLINE void
ukernel (const int mr, const int np, int groups, const int16_t *ab, size_t ab_stride,
         const int16_t *w0, size_t panel_elems, __m256i acc[ACC_MAX])
{
  /* the loop works on a local copy, values nothing else can reach */
  __m256i c[ACC_MAX];
MN_UNROLL_ALL (12)
  for (int i = 0; i < mr * np; i++)
    c[i] = acc[i];
  for (const int16_t *ae = ab + 2 * (size_t) groups; ab < ae; ab += 2, w0 += 2 * NR) {
    __m256i w[NP_MAX];
MN_UNROLL_ALL (4)
    for (int j = 0; j < np; j++)
      w[j] = _mm256_loadu_si256 ((const __m256i *) (w0 + j * panel_elems));
MN_UNROLL_ALL (8)
    for (int i = 0; i < mr; i++) {
      const __m256i x = bcast_pair (ab + i * ab_stride);
MN_UNROLL_ALL (4)
      for (int j = 0; j < np; j++)
        c[i * np + j] = _mm256_add_epi32 (c[i * np + j], _mm256_madd_epi16 (x, w[j]));
    }
  }
MN_UNROLL_ALL (12)
  for (int i = 0; i < mr * np; i++)
    acc[i] = c[i];
}

/* Requantise, narrow and store mr rows of nc (<= 8 * np) channels: a row
 * of 3 or 4 panels in one narrowing, rows of 1 or 2 panels in pairs. */
static ALWAYS_INLINE void
store_rows (const mn_q8_rq_mode mode, const int mr, const int np, __m256i acc[ACC_MAX],
            const mn_q8_rq8 *q, const mn_requant *rq, uint8_t *c, size_t c_stride, int nc)
{
  /* The requantisation constants are read here, after a compiler barrier
   * that q and rq escape to: hoisted out of the tile loops (SRA'd into
   * registers) they held registers across the micro-kernel's loop, which
   * then parked accumulators on the stack (the 1x1 layers without
   * activation ran 20-40 % slower). */
  __asm__ volatile ("" : : "r" (q), "r" (rq) : "memory");
  const __m256i zp = _mm256_set1_epi32 (rq->out_zero_point);
  const __m256i lo = _mm256_set1_epi8 ((char) rq->out_min);
  const __m256i hi = _mm256_set1_epi8 ((char) rq->out_max);

  if (np >= 3) {
MN_UNROLL_ALL (4)
    for (int i = 0; i < mr; i++) {
      __m256i r[NP_MAX];
MN_UNROLL_ALL (4)
      for (int j = 0; j < np; j++)
        r[j] = mn_q8_requant8 (mode, acc[i * np + j], &q[j], zp);
      /* "two rows" of 16: channels 0-15 and 16-31 */
      const __m256i u = mn_q8_narrow2x16 (r[0], r[1], r[2], np > 3 ? r[3] : r[2], lo, hi);
      mn_q8_store_bytes (c + (size_t) i * c_stride, u, nc);
    }
    return;
  }
MN_UNROLL_ALL (2)
  for (int i = 0; i < mr; i += 2) {
    const int i1 = i + 1 < mr ? i + 1 : i;
    const __m256i a0 = mn_q8_requant8 (mode, acc[i * np], &q[0], zp);
    const __m256i a1 = np > 1 ? mn_q8_requant8 (mode, acc[i * np + 1], &q[1], zp) : a0;
    const __m256i b0 = i1 != i ? mn_q8_requant8 (mode, acc[i1 * np], &q[0], zp) : a0;
    const __m256i b1 = i1 != i && np > 1 ? mn_q8_requant8 (mode, acc[i1 * np + 1], &q[1], zp) : b0;
    const __m256i u = mn_q8_narrow2x16 (a0, a1, b0, b1, lo, hi);
    uint8_t *d = c + (size_t) i * c_stride;
    mn_q8_store_bytes (d, _mm256_castsi128_si256 (_mm256_castsi256_si128 (u)), nc);
    if (i1 != i)
      mn_q8_store_bytes (d + c_stride, _mm256_castsi128_si256 (_mm256_extracti128_si256 (u, 1)),
                         nc);
  }
}

/* mr rows x np panels from panel pointer p0, rows widened in ab. */
static ALWAYS_INLINE void
tile (const mn_q8_rq_mode mode, const int mr, const int np, int k, const int16_t *ab,
      size_t ab_stride, const uint8_t *p0, size_t pb, const mn_q8_rq8 *q, const mn_requant *rq,
      uint8_t *c, size_t c_stride, int nc)
{
  __m256i acc[ACC_MAX];

MN_UNROLL_ALL (4)
  for (int j = 0; j < np; j++) {
    const __m256i bias = _mm256_loadu_si256 ((const __m256i *) (p0 + (size_t) j * pb));
MN_UNROLL_ALL (8)
    for (int i = 0; i < mr; i++)
      acc[i * np + j] = bias;
  }
  ukernel (mr, np, (k + 1) / 2, ab, ab_stride, (const int16_t *) (p0 + NR * sizeof (int32_t)),
           pb / sizeof (int16_t), acc);
  store_rows (mode, mr, np, acc, q, rq, c, c_stride, nc);
}

/* Rows [0, rows) of one block in tiles of np panels, nc channels (a
 * compile-time constant where nc is a whole number of panels). */
static ALWAYS_INLINE void
tiles (const mn_q8_rq_mode mode, const int np, int rows, int k, const int16_t *ab, size_t ab_stride,
       const uint8_t *p0, size_t pb, const mn_q8_rq8 *q, const mn_requant *rq, uint8_t *c,
       size_t c_stride, int nc)
{
  const int r = ROWS_FOR_PANELS (np);
  for (int i = 0; i < rows; i += r) {
    const int16_t *abi = ab + (size_t) i * ab_stride;
    uint8_t *ci = c + (size_t) i * c_stride;
    /* each case a compile-time row count; those above r are never taken */
#define MN_TILE(MR) \
  tile (mode, (MR) <= r ? (MR) : 1, np, k, abi, ab_stride, p0, pb, q, rq, ci, c_stride, nc)
    switch (rows - i < r ? rows - i : r) {
      case 4: MN_TILE (4); break;
      case 3: MN_TILE (3); break;
      case 2: MN_TILE (2); break;
      default: MN_TILE (1); break;
    }
#undef MN_TILE
  }
}

/* Channels [n_begin, n_end) of rows [0, m) a row at a time, k in chunks of
 * KC_MAX widened into buf: layers too deep for a block of widened rows
 * (none in MobileNet).  Its own function: with this chunk loop beside the
 * tiles, GCC parks every tile's accumulators on the stack. */
static __attribute__ ((noinline)) void
gemm_deep (const mn_q8_rq_mode mode, int m, int k, int n_begin, int n_end, const uint8_t *a,
           size_t a_stride, const void *packed, uint8_t *c, size_t c_stride, const mn_requant *rq,
           int16_t *buf)
{
  const size_t pb = panel_bytes (k);

  for (int n0 = n_begin; n0 < n_end; n0 += 2 * NR) {
    const uint8_t *p0 = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
    const int nc = n_end - n0 < 2 * NR ? n_end - n0 : 2 * NR;
    mn_q8_rq8 q[2];
    mn_q8_rq8_load (&q[0], rq, n0, nc < NR ? nc : NR);
    q[1] = q[0];
    if (nc > NR)
      mn_q8_rq8_load (&q[1], rq, n0 + NR, nc - NR);
    for (int i = 0; i < m; i++) {
      __m256i acc[ACC_MAX];
      acc[0] = _mm256_loadu_si256 ((const __m256i *) p0);
      acc[1] = nc > NR ? _mm256_loadu_si256 ((const __m256i *) (p0 + pb)) : acc[0];
      for (int k0 = 0; k0 < k; k0 += KC_MAX) {
        const int k1 = k - k0 < KC_MAX ? k : k0 + KC_MAX;
        const int16_t *w0 = (const int16_t *) (p0 + NR * sizeof (int32_t)) + (size_t) k0 * NR;
        widen_rows (1, a + (size_t) i * a_stride, a_stride, k0, k1, buf, KC_MAX);
        if (nc > NR)
          ukernel (1, 2, (k1 - k0 + 1) / 2, buf, KC_MAX, w0, pb / sizeof (int16_t), acc);
        else   /* the last panel: no second one to read */
          ukernel (1, 1, (k1 - k0 + 1) / 2, buf, KC_MAX, w0, pb / sizeof (int16_t), acc);
      }
      store_rows (mode, 1, 2, acc, q, rq, c + (size_t) i * c_stride + n0, c_stride, nc);
    }
  }
}

static ALWAYS_INLINE void
gemm_body (const mn_q8_rq_mode mode, int m, int k, int n_begin, int n_end, const uint8_t *a,
           size_t a_stride, const void *packed, uint8_t *c, size_t c_stride, const mn_requant *rq)
{
  int16_t abuf[ABUF_ELEMS] __attribute__ ((aligned (32)));
  const size_t pb = panel_bytes (k);
  /* widened row stride (even, so pairs stay 4-byte aligned) and block
   * rows, a multiple of both tile heights (3 and 4) when the block has room */
  const size_t kpad = ((size_t) k + 15) & ~(size_t) 15;
  int mb = (int) (ABUF_ELEMS / kpad);

  if (k > KC_MAX) {
    gemm_deep (mode, m, k, n_begin, n_end, a, a_stride, packed, c, c_stride, rq, abuf);
    return;
  }
  if (mb >= 12)
    mb = mb / 12 * 12;
  for (int m0 = 0; m0 < m; m0 += mb) {
    const int rows = m - m0 < mb ? m - m0 : mb;
    widen_rows (rows, a + (size_t) m0 * a_stride, a_stride, 0, k, abuf, kpad);

    for (int n0 = n_begin; n0 < n_end; n0 += NP_MAX * NR) {
      const uint8_t *p0 = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
      const int nc = n_end - n0 < NP_MAX * NR ? n_end - n0 : NP_MAX * NR;
      uint8_t *cb = c + (size_t) m0 * c_stride + n0;
      mn_q8_rq8 q[NP_MAX];
      for (int j = 0; j * NR < nc; j++)
        mn_q8_rq8_load (&q[j], rq, n0 + j * NR, nc - j * NR < NR ? nc - j * NR : NR);

      /* np panels; a constant channel count when they are whole, so the
       * stores are too */
#define MN_TILES(NP)                                                                          \
  do {                                                                                        \
    if (nc == (NP) * NR)                                                                      \
      tiles (mode, NP, rows, k, abuf, kpad, p0, pb, q, rq, cb, c_stride, (NP) * NR);          \
    else                                                                                      \
      tiles (mode, NP, rows, k, abuf, kpad, p0, pb, q, rq, cb, c_stride, nc);                 \
  } while (0)
      switch ((nc + NR - 1) / NR) {
        case 4: MN_TILES (4); break;
        case 3: MN_TILES (3); break;
        case 2: MN_TILES (2); break;
        default: MN_TILES (1);
      }
#undef MN_TILES
    }
  }
}

void
mn_q8_gemm_avx2 (int m, int n, int k, int n_begin, int n_end, const uint8_t *a,
                 size_t a_stride, const void *packed, uint8_t *c, size_t c_stride,
                 const mn_requant *rq)
{
  if (n_end > n)
    n_end = n;
  if (m <= 0 || n_begin >= n_end || k <= 0)
    return;
  switch (mn_q8_rq_mode_of (rq, n_begin, n_end)) {
    case MN_Q8_RQ_GENERAL:
      gemm_body (MN_Q8_RQ_GENERAL, m, k, n_begin, n_end, a, a_stride, packed, c, c_stride, rq);
      break;
    case MN_Q8_RQ_CLAMPED:
      gemm_body (MN_Q8_RQ_CLAMPED, m, k, n_begin, n_end, a, a_stride, packed, c, c_stride, rq);
      break;
    default:
      gemm_body (MN_Q8_RQ_PLAIN, m, k, n_begin, n_end, a, a_stride, packed, c, c_stride, rq);
  }
}
