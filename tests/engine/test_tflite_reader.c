/* test_tflite_reader.c: the TFLite reader on the shared models and on
 * models written by tflite_builder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "tflite_builder.h"
#include "tflite_schema.h"
#include "test_util.h"

/* ------------------------------------------------------------------------ */
/* A logger that keeps the last error and counts warnings. */

typedef struct {
  char last_error[1024];
  char last_warning[1024];
  int errors, warnings;
} capture;

static void
capture_log (void *user_data, mn_log_level level, const char *message)
{
  capture *c = user_data;
  if (level == MN_LOG_ERROR) {
    c->errors++;
    snprintf (c->last_error, sizeof c->last_error, "%s", message);
  } else if (level == MN_LOG_WARNING) {
    c->warnings++;
    snprintf (c->last_warning, sizeof c->last_warning, "%s", message);
  }
}

/* The entry point under test: parses data into g, logging into c. */
static mn_status
load (const uint8_t *data, size_t size, mn_graph *g, capture *c)
{
  mn_logger log = { capture_log, c };
  memset (c, 0, sizeof *c);
  return mn_tflite_read (data, size, g, &log);
}

static int
count_op (const mn_graph *g, mn_op op)
{
  int i, n = 0;
  for (i = 0; i < g->num_nodes; i++)
    n += g->nodes[i].op == op;
  return n;
}

static bool
dims_are (const mn_tensor *t, int rank, int d0, int d1, int d2, int d3)
{
  int d[4] = { d0, d1, d2, d3 }, i;
  if (t->rank != rank)
    return false;
  for (i = 0; i < rank; i++)
    if (t->dims[i] != d[i])
      return false;
  return true;
}

static bool
near (float a, float b, float tol)
{
  return fabsf (a - b) <= tol;
}

/* ------------------------------------------------------------------------ */
/* Structural invariants every successfully read graph must hold. */

static void
check_invariants (const char *what, const mn_graph *g, const uint8_t *file, size_t size)
{
  int i, k, bad_index = 0, bad_data = 0, bad_align = 0, into_file = 0, bad_quant = 0;

  for (i = 0; i < g->num_tensors; i++) {
    const mn_tensor *t = &g->tensors[i];
    if (t->data) {
      const uint8_t *p = t->data;
      if (t->nbytes != mn_tensor_elements (t) * mn_dtype_size (t->type))
        bad_data++;
      if (((uintptr_t) p & 15) != 0)
        bad_align++;
      if (p >= file && p < file + size)
        into_file++;
    }
    if (t->num_scales > 0) {
      if (t->scales == NULL || t->zero_points == NULL)
        bad_quant++;
      for (k = 0; k < t->num_scales && t->scales; k++)
        if (!(t->scales[k] > 0.0f) || !isfinite (t->scales[k]))
          bad_quant++;
      if (t->num_scales > 1 && t->dims[t->quant_dim] != t->num_scales)
        bad_quant++;
    }
  }
  for (i = 0; i < g->num_nodes; i++) {
    const mn_node *n = &g->nodes[i];
    for (k = 0; k < n->num_inputs; k++)
      if (n->inputs[k] < -1 || n->inputs[k] >= g->num_tensors)
        bad_index++;
    if (n->output < 0 || n->output >= g->num_tensors)
      bad_index++;
  }
  CHECK (bad_index == 0, "%s: every node's tensor index is in range", what);
  CHECK (bad_data == 0, "%s: every constant holds elements * type size bytes", what);
  CHECK (bad_align == 0, "%s: every constant is 16-byte aligned", what);
  CHECK (into_file == 0, "%s: no constant points into the file's memory", what);
  CHECK (bad_quant == 0, "%s: quantisation tables are sound", what);
  CHECK (g->input >= 0 && g->input < g->num_tensors && g->output >= 0
         && g->output < g->num_tensors, "%s: input and output in range", what);
}

/* ------------------------------------------------------------------------ */
/* The shared models */

static const char *const model_names[] = {
  "mobilenet_v1_0.25_128_float.tflite",
  "mobilenet_v1_0.25_128_quant.tflite",
  "mobilenet_v1_0.5_160_float.tflite",
  "mobilenet_v1_0.5_160_quant.tflite",
  "mobilenet_v1_0.75_192_float.tflite",
  "mobilenet_v1_0.75_192_quant.tflite",
  "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
  "mobilenet_v2_1.0_224_float.tflite",
  "mobilenet_v2_1.0_224_quant.tflite",
  "tf2_mobilenet_v2_1.0_224_float.tflite",
  "tf2_mobilenet_v2_1.0_224_ptq.tflite",
};

