/* store.h: the download cache (archives by SHA-256 and the trees they unpack to, each with the
 * index that verifies it), staging and the atomic switch of a prefix, and the locks that guard
 * them. Knows nothing of HTTP. */
#ifndef GE_STORE_H
#define GE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "tree.h"

/* Called once when a lock is held by another gpuenv, before waiting for it: 'what' names the lock
 * ("the cache ~/.cache/gpuenv"), 'holder' is what the holder wrote of itself ("pid 4242: install
 * into /p/.gpuenv", or "" when it wrote nothing). */
typedef void (*ge_wait_fn)(void *ud, const char *what, const char *holder);

/* The cache: <dir>/archives/<sha256> (downloads, content-addressed) and <dir>/trees/<sha256>/,
 * holding root/ (the archive unpacked once, hard-linked into every prefix) and index (its files,
 * see ge_tree_index). */
struct ge_store {
    char dir[3000]; /* leaves room for the longest path built under it */
    int lock_fd;    /* flock on <dir>/lock while held, else -1 */
    unsigned max_unpack_ratio; /* the bound of ge_extract_limits_for; 0 for the default */
    bool readonly;  /* this user cannot write it (an admin's shared cache, a read-only mount): it is
                     * read without a lock, and nothing in it is made, mended or removed */
};

/* Open the cache in dir (made if missing). A folder this user cannot write is opened read-only
 * (s->readonly). 0 or -1 with err. */
int ge_store_open(struct ge_store *s, const char *dir, struct ge_err *err);
void ge_store_close(struct ge_store *s);

/* A project's folder ('dir', resolved; "." when NULL) and its prefix: 'pre' when given (made
 * absolute against the current folder, trailing slashes dropped), else <project>/.gpuenv. Exit
 * status 2 (usage) for a folder that does not exist or a path too long. */
int ge_store_project_paths(const char *dir, const char *pre, char *project, size_t psize, char *prefix, size_t size,
                           struct ge_err *err);
/* 0 when 'prefix' holds a gpuenv environment (its gpuenv-prefix.lock), else -1 with an error
 * that says how to make one. */
int ge_store_require_prefix(const char *prefix, struct ge_err *err);

/* Call fn on each entry beside base (in base's folder, named base's last component followed by
 * something holding marker: "<prefix>.staging-<pid>") until fn returns nonzero. */
void ge_store_each_leftover(const char *base, const char *marker, int (*fn)(const char *path, void *ud), void *ud);
/* Remove those entries: what a killed gpuenv left. Only under the lock that guards them. */
void ge_store_remove_leftovers(const char *base, const char *marker);
/* Remove the half-unpacked trees a killed gpuenv left; under the cache's lock. */
void ge_store_remove_stale_trees(const struct ge_store *s);

/* Hold the cache's lock, saying 'doing' to others who wait for it ("install into /p/.gpuenv");
 * a read-only cache is read without one (writers publish every entry in one rename);
 * on_wait (may be NULL) hears once that this call waits for another holder. ge_store_close
 * releases it; so does ge_store_unlock. */
int ge_store_lock(struct ge_store *s, const char *doing, ge_wait_fn on_wait, void *ud, struct ge_err *err);
void ge_store_unlock(struct ge_store *s);

/* Hold an exclusive lock on the file path (created if missing), as ge_store_lock: 'what' names
 * it for on_wait. The descriptor, or -1 with err. Closing it releases the lock. */
int ge_store_lock_file(const char *path, const char *what, const char *doing, ge_wait_fn on_wait, void *ud,
                       struct ge_err *err);

void ge_store_archive_path(const struct ge_store *s, const char *sha256, char *out, size_t size);
/* The unpacked files (root/) and the index of the tree of sha256. */
void ge_store_tree_path(const struct ge_store *s, const char *sha256, char *out, size_t size);
void ge_store_index_path(const struct ge_store *s, const char *sha256, char *out, size_t size);
bool ge_store_has_archive(const struct ge_store *s, const char *sha256, uint64_t size);
/* Whether the tree of sha256 is there (its root and its index; not yet whether they agree). */
bool ge_store_has_tree(const struct ge_store *s, const char *sha256);

/* Check the tree of sha256 against its index (ge_tree_verify). 0, or -1 with err
 * (GE_EXIT_BAD_DATA: damaged, or not there) naming what differs. */
int ge_store_verify_tree(const struct ge_store *s, const char *sha256, enum ge_tree_check how, struct ge_err *err);
/* Whether the archive's content is its name: SHA-256 read back. 0, or -1 with err. */
int ge_store_verify_archive(const struct ge_store *s, const char *sha256, struct ge_err *err);
/* Remove the tree of sha256 (and its index); the archive stays. Under the cache's lock. The tree
 * is first renamed aside in one step, so that a reader without the lock sees it whole or not at
 * all. */
int ge_store_drop_tree(const struct ge_store *s, const char *sha256, struct ge_err *err);
/* Remove the archive of sha256. Under the cache's lock. */
int ge_store_drop_archive(const struct ge_store *s, const char *sha256, struct ge_err *err);

/* Unpack the cached archive sha256 (size bytes; 'shown' names it in messages) into its tree and
 * index, atomically (a temporary folder renamed into place), replacing a tree already there.
 * With 'verify', the archive's SHA-256 is read back first (an archive that was not just
 * downloaded and checked): one that differs is removed and *refetch set, so that downloading it
 * again may mend it. progress as in ge_extract. 0, or -1 with err. */
int ge_store_unpack(struct ge_store *s, const char *sha256, uint64_t size, const char *shown, bool verify,
                    uint64_t *progress, bool *refetch, struct ge_err *err);

/* Verify the whole cache: every archive by its SHA-256 and every tree against its index, reading
 * every file (GE_TREE_FULL). What fails is removed (a later install downloads or unpacks it again)
 * and reported through damaged(ud, "archive" | "tree", sha256, why). The counts of archives and
 * trees checked go to *narchives and *ntrees. 0, or -1 with err when the cache cannot be read. */
int ge_store_verify_all(struct ge_store *s, size_t *narchives, size_t *ntrees,
                        void (*damaged)(void *ud, const char *kind, const char *sha256, const char *why), void *ud,
                        struct ge_err *err);

/* Record that prefix was installed from this cache (<dir>/prefixes/<digest of its path>), so that
 * 'cache list' can say who uses an entry and 'cache clean' keeps it. Nothing for a read-only
 * cache. 0, or -1 with err. */
int ge_store_register_prefix(const struct ge_store *s, const char *prefix, struct ge_err *err);
/* Merge the cached tree of sha256 into the folder to, as ge_tree_merge (top-level files into
 * share/doc/<name>/). */
int ge_store_link_tree(const struct ge_store *s, const char *sha256, const char *to, const char *name,
                       struct ge_tree_placed *placed, struct ge_err *err);

/* Write text to dir/name atomically (a requirements file, an activation script into staging).
 * 0 or -1 with err. */
int ge_store_write_text(const char *dir, const char *name, const char *text, struct ge_err *err);

/* Remove a folder and everything in it (ge_tree_remove). 0 or -1 with err. */
int ge_store_remove_tree(const char *path, struct ge_err *err);

/* Put staging in place of prefix in one step: the old prefix, if any, is exchanged with staging
 * (renameat2 RENAME_EXCHANGE) and then removed; without one, staging is renamed. A crash at any
 * point leaves either the old or the new prefix whole. */
int ge_store_commit(const char *staging, const char *prefix, struct ge_err *err);

#endif
