/* amd.h: AMD GPUs as the amdgpu kernel driver's KFD topology describes them, the driver's version,
 * the ROCm user spaces installed, and the device files ROCm needs; all read from files (under a
 * sysroot for the tests), nothing loaded. */
#ifndef GE_AMD_H
#define GE_AMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amd_hip.h"
#include "err.h"
#include "version.h"

#define GE_AMD_MAX_GPUS 64
#define GE_AMD_MAX_ROCM 8

struct ge_amd_gpu {
    int node;                   /* the KFD topology node */
    unsigned gfx_target_version; /* 110000 */
    char gfx[16];               /* "gfx1100" */
    char name[64];              /* the node's name file ("gfx1100", or a marketing name), "" if none */
    unsigned vendor_id, device_id;
    uint64_t memory_bytes;      /* its first memory bank, 0 when not known */
    char pci_bus_id[32];        /* "0000:03:00.0", "" when not known */
    int render_minor;           /* /dev/dri/renderD<minor>, -1 when not known */
    bool render_access;         /* that device file can be opened for reading and writing */
    bool hip_seen;              /* the HIP runtime saw it (ge_amd_confirm_hip, by PCI bus id) */
    int hip_index;              /* then its entry in ge_amd_info.hip.gpus */
};

struct ge_amd_rocm {
    char path[256];             /* /opt/rocm-6.2.4 (the real folder) */
    char version[32];           /* "6.2.4", from .info/version */
};

struct ge_amd_info {
    int ngpus;
    struct ge_amd_gpu gpus[GE_AMD_MAX_GPUS];
    bool module_loaded;         /* /sys/module/amdgpu exists */
    char driver_version[32];    /* /sys/module/amdgpu/version (the DKMS driver), else the kernel's release */
    char driver_source[40];     /* "/sys/module/amdgpu/version" or "kernel" */
    bool kfd_exists, kfd_access; /* /dev/kfd, and whether this user can open it */
    int nrocm;
    struct ge_amd_rocm rocm[GE_AMD_MAX_ROCM];
    struct ge_hip_info hip;      /* the HIP runtime's view (ge_amd_confirm_hip); hip.status 0 when not asked */
    struct ge_err hip_err;       /* why the HIP probe failed, when it did */
};

/* Read everything under sysroot (NULL or "" for /). Never fails: what cannot be read is absent. */
void ge_amd_detect(const char *sysroot, struct ge_amd_info *out);

/* Ask the HIP runtime (ge_hip_probe) which GPUs it sees and mark the KFD GPUs it saw, matched by
 * PCI bus id (amd_hip.c). Only when the topology has GPUs: the runtime finds its GPUs there too.
 * Never fails: a failure is amd->hip.status and amd->hip_err. Forks: hold no threads. */
void ge_amd_confirm_hip(struct ge_amd_info *amd, const struct ge_hip_opts *opts);

/* A KFD gfx_target_version as its target name: major * 10000 + minor * 100 + stepping, minor and
 * stepping written as one hexadecimal digit each (90010 -> gfx90a, 90402 -> gfx942, 110000 ->
 * gfx1100). -1 (and "") for 0 (a CPU node) or a value no target can have. */
int ge_amd_gfx_name(unsigned gfx_target_version, char *out, size_t size);

/* The value of HSA_OVERRIDE_GFX_VERSION that makes the runtime take a GPU for this target:
 * major.minor.stepping in decimal (gfx1030 -> "10.3.0", gfx90a -> "9.0.10"). */
void ge_amd_override_value(unsigned gfx_target_version, char *out, size_t size);

/* The reverse: "gfx90a" -> 90010; -1 for what is not a gfx target name. */
int ge_amd_gfx_parse(const char *name, unsigned *gfx_target_version);

/* The newest ROCm of a->rocm (and its version), or NULL when none has a readable version. */
const struct ge_amd_rocm *ge_amd_newest_rocm(const struct ge_amd_info *a, struct ge_version *version);

/* The system's ROCm for ROCM_PATH, as the machine writes it: /opt/rocm where that folder exists
 * (under sysroot for the tests), else the newest /opt/rocm-X.Y.Z; "" when there is none. */
void ge_amd_system_rocm(const char *sysroot, char *out, size_t size);

/* One "key value" line of a KFD properties file; -1 when the key is absent. */
int ge_amd_property(const char *text, const char *key, uint64_t *value);

#endif
