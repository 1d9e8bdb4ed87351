/* resolve.c: choose a framework build, CUDA toolkit and cuDNN for a host, explaining every
 * rejection. Pure: no I/O, no environment, no clock. The rules are stated in gpuenv(1). */
#include "resolve.h"
#include "resolve_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd.h"
#include "str.h"

static const char *const reason_codes[GE_REASON_COUNT] = {
    "unsupported-platform", "unsupported-python", "unsupported-gpu",
    "driver-too-old",       "conflict",           "incomplete-data",
};

int ge_vendor_parse(const char *s, enum ge_vendor *out)
{
    if (strcmp(s, "nvidia") == 0)
        *out = GE_VENDOR_NVIDIA;
    else if (strcmp(s, "amd") == 0)
        *out = GE_VENDOR_AMD;
    else
        return -1;
    return 0;
}

const char *ge_vendor_name(enum ge_vendor v)
{
    return v == GE_VENDOR_AMD ? "amd" : v == GE_VENDOR_NVIDIA ? "nvidia" : "auto";
}

const char *ge_reason_code(enum ge_reason r)
{
    return reason_codes[r];
}

void ge_plan_init(struct ge_plan *plan)
{
    memset(plan, 0, sizeof *plan);
}

void ge_plan_fini(struct ge_plan *plan)
{
    free(plan->cands);
    plan->cands = NULL;
    plan->ncands = 0;
}

/* Whether torch variant v carries the label a torch, torchvision or torchaudio pin names
 * ("torch==2.5.1+cu121"): the labels must agree with each other and with v. */
static bool label_matches(const struct rctx *x, const struct ge_torch_variant *v)
{
    const struct ge_req *rs[] = {x->fw_req, x->vision_req, x->audio_req};
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
        if (rs[i] && rs[i]->local[0] && strcmp(rs[i]->local, v->name) != 0)
            return false;
    return true;
}

/* NumPy's rule for a torch candidate: its platform's own, else its release's ("<2" or ""). */
static const char *numpy_rule(const struct cand *c)
{
    if (c->fw == GE_PKG_TENSORFLOW)
        return c->tf ? c->tf->numpy : "";
    if (c->fw == GE_PKG_JAX && !c->jr)
        return "";
    if (c->fw == GE_PKG_JAX) /* "numpy>=1.22,<2": its constraint part */
        return strncmp(c->jr->numpy, "numpy", 5) == 0 ? c->jr->numpy + 5 : c->jr->numpy;
    if (c->fw != GE_PKG_TORCH)
        return "";
    return c->tv && c->tv->numpy[0] ? c->tv->numpy : c->tr->numpy;
}

void ge_rs_fail(struct cand *c, enum ge_reason r, const char *fmt, ...)
{
    if (c->out->fails & (1u << r))
        return; /* the first reason of a kind is the one shown */
    c->out->fails |= 1u << r;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->out->why[r], sizeof c->out->why[r], fmt, ap);
    va_end(ap);
}

/* The matrix lacks a fact that dimension dim needs: the candidate cannot be vouched for. */
void ge_rs_unknown(struct cand *c, enum ge_reason dim, const char *fmt, ...)
{
    c->out->unknown |= 1u << dim;
    if (c->out->fails & (1u << GE_REASON_DATA))
        return;
    c->out->fails |= 1u << GE_REASON_DATA;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->out->why[GE_REASON_DATA], sizeof c->out->why[GE_REASON_DATA], fmt, ap);
    va_end(ap);
}

static const char *fmtv(const struct ge_version *v, char *buf, size_t size)
{
    return ge_version_format(v, buf, size);
}

static const char *fmtcc(struct ge_cc cc, char *buf, size_t size)
{
    return ge_cc_format(cc, buf, size);
}

static const struct ge_ver *mvc_floor(const struct rctx *x, int major)
{
    const struct ge_cuda_mvc *mv = ge_matrix_mvc(x->m, major);
    if (!mv)
        return NULL;
    if (strcmp(x->h->platform, "windows") == 0)
        return mv->min_driver.has_windows ? &mv->min_driver.windows_x86_64 : NULL;
    return &mv->min_driver.linux_x86_64;
}

static bool minor_le(const struct ge_version *a, const struct ge_version *b)
{
    struct ge_version x = *a, y = *b;
    x.n = y.n = 2;
    return ge_version_cmp(&x, &y) <= 0;
}

/* The lowest driver that runs CUDA minor v natively: the smallest minimum among the releases of
 * that minor (the driver API, too, reports a minor: a driver for 13.0 runs every 13.0 update). */
static const struct ge_ver *minor_min_driver(const struct rctx *x, const struct ge_version *v, int *branch)
{
    const struct ge_ver *best = NULL;
    bool win = strcmp(x->h->platform, "windows") == 0;
    *branch = 0;
    for (size_t i = 0; i < x->m->ncuda; i++) {
        const struct ge_cuda_release *r = &x->m->cuda[i];
        if (r->version.v.part[0] != v->part[0] || r->version.v.part[1] != v->part[1])
            continue;
        const struct ge_ver *d = win ? (r->min_driver.has_windows ? &r->min_driver.windows_x86_64 : NULL)
                                     : (r->min_driver.has_linux ? &r->min_driver.linux_x86_64 : NULL);
        if (d && (!best || ge_version_cmp(&d->v, &best->v) < 0))
            best = d;
        if (r->branch && (!*branch || r->branch < *branch))
            *branch = r->branch;
    }
    return best;
}

/* Whether the driver runs CUDA v natively: cuDriverGetVersion when probed, else the minor's own
 * minimum driver, else its driver branch, else the branch table. -1 when nothing tells. */
static int driver_native(const struct rctx *x, const struct ge_version *v)
{
    const struct ge_host_facts *h = x->h;
    if (h->driver_cuda_probed)
        return minor_le(v, &h->driver_cuda) ? 1 : 0;
    int branch;
    const struct ge_ver *min = minor_min_driver(x, v, &branch);
    /* a bare branch: what the branch table says it runs natively */
    if (h->driver_branch_only && h->driver_cuda_known)
        return minor_le(v, &h->driver_cuda) ? 1 : 0;
    if (min)
        return ge_version_cmp(&h->driver.v, &min->v) >= 0 ? 1 : 0;
    if (branch)
        return h->driver.v.part[0] >= (unsigned)branch ? 1 : 0;
    if (h->driver_cuda_known)
        return minor_le(v, &h->driver_cuda) ? 1 : 0;
    return -1;
}

/* Code built for the archs in list runs on gpu: a cubin of the same major with minor <= the
 * GPU's, or PTX at or below the GPU's capability (then *ptx_only). */
/* Whether every host whose driver is known runs CUDA v natively. */
static bool native_everywhere(const struct rctx *x, const struct ge_version *v)
{
    for (int h = 0; h < x->nhosts; h++) {
        struct rctx y = *x;
        y.h = &x->hosts[h].f;
        if (y.h->driver_known && driver_native(&y, v) != 1)
            return false;
    }
    return true;
}

static bool arch_runs(const struct ge_arch *list, int n, struct ge_cc gpu, bool *ptx_only)
{
    bool ptx = false;
    for (int i = 0; i < n; i++) {
        if (list[i].cc.major == gpu.major && list[i].cc.minor <= gpu.minor) {
            *ptx_only = false;
            return true;
        }
        if (list[i].ptx && ge_cc_cmp(list[i].cc, gpu) <= 0)
            ptx = true;
    }
    *ptx_only = ptx;
    return ptx;
}

/* A toolkit (or a library built with it) targets the GPU when one of its capabilities has the
 * GPU's major and a minor <= the GPU's; a GPU newer than every capability runs PTX of the
 * newest one. A GPU older than all of them was dropped. */
static bool ccs_runs(const struct ge_cc *ccs, int n, struct ge_cc gpu, bool *ptx_only)
{
    struct ge_cc max = {0, 0};
    *ptx_only = false;
    for (int i = 0; i < n; i++) {
        if (ccs[i].major == gpu.major && ccs[i].minor <= gpu.minor)
            return true;
        if (ge_cc_cmp(ccs[i], max) > 0)
            max = ccs[i];
    }
    if (n > 0 && ge_cc_cmp(gpu, max) > 0) {
        *ptx_only = true;
        return true;
    }
    return false;
}

static void ccs_list(const struct ge_cc *ccs, int n, char *buf, size_t size)
{
    struct ge_buf b;
    ge_buf_init(&b);
    for (int i = 0; i < n; i++) {
        char cc[8];
        ge_buf_addf(&b, "%s%s", i ? " " : "", fmtcc(ccs[i], cc, sizeof cc));
    }
    ge_strlcpy(buf, ge_buf_str(&b), size);
    ge_buf_fini(&b);
}

/* A fact of r's cuda<major> build: the build's own, else that of the nearest older release of the
 * same cuDNN major that states it. The CUDA floor and the driver floor never went down within a
 * cuDNN major (cuDNN 9's cuda11 builds: CUDA 11.8 and driver 450.80.02 in every support matrix
 * from 9.0.0 to 9.10.2; cuda12: 12.0 and 525.60.13), so a release whose matrix is not published
 * is held to its predecessor's; its newest CUDA is at least its predecessor's. NULL: not known. */
enum build_fact { FACT_CUDA_MIN, FACT_CUDA_MAX, FACT_DRIVER };

static const struct ge_cudnn_build *cudnn_inherited(const struct rctx *x, const struct ge_cudnn_release *r,
                                                    int major, enum build_fact fact)
{
    for (const struct ge_cudnn_release *o = r; o >= x->m->cudnn; o--) {
        if (o->version.v.part[0] != r->version.v.part[0])
            break;
        const struct ge_cudnn_build *b = ge_matrix_cudnn_build(o, major);
        if (b && (fact == FACT_DRIVER    ? b->min_driver.has_linux
                  : fact == FACT_CUDA_MIN ? b->has_cuda_min
                                          : b->has_cuda_max))
            return b;
    }
    return NULL;
}

/* cuDNN's hardware forward compatibility (data/cudnn.json policy 'hardware-forward-compat'): from
 * cuDNN 9.0.0, a build for CUDA 12 or newer runs on a GPU newer than every capability it supports
 * natively, by JIT-compiling the PTX it carries; cuDNN 8 and the cuda11 builds do not. */
static bool cudnn_forward_compat(const struct rctx *x, const struct ge_cudnn_release *r, int major)
{
    return x->m->rule_cudnn_forward_compat && r->version.v.part[0] >= 9 && major >= 12;
}

/* Whether r's cuda<major> build runs on gpu only in forward-compatibility mode: newer than every
 * capability it lists, under the policy. */
static bool cudnn_forward_only(const struct rctx *x, const struct ge_cudnn_release *r, int major, struct ge_cc gpu)
{
    const struct ge_cudnn_build *b = ge_matrix_cudnn_build(r, major);
    bool ptx;
    return b && b->nccs && cudnn_forward_compat(x, r, major) && ccs_runs(b->ccs, b->nccs, gpu, &ptx) && ptx;
}

/* Whether cuDNN release r (its cuda<major> build) supports gpu, used with CUDA cuda (NULL: not
 * known). Support-matrix rows that narrow the build decide first: a capability listed only for
 * some CUDA minors (and a driver) holds there alone. Then the build's own list; otherwise the
 * nearest older release of the same cuDNN major whose build lists capabilities gives a floor,
 * since NVIDIA never brings a dropped architecture back (cuDNN 9.0 dropped Kepler for every later
 * 9.x). No data at all: not refused. why gets the reason. */
static bool cudnn_runs_d(const struct rctx *x, const struct ge_cudnn_release *r, int major, struct ge_cc gpu,
                         const struct ge_version *cuda, char *why, size_t size, bool *by_driver);

static bool cudnn_runs(const struct rctx *x, const struct ge_cudnn_release *r, int major, struct ge_cc gpu,
                       const struct ge_version *cuda, char *why, size_t size)
{
    bool by_driver;
    return cudnn_runs_d(x, r, major, gpu, cuda, why, size, &by_driver);
}

