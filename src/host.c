/* host.c: host facts from the driver probe or from overrides given by flags and environment. */
#include "host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "amd.h"
#include "out.h"
#include "python.h"
#include "str.h"

void ge_host_req_init(struct ge_host_req *req)
{
    memset(req, 0, sizeof *req);
}

int ge_host_set_driver(struct ge_host_req *req, const char *value, const char *from, struct ge_err *err)
{
    struct ge_version v;
    const char *branch = value[0] == 'R' || value[0] == 'r' ? value + 1 : value;
    if (strlen(branch) == 3 && strspn(branch, "0123456789") == 3 && branch[0] != '0') {
        ge_strlcpy(req->driver, branch, sizeof req->driver);
        req->driver_given = req->driver_branch = true;
        return 0;
    }
    if (ge_driver_version_parse(&v, value) < 0 || strlen(value) >= sizeof req->driver) {
        ge_err_set(err, GE_EXIT_USAGE, "invalid driver version '%s' in %s", value, from);
        ge_err_hint(err, "give the version NVIDIA prints, such as 580.65.06 or 535.104.05, or a branch such as 550");
        return -1;
    }
    ge_strlcpy(req->driver, value, sizeof req->driver);
    req->driver_given = true;
    req->driver_branch = false;
    return 0;
}

/* ":sramecc+:xnack-": each feature a name and + or -. */
static bool features_ok(const char *f)
{
    while (*f == ':') {
        size_t n = strspn(f + 1, "abcdefghijklmnopqrstuvwxyz");
        if (!n || (f[1 + n] != '+' && f[1 + n] != '-'))
            return false;
        f += n + 2;
    }
    return *f == '\0';
}

int ge_host_add_gpus(struct ge_host_req *req, const char *value, const char *from, struct ge_err *err)
{
    char buf[1024];
    if (ge_strlcpy(buf, value, sizeof buf) >= sizeof buf) {
        ge_err_set(err, GE_EXIT_USAGE, "%s is too long", from);
        return -1;
    }
    int added = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        struct ge_cc cc;
        char sm[16];
        const char *as = tok;
        for (char *c = tok; *c && *c != ':'; c++) /* "GFX90a" as rocminfo's "gfx90a" */
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        if (strncmp(tok, "gfx", 3) == 0) { /* an AMD GPU, by its gfx target */
            /* a target ID as rocminfo and the runtime write it ("gfx90a:sramecc+:xnack-"): the
             * features do not change which builds carry code for the processor */
            char proc[32];
            size_t plen = strcspn(tok, ":");
            ge_strlcpy(proc, tok, plen + 1 < sizeof proc ? plen + 1 : sizeof proc);
            unsigned gfx;
            if (plen >= sizeof proc || ge_amd_gfx_parse(proc, &gfx) < 0 || !features_ok(tok + plen)) {
                ge_err_set(err, GE_EXIT_USAGE, "invalid gfx target '%s' in %s", tok, from);
                ge_err_hint(err, "give an AMD GPU as its LLVM target, such as gfx1100, gfx90a or gfx942 "
                                 "(rocminfo prints it as 'Name: gfx...')");
                return -1;
            }
            if (req->ngpus + req->namd >= GE_MAX_GPUS) {
                ge_err_set(err, GE_EXIT_USAGE, "more than %d GPUs in %s", GE_MAX_GPUS, from);
                return -1;
            }
            req->amd[req->namd++] = gfx;
            added++;
            continue;
        }
        /* "86" as nvidia-smi's compute_cap without the dot, or as the digits of sm_86 */
        if (strspn(tok, "0123456789") == strlen(tok) && snprintf(sm, sizeof sm, "sm_%s", tok) < (int)sizeof sm)
            as = sm;
        if (ge_cc_parse(&cc, as) < 0) {
            ge_err_set(err, GE_EXIT_USAGE, "invalid compute capability '%s' in %s", tok, from);
            ge_err_hint(err, "give an NVIDIA GPU as MAJOR.MINOR (8.6, 9.0, 12.0) or sm_86, an AMD one as its gfx "
                             "target (gfx1100)");
            return -1;
        }
        if (req->ngpus + req->namd >= GE_MAX_GPUS) {
            ge_err_set(err, GE_EXIT_USAGE, "more than %d GPUs in %s", GE_MAX_GPUS, from);
            return -1;
        }
        req->gpus[req->ngpus++] = cc;
        added++;
    }
    if (!added) {
        ge_err_set(err, GE_EXIT_USAGE, "empty compute capability in %s", from);
        ge_err_hint(err, "give it as MAJOR.MINOR (8.6, 9.0, 12.0) or as sm_86");
        return -1;
    }
    req->gpus_given = true;
    return 0;
}

