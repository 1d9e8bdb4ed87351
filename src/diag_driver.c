/* diag_driver.c: the driver and the devices: what the probe said, the kernel module against the
 * library, nouveau, /dev/nvidia*, containers and WSL2. Every system path goes through the sysroot,
 * so the tests build broken machines as folders. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "str.h"

/* CUresults the probe may end with (the driver API's documented values) */
enum { CU_STUB = 34, CU_NO_DEVICE = 100, CU_MISMATCH = 803 };

static bool exists(const struct ge_doctor *d, const char *path)
{
    char p[PATH_MAX];
    ge_doctor_path(d, path, p, sizeof p);
    return access(p, F_OK) == 0;
}

/* A file's text under the sysroot, lowercased; NULL when unreadable. */
static char *read_lower(const struct ge_doctor *d, const char *path)
{
    char p[PATH_MAX];
    ge_doctor_path(d, path, p, sizeof p);
    char *t = ge_read_file(p, 1 << 16, NULL);
    for (char *c = t; c && *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return t;
}

static bool is_wsl(const struct ge_doctor *d)
{
    if (exists(d, "/dev/dxg"))
        return true;
    char *v = read_lower(d, "/proc/version");
    bool wsl = v && (strstr(v, "microsoft") || strstr(v, "wsl"));
    free(v);
    return wsl;
}

/* Which container runtime this process runs under, or NULL: the runtimes' own marker files, then
 * the cgroup of process 1. */
static const char *container_kind(const struct ge_doctor *d)
{
    if (exists(d, "/.dockerenv"))
        return "docker";
    if (exists(d, "/run/.containerenv"))
        return "podman";
    if (exists(d, "/var/run/secrets/kubernetes.io"))
        return "kubernetes";
    char *cg = read_lower(d, "/proc/1/cgroup");
    const char *kind = NULL;
    if (cg) {
        kind = strstr(cg, "kubepods") ? "kubernetes"
               : strstr(cg, "docker")  ? "docker"
               : strstr(cg, "libpod")  ? "podman"
               : strstr(cg, "containerd") ? "containerd"
               : strstr(cg, "lxc")     ? "lxc"
                                        : NULL;
        free(cg);
    }
    return kind;
}

/* NVIDIA display and 3D controllers on the PCI bus (vendor 0x10de, class 0x03xxxx). */
static int nvidia_pci(const struct ge_doctor *d, char *first, size_t size)
{
    char dir[PATH_MAX];
    ge_doctor_path(d, "/sys/bus/pci/devices", dir, sizeof dir);
    DIR *dh = opendir(dir);
    if (!dh)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dh))) {
        if (e->d_name[0] == '.')
            continue;
        char p[PATH_MAX + 600];
        snprintf(p, sizeof p, "%s/%s/vendor", dir, e->d_name);
        char *vendor = ge_read_file(p, 64, NULL);
        snprintf(p, sizeof p, "%s/%s/class", dir, e->d_name);
        char *cls = ge_read_file(p, 64, NULL);
        if (vendor && cls && strncmp(vendor, "0x10de", 6) == 0 && strncmp(cls, "0x03", 4) == 0) {
            if (n++ == 0) {
                snprintf(p, sizeof p, "%s/%s/device", dir, e->d_name);
                char *dev = ge_read_file(p, 64, NULL);
                if (dev)
                    dev[strcspn(dev, "\n")] = '\0';
                ge_fmt(first, size, "%s (10de:%s)", e->d_name, dev && strlen(dev) > 2 ? dev + 2 : "?");
                free(dev);
            }
        }
        free(vendor);
        free(cls);
    }
    closedir(dh);
    return n;
}

/* The oldest driver every framework in the interpreter runs on natively: the floor of its CUDA
 * release in the matrix. "" when no framework says its CUDA or the matrix does not know it. */
