/* tflite_schema.h: the numbers of the TFLite schema that the reader, the
 * metadata reader and the tests' model builder share.
 *
 * Field ids are the 0-based order of the fields in tensorflow/lite/schema/
 * schema.fbs and tensorflow_lite_support/metadata/metadata_schema.fbs (a
 * union field takes two ids: its type, then its value).
 */
#ifndef MN_TFLITE_SCHEMA_H
#define MN_TFLITE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "flatbuf.h"
#include "graph.h"

#define TFL_SCHEMA_VERSION 3

/* TensorType */
enum {
  TFL_TYPE_FLOAT32 = 0,
  TFL_TYPE_FLOAT16 = 1,
  TFL_TYPE_INT32 = 2,
  TFL_TYPE_UINT8 = 3,
  TFL_TYPE_INT64 = 4,
  TFL_TYPE_STRING = 5,
  TFL_TYPE_BOOL = 6,
  TFL_TYPE_INT16 = 7,
  TFL_TYPE_COMPLEX64 = 8,
  TFL_TYPE_INT8 = 9,
  TFL_TYPE_FLOAT64 = 10,
};

/* BuiltinOperator (the ones the engine or its tests name) */
enum {
  TFL_OP_ADD = 0,
  TFL_OP_AVERAGE_POOL_2D = 1,
  TFL_OP_CONV_2D = 3,
  TFL_OP_DEPTHWISE_CONV_2D = 4,
  TFL_OP_DEQUANTIZE = 6,
  TFL_OP_FULLY_CONNECTED = 9,
  TFL_OP_MAX_POOL_2D = 17,
  TFL_OP_RESHAPE = 22,
  TFL_OP_SOFTMAX = 25,
  TFL_OP_TANH = 28,
  TFL_OP_CUSTOM = 32,
  TFL_OP_PAD = 34,
  TFL_OP_MEAN = 40,
  TFL_OP_SQUEEZE = 43,
  TFL_OP_QUANTIZE = 114,
  TFL_OP_HARD_SWISH = 117,
  TFL_OP_PLACEHOLDER_FOR_GREATER_OP_CODES = 127,
};

/* BuiltinOptions union types (0 = NONE) */
enum {
  TFL_OPT_NONE = 0,
  TFL_OPT_CONV_2D = 1,            /* Conv2DOptions */
  TFL_OPT_DEPTHWISE_CONV_2D = 2,  /* DepthwiseConv2DOptions */
  TFL_OPT_POOL_2D = 5,            /* Pool2DOptions */
  TFL_OPT_FULLY_CONNECTED = 8,    /* FullyConnectedOptions */
  TFL_OPT_SOFTMAX = 9,            /* SoftmaxOptions */
  TFL_OPT_ADD = 11,               /* AddOptions */
  TFL_OPT_RESHAPE = 17,           /* ReshapeOptions */
  TFL_OPT_PAD = 22,               /* PadOptions */
  TFL_OPT_REDUCER = 27,           /* ReducerOptions */
  TFL_OPT_SQUEEZE = 30,           /* SqueezeOptions */
  TFL_OPT_DEQUANTIZE = 38,        /* DequantizeOptions */
  TFL_OPT_QUANTIZE = 89,          /* QuantizeOptions */
  TFL_OPT_HARD_SWISH = 91,        /* HardSwishOptions */
};

/* ActivationFunctionType */
enum {
  TFL_ACT_NONE = 0,
  TFL_ACT_RELU = 1,
  TFL_ACT_RELU_N1_TO_1 = 2,
  TFL_ACT_RELU6 = 3,
  TFL_ACT_TANH = 4,
  TFL_ACT_SIGN_BIT = 5,
};

/* Padding */
enum { TFL_PADDING_SAME = 0, TFL_PADDING_VALID = 1 };

