/* driver.c: dlopen libcuda.so.1 in a child process with a timeout and report what it says. */
#define _GNU_SOURCE
#include "driver.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "str.h"

/* The few driver API declarations gpuenv needs, written here so that no cuda.h is needed to build:
 * gpuenv exists to install CUDA. Values from the driver API's documented, stable ABI. */
typedef int cu_result;
typedef int cu_device;
typedef struct {
    unsigned char bytes[16];
} cu_uuid;

enum {
    CU_SUCCESS = 0,
    CU_ERROR_STUB_LIBRARY = 34,
    CU_ERROR_NO_DEVICE = 100,
    CU_ERROR_SYSTEM_DRIVER_MISMATCH = 803,
    CU_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE = 804,
    CU_ATTR_CC_MAJOR = 75,
    CU_ATTR_CC_MINOR = 76,
};

struct cu_api {
    cu_result (*init)(unsigned int);
    cu_result (*driver_get_version)(int *);
    cu_result (*device_get_count)(int *);
    cu_result (*device_get)(cu_device *, int);
    cu_result (*device_get_name)(char *, int, cu_device);
    cu_result (*device_get_attribute)(int *, int, cu_device);
    cu_result (*device_total_mem)(size_t *, cu_device);
    cu_result (*device_get_uuid)(cu_uuid *, cu_device);
    cu_result (*device_get_pci_bus_id)(char *, int, cu_device);
    cu_result (*get_error_string)(cu_result, const char **);
    cu_result (*get_error_name)(cu_result, const char **);
};

const char *const ge_driver_search_dirs[] = {
    "/usr/lib/x86_64-linux-gnu",   /* Debian, Ubuntu */
    "/usr/lib/aarch64-linux-gnu",  /* Debian, Ubuntu on Arm */
    "/usr/lib64/nvidia",           /* RHEL, Fedora (negativo17, RPM Fusion) */
    "/usr/lib64",                  /* RHEL, SUSE (NVIDIA's repositories) */
    "/usr/lib/nvidia",
    "/usr/lib",                    /* Arch */
    "/usr/lib/wsl/lib",            /* WSL2: the Windows driver's libcuda */
    "/usr/local/nvidia/lib64",     /* containers (nvidia-docker, Kubernetes device plugin) */
    "/usr/local/nvidia/lib",
    "/run/nvidia/driver/usr/lib/x86_64-linux-gnu", /* NVIDIA GPU Operator's driver container */
    NULL,
};

/* What the child reports. Stage markers come first so that the parent knows where a child that
 * hangs or crashes was; the result comes last. The layout is private to this file: one binary
 * talks to itself over a pipe. */
enum probe_stage {
    STAGE_START = 0,
    STAGE_DLOPEN,
    STAGE_VERSION_FILES,
    STAGE_NVML,
    STAGE_DRIVER_VERSION,
    STAGE_INIT,
    STAGE_DEVICES,
    STAGE_DONE,
};

static const char *const stage_names[] = {
    "start-up", "dlopen of libcuda.so.1", "reading the driver version", "NVML",
    "cuDriverGetVersion", "cuInit", "querying devices", "finishing",
};

enum probe_status {
    PROBE_OK = 0,
    PROBE_NO_LIBRARY,
    PROBE_BAD_LIBRARY,
    PROBE_INIT_FAILED,
    PROBE_QUERY_FAILED,
};

struct probe_result {
    int status;
    int cu_code;          /* the failing call's CUresult */
    char cu_name[64];     /* cuGetErrorName */
    char cu_string[256];  /* cuGetErrorString */
    char detail[256];     /* dlerror, a missing symbol, the failing call */
    struct ge_driver_info info;
};

static void child_send(int fd, char type, const void *p, size_t n)
{
    ge_proc_child_send(fd, type, p, n);
}

static void child_stage(int fd, enum probe_stage s)
{
    unsigned char b = (unsigned char)s;
    child_send(fd, 'S', &b, 1);
}

