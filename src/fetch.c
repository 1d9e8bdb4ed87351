/* fetch.c: parallel, resumable, verified downloads through libcurl's multi interface. */
#define _GNU_SOURCE
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lazy.h"
#include "str.h"

/* Field names differ from curl's so that curl.h's type-checking macros (curl_easy_setopt(...))
 * do not expand on them; the types come from the real prototypes. */
static struct {
    __typeof__(&curl_global_init) global_init;
    __typeof__(&curl_easy_init) easy_init;
    __typeof__(&curl_easy_setopt) easy_setopt;
    __typeof__(&curl_easy_getinfo) easy_getinfo;
    __typeof__(&curl_easy_cleanup) easy_cleanup;
    __typeof__(&curl_easy_perform) easy_perform;
    __typeof__(&curl_easy_strerror) easy_strerror;
    __typeof__(&curl_multi_init) multi_init;
    __typeof__(&curl_multi_add_handle) multi_add_handle;
    __typeof__(&curl_multi_remove_handle) multi_remove_handle;
    __typeof__(&curl_multi_perform) multi_perform;
    __typeof__(&curl_multi_poll) multi_poll;
    __typeof__(&curl_multi_info_read) multi_info_read;
    __typeof__(&curl_multi_cleanup) multi_cleanup;
    __typeof__(&curl_multi_strerror) multi_strerror;
} cu;

static const struct ge_lazy_sym curl_syms[] = {
    {"curl_global_init", (void **)&cu.global_init},
    {"curl_easy_init", (void **)&cu.easy_init},
    {"curl_easy_setopt", (void **)&cu.easy_setopt},
    {"curl_easy_getinfo", (void **)&cu.easy_getinfo},
    {"curl_easy_cleanup", (void **)&cu.easy_cleanup},
    {"curl_easy_perform", (void **)&cu.easy_perform},
    {"curl_easy_strerror", (void **)&cu.easy_strerror},
    {"curl_multi_init", (void **)&cu.multi_init},
    {"curl_multi_add_handle", (void **)&cu.multi_add_handle},
    {"curl_multi_remove_handle", (void **)&cu.multi_remove_handle},
    {"curl_multi_perform", (void **)&cu.multi_perform},
    {"curl_multi_poll", (void **)&cu.multi_poll},
    {"curl_multi_info_read", (void **)&cu.multi_info_read},
    {"curl_multi_cleanup", (void **)&cu.multi_cleanup},
    {"curl_multi_strerror", (void **)&cu.multi_strerror},
    {NULL, NULL},
};

static struct ge_lazy_lib libcurl = {"libcurl.so.4", "libcurl4", curl_syms, 0};