/* Reads a shared model; returns false (with a failed check) if it cannot. */
static bool
read_shared_model (const char *name, mn_graph *g, capture *c)
{
  char rel[256];
  size_t size;
  uint8_t *file;
  mn_status st;

  snprintf (rel, sizeof rel, "models/%s", name);
  file = tu_read_shared (rel, &size);
  if (file == NULL)
    return false;
  st = load (file, size, g, c);
  CHECK (st == MN_OK, "%s parses (%s)", name, st == MN_OK ? "ok" : c->last_error);
  if (st == MN_OK)
    check_invariants (name, g, file, size);
  /* The file goes away now, as it is unmapped after a real load: any
   * pointer into it would show up under AddressSanitizer below. */
  free (file);
  return st == MN_OK;
}

/* Touches every constant byte (use-after-free detector for copies). */
static unsigned
checksum_constants (const mn_graph *g)
{
  unsigned sum = 0;
  int i;
  size_t k;
  for (i = 0; i < g->num_tensors; i++) {
    const uint8_t *p = g->tensors[i].data;
    for (k = 0; p && k < g->tensors[i].nbytes; k += 61)
      sum += p[k];
  }
  return sum;
}

static void
test_all_models (void)
{
  size_t i;
  for (i = 0; i < sizeof model_names / sizeof model_names[0]; i++) {
    mn_graph g;
    capture c;
    if (read_shared_model (model_names[i], &g, &c)) {
      (void) checksum_constants (&g);
      CHECK (c.warnings == 0, "%s: no warnings (%s)", model_names[i], c.last_warning);
      CHECK (g.tensors[g.input].data == NULL, "%s: input is not constant", model_names[i]);
      mn_graph_clear (&g);
    }
  }
}

static void
test_v2_quant (void)
{
  const char *name = "mobilenet_v2_1.0_224_quant.tflite";
  mn_graph g;
  capture c;
  const mn_tensor *in, *out;
  size_t labels_size;
  uint8_t *labels;

  if (!read_shared_model (name, &g, &c))
    return;
  in = &g.tensors[g.input];
  out = &g.tensors[g.output];
  CHECK (in->type == MN_DTYPE_UINT8 && dims_are (in, 4, 1, 224, 224, 3),
         "v2 quant: input uint8 [1,224,224,3]");
  CHECK (in->num_scales == 1 && in->scales[0] == 1.0f / 128.0f && in->zero_points[0] == 128,
         "v2 quant: input scale 1/128 zero point 128");
  CHECK (out->type == MN_DTYPE_UINT8 && dims_are (out, 2, 1, 1001, 0, 0),
         "v2 quant: output uint8 [1,1001]");
  CHECK (out->num_scales == 1 && out->scales[0] == 1.0f / 256.0f && out->zero_points[0] == 0,
         "v2 quant: output scale 1/256 zero point 0");
  CHECK (g.num_nodes == 66, "v2 quant: 66 nodes (%d)", g.num_nodes);
  CHECK (count_op (&g, MN_OP_CONV_2D) == 36 && count_op (&g, MN_OP_DEPTHWISE_CONV_2D) == 17
         && count_op (&g, MN_OP_ADD) == 10 && count_op (&g, MN_OP_AVERAGE_POOL_2D) == 1
         && count_op (&g, MN_OP_RESHAPE) == 1 && count_op (&g, MN_OP_SOFTMAX) == 1,
         "v2 quant: 36 conv, 17 depthwise, 10 add, 1 pool, 1 reshape, 1 softmax");
  CHECK (strcmp (mn_op_name (g.nodes[0].op), "CONV_2D") == 0
         && g.nodes[0].stride_h == 2 && g.nodes[0].stride_w == 2
         && g.nodes[0].padding == MN_PADDING_SAME && g.nodes[0].activation == MN_ACT_RELU6,
         "v2 quant: node 0 is CONV_2D stride 2 SAME RELU6");
  CHECK (g.nodes[0].num_inputs == 3 && g.tensors[g.nodes[0].inputs[1]].data != NULL
         && g.tensors[g.nodes[0].inputs[2]].type == MN_DTYPE_INT32,
         "v2 quant: node 0 has constant weights and an INT32 bias");
  CHECK (strcmp (mn_op_name (g.nodes[g.num_nodes - 1].op), "SOFTMAX") == 0
         && g.nodes[g.num_nodes - 1].beta == 1.0f,
         "v2 quant: the last node is SOFTMAX beta 1");
  {
    int i, pool = -1, reshape = -1;
    for (i = 0; i < g.num_nodes; i++) {
      if (g.nodes[i].op == MN_OP_AVERAGE_POOL_2D)
        pool = i;
      if (g.nodes[i].op == MN_OP_RESHAPE)
        reshape = i;
    }
    CHECK (pool >= 0 && g.nodes[pool].filter_h == 7 && g.nodes[pool].filter_w == 7
           && g.nodes[pool].padding == MN_PADDING_VALID,
           "v2 quant: AVERAGE_POOL_2D 7x7 VALID");
    CHECK (reshape >= 0 && g.nodes[reshape].num_inputs == 2
           && g.tensors[g.nodes[reshape].inputs[1]].data != NULL
           && g.tensors[g.nodes[reshape].inputs[1]].type == MN_DTYPE_INT32,
           "v2 quant: RESHAPE takes a constant INT32 shape");
  }
  CHECK (g.has_normalization && g.norm_mean == 127.5f && g.norm_std == 127.5f,
         "v2 quant: metadata normalization mean 127.5 std 127.5");
  labels = tu_read_shared ("models/imagenet_labels.txt", &labels_size);
  CHECK (g.embedded_labels != NULL && labels != NULL && g.embedded_labels_size == labels_size
         && memcmp (g.embedded_labels, labels, labels_size) == 0,
         "v2 quant: embedded labels equal imagenet_labels.txt (%zu bytes)",
         g.embedded_labels_size);
  CHECK (g.embedded_labels != NULL && strncmp (g.embedded_labels, "background\n", 11) == 0,
         "v2 quant: embedded labels start with \"background\"");
  free (labels);
  mn_graph_clear (&g);
}

