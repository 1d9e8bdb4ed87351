/* cmd_install.c: 'gpuenv install' and 'gpuenv lock': resolve, then pin NVIDIA's archives in
 * gpuenv.lock and (install) download, verify, unpack and switch them into the project's prefix. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activate.h"
#include "cmds.h"
#include "extract.h"
#include "fetch.h"
#include "host.h"
#include "lock.h"
#include "manifest.h"
#include "matrix.h"
#include "out.h"
#include "pyenv.h"
#include "resolve.h"
#include "store.h"
#include "str.h"

#define DEFAULT_ORIGIN "https://developer.download.nvidia.com"

/* A complete development toolkit: compiler, runtime, headers and the math libraries. A
 * component a release's manifest lacks is skipped with a note. */
static const char *const default_components[] = {
    "cuda_nvcc", "cuda_cudart", "cuda_cccl", "cuda_crt", "cuda_nvvm", "cuda_nvrtc", "cuda_nvtx",
    "cuda_cupti", "cuda_cuobjdump", "cuda_nvdisasm", "cuda_nvprune", "cuda_cuxxfilt", "cuda_profiler_api",
    "libcublas", "libcufft", "libcurand", "libcusolver", "libcusparse", "libnpp", "libnvjitlink",
    "libnvjpeg", "cudnn", NULL,
};

enum {
    OPT_JSON, OPT_DIR, OPT_PREFIX, OPT_COMPONENTS, OPT_MIRROR, OPT_LOCKED, OPT_JOBS,
    OPT_STRICT, OPT_DRIVER, OPT_GPU, OPT_PYTHON, OPT_PLATFORM, OPT_ARCH,
    OPT_NO_PYTHON, OPT_PYTHON_ONLY, OPT_PYTORCH_MIRROR, OPT_SYSTEM_SITE,
};

static const struct ge_opt install_opts[] = {
    [OPT_JSON] = {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL},
    [OPT_DIR] = {"directory", 'C', true, "DIR", "the project folder (default: the current one)", NULL},
    [OPT_PREFIX] = {"prefix", 0, true, "DIR", "install into DIR instead of the project's .gpuenv", NULL},
    [OPT_COMPONENTS] = {"components", 0, true, "LIST",
                        "NVIDIA component names, comma-separated (default: a development toolkit and cuDNN)", NULL},
    [OPT_MIRROR] = {"mirror", 0, true, "URL", "origin to download from instead of developer.download.nvidia.com", NULL},
    [OPT_LOCKED] = {"locked", 0, false, NULL, "fail if the request and gpuenv.lock disagree", NULL},
    [OPT_JOBS] = {"jobs", 'j', true, "N", "downloads at once (default 4)", NULL},
    [OPT_STRICT] = {"strict", 0, false, NULL, "require the driver to run the toolkit natively", NULL},
    [OPT_DRIVER] = {"driver", 0, true, "VERSION", "resolve for a machine with this driver instead of probing", NULL},
    [OPT_GPU] = {"gpu", 0, true, "CC", "resolve for a GPU of this compute capability (repeatable)",
                 "5.0 5.2 6.0 6.1 7.0 7.5 8.0 8.6 8.7 8.9 9.0 10.0 10.3 11.0 12.0 12.1"},
    [OPT_PYTHON] = {"python", 0, true, "X.Y|PATH",
                    "resolve for this Python version; a path names the interpreter for the framework's venv",
                    "3.9 3.10 3.11 3.12 3.13 3.14"},
    [OPT_PLATFORM] = {"platform", 0, true, "OS", "linux (installing for windows is not supported)", "linux"},
    [OPT_ARCH] = {"arch", 0, true, "ARCH", "x86_64 or aarch64 (linux-sbsa archives)", "x86_64 aarch64"},
    [OPT_NO_PYTHON] = {"no-python", 0, false, NULL, "install only the NVIDIA parts, no framework venv", NULL},
    [OPT_PYTHON_ONLY] = {"python-only", 0, false, NULL, "install only the framework's venv", NULL},
    [OPT_PYTORCH_MIRROR] = {"pytorch-mirror", 0, true, "URL", "origin instead of https://download.pytorch.org",
                            NULL},
    [OPT_SYSTEM_SITE] = {"system-site-packages", 0, false, NULL,
                         "let the venv see the interpreter's own packages (a framework installed there)", NULL},
    {NULL, 0, false, NULL, NULL, NULL},
};

struct opts {
    bool json, locked, write_only, no_python, python_only, system_site;
    const char *dir, *prefix, *components, *mirror, *python, *platform, *arch, *pytorch_mirror;
    const char *python_exe; /* --python PATH */
    char python_xy[16];     /* its version, what the plan is resolved for */
    int jobs;
    struct ge_resolve_opts ro;
    struct ge_host_req req;
    int nreqs;
    char **reqs;
};

struct run {
    char project[PATH_MAX], prefix[PATH_MAX], lockpath[PATH_MAX + 16];
    /* the venv while it is built: the previous one moved aside, a prefix made just for it */
    bool venv_aside, venv_staged, prefix_made, venv_built;
    cJSON *check;           /* the framework's check, after installing */
    char notes[8][300];
    int nnotes;
    size_t downloaded, cached;
    uint64_t downloaded_bytes;
};

static void note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct run *r, const char *fmt, ...)
{
    if (r->nnotes >= 8)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->nnotes++], sizeof r->notes[0], fmt, ap);
    va_end(ap);
}

/* ---- manifests ---- */

/* The manifest of kind (cuda, cudnn) for version, from GPUENV_MANIFEST_PATH first, then the
 * data folder's redist/: exactly that version, else the newest one of its minor (with a note). */
static struct ge_manifest *find_manifest(const char *datadir, const char *kind, const char *version,
                                         struct run *r, char *found, size_t fsize, struct ge_err *err)
{
    char dirs[16][2048];
    int nd = 0;
    const char *mp = getenv("GPUENV_MANIFEST_PATH");
    if (mp && mp[0]) {
        char *copy = strdup(mp), *save = NULL;
        for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t && nd < 15; t = strtok_r(NULL, ":", &save))
            snprintf(dirs[nd++], sizeof dirs[0], "%.2000s", t);
        free(copy);
    }
    snprintf(dirs[nd++], sizeof dirs[0], "%.2000s/redist", datadir);
    struct ge_version want;
    if (ge_version_parse(&want, version, 2, 4) < 0)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "malformed %s version '%s'", kind, version), NULL;
    char best[4096] = "";
    struct ge_version bestv = {{0}, 0};
    for (int i = 0; i < nd; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%.2047s/%.8s/redistrib_%u.%u.%u.json", dirs[i], kind, (unsigned)want.part[0],
                 (unsigned)want.part[1], (unsigned)want.part[2]);
        if (access(p, R_OK) == 0) {
            snprintf(best, sizeof best, "%s", p);
            bestv = want;
            bestv.n = 3;
            break;
        }
    }
    if (!best[0]) {
        /* the newest manifest of the same minor, from the first folder that has one: a site's
         * folder in GPUENV_MANIFEST_PATH wins over the shipped ones */
        for (int i = 0; i < nd && !best[0]; i++) {
            char sub[2100];
            snprintf(sub, sizeof sub, "%.2047s/%.8s", dirs[i], kind);
            char cand[4096];
            for (unsigned patch = 0; patch < 20; patch++) {
                struct ge_version v = {{want.part[0], want.part[1], patch, 0}, 3};
                snprintf(cand, sizeof cand, "%s/redistrib_%u.%u.%u.json", sub, (unsigned)v.part[0],
                         (unsigned)v.part[1], patch);
                if (access(cand, R_OK) == 0 && ge_version_cmp(&v, &bestv) > 0) {
                    bestv = v;
                    snprintf(best, sizeof best, "%s", cand);
                }
            }
        }
        if (best[0]) {
            char bv[32];
            note(r, "no manifest for %s %s: installing %s, the newest %u.%u release with one", kind, version,
                 ge_version_format(&bestv, bv, sizeof bv), (unsigned)want.part[0], (unsigned)want.part[1]);
        }
    }
    if (!best[0]) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "no NVIDIA manifest for %s %u.%u in %s/redist or GPUENV_MANIFEST_PATH", kind,
                   (unsigned)want.part[0], (unsigned)want.part[1], datadir);
        ge_err_hint(err, "put NVIDIA's redistrib_X.Y.Z.json in a folder's %s/ and name the folder in "
                         "GPUENV_MANIFEST_PATH, or pick a version gpuenv ships ('gpuenv matrix')", kind);
        return NULL;
    }
    ge_strlcpy(found, best, fsize);
    return ge_manifest_load(best, err);
}

