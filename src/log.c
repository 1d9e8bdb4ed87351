/* log.c: diagnostics on stderr by level; never writes to stdout. */
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_level = GE_LOG_NORMAL;
static bool log_color = false;

bool ge_color_enabled(enum ge_color mode, FILE *f)
{
    if (mode == GE_COLOR_ALWAYS)
        return true;
    if (mode == GE_COLOR_NEVER)
        return false;
    const char *nc = getenv("NO_COLOR");
    if (nc && nc[0])
        return false;
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(f)) == 1;
}

void ge_log_setup(int level, enum ge_color mode)
{
    log_level = level;
    log_color = ge_color_enabled(mode, stderr);
}

int ge_log_level(void)
{
    return log_level;
}

static void vlog(const char *prefix, const char *color, const char *fmt, va_list ap)
{
    /* One fputs per line keeps concurrent writers from interleaving mid-line. */
    char line[2048];
    int n = 0;
    if (color && log_color)
        n = snprintf(line, sizeof line, "%s%s\033[0m", color, prefix);
    else
        n = snprintf(line, sizeof line, "%s", prefix);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t len = strlen(line);
    if (len + 1 < sizeof line) {
        line[len] = '\n';
        line[len + 1] = '\0';
    } else {
        line[sizeof line - 2] = '\n';
    }
    fputs(line, stderr);
    fflush(stderr);
}

void ge_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("gpuenv: error: ", "\033[1;31m", fmt, ap);
    va_end(ap);
}

void ge_log_err(const struct ge_err *err)
{
    ge_log_error("%s", err->msg[0] ? err->msg : "unknown error");
    if (err->hint[0])
        ge_log_hint("%s", err->hint);
}

void ge_log_warn(const char *fmt, ...)
{
    if (log_level < GE_LOG_NORMAL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("gpuenv: warning: ", "\033[1;33m", fmt, ap);
    va_end(ap);
}

void ge_log_hint(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("hint: ", "\033[1;36m", fmt, ap);
    va_end(ap);
}

void ge_log_info(const char *fmt, ...)
{
    if (log_level < GE_LOG_VERBOSE)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("gpuenv: ", NULL, fmt, ap);
    va_end(ap);
}

void ge_log_note(const char *fmt, ...)
{
    if (log_level < GE_LOG_NORMAL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("gpuenv: ", NULL, fmt, ap);
    va_end(ap);
}

void ge_log_debug(const char *fmt, ...)
{
    if (log_level < GE_LOG_DEBUG)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("gpuenv: debug: ", NULL, fmt, ap);
    va_end(ap);
}

static int progress_lines;

bool ge_log_progress_enabled(void)
{
    return log_level >= GE_LOG_NORMAL && isatty(fileno(stderr)) == 1;
}

void ge_log_progress(const char *const *lines, int n)
{
    /* back over the previous block, then rewrite each line and clear what is left of it */
    if (progress_lines > 0)
        fprintf(stderr, "\r\033[%dA", progress_lines);
    for (int i = 0; i < n; i++)
        fprintf(stderr, "\r%s\033[K\n", lines[i]);
    /* a shorter block than before: clear the lines below */
    for (int i = n; i < progress_lines; i++)
        fputs("\033[K\n", stderr);
    if (progress_lines > n)
        fprintf(stderr, "\033[%dA", progress_lines - n);
    progress_lines = n;
    fflush(stderr);
}

void ge_log_progress_end(void)
{
    progress_lines = 0;
}
