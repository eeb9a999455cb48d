/* step_barrier.h: the barrier between the executor's steps.
 *
 * OpenMP's own barrier spins for a long time (libgomp: ~300k iterations)
 * before it sleeps.  In a media pipeline the cores are shared with decoders
 * and sinks, and a thread spinning while its partner waits for a core turns
 * a 5 ms inference into 50 ms.  This barrier spins briefly (long enough for
 * balanced steps on an idle machine), then yields the core. */
#ifndef MN_STEP_BARRIER_H
#define MN_STEP_BARRIER_H

#include <sched.h>
#include <stdatomic.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MN_CPU_RELAX() _mm_pause ()
#else
#define MN_CPU_RELAX() ((void) 0)
#endif

#define MN_BARRIER_SPINS 4096

typedef struct {
  atomic_uint arrived;
  atomic_uint generation;
} mn_step_barrier;

static inline void
mn_step_barrier_init (mn_step_barrier *b)
{
  atomic_init (&b->arrived, 0);
  atomic_init (&b->generation, 0);
}

/* Every one of the n threads calls it; none returns before all arrived.
 * Arrivals are release/acquire on the counter and the last one publishes a
 * new generation, so each step's writes are visible to the next step. */
static inline void
mn_step_barrier_wait (mn_step_barrier *b, unsigned n)
{
  const unsigned gen = atomic_load_explicit (&b->generation, memory_order_acquire);
  if (atomic_fetch_add_explicit (&b->arrived, 1, memory_order_acq_rel) == n - 1) {
    atomic_store_explicit (&b->arrived, 0, memory_order_relaxed);
    atomic_fetch_add_explicit (&b->generation, 1, memory_order_release);
    return;
  }
  for (unsigned spin = 0; atomic_load_explicit (&b->generation, memory_order_acquire) == gen;
       spin++) {
    if (spin < MN_BARRIER_SPINS)
      MN_CPU_RELAX ();
    else
      sched_yield ();
  }
}

#endif /* MN_STEP_BARRIER_H */
