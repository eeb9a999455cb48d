/* xnnpack_compare.c: our engine and XNNPACK side by side on the same models.
 *
 * For each model and thread count: build both (ours through the public API,
 * XNNPACK from the graph our TFLite reader produced), feed both the same
 * image, check they agree on the top-1 class, then time them alternately
 * (A B A B ...) for at least --seconds each, and compare both with the
 * machine's FMA bound: the model's multiply-accumulates at the fp32 FMA
 * rate measured in the same run (bench/fma_peak.c).
 *
 *   xnnpack_compare [--threads 1,2] [--seconds S] [--models m1,m2,...]
 *                   [--shared DIR] [--image FILE.rgb] [--min-runs N]
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
  double gap_ms;
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
  double share;                /* CPU time / (wall time x threads), lower engine */
  double ours_cpu, xnn_cpu;    /* median CPU ms a run, all threads */
  char top1[48];
  char xnn_note[160];
} row;

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + 1e-6 * (double) ts.tv_nsec;
}

/* Sleeps ms milliseconds (nothing for 0). */
static void
gap (double ms)
{
  if (ms <= 0.0)
    return;
  struct timespec ts = { (time_t) (ms / 1e3), (long) (fmod (ms, 1e3) * 1e6) };
  nanosleep (&ts, NULL);
}

/* The 1-minute load average, or -1. */
static double
load_average (void)
{
  double l = -1.0;
  FILE *f = fopen ("/proc/loadavg", "r");
  if (f) {
    if (fscanf (f, "%lf", &l) != 1)
      l = -1.0;
    fclose (f);
  }
  return l;
}

/* CPU time of the whole process (all threads), ms. */
static double
cpu_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1e3 + 1e-6 * (double) ts.tv_nsec;
}

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