/* cudnn_runs, and *by_driver when only the driver keeps a support-matrix row from applying */
static bool cudnn_runs_d(const struct rctx *x, const struct ge_cudnn_release *r, int major, struct ge_cc gpu,
                         const struct ge_version *cuda, char *why, size_t size, bool *by_driver)
{
    const struct ge_matrix *m = x->m;
    *by_driver = false;
    char cc[8], mn[8];
    fmtcc(gpu, cc, sizeof cc);
    const struct ge_cudnn_build *b = ge_matrix_cudnn_build(r, major);
    bool ptx;
    /* Without forward compatibility a build runs only where it has native code, and it cannot have
     * code for a GPU newer than every target of the newest CUDA it supports (its own, else its
     * predecessor's): cuDNN 8.9.7 (CUDA <= 12.2, up to 9.0) on a Blackwell GPU. */
    if (!cudnn_forward_compat(x, r, major)) {
        const struct ge_cudnn_build *cb = cudnn_inherited(x, r, major, FACT_CUDA_MAX);
        const struct ge_cuda_ccs *cs = cb ? ge_matrix_cuda_ccs(m, &cb->cuda_max.v) : NULL;
        if (cs && ccs_runs(cs->ccs, cs->nccs, gpu, &ptx) && ptx) {
            snprintf(why, size, "cuDNN %s (cuda%d build, CUDA <= %s) has no code for compute capability %s; "
                     "only from 9.0, with CUDA 12+, it runs on newer GPUs", r->version.s, major, cb->cuda_max.s, cc);
            return false;
        }
    }
    if (b && b->nrows) {
        /* every row that lists the GPU and this CUDA is tried: one whose driver floor this driver
         * meets is enough (9.10.2: sm_80 with CUDA 12.8 under 12.x's 525.60.13 row as well as 570.26's) */
        const struct ge_cudnn_row *listed = NULL, *low = NULL;
        for (int i = 0; i < b->nrows; i++) {
            const struct ge_cudnn_row *rw = &b->rows[i];
            if (!ccs_runs(rw->ccs, rw->nccs, gpu, &ptx) || ptx)
                continue;
            listed = rw;
            if (cuda && !(minor_le(&rw->cuda_min.v, cuda) && minor_le(cuda, &rw->cuda_max.v)))
                continue;
            if (rw->has_driver && x->h->driver_known && strcmp(x->h->platform, "linux") == 0 &&
                ge_version_cmp(&x->h->driver.v, &rw->min_driver.v) < 0) {
                if (!low || ge_version_cmp(&rw->min_driver.v, &low->min_driver.v) < 0)
                    low = rw;
                continue;
            }
            return true;
        }
        if (low) {
            snprintf(why, size, "cuDNN %s (cuda%d build) supports compute capability %s only with a driver >= "
                     "%s; this one is %s", r->version.s, major, cc, low->min_driver.s, x->h->driver.s);
            *by_driver = true;
            return false;
        }
        if (listed && cuda) {
            snprintf(why, size, "cuDNN %s (cuda%d build) supports compute capability %s only with CUDA %s to %s",
                     r->version.s, major, cc, listed->cuda_min.s, listed->cuda_max.s);
            return false;
        }
        if (listed)
            return true;
    }
    if (b && b->nccs) {
        if (ccs_runs(b->ccs, b->nccs, gpu, &ptx) && (!ptx || cudnn_forward_compat(x, r, major)))
            return true;
        if (ptx) {
            struct ge_cc top = b->ccs[0];
            for (int i = 1; i < b->nccs; i++)
                if (ge_cc_cmp(b->ccs[i], top) > 0)
                    top = b->ccs[i];
            snprintf(why, size, "cuDNN %s (cuda%d build) supports compute capabilities up to %s, not %s: cuDNN runs on "
                     "newer GPUs only from 9.0, with CUDA 12+", r->version.s, major,
                     fmtcc(top, mn, sizeof mn), cc);
        } else
            snprintf(why, size, "cuDNN %s (cuda%d build) does not support compute capability %s", r->version.s, major,
                     cc);
        return false;
    }
    if (b && b->has_ccs_min) {
        if (ge_cc_cmp(gpu, b->ccs_min) >= 0)
            return true;
        snprintf(why, size, "cuDNN %s needs compute capability %s or newer, not %s", r->version.s,
                 fmtcc(b->ccs_min, mn, sizeof mn), cc);
        return false;
    }
    for (const struct ge_cudnn_release *o = r; o >= m->cudnn; o--) {
        if (o->version.v.part[0] != r->version.v.part[0])
            break;
        const struct ge_cudnn_build *ob = ge_matrix_cudnn_build(o, major);
        if (!ob || (!ob->nccs && !ob->has_ccs_min))
            continue;
        struct ge_cc floor = ob->has_ccs_min ? ob->ccs_min : ob->ccs[0];
        for (int i = 0; i < ob->nccs; i++)
            if (ge_cc_cmp(ob->ccs[i], floor) < 0)
                floor = ob->ccs[i];
        if (ge_cc_cmp(gpu, floor) >= 0)
            return true;
        snprintf(why, size, "cuDNN %s (cuda%d build) does not support compute capability %s: cuDNN %s "
                 "already needed %s or newer", r->version.s, major, cc, o->version.s, fmtcc(floor, mn, sizeof mn));
        return false;
    }
    return true;
}

static void check_cudnn_gpus(const struct rctx *x, struct cand *c, bool *ptx_only)
{
    if (!x->h->gpus_known || x->h->ngpus == 0)
        return;
    if (!c->cudnn_rel) {
        /* A torch wheel brings its own cuDNN. When the matrix does not say which, whatever it is
         * has a build for the wheel's CUDA major: when every such cuDNN the matrix knows supports
         * the GPU, so does the wheel's; when none does, neither does it; else it is a gap. */
        if (c->fw != GE_PKG_TORCH)
            return;
        /* the release's other variants tell the cuDNN major it bundles (torch 2.4 on: cuDNN 9) */
        unsigned dnn_major = 0;
        for (int v = 0; v < c->tr->nvariants; v++)
            if (c->tr->variants[v].has_cudnn)
                dnn_major = c->tr->variants[v].cudnn.v.part[0];
        for (int g = 0; g < x->h->ngpus; g++) {
            int yes = 0, no = 0;
            char why[200] = "";
            for (size_t d = 0; d < x->m->ncudnn; d++) {
                const struct ge_cudnn_release *cd = &x->m->cudnn[d];
                if (!ge_matrix_cudnn_build(cd, c->cudnn_major) || (dnn_major && cd->version.v.part[0] != dnn_major))
                    continue;
                char w[200];
                if (cudnn_runs(x, cd, c->cudnn_major, x->h->gpus[g], c->has_cuda ? &c->cuda : NULL, w, sizeof w))
                    yes++;
                else if (no++ == 0)
                    ge_strlcpy(why, w, sizeof why);
            }
            char cc[8];
            fmtcc(x->h->gpus[g], cc, sizeof cc);
            if (no && !yes)
                ge_rs_fail(c, GE_REASON_GPU, "no cuDNN for CUDA %d supports compute capability %s (GPU %d), so neither "
                     "does the one %s bundles", c->cudnn_major, cc, g, c->out->label);
            else if (no)
                ge_rs_unknown(c, GE_REASON_GPU, "the matrix lacks the cuDNN bundled with %s, and cuDNN releases for CUDA "
                        "%d differ on compute capability %s (GPU %d): %s", c->out->label, c->cudnn_major, cc, g, why);
        }
        return;
    }
    for (int g = 0; g < x->h->ngpus; g++) {
        char why[200];
        bool by_driver;
        if (!cudnn_runs_d(x, c->cudnn_rel, c->cudnn_major, x->h->gpus[g], c->has_cuda ? &c->cuda : NULL, why,
                          sizeof why, &by_driver))
            ge_rs_fail(c, by_driver ? GE_REASON_DRIVER : GE_REASON_GPU, "%s (GPU %d)", why, g);
        else if (cudnn_forward_only(x, c->cudnn_rel, c->cudnn_major, x->h->gpus[g]))
            *ptx_only = true; /* PTX JIT: the driver must run the build's CUDA natively */
    }
}

/* ---- the dimensions ---- */

static void check_platform(const struct rctx *x, struct cand *c)
{
    if (c->amd) {
        ge_rs_amd_check_platform(x, c);
        return;
    }
    const char *plat = x->h->platform, *arch = x->h->arch;
    bool linux64 = strcmp(plat, "linux") == 0 && strcmp(arch, "x86_64") == 0;
    switch (c->fw) {
    case GE_PKG_TORCH:
        if (c->off_platform) {
            char list[96] = "";
            for (int j = 0; j < c->tr->nvariants; j++)
                if (!strstr(list, c->tr->variants[j].platform))
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "",
                             c->tr->variants[j].platform);
            ge_rs_fail(c, GE_REASON_PLATFORM, "torch %s has no CUDA build for %s %s (its builds are for %s)",
                 c->tr->version.s, plat, arch, list[0] ? list : "no platform");
        }
        break;
    case GE_PKG_TENSORFLOW:
        if (strcmp(plat, "windows") == 0 && strcmp(arch, "x86_64") == 0) {
            if (!c->tf->windows_gpu)
                ge_rs_fail(c, GE_REASON_PLATFORM, "tensorflow %s has no GPU support on native Windows "
                     "(the last release with it was 2.10; use WSL2)", c->tf->version.s);
        } else if (!linux64) {
            ge_rs_fail(c, GE_REASON_PLATFORM, "the matrix holds tensorflow's GPU builds for linux x86_64 only, not %s %s", plat, arch);
        }
        break;
    case GE_PKG_JAX:
        if (strcmp(plat, "linux") == 0 && strcmp(arch, "aarch64") == 0) {
            if (!c->jr->linux_aarch64)
                ge_rs_fail(c, GE_REASON_PLATFORM, "jax %s has no CUDA wheels for linux aarch64 (they come with 0.4.30)",
                     c->jr->version.s);
        } else if (!linux64) {
            ge_rs_fail(c, GE_REASON_PLATFORM, "jax's CUDA builds are for linux x86_64 and aarch64, not %s %s", plat, arch);
        }
        break;
    default:
        if (strcmp(arch, "x86_64") != 0 && strcmp(arch, "aarch64") != 0)
            ge_rs_fail(c, GE_REASON_PLATFORM, "NVIDIA's toolkit archives are for x86_64 and aarch64, not %s", arch);
        break;
    }
}

static const struct ge_ver *pythons(const struct cand *c, int *n)
{
    switch (c->fw) {
    case GE_PKG_TORCH: *n = c->tr->npython; return c->tr->python;
    case GE_PKG_TENSORFLOW: *n = c->tf->npython; return c->tf->python;
    case GE_PKG_JAX: *n = c->jr->npython; return c->jr->python;
    default: *n = 0; return NULL;
    }
}

static void check_python(const struct rctx *x, struct cand *c)
{
    if (c->fw == GE_PKG_CUDA)
        return;
    int n;
    const struct ge_ver *py = c->amd ? ge_rs_amd_pythons(c, &n) : pythons(c, &n);
    const struct ge_req *want = x->python_req;
    bool specific = x->h->python_known && (!want || ge_req_match(want, &x->h->python.v));
    if (!specific && !want)
        return; /* no Python known: not checked */
    if (n == 0) {
        ge_rs_unknown(c, GE_REASON_PYTHON, "the matrix lacks the Python versions of %s", c->out->label);
        return;
    }
    for (int i = n; i-- > 0;) {
        bool ok = specific ? ge_version_cmp(&py[i].v, &x->h->python.v) == 0 : ge_req_match(want, &py[i].v);
        if (ok) {
            c->py_for = py[i].s;
            return;
        }
    }
    char list[160];
    ge_matrix_python_list(py, n, " to ", list, sizeof list);
    if (specific)
        ge_rs_fail(c, GE_REASON_PYTHON, "%s supports Python %s, not %s", c->out->label, list, x->h->python.s);
    else
        ge_rs_fail(c, GE_REASON_PYTHON, "%s supports Python %s, none of them '%s'", c->out->label, list, want->text);
}

