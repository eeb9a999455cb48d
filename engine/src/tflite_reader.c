/* tflite_reader.c: parse and validate a TFLite flatbuffer into an mn_graph.
 *
 * Everything read from the file is checked before it is used: the flatbuffer
 * structure by flatbuf.c, and here the model's meaning (one subgraph, one
 * input and output, supported ops, types, shapes, quantisation and options,
 * constant data exactly as large as its tensor, a data flow in which every
 * tensor is written before it is read).  Constant data is copied into blocks
 * the graph owns; constant DEQUANTIZE ops are folded away.
 *
 * Numbers are read as little-endian; constant data is copied as is, so the
 * engine assumes a little-endian host (as TFLite does).
 */
#include "graph.h"
#include "flatbuf.h"
#include "tflite_schema.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ACTION "mn_model_load"

/* BuiltinOperator names, indexed by code (tensorflow/lite/schema/schema.fbs). */
static const char *const builtin_names[] = {
  "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
  "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR",
  "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
  "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM",
  "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE",
  "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
  "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM",
  "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER",
  "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB",
  "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE",
  "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
  "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
  "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL",
  "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
  "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG",
  "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT",
  "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT",
  "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV",
  "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE",
  "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
  "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N",
  "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE",
  "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF",
  "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND",
  "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
  "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO",
  "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE",
  "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL",
  "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",
  "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM",
  "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1",
  "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM",
  "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR",
  "RIGHT_SHIFT",
};

static const char *const type_names[] = {
  "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16",
  "COMPLEX64", "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE",
  "VARIANT", "UINT32", "UINT16", "INT4",
};

const char *
mn_tflite_op_name (int32_t code)
{
  if (code < 0 || code >= (int32_t) (sizeof builtin_names / sizeof builtin_names[0]))
    return NULL;
  return builtin_names[code];
}

const char *
mn_tflite_type_name (int8_t type)
{
  if (type < 0 || type >= (int8_t) (sizeof type_names / sizeof type_names[0]))
    return NULL;
  return type_names[type];
}

/* The state of one read. */
typedef struct {
  const uint8_t *data;
  size_t size;
  const mn_logger *log;
  mn_graph *g;
  fb_table model;
  fb_vec buffers;
  fb_table subgraph;
  fb_vec tensors;
  fb_vec operators;
  int num_opcodes;
  int32_t *opcode_builtin;     /* resolved builtin code per operator code */
  size_t budget;               /* bytes the graph may still allocate */
  bool borrow;                 /* aligned constants point into data */
} reader;

/* A flatbuffer can point many tensors at one table, name, scale vector or
 * buffer, so copying what each tensor refers to could take far more memory
 * (and time) than the file's size.  A real model needs its constants once
 * (FLOAT16/INT8 folding at most quadruples them) plus small names and
 * tables, so the graph may own at most this much. */
#define BUDGET_FACTOR 6
#define BUDGET_EXTRA ((size_t) 64 << 20)

static mn_status
spend (reader *r, size_t n, const char *what, int index)
{
  if (n > r->budget)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": %s of tensor %d would take the graph beyond %d times the "
                         "file's size plus %zu MiB: the file repeats its data",
                         what, index, BUDGET_FACTOR, BUDGET_EXTRA >> 20);
  r->budget -= n;
  return MN_OK;
}

static const char *
tname (const reader *r, int i)
{
  const char *n = r->g->tensors[i].name;
  return n ? n : "";
}

static mn_status
malformed (const reader *r, const char *what)
{
  return mn_log_error (r->log, MN_ERR_MALFORMED,
                       ACTION ": malformed file: %s lies outside the file or is inconsistent",
                       what);
}

/* ------------------------------------------------------------------------ */
/* Owned memory */

static void *
graph_alloc_block (mn_graph *g, size_t n)
{
  void **blocks;
  void *p;
  size_t rounded = (n + 15) & ~(size_t) 15;

  if (rounded == 0)
    rounded = 16;
  blocks = realloc (g->blocks, sizeof (void *) * (size_t) (g->num_blocks + 1));
  if (blocks == NULL)
    return NULL;
  g->blocks = blocks;
  p = aligned_alloc (16, rounded);
  if (p == NULL)
    return NULL;
  g->blocks[g->num_blocks++] = p;
  return p;
}

void
mn_graph_clear (mn_graph *g)
{
  int i;

  if (g == NULL)
    return;
  if (g->tensors) {
    for (i = 0; i < g->num_tensors; i++) {
      free (g->tensors[i].name);
      free (g->tensors[i].scales);
      free (g->tensors[i].zero_points);
    }
  }
  free (g->tensors);
  free (g->nodes);
  free (g->embedded_labels);
  if (g->blocks) {
    for (i = 0; i < g->num_blocks; i++)
      free (g->blocks[i]);
  }
  free (g->blocks);
  memset (g, 0, sizeof *g);
}

/* ------------------------------------------------------------------------ */
/* Buffers */

fb_res
mn_tflite_buffer_bytes (const uint8_t *file, size_t file_size,
                        const fb_table *buffer, const uint8_t **bytes,
                        size_t *nbytes)
{
  fb_vec data;
  uint64_t offset = 0, size = 0;
  fb_res rd, ro, rs;

  *bytes = NULL;
  *nbytes = 0;
  rd = fb_vector (buffer, TFL_BUFFER_DATA, 1, &data);
  ro = fb_u64 (buffer, TFL_BUFFER_OFFSET, 0, &offset);
  rs = fb_u64 (buffer, TFL_BUFFER_SIZE, 0, &size);
  if (rd == FB_BAD || ro == FB_BAD || rs == FB_BAD)
    return FB_BAD;
  if (offset > 1) {
    /* Data stored past the flatbuffer, relative to the start of the file. */
    if (data.len > 0)
      return FB_BAD;
    if (offset > file_size || size > file_size - offset)
      return FB_BAD;
    if (size == 0)
      return FB_ABSENT;
    *bytes = file + offset;
    *nbytes = (size_t) size;
    return FB_OK;
  }
  if (size > 0 && data.len == 0)
    return FB_BAD;              /* a size without a valid offset */
  if (data.len == 0)
    return FB_ABSENT;
  *bytes = fb_vec_data (&data);
  *nbytes = data.len;
  return FB_OK;
}

/* ------------------------------------------------------------------------ */
/* Tensors */

