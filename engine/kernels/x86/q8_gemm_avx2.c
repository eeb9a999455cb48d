/* q8_gemm_avx2.c: quantised (uint8 domain) GEMM, AVX2 twin of
 * q8_gemm_c.c, same packed layout (panels of 8 channels: 8 int32 biases
 * with the zero points folded in, then pairs of int16 (w - w_zp)).
 *
 * The micro-kernel computes 4 rows x 16 channels (two adjacent panels): per
 * pair of k, the pair (A[i][2g], A[i][2g + 1]) of each row as int16 in all 8
 * dwords of a vector, vpmaddwd against the two panels' weight pairs, vpaddd
 * into int32 accumulators.  Two ways to get the activation vectors:
 *  - up to 4 panels (n range <= 32): rows widened once per call block to
 *    int16 on the stack, one vpbroadcastd per row and pair;
 *  - wider: each pair broadcast once per 4-row tile into a 32-byte vector
 *    (gemm_pre below), so the inner loop only loads (see there).
 * Products are at most 255 * 255, so the sums are exactly the C twin's int32
 * sums (the wrapping of the bias fold included).  Requantisation is
 * q8_requant_avx2.h, bit-exact with requant.h. */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "x86/q8_avx2.h"
#include "x86/q8_requant_avx2.h"

#define NR MN_Q8_GEMM_NR     /* 8 channels a panel */
#define MR 4                 /* rows a micro-kernel */
#define ABUF_ELEMS 8192      /* int16: 16 KiB of widened activations */
#define KC_MAX (ABUF_ELEMS / MR)

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
      _mm_storeu_si128 ((__m128i *) (d + i), _mm_cvtepu8_epi16 (_mm_loadl_epi64 ((const __m128i *) (s + i))));
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

/* acc[i][0..np) += sum over groups of A pairs x weight pairs; mr, np are
 * compile-time constants at every call. */
static ALWAYS_INLINE void
ukernel (const int mr, const int np, int groups, const int16_t *ab, size_t ab_stride,
         const int16_t *w0, const int16_t *w1, __m256i acc[MR][2])
{
  __m256i c00 = acc[0][0], c01 = acc[0][1], c10 = acc[1][0], c11 = acc[1][1];
  __m256i c20 = acc[2][0], c21 = acc[2][1], c30 = acc[3][0], c31 = acc[3][1];
  const int16_t *a0 = ab, *a1 = ab + ab_stride, *a2 = ab + 2 * ab_stride, *a3 = ab + 3 * ab_stride;

  /* Pointer increments, not an index: GCC then keeps the accumulators in
   * place instead of copying them every iteration. */
  for (const int16_t *ae = a0 + 2 * (size_t) groups; a0 < ae;
       a0 += 2, a1 += 2, a2 += 2, a3 += 2, w0 += 2 * NR, w1 += 2 * NR) {
    const __m256i wa = _mm256_loadu_si256 ((const __m256i *) w0);
    __m256i wb = wa;
    if (np > 1)
      wb = _mm256_loadu_si256 ((const __m256i *) w1);
    __m256i x = bcast_pair (a0);
    c00 = _mm256_add_epi32 (c00, _mm256_madd_epi16 (x, wa));
    if (np > 1)
      c01 = _mm256_add_epi32 (c01, _mm256_madd_epi16 (x, wb));
    if (mr > 1) {
      x = bcast_pair (a1);
      c10 = _mm256_add_epi32 (c10, _mm256_madd_epi16 (x, wa));
      if (np > 1)
        c11 = _mm256_add_epi32 (c11, _mm256_madd_epi16 (x, wb));
    }
    if (mr > 2) {
      x = bcast_pair (a2);
      c20 = _mm256_add_epi32 (c20, _mm256_madd_epi16 (x, wa));
      if (np > 1)
        c21 = _mm256_add_epi32 (c21, _mm256_madd_epi16 (x, wb));
    }
    if (mr > 3) {
      x = bcast_pair (a3);
      c30 = _mm256_add_epi32 (c30, _mm256_madd_epi16 (x, wa));
      if (np > 1)
        c31 = _mm256_add_epi32 (c31, _mm256_madd_epi16 (x, wb));
    }
  }
  acc[0][0] = c00, acc[0][1] = c01, acc[1][0] = c10, acc[1][1] = c11;
  acc[2][0] = c20, acc[2][1] = c21, acc[3][0] = c30, acc[3][1] = c31;
}

