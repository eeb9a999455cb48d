/* session.c: the activation arena and the executor.
 *
 * Session creation plans one arena by liveness (tensors whose lifetimes do
 * not overlap share bytes) and allocates everything a run needs, so a run
 * never allocates.  A run is one OpenMP parallel region: the threads write
 * the input image's rows (or read them in place: image_storage), then walk
 * the steps, each step cut into chunks (output rows, pixels, channel
 * panels, channels or elements; softmax and pad are one chunk).  Once the
 * step before is finished (or, for a block after a block, the rows it
 * reads: execute ()), a thread takes its own chunk, then any left
 * (step_chunks.h): no barrier, so a thread that loses its core before it
 * takes its chunk does not hold the others.  Each output element is
 * computed by the same code whatever the split, so results are bitwise
 * identical for any thread count.
 *
 * A thread's own chunks are one chunk a thread, split by the threads'
 * shares (thread_shares.h): equal at first, then following how fast each
 * thread has been running, so that a thread on a core busy with other
 * work gets less of each step.  Cutting
 * steps finer (2-16 chunks a thread, taken by whoever is free) was
 * measured on V2 at 2 threads, with a barrier and again with this scheme:
 * it cut the time threads wait from about 9 % to 3 %, but no median got
 * faster beyond the noise, and the minimums were 1-7 % slower, the extra
 * calls and lost locality costing as much.  Again on 2026-11-29 with 2
 * chunks a thread, each thread taking its own from the front and the
 * other's from the back (so it keeps its rows): over 16 alternating rounds
 * of V2 uint8 the medians were 2 % faster, the minimums 4 % slower.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "step_chunks.h"
#include "thread_shares.h"

struct mn_session {
  mn_model *model;
  int threads;
  uint8_t *arena;
  size_t arena_size;
  mn_huge_region memory;    /* the arena and the band buffers (huge_pages.h) */
  size_t *offsets;          /* per storage tensor; SIZE_MAX if none */
  float *scores;
  uint8_t input_lut[256];   /* pixel -> the 8-bit tensor an image is written to */
  bool input_identity;      /* input_lut[p] == p */
  float input_mean, input_inv_std; /* float input: mn_f32_from_u8 () */
  /* An input whose only reader is a first QUANTIZE (float to 8 bits) or
   * REQUANTIZE step: input_lut then holds that step's own function applied
   * to the pixel -> input values, an image is written straight into the
   * step's output, and the step is skipped (TF2 int8 models: 0.9 % of V2's
   * time was a uint8 -> int8 step that is the identity in the uint8
   * domain). */
  bool quantize_fused;
  /* The storage an image's bytes go to when they go unchanged (8-bit
   * input, input_identity), and that only steps read: a run given an
   * image of packed rows reads it there instead (image), not copying
   * 150 KB (V2) that the threads then read back (the copy took 20 us of
   * V2 8-bit's 2.1 ms at 1 thread, 17 a thread at 2; reading in place,
   * 0.99-1.00 of the time at 1 thread, 0.98-1.00 at 2).  -1 when images
   * are always copied. */
  int image_storage;
  const uint8_t *image;     /* this run's image at image_storage, or NULL */
  /* run-time progress: the input, then each plan step */
  mn_step_progress *progress;
  atomic_uchar *taken;      /* (steps + 1) x threads chunk flags */
  mn_thread_shares shares;  /* each thread's part of a parallel step */
  /* Blocks run band by band (fused_blocks.h): block_at[i] is the block
   * whose first step is plan step i, IN_BLOCK for its other steps (no
   * chunks: the first step's chunks do their work), -1 for the rest. */
  mn_fused_block *blocks;
  int *block_at;
  /* Per block: the block before it whose output it reads, row by row, as
   * those rows are finished (see execute ()); -1 when it waits for the
   * whole step before. */
  int *reads_rows_of;
  mn_step_progress *rows;   /* (steps + 1) x threads: block chunks' finished rows */
  uint8_t *scratch;         /* band buffers, scratch_stride bytes a thread */
  size_t scratch_stride;
};

#define IN_BLOCK (-2)

typedef struct {
  size_t offset, size;
  int first, last;          /* step range during which the bytes are live */
} live_range;

static void *
tensor_ptr (const mn_session *s, int t)
{
  int storage = s->model->plan.tensors[t].storage;
  if (storage == s->image_storage && s->image)
    return (void *) s->image;   /* only read (find_image_storage ()) */
  return s->arena + s->offsets[storage];
}

/* Greedy first-fit by decreasing size, over storage tensors only; then
 * the arena and the band buffers (find_blocks ()'s scratch_stride a
 * thread) from one huge-page region. */
