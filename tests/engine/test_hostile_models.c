/* test_hostile_models.c: truncated, mutated and deliberately wrong models
 * must give the right error status and a clear message, never a crash, a
 * hang or a leak (run it under AddressSanitizer + UBSan too).
 *
 * Every model goes through load(): swapping the entry point (e.g. to
 * mn_model_load_memory) means changing that one function.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph.h"
#include "model.h"
#include "tflite_builder.h"
#include "tflite_schema.h"
#include "test_util.h"

static char last_error[1024];
static int num_errors;

static void
capture_log (void *user_data, mn_log_level level, const char *message)
{
  (void) user_data;
  if (level == MN_LOG_ERROR) {
    num_errors++;
    snprintf (last_error, sizeof last_error, "%s", message);
  }
}

/* The entry point under test: the public loader (reader, validator and
 * planner), then a session and one inference on zeros when it loads.  On
 * success the result is released at once; *has_labels says whether
 * embedded labels were found. */
static mn_status
load (const uint8_t *data, size_t size, bool *has_labels)
{
  mn_config c;
  mn_model *m = NULL;
  mn_session *s = NULL;
  mn_status st;

  mn_config_default (&c);
  c.threads = 1;
  c.log = capture_log;
  last_error[0] = '\0';
  num_errors = 0;
  st = mn_model_load_memory (data, size, &c, &m);
  if (has_labels) {
    mn_model_info info;
    mn_model_get_info (m, &info);
    *has_labels = st == MN_OK && info.has_embedded_labels;
  }
  if (st == MN_OK && mn_session_create (m, &c, &s) == MN_OK) {
    const mn_graph *g = &m->graph;
    size_t bytes = m->plan.tensors[g->input].bytes;
    uint8_t *zeros = calloc (1, bytes ? bytes : 1);
    mn_result r;
    if (zeros)
      mn_session_run_tensor (s, zeros, bytes, &r);
    free (zeros);
  }
  mn_session_destroy (&s);
  mn_model_unref (&m);
  return st;
}

static const char *
status_name (mn_status st)
{
  switch (st) {
    case MN_OK: return "OK";
    case MN_ERR_INVALID_ARG: return "INVALID_ARG";
    case MN_ERR_IO: return "IO";
    case MN_ERR_NOT_TFLITE: return "NOT_TFLITE";
    case MN_ERR_MALFORMED: return "MALFORMED";
    case MN_ERR_UNSUPPORTED: return "UNSUPPORTED";
    case MN_ERR_NO_MEMORY: return "NO_MEMORY";
    case MN_ERR_LABELS: return "LABELS";
    case MN_ERR_NOT_FOUND: return "NOT_FOUND";
  }
  return "?";
}

static uint32_t rng_state = 0x2545f491u;

static uint32_t
rng (void)
{
  return tu_xorshift32 (&rng_state);
}

/* ------------------------------------------------------------------------ */
/* Real models: truncation and mutation */

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

/* Where an appended ZIP archive starts (the last local file header), or
 * size when there is none.  Cutting the archive only loses the labels. */
static size_t
archive_start (const uint8_t *d, size_t size)
{
  size_t i;
  for (i = size >= 4 ? size - 4 : 0; i > 0; i--)
    if (d[i] == 'P' && d[i + 1] == 'K' && d[i + 2] == 3 && d[i + 3] == 4)
      return i;
  return size;
}

static void
test_truncation (void)
{
  size_t m;

  for (m = 0; m < sizeof model_names / sizeof model_names[0]; m++) {
    char rel[256];
    size_t size, zip, i;
    uint8_t *file, *copy;
    int wrong = 0, crashed_status = 0, ok_in_archive = 0, errors_without_message = 0;

    snprintf (rel, sizeof rel, "models/%s", model_names[m]);
    file = tu_read_shared (rel, &size);
    if (file == NULL)
      continue;
    zip = archive_start (file, size);
    for (i = 0; i < 64; i++) {
      /* 0..16 bytes, then 47 points spread up to size - 1. */
      size_t cut = i <= 16 ? i : 17 + (size - 18) * (i - 17) / 46;
      bool labels = false;
      mn_status st;
      /* A tight copy, so reading past the cut is an ASan error. */
      copy = malloc (cut ? cut : 1);
      if (copy == NULL)
        break;
      memcpy (copy, file, cut);
      st = load (copy, cut, &labels);
      free (copy);
      if (st == MN_OK) {
        if (cut < zip || labels)
          wrong++;
        else
          ok_in_archive++;
      } else {
        if (st != MN_ERR_MALFORMED && st != MN_ERR_NOT_TFLITE)
          crashed_status++;
        if (num_errors != 1)
          errors_without_message++;
      }
    }
    CHECK (wrong == 0 && crashed_status == 0 && errors_without_message == 0,
           "%s: 64 truncations give NOT_TFLITE or MALFORMED with one message (%d loaded "
           "wrongly, %d other statuses, %d without exactly one message; %d cut only the "
           "labels archive)",
           model_names[m], wrong, crashed_status, errors_without_message, ok_in_archive);
    free (file);
  }
}

