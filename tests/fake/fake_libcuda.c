/* fake_libcuda.c: a stand-in libcuda.so.1 for tests, answering from environment variables.
 *
 * FAKE_CUDA_MODE     ok (default) | hang | crash | init-fail | no-device | stub | query-fail |
 *                    hang-version | exit | helper (cuInit forks a helper that keeps every inherited
 *                    descriptor and sleeps FAKE_CUDA_HELPER_S seconds (default 60), then answers)
 * FAKE_CUDA_ERROR    the CUresult cuInit returns in init-fail mode (default 999)
 * FAKE_CUDA_DRIVER   what cuDriverGetVersion reports (default 13000)
 * FAKE_CUDA_GPUS     devices, ';'-separated "name|major.minor|memory bytes|uuid hex|pci bus id";
 *                    default one H100
 * FAKE_CUDA_STDOUT   when set, print it on stdout during cuInit (a noisy driver)
 * FAKE_CUDA_KERNEL   how the on-GPU check behaves: one word for every device, or a ';'-separated
 *                    list aligned with the visible ordinals (the ordinal given to cuDeviceGet,
 *                    after CUDA_VISIBLE_DEVICES; devices past the end of the list are "ok"):
 *                      ok (default)  the kernel runs and answers correctly
 *                      ctx-fail      cuDevicePrimaryCtxRetain returns 999 CUDA_ERROR_UNKNOWN
 *                      ptx-new       cuModuleLoadData returns 222 CUDA_ERROR_UNSUPPORTED_PTX_VERSION
 *                      no-binary     cuModuleLoadData returns 209 CUDA_ERROR_NO_BINARY_FOR_GPU
 *                      launch-fail   cuLaunchKernel returns 719 CUDA_ERROR_LAUNCH_FAILED, which
 *                                    then sticks to the context (every later call in it returns
 *                                    719) until its primary context is released for good
 *                      wrong         the kernel computes i*i + seed + 1
 *                      hang          cuLaunchKernel never returns
 *                      crash         cuLaunchKernel raises SIGSEGV
 *                    an unknown word makes the fake print a line on stderr and abort(), so that a
 *                    typo in a test cannot pass silently
 * CUDA_VISIBLE_DEVICES is honoured the way the real driver does (indices; empty hides all), so
 * the tests prove that gpuenv is not fooled by it.
 *
 * The kernel API (cuDevicePrimaryCtxRetain/Release, cuCtxSetCurrent, cuCtxSynchronize,
 * cuModuleLoadData/GetFunction/Unload, cuMemAlloc_v2, cuMemFree_v2, cuMemcpyDtoH_v2,
 * cuLaunchKernel) checks its arguments like the real driver: 3 CUDA_ERROR_NOT_INITIALIZED before
 * cuInit, 101 CUDA_ERROR_INVALID_DEVICE for a device cuDeviceGet did not hand out, 201
 * CUDA_ERROR_INVALID_CONTEXT without a live current context (the current context is per thread),
 * 400 CUDA_ERROR_INVALID_HANDLE for a module or function that is not one, 1
 * CUDA_ERROR_INVALID_VALUE for a NULL out-pointer, a zero-sized allocation, a pointer or a copy
 * outside every allocation, or zero/oversized launch dimensions.  Device memory is host memory
 * (aligned_alloc, 256-byte aligned) handed out as a CUdeviceptr.  The fake "JIT" accepts any
 * NUL-terminated image that contains ".entry gpuenv_check" (else 218 CUDA_ERROR_INVALID_PTX), and
 * the module holds the one function "gpuenv_check" (any other name: 500 CUDA_ERROR_NOT_FOUND).
 * The kernel takes {CUdeviceptr out, u32 n, u32 seed} and, on the CPU during cuLaunchKernel,
 * writes out[i] = i*i + seed (32-bit unsigned wrap-around) for every thread index
 * i < min(gridDimX*blockDimX, n); if those words do not lie inside one allocation nothing is
 * written and the context gets the sticky error 700 CUDA_ERROR_ILLEGAL_ADDRESS, returned by
 * cuCtxSynchronize and every later call, as on a GPU.  Releasing a primary context for the last
 * time frees what its modules and allocations held. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct {
    unsigned char bytes[16];
} CUuuid;

#define MAXDEV 16
struct dev {
    char name[256];
    int major, minor;
    unsigned long long mem;
    unsigned char uuid[16];
    int has_uuid;
    char pci[32];
};

static struct dev devs[MAXDEV];
static int ndev = -1;
static int visible[MAXDEV];
static int nvisible;
static int inited;
static int dev_ordinal[MAXDEV]; /* 1 + the visible ordinal cuDeviceGet last gave for a device */

