/* amd_hip.c: dlopen libamdhip64.so in a child process with a time limit and report the GPUs it sees. */
#define _GNU_SOURCE
#include "amd_hip.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "amd.h"
#include "path.h"
#include "proc.h"
#include "str.h"
#include "version.h"

/* The few HIP runtime declarations the probe needs, written here so that no HIP header is needed
 * to build. From ROCm/HIP include/hip/hip_runtime_api.h at tag rocm-6.2.0 (commit
 * 50ec90c65cc383f676c099ecb0546e183851f6b1): hipError_t is an int-sized enum with hipSuccess 0,
 * hipErrorInsufficientDriver 35, hipErrorNoDevice 100; hipDevice_t is an int; the calls are
 *   hipError_t hipRuntimeGetVersion(int *), hipDriverGetVersion(int *), hipGetDeviceCount(int *),
 *   hipDeviceGet(hipDevice_t *, int ordinal), hipDeviceGetName(char *, int len, hipDevice_t),
 *   hipDeviceGetPCIBusId(char *, int len, int device), hipDeviceTotalMem(size_t *, hipDevice_t),
 *   hipGetDevicePropertiesR0600(hipDeviceProp_tR0600 *, int device),
 *   const char *hipGetErrorName(hipError_t), const char *hipGetErrorString(hipError_t).
 * HIP 5's hipGetDeviceProperties(hipDeviceProp_t *, int) takes the older layout (below). Both
 * version calls return HIP_VERSION = major * 10000000 + minor * 100000 + patch (ROCm/clr
 * hipamd/src/hip_context.cpp at commit 094a3afd7c43003057d024c40234ddad8d8176d2). */
typedef int hip_error;
enum {
    HIP_SUCCESS = 0,
    HIP_ERROR_INSUFFICIENT_DRIVER = 35,
    HIP_ERROR_NO_DEVICE = 100,
};

struct hip_api {
    hip_error (*runtime_get_version)(int *);
    hip_error (*driver_get_version)(int *);
    hip_error (*get_device_count)(int *);
    hip_error (*device_get)(int *, int);
    hip_error (*device_get_name)(char *, int, int);
    hip_error (*device_get_pci_bus_id)(char *, int, int);
    hip_error (*device_total_mem)(size_t *, int);
    hip_error (*get_props_r0600)(void *, int);
    hip_error (*get_props)(void *, int);
    const char *(*get_error_name)(hip_error);
    const char *(*get_error_string)(hip_error);
};

/* Where gcnArchName lies in hipDeviceProp_t, for the two layouts the runtime has had. The fields
 * before it are copied here for their sizes and alignment only, runs of ints as one array named by
 * their first and last field, so that the compiler proves the offsets on this ABI.
 * HIP 6: hipDeviceProp_tR0600, ROCm/HIP include/hip/hip_runtime_api.h at rocm-6.2.0 (commit
 * 50ec90c65cc383f676c099ecb0546e183851f6b1), the same up to gcnArchName at rocm-6.0.0 (commit
 * f7c33a4cbb660011cf9429b8b65d631066cd51d2) and rocm-6.1.0. */
struct hip_props_r0600 {
    char name[256];
    char uuid[16];      /* hipUUID: char bytes[16] */
    char luid[8];
    unsigned luid_device_node_mask;
    size_t total_global_mem, shared_mem_per_block;
    int regs_per_block, warp_size;
    size_t mem_pitch;
    int max_threads_per_block__clock_rate[8]; /* maxThreadsDim[3], maxGridSize[3] between */
    size_t total_const_mem;
    int major, minor;
    size_t texture_alignment, texture_pitch_alignment;
    int device_overlap__max_surface_cubemap_layered[46];
    size_t surface_alignment;
    int concurrent_kernels__local_l1_cache_supported[16];
    size_t shared_mem_per_multiprocessor;
    int regs_per_multiprocessor__cooperative_multi_device_launch[12];
    size_t shared_mem_per_block_optin;
    int pageable_memory_access_uses_host_page_tables__access_policy_max_window_size[4];
    size_t reserved_shared_mem_per_block;
    int host_register_supported__unified_function_pointers[13];
    int reserved[63];
    int hip_reserved[32];
    char gcn_arch_name[256];
};

