/* resolve_amd.c: the resolver for a machine's AMD GPUs: PyTorch's ROCm wheels (pytorch_rocm.json),
 * TensorFlow's and JAX's ROCm builds (tensorflow_rocm.json, jax_rocm.json), each checked on the
 * platform, the Python, and the gfx target of every GPU: a code object exists for exactly the
 * targets a build lists. A target no build carries may run the code of another target of its LLVM
 * family through HSA_OVERRIDE_GFX_VERSION, which AMD does not support: gpuenv names it in a hint
 * where the family is sourced, and plans with it only when asked (--hsa-override). Pure, as
 * resolve.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd.h"
#include "resolve_int.h"

/* ---- which vendor ---- */

static bool label_is(const struct ge_req *r, const char *prefix)
{
    return r->local[0] && strncmp(r->local, prefix, strlen(prefix)) == 0;
}

static void gpu_names(const struct ge_host_facts *h, bool amd, char *out, size_t size)
{
    size_t l = 0;
    out[0] = '\0';
    for (int g = 0; g < (amd ? h->namd : h->ngpus) && l + 1 < size; g++) {
        char n[16];
        if (amd)
            ge_amd_gfx_name(h->amd[g], n, sizeof n);
        else
            ge_cc_format(h->gpus[g], n, sizeof n);
        snprintf(out + l, size - l, "%s%s", g ? ", " : "", n);
        l = strlen(out);
    }
}

int ge_rs_vendor(const struct ge_host_facts *h, const struct ge_req *reqs, int nreqs, const struct ge_resolve_opts *o,
                 bool *amd, struct ge_err *err)
{
    const struct ge_req *rocm = NULL, *nvidia = NULL, *fw = NULL;
    for (int i = 0; i < nreqs; i++) {
        const struct ge_req *r = &reqs[i];
        if (label_is(r, "rocm"))
            rocm = r;
        else if (label_is(r, "cu") || r->pkg == GE_PKG_CUDA || r->pkg == GE_PKG_CUDNN ||
                 (r->pkg == GE_PKG_JAX && r->nextras && strncmp(r->extras[0], "cuda", 4) == 0) ||
                 (r->pkg == GE_PKG_TENSORFLOW && r->nextras))
            nvidia = r;
        if (r->pkg == GE_PKG_TORCH || r->pkg == GE_PKG_TORCHVISION || r->pkg == GE_PKG_TORCHAUDIO ||
            r->pkg == GE_PKG_TENSORFLOW || r->pkg == GE_PKG_JAX)
            fw = r;
    }
    if (rocm && nvidia) {
        ge_err_set(err, GE_EXIT_USAGE, "'%s' is a ROCm build and '%s' is for NVIDIA's GPUs: a plan is for one vendor",
                   rocm->text, nvidia->text);
        ge_err_hint(err, "keep the requirements of one vendor");
        return -1;
    }
    bool has_amd = h->amd_known && h->namd > 0, has_nv = h->gpus_known && h->ngpus > 0;
    switch (o->vendor) {
    case GE_VENDOR_NVIDIA:
        if (rocm) {
            ge_err_set(err, GE_EXIT_USAGE, "'%s' is a ROCm build, for AMD GPUs, not --vendor nvidia", rocm->text);
            ge_err_hint(err, "drop the +rocm label, or use --vendor amd");
            return -1;
        }
        *amd = false;
        break;
    case GE_VENDOR_AMD:
        if (nvidia) {
            ge_err_set(err, GE_EXIT_USAGE, "'%s' is for NVIDIA's GPUs, not --vendor amd", nvidia->text);
            ge_err_hint(err, "on AMD GPUs, ask for the framework alone (torch, tensorflow, jax): its ROCm build "
                             "brings what it needs");
            return -1;
        }
        *amd = true;
        break;
    default:
        if (rocm || nvidia) {
            *amd = rocm != NULL;
            break;
        }
        if (has_amd && has_nv) {
            char a[128], nv[128];
            gpu_names(h, true, a, sizeof a);
            gpu_names(h, false, nv, sizeof nv);
            ge_err_set(err, GE_EXIT_USAGE, "this machine has NVIDIA GPUs (%s) and AMD GPUs (%s): a plan is for one "
                                           "vendor's GPUs", nv, a);
            ge_err_hint(err, "choose with --vendor nvidia or --vendor amd");
            return -1;
        }
        *amd = has_amd && !has_nv;
        break;
    }
    if (*amd && !fw) {
        ge_err_set(err, GE_EXIT_USAGE, "for AMD GPUs gpuenv resolves a framework (torch, tensorflow or jax), not a "
                                       "toolkit alone");
        ge_err_hint(err, "ask for one: 'gpuenv resolve torch'; ROCm itself comes from AMD's packages "
                         "(amdgpu-install) or the distribution");
        return -1;
    }
    return 0;
}

