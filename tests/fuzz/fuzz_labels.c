/* fuzz_labels.c: the labels parser (mn_labels_parse) and the matching of
 * a labels list to a model's class count (mn_labels_match,
 * mn_labels_for_class).  The first two bytes choose the class count. */
#include <string.h>

#include "fuzz.h"
#include "mobilenet.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fz_reader r = { data, size };
  int num_classes = (int) fz_u16 (&r) - 2;   /* -2 .. 65533 */
  mn_labels *l = NULL;
  char msg[128];
  int offset = 0;

  if (mn_labels_parse ((const char *) r.p, r.n, &l) != MN_OK)
    return 0;
  int n = mn_labels_count (l);
  for (int i = -1; i <= n; i++) {
    const char *s = mn_labels_get (l, i);
    if (s)
      (void) strlen (s);
  }
  if (mn_labels_match (l, num_classes, &offset, msg, sizeof msg) == MN_OK) {
    for (int c = -1; c <= num_classes && c < 4096; c++) {
      const char *s = mn_labels_for_class (l, offset, c);
      if (s)
        (void) strlen (s);
    }
  }
  /* A tiny message buffer truncates but never overruns. */
  mn_labels_match (l, num_classes, &offset, msg, 1);
  mn_labels_free (&l);
  return 0;
}