static int
mutate_many (const char *what, const uint8_t *file, size_t size, int rounds,
             size_t hot_prefix)
{
  uint8_t *copy = malloc (size);
  int i, ok = 0, err = 0, no_message = 0;

  if (copy == NULL)
    return -1;
  for (i = 0; i < rounds; i++) {
    int k, n = 1 + (int) (rng () % 8);
    mn_status st;
    memcpy (copy, file, size);
    for (k = 0; k < n; k++) {
      uint32_t r = rng ();
      size_t pos;
      /* Mostly where the structure lives: TFLite converters write the
       * root table and small buffers first and the tensor and operator
       * tables last, just before the labels archive; some anywhere. */
      switch (r % 5) {
        case 0: pos = rng () % (hot_prefix < size ? hot_prefix : size); break;
        case 1:
        case 2:
        case 3: pos = size - 1 - rng () % (size < 65536 ? size : 65536); break;
        default: pos = rng () % size; break;
      }
      switch ((r >> 8) % 4) {
        case 0: copy[pos] = (uint8_t) rng (); break;
        case 1: copy[pos] ^= (uint8_t) (1u << ((r >> 16) % 8)); break;
        case 2: copy[pos] = (r >> 16) & 1 ? 0xff : 0x00; break;
        default: copy[pos] = (r >> 16) & 1 ? 0x7f : 0x80; break;
      }
    }
    st = load (copy, size, NULL);
    if (st == MN_OK) {
      ok++;
    } else {
      err++;
      if (num_errors != 1)
        no_message++;
    }
  }
  free (copy);
  CHECK (no_message == 0,
         "%s: %d seeded mutations of 1-8 bytes: %d loaded, %d rejected, every rejection with "
         "one message (%d without)",
         what, rounds, ok, err, no_message);
  return err;
}

static void
test_mutations (void)
{
  size_t size;
  uint8_t *file = tu_read_shared ("models/mobilenet_v1_0.25_128_quant.tflite", &size);
  int rounds = 1000;
  uint32_t seed = 0x2545f491u;

  if (file == NULL)
    return;
  /* MN_HOSTILE_ROUNDS and MN_HOSTILE_SEED allow longer campaigns by hand. */
  if (getenv ("MN_HOSTILE_ROUNDS"))
    rounds = atoi (getenv ("MN_HOSTILE_ROUNDS"));
  if (getenv ("MN_HOSTILE_SEED"))
    seed = (uint32_t) strtoul (getenv ("MN_HOSTILE_SEED"), NULL, 0);
  rng_state = seed ? seed : 1;
  printf ("# mutation seed 0x%08x\n", (unsigned) rng_state);
  mutate_many ("mobilenet_v1_0.25_128_quant", file, size, rounds, 2048);
  free (file);

  /* A small builder model is all structure: every mutation lands in it. */
  {
    static const char labels[] = "background\na\nb\nc\n";
    tb_quant q = tb_quant_default (TFL_TYPE_INT8);
    tb_model *m;
    q.per_channel = true;
    m = tb_conv2d (&q, 6, 6, 3, 4, 3, 3, 2, TFL_PADDING_SAME, TFL_ACT_RELU6);
    tb_model_metadata (m, 127.5f, 127.5f, "labels.txt", TFL_AF_TENSOR_AXIS_LABELS, labels,
                       strlen (labels), 0);
    file = tb_model_finish (m, &size);
    tb_model_free (m);
    if (CHECK (file != NULL, "builder model for mutation written")) {
      rng_state = seed ^ 0x9e3779b9u ? seed ^ 0x9e3779b9u : 1;
      printf ("# mutation seed 0x%08x\n", (unsigned) rng_state);
      mutate_many ("builder int8 conv with metadata", file, size, rounds, size);
    }
    free (file);
  }
}

