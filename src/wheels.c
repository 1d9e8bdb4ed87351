/* wheels.c: a mirror's wheels, their record and their PEP 503 index. */
#include "wheels.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "path.h"
#include "store.h"
#include "str.h"
#include "tree.h"

#define RECORD_MAX (64u << 20)

bool ge_wheel_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n < 5 || n >= sizeof ((struct ge_wheel *)0)->file || strcmp(name + n - 4, ".whl") != 0 || name[0] == '.' ||
        name[0] == '-' || !strchr(name, '-'))
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._+-!", *p))
            return false;
    return true;
}

void ge_wheel_project(const char *file, char *out, size_t size)
{
    if (!size)
        return;
    /* runs of '-', '_' and '.' become one '-', letters lowercase; a name too long is cut, never
     * merged ("a__b" is "a-b" or "a", not "ab") */
    size_t k = 0, n = strcspn(file, "-");
    bool sep = false;
    for (size_t i = 0; i < n; i++) {
        char c = file[i];
        if (c == '_' || c == '.' || c == '-') {
            sep = k > 0;
            continue;
        }
        if (k + 1 + (sep ? 1 : 0) >= size)
            break;
        if (sep)
            out[k++] = '-';
        sep = false;
        out[k++] = (char)tolower((unsigned char)c);
    }
    out[k] = '\0';
}

static struct ge_wheel *find(struct ge_wheels *w, const char *file)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->w[i].file, file) == 0)
            return &w->w[i];
    return NULL;
}

static struct ge_wheel *add(struct ge_wheels *w, const char *file, struct ge_err *err)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        struct ge_wheel *g = realloc(w->w, cap * sizeof *g);
        if (!g) {
            ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
            return NULL;
        }
        w->w = g;
        w->cap = cap;
    }
    struct ge_wheel *e = &w->w[w->n++];
    memset(e, 0, sizeof *e);
    ge_strlcpy(e->file, file, sizeof e->file);
    return e;
}

static int damaged_record(const char *path, const char *why, struct ge_err *err)
{
    ge_err_set(err, GE_EXIT_BAD_DATA, "%s is damaged: %s", path, why);
    ge_err_hint(err, "remove it and run 'gpuenv mirror' again: every wheel there is then read and recorded anew");
    return -1;
}

int ge_wheels_open(struct ge_wheels *w, const char *dir, struct ge_err *err)
{
    memset(w, 0, sizeof *w);
    if (ge_fmt(w->dir, sizeof w->dir, "%s", dir) < 0)
        return ge_err_set(err, GE_EXIT_USAGE, "the mirror's path is too long: %s", dir);
    char path[3100];
    snprintf(path, sizeof path, "%s/" GE_MIRROR_RECORD, dir);
    size_t len;
    char *text = ge_read_file(path, RECORD_MAX, &len);
    if (!text) {
        if (errno == ENOENT)
            return 0;
        return ge_err_sys(err, errno, "cannot read '%s'", path);
    }
    cJSON *doc = strlen(text) == len ? cJSON_Parse(text) : NULL;
    free(text);
    int rc = -1;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "gpuenv_mirror"),
                *wheels = cJSON_GetObjectItemCaseSensitive(doc, "wheels"), *e;
    if (!doc) {
        damaged_record(path, "not a JSON document", err);
        goto out;
    }
    if (!cJSON_IsNumber(schema) || schema->valueint != GE_MIRROR_SCHEMA) {
        damaged_record(path, "its 'gpuenv_mirror' is not schema 1", err);
        goto out;
    }
    if (!cJSON_IsArray(wheels)) {
        damaged_record(path, "'wheels' is not a list", err);
        goto out;
    }
    cJSON_ArrayForEach(e, wheels) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "file"), *s = cJSON_GetObjectItemCaseSensitive(e, "sha256"),
                    *z = cJSON_GetObjectItemCaseSensitive(e, "size");
        if (!cJSON_IsString(f) || !ge_wheel_name_ok(f->valuestring) || !cJSON_IsString(s) ||
            !ge_sha256_valid(s->valuestring) || !cJSON_IsNumber(z) || z->valuedouble < 0 || z->valuedouble > 1e15 ||
            find(w, f->valuestring)) {
            damaged_record(path, "a wheel's entry is not a safe file name with its sha256 and size", err);
            goto out;
        }
        struct ge_wheel *g = add(w, f->valuestring, err);
        if (!g)
            goto out;
        memcpy(g->sha256, s->valuestring, GE_SHA256_HEX);
        g->size = (uint64_t)z->valuedouble;
    }
    rc = 0;
