/* graph.h: a validated model graph, independent of the file format.
 *
 * The TFLite reader builds it; the planner turns it into executable steps.
 * The reader guarantees structural soundness (indices in range, constant
 * data exactly as large as its shape and type need, positive bounded shapes,
 * only the ops, types and options listed here); the planner checks each op's
 * shapes and quantisation against each other.
 */
#ifndef MN_GRAPH_H
#define MN_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mobilenet.h"
#include "log.h"

#define MN_MAX_RANK 4
#define MN_MAX_DIM 65536          /* any single dimension */
#define MN_MAX_ELEMENTS (1 << 28) /* any single tensor */

typedef struct {
  char *name;              /* owned, NUL-terminated */
  mn_dtype type;
  int rank;                /* 0..4 */
  int32_t dims[MN_MAX_RANK];
  /* Quantisation; num_scales == 0 means none. */
  int num_scales;          /* 1 = per tensor, else per channel along quant_dim */
  float *scales;           /* owned, num_scales entries */
  int32_t *zero_points;    /* owned, num_scales entries */
  int quant_dim;
  /* Constant data (weights, biases, shapes) or NULL for activations.
   * Points into memory the graph owns (a copy or a converted buffer),
   * never into the caller's file mapping, so the file may go away. */
  const void *data;
  size_t nbytes;
} mn_tensor;

typedef enum {
  MN_OP_CONV_2D,
  MN_OP_DEPTHWISE_CONV_2D,
  MN_OP_ADD,
  MN_OP_AVERAGE_POOL_2D,
  MN_OP_MEAN,
  MN_OP_FULLY_CONNECTED,
  MN_OP_RESHAPE,
  MN_OP_SQUEEZE,
  MN_OP_SOFTMAX,
  MN_OP_QUANTIZE,
  MN_OP_DEQUANTIZE,
  MN_OP_PAD,
} mn_op;

typedef enum {
  MN_ACT_NONE,
  MN_ACT_RELU,
  MN_ACT_RELU_N1_TO_1,
  MN_ACT_RELU6,
} mn_activation;

typedef enum { MN_PADDING_SAME, MN_PADDING_VALID } mn_padding;

typedef struct {
  mn_op op;
  int file_index;          /* operator index in the file, for messages */
  int num_inputs;
  int inputs[3];           /* tensor indices; -1 = absent optional input (bias) */
  int output;
  /* Options (those that apply to the op; zero otherwise). */
  mn_padding padding;
  int stride_h, stride_w;
  int filter_h, filter_w;  /* AVERAGE_POOL_2D */
  int depth_multiplier;    /* DEPTHWISE_CONV_2D */
  mn_activation activation;
  float beta;              /* SOFTMAX */
  bool keep_dims;          /* MEAN, FULLY_CONNECTED keep_num_dims */
} mn_node;

typedef struct {
  int num_tensors;
  mn_tensor *tensors;      /* owned */
  int num_nodes;
  mn_node *nodes;          /* owned, in execution order */
  int input;               /* the single graph input tensor */
  int output;              /* the single graph output tensor */
  /* From TFLite metadata, when present. */
  bool has_normalization;
  float norm_mean, norm_std;
  char *embedded_labels;   /* owned copy of the first associated labels file, or NULL */
  size_t embedded_labels_size;
  /* Owned blocks the tensors' data points into. */
  void **blocks;
  int num_blocks;
} mn_graph;

const char *mn_op_name (mn_op op);
const char *mn_activation_name (mn_activation a);
size_t mn_dtype_size (mn_dtype t);
/* Elements in a tensor (product of dims; 1 for rank 0). */
size_t mn_tensor_elements (const mn_tensor *t);

/* Parse and validate a TFLite flatbuffer held in memory.  On success *g is
 * filled and owns everything it points to (nothing points into data). */
mn_status mn_tflite_read (const uint8_t *data, size_t size, mn_graph *g, mn_logger *log);
/* The same, except that constant tensors whose bytes are aligned for their
 * type point into data instead of into copies: for a caller that is done
 * with the constants while data is still there (mn_model_load_memory packs
 * them and drops them), saving a copy of every weight. */
mn_status mn_tflite_read_borrowing (const uint8_t *data, size_t size, mn_graph *g,
                                    mn_logger *log);
void mn_graph_clear (mn_graph *g);

#endif /* MN_GRAPH_H */
