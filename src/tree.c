/* tree.c: iterative, descriptor-relative walks of folder trees that never follow a link, and
 * what install builds on them: link checks, merging, removal, and the index of a cached tree. */
#define _GNU_SOURCE
#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "path.h"
#include "str.h"

/* ---- the walk ----
 * One open folder per level, entered with openat(O_NOFOLLOW) from its parent's descriptor, so
 * that no name is ever resolved through a link, whatever is renamed meanwhile. */

struct frame {
    DIR *d;
    size_t rel_len; /* length of walk.rel for this folder */
};

struct walk {
    struct frame f[GE_TREE_MAX_DEPTH + 1];
    int depth;                   /* the frame being read; the root is 0 */
    char rel[PATH_MAX];          /* the path, relative to the root, of the entry being visited */
    /* An entry of the folder at 'depth' (its descriptor dirfd): 0 go on, 1 descend into this
     * folder, -1 stop with err filled. */
    int (*visit)(struct walk *w, int dirfd, const char *name, const struct stat *st);
    /* After the entries of a folder that was descended into; rel is that folder, dirfd its
     * parent's descriptor. Optional. */
    int (*leave)(struct walk *w, int dirfd, const char *name);
    void *ud;
    struct ge_err *err;
    const char *root;
};

static int walk_run(struct walk *w, const char *root)
{
    w->root = root;
    w->depth = 0;
    w->rel[0] = '\0';
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ge_err_sys(w->err, errno, "cannot open '%s'", root);
    if (!(w->f[0].d = fdopendir(fd))) {
        int e = errno;
        close(fd);
        return ge_err_sys(w->err, e, "cannot read '%s'", root);
    }
    w->f[0].rel_len = 0;
    int rc = 0;
    while (rc == 0 && w->depth >= 0) {
        struct frame *fr = &w->f[w->depth];
        errno = 0;
        struct dirent *e = readdir(fr->d);
        if (!e) {
            if (errno) {
                rc = ge_err_sys(w->err, errno, "cannot read '%s/%s'", root, w->rel);
                break;
            }
            closedir(fr->d);
            fr->d = NULL;
            if (w->depth == 0) {
                w->depth = -1;
                break;
            }
            struct frame *up = &w->f[w->depth - 1];
            const char *name = w->rel + up->rel_len + (up->rel_len ? 1 : 0);
            w->depth--;
            if (w->leave)
                rc = w->leave(w, dirfd(up->d), name);
            w->rel[up->rel_len] = '\0';
            continue;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (ge_fmt(w->rel + fr->rel_len, sizeof w->rel - fr->rel_len, "%s%s", fr->rel_len ? "/" : "", e->d_name) < 0) {
            rc = ge_err_set(w->err, GE_EXIT_BAD_DATA, "a path under '%s' is too long", root);
            break;
        }
        struct stat st;
        int dfd = dirfd(fr->d);
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = ge_err_sys(w->err, errno, "cannot inspect '%s/%s'", root, w->rel);
            break;
        }
        int r = w->visit(w, dfd, e->d_name, &st);
        if (r < 0) {
            rc = -1;
            break;
        }
        if (r == 1 && S_ISDIR(st.st_mode)) {
            if (w->depth + 1 > GE_TREE_MAX_DEPTH) {
                rc = ge_err_set(w->err, GE_EXIT_BAD_DATA, "'%s/%s' is nested deeper than %d folders", root, w->rel,
                                GE_TREE_MAX_DEPTH);
                break;
            }
            int nfd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            DIR *nd = nfd >= 0 ? fdopendir(nfd) : NULL;
            if (!nd) {
                int er = errno;
                if (nfd >= 0)
                    close(nfd);
                rc = ge_err_sys(w->err, er, "cannot open '%s/%s'", root, w->rel);
                break;
            }
            w->depth++;
            w->f[w->depth].d = nd;
            w->f[w->depth].rel_len = strlen(w->rel);
            continue;
        }
        w->rel[fr->rel_len] = '\0';
    }
    for (int i = w->depth; i >= 0; i--)
        if (w->f[i].d) {
            closedir(w->f[i].d);
            w->f[i].d = NULL;
        }
    return rc;
}

/* ---- links resolve inside ---- */

enum resolved { INSIDE, ESCAPES, ABSOLUTE, LOOPS, TOO_LONG };

