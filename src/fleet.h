/* fleet.h: the node types one plan is for: read from --host files (and back from a lock), their
 * facts gathered for the resolver, recorded in gpuenv.lock, and a machine matched against them. */
#ifndef GE_FLEET_H
#define GE_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "host.h"
#include "lock.h"
#include "matrix.h"
#include "resolve.h"

/* The node types as described: each with a name for messages and the lock. */
struct ge_fleet_req {
    int n;
    char names[GE_FLEET_MAX][64];
    struct ge_host_req reqs[GE_FLEET_MAX];
};

/* A new, empty fleet (heap: it is large), or NULL when out of memory. */
struct ge_fleet_req *ge_fleet_req_new(void);

/* --host FILE (repeatable): add the node types the file describes that the fleet lacks. Each is
 * named after the file ("v100" for v100.json), with "#k" for the k-th type of a file holding
 * several ('srun ... gpuenv detect --json' gathers nodes of every type into one) or for a name
 * already taken. 0, or -1 with a usage error. */
int ge_fleet_add_file(struct ge_fleet_req *fl, const char *path, struct ge_err *err);

/* The machine a plan is for is described once: by --host files (fl), or by --driver and --gpu
 * (req) with GPUENV_DRIVER and GPUENV_GPUS filling what they leave (those speak of this machine,
 * not of the files'). Both is a usage error. 0, or -1 with err. */
int ge_fleet_check_req(const struct ge_fleet_req *fl, struct ge_host_req *req, struct ge_err *err);

/* The node types a fleet's lock was resolved for. 0, or -1 (GE_EXIT_BAD_DATA) for a damaged
 * record. */
int ge_fleet_from_lock(struct ge_fleet_req *fl, const struct ge_lockfile *l, struct ge_err *err);

/* Gather every node type's facts for ge_resolve_fleet: its driver and GPUs, with the Python,
 * platform and architecture they share (from the options, or this machine's, as
 * ge_host_gather). view receives the first node type's, for the shared facts. 0, or -1 with a
 * usage error. */
int ge_fleet_gather(const struct ge_fleet_req *fl, const char *python, const char *platform, const char *arch,
                    const struct ge_matrix *m, struct ge_fleet_host *hosts, struct ge_host_view *view,
                    struct ge_err *err);

/* Record the node types in the lock ("hosts"): name, driver and the GPUs of the plan's vendor. */
void ge_fleet_to_lock(const struct ge_fleet_host *hosts, int n, bool amd, struct ge_lockfile *l);

/* Which of the lock's node types this machine is: one with the same kinds of GPUs (compute
 * capabilities, or gfx targets for an AMD lock) and a driver at least as new as the one the
 * plan was checked against (a newer driver runs all an older one did). The index, or -1 with
 * why naming the nearest difference. A lock without node types matches every machine (0). */
int ge_fleet_match(const struct ge_lockfile *l, const struct ge_host_facts *me, char *why, size_t size);

#endif