static bool wanted(const char *components, const char *name)
{
    if (!components) {
        for (const char *const *c = default_components; *c; c++)
            if (strcmp(*c, name) == 0)
                return true;
        return false;
    }
    size_t nl = strlen(name);
    for (const char *p = components; *p;) {
        size_t n = strcspn(p, ", ");
        if (n == nl && strncmp(p, name, n) == 0)
            return true;
        p += n;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return false;
}

static int add_archives(struct ge_lockfile *l, const struct ge_manifest *m, const char *package, const char *kind,
                        const char *platform, const char *variant, const char *components, struct run *r,
                        struct ge_err *err)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct ge_archive_ref *a = &m->items[i];
        if (strcmp(a->platform, platform) != 0 || strcmp(a->variant, variant) != 0 ||
            !wanted(components, a->component))
            continue;
        struct ge_lock_archive la;
        memset(&la, 0, sizeof la);
        ge_strlcpy(la.package, package, sizeof la.package);
        ge_strlcpy(la.component, a->component, sizeof la.component);
        ge_strlcpy(la.version, a->version, sizeof la.version);
        ge_strlcpy(la.platform, a->platform, sizeof la.platform);
        ge_strlcpy(la.variant, a->variant, sizeof la.variant);
        snprintf(la.url_path, sizeof la.url_path, "compute/%s/redist/%s", kind, a->relative_path);
        la.size = a->size;
        memcpy(la.sha256, a->sha256, sizeof la.sha256);
        if (ge_lock_add(l, &la, err) < 0)
            return -1;
    }
    /* name what was asked for and is not there */
    const char *const *list = default_components;
    char explicit[64][64];
    int ne = 0;
    if (components) {
        for (const char *p = components; *p && ne < 64;) {
            size_t n = strcspn(p, ", ");
            if (n && n < 64) {
                memcpy(explicit[ne], p, n);
                explicit[ne++][n] = '\0';
            }
            p += n;
            while (*p == ',' || *p == ' ')
                p++;
        }
    }
    int total = components ? ne : 0;
    if (!components)
        while (list[total])
            total++;
    struct ge_buf skipped;
    ge_buf_init(&skipped);
    for (int k = 0; k < total; k++) {
        const char *name = components ? explicit[k] : list[k];
        bool is_cudnn = strcmp(name, "cudnn") == 0;
        if (is_cudnn != (strcmp(kind, "cudnn") == 0))
            continue;
        bool found = false;
        for (size_t i = 0; i < l->n && !found; i++)
            found = strcmp(l->archives[i].component, name) == 0;
        if (!found && components) {
            ge_buf_fini(&skipped);
            return ge_err_set(err, GE_EXIT_USAGE, "component '%s' is not in the %s manifest for %s", name, kind, platform);
        }
        if (!found)
            ge_buf_addf(&skipped, "%s%s", skipped.len ? ", " : "", name);
    }
    if (skipped.len)
        note(r, "not in this %s release's manifest for %s, so skipped: %s", kind, platform, ge_buf_str(&skipped));
    ge_buf_fini(&skipped);
    return 0;
}

/* ---- building the wanted lock ---- */

static int plan_lock(struct ge_ctx *ctx, const struct opts *o, struct run *r, struct ge_lockfile *want,
                     struct ge_host_view *hv)
{
    char dir[4096];
    if (ge_matrix_find_dir(dir, sizeof dir, &ctx->err) < 0)
        return -1;
    struct ge_matrix *m = ge_matrix_load(dir, &ctx->err);
    if (!m)
        return -1;
    int rc = -1;
    struct ge_req reqs[GE_LOCK_MAX_REQS];
    struct ge_plan plan;
    struct ge_manifest *cm = NULL, *dm = NULL;
    ge_plan_init(&plan);
    if (o->nreqs > GE_LOCK_MAX_REQS) {
        ge_cli_usage(ctx, "at most %d requirements", GE_LOCK_MAX_REQS);
        goto out;
    }
    for (int i = 0; i < o->nreqs; i++)
        if (ge_req_parse(&reqs[i], o->reqs[i], &ctx->err) < 0)
            goto out;
    if (ge_host_gather(&o->req, o->python, o->platform, o->arch, m, hv, &ctx->err) < 0)
        goto out;
    if (strcmp(hv->f.platform, "linux") != 0) {
        ge_cli_usage(ctx, "gpuenv installs Linux toolkits only, not %s", hv->f.platform);
        goto out;
    }
    if (!hv->f.driver_known && !hv->f.driver_cuda_known) {
        ge_log_warn("the driver was not checked: %s", hv->driver_note[0] ? hv->driver_note : "none given");
        if (ge_log_level() >= GE_LOG_NORMAL)
            ge_log_hint("describe the machine with --driver VERSION (and --gpu CC)");
    }
    if (ge_resolve(m, &hv->f, reqs, o->nreqs, &o->ro, &plan, &ctx->err) < 0)
        goto out;
    const struct ge_plan_pkg *tk = NULL, *cd = NULL;
    for (int i = 0; i < plan.npkgs; i++) {
        if (strcmp(plan.pkgs[i].name, "cuda-toolkit") == 0)
            tk = &plan.pkgs[i];
        if (strcmp(plan.pkgs[i].name, "cudnn") == 0)
            cd = &plan.pkgs[i];
    }
    /* What to install. A framework's venv when the plan holds one; the NVIDIA toolkit and cuDNN
     * when there is no framework, when it loads them from the prefix at run time, or when the
     * request names them (to compile extensions against the framework's CUDA). */
    struct ge_py_plan py;
    ge_py_plan_from(&plan, o->pytorch_mirror, &py);
    bool named = false;
    for (int i = 0; i < o->nreqs; i++)
        named = named || strcmp(reqs[i].name, "cuda-toolkit") == 0 || strcmp(reqs[i].name, "cudnn") == 0;
    bool want_py = py.framework[0] && !o->no_python;
    bool want_nvidia = !py.framework[0] || py.needs_toolkit || named || o->no_python;
    if (o->python_only) {
        if (!py.framework[0]) {
            ge_cli_usage(ctx, "--python-only, but the request holds no framework (torch, tensorflow or jax)");
            goto out;
        }
        want_nvidia = false;
    }
    if (want_py) {
        if (!py.python[0]) {
            ge_err_set(&ctx->err, GE_EXIT_USAGE, "no Python version to make the %s environment for", py.framework);
            ge_err_hint(&ctx->err, "give --python X.Y or an interpreter's path");
            goto out;
        }
        ge_strlcpy(want->py_framework, py.framework, sizeof want->py_framework);
        ge_strlcpy(want->py_framework_version, py.version, sizeof want->py_framework_version);
        ge_strlcpy(want->py_python, py.python, sizeof want->py_python);
        ge_strlcpy(want->py_index, py.index_url, sizeof want->py_index);
        for (int i = 0; i < py.n && i < GE_LOCK_MAX_PY_REQS; i++)
            ge_strlcpy(want->py_reqs[want->py_n++], py.reqs[i], sizeof want->py_reqs[0]);
    }
    if (want_nvidia && !tk) {
        ge_err_set(&ctx->err, GE_EXIT_NO_SOLUTION, "the plan names no CUDA toolkit to install");
        goto out;
    }
    const char *plat = strcmp(hv->f.arch, "aarch64") == 0 ? "linux-sbsa" : "linux-x86_64";
    ge_strlcpy(want->platform, plat, sizeof want->platform);
    for (int i = 0; i < o->nreqs; i++)
        ge_strlcpy(want->reqs[want->nreqs++], o->reqs[i], sizeof want->reqs[0]);
    if (hv->f.driver_known)
        ge_strlcpy(want->host_driver, hv->f.driver.s, sizeof want->host_driver);
    for (int g = 0; hv->f.gpus_known && g < hv->f.ngpus; g++) {
        char cc[8];
        size_t l = strlen(want->host_gpus);
        snprintf(want->host_gpus + l, sizeof want->host_gpus - l, "%s%s", g ? "," : "",
                 ge_cc_format(hv->f.gpus[g], cc, sizeof cc));
    }
    if (hv->f.python_known)
        ge_strlcpy(want->host_python, hv->f.python.s, sizeof want->host_python);