/* Resolve target, written in the folder dir (relative to the root rootfd), component by
 * component, following the tree's own links. */
static enum resolved resolve_inside(int rootfd, const char *dir, const char *target)
{
    char stack[PATH_MAX], rest[PATH_MAX * 2], link[PATH_MAX];
    if (target[0] == '/')
        return ABSOLUTE;
    if (ge_strlcpy(stack, dir, sizeof stack) >= sizeof stack || ge_strlcpy(rest, target, sizeof rest) >= sizeof rest)
        return TOO_LONG;
    size_t sl = strlen(stack);
    int hops = 0;
    const char *p = rest;
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        const char *c = p;
        p += n;
        if (n == 1 && c[0] == '.')
            continue;
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            if (sl == 0)
                return ESCAPES;
            char *slash = strrchr(stack, '/');
            sl = slash ? (size_t)(slash - stack) : 0;
            stack[sl] = '\0';
            continue;
        }
        size_t before = sl;
        if (sl + 1 + n >= sizeof stack)
            return TOO_LONG;
        if (sl)
            stack[sl++] = '/';
        memcpy(stack + sl, c, n);
        sl += n;
        stack[sl] = '\0';
        struct stat st;
        if (fstatat(rootfd, stack, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
            continue; /* a folder, a file, or missing (then the rest is read as text) */
        if (++hops > 40)
            return LOOPS;
        ssize_t ln = readlinkat(rootfd, stack, link, sizeof link - 1);
        if (ln < 0)
            continue;
        link[ln] = '\0';
        if (link[0] == '/')
            return ABSOLUTE;
        sl = before;
        stack[sl] = '\0';
        /* the link's target goes in front of what is left */
        char tail[PATH_MAX * 2];
        if (ge_fmt(tail, sizeof tail, "%s/%s", link, p) < 0)
            return TOO_LONG;
        memcpy(rest, tail, strlen(tail) + 1);
        p = rest;
    }
    return INSIDE;
}

struct links_ctx {
    int rootfd;
    const char *what;
};

static int links_visit(struct walk *w, int dirfd, const char *name, const struct stat *st)
{
    struct links_ctx *c = w->ud;
    if (S_ISDIR(st->st_mode))
        return 1;
    if (!S_ISLNK(st->st_mode))
        return 0;
    char target[PATH_MAX];
    ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
    if (n < 0)
        return ge_err_sys(w->err, errno, "cannot read the link '%s/%s'", w->root, w->rel);
    target[n] = '\0';
    char dir[PATH_MAX];
    ge_strlcpy(dir, w->rel, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        dir[0] = '\0';
    static const char *const why[] = {
        [ESCAPES] = "resolves outside",
        [ABSOLUTE] = "points to an absolute path",
        [LOOPS] = "loops (more than 40 links deep)",
        [TOO_LONG] = "resolves to a path too long",
    };
    enum resolved r = resolve_inside(c->rootfd, dir, target);
    if (r == INSIDE)
        return 0;
    ge_err_set(w->err, GE_EXIT_BAD_DATA, "refusing %s: the symbolic link '%s' -> '%s' %s%s", c->what, w->rel, target,
               why[r], r == ESCAPES ? " the tree" : "");
    ge_err_hint(w->err, "the archive is not what NVIDIA publishes: install from NVIDIA's own origin, or tell the "
                        "mirror's keeper");
    return -1;
}

int ge_tree_check_links(const char *root, const char *what, struct ge_err *err)
{
    struct links_ctx c = {open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), what};
    if (c.rootfd < 0)
        return ge_err_sys(err, errno, "cannot open '%s'", root);
    struct walk *w = calloc(1, sizeof *w);
    if (!w) {
        close(c.rootfd);
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    }
    w->visit = links_visit;
    w->ud = &c;
    w->err = err;
    int rc = walk_run(w, root);
    free(w);
    close(c.rootfd);
    return rc;
}

/* ---- copying a file ---- */

static int write_all(int fd, const char *p, size_t n, off_t off, const char *to, struct ge_err *err)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return ge_err_sys(err, errno, "cannot write '%s'", to);
        if (w == 0)
            return ge_err_sys(err, ENOSPC, "cannot write '%s'", to);
        p += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

