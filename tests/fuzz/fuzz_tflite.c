/* fuzz_tflite.c: the TFLite reader, validator and planner
 * (mn_model_load_memory); a model that loads must also create a session
 * and run one inference on a fixed input without touching memory it does
 * not own.
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

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  mn_config cfg;
  mn_model *m = NULL;
  mn_session *s = NULL;

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

  if (!fz_input_too_large (m) && mn_session_create (m, &cfg, &s) == MN_OK) {
    const mn_tensor *t = &m->graph.tensors[m->graph.input];
    size_t bytes;
    uint8_t *in = fz_model_input (m, &bytes);
    mn_result res;
    if (in) {
      if (mn_session_run_tensor (s, in, bytes, &res) == MN_OK) {
        mn_class_score top[5];
        mn_result_top_k (&res, 5, top);
      }
      /* The image path too, when the input is an RGB image. */
      if (t->rank == 4 && t->dims[0] == 1 && t->dims[3] == 3
          && (size_t) t->dims[1] * t->dims[2] * 3 <= bytes * 4 + 3) {
        size_t stride = (size_t) t->dims[2] * 3 + 1;
        size_t rgb_size = stride * (size_t) t->dims[1];
        uint8_t *rgb = malloc (rgb_size ? rgb_size : 1);
        if (rgb) {
          fz_fill_bytes (rgb, rgb_size);
          mn_session_run (s, rgb, stride, &res);
          free (rgb);
        }
      }
      free (in);
    }
    mn_session_destroy (&s);
  }
  mn_model_unref (&m);
  return 0;
}
