/* q8_conv_avx2.c: general quantised (uint8 domain) convolution, AVX2 twin
 * of q8_conv_c.c (MobileNet's first layer, 3x3 stride 2 over 3 channels),
 * same packed layout (panels of 8 channels: 8 int32 biases, then
 * k_h * k_w * in_c rows of 8 int16 (w - w_zp)).
 *
 * Per call the weight rows are re-paired on the stack ((row 2g, row 2g + 1)
 * interleaved: the shape vpmaddwd wants).  Per output pixel the receptive
 * field is gathered once as int16 (x - x_zp), zero for padding taps (the C
 * twin skips them: they add nothing either way), then two pixels and up to
 * 4 panels at a time take a run of 32-bit broadcast + vpmaddwd + vpaddd,
 * one broadcast for all panels and one weight load for both pixels.
 * Pixels inside the image whose kernel rows hold at most 16 values (the
 * first layer) gather with one widening load a row.  Requantisation is
 * q8_requant_avx2.h.  Receptive fields over MAX_KK values go to the C twin. */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "x86/q8_avx2.h"
#include "x86/q8_conv_gather.h"
#include "x86/q8_requant_avx2.h"
#include "x86/unroll.h"

#define NR MN_Q8_CONV_NR
#define MAX_KK 1024             /* receptive field values gathered on the stack */
#define WBUF_VECS 512           /* 16 KiB of paired weights at a time */
#define MAX_CHUNK 32            /* panels at a time */
#define PB 4                    /* panels a pass over the receptive field */

#define ALWAYS_INLINE inline __attribute__ ((always_inline))
/* loops over the panels of a pass unroll: the accumulators stay in registers */
#define UNROLL_PB MN_UNROLL_ALL (4)

static ALWAYS_INLINE __m256i
bcast_pair (const int16_t *p)
{
  int32_t v;
  memcpy (&v, p, sizeof v);
  return _mm256_set1_epi32 (v);
}

/* One panel's weight pair vector into the accumulators of pixel 0 (and
 * pixel 1 when npx is 2). */
static ALWAYS_INLINE void
madd_panel (const int npx, __m256i x0, __m256i x1, __m256i w, __m256i *c0, __m256i *c1)
{
  *c0 = _mm256_add_epi32 (*c0, _mm256_madd_epi16 (x0, w));
  if (npx > 1)
    *c1 = _mm256_add_epi32 (*c1, _mm256_madd_epi16 (x1, w));
}

/* npx (1 or 2) output pixels (receptive fields abuf[0..npx), outputs o[]),
 * np (1..4) panels from pan; all constants after inlining.  Each weight
 * vector is loaded once for both pixels and each broadcast pair feeds np
 * vpmaddwd, so up to 8 accumulator chains run side by side; then
 * requantise, narrow, store nc channels a pixel.  w: the panels' paired
 * weights, groups vectors each. */
static ALWAYS_INLINE void
panels_pixels (const mn_q8_rq_mode mode, const int npx, const int np, int groups,
               const int16_t *const *abuf, const __m256i *w, const uint8_t *pan, size_t pb,
               const mn_q8_rq8 *q, __m256i zp, __m256i lo, __m256i hi, uint8_t *const *o, int nc)
{
  /* Named accumulators and pointer increments, not arrays and an index:
   * GCC then keeps them in place instead of copying all eight every
   * iteration (a third of the loop's instructions). */
  const __m256i b0 = _mm256_loadu_si256 ((const __m256i *) pan);
  const __m256i b1 = np > 1 ? _mm256_loadu_si256 ((const __m256i *) (pan + pb)) : b0;
  const __m256i b2 = np > 2 ? _mm256_loadu_si256 ((const __m256i *) (pan + 2 * pb)) : b0;
  const __m256i b3 = np > 3 ? _mm256_loadu_si256 ((const __m256i *) (pan + 3 * pb)) : b0;
  __m256i c00 = b0, c01 = b1, c02 = b2, c03 = b3, c10 = b0, c11 = b1, c12 = b2, c13 = b3;
  const int16_t *a0 = abuf[0], *a1 = abuf[npx > 1 ? 1 : 0];
  const size_t s1 = (size_t) groups, s2 = 2 * s1, s3 = 3 * s1;

  for (const __m256i *wg = w, *we = w + groups; wg < we; wg++, a0 += 2, a1 += 2) {
    const __m256i x0 = bcast_pair (a0);
    const __m256i x1 = npx > 1 ? bcast_pair (a1) : x0;
    madd_panel (npx, x0, x1, _mm256_load_si256 (wg), &c00, &c10);
    if (np > 1)
      madd_panel (npx, x0, x1, _mm256_load_si256 (wg + s1), &c01, &c11);
    if (np > 2)
      madd_panel (npx, x0, x1, _mm256_load_si256 (wg + s2), &c02, &c12);
    if (np > 3)
      madd_panel (npx, x0, x1, _mm256_load_si256 (wg + s3), &c03, &c13);
  }
  const __m256i acc[2][PB] = { { c00, c01, c02, c03 }, { c10, c11, c12, c13 } };
  __m256i r[PB];
  for (int px = 0; px < npx; px++) {
    UNROLL_PB
    for (int j = 0; j < np; j++)
      r[j] = mn_q8_requant8 (mode, acc[px][j], &q[j], zp);
    UNROLL_PB
    for (int j = np; j < PB; j++)
      r[j] = r[0];
    mn_q8_store_bytes (o[px], mn_q8_narrow2x16 (r[0], r[1], r[2], r[3], lo, hi), nc);
  }
}

