/* manifest.h: NVIDIA's redistrib_X.Y.Z.json manifests as a flat list of archives. */
#ifndef GE_MANIFEST_H
#define GE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"

/* One downloadable archive: a component's build for a platform (and, for cuDNN and cuda_compat,
 * for a CUDA variant such as "cuda12" or "cuda13.1"). */
struct ge_archive_ref {
    char component[64];     /* cuda_nvcc, libcublas, cudnn */
    char version[48];       /* the component's own version */
    char platform[24];      /* linux-x86_64, linux-sbsa, windows-x86_64, linux-all, source ... */
    char variant[16];       /* "" for a flat entry, else cuda12, cuda13, cuda13.1 */
    char relative_path[256];
    char sha256[GE_SHA256_HEX];
    uint64_t size;
};

struct ge_manifest {
    char product[32];       /* "cuda", "cudnn" ("" in the oldest files) */
    char label[32];         /* release_label, "12.4.1" ("" in the oldest files) */
    char date[16];          /* release_date */
    size_t n;
    struct ge_archive_ref *items; /* in the file's order */
};

/* Parse and check a manifest: every archive needs a relative path that stays inside the redist
 * tree (no absolute path, no "..", no backslash), a 64-hex sha256 and a size. NULL with err
 * (GE_EXIT_BAD_DATA naming the file and component) otherwise. */
struct ge_manifest *ge_manifest_load(const char *path, struct ge_err *err);
struct ge_manifest *ge_manifest_parse(const char *text, const char *name, struct ge_err *err);
void ge_manifest_free(struct ge_manifest *m);

/* The archive of component for platform; variant NULL or "" picks the flat entry. */
const struct ge_archive_ref *ge_manifest_find(const struct ge_manifest *m, const char *component,
                                              const char *platform, const char *variant);

#endif
