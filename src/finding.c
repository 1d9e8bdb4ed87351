/* finding.c: the finding codes (the single place they are defined) and the list of findings. */
#include "finding.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "str.h"

static const struct ge_code_info codes[] = {
    {GE_F_NO_DRIVER, "no-driver", GE_AREA_DRIVER, "no libcuda.so.1 anywhere the loader or gpuenv looks"},
    {GE_F_DRIVER_LOAD_FAILED, "driver-load-failed", GE_AREA_DRIVER,
     "a libcuda.so.1 exists but does not load, or lacks the driver API"},
    {GE_F_DRIVER_INIT_FAILED, "driver-init-failed", GE_AREA_DRIVER, "cuInit failed for a reason no other code names"},
    {GE_F_DRIVER_HUNG, "driver-hung", GE_AREA_DRIVER, "the driver did not answer in time, or crashed the probe"},
    {GE_F_DRIVER_MISMATCH, "driver-version-mismatch", GE_AREA_DRIVER,
     "the loaded kernel module and libcuda.so are different driver versions"},
    {GE_F_MODULE_NOT_LOADED, "module-not-loaded", GE_AREA_DRIVER, "libcuda.so is installed but the nvidia kernel module is not loaded"},
    {GE_F_NOUVEAU, "nouveau-loaded", GE_AREA_DRIVER, "the nouveau kernel module holds the GPU"},
    {GE_F_DEVICE_NODES_MISSING, "device-nodes-missing", GE_AREA_DRIVER, "/dev/nvidiactl or /dev/nvidiaN is missing"},
    {GE_F_DEVICE_NODES_DENIED, "device-nodes-denied", GE_AREA_DRIVER, "/dev/nvidia* exists but this user cannot open it"},
    {GE_F_CONTAINER_NO_GPU, "container-without-gpu", GE_AREA_DRIVER, "inside a container that was started without GPU devices"},
    {GE_F_STUB_LIBCUDA, "stub-libcuda", GE_AREA_DRIVER, "the CUDA toolkit's stub libcuda.so is found before the driver's"},
    {GE_F_WSL_LIBRARY_MISSING, "wsl-library-missing", GE_AREA_DRIVER,
     "WSL2 without the Windows driver's /usr/lib/wsl/lib/libcuda.so.1"},
    {GE_F_NO_GPU, "no-gpu", GE_AREA_DRIVER, "the driver works but reports no GPU"},
    {GE_F_CVD_EMPTY, "cuda-visible-devices-empty", GE_AREA_ENV, "CUDA_VISIBLE_DEVICES is set and empty: every GPU is hidden"},
    {GE_F_CVD_INVALID, "cuda-visible-devices-invalid", GE_AREA_ENV,
     "CUDA_VISIBLE_DEVICES names a device that does not exist (and hides the ones after it)"},
    {GE_F_GPUS_HIDDEN, "gpus-hidden", GE_AREA_ENV, "CUDA_VISIBLE_DEVICES hides some of the machine's GPUs"},
    {GE_F_LIBRARY_SHADOWED, "library-shadowed", GE_AREA_ENV,
     "a folder of LD_LIBRARY_PATH holds another version of a CUDA library the framework or prefix brings"},
    {GE_F_CUDNN_MAJORS, "cudnn-majors-mixed", GE_AREA_ENV, "two cuDNN major versions are reachable through LD_LIBRARY_PATH"},
    {GE_F_CUDA_HOME_MISMATCH, "cuda-home-mismatch", GE_AREA_ENV,
     "CUDA_HOME or CUDA_PATH names a toolkit of another version than the one in use"},
    {GE_F_CUDA_HOME_MISSING, "cuda-home-missing", GE_AREA_ENV, "CUDA_HOME or CUDA_PATH names a folder that holds no toolkit"},
    {GE_F_LOCK_OTHER_MACHINE, "lock-other-machine", GE_AREA_PROJECT,
     "gpuenv.lock was resolved for another driver or other GPUs than this machine's"},
    {GE_F_PREFIX_MISSING, "prefix-missing", GE_AREA_PROJECT, "the project has a gpuenv.lock but no installed prefix matching it"},
    {GE_F_PREFIX_CHANGED, "prefix-files-changed", GE_AREA_PROJECT, "files of the prefix are missing or differ from what was installed"},
    {GE_F_ACTIVATION_STALE, "activation-stale", GE_AREA_PROJECT, "an activation script names another prefix than the one it is in"},
    {GE_F_VENV_NOT_LOCKED, "venv-not-locked", GE_AREA_PROJECT, "the venv's framework is not the version gpuenv.lock pins"},
    {GE_F_NO_PYTHON, "no-python", GE_AREA_PYTHON, "no Python interpreter to examine"},
    {GE_F_NO_FRAMEWORK, "no-framework", GE_AREA_PYTHON, "neither torch, tensorflow nor jax is importable"},
    {GE_F_FRAMEWORK_IMPORT, "framework-import-failed", GE_AREA_PYTHON, "importing the framework fails"},
    {GE_F_FRAMEWORK_CPU_ONLY, "framework-cpu-only", GE_AREA_PYTHON, "the framework is a build without CUDA"},
    {GE_F_FRAMEWORK_CUDA_TOO_NEW, "framework-cuda-too-new", GE_AREA_PYTHON,
     "the framework's CUDA is newer than this driver runs, even through minor-version compatibility"},
    {GE_F_FRAMEWORK_MINOR_COMPAT, "framework-minor-version-compat", GE_AREA_PYTHON,
     "the framework's CUDA is newer than the driver's and runs through minor-version compatibility"},
    {GE_F_NUMPY_ABI, "numpy-abi-mismatch", GE_AREA_PYTHON, "the framework was built against another NumPy major than the one installed"},
    {GE_F_FRAMEWORK_COPIES, "framework-copies", GE_AREA_PYTHON, "several copies of one framework are importable"},
    {GE_F_FRAMEWORK_NO_GPU, "framework-sees-no-gpu", GE_AREA_PYTHON,
     "the framework's own check saw no GPU or computed a wrong product"},
    {GE_F_NO_KERNEL_IMAGE, "no-kernel-image", GE_AREA_BINARY, "a library has neither a cubin nor usable PTX for a GPU"},
    {GE_F_PTX_ONLY, "ptx-jit-only", GE_AREA_BINARY, "a GPU runs a library only through PTX the driver must JIT-compile"},
    {GE_F_PTX_TOO_NEW, "ptx-too-new", GE_AREA_BINARY, "a library's only code for a GPU is PTX newer than this driver can compile"},
    {GE_F_BINARY_UNREADABLE, "binary-unreadable", GE_AREA_BINARY, "a library could not be read as an ELF file"},
    {GE_F_GPU_CHECK_FAILED, "gpu-check-failed", GE_AREA_GPU, "the on-GPU check could not run its kernel"},
    {GE_F_GPU_CHECK_WRONG, "gpu-check-wrong-result", GE_AREA_GPU, "the on-GPU check ran and computed wrong values"},
    {GE_F_GPU_CHECK_HUNG, "gpu-check-hung", GE_AREA_GPU, "the on-GPU check did not finish in time, or crashed"},
    {GE_F_AMD_KFD_MISSING, "amd-kfd-missing", GE_AREA_DRIVER, "AMD GPUs are present but /dev/kfd, which ROCm needs, is not"},
    {GE_F_AMD_KFD_DENIED, "amd-kfd-denied", GE_AREA_DRIVER, "this user cannot open /dev/kfd"},
    {GE_F_AMD_RENDER_DENIED, "amd-render-denied", GE_AREA_DRIVER, "this user cannot open an AMD GPU's render node /dev/dri/renderD<N>"},
    {GE_F_AMD_NO_CODE_OBJECT, "amd-no-code-object", GE_AREA_BINARY,
     "a library's .hip_fatbin has no code object for an AMD GPU of this machine"},
    {GE_F_AMD_ROCM_TOO_OLD, "amd-rocm-too-old", GE_AREA_PYTHON,
     "the framework loads the system's ROCm, older than the ROCm it was built against"},
    {GE_F_AMD_HIP_FAILED, "amd-hip-failed", GE_AREA_DRIVER,
     "the system's HIP runtime, asked in a child process, fails (does not load, no device, driver too old, hangs, crashes)"},
    {GE_F_AMD_HIP_UNSEEN, "amd-hip-unseen", GE_AREA_DRIVER, "the HIP runtime does not see a GPU of the KFD topology"},
};