/* Benchmarks one model at one thread count; fills r. */
static void
bench_one (const options *o, const char *path, const mn_graph *g, mn_model *model,
           const mn_model_info *info, const uint8_t *img, int threads, double peak_gmacs,
           row *r)
{
  mn_config cfg;
  mn_session *sess = NULL;
  mn_result res;
  pthreadpool_t pool = NULL;
  xg_net *net = NULL;
  char why[512] = "";
  mn_status st;
  double *ta = NULL, *tb = NULL, *ca = NULL, *cb = NULL;

  r->threads = threads;
  r->xnn_med = r->xnn_min = NAN;
  r->ours_med = r->ours_min = NAN;
  r->ours_cpu = r->xnn_cpu = NAN;
  r->bound_ms = (double) info->total_macs / (peak_gmacs * 1e9) * 1e3;
  snprintf (r->top1, sizeof r->top1, "-");

  mn_config_default (&cfg);
  cfg.threads = threads;
  cfg.log = quiet_log;
  st = mn_session_create (model, &cfg, &sess);
  if (st != MN_OK) {
    printf ("  %s x%d: mn_session_create failed: %s\n", base_name (path), threads,
            mn_status_str (st));
    snprintf (r->top1, sizeof r->top1, "ours failed");
    goto done;
  }
  if (threads > 1) {
    pool = pthreadpool_create ((size_t) threads);
    if (!pool) {
      snprintf (r->xnn_note, sizeof r->xnn_note, "pthreadpool_create failed");
      goto time_it;
    }
  }
  net = xg_net_create (g, info->norm_mean, info->norm_std, pool, why, sizeof why);
  if (!net) {
    snprintf (r->xnn_note, sizeof r->xnn_note, "n/a (%s)", why);
    printf ("  XNNPACK: n/a (%s)\n", why);
  } else {
    snprintf (r->xnn_note, sizeof r->xnn_note, "%s", xg_net_notes (net));
  }

time_it:
  /* agreement check */
  if (mn_session_run (sess, img, (size_t) info->input_width * 3, &res) != MN_OK) {
    snprintf (r->top1, sizeof r->top1, "ours failed");
    goto done;
  }
  mn_class_score ours_top;
  mn_result_top_k (&res, 1, &ours_top);
  if (net) {
    int k;
    if (!xg_net_run (net, img)) {
      snprintf (r->xnn_note, sizeof r->xnn_note, "n/a (xnn_invoke_runtime failed)");
      xg_net_destroy (&net);
    } else {
      const float *xs = xg_net_scores (net, &k);
      int xt = argmax (xs, k);
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
      printf ("  top-1 ours %d (%.4f), XNNPACK %d (%.4f), max |score difference| %.4f\n",
              ours_top.class_id, (double) ours_top.score, xt, (double) xs[xt], maxdiff);
    }
  } else {
    snprintf (r->top1, sizeof r->top1, "%d (ours)", ours_top.class_id);
  }

  /* warm-up, then A B A B ... until both have had o->seconds */
  for (int i = 0; i < WARMUP_RUNS; i++) {
    mn_session_run (sess, img, (size_t) info->input_width * 3, &res);
    if (net)
      xg_net_run (net, img);
  }
  int cap = 1024, na = 0, nb = 0;
  double sum_a = 0.0, sum_b = 0.0, cpu_a = 0.0, cpu_b = 0.0;
  ta = malloc (sizeof (double) * (size_t) cap);
  tb = malloc (sizeof (double) * (size_t) cap);
  ca = malloc (sizeof (double) * (size_t) cap);
  cb = malloc (sizeof (double) * (size_t) cap);
  if (!ta || !tb || !ca || !cb)
    goto done;
  while (sum_a < o->seconds * 1e3 || (net && sum_b < o->seconds * 1e3) || na < o->min_runs ||
         (net && nb < o->min_runs)) {
    if (na == cap) {
      cap *= 2;
      double **arrays[4] = { &ta, &tb, &ca, &cb };
      bool ok = true;
      for (int i = 0; i < 4; i++) {
        double *grown = realloc (*arrays[i], sizeof (double) * (size_t) cap);
        if (grown)
          *arrays[i] = grown;
        ok &= grown != NULL;
      }
      if (!ok)
        break;
    }
    /* A turn of each engine.  With blocks, a first untimed run: the
     * other engine's workers may still be spinning on the cores. */
    if (o->block > 1)
      mn_session_run (sess, img, (size_t) info->input_width * 3, &res);
    for (int j = 0; j < o->block && na < cap; j++) {
      gap (o->gap_ms);
      double c0 = cpu_ms (), t0 = now_ms ();
      mn_session_run (sess, img, (size_t) info->input_width * 3, &res);
      double t1 = now_ms (), c1 = cpu_ms ();
      ca[na] = c1 - c0;
      ta[na++] = t1 - t0;
      sum_a += t1 - t0;
      cpu_a += c1 - c0;
    }
    if (net) {
      if (o->block > 1)
        xg_net_run (net, img);
      for (int j = 0; j < o->block && nb < cap; j++) {
        gap (o->gap_ms);
        double c0 = cpu_ms (), t0 = now_ms ();
        xg_net_run (net, img);
        double t1 = now_ms (), c1 = cpu_ms ();
        cb[nb] = c1 - c0;
        tb[nb++] = t1 - t0;
        sum_b += t1 - t0;
        cpu_b += c1 - c0;
      }
    }
  }
  /* the median of run-by-run ratios: neighbours share the machine's load */
  double paired = NAN;
  if (net && nb == na && na > 0) {
    double *ratio = malloc (sizeof (double) * (size_t) na);
    if (ratio) {
      for (int i = 0; i < na; i++)
        ratio[i] = ta[i] / tb[i];
      paired = median (ratio, na);
      free (ratio);
    }
  }
  r->ours_cpu = median (ca, na);
  if (net && nb > 0)
    r->xnn_cpu = median (cb, nb);
  r->ours_min = minimum (ta, na);
  r->ours_med = median (ta, na);
  if (net && nb > 0) {
    r->xnn_min = minimum (tb, nb);
    r->xnn_med = median (tb, nb);
  }
  printf ("  %d thread%s: ours median %.2f ms (min %.2f, %d runs)", threads,
          threads > 1 ? "s" : "", r->ours_med, r->ours_min, na);
  if (net)
    printf (", XNNPACK median %.2f ms (min %.2f, %d runs), ours/XNNPACK %.2fx (paired %.2fx)",
            r->xnn_med, r->xnn_min, nb, r->ours_med / r->xnn_med, paired);
  printf (", FMA bound %.3f ms: ours %.1fx of it\n", r->bound_ms, r->ours_med / r->bound_ms);
  /* CPU time over wall time while each engine ran: about the thread count
   * when all threads work (or spin); less when the machine is shared. */
  r->share = cpu_a / sum_a / threads;
  if (net && cpu_b / sum_b / threads < r->share)
    r->share = cpu_b / sum_b / threads;
  printf ("    cores busy: ours %.2f", cpu_a / sum_a);
  if (net)
    printf (", XNNPACK %.2f", cpu_b / sum_b);
  printf ("; CPU time a run (median): ours %.2f ms", r->ours_cpu);
  if (net)
    printf (", XNNPACK %.2f ms", r->xnn_cpu);
  printf ("\n");
  fflush (stdout);

done:
  free (ta);
  free (tb);
  free (ca);
  free (cb);
  xg_net_destroy (&net);
  if (pool)
    pthreadpool_destroy (pool);
  mn_session_destroy (&sess);
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
           "                       [--fma-seconds S] [--gap-ms G] [--block N]\n"
           "  --models    names in DIR/models (with or without .tflite) or paths\n"
           "  --shared    the shared data folder (default $MOBILENET_SHARED_DIR, else %s)\n"
           "  --image     224x224 raw RGB photo, resized to each model (default\n"
           "              DIR/images/bird.rgb; a fixed pattern when missing)\n"
           "  --seconds   minimum timed seconds for each engine (default 3)\n"
           "  --min-runs  minimum timed runs for each engine (default 5)\n"
           "  --gap-ms    sleep before each timed run, so that the other engine's\n"
           "              spinning workers have gone to sleep (default 0)\n"
           "  --block     timed runs an engine takes per turn, after one untimed run\n"
           "              when above 1: A x N, B x N, ... (default 1: A B A B)\n",
           BENCH_SHARED_DIR);
}

