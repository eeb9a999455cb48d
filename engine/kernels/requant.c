/* requant.c: real multiplier -> Q31 multiplier and shift, as TFLite's
 * QuantizeMultiplier (tensorflow/lite/kernels/internal/quantization_util.cc). */
#include "requant.h"

#include <math.h>

bool
mn_quantize_multiplier (double real, int32_t *multiplier, int32_t *shift)
{
  int exponent = 0;
  double q;
  int64_t q_fixed;

  /* Zero, negative and NaN multipliers all mean "nothing gets through";
   * an infinite one is too large. */
  *multiplier = 0;
  *shift = 0;
  if (isinf (real))
    return false;
  if (!(real > 0.0))
    return true;

  /* real = q * 2^exponent with q in [0.5, 1); round q to Q31, half away
   * from zero like TfLiteRound. */
  q = frexp (real, &exponent);
  q_fixed = (int64_t) round (q * (double) (1ll << 31));

  /* q just below 1 may round up to exactly 2^31: halve it, bump the shift. */
  if (q_fixed == (1ll << 31)) {
    q_fixed /= 2;
    exponent++;
  }

  /* Shifting right by more than 31 bits leaves nothing: TFLite represents
   * that as a zero multiplier with no shift. */
  if (exponent < -31) {
    exponent = 0;
    q_fixed = 0;
  }

  /* A left shift past 31: see requant.h. */
  if (exponent > 31)
    return false;
  *multiplier = (int32_t) q_fixed;
  *shift = exponent;
  return true;
}
