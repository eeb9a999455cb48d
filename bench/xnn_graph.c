/* xnn_graph.c: our validated model graph rebuilt as an XNNPACK subgraph.
 *
 * Every graph tensor becomes an XNNPACK Value with its original type and
 * quantisation: fp32; quint8 (qu8) activations with per-tensor quint8
 * weights; qint8 (qs8) activations with per-channel qcint8 weights and
 * qcint32 biases.  Each node becomes the XNNPACK node of the same meaning,
 * with TensorFlow's SAME padding spelled out as explicit paddings.
 *
 * The edges are handled as mn_session_run handles them, on the host and
 * inside the timed call: pixels are normalised (float models) or mapped
 * through the same 256-entry table (quantised models); a QUANTIZE that only
 * moves uint8 <-> int8 by 128 at the graph's input or output becomes an XOR
 * there; the output is dequantised to float scores.
 *
 * Where this XNNPACK version has no quantised node (softmax in 2022), the
 * node runs in fp32 between two Convert nodes, and the notes say so.
 */
#include "xnn_graph.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

#define INPUT_EXTERNAL_ID 0
#define OUTPUT_EXTERNAL_ID 1

typedef enum {
  EDGE_F32,       /* float input: (pixel - mean) / std */
  EDGE_Q8,        /* 8-bit input: through the pixel table */
} edge_mode;

struct xg_net {
  const mn_graph *g;
  xnn_subgraph_t subgraph;
  xnn_runtime_t runtime;
  uint32_t *ids;          /* XNNPACK Value per graph tensor, or XNN_INVALID_VALUE_ID */
  int xnn_input;          /* graph tensor XNNPACK takes as its input */
  int xnn_output;         /* graph tensor XNNPACK produces as its output */
  int skip_first, skip_last;  /* nodes done on the host (edge QUANTIZE), or -1 */
  /* input */
  edge_mode in_mode;
  int in_pixels;          /* H * W * 3 */
  float mean, inv_std;
  uint8_t lut[256];       /* pixel -> input byte (int8 as its bit pattern) */
  void *in_buf;
  /* output */
  mn_dtype out_type;      /* of xnn_output */
  float out_scale;
  int32_t out_zero_point;
  int num_classes;
  void *out_buf;
  float *scores;
  /* constant copies (aligned, with XNN_EXTRA_BYTES) */
  void **blocks;
  int num_blocks, cap_blocks;
  bool softmax_in_f32;
  bool edge_on_host;
  char notes[256];
};

static const char *
xnn_status_name (enum xnn_status st)
{
  switch (st) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid_parameter";
    case xnn_status_invalid_state: return "invalid_state";
    case xnn_status_unsupported_parameter: return "unsupported_parameter";
    case xnn_status_unsupported_hardware: return "unsupported_hardware";
    case xnn_status_out_of_memory: return "out_of_memory";
  }
  return "unknown";
}

static void
say (char *why, size_t why_size, const char *fmt, ...)
{
  va_list ap;
  if (!why || why_size == 0)
    return;
  va_start (ap, fmt);
  vsnprintf (why, why_size, fmt, ap);
  va_end (ap);
}

bool
xg_init (char *why, size_t why_size)
{
  enum xnn_status st = xnn_initialize (NULL);
  if (st != xnn_status_success) {
    say (why, why_size, "xnn_initialize: %s", xnn_status_name (st));
    return false;
  }
  return true;
}

/* A buffer of size bytes plus the slack XNNPACK may read past the end. */
static void *
alloc_padded (size_t size)
{
  size_t total = (size + XNN_EXTRA_BYTES + 63) & ~(size_t) 63;
  void *p = aligned_alloc (64, total);
  if (p)
    memset (p, 0, total);
  return p;
}

static void *
own_block (xg_net *n, size_t size)
{
  if (n->num_blocks == n->cap_blocks) {
    int cap = n->cap_blocks ? n->cap_blocks * 2 : 64;
    void **b = realloc (n->blocks, sizeof (void *) * (size_t) cap);
    if (!b)
      return NULL;
    n->blocks = b;
    n->cap_blocks = cap;
  }
  void *p = alloc_padded (size);
  if (p)
    n->blocks[n->num_blocks++] = p;
  return p;
}

static float
qscale (const mn_tensor *t, int c)
{
  return t->num_scales > 0 ? t->scales[t->num_scales > 1 ? c : 0] : 0.f;
}