static mn_status
plan_arena (mn_session *s)
{
  const mn_graph *g = &s->model->graph;
  const mn_plan *p = &s->model->plan;
  const int nt = g->num_tensors;
  live_range *lr = calloc ((size_t) nt, sizeof *lr);
  int *order = calloc ((size_t) nt, sizeof *order);
  s->offsets = malloc (sizeof (size_t) * (size_t) nt);
  if (!lr || !order || !s->offsets) {
    free (lr);
    free (order);
    return MN_ERR_NO_MEMORY;
  }
  for (int i = 0; i < nt; i++) {
    s->offsets[i] = SIZE_MAX;
    lr[i].first = INT32_MAX;
    lr[i].last = -1;
  }
  /* The input is live from before step 0; the output to the end. */
#define TOUCH(t, step)                                   \
  do {                                                   \
    int st_ = p->tensors[(t)].storage;                   \
    if ((step) < lr[st_].first) lr[st_].first = (step);  \
    if ((step) > lr[st_].last) lr[st_].last = (step);    \
  } while (0)
  TOUCH (g->input, -1);
  /* A block's steps all run in its first one; its expanded tensor and
   * depthwise output live in the band buffers, not here. */
  for (int i = 0, at = 0, inner0 = -1, inner1 = -1; i < p->num_steps; i++) {
    const mn_step *st = &p->steps[i];
    if (s->block_at[i] != IN_BLOCK) {
      at = i;
      inner0 = s->block_at[i] >= 0 ? p->tensors[st->out].storage : -1;
      inner1 = s->block_at[i] >= 0 ? p->tensors[st[1].out].storage : -1;
    }
    const int ts[3] = { st->in0, st->in1, st->out };
    for (int j = 0; j < 3; j++)
      if (ts[j] >= 0 && p->tensors[ts[j]].storage != inner0
          && p->tensors[ts[j]].storage != inner1)
        TOUCH (ts[j], at);
  }
  TOUCH (g->output, p->num_steps);
#undef TOUCH
  /* With threads, a block's chunks start while the block before is
   * still running (execute ()): the bytes of every tensor live one unit
   * (a step, or a block) longer, so that no block writes what the one
   * before still reads or writes. */
  if (s->threads > 1)
    for (int i = 0; i < nt; i++)
      if (lr[i].last >= 0 && lr[i].last < p->num_steps) {
        int next = lr[i].last + 1;
        while (next < p->num_steps && s->block_at[next] == IN_BLOCK)
          next++;
        lr[i].last = next;
      }
  int n = 0;
  for (int i = 0; i < nt; i++) {
    if (lr[i].last < 0 || !p->tensors[i].is_activation)
      continue;
    lr[i].size = (p->tensors[i].bytes + 63) & ~(size_t) 63;
    order[n++] = i;
  }
  /* insertion sort by size, descending: n is small */
  for (int a = 1; a < n; a++)
    for (int b = a; b > 0 && lr[order[b]].size > lr[order[b - 1]].size; b--) {
      int tmp = order[b];
      order[b] = order[b - 1];
      order[b - 1] = tmp;
    }
  size_t total = 0;
  for (int a = 0; a < n; a++) {
    live_range *r = &lr[order[a]];
    size_t offset = 0;
    bool moved = true;
    while (moved) { /* bump past every placed, overlapping-in-time block */
      moved = false;
      for (int b = 0; b < a; b++) {
        const live_range *q = &lr[order[b]];
        bool time = r->first <= q->last && q->first <= r->last;
        bool space = offset < q->offset + q->size && q->offset < offset + r->size;
        if (time && space) {
          offset = q->offset + q->size;
          moved = true;
        }
      }
    }
    r->offset = offset;
    s->offsets[order[a]] = offset;
    if (offset + r->size > total)
      total = offset + r->size;
  }
  free (lr);
  free (order);
  s->arena_size = total;
  const size_t scratch = s->scratch_stride * (size_t) s->threads;
  mn_huge_region_reserve (&s->memory, total + 64 + scratch);
  s->arena = mn_huge_alloc (&s->memory, total);
  if (scratch > 0)
    s->scratch = mn_huge_alloc (&s->memory, scratch);
  return s->arena && (scratch == 0 || s->scratch) ? MN_OK : MN_ERR_NO_MEMORY;
}

/* Pixel to quantised input.  Models trained on raw pixels (scale ~1/128
 * and zero point ~128 for mean = std = 127.5) take the bytes unchanged, as
 * TFLite's own examples feed them; otherwise quantise (p - mean) / std. */
static void
build_input_lut (mn_session *s, float mean, float std)
{
  const mn_tensor *in = &s->model->graph.tensors[s->model->graph.input];
  if (in->type == MN_DTYPE_FLOAT32) {
    s->input_mean = mean;
    s->input_inv_std = 1.f / std;
    return;
  }
  const double scale = in->scales[0];
  const int32_t zp = mn_domain_zero_point (in, 0);
  bool identity = true;
  int q[256];
  for (int p = 0; p < 256; p++) {
    double real = ((double) p - mean) / std;
    double v = round (real / scale) + zp;
    q[p] = v < 0 ? 0 : v > 255 ? 255 : (int) v;
    if (abs (q[p] - p) > 1)
      identity = false;
  }
  /* In the uint8 domain the raw-pixel convention of int8 models (p - 128)
   * is the identity too. */
  for (int p = 0; p < 256; p++)
    s->input_lut[p] = (uint8_t) (identity ? p : q[p]);
  s->input_identity = identity;
}

/* Whether plan step 0 maps the input byte by byte (QUANTIZE from float,
 * REQUANTIZE) and no later step reads the input (nor a RESHAPE of it):
 * then an image can be written mapped (quantize_fused). */
