/* cmd_install.c: 'gpuenv install' and 'gpuenv lock': options, the plan (lockplan.c), the install
 * transaction (install.c), and what the user sees of them: progress, the result, --json. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "activate.h"
#include "cmds.h"
#include "host.h"
#include "install.h"
#include "lockplan.h"
#include "mirror.h"
#include "out.h"
#include "project.h"
#include "fleet.h"
#include "pyenv.h"
#include "str.h"
#include "venv.h"

enum {
    OPT_JSON, OPT_DIR, OPT_PREFIX, OPT_COMPONENTS, OPT_MIRROR, OPT_LOCKED, OPT_JOBS,
    OPT_STRICT, OPT_DRIVER, OPT_GPU, OPT_PYTHON, OPT_PLATFORM, OPT_ARCH,
    OPT_NO_PYTHON, OPT_PYTHON_ONLY, OPT_PYTORCH_MIRROR, OPT_SYSTEM_SITE, OPT_VERIFY, OPT_MAX_RATIO, OPT_VENDOR,
    OPT_HSA_OVERRIDE, OPT_HOST, OPT_OFFLINE,
};

static const struct ge_opt install_opts[] = {
    [OPT_JSON] = {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL},
    [OPT_DIR] = {"directory", 'C', true, "DIR", "the project folder (default: the current one)", "@dir"},
    [OPT_PREFIX] = {"prefix", 0, true, "DIR", "install into DIR instead of the project's .gpuenv", "@dir"},
    [OPT_COMPONENTS] = {"components", 0, true, "LIST",
                        "NVIDIA component names, comma-separated (default: a development toolkit and cuDNN)", NULL},
    [OPT_MIRROR] = {"mirror", 0, true, "URL", "origin to download from instead of developer.download.nvidia.com", NULL},
    [OPT_LOCKED] = {"locked", 0, false, NULL, "fail if the request and gpuenv.lock disagree", NULL},
    [OPT_JOBS] = {"jobs", 'j', true, "N", "downloads at once (default 4)", NULL},
    [OPT_STRICT] = {"strict", 0, false, NULL, "require the driver to run the toolkit natively", NULL},
    [OPT_DRIVER] = {"driver", 0, true, "VERSION", "resolve for a machine with this driver instead of probing", NULL},
    [OPT_GPU] = {"gpu", 0, true, "CC|GFX",
                 "resolve for a GPU of this compute capability, or an AMD GPU of this gfx target (repeatable)",
                 GE_GPU_COMPLETIONS},
    [OPT_PYTHON] = {"python", 0, true, "X.Y|PATH",
                    "resolve for this Python version; a path names the interpreter for the framework's venv",
                    "3.9 3.10 3.11 3.12 3.13 3.14 @file"},
    [OPT_PLATFORM] = {"platform", 0, true, "OS", "linux (installing for windows is not supported)", "linux"},
    [OPT_ARCH] = {"arch", 0, true, "ARCH", "x86_64 or aarch64 (linux-sbsa archives)", "x86_64 aarch64"},
    [OPT_NO_PYTHON] = {"no-python", 0, false, NULL, "install only the NVIDIA parts, no framework venv", NULL},
    [OPT_PYTHON_ONLY] = {"python-only", 0, false, NULL, "install only the framework's venv", NULL},
    [OPT_PYTORCH_MIRROR] = {"pytorch-mirror", 0, true, "URL", "origin instead of https://download.pytorch.org",
                            NULL},
    [OPT_SYSTEM_SITE] = {"system-site-packages", 0, false, NULL,
                         "let the venv see the interpreter's own packages (a framework installed there)", NULL},
    [OPT_VERIFY] = {"verify", 0, false, NULL,
                    "read every cached file back against its SHA-256 before using it (default: size and time)", NULL},
    [OPT_MAX_RATIO] = {"max-unpack-ratio", 0, true, "N",
                       "refuse an archive that unpacks to more than N times its size plus 64 MiB (default 32)", NULL},
    [OPT_VENDOR] = {"vendor", 0, true, "VENDOR", "plan for the machine's nvidia or amd GPUs (where it has both)",
                    "nvidia amd"},
    [OPT_HSA_OVERRIDE] = {"hsa-override", 0, false, NULL,
                          "let an AMD GPU no build carries run a same-family target's code; the activation sets "
                          "HSA_OVERRIDE_GFX_VERSION (unsupported by AMD)", NULL},
    [OPT_HOST] = {"host", 0, true, "FILE",
                  "resolve for the machines 'gpuenv detect --json' described there (- for stdin; repeatable: all at once)",
                  "@file"},
    [OPT_OFFLINE] = {"offline", 0, false, NULL,
                     "never use the network: the cache, and a file:// --mirror made by 'gpuenv mirror' (also "
                     "GPUENV_OFFLINE=1)", NULL},
    {NULL, 0, false, NULL, NULL, NULL},
};

struct opts {
    bool offline;
    bool json, locked, write_only, no_python, python_only, system_site, verify;
    const char *dir, *prefix, *components, *mirror, *python, *platform, *arch, *pytorch_mirror;
    const char *python_exe; /* --python PATH */
    char python_xy[16];     /* its version, what the plan is resolved for */
    int jobs;
    unsigned max_ratio;
    struct ge_resolve_opts ro;
    struct ge_host_req req;
    struct ge_fleet_req *fleet; /* --host FILE...: owned */
    int nreqs;
    char **reqs;
};

