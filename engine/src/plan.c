/* plan.c: turns a validated graph into executable steps.
 *
 * Each op is checked for consistent shapes, types and quantisation, mapped
 * to a kernel, and its weights packed and requantisation precomputed here,
 * once, so that running never allocates or converts weights.
 */
#include "plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "requant.h"

#define FAIL(st, ...) (mn_log_error (log, (st), "mn_model_load: " __VA_ARGS__))

static bool
is_q8 (mn_dtype t)
{
  return t == MN_DTYPE_UINT8 || t == MN_DTYPE_INT8;
}

int32_t
mn_domain_zero_point (const mn_tensor *t, int channel)
{
  int32_t zp = 0;
  if (t->num_scales > 0)
    zp = t->zero_points[t->num_scales > 1 ? channel : 0];
  return zp + (t->type == MN_DTYPE_INT8 ? 128 : 0);
}

static double
tensor_scale (const mn_tensor *t, int channel)
{
  return t->num_scales > 0 ? t->scales[t->num_scales > 1 ? channel : 0] : 0.0;
}

/* Activation range of a fused activation, float. */
static void
float_range (mn_activation a, float *lo, float *hi)
{
  *lo = -INFINITY;
  *hi = INFINITY;
  switch (a) {
    case MN_ACT_NONE: break;
    case MN_ACT_RELU: *lo = 0.f; break;
    case MN_ACT_RELU6: *lo = 0.f; *hi = 6.f; break;
    case MN_ACT_RELU_N1_TO_1: *lo = -1.f; *hi = 1.f; break;
  }
}

/* TFLite's CalculateActivationRangeQuantized, in the uint8 domain. */
static void
quant_range (mn_activation a, const mn_tensor *out, uint8_t *lo, uint8_t *hi)
{
  const double scale = tensor_scale (out, 0);
  const int32_t zp = mn_domain_zero_point (out, 0);
  int32_t qmin = 0, qmax = 255;
  /* quantize(x) = zp + round(x / scale), rounding half away from zero */
  switch (a) {
    case MN_ACT_NONE: break;
    case MN_ACT_RELU: qmin = zp > qmin ? zp : qmin; break;
    case MN_ACT_RELU6: {
      qmin = zp > qmin ? zp : qmin;
      double q6 = zp + round (6.0 / scale);
      if (q6 < qmax) qmax = (int32_t) q6;
      break;
    }
    case MN_ACT_RELU_N1_TO_1: {
      double qlo = zp + round (-1.0 / scale), qhi = zp + round (1.0 / scale);
      if (qlo > qmin) qmin = (int32_t) qlo;
      if (qhi < qmax) qmax = (int32_t) qhi;
      break;
    }
  }
  if (qmin > 255) qmin = 255;
  if (qmax < 0) qmax = 0;
  if (qmax < qmin) qmax = qmin;
  *lo = (uint8_t) qmin;
  *hi = (uint8_t) qmax;
}

static bool
same_quant (const mn_tensor *a, const mn_tensor *b)
{
  return a->type == b->type && a->num_scales == 1 && b->num_scales == 1 &&
         a->scales[0] == b->scales[0] && a->zero_points[0] == b->zero_points[0];
}

/* A constant tensor's data in the uint8 domain (int8 + 128): a uint8
 * tensor's own bytes, an int8 one's converted into *made, a piece of r
 * that the caller takes after the packed weights and frees right after
 * packing, so that the next piece reuses its memory.  A fresh heap buffer
 * a layer cost more than the packing on a virtual machine whose new
 * pages are slow to make (the performance log). */
static const uint8_t *
const_u8_domain (mn_huge_region *r, const mn_tensor *t, uint8_t **made)
{
  *made = NULL;
  if (t->type != MN_DTYPE_INT8)
    return t->data;
  const size_t n = mn_tensor_elements (t);
  uint8_t *w = mn_huge_alloc (r, n ? n : 1);
  if (!w)
    return NULL;
  const uint8_t *src = t->data;
  for (size_t i = 0; i < n; i++)
    w[i] = (uint8_t) (src[i] ^ 0x80);
  *made = w;
  return w;
}

/* Per-channel weight zero points (uint8 domain) along the output channels. */
static int32_t *
weight_zero_points (const mn_tensor *w, int channels)
{
  int32_t *zp = malloc (sizeof (int32_t) * (size_t) channels);
  if (!zp)
    return NULL;
  for (int c = 0; c < channels; c++)
    zp[c] = mn_domain_zero_point (w, w->num_scales > 1 ? c : 0);
  return zp;
}

static int
same_padding_before (int in, int out, int k, int stride)
{
  int total = (out - 1) * stride + k - in;
  return total > 0 ? total / 2 : 0;
}

