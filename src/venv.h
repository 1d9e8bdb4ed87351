/* venv.h: the framework's venv as part of an install transaction.
 *
 * A venv holds its own path (in scripts' #! lines and its activate), so it is made where it will
 * live, <prefix>/venv, with the previous one moved aside to venv.old-gpuenv; when it is ready it
 * moves into staging, which is then switched in whole. Until then a failure puts the previous one
 * back, and after a kill the next gpuenv does (ge_venv_rescue, under the prefix's lock). */
#ifndef GE_VENV_H
#define GE_VENV_H

#include <limits.h>
#include <stdbool.h>

#include <cJSON.h>

#include "err.h"
#include "lock.h"

/* What one install did to the prefix's venv so far, so that it can be undone. */
struct ge_venv_txn {
    char prefix[PATH_MAX];
    bool aside;       /* the previous venv is at venv.old-gpuenv */
    bool staged;      /* the venv is in staging */
    bool prefix_made; /* the prefix was made just to build the venv in */
    bool built;       /* a new venv was made */
    bool kept;        /* the previous venv already held these requirements: kept */
};

struct ge_venv_opts {
    const char *python_exe; /* --python PATH, or NULL to find python3.X */
    bool system_site;       /* --system-site-packages */
    bool quiet;             /* pip -q */
    const char *pip_index;  /* a gpuenv mirror's PEP 503 index: the only one pip asks, or NULL */
    bool offline;           /* no network: without a file:// pip_index only a kept venv will do */
    void (*on_command)(void *ud, char *const argv[]); /* told each command before it runs */
    void *ud;
};

/* Undo what a killed gpuenv left in prefix: the previous venv moved aside, a venv moved into a
 * staging folder that was never switched in, a prefix made only to build a venv in. */
void ge_venv_rescue(const char *prefix);

/* Build (or keep, when the requirements and Python are unchanged) the venv of lock l for
 * t->prefix, and move it into staging (where requirements.txt is written too). 0, or -1 with err;
 * ge_venv_undo then puts things back. */
int ge_venv_build(struct ge_venv_txn *t, const struct ge_lockfile *l, const struct ge_venv_opts *o,
                  const char *staging, struct ge_err *err);
/* Put things back after a failure before the switch; staging may be "". */
void ge_venv_undo(struct ge_venv_txn *t, const char *staging);
/* The switch happened: nothing is left to undo. */
void ge_venv_done(struct ge_venv_txn *t);

/* Run the framework's own check in the installed venv: *check gets its report (owned by the
 * caller). 0 when it imports, is the build asked for, and (with a GPU) multiplies right; -1 with
 * err otherwise. *no_gpu says that it sees no GPU (not a failure). */
int ge_venv_check(const char *prefix, const struct ge_lockfile *l, cJSON **check, bool *no_gpu, struct ge_err *err);

#endif