/* ---- what the user sees while it runs ---- */

struct view {
    bool bars;           /* a terminal: progress bars */
    bool lines;          /* a log: a line per finished download and archive */
    double unpack_t0;    /* when the first compressed byte was read */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bar(char *out, size_t size, uint64_t done, uint64_t total)
{
    int width = 24, fill = total ? (int)((double)done / (double)total * width) : 0;
    if (fill > width)
        fill = width;
    char b[32];
    for (int i = 0; i < width; i++)
        b[i] = i < fill ? '#' : '.';
    b[width] = '\0';
    snprintf(out, size, "[%s] %3d%%", b, total ? (int)(100.0 * (double)done / (double)total) : 0);
}

/* On a terminal: a bar per file being downloaded, one for all downloads, one for unpacking with
 * its rate and the time left. */
static void on_progress(void *ud, const struct ge_install_progress *p)
{
    struct view *v = ud;
    if (!v->bars)
        return;
    static char text[10][200];
    const char *lines[10];
    int k = 0;
    uint64_t done = 0, total = 0;
    size_t finished = 0;
    for (size_t i = 0; i < p->njobs; i++) {
        const struct ge_fetch_job *j = &p->jobs[i];
        done += j->done;
        total += j->size;
        finished += j->status == 0;
        if (j->status != -1 || j->attempts == 0 || k >= 8)
            continue; /* only transfers under way */
        const char *base = strrchr(j->url, '/');
        char b[48];
        bar(b, sizeof b, j->done, j->size);
        snprintf(text[k], sizeof text[k], "  %-44.44s %s %8.1f MiB", base ? base + 1 : j->url, b,
                 (double)j->size / 1048576.0);
        lines[k] = text[k];
        k++;
    }
    char b[48];
    if (p->njobs) {
        bar(b, sizeof b, done, total);
        snprintf(text[k], sizeof text[k], "downloading %zu/%zu %-30s %s %8.1f MiB", finished, p->njobs, "", b,
                 (double)total / 1048576.0);
        lines[k] = text[k];
        k++;
    }
    if (p->unpack.queued) {
        const struct ge_unpack_status *u = &p->unpack;
        if (u->bytes_done > 0 && v->unpack_t0 == 0)
            v->unpack_t0 = now_s();
        double el = v->unpack_t0 ? now_s() - v->unpack_t0 : 0;
        double rate = el > 0.2 ? (double)u->bytes_done / el : 0;
        char eta[32] = "";
        if (rate > 0 && u->finished < u->queued)
            snprintf(eta, sizeof eta, "ETA %.0f s", (double)(u->bytes_total - u->bytes_done) / rate);
        char line[64];
        snprintf(line, sizeof line, "unpacking %zu/%zu", u->finished, u->queued);
        bar(b, sizeof b, u->bytes_done, u->bytes_total);
        snprintf(text[k], sizeof text[k], "%-42s %s %6.1f MiB/s %s", line, b, rate / 1048576.0, eta);
        lines[k] = text[k];
        k++;
    }
    if (k)
        ge_log_progress(lines, k);
}

static void on_fetched(void *ud, const struct ge_fetch_job *j)
{
    struct view *v = ud;
    const char *base = strrchr(j->url, '/');
    if (j->status == 0 && v->lines)
        ge_log_note("downloaded %s (%.1f MiB%s)", base ? base + 1 : j->url, (double)j->size / 1048576.0,
                    j->resumed ? ", resumed" : "");
}

static void on_unpacked(void *ud, const struct ge_unpack_done *d)
{
    struct view *v = ud;
    if (d->ok && v->lines)
        ge_log_note("unpacked %s (%.1f MiB in %.1f s)", d->shown, (double)d->size / 1048576.0, d->seconds);
}

static void on_repair(void *ud, const char *component, const char *why)
{
    (void)ud;
    ge_log_warn("the cache's %s is damaged (%s): replacing it", component, why);
}

static void on_wait(void *ud, const char *what, const char *holder)
{
    (void)ud;
    ge_log_warn("waiting for %s, which another gpuenv holds%s%s", what, holder[0] ? ": " : "", holder);
}

static void on_command(void *ud, char *const argv[])
{
    (void)ud;
    ge_out_command(argv);
}

static void print_check(const cJSON *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "version"), *cu = cJSON_GetObjectItemCaseSensitive(c, "cuda"),
                *dn = cJSON_GetObjectItemCaseSensitive(c, "cudnn"), *g = cJSON_GetObjectItemCaseSensitive(c, "gpu"),
                *d = cJSON_GetObjectItemCaseSensitive(c, "device"), *m = cJSON_GetObjectItemCaseSensitive(c, "matmul"),
                *e = cJSON_GetObjectItemCaseSensitive(c, "error");
    if (cJSON_IsString(e)) {
        printf("  check: does not load: %s\n", e->valuestring);
        return;
    }
    char dnn[32] = "none";
    if (cJSON_IsNumber(dn))
        snprintf(dnn, sizeof dnn, "%d", dn->valueint);
    else if (cJSON_IsString(dn))
        ge_strlcpy(dnn, dn->valuestring, sizeof dnn);
    const cJSON *hip = cJSON_GetObjectItemCaseSensitive(c, "hip");
    if (cJSON_IsString(hip)) /* a ROCm build: HIP in CUDA's place, MIOpen in cuDNN's */
        printf("  check: version %s, HIP %s; ", cJSON_IsString(v) ? v->valuestring : "?", hip->valuestring);
    else
        printf("  check: version %s, CUDA %s, cuDNN %s; ", cJSON_IsString(v) ? v->valuestring : "?",
               cJSON_IsString(cu) ? cu->valuestring : "none", dnn);
    const cJSON *cv = cJSON_GetObjectItemCaseSensitive(c, "conv");
    if (cJSON_IsTrue(g))
        printf("sees %s; a matrix product on it %s%s\n", cJSON_IsString(d) ? d->valuestring : "a GPU",
               cJSON_IsTrue(m) ? "came out right" : "came out WRONG",
               cJSON_IsTrue(cv) ? (cJSON_IsString(hip) ? ", and a convolution through MIOpen" : ", and a convolution through cuDNN") : cJSON_IsFalse(cv) ? "; a convolution FAILED" : "");
    else
        printf("sees no GPU\n");
}