/* Whether c runs on every GPU; *ptx_only when some GPU runs only JIT-compiled PTX. */
static void check_gpus(const struct rctx *x, struct cand *c, bool *ptx_only)
{
    *ptx_only = false;
    if (c->amd) {
        ge_rs_amd_check_gpus(x, c);
        return;
    }
    if (!x->h->gpus_known || x->h->ngpus == 0)
        return;
    for (int g = 0; g < x->h->ngpus; g++) {
        struct ge_cc gpu = x->h->gpus[g];
        char cc[8], list[200];
        bool ptx = false;
        fmtcc(gpu, cc, sizeof cc);
        switch (c->fw) {
        case GE_PKG_TORCH:
            if (c->tv->narch == 0) {
                ge_rs_unknown(c, GE_REASON_GPU, "the matrix does not list the GPU architectures of %s", c->out->label);
                return;
            }
            if (!arch_runs(c->tv->arch, c->tv->narch, gpu, &ptx)) {
                char archs[256];
                ge_matrix_arch_list(c->tv, archs, sizeof archs);
                struct ge_cc top = c->tv->arch[0].cc;
                for (int a = 1; a < c->tv->narch; a++)
                    if (ge_cc_cmp(c->tv->arch[a].cc, top) > 0)
                        top = c->tv->arch[a].cc;
                /* only PTX of its newest architecture could serve this GPU, and whether the
                 * wheels carry PTX is not known: a gap, not a refusal */
                if (c->tv->ptx_unknown && ge_cc_cmp(gpu, top) > 0)
                    ge_rs_unknown(c, GE_REASON_GPU, "the matrix does not know whether %s embeds PTX, which compute "
                            "capability %s (GPU %d) would need (its cubins: %s)", c->out->label, cc, g, archs);
                else
                    ge_rs_fail(c, GE_REASON_GPU, "%s has no code for compute capability %s (GPU %d); it is built for %s",
                         c->out->label, cc, g, archs);
            }
            break;
        case GE_PKG_JAX:
            if (!c->jx->has_min_sm) {
                ge_rs_unknown(c, GE_REASON_GPU, "the matrix lacks the GPU floor of %s", c->out->label);
                return;
            }
            if (ge_cc_cmp(gpu, c->jx->min_sm) < 0) {
                char mn[8];
                ge_rs_fail(c, GE_REASON_GPU, "%s needs compute capability %s or newer; GPU %d is %s", c->out->label,
                     fmtcc(c->jx->min_sm, mn, sizeof mn), g, cc);
            }
            break;
        default: { /* tensorflow and plain toolkits: what the toolkit can target */
            if (c->fw == GE_PKG_TENSORFLOW && c->tf->has_min_sm && ge_cc_cmp(gpu, c->tf->min_sm) < 0) {
                char mn[8];
                ge_rs_fail(c, GE_REASON_GPU, "%s needs compute capability %s or newer; GPU %d is %s", c->out->label,
                     fmtcc(c->tf->min_sm, mn, sizeof mn), g, cc);
                break;
            }
            if (!c->has_cuda) {
                ge_rs_unknown(c, GE_REASON_GPU, "the matrix lacks the CUDA version of %s", c->out->label);
                return;
            }
            const struct ge_cuda_ccs *cs = ge_matrix_cuda_ccs(x->m, &c->cuda);
            if (!cs) {
                ge_rs_unknown(c, GE_REASON_GPU, "the matrix lacks the compute capabilities of CUDA %u.%u",
                     (unsigned)c->cuda.part[0], (unsigned)c->cuda.part[1]);
                return;
            }
            if (!ccs_runs(cs->ccs, cs->nccs, gpu, &ptx)) {
                ccs_list(cs->ccs, cs->nccs, list, sizeof list);
                ge_rs_fail(c, GE_REASON_GPU, "CUDA %s%s does not support compute capability %s (GPU %d); it targets %s",
                     cs->cuda.s, c->fw == GE_PKG_TENSORFLOW ? " (tensorflow's)" : "", cc, g, list);
            }
            break;
        }
        }
        if (ptx)
            *ptx_only = true;
    }
    check_cudnn_gpus(x, c, ptx_only);
}

static void check_driver(const struct rctx *x, struct cand *c, bool ptx_only)
{
    const struct ge_host_facts *h = x->h;
    char need[32], cv[16];
    if (c->amd) {
        ge_rs_amd_check_runtime(x, c);
        return;
    }
    if (c->fw == GE_PKG_JAX) {
        if (!c->jx->has_min_driver) {
            ge_rs_unknown(c, GE_REASON_DRIVER, "the matrix lacks the minimum driver of %s", c->out->label);
            return;
        }
        c->out->has_needed_driver = true;
        c->out->needed_driver = c->jx->min_driver;
        if (h->driver_known && ge_version_cmp(&h->driver.v, &c->jx->min_driver.v) < 0) {
            ge_rs_fail(c, GE_REASON_DRIVER, "%s needs a driver >= %s; this one is %s", c->out->label,
                 c->jx->min_driver.s, h->driver.s);
        } else if (x->o->strict && c->has_cuda && driver_native(x, &c->cuda) == 0) {
            /* --strict: the driver must run the extra's oldest CUDA natively, not through
             * minor-version compatibility */
            int branch;
            const struct ge_ver *nm = minor_min_driver(x, &c->cuda, &branch);
            if (nm && ge_version_cmp(&nm->v, &c->out->needed_driver.v) > 0)
                c->out->needed_driver = *nm;
            ge_rs_fail(c, GE_REASON_DRIVER, "--strict: %s needs a driver that runs CUDA %u.%u natively (>= %s); this one is "
                 "%s", c->out->label, (unsigned)c->cuda.part[0], (unsigned)c->cuda.part[1], nm ? nm->s : "?",
                 h->driver.s);
        }
        return;
    }
    if (!c->has_cuda) {
        ge_rs_unknown(c, GE_REASON_DRIVER, "the matrix lacks the CUDA version of %s", c->out->label);
        return;
    }
    fmtv(&c->cuda, cv, sizeof cv);
    int branch;
    const struct ge_ver *native_min = minor_min_driver(x, &c->cuda, &branch);
    const struct ge_ver *floor = mvc_floor(x, (int)c->cuda.part[0]);
    /* Plain toolkits, PTX-only GPUs and --strict need the driver to run the CUDA natively; the
     * rest may use the major's minor-version compatibility floor. */
    bool need_native = c->fw == GE_PKG_CUDA || ptx_only || x->o->strict;
    const struct ge_ver *needed = need_native ? native_min : (floor ? floor : native_min);
    if (needed) {
        c->out->has_needed_driver = true;
        c->out->needed_driver = *needed;
    }
    if (!h->driver_known)
        return;
    int native = driver_native(x, &c->cuda);
    if (native == 1)
        return;
    if (native < 0 && need_native) {
        ge_rs_unknown(c, GE_REASON_DRIVER, "the matrix lacks the minimum driver of CUDA %s", cv);
        return;
    }
    if (native_min)
        snprintf(need, sizeof need, "%s", native_min->s);
    else if (branch)
        snprintf(need, sizeof need, "R%d", branch);
    else
        snprintf(need, sizeof need, "an unknown version");
    char runs[64] = "";
    if (h->driver_cuda_known) {
        char dc[16];
        snprintf(runs, sizeof runs, " (it runs CUDA %s natively)", fmtv(&h->driver_cuda, dc, sizeof dc));
    }
    if (need_native) {
        if (c->fw == GE_PKG_CUDA)
            ge_rs_fail(c, GE_REASON_DRIVER, "CUDA %s needs a driver >= %s; this one is %s%s", cv, need, h->driver.s, runs);
        else if (ptx_only)
            ge_rs_fail(c, GE_REASON_DRIVER, "a GPU here runs %s only through PTX, which needs a driver that runs "
                 "CUDA %s natively (>= %s); this one is %s%s", c->out->label, cv, need, h->driver.s, runs);
        else
            ge_rs_fail(c, GE_REASON_DRIVER, "--strict: CUDA %s needs a driver >= %s; this one is %s%s", cv, need,
                 h->driver.s, runs);
        return;
    }
    if (floor && ge_version_cmp(&h->driver.v, &floor->v) >= 0) {
        c->out->mvc = true; /* runs through minor-version compatibility */
        return;
    }
    ge_rs_fail(c, GE_REASON_DRIVER, "%s needs a driver >= %s (CUDA %u.x minor-version compatibility; CUDA %s "
         "natively needs %s); this one is %s%s", c->out->label, floor ? floor->s : "?",
         (unsigned)c->cuda.part[0], cv, need, h->driver.s, runs);
}

/* Whether NumPy's rule "<2" leaves room for the user's numpy requirement. */
/* Whether some NumPy release satisfies both the user's requirement and a framework's rule ("<2",
 * ">=1.22,<2"): the versions either names, and their neighbours, are the only places where the
 * answer can change, so trying them decides it. */
static bool numpy_compatible(const struct ge_req *user, const char *rule)
{
    char text[64];
    struct ge_req r;
    struct ge_err e;
    if (snprintf(text, sizeof text, "numpy%s", rule) >= (int)sizeof text || ge_req_parse(&r, text, &e) < 0)
        return true; /* the loader checked it; nothing to hold against the user */
    const struct ge_req *both[2] = {user, &r};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < both[k]->nspecs; i++) {
            const struct ge_version *v = &both[k]->specs[i].v;
            struct ge_version probe[5];
            for (int j = 0; j < 5; j++) {
                probe[j] = *v;
                probe[j].n = 3;
                for (int q = v->n; q < 3; q++)
                    probe[j].part[q] = 0;
            }
            probe[1].part[2]++;                                     /* just above */
            probe[2].part[1]++, probe[2].part[2] = 0;               /* next minor */
            probe[3].part[0]++, probe[3].part[1] = probe[3].part[2] = 0; /* next major */
            if (probe[4].part[2] > 0)                               /* just below */
                probe[4].part[2]--;
            else if (probe[4].part[1] > 0)
                probe[4].part[1]--, probe[4].part[2] = 999;
            else if (probe[4].part[0] > 0)
                probe[4].part[0]--, probe[4].part[1] = probe[4].part[2] = 999;
            for (int j = 0; j < 5; j++)
                if (ge_req_match(user, &probe[j]) && ge_req_match(&r, &probe[j]))
                    return true;
        }
    return false;
}

static const struct ge_cudnn_release *cudnn_for(const struct rctx *x, int major, const struct ge_version *cuda,
                                                const struct ge_version *at_least, bool use_req, bool *by_rule,
                                                bool same_major);
static const struct ge_cudnn_release *cudnn_for_any_gpu(const struct rctx *x, int major, const struct ge_version *cuda);

/* JAX supports every CUDA of its extra's major from the extra's minimum on ("built with CUDA 12.8;
 * all versions of CUDA 12.1 or newer remain supported", CHANGELOG 0.6.0): whether one matches. */
static bool jax_cuda_possible(const struct rctx *x, const struct cand *c)
{
    for (size_t i = 0; i < x->m->ncuda; i++) {
        const struct ge_version *v = &x->m->cuda[i].version.v;
        if (v->part[0] == c->cuda.part[0] && minor_le(&c->cuda, v) && ge_req_match(x->cuda_req, v))
            return true;
    }
    return false;
}

/* A torchaudio whose version is an older torch release's (torchaudio 2.11.0 beside torch 2.12 to
 * 2.14, after torchaudio went into maintenance) exists only for that release's variants: there is
 * no cu132 torchaudio 2.11.0 (pytorch/audio#4194). NULL when it has this variant. */
static const struct ge_torch_release *audio_lacks_variant(const struct rctx *x, const struct cand *c)
{
    if (!c->tr->has_audio || ge_version_cmp(&c->tr->audio.v, &c->tr->version.v) == 0)
        return NULL;
    for (size_t i = 0; i < x->m->ntorch; i++) {
        const struct ge_torch_release *o = &x->m->torch[i];
        if (ge_version_cmp(&o->version.v, &c->tr->audio.v) != 0)
            continue;
        if (c->amd) { /* its ROCm variants */
            const struct ge_torch_rocm_release *rr = ge_matrix_torch_rocm(x->m, &o->version.v);
            for (int j = 0; rr && c->rv && j < rr->nvariants; j++)
                if (strcmp(rr->variants[j].name, c->rv->name) == 0)
                    return NULL;
            return o;
        }
        for (int j = 0; j < o->nvariants; j++)
            if (strcmp(o->variants[j].name, c->tv->name) == 0 && strcmp(o->variants[j].platform, c->tv->platform) == 0)
                return NULL;
        return o;
    }
    return NULL; /* its own release is not in the matrix: nothing to hold against it */
}