static int32_t
qzero (const mn_tensor *t)
{
  return t->num_scales > 0 ? t->zero_points[0] : 0;
}

static void
activation_range (mn_activation a, float *lo, float *hi)
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

/* Defines a Value like graph tensor t but with its own shape and no data
 * (an internal intermediate). */
static enum xnn_status
define_like (xg_net *n, const mn_tensor *t, mn_dtype type, int rank, const size_t *dims,
             uint32_t *id)
{
  switch (type) {
    case MN_DTYPE_FLOAT32:
      return xnn_define_tensor_value (n->subgraph, xnn_datatype_fp32, (size_t) rank, dims, NULL,
                                      XNN_INVALID_VALUE_ID, 0, id);
    case MN_DTYPE_UINT8:
      return xnn_define_quantized_tensor_value (n->subgraph, xnn_datatype_quint8, qzero (t),
                                                qscale (t, 0), (size_t) rank, dims, NULL,
                                                XNN_INVALID_VALUE_ID, 0, id);
    case MN_DTYPE_INT8:
      return xnn_define_quantized_tensor_value (n->subgraph, xnn_datatype_qint8, qzero (t),
                                                qscale (t, 0), (size_t) rank, dims, NULL,
                                                XNN_INVALID_VALUE_ID, 0, id);
    default:
      return xnn_status_unsupported_parameter;
  }
}

/* The XNNPACK Value of graph tensor i, defined on first use. */
static bool
value_of (xg_net *n, int i, uint32_t *id, char *why, size_t why_size)
{
  if (n->ids[i] != XNN_INVALID_VALUE_ID) {
    *id = n->ids[i];
    return true;
  }
  const mn_tensor *t = &n->g->tensors[i];
  size_t dims[MN_MAX_RANK];
  for (int d = 0; d < t->rank; d++)
    dims[d] = (size_t) t->dims[d];
  uint32_t external = XNN_INVALID_VALUE_ID, flags = 0;
  if (i == n->xnn_input) {
    external = INPUT_EXTERNAL_ID;
    flags = XNN_VALUE_FLAG_EXTERNAL_INPUT;
  } else if (i == n->xnn_output) {
    external = OUTPUT_EXTERNAL_ID;
    flags = XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
  }
  const void *data = NULL;
  if (t->data) {
    void *copy = own_block (n, t->nbytes);
    if (!copy) {
      say (why, why_size, "out of memory");
      return false;
    }
    memcpy (copy, t->data, t->nbytes);
    data = copy;
  }
  const bool per_channel = t->num_scales > 1;
  enum xnn_status st;
  const char *what;
  switch (t->type) {
    case MN_DTYPE_FLOAT32:
      what = "fp32";
      st = xnn_define_tensor_value (n->subgraph, xnn_datatype_fp32, (size_t) t->rank, dims, data,
                                    external, flags, id);
      break;
    case MN_DTYPE_UINT8:
      what = "quint8";
      if (per_channel) {
        say (why, why_size, "tensor %d (%s): uint8 quantised per channel: XNNPACK has no such type",
             i, t->name);
        return false;
      }
      st = xnn_define_quantized_tensor_value (n->subgraph, xnn_datatype_quint8, qzero (t),
                                              qscale (t, 0), (size_t) t->rank, dims, data,
                                              external, flags, id);
      break;
    case MN_DTYPE_INT8:
      what = per_channel ? "qcint8" : "qint8";
      if (per_channel)
        st = xnn_define_channelwise_quantized_tensor_value (
            n->subgraph, xnn_datatype_qcint8, t->scales, (size_t) t->rank, (size_t) t->quant_dim,
            dims, data, external, flags, id);
      else
        st = xnn_define_quantized_tensor_value (n->subgraph, xnn_datatype_qint8, qzero (t),
                                                qscale (t, 0), (size_t) t->rank, dims, data,
                                                external, flags, id);
      break;
    case MN_DTYPE_INT32:
      what = per_channel ? "qcint32" : "qint32";
      if (per_channel)
        st = xnn_define_channelwise_quantized_tensor_value (
            n->subgraph, xnn_datatype_qcint32, t->scales, (size_t) t->rank, (size_t) t->quant_dim,
            dims, data, external, flags, id);
      else
        st = xnn_define_quantized_tensor_value (n->subgraph, xnn_datatype_qint32, qzero (t),
                                                qscale (t, 0), (size_t) t->rank, dims, data,
                                                external, flags, id);
      break;
    default:
      say (why, why_size, "tensor %d (%s) has type %s: not translated", i, t->name,
           mn_dtype_str (t->type));
      return false;
  }
  if (st != xnn_status_success) {
    say (why, why_size, "tensor %d (%s): defining a %s Value failed: %s", i, t->name, what,
         xnn_status_name (st));
    return false;
  }
  n->ids[i] = *id;
  return true;
}

