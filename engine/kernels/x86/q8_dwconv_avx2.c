/* q8_dwconv_avx2.c: quantised (uint8 domain) depthwise convolution, AVX2
 * twin of q8_dwconv_c.c, same packed layout (panels of 8 channels: 8 int32
 * biases, then k_h * k_w rows of 8 int16 (w - w_zp)).
 *
 * Depth multiplier 1 (every MobileNet); anything else, or more than
 * MAX_TAPS taps, goes to the C twin.
 *
 * 16 channels at a time, taps in pairs: each tap's 16 bytes are
 * zero-extended straight from memory (vpmovzxbw's load form: on Zen 3 the
 * register form is a lane-crossing op at under one a cycle, on the port
 * vpmaddwd needs) and the two taps' int16 interleaved in-lane (vpunpcklwd /
 * vpunpckhwd), so one vpmaddwd against the pre-interleaved weight pairs
 * adds two taps into int32 (an odd last tap is paired with zeros).  The
 * in-lane interleave leaves channels 0-3 and 8-11 in one accumulator and
 * 4-7 and 12-15 in the other; weights, biases and requantisation constants
 * are prepared in that order, and the narrowing (vpackssdw) puts the
 * channels back in order.  Blocks of 8 channels, and a last partial block,
 * interleave the bytes first (vpunpcklbw) and keep channels in order.  The input
 * zero point is folded into the bias, acc = bias - x_zp * sum (w) +
 * sum (x * w), and padding taps read a vector of x_zp bytes, so they add
 * x_zp * w - x_zp * w = 0, exactly as the C twin skips them (the identity
 * holds in wrapping int32 arithmetic, hence bit-exact).  Requantisation is
 * q8_requant_avx2.h.
 *
 * Channels go in chunks of equal whole blocks, at most 16 (256 channels:
 * their constants, 1 KiB a block, stay in L1).  Chunks of 4 or more full
 * blocks with 3x3 kernels go pixel by pixel, all blocks of a pixel in turn
 * (dw_row_blocks ()): a pixel's pointers and border tests are worked out
 * once for the chunk, not once a block, and the loop over the blocks is
 * as long on a 7x7 map as on a 112x112 one.  Against block by block, row
 * by row, in chunks of 8 (fastest of 300, the two alternating): V2's
 * 7x7x960 35 % less time, 14x14 23-30 %, 28x28 12-16 %, 56x56 5-12 %;
 * with 2 blocks (112x112x32) it was 10 % slower, hence the 4.  Chunks of
 * up to 16 equal blocks instead of 8 and the rest: 2 % less again (144
 * channels one chunk of 9, not 8 and 1 block by block).
 *
 * Measured and not kept: widening each input column once for the three
 * stride-1 pixels that read it (taps paired down the columns: 3 vpmovzxbw
 * and 4 interleaves a pixel instead of 9 and 10) gave the same bytes but
 * ran 8-19 % slower; 32-channel blocks, two pixels a pass and a padded
 * copy of small maps were no faster either.  About a third of the time
 * here is the requantisation of 16 outputs a pixel. */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "x86/q8_avx2.h"
#include "x86/q8_requant_avx2.h"

#define NR MN_Q8_DW_NR        /* 8 channels a packed panel */
#define MAX_TAPS 25
#define MAX_PAIRS ((MAX_TAPS + 1) / 2)
#define CHUNK_BLOCKS 16       /* 16-channel blocks prepared at once, at most */

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* Everything one 16-channel block needs, prepared once per call. */
typedef struct {
  /* pairs (w[2p][j], w[2p + 1][j]): full blocks channels 0-3 + 8-11 and
   * 4-7 + 12-15, other blocks channels 0-7 and 8-15; bias and q likewise */
  __m256i w[MAX_PAIRS][2];
  __m256i bias[2];            /* bias - x_zp * sum_t w[t] */
  mn_q8_rq8 q[2];
} dw_block;

/* The 128-bit halves (lo of a, lo of b) and (hi of a, hi of b): channels
 * 0-7 / 8-15 in order to the full blocks' 0-3 + 8-11 / 4-7 + 12-15. */