static bool
parse_options (int argc, char **argv, options *o)
{
  memset (o, 0, sizeof *o);
  o->seconds = 3.0;
  o->min_runs = 5;
  o->block = 1;
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
    } else if (!strcmp (a, "--gap-ms")) {
      o->gap_ms = atof (v);
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
 * counts, by medians: the thread-scaling target, read off the run.
 * Each thread count is its own turn, so a load change between turns moves
 * these more than the ours/XNNPACK ratios, which alternate. */
static void
print_scaling (const row *rows, int num_rows)
{
  bool header = false;
  for (int i = 0; i < num_rows; i++) {
    const row *base = NULL;
    for (int j = 0; j < num_rows; j++)
      if (strcmp (rows[j].model, rows[i].model) == 0 && (!base || rows[j].threads < base->threads))
        base = &rows[j];
    if (base == &rows[i] || base->threads == rows[i].threads)
      continue;
    if (!header) {
      printf ("\nThread scaling (median at the fewer threads / median at more; each thread count "
              "is timed in its own turn):\n\n| model | threads | ours speed-up | XNNPACK "
              "speed-up |\n|---|---:|---:|---:|\n");
      header = true;
    }
    printf ("| %s | %d -> %d | %.2fx | ", rows[i].model, base->threads, rows[i].threads,
            base->ours_med / rows[i].ours_med);
    if (isnan (base->xnn_med) || isnan (rows[i].xnn_med))
      printf ("n/a |\n");
    else
      printf ("%.2fx |\n", base->xnn_med / rows[i].xnn_med);
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
          getenv ("OMP_WAIT_POLICY") ? getenv ("OMP_WAIT_POLICY") : "(unset)", load_average ());

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
            is_photo ? "photo" : "pattern", load_average ());
    for (int ti = 0; ti < o.num_threads && num_rows < MAX_MODELS * MAX_THREADS; ti++) {
      row *r = &rows[num_rows++];
      memset (r, 0, sizeof *r);
      snprintf (r->model, sizeof r->model, "%s", base_name (path));
      char *dot = strstr (r->model, ".tflite");
      if (dot)
        *dot = '\0';
      snprintf (r->precision, sizeof r->precision, "%s", precision_of (&g));
      bench_one (&o, path, &g, model, &info, img, o.threads[ti], peak[ti], r);
      if (r->xnn_note[0])
        printf ("  XNNPACK network: %s\n", r->xnn_note);
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

  printf ("## Summary (%s, load average %.2f at the end)\n\n", when, load_average ());
  if (o.num_threads > 0 && !isnan (peak[0]))
    printf ("FMA peak %.1f GMAC/s a core (fp32, measured in this run). ", peak[0] / o.threads[0]);
  if (o.num_threads > 0 && !isnan (peak[0]) && !isnan (peak512))
    printf ("With 16-lane AVX-512 FMAs (this CPU has them) %.1f GMAC/s a core: each bound at "
            "that rate is the table's / %.2f. ", peak512, peak512 / (peak[0] / o.threads[0]));
  printf ("Times in ms; med = median, min = fastest run; ours/XNN = ratio of medians; "
          "bound = MACs / (FMA peak a core x threads); CPU share = CPU time / (wall x threads) "
          "while timing, the lower engine's (below ~0.9: the machine was shared, numbers are "
          "not reliable).\n\n");
  printf ("| model | precision | thr | ours med | ours min | XNNPACK med | XNNPACK min | "
          "ours/XNN | bound | ours/bound | XNN/bound | CPU share | top-1 ours = XNN |\n");
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
    printf ("%.2f | %s |\n", r->share, r->top1);
  }
  printf ("\nCPU time a run (process CPU time, all threads, median; with 1 thread it is the "
          "least disturbed by other load, with N it includes spinning workers):\n\n");
  printf ("| model | thr | ours CPU ms | XNNPACK CPU ms | ours/XNN |\n|---|---:|---:|---:|---:|\n");
  for (int i = 0; i < num_rows; i++) {
    const row *r = &rows[i];
    printf ("| %s | %d | %.2f | ", r->model, r->threads, r->ours_cpu);
    if (isnan (r->xnn_cpu))
      printf ("n/a | |\n");
    else
      printf ("%.2f | %.2f |\n", r->xnn_cpu, r->ours_cpu / r->xnn_cpu);
  }
  print_scaling (rows, num_rows);
  free (photo);
  free (photo_rgb);
  free (o.models_copy);
  free (o.threads_copy);
  return 0;
}
