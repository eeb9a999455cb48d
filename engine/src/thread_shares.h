/* thread_shares.h: each thread's share of a parallel step, fitted to how
 * fast the threads have been running.
 *
 * On a shared machine one core can run slower than the others for seconds
 * at a time (another tenant on its SMT sibling, interrupts).  On this
 * 2-core VM, V2 uint8 at 2 threads spent half of a minute's runs at 4.2 ms
 * instead of 3.1, thread 0 waiting 0.6-1 ms a run for thread 1 at the end
 * of the steps: with equal shares a step ends when the slow thread's half
 * does.  So the executor times each thread's own chunk of every parallel
 * step; after a run, each step where every thread ran its own chunk gives
 * each thread's speed (its fraction of the step over its seconds) relative
 * to the threads' mean, averaged over those steps weighted by their cost,
 * and the next run's shares move halfway toward shares proportional to
 * the speeds.  Shares are bounds in 1/65536ths of a step, so any total
 * splits alike.  Results do not depend on the split: each output element
 * is computed by the same code whichever thread computes it. */
#ifndef MN_THREAD_SHARES_H
#define MN_THREAD_SHARES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MN_SHARE_ONE 65536

/* One chunk's timing: seconds 0 when another thread ran it. */
typedef struct {
  float seconds;
  float fraction;   /* of its step's work */
} mn_share_record;

typedef struct {
  int threads;
  int steps;                 /* timed steps (the executor: plan steps + the input) */
  uint32_t *cut;             /* threads + 1 ascending bounds: 0 ... MN_SHARE_ONE */
  mn_share_record *records;  /* thread-major: records[t * stride + step] */
  size_t stride;             /* records a thread, rounded up to a cache line */
  double *scratch;           /* threads: mn_thread_shares_update ()'s */
} mn_thread_shares;

/* Equal shares; false when out of memory. */
bool mn_thread_shares_init (mn_thread_shares *sh, int threads, int steps);
void mn_thread_shares_clear (mn_thread_shares *sh);

/* Part `part` of `parts` of total items: by the shares when parts is the
 * thread count, else equal. */
void mn_thread_shares_split (const mn_thread_shares *sh, size_t total, int parts, int part,
                             size_t *begin, size_t *end);

/* Before a run: no chunk timed yet. */
void mn_thread_shares_start (mn_thread_shares *sh);

/* Chunk `chunk` of step `step` ran in seconds over fraction of the step;
 * own: the chunk's thread ran it (chunk index == thread index). */
static inline void
mn_thread_shares_record (mn_thread_shares *sh, int chunk, int step, bool own, double seconds,
                         double fraction)
{
  if (chunk < sh->threads && step < sh->steps) {
    mn_share_record *r = &sh->records[(size_t) chunk * sh->stride + (size_t) step];
    r->seconds = own ? (float) seconds : 0.f;
    r->fraction = (float) fraction;
  }
}

/* After a run (one thread): the shares for the next. */
void mn_thread_shares_update (mn_thread_shares *sh);

#endif /* MN_THREAD_SHARES_H */