static void driver_for_frameworks(const struct ge_doctor *d, char *out, size_t size)
{
    out[0] = '\0';
    struct ge_version best = {{0}, 0};
    const cJSON *fws = d->py ? cJSON_GetObjectItem(d->py, "frameworks") : NULL, *fw;
    cJSON_ArrayForEach(fw, fws)
    {
        const cJSON *c = cJSON_GetObjectItem(fw, "cuda");
        struct ge_version v;
        const struct ge_ver *floor = cJSON_IsString(c) && ge_doctor_vparse(c->valuestring, &v) == 0
                                         ? ge_doctor_cuda_floor(d, &v) : NULL;
        if (floor && ge_version_cmp(&floor->v, &best) > 0) {
            best = floor->v;
            ge_fmt(out, size, "%s or newer, for %s's CUDA %s", floor->s, fw->string, c->valuestring);
        }
    }
}

static void install_driver_fix(const struct ge_doctor *d, struct ge_finding *x)
{
    char need[128];
    driver_for_frameworks(d, need, sizeof need);
    ge_finding_fix(x, true, true, "install the NVIDIA driver%s%s%s: 'sudo apt install nvidia-driver' (Debian), 'sudo "
                   "ubuntu-drivers install' (Ubuntu) or 'sudo dnf install nvidia-driver' (RHEL with NVIDIA's "
                   "repository), then reboot", need[0] ? " (" : "", need, need[0] ? ")" : "");
}