    if (want_nvidia) {
        char found[4096];
        if (!(cm = find_manifest(dir, "cuda", tk->version, r, found, sizeof found, &ctx->err)))
            goto out;
        ge_strlcpy(want->cuda, cm->label[0] ? cm->label : tk->version, sizeof want->cuda);
        if (!cm->label[0]) { /* the oldest manifests have no label: the file name tells */
            const char *b = strrchr(found, '_');
            if (b) {
                snprintf(want->cuda, sizeof want->cuda, "%.*s", (int)(strlen(b + 1) - 5), b + 1);
            }
        }
        if (add_archives(want, cm, "cuda-toolkit", "cuda", plat, "", o->components, r, &ctx->err) < 0)
            goto out;
        if (cd && wanted(o->components, "cudnn")) {
            if (!(dm = find_manifest(dir, "cudnn", cd->version, r, found, sizeof found, &ctx->err)))
                goto out;
            ge_strlcpy(want->cudnn, cd->version, sizeof want->cudnn);
            ge_strlcpy(want->cudnn_build, cd->build, sizeof want->cudnn_build);
            for (size_t i = 0; i < dm->n; i++)
                if (strcmp(dm->items[i].component, "cudnn") == 0 && strcmp(dm->items[i].variant, cd->build) == 0)
                    ge_strlcpy(want->cudnn, dm->items[i].version, sizeof want->cudnn);
            if (add_archives(want, dm, "cudnn", "cudnn", plat, cd->build, o->components, r, &ctx->err) < 0)
                goto out;
        } else if (!cd && wanted(o->components, "cudnn")) {
            note(r, "no cuDNN in the plan: none installed");
        }
        if (want->n == 0) {
            ge_cli_usage(ctx, "nothing to install: no component matches '%s'", o->components ? o->components : "");
            goto out;
        }
    }
    rc = 0;
out:
    ge_manifest_free(cm);
    ge_manifest_free(dm);
    ge_plan_fini(&plan);
    ge_matrix_free(m);
    return rc;
}

/* ---- installing a lock ---- */

/* Unpacking runs while downloads go on: an archive is queued as soon as it is in the cache
 * (already there, or just downloaded and verified), so xz decoding, the bulk of a cold install,
 * overlaps the transfers. An archive decodes on one core (liblzma through libarchive has no
 * threaded decoder), so there is a thread per archive, up to twice the cores: the kernel then
 * shares the cores among all of them, and the install ends near total work / cores instead of
 * idling a core while one long archive finishes behind another (measured by tests/bench). The
 * cap bounds memory: each decoder holds the archive's xz dictionary. */
struct unpack_work {
    struct ge_store *s;
    const struct ge_lockfile *l;
    size_t *queue;     /* indexes into l->archives, in the order they became ready */
    size_t qn, qhead;
    bool closed;       /* no more will come */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ge_err err; /* the first failure */
    pthread_t th[16];
    size_t nthreads;
};

static void *unpack_worker(void *arg)
{
    struct unpack_work *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (w->qhead == w->qn && !w->closed)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->qhead == w->qn || w->err.status != 0) {
            pthread_mutex_unlock(&w->mu);
            return NULL;
        }
        size_t i = w->queue[w->qhead++];
        pthread_mutex_unlock(&w->mu);
        struct ge_err e;
        ge_err_clear(&e);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = ge_store_unpack(w->s, w->l->archives[i].sha256, &e);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ge_log_debug("unpacked %s in %.2f s", w->l->archives[i].component,
                     (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        if (rc < 0) {
            pthread_mutex_lock(&w->mu);
            if (w->err.status == 0)
                w->err = e;
            pthread_mutex_unlock(&w->mu);
        }
    }
}

/* Queue the archive with this digest, once (a lock may list one archive for two components). */
static void unpack_ready(struct unpack_work *w, const char *sha256)
{
    pthread_mutex_lock(&w->mu);
    bool queued = false;
    for (size_t k = 0; k < w->qn; k++)
        queued = queued || strcmp(w->l->archives[w->queue[k]].sha256, sha256) == 0;
    for (size_t i = 0; i < w->l->n && !queued; i++)
        if (strcmp(w->l->archives[i].sha256, sha256) == 0) {
            w->queue[w->qn++] = i;
            queued = true;
        }
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static int unpack_start(struct unpack_work *w, struct ge_store *s, const struct ge_lockfile *l, struct ge_err *err)
{
    memset(w, 0, sizeof *w);
    w->s = s;
    w->l = l;
    if (ge_extract_prepare(err) < 0)
        return -1;
    w->queue = calloc(l->n ? l->n : 1, sizeof *w->queue);
    if (!w->queue)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = cores > 1 ? 2 * (size_t)cores : 2;
    if (nt > l->n)
        nt = l->n ? l->n : 1;
    if (nt > 16)
        nt = 16;
    for (size_t i = 0; i < nt; i++)
        if (pthread_create(&w->th[w->nthreads], NULL, unpack_worker, w) == 0)
            w->nthreads++;
    if (w->nthreads == 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w->queue);
        w->queue = NULL;
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot start unpacking threads");
    }
    return 0;
}

