/* kernels.h: the compute kernels and their dispatch table.
 *
 * Nothing here knows about TFLite.  Every kernel is single threaded, never
 * allocates, touches no globals, takes explicit sizes and strides, fuses its
 * bias and clamp, and handles every remainder.  The executor splits work
 * across threads by calling a kernel on disjoint row (or column) ranges.
 *
 * Quantised tensors: the engine stores int8 activations and weights in the
 * uint8 domain (value + 128, zero point + 128).  Real values, and therefore
 * every sum of (q - zero_point) products, are unchanged, so one family of
 * "q8" kernels serves uint8 per-tensor and int8 per-channel models alike.
 * Requantisation is per output channel (a per-tensor model repeats one value).
 *
 * Each kernel family has one packed weight layout, shared by the portable C
 * twin and every SIMD twin, so they can be compared on the same bytes.
 */
#ifndef MN_KERNELS_H
#define MN_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops.h"   /* mn_q8_add_params */

/* Geometry of a convolution-like op over one NHWC image (batch 1). */
typedef struct {
  int in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int k_h, k_w;
  int stride_h, stride_w;
  int pad_top, pad_left;   /* padding after is implied by the sizes */
  int depth_multiplier;    /* depthwise: out_c == in_c * depth_multiplier */
} mn_conv_geom;

/* The output columns [*ox_lo, *ox_hi) whose k_w taps all fall inside the
 * input row: ox * stride_w - pad_left >= 0 and ... + k_w <= in_w.  The
 * SIMD twins walk those without checks. */
static inline void
mn_conv_inside_columns (const mn_conv_geom *g, int *ox_lo, int *ox_hi)
{
  const int sw = g->stride_w, pl = g->pad_left;
  const int hi = g->in_w - g->k_w + pl >= 0 ? (g->in_w - g->k_w + pl) / sw + 1 : 0;
  *ox_lo = (pl + sw - 1) / sw;
  *ox_hi = hi > g->out_w ? g->out_w : hi;
}

/* Requantisation of int32 accumulators, per output channel. */
typedef struct {
  const int32_t *multiplier; /* Q31, from mn_quantize_multiplier() */
  const int32_t *shift;      /* > 0: left shift, < 0: right shift */
  int32_t out_zero_point;    /* uint8 domain */
  uint8_t out_min, out_max;  /* fused activation, uint8 domain */
  /* 0, or what the table's q8_requant_prepare () recorded of all the
   * channels, so that a SIMD twin need not scan them on every call */
  int32_t prepared;
} mn_requant;

/* ---- float32 ---------------------------------------------------------- */

/* Pointwise / fully connected: C[m][n] = clamp(sum_k A[m][k] * W[n][k] + b[n]).
 * Packed layout: for each panel of MN_F32_GEMM_NR output channels (the last
 * zero padded): NR biases, then k rows of NR weights (k-major). */
#define MN_F32_GEMM_NR 16
size_t mn_f32_gemm_packed_size (int n, int k);          /* in floats */
void mn_f32_gemm_pack (int n, int k, const float *w, const float *bias, float *packed);
/* Rows [0, m) of A (stride a_stride floats) into C (stride c_stride floats),
 * output channels [n_begin, n_end) where n_begin is a multiple of NR.
 * residual, when not NULL, has C's shape and stride and is added after the
 * clamp: C = clamp (A W + b) + R, a residual ADD (without activation)
 * fused into the store, with the same float operations as the two ops. */
typedef void (*mn_f32_gemm_fn) (int m, int n, int k, int n_begin, int n_end,
                                const float *a, size_t a_stride, const float *packed,
                                float *c, size_t c_stride, const float *residual,
                                float out_min, float out_max);

/* The same GEMM for an A with many zeros (a ReLU's outputs), on the same
 * packed layout, giving f32_gemm's results bit for bit: it leaves out
 * products whose A value is zero.  A zero product leaves a sum as it is
 * (x + 0 = x, and a sum that starts at the bias is -0 only while the bias
 * is -0 and every product so far too), unless a weight is infinite or NaN
 * (0 x inf is NaN) or the bias is -0 (-0 + 0 = +0).  Same arguments as
 * mn_f32_gemm_fn; its C twin is mn_f32_gemm_c, whose results it gives
 * within the float tolerance, as f32_gemm does. */
/* Whether packed (mn_f32_gemm_pack ()'s layout) meets that condition:
 * every weight finite and no bias -0. */
bool mn_f32_gemm_sparse_suits (int n, int k, const float *packed);