/* Fills geom for CONV_2D / DEPTHWISE_CONV_2D and checks the output shape. */
static mn_status
conv_geometry (const mn_node *nd, const mn_tensor *in, const mn_tensor *w,
               const mn_tensor *out, bool depthwise, mn_conv_geom *g, const mn_logger *log)
{
  if (in->rank != 4 || w->rank != 4 || out->rank != 4)
    return FAIL (MN_ERR_UNSUPPORTED, "%s at index %d needs 4-D input, weights and output",
                 mn_op_name (nd->op), nd->file_index);
  if (in->dims[0] != 1 || out->dims[0] != 1)
    return FAIL (MN_ERR_UNSUPPORTED, "%s at index %d has batch %d: only batch 1 is supported",
                 mn_op_name (nd->op), nd->file_index, in->dims[0]);
  memset (g, 0, sizeof *g);
  g->in_h = in->dims[1];
  g->in_w = in->dims[2];
  g->in_c = in->dims[3];
  g->out_h = out->dims[1];
  g->out_w = out->dims[2];
  g->out_c = out->dims[3];
  g->k_h = w->dims[1];
  g->k_w = w->dims[2];
  g->stride_h = nd->stride_h;
  g->stride_w = nd->stride_w;
  g->depth_multiplier = 1;
  if (depthwise) {
    if (w->dims[0] != 1 || w->dims[3] != g->out_c || g->out_c % g->in_c != 0)
      return FAIL (MN_ERR_MALFORMED,
                   "DEPTHWISE_CONV_2D at index %d: weights [%d,%d,%d,%d] do not fit %d input and "
                   "%d output channels",
                   nd->file_index, w->dims[0], w->dims[1], w->dims[2], w->dims[3], g->in_c,
                   g->out_c);
    g->depth_multiplier = g->out_c / g->in_c;
  } else if (w->dims[0] != g->out_c || w->dims[3] != g->in_c) {
    return FAIL (MN_ERR_MALFORMED,
                 "CONV_2D at index %d: weights [%d,%d,%d,%d] do not fit %d input and %d output "
                 "channels",
                 nd->file_index, w->dims[0], w->dims[1], w->dims[2], w->dims[3], g->in_c, g->out_c);
  }
  int eh, ew;
  if (nd->padding == MN_PADDING_SAME) {
    eh = (g->in_h + g->stride_h - 1) / g->stride_h;
    ew = (g->in_w + g->stride_w - 1) / g->stride_w;
    g->pad_top = same_padding_before (g->in_h, eh, g->k_h, g->stride_h);
    g->pad_left = same_padding_before (g->in_w, ew, g->k_w, g->stride_w);
  } else {
    eh = g->in_h >= g->k_h ? (g->in_h - g->k_h) / g->stride_h + 1 : 0;
    ew = g->in_w >= g->k_w ? (g->in_w - g->k_w) / g->stride_w + 1 : 0;
  }
  if (eh != g->out_h || ew != g->out_w)
    return FAIL (MN_ERR_MALFORMED,
                 "%s at index %d: output is %dx%d but %dx%d input, %dx%d filter, stride %d "
                 "and %s padding give %dx%d",
                 mn_op_name (nd->op), nd->file_index, g->out_h, g->out_w, g->in_h, g->in_w,
                 g->k_h, g->k_w, g->stride_h, nd->padding == MN_PADDING_SAME ? "SAME" : "VALID",
                 eh, ew);
  return MN_OK;
}

static mn_status
check_bias (const mn_node *nd, const mn_graph *g, mn_dtype want, int channels,
            const mn_logger *log)
{
  if (nd->num_inputs < 3 || nd->inputs[2] < 0)
    return MN_OK;
  const mn_tensor *b = &g->tensors[nd->inputs[2]];
  if (!b->data)
    return FAIL (MN_ERR_UNSUPPORTED, "%s at index %d: bias must be constant",
                 mn_op_name (nd->op), nd->file_index);
  if (b->type != want || mn_tensor_elements (b) != (size_t) channels)
    return FAIL (MN_ERR_MALFORMED, "%s at index %d: bias has type %s and %zu values, need %s x %d",
                 mn_op_name (nd->op), nd->file_index, mn_dtype_str (b->type),
                 mn_tensor_elements (b), mn_dtype_str (want), channels);
  return MN_OK;
}

/* Weights must be constant, of the right type, quantised per tensor or per
 * output channel along quant_dim. */
static mn_status
check_weights (const mn_node *nd, const mn_tensor *in, const mn_tensor *w, int quant_dim,
               int channels, const mn_logger *log)
{
  if (!w->data)
    return FAIL (MN_ERR_UNSUPPORTED, "%s at index %d: weights must be constant",
                 mn_op_name (nd->op), nd->file_index);
  if (in->type == MN_DTYPE_FLOAT32) {
    if (w->type != MN_DTYPE_FLOAT32)
      return FAIL (MN_ERR_UNSUPPORTED,
                   "%s at index %d: float input with %s weights (hybrid models are not supported)",
                   mn_op_name (nd->op), nd->file_index, mn_dtype_str (w->type));
    return MN_OK;
  }
  if (!is_q8 (w->type) || w->num_scales == 0)
    return FAIL (MN_ERR_UNSUPPORTED, "%s at index %d: %s input needs quantised 8-bit weights",
                 mn_op_name (nd->op), nd->file_index, mn_dtype_str (in->type));
  if (w->num_scales > 1 && (w->quant_dim != quant_dim || w->num_scales != channels))
    return FAIL (MN_ERR_UNSUPPORTED,
                 "%s at index %d: weights quantised along dimension %d with %d scales: need "
                 "dimension %d with %d",
                 mn_op_name (nd->op), nd->file_index, w->quant_dim, w->num_scales, quant_dim,
                 channels);
  return MN_OK;
}

static mn_status
check_io_quant (const mn_node *nd, const mn_tensor *in, const mn_tensor *out, const mn_logger *log)
{
  if (in->type != out->type)
    return FAIL (MN_ERR_UNSUPPORTED, "%s at index %d: input %s but output %s",
                 mn_op_name (nd->op), nd->file_index, mn_dtype_str (in->type),
                 mn_dtype_str (out->type));
  if (in->type == MN_DTYPE_FLOAT32)
    return MN_OK;
  if (!is_q8 (in->type))
    return FAIL (MN_ERR_UNSUPPORTED, "%s at index %d: activations of type %s are not supported",
                 mn_op_name (nd->op), nd->file_index, mn_dtype_str (in->type));
  if (in->num_scales != 1 || out->num_scales != 1)
    return FAIL (MN_ERR_UNSUPPORTED,
                 "%s at index %d: 8-bit activations must be quantised per tensor",
                 mn_op_name (nd->op), nd->file_index);
  return MN_OK;
}

