/* gen_seeds.c: writes the small generated seeds of the fuzz corpora.
 *
 *   gen-seeds tests/fuzz/corpus
 *
 * tflite/     one-op models from tests/common/tflite_builder (float32,
 *             uint8, int8 per-channel), a five-op float classifier, and
 *             variants with metadata, external buffers and old opcodes;
 * metadata/   mode byte 0 + a model with metadata; mode byte 1 + the ZIP
 *             archive of one (stored, compressed, untyped name);
 * labels/     two bytes of class count + a labels file;
 * element/    one frame per accepted format and each buffer layout (see
 *             fuzz_element.c for the byte layout);
 * twins/      descriptions of one-op models shaped like MobileNet's layers
 *             (see fuzz_twins.c's describe () for the byte layout).
 * The real models are seeds too, by path (see smoke.sh); none is copied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tflite_builder.h"

static const char *dir;
static int written;

static void
put (const char *sub, const char *name, const void *a, size_t na, const void *b, size_t nb)
{
  char path[1024];
  snprintf (path, sizeof path, "%s/%s/%s", dir, sub, name);
  FILE *f = fopen (path, "wb");
  if (!f || (na && fwrite (a, 1, na, f) != na) || (nb && fwrite (b, 1, nb, f) != nb)) {
    fprintf (stderr, "cannot write %s\n", path);
    exit (1);
  }
  fclose (f);
  if (na + nb > 65536)
    fprintf (stderr, "warning: %s is %zu bytes\n", path, na + nb);
  written++;
}

static void
put_model (const char *name, tb_model *m)
{
  size_t size;
  uint8_t *file = tb_model_finish (m, &size);
  put ("tflite", name, file, size, NULL, 0);
  free (file);
  tb_model_free (m);
}

static uint32_t
le32 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16)
      | ((uint32_t) p[3] << 24);
}

/* The five-op float classifier: conv 3x3/2, depthwise 3x3, mean, fully
 * connected, softmax on an 8x8 RGB input. */
static tb_model *
classifier (void)
{
  tb_model *m = tb_model_new ();
  int32_t din[4] = { 1, 8, 8, 3 }, dw1[4] = { 4, 3, 3, 3 }, db[1] = { 4 };
  int32_t d1[4] = { 1, 4, 4, 4 }, dw2[4] = { 1, 3, 3, 4 };
  int32_t dax[1] = { 2 }, d3[2] = { 1, 4 }, dfc[2] = { 5, 4 }, dfb[1] = { 5 }, d5[2] = { 1, 5 };
  float w1[108], b1[4], w2[36], b2[4], wf[20], bf[5];
  int32_t axes[2] = { 1, 2 };
  for (int i = 0; i < 108; i++) w1[i] = (float) ((i * 37) % 17 - 8) / 16.0f;
  for (int i = 0; i < 36; i++) w2[i] = (float) ((i * 13) % 11 - 5) / 8.0f;
  for (int i = 0; i < 20; i++) wf[i] = (float) ((i * 7) % 9 - 4) / 4.0f;
  for (int i = 0; i < 4; i++) b1[i] = b2[i] = 0.125f * (float) i;
  for (int i = 0; i < 5; i++) bf[i] = -0.25f * (float) i;
  int x = tb_tensor (m, "input", TFL_TYPE_FLOAT32, 4, din);
  int c1w = tb_const (m, "c1/w", TFL_TYPE_FLOAT32, 4, dw1, w1, sizeof w1);
  int c1b = tb_const (m, "c1/b", TFL_TYPE_FLOAT32, 1, db, b1, sizeof b1);
  int y1 = tb_tensor (m, "c1", TFL_TYPE_FLOAT32, 4, d1);
  int c2w = tb_const (m, "c2/w", TFL_TYPE_FLOAT32, 4, dw2, w2, sizeof w2);
  int c2b = tb_const (m, "c2/b", TFL_TYPE_FLOAT32, 1, db, b2, sizeof b2);
  int y2 = tb_tensor (m, "c2", TFL_TYPE_FLOAT32, 4, d1);
  int ax = tb_const (m, "axes", TFL_TYPE_INT32, 1, dax, axes, sizeof axes);
  int y3 = tb_tensor (m, "mean", TFL_TYPE_FLOAT32, 2, d3);
  int fw = tb_const (m, "fc/w", TFL_TYPE_FLOAT32, 2, dfc, wf, sizeof wf);
  int fb = tb_const (m, "fc/b", TFL_TYPE_FLOAT32, 1, dfb, bf, sizeof bf);
  int y4 = tb_tensor (m, "logits", TFL_TYPE_FLOAT32, 2, d5);
  int y5 = tb_tensor (m, "probs", TFL_TYPE_FLOAT32, 2, d5);
  int op = tb_op3 (m, TFL_OP_CONV_2D, x, c1w, c1b, y1);
  tb_op_options (m, op)->stride_w = tb_op_options (m, op)->stride_h = 2;
  tb_op_options (m, op)->activation = TFL_ACT_RELU6;
  op = tb_op3 (m, TFL_OP_DEPTHWISE_CONV_2D, y1, c2w, c2b, y2);
  tb_op_options (m, op)->depth_multiplier = 1;
  tb_op_options (m, op)->activation = TFL_ACT_RELU6;
  tb_op2 (m, TFL_OP_MEAN, y2, ax, y3);
  tb_op3 (m, TFL_OP_FULLY_CONNECTED, y3, fw, fb, y4);
  tb_op1 (m, TFL_OP_SOFTMAX, y4, y5);
  tb_io (m, x, y5);
  return m;
}

