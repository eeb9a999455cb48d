/* unroll.h: complete unrolling of the micro-kernels' loops over rows,
 * panels and taps, whose trip counts are compile-time constants once
 * inlined, so that their accumulators live in registers.
 *
 * GCC reads "GCC unroll n" as "up to n times", which unrolls any count up
 * to n completely.  Clang reads it as "by n": a loop of fewer than n
 * trips stays rolled, its accumulators in memory: built with clang 14, V2
 * float took 5.9 ms a run against GCC's 2.8 on the EPYC of the
 * performance log, 3.7 with clang's own "unroll", which unrolls any
 * constant count completely.  (Only loops whose count is constant at
 * every call use this: on a variable count clang's "unroll" warns.) */
#ifndef MN_UNROLL_H
#define MN_UNROLL_H

#define MN_PRAGMA(x) _Pragma (#x)
#if defined(__clang__)
#define MN_UNROLL_ALL(n) MN_PRAGMA (unroll)
#else
#define MN_UNROLL_ALL(n) MN_PRAGMA (GCC unroll n)
#endif

#endif /* MN_UNROLL_H */
