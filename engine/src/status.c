/* status.c: names for status codes and data types. */
#include "mobilenet.h"

const char *
mn_status_str (mn_status st)
{
  switch (st) {
    case MN_OK: return "success";
    case MN_ERR_INVALID_ARG: return "invalid argument";
    case MN_ERR_IO: return "input/output error";
    case MN_ERR_NOT_TFLITE: return "not a TensorFlow Lite model";
    case MN_ERR_MALFORMED: return "malformed model file";
    case MN_ERR_UNSUPPORTED: return "unsupported model";
    case MN_ERR_NO_MEMORY: return "out of memory";
    case MN_ERR_LABELS: return "labels do not fit the model";
    case MN_ERR_NOT_FOUND: return "not found";
  }
  return "unknown status";
}
