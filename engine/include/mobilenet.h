/* mobilenet.h: the engine's only public header.
 *
 * A small C11 library that loads MobileNet V1/V2 TensorFlow Lite models
 * (float32, uint8 per-tensor, int8 per-channel) and classifies RGB images.
 * No GLib, no GStreamer: libc, libm and OpenMP only.
 *
 * Phases (as in XNNPACK): mn_model_load() parses, validates and packs the
 * weights once; mn_session_create() plans the activation arena once;
 * mn_session_run() never allocates.  A model is immutable, reference counted
 * and shareable between threads; a session has one caller at a time.
 */
#ifndef MOBILENET_H
#define MOBILENET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  MN_OK = 0,
  MN_ERR_INVALID_ARG,   /* a NULL pointer, a bad size or option */
  MN_ERR_IO,            /* the file cannot be opened, read or mapped */
  MN_ERR_NOT_TFLITE,    /* not a TensorFlow Lite flatbuffer */
  MN_ERR_MALFORMED,     /* truncated or internally inconsistent file */
  MN_ERR_UNSUPPORTED,   /* valid TFLite, but an op, type or shape we do not run */
  MN_ERR_NO_MEMORY,
  MN_ERR_LABELS,        /* labels missing, unreadable or of the wrong count */
  MN_ERR_NOT_FOUND,     /* an optional item (e.g. embedded labels) is absent */
} mn_status;

const char *mn_status_str (mn_status st);

typedef enum {
  MN_DTYPE_FLOAT32 = 0,
  MN_DTYPE_FLOAT16,
  MN_DTYPE_INT32,
  MN_DTYPE_UINT8,
  MN_DTYPE_INT8,
  MN_DTYPE_INT64,
} mn_dtype;

const char *mn_dtype_str (mn_dtype t);

typedef enum {
  MN_LOG_ERROR = 0,
  MN_LOG_WARNING,
  MN_LOG_INFO,
  MN_LOG_DEBUG,
} mn_log_level;

typedef void (*mn_log_fn) (void *user_data, mn_log_level level, const char *message);

/* CPU feature bits for mn_config.cpu_mask. */
#define MN_CPU_AVX2 (1u << 0)   /* AVX2 + FMA */
#define MN_CPU_AVX512 (1u << 1) /* AVX-512 F, DQ, BW, VL and VNNI (with AVX2) */
#define MN_CPU_AMX  (1u << 2)   /* AMX-TILE, AMX-INT8 (with AVX-512 and VBMI) */
#define MN_CPU_ALL  (~0u)

typedef struct {
  int threads;            /* 0 = all cores */
  mn_log_fn log;          /* NULL = errors to stderr */
  void *log_user_data;
  unsigned cpu_mask;      /* which SIMD levels may be used; the env var
                             MOBILENET_FORCE_C=1 forces the portable path */
  float input_mean;       /* float models: (x - mean) / std; NaN = from the */
  float input_std;        /* model's metadata, else 127.5 / 127.5 */
  int fuse_blocks;        /* 1 (default): run the big inverted residual
                             blocks band by band, in cache; 0: layer by
                             layer.  The results are the same. */
} mn_config;

void mn_config_default (mn_config *c);

typedef struct mn_model mn_model;
typedef struct mn_session mn_session;

mn_status mn_model_load (const char *path, const mn_config *c, mn_model **out);
mn_status mn_model_load_memory (const void *data, size_t size, const mn_config *c,
                                mn_model **out);
mn_model *mn_model_ref (mn_model *m);
void mn_model_unref (mn_model **m);        /* sets *m = NULL */

typedef struct {
  const char *name;       /* points into the model; valid while it lives */
  mn_dtype type;
  int rank;
  int dims[4];
  int num_scales;         /* 0 = not quantised, 1 = per tensor, > 1 = per channel */
  float scale;            /* first (or only) scale */
  int32_t zero_point;
  int quantized_dimension;
} mn_tensor_info;

typedef struct {
  const char *op_name;    /* "CONV_2D", ... */
  int index;              /* operator index in the file */
  int num_inputs;
  mn_tensor_info inputs[3];
  mn_tensor_info output;
  uint64_t macs;          /* multiply-accumulates */
  uint64_t params;        /* weights and biases */
  int stride_h, stride_w; /* conv-like ops; 0 otherwise */
  int filter_h, filter_w;
  const char *padding;    /* "SAME", "VALID" or "" */
  const char *activation; /* "NONE", "RELU", "RELU6", "RELU_N1_TO_1" */
} mn_layer_info;

typedef struct {
  int input_width, input_height, input_channels;
  mn_dtype input_type;
  int num_classes;        /* elements of the output tensor */
  mn_dtype output_type;
  int num_layers;
  uint64_t total_macs;
  uint64_t total_params;
  int has_metadata_normalization;
  float norm_mean, norm_std;   /* from metadata, else 127.5 / 127.5 */
  int has_embedded_labels;
} mn_model_info;

void mn_model_get_info (const mn_model *m, mn_model_info *info);
mn_status mn_model_get_layer (const mn_model *m, int i, mn_layer_info *info);

mn_status mn_session_create (mn_model *m, const mn_config *c, mn_session **out);
void mn_session_destroy (mn_session **s);   /* sets *s = NULL */

typedef struct {
  const float *scores;    /* dequantised output, num_classes values */
  const void *raw;        /* the output tensor as the model produced it */
  mn_dtype raw_type;
  int num_classes;
} mn_result;

/* Classify one RGB (3 bytes a pixel) image of exactly the model's input size.
 * stride is bytes per row (>= width * 3).  The image is only read (in
 * place, for 8-bit models that take its bytes unchanged, when the rows are
 * packed), and must not change until the call returns.  The result points
 * into the session and stays valid until the next run or destroy. */
mn_status mn_session_run (mn_session *s, const uint8_t *rgb, size_t stride, mn_result *out);

typedef struct {
  int class_id;
  float score;
} mn_class_score;

/* The k best classes, highest score first; ties go to the lower class id.
 * Returns how many were written (min(k, num_classes)). */
int mn_result_top_k (const mn_result *r, int k, mn_class_score *out);

/* Labels: one per line, UTF-8, CRLF tolerated, trailing newline optional. */
typedef struct mn_labels mn_labels;

mn_status mn_labels_load (const char *path, mn_labels **out);
mn_status mn_labels_parse (const char *data, size_t size, mn_labels **out);
mn_status mn_model_get_labels (const mn_model *m, mn_labels **out); /* embedded; MN_ERR_NOT_FOUND if none */
int mn_labels_count (const mn_labels *l);
const char *mn_labels_get (const mn_labels *l, int i);
void mn_labels_free (mn_labels **l);

/* Match a labels list to a model's class count.  *offset is what to add to
 * a class id to get the label index: 0 when the counts are equal, -1 when
 * the model has an extra leading "background" class the file lacks (class 0
 * then reads "background"), +1 when the file has a leading "background" the
 * model lacks.  Anything else is MN_ERR_LABELS with a message. */
mn_status mn_labels_match (const mn_labels *l, int num_classes, int *offset,
                           char *message, size_t message_size);

/* The label for a class under a matched offset; "background" for class 0
 * when offset is -1; NULL when out of range. */
const char *mn_labels_for_class (const mn_labels *l, int offset, int class_id);

#ifdef __cplusplus
}
#endif
#endif /* MOBILENET_H */