static void
split_halves (__m256i *a, __m256i *b)
{
  const __m256i lo = _mm256_permute2x128_si256 (*a, *b, 0x20);
  const __m256i hi = _mm256_permute2x128_si256 (*a, *b, 0x31);
  *a = lo;
  *b = hi;
}

/* split_halves () on every constant of two requantisation sets: the
 * struct is nothing but vectors, walked as an array so that a constant
 * added to it cannot be left out here (one was, once, and only a model
 * test noticed). */
static void
split_rq8 (mn_q8_rq8 *a, mn_q8_rq8 *b)
{
  _Static_assert (sizeof (mn_q8_rq8) % sizeof (__m256i) == 0, "mn_q8_rq8 holds only vectors");
  __m256i *va = (__m256i *) a, *vb = (__m256i *) b;
  for (size_t i = 0; i < sizeof (mn_q8_rq8) / sizeof (__m256i); i++)
    split_halves (&va[i], &vb[i]);
}

static size_t
panel_bytes (const mn_conv_geom *g)
{
  return NR * sizeof (int32_t) + (size_t) g->k_h * g->k_w * NR * sizeof (int16_t);
}

/* One packed panel's weight row t (8 int16), zero when t >= taps or the
 * panel does not exist. */
static __m128i
panel_row (const uint8_t *panel, int t, int taps)
{
  if (!panel || t >= taps)
    return _mm_setzero_si128 ();
  return _mm_loadu_si128 ((const __m128i *) (panel + NR * sizeof (int32_t) + (size_t) t * NR * 2));
}

static void
prepare_block (dw_block *b, const mn_conv_geom *g, const void *packed, int c0, int nc,
               int32_t in_zp, const mn_requant *rq)
{
  const int taps = g->k_h * g->k_w;
  const size_t pb = panel_bytes (g);
  const uint8_t *p0 = (const uint8_t *) packed + (size_t) (c0 / NR) * pb;
  const uint8_t *p1 = nc > NR ? p0 + pb : NULL;
  const uint8_t *ps[2] = { p0, p1 };

  for (int h = 0; h < 2; h++) {
    __m256i sum = _mm256_setzero_si256 ();
    for (int t = 0; t < taps; t += 2) {
      const __m128i ra = panel_row (ps[h], t, taps), rb = panel_row (ps[h], t + 1, taps);
      b->w[t / 2][h] = _mm256_setr_m128i (_mm_unpacklo_epi16 (ra, rb), _mm_unpackhi_epi16 (ra, rb));
      sum = _mm256_add_epi32 (sum, _mm256_madd_epi16 (b->w[t / 2][h], _mm256_set1_epi16 (1)));
    }
    const __m256i bias = ps[h] ? _mm256_loadu_si256 ((const __m256i *) ps[h]) : _mm256_setzero_si256 ();
    b->bias[h] = _mm256_sub_epi32 (bias, _mm256_mullo_epi32 (sum, _mm256_set1_epi32 (in_zp)));
  }
  mn_q8_rq8_load (&b->q[0], rq, c0, nc < NR ? nc : NR);
  if (nc > NR)
    mn_q8_rq8_load (&b->q[1], rq, c0 + NR, nc - NR);
  else
    b->q[1] = b->q[0];
  if (nc == 16) {
    for (int t = 0; t < taps; t += 2)
      split_halves (&b->w[t / 2][0], &b->w[t / 2][1]);
    split_halves (&b->bias[0], &b->bias[1]);
    split_rq8 (&b->q[0], &b->q[1]);
  }
}

/* The bytes of one tap for channels [c0, c0 + nc): 16 (or 8) loaded
 * directly when nc is 16 (8), else through a copy, never past the input. */
static ALWAYS_INLINE __m128i
load_tap (const int nc, const uint8_t *p)
{
  if (nc == 16)
    return _mm_loadu_si128 ((const __m128i *) p);
  if (nc == 8)
    return _mm_loadl_epi64 ((const __m128i *) p);
  uint8_t t[16] = { 0 };
  memcpy (t, p, (size_t) (nc & 15));
  return _mm_loadu_si128 ((const __m128i *) t);
}

/* Two taps into the accumulators of channels 0-7 and 8-15; two (a
 * compile-time constant) false: an odd last tap, pb unused.  Not a NULL
 * test on pb: the compiler cannot prove row pointers non-NULL, and the
 * test and zeroing cost 2 of ~110 instructions a 3x3 pixel for each pair.
 * ncc: 16, 8 or 0 (any other count, value nc). */
