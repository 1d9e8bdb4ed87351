/* manifest_src.c: NVIDIA's manifest of exactly one release, from the folders, the cache or the
 * origin. */
#include "manifest_src.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "install.h"
#include "matrix.h"
#include "path.h"
#include "str.h"

#define MANIFEST_MAX (16u << 20) /* the largest real one is about 150 KB */

static int sha_of(const char *text, size_t len, char hex[GE_SHA256_HEX], struct ge_err *err)
{
    struct ge_sha256 s;
    if (ge_sha256_init(&s, err) < 0)
        return -1;
    int rc = ge_sha256_update(&s, text, len, err) < 0 || ge_sha256_final(&s, hex, err) < 0 ? -1 : 0;
    ge_sha256_fini(&s);
    return rc;
}

/* Parse text and check that it is the manifest of kind's release xyz and names archives. */
static struct ge_manifest *check(const char *text, const char *kind, const char *xyz, const char *shown,
                                 struct ge_err *err)
{
    struct ge_manifest *m = ge_manifest_parse(text, shown, err);
    if (!m)
        return NULL;
    const char *why = NULL;
    if (m->product[0] && strcmp(m->product, kind) != 0)
        why = "names another product";
    else if (m->label[0] && strcmp(m->label, xyz) != 0)
        why = "names another release";
    else if (m->n == 0)
        why = "lists no archive";
    if (!why)
        return m;
    ge_err_set(err, GE_EXIT_BAD_DATA, "%s %s (%s%s%s): it is not NVIDIA's manifest of %s %s", shown, why,
               m->product[0] ? m->product : "", m->product[0] && m->label[0] ? " " : "", m->label, kind, xyz);
    ge_err_hint(err, "the mirror serves a wrong or damaged file: fix the mirror, or give the right manifest in a "
                     "GPUENV_MANIFEST_PATH folder");
    ge_manifest_free(m);
    return NULL;
}

/* Read and check path; 0 found, 1 not there, -1 error. */
static int from_file(const char *path, const char *kind, const char *xyz, bool keep, struct ge_manifest_got *out,
                     struct ge_err *err)
{
    size_t len;
    char *text = ge_read_file(path, MANIFEST_MAX, &len);
    if (!text) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        return ge_err_sys(err, errno, "cannot read '%s'", path);
    }
    int rc = -1;
    if (strlen(text) != len) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s: not a JSON text (it holds a NUL byte)", path);
    } else if ((out->m = check(text, kind, xyz, path, err)) && sha_of(text, len, out->sha256, err) == 0) {
        ge_strlcpy(out->from, path, sizeof out->from);
        if (keep) {
            out->text = text;
            out->len = len;
            text = NULL;
        }
        rc = 0;
    }
    if (rc < 0 && out->m) {
        ge_manifest_free(out->m);
        out->m = NULL;
    }
    free(text);
    return rc;
}

int ge_manifest_obtain(const struct ge_manifest_src *s, const char *kind, const char *version,
                       struct ge_manifest_got *out, struct ge_err *err)
{
    memset(out, 0, sizeof *out);
    struct ge_version v;
    if (!ge_name_safe(kind) || ge_version_parse(&v, version, 3, 4) < 0)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "no manifest name for %s '%s': a release is X.Y.Z", kind, version);
    char xyz[40];
    snprintf(xyz, sizeof xyz, "%u.%u.%u", (unsigned)v.part[0], (unsigned)v.part[1], (unsigned)v.part[2]);
    snprintf(out->file, sizeof out->file, "redistrib_%s.json", xyz);

    /* the folders: a site's own first, then the shipped ones */
    char dirs[17][PATH_MAX];
    int nd = 0;
    const char *mp = getenv("GPUENV_MANIFEST_PATH");
    if (mp && mp[0]) {
        char *copy = strdup(mp), *save = NULL;
        for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t && nd < 15; t = strtok_r(NULL, ":", &save))
            if (ge_fmt(dirs[nd], sizeof dirs[0], "%s/%s", t, kind) == 0)
                nd++;
        free(copy);
    }
    if (s->datadir && ge_fmt(dirs[nd], sizeof dirs[0], "%s/redist/%s", s->datadir, kind) == 0)
        nd++;
    char cache[PATH_MAX];
    bool have_cache = ge_cache_dir(cache, sizeof cache) == 0 &&
                      ge_fmt(dirs[nd], sizeof dirs[0], "%s/manifests/%s", cache, kind) == 0;
    if (have_cache)
        nd++;
    for (int i = 0; i < nd; i++) {
        char p[PATH_MAX + 64];
        if (ge_fmt(p, sizeof p, "%s/%s", dirs[i], out->file) < 0)
            continue;
        int rc = from_file(p, kind, xyz, s->keep_text, out, err);
        if (rc < 0 && have_cache && i == nd - 1) {
            /* a damaged cache entry is dropped and fetched again; the folders above are the user's */
            (void)unlink(p);
            ge_err_clear(err);
            continue;
        }
        if (rc <= 0)
            return rc;
    }
    const char *origin = ge_install_origin(s->origin, true);
    if (s->offline && !ge_startswith(origin, "file://")) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "no NVIDIA manifest for %s %s (%s) here, and fetching is off", kind, xyz,
                   out->file);
        ge_err_hint(err, "give a mirror that holds it (--mirror file://DIR, made by 'gpuenv mirror'), or put it in a "
                         "folder's %s/ and name the folder in GPUENV_MANIFEST_PATH", kind);
        return -1;
    }

    /* the origin, beside the archives */
    char rel[160];
    snprintf(rel, sizeof rel, "compute/%s/redist/%s", kind, out->file);
    if (ge_path_join(out->from, sizeof out->from, origin, rel) < 0)
        return ge_err_set(err, GE_EXIT_USAGE, "the mirror URL is too long");
    struct ge_buf b;
    ge_buf_init(&b);
    int rc = -1;
    if (ge_fetch_text(out->from, MANIFEST_MAX, 120, &b, err) < 0) {
        if (err->status == GE_EXIT_BAD_DATA)
            ge_err_hint(err, "NVIDIA publishes no manifest of %s %s there: pick a release 'gpuenv matrix' lists, "
                             "or give its manifest in a GPUENV_MANIFEST_PATH folder", kind, xyz);
        else
            ge_err_hint(err, "check the network or --mirror; offline, give the manifest in a GPUENV_MANIFEST_PATH "
                             "folder");
        goto out;
    }
    if (ge_buf_add(&b, "", 1) < 0) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    if (strlen(b.data) != b.len - 1) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s: not a JSON text (it holds a NUL byte)", out->from);
        goto out;
    }
    if (!(out->m = check(b.data, kind, xyz, out->from, err)) || sha_of(b.data, b.len - 1, out->sha256, err) < 0)
        goto out;
    out->fetched = true;
    /* kept for the next run and for offline use; a cache that cannot be written is not an error */
    if (have_cache) {
        char p[PATH_MAX + 64];
        if (ge_mkdir_p(dirs[nd - 1]) == 0 && ge_fmt(p, sizeof p, "%s/%s", dirs[nd - 1], out->file) == 0)
            (void)ge_write_file(p, b.data, b.len - 1);
    }
    if (s->keep_text) {
        out->len = b.len - 1;
        out->text = b.data; /* the buffer's bytes change hands */
        ge_buf_init(&b);
    }
    rc = 0;
out:
    if (rc < 0 && out->m) {
        ge_manifest_free(out->m);
        out->m = NULL;
    }
    ge_buf_fini(&b);
    return rc;
}
