/* install.c: the install transaction (plan in hand): verify and mend the cache, fetch, unpack,
 * stage, venv, activation, switch, journaled lock. */
#include "install.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activate.h"
#include "matrix.h"
#include "store.h"
#include "str.h"
#include "tree.h"
#include "venv.h"

struct txn {
    struct ge_project *p;
    const struct ge_lockfile *l;
    const struct ge_install_opts *o;
    const struct ge_install_events *ev;
    struct ge_install_result *res;
    struct ge_store s;
    struct ge_unpack_pool *pool;
    const struct ge_fetch_job *jobs; /* the round under way, for progress */
    size_t njobs;
    struct ge_err pool_err;          /* a failure to queue */
};

/* The lock's entry for a digest (the first, when two components share an archive). */
static const struct ge_lock_archive *entry_of(const struct ge_lockfile *l, const char *sha256)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->archives[i].sha256, sha256) == 0)
            return &l->archives[i];
    return NULL;
}

static void queue(struct txn *t, const char *sha256, bool verify)
{
    const struct ge_lock_archive *a = entry_of(t->l, sha256);
    if (a && t->pool_err.status == 0)
        ge_unpack_add(t->pool, sha256, a->size, a->component, verify, &t->pool_err);
}

/* Report the archives unpacked since the last call, then where everything stands. */
static void tick(struct txn *t, bool progress)
{
    struct ge_unpack_done d[16];
    size_t n;
    while ((n = ge_unpack_take_done(t->pool, d, 16)) > 0)
        for (size_t i = 0; i < n && t->ev->on_unpacked; i++)
            t->ev->on_unpacked(t->ev->ud, &d[i]);
    if (progress && t->ev->on_progress) {
        struct ge_install_progress pr = {t->jobs, t->njobs, {0, 0, 0, 0}};
        ge_unpack_status(t->pool, &pr.unpack);
        t->ev->on_progress(t->ev->ud, &pr);
    }
}

static void on_fetch_progress(void *ud, const struct ge_fetch_job *jobs, size_t n)
{
    struct txn *t = ud;
    t->jobs = jobs;
    t->njobs = n;
    tick(t, true);
}

static void on_fetch_done(void *ud, const struct ge_fetch_job *j)
{
    struct txn *t = ud;
    if (j->status == 0) {
        queue(t, j->sha256, false); /* checked while it streamed */
        t->res->downloaded++;
        t->res->downloaded_bytes += j->received;
    }
    if (t->ev->on_fetched)
        t->ev->on_fetched(t->ev->ud, j);
}

/* One round: download the jobs while the pool unpacks, then wait for the pool. Archives found
 * damaged in the cache come back in refetch. */
static int round_run(struct txn *t, struct ge_fetch_job *jobs, size_t nj, char (*refetch)[GE_SHA256_HEX],
                     size_t *nrefetch, struct ge_err *err)
{
    int fetched = 0;
    struct ge_err fetch_err;
    ge_err_clear(&fetch_err);
    t->jobs = jobs;
    t->njobs = nj;
    if (nj) {
        /* fetch's defaults (0): 4 at once, a 30 s stall limit, 500 ms before the first retry */
        struct ge_fetch_opts fo = {t->o->jobs, 3, 0, 0, on_fetch_progress, on_fetch_done, t};
        fetched = ge_fetch_run(jobs, nj, &fo, &fetch_err);
    }
    while (!ge_unpack_wait(t->pool, 100))
        tick(t, true);
    tick(t, true);
    int rc = ge_unpack_finish(t->pool, refetch, t->l->n, nrefetch, err);
    t->pool = NULL;
    t->jobs = NULL;
    t->njobs = 0;
    /* a download failure, coming first, is the one reported */
    if (fetched < 0) {
        *err = fetch_err;
        return -1;
    }
    if (t->pool_err.status) {
        *err = t->pool_err;
        return -1;
    }
    return rc;
}

static void add_job(struct txn *t, struct ge_fetch_job *jobs, size_t *nj, const struct ge_lock_archive *a,
                    const char *origin)
{
    for (size_t k = 0; k < *nj; k++)
        if (strcmp(jobs[k].sha256, a->sha256) == 0)
            return; /* two components in one archive are fetched once */
    struct ge_fetch_job *j = &jobs[(*nj)++];
    memset(j, 0, sizeof *j);
    (void)ge_path_join(j->url, sizeof j->url, origin, a->url_path); /* too long: fetch says it cannot */
    ge_store_archive_path(&t->s, a->sha256, j->dest, sizeof j->dest);
    j->size = a->size;
    memcpy(j->sha256, a->sha256, sizeof j->sha256);
}

