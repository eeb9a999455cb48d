/* log.h: the engine's messages, routed to the caller's log callback. */
#ifndef MN_LOG_H
#define MN_LOG_H

#include "mobilenet.h"

typedef struct {
  mn_log_fn fn;            /* NULL = errors and warnings to stderr */
  void *user_data;
} mn_logger;

/* Formats a message and hands it to the logger.  Returns st, so error paths
 * can say `return mn_log_error (log, MN_ERR_MALFORMED, "...", ...)`. */
mn_status mn_log_error (const mn_logger *log, mn_status st, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
void mn_log (const mn_logger *log, mn_log_level level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif /* MN_LOG_H */
