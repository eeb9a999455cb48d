/* xnn_graph.h: our validated model graph rebuilt as an XNNPACK subgraph.
 *
 * Benchmark-only code: it lets bench/xnnpack_compare.c run exactly the
 * network our TFLite reader produced (same weights, quantisation and
 * padding) through XNNPACK, so the two engines can be timed side by side.
 */
#ifndef BENCH_XNN_GRAPH_H
#define BENCH_XNN_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthreadpool.h>

#include "graph.h"

typedef struct xg_net xg_net;

/* Initialises XNNPACK once.  Returns false (with a reason) when the library
 * refuses this CPU. */
bool xg_init (char *why, size_t why_size);

/* Builds an XNNPACK runtime for g (which must outlive the net: constant data
 * is copied, but names are not).  mean and std normalise pixels for float
 * inputs, as mn_session_run does.  threadpool may be NULL (one thread).
 * Returns NULL and writes a one-line reason when this XNNPACK version cannot
 * express the network. */
xg_net *xg_net_create (const mn_graph *g, float mean, float std, pthreadpool_t threadpool,
                       char *why, size_t why_size);

/* One inference on a packed RGB image of the model's input size (rows of
 * width * 3 bytes): input conversion, the XNNPACK runtime, output
 * conversion.  Returns false when XNNPACK fails. */
bool xg_net_run (xg_net *n, const uint8_t *rgb);

/* The output of the last run as float scores (dequantised), num_classes
 * values. */
const float *xg_net_scores (const xg_net *n, int *num_classes);

/* What the translation did, e.g. "qs8/qc8w; softmax in fp32; edges on host". */
const char *xg_net_notes (const xg_net *n);

void xg_net_destroy (xg_net **n);

#endif /* BENCH_XNN_GRAPH_H */