static size_t unpack_threads(size_t archives)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = cores > 1 ? 2 * (size_t)cores : 2;
    return nt > archives ? (archives ? archives : 1) : nt;
}

const char *ge_install_origin(const char *given, bool with_default)
{
    if (given && given[0])
        return given;
    const char *env = getenv("GPUENV_MIRROR");
    if (env && env[0])
        return env;
    return with_default ? GE_DEFAULT_ORIGIN : NULL;
}

/* --offline: downloads only from a file:// origin. True (with err) when the jobs would need the
 * network. */
static bool offline_refuses(const struct txn *t, const char *origin, const struct ge_fetch_job *jobs, size_t nj,
                            struct ge_err *err)
{
    if (!nj || !t->o->offline || ge_startswith(origin, "file://"))
        return false;
    ge_err_set(err, GE_EXIT_FAILURE, "--offline: %zu archive%s of gpuenv.lock %s not in the cache (%s%s), and %s is not "
               "a local mirror", nj, nj > 1 ? "s" : "", nj > 1 ? "are" : "is", entry_of(t->l, jobs[0].sha256)->component,
               nj > 1 ? ", ..." : "", origin);
    ge_err_hint(err, "make a mirror where there is a network ('gpuenv mirror DIR --lock gpuenv.lock'), bring it here "
                     "and give --mirror file://DIR");
    return true;
}

/* Every archive of the lock in the cache as a verified tree: what is there is checked (its tree
 * against the tree's index; an archive without a tree by its SHA-256), what is damaged is
 * removed and made again, what is missing is downloaded. Two rounds at most: an archive found
 * damaged in the first is downloaded in the second. */
static int fill_cache(struct txn *t, struct ge_err *err)
{
    const struct ge_lockfile *l = t->l;
    const char *origin = ge_install_origin(t->o->origin, true);
    struct ge_fetch_job *jobs = calloc(l->n ? l->n : 1, sizeof *jobs);
    char(*refetch)[GE_SHA256_HEX] = calloc(l->n ? l->n : 1, GE_SHA256_HEX);
    int rc = -1;
    if (!jobs || !refetch) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    size_t nj = 0, nrefetch = 0;
    if (!(t->pool = ge_unpack_start(&t->s, unpack_threads(l->n), err)))
        goto out;
    for (size_t i = 0; i < l->n; i++) {
        const struct ge_lock_archive *a = &l->archives[i];
        if (entry_of(l, a->sha256) != a) { /* the same archive as an earlier entry */
            bool fetching = false;
            for (size_t k = 0; k < nj; k++)
                fetching = fetching || strcmp(jobs[k].sha256, a->sha256) == 0;
            t->res->cached += !fetching;
            continue;
        }
        if (ge_store_has_tree(&t->s, a->sha256)) {
            struct ge_err e;
            ge_err_clear(&e);
            if (ge_store_verify_tree(&t->s, a->sha256, t->o->verify ? GE_TREE_FULL : GE_TREE_QUICK, &e) == 0) {
                t->res->cached++;
                continue;
            }
            if (e.status != GE_EXIT_BAD_DATA) {
                *err = e;
                goto out;
            }
            if (t->s.readonly) {
                ge_err_set(err, GE_EXIT_BAD_DATA, "the shared cache %s holds a damaged %s (%s), and this user cannot "
                           "mend it", t->s.dir, a->component, e.msg);
                ge_err_hint(err, "tell its keeper ('gpuenv cache verify' there mends it), or set GPUENV_CACHE_DIR to "
                                 "a folder of your own");
                goto out;
            }
            if (t->ev->on_repair)
                t->ev->on_repair(t->ev->ud, a->component, e.msg);
            t->res->repaired++;
            if (ge_store_drop_tree(&t->s, a->sha256, err) < 0)
                goto out;
        }
        if (t->s.readonly) { /* read as it is: what it lacks cannot be put there */
            add_job(t, jobs, &nj, a, origin);
        } else if (ge_store_has_archive(&t->s, a->sha256, a->size)) {
            t->res->cached++;
            queue(t, a->sha256, true);
        } else {
            add_job(t, jobs, &nj, a, origin);
        }
    }
    if (nj && t->s.readonly) {
        ge_err_set(err, GE_EXIT_FAILURE, "the shared cache %s is read-only to this user and lacks %zu archive%s of "
                   "gpuenv.lock (%s%s)", t->s.dir, nj, nj > 1 ? "s" : "", entry_of(l, jobs[0].sha256)->component,
                   nj > 1 ? ", ..." : "");
        ge_err_hint(err, "ask its keeper to install this lock once with write access (that fills it), or set "
                         "GPUENV_CACHE_DIR to a folder of your own");
        goto out;
    }
    if (offline_refuses(t, origin, jobs, nj, err))
        goto out;
    if (round_run(t, jobs, nj, refetch, &nrefetch, err) < 0)
        goto out;
    if (nrefetch) {
        nj = 0;
        for (size_t k = 0; k < nrefetch; k++) {
            const struct ge_lock_archive *a = entry_of(l, refetch[k]);
            if (t->ev->on_repair)
                t->ev->on_repair(t->ev->ud, a->component, "the cached archive is damaged: downloading it again");
            t->res->repaired++;
            t->res->cached--;
            add_job(t, jobs, &nj, a, origin);
        }
        if (offline_refuses(t, origin, jobs, nj, err) || !(t->pool = ge_unpack_start(&t->s, unpack_threads(nj), err)))
            goto out;
        if (round_run(t, jobs, nj, refetch, &nrefetch, err) < 0)
            goto out;
        if (nrefetch) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "the archive %s was damaged again after downloading it", refetch[0]);
            goto out;
        }
    }
    rc = 0;
