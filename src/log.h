/* log.h: diagnostics on stderr by level, with colour when stderr is a terminal. */
#ifndef GE_LOG_H
#define GE_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"

enum ge_color { GE_COLOR_AUTO, GE_COLOR_ALWAYS, GE_COLOR_NEVER };

enum ge_level { GE_LOG_QUIET = -1, GE_LOG_NORMAL = 0, GE_LOG_VERBOSE = 1, GE_LOG_DEBUG = 2 };

/* Whether colour applies to stream f under mode: ALWAYS, NEVER, or AUTO = a terminal, TERM not
 * "dumb", and NO_COLOR unset or empty (https://no-color.org). */
bool ge_color_enabled(enum ge_color mode, FILE *f);

void ge_log_setup(int level, enum ge_color mode);
int ge_log_level(void);

/* "gpuenv: error: ..." then "hint: ..." when the error has one. Always printed, even with -q. */
void ge_log_err(const struct ge_err *err);
void ge_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "gpuenv: warning: ..." (hidden by -q). */
void ge_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "hint: ..." (always printed: a hint belongs to the error before it). */
void ge_log_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "gpuenv: ..." at the normal level and above (hidden by -q): progress in words, for logs. */
void ge_log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "gpuenv: ..." at -v and above. */
void ge_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "gpuenv: debug: ..." at -vv. */
void ge_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether progress bars may be drawn: stderr is a terminal and -q was not given. */
bool ge_log_progress_enabled(void);

/* Redraw a block of progress lines in place on stderr (moving the cursor up over the block drawn
 * before). lines[i] are complete lines without newlines. Only call when enabled. */
void ge_log_progress(const char *const *lines, int n);
/* Forget the block drawn, leaving it on screen (the next output starts below it). */
void ge_log_progress_end(void);

#endif