/* HIP 5: hipDeviceProp_t, the same header at rocm-5.7.1 (commit
 * 80681169ae20de8f8025b4fad799204c3ae7de50), unchanged up to gcnArchName since rocm-5.4.0. */
struct hip_props_r0000 {
    char name[256];
    size_t total_global_mem, shared_mem_per_block;
    int regs_per_block__memory_bus_width[12];   /* regsPerBlock .. memoryBusWidth */
    size_t total_const_mem;
    int major__pci_device_id[12];               /* major .. arch (a 4-byte bit field) .. pciDeviceID */
    size_t max_shared_memory_per_multiprocessor;
    int is_multi_gpu_board, can_map_host_memory, gcn_arch;
    char gcn_arch_name[256];
};

#if __SIZEOF_SIZE_T__ == 8 && __SIZEOF_INT__ == 4
/* the offsets a compiler gives the header's own structs on x86_64 and aarch64 Linux */
_Static_assert(offsetof(struct hip_props_r0600, gcn_arch_name) == 1160, "hipDeviceProp_tR0600 layout");
_Static_assert(offsetof(struct hip_props_r0000, gcn_arch_name) == 396, "HIP 5 hipDeviceProp_t layout");
#endif

/* Room for either struct as the runtime fills it (1472 and 792 bytes in those headers), with a
 * margin for a runtime whose struct grew at its end. */
#define HIP_PROPS_BUF 8192

static const char *const hip_names[] = {"libamdhip64.so", "libamdhip64.so.7", "libamdhip64.so.6",
                                        "libamdhip64.so.5"};
#define NNAMES (sizeof hip_names / sizeof hip_names[0])

const char *ge_hip_status_name(int status)
{
    static const char *const names[] = {"not-probed", "ok", "not-found", "load-failed", "symbol-missing",
                                        "no-device", "insufficient-driver", "failed", "timeout", "crashed"};
    if (status < 0 || (size_t)status >= sizeof names / sizeof names[0])
        return "failed";
    return names[status];
}

char *ge_hip_version_string(int v, char *buf, size_t size)
{
    if (v <= 0) {
        if (size)
            buf[0] = '\0';
        return buf;
    }
    if (ge_fmt(buf, size, "%d.%d.%d", v / 10000000, v / 100000 % 100, v % 100000) < 0 && size)
        buf[0] = '\0';
    return buf;
}

/* "DDDD:BB:DD.F", any width of hexadecimal digits in each part, nothing else */
static int parse_pci(const char *s, unsigned v[4])
{
    static const char seps[] = ":::.";
    if (!s)
        return -1;
    for (int i = 0; i < 4; i++) {
        if (i > 0 && *s++ != seps[i])
            return -1;
        size_t n = strspn(s, "0123456789abcdefABCDEF");
        if (n == 0 || n > 8)
            return -1;
        char part[9];
        memcpy(part, s, n);
        part[n] = '\0';
        v[i] = (unsigned)strtoul(part, NULL, 16);
        s += n;
    }
    return *s ? -1 : 0;
}

bool ge_hip_same_pci(const char *a, const char *b)
{
    unsigned x[4], y[4];
    return parse_pci(a, x) == 0 && parse_pci(b, y) == 0 && memcmp(x, y, sizeof x) == 0;
}