static ALWAYS_INLINE void
dw_pair (const bool two, const int ncc, int nc, const uint8_t *pa, const uint8_t *pb,
         const __m256i *w, __m256i *acc0, __m256i *acc1)
{
  if (ncc == 16) {
    const __m256i xa = _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) pa));
    const __m256i xb = two ? _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) pb))
                           : _mm256_setzero_si256 ();
    *acc0 = _mm256_add_epi32 (*acc0, _mm256_madd_epi16 (_mm256_unpacklo_epi16 (xa, xb), w[0]));
    *acc1 = _mm256_add_epi32 (*acc1, _mm256_madd_epi16 (_mm256_unpackhi_epi16 (xa, xb), w[1]));
    return;
  }
  const int ldn = ncc ? ncc : nc;
  const __m128i xa = load_tap (ldn, pa);
  const __m128i xb = two ? load_tap (ldn, pb) : _mm_setzero_si128 ();
  *acc0 = _mm256_add_epi32 (*acc0, _mm256_madd_epi16 (_mm256_cvtepu8_epi16 (_mm_unpacklo_epi8 (xa, xb)), w[0]));
  if (ncc != 8)
    *acc1 = _mm256_add_epi32 (*acc1, _mm256_madd_epi16 (_mm256_cvtepu8_epi16 (_mm_unpackhi_epi8 (xa, xb)), w[1]));
}

/* Requantise and store one pixel of one block. */
static ALWAYS_INLINE void
dw_store (const mn_q8_rq_mode mode, const int ncc, int nc, __m256i acc0, __m256i acc1,
          const dw_block *b, uint8_t *o, __m256i zp, __m256i lo, __m256i hi)
{
  const __m256i r0 = mn_q8_requant8 (mode, acc0, &b->q[0], zp);
  const __m256i r1 = ncc != 8 ? mn_q8_requant8 (mode, acc1, &b->q[1], zp) : r0;
  if (ncc == 16) {
    /* lanes (0-3, 4-7 | 8-11, 12-15) as int16, then 16 bytes in order */
    const __m256i w16 = _mm256_packs_epi32 (r0, r1);
    __m128i u = _mm_packus_epi16 (_mm256_castsi256_si128 (w16), _mm256_extracti128_si256 (w16, 1));
    u = _mm_min_epu8 (_mm_max_epu8 (u, _mm256_castsi256_si128 (lo)), _mm256_castsi256_si128 (hi));
    _mm_storeu_si128 ((__m128i *) o, u);
    return;
  }
  const __m128i u = _mm256_castsi256_si128 (mn_q8_narrow2x16 (r0, r1, r0, r1, lo, hi));
  if (ncc == 8)
    _mm_storel_epi64 ((__m128i *) o, u);
  else {
    uint8_t t[16];
    _mm_storeu_si128 ((__m128i *) t, u);
    memcpy (o, t, (size_t) nc);
  }
}

/* One output pixel; tp[t] points at tap t's channel c0 (or at the
 * zero-point vector). */
static ALWAYS_INLINE void
dw_pixel (const mn_q8_rq_mode mode, const int taps, const int ncc, int nc, const uint8_t *const *tp,
          ptrdiff_t shift, const dw_block *b, uint8_t *o, __m256i zp, __m256i lo, __m256i hi)
{
  __m256i acc0 = b->bias[0], acc1 = b->bias[1];
#pragma GCC unroll 13
  for (int t = 0; t < taps; t += 2)
    dw_pair (t + 1 < taps, ncc, nc, tp[t] + shift, t + 1 < taps ? tp[t + 1] + shift : NULL,
             b->w[t / 2], &acc0, &acc1);
  dw_store (mode, ncc, nc, acc0, acc1, b, o, zp, lo, hi);
}

/* One 3x3 output pixel inside the image: rows r0..r2 at the first column,
 * c the byte step between columns. */
