/* q8_dwconv_avx512.c: quantised (uint8 domain) 3x3 depthwise convolution,
 * AVX-512 VNNI twin of q8_dwconv_c.c, same packed layout (panels of 8
 * channels: 8 int32 biases, then 9 rows of 8 int16 (w - w_zp)).
 *
 * The AVX2 twin's method at twice the width: 32 channels a block, taps in
 * pairs, each tap's 32 bytes zero-extended to int16 straight from memory
 * and the two taps interleaved in-lane (vpunpcklwd / vpunpckhwd), so one
 * vpdpwssd against the pre-interleaved weight pairs adds two taps into 16
 * int32 lanes (vpmaddwd and vpaddd in one instruction).  The in-lane
 * interleave leaves channels 0-3, 8-11, 16-19 and 24-27 in one accumulator
 * and 4-7, 12-15, 20-23, 28-31 in the other; weights, biases and the
 * requantisation constants are permuted into that order once a call, and
 * the narrowing (vpackssdw) puts the channels back in order.  The input
 * zero point is folded into the bias, acc = bias - x_zp * sum (w) + sum (x
 * * w), and padding taps read a vector of x_zp bytes, adding x_zp * w -
 * x_zp * w = 0 as the C twin skips them (an identity in wrapping int32
 * arithmetic, hence bit-exact).  A last block of fewer than 32 channels
 * loads and stores under a mask.  Pixel by pixel, all blocks of a chunk
 * in turn (the tap pointers and border tests once for the chunk).  Other
 * kernel sizes and depth multipliers, and layers of fewer than 32
 * channels (V1 0.25's 8 and 16: a block three quarters empty ran V1
 * 0.25/128 uint8 6-9 % slower than the AVX2 twin's 8- and 16-channel
 * paths), go to the AVX2 twin. */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "x86/q8_avx2.h"
#include "x86/q8_requant_avx512.h"
#include "x86/unroll.h"

#define NR MN_Q8_DW_NR        /* 8 channels a packed panel */
#define BW 32                 /* channels a block */
#define PAIRS 5               /* the 9 taps in pairs, the last with zeros */
#define CHUNK_BLOCKS 8        /* blocks prepared at once: 256 channels, 16 KiB */

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

void mn_q8_dwconv_32c_avx512 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                              const void *packed, uint8_t *out, int oy_begin, int oy_end,
                              const mn_requant *rq);

/* Everything one 32-channel block needs, prepared once a call, in the
 * accumulators' channel order. */
typedef struct {
  __m512i w[PAIRS][2];        /* pairs (w[2p][j], w[2p + 1][j]) */
  __m512i bias[2];            /* bias - x_zp * sum_t w[t] */
  mn_q8_rq16 q[2];
} dw_block;

/* In-order channels 0-15 (lo) and 16-31 (hi) to the accumulators' order:
 * half 0 takes channels 0-3, 8-11, 16-19, 24-27, half 1 the others. */
static __m512i
to_acc_order (__m512i lo, __m512i hi, int half)
{
  const __m512i idx = half ? _mm512_setr_epi32 (4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28,
                                                29, 30, 31)
                           : _mm512_setr_epi32 (0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25,
                                                26, 27);
  return _mm512_permutex2var_epi32 (lo, idx, hi);
}

static size_t
panel_bytes (void)
{
  return NR * sizeof (int32_t) + 9 * NR * sizeof (int16_t);
}

/* Packed panel p's weight row t (8 int16), zero past the taps or the
 * channels (p >= panels). */
static __m128i
panel_row (const uint8_t *packed, int p, int panels, int t)
{
  if (p >= panels || t >= 9)
    return _mm_setzero_si128 ();
  const uint8_t *panel = packed + (size_t) p * panel_bytes ();
  return _mm_loadu_si128 ((const __m128i *) (panel + NR * sizeof (int32_t) + (size_t) t * NR * 2));
}

