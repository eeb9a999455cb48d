/* model.c: loading, sharing and describing a model. */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Larger files are not MobileNets; refusing them bounds what we map. */
#define MN_MAX_MODEL_BYTES ((size_t) 1 << 30)

void
mn_config_default (mn_config *c)
{
  memset (c, 0, sizeof *c);
  c->threads = 0;
  c->cpu_mask = MN_CPU_ALL;
  c->input_mean = NAN;
  c->input_std = NAN;
  c->fuse_blocks = 1;
}

void *
mn_aligned_alloc (size_t size)
{
  void *p = NULL;
  if (posix_memalign (&p, 64, size ? size : 64) != 0)
    return NULL;
  return p;
}

void
mn_aligned_free (void *p)
{
  free (p);
}

static void
model_free (mn_model *m)
{
  mn_plan_clear (&m->plan);
  mn_graph_clear (&m->graph);
  free (m);
}

/* The planner has packed every weight and bias it needs: the raw copies
 * would only double the model's memory, and the borrowed ones point into
 * the caller's data (mn_tflite_read_borrowing), which is going away. */
static void
drop_constant_data (mn_graph *g)
{
  for (int i = 0; i < g->num_tensors; i++)
    g->tensors[i].data = NULL;
  for (int i = 0; i < g->num_blocks; i++)
    free (g->blocks[i]);
  free (g->blocks);
  g->blocks = NULL;
  g->num_blocks = 0;
}

mn_status
mn_model_load_memory (const void *data, size_t size, const mn_config *c, mn_model **out)
{
  mn_config defaults;
  if (!out)
    return MN_ERR_INVALID_ARG;
  *out = NULL;
  if (!c) {
    mn_config_default (&defaults);
    c = &defaults;
  }
  mn_logger log = { c->log, c->log_user_data };
  if (!data && size)
    return mn_log_error (&log, MN_ERR_INVALID_ARG, "mn_model_load: no data");

  mn_model *m = calloc (1, sizeof *m);
  if (!m)
    return mn_log_error (&log, MN_ERR_NO_MEMORY, "mn_model_load: out of memory");
  atomic_init (&m->refcount, 1);
  m->log = log;
  mn_kernels_init (&m->kernels, c->cpu_mask);

  mn_status st = mn_tflite_read_borrowing (data, size, &m->graph, &log);
  if (st != MN_OK)
    goto fail;
  st = mn_plan_build (&m->graph, &m->plan, &m->kernels, &log);
  if (st != MN_OK)
    goto fail;
  drop_constant_data (&m->graph);
  mn_log (&log, MN_LOG_DEBUG, "mn_model_load: %d ops, %llu MACs, %llu parameters, kernels: %s",
          m->graph.num_nodes, (unsigned long long) m->plan.total_macs,
          (unsigned long long) m->plan.total_params, m->kernels.isa);
  *out = m;
  return MN_OK;

fail:
  model_free (m);
  return st;
}