static mn_status
read_quantization (reader *r, int i, const fb_table *t)
{
  mn_tensor *ts = &r->g->tensors[i];
  fb_table q;
  fb_vec scale, zp;
  fb_res res;
  uint8_t details_type = 0;
  int32_t qdim = 0;
  uint32_t n, k;

  res = fb_table_field (t, TFL_TENSOR_QUANTIZATION, &q);
  if (res == FB_BAD)
    return malformed (r, "a tensor's quantization table");
  if (res == FB_ABSENT)
    return MN_OK;
  if (fb_vector (&q, TFL_QUANT_SCALE, 4, &scale) == FB_BAD
      || fb_vector (&q, TFL_QUANT_ZERO_POINT, 8, &zp) == FB_BAD
      || fb_u8 (&q, TFL_QUANT_DETAILS_TYPE, 0, &details_type) == FB_BAD
      || fb_i32 (&q, TFL_QUANT_QUANTIZED_DIMENSION, 0, &qdim) == FB_BAD)
    return malformed (r, "a tensor's quantization parameters");
  if (details_type != 0)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": tensor %d (%s) uses custom quantization (details type %u): "
                         "only scale and zero point quantization is supported",
                         i, tname (r, i), details_type);
  n = scale.len;
  if (n == 0)
    return MN_OK;               /* an empty table: not quantised */
  if (zp.len != n && zp.len != 1 && zp.len != 0)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": tensor %d (%s) has %u scales but %u zero points: "
                         "the counts must be equal (or 1 or 0 zero points)",
                         i, tname (r, i), n, zp.len);
  if (n > 1) {
    if (qdim < 0 || qdim >= ts->rank)
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": tensor %d (%s) is quantised along dimension %d: "
                           "it must be in 0..%d",
                           i, tname (r, i), (int) qdim, ts->rank - 1);
    if ((uint32_t) ts->dims[qdim] != n)
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": tensor %d (%s) has %u scales along dimension %d of size %d: "
                           "one scale per channel is required",
                           i, tname (r, i), n, (int) qdim, (int) ts->dims[qdim]);
  } else if (qdim < 0 || (qdim > 0 && qdim >= ts->rank)) {
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": tensor %d (%s) has quantized_dimension %d: "
                         "it must be in 0..%d",
                         i, tname (r, i), (int) qdim, ts->rank > 0 ? ts->rank - 1 : 0);
  }

  if (spend (r, (size_t) n * (sizeof (float) + sizeof (int32_t)), "the quantisation", i))
    return MN_ERR_MALFORMED;
  ts->scales = malloc (sizeof (float) * n);
  ts->zero_points = malloc (sizeof (int32_t) * n);
  if (ts->scales == NULL || ts->zero_points == NULL)
    return mn_log_error (r->log, MN_ERR_NO_MEMORY,
                         ACTION ": out of memory for tensor %d's quantisation", i);
  ts->num_scales = (int) n;
  ts->quant_dim = n > 1 ? (int) qdim : 0;

  for (k = 0; k < n; k++) {
    float s = fb_vec_f32 (&scale, k);
    int64_t z = zp.len == 0 ? 0 : fb_vec_i64 (&zp, zp.len == 1 ? 0 : k);
    if (!isfinite (s) || !(s > 0.0f))
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": tensor %d (%s) has scale %g at index %u: "
                           "scales must be finite and greater than 0",
                           i, tname (r, i), (double) s, k);
    if (z < INT32_MIN || z > INT32_MAX
        || (ts->type == MN_DTYPE_UINT8 && (z < 0 || z > 255))
        || (ts->type == MN_DTYPE_INT8 && (z < -128 || z > 127)))
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": tensor %d (%s) of type %s has zero point %lld at index %u: "
                           "it is outside the type's range",
                           i, tname (r, i), mn_dtype_str (ts->type), (long long) z, k);
    ts->scales[k] = s;
    ts->zero_points[k] = (int32_t) z;
  }
  return MN_OK;
}