static const char *mode(void)
{
    const char *m = getenv("FAKE_CUDA_MODE");
    return m ? m : "ok";
}

static void parse_devs(void)
{
    if (ndev >= 0)
        return;
    ndev = 0;
    const char *spec = getenv("FAKE_CUDA_GPUS");
    if (!spec)
        spec = "NVIDIA H100 80GB HBM3|9.0|85017493504|8c1e8d1e58a0f4b2a9f3c4d5e6f70812|00000000:18:00.0";
    char *copy = strdup(spec), *save = NULL;
    for (char *d = strtok_r(copy, ";", &save); d && ndev < MAXDEV; d = strtok_r(NULL, ";", &save)) {
        struct dev *v = &devs[ndev];
        memset(v, 0, sizeof *v);
        char *f[5] = {0};
        int nf = 0;
        for (char *p = d; nf < 5;) {
            f[nf++] = p;
            char *bar = strchr(p, '|');
            if (!bar)
                break;
            *bar = '\0';
            p = bar + 1;
        }
        snprintf(v->name, sizeof v->name, "%s", f[0] ? f[0] : "");
        if (f[1])
            sscanf(f[1], "%d.%d", &v->major, &v->minor);
        if (f[2])
            v->mem = strtoull(f[2], NULL, 10);
        if (f[3] && strlen(f[3]) == 32) {
            for (int i = 0; i < 16; i++)
                sscanf(f[3] + 2 * i, "%2hhx", &v->uuid[i]);
            v->has_uuid = 1;
        }
        snprintf(v->pci, sizeof v->pci, "%s", f[4] ? f[4] : "");
        ndev++;
    }
    free(copy);
    /* CUDA_VISIBLE_DEVICES: a list of indices; enumeration stops at the first invalid entry. */
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    nvisible = 0;
    if (!cvd) {
        for (int i = 0; i < ndev; i++)
            visible[nvisible++] = i;
        return;
    }
    char *c2 = strdup(cvd);
    save = NULL;
    for (char *t = strtok_r(c2, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        long idx = strtol(t, &end, 10);
        if (end == t || *end || idx < 0 || idx >= ndev)
            break;
        visible[nvisible++] = (int)idx;
    }
    free(c2);
}

CUresult cuGetErrorName(CUresult e, const char **s);
CUresult cuGetErrorName(CUresult e, const char **s)
{
    switch (e) {
    case 0: *s = "CUDA_SUCCESS"; return 0;
    case 1: *s = "CUDA_ERROR_INVALID_VALUE"; return 0;
    case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
    case 3: *s = "CUDA_ERROR_NOT_INITIALIZED"; return 0;
    case 34: *s = "CUDA_ERROR_STUB_LIBRARY"; return 0;
    case 100: *s = "CUDA_ERROR_NO_DEVICE"; return 0;
    case 101: *s = "CUDA_ERROR_INVALID_DEVICE"; return 0;
    case 200: *s = "CUDA_ERROR_INVALID_IMAGE"; return 0;
    case 201: *s = "CUDA_ERROR_INVALID_CONTEXT"; return 0;
    case 209: *s = "CUDA_ERROR_NO_BINARY_FOR_GPU"; return 0;
    case 218: *s = "CUDA_ERROR_INVALID_PTX"; return 0;
    case 222: *s = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"; return 0;
    case 400: *s = "CUDA_ERROR_INVALID_HANDLE"; return 0;
    case 500: *s = "CUDA_ERROR_NOT_FOUND"; return 0;
    case 700: *s = "CUDA_ERROR_ILLEGAL_ADDRESS"; return 0;
    case 709: *s = "CUDA_ERROR_CONTEXT_IS_DESTROYED"; return 0;
    case 719: *s = "CUDA_ERROR_LAUNCH_FAILED"; return 0;
    case 803: *s = "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"; return 0;
    case 999: *s = "CUDA_ERROR_UNKNOWN"; return 0;
    }
    *s = NULL;
    return 1;
}

CUresult cuGetErrorString(CUresult e, const char **s);
CUresult cuGetErrorString(CUresult e, const char **s)
{
    switch (e) {
    case 0: *s = "no error"; return 0;
    case 1: *s = "invalid argument"; return 0;
    case 2: *s = "out of memory"; return 0;
    case 3: *s = "initialization error"; return 0;
    case 34: *s = "CUDA driver is a stub library"; return 0;
    case 100: *s = "no CUDA-capable device is detected"; return 0;
    case 101: *s = "invalid device ordinal"; return 0;
    case 200: *s = "device kernel image is invalid"; return 0;
    case 201: *s = "invalid device context"; return 0;
    case 209: *s = "no kernel image is available for execution on the device"; return 0;
    case 218: *s = "a PTX JIT compilation failed"; return 0;
    case 222: *s = "the provided PTX was compiled with an unsupported toolchain."; return 0;
    case 400: *s = "invalid resource handle"; return 0;
    case 500: *s = "named symbol not found"; return 0;
    case 700: *s = "an illegal memory access was encountered"; return 0;
    case 709: *s = "context is destroyed"; return 0;
    case 719: *s = "unspecified launch failure"; return 0;
    case 803: *s = "system has unsupported display driver / cuda driver combination"; return 0;
    case 999: *s = "unknown error"; return 0;
    }
    *s = NULL;
    return 1;
}

CUresult cuDriverGetVersion(int *v);
CUresult cuDriverGetVersion(int *v)
{
    if (strcmp(mode(), "hang-version") == 0)
        for (;;)
            pause();
    const char *d = getenv("FAKE_CUDA_DRIVER");
    *v = d ? atoi(d) : 13000;
    return 0;
}

CUresult cuInit(unsigned int flags);
CUresult cuInit(unsigned int flags)
{
    (void)flags;
    const char *m = mode();
    const char *out = getenv("FAKE_CUDA_STDOUT");
    if (out) {
        fputs(out, stdout);
        fflush(stdout);
    }
    if (strcmp(m, "hang") == 0)
        for (;;)
            pause();
    if (strcmp(m, "crash") == 0)
        raise(SIGSEGV);
    if (strcmp(m, "exit") == 0)
        _exit(3);
    if (strcmp(m, "helper") == 0 && fork() == 0) {
        const char *t = getenv("FAKE_CUDA_HELPER_S");
        sleep(t ? (unsigned)atoi(t) : 60);
        _exit(0);
    }
    if (strcmp(m, "init-fail") == 0) {
        const char *e = getenv("FAKE_CUDA_ERROR");
        return e ? atoi(e) : 999;
    }
    if (strcmp(m, "stub") == 0)
        return 34;
    if (strcmp(m, "no-device") == 0)
        return 100;
    parse_devs();
    if (nvisible == 0)
        return 100;
    inited = 1;
    return 0;
}

CUresult cuDeviceGetCount(int *n);
CUresult cuDeviceGetCount(int *n)
{
    if (!inited)
        return 3;
    *n = nvisible;
    return 0;
}

CUresult cuDeviceGet(CUdevice *d, int ordinal);
CUresult cuDeviceGet(CUdevice *d, int ordinal)
{
    if (!inited)
        return 3;
    if (ordinal < 0 || ordinal >= nvisible)
        return 101;
    *d = visible[ordinal];
    dev_ordinal[visible[ordinal]] = ordinal + 1;
    return 0;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice d);
CUresult cuDeviceGetName(char *name, int len, CUdevice d)
{
    if (d < 0 || d >= ndev)
        return 101;
    snprintf(name, (size_t)len, "%s", devs[d].name);
    return 0;
}

CUresult cuDeviceGetAttribute(int *v, int attr, CUdevice d);
CUresult cuDeviceGetAttribute(int *v, int attr, CUdevice d)
{
    if (d < 0 || d >= ndev)
        return 101;
    if (strcmp(mode(), "query-fail") == 0)
        return 999;
    if (attr == 75)
        *v = devs[d].major;
    else if (attr == 76)
        *v = devs[d].minor;
    else
        *v = 0;
    return 0;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d);
CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d)
{
    if (d < 0 || d >= ndev)
        return 101;
    *bytes = (size_t)devs[d].mem;
    return 0;
}

