/* diag_gpu.c: proof on the GPU. The probe ran gpuenv's kernel on every GPU (driver_kernel.c); here
 * its results become findings, and each framework that imports runs its own one-line check (a
 * small product on the GPU, as install does), in an interpreter with a time limit. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "pyenv.h"
#include "str.h"

/* What a failing call's CUresult usually means, for the fix. */
static const char *kernel_fix(int code)
{
    switch (code) {
    case 2: /* CUDA_ERROR_OUT_OF_MEMORY */
        return "another process holds the GPU's memory: 'nvidia-smi' lists it";
    case 46: /* CUDA_ERROR_DEVICE_UNAVAILABLE */
    case 216: /* CUDA_ERROR_CONTEXT_ALREADY_IN_USE */
        return "the GPU is in exclusive-process mode and in use: wait for the other process, or 'sudo nvidia-smi -c "
               "DEFAULT' (an administrator's choice)";
    case 209: /* CUDA_ERROR_NO_BINARY_FOR_GPU */
    case 218: /* CUDA_ERROR_INVALID_PTX */
    case 221: /* CUDA_ERROR_JIT_COMPILER_NOT_FOUND */
    case 222: /* CUDA_ERROR_UNSUPPORTED_PTX_VERSION */
        return "the driver cannot JIT-compile PTX: reinstall the driver (its libnvidia-ptxjitcompiler.so is missing "
               "or broken)";
    case 999: /* CUDA_ERROR_UNKNOWN */
    case 719: /* CUDA_ERROR_LAUNCH_FAILED */
        return "look for Xid errors ('sudo dmesg | grep -i xid'); a GPU in a bad state needs a reset or a reboot";
    default:
        return "look for Xid errors ('sudo dmesg | grep -i xid') and at 'nvidia-smi -q' for this GPU";
    }
}

static void kernel_results(struct ge_doctor *d, int *ran, int *bad)
{
    for (int i = 0; i < d->drv.ngpus; i++) {
        const struct ge_gpu *g = &d->drv.gpus[i];
        const struct ge_kernel_result *k = &g->kernel;
        char subject[64], cc[8];
        snprintf(subject, sizeof subject, "GPU %d", g->index);
        ge_cc_format(g->cc, cc, sizeof cc);
        struct ge_finding *x = NULL;
        switch (k->status) {
        case GE_KERNEL_OK:
            (*ran)++;
            continue;
        case GE_KERNEL_NOT_RUN:
            continue;
        case GE_KERNEL_FAILED:
            x = ge_finding_add(&d->findings, GE_F_GPU_CHECK_FAILED, GE_SEV_ERROR, subject,
                               "GPU %d (%s) could not run a kernel: %s failed with %s%s%s", g->index, g->name, k->call,
                               k->cu_name[0] ? k->cu_name : "an error", k->cu_string[0] ? ": " : "", k->cu_string);
            ge_finding_evidence(x, k->call, "%s (%d)", k->cu_name[0] ? k->cu_name : "?", k->cu_code);
            ge_finding_fix(x, false, false, "%s", kernel_fix(k->cu_code));
            break;
        case GE_KERNEL_WRONG:
            x = ge_finding_add(&d->findings, GE_F_GPU_CHECK_WRONG, GE_SEV_ERROR, subject,
                               "GPU %d (%s) computed %u of %u values wrong: value %u came back %u, not %u", g->index,
                               g->name, k->wrong, k->n, k->first_wrong, k->got, k->expected);
            ge_finding_evidence(x, "gpuenv_check kernel", "%u of %u wrong", k->wrong, k->n);
            ge_finding_fix(x, true, true, "check the GPU's health: 'nvidia-smi -q -d ECC,PAGE_RETIREMENT' and Xid errors "
                           "in 'sudo dmesg'; a GPU that computes wrong must not be used");
            break;
        case GE_KERNEL_HUNG:
            x = ge_finding_add(&d->findings, GE_F_GPU_CHECK_HUNG, GE_SEV_ERROR, subject,
                               "GPU %d (%s): the check kernel did not finish: %s%s%s", g->index, g->name, k->call,
                               k->cu_string[0] ? ", " : "", k->cu_string);
            ge_finding_evidence(x, "probe", "%s", k->call);
            ge_finding_fix(x, true, true, "look for Xid errors ('sudo dmesg | grep -i xid'); a hung GPU needs "
                           "'sudo nvidia-smi -r -i %d' or a reboot", g->index);
            break;
        }
        if (x) {
            ge_finding_evidence(x, "GPU", "%d, %s, compute capability %s, %s", g->index, g->name, cc,
                                g->pci_bus_id[0] ? g->pci_bus_id : "?");
            (*bad)++;
        }
    }
}

