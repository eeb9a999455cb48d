/* test_thread_shares.c: the threads' shares of a parallel step
 * (engine/src/thread_shares.h).
 *
 * - A split covers [0, total) exactly, in order, for any shares, totals
 *   and part counts (the executor would skip or repeat work otherwise).
 * - Equal speeds keep equal shares; a thread twice as slow converges to a
 *   third of each step, and back to half once it recovers.
 * - Steps where a thread ran another's chunk, or timed nothing, say
 *   nothing; a very slow thread keeps its floor; one thread never moves. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "test_util.h"
#include "thread_shares.h"

#define STEPS 12

static double
share_of (const mn_thread_shares *sh, int t)
{
  return (double) (sh->cut[t + 1] - sh->cut[t]) / MN_SHARE_ONE;
}

static bool
cuts_valid (const mn_thread_shares *sh)
{
  bool ok = sh->cut[0] == 0 && sh->cut[sh->threads] == MN_SHARE_ONE;
  for (int t = 0; t < sh->threads; t++)
    ok = ok && sh->cut[t] <= sh->cut[t + 1];
  return ok;
}

/* Every split of total into parts tiles [0, total) in part order. */
static bool
split_tiles (const mn_thread_shares *sh, size_t total, int parts)
{
  size_t next = 0;
  for (int p = 0; p < parts; p++) {
    size_t b, e;
    mn_thread_shares_split (sh, total, parts, p, &b, &e);
    if (b != next || e < b)
      return false;
    next = e;
  }
  return next == total;
}

/* runs runs in which thread t takes slowness[t] seconds per unit of work
 * on every step, each running its own chunk. */
static void
run_many (mn_thread_shares *sh, const double *slowness, int runs)
{
  for (int r = 0; r < runs; r++) {
    mn_thread_shares_start (sh);
    for (int i = 0; i < STEPS; i++)
      for (int t = 0; t < sh->threads; t++) {
        const double fraction = share_of (sh, t);
        mn_thread_shares_record (sh, t, i, true, fraction * slowness[t] * (1 + i) * 1e-5,
                                 fraction);
      }
    mn_thread_shares_update (sh);
  }
}

/* Thread 1's share after one run from equal shares of 2 threads, 2
 * steps, each thread doing half of each step in seconds[step * 2 + t]. */
static double
share_after_two_steps (const double seconds[4])
{
  mn_thread_shares sh;
  if (!mn_thread_shares_init (&sh, 2, 2))
    return -1;
  mn_thread_shares_start (&sh);
  for (int i = 0; i < 4; i++)
    mn_thread_shares_record (&sh, i % 2, i / 2, true, seconds[i], 0.5);
  mn_thread_shares_update (&sh);
  const double share = share_of (&sh, 1);
  mn_thread_shares_clear (&sh);
  return share;
}

static void
test_splits (void)
{
  const size_t totals[] = { 0, 1, 2, 3, 7, 49, 112, 160, 12544, 1003520 };
  for (int threads = 1; threads <= 8; threads++) {
    mn_thread_shares sh;
    if (!CHECK (mn_thread_shares_init (&sh, threads, STEPS), "init %d threads", threads))
      continue;
    CHECK (cuts_valid (&sh), "%d threads: initial cuts", threads);
    for (int t = 0; t < threads; t++)
      CHECK (fabs (share_of (&sh, t) - 1.0 / threads) <= 1.0 / MN_SHARE_ONE,
             "%d threads: thread %d starts with an equal share", threads, t);
    srand (7u + (unsigned) threads);
    for (int round = 0; round < 50; round++) {
      /* random ascending cuts, some parts empty */
      for (int t = 1; t < threads; t++)
        sh.cut[t] = (uint32_t) (rand () % (MN_SHARE_ONE + 1));
      for (int a = 1; a < threads; a++)
        for (int b = a; b > 1 && sh.cut[b] < sh.cut[b - 1]; b--) {
          uint32_t x = sh.cut[b];
          sh.cut[b] = sh.cut[b - 1];
          sh.cut[b - 1] = x;
        }
      for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) {
        CHECK (split_tiles (&sh, totals[i], threads), "%d threads, round %d: %zu items by shares",
               threads, round, totals[i]);
        if (threads > 1)
          CHECK (split_tiles (&sh, totals[i], threads - 1),
                 "%d threads, round %d: %zu items in %d equal parts", threads, round, totals[i],
                 threads - 1);
      }
    }
    /* the nearest item: a few rows go to the faster thread */
    if (threads == 2) {
      size_t b, e;
      sh.cut[1] = (uint32_t) (0.55 * MN_SHARE_ONE);
      mn_thread_shares_split (&sh, 7, 2, 0, &b, &e);
      CHECK (b == 0 && e == 4, "7 rows at 0.55 / 0.45: thread 0 takes [0, 4), got [%zu, %zu)", b,
             e);
      sh.cut[1] = MN_SHARE_ONE / 2;
      mn_thread_shares_split (&sh, 7, 2, 0, &b, &e);
      CHECK (e == 4, "7 rows at equal shares: 4 + 3 as the equal split, got %zu", e);
    }
    /* fewer parts than threads (OpenMP gave fewer): equal, as before */
    if (threads > 2) {
      size_t b, e;
      mn_thread_shares_split (&sh, 10, 2, 1, &b, &e);
      CHECK (b == 5 && e == 10, "%d threads, 2 parts: 10 items split 5 + 5, got [%zu, %zu)",
             threads, b, e);
    }
    mn_thread_shares_clear (&sh);
  }
}

