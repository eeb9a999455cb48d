/* ops.c: the small ops around the convolutions, portable C.
 *
 * Integer semantics follow TensorFlow Lite's default (optimised) CPU kernels
 * on x86, which are what "TFLite's result" means for these models:
 *   ADD      tensorflow/lite/kernels/add.cc (Prepare: twice_max_input_scale,
 *            left_shift 20) and reference_ops / optimized_ops AddElementwise.
 *   MEAN     reduce.cc EvalMean<kGenericOptimized>: 4-D, keep_dims, axes
 *            {1, 2} go to optimized_ops::Mean (uint8, optimized/reduce.h) or
 *            optimized_integer_ops::Mean (int8, optimized/integer_ops/mean.h);
 *            both sum the raw stored values and requantise with a float-
 *            derived multiplier and bias (see mn_q8_mean_hw).
 *   AVERAGE_POOL_2D  reference_ops::AveragePool (uint8) and
 *            reference_integer_ops::AveragePool (int8): integer sum, division
 *            rounding half away from zero, clamp.
 *   SOFTMAX  activations.cc SoftmaxPrepare/Eval: PopulateSoftmaxLookupTable
 *            plus optimized_ops::Softmax (float table, float normalisation).
 *   QUANTIZE / DEQUANTIZE  AffineQuantize, Dequantize, Requantize.
 * TFLite keeps scales as float; every scale given here as a double is
 * rounded to float first, so passing the file's float scales is exact. */
#include "ops.h"
#include "requant.h"

#include <math.h>
#include <string.h>