/* A requantisation multiplier mn_quantize_multiplier () refused. */
static mn_status
multiplier_too_large (const mn_node *nd, const char *what, double real, const mn_logger *log)
{
  return FAIL (MN_ERR_UNSUPPORTED,
               "%s at index %d: its requantisation multiplier (%s) is %g, 2^31 or more: no "
               "int32 arithmetic can apply it",
               mn_op_name (nd->op), nd->file_index, what, real);
}

/* Per-output-channel requantisation: in_scale * w_scale[c] / out_scale. */
static mn_status
build_requant (mn_step *s, const mn_node *nd, const mn_tensor *in, const mn_tensor *w,
               const mn_tensor *out, int channels, const mn_logger *log)
{
  s->multiplier = malloc (sizeof (int32_t) * (size_t) channels);
  s->shift = malloc (sizeof (int32_t) * (size_t) channels);
  if (!s->multiplier || !s->shift)
    return MN_ERR_NO_MEMORY;
  for (int c = 0; c < channels; c++) {
    double real = (double) tensor_scale (in, 0) * (double) tensor_scale (w, c) /
                  (double) tensor_scale (out, 0);
    if (!mn_quantize_multiplier (real, &s->multiplier[c], &s->shift[c]))
      return multiplier_too_large (nd, "input scale x weight scale / output scale", real, log);
  }
  s->rq.multiplier = s->multiplier;
  s->rq.shift = s->shift;
  s->rq.out_zero_point = mn_domain_zero_point (out, 0);
  quant_range (nd->activation, out, &s->rq.out_min, &s->rq.out_max);
  return MN_OK;
}

static const int32_t *
bias_i32 (const mn_graph *g, const mn_node *nd, int channels, int32_t **owned)
{
  *owned = NULL;
  if (nd->num_inputs >= 3 && nd->inputs[2] >= 0) {
    /* copy: constant data may be unaligned for int32 access */
    *owned = malloc (sizeof (int32_t) * (size_t) channels);
    if (*owned)
      memcpy (*owned, g->tensors[nd->inputs[2]].data, sizeof (int32_t) * (size_t) channels);
    return *owned;
  }
  *owned = calloc ((size_t) channels, sizeof (int32_t));
  return *owned;
}

static const float *
bias_f32 (const mn_graph *g, const mn_node *nd, int channels, float **owned)
{
  *owned = NULL;
  if (nd->num_inputs >= 3 && nd->inputs[2] >= 0) {
    *owned = malloc (sizeof (float) * (size_t) channels);
    if (*owned)
      memcpy (*owned, g->tensors[nd->inputs[2]].data, sizeof (float) * (size_t) channels);
    return *owned;
  }
  *owned = calloc ((size_t) channels, sizeof (float));
  return *owned;
}

/* CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, packed for the kernels
 * of kt: 8-bit GEMMs (m > 1) for its q8_gemm4 where it has one, the float
 * GEMMs it suits for its f32_gemm_sliced where it has one; the 8-bit
 * requantisation classified by its q8_requant_prepare where it has one. */