static void
fuse_input_quantize (mn_session *s)
{
  const mn_plan *p = &s->model->plan;
  const int input = s->model->graph.input;
  const bool f32 = s->model->graph.tensors[input].type == MN_DTYPE_FLOAT32;
  if (p->num_steps < 1 || p->steps[0].in0 != input
      || p->steps[0].kind != (f32 ? MN_STEP_QUANTIZE : MN_STEP_REQUANTIZE))
    return;
  /* by storage: a RESHAPE of the input shares it */
  const int storage = p->tensors[input].storage;
  for (int i = 1; i < p->num_steps; i++)
    if (p->tensors[p->steps[i].in0].storage == storage
        || (p->steps[i].in1 >= 0 && p->tensors[p->steps[i].in1].storage == storage))
      return;
  const mn_step *st = &p->steps[0];
  uint8_t mapped[256];
  if (f32) {
    /* each byte's float as the images get it (write_input_rows ()) */
    uint8_t bytes[256];
    float real[256];
    for (int v = 0; v < 256; v++)
      bytes[v] = (uint8_t) v;
    mn_f32_from_u8 (256, bytes, real, s->input_mean, s->input_inv_std);
    mn_q8_quantize (256, real, mapped, st->out_scale, st->out_zero_point, 0, 255);
  } else {
    mn_q8_requantize (256, s->input_lut, mapped, st->in_zero_point, st->multiplier[0],
                      st->shift[0], st->out_zero_point, 0, 255);
  }
  bool identity = true;
  for (int v = 0; v < 256; v++)
    identity = identity && mapped[v] == v;
  memcpy (s->input_lut, mapped, sizeof mapped);
  s->input_identity = identity;
  s->quantize_fused = true;
}

/* image_storage: where identity-mapped 8-bit images go, when no step
 * that runs writes there and it is not the output (whose int8 bytes
 * read_output () flips in place). */
static void
find_image_storage (mn_session *s)
{
  const mn_plan *p = &s->model->plan;
  const mn_graph *g = &s->model->graph;
  s->image_storage = -1;
  if (g->tensors[g->input].type == MN_DTYPE_FLOAT32 || !s->input_identity)
    return;
  const int storage = p->tensors[s->quantize_fused ? p->steps[0].out : g->input].storage;
  if (storage == p->tensors[g->output].storage)
    return;
  for (int i = s->quantize_fused ? 1 : 0; i < p->num_steps; i++)
    if (p->tensors[p->steps[i].out].storage == storage)
      return;
  s->image_storage = storage;
}

/* Whether block b can start while block a, the step before it, runs: it
 * reads nothing a writes but a's output, whose rows are its input rows
 * (and its residual's, at the same size), through a 1x1 expansion. */
static bool
reads_rows (const mn_plan *p, const mn_fused_block *a, const mn_fused_block *b)
{
  const mn_step *ex = &p->steps[b->expand];
  const mn_conv_geom *ag = &p->steps[a->expand + 1].geom, *bg = &ex[1].geom;
  const int a_out = p->tensors[p->steps[a->last].out].storage;
  if (a->last + 1 != b->expand || (ex->kind != MN_STEP_F32_GEMM && ex->kind != MN_STEP_Q8_GEMM)
      || p->tensors[ex->in0].storage != a_out || ag->out_h != bg->in_h || ag->out_w != bg->in_w)
    return false;
  const int residual = mn_fused_block_residual (b, p);
  return residual < 0 || p->tensors[residual].storage != a_out
         || (bg->in_h == bg->out_h && bg->in_w == bg->out_w);
}

/* The blocks to run band by band, their steps marked in block_at, and the
 * band buffers for each thread. */
static mn_status
find_blocks (mn_session *s, const mn_fusing *f)
{
  const mn_plan *p = &s->model->plan;
  s->block_at = malloc (sizeof (int) * (size_t) (p->num_steps ? p->num_steps : 1));
  if (!s->block_at)
    return MN_ERR_NO_MEMORY;
  for (int i = 0; i < p->num_steps; i++)
    s->block_at[i] = -1;
  size_t scratch = 0;
  const int n = mn_fused_blocks_find (p, s->model->graph.output, f, &s->blocks, &scratch);
  if (n < 0)
    return MN_ERR_NO_MEMORY;
  for (int b = 0; b < n; b++) {
    s->block_at[s->blocks[b].expand] = b;
    for (int i = s->blocks[b].expand + 1; i <= s->blocks[b].last; i++)
      s->block_at[i] = IN_BLOCK;
  }
  s->scratch_stride = n > 0 ? scratch : 0;   /* allocated with the arena */
  s->reads_rows_of = malloc (sizeof (int) * (size_t) (n > 0 ? n : 1));
  if (!s->reads_rows_of)
    return MN_ERR_NO_MEMORY;
  for (int b = 0; b < n; b++)
    s->reads_rows_of[b] =
        s->threads > 1 && b > 0 && reads_rows (p, &s->blocks[b - 1], &s->blocks[b]) ? b - 1 : -1;
  return MN_OK;
}

mn_status
mn_session_create (mn_model *m, const mn_config *c, mn_session **out)
{
  const mn_fusing f = { !c || c->fuse_blocks ? MN_FUSE_MIN_ELEMENTS : SIZE_MAX,
                        MN_FUSE_BAND_BYTES };
  return mn_session_create_fusing (m, c, &f, out);
}

int
mn_session_fused_blocks (const mn_session *s)
{
  int n = 0;
  for (int i = 0; s && i < s->model->plan.num_steps; i++)
    n += s->block_at[i] >= 0;
  return n;
}

int
mn_session_row_reading_blocks (const mn_session *s)
{
  const int blocks = mn_session_fused_blocks (s);
  int n = 0;
  for (int b = 0; b < blocks; b++)
    n += s->reads_rows_of[b] >= 0;
  return n;
}