/* One framework's own check, run in a thread of its own: the checks are independent interpreters,
 * each mostly importing its framework, so they run side by side. */
struct fw_job {
    const char *name;
    const char *python;
    double timeout_s;
    cJSON *r;
    struct ge_buf errout;
    struct ge_err err;
    pthread_t thread;
    bool started;
};

static void *run_check(void *arg)
{
    struct fw_job *j = arg;
    j->r = ge_py_check_timed(j->python, j->name, j->timeout_s, &j->errout, &j->err);
    return NULL;
}

static bool has_for(const struct ge_doctor *d, enum ge_code c, const char *subject)
{
    for (size_t i = 0; i < d->findings.n; i++)
        if (d->findings.v[i].code == c && !strcmp(d->findings.v[i].subject, subject))
            return true;
    return false;
}

static void judge(struct ge_doctor *d, struct fw_job *j, int *bad)
{
    const cJSON *r = j->r;
    const cJSON *gpu = r ? cJSON_GetObjectItem(r, "gpu") : NULL, *mm = r ? cJSON_GetObjectItem(r, "matmul") : NULL;
    const cJSON *e = r ? cJSON_GetObjectItem(r, "error") : NULL, *conv = r ? cJSON_GetObjectItem(r, "conv") : NULL;
    const cJSON *ce = r ? cJSON_GetObjectItem(r, "conv_error") : NULL;
    char conv_why[300] = "";
    const cJSON *hip = r ? cJSON_GetObjectItem(r, "hip") : NULL;
    if (cJSON_IsFalse(conv))
        ge_fmt(conv_why, sizeof conv_why, "a convolution through %s failed%s%s", cJSON_IsString(hip) ? "MIOpen" : "cuDNN",
               cJSON_IsString(ce) ? ": " : "",
               cJSON_IsString(ce) ? ce->valuestring : "");
    if (r && cJSON_IsTrue(gpu) && cJSON_IsTrue(mm) && !conv_why[0])
        return;
    const char *why = !r                ? j->err.msg
                      : cJSON_IsString(e) ? e->valuestring
                      : !cJSON_IsTrue(gpu) ? "it sees no GPU"
                      : !cJSON_IsTrue(mm)  ? "a 64x64 product on the GPU came out wrong"
                                           : conv_why;
    struct ge_finding *x = ge_finding_add(&d->findings, GE_F_FRAMEWORK_NO_GPU, GE_SEV_ERROR, j->name,
                                          "%s's own check failed: %s", j->name, why);
    ge_finding_evidence(x, d->python, "%s", why);
    /* the framework's last words on stderr say most (a driver error, a missing library) */
    const char *text = ge_buf_str(&j->errout), *last = NULL;
    for (const char *p = text; *p; p++)
        if ((p == text || p[-1] == '\n') && *p != '\n' && *p != ' ')
            last = p;
    if (last)
        ge_finding_evidence(x, "stderr", "%.*s", (int)strcspn(last, "\n"), last);
    if (getenv("CUDA_VISIBLE_DEVICES"))
        ge_finding_evidence(x, "CUDA_VISIBLE_DEVICES", "%s", getenv("CUDA_VISIBLE_DEVICES"));
    if (conv_why[0] && ge_findings_has(&d->findings, GE_F_LIBRARY_SHADOWED))
        ge_finding_fix(x, false, false, "remove the shadowing folders from LD_LIBRARY_PATH (see library-shadowed)");
    else if (ge_findings_has(&d->findings, GE_F_CVD_EMPTY) || ge_findings_has(&d->findings, GE_F_CVD_INVALID))
        ge_finding_fix(x, false, false, "unset CUDA_VISIBLE_DEVICES");
    else
        ge_finding_fix(x, false, false, "fix the errors above first; then '%s -c \"import %s\"' and the "
                       "framework's GPU test show the rest", d->python, j->name);
    (*bad)++;
}

