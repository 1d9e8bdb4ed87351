/* diag_project.c: the project: gpuenv.lock against this machine, the prefix against the lock (its
 * record, then every file of every archive where the install placed it: sizes always, SHA-256
 * with --verify), the activation scripts against the prefix's path, the venv against the pins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activate.h"
#include "doctor.h"
#include "fleet.h"
#include "store.h"
#include "str.h"
#include "tree.h"

/* This machine's GPUs in the lock's form, so that the same machine compares equal. */
static void machine_gpus(const struct ge_driver_info *drv, char *out, size_t size)
{
    struct ge_cc cc[GE_MAX_GPUS];
    for (int i = 0; i < drv->ngpus; i++)
        cc[i] = drv->gpus[i].cc;
    ge_lock_gpus_string(cc, drv->ngpus, out, size);
}

/* A lock made for AMD GPUs: its gfx targets against the KFD topology's. */
static void amd_lock_vs_machine(struct ge_doctor *d)
{
    const struct ge_lockfile *l = &d->lock;
    unsigned gfx[GE_MAX_GPUS] = {0};
    int n = 0;
    for (int i = 0; i < d->amd.ngpus && n < GE_MAX_GPUS; i++)
        gfx[n++] = d->amd.gpus[i].gfx_target_version;
    char gpus[128];
    ge_lock_gfx_string(gfx, n, gpus, sizeof gpus);
    if (!n || !l->host_gpus[0] || strcmp(l->host_gpus, gpus) == 0)
        return;
    struct ge_finding *x = ge_finding_add(&d->findings, GE_F_LOCK_OTHER_MACHINE, GE_SEV_WARNING, "gpuenv.lock",
                                          "gpuenv.lock was resolved for AMD GPUs %s, this machine has %s",
                                          l->host_gpus, gpus);
    ge_finding_evidence(x, "gpuenv.lock", "GPUs %s", l->host_gpus);
    ge_finding_evidence(x, "this machine", "GPUs %s (KFD topology)", gpus);
    ge_finding_fix(x, false, false, "resolve again for this machine: 'gpuenv install -C %s' with the project's "
                   "requirements (or check the plan first with 'gpuenv resolve')", d->project_dir);
}

/* A fleet's lock: this machine must be one of its node types (ge_fleet_match). */
static void fleet_lock_vs_machine(struct ge_doctor *d)
{
    const struct ge_lockfile *l = &d->lock;
    struct ge_host_facts *me = calloc(1, sizeof *me);
    if (!me)
        return;
    if (d->drv_ok) {
        me->driver_known = ge_doctor_vparse(d->drv.version, &me->driver.v) == 0;
        ge_strlcpy(me->driver.s, d->drv.version, sizeof me->driver.s);
        me->gpus_known = true;
        for (int i = 0; i < d->drv.ngpus && i < GE_MAX_GPUS; i++)
            me->gpus[me->ngpus++] = d->drv.gpus[i].cc;
    }
    me->amd_known = true;
    for (int i = 0; i < d->amd.ngpus && me->namd < GE_MAX_GPUS; i++)
        me->amd[me->namd++] = d->amd.gpus[i].gfx_target_version;
    char why[768];
    if (ge_fleet_match(l, me, why, sizeof why) < 0) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_LOCK_OTHER_MACHINE, GE_SEV_WARNING, "gpuenv.lock",
                                              "this machine is none of the %d node types gpuenv.lock was resolved for: %s",
                                              l->nhosts, why);
        for (int i = 0; i < l->nhosts && i < 4; i++)
            ge_finding_evidence(x, "gpuenv.lock", "node type %s: driver %s, GPUs %s", l->hosts[i].name,
                                l->hosts[i].driver[0] ? l->hosts[i].driver : "none",
                                l->hosts[i].gpus[0] ? l->hosts[i].gpus : "none");
        ge_finding_fix(x, false, false, "add this machine's 'gpuenv detect --json' with --host and lock again: "
                       "'gpuenv lock -C %s --host ...' with the project's requirements", d->project_dir);
    }
    free(me);
}