int ge_hip_props_arch(const void *props, size_t size, int layout, char *out, size_t osize)
{
    if (osize)
        out[0] = '\0';
    size_t off = layout == 6 ? offsetof(struct hip_props_r0600, gcn_arch_name)
                 : layout == 5 ? offsetof(struct hip_props_r0000, gcn_arch_name)
                               : (size_t)-1;
    if (off == (size_t)-1 || off + 256 > size)
        return -1;
    const char *s = (const char *)props + off;
    size_t n = strnlen(s, 256);
    char gfx[16];
    size_t g = strcspn(s, ":");
    if (n == 256 || n >= osize || g >= sizeof gfx)
        return -1;
    memcpy(gfx, s, g);
    gfx[g] = '\0';
    unsigned v;
    if (ge_amd_gfx_parse(gfx, &v) < 0 || ge_has_control(s))
        return -1;
    memcpy(out, s, n + 1);
    return 0;
}

/* An /opt/rocm* folder that holds a libamdhip64.so, and the ROCm version it is. */
struct rocm_lib {
    char path[PATH_MAX];
    struct ge_version v;
    bool known; /* v came from .info/version or the folder's name */
};

static int cmp_rocm(const void *a, const void *b)
{
    const struct rocm_lib *x = a, *y = b;
    if (x->known != y->known)
        return x->known ? -1 : 1;
    return -(int)ge_version_cmp(&x->v, &y->v); /* newest first */
}

/* The libamdhip64.so of every /opt/rocm* under sysroot, newest ROCm first, each real folder once. */
static int rocm_libs(const char *sysroot, struct rocm_lib *out, int max)
{
    char pattern[PATH_MAX];
    ge_path_under(pattern, sizeof pattern, sysroot, "/opt/rocm*/lib");
    glob_t g;
    if (glob(pattern, GLOB_ONLYDIR, NULL, &g) != 0)
        return 0;
    int n = 0;
    char reals[16][PATH_MAX];
    for (size_t i = 0; i < g.gl_pathc && n < max && n < 16; i++) {
        char real[PATH_MAX];
        if (!realpath(g.gl_pathv[i], real))
            continue;
        bool dup = false;
        for (int k = 0; k < n && !dup; k++)
            dup = strcmp(reals[k], real) == 0;
        if (dup)
            continue;
        struct rocm_lib *r = &out[n];
        memset(r, 0, sizeof *r);
        for (size_t k = 0; k < NNAMES && !r->path[0]; k++) {
            char p[PATH_MAX];
            if (ge_path_join(p, sizeof p, g.gl_pathv[i], hip_names[k]) == 0 && access(p, F_OK) == 0)
                ge_strlcpy(r->path, p, sizeof r->path);
        }
        if (!r->path[0])
            continue;
        /* the version: ROCm's .info/version ("6.2.4-120"), else the folder's name (rocm-6.2.4) */
        char dir[PATH_MAX], info[PATH_MAX];
        ge_strlcpy(dir, real, sizeof dir);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        char *t = ge_path_join(info, sizeof info, dir, ".info/version") == 0 ? ge_read_file(info, 256, NULL) : NULL;
        if (t) {
            t[strcspn(t, "-\n")] = '\0';
            r->known = ge_version_parse(&r->v, t, 1, 4) == 0;
            free(t);
        }
        const char *base = strrchr(dir, '/');
        if (!r->known && base && strncmp(base, "/rocm-", 6) == 0)
            r->known = ge_version_parse(&r->v, base + 6, 1, 4) == 0;
        ge_strlcpy(reals[n], real, sizeof reals[n]);
        n++;
    }
    globfree(&g);
    qsort(out, (size_t)n, sizeof out[0], cmp_rocm);
    return n;
}

static void add_try(struct ge_hip_info *info, const char *path, const char *error, bool exists)
{
    if (info->ntries >= GE_HIP_MAX_TRIES)
        return;
    struct ge_hip_try *t = &info->tries[info->ntries++];
    ge_strlcpy(t->path, path, sizeof t->path);
    ge_strlcpy(t->error, error ? error : "", sizeof t->error);
    t->exists = exists;
}

static bool file_in(const char *dir, const char *name)
{
    char p[PATH_MAX];
    return ge_path_join(p, sizeof p, dir, name) == 0 && access(p, F_OK) == 0;
}

