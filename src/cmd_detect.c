/* cmd_detect.c: 'gpuenv detect': the driver, its GPUs and the CUDA toolkits already installed. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd.h"
#include "cmds.h"
#include "host.h"
#include "out.h"
#include "str.h"
#include "toolkit.h"

enum { OPT_JSON, OPT_DRIVER, OPT_GPU };

static const struct ge_opt detect_opts[] = {
    [OPT_JSON] = {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL},
    [OPT_DRIVER] = {"driver", 0, true, "VERSION",
                    "describe a machine with this driver instead of probing", NULL},
    [OPT_GPU] = {"gpu", 0, true, "CC|GFX",
                 "describe a machine with a GPU of this compute capability, or an AMD GPU of this gfx target "
                 "(repeatable)",
                 GE_GPU_COMPLETIONS},
    {NULL, 0, false, NULL, NULL, NULL},
};

/* The variables through which the HIP runtime hides GPUs (ROCR_ at the ROCr level, HIP_ above it). */
static const char *const hip_visible_vars[] = {"HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES"};

static void add_driver_json(cJSON *doc, const struct ge_driver_info *info, bool known)
{
    if (!known) {
        cJSON_AddNullToObject(doc, "driver");
        return;
    }
    cJSON *d = cJSON_AddObjectToObject(doc, "driver");
    char cuda[16];
    ge_driver_cuda_string(info, cuda, sizeof cuda);
    ge_json_add_strn(d, "version", info->version[0] ? info->version : NULL);
    ge_json_add_strn(d, "cuda", cuda[0] ? cuda : NULL);
    cJSON_AddStringToObject(d, "source", info->source == GE_DRIVER_OVERRIDE ? "override" : "driver-api");
    ge_json_add_strn(d, "version_source", info->version_source[0] ? info->version_source : NULL);
    ge_json_add_strn(d, "library", info->library[0] ? info->library : NULL);
}

static void add_gpus_json(cJSON *doc, const struct ge_driver_info *info)
{
    cJSON *arr = cJSON_AddArrayToObject(doc, "gpus");
    for (int i = 0; i < info->ngpus; i++) {
        const struct ge_gpu *g = &info->gpus[i];
        cJSON *o = cJSON_CreateObject();
        char cc[8];
        cJSON_AddNumberToObject(o, "index", g->index);
        ge_json_add_strn(o, "name", g->name[0] ? g->name : NULL);
        cJSON_AddStringToObject(o, "cc", ge_cc_format(g->cc, cc, sizeof cc));
        if (g->memory_bytes)
            cJSON_AddNumberToObject(o, "memory_bytes", (double)g->memory_bytes);
        else
            cJSON_AddNullToObject(o, "memory_bytes");
        ge_json_add_strn(o, "uuid", g->uuid[0] ? g->uuid : NULL);
        ge_json_add_strn(o, "pci_bus_id", g->pci_bus_id[0] ? g->pci_bus_id : NULL);
        cJSON_AddItemToArray(arr, o);
    }
}