/* Requantise, narrow and store mr rows of nc (<= 16) channels. */
static ALWAYS_INLINE void
store_rows (const bool general, const int mr, __m256i acc[MR][2], const mn_q8_rq8 *q0, const mn_q8_rq8 *q1, __m256i zp,
            __m256i lo, __m256i hi, uint8_t *c, size_t c_stride, int nc)
{
  /* unrolled: acc then stays in registers instead of being parked on the stack */
#pragma GCC unroll 2
  for (int i = 0; i < mr; i += 2) {
    const __m256i a0 = mn_q8_requant8 (general, acc[i][0], q0, zp);
    const __m256i a1 = nc > 8 ? mn_q8_requant8 (general, acc[i][1], q1, zp) : a0;
    __m256i b0 = a0, b1 = a1;
    if (i + 1 < mr) {
      b0 = mn_q8_requant8 (general, acc[i + 1][0], q0, zp);
      b1 = nc > 8 ? mn_q8_requant8 (general, acc[i + 1][1], q1, zp) : b0;
    }
    const __m256i u = mn_q8_narrow2x16 (a0, a1, b0, b1, lo, hi);
    uint8_t *d = c + (size_t) i * c_stride;
    if (nc == 16) {
      _mm_storeu_si128 ((__m128i *) d, _mm256_castsi256_si128 (u));
      if (i + 1 < mr)
        _mm_storeu_si128 ((__m128i *) (d + c_stride), _mm256_extracti128_si256 (u, 1));
    } else if (nc == 8) {
      _mm_storel_epi64 ((__m128i *) d, _mm256_castsi256_si128 (u));
      if (i + 1 < mr)
        _mm_storel_epi64 ((__m128i *) (d + c_stride), _mm256_extracti128_si256 (u, 1));
    } else {
      uint8_t t[32];
      _mm256_storeu_si256 ((__m256i *) t, u);
      memcpy (d, t, (size_t) nc);
      if (i + 1 < mr)
        memcpy (d + c_stride, t + 16, (size_t) nc);
    }
  }
}

/* mr rows starting at row r0 of the block (widened in ab, or chunked from a
 * when k > KC_MAX), np panels starting at panel pointer p0. */
static ALWAYS_INLINE void
tile (const bool general, const int mr, const int np, int k, const int16_t *ab, size_t ab_stride, const uint8_t *a,
      size_t a_stride, int16_t *chunk_buf, const uint8_t *p0, size_t pb, const mn_q8_rq8 *q0,
      const mn_q8_rq8 *q1, __m256i zp, __m256i lo, __m256i hi, uint8_t *c, size_t c_stride, int nc)
{
  const int32_t *b0 = (const int32_t *) p0;
  const int32_t *b1 = np > 1 ? (const int32_t *) (p0 + pb) : b0;
  const int16_t *w0 = (const int16_t *) (p0 + NR * sizeof (int32_t));
  const int16_t *w1 = np > 1 ? (const int16_t *) (p0 + pb + NR * sizeof (int32_t)) : w0;
  __m256i acc[MR][2];
  const __m256i bias0 = _mm256_loadu_si256 ((const __m256i *) b0);
  const __m256i bias1 = np > 1 ? _mm256_loadu_si256 ((const __m256i *) b1) : bias0;

  for (int i = 0; i < MR; i++)
    acc[i][0] = bias0, acc[i][1] = bias1;
  if (ab) {
    ukernel (mr, np, (k + 1) / 2, ab, ab_stride, w0, w1, acc);
  } else {
    for (int k0 = 0; k0 < k; k0 += KC_MAX) {
      const int k1 = k - k0 < KC_MAX ? k : k0 + KC_MAX;
      widen_rows (mr, a, a_stride, k0, k1, chunk_buf, KC_MAX);
      ukernel (mr, np, (k1 - k0 + 1) / 2, chunk_buf, KC_MAX, w0 + (size_t) k0 * NR,
               w1 + (size_t) k0 * NR, acc);
    }
  }
  store_rows (general, mr, acc, q0, q1, zp, lo, hi, c, c_stride, nc);
}

