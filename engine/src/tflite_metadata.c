/* tflite_metadata.c: TFLite model metadata and its embedded labels file.
 *
 * A model's "TFLITE_METADATA" entry names a buffer holding a ModelMetadata
 * flatbuffer (identifier "M001", tensorflow_lite_support/metadata/
 * metadata_schema.fbs).  From it we take the input normalization (mean/std)
 * and the name of the labels file; the file itself lives in a ZIP archive
 * appended to the model (the "associated files").
 *
 * Nothing here is fatal: a model whose metadata or archive is broken still
 * runs, so every problem is a warning and the item is skipped.
 */
#include "graph.h"
#include "flatbuf.h"
#include "tflite_schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTION "mn_model_load"
#define METADATA_NAME "TFLITE_METADATA"

static void
warn (const mn_logger *log, const char *what)
{
  mn_log (log, MN_LOG_WARNING, ACTION ": ignoring the model's metadata: %s", what);
}

/* ------------------------------------------------------------------------ */
/* ZIP (stored entries only) */

#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP_CDIR_SIG 0x02014b50u
#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_EOCD_SIZE 22
#define ZIP_CDIR_SIZE 46
#define ZIP_LOCAL_SIZE 30
#define ZIP_MAX_COMMENT 65535

static uint16_t
le16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16)
      | ((uint32_t) p[3] << 24);
}