mn_status
mn_session_create_fusing (mn_model *m, const mn_config *c, const mn_fusing *fusing,
                          mn_session **out)
{
  mn_config defaults;
  if (!out)
    return MN_ERR_INVALID_ARG;
  *out = NULL;
  if (!m)
    return MN_ERR_INVALID_ARG;
  if (!c) {
    mn_config_default (&defaults);
    c = &defaults;
  }
  mn_logger log = { c->log, c->log_user_data };
  if (c->threads < 0)
    return mn_log_error (&log, MN_ERR_INVALID_ARG,
                         "mn_session_create: threads is %d: must be 0 (all cores) or more",
                         c->threads);
  mn_session *s = calloc (1, sizeof *s);
  if (!s)
    return mn_log_error (&log, MN_ERR_NO_MEMORY, "mn_session_create: out of memory");
  s->model = mn_model_ref (m);
  s->threads = c->threads > 0 ? c->threads : omp_get_num_procs ();
  if (s->threads > 256)
    s->threads = 256;
  mn_model_info info;
  mn_model_get_info (m, &info);
  const float mean = isnan (c->input_mean) ? info.norm_mean : c->input_mean;
  const float std = isnan (c->input_std) ? info.norm_std : c->input_std;
  if (!(std > 0.f) || !isfinite (mean) || !isfinite (std)) {
    mn_session_destroy (&s);
    return mn_log_error (&log, MN_ERR_INVALID_ARG,
                         "mn_session_create: input std must be a positive number");
  }
  build_input_lut (s, mean, std);
  fuse_input_quantize (s);
  find_image_storage (s);
  const size_t steps = (size_t) m->plan.num_steps + 1;
  if (find_blocks (s, fusing) != MN_OK) {
    mn_session_destroy (&s);
    return mn_log_error (&log, MN_ERR_NO_MEMORY, "mn_session_create: out of memory");
  }
  s->scores = malloc (sizeof (float) * (size_t) info.num_classes);
  s->progress = mn_aligned_alloc (sizeof (mn_step_progress) * steps);
  s->taken = malloc (sizeof (atomic_uchar) * steps * (size_t) s->threads);
  s->rows = mn_aligned_alloc (sizeof (mn_step_progress) * steps * (size_t) s->threads);
  if (!s->scores || !s->progress || !s->taken || !s->rows
      || !mn_thread_shares_init (&s->shares, s->threads, (int) steps) || plan_arena (s) != MN_OK) {
    mn_session_destroy (&s);
    return mn_log_error (&log, MN_ERR_NO_MEMORY, "mn_session_create: out of memory");
  }
  *out = s;
  return MN_OK;
}

void
mn_session_destroy (mn_session **sp)
{
  if (!sp || !*sp)
    return;
  mn_session *s = *sp;
  mn_huge_free (&s->memory, s->scratch);
  mn_huge_free (&s->memory, s->arena);
  mn_huge_region_release (&s->memory);
  free (s->offsets);
  free (s->scores);
  mn_aligned_free (s->progress);
  free (s->taken);
  mn_aligned_free (s->rows);
  mn_thread_shares_clear (&s->shares);
  free (s->blocks);
  free (s->block_at);
  free (s->reads_rows_of);
  mn_model_unref (&s->model);
  free (s);
  *sp = NULL;
}

/* Part `part` of `parts` of total items, by the threads' shares. */
static void
split (const mn_session *s, int total, int parts, int part, int *begin, int *end)
{
  size_t b, e;
  mn_thread_shares_split (&s->shares, (size_t) total, parts, part, &b, &e);
  *begin = (int) b;
  *end = (int) e;
}

/* The same for n elements of esz bytes, in whole 64-byte lines (the
 * arena's tensors are 64-byte aligned), so that no two parts write the
 * same cache line. */
static void
split_lines (const mn_session *s, size_t n, size_t esz, int parts, int part, size_t *begin,
             size_t *end)
{
  const size_t line = 64 / esz;
  size_t b, e;
  mn_thread_shares_split (&s->shares, (n + line - 1) / line, parts, part, &b, &e);
  *begin = b * line < n ? b * line : n;
  *end = e * line < n ? e * line : n;
}

/* Chunk part of a parallel step cut into parts; the fraction of the
 * step's work it was. */