_Static_assert(sizeof codes / sizeof codes[0] == GE_F_COUNT, "every finding code has a table entry");

const struct ge_code_info *ge_code_table(size_t *n)
{
    *n = sizeof codes / sizeof codes[0];
    return codes;
}

const struct ge_code_info *ge_code_info(enum ge_code c)
{
    return (unsigned)c < GE_F_COUNT ? &codes[c] : NULL;
}

const char *ge_severity_name(enum ge_severity s)
{
    return s == GE_SEV_ERROR ? "error" : s == GE_SEV_WARNING ? "warning" : "info";
}

const char *ge_area_name(enum ge_area a)
{
    static const char *const names[] = {"driver", "environment", "project", "python", "binary", "gpu"};
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "?";
}

void ge_findings_init(struct ge_findings *f)
{
    memset(f, 0, sizeof *f);
}

void ge_findings_fini(struct ge_findings *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}

struct ge_finding *ge_finding_add(struct ge_findings *f, enum ge_code code, enum ge_severity sev,
                                  const char *subject, const char *fmt, ...)
{
    static struct ge_finding scratch;
    struct ge_finding *x = &scratch;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        struct ge_finding *v = realloc(f->v, cap * sizeof *v);
        if (v) {
            f->v = v;
            f->cap = cap;
        }
    }
    if (f->n < f->cap)
        x = &f->v[f->n++];
    else
        f->oom = true;
    memset(x, 0, sizeof *x);
    x->code = code;
    x->severity = sev;
    ge_strlcpy(x->subject, subject ? subject : "", sizeof x->subject);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof x->message, fmt, ap);
    va_end(ap);
    return x;
}

