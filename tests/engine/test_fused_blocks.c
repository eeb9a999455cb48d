/* test_fused_blocks.c: inverted residual blocks run band by band give the
 * layer-by-layer run's output byte for byte.
 *
 * Single-block models (tflite_builder's tb_inverted_residual) of odd
 * sizes, float, uint8 and int8 per-channel, stride 1 and 2, SAME and
 * VALID, with and without the residual ADD, images of one row, a first
 * layer (3x3 stride 2 convolution) in place of the expansion; bands
 * of one row, of a few rows (not dividing the height, so the last band is
 * shorter and consecutive bands share expansion rows, which the taller
 * images move to the expansion buffer's front when it is full) and of the
 * whole image; 1 to 3 threads (each thread's rows start with rows the thread
 * before also expanded); the C twins and the best kernels.  Then chains of
 * blocks, whose blocks start while the block before runs and read its
 * rows as they are finished (session.c's execute ()): the first thread's
 * bands run from the bottom, a block's rows are cut unlike the block
 * before's after a stride 2, and the arena keeps each block's tensors
 * until the next block is done. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mobilenet.h"
#include "model.h"
#include "test_util.h"
#include "tflite_builder.h"

typedef struct {
  int h, w, cin, mid, cout, stride, padding;
  bool residual;
  int expand_k, expand_stride;   /* 1, 1; or 3, 2 as a first layer */
} block_case;

static const block_case cases[] = {
  { 13, 11, 5, 19, 5, 1, TFL_PADDING_SAME, true, 1, 1 },
  { 14, 9, 8, 24, 7, 2, TFL_PADDING_SAME, false, 1, 1 },
  { 15, 7, 3, 17, 6, 2, TFL_PADDING_SAME, false, 1, 1 },    /* odd height: padding on top */
  { 10, 12, 6, 33, 9, 1, TFL_PADDING_VALID, false, 1, 1 },
  { 9, 10, 4, 16, 4, 2, TFL_PADDING_VALID, false, 1, 1 },
  /* one row (a 1x1 image's 8-bit expansion is a GEMV, not fused) */
  { 1, 2, 4, 24, 4, 1, TFL_PADDING_SAME, true, 1, 1 },
  { 2, 3, 8, 40, 16, 2, TFL_PADDING_SAME, false, 1, 1 },
  { 17, 16, 16, 96, 24, 1, TFL_PADDING_SAME, false, 1, 1 },  /* full SIMD panels */
  /* a first layer (3x3 stride 2 convolution) and the first block */
  { 23, 18, 3, 32, 16, 1, TFL_PADDING_SAME, false, 3, 2 },
  { 16, 13, 3, 12, 8, 2, TFL_PADDING_SAME, false, 3, 2 },
};

static const int types[] = { TFL_TYPE_FLOAT32, TFL_TYPE_UINT8, TFL_TYPE_INT8 };

static uint32_t rng = 0x9E3779B9u;

static uint32_t
next_random (void)
{
  return tu_xorshift32 (&rng);
}

/* The model's output for input through a session with fusing f. */
static uint8_t *
run_block (mn_model *m, int threads, const mn_fusing *f, const void *input, size_t in_size,
           size_t *out_size, int *fused, int *row_reading)
{
  mn_config c;
  mn_config_default (&c);
  c.threads = threads;
  mn_session *s = NULL;
  uint8_t *out = NULL;
  mn_result r;
  if (mn_session_create_fusing (m, &c, f, &s) == MN_OK
      && mn_session_run_tensor (s, input, in_size, &r) == MN_OK) {
    *out_size = (size_t) r.num_classes * (r.raw_type == MN_DTYPE_FLOAT32 ? sizeof (float) : 1);
    out = malloc (*out_size);
    if (out)
      memcpy (out, r.raw, *out_size);
    *fused = mn_session_fused_blocks (s);
    *row_reading = mn_session_row_reading_blocks (s);
  }
  mn_session_destroy (&s);
  return out;
}

/* Distinct output bytes (quantised) or values: the check means something
 * only when the block's output is not one clamped value. */
static int
distinct_values (const uint8_t *out, size_t size, bool f32)
{
  const size_t step = f32 ? sizeof (float) : 1;
  int distinct = 0;
  for (size_t i = 0; i < size && distinct < 16; i += step) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j += step)
      seen = memcmp (out + i, out + j, step) == 0;
    distinct += !seen;
  }
  return distinct;
}

/* The model in file (blocks inverted residual blocks, input of in_count
 * random elements) band by band against layer by layer; row_reading: how
 * many blocks read the block before row by row at 2 threads and more. */