CUresult cuDeviceGetUuid_v2(CUuuid *u, CUdevice d);
CUresult cuDeviceGetUuid_v2(CUuuid *u, CUdevice d)
{
    if (d < 0 || d >= ndev || !devs[d].has_uuid)
        return 101;
    memcpy(u->bytes, devs[d].uuid, 16);
    return 0;
}

CUresult cuDeviceGetPCIBusId(char *buf, int len, CUdevice d);
CUresult cuDeviceGetPCIBusId(char *buf, int len, CUdevice d)
{
    if (d < 0 || d >= ndev || !devs[d].pci[0])
        return 101;
    snprintf(buf, (size_t)len, "%s", devs[d].pci);
    return 0;
}

/* ---- the on-GPU check: contexts, modules, memory and a kernel run on the CPU ---- */

enum kmode { K_OK, K_CTX_FAIL, K_PTX_NEW, K_NO_BINARY, K_LAUNCH_FAIL, K_WRONG, K_HANG, K_CRASH };

/* The word of FAKE_CUDA_KERNEL for one visible ordinal. */
static enum kmode kernel_mode(int ordinal)
{
    static const char *const words[] = {"ok",          "ctx-fail", "ptx-new", "no-binary",
                                        "launch-fail", "wrong",    "hang",    "crash"};
    const char *spec = getenv("FAKE_CUDA_KERNEL");
    if (!spec || !*spec)
        return K_OK;
    const char *w = spec;
    if (strchr(spec, ';'))
        for (int i = 0; i < ordinal; i++) {
            w = strchr(w, ';');
            if (!w)
                return K_OK;
            w++;
        }
    size_t len = strcspn(w, ";");
    while (len && (*w == ' ' || *w == '\t'))
        w++, len--;
    while (len && (w[len - 1] == ' ' || w[len - 1] == '\t'))
        len--;
    if (len == 0)
        return K_OK;
    for (size_t k = 0; k < sizeof words / sizeof *words; k++)
        if (strlen(words[k]) == len && strncmp(w, words[k], len) == 0)
            return (enum kmode)k;
    fprintf(stderr, "fake libcuda: unknown FAKE_CUDA_KERNEL word '%.*s'\n", (int)len, w);
    abort();
}

