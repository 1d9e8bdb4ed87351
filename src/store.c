/* store.c: cache layout, verified trees, staging and the atomic switch of a prefix, and the locks. */
#define _GNU_SOURCE
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "extract.h"
#include "str.h"

int ge_store_project_paths(const char *dir, const char *pre, char *project, size_t psize, char *prefix, size_t size,
                           struct ge_err *err)
{
    char buf[PATH_MAX];
    if (!realpath(dir ? dir : ".", buf))
        return ge_err_set(err, GE_EXIT_USAGE, "project folder '%s': %s", dir ? dir : ".", strerror(errno));
    if (ge_strlcpy(project, buf, psize) >= psize)
        return ge_err_set(err, GE_EXIT_USAGE, "project path too long");
    if (pre) {
        char cwd[PATH_MAX];
        if (pre[0] == '/') {
            if (ge_strlcpy(prefix, pre, size) >= size)
                return ge_err_set(err, GE_EXIT_USAGE, "prefix path too long: %s", pre);
        } else if (!getcwd(cwd, sizeof cwd) || ge_path_join(prefix, size, cwd, pre) < 0) {
            return ge_err_set(err, GE_EXIT_USAGE, "prefix path too long: %s", pre);
        }
        size_t n = strlen(prefix);
        while (n > 1 && prefix[n - 1] == '/')
            prefix[--n] = '\0';
    } else if (ge_path_join(prefix, size, project, ".gpuenv") < 0) {
        return ge_err_set(err, GE_EXIT_USAGE, "project path too long");
    }
    return 0;
}

int ge_store_require_prefix(const char *prefix, struct ge_err *err)
{
    char marker[PATH_MAX + 32];
    if (ge_fmt(marker, sizeof marker, "%s/gpuenv-prefix.lock", prefix) < 0 || access(marker, F_OK) != 0) {
        ge_err_set(err, GE_EXIT_FAILURE, "no gpuenv environment in '%s'", prefix);
        ge_err_hint(err, "'gpuenv install' makes one");
        return -1;
    }
    return 0;
}

int ge_store_open(struct ge_store *s, const char *dir, struct ge_err *err)
{
    s->lock_fd = -1;
    s->max_unpack_ratio = 0;
    s->readonly = false;
    if (ge_strlcpy(s->dir, dir, sizeof s->dir) >= sizeof s->dir)
        return ge_err_set(err, GE_EXIT_FAILURE, "cache path too long: %s", dir);
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(dir, W_OK) != 0) {
        if (errno != EACCES && errno != EROFS && errno != EPERM)
            return ge_err_sys(err, errno, "cannot use the cache folder '%s'", dir);
        s->readonly = true; /* served as it is: its keeper fills it */
        return 0;
    }
    static const char *const subs[] = {"", "/archives", "/trees"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s%s", dir, subs[i]);
        if (ge_mkdir_p(p) < 0)
            return ge_err_sys(err, errno, "cannot create the cache folder '%s'", p);
    }
    return 0;
}

int ge_store_lock_file(const char *path, const char *what, const char *doing, ge_wait_fn on_wait, void *ud,
                       struct ge_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return ge_err_sys(err, errno, "cannot open the lock '%s'", path);
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int e = errno;
            close(fd);
            return ge_err_sys(err, e, "cannot lock '%s'", path);
        }
        /* held: say by whom (its holder wrote that in the file), then wait */
        char holder[256];
        ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        if (on_wait)
            on_wait(ud, what, holder);
        while (flock(fd, LOCK_EX) < 0) {
            if (errno != EINTR) {
                int e = errno;
                close(fd);
                return ge_err_sys(err, e, "cannot lock '%s'", path);
            }
        }
    }
    char me[512];
    int len = snprintf(me, sizeof me, "pid %ld: %.480s\n", (long)getpid(), doing ? doing : "gpuenv");
    if (len > 0 && ftruncate(fd, 0) == 0 && pwrite(fd, me, (size_t)len, 0) < 0) {
        /* only a courtesy to those who wait */
    }
    return fd;
}

