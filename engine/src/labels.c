/* labels.c: one-label-per-line files, and matching them to a model. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mobilenet.h"

/* A labels file longer than this is not a labels file. */
#define MN_MAX_LABELS_BYTES ((size_t) 16 << 20)
#define MN_MAX_LABELS 100000

struct mn_labels {
  char *text;      /* the file, each line NUL-terminated in place */
  char **lines;
  int count;
};

void
mn_labels_free (mn_labels **l)
{
  if (!l || !*l)
    return;
  free ((*l)->text);
  free ((*l)->lines);
  free (*l);
  *l = NULL;
}

mn_status
mn_labels_parse (const char *data, size_t size, mn_labels **out)
{
  if (!out || (!data && size))
    return MN_ERR_INVALID_ARG;
  *out = NULL;
  if (size > MN_MAX_LABELS_BYTES)
    return MN_ERR_LABELS;
  /* A UTF-8 byte order mark is not part of the first label. */
  if (size >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    size -= 3;
  }
  mn_labels *l = calloc (1, sizeof *l);
  if (!l)
    return MN_ERR_NO_MEMORY;
  l->text = malloc (size + 1);
  if (!l->text)
    goto no_memory;
  if (size)
    memcpy (l->text, data, size);
  l->text[size] = '\0';

  size_t lines = 0;
  for (size_t i = 0; i < size; i++)
    lines += l->text[i] == '\n';
  if (size && l->text[size - 1] != '\n')
    lines++; /* last line without a newline */
  if (lines > MN_MAX_LABELS) {
    mn_labels_free (&l);
    return MN_ERR_LABELS;
  }
  l->lines = malloc (sizeof (char *) * (lines ? lines : 1));
  if (!l->lines)
    goto no_memory;

  char *p = l->text, *end = l->text + size;
  while (p < end) {
    char *nl = memchr (p, '\n', (size_t) (end - p));
    char *eol = nl ? nl : end;
    if (eol > p && eol[-1] == '\r')
      eol[-1] = '\0';
    *eol = '\0';
    l->lines[l->count++] = p;
    p = eol + 1;
  }
  *out = l;
  return MN_OK;

no_memory:
  mn_labels_free (&l);
  return MN_ERR_NO_MEMORY;
}

mn_status
mn_labels_load (const char *path, mn_labels **out)
{
  if (!path || !out)
    return MN_ERR_INVALID_ARG;
  *out = NULL;
  FILE *f = fopen (path, "rb");
  if (!f)
    return MN_ERR_IO;
  struct stat sb;
  if (fstat (fileno (f), &sb) != 0 || !S_ISREG (sb.st_mode)) {
    fclose (f);
    return MN_ERR_IO;
  }
  if ((size_t) sb.st_size > MN_MAX_LABELS_BYTES) {
    fclose (f);
    return MN_ERR_LABELS;
  }
  size_t size = (size_t) sb.st_size;
  char *buf = malloc (size ? size : 1);
  if (!buf) {
    fclose (f);
    return MN_ERR_NO_MEMORY;
  }
  size_t got = fread (buf, 1, size, f);
  int failed = ferror (f);
  fclose (f);
  if (failed || got != size) {
    free (buf);
    return MN_ERR_IO;
  }
  mn_status st = mn_labels_parse (buf, size, out);
  free (buf);
  return st;
}

int
mn_labels_count (const mn_labels *l)
{
  return l ? l->count : 0;
}

const char *
mn_labels_get (const mn_labels *l, int i)
{
  if (!l || i < 0 || i >= l->count)
    return NULL;
  return l->lines[i];
}

mn_status
mn_labels_match (const mn_labels *l, int num_classes, int *offset, char *message,
                 size_t message_size)
{
  int n = mn_labels_count (l);
  if (offset)
    *offset = 0;
  if (message && message_size)
    message[0] = '\0';
  if (n == num_classes)
    return MN_OK;
  if (n == num_classes - 1) {
    /* e.g. 1000 ImageNet labels for a 1001-class model: class 0 is background */
    if (offset)
      *offset = -1;
    if (message)
      snprintf (message, message_size,
                "%d labels for %d classes: class 0 is taken as \"background\"", n, num_classes);
    return MN_OK;
  }
  if (n == num_classes + 1 && n > 0 && strcmp (l->lines[0], "background") == 0) {
    if (offset)
      *offset = 1;
    if (message)
      snprintf (message, message_size,
                "%d labels for %d classes: the leading \"background\" label is skipped", n,
                num_classes);
    return MN_OK;
  }
  if (message)
    snprintf (message, message_size, "the labels have %d lines but the model has %d classes", n,
              num_classes);
  return MN_ERR_LABELS;
}

const char *
mn_labels_for_class (const mn_labels *l, int offset, int class_id)
{
  if (offset == -1 && class_id == 0)
    return "background";
  return mn_labels_get (l, class_id + offset);
}
