/* q8_conv_avx512.c: general quantised (uint8 domain) convolution, AVX-512
 * VNNI twin of q8_conv_c.c (MobileNet's first layer, 3x3 stride 2 over 3
 * channels), same packed layout (panels of 8 channels: 8 int32 biases,
 * then k_h * k_w * in_c rows of 8 int16 (w - w_zp)).
 *
 * As the AVX2 twin, the receptive field of each output pixel is gathered
 * once as int16 (x - x_zp), zero for padding taps, and the weight rows
 * re-paired on the stack ((row 2g, row 2g + 1) interleaved), here 16
 * channels (two panels) a vector.  Then one vpdpwssd multiplies a
 * broadcast pair of taps by a vector of weight pairs and adds both
 * products into 16 int32 lanes (vpmaddwd and vpaddd at twice the width in
 * one instruction); products of two int16 differences of bytes cannot
 * overflow a pair's sum, so the sums are the C twin's.  Four pixels side
 * by side share each weight vector; 32 channels a pass.  Requantisation
 * is q8_requant_avx512.h's 16 lanes.  Receptive fields over MAX_KK
 * values go to the AVX2 twin. */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "x86/q8_avx2.h"
#include "x86/q8_conv_gather.h"
#include "x86/q8_requant_avx512.h"
#include "x86/unroll.h"

#define NR MN_Q8_CONV_NR        /* 8 channels a packed panel */
#define LANES 16                /* channels a vector: two panels */
#define NB 2                    /* vectors a pass: 32 channels */
#define PX 4                    /* output pixels side by side */
#define WBUF_VECS 256           /* 16 KiB of paired weights at a time */
#define MAX_KK (2 * WBUF_VECS / NB) /* receptive field values: one pass's pairs fit */
#define MAX_VECS 16             /* 256 channels a chunk, at most (their requantisation
                                   constants: 10 KiB) */

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

void mn_q8_conv_avx512 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                        const void *packed, uint8_t *out, int oy_begin, int oy_end,
                        const mn_requant *rq);

static ALWAYS_INLINE __m512i
bcast_pair (const int16_t *p)
{
  int32_t v;
  memcpy (&v, p, sizeof v);
  return _mm512_set1_epi32 (v);
}

/* 16 channels' 8-channel halves from panels pa and pb (NULL: zeros). */
static ALWAYS_INLINE __m512i
join_panels (const void *pa, const void *pb)
{
  const __m512i lo = _mm512_zextsi256_si512 (_mm256_loadu_si256 ((const __m256i *) pa));
  return pb ? _mm512_inserti64x4 (lo, _mm256_loadu_si256 ((const __m256i *) pb), 1) : lo;
}

/* Requantise, clamp and store acc's live channels (mask) at o. */
static ALWAYS_INLINE void
store16 (const mn_q8_rq_mode mode, __m512i acc, const mn_q8_rq16 *q, __m512i zp, __m128i lo,
         __m128i hi, uint8_t *o, __mmask16 mask)
{
  /* negative to 0, above 255 to 255: the AVX2 twin's saturating packs */
  const __m512i r = _mm512_max_epi32 (mn_q8_requant16 (mode, acc, q, zp), _mm512_setzero_si512 ());
  _mm_mask_storeu_epi8 (o, mask, _mm_min_epu8 (_mm_max_epu8 (_mm512_cvtusepi32_epi8 (r), lo), hi));
}

/* npx pixels (receptive fields a[0..npx), outputs o[px] at the pass's
 * first channel) x nb vectors of channels; w: the pass's paired weights,
 * nb vectors a group; bias: its biases.  npx, nb constants. */
static ALWAYS_INLINE void
pass (const mn_q8_rq_mode mode, const int npx, const int nb, int groups,
      const int16_t *const a[PX], const __m512i *w, const __m512i bias[NB],
      const mn_q8_rq16 q[NB], __m512i zp, __m128i lo, __m128i hi, uint8_t *const o[PX], int nc)
{
  __m512i acc[PX][NB];
MN_UNROLL_ALL (4)
  for (int px = 0; px < npx; px++)
MN_UNROLL_ALL (2)
    for (int b = 0; b < nb; b++)
      acc[px][b] = bias[b];
  for (int gi = 0; gi < groups; gi++, w += nb) {
    const __m512i w0 = _mm512_load_si512 (w), w1 = nb > 1 ? _mm512_load_si512 (w + 1) : w0;
MN_UNROLL_ALL (4)
    for (int px = 0; px < npx; px++) {
      const __m512i x = bcast_pair (a[px] + 2 * gi);
      acc[px][0] = _mm512_dpwssd_epi32 (acc[px][0], x, w0);
      if (nb > 1)
        acc[px][1] = _mm512_dpwssd_epi32 (acc[px][1], x, w1);
    }
  }
MN_UNROLL_ALL (4)
  for (int px = 0; px < npx; px++)
MN_UNROLL_ALL (2)
    for (int b = 0; b < nb; b++) {
      const int live = nc - b * LANES;
      const __mmask16 mask = live >= LANES ? (__mmask16) 0xffff : (__mmask16) ((1u << live) - 1u);
      store16 (mode, acc[px][b], &q[b], zp, lo, hi, o[px] + b * LANES, mask);
    }
}

