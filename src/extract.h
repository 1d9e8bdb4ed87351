/* extract.h: unpack one NVIDIA archive (tar.xz, zip) into a folder, safely. */
#ifndef GE_EXTRACT_H
#define GE_EXTRACT_H

#include <stdint.h>

#include "err.h"

struct ge_extract_stats {
    uint64_t files, dirs, links, bytes;
};

/* Bounds on what one archive may unpack to (0: none). */
struct ge_extract_limits {
    uint64_t max_bytes;   /* the files' sizes added up (holes count: a copy may fill them) */
    uint64_t max_entries; /* files, folders and links */
};

/* The bound install applies: an archive may unpack to GE_EXTRACT_RATIO times its size plus
 * GE_EXTRACT_SLACK bytes (NVIDIA's archives unpack to 1.5-12 times their size), and hold at most
 * GE_EXTRACT_MAX_ENTRIES entries. ratio 0 means the default. */
#define GE_EXTRACT_RATIO 32
#define GE_EXTRACT_SLACK (64ull << 20)
#define GE_EXTRACT_MAX_ENTRIES 200000
struct ge_extract_limits ge_extract_limits_for(uint64_t archive_size, unsigned ratio);

/* Unpack archive into dir (created if missing), dropping the archive's single top-level folder
 * (NVIDIA's archives hold "cuda_nvcc-linux-x86_64-12.4.131-archive/bin/nvcc"). Every entry is
 * checked before anything is written for it: no absolute path, no "..", nothing outside the top
 * folder, no control character in a name, at most GE_TREE_MAX_ARCHIVE_DEPTH folders deep, hard
 * links that stay inside, only files, folders and links (no device nodes, fifos or sockets), and
 * within limits (NULL: none). Files are written read-only (mode & 0555: no setuid, setgid or
 * write bit), folders 0755. At the end every symbolic link is resolved against the unpacked tree
 * (ge_tree_check_links): a chain of links that leaves it is refused too. Any violation refuses
 * the whole archive: -1 with err (GE_EXIT_BAD_DATA) naming the archive, the entry and the check;
 * what was written is the caller's to discard (extract into a staging folder). shown names the
 * archive in messages (NULL: its file name). A full disk is said
 * as such. progress, when not NULL, has the compressed bytes read added to it as they are read
 * (atomically: several threads may share one counter). stats may be NULL. */
int ge_extract(const char *archive, const char *shown, const char *dir, const struct ge_extract_limits *limits,
               uint64_t *progress, struct ge_extract_stats *stats, struct ge_err *err);

/* Load libarchive now, so that threads can then call ge_extract at once (loading is not
 * thread-safe). 0 or -1 with err. */
int ge_extract_prepare(struct ge_err *err);

#endif