static mn_status
read_tensor (reader *r, int i)
{
  mn_tensor *ts = &r->g->tensors[i];
  fb_table t, buf;
  fb_vec shape;
  const char *name;
  uint32_t name_len, buffer_index = 0, k;
  int8_t type = 0;
  bool is_variable = false;
  uint64_t elements = 1;
  const uint8_t *bytes;
  size_t nbytes, need;
  fb_res res;
  mn_status st;

  if (fb_vec_table (&r->tensors, (uint32_t) i, &t) != FB_OK)
    return malformed (r, "a tensor table");
  if (fb_string (&t, TFL_TENSOR_NAME, &name, &name_len) == FB_BAD)
    return malformed (r, "a tensor name");
  if (spend (r, (size_t) name_len + 1, "the name", i))
    return MN_ERR_MALFORMED;
  ts->name = malloc ((size_t) name_len + 1);
  if (ts->name == NULL)
    return mn_log_error (r->log, MN_ERR_NO_MEMORY, ACTION ": out of memory for tensor %d's name", i);
  if (name_len > 0)
    memcpy (ts->name, name, name_len);
  ts->name[name_len] = '\0';

  if (fb_i8 (&t, TFL_TENSOR_TYPE, 0, &type) == FB_BAD
      || fb_u32 (&t, TFL_TENSOR_BUFFER, 0, &buffer_index) == FB_BAD
      || fb_bool (&t, TFL_TENSOR_IS_VARIABLE, false, &is_variable) == FB_BAD
      || fb_vector (&t, TFL_TENSOR_SHAPE, 4, &shape) == FB_BAD)
    return malformed (r, "a tensor's fields");

  switch (type) {
    case TFL_TYPE_FLOAT32: ts->type = MN_DTYPE_FLOAT32; break;
    case TFL_TYPE_FLOAT16: ts->type = MN_DTYPE_FLOAT16; break;
    case TFL_TYPE_INT32: ts->type = MN_DTYPE_INT32; break;
    case TFL_TYPE_UINT8: ts->type = MN_DTYPE_UINT8; break;
    case TFL_TYPE_INT64: ts->type = MN_DTYPE_INT64; break;
    case TFL_TYPE_INT8: ts->type = MN_DTYPE_INT8; break;
    default: {
      const char *tn = mn_tflite_type_name (type);
      if (tn)
        return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                             ACTION ": tensor %d (%s) has type %s: only FLOAT32, FLOAT16, "
                             "INT32, UINT8 and INT8 are supported",
                             i, tname (r, i), tn);
      return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                           ACTION ": tensor %d (%s) has unknown type %d: only FLOAT32, "
                           "FLOAT16, INT32, UINT8 and INT8 are supported",
                           i, tname (r, i), type);
    }
  }

  if (is_variable)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": tensor %d (%s) is a variable: variables are not supported",
                         i, tname (r, i));
  res = fb_field_present (&t, TFL_TENSOR_SPARSITY, 4);
  if (res == FB_BAD)
    return malformed (r, "a tensor's sparsity field");
  if (res == FB_OK)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": tensor %d (%s) is sparse: sparse tensors are not supported",
                         i, tname (r, i));

  if (shape.len > MN_MAX_RANK)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": tensor %d (%s) has rank %u: at most %d is supported",
                         i, tname (r, i), shape.len, MN_MAX_RANK);
  ts->rank = (int) shape.len;
  for (k = 0; k < shape.len; k++) {
    int32_t d = fb_vec_i32 (&shape, k);
    if (d < 0)
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": tensor %d (%s) has dimension %u of size %d: "
                           "sizes cannot be negative",
                           i, tname (r, i), k, (int) d);
    if (d == 0 || d > MN_MAX_DIM)
      return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                           ACTION ": tensor %d (%s) has dimension %u of size %d: "
                           "sizes must be in 1..%d",
                           i, tname (r, i), k, (int) d, MN_MAX_DIM);
    ts->dims[k] = d;
    elements *= (uint64_t) d;  /* <= 2^16 per factor after a check below */
    if (elements > MN_MAX_ELEMENTS)
      return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                           ACTION ": tensor %d (%s) has more than %d elements",
                           i, tname (r, i), MN_MAX_ELEMENTS);
  }

  if ((st = read_quantization (r, i, &t)) != MN_OK)
    return st;

  if (buffer_index >= r->buffers.len)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": tensor %d (%s) refers to buffer %u: the model has %u buffers",
                         i, tname (r, i), buffer_index, r->buffers.len);
  bytes = NULL;
  nbytes = 0;
  if (buffer_index != 0) {
    if (fb_vec_table (&r->buffers, buffer_index, &buf) != FB_OK)
      return malformed (r, "a buffer table");
    res = mn_tflite_buffer_bytes (r->data, r->size, &buf, &bytes, &nbytes);
    if (res == FB_BAD)
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": buffer %u (of tensor %d) lies outside the file",
                           buffer_index, i);
  }
  if (bytes != NULL) {
    void *copy;
    const size_t esz = mn_dtype_size (ts->type);
    need = (size_t) elements * esz;
    if (nbytes != need)
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": buffer %u holds %zu bytes but tensor %d (%s) needs %zu",
                           buffer_index, nbytes, i, tname (r, i), need);
    /* counted even when borrowed: the planner packs every tensor's copy */
    if (spend (r, nbytes, "the constant data", i))
      return MN_ERR_MALFORMED;
    if (r->borrow && ((uintptr_t) bytes & (esz - 1)) == 0) {
      /* the loader packs and drops the constants before data goes away */
      ts->data = bytes;
      ts->nbytes = nbytes;
      return MN_OK;
    }
    copy = graph_alloc_block (r->g, nbytes);
    if (copy == NULL)
      return mn_log_error (r->log, MN_ERR_NO_MEMORY,
                           ACTION ": out of memory copying %zu bytes of tensor %d",
                           nbytes, i);
    memcpy (copy, bytes, nbytes);
    ts->data = copy;
    ts->nbytes = nbytes;
  } else if (ts->type == MN_DTYPE_FLOAT16 || ts->type == MN_DTYPE_INT32
             || ts->type == MN_DTYPE_INT64) {
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": tensor %d (%s) of type %s is not constant: "
                         "only FLOAT32, UINT8 and INT8 tensors can be computed",
                         i, tname (r, i), mn_dtype_str (ts->type));
  }
  return MN_OK;
}

/* ------------------------------------------------------------------------ */
/* Operator codes and operators */

static mn_status
read_opcodes (reader *r)
{
  fb_vec codes;
  uint32_t j;

  if (fb_vector (&r->model, TFL_MODEL_OPERATOR_CODES, 4, &codes) == FB_BAD)
    return malformed (r, "the operator code list");
  r->num_opcodes = (int) codes.len;
  r->opcode_builtin = calloc (codes.len ? codes.len : 1, sizeof (int32_t));
  if (r->opcode_builtin == NULL)
    return mn_log_error (r->log, MN_ERR_NO_MEMORY, ACTION ": out of memory");
  for (j = 0; j < codes.len; j++) {
    fb_table c;
    int8_t dep = 0;
    int32_t code = 0;
    if (fb_vec_table (&codes, j, &c) != FB_OK
        || fb_i8 (&c, TFL_OPCODE_DEPRECATED_BUILTIN_CODE, 0, &dep) == FB_BAD
        || fb_i32 (&c, TFL_OPCODE_BUILTIN_CODE, 0, &code) == FB_BAD)
      return malformed (r, "an operator code");
    /* Files fill either field or both; the larger is the real code. */
    if (dep > code)
      code = dep;
    if (code < 0)
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": operator code %u is %d: codes cannot be negative",
                           j, (int) code);
    r->opcode_builtin[j] = code;
  }
  return MN_OK;
}

/* Maps each operator to a supported op, naming the first one that is not. */
static mn_status
check_operators (reader *r, mn_op *ops)
{
  uint32_t i;

  for (i = 0; i < r->operators.len; i++) {
    fb_table o;
    uint32_t opcode_index = 0;
    int32_t code;
    const char *name;

    if (fb_vec_table (&r->operators, i, &o) != FB_OK
        || fb_u32 (&o, TFL_OPERATOR_OPCODE_INDEX, 0, &opcode_index) == FB_BAD)
      return malformed (r, "an operator table");
    if (opcode_index >= (uint32_t) r->num_opcodes)
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": operator %u uses operator code %u: the model has %d",
                           i, opcode_index, r->num_opcodes);
    code = r->opcode_builtin[opcode_index];
    switch (code) {
      case TFL_OP_CONV_2D: ops[i] = MN_OP_CONV_2D; continue;
      case TFL_OP_DEPTHWISE_CONV_2D: ops[i] = MN_OP_DEPTHWISE_CONV_2D; continue;
      case TFL_OP_ADD: ops[i] = MN_OP_ADD; continue;
      case TFL_OP_AVERAGE_POOL_2D: ops[i] = MN_OP_AVERAGE_POOL_2D; continue;
      case TFL_OP_MEAN: ops[i] = MN_OP_MEAN; continue;
      case TFL_OP_FULLY_CONNECTED: ops[i] = MN_OP_FULLY_CONNECTED; continue;
      case TFL_OP_RESHAPE: ops[i] = MN_OP_RESHAPE; continue;
      case TFL_OP_SQUEEZE: ops[i] = MN_OP_SQUEEZE; continue;
      case TFL_OP_SOFTMAX: ops[i] = MN_OP_SOFTMAX; continue;
      case TFL_OP_QUANTIZE: ops[i] = MN_OP_QUANTIZE; continue;
      case TFL_OP_DEQUANTIZE: ops[i] = MN_OP_DEQUANTIZE; continue;
      case TFL_OP_PAD: ops[i] = MN_OP_PAD; continue;
      default: break;
    }
    if (code == TFL_OP_CUSTOM) {
      fb_vec codes;
      fb_table c;
      const char *custom = NULL;
      uint32_t len = 0;
      if (fb_vector (&r->model, TFL_MODEL_OPERATOR_CODES, 4, &codes) != FB_OK
          || fb_vec_table (&codes, opcode_index, &c) != FB_OK
          || fb_string (&c, TFL_OPCODE_CUSTOM_CODE, &custom, &len) == FB_BAD)
        return malformed (r, "a custom operator code");
      return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                           ACTION ": unsupported custom operator \"%.*s\" at index %u",
                           (int) (len > 200 ? 200 : len), custom ? custom : "", i);
    }
    name = mn_tflite_op_name (code);
    if (name)
      return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                           ACTION ": unsupported operator %s (op %d) at index %u",
                           name, (int) code, i);
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": unsupported operator %d (unknown code) at index %u",
                         (int) code, i);
  }
  return MN_OK;
}

