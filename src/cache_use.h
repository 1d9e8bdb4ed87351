/* cache_use.h: what is in the download cache and who uses it. Each install records its prefix
 * under <cache>/prefixes/ (ge_store_register_prefix); a prefix's gpuenv-prefix.lock says which
 * archives it was made from. 'cache list' shows that, and 'cache clean' removes only what no
 * existing prefix needs (a prefix keeps its files, hard links or copies, either way: what it
 * needs the cache for is to be installed again, repaired or copied without a network). */
#ifndef GE_CACHE_USE_H
#define GE_CACHE_USE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "lock.h"
#include "store.h"

struct ge_cache_user {
    char prefix[PATH_MAX];
    char record[PATH_MAX];     /* its file under <cache>/prefixes/ */
    bool exists;               /* the prefix is still a gpuenv environment */
    bool unknown;              /* it exists but its gpuenv-prefix.lock cannot be read: it may need anything */
    size_t n;                  /* the archives its lock pins */
    struct ge_cache_pin {
        char sha256[GE_SHA256_HEX];
        char component[64], version[48];
    } *pins;
};

struct ge_cache_entry {
    char sha256[GE_SHA256_HEX];
    char component[64], version[48]; /* from a user's lock, "" when none names it */
    bool archive, tree;
    uint64_t bytes;
    size_t nusers;
    size_t users[8];           /* indexes into the users, the first eight */
};

struct ge_cache_use {
    size_t nusers, nentries;
    struct ge_cache_user *users;
    struct ge_cache_entry *entries;
    bool any_unknown;          /* some existing prefix's needs are unknown */
};

/* The bytes of a file, or of everything under a folder (no link followed). */
uint64_t ge_cache_bytes(const char *path);

/* Read the cache's entries (archives and unpacked trees, by SHA-256) and its users. 0, or -1
 * with err when the cache cannot be read. */
int ge_cache_use_read(const struct ge_store *s, struct ge_cache_use *u, struct ge_err *err);
void ge_cache_use_fini(struct ge_cache_use *u);

/* Remove what no existing prefix needs (force: every entry, also what they need; nothing while an
 * existing prefix's needs are unknown, unless forced), and the records of prefixes that are gone. Under the cache's lock. *removed and *kept count entries. 0, or -1
 * with err. */
int ge_cache_use_clean(struct ge_store *s, const struct ge_cache_use *u, bool force, size_t *removed, size_t *kept,
                       struct ge_err *err);

#endif