static void
tflite_seeds (void)
{
  static const int types[3] = { TFL_TYPE_FLOAT32, TFL_TYPE_UINT8, TFL_TYPE_INT8 };
  static const char *tn[3] = { "f32", "u8", "s8" };
  char name[64];
  for (int i = 0; i < 3; i++) {
    tb_quant q = tb_quant_default (types[i]);
    q.per_channel = types[i] == TFL_TYPE_INT8;
    snprintf (name, sizeof name, "conv_%s", tn[i]);
    put_model (name, tb_conv2d (&q, 5, 4, 3, 4, 3, 3, 2, TFL_PADDING_SAME, TFL_ACT_RELU6));
    snprintf (name, sizeof name, "dwconv_%s", tn[i]);
    put_model (name, tb_depthwise (&q, 5, 5, 3, 3, 3, 1, TFL_PADDING_VALID, TFL_ACT_RELU));
    snprintf (name, sizeof name, "fc_%s", tn[i]);
    put_model (name, tb_fully_connected (&q, 7, 5, TFL_ACT_NONE));
    snprintf (name, sizeof name, "add_%s", tn[i]);
    put_model (name, tb_add (&q, 3, 3, 4, TFL_ACT_RELU6));
    snprintf (name, sizeof name, "mean_%s", tn[i]);
    put_model (name, tb_mean (&q, 4, 4, 3, i == 1));
    snprintf (name, sizeof name, "avgpool_%s", tn[i]);
    put_model (name, tb_avgpool (&q, 6, 6, 3, 3, 3, 2, TFL_PADDING_SAME));
    snprintf (name, sizeof name, "softmax_%s", tn[i]);
    put_model (name, tb_softmax (&q, 6, 1.0f));
  }
  put_model ("classifier_f32", classifier ());
  tb_model *m = classifier ();
  tb_model_metadata (m, 127.5f, 127.5f, "labels.txt", 2, "a\nb\nc\nd\ne\n", 10, 0);
  put_model ("classifier_f32_metadata", m);
  m = classifier ();
  tb_model_external_buffers (m, true);
  put_model ("classifier_f32_external", m);
  m = classifier ();
  tb_model_opcode_style (m, 1);
  put_model ("classifier_f32_deprecated_opcodes", m);
  tb_quant q = tb_quant_default (TFL_TYPE_UINT8);
  m = tb_conv2d (&q, 8, 8, 3, 5, 1, 1, 1, TFL_PADDING_SAME, TFL_ACT_NONE);
  tb_model_metadata (m, 0.0f, 0.0f, "labels.txt", 0, "background\nx\ny\nz\nw\nv\n", 21, 0);
  put_model ("conv_u8_untyped_labels", m);
}

