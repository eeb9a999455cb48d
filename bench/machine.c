/* machine.c: see machine.h. */
#include "machine.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double
clock_ms (clockid_t clock)
{
  struct timespec ts;
  clock_gettime (clock, &ts);
  return (double) ts.tv_sec * 1e3 + 1e-6 * (double) ts.tv_nsec;
}

double
machine_now_ms (void)
{
  return clock_ms (CLOCK_MONOTONIC);
}

double
machine_cpu_ms (void)
{
  return clock_ms (CLOCK_PROCESS_CPUTIME_ID);
}

double
machine_thread_cpu_ms (void)
{
  return clock_ms (CLOCK_THREAD_CPUTIME_ID);
}

double
machine_load_average (void)
{
  double l = -1.0;
  FILE *f = fopen ("/proc/loadavg", "r");
  if (f) {
    if (fscanf (f, "%lf", &l) != 1)
      l = -1.0;
    fclose (f);
  }
  return l;
}

/* The aggregate "cpu" line: user nice system idle iowait irq softirq steal. */
static bool
read_proc_stat (machine_use *u)
{
  long long v[8];
  FILE *f = fopen ("/proc/stat", "r");
  if (!f)
    return false;
  const int got = fscanf (f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2],
                          &v[3], &v[4], &v[5], &v[6], &v[7]);
  fclose (f);
  if (got != 8)
    return false;
  u->total = 0;
  for (int i = 0; i < 8; i++)
    u->total += v[i];
  u->busy = u->total - v[3] - v[4];
  u->steal = v[7];
  return true;
}

/* utime and stime, fields 14 and 15 of /proc/self/stat; the command name
 * (field 2) is in parentheses and may hold spaces, so start after it. */
static bool
read_self_stat (machine_use *u)
{
  char line[1024];
  FILE *f = fopen ("/proc/self/stat", "r");
  if (!f)
    return false;
  const bool read = fgets (line, sizeof line, f) != NULL;
  fclose (f);
  const char *p = read ? strrchr (line, ')') : NULL;
  long long utime, stime;
  /* after ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt
   * majflt cmajflt utime stime */
  if (!p || sscanf (p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &utime,
                    &stime) != 2)
    return false;
  u->self = utime + stime;
  return true;
}

machine_use
machine_use_now (void)
{
  machine_use u;
  memset (&u, 0, sizeof u);
  u.valid = read_self_stat (&u) && read_proc_stat (&u);
  return u;
}

void
machine_use_others (const machine_use *before, const machine_use *after, double *others,
                    double *steal)
{
  *others = *steal = NAN;
  if (!before->valid || !after->valid || after->total <= before->total)
    return;
  const double total = (double) (after->total - before->total);
  const double theirs = (double) ((after->busy - before->busy) - (after->self - before->self));
  *others = fmax (theirs, 0.0) / total;
  *steal = (double) (after->steal - before->steal) / total;
}
