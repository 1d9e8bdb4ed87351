/* diag_env.c: the variables that change what a CUDA program sees: CUDA_VISIBLE_DEVICES (which
 * GPUs), LD_LIBRARY_PATH (which libraries: the loader searches it before a library's RUNPATH, so
 * it shadows the framework's own pip-installed CUDA libraries) and CUDA_HOME/CUDA_PATH (which
 * toolkit builds extensions). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "elf.h"
#include "str.h"
#include "toolkit.h"

/* ---- CUDA_VISIBLE_DEVICES ---- */

static bool uuid_match(const struct ge_driver_info *drv, const char *e, int *which)
{
    const char *want = strncmp(e, "GPU-", 4) == 0 ? e + 4 : e;
    int hits = 0;
    for (int i = 0; i < drv->ngpus; i++) {
        const char *u = drv->gpus[i].uuid;
        if (strncmp(u, "GPU-", 4) == 0)
            u += 4;
        if (u[0] && strncasecmp(u, want, strlen(want)) == 0) {
            hits++;
            *which = i;
        }
    }
    return hits == 1; /* a prefix must name one GPU */
}

int ge_doctor_cvd_visible(const char *cvd, const struct ge_driver_info *drv, char *bad, size_t size)
{
    if (size)
        bad[0] = '\0';
    bool seen[GE_MAX_GPUS] = {false};
    int n = 0;
    char copy[1024];
    ge_strlcpy(copy, cvd, sizeof copy);
    char *save = NULL;
    for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        while (*e == ' ')
            e++;
        size_t len = strlen(e);
        while (len && e[len - 1] == ' ')
            e[--len] = '\0';
        int which = -1;
        if (strncmp(e, "MIG-", 4) == 0) {
            n++; /* a MIG instance: the probe does not list them, so it is taken as valid */
            continue;
        }
        char *end;
        long idx = strtol(e, &end, 10);
        bool ok;
        if (*e && *end == '\0')
            ok = idx >= 0 && idx < drv->ngpus && (which = (int)idx, true);
        else
            ok = *e && uuid_match(drv, e, &which);
        if (!ok || seen[which]) {
            ge_strlcpy(bad, e, size);
            break; /* the driver ignores the rest of the list */
        }
        seen[which] = true;
        n++;
    }
    return n;
}

static void visible_devices(struct ge_doctor *d)
{
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    if (!cvd) {
        ge_doctor_check(d, "visible-devices", GE_CHECK_OK, "CUDA_VISIBLE_DEVICES is not set: every GPU is visible");
        return;
    }
    struct ge_finding *x;
    if (!cvd[0]) {
        x = ge_finding_add(&d->findings, GE_F_CVD_EMPTY, GE_SEV_ERROR, NULL,
                           "CUDA_VISIBLE_DEVICES is set but empty: every program sees no GPU and runs on the CPU");
        ge_finding_evidence(x, "CUDA_VISIBLE_DEVICES", "\"\"");
        ge_finding_fix(x, false, false, "unset CUDA_VISIBLE_DEVICES");
        ge_doctor_check(d, "visible-devices", GE_CHECK_PROBLEM, "CUDA_VISIBLE_DEVICES is empty");
        return;
    }
    if (!d->drv_ok) {
        ge_doctor_check(d, "visible-devices", GE_CHECK_SKIPPED, "CUDA_VISIBLE_DEVICES=%s, but the driver lists no GPU to "
                        "check it against", cvd);
        return;
    }
    char bad[256];
    int n = ge_doctor_cvd_visible(cvd, &d->drv, bad, sizeof bad);
    if (!n && !bad[0])
        ge_strlcpy(bad, cvd, sizeof bad); /* "," or spaces: no entry at all */
    if (bad[0]) {
        x = ge_finding_add(&d->findings, GE_F_CVD_INVALID, n ? GE_SEV_WARNING : GE_SEV_ERROR, NULL,
                           "CUDA_VISIBLE_DEVICES names '%s', which is no GPU of this machine (or repeats one)%s", bad,
                           n ? ": it and every entry after it are ignored" : ": no GPU is visible");
        ge_finding_evidence(x, "CUDA_VISIBLE_DEVICES", "%s", cvd);
        ge_finding_evidence(x, "the driver", "%d GPU%s (indices 0 to %d)", d->drv.ngpus, d->drv.ngpus == 1 ? "" : "s",
                            d->drv.ngpus - 1);
        ge_finding_fix(x, false, false, "unset CUDA_VISIBLE_DEVICES, or list indices below %d or the GPUs' UUIDs "
                       "('gpuenv detect' shows them)", d->drv.ngpus);
    } else if (n < d->drv.ngpus) {
        x = ge_finding_add(&d->findings, GE_F_GPUS_HIDDEN, GE_SEV_INFO, NULL,
                           "CUDA_VISIBLE_DEVICES shows %d of the machine's %d GPUs", n, d->drv.ngpus);
        ge_finding_evidence(x, "CUDA_VISIBLE_DEVICES", "%s", cvd);
        ge_finding_fix(x, false, false, "unset CUDA_VISIBLE_DEVICES to see every GPU (a scheduler may set it on purpose)");
    }
    ge_doctor_check(d, "visible-devices", bad[0] ? GE_CHECK_PROBLEM : GE_CHECK_OK, "CUDA_VISIBLE_DEVICES=%s: %d GPU%s visible",
                    cvd, n, n == 1 ? "" : "s");
}

