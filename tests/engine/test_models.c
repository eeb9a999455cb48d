/* test_models.c: golden classes on the shared models and photos, float vs
 * quantised siblings, thread-count invariance, blocks band by band, the
 * embedding extractor. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_util.h"
#include "mobilenet.h"
#include "model.h"   /* mn_session_run_tensor () */
#include "test_util.h"
#include "tflite_builder.h"

typedef struct {
  const char *file;
  int is_v2;          /* V2 1.0/224 family: the photo goldens apply */
  const char *sibling; /* the quantised parent of a float model */
} model_case;

static const model_case models[] = {
  { "mobilenet_v2_1.0_224_quant.tflite", 1, NULL },
  { "tf2_mobilenet_v2_1.0_224_ptq.tflite", 1, NULL },
  { "mobilenet_v2_1.0_224_float.tflite", 1, "mobilenet_v2_1.0_224_quant.tflite" },
  { "tf2_mobilenet_v2_1.0_224_float.tflite", 1, "tf2_mobilenet_v2_1.0_224_ptq.tflite" },
  { "mobilenet_v1_0.25_128_quant.tflite", 0, NULL },
  { "mobilenet_v1_0.25_128_float.tflite", 0, "mobilenet_v1_0.25_128_quant.tflite" },
  { "mobilenet_v1_0.5_160_quant.tflite", 0, NULL },
  { "mobilenet_v1_0.5_160_float.tflite", 0, "mobilenet_v1_0.5_160_quant.tflite" },
  { "mobilenet_v1_0.75_192_quant.tflite", 0, NULL },
  { "mobilenet_v1_0.75_192_float.tflite", 0, "mobilenet_v1_0.75_192_quant.tflite" },
};

typedef struct {
  const char *bmp;
  int class_id;
  float min_score;    /* 0 = no score requirement */
} photo_case;

/* From ../shared/images/README.md and the engine issue. */
static const photo_case photos[] = {
  { "cat.bmp", 286, 0.5f },
  { "dragonfly.bmp", 320, 0.f },
  { "grace_hopper.bmp", 653, 0.f },
  { "bird.bmp", 20, 0.f },
  { "sunflower.bmp", 986, 0.f },
};

/* A session of model on threads threads with kernels cpu_mask allows. */
static mn_session *
open_session_cpu (const char *model, int threads, unsigned cpu_mask, mn_model **m)
{
  char rel[512];
  snprintf (rel, sizeof rel, "models/%s", model);
  const char *path = tu_shared_path (rel);
  mn_config c;
  mn_config_default (&c);
  c.threads = threads;
  c.cpu_mask = cpu_mask;
  mn_session *s = NULL;
  mn_status st = mn_model_load (path, &c, m);
  if (st == MN_OK)
    st = mn_session_create (*m, &c, &s);
  if (st != MN_OK)
    fprintf (stderr, "  %s: %s\n", path, mn_status_str (st));
  return s;
}

static mn_session *
open_session (const char *model, int threads, mn_model **m)
{
  return open_session_cpu (model, threads, MN_CPU_ALL, m);
}

/* The image at the model's input size: raw .rgb files are used as they are. */
static int
input_for (const char *image, int w, int h, test_image *out)
{
  char rel[512];
  snprintf (rel, sizeof rel, "images/%s", image);
  const char *path = tu_shared_path (rel);
  int rc;
  if (strstr (image, ".rgb")) {
    size_t size = 0;
    out->rgb = tu_read_file (path, &size);
    out->width = w;
    out->height = h;
    rc = out->rgb && size == (size_t) w * h * 3 ? 0 : -1;
  } else {
    test_image full;
    rc = test_image_load_bmp (path, &full);
    if (rc == 0) {
      rc = test_image_resize (&full, w, h, out);
      test_image_free (&full);
    }
  }
  return rc;
}

/* Top-1 of one model on one image, kernels as cpu_mask allows; the scores
 * are copied to *scores. */
static int
classify_cpu (const char *model, const char *image, int threads, unsigned cpu_mask,
              float **scores, int *n)
{
  mn_model *m = NULL;
  mn_session *s = open_session_cpu (model, threads, cpu_mask, &m);
  int top1 = -1;
  if (s) {
    mn_model_info info;
    mn_model_get_info (m, &info);
    test_image img;
    if (input_for (image, info.input_width, info.input_height, &img) == 0) {
      mn_result r;
      if (mn_session_run (s, img.rgb, (size_t) img.width * 3, &r) == MN_OK) {
        mn_class_score best;
        mn_result_top_k (&r, 1, &best);
        top1 = best.class_id;
        if (scores) {
          *scores = malloc (sizeof (float) * (size_t) r.num_classes);
          memcpy (*scores, r.scores, sizeof (float) * (size_t) r.num_classes);
          *n = r.num_classes;
        }
      }
      test_image_free (&img);
    }
  }
  mn_session_destroy (&s);
  mn_model_unref (&m);
  return top1;
}

