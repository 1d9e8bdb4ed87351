/* lock.c: write and read gpuenv.lock (JSON, fixed key order, validated on read). */
#include "lock.h"

#include "amd.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "str.h"

void ge_lock_gpus_string(const struct ge_cc *ccs, int n, char *out, size_t size)
{
    if (size)
        out[0] = '\0';
    for (int g = 0; g < n; g++) {
        char cc[8];
        size_t l = strlen(out);
        snprintf(out + l, size - l, "%s%s", g ? "," : "", ge_cc_format(ccs[g], cc, sizeof cc));
    }
}

void ge_lock_gfx_string(const unsigned *gfx, int n, char *out, size_t size)
{
    if (size)
        out[0] = '\0';
    for (int g = 0; g < n; g++) {
        char name[16];
        size_t l = strlen(out);
        if (ge_amd_gfx_name(gfx[g], name, sizeof name) == 0)
            snprintf(out + l, size - l, "%s%s", g ? "," : "", name);
    }
}

void ge_lock_init(struct ge_lockfile *l)
{
    memset(l, 0, sizeof *l);
}

void ge_lock_fini(struct ge_lockfile *l)
{
    free(l->archives);
    ge_lock_init(l);
}

int ge_lock_add(struct ge_lockfile *l, const struct ge_lock_archive *a, struct ge_err *err)
{
    struct ge_lock_archive *p = realloc(l->archives, (l->n + 1) * sizeof *p);
    if (!p)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    l->archives = p;
    l->archives[l->n++] = *a;
    return 0;
}

cJSON *ge_lock_python_json(const struct ge_lockfile *l, bool for_output)
{
    if (!l->py_framework[0])
        return cJSON_CreateNull();
    cJSON *py = cJSON_CreateObject();
    cJSON_AddStringToObject(py, "framework", l->py_framework);
    cJSON_AddStringToObject(py, "framework_version", l->py_framework_version);
    cJSON_AddStringToObject(py, "version", l->py_python);
    if (for_output && !l->py_index[0])
        cJSON_AddNullToObject(py, "index_url");
    else
        cJSON_AddStringToObject(py, "index_url", l->py_index);
    if (l->py_find_links[0])
        cJSON_AddStringToObject(py, "find_links", l->py_find_links);
    cJSON *rq = cJSON_AddArrayToObject(py, "requirements");
    for (int i = 0; i < l->py_n; i++)
        cJSON_AddItemToArray(rq, cJSON_CreateString(l->py_reqs[i]));
    return py;
}

cJSON *ge_lock_hosts_json(const struct ge_lockfile *l)
{
    if (!l->nhosts)
        return cJSON_CreateNull();
    cJSON *hs = cJSON_CreateArray();
    for (int i = 0; i < l->nhosts; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", l->hosts[i].name);
        cJSON_AddStringToObject(o, "driver", l->hosts[i].driver);
        cJSON_AddStringToObject(o, "gpus", l->hosts[i].gpus);
        cJSON_AddItemToArray(hs, o);
    }
    return hs;
}

