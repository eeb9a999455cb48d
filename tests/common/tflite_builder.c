/* tflite_builder.c: write small TFLite models for tests.
 *
 * Two layers: a generic flatbuffer writer that builds a tree of tables,
 * vectors and strings and serialises it parents first (so every uoffset
 * points forward, vtables just before their tables), and the TFLite model
 * description on top of it.
 */
#include "tflite_builder.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Flatbuffer writer */

typedef enum { FN_TABLE, FN_BYTES, FN_REFS, FN_STRING } fn_kind;

typedef struct fnode fnode;

typedef struct {
  int id;
  int size;                 /* scalar size in bytes; 4 for references */
  uint64_t bits;            /* scalar value (little-endian low bytes) */
  fnode *ref;               /* reference field target, or NULL */
} ffield;

struct fnode {
  fn_kind kind;
  ffield *fields;           /* FN_TABLE */
  int num_fields;
  uint8_t *data;            /* FN_BYTES: count * elem_size bytes; FN_STRING */
  size_t count, elem_size, align;
  fnode **refs;             /* FN_REFS */
  fnode *next;              /* every node of a writer, for freeing */
};

typedef struct {
  fnode *all;
  bool oom;
} fwriter;

typedef struct {
  uint8_t *buf;
  size_t len, cap;
  bool oom;
} obuf;

static fnode *
fn_new (fwriter *w, fn_kind kind)
{
  fnode *n = calloc (1, sizeof *n);
  if (n == NULL) {
    w->oom = true;
    return NULL;
  }
  n->kind = kind;
  n->next = w->all;
  w->all = n;
  return n;
}

static void
fw_free (fwriter *w)
{
  fnode *n = w->all, *next;
  for (; n; n = next) {
    next = n->next;
    free (n->fields);
    free (n->data);
    free (n->refs);
    free (n);
  }
  w->all = NULL;
}

static fnode *
fw_table (fwriter *w)
{
  return fn_new (w, FN_TABLE);
}

static void
tf_add (fwriter *w, fnode *t, int id, int size, uint64_t bits, fnode *ref)
{
  ffield *f;
  if (t == NULL)
    return;
  f = realloc (t->fields, sizeof (ffield) * (size_t) (t->num_fields + 1));
  if (f == NULL) {
    w->oom = true;
    return;
  }
  t->fields = f;
  f[t->num_fields].id = id;
  f[t->num_fields].size = size;
  f[t->num_fields].bits = bits;
  f[t->num_fields].ref = ref;
  t->num_fields++;
}

static void
tf_i8 (fwriter *w, fnode *t, int id, int v)
{
  tf_add (w, t, id, 1, (uint8_t) (int8_t) v, NULL);
}

static void
tf_i32 (fwriter *w, fnode *t, int id, int32_t v)
{
  tf_add (w, t, id, 4, (uint32_t) v, NULL);
}

static void
tf_u64 (fwriter *w, fnode *t, int id, uint64_t v)
{
  tf_add (w, t, id, 8, v, NULL);
}

static void
tf_f32 (fwriter *w, fnode *t, int id, float v)
{
  uint32_t bits;
  memcpy (&bits, &v, 4);
  tf_add (w, t, id, 4, bits, NULL);
}

static void
tf_ref (fwriter *w, fnode *t, int id, fnode *ref)
{
  if (ref)
    tf_add (w, t, id, 4, 0, ref);
}

static fnode *
fw_bytes (fwriter *w, const void *data, size_t count, size_t elem_size, size_t align)
{
  fnode *n = fn_new (w, FN_BYTES);
  if (n == NULL)
    return NULL;
  n->count = count;
  n->elem_size = elem_size;
  n->align = align;
  n->data = malloc (count * elem_size + 1);
  if (n->data == NULL) {
    w->oom = true;
    return n;
  }
  if (count)
    memcpy (n->data, data, count * elem_size);
  return n;
}

static fnode *
fw_string (fwriter *w, const char *s)
{
  fnode *n;
  if (s == NULL)
    return NULL;
  n = fw_bytes (w, s, strlen (s), 1, 4);
  if (n)
    n->kind = FN_STRING;
  return n;
}

static fnode *
fw_refs (fwriter *w, fnode **refs, size_t count)
{
  fnode *n = fn_new (w, FN_REFS);
  if (n == NULL)
    return NULL;
  n->count = count;
  n->refs = malloc (sizeof (fnode *) * (count ? count : 1));
  if (n->refs == NULL) {
    w->oom = true;
    return n;
  }
  if (count)
    memcpy (n->refs, refs, sizeof (fnode *) * count);
  return n;
}

static void
ob_reserve (obuf *o, size_t n)
{
  uint8_t *b;
  size_t cap;
  if (o->oom || o->len + n <= o->cap)
    return;
  cap = o->cap ? o->cap : 1024;
  while (cap < o->len + n)
    cap *= 2;
  b = realloc (o->buf, cap);
  if (b == NULL) {
    o->oom = true;
    return;
  }
  o->buf = b;
  o->cap = cap;
}

static void
ob_put (obuf *o, const void *p, size_t n)
{
  ob_reserve (o, n);
  if (o->oom)
    return;
  if (p)
    memcpy (o->buf + o->len, p, n);
  else
    memset (o->buf + o->len, 0, n);
  o->len += n;
}

static void
ob_pad_to (obuf *o, size_t align, size_t extra)
{
  /* Pads until (len + extra) is a multiple of align. */
  while (!o->oom && (o->len + extra) % align != 0)
    ob_put (o, NULL, 1);
}

static void
ob_le (obuf *o, uint64_t v, int size)
{
  uint8_t b[8];
  int i;
  for (i = 0; i < size; i++)
    b[i] = (uint8_t) (v >> (8 * i));
  ob_put (o, b, (size_t) size);
}

static void
ob_patch32 (obuf *o, size_t at, uint32_t v)
{
  if (o->oom)
    return;
  o->buf[at] = (uint8_t) v;
  o->buf[at + 1] = (uint8_t) (v >> 8);
  o->buf[at + 2] = (uint8_t) (v >> 16);
  o->buf[at + 3] = (uint8_t) (v >> 24);
}

static size_t write_node (obuf *o, const fnode *n);

