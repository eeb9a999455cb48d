/* q8_gemm4_amx.c: the q8 GEMM on byte quads with AMX (Sapphire Rapids
 * and later Xeons), a twin of q8_gemm4_c.c on the same packed layout.
 *
 * A panel's weights are groups of 4 k of 16 channels x 4 int8 (W - 128),
 * 64 bytes a group: 16 groups are exactly an AMX B tile (16 rows of 64
 * bytes), and 16 rows of 64 activation bytes an A tile, so one TDPBUSD
 * adds unsigned activation bytes times signed weight bytes, 4 a lane, into
 * a 16 x 16 tile of int32 sums: 16,384 multiply-adds an instruction, as
 * vpdpbusd does 64.  The sums are exact (no saturation), so they equal the
 * VNNI and C twins' modulo 2^32.
 *
 * A block is 32 rows x 32 channels (four C tiles), k in steps of 64 and a
 * last step of k % 64 (tiles of their own shape: one configuration a
 * call).  The AVX-512 twin's epilogue adds the biases and row sums,
 * requantises and stores (q8_gemm4_avx512.h).  Any k that is not a
 * multiple of 4 (an A tile row would read past the activations) and k
 * below 64 go to the AVX-512 twin: with one short step of k the tiles'
 * trip through memory costs more than the products (alone, 12544 x 16 ->
 * 96: 318 us against VNNI's 265; 3136 x 24 -> 144: 120 against 111; 3136
 * x 144 -> 24: 36 against 58; 196 x 576 -> 96: 11 against 32).  Rows past
 * the last whole 16 are copied into a tile of zeros on the stack (k up to
 * TAIL_K_MAX; past it they go to the AVX-512 twin): warm, 25 x 960 -> 160
 * took 4.6 us against 7.1-9.9 when its last 9 rows went to VNNI, 14 x
 * 160 -> 960 5.0 against 8.1, 8 x 960 -> 160 2.0 against 3.6-4.9; m = 49
 * the same either way. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "x86/amx_tile_config.h"
#include "x86/q8_gemm4_avx512.h"

#define NR MN_Q8_GEMM4_NR  /* 16 channels: a C tile's columns */
#define TILE_ROWS 16
#define KB 64              /* bytes of k an A tile row holds */
#define BLOCK_ROWS 256     /* rows whose sums are kept at once */
#define TAIL_K_MAX 2048    /* the last rows go through one stack tile up to this k */

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

void mn_q8_gemm4_amx (int m, int n, int k, int n_begin, int n_end, const uint8_t *a,
                      size_t a_stride, const void *packed, uint8_t *c, size_t c_stride,
                      const mn_requant *rq);

/* Tile registers: four C tiles (rows x panels), the A and B tiles of a
 * whole step of k and of the last, shorter one.  Macros, not an enum: the
 * intrinsics paste their tile number into the instruction's text. */
#define C00 0
#define C01 1
#define C10 2
#define C11 3
#define A_FULL 4
#define A_TAIL 5
#define B_FULL 6
#define B_TAIL 7

/* The intrinsics with their tile numbers expanded first. */
#define TILE_ZERO(t) _tile_zero (t)
#define TILE_LOAD(t, p, stride) _tile_loadd (t, p, stride)
#define TILE_STORE(t, p, stride) _tile_stored (t, p, stride)
#define TILE_DPBUSD(c, a, b) _tile_dpbusd (c, a, b)

static void
configure (int tail)
{
  mn_amx_tile_config cfg;
  memset (&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int t = C00; t <= C11; t++) {
    cfg.rows[t] = TILE_ROWS;
    cfg.colsb[t] = NR * sizeof (int32_t);
  }
  cfg.rows[A_FULL] = TILE_ROWS;
  cfg.colsb[A_FULL] = KB;
  cfg.rows[B_FULL] = KB / 4;
  cfg.colsb[B_FULL] = NR * 4;
  if (tail) {
    cfg.rows[A_TAIL] = TILE_ROWS;
    cfg.colsb[A_TAIL] = (uint16_t) tail;
    cfg.rows[B_TAIL] = (uint8_t) (tail / 4);
    cfg.colsb[B_TAIL] = NR * 4;
  }
  _tile_loadconfig (&cfg);
}

/* One step of k (bytes [kb, kb + KB) or the tail) for rt row tiles x np
 * panels: A and B tile numbers are constants, hence the macro. */
#define MN_K_STEP(A, B, a0, a1, b0, b1)          \
  do {                                           \
    TILE_LOAD (B, b0, NR * 4);                 \
    TILE_LOAD (A, a0, (long) a_stride);        \
    TILE_DPBUSD (C00, A, B);                    \
    if (rt > 1) {                                \
      TILE_LOAD (A, a1, (long) a_stride);      \
      TILE_DPBUSD (C10, A, B);                  \
    }                                            \
    if (np > 1) {                                \
      TILE_LOAD (B, b1, NR * 4);               \
      if (rt > 1) {                              \
        TILE_DPBUSD (C11, A, B);                \
        TILE_LOAD (A, a0, (long) a_stride);    \
      }                                          \
      TILE_DPBUSD (C01, A, B);                  \
    }                                            \
  } while (0)

/* rt * 16 rows x np panels of sums A (W - 128) over all of k into acc
 * (row major, np a row); w0: the first panel's weight groups, pb bytes
 * from one panel to the next.  rt, np: 1 or 2, constants. */