/* A zero bias for a conv-like node without one: fp32 or int32 (scale
 * in_scale * w_scale, per channel when the weights are). */
static bool
zero_bias (xg_net *n, const mn_tensor *in, const mn_tensor *w, int channels, uint32_t *id,
           char *why, size_t why_size)
{
  size_t dims[1] = { (size_t) channels };
  void *zeros = own_block (n, sizeof (float) * (size_t) channels);
  if (!zeros) {
    say (why, why_size, "out of memory");
    return false;
  }
  enum xnn_status st;
  if (in->type == MN_DTYPE_FLOAT32) {
    st = xnn_define_tensor_value (n->subgraph, xnn_datatype_fp32, 1, dims, zeros,
                                  XNN_INVALID_VALUE_ID, 0, id);
  } else if (w->num_scales > 1) {
    float *scales = own_block (n, sizeof (float) * (size_t) channels);
    if (!scales) {
      say (why, why_size, "out of memory");
      return false;
    }
    for (int c = 0; c < channels; c++)
      scales[c] = qscale (in, 0) * qscale (w, c);
    st = xnn_define_channelwise_quantized_tensor_value (n->subgraph, xnn_datatype_qcint32, scales,
                                                        1, 0, dims, zeros, XNN_INVALID_VALUE_ID,
                                                        0, id);
  } else {
    st = xnn_define_quantized_tensor_value (n->subgraph, xnn_datatype_qint32, 0,
                                            qscale (in, 0) * qscale (w, 0), 1, dims, zeros,
                                            XNN_INVALID_VALUE_ID, 0, id);
  }
  if (st != xnn_status_success) {
    say (why, why_size, "defining a zero bias failed: %s", xnn_status_name (st));
    return false;
  }
  return true;
}

static void
same_padding (int in, int out, int k, int stride, uint32_t *before, uint32_t *after)
{
  int total = (out - 1) * stride + k - in;
  if (total < 0)
    total = 0;
  *before = (uint32_t) (total / 2);
  *after = (uint32_t) (total - total / 2);
}

#define NODE_FAIL(st, fn)                                                                      \
  do {                                                                                         \
    say (why, why_size, "%s at index %d (%s -> %s): %s: %s", mn_op_name (nd->op),             \
         nd->file_index, mn_dtype_str (n->g->tensors[nd->inputs[0]].type),                     \
         mn_dtype_str (n->g->tensors[nd->output].type), fn, xnn_status_name (st));            \
    return false;                                                                              \
  } while (0)