int ge_driver_parse_version_file(const char *text, char *out, size_t size)
{
    /* sysfs: the bare version. procfs: the first dotted-number word after "Kernel Module". */
    const char *p = strstr(text, "Kernel Module");
    if (p)
        p += strlen("Kernel Module");
    else if (strncmp(text, "NVRM", 4) == 0)
        return -1;
    else
        p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    /* Some builds print "Kernel Module for x86_64  580.95.05"; skip words until a number. */
    for (int words = 0; words < 8; words++) {
        size_t n = strcspn(p, " \t\n");
        char word[64];
        if (n > 0 && n < sizeof word) {
            memcpy(word, p, n);
            word[n] = '\0';
            struct ge_version v;
            if (ge_driver_version_parse(&v, word) == 0) {
                if (n >= size)
                    return -1;
                memcpy(out, word, n + 1);
                return 0;
            }
        }
        p += n;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '\n')
            break;
    }
    return -1;
}

void ge_driver_format_uuid(const unsigned char b[16], char *out, size_t size)
{
    snprintf(out, size,
             "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

int ge_driver_module_version(const char *sysroot, char *out, size_t size, char *source, size_t ssize)
{
    static const char *const files[] = {"/sys/module/nvidia/version", "/proc/driver/nvidia/version"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        ge_path_under(path, sizeof path, sysroot, files[i]);
        char *text = ge_read_file(path, 1 << 16, NULL);
        if (!text)
            continue;
        int ok = ge_driver_parse_version_file(text, out, size);
        free(text);
        if (ok == 0) {
            ge_strlcpy(source, files[i], ssize);
            return 0;
        }
    }
    return -1;
}

static void read_version_nvml(struct ge_driver_info *info)
{
    /* NVML sits beside libcuda in every driver package; try that folder first. */
    char path[300] = "";
    const char *slash = strrchr(info->library, '/');
    void *h = NULL;
    if (slash) {
        int dl = (int)(slash - info->library);
        if (ge_fmt(path, sizeof path, "%.*s/libnvidia-ml.so.1", dl, info->library) == 0)
            h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    }
    if (!h)
        h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return;
    int (*init)(void) = (int (*)(void))dlsym(h, "nvmlInit_v2");
    if (!init)
        init = (int (*)(void))dlsym(h, "nvmlInit");
    int (*getver)(char *, unsigned) = (int (*)(char *, unsigned))dlsym(h, "nvmlSystemGetDriverVersion");
    int (*shutdown)(void) = (int (*)(void))dlsym(h, "nvmlShutdown");
    if (init && getver && init() == 0) {
        char buf[96] = "";
        struct ge_version v;
        if (getver(buf, sizeof buf) == 0 && ge_driver_version_parse(&v, buf) == 0) {
            ge_strlcpy(info->version, buf, sizeof info->version);
            ge_strlcpy(info->version_source, "nvml", sizeof info->version_source);
        }
        if (shutdown)
            shutdown();
    }
    /* Not dlclose'd: NVML may have started threads; the child exits right after. */
}

static void add_try(struct ge_driver_info *info, const char *path, const char *error, int exists)
{
    if (info->ntries >= GE_PROBE_MAX_TRIES)
        return;
    struct ge_probe_try *t = &info->tries[info->ntries++];
    ge_strlcpy(t->path, path, sizeof t->path);
    ge_strlcpy(t->error, error ? error : "", sizeof t->error);
    t->exists = exists;
}

static void *load_libcuda(const struct ge_probe_opts *o, struct ge_driver_info *info)
{
    void *h;
    if (o->libcuda && o->libcuda[0]) {
        h = dlopen(o->libcuda, RTLD_NOW | RTLD_LOCAL);
        add_try(info, o->libcuda, h ? NULL : dlerror(), access(o->libcuda, F_OK) == 0);
        return h;
    }
    /* The loader path first (ld.so.cache, LD_LIBRARY_PATH), unless a sysroot fakes the system. */
    if (!(o->sysroot && o->sysroot[0])) {
        h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
        const char *e = h ? NULL : dlerror();
        /* The loader found a file it could not load unless it says the file does not exist. */
        add_try(info, "libcuda.so.1", e, e && !strstr(e, "No such file"));
        if (h)
            return h;
    }
    for (const char *const *d = ge_driver_search_dirs; *d; d++) {
        char dir[256], path[512];
        ge_path_under(dir, sizeof dir, o->sysroot, *d);
        if (ge_path_join(path, sizeof path, dir, "libcuda.so.1") < 0)
            continue;
        if (access(path, F_OK) != 0) {
            add_try(info, path, "not found", 0);
            continue;
        }
        h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        add_try(info, path, h ? NULL : dlerror(), 1);
        if (h)
            return h;
    }
    return NULL;
}

static void loaded_path(void *sym, struct ge_driver_info *info)
{
    Dl_info dli;
    if (dladdr(sym, &dli) && dli.dli_fname) {
        char real[4096];
        if (realpath(dli.dli_fname, real))
            ge_strlcpy(info->library, real, sizeof info->library);
        else
            ge_strlcpy(info->library, dli.dli_fname, sizeof info->library);
    }
}

static void fill_cu_error(struct probe_result *r, const struct cu_api *api, cu_result rc,
                          const char *call)
{
    r->cu_code = rc;
    const char *s = NULL;
    if (api->get_error_name && api->get_error_name(rc, &s) == CU_SUCCESS && s)
        ge_strlcpy(r->cu_name, s, sizeof r->cu_name);
    s = NULL;
    if (api->get_error_string && api->get_error_string(rc, &s) == CU_SUCCESS && s)
        ge_strlcpy(r->cu_string, s, sizeof r->cu_string);
    ge_strlcpy(r->detail, call, sizeof r->detail);
}

#define LOAD_SYM(field, name)                                                                 \
    do {                                                                                      \
        *(void **)(&api.field) = dlsym(h, name);                                              \
    } while (0)

static void child_main(int fd, const struct ge_probe_opts *o)
{
    static struct probe_result r; /* static: large, and the child is single-use */
    memset(&r, 0, sizeof r);
    struct ge_driver_info *info = &r.info;

    /* Describe the machine, not this shell: an empty or invalid CUDA_VISIBLE_DEVICES would hide
     * every GPU from cuInit. Number devices in PCI order, as nvidia-smi does. */
    unsetenv("CUDA_VISIBLE_DEVICES");
    setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID", 1);
    /* A driver that prints must not corrupt gpuenv's stdout (a --json document). */
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        close(devnull);
    }

    child_stage(fd, STAGE_DLOPEN);
    void *h = load_libcuda(o, info);
    if (!h) {
        r.status = PROBE_NO_LIBRARY;
        goto send;
    }

    struct cu_api api;
    memset(&api, 0, sizeof api);
    LOAD_SYM(init, "cuInit");
    LOAD_SYM(driver_get_version, "cuDriverGetVersion");
    LOAD_SYM(device_get_count, "cuDeviceGetCount");
    LOAD_SYM(device_get, "cuDeviceGet");
    LOAD_SYM(device_get_name, "cuDeviceGetName");
    LOAD_SYM(device_get_attribute, "cuDeviceGetAttribute");
    LOAD_SYM(device_total_mem, "cuDeviceTotalMem_v2");
    LOAD_SYM(device_get_uuid, "cuDeviceGetUuid_v2");
    if (!api.device_get_uuid)
        LOAD_SYM(device_get_uuid, "cuDeviceGetUuid");
    LOAD_SYM(device_get_pci_bus_id, "cuDeviceGetPCIBusId");
    LOAD_SYM(get_error_string, "cuGetErrorString");
    LOAD_SYM(get_error_name, "cuGetErrorName");
    loaded_path(api.init ? (void *)*(void **)&api.init : NULL, info);
    if (!info->library[0])
        ge_strlcpy(info->library, info->tries[info->ntries - 1].path, sizeof info->library);
    const char *missing = !api.init                   ? "cuInit"
                          : !api.driver_get_version   ? "cuDriverGetVersion"
                          : !api.device_get_count     ? "cuDeviceGetCount"
                          : !api.device_get           ? "cuDeviceGet"
                          : !api.device_get_name      ? "cuDeviceGetName"
                          : !api.device_get_attribute ? "cuDeviceGetAttribute"
                                                      : NULL;
    if (missing) {
        r.status = PROBE_BAD_LIBRARY;
        ge_fmt(r.detail, sizeof r.detail, "%s has no symbol %s", info->library, missing);
        goto send;
    }

    child_stage(fd, STAGE_VERSION_FILES);
    ge_driver_module_version(o->sysroot, info->version, sizeof info->version, info->version_source,
                             sizeof info->version_source);
    if (!info->version[0]) {
        child_stage(fd, STAGE_NVML);
        read_version_nvml(info);
    }

    child_stage(fd, STAGE_DRIVER_VERSION);
    int dv = 0;
    if (api.driver_get_version(&dv) == CU_SUCCESS && dv > 0)
        info->cuda_int = dv;

    child_stage(fd, STAGE_INIT);
    cu_result rc = api.init(0);
    if (rc != CU_SUCCESS) {
        r.status = PROBE_INIT_FAILED;
        fill_cu_error(&r, &api, rc, "cuInit");
        goto send;
    }

    child_stage(fd, STAGE_DEVICES);
    int count = 0;
    rc = api.device_get_count(&count);
    if (rc != CU_SUCCESS) {
        r.status = PROBE_QUERY_FAILED;
        fill_cu_error(&r, &api, rc, "cuDeviceGetCount");
        goto send;
    }
    if (count > GE_MAX_GPUS)
        count = GE_MAX_GPUS;
    for (int i = 0; i < count; i++) {
        struct ge_gpu *g = &info->gpus[info->ngpus];
        cu_device dev;
        int major = 0, minor = 0;
        rc = api.device_get(&dev, i);
        if (rc == CU_SUCCESS)
            rc = api.device_get_attribute(&major, CU_ATTR_CC_MAJOR, dev);
        if (rc == CU_SUCCESS)
            rc = api.device_get_attribute(&minor, CU_ATTR_CC_MINOR, dev);
        if (rc != CU_SUCCESS) {
            r.status = PROBE_QUERY_FAILED;
            char call[64];
            snprintf(call, sizeof call, "querying device %d", i);
            fill_cu_error(&r, &api, rc, call);
            goto send;
        }
        g->index = i;
        g->cc.major = (uint8_t)(major < 0 ? 0 : major > 255 ? 255 : major);
        g->cc.minor = (uint8_t)(minor < 0 ? 0 : minor > 255 ? 255 : minor);
        if (api.device_get_name(g->name, (int)sizeof g->name, dev) != CU_SUCCESS)
            g->name[0] = '\0';
        g->name[sizeof g->name - 1] = '\0';
        size_t mem = 0;
        if (api.device_total_mem && api.device_total_mem(&mem, dev) == CU_SUCCESS)
            g->memory_bytes = mem;
        cu_uuid u;
        if (api.device_get_uuid && api.device_get_uuid(&u, dev) == CU_SUCCESS)
            ge_driver_format_uuid(u.bytes, g->uuid, sizeof g->uuid);
        if (api.device_get_pci_bus_id &&
            api.device_get_pci_bus_id(g->pci_bus_id, (int)sizeof g->pci_bus_id, dev) != CU_SUCCESS)
            g->pci_bus_id[0] = '\0';
        g->pci_bus_id[sizeof g->pci_bus_id - 1] = '\0';
        info->ngpus++;
    }
    r.status = PROBE_OK;

send:
    child_stage(fd, STAGE_DONE);
    child_send(fd, 'R', &r, sizeof r);
    /* The on-GPU check after the answer: a kernel that hangs costs that GPU's result, not the
     * machine's description. */
    if (r.status == PROBE_OK && o->run_kernel) {
        for (int i = 0; i < info->ngpus; i++) {
            unsigned char msg[1 + sizeof(struct ge_kernel_result)];
            msg[0] = (unsigned char)i;
            child_send(fd, 'G', msg, 1);
            struct ge_kernel_result k;
            ge_kernel_run(h, i, &k);
            memcpy(msg + 1, &k, sizeof k);
            child_send(fd, 'K', msg, sizeof msg);
        }
    }
    child_send(fd, 'E', NULL, 0);
    close(fd);
    _exit(0);
}

/* What the parent has read of the child's byte stream: stage markers, one result, then for the
 * on-GPU check a 'G' (GPU i starts) and a 'K' (its result) per GPU, and 'E' at the end. */
struct stream_state {
    int stage;
    int have;        /* the result came */
    int done;        /* the end came */
    int kernel_gpu;  /* the GPU whose check started last, -1 before any */
};

static void parse_stream(const unsigned char *buf, size_t len, struct stream_state *st, struct probe_result *r)
{
    const size_t ksize = sizeof(struct ge_kernel_result);
    st->stage = STAGE_START;
    st->have = st->done = 0;
    st->kernel_gpu = -1;
    size_t i = 0;
    while (i < len) {
        if (buf[i] == 'S' && i + 1 < len) {
            st->stage = buf[i + 1];
            i += 2;
        } else if (buf[i] == 'R' && len - i - 1 >= sizeof *r) {
            memcpy(r, buf + i + 1, sizeof *r);
            st->have = 1;
            i += 1 + sizeof *r;
        } else if (buf[i] == 'G' && i + 1 < len) {
            st->kernel_gpu = buf[i + 1];
            i += 2;
        } else if (buf[i] == 'K' && len - i - 2 >= ksize) {
            int g = buf[i + 1];
            if (st->have && g < r->info.ngpus && g < GE_MAX_GPUS)
                memcpy(&r->info.gpus[g].kernel, buf + i + 2, ksize);
            i += 2 + ksize;
        } else if (buf[i] == 'E') {
            st->done = 1;
            i++;
        } else {
            break;
        }
    }
}

static const char *stage_name(int stage)
{
    if (stage < 0 || stage > STAGE_DONE)
        return "an unknown stage";
    return stage_names[stage];
}

static void describe_tries(const struct ge_driver_info *info, char *out, size_t size)
{
    struct ge_buf b;
    ge_buf_init(&b);
    for (int i = 0; i < info->ntries; i++) {
        const char *p = info->tries[i].path;
        char dir[256];
        const char *slash = strrchr(p, '/');
        if (slash) {
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - p), p);
            p = dir;
        } else {
            p = "the loader path";
        }
        ge_buf_addf(&b, "%s%s", i ? ", " : "", p);
    }
    ge_strlcpy(out, ge_buf_str(&b), size);
    ge_buf_fini(&b);
}