static mn_status
plan_conv_like (const mn_graph *g, const mn_node *nd, mn_step *s, const mn_kernel_table *kt,
                mn_huge_region *weights, const mn_logger *log)
{
  const mn_tensor *in = &g->tensors[nd->inputs[0]];
  const mn_tensor *w = &g->tensors[nd->inputs[1]];
  const mn_tensor *out = &g->tensors[nd->output];
  const bool fc = nd->op == MN_OP_FULLY_CONNECTED;
  const bool dw = nd->op == MN_OP_DEPTHWISE_CONV_2D;
  mn_status st = check_io_quant (nd, in, out, log);
  if (st != MN_OK)
    return st;

  int channels;
  if (fc) {
    if (w->rank != 2)
      return FAIL (MN_ERR_UNSUPPORTED, "FULLY_CONNECTED at index %d: weights must be 2-D",
                   nd->file_index);
    channels = w->dims[0];
    s->k = w->dims[1];
    size_t in_elems = mn_tensor_elements (in);
    if (in_elems % (size_t) s->k != 0 ||
        mn_tensor_elements (out) != in_elems / (size_t) s->k * (size_t) channels)
      return FAIL (MN_ERR_MALFORMED,
                   "FULLY_CONNECTED at index %d: input of %zu values and weights [%d,%d] do not "
                   "give an output of %zu values",
                   nd->file_index, in_elems, channels, s->k, mn_tensor_elements (out));
    s->m = (int) (in_elems / (size_t) s->k);
    s->n = channels;
  } else {
    st = conv_geometry (nd, in, w, out, dw, &s->geom, log);
    if (st != MN_OK)
      return st;
    channels = s->geom.out_c;
  }
  st = check_weights (nd, in, w, fc || !dw ? 0 : 3, channels, log);
  if (st == MN_OK)
    st = check_bias (nd, g, in->type == MN_DTYPE_FLOAT32 ? MN_DTYPE_FLOAT32 : MN_DTYPE_INT32,
                     channels, log);
  if (st != MN_OK)
    return st;

  /* A 1x1 stride-1 unpadded convolution is a GEMM over the pixels. */
  const bool gemm = fc || (!dw && s->geom.k_h == 1 && s->geom.k_w == 1 && s->geom.stride_h == 1 &&
                           s->geom.stride_w == 1);
  if (gemm && !fc) {
    s->m = s->geom.out_h * s->geom.out_w;
    s->n = s->geom.out_c;
    s->k = s->geom.in_c;
  }

  if (in->type == MN_DTYPE_FLOAT32) {
    const float *wf = w->data;   /* checked present, aligned by the reader */
    float *bias = NULL;
    bias_f32 (g, nd, channels, &bias);
    if (!bias)
      return MN_ERR_NO_MEMORY;
    /* sliced where kt has the kernel and the shape suits it, unless a
     * weight is infinite or NaN (the plain layout keeps float's rules) */
    s->sliced = gemm && kt->f32_gemm_sliced && mn_f32_gemm_sliced_suits (s->m, s->n, s->k);
    if (s->sliced) {
      s->packed = mn_huge_alloc (weights, mn_f32_gemm_sliced_packed_size (s->n, s->k));
      if (s->packed && !mn_f32_gemm_sliced_pack (s->n, s->k, wf, bias, s->packed)) {
        mn_huge_free (weights, s->packed);
        s->packed = NULL;
        s->sliced = false;
      }
    }
    if (!s->sliced) {
      size_t bytes = gemm ? mn_f32_gemm_packed_size (s->n, s->k) * sizeof (float)
                     : dw ? mn_f32_dwconv_packed_size (&s->geom) * sizeof (float)
                          : mn_f32_conv_packed_size (&s->geom) * sizeof (float);
      s->packed = mn_huge_alloc (weights, bytes);
      if (s->packed) {
        if (gemm)
          mn_f32_gemm_pack (s->n, s->k, wf, bias, s->packed);
        else if (dw)
          mn_f32_dwconv_pack (&s->geom, wf, bias, s->packed);
        else
          mn_f32_conv_pack (&s->geom, wf, bias, s->packed);
      }
    }
    free (bias);
    if (!s->packed)
      return MN_ERR_NO_MEMORY;
    float_range (nd->activation, &s->f_min, &s->f_max);
    s->kind = gemm ? MN_STEP_F32_GEMM : dw ? MN_STEP_F32_DWCONV : MN_STEP_F32_CONV;
    return MN_OK;
  }

  /* quantised */
  s->in_zero_point = mn_domain_zero_point (in, 0);
  st = build_requant (s, nd, in, w, out, channels, log);
  if (st != MN_OK)
    return st;
  if (kt->q8_requant_prepare)
    kt->q8_requant_prepare (&s->rq, channels);
  int32_t *bias = NULL, *wzp = weight_zero_points (w, channels);
  bias_i32 (g, nd, channels, &bias);
  if (!bias || !wzp) {
    free (bias);
    free (wzp);
    return MN_ERR_NO_MEMORY;
  }
  /* One row (the classifier) reuses no weight: its kernel reads them as
   * bytes, half the memory traffic of the GEMM's int16 layout. */
  const bool gemv = gemm && s->m == 1;
  s->quads = gemm && !gemv && kt->q8_gemm4 != NULL;
  size_t bytes = gemv       ? mn_q8_gemv_packed_size (s->n, s->k)
                 : s->quads ? mn_q8_gemm4_packed_size (s->n, s->k)
                 : gemm     ? mn_q8_gemm_packed_size (s->n, s->k)
                 : dw       ? mn_q8_dwconv_packed_size (&s->geom)
                            : mn_q8_conv_packed_size (&s->geom);
  s->packed = mn_huge_alloc (weights, bytes);
  uint8_t *converted = NULL;
  const uint8_t *wq = s->packed ? const_u8_domain (weights, w, &converted) : NULL;
  if (wq) {
    if (gemv)
      mn_q8_gemv_pack (s->n, s->k, wq, wzp, bias, s->in_zero_point, s->packed);
    else if (s->quads)
      mn_q8_gemm4_pack (s->n, s->k, wq, wzp, bias, s->in_zero_point, s->packed);
    else if (gemm)
      mn_q8_gemm_pack (s->n, s->k, wq, wzp, bias, s->in_zero_point, s->packed);
    else if (dw)
      mn_q8_dwconv_pack (&s->geom, wq, wzp, bias, s->packed);
    else
      mn_q8_conv_pack (&s->geom, wq, wzp, bias, s->packed);
  }
  mn_huge_free (weights, converted);
  free (bias);
  free (wzp);
  if (!wq) {
    mn_huge_free (weights, s->packed);
    s->packed = NULL;
    return MN_ERR_NO_MEMORY;
  }
  if (dw && kt->q8_dwconv_make_blocks) {
    /* without the memory, the layer makes them on every call instead */
    const size_t nb = kt->q8_dwconv_make_blocks (&s->geom, s->packed, s->in_zero_point, &s->rq,
                                                 NULL);
    if (nb > 0 && (s->dw_blocks = mn_huge_alloc (weights, nb)) != NULL)
      kt->q8_dwconv_make_blocks (&s->geom, s->packed, s->in_zero_point, &s->rq, s->dw_blocks);
  }
  s->kind = gemv   ? MN_STEP_Q8_GEMV
            : gemm ? MN_STEP_Q8_GEMM
            : dw   ? MN_STEP_Q8_DWCONV
                   : MN_STEP_Q8_CONV;
  return MN_OK;
}

static mn_status
plan_add (const mn_graph *g, const mn_node *nd, mn_step *s, const mn_logger *log)
{
  const mn_tensor *a = &g->tensors[nd->inputs[0]];
  const mn_tensor *b = &g->tensors[nd->inputs[1]];
  const mn_tensor *out = &g->tensors[nd->output];
  if (a->data || b->data)
    return FAIL (MN_ERR_UNSUPPORTED, "ADD at index %d: constant inputs are not supported",
                 nd->file_index);
  if (a->rank != b->rank || a->rank != out->rank ||
      memcmp (a->dims, b->dims, sizeof (int32_t) * (size_t) a->rank) != 0 ||
      memcmp (a->dims, out->dims, sizeof (int32_t) * (size_t) a->rank) != 0)
    return FAIL (MN_ERR_UNSUPPORTED,
                 "ADD at index %d: inputs and output must have the same shape (no broadcasting)",
                 nd->file_index);
  mn_status st = check_io_quant (nd, a, out, log);
  if (st == MN_OK)
    st = check_io_quant (nd, b, out, log);
  if (st != MN_OK)
    return st;
  s->in1 = nd->inputs[1];
  s->count = mn_tensor_elements (out);
  if (a->type == MN_DTYPE_FLOAT32) {
    float_range (nd->activation, &s->f_min, &s->f_max);
    s->kind = MN_STEP_F32_ADD;
    return MN_OK;
  }
  uint8_t lo, hi;
  quant_range (nd->activation, out, &lo, &hi);
  if (!mn_q8_add_params_init (&s->add, a->scales[0], mn_domain_zero_point (a, 0), b->scales[0],
                              mn_domain_zero_point (b, 0), out->scales[0],
                              mn_domain_zero_point (out, 0), lo, hi))
    return multiplier_too_large (nd, "twice the larger input scale / 2^20 / output scale",
                                 2.0 * fmax (a->scales[0], b->scales[0]) / 0x1p20
                                     / out->scales[0],
                                 log);
  s->kind = MN_STEP_Q8_ADD;
  return MN_OK;
}