int ge_copy_fd(int in, int out, uint64_t size, const char *to, struct ge_err *err)
{
    if (ioctl(out, FICLONE, in) == 0)
        return 0;
    enum { BLOCK = 1 << 17 };
    char *buf = malloc(BLOCK);
    if (!buf)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    int rc = 0;
    off_t pos = 0, end = (off_t)size;
    while (rc == 0 && pos < end) {
        off_t data = lseek(in, pos, SEEK_DATA), hole;
        if (data < 0 && errno == ENXIO)
            break; /* only a hole is left */
        if (data < 0) {
            data = pos; /* no SEEK_DATA here: copy everything */
            hole = end;
        } else if ((hole = lseek(in, data, SEEK_HOLE)) < 0 || hole > end) {
            hole = end;
        }
        for (off_t off = data; rc == 0 && off < hole;) {
            size_t want = (size_t)(hole - off) < BLOCK ? (size_t)(hole - off) : BLOCK;
            ssize_t r = pread(in, buf, want, off);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                rc = ge_err_sys(err, errno, "cannot read the source of '%s'", to);
                break;
            }
            if (r == 0) {
                rc = ge_err_set(err, GE_EXIT_FAILURE, "the source of '%s' shrank while it was copied", to);
                break;
            }
            rc = write_all(out, buf, (size_t)r, off, to, err);
            off += r;
        }
        pos = hole;
    }
    free(buf);
    if (rc == 0 && ftruncate(out, end) < 0)
        rc = ge_err_sys(err, errno, "cannot write '%s'", to);
    return rc;
}

/* ---- merging ---- */

struct merge_ctx {
    const char *to;
    const char *doc;
    int dst[GE_TREE_MAX_DEPTH + 2]; /* the destination folder of each level */
    int docfd;                      /* share/doc/<doc>, opened when the first top-level file comes */
    char *buf_a, *buf_b;            /* for comparing files */
    struct ge_tree_placed *placed;  /* or NULL */
};

/* Open (making it) the folder name under dirfd, never through a link. */
static int open_dir_at(int dirfd, const char *name, bool *conflict)
{
    *conflict = false;
    if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
        return -1;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
        *conflict = true;
    return fd;
}