static void check_conflicts(const struct rctx *x, struct cand *c)
{
    char cv[24];
    const struct ge_torch_release *ao = x->audio_req && c->fw == GE_PKG_TORCH ? audio_lacks_variant(x, c) : NULL;
    if (ao && c->amd) {
        ge_rs_fail(c, GE_REASON_CONFLICT, "torchaudio %s, the companion of %s, has no %s build: it is built for torch "
                   "%s's variants", c->tr->audio.s, c->out->label, c->rv ? c->rv->name : "ROCm", ao->version.s);
    } else if (ao) {
        char list[96] = "";
        for (int j = 0; j < ao->nvariants; j++)
            if (strcmp(ao->variants[j].platform, c->tv->platform) == 0)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "",
                         ao->variants[j].name);
        ge_rs_fail(c, GE_REASON_CONFLICT, "torchaudio %s, the companion of %s, has no %s build: it is built for torch %s's "
             "variants (%s)", c->tr->audio.s, c->out->label, c->tv->name, ao->version.s, list);
    }
    if (x->cuda_req && c->fw == GE_PKG_JAX && c->has_cuda) {
        if (!jax_cuda_possible(x, c))
            ge_rs_fail(c, GE_REASON_CONFLICT, "%s needs CUDA %u.%u or a newer %u.x, which '%s' excludes", c->out->label,
                 (unsigned)c->cuda.part[0], (unsigned)c->cuda.part[1], (unsigned)c->cuda.part[0], x->cuda_req->text);
    } else if (x->cuda_req && c->fw != GE_PKG_CUDA) {
        const struct ge_version *v = c->cuda_rel ? &c->cuda_rel->version.v : (c->has_cuda ? &c->cuda : NULL);
        if (!v)
            ge_rs_unknown(c, GE_REASON_CONFLICT, "the matrix lacks the CUDA version of %s", c->out->label);
        else if (!ge_req_match(x->cuda_req, v) && !(c->has_cuda && ge_req_match(x->cuda_req, &c->cuda)))
            ge_rs_fail(c, GE_REASON_CONFLICT, "%s is built for CUDA %s, which '%s' excludes", c->out->label,
                 fmtv(v, cv, sizeof cv), x->cuda_req->text);
    }
    if (x->cudnn_req && c->fw == GE_PKG_JAX && c->has_cuda) {
        /* chosen with the plan: some requested cuDNN of the extra's major from its minimum on */
        const struct ge_version *floor = c->jx->has_cudnn_min ? &c->jx->cudnn_min.v : NULL;
        struct rctx y = *x;
        y.nhosts = 0;
        if (!cudnn_for(&y, c->cudnn_major, NULL, floor, true, NULL, floor != NULL))
            ge_rs_fail(c, GE_REASON_CONFLICT, "%s needs a cuDNN %s%s for CUDA %u, which '%s' excludes", c->out->label,
                 floor ? ">= " : "", floor ? c->jx->cudnn_min.s : "", (unsigned)c->cuda.part[0], x->cudnn_req->text);
    } else if (x->cudnn_req && c->fw != GE_PKG_CUDA) {
        if (!c->cudnn_rel)
            ge_rs_unknown(c, GE_REASON_CONFLICT, "the matrix lacks the cuDNN version of %s", c->out->label);
        else if (!ge_req_match(x->cudnn_req, &c->cudnn_rel->version.v) &&
                 !(c->cudnn_rel->has_full && ge_req_match(x->cudnn_req, &c->cudnn_rel->full.v)))
            ge_rs_fail(c, GE_REASON_CONFLICT, "%s comes with cuDNN %s, which '%s' excludes", c->out->label,
                 c->cudnn_rel->version.s, x->cudnn_req->text);
    } else if (x->cudnn_req && !cudnn_for(x, c->cudnn_major, &c->cuda, NULL, true, NULL, false)) {
        /* a plain toolkit: some cuDNN the request allows must have a build for it; when one has,
         * but not for this machine's GPUs, the GPU is the reason */
        const struct ge_cudnn_release *any = cudnn_for_any_gpu(x, c->cudnn_major, &c->cuda);
        bool said = false;
        for (int g = 0; any && g < x->h->ngpus && !said; g++) {
            char why[200];
            if (!cudnn_runs(x, any, c->cudnn_major, x->h->gpus[g], &c->cuda, why, sizeof why)) {
                ge_rs_fail(c, GE_REASON_GPU, "%s (GPU %d)", why, g);
                said = true;
            }
        }
        /* ... or, when the GPUs are not the reason, the driver below the build's floor */
        const struct ge_cudnn_build *fd = any ? cudnn_inherited(x, any, c->cudnn_major, FACT_DRIVER) : NULL;
        if (!said && fd && x->h->driver_known && strcmp(x->h->platform, "linux") == 0 &&
            ge_version_cmp(&x->h->driver.v, &fd->min_driver.linux_x86_64.v) < 0) {
            if (!c->out->has_needed_driver ||
                ge_version_cmp(&c->out->needed_driver.v, &fd->min_driver.linux_x86_64.v) < 0)
                c->out->needed_driver = fd->min_driver.linux_x86_64;
            c->out->has_needed_driver = true;
            ge_rs_fail(c, GE_REASON_DRIVER, "cuDNN %s (cuda%d build) needs a driver >= %s; this one is %s", any->version.s,
                 c->cudnn_major, fd->min_driver.linux_x86_64.s, x->h->driver.s);
            said = true;
        }
        if (!said)
            ge_rs_fail(c, GE_REASON_CONFLICT, "no cuDNN matching '%s' has a build for CUDA %s", x->cudnn_req->text,
                 c->cuda_rel->version.s);
    }
    if (x->numpy_req && numpy_rule(c)[0] && !numpy_compatible(x->numpy_req, numpy_rule(c))) {
        if (strcmp(numpy_rule(c), "<2") == 0)
            ge_rs_fail(c, GE_REASON_CONFLICT, "%s needs NumPy < 2, which '%s' excludes", c->out->label, x->numpy_req->text);
        else
            ge_rs_fail(c, GE_REASON_CONFLICT, "%s needs numpy%s, which '%s' excludes", c->out->label, numpy_rule(c),
                 x->numpy_req->text);
    }
}

/* ---- building candidates ---- */

/* Whether cuDNN release r (its cudaNN build) runs on every host: its driver floor and its GPUs.
 * -1 when it does; else the index of the first host that refuses it, and why (when asked). */
static int cudnn_fits_hosts(const struct rctx *x, const struct ge_cudnn_release *r, int major,
                            const struct ge_version *cuda, char *why, size_t size)
{
    const struct ge_cudnn_build *fd = cudnn_inherited(x, r, major, FACT_DRIVER);
    for (int k = 0; k < x->nhosts; k++) {
        struct rctx y = *x;
        const struct ge_host_facts *h = y.h = &x->hosts[k].f;
        if (h->driver_known && fd && strcmp(h->platform, "linux") == 0 &&
            ge_version_cmp(&h->driver.v, &fd->min_driver.linux_x86_64.v) < 0) {
            if (why)
                snprintf(why, size, "cuDNN %s (cuda%d build) needs a driver >= %s; this one is %s", r->version.s, major,
                         fd->min_driver.linux_x86_64.s, h->driver.s);
            return k;
        }
        for (int g = 0; h->gpus_known && g < h->ngpus; g++) {
            char w[200];
            if (!cudnn_runs(&y, r, major, h->gpus[g], cuda, w, sizeof w)) {
                if (why)
                    snprintf(why, size, "%s (GPU %d)", w, g);
                return k;
            }
        }
    }
    return -1;
}

static const struct ge_cudnn_release *cudnn_for(const struct rctx *x, int major, const struct ge_version *cuda,
                                                const struct ge_version *at_least, bool use_req, bool *by_rule,
                                                bool same_major)
{
    if (by_rule)
        *by_rule = false;
    for (size_t i = x->m->ncudnn; i-- > 0;) {
        const struct ge_cudnn_release *r = &x->m->cudnn[i];
        const struct ge_cudnn_build *b = ge_matrix_cudnn_build(r, major);
        if (!b)
            continue;
        if (at_least && (ge_version_cmp(&r->version.v, at_least) < 0 ||
                         (same_major && r->version.v.part[0] != at_least->part[0])))
            continue;
        if (use_req && x->cudnn_req && !ge_req_match(x->cudnn_req, &r->version.v) &&
            !(r->has_full && ge_req_match(x->cudnn_req, &r->full.v)))
            continue;
        const struct ge_cudnn_build *fc = cudnn_inherited(x, r, major, FACT_CUDA_MIN);
        if (cuda && fc && !minor_le(&fc->cuda_min.v, cuda))
            continue;
        /* a CUDA minor newer than the build lists: only under the sourced rule that a cudaNN build
         * runs with every later NN.y (cudnn.json policies) */
        bool beyond = cuda && b->has_cuda_max && !minor_le(cuda, &b->cuda_max.v);
        if (beyond && !x->m->rule_cudnn_major_build)
            continue;
        if (cudnn_fits_hosts(x, r, major, cuda, NULL, 0) < 0) {
            if (by_rule)
                *by_rule = beyond;
            return r;
        }
    }
    return NULL;
}

/* cudnn_for without the host's GPUs and driver: the newest requested cuDNN with a build for CUDA
 * cuda at all. */
static const struct ge_cudnn_release *cudnn_for_any_gpu(const struct rctx *x, int major, const struct ge_version *cuda)
{
    struct rctx y = *x;
    y.nhosts = 0;
    return cudnn_for(&y, major, cuda, NULL, true, NULL, false);
}

static void cuda_of(const struct rctx *x, struct cand *c, const struct ge_ver *cuda)
{
    c->has_cuda = true;
    c->cuda = cuda->v;
    c->cuda_rel = cuda->v.n >= 3 ? ge_matrix_cuda(x->m, &cuda->v) : ge_matrix_cuda_newest_of_minor(x->m, &cuda->v);
    c->cudnn_major = (int)cuda->v.part[0];
}