int ge_store_lock(struct ge_store *s, const char *doing, ge_wait_fn on_wait, void *ud, struct ge_err *err)
{
    if (s->lock_fd >= 0 || s->readonly)
        return 0;
    char p[PATH_MAX], what[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/lock", s->dir);
    snprintf(what, sizeof what, "the cache %s", s->dir);
    s->lock_fd = ge_store_lock_file(p, what, doing, on_wait, ud, err);
    return s->lock_fd < 0 ? -1 : 0;
}

void ge_store_unlock(struct ge_store *s)
{
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* closing releases the flock */
    s->lock_fd = -1;
}

void ge_store_close(struct ge_store *s)
{
    ge_store_unlock(s);
}

void ge_store_archive_path(const struct ge_store *s, const char *sha256, char *out, size_t size)
{
    snprintf(out, size, "%s/archives/%s", s->dir, sha256);
}

static void tree_dir(const struct ge_store *s, const char *sha256, char *out, size_t size)
{
    snprintf(out, size, "%s/trees/%s", s->dir, sha256);
}

void ge_store_tree_path(const struct ge_store *s, const char *sha256, char *out, size_t size)
{
    snprintf(out, size, "%s/trees/%s/root", s->dir, sha256);
}

void ge_store_index_path(const struct ge_store *s, const char *sha256, char *out, size_t size)
{
    snprintf(out, size, "%s/trees/%s/index", s->dir, sha256);
}

bool ge_store_has_archive(const struct ge_store *s, const char *sha256, uint64_t size)
{
    char p[PATH_MAX];
    struct stat st;
    ge_store_archive_path(s, sha256, p, sizeof p);
    return lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
}

bool ge_store_has_tree(const struct ge_store *s, const char *sha256)
{
    char root[PATH_MAX], index[PATH_MAX];
    struct stat st, si;
    ge_store_tree_path(s, sha256, root, sizeof root);
    ge_store_index_path(s, sha256, index, sizeof index);
    return lstat(root, &st) == 0 && S_ISDIR(st.st_mode) && lstat(index, &si) == 0 && S_ISREG(si.st_mode);
}

int ge_store_verify_tree(const struct ge_store *s, const char *sha256, enum ge_tree_check how, struct ge_err *err)
{
    char root[PATH_MAX], index[PATH_MAX];
    if (!ge_store_has_tree(s, sha256))
        return ge_err_set(err, GE_EXIT_BAD_DATA, "the cached tree %.12s is missing or incomplete", sha256);
    ge_store_tree_path(s, sha256, root, sizeof root);
    ge_store_index_path(s, sha256, index, sizeof index);
    return ge_tree_verify(root, index, how, err);
}

int ge_store_verify_archive(const struct ge_store *s, const char *sha256, struct ge_err *err)
{
    char p[PATH_MAX], hex[GE_SHA256_HEX];
    uint64_t size;
    ge_store_archive_path(s, sha256, p, sizeof p);
    struct stat st;
    if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode))
        return ge_err_set(err, GE_EXIT_BAD_DATA, "the cached archive %.12s is missing", sha256);
    if (ge_sha256_file(p, hex, &size, err) < 0)
        return -1;
    if (strcmp(hex, sha256) != 0)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "the cached archive %s is damaged: its SHA-256 is %s", sha256, hex);
    return 0;
}

int ge_store_drop_tree(const struct ge_store *s, const char *sha256, struct ge_err *err)
{
    char p[PATH_MAX], gone[PATH_MAX + 48];
    tree_dir(s, sha256, p, sizeof p);
    /* a ".tmp-" name: what a kill leaves here is removed as a half-unpacked tree would be */
    snprintf(gone, sizeof gone, "%s.tmp-gone-%ld", p, (long)getpid());
    if (rename(p, gone) < 0)
        return errno == ENOENT ? 0 : ge_err_sys(err, errno, "cannot remove '%s'", p);
    return ge_tree_remove(gone, err);
}