static ALWAYS_INLINE void
tile_any_mr (const bool general, int mr, const int np, int k, const int16_t *ab, size_t ab_stride, const uint8_t *a,
             size_t a_stride, int16_t *chunk_buf, const uint8_t *p0, size_t pb,
             const mn_q8_rq8 *q0, const mn_q8_rq8 *q1, __m256i zp, __m256i lo, __m256i hi,
             uint8_t *c, size_t c_stride, int nc)
{
  switch (mr) {
    case 4:
      tile (general, 4, np, k, ab, ab_stride, a, a_stride, chunk_buf, p0, pb, q0, q1, zp, lo, hi, c, c_stride, nc);
      break;
    case 3:
      tile (general, 3, np, k, ab, ab_stride, a, a_stride, chunk_buf, p0, pb, q0, q1, zp, lo, hi, c, c_stride, nc);
      break;
    case 2:
      tile (general, 2, np, k, ab, ab_stride, a, a_stride, chunk_buf, p0, pb, q0, q1, zp, lo, hi, c, c_stride, nc);
      break;
    default:
      tile (general, 1, np, k, ab, ab_stride, a, a_stride, chunk_buf, p0, pb, q0, q1, zp, lo, hi, c, c_stride, nc);
      break;
  }
}

static ALWAYS_INLINE void
gemm_body (const bool general, int m, int k, int n_begin, int n_end, const uint8_t *a,
           size_t a_stride, const void *packed, uint8_t *c, size_t c_stride, const mn_requant *rq)
{
  int16_t abuf[ABUF_ELEMS] __attribute__ ((aligned (32)));
  const size_t pb = panel_bytes (k);
  const __m256i zp = _mm256_set1_epi32 (rq->out_zero_point);
  const __m256i lo = _mm256_set1_epi8 ((char) rq->out_min);
  const __m256i hi = _mm256_set1_epi8 ((char) rq->out_max);
  /* widened row stride (even, so pairs stay 4-byte aligned) and block rows */
  const size_t kpad = ((size_t) k + 15) & ~(size_t) 15;
  const bool whole = k <= KC_MAX;
  int mb = whole ? (int) (ABUF_ELEMS / kpad) / MR * MR : MR;

  if (mb < MR)
    mb = MR;

  for (int m0 = 0; m0 < m; m0 += mb) {
    const int rows = m - m0 < mb ? m - m0 : mb;
    const uint8_t *ablk = a + (size_t) m0 * a_stride;
    if (whole)
      widen_rows (rows, ablk, a_stride, 0, k, abuf, kpad);

    for (int n0 = n_begin; n0 < n_end; n0 += 2 * NR) {
      const uint8_t *p0 = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
      const int nc = n_end - n0 < 2 * NR ? n_end - n0 : 2 * NR;
      mn_q8_rq8 q0, q1;
      mn_q8_rq8_load (&q0, rq, n0, nc < NR ? nc : NR);
      if (nc > NR)
        mn_q8_rq8_load (&q1, rq, n0 + NR, nc - NR);
      else
        q1 = q0;

      for (int i = 0; i < rows; i += MR) {
        const int mr = rows - i < MR ? rows - i : MR;
        const int16_t *ab = whole ? abuf + (size_t) i * kpad : NULL;
        const uint8_t *ai = ablk + (size_t) i * a_stride;
        uint8_t *ci = c + (size_t) (m0 + i) * c_stride + n0;
        if (nc > NR) {
          if (nc == 2 * NR)
            tile_any_mr (general, mr, 2, k, ab, kpad, ai, a_stride, abuf, p0, pb, &q0, &q1, zp, lo, hi,
                         ci, c_stride, 16);
          else
            tile_any_mr (general, mr, 2, k, ab, kpad, ai, a_stride, abuf, p0, pb, &q0, &q1, zp, lo, hi,
                         ci, c_stride, nc);
        } else {
          if (nc == NR)
            tile_any_mr (general, mr, 1, k, ab, kpad, ai, a_stride, abuf, p0, pb, &q0, &q1, zp, lo, hi,
                         ci, c_stride, 8);
          else
            tile_any_mr (general, mr, 1, k, ab, kpad, ai, a_stride, abuf, p0, pb, &q0, &q1, zp, lo, hi,
                         ci, c_stride, nc);
        }
      }
    }
  }
}

