/* gaps.c: every fact the resolver needs that a record of the matrix lacks. */
#include "gaps.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

__attribute__((format(printf, 5, 6))) static int add(struct ge_gaps *g, enum ge_matrix_file f, const char *record,
                                                     const char *fact, const char *fmt, ...)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        struct ge_gap *v = realloc(g->v, cap * sizeof *v);
        if (!v)
            return -1;
        g->v = v, g->cap = cap;
    }
    struct ge_gap *x = &g->v[g->n++];
    x->file = f;
    ge_strlcpy(x->record, record, sizeof x->record);
    ge_strlcpy(x->fact, fact, sizeof x->fact);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->what, sizeof x->what, fmt, ap);
    va_end(ap);
    return 0;
}

static int cuda_gaps(const struct ge_matrix *m, struct ge_gaps *g)
{
    for (size_t i = m->ncuda; i-- > 0;) {
        const struct ge_cuda_release *r = &m->cuda[i];
        char rec[64];
        snprintf(rec, sizeof rec, "cuda %s", r->version.s);
        if (!r->min_driver.has_linux && !r->branch &&
            add(g, GE_MF_CUDA, rec, "min_driver", "its minimum Linux driver") < 0)
            return -1;
        if (!ge_matrix_cuda_ccs(m, &r->version.v) &&
            add(g, GE_MF_CUDA, rec, "ccs", "the compute capabilities its nvcc targets") < 0)
            return -1;
    }
    return 0;
}

static int cudnn_gaps(const struct ge_matrix *m, struct ge_gaps *g)
{
    for (size_t i = m->ncudnn; i-- > 0;) {
        const struct ge_cudnn_release *r = &m->cudnn[i];
        if (r->nbuilds == 0) {
            char rec[64];
            snprintf(rec, sizeof rec, "cudnn %s", r->version.s);
            if (add(g, GE_MF_CUDNN, rec, "builds", "which CUDA majors it has builds for (without them it is never "
                                                   "chosen)") < 0)
                return -1;
        }
        for (int b = 0; b < r->nbuilds; b++) {
            const struct ge_cudnn_build *x = &r->builds[b];
            char rec[64];
            snprintf(rec, sizeof rec, "cudnn %s cuda%d", r->version.s, x->cuda_major);
            if (!x->has_cuda_min && add(g, GE_MF_CUDNN, rec, "cuda_min", "the oldest CUDA it supports") < 0)
                return -1;
            if (!x->has_cuda_max && !m->rule_cudnn_major_build &&
                add(g, GE_MF_CUDNN, rec, "cuda_max", "the newest CUDA it supports") < 0)
                return -1;
            if (x->nccs == 0 && !x->has_ccs_min &&
                add(g, GE_MF_CUDNN, rec, "ccs", "the compute capabilities it supports") < 0)
                return -1;
        }
    }
    return 0;
}

static int torch_gaps(const struct ge_matrix *m, struct ge_gaps *g)
{
    for (size_t i = m->ntorch; i-- > 0;) {
        const struct ge_torch_release *r = &m->torch[i];
        char rec[64];
        if (r->npython == 0) {
            snprintf(rec, sizeof rec, "torch %s", r->version.s);
            if (add(g, GE_MF_TORCH, rec, "python", "the Python versions it supports") < 0)
                return -1;
        }
        for (int j = 0; j < r->nvariants; j++) {
            const struct ge_torch_variant *v = &r->variants[j];
            snprintf(rec, sizeof rec, "torch %s %s %s", r->version.s, v->name, v->platform);
            if (v->narch == 0 && add(g, GE_MF_TORCH, rec, "arch", "the GPU architectures its wheels carry") < 0)
                return -1;
            if (v->narch > 0 && v->ptx_unknown &&
                add(g, GE_MF_TORCH, rec, "ptx", "whether its wheels embed PTX for GPUs newer than its cubins") < 0)
                return -1;
            if (!v->has_cudnn && add(g, GE_MF_TORCH, rec, "cudnn", "the cuDNN its wheels bundle") < 0)
                return -1;
        }
    }
    return 0;
}