static int build_candidates(struct rctx *x, struct cand **out, size_t *n, struct ge_err *err)
{
    size_t cap = 16, k = 0;
    const struct ge_matrix *m = x->m;
    if (x->amd) {
        struct cand *cs = calloc(ge_rs_amd_count(x) + 1, sizeof *cs);
        if (!cs)
            return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        if (ge_rs_amd_candidates(x, cs, &k, err) < 0) {
            free(cs);
            return -1;
        }
        *out = cs;
        *n = k;
        return 0;
    }
    if (x->fw == GE_PKG_TORCH)
        for (size_t i = 0; i < m->ntorch; i++)
            cap += (size_t)m->torch[i].nvariants;
    cap += m->ntf + m->ncuda;
    for (size_t i = 0; i < m->njax; i++)
        cap += (size_t)m->jax[i].nextras;
    struct cand *cs = calloc(cap, sizeof *cs);
    if (!cs)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    switch (x->fw) {
    case GE_PKG_TORCH:
        for (size_t i = m->ntorch; i-- > 0;) {
            const struct ge_torch_release *r = &m->torch[i];
            if (!ge_rs_torch_wanted(x, r))
                continue;
            /* variants newest CUDA first */
            int order[GE_MAX_VARIANTS];
            const struct ge_version *key[GE_MAX_VARIANTS];
            for (int j = 0; j < r->nvariants; j++)
                key[j] = &r->variants[j].cuda.v;
            ge_rs_newest_first(key, r->nvariants, order);
            /* the builds for the host's platform; a release without one still stands, to say so */
            int host = 0;
            for (int j = 0; j < r->nvariants; j++)
                host += strcmp(r->variants[j].platform, x->plat) == 0;
            for (int j = 0; j < r->nvariants; j++) {
                const struct ge_torch_variant *tv = &r->variants[order[j]];
                if (host ? strcmp(tv->platform, x->plat) != 0 : j > 0)
                    continue;
                if (!label_matches(x, tv))
                    continue;
                struct cand *c = &cs[k++];
                c->fw = GE_PKG_TORCH;
                c->tr = r;
                c->tv = tv;
                c->off_platform = host == 0;
                c->version = r->version.v;
                cuda_of(x, c, &c->tv->cuda);
                if (c->tv->has_cudnn)
                    c->cudnn_rel = ge_matrix_cudnn(m, &c->tv->cudnn.v);
            }
        }
        break;
    case GE_PKG_TENSORFLOW: {
        bool and_cuda = false;
        for (int e = 0; x->fw_req && e < x->fw_req->nextras; e++) {
            if (strcmp(x->fw_req->extras[e], "and-cuda") != 0) {
                free(cs);
                ge_err_set(err, GE_EXIT_USAGE, "tensorflow has no extra '%s'", x->fw_req->extras[e]);
                ge_err_hint(err, "the GPU extra is tensorflow[and-cuda] (from 2.14)");
                return -1;
            }
            and_cuda = true;
        }
        for (size_t i = m->ntf; i-- > 0;) {
            const struct ge_tf_release *r = &m->tf[i];
            if (x->fw_req && !ge_req_match(x->fw_req, &r->version.v))
                continue;
            if (and_cuda && r->and_cuda == 0)
                continue;
            struct cand *c = &cs[k++];
            c->fw = GE_PKG_TENSORFLOW;
            c->tf = r;
            c->version = r->version.v;
            if (r->has_cuda) {
                cuda_of(x, c, &r->cuda);
                /* the tested cuDNN series: the newest release of it with a build for this CUDA,
                 * when it runs here; else, since TensorFlow loads any cuDNN of the same major
                 * with an equal or higher minor (stream_executor/cuda/cuda_dnn.cc), the newest
                 * such that runs here (cuDNN 8.1 has no Hopper code, 8.9 has); else the tested
                 * series all the same, so that the GPU check says why; failing all, the newest
                 * cuDNN that fits the toolkit */
                const struct ge_cudnn_release *tested = NULL;
                if (r->has_cudnn)
                    for (size_t d = m->ncudnn; d-- > 0 && !tested;) {
                        const struct ge_cudnn_release *cd = &m->cudnn[d];
                        bool same = cd->version.v.part[0] == r->cudnn.v.part[0] &&
                                    (r->cudnn.v.n < 2 || cd->version.v.part[1] == r->cudnn.v.part[1]);
                        if (same && ge_matrix_cudnn_build(cd, c->cudnn_major))
                            tested = cd;
                    }
                if (tested) {
                    const struct ge_cudnn_release *newer = cudnn_for(x, c->cudnn_major, &c->cuda, &r->cudnn.v, false,
                                                                     NULL, true);
                    bool runs = true;
                    for (int h = 0; h < x->nhosts; h++) {
                        struct rctx y = *x;
                        const struct ge_host_facts *f = y.h = &x->hosts[h].f;
                        for (int g = 0; f->gpus_known && g < f->ngpus; g++) {
                            char why[200];
                            if (!cudnn_runs(&y, tested, c->cudnn_major, f->gpus[g], &c->cuda, why, sizeof why))
                                runs = false;
                        }
                    }
                    c->cudnn_rel = !runs && newer ? newer : tested;
                }
                if (r->has_cudnn && !c->cudnn_rel)
                    c->cudnn_rel = cudnn_for(x, c->cudnn_major, &c->cuda, NULL, false, NULL, false);
            }
        }
        break;
    }
    case GE_PKG_JAX: {
        const char *want = x->fw_req && x->fw_req->nextras ? x->fw_req->extras[0] : NULL;
        if (x->fw_req && x->fw_req->nextras > 1) {
            free(cs);
            ge_err_set(err, GE_EXIT_USAGE, "'%s' names more than one jax extra", x->fw_req->text);
            return -1;
        }
        bool any_extra = false;
        for (size_t i = m->njax; i-- > 0;) {
            const struct ge_jax_release *r = &m->jax[i];
            if (x->fw_req && !ge_req_match(x->fw_req, &r->version.v))
                continue;
            /* the extras to consider, with names as requirements write them (cuda12-local) */
            char en[GE_MAX_EXTRAS][32];
            bool take[GE_MAX_EXTRAS];
            int newest = 0; /* the newest CUDA major among them, from the name: cuda13 */
            for (int j = 0; j < r->nextras && j < GE_MAX_EXTRAS; j++) {
                const struct ge_jax_extra *e = &r->extras[j];
                ge_strlcpy(en[j], e->name, sizeof en[j]);
                for (char *p = en[j]; *p; p++)
                    if (*p == '_')
                        *p = '-';
                /* bare jax: each release's own CUDA extras that bring CUDA through pip (cuda12, and
                 * 0.4.x's cuda12_pip); not the local ones, nor 'cuda', an alias */
                take[j] = want ? strcmp(en[j], want) == 0
                               : !(e->local || strncmp(en[j], "cuda", 4) != 0 || !en[j][4]);
                if (take[j] && atoi(en[j] + 4) > newest)
                    newest = atoi(en[j] + 4);
                any_extra = any_extra || take[j];
            }
            /* extras with the newest CUDA major first */
            for (int pass = 0; pass < 2; pass++)
                for (int j = 0; j < r->nextras && j < GE_MAX_EXTRAS; j++) {
                    const struct ge_jax_extra *e = &r->extras[j];
                    if (!take[j] || (pass == 0) != (atoi(en[j] + 4) == newest))
                        continue;
                    struct cand *c = &cs[k++];
                    c->fw = GE_PKG_JAX;
                    c->jr = r;
                    c->jx = e;
                    c->version = r->version.v;
                    if (e->has_cuda_min) {
                        c->has_cuda = true;
                        c->cuda = e->cuda_min.v;
                        c->cudnn_major = (int)e->cuda_min.v.part[0];
                    }
                }
        }
        if (want && !any_extra) {
            free(cs);
            ge_err_set(err, GE_EXIT_USAGE, "jax has no extra '%s' in the matrix", want);
            ge_err_hint(err, "'gpuenv matrix jax' lists the extras (cuda12, cuda13, cuda12-local, ...)");
            return -1;
        }
        break;
    }
    default:
        for (size_t i = m->ncuda; i-- > 0;) {
            const struct ge_cuda_release *r = &m->cuda[i];
            if (x->cuda_req && !ge_req_match(x->cuda_req, &r->version.v))
                continue;
            struct cand *c = &cs[k++];
            c->fw = GE_PKG_CUDA;
            c->version = r->version.v;
            c->has_cuda = true;
            c->cuda = r->version.v;
            c->cuda_rel = r;
            c->cudnn_major = (int)r->version.v.part[0];
        }
        break;
    }
    *out = cs;
    *n = k;
    return 0;
}

static void label(struct cand *c)
{
    char v[24];
    if (c->amd) {
        ge_rs_amd_label(c);
        return;
    }
    fmtv(&c->version, v, sizeof v);
    switch (c->fw) {
    case GE_PKG_TORCH: snprintf(c->out->label, sizeof c->out->label, "torch %s %s", v, c->tv->name); break;
    case GE_PKG_TENSORFLOW: snprintf(c->out->label, sizeof c->out->label, "tensorflow %s", v); break;
    case GE_PKG_JAX: snprintf(c->out->label, sizeof c->out->label, "jax %s [%s]", v, c->jx->name); break;
    default: snprintf(c->out->label, sizeof c->out->label, "cuda-toolkit %s", v); break;
    }
}

/* ---- the plan ---- */

bool ge_rs_torch_wanted(const struct rctx *x, const struct ge_torch_release *r)
{
    return (!x->fw_req || ge_req_match(x->fw_req, &r->version.v)) &&
           (!x->vision_req || (r->has_vision && ge_req_match(x->vision_req, &r->vision.v))) &&
           (!x->audio_req || (r->has_audio && ge_req_match(x->audio_req, &r->audio.v)));
}

void ge_rs_newest_first(const struct ge_version *const *v, int n, int *order)
{
    for (int j = 0; j < n; j++)
        order[j] = j;
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && ge_version_cmp(v[order[b]], v[order[b - 1]]) > 0; b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
}

struct ge_plan_pkg *ge_rs_add_pkg(struct ge_plan *p, const char *name)
{
    if (p->npkgs >= GE_PLAN_MAX_PKGS)
        return NULL;
    struct ge_plan_pkg *k = &p->pkgs[p->npkgs++];
    memset(k, 0, sizeof *k);
    ge_strlcpy(k->name, name, sizeof k->name);
    return k;
}

void ge_rs_note(struct ge_plan *p, const char *fmt, ...)
{
    if (p->nnotes >= GE_PLAN_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->notes[p->nnotes++], sizeof p->notes[0], fmt, ap);
    va_end(ap);
}

/* The framework's NumPy rule and the user's requirement, both (they were checked to meet). */
static void plan_numpy(const struct rctx *x, const struct cand *c, struct ge_plan *p, struct ge_buf *pipb)
{
    struct ge_plan_pkg *k;
    char user_np[64] = "";
    if (x->numpy_req)
        ge_req_format(x->numpy_req, user_np, sizeof user_np);
    const char *user_specs = user_np[0] ? user_np + strlen("numpy") : "";
    if (strcmp(user_specs, numpy_rule(c)) == 0)
        user_specs = "";
    if ((numpy_rule(c)[0] || user_specs[0]) && (k = ge_rs_add_pkg(p, "numpy"))) {
        snprintf(k->constraint, sizeof k->constraint, "%s%s%s", numpy_rule(c),
                 numpy_rule(c)[0] && user_specs[0] ? "," : "", user_specs);
        if (numpy_rule(c)[0] || pipb->len)
            ge_buf_addf(pipb, " 'numpy%s'", k->constraint);
    }
}

