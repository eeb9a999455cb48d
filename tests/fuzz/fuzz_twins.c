/* fuzz_twins.c: the SIMD kernels against their portable C twins on whole
 * models.  A model that loads is run twice on the same input: through the
 * dispatched kernels (AVX2 where the CPU and the build have them) on 1 to 3
 * threads, and through the C twins (cpu_mask 0) on 1.  When no step runs a
 * float kernel, the outputs must be byte-identical: the quantised kernels
 * follow TFLite's integer arithmetic exactly, and the thread count never
 * changes a result.  A difference aborts, which the fuzzer and the replay
 * test report as a crash.  Float kernels are compared with a tolerance in
 * the kernel tests instead (FMA rounds differently).
 *
 * An input is either a model file (TFLite's "TFL3" at offset 4: the real
 * models, and the tflite corpus) or a description of a one-op model that
 * tests/common/tflite_builder writes: op, type, shape, kernel, stride,
 * padding, activation, scales (so the requantisation multiplier, its shift
 * and the requantisation form), zero points, weight seed and thread count;
 * see describe ().  The kernel tests draw random shapes; here the fuzzer
 * steers them, and every description is a valid model.  Seeds:
 * tests/fuzz/corpus/twins and tests/fuzz/corpus/tflite. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_model_input.h"
#include "model.h"
#include "tflite_builder.h"

static bool
runs_float_kernels (const mn_plan *p)
{
  for (int i = 0; i < p->num_steps; i++) {
    const mn_step_kind k = p->steps[i].kind;
    if (k == MN_STEP_F32_CONV || k == MN_STEP_F32_DWCONV || k == MN_STEP_F32_GEMM)
      return true;
  }
  return false;
}

static size_t
dtype_size (mn_dtype t)
{
  switch (t) {
    case MN_DTYPE_UINT8:
    case MN_DTYPE_INT8:
      return 1;
    case MN_DTYPE_FLOAT16:
      return 2;
    case MN_DTYPE_INT64:
      return 8;
    default:
      return 4;
  }
}

/* Load data with cpu_mask and run it on threads threads; the output's raw
 * bytes (malloc'ed) in *out, their count in *n.  False when the model does
 * not load or run, which the caller checks is the same both ways. */
static bool
run_model (const uint8_t *data, size_t size, unsigned cpu_mask, int threads, mn_model **model,
           uint8_t **out, size_t *n)
{
  mn_config cfg;
  mn_session *s = NULL;
  bool ok = false;

  mn_config_default (&cfg);
  cfg.threads = threads;
  cfg.cpu_mask = cpu_mask;
  cfg.log = fz_quiet_log;
  *out = NULL;
  *n = 0;
  if (mn_model_load_memory (data, size, &cfg, model) != MN_OK)
    return false;
  size_t bytes;
  uint8_t *in = NULL;
  mn_result res;
  if (!fz_input_too_large (*model) && mn_session_create (*model, &cfg, &s) == MN_OK
      && (in = fz_model_input (*model, &bytes))
      && mn_session_run_tensor (s, in, bytes, &res) == MN_OK) {
    *n = (size_t) res.num_classes * dtype_size (res.raw_type);
    *out = malloc (*n ? *n : 1);
    if (*out) {
      memcpy (*out, res.raw, *n);
      ok = true;
    }
  }
  free (in);
  mn_session_destroy (&s);
  return ok;
}

/* A scale 2^-e * (1 + f / 256), e in [-8, 39] (bytes 0-39 give e 0-39,
 * 40-47 give -1 to -8): multipliers from far below one to past 2^31, so
 * every requantisation form, left shifts up to 31, and models refused for
 * a multiplier out of int32's reach (both ways alike). */
static float
scale_of (fz_reader *r)
{
  int e = (int) (fz_u8 (r) % 48);
  if (e >= 40)
    e = 39 - e;
  return ldexpf (1.0f + (float) fz_u8 (r) / 256.0f, -e);
}

/* The model a description asks for (NULL: out of memory), and the
 * thread count for the dispatched run.  Bytes, in order (missing ones read
 * as 0): op, type, input scale (e, f), output scale (e, f), input and
 * output zero point, weight seed (4), threads, activation, padding,
 * stride, height, width, channels (2), output channels (2), kernel height
 * and width; a residual block then its ADD's activation and whether the
 * sum is read twice.  Each is taken modulo its number of choices;
 * gen_seeds.c writes the seeds. */
