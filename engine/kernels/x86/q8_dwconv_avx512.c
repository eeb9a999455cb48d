/* q8_dwconv_avx512.c: quantised (uint8 domain) 3x3 depthwise convolution,
 * AVX-512 VNNI twin of q8_dwconv_c.c, same packed layout (panels of 8
 * channels: 8 int32 biases, then 9 rows of 8 int16 (w - w_zp)).
 *
 * Channels go in chunks of up to 256, each prepared in the accumulators'
 * order and then run pixel by pixel over the call's rows (the tap pointers
 * and border tests once a pixel for the whole chunk).  The planner has the
 * chunks prepared once, at load (mn_q8_dwconv_make_blocks_avx512 ()), and
 * runs mn_q8_dwconv_blocks_avx512 () on them; mn_q8_dwconv_32c_avx512 ()
 * prepares them on every call (1.5 % of TF2 int8's time at 1 thread and
 * 2.4 % at 2, whose bands make twice the calls).  A chunk is in one of two
 * kinds of block:
 *
 * - Byte blocks, 64 channels, where every (w - w_zp) of the chunk fits in
 *   int8 (always for TF2's int8 weights, whose zero point is 0; TF1's
 *   uint8 layers have a few weights outside, 1-11 a layer, which send
 *   their chunk to word blocks).  The taps go in groups of four, (0-3),
 *   (4-7) and (8), each group's bytes interleaved in-lane (vpunpcklbw,
 *   then vpunpcklwd) so that one vpdpbusd adds four taps of 16 channels
 *   (uint8 inputs times int8 weights): no widening, 22 shuffles and 12
 *   vpdpbusd a pixel for 64 channels where word blocks take 38 and 20
 *   (alone, V2's 28x28 to 7x7 layers run in 0.8 of the time).
 *   Accumulator k lane j holds channel 16 (j / 4) + 4 k + j % 4, which the
 *   narrowing packs (vpackssdw, vpackuswb) put back in order; the biases
 *   and requantisation constants are moved to that order (a 4x4 transpose
 *   of 128-bit lanes) when the block is prepared.
 * - Word blocks, 32 channels, the AVX2 twin's method at twice the width:
 *   taps in pairs, each tap's 32 bytes zero-extended to int16 straight
 *   from memory and the two taps interleaved in-lane (vpunpcklwd /
 *   vpunpckhwd), so one vpdpwssd against the pre-interleaved weight pairs
 *   adds two taps into 16 int32 lanes.  The interleave leaves channels 0-3,
 *   8-11, 16-19 and 24-27 in one accumulator and 4-7, 12-15, 20-23, 28-31
 *   in the other, and the narrowing (vpackssdw) puts them back in order.
 *
 * The input zero point is folded into the bias, acc = bias - x_zp * sum (w)
 * + sum (x * w), and padding taps read a vector of x_zp bytes, adding x_zp
 * * w - x_zp * w = 0 as the C twin skips them (an identity in wrapping
 * int32 arithmetic, hence bit-exact).  A last block of fewer channels loads
 * and stores under a mask.  Other kernel sizes and depth multipliers, and
 * layers of fewer than 32 channels (V1 0.25's 8 and 16: a block three
 * quarters empty ran V1 0.25/128 uint8 6-9 % slower than the AVX2 twin's
 * 8- and 16-channel paths), go to the AVX2 twin. */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "x86/avx512.h"
#include "x86/q8_avx2.h"
#include "x86/q8_requant_avx512.h"
#include "x86/unroll.h"

#define NR MN_Q8_DW_NR        /* 8 channels a packed panel */
#define BW 32                 /* channels a word block */
#define BW8 64                /* channels a byte block */
#define PAIRS 5               /* word blocks: the 9 taps in pairs, the last with zeros */
#define QUADS 3               /* byte blocks: the 9 taps in fours, the last alone */
#define CHUNK 256             /* channels prepared at once: 16 KiB of word blocks */

#define ALWAYS_INLINE inline __attribute__ ((always_inline))


/* Everything one 32-channel word block needs, prepared once a call, in
 * the accumulators' channel order. */
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

