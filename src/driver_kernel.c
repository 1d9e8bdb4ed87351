/* driver_kernel.c: the on-GPU check run in the driver probe's child: a kernel gpuenv carries as
 * PTX, JIT-compiled by the driver (so no toolkit is needed), launched, and its values read back.
 * It proves what no query can: that a context can be made, that this driver can compile code for
 * this GPU, and that the GPU computes right. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"
#include "str.h"

/* PTX ISA 6.0 for sm_50: the oldest GPU and the oldest driver gpuenv knows can JIT it, and every
 * newer GPU runs PTX of an older target. out[i] = i*i + seed for i < n. */
const char ge_kernel_ptx[] =
    ".version 6.0\n"
    ".target sm_50\n"
    ".address_size 64\n"
    "\n"
    ".visible .entry gpuenv_check(.param .u64 out, .param .u32 n, .param .u32 seed)\n"
    "{\n"
    "    .reg .pred %p;\n"
    "    .reg .b32 %r<8>;\n"
    "    .reg .b64 %rd<4>;\n"
    "    ld.param.u64 %rd1, [out];\n"
    "    ld.param.u32 %r1, [n];\n"
    "    ld.param.u32 %r2, [seed];\n"
    "    mov.u32 %r3, %ctaid.x;\n"
    "    mov.u32 %r4, %ntid.x;\n"
    "    mov.u32 %r5, %tid.x;\n"
    "    mad.lo.u32 %r6, %r3, %r4, %r5;\n"
    "    setp.ge.u32 %p, %r6, %r1;\n"
    "    @%p bra DONE;\n"
    "    mad.lo.u32 %r7, %r6, %r6, %r2;\n"
    "    cvta.to.global.u64 %rd2, %rd1;\n"
    "    mul.wide.u32 %rd3, %r6, 4;\n"
    "    add.s64 %rd2, %rd2, %rd3;\n"
    "    st.global.u32 [%rd2], %r7;\n"
    "DONE:\n"
    "    ret;\n"
    "}\n";

/* The driver API as documented (stable ABI); no cuda.h is needed to build gpuenv. */
typedef int cu_result;
typedef void *cu_handle;
typedef unsigned long long cu_ptr;

struct kapi {
    cu_result (*device_get)(int *, int);
    cu_result (*retain)(cu_handle *, int);
    cu_result (*release)(int);
    cu_result (*set_current)(cu_handle);
    cu_result (*load)(cu_handle *, const void *);
    cu_result (*unload)(cu_handle);
    cu_result (*get_function)(cu_handle *, cu_handle, const char *);
    cu_result (*mem_alloc)(cu_ptr *, size_t);
    cu_result (*mem_free)(cu_ptr);
    cu_result (*launch)(cu_handle, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                        cu_handle, void **, void **);
    cu_result (*sync)(void);
    cu_result (*dtoh)(void *, cu_ptr, size_t);
    cu_result (*error_name)(cu_result, const char **);
    cu_result (*error_string)(cu_result, const char **);
};

#define SYM(field, name) (*(void **)(&a->field) = dlsym(h, name))

static const char *load_api(void *h, struct kapi *a)
{
    memset(a, 0, sizeof *a);
    SYM(error_name, "cuGetErrorName");
    SYM(error_string, "cuGetErrorString");
    if (!SYM(device_get, "cuDeviceGet"))
        return "cuDeviceGet";
    if (!SYM(retain, "cuDevicePrimaryCtxRetain"))
        return "cuDevicePrimaryCtxRetain";
    if (!SYM(release, "cuDevicePrimaryCtxRelease_v2") && !SYM(release, "cuDevicePrimaryCtxRelease"))
        return "cuDevicePrimaryCtxRelease";
    if (!SYM(set_current, "cuCtxSetCurrent"))
        return "cuCtxSetCurrent";
    if (!SYM(load, "cuModuleLoadData"))
        return "cuModuleLoadData";
    if (!SYM(unload, "cuModuleUnload"))
        return "cuModuleUnload";
    if (!SYM(get_function, "cuModuleGetFunction"))
        return "cuModuleGetFunction";
    if (!SYM(mem_alloc, "cuMemAlloc_v2"))
        return "cuMemAlloc_v2";
    if (!SYM(mem_free, "cuMemFree_v2"))
        return "cuMemFree_v2";
    if (!SYM(launch, "cuLaunchKernel"))
        return "cuLaunchKernel";
    if (!SYM(sync, "cuCtxSynchronize"))
        return "cuCtxSynchronize";
    if (!SYM(dtoh, "cuMemcpyDtoH_v2"))
        return "cuMemcpyDtoH_v2";
    return NULL;
}