#define MAX_FW_JOBS 4

/* The frameworks' own checks: for NVIDIA's GPUs those built for CUDA, for AMD's (amd) those built
 * for ROCm (their torch.version.hip). */
static void framework_checks(struct ge_doctor *d, bool amd, int *ran, int *bad)
{
    struct fw_job jobs[MAX_FW_JOBS];
    int n = 0;
    const cJSON *fws = d->py ? cJSON_GetObjectItem(d->py, "frameworks") : NULL, *fw;
    cJSON_ArrayForEach(fw, fws)
    {
        /* only a framework that imports and was built for a CUDA this driver runs: the rest is said already */
        const cJSON *cuda = cJSON_GetObjectItem(fw, amd ? "hip" : "cuda");
        if (n == MAX_FW_JOBS || cJSON_GetObjectItem(fw, "error") || !cJSON_IsString(cuda) ||
            has_for(d, GE_F_FRAMEWORK_CPU_ONLY, fw->string) || has_for(d, GE_F_FRAMEWORK_CUDA_TOO_NEW, fw->string))
            continue;
        struct fw_job *j = &jobs[n++];
        memset(j, 0, sizeof *j);
        j->name = fw->string;
        j->python = d->python;
        j->timeout_s = d->o->timeout_s > 0 ? d->o->timeout_s : GE_DOCTOR_TIMEOUT_DEFAULT;
        ge_buf_init(&j->errout);
        ge_err_clear(&j->err);
    }
    for (int i = 0; i < n; i++)
        jobs[i].started = pthread_create(&jobs[i].thread, NULL, run_check, &jobs[i]) == 0;
    for (int i = 0; i < n; i++) {
        if (jobs[i].started)
            pthread_join(jobs[i].thread, NULL);
        else
            run_check(&jobs[i]); /* no thread to be had: in turn */
    }
    for (int i = 0; i < n; i++) {
        (*ran)++;
        judge(d, &jobs[i], bad);
        cJSON_Delete(jobs[i].r);
        ge_buf_fini(&jobs[i].errout);
    }
}

void ge_diag_gpu(struct ge_doctor *d)
{
    if (!d->o->gpu_check) {
        ge_doctor_check(d, "gpu", GE_CHECK_SKIPPED, "--no-gpu-check");
        return;
    }
    int ran = 0, bad = 0, fran = 0, fbad = 0;
    if (!d->drv_ok) {
        /* AMD GPUs ROCm can reach: gpuenv has no kernel of its own for them, the frameworks' checks run */
        const struct ge_amd_info *a = &d->amd;
        if (a->ngpus && a->kfd_access && (a->hip.status == GE_HIP_OK || a->hip.status == GE_HIP_NOT_FOUND ||
                                          a->hip.status == GE_HIP_NOT_PROBED)) {
            framework_checks(d, true, &fran, &fbad);
            ge_doctor_check(d, "gpu", fbad ? GE_CHECK_PROBLEM : fran ? GE_CHECK_OK : GE_CHECK_SKIPPED,
                            "%d framework check%s on the AMD GPU%s, %d failed", fran, fran == 1 ? "" : "s",
                            a->ngpus == 1 ? "" : "s", fbad);
            return;
        }
        ge_doctor_check(d, "gpu", GE_CHECK_SKIPPED, "no working driver to run a kernel with");
        return;
    }
    kernel_results(d, &ran, &bad);
    framework_checks(d, false, &fran, &fbad);
    ge_doctor_check(d, "gpu", bad + fbad ? GE_CHECK_PROBLEM : GE_CHECK_OK, "the check kernel ran right on %d of %d GPU%s; %d "
                    "framework check%s, %d failed", ran, d->drv.ngpus, d->drv.ngpus == 1 ? "" : "s", fran, fran == 1 ? "" : "s",
                    fbad);
}
