/* test_step_chunks.c: the executor's step sharing (engine/src/step_chunks.h).
 *
 * - Every chunk is taken exactly once, whatever the number of threads and
 *   chunks, and a thread gets its own chunk first when it is free.
 * - A waiter returns only when every chunk is done, and then sees the
 *   chunks' writes, on the spinning path (chunks finishing at once) and on
 *   the sleeping one (chunks finishing after milliseconds).
 * - A long wait sleeps: the waiter's CPU time stays a small part of it.
 *   (A yield loop, the barrier's old way, burns the whole wait.) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "step_chunks.h"
#include "test_util.h"

#define MAX_THREADS 16
#define MAX_CHUNKS 64
/* Rounds of each (threads, chunks) case.  Under ThreadSanitizer a thread's
 * start costs about a millisecond (200 rounds took 78 s on 2 cores, past
 * the 180 s limit when the machine was busy), and it reports a missing
 * release or acquire from any round that runs the threads side by side. */
#if defined(__SANITIZE_THREAD__)
#define ROUNDS 40
#else
#define ROUNDS 200
#endif

/* ---- taking chunks ------------------------------------------------------ */

typedef struct {
  atomic_uchar *taken;
  int chunks, own;
  pthread_barrier_t *start;
  int got[MAX_CHUNKS];    /* how often this thread took each chunk */
} taker;

static void *
take_all (void *arg)
{
  taker *t = arg;
  pthread_barrier_wait (t->start);
  for (int j; (j = mn_step_chunk_take (t->taken, t->chunks, t->own)) >= 0;) {
    t->got[j]++;
    /* a little work, so that the threads overlap and race for chunks */
    for (volatile int w = 0; w < 200; w++)
      ;
  }
  return NULL;
}

static void
test_each_chunk_once (void)
{
  static const int threads[] = { 1, 2, 3, 8, 16 };
  static const int chunks[] = { 1, 2, 5, 16, 64 };
  for (size_t a = 0; a < sizeof threads / sizeof *threads; a++)
    for (size_t b = 0; b < sizeof chunks / sizeof *chunks; b++) {
      const int nt = threads[a], nc = chunks[b];
      int bad = 0;   /* chunks taken other than once, over all rounds */
      for (int round = 0; round < ROUNDS; round++) {
        atomic_uchar taken[MAX_CHUNKS];
        mn_step_progress progress[1];
        mn_step_chunks_reset (progress, taken, 1, nc);
        pthread_barrier_t start;
        pthread_barrier_init (&start, NULL, (unsigned) nt + 1);
        taker t[MAX_THREADS];
        pthread_t id[MAX_THREADS];
        for (int i = 0; i < nt; i++) {
          t[i] = (taker) { taken, nc, i % nc, &start, { 0 } };
          pthread_create (&id[i], NULL, take_all, &t[i]);
        }
        pthread_barrier_wait (&start);
        for (int i = 0; i < nt; i++)
          pthread_join (id[i], NULL);
        pthread_barrier_destroy (&start);
        for (int j = 0; j < nc; j++) {
          int n = 0;
          for (int i = 0; i < nt; i++)
            n += t[i].got[j];
          bad += n != 1;
        }
      }
      CHECK (bad == 0, "%d threads, %d chunks, %d rounds: every chunk taken once (%d not)", nt,
             nc, ROUNDS, bad);
    }
}

static void
test_own_chunk_first (void)
{
  atomic_uchar taken[8];
  mn_step_progress progress[1];
  mn_step_chunks_reset (progress, taken, 1, 8);
  CHECK (mn_step_chunk_take (taken, 8, 5) == 5, "a free own chunk (5) is taken first");
  CHECK (mn_step_chunk_take (taken, 8, 5) == 6, "after its own, the next one (6)");
  CHECK (mn_step_chunk_take (taken, 8, 2) == 2, "another thread's own chunk (2)");
  int n = 0;
  while (mn_step_chunk_take (taken, 8, 7) >= 0)
    n++;
  CHECK (n == 5, "5 chunks left to take (%d)", n);
  CHECK (mn_step_chunk_take (taken, 8, 0) == -1, "none once all were taken");
}

/* ---- waiting for a step -------------------------------------------------- */

typedef struct {
  mn_step_progress *progress;
  int chunks, index;
  int delay_us;
  int *written;
} finisher;

static void
sleep_us (int us)
{
  struct timespec ts = { us / 1000000, (long) (us % 1000000) * 1000 };
  nanosleep (&ts, NULL);
}

static void *
finish_chunk (void *arg)
{
  finisher *f = arg;
  sleep_us (f->delay_us);
  f->written[f->index] = 1000 + f->index;   /* plain write: the chunk's output */
  mn_step_chunk_done (f->progress, f->chunks);
  return NULL;
}