static void
test_not_tflite (void)
{
  size_t size;
  uint8_t *png;
  mn_status st;
  uint8_t empty[1] = { 0 };

  st = load (empty, 0, NULL);
  CHECK (st == MN_ERR_NOT_TFLITE && num_errors == 1, "zero-length file: NOT_TFLITE (%s)",
         last_error);
  st = load (NULL, 0, NULL);
  CHECK (st == MN_ERR_NOT_TFLITE, "NULL data: NOT_TFLITE");
  png = tu_read_shared ("images/rgb6X4.png", &size);
  if (png) {
    st = load (png, size, NULL);
    CHECK (st == MN_ERR_NOT_TFLITE && strstr (last_error, "TFL3") != NULL,
           "a PNG file: NOT_TFLITE naming the identifier (%s)", last_error);
    free (png);
  }
  png = tu_read_shared ("images/cat.png", &size);
  if (png) {
    st = load (png, size, NULL);
    CHECK (st == MN_ERR_NOT_TFLITE, "a large PNG file: NOT_TFLITE");
    free (png);
  }
  {
    /* The identifier alone is not enough. */
    uint8_t fake[64];
    memset (fake, 0xee, sizeof fake);
    memcpy (fake + 4, "TFL3", 4);
    st = load (fake, sizeof fake, NULL);
    CHECK (st == MN_ERR_MALFORMED, "\"TFL3\" with a wild root offset: MALFORMED (%s)",
           last_error);
  }
}

/* ------------------------------------------------------------------------ */
/* Built models that are wrong in one way each */

/* A float model: x -> CONV_2D(w, b) -> y -> SOFTMAX -> z; tweak before use. */
typedef struct {
  tb_model *m;
  int x, w, b, y, z, conv, softmax;
} small_model;

static small_model
small (void)
{
  small_model s;
  int32_t xd[4] = { 1, 4, 4, 2 }, wd[4] = { 3, 1, 1, 2 }, bd[1] = { 3 };
  int32_t yd[4] = { 1, 4, 4, 3 }, zd[4] = { 1, 4, 4, 3 };
  float w[6] = { 1, 2, 3, 4, 5, 6 }, b[3] = { 0.5f, 0, -0.5f };

  s.m = tb_model_new ();
  s.x = tb_tensor (s.m, "x", TFL_TYPE_FLOAT32, 4, xd);
  s.w = tb_const (s.m, "w", TFL_TYPE_FLOAT32, 4, wd, w, sizeof w);
  s.b = tb_const (s.m, "b", TFL_TYPE_FLOAT32, 1, bd, b, sizeof b);
  s.y = tb_tensor (s.m, "y", TFL_TYPE_FLOAT32, 4, yd);
  s.z = tb_tensor (s.m, "z", TFL_TYPE_FLOAT32, 4, zd);
  s.conv = tb_op3 (s.m, TFL_OP_CONV_2D, s.x, s.w, s.b, s.y);
  s.softmax = tb_op1 (s.m, TFL_OP_SOFTMAX, s.y, s.z);
  tb_io (s.m, s.x, s.z);
  return s;
}

/* Finishes and loads a built model, checks the status and that the message
 * contains want_text (if given). */
static void
expect (const char *what, tb_model *m, mn_status want, const char *want_text)
{
  size_t size;
  uint8_t *file = tb_model_finish (m, &size);
  mn_status st;

  tb_model_free (m);
  if (!CHECK (file != NULL, "%s: written", what))
    return;
  st = load (file, size, NULL);
  free (file);
  CHECK (st == want && (want == MN_OK || num_errors == 1)
         && (want_text == NULL || strstr (last_error, want_text) != NULL),
         "%s: %s%s%s (got %s: %s)", what, status_name (want),
         want_text ? " naming " : "", want_text ? want_text : "", status_name (st), last_error);
}