static void add_toolkits_json(cJSON *doc, const struct ge_toolkit_list *tk)
{
    cJSON *arr = cJSON_AddArrayToObject(doc, "toolkits");
    for (size_t i = 0; i < tk->n; i++) {
        const struct ge_toolkit *t = &tk->items[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", t->path);
        cJSON_AddStringToObject(o, "version", t->version);
        cJSON_AddStringToObject(o, "version_source", t->version_source);
        cJSON_AddBoolToObject(o, "nvcc", t->has_nvcc);
        cJSON *al = cJSON_AddArrayToObject(o, "aliases");
        for (int a = 0; a < t->naliases; a++)
            cJSON_AddItemToArray(al, cJSON_CreateString(t->aliases[a]));
        cJSON_AddItemToArray(arr, o);
    }
}

/* The HIP runtime's view, inside "amd": what it answered, or which failure and why. */
static void add_hip_json(cJSON *o, const struct ge_amd_info *a)
{
    const struct ge_hip_info *h = &a->hip;
    cJSON *x = cJSON_AddObjectToObject(o, "hip");
    char v[32];
    cJSON_AddStringToObject(x, "status", ge_hip_status_name(h->status));
    ge_json_add_strn(x, "library", h->library[0] ? h->library : NULL);
    ge_json_add_strn(x, "library_source", h->library_source[0] ? h->library_source : NULL);
    ge_hip_version_string(h->runtime_version, v, sizeof v);
    ge_json_add_strn(x, "version", v[0] ? v : NULL);
    if (h->runtime_version)
        cJSON_AddNumberToObject(x, "runtime_version", h->runtime_version);
    else
        cJSON_AddNullToObject(x, "runtime_version");
    if (h->driver_version)
        cJSON_AddNumberToObject(x, "driver_version", h->driver_version);
    else
        cJSON_AddNullToObject(x, "driver_version");
    if (a->hip_err.status) {
        cJSON *e = cJSON_AddObjectToObject(x, "error");
        cJSON_AddStringToObject(e, "message", a->hip_err.msg);
        ge_json_add_strn(e, "hint", a->hip_err.hint[0] ? a->hip_err.hint : NULL);
        ge_json_add_strn(e, "call", h->call[0] ? h->call : NULL);
        if (h->hip_error)
            cJSON_AddNumberToObject(e, "code", h->hip_error);
        else
            cJSON_AddNullToObject(e, "code");
        ge_json_add_strn(e, "name", h->hip_error_name[0] ? h->hip_error_name : NULL);
        ge_json_add_strn(e, "stage", h->stage[0] ? h->stage : NULL);
        if (h->signal)
            cJSON_AddNumberToObject(e, "signal", h->signal);
        else
            cJSON_AddNullToObject(e, "signal");
    } else {
        cJSON_AddNullToObject(x, "error");
    }
    cJSON *gpus = cJSON_AddArrayToObject(x, "gpus");
    for (int k = 0; k < h->ngpus; k++) {
        const struct ge_hip_gpu *g = &h->gpus[k];
        cJSON *y = cJSON_CreateObject();
        cJSON_AddNumberToObject(y, "ordinal", g->ordinal);
        ge_json_add_strn(y, "name", g->name[0] ? g->name : NULL);
        ge_json_add_strn(y, "arch", g->arch[0] ? g->arch : NULL);
        ge_json_add_strn(y, "pci_bus_id", g->pci_bus_id[0] ? g->pci_bus_id : NULL);
        if (g->memory_bytes)
            cJSON_AddNumberToObject(y, "memory_bytes", (double)g->memory_bytes);
        else
            cJSON_AddNullToObject(y, "memory_bytes");
        int node = -1;
        for (int i = 0; i < a->ngpus && node < 0; i++)
            if (a->gpus[i].hip_seen && a->gpus[i].hip_index == k)
                node = a->gpus[i].node;
        if (node >= 0)
            cJSON_AddNumberToObject(y, "node", node);
        else
            cJSON_AddNullToObject(y, "node");
        cJSON_AddItemToArray(gpus, y);
    }
    /* the runtime applies these itself; they were left as they are */
    cJSON *vis = cJSON_AddObjectToObject(x, "visible_devices");
    for (size_t i = 0; i < sizeof hip_visible_vars / sizeof hip_visible_vars[0]; i++)
        ge_json_add_strn(vis, hip_visible_vars[i], getenv(hip_visible_vars[i]));
}

static void add_amd_json(cJSON *doc, const struct ge_amd_info *a)
{
    cJSON *o = cJSON_AddObjectToObject(doc, "amd");
    cJSON *d = cJSON_AddObjectToObject(o, "driver");
    cJSON_AddBoolToObject(d, "module_loaded", a->module_loaded);
    ge_json_add_strn(d, "version", a->driver_version[0] ? a->driver_version : NULL);
    ge_json_add_strn(d, "version_source", a->driver_source[0] ? a->driver_source : NULL);
    cJSON *kfd = cJSON_AddObjectToObject(o, "kfd");
    cJSON_AddBoolToObject(kfd, "exists", a->kfd_exists);
    cJSON_AddBoolToObject(kfd, "access", a->kfd_access);
    cJSON *gpus = cJSON_AddArrayToObject(o, "gpus");
    for (int i = 0; i < a->ngpus; i++) {
        const struct ge_amd_gpu *g = &a->gpus[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "node", g->node);
        cJSON_AddStringToObject(x, "vendor", "amd");
        cJSON_AddStringToObject(x, "gfx", g->gfx);
        cJSON_AddNumberToObject(x, "gfx_target_version", g->gfx_target_version);
        ge_json_add_strn(x, "name", g->name[0] ? g->name : NULL);
        char id[16];
        snprintf(id, sizeof id, "%04x:%04x", g->vendor_id, g->device_id);
        cJSON_AddStringToObject(x, "pci_id", id);
        if (g->memory_bytes)
            cJSON_AddNumberToObject(x, "memory_bytes", (double)g->memory_bytes);
        else
            cJSON_AddNullToObject(x, "memory_bytes");
        ge_json_add_strn(x, "pci_bus_id", g->pci_bus_id[0] ? g->pci_bus_id : NULL);
        if (g->render_minor >= 0) {
            char dev[40];
            snprintf(dev, sizeof dev, "/dev/dri/renderD%d", g->render_minor);
            cJSON_AddStringToObject(x, "render_node", dev);
        } else {
            cJSON_AddNullToObject(x, "render_node");
        }
        cJSON_AddBoolToObject(x, "render_access", g->render_access);
        cJSON_AddBoolToObject(x, "hip_seen", g->hip_seen);
        if (g->hip_seen) {
            const struct ge_hip_gpu *h = &a->hip.gpus[g->hip_index];
            cJSON *hx = cJSON_AddObjectToObject(x, "hip");
            cJSON_AddNumberToObject(hx, "ordinal", h->ordinal);
            ge_json_add_strn(hx, "name", h->name[0] ? h->name : NULL);
            ge_json_add_strn(hx, "arch", h->arch[0] ? h->arch : NULL);
        } else {
            cJSON_AddNullToObject(x, "hip");
        }
        cJSON_AddItemToArray(gpus, x);
    }
    cJSON *rocm = cJSON_AddArrayToObject(o, "rocm");
    for (int i = 0; i < a->nrocm; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "path", a->rocm[i].path);
        cJSON_AddStringToObject(x, "version", a->rocm[i].version);
        cJSON_AddItemToArray(rocm, x);
    }
    add_hip_json(o, a);
}

