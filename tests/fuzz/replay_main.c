/* replay_main.c: a plain main() for a fuzz target, built with any
 * compiler.  Runs every file named on the command line (directories:
 * every file inside, sorted) through LLVMFuzzerTestOneInput once, so the
 * regression corpus is replayed by `meson test` and under the sanitizer
 * and valgrind builds.  A crash is the test failing. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz.h"

int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

static int runs, missing;

static void
run_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  if (!f) {
    printf ("FAIL cannot open %s\n", path);
    missing++;
    return;
  }
  fseek (f, 0, SEEK_END);
  long n = ftell (f);
  fseek (f, 0, SEEK_SET);
  /* Exactly the file's size, so a sanitizer sees reads past the end. */
  uint8_t *data = malloc (n > 0 ? (size_t) n : 1);
  if (!data || (n > 0 && fread (data, 1, (size_t) n, f) != (size_t) n)) {
    printf ("FAIL cannot read %s\n", path);
    missing++;
    free (data);
    fclose (f);
    return;
  }
  fclose (f);
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  LLVMFuzzerTestOneInput (data, (size_t) n);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  printf ("ok   %s (%ld bytes, %.0f ms)\n", path, n,
          (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
  fflush (stdout);
  free (data);
  runs++;
}

static int
by_name (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
run_path (const char *path)
{
  struct stat sb;
  if (stat (path, &sb) != 0) {
    printf ("FAIL missing %s (set MOBILENET_SHARED_DIR to the shared data folder?)\n", path);
    missing++;
    return;
  }
  if (!S_ISDIR (sb.st_mode)) {
    run_file (path);
    return;
  }
  DIR *d = opendir (path);
  if (!d) {
    printf ("FAIL cannot list %s\n", path);
    missing++;
    return;
  }
  char **names = NULL;
  size_t count = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char **grown = realloc (names, sizeof *names * (count + 1));
    if (!grown)
      break;
    names = grown;
    size_t len = strlen (path) + strlen (e->d_name) + 2;
    names[count] = malloc (len);
    snprintf (names[count], len, "%s/%s", path, e->d_name);
    count++;
  }
  closedir (d);
  qsort (names, count, sizeof *names, by_name);
  for (size_t i = 0; i < count; i++) {
    run_path (names[i]);
    free (names[i]);
  }
  free (names);
}

int
main (int argc, char **argv)
{
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    /* "shared:models/x.tflite" is a file in the shared data folder. */
    if (strncmp (argv[i], "shared:", 7) == 0) {
      char path[4096];
      snprintf (path, sizeof path, "%s/%s", fz_shared_dir (), argv[i] + 7);
      run_path (path);
    } else {
      run_path (argv[i]);
    }
  }
  printf ("%d inputs replayed, %d missing\n", runs, missing);
  return missing || runs == 0 ? 1 : 0;
}
