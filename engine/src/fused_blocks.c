/* fused_blocks.c: finding the blocks and running one band by band. */
#include "fused_blocks.h"

#include <stdlib.h>
#include <string.h>

#include "ops.h"

static size_t
round64 (size_t n)
{
  return (n + 63) & ~(size_t) 63;
}

static bool
is_f32 (mn_step_kind k)
{
  return k == MN_STEP_F32_GEMM || k == MN_STEP_F32_CONV;
}

/* Bytes an element of the tensors a block's expansion k reads and writes. */
static size_t
element_size (mn_step_kind k)
{
  return is_f32 (k) ? sizeof (float) : 1;
}

static int
storage (const mn_plan *p, int t)
{
  return p->tensors[t].storage;
}

/* Whether step i + 3 is an ADD of step i + 2's output (no other reader). */
static bool
ends_with_add (const mn_plan *p, int i, int graph_output)
{
  if (i + 3 >= p->num_steps)
    return false;
  const mn_step *pr = &p->steps[i + 2], *add = &p->steps[i + 3];
  const bool same_family = pr->kind == MN_STEP_F32_GEMM ? add->kind == MN_STEP_F32_ADD
                                                        : add->kind == MN_STEP_Q8_ADD;
  const int ps = storage (p, pr->out);
  return same_family && add->count == (size_t) pr->m * (size_t) pr->n
         && (storage (p, add->in0) == ps) != (storage (p, add->in1) == ps)
         && storage (p, add->out) != ps && ps != storage (p, graph_output)
         && !mn_plan_read_outside (p, ps, i + 3, i + 3);
}

/* Whether step ex's output is the depthwise input of geometry g: a 1x1
 * convolution (GEMM) or a full one (a first layer) of matching shape. */
static bool
feeds (const mn_step *ex, const mn_conv_geom *g)
{
  switch (ex->kind) {
    case MN_STEP_F32_GEMM:
    case MN_STEP_Q8_GEMM:
      return ex->in1 < 0 && ex->m == g->in_h * g->in_w && ex->n == g->in_c;
    case MN_STEP_F32_CONV:
    case MN_STEP_Q8_CONV:
      return ex->geom.out_h == g->in_h && ex->geom.out_w == g->in_w && ex->geom.out_c == g->in_c;
    default:
      return false;
  }
}

/* Whether steps i, i + 1, i + 2 are expand (or a first convolution),
 * depthwise, project. */
static bool
is_block (const mn_plan *p, int i, int graph_output)
{
  if (i + 2 >= p->num_steps)
    return false;
  const mn_step *ex = &p->steps[i], *dw = ex + 1, *pr = ex + 2;
  const mn_conv_geom *g = &dw->geom;
  const bool f32 = is_f32 (ex->kind);
  if (dw->kind != (f32 ? MN_STEP_F32_DWCONV : MN_STEP_Q8_DWCONV)
      || pr->kind != (f32 ? MN_STEP_F32_GEMM : MN_STEP_Q8_GEMM) || !feeds (ex, g))
    return false;
  const int es = storage (p, ex->out), ds = storage (p, dw->out), out = storage (p, graph_output);
  return storage (p, dw->in0) == es && storage (p, pr->in0) == ds && es != ds && es != out
         && ds != out && storage (p, ex->in0) != es && storage (p, pr->out) != es
         && storage (p, pr->out) != ds && (pr->in1 < 0 || storage (p, pr->in1) != ds)
         && !mn_plan_read_outside (p, es, i + 1, i + 1)
         && !mn_plan_read_outside (p, ds, i + 2, i + 2)
         && g->depth_multiplier == 1 && g->in_c == g->out_c && pr->m == g->out_h * g->out_w
         && pr->k == g->out_c;
}

/* The expansion buffer holds the rows of SLIDE_BANDS bands: each band
 * expands its new rows after the last band's (before them, upward), and
 * only when they would pass the end (the front) are the rows it shares
 * with the band before moved to the front (the end).  Moving them every
 * band (a 43 KB row of V2's 112x112x96 float tensor for each 56-wide
 * output row) took 1.8 % of V2 float's time at 1 thread (perf); every
 * fourth band, V2 float ran 1-1.5 % faster at 1 and 2 threads,
 * alternating in one process.  A window of 16 bands was no faster than
 * none. */
