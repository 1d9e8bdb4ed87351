/* host.h: the machine gpuenv works for: probed through the driver, or described by overrides
 * (--driver, --gpu, GPUENV_DRIVER, GPUENV_GPUS) for CI, containers and login nodes. */
#ifndef GE_HOST_H
#define GE_HOST_H

#include <stdbool.h>

#include "driver.h"
#include "err.h"

/* What the command line and the environment say about the machine. */
struct ge_host_req {
    char driver[32];       /* "" when not given */
    bool driver_given;
    int ngpus;
    struct ge_cc gpus[GE_MAX_GPUS];
    bool gpus_given;
};

void ge_host_req_init(struct ge_host_req *req);
/* --driver VERSION; from names the source for messages ("--driver", "GPUENV_DRIVER"). 0 or -1
 * (GE_EXIT_USAGE). */
int ge_host_set_driver(struct ge_host_req *req, const char *value, const char *from, struct ge_err *err);
/* --gpu CC, repeatable; a value may list several, separated by commas or spaces. 0 or -1. */
int ge_host_add_gpus(struct ge_host_req *req, const char *value, const char *from, struct ge_err *err);
/* Take GPUENV_DRIVER and GPUENV_GPUS for whatever the command line did not give. 0 or -1. */
int ge_host_req_from_env(struct ge_host_req *req, struct ge_err *err);
bool ge_host_req_overrides(const struct ge_host_req *req);

/* Describe the host: the overrides when any is given (no probe then: a machine described by flags
 * is not this one), else the driver probe, configured by GPUENV_LIBCUDA, GPUENV_PROBE_TIMEOUT and
 * GPUENV_SYSROOT. Return 0, or -1 with err (the probe's statuses, or GE_EXIT_USAGE for a malformed
 * variable); info holds what is known either way. */
int ge_host_detect(const struct ge_host_req *req, struct ge_driver_info *info, struct ge_err *err);

#endif