/* ---- wide n: activations pre-broadcast ------------------------------------

 * With more than one pair of panels, each pair (A[i][2g], A[i][2g + 1]) is
 * broadcast once per row into a 32-byte vector of the block buffer bb, and
 * the micro-kernel's activations become plain loads: a vpbroadcastd costs
 * a vector ALU slot on Zen 3, a load does not, and the madd + add pairs
 * already fill those slots.  k is taken in chunks of KC (bb stays in L1),
 * with the int32 accumulators of a block of NB channels parked in accbuf
 * between chunks; the requantisation constants of a block are loaded once. */
#define KC 256                /* k per chunk: 4 rows x 128 pairs x 32 bytes = 16 KiB */
#define NB 256                /* channels per block */

/* A load kept in a register: used by two vpmaddwd, it must not become
 * two memory operands (Zen 3 has two vector load pipes; with 2 weight loads
 * and 4 activation loads an iteration stays within 4 cycles). */
static ALWAYS_INLINE __m256i
load_reg (const __m256i *p)
{
  __m256i x = _mm256_load_si256 (p);
  __asm__ ("" : "+x" (x));
  return x;
}

static ALWAYS_INLINE void
ukernel_pre (const int mr, const int np, int groups, const __m256i *bb, const int16_t *w0,
             const int16_t *w1, __m256i acc[MR][2])
{
  __m256i c00 = acc[0][0], c01 = acc[0][1], c10 = acc[1][0], c11 = acc[1][1];
  __m256i c20 = acc[2][0], c21 = acc[2][1], c30 = acc[3][0], c31 = acc[3][1];

  /* The weights as byte distances from bb: bb, the only induction
   * variable, then indexes all three streams ([bb + d] addressing), one
   * increment and a fused compare-and-branch a group. */
  ptrdiff_t d0 = (const char *) w0 - (const char *) bb, d1 = (const char *) w1 - (const char *) bb;
  __asm__ ("" : "+r" (d0), "+r" (d1));
  for (const __m256i *be = bb + groups; bb < be; bb++) {
    const __m256i wa = _mm256_loadu_si256 ((const __m256i *) ((const char *) bb + d0));
    __m256i wb = wa;
    if (np > 1)
      wb = _mm256_loadu_si256 ((const __m256i *) ((const char *) bb + d1));
    __m256i x = load_reg (bb);
    c00 = _mm256_add_epi32 (c00, _mm256_madd_epi16 (x, wa));
    if (np > 1)
      c01 = _mm256_add_epi32 (c01, _mm256_madd_epi16 (x, wb));
    if (mr > 1) {
      x = load_reg (bb + KC / 2);
      c10 = _mm256_add_epi32 (c10, _mm256_madd_epi16 (x, wa));
      if (np > 1)
        c11 = _mm256_add_epi32 (c11, _mm256_madd_epi16 (x, wb));
    }
    if (mr > 2) {
      x = load_reg (bb + KC);
      c20 = _mm256_add_epi32 (c20, _mm256_madd_epi16 (x, wa));
      if (np > 1)
        c21 = _mm256_add_epi32 (c21, _mm256_madd_epi16 (x, wb));
    }
    if (mr > 3) {
      x = load_reg (bb + 3 * KC / 2);
      c30 = _mm256_add_epi32 (c30, _mm256_madd_epi16 (x, wa));
      if (np > 1)
        c31 = _mm256_add_epi32 (c31, _mm256_madd_epi16 (x, wb));
    }
  }
  acc[0][0] = c00, acc[0][1] = c01, acc[1][0] = c10, acc[1][1] = c11;
  acc[2][0] = c20, acc[2][1] = c21, acc[3][0] = c30, acc[3][1] = c31;
}