static ALWAYS_INLINE void
dw_pixel_3x3 (const mn_q8_rq_mode mode, const int ncc, const uint8_t *r0, const uint8_t *r1,
              const uint8_t *r2, ptrdiff_t c, const dw_block *b, uint8_t *o, __m256i zp,
              __m256i lo, __m256i hi)
{
  __m256i acc0 = b->bias[0], acc1 = b->bias[1];
  dw_pair (true, ncc, ncc, r0, r0 + c, b->w[0], &acc0, &acc1);
  dw_pair (true, ncc, ncc, r0 + 2 * c, r1, b->w[1], &acc0, &acc1);
  dw_pair (true, ncc, ncc, r1 + c, r1 + 2 * c, b->w[2], &acc0, &acc1);
  dw_pair (true, ncc, ncc, r2, r2 + c, b->w[3], &acc0, &acc1);
  dw_pair (false, ncc, ncc, r2 + 2 * c, NULL, b->w[4], &acc0, &acc1);
  dw_store (mode, ncc, ncc, acc0, acc1, b, o, zp, lo, hi);
}

/* Each kernel row's input row at channel c0 (input rows from iy0), NULL
 * where the row is padding. */
static ALWAYS_INLINE void
row_pointers (const mn_conv_geom *g, const uint8_t *in, int c0, int iy0, const uint8_t **rowp)
{
  for (int ky = 0; ky < g->k_h; ky++) {
    const int iy = iy0 + ky;
    rowp[ky] = iy >= 0 && iy < g->in_h ? in + (size_t) iy * g->in_w * g->in_c + c0 : NULL;
  }
}

/* The kh x kw tap pointers (row-major) of a pixel whose first input column
 * is ix0: into rowp's rows, or zpv where a tap is padding.  kh, kw: 3 at
 * the 3x3 calls, so the loops unroll. */
static ALWAYS_INLINE void
border_taps (const int kh, const int kw, const uint8_t *const *rowp, int ix0, int in_w,
             ptrdiff_t c, const uint8_t *zpv, const uint8_t **tp)
{
#pragma GCC unroll 5
  for (int ky = 0; ky < kh; ky++) {
#pragma GCC unroll 5
    for (int kx = 0; kx < kw; kx++) {
      const int ix = ix0 + kx;
      tp[ky * kw + kx] = rowp[ky] && ix >= 0 && ix < in_w ? rowp[ky] + (ptrdiff_t) ix * c : zpv;
    }
  }
}

/* Output row oy of one block: interior pixels of 3x3 kernels by row
 * pointers, the rest through per-tap pointers. */
static ALWAYS_INLINE void
dw_row (const mn_q8_rq_mode mode, const int taps, const int ncc, int nc, const mn_conv_geom *g,
        const uint8_t *in, int c0, const uint8_t *zpv, const dw_block *b, uint8_t *out, int oy,
        const ptrdiff_t *off, int ox_lo, int ox_hi, __m256i zp, __m256i lo, __m256i hi)
{
  const int iy0 = oy * g->stride_h - g->pad_top;
  const bool rows_in = iy0 >= 0 && iy0 + g->k_h <= g->in_h;
  uint8_t *orow = out + (size_t) oy * g->out_w * g->out_c + c0;
  const uint8_t *tp[MAX_TAPS], *rowp[MAX_TAPS];
  int ox = 0;

  row_pointers (g, in, c0, iy0, rowp);
  while (ox < g->out_w) {
    const int ix0 = ox * g->stride_w - g->pad_left;
    if (rows_in && ox >= ox_lo && ox < ox_hi) {
      const uint8_t *base = in + ((ptrdiff_t) iy0 * g->in_w + ix0) * g->in_c + c0;
      if (taps == 9 && ncc && g->k_w == 3) {
        /* g's fields in locals: the stores through orow might alias g */
        const ptrdiff_t rs = (ptrdiff_t) g->in_w * g->in_c, c = g->in_c;
        const ptrdiff_t step = (ptrdiff_t) g->stride_w * g->in_c;
        const size_t oc = (size_t) g->out_c;
        uint8_t *o = orow + (size_t) ox * oc;
        for (; ox < ox_hi; ox++, base += step, o += oc)
          dw_pixel_3x3 (mode, ncc, base, base + rs, base + 2 * rs, c, b, o, zp, lo, hi);
        continue;
      }
#pragma GCC unroll 25
      for (int t = 0; t < taps; t++)
        tp[t] = base + off[t];
    } else if (taps == 9 && g->k_w == 3) {
      border_taps (3, 3, rowp, ix0, g->in_w, g->in_c, zpv, tp);
    } else {
      border_taps (g->k_h, g->k_w, rowp, ix0, g->in_w, g->in_c, zpv, tp);
    }
    dw_pixel (mode, taps, ncc, nc, tp, 0, b, orow + (size_t) ox * g->out_c, zp, lo, hi);
    ox++;
  }
}