static const char *
options_name (int type)
{
  switch (type) {
    case TFL_OPT_CONV_2D: return "Conv2DOptions";
    case TFL_OPT_DEPTHWISE_CONV_2D: return "DepthwiseConv2DOptions";
    case TFL_OPT_POOL_2D: return "Pool2DOptions";
    case TFL_OPT_FULLY_CONNECTED: return "FullyConnectedOptions";
    case TFL_OPT_SOFTMAX: return "SoftmaxOptions";
    case TFL_OPT_ADD: return "AddOptions";
    case TFL_OPT_RESHAPE: return "ReshapeOptions";
    case TFL_OPT_PAD: return "PadOptions";
    case TFL_OPT_REDUCER: return "ReducerOptions";
    case TFL_OPT_SQUEEZE: return "SqueezeOptions";
    case TFL_OPT_DEQUANTIZE: return "DequantizeOptions";
    case TFL_OPT_QUANTIZE: return "QuantizeOptions";
    default: return "another op's options";
  }
}

static int
expected_options (mn_op op)
{
  switch (op) {
    case MN_OP_CONV_2D: return TFL_OPT_CONV_2D;
    case MN_OP_DEPTHWISE_CONV_2D: return TFL_OPT_DEPTHWISE_CONV_2D;
    case MN_OP_ADD: return TFL_OPT_ADD;
    case MN_OP_AVERAGE_POOL_2D: return TFL_OPT_POOL_2D;
    case MN_OP_MEAN: return TFL_OPT_REDUCER;
    case MN_OP_FULLY_CONNECTED: return TFL_OPT_FULLY_CONNECTED;
    case MN_OP_RESHAPE: return TFL_OPT_RESHAPE;
    case MN_OP_SQUEEZE: return TFL_OPT_SQUEEZE;
    case MN_OP_SOFTMAX: return TFL_OPT_SOFTMAX;
    case MN_OP_QUANTIZE: return TFL_OPT_QUANTIZE;
    case MN_OP_DEQUANTIZE: return TFL_OPT_DEQUANTIZE;
    case MN_OP_PAD: return TFL_OPT_PAD;
  }
  return -1;
}

static mn_status
read_activation (reader *r, mn_node *n, int8_t v)
{
  const char *name = NULL;

  switch (v) {
    case TFL_ACT_NONE: n->activation = MN_ACT_NONE; return MN_OK;
    case TFL_ACT_RELU: n->activation = MN_ACT_RELU; return MN_OK;
    case TFL_ACT_RELU_N1_TO_1: n->activation = MN_ACT_RELU_N1_TO_1; return MN_OK;
    case TFL_ACT_RELU6: n->activation = MN_ACT_RELU6; return MN_OK;
    case TFL_ACT_TANH: name = "TANH"; break;
    case TFL_ACT_SIGN_BIT: name = "SIGN_BIT"; break;
    default: break;
  }
  if (name)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": operator %d (%s) has fused activation %s: only NONE, "
                         "RELU, RELU_N1_TO_1 and RELU6 are supported",
                         n->file_index, mn_op_name (n->op), name);
  return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                       ACTION ": operator %d (%s) has unknown fused activation %d: only "
                       "NONE, RELU, RELU_N1_TO_1 and RELU6 are supported",
                       n->file_index, mn_op_name (n->op), v);
}

static mn_status
read_padding (reader *r, mn_node *n, int8_t v)
{
  if (v == TFL_PADDING_SAME) {
    n->padding = MN_PADDING_SAME;
    return MN_OK;
  }
  if (v == TFL_PADDING_VALID) {
    n->padding = MN_PADDING_VALID;
    return MN_OK;
  }
  return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                       ACTION ": operator %d (%s) has unknown padding %d: only SAME and "
                       "VALID are supported",
                       n->file_index, mn_op_name (n->op), v);
}

static mn_status
check_strides (reader *r, const mn_node *n)
{
  if ((n->stride_h != 1 && n->stride_h != 2) || (n->stride_w != 1 && n->stride_w != 2))
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": operator %d (%s) has stride %dx%d (h x w): only strides "
                         "1 and 2 are supported",
                         n->file_index, mn_op_name (n->op), n->stride_h, n->stride_w);
  return MN_OK;
}

static mn_status
check_dilation (reader *r, const mn_node *n, int32_t dh, int32_t dw)
{
  if (dh != 1 || dw != 1)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": operator %d (%s) has dilation %dx%d (h x w): only "
                         "dilation 1 is supported",
                         n->file_index, mn_op_name (n->op), (int) dh, (int) dw);
  return MN_OK;
}