#define SLIDE_BANDS 4

/* Expansion rows a band of `band` depthwise rows reads, at most. */
static int
expand_rows (const mn_conv_geom *g, int band)
{
  const int rows = (band - 1) * g->stride_h + g->k_h;
  return rows < g->in_h ? rows : g->in_h;
}

static void
size_bands (const mn_plan *p, size_t budget, mn_fused_block *b)
{
  const mn_step *ex = &p->steps[b->expand];
  const mn_conv_geom *g = &ex[1].geom;
  const size_t esz = element_size (ex->kind);
  const size_t e_row = (size_t) g->in_w * (size_t) g->in_c * esz;
  const size_t d_row = (size_t) g->out_w * (size_t) g->out_c * esz;
  int band = 1;
  while (band < g->out_h
         && (size_t) expand_rows (g, band + 1) * e_row + (size_t) (band + 1) * d_row
                <= budget)
    band++;
  b->band = band;
  const int rows = expand_rows (g, band) + (SLIDE_BANDS - 1) * band * g->stride_h;
  b->expand_bytes = round64 ((size_t) (rows < g->in_h ? rows : g->in_h) * e_row);
  b->dw_bytes = round64 ((size_t) band * d_row);
}

int
mn_fused_blocks_find (const mn_plan *p, int graph_output, const mn_fusing *f,
                      mn_fused_block **out, size_t *scratch_bytes)
{
  *out = NULL;
  *scratch_bytes = 0;
  int count = 0;
  for (int pass = 0; pass < 2; pass++) { /* count, then (*out set) fill */
    count = 0;
    for (int i = 0; i + 2 < p->num_steps; i++) {
      if (!is_block (p, i, graph_output)
          || p->tensors[p->steps[i].out].bytes / element_size (p->steps[i].kind)
                 < f->min_elements)
        continue;
      const int last = ends_with_add (p, i, graph_output) ? i + 3 : i + 2;
      if (*out) {
        mn_fused_block *b = &(*out)[count];
        b->expand = i;
        b->last = last;
        size_bands (p, f->band_bytes, b);
        if (b->expand_bytes + b->dw_bytes > *scratch_bytes)
          *scratch_bytes = b->expand_bytes + b->dw_bytes;
      }
      count++;
      i = last;
    }
    if (count == 0 || *out)
      break;
    if (!(*out = calloc ((size_t) count, sizeof **out)))
      return -1;
  }
  return count;
}

/* The input rows [*first, *end) that output rows [y0, y1) of g read. */
static void
input_rows (const mn_conv_geom *g, int y0, int y1, int *first, int *end)
{
  const int top = y0 * g->stride_h - g->pad_top;
  const int bottom = (y1 - 1) * g->stride_h - g->pad_top + g->k_h;
  *first = top > 0 ? top : 0;
  *end = bottom < g->in_h ? bottom : g->in_h;
  if (*end < *first)
    *end = *first;
}

/* g for output rows [y0, y1) alone, as rows [0, y1 - y0), from an input
 * that starts at image row first and has rows rows: only the image's first
 * row moves, so every tap inside the image is still read and every one
 * outside still skipped. */
static mn_conv_geom
band_geom (const mn_conv_geom *g, int first, int rows, int y0, int y1)
{
  mn_conv_geom band = *g;
  band.in_h = rows;
  band.pad_top = g->pad_top + first - y0 * g->stride_h;
  band.out_h = y1 - y0;
  return band;
}

