/* cmd_mirror.c: 'gpuenv mirror DIR [REQUIREMENT...]': options, the lock to mirror (a new plan, or
 * --lock FILE), the filling (mirror.c), and what the user sees of it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "fleet.h"
#include "lockplan.h"
#include "mirror.h"
#include "out.h"
#include "pyenv.h"
#include "str.h"

enum {
    OPT_JSON, OPT_LOCK, OPT_COMPONENTS, OPT_MIRROR, OPT_PYTORCH_MIRROR, OPT_JOBS, OPT_STRICT, OPT_DRIVER, OPT_GPU,
    OPT_HOST, OPT_PYTHON, OPT_PLATFORM, OPT_ARCH, OPT_NO_PYTHON, OPT_PYTHON_ONLY, OPT_VENDOR, OPT_HSA_OVERRIDE,
    OPT_GLIBC,
};

static const struct ge_opt mirror_opts[] = {
    [OPT_JSON] = {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL},
    [OPT_LOCK] = {"lock", 0, true, "FILE", "mirror what this gpuenv.lock pins instead of resolving requirements",
                  "@file"},
    [OPT_COMPONENTS] = {"components", 0, true, "LIST",
                        "NVIDIA component names, comma-separated (default: a development toolkit and cuDNN)", NULL},
    [OPT_MIRROR] = {"mirror", 0, true, "URL", "origin to copy NVIDIA's files from instead of developer.download.nvidia.com",
                    NULL},
    [OPT_PYTORCH_MIRROR] = {"pytorch-mirror", 0, true, "URL", "origin instead of https://download.pytorch.org",
                            NULL},
    [OPT_JOBS] = {"jobs", 'j', true, "N", "downloads at once (default 4)", NULL},
    [OPT_STRICT] = {"strict", 0, false, NULL, "require the driver to run the toolkit natively", NULL},
    [OPT_DRIVER] = {"driver", 0, true, "VERSION", "resolve for a machine with this driver instead of probing", NULL},
    [OPT_GPU] = {"gpu", 0, true, "CC|GFX",
                 "resolve for a GPU of this compute capability, or an AMD GPU of this gfx target (repeatable)",
                 GE_GPU_COMPLETIONS},
    [OPT_HOST] = {"host", 0, true, "FILE",
                  "resolve for the machines 'gpuenv detect --json' described there (- for stdin; repeatable: all at once)",
                  "@file"},
    [OPT_PYTHON] = {"python", 0, true, "X.Y|PATH",
                    "the target machines' Python version; a path names the interpreter whose pip downloads",
                    "3.9 3.10 3.11 3.12 3.13 3.14 @file"},
    [OPT_PLATFORM] = {"platform", 0, true, "OS", "linux (installing for windows is not supported)", "linux"},
    [OPT_ARCH] = {"arch", 0, true, "ARCH", "x86_64 or aarch64 (linux-sbsa archives)", "x86_64 aarch64"},
    [OPT_NO_PYTHON] = {"no-python", 0, false, NULL, "mirror only NVIDIA's parts, no wheels", NULL},
    [OPT_PYTHON_ONLY] = {"python-only", 0, false, NULL, "mirror only the framework's wheels", NULL},
    [OPT_VENDOR] = {"vendor", 0, true, "VENDOR", "plan for the machine's nvidia or amd GPUs (where it has both)",
                    "nvidia amd"},
    [OPT_HSA_OVERRIDE] = {"hsa-override", 0, false, NULL,
                          "let an AMD GPU no build carries run a same-family target's code (see install)", NULL},
    [OPT_GLIBC] = {"glibc", 0, true, "X.Y",
                   "the oldest glibc of the target machines: wheels up to manylinux_X_Y (default: this machine's)",
                   "2.17 2.28 2.31 2.34 2.35 2.39"},
    {NULL, 0, false, NULL, NULL, NULL},
};

struct opts {
    bool json, no_python, python_only;
    const char *dir, *lock, *components, *mirror, *pytorch_mirror, *python, *platform, *arch, *glibc;
    const char *python_exe;
    char python_xy[16], glibc_here[16];
    int jobs;
    struct ge_resolve_opts ro;
    struct ge_host_req req;
    struct ge_fleet_req *fleet;
    int nreqs;
    char **reqs;
};

static int parse(struct ge_ctx *ctx, int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    ge_host_req_init(&o->req);
    if (!(o->fleet = ge_fleet_req_new()))
        return ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
    struct ge_cli_iter it;
    ge_cli_iter_init(&it, ctx, argc, argv);
    const char *arg;
    int opt, rc = 0;
    while (rc == 0 && (opt = ge_cli_next(&it, &arg)) >= 0) {
        switch (opt) {
        case OPT_JSON: o->json = true; break;
        case OPT_LOCK: o->lock = arg; break;
        case OPT_COMPONENTS: o->components = arg; break;
        case OPT_MIRROR: o->mirror = arg; break;
        case OPT_PYTORCH_MIRROR: o->pytorch_mirror = arg; break;
        case OPT_JOBS: {
            long v = 0;
            rc = ge_cli_number(ctx, "--jobs", arg, 1, 64, &v);
            o->jobs = (int)v;
            break;
        }
        case OPT_STRICT: o->ro.strict = true; break;
        case OPT_DRIVER: rc = ge_host_set_driver(&o->req, arg, "--driver", &ctx->err); break;
        case OPT_GPU: rc = ge_host_add_gpus(&o->req, arg, "--gpu", &ctx->err); break;
        case OPT_HOST: rc = ge_fleet_add_file(o->fleet, arg, &ctx->err); break;
        case OPT_PYTHON: o->python = arg; break;
        case OPT_PLATFORM: o->platform = arg; break;
        case OPT_ARCH: o->arch = arg; break;
        case OPT_NO_PYTHON: o->no_python = true; break;
        case OPT_PYTHON_ONLY: o->python_only = true; break;
        case OPT_VENDOR: rc = ge_host_set_vendor(&o->ro.vendor, arg, &ctx->err); break;
        case OPT_HSA_OVERRIDE: o->ro.hsa_override = true; break;
        case OPT_GLIBC: o->glibc = arg; break;
        }
    }
    int first = it.optind;
    ge_cli_iter_fini(&it);
    if (rc < 0 || opt == -2)
        return -1;
    if (first >= argc)
        return ge_cli_usage(ctx, "'mirror' needs the folder to fill: gpuenv mirror DIR [REQUIREMENT...]");
    o->dir = argv[first];
    o->nreqs = argc - first - 1;
    o->reqs = argv + first + 1;
    if (!o->dir[0])
        return ge_cli_usage(ctx, "the mirror's folder is empty");
    if (o->no_python && o->python_only)
        return ge_cli_usage(ctx, "--no-python and --python-only exclude each other");
    if (ge_cli_url(ctx, "--mirror", o->mirror) < 0 || ge_cli_url(ctx, "--pytorch-mirror", o->pytorch_mirror) < 0)
        return -1;
    if (o->lock && o->nreqs)
        return ge_cli_usage(ctx, "--lock FILE and requirements both say what to mirror: give one of them");
    if (o->lock && (o->fleet->n || ge_host_req_overrides(&o->req) || o->components || o->pytorch_mirror))
        return ge_cli_usage(ctx, "--lock FILE mirrors what the lock pins: --host, --driver, --gpu, --components and "
                                 "--pytorch-mirror do not apply");
    if (o->glibc) {
        char tags[1][40];
        if (ge_mirror_platforms(o->glibc, "x86_64", tags, 1) == 0)
            return ge_cli_usage(ctx, "invalid --glibc '%s': give the glibc version as 2.Y (2.5 or later)", o->glibc);
    } else {
        /* this machine's: the machines a mirror serves usually run the same system */
        char v[64] = "";
        if (confstr(_CS_GNU_LIBC_VERSION, v, sizeof v) > 0 && ge_startswith(v, "glibc "))
            ge_strlcpy(o->glibc_here, v + 6, sizeof o->glibc_here);
        else
            ge_strlcpy(o->glibc_here, "2.28", sizeof o->glibc_here);
        o->glibc = o->glibc_here;
    }
    if (ge_cli_python(ctx, &o->python, &o->python_exe, o->python_xy, sizeof o->python_xy) < 0)
        return -1;
    return ge_fleet_check_req(o->fleet, &o->req, &ctx->err);
}