int ge_host_set_vendor(enum ge_vendor *out, const char *value, struct ge_err *err)
{
    if (ge_vendor_parse(value, out) == 0)
        return 0;
    ge_err_set(err, GE_EXIT_USAGE, "invalid --vendor '%s': use nvidia or amd", value);
    ge_err_hint(err, "--vendor chooses whose GPUs a plan is for on a machine with both");
    return -1;
}

int ge_host_req_from_env(struct ge_host_req *req, struct ge_err *err)
{
    const char *d = getenv("GPUENV_DRIVER");
    if (!req->driver_given && d && d[0] && ge_host_set_driver(req, d, "GPUENV_DRIVER", err) < 0)
        return -1;
    const char *g = getenv("GPUENV_GPUS");
    if (!req->gpus_given && g && g[0] && ge_host_add_gpus(req, g, "GPUENV_GPUS", err) < 0)
        return -1;
    return 0;
}

bool ge_host_req_overrides(const struct ge_host_req *req)
{
    return req->driver_given || req->gpus_given;
}

static int probe_timeout(double *out, struct ge_err *err)
{
    const char *t = getenv("GPUENV_PROBE_TIMEOUT");
    *out = GE_PROBE_TIMEOUT_DEFAULT;
    if (!t || !t[0])
        return 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(t, &end);
    if (errno || end == t || *end != '\0' || !(v > 0) || v > 3600) {
        ge_err_set(err, GE_EXIT_USAGE, "invalid GPUENV_PROBE_TIMEOUT '%s'", t);
        ge_err_hint(err, "give a number of seconds between 0 and 3600, such as 20 or 0.5");
        return -1;
    }
    *out = v;
    return 0;
}

int ge_host_detect(const struct ge_host_req *req, struct ge_driver_info *info, struct ge_err *err)
{
    if (ge_host_req_overrides(req)) {
        memset(info, 0, sizeof *info);
        info->source = GE_DRIVER_OVERRIDE;
        if (req->driver_given) {
            ge_strlcpy(info->version, req->driver, sizeof info->version);
            ge_strlcpy(info->version_source, "override", sizeof info->version_source);
        }
        for (int i = 0; i < req->ngpus; i++) {
            info->gpus[i].index = i;
            info->gpus[i].cc = req->gpus[i];
        }
        info->ngpus = req->ngpus;
        return 0;
    }
    struct ge_probe_opts o;
    if (ge_host_probe_opts(&o, err) < 0) {
        memset(info, 0, sizeof *info);
        return -1;
    }
    return ge_driver_probe(&o, info, err);
}

int ge_host_probe_opts(struct ge_probe_opts *o, struct ge_err *err)
{
    memset(o, 0, sizeof *o);
    o->libcuda = getenv("GPUENV_LIBCUDA");
    o->sysroot = getenv("GPUENV_SYSROOT");
    return probe_timeout(&o->timeout_s, err);
}

void ge_host_amd(struct ge_amd_info *amd)
{
    struct ge_probe_opts po;
    struct ge_err perr;
    ge_err_clear(&perr);
    ge_amd_detect(getenv("GPUENV_SYSROOT"), amd);
    struct ge_hip_opts ho = {getenv("GPUENV_LIBAMDHIP"), getenv("GPUENV_SYSROOT"),
                             ge_host_probe_opts(&po, &perr) == 0 ? po.timeout_s : 0};
    ge_amd_confirm_hip(amd, &ho);
}

/* Whether a GPU of capability cc can run on the driver of f, by the branches of its architecture
 * (on Linux; Windows numbers a branch's drivers past its name, R580: 580-58x, so the last branch
 * is not checked there). */