/* Rows [0, mr) of A, k in [k0, k1) -> bb (row stride KC / 2 vectors):
 * 8 pairs at a time zero-extended in one vector, then each pair spread with
 * vpermd; the last partial 8 through a zero-padded copy. */
static void
build_bb (int mr, const uint8_t *a, size_t a_stride, int k0, int k1, __m256i *bb)
{
  const int n = k1 - k0;

  for (int r = 0; r < mr; r++) {
    const uint8_t *s = a + (size_t) r * a_stride + k0;
    __m256i *d = bb + (size_t) r * (KC / 2);
    int i = 0;
    for (; i + 16 <= n; i += 16, d += 8) {
      const __m256i x = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (s + i)));
#pragma GCC unroll 8
      for (int j = 0; j < 8; j++)
        _mm256_store_si256 (d + j, _mm256_permutevar8x32_epi32 (x, _mm256_set1_epi32 (j)));
    }
    for (; i < n; i += 2, d++) {
      const int32_t pair = s[i] | (i + 1 < n ? s[i + 1] << 16 : 0);
      _mm256_store_si256 (d, _mm256_set1_epi32 (pair));
    }
  }
}

/* One mr x (8 np) tile of one k chunk: init from the bias (first chunk) or
 * accbuf, accumulate, then requantise and store (last chunk) or park. */
static ALWAYS_INLINE void
tile_pre (const bool general, const int mr, const int np, int nc, bool first, bool last,
          int groups, const __m256i *bb, const uint8_t *p0, size_t pb, size_t koff,
          int32_t *accp, const mn_q8_rq8 *q, __m256i zp, __m256i lo, __m256i hi, uint8_t *c,
          size_t c_stride)
{
  const int16_t *w0 = (const int16_t *) (p0 + NR * sizeof (int32_t)) + koff;
  const int16_t *w1 = np > 1 ? (const int16_t *) (p0 + pb + NR * sizeof (int32_t)) + koff : w0;
  __m256i acc[MR][2];

  if (first) {
    const __m256i b0 = _mm256_loadu_si256 ((const __m256i *) p0);
    const __m256i b1 = np > 1 ? _mm256_loadu_si256 ((const __m256i *) (p0 + pb)) : b0;
#pragma GCC unroll 4
    for (int i = 0; i < MR; i++)
      acc[i][0] = b0, acc[i][1] = b1;
  } else {
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++) {
      acc[i][0] = _mm256_load_si256 ((const __m256i *) (accp + (size_t) i * NB));
      acc[i][1] = _mm256_load_si256 ((const __m256i *) (accp + (size_t) i * NB + NR));
    }
#pragma GCC unroll 4
    for (int i = mr; i < MR; i++)
      acc[i][0] = acc[i][1] = _mm256_setzero_si256 ();
  }
  ukernel_pre (mr, np, groups, bb, w0, w1, acc);
  if (last) {
    store_rows (general, mr, acc, &q[0], np > 1 ? &q[1] : &q[0], zp, lo, hi, c, c_stride, nc);
  } else {
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++) {
      _mm256_store_si256 ((__m256i *) (accp + (size_t) i * NB), acc[i][0]);
      _mm256_store_si256 ((__m256i *) (accp + (size_t) i * NB + NR), acc[i][1]);
    }
  }
}

static ALWAYS_INLINE void
tile_pre_np (const bool general, const int mr, int nc, bool first, bool last, int groups,
             const __m256i *bb, const uint8_t *p0, size_t pb, size_t koff, int32_t *accp,
             const mn_q8_rq8 *q, __m256i zp, __m256i lo, __m256i hi, uint8_t *c, size_t c_stride)
{
  if (nc == 16)
    tile_pre (general, mr, 2, 16, first, last, groups, bb, p0, pb, koff, accp, q, zp, lo, hi, c, c_stride);
  else if (nc > 8)
    tile_pre (general, mr, 2, nc, first, last, groups, bb, p0, pb, koff, accp, q, zp, lo, hi, c, c_stride);
  else if (nc == 8)
    tile_pre (general, mr, 1, 8, first, last, groups, bb, p0, pb, koff, accp, q, zp, lo, hi, c, c_stride);
  else
    tile_pre (general, mr, 1, nc, first, last, groups, bb, p0, pb, koff, accp, q, zp, lo, hi, c, c_stride);
}