/* What the probe's failure means. */
static void probe_failed(struct ge_doctor *d, bool wsl, const char *container, bool module)
{
    const struct ge_driver_info *drv = &d->drv;
    const char *msg = d->drv_err.msg;
    char pci[128] = "";
    int npci = nvidia_pci(d, pci, sizeof pci);
    struct ge_finding *x;
    bool stub = drv->cu_error == CU_STUB || (drv->library[0] && strstr(drv->library, "/stubs/"));
    if (stub) {
        x = ge_finding_add(&d->findings, GE_F_STUB_LIBCUDA, GE_SEV_ERROR, drv->library,
                           "the loader finds the CUDA toolkit's stub libcuda.so, which only links programs and "
                           "never runs them");
        ge_finding_evidence(x, "libcuda.so.1 loaded", "%s", drv->library);
        ge_finding_evidence(x, "cuInit", "%s", msg);
        char dir[256];
        ge_strlcpy(dir, drv->library, sizeof dir);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        ge_finding_fix(x, false, false, "remove %s from LD_LIBRARY_PATH (the stubs are for the linker: use -L, never the "
                       "loader path)", dir);
        return;
    }
    if (drv->cu_error == CU_MISMATCH ||
        (module && d->library_version[0] && strcmp(d->module_version, d->library_version) != 0)) {
        x = ge_finding_add(&d->findings, GE_F_DRIVER_MISMATCH, GE_SEV_ERROR, NULL,
                           "the loaded kernel module is driver %s but libcuda.so is driver %s: the driver was upgraded "
                           "without reloading the module",
                           d->module_version[0] ? d->module_version : "?", d->library_version[0] ? d->library_version : "?");
        if (d->module_source[0])
            ge_finding_evidence(x, d->module_source, "%s", d->module_version);
        if (drv->library[0])
            ge_finding_evidence(x, "libcuda.so", "%s", drv->library);
        ge_finding_evidence(x, "cuInit", "%s", msg);
        ge_finding_fix(x, true, true, "reboot (or, with no process using the GPU: 'sudo rmmod nvidia_uvm nvidia_drm "
                       "nvidia_modeset nvidia && sudo modprobe nvidia')");
        return;
    }
    if (drv->failure == GE_PROBE_NOT_FOUND) {
        if (wsl) {
            x = ge_finding_add(&d->findings, GE_F_WSL_LIBRARY_MISSING, GE_SEV_ERROR, NULL,
                               "this is WSL2, and the Windows driver's libcuda.so.1 is not in /usr/lib/wsl/lib");
            ge_finding_evidence(x, "probe", "%s", msg);
            ge_finding_fix(x, false, true, "install or update the NVIDIA driver on Windows (never a Linux driver inside "
                           "WSL), then 'wsl --shutdown' in Windows and start WSL again");
        } else if (container && !exists(d, "/dev/nvidiactl")) {
            x = ge_finding_add(&d->findings, GE_F_CONTAINER_NO_GPU, GE_SEV_ERROR, NULL,
                               "inside a %s container started without the GPU: no driver library and no /dev/nvidia*",
                               container);
            ge_finding_evidence(x, "probe", "%s", msg);
            ge_finding_fix(x, false, false, "start the container with the GPU: 'docker run --gpus all ...' (NVIDIA "
                           "Container Toolkit), '--device nvidia.com/gpu=all' (CDI, podman), or request the "
                           "nvidia.com/gpu resource (Kubernetes)");
        } else {
            /* a machine whose GPUs are AMD's needs no NVIDIA driver */
            bool amd_only = d->amd.ngpus > 0 && npci == 0;
            x = ge_finding_add(&d->findings, GE_F_NO_DRIVER, amd_only ? GE_SEV_INFO : GE_SEV_ERROR, NULL, "%s%s",
                               "no NVIDIA driver is installed", amd_only ? ": this machine's GPUs are AMD's"
                                                               : npci ? "" : " (and no NVIDIA GPU is seen on the PCI bus)");
            ge_finding_evidence(x, "probe", "%s", msg);
            if (npci)
                ge_finding_evidence(x, "/sys/bus/pci/devices", "%d NVIDIA GPU%s, the first %s", npci, npci > 1 ? "s" : "", pci);
            install_driver_fix(d, x);
        }
        return;
    }
    if (drv->failure == GE_PROBE_HUNG) {
        x = ge_finding_add(&d->findings, GE_F_DRIVER_HUNG, GE_SEV_ERROR, NULL, "%s", msg);
        ge_finding_evidence(x, "probe", "%s", msg);
        ge_finding_fix(x, true, true, "look for Xid and NVRM errors ('sudo dmesg | grep -i -e xid -e nvrm'); a GPU that "
                       "fell off the bus needs a reboot");
        return;
    }
    if (drv->failure == GE_PROBE_LOAD_FAILED) {
        x = ge_finding_add(&d->findings, GE_F_DRIVER_LOAD_FAILED, GE_SEV_ERROR, drv->library[0] ? drv->library : NULL,
                           "%s", msg);
        ge_finding_evidence(x, "dlopen", "%s", msg);
        ge_finding_fix(x, true, false, "reinstall the NVIDIA driver's user-space libraries for this architecture");
        return;
    }
    if (drv->cu_error == CU_NO_DEVICE && container && !exists(d, "/dev/nvidiactl")) {
        x = ge_finding_add(&d->findings, GE_F_CONTAINER_NO_GPU, GE_SEV_ERROR, NULL,
                           "inside a %s container started without GPU devices: the driver library is mounted but no "
                           "/dev/nvidia* is", container);
        ge_finding_evidence(x, "cuInit", "%s", msg);
        ge_finding_fix(x, false, false, "start the container with '--gpus all' (or CDI '--device nvidia.com/gpu=all')");
        return;
    }
    if (!module && !wsl) {
        x = ge_finding_add(&d->findings, GE_F_MODULE_NOT_LOADED, GE_SEV_ERROR, NULL,
                           "libcuda.so is installed but the nvidia kernel module is not loaded");
        ge_finding_evidence(x, "/sys/module/nvidia", "absent");
        ge_finding_evidence(x, "cuInit", "%s", msg);
        ge_finding_fix(x, true, false, "'sudo modprobe nvidia'; if it fails, 'sudo dmesg | tail' says why (with Secure "
                       "Boot, the module must be signed; after a kernel update, 'sudo dkms autoinstall')");
        return;
    }
    if (drv->cu_error == CU_NO_DEVICE) {
        x = ge_finding_add(&d->findings, GE_F_NO_GPU, GE_SEV_ERROR, NULL, "%s", msg);
        ge_finding_evidence(x, "cuInit", "%s", msg);
        ge_finding_fix(x, true, false, "check that the GPU is seen ('lspci -d 10de:') and for Xid errors in "
                       "'sudo dmesg'");
        return;
    }
    x = ge_finding_add(&d->findings, GE_F_DRIVER_INIT_FAILED, GE_SEV_ERROR, NULL, "%s", msg);
    ge_finding_evidence(x, "cuInit", "%s", msg);
    if (d->drv_err.hint[0])
        ge_finding_fix(x, false, false, "%s", d->drv_err.hint);
}

