/* fuzz_metadata.c: the TFLite metadata reader and the associated-files
 * (ZIP) reader of engine/src/tflite_metadata.c, through its entry point
 * mn_tflite_read_metadata().
 *
 * A file with the "TFL3" identifier is a whole model file.  Otherwise the
 * first byte picks the mode:
 *   even: the rest is a whole model file; its root table is handed to the
 *         metadata reader (ModelMetadata flatbuffer, process units, file
 *         lists, and the archive at its end);
 *   odd:  the rest is a ZIP archive appended to a fixed, valid model whose
 *         metadata names "labels.txt" (so every input reaches zip_find).
 * Labels found are parsed with mn_labels_parse.
 */
#include <stdlib.h>
#include <string.h>

#include "flatbuf.h"
#include "fuzz.h"
#include "graph.h"
#include "tflite_builder.h"

static uint8_t *prefix;     /* the fixed model without its archive */
static size_t prefix_size;

static void
quiet (void *user_data, mn_log_level level, const char *message)
{
  (void) user_data;
  (void) level;
  (void) message;
}

static uint32_t
le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16)
      | ((uint32_t) p[3] << 24);
}

/* A 4-class float softmax model with normalization and a stored labels
 * file; prefix = everything before its archive. */
static void
make_prefix (void)
{
  tb_quant q = tb_quant_default (TFL_TYPE_FLOAT32);
  tb_model *m = tb_softmax (&q, 4, 1.0f);
  static const char labels[] = "a\nb\nc\nd\n";
  size_t size = 0;
  uint8_t *file;

  tb_model_metadata (m, 127.5f, 127.5f, "labels.txt", 2, labels, sizeof labels - 1, 0);
  file = tb_model_finish (m, &size);
  tb_model_free (m);
  if (!file || size < 22)
    abort ();
  for (size_t pos = size - 22 + 1; pos-- > 0;) {
    if (le32 (file + pos) == 0x06054b50u) {
      uint32_t cd_size = le32 (file + pos + 12), cd_offset = le32 (file + pos + 16);
      prefix_size = pos - cd_size - cd_offset;
      prefix = file;
      return;
    }
  }
  abort ();
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  make_prefix ();
  return 0;
}

static void
read_metadata (const uint8_t *file, size_t size)
{
  mn_logger log = { quiet, NULL };
  mn_graph g;
  fb_table root;

  memset (&g, 0, sizeof g);
  if (fb_root (file, size, &root) != FB_OK)
    return;
  mn_tflite_read_metadata (file, size, &root, &g, &log);
  if (g.embedded_labels) {
    mn_labels *l = NULL;
    if (mn_labels_parse (g.embedded_labels, g.embedded_labels_size, &l) == MN_OK)
      mn_labels_free (&l);
  }
  mn_graph_clear (&g);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (!prefix)
    make_prefix ();
  if (fb_has_identifier (data, size, "TFL3")) {
    /* a real model file as it is (the shared models are seeds) */
    uint8_t *file = malloc (size);
    if (!file)
      return 0;
    memcpy (file, data, size);
    read_metadata (file, size);
    free (file);
  } else if (size < 1) {
    return 0;
  } else if ((data[0] & 1) == 0) {
    /* An exact-size copy, so ASan sees any read past the end. */
    uint8_t *file = malloc (size - 1 ? size - 1 : 1);
    if (!file)
      return 0;
    memcpy (file, data + 1, size - 1);
    read_metadata (file, size - 1);
    free (file);
  } else {
    size_t n = prefix_size + size - 1;
    uint8_t *file = malloc (n);
    if (!file)
      return 0;
    memcpy (file, prefix, prefix_size);
    memcpy (file + prefix_size, data + 1, size - 1);
    read_metadata (file, n);
    free (file);
  }
  return 0;
}
