/* manifest.c: read NVIDIA's redistrib manifests (CUDA and cuDNN) into archive records. */
#include "manifest.h"

#include <cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "str.h"

static int add_archive(struct ge_manifest *m, size_t *cap, const char *name, const char *comp,
                       const char *version, const char *platform, const char *variant,
                       const cJSON *entry, struct ge_err *err)
{
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(entry, "relative_path");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(entry, "sha256");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(entry, "size");
    char where[160];
    snprintf(where, sizeof where, "%s: %s %s%s%s", name, comp, platform, variant[0] ? " " : "", variant);
    /* every name becomes part of a path or a URL: '%' escapes, "..", odd characters are refused
     * here, before curl or the file system could read them as something else */
    if (!ge_name_safe(comp) || !ge_name_safe(platform) || (variant[0] && !ge_name_safe(variant)) ||
        (version[0] && !ge_name_safe(version)))
        return ge_err_set(err, GE_EXIT_BAD_DATA, "%s: a component, platform, variant or version name holds a "
                                                 "character or form that is not allowed", name);
    if (!cJSON_IsString(rp) || !ge_url_path_safe(rp->valuestring) ||
        strlen(rp->valuestring) >= sizeof m->items[0].relative_path)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "%s: relative_path is missing, leaves the redist tree or holds a "
                                                 "character that is not allowed", where);
    if (!cJSON_IsString(sha) || !ge_sha256_valid(sha->valuestring))
        return ge_err_set(err, GE_EXIT_BAD_DATA, "%s: sha256 is not 64 lowercase hex digits", where);
    /* NVIDIA writes sizes as strings; accept a number too */
    uint64_t sz = 0;
    if (cJSON_IsString(size) && size->valuestring[0] && strspn(size->valuestring, "0123456789") == strlen(size->valuestring) &&
        strlen(size->valuestring) <= 15)
        sz = strtoull(size->valuestring, NULL, 10);
    else if (cJSON_IsNumber(size) && size->valuedouble >= 1 && size->valuedouble < 1e15)
        sz = (uint64_t)size->valuedouble;
    if (sz == 0)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "%s: size is missing or not a positive number of bytes", where);
    if (m->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct ge_archive_ref *p = realloc(m->items, nc * sizeof *p);
        if (!p)
            return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        m->items = p;
        *cap = nc;
    }
    struct ge_archive_ref *a = &m->items[m->n];
    memset(a, 0, sizeof *a);
    if (ge_strlcpy(a->component, comp, sizeof a->component) >= sizeof a->component ||
        ge_strlcpy(a->platform, platform, sizeof a->platform) >= sizeof a->platform ||
        ge_strlcpy(a->variant, variant, sizeof a->variant) >= sizeof a->variant)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "%s: a name is too long", where);
    ge_strlcpy(a->version, version, sizeof a->version);
    ge_strlcpy(a->relative_path, rp->valuestring, sizeof a->relative_path);
    ge_strlcpy(a->sha256, sha->valuestring, sizeof a->sha256);
    a->size = sz;
    m->n++;
    return 0;
}

struct ge_manifest *ge_manifest_parse(const char *text, const char *name, struct ge_err *err)
{
    cJSON *doc = cJSON_Parse(text);
    struct ge_manifest *m = NULL;
    size_t cap = 0;
    if (!cJSON_IsObject(doc)) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s: not a JSON object", name);
        ge_err_hint(err, "the manifest is damaged: fetch NVIDIA's redistrib file again");
        goto out;
    }
    m = calloc(1, sizeof *m);
    if (!m) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, doc)
    {
        if (cJSON_IsString(it)) {
            if (strcmp(it->string, "release_date") == 0)
                ge_strlcpy(m->date, it->valuestring, sizeof m->date);
            else if (strcmp(it->string, "release_label") == 0)
                ge_strlcpy(m->label, it->valuestring, sizeof m->label);
            else if (strcmp(it->string, "release_product") == 0)
                ge_strlcpy(m->product, it->valuestring, sizeof m->product);
            continue;
        }
        if (!cJSON_IsObject(it))
            continue;
        const char *comp = it->string;
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(it, "version");
        const char *version = cJSON_IsString(ver) ? ver->valuestring : "";
        const cJSON *plat;
        cJSON_ArrayForEach(plat, it)
        {
            if (!cJSON_IsObject(plat))
                continue; /* name, license, version, cuda_variant */
            /* A platform holds the archive's fields itself, or one object per CUDA variant; cuDNN
             * 9.27.0's windows-arm64 holds both, so both are read. */
            if (cJSON_GetObjectItemCaseSensitive(plat, "relative_path") &&
                add_archive(m, &cap, name, comp, version, plat->string, "", plat, err) < 0)
                goto fail;
            const cJSON *var;
            cJSON_ArrayForEach(var, plat)
            {
                if (cJSON_IsObject(var) &&
                    add_archive(m, &cap, name, comp, version, plat->string, var->string, var, err) < 0)
                    goto fail;
            }
        }
    }
    if (!m->date[0]) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s: no release_date: not an NVIDIA redistrib manifest", name);
        goto fail;
    }
    if (m->n == 0) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "%s: lists no archive", name);
        goto fail;
    }
    goto out;
fail:
    if (!err->hint[0] && err->status == GE_EXIT_BAD_DATA)
        ge_err_hint(err, "the manifest is damaged or not NVIDIA's: fetch the redistrib file again, or "
                         "remove it from GPUENV_MANIFEST_PATH");
    ge_manifest_free(m);
    m = NULL;
out:
    cJSON_Delete(doc);
    return m;
}

struct ge_manifest *ge_manifest_load(const char *path, struct ge_err *err)
{
    char *text = ge_read_file(path, 16u << 20, NULL);
    if (!text) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "cannot read manifest %s: %s", path, strerror(errno));
        return NULL;
    }
    const char *name = strrchr(path, '/');
    struct ge_manifest *m = ge_manifest_parse(text, name ? name + 1 : path, err);
    free(text);
    return m;
}

void ge_manifest_free(struct ge_manifest *m)
{
    if (!m)
        return;
    free(m->items);
    free(m);
}

const struct ge_archive_ref *ge_manifest_find(const struct ge_manifest *m, const char *component,
                                              const char *platform, const char *variant)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct ge_archive_ref *a = &m->items[i];
        if (strcmp(a->component, component) == 0 && strcmp(a->platform, platform) == 0 &&
            strcmp(a->variant, variant ? variant : "") == 0)
            return a;
    }
    return NULL;
}
