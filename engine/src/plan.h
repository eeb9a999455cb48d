/* plan.h: the executable form of a graph.
 *
 * mn_plan_build() checks each op's shapes, types and quantisation against
 * each other, picks a kernel, packs its weights and precomputes its
 * requantisation once at load.  Activation tensors keep their graph index;
 * RESHAPE and SQUEEZE become aliases and cost nothing at run time.
 *
 * Quantised activations live in the uint8 domain (int8 values + 128) so one
 * kernel family serves uint8 and int8 models (see kernels.h).
 */
#ifndef MN_PLAN_H
#define MN_PLAN_H

#include "graph.h"
#include "huge_pages.h"
#include "kernels.h"
#include "ops.h"

typedef enum {
  MN_STEP_F32_CONV,
  MN_STEP_F32_DWCONV,
  MN_STEP_F32_GEMM,
  MN_STEP_Q8_CONV,
  MN_STEP_Q8_DWCONV,
  MN_STEP_Q8_GEMM,
  MN_STEP_Q8_GEMV,        /* MN_STEP_Q8_GEMM with m == 1, weights as bytes */
  MN_STEP_F32_ADD,
  MN_STEP_Q8_ADD,
  MN_STEP_F32_MEAN,
  MN_STEP_Q8_MEAN,
  MN_STEP_Q8_AVGPOOL,
  MN_STEP_F32_SOFTMAX,
  MN_STEP_Q8_SOFTMAX,
  MN_STEP_QUANTIZE,       /* f32 -> q8 */
  MN_STEP_DEQUANTIZE,     /* q8 -> f32 */
  MN_STEP_REQUANTIZE,     /* q8 -> q8 */
  MN_STEP_PAD,
} mn_step_kind;

typedef struct {
  mn_step_kind kind;
  int node;               /* graph node index */
  int in0, in1;           /* activation tensor indices (in1 = -1 if none) */
  int out;
  /* conv-like and GEMM */
  mn_conv_geom geom;
  int m, n, k;
  bool quads;             /* MN_STEP_Q8_GEMM packed for q8_gemm4 (NR 16) */
  bool sliced;            /* MN_STEP_F32_GEMM packed for f32_gemm_sliced (NR 16) */
  bool sparse;            /* MN_STEP_F32_GEMM run on f32_gemm_sparse (a ReLU's input) */
  void *packed;           /* owned, 64-byte aligned */
  /* MN_STEP_Q8_DWCONV: NULL, or the blocks q8_dwconv_blocks runs on (owned,
   * kernels.h) */
  void *dw_blocks;
  float f_min, f_max;
  int32_t in_zero_point;  /* uint8 domain */
  int32_t *multiplier;    /* owned, n entries */
  int32_t *shift;         /* owned, n entries */
  mn_requant rq;
  /* small ops */
  mn_q8_add_params add;
  mn_q8_pool_params pool;
  size_t count;           /* elements for elementwise steps */
  int rows;               /* softmax rows; pool hw */
  int channels;
  double in_scale, out_scale;
  int32_t out_zero_point; /* uint8 domain */
  float beta;
  bool out_is_int8;       /* softmax: int8 output rounds differently */
  int32_t pad_dims[4], pad_before[4], pad_after[4];
  size_t elem_size;
  uint32_t fill;          /* pad fill pattern */
} mn_step;

/* A GEMM step's rows [0, m) of a (k values a row), channels [n_begin,
 * n_end), into c: on the kernel its weights were packed for, the sparse
 * one where the planner chose it. */
static inline void
mn_step_f32_gemm (const mn_step *st, const mn_kernel_table *kt, int m, int n_begin, int n_end,
                  const float *a, float *c, size_t c_stride, const float *residual)
{
  if (st->sliced)
    kt->f32_gemm_sliced (m, st->n, st->k, n_begin, n_end, a, (size_t) st->k, st->packed, c,
                         c_stride, residual, st->f_min, st->f_max);
  else
    (st->sparse ? kt->f32_gemm_sparse : kt->f32_gemm) (m, st->n, st->k, n_begin, n_end, a,
                                                       (size_t) st->k, st->packed, c, c_stride,
                                                       residual, st->f_min, st->f_max);
}

static inline void
mn_step_q8_gemm (const mn_step *st, const mn_kernel_table *kt, int m, int n_begin, int n_end,
                 const uint8_t *a, uint8_t *c, size_t c_stride)
{
  (st->quads ? kt->q8_gemm4 : kt->q8_gemm) (m, st->n, st->k, n_begin, n_end, a, (size_t) st->k,
                                            st->packed, c, c_stride, &st->rq);
}

/* An 8-bit depthwise step's output rows [oy_begin, oy_end) of geometry g
 * (the step's own, or a band of it): on the blocks made at load where it
 * has them, else on the packed panels. */
static inline void
mn_step_q8_dwconv (const mn_step *st, const mn_kernel_table *kt, const mn_conv_geom *g,
                   const uint8_t *in, uint8_t *out, int oy_begin, int oy_end)
{
  if (st->dw_blocks)
    kt->q8_dwconv_blocks (g, in, st->in_zero_point, st->dw_blocks, out, oy_begin, oy_end, &st->rq);
  else
    kt->q8_dwconv (g, in, st->in_zero_point, st->packed, out, oy_begin, oy_end, &st->rq);
}

/* Where each tensor's bytes live at run time. */
typedef struct {
  int storage;            /* tensor index whose buffer holds this one (aliases) */
  size_t bytes;
  bool is_activation;     /* produced at run time or the graph input */
  bool is_int8;           /* stored in the uint8 domain, + 128 */
} mn_tensor_plan;

typedef struct {
  mn_step *steps;
  int num_steps;
  mn_huge_region weights;   /* the steps' packed weights (huge_pages.h) */
  mn_tensor_plan *tensors;  /* one per graph tensor */
  uint64_t *node_macs;      /* per graph node */
  uint64_t *node_params;
  uint64_t total_macs, total_params;
} mn_plan;

/* Weights packed for kt's kernels: the 8-bit 1x1 layers in
 * mn_q8_gemm4_pack ()'s layout (steps with quads set) where kt has a
 * q8_gemm4, the float 1x1 layers mn_f32_gemm_sliced_suits () in
 * mn_f32_gemm_sliced_pack ()'s (sliced set) where it has an
 * f32_gemm_sliced and their weights are finite;
 * the 8-bit steps' requantisation prepared (rq.prepared) where it has a
 * q8_requant_prepare. */
mn_status mn_plan_build (const mn_graph *g, mn_plan *p, const mn_kernel_table *kt,
                         const mn_logger *log);
void mn_plan_clear (mn_plan *p);

/* Whether a step outside [first, last] reads a tensor stored in storage. */
bool mn_plan_read_outside (const mn_plan *p, int storage, int first, int last);

/* Zero point of a tensor in the uint8 domain. */
int32_t mn_domain_zero_point (const mn_tensor *t, int channel);

#endif /* MN_PLAN_H */