static void
test_tf2_ptq (void)
{
  mn_graph g;
  capture c;
  const mn_tensor *in;
  int i, conv_ok = 0, conv_n = 0, dw_ok = 0, dw_n = 0, mean = -1;

  if (!read_shared_model ("tf2_mobilenet_v2_1.0_224_ptq.tflite", &g, &c))
    return;
  in = &g.tensors[g.input];
  CHECK (in->type == MN_DTYPE_UINT8 && in->num_scales == 1
         && near (in->scales[0], 1.0f / 127.5f, 1e-7f) && in->zero_points[0] == 127,
         "tf2 ptq: input uint8 scale 1/127.5 zero point 127");
  CHECK (g.num_nodes == 68 && count_op (&g, MN_OP_QUANTIZE) == 2 && count_op (&g, MN_OP_MEAN) == 1,
         "tf2 ptq: 68 nodes with 2 QUANTIZE and 1 MEAN");
  CHECK (g.nodes[0].op == MN_OP_QUANTIZE
         && g.tensors[g.nodes[0].output].type == MN_DTYPE_INT8,
         "tf2 ptq: the first node quantises to INT8");
  for (i = 0; i < g.num_nodes; i++) {
    const mn_node *n = &g.nodes[i];
    if (n->op == MN_OP_CONV_2D) {
      const mn_tensor *w = &g.tensors[n->inputs[1]];
      conv_n++;
      conv_ok += w->type == MN_DTYPE_INT8 && w->quant_dim == 0 && w->num_scales == w->dims[0]
          && w->num_scales > 1;
    } else if (n->op == MN_OP_DEPTHWISE_CONV_2D) {
      const mn_tensor *w = &g.tensors[n->inputs[1]];
      dw_n++;
      dw_ok += w->type == MN_DTYPE_INT8 && w->quant_dim == 3 && w->num_scales == w->dims[3]
          && w->num_scales > 1;
    } else if (n->op == MN_OP_MEAN) {
      mean = i;
    }
  }
  CHECK (conv_n == 36 && conv_ok == conv_n,
         "tf2 ptq: conv weights int8 per channel along dim 0 (%d of %d)", conv_ok, conv_n);
  CHECK (dw_n == 17 && dw_ok == dw_n,
         "tf2 ptq: depthwise weights int8 per channel along dim 3 (%d of %d)", dw_ok, dw_n);
  if (mean >= 0) {
    const mn_tensor *axes = &g.tensors[g.nodes[mean].inputs[1]];
    const int32_t *a = axes->data;
    CHECK (axes->type == MN_DTYPE_INT32 && a != NULL && mn_tensor_elements (axes) == 2
           && a[0] == 1 && a[1] == 2, "tf2 ptq: MEAN reduces axes 1,2 (a constant INT32)");
  }
  {
    /* Fact 4: some channels have tiny scales; they must be kept. */
    float smallest = 1.0f;
    for (i = 0; i < g.num_tensors; i++) {
      int k;
      for (k = 0; k < g.tensors[i].num_scales; k++)
        if (g.tensors[i].scales[k] < smallest)
          smallest = g.tensors[i].scales[k];
    }
    CHECK (smallest > 0.0f && smallest < 1e-4f, "tf2 ptq: tiny scales accepted (min %g)",
           (double) smallest);
  }
  CHECK (g.has_normalization && g.norm_mean == 127.5f && g.norm_std == 127.5f
         && g.embedded_labels_size == 21686,
         "tf2 ptq: metadata normalization and a 21686-byte labels file");
  mn_graph_clear (&g);
}

