/* tflite_builder.h: write small TFLite models for tests.
 *
 * A model is described incrementally (tensors, operators, graph inputs and
 * outputs) and serialised by tb_model_finish() into a TFLite flatbuffer that
 * mn_tflite_read() (and TensorFlow Lite) can read.  The builder writes what
 * it is told without validating it, so tests can also produce broken models
 * (a buffer one byte short, an index out of range, two subgraphs...).
 *
 * Numbers are the TFLite schema's: tensor types TFL_TYPE_*, builtin codes
 * TFL_OP_*, options types TFL_OPT_*, activations TFL_ACT_*, paddings
 * TFL_PADDING_* (engine/src/tflite_schema.h).
 *
 *   tb_model *m = tb_model_new ();
 *   int32_t d[4] = { 1, 8, 8, 3 };
 *   int x = tb_tensor (m, "x", TFL_TYPE_FLOAT32, 4, d);
 *   int y = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 4, d);
 *   tb_op1 (m, TFL_OP_HARD_SWISH, x, y);
 *   tb_io (m, x, y);
 *   size_t size;
 *   uint8_t *file = tb_model_finish (m, &size);   // malloc'd; free() it
 *   tb_model_free (m);
 *
 * Recipes (tb_conv2d ...) return a complete one-op (or two-op) model with
 * deterministic weights, ready to finish or to tweak first.
 */
#ifndef TFLITE_BUILDER_H
#define TFLITE_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tflite_schema.h"

#define TB_MAX_RANK 8
#define TB_MAX_OP_TENSORS 8

typedef struct tb_model tb_model;

/* An operator's builtin options.  They are written as one table of
 * options_type (TFL_OPT_*, 0 = no options table) holding the fields that
 * table has, taken from here.  tb_op* fill in the schema defaults for the
 * op's code (stride 1, dilation 1, beta 1, SAME, NONE). */
typedef struct {
  int options_type;
  int padding;                      /* TFL_PADDING_* */
  int stride_w, stride_h;
  int dilation_w, dilation_h;
  int filter_w, filter_h;           /* Pool2DOptions */
  int depth_multiplier;             /* DepthwiseConv2DOptions */
  int activation;                   /* TFL_ACT_* */
  float beta;                       /* SoftmaxOptions */
  bool keep_dims;                   /* ReducerOptions; FullyConnected keep_num_dims */
  int weights_format;               /* FullyConnectedOptions */
  int num_new_shape;                /* ReshapeOptions.new_shape, if > 0 */
  int32_t new_shape[TB_MAX_RANK];
  int num_squeeze_dims;             /* SqueezeOptions.squeeze_dims, if > 0 */
  int32_t squeeze_dims[TB_MAX_RANK];
} tb_options;

tb_model *tb_model_new (void);
void tb_model_free (tb_model *m);

/* Tensors: returns the new tensor's index.  rank < 0 writes no shape. */
int tb_tensor (tb_model *m, const char *name, int tfl_type, int rank, const int32_t *dims);
/* Quantisation: n scales and nz zero points (nz may be 0 or 1). */
void tb_tensor_quant (tb_model *m, int t, int n, const float *scales, int nz,
                      const int64_t *zero_points, int quant_dim);
/* Per-tensor shorthand. */
void tb_tensor_quant1 (tb_model *m, int t, float scale, int64_t zero_point);
/* Writes a quantization table with empty scale and zero point vectors. */
void tb_tensor_quant_empty (tb_model *m, int t);
/* Constant data: copied into a new buffer of exactly nbytes. */
void tb_tensor_data (tb_model *m, int t, const void *data, size_t nbytes);
/* Overrides the buffer index written for the tensor (hostile tests). */
void tb_tensor_buffer_index (tb_model *m, int t, uint32_t index);
/* Convenience: a constant tensor with data in one call. */
int tb_const (tb_model *m, const char *name, int tfl_type, int rank, const int32_t *dims,
              const void *data, size_t nbytes);

/* Operators: returns the operator's index.  Inputs may be -1 (absent). */
int tb_op (tb_model *m, int32_t builtin_code, int num_inputs, const int32_t *inputs,
           int num_outputs, const int32_t *outputs);
int tb_op1 (tb_model *m, int32_t builtin_code, int input, int output);
int tb_op2 (tb_model *m, int32_t builtin_code, int input0, int input1, int output);
int tb_op3 (tb_model *m, int32_t builtin_code, int input0, int input1, int input2, int output);
/* The op's options, to change before finishing. */
tb_options *tb_op_options (tb_model *m, int op);
/* Makes the op a custom op (builtin code CUSTOM) with this name. */
void tb_op_custom (tb_model *m, int op, const char *custom_code);

/* Graph inputs and outputs (one each, the common case) or any lists. */
void tb_io (tb_model *m, int input, int output);
void tb_io_list (tb_model *m, int num_inputs, const int32_t *inputs, int num_outputs,
                 const int32_t *outputs);

/* Model-level knobs. */
void tb_model_version (tb_model *m, uint32_t version);       /* default 3 */
void tb_model_subgraph_copies (tb_model *m, int n);          /* default 1 */
/* How operator codes are written: 0 both fields (default), 1 only
 * deprecated_builtin_code (clamped to 127), 2 only builtin_code. */
