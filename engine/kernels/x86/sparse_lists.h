/* sparse_lists.h: what the sparse float GEMMs (f32_gemm_sparse_*.c)
 * share: a row block's tiles listed, k by k, where any of their rows is
 * not zero, and the choice of the dense kernel for blocks that would skip
 * too little. */
#ifndef MN_SPARSE_LISTS_H
#define MN_SPARSE_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Listed k a row block may hold: its tiles' lists, k + MN_SPARSE_LIST_PAD
 * entries apart (the listing writes up to 16 past the last). */
#define MN_SPARSE_LIST_CAP (12 * 1024)
#define MN_SPARSE_LIST_PAD 16
/* k above which the dense kernel runs: a block holds two tiles or more */
#define MN_SPARSE_K_MAX (MN_SPARSE_LIST_CAP / 2 - MN_SPARSE_LIST_PAD)
/* the most tiles a block holds (k >= 1) */
#define MN_SPARSE_TILES_MAX (MN_SPARSE_LIST_CAP / (1 + MN_SPARSE_LIST_PAD))
/* the most tiles whose lists decide a block */
#define MN_SPARSE_SAMPLE_TILES 4

/* Entries from one tile's list to the next's. */
static inline size_t
mn_sparse_list_stride (int k)
{
  return (size_t) k + MN_SPARSE_LIST_PAD;
}

/* The k where any of rows [0, mr) of a is not zero, ascending, to list;
 * returns how many. */
typedef int (*mn_sparse_list_fn) (int mr, int k, const float *a, size_t a_stride,
                                  uint16_t *list);

/* The rows of a block in tiles of tile_rows, each tile's list at lists +
 * t * mn_sparse_list_stride (k) and its length in counts[t].  The first
 * tiles (a quarter, at most MN_SPARSE_SAMPLE_TILES) decide: where they
 * list more than dense_share of k, returns false at once, and the block
 * goes to the dense kernel. */
static inline bool
mn_sparse_list_block (int rows, int tile_rows, int k, const float *a, size_t a_stride,
                      double dense_share, mn_sparse_list_fn list_tile, uint16_t *lists,
                      int *counts)
{
  const size_t list_stride = mn_sparse_list_stride (k);
  const int tiles = (rows + tile_rows - 1) / tile_rows;
  const int quarter = (tiles + 3) / 4;
  const int sample = quarter < MN_SPARSE_SAMPLE_TILES ? quarter : MN_SPARSE_SAMPLE_TILES;
  size_t listed = 0;
  for (int t = 0; t < tiles; t++) {
    const int i = t * tile_rows;
    counts[t] = list_tile (rows - i < tile_rows ? rows - i : tile_rows, k,
                           a + (size_t) i * a_stride, a_stride, lists + (size_t) t * list_stride);
    listed += (size_t) counts[t];
    if (t + 1 == sample && (double) listed > dense_share * sample * k)
      return false;
  }
  return true;
}

/* Rows a block holds with tiles of tile_rows at this k (at most
 * MN_SPARSE_K_MAX). */
static inline int
mn_sparse_block_rows (int k, int tile_rows)
{
  return (int) (MN_SPARSE_LIST_CAP / mn_sparse_list_stride (k)) * tile_rows;
}

#endif /* MN_SPARSE_LISTS_H */