static size_t
write_table (obuf *o, const fnode *t)
{
  int max_id = -1, i, s, k;
  size_t off = 4, align = 4, vt_pos, pos;
  size_t *field_off;
  uint16_t tbl_size, vt_size;

  for (i = 0; i < t->num_fields; i++) {
    if (t->fields[i].id > max_id)
      max_id = t->fields[i].id;
    if ((size_t) t->fields[i].size > align)
      align = (size_t) t->fields[i].size;
  }
  field_off = calloc ((size_t) (t->num_fields + 1), sizeof (size_t));
  if (field_off == NULL) {
    o->oom = true;
    return 0;
  }
  /* Largest fields first, each aligned to its size. */
  for (s = 8; s >= 1; s /= 2) {
    for (i = 0; i < t->num_fields; i++) {
      if (t->fields[i].size != s)
        continue;
      off = (off + (size_t) s - 1) / (size_t) s * (size_t) s;
      field_off[i] = off;
      off += (size_t) s;
    }
  }
  tbl_size = (uint16_t) off;
  vt_size = (uint16_t) (4 + 2 * (max_id + 1));

  ob_pad_to (o, 2, 0);
  vt_pos = o->len;
  ob_le (o, vt_size, 2);
  ob_le (o, tbl_size, 2);
  for (k = 0; k <= max_id; k++) {
    uint16_t v = 0;
    for (i = 0; i < t->num_fields; i++)
      if (t->fields[i].id == k)
        v = (uint16_t) field_off[i];
    ob_le (o, v, 2);
  }
  ob_pad_to (o, align, 0);
  pos = o->len;
  ob_le (o, (uint32_t) (pos - vt_pos), 4);
  ob_put (o, NULL, off - 4);
  if (o->oom) {
    free (field_off);
    return 0;
  }
  for (i = 0; i < t->num_fields; i++) {
    if (t->fields[i].ref == NULL) {
      int b;
      for (b = 0; b < t->fields[i].size; b++)
        o->buf[pos + field_off[i] + (size_t) b] = (uint8_t) (t->fields[i].bits >> (8 * b));
    }
  }
  for (i = 0; i < t->num_fields; i++) {
    if (t->fields[i].ref) {
      size_t slot = pos + field_off[i];
      size_t child = write_node (o, t->fields[i].ref);
      ob_patch32 (o, slot, (uint32_t) (child - slot));
    }
  }
  free (field_off);
  return pos;
}

static size_t
write_node (obuf *o, const fnode *n)
{
  size_t pos, i, al;

  switch (n->kind) {
    case FN_TABLE:
      return write_table (o, n);
    case FN_BYTES:
      al = n->align > n->elem_size ? n->align : n->elem_size;
      if (al < 4)
        al = 4;
      ob_pad_to (o, al, 4);
      pos = o->len;
      ob_le (o, n->count, 4);
      ob_put (o, n->data, n->count * n->elem_size);
      return pos;
    case FN_STRING:
      ob_pad_to (o, 4, 0);
      pos = o->len;
      ob_le (o, n->count, 4);
      ob_put (o, n->data, n->count);
      ob_put (o, NULL, 1);
      return pos;
    case FN_REFS:
      ob_pad_to (o, 4, 0);
      pos = o->len;
      ob_le (o, n->count, 4);
      ob_put (o, NULL, 4 * n->count);
      for (i = 0; i < n->count; i++) {
        size_t slot = pos + 4 + 4 * i;
        size_t child = write_node (o, n->refs[i]);
        ob_patch32 (o, slot, (uint32_t) (child - slot));
      }
      return pos;
  }
  return 0;
}

/* Serialises a tree under root with a 4-byte identifier. */
static void
fw_finish (obuf *o, const fnode *root, const char ident[4])
{
  size_t pos;
  ob_put (o, NULL, 4);
  ob_put (o, ident, 4);
  pos = write_node (o, root);
  ob_patch32 (o, 0, (uint32_t) pos);
}

/* ------------------------------------------------------------------------ */
/* The model description */

typedef struct {
  char *name;
  int type;
  int rank;
  int32_t dims[TB_MAX_RANK];
  int num_scales;
  float *scales;
  int num_zero_points;
  int64_t *zero_points;
  int quant_dim;
  bool quant_empty;
  uint8_t *data;
  size_t nbytes;
  bool has_data;
  bool buffer_override;
  uint32_t buffer_index;
} tb_tensor_desc;

typedef struct {
  int32_t code;
  char *custom;
  int num_inputs, num_outputs;
  int32_t inputs[TB_MAX_OP_TENSORS];
  int32_t outputs[TB_MAX_OP_TENSORS];
  tb_options opt;
} tb_op_desc;

struct tb_model {
  tb_tensor_desc *tensors;
  int num_tensors;
  tb_op_desc *ops;
  int num_ops;
  int num_inputs, num_outputs;
  int32_t inputs[TB_MAX_OP_TENSORS];
  int32_t outputs[TB_MAX_OP_TENSORS];
  uint32_t version;
  int subgraph_copies;
  int opcode_style;
  bool external;
  /* metadata */
  bool has_metadata;
  float mean, std;
  char *labels_name;
  int labels_type;
  uint8_t *labels;
  size_t labels_size;
  int zip_method;
};

tb_model *
tb_model_new (void)
{
  tb_model *m = calloc (1, sizeof *m);
  if (m) {
    m->version = 3;
    m->subgraph_copies = 1;
  }
  return m;
}

void
tb_model_free (tb_model *m)
{
  int i;
  if (m == NULL)
    return;
  for (i = 0; i < m->num_tensors; i++) {
    free (m->tensors[i].name);
    free (m->tensors[i].scales);
    free (m->tensors[i].zero_points);
    free (m->tensors[i].data);
  }
  for (i = 0; i < m->num_ops; i++)
    free (m->ops[i].custom);
  free (m->tensors);
  free (m->ops);
  free (m->labels_name);
  free (m->labels);
  free (m);
}

static char *
dup_str (const char *s)
{
  size_t n;
  char *d;
  if (s == NULL)
    return NULL;
  n = strlen (s);
  d = malloc (n + 1);
  if (d)
    memcpy (d, s, n + 1);
  return d;
}

int
tb_tensor (tb_model *m, const char *name, int tfl_type, int rank, const int32_t *dims)
{
  tb_tensor_desc *t;
  int i;

  t = realloc (m->tensors, sizeof (*t) * (size_t) (m->num_tensors + 1));
  if (t == NULL)
    abort ();                   /* test code: out of memory is fatal */
  m->tensors = t;
  t = &m->tensors[m->num_tensors];
  memset (t, 0, sizeof *t);
  t->name = dup_str (name ? name : "");
  t->type = tfl_type;
  t->rank = rank > TB_MAX_RANK ? TB_MAX_RANK : rank;
  for (i = 0; i < t->rank; i++)
    t->dims[i] = dims[i];
  return m->num_tensors++;
}

/* Test code: a wrong index is a bug in the test, so stop loudly. */
static tb_tensor_desc *
tensor_at (tb_model *m, int ti)
{
  if (ti < 0 || ti >= m->num_tensors) {
    fprintf (stderr, "tflite_builder: tensor %d does not exist (%d tensors)\n", ti,
             m->num_tensors);
    abort ();
  }
  return &m->tensors[ti];
}

static tb_op_desc *
op_at (tb_model *m, int op)
{
  if (op < 0 || op >= m->num_ops) {
    fprintf (stderr, "tflite_builder: operator %d does not exist (%d operators)\n", op,
             m->num_ops);
    abort ();
  }
  return &m->ops[op];
}

