/* cmd_detect.c: 'gpuenv detect': the driver, its GPUs and the CUDA toolkits already installed. */
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
        cJSON_AddItemToArray(gpus, x);
    }
    cJSON *rocm = cJSON_AddArrayToObject(o, "rocm");
    for (int i = 0; i < a->nrocm; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "path", a->rocm[i].path);
        cJSON_AddStringToObject(x, "version", a->rocm[i].version);
        cJSON_AddItemToArray(rocm, x);
    }
}

static void format_mem(uint64_t bytes, char *buf, size_t size)
{
    if (!bytes)
        ge_strlcpy(buf, "-", size);
    else
        snprintf(buf, size, "%.1f GiB", (double)bytes / (1024.0 * 1024.0 * 1024.0));
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

    if (amd && (amd->ngpus || amd->nrocm || amd->module_loaded)) {
        if (info->source == GE_DRIVER_OVERRIDE) { /* described by --gpu gfx...: nothing else is known */
            printf("\n%samd gpus%s %s(described by --gpu)%s\n", b, r, dim, r);
            for (int i = 0; i < amd->ngpus; i++)
                printf("  %-3d %s\n", i, amd->gpus[i].gfx);
            goto toolkits;
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
            printf("  node %-3d %-8s %-24s %9s  %-12s%s\n", g->node, g->gfx, g->name[0] ? g->name : "-", mem,
                   g->pci_bus_id[0] ? g->pci_bus_id : "-", g->render_minor >= 0 && !g->render_access
                                                            ? "  [no access to its render node]" : "");
        }
        if (amd->ngpus && !amd->kfd_access)
            printf("  %s\n", amd->kfd_exists ? "[this user cannot open /dev/kfd: join the 'render' group]"
                                             : "[no /dev/kfd: ROCm cannot reach these GPUs]");
        for (int i = 0; i < amd->nrocm; i++)
            printf("  rocm      %s %s\n", amd->rocm[i].version, amd->rocm[i].path);
    }

toolkits:
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
    if (info->source != GE_DRIVER_OVERRIDE && (amd = calloc(1, sizeof *amd)))
        ge_amd_detect(getenv("GPUENV_SYSROOT"), amd);
    else if (req.namd && (amd = calloc(1, sizeof *amd)))
        for (int i = 0; i < req.namd; i++) {
            struct ge_amd_gpu *g = &amd->gpus[amd->ngpus++];
            g->node = -1;
            g->render_minor = -1;
            g->gfx_target_version = req.amd[i];
            ge_amd_gfx_name(req.amd[i], g->gfx, sizeof g->gfx);
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
    "/dev/kfd access, the ROCm installs in /opt/rocm*), then the CUDA toolkits installed on the\n"
    "system. --driver and --gpu (or GPUENV_DRIVER and GPUENV_GPUS) describe another machine instead;\n"
    "no probe runs then.",
    detect_opts,
    detect_run,
    false,
    NULL, false,
};