static void build_plan(const struct rctx *x, const struct cand *c, struct ge_plan *p)
{
    char v[24];
    struct ge_plan_pkg *k;
    struct ge_buf pip;
    ge_buf_init(&pip);
    fmtv(&c->version, v, sizeof v);
    if (c->py_for)
        ge_strlcpy(p->python, c->py_for, sizeof p->python);
    else if (x->h->python_known)
        ge_strlcpy(p->python, x->h->python.s, sizeof p->python);
    if (c->amd) {
        ge_rs_amd_plan(x, c, p, &pip);
        plan_numpy(x, c, p, &pip);
        if (c->rv && pip.len) {
            char url[160];
            ge_matrix_torch_index_url(x->m, c->rv->name, url, sizeof url);
            ge_buf_addf(&pip, " --index-url %s", url);
            if (numpy_rule(c)[0] || x->numpy_req)
                ge_buf_addf(&pip, " --extra-index-url https://pypi.org/simple");
        }
        ge_strlcpy(p->pip, ge_buf_str(&pip), sizeof p->pip);
        ge_buf_fini(&pip);
        return;
    }
    switch (c->fw) {
    case GE_PKG_TORCH:
        if ((k = ge_rs_add_pkg(p, "torch"))) {
            ge_strlcpy(k->version, v, sizeof k->version);
            ge_strlcpy(k->variant, c->tv->name, sizeof k->variant);
            k->pypi_default = c->tv->default_on_pypi;
            ge_matrix_torch_index_url(x->m, c->tv->name, k->index_url, sizeof k->index_url);
            ge_buf_addf(&pip, "pip install torch==%s", v);
        }
        if (x->vision_req && (k = ge_rs_add_pkg(p, "torchvision"))) {
            ge_strlcpy(k->version, c->tr->vision.s, sizeof k->version);
            ge_strlcpy(k->variant, c->tv->name, sizeof k->variant);
            ge_buf_addf(&pip, " torchvision==%s", c->tr->vision.s);
        }
        if (x->audio_req && (k = ge_rs_add_pkg(p, "torchaudio"))) {
            ge_strlcpy(k->version, c->tr->audio.s, sizeof k->version);
            ge_strlcpy(k->variant, c->tv->name, sizeof k->variant);
            ge_buf_addf(&pip, " torchaudio==%s", c->tr->audio.s);
        }
        break;
    case GE_PKG_TENSORFLOW:
        if ((k = ge_rs_add_pkg(p, "tensorflow"))) {
            ge_strlcpy(k->version, v, sizeof k->version);
            if (c->tf->and_cuda == 1)
                ge_strlcpy(k->extra, "and-cuda", sizeof k->extra);
            ge_buf_addf(&pip, "pip install '%s%s==%s'", "tensorflow", c->tf->and_cuda == 1 ? "[and-cuda]" : "", v);
            if (c->tf->and_cuda != 1)
                ge_rs_note(p, "tensorflow %s loads CUDA and cuDNN from the system: the toolkit and cuDNN below "
                        "must be on the library path at run time", v);
        }
        break;
    case GE_PKG_JAX:
        if ((k = ge_rs_add_pkg(p, "jax"))) {
            ge_strlcpy(k->version, v, sizeof k->version);
            ge_strlcpy(k->extra, c->jx->name, sizeof k->extra);
            ge_strlcpy(k->find_links, c->jx->find_links, sizeof k->find_links);
            ge_buf_addf(&pip, "pip install 'jax[%s]==%s'", c->jx->name, v);
            if (c->jx->find_links[0])
                ge_buf_addf(&pip, " -f %s", c->jx->find_links);
            if (c->jx->local)
                ge_rs_note(p, "jax[%s] uses the CUDA toolkit and cuDNN installed on the system (below)", c->jx->name);
        }
        break;
    default:
        break;
    }
    for (int h = 0; h < x->nhosts; h++)
        if (x->hosts[h].f.driver_branch_only) {
            const char *d = x->hosts[h].f.driver.s;
            ge_rs_note(p, "%s%sdriver %s is read as branch R%s at its oldest release; give the full version nvidia-smi "
                       "prints for an exact answer", x->nhosts > 1 ? x->hosts[h].name : "", x->nhosts > 1 ? ": " : "",
                       d, d);
            break;
        }
    /* the toolkit: the build's own CUDA, or for jax the newest of its major the driver runs */
    const struct ge_cuda_release *tk = c->cuda_rel;
    if (c->fw == GE_PKG_JAX && c->has_cuda) {
        tk = NULL;
        for (size_t i = x->m->ncuda; i-- > 0;) {
            const struct ge_cuda_release *r = &x->m->cuda[i];
            if (r->version.v.part[0] != c->cuda.part[0] || !minor_le(&c->cuda, &r->version.v))
                continue;
            if (x->cuda_req && !ge_req_match(x->cuda_req, &r->version.v))
                continue;
            if (!native_everywhere(x, &r->version.v))
                continue;
            tk = r;
            break;
        }
    }
    if (tk && (k = ge_rs_add_pkg(p, "cuda-toolkit")))
        ge_strlcpy(k->version, tk->version.s, sizeof k->version);
    else if (c->has_cuda && (k = ge_rs_add_pkg(p, "cuda-toolkit")))
        fmtv(&c->cuda, k->version, sizeof k->version);
    const struct ge_cudnn_release *cd = c->cudnn_rel;
    if (!cd && (c->fw == GE_PKG_CUDA || c->fw == GE_PKG_JAX) && c->has_cuda) {
        struct ge_version tv = tk ? tk->version.v : c->cuda;
        const struct ge_version *floor = c->fw == GE_PKG_JAX && c->jx->has_cudnn_min ? &c->jx->cudnn_min.v : NULL;
        bool by_rule;
        /* JAX's wheels link the cuDNN major they were built with ("the CuDNN major must match",
         * jax-v0.4.8 README): the extra's minimum sets it */
        cd = cudnn_for(x, c->cudnn_major, &tv, floor, true, &by_rule, floor != NULL);
        if (!cd)
            ge_rs_note(p, "no cuDNN in the matrix is known to fit CUDA %u with this machine", (unsigned)tv.part[0]);
        else if (by_rule) {
            char t[24];
            const struct ge_cudnn_build *b = ge_matrix_cudnn_build(cd, c->cudnn_major);
            ge_rs_note(p, "cuDNN %s's cuda%d build lists CUDA up to %s; CUDA %s runs it by a rule, not a listed fact "
                    "(data/cudnn.json policy 'cuda-major-build')", cd->version.s, c->cudnn_major, b->cuda_max.s,
                 fmtv(&tv, t, sizeof t));
        }
    }
    if (cd && c->fw == GE_PKG_TENSORFLOW && c->tf->has_cudnn && c->tf->cudnn.v.n >= 2 &&
        (cd->version.v.part[0] != c->tf->cudnn.v.part[0] || cd->version.v.part[1] != c->tf->cudnn.v.part[1]))
        ge_rs_note(p, "tensorflow %s was tested with cuDNN %s, which has no code for a GPU here; it loads any cuDNN %u of an "
                "equal or newer minor, so cuDNN %s is used", c->tf->version.s, c->tf->cudnn.s,
             (unsigned)c->tf->cudnn.v.part[0], cd->version.s);
    bool said = false;
    for (int h = 0; cd && h < x->nhosts && !said; h++) {
        const struct ge_host_facts *f = &x->hosts[h].f;
        for (int g = 0; f->gpus_known && g < f->ngpus && !said; g++)
            if (cudnn_forward_only(x, cd, c->cudnn_major, f->gpus[g])) {
                char cc[8];
                ge_rs_note(p, "cuDNN %s's support matrix does not list compute capability %s (GPU %d%s%s): it runs there "
                        "in forward-compatibility mode, JIT-compiling its PTX, slower and with limits, by a rule, not a "
                        "listed fact (data/cudnn.json policy 'hardware-forward-compat')", cd->version.s,
                     fmtcc(f->gpus[g], cc, sizeof cc), g, x->nhosts > 1 ? " of " : "", x->nhosts > 1 ? x->hosts[h].name : "");
                said = true;
            }
    }
    if (cd && (k = ge_rs_add_pkg(p, "cudnn"))) {
        ge_strlcpy(k->version, cd->has_full ? cd->full.s : cd->version.s, sizeof k->version);
        snprintf(k->build, sizeof k->build, "cuda%d", c->cudnn_major);
    }
    plan_numpy(x, c, p, &pip);
    if (c->fw == GE_PKG_TORCH && pip.len) {
        char url[160];
        ge_matrix_torch_index_url(x->m, c->tv->name, url, sizeof url);
        ge_buf_addf(&pip, " --index-url %s", url);
        if (numpy_rule(c)[0] || x->numpy_req)
            ge_buf_addf(&pip, " --extra-index-url https://pypi.org/simple");
    }
    ge_strlcpy(p->pip, ge_buf_str(&pip), sizeof p->pip);
    ge_buf_fini(&pip);
    if (c->out->mvc) {
        char cv[16], dc[16], on[80] = "";
        const struct ge_host_facts *f = x->h;
        for (int h = 0; x->nhosts > 1 && h < x->nhosts; h++)
            if (c->out->mvc_hosts & (UINT64_C(1) << h)) {
                f = &x->hosts[h].f;
                snprintf(on, sizeof on, " on %s", x->hosts[h].name);
                break;
            }
        ge_rs_note(p, "%s runs through CUDA minor-version compatibility%s: the driver runs CUDA %s natively, the "
                "build wants %s (PTX JIT and some new features need a newer driver; --strict refuses this)",
             c->out->label, on, f->driver_cuda_known ? fmtv(&f->driver_cuda, dc, sizeof dc) : "older",
             fmtv(&c->cuda, cv, sizeof cv));
    }
}

/* ---- failure: classify and find the smallest fix ---- */

/* Why nothing fits. When some candidate fails on nothing but facts the matrix lacks, that is
 * the answer (incomplete-data, never a guessed refusal); else the dimension on which every
 * candidate is refused; else the one fact of the machine that alone keeps the newest candidate
 * out (*alone: the others fail on more than that); else a conflict between requirements. */
static int classify(const struct ge_plan *p, bool *alone)
{
    *alone = false;
    for (size_t i = 0; i < p->ncands; i++)
        if (p->cands[i].fails == (1u << GE_REASON_DATA))
            return GE_REASON_DATA;
    for (int r = GE_REASON_PLATFORM; r <= GE_REASON_DRIVER; r++) {
        bool all = p->ncands > 0;
        for (size_t i = 0; i < p->ncands; i++)
            if (!(p->cands[i].fails & (1u << r)))
                all = false;
        if (all)
            return r;
    }
    for (size_t i = 0; i < p->ncands; i++)
        for (int r = GE_REASON_PYTHON; r <= GE_REASON_DRIVER; r++)
            if (p->cands[i].fails == (1u << r)) {
                *alone = true;
                return r;
            }
    return GE_REASON_CONFLICT;
}

/* The newest candidate refused on dimension r alone, else the newest refused on it. */
static const struct ge_candidate *first_on(const struct ge_plan *p, int r)
{
    for (size_t i = 0; i < p->ncands; i++)
        if (p->cands[i].fails == (1u << r))
            return &p->cands[i];
    for (size_t i = 0; i < p->ncands; i++)
        if (p->cands[i].fails & (1u << r))
            return &p->cands[i];
    return NULL;
}

/* The reason to show for dimension r: the newest candidate refused on it, else the newest one
 * the matrix could not check on it. */
static const char *first_why(const struct ge_plan *p, int r)
{
    const struct ge_candidate *c = first_on(p, r);
    if (c)
        return c->why[r];
    for (size_t i = 0; i < p->ncands; i++)
        if (p->cands[i].unknown & (1u << r))
            return p->cands[i].why[GE_REASON_DATA];
    return "";
}

static void requirements_text(const struct ge_req *reqs, int n, char *buf, size_t size)
{
    struct ge_buf b;
    ge_buf_init(&b);
    for (int i = 0; i < n; i++)
        ge_buf_addf(&b, "%s%s", i ? " " : "", reqs[i].text);
    ge_strlcpy(buf, n ? ge_buf_str(&b) : "the newest CUDA toolkit", size);
    ge_buf_fini(&b);
}

