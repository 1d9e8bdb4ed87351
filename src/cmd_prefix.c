/* cmd_prefix.c: 'gpuenv list' (what the project's prefix holds) and 'gpuenv remove' (drop it). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "lock.h"
#include "out.h"
#include "store.h"
#include "str.h"

enum { OPT_JSON, OPT_DIR, OPT_PREFIX };

static const struct ge_opt prefix_opts[] = {
    [OPT_JSON] = {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL},
    [OPT_DIR] = {"directory", 'C', true, "DIR", "the project folder (default: the current one)", "@dir"},
    [OPT_PREFIX] = {"prefix", 0, true, "DIR", "the prefix instead of the project's .gpuenv", "@dir"},
    {NULL, 0, false, NULL, NULL, NULL},
};

static int prefix_of(struct ge_ctx *ctx, int argc, char **argv, bool *json, char *prefix, size_t size)
{
    const char *dir = NULL, *pre = NULL;
    struct ge_cli_iter it;
    ge_cli_iter_init(&it, ctx, argc, argv);
    const char *arg;
    int o;
    while ((o = ge_cli_next(&it, &arg)) >= 0) {
        if (o == OPT_JSON)
            *json = true;
        else if (o == OPT_DIR)
            dir = arg;
        else if (o == OPT_PREFIX)
            pre = arg;
    }
    int first = it.optind;
    ge_cli_iter_fini(&it);
    if (o == -2)
        return -1;
    if (first < argc)
        return ge_cli_usage(ctx, "unexpected argument '%s'", argv[first]);
    char project[PATH_MAX];
    return ge_store_project_paths(dir, pre, project, sizeof project, prefix, size, &ctx->err);
}

static int list_run(struct ge_ctx *ctx, int argc, char **argv)
{
    bool json = false;
    char prefix[PATH_MAX], lockpath[PATH_MAX + 32];
    if (prefix_of(ctx, argc, argv, &json, prefix, sizeof prefix) < 0)
        return ctx->err.status;
    snprintf(lockpath, sizeof lockpath, "%s/gpuenv-prefix.lock", prefix);
    if (ge_store_require_prefix(prefix, &ctx->err) < 0)
        return ctx->err.status;
    struct ge_lockfile l;
    if (ge_lock_read(lockpath, &l, &ctx->err) < 0)
        return ctx->err.status;
    if (json) {
        cJSON *doc = ge_json_doc(true);
        cJSON_AddStringToObject(doc, "prefix", prefix);
        cJSON_AddStringToObject(doc, "platform", l.platform);
        ge_json_add_strn(doc, "cuda", l.cuda[0] ? l.cuda : NULL);
        ge_json_add_strn(doc, "cudnn", l.cudnn[0] ? l.cudnn : NULL);
        cJSON *cs = cJSON_AddArrayToObject(doc, "components");
        for (size_t i = 0; i < l.n; i++) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "package", l.archives[i].package);
            cJSON_AddStringToObject(c, "component", l.archives[i].component);
            cJSON_AddStringToObject(c, "version", l.archives[i].version);
            cJSON_AddNumberToObject(c, "size", (double)l.archives[i].size);
            cJSON_AddItemToArray(cs, c);
        }
        cJSON_AddItemToObject(doc, "python", ge_lock_python_json(&l, true));
        if (ge_out_json(doc) == 0)
            ctx->json_printed = true;
    } else {
        printf("%s\n", prefix);
        if (l.cuda[0])
            printf("  cuda-toolkit %s%s%s%s%s (%s)\n", l.cuda, l.cudnn[0] ? ", cudnn " : "", l.cudnn,
                   l.cudnn_build[0] ? " " : "", l.cudnn_build, l.platform);
        for (size_t i = 0; i < l.n; i++)
            printf("  %-20s %-14s %s\n", l.archives[i].component, l.archives[i].version, l.archives[i].package);
        if (l.py_framework[0]) {
            printf("  %s %s in the venv (Python %s)%s%s\n", l.py_framework, l.py_framework_version, l.py_python,
                   l.py_index[0] ? ", extra index " : "", l.py_index);
            for (int i = 0; i < l.py_n; i++)
                printf("    %s\n", l.py_reqs[i]);
        }
    }
    ge_lock_fini(&l);
    return GE_EXIT_OK;
}

static void on_wait(void *ud, const char *what, const char *holder)
{
    (void)ud;
    ge_log_warn("waiting for %s, which another gpuenv holds%s%s", what, holder[0] ? ": " : "", holder);
}

static int remove_run(struct ge_ctx *ctx, int argc, char **argv)
{
    bool json = false;
    char prefix[PATH_MAX], marker[PATH_MAX + 32], flock[PATH_MAX + 16];
    if (prefix_of(ctx, argc, argv, &json, prefix, sizeof prefix) < 0)
        return ctx->err.status;
    snprintf(marker, sizeof marker, "%s/gpuenv-prefix.lock", prefix);
    bool had = access(prefix, F_OK) == 0;
    if (had && access(marker, F_OK) != 0) {
        /* never remove a folder gpuenv did not make */
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "'%s' is not a gpuenv environment: not removed", prefix);
        ge_err_hint(&ctx->err, "remove it by hand if it is yours");
        return ctx->err.status;
    }
    snprintf(flock, sizeof flock, "%s.flock", prefix);
    int fd = -1;
    if (had) {
        /* the lock file stays: removing it while another gpuenv waits on it would let a third
         * lock a new file beside the one the second then holds */
        char what[PATH_MAX + 32];
        snprintf(what, sizeof what, "the environment %s", prefix);
        if ((fd = ge_store_lock_file(flock, what, "remove", on_wait, NULL, &ctx->err)) < 0)
            return ctx->err.status;
        if (ge_store_remove_tree(prefix, &ctx->err) < 0) {
            close(fd);
            return ctx->err.status;
        }
        close(fd);
    }
    if (json) {
        cJSON *doc = ge_json_doc(true);
        cJSON_AddStringToObject(doc, "prefix", prefix);
        cJSON_AddBoolToObject(doc, "removed", had);
        if (ge_out_json(doc) == 0)
            ctx->json_printed = true;
    } else {
        printf(had ? "removed %s\n" : "nothing to remove: %s does not exist\n", prefix);
    }
    return GE_EXIT_OK;
}

const struct ge_cmd ge_cmd_list = {
    "list", "", "show what the project's environment holds",
    "Show the CUDA toolkit, cuDNN and components installed in the project's .gpuenv prefix, and the\n"
    "framework's venv with its pip requirements.",
    prefix_opts, list_run, false, NULL, false,
};

const struct ge_cmd ge_cmd_remove = {
    "remove", "", "remove the project's environment (its prefix; gpuenv.lock stays)",
    "Remove the project's .gpuenv prefix, under its lock; the lock file and the shared cache stay,\n"
    "so 'gpuenv install' brings it back without downloading. A folder gpuenv did not make is not removed.",
    prefix_opts, remove_run, false, NULL, false,
};