static bool
add_conv_like (xg_net *n, const mn_node *nd, char *why, size_t why_size)
{
  const mn_graph *g = n->g;
  const mn_tensor *in = &g->tensors[nd->inputs[0]];
  const mn_tensor *w = &g->tensors[nd->inputs[1]];
  const mn_tensor *out = &g->tensors[nd->output];
  uint32_t in_id, w_id, b_id, out_id;
  float lo, hi;
  enum xnn_status st;

  activation_range (nd->activation, &lo, &hi);
  const int channels = nd->op == MN_OP_DEPTHWISE_CONV_2D ? w->dims[3] : w->dims[0];
  if (!value_of (n, nd->inputs[0], &in_id, why, why_size) ||
      !value_of (n, nd->inputs[1], &w_id, why, why_size))
    return false;
  if (nd->num_inputs >= 3 && nd->inputs[2] >= 0) {
    if (!value_of (n, nd->inputs[2], &b_id, why, why_size))
      return false;
  } else if (!zero_bias (n, in, w, channels, &b_id, why, why_size)) {
    return false;
  }

  if (nd->op == MN_OP_FULLY_CONNECTED) {
    /* Input of any rank, flattened to [M, K] as TFLite does. */
    const uint32_t flags = in->rank != 2 ? XNN_FLAG_TENSORFLOW_RESHAPE_2D : 0;
    uint32_t fc_out;
    if (flags && out->rank != 2) {
      size_t d2[2] = { mn_tensor_elements (out) / (size_t) channels, (size_t) channels };
      st = define_like (n, out, out->type, 2, d2, &fc_out);
      if (st != xnn_status_success)
        NODE_FAIL (st, "defining the 2-D output");
    } else if (!value_of (n, nd->output, &fc_out, why, why_size)) {
      return false;
    }
    st = xnn_define_fully_connected (n->subgraph, lo, hi, in_id, w_id, b_id, fc_out, flags);
    if (st != xnn_status_success)
      NODE_FAIL (st, "xnn_define_fully_connected");
    if (fc_out != n->ids[nd->output]) {
      size_t dims[MN_MAX_RANK];
      for (int d = 0; d < out->rank; d++)
        dims[d] = (size_t) out->dims[d];
      if (!value_of (n, nd->output, &out_id, why, why_size))
        return false;
      st = xnn_define_static_reshape (n->subgraph, (size_t) out->rank, dims, fc_out, out_id, 0);
      if (st != xnn_status_success)
        NODE_FAIL (st, "xnn_define_static_reshape");
    }
    return true;
  }

  if (!value_of (n, nd->output, &out_id, why, why_size))
    return false;
  const int in_h = in->dims[1], in_w = in->dims[2], in_c = in->dims[3];
  const int out_h = out->dims[1], out_w = out->dims[2];
  const int k_h = w->dims[1], k_w = w->dims[2];
  uint32_t pt = 0, pb = 0, pl = 0, pr = 0;
  if (nd->padding == MN_PADDING_SAME) {
    same_padding (in_h, out_h, k_h, nd->stride_h, &pt, &pb);
    same_padding (in_w, out_w, k_w, nd->stride_w, &pl, &pr);
  }
  if (nd->op == MN_OP_DEPTHWISE_CONV_2D) {
    st = xnn_define_depthwise_convolution_2d (
        n->subgraph, pt, pr, pb, pl, (uint32_t) k_h, (uint32_t) k_w, (uint32_t) nd->stride_h,
        (uint32_t) nd->stride_w, 1, 1, (uint32_t) (channels / in_c), (size_t) in_c, lo, hi, in_id,
        w_id, b_id, out_id, 0);
    if (st != xnn_status_success)
      NODE_FAIL (st, "xnn_define_depthwise_convolution_2d");
  } else {
    st = xnn_define_convolution_2d (n->subgraph, pt, pr, pb, pl, (uint32_t) k_h, (uint32_t) k_w,
                                    (uint32_t) nd->stride_h, (uint32_t) nd->stride_w, 1, 1, 1,
                                    (size_t) in_c, (size_t) channels, lo, hi, in_id, w_id, b_id,
                                    out_id, 0);
    if (st != xnn_status_success)
      NODE_FAIL (st, "xnn_define_convolution_2d");
  }
  return true;
}

/* AVERAGE_POOL_2D over the whole map, or MEAN over H and W. */
static bool
add_global_pool (xg_net *n, const mn_node *nd, char *why, size_t why_size)
{
  const mn_tensor *in = &n->g->tensors[nd->inputs[0]];
  const mn_tensor *out = &n->g->tensors[nd->output];
  uint32_t in_id, out_id, pool_out;
  enum xnn_status st;
  float lo, hi;

  if (in->rank != 4) {
    say (why, why_size, "%s at index %d: input must be 4-D", mn_op_name (nd->op),
         nd->file_index);
    return false;
  }
  if (nd->op == MN_OP_AVERAGE_POOL_2D &&
      (nd->filter_h != in->dims[1] || nd->filter_w != in->dims[2] ||
       nd->padding != MN_PADDING_VALID)) {
    say (why, why_size, "AVERAGE_POOL_2D at index %d: only a VALID pool over the whole map is "
         "translated", nd->file_index);
    return false;
  }
  if (nd->op == MN_OP_MEAN) {
    const mn_tensor *axes = &n->g->tensors[nd->inputs[1]];
    const int32_t *ax = axes->data;
    int32_t a[2] = { 0, 0 };
    if (axes->data && mn_tensor_elements (axes) == 2)
      memcpy (a, ax, sizeof a);
    if (!((a[0] == 1 && a[1] == 2) || (a[0] == 2 && a[1] == 1))) {
      say (why, why_size, "MEAN at index %d: only a mean over H and W is translated",
           nd->file_index);
      return false;
    }
  }
  activation_range (nd->activation, &lo, &hi);
  if (!value_of (n, nd->inputs[0], &in_id, why, why_size))
    return false;
  if (out->rank == 4) {
    if (!value_of (n, nd->output, &pool_out, why, why_size))
      return false;
  } else {
    size_t d4[4] = { (size_t) in->dims[0], 1, 1, (size_t) in->dims[3] };
    st = define_like (n, out, out->type, 4, d4, &pool_out);
    if (st != xnn_status_success)
      NODE_FAIL (st, "defining the 4-D output");
  }
  st = xnn_define_global_average_pooling_2d (n->subgraph, lo, hi, in_id, pool_out, 0);
  if (st != xnn_status_success)
    NODE_FAIL (st, "xnn_define_global_average_pooling_2d");
  if (out->rank != 4) {
    size_t dims[MN_MAX_RANK];
    for (int d = 0; d < out->rank; d++)
      dims[d] = (size_t) out->dims[d];
    if (!value_of (n, nd->output, &out_id, why, why_size))
      return false;
    st = xnn_define_static_reshape (n->subgraph, (size_t) out->rank, dims, pool_out, out_id, 0);
    if (st != xnn_status_success)
      NODE_FAIL (st, "xnn_define_static_reshape");
  }
  return true;
}