/* ---- candidates ---- */

static const char *fw_name(enum ge_pkg fw)
{
    return fw == GE_PKG_TENSORFLOW ? "tensorflow" : fw == GE_PKG_JAX ? "jax" : "torch";
}

size_t ge_rs_amd_count(const struct rctx *x)
{
    size_t n = x->m->nrocm_builds + x->m->ntorch;
    for (size_t i = 0; i < x->m->ntorch_rocm; i++)
        n += (size_t)x->m->torch_rocm[i].nvariants;
    return n;
}

static bool rocm_label_matches(const struct rctx *x, const char *name)
{
    const struct ge_req *rs[] = {x->fw_req, x->vision_req, x->audio_req};
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
        if (rs[i] && rs[i]->local[0] && strcmp(rs[i]->local, name) != 0)
            return false;
    return true;
}

int ge_rs_amd_candidates(struct rctx *x, struct cand *cs, size_t *k, struct ge_err *err)
{
    const struct ge_matrix *m = x->m;
    if (x->fw == GE_PKG_TORCH) {
        if (!m->ntorch_rocm) {
            ge_err_set(err, GE_EXIT_NO_SOLUTION, "the matrix holds no ROCm builds of torch (no pytorch_rocm.json in %s)",
                       m->dir);
            ge_err_hint(err, "use gpuenv's own data folder, or add pytorch_rocm.json to this one");
            return -1;
        }
        for (size_t i = m->ntorch; i-- > 0;) {
            const struct ge_torch_release *r = &m->torch[i];
            if (!ge_rs_torch_wanted(x, r))
                continue;
            const struct ge_torch_rocm_release *rr = ge_matrix_torch_rocm(m, &r->version.v);
            if (!rr) { /* a release the ROCm file does not cover: not known, said as such */
                if (x->fw_req && x->fw_req->local[0])
                    continue;
                struct cand *c = &cs[(*k)++];
                c->fw = GE_PKG_TORCH, c->amd = true, c->tr = r, c->version = r->version.v;
                continue;
            }
            int order[GE_MAX_ROCM_VARIANTS]; /* newest ROCm first */
            const struct ge_version *key[GE_MAX_ROCM_VARIANTS];
            for (int j = 0; j < rr->nvariants; j++)
                key[j] = &rr->variants[j].rocm.v;
            ge_rs_newest_first(key, rr->nvariants, order);
            for (int j = 0; j < rr->nvariants; j++) {
                const struct ge_rocm_variant *v = &rr->variants[order[j]];
                if (!rocm_label_matches(x, v->name))
                    continue;
                struct cand *c = &cs[(*k)++];
                c->fw = GE_PKG_TORCH, c->amd = true, c->tr = r, c->rr = rr, c->rv = v, c->version = r->version.v;
            }
        }
        return 0;
    }
    const char *name = fw_name(x->fw);
    bool any = false;
    for (size_t i = m->nrocm_builds; i-- > 0;) {
        const struct ge_rocm_build *b = &m->rocm_builds[i];
        if (strcmp(b->framework, name) != 0)
            continue;
        any = true;
        if (x->fw_req && !ge_req_match(x->fw_req, &b->version.v))
            continue;
        struct cand *c = &cs[(*k)++];
        c->fw = x->fw, c->amd = true, c->rb = b, c->version = b->version.v;
        for (size_t t = 0; x->fw == GE_PKG_TENSORFLOW && t < m->ntf; t++)
            if (ge_version_cmp(&m->tf[t].version.v, &b->version.v) == 0)
                c->tf = &m->tf[t];
        for (size_t t = 0; x->fw == GE_PKG_JAX && t < m->njax; t++)
            if (ge_version_cmp(&m->jax[t].version.v, &b->version.v) == 0)
                c->jr = &m->jax[t];
    }
    if (!any) {
        ge_err_set(err, GE_EXIT_NO_SOLUTION, "the matrix holds no ROCm builds of %s (no %s_rocm.json in %s)", name, name,
                   m->dir);
        ge_err_hint(err, "use gpuenv's own data folder, or resolve torch, whose ROCm wheels the matrix holds");
        return -1;
    }
    return 0;
}

