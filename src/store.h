/* store.h: the download cache, shared unpacked trees, and a project's prefix, built in staging and
 * switched in with one rename, under locks. Knows nothing of HTTP. */
#ifndef GE_STORE_H
#define GE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The cache: <dir>/archives/<sha256> (downloads, content-addressed) and <dir>/trees/<sha256>/
 * (each archive unpacked once, shared by every project). */
struct ge_store {
    char dir[3000]; /* leaves room for the longest path built under it */
    int lock_fd; /* flock on <dir>/lock while held, else -1 */
};

/* Open the cache in dir (made if missing). 0 or -1 with err. */
int ge_store_open(struct ge_store *s, const char *dir, struct ge_err *err);

/* A project's folder ('dir', resolved; "." when NULL) and its prefix: 'pre' when given (made
 * absolute against the current folder, trailing slashes dropped), else <project>/.gpuenv. Exit
 * status 2 (usage) for a folder that does not exist or a path too long. */
int ge_store_project_paths(const char *dir, const char *pre, char *project, size_t psize, char *prefix, size_t size,
                           struct ge_err *err);
/* 0 when 'prefix' holds a gpuenv environment (its gpuenv-prefix.lock), else -1 with an error
 * that says how to make one. */
int ge_store_require_prefix(const char *prefix, struct ge_err *err);
void ge_store_close(struct ge_store *s);
/* Call fn on each entry beside base (in base's folder, named base's last component followed by
 * something holding marker: "<prefix>.staging-<pid>") until fn returns nonzero. */
void ge_store_each_leftover(const char *base, const char *marker, int (*fn)(const char *path, void *ud), void *ud);
/* Remove those entries: what a killed gpuenv left. Only under the lock that guards them. */
void ge_store_remove_leftovers(const char *base, const char *marker);
/* Remove the half-unpacked trees a killed gpuenv left; under the cache's lock. */
void ge_store_remove_stale_trees(const struct ge_store *s);

/* Hold the cache's lock (blocks while another gpuenv holds it); ge_store_close releases it. */
int ge_store_lock(struct ge_store *s, struct ge_err *err);

void ge_store_archive_path(const struct ge_store *s, const char *sha256, char *out, size_t size);
void ge_store_tree_path(const struct ge_store *s, const char *sha256, char *out, size_t size);
bool ge_store_has_archive(const struct ge_store *s, const char *sha256, uint64_t size);
bool ge_store_has_tree(const struct ge_store *s, const char *sha256);

/* Unpack the cached archive sha256 into its tree, atomically (a temporary folder renamed into
 * place); a tree already there is kept. */
int ge_store_unpack(struct ge_store *s, const char *sha256, struct ge_err *err);

/* Copy tree into the folder to, merging with what is there: files as hard links (reflinks or
 * copies where links cannot be made), symlinks as symlinks. A path that exists with other
 * content is a conflict (GE_EXIT_BAD_DATA) naming both. Files at the top of the tree (LICENSE)
 * go to share/doc/<name>/ instead, so that components never collide on them. */
int ge_store_link_tree(const char *tree, const char *to, const char *name, struct ge_err *err);

/* Remove a folder and everything in it (no symlink is followed). 0 or -1 with err. */
int ge_store_remove_tree(const char *path, struct ge_err *err);

/* Put staging in place of prefix in one step: the old prefix, if any, is exchanged with staging
 * (renameat2 RENAME_EXCHANGE) and then removed; without one, staging is renamed. A crash at any
 * point leaves either the old or the new prefix whole. */
int ge_store_commit(const char *staging, const char *prefix, struct ge_err *err);

/* Hold an exclusive lock on the file path (created if missing), for a prefix. -1 with err. */
int ge_store_lock_file(const char *path, struct ge_err *err);

#endif
