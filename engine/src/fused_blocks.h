/* fused_blocks.h: inverted residual blocks run band by band.
 *
 * A MobileNetV2 block expands its input six times with a 1x1 convolution,
 * filters the result depthwise and projects it back with another 1x1
 * convolution (then, in 8-bit models, adds the block's input).  Layer by
 * layer, the big blocks' expanded tensors (112x112x96 floats: 4.8 MB;
 * 56x56x144: 1.8 MB) and depthwise outputs go out to L3 or memory and
 * are read back by the next step.  Band by band, a thread computes a few
 * depthwise output rows at a time: first the expansion rows they need
 * (keeping the ones the next band shares), then the depthwise rows, then
 * the projection (and the ADD) of those rows, so the two intermediate
 * tensors live only in a band buffer in the thread's own L2 and never get
 * arena space.  The network's first layer (a 3x3 convolution) and first
 * block (a depthwise and a projection, no expansion) run the same way,
 * the convolution in the expansion's place.
 *
 * Every element is still computed by the same kernel on the same values
 * (each kernel's result for a row does not depend on the rows around it
 * in the call, and a band's depthwise geometry only moves the image's
 * first row), so results are bitwise those of the layer-by-layer run. */
#ifndef MN_FUSED_BLOCKS_H
#define MN_FUSED_BLOCKS_H

#include "plan.h"

typedef struct {
  int expand;              /* plan steps: the expansion (or convolution),
                              expand + 1 the depthwise, */
  int last;                /* ... up to last: the projection or its ADD */
  int band;                /* depthwise output rows a band */
  size_t expand_bytes;     /* band buffers, each rounded to 64 bytes; the */
  size_t dw_bytes;         /* expansion's holds several bands' rows */
} mn_fused_block;

/* Which blocks run band by band, and how tall the bands are. */
typedef struct {
  size_t min_elements;     /* blocks whose expanded tensor has this many
                              elements or more (SIZE_MAX: none) */
  size_t band_bytes;       /* the rows one band expands and filters, at
                              most (at least one depthwise row a band) */
} mn_fusing;

/* Blocks from 64 K expanded elements up, float and 8-bit alike: V2's
 * first 14, not the three 7x7 ones (7x7x960, 47 K), which ran V2 float 3 %
 * slower band by band at 1 thread and 7-8 % at 2 (7 rows cut 4 + 3, the
 * boundary expansion row computed by both, the AMX steps called a band at
 * a time).  V2 float, alternating in one process: the 7 blocks from
 * 112x112 to 28x28 (first layer's included) band by band took 1 thread
 * from 5.82 to 5.23 ms and 2 from 3.30 to 2.97 (the earlier rule, 512
 * KiB); adding the 14x14 ones (75 K and 113 K elements) 0.7-1.7 % faster
 * again at 1 thread and 1.9-3.2 % at 2.  V2 uint8 and TF2 int8 (whose
 * tensors in bytes are a quarter, so that 512 KiB took only the 112x112
 * block): these 14 blocks 1.4-2.1 % faster at 2 threads, within 0.6 % at
 * 1.  V1 (its pointwise-depthwise-pointwise runs fuse the same way) moved
 * both ways: 0.75/192 float 4 % faster, 0.5/160 float 2-3 % slower,
 * 8-bit within 2 %.  The bands' budget leaves most of a 512 KiB L2 (Zen
 * 3) for the weights and the block's input and output rows; 128 KiB to 1
 * MiB were within 4 % of each other here (2 MiB L2).  The expansion
 * buffer's three more bands of rows (fused_blocks.c) add up to 258 KB to
 * that (V2 float's 112x112 block), measured only on this 2 MiB L2. */
#define MN_FUSE_MIN_ELEMENTS ((size_t) 64 * 1024)
#define MN_FUSE_BAND_BYTES ((size_t) 256 * 1024)

/* The blocks of plan p to run band by band: *out (malloc'd, NULL when
 * none) and their count; -1 when out of memory.  *scratch_bytes: the most
 * one thread's band buffers need. */
int mn_fused_blocks_find (const mn_plan *p, int graph_output, const mn_fusing *f,
                          mn_fused_block **out, size_t *scratch_bytes);

/* The tensor block b adds to its projection's output (the projection's
 * own residual, or the other input of the ADD that ends the block), -1
 * when it adds none. */
int mn_fused_block_residual (const mn_fused_block *b, const mn_plan *p);

/* The tensors a block reads and writes: in, the expansion's input; the
 * projection's output and residual (float: its in1, or NULL), and for a
 * block that ends with an ADD, that step's inputs and output. */
typedef struct {
  const void *in;
  void *project_out;
  const void *residual;
  const void *add_in0, *add_in1;
  void *add_out;
} mn_fused_block_io;

/* Called around each band (either may be NULL): before, with the block
 * input rows the band reads (through the expansion, and the residual's);
 * after, with how many output rows are finished, counted from where the
 * run began. */
typedef struct {
  void (*before) (void *ctx, int in_first, int in_end);
  void (*after) (void *ctx, int rows_done);
  void *ctx;
} mn_band_hooks;

/* Depthwise output rows [oy_begin, oy_end) of block b and everything that
 * depends on them, through scratch (64-byte aligned, *scratch_bytes),
 * band by band from the top, or from the bottom when upward, calling
 * hooks around each band. */
void mn_fused_block_run (const mn_fused_block *b, const mn_plan *p, const mn_kernel_table *k,
                         const mn_fused_block_io *io, int oy_begin, int oy_end, bool upward,
                         const mn_band_hooks *hooks, void *scratch);

#endif /* MN_FUSED_BLOCKS_H */