static void
test_other_models (void)
{
  mn_graph g;
  capture c;

  if (read_shared_model ("mobilenet_v1_1.0_224_quant_embedding_extractor.tflite", &g, &c)) {
    const mn_tensor *out = &g.tensors[g.output];
    CHECK (dims_are (out, 4, 1, 1, 1, 1024) && out->type == MN_DTYPE_UINT8,
           "embedding extractor: output uint8 [1,1,1,1024]");
    CHECK (out->num_scales == 1 && near (out->scales[0], 0.0235f, 0.0001f)
           && out->zero_points[0] == 0, "embedding extractor: output scale 0.0235 zero point 0");
    CHECK (g.num_nodes == 28 && !g.has_normalization && g.embedded_labels == NULL,
           "embedding extractor: 28 nodes, no normalization, no labels");
    mn_graph_clear (&g);
  }
  if (read_shared_model ("mobilenet_v1_0.25_128_quant.tflite", &g, &c)) {
    const mn_tensor *in = &g.tensors[g.input];
    CHECK (dims_are (in, 4, 1, 128, 128, 3) && g.num_nodes == 31,
           "v1 0.25: input [1,128,128,3], 31 nodes");
    CHECK (g.embedded_labels_size == 21686 && g.has_normalization,
           "v1 0.25: labels and normalization from metadata");
    mn_graph_clear (&g);
  }
  if (read_shared_model ("tf2_mobilenet_v2_1.0_224_float.tflite", &g, &c)) {
    const mn_tensor *in = &g.tensors[g.input], *out = &g.tensors[g.output];
    int i, quantised = 0;
    for (i = 0; i < g.num_tensors; i++)
      quantised += g.tensors[i].num_scales > 0;
    CHECK (in->type == MN_DTYPE_FLOAT32 && out->type == MN_DTYPE_FLOAT32
           && dims_are (out, 2, 1, 1001, 0, 0), "tf2 float: float32 input and [1,1001] output");
    CHECK (g.num_nodes == 66 && count_op (&g, MN_OP_QUANTIZE) == 0 && quantised == 0,
           "tf2 float: 66 nodes, nothing quantised");
    CHECK (!g.has_normalization && g.embedded_labels == NULL, "tf2 float: no metadata");
    {
      size_t max_name = 0;
      for (i = 0; i < g.num_tensors; i++)
        if (strlen (g.tensors[i].name) > max_name)
          max_name = strlen (g.tensors[i].name);
      CHECK (max_name >= 700, "tf2 float: long tensor names copied whole (%zu bytes)", max_name);
    }
    mn_graph_clear (&g);
  }
}

/* ------------------------------------------------------------------------ */
/* Builder round trips */

static bool
read_built (const char *what, tb_model *m, mn_graph *g, capture *c)
{
  size_t size;
  uint8_t *file = tb_model_finish (m, &size);
  mn_status st;

  tb_model_free (m);
  if (!CHECK (file != NULL, "%s: builder wrote a model", what))
    return false;
  st = load (file, size, g, c);
  CHECK (st == MN_OK, "%s: parses (%s)", what, st == MN_OK ? "ok" : c->last_error);
  if (st == MN_OK)
    check_invariants (what, g, file, size);
  free (file);
  return st == MN_OK;
}