static int gpu_driver_possible(const struct ge_matrix *m, const struct ge_host_facts *f, struct ge_cc cc,
                               struct ge_err *err)
{
    const struct ge_gpu_arch *a = ge_matrix_gpu_arch(m, cc);
    if (!a)
        return 0;
    int branch = (int)f->driver.v.part[0];
    char c[8];
    ge_cc_format(cc, c, sizeof c);
    if (a->first_branch && branch < a->first_branch) {
        ge_err_set(err, GE_EXIT_USAGE, "no driver older than branch R%d runs a compute capability %s GPU (%s), so "
                   "driver %s with GPU %s is not a machine that exists", a->first_branch, c, a->name, f->driver.s, c);
        ge_err_hint(err, "give the driver version and GPU as that machine reports them ('gpuenv detect' there, "
                         "or nvidia-smi); 'gpuenv matrix cuda' lists each architecture's drivers");
        return -1;
    }
    if (a->last_branch && branch > a->last_branch && strcmp(f->platform, "linux") == 0) {
        ge_err_set(err, GE_EXIT_USAGE, "branch R%d is the last driver for compute capability %s GPUs (%s), so driver "
                   "%s with GPU %s is not a machine that exists", a->last_branch, c, a->name, f->driver.s, c);
        ge_err_hint(err, "give the driver version and GPU as that machine reports them ('gpuenv detect' there, "
                         "or nvidia-smi); 'gpuenv matrix cuda' lists each architecture's drivers");
        return -1;
    }
    return 0;
}

/* Whether an AMD target is one the matrix knows: a target AMD names, a member of a family, or one
 * some build or ROCm release carries. A matrix without any of that cannot tell: every target is. */
static bool gfx_known(const struct ge_matrix *m, unsigned gfx)
{
    if (!m->ngfx_targets && !m->ngfx_families)
        return true;
    if (ge_matrix_gfx_target(m, gfx) || ge_matrix_gfx_family(m, gfx))
        return true;
    for (size_t i = 0; i < m->nrocm; i++)
        if (ge_gfx_list_has(m->rocm[i].gfx, m->rocm[i].ngfx, gfx))
            return true;
    for (size_t i = 0; i < m->ntorch_rocm; i++)
        for (int j = 0; j < m->torch_rocm[i].nvariants; j++)
            if (ge_gfx_list_has(m->torch_rocm[i].variants[j].gfx, m->torch_rocm[i].variants[j].ngfx, gfx))
                return true;
    return false;
}

/* The AMD side of the host: the described gfx targets, or the KFD topology and /opt/rocm*. */
static int amd_facts(const struct ge_host_req *req, const struct ge_matrix *m, struct ge_host_facts *f,
                     struct ge_err *err)
{
    if (ge_host_req_overrides(req)) {
        f->amd_known = req->gpus_given;
        f->namd = req->namd;
        memcpy(f->amd, req->amd, sizeof f->amd);
        for (int i = 0; i < f->namd; i++)
            if (!gfx_known(m, f->amd[i])) {
                char g[16];
                ge_amd_gfx_name(f->amd[i], g, sizeof g);
                ge_err_set(err, GE_EXIT_USAGE, "%s is not a target AMD's GPUs have (not in the matrix's gfx targets "
                                               "or families)", g);
                ge_err_hint(err, "give the target rocminfo prints for the GPU ('Name: gfx...'); 'gpuenv matrix rocm' "
                                 "lists them");
                return -1;
            }
        return 0;
    }
    struct ge_amd_info *a = calloc(1, sizeof *a);
    if (!a)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    ge_amd_detect(getenv("GPUENV_SYSROOT"), a);
    f->amd_known = true;
    for (int i = 0; i < a->ngpus && f->namd < GE_MAX_GPUS; i++)
        f->amd[f->namd++] = a->gpus[i].gfx_target_version;
    if (a->module_loaded) /* the kernel's release says nothing while amdgpu is not loaded */
        ge_strlcpy(f->amdgpu, a->driver_version, sizeof f->amdgpu);
    const struct ge_amd_rocm *r = ge_amd_newest_rocm(a, &f->rocm.v);
    if (r) {
        f->rocm_known = true;
        ge_strlcpy(f->rocm.s, r->version, sizeof f->rocm.s);
    }
    free(a);
    return 0;
}

