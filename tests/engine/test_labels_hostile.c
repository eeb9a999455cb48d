/* test_labels_hostile.c: labels files that do not look like labels files.
 *
 * Every case ends in a clear status (MN_ERR_LABELS, MN_ERR_IO) or in labels
 * read the documented way (one per line, CRLF and a UTF-8 BOM dropped,
 * other bytes kept as they are), never in a crash: fewer or more lines than
 * classes, empty lines, CRLF, a BOM, non-UTF-8 bytes and NULs, a directory,
 * a missing file, a 100 MB file, and one line too many.  test_labels.c has
 * the everyday cases. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mobilenet.h"
#include "test_util.h"

static mn_labels *
parse (const char *s, size_t n)
{
  mn_labels *l = NULL;
  mn_status st = mn_labels_parse (s, n, &l);
  CHECK (st == MN_OK && l != NULL, "parse %zu bytes: %s", n, mn_status_str (st));
  return l;
}

static void
counts (void)
{
  mn_labels *l = parse ("a\nb\nc\n", 6);
  char msg[256];
  int offset = 99;
  CHECK (mn_labels_match (l, 5, &offset, msg, sizeof msg) == MN_ERR_LABELS,
         "3 labels for 5 classes: MN_ERR_LABELS");
  CHECK (strstr (msg, "3") && strstr (msg, "5"), "the message names both counts: %s", msg);
  CHECK (mn_labels_match (l, 2, &offset, msg, sizeof msg) == MN_ERR_LABELS,
         "3 labels (no background) for 2 classes: MN_ERR_LABELS");
  CHECK (mn_labels_match (l, 4, &offset, msg, sizeof msg) == MN_OK && offset == -1,
         "3 labels for 4 classes: class 0 is background");
  CHECK (mn_labels_match (l, 0, &offset, msg, sizeof msg) == MN_ERR_LABELS,
         "3 labels for 0 classes: MN_ERR_LABELS");
  CHECK (mn_labels_match (l, -7, &offset, NULL, 0) == MN_ERR_LABELS,
         "a negative class count: MN_ERR_LABELS");
  CHECK (mn_labels_for_class (l, 0, 3) == NULL && mn_labels_for_class (l, 0, -1) == NULL
         && mn_labels_for_class (l, 1, 2) == NULL, "out-of-range classes read NULL");
  mn_labels_free (&l);
  CHECK (l == NULL, "free sets NULL");
  mn_labels_free (&l);
  mn_labels_free (NULL);
}

static void
bytes (void)
{
  mn_labels *l = parse ("a\n\n\nb\n", 6);
  CHECK (mn_labels_count (l) == 4 && strcmp (mn_labels_get (l, 1), "") == 0
         && strcmp (mn_labels_get (l, 3), "b") == 0,
         "empty lines are empty labels, so class ids keep their lines");
  mn_labels_free (&l);

  l = parse ("\xEF\xBB\xBF" "cat\r\ndog\r\n", 13);
  CHECK (mn_labels_count (l) == 2 && strcmp (mn_labels_get (l, 0), "cat") == 0
         && strcmp (mn_labels_get (l, 1), "dog") == 0, "BOM and CRLF dropped");
  mn_labels_free (&l);

  l = parse ("\xEF\xBB\xBF", 3);
  CHECK (mn_labels_count (l) == 0, "a BOM alone is no labels");
  mn_labels_free (&l);

  l = parse ("\xff\xfe\x80\n\xc3\x28\nok", 9);
  CHECK (mn_labels_count (l) == 3 && memcmp (mn_labels_get (l, 0), "\xff\xfe\x80", 4) == 0
         && strcmp (mn_labels_get (l, 2), "ok") == 0,
         "non-UTF-8 bytes are kept as they are, lines still counted");
  mn_labels_free (&l);

  l = parse ("a\0b\nc\n", 6);
  CHECK (mn_labels_count (l) == 2 && strcmp (mn_labels_get (l, 0), "a") == 0,
         "a NUL ends its label, the line still counts");
  mn_labels_free (&l);

  l = parse ("x\ry\r", 4);
  CHECK (mn_labels_count (l) == 1, "lone CRs are not line ends (one label)");
  mn_labels_free (&l);

  l = parse ("\r\n\r\n\r", 5);
  CHECK (mn_labels_count (l) == 3 && strcmp (mn_labels_get (l, 2), "") == 0,
         "CR-only lines are empty labels");
  mn_labels_free (&l);

  l = parse ("", 0);
  CHECK (mn_labels_count (l) == 0, "an empty file is no labels");
  mn_labels_free (&l);

  mn_labels *none = NULL;
  CHECK (mn_labels_parse (NULL, 5, &none) == MN_ERR_INVALID_ARG && none == NULL,
         "NULL data with a size: MN_ERR_INVALID_ARG");
  CHECK (mn_labels_parse ("a", 1, NULL) == MN_ERR_INVALID_ARG, "NULL out: MN_ERR_INVALID_ARG");
}

static const char *
tmp_path (const char *name)
{
  static char buf[4096];
  const char *dir = getenv ("MN_TEST_TMPDIR");
  snprintf (buf, sizeof buf, "%s/%s-%d", dir && *dir ? dir : "/tmp", name, (int) getpid ());
  return buf;
}

static void
files (void)
{
  mn_labels *l = (mn_labels *) 1;
  char dir[4096];

  snprintf (dir, sizeof dir, "%s", tmp_path ("labels-dir"));
  mkdir (dir, 0700);
  CHECK (mn_labels_load (dir, &l) == MN_ERR_IO && l == NULL, "a directory: MN_ERR_IO");
  rmdir (dir);

  CHECK (mn_labels_load ("/nonexistent/labels.txt", &l) == MN_ERR_IO && l == NULL,
         "a missing file: MN_ERR_IO");
  CHECK (mn_labels_load (NULL, &l) == MN_ERR_INVALID_ARG, "no path: MN_ERR_INVALID_ARG");

  /* 100 MB (sparse, so made at once): refused before it is read. */
  const char *big = tmp_path ("labels-100mb.txt");
  int fd = open (big, O_CREAT | O_TRUNC | O_WRONLY, 0600);
  CHECK (fd >= 0 && ftruncate (fd, 100 << 20) == 0 && write (fd, "x\n", 2) == 2,
         "made a 100 MB file");
  if (fd >= 0)
    close (fd);
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  mn_status st = mn_labels_load (big, &l);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  CHECK (st == MN_ERR_LABELS && l == NULL, "a 100 MB file: MN_ERR_LABELS (%s)",
         mn_status_str (st));
  CHECK (ms < 1000, "refused without reading it (%.1f ms)", ms);
  unlink (big);

  /* More lines than any labels file has (100000 at most). */
  size_t n = 100001;
  char *many = malloc (n);
  memset (many, '\n', n);
  st = mn_labels_parse (many, n, &l);
  CHECK (st == MN_ERR_LABELS && l == NULL, "100001 lines: MN_ERR_LABELS");
  st = mn_labels_parse (many, n - 1, &l);
  CHECK (st == MN_OK && mn_labels_count (l) == 100000, "100000 lines: read");
  mn_labels_free (&l);
  free (many);

  /* /dev/zero is not a regular file. */
  CHECK (mn_labels_load ("/dev/zero", &l) == MN_ERR_IO && l == NULL,
         "a character device: MN_ERR_IO");
}

int
main (void)
{
  counts ();
  bytes ();
  files ();
  return tu_finish ();
}