static void
test_built_hostile (void)
{
  small_model s;
  int32_t d4[4] = { 1, 4, 4, 2 };

  s = small ();
  expect ("the unmodified small model", s.m, MN_OK, NULL);

  /* Unsupported operators. */
  {
    tb_model *m = tb_model_new ();
    int x = tb_tensor (m, "x", TFL_TYPE_FLOAT32, 4, d4);
    int y = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 4, d4);
    tb_op1 (m, TFL_OP_HARD_SWISH, x, y);
    tb_io (m, x, y);
    expect ("a HARD_SWISH model", m, MN_ERR_UNSUPPORTED, "HARD_SWISH (op 117) at index 0");
  }
  s = small ();
  tb_op_custom (s.m, s.softmax, "MyFancyOp");
  expect ("a custom op", s.m, MN_ERR_UNSUPPORTED, "MyFancyOp");
  {
    tb_model *m = tb_model_new ();
    int x = tb_tensor (m, "x", TFL_TYPE_FLOAT32, 4, d4);
    int y = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 4, d4);
    tb_op1 (m, 200, x, y);
    tb_model_opcode_style (m, 2);
    tb_io (m, x, y);
    expect ("an op code beyond the name table", m, MN_ERR_UNSUPPORTED, "200");
  }
  {
    tb_model *m = tb_model_new ();
    int x = tb_tensor (m, "x", TFL_TYPE_FLOAT32, 4, d4);
    int y = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 4, d4);
    tb_op1 (m, 150, x, y);         /* GELU: only in builtin_code, deprecated holds 127 */
    tb_io (m, x, y);
    expect ("an extended op code (GELU)", m, MN_ERR_UNSUPPORTED, "GELU (op 150)");
  }

  /* Options. */
  s = small ();
  tb_op_options (s.m, s.conv)->stride_w = 3;
  expect ("stride 3", s.m, MN_ERR_UNSUPPORTED, "stride");
  s = small ();
  tb_op_options (s.m, s.conv)->dilation_h = 2;
  expect ("dilation 2", s.m, MN_ERR_UNSUPPORTED, "dilation");
  s = small ();
  tb_op_options (s.m, s.conv)->activation = TFL_ACT_TANH;
  expect ("a TANH fused activation", s.m, MN_ERR_UNSUPPORTED, "TANH");
  s = small ();
  tb_op_options (s.m, s.conv)->activation = 9;
  expect ("an unknown fused activation", s.m, MN_ERR_UNSUPPORTED, "activation 9");
  s = small ();
  tb_op_options (s.m, s.conv)->padding = 5;
  expect ("an unknown padding", s.m, MN_ERR_UNSUPPORTED, "padding 5");
  s = small ();
  tb_op_options (s.m, s.conv)->options_type = TFL_OPT_POOL_2D;
  expect ("conv with Pool2DOptions", s.m, MN_ERR_MALFORMED, "Conv2DOptions expected");
  s = small ();
  tb_op_options (s.m, s.conv)->options_type = TFL_OPT_NONE;
  expect ("conv without options (stride 0 by default)", s.m, MN_ERR_UNSUPPORTED, "stride 0x0");
  s = small ();
  tb_op_options (s.m, s.softmax)->beta = 0.0f;
  expect ("softmax beta 0", s.m, MN_ERR_UNSUPPORTED, "beta");
  {
    tb_quant q = tb_quant_default (TFL_TYPE_FLOAT32);
    tb_model *m = tb_fully_connected (&q, 4, 3, TFL_ACT_NONE);
    tb_op_options (m, 0)->weights_format = 1;
    expect ("FC shuffled weights", m, MN_ERR_UNSUPPORTED, "weights format");
  }

  /* Tensors. */
  {
    tb_model *m = tb_model_new ();
    int x = tb_tensor (m, "x16", TFL_TYPE_INT16, 4, d4);
    int y = tb_tensor (m, "y", TFL_TYPE_INT16, 4, d4);
    tb_op1 (m, TFL_OP_SOFTMAX, x, y);
    tb_io (m, x, y);
    expect ("an INT16 tensor", m, MN_ERR_UNSUPPORTED, "tensor 0 (x16) has type INT16");
  }
  {
    tb_model *m = tb_model_new ();
    int x = tb_tensor (m, "x", 42, 4, d4);
    int y = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 4, d4);
    tb_op1 (m, TFL_OP_SOFTMAX, x, y);
    tb_io (m, x, y);
    expect ("an unknown tensor type", m, MN_ERR_UNSUPPORTED, "unknown type 42");
  }
  {
    tb_model *m = tb_model_new ();
    int x = tb_tensor (m, "x", TFL_TYPE_FLOAT16, 4, d4);
    int y = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 4, d4);
    tb_op1 (m, TFL_OP_DEQUANTIZE, x, y);
    tb_io (m, x, y);
    expect ("a FLOAT16 activation", m, MN_ERR_UNSUPPORTED, "not constant");
  }
  {
    int32_t d5[5] = { 1, 2, 2, 2, 2 }, d0[4] = { 1, 0, 4, 2 }, dn[4] = { 1, -3, 4, 2 };
    int32_t dbig[4] = { 1, 70000, 1, 1 }, dmany[4] = { 1, 65536, 65536, 1 };
    const int32_t *shapes[5] = { d5, d0, dn, dbig, dmany };
    static const int ranks[5] = { 5, 4, 4, 4, 4 };
    static const mn_status want[5] = { MN_ERR_UNSUPPORTED, MN_ERR_UNSUPPORTED, MN_ERR_MALFORMED,
                                       MN_ERR_UNSUPPORTED, MN_ERR_UNSUPPORTED };
    static const char *const names[5] = { "rank 5", "a zero dimension", "a negative dimension",
                                          "a dimension of 70000",
                                          "2^32 elements (overflow-safe product)" };
    static const char *const texts[5] = { "rank 5", "size 0", "size -3", "70000", "elements" };
    int k;
    for (k = 0; k < 5; k++) {
      s = small ();
      tb_tensor (s.m, "unused", TFL_TYPE_FLOAT32, ranks[k], shapes[k]);
      expect (names[k], s.m, want[k], texts[k]);
    }
  }

  /* Quantisation. */
  {
    static const float bad_scales[4] = { 0.0f, -1.0f, 1.0f / 0.0f, 0.0f / 0.0f };
    static const char *const names[4] = { "scale 0", "a negative scale", "an infinite scale",
                                          "a NaN scale" };
    int k;
    for (k = 0; k < 4; k++) {
      tb_quant q = tb_quant_default (TFL_TYPE_UINT8);
      tb_model *m = tb_softmax (&q, 4, 1.0f);
      tb_tensor_quant1 (m, 0, bad_scales[k], 128);
      expect (names[k], m, MN_ERR_MALFORMED, "scales must be finite and greater than 0");
    }
  }
  {
    tb_quant q = tb_quant_default (TFL_TYPE_UINT8);
    tb_model *m = tb_softmax (&q, 4, 1.0f);
    tb_tensor_quant1 (m, 0, 0.5f, 300);
    expect ("a uint8 zero point of 300", m, MN_ERR_MALFORMED, "zero point 300");
  }
  {
    tb_quant q = tb_quant_default (TFL_TYPE_INT8);
    tb_model *m = tb_softmax (&q, 4, 1.0f);
    int64_t zp = (int64_t) 1 << 40;
    float sc = 0.5f;
    tb_tensor_quant (m, 0, 1, &sc, 1, &zp, 0);
    expect ("a zero point beyond int32", m, MN_ERR_MALFORMED, "zero point");
  }
  {
    tb_quant q = tb_quant_default (TFL_TYPE_INT8);
    tb_model *m;
    float sc[3] = { 0.1f, 0.2f, 0.3f };
    int64_t zp[2] = { 0, 0 };
    q.per_channel = true;
    m = tb_conv2d (&q, 4, 4, 2, 3, 1, 1, 1, TFL_PADDING_SAME, TFL_ACT_NONE);
    tb_tensor_quant (m, 1, 3, sc, 2, zp, 0);
    expect ("3 scales with 2 zero points", m, MN_ERR_MALFORMED, "3 scales but 2 zero points");
    m = tb_conv2d (&q, 4, 4, 2, 3, 1, 1, 1, TFL_PADDING_SAME, TFL_ACT_NONE);
    tb_tensor_quant (m, 1, 3, sc, 1, zp, 3);
    expect ("per-channel scales on a dimension of another size", m, MN_ERR_MALFORMED,
            "one scale per channel");
    m = tb_conv2d (&q, 4, 4, 2, 3, 1, 1, 1, TFL_PADDING_SAME, TFL_ACT_NONE);
    tb_tensor_quant (m, 1, 3, sc, 0, zp, 7);
    expect ("quantized_dimension 7", m, MN_ERR_MALFORMED, "dimension 7");
    m = tb_conv2d (&q, 4, 4, 2, 3, 1, 1, 1, TFL_PADDING_SAME, TFL_ACT_NONE);
    tb_tensor_quant (m, 1, 3, sc, 0, zp, 0);
    expect ("per-channel scales with no zero points (zero)", m, MN_OK, NULL);
    m = tb_conv2d (&q, 4, 4, 2, 3, 1, 1, 1, TFL_PADDING_SAME, TFL_ACT_NONE);
    tb_tensor_quant_empty (m, 0);
    tb_tensor_quant_empty (m, 3);
    /* the reader takes empty tables as "not quantised"; an unquantised
     * INT8 activation then has no kernel */
    expect ("empty quantisation tables (unquantised INT8 input)", m, MN_ERR_UNSUPPORTED,
            "need FLOAT32 or quantised 8-bit");
  }

  /* Buffers and data. */
  s = small ();
  {
    float w5[5] = { 1, 2, 3, 4, 5 };
    tb_tensor_data (s.m, s.w, w5, sizeof w5);
  }
  expect ("a constant buffer of 20 bytes for 24", s.m, MN_ERR_MALFORMED,
          "holds 20 bytes but tensor 1 (w) needs 24");
  s = small ();
  {
    uint8_t w23[23] = { 0 };
    tb_tensor_data (s.m, s.w, w23, sizeof w23);
  }
  expect ("a constant buffer one byte short", s.m, MN_ERR_MALFORMED,
          "holds 23 bytes but tensor 1 (w) needs 24");
  s = small ();
  tb_tensor_buffer_index (s.m, s.w, 99);
  expect ("a buffer index out of range", s.m, MN_ERR_MALFORMED, "buffer 99");
  s = small ();
  tb_tensor_buffer_index (s.m, s.w, 0);
  expect ("weights without data", s.m, MN_ERR_UNSUPPORTED, "non-constant weight");
  {
    /* Tensors sharing one buffer must not multiply the memory taken. */
    tb_model *m = tb_model_new ();
    int32_t big[2] = { 4, 65536 };
    float *zeros = calloc (262144, sizeof (float));
    int x = tb_tensor (m, "x", TFL_TYPE_FLOAT32, 4, d4);
    int y = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 4, d4);
    int k;
    tb_const (m, "big", TFL_TYPE_FLOAT32, 2, big, zeros, 262144 * sizeof (float));
    for (k = 0; k < 100; k++)
      tb_tensor_buffer_index (m, tb_tensor (m, "alias", TFL_TYPE_FLOAT32, 2, big), 1);
    tb_op1 (m, TFL_OP_SOFTMAX, x, y);
    tb_io (m, x, y);
    free (zeros);
    expect ("100 tensors sharing one 1 MiB buffer", m, MN_ERR_MALFORMED, "repeats its data");
  }
  s = small ();
  tb_tensor_data (s.m, s.x, "abcd", 4);
  expect ("a constant graph input", s.m, MN_ERR_MALFORMED, NULL);

  /* Indices and data flow. */
  s = small ();
  tb_op2 (s.m, TFL_OP_ADD, s.z, 17, s.y);
  expect ("a tensor index out of range", s.m, MN_ERR_MALFORMED, "tensor 17");
  s = small ();
  tb_op2 (s.m, TFL_OP_ADD, s.z, -1, s.y);
  expect ("ADD with an absent (-1) input", s.m, MN_ERR_MALFORMED, "is tensor -1");
  s = small ();
  tb_op3 (s.m, TFL_OP_CONV_2D, s.x, s.w, -1, s.y);    /* writes y a second time */
  expect ("two ops writing one tensor", s.m, MN_ERR_MALFORMED, "already wrote");
  {
    /* softmax reads y before conv writes it: the two ops swapped. */
    tb_model *m = tb_model_new ();
    int32_t xd[4] = { 1, 4, 4, 2 }, wd[4] = { 3, 1, 1, 2 }, yd[4] = { 1, 4, 4, 3 };
    float w[6] = { 0 };
    int x = tb_tensor (m, "x", TFL_TYPE_FLOAT32, 4, xd);
    int wt = tb_const (m, "w", TFL_TYPE_FLOAT32, 4, wd, w, sizeof w);
    int y = tb_tensor (m, "y", TFL_TYPE_FLOAT32, 4, yd);
    int z = tb_tensor (m, "z", TFL_TYPE_FLOAT32, 4, yd);
    tb_op1 (m, TFL_OP_SOFTMAX, y, z);
    tb_op3 (m, TFL_OP_CONV_2D, x, wt, -1, y);
    tb_io (m, x, z);
    expect ("a tensor read before it is written", m, MN_ERR_MALFORMED,
            "reads tensor 2 (y) before any operator writes it");
  }
  s = small ();
  tb_op1 (s.m, TFL_OP_SOFTMAX, s.z, s.w);
  expect ("an op writing a constant", s.m, MN_ERR_MALFORMED, "writes constant tensor 1 (w)");
  s = small ();
  tb_op1 (s.m, TFL_OP_SOFTMAX, s.z, s.x);
  expect ("an op writing the graph input", s.m, MN_ERR_MALFORMED, "graph input");
  s = small ();
  {
    int32_t out[2] = { s.z, s.y };
    int32_t in[1] = { s.y };
    tb_op (s.m, TFL_OP_SOFTMAX, 1, in, 2, out);
  }
  expect ("an op with two outputs", s.m, MN_ERR_MALFORMED, "2 outputs");
  s = small ();
  tb_op2 (s.m, TFL_OP_SOFTMAX, s.y, s.y, s.z);
  expect ("SOFTMAX with two inputs", s.m, MN_ERR_MALFORMED, "2 inputs: 1 expected");
  s = small ();
  {
    int32_t xd[4] = { 1, 4, 4, 3 };
    int axes = tb_tensor (s.m, "axes", TFL_TYPE_INT32, 1, xd);
    int o = tb_tensor (s.m, "o", TFL_TYPE_FLOAT32, 4, xd);
    tb_op2 (s.m, TFL_OP_MEAN, s.z, axes, o);
  }
  expect ("MEAN with non-constant axes", s.m, MN_ERR_UNSUPPORTED, NULL);
  {
    tb_quant q = tb_quant_default (TFL_TYPE_FLOAT32);
    tb_model *m = tb_mean (&q, 4, 4, 2, false);
    int32_t bad_axes[2] = { 1, 7 };
    tb_tensor_data (m, 1, bad_axes, sizeof bad_axes);
    expect ("MEAN over axis 7", m, MN_ERR_MALFORMED, "axis 7");
  }

  /* Graph shape. */
  s = small ();
  {
    int32_t in[2] = { s.x, s.y }, out[1] = { s.z };
    tb_io_list (s.m, 2, in, 1, out);
  }
  expect ("two graph inputs", s.m, MN_ERR_UNSUPPORTED, "2 inputs");
  s = small ();
  {
    int32_t in[1] = { s.x }, out[2] = { s.z, s.y };
    tb_io_list (s.m, 1, in, 2, out);
  }
  expect ("two graph outputs", s.m, MN_ERR_UNSUPPORTED, "2 outputs");
  s = small ();
  tb_io (s.m, s.x, 40);
  expect ("a graph output out of range", s.m, MN_ERR_MALFORMED, "tensor 40");
  s = small ();
  tb_model_subgraph_copies (s.m, 2);
  expect ("two subgraphs", s.m, MN_ERR_UNSUPPORTED, "2 subgraphs");
  s = small ();
  tb_model_subgraph_copies (s.m, 0);
  expect ("no subgraph", s.m, MN_ERR_MALFORMED, "no subgraph");
  s = small ();
  tb_model_version (s.m, 2);
  expect ("schema version 2", s.m, MN_ERR_UNSUPPORTED, "version 2");
}