/* The lock to mirror: --lock FILE, else a plan for the requirements, else ./gpuenv.lock. */
static int want_lock(struct ge_ctx *ctx, const struct opts *o, struct ge_lockfile *l, struct ge_notes *notes)
{
    if (o->lock || o->nreqs == 0) {
        const char *path = o->lock ? o->lock : "gpuenv.lock";
        if (!o->lock && access(path, F_OK) != 0) {
            ge_err_set(&ctx->err, GE_EXIT_USAGE, "nothing to mirror: no requirements, no --lock, and no gpuenv.lock "
                                                 "here");
            ge_err_hint(&ctx->err, "give requirements (gpuenv mirror DIR torch) or a lock (--lock path/gpuenv.lock)");
            return -1;
        }
        if (ge_lock_read(path, l, &ctx->err) < 0)
            return -1;
        if (o->python && l->py_framework[0] && strcmp(o->python, l->py_python) != 0) {
            ge_err_set(&ctx->err, GE_EXIT_USAGE, "--python %s, but %s pins Python %s", o->python, path, l->py_python);
            ge_err_hint(&ctx->err, "a lock's wheels are for its own Python: give an interpreter of %s, or none",
                        l->py_python);
            return -1;
        }
        return 0;
    }
    struct ge_lockplan_req lr = {&o->req, o->fleet, o->python, o->platform, o->arch, o->ro, o->reqs, o->nreqs,
                                 o->components, o->pytorch_mirror, o->no_python, o->python_only, o->mirror, false};
    struct ge_host_view *hv = calloc(1, sizeof *hv);
    if (!hv)
        return ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
    int rc = ge_lockplan_make(&lr, l, hv, notes, &ctx->err);
    free(hv);
    return rc;
}