/* The visible ordinal a device handle stands for: the one cuDeviceGet was last asked for. */
static int ordinal_of(CUdevice d)
{
    if (dev_ordinal[d])
        return dev_ordinal[d] - 1;
    for (int i = 0; i < nvisible; i++)
        if (visible[i] == d)
            return i;
    return 0;
}

static int valid_dev(CUdevice d)
{
    for (int i = 0; i < nvisible; i++)
        if (visible[i] == d)
            return 1;
    return 0;
}

struct CUctx_st {
    CUdevice dev;
    int refs;   /* primary-context retain count; 0: not alive */
    int sticky; /* a sticky error (700, 719) every later call in the context returns */
};

struct CUfunc_st {
    struct CUmod_st *mod;
};

struct CUmod_st {
    struct CUctx_st *ctx;
    struct CUfunc_st fn;
    struct CUmod_st *next;
};

struct alloc {
    unsigned char *p;
    size_t size;
    struct CUctx_st *ctx;
    struct alloc *next;
};

static struct CUctx_st pctx[MAXDEV];
static struct CUmod_st *modules;
static struct alloc *allocs;
static _Thread_local struct CUctx_st *current;

/* What a call that needs a context checks first; on success *c is the live current context. */
static CUresult need_ctx(struct CUctx_st **c)
{
    if (!inited)
        return 3;
    if (!current || current->refs == 0)
        return 201;
    if (current->sticky)
        return current->sticky;
    *c = current;
    return 0;
}