/* The requantisation constants of the nc channels from c0, in order, 16 a
 * set, n sets (n <= 4); channels past nc copy the first 8 (computed,
 * never stored). */
static void
load_requant (mn_q8_rq16 *in_order, int n, const mn_requant *rq, int c0, int nc)
{
  mn_q8_rq8 q8[8];
  for (int k = 0; k < 2 * n; k++) {
    const int live = nc - k * NR;
    if (live > 0)
      mn_q8_rq8_load (&q8[k], rq, c0 + k * NR, live < NR ? live : NR);
    else
      q8[k] = q8[0];
  }
  for (int i = 0; i < n; i++)
    mn_q8_rq16_join (&in_order[i], &q8[2 * i], &q8[2 * i + 1]);
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

  mn_q8_rq16 in_order[2];
  load_requant (in_order, 2, rq, c0, nc);
  _Static_assert (sizeof (mn_q8_rq16) % sizeof (__m512i) == 0, "mn_q8_rq16 holds only vectors");
  const __m512i *vlo = (const __m512i *) &in_order[0], *vhi = (const __m512i *) &in_order[1];
  for (int h = 0; h < 2; h++) {
    __m512i *dst = (__m512i *) &b->q[h];
    for (size_t i = 0; i < sizeof (mn_q8_rq16) / sizeof (__m512i); i++)
      dst[i] = to_acc_order (vlo[i], vhi[i], h);
  }
}

/* Everything one 64-channel byte block needs, prepared once a call, in
 * the accumulators' channel order (accumulator k lane j: channel 16 (j / 4)
 * + 4 k + j % 4). */
typedef struct {
  __m512i w[QUADS][4];        /* per accumulator, a lane's 4 taps as int8 */
  __m512i bias[4];            /* bias - x_zp * sum_t w[t] */
  mn_q8_rq16 q[4];
} dw_block8;

/* Four taps' 64 bytes each (channels in order) as four vectors of 16
 * dwords, each dword the four taps of one channel: vector k lane j holds
 * channel 16 (j / 4) + 4 k + j % 4.  The same shuffles arrange the inputs
 * and, once a call, the weights. */
static ALWAYS_INLINE void
interleave4 (__m512i a, __m512i b, __m512i c, __m512i d, __m512i q[4])
{
  const __m512i ab_lo = _mm512_unpacklo_epi8 (a, b), ab_hi = _mm512_unpackhi_epi8 (a, b);
  const __m512i cd_lo = _mm512_unpacklo_epi8 (c, d), cd_hi = _mm512_unpackhi_epi8 (c, d);
  q[0] = _mm512_unpacklo_epi16 (ab_lo, cd_lo);
  q[1] = _mm512_unpackhi_epi16 (ab_lo, cd_lo);
  q[2] = _mm512_unpacklo_epi16 (ab_hi, cd_hi);
  q[3] = _mm512_unpackhi_epi16 (ab_hi, cd_hi);
}

/* v[i] holds channels 16 i .. 16 i + 15 in order; t[k] gets them in
 * accumulator k's order: 128-bit lane L of t[k] is lane k of v[L]. */
static void
transpose_lanes (const __m512i v[4], __m512i t[4])
{
  const __m512i a = _mm512_shuffle_i32x4 (v[0], v[1], 0x44);   /* v0 lanes 0 1, v1 lanes 0 1 */
  const __m512i b = _mm512_shuffle_i32x4 (v[0], v[1], 0xee);   /* v0 lanes 2 3, v1 lanes 2 3 */
  const __m512i c = _mm512_shuffle_i32x4 (v[2], v[3], 0x44);
  const __m512i d = _mm512_shuffle_i32x4 (v[2], v[3], 0xee);
  t[0] = _mm512_shuffle_i32x4 (a, c, 0x88);
  t[1] = _mm512_shuffle_i32x4 (a, c, 0xdd);
  t[2] = _mm512_shuffle_i32x4 (b, d, 0x88);
  t[3] = _mm512_shuffle_i32x4 (b, d, 0xdd);
}

