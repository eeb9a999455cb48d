/* graph.c: names and sizes for the graph's enums and tensors. */
#include "graph.h"

const char *
mn_op_name (mn_op op)
{
  switch (op) {
    case MN_OP_CONV_2D: return "CONV_2D";
    case MN_OP_DEPTHWISE_CONV_2D: return "DEPTHWISE_CONV_2D";
    case MN_OP_ADD: return "ADD";
    case MN_OP_AVERAGE_POOL_2D: return "AVERAGE_POOL_2D";
    case MN_OP_MEAN: return "MEAN";
    case MN_OP_FULLY_CONNECTED: return "FULLY_CONNECTED";
    case MN_OP_RESHAPE: return "RESHAPE";
    case MN_OP_SQUEEZE: return "SQUEEZE";
    case MN_OP_SOFTMAX: return "SOFTMAX";
    case MN_OP_QUANTIZE: return "QUANTIZE";
    case MN_OP_DEQUANTIZE: return "DEQUANTIZE";
    case MN_OP_PAD: return "PAD";
  }
  return "UNKNOWN";
}

const char *
mn_activation_name (mn_activation a)
{
  switch (a) {
    case MN_ACT_NONE: return "NONE";
    case MN_ACT_RELU: return "RELU";
    case MN_ACT_RELU_N1_TO_1: return "RELU_N1_TO_1";
    case MN_ACT_RELU6: return "RELU6";
  }
  return "UNKNOWN";
}

const char *
mn_dtype_str (mn_dtype t)
{
  switch (t) {
    case MN_DTYPE_FLOAT32: return "FLOAT32";
    case MN_DTYPE_FLOAT16: return "FLOAT16";
    case MN_DTYPE_INT32: return "INT32";
    case MN_DTYPE_UINT8: return "UINT8";
    case MN_DTYPE_INT8: return "INT8";
    case MN_DTYPE_INT64: return "INT64";
  }
  return "UNKNOWN";
}

size_t
mn_dtype_size (mn_dtype t)
{
  switch (t) {
    case MN_DTYPE_FLOAT32: return 4;
    case MN_DTYPE_FLOAT16: return 2;
    case MN_DTYPE_INT32: return 4;
    case MN_DTYPE_UINT8: return 1;
    case MN_DTYPE_INT8: return 1;
    case MN_DTYPE_INT64: return 8;
  }
  return 0;
}

size_t
mn_tensor_elements (const mn_tensor *t)
{
  size_t n = 1;
  int i;

  for (i = 0; i < t->rank && i < MN_MAX_RANK; i++)
    n *= t->dims[i] > 0 ? (size_t) t->dims[i] : 0;
  return n;
}
