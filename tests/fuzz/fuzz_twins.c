/* fuzz_twins.c: the SIMD kernels against their portable C twins on whole
 * models.  A model that loads is run on the same input through the
 * dispatched kernels of each SIMD level the CPU and the build have (AMX,
 * AVX-512, AVX2: cpu_mask allowing each in turn) on 1 to 3 threads, and
 * through the C twins (cpu_mask 0) on 1.
 * When no step runs a float kernel, the outputs must be byte-identical:
 * the quantised kernels follow TFLite's integer arithmetic exactly, and
 * the thread count never changes a result.  A described float model (see
 * below) must give every output within a tolerance of the C twins' (the
 * fast kernels sum in other orders, AMX in int8 slices; see
 * float_mismatch ()), and the same bytes on 1 thread as on several.  A difference
 * aborts, which the fuzzer and the replay test report as a crash.
 *
 * An input is either a model file (TFLite's "TFL3" at offset 4: the real
 * models, and the tflite corpus) or a description of a one-op model, or of
 * an inverted residual block (expansion, depthwise, projection and ADD,
 * which runs band by band when its expanded tensor is big enough), that
 * tests/common/tflite_builder writes: op, type, shape, kernel, stride,
 * padding, activation, scales (so the requantisation multiplier, its shift
 * and the requantisation form), zero points, weight seed and thread count;
 * see describe ().  The kernel tests draw random shapes; here the fuzzer
 * steers them, and every description is a valid model.  A model file may
 * hold any float weights, whose overflows the kernels may order
 * differently, so its float outputs are not compared.  Seeds:
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

/* The model a description asks for (NULL: out of memory), the thread
 * count for the dispatched run, and for a float model the most products
 * an output's sums take (0 for a quantised one).  Bytes, in order (missing ones read
 * as 0): op (0 conv, 1 depthwise, 2 fully connected, 3 ADD, 4 residual
 * tail, 5 inverted residual block), type (0 uint8, 1 int8, 2 int8 per
 * channel, 3 float32), input scale (e, f), output scale (e, f), input and
 * output zero point, weight seed (4), threads, activation, padding,
 * stride, height, width, channels (2), output channels (2), kernel height
 * and width; a residual tail then its ADD's activation and whether the
 * sum is read twice; a block then its expanded channels (2) and a byte
 * whose bit 0 adds the residual ADD (stride 1, SAME, output channels =
 * channels) and bit 1 makes the expansion V2's first layer (3x3, stride
 * 2).  Each is taken modulo its number of choices; float models ignore
 * the scales and zero points; gen_seeds.c writes the seeds. */
static tb_model *
describe (fz_reader *r, int *threads, int *float_terms)
{
  static const int types[4] = { TFL_TYPE_UINT8, TFL_TYPE_INT8, TFL_TYPE_INT8, TFL_TYPE_FLOAT32 };
  static const int acts[4] = { TFL_ACT_NONE, TFL_ACT_RELU, TFL_ACT_RELU6, TFL_ACT_RELU_N1_TO_1 };
  const int op = (int) (fz_u8 (r) % 6);
  const int type_pick = (int) (fz_u8 (r) % 4);
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
  int padding = fz_u8 (r) % 2 ? TFL_PADDING_VALID : TFL_PADDING_SAME;
  int stride = 1 + (int) (fz_u8 (r) % 2);
  int h = 1 + (int) (fz_u8 (r) % 40), w = 1 + (int) (fz_u8 (r) % 40);
  const int c = 1 + (int) (fz_u16 (r) % 200);
  int cout = 1 + (int) (fz_u16 (r) % 200);
  const int kh = 1 + (int) (fz_u8 (r) % 5), kw = 1 + (int) (fz_u8 (r) % 5);
  int mid = 0, flags = 0;
  if (op == 5) {
    mid = 1 + (int) (fz_u16 (r) % 200);
    flags = fz_u8 (r);
    if (flags & 1) {   /* TFLite's residual ADD needs equal shapes */
      stride = 1;
      padding = TFL_PADDING_SAME;
      cout = c;
      flags &= ~2;
    }
  }
  /* at most about 4M multiply-accumulates: a run stays well under a
   * second with the sanitizers and the C twins (a block with V2's first
   * layer works on a quarter of its input's pixels) */
  const long per_pixel = op == 0 ? (long) c * cout * kh * kw
                         : op == 5 ? (flags & 2 ? (long) mid * (c * 9 + 9 + cout) / 4
                                                : (long) mid * (c + 9 + cout))
                                   : (long) c * kh * kw;
  while ((long) h * w * per_pixel > (4l << 20) && (h > 1 || w > 1)) {
    h = (h + 1) / 2;
    w = (w + 1) / 2;
  }
  const int terms = op == 0 ? c * kh * kw
                    : op == 1 ? kh * kw
                    : op == 2 || op == 4 ? c
                    : op == 3 ? 1
                              : (c * (flags & 2 ? 9 : 1) > mid ? c * (flags & 2 ? 9 : 1) : mid);
  *float_terms = types[type_pick] == TFL_TYPE_FLOAT32 ? (terms > 9 ? terms : 9) : 0;
  switch (op) {
    case 0:
      return tb_conv2d (&q, h, w, c, cout, kh, kw, stride, padding, act);
    case 1:
      return tb_depthwise (&q, h, w, c, kh, kw, stride, padding, act);
    case 2:
      return tb_fully_connected (&q, c, cout, act);
    case 3:
      return tb_add (&q, h, w, c, act);
    case 4: {
      const int add_act = acts[fz_u8 (r) % 4];
      return tb_residual (&q, h, w, c, act, add_act, fz_u8 (r) % 2);
    }
    default:
      return tb_inverted_residual (&q, h, w, c, mid, cout, stride, padding, flags & 1,
                                   flags & 2 ? 3 : 1, flags & 2 ? 2 : 1);
  }
}