/* A model with metadata, as mode 0 (whole file) and mode 1 (its archive). */
static void
metadata_seed (const char *name, float mean, float std, const char *labels_name, int type,
               const char *labels, int method)
{
  tb_quant q = tb_quant_default (TFL_TYPE_FLOAT32);
  tb_model *m = tb_softmax (&q, 4, 1.0f);
  size_t size;
  char fname[128];
  tb_model_metadata (m, mean, std, labels_name, type, labels, labels ? strlen (labels) : 0,
                     method);
  uint8_t *file = tb_model_finish (m, &size);
  tb_model_free (m);
  static const uint8_t mode0 = 0, mode1 = 1;
  snprintf (fname, sizeof fname, "model_%s", name);
  put ("metadata", fname, &mode0, 1, file, size);
  for (size_t pos = size - 22 + 1; labels_name && pos-- > 0;) {
    if (le32 (file + pos) == 0x06054b50u) {
      size_t start = pos - le32 (file + pos + 12) - le32 (file + pos + 16);
      snprintf (fname, sizeof fname, "zip_%s", name);
      put ("metadata", fname, &mode1, 1, file + start, size - start);
      break;
    }
  }
  free (file);
}

static void
metadata_seeds (void)
{
  metadata_seed ("typed", 127.5f, 127.5f, "labels.txt", 2, "a\nb\nc\nd\n", 0);
  metadata_seed ("untyped", 0.0f, 255.0f, "labels.txt", 0, "background\na\nb\nc\n", 0);
  metadata_seed ("deflate", 127.5f, 127.5f, "labels.txt", 2, "a\nb\nc\nd\n", 8);
  metadata_seed ("crlf_bom", 127.5f, 1.0f, "imagenet.txt", 2, "\xEF\xBB\xBFq\r\nr\r\ns\r\nt", 0);
  metadata_seed ("norm_only", 127.5f, 127.5f, NULL, 0, NULL, 0);
}

static void
labels_seed (const char *name, int classes, const char *text, size_t n)
{
  uint8_t hdr[2] = { (uint8_t) ((classes + 2) & 0xff), (uint8_t) ((classes + 2) >> 8) };
  put ("labels", name, hdr, 2, text, n);
}

static void
labels_seeds (void)
{
  labels_seed ("plain", 3, "cat\ndog\nbird\n", 13);
  labels_seed ("background_extra", 3, "background\ncat\ndog\nbird", 24);
  labels_seed ("background_missing", 4, "cat\ndog\nbird\n", 13);
  labels_seed ("crlf_bom", 2, "\xEF\xBB\xBF" "a\r\nb\r\n", 9);
  labels_seed ("empty_lines", 4, "\n\na\n\n", 5);
  labels_seed ("non_utf8", 2, "\xff\xfe\x80\n\xc3\x28\n", 7);
  labels_seed ("nul", 2, "a\0b\nc\n", 6);
  labels_seed ("empty", 0, "", 0);
  labels_seed ("mismatch", 1001, "one\ntwo\n", 8);
}

/* One frame of each format in each layout (fuzz_element.c's bytes). */
static void
element_seeds (void)
{
  char name[64];
  for (int fmt = 0; fmt < 17; fmt++) {
    for (int lay = 0; lay < 8; lay++) {
      if (lay > 0 && fmt % 4 != lay % 4 && fmt != 10 && fmt != 14)
        continue;  /* each layout with a few formats, all with I420/YUY2 */
      int w = 17 + fmt * 3, h = 9 + lay * 5;
      uint8_t b[32] = {
        (uint8_t) fmt, (uint8_t) w, 0, (uint8_t) h, 0,
        (uint8_t) (lay == 2 ? 1 : lay == 3 ? 8 : 0), /* flags: overlay, interlaced */
        (uint8_t) (lay == 0 ? 2 : 0),                /* frames - 1 */
        (uint8_t) lay, 3, 40, 0,                     /* layout, pad, shrink */
        1, 2, 3, 4,                                  /* extra strides */
        7, 0, 9, 0, 0, 0, 0, 0,                      /* extra offsets */
      };
      snprintf (name, sizeof name, "%02d_layout%d", fmt, lay);
      put ("element", name, b, 23, NULL, 0);
    }
  }
}

