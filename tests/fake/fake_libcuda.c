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
 * CUDA_VISIBLE_DEVICES is honoured the way the real driver does (indices; empty hides all), so
 * the tests prove that gpuenv is not fooled by it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int CUresult;
typedef int CUdevice;
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
    case 3: *s = "CUDA_ERROR_NOT_INITIALIZED"; return 0;
    case 34: *s = "CUDA_ERROR_STUB_LIBRARY"; return 0;
    case 100: *s = "CUDA_ERROR_NO_DEVICE"; return 0;
    case 101: *s = "CUDA_ERROR_INVALID_DEVICE"; return 0;
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
    case 3: *s = "initialization error"; return 0;
    case 34: *s = "CUDA driver is a stub library"; return 0;
    case 100: *s = "no CUDA-capable device is detected"; return 0;
    case 101: *s = "invalid device ordinal"; return 0;
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