static struct CUmod_st *find_module(CUmodule m)
{
    for (struct CUmod_st *p = modules; p; p = p->next)
        if (p == m)
            return p;
    return NULL;
}

static struct alloc *find_alloc(CUdeviceptr ptr, size_t bytes)
{
    for (struct alloc *a = allocs; a; a = a->next) {
        CUdeviceptr base = (CUdeviceptr)(uintptr_t)a->p;
        if (ptr >= base && ptr - base <= a->size && bytes <= a->size - (size_t)(ptr - base))
            return a;
    }
    return NULL;
}

/* The last release of a primary context frees all it held. */
static void destroy_ctx(struct CUctx_st *c)
{
    for (struct CUmod_st **pp = &modules; *pp;) {
        struct CUmod_st *m = *pp;
        if (m->ctx == c) {
            *pp = m->next;
            free(m);
        } else
            pp = &m->next;
    }
    for (struct alloc **pp = &allocs; *pp;) {
        struct alloc *a = *pp;
        if (a->ctx == c) {
            *pp = a->next;
            free(a->p);
            free(a);
        } else
            pp = &a->next;
    }
    c->sticky = 0;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice dev);
CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice dev)
{
    if (!inited)
        return 3;
    if (!valid_dev(dev))
        return 101;
    if (!ctx)
        return 1;
    if (kernel_mode(ordinal_of(dev)) == K_CTX_FAIL)
        return 999;
    struct CUctx_st *c = &pctx[dev];
    c->dev = dev;
    c->refs++;
    *ctx = c;
    return 0;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)
{
    if (!inited)
        return 3;
    if (!valid_dev(dev))
        return 101;
    struct CUctx_st *c = &pctx[dev];
    if (c->refs == 0)
        return 201;
    if (--c->refs == 0)
        destroy_ctx(c);
    return 0;
}

CUresult cuDevicePrimaryCtxRelease(CUdevice dev);
CUresult cuDevicePrimaryCtxRelease(CUdevice dev)
{
    return cuDevicePrimaryCtxRelease_v2(dev);
}

CUresult cuCtxSetCurrent(CUcontext ctx);
CUresult cuCtxSetCurrent(CUcontext ctx)
{
    if (!inited)
        return 3;
    if (!ctx) {
        current = NULL;
        return 0;
    }
    for (int i = 0; i < MAXDEV; i++)
        if (ctx == &pctx[i] && pctx[i].refs > 0) {
            current = ctx;
            return 0;
        }
    return 201;
}

CUresult cuCtxSynchronize(void);
CUresult cuCtxSynchronize(void)
{
    struct CUctx_st *c;
    return need_ctx(&c);
}

CUresult cuModuleLoadData(CUmodule *module, const void *image);
CUresult cuModuleLoadData(CUmodule *module, const void *image)
{
    struct CUctx_st *c;
    CUresult rc = need_ctx(&c);
    if (rc)
        return rc;
    if (!module || !image)
        return 1;
    if (!strstr(image, ".entry gpuenv_check"))
        return 218;
    switch (kernel_mode(ordinal_of(c->dev))) {
    case K_PTX_NEW: return 222;
    case K_NO_BINARY: return 209;
    default: break;
    }
    struct CUmod_st *m = calloc(1, sizeof *m);
    if (!m)
        return 2;
    m->ctx = c;
    m->fn.mod = m;
    m->next = modules;
    modules = m;
    *module = m;
    return 0;
}

CUresult cuModuleGetFunction(CUfunction *f, CUmodule module, const char *name);
CUresult cuModuleGetFunction(CUfunction *f, CUmodule module, const char *name)
{
    struct CUctx_st *c;
    CUresult rc = need_ctx(&c);
    if (rc)
        return rc;
    if (!f || !name)
        return 1;
    struct CUmod_st *m = find_module(module);
    if (!m)
        return 400;
    if (strcmp(name, "gpuenv_check") != 0)
        return 500;
    *f = &m->fn;
    return 0;
}