out:
    cJSON_Delete(doc);
    if (rc < 0)
        ge_wheels_fini(w);
    return rc;
}

void ge_wheels_fini(struct ge_wheels *w)
{
    free(w->w);
    w->w = NULL;
    w->n = w->cap = 0;
}

int ge_wheels_verify(struct ge_wheels *w, void (*damaged)(void *ud, const char *file, const char *why), void *ud,
                     size_t *good, struct ge_err *err)
{
    *good = 0;
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++) {
        struct ge_wheel *g = &w->w[i];
        char path[3400], hex[GE_SHA256_HEX], why[200];
        uint64_t size = 0;
        snprintf(path, sizeof path, "%s/files/%s", w->dir, g->file);
        struct ge_err e;
        ge_err_clear(&e);
        if (ge_sha256_file(path, hex, &size, &e) < 0) {
            if (access(path, F_OK) != 0 && errno == ENOENT)
                continue; /* gone: forgotten, and fetched again if a plan needs it */
            *err = e;
            return -1;
        }
        if (size != g->size || strcmp(hex, g->sha256) != 0) {
            snprintf(why, sizeof why, "%s differs from the record (%llu bytes, sha256 %.12s...)",
                     size != g->size ? "its size" : "its SHA-256", (unsigned long long)g->size, g->sha256);
            if (unlink(path) < 0 && errno != ENOENT)
                return ge_err_sys(err, errno, "cannot remove the damaged '%s'", path);
            if (damaged)
                damaged(ud, g->file, why);
            continue;
        }
        w->w[k++] = *g;
        (*good)++;
    }
    w->n = k;
    return 0;
}

int ge_wheels_scan(struct ge_wheels *w, size_t *added, struct ge_err *err)
{
    *added = 0;
    char files[3100];
    snprintf(files, sizeof files, "%s/files", w->dir);
    DIR *d = opendir(files);
    if (!d)
        return errno == ENOENT ? 0 : ge_err_sys(err, errno, "cannot read '%s'", files);
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (!ge_wheel_name_ok(de->d_name))
            continue;
        char path[3400];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", files, de->d_name);
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        struct ge_wheel *g = find(w, de->d_name);
        if (g && g->size == (uint64_t)st.st_size)
            continue; /* verified before pip ran, and pip keeps a file whose digest the index confirms */
        if (!g && !(g = add(w, de->d_name, err))) {
            rc = -1;
            break;
        }
        if (ge_sha256_file(path, g->sha256, &g->size, err) < 0)
            rc = -1;
        else
            (*added)++;
    }
    closedir(d);
    return rc;
}

static int by_project(const void *a, const void *b)
{
    const struct ge_wheel *x = a, *y = b;
    char px[256], py[256];
    ge_wheel_project(x->file, px, sizeof px);
    ge_wheel_project(y->file, py, sizeof py);
    int c = strcmp(px, py);
    return c ? c : strcmp(x->file, y->file);
}

/* A file name in an href: everything but unreserved characters percent-encoded ('+' in local
 * version labels above all). */
static void href(struct ge_buf *b, const char *file)
{
    for (const char *p = file; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) || c == '.' || c == '_' || c == '-' || c == '~')
            ge_buf_add(b, p, 1);
        else
            ge_buf_addf(b, "%%%02X", c);
    }
}

