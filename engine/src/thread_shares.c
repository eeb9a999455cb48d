/* thread_shares.c: see thread_shares.h. */
#include "thread_shares.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"   /* mn_aligned_alloc */

/* A step's relative speeds are clamped to this factor either way (one
 * preempted chunk must not swing the shares), and no share falls below
 * MIN_SHARE_PER_THREAD of an equal one, so a thread that recovers is
 * still timed on real work. */
#define SPEED_CLAMP 4.0
#define MIN_SHARE_PER_THREAD 0.25

static void
equal_cuts (mn_thread_shares *sh)
{
  for (int t = 0; t <= sh->threads; t++)
    sh->cut[t] = (uint32_t) ((uint64_t) MN_SHARE_ONE * (uint64_t) t / (uint64_t) sh->threads);
}

bool
mn_thread_shares_init (mn_thread_shares *sh, int threads, int steps)
{
  memset (sh, 0, sizeof *sh);
  sh->threads = threads;
  sh->steps = steps;
  const size_t per_line = 64 / sizeof (mn_share_record);
  sh->stride = ((size_t) steps + per_line - 1) / per_line * per_line;
  sh->cut = malloc (sizeof *sh->cut * ((size_t) threads + 1));
  sh->scratch = malloc (sizeof *sh->scratch * (size_t) threads);
  sh->records = mn_aligned_alloc (sizeof *sh->records * sh->stride * (size_t) threads);
  if (!sh->cut || !sh->scratch || !sh->records) {
    mn_thread_shares_clear (sh);
    return false;
  }
  equal_cuts (sh);
  mn_thread_shares_start (sh);
  return true;
}

void
mn_thread_shares_clear (mn_thread_shares *sh)
{
  free (sh->cut);
  free (sh->scratch);
  mn_aligned_free (sh->records);
  memset (sh, 0, sizeof *sh);
}

void
mn_thread_shares_split (const mn_thread_shares *sh, size_t total, int parts, int part,
                        size_t *begin, size_t *end)
{
  if (parts == sh->threads) {
    /* to the nearest item, so that 7 rows at 0.55 / 0.45 split 4 + 3, not
     * 3 + 4 (the slower thread with more); total * cut in 64 bits:
     * tensors are far below 2^47 bytes */
    const uint64_t half = MN_SHARE_ONE / 2;
    *begin = (size_t) (((uint64_t) total * sh->cut[part] + half) / MN_SHARE_ONE);
    *end = (size_t) (((uint64_t) total * sh->cut[part + 1] + half) / MN_SHARE_ONE);
    return;
  }
  const size_t base = total / (size_t) parts, extra = total % (size_t) parts;
  const size_t p = (size_t) part;
  *begin = p * base + (p < extra ? p : extra);
  *end = *begin + base + (p < extra ? 1 : 0);
}

void
mn_thread_shares_start (mn_thread_shares *sh)
{
  memset (sh->records, 0, sizeof *sh->records * sh->stride * (size_t) sh->threads);
}

void
mn_thread_shares_update (mn_thread_shares *sh)
{
  const int n = sh->threads;
  if (n < 2)
    return;
  double *per_thread = sh->scratch;   /* each thread's speed, then its new share */
  bool timed_any = false;
  for (int t = 0; t < n; t++)
    per_thread[t] = 0;
  for (int i = 0; i < sh->steps; i++) {
    double fastest = 0, mean = 0;
    bool timed = true;
    for (int t = 0; t < n && timed; t++) {
      const mn_share_record *r = &sh->records[(size_t) t * sh->stride + (size_t) i];
      timed = r->seconds > 0.f && r->fraction > 0.f;
      const double v = timed ? (double) r->fraction / r->seconds : 0;
      fastest = v > fastest ? v : fastest;
      mean += v / n;
    }
    if (!timed)
      continue;
    /* the step's cost: its seconds on the fastest thread alone */
    const double w = 1.0 / fastest;
    for (int t = 0; t < n; t++) {
      const mn_share_record *r = &sh->records[(size_t) t * sh->stride + (size_t) i];
      double rel = (double) r->fraction / r->seconds / mean;
      rel = rel < 1 / SPEED_CLAMP ? 1 / SPEED_CLAMP : rel > SPEED_CLAMP ? SPEED_CLAMP : rel;
      per_thread[t] += w * rel;
    }
    timed_any = true;
  }
  if (!timed_any)
    return;
  /* (the speeds' sum normalises the weights away) */
  double sum = 0;
  for (int t = 0; t < n; t++)
    sum += per_thread[t];
  /* halfway from the current shares to the measured ones (the sum stays
   * 1), then no share below the floor: what the raised ones gain, the
   * others give in proportion to what they hold above it */
  const double floor_share = MIN_SHARE_PER_THREAD / n;
  double raised = 0, above = 0;
  for (int t = 0; t < n; t++) {
    const double now = (double) (sh->cut[t + 1] - sh->cut[t]) / MN_SHARE_ONE;
    const double share = 0.5 * now + 0.5 * per_thread[t] / sum;
    raised += share < floor_share ? floor_share - share : 0;
    above += share > floor_share ? share - floor_share : 0;
    per_thread[t] = share;
  }
  for (int t = 0; t < n; t++) {
    const double share = per_thread[t];
    per_thread[t] = share < floor_share ? floor_share
                                        : share - raised * (share - floor_share) / above;
  }
  double acc = 0;
  sh->cut[0] = 0;
  for (int t = 0; t < n; t++) {
    acc += per_thread[t];
    sh->cut[t + 1] = t + 1 == n ? MN_SHARE_ONE : (uint32_t) (acc * MN_SHARE_ONE + 0.5);
  }
}