static void
test_builder_recipes (void)
{
  static const int types[3] = { TFL_TYPE_FLOAT32, TFL_TYPE_UINT8, TFL_TYPE_INT8 };
  int ti;

  for (ti = 0; ti < 3; ti++) {
    tb_quant q = tb_quant_default (types[ti]);
    const char *tn = mn_tflite_type_name ((int8_t) types[ti]);
    mn_graph g;
    capture c;
    char what[128];

    q.per_channel = types[ti] == TFL_TYPE_INT8;
    snprintf (what, sizeof what, "builder conv2d %s", tn);
    if (read_built (what, tb_conv2d (&q, 9, 8, 3, 5, 3, 3, 2, TFL_PADDING_SAME, TFL_ACT_RELU6),
                    &g, &c)) {
      const mn_node *n = &g.nodes[0];
      const mn_tensor *w = &g.tensors[n->inputs[1]];
      const mn_tensor *out = &g.tensors[g.output];
      CHECK (g.num_nodes == 1 && n->op == MN_OP_CONV_2D && n->stride_h == 2 && n->stride_w == 2
             && n->padding == MN_PADDING_SAME && n->activation == MN_ACT_RELU6,
             "%s: one CONV_2D stride 2 SAME RELU6", what);
      CHECK (dims_are (w, 4, 5, 3, 3, 3) && dims_are (out, 4, 1, 5, 4, 5),
             "%s: weights [5,3,3,3], output [1,5,4,5]", what);
      if (types[ti] == TFL_TYPE_INT8)
        CHECK (w->num_scales == 5 && w->quant_dim == 0 && g.tensors[n->inputs[2]].num_scales == 5,
               "%s: per-channel weights and bias", what);
      if (types[ti] == TFL_TYPE_UINT8)
        CHECK (w->num_scales == 1 && w->zero_points[0] >= 100, "%s: asymmetric uint8 weights",
               what);
      mn_graph_clear (&g);
    }
    snprintf (what, sizeof what, "builder depthwise %s", tn);
    if (read_built (what, tb_depthwise (&q, 7, 7, 4, 3, 3, 1, TFL_PADDING_VALID, TFL_ACT_RELU),
                    &g, &c)) {
      const mn_node *n = &g.nodes[0];
      const mn_tensor *w = &g.tensors[n->inputs[1]];
      CHECK (n->op == MN_OP_DEPTHWISE_CONV_2D && n->depth_multiplier == 1
             && n->padding == MN_PADDING_VALID && n->activation == MN_ACT_RELU
             && dims_are (&g.tensors[g.output], 4, 1, 5, 5, 4),
             "%s: DEPTHWISE_CONV_2D VALID RELU, output [1,5,5,4]", what);
      if (types[ti] == TFL_TYPE_INT8)
        CHECK (w->num_scales == 4 && w->quant_dim == 3, "%s: weights per channel along dim 3",
               what);
      mn_graph_clear (&g);
    }
    snprintf (what, sizeof what, "builder fully connected %s", tn);
    if (read_built (what, tb_fully_connected (&q, 16, 10, TFL_ACT_NONE), &g, &c)) {
      CHECK (g.nodes[0].op == MN_OP_FULLY_CONNECTED && !g.nodes[0].keep_dims
             && dims_are (&g.tensors[g.output], 2, 1, 10, 0, 0),
             "%s: FULLY_CONNECTED to [1,10]", what);
      mn_graph_clear (&g);
    }
    snprintf (what, sizeof what, "builder add %s", tn);
    if (read_built (what, tb_add (&q, 4, 4, 8, TFL_ACT_RELU6), &g, &c)) {
      CHECK (g.num_nodes == 2 && g.nodes[1].op == MN_OP_ADD && g.nodes[1].inputs[0] == g.input
             && g.nodes[1].activation == MN_ACT_RELU6, "%s: DEPTHWISE then ADD(input, branch)",
             what);
      if (types[ti] != TFL_TYPE_FLOAT32) {
        const mn_node *n = &g.nodes[1];
        float s0 = g.tensors[n->inputs[0]].scales[0], s1 = g.tensors[n->inputs[1]].scales[0];
        float s2 = g.tensors[n->output].scales[0];
        CHECK (s0 != s1 && s1 != s2 && s0 != s2, "%s: three different scales", what);
      }
      mn_graph_clear (&g);
    }
    snprintf (what, sizeof what, "builder mean %s", tn);
    if (read_built (what, tb_mean (&q, 7, 7, 16, true), &g, &c)) {
      CHECK (g.nodes[0].op == MN_OP_MEAN && g.nodes[0].keep_dims
             && dims_are (&g.tensors[g.output], 4, 1, 1, 1, 16), "%s: MEAN keep_dims", what);
      mn_graph_clear (&g);
    }
    snprintf (what, sizeof what, "builder avgpool %s", tn);
    if (read_built (what, tb_avgpool (&q, 7, 7, 8, 7, 7, 2, TFL_PADDING_VALID), &g, &c)) {
      CHECK (g.nodes[0].op == MN_OP_AVERAGE_POOL_2D && g.nodes[0].filter_h == 7
             && g.nodes[0].stride_w == 2 && dims_are (&g.tensors[g.output], 4, 1, 1, 1, 8),
             "%s: AVERAGE_POOL_2D 7x7 to [1,1,1,8]", what);
      mn_graph_clear (&g);
    }
    snprintf (what, sizeof what, "builder softmax %s", tn);
    if (read_built (what, tb_softmax (&q, 10, 0.5f), &g, &c)) {
      CHECK (g.nodes[0].op == MN_OP_SOFTMAX && g.nodes[0].beta == 0.5f, "%s: SOFTMAX beta 0.5",
             what);
      mn_graph_clear (&g);
    }
  }
}

