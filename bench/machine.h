/* machine.h: clocks, and how busy the rest of the machine was.
 *
 * A benchmark on a shared machine needs to say when others were using it:
 * machine_use_* reads /proc/stat and /proc/self/stat (Linux) around a
 * measurement and reports the share of the machine's CPU time that went to
 * other processes, and to the hypervisor (steal), meanwhile.
 */
#ifndef BENCH_MACHINE_H
#define BENCH_MACHINE_H

#include <stdbool.h>

/* Monotonic wall clock, this process's CPU time (all threads), ms. */
double machine_now_ms (void);
double machine_cpu_ms (void);
double machine_thread_cpu_ms (void);   /* the calling thread's */

/* The 1-minute load average, or -1 where it cannot be read. */
double machine_load_average (void);

/* CPU time counters, in clock ticks. */
typedef struct {
  bool valid;
  long long total;   /* all CPUs, all states but guest (counted in user) */
  long long busy;    /* all CPUs, not idle nor waiting for I/O */
  long long steal;   /* taken by the hypervisor */
  long long self;    /* this process, user + system */
} machine_use;

machine_use machine_use_now (void);

/* Between two readings: the share of all CPUs' time that other processes
 * used (steal counted as theirs), and of it the share stolen; NAN (both)
 * when either reading failed or no tick passed. */
void machine_use_others (const machine_use *before, const machine_use *after, double *others,
                         double *steal);

#endif /* BENCH_MACHINE_H */
