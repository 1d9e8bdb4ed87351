/* mirror.c: fill a mirror with what a lock needs: NVIDIA's manifests and archives, the wheels. */
#include "mirror.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install.h"
#include "lockplan.h"
#include "python.h"
#include "pyenv.h"
#include "store.h"
#include "str.h"
#include "wheels.h"

#define MAX_PLATFORMS 64

int ge_mirror_platforms(const char *glibc, const char *arch, char tags[][40], int max)
{
    unsigned major, minor;
    char extra;
    if (!glibc || sscanf(glibc, "%u.%u%c", &major, &minor, &extra) != 2 || major != 2 || minor < 5 || minor > 99 ||
        !arch || (strcmp(arch, "x86_64") != 0 && strcmp(arch, "aarch64") != 0))
        return 0;
    bool x86 = strcmp(arch, "x86_64") == 0;
    int n = 0;
    for (unsigned m = minor; m >= 5 && n < max; m--) {
        snprintf(tags[n++], 40, "manylinux_2_%u_%s", m, arch);
        /* the names older pips and older wheels know (PEP 599, PEP 571, PEP 513) */
        if (m == 17 && n < max)
            snprintf(tags[n++], 40, "manylinux2014_%s", arch);
        if (m == 12 && x86 && n < max)
            snprintf(tags[n++], 40, "manylinux2010_%s", arch);
        if (m == 5 && x86 && n < max)
            snprintf(tags[n++], 40, "manylinux1_%s", arch);
    }
    if (n < max)
        snprintf(tags[n++], 40, "linux_%s", arch); /* what PyTorch's own index served before manylinux */
    return n;
}

struct run {
    const struct ge_mirror_opts *o;
    const struct ge_mirror_events *ev;
    struct ge_mirror_result *r;
};

/* A manifest the lock was checked against: written byte for byte where the origin serves it. */
static int put_manifest(void *ud, const char *kind, const struct ge_manifest_got *got, struct ge_err *err)
{
    struct run *x = ud;
    char dir[PATH_MAX], path[PATH_MAX + 64];
    if (ge_fmt(dir, sizeof dir, "%s/compute/%s/redist", x->o->dir, kind) < 0 ||
        ge_fmt(path, sizeof path, "%s/%s", dir, got->file) < 0)
        return ge_err_set(err, GE_EXIT_USAGE, "the mirror's path is too long: %s", x->o->dir);
    x->r->manifests++;
    size_t len;
    char *have = ge_read_file(path, 1u << 26, &len);
    bool same = have && len == got->len && memcmp(have, got->text, len) == 0;
    free(have);
    if (same)
        return 0;
    if (have && x->ev->on_damaged)
        x->ev->on_damaged(x->ev->ud, got->file, "it differs from the manifest gpuenv.lock was written from");
    if (ge_mkdir_p(dir) < 0 || ge_write_file(path, got->text, got->len) < 0)
        return ge_err_sys(err, errno, "cannot write '%s'", path);
    x->r->manifests_written++;
    return 0;
}

static void on_done(void *ud, const struct ge_fetch_job *j)
{
    struct run *x = ud;
    if (j->status == 0) {
        x->r->archives_fetched++;
        x->r->bytes_fetched += j->received;
    }
    if (x->ev->on_fetched)
        x->ev->on_fetched(x->ev->ud, j);
}

/* Every archive of the lock at its URL path: what is there is read back against its SHA-256
 * (a damaged one is replaced), what is missing is downloaded. */