/* MEAN over H and W, and AVERAGE_POOL_2D whose filter covers the whole map. */
static mn_status
plan_global_pool (const mn_graph *g, const mn_node *nd, mn_step *s, const mn_logger *log)
{
  const mn_tensor *in = &g->tensors[nd->inputs[0]];
  const mn_tensor *out = &g->tensors[nd->output];
  if (in->rank != 4 || in->dims[0] != 1)
    return FAIL (MN_ERR_UNSUPPORTED, "%s at index %d needs a 4-D input with batch 1",
                 mn_op_name (nd->op), nd->file_index);
  if (nd->op == MN_OP_MEAN) {
    const mn_tensor *axes = &g->tensors[nd->inputs[1]];
    size_t n = mn_tensor_elements (axes);
    bool h = false, w = false, other = false;
    for (size_t i = 0; axes->data && i < n; i++) {
      int64_t v;
      if (axes->type == MN_DTYPE_INT64) {
        memcpy (&v, (const int64_t *) axes->data + i, sizeof v);
      } else {
        int32_t v32;
        memcpy (&v32, (const int32_t *) axes->data + i, sizeof v32);
        v = v32;
      }
      if (v < 0)
        v += 4;
      if (v == 1) h = true;
      else if (v == 2) w = true;
      else other = true;
    }
    if (!axes->data || !h || !w || other)
      return FAIL (MN_ERR_UNSUPPORTED,
                   "MEAN at index %d: only a mean over height and width (axes 1, 2) is supported",
                   nd->file_index);
  } else {
    bool global = nd->padding == MN_PADDING_VALID && nd->filter_h == in->dims[1] &&
                  nd->filter_w == in->dims[2];
    if (!global)
      return FAIL (MN_ERR_UNSUPPORTED,
                   "AVERAGE_POOL_2D at index %d: only a VALID pool over the whole %dx%d map is "
                   "supported (filter %dx%d)",
                   nd->file_index, in->dims[1], in->dims[2], nd->filter_h, nd->filter_w);
  }
  s->rows = in->dims[1] * in->dims[2];
  s->channels = in->dims[3];
  if (mn_tensor_elements (out) != (size_t) s->channels)
    return FAIL (MN_ERR_MALFORMED, "%s at index %d: output has %zu values, expected %d",
                 mn_op_name (nd->op), nd->file_index, mn_tensor_elements (out), s->channels);
  mn_status st = check_io_quant (nd, in, out, log);
  if (st != MN_OK)
    return st;
  if (in->type == MN_DTYPE_FLOAT32) {
    float_range (nd->activation, &s->f_min, &s->f_max);
    s->kind = MN_STEP_F32_MEAN;
    return MN_OK;
  }
  /* each channel's sum of 8-bit values, and 128 x pixels (the int8 shift
   * back), must fit an int32 as in TFLite's kernels */
  if (s->rows > INT32_MAX / 256)
    return FAIL (MN_ERR_UNSUPPORTED,
                 "%s at index %d: a quantised pool over %d pixels: at most %d fit its int32 "
                 "sums",
                 mn_op_name (nd->op), nd->file_index, s->rows, INT32_MAX / 256);
  s->pool.is_int8 = in->type == MN_DTYPE_INT8;
  s->pool.in_zero_point = mn_domain_zero_point (in, 0);
  s->pool.out_zero_point = mn_domain_zero_point (out, 0);
  s->pool.in_scale = in->scales[0];
  s->pool.out_scale = out->scales[0];
  quant_range (nd->activation, out, &s->pool.out_min, &s->pool.out_max);
  if (nd->op == MN_OP_AVERAGE_POOL_2D) {
    if (!same_quant (in, out))
      return FAIL (MN_ERR_UNSUPPORTED,
                   "AVERAGE_POOL_2D at index %d: input and output quantisation must match",
                   nd->file_index);
    s->kind = MN_STEP_Q8_AVGPOOL;
  } else {
    int32_t multiplier, shift, bias;
    if (!mn_q8_mean_requant (s->rows, &s->pool, &multiplier, &shift, &bias))
      return FAIL (MN_ERR_UNSUPPORTED,
                   "MEAN at index %d: input scale %g over %d pixels to output scale %g needs a "
                   "requantisation no int32 arithmetic can apply",
                   nd->file_index, s->pool.in_scale, s->rows, s->pool.out_scale);
    s->kind = MN_STEP_Q8_MEAN;
  }
  return MN_OK;
}

static mn_status
plan_softmax (const mn_graph *g, const mn_node *nd, mn_step *s, const mn_logger *log)
{
  const mn_tensor *in = &g->tensors[nd->inputs[0]];
  const mn_tensor *out = &g->tensors[nd->output];
  mn_status st = check_io_quant (nd, in, out, log);
  if (st != MN_OK)
    return st;
  if (in->rank < 1 || mn_tensor_elements (in) != mn_tensor_elements (out))
    return FAIL (MN_ERR_MALFORMED, "SOFTMAX at index %d: input and output sizes differ",
                 nd->file_index);
  s->channels = in->dims[in->rank - 1];
  s->rows = (int) (mn_tensor_elements (in) / (size_t) s->channels);
  s->beta = nd->beta;
  if (in->type == MN_DTYPE_FLOAT32) {
    s->kind = MN_STEP_F32_SOFTMAX;
    return MN_OK;
  }
  s->in_scale = in->scales[0];
  s->out_scale = out->scales[0];
  s->out_zero_point = mn_domain_zero_point (out, 0);
  s->out_is_int8 = out->type == MN_DTYPE_INT8;
  s->kind = MN_STEP_Q8_SOFTMAX;
  return MN_OK;
}