static void
prepare_block (dw_block *b, const mn_conv_geom *g, const void *packed, int c0, int nc,
               int32_t in_zp, const mn_requant *rq)
{
  const int panels = (g->out_c + NR - 1) / NR, p0 = c0 / NR;
  __m512i sum[2] = { _mm512_setzero_si512 (), _mm512_setzero_si512 () };
  for (int pr = 0; pr < PAIRS; pr++) {
    __m256i q[4];   /* in order: the pairs of panels p0 .. p0 + 3 */
    for (int k = 0; k < 4; k++) {
      const __m128i ra = panel_row (packed, p0 + k, panels, 2 * pr);
      const __m128i rb = panel_row (packed, p0 + k, panels, 2 * pr + 1);
      q[k] = _mm256_setr_m128i (_mm_unpacklo_epi16 (ra, rb), _mm_unpackhi_epi16 (ra, rb));
    }
    const __m512i lo = _mm512_inserti64x4 (_mm512_castsi256_si512 (q[0]), q[1], 1);
    const __m512i hi = _mm512_inserti64x4 (_mm512_castsi256_si512 (q[2]), q[3], 1);
    for (int h = 0; h < 2; h++) {
      b->w[pr][h] = to_acc_order (lo, hi, h);
      sum[h] = _mm512_add_epi32 (sum[h], _mm512_madd_epi16 (b->w[pr][h], _mm512_set1_epi16 (1)));
    }
  }
  __m256i bias[4];
  for (int k = 0; k < 4; k++)
    bias[k] = p0 + k < panels && k * NR < nc
                  ? _mm256_loadu_si256 ((const __m256i *) ((const uint8_t *) packed
                                                           + (size_t) (p0 + k) * panel_bytes ()))
                  : _mm256_setzero_si256 ();
  const __m512i blo = _mm512_inserti64x4 (_mm512_castsi256_si512 (bias[0]), bias[1], 1);
  const __m512i bhi = _mm512_inserti64x4 (_mm512_castsi256_si512 (bias[2]), bias[3], 1);
  for (int h = 0; h < 2; h++)
    b->bias[h] = _mm512_sub_epi32 (to_acc_order (blo, bhi, h),
                                   _mm512_mullo_epi32 (sum[h], _mm512_set1_epi32 (in_zp)));

  /* requantisation constants: 8 channels a set, missing ones copy the
   * first (computed, never stored) */
  mn_q8_rq8 q8[4];
  for (int k = 0; k < 4; k++) {
    const int live = nc - k * NR;
    if (live > 0)
      mn_q8_rq8_load (&q8[k], rq, c0 + k * NR, live < NR ? live : NR);
    else
      q8[k] = q8[0];
  }
  mn_q8_rq16 in_order[2];
  mn_q8_rq16_join (&in_order[0], &q8[0], &q8[1]);
  mn_q8_rq16_join (&in_order[1], &q8[2], &q8[3]);
  _Static_assert (sizeof (mn_q8_rq16) % sizeof (__m512i) == 0, "mn_q8_rq16 holds only vectors");
  const __m512i *vlo = (const __m512i *) &in_order[0], *vhi = (const __m512i *) &in_order[1];
  for (int h = 0; h < 2; h++) {
    __m512i *dst = (__m512i *) &b->q[h];
    for (size_t i = 0; i < sizeof (mn_q8_rq16) / sizeof (__m512i); i++)
      dst[i] = to_acc_order (vlo[i], vhi[i], h);
  }
}

/* 32 bytes of a tap, under mask m unless full. */
static ALWAYS_INLINE __m512i
load_tap (const bool full, __mmask32 m, const uint8_t *p)
{
  return _mm512_cvtepu8_epi16 (full ? _mm256_loadu_si256 ((const __m256i *) p)
                                    : _mm256_maskz_loadu_epi8 (m, p));
}

