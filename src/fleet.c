/* fleet.c: the node types one plan is for: read from --host files and back from a lock, their
 * facts gathered for the resolver, recorded in gpuenv.lock, and a machine matched against them. */
#include "fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd.h"
#include "hostfile.h"
#include "str.h"

struct ge_fleet_req *ge_fleet_req_new(void)
{
    return calloc(1, sizeof(struct ge_fleet_req));
}

static bool name_taken(const struct ge_fleet_req *fl, const char *name)
{
    for (int i = 0; i < fl->n; i++)
        if (strcmp(fl->names[i], name) == 0)
            return true;
    return false;
}

/* "v100" from "/site/hosts/v100.json"; "stdin" for "-". */
static void file_stem(const char *path, char *out, size_t size)
{
    if (strcmp(path, "-") == 0) {
        ge_strlcpy(out, "stdin", size);
        return;
    }
    const char *b = strrchr(path, '/');
    b = b && b[1] ? b + 1 : path;
    ge_strlcpy(out, b, size);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
    if (!out[0])
        ge_strlcpy(out, "host", size);
}

int ge_fleet_check_req(const struct ge_fleet_req *fl, struct ge_host_req *req, struct ge_err *err)
{
    if (fl->n && ge_host_req_overrides(req)) {
        ge_err_set(err, GE_EXIT_USAGE, "--host and --driver or --gpu both describe the machine");
        ge_err_hint(err, "give one of them");
        return -1;
    }
    return fl->n ? 0 : ge_host_req_from_env(req, err);
}

int ge_fleet_add_file(struct ge_fleet_req *fl, const char *path, struct ge_err *err)
{
    struct ge_host_req *got = calloc(GE_FLEET_MAX, sizeof *got);
    if (!got)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    int n = 0, rc = ge_hostfile_read(path, got, GE_FLEET_MAX, &n, err);
    char stem[48];
    file_stem(path, stem, sizeof stem);
    for (int i = 0; rc == 0 && i < n; i++) {
        bool seen = false;
        for (int k = 0; k < fl->n && !seen; k++)
            seen = ge_host_req_same(&fl->reqs[k], &got[i]);
        if (seen)
            continue;
        if (fl->n == GE_FLEET_MAX) {
            rc = ge_err_set(err, GE_EXIT_USAGE, "--host %s: more than %d node types in all", path, GE_FLEET_MAX);
            ge_err_hint(err, "one lock serves at most %d node types: split the fleet", GE_FLEET_MAX);
            break;
        }
        char name[64];
        if (n > 1)
            snprintf(name, sizeof name, "%s#%d", stem, i + 1);
        else
            snprintf(name, sizeof name, "%s", stem);
        for (int k = 2; name_taken(fl, name); k++)
            snprintf(name, sizeof name, "%s#%d", stem, k + (n > 1 ? n - 1 : 0));
        ge_strlcpy(fl->names[fl->n], name, sizeof fl->names[0]);
        fl->reqs[fl->n++] = got[i];
    }
    free(got);
    return rc;
}

int ge_fleet_from_lock(struct ge_fleet_req *fl, const struct ge_lockfile *l, struct ge_err *err)
{
    fl->n = 0;
    for (int i = 0; i < l->nhosts && i < GE_FLEET_MAX; i++) {
        const struct ge_lock_host *h = &l->hosts[i];
        struct ge_host_req *r = &fl->reqs[fl->n];
        struct ge_err e;
        ge_err_clear(&e);
        ge_host_req_init(r);
        if ((h->driver[0] && ge_host_set_driver(r, h->driver, "its driver", &e) < 0) ||
            (h->gpus[0] && ge_host_add_gpus(r, h->gpus, "its GPUs", &e) < 0)) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "gpuenv.lock: hosts: %s: %s", h->name, e.msg);
            ge_err_hint(err, "the lock was edited or is damaged: restore it from version control, or run 'gpuenv lock' "
                             "again");
            return -1;
        }
        r->gpus_given = true; /* none listed: a node without GPUs */
        ge_strlcpy(fl->names[fl->n++], h->name, sizeof fl->names[0]);
    }
    return 0;
}