/* ---- output ---- */

static cJSON *lock_json(const struct ge_lockfile *l, const struct ge_notes *notes)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "platform", l->platform);
    ge_json_add_strn(o, "cuda", l->cuda[0] ? l->cuda : NULL);
    ge_json_add_strn(o, "cudnn", l->cudnn[0] ? l->cudnn : NULL);
    ge_json_add_strn(o, "cudnn_build", l->cudnn_build[0] ? l->cudnn_build : NULL);
    cJSON *as = cJSON_AddArrayToObject(o, "archives");
    for (size_t i = 0; i < l->n; i++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "package", l->archives[i].package);
        cJSON_AddStringToObject(a, "component", l->archives[i].component);
        cJSON_AddStringToObject(a, "version", l->archives[i].version);
        cJSON_AddStringToObject(a, "url_path", l->archives[i].url_path);
        cJSON_AddNumberToObject(a, "size", (double)l->archives[i].size);
        cJSON_AddStringToObject(a, "sha256", l->archives[i].sha256);
        cJSON_AddItemToArray(as, a);
    }
    cJSON *n = cJSON_AddArrayToObject(o, "notes");
    for (int i = 0; i < notes->n; i++)
        cJSON_AddItemToArray(n, cJSON_CreateString(notes->text[i]));
    return o;
}