static int tf_gaps(const struct ge_matrix *m, struct ge_gaps *g)
{
    for (size_t i = m->ntf; i-- > 0;) {
        const struct ge_tf_release *r = &m->tf[i];
        char rec[64];
        snprintf(rec, sizeof rec, "tensorflow %s", r->version.s);
        if ((r->npython == 0 && add(g, GE_MF_TF, rec, "python", "the Python versions it supports") < 0) ||
            (!r->has_cuda && add(g, GE_MF_TF, rec, "cuda", "the CUDA it was built and tested with") < 0) ||
            (!r->has_cudnn && add(g, GE_MF_TF, rec, "cudnn", "the cuDNN it was tested with") < 0) ||
            (!r->has_min_sm && add(g, GE_MF_TF, rec, "min_sm", "the oldest GPU its wheels run on") < 0) ||
            (r->and_cuda < 0 && add(g, GE_MF_TF, rec, "and_cuda", "whether it has the [and-cuda] extra") < 0))
            return -1;
    }
    return 0;
}

static int jax_gaps(const struct ge_matrix *m, struct ge_gaps *g)
{
    for (size_t i = m->njax; i-- > 0;) {
        const struct ge_jax_release *r = &m->jax[i];
        char rec[64];
        if (r->npython == 0) {
            snprintf(rec, sizeof rec, "jax %s", r->version.s);
            if (add(g, GE_MF_JAX, rec, "python", "the Python versions it supports") < 0)
                return -1;
        }
        for (int j = 0; j < r->nextras; j++) {
            const struct ge_jax_extra *x = &r->extras[j];
            snprintf(rec, sizeof rec, "jax %s [%s]", r->version.s, x->name);
            if ((!x->has_cuda_min && add(g, GE_MF_JAX, rec, "cuda_min", "the oldest CUDA it runs with") < 0) ||
                (!x->has_cudnn_min && add(g, GE_MF_JAX, rec, "cudnn_min", "the oldest cuDNN it runs with") < 0) ||
                (!x->has_min_driver && add(g, GE_MF_JAX, rec, "min_driver", "the oldest driver it runs on") < 0) ||
                (!x->has_min_sm && add(g, GE_MF_JAX, rec, "min_sm", "the oldest GPU it runs on") < 0))
                return -1;
        }
    }
    return 0;
}

static int torch_rocm_gaps(const struct ge_matrix *m, struct ge_gaps *g)
{
    for (size_t i = m->ntorch_rocm; i-- > 0;) {
        const struct ge_torch_rocm_release *r = &m->torch_rocm[i];
        for (int j = 0; j < r->nvariants; j++) {
            char rec[64];
            snprintf(rec, sizeof rec, "torch %s %s", r->version.s, r->variants[j].name);
            if (!r->variants[j].ngfx && add(g, GE_MF_TORCH_ROCM, rec, "gfx", "the gfx targets its wheels carry") < 0)
                return -1;
        }
    }
    return 0;
}

/* rocm.json's releases, and the ROCm builds of tensorflow and jax. */
static int rocm_gaps(const struct ge_matrix *m, struct ge_gaps *g)
{
    for (size_t i = m->nrocm; i-- > 0;) {
        const struct ge_rocm_release *r = &m->rocm[i];
        char rec[64];
        snprintf(rec, sizeof rec, "rocm %s", r->version.s);
        if ((!r->ngfx && add(g, GE_MF_ROCM, rec, "gfx", "the GPU targets it supports officially") < 0) ||
            (!r->has_miopen && add(g, GE_MF_ROCM, rec, "miopen", "the MIOpen it ships") < 0))
            return -1;
    }
    for (size_t i = m->nrocm_builds; i-- > 0;) {
        const struct ge_rocm_build *b = &m->rocm_builds[i];
        enum ge_matrix_file f = strcmp(b->framework, "jax") == 0 ? GE_MF_JAX_ROCM : GE_MF_TF_ROCM;
        char rec[96];
        snprintf(rec, sizeof rec, "%s %s rocm%s", b->framework, b->version.s, b->rocm.s);
        if ((!b->ngfx && add(g, f, rec, "gfx", "the gfx targets its build carries (its ROCm release's official list "
                                              "stands in)") < 0) ||
            (!b->npython && add(g, f, rec, "python", "the Python versions of its wheels (the release's stand in)") < 0))
            return -1;
    }
    return 0;
}

int ge_gaps_find(const struct ge_matrix *m, struct ge_gaps *out)
{
    memset(out, 0, sizeof *out);
    if (cuda_gaps(m, out) < 0 || cudnn_gaps(m, out) < 0 || torch_gaps(m, out) < 0 || tf_gaps(m, out) < 0 ||
        jax_gaps(m, out) < 0 || torch_rocm_gaps(m, out) < 0 || rocm_gaps(m, out) < 0) {
        ge_gaps_fini(out);
        return -1;
    }
    return 0;
}

void ge_gaps_fini(struct ge_gaps *g)
{
    free(g->v);
    memset(g, 0, sizeof *g);
}