/* Expansion (or first convolution) output rows [r0, r1) into dst. */
static void
expand (const mn_step *ex, const mn_kernel_table *k, const void *in, int in_w, int r0, int r1,
        void *dst)
{
  if (ex->kind == MN_STEP_F32_CONV || ex->kind == MN_STEP_Q8_CONV) {
    const mn_conv_geom *g = &ex->geom;
    int first, end;
    input_rows (g, r0, r1, &first, &end);
    const mn_conv_geom band = band_geom (g, first, end - first, r0, r1);
    const size_t off = (size_t) first * (size_t) g->in_w * (size_t) g->in_c;
    if (ex->kind == MN_STEP_F32_CONV)
      k->f32_conv (&band, (const float *) in + off, ex->packed, dst, 0, r1 - r0, ex->f_min,
                   ex->f_max);
    else
      k->q8_conv (&band, (const uint8_t *) in + off, ex->in_zero_point, ex->packed, dst, 0,
                  r1 - r0, &ex->rq);
    return;
  }
  const int m = (r1 - r0) * in_w;
  const size_t a_off = (size_t) r0 * (size_t) in_w * (size_t) ex->k;
  if (ex->kind == MN_STEP_F32_GEMM)
    mn_step_f32_gemm (ex, k, m, 0, ex->n, (const float *) in + a_off, dst, (size_t) ex->n, NULL);
  else
    mn_step_q8_gemm (ex, k, m, 0, ex->n, (const uint8_t *) in + a_off, dst, (size_t) ex->n);
}

/* Depthwise output rows [y0, y1) from the expansion rows [first, ...) in
 * src. */
static void
depthwise (const mn_step *dw, const mn_kernel_table *k, const void *src, int first, int rows,
           int y0, int y1, void *dst)
{
  const mn_conv_geom band = band_geom (&dw->geom, first, rows, y0, y1);
  if (dw->kind == MN_STEP_F32_DWCONV)
    k->f32_dwconv (&band, src, dw->packed, dst, 0, y1 - y0, dw->f_min, dw->f_max);
  else
    mn_step_q8_dwconv (dw, k, &band, src, dst, 0, y1 - y0);
}

/* Projection (and ADD) of depthwise output rows [y0, y1), from src. */
static void
project (const mn_step *pr, const mn_kernel_table *k, const mn_fused_block_io *io, int out_w,
         int y0, int y1, const void *src)
{
  const int m = (y1 - y0) * out_w;
  const size_t off = (size_t) y0 * (size_t) out_w * (size_t) pr->n;
  if (pr->kind == MN_STEP_F32_GEMM)
    mn_step_f32_gemm (pr, k, m, 0, pr->n, src, (float *) io->project_out + off, (size_t) pr->n,
                      io->residual ? (const float *) io->residual + off : NULL);
  else
    mn_step_q8_gemm (pr, k, m, 0, pr->n, src, (uint8_t *) io->project_out + off, (size_t) pr->n);
  if (!io->add_out)
    return;
  const mn_step *add = pr + 1;
  const size_t count = (size_t) m * (size_t) pr->n;
  if (add->kind == MN_STEP_F32_ADD)
    mn_f32_add (count, (const float *) io->add_in0 + off, (const float *) io->add_in1 + off,
                (float *) io->add_out + off, add->f_min, add->f_max);
  else
    k->q8_add (count, (const uint8_t *) io->add_in0 + off, (const uint8_t *) io->add_in1 + off,
               (uint8_t *) io->add_out + off, &add->add);
}

int
mn_fused_block_residual (const mn_fused_block *b, const mn_plan *p)
{
  const mn_step *pr = &p->steps[b->expand + 2];
  if (b->last > b->expand + 2) /* the ADD's input that is not the projection */
    return pr[1].in0 == pr->out ? pr[1].in1 : pr[1].in0;
  return pr->in1;
}

/* The block input rows [*first, *end) that depthwise output rows [y0, y1)
 * of block b read: through the expansion (or first convolution), and the
 * residual's. */
static void
block_input_rows (const mn_fused_block *b, const mn_plan *p, int y0, int y1, int *first,
                  int *end)
{
  const mn_step *ex = &p->steps[b->expand];
  input_rows (&ex[1].geom, y0, y1, first, end);
  if (ex->kind == MN_STEP_F32_CONV || ex->kind == MN_STEP_Q8_CONV) {
    int r0 = *first, r1 = *end;
    input_rows (&ex->geom, r0, r1, first, end);
  }
  /* a residual reads the block input's rows [y0, y1) too */
  const bool residual = mn_fused_block_residual (b, p) >= 0;
  if (residual && y0 < *first)
    *first = y0;
  if (residual && y1 > *end)
    *end = y1;
}