static bool same_content(struct merge_ctx *c, int afd, const char *an, int bfd, const char *bn)
{
    struct stat a, b;
    if (fstatat(afd, an, &a, AT_SYMLINK_NOFOLLOW) < 0 || fstatat(bfd, bn, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISREG(a.st_mode) || !S_ISREG(b.st_mode))
        return false;
    if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return true;
    if (a.st_size != b.st_size)
        return false;
    int x = openat(afd, an, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), y = openat(bfd, bn, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    bool same = x >= 0 && y >= 0;
    while (same) {
        ssize_t n = read(x, c->buf_a, 1 << 16), m = n > 0 ? read(y, c->buf_b, (size_t)n) : 0;
        if (n < 0 || n != m || memcmp(c->buf_a, c->buf_b, n > 0 ? (size_t)n : 0) != 0)
            same = false;
        if (n <= 0)
            break;
    }
    if (x >= 0)
        close(x);
    if (y >= 0)
        close(y);
    return same;
}

static int place_file(struct walk *w, struct merge_ctx *c, int sfd, const char *name, int dfd, const char *shown,
                      const struct stat *st)
{
    struct ge_tree_placed ignore = {0, 0, 0, 0, 0}, *pl = c->placed ? c->placed : &ignore;
    if (linkat(sfd, name, dfd, name, 0) == 0) {
        pl->linked++;
        return 0;
    }
    int e = errno;
    if (e != EEXIST) {
        if (e != EXDEV && e != EPERM && e != EMLINK && e != EACCES && e != EOPNOTSUPP)
            return ge_err_sys(w->err, e, "cannot link '%s'", shown);
        /* another file system, or no right to link: a reflink where blocks can be shared, else
         * a copy */
        if (!pl->why)
            pl->why = e;
        int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
            return ge_err_sys(w->err, errno, "cannot read '%s/%s'", w->root, w->rel);
        int out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0) {
            int oe = errno;
            close(in);
            if (oe != EEXIST)
                return ge_err_sys(w->err, oe, "cannot create '%s'", shown);
        } else {
            int rc = 0;
            if (ioctl(out, FICLONE, in) == 0) {
                pl->reflinked++;
            } else {
                rc = ge_copy_fd(in, out, (uint64_t)st->st_size, shown, w->err);
                pl->copied++;
                pl->copied_bytes += (uint64_t)st->st_size;
            }
            if (rc == 0 && fchmod(out, st->st_mode & 0555) < 0)
                rc = ge_err_sys(w->err, errno, "cannot set the mode of '%s'", shown);
            if (close(out) < 0 && rc == 0)
                rc = ge_err_sys(w->err, errno, "cannot write '%s'", shown);
            close(in);
            if (rc < 0)
                unlinkat(dfd, name, 0);
            return rc;
        }
    }
    if (same_content(c, sfd, name, dfd, name))
        return 0;
    return ge_err_set(w->err, GE_EXIT_BAD_DATA, "components collide at '%s': two different files", shown);
}

static int merge_visit(struct walk *w, int sfd, const char *name, const struct stat *st)
{
    struct merge_ctx *c = w->ud;
    int dfd = c->dst[w->depth];
    bool conflict;
    if (w->depth == 0 && !S_ISDIR(st->st_mode)) {
        /* LICENSE, README, version.json: one folder per component */
        if (c->docfd < 0) {
            int share = open_dir_at(c->dst[0], "share", &conflict);
            int doc = share >= 0 ? open_dir_at(share, "doc", &conflict) : -1;
            c->docfd = doc >= 0 ? open_dir_at(doc, c->doc, &conflict) : -1;
            int e = errno;
            if (share >= 0)
                close(share);
            if (doc >= 0)
                close(doc);
            if (c->docfd < 0)
                return conflict ? ge_err_set(w->err, GE_EXIT_BAD_DATA, "components collide at '%s/share/doc/%s'", c->to,
                                             c->doc)
                                : ge_err_sys(w->err, e, "cannot create '%s/share/doc/%s'", c->to, c->doc);
        }
        dfd = c->docfd;
    }
    char shown[PATH_MAX + 128];
    if (w->depth == 0 && !S_ISDIR(st->st_mode))
        snprintf(shown, sizeof shown, "%s/share/doc/%s/%s", c->to, c->doc, name);
    else
        snprintf(shown, sizeof shown, "%s/%s", c->to, w->rel);
    if (S_ISDIR(st->st_mode)) {
        int fd = open_dir_at(dfd, name, &conflict);
        if (fd < 0)
            return conflict ? ge_err_set(w->err, GE_EXIT_BAD_DATA,
                                         "components collide at '%s': a folder in one, a link or file in another", shown)
                            : ge_err_sys(w->err, errno, "cannot create '%s'", shown);
        c->dst[w->depth + 1] = fd;
        return 1;
    }
    if (S_ISLNK(st->st_mode)) {
        char target[PATH_MAX], have[PATH_MAX];
        ssize_t n = readlinkat(sfd, name, target, sizeof target - 1);
        if (n < 0)
            return ge_err_sys(w->err, errno, "cannot read the link '%s/%s'", w->root, w->rel);
        target[n] = '\0';
        if (symlinkat(target, dfd, name) == 0)
            return 0;
        int e = errno;
        ssize_t m = e == EEXIST ? readlinkat(dfd, name, have, sizeof have - 1) : -1;
        if (m >= 0 && (have[m] = '\0', strcmp(have, target) == 0))
            return 0;
        if (e != EEXIST)
            return ge_err_sys(w->err, e, "cannot create the link '%s'", shown);
        return ge_err_set(w->err, GE_EXIT_BAD_DATA, "components collide at '%s' (a link to %s)", shown, target);
    }
    if (S_ISREG(st->st_mode))
        return place_file(w, c, sfd, name, dfd, shown, st) < 0 ? -1 : 0;
    return ge_err_set(w->err, GE_EXIT_BAD_DATA, "'%s/%s' is neither a file, a folder nor a link", w->root, w->rel);
}

static int merge_leave(struct walk *w, int dirfd, const char *name)
{
    (void)dirfd, (void)name;
    struct merge_ctx *c = w->ud;
    close(c->dst[w->depth + 1]);
    c->dst[w->depth + 1] = -1;
    return 0;
}

int ge_tree_merge(const char *tree, const char *to, const char *doc, struct ge_err *err)
{
    return ge_tree_merge_counted(tree, to, doc, NULL, err);
}

int ge_tree_merge_counted(const char *tree, const char *to, const char *doc, struct ge_tree_placed *placed,
                          struct ge_err *err)
{
    if (!ge_name_safe(doc))
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s' is not a safe component name", doc);
    if (ge_mkdir_p(to) < 0)
        return ge_err_sys(err, errno, "cannot create '%s'", to);
    struct merge_ctx *c = calloc(1, sizeof *c);
    struct walk *w = calloc(1, sizeof *w);
    int rc = -1;
    if (!c || !w || !(c->buf_a = malloc(1 << 16)) || !(c->buf_b = malloc(1 << 16))) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < sizeof c->dst / sizeof c->dst[0]; i++)
        c->dst[i] = -1;
    c->docfd = -1;
    c->to = to;
    c->doc = doc;
    c->placed = placed;
    if ((c->dst[0] = open(to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        ge_err_sys(err, errno, "cannot open '%s'", to);
        goto out;
    }
    w->visit = merge_visit;
    w->leave = merge_leave;
    w->ud = c;
    w->err = err;
    rc = walk_run(w, tree);
out:
    if (c) {
        for (size_t i = 0; i < sizeof c->dst / sizeof c->dst[0]; i++)
            if (c->dst[i] >= 0)
                close(c->dst[i]);
        if (c->docfd >= 0)
            close(c->docfd);
        free(c->buf_a);
        free(c->buf_b);
    }
    free(c);
    free(w);
    return rc;
}

/* ---- removing ---- */

static int remove_visit(struct walk *w, int dirfd, const char *name, const struct stat *st)
{
    if (S_ISDIR(st->st_mode)) {
        /* a folder unpacked read-only must still be emptied */
        if ((st->st_mode & S_IRWXU) != S_IRWXU && fchmodat(dirfd, name, (st->st_mode & 07777) | S_IRWXU, 0) < 0)
            return ge_err_sys(w->err, errno, "cannot remove '%s/%s'", w->root, w->rel);
        return 1;
    }
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
        return ge_err_sys(w->err, errno, "cannot remove '%s/%s'", w->root, w->rel);
    return 0;
}

static int remove_leave(struct walk *w, int dirfd, const char *name)
{
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return ge_err_sys(w->err, errno, "cannot remove '%s/%s'", w->root, w->rel);
    return 0;
}

int ge_tree_remove(const char *path, struct ge_err *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : ge_err_sys(err, errno, "cannot inspect '%s'", path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) < 0 && errno != ENOENT)
            return ge_err_sys(err, errno, "cannot remove '%s'", path);
        return 0;
    }
    if ((st.st_mode & S_IRWXU) != S_IRWXU && chmod(path, (st.st_mode & 07777) | S_IRWXU) < 0)
        return ge_err_sys(err, errno, "cannot remove '%s'", path);
    struct walk *w = calloc(1, sizeof *w);
    if (!w)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    w->visit = remove_visit;
    w->leave = remove_leave;
    w->err = err;
    int rc = walk_run(w, path);
    free(w);
    if (rc == 0 && rmdir(path) < 0 && errno != ENOENT)
        rc = ge_err_sys(err, errno, "cannot remove '%s'", path);
    return rc;
}