/* Output row oy of nb full 16-channel blocks from channel c0, pixel by
 * pixel (3x3 kernels): each pixel's row pointers, or its tap pointers and
 * border tests, once for all nb blocks, whose constants stay in L1.  zpv:
 * nb * 16 bytes of the zero point, so a padding tap advances with the
 * blocks like any other. */
static ALWAYS_INLINE void
dw_row_blocks (const mn_q8_rq_mode mode, const mn_conv_geom *g, const uint8_t *in, int c0, int nb,
               const uint8_t *zpv, const dw_block *blocks, uint8_t *out, int oy, int ox_lo,
               int ox_hi, __m256i zp, __m256i lo, __m256i hi)
{
  /* g's fields in locals: the stores through orow might alias g */
  const int in_w = g->in_w, out_w = g->out_w, stride = g->stride_w, pad = g->pad_left;
  const int iy0 = oy * g->stride_h - g->pad_top;
  const bool rows_in = iy0 >= 0 && iy0 + 3 <= g->in_h;
  const ptrdiff_t rs = (ptrdiff_t) in_w * g->in_c, c = g->in_c;
  const size_t oc = (size_t) g->out_c;
  uint8_t *orow = out + (size_t) oy * out_w * oc + c0;
  const uint8_t *rowp[3];

  row_pointers (g, in, c0, iy0, rowp);
  for (int ox = 0; ox < out_w; ox++) {
    const int ix0 = ox * stride - pad;
    uint8_t *o = orow + (size_t) ox * oc;
    if (rows_in && ox >= ox_lo && ox < ox_hi) {
      const uint8_t *base = rowp[0] + (ptrdiff_t) ix0 * c;
      for (int j = 0; j < nb; j++)
        dw_pixel_3x3 (mode, 16, base + 16 * j, base + rs + 16 * j, base + 2 * rs + 16 * j, c,
                      &blocks[j], o + 16 * j, zp, lo, hi);
      continue;
    }
    const uint8_t *tp[9];
    border_taps (3, 3, rowp, ix0, in_w, c, zpv, tp);
    for (int j = 0; j < nb; j++)
      dw_pixel (mode, 9, 16, 16, tp, 16 * j, &blocks[j], o + 16 * j, zp, lo, hi);
  }
}

static ALWAYS_INLINE void
dw_rows_any (const mn_q8_rq_mode mode, const mn_conv_geom *g, const uint8_t *in, int c0, int nc,
             const uint8_t *zpv, const dw_block *b, uint8_t *out, int oy, const ptrdiff_t *off,
             int ox_lo, int ox_hi, __m256i zp, __m256i lo, __m256i hi)
{
  const int taps = g->k_h * g->k_w;
  if (taps == 9 && nc == 16)
    dw_row (mode, 9, 16, 16, g, in, c0, zpv, b, out, oy, off, ox_lo, ox_hi, zp, lo, hi);
  else if (taps == 9 && nc == 8)
    dw_row (mode, 9, 8, 8, g, in, c0, zpv, b, out, oy, off, ox_lo, ox_hi, zp, lo, hi);
  else if (nc == 16)
    dw_row (mode, taps, 16, 16, g, in, c0, zpv, b, out, oy, off, ox_lo, ox_hi, zp, lo, hi);
  else if (nc == 8)
    dw_row (mode, taps, 8, 8, g, in, c0, zpv, b, out, oy, off, ox_lo, ox_hi, zp, lo, hi);
  else
    dw_row (mode, taps, 0, nc, g, in, c0, zpv, b, out, oy, off, ox_lo, ox_hi, zp, lo, hi);
}

