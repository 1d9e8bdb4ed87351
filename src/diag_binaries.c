/* diag_binaries.c: "no kernel image is available", answered before the first launch. The CUDA
 * fat binaries of the libraries that will be loaded (the framework's own, the CUDA libraries its
 * wheels bring, the prefix's, and any --binary) are read (fatbin.c), and for each GPU: a cubin it
 * runs, only PTX the driver must JIT-compile (and can it: the PTX ISA against the driver's CUDA),
 * or nothing at all. The same libraries' HIP code (.hip_fatbin) is judged against the AMD GPUs
 * (diag_amd.c). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor.h"
#include "fatbin.h"
#include "str.h"

static bool is_shared_lib(const char *name)
{
    size_t n = strlen(name);
    return (n > 3 && !strcmp(name + n - 3, ".so")) || strstr(name, ".so.") != NULL;
}

static void add_dir(const char *dir, const char *origin, char (*paths)[PATH_MAX], const char **origins, int *n,
                    int max)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh)) && *n < max) {
        if (!is_shared_lib(e->d_name))
            continue;
        char p[PATH_MAX];
        if (ge_fmt(p, sizeof p, "%s/%s", dir, e->d_name) < 0)
            continue;
        struct stat st;
        if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode))
            continue; /* a link names a file listed under its own name */
        bool dup = false;
        for (int i = 0; i < *n && !dup; i++)
            dup = !strcmp(paths[i], p);
        if (!dup) {
            ge_strlcpy(paths[*n], p, PATH_MAX);
            origins[(*n)++] = origin;
        }
    }
    closedir(dh);
}

/* The newest PTX ISA a driver can JIT-compile: the one its CUDA version introduced (the matrix's
 * table); false when the table does not say. */
static bool jit_limit(const struct ge_doctor *d, struct ge_version *isa)
{
    return d->m && d->driver_cuda_known && ge_matrix_ptx_isa_for_cuda(d->m, &d->driver_cuda, isa) == 0;
}

/* The distinct code names of fb in the file's order: "sm_75 sm_90 compute_90", "-" for none. */
static void archs_of(const struct ge_fatbin *fb, char *out, size_t size)
{
    struct ge_buf b;
    ge_wordset_init(&b);
    for (size_t i = 0; i < fb->n; i++) {
        char name[24];
        ge_fatbin_entry_name(&fb->v[i], name, sizeof name);
        ge_wordset_add(&b, name);
    }
    ge_wordset_str(&b, out, size);
    ge_buf_fini(&b);
}

/* The PTX of fb a GPU of cc could JIT, with the lowest ISA (the likeliest to compile); NULL if none. */
static const struct ge_fatbin_entry *usable_ptx(const struct ge_fatbin *fb, struct ge_cc cc)
{
    const struct ge_fatbin_entry *best = NULL;
    unsigned capability = cc.major * 10u + cc.minor;
    for (size_t i = 0; i < fb->n; i++) {
        const struct ge_fatbin_entry *e = &fb->v[i];
        if (e->kind != GE_FATBIN_PTX || e->arch > capability || (e->suffix && e->arch != capability))
            continue;
        if (!best || e->ver_major < best->ver_major || (e->ver_major == best->ver_major && e->ver_minor < best->ver_minor))
            best = e;
    }
    return best;
}

