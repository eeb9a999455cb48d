/* unit_check.h: the CHECK of elements_util.h for the plain C + GLib unit
 * tests of the element's modules (no GStreamer). */
#ifndef UNIT_CHECK_H
#define UNIT_CHECK_H

#include <glib.h>
#include <stdio.h>

static int uc_passed, uc_failed;

#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    gchar *uc_what_ = g_strdup_printf (__VA_ARGS__);                      \
    if (cond) {                                                           \
      uc_passed++;                                                        \
      printf ("ok   %s\n", uc_what_);                                     \
    } else {                                                              \
      uc_failed++;                                                        \
      printf ("FAIL %s (%s:%d)\n", uc_what_, __FILE__, __LINE__);         \
    }                                                                     \
    fflush (stdout);                                                      \
    g_free (uc_what_);                                                    \
  } while (0)

static inline int
uc_finish (void)
{
  printf ("%d passed, %d failed\n", uc_passed, uc_failed);
  return uc_failed ? 1 : 0;
}

#endif
