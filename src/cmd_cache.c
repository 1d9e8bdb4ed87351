/* cmd_cache.c: 'gpuenv cache list', 'gpuenv cache clean' and 'gpuenv cache verify'. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cache_use.h"
#include "cmds.h"
#include "matrix.h"
#include "out.h"
#include "store.h"
#include "str.h"

enum { OPT_JSON, OPT_FORCE };

static const struct ge_opt cache_opts[] = {
    [OPT_JSON] = {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL},
    [OPT_FORCE] = {"force", 0, false, NULL, "clean: remove also what existing prefixes were installed from", NULL},
    {NULL, 0, false, NULL, NULL, NULL},
};

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
            total += ge_cache_bytes(child);
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

static void print_text(const char *dir, const struct ge_cache_use *u, size_t narch, uint64_t ba, size_t ntrees,
                       uint64_t bt, size_t nman, uint64_t bm, bool readonly)
{
    printf("cache %s%s\n  %zu archives, %.1f MiB\n  %zu unpacked trees, %.1f MiB (hard-linked into prefixes)\n"
           "  %zu NVIDIA manifests, %.1f KiB\n", dir, readonly ? " (read-only to this user)" : "", narch,
           (double)ba / 1048576.0, ntrees, (double)bt / 1048576.0, nman, (double)bm / 1024.0);
    for (size_t i = 0; i < u->nentries; i++) {
        const struct ge_cache_entry *e = &u->entries[i];
        printf("  %.12s  %-20s %-12s %-14s %9.1f MiB  ", e->sha256, e->component[0] ? e->component : "-",
               e->version[0] ? e->version : "-", e->archive && e->tree ? "archive+tree" : e->archive ? "archive" : "tree",
               (double)e->bytes / 1048576.0);
        if (!e->nusers)
            printf("unused\n");
        for (size_t k = 0; k < e->nusers && k < sizeof e->users / sizeof e->users[0]; k++)
            printf("%s%s", k ? ", " : "used by ", u->users[e->users[k]].prefix);
        if (e->nusers > sizeof e->users / sizeof e->users[0])
            printf(" and %zu more", e->nusers - sizeof e->users / sizeof e->users[0]);
        if (e->nusers)
            printf("\n");
    }
    size_t gone = 0;
    for (size_t k = 0; k < u->nusers; k++)
        gone += !u->users[k].exists;
    printf("  %zu prefixes installed from it%s", u->nusers - gone, gone ? "" : "\n");
    if (gone)
        printf(" (%zu more are gone: 'cache clean' forgets them)\n", gone);
}

static void print_json(struct ge_ctx *ctx, const char *dir, const struct ge_cache_use *u, bool clean, size_t removed,
                       size_t kept, size_t narch, uint64_t ba, size_t ntrees, uint64_t bt, size_t nman, uint64_t bm,
                       bool readonly)
{
    cJSON *doc = ge_json_doc(true);
    cJSON_AddStringToObject(doc, "cache", dir);
    cJSON_AddBoolToObject(doc, "readonly", readonly);
    cJSON_AddNumberToObject(doc, "archives", (double)narch);
    cJSON_AddNumberToObject(doc, "archive_bytes", (double)ba);
    cJSON_AddNumberToObject(doc, "trees", (double)ntrees);
    cJSON_AddNumberToObject(doc, "tree_bytes", (double)bt);
    cJSON_AddNumberToObject(doc, "manifests", (double)nman);
    cJSON_AddNumberToObject(doc, "manifest_bytes", (double)bm);
    cJSON_AddBoolToObject(doc, "cleaned", clean);
    if (clean) {
        cJSON_AddNumberToObject(doc, "removed", (double)removed);
        cJSON_AddNumberToObject(doc, "kept", (double)kept);
    }
    cJSON *es = cJSON_AddArrayToObject(doc, "entries");
    for (size_t i = 0; i < u->nentries; i++) {
        const struct ge_cache_entry *e = &u->entries[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "sha256", e->sha256);
        ge_json_add_strn(o, "component", e->component[0] ? e->component : NULL);
        ge_json_add_strn(o, "version", e->version[0] ? e->version : NULL);
        cJSON_AddBoolToObject(o, "archive", e->archive);
        cJSON_AddBoolToObject(o, "tree", e->tree);
        cJSON_AddNumberToObject(o, "bytes", (double)e->bytes);
        cJSON *by = cJSON_AddArrayToObject(o, "used_by");
        for (size_t k = 0; k < e->nusers && k < sizeof e->users / sizeof e->users[0]; k++)
            cJSON_AddItemToArray(by, cJSON_CreateString(u->users[e->users[k]].prefix));
        cJSON_AddItemToArray(es, o);
    }
    cJSON *ps = cJSON_AddArrayToObject(doc, "prefixes");
    for (size_t k = 0; k < u->nusers; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", u->users[k].prefix);
        cJSON_AddBoolToObject(o, "exists", u->users[k].exists);
        cJSON_AddItemToArray(ps, o);
    }
    if (ge_out_json(doc) == 0)
        ctx->json_printed = true;
}

static int cache_run(struct ge_ctx *ctx, int argc, char **argv)
{
    bool json = false, force = false;
    struct ge_cli_iter it;
    ge_cli_iter_init(&it, ctx, argc, argv);
    const char *arg;
    int opt;
    while ((opt = ge_cli_next(&it, &arg)) >= 0) {
        if (opt == OPT_JSON)
            json = true;
        else if (opt == OPT_FORCE)
            force = true;
    }
    int first = it.optind;
    ge_cli_iter_fini(&it);
    if (opt == -2)
        return ctx->err.status;
    const char *action = argc - first == 1 ? argv[first] : "";
    if (strcmp(action, "list") != 0 && strcmp(action, "clean") != 0 && strcmp(action, "verify") != 0) {
        ge_cli_usage(ctx, "'cache' takes one action: list, clean or verify");
        return ctx->err.status;
    }
    bool clean = strcmp(action, "clean") == 0, verify = strcmp(action, "verify") == 0;
    if (force && !clean) {
        ge_cli_usage(ctx, "--force goes with 'cache clean'");
        return ctx->err.status;
    }
    char dir[3000];
    if (ge_cache_dir(dir, sizeof dir) < 0) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "no cache folder: HOME is not set");
        ge_err_hint(&ctx->err, "set GPUENV_CACHE_DIR or XDG_CACHE_HOME");
        return ctx->err.status;
    }
    struct ge_store s;
    if (ge_store_open(&s, dir, &ctx->err) < 0)
        return ctx->err.status;
    if (s.readonly && (clean || verify)) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "the cache %s is read-only to this user: 'cache %s' changes it", dir,
                   action);
        ge_err_hint(&ctx->err, "run it as the cache's keeper");
        return ctx->err.status;
    }
    if (ge_store_lock(&s, "cache", on_wait, NULL, &ctx->err) < 0)
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
    struct ge_cache_use u;
    if (ge_cache_use_read(&s, &u, &ctx->err) < 0) {
        ge_store_close(&s);
        return ctx->err.status;
    }
    size_t removed = 0, kept = 0;
    int status = GE_EXIT_OK;
    if (clean && (ge_cache_use_clean(&s, &u, force, &removed, &kept, &ctx->err) < 0 ||
                  (force && ge_store_remove_tree(manifests, &ctx->err) < 0)))
        status = ctx->err.status;
    ge_store_close(&s);
    if (status == GE_EXIT_OK) {
        if (json)
            print_json(ctx, dir, &u, clean, removed, kept, narch, ba, ntrees, bt, nm0 + nm1, bm, s.readonly);
        else if (clean)
            printf("cleaned %s\n  %zu entries removed, %zu kept for the prefixes that use them%s\n", dir, removed, kept,
                   u.any_unknown && !force ? " (a prefix's lock cannot be read: every entry kept)" : "");
        else
            print_text(dir, &u, narch, ba, ntrees, bt, nm0 + nm1, bm, s.readonly);
    }
    ge_cache_use_fini(&u);
    return status;
}

const struct ge_cmd ge_cmd_cache = {
    "cache", "list | clean | verify", "show, empty or verify the download cache",
    "'list' shows the cache's archives, unpacked trees and NVIDIA manifests and their sizes, and which\n"
    "prefixes were installed from each entry; 'clean' removes what no existing prefix was installed\n"
    "from (--force: everything; prefixes keep their files either way); 'verify' reads every archive and\n"
    "unpacked file back against the SHA-256 recorded for it, removes what is damaged, and exits with\n"
    "status 5 when it found any.",
    cache_opts, cache_run, false, "list clean verify", false,
};
