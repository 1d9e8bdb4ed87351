/* store.c: cache layout, shared unpacked trees, staging and the atomic switch of a prefix. */
#define _GNU_SOURCE
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "str.h"

static int mkdir_p(const char *path, struct ge_err *err)
{
    char buf[PATH_MAX];
    if (ge_strlcpy(buf, path, sizeof buf) >= sizeof buf)
        return ge_err_set(err, GE_EXIT_FAILURE, "path too long: %s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return ge_err_set(err, GE_EXIT_FAILURE, "cannot create '%s': %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot create '%s': %s", buf, strerror(errno));
    return 0;
}

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
    if (ge_strlcpy(s->dir, dir, sizeof s->dir) >= sizeof s->dir)
        return ge_err_set(err, GE_EXIT_FAILURE, "cache path too long: %s", dir);
    char p[PATH_MAX];
    if (mkdir_p(dir, err) < 0)
        return -1;
    snprintf(p, sizeof p, "%s/archives", dir);
    if (mkdir_p(p, err) < 0)
        return -1;
    snprintf(p, sizeof p, "%s/trees", dir);
    return mkdir_p(p, err);
}

int ge_store_lock_file(const char *path, struct ge_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot open lock '%s': %s", path, strerror(errno));
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return ge_err_set(err, GE_EXIT_FAILURE, "cannot lock '%s': %s", path, strerror(e));
        }
    }
    return fd;
}

int ge_store_lock(struct ge_store *s, struct ge_err *err)
{
    if (s->lock_fd >= 0)
        return 0;
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/lock", s->dir);
    s->lock_fd = ge_store_lock_file(p, err);
    return s->lock_fd < 0 ? -1 : 0;
}

void ge_store_close(struct ge_store *s)
{
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* closing releases the flock */
    s->lock_fd = -1;
}

void ge_store_archive_path(const struct ge_store *s, const char *sha256, char *out, size_t size)
{
    snprintf(out, size, "%s/archives/%s", s->dir, sha256);
}

void ge_store_tree_path(const struct ge_store *s, const char *sha256, char *out, size_t size)
{
    snprintf(out, size, "%s/trees/%s", s->dir, sha256);
}

bool ge_store_has_archive(const struct ge_store *s, const char *sha256, uint64_t size)
{
    char p[PATH_MAX];
    struct stat st;
    ge_store_archive_path(s, sha256, p, sizeof p);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
}

bool ge_store_has_tree(const struct ge_store *s, const char *sha256)
{
    char p[PATH_MAX];
    struct stat st;
    ge_store_tree_path(s, sha256, p, sizeof p);
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int ge_store_remove_tree(const char *path, struct ge_err *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : ge_err_set(err, GE_EXIT_FAILURE, "cannot inspect '%s': %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) < 0)
            return ge_err_set(err, GE_EXIT_FAILURE, "cannot remove '%s': %s", path, strerror(errno));
        return 0;
    }
    /* a folder unpacked with read-only permissions must still be removable */
    chmod(path, (st.st_mode & 07777) | S_IRWXU);
    DIR *d = opendir(path);
    if (!d)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot open '%s': %s", path, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[PATH_MAX];
        if (ge_path_join(child, sizeof child, path, e->d_name) < 0)
            rc = ge_err_set(err, GE_EXIT_FAILURE, "path too long under '%s'", path);
        else
            rc = ge_store_remove_tree(child, err);
    }
    closedir(d);
    if (rc == 0 && rmdir(path) < 0)
        rc = ge_err_set(err, GE_EXIT_FAILURE, "cannot remove '%s': %s", path, strerror(errno));
    return rc;
}

int ge_store_unpack(struct ge_store *s, const char *sha256, struct ge_err *err)
{
    if (ge_store_has_tree(s, sha256))
        return 0;
    char archive[PATH_MAX], tree[PATH_MAX], tmp[PATH_MAX + 32];
    ge_store_archive_path(s, sha256, archive, sizeof archive);
    ge_store_tree_path(s, sha256, tree, sizeof tree);
    /* unique per process and per call: several threads may unpack at once */
    static unsigned long counter;
    unsigned long n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%lu", tree, (long)getpid(), n);
    struct ge_err ignore;
    ge_err_clear(&ignore);
    ge_store_remove_tree(tmp, &ignore);
    if (ge_extract(archive, tmp, NULL, err) < 0) {
        ge_store_remove_tree(tmp, &ignore);
        return -1;
    }
    if (rename(tmp, tree) < 0) {
        int e = errno;
        ge_store_remove_tree(tmp, &ignore);
        if ((e == EEXIST || e == ENOTEMPTY) && ge_store_has_tree(s, sha256))
            return 0; /* another process finished the same tree first */
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot move '%s' into place: %s", tmp, strerror(e));
    }
    return 0;
}

/* Hard link, else reflink, else copy (another file system, or no link rights). */
static int place_file(const char *from, const char *to, mode_t mode, struct ge_err *err)
{
    if (link(from, to) == 0)
        return 0;
    if (errno == EEXIST)
        return 1;
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot read '%s': %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
    if (out < 0) {
        int e = errno;
        close(in);
        if (e == EEXIST)
            return 1;
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot create '%s': %s", to, strerror(e));
    }
    int rc = 0;
    if (ioctl(out, FICLONE, in) != 0) {
        char buf[1 << 16];
        ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n) {
                rc = ge_err_set(err, GE_EXIT_FAILURE, "cannot write '%s': %s", to, strerror(errno));
                break;
            }
        if (n < 0 && rc == 0)
            rc = ge_err_set(err, GE_EXIT_FAILURE, "cannot read '%s': %s", from, strerror(errno));
    }
    close(in);
    if (close(out) < 0 && rc == 0)
        rc = ge_err_set(err, GE_EXIT_FAILURE, "cannot write '%s': %s", to, strerror(errno));
    return rc;
}