static void explain_failure(const struct rctx *x, struct ge_plan *p, const struct ge_req *reqs, int nreqs,
                            struct ge_err *err)
{
    bool alone;
    int r = classify(p, &alone);
    p->reason = reason_codes[r];
    /* "every candidate" when all are refused on r; else only those that fit otherwise are */
    const char *which = alone ? " that fits the rest of this machine" : "";
    char what[256], gp[256] = "", cc[8];
    requirements_text(reqs, nreqs, what, sizeof what);
    const struct ge_host_facts *h = x->h;
    char of[80] = ""; /* for a fleet: " of v100", the host that refuses the newest candidate */
    const struct ge_candidate *fc = x->nhosts > 1 ? first_on(p, r) : NULL;
    for (int k = 0; fc && k < x->nhosts; k++)
        if (fc->hosts[r] & (UINT64_C(1) << k)) {
            h = &x->hosts[k].f;
            snprintf(of, sizeof of, " of %s", x->hosts[k].name);
            break;
        }
    if (x->nhosts > 1)
        which = alone ? " that fits the rest of the fleet" : "";
    switch (r) {
    case GE_REASON_PLATFORM:
        ge_err_set(err, GE_EXIT_NO_SOLUTION, "cannot satisfy '%s': %s", what, first_why(p, r));
        ge_err_hint(err, "describe a linux x86_64 machine with --platform linux --arch x86_64, or see 'gpuenv matrix'");
        return;
    case GE_REASON_PYTHON:
        ge_err_set(err, GE_EXIT_NO_SOLUTION, "cannot satisfy '%s': no candidate%s supports Python %s",
                   what, which, h->python_known ? h->python.s : "asked for");
        ge_err_hint(err, "%s; pick a Python it supports with --python X.Y", first_why(p, r));
        return;
    case GE_REASON_GPU:
        if (x->amd) {
            for (int g = 0; g < h->namd; g++) {
                size_t l = strlen(gp);
                char n[16];
                ge_amd_gfx_name(h->amd[g], n, sizeof n);
                snprintf(gp + l, sizeof gp - l, "%s%s", g ? ", " : "", n);
            }
            ge_err_set(err, GE_EXIT_NO_SOLUTION, "cannot satisfy '%s': no candidate%s has code for %s%s", what, which, gp,
                       of);
            if (x->amd_hint[0])
                ge_err_hint(err, "%s", x->amd_hint);
            else
                ge_err_hint(err, "%s", first_why(p, r));
            return;
        }
        for (int g = 0; g < h->ngpus; g++) {
            size_t l = strlen(gp);
            snprintf(gp + l, sizeof gp - l, "%s%s", g ? ", " : "", fmtcc(h->gpus[g], cc, sizeof cc));
        }
        ge_err_set(err, GE_EXIT_NO_SOLUTION, "cannot satisfy '%s': no candidate%s runs on compute capability %s%s",
                   what, which, gp, of);
        ge_err_hint(err, "%s", first_why(p, r));
        return;
    case GE_REASON_DATA: {
        const struct ge_candidate *c = NULL;
        for (size_t i = 0; i < p->ncands && !c; i++)
            if (p->cands[i].fails == (1u << GE_REASON_DATA))
                c = &p->cands[i];
        ge_err_set(err, GE_EXIT_NO_SOLUTION, "cannot satisfy '%s': the matrix cannot vouch for %s or any candidate "
                   "that would fit: %s", what, c->label, c->why[GE_REASON_DATA]);
        ge_err_hint(err, "the matrix lacks that fact; 'gpuenv matrix --gaps' lists what is missing, and "
                         "'gpuenv resolve --explain' every candidate");
        return;
    }
    case GE_REASON_DRIVER: {
        /* The smallest fix: the lowest driver that would let a candidate through that fails on
         * nothing else. */
        /* ... among drivers the GPUs can have: none past an architecture's last branch (a Kepler
         * GPU never gets a driver newer than R470) */
        unsigned cap = 0;
        const struct ge_gpu_arch *capped = NULL;
        int capped_gpu = -1;
        for (int g = 0; h->gpus_known && strcmp(h->platform, "linux") == 0 && g < h->ngpus; g++) {
            const struct ge_gpu_arch *a = ge_matrix_gpu_arch(x->m, h->gpus[g]);
            if (a && a->last_branch > 0 && (!cap || (unsigned)a->last_branch < cap)) {
                cap = (unsigned)a->last_branch;
                capped = a;
                capped_gpu = g;
            }
        }
        const struct ge_candidate *best = NULL, *beyond = NULL;
        for (size_t i = 0; i < p->ncands; i++) {
            const struct ge_candidate *c = &p->cands[i];
            if ((c->fails & ~(1u << GE_REASON_DRIVER)) != 0 || !c->has_needed_driver)
                continue;
            if (cap && c->needed_driver.v.part[0] > cap) {
                beyond = beyond ? beyond : c;
                continue;
            }
            if (!best || ge_version_cmp(&c->needed_driver.v, &best->needed_driver.v) < 0)
                best = c;
        }
        char dc[16];
        if (h->driver_cuda_known)
            ge_err_set(err, GE_EXIT_NO_SOLUTION, "cannot satisfy '%s': driver %s%s supports up to CUDA %s", what,
                       h->driver.s, of, fmtv(&h->driver_cuda, dc, sizeof dc));
        else
            ge_err_set(err, GE_EXIT_NO_SOLUTION, "cannot satisfy '%s': driver %s%s is too old for every candidate%s",
                       what, h->driver.s, of, which);
        if (best)
            ge_err_hint(err, "a driver >= %s%s%s would allow %s", best->needed_driver.s, of[0] ? " on" : "",
                        of[0] ? of + 3 : "", best->label);
        else if (beyond)
            ge_err_hint(err, "%s needs a driver >= %s, but GPU %d (%s) has no driver past R%u: no driver runs both",
                        beyond->label, beyond->needed_driver.s, capped_gpu, capped->name, cap);
        else
            ge_err_hint(err, "%s", first_why(p, r));
        return;
    }
    default: {
        const struct ge_candidate *c = &p->cands[0];
        int first = GE_REASON_CONFLICT;
        for (int k = 0; k < GE_REASON_COUNT; k++)
            if (c->fails & (1u << k)) {
                first = k;
                break;
            }
        ge_err_set(err, GE_EXIT_NO_SOLUTION, "cannot satisfy '%s': every candidate is excluded; the newest: %s",
                   what, c->why[first]);
        ge_err_hint(err, "'gpuenv resolve --explain' lists every candidate and why it was excluded");
        return;
    }
    }
}

/* ---- entry ---- */

static int pick_requirements(struct rctx *x, const struct ge_req *reqs, int n, struct ge_plan *p, struct ge_err *err)
{
    for (int i = 0; i < n; i++) {
        const struct ge_req *r = &reqs[i];
        const struct ge_req **slot = NULL;
        enum ge_pkg fw = GE_PKG_UNKNOWN;
        switch (r->pkg) {
        case GE_PKG_TORCH: slot = &x->fw_req; fw = GE_PKG_TORCH; break;
        case GE_PKG_TORCHVISION: slot = &x->vision_req; fw = GE_PKG_TORCH; break;
        case GE_PKG_TORCHAUDIO: slot = &x->audio_req; fw = GE_PKG_TORCH; break;
        case GE_PKG_TENSORFLOW: slot = &x->fw_req; fw = GE_PKG_TENSORFLOW; break;
        case GE_PKG_JAX: slot = &x->fw_req; fw = GE_PKG_JAX; break;
        case GE_PKG_CUDA: slot = &x->cuda_req; break;
        case GE_PKG_CUDNN: slot = &x->cudnn_req; break;
        case GE_PKG_NUMPY: slot = &x->numpy_req; break;
        case GE_PKG_PYTHON: slot = &x->python_req; break;
        default:
            p->reason = "unknown-package";
            ge_err_set(err, GE_EXIT_NO_SOLUTION, "unknown package '%s'", r->name);
            ge_err_hint(err, "gpuenv resolves torch, torchvision, torchaudio, tensorflow, jax, cuda-toolkit "
                             "(or cuda), cudnn, numpy and python");
            return -1;
        }
        if (fw != GE_PKG_UNKNOWN && x->fw != GE_PKG_UNKNOWN && x->fw != fw) {
            ge_err_set(err, GE_EXIT_USAGE, "'%s' asks for a second framework: gpuenv resolves one per environment",
                       r->text);
            ge_err_hint(err, "resolve each framework in its own project");
            return -1;
        }
        if (*slot) {
            ge_err_set(err, GE_EXIT_USAGE, "'%s' and '%s' both constrain %s: combine them as one requirement",
                       (*slot)->text, r->text, r->name);
            ge_err_hint(err, "write 'torch>=2.1,<2.6' rather than two requirements");
            return -1;
        }
        if (fw != GE_PKG_UNKNOWN)
            x->fw = fw;
        if ((r->pkg == GE_PKG_TORCH || r->pkg == GE_PKG_TORCHVISION || r->pkg == GE_PKG_TORCHAUDIO ||
             r->pkg == GE_PKG_CUDA || r->pkg == GE_PKG_CUDNN || r->pkg == GE_PKG_NUMPY ||
             r->pkg == GE_PKG_PYTHON) && r->nextras) {
            ge_err_set(err, GE_EXIT_USAGE, "%s has no extras ('%s')", r->name, r->text);
            return -1;
        }
        *slot = r;
    }
    if (x->fw == GE_PKG_UNKNOWN)
        x->fw = GE_PKG_CUDA;
    return 0;
}

/* Whether r's release matches one of torch release t's variants' labels ("+cu121"), if it
 * names one. */
static bool torch_label_in(const struct ge_matrix *m, const struct ge_req *r, const struct ge_torch_release *t)
{
    if (!r->local[0])
        return true;
    for (int j = 0; j < t->nvariants; j++)
        if (strcmp(t->variants[j].name, r->local) == 0)
            return true;
    const struct ge_torch_rocm_release *rr = ge_matrix_torch_rocm(m, &t->version.v);
    for (int j = 0; rr && j < rr->nvariants; j++)
        if (strcmp(rr->variants[j].name, r->local) == 0)
            return true;
    return false;
}

static bool versions_exist(const struct rctx *x, const struct ge_req *r)
{
    const struct ge_matrix *m = x->m;
    if (!r)
        return true;
    for (size_t i = 0; i < m->ntorch && r->pkg == GE_PKG_TORCH; i++)
        if (ge_req_match(r, &m->torch[i].version.v) && torch_label_in(m, r, &m->torch[i]))
            return true;
    for (size_t i = 0; i < m->ntorch && r->pkg == GE_PKG_TORCHVISION; i++)
        if (m->torch[i].has_vision && ge_req_match(r, &m->torch[i].vision.v) && torch_label_in(m, r, &m->torch[i]))
            return true;
    for (size_t i = 0; i < m->ntorch && r->pkg == GE_PKG_TORCHAUDIO; i++)
        if (m->torch[i].has_audio && ge_req_match(r, &m->torch[i].audio.v) && torch_label_in(m, r, &m->torch[i]))
            return true;
    for (size_t i = 0; i < m->ntf && r->pkg == GE_PKG_TENSORFLOW; i++)
        if (ge_req_match(r, &m->tf[i].version.v))
            return true;
    for (size_t i = 0; i < m->njax && r->pkg == GE_PKG_JAX; i++)
        if (ge_req_match(r, &m->jax[i].version.v))
            return true;
    for (size_t i = 0; i < m->ncuda && r->pkg == GE_PKG_CUDA; i++)
        if (ge_req_match(r, &m->cuda[i].version.v))
            return true;
    for (size_t i = 0; i < m->ncudnn && r->pkg == GE_PKG_CUDNN; i++)
        if (ge_req_match(r, &m->cudnn[i].version.v) || (m->cudnn[i].has_full && ge_req_match(r, &m->cudnn[i].full.v)))
            return true;
    return r->pkg == GE_PKG_NUMPY || r->pkg == GE_PKG_PYTHON;
}

/* ---- a fleet ---- */

/* The fleet's GPUs as one machine's, to tell whose GPUs the plan is for. */
static void fleet_union(const struct ge_fleet_host *hosts, int n, struct ge_host_facts *u)
{
    *u = hosts[0].f;
    u->ngpus = u->namd = 0;
    for (int k = 0; k < n; k++) {
        const struct ge_host_facts *f = &hosts[k].f;
        u->gpus_known = u->gpus_known || f->gpus_known;
        u->amd_known = u->amd_known || f->amd_known;
        for (int g = 0; f->gpus_known && g < f->ngpus && u->ngpus < GE_MAX_GPUS; g++)
            u->gpus[u->ngpus++] = f->gpus[g];
        for (int g = 0; f->amd_known && g < f->namd && u->namd < GE_MAX_GPUS; g++)
            u->amd[u->namd++] = f->amd[g];
    }
}

/* A plan is for one vendor's GPUs: a host whose GPUs are all the other vendor's cannot run it. */
static int fleet_vendor_check(const struct rctx *x, struct ge_err *err)
{
    for (int k = 0; x->nhosts > 1 && k < x->nhosts; k++) {
        const struct ge_host_facts *f = &x->hosts[k].f;
        int nv = f->gpus_known ? f->ngpus : 0, na = f->amd_known ? f->namd : 0;
        if ((x->amd && nv && !na) || (!x->amd && na && !nv)) {
            ge_err_set(err, GE_EXIT_USAGE, "%s has %s GPUs only, and a plan is for one vendor's GPUs (%s here)",
                       x->hosts[k].name, x->amd ? "NVIDIA" : "AMD", x->amd ? "AMD" : "NVIDIA");
            ge_err_hint(err, "resolve each vendor's node types apart, one lock each");
            return -1;
        }
    }
    return 0;
}

/* "v100" or "v100, p100" or "v100, p100, a10 and 2 more": the hosts of mask. */
static void host_names(const struct rctx *x, uint64_t mask, char *out, size_t size)
{
    size_t l = 0;
    int shown = 0, more = 0;
    out[0] = '\0';
    for (int k = 0; k < x->nhosts; k++) {
        if (!(mask & (UINT64_C(1) << k)))
            continue;
        if (shown < 3 && l < size)
            l += (size_t)snprintf(out + l, size - l, "%s%s", shown ? ", " : "", x->hosts[k].name), shown++;
        else
            more++;
    }
    if (more && l < size)
        snprintf(out + l, size - l, " and %d more", more);
}

/* c's host-dependent checks on fleet host k alone, into t (zeroed, with c's label): its GPUs and
 * driver, and with 'conflicts' the conflicts that depend on them. c->out is left pointing at t. */
static void check_on_host(const struct rctx *x, struct cand *c, int k, struct ge_candidate *t, bool conflicts)
{
    char label[sizeof t->label];
    memcpy(label, c->out->label, sizeof label);
    memset(t, 0, sizeof *t);
    memcpy(t->label, label, sizeof t->label);
    c->out = t;
    struct rctx y = *x;
    y.h = &x->hosts[k].f;
    y.hosts = &x->hosts[k];
    y.nhosts = 1;
    bool ptx_only = false;
    check_gpus(&y, c, &ptx_only);
    check_driver(&y, c, ptx_only);
    if (conflicts)
        check_conflicts(&y, c);
}