int ge_host_gather(const struct ge_host_req *req, const char *python, const char *platform, const char *arch,
                   const struct ge_matrix *m, struct ge_host_view *hi, struct ge_err *err)
{
    struct ge_host_facts *f = &hi->f;
    struct ge_driver_info *info = calloc(1, sizeof *info);
    if (!info)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    struct ge_err perr;
    ge_err_clear(&perr);
    int rc = ge_host_detect(req, info, &perr);
    if (rc < 0 && perr.status == GE_EXIT_USAGE) {
        *err = perr;
        free(info);
        return -1;
    }
    if (info->source == GE_DRIVER_OVERRIDE && req->driver_branch) {
        /* a bare branch: its oldest release, and what the branch table says it runs */
        ge_version_parse(&f->driver.v, req->driver, 1, 1);
        f->driver_known = f->driver_branch_only = true;
        ge_strlcpy(f->driver.s, req->driver, sizeof f->driver.s);
        snprintf(hi->driver_note, sizeof hi->driver_note,
                 "driver %s is read as branch R%s at its oldest release; give the full version nvidia-smi prints "
                 "for an exact answer", req->driver, req->driver);
    } else if (info->version[0] && ge_driver_version_parse(&f->driver.v, info->version) == 0) {
        f->driver_known = true;
        ge_strlcpy(f->driver.s, info->version, sizeof f->driver.s);
    }
    if (info->source == GE_DRIVER_PROBED && info->cuda_int > 0) {
        f->driver_cuda_known = f->driver_cuda_probed = true;
        f->driver_cuda = ge_cuda_version_from_int(info->cuda_int);
        if (!f->driver_known) {
            /* the CUDA version alone still bounds what runs natively */
            snprintf(hi->driver_note, sizeof hi->driver_note,
                     "the driver's version string is unreadable; only its CUDA version is checked");
        }
    } else if (f->driver_known && ge_matrix_driver_cuda(m, &f->driver.v, &f->driver_cuda) == 0) {
        f->driver_cuda_known = true;
    }
    ge_strlcpy(hi->driver_source, info->source == GE_DRIVER_OVERRIDE ? "override" :
               (f->driver_known || f->driver_cuda_known) ? "driver-api" : "", sizeof hi->driver_source);
    if (rc < 0 && !ge_host_req_overrides(req))
        snprintf(hi->driver_note, sizeof hi->driver_note, "%s", perr.msg);
    if (info->source == GE_DRIVER_OVERRIDE ? req->gpus_given : (rc == 0)) {
        f->gpus_known = true;
        f->ngpus = info->ngpus;
        for (int i = 0; i < info->ngpus; i++)
            f->gpus[i] = info->gpus[i].cc;
    }
    free(info);
    if (amd_facts(req, m, f, err) < 0)
        return -1;
    /* a described GPU must be one that exists: a capability some CUDA release targets */
    for (int i = 0; req->gpus_given && i < f->ngpus; i++)
        if (!ge_matrix_cc_known(m, f->gpus[i])) {
            char cc[8];
            ge_err_set(err, GE_EXIT_USAGE, "compute capability %s is not one that NVIDIA's GPUs have (no CUDA release "
                                              "from 11.0 on targets it)",
                       ge_cc_format(f->gpus[i], cc, sizeof cc));
            ge_err_hint(err, "give the GPU's capability as 'nvidia-smi --query-gpu=compute_cap --format=csv' prints "
                             "it ('gpuenv matrix cuda' lists them)");
            return -1;
        }

    char xy[16];
    const char *source = NULL; /* where the version came from; NULL: unknown */
    if (python && strchr(python, '/')) {
        /* an interpreter: the plan is for its version (as install's --python PATH) */
        if (access(python, X_OK) != 0) {
            ge_err_set(err, GE_EXIT_USAGE, "--python '%s': not an executable file", python);
            ge_err_hint(err, "give an interpreter's path or a version X.Y, such as 3.12");
            return -1;
        }
        if (ge_python_version_of(python, xy, sizeof xy) < 0) {
            ge_err_set(err, GE_EXIT_USAGE, "--python '%s' did not say its version", python);
            ge_err_hint(err, "give the version as X.Y instead, such as 3.12");
            return -1;
        }
        source = python;
    } else if (python) {
        if (ge_python_xy(python, xy, sizeof xy) < 0) {
            ge_err_set(err, GE_EXIT_USAGE, "invalid --python '%s': give X.Y, such as 3.12", python);
            ge_err_hint(err, "see 'gpuenv help resolve'");
            return -1;
        }
        source = "override";
    } else if (ge_python_detect(xy, sizeof xy, hi->python_source, sizeof hi->python_source) == 0) {
        source = hi->python_source;
    }
    if (source) {
        ge_version_parse(&f->python.v, xy, 2, 2);
        ge_strlcpy(f->python.s, xy, sizeof f->python.s);
        f->python_known = true;
        if (source != hi->python_source)
            ge_strlcpy(hi->python_source, source, sizeof hi->python_source);
    }

    struct utsname u;
    uname(&u);
    if (platform) {
        if (strcmp(platform, "linux") && strcmp(platform, "windows")) {
            ge_err_set(err, GE_EXIT_USAGE, "invalid --platform '%s': use linux or windows", platform);
            ge_err_hint(err, "see 'gpuenv help resolve'");
            return -1;
        }
        ge_strlcpy(f->platform, platform, sizeof f->platform);
    } else {
        ge_strlcpy(f->platform, "linux", sizeof f->platform);
    }
    if (arch) {
        if (strcmp(arch, "x86_64") && strcmp(arch, "aarch64")) {
            ge_err_set(err, GE_EXIT_USAGE, "invalid --arch '%s': use x86_64 or aarch64", arch);
            ge_err_hint(err, "see 'gpuenv help resolve'");
            return -1;
        }
        ge_strlcpy(f->arch, arch, sizeof f->arch);
    } else {
        ge_strlcpy(f->arch, strcmp(u.machine, "arm64") == 0 ? "aarch64" : u.machine, sizeof f->arch);
    }
    /* a described machine must be one that can exist: each GPU within its drivers' branches */
    if (ge_host_req_overrides(req) && f->driver_known && f->gpus_known)
        for (int i = 0; i < f->ngpus; i++)
            if (gpu_driver_possible(m, f, f->gpus[i], err) < 0)
                return -1;
    return 0;
}

