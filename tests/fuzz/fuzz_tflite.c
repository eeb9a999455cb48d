/* fuzz_tflite.c: the TFLite reader, validator and planner
 * (mn_model_load_memory); a model that loads must also create sessions
 * (1 and 2 threads) and run inferences on a fixed input without touching
 * memory it does not own.
 *
 * Seeds: tests/fuzz/corpus/tflite (small generated models, see
 * gen_seeds.c) plus the real models in the shared folder, passed by path:
 *   fuzz-tflite corpus-dir tests/fuzz/corpus/tflite \
 *       $MOBILENET_SHARED_DIR/models/mobilenet_v1_0.25_128_quant.tflite
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_model_input.h"
#include "model.h"

/* The image path, when the input is an RGB image: rows padded (copied
 * into the arena) and packed (8-bit models may read them in place), each
 * in a buffer of exactly its size. */
static void
run_images (mn_session *s, const mn_tensor *t, size_t bytes)
{
  if (t->rank != 4 || t->dims[0] != 1 || t->dims[3] != 3
      || (size_t) t->dims[1] * t->dims[2] * 3 > bytes * 4 + 3)
    return;
  for (size_t pad = 0; pad < 2; pad++) {
    size_t stride = (size_t) t->dims[2] * 3 + 1 - pad;
    size_t rgb_size = stride * (size_t) t->dims[1];
    uint8_t *rgb = malloc (rgb_size ? rgb_size : 1);
    if (rgb) {
      mn_result res;
      fz_fill_bytes (rgb, rgb_size);
      mn_session_run (s, rgb, stride, &res);
      free (rgb);
    }
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  mn_config cfg;
  mn_model *m = NULL;

  mn_config_default (&cfg);
  cfg.threads = 1;
  cfg.log = fz_quiet_log;
  if (mn_model_load_memory (data, size, &cfg, &m) != MN_OK)
    return 0;

  mn_model_info info;
  mn_model_get_info (m, &info);
  for (int i = 0; i < info.num_layers; i++) {
    mn_layer_info li;
    mn_model_get_layer (m, i, &li);
  }
  mn_labels *labels = NULL;
  if (mn_model_get_labels (m, &labels) == MN_OK) {
    int offset;
    mn_labels_match (labels, info.num_classes, &offset, NULL, 0);
    mn_labels_free (&labels);
  }

  /* 2 threads too: blocks then start before the block before them ends
   * (session.c's execute ()) and the arena keeps tensors longer */
  for (int threads = 1; threads <= 2 && !fz_input_too_large (m); threads++) {
    mn_session *s = NULL;
    cfg.threads = threads;
    if (mn_session_create (m, &cfg, &s) != MN_OK)
      break;
    size_t bytes;
    uint8_t *in = fz_model_input (m, &bytes);
    if (in) {
      mn_result res;
      if (mn_session_run_tensor (s, in, bytes, &res) == MN_OK) {
        mn_class_score top[5];
        mn_result_top_k (&res, 5, top);
      }
      run_images (s, &m->graph.tensors[m->graph.input], bytes);
      free (in);
    }
    mn_session_destroy (&s);
  }
  mn_model_unref (&m);
  return 0;
}