static void format_mem(uint64_t bytes, char *buf, size_t size)
{
    if (!bytes)
        ge_strlcpy(buf, "-", size);
    else
        snprintf(buf, size, "%.1f GiB", (double)bytes / (1024.0 * 1024.0 * 1024.0));
}

/* The HIP runtime's line(s) under the AMD GPUs: its version and library, or why it gave none. */
static void print_hip_text(const struct ge_amd_info *amd)
{
    const struct ge_hip_info *h = &amd->hip;
    const char *dim = ge_out_style(GE_STYLE_DIM), *r = ge_out_style(GE_STYLE_RESET);
    if (h->status == GE_HIP_NOT_PROBED)
        return;
    if (h->status == GE_HIP_OK) {
        char v[32];
        int seen = 0;
        for (int i = 0; i < amd->ngpus; i++)
            seen += amd->gpus[i].hip_seen;
        ge_hip_version_string(h->runtime_version, v, sizeof v);
        printf("  hip       %s %s %s(sees %d of %d GPU%s)%s\n", v[0] ? v : "version unknown", h->library, dim, seen,
               amd->ngpus, amd->ngpus == 1 ? "" : "s", r);
        for (int k = 0; k < h->ngpus; k++) {
            bool matched = false;
            for (int i = 0; i < amd->ngpus && !matched; i++)
                matched = amd->gpus[i].hip_seen && amd->gpus[i].hip_index == k;
            if (!matched)
                printf("  hip #%-3d %-8s %-24s %s  [no KFD node at this PCI bus id]\n", h->gpus[k].ordinal,
                       h->gpus[k].arch[0] ? h->gpus[k].arch : "-", h->gpus[k].name[0] ? h->gpus[k].name : "-",
                       h->gpus[k].pci_bus_id[0] ? h->gpus[k].pci_bus_id : "-");
        }
    } else {
        printf("  hip       %s\n", amd->hip_err.msg);
    }
    for (size_t i = 0; i < sizeof hip_visible_vars / sizeof hip_visible_vars[0]; i++) {
        const char *v = getenv(hip_visible_vars[i]);
        if (v)
            printf("  hip       %s='%s' is set: the runtime shows only the GPUs it names\n", hip_visible_vars[i], v);
    }
}

