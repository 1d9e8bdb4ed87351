/* doctor.h: 'gpuenv doctor': examine the driver, the environment, the project, the framework and
 * the GPU code of the libraries that will be loaded, run a kernel on every GPU, and say what is
 * wrong and how to fix it. Each area is one file (diag_*.c) that reads the facts gathered here and
 * adds findings; nothing here prints. */
#ifndef GE_DOCTOR_H
#define GE_DOCTOR_H

#include <limits.h>
#include <stdbool.h>

#include <cJSON.h>

#include "amd.h"
#include "driver.h"
#include "err.h"
#include "finding.h"
#include "lock.h"
#include "matrix.h"

#define GE_DOCTOR_MAX_BINARIES 64
#define GE_DOCTOR_TIMEOUT_DEFAULT 60.0

struct ge_doctor_opts {
    const char *dir;          /* -C: the project folder; NULL for the current one */
    const char *python;       /* --python: the interpreter; NULL for the active venv or python3 */
    const char *binaries[GE_DOCTOR_MAX_BINARIES]; /* --binary: more files to read the GPU code of */
    int nbinaries;
    bool verify;              /* --verify: hash the prefix's files, not only their sizes */
    bool gpu_check;           /* run the kernel on each GPU and the framework's own check */
    double timeout_s;         /* for the interpreter's probe and the framework's check */
};

/* One check and what became of it, for the report ("checks" in --json). */
enum ge_check_status { GE_CHECK_OK, GE_CHECK_PROBLEM, GE_CHECK_SKIPPED };
#define GE_DOCTOR_MAX_CHECKS 16
struct ge_check {
    const char *name;         /* "driver", "devices", ... (stable, documented) */
    enum ge_check_status status;
    char note[256];           /* why it was skipped, or what it looked at */
};

/* One library whose GPU code was read. */
struct ge_doctor_binary {
    char path[PATH_MAX];
    char origin[16];          /* "framework", "prefix", "given" */
    size_t fatbins, entries;
    char archs[256];          /* "sm_80 sm_90 compute_90" */
};
#define GE_DOCTOR_MAX_LIBS 96

struct ge_doctor {
    const struct ge_doctor_opts *o;
    const char *sysroot;      /* GPUENV_SYSROOT, "" for none: stands for / in every system path */
    struct ge_matrix *m;      /* NULL when the data cannot be loaded (the checks that need it skip) */
    char matrix_note[GE_ERR_MSG_MAX];

    /* the driver, probed once with the on-GPU check */
    struct ge_driver_info drv;
    bool drv_ok;              /* the probe answered with devices */
    struct ge_err drv_err;
    char module_version[32];  /* the loaded kernel module's, "" when none is loaded */
    char module_source[64];
    char library_version[32]; /* libcuda.so's own, from its file name; "" when not known */
    struct ge_version driver_cuda; /* the newest CUDA the driver runs (cuDriverGetVersion) */
    bool driver_cuda_known;
    struct ge_amd_info amd;   /* AMD GPUs, the amdgpu driver and ROCm (amd.c) */

    /* the project (when -C's folder, or the current one, holds a gpuenv.lock) */
    bool has_project;
    char project_dir[PATH_MAX];
    char prefix[PATH_MAX];
    bool has_lock;
    struct ge_lockfile lock;

    /* the interpreter and what it sees; py is its probe's JSON (NULL when none ran) */
    char python[PATH_MAX];
    char python_source[64];
    cJSON *py;
    char py_note[GE_ERR_MSG_MAX];

    struct ge_doctor_binary libs[GE_DOCTOR_MAX_LIBS];
    int nlibs;

    struct ge_check checks[GE_DOCTOR_MAX_CHECKS];
    int nchecks;
    struct ge_findings findings;
};

/* Examine everything; findings end sorted, worst first. -1 with err only for what stops doctor
 * itself (a malformed variable, no memory); every problem of the machine is a finding. */
int ge_doctor_run(struct ge_doctor *d, const struct ge_doctor_opts *o, struct ge_err *err);
void ge_doctor_fini(struct ge_doctor *d);