int ge_lock_write(const char *path, const struct ge_lockfile *l, struct ge_err *err)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "schema", GE_LOCK_SCHEMA);
    cJSON_AddStringToObject(doc, "generator", "gpuenv");
    cJSON *r = cJSON_AddArrayToObject(doc, "requirements");
    for (int i = 0; i < l->nreqs; i++)
        cJSON_AddItemToArray(r, cJSON_CreateString(l->reqs[i]));
    cJSON *h = cJSON_AddObjectToObject(doc, "host");
    cJSON_AddStringToObject(h, "driver", l->host_driver);
    cJSON_AddStringToObject(h, "gpus", l->host_gpus);
    cJSON_AddStringToObject(h, "python", l->host_python);
    if (l->vendor[0]) /* NVIDIA's locks stay as they were */
        cJSON_AddStringToObject(h, "vendor", l->vendor);
    if (l->hsa_override[0])
        cJSON_AddStringToObject(h, "hsa_override", l->hsa_override);
    if (l->nhosts) /* a fleet's lock: "host" holds what they share, "hosts" each node type */
        cJSON_AddItemToObject(doc, "hosts", ge_lock_hosts_json(l));
    cJSON_AddStringToObject(doc, "platform", l->platform);
    cJSON *pk = cJSON_AddObjectToObject(doc, "packages");
    cJSON_AddStringToObject(pk, "cuda-toolkit", l->cuda);
    cJSON_AddStringToObject(pk, "cudnn", l->cudnn);
    cJSON_AddStringToObject(pk, "cudnn_build", l->cudnn_build);
    if (l->cuda_manifest[0] || l->cudnn_manifest[0]) {
        cJSON *ms = cJSON_AddObjectToObject(doc, "manifests");
        if (l->cuda_manifest[0])
            cJSON_AddStringToObject(ms, "cuda-toolkit", l->cuda_manifest);
        if (l->cudnn_manifest[0])
            cJSON_AddStringToObject(ms, "cudnn", l->cudnn_manifest);
    }
    cJSON *as = cJSON_AddArrayToObject(doc, "archives");
    for (size_t i = 0; i < l->n; i++) {
        const struct ge_lock_archive *a = &l->archives[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "package", a->package);
        cJSON_AddStringToObject(o, "component", a->component);
        cJSON_AddStringToObject(o, "version", a->version);
        cJSON_AddStringToObject(o, "platform", a->platform);
        cJSON_AddStringToObject(o, "variant", a->variant);
        cJSON_AddStringToObject(o, "url_path", a->url_path);
        cJSON_AddNumberToObject(o, "size", (double)a->size);
        cJSON_AddStringToObject(o, "sha256", a->sha256);
        cJSON_AddItemToArray(as, o);
    }
    cJSON_AddItemToObject(doc, "python", ge_lock_python_json(l, false));
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    struct ge_buf b;
    ge_buf_init(&b);
    if (!text || ge_buf_adds(&b, text) < 0 || ge_buf_adds(&b, "\n") < 0) {
        free(text);
        ge_buf_fini(&b);
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    }
    free(text);
    int rc = 0;
    if (ge_write_file(path, b.data, b.len) < 0)
        rc = ge_err_set(err, GE_EXIT_FAILURE, "cannot write '%s': %s", path, strerror(errno));
    ge_buf_fini(&b);
    return rc;
}