static int put_archives(struct run *x, const struct ge_lockfile *l, struct ge_err *err)
{
    const char *origin = ge_install_origin(x->o->origin, true);
    struct ge_fetch_job *jobs = calloc(l->n ? l->n : 1, sizeof *jobs);
    if (!jobs)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    size_t nj = 0;
    int rc = -1;
    for (size_t i = 0; i < l->n; i++) {
        const struct ge_lock_archive *a = &l->archives[i];
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(l->archives[k].sha256, a->sha256) == 0;
        if (seen)
            continue;
        x->r->archives++;
        char dest[4096], hex[GE_SHA256_HEX];
        if (ge_fmt(dest, sizeof dest, "%s/%s", x->o->dir, a->url_path) < 0) {
            ge_err_set(err, GE_EXIT_USAGE, "the mirror's path is too long: %s", x->o->dir);
            goto out;
        }
        uint64_t size = 0;
        struct ge_err e;
        ge_err_clear(&e);
        if (ge_sha256_file(dest, hex, &size, &e) == 0) {
            if (size == a->size && strcmp(hex, a->sha256) == 0)
                continue;
            if (x->ev->on_damaged)
                x->ev->on_damaged(x->ev->ud, a->component, size != a->size ? "its size differs from the lock's"
                                                                           : "its SHA-256 differs from the lock's");
            x->r->archives_repaired++;
            if (unlink(dest) < 0) {
                ge_err_sys(err, errno, "cannot remove the damaged '%s'", dest);
                goto out;
            }
        } else if (access(dest, F_OK) == 0) {
            *err = e;
            goto out;
        }
        char *slash = strrchr(dest, '/');
        *slash = '\0';
        int mk = ge_mkdir_p(dest);
        *slash = '/';
        if (mk < 0) {
            ge_err_sys(err, errno, "cannot create the folder of '%s'", dest);
            goto out;
        }
        struct ge_fetch_job *j = &jobs[nj++];
        (void)ge_path_join(j->url, sizeof j->url, origin, a->url_path); /* too long: fetch says it cannot */
        ge_strlcpy(j->dest, dest, sizeof j->dest);
        j->size = a->size;
        memcpy(j->sha256, a->sha256, sizeof j->sha256);
    }
    struct ge_fetch_opts fo = {x->o->jobs, 3, 0, 0, NULL, on_done, x};
    rc = nj ? ge_fetch_run(jobs, nj, &fo, err) : 0;
out:
    free(jobs);
    return rc;
}

static void on_wheel_damaged(void *ud, const char *file, const char *why)
{
    struct run *x = ud;
    x->r->wheels_repaired++;
    if (x->ev->on_damaged) {
        char what[300];
        snprintf(what, sizeof what, "wheel %s", file);
        x->ev->on_damaged(x->ev->ud, what, why);
    }
}

/* The framework's wheels and their dependencies for the lock's Python and platform, by pip
 * download into DIR/files, then the index. */
static int put_wheels(struct run *x, const struct ge_lockfile *l, struct ge_err *err)
{
    char tags[MAX_PLATFORMS][40];
    int nt = ge_mirror_platforms(x->o->glibc, x->o->arch, tags, MAX_PLATFORMS);
    if (nt == 0)
        return ge_err_set(err, GE_EXIT_USAGE, "no manylinux platform for glibc '%s' on '%s'", x->o->glibc ? x->o->glibc : "",
                          x->o->arch ? x->o->arch : "");
    char exe[PATH_MAX];
    if (x->o->pip_python && x->o->pip_python[0])
        ge_strlcpy(exe, x->o->pip_python, sizeof exe);
    else if (ge_python_find_on_path("python3", exe, sizeof exe) < 0) {
        ge_err_set(err, GE_EXIT_FAILURE, "no python3 on PATH to run 'pip download' with");
        ge_err_hint(err, "install Python 3 with pip (Debian: python3-pip), or give an interpreter with --python PATH");
        return -1;
    }
    char *probe[] = {exe, "-m", "pip", "--version", NULL};
    struct ge_err pe;
    ge_err_clear(&pe);
    if (ge_py_quiet(probe, &pe) < 0) {
        ge_err_set(err, GE_EXIT_FAILURE, "%s has no pip to download the wheels with", exe);
        ge_err_hint(err, "install pip for it (Debian and Ubuntu: python3-pip), or give an interpreter that has it "
                         "with --python PATH");
        return -1;
    }
    struct ge_wheels w;
    if (ge_wheels_open(&w, x->o->dir, err) < 0)
        return -1;
    int rc = -1;
    char files[3100], req[3100], ver[32];
    struct ge_buf txt;
    ge_buf_init(&txt);
    size_t good = 0, added = 0;
    if (ge_wheels_verify(&w, on_wheel_damaged, x, &good, err) < 0)
        goto out;
    snprintf(files, sizeof files, "%s/files", x->o->dir);
    snprintf(req, sizeof req, "%s/.requirements-%ld.txt", x->o->dir, (long)getpid());
    snprintf(ver, sizeof ver, "%s", l->py_python);
    struct ge_py_plan py;
    ge_py_plan_of_lock(l, &py);
    ge_py_requirements_txt(&py, &txt);
    if (ge_mkdir_p(files) < 0) {
        ge_err_sys(err, errno, "cannot create '%s'", files);
        goto out;
    }
    if (ge_write_file(req, txt.data, txt.len) < 0) {
        ge_err_sys(err, errno, "cannot write '%s'", req);
        goto out;
    }
    char *argv[32 + 2 * MAX_PLATFORMS];
    int k = 0;
    argv[k++] = exe;
    argv[k++] = "-m";
    argv[k++] = "pip";
    argv[k++] = "download";
    argv[k++] = "--disable-pip-version-check";
    argv[k++] = "--no-input";
    if (x->o->quiet)
        argv[k++] = "-q";
    argv[k++] = "--only-binary=:all:";
    argv[k++] = "--implementation";
    argv[k++] = "cp";
    argv[k++] = "--python-version";
    argv[k++] = ver;
    for (int i = 0; i < nt; i++) {
        argv[k++] = "--platform";
        argv[k++] = tags[i];
    }
    argv[k++] = "--dest";
    argv[k++] = files;
    argv[k++] = "-r";
    argv[k++] = req;
    argv[k] = NULL;
    if (x->ev->on_command)
        x->ev->on_command(x->ev->ud, argv);
    int pip = ge_py_run(argv, err);
    (void)unlink(req);
    if (pip < 0) {
        ge_err_hint(err, "pip's messages above say why (a dead index, or a package with no wheel for Python %s on %s "
                         "with glibc %s); what was downloaded stays for the next run", l->py_python, x->o->arch,
                    x->o->glibc);
        /* what did arrive is recorded and served: a second run adds the rest */
        struct ge_err ig;
        ge_err_clear(&ig);
        if (ge_wheels_scan(&w, &added, &ig) == 0)
            (void)ge_wheels_publish(&w, &ig);
        goto out;
    }
    if (ge_wheels_scan(&w, &added, err) < 0 || ge_wheels_publish(&w, err) < 0)
        goto out;
    x->r->wheels_done = true;
    x->r->wheels = w.n;
    x->r->wheels_added = added;
    rc = 0;
out:
    ge_buf_fini(&txt);
    ge_wheels_fini(&w);
    return rc;
}