static tb_model *
describe (fz_reader *r, int *threads)
{
  static const int types[3] = { TFL_TYPE_UINT8, TFL_TYPE_INT8, TFL_TYPE_INT8 };
  static const int acts[4] = { TFL_ACT_NONE, TFL_ACT_RELU, TFL_ACT_RELU6, TFL_ACT_RELU_N1_TO_1 };
  const int op = (int) (fz_u8 (r) % 5);
  const int type_pick = (int) (fz_u8 (r) % 3);
  tb_quant q = tb_quant_default (types[type_pick]);
  q.per_channel = type_pick == 2;
  q.in_scale = scale_of (r);
  q.out_scale = scale_of (r);
  q.in_zero_point = (int32_t) fz_u8 (r);
  q.out_zero_point = (int32_t) fz_u8 (r);
  if (q.type == TFL_TYPE_INT8) {
    q.in_zero_point -= 128;
    q.out_zero_point -= 128;
  }
  /* one read a statement: C leaves the order of operands open */
  const uint32_t seed_lo = fz_u16 (r);
  q.seed = seed_lo | (fz_u16 (r) << 16);
  *threads = 1 + (int) (fz_u8 (r) % 3);
  const int act = acts[fz_u8 (r) % 4];
  const int padding = fz_u8 (r) % 2 ? TFL_PADDING_VALID : TFL_PADDING_SAME;
  const int stride = 1 + (int) (fz_u8 (r) % 2);
  int h = 1 + (int) (fz_u8 (r) % 40), w = 1 + (int) (fz_u8 (r) % 40);
  const int c = 1 + (int) (fz_u16 (r) % 200);
  const int cout = 1 + (int) (fz_u16 (r) % 200);
  const int kh = 1 + (int) (fz_u8 (r) % 5), kw = 1 + (int) (fz_u8 (r) % 5);
  /* at most about 4M multiply-accumulates: a run stays well under a
   * second with the sanitizers and the C twins */
  const long per_pixel = op == 0 ? (long) c * cout * kh * kw : (long) c * kh * kw;
  while ((long) h * w * per_pixel > (4l << 20) && (h > 1 || w > 1)) {
    h = (h + 1) / 2;
    w = (w + 1) / 2;
  }
  switch (op) {
    case 0:
      return tb_conv2d (&q, h, w, c, cout, kh, kw, stride, padding, act);
    case 1:
      return tb_depthwise (&q, h, w, c, kh, kw, stride, padding, act);
    case 2:
      return tb_fully_connected (&q, c, cout, act);
    case 3:
      return tb_add (&q, h, w, c, act);
    default: {
      const int add_act = acts[fz_u8 (r) % 4];
      return tb_residual (&q, h, w, c, act, add_act, fz_u8 (r) % 2);
    }
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  mn_model *fast = NULL, *ref = NULL;
  uint8_t *a = NULL, *b = NULL, *built = NULL;
  size_t na, nb;
  int threads = 2;

  if (size < 8 || memcmp (data + 4, "TFL3", 4) != 0) {
    fz_reader r = { data, size };
    tb_model *tm = describe (&r, &threads);
    if (!tm)
      return 0;
    built = tb_model_finish (tm, &size);
    tb_model_free (tm);
    if (!built)
      return 0;
    data = built;
  }

  const bool ran_fast = run_model (data, size, MN_CPU_ALL, threads, &fast, &a, &na);
  if (fast && strcmp (fast->kernels.isa, "c") != 0) {
    const bool ran_ref = run_model (data, size, 0, 1, &ref, &b, &nb);
    if (ran_fast != ran_ref) {
      fprintf (stderr, "fuzz_twins: the %s kernels %s the model, the C twins %s\n",
               fast->kernels.isa, ran_fast ? "ran" : "did not run", ran_ref ? "ran" : "did not");
      abort ();
    }
    if (ran_fast && !runs_float_kernels (&fast->plan) && (na != nb || memcmp (a, b, na) != 0)) {
      size_t i = 0;
      while (i < na && i < nb && a[i] == b[i])
        i++;
      fprintf (stderr, "fuzz_twins: %s and C outputs differ (%zu and %zu bytes, first at %zu)\n",
               fast->kernels.isa, na, nb, i);
      abort ();
    }
  }
  free (a);
  free (b);
  free (built);
  mn_model_unref (&fast);
  mn_model_unref (&ref);
  return 0;
}