static void check_gpu(struct ge_doctor *d, const char *path, const char *origin, const struct ge_fatbin *fb,
                      const struct ge_gpu *g, const char *archs, int *problems)
{
    char cc[8], subject[PATH_MAX + 32];
    ge_cc_format(g->cc, cc, sizeof cc);
    struct ge_fatbin_coverage cov = ge_fatbin_cover(fb, g->cc);
    ge_strlcpy(subject, path, sizeof subject);
    if (cov.cubin + cov.ptx == 0) {
        /* nothing in the library runs on this GPU */
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_NO_KERNEL_IMAGE, GE_SEV_ERROR, subject,
                                              "%s has no kernel image for GPU %d (%s, compute capability %s): its kernels "
                                              "fail with \"no kernel image is available for execution on the device\"",
                                              path, g->index, g->name[0] ? g->name : "?", cc);
        ge_finding_evidence(x, path, "GPU code: %s", archs);
        ge_finding_evidence(x, "GPU", "%d, compute capability %s", g->index, cc);
        if (!strcmp(origin, "given"))
            ge_finding_fix(x, false, false, "rebuild it with '-gencode arch=compute_%u,code=sm_%u' (or add "
                           "compute_%u PTX, which newer GPUs can JIT)", g->cc.major * 10u + g->cc.minor,
                           g->cc.major * 10u + g->cc.minor, g->cc.major * 10u + g->cc.minor);
        else
            ge_finding_fix(x, false, false, "install a build whose architectures include %s: 'gpuenv resolve' checks "
                           "them against this GPU", cc);
        (*problems)++;
        return;
    }
    if (cov.cubin > 0)
        return; /* a cubin serves it; translation units without one are other architectures' kernels */
    const struct ge_fatbin_entry *ptx = usable_ptx(fb, g->cc);
    if (!ptx)
        return;
    struct ge_version limit;
    char name[24];
    ge_fatbin_entry_name(ptx, name, sizeof name);
    if (jit_limit(d, &limit) &&
        (ptx->ver_major > limit.part[0] || (ptx->ver_major == limit.part[0] && ptx->ver_minor > limit.part[1]))) {
        char dc[16];
        ge_version_format(&d->driver_cuda, dc, sizeof dc);
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_PTX_TOO_NEW, GE_SEV_ERROR, subject,
                                              "%s runs on GPU %d (%s) only through PTX ISA %u.%u, newer than driver %s "
                                              "(CUDA %s, PTX ISA up to %u.%u) can compile", path, g->index, cc,
                                              ptx->ver_major, ptx->ver_minor, d->drv.version, dc,
                                              (unsigned)limit.part[0], (unsigned)limit.part[1]);
        ge_finding_evidence(x, path, "GPU code: %s", archs);
        ge_finding_evidence(x, "cuDriverGetVersion", "CUDA %s", dc);
        /* the CUDA release of an ISA is in the matrix's table: name it when known */
        struct ge_version isa = {{ptx->ver_major, ptx->ver_minor, 0, 0}, 2}, cuda;
        char cs[16] = "";
        if (d->m && ge_matrix_ptx_isa_cuda(d->m, &isa, &cuda) == 0)
            ge_version_format(&cuda, cs, sizeof cs);
        ge_finding_fix(x, true, true, "install a newer NVIDIA driver (one that runs CUDA %s or later), or a build with a "
                       "cubin for %s", cs[0] ? cs : "of that PTX", cc);
        (*problems)++;
        return;
    }
    struct ge_finding *x = ge_finding_add(&d->findings, GE_F_PTX_ONLY, GE_SEV_WARNING, subject,
                                          "%s runs on GPU %d (%s) only through %s PTX: the driver JIT-compiles it at first "
                                          "use (slow start-up, and a cache in ~/.nv/ComputeCache)", path, g->index, cc, name);
    ge_finding_evidence(x, path, "GPU code: %s", archs);
    ge_finding_fix(x, false, false, "a build with a cubin for %s starts faster (CUDA_CACHE_MAXSIZE keeps JIT output "
                   "between runs)", cc);
    (*problems)++;
}