static mn_status
read_options (reader *r, const fb_table *o, mn_node *n)
{
  fb_table opt;
  uint8_t type = 0;
  int8_t act = 0, pad = 0, wf = 0;
  int32_t sw = 0, sh = 0, dw = 1, dh = 1, fw = 0, fh = 0, dm = 0;
  bool keep = false;
  float beta = 0.0f;
  fb_res res;
  fb_vec v;
  mn_status st;
  int want = expected_options (n->op);

  res = fb_union (o, TFL_OPERATOR_BUILTIN_OPTIONS_TYPE, &type, &opt);
  if (res == FB_BAD)
    return malformed (r, "an operator's options");
  if (type != TFL_OPT_NONE && type != want)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %d (%s) has options of type %u (%s): %s expected",
                         n->file_index, mn_op_name (n->op), type, options_name (type),
                         options_name (want));
  /* Absent options: opt is empty and every read yields the default. */

  switch (n->op) {
    case MN_OP_CONV_2D:
      if (fb_i8 (&opt, TFL_CONV_PADDING, 0, &pad) == FB_BAD
          || fb_i32 (&opt, TFL_CONV_STRIDE_W, 0, &sw) == FB_BAD
          || fb_i32 (&opt, TFL_CONV_STRIDE_H, 0, &sh) == FB_BAD
          || fb_i8 (&opt, TFL_CONV_ACTIVATION, 0, &act) == FB_BAD
          || fb_i32 (&opt, TFL_CONV_DILATION_W, 1, &dw) == FB_BAD
          || fb_i32 (&opt, TFL_CONV_DILATION_H, 1, &dh) == FB_BAD)
        return malformed (r, "Conv2DOptions");
      n->stride_w = sw;
      n->stride_h = sh;
      if ((st = read_padding (r, n, pad)) || (st = check_strides (r, n))
          || (st = check_dilation (r, n, dh, dw)) || (st = read_activation (r, n, act)))
        return st;
      return MN_OK;

    case MN_OP_DEPTHWISE_CONV_2D:
      if (fb_i8 (&opt, TFL_DW_PADDING, 0, &pad) == FB_BAD
          || fb_i32 (&opt, TFL_DW_STRIDE_W, 0, &sw) == FB_BAD
          || fb_i32 (&opt, TFL_DW_STRIDE_H, 0, &sh) == FB_BAD
          || fb_i32 (&opt, TFL_DW_DEPTH_MULTIPLIER, 0, &dm) == FB_BAD
          || fb_i8 (&opt, TFL_DW_ACTIVATION, 0, &act) == FB_BAD
          || fb_i32 (&opt, TFL_DW_DILATION_W, 1, &dw) == FB_BAD
          || fb_i32 (&opt, TFL_DW_DILATION_H, 1, &dh) == FB_BAD)
        return malformed (r, "DepthwiseConv2DOptions");
      n->stride_w = sw;
      n->stride_h = sh;
      if (dm < 0 || dm > MN_MAX_DIM)
        return mn_log_error (r->log, MN_ERR_MALFORMED,
                             ACTION ": operator %d (%s) has depth multiplier %d: it must be "
                             "in 0..%d",
                             n->file_index, mn_op_name (n->op), (int) dm, MN_MAX_DIM);
      /* Recorded as written; newer converters leave it 0 and the shapes
       * decide (see schema.fbs). */
      n->depth_multiplier = dm;
      if ((st = read_padding (r, n, pad)) || (st = check_strides (r, n))
          || (st = check_dilation (r, n, dh, dw)) || (st = read_activation (r, n, act)))
        return st;
      return MN_OK;

    case MN_OP_AVERAGE_POOL_2D:
      if (fb_i8 (&opt, TFL_POOL_PADDING, 0, &pad) == FB_BAD
          || fb_i32 (&opt, TFL_POOL_STRIDE_W, 0, &sw) == FB_BAD
          || fb_i32 (&opt, TFL_POOL_STRIDE_H, 0, &sh) == FB_BAD
          || fb_i32 (&opt, TFL_POOL_FILTER_W, 0, &fw) == FB_BAD
          || fb_i32 (&opt, TFL_POOL_FILTER_H, 0, &fh) == FB_BAD
          || fb_i8 (&opt, TFL_POOL_ACTIVATION, 0, &act) == FB_BAD)
        return malformed (r, "Pool2DOptions");
      n->stride_w = sw;
      n->stride_h = sh;
      if (fw < 1 || fh < 1 || fw > MN_MAX_DIM || fh > MN_MAX_DIM)
        return mn_log_error (r->log, MN_ERR_MALFORMED,
                             ACTION ": operator %d (%s) has filter %dx%d (h x w): sizes "
                             "must be in 1..%d",
                             n->file_index, mn_op_name (n->op), (int) fh, (int) fw, MN_MAX_DIM);
      n->filter_w = fw;
      n->filter_h = fh;
      if ((st = read_padding (r, n, pad)) || (st = check_strides (r, n))
          || (st = read_activation (r, n, act)))
        return st;
      return MN_OK;

    case MN_OP_FULLY_CONNECTED:
      if (fb_i8 (&opt, TFL_FC_ACTIVATION, 0, &act) == FB_BAD
          || fb_i8 (&opt, TFL_FC_WEIGHTS_FORMAT, 0, &wf) == FB_BAD
          || fb_bool (&opt, TFL_FC_KEEP_NUM_DIMS, false, &keep) == FB_BAD)
        return malformed (r, "FullyConnectedOptions");
      if (wf != 0)
        return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                             ACTION ": operator %d (%s) has weights format %d: only DEFAULT "
                             "(0) is supported",
                             n->file_index, mn_op_name (n->op), wf);
      n->keep_dims = keep;
      return read_activation (r, n, act);

    case MN_OP_ADD:
      if (fb_i8 (&opt, TFL_ADD_ACTIVATION, 0, &act) == FB_BAD)
        return malformed (r, "AddOptions");
      return read_activation (r, n, act);

    case MN_OP_SOFTMAX:
      if (fb_f32 (&opt, TFL_SOFTMAX_BETA, 0.0f, &beta) == FB_BAD)
        return malformed (r, "SoftmaxOptions");
      if (!isfinite (beta) || !(beta > 0.0f))
        return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                             ACTION ": operator %d (%s) has beta %g: it must be finite and "
                             "greater than 0",
                             n->file_index, mn_op_name (n->op), (double) beta);
      n->beta = beta;
      return MN_OK;

    case MN_OP_MEAN:
      if (fb_bool (&opt, TFL_REDUCER_KEEP_DIMS, false, &keep) == FB_BAD)
        return malformed (r, "ReducerOptions");
      n->keep_dims = keep;
      return MN_OK;

    case MN_OP_RESHAPE:
      /* new_shape is advisory: the output tensor's shape (and the shape
       * input when present) are what count.  Check it is sound anyway. */
      if (fb_vector (&opt, TFL_RESHAPE_NEW_SHAPE, 4, &v) == FB_BAD)
        return malformed (r, "ReshapeOptions");
      return MN_OK;

    case MN_OP_SQUEEZE:
      if (fb_vector (&opt, TFL_SQUEEZE_DIMS, 4, &v) == FB_BAD)
        return malformed (r, "SqueezeOptions");
      return MN_OK;

    case MN_OP_QUANTIZE:
    case MN_OP_DEQUANTIZE:
    case MN_OP_PAD:
      return MN_OK;
  }
  return MN_OK;
}

/* Checks that input slot k of node n is a constant tensor of one of the
 * given integer types. */