int ge_mirror_fill(const struct ge_lockfile *l, const struct ge_mirror_opts *o, const struct ge_mirror_events *ev,
                   struct ge_mirror_result *r, struct ge_err *err)
{
    memset(r, 0, sizeof *r);
    struct run x = {o, ev, r};
    char lockpath[3100];
    if (ge_mkdir_p(o->dir) < 0)
        return ge_err_sys(err, errno, "cannot create the mirror '%s'", o->dir);
    if (ge_fmt(lockpath, sizeof lockpath, "%s/.gpuenv-mirror.lock", o->dir) < 0)
        return ge_err_set(err, GE_EXIT_USAGE, "the mirror's path is too long: %s", o->dir);
    char what[3200], doing[64];
    snprintf(what, sizeof what, "the mirror %s", o->dir);
    snprintf(doing, sizeof doing, "pid %ld: mirror", (long)getpid());
    int fd = ge_store_lock_file(lockpath, what, doing, ev->on_wait, ev->ud, err);
    if (fd < 0)
        return -1;
    int rc = -1;
    if (l->n) {
        struct ge_notes notes = {0, {{0}}};
        struct ge_lockplan_src src = {o->origin, false, true, put_manifest, &x};
        if (ge_lockplan_check(l, &src, &notes, err) < 0 || put_archives(&x, l, err) < 0)
            goto out;
    }
    if (l->py_framework[0] && !o->no_wheels && put_wheels(&x, l, err) < 0)
        goto out;
    rc = 0;
out:
    close(fd);
    return rc;
}

int ge_mirror_pip_index(const char *origin, char *index, size_t size, struct ge_err *err)
{
    char rec[4200];
    if (ge_path_join(rec, sizeof rec, origin, GE_MIRROR_RECORD) < 0 || ge_path_join(index, size, origin, "simple/") < 0)
        return ge_err_set(err, GE_EXIT_USAGE, "the mirror URL is too long");
    if (ge_startswith(origin, "file://")) {
        const char *path = rec + strlen("file://");
        if (access(path, R_OK) == 0)
            return 1;
        return errno == ENOENT || errno == ENOTDIR ? 0 : ge_err_sys(err, errno, "cannot read '%s'", path);
    }
    struct ge_buf b;
    ge_buf_init(&b);
    int rc = ge_fetch_text(rec, 64u << 20, 60, &b, err);
    ge_buf_fini(&b);
    if (rc == 0)
        return 1;
    if (err->status == GE_EXIT_BAD_DATA) { /* 404: an origin of NVIDIA's files only */
        ge_err_clear(err);
        return 0;
    }
    return -1;
}