/* ---- the commands ---- */

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
        case OPT_DIR: o->dir = arg; break;
        case OPT_PREFIX: o->prefix = arg; break;
        case OPT_COMPONENTS: o->components = arg; break;
        case OPT_MIRROR: o->mirror = arg; break;
        case OPT_LOCKED: o->locked = true; break;
        case OPT_JOBS: {
            long v = 0;
            rc = ge_cli_number(ctx, "--jobs", arg, 1, 64, &v);
            o->jobs = (int)v;
            break;
        }
        case OPT_STRICT: o->ro.strict = true; break;
        case OPT_VENDOR: rc = ge_host_set_vendor(&o->ro.vendor, arg, &ctx->err); break;
        case OPT_HSA_OVERRIDE: o->ro.hsa_override = true; break;
        case OPT_HOST: rc = ge_fleet_add_file(o->fleet, arg, &ctx->err); break;
        case OPT_OFFLINE: o->offline = true; break;
        case OPT_DRIVER: rc = ge_host_set_driver(&o->req, arg, "--driver", &ctx->err); break;
        case OPT_GPU: rc = ge_host_add_gpus(&o->req, arg, "--gpu", &ctx->err); break;
        case OPT_PYTHON: o->python = arg; break;
        case OPT_PLATFORM: o->platform = arg; break;
        case OPT_ARCH: o->arch = arg; break;
        case OPT_NO_PYTHON: o->no_python = true; break;
        case OPT_PYTHON_ONLY: o->python_only = true; break;
        case OPT_PYTORCH_MIRROR: o->pytorch_mirror = arg; break;
        case OPT_SYSTEM_SITE: o->system_site = true; break;
        case OPT_VERIFY: o->verify = true; break;
        case OPT_MAX_RATIO: {
            long v = 0;
            rc = ge_cli_number(ctx, "--max-unpack-ratio", arg, 1, 100000, &v);
            o->max_ratio = (unsigned)v;
            break;
        }
        }
    }
    int first = it.optind;
    ge_cli_iter_fini(&it);
    if (rc < 0 || opt == -2)
        return -1;
    o->nreqs = argc - first;
    o->reqs = argv + first;
    if (o->no_python && o->python_only)
        return ge_cli_usage(ctx, "--no-python and --python-only exclude each other");
    if (ge_cli_url(ctx, "--pytorch-mirror", o->pytorch_mirror) < 0 ||
        ge_cli_python(ctx, &o->python, &o->python_exe, o->python_xy, sizeof o->python_xy) < 0 ||
        ge_cli_url(ctx, "--mirror", o->mirror) < 0)
        return -1;
    if (!o->offline && ge_env_offline())
        o->offline = true;
    if (o->offline) {
        const char *m = ge_install_origin(o->mirror, false);
        if (m && !ge_startswith(m, "file://")) {
            ge_err_set(&ctx->err, GE_EXIT_USAGE, "--offline, but the mirror %s is on the network", m);
            ge_err_hint(&ctx->err, "give a local mirror (--mirror file://DIR, made by 'gpuenv mirror'), or leave "
                                   "--offline out");
            return -1;
        }
    }
    return ge_fleet_check_req(o->fleet, &o->req, &ctx->err);
}