static void
test_builder_variants (void)
{
  mn_graph g;
  capture c;
  tb_quant q = tb_quant_default (TFL_TYPE_FLOAT32);
  tb_model *m;
  int style;

  for (style = 0; style < 3; style++) {
    char what[64];
    m = tb_conv2d (&q, 4, 4, 2, 2, 1, 1, 1, TFL_PADDING_SAME, TFL_ACT_NONE);
    tb_model_opcode_style (m, style);
    snprintf (what, sizeof what, "opcode style %d", style);
    if (read_built (what, m, &g, &c)) {
      CHECK (g.nodes[0].op == MN_OP_CONV_2D, "%s: CONV_2D from either code field", what);
      mn_graph_clear (&g);
    }
  }

  /* Constant data past the flatbuffer (Buffer.offset / size). */
  {
    tb_model *ref = tb_conv2d (&q, 5, 5, 3, 4, 3, 3, 1, TFL_PADDING_SAME, TFL_ACT_NONE);
    mn_graph g2;
    m = tb_conv2d (&q, 5, 5, 3, 4, 3, 3, 1, TFL_PADDING_SAME, TFL_ACT_NONE);
    tb_model_external_buffers (m, true);
    if (read_built ("external buffers", m, &g, &c)) {
      if (read_built ("inline buffers", ref, &g2, &c)) {
        const mn_tensor *a = &g.tensors[g.nodes[0].inputs[1]];
        const mn_tensor *b = &g2.tensors[g2.nodes[0].inputs[1]];
        CHECK (a->nbytes == b->nbytes && a->nbytes == 4 * 3 * 3 * 3 * 4
               && memcmp (a->data, b->data, a->nbytes) == 0,
               "external buffers: weights equal the inline model's");
        mn_graph_clear (&g2);
      }
      mn_graph_clear (&g);
    } else {
      tb_model_free (ref);
    }
  }

  /* RESHAPE with a constant shape and no options, SQUEEZE, PAD, QUANTIZE,
   * DEQUANTIZE of an activation. */
  {
    int32_t d4[4] = { 1, 1, 1, 6 }, d2[2] = { 1, 6 }, sd[1] = { 2 }, sd4[1] = { 4 };
    int32_t pd[2] = { 4, 2 };
    int32_t shape[2] = { 1, 6 }, shape4[4] = { 1, 1, 1, 6 };
    int32_t pads[8] = { 0, 0, 1, 1, 1, 1, 0, 0 };
    int32_t pout[4] = { 1, 3, 3, 6 };
    int x, s, s4, y, z, p, pv, o, qt, dq, op;
    m = tb_model_new ();
    x = tb_tensor (m, "x", TFL_TYPE_FLOAT32, 4, d4);
    s = tb_const (m, "shape", TFL_TYPE_INT32, 1, sd, shape, sizeof shape);
    y = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 2, d2);
    tb_op2 (m, TFL_OP_RESHAPE, x, s, y);
    s4 = tb_const (m, "shape4", TFL_TYPE_INT32, 1, sd4, shape4, sizeof shape4);
    z = tb_tensor (m, "z", TFL_TYPE_FLOAT32, 4, d4);
    tb_op2 (m, TFL_OP_RESHAPE, y, s4, z);
    pv = tb_const (m, "paddings", TFL_TYPE_INT32, 2, pd, pads, sizeof pads);
    p = tb_tensor (m, "padded", TFL_TYPE_FLOAT32, 4, pout);
    tb_op2 (m, TFL_OP_PAD, z, pv, p);
    qt = tb_tensor (m, "q", TFL_TYPE_UINT8, 4, pout);
    tb_tensor_quant1 (m, qt, 0.1f, 3);
    tb_op1 (m, TFL_OP_QUANTIZE, p, qt);
    dq = tb_tensor (m, "dq", TFL_TYPE_FLOAT32, 4, pout);
    tb_op1 (m, TFL_OP_DEQUANTIZE, qt, dq);
    o = tb_tensor (m, "o", TFL_TYPE_FLOAT32, 4, pout);
    op = tb_op1 (m, TFL_OP_SQUEEZE, dq, o);
    tb_op_options (m, op)->num_squeeze_dims = 0;
    tb_io (m, x, o);
    if (read_built ("reshape/pad/quantize/dequantize/squeeze", m, &g, &c)) {
      CHECK (g.num_nodes == 6 && g.nodes[0].op == MN_OP_RESHAPE && g.nodes[2].op == MN_OP_PAD
             && g.nodes[3].op == MN_OP_QUANTIZE && g.nodes[4].op == MN_OP_DEQUANTIZE
             && g.nodes[5].op == MN_OP_SQUEEZE,
             "reshape/pad/...: all six nodes kept in order (activation DEQUANTIZE not folded)");
      mn_graph_clear (&g);
    }
  }
}

static uint16_t
f16_bits (int sign, int exp, int mant)
{
  return (uint16_t) ((sign << 15) | (exp << 10) | mant);
}