/* Expansion rows [have0, have1) in the band buffer, image row base at
 * its first row's slot. */
typedef struct {
  int base, have0, have1;
} band_window;

/* Makes room in ebuf for the expansion rows [need0, need1) that a band
 * reads, keeping the rows it shares with the band before (w: the rows
 * [have0, have1) at image row base's slot); returns the rows still to
 * expand, [*todo0, *todo1).  Downward bands add rows below the kept ones
 * and move them to the buffer's front when full; upward bands add rows
 * above and move them to its back. */
static void
slide_window (band_window *w, uint8_t *ebuf, size_t e_row, int capacity, bool upward,
              int need0, int need1, int *todo0, int *todo1)
{
  if (!upward) {
    if (need0 >= w->have0 && need0 < w->have1) {
      if (need1 - w->base > capacity) {
        memmove (ebuf, ebuf + (size_t) (need0 - w->base) * e_row,
                 (size_t) (w->have1 - need0) * e_row);
        w->base = need0;
      }
      w->have0 = need0;
    } else {
      w->base = w->have0 = w->have1 = need0;
    }
    *todo0 = w->have1 > need0 ? w->have1 : need0;
    *todo1 = need1;
    if (need1 > w->have1)
      w->have1 = need1;
    return;
  }
  if (need1 > w->have0 && need1 <= w->have1) {
    if (need0 < w->base) {
      const int base = need1 - capacity;
      memmove (ebuf + (size_t) (w->have0 - base) * e_row,
               ebuf + (size_t) (w->have0 - w->base) * e_row, (size_t) (need1 - w->have0) * e_row);
      w->base = base;
    }
    w->have1 = need1;
  } else {
    w->base = need1 - capacity;
    w->have0 = w->have1 = need1;
  }
  *todo0 = need0;
  *todo1 = w->have0 < need1 ? w->have0 : need1;
  if (need0 < w->have0)
    w->have0 = need0;
}

void
mn_fused_block_run (const mn_fused_block *b, const mn_plan *p, const mn_kernel_table *k,
                    const mn_fused_block_io *io, int oy_begin, int oy_end, bool upward,
                    const mn_band_hooks *hooks, void *scratch)
{
  const mn_step *ex = &p->steps[b->expand];
  const mn_conv_geom *g = &ex[1].geom;
  const size_t esz = element_size (ex->kind);
  const size_t e_row = (size_t) g->in_w * (size_t) g->in_c * esz;
  uint8_t *ebuf = scratch, *dbuf = (uint8_t *) scratch + b->expand_bytes;
  const int capacity = (int) (b->expand_bytes / e_row);   /* rows */
  band_window w = { 0, 0, 0 };
  for (int done = 0; done < oy_end - oy_begin;) {
    /* the band's rows, the shorter band last either way */
    const int rows = oy_end - oy_begin - done < b->band ? oy_end - oy_begin - done : b->band;
    const int y0 = upward ? oy_end - done - rows : oy_begin + done;
    const int y1 = y0 + rows;
    done += rows;
    if (hooks->before) {
      int first, end;
      block_input_rows (b, p, y0, y1, &first, &end);
      hooks->before (hooks->ctx, first, end);
    }
    int need0, need1, todo0, todo1;
    input_rows (g, y0, y1, &need0, &need1);
    slide_window (&w, ebuf, e_row, capacity, upward, need0, need1, &todo0, &todo1);
    if (todo1 > todo0)
      expand (ex, k, io->in, g->in_w, todo0, todo1, ebuf + (size_t) (todo0 - w.base) * e_row);
    depthwise (ex + 1, k, ebuf + (size_t) (need0 - w.base) * e_row, need0, need1 - need0, y0, y1,
               dbuf);
    project (ex + 2, k, io, g->out_w, y0, y1, dbuf);
    if (hooks->after)
      hooks->after (hooks->ctx, done);
  }
}
