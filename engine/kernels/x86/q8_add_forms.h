/* q8_add_forms.h: what the 8-bit ADD's SIMD twins (AVX2, AVX-512) share:
 * the per-tensor constants and the form each input is rescaled in.
 *
 * The C twin looks each input byte up in its table of rescaled values,
 * MBQM ((v + offset) << left_shift, multiplier, shift); the SIMD twins
 * compute that formula instead, either with the general requantisation
 * (mode PLAIN or GENERAL of q8_requant_avx2.h) or in the SPLIT form.  With
 * x = v + offset (|x| <= 255) and L the left shift, TFLite's high multiply
 * of x 2^L by m (never the saturating case: |x 2^L| < 2^31) is
 * floor ((x m 2^L + 2^30) / 2^31) (q8_requant_avx2.h), that is
 * floor ((x m + D / 2) / D) with D = 2^(31 - L), and with
 * m = m_hi D + m_lo (0 <= m_lo < D) exactly
 *   x m_hi + floor ((x m_lo + D / 2) / D),
 * two 32-bit products that cannot overflow for 8 <= L <= 22 (|x m_hi| <
 * 2^(8 + L), |x m_lo| < 2^(39 - L)) and m >= 0: 5 operations instead of
 * 9 and no 64-bit lanes; the rounding divide by 2^right follows as in
 * every form.  TFLite's ADD has L = 20 and multipliers below one. */
#ifndef MN_Q8_ADD_FORMS_H
#define MN_Q8_ADD_FORMS_H

#include "x86/q8_requant_avx2.h"

/* The input rescaling's form when not an mn_q8_rq_mode. */
enum { MN_Q8_ADD_SPLIT = -1 };

/* The SPLIT form's scalars for one input. */
typedef struct {
  int32_t m_hi, m_lo, half;   /* m = m_hi 2^low_bits + m_lo; half = 2^(low_bits - 1) */
  int low_bits;               /* 31 - L */
} mn_q8_add_split;

/* One multiplier and shift on all 8 lanes (a per-tensor requantisation)
 * into q; its mode. */
static inline mn_q8_rq_mode
mn_q8_rq8_per_tensor (mn_q8_rq8 *q, int32_t multiplier, int32_t shift, int32_t zero_point,
                      uint8_t out_min, uint8_t out_max)
{
  const int32_t mult[8] = { multiplier, multiplier, multiplier, multiplier,
                            multiplier, multiplier, multiplier, multiplier };
  const int32_t sh[8] = { shift, shift, shift, shift, shift, shift, shift, shift };
  const mn_requant rq = { mult, sh, zero_point, out_min, out_max, 0 };
  mn_q8_rq8_load (q, &rq, 0, 8);
  return mn_q8_rq_mode_scan (&rq, 0, 1);
}

/* Both inputs' requantisations (zero point 1 and out_min 0: never the
 * clamped form) into qa and qb, the output's into q and its mode into
 * *mode, the SPLIT scalars into sa and sb when that form applies; the
 * form both inputs are rescaled in: SPLIT where both allow it, else
 * GENERAL if either needs it (init never makes one), else PLAIN. */
static inline int
mn_q8_add_forms (const mn_q8_add_params *p, mn_q8_rq8 *qa, mn_q8_rq8 *qb, mn_q8_rq8 *q,
                 mn_q8_rq_mode *mode, mn_q8_add_split *sa, mn_q8_add_split *sb)
{
  const mn_q8_rq_mode a_mode = mn_q8_rq8_per_tensor (qa, p->a_multiplier, p->a_shift, 1, 0, 255);
  const mn_q8_rq_mode b_mode = mn_q8_rq8_per_tensor (qb, p->b_multiplier, p->b_shift, 1, 0, 255);
  *mode = mn_q8_rq8_per_tensor (q, p->out_multiplier, p->out_shift, p->out_zero_point, p->out_min,
                                p->out_max);
  const int32_t m[2] = { p->a_multiplier, p->b_multiplier }, s[2] = { p->a_shift, p->b_shift };
  bool split = p->left_shift >= 8 && p->left_shift <= 22;
  for (int i = 0; i < 2; i++)
    split = split && m[i] >= 0 && s[i] <= 0;
  if (!split)
    return a_mode == MN_Q8_RQ_GENERAL || b_mode == MN_Q8_RQ_GENERAL ? MN_Q8_RQ_GENERAL
                                                                     : MN_Q8_RQ_PLAIN;
  mn_q8_add_split *out[2] = { sa, sb };
  for (int i = 0; i < 2; i++) {
    out[i]->low_bits = 31 - p->left_shift;
    out[i]->m_hi = m[i] >> out[i]->low_bits;
    out[i]->m_lo = m[i] & ((1 << out[i]->low_bits) - 1);
    out[i]->half = 1 << (out[i]->low_bits - 1);
  }
  return MN_Q8_ADD_SPLIT;
}

#endif /* MN_Q8_ADD_FORMS_H */