static int
classify (const char *model, const char *image, int threads, float **scores, int *n)
{
  return classify_cpu (model, image, threads, MN_CPU_ALL, scores, n);
}

static void
test_raw_goldens (void)
{
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    if (!models[i].is_v2)
      continue; /* bird.rgb and sunflower.rgb are 224x224 */
    int bird = classify (models[i].file, "bird.rgb", 0, NULL, NULL);
    int sun = classify (models[i].file, "sunflower.rgb", 0, NULL, NULL);
    CHECK (bird == 20, "%s: bird.rgb is class %d (expected 20)", models[i].file, bird);
    CHECK (sun == 986, "%s: sunflower.rgb is class %d (expected 986)", models[i].file, sun);
  }
}

static void
test_photo_goldens (void)
{
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    if (!models[i].is_v2)
      continue;
    for (size_t p = 0; p < sizeof photos / sizeof photos[0]; p++) {
      float *scores = NULL;
      int n = 0;
      int top1 = classify (models[i].file, photos[p].bmp, 0, &scores, &n);
      float score = top1 >= 0 ? scores[top1] : 0.f;
      CHECK (top1 == photos[p].class_id && score > photos[p].min_score,
                  "%s: %s is class %d (%.3f) (expected %d above %.2f)", models[i].file,
                  photos[p].bmp, top1, score, photos[p].class_id, photos[p].min_score);
      free (scores);
    }
  }
}

/* A float model's top-1 equals its quantised parent's, or is one of the
 * parent's exactly tied top classes. */
static void
test_float_matches_quant (void)
{
  const char *images[] = { "bird.bmp", "cat.bmp", "sunflower.bmp", "dragonfly.bmp",
                           "grace_hopper.bmp" };
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    if (!models[i].sibling)
      continue;
    for (size_t k = 0; k < sizeof images / sizeof images[0]; k++) {
      float *qs = NULL;
      int n = 0;
      int f1 = classify (models[i].file, images[k], 0, NULL, NULL);
      int q1 = classify (models[i].sibling, images[k], 0, &qs, &n);
      int tied = q1 >= 0 && f1 >= 0 && f1 < n && qs[f1] == qs[q1];
      CHECK (f1 == q1 || tied, "%s on %s: float top-1 %d, quantised top-1 %d",
                  models[i].file, images[k], f1, q1);
      free (qs);
    }
  }
}

static void
test_thread_invariance (void)
{
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    float *ref = NULL;
    int n = 0;
    classify (models[i].file, "bird.bmp", 1, &ref, &n);
    for (int threads = 2; threads <= 3; threads++) {
      float *got = NULL;
      int m = 0;
      classify (models[i].file, "bird.bmp", threads, &got, &m);
      CHECK (ref && got && n == m && memcmp (ref, got, sizeof (float) * (size_t) n) == 0,
                  "%s: %d threads give the same output as 1", models[i].file, threads);
      free (got);
    }
    free (ref);
  }
}

/* Every kernel level the CPU has gives the same output: the 8-bit models
 * byte for byte whatever the level (C twins, AVX2, AVX-512 with the VNNI
 * GEMM on its own weight layout, AMX on the same layout), the float ones
 * bit for bit between AVX2 and AVX-512 (the same FMAs in the same order)
 * and within 1e-4 of the C twins at every level, AMX's (its tile products
 * on split weights in the 14x14 and 7x7 layers) too, the same top-1.  On a
 * CPU without AVX-512 or AMX the last levels repeat the one below; the
 * kernel tests say which ran. */
static void
test_cpu_levels (void)
{
  static const unsigned masks[] = { 0, MN_CPU_AVX2, MN_CPU_AVX2 | MN_CPU_AVX512, MN_CPU_ALL };
  static const char *names[] = { "C", "AVX2", "AVX-512", "best" };
  enum { LEVELS = sizeof masks / sizeof masks[0] };
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    const bool quant = strstr (models[i].file, "quant") || strstr (models[i].file, "ptq");
    float *out[LEVELS] = { NULL };
    int n[LEVELS] = { 0 }, top[LEVELS];
    for (int l = 0; l < LEVELS; l++)
      top[l] = classify_cpu (models[i].file, "bird.bmp", 1, masks[l], &out[l], &n[l]);
    for (int l = 1; l < LEVELS; l++) {
      bool same = out[0] && out[l] && n[0] == n[l] && top[0] == top[l];
      if (same && (quant || l == 2))
        same = memcmp (out[quant ? 0 : 1], out[l], sizeof (float) * (size_t) n[0]) == 0;
      float worst = 0.f;
      for (int j = 0; same && j < n[0]; j++)
        worst = fmaxf (worst, fabsf (out[0][j] - out[l][j]));
      CHECK (same && worst <= 1e-4f, "%s: the %s kernels give %s the C twins' output (top-1 %d "
             "and %d, worst score difference %g)", models[i].file, names[l],
             quant ? "exactly" : "within 1e-4 of", top[0], top[l], (double) worst);
    }
    for (int l = 0; l < LEVELS; l++)
      free (out[l]);
  }
}