/* Rows [oy_begin, oy_end), channels in chunks of at most CHUNK_BLOCKS blocks. */
static ALWAYS_INLINE void
dw_body (const mn_q8_rq_mode mode, const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
         const void *packed, uint8_t *out, int oy_begin, int oy_end, const mn_requant *rq,
         const ptrdiff_t *off, const uint8_t *zpv, int ox_lo, int ox_hi)
{
  dw_block blocks[CHUNK_BLOCKS];
  const __m256i zp = _mm256_set1_epi32 (rq->out_zero_point);
  const __m256i lo = _mm256_set1_epi8 ((char) rq->out_min);
  const __m256i hi = _mm256_set1_epi8 ((char) rq->out_max);

  /* chunks of equal whole blocks (the last may be short), at most
   * CHUNK_BLOCKS: 144 channels one chunk of 9, not 8 and 1 */
  const int nblocks = (g->out_c + 15) / 16;
  const int nchunks = (nblocks + CHUNK_BLOCKS - 1) / CHUNK_BLOCKS;
  const int chunk = (nblocks + nchunks - 1) / nchunks * 16;
  for (int cc = 0; cc < g->out_c; cc += chunk) {
    const int cend = g->out_c - cc < chunk ? g->out_c : cc + chunk;
    for (int c0 = cc; c0 < cend; c0 += 16)
      prepare_block (&blocks[(c0 - cc) / 16], g, packed, c0, cend - c0 < 16 ? cend - c0 : 16,
                     in_zero_point, rq);
    if (g->k_h == 3 && g->k_w == 3 && (cend - cc) % 16 == 0 && cend - cc >= 4 * 16) {
      for (int oy = oy_begin; oy < oy_end; oy++)
        dw_row_blocks (mode, g, in, cc, (cend - cc) / 16, zpv, blocks, out, oy, ox_lo, ox_hi, zp,
                       lo, hi);
      continue;
    }
    for (int oy = oy_begin; oy < oy_end; oy++)
      for (int c0 = cc; c0 < cend; c0 += 16)
        dw_rows_any (mode, g, in, c0, cend - c0 < 16 ? cend - c0 : 16, zpv,
                     &blocks[(c0 - cc) / 16], out, oy, off, ox_lo, ox_hi, zp, lo, hi);
  }
}

void
mn_q8_dwconv_16c_avx2 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                       const void *packed, uint8_t *out, int oy_begin, int oy_end,
                       const mn_requant *rq)
{
  const int taps = g->k_h * g->k_w;
  ptrdiff_t off[MAX_TAPS];
  uint8_t zpv[16 * CHUNK_BLOCKS];

  if (oy_begin >= oy_end)
    return;
  if ((g->depth_multiplier > 1 || g->in_c != g->out_c) || taps > MAX_TAPS || taps < 1) {
    mn_q8_dwconv_c (g, in, in_zero_point, packed, out, oy_begin, oy_end, rq);
    return;
  }

  memset (zpv, in_zero_point, sizeof zpv);
  for (int ky = 0, t = 0; ky < g->k_h; ky++)
    for (int kx = 0; kx < g->k_w; kx++, t++)
      off[t] = ((ptrdiff_t) ky * g->in_w + kx) * g->in_c;

  /* Output columns whose taps are all inside the image's columns. */
  int ox_lo = 0, ox_hi = g->out_w;
  while (ox_lo < g->out_w && ox_lo * g->stride_w - g->pad_left < 0)
    ox_lo++;
  while (ox_hi > ox_lo && (ox_hi - 1) * g->stride_w - g->pad_left + g->k_w > g->in_w)
    ox_hi--;

  switch (mn_q8_rq_mode_of (rq, 0, g->out_c)) {
    case MN_Q8_RQ_GENERAL:
      dw_body (MN_Q8_RQ_GENERAL, g, in, in_zero_point, packed, out, oy_begin, oy_end, rq, off, zpv,
               ox_lo, ox_hi);
      break;
    case MN_Q8_RQ_CLAMPED:
      dw_body (MN_Q8_RQ_CLAMPED, g, in, in_zero_point, packed, out, oy_begin, oy_end, rq, off, zpv,
               ox_lo, ox_hi);
      break;
    default:
      dw_body (MN_Q8_RQ_PLAIN, g, in, in_zero_point, packed, out, oy_begin, oy_end, rq, off, zpv,
               ox_lo, ox_hi);
  }
}
