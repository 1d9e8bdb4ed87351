/* finding.h: what 'gpuenv doctor' found: a stable code, a severity, the evidence it rests on and
 * the fix. The codes are a public contract, documented in gpuenv(1): never renamed or removed,
 * only appended. */
#ifndef GE_FINDING_H
#define GE_FINDING_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

enum ge_severity { GE_SEV_INFO = 0, GE_SEV_WARNING = 1, GE_SEV_ERROR = 2 };

/* Where a finding belongs: also the order of the steps of a fix plan (the driver before the
 * variables before the project before the framework). */
enum ge_area { GE_AREA_DRIVER, GE_AREA_ENV, GE_AREA_PROJECT, GE_AREA_PYTHON, GE_AREA_BINARY, GE_AREA_GPU };

enum ge_code {
    /* driver and devices */
    GE_F_NO_DRIVER,
    GE_F_DRIVER_LOAD_FAILED,
    GE_F_DRIVER_INIT_FAILED,
    GE_F_DRIVER_HUNG,
    GE_F_DRIVER_MISMATCH,
    GE_F_MODULE_NOT_LOADED,
    GE_F_NOUVEAU,
    GE_F_DEVICE_NODES_MISSING,
    GE_F_DEVICE_NODES_DENIED,
    GE_F_CONTAINER_NO_GPU,
    GE_F_STUB_LIBCUDA,
    GE_F_WSL_LIBRARY_MISSING,
    GE_F_NO_GPU,
    /* the environment */
    GE_F_CVD_EMPTY,
    GE_F_CVD_INVALID,
    GE_F_GPUS_HIDDEN,
    GE_F_LIBRARY_SHADOWED,
    GE_F_CUDNN_MAJORS,
    GE_F_CUDA_HOME_MISMATCH,
    GE_F_CUDA_HOME_MISSING,
    /* the project */
    GE_F_LOCK_OTHER_MACHINE,
    GE_F_PREFIX_MISSING,
    GE_F_PREFIX_CHANGED,
    GE_F_ACTIVATION_STALE,
    GE_F_VENV_NOT_LOCKED,
    /* the framework */
    GE_F_NO_PYTHON,
    GE_F_NO_FRAMEWORK,
    GE_F_FRAMEWORK_IMPORT,
    GE_F_FRAMEWORK_CPU_ONLY,
    GE_F_FRAMEWORK_CUDA_TOO_NEW,
    GE_F_FRAMEWORK_MINOR_COMPAT,
    GE_F_NUMPY_ABI,
    GE_F_FRAMEWORK_COPIES,
    GE_F_FRAMEWORK_NO_GPU,
    /* the binaries */
    GE_F_NO_KERNEL_IMAGE,
    GE_F_PTX_ONLY,
    GE_F_PTX_TOO_NEW,
    GE_F_BINARY_UNREADABLE,
    /* on the GPU */
    GE_F_GPU_CHECK_FAILED,
    GE_F_GPU_CHECK_WRONG,
    GE_F_GPU_CHECK_HUNG,
    /* AMD (appended: codes keep their places) */
    GE_F_AMD_KFD_MISSING,
    GE_F_AMD_KFD_DENIED,
    GE_F_AMD_RENDER_DENIED,
    GE_F_AMD_NO_CODE_OBJECT,
    GE_F_AMD_ROCM_TOO_OLD,
    GE_F_AMD_HIP_FAILED,
    GE_F_AMD_HIP_UNSEEN,
    GE_F_COUNT
};

struct ge_code_info {
    enum ge_code code;
    const char *name;      /* stable: "driver-version-mismatch" */
    enum ge_area area;
    const char *meaning;   /* one line, the same words as the man page */
};

const struct ge_code_info *ge_code_table(size_t *n);
const struct ge_code_info *ge_code_info(enum ge_code c);
const char *ge_severity_name(enum ge_severity s);
const char *ge_area_name(enum ge_area a);

#define GE_FINDING_MAX_EVIDENCE 6

struct ge_evidence {
    char source[160]; /* where it was read: a file, a variable, a call, a command */
    char value[256];  /* what was read there */
};

struct ge_finding {
    enum ge_code code;
    enum ge_severity severity;
    char subject[96];       /* what it is about: "GPU 0", "torch", a path; "" for the machine */
    char message[512];      /* one line */
    int nevidence;
    struct ge_evidence evidence[GE_FINDING_MAX_EVIDENCE];
    char fix[512];          /* the command to run or the exact change; "" when none is known */
    bool fix_root;          /* the fix needs root */
    bool fix_reboot;        /* the fix needs a reboot (or a new login) */
};

struct ge_findings {
    size_t n, cap;
    struct ge_finding *v;
    bool oom;               /* a finding could not be kept */
};

void ge_findings_init(struct ge_findings *f);
void ge_findings_fini(struct ge_findings *f);
/* Add a finding with its message; returns it (to add evidence and the fix), or a scratch finding
 * that is thrown away when memory runs out (f->oom is then set). */
struct ge_finding *ge_finding_add(struct ge_findings *f, enum ge_code code, enum ge_severity sev,
                                  const char *subject, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void ge_finding_evidence(struct ge_finding *x, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ge_finding_fix(struct ge_finding *x, bool root, bool reboot, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Worst first; within a severity, in the order of the code table; stable otherwise. */
void ge_findings_sort(struct ge_findings *f);
size_t ge_findings_count(const struct ge_findings *f, enum ge_severity s);
bool ge_findings_has(const struct ge_findings *f, enum ge_code c);

cJSON *ge_finding_json(const struct ge_finding *x);

/* The fix plan: the distinct fixes of the errors and warnings, in the order the areas say (the
 * driver first), each once. Up to max pointers into f; returns how many. */
size_t ge_findings_plan(const struct ge_findings *f, const struct ge_finding **steps, size_t max);

#endif