/* A model for fuzz_twins.c, in its terms (counts from 1; op 0 conv, 1
 * depthwise, 2 fully connected, 3 ADD, 4 residual tail, 5 inverted
 * residual block; type 0 uint8, 1 int8, 2 int8 per channel, 3 float32;
 * activations 0 none, 1 ReLU, 2 ReLU6, 3 ReLU_N1_TO_1; scale 2^-e * (1 +
 * f / 256), e below 40; a block's flags: 1 the residual ADD, 2 V2's first
 * layer as its expansion). */
typedef struct {
  uint8_t op, type, in_e, in_f, out_e, out_f, in_zp, out_zp;
  uint32_t seed;
  uint8_t threads, act, valid, stride, h, w;
  uint16_t c, cout;
  uint8_t kh, kw, act2, twice;
  uint16_t mid;
  uint8_t flags;
} twins_desc;

static void
twins_seed (const char *name, twins_desc d)
{
  uint8_t b[27] = {
    d.op, d.type, d.in_e, d.in_f, d.out_e, d.out_f, d.in_zp, d.out_zp,
    (uint8_t) d.seed, (uint8_t) (d.seed >> 8), (uint8_t) (d.seed >> 16), (uint8_t) (d.seed >> 24),
    (uint8_t) (d.threads - 1), d.act, d.valid, (uint8_t) (d.stride - 1),
    (uint8_t) (d.h - 1), (uint8_t) (d.w - 1),
    (uint8_t) (d.c - 1), (uint8_t) ((d.c - 1) >> 8),
    (uint8_t) (d.cout - 1), (uint8_t) ((d.cout - 1) >> 8),
    (uint8_t) (d.kh - 1), (uint8_t) (d.kw - 1), d.act2, d.twice,
  };
  size_t n = d.op == 4 ? 26 : 24;
  if (d.op == 5) {   /* the block's bytes follow the kernel's */
    b[24] = (uint8_t) (d.mid - 1);
    b[25] = (uint8_t) ((d.mid - 1) >> 8);
    b[26] = d.flags;
    n = 27;
  }
  put ("twins", name, b, n, NULL, 0);
}

