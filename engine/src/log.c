/* log.c: formatting and routing of the engine's messages. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

/* printf-like (the callers' formats are checked where they are written) */
static void emit (const mn_logger *log, mn_log_level level, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));

static void
emit (const mn_logger *log, mn_log_level level, const char *fmt, va_list ap)
{
  char buf[1024];
  vsnprintf (buf, sizeof buf, fmt, ap);
  if (log && log->fn)
    log->fn (log->user_data, level, buf);
  else if (level <= MN_LOG_WARNING)
    fprintf (stderr, "mobilenet: %s\n", buf);
}

void
mn_log (const mn_logger *log, mn_log_level level, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  emit (log, level, fmt, ap);
  va_end (ap);
}

mn_status
mn_log_error (const mn_logger *log, mn_status st, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  emit (log, MN_LOG_ERROR, fmt, ap);
  va_end (ap);
  return st;
}