/* Whether every (w - w_zp) of the channels [c0, c1) fits in int8. */
static bool
weights_fit_bytes (const mn_conv_geom *g, const uint8_t *packed, int c0, int c1)
{
  const int panels = (g->out_c + NR - 1) / NR;
  __m128i outside = _mm_setzero_si128 ();
  for (int p = c0 / NR; p < (c1 + NR - 1) / NR; p++)
    for (int t = 0; t < 9; t++) {
      const __m128i r = panel_row (packed, p, panels, t);
      outside = _mm_or_si128 (outside, _mm_or_si128 (_mm_cmpgt_epi16 (r, _mm_set1_epi16 (INT8_MAX)),
                                                     _mm_cmplt_epi16 (r, _mm_set1_epi16 (INT8_MIN))));
    }
  return _mm_testz_si128 (outside, outside);
}

/* Tap t's (w - w_zp) of the 64 channels from panel p0, in order, as int8
 * (weights_fit_bytes ()). */
static __m512i
tap_bytes (const uint8_t *packed, int p0, int panels, int t)
{
  __m512i h[2];
  for (int half = 0; half < 2; half++) {
    __m512i v = _mm512_castsi128_si512 (panel_row (packed, p0 + 4 * half, panels, t));
    v = _mm512_inserti32x4 (v, panel_row (packed, p0 + 4 * half + 1, panels, t), 1);
    v = _mm512_inserti32x4 (v, panel_row (packed, p0 + 4 * half + 2, panels, t), 2);
    h[half] = _mm512_inserti32x4 (v, panel_row (packed, p0 + 4 * half + 3, panels, t), 3);
  }
  return _mm512_inserti64x4 (_mm512_castsi256_si512 (_mm512_cvtepi16_epi8 (h[0])),
                             _mm512_cvtepi16_epi8 (h[1]), 1);
}

/* The byte block of the nc channels from c0 (c0 a multiple of 64 or the
 * layer's last block), whose weights fit in int8. */
static void
prepare_block8 (dw_block8 *b, const mn_conv_geom *g, const void *packed, int c0, int nc,
                int32_t in_zp, const mn_requant *rq)
{
  const int panels = (g->out_c + NR - 1) / NR, p0 = c0 / NR;
  __m512i w8[9];
  for (int t = 0; t < 9; t++)
    w8[t] = tap_bytes (packed, p0, panels, t);
  const __m512i zero = _mm512_setzero_si512 ();
  interleave4 (w8[0], w8[1], w8[2], w8[3], b->w[0]);
  interleave4 (w8[4], w8[5], w8[6], w8[7], b->w[1]);
  interleave4 (w8[8], zero, zero, zero, b->w[2]);

  /* biases in order, 16 channels (two panels) a vector; past nc zero */
  __m512i v[4], t[4];
  for (int i = 0; i < 4; i++) {
    __m256i half[2];
    for (int k = 0; k < 2; k++) {
      const int p = 2 * i + k;
      half[k] = p0 + p < panels && p * NR < nc
                    ? _mm256_loadu_si256 ((const __m256i *) ((const uint8_t *) packed
                                                             + (size_t) (p0 + p) * panel_bytes ()))
                    : _mm256_setzero_si256 ();
    }
    v[i] = mn_q8_join (half[0], half[1]);
  }
  transpose_lanes (v, t);
  for (int k = 0; k < 4; k++) {
    __m512i sum = zero;
    for (int q = 0; q < QUADS; q++)
      sum = _mm512_dpbusd_epi32 (sum, _mm512_set1_epi8 (1), b->w[q][k]);
    b->bias[k] = _mm512_sub_epi32 (t[k], _mm512_mullo_epi32 (sum, _mm512_set1_epi32 (in_zp)));
  }

  mn_q8_rq16 in_order[4];
  load_requant (in_order, 4, rq, c0, nc);
  for (size_t f = 0; f < sizeof (mn_q8_rq16) / sizeof (__m512i); f++) {
    for (int i = 0; i < 4; i++)
      v[i] = ((const __m512i *) &in_order[i])[f];
    transpose_lanes (v, t);
    for (int k = 0; k < 4; k++)
      ((__m512i *) &b->q[k])[f] = t[k];
  }
}