/* One session run again and again: the threads' shares move with their
 * measured speed (thread_shares.h), so the steps' splits change from run
 * to run (3 threads on this 2-core machine: a lot), and the output must
 * not. */
static void
test_moving_shares (void)
{
  const char *files[] = { "mobilenet_v2_1.0_224_quant.tflite",
                          "mobilenet_v2_1.0_224_float.tflite" };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    float *ref = NULL;
    int n = 0;
    classify (files[i], "bird.bmp", 1, &ref, &n);
    mn_model *m = NULL;
    mn_session *s = open_session (files[i], 3, &m);
    test_image img = { 0 };
    int same = 0, runs = 40;
    if (ref && s && input_for ("bird.bmp", 224, 224, &img) == 0)
      for (int r = 0; r < runs; r++) {
        mn_result res;
        same += mn_session_run (s, img.rgb, 224 * 3, &res) == MN_OK && res.num_classes == n
                && memcmp (res.scores, ref, sizeof (float) * (size_t) n) == 0;
      }
    CHECK (same == runs, "%s: %d of %d runs at 3 threads, shares moving, give the 1-thread output",
           files[i], same, runs);
    test_image_free (&img);
    mn_session_destroy (&s);
    mn_model_unref (&m);
    free (ref);
  }
}

/* The V2 networks with their blocks run band by band (fused_blocks.h): by
 * default (14: all but the three 7x7 ones, float and 8-bit alike), all 17
 * (the 16 expansions' and the first layer's) in one-row bands, and layer
 * by layer, at 1 to 3 threads: the same output bytes. */
static void
test_fused_blocks (void)
{
  const mn_fusing fusings[] = { { SIZE_MAX, 0 },
                                { MN_FUSE_MIN_ELEMENTS, MN_FUSE_BAND_BYTES },
                                { 0, 1 } };
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    if (!models[i].is_v2)
      continue;
    mn_model *m = NULL;
    mn_session *ref_session = open_session (models[i].file, 1, &m);
    test_image img = { 0 };
    mn_result r;
    uint8_t *ref = NULL;
    size_t size = 0;
    if (ref_session && input_for ("bird.bmp", 224, 224, &img) == 0
        && mn_session_run (ref_session, img.rgb, 224 * 3, &r) == MN_OK) {
      size = (size_t) r.num_classes * (r.raw_type == MN_DTYPE_FLOAT32 ? 4 : 1);
      ref = malloc (size);
      memcpy (ref, r.raw, size);
    }
    for (size_t f = 0; ref && f < sizeof fusings / sizeof fusings[0]; f++)
      for (int threads = 1; threads <= 3; threads++) {
        mn_config c;
        mn_config_default (&c);
        c.threads = threads;
        mn_session *s = NULL;
        bool same = mn_session_create_fusing (m, &c, &fusings[f], &s) == MN_OK
                    && mn_session_run (s, img.rgb, 224 * 3, &r) == MN_OK
                    && memcmp (r.raw, ref, size) == 0;
        const int blocks = mn_session_fused_blocks (s);
        const int want_min = f == 0 ? 0 : f == 1 ? 14 : 17, want_max = want_min;
        CHECK (same && blocks >= want_min && blocks <= want_max,
               "%s, %d threads, %s: %d blocks band by band, the same output bytes",
               models[i].file, threads,
               f == 0 ? "layer by layer" : f == 1 ? "the default blocks" : "every block, 1-row bands",
               blocks);
        mn_session_destroy (&s);
      }
    CHECK (ref != NULL, "%s: classifies bird.bmp", models[i].file);
    /* the public switch: mn_config.fuse_blocks */
    for (int fuse = 0; fuse <= 1; fuse++) {
      mn_config c;
      mn_config_default (&c);
      c.fuse_blocks = fuse;
      mn_session *s = NULL;
      const bool made = mn_session_create (m, &c, &s) == MN_OK;
      const int blocks = mn_session_fused_blocks (s);
      CHECK (made && (fuse ? blocks > 0 : blocks == 0),
             "%s: mn_config.fuse_blocks = %d gives %d blocks band by band", models[i].file, fuse,
             blocks);
      mn_session_destroy (&s);
    }
    free (ref);
    test_image_free (&img);
    mn_session_destroy (&ref_session);
    mn_model_unref (&m);
  }
}

static void
test_embedding_extractor (void)
{
  mn_model *m = NULL;
  mn_session *s = open_session ("mobilenet_v1_1.0_224_quant_embedding_extractor.tflite", 0, &m);
  CHECK (s != NULL, "the embedding extractor loads");
  if (!s)
    return;
  mn_model_info info;
  mn_model_get_info (m, &info);
  test_image img;
  mn_result r = { 0 };
  int ok = input_for ("bird.rgb", info.input_width, info.input_height, &img) == 0 &&
           mn_session_run (s, img.rgb, (size_t) img.width * 3, &r) == MN_OK;
  int nonzero = 0;
  for (int i = 0; ok && i < r.num_classes; i++)
    nonzero += r.scores[i] != 0.f;
  CHECK (ok && r.num_classes == 1024 && r.raw_type == MN_DTYPE_UINT8 && nonzero > 100,
              "embedding: %d values (%d non-zero), type %s", r.num_classes, nonzero,
              mn_dtype_str (r.raw_type));
  if (ok)
    test_image_free (&img);
  mn_session_destroy (&s);
  mn_model_unref (&m);
}

