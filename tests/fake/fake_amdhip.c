/* fake_amdhip.c: a stand-in libamdhip64.so for tests, answering from environment variables.
 *
 * FAKE_HIP_MODE     ok (default) | hang (hipGetDeviceCount never returns) | crash (it raises
 *                   SIGSEGV) | no-device (it returns 100 hipErrorNoDevice) | zero (it succeeds with
 *                   a count of 0) | insufficient-driver (35 hipErrorInsufficientDriver) | error
 *                   (FAKE_HIP_ERROR, default 999 hipErrorUnknown) | exit (the process exits 3)
 * FAKE_HIP_VERSION  what hipRuntimeGetVersion and hipDriverGetVersion report (default 60241134:
 *                   HIP 6.2.41134)
 * FAKE_HIP_GPUS     devices, ';'-separated "name|gcnArchName|pci bus id|memory bytes"; default one
 *                   "AMD Radeon RX 7900 XTX|gfx1100|0000:03:00.0|25753026560"
 * FAKE_HIP_STDOUT   when set, print it on stdout in hipGetDeviceCount (a noisy runtime)
 * ROCR_VISIBLE_DEVICES, then HIP_VISIBLE_DEVICES, are applied, each a ','-separated list of indices
 * into what the level below left (the fake's simple rule: the list ends at its first invalid entry;
 * nothing left makes hipGetDeviceCount return hipErrorNoDevice).
 *
 * Built twice: as HIP 6 (hipGetDevicePropertiesR0600 and hipGetDevicePropertiesR0000) and, with
 * -DFAKE_HIP5, as HIP 5 (only hipGetDeviceProperties, the older layout). The properties are written
 * as raw bytes at the offsets a compiler gives ROCm's own headers (rocm-6.2.0's hipDeviceProp_tR0600:
 * name at 0, gcnArchName at 1160, 1472 bytes; rocm-5.7.1's hipDeviceProp_t: gcnArchName at 396,
 * 792 bytes), so that gpuenv's copy of the layout is checked against numbers, not against itself. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int hipError_t;

#define MAXDEV 16
struct dev {
    char name[256];
    char arch[256];
    char pci[32];
    unsigned long long mem;
};

static struct dev devs[MAXDEV];
static int ndev = -1;

static void fake_load(void)
{
    if (ndev >= 0)
        return;
    const char *s = getenv("FAKE_HIP_GPUS");
    if (!s)
        s = "AMD Radeon RX 7900 XTX|gfx1100|0000:03:00.0|25753026560";
    ndev = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *d = strtok_r(copy, ";", &save); d && ndev < MAXDEV; d = strtok_r(NULL, ";", &save)) {
        struct dev *v = &devs[ndev];
        memset(v, 0, sizeof *v);
        char *f[4] = {0};
        int n = 0;
        for (char *p = d; n < 4; n++) {
            f[n] = p;
            char *bar = strchr(p, '|');
            if (!bar)
                break;
            *bar = '\0';
            p = bar + 1;
        }
        snprintf(v->name, sizeof v->name, "%s", f[0] ? f[0] : "");
        snprintf(v->arch, sizeof v->arch, "%s", f[1] ? f[1] : "");
        snprintf(v->pci, sizeof v->pci, "%s", f[2] ? f[2] : "");
        v->mem = f[3] ? strtoull(f[3], NULL, 10) : 0;
        ndev++;
    }
    free(copy);
    /* the visibility lists, lowest level first; each index names a device the level below left */
    const char *vars[] = {"ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES"};
    for (int k = 0; k < 2; k++) {
        const char *list = getenv(vars[k]);
        if (!list)
            continue;
        struct dev kept[MAXDEV];
        int nk = 0;
        char *c = strdup(list), *sv = NULL;
        for (char *t = strtok_r(c, ",", &sv); t && nk < MAXDEV; t = strtok_r(NULL, ",", &sv)) {
            char *end;
            long i = strtol(t, &end, 10);
            if (*end || end == t || i < 0 || i >= ndev)
                break;
            kept[nk++] = devs[i];
        }
        free(c);
        memcpy(devs, kept, sizeof kept[0] * (size_t)nk);
        ndev = nk;
    }
}

static const char *mode(void)
{
    const char *m = getenv("FAKE_HIP_MODE");
    return m ? m : "ok";
}

static int version(void)
{
    const char *v = getenv("FAKE_HIP_VERSION");
    return v ? atoi(v) : 60241134;
}