static void lock_vs_machine(struct ge_doctor *d)
{
    const struct ge_lockfile *l = &d->lock;
    if (l->nhosts) {
        fleet_lock_vs_machine(d);
        return;
    }
    if (strcmp(l->vendor, "amd") == 0) {
        amd_lock_vs_machine(d);
        return;
    }
    if (!d->drv_ok)
        return;
    char gpus[128];
    machine_gpus(&d->drv, gpus, sizeof gpus);
    struct ge_version lv, mv;
    bool older = l->host_driver[0] && d->drv.version[0] && ge_doctor_vparse(l->host_driver, &lv) == 0 &&
                 ge_doctor_vparse(d->drv.version, &mv) == 0 && ge_version_cmp(&mv, &lv) < 0;
    bool other_gpus = l->host_gpus[0] && strcmp(l->host_gpus, gpus) != 0;
    if (!older && !other_gpus)
        return;
    struct ge_finding *x = ge_finding_add(&d->findings, GE_F_LOCK_OTHER_MACHINE, GE_SEV_WARNING, "gpuenv.lock",
                                          "gpuenv.lock was resolved for %s%s%s%s%s, this machine has %s%s%s%s%s", older ? "driver " : "",
                                          older ? l->host_driver : "", older && other_gpus ? " and " : "",
                                          other_gpus ? "GPUs " : "", other_gpus ? l->host_gpus : "", older ? "driver " : "",
                                          older ? d->drv.version : "", older && other_gpus ? " and " : "", other_gpus ? "GPUs " : "",
                                          other_gpus ? gpus : "");
    ge_finding_evidence(x, "gpuenv.lock", "host driver %s, GPUs %s", l->host_driver[0] ? l->host_driver : "?",
                        l->host_gpus[0] ? l->host_gpus : "?");
    ge_finding_evidence(x, "this machine", "driver %s, GPUs %s", d->drv.version, gpus);
    ge_finding_fix(x, false, false, "resolve again for this machine: 'gpuenv install -C %s' with the project's "
                   "requirements (or check the plan first with 'gpuenv resolve')", d->project_dir);
}

static void prefix_files(struct ge_doctor *d, int *checked)
{
    char cache[3000];
    if (ge_cache_dir(cache, sizeof cache) < 0)
        return;
    struct ge_store s;
    memset(&s, 0, sizeof s);
    ge_strlcpy(s.dir, cache, sizeof s.dir);
    s.lock_fd = -1;
    size_t missing = 0, changed = 0, files = 0, no_index = 0;
    char first[4096 + 64] = "";
    for (size_t i = 0; i < d->lock.n; i++) {
        const struct ge_lock_archive *a = &d->lock.archives[i];
        char index[PATH_MAX];
        ge_store_index_path(&s, a->sha256, index, sizeof index);
        if (access(index, R_OK) != 0) {
            no_index++;
            continue;
        }
        struct ge_tree_diff diff;
        struct ge_err e;
        ge_err_clear(&e);
        if (ge_tree_check_placed(index, d->prefix, a->component, d->o->verify ? GE_TREE_FULL : GE_TREE_QUICK, &diff, &e) < 0) {
            no_index++;
            continue;
        }
        (*checked)++;
        files += diff.files;
        missing += diff.missing;
        changed += diff.changed;
        if (!first[0] && diff.first[0])
            ge_fmt(first, sizeof first, "%s/%s %s (%s)", d->prefix, diff.first, diff.first_why, a->component);
    }
    if (missing || changed) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_PREFIX_CHANGED, GE_SEV_ERROR, d->prefix,
                                              "%zu of the prefix's %zu files are missing and %zu differ from what was installed",
                                              missing, files, changed);
        ge_finding_evidence(x, "first", "%s", first);
        ge_finding_evidence(x, "checked", "%s", d->o->verify ? "sizes and SHA-256" : "sizes (--verify also hashes)");
        ge_finding_fix(x, false, false, "gpuenv install -C %s --locked (puts the pinned files back)", d->project_dir);
    }
    if (no_index && d->lock.n)
        ge_doctor_check(d, "prefix-files", GE_CHECK_SKIPPED, "%zu of %zu archives are no longer in the cache, so their "
                        "files cannot be compared", no_index, d->lock.n);
}

static void activation(struct ge_doctor *d)
{
    for (int sh = 0; sh < GE_SHELL_COUNT; sh++) {
        const char *file = ge_shell_file((enum ge_shell)sh);
        if (!file)
            continue;
        char p[PATH_MAX + 64];
        ge_fmt(p, sizeof p, "%s/%s", d->prefix, file);
        char *text = ge_read_file(p, 1 << 20, NULL);
        if (!text)
            continue;
        bool names_prefix = strstr(text, d->prefix) != NULL;
        free(text);
        if (names_prefix)
            continue;
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_ACTIVATION_STALE, GE_SEV_WARNING, p,
                                              "%s does not name its prefix %s: the project was moved or copied, and "
                                              "activating it would use the old place", file, d->prefix);
        ge_finding_evidence(x, p, "does not contain %s", d->prefix);
        ge_finding_fix(x, false, false, "gpuenv install -C %s --locked (writes the activation for this place)",
                       d->project_dir);
        return; /* one is enough: they are written together */
    }
}