/* Check c's host-dependent dimensions (GPUs, driver, and the conflicts that depend on them) on
 * every host of the fleet: each refusal is said once, with the hosts it holds on, and the AMD
 * override, which one variable sets for a whole lock, must be one for every host. */
static void check_fleet(struct rctx *x, struct cand *c)
{
    struct ge_candidate *out = c->out;
    char first[GE_REASON_COUNT][240];
    uint64_t same[GE_REASON_COUNT] = {0};
    unsigned override = 0;
    int override_host = -1, clash = -1;
    bool by_list = false;
    const struct ge_fleet_host *all = x->hosts;
    int n = x->nhosts;
    for (int k = 0; k < n; k++) {
        struct ge_candidate t;
        c->out = out;
        c->override_gfx = 0;
        c->by_rocm_list = false;
        check_on_host(x, c, k, &t, true);
        by_list = by_list || c->by_rocm_list;
        if (c->amd && all[k].f.amd_known && all[k].f.namd) {
            if (override_host < 0)
                override = c->override_gfx, override_host = k;
            else if (c->override_gfx != override && clash < 0)
                clash = k;
        }
        uint64_t me = UINT64_C(1) << k;
        for (int r = 0; r < GE_REASON_COUNT; r++) {
            if (t.unknown & (1u << r))
                out->hosts[r] |= me; /* a gap on this host: its message is the data reason's */
            if (!(t.fails & (1u << r)))
                continue;
            out->hosts[r] |= me;
            if (!(out->fails & (1u << r)) && !same[r]) {
                memcpy(first[r], t.why[r], sizeof first[r]);
                same[r] = me;
            } else if (same[r] && strcmp(first[r], t.why[r]) == 0) {
                same[r] |= me;
            }
        }
        out->fails |= t.fails;
        out->unknown |= t.unknown;
        if (t.mvc)
            out->mvc_hosts |= UINT64_C(1) << k;
        if (t.has_needed_driver && (!out->has_needed_driver || ge_version_cmp(&t.needed_driver.v, &out->needed_driver.v) > 0)) {
            out->has_needed_driver = true;
            out->needed_driver = t.needed_driver;
        }
    }
    c->out = out;
    c->by_rocm_list = by_list;
    c->override_gfx = override;
    out->mvc = out->mvc_hosts != 0;
    uint64_t everyone = n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
    for (int r = 0; r < GE_REASON_COUNT; r++) {
        if (!same[r] || out->why[r][0])
            continue;
        if (same[r] == everyone) {
            memcpy(out->why[r], first[r], sizeof out->why[r]);
            continue;
        }
        char names[128], others[128] = "";
        host_names(x, same[r], names, sizeof names);
        if (out->hosts[r] & ~same[r]) /* refused there too, in other words */
            host_names(x, out->hosts[r] & ~same[r], others, sizeof others);
        if (ge_fmt(out->why[r], sizeof out->why[r], "%s: %s%s%s%s", names, first[r], others[0] ? " (also on " : "",
                   others, others[0] ? ")" : "") < 0)
            (void)ge_fmt(out->why[r], sizeof out->why[r], "%s: %.*s", names,
                         (int)(sizeof out->why[r] - strlen(names) - 3), first[r]);
    }
    if (clash >= 0 && !(out->fails & (1u << GE_REASON_GPU))) {
        char a[16] = "none", b[16] = "none";
        if (override)
            ge_amd_override_value(override, a, sizeof a);
        struct cand d = *c;
        struct ge_candidate t;
        d.override_gfx = 0; /* that host's own need, not the first host's */
        check_on_host(x, &d, clash, &t, false);
        if (d.override_gfx)
            ge_amd_override_value(d.override_gfx, b, sizeof b);
        ge_rs_fail(c, GE_REASON_GPU, "%s needs HSA_OVERRIDE_GFX_VERSION %s on %s but %s on %s, and one lock sets one "
                   "value for every node type", out->label, a, all[override_host].name, b, all[clash].name);
        out->hosts[GE_REASON_GPU] |= (UINT64_C(1) << override_host) | (UINT64_C(1) << clash);
    }
}

/* Which host kept out the nearest better candidates: the chosen release's better builds and the
 * next newer release's, closest first, each refused by machines (their GPUs, their drivers), not
 * by the request or the Python and platform they share. One entry per host and
 * reason, in that host's own words (its GPU first, which no driver update mends): "torch 2.4.1
 * cu118, not torch 2.4.1 cu124: v100: ... needs a driver >= 550.54.14". */
static void fleet_bound(struct rctx *x, struct cand *cs, struct ge_plan *p, size_t chosen)
{
    const unsigned machine = (1u << GE_REASON_GPU) | (1u << GE_REASON_DRIVER);
    uint64_t said[GE_REASON_COUNT] = {0};
    const struct ge_version *next = NULL; /* the release just newer than the choice's */
    for (size_t i = chosen; i-- > 0 && p->nbound < GE_PLAN_MAX_BOUND;) {
        if (ge_version_cmp(&cs[i].version, &cs[chosen].version) != 0) {
            if (!next)
                next = &cs[i].version;
            else if (ge_version_cmp(&cs[i].version, next) != 0)
                break;
        }
        const struct ge_candidate *c = &p->cands[i];
        /* (a gap in the data beside a machine's refusal does not make the refusal less so) */
        if (!(c->fails & machine) || (c->fails & ~(machine | (1u << GE_REASON_DATA))))
            continue;
        for (int k = 0; k < x->nhosts && p->nbound < GE_PLAN_MAX_BOUND; k++) {
            uint64_t me = UINT64_C(1) << k;
            if (!((c->hosts[GE_REASON_GPU] | c->hosts[GE_REASON_DRIVER]) & me))
                continue;
            /* this host's own words: its checks again, alone */
            struct ge_candidate t;
            struct cand d = cs[i];
            check_on_host(x, &d, k, &t, false);
            int r = (t.fails & (1u << GE_REASON_GPU)) ? GE_REASON_GPU : GE_REASON_DRIVER;
            if (!(t.fails & (1u << r)) || (said[r] & me))
                continue;
            said[r] |= me;
            struct ge_plan_bound *b = &p->bound[p->nbound++];
            memcpy(b->choice, p->cands[chosen].label, sizeof b->choice);
            memcpy(b->instead, c->label, sizeof b->instead);
            b->host = k;
            b->hosts = me;
            ge_strlcpy(b->reason, reason_codes[r], sizeof b->reason);
            (void)ge_fmt(b->why, sizeof b->why, "%s: %.*s", x->hosts[k].name,
                         (int)(sizeof b->why - strlen(x->hosts[k].name) - 3), t.why[r]);
        }
    }
}

int ge_resolve(const struct ge_matrix *m, const struct ge_host_facts *host, const struct ge_req *reqs,
               int nreqs, const struct ge_resolve_opts *opts, struct ge_plan *plan, struct ge_err *err)
{
    struct ge_fleet_host one = {.name = "", .f = *host};
    return ge_resolve_fleet(m, &one, 1, reqs, nreqs, opts, plan, err);
}

int ge_resolve_fleet(const struct ge_matrix *m, const struct ge_fleet_host *hosts, int nhosts, const struct ge_req *reqs,
                     int nreqs, const struct ge_resolve_opts *opts, struct ge_plan *plan, struct ge_err *err)
{
    struct rctx x;
    memset(&x, 0, sizeof x);
    ge_plan_fini(plan);
    ge_plan_init(plan);
    if (nhosts < 1 || nhosts > GE_FLEET_MAX)
        return ge_err_set(err, GE_EXIT_USAGE, "a plan is for 1 to %d node types, not %d", GE_FLEET_MAX, nhosts);
    const struct ge_host_facts *host = &hosts[0].f;
    x.m = m;
    x.h = host;
    x.hosts = hosts;
    x.nhosts = nhosts;
    x.o = opts;
    snprintf(x.plat, sizeof x.plat, "%s-%s", host->platform, host->arch);
    if (pick_requirements(&x, reqs, nreqs, plan, err) < 0)
        return -1;
    char amd_hint[256] = "";
    x.amd_hint = amd_hint;
    struct ge_host_facts *u = malloc(sizeof *u);
    if (!u)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    fleet_union(hosts, nhosts, u);
    int vr = ge_rs_vendor(nhosts > 1 ? u : host, reqs, nreqs, opts, &x.amd, err);
    free(u);
    if (vr < 0 || fleet_vendor_check(&x, err) < 0)
        return -1;
    plan->vendor = x.amd ? GE_VENDOR_AMD : GE_VENDOR_NVIDIA;
    const struct ge_req *all[] = {x.fw_req, x.vision_req, x.audio_req, x.cuda_req, x.cudnn_req};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!versions_exist(&x, all[i])) {
            plan->reason = "no-such-version";
            ge_err_set(err, GE_EXIT_NO_SOLUTION, "no %s release in the matrix matches '%s'", all[i]->name, all[i]->text);
            const char *pre = NULL;
            for (int k = 0; k < all[i]->nspecs; k++)
                if (all[i]->specs[k].suffix == GE_SUFFIX_PRE && all[i]->specs[k].op == GE_OP_EQ)
                    pre = all[i]->specs[k].suffix_text;
            if (pre)
                ge_err_hint(err, "'%s' is a pre-release; the matrix lists final releases ('gpuenv matrix')", pre);
            else if (all[i]->local[0])
                ge_err_hint(err, "no release it matches has a '%s' build; 'gpuenv matrix torch' lists each release's "
                                 "variants", all[i]->local);
            else
                ge_err_hint(err, "'gpuenv matrix' lists the releases gpuenv knows (data %s)", m->data_version[GE_MF_CUDA]);
            return -1;
        }

    struct cand *cs = NULL;
    size_t n = 0;
    if (build_candidates(&x, &cs, &n, err) < 0)
        return -1;
    plan->cands = calloc(n ? n : 1, sizeof *plan->cands);
    if (!plan->cands) {
        free(cs);
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    }
    plan->ncands = n;
    if (n == 0) {
        free(cs);
        plan->reason = "no-such-version";
        char what[256];
        requirements_text(reqs, nreqs, what, sizeof what);
        ge_err_set(err, GE_EXIT_NO_SOLUTION, "no release in the matrix matches '%s' as a whole", what);
        ge_err_hint(err, "'gpuenv matrix' lists what gpuenv knows");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct cand *c = &cs[i];
        c->out = &plan->cands[i];
        label(c);
        check_platform(&x, c);
        check_python(&x, c);
        if (nhosts > 1) {
            check_fleet(&x, c);
            continue;
        }
        bool ptx_only = false;
        check_gpus(&x, c, &ptx_only);
        check_driver(&x, c, ptx_only);
        check_conflicts(&x, c);
    }
    /* The newest release with a fitting candidate; within it, the newest native build, else the
     * newest one allowed by minor-version compatibility. Candidates are newest first. */
    size_t chosen = n;
    for (size_t i = 0; i < n && chosen == n; i++) {
        if (plan->cands[i].fails)
            continue;
        chosen = i;
        for (size_t j = i; j < n && ge_version_cmp(&cs[j].version, &cs[i].version) == 0; j++)
            if (!plan->cands[j].fails && !plan->cands[j].mvc) {
                chosen = j;
                break;
            }
    }
    for (size_t i = 0; i < n; i++)
        plan->cands[i].newer = chosen == n || i < chosen;
    if (chosen == n) {
        explain_failure(&x, plan, reqs, nreqs, err);
        free(cs);
        return -1;
    }
    plan->cands[chosen].chosen = true;
    if (nhosts > 1)
        fleet_bound(&x, cs, plan, chosen);
    /* the plan's notes speak of the GPUs of a host the plan is for */
    for (int k = 0; k < nhosts; k++)
        if (x.amd ? hosts[k].f.namd > 0 : hosts[k].f.ngpus > 0) {
            x.h = &hosts[k].f;
            break;
        }
    build_plan(&x, &cs[chosen], plan);
    plan->ok = true;
    free(cs);
    return 0;
}