/* Convert from in_id (graph tensor a) to out_id; q -> q goes through fp32. */
static enum xnn_status
convert (xg_net *n, const mn_tensor *a, const mn_tensor *b, uint32_t in_id, uint32_t out_id)
{
  if (a->type != MN_DTYPE_FLOAT32 && b->type != MN_DTYPE_FLOAT32) {
    size_t dims[MN_MAX_RANK];
    uint32_t mid;
    for (int d = 0; d < a->rank; d++)
      dims[d] = (size_t) a->dims[d];
    enum xnn_status st = define_like (n, a, MN_DTYPE_FLOAT32, a->rank, dims, &mid);
    if (st == xnn_status_success)
      st = xnn_define_convert (n->subgraph, in_id, mid, 0);
    if (st == xnn_status_success)
      st = xnn_define_convert (n->subgraph, mid, out_id, 0);
    return st;
  }
  return xnn_define_convert (n->subgraph, in_id, out_id, 0);
}

static bool
add_softmax (xg_net *n, const mn_node *nd, char *why, size_t why_size)
{
  const mn_tensor *in = &n->g->tensors[nd->inputs[0]];
  const mn_tensor *out = &n->g->tensors[nd->output];
  uint32_t in_id, out_id;
  enum xnn_status st;

  if (nd->beta != 1.f) {
    say (why, why_size, "SOFTMAX at index %d: beta %g: XNNPACK's softmax has beta 1 only",
         nd->file_index, (double) nd->beta);
    return false;
  }
  if (!value_of (n, nd->inputs[0], &in_id, why, why_size) ||
      !value_of (n, nd->output, &out_id, why, why_size))
    return false;
  st = xnn_define_softmax (n->subgraph, in_id, out_id, 0);
  if (st == xnn_status_success || in->type == MN_DTYPE_FLOAT32)
    goto done;
  /* No quantised softmax node: dequantise, softmax in fp32, quantise. */
  size_t dims[MN_MAX_RANK];
  uint32_t f_in, f_out;
  for (int d = 0; d < in->rank; d++)
    dims[d] = (size_t) in->dims[d];
  st = define_like (n, in, MN_DTYPE_FLOAT32, in->rank, dims, &f_in);
  if (st == xnn_status_success)
    st = define_like (n, out, MN_DTYPE_FLOAT32, in->rank, dims, &f_out);
  if (st == xnn_status_success)
    st = xnn_define_convert (n->subgraph, in_id, f_in, 0);
  if (st == xnn_status_success)
    st = xnn_define_softmax (n->subgraph, f_in, f_out, 0);
  if (st == xnn_status_success)
    st = xnn_define_convert (n->subgraph, f_out, out_id, 0);
  if (st == xnn_status_success)
    n->softmax_in_f32 = true;
done:
  if (st != xnn_status_success)
    NODE_FAIL (st, "xnn_define_softmax");
  return true;
}