static int write_page(const char *dir, const char *title, const struct ge_buf *body, struct ge_err *err)
{
    struct ge_buf page;
    ge_buf_init(&page);
    ge_buf_addf(&page, "<!DOCTYPE html>\n<html>\n<head><meta name=\"pypi:repository-version\" content=\"1.0\">"
                       "<title>%s</title></head>\n<body>\n%s</body>\n</html>\n", title, ge_buf_str(body));
    int rc = ge_mkdir_p(dir) < 0 ? ge_err_sys(err, errno, "cannot create '%s'", dir)
                                 : ge_store_write_text(dir, "index.html", ge_buf_str(&page), err);
    ge_buf_fini(&page);
    return rc;
}

static int write_record(const struct ge_wheels *w, const struct ge_wheel *sorted, struct ge_err *err)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "gpuenv_mirror", GE_MIRROR_SCHEMA);
    cJSON_AddStringToObject(doc, "index", "simple");
    cJSON *list = cJSON_AddArrayToObject(doc, "wheels");
    for (size_t i = 0; i < w->n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", sorted[i].file);
        cJSON_AddStringToObject(o, "sha256", sorted[i].sha256);
        cJSON_AddNumberToObject(o, "size", (double)sorted[i].size);
        cJSON_AddItemToArray(list, o);
    }
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    struct ge_buf b;
    ge_buf_init(&b);
    ge_buf_addf(&b, "%s\n", text);
    free(text);
    int rc = ge_store_write_text(w->dir, GE_MIRROR_RECORD, ge_buf_str(&b), err);
    ge_buf_fini(&b);
    return rc;
}

int ge_wheels_publish(const struct ge_wheels *w, struct ge_err *err)
{
    struct ge_wheel *s = malloc((w->n ? w->n : 1) * sizeof *s);
    if (!s)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    if (w->n)
        memcpy(s, w->w, w->n * sizeof *s);
    qsort(s, w->n, sizeof *s, by_project);
    char stage[3100], simple[3100];
    snprintf(stage, sizeof stage, "%s/.simple-%ld", w->dir, (long)getpid());
    snprintf(simple, sizeof simple, "%s/simple", w->dir);
    struct ge_buf root, page;
    ge_buf_init(&root);
    ge_buf_init(&page);
    int rc = 0;
    struct ge_err ig;
    ge_err_clear(&ig);
    (void)ge_tree_remove(stage, &ig); /* a stage a killed run left */
    /* the index is built beside the old one and switched in whole: pip never reads half of it */
    for (size_t i = 0; i < w->n && rc == 0;) {
        char proj[256], pdir[3400];
        ge_wheel_project(s[i].file, proj, sizeof proj);
        ge_buf_addf(&root, "<a href=\"%s/\">%s</a><br>\n", proj, proj);
        page.len = 0;
        for (; i < w->n; i++) {
            char p2[256];
            ge_wheel_project(s[i].file, p2, sizeof p2);
            if (strcmp(p2, proj) != 0)
                break;
            ge_buf_adds(&page, "<a href=\"../../files/");
            href(&page, s[i].file);
            ge_buf_addf(&page, "#sha256=%s\">%s</a><br>\n", s[i].sha256, s[i].file);
        }
        snprintf(pdir, sizeof pdir, "%s/%s", stage, proj);
        rc = write_page(pdir, proj, &page, err);
    }
    if (rc == 0)
        rc = write_page(stage, "gpuenv mirror", &root, err);
    if (rc == 0)
        rc = ge_store_commit(stage, simple, err);
    if (rc < 0)
        (void)ge_tree_remove(stage, &ig);
    /* the record last: a run killed before it hashes the new wheels again */
    if (rc == 0)
        rc = write_record(w, s, err);
    ge_buf_fini(&root);
    ge_buf_fini(&page);
    free(s);
    return rc;
}