int ge_store_register_prefix(const struct ge_store *s, const char *prefix, struct ge_err *err)
{
    if (s->readonly)
        return 0;
    char dir[PATH_MAX], hex[GE_SHA256_HEX], name[40];
    struct ge_sha256 h;
    if (ge_sha256_init(&h, err) < 0)
        return -1;
    if (ge_sha256_update(&h, prefix, strlen(prefix), err) < 0 || ge_sha256_final(&h, hex, err) < 0) {
        ge_sha256_fini(&h);
        return -1;
    }
    snprintf(dir, sizeof dir, "%s/prefixes", s->dir);
    snprintf(name, sizeof name, "%.32s", hex);
    if (ge_mkdir_p(dir) < 0)
        return ge_err_sys(err, errno, "cannot create '%s'", dir);
    struct ge_buf b;
    ge_buf_init(&b);
    ge_buf_addf(&b, "%s\n", prefix);
    int rc = ge_store_write_text(dir, name, ge_buf_str(&b), err);
    ge_buf_fini(&b);
    return rc;
}

int ge_store_drop_archive(const struct ge_store *s, const char *sha256, struct ge_err *err)
{
    char p[PATH_MAX];
    ge_store_archive_path(s, sha256, p, sizeof p);
    if (unlink(p) < 0 && errno != ENOENT)
        return ge_err_sys(err, errno, "cannot remove '%s'", p);
    return 0;
}

int ge_store_write_text(const char *dir, const char *name, const char *text, struct ge_err *err)
{
    char p[PATH_MAX + 64];
    if (ge_fmt(p, sizeof p, "%s/%s", dir, name) < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "path too long: %s/%s", dir, name);
    if (ge_write_file(p, text, strlen(text)) < 0)
        return ge_err_sys(err, errno, "cannot write '%s'", p);
    return 0;
}

int ge_store_remove_tree(const char *path, struct ge_err *err)
{
    return ge_tree_remove(path, err);
}

int ge_store_unpack(struct ge_store *s, const char *sha256, uint64_t size, const char *shown, bool verify,
                    uint64_t *progress, bool *refetch, struct ge_err *err)
{
    *refetch = false;
    if (verify && ge_store_verify_archive(s, sha256, err) < 0) {
        if (err->status == GE_EXIT_BAD_DATA) {
            struct ge_err ig;
            ge_err_clear(&ig);
            ge_store_drop_archive(s, sha256, &ig);
            *refetch = true;
        }
        return -1;
    }
    char archive[PATH_MAX], dest[PATH_MAX], tmp[PATH_MAX + 32], root[PATH_MAX + 48], index[PATH_MAX + 48];
    ge_store_archive_path(s, sha256, archive, sizeof archive);
    tree_dir(s, sha256, dest, sizeof dest);
    /* unique per process and per call: several threads may unpack at once */
    static unsigned long counter;
    unsigned long n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%lu", dest, (long)getpid(), n);
    snprintf(root, sizeof root, "%s/root", tmp);
    snprintf(index, sizeof index, "%s/index", tmp);
    struct ge_err ignore;
    ge_err_clear(&ignore);
    ge_tree_remove(tmp, &ignore);
    if (mkdir(tmp, 0755) < 0)
        return ge_err_sys(err, errno, "cannot create '%s'", tmp);
    struct ge_extract_limits lim = ge_extract_limits_for(size, s->max_unpack_ratio);
    int rc = -1;
    if (ge_extract(archive, shown, root, &lim, progress, NULL, err) < 0 || ge_tree_index(root, index, err) < 0)
        goto out;
    /* a tree already there did not verify (or is of an older layout): this one replaces it */
    if (ge_tree_remove(dest, err) < 0)
        goto out;
    if (rename(tmp, dest) < 0) {
        ge_err_sys(err, errno, "cannot move '%s' into place", tmp);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        ge_tree_remove(tmp, &ignore);
    return rc;
}

int ge_store_verify_all(struct ge_store *s, size_t *narchives, size_t *ntrees,
                        void (*damaged)(void *ud, const char *kind, const char *sha256, const char *why), void *ud,
                        struct ge_err *err)
{
    *narchives = *ntrees = 0;
    static const char *const kinds[] = {"archive", "tree"};
    for (int k = 0; k < 2; k++) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/%s", s->dir, k == 0 ? "archives" : "trees");
        DIR *d = opendir(dir);
        if (!d)
            return ge_err_sys(err, errno, "cannot read '%s'", dir);
        struct dirent *e;
        while ((e = readdir(d))) {
            /* only finished entries: partial downloads (.part) and unpacking (.tmp-) are not */
            if (!ge_sha256_valid(e->d_name))
                continue;
            struct ge_err v;
            ge_err_clear(&v);
            int rc = k == 0 ? ge_store_verify_archive(s, e->d_name, &v)
                            : ge_store_verify_tree(s, e->d_name, GE_TREE_FULL, &v);
            *(k == 0 ? narchives : ntrees) += 1;
            if (rc == 0)
                continue;
            if (v.status != GE_EXIT_BAD_DATA) {
                closedir(d);
                *err = v;
                return -1;
            }
            struct ge_err ig;
            ge_err_clear(&ig);
            if (k == 0)
                ge_store_drop_archive(s, e->d_name, &ig);
            else
                ge_store_drop_tree(s, e->d_name, &ig);
            if (damaged)
                damaged(ud, kinds[k], e->d_name, v.msg);
        }
        closedir(d);
    }
    return 0;
}