/* No more archives: let the workers finish what is queued. 0, or -1 with the first failure. */
static int unpack_finish(struct unpack_work *w, struct ge_err *err)
{
    pthread_mutex_lock(&w->mu);
    w->closed = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < w->nthreads; i++)
        pthread_join(w->th[i], NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->queue);
    w->queue = NULL;
    if (w->err.status != 0) {
        if (err->status == 0)
            *err = w->err;
        return -1;
    }
    return 0;
}

struct progress {
    struct run *r;
    struct unpack_work *w;
};

static void bar(char *out, size_t size, uint64_t done, uint64_t total)
{
    int width = 24, fill = total ? (int)((double)done / (double)total * width) : 0;
    if (fill > width)
        fill = width;
    char b[32];
    for (int i = 0; i < width; i++)
        b[i] = i < fill ? '#' : '.';
    b[width] = '\0';
    snprintf(out, size, "[%s] %3d%%", b, total ? (int)(100.0 * (double)done / (double)total) : 0);
}

/* On a terminal: a bar per file being downloaded and one for the total. */
static void on_progress(void *ud, const struct ge_fetch_job *jobs, size_t n)
{
    (void)ud;
    if (!ge_log_progress_enabled())
        return;
    static char text[9][200];
    const char *lines[9];
    int k = 0;
    uint64_t done = 0, total = 0;
    size_t finished = 0;
    for (size_t i = 0; i < n; i++) {
        done += jobs[i].done;
        total += jobs[i].size;
        finished += jobs[i].status == 0;
        if (jobs[i].status != -1 || jobs[i].attempts == 0 || k >= 8)
            continue; /* only transfers under way */
        const char *base = strrchr(jobs[i].url, '/');
        char b[48];
        bar(b, sizeof b, jobs[i].done, jobs[i].size);
        snprintf(text[k], sizeof text[k], "  %-44.44s %s %8.1f MiB", base ? base + 1 : jobs[i].url, b,
                 (double)jobs[i].size / 1048576.0);
        lines[k] = text[k];
        k++;
    }
    char b[48];
    bar(b, sizeof b, done, total);
    snprintf(text[k], sizeof text[k], "downloading %zu/%zu %-30s %s %8.1f MiB", finished, n, "", b,
             (double)total / 1048576.0);
    lines[k] = text[k];
    ge_log_progress(lines, k + 1);
}

static void on_done(void *ud, const struct ge_fetch_job *j)
{
    struct progress *p = ud;
    if (j->status == 0) {
        unpack_ready(p->w, j->sha256);
        p->r->downloaded++;
        p->r->downloaded_bytes += j->received;
        const char *base = strrchr(j->url, '/');
        ge_log_info("downloaded %s (%.1f MiB%s)", base ? base + 1 : j->url, (double)j->size / 1048576.0,
                    j->resumed ? ", resumed" : "");
    }
}

/* The activation scripts of every shell, and the start-up files 'gpuenv shell' gives bash and zsh,
 * all rendered from one list of changes for the final prefix path, written into staging. */
static int write_file(const char *dir, const char *name, const char *text, struct ge_err *err)
{
    char p[PATH_MAX + 64];
    if (ge_fmt(p, sizeof p, "%s/%s", dir, name) < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "path too long: %s/%s", dir, name);
    FILE *f = fopen(p, "w");
    bool ok = f && fputs(text, f) >= 0;
    ok = (f && fclose(f) == 0) && ok;
    if (!ok)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot write '%s': %s", p, strerror(errno));
    return 0;
}

/* ---- the framework's venv ----
 * A venv holds its own path (in scripts' #! lines and its activate), so it is made where it will
 * live, <prefix>/venv, with the previous one moved aside to venv.old-gpuenv; when it is ready it
 * moves into staging, which is then switched in whole. Until then a failure puts the previous one
 * back, and after a kill the next gpuenv does (under the prefix's lock). */

#define VENV_ASIDE "venv.old-gpuenv"
#define PREFIX_MADE ".gpuenv-made-for-venv"

static int pjoin(char *out, size_t size, const char *a, const char *b)
{
    return ge_fmt(out, size, "%s/%s", a, b);
}

static int take_venv_back(const char *staging, void *venv)
{
    char staged[PATH_MAX + 32];
    return ge_fmt(staged, sizeof staged, "%s/venv", staging) == 0 && rename(staged, venv) == 0;
}

/* Undo what a killed gpuenv left: the previous venv moved aside, a venv moved into a staging
 * folder that was never switched in, a prefix made only to build a venv in. */
static void rescue_venv(const char *prefix)
{
    char v[PATH_MAX + 32], aside[PATH_MAX + 32], made[PATH_MAX + 32], marker[PATH_MAX + 32];
    struct ge_err ig;
    ge_err_clear(&ig);
    if (pjoin(v, sizeof v, prefix, "venv") < 0 || pjoin(aside, sizeof aside, prefix, VENV_ASIDE) < 0 ||
        pjoin(made, sizeof made, prefix, PREFIX_MADE) < 0 || pjoin(marker, sizeof marker, prefix, "gpuenv-prefix.lock") < 0)
        return;
    if (access(aside, F_OK) == 0) {
        ge_store_remove_tree(v, &ig);
        rename(aside, v);
    }
    if (access(made, F_OK) == 0 && access(marker, F_OK) != 0) {
        ge_store_remove_tree(prefix, &ig);
        return;
    }
    if (access(v, F_OK) == 0 || access(marker, F_OK) != 0)
        return;
    /* the prefix lost its venv to a staging folder: take it back */
    ge_store_each_leftover(prefix, ".staging-", take_venv_back, v);
}

/* Put things back after a failure before the switch. */
static void undo_venv(struct run *r, const char *staging)
{
    char v[PATH_MAX + 32], aside[PATH_MAX + 32], staged[PATH_MAX + 64];
    struct ge_err ig;
    ge_err_clear(&ig);
    pjoin(v, sizeof v, r->prefix, "venv");
    pjoin(aside, sizeof aside, r->prefix, VENV_ASIDE);
    if (r->venv_staged && staging[0] && pjoin(staged, sizeof staged, staging, "venv") == 0) {
        if (r->venv_built)
            ge_store_remove_tree(staged, &ig);
        else
            rename(staged, v); /* a reused venv goes back unchanged */
    } else if (r->venv_built) {
        ge_store_remove_tree(v, &ig);
    }
    if (r->venv_aside)
        rename(aside, v);
    if (r->prefix_made)
        ge_store_remove_tree(r->prefix, &ig);
    r->venv_aside = r->venv_staged = r->prefix_made = r->venv_built = false;
}

static void show_command(char *const argv[])
{
    if (ge_log_level() < GE_LOG_NORMAL)
        return;
    struct ge_buf b;
    ge_buf_init(&b);
    for (int i = 0; argv[i]; i++) {
        if (i)
            ge_buf_adds(&b, " ");
        if (strpbrk(argv[i], " '\"$\\`!*?[]()<>|&;"))
            ge_sh_quote(&b, argv[i]);
        else
            ge_buf_adds(&b, argv[i]);
    }
    fprintf(stderr, "gpuenv: running %s\n", ge_buf_str(&b));
    ge_buf_fini(&b);
}