static mn_status
require_const_int (reader *r, const mn_node *n, int k, const char *what, bool allow_i64)
{
  const mn_tensor *t = &r->g->tensors[n->inputs[k]];

  if (t->data == NULL)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": operator %d (%s) takes its %s from tensor %d (%s), which "
                         "is not constant: only constant %s are supported",
                         n->file_index, mn_op_name (n->op), what, n->inputs[k],
                         tname (r, n->inputs[k]), what);
  if (t->type != MN_DTYPE_INT32 && !(allow_i64 && t->type == MN_DTYPE_INT64))
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": operator %d (%s) takes its %s from tensor %d (%s) of type "
                         "%s: only INT32%s is supported",
                         n->file_index, mn_op_name (n->op), what, n->inputs[k],
                         tname (r, n->inputs[k]), mn_dtype_str (t->type),
                         allow_i64 ? " or INT64" : "");
  return MN_OK;
}

static int64_t
const_int_at (const mn_tensor *t, size_t i)
{
  if (t->type == MN_DTYPE_INT64) {
    int64_t v;
    memcpy (&v, (const uint8_t *) t->data + 8 * i, 8);
    return v;
  } else {
    int32_t v;
    memcpy (&v, (const uint8_t *) t->data + 4 * i, 4);
    return v;
  }
}

static mn_status
check_inputs (reader *r, mn_node *n)
{
  const mn_tensor *ts = r->g->tensors;
  int lo = 1, hi = 1, k;
  mn_status st;
  size_t e, i;

  switch (n->op) {
    case MN_OP_CONV_2D:
    case MN_OP_DEPTHWISE_CONV_2D:
    case MN_OP_FULLY_CONNECTED: lo = 2; hi = 3; break;
    case MN_OP_ADD:
    case MN_OP_MEAN:
    case MN_OP_PAD: lo = 2; hi = 2; break;
    case MN_OP_RESHAPE: lo = 1; hi = 2; break;
    default: break;
  }
  if (n->num_inputs < lo || n->num_inputs > hi) {
    if (lo == hi)
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": operator %d (%s) has %d inputs: %d expected",
                           n->file_index, mn_op_name (n->op), n->num_inputs, lo);
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %d (%s) has %d inputs: %d or %d expected",
                         n->file_index, mn_op_name (n->op), n->num_inputs, lo, hi);
  }
  for (k = 0; k < n->num_inputs; k++) {
    bool optional = k == 2 && (n->op == MN_OP_CONV_2D || n->op == MN_OP_DEPTHWISE_CONV_2D
                               || n->op == MN_OP_FULLY_CONNECTED);
    if (n->inputs[k] == -1 && optional)
      continue;
    if (n->inputs[k] < 0 || n->inputs[k] >= r->g->num_tensors)
      return mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": operator %d (%s) input %d is tensor %d: the subgraph "
                           "has %d tensors",
                           n->file_index, mn_op_name (n->op), k, n->inputs[k],
                           r->g->num_tensors);
  }

  switch (n->op) {
    case MN_OP_CONV_2D:
    case MN_OP_DEPTHWISE_CONV_2D:
    case MN_OP_FULLY_CONNECTED:
      for (k = 1; k < n->num_inputs; k++) {
        if (n->inputs[k] >= 0 && ts[n->inputs[k]].data == NULL)
          return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                               ACTION ": operator %d (%s) has a non-constant %s (tensor %d, "
                               "%s): only constant weights and biases are supported",
                               n->file_index, mn_op_name (n->op), k == 1 ? "weight" : "bias",
                               n->inputs[k], tname (r, n->inputs[k]));
      }
      break;
    case MN_OP_MEAN: {
      const mn_tensor *axes = &ts[n->inputs[1]];
      int rank = ts[n->inputs[0]].rank;
      if ((st = require_const_int (r, n, 1, "axes", false)))
        return st;
      e = mn_tensor_elements (axes);
      for (i = 0; i < e; i++) {
        int64_t a = const_int_at (axes, i);
        if (a < -rank || a >= rank)
          return mn_log_error (r->log, MN_ERR_MALFORMED,
                               ACTION ": operator %d (%s) reduces axis %lld of a rank %d "
                               "input: axes must be in %d..%d",
                               n->file_index, mn_op_name (n->op), (long long) a, rank,
                               -rank, rank - 1);
      }
      break;
    }
    case MN_OP_PAD: {
      const mn_tensor *p = &ts[n->inputs[1]];
      if ((st = require_const_int (r, n, 1, "paddings", true)))
        return st;
      e = mn_tensor_elements (p);
      for (i = 0; i < e; i++) {
        int64_t a = const_int_at (p, i);
        if (a < 0 || a > MN_MAX_DIM)
          return mn_log_error (r->log, MN_ERR_MALFORMED,
                               ACTION ": operator %d (%s) pads by %lld: paddings must be "
                               "in 0..%d",
                               n->file_index, mn_op_name (n->op), (long long) a, MN_MAX_DIM);
      }
      break;
    }
    case MN_OP_RESHAPE:
      if (n->num_inputs == 2 && (st = require_const_int (r, n, 1, "shape", true)))
        return st;
      break;
    default:
      break;
  }
  return MN_OK;
}

static mn_status
read_node (reader *r, uint32_t i, mn_op op, mn_node *n)
{
  fb_table o;
  fb_vec in, out;
  uint32_t k;
  mn_status st;

  memset (n, 0, sizeof *n);
  n->op = op;
  n->file_index = (int) i;
  n->inputs[0] = n->inputs[1] = n->inputs[2] = -1;
  n->output = -1;
  if (fb_vec_table (&r->operators, i, &o) != FB_OK
      || fb_vector (&o, TFL_OPERATOR_INPUTS, 4, &in) == FB_BAD
      || fb_vector (&o, TFL_OPERATOR_OUTPUTS, 4, &out) == FB_BAD)
    return malformed (r, "an operator's inputs or outputs");
  if (in.len > 3)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %u (%s) has %u inputs: at most 3 expected",
                         i, mn_op_name (op), in.len);
  n->num_inputs = (int) in.len;
  for (k = 0; k < in.len; k++)
    n->inputs[k] = fb_vec_i32 (&in, k);
  if (out.len != 1)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %u (%s) has %u outputs: exactly 1 expected",
                         i, mn_op_name (op), out.len);
  n->output = fb_vec_i32 (&out, 0);
  if (n->output < 0 || n->output >= r->g->num_tensors)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %u (%s) output is tensor %d: the subgraph has "
                         "%d tensors",
                         i, mn_op_name (op), n->output, r->g->num_tensors);
  if ((st = check_inputs (r, n)))
    return st;
  return read_options (r, &o, n);
}

/* ------------------------------------------------------------------------ */
/* Constant DEQUANTIZE folding */

