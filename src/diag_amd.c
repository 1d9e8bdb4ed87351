/* diag_amd.c: what ROCm needs of an AMD machine: the amdgpu driver's /dev/kfd, and each GPU's render
 * node, both openable by this user (the 'render' and 'video' groups); a code object for each GPU in
 * the libraries that will be loaded (hipfat.c); the ROCm a framework was built against. */
#include <dirent.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "doctor.h"
#include "hipfat.h"
#include "str.h"

/* What the system's HIP runtime says (ge_amd_confirm_hip, run by the gather): a runtime that fails
 * fails every program that loads it; a GPU it does not see is one no ROCm program gets. Without a
 * system HIP runtime nothing is wrong: PyTorch's ROCm wheels bring their own. */
static void hip_findings(struct ge_doctor *d)
{
    const struct ge_amd_info *a = &d->amd;
    const struct ge_hip_info *h = &a->hip;
    struct ge_finding *x;
    if (h->status == GE_HIP_NOT_PROBED || h->status == GE_HIP_NOT_FOUND)
        return;
    if (h->status != GE_HIP_OK) {
        x = ge_finding_add(&d->findings, GE_F_AMD_HIP_FAILED, GE_SEV_ERROR, h->library[0] ? h->library : "libamdhip64.so",
                           "%s", a->hip_err.msg);
        ge_finding_evidence(x, "HIP probe", "%s%s%s", ge_hip_status_name(h->status), h->call[0] ? " in " : "", h->call);
        ge_finding_fix(x, false, false, "%s", a->hip_err.hint[0] ? a->hip_err.hint
                                                                  : "reinstall ROCm to match the amdgpu driver "
                                                                    "(amdgpu-install), or run 'gpuenv detect' for the details");
        return;
    }
    const char *vis = getenv("HIP_VISIBLE_DEVICES"), *rvis = getenv("ROCR_VISIBLE_DEVICES");
    bool limited = (vis && vis[0]) || (rvis && rvis[0]);
    for (int i = 0; i < a->ngpus; i++) {
        const struct ge_amd_gpu *g = &a->gpus[i];
        if (g->hip_seen)
            continue;
        /* the user's own visibility variables hide GPUs on purpose: said, not an error */
        x = ge_finding_add(&d->findings, GE_F_AMD_HIP_UNSEEN, limited ? GE_SEV_INFO : GE_SEV_WARNING,
                           g->pci_bus_id[0] ? g->pci_bus_id : g->gfx, "the HIP runtime does not see the %s at %s%s",
                           g->gfx, g->pci_bus_id[0] ? g->pci_bus_id : "?",
                           limited ? " (HIP_VISIBLE_DEVICES or ROCR_VISIBLE_DEVICES hides it)" : "");
        ge_finding_evidence(x, "HIP runtime", "%d GPU%s", h->ngpus, h->ngpus == 1 ? "" : "s");
        if (limited)
            ge_finding_fix(x, false, false, "unset HIP_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES to use every GPU");
        else
            ge_finding_fix(x, false, false, "check 'dmesg | grep -i amdgpu' for the GPU's initialisation, and that the "
                           "ROCm release supports it ('gpuenv matrix rocm')");
    }
}

