/* lock.h: gpuenv.lock, the project's pinned environment: what was asked, for which host, and every
 * archive with its URL path, size and SHA-256. */
#ifndef GE_LOCK_H
#define GE_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "version.h"

#define GE_LOCK_SCHEMA 1
#define GE_LOCK_MAX_REQS 16
#define GE_LOCK_MAX_PY_REQS 8

struct ge_lock_archive {
    char package[16];        /* cuda-toolkit | cudnn */
    char component[64];
    char version[48];
    char platform[24];
    char variant[16];        /* "" or cuda12 ... */
    char url_path[320];      /* compute/cuda/redist/<relative_path>, appended to the origin */
    uint64_t size;
    char sha256[GE_SHA256_HEX];
};

/* A machine (node type) the lock was resolved for, as "hosts" records it: its driver and GPUs,
 * and the name the user's --host file gave it (never a hostname or address of its own). */
#define GE_LOCK_MAX_HOSTS 64
struct ge_lock_host {
    char name[64];
    char driver[32];         /* "" when not known (a login node without a driver) */
    char gpus[128];          /* as host_gpus; "" for a node without GPUs */
};

struct ge_lockfile {
    int nreqs;
    char reqs[GE_LOCK_MAX_REQS][128];
    char host_driver[32];    /* what the plan was checked against; "" when unknown */
    char host_gpus[128];     /* "8.0,9.0" */
    char host_python[16];
    char vendor[8];          /* "amd" for a plan for AMD GPUs (host_gpus then holds gfx targets), "" for NVIDIA */
    int nhosts;              /* a fleet's lock (--host): every node type it runs on; 0 otherwise */
    struct ge_lock_host hosts[GE_LOCK_MAX_HOSTS];
    char hsa_override[16];   /* "10.3.0": HSA_OVERRIDE_GFX_VERSION the activation sets (--hsa-override), or "" */
    char platform[24];       /* the archives' platform: linux-x86_64 | linux-sbsa */
    char cuda[24];           /* the toolkit version installed, "" without one */
    char cudnn[24];
    char cudnn_build[16];
    /* the SHA-256 of NVIDIA's manifest each package's archives were pinned from, "" when not
     * recorded (locks before it): a locked install refuses a manifest that changed since */
    char cuda_manifest[65], cudnn_manifest[65];
    size_t n;
    struct ge_lock_archive *archives;
    /* the framework's Python environment ("python" in the file, null without one) */
    char py_framework[16];   /* torch | tensorflow | jax; "" without one */
    char py_framework_version[24]; /* as the framework reports it: 2.4.1+cu124 */
    char py_python[16];      /* the interpreter's X.Y */
    char py_index[256];      /* the extra index, "" for none */
    char py_find_links[128]; /* pip's --find-links, "" for none */
    int py_n;
    char py_reqs[GE_LOCK_MAX_PY_REQS][96];
};

/* The lock's "gpus" of a host: each GPU's compute capability in the host's order, joined by
 * commas ("9.0,9.0" for two H100s). */
void ge_lock_gpus_string(const struct ge_cc *ccs, int n, char *out, size_t size);

/* The same of AMD GPUs: their gfx targets ("gfx90a,gfx942"). */
void ge_lock_gfx_string(const unsigned *gfx, int n, char *out, size_t size);

void ge_lock_init(struct ge_lockfile *l);
void ge_lock_fini(struct ge_lockfile *l);
int ge_lock_add(struct ge_lockfile *l, const struct ge_lock_archive *a, struct ge_err *err);

/* The "python" object: the framework, its version, the interpreter's X.Y, the extra index ("" in
 * the file, null 'for_output' when there is none) and the requirements; JSON null without one. */
cJSON *ge_lock_python_json(const struct ge_lockfile *l, bool for_output);

/* The "hosts" list: each node type a fleet's lock was resolved for; JSON null without one. */
cJSON *ge_lock_hosts_json(const struct ge_lockfile *l);

/* Write atomically (a temporary file renamed over path). */
int ge_lock_write(const char *path, const struct ge_lockfile *l, struct ge_err *err);
/* Read and validate; -1 with err (GE_EXIT_BAD_DATA naming the field) for a damaged lock, or
 * GE_EXIT_FAILURE when it cannot be read. */
int ge_lock_read(const char *path, struct ge_lockfile *l, struct ge_err *err);
/* The same from the file's text. */
int ge_lock_parse(const char *text, struct ge_lockfile *l, struct ge_err *err);
/* Whether two locks pin the same archives (by digest, in any order). */
int ge_lock_same_archives(const struct ge_lockfile *a, const struct ge_lockfile *b);
/* Whether two locks pin the same Python environment (framework, interpreter, index, requirements). */
int ge_lock_same_python(const struct ge_lockfile *a, const struct ge_lockfile *b);

#endif