/* One output pixel of one block: tp[t] at tap t's first channel. */
static ALWAYS_INLINE void
dw_pixel (const mn_q8_rq_mode mode, const bool full, __mmask32 m, const uint8_t *const tp[9],
          ptrdiff_t shift, const dw_block *b, uint8_t *o, __m512i zp, __m256i lo, __m256i hi)
{
  __m512i acc0 = b->bias[0], acc1 = b->bias[1];
MN_UNROLL_ALL (5)
  for (int p = 0; p < PAIRS; p++) {
    const __m512i xa = load_tap (full, m, tp[2 * p] + shift);
    const __m512i xb = 2 * p + 1 < 9 ? load_tap (full, m, tp[2 * p + 1] + shift)
                                     : _mm512_setzero_si512 ();
    acc0 = _mm512_dpwssd_epi32 (acc0, _mm512_unpacklo_epi16 (xa, xb), b->w[p][0]);
    acc1 = _mm512_dpwssd_epi32 (acc1, _mm512_unpackhi_epi16 (xa, xb), b->w[p][1]);
  }
  const __m512i r0 = mn_q8_requant16 (mode, acc0, &b->q[0], zp);
  const __m512i r1 = mn_q8_requant16 (mode, acc1, &b->q[1], zp);
  /* lanes (0-3 | 4-7) as int16 in order, then bytes: negative to 0, above
   * 255 to 255, as the AVX2 twin's saturating packs */
  const __m512i w16 = _mm512_max_epi16 (_mm512_packs_epi32 (r0, r1), _mm512_setzero_si512 ());
  const __m256i u = _mm256_min_epu8 (_mm256_max_epu8 (_mm512_cvtusepi16_epi8 (w16), lo), hi);
  if (full)
    _mm256_storeu_si256 ((__m256i *) o, u);
  else
    _mm256_mask_storeu_epi8 (o, m, u);
}

/* Output row oy of the chunk's nb blocks from channel c0 (the last one nc
 * channels), pixel by pixel.  zpv: nb * 32 bytes of the zero point, so a
 * padding tap advances with the blocks like any other. */
static ALWAYS_INLINE void
dw_row (const mn_q8_rq_mode mode, const mn_conv_geom *g, const uint8_t *in, int c0, int nb,
        int last_nc, const uint8_t *zpv, const dw_block *blocks, uint8_t *out, int oy,
        int ox_lo, int ox_hi, __m512i zp, __m256i lo, __m256i hi)
{
  /* g's fields in locals: the stores through orow might alias g */
  const int in_w = g->in_w, out_w = g->out_w, stride = g->stride_w, pad = g->pad_left;
  const int iy0 = oy * g->stride_h - g->pad_top;
  const ptrdiff_t c = g->in_c;
  const size_t oc = (size_t) g->out_c;
  const __mmask32 m = last_nc >= BW ? ~(__mmask32) 0 : (((__mmask32) 1 << last_nc) - 1);
  uint8_t *orow = out + (size_t) oy * out_w * oc + c0;
  const uint8_t *rowp[3];

  for (int ky = 0; ky < 3; ky++) {
    const int iy = iy0 + ky;
    rowp[ky] = iy >= 0 && iy < g->in_h ? in + (size_t) iy * in_w * g->in_c + c0 : NULL;
  }
  for (int ox = 0; ox < out_w; ox++) {
    const int ix0 = ox * stride - pad;
    const uint8_t *tp[9];
    const bool inside = ox >= ox_lo && ox < ox_hi;
MN_UNROLL_ALL (3)
    for (int ky = 0; ky < 3; ky++)
MN_UNROLL_ALL (3)
      for (int kx = 0; kx < 3; kx++) {
        const int ix = ix0 + kx;
        tp[ky * 3 + kx] = rowp[ky] && (inside || (ix >= 0 && ix < in_w))
                              ? rowp[ky] + (ptrdiff_t) ix * c
                              : zpv;
      }
    uint8_t *o = orow + (size_t) ox * oc;
    for (int j = 0; j + 1 < nb; j++)
      dw_pixel (mode, true, 0, tp, BW * j, &blocks[j], o + BW * j, zp, lo, hi);
    if (last_nc == BW)
      dw_pixel (mode, true, 0, tp, BW * (nb - 1), &blocks[nb - 1], o + BW * (nb - 1), zp, lo, hi);
    else
      dw_pixel (mode, false, m, tp, BW * (nb - 1), &blocks[nb - 1], o + BW * (nb - 1), zp, lo,
                hi);
  }
}