static void print_result(const struct opts *o, const struct ge_project *p, const struct ge_lockfile *want,
                         const struct ge_install_result *res, const cJSON *check, const struct ge_notes *notes)
{
    bool write_only = o->write_only;
    const char *b = ge_out_style(GE_STYLE_BOLD), *z = ge_out_style(GE_STYLE_RESET);
    if (want->cuda[0])
        printf("%s%s%s cuda-toolkit %s (%zu archives%s%s)%s%s\n", b, write_only ? "locked" : "installed", z, want->cuda,
               want->n, want->cudnn[0] ? ", cudnn " : "", want->cudnn, write_only ? " in " : " into ",
               write_only ? p->lock : p->prefix);
    if (want->py_framework[0] && !(o->no_python && !write_only)) {
        printf("%s%s%s %s %s for Python %s%s%s%s\n", b, write_only ? "locked" : "installed", z, want->py_framework,
               want->py_framework_version, want->py_python, write_only ? " in " : " in the venv ",
               write_only ? p->lock : p->prefix, write_only ? "" : "/venv");
        for (int i = 0; !write_only && i < want->py_n; i++)
            printf("  %s\n", want->py_reqs[i]);
    }
    if (want->nhosts) {
        printf("  for %d node type%s:", want->nhosts, want->nhosts > 1 ? "s" : "");
        for (int i = 0; i < want->nhosts; i++)
            printf("%s %s", i ? "," : "", want->hosts[i].name);
        printf("\n");
    }
    if (!write_only && check)
        print_check(check);
    if (!write_only && want->n > 0) {
        printf("  downloaded %zu (%.1f MiB), %zu from the cache", res->downloaded,
               (double)res->downloaded_bytes / 1048576.0, res->cached);
        if (res->repaired)
            printf(", %zu damaged in the cache and replaced", res->repaired);
        printf("\n");
    }
    if (!write_only) {
        printf("activate with:  . ");
        struct ge_buf q;
        ge_buf_init(&q);
        ge_sh_quote(&q, p->prefix);
        printf("%s/activate\n", ge_buf_str(&q));
        ge_buf_fini(&q);
    }
    for (int i = 0; i < notes->n; i++)
        printf("note: %s\n", notes->text[i]);
}

static void print_json(struct ge_ctx *ctx, const struct opts *o, const struct ge_project *p, int status,
                       bool from_lock, const struct ge_lockfile *want, const struct ge_install_result *res,
                       cJSON **check, const struct ge_notes *notes)
{
    cJSON *doc = ge_json_doc(true);
    cJSON_AddStringToObject(doc, "project", p->dir);
    if (!o->write_only)
        cJSON_AddStringToObject(doc, "prefix", p->prefix);
    cJSON_AddStringToObject(doc, "lock", p->lock);
    cJSON_AddBoolToObject(doc, "from_lock", from_lock);
    cJSON_AddItemToObject(doc, "packages", lock_json(want, notes));
    cJSON_AddItemToObject(doc, "hosts", ge_lock_hosts_json(want));
    cJSON *py = ge_lock_python_json(want, true);
    cJSON_AddItemToObject(doc, "python", py);
    if (cJSON_IsObject(py)) {
        if (*check) {
            cJSON_AddItemToObject(py, "check", *check);
            *check = NULL;
        } else {
            cJSON_AddNullToObject(py, "check");
        }
    }
    if (status != GE_EXIT_OK)
        ge_json_add_error(doc, &ctx->err);
    if (!o->write_only) {
        cJSON *c = cJSON_AddObjectToObject(doc, "downloads");
        cJSON_AddNumberToObject(c, "fetched", (double)res->downloaded);
        cJSON_AddNumberToObject(c, "bytes", (double)res->downloaded_bytes);
        cJSON_AddNumberToObject(c, "from_cache", (double)res->cached);
        cJSON_AddNumberToObject(c, "repaired", (double)res->repaired);
    }
    if (ge_out_json(doc) == 0)
        ctx->json_printed = true;
}

/* Files the cache could not hard-link into the prefix were copied: said in one line, with why. */
static void note_copies(const char *prefix, const struct ge_install_result *res)
{
    char cache[3000] = "the cache";
    (void)ge_cache_dir(cache, sizeof cache);
    const struct ge_tree_placed *pl = &res->placed;
    const char *why = pl->why == EXDEV ? "it is on another file system"
                      : pl->why == EMLINK ? "a file there has too many links"
                      : pl->why == EOPNOTSUPP ? "the file system has no hard links"
                                              : "this user may not link its files";
    ge_log_note("%s cannot be hard-linked into %s (%s): %llu files %s (%.1f MiB), %llu linked", cache, prefix, why,
                (unsigned long long)(pl->copied + pl->reflinked),
                pl->copied ? (pl->reflinked ? "copied or reflinked" : "copied") : "reflinked",
                (double)pl->copied_bytes / 1048576.0, (unsigned long long)pl->linked);
}

/* A fleet's lock: which of its node types this machine is (probed, or --driver and --gpu). A
 * machine that is none of them is warned about, or refused with --locked. */