void tb_model_opcode_style (tb_model *m, int style);
/* Store constant data past the flatbuffer through Buffer.offset/size. */
void tb_model_external_buffers (tb_model *m, bool external);
/* TFLite metadata: input normalization (written when std != 0) and a
 * labels file stored in a ZIP archive appended to the model (written when
 * labels_name != NULL; labels_type is the AssociatedFileType, 2 for
 * TENSOR_AXIS_LABELS, 0 for none; zip_method is the method written in the
 * archive's headers, 0 = stored). */
void tb_model_metadata (tb_model *m, float mean, float std, const char *labels_name,
                        int labels_type, const void *labels, size_t labels_size,
                        int zip_method);

/* Serialises the model.  Returns a malloc'd buffer (free() it) and its size,
 * or NULL when out of memory.  The model may be finished several times. */
uint8_t *tb_model_finish (tb_model *m, size_t *size);

/* ------------------------------------------------------------------------ */
/* Recipes: small complete models with deterministic weights. */

typedef struct {
  int type;                /* activations: TFL_TYPE_FLOAT32, TFL_TYPE_UINT8 or TFL_TYPE_INT8 */
  float in_scale;          /* quantised types only */
  int32_t in_zero_point;
  float out_scale;
  int32_t out_zero_point;
  bool per_channel;        /* INT8: weights quantised per output channel */
  uint32_t seed;           /* weights, biases and per-channel scales */
} tb_quant;

/* Defaults: float32; or for UINT8 scale 1/128 zp 128 in, 1/16 zp 128 out;
 * INT8 scale 1/128 zp 0 in, 1/16 zp 0 out. */
tb_quant tb_quant_default (int type);

/* input [1,h,w,cin] -> CONV_2D (weights [cout,kh,kw,cin], bias) -> output */
tb_model *tb_conv2d (const tb_quant *q, int h, int w, int cin, int cout, int kh, int kw,
                     int stride, int padding, int activation);
/* input [1,h,w,c] -> DEPTHWISE_CONV_2D (weights [1,kh,kw,c], bias) -> output */
tb_model *tb_depthwise (const tb_quant *q, int h, int w, int c, int kh, int kw, int stride,
                        int padding, int activation);
/* input [1,cin] -> FULLY_CONNECTED (weights [cout,cin], bias) -> output [1,cout] */
tb_model *tb_fully_connected (const tb_quant *q, int cin, int cout, int activation);
/* input [1,h,w,c] -> DEPTHWISE 1x1 -> y; ADD(input, y) -> output: a residual add
 * whose inputs and output have three different scales when quantised. */
tb_model *tb_add (const tb_quant *q, int h, int w, int c, int activation);
/* input [1,h,w,c] -> CONV_2D 1x1 (c -> c, conv_activation) -> y;
 * ADD(y, input, add_activation) -> output: a residual block's tail, which
 * the float planner fuses when the ADD has no activation and y no other
 * reader.  branch_read_twice: the sum goes on through ADD(sum, y). */
tb_model *tb_residual (const tb_quant *q, int h, int w, int c, int conv_activation,
                       int add_activation, bool branch_read_twice);
/* A MobileNetV2 block: input [1,h,w,cin] -> CONV_2D expand_k x expand_k
 * (expand_stride, SAME; cin -> mid, RELU6) -> DEPTHWISE_CONV_2D 3x3
 * (stride, padding, RELU6) -> CONV_2D 1x1 (mid -> cout) -> output;
 * residual (1x1 expansion, stride 1, SAME, cin == cout): the projection
 * is a branch ADDed to the input.  expand_k 3, expand_stride 2: V2's first
 * layer and first block. */
tb_model *tb_inverted_residual (const tb_quant *q, int h, int w, int cin, int mid, int cout,
                                int stride, int padding, bool residual, int expand_k,
                                int expand_stride);
/* One block of a chain: 1x1 expansion to mid, 3x3 depthwise (stride,
 * padding), projection to cout; residual: the block's input ADDed (stride
 * 1, SAME, cout equal to the block's input channels). */
typedef struct {
  int mid, cout, stride, padding;
  bool residual;
} tb_block;
/* input [1,h,w,cin] -> n such blocks, one after another -> output */
tb_model *tb_inverted_residual_chain (const tb_quant *q, int h, int w, int cin, int n,
                                      const tb_block *blocks);
/* input [1,h,w,c] -> MEAN over axes 1,2 -> [1,c] or [1,1,1,c] */
tb_model *tb_mean (const tb_quant *q, int h, int w, int c, bool keep_dims);
/* input [1,h,w,c] -> AVERAGE_POOL_2D (filter fh x fw) -> output */
tb_model *tb_avgpool (const tb_quant *q, int h, int w, int c, int fh, int fw, int stride,
                      int padding);
/* input [1,n] -> SOFTMAX -> output [1,n] (quantised output: scale 1/256,
 * zero point 0 for UINT8, -128 for INT8) */
tb_model *tb_softmax (const tb_quant *q, int n, float beta);

/* The output size of a SAME/VALID convolution along one axis. */
int tb_conv_out_size (int in, int k, int stride, int padding);

#endif /* TFLITE_BUILDER_H */