/* x [1,4,4,2] uint8 (scale in_scale) -> QUANTIZE -> uint8 (out_scale): a
 * requantisation by in_scale / out_scale. */
static tb_model *
requantize_model (float in_scale, float out_scale)
{
  tb_model *m = tb_model_new ();
  int32_t d[4] = { 1, 4, 4, 2 };
  int x = tb_tensor (m, "x", TFL_TYPE_UINT8, 4, d);
  int y = tb_tensor (m, "y", TFL_TYPE_UINT8, 4, d);
  tb_tensor_quant1 (m, x, in_scale, 128);
  tb_tensor_quant1 (m, y, out_scale, 128);
  tb_op1 (m, TFL_OP_QUANTIZE, x, y);
  tb_io (m, x, y);
  return m;
}

/* Scales whose requantisation multiplier is 2^31 or more (an output scale
 * far below input x weight scale): no int32 left shift can apply them, and
 * TFLite's kernels overflow.  Each op refuses them by name; the largest
 * multiplier that fits loads and runs (load () runs one inference, which
 * the sanitizer builds watch). */
static void
test_requant_limits (void)
{
  tb_quant u8 = tb_quant_default (TFL_TYPE_UINT8), pc = tb_quant_default (TFL_TYPE_INT8);
  pc.per_channel = true;
  u8.out_scale = pc.out_scale = 1e-30f;

  expect ("a conv multiplier of 2^31 or more", tb_conv2d (&u8, 4, 4, 3, 8, 3, 3, 2,
                                                           TFL_PADDING_SAME, TFL_ACT_RELU6),
          MN_ERR_UNSUPPORTED, "CONV_2D at index 0: its requantisation multiplier");
  expect ("a per-channel depthwise multiplier of 2^31 or more",
          tb_depthwise (&pc, 4, 4, 8, 3, 3, 1, TFL_PADDING_SAME, TFL_ACT_NONE),
          MN_ERR_UNSUPPORTED, "DEPTHWISE_CONV_2D at index 0: its requantisation multiplier");
  expect ("a fully connected multiplier of 2^31 or more",
          tb_fully_connected (&u8, 16, 4, TFL_ACT_NONE), MN_ERR_UNSUPPORTED,
          "FULLY_CONNECTED at index 0: its requantisation multiplier");
  expect ("an ADD output multiplier of 2^31 or more", tb_add (&u8, 4, 4, 8, TFL_ACT_NONE),
          MN_ERR_UNSUPPORTED, "ADD at index 1: its requantisation multiplier");
  expect ("a MEAN multiplier of 2^31 or more", tb_mean (&u8, 4, 4, 8, true),
          MN_ERR_UNSUPPORTED, "MEAN at index 0");
  {
    /* multiplier 2^25 / 16 fits; the zero-point term 100 * 2^25 does not */
    tb_quant q = tb_quant_default (TFL_TYPE_UINT8);
    q.in_scale = 1.0f;
    q.out_scale = 0x1p-25f;
    q.in_zero_point = 100;
    expect ("a MEAN zero-point term beyond 2^30", tb_mean (&q, 4, 4, 8, true),
            MN_ERR_UNSUPPORTED, "MEAN at index 0");
    q.out_scale = 0x1p-20f;
    expect ("a MEAN zero-point term of 100 * 2^20", tb_mean (&q, 4, 4, 8, true), MN_OK, NULL);
  }
  /* 2^23 pixels: 255 a pixel would pass INT32_MAX (an int8 map: 128 x 2^23
   * is 2^30, the sum of the stored values up to 2^31 - 2^23) */
  {
    const tb_quant s8 = tb_quant_default (TFL_TYPE_INT8);
    expect ("a quantised MEAN over 2^23 pixels", tb_mean (&s8, 4096, 2048, 1, true),
            MN_ERR_UNSUPPORTED, "MEAN at index 0: a quantised pool over 8388608 pixels");
  }
  expect ("a requantising QUANTIZE multiplier of 2^31 or more",
          requantize_model (1.0f, 0x1p-31f), MN_ERR_UNSUPPORTED,
          "QUANTIZE at index 0: its requantisation multiplier");
  expect ("a requantising QUANTIZE multiplier just below 2^31 (shift 31)",
          requantize_model (1.0f, 0x1.000002p-31f), MN_OK, NULL);
}

