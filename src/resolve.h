/* resolve.h: pure resolution: (host facts, requirements, matrix) -> a plan, or why none exists.
 * No I/O, no environment, no clock: everything comes in through the arguments. */
#ifndef GE_RESOLVE_H
#define GE_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>

#include "driver.h"
#include "err.h"
#include "matrix.h"
#include "req.h"

/* The machine a plan is for. Unknown facts are not checked (the caller warns about them). */
struct ge_host_facts {
    bool driver_known;
    struct ge_ver driver;        /* 580.159.04 */
    bool driver_branch_only;     /* only the branch is known ("550"): driver is its oldest release */
    bool driver_cuda_known;      /* the newest CUDA the driver runs natively */
    struct ge_version driver_cuda;
    bool driver_cuda_probed;     /* from cuDriverGetVersion rather than the branch table */
    bool gpus_known;
    int ngpus;
    struct ge_cc gpus[GE_MAX_GPUS];
    bool python_known;
    struct ge_ver python;        /* 3.12 */
    bool amd_known;              /* the AMD GPUs are known (described, or read from the KFD topology) */
    int namd;
    unsigned amd[GE_MAX_GPUS];   /* their gfx targets, as gfx_target_version (110000: gfx1100) */
    bool rocm_known;             /* the system's ROCm (the newest /opt/rocm*), when probed */
    struct ge_ver rocm;
    char amdgpu[32];             /* the amdgpu driver's version, "" when not known */
    char platform[16];           /* linux | windows */
    char arch[16];               /* x86_64 | aarch64 */
};

/* Whose GPUs a plan is for. Auto: the vendor of the machine's GPUs, or the one a requirement
 * names (torch==2.5.1+rocm6.2); a machine with both asks. A plan never mixes them. */
enum ge_vendor { GE_VENDOR_AUTO, GE_VENDOR_NVIDIA, GE_VENDOR_AMD };

struct ge_resolve_opts {
    bool strict; /* the driver must reach the toolkit's own minimum, not only the major's floor */
    enum ge_vendor vendor;
    bool hsa_override; /* an AMD GPU no build carries may run the code of a sourced target of its family */
};

/* "nvidia" / "amd" -> the vendor; -1 for anything else. */
int ge_vendor_parse(const char *s, enum ge_vendor *out);
const char *ge_vendor_name(enum ge_vendor v);

/* Why a candidate does not fit; the first five are also the classification of a failure. */
enum ge_reason {
    GE_REASON_PLATFORM,  /* unsupported-platform */
    GE_REASON_PYTHON,    /* unsupported-python */
    GE_REASON_GPU,       /* unsupported-gpu */
    GE_REASON_DRIVER,    /* driver-too-old */
    GE_REASON_CONFLICT,  /* conflict: another requirement excludes it */
    GE_REASON_DATA,      /* incomplete-data: the matrix lacks a fact needed to vouch for it */
    GE_REASON_COUNT
};

const char *ge_reason_code(enum ge_reason r);

struct ge_candidate {
    char label[64];             /* "torch 2.9.1 cu130" */
    unsigned fails;             /* bit per enum ge_reason */
    unsigned unknown;           /* dimensions (reason bits) the matrix lacks the data to check */
    char why[GE_REASON_COUNT][240];
    bool mvc;                   /* fits only through minor-version compatibility */
    bool chosen;
    bool newer;                 /* newer than the choice (or no choice made) */
    bool has_needed_driver;     /* the lowest driver that would run it */
    struct ge_ver needed_driver;
    /* for a fleet: the machines (bit k: fleet host k) that refuse it on each reason, and those
     * that run it only through minor-version compatibility; 0 for one machine */
    uint64_t hosts[GE_REASON_COUNT];
    uint64_t mvc_hosts;
};

struct ge_plan_pkg {
    char name[24];              /* torch, torchvision, cuda-toolkit, cudnn, numpy, jax, tensorflow */
    char version[24];           /* "" for a constraint-only entry */
    char variant[16];           /* cu124 */
    char extra[24];             /* and-cuda, cuda13 */
    char index_url[160];
    char find_links[96];        /* jax 0.4.x: JAX's wheel page for its CUDA jaxlib, "" for none */
    char build[16];             /* cuda12, for cudnn */
    char constraint[96];        /* "<2", ">=1.22,<2", with the user's own NumPy specifiers, for numpy */
    int pypi_default;           /* torch: 1 when the variant is PyPI's own build, 0 not, -1 unknown */
};

#define GE_PLAN_MAX_PKGS 8
#define GE_PLAN_MAX_NOTES 6
#define GE_PLAN_MAX_BOUND 8

/* For a fleet: a choice one of its machines forced, "torch 2.4.1 cu118, not cu124: v100 ...". */
struct ge_plan_bound {
    char choice[64];            /* what the plan took: the chosen candidate's label, or "cudnn 9.1.1" */
    char instead[64];           /* the newer candidate that machine refused */
    int host;                   /* the fleet host that refused it (the first, when several did) */
    uint64_t hosts;             /* every fleet host that refused it */
    char reason[24];            /* its reason code: driver-too-old, unsupported-gpu, ... */
    char why[240];
};

struct ge_plan {
    bool ok;
    enum ge_vendor vendor;      /* whose GPUs it is for: NVIDIA or AMD, never both */
    char hsa_override[16];      /* "10.3.0" when --hsa-override made a GPU run another target's code */
    int npkgs;
    struct ge_plan_pkg pkgs[GE_PLAN_MAX_PKGS];
    char python[16];            /* the Python the plan is for, "" when not known */
    char pip[640];              /* the pip command line for the framework, "" without one */
    int nnotes;
    char notes[GE_PLAN_MAX_NOTES][256];
    int nbound;                 /* for a fleet: which machine bound which choice */
    struct ge_plan_bound bound[GE_PLAN_MAX_BOUND];
    size_t ncands;
    struct ge_candidate *cands; /* every candidate considered, newest first; owned */
    /* on failure */
    const char *reason;         /* unsupported-platform ... conflict, unknown-package, no-such-version */
};

void ge_plan_init(struct ge_plan *plan);
void ge_plan_fini(struct ge_plan *plan);

/* Resolve. 0 with plan->ok; or -1 with err: GE_EXIT_NO_SOLUTION (plan->reason, the message and
 * a hint naming the smallest fix; plan->cands says why each candidate failed) or GE_EXIT_USAGE
 * (requirements that contradict themselves, such as two frameworks). */
int ge_resolve(const struct ge_matrix *m, const struct ge_host_facts *host, const struct ge_req *reqs,
               int nreqs, const struct ge_resolve_opts *opts, struct ge_plan *plan, struct ge_err *err);

/* A fleet: the node types one plan must run on (a cluster's partitions, a login node without
 * GPUs). They share the Python, platform and architecture; each has its own driver and GPUs. */
#define GE_FLEET_MAX 64
struct ge_fleet_host {
    char name[64];              /* what messages call it: "v100", "nodes#2" */
    struct ge_host_facts f;
};

/* Resolve for every host at once: a candidate fits when it fits each of them (a host without
 * GPUs constrains only the Python and platform); a refusal names the host, and plan->bound says
 * which host kept out a newer candidate. With one host, exactly ge_resolve. */
int ge_resolve_fleet(const struct ge_matrix *m, const struct ge_fleet_host *hosts, int nhosts, const struct ge_req *reqs,
                     int nreqs, const struct ge_resolve_opts *opts, struct ge_plan *plan, struct ge_err *err);

#endif