/* Whether the loader could find a libamdhip64.so, decided without loading anything, so that a
 * machine without ROCm needs no child to say so: LD_LIBRARY_PATH, /etc/ld.so.cache, the loader's
 * default folders. Any doubt means yes. */
static bool loader_may_find(void)
{
    const char *llp = getenv("LD_LIBRARY_PATH");
    if (llp && llp[0]) {
        char *copy = strdup(llp), *save = NULL;
        if (!copy)
            return true;
        bool hit = false;
        for (char *d = strtok_r(copy, ":", &save); d && !hit; d = strtok_r(NULL, ":", &save))
            for (size_t k = 0; k < NNAMES && !hit; k++)
                hit = file_in(d[0] ? d : ".", hip_names[k]);
        free(copy);
        if (hit)
            return true;
    }
    size_t len = 0;
    char *cache = ge_read_file("/etc/ld.so.cache", 64u << 20, &len);
    if (!cache)
        return true;
    bool listed = memmem(cache, len, "libamdhip64.so", strlen("libamdhip64.so")) != NULL;
    free(cache);
    if (listed)
        return true;
    static const char *const dirs[] = {"/lib64", "/usr/lib64", "/lib", "/usr/lib", "/lib/x86_64-linux-gnu",
                                       "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                                       "/usr/lib/aarch64-linux-gnu"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        for (size_t k = 0; k < NNAMES; k++)
            if (file_in(dirs[i], hip_names[k]))
                return true;
    return false;
}

/* What the child is given: the options, and the /opt/rocm* libraries the parent found. */
struct probe_arg {
    const struct ge_hip_opts *o;
    const struct rocm_lib *libs;
    int nlibs;
};

/* In the child: the library, in the order the probe promises; NULL when none loads. */
static void *load_hip(const struct probe_arg *a, struct ge_hip_info *info)
{
    const struct ge_hip_opts *o = a->o;
    void *h;
    if (o->library && o->library[0]) {
        h = dlopen(o->library, RTLD_NOW | RTLD_LOCAL);
        add_try(info, o->library, h ? NULL : dlerror(), access(o->library, F_OK) == 0);
        if (h)
            ge_strlcpy(info->library_source, "GPUENV_LIBAMDHIP", sizeof info->library_source);
        return h;
    }
    for (int i = 0; i < a->nlibs; i++) {
        h = dlopen(a->libs[i].path, RTLD_NOW | RTLD_LOCAL);
        add_try(info, a->libs[i].path, h ? NULL : dlerror(), true);
        if (h) {
            ge_strlcpy(info->library_source, "rocm", sizeof info->library_source);
            return h;
        }
    }
    /* The loader's path, unless a sysroot fakes the system (as for libcuda.so.1). */
    if (o->sysroot && o->sysroot[0])
        return NULL;
    for (size_t k = 0; k < NNAMES; k++) {
        h = dlopen(hip_names[k], RTLD_NOW | RTLD_LOCAL);
        const char *e = h ? NULL : dlerror();
        add_try(info, hip_names[k], e, e && !strstr(e, "No such file"));
        if (h) {
            ge_strlcpy(info->library_source, "loader", sizeof info->library_source);
            return h;
        }
    }
    return NULL;
}

/* What the child reports: stage markers ('S'), then one result ('R'), then the end ('E'). The
 * layout is private to this file: one binary talks to itself over a pipe. */
enum hip_stage { STAGE_START = 0, STAGE_DLOPEN, STAGE_VERSION, STAGE_COUNT, STAGE_DEVICES, STAGE_DONE };
static const char *const stage_names[] = {"start-up", "dlopen of libamdhip64.so", "hipRuntimeGetVersion",
                                          "hipGetDeviceCount", "querying devices", "finishing"};

struct hip_result {
    struct ge_hip_info info;
    char detail[256];   /* dlerror, or hipGetErrorString of the failing call */
};

static void child_stage(int fd, enum hip_stage s)
{
    unsigned char b = (unsigned char)s;
    ge_proc_child_send(fd, 'S', &b, 1);
}

static void fill_error(struct hip_result *r, const struct hip_api *api, hip_error rc, const char *call)
{
    r->info.hip_error = rc;
    ge_strlcpy(r->info.call, call, sizeof r->info.call);
    const char *s = api->get_error_name ? api->get_error_name(rc) : NULL;
    if (s)
        ge_strlcpy(r->info.hip_error_name, s, sizeof r->info.hip_error_name);
    s = api->get_error_string ? api->get_error_string(rc) : NULL;
    if (s)
        ge_strlcpy(r->detail, s, sizeof r->detail);
}

#define LOAD_SYM(field, name)                                                                 \
    do {                                                                                      \
        *(void **)(&api.field) = dlsym(h, name);                                              \
    } while (0)

static void child_main(int fd, void *arg)
{
    const struct probe_arg *pa = arg;
    const struct ge_hip_opts *o = pa->o;
    static struct hip_result r; /* static: large, and the child is single-use */
    memset(&r, 0, sizeof r);
    struct ge_hip_info *info = &r.info;
    /* A runtime that prints must not corrupt gpuenv's stdout (a --json document). */
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        close(devnull);
    }

    child_stage(fd, STAGE_DLOPEN);
    void *h = load_hip(pa, info);
    if (!h) {
        info->status = GE_HIP_NOT_FOUND;
        /* a library named by the user, or one that exists, failed to load: say the loader's words */
        for (int i = 0; i < info->ntries; i++)
            if ((info->tries[i].exists || (o->library && o->library[0])) && info->tries[i].error[0]) {
                info->status = GE_HIP_LOAD_FAILED;
                ge_strlcpy(r.detail, info->tries[i].error, sizeof r.detail);
                ge_strlcpy(info->library, info->tries[i].path, sizeof info->library);
                break;
            }
        goto send;
    }
    struct hip_api api;
    memset(&api, 0, sizeof api);
    LOAD_SYM(runtime_get_version, "hipRuntimeGetVersion");
    LOAD_SYM(driver_get_version, "hipDriverGetVersion");
    LOAD_SYM(get_device_count, "hipGetDeviceCount");
    LOAD_SYM(device_get, "hipDeviceGet");
    LOAD_SYM(device_get_name, "hipDeviceGetName");
    LOAD_SYM(device_get_pci_bus_id, "hipDeviceGetPCIBusId");
    LOAD_SYM(device_total_mem, "hipDeviceTotalMem");
    LOAD_SYM(get_props_r0600, "hipGetDevicePropertiesR0600");
    LOAD_SYM(get_props, "hipGetDeviceProperties");
    LOAD_SYM(get_error_name, "hipGetErrorName");
    LOAD_SYM(get_error_string, "hipGetErrorString");
    Dl_info dli;
    char real[PATH_MAX];
    void *any = api.get_device_count ? *(void **)&api.get_device_count : NULL;
    if (any && dladdr(any, &dli) && dli.dli_fname && realpath(dli.dli_fname, real))
        ge_strlcpy(info->library, real, sizeof info->library);
    else
        ge_strlcpy(info->library, info->tries[info->ntries - 1].path, sizeof info->library);
    const char *missing = !api.runtime_get_version ? "hipRuntimeGetVersion"
                          : !api.get_device_count  ? "hipGetDeviceCount"
                          : !api.device_get_name   ? "hipDeviceGetName"
                                                   : NULL;
    if (missing) {
        info->status = GE_HIP_SYMBOL_MISSING;
        ge_strlcpy(info->call, missing, sizeof info->call);
        goto send;
    }

    child_stage(fd, STAGE_VERSION);
    int v = 0;
    if (api.runtime_get_version(&v) == HIP_SUCCESS && v > 0)
        info->runtime_version = v;
    v = 0;
    if (api.driver_get_version && api.driver_get_version(&v) == HIP_SUCCESS && v > 0)
        info->driver_version = v;

    /* The runtime initialises here, and applies HIP_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES. */
    child_stage(fd, STAGE_COUNT);
    int count = 0;
    hip_error rc = api.get_device_count(&count);
    if (rc != HIP_SUCCESS || count <= 0) {
        info->status = rc == HIP_ERROR_INSUFFICIENT_DRIVER ? GE_HIP_INSUFFICIENT_DRIVER
                       : rc == HIP_ERROR_NO_DEVICE || rc == HIP_SUCCESS ? GE_HIP_NO_DEVICE
                                                                       : GE_HIP_FAILED;
        if (rc != HIP_SUCCESS)
            fill_error(&r, &api, rc, "hipGetDeviceCount");
        goto send;
    }

    child_stage(fd, STAGE_DEVICES);
    if (count > GE_HIP_MAX_GPUS)
        count = GE_HIP_MAX_GPUS;
    /* the layout hipGetDeviceProperties fills: R0600 by name, else HIP 5's own */
    hip_error (*get_props)(void *, int) = api.get_props_r0600 ? api.get_props_r0600
                                          : info->runtime_version / 10000000 == 5 ? api.get_props
                                                                                   : NULL;
    int layout = api.get_props_r0600 ? 6 : 5;
    static unsigned char props[HIP_PROPS_BUF];
    for (int i = 0; i < count; i++) {
        struct ge_hip_gpu *g = &info->gpus[info->ngpus];
        int dev = i;
        if (api.device_get && (rc = api.device_get(&dev, i)) != HIP_SUCCESS) {
            char call[48];
            ge_fmt(call, sizeof call, "hipDeviceGet(%d)", i);
            info->status = GE_HIP_FAILED;
            fill_error(&r, &api, rc, call);
            goto send;
        }
        g->ordinal = i;
        if (api.device_get_name(g->name, (int)sizeof g->name, dev) != HIP_SUCCESS)
            g->name[0] = '\0';
        g->name[sizeof g->name - 1] = '\0';
        if (api.device_get_pci_bus_id &&
            api.device_get_pci_bus_id(g->pci_bus_id, (int)sizeof g->pci_bus_id, i) != HIP_SUCCESS)
            g->pci_bus_id[0] = '\0';
        g->pci_bus_id[sizeof g->pci_bus_id - 1] = '\0';
        size_t mem = 0;
        if (api.device_total_mem && api.device_total_mem(&mem, dev) == HIP_SUCCESS)
            g->memory_bytes = mem;
        memset(props, 0, sizeof props);
        if (get_props && get_props(props, i) == HIP_SUCCESS)
            ge_hip_props_arch(props, sizeof props, layout, g->arch, sizeof g->arch);
        info->ngpus++;
    }
    info->status = GE_HIP_OK;

send:
    child_stage(fd, STAGE_DONE);
    ge_proc_child_send(fd, 'R', &r, sizeof r);
    ge_proc_child_send(fd, 'E', NULL, 0);
    close(fd);
    /* Not dlclose'd: the runtime has started threads; the child exits right away. */
    _exit(0);
}