static inline float
clampf (float v, float lo, float hi)
{
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

/* ---- input ------------------------------------------------------------- */

void
mn_f32_from_u8 (size_t n, const uint8_t *src, float *dst, float mean, float inv_std)
{
  for (size_t i = 0; i < n; i++)
    dst[i] = ((float) src[i] - mean) * inv_std;
}

/* ---- ADD ---------------------------------------------------------------- */

void
mn_f32_add (size_t n, const float *a, const float *b, float *out, float out_min, float out_max)
{
  for (size_t i = 0; i < n; i++)
    out[i] = clampf (a[i] + b[i], out_min, out_max);
}

bool
mn_q8_add_params_init (mn_q8_add_params *p, double a_scale, int32_t a_zero_point,
                       double b_scale, int32_t b_zero_point, double out_scale,
                       int32_t out_zero_point, uint8_t out_min, uint8_t out_max)
{
  const float as = (float) a_scale, bs = (float) b_scale, os = (float) out_scale;
  const double twice_max_input_scale = 2.0 * (double) (as > bs ? as : bs);

  p->a_offset = -a_zero_point;
  p->b_offset = -b_zero_point;
  p->out_zero_point = out_zero_point;
  p->left_shift = 20;
  /* the input multipliers are at most 1/2 */
  mn_quantize_multiplier ((double) as / twice_max_input_scale, &p->a_multiplier, &p->a_shift);
  mn_quantize_multiplier ((double) bs / twice_max_input_scale, &p->b_multiplier, &p->b_shift);
  const bool ok = mn_quantize_multiplier (
      twice_max_input_scale / ((double) (1 << p->left_shift) * (double) os), &p->out_multiplier,
      &p->out_shift);
  p->out_min = out_min;
  p->out_max = out_max;
  for (int v = 0; v < 256; v++) {
    p->a_table[v] = mn_multiply_by_quantized_multiplier ((p->a_offset + v) * (1 << p->left_shift),
                                                         p->a_multiplier, p->a_shift);
    p->b_table[v] = mn_multiply_by_quantized_multiplier ((p->b_offset + v) * (1 << p->left_shift),
                                                         p->b_multiplier, p->b_shift);
  }
  return ok;
}

/* Offsets are differences of stored values, so this is the same for uint8
 * and for int8 stored + 128. */
void
mn_q8_add (size_t n, const uint8_t *a, const uint8_t *b, uint8_t *out,
           const mn_q8_add_params *p)
{
  for (size_t i = 0; i < n; i++) {
    const int32_t sum = p->a_table[a[i]] + p->b_table[b[i]];
    out[i] = mn_requant_u8 (sum, p->out_multiplier, p->out_shift, p->out_zero_point, p->out_min,
                            p->out_max);
  }
}

/* ---- MEAN over H and W, global AVERAGE_POOL_2D --------------------------- */

/* The pooling ops walk the pixels in order over blocks of POOL_BLOCK
 * channels: contiguous rows that vectorise, instead of one strided walk a
 * channel.  Each channel's sum still adds its pixels in order, so results
 * do not depend on the blocking (or on a caller's channel split).  The
 * 8-bit ones take up to U8_POOL_BLOCK channels, V2's 1280 (or a thread's
 * share) in one pass over the rows, as they lie in memory: V2's 7x7x1280
 * pool at 2 threads 9-11 -> 7-9 us a thread (the float one, 4 times the
 * bytes, was no faster so). */
#define POOL_BLOCK 256
#define U8_POOL_BLOCK 2048

void
mn_f32_global_average (int hw, int channels, size_t stride, const float *in, float *out,
                       float out_min, float out_max)
{
  float sum[POOL_BLOCK];
  for (int c0 = 0; c0 < channels; c0 += POOL_BLOCK) {
    const int nc = channels - c0 < POOL_BLOCK ? channels - c0 : POOL_BLOCK;
    memset (sum, 0, sizeof (float) * (size_t) nc);
    for (int i = 0; i < hw; i++) {
      const float *row = in + (size_t) i * stride + c0;
#pragma omp simd   /* across channels: each channel's sum keeps its order */
      for (int c = 0; c < nc; c++)
        sum[c] += row[c];
    }
    for (int c = 0; c < nc; c++)
      out[c0 + c] = clampf (sum[c] / (float) hw, out_min, out_max);
  }
}

/* A uint8-domain pool: each channel's sum over the hw pixels, in the
 * tensor's own domain (int8 tensors shifted back by 128), through finish ()
 * to its output in that domain, then back to storage and clamped to the
 * activation. */
typedef struct {
  int hw;
  int32_t shift_back;              /* 128 for int8 stored + 128, else 0 */
  int32_t multiplier, shift, bias; /* MEAN's requantisation */
} u8_pool;

/* Always inlined, so that each caller's finish () is inlined too rather
 * than called once a channel (V2's 7x7x1280 MEAN alone: 7.7 -> 6.4 us). */
static inline __attribute__ ((always_inline)) void
pool_u8 (int channels, size_t stride, const uint8_t *in, uint8_t *out, const u8_pool *pool,
         int32_t (*finish) (int32_t sum, const u8_pool *pool), uint8_t out_min, uint8_t out_max)
{
  int32_t sum[U8_POOL_BLOCK];
  for (int c0 = 0; c0 < channels; c0 += U8_POOL_BLOCK) {
    const int nc = channels - c0 < U8_POOL_BLOCK ? channels - c0 : U8_POOL_BLOCK;
    memset (sum, 0, sizeof (int32_t) * (size_t) nc);
    for (int i = 0; i < pool->hw; i++) {
      const uint8_t *row = in + (size_t) i * stride + c0;
#pragma omp simd
      for (int c = 0; c < nc; c++)
        sum[c] += row[c];
    }
    for (int c = 0; c < nc; c++) {
      const int32_t v = finish (sum[c] - pool->shift_back * pool->hw, pool);
      out[c0 + c] = mn_clamp_u8 (v + pool->shift_back, out_min, out_max);
    }
  }
}

/* MEAN: requantised, then clamped to the type's range (the bias added in
 * 64 bits: TFLite's int32 sum, which a hostile model's bias could overflow). */
static int32_t
mean_finish (int32_t sum, const u8_pool *pool)
{
  int64_t acc =
      (int64_t) mn_multiply_by_quantized_multiplier (sum, pool->multiplier, pool->shift)
      + pool->bias;
  acc = acc < -pool->shift_back ? -pool->shift_back : acc;
  return (int32_t) (acc > 255 - pool->shift_back ? 255 - pool->shift_back : acc);
}

/* M and bias of mn_q8_mean_hw ()'s formula. */
bool
mn_q8_mean_requant (int hw, const mn_q8_pool_params *p, int32_t *multiplier, int32_t *shift,
                    int32_t *bias)
{
  const int32_t shift_back = p->is_int8 ? 128 : 0;
  const int32_t in_zp = p->in_zero_point - shift_back;
  const int32_t out_zp = p->out_zero_point - shift_back;
  const float in_scale = (float) p->in_scale;
  const float out_scale = (float) p->out_scale;
  float temp = (float) in_zp * in_scale / out_scale;

  *bias = 0;
  if (!mn_quantize_multiplier ((double) (in_scale / ((float) hw * out_scale)), multiplier, shift)
      || !(fabsf (temp) < 0x1p30f))
    return false;
  temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
  *bias = out_zp - (int32_t) temp;
  return true;
}

/* TFLite's optimised 4-D MEAN over axes {1, 2} for uint8 and int8 alike,
 * computed in the tensor's own domain:
 *   temp  = (float) in_zp * in_scale / out_scale, rounded half away from zero
 *           by +-0.5f and truncation
 *   bias  = out_zp - (int) temp
 *   M     = QuantizeMultiplier ((float) (in_scale / ((float) hw * out_scale)))
 *   out   = clamp (MBQM (sum of raw q, M) + bias, type range)
 * The raw sum and the zero points are not invariant under the +128 storage
 * shift, so int8 tensors are shifted back to int8 first.  Parameters that
 * mn_q8_mean_requant () refuses (the planner rejects such models) give
 * multiplier and bias 0. */
void
mn_q8_mean_hw (int hw, int channels, size_t stride, const uint8_t *in, uint8_t *out,
               const mn_q8_pool_params *p)
{
  u8_pool pool = { .hw = hw, .shift_back = p->is_int8 ? 128 : 0 };
  mn_q8_mean_requant (hw, p, &pool.multiplier, &pool.shift, &pool.bias);
  pool_u8 (channels, stride, in, out, &pool, mean_finish, p->out_min, p->out_max);
}

/* AVERAGE_POOL: divided, rounding half away from zero. */
static int32_t
avgpool_finish (int32_t sum, const u8_pool *pool)
{
  const int hw = pool->hw;
  return sum > 0 ? (sum + hw / 2) / hw : (sum - hw / 2) / hw;
}

/* Sum, then divide rounding half away from zero (TFLite's int8 pool; for
 * uint8 the sum is never negative and (sum + hw / 2) / hw is the same).
 * TFLite requires equal input and output scale and zero point here. */
void
mn_q8_global_avgpool (int hw, int channels, size_t stride, const uint8_t *in, uint8_t *out,
                      const mn_q8_pool_params *p)
{
  const u8_pool pool = { .hw = hw, .shift_back = p->is_int8 ? 128 : 0 };
  pool_u8 (channels, stride, in, out, &pool, avgpool_finish, p->out_min, p->out_max);
}

/* ---- SOFTMAX ------------------------------------------------------------ */

void
mn_f32_softmax (int rows, int n, const float *in, float *out, float beta)
{
  for (int r = 0; r < rows; r++) {
    const float *x = in + (size_t) r * n;
    float *y = out + (size_t) r * n;
    float max = x[0], sum = 0.0f;

    for (int j = 1; j < n; j++)
      max = x[j] > max ? x[j] : max;
    for (int j = 0; j < n; j++) {
      y[j] = expf ((x[j] - max) * beta);
      sum += y[j];
    }
    for (int j = 0; j < n; j++)
      y[j] = y[j] / sum;
  }
}

static void
q8_softmax (int rows, int n, const uint8_t *in, uint8_t *out, double in_scale, float beta,
            double out_scale, int32_t out_zero_point, int round_int8)
{
  /* table[255 - d] = exp (-in_scale * beta * d): indexed from table + 255 -
   * max by the input itself, it gives exp (beta * in_scale * (x - max)).
   * Only differences of inputs matter, so the storage shift is harmless. */
  float table[256];
  const float scale = -(float) in_scale * beta;
  const float oscale = (float) out_scale;

  for (int32_t v = 0; v <= 255; v++)
    table[255 - v] = expf (scale * (float) v);

  for (int r = 0; r < rows; r++) {
    const uint8_t *x = in + (size_t) r * n;
    uint8_t *y = out + (size_t) r * n;
    int32_t max = 0;
    float sum = 0.0f, inv;
    const float *t;

    for (int j = 0; j < n; j++)
      max = x[j] > max ? x[j] : max;
    t = table + 255 - max;
    for (int j = 0; j < n; j++)
      sum += t[x[j]];
    inv = 1.0f / (sum * oscale);
    for (int j = 0; j < n; j++) {
      const float prob = t[x[j]] * inv;
      int32_t q;
      if (!(prob < 1e9f))
        q = 1000000000;          /* out of any 8-bit range (and NaN) */
      else if (round_int8)
        q = (int32_t) roundf (prob);
      else
        q = (int32_t) (prob + 0.5f);
      y[j] = mn_clamp_u8 (q + out_zero_point, 0, 255);
    }
  }
}

/* uint8 output: TFLite's x86 QuantizeSoftmaxOutput<uint8_t> is
 * (int) (prob + 0.5f); it also drops the zero point (always 0 for a valid
 * uint8 softmax); here it is added, which is the same for 0. */
void
mn_q8_softmax (int rows, int n, const uint8_t *in, uint8_t *out, double in_scale, float beta,
               double out_scale, int32_t out_zero_point)
{
  q8_softmax (rows, n, in, out, in_scale, beta, out_scale, out_zero_point, 0);
}

/* int8 output: round (prob) + zero point, clamped to int8; in storage terms
 * round (prob) + (zero point + 128), clamped to [0, 255]. */
void
mn_q8_softmax_int8 (int rows, int n, const uint8_t *in, uint8_t *out, double in_scale,
                    float beta, double out_scale, int32_t out_zero_point)
{
  q8_softmax (rows, n, in, out, in_scale, beta, out_scale, out_zero_point, 1);
}

/* ---- conversions -------------------------------------------------------- */

void
mn_q8_dequantize (size_t n, const uint8_t *in, float *out, double scale, int32_t zero_point)
{
  const double s = (double) (float) scale;
  for (size_t i = 0; i < n; i++)
    out[i] = (float) (s * (double) ((int32_t) in[i] - zero_point));
}

/* round (x / scale) + zero point, the division and rounding in float like
 * TFLite's AffineQuantize; the clamp makes the storage shift harmless.
 * roundf () is written out so that the loop vectorises: after the clamp to
 * +-1e6 the truncation is exact and so is the fraction r - trunc (r). */
void
mn_q8_quantize (size_t n, const float *in, uint8_t *out, double scale, int32_t zero_point,
                uint8_t out_min, uint8_t out_max)
{
  const float s = (float) scale;
  for (size_t i = 0; i < n; i++) {
    float r = in[i] / s;
    r = r != r ? 0.f : r > 1e6f ? 1e6f : r < -1e6f ? -1e6f : r;
    int32_t q = (int32_t) r;
    const float frac = r - (float) q;
    q += (frac >= 0.5f) - (frac <= -0.5f);
    out[i] = mn_clamp_u8 (q + zero_point, out_min, out_max);
  }
}

static uint8_t
requantize_one (int32_t q, int32_t in_zero_point, int32_t multiplier, int32_t shift,
                int32_t out_zero_point, uint8_t out_min, uint8_t out_max)
{
  return mn_requant_u8 (q - in_zero_point, multiplier, shift, out_zero_point, out_min, out_max);
}

/* The result depends on the input byte alone: past 256 elements the 256
 * results are tabulated first (a TF2 int8 model's 224x224x3 input step:
 * one lookup an element instead of a requantisation). */
void
mn_q8_requantize (size_t n, const uint8_t *in, uint8_t *out, int32_t in_zero_point,
                  int32_t multiplier, int32_t shift, int32_t out_zero_point,
                  uint8_t out_min, uint8_t out_max)
{
  if (n > 256) {
    uint8_t table[256];
    for (int v = 0; v < 256; v++)
      table[v] = requantize_one (v, in_zero_point, multiplier, shift, out_zero_point, out_min,
                                 out_max);
    for (size_t i = 0; i < n; i++)
      out[i] = table[in[i]];
    return;
  }
  for (size_t i = 0; i < n; i++)
    out[i] = requantize_one (in[i], in_zero_point, multiplier, shift, out_zero_point, out_min,
                             out_max);
}

/* ---- PAD ---------------------------------------------------------------- */

static void
fill_elems (uint8_t *dst, size_t count, size_t elem_size, const void *fill)
{
  if (elem_size == 1) {
    memset (dst, *(const uint8_t *) fill, count);
    return;
  }
  for (size_t i = 0; i < count; i++)
    memcpy (dst + i * elem_size, fill, elem_size);
}

void
mn_pad_nhwc (const int32_t in_dims[4], const int32_t before[4], const int32_t after[4],
             size_t elem_size, const void *in, void *out, const void *fill)
{
  size_t od[4];
  const uint8_t *src = in;
  uint8_t *dst = out;

  for (int i = 0; i < 4; i++)
    od[i] = (size_t) before[i] + (size_t) in_dims[i] + (size_t) after[i];

  const size_t row = od[3] * elem_size;              /* one output (b, y, x) row */
  const size_t in_row = (size_t) in_dims[3] * elem_size;

  for (size_t b = 0; b < od[0]; b++) {
    const int in_b = b >= (size_t) before[0] && b < (size_t) before[0] + in_dims[0];
    for (size_t y = 0; y < od[1]; y++) {
      const int in_y = y >= (size_t) before[1] && y < (size_t) before[1] + in_dims[1];
      for (size_t x = 0; x < od[2]; x++) {
        const int in_x = x >= (size_t) before[2] && x < (size_t) before[2] + in_dims[2];
        uint8_t *d = dst + ((b * od[1] + y) * od[2] + x) * row;

        if (!(in_b && in_y && in_x)) {
          fill_elems (d, od[3], elem_size, fill);
          continue;
        }
        const size_t sb = b - before[0], sy = y - before[1], sx = x - before[2];
        const uint8_t *s = src + ((sb * in_dims[1] + sy) * in_dims[2] + sx) * in_row;
        fill_elems (d, (size_t) before[3], elem_size, fill);
        memcpy (d + (size_t) before[3] * elem_size, s, in_row);
        fill_elems (d + (size_t) before[3] * elem_size + in_row, (size_t) after[3], elem_size,
                    fill);
      }
    }
  }
}
