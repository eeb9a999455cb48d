/* f32_gemm_sliced_c.c: the int8-sliced float GEMM's packing and its
 * portable C twin (layout and arithmetic in kernels.h).
 *
 * The twin slices each activation row with the float operations the AMX
 * twin uses, sums the six slice products in int32 (exact, so in any
 * order) and combines them with the same roundings (fmaf is the fused
 * multiply-add), so the two give the same bits: the tests compare them
 * byte for byte, and the twin against the exact float sum within the
 * slicing's error bound. */
#include "kernels.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define NR MN_F32_GEMM_NR
#define KB MN_F32_SLICE_KB
#define TILE_BYTES (KB / 4 * NR * 4)   /* one B tile, 1 KiB */

static size_t
padded_k (int k)
{
  return ((size_t) k + KB - 1) / KB * KB;
}

static size_t
panel_bytes (int k)
{
  return 2 * NR * sizeof (float) + padded_k (k) / KB * 3 * TILE_BYTES;
}

size_t
mn_f32_gemm_sliced_packed_size (int n, int k)
{
  return ((size_t) n + NR - 1) / NR * panel_bytes (k);
}

bool
mn_f32_gemm_sliced_suits (int m, int n, int k)
{
  return m >= 32 && n >= 64 && k >= 64 && k <= MN_F32_SLICE_K_MAX;
}

void
mn_f32_slice_scales (float largest, float *inv, float *scale)
{
  if (!(largest <= FLT_MAX))    /* infinite or NaN */
    *inv = 0.0f, *scale = NAN;
  else if (largest < MN_F32_SLICE_TINY)
    *inv = 0.0f, *scale = 0.0f;
  else
    *inv = 127.0f / largest, *scale = largest / 127.0f;
}

/* v * inv (|x| <= 127) as s0 + s1 / 128 + s2 / 16384: each slice rounded
 * to nearest by adding and subtracting 1.5 * 2^23, 2^16 and 2^9 (whose
 * float units are 1, 1/128 and 1/16384); every difference is exact.  One
 * statement an operation, so that no compiler fuses two. */
static void
slice3 (float v, float inv, int8_t *s0, int8_t *s1, int8_t *s2)
{
  const float x = v * inv;
  const float r0 = x + 0x1.8p23f;
  const float h0 = r0 - 0x1.8p23f;
  const float y = x - h0;
  const float r1 = y + 0x1.8p16f;
  const float h1 = r1 - 0x1.8p16f;
  const float y2 = y - h1;
  const float r2 = y2 + 0x1.8p9f;
  const float h2 = r2 - 0x1.8p9f;
  *s0 = (int8_t) h0;
  *s1 = (int8_t) (h1 * 128.0f);
  *s2 = (int8_t) (h2 * 16384.0f);
}

/* Largest |v| of count values; NaN where one is NaN. */
static float
largest_magnitude (const float *v, int count)
{
  float m = 0.0f;
  for (int i = 0; i < count; i++) {
    if (isnan (v[i]))
      return NAN;
    m = fabsf (v[i]) > m ? fabsf (v[i]) : m;
  }
  return m;
}

/* Where weight k of channel j (of its panel) lies from the panel's first
 * slice: step kk / KB, tile row kk % KB / 4, byte 4 j + kk % 4 (slices 1
 * and 2 TILE_BYTES and twice that further). */
static size_t
slice_offset (int kk, int j)
{
  return (size_t) (kk / KB) * 3 * TILE_BYTES + (size_t) (kk % KB / 4) * NR * 4
         + (size_t) j * 4 + (size_t) (kk % 4);
}

