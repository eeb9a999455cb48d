/* xnnpack_compare.c: our engine and XNNPACK side by side on the same models.
 *
 * For each model and thread count: build both (ours through the public API,
 * XNNPACK from the graph our TFLite reader produced), feed both the same
 * image and check they agree on the top-1 class.  Then time all of the
 * model's engines and thread counts in rounds, a turn of --block runs each
 * (ours at 1 thread, ours at 2, XNNPACK at 1, XNNPACK at 2, ...), until
 * each has had --seconds, so that both the ours / XNNPACK ratios and the
 * thread speed-ups compare runs that shared the machine's load.  Both are
 * set against the machine's FMA bound: the model's multiply-accumulates at
 * the fp32 FMA rate measured in the same run (bench/fma_peak.c).
 *
 *   xnnpack_compare [--threads 1,2] [--seconds S] [--models m1,m2,...]
 *                   [--shared DIR] [--image FILE.rgb] [--min-runs N]
 *                   [--fma-seconds S] [--block N]
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthreadpool.h>

#include "fma_peak.h"
#include "graph.h"
#include "machine.h"
#include "mobilenet.h"
#include "xnn_graph.h"

#ifndef BENCH_SHARED_DIR
#define BENCH_SHARED_DIR "/work/shared"
#endif

#define MAX_MODELS 32
#define MAX_THREADS 8
#define WARMUP_RUNS 2

static const char *const default_models[] = {
  "mobilenet_v2_1.0_224_float",
  "mobilenet_v2_1.0_224_quant",
  "tf2_mobilenet_v2_1.0_224_ptq",
  "mobilenet_v1_0.25_128_quant",
  "mobilenet_v1_0.25_128_float",
  "mobilenet_v1_0.5_160_quant",
  "mobilenet_v1_0.5_160_float",
  "mobilenet_v1_0.75_192_quant",
  "mobilenet_v1_0.75_192_float",
};

typedef struct {
  char *models[MAX_MODELS];
  int num_models;
  int threads[MAX_THREADS];
  int num_threads;
  double seconds;
  int min_runs;
  double fma_seconds;
  int block;              /* timed runs a turn (A x block, B x block, ...) */
  const char *shared;
  const char *image;
  char *models_copy, *threads_copy;   /* owned: the lists point into them */
} options;

/* One row of the final table. */
typedef struct {
  char model[64];
  char precision[32];
  int threads;
  double ours_med, ours_min;
  double xnn_med, xnn_min;     /* NAN when XNNPACK could not run it */
  double bound_ms;
  double others;               /* the machine's CPU time others took while timing */
  /* the model's median at its fewest threads over this row's (NAN in
   * that row), and the median of the run-by-run ratios */
  double ours_speedup, ours_speedup_paired;
  double xnn_speedup, xnn_speedup_paired;
  char top1[48];
  char xnn_note[160];
} row;

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, (size_t) n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double
minimum (const double *v, int n)
{
  double m = INFINITY;
  for (int i = 0; i < n; i++)
    m = v[i] < m ? v[i] : m;
  return m;
}

static void *
read_file (const char *path, size_t *size)
{
  FILE *f = fopen (path, "rb");
  void *data = NULL;
  long len;
  if (!f)
    return NULL;
  if (fseek (f, 0, SEEK_END) == 0 && (len = ftell (f)) > 0 && fseek (f, 0, SEEK_SET) == 0) {
    data = malloc ((size_t) len);
    if (data && fread (data, 1, (size_t) len, f) != (size_t) len) {
      free (data);
      data = NULL;
    }
    *size = (size_t) len;
  }
  fclose (f);
  return data;
}

/* Bilinear resize of packed RGB with pixel centres aligned (half-pixel),
 * or a copy when the sizes match. */