/* The AMD GPUs: the KFD topology's, with what the HIP runtime saw, or those --gpu described. */
static void print_amd_text(const struct ge_amd_info *amd, bool described)
{
    const char *b = ge_out_style(GE_STYLE_BOLD), *r = ge_out_style(GE_STYLE_RESET);
    const char *dim = ge_out_style(GE_STYLE_DIM);
    if (described) { /* by --gpu gfx...: nothing else is known */
        printf("\n%samd gpus%s %s(described by --gpu)%s\n", b, r, dim, r);
        for (int i = 0; i < amd->ngpus; i++)
            printf("  %-3d %s\n", i, amd->gpus[i].gfx);
        return;
    }
    printf("\n%samd gpus%s %s(KFD topology; amdgpu %s%s%s)%s\n", b, r, dim,
           amd->driver_version[0] ? amd->driver_version : "version unknown", amd->driver_source[0] ? " from " : "",
           amd->driver_source, r);
    if (!amd->ngpus)
        printf("  none\n");
    for (int i = 0; i < amd->ngpus; i++) {
        const struct ge_amd_gpu *g = &amd->gpus[i];
        char mem[32];
        format_mem(g->memory_bytes, mem, sizeof mem);
        char hip[300] = "";
        if (g->hip_seen)
            ge_fmt(hip, sizeof hip, "  hip #%d %s", amd->hip.gpus[g->hip_index].ordinal,
                   amd->hip.gpus[g->hip_index].arch[0] ? amd->hip.gpus[g->hip_index].arch : "-");
        else if (amd->hip.status == GE_HIP_OK)
            ge_strlcpy(hip, "  [not seen by HIP]", sizeof hip);
        printf("  node %-3d %-8s %-24s %9s  %-12s%s%s\n", g->node, g->gfx, g->name[0] ? g->name : "-", mem,
               g->pci_bus_id[0] ? g->pci_bus_id : "-", g->render_minor >= 0 && !g->render_access
                                                        ? "  [no access to its render node]" : "", hip);
    }
    print_hip_text(amd);
    if (amd->ngpus && !amd->kfd_access)
        printf("  %s\n", amd->kfd_exists ? "[this user cannot open /dev/kfd: join the 'render' group]"
                                         : "[no /dev/kfd: ROCm cannot reach these GPUs]");
    for (int i = 0; i < amd->nrocm; i++)
        printf("  rocm      %s %s\n", amd->rocm[i].version, amd->rocm[i].path);
}