/* ---- LD_LIBRARY_PATH ---- */

/* The CUDA libraries frameworks and prefixes bring, by the start of their names. */
static const char *const cuda_libs[] = {
    "libcudart.so.", "libcublas.so.", "libcublasLt.so.", "libcudnn.so.", "libcudnn_", "libcufft.so.",
    "libcurand.so.", "libcusolver.so.", "libcusparse.so.", "libnccl.so.", "libnvrtc.so.", "libnvJitLink.so.",
    "libcupti.so.", "libcusparseLt.so.", NULL,
};

static bool is_cuda_lib(const char *name)
{
    for (size_t i = 0; cuda_libs[i]; i++)
        if (strncmp(name, cuda_libs[i], strlen(cuda_libs[i])) == 0 && strstr(name, ".so."))
            return true;
    return false;
}

/* "9.1.0" from the file a library name leads to (libcudnn.so.9 -> libcudnn.so.9.1.0), else what
 * the name itself says after ".so.". */
static void lib_version(const char *path, char *out, size_t size)
{
    char real[PATH_MAX];
    const char *p = realpath(path, real) ? real : path;
    const char *base = strrchr(p, '/');
    base = base ? base + 1 : p;
    const char *so = strstr(base, ".so.");
    ge_strlcpy(out, so ? so + 4 : "?", size);
}

/* The folders the framework and the prefix load their CUDA libraries from. */
struct owner {
    char dir[PATH_MAX];
    const char *what;      /* "the framework" or "the prefix" */
};

static int owners(const struct ge_doctor *d, struct owner *o, int max)
{
    int n = 0;
    cJSON *dirs = d->py ? cJSON_GetObjectItem(d->py, "lib_dirs") : NULL;
    cJSON *e;
    cJSON_ArrayForEach(e, dirs)
    {
        if (n < max && cJSON_IsString(e)) {
            ge_strlcpy(o[n].dir, e->valuestring, sizeof o[n].dir);
            o[n++].what = "the framework";
        }
    }
    if (d->has_lock && n < max && ge_fmt(o[n].dir, sizeof o[n].dir, "%s/lib", d->prefix) == 0 && access(o[n].dir, F_OK) == 0)
        o[n++].what = "the prefix";
    return n;
}

