/* project.h: a project folder, its prefix and its gpuenv.lock, kept consistent with each other.
 *
 * The prefix's own record (<prefix>/gpuenv-prefix.lock) and the project's gpuenv.lock are two
 * files that one install changes together. A kill between the two writes must never leave the
 * new prefix with the old lock (the next plain 'install' would go back) or the reverse, so the
 * lock goes through a journal: the new lock is first written beside the old one as
 * gpuenv.lock.pending, then the prefix is switched in, then the pending lock is renamed over
 * gpuenv.lock. Whoever next takes the prefix's lock settles a pending lock left by a kill: kept
 * when the prefix holds exactly it (the switch happened), dropped otherwise. */
#ifndef GE_PROJECT_H
#define GE_PROJECT_H

#include <limits.h>
#include <stdbool.h>

#include "err.h"
#include "lock.h"
#include "store.h"

struct ge_project {
    char dir[PATH_MAX];         /* the project folder, resolved */
    char prefix[PATH_MAX];      /* its prefix (absolute) */
    char lock[PATH_MAX + 16];   /* <dir>/gpuenv.lock */
    char pending[PATH_MAX + 32];/* <dir>/gpuenv.lock.pending */
    char record[PATH_MAX + 32]; /* <prefix>/gpuenv-prefix.lock */
    int flock_fd;               /* <prefix>.flock while held, else -1 */
    bool settled_forward;       /* ge_project_lock found a pending lock and kept it */
};

/* Resolve the project folder (dir, "." when NULL) and its prefix (pre, else <dir>/.gpuenv). Exit
 * status 2 for a folder that does not exist, a path too long or a prefix holding a control
 * character. Nothing is locked or written. */
int ge_project_init(struct ge_project *p, const char *dir, const char *pre, struct ge_err *err);

/* Take the prefix's lock (<prefix>.flock, waiting for another gpuenv with on_wait told once), then
 * settle a pending lock a killed gpuenv left. 0 or -1 with err. */
int ge_project_lock(struct ge_project *p, const char *doing, ge_wait_fn on_wait, void *ud, struct ge_err *err);
void ge_project_unlock(struct ge_project *p);

/* Refuse to install into a prefix gpuenv did not make: the prefix must be missing, an empty
 * folder, or hold a gpuenv environment (or what a killed gpuenv left of one). -1 with err
 * (GE_EXIT_FAILURE) naming the folder otherwise. */
int ge_project_check_prefix(const struct ge_project *p, struct ge_err *err);

/* Check, by creating and removing a file, that the project folder (for gpuenv.lock) and the
 * prefix's parent (for staging and the switch) can be written. -1 with err naming the folder. */
int ge_project_check_writable(const struct ge_project *p, bool need_prefix, struct ge_err *err);

/* Write gpuenv.lock directly (no prefix changes with it): 'gpuenv lock'. */
int ge_project_write_lock(const struct ge_project *p, const struct ge_lockfile *l, struct ge_err *err);
/* The journal around a switch: stage writes the pending lock (before the prefix is switched in),
 * settle renames it over gpuenv.lock (after), abandon removes it (the switch did not happen). */
int ge_project_stage_lock(const struct ge_project *p, const struct ge_lockfile *l, struct ge_err *err);
int ge_project_settle_lock(const struct ge_project *p, struct ge_err *err);
void ge_project_abandon_lock(const struct ge_project *p);

#endif