struct xfer {
    struct ge_fetch_job *job;
    CURL *easy;
    int fd;
    struct ge_sha256 sha;
    bool sha_open;
    uint64_t offset;      /* where this attempt started (resume) */
    bool overflow;        /* the server sent more than the expected size */
    bool write_failed;
    int write_errno;
    char curl_err[CURL_ERROR_SIZE];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void part_path(const struct ge_fetch_job *j, char *out, size_t size)
{
    if (ge_fmt(out, size, "%s.part", j->dest) < 0)
        out[0] = '\0';
}

static size_t on_write(char *p, size_t sz, size_t nm, void *ud)
{
    struct xfer *x = ud;
    size_t n = sz * nm;
    struct ge_fetch_job *j = x->job;
    if (j->done + n > j->size) {
        x->overflow = true;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    for (size_t off = 0; off < n;) {
        ssize_t w = write(x->fd, p + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            x->write_failed = true;
            x->write_errno = errno;
            return 0;
        }
        off += (size_t)w;
    }
    struct ge_err e;
    ge_err_clear(&e);
    if (ge_sha256_update(&x->sha, p, n, &e) < 0) {
        x->write_failed = true;
        x->write_errno = EIO;
        return 0;
    }
    j->done += n;
    j->received += n;
    return n;
}

static void xfer_close(struct xfer *x)
{
    if (x->easy)
        cu.easy_cleanup(x->easy);
    x->easy = NULL;
    if (x->fd >= 0)
        close(x->fd);
    x->fd = -1;
    if (x->sha_open)
        ge_sha256_fini(&x->sha);
    x->sha_open = false;
}


/* libcurl loaded and initialised, once per process. */
static int curl_ready(struct ge_err *err)
{
    static bool global_done;
    if (ge_lazy_load(&libcurl, err) < 0)
        return -1;
    if (!global_done && cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return ge_err_set(err, GE_EXIT_FAILURE, "libcurl failed to initialise");
    global_done = true;
    return 0;
}

/* What every transfer sets: the URL, an error buffer, HTTP errors as failures, redirects within
 * https and http, our user agent, a connect timeout, no signals. TLS verification stays on: never
 * set VERIFYPEER or VERIFYHOST off. */
static void common_opts(CURL *e, const char *url, char *errbuf)
{
    cu.easy_setopt(e, CURLOPT_URL, url);
    cu.easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    cu.easy_setopt(e, CURLOPT_FAILONERROR, 1L);
    cu.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    cu.easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    cu.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http,file");
    cu.easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
    cu.easy_setopt(e, CURLOPT_USERAGENT, "gpuenv/" GPUENV_VERSION);
    cu.easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
    cu.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
}

/* Open the .part file and hash what it already holds, so that a resumed download is verified
 * as a whole. A .part larger than expected starts over. */
static int xfer_open(struct xfer *x, const struct ge_fetch_opts *o, struct ge_err *err)
{
    struct ge_fetch_job *j = x->job;
    char part[4200];
    part_path(j, part, sizeof part);
    x->fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (x->fd < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot create '%s': %s", part, strerror(errno));
    if (ge_sha256_init(&x->sha, err) < 0)
        return -1;
    x->sha_open = true;
    struct stat st;
    uint64_t have = fstat(x->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (have > j->size) {
        if (ftruncate(x->fd, 0) < 0)
            return ge_err_set(err, GE_EXIT_FAILURE, "cannot truncate '%s': %s", part, strerror(errno));
        have = 0;
    }
    static char block[1 << 16];
    uint64_t read_so_far = 0;
    while (read_so_far < have) {
        ssize_t r = pread(x->fd, block, sizeof block, (off_t)read_so_far);
        if (r <= 0)
            break;
        if (ge_sha256_update(&x->sha, block, (size_t)r, err) < 0)
            return -1;
        read_so_far += (uint64_t)r;
    }
    have = read_so_far;
    if (lseek(x->fd, (off_t)have, SEEK_SET) < 0 || ftruncate(x->fd, (off_t)have) < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot position in '%s': %s", part, strerror(errno));
    x->offset = have;
    j->done = have;
    if (have > 0)
        j->resumed = true;
    if (have == j->size)
        return 0; /* all there: only the checks remain */

    x->easy = cu.easy_init();
    if (!x->easy)
        return ge_err_set(err, GE_EXIT_FAILURE, "libcurl could not create a transfer");
    CURL *e = x->easy;
    x->curl_err[0] = '\0';
    common_opts(e, j->url, x->curl_err);
    cu.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    cu.easy_setopt(e, CURLOPT_WRITEDATA, x);
    cu.easy_setopt(e, CURLOPT_PRIVATE, x);
    /* a stall: less than one byte a second for stall_s seconds */
    cu.easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    cu.easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o->stall_s);
    if (have > 0)
        cu.easy_setopt(e, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)have);
    return 0;
}

/* Whether a failed attempt may succeed if tried again. */
static bool transient(CURLcode rc, long http)
{
    if (rc == CURLE_HTTP_RETURNED_ERROR)
        return http >= 500 || http == 408 || http == 429;
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_RANGE_ERROR: /* the server ignored the range: start over */
    case CURLE_BAD_CONTENT_ENCODING:
        return true;
    default:
        return false;
    }
}

static void job_fail(struct ge_fetch_job *j, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void job_fail(struct ge_fetch_job *j, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->error, sizeof j->error, fmt, ap);
    va_end(ap);
    j->status = status;
}

static void discard_part(const struct ge_fetch_job *j)
{
    char part[4200];
    part_path(j, part, sizeof part);
    unlink(part);
}

/* An attempt ended (rc from curl, or CURLE_OK when nothing needed fetching): verify and commit,
 * or decide between a retry and a failure. Returns true when the job is finished either way. */
static bool attempt_done(struct xfer *x, CURLcode rc, const struct ge_fetch_opts *o)
{
    struct ge_fetch_job *j = x->job;
    long http = 0;
    if (x->easy)
        cu.easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &http);
    bool retry = false;
    if (x->overflow) {
        job_fail(j, GE_EXIT_BAD_DATA, "%s: the server sent more than the %llu bytes the manifest lists",
                 j->url, (unsigned long long)j->size);
        discard_part(j);
        retry = true;
    } else if (x->write_failed) {
        job_fail(j, GE_EXIT_FAILURE, "cannot write '%s.part': %s", j->dest, strerror(x->write_errno));
    } else if (rc != CURLE_OK) {
        if (rc == CURLE_HTTP_RETURNED_ERROR)
            job_fail(j, GE_EXIT_FAILURE, "%s: HTTP %ld%s", j->url, http,
                     http == 404 ? " (not on this mirror)" : "");
        else
            job_fail(j, GE_EXIT_FAILURE, "%s: %s", j->url, x->curl_err[0] ? x->curl_err : cu.easy_strerror(rc));
        retry = transient(rc, http);
        if (rc == CURLE_RANGE_ERROR)
            discard_part(j);
    } else if (j->done != j->size) {
        job_fail(j, GE_EXIT_BAD_DATA, "%s: got %llu bytes, the manifest lists %llu", j->url,
                 (unsigned long long)j->done, (unsigned long long)j->size);
        discard_part(j);
        retry = true;
    } else {
        char hex[GE_SHA256_HEX], part[4200];
        struct ge_err e;
        ge_err_clear(&e);
        int ok = ge_sha256_final(&x->sha, hex, &e);
        x->sha_open = false;
        part_path(j, part, sizeof part);
        if (ok < 0) {
            job_fail(j, GE_EXIT_FAILURE, "%s", e.msg);
        } else if (strcmp(hex, j->sha256) != 0) {
            job_fail(j, GE_EXIT_BAD_DATA, "%s: sha256 mismatch: the manifest lists %s, the download is %s",
                     j->url, j->sha256, hex);
            discard_part(j);
            retry = true; /* a mirror may have served a damaged copy once */
        } else if (fsync(x->fd) < 0 || rename(part, j->dest) < 0) {
            job_fail(j, GE_EXIT_FAILURE, "cannot move '%s' into place: %s", part, strerror(errno));
        } else {
            j->status = 0;
            j->error[0] = '\0';
            xfer_close(x);
            return true;
        }
    }
    xfer_close(x);
    if (retry && j->attempts <= o->retries)
        return false;
    /* final failure: keep a partial download only if it is worth resuming */
    if (!(rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR ||
          rc == CURLE_COULDNT_CONNECT) || j->done == 0)
        discard_part(j);
    return true;
}

int ge_fetch_run(struct ge_fetch_job *jobs, size_t n, const struct ge_fetch_opts *opts, struct ge_err *err)
{
    struct ge_fetch_opts o = {4, 3, 30, 500, NULL, NULL, NULL};
    if (opts) {
        o = *opts;
        if (o.parallel <= 0)
            o.parallel = 4;
        if (o.retries < 0)
            o.retries = 0;
        if (o.stall_s <= 0)
            o.stall_s = 30;
        if (o.backoff_ms <= 0)
            o.backoff_ms = 500;
    }
    for (size_t i = 0; i < n; i++) {
        jobs[i].status = -1; /* pending */
        jobs[i].error[0] = '\0';
        jobs[i].done = jobs[i].received = 0;
        jobs[i].attempts = 0;
        jobs[i].resumed = false;
        if (jobs[i].size == 0 || !ge_sha256_valid(jobs[i].sha256)) {
            jobs[i].status = GE_EXIT_BAD_DATA;
            snprintf(jobs[i].error, sizeof jobs[i].error, "%s: no size or sha256 to check it against: refused",
                     jobs[i].url);
        }
    }
    if (curl_ready(err) < 0)
        return -1;
    CURLM *multi = cu.multi_init();
    struct xfer *xs = calloc((size_t)o.parallel, sizeof *xs);
    double *next_try = calloc(n ? n : 1, sizeof *next_try);
    if (!multi || !xs || !next_try) {
        if (multi)
            cu.multi_cleanup(multi);
        free(xs);
        free(next_try);
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    }
    for (int k = 0; k < o.parallel; k++)
        xs[k].fd = -1;
    double last_progress = 0;
    for (;;) {
        double t = now_s();
        /* start what may start */
        for (int k = 0; k < o.parallel; k++) {
            if (xs[k].job)
                continue;
            for (size_t i = 0; i < n; i++) {
                if (jobs[i].status != -1 || next_try[i] > t)
                    continue;
                bool taken = false;
                for (int q = 0; q < o.parallel; q++)
                    if (xs[q].job == &jobs[i])
                        taken = true;
                if (taken)
                    continue;
                struct xfer *x = &xs[k];
                memset(x, 0, sizeof *x);
                x->fd = -1;
                x->job = &jobs[i];
                jobs[i].attempts++;
                struct ge_err oe;
                ge_err_clear(&oe);
                if (xfer_open(x, &o, &oe) < 0) {
                    job_fail(&jobs[i], oe.status, "%s", oe.msg);
                    xfer_close(x);
                    x->job = NULL;
                    if (o.on_done)
                        o.on_done(o.ud, &jobs[i]);
                    continue;
                }
                if (!x->easy) { /* nothing to download: verify what is there */
                    bool finished = attempt_done(x, CURLE_OK, &o);
                    x->job = NULL;
                    if (!finished) {
                        jobs[i].status = -1;
                        next_try[i] = t;
                    } else if (o.on_done) {
                        o.on_done(o.ud, &jobs[i]);
                    }
                    continue;
                }
                cu.multi_add_handle(multi, x->easy);
                break;
            }
        }
        bool any_active = false, any_pending = false;
        double soonest = -1;
        for (int k = 0; k < o.parallel; k++)
            any_active = any_active || xs[k].job;
        for (size_t i = 0; i < n; i++)
            if (jobs[i].status == -1) {
                any_pending = true;
                if (soonest < 0 || next_try[i] < soonest)
                    soonest = next_try[i];
            }
        if (!any_active && !any_pending)
            break;
        int running = 0;
        cu.multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = cu.multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct xfer *x = NULL;
            cu.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            CURLcode rc = msg->data.result;
            cu.multi_remove_handle(multi, msg->easy_handle);
            struct ge_fetch_job *j = x->job;
            bool finished = attempt_done(x, rc, &o);
            x->job = NULL;
            size_t i = (size_t)(j - jobs);
            if (!finished) {
                j->status = -1;
                long wait = o.backoff_ms << (j->attempts > 6 ? 6 : j->attempts - 1);
                next_try[i] = now_s() + (double)wait / 1000.0;
            } else if (o.on_done) {
                o.on_done(o.ud, j);
            }
        }
        t = now_s();
        if (o.on_progress && t - last_progress >= 0.1) {
            o.on_progress(o.ud, jobs, n);
            last_progress = t;
        }
        int wait_ms = 100;
        if (!any_active && soonest > t)
            wait_ms = (int)((soonest - t) * 1000) + 1;
        cu.multi_poll(multi, NULL, 0, wait_ms > 1000 ? 1000 : wait_ms, NULL);
    }
    cu.multi_cleanup(multi);
    free(xs);
    free(next_try);
    for (size_t i = 0; i < n; i++)
        if (jobs[i].status != 0) {
            ge_err_set(err, jobs[i].status > 0 ? jobs[i].status : GE_EXIT_FAILURE, "%s", jobs[i].error);
            if (jobs[i].status == GE_EXIT_BAD_DATA)
                ge_err_hint(err, "the mirror serves a different file than NVIDIA's manifest describes: try another "
                                 "mirror (--mirror) or the default origin");
            else
                ge_err_hint(err, "check the network or the mirror, then run the same command again: finished "
                                 "downloads are kept and partial ones resume");
            return -1;
        }
    return 0;
}

/* ---- one small document into memory ---- */

struct text_sink {
    struct ge_buf *out;
    size_t max;
    bool too_big, no_memory;
};

static size_t on_text(char *p, size_t size, size_t nmemb, void *ud)
{
    struct text_sink *t = ud;
    size_t n = size * nmemb;
    if (t->out->len + n > t->max) {
        t->too_big = true;
        return 0;
    }
    if (ge_buf_add(t->out, p, n) < 0) {
        t->no_memory = true;
        return 0;
    }
    return n;
}

int ge_fetch_text(const char *url, size_t max, long timeout_s, struct ge_buf *out, struct ge_err *err)
{
    if (curl_ready(err) < 0)
        return -1;
    char cerr[CURL_ERROR_SIZE] = "";
    long code = 0;
    CURLcode rc = CURLE_OK;
    /* a transient failure (as for archives: no connection, a 5xx, a stall) is tried twice more, a
     * second apart */
    for (int attempt = 0; attempt < 3; attempt++) {
        CURL *e = cu.easy_init();
        if (!e)
            return ge_err_set(err, GE_EXIT_FAILURE, "libcurl could not create a transfer");
        struct text_sink t = {out, max, false, false};
        out->len = 0;
        cerr[0] = '\0';
        common_opts(e, url, cerr);
        cu.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_text);
        cu.easy_setopt(e, CURLOPT_WRITEDATA, &t);
        cu.easy_setopt(e, CURLOPT_TIMEOUT, timeout_s);
        rc = cu.easy_perform(e);
        code = 0;
        cu.easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        cu.easy_cleanup(e);
        if (t.no_memory)
            return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        if (t.too_big)
            return ge_err_set(err, GE_EXIT_BAD_DATA, "%s: more than %zu bytes: refused", url, max);
        if (rc == CURLE_OK)
            return 0;
        if (!transient(rc, code))
            break;
        if (attempt < 2)
            sleep(1);
    }
    bool missing = code == 404 || code == 410 || rc == CURLE_FILE_COULDNT_READ_FILE;
    return ge_err_set(err, missing ? GE_EXIT_BAD_DATA : GE_EXIT_FAILURE, "cannot fetch %s: %s", url,
                      cerr[0] ? cerr : cu.easy_strerror(rc));
}