static ALWAYS_INLINE void
block (const int rt, const int np, int k, const uint8_t *a, size_t a_stride, const int8_t *w0,
       size_t pb, __m512i *acc)
{
  const uint8_t *a1 = a + TILE_ROWS * a_stride;
  const int8_t *w1 = w0 + pb;
  TILE_ZERO (C00);
  if (np > 1)
    TILE_ZERO (C01);
  if (rt > 1)
    TILE_ZERO (C10);
  if (rt > 1 && np > 1)
    TILE_ZERO (C11);
  int kb = 0;
  for (; kb + KB <= k; kb += KB) /* 16 groups of 4 k: 16 x 64 bytes */
    MN_K_STEP (A_FULL, B_FULL, a + kb, a1 + kb, w0 + (size_t) kb * NR, w1 + (size_t) kb * NR);
  if (kb < k)
    MN_K_STEP (A_TAIL, B_TAIL, a + kb, a1 + kb, w0 + (size_t) kb * NR, w1 + (size_t) kb * NR);
  const long row = (long) (np * sizeof (__m512i));
  TILE_STORE (C00, acc, row);
  if (np > 1)
    TILE_STORE (C01, acc + 1, row);
  if (rt > 1)
    TILE_STORE (C10, acc + TILE_ROWS * np, row);
  if (rt > 1 && np > 1)
    TILE_STORE (C11, acc + TILE_ROWS * np + 1, row);
}
#undef MN_K_STEP

/* Rows [0, rows) (a multiple of 16, at most BLOCK_ROWS) of channels
 * [n_begin, n_end); only the first `valid` rows are stored.  with_sums:
 * the epilogue needs the rows' byte sums. */
static void
tiles (int rows, int valid, int k, int n_begin, int n_end, const uint8_t *a, size_t a_stride,
       bool with_sums, const uint8_t *packed, size_t pb, const mn_requant *rq, uint8_t *c,
       size_t c_stride)
{
  int32_t row_sums[BLOCK_ROWS];
  const int32_t *sums = with_sums ? row_sums : NULL;
  if (with_sums)
    mn_q8_gemm4_avx512_row_sums (rows, k, a, a_stride, row_sums);
  __m512i acc[2 * TILE_ROWS * 2];
  const size_t weights = 2 * NR * sizeof (int32_t); /* after the biases and coefficients */
  for (int n0 = n_begin; n0 < n_end; n0 += 2 * NR) {
    const uint8_t *p0 = packed + (size_t) (n0 / NR) * pb;
    const int8_t *w0 = (const int8_t *) (p0 + weights);
    const int nc = n_end - n0 < 2 * NR ? n_end - n0 : 2 * NR;
    const int np = nc > NR ? 2 : 1;
    mn_q8_gemm4_epilogue e;
    mn_q8_gemm4_avx512_epilogue (&e, rq, n0, nc);
    for (int i = 0; i < rows; i += 2 * TILE_ROWS) {
      const int rt = rows - i >= 2 * TILE_ROWS ? 2 : 1;
      const uint8_t *ai = a + (size_t) i * a_stride;
      if (rt == 2 && np == 2)
        block (2, 2, k, ai, a_stride, w0, pb, acc);
      else if (rt == 2)
        block (2, 1, k, ai, a_stride, w0, pb, acc);
      else if (np == 2)
        block (1, 2, k, ai, a_stride, w0, pb, acc);
      else
        block (1, 1, k, ai, a_stride, w0, pb, acc);
      const int store = valid - i < rt * TILE_ROWS ? valid - i : rt * TILE_ROWS;
      mn_q8_gemm4_avx512_finish (store, np, acc, sums ? sums + i : NULL, p0, pb, &e, rq,
                                 c + (size_t) i * c_stride + n0, c_stride);
    }
  }
}

void
mn_q8_gemm4_amx (int m, int n, int k, int n_begin, int n_end, const uint8_t *a, size_t a_stride,
                 const void *packed, uint8_t *c, size_t c_stride, const mn_requant *rq)
{
  if (n_end > n)
    n_end = n;
  if (k < KB || k % 4 != 0) {
    mn_q8_gemm4_avx512 (m, n, k, n_begin, n_end, a, a_stride, packed, c, c_stride, rq);
    return;
  }
  if (m <= 0 || n_begin >= n_end)
    return;
  const int whole = m - m % TILE_ROWS, tail = m - whole;
  if (tail > 0 && k > TAIL_K_MAX) { /* rows past the last whole 16 */
    mn_q8_gemm4_avx512 (tail, n, k, n_begin, n_end, a + (size_t) whole * a_stride, a_stride,
                        packed, c + (size_t) whole * c_stride, c_stride, rq);
    if (whole == 0)
      return;
  }
  const size_t pb = mn_q8_gemm4_panel_bytes (k);
  const bool with_sums = mn_q8_gemm4_needs_row_sums (k, n_begin, n_end, packed);
  configure (k % KB);
  for (int m0 = 0; m0 < whole; m0 += BLOCK_ROWS) {
    const int rows = whole - m0 < BLOCK_ROWS ? whole - m0 : BLOCK_ROWS;
    tiles (rows, rows, k, n_begin, n_end, a + (size_t) m0 * a_stride, a_stride, with_sums,
           packed, pb, rq, c + (size_t) m0 * c_stride, c_stride);
  }
  if (tail > 0 && k <= TAIL_K_MAX) {
    /* the last rows over a tile of zeros, stored as far as they go */
    uint8_t rows16[TILE_ROWS * TAIL_K_MAX] __attribute__ ((aligned (64)));
    memset (rows16 + (size_t) tail * (size_t) k, 0, (size_t) (TILE_ROWS - tail) * (size_t) k);
    for (int i = 0; i < tail; i++)
      memcpy (rows16 + (size_t) i * (size_t) k, a + (size_t) (whole + i) * a_stride, (size_t) k);
    tiles (TILE_ROWS, tail, k, n_begin, n_end, rows16, (size_t) k, with_sums, packed, pb, rq,
           c + (size_t) whole * c_stride, c_stride);
  }
  _tile_release ();
}