/* The same GEMM on int8-sliced weights, for AMX-INT8
 * (f32_gemm_sliced_amx.c), an Ozaki-style scheme.  Each channel's weights
 * are scaled by 127 over their largest magnitude and cut into three int8
 * slices, w / scale ~ s0 + s1 / 128 + s2 / 16384 (s0 in [-127, 127], s1
 * and s2 in [-64, 64], within 2^-15 of the scaled value); each activation
 * row is cut alike at run time.  The six slice products whose slices'
 * indices sum to at most 2 are exact int32 tile sums in three levels (0:
 * a0 w0; 1: a0 w1 + a1 w0; 2: a0 w2 + a1 w1 + a2 w0), and the result is
 * bias + scale_row scale_channel (level0 + level1 / 128 + level2 /
 * 16384).  So each product is exact to about 2^-22 of its row's and
 * channel's largest magnitudes (per element, float is 2^-24 of the value),
 * and the sums are exact, so the result does not depend on the order of
 * k (or on the thread count).  A row with an infinite or NaN activation
 * gives NaN before the clamp; rows and channels whose largest magnitude is
 * below MN_F32_SLICE_TINY count as zero.  Per panel of MN_F32_GEMM_NR
 * channels (the last zero padded): NR float biases, NR float scales, then
 * for each step of MN_F32_SLICE_KB k (k zero padded to whole steps)
 * slices 0, 1 and 2, each KB / 4 rows of NR channels x 4 k (an AMX B tile:
 * row r, bytes 4j to 4j + 3 hold k 4r to 4r + 3 of channel j).  Same
 * arguments as mn_f32_gemm_fn; k at most MN_F32_SLICE_K_MAX (level 0's
 * sums then stay within float's 24 bits). */
#define MN_F32_SLICE_KB 64
#define MN_F32_SLICE_K_MAX 1024
#define MN_F32_SLICE_TINY 0x1p-100f
size_t mn_f32_gemm_sliced_packed_size (int n, int k);   /* in bytes */
/* false where a weight is infinite or NaN (packed then holds no usable
 * layout): the caller packs for mn_f32_gemm_fn instead */
bool mn_f32_gemm_sliced_pack (int n, int k, const float *w, const float *bias, void *packed);
typedef void (*mn_f32_gemm_sliced_fn) (int m, int n, int k, int n_begin, int n_end,
                                       const float *a, size_t a_stride, const void *packed,
                                       float *c, size_t c_stride, const float *residual,
                                       float out_min, float out_max);
/* The reciprocal (inv) and scale for values of this largest magnitude: 127
 * / largest and largest / 127; 0 and 0 below MN_F32_SLICE_TINY; 0 and NaN
 * for an infinite or NaN one. */
void mn_f32_slice_scales (float largest, float *inv, float *scale);
/* Whether an m x k by k x n GEMM goes faster on sliced weights (where the
 * kernel table has f32_gemm_sliced): V2's 14x14 and 7x7 layers, the
 * shapes the bfloat16 kernel before it went faster on than AVX-512. */
bool mn_f32_gemm_sliced_suits (int m, int n, int k);

/* General convolution (any kernel size, stride, padding; used for the first
 * layer).  Packed layout: per panel of MN_F32_CONV_NR output channels:
 * NR biases, then k_h * k_w * in_c rows of NR weights. */
#define MN_F32_CONV_NR 8
size_t mn_f32_conv_packed_size (const mn_conv_geom *g);   /* in floats */
void mn_f32_conv_pack (const mn_conv_geom *g, const float *w /* [out_c][k_h][k_w][in_c] */,
                       const float *bias, float *packed);
/* Output rows [oy_begin, oy_end). */
typedef void (*mn_f32_conv_fn) (const mn_conv_geom *g, const float *in, const float *packed,
                                float *out, int oy_begin, int oy_end, float out_min, float out_max);

/* Depthwise convolution.  Packed layout: per panel of MN_F32_DW_NR output
 * channels (zero padded): NR biases, then k_h * k_w rows of NR weights. */
#define MN_F32_DW_NR 8
size_t mn_f32_dwconv_packed_size (const mn_conv_geom *g);
void mn_f32_dwconv_pack (const mn_conv_geom *g, const float *w /* [1][k_h][k_w][out_c] */,
                         const float *bias, float *packed);
/* same signature as mn_f32_conv_fn */

/* ---- quantised (uint8 domain) ----------------------------------------- */

/* q8 GEMM: acc[m][n] = b[n] + sum_k (A[m][k] - a_zp) * (W[n][k] - w_zp[n]),
 * then requantised.  The packing folds the zero points into the bias.
 * Packed layout: per panel of MN_Q8_GEMM_NR channels: NR int32 biases
 * (adjusted), then ceil(k / 2) groups of NR pairs of int16 weights
 * (w - w_zp), the odd tail padded with zero: the shape vpmaddwd wants. */