void ge_diag_amd(struct ge_doctor *d)
{
    const struct ge_amd_info *a = &d->amd;
    if (!a->ngpus) {
        ge_doctor_check(d, "amd", GE_CHECK_SKIPPED, "no AMD GPU in the KFD topology");
        return;
    }
    size_t before = d->findings.n;
    struct ge_finding *x;
    if (!a->kfd_exists) {
        x = ge_finding_add(&d->findings, GE_F_AMD_KFD_MISSING, GE_SEV_ERROR, "/dev/kfd",
                           "%d AMD GPU%s, but no /dev/kfd: ROCm cannot reach them", a->ngpus, a->ngpus == 1 ? "" : "s");
        ge_finding_evidence(x, "/dev/kfd", "missing");
        ge_finding_fix(x, false, false, "in a container, pass the devices ('docker run --device=/dev/kfd --device=/dev/dri "
                       "...'); on the host, load the driver ('sudo modprobe amdgpu')");
    } else if (!a->kfd_access) {
        x = ge_finding_add(&d->findings, GE_F_AMD_KFD_DENIED, GE_SEV_ERROR, "/dev/kfd", "this user cannot open /dev/kfd");
        ge_doctor_group_fix(d, x, "/dev/kfd", "'sudo usermod -aG render,video $USER', then log in again");
    }
    for (int i = 0; i < a->ngpus; i++) {
        const struct ge_amd_gpu *g = &a->gpus[i];
        if (g->render_minor < 0 || g->render_access)
            continue;
        char dev[48];
        snprintf(dev, sizeof dev, "/dev/dri/renderD%d", g->render_minor);
        x = ge_finding_add(&d->findings, GE_F_AMD_RENDER_DENIED, GE_SEV_ERROR, dev,
                           "this user cannot open %s, the render node of the %s at %s", dev, g->gfx,
                           g->pci_bus_id[0] ? g->pci_bus_id : "?");
        ge_doctor_group_fix(d, x, dev, "'sudo usermod -aG render,video $USER', then log in again");
    }
    hip_findings(d);
    ge_doctor_check(d, "amd", ge_doctor_problems_since(d, before) ? GE_CHECK_PROBLEM : GE_CHECK_OK,
                    "%d AMD GPU%s (first %s), amdgpu %s, %d ROCm install%s", a->ngpus, a->ngpus == 1 ? "" : "s",
                    a->gpus[0].gfx, a->driver_version[0] ? a->driver_version : "?", a->nrocm, a->nrocm == 1 ? "" : "s");
}

/* ---- the AMD GPU code of the libraries that will be loaded (called by diag_binaries.c) ---- */

const struct ge_rocm_variant *ge_doctor_rocm_build(const struct ge_doctor *d, unsigned gtv, const char *torch_version,
                                                   const struct ge_torch_rocm_release **release)
{
    const struct ge_torch_rocm_release *best_r = NULL;
    const struct ge_rocm_variant *best = NULL;
    char base[32] = "";
    if (torch_version) {
        ge_strlcpy(base, torch_version, sizeof base);
        base[strcspn(base, "+")] = '\0';
    }
    for (size_t i = 0; d->m && i < d->m->ntorch_rocm; i++) {
        const struct ge_torch_rocm_release *r = &d->m->torch_rocm[i];
        for (int j = 0; j < r->nvariants; j++)
            for (int k = 0; k < r->variants[j].ngfx; k++) {
                if (r->variants[j].gfx[k] != gtv)
                    continue;
                /* the release in use first, else the newest (the list is ascending) */
                if (!best_r || strcmp(best_r->version.s, base) != 0) {
                    best_r = r;
                    best = &r->variants[j];
                }
            }
    }
    if (release)
        *release = best_r;
    return best;
}

/* The torch release the interpreter imports, or NULL. */
static const char *torch_version(const struct ge_doctor *d)
{
    const cJSON *fws = d->py ? cJSON_GetObjectItem(d->py, "frameworks") : NULL;
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(fws, "torch"), "version");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The distinct target IDs of h: "gfx90a:sramecc+:xnack- gfx1100", "-" for none. */
static void targets_of(const struct ge_hipfat *h, char *out, size_t size)
{
    struct ge_buf b;
    ge_wordset_init(&b);
    for (size_t i = 0; i < h->n; i++) {
        char name[48];
        ge_hipfat_target_name(&h->v[i], name, sizeof name);
        ge_wordset_add(&b, name);
    }
    ge_wordset_str(&b, out, size);
    ge_buf_fini(&b);
}