/* Table field ids. */
enum { /* Model */
  TFL_MODEL_VERSION = 0, TFL_MODEL_OPERATOR_CODES = 1, TFL_MODEL_SUBGRAPHS = 2,
  TFL_MODEL_DESCRIPTION = 3, TFL_MODEL_BUFFERS = 4, TFL_MODEL_METADATA_BUFFER = 5,
  TFL_MODEL_METADATA = 6, TFL_MODEL_SIGNATURE_DEFS = 7,
};
enum { /* SubGraph */
  TFL_SUBGRAPH_TENSORS = 0, TFL_SUBGRAPH_INPUTS = 1, TFL_SUBGRAPH_OUTPUTS = 2,
  TFL_SUBGRAPH_OPERATORS = 3, TFL_SUBGRAPH_NAME = 4,
};
enum { /* Tensor */
  TFL_TENSOR_SHAPE = 0, TFL_TENSOR_TYPE = 1, TFL_TENSOR_BUFFER = 2,
  TFL_TENSOR_NAME = 3, TFL_TENSOR_QUANTIZATION = 4, TFL_TENSOR_IS_VARIABLE = 5,
  TFL_TENSOR_SPARSITY = 6, TFL_TENSOR_SHAPE_SIGNATURE = 7,
};
enum { /* QuantizationParameters */
  TFL_QUANT_MIN = 0, TFL_QUANT_MAX = 1, TFL_QUANT_SCALE = 2,
  TFL_QUANT_ZERO_POINT = 3, TFL_QUANT_DETAILS_TYPE = 4, TFL_QUANT_DETAILS = 5,
  TFL_QUANT_QUANTIZED_DIMENSION = 6,
};
enum { /* OperatorCode */
  TFL_OPCODE_DEPRECATED_BUILTIN_CODE = 0, TFL_OPCODE_CUSTOM_CODE = 1,
  TFL_OPCODE_VERSION = 2, TFL_OPCODE_BUILTIN_CODE = 3,
};
enum { /* Operator */
  TFL_OPERATOR_OPCODE_INDEX = 0, TFL_OPERATOR_INPUTS = 1, TFL_OPERATOR_OUTPUTS = 2,
  TFL_OPERATOR_BUILTIN_OPTIONS_TYPE = 3, TFL_OPERATOR_BUILTIN_OPTIONS = 4,
  TFL_OPERATOR_CUSTOM_OPTIONS = 5,
};
enum { /* Buffer */
  TFL_BUFFER_DATA = 0, TFL_BUFFER_OFFSET = 1, TFL_BUFFER_SIZE = 2,
};
enum { /* Metadata */
  TFL_METADATA_NAME = 0, TFL_METADATA_BUFFER = 1,
};
enum { /* Conv2DOptions */
  TFL_CONV_PADDING = 0, TFL_CONV_STRIDE_W = 1, TFL_CONV_STRIDE_H = 2,
  TFL_CONV_ACTIVATION = 3, TFL_CONV_DILATION_W = 4, TFL_CONV_DILATION_H = 5,
};
enum { /* DepthwiseConv2DOptions */
  TFL_DW_PADDING = 0, TFL_DW_STRIDE_W = 1, TFL_DW_STRIDE_H = 2,
  TFL_DW_DEPTH_MULTIPLIER = 3, TFL_DW_ACTIVATION = 4, TFL_DW_DILATION_W = 5,
  TFL_DW_DILATION_H = 6,
};
enum { /* Pool2DOptions */
  TFL_POOL_PADDING = 0, TFL_POOL_STRIDE_W = 1, TFL_POOL_STRIDE_H = 2,
  TFL_POOL_FILTER_W = 3, TFL_POOL_FILTER_H = 4, TFL_POOL_ACTIVATION = 5,
};
enum { /* FullyConnectedOptions */
  TFL_FC_ACTIVATION = 0, TFL_FC_WEIGHTS_FORMAT = 1, TFL_FC_KEEP_NUM_DIMS = 2,
};
enum { TFL_SOFTMAX_BETA = 0 };          /* SoftmaxOptions */
enum { TFL_ADD_ACTIVATION = 0 };        /* AddOptions */
enum { TFL_REDUCER_KEEP_DIMS = 0 };     /* ReducerOptions */
enum { TFL_RESHAPE_NEW_SHAPE = 0 };     /* ReshapeOptions */
enum { TFL_SQUEEZE_DIMS = 0 };          /* SqueezeOptions */

/* Metadata schema ("M001"). */
enum { /* ModelMetadata */
  TFL_MM_NAME = 0, TFL_MM_DESCRIPTION = 1, TFL_MM_VERSION = 2,
  TFL_MM_SUBGRAPH_METADATA = 3, TFL_MM_AUTHOR = 4, TFL_MM_LICENSE = 5,
  TFL_MM_ASSOCIATED_FILES = 6, TFL_MM_MIN_PARSER_VERSION = 7,
};
enum { /* SubGraphMetadata */
  TFL_SGM_NAME = 0, TFL_SGM_DESCRIPTION = 1, TFL_SGM_INPUT_TENSOR_METADATA = 2,
  TFL_SGM_OUTPUT_TENSOR_METADATA = 3, TFL_SGM_ASSOCIATED_FILES = 4,
};
enum { /* TensorMetadata */
  TFL_TM_NAME = 0, TFL_TM_DESCRIPTION = 1, TFL_TM_DIMENSION_NAMES = 2,
  TFL_TM_CONTENT = 3, TFL_TM_PROCESS_UNITS = 4, TFL_TM_STATS = 5,
  TFL_TM_ASSOCIATED_FILES = 6,
};
enum { TFL_PU_OPTIONS_TYPE = 0, TFL_PU_OPTIONS = 1 };   /* ProcessUnit */
enum { TFL_PU_NORMALIZATION = 1 };                      /* ProcessUnitOptions */
enum { TFL_NORM_MEAN = 0, TFL_NORM_STD = 1 };           /* NormalizationOptions */
enum { /* AssociatedFile */
  TFL_AF_NAME = 0, TFL_AF_DESCRIPTION = 1, TFL_AF_TYPE = 2, TFL_AF_LOCALE = 3,
};
enum { TFL_AF_TENSOR_AXIS_LABELS = 2 };                 /* AssociatedFileType */

/* The name of a BuiltinOperator code, or NULL when the table lacks it. */
const char *mn_tflite_op_name (int32_t code);
/* The name of a TensorType, or NULL. */
const char *mn_tflite_type_name (int8_t type);

/* Reads the TFLITE_METADATA entry of a model (normalization, embedded
 * labels) into g.  Never fails: a broken entry or archive is logged as a
 * warning and skipped. */
void mn_tflite_read_metadata (const uint8_t *file, size_t file_size,
                              const fb_table *model, mn_graph *g,
                              const mn_logger *log);

/* Where a Buffer's bytes are: its data vector, or offset/size into the file
 * past the flatbuffer.  FB_ABSENT when it holds no bytes. */
fb_res mn_tflite_buffer_bytes (const uint8_t *file, size_t file_size,
                               const fb_table *buffer, const uint8_t **bytes,
                               size_t *nbytes);

#endif /* MN_TFLITE_SCHEMA_H */
