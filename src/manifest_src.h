/* manifest_src.h: where NVIDIA's manifests come from. Exactly the release asked for, never a
 * neighbour: a folder of GPUENV_MANIFEST_PATH, the manifests shipped in the data folder's
 * redist/, the cache of manifests fetched before, and last the mirror or NVIDIA's origin, which
 * serves each release's redistrib_X.Y.Z.json beside its archives (compute/cuda/redist/,
 * compute/cudnn/redist/). A fetched manifest is parsed and checked before it is cached. */
#ifndef GE_MANIFEST_SRC_H
#define GE_MANIFEST_SRC_H

#include <stdbool.h>

#include "digest.h"
#include "err.h"
#include "manifest.h"

struct ge_manifest_src {
    const char *datadir;      /* the matrix folder, whose redist/ holds the shipped manifests */
    const char *origin;       /* the mirror or origin to fetch from; NULL: GPUENV_MIRROR, else NVIDIA's */
    bool offline;             /* never fetch over the network: the folders, the cache and a file:// origin */
    bool keep_text;           /* give the file's bytes in out->text (the caller frees it) */
};

struct ge_manifest_got {
    struct ge_manifest *m;
    char sha256[GE_SHA256_HEX]; /* of the file's bytes, as the lock records it */
    char file[64];              /* "redistrib_12.4.1.json" */
    char from[4200];            /* the path it was read from, or the URL it was fetched from */
    bool fetched;               /* fetched in this call (and now cached) */
    char *text;                 /* with keep_text: the file's bytes (NUL-terminated), else NULL */
    size_t len;
};

/* The manifest of kind ("cuda" or "cudnn") for release version (X.Y.Z; a fourth part is
 * ignored). 0, or -1 with err: GE_EXIT_BAD_DATA when no source has it (the origin answers 404),
 * or it does not parse, or it names another product or release; GE_EXIT_FAILURE when the origin
 * cannot be reached. The caller frees out->m with ge_manifest_free. */
int ge_manifest_obtain(const struct ge_manifest_src *s, const char *kind, const char *version,
                       struct ge_manifest_got *out, struct ge_err *err);

#endif