/* ---- what the user sees ---- */

static void on_fetched(void *ud, const struct ge_fetch_job *j)
{
    (void)ud;
    const char *base = strrchr(j->url, '/');
    if (j->status == 0)
        ge_log_info("downloaded %s (%.1f MiB%s)", base ? base + 1 : j->url, (double)j->size / 1048576.0,
                    j->resumed ? ", resumed" : "");
}

static void on_damaged(void *ud, const char *what, const char *why)
{
    (void)ud;
    ge_log_warn("the mirror's %s is damaged (%s): replacing it", what, why);
}

static void on_command(void *ud, char *const argv[])
{
    (void)ud;
    ge_out_command(argv);
}

static void on_wait(void *ud, const char *what, const char *holder)
{
    (void)ud;
    ge_log_warn("waiting for %s, which another gpuenv holds%s%s", what, holder[0] ? ": " : "", holder);
}

static void print_text(const char *dir, const char *url, const struct ge_lockfile *l, const struct ge_mirror_result *r,
                       const struct ge_notes *notes)
{
    const char *b = ge_out_style(GE_STYLE_BOLD), *z = ge_out_style(GE_STYLE_RESET);
    printf("%smirrored%s into %s\n", b, z, dir);
    if (r->archives)
        printf("  cuda-toolkit %s%s%s: %zu manifest%s, %zu archive%s (%zu downloaded, %.1f MiB; %zu replaced)\n",
               l->cuda[0] ? l->cuda : "-", l->cudnn[0] ? ", cudnn " : "", l->cudnn, r->manifests,
               r->manifests == 1 ? "" : "s", r->archives, r->archives == 1 ? "" : "s", r->archives_fetched,
               (double)r->bytes_fetched / 1048576.0, r->archives_repaired);
    if (r->wheels_done)
        printf("  %s %s for Python %s: %zu wheel%s in the index (%zu new; %zu replaced)\n", l->py_framework,
               l->py_framework_version, l->py_python, r->wheels, r->wheels == 1 ? "" : "s", r->wheels_added,
               r->wheels_repaired);
    printf("install from it with:  gpuenv install --mirror %s --offline\n", url);
    for (int i = 0; i < notes->n; i++)
        printf("note: %s\n", notes->text[i]);
}