static int str_field(const cJSON *o, const char *key, char *out, size_t size, const char *where, struct ge_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: %s: '%s' is missing or malformed", where, key);
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

int ge_lock_read(const char *path, struct ge_lockfile *l, struct ge_err *err)
{
    ge_lock_init(l);
    char *text = ge_read_file(path, 16u << 20, NULL);
    if (!text)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot read '%s': %s", path, strerror(errno));
    int rc = ge_lock_parse(text, l, err);
    free(text);
    return rc;
}

int ge_lock_parse(const char *text, struct ge_lockfile *l, struct ge_err *err)
{
    ge_lock_init(l);
    cJSON *doc = cJSON_Parse(text);
    int rc = -1;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
    if (!cJSON_IsNumber(schema) || schema->valueint != GE_LOCK_SCHEMA) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: not a gpuenv lock of schema %d", GE_LOCK_SCHEMA);
        goto out;
    }
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(doc, "requirements"), *e;
    cJSON_ArrayForEach(e, r)
    {
        if (l->nreqs >= GE_LOCK_MAX_REQS || !cJSON_IsString(e) || strlen(e->valuestring) >= sizeof l->reqs[0]) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: requirements are malformed");
            goto out;
        }
        strcpy(l->reqs[l->nreqs++], e->valuestring);
    }
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(doc, "host");
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(doc, "packages");
    if (str_field(h, "driver", l->host_driver, sizeof l->host_driver, "host", err) < 0 ||
        str_field(h, "gpus", l->host_gpus, sizeof l->host_gpus, "host", err) < 0 ||
        str_field(h, "python", l->host_python, sizeof l->host_python, "host", err) < 0 ||
        str_field(doc, "platform", l->platform, sizeof l->platform, "top level", err) < 0 ||
        str_field(pk, "cuda-toolkit", l->cuda, sizeof l->cuda, "packages", err) < 0 ||
        str_field(pk, "cudnn", l->cudnn, sizeof l->cudnn, "packages", err) < 0 ||
        str_field(pk, "cudnn_build", l->cudnn_build, sizeof l->cudnn_build, "packages", err) < 0)
        goto out;
    const cJSON *vd = cJSON_GetObjectItemCaseSensitive(h, "vendor"), *ho = cJSON_GetObjectItemCaseSensitive(h, "hsa_override");
    if ((vd && (!cJSON_IsString(vd) || (strcmp(vd->valuestring, "amd") && strcmp(vd->valuestring, "nvidia")))) ||
        (ho && (!cJSON_IsString(ho) || strlen(ho->valuestring) >= sizeof l->hsa_override ||
                strspn(ho->valuestring, "0123456789.") != strlen(ho->valuestring) || !ho->valuestring[0]))) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: host: 'vendor' or 'hsa_override' is malformed");
        goto out;
    }
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(doc, "hosts");
    if (hs && (!cJSON_IsArray(hs) || cJSON_GetArraySize(hs) > GE_LOCK_MAX_HOSTS || cJSON_GetArraySize(hs) == 0)) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: 'hosts' is not a list of 1 to %d node types", GE_LOCK_MAX_HOSTS);
        goto out;
    }
    cJSON_ArrayForEach(e, hs)
    {
        struct ge_lock_host *lh = &l->hosts[l->nhosts++];
        if (str_field(e, "name", lh->name, sizeof lh->name, "hosts", err) < 0 ||
            str_field(e, "driver", lh->driver, sizeof lh->driver, "hosts", err) < 0 ||
            str_field(e, "gpus", lh->gpus, sizeof lh->gpus, "hosts", err) < 0)
            goto out;
    }
    if (vd && strcmp(vd->valuestring, "amd") == 0)
        ge_strlcpy(l->vendor, "amd", sizeof l->vendor);
    if (ho)
        ge_strlcpy(l->hsa_override, ho->valuestring, sizeof l->hsa_override);
    if ((l->platform[0] && !ge_name_safe(l->platform)) || (l->cuda[0] && !ge_name_safe(l->cuda)) ||
        (l->cudnn[0] && !ge_name_safe(l->cudnn)) || (l->cudnn_build[0] && !ge_name_safe(l->cudnn_build))) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: the platform or a package version is malformed");
        goto out;
    }
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(doc, "manifests");
    if (ms) {
        const cJSON *mc = cJSON_GetObjectItemCaseSensitive(ms, "cuda-toolkit"),
                    *md = cJSON_GetObjectItemCaseSensitive(ms, "cudnn");
        if (!cJSON_IsObject(ms) || (mc && (!cJSON_IsString(mc) || !ge_sha256_valid(mc->valuestring))) ||
            (md && (!cJSON_IsString(md) || !ge_sha256_valid(md->valuestring)))) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: 'manifests' is malformed");
            goto out;
        }
        if (mc)
            ge_strlcpy(l->cuda_manifest, mc->valuestring, sizeof l->cuda_manifest);
        if (md)
            ge_strlcpy(l->cudnn_manifest, md->valuestring, sizeof l->cudnn_manifest);
    }
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(doc, "archives");
    if (!cJSON_IsArray(as)) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: 'archives' is missing");
        goto out;
    }
    size_t i = 0;
    cJSON_ArrayForEach(e, as)
    {
        struct ge_lock_archive a;
        memset(&a, 0, sizeof a);
        char where[32];
        snprintf(where, sizeof where, "archives[%zu]", i++);
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(e, "size");
        if (str_field(e, "package", a.package, sizeof a.package, where, err) < 0 ||
            str_field(e, "component", a.component, sizeof a.component, where, err) < 0 ||
            str_field(e, "version", a.version, sizeof a.version, where, err) < 0 ||
            str_field(e, "platform", a.platform, sizeof a.platform, where, err) < 0 ||
            str_field(e, "variant", a.variant, sizeof a.variant, where, err) < 0 ||
            str_field(e, "url_path", a.url_path, sizeof a.url_path, where, err) < 0 ||
            str_field(e, "sha256", a.sha256, sizeof a.sha256, where, err) < 0)
            goto out;
        if (!ge_sha256_valid(a.sha256) || !cJSON_IsNumber(size) || size->valuedouble < 1 || size->valuedouble > 1e15) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: %s: sha256 or size is malformed", where);
            goto out;
        }
        /* every name becomes part of a path (share/doc/<component>) or of a URL: refuse what
         * could climb out or be decoded into something else */
        if (!ge_url_path_safe(a.url_path) || !ge_startswith(a.url_path, "compute/")) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: %s: url_path '%s' is not a plain path under compute/",
                       where, a.url_path);
            goto out;
        }
        if (!ge_name_safe(a.package) || !ge_name_safe(a.component) || !ge_name_safe(a.version) ||
            !ge_name_safe(a.platform) || (a.variant[0] && !ge_name_safe(a.variant))) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: %s: a name (package, component, version, platform or "
                                              "variant) holds a character or form that is not allowed", where);
            goto out;
        }
        a.size = (uint64_t)size->valuedouble;
        if (ge_lock_add(l, &a, err) < 0)
            goto out;
    }
    const cJSON *py = cJSON_GetObjectItemCaseSensitive(doc, "python");
    if (py && !cJSON_IsNull(py)) { /* absent in locks written before it existed */
        if (str_field(py, "framework", l->py_framework, sizeof l->py_framework, "python", err) < 0 ||
            str_field(py, "framework_version", l->py_framework_version, sizeof l->py_framework_version, "python",
                      err) < 0 ||
            str_field(py, "version", l->py_python, sizeof l->py_python, "python", err) < 0 ||
            str_field(py, "index_url", l->py_index, sizeof l->py_index, "python", err) < 0)
            goto out;
        const cJSON *fl = cJSON_GetObjectItemCaseSensitive(py, "find_links");
        if (fl && (!cJSON_IsString(fl) || strlen(fl->valuestring) >= sizeof l->py_find_links ||
                   !ge_startswith(fl->valuestring, "https://") || strpbrk(fl->valuestring, " \n\r\t"))) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: python: 'find_links' is malformed");
            goto out;
        }
        if (fl)
            ge_strlcpy(l->py_find_links, fl->valuestring, sizeof l->py_find_links);
        const cJSON *rq = cJSON_GetObjectItemCaseSensitive(py, "requirements");
        if (!cJSON_IsArray(rq)) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: python: 'requirements' is missing");
            goto out;
        }
        cJSON_ArrayForEach(e, rq)
        {
            /* each goes into requirements.txt: one requirement, no pip option, no line break */
            if (l->py_n >= GE_LOCK_MAX_PY_REQS || !cJSON_IsString(e) || strlen(e->valuestring) >= sizeof l->py_reqs[0] ||
                !e->valuestring[0] || e->valuestring[0] == '-' || strpbrk(e->valuestring, "\n\r")) {
                ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: python: requirements are malformed");
                goto out;
            }
            strcpy(l->py_reqs[l->py_n++], e->valuestring);
        }
        if (strpbrk(l->py_index, " \n\r") ||
            (l->py_index[0] && !ge_startswith(l->py_index, "https://") && !ge_startswith(l->py_index, "http://") &&
             !ge_startswith(l->py_index, "file://"))) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: python: 'index_url' is malformed");
            goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0) {
        if (err->status == GE_EXIT_BAD_DATA)
            ge_err_hint(err, "the lock file is damaged: restore it from version control, or delete it and run "
                             "'gpuenv lock' again");
        ge_lock_fini(l);
    }
    cJSON_Delete(doc);
    return rc;
}

int ge_lock_same_archives(const struct ge_lockfile *a, const struct ge_lockfile *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        int found = 0;
        for (size_t k = 0; k < b->n && !found; k++)
            found = strcmp(a->archives[i].sha256, b->archives[k].sha256) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

int ge_lock_same_python(const struct ge_lockfile *a, const struct ge_lockfile *b)
{
    if (strcmp(a->py_framework, b->py_framework) != 0 || strcmp(a->py_python, b->py_python) != 0 ||
        strcmp(a->py_index, b->py_index) != 0 || strcmp(a->py_find_links, b->py_find_links) != 0 || a->py_n != b->py_n)
        return 0;
    for (int i = 0; i < a->py_n; i++)
        if (strcmp(a->py_reqs[i], b->py_reqs[i]) != 0)
            return 0;
    return 1;
}