static bool
add_node (xg_net *n, const mn_node *nd, char *why, size_t why_size)
{
  const mn_graph *g = n->g;
  const mn_tensor *in = &g->tensors[nd->inputs[0]];
  const mn_tensor *out = &g->tensors[nd->output];
  uint32_t a, b, o;
  enum xnn_status st;
  float lo, hi;

  switch (nd->op) {
    case MN_OP_CONV_2D:
    case MN_OP_DEPTHWISE_CONV_2D:
    case MN_OP_FULLY_CONNECTED:
      return add_conv_like (n, nd, why, why_size);
    case MN_OP_AVERAGE_POOL_2D:
    case MN_OP_MEAN:
      return add_global_pool (n, nd, why, why_size);
    case MN_OP_SOFTMAX:
      return add_softmax (n, nd, why, why_size);
    case MN_OP_ADD:
      activation_range (nd->activation, &lo, &hi);
      if (!value_of (n, nd->inputs[0], &a, why, why_size) ||
          !value_of (n, nd->inputs[1], &b, why, why_size) ||
          !value_of (n, nd->output, &o, why, why_size))
        return false;
      st = xnn_define_add2 (n->subgraph, lo, hi, a, b, o, 0);
      if (st != xnn_status_success)
        NODE_FAIL (st, "xnn_define_add2");
      return true;
    case MN_OP_RESHAPE:
    case MN_OP_SQUEEZE: {
      size_t dims[MN_MAX_RANK];
      for (int d = 0; d < out->rank; d++)
        dims[d] = (size_t) out->dims[d];
      if (!value_of (n, nd->inputs[0], &a, why, why_size) ||
          !value_of (n, nd->output, &o, why, why_size))
        return false;
      st = xnn_define_static_reshape (n->subgraph, (size_t) out->rank, dims, a, o, 0);
      if (st != xnn_status_success)
        NODE_FAIL (st, "xnn_define_static_reshape");
      return true;
    }
    case MN_OP_QUANTIZE:
    case MN_OP_DEQUANTIZE:
      if (!value_of (n, nd->inputs[0], &a, why, why_size) ||
          !value_of (n, nd->output, &o, why, why_size))
        return false;
      st = convert (n, in, out, a, o);
      if (st != xnn_status_success)
        NODE_FAIL (st, "xnn_define_convert");
      return true;
    case MN_OP_PAD: {
      const mn_tensor *p = &g->tensors[nd->inputs[1]];
      size_t pre[MN_MAX_RANK] = { 0 }, post[MN_MAX_RANK] = { 0 };
      if (!p->data || p->type != MN_DTYPE_INT32 ||
          mn_tensor_elements (p) != (size_t) in->rank * 2) {
        say (why, why_size, "PAD at index %d: paddings must be a constant INT32 [rank, 2]",
             nd->file_index);
        return false;
      }
      for (int d = 0; d < in->rank; d++) {
        int32_t v[2];
        memcpy (v, (const int32_t *) p->data + 2 * d, sizeof v);
        pre[d] = (size_t) v[0];
        post[d] = (size_t) v[1];
      }
      if (!value_of (n, nd->inputs[0], &a, why, why_size) ||
          !value_of (n, nd->output, &o, why, why_size))
        return false;
      /* TFLite pads with the real value 0 (the zero point when quantised). */
      st = xnn_define_static_constant_pad (n->subgraph, pre, post, 0.f, a, o, 0);
      if (st != xnn_status_success)
        NODE_FAIL (st, "xnn_define_static_constant_pad");
      return true;
    }
  }
  say (why, why_size, "%s at index %d: not translated", mn_op_name (nd->op), nd->file_index);
  return false;
}

/* A QUANTIZE between uint8 and int8 that keeps the scale and moves the zero
 * point by 128 is a flip of the top bit. */
static bool
is_shift_quantize (const mn_graph *g, const mn_node *nd)
{
  if (nd->op != MN_OP_QUANTIZE)
    return false;
  const mn_tensor *a = &g->tensors[nd->inputs[0]];
  const mn_tensor *b = &g->tensors[nd->output];
  if (a->num_scales != 1 || b->num_scales != 1 || a->scales[0] != b->scales[0])
    return false;
  if (a->type == MN_DTYPE_UINT8 && b->type == MN_DTYPE_INT8)
    return b->zero_points[0] == a->zero_points[0] - 128;
  if (a->type == MN_DTYPE_INT8 && b->type == MN_DTYPE_UINT8)
    return b->zero_points[0] == a->zero_points[0] + 128;
  return false;
}

static int
uses_of (const mn_graph *g, int tensor)
{
  int uses = 0;
  for (int i = 0; i < g->num_nodes; i++)
    for (int j = 0; j < g->nodes[i].num_inputs; j++)
      uses += g->nodes[i].inputs[j] == tensor;
  return uses;
}