/* The entries of LD_LIBRARY_PATH, in order (empty ones are the current folder to the loader). */
static int ld_entries(char (*out)[PATH_MAX], int max)
{
    const char *llp = getenv("LD_LIBRARY_PATH");
    int n = 0;
    for (const char *p = llp ? llp : ""; *p && n < max;) {
        size_t len = strcspn(p, ":");
        if (len < PATH_MAX) {
            memcpy(out[n], p, len);
            out[n][len] = '\0';
            if (!len)
                strcpy(out[n], ".");
            n++;
        }
        p += len;
        if (*p == ':')
            p++;
    }
    return n;
}

static bool same_dir(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

#define MAX_LD 64
#define MAX_OWNERS 48
#define MAX_PINNED 2048

/* A library the framework's own libraries load through DT_RPATH: the loader searches DT_RPATH
 * before LD_LIBRARY_PATH (DT_RUNPATH after it), so LD_LIBRARY_PATH cannot shadow it. PyTorch's
 * wheels pin their nvidia-* libraries this way; a library those load in turn (cuDNN's
 * sub-libraries, found through cuDNN's own DT_RUNPATH) stays exposed. */
struct pinned {
    dev_t dev;
    ino_t ino;                 /* the folder the DT_RPATH entry leads to */
    char soname[128];
};

struct pins {
    struct pinned *v;
    size_t n;
};

static void pin_library(struct pins *p, const char *dir, const char *path)
{
    static struct ge_elf_dynamic dyn; /* large */
    struct ge_err err;
    ge_err_clear(&err);
    if (ge_elf_dynamic_read(path, &dyn, &err) < 0 || !dyn.rpath[0] || dyn.runpath[0])
        return;
    char *save = NULL;
    for (char *e = strtok_r(dyn.rpath, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
        char full[PATH_MAX];
        const char *rest = !strncmp(e, "$ORIGIN", 7) ? e + 7 : !strncmp(e, "${ORIGIN}", 9) ? e + 9 : NULL;
        if (ge_fmt(full, sizeof full, "%s%s", rest ? dir : "", rest ? rest : e) < 0)
            continue;
        struct stat st;
        if (stat(full, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        for (int i = 0; i < dyn.nneeded && p->n < MAX_PINNED; i++) {
            p->v[p->n].dev = st.st_dev;
            p->v[p->n].ino = st.st_ino;
            ge_strlcpy(p->v[p->n].soname, dyn.needed[i], sizeof p->v[0].soname);
            p->n++;
        }
    }
}

static void pin_framework_libraries(const struct ge_doctor *d, struct pins *p)
{
    const cJSON *fws = d->py ? cJSON_GetObjectItem(d->py, "frameworks") : NULL, *fw, *dir;
    cJSON_ArrayForEach(fw, fws)
    {
        const cJSON *dirs = cJSON_GetObjectItem(fw, "lib_dirs");
        cJSON_ArrayForEach(dir, dirs)
        {
            DIR *dh = cJSON_IsString(dir) ? opendir(dir->valuestring) : NULL;
            if (!dh)
                continue;
            struct dirent *e;
            while ((e = readdir(dh))) {
                char path[PATH_MAX];
                struct stat st;
                if (!strstr(e->d_name, ".so") || ge_fmt(path, sizeof path, "%s/%s", dir->valuestring, e->d_name) < 0 ||
                    lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
                    continue;
                pin_library(p, dir->valuestring, path);
            }
            closedir(dh);
        }
    }
}

static bool pinned(const struct pins *p, const struct stat *dir, const char *soname)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].dev == dir->st_dev && p->v[i].ino == dir->st_ino && !strcmp(p->v[i].soname, soname))
            return true;
    return false;
}

static void shadowing(struct ge_doctor *d)
{
    static char ld[MAX_LD][PATH_MAX];
    struct owner *own = calloc(MAX_OWNERS, sizeof *own);
    if (!own)
        return;
    int nld = ld_entries(ld, MAX_LD), nown = owners(d, own, MAX_OWNERS);
    int found = 0, npinned = 0;
    struct pins pins = {calloc(MAX_PINNED, sizeof(struct pinned)), 0};
    if (pins.v && nld)
        pin_framework_libraries(d, &pins);
    /* the prefix's own lib is first in LD_LIBRARY_PATH once activated: only entries before it shadow it */
    int prefix_at = nld;
    for (int i = 0; i < nld; i++)
        for (int k = 0; k < nown; k++)
            if (!strcmp(own[k].what, "the prefix") && same_dir(ld[i], own[k].dir) && prefix_at == nld)
                prefix_at = i;
    for (int k = 0; k < nown && found < 8; k++) {
        bool prefix = !strcmp(own[k].what, "the prefix");
        struct stat owner_st;
        DIR *dh = stat(own[k].dir, &owner_st) == 0 ? opendir(own[k].dir) : NULL;
        if (!dh)
            continue;
        struct dirent *e;
        while ((e = readdir(dh)) && found < 8) {
            if (!is_cuda_lib(e->d_name))
                continue;
            char mine[PATH_MAX + 256];
            ge_fmt(mine, sizeof mine, "%s/%s", own[k].dir, e->d_name);
            struct stat sm;
            if (stat(mine, &sm) < 0)
                continue;
            if (!prefix && pinned(&pins, &owner_st, e->d_name)) {
                npinned++;
                continue;
            }
            for (int i = 0; i < (prefix ? prefix_at : nld); i++) {
                if (same_dir(ld[i], own[k].dir))
                    break; /* the owner's own folder comes first: nothing before it shadowed this one */
                char other[PATH_MAX + 256];
                ge_fmt(other, sizeof other, "%s/%s", ld[i], e->d_name);
                struct stat so;
                if (stat(other, &so) < 0 || (so.st_dev == sm.st_dev && so.st_ino == sm.st_ino))
                    continue;
                char vm[64], vo[64];
                lib_version(mine, vm, sizeof vm);
                lib_version(other, vo, sizeof vo);
                if (!strcmp(vm, vo) && so.st_size == sm.st_size)
                    break; /* the same build elsewhere: harmless */
                struct ge_finding *x = ge_finding_add(
                    &d->findings, GE_F_LIBRARY_SHADOWED, GE_SEV_ERROR, e->d_name,
                    "LD_LIBRARY_PATH puts %s (%s) before the one %s brings (%s): programs load the wrong build", other,
                    vo, own[k].what, vm);
                ge_finding_evidence(x, "LD_LIBRARY_PATH", "%s", ld[i]);
                ge_finding_evidence(x, other, "version %s, %lld bytes", vo, (long long)so.st_size);
                ge_finding_evidence(x, mine, "version %s, %lld bytes", vm, (long long)sm.st_size);
                ge_finding_fix(x, false, false, "remove %s from LD_LIBRARY_PATH%s", ld[i],
                               prefix ? " (or activate the prefix again: 'eval \"$(gpuenv env)\"')" : "");
                found++;
                break;
            }
        }
        closedir(dh);
    }
    free(own);
    free(pins.v);

    /* two cuDNN majors reachable through LD_LIBRARY_PATH: one process may load both */
    char first[2][PATH_MAX + 32] = {"", ""};
    int majors = 0;
    for (int i = 0; i < nld && majors < 2; i++) {
        for (int mj = 7; mj <= 12; mj++) {
            char p[PATH_MAX + 32];
            ge_fmt(p, sizeof p, "%s/libcudnn.so.%d", ld[i], mj);
            if (access(p, F_OK) != 0)
                continue;
            if (majors == 1 && strstr(first[0], "libcudnn.so.") && atoi(strstr(first[0], "libcudnn.so.") + 12) == mj)
                continue;
            if (majors < 2)
                ge_strlcpy(first[majors++], p, sizeof first[0]);
        }
    }
    if (majors == 2) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_CUDNN_MAJORS, GE_SEV_WARNING, "libcudnn",
                                              "LD_LIBRARY_PATH reaches two cuDNN majors: a program may load one and a "
                                              "library of it the other");
        ge_finding_evidence(x, "LD_LIBRARY_PATH", "%s", first[0]);
        ge_finding_evidence(x, "LD_LIBRARY_PATH", "%s", first[1]);
        ge_finding_fix(x, false, false, "keep one cuDNN's folder in LD_LIBRARY_PATH");
        found++;
    }
    ge_doctor_check(d, "library-path", found ? GE_CHECK_PROBLEM : GE_CHECK_OK, "%d folder%s of LD_LIBRARY_PATH against %d "
                    "of the framework and prefix (%d of their libraries pinned by DT_RPATH)", nld, nld == 1 ? "" : "s",
                    nown, npinned);
}