static void
test_model_facts (void)
{
  mn_model *m = NULL;
  mn_session *s = open_session ("mobilenet_v2_1.0_224_quant.tflite", 1, &m);
  CHECK (s != NULL, "v2 quant loads");
  if (!s)
    return;
  mn_model_info info;
  mn_model_get_info (m, &info);
  /* MobileNetV2 1.0/224: ~300M MACs, 3.4-3.5M parameters */
  CHECK (info.input_width == 224 && info.input_height == 224 && info.num_classes == 1001,
              "v2 quant: %dx%d input, %d classes", info.input_width, info.input_height,
              info.num_classes);
  CHECK (info.total_macs > 290000000ull && info.total_macs < 310000000ull,
              "v2 quant: %llu MACs (expected about 300M)", (unsigned long long) info.total_macs);
  CHECK (info.total_params > 3300000ull && info.total_params < 3600000ull,
              "v2 quant: %llu parameters (expected about 3.4M)",
              (unsigned long long) info.total_params);
  /* wrong stride is an error, not a crash */
  uint8_t px[3] = { 0 };
  mn_result r;
  CHECK (mn_session_run (s, px, 3, &r) == MN_ERR_INVALID_ARG, "a too-small stride is refused");
  mn_session_destroy (&s);
  mn_model_unref (&m);
}

/* A float 1x1 layer the sliced layout suits goes on it where the table
 * has the kernel, unless a weight is infinite or NaN: then the plain
 * layout, which keeps float's rules (an infinite weight gives infinite
 * sums, clamped by ReLU6 to 6, where the sliced scheme would give NaN). */
static void
test_sliced_layout_refuses_nonfinite (void)
{
  tb_quant q = tb_quant_default (TFL_TYPE_FLOAT32);
  const int h = 8, w = 8, c = 64;
  for (int bad = 0; bad < 2; bad++) {
    tb_model *tm = tb_conv2d (&q, h, w, c, c, 1, 1, 1, TFL_PADDING_VALID, TFL_ACT_RELU6);
    float *weights = malloc ((size_t) c * c * sizeof (float));
    for (int i = 0; i < c * c; i++)
      weights[i] = (float) ((i * 37) % 101 - 50) / 256.0f;
    if (bad)
      weights[5 * c + 7] = INFINITY;   /* channel 5, input channel 7 */
    tb_tensor_data (tm, 1, weights, (size_t) c * c * sizeof (float));
    size_t size = 0;
    uint8_t *file = tb_model_finish (tm, &size);
    mn_config cfg;
    mn_config_default (&cfg);
    cfg.threads = 1;
    mn_model *m = NULL;
    mn_session *s = NULL;
    CHECK (file && mn_model_load_memory (file, size, &cfg, &m) == MN_OK
               && mn_session_create (m, &cfg, &s) == MN_OK,
           "1x1 float model (%s) loads", bad ? "an infinite weight" : "finite weights");
    if (s) {
      const mn_kernel_table *kt = &m->kernels;
      const mn_step *st = &m->plan.steps[0];
      CHECK (st->kind == MN_STEP_F32_GEMM && st->sliced == (kt->f32_gemm_sliced && !bad),
             "%s on %s kernels: %s layout", bad ? "an infinite weight" : "finite weights",
             kt->isa, st->sliced ? "sliced" : "plain");
      float *in = malloc ((size_t) h * w * c * sizeof (float));
      for (int i = 0; i < h * w * c; i++)
        in[i] = (float) (i % 13) / 13.0f + 0.01f;
      mn_result r;
      const size_t bytes = (size_t) h * w * c * sizeof (float);
      const bool ran = mn_session_run_tensor (s, in, bytes, &r) == MN_OK
                       && r.raw_type == MN_DTYPE_FLOAT32 && r.num_classes == h * w * c;
      CHECK (ran, "the 1x1 float model runs");
      const float *out = ran ? r.raw : in;
      int finite = 0;
      for (int i = 0; i < h * w * c && ran; i++)
        finite += isfinite (out[i]) && out[i] >= 0.0f && out[i] <= 6.0f;
      free (in);
      /* channel 5 of every pixel: the infinite weight times a positive
       * input, clamped to 6 */
      CHECK (ran && finite == h * w * c && (!bad || out[5] == 6.0f),
             "outputs within ReLU6 (%d of %d), channel 5 %g", finite, h * w * c,
             ran ? out[5] : 0.0f);
    }
    mn_session_destroy (&s);
    mn_model_unref (&m);
    free (file), free (weights);
    tb_model_free (tm);
  }
}