static void print_text(const struct ge_driver_info *info, bool known, const struct ge_toolkit_list *tk,
                       const struct ge_amd_info *amd)
{
    const char *b = ge_out_style(GE_STYLE_BOLD), *r = ge_out_style(GE_STYLE_RESET);
    const char *dim = ge_out_style(GE_STYLE_DIM);
    char cuda[16];
    ge_driver_cuda_string(info, cuda, sizeof cuda);

    printf("%sdriver%s\n", b, r);
    if (!known && info->source == GE_DRIVER_OVERRIDE) {
        printf("  %-9s not given %s(a machine described by --gpu)%s\n", "version", dim, r);
    } else if (!known) {
        printf("  none found\n");
    } else {
        if (info->source == GE_DRIVER_OVERRIDE)
            printf("  %-9s %s %s(given, not probed)%s\n", "version",
                   info->version[0] ? info->version : "not given", dim, r);
        else if (info->version[0])
            printf("  %-9s %s %s(%s)%s\n", "version", info->version, dim, info->version_source, r);
        else
            printf("  %-9s unknown %s(no readable /sys/module/nvidia/version, "
                   "/proc/driver/nvidia/version or NVML)%s\n", "version", dim, r);
        if (cuda[0])
            printf("  %-9s %s %s(the newest CUDA this driver runs)%s\n", "cuda", cuda, dim, r);
        if (info->library[0])
            printf("  %-9s %s\n", "library", info->library);
    }

    printf("\n%sgpus%s\n", b, r);
    if (info->ngpus == 0)
        printf("  none\n");
    else {
        /* Column widths from the data, so that names of any length line up. */
        int wname = 4;
        for (int i = 0; i < info->ngpus; i++) {
            int l = (int)strlen(info->gpus[i].name[0] ? info->gpus[i].name : "-");
            if (l > wname)
                wname = l;
        }
        printf("  %s%-3s  %-*s  %-4s  %9s  %-16s  %s%s\n", dim, "#", wname, "name", "cc",
               "memory", "pci bus", "uuid", r);
        for (int i = 0; i < info->ngpus; i++) {
            const struct ge_gpu *g = &info->gpus[i];
            char cc[8], mem[32];
            format_mem(g->memory_bytes, mem, sizeof mem);
            printf("  %-3d  %-*s  %-4s  %9s  %-16s  %s\n", g->index, wname,
                   g->name[0] ? g->name : "-", ge_cc_format(g->cc, cc, sizeof cc), mem,
                   g->pci_bus_id[0] ? g->pci_bus_id : "-", g->uuid[0] ? g->uuid : "-");
        }
    }

    if (amd && (amd->ngpus || amd->nrocm || amd->module_loaded))
        print_amd_text(amd, info->source == GE_DRIVER_OVERRIDE);

    printf("\n%scuda toolkits on this system%s %s(installed, apart from the driver)%s\n", b, r, dim, r);
    if (tk->n == 0)
        printf("  none\n");
    for (size_t i = 0; i < tk->n; i++) {
        const struct ge_toolkit *t = &tk->items[i];
        printf("  %-9s %s", t->version, t->path);
        for (int a = 0; a < t->naliases; a++)
            printf("%s %s", a ? "," : " (also", t->aliases[a]);
        printf("%s%s\n", t->naliases ? ")" : "", t->has_nvcc ? "" : " [no nvcc]");
    }
}

