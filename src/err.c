/* err.c: the error object and the exit-status table (the single place both are defined). */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct ge_exit_info exit_table[] = {
    {GE_EXIT_OK, "ok", "success"},
    {GE_EXIT_FAILURE, "failure", "an operation failed (file system, network, child process)"},
    {GE_EXIT_USAGE, "usage", "the command line or an environment variable is malformed"},
    {GE_EXIT_NO_SOLUTION, "no-solution", "no combination satisfies the requirements"},
    {GE_EXIT_NO_DRIVER, "no-driver",
     "no usable NVIDIA driver: libcuda.so.1 missing, failing, hanging or crashing"},
    {GE_EXIT_BAD_DATA, "bad-data", "a data file, manifest, lock file or archive is malformed"},
    {GE_EXIT_NO_GPU, "no-gpu", "the driver works but reports no usable GPU"},
    {GE_EXIT_LOCKED, "locked", "--locked, and the request and gpuenv.lock disagree (or there is no lock)"},
    {GE_EXIT_UNHEALTHY, "unhealthy", "doctor found at least one error in the environment"},
};

_Static_assert(sizeof exit_table / sizeof exit_table[0] == GE_EXIT_COUNT,
               "every exit status has a table entry");

const struct ge_exit_info *ge_exit_table(size_t *n)
{
    *n = sizeof exit_table / sizeof exit_table[0];
    return exit_table;
}

const struct ge_exit_info *ge_exit_lookup(int status)
{
    if (status < 0 || status >= GE_EXIT_COUNT)
        return NULL;
    return &exit_table[status];
}

void ge_err_clear(struct ge_err *err)
{
    err->status = 0;
    err->msg[0] = '\0';
    err->hint[0] = '\0';
}

int ge_err_set(struct ge_err *err, int status, const char *fmt, ...)
{
    if (err->status != 0)
        return -1;
    err->status = status == 0 ? GE_EXIT_FAILURE : status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->hint[0] = '\0';
    return -1;
}

int ge_err_sys(struct ge_err *err, int e, const char *fmt, ...)
{
    if (err->status != 0)
        return -1;
    char what[GE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    bool full = e == ENOSPC || e == EDQUOT;
    ge_err_set(err, GE_EXIT_FAILURE, "%.400s: %s", what, full ? "no space left on the file system" : strerror(e));
    if (full)
        ge_err_hint(err, "free some space (or quota), or put the cache on a larger disk with GPUENV_CACHE_DIR, "
                         "then run the same command again");
    return -1;
}

void ge_err_hint(struct ge_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

void ge_err_prefix(struct ge_err *err, const char *fmt, ...)
{
    char old[GE_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof err->msg - 2)
        return; /* no room for the old message: keep the context, as it was asked for */
    size_t off = (size_t)n;
    err->msg[off++] = ':';
    err->msg[off++] = ' ';
    size_t room = sizeof err->msg - off - 1;
    size_t ol = strlen(old);
    if (ol > room)
        ol = room;
    memcpy(err->msg + off, old, ol);
    err->msg[off + ol] = '\0';
}
