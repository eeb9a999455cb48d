/* row_tiles.h: rows cut into tiles of equal height (the AVX-512 GEMMs'),
 * so that no tile is a lone row that streams the weights again for a
 * fraction of the work: 49 rows in tiles of at most 12 are 10 + 10 + 10 +
 * 10 + 9, not 12 x 4 + 1. */
#ifndef MN_ROW_TILES_H
#define MN_ROW_TILES_H

/* Tiles for rows rows of at most max_rows each. */
static inline int
mn_row_tile_count (int rows, int max_rows)
{
  return (rows + max_rows - 1) / max_rows;
}

/* The height of tile t of count: the first rows % count take one more. */
static inline int
mn_row_tile_height (int rows, int count, int t)
{
  return rows / count + (t < rows % count ? 1 : 0);
}

/* TILE (MR) with the compile-time row count MR equal to mr, 1 to 12. */
#define MN_SWITCH_ROWS_1_TO_12(mr, TILE) \
  switch (mr) {                          \
    case 12: TILE (12); break;           \
    case 11: TILE (11); break;           \
    case 10: TILE (10); break;           \
    case 9: TILE (9); break;             \
    case 8: TILE (8); break;             \
    case 7: TILE (7); break;             \
    case 6: TILE (6); break;             \
    case 5: TILE (5); break;             \
    case 4: TILE (4); break;             \
    case 3: TILE (3); break;             \
    case 2: TILE (2); break;             \
    default: TILE (1); break;            \
  }

#endif /* MN_ROW_TILES_H */