static double
run_parallel_step (const mn_session *s, const mn_step *st, int part, int parts)
{
  const mn_kernel_table *k = &s->model->kernels;
  const void *in = tensor_ptr (s, st->in0);
  void *out = tensor_ptr (s, st->out);
  int b, e;
  switch (st->kind) {
    case MN_STEP_F32_CONV:
    case MN_STEP_F32_DWCONV:
    case MN_STEP_Q8_CONV:
    case MN_STEP_Q8_DWCONV:
      /* by output rows; the 7x7 8-bit depthwise steps by channels instead
       * (no 4 + 3 rows, each thread preparing only its channels'
       * constants) ran V2 0.6-1 % slower at 2 threads */
      split (s, st->geom.out_h, parts, part, &b, &e);
      if (b >= e)
        return 0;
      if (st->kind == MN_STEP_F32_CONV)
        k->f32_conv (&st->geom, in, st->packed, out, b, e, st->f_min, st->f_max);
      else if (st->kind == MN_STEP_F32_DWCONV)
        k->f32_dwconv (&st->geom, in, st->packed, out, b, e, st->f_min, st->f_max);
      else if (st->kind == MN_STEP_Q8_CONV)
        k->q8_conv (&st->geom, in, st->in_zero_point, st->packed, out, b, e, &st->rq);
      else
        mn_step_q8_dwconv (st, k, &st->geom, in, out, b, e);
      return (double) (e - b) / st->geom.out_h;
    case MN_STEP_F32_GEMM:
    case MN_STEP_Q8_GEMM: {
      const size_t esz = st->kind == MN_STEP_F32_GEMM ? sizeof (float) : 1;
      const int nr = st->kind == MN_STEP_F32_GEMM ? MN_F32_GEMM_NR
                     : st->quads                  ? MN_Q8_GEMM4_NR
                                                  : MN_Q8_GEMM_NR;
      int n0 = 0, n1 = st->n, m0 = 0, m1 = st->m;
      const int panels = (st->n + nr - 1) / nr;
      /* Split the bigger operand.  Rows (pixels) when the activations, in
       * and out and counted twice (six times at 2 threads without AMX,
       * below), outweigh the weights: each thread reads its rows of A once
       * and all of the weights, and the steps before and after, split by
       * rows too, find their rows in the thread's own cache (twice: split by
       * panels, a thread fetches half of its input from the other core and
       * leaves half of its output there for the next step).  Channel panels
       * otherwise (the smallest maps' layers, fully connected): the weights
       * (up to 1.6 MB a layer in V2, read from L3) are the big operand, and
       * each thread then streams only its share of them.  At 2 threads, in
       * one process, this rule against activations counted once: V1 0.5/160
       * and 0.75/192 float 6 % faster (their 10x10 and 12x12 layers), V2 the
       * same; against rows only where m >= n: V2 float 3 % faster (the 14x14
       * expansions).  Cutting rows at multiples of 16 instead, so that no
       * AMX tile tail is cut in two (alone, 98 + 98 rows cost 3.5 us more
       * than one call, 96 + 100 only 1.3), left V2 8-bit unchanged.
       * Measured with the float AMX kernel of the time (bfloat16 parts, now
       * int8 slices, whose cut of the rows costs alike): its steps by
       * channel panels made V2 float 7 % slower (each thread cuts every
       * activation row), their rows at multiples of 16 changed nothing.  The
       * 7x7 projections on sliced weights (n < k) go by rows whatever the
       * weights weigh: by panels each thread cut all 49 rows of a k-wide
       * input and took 5 panels of 16, 1.3x the work of half a step; by rows
       * V2 float ran 2 % faster at 2 threads, V1 the same (the 8-bit AMX
       * projections by rows: 1-2 % slower).  At 2 threads without AMX the
       * activations count six times: V2's 7x7 1x1 layers then go by rows,
       * so each expansion leaves a thread the rows its depthwise step reads
       * instead of half of them in the other core's L2 (V2 float 0.98-0.99
       * of the time at 2 threads on a Xeon without AMX, 8-bit 0.99-1.00,
       * V1 unchanged; all small layers by rows made V1 0.75/192 1.8 %
       * slower; bench/PERFORMANCE-LOG.md, twentieth session).  More threads
       * keep twice (not measured: by rows each would stream all the
       * weights).  Each output element is computed by the same code either
       * way. */
      const bool amx = k->f32_gemm_sliced != NULL;   /* set only on AMX tables */
      const uint64_t activation_weight = parts == 2 && !amx ? 6 : 2;
      const uint64_t activations = (uint64_t) st->m * (uint64_t) (st->k + st->n);
      const bool by_rows =
          st->m >= parts && (activation_weight * activations >= (uint64_t) st->n * (uint64_t) st->k
                             || panels < parts || (st->sliced && st->n < st->k));
      if (by_rows) {
        split (s, st->m, parts, part, &m0, &m1);
      } else {
        split (s, panels, parts, part, &n0, &n1);
        n0 *= nr;
        n1 = n1 * nr < st->n ? n1 * nr : st->n;
      }
      if (m0 >= m1 || n0 >= n1)
        return 0;
      const uint8_t *a = (const uint8_t *) in + (size_t) m0 * st->k * esz;
      uint8_t *c = (uint8_t *) out + (size_t) m0 * st->n * esz;
      if (st->kind == MN_STEP_F32_GEMM)
        mn_step_f32_gemm (st, k, m1 - m0, n0, n1, (const float *) a, (float *) c, (size_t) st->n,
                          st->in1 >= 0
                              ? (const float *) tensor_ptr (s, st->in1) + (size_t) m0 * st->n
                              : NULL);
      else
        mn_step_q8_gemm (st, k, m1 - m0, n0, n1, a, c, (size_t) st->n);
      return (double) (m1 - m0) / st->m * (n1 - n0) / st->n;
    }
    case MN_STEP_Q8_GEMV: {
      /* channel panels: each thread streams its share of the weights */
      const int panels = (st->n + MN_Q8_GEMM_NR - 1) / MN_Q8_GEMM_NR;
      int p0, p1;
      split (s, panels, parts, part, &p0, &p1);
      if (p0 >= p1)
        return 0;
      k->q8_gemv (st->n, st->k, p0 * MN_Q8_GEMM_NR, p1 * MN_Q8_GEMM_NR, in, st->packed, out,
                  &st->rq);
      return (double) (p1 - p0) / panels;
    }
    case MN_STEP_F32_ADD:
    case MN_STEP_Q8_ADD: {
      size_t lo, hi;
      split_lines (s, st->count, st->kind == MN_STEP_F32_ADD ? sizeof (float) : 1, parts, part,
                   &lo, &hi);
      if (lo >= hi)
        return 0;
      const void *in1 = tensor_ptr (s, st->in1);
      if (st->kind == MN_STEP_F32_ADD)
        mn_f32_add (hi - lo, (const float *) in + lo, (const float *) in1 + lo,
                    (float *) out + lo, st->f_min, st->f_max);
      else
        k->q8_add (hi - lo, (const uint8_t *) in + lo, (const uint8_t *) in1 + lo,
                   (uint8_t *) out + lo, &st->add);
      return (double) (hi - lo) / (double) st->count;
    }
    case MN_STEP_F32_MEAN:
    case MN_STEP_Q8_MEAN:
    case MN_STEP_Q8_AVGPOOL: {
      /* by channels: each thread sums all pixels of its own channels */
      const size_t esz = st->kind == MN_STEP_F32_MEAN ? sizeof (float) : 1;
      size_t c0, c1;
      split_lines (s, (size_t) st->channels, esz, parts, part, &c0, &c1);
      if (c0 >= c1)
        return 0;
      const int nc = (int) (c1 - c0);
      const size_t stride = (size_t) st->channels;
      if (st->kind == MN_STEP_F32_MEAN)
        mn_f32_global_average (st->rows, nc, stride, (const float *) in + c0, (float *) out + c0,
                               st->f_min, st->f_max);
      else if (st->kind == MN_STEP_Q8_MEAN)
        mn_q8_mean_hw (st->rows, nc, stride, (const uint8_t *) in + c0, (uint8_t *) out + c0,
                       &st->pool);
      else
        mn_q8_global_avgpool (st->rows, nc, stride, (const uint8_t *) in + c0,
                              (uint8_t *) out + c0, &st->pool);
      return (double) nc / st->channels;
    }
    case MN_STEP_QUANTIZE:
    case MN_STEP_DEQUANTIZE:
    case MN_STEP_REQUANTIZE: {
      size_t lo, hi;
      /* split by the float side's elements, so no float line is shared */
      split_lines (s, st->count, st->kind == MN_STEP_REQUANTIZE ? 1 : sizeof (float), parts,
                   part, &lo, &hi);
      if (lo >= hi)
        return 0;
      if (st->kind == MN_STEP_QUANTIZE)
        mn_q8_quantize (hi - lo, (const float *) in + lo, (uint8_t *) out + lo, st->out_scale,
                        st->out_zero_point, 0, 255);
      else if (st->kind == MN_STEP_DEQUANTIZE)
        mn_q8_dequantize (hi - lo, (const uint8_t *) in + lo, (float *) out + lo, st->in_scale,
                          st->in_zero_point);
      else
        mn_q8_requantize (hi - lo, (const uint8_t *) in + lo, (uint8_t *) out + lo,
                          st->in_zero_point, st->multiplier[0], st->shift[0],
                          st->out_zero_point, 0, 255);
      return (double) (hi - lo) / (double) st->count;
    }
    default:
      return 0;
  }
}

