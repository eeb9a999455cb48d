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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_model_input.h"
#include "model.h"

/* The image path, when the input is an RGB image: rows packed (8-bit
 * models may read them in place) and, when padded, also rows with a byte
 * more (copied into the arena), each in a buffer of exactly its size. */
static void
run_images (mn_session *s, const mn_tensor *t, size_t bytes, bool padded)
{
  if (t->rank != 4 || t->dims[0] != 1 || t->dims[3] != 3
      || (size_t) t->dims[1] * t->dims[2] * 3 > bytes * 4 + 3)
    return;
  for (size_t pad = 0; pad <= (padded ? 1 : 0); pad++) {
    size_t stride = (size_t) t->dims[2] * 3 + pad;
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

#define FZ_MAX_THREADED_MACS 2000000

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

  /* Small models at 2 threads too (packed images only): blocks then start
   * before the block before them ends (session.c's execute ()) and the
   * arena keeps tensors longer.  Not the big ones: in this build (clang's
   * OpenMP, sanitizers, coverage) a 2-thread run of V1 0.25/128 took about
   * 5 s against 0.3 at 1 thread, with the engine of before this harness
   * ran 2 threads too, and cut a 15 s smoke from 5,500 runs to 160. */
  const int max_threads = info.total_macs <= FZ_MAX_THREADED_MACS ? 2 : 1;
  for (int threads = 1; threads <= max_threads && !fz_input_too_large (m); threads++) {
    mn_session *s = NULL;
    cfg.threads = threads;
    if (mn_session_create (m, &cfg, &s) != MN_OK)
      break;
    size_t bytes;
    uint8_t *in = fz_model_input (m, &bytes);
    if (in) {
      mn_result res;
      if (threads == 1 && mn_session_run_tensor (s, in, bytes, &res) == MN_OK) {
        mn_class_score top[5];
        mn_result_top_k (&res, 5, top);
      }
      run_images (s, &m->graph.tensors[m->graph.input], bytes, threads == 1);
      free (in);
    }
    mn_session_destroy (&s);
  }
  mn_model_unref (&m);
  return 0;
}