static float
half_to_float (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  float f;

  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);         /* inf or NaN */
  } else if (exp != 0) {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;                                       /* signed zero */
  } else {
    /* Subnormal: value = mant * 2^-24; normalise the mantissa. */
    int e = -14;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      e--;
    }
    mant &= 0x3ffu;
    bits = sign | ((uint32_t) (e + 127) << 23) | (mant << 13);
  }
  memcpy (&f, &bits, sizeof f);
  return f;
}

/* Converts a constant FLOAT16/INT8/UINT8 input of node n into a FLOAT32
 * constant on its output.  *folded = false when n is not a constant
 * DEQUANTIZE. */
static mn_status
fold_dequantize (reader *r, const mn_node *n, bool *folded)
{
  mn_tensor *in, *out;
  size_t e, i, inner = 1, channels = 1;
  float *dst;
  int k;

  *folded = false;
  if (n->op != MN_OP_DEQUANTIZE)
    return MN_OK;
  in = &r->g->tensors[n->inputs[0]];
  out = &r->g->tensors[n->output];
  if (in->data == NULL)
    return MN_OK;
  if (in->type != MN_DTYPE_FLOAT16 && in->type != MN_DTYPE_INT8 && in->type != MN_DTYPE_UINT8)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": operator %d (DEQUANTIZE) reads constant tensor %d (%s) of "
                         "type %s: only FLOAT16, INT8 and UINT8 can be dequantised",
                         n->file_index, n->inputs[0], tname (r, n->inputs[0]),
                         mn_dtype_str (in->type));
  if (out->type != MN_DTYPE_FLOAT32)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": operator %d (DEQUANTIZE) writes tensor %d (%s) of type %s: "
                         "only FLOAT32 is supported",
                         n->file_index, n->output, tname (r, n->output), mn_dtype_str (out->type));
  e = mn_tensor_elements (in);
  if (mn_tensor_elements (out) != e)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %d (DEQUANTIZE) maps %zu elements to %zu: the "
                         "counts must be equal",
                         n->file_index, e, mn_tensor_elements (out));
  if (out->data != NULL || n->output == r->g->input)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %d (DEQUANTIZE) writes tensor %d (%s), which is "
                         "constant or the graph input",
                         n->file_index, n->output, tname (r, n->output));
  if (in->type != MN_DTYPE_FLOAT16 && in->num_scales == 0)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %d (DEQUANTIZE) reads tensor %d (%s) of type %s "
                         "that has no quantisation parameters",
                         n->file_index, n->inputs[0], tname (r, n->inputs[0]),
                         mn_dtype_str (in->type));

  if (spend (r, e * sizeof (float), "the dequantised data", n->output))
    return MN_ERR_MALFORMED;
  dst = graph_alloc_block (r->g, e * sizeof (float));
  if (dst == NULL)
    return mn_log_error (r->log, MN_ERR_NO_MEMORY,
                         ACTION ": out of memory folding operator %d", n->file_index);
  if (in->num_scales > 1) {
    for (k = in->quant_dim + 1; k < in->rank; k++)
      inner *= (size_t) in->dims[k];
    channels = (size_t) in->num_scales;
  }
  for (i = 0; i < e; i++) {
    if (in->type == MN_DTYPE_FLOAT16) {
      uint16_t h;
      memcpy (&h, (const uint8_t *) in->data + 2 * i, 2);
      dst[i] = half_to_float (h);
    } else {
      size_t c = in->num_scales > 1 ? (i / inner) % channels : 0;
      int32_t q = in->type == MN_DTYPE_INT8 ? (int32_t) ((const int8_t *) in->data)[i]
                                            : (int32_t) ((const uint8_t *) in->data)[i];
      dst[i] = in->scales[c] * (float) (q - in->zero_points[c]);
    }
  }
  out->data = dst;
  out->nbytes = e * sizeof (float);
  *folded = true;
  return MN_OK;
}

/* ------------------------------------------------------------------------ */
/* Data flow */

static mn_status
check_dataflow (reader *r)
{
  mn_graph *g = r->g;
  /* 0: not yet available, 1: input or constant, 2: written by an op */
  uint8_t *state = calloc ((size_t) g->num_tensors, 1);
  mn_status st = MN_OK;
  int i, k;

  if (state == NULL)
    return mn_log_error (r->log, MN_ERR_NO_MEMORY, ACTION ": out of memory");
  for (i = 0; i < g->num_tensors; i++)
    state[i] = g->tensors[i].data != NULL;
  state[g->input] = 1;

  for (i = 0; i < g->num_nodes && st == MN_OK; i++) {
    const mn_node *n = &g->nodes[i];
    for (k = 0; k < n->num_inputs; k++) {
      int t = n->inputs[k];
      if (t >= 0 && state[t] == 0) {
        st = mn_log_error (r->log, MN_ERR_MALFORMED,
                           ACTION ": operator %d (%s) reads tensor %d (%s) before any "
                           "operator writes it",
                           n->file_index, mn_op_name (n->op), t, tname (r, t));
        break;
      }
    }
    if (st != MN_OK)
      break;
    if (n->output == g->input)
      st = mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %d (%s) writes the graph input tensor %d (%s)",
                         n->file_index, mn_op_name (n->op), n->output, tname (r, n->output));
    else if (g->tensors[n->output].data != NULL)
      st = mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %d (%s) writes constant tensor %d (%s)",
                         n->file_index, mn_op_name (n->op), n->output, tname (r, n->output));
    else if (state[n->output] == 2)
      st = mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": operator %d (%s) writes tensor %d (%s), which an earlier "
                         "operator already wrote",
                         n->file_index, mn_op_name (n->op), n->output, tname (r, n->output));
    state[n->output] = 2;
  }
  if (st == MN_OK && state[g->output] != 2)
    st = mn_log_error (r->log, MN_ERR_MALFORMED,
                       ACTION ": the graph output tensor %d (%s) is never written by an operator",
                       g->output, tname (r, g->output));
  free (state);
  return st;
}

/* ------------------------------------------------------------------------ */
/* The model */

static mn_status
read_io (reader *r, int field, const char *what, int *out)
{
  fb_vec v;
  int32_t t;

  if (fb_vector (&r->subgraph, field, 4, &v) == FB_BAD)
    return malformed (r, "the subgraph's input or output list");
  if (v.len != 1)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": the model has %u %ss: exactly one is supported",
                         v.len, what);
  t = fb_vec_i32 (&v, 0);
  if (t < 0 || t >= r->g->num_tensors)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": the graph %s is tensor %d: the subgraph has %d tensors",
                         what, (int) t, r->g->num_tensors);
  *out = t;
  return MN_OK;
}