/* Float outputs a (dispatched) against b (C twins), whose sums take up to
 * terms products: each within 1e-4 of the largest of b's (at least 1)
 * plus 6e-7 a term.  Described models have weights in [-0.5, 0.5),
 * inputs in [-2, 2) and ReLU6 inside blocks, so a product is at most 3,
 * and two orders of summation differ by a few 1e-8 a term (measured: 6e-5
 * at 5,000 terms, 2.4e-5 when a clamp keeps every output within 1).  A
 * misplaced element, row or tap, or a bias or clamp missed, is off by
 * about a product or more.  Returns the first index out, or -1. */
static long
float_mismatch (const uint8_t *a, const uint8_t *b, size_t n, int terms)
{
  const size_t count = n / sizeof (float);
  float largest = 1.0f;
  for (size_t i = 0; i < count; i++) {
    float y;
    memcpy (&y, b + i * sizeof y, sizeof y);
    if (fabsf (y) > largest)
      largest = fabsf (y);
  }
  for (size_t i = 0; i < count; i++) {
    float x, y;
    memcpy (&x, a + i * sizeof x, sizeof x);
    memcpy (&y, b + i * sizeof y, sizeof y);
    if (!(fabsf (x - y) <= 1e-4f * largest + 6e-7f * (float) terms))   /* NaN fails too */
      return (long) i;
  }
  return -1;
}

/* The dispatched kernels on 1 thread give the bytes out they gave on
 * threads (the float ones too: each element is computed alike whatever
 * the split). */
static void
check_one_thread (const uint8_t *data, size_t size, unsigned cpu_mask, int threads,
                  const uint8_t *out, size_t n, const char *isa)
{
  mn_model *m = NULL;
  uint8_t *one = NULL;
  size_t n1 = 0;
  if (!run_model (data, size, cpu_mask, 1, &m, &one, &n1) || n1 != n
      || memcmp (one, out, n) != 0) {
    fprintf (stderr, "fuzz_twins: the %s kernels give other bytes on 1 thread than on %d\n", isa,
             threads);
    abort ();
  }
  free (one);
  mn_model_unref (&m);
}

/* The dispatched run (fast, a) under cpu_mask against the C twins' (b);
 * aborts on a difference. */
static void
check_level (const uint8_t *data, size_t size, unsigned cpu_mask, const mn_model *fast,
             bool ran_fast, const uint8_t *a, size_t na, bool ran_ref, const uint8_t *b, size_t nb,
             int threads, int float_terms)
{
  const char *isa = fast->kernels.isa;
  if (ran_fast != ran_ref) {
    fprintf (stderr, "fuzz_twins: the %s kernels %s the model, the C twins %s\n", isa,
             ran_fast ? "ran" : "did not run", ran_ref ? "ran" : "did not");
    abort ();
  }
  if (ran_fast && !runs_float_kernels (&fast->plan) && (na != nb || memcmp (a, b, na) != 0)) {
    size_t i = 0;
    while (i < na && i < nb && a[i] == b[i])
      i++;
    fprintf (stderr, "fuzz_twins: %s and C outputs differ (%zu and %zu bytes, first at %zu)\n",
             isa, na, nb, i);
    abort ();
  }
  if (ran_fast && float_terms > 0) {
    const long at = na == nb ? float_mismatch (a, b, na, float_terms) : 0;
    if (at >= 0) {
      fprintf (stderr, "fuzz_twins: %s and C float outputs differ (%zu and %zu bytes, at %ld)\n",
               isa, na, nb, at);
      abort ();
    }
    if (threads > 1)
      check_one_thread (data, size, cpu_mask, threads, a, na, isa);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* every SIMD level, best first: a level's kernels run only when it is
   * the best one allowed, so each gets its own run (on a CPU without a
   * level, its mask gives the best level below, which is then checked
   * once) */
  static const unsigned levels[] = { MN_CPU_ALL, MN_CPU_AVX2 | MN_CPU_AVX512, MN_CPU_AVX2 };
  mn_model *ref = NULL;
  uint8_t *b = NULL, *built = NULL;
  size_t nb = 0;
  int threads = 2;
  int float_terms = 0;
  bool have_ref = false, ran_ref = false;
  const char *checked = "c";   /* the last level compared */

  if (size < 8 || memcmp (data + 4, "TFL3", 4) != 0) {
    fz_reader r = { data, size };
    tb_model *tm = describe (&r, &threads, &float_terms);
    if (!tm)
      return 0;
    built = tb_model_finish (tm, &size);
    tb_model_free (tm);
    if (!built)
      return 0;
    data = built;
  }

  for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
    mn_model *fast = NULL;
    uint8_t *a = NULL;
    size_t na = 0;
    const bool ran_fast = run_model (data, size, levels[l], threads, &fast, &a, &na);
    /* a model that does not load is refused at every level alike (the
     * loader checks it before choosing kernels); below the C twins there
     * is nothing to compare */
    const bool last = !fast || strcmp (fast->kernels.isa, "c") == 0;
    if (!last && strcmp (fast->kernels.isa, checked) != 0) {
      if (!have_ref) {
        ran_ref = run_model (data, size, 0, 1, &ref, &b, &nb);
        have_ref = true;
      }
      check_level (data, size, levels[l], fast, ran_fast, a, na, ran_ref, b, nb, threads,
                   float_terms);
      checked = fast->kernels.isa;
    }
    free (a);
    mn_model_unref (&fast);
    if (last)
      break;
  }
  free (b);
  free (built);
  mn_model_unref (&ref);
  return 0;
}
