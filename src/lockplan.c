/* lockplan.c: requirements -> resolved plan -> gpuenv.lock, pinned from NVIDIA's manifests. */
#include "lockplan.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest.h"
#include "manifest_src.h"
#include "matrix.h"
#include "path.h"
#include "pyenv.h"
#include "req.h"
#include "str.h"

void ge_notes_add(struct ge_notes *n, const char *fmt, ...)
{
    if (n->n >= GE_NOTES_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->text[n->n++], sizeof n->text[0], fmt, ap);
    va_end(ap);
}

/* A complete development toolkit: compiler, runtime, headers and the math libraries. A
 * component a release's manifest lacks is skipped with a note. */
static const char *const default_components[] = {
    "cuda_nvcc", "cuda_cudart", "cuda_cccl", "cuda_crt", "cuda_nvvm", "cuda_nvrtc", "cuda_nvtx",
    "cuda_cupti", "cuda_cuobjdump", "cuda_nvdisasm", "cuda_nvprune", "cuda_cuxxfilt", "cuda_profiler_api",
    "libcublas", "libcufft", "libcurand", "libcusolver", "libcusparse", "libnpp", "libnvjitlink",
    "libnvjpeg", "cudnn", NULL,
};

/* The manifest of kind for exactly version (ge_manifest_obtain), with a note when it was fetched. */
static struct ge_manifest *find_manifest(const char *datadir, const char *origin, bool offline, bool keep,
                                         const char *kind, const char *version, struct ge_notes *notes,
                                         struct ge_manifest_got *got, struct ge_err *err)
{
    struct ge_manifest_src src = {datadir, origin, offline, keep};
    if (ge_manifest_obtain(&src, kind, version, got, err) < 0)
        return NULL;
    if (got->fetched)
        ge_notes_add(notes, "fetched NVIDIA's manifest of %s %s from %s", kind, version, got->from);
    return got->m;
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
                        const char *platform, const char *variant, const char *components, struct ge_notes *notes,
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
        ge_notes_add(notes, "not in this %s release's manifest for %s, so skipped: %s", kind, platform, ge_buf_str(&skipped));
    ge_buf_fini(&skipped);
    return 0;
}

/* ---- building the wanted lock ---- */

