/* resolve_int.h: what resolve.c and resolve_amd.c share: the candidates, the context of one
 * resolution, and the helpers that record why a candidate fails and build the plan. Internal to
 * the resolver. */
#ifndef GE_RESOLVE_INT_H
#define GE_RESOLVE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "resolve.h"
#include "str.h"

/* One way to satisfy the request: a framework build (torch variant, tensorflow release, jax
 * extra) or, without a framework, a CUDA toolkit release. */
struct cand {
    enum ge_pkg fw;
    const struct ge_torch_release *tr;
    const struct ge_torch_variant *tv;
    const struct ge_tf_release *tf;
    const struct ge_jax_release *jr;
    const struct ge_jax_extra *jx;
    bool amd;                            /* a ROCm build: the fields below, not the CUDA ones */
    const struct ge_torch_rocm_release *rr;
    const struct ge_rocm_variant *rv;    /* torch's ROCm wheels */
    const struct ge_rocm_build *rb;      /* tensorflow's or jax's ROCm build */
    unsigned override_gfx;               /* --hsa-override: the target a GPU runs the code of, 0 for none */
    bool by_rocm_list;                   /* its GPUs are checked on its ROCm release's official list */
    struct ge_version version;           /* the framework's (or the toolkit's) version */
    bool has_cuda;
    struct ge_version cuda;              /* the CUDA it is built for: X.Y or X.Y.Z */
    const struct ge_cuda_release *cuda_rel; /* the toolkit release that goes with it */
    const struct ge_cudnn_release *cudnn_rel;
    int cudnn_major;
    const char *py_for;                  /* the Python chosen for it */
    bool off_platform;                   /* torch: the release has no build for the host's platform */
    struct ge_candidate *out;
};

struct rctx {
    const struct ge_matrix *m;
    const struct ge_host_facts *h;       /* the host being checked (the fleet's first outside checks) */
    const struct ge_fleet_host *hosts;   /* every host the plan must run on */
    int nhosts;                          /* 0 when host facts are not to be checked at all */
    const struct ge_resolve_opts *o;
    const struct ge_req *fw_req, *vision_req, *audio_req, *cuda_req, *cudnn_req, *numpy_req, *python_req;
    enum ge_pkg fw;
    bool amd;                            /* the plan is for the machine's AMD GPUs */
    char *amd_hint;                      /* 256 bytes: the override that would serve the GPUs, "" for none */
    char plat[40];                       /* the host as torch variants name platforms: linux-x86_64 */
};

/* Candidate c fails on r: the first message of a kind is kept. */
void ge_rs_fail(struct cand *c, enum ge_reason r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The matrix lacks a fact that dimension dim needs: c cannot be vouched for. */
void ge_rs_unknown(struct cand *c, enum ge_reason dim, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ge_rs_note(struct ge_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether torch release r is one the request's torch, torchvision and torchaudio allow. */
bool ge_rs_torch_wanted(const struct rctx *x, const struct ge_torch_release *r);
/* order[0..n) as the indexes of v[] (a variant's CUDA or ROCm version), newest first, stable. */
void ge_rs_newest_first(const struct ge_version *const *v, int n, int *order);
/* A package entry, or NULL when the plan is full. */
struct ge_plan_pkg *ge_rs_add_pkg(struct ge_plan *p, const char *name);

/* The AMD side (resolve_amd.c): the candidates for the machine's AMD GPUs, the dimensions they are
 * checked on, and the plan of the chosen one. */
size_t ge_rs_amd_count(const struct rctx *x);
int ge_rs_amd_candidates(struct rctx *x, struct cand *cs, size_t *k, struct ge_err *err);
void ge_rs_amd_check_platform(const struct rctx *x, struct cand *c);
void ge_rs_amd_check_gpus(const struct rctx *x, struct cand *c);
void ge_rs_amd_check_runtime(const struct rctx *x, struct cand *c);
const struct ge_ver *ge_rs_amd_pythons(const struct cand *c, int *n);
void ge_rs_amd_label(struct cand *c);
void ge_rs_amd_plan(const struct rctx *x, const struct cand *c, struct ge_plan *p, struct ge_buf *pip);
/* Which vendor a request is for; -1 with err (GE_EXIT_USAGE) when it cannot be told or mixes them. */
int ge_rs_vendor(const struct ge_host_facts *h, const struct ge_req *reqs, int nreqs, const struct ge_resolve_opts *o,
                 bool *amd, struct ge_err *err);

#endif