cJSON *ge_host_view_json(const struct ge_host_view *hi)
{
    const struct ge_host_facts *f = &hi->f;
    cJSON *h = cJSON_CreateObject();
    if (f->driver_known || f->driver_cuda_known) {
        cJSON *d = cJSON_AddObjectToObject(h, "driver");
        char c[16];
        ge_json_add_strn(d, "version", f->driver_known ? f->driver.s : NULL);
        ge_json_add_strn(d, "cuda", f->driver_cuda_known ? ge_version_format(&f->driver_cuda, c, sizeof c) : NULL);
        cJSON_AddStringToObject(d, "source", hi->driver_source);
    } else {
        cJSON_AddNullToObject(h, "driver");
    }
    if (f->gpus_known) {
        cJSON *g = cJSON_AddArrayToObject(h, "gpus");
        for (int i = 0; i < f->ngpus; i++) {
            char cc[8];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "index", i);
            cJSON_AddStringToObject(o, "cc", ge_cc_format(f->gpus[i], cc, sizeof cc));
            cJSON_AddItemToArray(g, o);
        }
    } else {
        cJSON_AddNullToObject(h, "gpus");
    }
    if (f->amd_known) {
        cJSON *g = cJSON_AddArrayToObject(h, "amd_gpus");
        for (int i = 0; i < f->namd; i++) {
            char name[16];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "index", i);
            ge_amd_gfx_name(f->amd[i], name, sizeof name);
            cJSON_AddStringToObject(o, "gfx", name);
            cJSON_AddItemToArray(g, o);
        }
    } else {
        cJSON_AddNullToObject(h, "amd_gpus");
    }
    if (f->rocm_known || f->amdgpu[0]) {
        cJSON *r = cJSON_AddObjectToObject(h, "rocm");
        ge_json_add_strn(r, "version", f->rocm_known ? f->rocm.s : NULL);
        ge_json_add_strn(r, "amdgpu", f->amdgpu[0] ? f->amdgpu : NULL);
    } else {
        cJSON_AddNullToObject(h, "rocm");
    }
    if (f->python_known) {
        cJSON *p = cJSON_AddObjectToObject(h, "python");
        cJSON_AddStringToObject(p, "version", f->python.s);
        cJSON_AddStringToObject(p, "source", hi->python_source);
    } else {
        cJSON_AddNullToObject(h, "python");
    }
    cJSON_AddStringToObject(h, "platform", f->platform);
    cJSON_AddStringToObject(h, "arch", f->arch);
    return h;
}