static void
resize_rgb (const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh)
{
  for (int y = 0; y < dh; y++) {
    double fy = ((double) y + 0.5) * sh / dh - 0.5;
    fy = fy < 0 ? 0 : fy > sh - 1 ? sh - 1 : fy;
    int y0 = (int) fy, y1 = y0 + 1 < sh ? y0 + 1 : y0;
    double wy = fy - y0;
    for (int x = 0; x < dw; x++) {
      double fx = ((double) x + 0.5) * sw / dw - 0.5;
      fx = fx < 0 ? 0 : fx > sw - 1 ? sw - 1 : fx;
      int x0 = (int) fx, x1 = x0 + 1 < sw ? x0 + 1 : x0;
      double wx = fx - x0;
      for (int c = 0; c < 3; c++) {
        double a = src[(y0 * sw + x0) * 3 + c], b = src[(y0 * sw + x1) * 3 + c];
        double d = src[(y1 * sw + x0) * 3 + c], e = src[(y1 * sw + x1) * 3 + c];
        double v = (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * d + wx * e);
        dst[(y * dw + x) * 3 + c] = (uint8_t) lrint (v);
      }
    }
  }
}

/* The input image at w x h: the photo (224x224 raw RGB) resized, or a
 * deterministic pattern when it is missing. */
static uint8_t *
make_input (const char *photo, const uint8_t *photo_rgb, int w, int h, bool *is_photo)
{
  uint8_t *img = malloc ((size_t) w * (size_t) h * 3);
  if (!img)
    return NULL;
  *is_photo = photo_rgb != NULL;
  if (photo_rgb) {
    resize_rgb (photo_rgb, 224, 224, img, w, h);
  } else {
    uint32_t s = 12345;
    for (size_t i = 0; i < (size_t) w * (size_t) h * 3; i++) {
      s = s * 1664525u + 1013904223u;
      img[i] = (uint8_t) (((i / 3) % (size_t) w) * 255 / (size_t) w / 2 + (s >> 25));
    }
  }
  (void) photo;
  return img;
}

static int
argmax (const float *v, int n)
{
  int best = 0;
  for (int i = 1; i < n; i++)
    if (v[i] > v[best])
      best = i;
  return best;
}

static char *
model_path (const options *o, const char *name)
{
  size_t len = strlen (o->shared) + strlen (name) + 32;
  char *p = malloc (len);
  if (!p)
    return NULL;
  if (strchr (name, '/'))
    snprintf (p, len, "%s", name);
  else
    snprintf (p, len, "%s/models/%s%s", o->shared, name,
              strstr (name, ".tflite") ? "" : ".tflite");
  return p;
}

static const char *
base_name (const char *path)
{
  const char *s = strrchr (path, '/');
  return s ? s + 1 : path;
}

static void
quiet_log (void *user_data, mn_log_level level, const char *message)
{
  if (level <= MN_LOG_WARNING)
    fprintf (stderr, "  engine: %s\n", message);
}

/* One engine at one thread count, timed in turns with the model's others. */
typedef struct {
  mn_session *sess;        /* ours; NULL in XNNPACK's lanes */
  xg_net *net;             /* XNNPACK; NULL in ours */
  int threads;
  const uint8_t *img;
  size_t stride;
  double *ms;              /* each timed run's wall time */
  int n, cap;
  double sum_ms;
} lane;

static bool
lane_active (const lane *l)
{
  return l->sess || l->net;
}

static void
lane_run (lane *l)
{
  if (l->sess) {
    mn_result res;
    mn_session_run (l->sess, l->img, l->stride, &res);
  } else {
    xg_net_run (l->net, l->img);
  }
}

static bool
lane_grow (lane *l)
{
  const int cap = l->cap ? 2 * l->cap : 1024;
  double *ms = realloc (l->ms, sizeof (double) * (size_t) cap);
  if (!ms)
    return false;
  l->ms = ms;
  l->cap = cap;
  return true;
}

/* Untimed runs of a 1-thread lane until the process's other threads
 * (the workers of the lane before) have stopped spinning: until an 8 ms
 * window of runs costs them under 0.8 ms of CPU time, at most 200 ms.
 * pthreadpool's idle workers spin for about 40 ms, libgomp's for 4. */
static void
lane_settle (lane *l)
{
  const double end = machine_now_ms () + 200.0;
  for (;;) {
    const double p0 = machine_cpu_ms (), s0 = machine_thread_cpu_ms (), w0 = machine_now_ms ();
    do
      lane_run (l);
    while (machine_now_ms () < w0 + 8.0);
    const double others = (machine_cpu_ms () - p0) - (machine_thread_cpu_ms () - s0);
    if (others < 0.8 || machine_now_ms () > end)
      return;
  }
}

/* A turn: block timed runs, after an untimed one when the block is longer
 * than 1 (it meets what the turn before left in the caches), and with 1
 * thread after the other threads have settled. */