static mn_status
plan_convert (const mn_graph *g, const mn_node *nd, mn_step *s, const mn_logger *log)
{
  const mn_tensor *in = &g->tensors[nd->inputs[0]];
  const mn_tensor *out = &g->tensors[nd->output];
  if (mn_tensor_elements (in) != mn_tensor_elements (out))
    return FAIL (MN_ERR_MALFORMED, "%s at index %d: input and output sizes differ",
                 mn_op_name (nd->op), nd->file_index);
  s->count = mn_tensor_elements (out);
  if (nd->op == MN_OP_DEQUANTIZE) {
    if (!is_q8 (in->type) || in->num_scales != 1 || out->type != MN_DTYPE_FLOAT32)
      return FAIL (MN_ERR_UNSUPPORTED,
                   "DEQUANTIZE at index %d: only per-tensor 8-bit to FLOAT32 is supported",
                   nd->file_index);
    s->in_scale = in->scales[0];
    s->in_zero_point = mn_domain_zero_point (in, 0);
    s->kind = MN_STEP_DEQUANTIZE;
    return MN_OK;
  }
  if (!is_q8 (out->type) || out->num_scales != 1)
    return FAIL (MN_ERR_UNSUPPORTED,
                 "QUANTIZE at index %d: only per-tensor 8-bit outputs are supported",
                 nd->file_index);
  s->out_scale = out->scales[0];
  s->out_zero_point = mn_domain_zero_point (out, 0);
  if (in->type == MN_DTYPE_FLOAT32) {
    s->kind = MN_STEP_QUANTIZE;
    return MN_OK;
  }
  if (!is_q8 (in->type) || in->num_scales != 1)
    return FAIL (MN_ERR_UNSUPPORTED,
                 "QUANTIZE at index %d: input of type %s is not supported", nd->file_index,
                 mn_dtype_str (in->type));
  s->in_scale = in->scales[0];
  s->in_zero_point = mn_domain_zero_point (in, 0);
  s->multiplier = malloc (sizeof (int32_t));
  s->shift = malloc (sizeof (int32_t));
  if (!s->multiplier || !s->shift)
    return MN_ERR_NO_MEMORY;
  if (!mn_quantize_multiplier (s->in_scale / s->out_scale, s->multiplier, s->shift))
    return multiplier_too_large (nd, "input scale / output scale", s->in_scale / s->out_scale,
                                 log);
  s->kind = MN_STEP_REQUANTIZE;
  return MN_OK;
}

static mn_status
plan_pad (const mn_graph *g, const mn_node *nd, mn_step *s, const mn_logger *log)
{
  const mn_tensor *in = &g->tensors[nd->inputs[0]];
  const mn_tensor *pads = &g->tensors[nd->inputs[1]];
  const mn_tensor *out = &g->tensors[nd->output];
  if (in->rank < 1 || in->rank > 4 || out->rank != in->rank || !pads->data ||
      mn_tensor_elements (pads) != (size_t) in->rank * 2)
    return FAIL (MN_ERR_UNSUPPORTED,
                 "PAD at index %d: needs constant paddings of shape [%d,2] for a 1-4-D input",
                 nd->file_index, in->rank);
  mn_status st = check_io_quant (nd, in, out, log);
  if (st != MN_OK)
    return st;
  if (in->type != MN_DTYPE_FLOAT32 && !same_quant (in, out))
    return FAIL (MN_ERR_UNSUPPORTED, "PAD at index %d: input and output quantisation must match",
                 nd->file_index);
  /* Right-align the dims into 4-D. */
  const int lead = 4 - in->rank;
  for (int i = 0; i < 4; i++) {
    s->pad_dims[i] = 1;
    s->pad_before[i] = s->pad_after[i] = 0;
  }
  for (int i = 0; i < in->rank; i++) {
    int64_t before, after;
    if (pads->type == MN_DTYPE_INT64) {
      memcpy (&before, (const int64_t *) pads->data + 2 * i, sizeof before);
      memcpy (&after, (const int64_t *) pads->data + 2 * i + 1, sizeof after);
    } else {
      int32_t b32, a32;
      memcpy (&b32, (const int32_t *) pads->data + 2 * i, sizeof b32);
      memcpy (&a32, (const int32_t *) pads->data + 2 * i + 1, sizeof a32);
      before = b32;
      after = a32;
    }
    if (before < 0 || after < 0 || before > MN_MAX_DIM || after > MN_MAX_DIM ||
        in->dims[i] + before + after != out->dims[i])
      return FAIL (MN_ERR_MALFORMED,
                   "PAD at index %d: paddings %lld/%lld on dimension %d do not turn %d into %d",
                   nd->file_index, (long long) before, (long long) after, i, in->dims[i],
                   out->dims[i]);
    s->pad_dims[lead + i] = in->dims[i];
    s->pad_before[lead + i] = (int32_t) before;
    s->pad_after[lead + i] = (int32_t) after;
  }
  if (in->type == MN_DTYPE_FLOAT32) {
    s->elem_size = 4;
    s->fill = 0; /* bits of 0.0f */
  } else {
    s->elem_size = 1;
    s->fill = (uint32_t) mn_domain_zero_point (in, 0);
  }
  s->kind = MN_STEP_PAD;
  return MN_OK;
}