/* Record how a check went; returns its entry to fill the note. */
struct ge_check *ge_doctor_check(struct ge_doctor *d, const char *name, enum ge_check_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* How many errors and warnings were added since the list held 'before' findings. */
size_t ge_doctor_problems_since(const struct ge_doctor *d, size_t before);
/* The fix for a device file (dev, a system path) this user cannot open: its mode, owner and group
 * as evidence, and joining its group, or 'fallback' when root's group owns it. */
void ge_doctor_group_fix(const struct ge_doctor *d, struct ge_finding *x, const char *dev, const char *fallback);
/* The oldest Linux driver that runs CUDA X.Y natively: the floor of its first release of that
 * minor in the matrix (or of its newest, where the matrix lacks X.Y.0). NULL when not known. */
const struct ge_ver *ge_doctor_cuda_floor(const struct ge_doctor *d, const struct ge_version *cuda);
/* A system path under the sysroot. */
void ge_doctor_path(const struct ge_doctor *d, const char *path, char *out, size_t size);

/* The areas, in the order ge_doctor_run calls them (each in its own diag_*.c). */
void ge_diag_driver(struct ge_doctor *d);    /* the driver, its module, devices, containers, WSL */
void ge_diag_amd(struct ge_doctor *d);       /* AMD GPUs: /dev/kfd and render nodes */
void ge_diag_env(struct ge_doctor *d);       /* CUDA_VISIBLE_DEVICES, LD_LIBRARY_PATH, CUDA_HOME */
void ge_diag_project(struct ge_doctor *d);   /* gpuenv.lock against the machine and the prefix */
void ge_diag_python(struct ge_doctor *d);    /* the framework in the interpreter */
void ge_diag_binaries(struct ge_doctor *d);  /* the GPU code of the libraries that will be loaded */
void ge_diag_gpu(struct ge_doctor *d);       /* the on-GPU check and the framework's own */

/* The AMD GPU code of one library (diag_amd.c, for diag_binaries.c): recorded in libs, and when
 * judged, an amd-no-code-object finding per kind of AMD GPU it has no code object for (problems
 * counts them). 1 when it holds HIP code, 0 when not. */
int ge_diag_amd_binary(struct ge_doctor *d, const char *path, const char *origin, bool judged, int *problems);
/* The PyTorch ROCm wheels whose targets include gtv: of the release torch_version when it has
 * one, else of the newest; NULL when the matrix names none (release gets the release). */
const struct ge_rocm_variant *ge_doctor_rocm_build(const struct ge_doctor *d, unsigned gtv, const char *torch_version,
                                                   const struct ge_torch_rocm_release **release);
/* The ROCm a framework was built against (hip: torch.version.hip, or NULL) against the system's,
 * when the framework loads the system's (diag_amd.c, for diag_python.c). */
void ge_diag_amd_framework(struct ge_doctor *d, const char *name, const char *version, const char *hip,
                           const cJSON *lib_dirs);

/* The interpreter's probe (diag_python.c): run 'python' with the probe script and a time limit;
 * its JSON, or NULL with note saying why. */
cJSON *ge_doctor_probe_python(const char *python, double timeout_s, char *note, size_t size);

/* A version as the checks read them: a driver's ("580.65.06") or any dotted one ("12.4"). 0 or -1. */
int ge_doctor_vparse(const char *s, struct ge_version *v);

/* "580.65.06" from "/usr/lib/x86_64-linux-gnu/libcuda.so.580.65.06"; -1 when the name holds no
 * version (a libcuda.so.1 that is a copy, not a link). */
int ge_doctor_library_version(const char *path, char *out, size_t size);

/* The CUDA_VISIBLE_DEVICES rules of the driver: entries separated by commas, each an index, a
 * GPU UUID (or a unique prefix of it, "GPU-" optional) or a MIG UUID; the list ends at the first
 * entry that names no device. How many GPUs stay visible, and the first bad entry into bad ("" when
 * none). */
int ge_doctor_cvd_visible(const char *cvd, const struct ge_driver_info *drv, char *bad, size_t size);

#endif