#define MN_PASS(NPX, NB_)                                                                       \
  pass (mode, NPX, NB_, groups, a, w, bias, q, zp, lo, hi, o, nc)

/* pass () with npx and nb as constants. */
static ALWAYS_INLINE void
pass_any (const mn_q8_rq_mode mode, int npx, int nb, int groups, const int16_t *const a[PX],
          const __m512i *w, const __m512i bias[NB], const mn_q8_rq16 q[NB], __m512i zp,
          __m128i lo, __m128i hi, uint8_t *const o[PX], int nc)
{
  if (nb == 2) {
    switch (npx) {
      case 4: MN_PASS (4, 2); break;
      case 3: MN_PASS (3, 2); break;
      case 2: MN_PASS (2, 2); break;
      default: MN_PASS (1, 2); break;
    }
  } else {
    switch (npx) {
      case 4: MN_PASS (4, 1); break;
      case 3: MN_PASS (3, 1); break;
      case 2: MN_PASS (2, 1); break;
      default: MN_PASS (1, 1); break;
    }
  }
}
#undef MN_PASS

/* Everything a chunk of channels [c0, c1) needs, prepared once a call. */
typedef struct {
  int c0, c1;
  mn_q8_rq_mode mode;
} chunk_info;

/* Output rows [oy_begin, oy_end), channels [ch->c0, ch->c1) whose paired
 * weights are in wbuf (groups x vectors of each 32-channel pass). */
static ALWAYS_INLINE void
conv_rows (const mn_q8_rq_mode mode, const mn_conv_geom *g, const uint8_t *in,
           int32_t in_zero_point, const uint8_t *packed, size_t pb, uint8_t *out, int oy_begin,
           int oy_end, const chunk_info *ch, int groups, const __m512i *wbuf,
           const mn_q8_rq16 *qbuf, int16_t (*abuf)[MAX_KK + 16], const mn_requant *rq)
{
  const uint8_t *in_end = in + (size_t) g->in_h * g->in_w * g->in_c;
  const int run = g->k_w * g->in_c;
  const size_t row_bytes = (size_t) g->in_w * g->in_c;
  const __m256i vzp = _mm256_set1_epi16 ((short) in_zero_point);
  const __m512i zp = _mm512_set1_epi32 (rq->out_zero_point);
  const __m128i lo = _mm_set1_epi8 ((char) rq->out_min), hi = _mm_set1_epi8 ((char) rq->out_max);
  const int16_t *const a[PX] = { abuf[0], abuf[1], abuf[2], abuf[3] };

  for (int oy = oy_begin; oy < oy_end; oy++) {
    const int iy0 = oy * g->stride_h - g->pad_top;
    const bool rows_inside = run <= 16 && iy0 >= 0 && iy0 + g->k_h <= g->in_h;
    for (int ox = 0; ox < g->out_w; ox += PX) {
      const int npx = g->out_w - ox < PX ? g->out_w - ox : PX;
      uint8_t *o[PX];
      for (int px = 0; px < npx; px++) {
        const int ix0 = (ox + px) * g->stride_w - g->pad_left;
        /* every tap inside, and the last row's 16-byte load too (offsets
         * from in: no pointer is formed outside the input) */
        const bool inside = rows_inside && ix0 >= 0 && ix0 + g->k_w <= g->in_w;
        const size_t first = inside ? (size_t) iy0 * row_bytes + (size_t) ix0 * g->in_c : 0;
        if (inside && first + (size_t) (g->k_h - 1) * row_bytes + 16 <= (size_t) (in_end - in))
          mn_q8_conv_gather_inside16 (g, in + first, row_bytes, run, vzp, abuf[px]);
        else
          mn_q8_conv_gather (g, in, in_end, in_zero_point, oy, ox + px, abuf[px]);
        o[px] = out + ((size_t) oy * g->out_w + ox + px) * g->out_c;
      }
      for (int c = ch->c0; c < ch->c1; c += NB * LANES) {
        const int nc = ch->c1 - c < NB * LANES ? ch->c1 - c : NB * LANES;
        const int nb = nc > LANES ? 2 : 1;
        const int v = (c - ch->c0) / LANES; /* the pass's first vector */
        __m512i bias[NB];
        for (int b = 0; b < nb; b++) {
          const int p = (c + b * LANES) / NR;
          const bool two = c + b * LANES + NR < g->out_c;
          bias[b] =
              join_panels (packed + (size_t) p * pb, two ? packed + (size_t) (p + 1) * pb : NULL);
        }
        uint8_t *const oc[PX] = { o[0] + c, npx > 1 ? o[1] + c : NULL, npx > 2 ? o[2] + c : NULL,
                                  npx > 3 ? o[3] + c : NULL };
        pass_any (mode, npx, nb, groups, a, wbuf + (size_t) v * groups, bias, &qbuf[v], zp, lo,
                  hi, oc, nc);
      }
    }
  }
}

