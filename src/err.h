/* err.h: the error object every fallible function fills, and the exit-status table. */
#ifndef GE_ERR_H
#define GE_ERR_H

#include <stddef.h>

/* Exit statuses are a public contract, documented in gpuenv(1): never renumber, only append.
 * GE_EXIT_COUNT must stay last. */
enum ge_exit {
    GE_EXIT_OK = 0,
    GE_EXIT_FAILURE = 1,
    GE_EXIT_USAGE = 2,
    GE_EXIT_NO_SOLUTION = 3,
    GE_EXIT_NO_DRIVER = 4,
    GE_EXIT_BAD_DATA = 5,
    GE_EXIT_NO_GPU = 6,
    GE_EXIT_LOCKED = 7,
    GE_EXIT_UNHEALTHY = 8,
    GE_EXIT_COUNT
};

struct ge_exit_info {
    int status;
    const char *name;    /* stable identifier, used as "error.kind" in --json output */
    const char *meaning; /* one line, the same words as the man page's EXIT STATUS */
};

/* The table, in status order; *n gets its length. */
const struct ge_exit_info *ge_exit_table(size_t *n);
/* The entry for a status, or NULL. */
const struct ge_exit_info *ge_exit_lookup(int status);

#define GE_ERR_MSG_MAX 512
#define GE_ERR_HINT_MAX 512

/* A failure: the exit status it maps to, a one-line message and an optional hint.
 * Setting it never allocates, so it is safe on any failure path. */
struct ge_err {
    int status; /* enum ge_exit; 0 while no error is set */
    char msg[GE_ERR_MSG_MAX];
    char hint[GE_ERR_HINT_MAX];
};

void ge_err_clear(struct ge_err *err);
/* Fill err (status, printf-style message) and return -1, so callers can `return ge_err_set(...)`.
 * A second set on an already filled error is ignored: the first, closest to the source, wins. */
int ge_err_set(struct ge_err *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A failed system call: GE_EXIT_FAILURE, "<message>: <strerror(e)>". A full file system (ENOSPC,
 * EDQUOT) is said as such, with a hint to free space or move the cache, whatever call saw it. */
int ge_err_sys(struct ge_err *err, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Set the hint of an error (overwrites an earlier hint). */
void ge_err_hint(struct ge_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Put "context: " in front of the message, as callers add context on the way up. */
void ge_err_prefix(struct ge_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
