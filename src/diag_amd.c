/* diag_amd.c: what ROCm needs of an AMD machine: the amdgpu driver's /dev/kfd, and each GPU's render
 * node, both openable by this user (the 'render' and 'video' groups). */
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor.h"

/* The fix for a device file this user cannot open: join the group that owns it. */
static void join_group_fix(struct ge_doctor *d, struct ge_finding *x, const char *dev)
{
    char p[PATH_MAX];
    ge_doctor_path(d, dev, p, sizeof p);
    struct stat st;
    struct group *g = stat(p, &st) == 0 ? getgrgid(st.st_gid) : NULL;
    if (g && st.st_gid != 0) {
        ge_finding_evidence(x, dev, "mode %04o, group %s", (unsigned)(st.st_mode & 07777), g->gr_name);
        ge_finding_fix(x, true, true, "'sudo usermod -aG %s $USER', then log in again", g->gr_name);
    } else {
        ge_finding_fix(x, true, true, "'sudo usermod -aG render,video $USER', then log in again");
    }
}

void ge_diag_amd(struct ge_doctor *d)
{
    const struct ge_amd_info *a = &d->amd;
    if (!a->ngpus) {
        ge_doctor_check(d, "amd", GE_CHECK_SKIPPED, "no AMD GPU in the KFD topology");
        return;
    }
    size_t before = d->findings.n;
    struct ge_finding *x;
    if (!a->kfd_exists) {
        x = ge_finding_add(&d->findings, GE_F_AMD_KFD_MISSING, GE_SEV_ERROR, "/dev/kfd",
                           "%d AMD GPU%s, but no /dev/kfd: ROCm cannot reach them", a->ngpus, a->ngpus == 1 ? "" : "s");
        ge_finding_evidence(x, "/dev/kfd", "missing");
        ge_finding_fix(x, false, false, "in a container, pass the devices ('docker run --device=/dev/kfd --device=/dev/dri "
                       "...'); on the host, load the driver ('sudo modprobe amdgpu')");
    } else if (!a->kfd_access) {
        x = ge_finding_add(&d->findings, GE_F_AMD_KFD_DENIED, GE_SEV_ERROR, "/dev/kfd", "this user cannot open /dev/kfd");
        join_group_fix(d, x, "/dev/kfd");
    }
    for (int i = 0; i < a->ngpus; i++) {
        const struct ge_amd_gpu *g = &a->gpus[i];
        if (g->render_minor < 0 || g->render_access)
            continue;
        char dev[48];
        snprintf(dev, sizeof dev, "/dev/dri/renderD%d", g->render_minor);
        x = ge_finding_add(&d->findings, GE_F_AMD_RENDER_DENIED, GE_SEV_ERROR, dev,
                           "this user cannot open %s, the render node of the %s at %s", dev, g->gfx,
                           g->pci_bus_id[0] ? g->pci_bus_id : "?");
        join_group_fix(d, x, dev);
    }
    ge_doctor_check(d, "amd", ge_doctor_problems_since(d, before) ? GE_CHECK_PROBLEM : GE_CHECK_OK,
                    "%d AMD GPU%s (first %s), amdgpu %s, %d ROCm install%s", a->ngpus, a->ngpus == 1 ? "" : "s",
                    a->gpus[0].gfx, a->driver_version[0] ? a->driver_version : "?", a->nrocm, a->nrocm == 1 ? "" : "s");
}