/* ---- the index ----
 * A text file: "gpuenv-tree 1", then one line per entry, sorted by path, fields separated by
 * tabs (names with control characters are refused when archives are unpacked):
 *   d <mode>                               <path>
 *   f <mode> <size> <mtime s.ns> <sha256>  <path>
 *   l                                      <path> <target>
 * The modification time and size change with any write to a file (hard links share the inode),
 * so the quick check catches edits without reading a byte; the full check reads every file. */

#define INDEX_MAGIC "gpuenv-tree 1\n"

struct rec {
    char type;           /* 'd', 'f', 'l' */
    unsigned mode;
    uint64_t size;
    long long mt_s;
    long mt_ns;
    char sha[GE_SHA256_HEX];
    char *path;          /* owned (index building) or pointing into the index text (verifying) */
    char *target;
    bool seen;
};

struct index_ctx {
    struct rec *r;
    size_t n, cap;
    char *buf;           /* for hashing */
    bool owned;          /* paths are strdup'ed */
    enum ge_tree_check how;
    size_t visited;
};

static int hash_at(struct walk *w, char *buf, int dirfd, const char *name, char out[GE_SHA256_HEX])
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ge_err_sys(w->err, errno, "cannot read '%s/%s'", w->root, w->rel);
    struct ge_sha256 s;
    int rc = ge_sha256_init(&s, w->err);
    while (rc == 0) {
        ssize_t n = read(fd, buf, 1 << 17);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = ge_err_sys(w->err, errno, "cannot read '%s/%s'", w->root, w->rel);
        if (n <= 0)
            break;
        rc = ge_sha256_update(&s, buf, (size_t)n, w->err);
    }
    if (rc == 0)
        rc = ge_sha256_final(&s, out, w->err);
    else
        ge_sha256_fini(&s);
    close(fd);
    return rc;
}