static bool
lane_turn (const options *o, lane *l, int block)
{
  if (l->threads == 1)
    lane_settle (l);
  else if (block > 1)
    lane_run (l);
  for (int j = 0; j < block; j++) {
    if (l->n == l->cap && !lane_grow (l))
      return false;
    const double t0 = machine_now_ms ();
    lane_run (l);
    const double t1 = machine_now_ms ();
    l->ms[l->n++] = t1 - t0;
    l->sum_ms += t1 - t0;
  }
  return true;
}

/* Warm-up, then rounds of one turn a lane, in order, until each lane has
 * had o->seconds and o->min_runs.  Every lane takes the same runs a round,
 * so run i of one lane and run i of another shared the machine's load.
 * The lanes go engine by engine (ours at 1 thread, at 2, then XNNPACK at 1,
 * at 2): a turn at several threads then follows its own engine's turn with
 * fewer, never the other engine's idle workers still spinning on the cores
 * it needs (bench/README.md); a 1-thread turn waits for them with untimed
 * runs.  No pause between turns: after any 5-40 ms without inference, even
 * busy with other work, the next 20 V2 runs on this machine were up to
 * 20 % slower. */
static void
time_lanes (const options *o, lane *lanes, int num)
{
  for (int w = 0; w < WARMUP_RUNS; w++)
    for (int i = 0; i < num; i++)
      if (lane_active (&lanes[i]))
        lane_run (&lanes[i]);
  for (;;) {
    bool enough = true;
    for (int i = 0; i < num; i++)
      if (lane_active (&lanes[i]))
        enough &= lanes[i].sum_ms >= o->seconds * 1e3 && lanes[i].n >= o->min_runs;
    if (enough)
      return;
    for (int i = 0; i < num; i++)
      if (lane_active (&lanes[i]) && !lane_turn (o, &lanes[i], o->block))
        return;
  }
}

static void
lane_clear (lane *l)
{
  free (l->ms);
  xg_net_destroy (&l->net);
  mn_session_destroy (&l->sess);
  memset (l, 0, sizeof *l);
}

/* The median of a copy of v[0..n). */
static double
median_of (const double *v, int n)
{
  double *copy = n > 0 ? malloc (sizeof (double) * (size_t) n) : NULL;
  if (!copy)
    return NAN;
  memcpy (copy, v, sizeof (double) * (size_t) n);
  const double m = median (copy, n);
  free (copy);
  return m;
}

/* The median of a's run i over b's run i: the pairs ran in the same round. */
static double
paired_ratio (const lane *a, const lane *b)
{
  const int n = a->n < b->n ? a->n : b->n;
  double *ratio = n > 0 ? malloc (sizeof (double) * (size_t) n) : NULL;
  if (!ratio)
    return NAN;
  for (int i = 0; i < n; i++)
    ratio[i] = a->ms[i] / b->ms[i];
  const double m = median (ratio, n);
  free (ratio);
  return m;
}

/* Builds both engines at r->threads (XNNPACK on *pool, created here when
 * more than one thread) and checks that they agree on the image's top-1;
 * fills r's top-1 and XNNPACK note.  ours->sess stays NULL when ours
 * failed, xnn->net when XNNPACK did. */