/* The pixel table, as mn_session_create builds it: models trained on raw
 * pixels take the bytes unchanged, others get (p - mean) / std quantised. */
static void
build_lut (xg_net *n, const mn_tensor *t, float mean, float std)
{
  const double scale = t->scales[0];
  const int32_t zp_u8 = qzero (t) + (t->type == MN_DTYPE_INT8 ? 128 : 0);
  bool identity = true;
  int q[256];
  for (int p = 0; p < 256; p++) {
    double v = round ((((double) p - mean) / std) / scale) + zp_u8;
    q[p] = v < 0 ? 0 : v > 255 ? 255 : (int) v;
    if (abs (q[p] - p) > 1)
      identity = false;
  }
  for (int p = 0; p < 256; p++) {
    int u8 = identity ? p : q[p];
    n->lut[p] = (uint8_t) (t->type == MN_DTYPE_INT8 ? u8 ^ 0x80 : u8);
  }
}

xg_net *
xg_net_create (const mn_graph *g, float mean, float std, pthreadpool_t threadpool, char *why,
               size_t why_size)
{
  xg_net *n = calloc (1, sizeof *n);
  enum xnn_status st;
  if (!n) {
    say (why, why_size, "out of memory");
    return NULL;
  }
  n->g = g;
  n->skip_first = n->skip_last = -1;
  n->xnn_input = g->input;
  n->xnn_output = g->output;
  n->ids = malloc (sizeof (uint32_t) * (size_t) g->num_tensors);
  if (!n->ids) {
    say (why, why_size, "out of memory");
    goto fail;
  }
  for (int i = 0; i < g->num_tensors; i++)
    n->ids[i] = XNN_INVALID_VALUE_ID;

  const mn_tensor *gin = &g->tensors[g->input];
  if (gin->rank != 4 || gin->dims[0] != 1 || gin->dims[3] != 3) {
    say (why, why_size, "the input is not [1,H,W,3]");
    goto fail;
  }
  if (g->num_nodes > 0 && is_shift_quantize (g, &g->nodes[0]) &&
      g->nodes[0].inputs[0] == g->input && uses_of (g, g->input) == 1) {
    n->skip_first = 0;
    n->xnn_input = g->nodes[0].output;
  }
  if (g->num_nodes > 1 && is_shift_quantize (g, &g->nodes[g->num_nodes - 1]) &&
      g->nodes[g->num_nodes - 1].output == g->output &&
      uses_of (g, g->nodes[g->num_nodes - 1].inputs[0]) == 1) {
    n->skip_last = g->num_nodes - 1;
    n->xnn_output = g->nodes[g->num_nodes - 1].inputs[0];
  }
  n->edge_on_host = n->skip_first >= 0 || n->skip_last >= 0;

  /* input edge */
  const mn_tensor *xin = &g->tensors[n->xnn_input];
  n->in_pixels = gin->dims[1] * gin->dims[2] * 3;
  n->mean = mean;
  n->inv_std = 1.f / std;
  if (gin->type == MN_DTYPE_FLOAT32) {
    n->in_mode = EDGE_F32;
  } else if ((gin->type == MN_DTYPE_UINT8 || gin->type == MN_DTYPE_INT8) &&
             gin->num_scales == 1) {
    n->in_mode = EDGE_Q8;
    build_lut (n, gin, mean, std);
    if (n->xnn_input != g->input)   /* the shift QUANTIZE, folded into the table */
      for (int p = 0; p < 256; p++)
        n->lut[p] ^= 0x80;
  } else {
    say (why, why_size, "input type %s: not translated", mn_dtype_str (gin->type));
    goto fail;
  }
  n->in_buf = alloc_padded ((size_t) n->in_pixels * sizeof (float));

  /* output edge */
  const mn_tensor *xout = &g->tensors[n->xnn_output];
  n->out_type = xout->type;
  n->out_scale = qscale (xout, 0);
  n->out_zero_point = qzero (xout);
  n->num_classes = (int) mn_tensor_elements (xout);
  if (xout->type != MN_DTYPE_FLOAT32 && xout->type != MN_DTYPE_UINT8 &&
      xout->type != MN_DTYPE_INT8) {
    say (why, why_size, "output type %s: not translated", mn_dtype_str (xout->type));
    goto fail;
  }
  n->out_buf = alloc_padded ((size_t) n->num_classes * sizeof (float));
  n->scores = malloc (sizeof (float) * (size_t) n->num_classes);
  if (!n->in_buf || !n->out_buf || !n->scores) {
    say (why, why_size, "out of memory");
    goto fail;
  }

  st = xnn_create_subgraph (2, 0, &n->subgraph);
  if (st != xnn_status_success) {
    say (why, why_size, "xnn_create_subgraph: %s", xnn_status_name (st));
    goto fail;
  }
  for (int i = 0; i < g->num_nodes; i++) {
    if (i == n->skip_first || i == n->skip_last)
      continue;
    if (!add_node (n, &g->nodes[i], why, why_size))
      goto fail;
  }
  st = xnn_create_runtime_v2 (n->subgraph, threadpool, 0, &n->runtime);
  if (st != xnn_status_success) {
    say (why, why_size, "xnn_create_runtime_v2: %s (a node's types are not supported)",
         xnn_status_name (st));
    goto fail;
  }
  xnn_delete_subgraph (n->subgraph);
  n->subgraph = NULL;
  struct xnn_external_value ext[2] = {
    { INPUT_EXTERNAL_ID, n->in_buf },
    { OUTPUT_EXTERNAL_ID, n->out_buf },
  };
  st = xnn_setup_runtime (n->runtime, 2, ext);
  if (st != xnn_status_success) {
    say (why, why_size, "xnn_setup_runtime: %s", xnn_status_name (st));
    goto fail;
  }
  const char *kind = xin->type == MN_DTYPE_FLOAT32 ? "fp32"
                     : xin->type == MN_DTYPE_UINT8 ? "qu8"
                                                   : "qs8";
  bool qc8w = false;
  for (int i = 0; i < g->num_tensors; i++)
    qc8w |= g->tensors[i].type == MN_DTYPE_INT8 && g->tensors[i].num_scales > 1;
  snprintf (n->notes, sizeof n->notes, "%s%s%s%s", kind, qc8w ? " (qc8 weights)" : "",
            n->softmax_in_f32 ? "; softmax in fp32 between converts" : "",
            n->edge_on_host ? "; edge uint8<->int8 QUANTIZE on the host" : "");
  return n;

fail:
  xg_net_destroy (&n);
  return NULL;
}