void ge_rs_amd_label(struct cand *c)
{
    char v[24];
    ge_version_format(&c->version, v, sizeof v);
    if (c->rv)
        snprintf(c->out->label, sizeof c->out->label, "torch %s %s", v, c->rv->name);
    else if (c->rb)
        (void)ge_fmt(c->out->label, sizeof c->out->label, "%s %s rocm%s", c->rb->framework, v, c->rb->rocm.s);
    else
        snprintf(c->out->label, sizeof c->out->label, "torch %s rocm", v);
}

/* ---- the dimensions ---- */

void ge_rs_amd_check_platform(const struct rctx *x, struct cand *c)
{
    if (strcmp(x->h->platform, "linux") != 0 || strcmp(x->h->arch, "x86_64") != 0)
        ge_rs_fail(c, GE_REASON_PLATFORM, "%s is built for linux x86_64 only, not %s %s (ROCm builds exist for no other "
                   "platform)", c->out->label, x->h->platform, x->h->arch);
}

const struct ge_ver *ge_rs_amd_pythons(const struct cand *c, int *n)
{
    /* torch's ROCm wheels come from the same release build as its CUDA ones: the release's
     * Python versions (data/pytorch_rocm.json says where that is not checked per variant) */
    if (c->tr) {
        *n = c->tr->npython;
        return c->tr->python;
    }
    if (c->rb && c->rb->npython) {
        *n = c->rb->npython;
        return c->rb->python;
    }
    /* AMD's own builds where their Python set is not recorded: the framework release's (a policy,
     * said in the plan's notes) */
    if (c->tf) {
        *n = c->tf->npython;
        return c->tf->python;
    }
    if (c->jr) {
        *n = c->jr->npython;
        return c->jr->python;
    }
    *n = 0;
    return NULL;
}

static void gfx_text(unsigned gfx, char *out, size_t size)
{
    if (ge_amd_gfx_name(gfx, out, size) < 0)
        snprintf(out, size, "%u", gfx);
}

/* The target whose code the machine's GPUs could all run by the override: one the build carries,
 * of the family of every GPU that lacks its own; the family's lowest such member. 0 for none. */
static unsigned override_target(const struct rctx *x, const unsigned *gfx, int ngfx, const struct ge_gfx_family **fam)
{
    const struct ge_host_facts *h = x->h;
    unsigned target = 0;
    *fam = NULL;
    if (!x->m->hsa_override[0])
        return 0; /* the variable itself is not sourced */
    for (int g = 0; g < h->namd; g++) {
        if (ge_gfx_list_has(gfx, ngfx, h->amd[g]))
            continue;
        const struct ge_gfx_family *f = ge_matrix_gfx_family(x->m, h->amd[g]);
        if (!f || (*fam && f != *fam))
            return 0;
        *fam = f;
        for (int i = 0; i < f->nmembers && !target; i++)
            if (ge_gfx_list_has(gfx, ngfx, f->members[i]))
                target = f->members[i];
        if (!target)
            return 0;
    }
    /* the variable applies to every GPU: each must then run the target's code */
    for (int g = 0; target && g < h->namd; g++)
        if (h->amd[g] != target && !ge_gfx_list_has((*fam)->members, (*fam)->nmembers, h->amd[g]))
            return 0;
    return target;
}

/* The ROCm release of v (X.Y: its newest X.Y.z) whose officially supported targets are known. */
static const struct ge_rocm_release *official_list(const struct ge_matrix *m, const struct ge_ver *v)
{
    for (size_t i = m->nrocm; i-- > 0;) {
        const struct ge_rocm_release *r = &m->rocm[i];
        bool same = v->v.n >= 3 ? ge_version_cmp(&r->version.v, &v->v) == 0
                                : r->version.v.part[0] == v->v.part[0] && r->version.v.part[1] == v->v.part[1];
        if (same && r->ngfx)
            return r;
    }
    return NULL;
}