static int build_venv(struct ge_ctx *ctx, const struct opts *o, struct run *r, const struct ge_lockfile *l,
                      const char *staging)
{
    struct ge_py_plan py;
    memset(&py, 0, sizeof py);
    ge_strlcpy(py.framework, l->py_framework, sizeof py.framework);
    ge_strlcpy(py.python, l->py_python, sizeof py.python);
    ge_strlcpy(py.index_url, l->py_index, sizeof py.index_url);
    for (int i = 0; i < l->py_n; i++)
        ge_strlcpy(py.reqs[py.n++], l->py_reqs[i], sizeof py.reqs[0]);
    struct ge_buf txt;
    ge_buf_init(&txt);
    ge_py_requirements_txt(&py, &txt);
    char req[PATH_MAX + 64], v[PATH_MAX + 32], aside[PATH_MAX + 32], vpy[PATH_MAX + 64], staged[PATH_MAX + 64];
    int rc = -1;
    if (pjoin(req, sizeof req, staging, "requirements.txt") < 0 || pjoin(v, sizeof v, r->prefix, "venv") < 0 ||
        pjoin(aside, sizeof aside, r->prefix, VENV_ASIDE) < 0 || pjoin(vpy, sizeof vpy, v, "bin/python") < 0 ||
        pjoin(staged, sizeof staged, staging, "venv") < 0) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "path too long: %s", r->prefix);
        goto out;
    }
    if (write_file(staging, "requirements.txt", ge_buf_str(&txt), &ctx->err) < 0)
        goto out;
    /* the same requirements for the same Python as the venv there: keep it */
    char have_req[PATH_MAX + 64], xy[16];
    struct ge_err ig;
    ge_err_clear(&ig);
    char *old = pjoin(have_req, sizeof have_req, r->prefix, "requirements.txt") == 0
                    ? ge_read_file(have_req, 1 << 20, NULL) : NULL;
    bool same = old && strcmp(old, ge_buf_str(&txt)) == 0 && access(vpy, X_OK) == 0 &&
                ge_py_version_of(vpy, xy, sizeof xy, &ig) == 0 && strcmp(xy, l->py_python) == 0;
    free(old);
    if (same) {
        ge_log_info("the venv in %s already holds these requirements: kept", r->prefix);
    } else {
        char exe[PATH_MAX];
        if (ge_py_find(o->python_exe, l->py_python, exe, sizeof exe, &ctx->err) < 0)
            goto out;
        struct stat st;
        if (stat(r->prefix, &st) < 0) {
            if (mkdir(r->prefix, 0755) < 0) {
                ge_err_set(&ctx->err, GE_EXIT_FAILURE, "cannot create '%s': %s", r->prefix, strerror(errno));
                goto out;
            }
            r->prefix_made = true;
            if (write_file(r->prefix, PREFIX_MADE, "", &ctx->err) < 0)
                goto out;
        }
        if (access(v, F_OK) == 0) {
            if (rename(v, aside) < 0) {
                ge_err_set(&ctx->err, GE_EXIT_FAILURE, "cannot move '%s' aside: %s", v, strerror(errno));
                goto out;
            }
            r->venv_aside = true;
        }
        r->venv_built = true;
        char *mk[6];
        int n = 0;
        mk[n++] = exe;
        mk[n++] = "-m";
        mk[n++] = "venv";
        if (o->system_site) {
            mk[n++] = "--system-site-packages";
            /* without ensurepip (Debian's python3-venv missing) the interpreter's own pip serves */
            char *probe[] = {exe, "-c", "import ensurepip", NULL}, *pip_probe[] = {exe, "-m", "pip", "--version", NULL};
            struct ge_err pe;
            ge_err_clear(&pe);
            if (ge_py_quiet(probe, &pe) < 0 && ge_py_quiet(pip_probe, &pe) == 0)
                mk[n++] = "--without-pip";
        }
        mk[n++] = v;
        mk[n] = NULL;
        show_command(mk);
        if (ge_py_run(mk, &ctx->err) < 0) {
            ge_err_hint(&ctx->err, "Debian and Ubuntu keep venv in the python3-venv package (python%s-venv)",
                        l->py_python);
            goto out;
        }
        if (o->system_site && ge_py_see_parent(exe, vpy, &ctx->err) < 0)
            goto out;
        char *pip[12];
        int k = 0;
        pip[k++] = vpy;
        pip[k++] = "-m";
        pip[k++] = "pip";
        pip[k++] = "install";
        pip[k++] = "--disable-pip-version-check";
        pip[k++] = "--no-input";
        if (ge_log_level() < GE_LOG_NORMAL)
            pip[k++] = "-q";
        pip[k++] = "-r";
        pip[k++] = req;
        pip[k] = NULL;
        show_command(pip);
        if (ge_py_run(pip, &ctx->err) < 0) {
            ge_err_hint(&ctx->err, "pip's messages above say why; the previous environment is unchanged");
            goto out;
        }
    }
    if (rename(v, staged) < 0) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "cannot move '%s' into '%s': %s", v, staging, strerror(errno));
        goto out;
    }
    r->venv_staged = true;
    rc = 0;
out:
    ge_buf_fini(&txt);
    return rc;
}

static int write_activation(const char *prefix, const char *staging, bool venv, struct ge_err *err)
{
    struct ge_env env;
    ge_env_for_prefix(&env, prefix, venv);
    for (int sh = 0; sh < GE_SHELL_COUNT; sh++) {
        const char *file = ge_shell_file((enum ge_shell)sh);
        if (!file)
            continue;
        struct ge_buf script;
        ge_buf_init(&script);
        int rc = ge_env_render(&env, (enum ge_shell)sh, false, &script) == 0
                     ? write_file(staging, file, ge_buf_str(&script), err)
                     : ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        ge_buf_fini(&script);
        if (rc < 0)
            return -1;
    }
    char dir[PATH_MAX + 32];
    if (ge_fmt(dir, sizeof dir, "%s/shell", staging) < 0 || (mkdir(dir, 0755) < 0 && errno != EEXIST))
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot make '%s/shell': %s", staging, strerror(errno));
    int rc = 0;
    for (int k = 0; k < GE_RC_COUNT && rc == 0; k++) {
        struct ge_buf b;
        ge_buf_init(&b);
        ge_shell_rc(prefix, (enum ge_rc)k, &b);
        rc = write_file(dir, ge_shell_rc_file((enum ge_rc)k), ge_buf_str(&b), err);
        ge_buf_fini(&b);
    }
    return rc;
}

