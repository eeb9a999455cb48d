/* mobilenet-engine: inspect, run and time models with the engine alone. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mobilenet.h"

static const char usage_text[] =
    "Usage:\n"
    "  mobilenet-engine info MODEL\n"
    "      Operators in order with shapes, types and quantisation, then\n"
    "      multiply-accumulates (MACs) and parameters per layer and in total.\n"
    "  mobilenet-engine run MODEL FILE.rgb... [--labels FILE] [--top-k K] [--threads N] [--json]\n"
    "      Classify raw RGB files (3 bytes a pixel, exactly the model's input size).\n"
    "      Prints (class_id, label, score) lines; with --json one object per file:\n"
    "      {\"file\", \"top_k\": [{\"class_id\", \"label\", \"score\"}], \"output\": [raw values]}.\n"
    "  mobilenet-engine bench MODEL [--threads N] [--seconds S] [--warmup W]\n"
    "      Time single-image inference for at least S seconds (default 3) after W\n"
    "      warm-up runs (default 3); ends with\n"
    "      'median_ms=<float> min_ms=<float> top1=<class> load_ms=<float>\n"
    "      peak_rss_mb=<float>' (load: file to ready-to-run session; peak\n"
    "      resident memory of the whole process).\n"
    "\n"
    "Options:\n"
    "  --labels FILE   one label per line (default: labels embedded in the model)\n"
    "  --top-k K       how many classes to print (default 5)\n"
    "  --threads N     OpenMP threads, 0 = all cores (default 0)\n"
    "  --json          machine-readable output for 'run'\n"
    "  --seconds S     minimum timing duration for 'bench'\n"
    "  --warmup W      untimed runs before timing for 'bench'\n"
    "  -h, --help      this text\n"
    "Environment: MOBILENET_FORCE_C=1 uses the portable C kernels only.\n";

typedef struct {
  const char *labels;
  int top_k;
  int threads;
  int json;
  double seconds;
  int warmup;
} options;

static void
log_to_stderr (void *user_data, mn_log_level level, const char *message)
{
  (void) user_data;
  if (level <= MN_LOG_WARNING)
    fprintf (stderr, "%s\n", message);
}

static int
load (const char *path, const options *o, mn_model **m, mn_session **s)
{
  mn_config c;
  mn_config_default (&c);
  c.threads = o->threads;
  c.log = log_to_stderr;
  mn_status st = mn_model_load (path, &c, m);
  if (st != MN_OK) {
    fprintf (stderr, "error: cannot load %s: %s\n", path, mn_status_str (st));
    return 1;
  }
  if (s && (st = mn_session_create (*m, &c, s)) != MN_OK) {
    fprintf (stderr, "error: cannot create a session: %s\n", mn_status_str (st));
    mn_model_unref (m);
    return 1;
  }
  return 0;
}

static void
print_tensor (const mn_tensor_info *t)
{
  printf ("%s[", mn_dtype_str (t->type));
  for (int i = 0; i < t->rank; i++)
    printf ("%s%d", i ? "," : "", t->dims[i]);
  printf ("]");
  if (t->num_scales == 1)
    printf (" q(%.6g,%d)", t->scale, t->zero_point);
  else if (t->num_scales > 1)
    printf (" q(per-channel x%d, dim %d)", t->num_scales, t->quantized_dimension);
}

static int
cmd_info (const char *path, const options *o)
{
  mn_model *m;
  if (load (path, o, &m, NULL))
    return 1;
  mn_model_info info;
  mn_model_get_info (m, &info);
  printf ("model: %s\n", path);
  printf ("input: %dx%dx%d %s\n", info.input_width, info.input_height, info.input_channels,
          mn_dtype_str (info.input_type));
  printf ("output: %d classes, %s\n", info.num_classes, mn_dtype_str (info.output_type));
  printf ("normalization: mean %g std %g (%s)\n", info.norm_mean, info.norm_std,
          info.has_metadata_normalization ? "from metadata" : "default");
  printf ("embedded labels: %s\n\n", info.has_embedded_labels ? "yes" : "no");
  printf ("%4s %-20s %-44s %-30s %12s %10s\n", "#", "op", "inputs", "output", "MACs", "params");
  for (int i = 0; i < info.num_layers; i++) {
    mn_layer_info l;
    if (mn_model_get_layer (m, i, &l) != MN_OK)
      continue;
    printf ("%4d %-20s ", l.index, l.op_name);
    for (int k = 0; k < l.num_inputs; k++) {
      if (k)
        printf (" ");
      print_tensor (&l.inputs[k]);
    }
    printf (" -> ");
    print_tensor (&l.output);
    if (l.stride_h)
      printf (" %dx%d/%d %s", l.filter_h, l.filter_w, l.stride_h, l.padding);
    printf (" %s  %llu MACs  %llu params\n", l.activation, (unsigned long long) l.macs,
            (unsigned long long) l.params);
  }
  printf ("\ntotal: %llu MACs (%.1f M), %llu parameters (%.2f M)\n",
          (unsigned long long) info.total_macs, info.total_macs / 1e6,
          (unsigned long long) info.total_params, info.total_params / 1e6);
  mn_model_unref (&m);
  return 0;
}

static void
json_string (const char *s)
{
  putchar ('"');
  for (; *s; s++) {
    unsigned char ch = (unsigned char) *s;
    if (ch == '"' || ch == '\\')
      printf ("\\%c", ch);
    else if (ch < 0x20)
      printf ("\\u%04x", ch);
    else
      putchar (ch);
  }
  putchar ('"');
}

static unsigned char *
read_file (const char *path, size_t *size)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    return NULL;
  unsigned char *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      unsigned char *nb = realloc (buf, cap);
      if (!nb) {
        free (buf);
        fclose (f);
        return NULL;
      }
      buf = nb;
    }
    size_t got = fread (buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  int bad = ferror (f);
  fclose (f);
  if (bad) {
    free (buf);
    return NULL;
  }
  *size = n;
  return buf;
}

static int
cmd_run (const char *path, char **files, int nfiles, const options *o)
{
  mn_model *m;
  mn_session *s;
  if (load (path, o, &m, &s))
    return 1;
  mn_model_info info;
  mn_model_get_info (m, &info);
  mn_labels *labels = NULL;
  int offset = 0, rc = 0;
  if (o->labels) {
    mn_status st = mn_labels_load (o->labels, &labels);
    if (st != MN_OK) {
      fprintf (stderr, "error: cannot read labels %s: %s\n", o->labels, mn_status_str (st));
      rc = 1;
      goto out;
    }
  } else {
    mn_model_get_labels (m, &labels); /* embedded, if any */
  }
  if (labels) {
    char msg[256];
    if (mn_labels_match (labels, info.num_classes, &offset, msg, sizeof msg) != MN_OK) {
      fprintf (stderr, "error: %s: %s\n", o->labels ? o->labels : "embedded labels", msg);
      rc = 1;
      goto out;
    }
  }
  const size_t want = (size_t) info.input_width * info.input_height * 3;
  mn_class_score *top = calloc ((size_t) o->top_k, sizeof *top);
  for (int f = 0; f < nfiles && top; f++) {
    size_t size = 0;
    unsigned char *rgb = read_file (files[f], &size);
    if (!rgb) {
      fprintf (stderr, "error: cannot read %s: %s\n", files[f], strerror (errno));
      rc = 1;
      continue;
    }
    if (size != want) {
      fprintf (stderr, "error: %s has %zu bytes: expected %zu (%dx%d RGB)\n", files[f], size, want,
               info.input_width, info.input_height);
      free (rgb);
      rc = 1;
      continue;
    }
    mn_result r;
    mn_status st = mn_session_run (s, rgb, (size_t) info.input_width * 3, &r);
    free (rgb);
    if (st != MN_OK) {
      fprintf (stderr, "error: %s: %s\n", files[f], mn_status_str (st));
      rc = 1;
      continue;
    }
    int n = mn_result_top_k (&r, o->top_k, top);
    if (o->json) {
      printf ("{\"file\": ");
      json_string (files[f]);
      printf (", \"top_k\": [");
      for (int i = 0; i < n; i++) {
        const char *label = labels ? mn_labels_for_class (labels, offset, top[i].class_id) : NULL;
        printf ("%s{\"class_id\": %d, \"label\": ", i ? ", " : "", top[i].class_id);
        if (label)
          json_string (label);
        else
          printf ("null");
        printf (", \"score\": %.6g}", top[i].score);
      }
      printf ("], \"output\": [");
      for (int i = 0; i < r.num_classes; i++) {
        if (r.raw_type == MN_DTYPE_FLOAT32)
          printf ("%s%.9g", i ? ", " : "", ((const float *) r.raw)[i]);
        else if (r.raw_type == MN_DTYPE_INT8)
          printf ("%s%d", i ? ", " : "", ((const int8_t *) r.raw)[i]);
        else
          printf ("%s%u", i ? ", " : "", ((const uint8_t *) r.raw)[i]);
      }
      printf ("]}\n");
    } else {
      printf ("%s:\n", files[f]);
      for (int i = 0; i < n; i++) {
        const char *label = labels ? mn_labels_for_class (labels, offset, top[i].class_id) : NULL;
        if (label)
          printf ("  (%d, %s, %.6f)\n", top[i].class_id, label, top[i].score);
        else
          printf ("  (%d, class %d, %.6f)\n", top[i].class_id, top[i].class_id, top[i].score);
      }
    }
  }
  free (top);
