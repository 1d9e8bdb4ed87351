/* cmd_cache.c: 'gpuenv cache list', 'gpuenv cache clean' and 'gpuenv cache verify'. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"
#include "matrix.h"
#include "out.h"
#include "store.h"
#include "str.h"

enum { OPT_JSON };

static const struct ge_opt cache_opts[] = {
    [OPT_JSON] = {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL},
    {NULL, 0, false, NULL, NULL, NULL},
};

static uint64_t tree_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    uint64_t total = 0;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[PATH_MAX];
        if (ge_path_join(child, sizeof child, path, e->d_name) == 0)
            total += tree_bytes(child);
    }
    if (d)
        closedir(d);
    return total;
}

/* The bytes under a cache folder, and its entries (archives or trees; names starting with '.'
 * are gpuenv's work in progress, not counted), in one pass over its top level. */
static uint64_t folder_usage(const char *dir, size_t *entries)
{
    uint64_t total = 0;
    *entries = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        *entries += e->d_name[0] != '.';
        char child[PATH_MAX];
        if (ge_path_join(child, sizeof child, dir, e->d_name) == 0)
            total += tree_bytes(child);
    }
    if (d)
        closedir(d);
    return total;
}

struct damage {
    cJSON *list;  /* for --json */
    bool json;
    size_t n;
};

static void on_damaged(void *ud, const char *kind, const char *sha256, const char *why)
{
    struct damage *d = ud;
    d->n++;
    if (d->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", kind);
        cJSON_AddStringToObject(o, "sha256", sha256);
        cJSON_AddStringToObject(o, "reason", why);
        cJSON_AddItemToArray(d->list, o);
    } else {
        printf("  damaged %s %s: %s: removed\n", kind, sha256, why);
    }
}

static void on_wait(void *ud, const char *what, const char *holder)
{
    (void)ud;
    ge_log_warn("waiting for %s, which another gpuenv holds%s%s", what, holder[0] ? ": " : "", holder);
}