static int check_machine(struct ge_ctx *ctx, const struct opts *o, const struct ge_lockfile *l)
{
    if (!l->nhosts)
        return 0;
    char dir[4096], why[768];
    struct ge_matrix *m = NULL;
    struct ge_host_view *hv = calloc(1, sizeof *hv);
    int rc = -1;
    if (!hv) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    struct ge_host_req me = o->req; /* this machine: --driver/--gpu, GPUENV_DRIVER/GPUENV_GPUS, else probed */
    if (ge_host_req_from_env(&me, &ctx->err) < 0 || ge_matrix_find_dir(dir, sizeof dir, &ctx->err) < 0 ||
        !(m = ge_matrix_load(dir, &ctx->err)) || ge_host_gather(&me, o->python, o->platform, o->arch, m, hv, &ctx->err) < 0)
        goto out;
    int k = ge_fleet_match(l, &hv->f, why, sizeof why);
    rc = 0;
    if (k >= 0) {
        ge_log_info("this machine is gpuenv.lock's node type %s", l->hosts[k].name);
    } else if (o->locked) {
        rc = ge_err_set(&ctx->err, GE_EXIT_LOCKED, "--locked: this machine is none of the node types gpuenv.lock was "
                        "resolved for: %s", why);
        ge_err_hint(&ctx->err, "install on one of them, or add this machine's 'gpuenv detect --json' with --host and "
                               "run 'gpuenv lock' again");
    } else {
        ge_log_warn("this machine is none of the node types gpuenv.lock was resolved for: %s", why);
        if (ge_log_level() >= GE_LOG_NORMAL)
            ge_log_hint("the plan was not checked against it: add its 'gpuenv detect --json' with --host and lock again");
    }
out:
    ge_matrix_free(m);
    free(hv);
    return rc;
}

/* The lock to install: the project's gpuenv.lock as it is (no requirements), or a new plan; with
 * --locked the new plan must be what the lock pins. */
static int want_lock(struct ge_ctx *ctx, const struct opts *o, const struct ge_project *p, struct ge_lockfile *want,
                     bool *from_lock, struct ge_notes *notes)
{
    struct ge_lockfile have;
    ge_lock_init(&have);
    int rc = -1;
    bool have_lock = access(p->lock, F_OK) == 0;
    if (have_lock && ge_lock_read(p->lock, &have, &ctx->err) < 0)
        goto out;
    *from_lock = !o->write_only && o->nreqs == 0 && have_lock && !o->locked && !o->components;
    if (o->locked && !have_lock) {
        ge_err_set(&ctx->err, GE_EXIT_LOCKED, "--locked, but %s has no gpuenv.lock", p->dir);
        ge_err_hint(&ctx->err, "run 'gpuenv lock' (or 'gpuenv install') first and keep gpuenv.lock with the project");
        goto out;
    }
    if (*from_lock) {
        *want = have;
        ge_lock_init(&have);
        rc = check_machine(ctx, o, want);
        goto out;
    }
    struct ge_lockplan_req lr = {&o->req, o->fleet, o->python, o->platform, o->arch, o->ro, o->reqs, o->nreqs,
                                 o->components, o->pytorch_mirror, o->no_python, o->python_only, o->mirror,
                                 o->offline};
    struct ge_fleet_req *locked_fleet = NULL;
    if (o->nreqs == 0 && have_lock && o->locked) { /* re-resolve what the lock asked for */
        static char *saved[GE_LOCK_MAX_REQS];
        for (int i = 0; i < have.nreqs; i++)
            saved[i] = have.reqs[i];
        lr.reqs = saved;
        lr.nreqs = have.nreqs;
    }
    /* --locked with a fleet's lock: resolved again for the node types it was resolved for, unless
     * --host names others; --driver and --gpu then describe only this machine, which must be one */
    if (have_lock && o->locked && have.nhosts && !o->fleet->n) {
        if (!(locked_fleet = ge_fleet_req_new())) {
            ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
            goto out;
        }
        if (ge_fleet_from_lock(locked_fleet, &have, &ctx->err) < 0) {
            free(locked_fleet);
            goto out;
        }
        lr.fleet = locked_fleet;
    }
    struct ge_host_view *hv = calloc(1, sizeof *hv);
    if (!hv) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    int pr = ge_lockplan_make(&lr, want, hv, notes, &ctx->err);
    free(locked_fleet);
    if (pr == 0 && !want->nhosts && !hv->f.driver_known && !hv->f.driver_cuda_known) {
        ge_log_warn("the driver was not checked: %s", hv->driver_note[0] ? hv->driver_note : "none given");
        if (ge_log_level() >= GE_LOG_NORMAL)
            ge_log_hint("describe the machine with --driver VERSION (and --gpu CC)");
    }
    free(hv);
    if (pr < 0)
        goto out;
    if (o->locked && !ge_lock_same_python(want, &have)) {
        ge_err_set(&ctx->err, GE_EXIT_LOCKED, "--locked: the request resolves to %s %s for Python %s, but "
                                              "gpuenv.lock pins %s %s for Python %s",
                   want->py_framework[0] ? want->py_framework : "no framework", want->py_framework_version,
                   want->py_python, have.py_framework[0] ? have.py_framework : "no framework",
                   have.py_framework_version, have.py_python);
        ge_err_hint(&ctx->err, "run 'gpuenv lock' to update the lock, or install without --locked");
        goto out;
    }
    if (o->locked && !ge_lock_same_archives(want, &have)) {
        ge_err_set(&ctx->err, GE_EXIT_LOCKED, "--locked: the request resolves to CUDA %s%s%s, but gpuenv.lock pins CUDA %s%s%s",
                   want->cuda, want->cudnn[0] ? " with cuDNN " : "", want->cudnn, have.cuda,
                   have.cudnn[0] ? " with cuDNN " : "", have.cudnn);
        ge_err_hint(&ctx->err, "run 'gpuenv lock' to update the lock, or install without --locked");
        goto out;
    }
    bool cuda_changed = want->cuda_manifest[0] && have.cuda_manifest[0] &&
                        strcmp(want->cuda_manifest, have.cuda_manifest) != 0;
    bool cudnn_changed = want->cudnn_manifest[0] && have.cudnn_manifest[0] &&
                         strcmp(want->cudnn_manifest, have.cudnn_manifest) != 0;
    if (o->locked && (cuda_changed || cudnn_changed)) {
        ge_err_set(&ctx->err, GE_EXIT_LOCKED, "--locked: NVIDIA's manifest of %s %s changed since gpuenv.lock was "
                   "written (its SHA-256 differs)", cuda_changed ? "CUDA" : "cuDNN",
                   cuda_changed ? want->cuda : want->cudnn);
        ge_err_hint(&ctx->err, "a changed manifest is never installed silently: check the mirror, or run 'gpuenv lock' "
                               "to pin what it now says");
        goto out;
    }
    rc = o->write_only ? 0 : check_machine(ctx, o, want);
out:
    ge_lock_fini(&have);
    return rc;
}