/* The planner lays the weights out for the kernel table it got: the 8-bit
 * steps' requantisation prepared where the table can (the SIMD twins'
 * shortcut past the per-call scan), the float 1x1 layers
 * mn_f32_gemm_sliced_suits () on sliced weights exactly where the table has
 * the sliced kernel, and none below AMX. */
static void
test_kernel_layouts (void)
{
  static const unsigned masks[] = { 0, MN_CPU_AVX2 | MN_CPU_AVX512, MN_CPU_ALL };
  static const char *files[] = { "mobilenet_v2_1.0_224_quant.tflite",
                                 "mobilenet_v2_1.0_224_float.tflite" };
  for (size_t mi = 0; mi < sizeof masks / sizeof masks[0]; mi++)
    for (size_t fi = 0; fi < 2; fi++) {
      mn_model *m = NULL;
      mn_session *s = open_session_cpu (files[fi], 1, masks[mi], &m);
      CHECK (s != NULL, "%s loads (cpu mask %#x)", files[fi], masks[mi]);
      if (!s)
        continue;
      const mn_kernel_table *kt = &m->kernels;
      int unprepared = 0, wrong_layout = 0, sliced = 0, dw = 0, dw_blocks = 0;
      int projections = 0, plain_projections = 0, sparse = 0;
      for (int i = 0; i < m->plan.num_steps; i++) {
        const mn_step *st = &m->plan.steps[i];
        const bool q8 = st->kind == MN_STEP_Q8_CONV || st->kind == MN_STEP_Q8_DWCONV
                        || st->kind == MN_STEP_Q8_GEMM || st->kind == MN_STEP_Q8_GEMV;
        unprepared += q8 && (st->rq.prepared > 0) != (kt->q8_requant_prepare != NULL);
        const bool suits = st->kind == MN_STEP_F32_GEMM && kt->f32_gemm_sliced
                           && mn_f32_gemm_sliced_suits (st->m, st->n, st->k);
        wrong_layout += st->sliced != suits;
        sliced += st->sliced;
        dw += st->kind == MN_STEP_Q8_DWCONV;
        dw_blocks += st->dw_blocks != NULL;
        /* a float projection: the 1x1 layer after a depthwise one */
        const bool projection = st->kind == MN_STEP_F32_GEMM && i > 0
                                && m->plan.steps[i - 1].kind == MN_STEP_F32_DWCONV;
        projections += projection;
        plain_projections += projection && !st->sliced;
        sparse += st->sparse;
      }
      /* the inputs of V2's 17 projections are ReLU6 outputs, and no other
       * 1x1 layer's: those not on sliced weights run on the sparse GEMM
       * where the table has it */
      const int expected_sparse = kt->f32_gemm_sparse ? plain_projections : 0;
      CHECK (projections == (fi == 1 ? 17 : 0) && sparse == expected_sparse,
             "%s on %s kernels: %d of %d float projections on the sparse GEMM, expected %d",
             files[fi], kt->isa, sparse, projections, expected_sparse);
      /* every V2 depthwise layer has 32 channels or more: all on blocks
       * made at load where the table makes them, none elsewhere */
      const int expected_blocks = kt->q8_dwconv_make_blocks ? dw : 0;
      CHECK (dw_blocks == expected_blocks, "%s on %s kernels: %d of %d 8-bit depthwise steps on "
             "blocks made at load, expected %d", files[fi], kt->isa, dw_blocks, dw,
             expected_blocks);
      CHECK (unprepared == 0 && wrong_layout == 0,
             "%s on %s kernels: %d 8-bit steps prepared otherwise than the table can, %d float "
             "steps on the wrong weight layout", files[fi], kt->isa, unprepared, wrong_layout);
      /* V2 float's 1x1 layers of 64 channels or more and 64 k or more:
       * 14 at 14x14, 8 at 7x7 */
      const int expected = fi == 1 && kt->f32_gemm_sliced ? 22 : 0;
      CHECK (sliced == expected, "%s on %s kernels: %d layers on sliced weights, expected %d",
             files[fi], kt->isa, sliced, expected);
      mn_session_destroy (&s);
      mn_model_unref (&m);
    }
}

/* A depthwise step without its blocks (their memory refused at load) runs
 * on the packed panels instead, with the same output: TF2 int8 on bird, 2
 * threads, before and after freeing every step's blocks. */