out:
  mn_labels_free (&labels);
  mn_session_destroy (&s);
  mn_model_unref (&m);
  return rc;
}

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static int
cmd_bench (const char *path, const options *o)
{
  mn_model *m;
  mn_session *s;
  double t0 = now_ms ();
  if (load (path, o, &m, &s))
    return 1;
  double load_ms = now_ms () - t0;
  mn_model_info info;
  mn_model_get_info (m, &info);
  size_t size = (size_t) info.input_width * info.input_height * 3;
  uint8_t *rgb = malloc (size);
  uint32_t x = 12345;
  for (size_t i = 0; rgb && i < size; i++) { /* a fixed pseudo-random image */
    x = x * 1664525u + 1013904223u;
    rgb[i] = (uint8_t) (x >> 24);
  }
  size_t cap = 1024, n = 0;
  double *times = malloc (cap * sizeof *times);
  mn_result r;
  int rc = 1;
  if (!rgb || !times)
    goto out;
  for (int i = 0; i < o->warmup; i++)
    mn_session_run (s, rgb, (size_t) info.input_width * 3, &r);
  double start = now_ms ();
  while (n < 3 || now_ms () - start < o->seconds * 1e3) {
    double a = now_ms ();
    if (mn_session_run (s, rgb, (size_t) info.input_width * 3, &r) != MN_OK)
      goto out;
    times[n++] = now_ms () - a;
    if (n == cap) {
      double *nt = realloc (times, (cap *= 2) * sizeof *times);
      if (!nt)
        goto out;
      times = nt;
    }
  }
  qsort (times, n, sizeof *times, compare_double);
  mn_class_score top;
  mn_result_top_k (&r, 1, &top);
  double median = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
  printf ("model=%s threads=%d runs=%zu load_ms=%.2f macs=%llu\n", path, o->threads, n, load_ms,
          (unsigned long long) info.total_macs);
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);   /* ru_maxrss: KiB on Linux */
  printf ("median_ms=%.3f min_ms=%.3f top1=%d load_ms=%.2f peak_rss_mb=%.1f\n", median, times[0],
          top.class_id, load_ms, ru.ru_maxrss / 1024.0);
  rc = 0;
