/* test_alloc_fail.c: out of memory at every allocation of a load, a
 * session creation and a labels parse.
 *
 * Linked with a copy of the engine built with alloc_fail.h (see
 * meson.build), whose mn_test_fail_alloc_after(k) makes the k-th
 * allocation fail.  For every k the call must return MN_ERR_NO_MEMORY (or
 * MN_OK where the failed allocation was optional, such as the embedded
 * labels), leave *out NULL on failure, and free everything it had built:
 * the AddressSanitizer build of the suite checks the last part at exit.
 * Sessions are also created with every inverted residual block run band
 * by band (their band buffers and block list are allocations too).
 * Also: a session with far more threads than cores gives the same scores.
 *
 * Usage: test-alloc-fail MODEL... (relative paths are under the shared
 * folder's models/; absolute paths as they are). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_fail.h"
#include "mobilenet.h"
#include "model.h"   /* mn_session_create_fusing () */

static int passed, failed;

#define CHECK(cond, ...) check ((cond), __LINE__, __VA_ARGS__)

static void __attribute__ ((format (printf, 3, 4)))
check (int ok, int line, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  printf (ok ? "ok   - " : "FAIL - ");
  vprintf (fmt, ap);
  printf (ok ? "\n" : " (line %d)\n", line);
  va_end (ap);
  ok ? passed++ : failed++;
}

static int no_memory_messages;

static void
count_messages (void *user_data, mn_log_level level, const char *message)
{
  (void) user_data;
  if (level == MN_LOG_ERROR && strstr (message, "out of memory"))
    no_memory_messages++;
}

static char *
model_path (const char *arg)
{
  static char buf[4096];
  const char *shared = getenv ("MOBILENET_SHARED_DIR");
  if (arg[0] == '/')
    return (char *) arg;
  snprintf (buf, sizeof buf, "%s/models/%s", shared && *shared ? shared : "../shared", arg);
  return buf;
}

static void
load_failures (const char *path, const mn_config *cfg)
{
  mn_model *m = NULL;
  mn_test_fail_alloc_after (-1);
  mn_status st = mn_model_load (path, cfg, &m);
  long total = mn_test_alloc_count ();
  CHECK (st == MN_OK, "%s loads (%ld allocations)", path, total);
  if (st != MN_OK)
    return;
  mn_model_info info;
  mn_model_get_info (m, &info);
  mn_model_unref (&m);

  long nomem = 0, ok = 0, other = 0, dangling = 0;
  no_memory_messages = 0;
  for (long k = 0; k < total; k++) {
    mn_test_fail_alloc_after (k);
    st = mn_model_load (path, cfg, &m);
    if (st == MN_ERR_NO_MEMORY) {
      nomem++;
      dangling += m != NULL;
    } else if (st == MN_OK) {
      ok++;
      printf ("# allocation %ld failed and the load went on without it\n", k);
      mn_model_unref (&m);
    } else {
      other++;
      printf ("# allocation %ld failed: %s\n", k, mn_status_str (st));
    }
  }
  mn_test_fail_alloc_after (-1);
  CHECK (other == 0 && dangling == 0 && nomem > 0,
         "load with allocation k failing, k = 0..%ld: %ld MN_ERR_NO_MEMORY, %ld recovered, "
         "%ld other", total - 1, nomem, ok, other);
  CHECK (no_memory_messages >= nomem, "each MN_ERR_NO_MEMORY logged (%d messages)",
         no_memory_messages);
  /* Recovered loads are the optional parts only (embedded labels). */
  CHECK (ok <= 1 || info.has_embedded_labels, "only optional allocations recover (%ld)", ok);
}

/* A session of m as the public call makes it (fusing NULL) or with the
 * blocks and bands of fusing. */
static mn_status
create_session (mn_model *m, const mn_config *cfg, const mn_fusing *fusing, mn_session **s)
{
  return fusing ? mn_session_create_fusing (m, cfg, fusing, s) : mn_session_create (m, cfg, s);
}

/* How many blocks a session with fusing runs band by band (-1: no session). */
static int
fused_blocks (const char *path, const mn_config *cfg, const mn_fusing *fusing)
{
  mn_model *m = NULL;
  mn_session *s = NULL;
  mn_test_fail_alloc_after (-1);
  int n = -1;
  if (mn_model_load (path, cfg, &m) == MN_OK && create_session (m, cfg, fusing, &s) == MN_OK)
    n = mn_session_fused_blocks (s);
  mn_session_destroy (&s);
  mn_model_unref (&m);
  return n;
}