#define MN_Q8_GEMM_NR 8
size_t mn_q8_gemm_packed_size (int n, int k);           /* in bytes */
void mn_q8_gemm_pack (int n, int k, const uint8_t *w, const int32_t *w_zero_point,
                      const int32_t *bias, int32_t a_zero_point, void *packed);
typedef void (*mn_q8_gemm_fn) (int m, int n, int k, int n_begin, int n_end,
                               const uint8_t *a, size_t a_stride, const void *packed,
                               uint8_t *c, size_t c_stride, const mn_requant *rq);

/* q8 GEMM on byte quads, for VNNI (vpdpbusd): the same results as the q8
 * GEMM above from weights kept as signed bytes W - 128 in groups of 4 k,
 * with 128 - w_zp per channel to put the difference back from the rows'
 * sums (q8_gemm4_c.c).  Panels of MN_Q8_GEMM4_NR channels: NR int32
 * biases (as the GEMM's), NR int32 128 - w_zp, then ceil(k / 4) groups of
 * NR quads of int8; missing k and channels zero.  Same signature as
 * mn_q8_gemm_fn; n_begin a multiple of MN_Q8_GEMM4_NR. */
#define MN_Q8_GEMM4_NR 16
size_t mn_q8_gemm4_panel_bytes (int k);
size_t mn_q8_gemm4_packed_size (int n, int k);          /* in bytes */
void mn_q8_gemm4_pack (int n, int k, const uint8_t *w, const int32_t *w_zero_point,
                       const int32_t *bias, int32_t a_zero_point, void *packed);

/* The bias with a_zp folded in: bias - a_zp * sum_k (wrow[k] - w_zp),
 * wrapped to int32 (the pack functions' bias'). */
int32_t mn_q8_fold_bias (int32_t bias, int32_t a_zero_point, const uint8_t *wrow, int k,
                         int32_t w_zero_point);

/* q8 GEMV: the q8 GEMM's result for one row (m == 1: the classifier),
 * from weights kept as bytes (half the memory traffic; see q8_gemv_c.c).
 * Packed layout: per panel of MN_Q8_GEMM_NR channels: NR int32 biases (as
 * the GEMM's), NR int32 w_zp, then ceil(k / 2) groups of NR pairs of
 * uint8 W, the odd tail zero.  Computes c[j] for j in [n_begin, n_end);
 * n_begin a multiple of NR. */
size_t mn_q8_gemv_packed_size (int n, int k);           /* in bytes */
void mn_q8_gemv_pack (int n, int k, const uint8_t *w, const int32_t *w_zero_point,
                      const int32_t *bias, int32_t a_zero_point, void *packed);
typedef void (*mn_q8_gemv_fn) (int n, int k, int n_begin, int n_end, const uint8_t *a,
                               const void *packed, uint8_t *c, const mn_requant *rq);

/* q8 general and depthwise convolution.  Padding reads as the input zero
 * point (real zero).  Packed layouts as their float twins (k-major rows of
 * NR, no pairs), with int32 biases (not adjusted: zero points are not
 * folded, padding taps must add nothing) and int16 (w - w_zp) weights. */
#define MN_Q8_CONV_NR 8
#define MN_Q8_DW_NR 8
size_t mn_q8_conv_packed_size (const mn_conv_geom *g);  /* bytes */
void mn_q8_conv_pack (const mn_conv_geom *g, const uint8_t *w, const int32_t *w_zero_point,
                      const int32_t *bias, void *packed);
size_t mn_q8_dwconv_packed_size (const mn_conv_geom *g);
void mn_q8_dwconv_pack (const mn_conv_geom *g, const uint8_t *w, const int32_t *w_zero_point,
                        const int32_t *bias, void *packed);
typedef void (*mn_q8_conv_fn) (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                               const void *packed, uint8_t *out, int oy_begin, int oy_end,
                               const mn_requant *rq);

/* q8 elementwise ADD: mn_q8_add () in ops.h is the C twin. */
typedef void (*mn_q8_add_fn) (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                              const mn_q8_add_params *p);

/* ---- the dispatch table ----------------------------------------------- */

/* cpu_mask bits for mn_kernels_init(): the same values as MN_CPU_* in
 * mobilenet.h (kernels/ does not include the public header). */
#define MN_KERNEL_CPU_AVX2 (1u << 0)   /* AVX2 + FMA */
#define MN_KERNEL_CPU_AVX512 (1u << 1) /* AVX-512 F, DQ, BW, VL and VNNI */
#define MN_KERNEL_CPU_AMX (1u << 2)    /* AMX-TILE, AMX-INT8 and AVX-512 VBMI */

