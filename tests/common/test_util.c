/* test_util.c: the few helpers every test program shares. */
#include "test_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int tu_passed;
int tu_failed;

bool
tu_check (bool cond, const char *file, int line, const char *fmt, ...)
{
  va_list ap;

  if (cond) {
    tu_passed++;
    fputs ("ok   - ", stdout);
  } else {
    tu_failed++;
    fputs ("FAIL - ", stdout);
  }
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  if (!cond)
    printf (" (%s:%d)", file, line);
  putchar ('\n');
  fflush (stdout);
  return cond;
}

int
tu_finish (void)
{
  printf ("%d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed == 0 && tu_passed > 0 ? 0 : 1;
}

static void
missing (const char *what)
{
  if (getenv ("CI"))
    printf ("FAIL - CI: required shared test data is missing: %s\n", what);
  else
    printf ("FAIL - shared test data is missing: %s (set MOBILENET_SHARED_DIR to the "
            "folder holding models/ and images/)\n", what);
  tu_failed++;
  fflush (stdout);
}

const char *
tu_shared_dir (void)
{
  static const char *dir;
  static bool checked;
  struct stat st;

  if (dir == NULL) {
    dir = getenv ("MOBILENET_SHARED_DIR");
    if (dir == NULL || dir[0] == '\0') {
#ifdef MOBILENET_SHARED_DIR_DEFAULT
      dir = MOBILENET_SHARED_DIR_DEFAULT;
#else
      dir = "../shared";
#endif
    }
  }
  if (!checked) {
    checked = true;
    if (stat (dir, &st) != 0 || !S_ISDIR (st.st_mode)) {
      char msg[1200];
      snprintf (msg, sizeof msg, "directory %s (%s)", dir, strerror (errno));
      missing (msg);
    }
  }
  return dir;
}

const char *
tu_shared_path (const char *rel)
{
  static char path[4096];
  snprintf (path, sizeof path, "%s/%s", tu_shared_dir (), rel);
  return path;
}

uint8_t *
tu_read_file (const char *path, size_t *size)
{
  FILE *f = fopen (path, "rb");
  uint8_t *buf = NULL;
  long n;

  *size = 0;
  if (f == NULL)
    return NULL;
  if (fseek (f, 0, SEEK_END) != 0 || (n = ftell (f)) < 0 || fseek (f, 0, SEEK_SET) != 0)
    goto fail;
  buf = malloc ((size_t) n + 1);
  if (buf == NULL)
    goto fail;
  if (n > 0 && fread (buf, 1, (size_t) n, f) != (size_t) n) {
    free (buf);
    buf = NULL;
    goto fail;
  }
  *size = (size_t) n;
fail:
  fclose (f);
  return buf;
}

uint8_t *
tu_read_shared (const char *rel, size_t *size)
{
  const char *path = tu_shared_path (rel);
  uint8_t *buf = tu_read_file (path, size);
  if (buf == NULL) {
    char msg[4200];
    snprintf (msg, sizeof msg, "%s (%s)", path, strerror (errno));
    missing (msg);
  }
  return buf;
}

uint32_t
tu_xorshift32 (uint32_t *state)
{
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}