/* 32 bytes of a tap, under mask m unless full. */
static ALWAYS_INLINE __m512i
load_tap (const bool full, __mmask64 m, const uint8_t *p)
{
  return _mm512_cvtepu8_epi16 (full ? _mm256_loadu_si256 ((const __m256i *) p)
                                    : _mm256_maskz_loadu_epi8 ((__mmask32) m, p));
}

/* 64 bytes of a tap, under mask m unless full. */
static ALWAYS_INLINE __m512i
load_tap8 (const bool full, __mmask64 m, const uint8_t *p)
{
  return full ? _mm512_loadu_si512 (p) : _mm512_maskz_loadu_epi8 (m, p);
}

/* One output pixel of one word block: tp[t] at tap t's first channel. */
static ALWAYS_INLINE void
dw_pixel (const mn_q8_rq_mode mode, const bool full, __mmask64 m, const uint8_t *const tp[9],
          ptrdiff_t shift, const dw_block *b, uint8_t *o, __m512i zp, __m512i lo, __m512i hi)
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
  const __m256i u = _mm256_min_epu8 (
      _mm256_max_epu8 (_mm512_cvtusepi16_epi8 (w16), _mm512_castsi512_si256 (lo)),
      _mm512_castsi512_si256 (hi));
  if (full)
    _mm256_storeu_si256 ((__m256i *) o, u);
  else
    _mm256_mask_storeu_epi8 (o, (__mmask32) m, u);
}

/* One output pixel of one byte block: tp[t] at tap t's first channel. */
static ALWAYS_INLINE void
dw_pixel8 (const mn_q8_rq_mode mode, const bool full, __mmask64 m, const uint8_t *const tp[9],
           ptrdiff_t shift, const dw_block8 *b, uint8_t *o, __m512i zp, __m512i lo, __m512i hi)
{
  __m512i acc[4] = { b->bias[0], b->bias[1], b->bias[2], b->bias[3] };
MN_UNROLL_ALL (3)
  for (int q = 0; q < QUADS; q++) {
    /* the last group is tap 8 four times, against weights (w8, 0, 0, 0) */
    const int t0 = 4 * q, t1 = t0 + 1 < 9 ? t0 + 1 : 8, t2 = t0 + 2 < 9 ? t0 + 2 : 8,
              t3 = t0 + 3 < 9 ? t0 + 3 : 8;
    const __m512i xa = load_tap8 (full, m, tp[t0] + shift);
    const __m512i xb = t1 == t0 ? xa : load_tap8 (full, m, tp[t1] + shift);
    const __m512i xc = t2 == t0 ? xa : load_tap8 (full, m, tp[t2] + shift);
    const __m512i xd = t3 == t0 ? xa : load_tap8 (full, m, tp[t3] + shift);
    __m512i x[4];
    interleave4 (xa, xb, xc, xd, x);
MN_UNROLL_ALL (4)
    for (int k = 0; k < 4; k++)
      acc[k] = _mm512_dpbusd_epi32 (acc[k], x[k], b->w[q][k]);
  }
  __m512i r[4];
MN_UNROLL_ALL (4)
  for (int k = 0; k < 4; k++)
    r[k] = mn_q8_requant16 (mode, acc[k], &b->q[k], zp);
  /* the accumulators' order makes the packs' order the channels' */
  const __m512i u = mn_q8_pack64 (r[0], r[1], r[2], r[3], lo, hi);
  if (full)
    _mm512_storeu_si512 (o, u);
  else
    _mm512_mask_storeu_epi8 (o, m, u);
}

/* Output row oy of a chunk from channel c0: nb8 byte blocks, then nbw word
 * blocks, the last of them all last_nc channels; has_bytes and has_words
 * (constants) say which counts may be non-zero, so that each mix has its
 * own code.  zpv: a chunk's bytes of the zero point, so a padding tap
 * advances with the blocks like any other. */