static void
prepare_engines (const char *path, const mn_graph *g, mn_model *model, const mn_model_info *info,
                 const uint8_t *img, row *r, lane *ours, lane *xnn, pthreadpool_t *pool)
{
  mn_config cfg;
  mn_result res;
  char why[512] = "";
  const int threads = r->threads;

  snprintf (r->top1, sizeof r->top1, "-");
  ours->threads = xnn->threads = threads;
  ours->img = xnn->img = img;
  ours->stride = xnn->stride = (size_t) info->input_width * 3;
  mn_config_default (&cfg);
  cfg.threads = threads;
  cfg.log = quiet_log;
  mn_status st = mn_session_create (model, &cfg, &ours->sess);
  if (st != MN_OK) {
    printf ("  %s x%d: mn_session_create failed: %s\n", base_name (path), threads,
            mn_status_str (st));
    snprintf (r->top1, sizeof r->top1, "ours failed");
    return;
  }
  if (threads > 1 && !(*pool = pthreadpool_create ((size_t) threads))) {
    snprintf (r->xnn_note, sizeof r->xnn_note, "pthreadpool_create failed");
  } else {
    xnn->net = xg_net_create (g, info->norm_mean, info->norm_std, *pool, why, sizeof why);
    if (!xnn->net) {
      snprintf (r->xnn_note, sizeof r->xnn_note, "n/a (%s)", why);
      printf ("  XNNPACK: n/a (%s)\n", why);
    } else {
      snprintf (r->xnn_note, sizeof r->xnn_note, "%s", xg_net_notes (xnn->net));
    }
  }

  if (mn_session_run (ours->sess, img, ours->stride, &res) != MN_OK) {
    snprintf (r->top1, sizeof r->top1, "ours failed");
    mn_session_destroy (&ours->sess);
    return;
  }
  mn_class_score ours_top;
  mn_result_top_k (&res, 1, &ours_top);
  if (!xnn->net) {
    snprintf (r->top1, sizeof r->top1, "%d (ours)", ours_top.class_id);
    return;
  }
  if (!xg_net_run (xnn->net, img)) {
    snprintf (r->xnn_note, sizeof r->xnn_note, "n/a (xnn_invoke_runtime failed)");
    xg_net_destroy (&xnn->net);
    return;
  }
  int k;
  const float *xs = xg_net_scores (xnn->net, &k);
  const int xt = argmax (xs, k);
  double maxdiff = 0.0;
  for (int i = 0; i < k && i < res.num_classes; i++)
    maxdiff = fmax (maxdiff, fabs ((double) xs[i] - (double) res.scores[i]));
  if (k != res.num_classes) {
    printf ("  !!! MISMATCH: ours has %d classes, XNNPACK %d\n", res.num_classes, k);
    snprintf (r->top1, sizeof r->top1, "MISMATCH (classes)");
  } else if (xt == ours_top.class_id) {
    snprintf (r->top1, sizeof r->top1, "%d = %d", ours_top.class_id, xt);
  } else if (res.scores[xt] == ours_top.score || xs[ours_top.class_id] == xs[xt]) {
    snprintf (r->top1, sizeof r->top1, "%d ~ %d (tie)", ours_top.class_id, xt);
  } else {
    snprintf (r->top1, sizeof r->top1, "MISMATCH %d vs %d", ours_top.class_id, xt);
    printf ("  !!! MISMATCH: top-1 ours %d (%.4f), XNNPACK %d (%.4f); ours at XNNPACK's "
            "class %.4f\n",
            ours_top.class_id, (double) ours_top.score, xt, (double) xs[xt],
            (double) res.scores[xt]);
    fprintf (stderr, "xnnpack_compare: TOP-1 MISMATCH on %s with %d threads\n",
             base_name (path), threads);
  }
  printf ("  %d thread%s: top-1 ours %d (%.4f), XNNPACK %d (%.4f), max |score difference| %.4f\n",
          threads, threads > 1 ? "s" : "", ours_top.class_id, (double) ours_top.score, xt,
          (double) xs[xt], maxdiff);
}

/* r's times from its lanes, the speed-ups from the base (fewest threads)
 * lanes; prints the thread count's line. */
static void
summarise (row *r, const lane *ours, const lane *xnn, const lane *base_ours,
           const lane *base_xnn)
{
  const bool net = xnn->n > 0;
  r->ours_speedup = r->ours_speedup_paired = NAN;
  r->xnn_speedup = r->xnn_speedup_paired = NAN;
  r->xnn_med = r->xnn_min = NAN;
  if (ours->n == 0) {
    r->ours_med = r->ours_min = NAN;
    printf ("  %d thread%s: not timed (%s)\n", r->threads, r->threads > 1 ? "s" : "", r->top1);
    return;
  }
  r->ours_med = median_of (ours->ms, ours->n);
  r->ours_min = minimum (ours->ms, ours->n);
  if (net) {
    r->xnn_med = median_of (xnn->ms, xnn->n);
    r->xnn_min = minimum (xnn->ms, xnn->n);
  }
  if (base_ours != ours && base_ours->n > 0) {
    r->ours_speedup = median_of (base_ours->ms, base_ours->n) / r->ours_med;
    r->ours_speedup_paired = paired_ratio (base_ours, ours);
  }
  if (base_xnn != xnn && base_xnn->n > 0 && net) {
    r->xnn_speedup = median_of (base_xnn->ms, base_xnn->n) / r->xnn_med;
    r->xnn_speedup_paired = paired_ratio (base_xnn, xnn);
  }
  printf ("  %d thread%s: ours median %.2f ms (min %.2f, %d runs)", r->threads,
          r->threads > 1 ? "s" : "", r->ours_med, r->ours_min, ours->n);
  if (net)
    printf (", XNNPACK median %.2f ms (min %.2f, %d runs), ours/XNNPACK %.2fx (paired %.2fx)",
            r->xnn_med, r->xnn_min, xnn->n, r->ours_med / r->xnn_med, paired_ratio (ours, xnn));
  printf (", FMA bound %.3f ms: ours %.1fx of it\n", r->bound_ms, r->ours_med / r->bound_ms);
}