static int usage(struct ge_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage(struct ge_err *err, const char *fmt, ...)
{
    char msg[GE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ge_err_set(err, GE_EXIT_USAGE, "%s", msg);
    ge_err_hint(err, "see 'gpuenv help install'");
    return -1;
}

int ge_lockplan_make(const struct ge_lockplan_req *o, struct ge_lockfile *want, struct ge_host_view *hv,
                     struct ge_notes *notes, struct ge_err *err)
{
    char dir[4096];
    if (ge_matrix_find_dir(dir, sizeof dir, err) < 0)
        return -1;
    struct ge_matrix *m = ge_matrix_load(dir, err);
    if (!m)
        return -1;
    int rc = -1;
    struct ge_req reqs[GE_LOCK_MAX_REQS];
    struct ge_plan plan;
    struct ge_manifest *cm = NULL, *dm = NULL;
    struct ge_fleet_host *hosts = NULL;
    ge_plan_init(&plan);
    if (o->nreqs > GE_LOCK_MAX_REQS) {
        usage(err, "at most %d requirements", GE_LOCK_MAX_REQS);
        goto out;
    }
    for (int i = 0; i < o->nreqs; i++)
        if (ge_req_parse(&reqs[i], o->reqs[i], err) < 0)
            goto out;
    bool fleet = o->fleet && o->fleet->n;
    if (!(hosts = calloc(GE_FLEET_MAX, sizeof *hosts))) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    if (fleet ? ge_fleet_gather(o->fleet, o->python, o->platform, o->arch, m, hosts, hv, err) < 0
              : ge_host_gather(o->host, o->python, o->platform, o->arch, m, hv, err) < 0)
        goto out;
    if (!fleet)
        hosts[0].f = hv->f;
    if (strcmp(hv->f.platform, "linux") != 0) {
        usage(err, "gpuenv installs Linux toolkits only, not %s", hv->f.platform);
        goto out;
    }
    if (ge_resolve_fleet(m, hosts, fleet ? o->fleet->n : 1, reqs, o->nreqs, &o->ro, &plan, err) < 0)
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
    if (plan.vendor == GE_VENDOR_AMD) {
        /* AMD publishes no ROCm archives with digests gpuenv could pin: the framework's venv is the
         * whole install, and ROCm is the wheels' own or the system's */
        if (!want_py) {
            usage(err, "--no-python, but a plan for AMD GPUs installs only the framework's venv (ROCm comes with "
                       "its wheels or from the system)");
            goto out;
        }
        want_nvidia = false;
        ge_strlcpy(want->vendor, "amd", sizeof want->vendor);
        ge_strlcpy(want->hsa_override, plan.hsa_override, sizeof want->hsa_override);
    }
    if (o->python_only) {
        if (!py.framework[0]) {
            usage(err, "--python-only, but the request holds no framework (torch, tensorflow or jax)");
            goto out;
        }
        want_nvidia = false;
    }
    if (want_py) {
        if (!py.python[0]) {
            ge_err_set(err, GE_EXIT_USAGE, "no Python version to make the %s environment for", py.framework);
            ge_err_hint(err, "give --python X.Y or an interpreter's path");
            goto out;
        }
        ge_strlcpy(want->py_framework, py.framework, sizeof want->py_framework);
        ge_strlcpy(want->py_framework_version, py.version, sizeof want->py_framework_version);
        ge_strlcpy(want->py_python, py.python, sizeof want->py_python);
        ge_strlcpy(want->py_index, py.index_url, sizeof want->py_index);
        ge_strlcpy(want->py_find_links, py.find_links, sizeof want->py_find_links);
        for (int i = 0; i < py.n && i < GE_LOCK_MAX_PY_REQS; i++)
            ge_strlcpy(want->py_reqs[want->py_n++], py.reqs[i], sizeof want->py_reqs[0]);
    }
    if (want_nvidia && !tk) {
        ge_err_set(err, GE_EXIT_NO_SOLUTION, "the plan names no CUDA toolkit to install");
        goto out;
    }
    const char *plat = strcmp(hv->f.arch, "aarch64") == 0 ? "linux-sbsa" : "linux-x86_64";
    ge_strlcpy(want->platform, plat, sizeof want->platform);
    for (int i = 0; i < o->nreqs; i++)
        ge_strlcpy(want->reqs[want->nreqs++], o->reqs[i], sizeof want->reqs[0]);
    /* a fleet's lock records each node type; "host" keeps only what they share */
    if (fleet)
        ge_fleet_to_lock(hosts, o->fleet->n, plan.vendor == GE_VENDOR_AMD, want);
    if (hv->f.driver_known && want->nhosts <= 1)
        ge_strlcpy(want->host_driver, hv->f.driver.s, sizeof want->host_driver);
    if (want->nhosts > 1)
        ; /* no one machine's GPUs */
    else if (plan.vendor == GE_VENDOR_AMD && hv->f.amd_known)
        ge_lock_gfx_string(hv->f.amd, hv->f.namd, want->host_gpus, sizeof want->host_gpus);
    else if (hv->f.gpus_known)
        ge_lock_gpus_string(hv->f.gpus, hv->f.ngpus, want->host_gpus, sizeof want->host_gpus);
    if (hv->f.python_known)
        ge_strlcpy(want->host_python, hv->f.python.s, sizeof want->host_python);

    if (want_nvidia) {
        struct ge_manifest_got got;
        if (!(cm = find_manifest(dir, o->origin, o->offline, false, "cuda", tk->version, notes, &got, err)))
            goto out;
        ge_strlcpy(want->cuda, tk->version, sizeof want->cuda);
        ge_strlcpy(want->cuda_manifest, got.sha256, sizeof want->cuda_manifest);
        if (add_archives(want, cm, "cuda-toolkit", "cuda", plat, "", o->components, notes, err) < 0)
            goto out;
        if (cd && wanted(o->components, "cudnn")) {
            if (!(dm = find_manifest(dir, o->origin, o->offline, false, "cudnn", cd->version, notes, &got, err)))
                goto out;
            ge_strlcpy(want->cudnn_manifest, got.sha256, sizeof want->cudnn_manifest);
            ge_strlcpy(want->cudnn, cd->version, sizeof want->cudnn);
            ge_strlcpy(want->cudnn_build, cd->build, sizeof want->cudnn_build);
            for (size_t i = 0; i < dm->n; i++)
                if (strcmp(dm->items[i].component, "cudnn") == 0 && strcmp(dm->items[i].variant, cd->build) == 0)
                    ge_strlcpy(want->cudnn, dm->items[i].version, sizeof want->cudnn);
            if (add_archives(want, dm, "cudnn", "cudnn", plat, cd->build, o->components, notes, err) < 0)
                goto out;
        } else if (!cd && wanted(o->components, "cudnn")) {
            ge_notes_add(notes, "no cuDNN in the plan: none installed");
        }
        if (want->n == 0) {
            usage(err, "nothing to install: no component matches '%s'", o->components ? o->components : "");
            goto out;
        }
    }
    rc = 0;
out:
    ge_manifest_free(cm);
    ge_manifest_free(dm);
    ge_plan_fini(&plan);
    ge_matrix_free(m);
    free(hosts);
    return rc;
}


/* The archive of lock entry a as manifest m lists it, compared field by field. */
static int check_archive(const struct ge_lock_archive *a, const struct ge_manifest *m, const char *kind,
                         const char *file, struct ge_err *err)
{
    const struct ge_archive_ref *ref = ge_manifest_find(m, a->component, a->platform, a->variant);
    char url[400];
    const char *why = NULL;
    if (!ref)
        why = "is not in";
    else if (ge_fmt(url, sizeof url, "compute/%s/redist/%s", kind, ref->relative_path) < 0 || strcmp(url, a->url_path) != 0)
        why = "has another URL path than";
    else if (ref->size != a->size)
        why = "has another size than";
    else if (strcmp(ref->sha256, a->sha256) != 0)
        why = "has another SHA-256 than";
    if (!why)
        return 0;
    ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: %s %s %s%s%s %s NVIDIA's manifest %s", a->component, a->version,
               a->platform, a->variant[0] ? " " : "", a->variant, why, file);
    ge_err_hint(err, "the lock was edited or is damaged: restore it from version control, or run 'gpuenv lock' "
                     "again");
    return -1;
}

int ge_lockplan_check(const struct ge_lockfile *l, const struct ge_lockplan_src *src, struct ge_notes *notes,
                      struct ge_err *err)
{
    if (l->n == 0)
        return 0;
    char dir[4096];
    if (ge_matrix_find_dir(dir, sizeof dir, err) < 0)
        return -1;
    static const struct {
        const char *package, *kind;
        size_t version_off, sha_off;
    } kinds[] = {
        {"cuda-toolkit", "cuda", offsetof(struct ge_lockfile, cuda), offsetof(struct ge_lockfile, cuda_manifest)},
        {"cudnn", "cudnn", offsetof(struct ge_lockfile, cudnn), offsetof(struct ge_lockfile, cudnn_manifest)},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        bool any = false;
        for (size_t i = 0; i < l->n && !any; i++)
            any = strcmp(l->archives[i].package, kinds[k].package) == 0;
        if (!any)
            continue;
        const char *version = (const char *)l + kinds[k].version_off;
        const char *locked_sha = (const char *)l + kinds[k].sha_off;
        struct ge_manifest_got got;
        struct ge_err e;
        ge_err_clear(&e);
        bool keep = src->on_manifest != NULL;
        struct ge_manifest *m = version[0] ? find_manifest(dir, src->origin, src->offline, keep, kinds[k].kind, version,
                                                           notes, &got, &e) : NULL;
        if (!m && src->required) {
            if (!version[0])
                ge_err_set(&e, GE_EXIT_BAD_DATA, "gpuenv.lock pins %s archives but no %s release", kinds[k].kind,
                           kinds[k].kind);
            *err = e;
            return -1;
        }
        if (!m) {
            /* the archives' own digests still hold; a manifest that cannot be had is said */
            ge_notes_add(notes, "no %s %s manifest to cross-check gpuenv.lock against (%s): its digests are trusted "
                                "as they are", kinds[k].kind, version[0] ? version : "(no version)",
                         e.msg[0] ? e.msg : "no version");
            continue;
        }
        if (locked_sha[0] && strcmp(locked_sha, got.sha256) != 0) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "NVIDIA's manifest %s of %s %s (%s) is not the one gpuenv.lock was "
                       "written from: its SHA-256 is %.12s..., the lock's %.12s...", got.file, kinds[k].kind, version,
                       got.from, got.sha256, locked_sha);
            ge_err_hint(err, "a changed manifest is never installed silently: check the mirror, or run 'gpuenv lock' "
                             "to pin what it now says");
            ge_manifest_free(m);
            free(got.text);
            return -1;
        }
        int rc = 0;
        for (size_t i = 0; i < l->n && rc == 0; i++)
            if (strcmp(l->archives[i].package, kinds[k].package) == 0)
                rc = check_archive(&l->archives[i], m, kinds[k].kind, got.file, err);
        if (rc == 0 && src->on_manifest && src->on_manifest(src->ud, kinds[k].kind, &got, err) != 0)
            rc = -1;
        ge_manifest_free(m);
        free(got.text);
        if (rc < 0)
            return -1;
    }
    return 0;
}