struct reader {
    int stage;
    bool have, done;
    struct hip_result *r;
};

static bool parse(const unsigned char *buf, size_t len, void *arg)
{
    struct reader *rd = arg;
    rd->stage = STAGE_START;
    rd->have = rd->done = false;
    size_t i = 0;
    while (i < len) {
        if (buf[i] == 'S' && i + 1 < len) {
            rd->stage = buf[i + 1];
            i += 2;
        } else if (buf[i] == 'R' && len - i - 1 >= sizeof *rd->r) {
            memcpy(rd->r, buf + i + 1, sizeof *rd->r);
            rd->have = true;
            i += 1 + sizeof *rd->r;
        } else if (buf[i] == 'E') {
            rd->done = true;
            i++;
        } else {
            break;
        }
    }
    return rd->done;
}

static void describe_tries(const struct ge_hip_info *info, char *out, size_t size)
{
    struct ge_buf b;
    ge_buf_init(&b);
    for (int i = 0; i < info->ntries; i++)
        ge_buf_addf(&b, "%s%s", i ? ", " : "", info->tries[i].path);
    ge_strlcpy(out, ge_buf_str(&b), size);
    ge_buf_fini(&b);
}

static int report(const struct hip_result *r, struct ge_hip_info *info, const struct ge_hip_opts *o,
                  struct ge_err *err)
{
    char what[128] = "";
    if (info->hip_error)
        ge_fmt(what, sizeof what, "%s (%d)", info->hip_error_name[0] ? info->hip_error_name : "error",
               info->hip_error);
    const char *sep = r->detail[0] ? ": " : "";
    switch (info->status) {
    case GE_HIP_OK:
        return 0;
    case GE_HIP_NOT_FOUND: {
        char tried[GE_ERR_MSG_MAX - 96];
        describe_tries(info, tried, sizeof tried);
        ge_err_set(err, GE_EXIT_NO_DRIVER, "no HIP runtime found: libamdhip64.so is not in %s",
                   tried[0] ? tried : "/opt/rocm*/lib");
        ge_err_hint(err, "install ROCm's HIP runtime (the hip-runtime-amd package), or set "
                         "GPUENV_LIBAMDHIP to its libamdhip64.so");
        return -1;
    }
    case GE_HIP_LOAD_FAILED:
        if (o->library && o->library[0])
            ge_err_set(err, GE_EXIT_NO_DRIVER, "cannot load GPUENV_LIBAMDHIP=%s: %s", o->library, r->detail);
        else
            ge_err_set(err, GE_EXIT_NO_DRIVER, "cannot load %s: %s", info->library, r->detail);
        ge_err_hint(err, "reinstall ROCm's HIP runtime, or set GPUENV_LIBAMDHIP to a working libamdhip64.so");
        return -1;
    case GE_HIP_SYMBOL_MISSING:
        ge_err_set(err, GE_EXIT_NO_DRIVER, "unusable HIP runtime: %s has no symbol %s", info->library, info->call);
        ge_err_hint(err, "the file is not ROCm's libamdhip64.so, or is too old");
        return -1;
    case GE_HIP_NO_DEVICE:
        ge_err_set(err, GE_EXIT_NO_GPU, "the HIP runtime reports no GPU%s%s%s%s", what[0] ? ": hipGetDeviceCount: " : "",
                   what, sep, r->detail);
        ge_err_hint(err, "check /dev/kfd and the render nodes' permissions (the 'render' and 'video' groups), "
                         "and HIP_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES");
        return -1;
    case GE_HIP_INSUFFICIENT_DRIVER:
        ge_err_set(err, GE_EXIT_NO_DRIVER, "the amdgpu driver is too old for this HIP runtime: hipGetDeviceCount: %s%s%s",
                   what, sep, r->detail);
        ge_err_hint(err, "install the amdgpu driver of the ROCm release that %s belongs to", info->library);
        return -1;
    case GE_HIP_FAILED:
    default:
        ge_err_set(err, GE_EXIT_NO_DRIVER, "the HIP runtime failed: %s: %s%s%s", info->call, what, sep, r->detail);
        ge_err_hint(err, "run 'rocminfo' or 'amd-smi' to check the GPUs' state (dmesg shows amdgpu errors)");
        return -1;
    }
}