/* Metadata and archive damage never stops a model from loading. */
static void
test_broken_metadata (void)
{
  static const char labels[] = "background\none\ntwo\n";
  tb_quant q = tb_quant_default (TFL_TYPE_UINT8);
  size_t size, i;
  uint8_t *file;
  tb_model *m = tb_softmax (&q, 3, 1.0f);
  int ok = 0, labelled = 0;

  tb_model_metadata (m, 127.5f, 127.5f, "labels.txt", TFL_AF_TENSOR_AXIS_LABELS, labels,
                     strlen (labels), 0);
  file = tb_model_finish (m, &size);
  tb_model_free (m);
  if (!CHECK (file != NULL, "metadata model written"))
    return;
  /* Corrupt each byte of the archive in turn (it is the file's tail). */
  {
    size_t zip = archive_start (file, size);
    for (i = zip; i < size; i++) {
      bool has_labels = false;
      uint8_t saved = file[i];
      file[i] ^= 0x5a;
      if (load (file, size, &has_labels) == MN_OK)
        ok++;
      labelled += has_labels;
      file[i] = saved;
    }
    CHECK (ok == (int) (size - zip),
           "every one of %zu corrupted archive bytes still loads the model (%d did; %d kept "
           "labels)", size - zip, ok, labelled);
  }
  /* A CRC mismatch in the stored data is caught. */
  {
    size_t zip = archive_start (file, size);
    bool has_labels = true;
    file[zip + 30 + strlen ("labels.txt")] ^= 1;   /* the first data byte */
    CHECK (load (file, size, &has_labels) == MN_OK && !has_labels,
           "a labels file failing its CRC-32 is skipped");
  }
  free (file);
}

