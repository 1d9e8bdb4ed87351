/* amd.c: AMD GPUs from the KFD topology, the amdgpu driver's version, ROCm installs, device files. */
#define _GNU_SOURCE
#include "amd.h"

#include <ctype.h>
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "str.h"
#include "version.h"

int ge_amd_gfx_name(unsigned v, char *out, size_t size)
{
    if (size)
        out[0] = '\0';
    unsigned major = v / 10000, minor = v / 100 % 100, stepping = v % 100;
    if (major < 7 || major > 99 || minor > 15 || stepping > 15)
        return -1;
    return ge_fmt(out, size, "gfx%u%x%x", major, minor, stepping);
}

void ge_amd_override_value(unsigned v, char *out, size_t size)
{
    if (ge_fmt(out, size, "%u.%u.%u", v / 10000, v / 100 % 100, v % 100) < 0 && size)
        out[0] = '\0';
}

int ge_amd_gfx_parse(const char *name, unsigned *v)
{
    if (strncmp(name, "gfx", 3) != 0)
        return -1;
    const char *p = name + 3;
    size_t n = strlen(p);
    /* the last two characters are minor and stepping (hexadecimal), the rest the major */
    if (n < 3 || n > 4 || strspn(p, "0123456789") < n - 2)
        return -1;
    char major[3] = {0};
    memcpy(major, p, n - 2);
    unsigned mj = (unsigned)atoi(major), mi, st;
    char a[2] = {p[n - 2], 0}, b[2] = {p[n - 1], 0};
    char *end;
    mi = (unsigned)strtoul(a, &end, 16);
    if (*end || !isxdigit((unsigned char)a[0]))
        return -1;
    st = (unsigned)strtoul(b, &end, 16);
    if (*end || !isxdigit((unsigned char)b[0]) || mj < 7)
        return -1;
    *v = mj * 10000 + mi * 100 + st;
    return 0;
}

int ge_amd_property(const char *text, const char *key, uint64_t *value)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
            char *end;
            unsigned long long v = strtoull(p + kl + 1, &end, 10);
            if (end == p + kl + 1 || (*end && *end != '\n'))
                return -1;
            *value = v;
            return 0;
        }
    }
    return -1;
}

static void read_node(const char *sysroot, const char *dir, int node, struct ge_amd_info *out)
{
    char p[PATH_MAX];
    if (ge_fmt(p, sizeof p, "%s/%d/properties", dir, node) < 0)
        return;
    char *props = ge_read_file(p, 1 << 16, NULL);
    if (!props)
        return;
    uint64_t gtv = 0, v;
    if (ge_amd_property(props, "gfx_target_version", &gtv) < 0 || gtv == 0 || out->ngpus >= GE_AMD_MAX_GPUS) {
        free(props); /* a CPU node, or no room */
        return;
    }
    struct ge_amd_gpu *g = &out->gpus[out->ngpus];
    memset(g, 0, sizeof *g);
    g->node = node;
    g->gfx_target_version = (unsigned)gtv;
    if (ge_amd_gfx_name(g->gfx_target_version, g->gfx, sizeof g->gfx) < 0) {
        free(props);
        return;
    }
    if (ge_amd_property(props, "vendor_id", &v) == 0)
        g->vendor_id = (unsigned)v;
    if (ge_amd_property(props, "device_id", &v) == 0)
        g->device_id = (unsigned)v;
    uint64_t loc, dom = 0;
    if (ge_amd_property(props, "location_id", &loc) == 0) {
        ge_amd_property(props, "domain", &dom);
        ge_fmt(g->pci_bus_id, sizeof g->pci_bus_id, "%04x:%02x:%02x.%x", (unsigned)dom, (unsigned)(loc >> 8) & 0xff,
               (unsigned)(loc >> 3) & 0x1f, (unsigned)loc & 0x7);
    }
    g->render_minor = -1;
    if (ge_amd_property(props, "drm_render_minor", &v) == 0 && v < 100000) {
        g->render_minor = (int)v;
        char dev[64], full[PATH_MAX];
        snprintf(dev, sizeof dev, "/dev/dri/renderD%d", g->render_minor);
        ge_path_under(full, sizeof full, sysroot, dev);
        g->render_access = access(full, R_OK | W_OK) == 0;
    }
    free(props);
    if (ge_fmt(p, sizeof p, "%s/%d/name", dir, node) == 0) {
        char *name = ge_read_file(p, 256, NULL);
        if (name) {
            name[strcspn(name, "\n")] = '\0';
            if (!ge_has_control(name))
                ge_strlcpy(g->name, name, sizeof g->name);
            free(name);
        }
    }
    if (ge_fmt(p, sizeof p, "%s/%d/mem_banks/0/properties", dir, node) == 0) {
        char *mem = ge_read_file(p, 1 << 16, NULL);
        if (mem && ge_amd_property(mem, "size_in_bytes", &v) == 0)
            g->memory_bytes = v;
        free(mem);
    }
    out->ngpus++;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static void read_topology(const char *sysroot, struct ge_amd_info *out)
{
    char dir[PATH_MAX];
    ge_path_under(dir, sizeof dir, sysroot, "/sys/class/kfd/kfd/topology/nodes");
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    int nodes[256], n = 0;
    struct dirent *e;
    while ((e = readdir(dh)) && n < 256) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (e->d_name[0] && !*end && v >= 0 && v < 100000)
            nodes[n++] = (int)v;
    }
    closedir(dh);
    qsort(nodes, (size_t)n, sizeof nodes[0], cmp_int); /* in node order, as rocminfo lists them */
    for (int i = 0; i < n; i++)
        read_node(sysroot, dir, nodes[i], out);
}