static ALWAYS_INLINE void
dw_row (const mn_q8_rq_mode mode, const bool has_bytes, const bool has_words,
        const mn_conv_geom *g, const uint8_t *in, int c0,
        const dw_block8 *b8, int nb8, const dw_block *bw, int nbw, int last_nc,
        const uint8_t *zpv, uint8_t *out, int oy, int ox_lo, int ox_hi, __m512i zp, __m512i lo,
        __m512i hi)
{
  /* g's fields in locals: the stores through orow might alias g */
  const int in_w = g->in_w, out_w = g->out_w, stride = g->stride_w, pad = g->pad_left;
  const int iy0 = oy * g->stride_h - g->pad_top;
  const ptrdiff_t c = g->in_c;
  const size_t oc = (size_t) g->out_c;
  const __mmask64 m = last_nc >= BW8 ? ~(__mmask64) 0 : (((__mmask64) 1 << last_nc) - 1);
  const bool last_full = last_nc == (nbw > 0 ? BW : BW8);
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
    if (has_bytes) {
      const int j = nb8 - 1;
      for (int i = 0; i < j; i++)
        dw_pixel8 (mode, true, 0, tp, BW8 * i, &b8[i], o + BW8 * i, zp, lo, hi);
      if (has_words || last_full)
        dw_pixel8 (mode, true, 0, tp, BW8 * j, &b8[j], o + BW8 * j, zp, lo, hi);
      else
        dw_pixel8 (mode, false, m, tp, BW8 * j, &b8[j], o + BW8 * j, zp, lo, hi);
    }
    if (has_words) {
      const ptrdiff_t at0 = has_bytes ? (ptrdiff_t) BW8 * nb8 : 0;
      const int j = nbw - 1;
      for (int i = 0; i < j; i++)
        dw_pixel (mode, true, 0, tp, at0 + BW * i, &bw[i], o + at0 + BW * i, zp, lo, hi);
      if (last_full)
        dw_pixel (mode, true, 0, tp, at0 + BW * j, &bw[j], o + at0 + BW * j, zp, lo, hi);
      else
        dw_pixel (mode, false, m, tp, at0 + BW * j, &bw[j], o + at0 + BW * j, zp, lo, hi);
    }
  }
}

/* A chunk's blocks as prepared: this head, then nb8 byte blocks, then nbw
 * word blocks, the last of them all last_nc channels.  A cache line, so
 * that the blocks after it stay aligned. */
typedef struct {
  int32_t c0, cend, nb8, nbw, last_nc;
  int32_t unused[11];
} chunk_head;

/* The most a chunk takes: 9 word blocks (4 byte blocks and a tail's word
 * block take less). */
#define CHUNK_BYTES (sizeof (chunk_head) + (CHUNK / BW + 1) * sizeof (dw_block))
_Static_assert (sizeof (chunk_head) == 64, "a chunk head is a cache line");
_Static_assert (CHUNK / BW8 * sizeof (dw_block8) + sizeof (dw_block)
                    <= (CHUNK / BW + 1) * sizeof (dw_block),
                "byte blocks fit where word blocks do");

/* Chunk k of g's channels: [*cc, *cend), the last *tail of them to a word
 * block; the number of chunks.  Chunks of equal whole byte blocks (the
 * last may be short), but a tail of up to 32 channels past the last whole
 * byte block goes in a word block at the end of the last chunk (V2's 144
 * channels: 64 + 64 + 16, where a byte block for the 16 would cost as
 * much as for 64). */
static int
chunk_at (const mn_conv_geom *g, int k, int *cc, int *cend, int *tail)
{
  const int t = g->out_c % BW8 <= BW ? g->out_c % BW8 : 0, head = g->out_c - t;
  const int nblocks = (head + BW8 - 1) / BW8;
  const int nchunks = nblocks > 0 ? (nblocks + CHUNK / BW8 - 1) / (CHUNK / BW8) : 1;
  const int chunk = nblocks > 0 ? (nblocks + nchunks - 1) / nchunks * BW8 : 0;
  const bool last = k + 1 == nchunks;
  *cc = k * chunk;
  *cend = last ? g->out_c : *cc + chunk;
  *tail = last ? t : 0;
  return nchunks;
}