/* /dev/nvidiactl and one /dev/nvidiaN per GPU: present, and readable and writable by this user. */
static void device_nodes(struct ge_doctor *d, const char *container, int ngpus)
{
    char names[GE_MAX_GPUS + 1][32];
    int n = 0;
    ge_strlcpy(names[n++], "/dev/nvidiactl", sizeof names[0]);
    for (int i = 0; i < ngpus && n <= GE_MAX_GPUS; i++)
        snprintf(names[n++], sizeof names[0], "/dev/nvidia%d", i);
    for (int i = 0; i < n; i++) {
        char p[PATH_MAX];
        ge_doctor_path(d, names[i], p, sizeof p);
        struct stat st;
        if (stat(p, &st) < 0) {
            struct ge_finding *x;
            if (container) {
                x = ge_finding_add(&d->findings, GE_F_CONTAINER_NO_GPU, GE_SEV_ERROR, names[i],
                                   "inside a %s container without the GPU's device files (%s is missing)", container, names[i]);
                ge_finding_fix(x, false, false, "start the container with '--gpus all' (or CDI '--device "
                               "nvidia.com/gpu=all')");
            } else {
                x = ge_finding_add(&d->findings, GE_F_DEVICE_NODES_MISSING, GE_SEV_ERROR, names[i], "%s is missing",
                                   names[i]);
                ge_finding_fix(x, true, false, "'sudo nvidia-modprobe -c 0 -u' (or run 'sudo nvidia-smi' once) "
                               "creates the device files");
            }
            ge_finding_evidence(x, names[i], "missing");
            return;
        }
        if (access(p, R_OK | W_OK) < 0) {
            struct ge_finding *x = ge_finding_add(&d->findings, GE_F_DEVICE_NODES_DENIED, GE_SEV_ERROR, names[i],
                                                  "this user cannot open %s", names[i]);
            ge_doctor_group_fix(d, x, names[i], "make the device files readable and writable by the GPU users (the "
                                "driver's NVreg_DeviceFileMode and NVreg_DeviceFileGID module options), then reboot");
            return;
        }
    }
}

void ge_diag_driver(struct ge_doctor *d)
{
    bool wsl = is_wsl(d);
    const char *container = container_kind(d);
    bool module = d->module_version[0] != '\0';
    size_t before = d->findings.n;

    if (exists(d, "/sys/module/nouveau")) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_NOUVEAU, GE_SEV_ERROR, NULL,
                                              "the nouveau module is loaded: it holds the GPU, and CUDA cannot use it");
        ge_finding_evidence(x, "/sys/module/nouveau", "present");
        ge_finding_fix(x, true, true, "blacklist it: 'echo blacklist nouveau | sudo tee /etc/modprobe.d/blacklist-nouveau.conf' "
                       "and 'sudo update-initramfs -u' (Debian, Ubuntu) or 'sudo dracut -f' (RHEL), then reboot");
    }
    if (!d->drv_ok)
        probe_failed(d, wsl, container, module);
    if (!wsl && (d->drv_ok || module))
        device_nodes(d, container, d->drv_ok ? d->drv.ngpus : 1);

    if (d->findings.n > before)
        ge_doctor_check(d, "driver", GE_CHECK_PROBLEM, "%s", d->drv_ok ? "the driver answers" : d->drv_err.msg);
    else
        ge_doctor_check(d, "driver", GE_CHECK_OK, "driver %s (CUDA %d.%d) from %s, %d GPU%s%s%s",
                        d->drv.version[0] ? d->drv.version : "?", d->drv.cuda_int / 1000, d->drv.cuda_int % 1000 / 10,
                        d->drv.library, d->drv.ngpus, d->drv.ngpus == 1 ? "" : "s", wsl ? ", WSL2" : "",
                        container ? ", in a container" : "");
}