/* The same refusals through mn_model_load, which opens and maps files. */
static mn_status
load_path (const char *path)
{
  mn_config c;
  mn_model *m = NULL;
  mn_config_default (&c);
  c.log = capture_log;
  last_error[0] = '\0';
  num_errors = 0;
  mn_status st = mn_model_load (path, &c, &m);
  mn_model_unref (&m);
  return st;
}

static void
test_files (void)
{
  char dir[] = "/tmp/mn-hostile-XXXXXX";
  if (!CHECK (mkdtemp (dir) != NULL, "a temporary folder"))
    return;
  char path[512];
  mn_status st = load_path (dir);
  CHECK (st == MN_ERR_IO && strstr (last_error, "not a regular file"),
         "a directory: IO error (%s)", last_error);
  st = load_path ("/nonexistent/model.tflite");
  CHECK (st == MN_ERR_IO && strstr (last_error, "/nonexistent/model.tflite"),
         "a missing file: IO error naming it (%s)", last_error);
  snprintf (path, sizeof path, "%s/empty.tflite", dir);
  FILE *f = fopen (path, "wb");
  if (f)
    fclose (f);
  st = load_path (path);
  CHECK (st == MN_ERR_NOT_TFLITE && strstr (last_error, "empty"),
         "a zero-length file: NOT_TFLITE (%s)", last_error);
  size_t size = 0;
  uint8_t *model = tu_read_shared ("models/mobilenet_v2_1.0_224_quant.tflite", &size);
  snprintf (path, sizeof path, "%s/truncated.tflite", dir);
  if (model && (f = fopen (path, "wb"))) {
    fwrite (model, 1, size / 2, f);
    fclose (f);
    st = load_path (path);
    CHECK (st == MN_ERR_MALFORMED, "a model cut in half on disk: MALFORMED (%s)", last_error);
  }
  free (model);
  unlink (path);
  snprintf (path, sizeof path, "%s/empty.tflite", dir);
  unlink (path);
  rmdir (dir);
  st = load_path (tu_shared_path ("images/cat.png"));
  CHECK (st == MN_ERR_NOT_TFLITE, "a PNG on disk: NOT_TFLITE (%s)", last_error);
}

int
main (void)
{
  test_files ();
  test_not_tflite ();
  test_built_hostile ();
  test_requant_limits ();
  test_broken_metadata ();
  test_truncation ();
  test_mutations ();
  return tu_finish ();
}
