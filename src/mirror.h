/* mirror.h: a folder holding everything a lock needs, laid out as the origins lay it out, so that
 * 'gpuenv install --mirror file://DIR --offline' works on a machine without a network:
 *   DIR/compute/<cuda|cudnn>/redist/redistrib_X.Y.Z.json   NVIDIA's manifests, byte for byte
 *   DIR/compute/.../<archive>                               the archives at their manifests' paths
 *   DIR/files/<wheel>, DIR/simple/<project>/               the framework's wheels and their
 *                                                           dependencies for the lock's Python and
 *                                                           platform, as a PEP 503 index (wheels.h)
 *   DIR/gpuenv-mirror.json                                  the wheels' record; marks a mirror
 * Everything is verified as it arrives (manifests against the lock, archives against their
 * SHA-256, wheels against their index's digests), and a second run verifies what is there,
 * replaces what is damaged and adds what is missing. Prints nothing. */
#ifndef GE_MIRROR_H
#define GE_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fetch.h"
#include "lock.h"

struct ge_mirror_opts {
    const char *dir;        /* the mirror, made if missing */
    const char *origin;     /* where NVIDIA's files come from; NULL: GPUENV_MIRROR, else NVIDIA's */
    int jobs;               /* downloads at once (0: fetch's default) */
    bool no_wheels;         /* NVIDIA's part only */
    const char *pip_python; /* the interpreter whose pip downloads the wheels; NULL: python3 on PATH */
    const char *glibc;      /* "2.28": the target machines' glibc, the newest manylinux tag taken */
    const char *arch;       /* x86_64 | aarch64: the target machines' */
    bool quiet;             /* pip -q */
};

struct ge_mirror_events {
    void (*on_fetched)(void *ud, const struct ge_fetch_job *job);
    void (*on_damaged)(void *ud, const char *what, const char *why); /* replaced: "archive X", "wheel Y" */
    void (*on_command)(void *ud, char *const argv[]);
    void (*on_wait)(void *ud, const char *what, const char *holder);
    void *ud;
};

struct ge_mirror_result {
    size_t manifests, manifests_written;
    size_t archives, archives_fetched, archives_repaired;
    uint64_t bytes_fetched;
    bool wheels_done;       /* the lock has a framework and its wheels were mirrored */
    size_t wheels, wheels_added, wheels_repaired;
};

/* Fill o->dir with what lock l needs. 0, or -1 with err; what was verified or finished stays. */
int ge_mirror_fill(const struct ge_lockfile *l, const struct ge_mirror_opts *o, const struct ge_mirror_events *ev,
                   struct ge_mirror_result *r, struct ge_err *err);

/* Whether origin (file://, http:// or https://) is a gpuenv mirror holding wheels: its record is
 * there. 1 with its index's URL in index, 0 when it is not (an origin of NVIDIA's files only), -1
 * with err when it cannot be asked. */
int ge_mirror_pip_index(const char *origin, char *index, size_t size, struct ge_err *err);

/* The manylinux platform tags a machine of that glibc ("2.28") and arch accepts, newest first,
 * then linux_<arch>, as pip download's --platform values. The count, 0 for a malformed glibc. */
int ge_mirror_platforms(const char *glibc, const char *arch, char tags[][40], int max);

#endif