static void failed(struct ge_kernel_result *r, const struct kapi *a, const char *call, cu_result rc)
{
    r->status = GE_KERNEL_FAILED;
    r->cu_code = rc;
    ge_strlcpy(r->call, call, sizeof r->call);
    const char *s = NULL;
    if (a->error_name && a->error_name(rc, &s) == 0 && s)
        ge_strlcpy(r->cu_name, s, sizeof r->cu_name);
    s = NULL;
    if (a->error_string && a->error_string(rc, &s) == 0 && s)
        ge_strlcpy(r->cu_string, s, sizeof r->cu_string);
}

static double ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void ge_kernel_run(void *h, int ordinal, struct ge_kernel_result *r)
{
    memset(r, 0, sizeof *r);
    struct kapi a;
    const char *missing = load_api(h, &a);
    if (missing) {
        r->status = GE_KERNEL_FAILED;
        ge_strlcpy(r->call, missing, sizeof r->call);
        ge_strlcpy(r->cu_string, "the driver library lacks this function", sizeof r->cu_string);
        return;
    }
    double t0 = ms_now();
    int dev = 0;
    cu_handle ctx = NULL, mod = NULL, fn = NULL;
    cu_ptr buf = 0;
    bool retained = false;
    unsigned n = GE_KERNEL_N, seed = GE_KERNEL_SEED;
    uint32_t *host = calloc(n, sizeof *host);
    cu_result rc;
    if (!host) {
        r->status = GE_KERNEL_FAILED;
        ge_strlcpy(r->call, "malloc", sizeof r->call);
        return;
    }
    if ((rc = a.device_get(&dev, ordinal)) != 0) {
        failed(r, &a, "cuDeviceGet", rc);
        goto out;
    }
    if ((rc = a.retain(&ctx, dev)) != 0) {
        failed(r, &a, "cuDevicePrimaryCtxRetain", rc);
        goto out;
    }
    retained = true;
    if ((rc = a.set_current(ctx)) != 0) {
        failed(r, &a, "cuCtxSetCurrent", rc);
        goto out;
    }
    if ((rc = a.load(&mod, ge_kernel_ptx)) != 0) {
        failed(r, &a, "cuModuleLoadData", rc);
        mod = NULL;
        goto out;
    }
    if ((rc = a.get_function(&fn, mod, "gpuenv_check")) != 0) {
        failed(r, &a, "cuModuleGetFunction", rc);
        goto out;
    }
    if ((rc = a.mem_alloc(&buf, (size_t)n * sizeof *host)) != 0) {
        failed(r, &a, "cuMemAlloc", rc);
        buf = 0;
        goto out;
    }
    void *params[] = {&buf, &n, &seed};
    unsigned block = 256, grid = (n + block - 1) / block;
    if ((rc = a.launch(fn, grid, 1, 1, block, 1, 1, 0, NULL, params, NULL)) != 0) {
        failed(r, &a, "cuLaunchKernel", rc);
        goto out;
    }
    if ((rc = a.sync()) != 0) {
        failed(r, &a, "cuCtxSynchronize", rc);
        goto out;
    }
    if ((rc = a.dtoh(host, buf, (size_t)n * sizeof *host)) != 0) {
        failed(r, &a, "cuMemcpyDtoH", rc);
        goto out;
    }
    r->n = n;
    for (unsigned i = 0; i < n; i++) {
        uint32_t want = i * i + seed;
        if (host[i] != want && r->wrong++ == 0) {
            r->first_wrong = i;
            r->got = host[i];
            r->expected = want;
        }
    }
    r->status = r->wrong ? GE_KERNEL_WRONG : GE_KERNEL_OK;
out:
    r->ms = ms_now() - t0;
    if (buf)
        a.mem_free(buf);
    if (mod)
        a.unload(mod);
    if (retained)
        a.release(dev);
    free(host);
}