void
tb_tensor_quant (tb_model *m, int ti, int n, const float *scales, int nz,
                 const int64_t *zero_points, int quant_dim)
{
  tb_tensor_desc *t = tensor_at (m, ti);
  free (t->scales);
  free (t->zero_points);
  t->scales = malloc (sizeof (float) * (size_t) (n > 0 ? n : 1));
  t->zero_points = malloc (sizeof (int64_t) * (size_t) (nz > 0 ? nz : 1));
  if (t->scales == NULL || t->zero_points == NULL)
    abort ();
  if (n > 0)
    memcpy (t->scales, scales, sizeof (float) * (size_t) n);
  if (nz > 0)
    memcpy (t->zero_points, zero_points, sizeof (int64_t) * (size_t) nz);
  t->num_scales = n;
  t->num_zero_points = nz;
  t->quant_dim = quant_dim;
  t->quant_empty = false;
}

void
tb_tensor_quant1 (tb_model *m, int t, float scale, int64_t zero_point)
{
  tb_tensor_quant (m, t, 1, &scale, 1, &zero_point, 0);
}

void
tb_tensor_quant_empty (tb_model *m, int ti)
{
  tb_tensor_quant (m, ti, 0, NULL, 0, NULL, 0);
  tensor_at (m, ti)->quant_empty = true;
}

void
tb_tensor_data (tb_model *m, int ti, const void *data, size_t nbytes)
{
  tb_tensor_desc *t = tensor_at (m, ti);
  free (t->data);
  t->data = malloc (nbytes ? nbytes : 1);
  if (t->data == NULL)
    abort ();
  if (nbytes)
    memcpy (t->data, data, nbytes);
  t->nbytes = nbytes;
  t->has_data = true;
}

void
tb_tensor_buffer_index (tb_model *m, int t, uint32_t index)
{
  tensor_at (m, t)->buffer_override = true;
  tensor_at (m, t)->buffer_index = index;
}

int
tb_const (tb_model *m, const char *name, int tfl_type, int rank, const int32_t *dims,
          const void *data, size_t nbytes)
{
  int t = tb_tensor (m, name, tfl_type, rank, dims);
  tb_tensor_data (m, t, data, nbytes);
  return t;
}

static void
default_options (int32_t code, tb_options *o)
{
  memset (o, 0, sizeof *o);
  o->stride_w = o->stride_h = 1;
  o->dilation_w = o->dilation_h = 1;
  o->filter_w = o->filter_h = 1;
  o->depth_multiplier = 1;
  o->beta = 1.0f;
  o->padding = TFL_PADDING_SAME;
  o->activation = TFL_ACT_NONE;
  switch (code) {
    case TFL_OP_CONV_2D: o->options_type = TFL_OPT_CONV_2D; break;
    case TFL_OP_DEPTHWISE_CONV_2D: o->options_type = TFL_OPT_DEPTHWISE_CONV_2D; break;
    case TFL_OP_AVERAGE_POOL_2D:
    case TFL_OP_MAX_POOL_2D: o->options_type = TFL_OPT_POOL_2D; break;
    case TFL_OP_FULLY_CONNECTED: o->options_type = TFL_OPT_FULLY_CONNECTED; break;
    case TFL_OP_SOFTMAX: o->options_type = TFL_OPT_SOFTMAX; break;
    case TFL_OP_ADD: o->options_type = TFL_OPT_ADD; break;
    case TFL_OP_MEAN: o->options_type = TFL_OPT_REDUCER; break;
    case TFL_OP_SQUEEZE: o->options_type = TFL_OPT_SQUEEZE; break;
    case TFL_OP_PAD: o->options_type = TFL_OPT_PAD; break;
    case TFL_OP_DEQUANTIZE: o->options_type = TFL_OPT_DEQUANTIZE; break;
    case TFL_OP_HARD_SWISH: o->options_type = TFL_OPT_HARD_SWISH; break;
    default: o->options_type = TFL_OPT_NONE; break;   /* RESHAPE, QUANTIZE: as TF writes them */
  }
}

int
tb_op (tb_model *m, int32_t builtin_code, int num_inputs, const int32_t *inputs,
       int num_outputs, const int32_t *outputs)
{
  tb_op_desc *o;
  int i;

  o = realloc (m->ops, sizeof (*o) * (size_t) (m->num_ops + 1));
  if (o == NULL)
    abort ();
  m->ops = o;
  o = &m->ops[m->num_ops];
  memset (o, 0, sizeof *o);
  o->code = builtin_code;
  o->num_inputs = num_inputs > TB_MAX_OP_TENSORS ? TB_MAX_OP_TENSORS : num_inputs;
  o->num_outputs = num_outputs > TB_MAX_OP_TENSORS ? TB_MAX_OP_TENSORS : num_outputs;
  for (i = 0; i < o->num_inputs; i++)
    o->inputs[i] = inputs[i];
  for (i = 0; i < o->num_outputs; i++)
    o->outputs[i] = outputs[i];
  default_options (builtin_code, &o->opt);
  return m->num_ops++;
}

int
tb_op1 (tb_model *m, int32_t code, int input, int output)
{
  int32_t in[1] = { input }, out[1] = { output };
  return tb_op (m, code, 1, in, 1, out);
}

int
tb_op2 (tb_model *m, int32_t code, int input0, int input1, int output)
{
  int32_t in[2] = { input0, input1 }, out[1] = { output };
  return tb_op (m, code, 2, in, 1, out);
}

int
tb_op3 (tb_model *m, int32_t code, int input0, int input1, int input2, int output)
{
  int32_t in[3] = { input0, input1, input2 }, out[1] = { output };
  return tb_op (m, code, 3, in, 1, out);
}

tb_options *
tb_op_options (tb_model *m, int op)
{
  return &op_at (m, op)->opt;
}

void
tb_op_custom (tb_model *m, int op, const char *custom_code)
{
  tb_op_desc *o = op_at (m, op);
  free (o->custom);
  o->custom = dup_str (custom_code);
  o->code = TFL_OP_CUSTOM;
  o->opt.options_type = TFL_OPT_NONE;
}

void
tb_io (tb_model *m, int input, int output)
{
  int32_t in[1] = { input }, out[1] = { output };
  tb_io_list (m, 1, in, 1, out);
}

void
tb_io_list (tb_model *m, int num_inputs, const int32_t *inputs, int num_outputs,
            const int32_t *outputs)
{
  int i;
  m->num_inputs = num_inputs > TB_MAX_OP_TENSORS ? TB_MAX_OP_TENSORS : num_inputs;
  m->num_outputs = num_outputs > TB_MAX_OP_TENSORS ? TB_MAX_OP_TENSORS : num_outputs;
  for (i = 0; i < m->num_inputs; i++)
    m->inputs[i] = inputs[i];
  for (i = 0; i < m->num_outputs; i++)
    m->outputs[i] = outputs[i];
}

void
tb_model_version (tb_model *m, uint32_t version)
{
  m->version = version;
}

void
tb_model_subgraph_copies (tb_model *m, int n)
{
  m->subgraph_copies = n < 0 ? 0 : n;
}

void
tb_model_opcode_style (tb_model *m, int style)
{
  m->opcode_style = style;
}

void
tb_model_external_buffers (tb_model *m, bool external)
{
  m->external = external;
}