void ge_rs_amd_check_gpus(const struct rctx *x, struct cand *c)
{
    const struct ge_host_facts *h = x->h;
    if (!h->amd_known || h->namd == 0)
        return;
    const unsigned *gfx = c->rv ? c->rv->gfx : c->rb ? c->rb->gfx : NULL;
    int ngfx = c->rv ? c->rv->ngfx : c->rb ? c->rb->ngfx : 0;
    if (!c->rv && !c->rb) {
        ge_rs_unknown(c, GE_REASON_GPU, "the matrix lacks torch %s's ROCm wheels", c->tr->version.s);
        return;
    }
    if (ngfx == 0 && c->rb) {
        /* AMD lists TensorFlow and JAX in each ROCm release's compatibility matrix: a GPU that
         * release supports officially is one its builds serve (a policy, said in the plan) */
        const struct ge_rocm_release *rr = official_list(x->m, &c->rb->rocm);
        for (int g = 0; rr && g < h->namd; g++)
            if (!ge_gfx_list_has(rr->gfx, rr->ngfx, h->amd[g]))
                rr = NULL;
        if (rr) {
            c->by_rocm_list = true;
            return;
        }
    }
    if (ngfx == 0) {
        ge_rs_unknown(c, GE_REASON_GPU, "the matrix does not list the gfx targets of %s", c->out->label);
        return;
    }
    int missing = -1;
    for (int g = 0; g < h->namd && missing < 0; g++)
        if (!ge_gfx_list_has(gfx, ngfx, h->amd[g]))
            missing = g;
    if (missing < 0)
        return;
    const struct ge_gfx_family *fam;
    unsigned target = override_target(x, gfx, ngfx, &fam);
    char name[16], tname[16], val[16], list[200];
    gfx_text(h->amd[missing], name, sizeof name);
    if (target) {
        gfx_text(target, tname, sizeof tname);
        ge_amd_override_value(target, val, sizeof val);
        if (x->o->hsa_override) {
            c->override_gfx = target;
            return;
        }
        if (x->amd_hint && !x->amd_hint[0])
            (void)ge_fmt(x->amd_hint, 256, "%s=%s makes the runtime load %s's %s code on the %s (one LLVM family, %s); AMD "
                     "does not support it and it may crash or compute wrong: --hsa-override plans with it",
                     x->m->hsa_override, val, c->out->label, tname, name, fam->name);
    }
    ge_gfx_list_format(gfx, ngfx, list, sizeof list);
    ge_rs_fail(c, GE_REASON_GPU, "%s has no code object for %s (GPU %d); it carries %s", c->out->label, name, missing,
               list);
}

/* A build that loads the system's ROCm (tensorflow's, jax's) needs one at least as new as its own. */
void ge_rs_amd_check_runtime(const struct rctx *x, struct cand *c)
{
    const struct ge_host_facts *h = x->h;
    if (!c->rb || !h->rocm_known)
        return;
    struct ge_version have = h->rocm.v, want = c->rb->rocm.v;
    have.n = want.n = 2; /* X.Y: a build for 6.0 runs on 6.0.z */
    if (ge_version_cmp(&have, &want) < 0)
        ge_rs_fail(c, GE_REASON_DRIVER, "%s loads the system's ROCm and needs ROCm %s or newer; this machine has ROCm %s",
                   c->out->label, c->rb->rocm.s, h->rocm.s);
}

/* ---- the plan ---- */

/* MIOpen of a ROCm version: that release's, or, for a bare X.Y, the one every X.Y.z shares. */
static const struct ge_rocm_release *rocm_release_for(const struct ge_matrix *m, const struct ge_ver *v,
                                                      bool *miopen_known)
{
    *miopen_known = false;
    if (v->v.n >= 3) {
        const struct ge_rocm_release *r = ge_matrix_rocm(m, &v->v);
        *miopen_known = r && r->has_miopen;
        return r;
    }
    const struct ge_rocm_release *first = NULL;
    for (size_t i = 0; i < m->nrocm; i++) {
        const struct ge_rocm_release *r = &m->rocm[i];
        if (r->version.v.part[0] != v->v.part[0] || r->version.v.part[1] != v->v.part[1])
            continue;
        if (!r->has_miopen)
            return NULL;
        if (first && ge_version_cmp(&first->miopen.v, &r->miopen.v) != 0)
            return NULL;
        first = first ? first : r;
    }
    *miopen_known = first != NULL;
    return first;
}