static int fill_rec(struct walk *w, struct index_ctx *c, int dirfd, const char *name, const struct stat *st,
                    struct rec *r, bool hash)
{
    memset(r, 0, sizeof *r);
    r->mode = (unsigned)(st->st_mode & 07777);
    if (S_ISDIR(st->st_mode)) {
        r->type = 'd';
    } else if (S_ISREG(st->st_mode)) {
        r->type = 'f';
        r->size = (uint64_t)st->st_size;
        r->mt_s = (long long)st->st_mtim.tv_sec;
        r->mt_ns = st->st_mtim.tv_nsec;
        if (hash && hash_at(w, c->buf, dirfd, name, r->sha) < 0)
            return -1;
    } else if (S_ISLNK(st->st_mode)) {
        r->type = 'l';
        r->mode = 0;
        char t[PATH_MAX];
        ssize_t n = readlinkat(dirfd, name, t, sizeof t - 1);
        if (n < 0)
            return ge_err_sys(w->err, errno, "cannot read the link '%s/%s'", w->root, w->rel);
        t[n] = '\0';
        if (!(r->target = strdup(t)))
            return ge_err_set(w->err, GE_EXIT_FAILURE, "out of memory");
    } else {
        return ge_err_set(w->err, GE_EXIT_BAD_DATA, "'%s/%s' is neither a file, a folder nor a link", w->root, w->rel);
    }
    return 0;
}

static int index_visit(struct walk *w, int dirfd, const char *name, const struct stat *st)
{
    struct index_ctx *c = w->ud;
    if (ge_has_control(w->rel))
        return ge_err_set(w->err, GE_EXIT_BAD_DATA, "a name under '%s' holds a control character", w->root);
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 256;
        struct rec *p = realloc(c->r, nc * sizeof *p);
        if (!p)
            return ge_err_set(w->err, GE_EXIT_FAILURE, "out of memory");
        c->r = p;
        c->cap = nc;
    }
    struct rec *r = &c->r[c->n];
    if (fill_rec(w, c, dirfd, name, st, r, true) < 0)
        return -1;
    if (!(r->path = strdup(w->rel))) {
        free(r->target);
        return ge_err_set(w->err, GE_EXIT_FAILURE, "out of memory");
    }
    c->n++;
    if (r->type == 'l' && ge_has_control(r->target))
        return ge_err_set(w->err, GE_EXIT_BAD_DATA, "the link '%s/%s' holds a control character", w->root, w->rel);
    return S_ISDIR(st->st_mode) ? 1 : 0;
}

static int rec_cmp(const void *a, const void *b)
{
    return strcmp(((const struct rec *)a)->path, ((const struct rec *)b)->path);
}

static void index_fini(struct index_ctx *c)
{
    for (size_t i = 0; c->owned && i < c->n; i++) {
        free(c->r[i].path);
        free(c->r[i].target);
    }
    free(c->r);
    free(c->buf);
}

int ge_tree_index(const char *root, const char *index, struct ge_err *err)
{
    struct index_ctx c = {NULL, 0, 0, malloc(1 << 17), true, GE_TREE_FULL, 0};
    struct walk *w = calloc(1, sizeof *w);
    struct ge_buf out;
    ge_buf_init(&out);
    int rc = -1;
    if (!w || !c.buf) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto done;
    }
    w->visit = index_visit;
    w->ud = &c;
    w->err = err;
    if (walk_run(w, root) < 0)
        goto done;
    if (c.n)
        qsort(c.r, c.n, sizeof *c.r, rec_cmp);
    int bad = ge_buf_adds(&out, INDEX_MAGIC);
    for (size_t i = 0; i < c.n && bad == 0; i++) {
        const struct rec *r = &c.r[i];
        if (r->type == 'd')
            bad = ge_buf_addf(&out, "d\t%04o\t-\t-\t-\t%s\n", r->mode, r->path);
        else if (r->type == 'f')
            bad = ge_buf_addf(&out, "f\t%04o\t%llu\t%lld.%09ld\t%s\t%s\n", r->mode, (unsigned long long)r->size, r->mt_s,
                              r->mt_ns, r->sha, r->path);
        else
            bad = ge_buf_addf(&out, "l\t-\t-\t-\t-\t%s\t%s\n", r->path, r->target);
    }
    if (bad < 0) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto done;
    }
    if (ge_write_file(index, out.data, out.len) < 0) {
        ge_err_sys(err, errno, "cannot write '%s'", index);
        goto done;
    }
    rc = 0;