static void
test_dequantize_folding (void)
{
  mn_graph g;
  capture c;
  tb_model *m;
  int32_t in_dims[4] = { 1, 2, 2, 8 }, w_dims[4] = { 1, 1, 1, 8 }, b_dims[1] = { 1 };
  int32_t out_dims[4] = { 1, 2, 2, 1 };
  uint16_t half[8];
  float bias = 0.25f;
  int x, wh, wf, b, y;

  half[0] = f16_bits (0, 15, 0);          /* 1.0 */
  half[1] = f16_bits (1, 16, 512);        /* -3.0 */
  half[2] = f16_bits (0, 0, 1);           /* smallest subnormal 2^-24 */
  half[3] = f16_bits (0, 0, 0x3ff);       /* largest subnormal */
  half[4] = f16_bits (1, 0, 0);           /* -0 */
  half[5] = f16_bits (0, 31, 0);          /* +inf */
  half[6] = f16_bits (0, 31, 1);          /* NaN */
  half[7] = f16_bits (0, 30, 0x3ff);      /* 65504 */

  m = tb_model_new ();
  x = tb_tensor (m, "x", TFL_TYPE_FLOAT32, 4, in_dims);
  wh = tb_const (m, "w_f16", TFL_TYPE_FLOAT16, 4, w_dims, half, sizeof half);
  wf = tb_tensor (m, "w", TFL_TYPE_FLOAT32, 4, w_dims);
  b = tb_const (m, "b", TFL_TYPE_FLOAT32, 1, b_dims, &bias, sizeof bias);
  y = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 4, out_dims);
  tb_op1 (m, TFL_OP_DEQUANTIZE, wh, wf);
  tb_op3 (m, TFL_OP_CONV_2D, x, wf, b, y);
  tb_io (m, x, y);
  if (read_built ("float16 dequantize folding", m, &g, &c)) {
    const mn_tensor *w = &g.tensors[wf];
    const float *v = w->data;
    CHECK (g.num_nodes == 1 && g.nodes[0].op == MN_OP_CONV_2D,
           "float16 folding: the DEQUANTIZE node is dropped");
    CHECK (v != NULL && w->type == MN_DTYPE_FLOAT32 && w->nbytes == 8 * sizeof (float),
           "float16 folding: the weights became a FLOAT32 constant");
    if (v) {
      CHECK (v[0] == 1.0f && v[1] == -3.0f, "float16 folding: normal values");
      CHECK (v[2] == ldexpf (1.0f, -24) && v[3] == ldexpf (1023.0f, -24),
             "float16 folding: subnormals");
      CHECK (v[4] == 0.0f && signbit (v[4]), "float16 folding: negative zero");
      CHECK (isinf (v[5]) && v[5] > 0 && isnan (v[6]), "float16 folding: inf and NaN");
      CHECK (v[7] == 65504.0f, "float16 folding: the largest half");
    }
    mn_graph_clear (&g);
  }

  /* int8 per-channel constant -> DEQUANTIZE -> float weights */
  {
    int32_t cw_dims[4] = { 2, 1, 1, 3 }, cb_dims[1] = { 2 }, co_dims[4] = { 1, 2, 2, 2 };
    int32_t ci_dims[4] = { 1, 2, 2, 3 };
    int8_t q8[6] = { 1, -2, 3, 4, -5, 127 };
    float scales[2] = { 0.5f, 0.25f }, cbias[2] = { 0, 0 };
    int64_t zps[2] = { 0, 1 };
    int xq, wq, wd, bq, yq;

    m = tb_model_new ();
    xq = tb_tensor (m, "x", TFL_TYPE_FLOAT32, 4, ci_dims);
    wq = tb_const (m, "w_i8", TFL_TYPE_INT8, 4, cw_dims, q8, sizeof q8);
    tb_tensor_quant (m, wq, 2, scales, 2, zps, 0);
    wd = tb_tensor (m, "w", TFL_TYPE_FLOAT32, 4, cw_dims);
    bq = tb_const (m, "b", TFL_TYPE_FLOAT32, 1, cb_dims, cbias, sizeof cbias);
    yq = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 4, co_dims);
    tb_op1 (m, TFL_OP_DEQUANTIZE, wq, wd);
    tb_op3 (m, TFL_OP_CONV_2D, xq, wd, bq, yq);
    tb_io (m, xq, yq);
    if (read_built ("int8 per-channel dequantize folding", m, &g, &c)) {
      const float *v = g.tensors[wd].data;
      CHECK (g.num_nodes == 1 && v && v[0] == 0.5f && v[1] == -1.0f && v[2] == 1.5f
             && v[3] == 0.75f && v[4] == -1.5f && v[5] == 31.5f,
             "int8 folding: scale * (q - zero point) per output channel");
      mn_graph_clear (&g);
    }
  }
}