static void print_json(struct ge_ctx *ctx, int status, const char *dir, const char *url, const struct opts *o,
                       const struct ge_lockfile *l, const struct ge_mirror_result *r, const struct ge_notes *notes)
{
    cJSON *doc = ge_json_doc(status == GE_EXIT_OK);
    cJSON_AddStringToObject(doc, "mirror", dir);
    cJSON_AddStringToObject(doc, "url", url);
    ge_json_add_strn(doc, "cuda", l->cuda[0] ? l->cuda : NULL);
    ge_json_add_strn(doc, "cudnn", l->cudnn[0] ? l->cudnn : NULL);
    cJSON_AddItemToObject(doc, "python", ge_lock_python_json(l, true));
    cJSON_AddItemToObject(doc, "hosts", ge_lock_hosts_json(l));
    cJSON *m = cJSON_AddObjectToObject(doc, "manifests");
    cJSON_AddNumberToObject(m, "count", (double)r->manifests);
    cJSON_AddNumberToObject(m, "written", (double)r->manifests_written);
    cJSON *a = cJSON_AddObjectToObject(doc, "archives");
    cJSON_AddNumberToObject(a, "count", (double)r->archives);
    cJSON_AddNumberToObject(a, "fetched", (double)r->archives_fetched);
    cJSON_AddNumberToObject(a, "bytes", (double)r->bytes_fetched);
    cJSON_AddNumberToObject(a, "repaired", (double)r->archives_repaired);
    if (r->wheels_done) {
        cJSON *w = cJSON_AddObjectToObject(doc, "wheels");
        cJSON_AddNumberToObject(w, "count", (double)r->wheels);
        cJSON_AddNumberToObject(w, "added", (double)r->wheels_added);
        cJSON_AddNumberToObject(w, "repaired", (double)r->wheels_repaired);
        cJSON_AddStringToObject(w, "glibc", o->glibc);
    } else {
        cJSON_AddNullToObject(doc, "wheels");
    }
    cJSON *n = cJSON_AddArrayToObject(doc, "notes");
    for (int i = 0; i < notes->n; i++)
        cJSON_AddItemToArray(n, cJSON_CreateString(notes->text[i]));
    if (status != GE_EXIT_OK)
        ge_json_add_error(doc, &ctx->err);
    if (ge_out_json(doc) == 0)
        ctx->json_printed = true;
}

static int mirror_run(struct ge_ctx *ctx, int argc, char **argv)
{
    struct opts o;
    struct ge_lockfile l;
    struct ge_notes notes = {0, {{0}}};
    struct ge_mirror_result r;
    memset(&r, 0, sizeof r);
    ge_lock_init(&l);
    int status = GE_EXIT_FAILURE;
    char dir[PATH_MAX], url[PATH_MAX + 8];
    if (parse(ctx, argc, argv, &o) < 0)
        goto out;
    if (o.dir[0] == '/') {
        ge_strlcpy(dir, o.dir, sizeof dir);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) || ge_fmt(dir, sizeof dir, "%s/%s", cwd, o.dir) < 0) {
            ge_err_set(&ctx->err, GE_EXIT_USAGE, "the mirror's path is too long: %s", o.dir);
            goto out;
        }
    }
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    snprintf(url, sizeof url, "file://%s", dir);
    if (want_lock(ctx, &o, &l, &notes) < 0)
        goto out;
    const char *arch = o.arch ? o.arch : strcmp(l.platform, "linux-sbsa") == 0 ? "aarch64" : "x86_64";
    struct ge_lockfile use = l; /* --python-only: the archives stay out */
    if (o.python_only && o.lock)
        use.n = 0;
    struct ge_mirror_opts mo = {dir, o.mirror, o.jobs, o.no_python, o.python_exe, o.glibc, arch,
                                ge_log_level() < GE_LOG_NORMAL};
    struct ge_mirror_events ev = {on_fetched, on_damaged, on_command, on_wait, NULL};
    int rc = ge_mirror_fill(&use, &mo, &ev, &r, &ctx->err);
    status = rc == 0 ? GE_EXIT_OK : ctx->err.status;
    if (o.json)
        print_json(ctx, status, dir, url, &o, &l, &r, &notes);
    else if (rc == 0)
        print_text(dir, url, &l, &r, &notes);
out:
    if (status != GE_EXIT_OK && ctx->err.status)
        status = ctx->err.status;
    ge_lock_fini(&l);
    free(o.fleet);
    return status;
}

const struct ge_cmd ge_cmd_mirror = {
    "mirror",
    "DIR [REQUIREMENT...]",
    "download everything a plan needs into DIR, for installing without a network",
    "Resolve the requirements (as 'gpuenv lock'; or take --lock FILE, or ./gpuenv.lock) and put into\n"
    "DIR what installing them needs, laid out as the origins lay it out: NVIDIA's manifests and\n"
    "archives under compute/, verified against the lock, and the framework's wheels with their\n"
    "dependencies for the target Python, architecture and glibc ('pip download') as a PEP 503 index\n"
    "under simple/. Running it again verifies what is there, replaces what is damaged and adds what\n"
    "is missing; one DIR can hold several plans. Then, on a machine without a network:\n"
    "'gpuenv install --mirror file://DIR --offline'.",
    mirror_opts,
    mirror_run,
    false,
    "@dir cuda-toolkit cudnn torch tensorflow jax", false,
};