static bool same_file(const char *a, const char *b)
{
    struct stat x, y;
    if (stat(a, &x) < 0 || stat(b, &y) < 0)
        return false;
    if (x.st_dev == y.st_dev && x.st_ino == y.st_ino)
        return true;
    if (x.st_size != y.st_size)
        return false;
    FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
    bool same = f && g;
    char p[8192], q[8192];
    while (same) {
        size_t n = fread(p, 1, sizeof p, f), m = fread(q, 1, sizeof q, g);
        if (n != m || memcmp(p, q, n) != 0)
            same = false;
        if (n == 0)
            break;
    }
    if (f)
        fclose(f);
    if (g)
        fclose(g);
    return same;
}

static int merge(const char *from, const char *to, const char *name, bool top, struct ge_err *err)
{
    DIR *d = opendir(from);
    if (!d)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot open '%s': %s", from, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char src[PATH_MAX], dst[PATH_MAX], where[PATH_MAX];
        struct stat st;
        if (ge_path_join(src, sizeof src, from, e->d_name) < 0 || lstat(src, &st) < 0) {
            rc = ge_err_set(err, GE_EXIT_FAILURE, "cannot inspect '%s/%s'", from, e->d_name);
            break;
        }
        const char *dir = to;
        if (top && !S_ISDIR(st.st_mode)) {
            /* LICENSE, README, version.json: one folder per component */
            snprintf(where, sizeof where, "%s/share/doc/%s", to, name);
            if (mkdir_p(where, err) < 0) {
                rc = -1;
                break;
            }
            dir = where;
        }
        if (ge_path_join(dst, sizeof dst, dir, e->d_name) < 0) {
            rc = ge_err_set(err, GE_EXIT_FAILURE, "path too long under '%s'", dir);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (mkdir(dst, 0755) < 0 && errno != EEXIST)
                rc = ge_err_set(err, GE_EXIT_FAILURE, "cannot create '%s': %s", dst, strerror(errno));
            else
                rc = merge(src, dst, name, false, err);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX], have[PATH_MAX];
            ssize_t n = readlink(src, target, sizeof target - 1);
            if (n < 0) {
                rc = ge_err_set(err, GE_EXIT_FAILURE, "cannot read link '%s': %s", src, strerror(errno));
                break;
            }
            target[n] = '\0';
            if (symlink(target, dst) < 0) {
                ssize_t m = readlink(dst, have, sizeof have - 1);
                if (errno == EEXIST && m >= 0 && (have[m] = '\0', strcmp(have, target) == 0))
                    continue;
                rc = ge_err_set(err, GE_EXIT_BAD_DATA, "components collide at '%s' (a link to %s)", dst, target);
            }
        } else if (S_ISREG(st.st_mode)) {
            int r = place_file(src, dst, st.st_mode, err);
            if (r < 0)
                rc = -1;
            else if (r == 1 && !same_file(src, dst))
                rc = ge_err_set(err, GE_EXIT_BAD_DATA, "components collide at '%s': two different files", dst);
        }
    }
    closedir(d);
    return rc;
}

int ge_store_link_tree(const char *tree, const char *to, const char *name, struct ge_err *err)
{
    if (mkdir_p(to, err) < 0)
        return -1;
    return merge(tree, to, name, true, err);
}

int ge_store_commit(const char *staging, const char *prefix, struct ge_err *err)
{
    if (renameat2(AT_FDCWD, staging, AT_FDCWD, prefix, RENAME_EXCHANGE) == 0) {
        /* staging now holds the previous prefix */
        return ge_store_remove_tree(staging, err);
    }
    if (errno == ENOENT) { /* no previous prefix */
        if (rename(staging, prefix) == 0)
            return 0;
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot move '%s' to '%s': %s", staging, prefix, strerror(errno));
    }
    if (errno == EINVAL || errno == ENOSYS) {
        /* a file system without exchange: move the old one aside first */
        char old[PATH_MAX + 32];
        snprintf(old, sizeof old, "%s.old-%ld", prefix, (long)getpid());
        if (rename(prefix, old) < 0)
            return ge_err_set(err, GE_EXIT_FAILURE, "cannot move '%s' aside: %s", prefix, strerror(errno));
        if (rename(staging, prefix) < 0) {
            int e = errno;
            rename(old, prefix);
            return ge_err_set(err, GE_EXIT_FAILURE, "cannot move '%s' to '%s': %s", staging, prefix, strerror(e));
        }
        return ge_store_remove_tree(old, err);
    }
    return ge_err_set(err, GE_EXIT_FAILURE, "cannot switch '%s' into '%s': %s", staging, prefix, strerror(errno));
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
    ge_store_remove_tree(path, &ignore);
    return 0;
}

void ge_store_remove_leftovers(const char *base, const char *marker)
{
    ge_store_each_leftover(base, marker, remove_one, NULL);
}

void ge_store_remove_stale_trees(const struct ge_store *s)
{
    char trees[PATH_MAX];
    if (ge_fmt(trees, sizeof trees, "%s/trees/", s->dir) == 0)
        ge_store_remove_leftovers(trees, ".tmp-"); /* ge_store_unpack's names */
}
