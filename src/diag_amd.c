/* diag_amd.c: what ROCm needs of an AMD machine: the amdgpu driver's /dev/kfd, and each GPU's render
 * node, both openable by this user (the 'render' and 'video' groups). */
#include <stdio.h>
#include <string.h>

#include "doctor.h"

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
        ge_doctor_group_fix(d, x, "/dev/kfd", "'sudo usermod -aG render,video $USER', then log in again");
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
        ge_doctor_group_fix(d, x, dev, "'sudo usermod -aG render,video $USER', then log in again");
    }
    ge_doctor_check(d, "amd", ge_doctor_problems_since(d, before) ? GE_CHECK_PROBLEM : GE_CHECK_OK,
                    "%d AMD GPU%s (first %s), amdgpu %s, %d ROCm install%s", a->ngpus, a->ngpus == 1 ? "" : "s",
                    a->gpus[0].gfx, a->driver_version[0] ? a->driver_version : "?", a->nrocm, a->nrocm == 1 ? "" : "s");
}