void
mn_q8_conv_avx512 (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                   const void *packed, uint8_t *out, int oy_begin, int oy_end,
                   const mn_requant *rq)
{
  const int kk = g->k_h * g->k_w * g->in_c;
  const int groups = (kk + 1) / 2;
  const size_t pb = mn_q8_conv_panel_bytes (g);
  __m512i wbuf[WBUF_VECS];
  mn_q8_rq16 qbuf[MAX_VECS];
  int16_t abuf[PX][MAX_KK + 16] __attribute__ ((aligned (64)));

  if (oy_begin >= oy_end)
    return;
  if (kk > MAX_KK) {
    mn_q8_conv_avx2 (g, in, in_zero_point, packed, out, oy_begin, oy_end, rq);
    return;
  }
  /* channels a chunk: whole passes of 32 whose paired weights fit wbuf */
  int passes = WBUF_VECS / (NB * groups);
  if (passes > MAX_VECS / NB)
    passes = MAX_VECS / NB;
  const int chunk = passes * NB * LANES;
  for (int c0 = 0; c0 < g->out_c; c0 += chunk) {
    chunk_info ch = { c0, g->out_c - c0 < chunk ? g->out_c : c0 + chunk, MN_Q8_RQ_PLAIN };
    /* pair the weight rows: vector v of the chunk holds channels
     * c0 + 16 v ... (two panels), groups of them, one a group */
    for (int c = ch.c0, v = 0; c < ch.c1; c += LANES, v++) {
      const int p = c / NR;
      const bool two = c + NR < g->out_c;
      const int16_t *wa = (const int16_t *) ((const uint8_t *) packed + (size_t) p * pb
                                             + NR * sizeof (int32_t));
      const int16_t *wb = two ? (const int16_t *) ((const uint8_t *) wa + pb) : NULL;
      /* vectors of a 32-channel pass interleave: group gi of vector v at
       * wbuf[(v / NB) * NB * groups + gi * nb + v % NB], nb the pass's
       * vector count */
      const int pass0 = v / NB * NB;
      const int nb = ch.c1 - (ch.c0 + pass0 * LANES) > LANES ? 2 : 1;
      __m512i *wp = wbuf + (size_t) pass0 * groups + v % NB;
      for (int gi = 0; gi < groups; gi++) {
        const int r0 = 2 * gi, r1 = 2 * gi + 1;
        const __m128i a0 = _mm_loadu_si128 ((const __m128i *) (wa + (size_t) r0 * NR));
        const __m128i a1 = r1 < kk ? _mm_loadu_si128 ((const __m128i *) (wa + (size_t) r1 * NR))
                                   : _mm_setzero_si128 ();
        __m128i b0 = _mm_setzero_si128 (), b1 = _mm_setzero_si128 ();
        if (wb) {
          b0 = _mm_loadu_si128 ((const __m128i *) (wb + (size_t) r0 * NR));
          b1 = r1 < kk ? _mm_loadu_si128 ((const __m128i *) (wb + (size_t) r1 * NR))
                       : _mm_setzero_si128 ();
        }
        const __m256i pa = _mm256_setr_m128i (_mm_unpacklo_epi16 (a0, a1),
                                              _mm_unpackhi_epi16 (a0, a1));
        const __m256i pb2 = _mm256_setr_m128i (_mm_unpacklo_epi16 (b0, b1),
                                               _mm_unpackhi_epi16 (b0, b1));
        wp[(size_t) gi * nb] = _mm512_inserti64x4 (_mm512_castsi256_si512 (pa), pb2, 1);
      }
      const int live = g->out_c - c;
      mn_q8_rq8 q8lo, q8hi;
      mn_q8_rq8_load (&q8lo, rq, c, live < NR ? live : NR);
      if (two)
        mn_q8_rq8_load (&q8hi, rq, c + NR, live - NR < NR ? live - NR : NR);
      else
        q8hi = q8lo;   /* no channels: computed, not stored */
      mn_q8_rq16_join (&qbuf[v], &q8lo, &q8hi);
    }
    ch.mode = mn_q8_rq_mode_of (rq, ch.c0, ch.c1);
    const uint8_t *pk = packed;
    switch (ch.mode) {
      case MN_Q8_RQ_GENERAL:
        conv_rows (MN_Q8_RQ_GENERAL, g, in, in_zero_point, pk, pb, out, oy_begin, oy_end, &ch,
                   groups, wbuf, qbuf, abuf, rq);
        break;
      case MN_Q8_RQ_CLAMPED:
        conv_rows (MN_Q8_RQ_CLAMPED, g, in, in_zero_point, pk, pb, out, oy_begin, oy_end, &ch,
                   groups, wbuf, qbuf, abuf, rq);
        break;
      default:
        conv_rows (MN_Q8_RQ_PLAIN, g, in, in_zero_point, pk, pb, out, oy_begin, oy_end, &ch,
                   groups, wbuf, qbuf, abuf, rq);
    }
  }
}