static void no_code_object(struct ge_doctor *d, const char *path, const char *origin, const struct ge_hipfat *h,
                           const struct ge_amd_gpu *g, struct ge_hipfat_coverage c, const char *targets)
{
    char subject[PATH_MAX + 32];
    ge_strlcpy(subject, path, sizeof subject);
    struct ge_finding *x;
    if (c.exact + c.generic == 0)
        x = ge_finding_add(&d->findings, GE_F_AMD_NO_CODE_OBJECT, GE_SEV_ERROR, subject,
                           "%s has no code object for %s (the AMD GPU at %s): its kernels fail with "
                           "\"hipErrorNoBinaryForGpu\" (PyTorch: \"HIP error: invalid device function\")", path, g->gfx,
                           g->pci_bus_id[0] ? g->pci_bus_id : "?");
    else
        x = ge_finding_add(&d->findings, GE_F_AMD_NO_CODE_OBJECT, GE_SEV_ERROR, subject,
                           "%zu of the %zu bundles of %s have no code object for %s (the AMD GPU at %s): their "
                           "kernels fail with \"hipErrorNoBinaryForGpu\"", c.none, c.none + c.exact + c.generic, path,
                           g->gfx, g->pci_bus_id[0] ? g->pci_bus_id : "?");
    ge_finding_evidence(x, path, "AMD GPU code: %s (%zu bundle%s)", targets, h->nbundles, h->nbundles == 1 ? "" : "s");
    ge_finding_evidence(x, "KFD topology", "node %d: gfx_target_version %u (%s)", g->node, g->gfx_target_version, g->gfx);
    /* a target of the GPU's family (the matrix's sourced gfx_families, as the resolver's hint) that
     * the library carries: what an override would pretend the GPU to be */
    const struct ge_gfx_family *fam = d->m && d->m->hsa_override[0] ? ge_matrix_gfx_family(d->m, g->gfx_target_version)
                                                                     : NULL;
    const struct ge_hipfat_target *kin = NULL;
    for (int m = 0; fam && m < fam->nmembers && !kin; m++)
        for (size_t i = 0; i < h->n && !kin; i++) {
            unsigned v;
            if (ge_amd_gfx_parse(h->v[i].proc, &v) == 0 && v == fam->members[m])
                kin = &h->v[i];
        }
    char risk[256] = "";
    if (kin) {
        unsigned v;
        char val[16];
        ge_amd_gfx_parse(kin->proc, &v);
        ge_amd_override_value(v, val, sizeof val);
        ge_fmt(risk, sizeof risk, "; HSA_OVERRIDE_GFX_VERSION=%s would make ROCm load %s's code instead: "
               "unsupported, its kernels may fail or compute wrong results", val, kin->proc);
    }
    if (!strcmp(origin, "given")) {
        ge_finding_fix(x, false, false, "rebuild it with '--offload-arch=%s' (hipcc or clang)%s", g->gfx, risk);
        return;
    }
    const char *tv = torch_version(d);
    const struct ge_torch_rocm_release *r;
    const struct ge_rocm_variant *v = tv ? ge_doctor_rocm_build(d, g->gfx_target_version, tv, &r) : NULL;
    if (v) {
        char url[256], base[32];
        ge_matrix_torch_index_url(d->m, v->name, url, sizeof url);
        ge_strlcpy(base, r->version.s, sizeof base);
        ge_finding_fix(x, false, false, "install a torch build whose targets include %s: torch %s from %s "
                       "('gpuenv matrix rocm' lists them)%s", g->gfx, base, url, risk);
    } else {
        ge_finding_fix(x, false, false, "no framework build that gpuenv knows carries %s: build it from source with "
                       "PYTORCH_ROCM_ARCH=%s%s", g->gfx, g->gfx, risk);
    }
}

int ge_diag_amd_binary(struct ge_doctor *d, const char *path, const char *origin, bool judged, int *problems)
{
    struct ge_hipfat h;
    struct ge_err err;
    ge_err_clear(&err);
    if (ge_hipfat_read(path, &h, &err) < 0) {
        bool given = !strcmp(origin, "given");
        if (given || judged) {
            struct ge_finding *x = ge_finding_add(&d->findings, GE_F_BINARY_UNREADABLE,
                                                  given ? GE_SEV_ERROR : GE_SEV_WARNING, path,
                                                  "the HIP code of %s cannot be read: %s", path, err.msg);
            ge_finding_evidence(x, path, "%s", err.msg);
            (*problems)++;
        }
        return 0;
    }
    if (h.nbundles == 0) {
        ge_hipfat_fini(&h);
        return 0;
    }
    char targets[256];
    targets_of(&h, targets, sizeof targets);
    if (d->nlibs < GE_DOCTOR_MAX_LIBS) {
        struct ge_doctor_binary *b = &d->libs[d->nlibs++];
        ge_strlcpy(b->path, path, sizeof b->path);
        ge_strlcpy(b->origin, origin, sizeof b->origin);
        b->fatbins = h.nbundles;
        b->entries = h.n;
        ge_strlcpy(b->archs, targets, sizeof b->archs);
    }
    if (judged && h.nunreadable) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_BINARY_UNREADABLE, GE_SEV_INFO, path,
                                              "%zu of the %zu bundles of %s cannot be judged: %s", h.nunreadable,
                                              h.nbundles, path, h.unreadable);
        ge_finding_evidence(x, path, "%s", h.unreadable);
    }
    for (int i = 0; judged && i < d->amd.ngpus; i++) {
        const struct ge_amd_gpu *g = &d->amd.gpus[i];
        bool seen = false; /* one finding per kind of GPU, not per GPU */
        for (int k = 0; k < i && !seen; k++)
            seen = d->amd.gpus[k].gfx_target_version == g->gfx_target_version;
        if (seen)
            continue;
        /* KFD does not say the GPU's xnack and sramecc modes here: either fits */
        struct ge_hipfat_coverage c = ge_hipfat_cover(&h, g->gfx_target_version, GE_HIP_ANY, GE_HIP_ANY);
        if (c.none == 0)
            continue;
        no_code_object(d, path, origin, &h, g, c, targets);
        (*problems)++;
    }
    ge_hipfat_fini(&h);
    return 1;
}

