/* fetch.h: download archives with libcurl's multi interface: several at once, retries with
 * backoff, resume of partial files, a stall timeout, and SHA-256 and size checked while streaming.
 * It downloads what it is told to; deciding what to fetch is the caller's business. */
#ifndef GE_FETCH_H
#define GE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "str.h"

struct ge_fetch_job {
    /* in */
    char url[1024];           /* https://, http:// or file:// */
    char dest[4096];          /* the final path; data goes to dest + ".part" until verified */
    uint64_t size;            /* expected bytes (required, > 0) */
    char sha256[GE_SHA256_HEX]; /* expected digest (required) */
    /* out */
    int status;               /* 0 done, else an exit status (GE_EXIT_FAILURE, GE_EXIT_BAD_DATA) */
    char error[512];          /* why it failed: curl's words, the HTTP status, or the check */
    uint64_t done;            /* bytes on disk so far, resumed ones included */
    uint64_t received;        /* bytes received in this run */
    int attempts;
    bool resumed;             /* continued a partial file left by an earlier run */
};

struct ge_fetch_opts {
    int parallel;             /* transfers at once (default 4) */
    int retries;              /* further attempts after a transient failure (default 3) */
    long stall_s;             /* give up on a transfer that receives nothing this long (default 30) */
    long backoff_ms;          /* wait before the first retry, doubled each time (default 500) */
    /* called about ten times a second while transfers run, and once per finished job */
    void (*on_progress)(void *ud, const struct ge_fetch_job *jobs, size_t n);
    void (*on_done)(void *ud, const struct ge_fetch_job *job);
    void *ud;
};

/* Fetch every job. A file already at dest is not checked or fetched again here: the caller
 * decides what is missing. Return 0 when all succeeded, else -1 with err naming the first
 * failure; every job's own status and error say what happened to it. A failed job leaves no file
 * at dest; a partial .part is kept only when it holds verified-so-far bytes worth resuming. */
int ge_fetch_run(struct ge_fetch_job *jobs, size_t n, const struct ge_fetch_opts *opts, struct ge_err *err);

/* Fetch one small document (https, http or file URL) into out, at most max bytes, within
 * timeout_s seconds; transient failures are tried again. 0, or -1 with err: GE_EXIT_BAD_DATA when
 * the server says there is no such file (404) or it is larger than max, else GE_EXIT_FAILURE. */
int ge_fetch_text(const char *url, size_t max, long timeout_s, struct ge_buf *out, struct ge_err *err);

#endif
