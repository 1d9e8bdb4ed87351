/* extract.c: libarchive into a staging folder, every entry checked before it is written. */
#define _GNU_SOURCE
#include "extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lazy.h"
#include "str.h"

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

int ge_path_stays_inside(const char *rel)
{
    if (!rel[0] || rel[0] == '/')
        return 0;
    int depth = 0;
    for (const char *s = rel; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0)
                return 0;
        } else if (!(n == 0 || (n == 1 && s[0] == '.'))) {
            depth++;
        }
        s += n;
        while (*s == '/')
            s++;
    }
    return 1;
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

static int refuse(struct ge_err *err, const char *archive, const char *entry, const char *why)
{
    const char *base = strrchr(archive, '/');
    ge_err_set(err, GE_EXIT_BAD_DATA, "refusing %s: entry '%s' %s", base ? base + 1 : archive, entry, why);
    ge_err_hint(err, "the archive is not what NVIDIA publishes: remove it from the cache and fetch it again "
                     "from the default origin");
    return -1;
}

int ge_extract(const char *archive, const char *dir, struct ge_extract_stats *stats, struct ge_err *err)
{
    struct ge_extract_stats st = {0, 0, 0, 0};
    if (ge_lazy_load(&libarchive, err) < 0)
        return -1;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot create '%s': %s", dir, strerror(errno));
    struct archive *in = la.read_new(), *out = la.write_disk_new();
    int rc = -1;
    if (!in || !out) {
        ge_err_set(err, GE_EXIT_FAILURE, "libarchive could not start");
        goto done;
    }
    la.read_support_filter_all(in);
    la.read_support_format_tar(in);
    la.read_support_format_zip(in);
    /* Defence in depth behind the checks below: never follow a symlink on the way to an entry,
     * never accept "..", keep permissions but not owners. */
    la.write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                       ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME);
    if (la.read_open_filename(in, archive, 1 << 16) != ARCHIVE_OK) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s is damaged or not an archive: %s", archive, la.error_string(in));
        ge_err_hint(err, "remove it from the cache and fetch it again");
        goto done;
    }
    char top[PATH_MAX] = "";
    struct archive_entry *e;
    int r;
    while ((r = la.read_next_header(in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        const char *name = la.entry_pathname(e);
        if (!name || !name[0]) {
            refuse(err, archive, "?", "has no usable name");
            goto done;
        }
        if (!ge_path_stays_inside(name)) {
            refuse(err, archive, name, "is absolute or climbs out with '..'");
            goto done;
        }
        if (!top[0]) {
            const char *n = name;
            while (n[0] == '.' && n[1] == '/')
                n += 2;
            size_t tl = strcspn(n, "/");
            if (tl == 0 || tl >= sizeof top) {
                refuse(err, archive, name, "has no top-level folder");
                goto done;
            }
            memcpy(top, n, tl);
            top[tl] = '\0';
        }
        const char *rel = strip_top(name, top);
        if (!rel) {
            refuse(err, archive, name, "lies outside the archive's top folder");
            goto done;
        }
        mode_t type = la.entry_filetype(e);
        const char *hard = la.entry_hardlink(e);
        char target[PATH_MAX * 2];
        if (hard) {
            const char *hrel = ge_path_stays_inside(hard) ? strip_top(hard, top) : NULL;
            if (!hrel || !hrel[0]) {
                refuse(err, archive, name, "is a hard link to something outside the archive");
                goto done;
            }
            if (ge_fmt(target, sizeof target, "%s/%s", dir, hrel) < 0) {
                refuse(err, archive, name, "has a hard link target too long");
                goto done;
            }
            la.entry_set_hardlink(e, target);
            st.links++;
        } else if (type == AE_IFLNK) {
            const char *to = la.entry_symlink(e);
            /* a relative target, resolved from the link's own folder, must stay inside */
            char joined[PATH_MAX * 2];
            const char *slash = strrchr(rel, '/');
            int dl = slash ? (int)(slash - rel) : 0;
            if (!to || to[0] == '/' ||
                ge_fmt(joined, sizeof joined, "%.*s%s%s", dl, rel, dl ? "/" : "", to) < 0 ||
                !ge_path_stays_inside(joined)) {
                refuse(err, archive, name, "is a symbolic link that points outside the archive");
                goto done;
            }
            st.links++;
        } else if (type == AE_IFDIR) {
            st.dirs++;
        } else if (type == AE_IFREG) {
            st.files++;
        } else {
            refuse(err, archive, name, "is a device node, fifo or socket");
            goto done;
        }
        char path[PATH_MAX * 2];
        if (ge_fmt(path, sizeof path, "%s%s%s", dir, rel[0] ? "/" : "", rel) < 0) {
            refuse(err, archive, name, "has a path too long");
            goto done;
        }
        la.entry_set_pathname(e, path);
        if (la.write_header(out, e) != ARCHIVE_OK) {
            ge_err_set(err, GE_EXIT_FAILURE, "cannot unpack '%s' from %s: %s", name, archive, la.error_string(out));
            goto done;
        }
        if (type == AE_IFREG && !hard) {
            const void *buf;
            size_t size;
            la_int64_t off;
            int dr;
            while ((dr = la.read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK) {
                if (la.write_data_block(out, buf, size, off) != ARCHIVE_OK) {
                    ge_err_set(err, GE_EXIT_FAILURE, "cannot write '%s': %s", path, la.error_string(out));
                    goto done;
                }
                st.bytes += size;
            }
            if (dr != ARCHIVE_EOF) {
                ge_err_set(err, GE_EXIT_BAD_DATA, "%s is damaged at '%s': %s", archive, name, la.error_string(in));
                goto done;
            }
        }
        if (la.write_finish_entry(out) != ARCHIVE_OK) {
            ge_err_set(err, GE_EXIT_FAILURE, "cannot finish '%s': %s", path, la.error_string(out));
            goto done;
        }
    }
    if (r != ARCHIVE_EOF) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s is damaged: %s", archive, la.error_string(in));
        ge_err_hint(err, "remove it from the cache and fetch it again");
        goto done;
    }
    if (!top[0]) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s is empty", archive);
        goto done;
    }
    if (la.write_close(out) != ARCHIVE_OK) {
        ge_err_set(err, GE_EXIT_FAILURE, "cannot finish unpacking %s: %s", archive, la.error_string(out));
        goto done;
    }
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