static void
check_model (const uint8_t *file, size_t file_size, const char *name, size_t in_count, bool f32,
             int blocks, int row_reading)
{
  const size_t in_size = in_count * (f32 ? sizeof (float) : 1);
  uint8_t *input = malloc (in_size);
  for (size_t i = 0; input && i < in_count; i++) {
    if (f32)
      ((float *) input)[i] = (float) (next_random () % 2001) / 1000.f - 1.f;
    else
      input[i] = (uint8_t) next_random ();
  }

  static const unsigned masks[] = { 0, MN_CPU_ALL };
  const mn_fusing layer_by_layer = { SIZE_MAX, 0 };
  const size_t bands[] = { 1, 2000, 9000, SIZE_MAX / 4 };
  for (size_t mi = 0; mi < sizeof masks / sizeof masks[0]; mi++) {
    mn_config c;
    mn_config_default (&c);
    c.cpu_mask = masks[mi];
    mn_model *m = NULL;
    if (!CHECK (file && input && mn_model_load_memory (file, file_size, &c, &m) == MN_OK,
                "%s: loads", name))
      continue;
    size_t ref_size = 0;
    int fused = -1, reading = -1;
    uint8_t *ref = run_block (m, 1, &layer_by_layer, input, in_size, &ref_size, &fused, &reading);
    CHECK (ref && fused == 0 && distinct_values (ref, ref_size, f32) >= 4,
           "%s (%s): the layer-by-layer run gives an output of several values", name,
           mi ? "best kernels" : "C twins");
    int same = 0, runs = 0, all_fused = 0, flows = 0;
    for (size_t bi = 0; ref && bi < sizeof bands / sizeof bands[0]; bi++)
      for (int threads = 1; threads <= 3; threads++) {
        const mn_fusing f = { 0, bands[bi] };
        size_t size = 0;
        uint8_t *got = run_block (m, threads, &f, input, in_size, &size, &fused, &reading);
        same += got && size == ref_size && memcmp (got, ref, size) == 0;
        all_fused += fused == blocks;
        flows += reading == (threads > 1 ? row_reading : 0);
        runs++;
        free (got);
      }
    CHECK (ref && same == runs && all_fused == runs && flows == runs,
           "%s (%s): band by band, %d of %d runs (4 band sizes x 1-3 threads) give the same "
           "bytes, %d run the %d blocks fused, %d with %d reading rows", name,
           mi ? "best kernels" : "C twins", same, runs, all_fused, blocks, flows, row_reading);
    free (ref);
    mn_model_unref (&m);
  }
  free (input);
}

static const char *
type_name (int type)
{
  return type == TFL_TYPE_FLOAT32 ? "float" : type == TFL_TYPE_UINT8 ? "uint8" : "int8";
}

static tb_quant
case_quant (int type)
{
  tb_quant q = tb_quant_default (type);
  q.per_channel = type == TFL_TYPE_INT8;
  q.seed = next_random ();
  return q;
}

static void
check_case (const block_case *bc, int type)
{
  const tb_quant q = case_quant (type);
  tb_model *tb = tb_inverted_residual (&q, bc->h, bc->w, bc->cin, bc->mid, bc->cout, bc->stride,
                                       bc->padding, bc->residual, bc->expand_k,
                                       bc->expand_stride);
  size_t file_size = 0;
  uint8_t *file = tb_model_finish (tb, &file_size);
  tb_model_free (tb);
  char name[128];
  snprintf (name, sizeof name, "%s %dx%dx%d -> %dx%d/%d -> %d -> %d, stride %d %s%s",
            type_name (type), bc->h, bc->w, bc->cin, bc->expand_k, bc->expand_k,
            bc->expand_stride, bc->mid, bc->cout, bc->stride,
            bc->padding == TFL_PADDING_SAME ? "SAME" : "VALID", bc->residual ? " + ADD" : "");
  check_model (file, file_size, name, (size_t) bc->h * bc->w * bc->cin,
               type == TFL_TYPE_FLOAT32, 1, 0);
  free (file);
}

/* Chains of blocks: h x w x cin in, then the blocks (a 0 mid ends them). */
typedef struct {
  int h, w, cin;
  tb_block blocks[4];
} chain_case;

static const chain_case chains[] = {
  /* residual blocks of odd height: each cut leaves rows to the other side */
  { 13, 11, 5, { { 19, 5, 1, TFL_PADDING_SAME, true }, { 23, 5, 1, TFL_PADDING_SAME, true },
                 { 17, 6, 1, TFL_PADDING_SAME, false } } },
  /* stride 2 between: the block after cuts half the rows */
  { 22, 9, 8, { { 24, 8, 1, TFL_PADDING_SAME, true }, { 30, 12, 2, TFL_PADDING_SAME, false },
                { 40, 12, 1, TFL_PADDING_SAME, true }, { 36, 7, 2, TFL_PADDING_SAME, false } } },
  /* VALID shrinks each block by two rows */
  { 17, 10, 6, { { 20, 7, 1, TFL_PADDING_VALID, false }, { 21, 9, 2, TFL_PADDING_VALID, false },
                 { 18, 4, 1, TFL_PADDING_VALID, false } } },
  /* 3 rows: some threads get none */
  { 3, 16, 16, { { 96, 16, 1, TFL_PADDING_SAME, true }, { 64, 16, 1, TFL_PADDING_SAME, true } } },
};

static void
check_chain (const chain_case *cc, int type)
{
  int n = 0;
  while (n < 4 && cc->blocks[n].mid > 0)
    n++;
  const tb_quant q = case_quant (type);
  tb_model *tb = tb_inverted_residual_chain (&q, cc->h, cc->w, cc->cin, n, cc->blocks);
  size_t file_size = 0;
  uint8_t *file = tb_model_finish (tb, &file_size);
  tb_model_free (tb);
  char name[128];
  snprintf (name, sizeof name, "%s chain of %d blocks from %dx%dx%d", type_name (type), n,
            cc->h, cc->w, cc->cin);
  check_model (file, file_size, name, (size_t) cc->h * cc->w * cc->cin, type == TFL_TYPE_FLOAT32,
               n, n - 1);
  free (file);
}

int
main (void)
{
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
      check_case (&cases[i], types[t]);
  for (size_t i = 0; i < sizeof chains / sizeof chains[0]; i++)
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
      check_chain (&chains[i], types[t]);
  return tu_finish ();
}