static void
test_dw_blocks_optional (void)
{
  mn_model *m = NULL;
  mn_session *s = open_session ("tf2_mobilenet_v2_1.0_224_ptq.tflite", 2, &m);
  CHECK (s != NULL, "TF2 int8 loads");
  if (!s)
    return;
  test_image img;
  CHECK (input_for ("bird.rgb", 224, 224, &img) == 0, "bird.rgb reads");
  mn_result r;
  float *before = NULL;
  int n = 0, freed = 0;
  if (mn_session_run (s, img.rgb, 224 * 3, &r) == MN_OK) {
    n = r.num_classes;
    before = malloc (sizeof (float) * (size_t) n);
    memcpy (before, r.scores, sizeof (float) * (size_t) n);
  }
  for (int i = 0; i < m->plan.num_steps; i++) {
    mn_step *st = &m->plan.steps[i];
    freed += st->dw_blocks != NULL;
    mn_huge_free (&m->plan.weights, st->dw_blocks);
    st->dw_blocks = NULL;
  }
  const bool same = before && mn_session_run (s, img.rgb, 224 * 3, &r) == MN_OK
                    && r.num_classes == n && memcmp (before, r.scores, sizeof (float) * (size_t) n) == 0;
  CHECK (same && (freed > 0) == (m->kernels.q8_dwconv_make_blocks != NULL),
         "TF2 int8 on %s kernels: the same scores with %d depthwise steps' blocks freed",
         m->kernels.isa, freed);
  free (before);
  test_image_free (&img);
  mn_session_destroy (&s);
  mn_model_unref (&m);
}

/* mean/std from the config replace the default (x - 127.5) / 127.5 of a
 * float model; NaN keeps the model's own. */
static void
test_normalization_override (void)
{
  const char *model = "mobilenet_v2_1.0_224_float.tflite";
  char rel[256];
  snprintf (rel, sizeof rel, "models/%s", model);
  size_t size = 0;
  uint8_t *rgb = tu_read_file (tu_shared_path ("images/bird.rgb"), &size);
  float first[3] = { 0 };
  for (int variant = 0; variant < 3 && rgb; variant++) {
    mn_config c;
    mn_config_default (&c);
    if (variant == 1) {
      c.input_mean = 127.5f;
      c.input_std = 127.5f;
    } else if (variant == 2) {
      c.input_mean = 0.f;
      c.input_std = 255.f;
    }
    mn_model *m = NULL;
    mn_session *s = NULL;
    mn_result r;
    if (mn_model_load (tu_shared_path (rel), &c, &m) == MN_OK &&
        mn_session_create (m, &c, &s) == MN_OK && mn_session_run (s, rgb, 224 * 3, &r) == MN_OK)
      first[variant] = r.scores[20];
    mn_session_destroy (&s);
    mn_model_unref (&m);
  }
  CHECK (first[0] > 0.5f && first[0] == first[1],
         "explicit mean/std 127.5 equal the default (%g, %g)", first[0], first[1]);
  CHECK (first[2] != first[0], "mean 0 / std 255 changes the input (%g vs %g)", first[2],
         first[0]);
  mn_config c;
  mn_config_default (&c);
  c.input_std = 0.f;
  mn_model *m = NULL;
  mn_session *s = NULL;
  CHECK (mn_model_load (tu_shared_path (rel), &c, &m) == MN_OK &&
             mn_session_create (m, &c, &s) == MN_ERR_INVALID_ARG && s == NULL,
         "std 0 is refused at session creation");
  mn_model_unref (&m);
  free (rgb);
}

/* Raw output bytes of one run of bird.rgb through a loaded model. */
static int
run_bird (mn_model *m, uint8_t *raw, size_t cap, size_t *len)
{
  mn_session *s = NULL;
  test_image img = { 0 };
  mn_result r;
  int rc = -1;
  if (mn_session_create (m, NULL, &s) == MN_OK
      && input_for ("bird.rgb", 224, 224, &img) == 0
      && mn_session_run (s, img.rgb, 224 * 3, &r) == MN_OK) {
    *len = (size_t) r.num_classes * (r.raw_type == MN_DTYPE_FLOAT32 ? 4 : 1);
    if (*len <= cap) {
      memcpy (raw, r.raw, *len);
      rc = 0;
    }
  }
  test_image_free (&img);
  mn_session_destroy (&s);
  return rc;
}

/* mn_model_load_memory borrows constants that are aligned in the caller's
 * buffer and copies the others: from a file, from memory and from memory
 * one byte off (every float constant misaligned) the outputs are the same
 * bytes. */
static void
test_load_memory_alignment (void)
{
  static const char *files[] = { "mobilenet_v2_1.0_224_float.tflite",
                                 "mobilenet_v2_1.0_224_quant.tflite",
                                 "tf2_mobilenet_v2_1.0_224_ptq.tflite" };
  static uint8_t ref[4004], got[4004];
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    char rel[256];
    size_t size = 0, ref_len = 0, got_len = 0;
    snprintf (rel, sizeof rel, "models/%s", files[f]);
    uint8_t *data = tu_read_shared (rel, &size);
    mn_model *m = NULL;
    bool ok = data && mn_model_load (tu_shared_path (rel), NULL, &m) == MN_OK
              && run_bird (m, ref, sizeof ref, &ref_len) == 0;
    mn_model_unref (&m);
    CHECK (ok, "%s: loads from its file and runs", files[f]);
    for (size_t off = 0; ok && off < 2; off++) {
      uint8_t *buf = malloc (size + 16);
      /* malloc is 16-aligned: off 0 keeps the file's alignment, 1 breaks it */
      memcpy (buf + off, data, size);
      bool run = mn_model_load_memory (buf + off, size, NULL, &m) == MN_OK;
      memset (buf, 0xA5, size + 16);   /* nothing may still point into it */
      free (buf);
      run = run && run_bird (m, got, sizeof got, &got_len) == 0;
      mn_model_unref (&m);
      CHECK (run && got_len == ref_len && memcmp (got, ref, ref_len) == 0,
             "%s: loaded from memory at offset %zu, the output bytes equal the file's",
             files[f], off);
    }
    free (data);
  }
}