bool
xg_net_run (xg_net *n, const uint8_t *rgb)
{
  const int count = n->in_pixels;
  if (n->in_mode == EDGE_F32) {
    float *f = n->in_buf;
    for (int i = 0; i < count; i++)
      f[i] = ((float) rgb[i] - n->mean) * n->inv_std;
  } else {
    uint8_t *q = n->in_buf;
    for (int i = 0; i < count; i++)
      q[i] = n->lut[rgb[i]];
  }
  if (xnn_invoke_runtime (n->runtime) != xnn_status_success)
    return false;
  const int k = n->num_classes;
  switch (n->out_type) {
    case MN_DTYPE_FLOAT32:
      memcpy (n->scores, n->out_buf, sizeof (float) * (size_t) k);
      break;
    case MN_DTYPE_UINT8: {
      const uint8_t *q = n->out_buf;
      for (int i = 0; i < k; i++)
        n->scores[i] = n->out_scale * (float) ((int32_t) q[i] - n->out_zero_point);
      break;
    }
    default: {
      /* int8; a folded output QUANTIZE to uint8 gives the same real values */
      const int8_t *q = n->out_buf;
      for (int i = 0; i < k; i++)
        n->scores[i] = n->out_scale * (float) ((int32_t) q[i] - n->out_zero_point);
      break;
    }
  }
  return true;
}

const float *
xg_net_scores (const xg_net *n, int *num_classes)
{
  if (num_classes)
    *num_classes = n->num_classes;
  return n->scores;
}

const char *
xg_net_notes (const xg_net *n)
{
  return n->notes;
}

void
xg_net_destroy (xg_net **np)
{
  xg_net *n = np ? *np : NULL;
  if (!n)
    return;
  if (n->runtime)
    xnn_delete_runtime (n->runtime);
  if (n->subgraph)
    xnn_delete_subgraph (n->subgraph);
  for (int i = 0; i < n->num_blocks; i++)
    free (n->blocks[i]);
  free (n->blocks);
  free (n->ids);
  free (n->in_buf);
  free (n->out_buf);
  free (n->scores);
  free (n);
  *np = NULL;
}