done:
    index_fini(&c);
    free(w);
    ge_buf_fini(&out);
    return rc;
}

/* Split one index line into c->r; 0, or -1 for a malformed line. */
static int parse_line(char *line, struct rec *r)
{
    char *f[7];
    int n = 0;
    for (char *p = line; n < 7;) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    memset(r, 0, sizeof *r);
    if (n < 6 || strlen(f[0]) != 1 || !f[5][0])
        return -1;
    r->type = f[0][0];
    r->path = f[5];
    char *end;
    if (r->type == 'l') {
        if (n != 7 || !f[6][0])
            return -1;
        r->target = f[6];
        return 0;
    }
    if (n != 6)
        return -1;
    unsigned long mode = strtoul(f[1], &end, 8);
    if (*end || end == f[1] || mode > 07777)
        return -1;
    r->mode = (unsigned)mode;
    if (r->type == 'd')
        return 0;
    if (r->type != 'f')
        return -1;
    r->size = strtoull(f[2], &end, 10);
    if (*end || end == f[2])
        return -1;
    r->mt_s = strtoll(f[3], &end, 10);
    if (*end != '.')
        return -1;
    char *ns = end + 1;
    r->mt_ns = strtol(ns, &end, 10);
    if (*end || end == ns || r->mt_ns < 0 || r->mt_ns > 999999999)
        return -1;
    if (!ge_sha256_valid(f[4]))
        return -1;
    memcpy(r->sha, f[4], GE_SHA256_HEX);
    return 0;
}

static int verify_visit(struct walk *w, int dirfd, const char *name, const struct stat *st)
{
    struct index_ctx *c = w->ud;
    struct rec key;
    key.path = w->rel;
    struct rec *want = c->n ? bsearch(&key, c->r, c->n, sizeof *c->r, rec_cmp) : NULL; /* r is NULL when empty */
    if (!want || want->seen)
        return ge_err_set(w->err, GE_EXIT_BAD_DATA, "'%s/%s' was not in the archive", w->root, w->rel);
    want->seen = true;
    c->visited++;
    struct rec have;
    if (fill_rec(w, c, dirfd, name, st, &have, c->how == GE_TREE_FULL && S_ISREG(st->st_mode)) < 0)
        return -1;
    const char *why = NULL;
    if (have.type != want->type)
        why = "is of another kind";
    else if (have.mode != want->mode)
        why = "has another mode";
    else if (have.type == 'f' && have.size != want->size)
        why = "has another size";
    else if (have.type == 'f' && (have.mt_s != want->mt_s || have.mt_ns != want->mt_ns))
        why = "was modified";
    else if (have.type == 'f' && c->how == GE_TREE_FULL && strcmp(have.sha, want->sha) != 0)
        why = "has other contents";
    else if (have.type == 'l' && strcmp(have.target, want->target) != 0)
        why = "points elsewhere";
    free(have.target);
    if (why)
        return ge_err_set(w->err, GE_EXIT_BAD_DATA, "'%s/%s' %s than when it was unpacked", w->root, w->rel, why);
    return S_ISDIR(st->st_mode) ? 1 : 0;
}