static int cache_run(struct ge_ctx *ctx, int argc, char **argv)
{
    bool json = false;
    int first;
    if (ge_cli_parse_json_only(ctx, argc, argv, OPT_JSON, &json, &first) < 0)
        return ctx->err.status;
    const char *action = argc - first == 1 ? argv[first] : "";
    if (strcmp(action, "list") != 0 && strcmp(action, "clean") != 0 && strcmp(action, "verify") != 0) {
        ge_cli_usage(ctx, "'cache' takes one action: list, clean or verify");
        return ctx->err.status;
    }
    bool clean = strcmp(action, "clean") == 0, verify = strcmp(action, "verify") == 0;
    char dir[3000];
    if (ge_cache_dir(dir, sizeof dir) < 0) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "no cache folder: HOME is not set");
        ge_err_hint(&ctx->err, "set GPUENV_CACHE_DIR or XDG_CACHE_HOME");
        return ctx->err.status;
    }
    struct ge_store s;
    if (ge_store_open(&s, dir, &ctx->err) < 0 || ge_store_lock(&s, "cache", on_wait, NULL, &ctx->err) < 0)
        return ctx->err.status;
    if (verify) {
        struct damage d = {json ? cJSON_CreateArray() : NULL, json, 0};
        size_t na, nt;
        if (!json)
            printf("verifying %s\n", dir);
        int rc = ge_store_verify_all(&s, &na, &nt, on_damaged, &d, &ctx->err);
        ge_store_close(&s);
        if (rc < 0) {
            cJSON_Delete(d.list);
            return ctx->err.status;
        }
        int status = GE_EXIT_OK;
        if (d.n) {
            ge_err_set(&ctx->err, GE_EXIT_BAD_DATA, "%zu damaged entr%s found in the cache and removed", d.n,
                       d.n == 1 ? "y" : "ies");
            ge_err_hint(&ctx->err, "'gpuenv install' downloads or unpacks them again; prefixes installed from them "
                                   "share their files: run 'gpuenv install' in those projects");
            status = GE_EXIT_BAD_DATA;
        }
        if (json) {
            cJSON *doc = ge_json_doc(status == GE_EXIT_OK);
            cJSON_AddStringToObject(doc, "cache", dir);
            cJSON_AddNumberToObject(doc, "archives", (double)na);
            cJSON_AddNumberToObject(doc, "trees", (double)nt);
            cJSON_AddItemToObject(doc, "damaged", d.list);
            if (status != GE_EXIT_OK)
                ge_json_add_error(doc, &ctx->err);
            if (ge_out_json(doc) == 0)
                ctx->json_printed = true;
        } else {
            printf("  %zu archives and %zu unpacked trees verified, %zu damaged\n", na, nt, d.n);
        }
        return status;
    }
    char archives[PATH_MAX], trees[PATH_MAX];
    snprintf(archives, sizeof archives, "%s/archives", dir);
    snprintf(trees, sizeof trees, "%s/trees", dir);
    /* NVIDIA's manifests fetched before, one folder per kind */
    char manifests[PATH_MAX], kinds[2][PATH_MAX + 8];
    snprintf(manifests, sizeof manifests, "%s/manifests", dir);
    snprintf(kinds[0], sizeof kinds[0], "%s/cuda", manifests);
    snprintf(kinds[1], sizeof kinds[1], "%s/cudnn", manifests);
    size_t narch, ntrees, nm0, nm1;
    uint64_t ba = folder_usage(archives, &narch), bt = folder_usage(trees, &ntrees);
    uint64_t bm = folder_usage(kinds[0], &nm0) + folder_usage(kinds[1], &nm1);
    int status = GE_EXIT_OK;
    if (clean && (ge_store_remove_tree(archives, &ctx->err) < 0 || ge_store_remove_tree(trees, &ctx->err) < 0 ||
                  ge_store_remove_tree(manifests, &ctx->err) < 0))
        status = ctx->err.status;
    ge_store_close(&s);
    if (status != GE_EXIT_OK)
        return status;
    if (json) {
        cJSON *doc = ge_json_doc(true);
        cJSON_AddStringToObject(doc, "cache", dir);
        cJSON_AddNumberToObject(doc, "archives", (double)narch);
        cJSON_AddNumberToObject(doc, "archive_bytes", (double)ba);
        cJSON_AddNumberToObject(doc, "trees", (double)ntrees);
        cJSON_AddNumberToObject(doc, "tree_bytes", (double)bt);
        cJSON_AddNumberToObject(doc, "manifests", (double)(nm0 + nm1));
        cJSON_AddNumberToObject(doc, "manifest_bytes", (double)bm);
        cJSON_AddBoolToObject(doc, "cleaned", clean);
        if (ge_out_json(doc) == 0)
            ctx->json_printed = true;
    } else {
        printf("%s %s\n  %zu archives, %.1f MiB\n  %zu unpacked trees, %.1f MiB (hard-linked into prefixes)\n"
               "  %zu NVIDIA manifests, %.1f KiB\n", clean ? "cleaned" : "cache", dir, narch, (double)ba / 1048576.0,
               ntrees, (double)bt / 1048576.0, nm0 + nm1, (double)bm / 1024.0);
    }
    return GE_EXIT_OK;
}

const struct ge_cmd ge_cmd_cache = {
    "cache", "list | clean | verify", "show, empty or verify the download cache",
    "'list' shows the cache's archives, unpacked trees and NVIDIA manifests and their sizes; 'clean'\n"
    "removes them all\n"
    "(installed prefixes keep their files: they are hard links); 'verify' reads every archive and\n"
    "unpacked file back against the SHA-256 recorded for it, removes what is damaged, and exits with\n"
    "status 5 when it found any.",
    cache_opts, cache_run, false, "list clean verify", false,
};