static bool
is_parallel (mn_step_kind kind)
{
  switch (kind) {
    case MN_STEP_F32_CONV:
    case MN_STEP_F32_DWCONV:
    case MN_STEP_Q8_CONV:
    case MN_STEP_Q8_DWCONV:
    case MN_STEP_F32_GEMM:
    case MN_STEP_Q8_GEMM:
    case MN_STEP_Q8_GEMV:
    case MN_STEP_F32_ADD:
    case MN_STEP_Q8_ADD:
    case MN_STEP_F32_MEAN:
    case MN_STEP_Q8_MEAN:
    case MN_STEP_Q8_AVGPOOL:
    case MN_STEP_QUANTIZE:
    case MN_STEP_DEQUANTIZE:
    case MN_STEP_REQUANTIZE:
      return true;
    default:
      return false;
  }
}

static void
run_serial_step (const mn_session *s, const mn_step *st)
{
  const void *in = tensor_ptr (s, st->in0);
  void *out = tensor_ptr (s, st->out);
  switch (st->kind) {
    case MN_STEP_F32_SOFTMAX:
      mn_f32_softmax (st->rows, st->channels, in, out, st->beta);
      break;
    case MN_STEP_Q8_SOFTMAX:
      (st->out_is_int8 ? mn_q8_softmax_int8 : mn_q8_softmax) (
          st->rows, st->channels, in, out, st->in_scale, st->beta, st->out_scale,
          st->out_zero_point);
      break;
    case MN_STEP_PAD:
      mn_pad_nhwc (st->pad_dims, st->pad_before, st->pad_after, st->elem_size, in, out,
                   &st->fill);
      break;
    default:
      break;
  }
}

/* Image rows [y0, y1) into the input tensor, through the pixel tables. */
static void
write_input_rows (const mn_session *s, const uint8_t *rgb, size_t stride, int y0, int y1)
{
  const mn_graph *g = &s->model->graph;
  const mn_tensor *t = &g->tensors[g->input];
  const size_t row = (size_t) t->dims[2] * 3;
  /* fused: bytes into the first step's output (fuse_input_quantize ()) */
  void *dst = tensor_ptr (s, s->quantize_fused ? s->model->plan.steps[0].out : g->input);
  for (int y = y0; y < y1; y++) {
    const uint8_t *src = rgb + (size_t) y * stride;
    if (t->type == MN_DTYPE_FLOAT32 && !s->quantize_fused) {
      /* computed, not looked up in a table, so that it vectorises: V2's
       * image took 35 us instead of 55 at 1 thread in SSE2 code (most of
       * it the stores), less on the AVX-512 twin */
      s->model->kernels.f32_from_u8 (row, src, (float *) dst + (size_t) y * row, s->input_mean,
                                     s->input_inv_std);
    } else if (s->input_identity) {
      memcpy ((uint8_t *) dst + (size_t) y * row, src, row);
    } else {
      uint8_t *q = (uint8_t *) dst + (size_t) y * row;
      for (size_t x = 0; x < row; x++)
        q[x] = s->input_lut[src[x]];
    }
  }
}

