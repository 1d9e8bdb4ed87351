/* unpack.h: unpacking archives into the cache's trees while downloads go on.
 *
 * An archive is queued as soon as it is in the cache (already there, or just downloaded and
 * verified), so xz decoding, the bulk of a cold install, overlaps the transfers. An archive
 * decodes on one core (liblzma through libarchive has no threaded decoder), so there is a thread
 * per archive, up to twice the cores: the kernel then shares the cores among all of them, and the
 * install ends near total work / cores instead of idling a core while one long archive finishes
 * behind another (measured by tests/bench). The cap bounds memory: each decoder holds the
 * archive's xz dictionary. */
#ifndef GE_UNPACK_H
#define GE_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "store.h"

struct ge_unpack_pool;

/* One archive that finished unpacking (or failed), for the caller to report. */
struct ge_unpack_done {
    char shown[96];          /* its component name */
    uint64_t size;           /* the archive's bytes */
    double seconds;
    bool ok;
};

/* Where the whole pool stands: compressed bytes read out of those queued so far. */
struct ge_unpack_status {
    size_t queued, finished;
    uint64_t bytes_total, bytes_done;
};

/* Start at most max_threads workers (at least 1; fewer when there are fewer archives) over the
 * store, which the caller holds locked until ge_unpack_finish. NULL with err. */
struct ge_unpack_pool *ge_unpack_start(struct ge_store *s, size_t max_threads, struct ge_err *err);

/* Queue the archive sha256 (size bytes, named 'shown'), once: a second call for the same digest
 * is ignored. verify: read its SHA-256 back before unpacking (it was not just downloaded). */
int ge_unpack_add(struct ge_unpack_pool *p, const char *sha256, uint64_t size, const char *shown, bool verify,
                  struct ge_err *err);

/* Wait up to timeout_ms for everything queued to finish; true when it has. */
bool ge_unpack_wait(struct ge_unpack_pool *p, int timeout_ms);
void ge_unpack_status(struct ge_unpack_pool *p, struct ge_unpack_status *st);
/* Move up to max finished archives not yet taken into out; returns how many. */
size_t ge_unpack_take_done(struct ge_unpack_pool *p, struct ge_unpack_done *out, size_t max);

/* Let the workers finish what is queued and stop them; the pool is freed. 0 when everything
 * unpacked. Else -1 with err: the first failure that a new download cannot mend. The digests of
 * archives found damaged in the cache (removed, to be downloaded again) go to refetch, at most
 * max; *nrefetch says how many. */
int ge_unpack_finish(struct ge_unpack_pool *p, char (*refetch)[GE_SHA256_HEX], size_t max, size_t *nrefetch,
                     struct ge_err *err);

#endif