static bool
parse_list (char *arg, char **out, int max, int *count)
{
  *count = 0;
  for (char *tok = strtok (arg, ","); tok; tok = strtok (NULL, ",")) {
    if (*count == max)
      return false;
    out[(*count)++] = tok;
  }
  return *count > 0;
}

static void
usage (FILE *f)
{
  fprintf (f,
           "Usage: xnnpack_compare [--threads 1,2] [--seconds S] [--models m1,m2,...]\n"
           "                       [--shared DIR] [--image FILE.rgb] [--min-runs N]\n"
           "                       [--fma-seconds S] [--block N]\n"
           "  --models    names in DIR/models (with or without .tflite) or paths\n"
           "  --shared    the shared data folder (default $MOBILENET_SHARED_DIR, else %s)\n"
           "  --image     224x224 raw RGB photo, resized to each model (default\n"
           "              DIR/images/bird.rgb; a fixed pattern when missing)\n"
           "  --seconds   minimum timed seconds for each engine (default 3)\n"
           "  --min-runs  minimum timed runs for each engine (default 5)\n"
           "  --block     timed runs an engine takes per turn, after one untimed run\n"
           "              when above 1 (default 20; 1: run by run, A B A B)\n",
           BENCH_SHARED_DIR);
}

static bool
parse_options (int argc, char **argv, options *o)
{
  memset (o, 0, sizeof *o);
  o->seconds = 3.0;
  o->min_runs = 5;
  o->block = 20;
  o->fma_seconds = 1.0;
  o->threads[0] = 1;
  o->threads[1] = 2;
  o->num_threads = 2;
  o->shared = getenv ("MOBILENET_SHARED_DIR");
  if (!o->shared || !*o->shared)
    o->shared = BENCH_SHARED_DIR;
  o->num_models = (int) (sizeof default_models / sizeof default_models[0]);
  for (int i = 0; i < o->num_models; i++)
    o->models[i] = (char *) default_models[i];

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp (a, "--help") || !strcmp (a, "-h")) {
      usage (stdout);
      exit (0);
    }
    if (!v) {
      fprintf (stderr, "xnnpack_compare: %s needs a value\n", a);
      return false;
    }
    i++;
    if (!strcmp (a, "--threads")) {
      char *list[MAX_THREADS];
      free (o->threads_copy);
      char *copy = o->threads_copy = strdup (v);
      if (!copy || !parse_list (copy, list, MAX_THREADS, &o->num_threads)) {
        fprintf (stderr, "xnnpack_compare: --threads %s: need 1 to %d counts\n", v, MAX_THREADS);
        return false;
      }
      for (int t = 0; t < o->num_threads; t++) {
        o->threads[t] = atoi (list[t]);
        if (o->threads[t] < 1 || o->threads[t] > 256) {
          fprintf (stderr, "xnnpack_compare: --threads %s: counts must be 1 to 256\n", v);
          return false;
        }
      }
    } else if (!strcmp (a, "--seconds")) {
      o->seconds = atof (v);
    } else if (!strcmp (a, "--fma-seconds")) {
      o->fma_seconds = atof (v);
    } else if (!strcmp (a, "--min-runs")) {
      o->min_runs = atoi (v);
    } else if (!strcmp (a, "--block")) {
      o->block = atoi (v);
    } else if (!strcmp (a, "--models")) {
      free (o->models_copy);
      char *copy = o->models_copy = strdup (v);
      if (!copy || !parse_list (copy, o->models, MAX_MODELS, &o->num_models)) {
        fprintf (stderr, "xnnpack_compare: --models %s: need 1 to %d names\n", v, MAX_MODELS);
        return false;
      }
    } else if (!strcmp (a, "--shared")) {
      o->shared = v;
    } else if (!strcmp (a, "--image")) {
      o->image = v;
    } else {
      fprintf (stderr, "xnnpack_compare: unknown option %s\n", a);
      usage (stderr);
      return false;
    }
  }
  if (!(o->seconds >= 0.0) || o->min_runs < 1 || o->block < 1) {
    fprintf (stderr, "xnnpack_compare: --seconds must be >= 0 and --min-runs >= 1\n");
    return false;
  }
  return true;
}

