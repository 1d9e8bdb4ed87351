/* extract.h: unpack one NVIDIA archive (tar.xz, zip) into a folder, safely. */
#ifndef GE_EXTRACT_H
#define GE_EXTRACT_H

#include <stdint.h>

#include "err.h"

struct ge_extract_stats {
    uint64_t files, dirs, links, bytes;
};

/* Unpack archive into dir (created if missing), dropping the archive's single top-level folder
 * (NVIDIA's archives hold "cuda_nvcc-linux-x86_64-12.4.131-archive/bin/nvcc"). Every entry is
 * checked before anything is written for it: no absolute path, no "..", nothing outside the top
 * folder, symbolic and hard links that stay inside, and only files, folders and links (no device
 * nodes, fifos or sockets). Any violation refuses the whole archive: -1 with err
 * (GE_EXIT_BAD_DATA) naming the archive, the entry and the check; what was written is the
 * caller's to discard (extract into a staging folder). stats may be NULL. */
int ge_extract(const char *archive, const char *dir, struct ge_extract_stats *stats, struct ge_err *err);

/* Load libarchive now, so that threads can then call ge_extract at once (loading is not
 * thread-safe). 0 or -1 with err. */
int ge_extract_prepare(struct ge_err *err);

/* Whether a path stays inside its root: relative, no ".." that climbs above the start. */
int ge_path_stays_inside(const char *rel);

#endif