void
tb_model_metadata (tb_model *m, float mean, float std, const char *labels_name,
                   int labels_type, const void *labels, size_t labels_size, int zip_method)
{
  m->has_metadata = true;
  m->mean = mean;
  m->std = std;
  free (m->labels_name);
  free (m->labels);
  m->labels_name = dup_str (labels_name);
  m->labels_type = labels_type;
  m->labels = NULL;
  m->labels_size = 0;
  if (labels_name && labels) {
    m->labels = malloc (labels_size ? labels_size : 1);
    if (m->labels == NULL)
      abort ();
    memcpy (m->labels, labels, labels_size);
    m->labels_size = labels_size;
  }
  m->zip_method = zip_method;
}

/* ------------------------------------------------------------------------ */
/* Serialisation */

static fnode *
build_options (fwriter *w, const tb_options *o)
{
  fnode *t = fw_table (w);

  switch (o->options_type) {
    case TFL_OPT_CONV_2D:
      tf_i8 (w, t, 0, o->padding);
      tf_i32 (w, t, 1, o->stride_w);
      tf_i32 (w, t, 2, o->stride_h);
      tf_i8 (w, t, 3, o->activation);
      tf_i32 (w, t, 4, o->dilation_w);
      tf_i32 (w, t, 5, o->dilation_h);
      break;
    case TFL_OPT_DEPTHWISE_CONV_2D:
      tf_i8 (w, t, 0, o->padding);
      tf_i32 (w, t, 1, o->stride_w);
      tf_i32 (w, t, 2, o->stride_h);
      tf_i32 (w, t, 3, o->depth_multiplier);
      tf_i8 (w, t, 4, o->activation);
      tf_i32 (w, t, 5, o->dilation_w);
      tf_i32 (w, t, 6, o->dilation_h);
      break;
    case TFL_OPT_POOL_2D:
      tf_i8 (w, t, 0, o->padding);
      tf_i32 (w, t, 1, o->stride_w);
      tf_i32 (w, t, 2, o->stride_h);
      tf_i32 (w, t, 3, o->filter_w);
      tf_i32 (w, t, 4, o->filter_h);
      tf_i8 (w, t, 5, o->activation);
      break;
    case TFL_OPT_FULLY_CONNECTED:
      tf_i8 (w, t, 0, o->activation);
      tf_i8 (w, t, 1, o->weights_format);
      tf_i8 (w, t, 2, o->keep_dims);
      break;
    case TFL_OPT_SOFTMAX:
      tf_f32 (w, t, 0, o->beta);
      break;
    case TFL_OPT_ADD:
      tf_i8 (w, t, 0, o->activation);
      break;
    case TFL_OPT_REDUCER:
      tf_i8 (w, t, 0, o->keep_dims);
      break;
    case TFL_OPT_RESHAPE:
      if (o->num_new_shape > 0)
        tf_ref (w, t, 0, fw_bytes (w, o->new_shape, (size_t) o->num_new_shape, 4, 4));
      break;
    case TFL_OPT_SQUEEZE:
      if (o->num_squeeze_dims > 0)
        tf_ref (w, t, 0, fw_bytes (w, o->squeeze_dims, (size_t) o->num_squeeze_dims, 4, 4));
      break;
    default:
      break;
  }
  return t;
}