int ge_hip_probe(const struct ge_hip_opts *opts, struct ge_hip_info *info, struct ge_err *err)
{
    memset(info, 0, sizeof *info);
    bool sysroot = opts->sysroot && opts->sysroot[0];
    static struct rocm_lib libs[8]; /* found here once; the child, a fork, reads them */
    struct probe_arg pa = {opts, libs, 0};
    if (!(opts->library && opts->library[0])) {
        pa.nlibs = rocm_libs(opts->sysroot, libs, 8);
        if (pa.nlibs == 0 && (sysroot || !loader_may_find())) {
            char dir[PATH_MAX];
            ge_path_under(dir, sizeof dir, opts->sysroot, "/opt/rocm*/lib");
            add_try(info, dir, "not found", false);
            if (!sysroot)
                add_try(info, "the loader's path", "not found", false);
            info->status = GE_HIP_NOT_FOUND;
            static struct hip_result none;
            return report(&none, info, opts, err);
        }
    }
    double timeout = opts->timeout_s > 0 ? opts->timeout_s : 20.0;
    static struct hip_result r;
    memset(&r, 0, sizeof r);
    struct reader rd = {STAGE_START, false, false, &r};
    struct ge_buf stream;
    ge_buf_init(&stream);
    struct ge_proc_child ch;
    int rc = -1;
    if (ge_proc_run_child("the HIP probe", timeout, child_main, &pa, parse, &rd, &stream, &ch, err) < 0)
        goto out;
    parse((const unsigned char *)ge_buf_str(&stream), stream.len, &rd);
    const char *stage = rd.stage >= 0 && rd.stage <= STAGE_DONE ? stage_names[rd.stage] : "an unknown stage";
    if (rd.have) {
        memcpy(info, &r.info, sizeof *info);
        rc = report(&r, info, opts, err);
        goto out;
    }
    ge_strlcpy(info->stage, stage, sizeof info->stage);
    if (ch.timed_out) {
        info->status = GE_HIP_TIMEOUT;
        ge_err_set(err, GE_EXIT_NO_DRIVER, "the HIP runtime did not answer within %gs (stuck in %s); its probe "
                   "was killed", timeout, stage);
        ge_err_hint(err, "a GPU or the amdgpu driver may be hung: check 'rocminfo' and dmesg; "
                         "GPUENV_PROBE_TIMEOUT sets the limit in seconds");
    } else if (ch.exited && WIFSIGNALED(ch.status)) {
        info->status = GE_HIP_CRASHED;
        info->signal = WTERMSIG(ch.status);
        ge_err_set(err, GE_EXIT_NO_DRIVER, "the HIP runtime crashed during %s (signal %d, %s)", stage,
                   info->signal, strsignal(info->signal));
        ge_err_hint(err, "reinstall ROCm's HIP runtime, or check dmesg for amdgpu errors");
    } else {
        info->status = GE_HIP_CRASHED;
        ge_err_set(err, GE_EXIT_NO_DRIVER, "the HIP probe ended during %s without an answer (exit status %d)",
                   stage, ch.exited && WIFEXITED(ch.status) ? WEXITSTATUS(ch.status) : -1);
        ge_err_hint(err, "reinstall ROCm's HIP runtime, or check dmesg for amdgpu errors");
    }
out:
    ge_buf_fini(&stream);
    return rc;
}

void ge_amd_confirm_hip(struct ge_amd_info *amd, const struct ge_hip_opts *opts)
{
    ge_err_clear(&amd->hip_err);
    for (int i = 0; i < amd->ngpus; i++)
        amd->gpus[i].hip_seen = false;
    /* ROCm's runtime finds GPUs through the same KFD topology: with none there, it cannot see one,
     * and a machine without AMD GPUs is spared the load of a large runtime. */
    if (amd->ngpus == 0) {
        memset(&amd->hip, 0, sizeof amd->hip);
        return;
    }
    ge_hip_probe(opts, &amd->hip, &amd->hip_err);
    for (int k = 0; k < amd->hip.ngpus; k++)
        for (int i = 0; i < amd->ngpus; i++) {
            struct ge_amd_gpu *g = &amd->gpus[i];
            if (!g->hip_seen && ge_hip_same_pci(g->pci_bus_id, amd->hip.gpus[k].pci_bus_id)) {
                g->hip_seen = true;
                g->hip_index = k;
                break;
            }
        }
}