hipError_t hipRuntimeGetVersion(int *v);
hipError_t hipRuntimeGetVersion(int *v)
{
    if (!v)
        return 1;
    *v = version();
    return 0;
}

hipError_t hipDriverGetVersion(int *v);
hipError_t hipDriverGetVersion(int *v)
{
    if (!v)
        return 1;
    *v = version();
    return 0;
}

hipError_t hipGetDeviceCount(int *count);
hipError_t hipGetDeviceCount(int *count)
{
    const char *m = mode();
    const char *noise = getenv("FAKE_HIP_STDOUT");
    if (noise) {
        printf("%s\n", noise);
        fflush(stdout);
    }
    if (!count)
        return 1;
    *count = 0;
    if (strcmp(m, "hang") == 0)
        for (;;)
            pause();
    if (strcmp(m, "crash") == 0)
        raise(SIGSEGV);
    if (strcmp(m, "exit") == 0)
        _exit(3);
    if (strcmp(m, "no-device") == 0)
        return 100;
    if (strcmp(m, "insufficient-driver") == 0)
        return 35;
    if (strcmp(m, "error") == 0) {
        const char *e = getenv("FAKE_HIP_ERROR");
        return e ? atoi(e) : 999;
    }
    fake_load();
    if (strcmp(m, "zero") == 0)
        return 0;
    if (ndev == 0)
        return 100;
    *count = ndev;
    return 0;
}

hipError_t hipDeviceGet(int *device, int ordinal);
hipError_t hipDeviceGet(int *device, int ordinal)
{
    fake_load();
    if (!device)
        return 1;
    if (ordinal < 0 || ordinal >= ndev)
        return 101;
    *device = ordinal;
    return 0;
}

hipError_t hipDeviceGetName(char *name, int len, int device);
hipError_t hipDeviceGetName(char *name, int len, int device)
{
    fake_load();
    if (device < 0 || device >= ndev)
        return 101;
    if (!name || len <= 0)
        return 1;
    snprintf(name, (size_t)len, "%s", devs[device].name);
    return 0;
}

hipError_t hipDeviceGetPCIBusId(char *bus, int len, int device);
hipError_t hipDeviceGetPCIBusId(char *bus, int len, int device)
{
    fake_load();
    if (device < 0 || device >= ndev)
        return 101;
    if (!bus || len <= 0)
        return 1;
    snprintf(bus, (size_t)len, "%s", devs[device].pci);
    return 0;
}

hipError_t hipDeviceTotalMem(size_t *bytes, int device);
hipError_t hipDeviceTotalMem(size_t *bytes, int device)
{
    fake_load();
    if (device < 0 || device >= ndev)
        return 101;
    if (!bytes)
        return 1;
    *bytes = (size_t)devs[device].mem;
    return 0;
}

static hipError_t fill_props(void *p, int device, size_t size, size_t arch_offset)
{
    fake_load();
    if (device < 0 || device >= ndev)
        return 101;
    if (!p)
        return 1;
    memset(p, 0, size);
    snprintf(p, 256, "%s", devs[device].name);
    snprintf((char *)p + arch_offset, 256, "%s", devs[device].arch);
    return 0;
}

#ifdef FAKE_HIP5
hipError_t hipGetDeviceProperties(void *p, int device);
hipError_t hipGetDeviceProperties(void *p, int device)
{
    return fill_props(p, device, 792, 396);
}
#else
hipError_t hipGetDevicePropertiesR0600(void *p, int device);
hipError_t hipGetDevicePropertiesR0600(void *p, int device)
{
    return fill_props(p, device, 1472, 1160);
}

hipError_t hipGetDevicePropertiesR0000(void *p, int device);
hipError_t hipGetDevicePropertiesR0000(void *p, int device)
{
    return fill_props(p, device, 792, 396);
}
#endif

const char *hipGetErrorName(hipError_t e);
const char *hipGetErrorName(hipError_t e)
{
    switch (e) {
    case 0: return "hipSuccess";
    case 1: return "hipErrorInvalidValue";
    case 35: return "hipErrorInsufficientDriver";
    case 100: return "hipErrorNoDevice";
    case 101: return "hipErrorInvalidDevice";
    default: return "hipErrorUnknown";
    }
}

const char *hipGetErrorString(hipError_t e);
const char *hipGetErrorString(hipError_t e)
{
    switch (e) {
    case 0: return "no error";
    case 35: return "driver version is insufficient for runtime version";
    case 100: return "no ROCm-capable device is detected";
    case 101: return "invalid device ordinal";
    default: return "unknown error";
    }
}
