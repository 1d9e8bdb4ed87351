/* host.h: the machine gpuenv works for: probed through the driver, or described by overrides
 * (--driver, --gpu, GPUENV_DRIVER, GPUENV_GPUS) for CI, containers and login nodes. */
#ifndef GE_HOST_H
#define GE_HOST_H

#include <stdbool.h>

#include <cJSON.h>

#include "amd.h"
#include "driver.h"
#include "err.h"
#include "matrix.h"
#include "resolve.h"

/* What the command line and the environment say about the machine. */
struct ge_host_req {
    char driver[32];       /* "" when not given */
    bool driver_given;
    bool driver_branch;    /* a bare branch was given ("550", "R550"): driver holds its number */
    int ngpus;
    struct ge_cc gpus[GE_MAX_GPUS];
    int namd;
    unsigned amd[GE_MAX_GPUS];  /* AMD GPUs given as gfx targets (gfx1100): gfx_target_version */
    bool gpus_given;
};

void ge_host_req_init(struct ge_host_req *req);
/* --driver VERSION; from names the source for messages ("--driver", "GPUENV_DRIVER"). A bare
 * branch ("550", "R550") stands for that branch's oldest driver. 0 or -1 (GE_EXIT_USAGE). */
int ge_host_set_driver(struct ge_host_req *req, const char *value, const char *from, struct ge_err *err);
/* --gpu CC, repeatable; a value may list several, separated by commas or spaces; each as 8.6,
 * sm_86 or 86 for an NVIDIA GPU, or as its gfx target (gfx1100, gfx90a) for an AMD one. 0 or -1. */
int ge_host_add_gpus(struct ge_host_req *req, const char *value, const char *from, struct ge_err *err);
/* What --gpu completes to: NVIDIA compute capabilities and AMD gfx targets. */
#define GE_GPU_COMPLETIONS                                                                         \
    "5.0 5.2 6.0 6.1 7.0 7.5 8.0 8.6 8.7 8.9 9.0 10.0 10.3 11.0 12.0 12.1 gfx900 gfx906 gfx908 gfx90a " \
    "gfx942 gfx950 gfx1030 gfx1100 gfx1101 gfx1102 gfx1151 gfx1200 gfx1201"

/* --vendor nvidia|amd. 0, or -1 (GE_EXIT_USAGE). */
int ge_host_set_vendor(enum ge_vendor *out, const char *value, struct ge_err *err);

/* Take GPUENV_DRIVER and GPUENV_GPUS for whatever the command line did not give. 0 or -1. */
int ge_host_req_from_env(struct ge_host_req *req, struct ge_err *err);
bool ge_host_req_overrides(const struct ge_host_req *req);

/* Describe the host: the overrides when any is given (no probe then: a machine described by flags
 * is not this one), else the driver probe, configured by GPUENV_LIBCUDA, GPUENV_PROBE_TIMEOUT and
 * GPUENV_SYSROOT. Return 0, or -1 with err (the probe's statuses, or GE_EXIT_USAGE for a malformed
 * variable); info holds what is known either way. */
int ge_host_detect(const struct ge_host_req *req, struct ge_driver_info *info, struct ge_err *err);

/* This machine's AMD GPUs (the KFD topology under GPUENV_SYSROOT), confirmed through the HIP
 * runtime (GPUENV_LIBAMDHIP, else the search) with the driver probe's time limit. Forks: hold no
 * threads. Never fails: see amd->hip.status and amd->hip_err. */
void ge_host_amd(struct ge_amd_info *amd);

/* The probe's settings from GPUENV_LIBCUDA, GPUENV_SYSROOT and GPUENV_PROBE_TIMEOUT. 0, or -1
 * (GE_EXIT_USAGE) for a malformed timeout. */
int ge_host_probe_opts(struct ge_probe_opts *o, struct ge_err *err);

/* The host as the resolver sees it, and where each fact came from. */
struct ge_host_view {
    struct ge_host_facts f;
    char driver_source[32];   /* driver-api, override, or "" when unknown */
    char python_source[300];
    char driver_note[GE_ERR_MSG_MAX]; /* why the driver could not be checked, "" when it could */
};

/* Gather the host for resolving: the overrides or the driver probe, the Python (--python or the
 * python3 on PATH), the platform and architecture (--platform, --arch or this machine's). A
 * failing probe is not an error: the view says the driver is unknown and why. -1 only for
 * malformed options or variables (GE_EXIT_USAGE). */
int ge_host_gather(const struct ge_host_req *req, const char *python, const char *platform, const char *arch,
                   const struct ge_matrix *m, struct ge_host_view *view, struct ge_err *err);

/* {"driver": ..., "gpus": ..., "python": ..., "platform": ..., "arch": ...} */
cJSON *ge_host_view_json(const struct ge_host_view *view);

#endif