static uint32_t
crc32_of (const uint8_t *p, size_t n)
{
  uint32_t crc = 0xffffffffu;
  size_t i;
  int k;
  for (i = 0; i < n; i++) {
    crc ^= p[i];
    for (k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static fnode *
build_metadata_buffer (fwriter *w, const tb_model *m)
{
  fwriter mw = { 0 };
  obuf mo = { 0 };
  fnode *root, *sub, *in, *out, *subs, *ins, *outs, *n;
  fnode *result = NULL;

  root = fw_table (&mw);
  tf_ref (&mw, root, TFL_MM_NAME, fw_string (&mw, "tflite_builder model"));
  tf_ref (&mw, root, TFL_MM_MIN_PARSER_VERSION, fw_string (&mw, "1.0.0"));
  sub = fw_table (&mw);
  in = fw_table (&mw);
  tf_ref (&mw, in, TFL_TM_NAME, fw_string (&mw, "image"));
  if (m->std != 0.0f) {
    fnode *unit = fw_table (&mw), *norm = fw_table (&mw);
    tf_ref (&mw, norm, TFL_NORM_MEAN, fw_bytes (&mw, &m->mean, 1, 4, 4));
    tf_ref (&mw, norm, TFL_NORM_STD, fw_bytes (&mw, &m->std, 1, 4, 4));
    tf_i8 (&mw, unit, TFL_PU_OPTIONS_TYPE, TFL_PU_NORMALIZATION);
    tf_ref (&mw, unit, TFL_PU_OPTIONS, norm);
    tf_ref (&mw, in, TFL_TM_PROCESS_UNITS, fw_refs (&mw, &unit, 1));
  }
  out = fw_table (&mw);
  tf_ref (&mw, out, TFL_TM_NAME, fw_string (&mw, "probability"));
  if (m->labels_name) {
    fnode *af = fw_table (&mw);
    tf_ref (&mw, af, TFL_AF_NAME, fw_string (&mw, m->labels_name));
    tf_ref (&mw, af, TFL_AF_DESCRIPTION, fw_string (&mw, "labels"));
    if (m->labels_type != 0)
      tf_i8 (&mw, af, TFL_AF_TYPE, m->labels_type);
    tf_ref (&mw, out, TFL_TM_ASSOCIATED_FILES, fw_refs (&mw, &af, 1));
  }
  ins = fw_refs (&mw, &in, 1);
  outs = fw_refs (&mw, &out, 1);
  tf_ref (&mw, sub, TFL_SGM_INPUT_TENSOR_METADATA, ins);
  tf_ref (&mw, sub, TFL_SGM_OUTPUT_TENSOR_METADATA, outs);
  subs = fw_refs (&mw, &sub, 1);
  tf_ref (&mw, root, TFL_MM_SUBGRAPH_METADATA, subs);
  if (!mw.oom)
    fw_finish (&mo, root, "M001");
  if (!mw.oom && !mo.oom) {
    n = fw_table (w);
    tf_ref (w, n, TFL_BUFFER_DATA, fw_bytes (w, mo.buf, mo.len, 1, 16));
    result = n;
  } else {
    w->oom = true;
  }
  free (mo.buf);
  fw_free (&mw);
  return result;
}

/* Builds the model tree; ext_base is where external data starts in the
 * file (0 on a sizing pass). */
static fnode *
build_model (fwriter *w, const tb_model *m, size_t ext_base, size_t *ext_size)
{
  fnode *model, *sub, **opcodes, **tensors, **ops, **buffers, **subs;
  int32_t *codes;
  char **customs;
  int num_codes = 0, num_buffers = 1, metadata_buffer = -1, i, j;
  size_t ext = 0;
  int *tensor_buffer;

  opcodes = calloc ((size_t) m->num_ops + 1, sizeof (fnode *));
  codes = calloc ((size_t) m->num_ops + 1, sizeof (int32_t));
  customs = calloc ((size_t) m->num_ops + 1, sizeof (char *));
  tensors = calloc ((size_t) m->num_tensors + 1, sizeof (fnode *));
  ops = calloc ((size_t) m->num_ops + 1, sizeof (fnode *));
  buffers = calloc ((size_t) m->num_tensors + 2, sizeof (fnode *));
  tensor_buffer = calloc ((size_t) m->num_tensors + 1, sizeof (int));
  subs = calloc ((size_t) m->subgraph_copies + 1, sizeof (fnode *));
  if (!opcodes || !codes || !customs || !tensors || !ops || !buffers || !tensor_buffer || !subs)
    abort ();

  model = fw_table (w);
  tf_add (w, model, TFL_MODEL_VERSION, 4, m->version, NULL);
  tf_ref (w, model, TFL_MODEL_DESCRIPTION, fw_string (w, "tflite_builder"));

  /* Buffers: 0 is the empty sentinel, then one per constant tensor. */
  buffers[0] = fw_table (w);
  for (i = 0; i < m->num_tensors; i++) {
    const tb_tensor_desc *t = &m->tensors[i];
    fnode *b;
    if (!t->has_data)
      continue;
    b = fw_table (w);
    if (m->external) {
      ext = (ext + 15) & ~(size_t) 15;
      tf_u64 (w, b, TFL_BUFFER_OFFSET, ext_base + ext);
      tf_u64 (w, b, TFL_BUFFER_SIZE, t->nbytes);
      ext += t->nbytes;
    } else {
      tf_ref (w, b, TFL_BUFFER_DATA, fw_bytes (w, t->data, t->nbytes, 1, 16));
    }
    tensor_buffer[i] = num_buffers;
    buffers[num_buffers++] = b;
  }
  *ext_size = ext;
  if (m->has_metadata) {
    buffers[num_buffers] = build_metadata_buffer (w, m);
    if (buffers[num_buffers]) {
      fnode *entry = fw_table (w);
      metadata_buffer = num_buffers++;
      tf_ref (w, entry, TFL_METADATA_NAME, fw_string (w, "TFLITE_METADATA"));
      tf_add (w, entry, TFL_METADATA_BUFFER, 4, (uint32_t) metadata_buffer, NULL);
      tf_ref (w, model, TFL_MODEL_METADATA, fw_refs (w, &entry, 1));
    }
  }
  tf_ref (w, model, TFL_MODEL_BUFFERS, fw_refs (w, buffers, (size_t) num_buffers));

  for (i = 0; i < m->num_tensors; i++) {
    const tb_tensor_desc *t = &m->tensors[i];
    fnode *tn = fw_table (w);
    if (t->rank >= 0)
      tf_ref (w, tn, TFL_TENSOR_SHAPE, fw_bytes (w, t->dims, (size_t) t->rank, 4, 4));
    tf_i8 (w, tn, TFL_TENSOR_TYPE, t->type);
    tf_add (w, tn, TFL_TENSOR_BUFFER, 4,
            t->buffer_override ? t->buffer_index : (uint32_t) tensor_buffer[i], NULL);
    tf_ref (w, tn, TFL_TENSOR_NAME, fw_string (w, t->name));
    if (t->num_scales > 0 || t->quant_empty) {
      fnode *q = fw_table (w);
      if (t->num_scales > 0)
        tf_ref (w, q, TFL_QUANT_SCALE, fw_bytes (w, t->scales, (size_t) t->num_scales, 4, 4));
      else
        tf_ref (w, q, TFL_QUANT_SCALE, fw_bytes (w, NULL, 0, 4, 4));
      tf_ref (w, q, TFL_QUANT_ZERO_POINT,
              fw_bytes (w, t->zero_points, (size_t) t->num_zero_points, 8, 8));
      tf_i32 (w, q, TFL_QUANT_QUANTIZED_DIMENSION, t->quant_dim);
      tf_ref (w, tn, TFL_TENSOR_QUANTIZATION, q);
    }
    tensors[i] = tn;
  }

  for (i = 0; i < m->num_ops; i++) {
    const tb_op_desc *o = &m->ops[i];
    fnode *on = fw_table (w);
    int index = -1;
    for (j = 0; j < num_codes; j++) {
      bool same_custom = (customs[j] == NULL && o->custom == NULL)
          || (customs[j] && o->custom && strcmp (customs[j], o->custom) == 0);
      if (codes[j] == o->code && same_custom)
        index = j;
    }
    if (index < 0) {
      fnode *c = fw_table (w);
      int32_t dep = o->code > 127 ? 127 : o->code;
      index = num_codes++;
      codes[index] = o->code;
      customs[index] = o->custom;
      if (m->opcode_style != 2)
        tf_i8 (w, c, TFL_OPCODE_DEPRECATED_BUILTIN_CODE, dep);
      if (m->opcode_style != 1)
        tf_i32 (w, c, TFL_OPCODE_BUILTIN_CODE, o->code);
      tf_i32 (w, c, TFL_OPCODE_VERSION, 1);
      if (o->custom)
        tf_ref (w, c, TFL_OPCODE_CUSTOM_CODE, fw_string (w, o->custom));
      opcodes[index] = c;
    }
    tf_add (w, on, TFL_OPERATOR_OPCODE_INDEX, 4, (uint32_t) index, NULL);
    tf_ref (w, on, TFL_OPERATOR_INPUTS, fw_bytes (w, o->inputs, (size_t) o->num_inputs, 4, 4));
    tf_ref (w, on, TFL_OPERATOR_OUTPUTS, fw_bytes (w, o->outputs, (size_t) o->num_outputs, 4, 4));
    if (o->opt.options_type != TFL_OPT_NONE) {
      tf_i8 (w, on, TFL_OPERATOR_BUILTIN_OPTIONS_TYPE, o->opt.options_type);
      tf_ref (w, on, TFL_OPERATOR_BUILTIN_OPTIONS, build_options (w, &o->opt));
    }
    ops[i] = on;
  }
  tf_ref (w, model, TFL_MODEL_OPERATOR_CODES, fw_refs (w, opcodes, (size_t) num_codes));

  sub = fw_table (w);
  tf_ref (w, sub, TFL_SUBGRAPH_TENSORS, fw_refs (w, tensors, (size_t) m->num_tensors));
  tf_ref (w, sub, TFL_SUBGRAPH_INPUTS, fw_bytes (w, m->inputs, (size_t) m->num_inputs, 4, 4));
  tf_ref (w, sub, TFL_SUBGRAPH_OUTPUTS, fw_bytes (w, m->outputs, (size_t) m->num_outputs, 4, 4));
  tf_ref (w, sub, TFL_SUBGRAPH_OPERATORS, fw_refs (w, ops, (size_t) m->num_ops));
  tf_ref (w, sub, TFL_SUBGRAPH_NAME, fw_string (w, "main"));
  for (i = 0; i < m->subgraph_copies; i++)
    subs[i] = sub;
  tf_ref (w, model, TFL_MODEL_SUBGRAPHS, fw_refs (w, subs, (size_t) m->subgraph_copies));

  free (opcodes);
  free (codes);
  free (customs);
  free (tensors);
  free (ops);
  free (buffers);
  free (tensor_buffer);
  free (subs);
  return model;
}

static void
append_zip (obuf *o, const tb_model *m)
{
  size_t name_len = strlen (m->labels_name);
  size_t local = o->len, cd, eocd;
  uint32_t crc = crc32_of (m->labels, m->labels_size);

  /* local file header */
  ob_le (o, 0x04034b50u, 4);
  ob_le (o, 20, 2);                      /* version needed */
  ob_le (o, 0, 2);                       /* flags */
  ob_le (o, (uint64_t) m->zip_method, 2);
  ob_le (o, 0, 2);                       /* time */
  ob_le (o, 0x5221, 2);                  /* date */
  ob_le (o, crc, 4);
  ob_le (o, m->labels_size, 4);
  ob_le (o, m->labels_size, 4);
  ob_le (o, name_len, 2);
  ob_le (o, 0, 2);
  ob_put (o, m->labels_name, name_len);
  ob_put (o, m->labels, m->labels_size);
  /* central directory */
  cd = o->len;
  ob_le (o, 0x02014b50u, 4);
  ob_le (o, 20, 2);                      /* version made by */
  ob_le (o, 20, 2);
  ob_le (o, 0, 2);
  ob_le (o, (uint64_t) m->zip_method, 2);
  ob_le (o, 0, 2);
  ob_le (o, 0x5221, 2);
  ob_le (o, crc, 4);
  ob_le (o, m->labels_size, 4);
  ob_le (o, m->labels_size, 4);
  ob_le (o, name_len, 2);
  ob_le (o, 0, 2);                       /* extra */
  ob_le (o, 0, 2);                       /* comment */
  ob_le (o, 0, 2);                       /* disk */
  ob_le (o, 0, 2);                       /* internal attributes */
  ob_le (o, 0, 4);                       /* external attributes */
  ob_le (o, local, 4);
  ob_put (o, m->labels_name, name_len);
  /* end of central directory */
  eocd = o->len;
  ob_le (o, 0x06054b50u, 4);
  ob_le (o, 0, 2);
  ob_le (o, 0, 2);
  ob_le (o, 1, 2);
  ob_le (o, 1, 2);
  ob_le (o, eocd - cd, 4);               /* the directory's size */
  ob_le (o, cd, 4);
  ob_le (o, 0, 2);
}

uint8_t *
tb_model_finish (tb_model *m, size_t *size)
{
  fwriter w = { 0 };
  obuf o = { 0 };
  fnode *root;
  size_t ext_size = 0, base = 0, pos;
  int i;

  *size = 0;
  if (m->external) {
    /* A sizing pass: the layout does not depend on the offsets' values. */
    root = build_model (&w, m, 0, &ext_size);
    if (!w.oom)
      fw_finish (&o, root, "TFL3");
    base = (o.len + 15) & ~(size_t) 15;
    free (o.buf);
    memset (&o, 0, sizeof o);
    fw_free (&w);
    w.oom = false;
  }
  root = build_model (&w, m, base, &ext_size);
  if (!w.oom)
    fw_finish (&o, root, "TFL3");
  fw_free (&w);
  if (m->external) {
    pos = 0;
    ob_pad_to (&o, 16, 0);
    for (i = 0; i < m->num_tensors; i++) {
      const tb_tensor_desc *t = &m->tensors[i];
      if (!t->has_data)
        continue;
      while (!o.oom && o.len < base + ((pos + 15) & ~(size_t) 15))
        ob_put (&o, NULL, 1);
      pos = ((pos + 15) & ~(size_t) 15) + t->nbytes;
      ob_put (&o, t->data, t->nbytes);
    }
  }
  if (m->has_metadata && m->labels_name && m->labels)
    append_zip (&o, m);
  if (w.oom || o.oom) {
    free (o.buf);
    return NULL;
  }
  *size = o.len;
  return o.buf;
}

/* ------------------------------------------------------------------------ */
/* Recipes */

static uint32_t
rng_next (uint32_t *s)
{
  if (!*s) /* a seed of 0 would stay 0 */
    *s = 0x9e3779b9u;
  return tu_xorshift32 (s);
}

static float
rng_unit (uint32_t *s)
{
  return (float) (rng_next (s) >> 8) / 16777216.0f * 2.0f - 1.0f;   /* [-1, 1) */
}

int
tb_conv_out_size (int in, int k, int stride, int padding)
{
  if (stride < 1)
    stride = 1;
  if (padding == TFL_PADDING_SAME)
    return (in + stride - 1) / stride;
  return in >= k ? (in - k) / stride + 1 : 0;
}

tb_quant
tb_quant_default (int type)
{
  tb_quant q;
  memset (&q, 0, sizeof q);
  q.type = type;
  q.in_scale = 1.0f / 128.0f;
  q.out_scale = 1.0f / 16.0f;
  if (type == TFL_TYPE_UINT8) {
    q.in_zero_point = 128;
    q.out_zero_point = 128;
  }
  q.seed = 12345;
  return q;
}

static bool
is_quant (const tb_quant *q)
{
  return q->type == TFL_TYPE_UINT8 || q->type == TFL_TYPE_INT8;
}

static int
act_tensor (tb_model *m, const tb_quant *q, const char *name, int rank, const int32_t *dims,
            float scale, int32_t zp)
{
  int t = tb_tensor (m, name, q->type, rank, dims);
  if (is_quant (q))
    tb_tensor_quant1 (m, t, scale, zp);
  return t;
}

/* Weights [dims] with out channels along qdim, plus a bias of cout. */
static void
make_weights (tb_model *m, const tb_quant *q, uint32_t *s, int rank, const int32_t *dims,
              int qdim, int *wt, int *bt)
{
  size_t n = 1, i;
  int cout = dims[qdim], k;
  int32_t bdims[1];
  float *scales = malloc (sizeof (float) * (size_t) cout);
  int64_t *zps = calloc ((size_t) cout, sizeof (int64_t));

  if (scales == NULL || zps == NULL)
    abort ();
  bdims[0] = cout;
  for (k = 0; k < rank; k++)
    n *= (size_t) dims[k];

  if (!is_quant (q)) {
    float *w = malloc (sizeof (float) * n), *b = malloc (sizeof (float) * (size_t) cout);
    if (w == NULL || b == NULL)
      abort ();
    for (i = 0; i < n; i++)
      w[i] = 0.5f * rng_unit (s);
    for (k = 0; k < cout; k++)
      b[k] = 0.1f * rng_unit (s);
    *wt = tb_const (m, "weights", TFL_TYPE_FLOAT32, rank, dims, w, n * 4);
    *bt = tb_const (m, "bias", TFL_TYPE_FLOAT32, 1, bdims, b, (size_t) cout * 4);
    free (w);
    free (b);
  } else {
    uint8_t *w = calloc (n, 1);
    int32_t *b = calloc ((size_t) cout, sizeof (int32_t));
    float *bscales = malloc (sizeof (float) * (size_t) cout);
    int nscales = (q->type == TFL_TYPE_INT8 && q->per_channel) ? cout : 1;
    if (w == NULL || b == NULL || bscales == NULL)
      abort ();
    for (k = 0; k < nscales; k++)
      scales[k] = 0.005f + 0.02f * (float) (rng_next (s) % 1000) / 1000.0f;
    if (q->type == TFL_TYPE_UINT8)
      zps[0] = 100 + (int64_t) (rng_next (s) % 100);     /* asymmetric, as in TF1 models */
    for (i = 0; i < n; i++) {
      if (q->type == TFL_TYPE_UINT8)
        w[i] = (uint8_t) (rng_next (s) & 0xff);
      else
        w[i] = (uint8_t) (int8_t) ((int) (rng_next (s) % 255) - 127);
    }
    for (k = 0; k < cout; k++) {
      bscales[k] = q->in_scale * scales[nscales > 1 ? k : 0];
      b[k] = (int32_t) (rng_next (s) % 2001) - 1000;
    }
    *wt = tb_const (m, "weights", q->type, rank, dims, w, n);
    tb_tensor_quant (m, *wt, nscales, scales, nscales, zps, nscales > 1 ? qdim : 0);
    *bt = tb_const (m, "bias", TFL_TYPE_INT32, 1, bdims, b, (size_t) cout * 4);
    {
      int64_t *bz = calloc ((size_t) nscales, sizeof (int64_t));
      if (bz == NULL)
        abort ();
      tb_tensor_quant (m, *bt, nscales, bscales, nscales, bz, 0);
      free (bz);
    }
    free (w);
    free (b);
    free (bscales);
  }
  free (scales);
  free (zps);
}

/* A convolution's (or a depthwise one's) options on op. */
static void
conv_options (tb_model *m, int op, int stride, int padding, int activation)
{
  tb_options *o = tb_op_options (m, op);
  o->stride_w = o->stride_h = stride;
  o->padding = padding;
  o->activation = activation;
}

tb_model *
tb_conv2d (const tb_quant *q, int h, int w, int cin, int cout, int kh, int kw, int stride,
           int padding, int activation)
{
  tb_model *m = tb_model_new ();
  uint32_t s = q->seed;
  int32_t in_dims[4] = { 1, h, w, cin };
  int32_t w_dims[4] = { cout, kh, kw, cin };
  int32_t out_dims[4] = { 1, tb_conv_out_size (h, kh, stride, padding),
                          tb_conv_out_size (w, kw, stride, padding), cout };
  int x, y, wt, bt, op;

  x = act_tensor (m, q, "input", 4, in_dims, q->in_scale, q->in_zero_point);
  make_weights (m, q, &s, 4, w_dims, 0, &wt, &bt);
  y = act_tensor (m, q, "output", 4, out_dims, q->out_scale, q->out_zero_point);
  op = tb_op3 (m, TFL_OP_CONV_2D, x, wt, bt, y);
  conv_options (m, op, stride, padding, activation);
  tb_io (m, x, y);
  return m;
}

tb_model *
tb_depthwise (const tb_quant *q, int h, int w, int c, int kh, int kw, int stride, int padding,
              int activation)
{
  tb_model *m = tb_model_new ();
  uint32_t s = q->seed;
  int32_t in_dims[4] = { 1, h, w, c };
  int32_t w_dims[4] = { 1, kh, kw, c };
  int32_t out_dims[4] = { 1, tb_conv_out_size (h, kh, stride, padding),
                          tb_conv_out_size (w, kw, stride, padding), c };
  int x, y, wt, bt, op;

  x = act_tensor (m, q, "input", 4, in_dims, q->in_scale, q->in_zero_point);
  make_weights (m, q, &s, 4, w_dims, 3, &wt, &bt);
  y = act_tensor (m, q, "output", 4, out_dims, q->out_scale, q->out_zero_point);
  op = tb_op3 (m, TFL_OP_DEPTHWISE_CONV_2D, x, wt, bt, y);
  conv_options (m, op, stride, padding, activation);
  tb_io (m, x, y);
  return m;
}

tb_model *
tb_fully_connected (const tb_quant *q, int cin, int cout, int activation)
{
  tb_model *m = tb_model_new ();
  uint32_t s = q->seed;
  int32_t in_dims[2] = { 1, cin };
  int32_t w_dims[2] = { cout, cin };
  int32_t out_dims[2] = { 1, cout };
  int x, y, wt, bt, op;

  x = act_tensor (m, q, "input", 2, in_dims, q->in_scale, q->in_zero_point);
  make_weights (m, q, &s, 2, w_dims, 0, &wt, &bt);
  y = act_tensor (m, q, "output", 2, out_dims, q->out_scale, q->out_zero_point);
  op = tb_op3 (m, TFL_OP_FULLY_CONNECTED, x, wt, bt, y);
  tb_op_options (m, op)->activation = activation;
  tb_io (m, x, y);
  return m;
}

/* The branch of a residual block: [1,h,w,c] with a third quantisation of
 * its own (scale 1.5x the input's, zero point 3 off), so that the ADD
 * rescales both inputs. */
static int
branch_tensor (tb_model *m, const tb_quant *q, const int32_t dims[4])
{
  const int32_t zp = q->type == TFL_TYPE_UINT8 ? q->in_zero_point - 3 : q->in_zero_point + 3;
  return act_tensor (m, q, "branch", 4, dims, q->in_scale * 1.5f, zp);
}

tb_model *
tb_add (const tb_quant *q, int h, int w, int c, int activation)
{
  tb_model *m = tb_model_new ();
  uint32_t s = q->seed;
  int32_t dims[4] = { 1, h, w, c };
  int32_t w_dims[4] = { 1, 1, 1, c };
  int x, y, z, wt, bt, op;

  x = act_tensor (m, q, "input", 4, dims, q->in_scale, q->in_zero_point);
  make_weights (m, q, &s, 4, w_dims, 3, &wt, &bt);
  y = branch_tensor (m, q, dims);
  op = tb_op3 (m, TFL_OP_DEPTHWISE_CONV_2D, x, wt, bt, y);
  tb_op_options (m, op)->depth_multiplier = 1;
  z = act_tensor (m, q, "output", 4, dims, q->out_scale, q->out_zero_point);
  op = tb_op2 (m, TFL_OP_ADD, x, y, z);
  tb_op_options (m, op)->activation = activation;
  tb_io (m, x, z);
  return m;
}

tb_model *
tb_residual (const tb_quant *q, int h, int w, int c, int conv_activation, int add_activation,
             bool branch_read_twice)
{
  tb_model *m = tb_model_new ();
  uint32_t s = q->seed;
  int32_t dims[4] = { 1, h, w, c };
  int32_t w_dims[4] = { c, 1, 1, c };
  int x, y, z, wt, bt, op;

  x = act_tensor (m, q, "input", 4, dims, q->in_scale, q->in_zero_point);
  make_weights (m, q, &s, 4, w_dims, 0, &wt, &bt);
  y = branch_tensor (m, q, dims);
  op = tb_op3 (m, TFL_OP_CONV_2D, x, wt, bt, y);
  conv_options (m, op, 1, TFL_PADDING_VALID, conv_activation);
  z = act_tensor (m, q, branch_read_twice ? "sum" : "output", 4, dims, q->out_scale,
                  q->out_zero_point);
  op = tb_op2 (m, TFL_OP_ADD, y, x, z);
  tb_op_options (m, op)->activation = add_activation;
  if (branch_read_twice) {   /* output = ADD (sum, branch): the branch has two readers */
    const int sum = z;
    z = act_tensor (m, q, "output", 4, dims, q->out_scale, q->out_zero_point);
    tb_op2 (m, TFL_OP_ADD, sum, y, z);
  }
  tb_io (m, x, z);
  return m;
}

/* One inverted residual block from tensor x ([1,*h,*w,cin]) on; *h, *w
 * become the output's. */
static int
add_inverted_residual (tb_model *m, const tb_quant *q, uint32_t *s, int x, int *h, int *w,
                       int cin, const tb_block *b, int expand_k, int expand_stride)
{
  const int eh = tb_conv_out_size (*h, expand_k, expand_stride, TFL_PADDING_SAME);
  const int ew = tb_conv_out_size (*w, expand_k, expand_stride, TFL_PADDING_SAME);
  const int oh = tb_conv_out_size (eh, 3, b->stride, b->padding);
  const int ow = tb_conv_out_size (ew, 3, b->stride, b->padding);
  int32_t mid_dims[4] = { 1, eh, ew, b->mid };
  int32_t dw_dims[4] = { 1, oh, ow, b->mid }, out_dims[4] = { 1, oh, ow, b->cout };
  int32_t expand_w[4] = { b->mid, expand_k, expand_k, cin }, dw_w[4] = { 1, 3, 3, b->mid };
  int32_t project_w[4] = { b->cout, 1, 1, b->mid };
  int e, d, p, wt, bt, op;

  make_weights (m, q, s, 4, expand_w, 0, &wt, &bt);
  e = act_tensor (m, q, "expanded", 4, mid_dims, q->out_scale, q->out_zero_point);
  op = tb_op3 (m, TFL_OP_CONV_2D, x, wt, bt, e);
  conv_options (m, op, expand_stride, TFL_PADDING_SAME, TFL_ACT_RELU6);
  make_weights (m, q, s, 4, dw_w, 3, &wt, &bt);
  d = act_tensor (m, q, "depthwise", 4, dw_dims, q->out_scale, q->out_zero_point);
  op = tb_op3 (m, TFL_OP_DEPTHWISE_CONV_2D, e, wt, bt, d);
  conv_options (m, op, b->stride, b->padding, TFL_ACT_RELU6);
  make_weights (m, q, s, 4, project_w, 0, &wt, &bt);
  p = b->residual ? branch_tensor (m, q, out_dims)
                  : act_tensor (m, q, "output", 4, out_dims, q->out_scale, q->out_zero_point);
  tb_op3 (m, TFL_OP_CONV_2D, d, wt, bt, p);
  if (b->residual) {
    const int y = act_tensor (m, q, "output", 4, out_dims, q->out_scale, q->out_zero_point);
    tb_op2 (m, TFL_OP_ADD, p, x, y);
    p = y;
  }
  *h = oh;
  *w = ow;
  return p;
}

tb_model *
tb_inverted_residual (const tb_quant *q, int h, int w, int cin, int mid, int cout, int stride,
                      int padding, bool residual, int expand_k, int expand_stride)
{
  tb_model *m = tb_model_new ();
  uint32_t s = q->seed;
  int32_t in_dims[4] = { 1, h, w, cin };
  const tb_block b = { mid, cout, stride, padding, residual };
  const int x = act_tensor (m, q, "input", 4, in_dims, q->in_scale, q->in_zero_point);
  const int y = add_inverted_residual (m, q, &s, x, &h, &w, cin, &b, expand_k, expand_stride);
  tb_io (m, x, y);
  return m;
}

tb_model *
tb_inverted_residual_chain (const tb_quant *q, int h, int w, int cin, int n,
                            const tb_block *blocks)
{
  tb_model *m = tb_model_new ();
  uint32_t s = q->seed;
  int32_t in_dims[4] = { 1, h, w, cin };
  const int x = act_tensor (m, q, "input", 4, in_dims, q->in_scale, q->in_zero_point);
  int y = x;
  for (int i = 0; i < n; i++) {
    y = add_inverted_residual (m, q, &s, y, &h, &w, cin, &blocks[i], 1, 1);
    cin = blocks[i].cout;
  }
  tb_io (m, x, y);
  return m;
}

tb_model *
tb_mean (const tb_quant *q, int h, int w, int c, bool keep_dims)
{
  tb_model *m = tb_model_new ();
  int32_t in_dims[4] = { 1, h, w, c };
  int32_t out4[4] = { 1, 1, 1, c };
  int32_t out2[2] = { 1, c };
  int32_t axes[2] = { 1, 2 };
  int32_t axes_dims[1] = { 2 };
  int x, a, y, op;

  x = act_tensor (m, q, "input", 4, in_dims, q->in_scale, q->in_zero_point);
  a = tb_const (m, "axes", TFL_TYPE_INT32, 1, axes_dims, axes, sizeof axes);
  y = act_tensor (m, q, "output", keep_dims ? 4 : 2, keep_dims ? out4 : out2, q->out_scale,
                  q->out_zero_point);
  op = tb_op2 (m, TFL_OP_MEAN, x, a, y);
  tb_op_options (m, op)->keep_dims = keep_dims;
  tb_io (m, x, y);
  return m;
}

tb_model *
tb_avgpool (const tb_quant *q, int h, int w, int c, int fh, int fw, int stride, int padding)
{
  tb_model *m = tb_model_new ();
  int32_t in_dims[4] = { 1, h, w, c };
  int32_t out_dims[4] = { 1, tb_conv_out_size (h, fh, stride, padding),
                          tb_conv_out_size (w, fw, stride, padding), c };
  int x, y, op;
  tb_options *o;

  /* TFLite requires equal input and output quantisation for pooling. */
  x = act_tensor (m, q, "input", 4, in_dims, q->in_scale, q->in_zero_point);
  y = act_tensor (m, q, "output", 4, out_dims, q->in_scale, q->in_zero_point);
  op = tb_op1 (m, TFL_OP_AVERAGE_POOL_2D, x, y);
  o = tb_op_options (m, op);
  o->filter_h = fh;
  o->filter_w = fw;
  o->stride_h = o->stride_w = stride;
  o->padding = padding;
  tb_io (m, x, y);
  return m;
}

tb_model *
tb_softmax (const tb_quant *q, int n, float beta)
{
  tb_model *m = tb_model_new ();
  int32_t dims[2] = { 1, n };
  int x, y, op;

  x = act_tensor (m, q, "input", 2, dims, q->in_scale, q->in_zero_point);
  y = act_tensor (m, q, "output", 2, dims, 1.0f / 256.0f,
                  q->type == TFL_TYPE_INT8 ? -128 : 0);
  op = tb_op1 (m, TFL_OP_SOFTMAX, x, y);
  tb_op_options (m, op)->beta = beta;
  tb_io (m, x, y);
  return m;
}