/* ---- the ROCm a framework was built against (called by diag_python.c) ---- */

/* "6.2" from torch.version.hip ("6.2.41133-dd7f95766") or the wheel's local version ("+rocm6.2"). */
static bool built_rocm(const char *version, const char *hip, struct ge_version *out, char *from, size_t size)
{
    char s[32] = "";
    const char *r = version ? strstr(version, "+rocm") : NULL;
    if (hip && hip[0]) {
        ge_fmt(s, sizeof s, "%s", hip);
        ge_fmt(from, size, "torch.version.hip %s", hip);
    } else if (r) {
        ge_fmt(s, sizeof s, "%s", r + 5);
        ge_fmt(from, size, "its local version +rocm%s", r + 5);
    }
    s[strcspn(s, "-")] = '\0';
    struct ge_version v;
    if (!s[0] || ge_doctor_vparse(s, &v) < 0 || v.n < 2)
        return false;
    *out = v;
    out->n = 2;
    return true;
}

/* A libamdhip64.so in one of the framework's own folders: the wheels of download.pytorch.org bring
 * their ROCm user space there, and load it before the system's. */
static bool bundles_hip(const cJSON *lib_dirs, char *where, size_t size)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, lib_dirs)
    {
        if (!cJSON_IsString(e))
            continue;
        DIR *dh = opendir(e->valuestring);
        struct dirent *de;
        while (dh && (de = readdir(dh)))
            if (!strncmp(de->d_name, "libamdhip64.so", 14)) {
                ge_fmt(where, size, "%s/%s", e->valuestring, de->d_name);
                closedir(dh);
                return true;
            }
        if (dh)
            closedir(dh);
    }
    return false;
}

void ge_diag_amd_framework(struct ge_doctor *d, const char *name, const char *version, const char *hip,
                           const cJSON *lib_dirs)
{
    struct ge_version built;
    char from[96], where[PATH_MAX];
    if (!built_rocm(version, hip, &built, from, sizeof from) || !d->amd.nrocm || bundles_hip(lib_dirs, where, sizeof where))
        return;
    /* the newest ROCm installed: the one a build against /opt/rocm finds when that points to it */
    struct ge_version nv;
    const struct ge_amd_rocm *newest = ge_amd_newest_rocm(&d->amd, &nv);
    if (!newest)
        return;
    struct ge_version mm = nv;
    mm.n = 2;
    if (ge_version_cmp(&mm, &built) >= 0)
        return;
    char bs[16];
    ge_version_format(&built, bs, sizeof bs);
    struct ge_finding *x = ge_finding_add(&d->findings, GE_F_AMD_ROCM_TOO_OLD, GE_SEV_WARNING, name,
                                          "%s %s was built against ROCm %s and brings no HIP runtime of its own, but the "
                                          "newest ROCm here is %s: symbols it needs may be missing (an import error) or "
                                          "behave as the older release does", name, version ? version : "?", bs,
                                          newest->version);
    ge_finding_evidence(x, name, "%s", from);
    ge_finding_evidence(x, name, "no libamdhip64.so in its own library folders: the system's is loaded");
    for (int i = 0; i < d->amd.nrocm && x->nevidence < GE_FINDING_MAX_EVIDENCE; i++)
        ge_finding_evidence(x, "/opt/rocm*/.info/version", "%s: %s", d->amd.rocm[i].path, d->amd.rocm[i].version);
    ge_finding_fix(x, true, false, "install ROCm %s or newer (AMD's amdgpu-install), or a %s wheel from "
                   "download.pytorch.org, which brings its own ROCm ('gpuenv matrix rocm' lists them)", bs, name);
}
