/* test_labels.c: the labels loader and matching labels to a model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mobilenet.h"
#include "test_util.h"

static mn_labels *
parse (const char *text, size_t size)
{
  mn_labels *l = NULL;
  mn_status st = mn_labels_parse (text, size, &l);
  CHECK (st == MN_OK && l, "parse %zu bytes (%s)", size, mn_status_str (st));
  return l;
}

static void
test_line_endings (void)
{
  static const char lf[] = "background\ntench\ngoldfish\n";
  static const char crlf[] = "background\r\ntench\r\ngoldfish";
  static const char bom[] = "\xEF\xBB\xBF" "caf\xC3\xA9\nna\xC3\xAFve";
  mn_labels *a = parse (lf, sizeof lf - 1), *b = parse (crlf, sizeof crlf - 1);
  mn_labels *c = parse (bom, sizeof bom - 1);
  CHECK (mn_labels_count (a) == 3 && mn_labels_count (b) == 3,
         "LF and CRLF, with and without a trailing newline: 3 labels (%d, %d)",
         mn_labels_count (a), mn_labels_count (b));
  for (int i = 0; i < 3; i++)
    CHECK (strcmp (mn_labels_get (a, i), mn_labels_get (b, i)) == 0, "label %d: \"%s\" = \"%s\"",
           i, mn_labels_get (a, i), mn_labels_get (b, i));
  CHECK (mn_labels_count (c) == 2 && strcmp (mn_labels_get (c, 0), "caf\xC3\xA9") == 0,
         "a UTF-8 byte order mark is dropped and UTF-8 kept: \"%s\"", mn_labels_get (c, 0));
  CHECK (mn_labels_get (a, 3) == NULL && mn_labels_get (a, -1) == NULL,
         "out-of-range labels are NULL");
  mn_labels *empty = parse ("", 0);
  CHECK (mn_labels_count (empty) == 0, "an empty file has no labels");
  mn_labels_free (&a);
  mn_labels_free (&b);
  mn_labels_free (&c);
  mn_labels_free (&empty);
  CHECK (a == NULL, "mn_labels_free sets the pointer to NULL");
}

static void
test_matching (void)
{
  char text[8192] = "";
  size_t n = 0;
  for (int i = 0; i < 1000; i++)
    n += (size_t) snprintf (text + n, sizeof text - n, "c%d\n", i);
  mn_labels *l1000 = parse (text, n);
  char msg[256];
  int offset = 99;

  CHECK (mn_labels_match (l1000, 1000, &offset, msg, sizeof msg) == MN_OK && offset == 0,
         "1000 labels, 1000 classes: offset 0");
  CHECK (mn_labels_match (l1000, 1001, &offset, msg, sizeof msg) == MN_OK && offset == -1 &&
             strstr (msg, "background"),
         "1000 labels, 1001 classes: offset -1 and the message says so (%s)", msg);
  CHECK (strcmp (mn_labels_for_class (l1000, -1, 0), "background") == 0 &&
             strcmp (mn_labels_for_class (l1000, -1, 1), "c0") == 0 &&
             strcmp (mn_labels_for_class (l1000, -1, 1000), "c999") == 0,
         "class 0 is background, class 1 the first label");
  CHECK (mn_labels_match (l1000, 500, &offset, msg, sizeof msg) == MN_ERR_LABELS &&
             strstr (msg, "1000") && strstr (msg, "500"),
         "1000 labels for 500 classes is an error naming both counts (%s)", msg);
  CHECK (mn_labels_match (l1000, 1002, &offset, msg, sizeof msg) == MN_ERR_LABELS,
         "1000 labels for 1002 classes is an error");
  /* one more label than classes only when the extra one is "background" */
  CHECK (mn_labels_match (l1000, 999, &offset, msg, sizeof msg) == MN_ERR_LABELS,
         "1000 labels for 999 classes without a background line is an error");
  mn_labels_free (&l1000);

  char path[] = "/tmp/mn-labels-XXXXXX";
  int fd = mkstemp (path);
  FILE *f = fdopen (fd, "w");
  fputs ("background\r\n", f);
  for (int i = 0; i < 1000; i++)
    fprintf (f, "label %d\r\n", i);
  fclose (f);
  mn_labels *l1001 = NULL;
  CHECK (mn_labels_load (path, &l1001) == MN_OK && mn_labels_count (l1001) == 1001,
         "a 1001-line CRLF file loads");
  CHECK (mn_labels_match (l1001, 1000, &offset, msg, sizeof msg) == MN_OK && offset == 1 &&
             strcmp (mn_labels_for_class (l1001, offset, 0), "label 0") == 0,
         "1001 labels with background for 1000 classes: offset +1");
  mn_labels_free (&l1001);
  unlink (path);
}

static void
test_errors (void)
{
  mn_labels *l = NULL;
  CHECK (mn_labels_load ("/nonexistent/labels.txt", &l) == MN_ERR_IO && l == NULL,
         "a missing file is an I/O error");
  CHECK (mn_labels_load ("/tmp", &l) == MN_ERR_IO && l == NULL, "a directory is an I/O error");
  CHECK (mn_labels_load (NULL, &l) == MN_ERR_INVALID_ARG, "NULL path is refused");
  /* the real ImageNet labels */
  const char *path = tu_shared_path ("models/imagenet_labels.txt");
  CHECK (mn_labels_load (path, &l) == MN_OK && mn_labels_count (l) == 1001 &&
             strcmp (mn_labels_get (l, 0), "background") == 0 &&
             strcmp (mn_labels_get (l, 286), "Egyptian cat") == 0,
         "imagenet_labels.txt: 1001 labels, 0 background, 286 Egyptian cat");
  mn_labels_free (&l);
}

int
main (void)
{
  test_line_endings ();
  test_matching ();
  test_errors ();
  return tu_finish ();
}