static void read_driver(const char *sysroot, struct ge_amd_info *out)
{
    char p[PATH_MAX];
    ge_path_under(p, sizeof p, sysroot, "/sys/module/amdgpu");
    out->module_loaded = access(p, F_OK) == 0;
    static const char *const files[][2] = {{"/sys/module/amdgpu/version", "/sys/module/amdgpu/version"},
                                           {"/proc/sys/kernel/osrelease", "kernel"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        ge_path_under(p, sizeof p, sysroot, files[i][0]);
        char *t = ge_read_file(p, 256, NULL);
        if (!t)
            continue;
        t[strcspn(t, "\n")] = '\0';
        bool ok = t[0] && !ge_has_control(t) && strlen(t) < sizeof out->driver_version;
        if (ok) {
            ge_strlcpy(out->driver_version, t, sizeof out->driver_version);
            ge_strlcpy(out->driver_source, files[i][1], sizeof out->driver_source);
        }
        free(t);
        if (ok)
            return;
    }
}

/* Every /opt/rocm* with a .info/version ("6.2.4-120"), each real folder once. */
static void read_rocm(const char *sysroot, struct ge_amd_info *out)
{
    char pattern[PATH_MAX];
    ge_path_under(pattern, sizeof pattern, sysroot, "/opt/rocm*/.info/version");
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc && out->nrocm < GE_AMD_MAX_ROCM; i++) {
        char dir[PATH_MAX], real[PATH_MAX];
        ge_strlcpy(dir, g.gl_pathv[i], sizeof dir);
        dir[strlen(dir) - strlen("/.info/version")] = '\0';
        if (!realpath(dir, real))
            continue;
        bool dup = false;
        for (int k = 0; k < out->nrocm && !dup; k++)
            dup = strcmp(out->rocm[k].path, real) == 0;
        char *t = dup ? NULL : ge_read_file(g.gl_pathv[i], 256, NULL);
        if (!t)
            continue;
        t[strcspn(t, "-\n")] = '\0';
        if (t[0] && strspn(t, "0123456789.") == strlen(t) && strlen(real) < sizeof out->rocm[0].path) {
            struct ge_amd_rocm *r = &out->rocm[out->nrocm++];
            ge_strlcpy(r->path, real, sizeof r->path);
            ge_strlcpy(r->version, t, sizeof r->version);
        }
        free(t);
    }
    globfree(&g);
}

void ge_amd_detect(const char *sysroot, struct ge_amd_info *out)
{
    memset(out, 0, sizeof *out);
    if (!sysroot)
        sysroot = "";
    read_topology(sysroot, out);
    read_driver(sysroot, out);
    read_rocm(sysroot, out);
    char p[PATH_MAX];
    ge_path_under(p, sizeof p, sysroot, "/dev/kfd");
    out->kfd_exists = access(p, F_OK) == 0;
    out->kfd_access = out->kfd_exists && access(p, R_OK | W_OK) == 0;
}

const struct ge_amd_rocm *ge_amd_newest_rocm(const struct ge_amd_info *a, struct ge_version *version)
{
    const struct ge_amd_rocm *best = NULL;
    struct ge_version bv = {{0}, 0};
    for (int i = 0; i < a->nrocm; i++) {
        struct ge_version v;
        if (ge_version_parse(&v, a->rocm[i].version, 1, GE_VERSION_PARTS) == 0 &&
            (!best || ge_version_cmp(&v, &bv) > 0)) {
            best = &a->rocm[i];
            bv = v;
        }
    }
    if (best && version)
        *version = bv;
    return best;
}

void ge_amd_system_rocm(const char *sysroot, char *out, size_t size)
{
    char p[PATH_MAX];
    struct stat st;
    if (size)
        out[0] = '\0';
    ge_path_under(p, sizeof p, sysroot, "/opt/rocm");
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
        ge_strlcpy(out, "/opt/rocm", size);
        return;
    }
    struct ge_amd_info *a = calloc(1, sizeof *a);
    if (!a)
        return;
    ge_amd_detect(sysroot, a);
    const struct ge_amd_rocm *r = ge_amd_newest_rocm(a, NULL);
    size_t rl = sysroot ? strlen(sysroot) : 0; /* the path as the machine sees it, without the sysroot */
    if (r)
        ge_strlcpy(out, rl && strncmp(r->path, sysroot, rl) == 0 ? r->path + rl : r->path, size);
    free(a);
}