out:
    if (t->pool) {
        size_t ignore;
        struct ge_err ig;
        ge_err_clear(&ig);
        ge_unpack_finish(t->pool, refetch, 0, &ignore, &ig);
        t->pool = NULL;
    }
    free(jobs);
    free(refetch);
    return rc;
}

/* The activation scripts of every shell, and the start-up files 'gpuenv shell' gives bash and zsh,
 * all rendered from one list of changes for the final prefix path, written into staging. */
static int write_activation(const char *prefix, const char *staging, bool venv, const struct ge_lockfile *l,
                            struct ge_err *err)
{
    struct ge_env env;
    ge_env_for_vendor(&env, prefix, venv, l->vendor, l->hsa_override);
    for (int sh = 0; sh < GE_SHELL_COUNT; sh++) {
        const char *file = ge_shell_file((enum ge_shell)sh);
        if (!file)
            continue;
        struct ge_buf script;
        ge_buf_init(&script);
        int rc = ge_env_render(&env, (enum ge_shell)sh, false, &script) == 0
                     ? ge_store_write_text(staging, file, ge_buf_str(&script), err)
                     : ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        ge_buf_fini(&script);
        if (rc < 0)
            return -1;
    }
    char dir[PATH_MAX + 32];
    if (ge_fmt(dir, sizeof dir, "%s/shell", staging) < 0 || (mkdir(dir, 0755) < 0 && errno != EEXIST))
        return ge_err_sys(err, errno, "cannot make '%s/shell'", staging);
    int rc = 0;
    for (int k = 0; k < GE_RC_COUNT && rc == 0; k++) {
        struct ge_buf b;
        ge_buf_init(&b);
        ge_shell_rc(prefix, (enum ge_rc)k, &b);
        rc = ge_store_write_text(dir, ge_shell_rc_file((enum ge_rc)k), ge_buf_str(&b), err);
        ge_buf_fini(&b);
    }
    return rc;
}

/* CUDA_HOME users (CMake, PyTorch extensions) look in lib64, the activation in lib: NVIDIA's
 * archives use lib, a toolkit repacked from a runfile install may have only lib64. */
