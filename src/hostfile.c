/* hostfile.c: machines described by files: the documents 'gpuenv detect --json' prints, one or
 * several in a row (as 'srun gpuenv detect --json' gathers them, one per node), read back as host
 * descriptions, identical node types once. */
#include "hostfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "amd.h"
#include "path.h"
#include "str.h"

#define HOSTFILE_MAX_BYTES (16u << 20)

static int bad(struct ge_err *err, const char *path, int doc, const char *what)
{
    ge_err_set(err, GE_EXIT_USAGE, "--host %s: document %d: %s", path, doc, what);
    ge_err_hint(err, "give what 'gpuenv detect --json' prints on the machine (several documents in a row for "
                     "several nodes)");
    return -1;
}

/* One detect document into a host description. */
static int one_host(const cJSON *d, const char *path, int doc, struct ge_host_req *h, struct ge_err *err)
{
    ge_host_req_init(h);
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(d, "schema");
    const cJSON *drv = cJSON_GetObjectItemCaseSensitive(d, "driver");
    const cJSON *gpus = cJSON_GetObjectItemCaseSensitive(d, "gpus");
    if (!cJSON_IsObject(d) || !cJSON_IsNumber(schema) || schema->valueint != 1 || !gpus || !cJSON_IsArray(gpus))
        return bad(err, path, doc, "not a document of 'gpuenv detect --json' (schema 1, with \"gpus\")");
    /* a failed detect: a node without a usable driver or GPU (a login node) says so; any other
     * failure says nothing about the machine */
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(d, "ok");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "error"), "kind");
    if (cJSON_IsFalse(ok) && !(cJSON_IsString(kind) && (strcmp(kind->valuestring, "no-driver") == 0 ||
                                                        strcmp(kind->valuestring, "no-gpu") == 0))) {
        char what[200];
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "error"), "message");
        snprintf(what, sizeof what, "'gpuenv detect' failed there (%.150s)",
                 cJSON_IsString(msg) ? msg->valuestring : "no message");
        return bad(err, path, doc, what);
    }
    struct ge_err e;
    ge_err_clear(&e);
    if (cJSON_IsObject(drv)) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(drv, "version");
        if (cJSON_IsString(v) && ge_host_set_driver(h, v->valuestring, "the driver's version", &e) < 0)
            return bad(err, path, doc, e.msg);
    } else if (drv && !cJSON_IsNull(drv)) {
        return bad(err, path, doc, "\"driver\" is neither an object nor null");
    }
    const cJSON *g;
    cJSON_ArrayForEach(g, gpus)
    {
        const cJSON *cc = cJSON_GetObjectItemCaseSensitive(g, "cc");
        if (!cJSON_IsString(cc))
            return bad(err, path, doc, "a GPU of \"gpus\" has no \"cc\"");
        if (ge_host_add_gpus(h, cc->valuestring, "its \"gpus\"", &e) < 0)
            return bad(err, path, doc, e.msg);
    }
    const cJSON *amd = cJSON_GetObjectItemCaseSensitive(d, "amd");
    const cJSON *ag = cJSON_IsObject(amd) ? cJSON_GetObjectItemCaseSensitive(amd, "gpus") : NULL;
    cJSON_ArrayForEach(g, ag)
    {
        const cJSON *gfx = cJSON_GetObjectItemCaseSensitive(g, "gfx");
        if (!cJSON_IsString(gfx) || strncmp(gfx->valuestring, "gfx", 3) != 0)
            return bad(err, path, doc, "an AMD GPU has no \"gfx\" target");
        if (ge_host_add_gpus(h, gfx->valuestring, "its \"amd\" GPUs", &e) < 0)
            return bad(err, path, doc, e.msg);
    }
    h->gpus_given = true; /* none listed: a machine without GPUs (a login node), which is a fact too */
    return 0;
}

bool ge_host_req_same(const struct ge_host_req *a, const struct ge_host_req *b)
{
    if (strcmp(a->driver, b->driver) != 0 || a->driver_given != b->driver_given || a->ngpus != b->ngpus ||
        a->namd != b->namd)
        return false;
    for (int i = 0; i < a->ngpus; i++)
        if (ge_cc_cmp(a->gpus[i], b->gpus[i]) != 0)
            return false;
    for (int i = 0; i < a->namd; i++)
        if (a->amd[i] != b->amd[i])
            return false;
    return true;
}

int ge_hostfile_parse(const char *text, const char *path, struct ge_host_req *out, int max, int *n,
                      struct ge_err *err)
{
    *n = 0;
    const char *p = text;
    int doc = 0;
    for (;;) {
        p += strspn(p, " \t\r\n");
        if (!*p)
            break;
        doc++;
        const char *end = NULL;
        cJSON *d = cJSON_ParseWithOpts(p, &end, false);
        if (!d) {
            int line = 1;
            const char *stop = cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : p;
            for (const char *q = text; q < stop && *q; q++)
                line += *q == '\n';
            char what[64];
            snprintf(what, sizeof what, "not valid JSON (near line %d)", line);
            return bad(err, path, doc, what);
        }
        struct ge_host_req h;
        int rc = one_host(d, path, doc, &h, err);
        cJSON_Delete(d);
        if (rc < 0)
            return -1;
        bool seen = false;
        for (int i = 0; i < *n && !seen; i++)
            seen = ge_host_req_same(&out[i], &h);
        if (!seen) {
            if (*n == max)
                return bad(err, path, doc, "more node types than gpuenv takes");
            out[(*n)++] = h;
        }
        p = end;
    }
    if (!doc) {
        ge_err_set(err, GE_EXIT_USAGE, "--host %s: the file holds no document", path);
        ge_err_hint(err, "give what 'gpuenv detect --json' prints on the machine");
        return -1;
    }
    return 0;
}

/* Standard input whole, NUL-ended; NULL (errno set) past max bytes. */
static char *read_stdin(size_t max, size_t *len)
{
    struct ge_buf b;
    ge_buf_init(&b);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (b.len + got > max || ge_buf_add(&b, chunk, got) < 0) {
            ge_buf_fini(&b);
            errno = EFBIG;
            return NULL;
        }
    }
    *len = b.len;
    char *text = strdup(ge_buf_str(&b));
    ge_buf_fini(&b);
    return text;
}

int ge_hostfile_read(const char *path, struct ge_host_req *out, int max, int *n, struct ge_err *err)
{
    size_t len = 0;
    errno = 0;
    char *text = strcmp(path, "-") == 0 ? read_stdin(HOSTFILE_MAX_BYTES, &len) : ge_read_file(path, HOSTFILE_MAX_BYTES, &len);
    if (!text) {
        ge_err_set(err, GE_EXIT_USAGE, "--host %s: %s", path, errno ? strerror(errno) : "cannot be read");
        ge_err_hint(err, "give a file holding what 'gpuenv detect --json' prints, or - for standard input");
        return -1;
    }
    if (strlen(text) != len) {
        free(text);
        ge_err_set(err, GE_EXIT_USAGE, "--host %s: the file holds a NUL byte", path);
        ge_err_hint(err, "give what 'gpuenv detect --json' prints");
        return -1;
    }
    int rc = ge_hostfile_parse(text, path, out, max, n, err);
    free(text);
    return rc;
}