bool
mn_f32_gemm_sliced_pack (int n, int k, const float *w, const float *bias, void *packed)
{
  const size_t pb = panel_bytes (k);
  memset (packed, 0, mn_f32_gemm_sliced_packed_size (n, k));
  for (int n0 = 0; n0 < n; n0 += NR) {
    uint8_t *panel = (uint8_t *) packed + (size_t) (n0 / NR) * pb;
    const int nr = n - n0 < NR ? n - n0 : NR;
    float head[2 * NR] = { 0 };   /* biases, then scales */
    int8_t *slices = (int8_t *) (panel + sizeof head);
    for (int j = 0; j < nr; j++) {
      const float *wj = w + (size_t) (n0 + j) * k;
      const float largest = largest_magnitude (wj, k);
      if (!(largest <= FLT_MAX))
        return false;
      float inv;
      head[j] = bias ? bias[n0 + j] : 0.0f;
      mn_f32_slice_scales (largest, &inv, &head[NR + j]);
      for (int kk = 0; kk < k; kk++) {
        int8_t *t = slices + slice_offset (kk, j);
        slice3 (wj[kk], inv, t, t + TILE_BYTES, t + 2 * TILE_BYTES);
      }
    }
    memcpy (panel, head, sizeof head);
  }
  return true;
}

/* One row's slices (three planes of kp, zero past k) and scale. */
static float
slice_row (const float *a, int k, int8_t *planes, size_t kp)
{
  float inv, scale;
  mn_f32_slice_scales (largest_magnitude (a, k), &inv, &scale);
  memset (planes, 0, 3 * kp);
  if (inv != 0.0f)
    for (int kk = 0; kk < k; kk++)
      slice3 (a[kk], inv, planes + kk, planes + kp + kk, planes + 2 * kp + kk);
  return scale;
}

void
mn_f32_gemm_sliced_c (int m, int n, int k, int n_begin, int n_end, const float *a,
                      size_t a_stride, const void *packed, float *c, size_t c_stride,
                      const float *residual, float out_min, float out_max)
{
  if (n_end > n)
    n_end = n;
  if (k <= 0 || k > MN_F32_SLICE_K_MAX) /* never packed so (mn_f32_gemm_sliced_suits) */
    return;
  const size_t pb = panel_bytes (k), kp = padded_k (k);
  int8_t planes[3 * MN_F32_SLICE_K_MAX];
  for (int i = 0; i < m; i++) {
    const float row_scale = slice_row (a + (size_t) i * a_stride, k, planes, kp);
    for (int j = n_begin; j < n_end; j++) {
      const uint8_t *panel = (const uint8_t *) packed + (size_t) (j / NR) * pb;
      const int8_t *slices = (const int8_t *) (panel + 2 * NR * sizeof (float));
      int32_t level[3] = { 0, 0, 0 };   /* slice products i + j = 0, 1, 2 */
      for (int kk = 0; kk < k; kk++) {   /* both zero past k */
        const int8_t *w0 = slices + slice_offset (kk, j % NR);
        const int32_t a0 = planes[kk], a1 = planes[kp + kk], a2 = planes[2 * kp + kk];
        const int32_t b0 = w0[0], b1 = w0[TILE_BYTES], b2 = w0[2 * TILE_BYTES];
        level[0] += a0 * b0;
        level[1] += a0 * b1 + a1 * b0;
        level[2] += a0 * b2 + a1 * b1 + a2 * b0;
      }
      float bias, channel_scale;
      memcpy (&bias, panel + (size_t) (j % NR) * sizeof (float), sizeof bias);
      memcpy (&channel_scale, panel + (size_t) (NR + j % NR) * sizeof (float),
              sizeof channel_scale);
      float sum = fmaf ((float) level[1], 0x1p-7f, (float) level[0]);
      sum = fmaf ((float) level[2], 0x1p-14f, sum);
      const float scaled = sum * row_scale;
      float v = fmaf (scaled, channel_scale, bias);
      v = v < out_min ? out_min : v;
      v = v > out_max ? out_max : v;
      if (residual)
        v += residual[(size_t) i * c_stride + (size_t) j];
      c[(size_t) i * c_stride + (size_t) j] = v;
    }
  }
}