static const char *
precision_of (const mn_graph *g)
{
  bool i8 = false, u8 = false, qc = false;
  for (int i = 0; i < g->num_nodes; i++) {
    const mn_node *nd = &g->nodes[i];
    if (nd->op != MN_OP_CONV_2D && nd->op != MN_OP_DEPTHWISE_CONV_2D &&
        nd->op != MN_OP_FULLY_CONNECTED)
      continue;
    const mn_tensor *in = &g->tensors[nd->inputs[0]];
    const mn_tensor *w = &g->tensors[nd->inputs[1]];
    i8 |= in->type == MN_DTYPE_INT8;
    u8 |= in->type == MN_DTYPE_UINT8;
    qc |= w->num_scales > 1;
  }
  return i8 ? (qc ? "qs8 (qc8 w)" : "qs8") : u8 ? "qu8" : "fp32";
}

/* Each engine's speed-up from a model's fewest threads to its other
 * counts: the thread-scaling target, read off the run.  All thread
 * counts of a model are timed in the same rounds, so a change of load
 * meets them alike; "paired" is the median of the ratios of runs in the
 * same round. */
static void
print_scaling (const row *rows, int num_rows)
{
  bool header = false;
  for (int i = 0; i < num_rows; i++) {
    const row *r = &rows[i];
    if (isnan (r->ours_speedup))
      continue;
    if (!header) {
      printf ("\nThread scaling (each engine's median at the model's fewest threads over its "
              "median at more, then the median of the ratios of runs in the same round):\n\n"
              "| model | threads | ours speed-up | paired | XNNPACK speed-up | paired |\n"
              "|---|---:|---:|---:|---:|---:|\n");
      header = true;
    }
    int fewest = r->threads;
    for (int j = 0; j < num_rows; j++)
      if (strcmp (rows[j].model, r->model) == 0 && rows[j].threads < fewest)
        fewest = rows[j].threads;
    printf ("| %s | %d -> %d | %.2fx | %.2fx | ", r->model, fewest, r->threads, r->ours_speedup,
            r->ours_speedup_paired);
    if (isnan (r->xnn_speedup))
      printf ("n/a | |\n");
    else
      printf ("%.2fx | %.2fx |\n", r->xnn_speedup, r->xnn_speedup_paired);
  }
}

