/* tree.h: folder trees walked safely, for the cache and the prefixes: every walk is iterative,
 * bounded in depth, and goes from folder descriptor to folder descriptor without ever following
 * a symbolic link. On top of it: checking that a tree's links resolve inside it, merging trees
 * into a prefix, removing trees, and an index of a tree's files that lets the cache verify it. */
#ifndef GE_TREE_H
#define GE_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* The deepest nesting a walk goes into. Archives may nest at most GE_TREE_MAX_ARCHIVE_DEPTH
 * folders (NVIDIA's nest about 12), leaving room for the prefix's share/doc/<component>/. */
#define GE_TREE_MAX_DEPTH 160
#define GE_TREE_MAX_ARCHIVE_DEPTH 128

/* Resolve every symbolic link under root against the tree itself, following the tree's own
 * links (at most 40 hops), as the kernel would with root as '/': each must stay inside root.
 * A link that is absolute, climbs out, or loops is refused: -1 with err (GE_EXIT_BAD_DATA)
 * naming 'what' (the archive or prefix), the link and its target. A missing part of a target
 * is read as text. */
int ge_tree_check_links(const char *root, const char *what, struct ge_err *err);

/* Merge tree into the folder to (made if missing): folders are made (a folder in one tree and a
 * link or file in another is a conflict, never followed), files are hard-linked (copied where
 * links cannot be made, keeping holes and the read-only mode), links are recreated. A path that
 * exists with other content is a conflict (GE_EXIT_BAD_DATA) naming it. Files at the top of the
 * tree (LICENSE, README) go to share/doc/<doc>/ instead; doc must be a safe name (ge_name_safe). */
int ge_tree_merge(const char *tree, const char *to, const char *doc, struct ge_err *err);

/* How ge_tree_merge_counted placed the files: hard links, or copies where links cannot be made
 * (another file system, a file system or a cache owner that refuses them), reflinked where the
 * file system shares blocks (btrfs, XFS). */
struct ge_tree_placed {
    uint64_t linked, copied, reflinked, copied_bytes;
    int why;   /* the errno of the first link refused (EXDEV, EPERM, ...), 0 when none was */
};
/* ge_tree_merge, adding to *placed (NULL: not counted). */
int ge_tree_merge_counted(const char *tree, const char *to, const char *doc, struct ge_tree_placed *placed,
                          struct ge_err *err);

/* Remove path and everything under it. No link is followed; folders without write permission
 * are made writable first. A missing path is not an error. 0 or -1 with err. */
int ge_tree_remove(const char *path, struct ge_err *err);

/* Write the index of root to the file index (atomically): every folder, file and link under root
 * with its mode, and for files the size, modification time and SHA-256, sorted by path. */
int ge_tree_index(const char *root, const char *index, struct ge_err *err);

enum ge_tree_check {
    GE_TREE_QUICK, /* type, mode, size and modification time of every entry: no file is read */
    GE_TREE_FULL,  /* and the SHA-256 of every file */
};

/* Compare root with its index: the same entries, nothing more and nothing less, each as
 * recorded. 0, or -1 with err (GE_EXIT_BAD_DATA naming the first difference; GE_EXIT_FAILURE
 * when the index cannot be read). */
int ge_tree_verify(const char *root, const char *index, enum ge_tree_check how, struct ge_err *err);

/* What ge_tree_check_placed found. */
struct ge_tree_diff {
    size_t files, missing, changed;
    char first[4096];        /* the first file found missing or changed, relative to the prefix */
    char first_why[32];
};

/* Check the files of a tree's index where ge_tree_merge placed them under prefix (doc as given to
 * it): each still there, a regular file of the recorded size (and SHA-256 with GE_TREE_FULL).
 * Files the prefix has beyond the index are not looked at. 0 with diff filled, or -1 with err
 * when the index or prefix cannot be read. */
int ge_tree_check_placed(const char *index, const char *prefix, const char *doc, enum ge_tree_check how,
                         struct ge_tree_diff *diff, struct ge_err *err);

/* Copy the open file in to out: a reflink where the file system makes one, else the data
 * ranges only (holes stay holes), handling short writes; out ends at size bytes. 'to' names out
 * in messages. 0 or -1 with err (a full disk said as such). */
int ge_copy_fd(int in, int out, uint64_t size, const char *to, struct ge_err *err);

#endif