out:
  free (rgb);
  free (times);
  mn_session_destroy (&s);
  mn_model_unref (&m);
  return rc;
}

int
main (int argc, char **argv)
{
  options o = { NULL, 5, 0, 0, 3.0, 3 };
  static const struct option longopts[] = {
    { "labels", required_argument, NULL, 'l' }, { "top-k", required_argument, NULL, 'k' },
    { "threads", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
    { "seconds", required_argument, NULL, 's' }, { "warmup", required_argument, NULL, 'w' },
    { "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
  };
  int ch;
  char *end;
  while ((ch = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
    switch (ch) {
      case 'l': o.labels = optarg; break;
      case 'k':
        o.top_k = (int) strtol (optarg, &end, 10);
        if (*end || o.top_k < 1 || o.top_k > 100000)
          goto bad_value;
        break;
      case 't':
        o.threads = (int) strtol (optarg, &end, 10);
        if (*end || o.threads < 0 || o.threads > 1024)
          goto bad_value;
        break;
      case 'j': o.json = 1; break;
      case 's':
        o.seconds = strtod (optarg, &end);
        if (*end || !(o.seconds >= 0) || o.seconds > 86400)
          goto bad_value;
        break;
      case 'w':
        o.warmup = (int) strtol (optarg, &end, 10);
        if (*end || o.warmup < 0 || o.warmup > 100000)
          goto bad_value;
        break;
      case 'h': fputs (usage_text, stdout); return 0;
      default: fputs (usage_text, stderr); return 2;
    }
  }
  if (argc - optind < 2) {
    fputs (usage_text, stderr);
    return 2;
  }
  const char *verb = argv[optind], *model = argv[optind + 1];
  if (strcmp (verb, "info") == 0 && argc - optind == 2)
    return cmd_info (model, &o);
  if (strcmp (verb, "run") == 0 && argc - optind >= 3)
    return cmd_run (model, argv + optind + 2, argc - optind - 2, &o);
  if (strcmp (verb, "bench") == 0 && argc - optind == 2)
    return cmd_bench (model, &o);
  fputs (usage_text, stderr);
  return 2;

bad_value:
  fprintf (stderr, "error: bad value '%s' for an option\n", optarg);
  return 2;
}