static void
twins_seeds (void)
{
  twins_seed ("dw3x3_s1_u8_relu6", (twins_desc) { .op = 1, .in_e = 5, .out_e = 5, .in_zp = 128,
      .seed = 1, .threads = 2, .act = 2, .stride = 1, .h = 14, .w = 14, .c = 144, .cout = 1,
      .kh = 3, .kw = 3 });
  twins_seed ("dw3x3_s2_s8pc_relu6", (twins_desc) { .op = 1, .type = 2, .in_e = 6, .out_e = 5,
      .seed = 2, .threads = 2, .act = 2, .stride = 2, .h = 15, .w = 15, .c = 96, .cout = 1,
      .kh = 3, .kw = 3 });
  twins_seed ("dw5x5_s1_u8_odd_c", (twins_desc) { .op = 1, .in_e = 7, .in_f = 10, .out_e = 6,
      .in_zp = 100, .out_zp = 90, .seed = 3, .threads = 3, .valid = 1, .stride = 1, .h = 9,
      .w = 11, .c = 37, .cout = 1, .kh = 5, .kw = 5 });
  twins_seed ("conv1x1_u8_gemm", (twins_desc) { .op = 0, .in_e = 5, .out_e = 6, .in_zp = 128,
      .seed = 4, .threads = 2, .act = 2, .stride = 1, .h = 12, .w = 10, .c = 24, .cout = 144,
      .kh = 1, .kw = 1 });
  twins_seed ("conv1x1_s8pc_project", (twins_desc) { .op = 0, .type = 2, .in_e = 5, .out_e = 4,
      .seed = 5, .threads = 1, .stride = 1, .h = 7, .w = 7, .c = 160, .cout = 40, .kh = 1,
      .kw = 1 });
  twins_seed ("conv3x3_s2_u8_first", (twins_desc) { .op = 0, .in_e = 7, .out_e = 4, .in_zp = 128,
      .seed = 6, .threads = 2, .act = 2, .stride = 2, .h = 33, .w = 31, .c = 3, .cout = 32,
      .kh = 3, .kw = 3 });
  twins_seed ("fc_u8_big_multiplier", (twins_desc) { .op = 2, .in_e = 2, .out_e = 16,
      .in_zp = 128, .out_zp = 128, .seed = 7, .threads = 1, .stride = 1, .h = 1, .w = 1,
      .c = 200, .cout = 123, .kh = 1, .kw = 1 });
  twins_seed ("add_u8_relu", (twins_desc) { .op = 3, .in_e = 5, .in_f = 3, .out_e = 4,
      .out_f = 7, .in_zp = 128, .out_zp = 60, .seed = 8, .threads = 2, .act = 1, .stride = 1,
      .h = 13, .w = 9, .c = 50, .cout = 1, .kh = 1, .kw = 1 });
  /* multipliers of 2^29 to 2^31: left shifts up to 31 */
  twins_seed ("dw3x3_u8_left_shift_31", (twins_desc) { .op = 1, .in_e = 0, .out_e = 36,
      .in_zp = 120, .out_zp = 130, .seed = 10, .threads = 2, .stride = 1, .h = 9, .w = 8,
      .c = 40, .cout = 1, .kh = 3, .kw = 3 });
  twins_seed ("conv1x1_s8pc_left_shifts", (twins_desc) { .op = 0, .type = 2, .in_e = 0,
      .out_e = 35, .in_zp = 100, .out_zp = 140, .seed = 11, .threads = 3, .stride = 1, .h = 6,
      .w = 7, .c = 40, .cout = 24, .kh = 1, .kw = 1 });
  twins_seed ("residual_s8", (twins_desc) { .op = 4, .type = 1, .in_e = 6, .out_e = 6,
      .in_zp = 3, .out_zp = 250, .seed = 9, .threads = 3, .act = 2, .stride = 1, .h = 10,
      .w = 10, .c = 33, .cout = 1, .kh = 1, .kw = 1, .act2 = 0, .twice = 1 });
  /* blocks whose expanded tensor (64 K elements or more) runs band by
   * band, and one under that; float 1x1 layers of V2's 7x7 shape, which
   * run on AMX where the CPU has it, and of its 56x56 blocks (AVX-512) */
  twins_seed ("block_u8_banded_residual", (twins_desc) { .op = 5, .in_e = 5, .out_e = 5,
      .in_zp = 128, .out_zp = 120, .seed = 12, .threads = 2, .stride = 1, .h = 40, .w = 37,
      .c = 8, .cout = 8, .kh = 1, .kw = 1, .mid = 48, .flags = 1 });
  twins_seed ("block_s8pc_first_layer", (twins_desc) { .op = 5, .type = 2, .in_e = 7,
      .out_e = 5, .seed = 13, .threads = 3, .stride = 1, .h = 39, .w = 40, .c = 3, .cout = 8,
      .kh = 1, .kw = 1, .mid = 168, .flags = 2 });
  twins_seed ("block_f32_banded_s2", (twins_desc) { .op = 5, .type = 3, .seed = 14,
      .threads = 2, .stride = 2, .h = 40, .w = 40, .c = 8, .cout = 16, .kh = 1, .kw = 1,
      .mid = 48 });
  twins_seed ("block_f32_residual", (twins_desc) { .op = 5, .type = 3, .seed = 15,
      .threads = 3, .stride = 1, .h = 14, .w = 13, .c = 24, .cout = 24, .kh = 1, .kw = 1,
      .mid = 144, .flags = 1 });
  twins_seed ("conv1x1_f32_amx_7x7", (twins_desc) { .op = 0, .type = 3, .seed = 16,
      .threads = 2, .act = 2, .stride = 1, .h = 7, .w = 7, .c = 160, .cout = 96, .kh = 1,
      .kw = 1 });
  twins_seed ("conv1x1_f32_gemm", (twins_desc) { .op = 0, .type = 3, .seed = 17, .threads = 3,
      .act = 2, .stride = 1, .h = 12, .w = 11, .c = 24, .cout = 144, .kh = 1, .kw = 1 });
  twins_seed ("dw3x3_f32_s2", (twins_desc) { .op = 1, .type = 3, .seed = 18, .threads = 2,
      .act = 2, .stride = 2, .h = 15, .w = 17, .c = 37, .cout = 1, .kh = 3, .kw = 3 });
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s CORPUS-DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  tflite_seeds ();
  metadata_seeds ();
  labels_seeds ();
  element_seeds ();
  twins_seeds ();
  printf ("%d seeds written under %s\n", written, dir);
  return 0;
}