static int install_lock(struct ge_ctx *ctx, const struct opts *o, struct run *r, const struct ge_lockfile *l)
{
    char cache[3000];
    if (ge_cache_dir(cache, sizeof cache) < 0) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "no cache folder: HOME is not set");
        ge_err_hint(&ctx->err, "set GPUENV_CACHE_DIR or XDG_CACHE_HOME");
        return -1;
    }
    struct ge_store s;
    if (ge_store_open(&s, cache, &ctx->err) < 0 || ge_store_lock(&s, &ctx->err) < 0)
        return -1;
    int rc = -1, prefix_lock = -1;
    char staging[PATH_MAX + 32] = "";
    struct ge_fetch_job *jobs = calloc(l->n ? l->n : 1, sizeof *jobs);
    if (!jobs) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    ge_store_remove_stale_trees(&s); /* the cache is locked */
    struct unpack_work w;
    if (unpack_start(&w, &s, l, &ctx->err) < 0)
        goto out;
    const char *origin = o->mirror ? o->mirror : getenv("GPUENV_MIRROR");
    if (!origin || !origin[0])
        origin = DEFAULT_ORIGIN;
    size_t nj = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct ge_lock_archive *a = &l->archives[i];
        if (ge_store_has_archive(&s, a->sha256, a->size) || ge_store_has_tree(&s, a->sha256)) {
            r->cached++;
            unpack_ready(&w, a->sha256);
            continue;
        }
        bool dup = false; /* two components in one archive are fetched once */
        for (size_t k = 0; k < nj; k++)
            dup = dup || strcmp(jobs[k].sha256, a->sha256) == 0;
        if (dup)
            continue;
        struct ge_fetch_job *j = &jobs[nj++];
        size_t ol = strlen(origin);
        snprintf(j->url, sizeof j->url, "%.*s/%s", (int)(ol && origin[ol - 1] == '/' ? ol - 1 : ol), origin, a->url_path);
        ge_store_archive_path(&s, a->sha256, j->dest, sizeof j->dest);
        j->size = a->size;
        memcpy(j->sha256, a->sha256, sizeof j->sha256);
    }
    int fetched = 0;
    if (nj) {
        struct progress p = {r, &w};
        /* fetch's defaults (0): 4 at once, a 30 s stall limit, 500 ms before the first retry */
        struct ge_fetch_opts fo = {o->jobs, 3, 0, 0, o->json ? NULL : on_progress, on_done, &p};
        fetched = ge_fetch_run(jobs, nj, &fo, &ctx->err);
        if (!o->json && ge_log_progress_enabled()) {
            on_progress(NULL, jobs, nj); /* the final state */
            ge_log_progress_end();
        }
    }
    /* the workers stop after what is queued; a download failure, coming first, is the one reported */
    if (unpack_finish(&w, &ctx->err) < 0 || fetched < 0)
        goto out;

    /* build the new prefix beside the old one, then switch */
    char lockfile[PATH_MAX + 16];
    snprintf(lockfile, sizeof lockfile, "%s.flock", r->prefix);
    if ((prefix_lock = ge_store_lock_file(lockfile, &ctx->err)) < 0)
        goto out;
    /* under the prefix's lock every staging folder is stale: left by a gpuenv that was killed */
    struct ge_err ignore;
    ge_err_clear(&ignore);
    rescue_venv(r->prefix);
    ge_store_remove_leftovers(r->prefix, ".staging-");
    snprintf(staging, sizeof staging, "%s.staging-%ld", r->prefix, (long)getpid());
    ge_store_remove_tree(staging, &ignore);
    if (mkdir(staging, 0755) < 0) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "cannot create '%s': %s", staging, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < l->n; i++) {
        char tree[PATH_MAX];
        ge_store_tree_path(&s, l->archives[i].sha256, tree, sizeof tree);
        if (ge_store_link_tree(tree, staging, l->archives[i].component, &ctx->err) < 0)
            goto out;
    }
    /* CUDA_HOME users (CMake, PyTorch extensions) look in lib64, the activation in lib: NVIDIA's
     * archives use lib, a toolkit repacked from a runfile install may have only lib64 */
    char p[PATH_MAX + 64], q[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/lib", staging);
    snprintf(q, sizeof q, "%s/lib64", staging);
    struct stat st, st64;
    bool has_lib = stat(p, &st) == 0, has_lib64 = stat(q, &st64) == 0;
    if ((has_lib && lstat(q, &st64) < 0 && symlink("lib", q) < 0) ||
        (!has_lib && has_lib64 && lstat(p, &st) < 0 && symlink("lib64", p) < 0)) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "cannot link lib and lib64 in '%s': %s", staging, strerror(errno));
        goto out;
    }
    if (l->py_framework[0] && !o->no_python && build_venv(ctx, o, r, l, staging) < 0)
        goto out;
    if (write_activation(r->prefix, staging, r->venv_staged, &ctx->err) < 0)
        goto out;
    snprintf(p, sizeof p, "%s/gpuenv-prefix.lock", staging);
    if (ge_lock_write(p, l, &ctx->err) < 0)
        goto out;
    if (ge_store_commit(staging, r->prefix, &ctx->err) < 0)
        goto out;
    r->venv_aside = r->venv_staged = r->prefix_made = r->venv_built = false; /* switched in */
    staging[0] = '\0';
    rc = 0;
out:
    if (rc < 0)
        undo_venv(r, staging);
    if (staging[0]) {
        struct ge_err ig;
        ge_err_clear(&ig);
        ge_store_remove_tree(staging, &ig);
    }
    if (prefix_lock >= 0)
        close(prefix_lock);
    free(jobs);
    ge_store_close(&s);
    return rc;
}

/* ---- the framework's check ---- */

/* Run the framework's own check in the venv: 0 when it imports, is the build asked for, and (with
 * a GPU) multiplies right; a missing GPU is said, not failed. */
static int check_framework(struct ge_ctx *ctx, struct run *r, const struct ge_lockfile *l)
{
    char py[PATH_MAX + 32];
    if (ge_fmt(py, sizeof py, "%s/venv/bin/python", r->prefix) < 0)
        return ge_err_set(&ctx->err, GE_EXIT_FAILURE, "path too long: %s", r->prefix);
    if (!(r->check = ge_py_check(py, l->py_framework, &ctx->err)))
        return -1;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(r->check, "error");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->check, "version");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(r->check, "gpu");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r->check, "matmul");
    if (cJSON_IsString(e)) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "%s was installed but does not load: %s", l->py_framework, e->valuestring);
        ge_err_hint(&ctx->err, "'gpuenv run -- python -c \"import %s\"' shows the whole error",
                    strcmp(l->py_framework, "tensorflow") == 0 ? "tensorflow" : l->py_framework);
        return -1;
    }
    if (l->py_framework_version[0] && cJSON_IsString(v) && strcmp(v->valuestring, l->py_framework_version) != 0) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "%s reports version %s, but %s was asked for", l->py_framework,
                   v->valuestring, l->py_framework_version);
        ge_err_hint(&ctx->err, "another build came from an index in pip's configuration (PIP_INDEX_URL, pip.conf)");
        return -1;
    }
    if (cJSON_IsTrue(g) && !cJSON_IsTrue(m)) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "%s sees the GPU, but a matrix product on it came out wrong",
                   l->py_framework);
        ge_err_hint(&ctx->err, "'gpuenv detect' and 'gpuenv resolve --explain' show what the driver and GPU allow");
        return -1;
    }
    if (!cJSON_IsTrue(g))
        ge_log_warn("%s sees no GPU: on this machine it would run on the CPU", l->py_framework);
    return 0;
}

