/* lockplan.h: from requirements to the lock: resolve them for the host, decide what goes into the
 * project (the framework's venv, NVIDIA's archives), and pin every archive from NVIDIA's
 * manifests; and the check of a lock against those manifests before it is installed. */
#ifndef GE_LOCKPLAN_H
#define GE_LOCKPLAN_H

#include <stdbool.h>

#include "err.h"
#include "fleet.h"
#include "host.h"
#include "lock.h"
#include "manifest_src.h"
#include "resolve.h"

/* Remarks for the user that are not errors ("no manifest for cuda 12.4.1: installing 12.4.0"). */
#define GE_NOTES_MAX 8
struct ge_notes {
    int n;
    char text[GE_NOTES_MAX][300];
};
void ge_notes_add(struct ge_notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct ge_lockplan_req {
    const struct ge_host_req *host;      /* --driver, --gpu */
    const struct ge_fleet_req *fleet;    /* --host FILE...: the node types to resolve for, NULL or empty for host */
    const char *python, *platform, *arch; /* as for ge_host_gather */
    struct ge_resolve_opts ro;
    char *const *reqs;
    int nreqs;
    const char *components;              /* --components, NULL for the default set */
    const char *pytorch_mirror;
    bool no_python, python_only;
    const char *origin;                  /* --mirror: where manifests not at hand are fetched from */
    bool offline;                        /* --offline: manifests only from folders, the cache, a file:// origin */
};

/* Resolve req and fill want (ge_lock_init'ed by the caller): the requirements, the host it was
 * checked against (also left in hv), the framework's Python part, and the archives of the plan's
 * toolkit and cuDNN from NVIDIA's manifests of exactly those releases (ge_manifest_obtain), whose
 * SHA-256 the lock records.
 * 0, or -1 with err (usage 2, no solution 3, bad data 5). */
int ge_lockplan_make(const struct ge_lockplan_req *req, struct ge_lockfile *want, struct ge_host_view *hv,
                     struct ge_notes *notes, struct ge_err *err);

/* Check every archive of l against the manifest it came from (the same lookup as
 * ge_lockplan_make, fetching from origin where needed): the manifest itself is the one the lock
 * recorded (its SHA-256), and each archive has the same URL path, size and SHA-256 for its
 * component, platform and variant. A lock that disagrees is refused (GE_EXIT_BAD_DATA). Where no
 * manifest of the locked release can be had, a note says that the lock could not be cross-checked. */
struct ge_lockplan_src {
    const char *origin;  /* --mirror, or NULL */
    bool offline;        /* never over the network */
    bool required;       /* a manifest that cannot be had is an error, not a note (a mirror needs it) */
    /* called with each manifest checked, its bytes in got->text; nonzero stops the check */
    int (*on_manifest)(void *ud, const char *kind, const struct ge_manifest_got *got, struct ge_err *err);
    void *ud;
};
int ge_lockplan_check(const struct ge_lockfile *l, const struct ge_lockplan_src *src, struct ge_notes *notes,
                      struct ge_err *err);

#endif