static ALWAYS_INLINE void
panels_any (const mn_q8_rq_mode mode, const int npx, int np, int groups, const int16_t *const *abuf,
            const __m256i *w, const uint8_t *pan, size_t pb, const mn_q8_rq8 *q, __m256i zp,
            __m256i lo, __m256i hi, uint8_t *const *o, int nc)
{
  switch (np) {
    case 4:
      panels_pixels (mode, npx, 4, groups, abuf, w, pan, pb, q, zp, lo, hi, o, nc);
      break;
    case 3:
      panels_pixels (mode, npx, 3, groups, abuf, w, pan, pb, q, zp, lo, hi, o, nc);
      break;
    case 2:
      panels_pixels (mode, npx, 2, groups, abuf, w, pan, pb, q, zp, lo, hi, o, nc);
      break;
    default:
      panels_pixels (mode, npx, 1, groups, abuf, w, pan, pb, q, zp, lo, hi, o, nc);
      break;
  }
}

/* Output rows [oy_begin, oy_end), pixels two at a time, panels [p0, p1)
 * whose paired weights are in wbuf and constants in qbuf. */
static ALWAYS_INLINE void
conv_rows (const mn_q8_rq_mode mode, const mn_conv_geom *g, const uint8_t *in,
           const uint8_t *in_end, int32_t in_zero_point, const void *packed, uint8_t *out,
           int oy_begin, int oy_end, int p0, int p1, int groups, size_t pb, const __m256i *wbuf, const mn_q8_rq8 *qbuf,
           int16_t (*abuf)[MAX_KK + 16], __m256i zp, __m256i lo, __m256i hi)
{
  const int16_t *const a[2] = { abuf[0], abuf[1] };
  const int run = g->k_w * g->in_c;
  const size_t row_bytes = (size_t) g->in_w * g->in_c, px_bytes = (size_t) g->stride_w * g->in_c;
  const __m256i vzp = _mm256_set1_epi16 ((short) in_zero_point);

  for (int oy = oy_begin; oy < oy_end; oy++) {
    const int iy0 = oy * g->stride_h - g->pad_top;
    const bool rows_inside = run <= 16 && iy0 >= 0 && iy0 + g->k_h <= g->in_h;
    for (int ox = 0; ox < g->out_w; ox += 2) {
      const int npx = g->out_w - ox < 2 ? 1 : 2;
      uint8_t *o = out + ((size_t) oy * g->out_w + ox) * g->out_c;
      const int ix0 = ox * g->stride_w - g->pad_left;
      /* both pixels' taps inside, and the last 16-byte load too (offsets
       * from in: no pointer is formed outside the input) */
      const bool taps_inside = rows_inside && ix0 >= 0
                               && (ox + npx - 1) * g->stride_w - g->pad_left + g->k_w <= g->in_w;
      const size_t first = taps_inside ? (size_t) iy0 * row_bytes + (size_t) ix0 * g->in_c : 0;
      if (taps_inside
          && first + (size_t) (g->k_h - 1) * row_bytes + (size_t) (npx - 1) * px_bytes + 16
                 <= (size_t) (in_end - in)) {
        const uint8_t *s = in + first;
        mn_q8_conv_gather_inside16 (g, s, row_bytes, run, vzp, abuf[0]);
        if (npx > 1)
          mn_q8_conv_gather_inside16 (g, s + px_bytes, row_bytes, run, vzp, abuf[1]);
      } else {
        mn_q8_conv_gather (g, in, in_end, in_zero_point, oy, ox, abuf[0]);
        if (npx > 1)
          mn_q8_conv_gather (g, in, in_end, in_zero_point, oy, ox + 1, abuf[1]);
      }

      for (int p = p0; p < p1; p += PB) {
        const int np = p1 - p < PB ? p1 - p : PB;
        const __m256i *w = wbuf + (size_t) (p - p0) * groups;
        const uint8_t *pan = (const uint8_t *) packed + (size_t) p * pb;
        const int c0 = p * NR, nc = g->out_c - c0 < np * NR ? g->out_c - c0 : np * NR;
        uint8_t *const op[2] = { o + c0, o + g->out_c + c0 };
        if (npx == 2)
          panels_any (mode, 2, np, groups, a, w, pan, pb, &qbuf[p - p0], zp, lo, hi, op, nc);
        else
          panels_any (mode, 1, np, groups, a, w, pan, pb, &qbuf[p - p0], zp, lo, hi, op, nc);
      }
    }
  }
}