static mn_status
plan_alias (const mn_graph *g, const mn_node *nd, mn_plan *p, const mn_logger *log)
{
  const mn_tensor *in = &g->tensors[nd->inputs[0]];
  const mn_tensor *out = &g->tensors[nd->output];
  if (mn_tensor_elements (in) != mn_tensor_elements (out) || in->type != out->type)
    return FAIL (MN_ERR_MALFORMED, "%s at index %d: %zu %s values cannot become %zu %s values",
                 mn_op_name (nd->op), nd->file_index, mn_tensor_elements (in),
                 mn_dtype_str (in->type), mn_tensor_elements (out), mn_dtype_str (out->type));
  if (in->num_scales != out->num_scales ||
      (in->num_scales == 1 && !same_quant (in, out)))
    return FAIL (MN_ERR_UNSUPPORTED, "%s at index %d changes quantisation",
                 mn_op_name (nd->op), nd->file_index);
  p->tensors[nd->output].storage = p->tensors[nd->inputs[0]].storage;
  return MN_OK;
}

static uint64_t
node_params (const mn_graph *g, const mn_node *nd)
{
  if (nd->op != MN_OP_CONV_2D && nd->op != MN_OP_DEPTHWISE_CONV_2D &&
      nd->op != MN_OP_FULLY_CONNECTED)
    return 0;
  uint64_t n = mn_tensor_elements (&g->tensors[nd->inputs[1]]);
  if (nd->num_inputs >= 3 && nd->inputs[2] >= 0)
    n += mn_tensor_elements (&g->tensors[nd->inputs[2]]);
  return n;
}

static uint64_t
step_macs (const mn_step *s)
{
  switch (s->kind) {
    case MN_STEP_F32_GEMM:
    case MN_STEP_Q8_GEMM:
    case MN_STEP_Q8_GEMV:
      return (uint64_t) s->m * (uint64_t) s->n * (uint64_t) s->k;
    case MN_STEP_F32_CONV:
    case MN_STEP_Q8_CONV:
      return (uint64_t) s->geom.out_h * s->geom.out_w * s->geom.out_c * s->geom.k_h *
             s->geom.k_w * s->geom.in_c;
    case MN_STEP_F32_DWCONV:
    case MN_STEP_Q8_DWCONV:
      return (uint64_t) s->geom.out_h * s->geom.out_w * s->geom.out_c * s->geom.k_h *
             s->geom.k_w;
    default:
      return 0;
  }
}

static mn_status
plan_node (const mn_graph *g, const mn_node *nd, mn_step *s, const mn_kernel_table *kt,
           mn_huge_region *weights, const mn_logger *log)
{
  switch (nd->op) {
    case MN_OP_CONV_2D:
    case MN_OP_DEPTHWISE_CONV_2D:
    case MN_OP_FULLY_CONNECTED:
      return plan_conv_like (g, nd, s, kt, weights, log);
    case MN_OP_ADD:
      return plan_add (g, nd, s, log);
    case MN_OP_AVERAGE_POOL_2D:
    case MN_OP_MEAN:
      return plan_global_pool (g, nd, s, log);
    case MN_OP_SOFTMAX:
      return plan_softmax (g, nd, s, log);
    case MN_OP_QUANTIZE:
    case MN_OP_DEQUANTIZE:
      return plan_convert (g, nd, s, log);
    case MN_OP_PAD:
      return plan_pad (g, nd, s, log);
    case MN_OP_RESHAPE:
    case MN_OP_SQUEEZE:
      break;
  }
  return FAIL (MN_ERR_UNSUPPORTED, "%s at index %d has no kernel", mn_op_name (nd->op),
               nd->file_index);
}

bool
mn_plan_read_outside (const mn_plan *p, int storage, int first, int last)
{
  for (int i = 0; i < p->num_steps; i++) {
    const mn_step *st = &p->steps[i];
    if (i >= first && i <= last)
      continue;
    if (p->tensors[st->in0].storage == storage
        || (st->in1 >= 0 && p->tensors[st->in1].storage == storage))
      return true;
  }
  return false;
}

/* A float pointwise convolution or fully connected layer whose output
 * only feeds the next step, an ADD without activation of two same-shape
 * tensors: the GEMM adds the ADD's other input as it stores (in1 holds
 * it) and writes the ADD's output; the ADD step goes.  The float
 * operations are the same, so the results are too, and the GEMM's output
 * never goes through memory. */
static void
fuse_residual_adds (const mn_graph *g, mn_plan *p)
{
  for (int i = 0; i + 1 < p->num_steps; i++) {
    mn_step *gemm = &p->steps[i], *add = &p->steps[i + 1];
    if (gemm->kind != MN_STEP_F32_GEMM || add->kind != MN_STEP_F32_ADD || gemm->in1 >= 0
        || add->f_min != -INFINITY || add->f_max != INFINITY)
      continue;
    const int t = gemm->out, ts = p->tensors[t].storage;
    const int other = add->in0 == t ? add->in1 : add->in1 == t ? add->in0 : -1;
    if (other < 0 || p->tensors[other].storage == ts || ts == p->tensors[g->output].storage
        || add->count != (size_t) gemm->m * (size_t) gemm->n
        || mn_plan_read_outside (p, ts, i + 1, i + 1))
      continue;
    gemm->in1 = other;
    gemm->out = add->out;
    memmove (add, add + 1, sizeof *add * (size_t) (p->num_steps - i - 2));
    p->num_steps--;
  }
}

/* Float GEMMs whose input is a ReLU's output (written by a float step
 * that clamps at 0 or above) run on kt's f32_gemm_sparse where it has one
 * and their weights suit it: 30-70 % of V2's projection inputs are zero.
 * The kernel itself hands row blocks with few zeros to the dense one.
 * One pass, each storage's last writer at hand.  False: out of memory. */
