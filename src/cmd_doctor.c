/* cmd_doctor.c: 'gpuenv doctor': options, the examination (doctor.c), and the report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "doctor.h"
#include "out.h"
#include "str.h"

enum { OPT_JSON, OPT_DIR, OPT_PYTHON, OPT_BINARY, OPT_VERIFY, OPT_FIX_PLAN, OPT_NO_GPU_CHECK, OPT_TIMEOUT };

static const struct ge_opt doctor_opts[] = {
    [OPT_JSON] = {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL},
    [OPT_DIR] = {"directory", 'C', true, "DIR", "the project folder (default: the current one)", "@dir"},
    [OPT_PYTHON] = {"python", 0, true, "PATH",
                    "the interpreter to examine (default: the active venv, the project's, python3)", "@file"},
    [OPT_BINARY] = {"binary", 0, true, "FILE", "also check the GPU code of this library or program (repeatable)",
                    "@file"},
    [OPT_VERIFY] = {"verify", 0, false, NULL, "compare the prefix's files by SHA-256, not only by size", NULL},
    [OPT_FIX_PLAN] = {"fix-plan", 0, false, NULL, "print the steps that fix what was found, in order", NULL},
    [OPT_NO_GPU_CHECK] = {"no-gpu-check", 0, false, NULL, "do not run the kernel and the framework's check on the GPU",
                          NULL},
    [OPT_TIMEOUT] = {"timeout", 0, true, "SECONDS",
                     "limit for the interpreter's probe and each framework check (default 60)", NULL},
    {NULL, 0, false, NULL, NULL, NULL},
};

static cJSON *checks_json(const struct ge_doctor *d)
{
    static const char *const st[] = {"ok", "problem", "skipped"};
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < d->nchecks; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", d->checks[i].name);
        cJSON_AddStringToObject(o, "status", st[d->checks[i].status]);
        cJSON_AddStringToObject(o, "note", d->checks[i].note);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *gpus_json(const struct ge_doctor *d)
{
    static const char *const ks[] = {"not-run", "ok", "failed", "wrong", "hung"};
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; d->drv_ok && i < d->drv.ngpus; i++) {
        const struct ge_gpu *g = &d->drv.gpus[i];
        cJSON *o = cJSON_CreateObject();
        char cc[8];
        cJSON_AddNumberToObject(o, "index", g->index);
        ge_json_add_strn(o, "name", g->name[0] ? g->name : NULL);
        cJSON_AddStringToObject(o, "cc", ge_cc_format(g->cc, cc, sizeof cc));
        cJSON *k = cJSON_AddObjectToObject(o, "kernel");
        cJSON_AddStringToObject(k, "status", ks[g->kernel.status]);
        if (g->kernel.status != GE_KERNEL_NOT_RUN)
            cJSON_AddNumberToObject(k, "ms", g->kernel.ms);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *libs_json(const struct ge_doctor *d)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < d->nlibs; i++) {
        const struct ge_doctor_binary *b = &d->libs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", b->path);
        cJSON_AddStringToObject(o, "origin", b->origin);
        cJSON_AddNumberToObject(o, "fatbins", (double)b->fatbins);
        cJSON_AddNumberToObject(o, "entries", (double)b->entries);
        cJSON_AddStringToObject(o, "code", b->archs);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *plan_json(const struct ge_finding *const *steps, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "code", ge_code_info(steps[i]->code)->name);
        cJSON_AddStringToObject(o, "action", steps[i]->fix);
        cJSON_AddBoolToObject(o, "root", steps[i]->fix_root);
        cJSON_AddBoolToObject(o, "reboot", steps[i]->fix_reboot);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static void print_finding(const struct ge_finding *x)
{
    static const enum ge_style color[] = {GE_STYLE_DIM, GE_STYLE_YELLOW, GE_STYLE_RED};
    const char *c = ge_out_style(color[x->severity]), *z = ge_out_style(GE_STYLE_RESET);
    printf("%s%-7s%s %s\n", c, ge_severity_name(x->severity), z, ge_code_info(x->code)->name);
    printf("        %s\n", x->message);
    for (int i = 0; i < x->nevidence; i++)
        printf("        evidence: %s: %s\n", x->evidence[i].source, x->evidence[i].value);
    if (x->fix[0])
        printf("        fix%s: %s\n", x->fix_root && x->fix_reboot ? " (root, reboot)" : x->fix_root ? " (root)"
                                      : x->fix_reboot ? " (new login or reboot)" : "", x->fix);
}

static void print_plan(const struct ge_finding *const *steps, size_t n)
{
    if (!n) {
        printf("nothing to fix\n");
        return;
    }
    for (size_t i = 0; i < n; i++)
        printf("%zu. %s%s%s\n   (%s)\n", i + 1, steps[i]->fix, steps[i]->fix_root ? " [root]" : "",
               steps[i]->fix_reboot ? " [reboot]" : "", ge_code_info(steps[i]->code)->name);
}

static void print_report(const struct ge_doctor *d)
{
    const char *b = ge_out_style(GE_STYLE_BOLD), *z = ge_out_style(GE_STYLE_RESET);
    if (d->drv_ok) {
        printf("%sdriver%s %s (CUDA %d.%d), %d GPU%s\n", b, z, d->drv.version[0] ? d->drv.version : "?", d->drv.cuda_int / 1000,
               d->drv.cuda_int % 1000 / 10, d->drv.ngpus, d->drv.ngpus == 1 ? "" : "s");
        for (int i = 0; i < d->drv.ngpus; i++) {
            const struct ge_gpu *g = &d->drv.gpus[i];
            char cc[8];
            static const char *const ks[] = {"", ", kernel ran right", ", kernel FAILED", ", kernel computed WRONG",
                                             ", kernel HUNG"};
            printf("  GPU %d  %s  compute capability %s%s\n", g->index, g->name[0] ? g->name : "?", ge_cc_format(g->cc, cc, sizeof cc),
                   ks[g->kernel.status]);
        }
    } else {
        printf("%sdriver%s none working\n", b, z);
    }
    for (int i = 0; i < d->nchecks; i++) {
        static const char *const st[] = {"ok", "problem", "skipped"};
        printf("%-16s %-8s %s\n", d->checks[i].name, st[d->checks[i].status], d->checks[i].note);
    }
    printf("\n");
    for (size_t i = 0; i < d->findings.n; i++)
        print_finding(&d->findings.v[i]);
    size_t ne = ge_findings_count(&d->findings, GE_SEV_ERROR), nw = ge_findings_count(&d->findings, GE_SEV_WARNING),
           ni = ge_findings_count(&d->findings, GE_SEV_INFO);
    printf("%s%zu error%s, %zu warning%s, %zu note%s\n", d->findings.n ? "\n" : "", ne, ne == 1 ? "" : "s", nw,
           nw == 1 ? "" : "s", ni, ni == 1 ? "" : "s");
}

static int doctor_run(struct ge_ctx *ctx, int argc, char **argv)
{
    struct ge_doctor_opts o;
    memset(&o, 0, sizeof o);
    o.gpu_check = true;
    bool json = false, fix_plan = false;
    struct ge_cli_iter it;
    ge_cli_iter_init(&it, ctx, argc, argv);
    const char *arg;
    int opt;
    while ((opt = ge_cli_next(&it, &arg)) >= 0) {
        switch (opt) {
        case OPT_JSON:
            json = ctx->json = true;
            break;
        case OPT_DIR:
            o.dir = arg;
            break;
        case OPT_PYTHON:
            o.python = arg;
            break;
        case OPT_BINARY:
            if (o.nbinaries == GE_DOCTOR_MAX_BINARIES) {
                ge_cli_usage(ctx, "--binary is given more than %d times", GE_DOCTOR_MAX_BINARIES);
                opt = -2;
                goto parsed;
            }
            o.binaries[o.nbinaries++] = arg;
            break;
        case OPT_VERIFY:
            o.verify = true;
            break;
        case OPT_FIX_PLAN:
            fix_plan = true;
            break;
        case OPT_NO_GPU_CHECK:
            o.gpu_check = false;
            break;
        case OPT_TIMEOUT: {
            char *end;
            o.timeout_s = strtod(arg, &end);
            if (end == arg || *end || !(o.timeout_s > 0 && o.timeout_s <= 3600)) {
                ge_cli_usage(ctx, "--timeout: '%s' is not a number of seconds from 0 to 3600", arg);
                opt = -2;
                goto parsed;
            }
            break;
        }
        }
    }
parsed:;
    int first = it.optind;
    ge_cli_iter_fini(&it);
    if (opt == -2)
        return ctx->err.status;
    if (first < argc) {
        ge_cli_usage(ctx, "doctor takes no arguments ('%s')", argv[first]);
        return ctx->err.status;
    }

    struct ge_doctor *d = calloc(1, sizeof *d);
    if (!d) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
        return ctx->err.status;
    }
    int status;
    if (ge_doctor_run(d, &o, &ctx->err) < 0) {
        status = ctx->err.status;
        goto out;
    }
    const struct ge_finding *steps[64];
    size_t nsteps = ge_findings_plan(&d->findings, steps, sizeof steps / sizeof steps[0]);
    size_t nerr = ge_findings_count(&d->findings, GE_SEV_ERROR);
    status = nerr ? GE_EXIT_UNHEALTHY : GE_EXIT_OK;
    if (nerr) {
        ge_err_set(&ctx->err, GE_EXIT_UNHEALTHY, "doctor found %zu error%s (first: %s)", nerr, nerr == 1 ? "" : "s",
                   ge_code_info(d->findings.v[0].code)->name);
        if (!fix_plan)
            ge_err_hint(&ctx->err, "'gpuenv doctor --fix-plan' lists the fixes in order");
    }
    if (json) {
        cJSON *doc = ge_json_doc(nerr == 0);
        cJSON *c = cJSON_AddObjectToObject(doc, "counts");
        cJSON_AddNumberToObject(c, "error", (double)nerr);
        cJSON_AddNumberToObject(c, "warning", (double)ge_findings_count(&d->findings, GE_SEV_WARNING));
        cJSON_AddNumberToObject(c, "info", (double)ge_findings_count(&d->findings, GE_SEV_INFO));
        cJSON *f = cJSON_AddArrayToObject(doc, "findings");
        for (size_t i = 0; i < d->findings.n; i++)
            cJSON_AddItemToArray(f, ge_finding_json(&d->findings.v[i]));
        cJSON_AddItemToObject(doc, "checks", checks_json(d));
        cJSON_AddItemToObject(doc, "gpus", gpus_json(d));
        cJSON_AddItemToObject(doc, "binaries", libs_json(d));
        cJSON_AddItemToObject(doc, "python", d->py ? cJSON_Duplicate(d->py, true) : cJSON_CreateNull());
        cJSON_AddItemToObject(doc, "fix_plan", plan_json(steps, nsteps));
        if (nerr)
            ge_json_add_error(doc, &ctx->err);
        if (ge_out_json(doc) == 0)
            ctx->json_printed = true;
    } else if (fix_plan) {
        print_plan(steps, nsteps);
    } else {
        print_report(d);
    }
out:
    ge_doctor_fini(d);
    free(d);
    return status;
}

const struct ge_cmd ge_cmd_doctor = {
    "doctor",
    "",
    "find what is wrong with the GPU environment, prove it on the GPU, and say the fix",
    "Examine the driver (kernel module against libcuda, nouveau, /dev/nvidia*, containers, WSL2), the\n"
    "variables (CUDA_VISIBLE_DEVICES, LD_LIBRARY_PATH shadowing, CUDA_HOME), the project (gpuenv.lock\n"
    "against this machine and the prefix's files), the framework in the active venv or --python (CPU-only\n"
    "builds, CUDA newer than the driver, NumPy ABI, duplicate copies) and the GPU code in the libraries\n"
    "that will be loaded (a cubin or usable PTX for every GPU). Runs a kernel on each GPU and the\n"
    "framework's own check. Findings come worst first, each with a stable code, its evidence and the fix;\n"
    "exit status 8 when there is an error.",
    doctor_opts,
    doctor_run,
    false,
    NULL,
    false,
};