void ge_rs_amd_plan(const struct rctx *x, const struct cand *c, struct ge_plan *p, struct ge_buf *pip)
{
    struct ge_plan_pkg *k;
    char v[24];
    ge_version_format(&c->version, v, sizeof v);
    const struct ge_ver *rocm = c->rv ? &c->rv->rocm : &c->rb->rocm;
    if (c->rv) {
        const char *pkgs[3] = {"torch", x->vision_req ? "torchvision" : NULL, x->audio_req ? "torchaudio" : NULL};
        const char *vers[3] = {v, c->tr->vision.s, c->tr->audio.s};
        for (int i = 0; i < 3; i++) {
            if (!pkgs[i] || !(k = ge_rs_add_pkg(p, pkgs[i])))
                continue;
            ge_strlcpy(k->version, vers[i], sizeof k->version);
            ge_strlcpy(k->variant, c->rv->name, sizeof k->variant);
            if (i == 0)
                ge_matrix_torch_index_url(x->m, c->rv->name, k->index_url, sizeof k->index_url);
            ge_buf_addf(pip, "%s%s==%s", i ? " " : "pip install ", pkgs[i], vers[i]);
        }
        if (c->rv->gfx_inferred)
            ge_rs_note(p, "%s's gfx targets are main's list at the release's branch cut, not read at the tag "
                          "(data/pytorch_rocm.json policy 'main-at-branch-cut')", c->out->label);
        ge_rs_note(p, "PyTorch's ROCm wheels bring their own ROCm %s user space (HIP, MIOpen, the math libraries: in the "
                      "wheel, or from rocm7.14 on as AMD's rocm pip packages it requires): the machine needs the amdgpu "
                      "driver and access to /dev/kfd and /dev/dri, not a ROCm install", rocm->s);
    } else {
        for (int i = 0; i < c->rb->npkgs; i++)
            if ((k = ge_rs_add_pkg(p, c->rb->pkgs[i].name))) {
                ge_strlcpy(k->version, c->rb->pkgs[i].version, sizeof k->version);
                ge_strlcpy(k->find_links, c->rb->find_links, sizeof k->find_links);
                ge_buf_addf(pip, "%s%s==%s", i ? " " : "pip install ", c->rb->pkgs[i].name, c->rb->pkgs[i].version);
            }
        if (c->rb->find_links[0])
            ge_buf_addf(pip, " -f %s", c->rb->find_links);
        ge_rs_note(p, "%s's ROCm build loads the system's ROCm %s (/opt/rocm): install it from AMD's packages",
                   c->rb->framework, rocm->s);
        if (c->by_rocm_list)
            ge_rs_note(p, "the gfx targets of %s's ROCm %s build are not recorded: the GPUs are ones ROCm %s supports "
                          "officially, where AMD lists %s %s", c->rb->framework, rocm->s, rocm->s, c->rb->framework, v);
        if (!c->rb->npython)
            ge_rs_note(p, "the Python versions of %s's ROCm wheels are not recorded: the plan assumes %s %s's own",
                       c->rb->framework, c->rb->framework, v);
    }
    bool miopen_known;
    const struct ge_rocm_release *rr = rocm_release_for(x->m, rocm, &miopen_known);
    if ((k = ge_rs_add_pkg(p, "rocm")))
        ge_strlcpy(k->version, rocm->s, sizeof k->version);
    if (miopen_known && (k = ge_rs_add_pkg(p, "miopen")))
        ge_strlcpy(k->version, rr->miopen.s, sizeof k->version);
    if (c->override_gfx) {
        char name[16], tname[16];
        ge_amd_override_value(c->override_gfx, p->hsa_override, sizeof p->hsa_override);
        gfx_text(c->override_gfx, tname, sizeof tname);
        for (int g = 0; g < x->h->namd; g++)
            if (x->h->amd[g] != c->override_gfx) {
                gfx_text(x->h->amd[g], name, sizeof name);
                break;
            }
        ge_rs_note(p, "--hsa-override: %s=%s makes the runtime load %s code on the %s; AMD does not support this and "
                      "it may crash or compute wrong", x->m->hsa_override, p->hsa_override, tname, name);
    }
}
