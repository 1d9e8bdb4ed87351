/* extract.c: libarchive into a staging folder, every entry checked before it is written. */
#define _GNU_SOURCE
#include "extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lazy.h"
#include "path.h"
#include "str.h"
#include "tree.h"

static struct {
    __typeof__(&archive_read_new) read_new;
    __typeof__(&archive_read_support_filter_all) read_support_filter_all;
    __typeof__(&archive_read_support_format_tar) read_support_format_tar;
    __typeof__(&archive_read_support_format_zip) read_support_format_zip;
    __typeof__(&archive_read_open_filename) read_open_filename;
    __typeof__(&archive_read_next_header) read_next_header;
    __typeof__(&archive_read_data_block) read_data_block;
    __typeof__(&archive_read_free) read_free;
    __typeof__(&archive_error_string) error_string;
    __typeof__(&archive_entry_pathname) entry_pathname;
    __typeof__(&archive_entry_set_pathname) entry_set_pathname;
    __typeof__(&archive_entry_hardlink) entry_hardlink;
    __typeof__(&archive_entry_set_hardlink) entry_set_hardlink;
    __typeof__(&archive_entry_symlink) entry_symlink;
    __typeof__(&archive_entry_filetype) entry_filetype;
    __typeof__(&archive_entry_perm) entry_perm;
    __typeof__(&archive_entry_set_perm) entry_set_perm;
    __typeof__(&archive_entry_size) entry_size;
    __typeof__(&archive_entry_size_is_set) entry_size_is_set;
    __typeof__(&archive_filter_bytes) filter_bytes;
    __typeof__(&archive_errno) errno_of;
    __typeof__(&archive_write_disk_new) write_disk_new;
    __typeof__(&archive_write_disk_set_options) write_disk_set_options;
    __typeof__(&archive_write_header) write_header;
    __typeof__(&archive_write_data_block) write_data_block;
    __typeof__(&archive_write_finish_entry) write_finish_entry;
    __typeof__(&archive_write_close) write_close;
    __typeof__(&archive_write_free) write_free;
} la;

static const struct ge_lazy_sym la_syms[] = {
    {"archive_read_new", (void **)&la.read_new},
    {"archive_read_support_filter_all", (void **)&la.read_support_filter_all},
    {"archive_read_support_format_tar", (void **)&la.read_support_format_tar},
    {"archive_read_support_format_zip", (void **)&la.read_support_format_zip},
    {"archive_read_open_filename", (void **)&la.read_open_filename},
    {"archive_read_next_header", (void **)&la.read_next_header},
    {"archive_read_data_block", (void **)&la.read_data_block},
    {"archive_read_free", (void **)&la.read_free},
    {"archive_error_string", (void **)&la.error_string},
    {"archive_entry_pathname", (void **)&la.entry_pathname},
    {"archive_entry_set_pathname", (void **)&la.entry_set_pathname},
    {"archive_entry_hardlink", (void **)&la.entry_hardlink},
    {"archive_entry_set_hardlink", (void **)&la.entry_set_hardlink},
    {"archive_entry_symlink", (void **)&la.entry_symlink},
    {"archive_entry_filetype", (void **)&la.entry_filetype},
    {"archive_entry_perm", (void **)&la.entry_perm},
    {"archive_entry_set_perm", (void **)&la.entry_set_perm},
    {"archive_entry_size", (void **)&la.entry_size},
    {"archive_entry_size_is_set", (void **)&la.entry_size_is_set},
    {"archive_filter_bytes", (void **)&la.filter_bytes},
    {"archive_errno", (void **)&la.errno_of},
    {"archive_write_disk_new", (void **)&la.write_disk_new},
    {"archive_write_disk_set_options", (void **)&la.write_disk_set_options},
    {"archive_write_header", (void **)&la.write_header},
    {"archive_write_data_block", (void **)&la.write_data_block},
    {"archive_write_finish_entry", (void **)&la.write_finish_entry},
    {"archive_write_close", (void **)&la.write_close},
    {"archive_write_free", (void **)&la.write_free},
    {NULL, NULL},
};

