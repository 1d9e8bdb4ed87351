/* cmd_resolve.c: 'gpuenv resolve REQUIREMENT...': a framework build, CUDA toolkit and cuDNN that
 * run on this (or a described) machine, and why every newer candidate was rejected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd.h"
#include "cmds.h"
#include "fleet.h"
#include "host.h"
#include "matrix.h"
#include "out.h"
#include "python.h"
#include "resolve.h"
#include "str.h"

enum { OPT_JSON, OPT_EXPLAIN, OPT_STRICT, OPT_DRIVER, OPT_GPU, OPT_PYTHON, OPT_PLATFORM, OPT_ARCH, OPT_VENDOR,
       OPT_HSA_OVERRIDE, OPT_HOST, OPT_OFFLINE };

static const struct ge_opt resolve_opts[] = {
    [OPT_JSON] = {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL},
    [OPT_EXPLAIN] = {"explain", 0, false, NULL, "list every candidate considered and why it was or was not chosen", NULL},
    [OPT_STRICT] = {"strict", 0, false, NULL,
                    "require the driver to reach the toolkit's own minimum, not minor-version compatibility", NULL},
    [OPT_DRIVER] = {"driver", 0, true, "VERSION", "resolve for a machine with this driver instead of probing", NULL},
    [OPT_GPU] = {"gpu", 0, true, "CC|GFX",
                 "resolve for a GPU of this compute capability, or an AMD GPU of this gfx target (repeatable)",
                 GE_GPU_COMPLETIONS},
    [OPT_PYTHON] = {"python", 0, true, "X.Y|PATH",
                    "resolve for this Python version, or this interpreter's, instead of python3's",
                    "3.9 3.10 3.11 3.12 3.13 3.14 @file"},
    [OPT_PLATFORM] = {"platform", 0, true, "OS", "resolve for linux or windows", "linux windows"},
    [OPT_ARCH] = {"arch", 0, true, "ARCH", "resolve for x86_64 or aarch64", "x86_64 aarch64"},
    [OPT_VENDOR] = {"vendor", 0, true, "VENDOR", "plan for the machine's nvidia or amd GPUs (where it has both)",
                    "nvidia amd"},
    [OPT_HSA_OVERRIDE] = {"hsa-override", 0, false, NULL,
                          "let an AMD GPU no build carries run a same-family target's code (unsupported by AMD)", NULL},
    [OPT_HOST] = {"host", 0, true, "FILE",
                  "resolve for the machines 'gpuenv detect --json' described there (- for stdin; repeatable: all at once)",
                  "@file"},
    [OPT_OFFLINE] = {"offline", 0, false, NULL,
                     "never use the network (resolve reads only the matrix and this machine; accepted so that "
                     "one set of options serves resolve, lock and install)", NULL},
    {NULL, 0, false, NULL, NULL, NULL},
};

static cJSON *candidate_json(const struct ge_candidate *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "candidate", c->label);
    cJSON *rs = cJSON_AddArrayToObject(o, "reasons");
    for (int r = 0; r < GE_REASON_COUNT; r++) {
        if (!(c->fails & (1u << r)))
            continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "code", ge_reason_code((enum ge_reason)r));
        cJSON_AddStringToObject(x, "message", c->why[r]);
        cJSON_AddItemToArray(rs, x);
    }
    return o;
}

static void add_rejected_json(cJSON *doc, const struct ge_plan *p, bool all)
{
    cJSON *arr = cJSON_AddArrayToObject(doc, "rejected");
    for (size_t i = 0; i < p->ncands; i++) {
        const struct ge_candidate *c = &p->cands[i];
        if (c->chosen || !c->fails || (!all && !c->newer))
            continue;
        cJSON_AddItemToArray(arr, candidate_json(c));
    }
}

static cJSON *plan_json(const struct ge_plan *p, const struct ge_fleet_host *hosts, int nhosts)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *pk = cJSON_AddArrayToObject(o, "packages");
    for (int i = 0; i < p->npkgs; i++) {
        const struct ge_plan_pkg *k = &p->pkgs[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", k->name);
        if (k->version[0])
            cJSON_AddStringToObject(x, "version", k->version);
        if (k->variant[0])
            cJSON_AddStringToObject(x, "variant", k->variant);
        if (k->extra[0])
            cJSON_AddStringToObject(x, "extra", k->extra);
        if (k->index_url[0])
            cJSON_AddStringToObject(x, "index_url", k->index_url);
        if (k->build[0])
            cJSON_AddStringToObject(x, "build", k->build);
        if (k->constraint[0])
            cJSON_AddStringToObject(x, "constraint", k->constraint);
        cJSON_AddItemToArray(pk, x);
    }
    ge_json_add_strn(o, "python", p->python[0] ? p->python : NULL);
    ge_json_add_strn(o, "pip", p->pip[0] ? p->pip : NULL);
    cJSON_AddStringToObject(o, "vendor", ge_vendor_name(p->vendor));
    if (p->hsa_override[0]) {
        cJSON *env = cJSON_AddObjectToObject(o, "env");
        cJSON_AddStringToObject(env, "HSA_OVERRIDE_GFX_VERSION", p->hsa_override);
    }
    cJSON *n = cJSON_AddArrayToObject(o, "notes");
    for (int i = 0; i < p->nnotes; i++)
        cJSON_AddItemToArray(n, cJSON_CreateString(p->notes[i]));
    cJSON *bd = cJSON_AddArrayToObject(o, "bound");
    for (int i = 0; i < p->nbound; i++) {
        const struct ge_plan_bound *x = &p->bound[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "choice", x->choice);
        cJSON_AddStringToObject(e, "instead_of", x->instead);
        cJSON *hs = cJSON_AddArrayToObject(e, "hosts");
        for (int k = 0; k < nhosts && k < 64; k++)
            if (x->hosts & (UINT64_C(1) << k))
                cJSON_AddItemToArray(hs, cJSON_CreateString(hosts[k].name));
        cJSON_AddStringToObject(e, "reason", x->reason);
        cJSON_AddStringToObject(e, "message", x->why);
        cJSON_AddItemToArray(bd, e);
    }
    return o;
}

/* Each machine the plan is for: its name (null for this machine or --driver/--gpu) and facts. */
static cJSON *hosts_json(const struct ge_fleet_host *hosts, int nhosts, const struct ge_host_view *hi)
{
    cJSON *a = cJSON_CreateArray();
    for (int k = 0; k < nhosts; k++) {
        struct ge_host_view v = *hi;
        v.f = hosts[k].f;
        cJSON *o = ge_host_view_json(&v);
        cJSON_DeleteItemFromObject(o, "python");
        cJSON_DeleteItemFromObject(o, "platform");
        cJSON_DeleteItemFromObject(o, "arch");
        ge_json_add_strn(o, "name", hosts[k].name[0] ? hosts[k].name : NULL);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static void print_candidates(const struct ge_plan *p, bool all)
{
    const char *dim = ge_out_style(GE_STYLE_DIM), *r = ge_out_style(GE_STYLE_RESET);
    size_t shown = 0, hidden = 0;
    for (size_t i = 0; i < p->ncands; i++) {
        const struct ge_candidate *c = &p->cands[i];
        if (!all && (!c->newer || c->chosen))
            continue;
        if (!all && shown >= 8) {
            hidden++;
            continue;
        }
        shown++;
        if (c->chosen) {
            printf("  %-26s %schosen%s%s\n", c->label, ge_out_style(GE_STYLE_GREEN), r,
                   c->mvc ? " (minor-version compatibility)" : "");
            continue;
        }
        if (!c->fails) {
            printf("  %-26s %sfits, but %s%s\n", c->label, dim, c->newer ? "a preferred build was chosen" : "older than the choice", r);
            continue;
        }
        bool first = true;
        for (int k = 0; k < GE_REASON_COUNT; k++) {
            if (!(c->fails & (1u << k)))
                continue;
            printf("  %-26s %s%s:%s %s\n", first ? c->label : "", ge_out_style(GE_STYLE_YELLOW),
                   ge_reason_code((enum ge_reason)k), r, c->why[k]);
            first = false;
        }
    }
    if (hidden)
        printf("  %s... and %zu more (--explain lists them all)%s\n", dim, hidden, r);
}

/* A machine's driver and GPUs as the plan's vendor sees them: "driver 550.54.15 (CUDA 12.4); gpu 8.0". */
static size_t host_line(const struct ge_host_facts *f, enum ge_vendor vendor, char *hostline, size_t size)
{
    char dc[16];
    size_t l;
    if (vendor == GE_VENDOR_AMD) {
        l = (size_t)snprintf(hostline, size, "amd gpu %s", f->namd ? "" : "unknown");
        for (int i = 0; i < f->namd && l < size; i++) {
            char g[16];
            ge_amd_gfx_name(f->amd[i], g, sizeof g);
            l += (size_t)snprintf(hostline + l, size - l, "%s%s", i ? ", " : "", g);
        }
        if (f->rocm_known && l < size)
            l += (size_t)snprintf(hostline + l, size - l, "; rocm %s", f->rocm.s);
        return l < size ? l : size - 1;
    }
    l = (size_t)snprintf(hostline, size, "driver %s", f->driver_known ? f->driver.s : "unknown");
    if (f->driver_cuda_known && l < size)
        l += (size_t)snprintf(hostline + l, size - l, " (CUDA %s)", ge_version_format(&f->driver_cuda, dc, sizeof dc));
    if (f->gpus_known && f->ngpus == 0 && l < size)
        l += (size_t)snprintf(hostline + l, size - l, "; no GPU");
    for (int i = 0; f->gpus_known && i < f->ngpus && l < size; i++) {
        char cc[8];
        l += (size_t)snprintf(hostline + l, size - l, "%s%s", i ? ", " : "; gpu ", ge_cc_format(f->gpus[i], cc, sizeof cc));
    }
    return l < size ? l : size - 1;
}

static void print_plan(const struct ge_fleet_host *hosts, int nhosts, const struct ge_plan *p, bool explain)
{
    const char *b = ge_out_style(GE_STYLE_BOLD), *r = ge_out_style(GE_STYLE_RESET);
    const struct ge_host_facts *f = &hosts[0].f;
    char hostline[512];
    size_t l = nhosts > 1 ? (size_t)snprintf(hostline, sizeof hostline, "%d node types", nhosts)
                          : host_line(f, p->vendor, hostline, sizeof hostline);
    if (l < sizeof hostline)
        snprintf(hostline + l, sizeof hostline - l, "; python %s; %s %s", p->python[0] ? p->python : "unknown",
                 f->platform, f->arch);
    printf("%splan%s for %s\n", b, r, hostline);
    for (int k = 0; nhosts > 1 && k < nhosts; k++) {
        host_line(&hosts[k].f, p->vendor, hostline, sizeof hostline);
        printf("  %-13s %s\n", hosts[k].name, hostline);
    }
    if (nhosts > 1)
        printf("\n");
    for (int i = 0; i < p->npkgs; i++) {
        const struct ge_plan_pkg *k = &p->pkgs[i];
        char extra[64] = "";
        if (k->variant[0])
            snprintf(extra, sizeof extra, "%s", k->variant);
        else if (k->extra[0])
            snprintf(extra, sizeof extra, "[%s]", k->extra);
        else if (k->build[0])
            snprintf(extra, sizeof extra, "%s build", k->build);
        printf("  %-13s %-12s %s\n", k->name, k->version[0] ? k->version : k->constraint, extra);
    }
    if (p->pip[0])
        printf("\n%sinstall with%s\n  %s\n", b, r, p->pip);
    for (int i = 0; i < p->nnotes; i++)
        printf("\nnote: %s\n", p->notes[i]);
    if (p->nbound)
        printf("\n%sbound by%s\n", b, r);
    for (int i = 0; i < p->nbound; i++)
        printf("  %s, not %s: %s\n", p->bound[i].choice, p->bound[i].instead, p->bound[i].why);
    bool any = false;
    for (size_t i = 0; i < p->ncands; i++)
        if (p->cands[i].newer && !p->cands[i].chosen)
            any = true;
    if (explain) {
        printf("\n%scandidates%s (newest first)\n", b, r);
        print_candidates(p, true);
    } else if (any) {
        printf("\n%snewer candidates rejected%s\n", b, r);
        print_candidates(p, false);
    }
}

static int resolve_run(struct ge_ctx *ctx, int argc, char **argv)
{
    struct ge_host_req req;
    ge_host_req_init(&req);
    bool json = false, explain = false;
    struct ge_resolve_opts ro = {.strict = false};
    const char *python = NULL, *platform = NULL, *arch = NULL;
    struct ge_fleet_req *fleet = ge_fleet_req_new();
    if (!fleet)
        return ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory"), ctx->err.status;
    struct ge_cli_iter it;
    ge_cli_iter_init(&it, ctx, argc, argv);
    const char *arg;
    int o;
    while ((o = ge_cli_next(&it, &arg)) >= 0) {
        int rc = 0;
        switch (o) {
        case OPT_JSON: json = true; break;
        case OPT_EXPLAIN: explain = true; break;
        case OPT_STRICT: ro.strict = true; break;
        case OPT_DRIVER: rc = ge_host_set_driver(&req, arg, "--driver", &ctx->err); break;
        case OPT_GPU: rc = ge_host_add_gpus(&req, arg, "--gpu", &ctx->err); break;
        case OPT_PYTHON: python = arg; break;
        case OPT_PLATFORM: platform = arg; break;
        case OPT_ARCH: arch = arg; break;
        case OPT_VENDOR: rc = ge_host_set_vendor(&ro.vendor, arg, &ctx->err); break;
        case OPT_HSA_OVERRIDE: ro.hsa_override = true; break;
        case OPT_HOST: rc = ge_fleet_add_file(fleet, arg, &ctx->err); break;
        case OPT_OFFLINE: break; /* resolving never fetches: the matrix and the host's facts are local */
        }
        if (rc < 0) {
            o = -2;
            break;
        }
    }
    int first = it.optind;
    ge_cli_iter_fini(&it);
    int nreqs = argc - first;
    struct ge_req *reqs = calloc((size_t)(nreqs ? nreqs : 1), sizeof *reqs);
    struct ge_host_view *hi = calloc(1, sizeof *hi);
    struct ge_fleet_host *hosts = calloc(GE_FLEET_MAX, sizeof *hosts);
    struct ge_matrix *m = NULL;
    struct ge_plan plan;
    ge_plan_init(&plan);
    int status = GE_EXIT_FAILURE, nhosts = fleet->n ? fleet->n : 1;
    if (o == -2) {
        status = ctx->err.status;
        goto out;
    }
    if (!reqs || !hi || !hosts) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    if (ge_fleet_check_req(fleet, &req, &ctx->err) < 0) {
        status = ctx->err.status;
        goto out;
    }
    for (int i = 0; i < nreqs; i++)
        if (ge_req_parse(&reqs[i], argv[first + i], &ctx->err) < 0) {
            status = ctx->err.status;
            goto out;
        }
    char dir[4096];
    if (ge_matrix_find_dir(dir, sizeof dir, &ctx->err) < 0 || !(m = ge_matrix_load(dir, &ctx->err))) {
        status = ctx->err.status;
        goto out;
    }
    if (fleet->n ? ge_fleet_gather(fleet, python, platform, arch, m, hosts, hi, &ctx->err) < 0
                 : ge_host_gather(&req, python, platform, arch, m, hi, &ctx->err) < 0) {
        status = ctx->err.status;
        goto out;
    }
    if (!fleet->n)
        hosts[0].f = hi->f;
    const struct ge_host_facts *f = &hi->f;
    int rc = ge_resolve_fleet(m, hosts, nhosts, reqs, nreqs, &ro, &plan, &ctx->err);
    status = rc == 0 ? GE_EXIT_OK : ctx->err.status;
    for (int k = 0; k < nhosts; k++) {
        const struct ge_host_facts *h = &hosts[k].f;
        char on[80] = "";
        if (fleet->n > 1)
            snprintf(on, sizeof on, "%s: ", hosts[k].name);
        if (plan.vendor == GE_VENDOR_AMD) {
            if ((!h->amd_known || !h->namd) && !fleet->n)
                ge_log_warn("no AMD GPU known: the plan is not checked against a gfx target (give --gpu GFX, such as "
                            "gfx1100)");
        } else if (h->gpus_known && h->ngpus == 0 && fleet->n) {
            /* a node without GPUs (a login node): its driver does not matter */
        } else if (!h->driver_known && !h->driver_cuda_known) {
            ge_log_warn("%scannot check the driver: %s", on, k == 0 && hi->driver_note[0] ? hi->driver_note : "no driver given");
            if (ge_log_level() >= GE_LOG_NORMAL) /* a warning's hint goes with the warning under -q */
                ge_log_hint(fleet->n ? "give the document 'gpuenv detect --json' prints on a node with its driver"
                                     : "describe the machine with --driver VERSION (and --gpu CC), or GPUENV_DRIVER");
        } else if (k == 0 && !fleet->n && hi->driver_note[0] && !h->driver_branch_only) {
            ge_log_warn("%s", hi->driver_note); /* a bare branch is said in the plan's notes */
        }
        if (!h->gpus_known && plan.vendor != GE_VENDOR_AMD)
            ge_log_warn("no GPU known: the plan is not checked against a GPU (give --gpu CC)");
    }
    if (!f->python_known)
        ge_log_warn("no python3 found: the plan is not checked against a Python version (give --python X.Y)");
    if (json) {
        cJSON *doc = ge_json_doc(rc == 0);
        cJSON *hj = ge_host_view_json(hi);
        if (fleet->n > 1) /* what the node types share; each one's driver and GPUs are in "hosts" */
            for (const char *const *k = (const char *const[]){"driver", "gpus", "amd_gpus", "rocm", NULL}; *k; k++)
                cJSON_ReplaceItemInObject(hj, *k, cJSON_CreateNull());
        cJSON_AddItemToObject(doc, "host", hj);
        if (fleet->n == 1)
            ge_strlcpy(hosts[0].name, fleet->names[0], sizeof hosts[0].name);
        if (rc == 0) {
            cJSON_AddItemToObject(doc, "plan", plan_json(&plan, hosts, nhosts));
        } else {
            ge_json_add_error(doc, &ctx->err);
            cJSON *e = cJSON_GetObjectItem(doc, "error");
            if (plan.reason) {
                cJSON_AddStringToObject(e, "code", "unsat");
                cJSON_AddStringToObject(e, "reason", plan.reason);
            }
        }
        cJSON_AddItemToObject(doc, "hosts", hosts_json(hosts, nhosts, hi));
        add_rejected_json(doc, &plan, explain);
        if (ge_out_json(doc) == 0)
            ctx->json_printed = true;
    } else if (rc == 0) {
        print_plan(hosts, nhosts, &plan, explain);
    } else if (plan.ncands && explain) {
        printf("candidates (newest first)\n");
        print_candidates(&plan, true);
    }
out:
    ge_plan_fini(&plan);
    ge_matrix_free(m);
    free(reqs);
    free(hi);
    free(hosts);
    free(fleet);
    return status;
}

const struct ge_cmd ge_cmd_resolve = {
    "resolve",
    "[REQUIREMENT...]",
    "pick a framework build, CUDA toolkit and cuDNN that run on this machine",
    "Resolve pip-style requirements (torch, 'torch>=2.1,<2.6', torchvision, 'tensorflow[and-cuda]',\n"
    "'jax[cuda13]', cuda-toolkit==12.4.* (alias cuda), cudnn>=9, numpy>=2, python>=3.11) against the\n"
    "compatibility matrix for this machine's driver, GPUs and Python, or for one described by\n"
    "--driver, --gpu, --python, --platform and --arch. Without requirements: the newest CUDA toolkit\n"
    "and cuDNN the machine can run. Says why every newer candidate was rejected.\n"
    "On AMD GPUs (--gpu gfx1100, or read from the amdgpu driver): the framework's ROCm build whose\n"
    "gfx targets hold every GPU's. A machine with both vendors' GPUs needs --vendor.",
    resolve_opts,
    resolve_run,
    false,
    "torch torchvision torchaudio tensorflow tensorflow[and-cuda] jax jax[cuda12] jax[cuda13] cuda-toolkit cudnn numpy python", false,
};