int
main (int argc, char **argv)
{
  options o;
  row rows[MAX_MODELS * MAX_THREADS];
  int num_rows = 0;
  double peak[MAX_THREADS];
  double peak512 = NAN;   /* AVX-512 rate a core, where the CPU has it */
  char why[256];
  char when[64];
  time_t t = time (NULL);

  if (!parse_options (argc, argv, &o))
    return 2;
  strftime (when, sizeof when, "%Y-%m-%d %H:%M %Z", localtime (&t));

  printf ("# xnnpack_compare, %s\n\ncommand:", when);
  for (int i = 0; i < argc; i++)
    printf (" %s", argv[i]);
  printf ("\n");
  printf ("OMP_WAIT_POLICY=%s, load average %.2f\n",
          getenv ("OMP_WAIT_POLICY") ? getenv ("OMP_WAIT_POLICY") : "(unset)",
          machine_load_average ());

  /* FMA peak for every thread count, before anything else runs */
  if (!fma_peak_available ()) {
    fprintf (stderr, "xnnpack_compare: this CPU has no AVX2+FMA; no FMA bound\n");
    for (int i = 0; i < o.num_threads; i++)
      peak[i] = NAN;
  } else {
    /* The bound uses the best rate a core reached (at any thread count)
     * times the threads: on a busy machine the many-thread measurement is
     * the first to suffer, and it is reported for that reason. */
    const double one = fma_peak_gmacs (1, o.fma_seconds);
    double per_core = one, measured[MAX_THREADS];
    for (int i = 0; i < o.num_threads; i++) {
      measured[i] = o.threads[i] == 1 ? one : fma_peak_gmacs (o.threads[i], o.fma_seconds);
      per_core = fmax (per_core, measured[i] / o.threads[i]);
    }
    printf ("FMA peak measured on 1 thread: %.1f GMAC/s (fp32 vfmadd231ps, 8 lanes x 12 "
            "chains)\n", one);
    for (int i = 0; i < o.num_threads; i++) {
      peak[i] = per_core * o.threads[i];
      if (o.threads[i] > 1)
        printf ("FMA peak measured on %d threads: %.1f GMAC/s (%.1f a core)%s\n", o.threads[i],
                measured[i], measured[i] / o.threads[i],
                measured[i] < 0.85 * peak[i] ? "  <- below the best core rate: CPU shared?" : "");
    }
    printf ("FMA bound uses %.1f GMAC/s a core x threads\n", per_core);
    if (fma512_peak_available ()) {
      peak512 = fma512_peak_gmacs (o.fma_seconds);
      printf ("AVX-512 FMA peak measured on 1 thread: %.1f GMAC/s (16 lanes x 12 chains), %.2fx "
              "the AVX2 rate\n", peak512, peak512 / per_core);
    }
  }

  if (!xg_init (why, sizeof why))
    printf ("XNNPACK unavailable: %s\n", why);

  char *photo = NULL;
  uint8_t *photo_rgb = NULL;
  {
    size_t need = strlen (o.shared) + 32, size = 0;
    if (o.image) {
      photo = strdup (o.image);
    } else if ((photo = malloc (need)) != NULL) {
      snprintf (photo, need, "%s/images/bird.rgb", o.shared);
    }
    if (photo)
      photo_rgb = read_file (photo, &size);
    if (photo_rgb && size != 224 * 224 * 3) {
      printf ("%s: %zu bytes, not 224x224 RGB: using a fixed pattern\n", photo, size);
      free (photo_rgb);
      photo_rgb = NULL;
    }
    printf ("input: %s\n\n", photo_rgb ? photo : "a fixed pattern (no photo)");
  }

  for (int mi = 0; mi < o.num_models; mi++) {
    char *path = model_path (&o, o.models[mi]);
    size_t size = 0;
    void *data = path ? read_file (path, &size) : NULL;
    mn_graph g;
    mn_model *model = NULL;
    mn_model_info info;
    mn_logger logger = { quiet_log, NULL };
    mn_config cfg;
    uint8_t *img = NULL;
    bool is_photo = false;
    bool have_graph = false;

    memset (&g, 0, sizeof g);
    printf ("## %s\n", path ? base_name (path) : o.models[mi]);
    if (!data) {
      printf ("  cannot read %s: %s (skipped)\n\n", path ? path : o.models[mi], strerror (errno));
      goto next;
    }
    if (mn_tflite_read (data, size, &g, &logger) != MN_OK) {
      printf ("  our reader rejected it (skipped)\n\n");
      goto next;
    }
    have_graph = true;
    mn_config_default (&cfg);
    cfg.log = quiet_log;
    if (mn_model_load_memory (data, size, &cfg, &model) != MN_OK) {
      printf ("  mn_model_load failed (skipped)\n\n");
      goto next;
    }
    mn_model_get_info (model, &info);
    img = make_input (photo, photo_rgb, info.input_width, info.input_height, &is_photo);
    if (!img)
      goto next;
    printf ("  %dx%d %s, %.1f M MACs, input %s, load average %.2f\n", info.input_width,
            info.input_height, precision_of (&g), (double) info.total_macs * 1e-6,
            is_photo ? "photo" : "pattern", machine_load_average ());
    /* every thread count's engines timed in the same rounds: lanes[t] is
     * ours at o.threads[t], lanes[nt + t] XNNPACK's */
    const int nt = o.num_threads;
    lane lanes[2 * MAX_THREADS];
    pthreadpool_t pools[MAX_THREADS];
    memset (lanes, 0, sizeof lanes);
    memset (pools, 0, sizeof pools);
    int base = 0;
    for (int ti = 0; ti < nt; ti++)
      if (o.threads[ti] < o.threads[base])
        base = ti;
    row *model_rows = &rows[num_rows];
    for (int ti = 0; ti < nt; ti++) {
      row *r = &rows[num_rows++];
      memset (r, 0, sizeof *r);
      snprintf (r->model, sizeof r->model, "%s", base_name (path));
      char *dot = strstr (r->model, ".tflite");
      if (dot)
        *dot = '\0';
      snprintf (r->precision, sizeof r->precision, "%s", precision_of (&g));
      r->threads = o.threads[ti];
      r->bound_ms = (double) info.total_macs / (peak[ti] * 1e9) * 1e3;
      prepare_engines (path, &g, model, &info, img, r, &lanes[ti], &lanes[nt + ti], &pools[ti]);
    }
    const machine_use before = machine_use_now ();
    time_lanes (&o, lanes, 2 * nt);
    const machine_use after = machine_use_now ();
    double others, steal;
    machine_use_others (&before, &after, &others, &steal);
    printf ("  while timing: other processes took %.1f %% of the machine's CPU time, the "
            "hypervisor %.1f %%\n", 100 * others, 100 * steal);
    for (int ti = 0; ti < nt; ti++) {
      model_rows[ti].others = others;
      summarise (&model_rows[ti], &lanes[ti], &lanes[nt + ti], &lanes[base], &lanes[nt + base]);
      if (model_rows[ti].xnn_note[0])
        printf ("  XNNPACK network: %s\n", model_rows[ti].xnn_note);
    }
    fflush (stdout);
    for (int ti = 0; ti < nt; ti++) {
      lane_clear (&lanes[ti]);
      lane_clear (&lanes[nt + ti]);
      if (pools[ti])
        pthreadpool_destroy (pools[ti]);
    }
    printf ("\n");
  next:
    free (img);
    mn_model_unref (&model);
    if (have_graph)
      mn_graph_clear (&g);
    free (data);
    free (path);
  }

  printf ("## Summary (%s, load average %.2f at the end)\n\n", when, machine_load_average ());
  if (o.num_threads > 0 && !isnan (peak[0]))
    printf ("FMA peak %.1f GMAC/s a core (fp32, measured in this run). ", peak[0] / o.threads[0]);
  if (o.num_threads > 0 && !isnan (peak[0]) && !isnan (peak512))
    printf ("With 16-lane AVX-512 FMAs (this CPU has them) %.1f GMAC/s a core: each bound at "
            "that rate is the table's / %.2f. ", peak512, peak512 / (peak[0] / o.threads[0]));
  printf ("Times in ms; med = median, min = fastest run; ours/XNN = ratio of medians; "
          "bound = MACs / (FMA peak a core x threads); others = the share of the machine's CPU "
          "time that other processes and the hypervisor took while the model was timed (a few "
          "%% or more: the machine was shared, the 2-thread numbers are the first to suffer)."
          "\n\n");
  printf ("| model | precision | thr | ours med | ours min | XNNPACK med | XNNPACK min | "
          "ours/XNN | bound | ours/bound | XNN/bound | others | top-1 ours = XNN |\n");
  printf ("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (int i = 0; i < num_rows; i++) {
    const row *r = &rows[i];
    printf ("| %s | %s | %d | %.2f | %.2f | ", r->model, r->precision, r->threads, r->ours_med,
            r->ours_min);
    if (isnan (r->xnn_med))
      printf ("%s | | | ", r->xnn_note[0] ? r->xnn_note : "n/a");
    else
      printf ("%.2f | %.2f | %.2f | ", r->xnn_med, r->xnn_min, r->ours_med / r->xnn_med);
    printf ("%.3f | %.1f | ", r->bound_ms, r->ours_med / r->bound_ms);
    if (isnan (r->xnn_med))
      printf ("- | ");
    else
      printf ("%.1f | ", r->xnn_med / r->bound_ms);
    printf ("%.1f %% | %s |\n", 100 * r->others, r->top1);
  }
  print_scaling (rows, num_rows);
  free (photo);
  free (photo_rgb);
  free (o.models_copy);
  free (o.threads_copy);
  return 0;
}