/* The output bytes of an image given to mn_session_run () (the input's
 * first QUANTIZE / REQUANTIZE step then fused into the writing of the
 * image) and of the same input tensor given to mn_session_run_tensor ()
 * (the step run): 0 when they are equal. */
static int
fused_vs_tensor (mn_model *m, const mn_config *c, const uint8_t *rgb, int w, const void *tensor,
                 size_t tensor_bytes)
{
  static uint8_t fused[4004];
  mn_session *s = NULL;
  mn_result r;
  int rc = -1;
  if (mn_session_create (m, c, &s) == MN_OK && mn_session_run (s, rgb, (size_t) w * 3, &r) == MN_OK
      && (size_t) r.num_classes <= sizeof fused) {
    const size_t n = (size_t) r.num_classes * (r.raw_type == MN_DTYPE_FLOAT32 ? 4 : 1);
    memcpy (fused, r.raw, n);
    if (mn_session_run_tensor (s, tensor, tensor_bytes, &r) == MN_OK)
      rc = memcmp (fused, r.raw, n) == 0 ? 0 : 1;
  }
  mn_session_destroy (&s);
  return rc;
}

/* x [1,4,5,3] of in_type (uint8: scale 1, zero point 0) -> QUANTIZE -> y
 * of out_type (scale 0.75, zero point -3 or 10): the model's only step.
 * With reshape_reader (uint8 only), also RESHAPE x -> r (the same storage)
 * and ADD (y, r): the input has another reader, so nothing is fused. */
static mn_model *
quantize_model (int in_type, int out_type, bool reshape_reader)
{
  tb_model *tm = tb_model_new ();
  int32_t d[4] = { 1, 4, 5, 3 };
  int x = tb_tensor (tm, "x", in_type, 4, d);
  int y = tb_tensor (tm, "y", out_type, 4, d);
  if (in_type != TFL_TYPE_FLOAT32)
    tb_tensor_quant1 (tm, x, 1.f, 0);
  tb_tensor_quant1 (tm, y, 0.75f, out_type == TFL_TYPE_INT8 ? -3 : 10);
  tb_op1 (tm, TFL_OP_QUANTIZE, x, y);
  int out = y;
  if (reshape_reader) {
    const int32_t sd[1] = { 4 };
    int shape = tb_const (tm, "shape", TFL_TYPE_INT32, 1, sd, d, sizeof d);
    int r = tb_tensor (tm, "r", in_type, 4, d);
    tb_tensor_quant1 (tm, r, 1.f, 0);
    tb_op2 (tm, TFL_OP_RESHAPE, x, shape, r);
    out = tb_tensor (tm, "sum", out_type, 4, d);
    tb_tensor_quant1 (tm, out, 2.f, 5);
    tb_op2 (tm, TFL_OP_ADD, y, r, out);
  }
  tb_io (tm, x, out);
  size_t size;
  uint8_t *file = tb_model_finish (tm, &size);
  tb_model_free (tm);
  mn_model *m = NULL;
  if (file && mn_model_load_memory (file, size, NULL, &m) != MN_OK)
    m = NULL;
  free (file);
  return m;
}

/* A first QUANTIZE (float input) or REQUANTIZE (8-bit input) step is
 * fused into the writing of an image; its output bytes equal the step's
 * own on the same input tensor: one-step models, fed pixels unchanged
 * (mean 0, std 1, input scale 1), with every byte value, at 1 and 2
 * threads (and one whose input a RESHAPE also reads: not fused); and
 * TF2's int8 model, whose uint8 -> int8 first step is the identity in the
 * uint8 domain, on two photos (its default normalisation
 * feeds the pixels unchanged: scale 1/127.5, zero point 127). */