void ge_diag_binaries(struct ge_doctor *d)
{
    static char paths[GE_DOCTOR_MAX_LIBS + GE_DOCTOR_MAX_BINARIES][PATH_MAX];
    const char *origins[GE_DOCTOR_MAX_LIBS + GE_DOCTOR_MAX_BINARIES];
    int n = 0, max = GE_DOCTOR_MAX_LIBS;
    for (int i = 0; i < d->o->nbinaries; i++) {
        ge_strlcpy(paths[n], d->o->binaries[i], PATH_MAX);
        origins[n++] = "given";
    }
    max += n;
    /* the framework's own libraries first: they are judged; NVIDIA's (its nvidia-* wheels, the
     * prefix's toolkit and cuDNN) are read and listed only */
    const cJSON *e, *fw, *fws = d->py ? cJSON_GetObjectItem(d->py, "frameworks") : NULL;
    cJSON_ArrayForEach(fw, fws)
    {
        const cJSON *dirs = cJSON_GetObjectItem(fw, "lib_dirs");
        cJSON_ArrayForEach(e, dirs)
        {
            if (cJSON_IsString(e))
                add_dir(e->valuestring, "framework", paths, origins, &n, max);
        }
    }
    const cJSON *all = d->py ? cJSON_GetObjectItem(d->py, "lib_dirs") : NULL;
    cJSON_ArrayForEach(e, all)
    {
        if (cJSON_IsString(e))
            add_dir(e->valuestring, "nvidia", paths, origins, &n, max);
    }
    if (d->has_lock) {
        char lib[PATH_MAX];
        if (ge_fmt(lib, sizeof lib, "%s/lib", d->prefix) == 0)
            add_dir(lib, "prefix", paths, origins, &n, max);
    }
    int problems = 0, with_code = 0;
    for (int i = 0; i < n; i++) {
        struct ge_fatbin fb;
        struct ge_err err;
        ge_err_clear(&err);
        if (ge_fatbin_read(paths[i], &fb, &err) < 0) {
            if (!strcmp(origins[i], "given")) {
                struct ge_finding *x = ge_finding_add(&d->findings, GE_F_BINARY_UNREADABLE, GE_SEV_ERROR, paths[i],
                                                      "%s cannot be read: %s", paths[i], err.msg);
                ge_finding_evidence(x, paths[i], "%s", err.msg);
                ge_finding_fix(x, false, false, "give a CUDA shared library, executable or object file");
                problems++;
            }
            continue;
        }
        /* NVIDIA's libraries also carry GPU code outside .nv_fatbin (CUDA 13's cuFFT keeps one
         * sm_75 kernel there), and which GPUs they support is the matrix's part: not judged */
        bool judged = !strcmp(origins[i], "framework") || !strcmp(origins[i], "given");
        /* the AMD GPU code beside it (.hip_fatbin), judged against the AMD GPUs */
        int hip = ge_diag_amd_binary(d, paths[i], origins[i], judged, &problems);
        with_code += hip;
        if (fb.n == 0) {
            if (!strcmp(origins[i], "given") && !hip) {
                struct ge_finding *x = ge_finding_add(&d->findings, GE_F_BINARY_UNREADABLE, GE_SEV_INFO, paths[i],
                                                      "%s holds no CUDA code (no .nv_fatbin section)", paths[i]);
                ge_finding_evidence(x, paths[i], "no .nv_fatbin");
            }
            ge_fatbin_fini(&fb);
            continue;
        }
        with_code += !hip;
        char archs[256];
        archs_of(&fb, archs, sizeof archs);
        if (d->nlibs < GE_DOCTOR_MAX_LIBS) {
            struct ge_doctor_binary *b = &d->libs[d->nlibs++];
            ge_strlcpy(b->path, paths[i], sizeof b->path);
            ge_strlcpy(b->origin, origins[i], sizeof b->origin);
            b->fatbins = fb.nfatbins;
            b->entries = fb.n;
            ge_strlcpy(b->archs, archs, sizeof b->archs);
        }
        for (int g = 0; judged && d->drv_ok && g < d->drv.ngpus; g++)
            check_gpu(d, paths[i], origins[i], &fb, &d->drv.gpus[g], archs, &problems);
        ge_fatbin_fini(&fb);
    }
    if (!n)
        ge_doctor_check(d, "binaries", GE_CHECK_SKIPPED, "no framework, prefix or --binary library to read");
    else if (!d->drv_ok && !d->amd.ngpus)
        ge_doctor_check(d, "binaries", GE_CHECK_SKIPPED, "%d libraries with GPU code read, but no GPU to check them against",
                        with_code);
    else {
        int ngpus = (d->drv_ok ? d->drv.ngpus : 0) + d->amd.ngpus;
        ge_doctor_check(d, "binaries", problems ? GE_CHECK_PROBLEM : GE_CHECK_OK, "%d of %d libraries hold GPU code; "
                        "the framework's and --binary's checked against %d GPU%s", with_code, n, ngpus,
                        ngpus == 1 ? "" : "s");
    }
}
