/* install.h: the install transaction, one entry point for every command that puts a lock into a
 * prefix: verify what the cache holds (mending what is damaged), fetch what is missing, unpack
 * while downloading, stage the prefix beside the old one, build the framework's venv, write the
 * activation, then switch the prefix in and settle gpuenv.lock through its journal. A failure at
 * any step, or a kill, leaves the previous environment and lock whole. Prints nothing: what
 * happens is told through the events. */
#ifndef GE_INSTALL_H
#define GE_INSTALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fetch.h"
#include "lock.h"
#include "project.h"
#include "tree.h"
#include "unpack.h"

#define GE_DEFAULT_ORIGIN "https://developer.download.nvidia.com"

struct ge_install_opts {
    const char *origin;        /* the mirror, else GPUENV_MIRROR, else GE_DEFAULT_ORIGIN */
    int jobs;                  /* downloads at once (0: fetch's default) */
    unsigned max_unpack_ratio; /* see ge_extract_limits_for; 0 for the default */
    bool verify;               /* read every cached file back (GE_TREE_FULL), not only its metadata */
    bool no_python;            /* leave the framework's venv out */
    bool write_lock;           /* gpuenv.lock changes with the prefix (false: installing the lock itself) */
    const char *python_exe;    /* the interpreter for the venv, or NULL */
    bool system_site;
    bool quiet;                /* pip -q */
    const char *doing;         /* what to tell those who wait for the locks ("install into ...") */
    bool offline;              /* no network: archives from the cache or a file:// origin only */
    const char *pip_index;     /* a gpuenv mirror's PEP 503 index for the venv's wheels, or NULL */
};

/* Where the downloads and the unpacking stand, about ten times a second. */
struct ge_install_progress {
    const struct ge_fetch_job *jobs; /* the downloads of this round (njobs may be 0) */
    size_t njobs;
    struct ge_unpack_status unpack;
};

struct ge_install_events {
    void (*on_progress)(void *ud, const struct ge_install_progress *p);
    void (*on_fetched)(void *ud, const struct ge_fetch_job *job);   /* a download finished (any status) */
    void (*on_unpacked)(void *ud, const struct ge_unpack_done *d);  /* an archive finished unpacking */
    void (*on_repair)(void *ud, const char *component, const char *why); /* a damaged cache entry is replaced */
    void (*on_wait)(void *ud, const char *what, const char *holder);
    void (*on_command)(void *ud, char *const argv[]);               /* a child process (venv, pip) runs */
    void *ud;
};

struct ge_install_result {
    size_t downloaded, cached, repaired;
    uint64_t downloaded_bytes;
    bool venv_built, venv_kept;
    bool cache_readonly;           /* the cache was read as it is (this user cannot write it) */
    struct ge_tree_placed placed;  /* the prefix's files: hard-linked, or copied where links fail */
};

/* Where NVIDIA's files come from: given (--mirror), else GPUENV_MIRROR, else NVIDIA's origin
 * (with_default), or NULL. */
const char *ge_install_origin(const char *given, bool with_default);

/* Install the lock l into the project's prefix. The caller holds the project's lock
 * (ge_project_lock) and has run its checks. 0, or -1 with err; after a failure the previous
 * prefix and gpuenv.lock are as they were. */
int ge_install(struct ge_project *p, const struct ge_lockfile *l, const struct ge_install_opts *o,
               const struct ge_install_events *ev, struct ge_install_result *res, struct ge_err *err);

#endif