static double
seconds (clockid_t clock)
{
  struct timespec ts;
  clock_gettime (clock, &ts);
  return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A wait for chunks finishers, each done after a random delay below
 * max_delay_us microseconds (none when 0): true when the waiter returned
 * with every chunk done and its write visible. */
static bool
wait_for_finishers (int chunks, int max_delay_us, unsigned *seed)
{
  mn_step_progress progress[1];
  atomic_uchar taken[MAX_CHUNKS];
  int written[MAX_CHUNKS] = { 0 };
  finisher f[MAX_CHUNKS];
  pthread_t id[MAX_CHUNKS];
  mn_step_chunks_reset (progress, taken, 1, chunks);
  for (int i = 0; i < chunks; i++) {
    const int delay = max_delay_us ? (int) (rand_r (seed) % (unsigned) max_delay_us) : 0;
    f[i] = (finisher) { progress, chunks, i, delay, written };
    pthread_create (&id[i], NULL, finish_chunk, &f[i]);
  }
  mn_step_wait_done (progress, chunks);
  bool good = atomic_load (&progress->done) == chunks;
  for (int i = 0; i < chunks; i++)
    good = good && written[i] == 1000 + i;
  for (int i = 0; i < chunks; i++)
    pthread_join (id[i], NULL);
  return good;
}

static void
test_wait_sees_every_chunk (void)
{
  unsigned seed = 12345;
  static const int chunks[] = { 1, 2, 3, 7 };
  for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
    int spun = 0, slept = 0;
    for (int round = 0; round < 40; round++) {
      /* no delay: mostly the spinning path; up to 3 ms: the sleeping one */
      spun += !wait_for_finishers (chunks[c], 0, &seed);
      slept += !wait_for_finishers (chunks[c], 3000, &seed);
    }
    CHECK (spun == 0 && slept == 0,
           "%d chunks, 40 waits each way: every chunk done and its write seen on return "
           "(%d wrong at once, %d after delays)", chunks[c], spun, slept);
  }
}

static void
test_long_wait_sleeps (void)
{
  mn_step_progress progress[1];
  atomic_uchar taken[1];
  int written[1] = { 0 };
  mn_step_chunks_reset (progress, taken, 1, 1);
  finisher f = { progress, 1, 0, 200000, written };
  pthread_t id;
  pthread_create (&id, NULL, finish_chunk, &f);
  const double wall0 = seconds (CLOCK_MONOTONIC), cpu0 = seconds (CLOCK_THREAD_CPUTIME_ID);
  mn_step_wait_done (progress, 1);
  const double cpu = seconds (CLOCK_THREAD_CPUTIME_ID) - cpu0;
  const double wall = seconds (CLOCK_MONOTONIC) - wall0;
  pthread_join (id, NULL);
  CHECK (wall >= 0.19 && written[0] == 1000,
         "a 0.2 s wait returns once the chunk is done (after %.3f s)", wall);
  /* the brief spin is well under a millisecond; a busy wait would be 0.2 s */
  CHECK (cpu < 0.05, "a %.3f s wait sleeps: %.3f s of CPU (under 0.05)", wall, cpu);
}

/* A block chunk publishing its rows one by one, with delays. */
typedef struct {
  mn_step_progress *rows;
  int count, delay_us;
  int *written;
} row_writer;

static void *
write_rows (void *arg)
{
  row_writer *w = arg;
  for (int r = 0; r < w->count; r++) {
    sleep_us (w->delay_us);
    w->written[r] = 2000 + r;   /* plain write: the row's output */
    mn_step_rows_done (w->rows, r + 1);
  }
  return NULL;
}

/* A wait for n rows returns once row n - 1 is published and sees every
 * row before it written; spinning (no delays) or sleeping (2 ms). */
static void
test_wait_for_rows (void)
{
  enum { ROWS = 12 };
  static const int delays[] = { 0, 2000 };
  for (size_t d = 0; d < sizeof delays / sizeof *delays; d++) {
    int wrong = 0;
    for (int need = 1; need <= ROWS; need++) {
      mn_step_progress rows[1];
      int written[ROWS] = { 0 };
      mn_step_progress_reset (rows, 1);
      row_writer w = { rows, ROWS, delays[d], written };
      pthread_t id;
      pthread_create (&id, NULL, write_rows, &w);
      mn_step_wait_done (rows, need);
      const int seen = atomic_load (&rows->done);
      bool good = seen >= need;
      for (int r = 0; r < need; r++)
        good = good && written[r] == 2000 + r;
      pthread_join (id, NULL);
      wrong += !good;
    }
    CHECK (wrong == 0,
           "rows published one by one %d us apart: each of %d waits returns once its rows are "
           "done and sees them written (%d wrong)", delays[d], ROWS, wrong);
  }
}

int
main (void)
{
  test_each_chunk_once ();
  test_own_chunk_first ();
  test_wait_sees_every_chunk ();
  test_long_wait_sleeps ();
  test_wait_for_rows ();
  return tu_finish ();
}
