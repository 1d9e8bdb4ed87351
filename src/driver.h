/* driver.h: the NVIDIA driver as the CUDA driver API reports it, probed in a child process. */
#ifndef GE_DRIVER_H
#define GE_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "version.h"

#define GE_MAX_GPUS 64
#define GE_PROBE_MAX_TRIES 16

/* The on-GPU check (ge_probe_opts.run_kernel): a tiny kernel gpuenv carries as PTX, loaded through
 * the driver API (the driver JIT-compiles it: no toolkit needed), run, and its result read back. */
enum ge_kernel_status {
    GE_KERNEL_NOT_RUN = 0,
    GE_KERNEL_OK,       /* it ran and every value came back right */
    GE_KERNEL_FAILED,   /* a call failed: call, cu_code, cu_name say which */
    GE_KERNEL_WRONG,    /* it ran, but values came back wrong */
    GE_KERNEL_HUNG,     /* the probe's time ran out while it ran on this GPU */
};

struct ge_kernel_result {
    int status;             /* enum ge_kernel_status */
    int cu_code;            /* CUresult of the failing call */
    char call[32];          /* "cuModuleLoadData" */
    char cu_name[48];       /* "CUDA_ERROR_UNSUPPORTED_PTX_VERSION" */
    char cu_string[128];
    unsigned n;             /* values computed */
    unsigned wrong;         /* how many came back wrong */
    unsigned first_wrong, got, expected; /* the first wrong one */
    double ms;              /* load, launch and read back, in milliseconds */
};

struct ge_gpu {
    int index;          /* in PCI bus order, as nvidia-smi numbers them */
    char name[256];     /* "" when not known (a GPU described by --gpu) */
    struct ge_cc cc;
    uint64_t memory_bytes; /* 0 when not known */
    char uuid[48];      /* "GPU-8-4-4-4-12 hex", "" when not known */
    char pci_bus_id[32]; /* "0000:3b:00.0", "" when not known */
    struct ge_kernel_result kernel;
};

/* One place the probe looked for libcuda.so.1, and what the loader said. */
struct ge_probe_try {
    char path[256];
    char error[256]; /* dlerror(), "" when it loaded */
    int exists;      /* the file exists (so the failure is not a plain "not found") */
};

enum ge_driver_source { GE_DRIVER_PROBED = 0, GE_DRIVER_OVERRIDE = 1 };

/* Why a probe failed, for callers that act on it (doctor) rather than print the message. */
enum ge_probe_failure {
    GE_PROBE_OK = 0,
    GE_PROBE_NOT_FOUND,    /* no libcuda.so.1 anywhere the probe looks */
    GE_PROBE_LOAD_FAILED,  /* a libcuda.so.1 exists but does not load, or lacks the driver API */
    GE_PROBE_INIT_FAILED,  /* cuInit failed: cu_error says how */
    GE_PROBE_QUERY_FAILED, /* a device query failed */
    GE_PROBE_HUNG,         /* no answer in time, a crash, or an end without an answer */
};

struct ge_driver_info {
    int source;             /* enum ge_driver_source */
    char version[32];       /* "580.159.04"; "" when no source could tell */
    char version_source[64]; /* where version came from: a file path, "nvml" or "override" */
    int cuda_int;           /* cuDriverGetVersion(): 13000; 0 when not known */
    int cu_error;           /* the CUresult of the call that failed (cuInit's 803: mismatch), 0 */
    int failure;            /* enum ge_probe_failure: why the probe failed, GE_PROBE_OK when it did not */
    char library[256];      /* the libcuda.so.1 that was loaded */
    int ngpus;
    struct ge_gpu gpus[GE_MAX_GPUS];
    /* Where the probe looked, for error messages and -v. */
    int ntries;
    struct ge_probe_try tries[GE_PROBE_MAX_TRIES];
};

struct ge_probe_opts {
    const char *libcuda; /* load exactly this file; NULL searches (loader path, then known folders) */
    const char *sysroot; /* prefix for /sys, /proc and the known folders; NULL or "" for none */
    double timeout_s;    /* for the whole probe; <= 0 means GE_PROBE_TIMEOUT_DEFAULT */
    bool run_kernel;     /* also run the on-GPU check on every GPU (gpus[i].kernel) */
};

#define GE_PROBE_TIMEOUT_DEFAULT 20.0

/* Probe the driver in a child process, killed after timeout_s. Fills info as far as the probe got
 * (the driver version is often known even when cuInit fails). Return 0, or -1 with err:
 * GE_EXIT_NO_DRIVER (no library, stub, init failure, hang, crash) or GE_EXIT_NO_GPU (the driver
 * works but reports no device). The caller must not hold threads or open transfers: this forks. */
int ge_driver_probe(const struct ge_probe_opts *opts, struct ge_driver_info *info, struct ge_err *err);

/* The on-GPU check, in the probe's child: run the kernel on device ordinal 'ordinal' of the
 * initialised driver behind the dlopen handle h (driver_kernel.c). */
void ge_kernel_run(void *h, int ordinal, struct ge_kernel_result *out);
/* The PTX it carries, and the values it must compute: out[i] = i*i + seed (mod 2^32). */
extern const char ge_kernel_ptx[];
#define GE_KERNEL_N 4096u
#define GE_KERNEL_SEED 0x9e3779b9u

/* The folders searched after the loader path, in order, NULL-terminated. */
extern const char *const ge_driver_search_dirs[];

/* The driver's CUDA version as "13.0" into buf; "" when not known. Returns buf. */
char *ge_driver_cuda_string(const struct ge_driver_info *info, char *buf, size_t size);

/* The loaded kernel module's version, from /sys/module/nvidia/version or else
 * /proc/driver/nvidia/version under sysroot (NULL or "" for /); source gets the file read. 0, or
 * -1 when no module is loaded (neither file is readable). */
int ge_driver_module_version(const char *sysroot, char *out, size_t size, char *source, size_t ssize);

/* Parse NVIDIA's version files: /sys/module/nvidia/version holds "580.159.04\n"; the procfs file
 * holds "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Thu ...". 0 or -1. */
int ge_driver_parse_version_file(const char *text, char *out, size_t size);

/* Format a 16-byte UUID the way nvidia-smi does ("GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"). */
void ge_driver_format_uuid(const unsigned char bytes[16], char *out, size_t size);

#endif
