/* doctor.c: gather the facts every area's checks share (the driver probed once, with the on-GPU
 * check; the project; which interpreter), then run the areas in order. */
#include "doctor.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "project.h"
#include "python.h"
#include "str.h"

struct ge_check *ge_doctor_check(struct ge_doctor *d, const char *name, enum ge_check_status st, const char *fmt, ...)
{
    static struct ge_check scratch;
    struct ge_check *c = d->nchecks < GE_DOCTOR_MAX_CHECKS ? &d->checks[d->nchecks++] : &scratch;
    memset(c, 0, sizeof *c);
    c->name = name;
    c->status = st;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->note, sizeof c->note, fmt, ap);
        va_end(ap);
    }
    return c;
}

size_t ge_doctor_problems_since(const struct ge_doctor *d, size_t before)
{
    size_t n = 0;
    for (size_t i = before; i < d->findings.n; i++)
        n += d->findings.v[i].severity >= GE_SEV_WARNING;
    return n;
}

void ge_doctor_group_fix(const struct ge_doctor *d, struct ge_finding *x, const char *dev, const char *fallback)
{
    char p[PATH_MAX];
    ge_doctor_path(d, dev, p, sizeof p);
    struct stat st;
    if (stat(p, &st) < 0) {
        ge_finding_fix(x, true, true, "%s", fallback);
        return;
    }
    struct group *g = getgrgid(st.st_gid);
    ge_finding_evidence(x, dev, "mode %04o, owner %u, group %s", (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
                        g ? g->gr_name : "?");
    if (g && st.st_gid != 0)
        ge_finding_fix(x, true, true, "'sudo usermod -aG %s $USER', then log in again", g->gr_name);
    else
        ge_finding_fix(x, true, true, "%s", fallback);
}

const struct ge_ver *ge_doctor_cuda_floor(const struct ge_doctor *d, const struct ge_version *cuda)
{
    if (!d->m || cuda->n < 2)
        return NULL;
    struct ge_version first = *cuda;
    first.n = 3;
    first.part[2] = 0;
    const struct ge_cuda_release *r = ge_matrix_cuda(d->m, &first);
    if (!r)
        r = ge_matrix_cuda_newest_of_minor(d->m, &first);
    return r && r->min_driver.has_linux ? &r->min_driver.linux_x86_64 : NULL;
}

void ge_doctor_path(const struct ge_doctor *d, const char *path, char *out, size_t size)
{
    ge_path_under(out, size, d->sysroot, path);
}

int ge_doctor_vparse(const char *s, struct ge_version *v)
{
    return ge_version_parse(v, s, 1, GE_VERSION_PARTS) == 0 || ge_driver_version_parse(v, s) == 0 ? 0 : -1;
}

int ge_doctor_library_version(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    static const char lead[] = "libcuda.so.";
    if (strncmp(base, lead, sizeof lead - 1) != 0)
        return -1;
    const char *v = base + sizeof lead - 1;
    /* a driver version has at least one dot: "1" (the soname) says nothing */
    if (!strchr(v, '.') || strspn(v, "0123456789.") != strlen(v) || strlen(v) >= size)
        return -1;
    ge_strlcpy(out, v, size);
    return 0;
}

static int probe_driver(struct ge_doctor *d, struct ge_err *err)
{
    struct ge_probe_opts po;
    if (ge_host_probe_opts(&po, err) < 0)
        return -1;
    po.run_kernel = d->o->gpu_check;
    ge_err_clear(&d->drv_err);
    d->drv_ok = ge_driver_probe(&po, &d->drv, &d->drv_err) == 0;
    ge_driver_module_version(d->sysroot, d->module_version, sizeof d->module_version, d->module_source,
                             sizeof d->module_source);
    if (d->drv.library[0])
        ge_doctor_library_version(d->drv.library, d->library_version, sizeof d->library_version);
    if (d->drv.cuda_int > 0) {
        d->driver_cuda = ge_cuda_version_from_int(d->drv.cuda_int);
        d->driver_cuda_known = true;
    }
    return 0;
}

static void find_project(struct ge_doctor *d)
{
    struct ge_project p;
    struct ge_err e;
    ge_err_clear(&e);
    if (ge_project_init(&p, d->o->dir, NULL, &e) < 0)
        return;
    ge_strlcpy(d->project_dir, p.dir, sizeof d->project_dir);
    ge_strlcpy(d->prefix, p.prefix, sizeof d->prefix);
    bool lock = access(p.lock, F_OK) == 0, prefix = access(p.prefix, F_OK) == 0;
    d->has_project = lock || prefix || d->o->dir;
    if (lock) {
        ge_lock_init(&d->lock);
        d->has_lock = ge_lock_read(p.lock, &d->lock, &e) == 0;
        if (!d->has_lock) {
            struct ge_finding *x = ge_finding_add(&d->findings, GE_F_PREFIX_MISSING, GE_SEV_ERROR, p.lock,
                                                  "gpuenv.lock cannot be read: %s", e.msg);
            ge_finding_evidence(x, p.lock, "%s", e.msg);
            ge_finding_fix(x, false, false, "gpuenv lock -C %s (write it again), then gpuenv install -C %s",
                           d->project_dir, d->project_dir);
            ge_lock_fini(&d->lock);
        }
    }
}

/* Which interpreter: --python, the active venv, the project's venv, python3 on PATH. */
static void find_python(struct ge_doctor *d)
{
    const char *venv = getenv("VIRTUAL_ENV");
    char p[PATH_MAX];
    if (d->o->python && d->o->python[0]) {
        if (strchr(d->o->python, '/'))
            ge_strlcpy(d->python, d->o->python, sizeof d->python);
        else if (ge_python_find_on_path(d->o->python, d->python, sizeof d->python) < 0)
            ge_strlcpy(d->python, d->o->python, sizeof d->python);
        ge_strlcpy(d->python_source, "--python", sizeof d->python_source);
    } else if (venv && venv[0] && ge_fmt(p, sizeof p, "%s/bin/python", venv) == 0 && access(p, X_OK) == 0) {
        ge_strlcpy(d->python, p, sizeof d->python);
        ge_strlcpy(d->python_source, "VIRTUAL_ENV", sizeof d->python_source);
    } else if (d->prefix[0] && ge_fmt(p, sizeof p, "%s/venv/bin/python", d->prefix) == 0 && access(p, X_OK) == 0) {
        ge_strlcpy(d->python, p, sizeof d->python);
        ge_strlcpy(d->python_source, "the project's venv", sizeof d->python_source);
    } else if (ge_python_find_on_path("python3", p, sizeof p) == 0) {
        ge_strlcpy(d->python, p, sizeof d->python);
        ge_strlcpy(d->python_source, "PATH", sizeof d->python_source);
    }
}

int ge_doctor_run(struct ge_doctor *d, const struct ge_doctor_opts *o, struct ge_err *err)
{
    memset(d, 0, sizeof *d);
    d->o = o;
    ge_findings_init(&d->findings);
    const char *root = getenv("GPUENV_SYSROOT");
    d->sysroot = root ? root : "";

    char dir[4096];
    struct ge_err merr;
    ge_err_clear(&merr);
    if (ge_matrix_find_dir(dir, sizeof dir, &merr) == 0)
        d->m = ge_matrix_load(dir, &merr);
    if (!d->m)
        ge_strlcpy(d->matrix_note, merr.msg, sizeof d->matrix_note);

    if (probe_driver(d, err) < 0)
        return -1;
    ge_host_amd(&d->amd); /* and the HIP runtime's view of them */
    find_project(d);
    find_python(d);
    if (d->python[0])
        d->py = ge_doctor_probe_python(d->python, o->timeout_s > 0 ? o->timeout_s : GE_DOCTOR_TIMEOUT_DEFAULT, d->py_note,
                                       sizeof d->py_note);

    ge_diag_driver(d);
    ge_diag_amd(d);
    ge_diag_env(d);
    ge_diag_project(d);
    ge_diag_python(d);
    ge_diag_binaries(d);
    ge_diag_gpu(d);
    ge_findings_sort(&d->findings);
    if (d->findings.oom)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    return 0;
}

void ge_doctor_fini(struct ge_doctor *d)
{
    ge_matrix_free(d->m);
    if (d->has_lock)
        ge_lock_fini(&d->lock);
    cJSON_Delete(d->py);
    ge_findings_fini(&d->findings);
}