static void print_check(const cJSON *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "version"), *cu = cJSON_GetObjectItemCaseSensitive(c, "cuda"),
                *dn = cJSON_GetObjectItemCaseSensitive(c, "cudnn"), *g = cJSON_GetObjectItemCaseSensitive(c, "gpu"),
                *d = cJSON_GetObjectItemCaseSensitive(c, "device"), *m = cJSON_GetObjectItemCaseSensitive(c, "matmul"),
                *e = cJSON_GetObjectItemCaseSensitive(c, "error");
    if (cJSON_IsString(e)) {
        printf("  check: does not load: %s\n", e->valuestring);
        return;
    }
    char dnn[32] = "none";
    if (cJSON_IsNumber(dn))
        snprintf(dnn, sizeof dnn, "%d", dn->valueint);
    else if (cJSON_IsString(dn))
        ge_strlcpy(dnn, dn->valuestring, sizeof dnn);
    printf("  check: version %s, CUDA %s, cuDNN %s; ", cJSON_IsString(v) ? v->valuestring : "?",
           cJSON_IsString(cu) ? cu->valuestring : "none", dnn);
    if (cJSON_IsTrue(g))
        printf("sees %s; a matrix product on it %s\n", cJSON_IsString(d) ? d->valuestring : "a GPU",
               cJSON_IsTrue(m) ? "came out right" : "came out WRONG");
    else
        printf("sees no GPU\n");
}

/* ---- output ---- */

static cJSON *lock_json(const struct ge_lockfile *l, const struct run *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "platform", l->platform);
    ge_json_add_strn(o, "cuda", l->cuda[0] ? l->cuda : NULL);
    ge_json_add_strn(o, "cudnn", l->cudnn[0] ? l->cudnn : NULL);
    ge_json_add_strn(o, "cudnn_build", l->cudnn_build[0] ? l->cudnn_build : NULL);
    cJSON *as = cJSON_AddArrayToObject(o, "archives");
    for (size_t i = 0; i < l->n; i++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "package", l->archives[i].package);
        cJSON_AddStringToObject(a, "component", l->archives[i].component);
        cJSON_AddStringToObject(a, "version", l->archives[i].version);
        cJSON_AddStringToObject(a, "url_path", l->archives[i].url_path);
        cJSON_AddNumberToObject(a, "size", (double)l->archives[i].size);
        cJSON_AddStringToObject(a, "sha256", l->archives[i].sha256);
        cJSON_AddItemToArray(as, a);
    }
    cJSON *n = cJSON_AddArrayToObject(o, "notes");
    for (int i = 0; i < r->nnotes; i++)
        cJSON_AddItemToArray(n, cJSON_CreateString(r->notes[i]));
    return o;
}

/* ---- the commands ---- */

static int parse(struct ge_ctx *ctx, int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    ge_host_req_init(&o->req);
    struct ge_cli_iter it;
    ge_cli_iter_init(&it, ctx, argc, argv);
    const char *arg;
    int opt, rc = 0;
    while (rc == 0 && (opt = ge_cli_next(&it, &arg)) >= 0) {
        switch (opt) {
        case OPT_JSON: o->json = true; break;
        case OPT_DIR: o->dir = arg; break;
        case OPT_PREFIX: o->prefix = arg; break;
        case OPT_COMPONENTS: o->components = arg; break;
        case OPT_MIRROR: o->mirror = arg; break;
        case OPT_LOCKED: o->locked = true; break;
        case OPT_JOBS: {
            char *end;
            long v = strtol(arg, &end, 10);
            if (*end || v < 1 || v > 64)
                rc = ge_cli_usage(ctx, "invalid --jobs '%s': give 1 to 64", arg);
            o->jobs = (int)v;
            break;
        }
        case OPT_STRICT: o->ro.strict = true; break;
        case OPT_DRIVER: rc = ge_host_set_driver(&o->req, arg, "--driver", &ctx->err); break;
        case OPT_GPU: rc = ge_host_add_gpus(&o->req, arg, "--gpu", &ctx->err); break;
        case OPT_PYTHON: o->python = arg; break;
        case OPT_PLATFORM: o->platform = arg; break;
        case OPT_ARCH: o->arch = arg; break;
        case OPT_NO_PYTHON: o->no_python = true; break;
        case OPT_PYTHON_ONLY: o->python_only = true; break;
        case OPT_PYTORCH_MIRROR: o->pytorch_mirror = arg; break;
        case OPT_SYSTEM_SITE: o->system_site = true; break;
        }
    }
    int first = it.optind;
    ge_cli_iter_fini(&it);
    if (rc < 0 || opt == -2)
        return -1;
    o->nreqs = argc - first;
    o->reqs = argv + first;
    if (o->no_python && o->python_only)
        return ge_cli_usage(ctx, "--no-python and --python-only exclude each other");
    if (o->pytorch_mirror && !(ge_startswith(o->pytorch_mirror, "https://") ||
                               ge_startswith(o->pytorch_mirror, "http://") || ge_startswith(o->pytorch_mirror, "file://")))
        return ge_cli_usage(ctx, "invalid --pytorch-mirror '%s': give an https://, http:// or file:// URL",
                            o->pytorch_mirror);
    if (o->python && strchr(o->python, '/')) { /* an interpreter: the plan is for its version */
        o->python_exe = o->python;
        if (access(o->python_exe, X_OK) != 0)
            return ge_cli_usage(ctx, "--python '%s': not an executable file", o->python_exe);
        if (ge_py_version_of(o->python_exe, o->python_xy, sizeof o->python_xy, &ctx->err) < 0)
            return -1;
        o->python = o->python_xy;
    }
    if (o->mirror && !(ge_startswith(o->mirror, "https://") || ge_startswith(o->mirror, "http://") ||
                       ge_startswith(o->mirror, "file://")))
        return ge_cli_usage(ctx, "invalid --mirror '%s': give an https://, http:// or file:// URL", o->mirror);
    return ge_host_req_from_env(&o->req, &ctx->err);
}

static int project_paths(struct ge_ctx *ctx, const struct opts *o, struct run *r)
{
    if (ge_store_project_paths(o->dir, o->prefix, r->project, sizeof r->project, r->prefix, sizeof r->prefix,
                               &ctx->err) < 0 ||
        ge_env_check_path(r->prefix, &ctx->err) < 0)
        return -1;
    snprintf(r->lockpath, sizeof r->lockpath, "%s/gpuenv.lock", r->project);
    return 0;
}