static ALWAYS_INLINE void
gemm_pre (const bool general, int m, int k, int n_begin, int n_end, const uint8_t *a,
          size_t a_stride, const void *packed, uint8_t *c, size_t c_stride, const mn_requant *rq)
{
  __m256i bb[MR * KC / 2];
  int32_t accbuf[MR * NB] __attribute__ ((aligned (32)));
  mn_q8_rq8 qs[NB / NR];
  const size_t pb = panel_bytes (k);
  const __m256i zp = _mm256_set1_epi32 (rq->out_zero_point);
  const __m256i lo = _mm256_set1_epi8 ((char) rq->out_min);
  const __m256i hi = _mm256_set1_epi8 ((char) rq->out_max);

  for (int nb0 = n_begin; nb0 < n_end; nb0 += NB) {
    const int nb1 = n_end - nb0 < NB ? n_end : nb0 + NB;
    for (int n0 = nb0; n0 < nb1; n0 += NR)
      mn_q8_rq8_load (&qs[(n0 - nb0) / NR], rq, n0, nb1 - n0 < NR ? nb1 - n0 : NR);

    for (int m0 = 0; m0 < m; m0 += MR) {
      const int mr = m - m0 < MR ? m - m0 : MR;
      const uint8_t *am = a + (size_t) m0 * a_stride;
      uint8_t *cm = c + (size_t) m0 * c_stride;

      for (int k0 = 0; k0 < k; k0 += KC) {
        const int k1 = k - k0 < KC ? k : k0 + KC;
        const int groups = (k1 - k0 + 1) / 2;
        const bool first = k0 == 0, last = k1 == k;
        build_bb (mr, am, a_stride, k0, k1, bb);

        for (int n0 = nb0; n0 < nb1; n0 += 2 * NR) {
          const uint8_t *p0 = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
          const int nc = nb1 - n0 < 2 * NR ? nb1 - n0 : 2 * NR;
          const mn_q8_rq8 *q = &qs[(n0 - nb0) / NR];
          int32_t *accp = accbuf + (n0 - nb0);
          switch (mr) {
            case 4:
              tile_pre_np (general, 4, nc, first, last, groups, bb, p0, pb, (size_t) k0 * NR, accp, q, zp, lo, hi, cm + n0, c_stride);
              break;
            case 3:
              tile_pre_np (general, 3, nc, first, last, groups, bb, p0, pb, (size_t) k0 * NR, accp, q, zp, lo, hi, cm + n0, c_stride);
              break;
            case 2:
              tile_pre_np (general, 2, nc, first, last, groups, bb, p0, pb, (size_t) k0 * NR, accp, q, zp, lo, hi, cm + n0, c_stride);
              break;
            default:
              tile_pre_np (general, 1, nc, first, last, groups, bb, p0, pb, (size_t) k0 * NR, accp, q, zp, lo, hi, cm + n0, c_stride);
              break;
          }
        }
      }
    }
  }
}

void
mn_q8_gemm_4x16_avx2 (int m, int n, int k, int n_begin, int n_end, const uint8_t *a,
                      size_t a_stride, const void *packed, uint8_t *c, size_t c_stride,
                      const mn_requant *rq)
{
  if (n_end > n)
    n_end = n;
  if (m <= 0 || n_begin >= n_end || k <= 0)
    return;
  const bool general = mn_q8_rq_general (rq, n_begin, n_end);
  /* Pre-broadcasting costs a vpermd and a store per pair and row: worth it
   * from 3 panel pairs on. */
  if (n_end - n_begin > 4 * NR) {
    if (general)
      gemm_pre (true, m, k, n_begin, n_end, a, a_stride, packed, c, c_stride, rq);
    else
      gemm_pre (false, m, k, n_begin, n_end, a, a_stride, packed, c, c_stride, rq);
  } else {
    if (general)
      gemm_body (true, m, k, n_begin, n_end, a, a_stride, packed, c, c_stride, rq);
    else
      gemm_body (false, m, k, n_begin, n_end, a, a_stride, packed, c, c_stride, rq);
  }
}