static int report_failure(const struct probe_result *r, struct ge_driver_info *info,
                          const struct ge_probe_opts *opts, struct ge_err *err)
{
    char what[160];
    if (r->cu_name[0])
        snprintf(what, sizeof what, "%s (%d)", r->cu_name, r->cu_code);
    else
        snprintf(what, sizeof what, "error %d", r->cu_code);

    switch (r->status) {
    case PROBE_NO_LIBRARY: {
        if (opts->libcuda && opts->libcuda[0] && info->ntries > 0) {
            info->failure = GE_PROBE_LOAD_FAILED;
            ge_err_set(err, GE_EXIT_NO_DRIVER, "cannot load GPUENV_LIBCUDA=%s: %s", opts->libcuda,
                       info->tries[0].error);
            ge_err_hint(err, "point GPUENV_LIBCUDA at the driver's libcuda.so.1, or unset it to search");
            return -1;
        }
        /* A library that exists but will not load is the interesting failure; report that. */
        for (int i = 0; i < info->ntries; i++) {
            if (info->tries[i].exists && info->tries[i].error[0]) {
                info->failure = GE_PROBE_LOAD_FAILED;
                ge_err_set(err, GE_EXIT_NO_DRIVER, "cannot load %s: %s", info->tries[i].path,
                           info->tries[i].error);
                ge_err_hint(err, "reinstall the NVIDIA driver for this machine's architecture, "
                                 "or set GPUENV_LIBCUDA to a working libcuda.so.1");
                return -1;
            }
        }
        char tried[GE_ERR_MSG_MAX - 96];
        describe_tries(info, tried, sizeof tried);
        info->failure = GE_PROBE_NOT_FOUND;
        ge_err_set(err, GE_EXIT_NO_DRIVER, "no NVIDIA driver found: libcuda.so.1 is not in %s",
                   tried);
        ge_err_hint(err, "install the NVIDIA driver (Debian: 'apt install nvidia-driver', "
                         "Ubuntu: 'ubuntu-drivers install'), set GPUENV_LIBCUDA to its "
                         "libcuda.so.1, or describe the machine with --driver VERSION --gpu CC");
        return -1;
    }
    case PROBE_BAD_LIBRARY:
        info->failure = GE_PROBE_LOAD_FAILED;
        ge_err_set(err, GE_EXIT_NO_DRIVER, "unusable driver library: %s", r->detail);
        ge_err_hint(err, "the file is not NVIDIA's libcuda.so.1 or is too old; reinstall the driver");
        return -1;
    case PROBE_INIT_FAILED:
        info->failure = GE_PROBE_INIT_FAILED;
        info->cu_error = r->cu_code;
        if (r->cu_code == CU_ERROR_NO_DEVICE) {
            ge_err_set(err, GE_EXIT_NO_GPU, "the NVIDIA driver reports no GPU: cuInit: %s%s%s",
                       what, r->cu_string[0] ? ": " : "", r->cu_string);
            ge_err_hint(err, "check that the GPU is visible to this machine or container "
                             "('ls /dev/nvidia*', dmesg for NVRM errors)");
            return -1;
        }
        ge_err_set(err, GE_EXIT_NO_DRIVER, "the NVIDIA driver failed to initialise: cuInit: %s%s%s",
                   what, r->cu_string[0] ? ": " : "", r->cu_string);
        if (r->cu_code == CU_ERROR_STUB_LIBRARY)
            ge_err_hint(err, "%s is the CUDA toolkit's stub, not the driver: take the stubs folder "
                             "out of LD_LIBRARY_PATH", info->library);
        else if (r->cu_code == CU_ERROR_SYSTEM_DRIVER_MISMATCH)
            ge_err_hint(err, "libcuda.so.1 and the kernel module are different versions, often "
                             "after a driver upgrade: reboot, or reload the nvidia module");
        else if (r->cu_code == CU_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE)
            ge_err_hint(err, "a CUDA forward-compatibility libcuda is in use on a GPU that does not "
                             "support it: remove the cuda-compat folder from LD_LIBRARY_PATH");
        else
            ge_err_hint(err, "check that the nvidia kernel module is loaded ('lsmod | grep nvidia', "
                             "dmesg) and that /dev/nvidia* is accessible to this user");
        return -1;
    case PROBE_QUERY_FAILED:
        info->failure = GE_PROBE_QUERY_FAILED;
        info->cu_error = r->cu_code;
        ge_err_set(err, GE_EXIT_NO_DRIVER, "the NVIDIA driver failed while %s: %s%s%s", r->detail,
                   what, r->cu_string[0] ? ": " : "", r->cu_string);
        ge_err_hint(err, "run 'nvidia-smi' to check the GPU's state (dmesg shows Xid errors)");
        return -1;
    default:
        info->failure = GE_PROBE_HUNG;
        ge_err_set(err, GE_EXIT_NO_DRIVER, "driver probe returned unknown status %d", r->status);
        return -1;
    }
}