static size_t
chunk_bytes (const chunk_head *h)
{
  return sizeof *h + (size_t) h->nb8 * sizeof (dw_block8) + (size_t) h->nbw * sizeof (dw_block);
}

/* The head of the chunk of channels [cc, cend): those before the tail in
 * byte blocks if they are more than a word block's and their weights fit
 * in int8, the rest in word blocks. */
static chunk_head
chunk_layout (const mn_conv_geom *g, const void *packed, int cc, int cend, int tail)
{
  const int words_from = cend - tail;
  const bool bytes = words_from - cc > BW && weights_fit_bytes (g, packed, cc, words_from);
  const int nb8 = bytes ? (words_from - cc + BW8 - 1) / BW8 : 0;
  const int w0 = bytes ? words_from : cc, nbw = (cend - w0 + BW - 1) / BW;
  chunk_head h;
  memset (&h, 0, sizeof h);
  h.c0 = cc;
  h.cend = cend;
  h.nb8 = nb8;
  h.nbw = nbw;
  h.last_nc = nbw > 0 ? cend - (w0 + BW * (nbw - 1)) : cend - (cc + BW8 * (nb8 - 1));
  return h;
}

/* The chunk of head h prepared at rec (64-byte aligned, CHUNK_BYTES); the
 * bytes it took. */
static size_t
prepare_chunk (uint8_t *rec, const chunk_head *h, const mn_conv_geom *g, const void *packed,
               int32_t in_zp, const mn_requant *rq)
{
  dw_block8 *b8 = (dw_block8 *) (rec + sizeof *h);
  dw_block *bw = (dw_block *) (b8 + h->nb8);
  for (int j = 0; j < h->nb8; j++) {
    const int c0 = h->c0 + BW8 * j;
    prepare_block8 (&b8[j], g, packed, c0, j + 1 < h->nb8 || h->nbw > 0 ? BW8 : h->last_nc,
                    in_zp, rq);
  }
  const int w0 = h->c0 + BW8 * h->nb8;
  for (int j = 0; j < h->nbw; j++) {
    const int c0 = w0 + BW * j;
    prepare_block (&bw[j], g, packed, c0, h->cend - c0 < BW ? h->cend - c0 : BW, in_zp, rq);
  }
  memcpy (rec, h, sizeof *h);
  return chunk_bytes (h);
}

/* Rows [oy_begin, oy_end) of the prepared chunk at rec. */
static ALWAYS_INLINE void
run_chunk (const mn_q8_rq_mode mode, const mn_conv_geom *g, const uint8_t *in, const uint8_t *rec,
           uint8_t *out, int oy_begin, int oy_end, const uint8_t *zpv, int ox_lo, int ox_hi,
           __m512i zp, __m512i lo, __m512i hi)
{
  const chunk_head *h = (const chunk_head *) rec;
  const dw_block8 *b8 = (const dw_block8 *) (rec + sizeof *h);
  const dw_block *bw = (const dw_block *) (b8 + h->nb8);
  const int cc = h->c0, nb8 = h->nb8, nbw = h->nbw, last_nc = h->last_nc;
#define MN_ROWS(HAS_BYTES, HAS_WORDS)                                                            \
  for (int oy = oy_begin; oy < oy_end; oy++)                                                     \
    dw_row (mode, HAS_BYTES, HAS_WORDS, g, in, cc, b8, nb8, bw, nbw, last_nc, zpv, out, oy,       \
            ox_lo, ox_hi, zp, lo, hi)
  if (nb8 > 0 && nbw > 0)
    MN_ROWS (true, true);
  else if (nb8 > 0)
    MN_ROWS (true, false);
  else
    MN_ROWS (false, true);
#undef MN_ROWS
}

/* Rows [oy_begin, oy_end), chunk by chunk: from blocks (prepared at load,
 * mn_q8_dwconv_make_blocks_avx512 ()) or, with blocks NULL, each chunk
 * prepared from packed in turn. */