int ge_fleet_gather(const struct ge_fleet_req *fl, const char *python, const char *platform, const char *arch,
                    const struct ge_matrix *m, struct ge_fleet_host *hosts, struct ge_host_view *view,
                    struct ge_err *err)
{
    struct ge_host_view *v = calloc(1, sizeof *v);
    if (!v)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    int rc = 0;
    for (int k = 0; k < fl->n && rc == 0; k++) {
        /* the Python is the fleet's one: found once, then given to the others as X.Y */
        const char *py = k && view->f.python_known ? view->f.python.s : python;
        memset(k ? v : view, 0, sizeof *v);
        if (ge_host_gather(&fl->reqs[k], py, platform, arch, m, k ? v : view, err) < 0) {
            if (err->status == GE_EXIT_USAGE && fl->n > 1)
                ge_err_prefix(err, "%s", fl->names[k]);
            rc = -1;
            break;
        }
        ge_strlcpy(hosts[k].name, fl->names[k], sizeof hosts[k].name);
        hosts[k].f = k ? v->f : view->f;
    }
    free(v);
    return rc;
}

void ge_fleet_to_lock(const struct ge_fleet_host *hosts, int n, bool amd, struct ge_lockfile *l)
{
    l->nhosts = 0;
    for (int k = 0; k < n && k < GE_LOCK_MAX_HOSTS; k++) {
        const struct ge_host_facts *f = &hosts[k].f;
        struct ge_lock_host *h = &l->hosts[l->nhosts++];
        ge_strlcpy(h->name, hosts[k].name, sizeof h->name);
        ge_strlcpy(h->driver, f->driver_known ? f->driver.s : "", sizeof h->driver);
        if (amd)
            ge_lock_gfx_string(f->amd, f->amd_known ? f->namd : 0, h->gpus, sizeof h->gpus);
        else
            ge_lock_gpus_string(f->gpus, f->gpus_known ? f->ngpus : 0, h->gpus, sizeof h->gpus);
    }
}

/* Whether the comma-separated lists a and b hold the same items, counting none twice. */
static bool same_kinds(const char *a, const char *b)
{
    const char *lists[2] = {a, b};
    for (int s = 0; s < 2; s++) {
        const char *p = lists[s], *other = lists[1 - s];
        while (*p) {
            size_t n = strcspn(p, ",");
            bool found = false;
            for (const char *q = other; *q && !found;) {
                size_t m = strcspn(q, ",");
                found = m == n && strncmp(p, q, n) == 0;
                q += m + (q[m] == ',');
            }
            if (!found)
                return false;
            p += n + (p[n] == ',');
        }
    }
    return true;
}

int ge_fleet_match(const struct ge_lockfile *l, const struct ge_host_facts *me, char *why, size_t size)
{
    if (!l->nhosts)
        return 0;
    bool amd = strcmp(l->vendor, "amd") == 0;
    char gpus[128] = "";
    if (amd)
        ge_lock_gfx_string(me->amd, me->amd_known ? me->namd : 0, gpus, sizeof gpus);
    else
        ge_lock_gpus_string(me->gpus, me->gpus_known ? me->ngpus : 0, gpus, sizeof gpus);
    const char *nearest = NULL;
    for (int i = 0; i < l->nhosts; i++) {
        const struct ge_lock_host *h = &l->hosts[i];
        if (!same_kinds(h->gpus, gpus))
            continue;
        struct ge_version lv;
        if (!h->driver[0] || amd || !me->driver_known || ge_driver_version_parse(&lv, h->driver) < 0 ||
            ge_version_cmp(&me->driver.v, &lv) >= 0)
            return i;
        nearest = nearest ? nearest : h->name;
        snprintf(why, size, "its GPUs are those of %s, but its driver %s is older than %s's %s, which the plan was "
                 "checked against", h->name, me->driver.s, h->name, h->driver);
    }
    if (!nearest) {
        struct ge_buf b;
        ge_buf_init(&b);
        for (int i = 0; i < l->nhosts; i++)
            ge_buf_addf(&b, "%s%s (%s)", i ? ", " : "", l->hosts[i].name,
                        l->hosts[i].gpus[0] ? l->hosts[i].gpus : "no GPU");
        snprintf(why, size, "its GPUs (%s) are those of none of the lock's node types: %s", gpus[0] ? gpus : "none",
                 ge_buf_str(&b));
        ge_buf_fini(&b);
    }
    return -1;
}