static int detect_run(struct ge_ctx *ctx, int argc, char **argv)
{
    struct ge_host_req req;
    ge_host_req_init(&req);
    bool json = false;
    struct ge_cli_iter it;
    ge_cli_iter_init(&it, ctx, argc, argv);
    const char *arg;
    int o;
    while ((o = ge_cli_next(&it, &arg)) >= 0) {
        if (o == OPT_JSON)
            json = true;
        else if (o == OPT_DRIVER && ge_host_set_driver(&req, arg, "--driver", &ctx->err) < 0)
            o = -3;
        else if (o == OPT_GPU && ge_host_add_gpus(&req, arg, "--gpu", &ctx->err) < 0)
            o = -3;
        if (o == -3)
            break;
    }
    int first = it.optind;
    ge_cli_iter_fini(&it);
    if (o == -2 || o == -3)
        return ctx->err.status;
    if (first < argc) {
        ge_cli_usage(ctx, "unexpected argument '%s'", argv[first]);
        return ctx->err.status;
    }
    if (ge_host_req_from_env(&req, &ctx->err) < 0)
        return ctx->err.status;

    struct ge_driver_info *info = calloc(1, sizeof *info);
    struct ge_toolkit_list *tk = calloc(1, sizeof *tk);
    if (!info || !tk) {
        free(info);
        free(tk);
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
        return ctx->err.status;
    }
    int rc = ge_host_detect(&req, info, &ctx->err);
    /* A driver is "known" when there is anything to say about it. */
    bool known = info->source == GE_DRIVER_OVERRIDE ? req.driver_given
                                                    : (info->library[0] || info->version[0]);
    if (ge_log_level() >= GE_LOG_VERBOSE)
        for (int i = 0; i < info->ntries; i++)
            ge_log_info("tried %s: %s", info->tries[i].path,
                        info->tries[i].error[0] ? info->tries[i].error : "loaded");
    /* The user's CUDA_VISIBLE_DEVICES does not change what this machine has; say when it would
     * hide GPUs from CUDA programs in this shell, since that is a classic silent-CPU trap. */
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    if (cvd && info->source != GE_DRIVER_OVERRIDE && rc == 0)
        ge_log_warn("CUDA_VISIBLE_DEVICES='%s' limits which of these GPUs CUDA programs in this "
                    "shell can see", cvd);

    const char *search = getenv("GPUENV_TOOLKIT_PATH");
    ge_toolkit_scan(search ? search : GE_TOOLKIT_DEFAULT_PATH, search == NULL, tk);

    /* AMD GPUs beside NVIDIA's: this machine's, or those --gpu gfx... describes; with one, a
     * missing NVIDIA driver is no failure */
    struct ge_amd_info *amd = NULL;
    if (info->source != GE_DRIVER_OVERRIDE && (amd = calloc(1, sizeof *amd))) {
        ge_host_amd(amd); /* confirmed through the HIP runtime */
        int hs = amd->hip.status;
        if (hs != GE_HIP_OK && hs != GE_HIP_NOT_PROBED && hs != GE_HIP_NOT_FOUND) {
            ge_log_warn("%s", amd->hip_err.msg);
            if (amd->hip_err.hint[0])
                ge_log_hint("%s", amd->hip_err.hint);
        } else if (hs == GE_HIP_NOT_FOUND) {
            ge_log_info("%s", amd->hip_err.msg);
        }
    } else if (req.namd && (amd = calloc(1, sizeof *amd))) {
        for (int i = 0; i < req.namd; i++) {
            struct ge_amd_gpu *g = &amd->gpus[amd->ngpus++];
            g->node = -1;
            g->render_minor = -1;
            g->gfx_target_version = req.amd[i];
            ge_amd_gfx_name(req.amd[i], g->gfx, sizeof g->gfx);
        }
    }
    if (rc < 0 && amd && amd->ngpus && (ctx->err.status == GE_EXIT_NO_DRIVER || ctx->err.status == GE_EXIT_NO_GPU)) {
        ge_log_info("no NVIDIA GPU: %s", ctx->err.msg);
        ge_err_clear(&ctx->err);
        rc = 0;
    }

    if (json) {
        cJSON *doc = ge_json_doc(rc == 0);
        add_driver_json(doc, info, known);
        add_gpus_json(doc, info);
        ge_json_add_strn(doc, "cuda_visible_devices", info->source == GE_DRIVER_OVERRIDE ? NULL : cvd);
        add_toolkits_json(doc, tk);
        if (amd)
            add_amd_json(doc, amd);
        else
            cJSON_AddNullToObject(doc, "amd");
        if (rc < 0)
            ge_json_add_error(doc, &ctx->err);
        if (ge_out_json(doc) == 0)
            ctx->json_printed = true;
    } else if (rc == 0 || ctx->err.status == GE_EXIT_NO_GPU) {
        print_text(info, known, tk, amd);
    }
    int status = rc == 0 ? GE_EXIT_OK : ctx->err.status;
    free(amd);
    free(info);
    free(tk);
    return status;
}

const struct ge_cmd ge_cmd_detect = {
    "detect",
    "",
    "show the NVIDIA driver, its GPUs, AMD GPUs and the CUDA toolkits already installed",
    "Probe the NVIDIA driver through the CUDA driver API (libcuda.so.1, loaded in a child process\n"
    "with a timeout) and list each GPU with its compute capability, memory, PCI bus id and UUID,\n"
    "then AMD GPUs from the amdgpu driver's KFD topology (gfx target, memory, PCI bus id, render node,\n"
    "/dev/kfd access, the ROCm installs in /opt/rocm*), each confirmed through the HIP runtime\n"
    "(libamdhip64.so, loaded in a child process with the same timeout), then the CUDA toolkits\n"
    "installed on the system. --driver and --gpu (or GPUENV_DRIVER and GPUENV_GPUS) describe another machine instead;\n"
    "no probe runs then.",
    detect_opts,
    detect_run,
    false,
    NULL, false,
};