int ge_store_link_tree(const struct ge_store *s, const char *sha256, const char *to, const char *name,
                       struct ge_tree_placed *placed, struct ge_err *err)
{
    char root[PATH_MAX];
    ge_store_tree_path(s, sha256, root, sizeof root);
    return ge_tree_merge_counted(root, to, name, placed, err);
}

int ge_store_commit(const char *staging, const char *prefix, struct ge_err *err)
{
    if (renameat2(AT_FDCWD, staging, AT_FDCWD, prefix, RENAME_EXCHANGE) == 0) {
        /* staging now holds the previous prefix */
        return ge_tree_remove(staging, err);
    }
    if (errno == ENOENT) { /* no previous prefix */
        if (rename(staging, prefix) == 0)
            return 0;
        return ge_err_sys(err, errno, "cannot move '%s' to '%s'", staging, prefix);
    }
    if (errno == EINVAL || errno == ENOSYS) {
        /* a file system without exchange: move the old one aside first */
        char old[PATH_MAX + 32];
        snprintf(old, sizeof old, "%s.old-%ld", prefix, (long)getpid());
        if (rename(prefix, old) < 0)
            return ge_err_sys(err, errno, "cannot move '%s' aside", prefix);
        if (rename(staging, prefix) < 0) {
            int e = errno;
            rename(old, prefix);
            return ge_err_sys(err, e, "cannot move '%s' to '%s'", staging, prefix);
        }
        return ge_tree_remove(old, err);
    }
    return ge_err_sys(err, errno, "cannot switch '%s' into '%s'", staging, prefix);
}

void ge_store_each_leftover(const char *base, const char *marker, int (*fn)(const char *path, void *ud), void *ud)
{
    char dir[PATH_MAX];
    ge_strlcpy(dir, base, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    const char *stem = base + (slash - dir) + 1;
    *slash = '\0';
    DIR *d = opendir(dir[0] ? dir : "/");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, stem, strlen(stem)) != 0 || !strstr(e->d_name + strlen(stem), marker))
            continue;
        char p[PATH_MAX];
        if (ge_path_join(p, sizeof p, dir, e->d_name) == 0 && fn(p, ud))
            break;
    }
    closedir(d);
}

static int remove_one(const char *path, void *ud)
{
    (void)ud;
    struct ge_err ignore;
    ge_err_clear(&ignore);
    ge_tree_remove(path, &ignore);
    return 0;
}

void ge_store_remove_leftovers(const char *base, const char *marker)
{
    ge_store_each_leftover(base, marker, remove_one, NULL);
}

void ge_store_remove_stale_trees(const struct ge_store *s)
{
    if (s->readonly)
        return;
    char trees[PATH_MAX];
    if (ge_fmt(trees, sizeof trees, "%s/trees/", s->dir) == 0)
        ge_store_remove_leftovers(trees, ".tmp-"); /* ge_store_unpack's names */
}