static struct ge_lazy_lib libarchive = {"libarchive.so.13", "libarchive13", la_syms, 0};

int ge_extract_prepare(struct ge_err *err)
{
    return ge_lazy_load(&libarchive, err);
}

struct ge_extract_limits ge_extract_limits_for(uint64_t archive_size, unsigned ratio)
{
    struct ge_extract_limits l;
    uint64_t r = ratio ? ratio : GE_EXTRACT_RATIO;
    l.max_bytes = archive_size > (UINT64_MAX - GE_EXTRACT_SLACK) / r ? UINT64_MAX : GE_EXTRACT_SLACK + r * archive_size;
    l.max_entries = GE_EXTRACT_MAX_ENTRIES;
    return l;
}

/* "top/a/b" -> "a/b" when top matches; "" for the top folder itself; NULL when outside. */
static const char *strip_top(const char *path, const char *top)
{
    size_t tl = strlen(top);
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    if (strncmp(path, top, tl) != 0 || (path[tl] != '/' && path[tl] != '\0'))
        return NULL;
    path += tl;
    while (*path == '/')
        path++;
    return path;
}

static int refuse(struct ge_err *err, const char *shown, const char *entry, const char *why)
{
    size_t n = strlen(entry);
    if (n > 160) /* the start and the end say which entry; the message must keep the reason */
        ge_err_set(err, GE_EXIT_BAD_DATA, "refusing %s: entry '%.60s...%s' %s", shown, entry, entry + n - 80, why);
    else
        ge_err_set(err, GE_EXIT_BAD_DATA, "refusing %s: entry '%s' %s", shown, entry, why);
    ge_err_hint(err, "the archive is not what NVIDIA publishes: install from NVIDIA's own origin, or tell the "
                     "mirror's keeper");
    return -1;
}

static int depth_of(const char *rel)
{
    int d = 0;
    for (const char *p = rel; *p; p++)
        d += *p == '/';
    return rel[0] ? d + 1 : 0;
}

/* A write failed: the disk may be full; libarchive's own words otherwise. */
static int write_failed(struct ge_err *err, struct archive *out, const char *what, const char *path)
{
    int e = la.errno_of(out);
    if (e == ENOSPC || e == EDQUOT)
        return ge_err_sys(err, e, "cannot %s '%s'", what, path);
    return ge_err_set(err, GE_EXIT_FAILURE, "cannot %s '%s': %s", what, path, la.error_string(out));
}

static void add_progress(uint64_t *progress, struct archive *in, uint64_t *seen)
{
    if (!progress)
        return;
    la_int64_t now = la.filter_bytes(in, -1);
    if (now > 0 && (uint64_t)now > *seen) {
        __atomic_fetch_add(progress, (uint64_t)now - *seen, __ATOMIC_RELAXED);
        *seen = (uint64_t)now;
    }
}