static int link_lib64(const char *staging, struct ge_err *err)
{
    char p[PATH_MAX + 64], q[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/lib", staging);
    snprintf(q, sizeof q, "%s/lib64", staging);
    struct stat st, st64;
    bool has_lib = lstat(p, &st) == 0, has_lib64 = lstat(q, &st64) == 0;
    if ((has_lib && !has_lib64 && symlink("lib", q) < 0) || (!has_lib && has_lib64 && symlink("lib64", p) < 0))
        return ge_err_sys(err, errno, "cannot link lib and lib64 in '%s'", staging);
    return 0;
}

int ge_install(struct ge_project *p, const struct ge_lockfile *l, const struct ge_install_opts *o,
               const struct ge_install_events *ev, struct ge_install_result *res, struct ge_err *err)
{
    static const struct ge_install_events none;
    struct txn t;
    memset(&t, 0, sizeof t);
    memset(res, 0, sizeof *res);
    t.p = p;
    t.l = l;
    t.o = o;
    t.ev = ev ? ev : &none;
    t.res = res;
    t.s.lock_fd = -1;
    struct ge_venv_txn v;
    memset(&v, 0, sizeof v);
    ge_strlcpy(v.prefix, p->prefix, sizeof v.prefix);
    char staging[PATH_MAX + 32] = "";
    bool staged_lock = false;
    int rc = -1;

    /* under the prefix's lock every staging folder is stale: left by a gpuenv that was killed */
    ge_venv_rescue(p->prefix);
    ge_store_remove_leftovers(p->prefix, ".staging-");

    char cache[3000];
    if (ge_cache_dir(cache, sizeof cache) < 0) {
        ge_err_set(err, GE_EXIT_FAILURE, "no cache folder: HOME is not set");
        ge_err_hint(err, "set GPUENV_CACHE_DIR or XDG_CACHE_HOME");
        return -1;
    }
    if (ge_store_open(&t.s, cache, err) < 0)
        return -1;
    t.s.max_unpack_ratio = o->max_unpack_ratio;
    if (l->n > 0) {
        if (ge_store_lock(&t.s, o->doing, t.ev->on_wait, t.ev->ud, err) < 0)
            goto out;
        ge_store_remove_stale_trees(&t.s); /* the cache is locked */
        if (fill_cache(&t, err) < 0)
            goto out;
    }

    /* build the new prefix beside the old one, then switch */
    snprintf(staging, sizeof staging, "%s.staging-%ld", p->prefix, (long)getpid());
    struct ge_err ignore;
    ge_err_clear(&ignore);
    ge_tree_remove(staging, &ignore);
    if (mkdir(staging, 0755) < 0) {
        ge_err_sys(err, errno, "cannot create '%s'", staging);
        staging[0] = '\0';
        goto out;
    }
    res->cache_readonly = t.s.readonly;
    for (size_t i = 0; i < l->n; i++)
        if (ge_store_link_tree(&t.s, l->archives[i].sha256, staging, l->archives[i].component, &res->placed, err) < 0)
            goto out;
    /* the trees are linked: other installs may use the cache while the venv is built */
    ge_store_unlock(&t.s);
    if (link_lib64(staging, err) < 0)
        goto out;
    /* each tree's links stay inside it; across trees, one component's link may lead through
     * another's: check the whole */
    if (ge_tree_check_links(staging, "the new environment", err) < 0)
        goto out;
    if (l->py_framework[0] && !o->no_python) {
        struct ge_venv_opts vo = {o->python_exe, o->system_site, o->quiet, o->pip_index, o->offline,
                                  t.ev->on_command, t.ev->ud};
        if (ge_venv_build(&v, l, &vo, staging, err) < 0)
            goto out;
        res->venv_built = v.built;
        res->venv_kept = v.kept;
    }
    if (write_activation(p->prefix, staging, v.staged, l, err) < 0)
        goto out;
    char record[PATH_MAX + 64];
    snprintf(record, sizeof record, "%s/gpuenv-prefix.lock", staging);
    if (ge_lock_write(record, l, err) < 0)
        goto out;
    if (o->write_lock) {
        if (ge_project_stage_lock(p, l, err) < 0)
            goto out;
        staged_lock = true;
    }
    if (ge_store_commit(staging, p->prefix, err) < 0)
        goto out;
    ge_venv_done(&v); /* switched in */
    staging[0] = '\0';
    staged_lock = false;
    if (o->write_lock && ge_project_settle_lock(p, err) < 0)
        goto out; /* the next gpuenv settles it */
    /* 'cache list' says who uses an entry, and 'cache clean' keeps what a prefix needs; a cache
     * that cannot take the record is no reason to fail an install that is done */
    struct ge_err reg;
    ge_err_clear(&reg);
    if (l->n > 0)
        (void)ge_store_register_prefix(&t.s, p->prefix, &reg);
    rc = 0;
out:
    if (rc < 0)
        ge_venv_undo(&v, staging);
    if (staged_lock)
        ge_project_abandon_lock(p);
    if (staging[0]) {
        struct ge_err ig;
        ge_err_clear(&ig);
        ge_tree_remove(staging, &ig);
    }
    ge_store_close(&t.s);
    return rc;
}