CUresult cuModuleUnload(CUmodule module);
CUresult cuModuleUnload(CUmodule module)
{
    struct CUctx_st *c;
    CUresult rc = need_ctx(&c);
    if (rc)
        return rc;
    if (!find_module(module))
        return 400;
    for (struct CUmod_st **pp = &modules; *pp; pp = &(*pp)->next)
        if (*pp == module) {
            *pp = module->next;
            free(module);
            break;
        }
    return 0;
}

CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytes);
CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytes)
{
    struct CUctx_st *c;
    CUresult rc = need_ctx(&c);
    if (rc)
        return rc;
    if (!dptr || bytes == 0)
        return 1;
    if (bytes > (size_t)-1 - 255)
        return 2;
    struct alloc *a = malloc(sizeof *a);
    unsigned char *p = aligned_alloc(256, (bytes + 255) & ~(size_t)255);
    if (!a || !p) {
        free(a);
        free(p);
        return 2;
    }
    a->p = p;
    a->size = bytes;
    a->ctx = c;
    a->next = allocs;
    allocs = a;
    *dptr = (CUdeviceptr)(uintptr_t)p;
    return 0;
}

CUresult cuMemFree_v2(CUdeviceptr dptr);
CUresult cuMemFree_v2(CUdeviceptr dptr)
{
    struct CUctx_st *c;
    CUresult rc = need_ctx(&c);
    if (rc)
        return rc;
    for (struct alloc **pp = &allocs; *pp; pp = &(*pp)->next)
        if ((CUdeviceptr)(uintptr_t)(*pp)->p == dptr) {
            struct alloc *a = *pp;
            *pp = a->next;
            free(a->p);
            free(a);
            return 0;
        }
    return 1;
}

CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes);
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes)
{
    struct CUctx_st *c;
    CUresult rc = need_ctx(&c);
    if (rc)
        return rc;
    if (bytes == 0)
        return 0;
    if (!dst || !find_alloc(src, bytes))
        return 1;
    memcpy(dst, (const void *)(uintptr_t)src, bytes);
    return 0;
}

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared, CUstream stream, void **params, void **extra);
CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared, CUstream stream, void **params, void **extra)
{
    struct CUctx_st *c;
    CUresult rc = need_ctx(&c);
    if (rc)
        return rc;
    struct CUmod_st *m = modules;
    while (m && &m->fn != f)
        m = m->next;
    if (!m || m->ctx != c)
        return 400;
    if (stream)
        return 400; /* the fake has no streams but the NULL one */
    if (!gx || !gy || !gz || !bx || !by || !bz || gx > 0x7fffffffu || gy > 65535 || gz > 65535 ||
        bx > 1024 || by > 1024 || bz > 64 || (unsigned long long)bx * by * bz > 1024 || shared > 49152)
        return 1;
    if (!params == !extra || !params[0] || !params[1] || !params[2])
        return 1;
    switch (kernel_mode(ordinal_of(c->dev))) {
    case K_LAUNCH_FAIL: c->sticky = 719; return 719;
    case K_HANG:
        for (;;)
            pause();
    case K_CRASH: raise(SIGSEGV); return 999;
    default: break;
    }
    CUdeviceptr out;
    uint32_t n, seed;
    memcpy(&out, params[0], sizeof out);
    memcpy(&n, params[1], sizeof n);
    memcpy(&seed, params[2], sizeof seed);
    uint32_t extra_one = kernel_mode(ordinal_of(c->dev)) == K_WRONG;
    unsigned long long threads = (unsigned long long)gx * bx, count = threads < n ? threads : n;
    if (count == 0)
        return 0;
    if (!find_alloc(out, (size_t)count * sizeof(uint32_t))) {
        c->sticky = 700; /* reported asynchronously, at the next synchronising call */
        return 0;
    }
    unsigned char *o = (unsigned char *)(uintptr_t)out;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t v = i * i + seed + extra_one;
        memcpy(o + (size_t)i * sizeof v, &v, sizeof v);
    }
    return 0;
}
