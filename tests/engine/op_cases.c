/* op_cases.c: single-operator models for the per-operator oracle test.
 *
 * Writes, for each case, NAME.tflite (built with tflite_builder), NAME.in
 * (seeded random input bytes in the input tensor's own type) and NAME.ours
 * (this engine's raw output bytes) into OUTDIR, and a line "NAME TYPE" per
 * case to OUTDIR/cases.txt.  oracle_ops.py runs Arm NN on the same files
 * and compares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mobilenet.h"
#include "model.h"
#include "test_util.h"
#include "tflite_builder.h"

static const char *outdir;
static FILE *index_file;
static uint32_t rng = 0x2545F491u;

static uint32_t
next_random (void)
{
  return tu_xorshift32 (&rng);
}

static int
write_file (const char *path, const void *data, size_t size)
{
  FILE *f = fopen (path, "wb");
  if (!f)
    return -1;
  int rc = fwrite (data, 1, size, f) == size ? 0 : -1;
  return fclose (f) == 0 ? rc : -1;
}

static void
emit (const char *name, tb_model *tb, int type)
{
  size_t size = 0;
  uint8_t *file = tb_model_finish (tb, &size);
  tb_model_free (tb);
  char path[4096];
  snprintf (path, sizeof path, "%s/%s.tflite", outdir, name);
  CHECK (file && write_file (path, file, size) == 0, "%s: model written", name);

  mn_model *m = NULL;
  mn_session *s = NULL;
  mn_config c;
  mn_config_default (&c);
  c.threads = 2;
  mn_status st = mn_model_load_memory (file, size, &c, &m);
  if (st == MN_OK)
    st = mn_session_create (m, &c, &s);
  free (file);
  CHECK (st == MN_OK, "%s: the engine loads it (%s)", name, mn_status_str (st));
  if (st != MN_OK)
    return;

  const size_t in_bytes = m->plan.tensors[m->graph.input].bytes;
  const size_t elems = in_bytes / (type == TFL_TYPE_FLOAT32 ? 4 : 1);
  uint8_t *in = malloc (in_bytes);
  if (type == TFL_TYPE_FLOAT32) {
    float *f = (float *) in;
    for (size_t i = 0; i < elems; i++)
      f[i] = ((float) (next_random () % 20001) - 10000.f) / 2500.f; /* [-4, 4] */
  } else {
    for (size_t i = 0; i < in_bytes; i++)
      in[i] = (uint8_t) next_random ();
  }
  mn_result r;
  st = mn_session_run_tensor (s, in, in_bytes, &r);
  CHECK (st == MN_OK, "%s: the engine runs it (%s)", name, mn_status_str (st));
  if (st == MN_OK) {
    size_t out_bytes = (size_t) r.num_classes * (type == TFL_TYPE_FLOAT32 ? 4 : 1);
    snprintf (path, sizeof path, "%s/%s.in", outdir, name);
    CHECK (write_file (path, in, in_bytes) == 0, "%s: input written", name);
    snprintf (path, sizeof path, "%s/%s.ours", outdir, name);
    CHECK (write_file (path, r.raw, out_bytes) == 0, "%s: output written", name);
    fprintf (index_file, "%s %s\n", name,
             type == TFL_TYPE_FLOAT32 ? "float32" : type == TFL_TYPE_UINT8 ? "uint8" : "int8");
  }
  free (in);
  mn_session_destroy (&s);
  mn_model_unref (&m);
}

/* How many steps the engine plans for the model (-1: it does not load). */
static int
planned_steps (tb_model *tb)
{
  size_t size = 0;
  uint8_t *file = tb_model_finish (tb, &size);
  mn_model *m = NULL;
  mn_config c;
  mn_config_default (&c);
  int n = -1;
  if (file && mn_model_load_memory (file, size, &c, &m) == MN_OK)
    n = m->plan.num_steps;
  mn_model_unref (&m);
  free (file);
  return n;
}

/* A 1x1 convolution and a residual ADD (and, with twice, a second ADD
 * reading the convolution's output): in float the first ADD is fused into
 * the convolution's step when fused says so. */
static void
residual_case (const tb_quant *q, int type, const char *tag, const char *what, int conv_act,
               int add_act, bool twice, bool fused)
{
  char name[128];
  snprintf (name, sizeof name, "%s_residual_%s", tag, what);
  tb_model *tb = tb_residual (q, 6, 5, 24, conv_act, add_act, twice);
  const int ops = twice ? 3 : 2;
  const int steps = planned_steps (tb), want = type == TFL_TYPE_FLOAT32 && fused ? ops - 1 : ops;
  CHECK (steps == want, "%s: %d planned steps, want %d", name, steps, want);
  emit (name, tb, type);
}