static bool file_in(const char *dir, const char *name)
{
    char p[512];
    return ge_path_join(p, sizeof p, dir, name) == 0 && access(p, F_OK) == 0;
}

/* Whether no libcuda.so.1 can be found anywhere the probe would look, decided without loading
 * anything: then no child is needed to say so (machines without a driver, such as CI and login
 * nodes, are where 'resolve' runs most). The loader's own search is mirrored: LD_LIBRARY_PATH,
 * the names in /etc/ld.so.cache, its default folders. Any doubt means "maybe": probe. */
static bool library_absent(const struct ge_probe_opts *o, struct ge_driver_info *info)
{
    if (o->libcuda && o->libcuda[0])
        return false;
    bool sysroot = o->sysroot && o->sysroot[0];
    if (!sysroot) {
        const char *llp = getenv("LD_LIBRARY_PATH");
        if (llp && llp[0]) {
            char *copy = strdup(llp), *save = NULL;
            if (!copy)
                return false;
            bool hit = false;
            for (char *d = strtok_r(copy, ":", &save); d && !hit; d = strtok_r(NULL, ":", &save))
                hit = file_in(d[0] ? d : ".", "libcuda.so.1");
            free(copy);
            if (hit)
                return false;
        }
        size_t len = 0;
        char *cache = ge_read_file("/etc/ld.so.cache", 64u << 20, &len);
        if (!cache)
            return false;
        bool listed = memmem(cache, len, "libcuda.so.1", sizeof "libcuda.so.1") != NULL;
        free(cache);
        if (listed)
            return false;
        static const char *const loader_dirs[] = {"/lib64", "/usr/lib64", "/lib", "/usr/lib",
                                                  "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                                  "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"};
        for (size_t i = 0; i < sizeof loader_dirs / sizeof loader_dirs[0]; i++)
            if (file_in(loader_dirs[i], "libcuda.so.1"))
                return false;
    }
    for (const char *const *d = ge_driver_search_dirs; *d; d++) {
        char dir[256];
        ge_path_under(dir, sizeof dir, o->sysroot, *d);
        if (file_in(dir, "libcuda.so.1"))
            return false;
    }
    if (!sysroot)
        add_try(info, "libcuda.so.1", "not in LD_LIBRARY_PATH, /etc/ld.so.cache or the loader's folders", 0);
    for (const char *const *d = ge_driver_search_dirs; *d; d++) {
        char dir[256], path[512];
        ge_path_under(dir, sizeof dir, o->sysroot, *d);
        if (ge_path_join(path, sizeof path, dir, "libcuda.so.1") == 0)
            add_try(info, path, "not found", 0);
    }
    return true;
}

static void run_child(int fd, void *opts)
{
    child_main(fd, opts);
}

/* What the parent has read so far, for ge_proc_run_child's answered(). */
struct reader {
    struct stream_state st;
    struct probe_result *r;
};

static bool answered(const unsigned char *buf, size_t len, void *arg)
{
    struct reader *rd = arg;
    parse_stream(buf, len, &rd->st, rd->r);
    return rd->st.done;
}

int ge_driver_probe(const struct ge_probe_opts *opts, struct ge_driver_info *info, struct ge_err *err)
{
    memset(info, 0, sizeof *info);
    if (library_absent(opts, info)) {
        static struct probe_result none;
        memset(&none, 0, sizeof none);
        none.status = PROBE_NO_LIBRARY;
        return report_failure(&none, info, opts, err);
    }
    double timeout = opts->timeout_s > 0 ? opts->timeout_s : GE_PROBE_TIMEOUT_DEFAULT;
    struct ge_buf stream;
    ge_buf_init(&stream);
    int rc = -1;
    static struct probe_result r;
    memset(&r, 0, sizeof r);
    struct reader rd = {{STAGE_START, 0, 0, -1}, &r};
    struct ge_proc_child ch;
    if (ge_proc_run_child("the driver probe", timeout, run_child, (void *)opts, answered, &rd, &stream, &ch, err) < 0)
        goto out;
    struct stream_state st = rd.st;
    bool timed_out = ch.timed_out, exited = ch.exited;
    int status = ch.status;

    parse_stream((const unsigned char *)ge_buf_str(&stream), stream.len, &st, &r);
    int have = st.have, stage = st.stage;
    if (have && !st.done && st.kernel_gpu >= 0 && st.kernel_gpu < r.info.ngpus &&
        r.info.gpus[st.kernel_gpu].kernel.status == GE_KERNEL_NOT_RUN) {
        /* the answer came, then the on-GPU check of this GPU hung or crashed the child */
        struct ge_kernel_result *k = &r.info.gpus[st.kernel_gpu].kernel;
        k->status = GE_KERNEL_HUNG;
        ge_strlcpy(k->call, timed_out ? "the kernel (no answer in time)" : "the kernel (the probe died)",
                   sizeof k->call);
        if (!timed_out && exited && WIFSIGNALED(status))
            ge_fmt(k->cu_string, sizeof k->cu_string, "signal %d, %s", WTERMSIG(status), strsignal(WTERMSIG(status)));
    }
    if (have)
        memcpy(info, &r.info, sizeof *info);
    if (!have && timed_out) {
        info->failure = GE_PROBE_HUNG;
        ge_err_set(err, GE_EXIT_NO_DRIVER, "the NVIDIA driver did not answer within %gs (stuck in %s)",
                   timeout, stage_name(stage));
        ge_err_hint(err, "the GPU or its kernel module may be hung: check 'nvidia-smi' and dmesg; "
                         "GPUENV_PROBE_TIMEOUT sets the limit in seconds");
        goto out;
    }
    if (!have && exited && WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        info->failure = GE_PROBE_HUNG;
        ge_err_set(err, GE_EXIT_NO_DRIVER, "the NVIDIA driver crashed during %s (signal %d, %s)",
                   stage_name(stage), sig, strsignal(sig));
        ge_err_hint(err, "reinstall the driver, or check dmesg for NVRM errors");
        goto out;
    }
    if (!have) {
        info->failure = GE_PROBE_HUNG;
        ge_err_set(err, GE_EXIT_NO_DRIVER, "the driver probe ended during %s without an answer "
                   "(exit status %d)", stage_name(stage), exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        ge_err_hint(err, "reinstall the driver, or check dmesg for NVRM errors");
        goto out;
    }
    if (r.status != PROBE_OK) {
        report_failure(&r, info, opts, err);
        goto out;
    }
    rc = 0;
out:
    ge_buf_fini(&stream);
    return rc;
}

char *ge_driver_cuda_string(const struct ge_driver_info *info, char *buf, size_t size)
{
    if (info->cuda_int <= 0) {
        if (size)
            buf[0] = '\0';
        return buf;
    }
    struct ge_version v = ge_cuda_version_from_int(info->cuda_int);
    return ge_version_format(&v, buf, size);
}
