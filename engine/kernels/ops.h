/* ops.h: the small ops around the convolutions (portable C only: they are a
 * sliver of MobileNet's time).  Same contract as kernels.h.  q8 tensors are
 * in the uint8 domain (int8 values + 128); where TFLite's formula is not
 * invariant under that shift (MEAN, AVERAGE_POOL rounding) the params say
 * whether the tensor is really int8 ("is_int8") and the kernel undoes it. */
#ifndef MN_OPS_H
#define MN_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes to floats, (v - mean) * inv_std each, in that order (a float
 * model's input from an image's pixels). */
void mn_f32_from_u8 (size_t n, const uint8_t *src, float *dst, float mean, float inv_std);

/* Elementwise ADD. */
void mn_f32_add (size_t n, const float *a, const float *b, float *out, float out_min,
                 float out_max);

typedef struct {
  int32_t a_offset, b_offset;      /* -zero_point (uint8 domain) */
  int32_t a_multiplier, a_shift;
  int32_t b_multiplier, b_shift;
  int32_t out_multiplier, out_shift;
  int32_t out_zero_point;          /* uint8 domain */
  int32_t left_shift;              /* 20, as TFLite for 8-bit */
  uint8_t out_min, out_max;
  /* Each input's rescaled value depends on its byte alone: tabulated once
   * by the init, so an element costs one requantisation instead of three. */
  int32_t a_table[256], b_table[256];
} mn_q8_add_params;

/* TFLite's rescaling ADD: both inputs brought to twice the larger input
 * scale with a 20-bit headroom, added, requantised to the output scale.
 * False when the output's multiplier is out of int32's reach (see
 * mn_quantize_multiplier ()): a model to reject. */
bool mn_q8_add_params_init (mn_q8_add_params *p, double a_scale, int32_t a_zero_point,
                            double b_scale, int32_t b_zero_point, double out_scale,
                            int32_t out_zero_point, uint8_t out_min, uint8_t out_max);
void mn_q8_add (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
                const mn_q8_add_params *p);

/* Mean over H and W of an NHWC image (MEAN axes [1,2], and AVERAGE_POOL_2D
 * whose VALID filter covers the whole map): out[c] for c < channels, pixel
 * p's channel c at in[p * stride + c] (stride >= channels: a caller may
 * take any range of a wider tensor's channels). */
void mn_f32_global_average (int hw, int channels, size_t stride, const float *in, float *out,
                            float out_min, float out_max);

typedef struct {
  bool is_int8;                    /* tensors are int8 stored + 128 */
  int32_t in_zero_point, out_zero_point;   /* uint8 domain */
  double in_scale, out_scale;
  uint8_t out_min, out_max;        /* uint8 domain */
} mn_q8_pool_params;

/* TFLite's requantising MEAN (the integer formula of its reduce kernel for
 * the int8 or uint8 case, as the params say): MEAN over axes {1, 2} of a
 * 4-D tensor with keep_dims, which TFLite's default kernel sends to
 * optimized_ops::Mean / optimized_integer_ops::Mean: sum of the raw values
 * in the tensor's own domain, MBQM by QuantizeMultiplier (in_scale /
 * (hw * out_scale)) (float arithmetic), plus out_zp - round (in_zp *
 * in_scale / out_scale), clamped.  (keep_dims = false takes TFLite's
 * reference QuantizedMeanOrSum path, which rounds differently.)  stride as
 * for mn_f32_global_average (). */
void mn_q8_mean_hw (int hw, int channels, size_t stride, const uint8_t *in, uint8_t *out,
                    const mn_q8_pool_params *p);
/* mn_q8_mean_hw ()'s requantisation over hw pixels, in the tensor's own
 * domain: false when a model's scales put it out of int32's reach (a
 * multiplier of 2^31 or more, or a zero-point term beyond +-2^30): a model
 * to reject. */
bool mn_q8_mean_requant (int hw, const mn_q8_pool_params *p, int32_t *multiplier,
                         int32_t *shift, int32_t *bias);
/* TFLite's quantised AVERAGE_POOL_2D over the whole map (same scale in and
 * out: sum, divide with rounding half away from zero, clamp). */
void mn_q8_global_avgpool (int hw, int channels, size_t stride, const uint8_t *in,
                           uint8_t *out, const mn_q8_pool_params *p);

/* Softmax over the last dimension (rows x n). */
void mn_f32_softmax (int rows, int n, const float *in, float *out, float beta);
/* Quantised softmax as TFLite computes it for 8-bit tensors (its default,
 * optimised kernel: a float exp() table over the 256 input differences,
 * float normalisation).  mn_q8_softmax is for uint8 output tensors, which
 * TFLite on x86 rounds as (int) (p + 0.5f); mn_q8_softmax_int8 for int8
 * ones (stored + 128), which it rounds with roundf (p).  The two differ
 * only when p is the float just below 0.5. */
void mn_q8_softmax (int rows, int n, const uint8_t *in, uint8_t *out, double in_scale,
                    float beta, double out_scale, int32_t out_zero_point /* uint8 domain */);
void mn_q8_softmax_int8 (int rows, int n, const uint8_t *in, uint8_t *out, double in_scale,
                         float beta, double out_scale, int32_t out_zero_point /* uint8 domain */);

/* Conversions.  Zero points in the uint8 domain. */
void mn_q8_dequantize (size_t n, const uint8_t *in, float *out, double scale, int32_t zero_point);
void mn_q8_quantize (size_t n, const float *in, uint8_t *out, double scale, int32_t zero_point,
                     uint8_t out_min, uint8_t out_max);
/* q8 -> q8 with another scale or zero point, as TFLite's Requantize. */
void mn_q8_requantize (size_t n, const uint8_t *in, uint8_t *out, int32_t in_zero_point,
                       int32_t multiplier, int32_t shift, int32_t out_zero_point,
                       uint8_t out_min, uint8_t out_max);

/* PAD of a 4-D NHWC tensor (element size 1 or 4 bytes) with a fill byte
 * pattern: before[i] / after[i] elements on each of the 4 dims. */
void mn_pad_nhwc (const int32_t in_dims[4], const int32_t before[4], const int32_t after[4],
                  size_t elem_size, const void *in, void *out, const void *fill);

#endif /* MN_OPS_H */