static int run_install(struct ge_ctx *ctx, int argc, char **argv, bool write_only)
{
    struct opts o;
    struct run *r = calloc(1, sizeof *r);
    struct ge_host_view *hv = calloc(1, sizeof *hv);
    struct ge_lockfile want, have;
    ge_lock_init(&want);
    ge_lock_init(&have);
    int status = GE_EXIT_FAILURE;
    if (!r || !hv) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    if (parse(ctx, argc, argv, &o) < 0 || project_paths(ctx, &o, r) < 0) {
        status = ctx->err.status;
        goto out;
    }
    o.write_only = write_only;
    bool have_lock = access(r->lockpath, F_OK) == 0;
    if (have_lock && ge_lock_read(r->lockpath, &have, &ctx->err) < 0) {
        status = ctx->err.status;
        goto out;
    }
    bool from_lock = !write_only && o.nreqs == 0 && have_lock && !o.locked && !o.components;
    if (o.locked && !have_lock) {
        ge_err_set(&ctx->err, GE_EXIT_LOCKED, "--locked, but %s has no gpuenv.lock", r->project);
        ge_err_hint(&ctx->err, "run 'gpuenv lock' (or 'gpuenv install') first and keep gpuenv.lock with the project");
        status = GE_EXIT_LOCKED;
        goto out;
    }
    if (from_lock) {
        want = have;
        ge_lock_init(&have);
    } else {
        struct opts po = o;
        if (po.nreqs == 0 && have_lock && o.locked) { /* re-resolve what the lock asked for */
            po.nreqs = have.nreqs;
            static char *saved[GE_LOCK_MAX_REQS];
            for (int i = 0; i < have.nreqs; i++)
                saved[i] = have.reqs[i];
            po.reqs = saved;
        }
        if (plan_lock(ctx, &po, r, &want, hv) < 0) {
            status = ctx->err.status;
            goto out;
        }
        if (o.locked && !ge_lock_same_python(&want, &have)) {
            ge_err_set(&ctx->err, GE_EXIT_LOCKED, "--locked: the request resolves to %s %s for Python %s, but "
                                                  "gpuenv.lock pins %s %s for Python %s",
                       want.py_framework[0] ? want.py_framework : "no framework", want.py_framework_version,
                       want.py_python, have.py_framework[0] ? have.py_framework : "no framework",
                       have.py_framework_version, have.py_python);
            ge_err_hint(&ctx->err, "run 'gpuenv lock' to update the lock, or install without --locked");
            status = GE_EXIT_LOCKED;
            goto out;
        }
        if (o.locked && !ge_lock_same_archives(&want, &have)) {
            ge_err_set(&ctx->err, GE_EXIT_LOCKED, "--locked: the request resolves to CUDA %s%s%s, but gpuenv.lock pins CUDA %s%s%s",
                       want.cuda, want.cudnn[0] ? " with cuDNN " : "", want.cudnn, have.cuda,
                       have.cudnn[0] ? " with cuDNN " : "", have.cudnn);
            ge_err_hint(&ctx->err, "run 'gpuenv lock' to update the lock, or install without --locked");
            status = GE_EXIT_LOCKED;
            goto out;
        }
    }
    if (!write_only && install_lock(ctx, &o, r, &want) < 0) {
        status = ctx->err.status;
        goto out;
    }
    if (!from_lock && ge_lock_write(r->lockpath, &want, &ctx->err) < 0) {
        status = ctx->err.status;
        goto out;
    }
    status = GE_EXIT_OK;
    if (!write_only && want.py_framework[0] && !o.no_python && check_framework(ctx, r, &want) < 0)
        status = ctx->err.status; /* installed, but not what it should be: the document says what */
    if (o.json) {
        cJSON *doc = ge_json_doc(true);
        cJSON_AddStringToObject(doc, "project", r->project);
        if (!write_only)
            cJSON_AddStringToObject(doc, "prefix", r->prefix);
        cJSON_AddStringToObject(doc, "lock", r->lockpath);
        cJSON_AddBoolToObject(doc, "from_lock", from_lock);
        cJSON_AddItemToObject(doc, "packages", lock_json(&want, r));
        cJSON *py = ge_lock_python_json(&want, true);
        cJSON_AddItemToObject(doc, "python", py);
        if (cJSON_IsObject(py)) {
            if (r->check) {
                cJSON_AddItemToObject(py, "check", r->check);
                r->check = NULL;
            } else {
                cJSON_AddNullToObject(py, "check");
            }
        }
        if (status != GE_EXIT_OK)
            ge_json_add_error(doc, &ctx->err);
        if (!write_only) {
            cJSON *c = cJSON_AddObjectToObject(doc, "downloads");
            cJSON_AddNumberToObject(c, "fetched", (double)r->downloaded);
            cJSON_AddNumberToObject(c, "bytes", (double)r->downloaded_bytes);
            cJSON_AddNumberToObject(c, "from_cache", (double)r->cached);
        }
        if (ge_out_json(doc) == 0)
            ctx->json_printed = true;
    } else {
        const char *b = ge_out_style(GE_STYLE_BOLD), *z = ge_out_style(GE_STYLE_RESET);
        if (want.cuda[0])
            printf("%s%s%s cuda-toolkit %s (%zu archives%s%s)%s%s\n", b, write_only ? "locked" : "installed", z,
                   want.cuda, want.n, want.cudnn[0] ? ", cudnn " : "", want.cudnn, write_only ? " in " : " into ",
                   write_only ? r->lockpath : r->prefix);
        if (want.py_framework[0] && !(o.no_python && !write_only)) {
            printf("%s%s%s %s %s for Python %s%s%s%s\n", b, write_only ? "locked" : "installed", z, want.py_framework,
                   want.py_framework_version, want.py_python, write_only ? " in " : " in the venv ",
                   write_only ? r->lockpath : r->prefix, write_only ? "" : "/venv");
            for (int i = 0; !write_only && i < want.py_n; i++)
                printf("  %s\n", want.py_reqs[i]);
        }
        if (!write_only && r->check)
            print_check(r->check);
        if (!write_only && want.n > 0) {
            printf("  downloaded %zu (%.1f MiB), %zu from the cache\n", r->downloaded,
                   (double)r->downloaded_bytes / 1048576.0, r->cached);
        }
        if (!write_only) {
            printf("activate with:  . ");
            struct ge_buf q;
            ge_buf_init(&q);
            ge_sh_quote(&q, r->prefix);
            printf("%s/activate\n", ge_buf_str(&q));
            ge_buf_fini(&q);
        }
        for (int i = 0; i < r->nnotes; i++)
            printf("note: %s\n", r->notes[i]);
    }
out:
    ge_lock_fini(&want);
    ge_lock_fini(&have);
    if (r)
        cJSON_Delete(r->check);
    free(r);
    free(hv);
    return status;
}

static int install_run(struct ge_ctx *ctx, int argc, char **argv)
{
    return run_install(ctx, argc, argv, false);
}

static int lock_run(struct ge_ctx *ctx, int argc, char **argv)
{
    return run_install(ctx, argc, argv, true);
}

const struct ge_cmd ge_cmd_install = {
    "install",
    "[REQUIREMENT...]",
    "install the plan into the project: CUDA toolkit, cuDNN, the framework's venv",
    "Resolve the requirements (as 'gpuenv resolve'), pin NVIDIA's archives in gpuenv.lock, download\n"
    "them (verified against NVIDIA's manifests, cached by SHA-256), and switch them into the\n"
    "project's .gpuenv prefix in one step, with activation scripts. A framework in the plan gets a\n"
    "venv (.gpuenv/venv) with its exact build from pip, then its own check of the GPU; its CUDA then\n"
    "comes from pip, and NVIDIA's archives only when it needs them or the request names them.\n"
    "Without requirements in a project with a gpuenv.lock, installs exactly the lock.",
    install_opts,
    install_run,
    false,
    "cuda-toolkit cudnn torch tensorflow jax", false,
};

const struct ge_cmd ge_cmd_lock = {
    "lock",
    "[REQUIREMENT...]",
    "resolve and write gpuenv.lock without installing",
    "Resolve the requirements and write the project's gpuenv.lock (the archives, sizes and SHA-256\n"
    "digests 'gpuenv install' would install), without downloading anything.",
    install_opts,
    lock_run,
    false,
    "cuda-toolkit cudnn torch tensorflow jax", false,
};
