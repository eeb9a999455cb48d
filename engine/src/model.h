/* model.h: the loaded, immutable, shareable model. */
#ifndef MN_MODEL_H
#define MN_MODEL_H

#include <stdatomic.h>

#include "graph.h"
#include "kernels.h"
#include "plan.h"

struct mn_model {
  atomic_int refcount;
  mn_graph graph;          /* shapes and quantisation; constant data is
                              dropped once the plan has packed it */
  mn_plan plan;
  mn_kernel_table kernels;
  mn_logger log;
};

/* 64-byte aligned allocation helpers, used for packed weights and arenas. */
void *mn_aligned_alloc (size_t size);
void mn_aligned_free (void *p);

/* For tests and tools: run on the input tensor's own bytes (its type and
 * shape, int8 as int8) instead of an RGB image. */
mn_status mn_session_run_tensor (mn_session *s, const void *input, size_t size, mn_result *out);

#endif /* MN_MODEL_H */