/* ---- CUDA_HOME, CUDA_PATH ---- */

static void cuda_home(struct ge_doctor *d)
{
    static const char *const vars[] = {"CUDA_HOME", "CUDA_PATH"};
    /* the toolkit in use: the prefix's, else the framework's CUDA */
    char want[32] = "", by[64] = "";
    if (d->has_lock && d->lock.cuda[0]) {
        ge_strlcpy(want, d->lock.cuda, sizeof want);
        ge_strlcpy(by, "the project's prefix", sizeof by);
    } else if (d->py) {
        cJSON *fws = cJSON_GetObjectItem(d->py, "frameworks"), *fw;
        cJSON_ArrayForEach(fw, fws)
        {
            cJSON *c = cJSON_GetObjectItem(fw, "cuda");
            if (cJSON_IsString(c) && !want[0]) {
                ge_strlcpy(want, c->valuestring, sizeof want);
                ge_fmt(by, sizeof by, "%s's build", fw->string);
            }
        }
    }
    int problems = 0, seen = 0;
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(vars[i]);
        if (!v || !v[0])
            continue;
        seen++;
        char ver[32], src[32];
        struct ge_finding *x;
        if (ge_toolkit_version(v, ver, sizeof ver, src, sizeof src) < 0) {
            x = ge_finding_add(&d->findings, GE_F_CUDA_HOME_MISSING, GE_SEV_WARNING, vars[i],
                               "%s=%s holds no CUDA toolkit (no version.json, version.txt or include/cuda.h)", vars[i], v);
            ge_finding_evidence(x, vars[i], "%s", v);
            ge_finding_fix(x, false, false, "unset %s, or point it at a toolkit%s", vars[i],
                           d->has_lock && d->lock.cuda[0] ? " (the prefix's, by activating it)" : "");
            problems++;
            continue;
        }
        struct ge_version a, b;
        if (!want[0] || ge_doctor_vparse(ver, &a) < 0 || ge_doctor_vparse(want, &b) < 0)
            continue;
        if (a.part[0] != b.part[0] || a.part[1] != b.part[1]) {
            x = ge_finding_add(&d->findings, GE_F_CUDA_HOME_MISMATCH, GE_SEV_WARNING, vars[i],
                               "%s is CUDA %s, but %s is CUDA %s: extensions built with it (torch.utils.cpp_extension, "
                               "CMake) do not match", vars[i], ver, by, want);
            ge_finding_evidence(x, vars[i], "%s (%s from %s)", v, ver, src);
            ge_finding_evidence(x, by, "CUDA %s", want);
            ge_finding_fix(x, false, false, "%s", d->has_lock && d->lock.cuda[0]
                                                    ? "activate the prefix ('eval \"$(gpuenv env)\"'), which sets CUDA_HOME"
                                                    : "point CUDA_HOME at a toolkit of the framework's CUDA version, or unset it");
            problems++;
        }
    }
    if (!seen)
        ge_doctor_check(d, "cuda-home", GE_CHECK_OK, "CUDA_HOME and CUDA_PATH are not set");
    else
        ge_doctor_check(d, "cuda-home", problems ? GE_CHECK_PROBLEM : GE_CHECK_OK, "%s", want[0] ? want : "no toolkit in use to compare with");
}

void ge_diag_env(struct ge_doctor *d)
{
    visible_devices(d);
    shadowing(d);
    cuda_home(d);
}