static void
read_output (mn_session *s, mn_result *r)
{
  const mn_graph *g = &s->model->graph;
  const mn_tensor *t = &g->tensors[g->output];
  const void *src = tensor_ptr (s, g->output);
  const int n = (int) mn_tensor_elements (t);
  if (t->type == MN_DTYPE_FLOAT32) {
    memcpy (s->scores, src, sizeof (float) * (size_t) n);
  } else {
    const uint8_t *q = src;
    const float scale = t->scales[0];
    const int32_t zp = mn_domain_zero_point (t, 0);
    for (int i = 0; i < n; i++)
      s->scores[i] = scale * (float) ((int32_t) q[i] - zp);
  }
  /* The raw tensor keeps its own type: int8 back out of the uint8 domain. */
  if (t->type == MN_DTYPE_INT8) {
    uint8_t *q = (uint8_t *) src;
    for (int i = 0; i < n; i++)
      q[i] ^= 0x80;
  }
  r->scores = s->scores;
  r->raw = src;
  r->raw_type = t->type;
  r->num_classes = n;
}

/* Whether chunk part of parts of a block runs its bands from the bottom:
 * the first chunk does, the others from the top, so that the rows next
 * to the first cut are each side's first (see execute ()). */
static bool
runs_upward (int part, int parts)
{
  return part == 0 && parts > 1;
}

/* A block chunk's band hooks: it waits for the rows it reads of the block
 * before (from: its first step; no wait_for_rows () when the chunk waited
 * for that block to finish), and publishes its own (rows). */
typedef struct {
  const mn_session *s;
  int from, parts;          /* the block before: its first step, its chunks */
  mn_step_progress *rows;
  double waited;            /* seconds */
} band_flow;

static void
wait_for_rows (void *ctx, int first, int end)
{
  band_flow *f = ctx;
  const int h = f->s->model->plan.steps[f->from + 1].geom.out_h;
  for (int q = 0; q < f->parts; q++) {
    int qb, qe;
    split (f->s, h, f->parts, q, &qb, &qe);
    const int lo = first > qb ? first : qb, hi = end < qe ? end : qe;
    if (lo >= hi)
      continue;
    /* rows chunk q has finished, counted from where it began */
    const int need = runs_upward (q, f->parts) ? qe - lo : hi - qb;
    mn_step_progress *r =
        &f->s->rows[(size_t) (f->from + 1) * (size_t) f->s->threads + (size_t) q];
    if (atomic_load_explicit (&r->done, memory_order_acquire) < need) {
      const double t0 = omp_get_wtime ();
      mn_step_wait_done (r, need);
      f->waited += omp_get_wtime () - t0;
    }
  }
}

static void
publish_rows (void *ctx, int rows)
{
  band_flow *f = ctx;
  mn_step_rows_done (f->rows, rows);
}

/* Chunk part of parts of a block: its depthwise output rows, band by band,
 * in thread tid's band buffers.  *waited: the seconds it waited for the
 * block before's rows. */
static double
run_block_chunk (const mn_session *s, int bi, int part, int parts, int tid, double *waited)
{
  const mn_fused_block *b = &s->blocks[bi];
  const mn_step *ex = &s->model->plan.steps[b->expand], *pr = ex + 2;
  const int out_h = ex[1].geom.out_h;
  int y0, y1;
  split (s, out_h, parts, part, &y0, &y1);
  if (y0 >= y1)
    return 0;
  mn_fused_block_io io = {
    .in = tensor_ptr (s, ex->in0),
    .project_out = tensor_ptr (s, pr->out),
    .residual = pr->in1 >= 0 ? tensor_ptr (s, pr->in1) : NULL,
  };
  if (b->last > b->expand + 2) {
    io.add_in0 = tensor_ptr (s, pr[1].in0);
    io.add_in1 = tensor_ptr (s, pr[1].in1);
    io.add_out = tensor_ptr (s, pr[1].out);
  }
  const int from = s->reads_rows_of[bi];
  band_flow flow = {
    .s = s,
    .from = from >= 0 ? s->blocks[from].expand : -1,
    .parts = parts,
    .rows = &s->rows[(size_t) (b->expand + 1) * (size_t) s->threads + (size_t) part],
  };
  const mn_band_hooks hooks = { from >= 0 ? wait_for_rows : NULL, publish_rows, &flow };
  mn_fused_block_run (b, &s->model->plan, &s->model->kernels, &io, y0, y1,
                      runs_upward (part, parts), &hooks,
                      s->scratch + (size_t) tid * s->scratch_stride);
  *waited = flow.waited;
  return (double) (y1 - y0) / out_h;
}

/* Chunks of plan step i (-1: the input image) at nth threads. */
static int
chunks_of (const mn_session *s, int i, int nth, bool has_input)
{
  if (i < 0)
    return has_input && !s->image ? nth : 0;
  if (i == 0 && has_input && s->quantize_fused)
    return 0;   /* written with the image */
  if (s->block_at[i] == IN_BLOCK)
    return 0;   /* run by the block's first step */
  return is_parallel (s->model->plan.steps[i].kind) ? nth : 1;
}

/* Chunk j of plan step i, run by thread tid; i = -1: rows of the image
 * rgb into the input.  The fraction of the step's work it was (0 for a
 * serial step); *waited: the seconds it waited inside. */
static double
run_chunk (const mn_session *s, int i, const uint8_t *rgb, size_t stride, int j, int chunks,
           int tid, double *waited)
{
  *waited = 0;
  if (i < 0) {
    const int h = s->model->graph.tensors[s->model->graph.input].dims[1];
    int y0, y1;
    split (s, h, chunks, j, &y0, &y1);
    write_input_rows (s, rgb, stride, y0, y1);
    return (double) (y1 - y0) / h;
  }
  if (s->block_at[i] >= 0)
    return run_block_chunk (s, s->block_at[i], j, chunks, tid, waited);
  const mn_step *st = &s->model->plan.steps[i];
  if (is_parallel (st->kind))
    return run_parallel_step (s, st, j, chunks);
  run_serial_step (s, st);
  return 0;
}

