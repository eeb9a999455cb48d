/* test_util.h: the few helpers every test program shares.
 *
 * Tests are plain C programs: each check prints one line, the program ends
 * with "N passed, N failed" and exits 1 if anything failed.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern int tu_passed;
extern int tu_failed;

/* Records one check; prints "ok   - what" or "FAIL - what (file:line)". */
bool tu_check (bool cond, const char *file, int line, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

#define CHECK(cond, ...) tu_check ((cond), __FILE__, __LINE__, __VA_ARGS__)

/* Prints the summary line; returns the exit status (0 when all passed). */
int tu_finish (void);

/* The shared data directory: $MOBILENET_SHARED_DIR, else the path meson
 * configured (the macro MOBILENET_SHARED_DIR_DEFAULT), else "../shared".
 * When the directory (or the file it is asked about) is missing this
 * counts a failure with a clear message; with $CI set it says so loudly. */
const char *tu_shared_dir (void);
/* shared_dir/rel joined into a static buffer (overwritten by the next call). */
const char *tu_shared_path (const char *rel);
/* Reads a whole file (malloc'd; free() it).  NULL and a message on error. */
uint8_t *tu_read_file (const char *path, size_t *size);
/* Deterministic xorshift32 (13, 17, 5): the next value of *state, which
 * must not be 0. */
uint32_t tu_xorshift32 (uint32_t *state);

/* Reads shared_dir/rel, counting a failure that explains what is missing. */
uint8_t *tu_read_shared (const char *rel, size_t *size);

#endif /* TEST_UTIL_H */