static void
cases_for (int type, const char *tag)
{
  char name[128];
  tb_quant q = tb_quant_default (type);
  q.per_channel = type == TFL_TYPE_INT8;
  /* first-layer shape: 3 input channels, stride 2, SAME, odd and even */
  q.seed = 1;
  snprintf (name, sizeof name, "%s_conv3x3_s2_odd", tag);
  emit (name, tb_conv2d (&q, 9, 11, 3, 8, 3, 3, 2, TFL_PADDING_SAME, TFL_ACT_RELU6), type);
  q.seed = 2;
  snprintf (name, sizeof name, "%s_conv3x3_s2_even", tag);
  emit (name, tb_conv2d (&q, 8, 8, 3, 9, 3, 3, 2, TFL_PADDING_SAME, TFL_ACT_NONE), type);
  q.seed = 3;
  snprintf (name, sizeof name, "%s_conv1x1", tag);
  emit (name, tb_conv2d (&q, 5, 7, 17, 9, 1, 1, 1, TFL_PADDING_SAME, TFL_ACT_RELU6), type);
  q.seed = 4;
  snprintf (name, sizeof name, "%s_conv3x3_valid", tag);
  emit (name, tb_conv2d (&q, 7, 6, 5, 4, 3, 3, 1, TFL_PADDING_VALID, TFL_ACT_RELU), type);
  q.seed = 5;
  snprintf (name, sizeof name, "%s_dw_s1", tag);
  emit (name, tb_depthwise (&q, 7, 7, 9, 3, 3, 1, TFL_PADDING_SAME, TFL_ACT_RELU6), type);
  q.seed = 6;
  snprintf (name, sizeof name, "%s_dw_s2_even", tag);
  emit (name, tb_depthwise (&q, 8, 10, 5, 3, 3, 2, TFL_PADDING_SAME, TFL_ACT_RELU6), type);
  q.seed = 7;
  snprintf (name, sizeof name, "%s_dw_s2_odd_valid", tag);
  emit (name, tb_depthwise (&q, 9, 7, 4, 3, 3, 2, TFL_PADDING_VALID, TFL_ACT_NONE), type);
  q.seed = 8;
  snprintf (name, sizeof name, "%s_fc", tag);
  /* per tensor: Arm NN 22 aborts on per-channel FULLY_CONNECTED (the
   * kernel test covers per-channel GEMM against the naive rules) */
  tb_quant fc = q;
  fc.per_channel = false;
  emit (name, tb_fully_connected (&fc, 33, 10, TFL_ACT_NONE), type);
  q.seed = 9;
  snprintf (name, sizeof name, "%s_add", tag);
  emit (name, tb_add (&q, 4, 5, 7, TFL_ACT_NONE), type);
  q.seed = 10;
  residual_case (&q, type, tag, "plain", TFL_ACT_NONE, TFL_ACT_NONE, false, true);
  residual_case (&q, type, tag, "conv_relu6", TFL_ACT_RELU6, TFL_ACT_NONE, false, true);
  residual_case (&q, type, tag, "add_relu", TFL_ACT_NONE, TFL_ACT_RELU, false, false);
  residual_case (&q, type, tag, "branch_twice", TFL_ACT_NONE, TFL_ACT_NONE, true, false);
  q.seed = 9;
  snprintf (name, sizeof name, "%s_mean", tag);
  emit (name, tb_mean (&q, 5, 5, 11, false), type);
  snprintf (name, sizeof name, "%s_mean_keepdims", tag);
  emit (name, tb_mean (&q, 7, 7, 6, true), type);
  if (type != TFL_TYPE_INT8) {
    /* TFLite requires equal input and output quantisation for pooling */
    tb_quant pool = q;
    pool.out_scale = pool.in_scale;
    pool.out_zero_point = pool.in_zero_point;
    snprintf (name, sizeof name, "%s_avgpool", tag);
    emit (name, tb_avgpool (&pool, 7, 7, 13, 7, 7, 1, TFL_PADDING_VALID), type);
  }
  tb_quant soft = q;
  soft.in_scale = 0.1f;
  snprintf (name, sizeof name, "%s_softmax", tag);
  emit (name, tb_softmax (&soft, 50, 1.f), type);
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  outdir = argv[1];
  char path[4096];
  snprintf (path, sizeof path, "%s/cases.txt", outdir);
  index_file = fopen (path, "w");
  if (!index_file) {
    fprintf (stderr, "cannot write %s\n", path);
    return 1;
  }
  cases_for (TFL_TYPE_UINT8, "u8");
  cases_for (TFL_TYPE_INT8, "s8");
  cases_for (TFL_TYPE_FLOAT32, "f32");
  fclose (index_file);
  return tu_finish ();
}