/* Until unit u (a step with chunks, -1 the image, -2 none) is finished. */
static void
wait_unit (mn_session *s, int u, int nth, bool has_input)
{
  if (u >= -1)
    mn_step_wait_done (&s->progress[u + 1], chunks_of (s, u, nth, has_input));
}

/* One run; rgb (stride bytes a row) is written to the input first, in the
 * same parallel region, unless it is NULL (the input already holds it).
 *
 * A thread starts a step's chunks when the step before is finished; a
 * block that reads the block before it row by row (reads_rows ()) starts
 * as soon as the one before the two is, and waits band by band for the
 * rows it reads.  At 2 threads the first chunk runs its bands from the
 * bottom and the second from the top, so each starts with the rows next
 * to the cut, which are the rows the other thread's next block reads
 * first: a thread that was given less work, or got its core back sooner,
 * goes on into the next block instead of waiting at every block's end.
 * The arena keeps every tensor's bytes one unit longer (plan_arena ()),
 * and a unit waits for the one before the unit before it, so no block
 * overwrites what the block before still reads. */
static void
execute (mn_session *s, const uint8_t *rgb, size_t stride, mn_result *out)
{
  const int steps = s->model->plan.num_steps;
  const bool has_input = rgb != NULL;
  mn_step_chunks_reset (s->progress, s->taken, steps + 1, s->threads);
  mn_step_progress_reset (s->rows, (size_t) (steps + 1) * (size_t) s->threads);
  mn_thread_shares_start (&s->shares);
#pragma omp parallel num_threads (s->threads)
  {
    const int tid = omp_get_thread_num ();
    const int nth = omp_get_num_threads ();
    for (int i = -1, unit = -2, before_unit = -2; i < steps; i++) {
      const int chunks = chunks_of (s, i, nth, has_input);
      if (chunks == 0)
        continue;
      const int from = i >= 0 && s->block_at[i] >= 0 ? s->reads_rows_of[s->block_at[i]] : -1;
      if (from < 0 || s->blocks[from].expand != unit)
        wait_unit (s, unit, nth, has_input);
      wait_unit (s, before_unit, nth, has_input);
      before_unit = unit;
      unit = i;
      atomic_uchar *taken = s->taken + (size_t) (i + 1) * (size_t) s->threads;
      for (int j; (j = mn_step_chunk_take (taken, chunks, tid % chunks)) >= 0;) {
        const double t0 = nth > 1 ? omp_get_wtime () : 0;
        double waited;
        const double fraction = run_chunk (s, i, rgb, stride, j, chunks, tid, &waited);
        if (nth > 1)
          mn_thread_shares_record (&s->shares, j, i + 1, j == tid,
                                   omp_get_wtime () - t0 - waited, fraction);
        mn_step_chunk_done (&s->progress[i + 1], chunks);
      }
    }
  }
  mn_thread_shares_update (&s->shares);
  read_output (s, out);
}

mn_status
mn_session_run (mn_session *s, const uint8_t *rgb, size_t stride, mn_result *out)
{
  if (!s || !rgb || !out)
    return MN_ERR_INVALID_ARG;
  const mn_tensor *t = &s->model->graph.tensors[s->model->graph.input];
  if (t->rank != 4 || t->dims[0] != 1 || t->dims[3] != 3)
    return mn_log_error (&s->model->log, MN_ERR_UNSUPPORTED,
                         "mn_session_run: the model's input is not a [1,height,width,3] image");
  if (stride < (size_t) t->dims[2] * 3)
    return mn_log_error (&s->model->log, MN_ERR_INVALID_ARG,
                         "mn_session_run: stride %zu is less than width %d x 3", stride,
                         t->dims[2]);
  s->image = s->image_storage >= 0 && stride == (size_t) t->dims[2] * 3 ? rgb : NULL;
  execute (s, rgb, stride, out);
  s->image = NULL;
  return MN_OK;
}

mn_status
mn_session_run_tensor (mn_session *s, const void *input, size_t size, mn_result *out)
{
  if (!s || !input || !out)
    return MN_ERR_INVALID_ARG;
  const mn_graph *g = &s->model->graph;
  const mn_tensor *t = &g->tensors[g->input];
  if (size != s->model->plan.tensors[g->input].bytes)
    return mn_log_error (&s->model->log, MN_ERR_INVALID_ARG,
                         "mn_session_run_tensor: %zu bytes given, the input needs %zu", size,
                         s->model->plan.tensors[g->input].bytes);
  uint8_t *dst = tensor_ptr (s, g->input);
  memcpy (dst, input, size);
  if (t->type == MN_DTYPE_INT8) /* into the uint8 domain */
    for (size_t i = 0; i < size; i++)
      dst[i] ^= 0x80;
  execute (s, NULL, 0, out);
  return MN_OK;
}

int
mn_result_top_k (const mn_result *r, int k, mn_class_score *out)
{
  if (!r || !out || k <= 0)
    return 0;
  int n = 0;
  for (int c = 0; c < r->num_classes; c++) {
    float v = r->scores[c];
    if (n == k && !(v > out[n - 1].score))
      continue;
    int pos = n < k ? n++ : k - 1;
    /* strictly greater moves up: ties keep the lower class id first */
    while (pos > 0 && v > out[pos - 1].score) {
      out[pos] = out[pos - 1];
      pos--;
    }
    out[pos].class_id = c;
    out[pos].score = v;
  }
  return n;
}
