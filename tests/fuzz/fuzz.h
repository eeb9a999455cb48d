/* fuzz.h: what every fuzz target and the replay driver share.
 *
 * A target is one LLVMFuzzerTestOneInput (and an optional
 * LLVMFuzzerInitialize).  Under -Dfuzzing=true it is linked with clang's
 * libFuzzer; in every build it is also linked with replay_main.c, a plain
 * main() that runs each file of the regression corpus through it, so
 * crashes once found stay fixed (meson test --suite fuzz-replay).
 */
#ifndef MN_FUZZ_H
#define MN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Reading structured choices from the front of an input: each call takes
 * bytes while there are some and returns 0 after that. */
typedef struct {
  const uint8_t *p;
  size_t n;
} fz_reader;

static inline uint32_t
fz_u8 (fz_reader *r)
{
  if (r->n == 0)
    return 0;
  r->n--;
  return *r->p++;
}

static inline uint32_t
fz_u16 (fz_reader *r)
{
  uint32_t v = fz_u8 (r);
  return v | (fz_u8 (r) << 8);
}

/* The shared data folder: $MOBILENET_SHARED_DIR, else the configured one. */
static inline const char *
fz_shared_dir (void)
{
  const char *env = getenv ("MOBILENET_SHARED_DIR");
#ifdef MOBILENET_SHARED_DIR_DEFAULT
  return env && *env ? env : MOBILENET_SHARED_DIR_DEFAULT;
#else
  return env && *env ? env : "../shared";
#endif
}

#endif /* MN_FUZZ_H */