static ALWAYS_INLINE void
dw_body (const mn_q8_rq_mode mode, const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
         const void *packed, const uint8_t *blocks, uint8_t *out, int oy_begin, int oy_end,
         const mn_requant *rq, const uint8_t *zpv, int ox_lo, int ox_hi)
{
  _Alignas (64) uint8_t rec[CHUNK_BYTES];
  const __m512i zp = _mm512_set1_epi32 (rq->out_zero_point);
  const __m512i lo = _mm512_set1_epi8 ((char) rq->out_min);
  const __m512i hi = _mm512_set1_epi8 ((char) rq->out_max);

  for (int k = 0, n = 1; k < n; k++) {
    int cc, cend, tail;
    n = chunk_at (g, k, &cc, &cend, &tail);
    const uint8_t *r = blocks;
    if (blocks)
      blocks += chunk_bytes ((const chunk_head *) blocks);
    else {
      const chunk_head h = chunk_layout (g, packed, cc, cend, tail);
      prepare_chunk (rec, &h, g, packed, in_zero_point, rq);
      r = rec;
    }
    run_chunk (mode, g, in, r, out, oy_begin, oy_end, zpv, ox_lo, ox_hi, zp, lo, hi);
  }
}

/* Layers this kernel runs (the rest go to the AVX2 twin). */
static bool
runs_here (const mn_conv_geom *g)
{
  return g->depth_multiplier <= 1 && g->in_c == g->out_c && g->k_h == 3 && g->k_w == 3
         && g->out_c >= BW;
}

static void
dw_run (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point, const void *packed,
        const uint8_t *blocks, uint8_t *out, int oy_begin, int oy_end, const mn_requant *rq)
{
  uint8_t zpv[CHUNK + BW];

  memset (zpv, in_zero_point, sizeof zpv);
  int ox_lo, ox_hi;
  mn_conv_inside_columns (g, &ox_lo, &ox_hi);

  switch (mn_q8_rq_mode_of (rq, 0, g->out_c)) {
    case MN_Q8_RQ_GENERAL:
      dw_body (MN_Q8_RQ_GENERAL, g, in, in_zero_point, packed, blocks, out, oy_begin, oy_end, rq,
               zpv, ox_lo, ox_hi);
      break;
    case MN_Q8_RQ_CLAMPED:
      dw_body (MN_Q8_RQ_CLAMPED, g, in, in_zero_point, packed, blocks, out, oy_begin, oy_end, rq,
               zpv, ox_lo, ox_hi);
      break;
    default:
      dw_body (MN_Q8_RQ_PLAIN, g, in, in_zero_point, packed, blocks, out, oy_begin, oy_end, rq,
               zpv, ox_lo, ox_hi);
  }
}

void
mn_q8_dwconv_32c_avx512 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                         const void *packed, uint8_t *out, int oy_begin, int oy_end,
                         const mn_requant *rq)
{
  if (oy_begin >= oy_end)
    return;
  if (!runs_here (g)) {
    mn_q8_dwconv_16c_avx2 (g, in, in_zero_point, packed, out, oy_begin, oy_end, rq);
    return;
  }
  dw_run (g, in, in_zero_point, packed, NULL, out, oy_begin, oy_end, rq);
}

size_t
mn_q8_dwconv_make_blocks_avx512 (const mn_conv_geom *g, const void *packed, int32_t in_zero_point,
                                 const mn_requant *rq, void *blocks)
{
  size_t size = 0;

  if (!runs_here (g))
    return 0;
  for (int k = 0, n = 1; k < n; k++) {
    int cc, cend, tail;
    n = chunk_at (g, k, &cc, &cend, &tail);
    const chunk_head h = chunk_layout (g, packed, cc, cend, tail);
    if (blocks)
      prepare_chunk ((uint8_t *) blocks + size, &h, g, packed, in_zero_point, rq);
    size += chunk_bytes (&h);
  }
  return size;
}

void
mn_q8_dwconv_blocks_avx512 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                            const void *blocks, uint8_t *out, int oy_begin, int oy_end,
                            const mn_requant *rq)
{
  if (oy_begin < oy_end)
    dw_run (g, in, in_zero_point, NULL, blocks, out, oy_begin, oy_end, rq);
}
