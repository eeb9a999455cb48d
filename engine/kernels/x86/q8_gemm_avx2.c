/* q8_gemm_avx2.c: quantised (uint8 domain) GEMM, AVX2 twin of
 * q8_gemm_c.c, same packed layout (panels of 8 channels: 8 int32 biases
 * with the zero points folded in, then pairs of int16 (w - w_zp)).
 *
 * The micro-kernel computes 4 rows x 16 channels (two adjacent panels): per
 * pair of k, the pair (A[i][2g], A[i][2g + 1]) of each row as int16 in all 8
 * dwords of a vector, vpmaddwd against the two panels' weight pairs, vpaddd
 * into int32 accumulators.  A block of rows is widened once to int16 on the
 * stack; each pair is then one vpbroadcastd from there (its load form: a
 * load-port op).  Pre-broadcasting each pair into a 32-byte vector per
 * 4-row tile (a vpermd and a store per pair, then plain loads) was measured
 * slower at every MobileNet shape, by 4-17 % at k <= 96 and 10-20 % above.
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
store_rows (const mn_q8_rq_mode mode, const int mr, __m256i acc[MR][2], const mn_q8_rq8 *q0,
            const mn_q8_rq8 *q1, __m256i zp, __m256i lo, __m256i hi, uint8_t *c, size_t c_stride,
            int nc)
{
  /* unrolled: acc then stays in registers instead of being parked on the stack */
#pragma GCC unroll 2
  for (int i = 0; i < mr; i += 2) {
    const __m256i a0 = mn_q8_requant8 (mode, acc[i][0], q0, zp);
    const __m256i a1 = nc > 8 ? mn_q8_requant8 (mode, acc[i][1], q1, zp) : a0;
    __m256i b0 = a0, b1 = a1;
    if (i + 1 < mr) {
      b0 = mn_q8_requant8 (mode, acc[i + 1][0], q0, zp);
      b1 = nc > 8 ? mn_q8_requant8 (mode, acc[i + 1][1], q1, zp) : b0;
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
tile (const mn_q8_rq_mode mode, const int mr, const int np, int k, const int16_t *ab,
      size_t ab_stride, const uint8_t *a, size_t a_stride, int16_t *chunk_buf, const uint8_t *p0,
      size_t pb, const mn_q8_rq8 *q0, const mn_q8_rq8 *q1, __m256i zp, __m256i lo, __m256i hi,
      uint8_t *c, size_t c_stride, int nc)
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
  store_rows (mode, mr, acc, q0, q1, zp, lo, hi, c, c_stride, nc);
}

static ALWAYS_INLINE void
tile_any_mr (const mn_q8_rq_mode mode, int mr, const int np, int k, const int16_t *ab,
             size_t ab_stride, const uint8_t *a, size_t a_stride, int16_t *chunk_buf,
             const uint8_t *p0, size_t pb,
             const mn_q8_rq8 *q0, const mn_q8_rq8 *q1, __m256i zp, __m256i lo, __m256i hi,
             uint8_t *c, size_t c_stride, int nc)
{
  switch (mr) {
    case 4:
      tile (mode, 4, np, k, ab, ab_stride, a, a_stride, chunk_buf, p0, pb, q0, q1, zp, lo, hi, c,
            c_stride, nc);
      break;
    case 3:
      tile (mode, 3, np, k, ab, ab_stride, a, a_stride, chunk_buf, p0, pb, q0, q1, zp, lo, hi, c,
            c_stride, nc);
      break;
    case 2:
      tile (mode, 2, np, k, ab, ab_stride, a, a_stride, chunk_buf, p0, pb, q0, q1, zp, lo, hi, c,
            c_stride, nc);
      break;
    default:
      tile (mode, 1, np, k, ab, ab_stride, a, a_stride, chunk_buf, p0, pb, q0, q1, zp, lo, hi, c,
            c_stride, nc);
      break;
  }
}

static ALWAYS_INLINE void
gemm_body (const mn_q8_rq_mode mode, int m, int k, int n_begin, int n_end, const uint8_t *a,
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
            tile_any_mr (mode, mr, 2, k, ab, kpad, ai, a_stride, abuf, p0, pb, &q0, &q1, zp, lo, hi,
                         ci, c_stride, 16);
          else
            tile_any_mr (mode, mr, 2, k, ab, kpad, ai, a_stride, abuf, p0, pb, &q0, &q1, zp, lo, hi,
                         ci, c_stride, nc);
        } else {
          if (nc == NR)
            tile_any_mr (mode, mr, 1, k, ab, kpad, ai, a_stride, abuf, p0, pb, &q0, &q1, zp, lo, hi,
                         ci, c_stride, 8);
          else
            tile_any_mr (mode, mr, 1, k, ab, kpad, ai, a_stride, abuf, p0, pb, &q0, &q1, zp, lo, hi,
                         ci, c_stride, nc);
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
