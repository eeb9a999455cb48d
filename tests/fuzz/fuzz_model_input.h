/* fuzz_model_input.h: the fixed input the model fuzz targets run a loaded
 * model on, so that every run of one input is alike. */
#ifndef MN_FUZZ_MODEL_INPUT_H
#define MN_FUZZ_MODEL_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* A logger that drops every message: hostile models log many errors. */
static inline void
fz_quiet_log (void *user_data, mn_log_level level, const char *message)
{
  (void) user_data;
  (void) level;
  (void) message;
}

/* Models whose input tensor is larger are loaded and planned but not run:
 * a 501-byte model may declare a valid 64512 x 1024 x 3 float input (under
 * MN_MAX_ELEMENTS), whose 790 MB take 4.7 s to fill and reduce in the
 * normal build and over the fuzzer's 25 s timeout under the sanitizers
 * (found on 2026-11-29).  What the run checks, kernels on hostile shapes,
 * does not need that size. */
#define FZ_MAX_RUN_INPUT_BYTES ((size_t) 64 << 20)

static inline bool
fz_input_too_large (const mn_model *m)
{
  return m->plan.tensors[m->graph.input].bytes > FZ_MAX_RUN_INPUT_BYTES;
}

/* n deterministic bytes (a linear congruential sequence). */
static inline void
fz_fill_bytes (uint8_t *p, size_t n)
{
  uint32_t x = 0x9e3779b9u;
  for (size_t i = 0; i < n; i++) {
    x = x * 1664525u + 1013904223u;
    p[i] = (uint8_t) (x >> 24);
  }
}

/* A malloc'ed input tensor for m (*bytes long; NULL when out of memory).
 * Float inputs get finite values in [-2, 2): the fixed bytes
 * reinterpreted could be NaNs, which are fine too but make every run
 * alike. */
static inline uint8_t *
fz_model_input (const mn_model *m, size_t *bytes)
{
  const size_t n = m->plan.tensors[m->graph.input].bytes;
  uint8_t *in = malloc (n ? n : 1);
  *bytes = n;
  if (!in)
    return NULL;
  fz_fill_bytes (in, n);
  if (m->graph.tensors[m->graph.input].type == MN_DTYPE_FLOAT32)
    for (size_t i = 0; i + 4 <= n; i += 4) {
      const float f = (float) in[i] / 64.0f - 2.0f;
      memcpy (in + i, &f, 4);
    }
  return in;
}

#endif /* MN_FUZZ_MODEL_INPUT_H */
