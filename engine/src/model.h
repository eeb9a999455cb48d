/* model.h: the loaded, immutable, shareable model. */
#ifndef MN_MODEL_H
#define MN_MODEL_H

#include <stdatomic.h>

#include "fused_blocks.h"
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

/* For tests and benchmarks: mn_session_create () with the blocks and bands
 * of f (fused_blocks.h; config's fuse_blocks is not read), how many
 * blocks a session runs band by band, and how many of those read the
 * block before row by row (session.c's execute ()). */
mn_status mn_session_create_fusing (mn_model *m, const mn_config *c, const mn_fusing *f,
                                    mn_session **out);
int mn_session_fused_blocks (const mn_session *s);
int mn_session_row_reading_blocks (const mn_session *s);

#endif /* MN_MODEL_H */
