/* f32_gemm_split_c.c: the split-weight float GEMM's packing and its
 * portable C twin (layout in kernels.h).
 *
 * The twin adds hi + mid + lo back into the weight (exact: together they
 * are its 24 significant bits) and runs mn_f32_gemm_c on them, so on any
 * weights the split represents exactly it gives mn_f32_gemm_c's bits: the
 * tests check the layout that way, and the AMX twin against it within
 * float tolerance (its products and sums are the tile unit's). */
#include "kernels.h"

#include <string.h>

#define NR MN_F32_GEMM_NR
#define KB MN_F32_SPLIT_KB
#define PART_BYTES (KB / 2 * NR * 2 * sizeof (uint16_t))   /* one B tile, 1 KiB */

static size_t
padded_k (int k)
{
  return ((size_t) k + KB - 1) / KB * KB;
}

static size_t
panel_bytes (int k)
{
  return NR * sizeof (float) + padded_k (k) / KB * 3 * PART_BYTES;
}

size_t
mn_f32_gemm_split_packed_size (int n, int k)
{
  return ((size_t) n + NR - 1) / NR * panel_bytes (k);
}

bool
mn_f32_gemm_split_suits (int m, int n, int k)
{
  return m >= 32 && n >= 64 && k >= 64 && k <= MN_F32_SPLIT_K_MAX;
}

static uint32_t
bits_of (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static float
float_of (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

/* The float nearest-even rounded to bfloat16 (its top 16 bits), as
 * VCVTNEPS2BF16 rounds; NaN stays a quiet NaN.  Branch free. */
static uint32_t
round_bf16 (uint32_t u)
{
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  const uint32_t quiet_nan = (u | 0x400000u) & 0xffff0000u;
  return (u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded;
}

static float
from_bf16 (uint16_t h)
{
  return float_of ((uint32_t) h << 16);
}

/* GCC's -O2 vectorises the loop below only when asked (packing V2
 * float's split layers: 7.5 -> 5.5 ms); clang does on its own, and warns
 * when asked under its sanitizers, which prevent it. */
#if defined(__GNUC__) && !defined(__clang__)
#define VECTORISE _Pragma ("omp simd")
#else
#define VECTORISE
#endif

/* w = hi + mid + lo: each part the nearest bfloat16 to what the ones
 * before left (the differences are exact in float). */
static void
split3 (const float *restrict w, int count, uint16_t *restrict hi, uint16_t *restrict mid,
        uint16_t *restrict lo)
{
  VECTORISE
  for (int i = 0; i < count; i++) {
    const uint32_t h = round_bf16 (bits_of (w[i]));
    const float r = w[i] - float_of (h);
    const uint32_t md = round_bf16 (bits_of (r));
    const uint32_t l = round_bf16 (bits_of (r - float_of (md)));
    hi[i] = (uint16_t) (h >> 16), mid[i] = (uint16_t) (md >> 16), lo[i] = (uint16_t) (l >> 16);
  }
}

/* A step's KB k of each of the panel's channels, split, then laid out
 * as pairs of k a channel (two bfloat16 in one 32-bit word).  Split
 * weight by weight, in the tile order, packing took 7 ms of V2 float's
 * load (4 ns a weight). */
void
mn_f32_gemm_split_pack (int n, int k, const float *w, const float *bias, void *packed)
{
  const size_t pb = panel_bytes (k), steps = padded_k (k) / KB;
  for (int n0 = 0; n0 < n; n0 += NR) {
    uint8_t *panel = (uint8_t *) packed + (size_t) (n0 / NR) * pb;
    const int nr = n - n0 < NR ? n - n0 : NR;
    float biases[NR];
    for (int j = 0; j < NR; j++)
      biases[j] = j < nr && bias ? bias[n0 + j] : 0.0f;
    memcpy (panel, biases, sizeof biases);
    for (size_t s = 0; s < steps; s++) {
      const int kb = k - (int) (s * KB) < KB ? k - (int) (s * KB) : KB;
      uint32_t *parts = (uint32_t *) (panel + NR * sizeof (float) + s * 3 * PART_BYTES);
      for (int j = 0; j < NR; j++) {
        uint16_t split[3][KB] = { { 0 } };
        if (j < nr)
          split3 (w + (size_t) (n0 + j) * k + s * KB, kb, split[0], split[1], split[2]);
        for (int p = 0; p < 3; p++)
          for (int r = 0; r < KB / 2; r++) /* row r: k 2r and 2r + 1 of channel j */
            parts[(size_t) p * PART_BYTES / 4 + (size_t) r * NR + (size_t) j] =
                (uint32_t) split[p][2 * r] | (uint32_t) split[p][2 * r + 1] << 16;
      }
    }
  }
}

/* Each panel's parts added back into float weights (exactly), then the
 * plain C twin on that one panel. */
void
mn_f32_gemm_split_c (int m, int n, int k, int n_begin, int n_end, const float *a, size_t a_stride,
                     const void *packed, float *c, size_t c_stride, const float *residual,
                     float out_min, float out_max)
{
  if (n_end > n)
    n_end = n;
  if (k > MN_F32_SPLIT_K_MAX) /* never packed so (mn_f32_gemm_split_suits) */
    return;
  const size_t pb = panel_bytes (k);
  float plain[(MN_F32_SPLIT_K_MAX + 1) * NR];   /* one panel of mn_f32_gemm_pack's layout */
  for (int n0 = n_begin; n0 < n_end; n0 += NR) {
    const uint8_t *panel = (const uint8_t *) packed + (size_t) (n0 / NR) * pb;
    memcpy (plain, panel, NR * sizeof (float));
    for (int kk = 0; kk < k; kk++) {
      const uint16_t *hi = (const uint16_t *) (panel + NR * sizeof (float)
                                               + (size_t) (kk / KB) * 3 * PART_BYTES);
      const size_t row = (size_t) (kk % KB / 2) * NR * 2 + (size_t) (kk % 2);
      for (int j = 0; j < NR; j++) {
        const size_t at = row + (size_t) j * 2;
        const float wv = from_bf16 (hi[at]) + from_bf16 (hi[at + PART_BYTES / 2])
                         + from_bf16 (hi[at + PART_BYTES]);
        plain[(size_t) (kk + 1) * NR + (size_t) j] = wv;
      }
    }
    const int nc = n_end - n0 < NR ? n_end - n0 : NR;
    mn_f32_gemm_c (m, nc, k, 0, nc, a, a_stride, plain, c + n0, c_stride,
                   residual ? residual + n0 : NULL, out_min, out_max);
  }
}