static bool
mark_sparse_inputs (const mn_graph *g, mn_plan *p, const mn_kernel_table *kt)
{
  if (!kt->f32_gemm_sparse)
    return true;
  int *writer = malloc (sizeof (int) * (size_t) (g->num_tensors ? g->num_tensors : 1));
  if (!writer)
    return false;
  for (int t = 0; t < g->num_tensors; t++)
    writer[t] = -1;
  for (int i = 0; i < p->num_steps; i++) {
    mn_step *s = &p->steps[i];
    const int w = writer[p->tensors[s->in0].storage];
    if (s->kind == MN_STEP_F32_GEMM && !s->sliced && s->m >= 2 && w >= 0) {
      const mn_step *ws = &p->steps[w];
      s->sparse = (ws->kind == MN_STEP_F32_GEMM || ws->kind == MN_STEP_F32_CONV ||
                   ws->kind == MN_STEP_F32_DWCONV) &&
                  ws->f_min >= 0.0f && mn_f32_gemm_sparse_suits (s->n, s->k, s->packed);
    }
    writer[p->tensors[s->out].storage] = i;
  }
  free (writer);
  return true;
}

mn_status
mn_plan_build (const mn_graph *g, mn_plan *p, const mn_kernel_table *kt, const mn_logger *log)
{
  memset (p, 0, sizeof *p);
  p->tensors = calloc ((size_t) g->num_tensors, sizeof *p->tensors);
  p->steps = calloc ((size_t) (g->num_nodes ? g->num_nodes : 1), sizeof *p->steps);
  p->node_macs = calloc ((size_t) (g->num_nodes ? g->num_nodes : 1), sizeof (uint64_t));
  p->node_params = calloc ((size_t) (g->num_nodes ? g->num_nodes : 1), sizeof (uint64_t));
  if (!p->tensors || !p->steps || !p->node_macs || !p->node_params)
    goto no_memory;

  size_t constant_bytes = 0;
  for (int i = 0; i < g->num_tensors; i++) {
    const mn_tensor *t = &g->tensors[i];
    if (t->data)
      constant_bytes += t->nbytes;
    p->tensors[i].storage = i;
    p->tensors[i].bytes = mn_tensor_elements (t) * mn_dtype_size (t->type);
    p->tensors[i].is_activation = t->data == NULL;
    p->tensors[i].is_int8 = t->type == MN_DTYPE_INT8;
  }
  /* Packed weights are 0.9-1.05 times the constants in the shared models
   * (padding can make a small layer's more); what passes the region comes
   * from the heap.  Small models (under 1 MiB of constants) use the heap:
   * their pages fit the TLB, and a huge page would be mostly empty. */
  if (constant_bytes >= MN_HUGE_PAGE / 2)
    mn_huge_region_reserve (&p->weights, 2 * constant_bytes + 4 * MN_HUGE_PAGE);

  /* Any shape loads (op tests feed raw tensors); mn_session_run checks
   * that an image input is [1,height,width,3]. */
  const mn_tensor *gin = &g->tensors[g->input];
  if (gin->type != MN_DTYPE_FLOAT32 && !(is_q8 (gin->type) && gin->num_scales == 1))
    return mn_log_error (log, MN_ERR_UNSUPPORTED,
                         "mn_model_load: input of type %s: need FLOAT32 or quantised 8-bit",
                         mn_dtype_str (gin->type));
  const mn_tensor *gout = &g->tensors[g->output];
  if (gout->type != MN_DTYPE_FLOAT32 && !(is_q8 (gout->type) && gout->num_scales == 1))
    return mn_log_error (log, MN_ERR_UNSUPPORTED,
                         "mn_model_load: output of type %s: need FLOAT32 or quantised 8-bit",
                         mn_dtype_str (gout->type));
  if (gout->data)
    return mn_log_error (log, MN_ERR_UNSUPPORTED, "mn_model_load: the output is a constant");

  for (int i = 0; i < g->num_nodes; i++) {
    const mn_node *nd = &g->nodes[i];
    mn_status st;
    p->node_params[i] = node_params (g, nd);
    p->total_params += p->node_params[i];
    if (nd->op == MN_OP_RESHAPE || nd->op == MN_OP_SQUEEZE) {
      st = plan_alias (g, nd, p, log);
      if (st != MN_OK)
        return st;
      continue;
    }
    mn_step *s = &p->steps[p->num_steps];
    s->node = i;
    s->in0 = nd->inputs[0];
    s->in1 = -1;
    s->out = nd->output;
    st = plan_node (g, nd, s, kt, &p->weights, log);
    p->num_steps++; /* counted even on failure so mn_plan_clear frees it */
    if (st == MN_ERR_NO_MEMORY)
      goto no_memory;
    if (st != MN_OK)
      return st;
    if (g->tensors[s->in0].data || (s->in1 >= 0 && g->tensors[s->in1].data))
      return mn_log_error (log, MN_ERR_UNSUPPORTED,
                           "mn_model_load: %s at index %d reads a constant as its data input",
                           mn_op_name (nd->op), nd->file_index);
    p->node_macs[i] = step_macs (s);
    p->total_macs += p->node_macs[i];
  }
  fuse_residual_adds (g, p);
  if (!mark_sparse_inputs (g, p, kt))
    goto no_memory;
  mn_huge_region_trim (&p->weights);
  return MN_OK;

no_memory:
  return mn_log_error (log, MN_ERR_NO_MEMORY, "mn_model_load: out of memory while packing weights");
}

void
mn_plan_clear (mn_plan *p)
{
  for (int i = 0; p->steps && i < p->num_steps; i++) {
    mn_huge_free (&p->weights, p->steps[i].packed);
    mn_huge_free (&p->weights, p->steps[i].dw_blocks);
    free (p->steps[i].multiplier);
    free (p->steps[i].shift);
  }
  free (p->steps);
  free (p->tensors);
  free (p->node_macs);
  free (p->node_params);
  mn_huge_region_release (&p->weights);
  memset (p, 0, sizeof *p);
}