void ge_finding_evidence(struct ge_finding *x, const char *source, const char *fmt, ...)
{
    if (x->nevidence >= GE_FINDING_MAX_EVIDENCE)
        return;
    struct ge_evidence *e = &x->evidence[x->nevidence++];
    ge_strlcpy(e->source, source, sizeof e->source);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->value, sizeof e->value, fmt, ap);
    va_end(ap);
}

void ge_finding_fix(struct ge_finding *x, bool root, bool reboot, const char *fmt, ...)
{
    x->fix_root = root;
    x->fix_reboot = reboot;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->fix, sizeof x->fix, fmt, ap);
    va_end(ap);
}

static int worse(const void *a, const void *b)
{
    const struct ge_finding *x = a, *y = b;
    if (x->severity != y->severity)
        return (int)y->severity - (int)x->severity;
    if (x->code != y->code)
        return (int)x->code - (int)y->code;
    return x < y ? -1 : x > y;
}

void ge_findings_sort(struct ge_findings *f)
{
    /* qsort is not stable: the address breaks ties, which keeps the order of addition */
    if (f->n > 1)
        qsort(f->v, f->n, sizeof *f->v, worse);
}

size_t ge_findings_count(const struct ge_findings *f, enum ge_severity s)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->v[i].severity == s;
    return n;
}

bool ge_findings_has(const struct ge_findings *f, enum ge_code c)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].code == c)
            return true;
    return false;
}

cJSON *ge_finding_json(const struct ge_finding *x)
{
    cJSON *o = cJSON_CreateObject();
    const struct ge_code_info *ci = ge_code_info(x->code);
    cJSON_AddStringToObject(o, "code", ci->name);
    cJSON_AddStringToObject(o, "severity", ge_severity_name(x->severity));
    cJSON_AddStringToObject(o, "area", ge_area_name(ci->area));
    ge_json_add_strn(o, "subject", x->subject[0] ? x->subject : NULL);
    cJSON_AddStringToObject(o, "message", x->message);
    cJSON *ev = cJSON_AddArrayToObject(o, "evidence");
    for (int i = 0; i < x->nevidence; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "source", x->evidence[i].source);
        cJSON_AddStringToObject(e, "value", x->evidence[i].value);
        cJSON_AddItemToArray(ev, e);
    }
    if (x->fix[0]) {
        cJSON *fx = cJSON_AddObjectToObject(o, "fix");
        cJSON_AddStringToObject(fx, "action", x->fix);
        cJSON_AddBoolToObject(fx, "root", x->fix_root);
        cJSON_AddBoolToObject(fx, "reboot", x->fix_reboot);
    } else {
        cJSON_AddNullToObject(o, "fix");
    }
    return o;
}

size_t ge_findings_plan(const struct ge_findings *f, const struct ge_finding **steps, size_t max)
{
    size_t n = 0;
    for (int area = GE_AREA_DRIVER; area <= GE_AREA_GPU; area++)
        for (int sev = GE_SEV_ERROR; sev >= GE_SEV_WARNING; sev--)
            for (size_t i = 0; i < f->n && n < max; i++) {
                const struct ge_finding *x = &f->v[i];
                if ((int)x->severity != sev || (int)ge_code_info(x->code)->area != area || !x->fix[0])
                    continue;
                bool seen = false;
                for (size_t k = 0; k < n && !seen; k++)
                    seen = strcmp(steps[k]->fix, x->fix) == 0;
                if (!seen)
                    steps[n++] = x;
            }
    return n;
}