int ge_extract(const char *archive, const char *shown, const char *dir, const struct ge_extract_limits *limits,
               uint64_t *progress, struct ge_extract_stats *stats, struct ge_err *err)
{
    struct ge_extract_stats st = {0, 0, 0, 0};
    struct ge_extract_limits lim = {0, 0};
    if (limits)
        lim = *limits;
    if (ge_lazy_load(&libarchive, err) < 0)
        return -1;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return ge_err_sys(err, errno, "cannot create '%s'", dir);
    struct archive *in = la.read_new(), *out = la.write_disk_new();
    int rc = -1;
    uint64_t seen = 0, entries = 0;
    const char *base = shown;
    if (!base) {
        base = strrchr(archive, '/');
        base = base ? base + 1 : archive;
    }
    if (!in || !out) {
        ge_err_set(err, GE_EXIT_FAILURE, "libarchive could not start");
        goto done;
    }
    la.read_support_filter_all(in);
    la.read_support_format_tar(in);
    la.read_support_format_zip(in);
    /* Defence in depth behind the checks below: never follow a symlink on the way to an entry,
     * never accept "..", keep the (masked) permissions but not owners. */
    la.write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                       ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME);
    if (la.read_open_filename(in, archive, 1 << 16) != ARCHIVE_OK) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s is damaged or not an archive: %s", base, la.error_string(in));
        ge_err_hint(err, "remove it from the cache and fetch it again");
        goto done;
    }
    char top[PATH_MAX] = "";
    struct archive_entry *e;
    int r;
    while ((r = la.read_next_header(in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        /* The entry's strings belong to libarchive and move when the entry is changed below:
         * copy them first, and use only the copies in messages. */
        char name[PATH_MAX], hard[PATH_MAX], sym[PATH_MAX];
        const char *np = la.entry_pathname(e), *hp = la.entry_hardlink(e), *sp = la.entry_symlink(e);
        if (!np || !np[0] || ge_strlcpy(name, np, sizeof name) >= sizeof name) {
            refuse(err, base, "?", "has no usable name");
            goto done;
        }
        hard[0] = sym[0] = '\0';
        if ((hp && ge_strlcpy(hard, hp, sizeof hard) >= sizeof hard) || (sp && ge_strlcpy(sym, sp, sizeof sym) >= sizeof sym)) {
            refuse(err, base, name, "has a link target too long");
            goto done;
        }
        if (ge_has_control(name) || ge_has_control(hard) || ge_has_control(sym)) {
            refuse(err, base, "?", "has a control character in its name or link target");
            goto done;
        }
        if (!ge_path_stays_inside(name)) {
            refuse(err, base, name, "is absolute or climbs out with '..'");
            goto done;
        }
        if (lim.max_entries && ++entries > lim.max_entries) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "refusing %s: it holds more than %llu entries", base,
                       (unsigned long long)lim.max_entries);
            ge_err_hint(err, "NVIDIA's archives hold a few thousand; this one is not what NVIDIA publishes");
            goto done;
        }
        if (!top[0]) {
            const char *n = name;
            while (n[0] == '.' && n[1] == '/')
                n += 2;
            size_t tl = strcspn(n, "/");
            if (tl == 0 || tl >= sizeof top) {
                refuse(err, base, name, "has no top-level folder");
                goto done;
            }
            memcpy(top, n, tl);
            top[tl] = '\0';
        }
        const char *rel = strip_top(name, top);
        if (!rel) {
            refuse(err, base, name, "lies outside the archive's top folder");
            goto done;
        }
        if (depth_of(rel) > GE_TREE_MAX_ARCHIVE_DEPTH) {
            char why[64];
            snprintf(why, sizeof why, "is nested deeper than %d folders", GE_TREE_MAX_ARCHIVE_DEPTH);
            refuse(err, base, name, why);
            goto done;
        }
        mode_t type = la.entry_filetype(e);
        char target[PATH_MAX * 2];
        if (hard[0]) {
            const char *hrel = ge_path_stays_inside(hard) ? strip_top(hard, top) : NULL;
            if (!hrel || !hrel[0]) {
                refuse(err, base, name, "is a hard link to something outside the archive");
                goto done;
            }
            if (ge_fmt(target, sizeof target, "%s/%s", dir, hrel) < 0) {
                refuse(err, base, name, "has a hard link target too long");
                goto done;
            }
            la.entry_set_hardlink(e, target);
            st.links++;
        } else if (type == AE_IFLNK) {
            /* a first check as text; the whole tree's links are resolved at the end */
            char joined[PATH_MAX * 2];
            const char *slash = strrchr(rel, '/');
            int dl = slash ? (int)(slash - rel) : 0;
            if (!sym[0] || sym[0] == '/' ||
                ge_fmt(joined, sizeof joined, "%.*s%s%s", dl, rel, dl ? "/" : "", sym) < 0 ||
                !ge_path_stays_inside(joined)) {
                refuse(err, base, name, "is a symbolic link that points outside the archive");
                goto done;
            }
            st.links++;
        } else if (type == AE_IFDIR) {
            la.entry_set_perm(e, 0755);
            st.dirs++;
        } else if (type == AE_IFREG) {
            /* read-only for everyone: no setuid or setgid, no write bit; the files are shared
             * by hard links between the cache and every prefix */
            la.entry_set_perm(e, la.entry_perm(e) & 0555);
            st.files++;
            uint64_t declared = la.entry_size_is_set(e) && la.entry_size(e) > 0 ? (uint64_t)la.entry_size(e) : 0;
            if (lim.max_bytes && declared > lim.max_bytes - st.bytes) {
                ge_err_set(err, GE_EXIT_BAD_DATA, "refusing %s: it unpacks to more than %llu MiB ('%s' alone is %llu MiB)",
                           base, (unsigned long long)(lim.max_bytes >> 20), name, (unsigned long long)(declared >> 20));
                ge_err_hint(err, "an archive bomb, or an archive far larger than NVIDIA's: if it is genuine, raise the "
                                 "bound with --max-unpack-ratio");
                goto done;
            }
        } else {
            refuse(err, base, name, "is a device node, fifo or socket");
            goto done;
        }
        char path[PATH_MAX * 2];
        if (ge_fmt(path, sizeof path, "%s%s%s", dir, rel[0] ? "/" : "", rel) < 0) {
            refuse(err, base, name, "has a path too long");
            goto done;
        }
        la.entry_set_pathname(e, path);
        if (la.write_header(out, e) != ARCHIVE_OK) {
            write_failed(err, out, "unpack", path);
            goto done;
        }
        if (type == AE_IFREG && !hard[0]) {
            const void *buf;
            size_t size;
            la_int64_t off;
            int dr;
            uint64_t end = 0;
            while ((dr = la.read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK) {
                /* the logical size, holes included, is what counts against the bound */
                uint64_t upto = (uint64_t)off + size;
                if (upto > end) {
                    if (lim.max_bytes && upto - end > lim.max_bytes - st.bytes) {
                        ge_err_set(err, GE_EXIT_BAD_DATA, "refusing %s: it unpacks to more than %llu MiB", base,
                                   (unsigned long long)(lim.max_bytes >> 20));
                        ge_err_hint(err, "an archive bomb, or an archive far larger than NVIDIA's: if it is genuine, "
                                         "raise the bound with --max-unpack-ratio");
                        goto done;
                    }
                    st.bytes += upto - end;
                    end = upto;
                }
                if (la.write_data_block(out, buf, size, off) != ARCHIVE_OK) {
                    write_failed(err, out, "write", path);
                    goto done;
                }
                add_progress(progress, in, &seen);
            }
            if (dr != ARCHIVE_EOF) {
                ge_err_set(err, GE_EXIT_BAD_DATA, "%s is damaged at '%s': %s", base, name, la.error_string(in));
                goto done;
            }
        }
        if (la.write_finish_entry(out) != ARCHIVE_OK) {
            write_failed(err, out, "finish", path);
            goto done;
        }
        add_progress(progress, in, &seen);
    }
    if (r != ARCHIVE_EOF) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s is damaged: %s", base, la.error_string(in));
        ge_err_hint(err, "remove it from the cache and fetch it again");
        goto done;
    }
    if (!top[0]) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s is empty", base);
        goto done;
    }
    if (la.write_close(out) != ARCHIVE_OK) {
        write_failed(err, out, "finish unpacking into", dir);
        goto done;
    }
    /* links that each stayed inside as text may still leave the tree through one another */
    if (ge_tree_check_links(dir, base, err) < 0)
        goto done;
    rc = 0;
done:
    if (in)
        la.read_free(in);
    if (out)
        la.write_free(out);
    if (stats)
        *stats = st;
    return rc;
}