static void
test_fused_input_quantize (void)
{
  static const int types[][3] = { { TFL_TYPE_UINT8, TFL_TYPE_INT8, 0 },
                                  { TFL_TYPE_FLOAT32, TFL_TYPE_UINT8, 0 },
                                  { TFL_TYPE_FLOAT32, TFL_TYPE_INT8, 0 },
                                  { TFL_TYPE_UINT8, TFL_TYPE_UINT8, 1 } };
  for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
    mn_model *m = quantize_model (types[t][0], types[t][1], types[t][2]);
    CHECK (m != NULL, "QUANTIZE model %zu loads", t);
    if (!m)
      continue;
    for (int round = 0; round < 5; round++) {
      uint8_t rgb[60];
      float f[60];
      for (int i = 0; i < 60; i++) {
        rgb[i] = (uint8_t) (round * 60 + i) % 256;   /* every byte value over 5 rounds */
        f[i] = rgb[i];
      }
      const bool f32 = types[t][0] == TFL_TYPE_FLOAT32;
      for (int threads = 1; threads <= 2; threads++) {
        mn_config c;
        mn_config_default (&c);
        c.threads = threads;
        c.input_mean = 0.f;
        c.input_std = 1.f;
        CHECK (fused_vs_tensor (m, &c, rgb, 5, f32 ? (const void *) f : rgb,
                                f32 ? sizeof f : sizeof rgb) == 0,
               "QUANTIZE model %zu, bytes %d-%d, %d threads: image and tensor give the same output",
               t, round * 60, round * 60 + 59, threads);
      }
    }
    mn_model_unref (&m);
  }

  mn_model *m = NULL;
  mn_model_load (tu_shared_path ("models/tf2_mobilenet_v2_1.0_224_ptq.tflite"), NULL, &m);
  CHECK (m != NULL, "tf2 ptq loads");
  const char *images[] = { "bird.rgb", "sunflower.rgb" };
  for (size_t k = 0; m && k < sizeof images / sizeof images[0]; k++) {
    test_image img;
    if (input_for (images[k], 224, 224, &img) != 0) {
      CHECK (false, "%s loads", images[k]);
      continue;
    }
    CHECK (fused_vs_tensor (m, NULL, img.rgb, 224, img.rgb, 224 * 224 * 3) == 0,
           "tf2 ptq on %s: image and tensor give the same output", images[k]);
    test_image_free (&img);
  }
  mn_model_unref (&m);
}

/* The raw output bytes of one run of image rgb (stride bytes a row), or
 * NULL. */
static uint8_t *
run_raw (mn_session *s, const uint8_t *rgb, size_t stride, size_t *size)
{
  mn_result r;
  if (mn_session_run (s, rgb, stride, &r) != MN_OK)
    return NULL;
  *size = (size_t) r.num_classes * (r.raw_type == MN_DTYPE_FLOAT32 ? sizeof (float) : 1);
  uint8_t *out = malloc (*size);
  if (out)
    memcpy (out, r.raw, *size);
  return out;
}

/* Packed rows (which 8-bit models whose input takes the bytes unchanged
 * read in place) and padded rows (copied) give the same output, in either
 * order, and the image is left as it was. */
static void
test_image_strides (void)
{
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    mn_model *m = NULL;
    mn_session *s = open_session (models[i].file, 2, &m);
    mn_model_info info;
    test_image img = { 0 };
    if (!CHECK (s && (mn_model_get_info (m, &info), 1)
                    && input_for ("bird.bmp", info.input_width, info.input_height, &img) == 0,
                "%s and bird.bmp load", models[i].file)) {
      mn_session_destroy (&s);
      mn_model_unref (&m);
      continue;
    }
    const size_t row = (size_t) img.width * 3, padded = row + 7;
    const size_t bytes = row * (size_t) img.height;
    uint8_t *copy = malloc (bytes), *wide = malloc (padded * (size_t) img.height);
    for (int y = 0; copy && wide && y < img.height; y++) {
      memcpy (wide + (size_t) y * padded, img.rgb + (size_t) y * row, row);
      memset (wide + (size_t) y * padded + row, 0xA5, padded - row);
    }
    if (copy)
      memcpy (copy, img.rgb, bytes);
    size_t n0 = 0, n1 = 0, n2 = 0;
    uint8_t *packed = copy && wide ? run_raw (s, img.rgb, row, &n0) : NULL;
    uint8_t *spaced = packed ? run_raw (s, wide, padded, &n1) : NULL;
    uint8_t *again = spaced ? run_raw (s, img.rgb, row, &n2) : NULL;
    CHECK (again && n0 == n1 && n1 == n2 && memcmp (packed, spaced, n0) == 0
               && memcmp (packed, again, n0) == 0 && memcmp (copy, img.rgb, bytes) == 0,
           "%s: packed and padded rows give the same output bytes, the image unchanged",
           models[i].file);
    free (packed);
    free (spaced);
    free (again);
    free (copy);
    free (wide);
    test_image_free (&img);
    mn_session_destroy (&s);
    mn_model_unref (&m);
  }
}

int
main (void)
{
  if (!tu_shared_dir ())
    return tu_finish ();
  test_model_facts ();
  test_kernel_layouts ();
  test_dw_blocks_optional ();
  test_sliced_layout_refuses_nonfinite ();
  test_raw_goldens ();
  test_photo_goldens ();
  test_float_matches_quant ();
  test_thread_invariance ();
  test_cpu_levels ();
  test_moving_shares ();
  test_fused_blocks ();
  test_embedding_extractor ();
  test_normalization_override ();
  test_load_memory_alignment ();
  test_fused_input_quantize ();
  test_image_strides ();
  return tu_finish ();
}