static void
test_builder_metadata (void)
{
  static const char labels[] = "background\ncat\ndog\n";
  tb_quant q = tb_quant_default (TFL_TYPE_UINT8);
  mn_graph g;
  capture c;
  tb_model *m;

  m = tb_softmax (&q, 3, 1.0f);
  tb_model_metadata (m, 0.0f, 255.0f, "labels.txt", TFL_AF_TENSOR_AXIS_LABELS, labels,
                     strlen (labels), 0);
  if (read_built ("builder metadata", m, &g, &c)) {
    CHECK (g.has_normalization && g.norm_mean == 0.0f && g.norm_std == 255.0f,
           "builder metadata: normalization mean 0 std 255");
    CHECK (g.embedded_labels && g.embedded_labels_size == strlen (labels)
           && memcmp (g.embedded_labels, labels, strlen (labels)) == 0
           && g.embedded_labels[g.embedded_labels_size] == '\0',
           "builder metadata: labels extracted and NUL-terminated");
    mn_graph_clear (&g);
  }

  m = tb_softmax (&q, 3, 1.0f);
  tb_model_metadata (m, 127.5f, 127.5f, "names.txt", 0, labels, strlen (labels), 0);
  tb_model_external_buffers (m, true);
  if (read_built ("untyped .txt labels", m, &g, &c)) {
    CHECK (g.embedded_labels_size == strlen (labels), "untyped .txt labels: found by name");
    mn_graph_clear (&g);
  }

  m = tb_softmax (&q, 3, 1.0f);
  tb_model_metadata (m, 0.0f, 0.0f, "labels.txt", TFL_AF_TENSOR_AXIS_LABELS, labels,
                     strlen (labels), 8);
  if (read_built ("deflated labels", m, &g, &c)) {
    CHECK (g.embedded_labels == NULL && !g.has_normalization,
           "deflated labels: skipped, the model still loads");
    mn_graph_clear (&g);
  }

  /* A metadata-only model without the archive. */
  m = tb_softmax (&q, 3, 1.0f);
  tb_model_metadata (m, 1.0f, 2.0f, "labels.txt", TFL_AF_TENSOR_AXIS_LABELS, NULL, 0, 0);
  if (read_built ("labels named but no archive", m, &g, &c)) {
    CHECK (g.embedded_labels == NULL && g.has_normalization && c.warnings == 1,
           "labels named but no archive: one warning, normalization kept");
    mn_graph_clear (&g);
  }
}

static void
test_names (void)
{
  CHECK (strcmp (mn_op_name (MN_OP_DEPTHWISE_CONV_2D), "DEPTHWISE_CONV_2D") == 0
         && strcmp (mn_op_name (MN_OP_PAD), "PAD") == 0
         && strcmp (mn_op_name (MN_OP_MEAN), "MEAN") == 0, "mn_op_name");
  CHECK (strcmp (mn_activation_name (MN_ACT_RELU6), "RELU6") == 0
         && strcmp (mn_activation_name (MN_ACT_RELU_N1_TO_1), "RELU_N1_TO_1") == 0,
         "mn_activation_name");
  CHECK (strcmp (mn_dtype_str (MN_DTYPE_INT8), "INT8") == 0
         && strcmp (mn_dtype_str (MN_DTYPE_FLOAT16), "FLOAT16") == 0, "mn_dtype_str");
  CHECK (mn_dtype_size (MN_DTYPE_FLOAT32) == 4 && mn_dtype_size (MN_DTYPE_FLOAT16) == 2
         && mn_dtype_size (MN_DTYPE_UINT8) == 1 && mn_dtype_size (MN_DTYPE_INT64) == 8,
         "mn_dtype_size");
  CHECK (strcmp (mn_tflite_op_name (117), "HARD_SWISH") == 0
         && strcmp (mn_tflite_op_name (114), "QUANTIZE") == 0
         && strcmp (mn_tflite_op_name (40), "MEAN") == 0
         && strcmp (mn_tflite_op_name (127), "PLACEHOLDER_FOR_GREATER_OP_CODES") == 0
         && strcmp (mn_tflite_op_name (150), "GELU") == 0 && mn_tflite_op_name (-1) == NULL
         && mn_tflite_op_name (100000) == NULL, "mn_tflite_op_name follows schema.fbs");
  {
    mn_tensor t;
    memset (&t, 0, sizeof t);
    CHECK (mn_tensor_elements (&t) == 1, "a rank 0 tensor has one element");
    t.rank = 3;
    t.dims[0] = 2;
    t.dims[1] = 3;
    t.dims[2] = 4;
    CHECK (mn_tensor_elements (&t) == 24, "mn_tensor_elements");
  }
}

int
main (void)
{
  test_names ();
  test_all_models ();
  test_v2_quant ();
  test_tf2_ptq ();
  test_other_models ();
  test_builder_recipes ();
  test_builder_variants ();
  test_dequantize_folding ();
  test_builder_metadata ();
  return tu_finish ();
}
