/* amd_hip.h: AMD GPUs as the HIP runtime (libamdhip64.so) sees them, probed in a child process
 * with a time limit, never linked; and the match of what it saw with the KFD topology's GPUs. */
#ifndef GE_AMD_HIP_H
#define GE_AMD_HIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GE_HIP_MAX_GPUS 64
#define GE_HIP_MAX_TRIES 12

/* What the probe found, each a distinct, explained state (ge_hip_status_name, ge_hip_probe's err). */
enum ge_hip_status {
    GE_HIP_NOT_PROBED = 0,      /* nothing asked (no AMD GPU in the KFD topology, or a described machine) */
    GE_HIP_OK,                  /* the runtime answered: ngpus GPUs */
    GE_HIP_NOT_FOUND,           /* no libamdhip64.so anywhere the probe looks */
    GE_HIP_LOAD_FAILED,         /* one exists but does not load (dlerror in err) */
    GE_HIP_SYMBOL_MISSING,      /* it loads but lacks a call the probe needs */
    GE_HIP_NO_DEVICE,           /* hipGetDeviceCount: hipErrorNoDevice, or a count of 0 */
    GE_HIP_INSUFFICIENT_DRIVER, /* hipErrorInsufficientDriver: the amdgpu driver is too old for it */
    GE_HIP_FAILED,              /* another error from a call: hip_error, hip_error_name, call */
    GE_HIP_TIMEOUT,             /* no answer in time: the child was killed */
    GE_HIP_CRASHED,             /* the child died (a signal, or an exit without an answer) */
};

struct ge_hip_gpu {
    int ordinal;            /* the runtime's device number (after HIP_VISIBLE_DEVICES and the like) */
    char name[256];         /* hipDeviceGetName: "AMD Instinct MI250X", "" when not known */
    char arch[256];         /* gcnArchName: "gfx90a:sramecc+:xnack-", "" when not known */
    char pci_bus_id[32];    /* hipDeviceGetPCIBusId: "0000:03:00.0", "" when not known */
    uint64_t memory_bytes;  /* hipDeviceTotalMem, 0 when not known */
};

/* One place the probe looked for the library, and what the loader said. */
struct ge_hip_try {
    char path[256];
    char error[256]; /* dlerror(), "not found", "" when it loaded */
    bool exists;
};

struct ge_hip_info {
    int status;                 /* enum ge_hip_status */
    char library[256];          /* the library loaded (its real path), "" when none was */
    char library_source[24];    /* "GPUENV_LIBAMDHIP", "rocm" (an /opt/rocm* folder) or "loader" */
    int runtime_version;        /* hipRuntimeGetVersion: HIP_VERSION, 60241134; 0 when not known */
    int driver_version;         /* hipDriverGetVersion, as the runtime gives it; 0 when not known */
    int hip_error;              /* the hipError_t of the failing call, 0 */
    char hip_error_name[64];    /* hipGetErrorName: "hipErrorNoDevice", "" when not known */
    char call[48];              /* the failing call or missing symbol: "hipGetDeviceCount" */
    char stage[48];             /* where a hung or crashed child was: "hipGetDeviceCount" */
    int signal;                 /* the signal that ended a crashed child, 0 */
    int ngpus;
    struct ge_hip_gpu gpus[GE_HIP_MAX_GPUS];
    int ntries;
    struct ge_hip_try tries[GE_HIP_MAX_TRIES];
};

struct ge_hip_opts {
    const char *library; /* load exactly this file (GPUENV_LIBAMDHIP); NULL or "" searches */
    const char *sysroot; /* prefix for /opt/rocm*; with one, the loader's own search is skipped */
    double timeout_s;    /* <= 0 means 20 seconds */
};

/* Find libamdhip64.so (opts->library; else the newest /opt/rocm*\/lib/libamdhip64.so{,.7,.6,.5};
 * else the soname through the loader), load it in a child process killed after timeout_s, and ask
 * it for its version and GPUs. The runtime's own HIP_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES
 * apply (they are left as they are). info is filled as far as the probe got. 0 (GE_HIP_OK), or -1
 * with err (status GE_EXIT_NO_GPU for no device, GE_EXIT_NO_DRIVER otherwise) and info->status
 * saying which failure. The caller must not hold threads: this forks. */
int ge_hip_probe(const struct ge_hip_opts *opts, struct ge_hip_info *info, struct ge_err *err);

/* "ok", "not-found", "load-failed", "symbol-missing", "no-device", "insufficient-driver",
 * "failed", "timeout", "crashed", "not-probed": the JSON word for a status. */
const char *ge_hip_status_name(int status);

/* HIP_VERSION (major * 10000000 + minor * 100000 + patch) as "6.2.41134" into buf; "" for 0. */
char *ge_hip_version_string(int hip_version, char *buf, size_t size);

/* Whether two PCI bus ids name the same function, whatever the width of their domain or the case
 * of their digits ("0000:03:00.0", "00000000:03:00.0"). False when either does not parse. */
bool ge_hip_same_pci(const char *a, const char *b);

/* The gcnArchName inside a hipDeviceProp_t filled by the runtime: props holds size bytes, layout
 * is 6 for hipDeviceProp_tR0600 (HIP 6 and later) or 5 for HIP 5's hipDeviceProp_t. Copies it to
 * out when it is a NUL-terminated gfx target name ("gfx90a:sramecc+:xnack-"); else out is "" and
 * -1. */
int ge_hip_props_arch(const void *props, size_t size, int layout, char *out, size_t osize);

#endif