void
mn_q8_conv_avx2 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                 const void *packed, uint8_t *out, int oy_begin, int oy_end, const mn_requant *rq)
{
  const int kk = g->k_h * g->k_w * g->in_c;
  const int groups = (kk + 1) / 2;
  const size_t pb = mn_q8_conv_panel_bytes (g);
  const int panels = (g->out_c + NR - 1) / NR;
  __m256i wbuf[WBUF_VECS];
  mn_q8_rq8 qbuf[MAX_CHUNK];
  int16_t abuf[2][MAX_KK + 16] __attribute__ ((aligned (32)));

  if (oy_begin >= oy_end)
    return;
  if (kk > MAX_KK || groups > WBUF_VECS) {
    mn_q8_conv_c (g, in, in_zero_point, packed, out, oy_begin, oy_end, rq);
    return;
  }

  const uint8_t *in_end = in + (size_t) g->in_h * g->in_w * g->in_c;
  const __m256i zp = _mm256_set1_epi32 (rq->out_zero_point);
  const __m256i lo = _mm256_set1_epi8 ((char) rq->out_min);
  const __m256i hi = _mm256_set1_epi8 ((char) rq->out_max);
  int chunk = WBUF_VECS / groups;   /* panels per weight chunk */
  if (chunk > MAX_CHUNK)
    chunk = MAX_CHUNK;
  if (chunk > PB)
    chunk -= chunk % PB;            /* whole blocks of panels */

  for (int p0 = 0; p0 < panels; p0 += chunk) {
    const int p1 = panels - p0 < chunk ? panels : p0 + chunk;

    /* pair the weight rows of panels [p0, p1) */
    for (int p = p0; p < p1; p++) {
      const int16_t *w = (const int16_t *) ((const uint8_t *) packed + (size_t) p * pb
                                            + NR * sizeof (int32_t));
      __m256i *wp = wbuf + (size_t) (p - p0) * groups;
      for (int gi = 0; gi < groups; gi++) {
        const __m128i ra = _mm_loadu_si128 ((const __m128i *) (w + (size_t) 2 * gi * NR));
        const __m128i rb = 2 * gi + 1 < kk
                               ? _mm_loadu_si128 ((const __m128i *) (w + (size_t) (2 * gi + 1) * NR))
                               : _mm_setzero_si128 ();
        wp[gi] = _mm256_setr_m128i (_mm_unpacklo_epi16 (ra, rb), _mm_unpackhi_epi16 (ra, rb));
      }
      mn_q8_rq8_load (&qbuf[p - p0], rq, p * NR, g->out_c - p * NR < NR ? g->out_c - p * NR : NR);
    }

    switch (mn_q8_rq_mode_of (rq, p0 * NR, p1 * NR < g->out_c ? p1 * NR : g->out_c)) {
      case MN_Q8_RQ_GENERAL:
        conv_rows (MN_Q8_RQ_GENERAL, g, in, in_end, in_zero_point, packed, out, oy_begin, oy_end,
                   p0, p1, groups, pb, wbuf, qbuf, abuf, zp, lo, hi);
        break;
      case MN_Q8_RQ_CLAMPED:
        conv_rows (MN_Q8_RQ_CLAMPED, g, in, in_end, in_zero_point, packed, out, oy_begin, oy_end,
                   p0, p1, groups, pb, wbuf, qbuf, abuf, zp, lo, hi);
        break;
      default:
        conv_rows (MN_Q8_RQ_PLAIN, g, in, in_end, in_zero_point, packed, out, oy_begin, oy_end,
                   p0, p1, groups, pb, wbuf, qbuf, abuf, zp, lo, hi);
    }
  }
}