static void
test_convergence (void)
{
  mn_thread_shares sh;
  if (!CHECK (mn_thread_shares_init (&sh, 2, STEPS), "init"))
    return;
  const double equal[2] = { 1, 1 }, slow1[2] = { 1, 2 };
  run_many (&sh, equal, 20);
  CHECK (fabs (share_of (&sh, 0) - 0.5) <= 2.0 / MN_SHARE_ONE,
         "equal speeds keep equal shares: %.5f", share_of (&sh, 0));
  run_many (&sh, slow1, 1);
  /* halfway from 1/2 to 2/3 */
  CHECK (fabs (share_of (&sh, 0) - (0.5 + 2.0 / 3) / 2) < 1e-4,
         "one run with thread 1 twice as slow: thread 0's share %.5f, want %.5f",
         share_of (&sh, 0), (0.5 + 2.0 / 3) / 2);
  run_many (&sh, slow1, 30);
  CHECK (fabs (share_of (&sh, 1) - 1.0 / 3) < 1e-3, "thread 1 twice as slow gets a third: %.5f",
         share_of (&sh, 1));
  run_many (&sh, equal, 30);
  CHECK (fabs (share_of (&sh, 1) - 0.5) < 1e-3, "and half again once it recovers: %.5f",
         share_of (&sh, 1));
  CHECK (cuts_valid (&sh), "cuts stay ordered");
  mn_thread_shares_clear (&sh);

  /* four threads, one 3x slower: 1/10 ... the others 3/10 */
  if (!CHECK (mn_thread_shares_init (&sh, 4, STEPS), "init 4"))
    return;
  const double slow2[4] = { 1, 1, 3, 1 };
  run_many (&sh, slow2, 40);
  CHECK (fabs (share_of (&sh, 2) - 0.1) < 1e-3 && fabs (share_of (&sh, 0) - 0.3) < 1e-3,
         "4 threads, thread 2 three times as slow: shares %.4f %.4f %.4f %.4f",
         share_of (&sh, 0), share_of (&sh, 1), share_of (&sh, 2), share_of (&sh, 3));
  CHECK (cuts_valid (&sh), "4 threads: cuts stay ordered");
  mn_thread_shares_clear (&sh);
}

static void
test_ignored_and_bounded (void)
{
  mn_thread_shares sh;
  if (!CHECK (mn_thread_shares_init (&sh, 2, STEPS), "init"))
    return;
  /* thread 1 "slow" only in steps where a chunk was run by the other
   * thread, or where a chunk did nothing: no change */
  mn_thread_shares_start (&sh);
  for (int i = 0; i < STEPS; i++) {
    mn_thread_shares_record (&sh, 0, i, true, 1e-4, 0.5);
    if (i % 2)
      mn_thread_shares_record (&sh, 1, i, false, 9e-4, 0.5);   /* stolen */
    else
      mn_thread_shares_record (&sh, 1, i, true, 9e-4, 0.0);    /* empty */
  }
  /* out of range records are dropped, not written */
  mn_thread_shares_record (&sh, 2, 0, true, 1.0, 1.0);
  mn_thread_shares_record (&sh, 0, STEPS, true, 1.0, 1.0);
  mn_thread_shares_update (&sh);
  CHECK (sh.cut[1] == MN_SHARE_ONE / 2, "untimed steps move nothing: cut %u", sh.cut[1]);

  /* a thread 100x slower: each step's verdict is clamped, and the share
   * stops at the floor (a quarter of an equal share) */
  const double crawl[2] = { 1, 100 };
  run_many (&sh, crawl, 40);
  CHECK (share_of (&sh, 1) >= 0.125 - 1.0 / MN_SHARE_ONE && share_of (&sh, 1) < 0.13,
         "a crawling thread keeps its floor: %.5f", share_of (&sh, 1));
  const double crawl0[2] = { 100, 1 };
  run_many (&sh, crawl0, 40);
  CHECK (share_of (&sh, 0) >= 0.125 - 1.0 / MN_SHARE_ONE && share_of (&sh, 0) < 0.13,
         "so does thread 0: %.5f", share_of (&sh, 0));
  mn_thread_shares_clear (&sh);

  /* one step of two (equal costs) with thread 1 preempted, 100x slower:
   * that step's verdict counts as 4x slower, not 100x, so the target share
   * is (1 + 1/4) / (1 + 1/4 + 1 + 1.98) and the next run's halfway to it */
  const double mean = (1 + 0.01) / 2, clamped = (0.25 + 1) / (1 / mean + 0.25 + 2);
  const double preempted[4] = { 1e-4, 1e-2, 1e-4, 1e-4 };
  CHECK (fabs (share_after_two_steps (preempted) - (0.5 + clamped) / 2) < 1e-4,
         "one preempted step is clamped: share %.5f, want %.5f", share_after_two_steps (preempted),
         (0.5 + clamped) / 2);
  /* steps count by their cost: thread 1 twice as slow on a step ten times
   * the other's, equal on the other: speeds (2/3 10 + 1) / 11 and
   * (4/3 10 + 1) / 11 of the mean */
  const double weighted = (2.0 / 3 * 10 + 1) / 11 / 2;
  const double costly[4] = { 1e-3, 2e-3, 1e-4, 1e-4 };
  CHECK (fabs (share_after_two_steps (costly) - (0.5 + weighted) / 2) < 1e-4,
         "steps weighed by cost: share %.5f, want %.5f", share_after_two_steps (costly),
         (0.5 + weighted) / 2);

  /* one thread: nothing to share */
  if (!CHECK (mn_thread_shares_init (&sh, 1, STEPS), "init 1"))
    return;
  run_many (&sh, crawl, 1);
  CHECK (sh.cut[0] == 0 && sh.cut[1] == MN_SHARE_ONE, "one thread keeps everything");
  mn_thread_shares_clear (&sh);
}

int
main (void)
{
  test_splits ();
  test_convergence ();
  test_ignored_and_bounded ();
  return tu_finish ();
}