mn_status
mn_model_load (const char *path, const mn_config *c, mn_model **out)
{
  mn_config defaults;
  if (!out)
    return MN_ERR_INVALID_ARG;
  *out = NULL;
  if (!c) {
    mn_config_default (&defaults);
    c = &defaults;
  }
  mn_logger log = { c->log, c->log_user_data };
  if (!path)
    return mn_log_error (&log, MN_ERR_INVALID_ARG, "mn_model_load: no path given");

  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return mn_log_error (&log, MN_ERR_IO, "mn_model_load: cannot open \"%s\": %s", path,
                         strerror (errno));
  struct stat sb;
  if (fstat (fd, &sb) != 0) {
    int e = errno;
    close (fd);
    return mn_log_error (&log, MN_ERR_IO, "mn_model_load: cannot stat \"%s\": %s", path,
                         strerror (e));
  }
  if (!S_ISREG (sb.st_mode)) {
    close (fd);
    return mn_log_error (&log, MN_ERR_IO, "mn_model_load: \"%s\" is not a regular file", path);
  }
  if (sb.st_size == 0) {
    close (fd);
    return mn_log_error (&log, MN_ERR_NOT_TFLITE, "mn_model_load: \"%s\" is empty", path);
  }
  if ((uint64_t) sb.st_size > MN_MAX_MODEL_BYTES) {
    close (fd);
    return mn_log_error (&log, MN_ERR_UNSUPPORTED,
                         "mn_model_load: \"%s\" is %lld bytes: models over %zu bytes are refused",
                         path, (long long) sb.st_size, MN_MAX_MODEL_BYTES);
  }
  size_t size = (size_t) sb.st_size;
  /* Private mapping; everything is copied or packed during the load, and
   * the mapping is gone before we return, so later changes to the file
   * cannot reach a running model. */
  void *map = mmap (NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close (fd);
  if (map == MAP_FAILED)
    return mn_log_error (&log, MN_ERR_IO, "mn_model_load: cannot map \"%s\": %s", path,
                         strerror (errno));
  mn_status st = mn_model_load_memory (map, size, c, out);
  munmap (map, size);
  return st;
}

mn_model *
mn_model_ref (mn_model *m)
{
  if (m)
    atomic_fetch_add (&m->refcount, 1);
  return m;
}

void
mn_model_unref (mn_model **m)
{
  if (!m || !*m)
    return;
  if (atomic_fetch_sub (&(*m)->refcount, 1) == 1)
    model_free (*m);
  *m = NULL;
}

static void
tensor_info (const mn_graph *g, int index, mn_tensor_info *ti)
{
  memset (ti, 0, sizeof *ti);
  if (index < 0 || index >= g->num_tensors) {
    ti->name = "";
    return;
  }
  const mn_tensor *t = &g->tensors[index];
  ti->name = t->name ? t->name : "";
  ti->type = t->type;
  ti->rank = t->rank;
  for (int i = 0; i < t->rank && i < 4; i++)
    ti->dims[i] = t->dims[i];
  ti->num_scales = t->num_scales;
  if (t->num_scales > 0) {
    ti->scale = t->scales[0];
    ti->zero_point = t->zero_points[0];
  }
  ti->quantized_dimension = t->quant_dim;
}

void
mn_model_get_info (const mn_model *m, mn_model_info *info)
{
  memset (info, 0, sizeof *info);
  if (!m)
    return;
  const mn_graph *g = &m->graph;
  const mn_tensor *in = &g->tensors[g->input];
  const mn_tensor *out = &g->tensors[g->output];
  info->input_height = in->dims[1];
  info->input_width = in->dims[2];
  info->input_channels = in->dims[3];
  info->input_type = in->type;
  info->num_classes = (int) mn_tensor_elements (out);
  info->output_type = out->type;
  info->num_layers = g->num_nodes;
  info->total_macs = m->plan.total_macs;
  info->total_params = m->plan.total_params;
  info->has_metadata_normalization = g->has_normalization;
  info->norm_mean = g->has_normalization ? g->norm_mean : 127.5f;
  info->norm_std = g->has_normalization ? g->norm_std : 127.5f;
  info->has_embedded_labels = g->embedded_labels != NULL;
}

mn_status
mn_model_get_layer (const mn_model *m, int i, mn_layer_info *info)
{
  if (!m || !info || i < 0 || i >= m->graph.num_nodes)
    return MN_ERR_INVALID_ARG;
  const mn_graph *g = &m->graph;
  const mn_node *nd = &g->nodes[i];
  memset (info, 0, sizeof *info);
  info->op_name = mn_op_name (nd->op);
  info->index = nd->file_index;
  info->num_inputs = nd->num_inputs > 3 ? 3 : nd->num_inputs;
  for (int k = 0; k < info->num_inputs; k++)
    tensor_info (g, nd->inputs[k], &info->inputs[k]);
  tensor_info (g, nd->output, &info->output);
  info->macs = m->plan.node_macs[i];
  info->params = m->plan.node_params[i];
  info->padding = "";
  info->activation = mn_activation_name (nd->activation);
  switch (nd->op) {
    case MN_OP_CONV_2D:
    case MN_OP_DEPTHWISE_CONV_2D:
    case MN_OP_AVERAGE_POOL_2D:
      info->stride_h = nd->stride_h;
      info->stride_w = nd->stride_w;
      info->padding = nd->padding == MN_PADDING_SAME ? "SAME" : "VALID";
      if (nd->op == MN_OP_AVERAGE_POOL_2D) {
        info->filter_h = nd->filter_h;
        info->filter_w = nd->filter_w;
      } else {
        const mn_tensor *w = &g->tensors[nd->inputs[1]];
        info->filter_h = w->dims[1];
        info->filter_w = w->dims[2];
      }
      break;
    default:
      break;
  }
  return MN_OK;
}

mn_status
mn_model_get_labels (const mn_model *m, mn_labels **out)
{
  if (!m || !out)
    return MN_ERR_INVALID_ARG;
  *out = NULL;
  if (!m->graph.embedded_labels)
    return MN_ERR_NOT_FOUND;
  return mn_labels_parse (m->graph.embedded_labels, m->graph.embedded_labels_size, out);
}
