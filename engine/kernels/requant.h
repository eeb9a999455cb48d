/* requant.h: TFLite's fixed-point requantisation, shared by every integer
 * kernel and by the tests.  Semantics follow TFLite's quantisation spec:
 * a real multiplier M is stored as a Q31 int32 and a power-of-two shift;
 * products use saturating rounding doubling high multiplication and a
 * rounding (half away from zero) right shift. */
#ifndef MN_REQUANT_H
#define MN_REQUANT_H

#include <stdbool.h>
#include <stdint.h>

/* Split a real multiplier (>= 0) into Q31 multiplier and shift, as TFLite's
 * QuantizeMultiplier does.  Multipliers too small to represent give 0, 0.
 * Multipliers of 2^31 or more need a left shift past 31, which no int32
 * accumulator survives (TFLite's kernels overflow there): false, and 0, 0
 * so that nothing undefined follows; model loading rejects them. */
bool mn_quantize_multiplier (double real, int32_t *multiplier, int32_t *shift);

static inline int32_t
mn_saturating_rounding_doubling_high_mul (int32_t a, int32_t b)
{
  if (a == b && a == INT32_MIN)
    return INT32_MAX;
  int64_t ab = (int64_t) a * (int64_t) b;
  int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
  return (int32_t) ((ab + nudge) / (1ll << 31));
}

static inline int32_t
mn_rounding_divide_by_pot (int32_t x, int exponent)
{
  const int32_t mask = (int32_t) ((1ll << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t
mn_multiply_by_quantized_multiplier (int32_t x, int32_t multiplier, int32_t shift)
{
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return mn_rounding_divide_by_pot (
      mn_saturating_rounding_doubling_high_mul ((int32_t) ((uint32_t) x << left), multiplier),
      right);
}

/* a + b wrapping around int32 as the SIMD twins' vpaddd does, defined in C
 * for every input (a hostile model's bias can take a sum past int32). */
static inline int32_t
mn_wrap_add (int32_t a, int32_t b)
{
  return (int32_t) ((uint32_t) a + (uint32_t) b);
}

static inline uint8_t
mn_clamp_u8 (int32_t v, int32_t lo, int32_t hi)
{
  return (uint8_t) (v < lo ? lo : v > hi ? hi : v);
}

/* An int32 accumulator to its output byte: requantised, plus the output
 * zero point (wrapping, as the SIMD twins add it), clamped to [lo, hi]. */
static inline uint8_t
mn_requant_u8 (int32_t acc, int32_t multiplier, int32_t shift, int32_t zero_point, int32_t lo,
               int32_t hi)
{
  return mn_clamp_u8 (
      mn_wrap_add (mn_multiply_by_quantized_multiplier (acc, multiplier, shift), zero_point), lo,
      hi);
}

#endif /* MN_REQUANT_H */