static mn_status
read_model (reader *r)
{
  mn_graph *g = r->g;
  fb_vec subgraphs;
  fb_table buf0;
  uint32_t version = 0, i;
  mn_op *ops = NULL;
  const uint8_t *bytes;
  size_t nbytes;
  mn_status st;
  int k;

  if (r->data == NULL || r->size < 8 || !fb_has_identifier (r->data, r->size, "TFL3")) {
    if (r->data == NULL || r->size == 0)
      return mn_log_error (r->log, MN_ERR_NOT_TFLITE,
                           ACTION ": the file is empty: not a TensorFlow Lite model");
    return mn_log_error (r->log, MN_ERR_NOT_TFLITE,
                         ACTION ": %zu-byte file lacks the \"TFL3\" identifier at bytes 4..8: "
                         "not a TensorFlow Lite model",
                         r->size);
  }
  if (fb_root (r->data, r->size, &r->model) != FB_OK)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": the model's root table lies outside the %zu-byte file "
                         "(truncated?)",
                         r->size);
  if (fb_u32 (&r->model, TFL_MODEL_VERSION, 0, &version) == FB_BAD)
    return malformed (r, "the model version");
  if (version != TFL_SCHEMA_VERSION)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": the model has schema version %u: only version %d is "
                         "supported",
                         version, TFL_SCHEMA_VERSION);

  if (fb_vector (&r->model, TFL_MODEL_SUBGRAPHS, 4, &subgraphs) == FB_BAD)
    return malformed (r, "the subgraph list");
  if (subgraphs.len == 0)
    return mn_log_error (r->log, MN_ERR_MALFORMED, ACTION ": the model has no subgraph");
  if (subgraphs.len > 1)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                         ACTION ": the model has %u subgraphs: only one is supported",
                         subgraphs.len);
  if (fb_vec_table (&subgraphs, 0, &r->subgraph) != FB_OK)
    return malformed (r, "the subgraph table");

  if (fb_vector (&r->model, TFL_MODEL_BUFFERS, 4, &r->buffers) == FB_BAD)
    return malformed (r, "the buffer list");
  if (r->buffers.len == 0)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": the model has no buffers: buffer 0 must exist as the "
                         "empty sentinel");
  if (fb_vec_table (&r->buffers, 0, &buf0) != FB_OK
      || mn_tflite_buffer_bytes (r->data, r->size, &buf0, &bytes, &nbytes) == FB_BAD)
    return malformed (r, "buffer 0");
  if (nbytes != 0)
    return mn_log_error (r->log, MN_ERR_MALFORMED,
                         ACTION ": buffer 0 holds %zu bytes: it must be the empty sentinel",
                         nbytes);

  if (fb_vector (&r->subgraph, TFL_SUBGRAPH_TENSORS, 4, &r->tensors) == FB_BAD
      || fb_vector (&r->subgraph, TFL_SUBGRAPH_OPERATORS, 4, &r->operators) == FB_BAD)
    return malformed (r, "the tensor or operator list");
  if (r->tensors.len == 0)
    return mn_log_error (r->log, MN_ERR_MALFORMED, ACTION ": the subgraph has no tensors");
  if (r->operators.len == 0)
    return mn_log_error (r->log, MN_ERR_UNSUPPORTED, ACTION ": the subgraph has no operators");
  if (r->tensors.len > INT_MAX / 2 || r->operators.len > INT_MAX / 2)
    return malformed (r, "the tensor or operator count");

  /* Operators first, so an unsupported op is named before its tensors'
   * types are complained about. */
  if ((st = read_opcodes (r)))
    return st;
  ops = calloc (r->operators.len, sizeof (mn_op));
  if (ops == NULL)
    return mn_log_error (r->log, MN_ERR_NO_MEMORY, ACTION ": out of memory");
  if ((st = check_operators (r, ops)))
    goto done;

  g->num_tensors = (int) r->tensors.len;
  g->tensors = calloc (r->tensors.len, sizeof (mn_tensor));
  g->nodes = calloc (r->operators.len, sizeof (mn_node));
  if (g->tensors == NULL || g->nodes == NULL) {
    g->num_tensors = 0;
    st = mn_log_error (r->log, MN_ERR_NO_MEMORY, ACTION ": out of memory for %u tensors",
                       r->tensors.len);
    goto done;
  }
  for (k = 0; k < g->num_tensors; k++) {
    if ((st = read_tensor (r, k)))
      goto done;
  }
  if ((st = read_io (r, TFL_SUBGRAPH_INPUTS, "input", &g->input))
      || (st = read_io (r, TFL_SUBGRAPH_OUTPUTS, "output", &g->output)))
    goto done;
  if (g->tensors[g->input].data != NULL) {
    st = mn_log_error (r->log, MN_ERR_MALFORMED,
                       ACTION ": the graph input tensor %d (%s) is constant",
                       g->input, tname (r, g->input));
    goto done;
  }

  g->num_nodes = 0;
  for (i = 0; i < r->operators.len; i++) {
    mn_node *n = &g->nodes[g->num_nodes];
    bool folded;
    if ((st = read_node (r, i, ops[i], n)) || (st = fold_dequantize (r, n, &folded)))
      goto done;
    if (!folded)
      g->num_nodes++;
  }
  if (g->num_nodes == 0) {
    st = mn_log_error (r->log, MN_ERR_UNSUPPORTED,
                       ACTION ": no operators remain after folding constants");
    goto done;
  }
  st = check_dataflow (r);

done:
  free (ops);
  return st;
}

static mn_status
read_graph (const uint8_t *data, size_t size, bool borrow, mn_graph *g, mn_logger *log)
{
  reader r;
  mn_status st;

  if (g == NULL)
    return mn_log_error (log, MN_ERR_INVALID_ARG, ACTION ": no graph to fill");
  memset (g, 0, sizeof *g);
  memset (&r, 0, sizeof r);
  r.data = data;
  r.size = data ? size : 0;
  r.log = log;
  r.g = g;
  r.borrow = borrow;
  r.budget = r.size > (SIZE_MAX - BUDGET_EXTRA) / BUDGET_FACTOR
      ? SIZE_MAX : r.size * BUDGET_FACTOR + BUDGET_EXTRA;

  st = read_model (&r);
  free (r.opcode_builtin);
  if (st != MN_OK) {
    mn_graph_clear (g);
    return st;
  }
  mn_tflite_read_metadata (data, size, &r.model, g, log);
  return MN_OK;
}

mn_status
mn_tflite_read (const uint8_t *data, size_t size, mn_graph *g, mn_logger *log)
{
  return read_graph (data, size, false, g, log);
}

mn_status
mn_tflite_read_borrowing (const uint8_t *data, size_t size, mn_graph *g, mn_logger *log)
{
  return read_graph (data, size, true, g, log);
}