typedef struct {
  mn_f32_gemm_fn f32_gemm;
  mn_f32_conv_fn f32_conv;
  mn_f32_conv_fn f32_dwconv;
  /* on mn_f32_gemm_sliced_pack ()'s layout; NULL where the CPU has no
   * AMX: the planner packs the 1x1 layers it suits for it when set */
  mn_f32_gemm_sliced_fn f32_gemm_sliced;
  /* NULL where no SIMD level has it (the C twin is f32_gemm's): the
   * planner gives it the GEMMs whose input is a ReLU's output and whose
   * weights mn_f32_gemm_sparse_suits () */
  mn_f32_gemm_fn f32_gemm_sparse;
  mn_q8_gemm_fn q8_gemm;
  /* on mn_q8_gemm4_pack ()'s layout; NULL where no SIMD level has a kernel
   * for it (the C twin alone is no faster than q8_gemm's): the planner
   * packs 1x1 layers for it when set */
  mn_q8_gemm_fn q8_gemm4;
  mn_q8_gemv_fn q8_gemv;
  mn_q8_conv_fn q8_conv;
  mn_q8_conv_fn q8_dwconv;
  /* NULL, or q8_dwconv's blocks made once at load, so that no call makes
   * them again: q8_dwconv_make_blocks writes them at blocks (64-byte
   * aligned; NULL: only counts) from a layer's packed panels, input zero
   * point and requantisation, and returns their bytes (0: the layer keeps
   * q8_dwconv); q8_dwconv_blocks runs on them, given as `packed`, with the
   * same zero point and requantisation */
  size_t (*q8_dwconv_make_blocks) (const mn_conv_geom *g, const void *packed,
                                   int32_t in_zero_point, const mn_requant *rq, void *blocks);
  mn_q8_conv_fn q8_dwconv_blocks;
  mn_q8_add_fn q8_add;
  /* a float model's input from an image's bytes (mn_f32_from_u8 ()) */
  void (*f32_from_u8) (size_t n, const uint8_t *src, float *dst, float mean, float inv_std);
  /* NULL, or rq's classification for the SIMD twins into rq->prepared,
   * once its channels [0, channels) are set (the planner's steps) */
  void (*q8_requant_prepare) (mn_requant *rq, int channels);
  const char *isa;         /* "c", "avx2", "avx512", "amx" */
} mn_kernel_table;

/* The portable C twins. */
void mn_kernels_init_c (mn_kernel_table *t);
/* C twins, upgraded to the best SIMD the CPU has and cpu_mask allows
 * (MN_CPU_* bits); MOBILENET_FORCE_C=1 in the environment keeps C. */
void mn_kernels_init (mn_kernel_table *t, unsigned cpu_mask);

/* Portable C twins, by name, for tests. */
void mn_f32_gemm_c (int m, int n, int k, int n_begin, int n_end, const float *a, size_t a_stride,
                    const float *packed, float *c, size_t c_stride, const float *residual,
                    float out_min, float out_max);
void mn_f32_gemm_sliced_c (int m, int n, int k, int n_begin, int n_end, const float *a,
                           size_t a_stride, const void *packed, float *c, size_t c_stride,
                           const float *residual, float out_min, float out_max);
void mn_f32_conv_c (const mn_conv_geom *g, const float *in, const float *packed, float *out,
                    int oy_begin, int oy_end, float out_min, float out_max);
void mn_f32_dwconv_c (const mn_conv_geom *g, const float *in, const float *packed, float *out,
                      int oy_begin, int oy_end, float out_min, float out_max);
void mn_q8_gemm_c (int m, int n, int k, int n_begin, int n_end, const uint8_t *a, size_t a_stride,
                   const void *packed, uint8_t *c, size_t c_stride, const mn_requant *rq);
void mn_q8_gemm4_c (int m, int n, int k, int n_begin, int n_end, const uint8_t *a,
                    size_t a_stride, const void *packed, uint8_t *c, size_t c_stride,
                    const mn_requant *rq);
void mn_q8_gemv_c (int n, int k, int n_begin, int n_end, const uint8_t *a, const void *packed,
                   uint8_t *c, const mn_requant *rq);
void mn_q8_conv_c (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                   const void *packed, uint8_t *out, int oy_begin, int oy_end, const mn_requant *rq);
void mn_q8_dwconv_c (const mn_conv_geom *g, const uint8_t *in, int32_t in_zero_point,
                     const void *packed, uint8_t *out, int oy_begin, int oy_end,
                     const mn_requant *rq);

#endif /* MN_KERNELS_H */
