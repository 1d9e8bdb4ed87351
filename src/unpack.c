/* unpack.c: a pool of threads unpacking queued archives into the cache's trees. */
#include "unpack.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extract.h"
#include "str.h"

#define MAX_THREADS 16

struct item {
    char sha256[GE_SHA256_HEX];
    uint64_t size;
    char shown[96];
    bool verify;
    /* results, under the mutex */
    bool finished, ok, refetch;
    double seconds;
};

struct ge_unpack_pool {
    struct ge_store *s;
    pthread_mutex_t mu;
    pthread_cond_t work; /* something was queued, or the pool closes */
    pthread_cond_t done; /* something finished */
    struct item *items;
    size_t n, cap, head, running, finished;
    size_t *order;       /* indexes of finished items, in the order they finished */
    size_t taken;        /* how many of order were handed out */
    bool closed;
    struct ge_err err;   /* the first failure a download cannot mend */
    uint64_t bytes_total, bytes_done; /* bytes_done is updated atomically by ge_extract */
    pthread_t th[MAX_THREADS];
    size_t nthreads, max_threads;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    struct ge_unpack_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->head == p->n && !p->closed)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->head == p->n || p->err.status != 0)
            break;
        size_t i = p->head++;
        struct item it = p->items[i];
        p->running++;
        pthread_mutex_unlock(&p->mu);

        struct ge_err e;
        ge_err_clear(&e);
        bool refetch = false;
        double t0 = now_s();
        int rc = ge_store_unpack(p->s, it.sha256, it.size, it.shown, it.verify, &p->bytes_done, &refetch, &e);
        double secs = now_s() - t0;

        pthread_mutex_lock(&p->mu);
        struct item *r = &p->items[i];
        r->finished = true;
        r->ok = rc == 0;
        r->refetch = refetch;
        r->seconds = secs;
        p->order[p->finished++] = i;
        p->running--;
        if (rc < 0 && !refetch && p->err.status == 0)
            p->err = e;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct ge_unpack_pool *ge_unpack_start(struct ge_store *s, size_t max_threads, struct ge_err *err)
{
    if (ge_extract_prepare(err) < 0)
        return NULL;
    struct ge_unpack_pool *p = calloc(1, sizeof *p);
    if (!p) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        return NULL;
    }
    p->s = s;
    p->max_threads = max_threads < 1 ? 1 : max_threads > MAX_THREADS ? MAX_THREADS : max_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    return p;
}

int ge_unpack_add(struct ge_unpack_pool *p, const char *sha256, uint64_t size, const char *shown, bool verify,
                  struct ge_err *err)
{
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->items[i].sha256, sha256) == 0)
            goto out; /* a lock may list one archive for two components */
    if (p->n == p->cap) {
        size_t nc = p->cap ? 2 * p->cap : 32;
        struct item *ni = realloc(p->items, nc * sizeof *ni);
        size_t *no = ni ? realloc(p->order, nc * sizeof *no) : NULL;
        if (ni)
            p->items = ni;
        if (!ni || !no) {
            rc = ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
            goto out;
        }
        p->order = no;
        p->cap = nc;
    }
    struct item *it = &p->items[p->n];
    memset(it, 0, sizeof *it);
    ge_strlcpy(it->sha256, sha256, sizeof it->sha256);
    ge_strlcpy(it->shown, shown, sizeof it->shown);
    it->size = size;
    it->verify = verify;
    p->n++;
    p->bytes_total += size;
    /* a thread per queued archive, up to the cap */
    if (p->nthreads < p->max_threads && p->n - p->finished > p->nthreads) {
        if (pthread_create(&p->th[p->nthreads], NULL, worker, p) == 0)
            p->nthreads++;
        else if (p->nthreads == 0)
            rc = ge_err_set(err, GE_EXIT_FAILURE, "cannot start an unpacking thread: %s", strerror(errno));
    }
    pthread_cond_signal(&p->work);
out:
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static bool all_done(const struct ge_unpack_pool *p)
{
    return p->running == 0 && (p->head == p->n || p->err.status != 0);
}

bool ge_unpack_wait(struct ge_unpack_pool *p, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    while (!all_done(p) && pthread_cond_timedwait(&p->done, &p->mu, &until) == 0)
        ;
    bool done = all_done(p);
    pthread_mutex_unlock(&p->mu);
    return done;
}

void ge_unpack_status(struct ge_unpack_pool *p, struct ge_unpack_status *st)
{
    pthread_mutex_lock(&p->mu);
    st->queued = p->n;
    st->finished = p->finished;
    st->bytes_total = p->bytes_total;
    pthread_mutex_unlock(&p->mu);
    st->bytes_done = __atomic_load_n(&p->bytes_done, __ATOMIC_RELAXED);
    if (st->bytes_done > st->bytes_total)
        st->bytes_done = st->bytes_total;
}

size_t ge_unpack_take_done(struct ge_unpack_pool *p, struct ge_unpack_done *out, size_t max)
{
    size_t k = 0;
    pthread_mutex_lock(&p->mu);
    while (k < max && p->taken < p->finished) {
        const struct item *it = &p->items[p->order[p->taken++]];
        ge_strlcpy(out[k].shown, it->shown, sizeof out[k].shown);
        out[k].size = it->size;
        out[k].seconds = it->seconds;
        out[k].ok = it->ok;
        k++;
    }
    pthread_mutex_unlock(&p->mu);
    return k;
}

int ge_unpack_finish(struct ge_unpack_pool *p, char (*refetch)[GE_SHA256_HEX], size_t max, size_t *nrefetch,
                     struct ge_err *err)
{
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->th[i], NULL);
    *nrefetch = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].refetch && *nrefetch < max)
            ge_strlcpy(refetch[(*nrefetch)++], p->items[i].sha256, GE_SHA256_HEX);
    int rc = 0;
    if (p->err.status != 0) {
        if (err->status == 0)
            *err = p->err;
        rc = -1;
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->items);
    free(p->order);
    free(p);
    return rc;
}