static void venv_vs_lock(struct ge_doctor *d)
{
    const struct ge_lockfile *l = &d->lock;
    char venv[PATH_MAX + 16];
    ge_fmt(venv, sizeof venv, "%s/venv/", d->prefix);
    if (!l->py_framework[0] || !d->py || strncmp(d->python, venv, strlen(venv)) != 0)
        return;
    const cJSON *fw = cJSON_GetObjectItem(cJSON_GetObjectItem(d->py, "frameworks"), l->py_framework);
    const cJSON *v = fw ? cJSON_GetObjectItem(fw, "version") : NULL;
    if (cJSON_IsString(v) && !strcmp(v->valuestring, l->py_framework_version))
        return;
    if (fw && !v)
        return; /* it does not import: said by framework-import-failed */
    struct ge_finding *x = ge_finding_add(&d->findings, GE_F_VENV_NOT_LOCKED, GE_SEV_ERROR, l->py_framework,
                                          "the project's venv has %s %s, gpuenv.lock pins %s", l->py_framework,
                                          cJSON_IsString(v) ? v->valuestring : "missing", l->py_framework_version);
    ge_finding_evidence(x, d->python, "%s %s", l->py_framework, cJSON_IsString(v) ? v->valuestring : "not importable");
    ge_finding_evidence(x, "gpuenv.lock", "%s %s", l->py_framework, l->py_framework_version);
    ge_finding_fix(x, false, false, "gpuenv install -C %s --locked", d->project_dir);
}

void ge_diag_project(struct ge_doctor *d)
{
    if (!d->has_lock) {
        ge_doctor_check(d, "project", GE_CHECK_SKIPPED, "%s%s", d->project_dir[0] ? d->project_dir : "this folder",
                        " has no gpuenv.lock");
        return;
    }
    size_t before = d->findings.n;
    lock_vs_machine(d);
    char record[PATH_MAX + 32];
    ge_fmt(record, sizeof record, "%s/gpuenv-prefix.lock", d->prefix);
    struct ge_lockfile rec;
    ge_lock_init(&rec);
    struct ge_err e;
    ge_err_clear(&e);
    int checked = 0;
    if (access(record, F_OK) != 0 || ge_lock_read(record, &rec, &e) < 0) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_PREFIX_MISSING, GE_SEV_ERROR, d->prefix,
                                              "gpuenv.lock pins an environment, but %s", access(d->prefix, F_OK) ? "there is "
                                              "no prefix" : "the prefix holds no record of an install");
        ge_finding_evidence(x, record, "%s", e.msg[0] ? e.msg : "missing");
        ge_finding_fix(x, false, false, "gpuenv install -C %s --locked", d->project_dir);
    } else if (!ge_lock_same_archives(&rec, &d->lock) || !ge_lock_same_python(&rec, &d->lock)) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_PREFIX_MISSING, GE_SEV_ERROR, d->prefix,
                                              "the prefix holds another environment than gpuenv.lock pins (CUDA %s, "
                                              "cuDNN %s there; CUDA %s, cuDNN %s in the lock)", rec.cuda[0] ? rec.cuda : "-",
                                              rec.cudnn[0] ? rec.cudnn : "-", d->lock.cuda[0] ? d->lock.cuda : "-",
                                              d->lock.cudnn[0] ? d->lock.cudnn : "-");
        ge_finding_evidence(x, record, "another install");
        ge_finding_fix(x, false, false, "gpuenv install -C %s --locked", d->project_dir);
    } else {
        prefix_files(d, &checked);
        activation(d);
        venv_vs_lock(d);
    }
    ge_lock_fini(&rec);
    ge_doctor_check(d, "project", ge_doctor_problems_since(d, before) ? GE_CHECK_PROBLEM : GE_CHECK_OK, "%s: %zu archive%s, %d compared "
                    "file by file%s", d->project_dir, d->lock.n, d->lock.n == 1 ? "" : "s", checked,
                    d->o->verify ? " with SHA-256" : "");
}