static void
session_failures (const char *path, const mn_config *cfg, const mn_fusing *fusing)
{
  mn_model *m = NULL;
  mn_session *s = NULL;
  mn_test_fail_alloc_after (-1);
  if (mn_model_load (path, cfg, &m) != MN_OK) {
    CHECK (0, "%s loads", path);
    return;
  }
  mn_test_fail_alloc_after (-1);
  mn_status st = create_session (m, cfg, fusing, &s);
  long total = mn_test_alloc_count ();
  CHECK (st == MN_OK, "%s: a session (%ld allocations, %d blocks band by band)", path, total,
         mn_session_fused_blocks (s));
  mn_session_destroy (&s);

  long nomem = 0, bad = 0;
  for (long k = 0; k < total; k++) {
    mn_test_fail_alloc_after (k);
    st = create_session (m, cfg, fusing, &s);
    if (st == MN_ERR_NO_MEMORY && s == NULL)
      nomem++;
    else {
      bad++;
      printf ("# session allocation %ld failed: %s\n", k, mn_status_str (st));
      mn_session_destroy (&s);
    }
  }
  mn_test_fail_alloc_after (-1);
  CHECK (bad == 0 && nomem == total,
         "session create with allocation k failing, k = 0..%ld: all MN_ERR_NO_MEMORY", total - 1);

  /* The model is intact after all that: a session still runs, and the
   * labels of the model (if any) parse under failures too. */
  st = create_session (m, cfg, fusing, &s);
  CHECK (st == MN_OK, "a session after the failures");
  mn_session_destroy (&s);

  mn_labels *l = NULL;
  mn_test_fail_alloc_after (-1);
  if (mn_model_get_labels (m, &l) == MN_OK) {
    long n = mn_test_alloc_count ();
    mn_labels_free (&l);
    long good = 0;
    for (long k = 0; k < n; k++) {
      mn_test_fail_alloc_after (k);
      good += mn_model_get_labels (m, &l) == MN_ERR_NO_MEMORY && l == NULL;
      mn_labels_free (&l);
    }
    mn_test_fail_alloc_after (-1);
    CHECK (good == n, "embedded labels with allocation k failing, k = 0..%ld", n - 1);
  }
  mn_model_unref (&m);
}

/* threads far above the core count: same scores as one thread */
static void
many_threads (const char *path)
{
  mn_config c1, c64;
  mn_model *m = NULL;
  mn_session *s1 = NULL, *s64 = NULL;
  mn_config_default (&c1);
  c1.threads = 1;
  c64 = c1;
  c64.threads = 64;
  if (mn_model_load (path, &c1, &m) != MN_OK) {
    CHECK (0, "%s loads", path);
    return;
  }
  mn_model_info info;
  mn_model_get_info (m, &info);
  CHECK (mn_session_create (m, &c1, &s1) == MN_OK && mn_session_create (m, &c64, &s64) == MN_OK,
         "sessions with 1 and 64 threads");
  if (s1 && s64 && info.input_channels == 3) {
    size_t stride = (size_t) info.input_width * 3;
    uint8_t *rgb = malloc (stride * (size_t) info.input_height);
    for (size_t i = 0; i < stride * (size_t) info.input_height; i++)
      rgb[i] = (uint8_t) (i * 7 + i / 13);
    mn_result r1, r64;
    CHECK (mn_session_run (s1, rgb, stride, &r1) == MN_OK
           && mn_session_run (s64, rgb, stride, &r64) == MN_OK, "both run");
    CHECK (memcmp (r1.scores, r64.scores, sizeof (float) * (size_t) r1.num_classes) == 0,
           "64 threads on %ld cores: scores identical to 1 thread",
           sysconf (_SC_NPROCESSORS_ONLN));
    free (rgb);
  }
  mn_session_destroy (&s1);
  mn_session_destroy (&s64);
  mn_model_unref (&m);
}

static void
labels_failures (void)
{
  static const char text[] = "\xEF\xBB\xBF" "background\r\ncat\r\ndog\n";
  mn_labels *l = NULL;
  mn_test_fail_alloc_after (-1);
  CHECK (mn_labels_parse (text, sizeof text - 1, &l) == MN_OK, "labels parse");
  long n = mn_test_alloc_count ();
  mn_labels_free (&l);
  long good = 0;
  for (long k = 0; k < n; k++) {
    mn_test_fail_alloc_after (k);
    good += mn_labels_parse (text, sizeof text - 1, &l) == MN_ERR_NO_MEMORY && l == NULL;
    mn_labels_free (&l);
  }
  mn_test_fail_alloc_after (-1);
  CHECK (good == n, "labels parse with allocation k failing, k = 0..%ld", n - 1);
}

int
main (int argc, char **argv)
{
  mn_config cfg;
  setvbuf (stdout, NULL, _IOLBF, 0);
  mn_config_default (&cfg);
  cfg.threads = 2;
  cfg.log = count_messages;
  if (argc < 2) {
    printf ("FAIL usage: %s MODEL...\n", argv[0]);
    return 1;
  }
  labels_failures ();
  const mn_fusing every_block = { 0, MN_FUSE_BAND_BYTES };
  int fused_models = 0;
  for (int i = 1; i < argc; i++) {
    const char *path = model_path (argv[i]);
    FILE *f = fopen (path, "rb");
    if (!f) {
      CHECK (0, "missing %s: set MOBILENET_SHARED_DIR to the shared data folder", path);
      continue;
    }
    fclose (f);
    load_failures (path, &cfg);
    session_failures (path, &cfg, NULL);
    if (fused_blocks (path, &cfg, &every_block) > 0) {
      session_failures (path, &cfg, &every_block);
      fused_models++;
    }
  }
  CHECK (fused_models > 0, "%d of the models run blocks band by band under failures too",
         fused_models);
  many_threads (model_path (argv[1]));
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