/* Read the index file into c (its records point into *text, which the caller frees). */
static int load_index(const char *root, const char *index, struct index_ctx *c, char **text, struct ge_err *err)
{
    size_t len;
    *text = ge_read_file(index, 256u << 20, &len);
    if (!*text) {
        if (errno == ENOENT)
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s' has no index", root);
        return ge_err_sys(err, errno, "cannot read '%s'", index);
    }
    if (strlen(*text) != len || strncmp(*text, INDEX_MAGIC, strlen(INDEX_MAGIC)) != 0)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "the index of '%s' is damaged", root);
    for (char *p = *text + strlen(INDEX_MAGIC); *p;) {
        char *nl = strchr(p, '\n');
        if (!nl)
            return ge_err_set(err, GE_EXIT_BAD_DATA, "the index of '%s' is damaged", root);
        *nl = '\0';
        if (c->n == c->cap) {
            size_t nc = c->cap ? 2 * c->cap : 256;
            struct rec *q = realloc(c->r, nc * sizeof *q);
            if (!q)
                return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
            c->r = q;
            c->cap = nc;
        }
        if (parse_line(p, &c->r[c->n]) < 0 || (c->n > 0 && strcmp(c->r[c->n - 1].path, c->r[c->n].path) >= 0))
            return ge_err_set(err, GE_EXIT_BAD_DATA, "the index of '%s' is damaged", root);
        c->n++;
        p = nl + 1;
    }
    return 0;
}

int ge_tree_check_placed(const char *index, const char *prefix, const char *doc, enum ge_tree_check how,
                         struct ge_tree_diff *diff, struct ge_err *err)
{
    memset(diff, 0, sizeof *diff);
    struct index_ctx c = {NULL, 0, 0, how == GE_TREE_FULL ? malloc(1 << 17) : NULL, false, how, 0};
    char *text = NULL;
    struct walk *w = calloc(1, sizeof *w);
    int rc = -1;
    if (!w || (how == GE_TREE_FULL && !c.buf)) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto done;
    }
    w->err = err;
    w->root = prefix;
    if (load_index(index, index, &c, &text, err) < 0)
        goto done;
    int pfd = open(prefix, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0) {
        ge_err_sys(err, errno, "cannot open '%s'", prefix);
        goto done;
    }
    rc = 0;
    for (size_t i = 0; i < c.n && rc == 0; i++) {
        const struct rec *r = &c.r[i];
        if (r->type != 'f')
            continue;
        char rel[PATH_MAX];
        /* where ge_tree_merge put it: files at the top of a tree go to share/doc/<doc>/ */
        if (ge_fmt(rel, sizeof rel, strchr(r->path, '/') ? "%s" : "share/doc/%s/%s", strchr(r->path, '/') ? r->path : doc,
                   r->path) < 0)
            continue;
        diff->files++;
        const char *why = NULL;
        struct stat st;
        if (fstatat(pfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
            why = "is missing";
        else if (!S_ISREG(st.st_mode))
            why = "is no longer a file";
        else if ((uint64_t)st.st_size != r->size)
            why = "has another size";
        else if (how == GE_TREE_FULL) {
            char sha[GE_SHA256_HEX];
            ge_strlcpy(w->rel, rel, sizeof w->rel);
            if (hash_at(w, c.buf, pfd, rel, sha) < 0)
                rc = -1;
            else if (strcmp(sha, r->sha) != 0)
                why = "has other contents";
        }
        if (why) {
            if (!strcmp(why, "is missing"))
                diff->missing++;
            else
                diff->changed++;
            if (!diff->first[0]) {
                ge_strlcpy(diff->first, rel, sizeof diff->first);
                ge_strlcpy(diff->first_why, why, sizeof diff->first_why);
            }
        }
    }
    close(pfd);
done:
    index_fini(&c);
    free(text);
    free(w);
    return rc;
}

int ge_tree_verify(const char *root, const char *index, enum ge_tree_check how, struct ge_err *err)
{
    struct index_ctx c = {NULL, 0, 0, how == GE_TREE_FULL ? malloc(1 << 17) : NULL, false, how, 0};
    char *text = NULL;
    struct walk *w = calloc(1, sizeof *w);
    int rc = -1;
    if (!w || (how == GE_TREE_FULL && !c.buf)) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto done;
    }
    if (load_index(root, index, &c, &text, err) < 0)
        goto done;
    w->visit = verify_visit;
    w->ud = &c;
    w->err = err;
    if (walk_run(w, root) < 0)
        goto done;
    for (size_t i = 0; i < c.n; i++)
        if (!c.r[i].seen) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "'%s/%s' is missing", root, c.r[i].path);
            goto done;
        }
    rc = 0;
done:
    index_fini(&c);
    free(w);
    free(text);
    return rc;
}