static int run_install(struct ge_ctx *ctx, int argc, char **argv, bool write_only)
{
    struct opts o;
    struct ge_project *p = calloc(1, sizeof *p);
    struct ge_lockfile want;
    struct ge_notes notes = {0, {{0}}};
    struct ge_install_result res;
    memset(&res, 0, sizeof res);
    cJSON *check = NULL;
    bool from_lock = false;
    ge_lock_init(&want);
    int status = GE_EXIT_FAILURE;
    if (!p) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
        return status;
    }
    p->flock_fd = -1;
    if (parse(ctx, argc, argv, &o) < 0 || ge_project_init(p, o.dir, o.prefix, &ctx->err) < 0)
        goto out;
    o.write_only = write_only;
    struct view view = {!o.json && ge_log_progress_enabled(), !o.json && !ge_log_progress_enabled(), 0};
    /* nothing is downloaded into a project that cannot take the result */
    if (ge_project_check_writable(p, !write_only, &ctx->err) < 0)
        goto out;
    char doing[PATH_MAX + 32];
    snprintf(doing, sizeof doing, "%s into %s", write_only ? "lock" : "install", p->prefix);
    if (ge_project_lock(p, doing, on_wait, &view, &ctx->err) < 0 ||
        (!write_only && ge_project_check_prefix(p, &ctx->err) < 0) ||
        want_lock(ctx, &o, p, &want, &from_lock, &notes) < 0)
        goto out;
    if (write_only) {
        if (ge_project_write_lock(p, &want, &ctx->err) < 0)
            goto out;
    } else {
        /* a lock from a repository is checked against NVIDIA's manifests before it is trusted */
        struct ge_lockplan_src src = {o.mirror, o.offline, false, NULL, NULL};
        if (from_lock && ge_lockplan_check(&want, &src, &notes, &ctx->err) < 0)
            goto out;
        /* a mirror 'gpuenv mirror' made serves the venv's wheels too, as the only index */
        char pip_index[4200] = "";
        const char *origin = ge_install_origin(o.mirror, false);
        if (origin && want.py_framework[0] && !o.no_python) {
            struct ge_err me;
            ge_err_clear(&me);
            int mr = ge_mirror_pip_index(origin, pip_index, sizeof pip_index, &me);
            if (mr < 0) /* unreachable now: the archives' download will say so if it matters */
                ge_log_warn("cannot tell whether %s holds wheels (%s): the venv's come from pip's own index", origin,
                            me.msg);
            if (mr <= 0)
                pip_index[0] = '\0';
            else
                ge_log_info("the venv's wheels come from the mirror's index %s", pip_index);
        }
        struct ge_install_opts io = {o.mirror, o.jobs, o.max_ratio, o.verify, o.no_python, !from_lock,
                                     o.python_exe, o.system_site, ge_log_level() < GE_LOG_NORMAL, doing,
                                     o.offline, pip_index[0] ? pip_index : NULL};
        struct ge_install_events ev = {on_progress, on_fetched, on_unpacked, on_repair, on_wait, on_command, &view};
        int rc = ge_install(p, &want, &io, &ev, &res, &ctx->err);
        if (view.bars)
            ge_log_progress_end();
        if (rc < 0)
            goto out;
        if (res.venv_kept)
            ge_log_info("the venv in %s already holds these requirements: kept", p->prefix);
        if (res.placed.copied || res.placed.reflinked)
            note_copies(p->prefix, &res);
    }
    status = GE_EXIT_OK;
    ge_project_unlock(p);
    bool no_gpu = false;
    if (!write_only && want.py_framework[0] && !o.no_python) {
        if (ge_venv_check(p->prefix, &want, &check, &no_gpu, &ctx->err) < 0)
            status = ctx->err.status; /* installed, but not what it should be: the document says what */
        else if (no_gpu)
            ge_log_warn("%s sees no GPU: on this machine it would run on the CPU", want.py_framework);
    }
    if (o.json)
        print_json(ctx, &o, p, status, from_lock, &want, &res, &check, &notes);
    else
        print_result(&o, p, &want, &res, check, &notes);