static uint32_t
crc32_update (uint32_t crc, const uint8_t *p, size_t n)
{
  size_t i;
  int k;

  crc = ~crc;
  for (i = 0; i < n; i++) {
    crc ^= p[i];
    for (k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

typedef enum {
  ZIP_FOUND,
  ZIP_NO_ARCHIVE,   /* no end-of-central-directory record */
  ZIP_NO_ENTRY,     /* an archive without that name */
  ZIP_SKIPPED,      /* an entry we cannot extract (already logged) */
  ZIP_BROKEN,       /* inconsistent archive (already logged) */
} zip_res;

/* Finds the stored entry called name in the ZIP archive at the end of
 * file and points *data at its bytes (inside file). */
static zip_res
zip_find (const uint8_t *file, size_t size, const char *name, size_t name_len,
          const uint8_t **data, size_t *data_size, const mn_logger *log)
{
  size_t eocd = 0, lowest, pos, cd_start, cd_end, base;
  uint32_t cd_size, cd_offset;
  uint16_t entries, e;
  bool found = false;

  if (size < ZIP_EOCD_SIZE)
    return ZIP_NO_ARCHIVE;
  /* The record is 22 bytes plus a comment of at most 64 KiB: search only
   * that far back, nearest the end first. */
  lowest = size - ZIP_EOCD_SIZE > ZIP_MAX_COMMENT ? size - ZIP_EOCD_SIZE - ZIP_MAX_COMMENT : 0;
  for (pos = size - ZIP_EOCD_SIZE + 1; pos-- > lowest;) {
    if (le32 (file + pos) == ZIP_EOCD_SIG
        && pos + ZIP_EOCD_SIZE + le16 (file + pos + 20) == size) {
      eocd = pos;
      found = true;
      break;
    }
  }
  if (!found)
    return ZIP_NO_ARCHIVE;

  if (le16 (file + eocd + 4) != 0 || le16 (file + eocd + 6) != 0
      || le16 (file + eocd + 8) != le16 (file + eocd + 10)) {
    warn (log, "the associated files archive spans several disks");
    return ZIP_BROKEN;
  }
  entries = le16 (file + eocd + 10);
  cd_size = le32 (file + eocd + 12);
  cd_offset = le32 (file + eocd + 16);
  if (entries == 0xffff || cd_size == 0xffffffffu || cd_offset == 0xffffffffu) {
    warn (log, "the associated files archive is ZIP64, which is not supported");
    return ZIP_BROKEN;
  }
  /* The central directory ends where the record starts; offsets in the
   * archive may be relative to where the archive starts inside the file. */
  if (cd_size > eocd || cd_offset > eocd - cd_size) {
    warn (log, "the associated files archive's central directory lies outside the file");
    return ZIP_BROKEN;
  }
  cd_start = eocd - cd_size;
  cd_end = eocd;
  base = cd_start - cd_offset;

  pos = cd_start;
  for (e = 0; e < entries; e++) {
    uint16_t method, flags, nlen, elen, clen;
    uint32_t crc, csize, usize, local;
    size_t lpos, dpos;

    if (cd_end - pos < ZIP_CDIR_SIZE || le32 (file + pos) != ZIP_CDIR_SIG) {
      warn (log, "the associated files archive has a broken central directory entry");
      return ZIP_BROKEN;
    }
    flags = le16 (file + pos + 8);
    method = le16 (file + pos + 10);
    crc = le32 (file + pos + 16);
    csize = le32 (file + pos + 20);
    usize = le32 (file + pos + 24);
    nlen = le16 (file + pos + 28);
    elen = le16 (file + pos + 30);
    clen = le16 (file + pos + 32);
    local = le32 (file + pos + 42);
    if ((size_t) nlen + elen + clen > cd_end - pos - ZIP_CDIR_SIZE) {
      warn (log, "the associated files archive has a central directory entry past its end");
      return ZIP_BROKEN;
    }
    if (nlen != name_len || memcmp (file + pos + ZIP_CDIR_SIZE, name, name_len) != 0) {
      pos += ZIP_CDIR_SIZE + (size_t) nlen + elen + clen;
      continue;
    }

    if (flags & 1u) {
      mn_log (log, MN_LOG_WARNING,
              ACTION ": the associated file \"%s\" is encrypted: skipped", name);
      return ZIP_SKIPPED;
    }
    if (method != 0) {
      mn_log (log, method == 8 ? MN_LOG_INFO : MN_LOG_WARNING,
              ACTION ": the associated file \"%s\" is compressed (method %u): only stored "
              "(method 0) files are read; skipped", name, method);
      return ZIP_SKIPPED;
    }
    if (csize != usize || local > cd_start - base) {
      warn (log, "an associated file's sizes or offset are inconsistent");
      return ZIP_BROKEN;
    }
    lpos = base + local;
    if (cd_start - lpos < ZIP_LOCAL_SIZE || le32 (file + lpos) != ZIP_LOCAL_SIG) {
      warn (log, "an associated file's local header is missing");
      return ZIP_BROKEN;
    }
    dpos = lpos + ZIP_LOCAL_SIZE;
    if ((size_t) le16 (file + lpos + 26) + le16 (file + lpos + 28) > cd_start - dpos) {
      warn (log, "an associated file's local header runs past the archive");
      return ZIP_BROKEN;
    }
    dpos += (size_t) le16 (file + lpos + 26) + le16 (file + lpos + 28);
    if (csize > cd_start - dpos) {
      warn (log, "an associated file's data runs past the archive");
      return ZIP_BROKEN;
    }
    if (crc32_update (0, file + dpos, csize) != crc) {
      mn_log (log, MN_LOG_WARNING,
              ACTION ": the associated file \"%s\" fails its CRC-32 check: skipped", name);
      return ZIP_SKIPPED;
    }
    *data = file + dpos;
    *data_size = csize;
    return ZIP_FOUND;
  }
  return ZIP_NO_ENTRY;
}

/* ------------------------------------------------------------------------ */
/* ModelMetadata */

static bool
ends_with_txt (const char *s, uint32_t len)
{
  return len >= 4 && memcmp (s + len - 4, ".txt", 4) == 0;
}

typedef struct {
  const char *typed;        /* the first TENSOR_AXIS_LABELS file */
  uint32_t typed_len;
  const char *untyped;      /* else the first *.txt file without a type */
  uint32_t untyped_len;
  bool bad;
} label_pick;

static void
scan_files (const fb_table *t, int field, label_pick *p)
{
  fb_vec files;
  uint32_t i;
  fb_res r = fb_vector (t, field, 4, &files);

  if (r == FB_BAD) {
    p->bad = true;
    return;
  }
  for (i = 0; i < files.len; i++) {
    fb_table f;
    const char *name;
    uint32_t len;
    int8_t type = 0;
    if (fb_vec_table (&files, i, &f) != FB_OK
        || fb_string (&f, TFL_AF_NAME, &name, &len) == FB_BAD
        || fb_i8 (&f, TFL_AF_TYPE, 0, &type) == FB_BAD) {
      p->bad = true;
      return;
    }
    if (name == NULL || len == 0 || memchr (name, 0, len) != NULL)
      continue;
    if (type == TFL_AF_TENSOR_AXIS_LABELS && p->typed == NULL) {
      p->typed = name;
      p->typed_len = len;
    } else if (type == 0 && p->untyped == NULL && ends_with_txt (name, len)) {
      p->untyped = name;
      p->untyped_len = len;
    }
  }
}

static void
read_normalization (const fb_table *input_meta, mn_graph *g, const mn_logger *log)
{
  fb_vec units;
  uint32_t i, k;

  if (fb_vector (input_meta, TFL_TM_PROCESS_UNITS, 4, &units) == FB_BAD) {
    warn (log, "the input's process units lie outside the metadata");
    return;
  }
  for (i = 0; i < units.len; i++) {
    fb_table unit, norm;
    fb_vec mean, std;
    uint8_t type = 0;
    float m, s;
    fb_res r;

    if (fb_vec_table (&units, i, &unit) != FB_OK) {
      warn (log, "a process unit lies outside the metadata");
      return;
    }
    r = fb_union (&unit, TFL_PU_OPTIONS_TYPE, &type, &norm);
    if (r == FB_BAD) {
      warn (log, "a process unit's options lie outside the metadata");
      return;
    }
    if (type != TFL_PU_NORMALIZATION)
      continue;
    if (fb_vector (&norm, TFL_NORM_MEAN, 4, &mean) == FB_BAD
        || fb_vector (&norm, TFL_NORM_STD, 4, &std) == FB_BAD) {
      warn (log, "the normalization options lie outside the metadata");
      return;
    }
    if (mean.len == 0 || std.len == 0) {
      warn (log, "the normalization options have no mean or no std");
      return;
    }
    m = fb_vec_f32 (&mean, 0);
    s = fb_vec_f32 (&std, 0);
    for (k = 1; k < mean.len; k++) {
      if (fb_vec_f32 (&mean, k) != m) {
        warn (log, "the normalization mean differs per channel: only one value is supported");
        return;
      }
    }
    for (k = 1; k < std.len; k++) {
      if (fb_vec_f32 (&std, k) != s) {
        warn (log, "the normalization std differs per channel: only one value is supported");
        return;
      }
    }
    if (!isfinite (m) || !isfinite (s) || !(s > 0.0f)) {
      mn_log (log, MN_LOG_WARNING,
              ACTION ": ignoring the metadata normalization mean %g std %g: both must be "
              "finite and std greater than 0", (double) m, (double) s);
      return;
    }
    g->has_normalization = true;
    g->norm_mean = m;
    g->norm_std = s;
    return;
  }
}

static void
read_labels (const uint8_t *file, size_t file_size, const fb_table *meta,
             const fb_table *sub, bool have_sub, mn_graph *g, const mn_logger *log)
{
  label_pick pick = { 0 };
  const char *name;
  uint32_t name_len;
  const uint8_t *data = NULL;
  size_t data_size = 0;
  char shown[256];
  zip_res zr;

  /* Where image classifiers put it first: the output tensor's files. */
  if (have_sub) {
    fb_vec outs;
    uint32_t i;
    if (fb_vector (sub, TFL_SGM_OUTPUT_TENSOR_METADATA, 4, &outs) == FB_BAD) {
      pick.bad = true;
    } else {
      for (i = 0; i < outs.len && !pick.bad; i++) {
        fb_table tm;
        if (fb_vec_table (&outs, i, &tm) != FB_OK)
          pick.bad = true;
        else
          scan_files (&tm, TFL_TM_ASSOCIATED_FILES, &pick);
      }
    }
    if (!pick.bad)
      scan_files (sub, TFL_SGM_ASSOCIATED_FILES, &pick);
  }
  if (!pick.bad)
    scan_files (meta, TFL_MM_ASSOCIATED_FILES, &pick);
  if (pick.bad) {
    warn (log, "an associated file entry lies outside the metadata");
    return;
  }
  name = pick.typed ? pick.typed : pick.untyped;
  name_len = pick.typed ? pick.typed_len : pick.untyped_len;
  if (name == NULL)
    return;                     /* no labels file named */
  snprintf (shown, sizeof shown, "%.*s", (int) (name_len > 200 ? 200 : name_len), name);

  zr = zip_find (file, file_size, name, name_len, &data, &data_size, log);
  switch (zr) {
    case ZIP_FOUND:
      break;
    case ZIP_NO_ARCHIVE:
      mn_log (log, MN_LOG_WARNING,
              ACTION ": the metadata names the labels file \"%s\" but the model has no "
              "associated files archive", shown);
      return;
    case ZIP_NO_ENTRY:
      mn_log (log, MN_LOG_WARNING,
              ACTION ": the metadata names the labels file \"%s\" but the associated files "
              "archive does not contain it", shown);
      return;
    case ZIP_SKIPPED:
    case ZIP_BROKEN:
      return;
  }
  g->embedded_labels = malloc (data_size + 1);
  if (g->embedded_labels == NULL) {
    mn_log (log, MN_LOG_WARNING,
            ACTION ": out of memory for the %zu-byte labels file \"%s\": skipped",
            data_size, shown);
    return;
  }
  memcpy (g->embedded_labels, data, data_size);
  g->embedded_labels[data_size] = '\0';
  g->embedded_labels_size = data_size;
  mn_log (log, MN_LOG_DEBUG, ACTION ": read the %zu-byte labels file \"%s\" from the model",
          data_size, shown);
}

void
mn_tflite_read_metadata (const uint8_t *file, size_t file_size,
                         const fb_table *model, mn_graph *g, const mn_logger *log)
{
  fb_vec entries, buffers, subs, inputs;
  fb_table entry, buffer, meta, sub, input;
  const uint8_t *bytes = NULL;
  size_t nbytes = 0;
  uint32_t i, buffer_index = 0;
  bool found = false, have_sub = false;
  fb_res r;

  memset (&sub, 0, sizeof sub);

  r = fb_vector (model, TFL_MODEL_METADATA, 4, &entries);
  if (r == FB_BAD) {
    warn (log, "the metadata list lies outside the file");
    return;
  }
  for (i = 0; i < entries.len; i++) {
    const char *name;
    uint32_t len;
    if (fb_vec_table (&entries, i, &entry) != FB_OK
        || fb_string (&entry, TFL_METADATA_NAME, &name, &len) == FB_BAD) {
      warn (log, "a metadata entry lies outside the file");
      return;
    }
    if (name && len == strlen (METADATA_NAME) && memcmp (name, METADATA_NAME, len) == 0) {
      if (fb_u32 (&entry, TFL_METADATA_BUFFER, 0, &buffer_index) == FB_BAD) {
        warn (log, "the " METADATA_NAME " entry is broken");
        return;
      }
      found = true;
      break;
    }
  }
  if (!found)
    return;

  if (fb_vector (model, TFL_MODEL_BUFFERS, 4, &buffers) != FB_OK
      || buffer_index == 0 || buffer_index >= buffers.len
      || fb_vec_table (&buffers, buffer_index, &buffer) != FB_OK
      || mn_tflite_buffer_bytes (file, file_size, &buffer, &bytes, &nbytes) != FB_OK) {
    warn (log, "the " METADATA_NAME " entry refers to a missing or broken buffer");
    return;
  }
  if (!fb_has_identifier (bytes, nbytes, "M001")) {
    warn (log, "the " METADATA_NAME " buffer lacks the \"M001\" identifier");
    return;
  }
  if (fb_root (bytes, nbytes, &meta) != FB_OK) {
    warn (log, "the " METADATA_NAME " buffer's root table lies outside it");
    return;
  }

  r = fb_vector (&meta, TFL_MM_SUBGRAPH_METADATA, 4, &subs);
  if (r == FB_BAD) {
    warn (log, "the subgraph metadata lies outside the metadata buffer");
    return;
  }
  if (subs.len > 0) {
    if (fb_vec_table (&subs, 0, &sub) != FB_OK) {
      warn (log, "the subgraph metadata lies outside the metadata buffer");
      return;
    }
    have_sub = true;
    r = fb_vector (&sub, TFL_SGM_INPUT_TENSOR_METADATA, 4, &inputs);
    if (r == FB_BAD || (inputs.len > 0 && fb_vec_table (&inputs, 0, &input) != FB_OK)) {
      warn (log, "the input tensor metadata lies outside the metadata buffer");
      return;
    }
    if (inputs.len > 0)
      read_normalization (&input, g, log);
  }
  read_labels (file, file_size, &meta, &sub, have_sub, g, log);
}