/* Rows [oy_begin, oy_end), channels in chunks of at most CHUNK_BLOCKS blocks. */
static ALWAYS_INLINE void
dw_body (const mn_q8_rq_mode mode, const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
         const void *packed, uint8_t *out, int oy_begin, int oy_end, const mn_requant *rq,
         const uint8_t *zpv, int ox_lo, int ox_hi)
{
  dw_block blocks[CHUNK_BLOCKS];
  const __m512i zp = _mm512_set1_epi32 (rq->out_zero_point);
  const __m256i lo = _mm256_set1_epi8 ((char) rq->out_min);
  const __m256i hi = _mm256_set1_epi8 ((char) rq->out_max);

  /* chunks of equal whole blocks (the last may be short) */
  const int nblocks = (g->out_c + BW - 1) / BW;
  const int nchunks = (nblocks + CHUNK_BLOCKS - 1) / CHUNK_BLOCKS;
  const int chunk = (nblocks + nchunks - 1) / nchunks * BW;
  for (int cc = 0; cc < g->out_c; cc += chunk) {
    const int cend = g->out_c - cc < chunk ? g->out_c : cc + chunk;
    const int nb = (cend - cc + BW - 1) / BW;
    for (int j = 0; j < nb; j++) {
      const int c0 = cc + BW * j;
      prepare_block (&blocks[j], g, packed, c0, cend - c0 < BW ? cend - c0 : BW, in_zero_point,
                     rq);
    }
    const int last_nc = cend - (cc + BW * (nb - 1));
    for (int oy = oy_begin; oy < oy_end; oy++)
      dw_row (mode, g, in, cc, nb, last_nc, zpv, blocks, out, oy, ox_lo, ox_hi, zp, lo, hi);
  }
}

void
mn_q8_dwconv_32c_avx512 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                         const void *packed, uint8_t *out, int oy_begin, int oy_end,
                         const mn_requant *rq)
{
  uint8_t zpv[BW * CHUNK_BLOCKS];

  if (oy_begin >= oy_end)
    return;
  if (g->depth_multiplier > 1 || g->in_c != g->out_c || g->k_h != 3 || g->k_w != 3
      || g->out_c < BW) {
    mn_q8_dwconv_16c_avx2 (g, in, in_zero_point, packed, out, oy_begin, oy_end, rq);
    return;
  }
  memset (zpv, in_zero_point, sizeof zpv);
  int ox_lo, ox_hi;
  mn_conv_inside_columns (g, &ox_lo, &ox_hi);

  switch (mn_q8_rq_mode_of (rq, 0, g->out_c)) {
    case MN_Q8_RQ_GENERAL:
      dw_body (MN_Q8_RQ_GENERAL, g, in, in_zero_point, packed, out, oy_begin, oy_end, rq, zpv,
               ox_lo, ox_hi);
      break;
    case MN_Q8_RQ_CLAMPED:
      dw_body (MN_Q8_RQ_CLAMPED, g, in, in_zero_point, packed, out, oy_begin, oy_end, rq, zpv,
               ox_lo, ox_hi);
      break;
    default:
      dw_body (MN_Q8_RQ_PLAIN, g, in, in_zero_point, packed, out, oy_begin, oy_end, rq, zpv,
               ox_lo, ox_hi);
  }
}
