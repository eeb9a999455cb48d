/* step_chunks.h: how the executor's threads share a run's steps.
 *
 * Each step is cut into chunks (one a thread for the parallel steps, one
 * for the serial ones).  When the step before is finished, a thread takes
 * its own chunk first (the rows a static split gives it, so it mostly reads
 * what it wrote the step before), then any chunk nobody has taken.
 *
 * Nobody waits for another thread to arrive, only for taken work to be
 * done.  With a barrier, a thread that lost its core (to a decoder, or
 * any busy process) held the others at the next step until it got a core
 * back; here the others take its chunks and go on, and it catches up at
 * the first step with work left.  (One that loses its core in the
 * middle of a chunk still holds the step: with one core busy elsewhere the
 * medians were no better than with the barrier, so Linux evidently leaves
 * such a thread queued where it was, cache-hot.)  A thread that has to
 * wait spins briefly (enough for balanced steps on an idle machine), then
 * sleeps on a futex, and its core goes to other work.  OpenMP's barrier
 * spins about 300k iterations first, and the old barrier's sched_yield ()
 * loop kept the core busy while it waited. */
#ifndef MN_STEP_CHUNKS_H
#define MN_STEP_CHUNKS_H

#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MN_CPU_RELAX() _mm_pause ()
#else
#define MN_CPU_RELAX() ((void) 0)
#endif

#define MN_WAIT_SPINS 4096

/* One step's progress, on its own cache line: the threads write it. */
typedef struct {
  _Alignas (64) atomic_int done;   /* chunks finished */
  atomic_int sleepers;             /* threads asleep until the step is done */
} mn_step_progress;

/* Before a run (by one thread, before the others start): n counters at
 * zero, no sleepers. */
static inline void
mn_step_progress_reset (mn_step_progress *progress, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    atomic_store_explicit (&progress[i].done, 0, memory_order_relaxed);
    atomic_store_explicit (&progress[i].sleepers, 0, memory_order_relaxed);
  }
}

/* Before a run: nothing taken, nothing done.  taken: steps x max_chunks
 * flags. */
static inline void
mn_step_chunks_reset (mn_step_progress *progress, atomic_uchar *taken, int steps, int max_chunks)
{
  mn_step_progress_reset (progress, (size_t) steps);
  for (int i = 0; i < steps * max_chunks; i++)
    atomic_store_explicit (&taken[i], 0, memory_order_relaxed);
}

/* A chunk of a step cut into chunks, own first, then the ones after it;
 * -1 when all are taken.  Relaxed: the data a chunk reads is ordered by
 * the progress counters, not by who took what. */
static inline int
mn_step_chunk_take (atomic_uchar *taken, int chunks, int own)
{
  for (int q = 0; q < chunks; q++) {
    const int j = (own + q) % chunks;
    if (!atomic_load_explicit (&taken[j], memory_order_relaxed)
        && !atomic_exchange_explicit (&taken[j], 1, memory_order_relaxed))
      return j;
  }
  return -1;
}

/* Sleep while *word == value (Linux); elsewhere give up the time slice. */
static inline void
mn_step_sleep (atomic_int *word, int value)
{
#ifdef __linux__
  syscall (SYS_futex, (int *) word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
#else
  (void) word, (void) value;
  sched_yield ();
#endif
}

static inline void
mn_step_wake_all (atomic_int *word)
{
#ifdef __linux__
  syscall (SYS_futex, (int *) word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
  (void) word;
#endif
}

/* After a chunk's writes: publishes them, and the step's last chunk wakes
 * the sleepers.  The sequentially consistent pair (done here, sleepers in
 * mn_step_wait_done ()) means a waiter either sees the count or is seen. */
static inline void
mn_step_chunk_done (mn_step_progress *p, int chunks)
{
  if (atomic_fetch_add (&p->done, 1) + 1 == chunks && atomic_load (&p->sleepers) > 0)
    mn_step_wake_all (&p->done);
}

/* A block chunk's finished rows (done counts rows there): publishes
 * their writes and wakes the threads waiting for them. */
static inline void
mn_step_rows_done (mn_step_progress *p, int rows)
{
  atomic_store (&p->done, rows);
  if (atomic_load (&p->sleepers) > 0)
    mn_step_wake_all (&p->done);
}

/* Until p's count reaches chunks: all of a step's chunks finished, or a
 * block chunk's rows (their writes visible). */
static inline void
mn_step_wait_done (mn_step_progress *p, int chunks)
{
  for (int spin = 0; spin < MN_WAIT_SPINS; spin++) {
    if (atomic_load_explicit (&p->done, memory_order_acquire) >= chunks)
      return;
    MN_CPU_RELAX ();
  }
  for (int seen; (seen = atomic_load (&p->done)) < chunks;) {
    atomic_fetch_add (&p->sleepers, 1);
    if (atomic_load (&p->done) == seen)
      mn_step_sleep (&p->done, seen);   /* returns at once if it changed */
    atomic_fetch_sub (&p->sleepers, 1);
  }
}

#endif /* MN_STEP_CHUNKS_H */