out:
    if (status != GE_EXIT_OK && ctx->err.status)
        status = ctx->err.status;
    ge_project_unlock(p);
    ge_lock_fini(&want);
    cJSON_Delete(check);
    free(o.fleet);
    free(p);
    return status;
}

static int install_run(struct ge_ctx *ctx, int argc, char **argv)
{
    return run_install(ctx, argc, argv, false);
}

static int lock_run(struct ge_ctx *ctx, int argc, char **argv)
{
    return run_install(ctx, argc, argv, true);
}

const struct ge_cmd ge_cmd_install = {
    "install",
    "[REQUIREMENT...]",
    "install the plan into the project: CUDA toolkit, cuDNN, the framework's venv",
    "Resolve the requirements (as 'gpuenv resolve'), pin NVIDIA's archives in gpuenv.lock, download\n"
    "them (verified against NVIDIA's manifests, cached by SHA-256), and switch them into the\n"
    "project's .gpuenv prefix in one step, with activation scripts. A framework in the plan gets a\n"
    "venv (.gpuenv/venv) with its exact build from pip, then its own check of the GPU; its CUDA then\n"
    "comes from pip, and NVIDIA's archives only when it needs them or the request names them.\n"
    "Without requirements in a project with a gpuenv.lock, installs exactly the lock, after checking\n"
    "it against NVIDIA's manifests. What the cache holds is verified before it is used, and replaced\n"
    "when damaged.",
    install_opts,
    install_run,
    false,
    "cuda-toolkit cudnn torch tensorflow jax", false,
};

const struct ge_cmd ge_cmd_lock = {
    "lock",
    "[REQUIREMENT...]",
    "resolve and write gpuenv.lock without installing",
    "Resolve the requirements and write the project's gpuenv.lock (the archives, sizes and SHA-256\n"
    "digests 'gpuenv install' would install), without downloading anything.",
    install_opts,
    lock_run,
    false,
    "cuda-toolkit cudnn torch tensorflow jax", false,
};
