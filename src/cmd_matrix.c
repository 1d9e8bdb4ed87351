/* cmd_matrix.c: 'gpuenv matrix [TABLE]': what the compatibility matrix knows, as tables or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd.h"
#include "cmds.h"
#include "gaps.h"
#include "matrix.h"
#include "out.h"
#include "str.h"

enum { OPT_JSON, OPT_GAPS };

static const struct ge_opt matrix_opts[] = {
    [OPT_JSON] = {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL},
    [OPT_GAPS] = {"gaps", 0, false, NULL, "list every fact the matrix lacks (of TABLE, or of all)", NULL},
    {NULL, 0, false, NULL, NULL, NULL},
};

/* in the order of enum ge_matrix_file: a table's index is its file's */
static const char *const tables[] = {"cuda", "cudnn", "torch", "tensorflow", "jax", "rocm", NULL};

/* ---- JSON ---- */

static void add_ver(cJSON *o, const char *key, bool has, const struct ge_ver *v)
{
    ge_json_add_strn(o, key, has ? v->s : NULL);
}

static cJSON *drivers_json(const struct ge_drivers *d)
{
    cJSON *o = cJSON_CreateObject();
    add_ver(o, "linux-x86_64", d->has_linux, &d->linux_x86_64);
    add_ver(o, "windows-x86_64", d->has_windows, &d->windows_x86_64);
    return o;
}

static cJSON *ccs_json(const struct ge_cc *ccs, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        char b[8];
        cJSON_AddItemToArray(a, cJSON_CreateString(ge_cc_format(ccs[i], b, sizeof b)));
    }
    return a;
}

static cJSON *python_json(const struct ge_ver *py, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(py[i].s));
    return a;
}

static void tristate(cJSON *o, const char *key, int v)
{
    if (v < 0)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddBoolToObject(o, key, v);
}

static cJSON *cuda_json(const struct ge_matrix *m)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < m->ncuda; i++) {
        const struct ge_cuda_release *r = &m->cuda[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", r->version.s);
        ge_json_add_strn(o, "label", r->label[0] ? r->label : NULL);
        ge_json_add_strn(o, "date", r->date[0] ? r->date : NULL);
        cJSON_AddItemToObject(o, "min_driver", drivers_json(&r->min_driver));
        if (r->branch) {
            char b[16];
            snprintf(b, sizeof b, "R%d", r->branch);
            cJSON_AddStringToObject(o, "driver_branch", b);
        } else {
            cJSON_AddNullToObject(o, "driver_branch");
        }
        const struct ge_cuda_ccs *c = ge_matrix_cuda_ccs(m, &r->version.v);
        cJSON_AddItemToObject(o, "ccs", c ? ccs_json(c->ccs, c->nccs) : cJSON_CreateNull());
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *cudnn_json(const struct ge_matrix *m)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < m->ncudnn; i++) {
        const struct ge_cudnn_release *r = &m->cudnn[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", r->version.s);
        add_ver(o, "full_version", r->has_full, &r->full);
        cJSON *bs = cJSON_AddArrayToObject(o, "builds");
        for (int j = 0; j < r->nbuilds; j++) {
            const struct ge_cudnn_build *b = &r->builds[j];
            cJSON *bo = cJSON_CreateObject();
            cJSON_AddNumberToObject(bo, "cuda_major", b->cuda_major);
            add_ver(bo, "cuda_min", b->has_cuda_min, &b->cuda_min);
            add_ver(bo, "cuda_max", b->has_cuda_max, &b->cuda_max);
            cJSON_AddItemToObject(bo, "min_driver", drivers_json(&b->min_driver));
            cJSON_AddItemToObject(bo, "ccs", b->nccs ? ccs_json(b->ccs, b->nccs) : cJSON_CreateNull());
            char cm[8];
            ge_json_add_strn(bo, "ccs_min", b->has_ccs_min ? ge_cc_format(b->ccs_min, cm, sizeof cm) : NULL);
            cJSON_AddItemToArray(bs, bo);
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *gfx_json(const unsigned *gfx, int n)
{
    if (!n)
        return cJSON_CreateNull();
    cJSON *g = cJSON_CreateArray();
    for (int k = 0; k < n; k++) {
        char name[16];
        ge_amd_gfx_name(gfx[k], name, sizeof name);
        cJSON_AddItemToArray(g, cJSON_CreateString(name));
    }
    return g;
}

static cJSON *torch_rocm_json(const struct ge_matrix *m)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < m->ntorch_rocm; i++) {
        const struct ge_torch_rocm_release *r = &m->torch_rocm[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", r->version.s);
        cJSON *vs = cJSON_AddArrayToObject(o, "variants");
        for (int j = 0; j < r->nvariants; j++) {
            const struct ge_rocm_variant *v = &r->variants[j];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", v->name);
            cJSON_AddStringToObject(x, "rocm", v->rocm.s);
            cJSON_AddStringToObject(x, "platform", v->platform);
            cJSON_AddItemToObject(x, "gfx", gfx_json(v->gfx, v->ngfx));
            if (v->gfx_inferred)
                cJSON_AddStringToObject(x, "gfx_basis", "main-at-branch-cut");
            cJSON_AddItemToArray(vs, x);
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}


/* rocm.json's releases and families, and the ROCm builds of tensorflow and jax. */
static void add_amd_json(cJSON *doc, const struct ge_matrix *m)
{
    cJSON *rs = cJSON_AddArrayToObject(doc, "rocm_releases");
    for (size_t i = 0; i < m->nrocm; i++) {
        const struct ge_rocm_release *r = &m->rocm[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", r->version.s);
        ge_json_add_strn(o, "date", r->date[0] ? r->date : NULL);
        cJSON_AddItemToObject(o, "gfx", gfx_json(r->gfx, r->ngfx));
        ge_json_add_strn(o, "miopen", r->has_miopen ? r->miopen.s : NULL);
        ge_json_add_strn(o, "hip", r->hip[0] ? r->hip : NULL);
        cJSON *d = cJSON_AddArrayToObject(o, "amdgpu");
        for (int k = 0; k < r->ndrivers; k++)
            cJSON_AddItemToArray(d, cJSON_CreateString(r->drivers[k]));
        cJSON_AddItemToArray(rs, o);
    }
    cJSON *fs = cJSON_AddArrayToObject(doc, "gfx_families");
    for (size_t i = 0; i < m->ngfx_families; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", m->gfx_families[i].name);
        cJSON_AddItemToObject(o, "members", gfx_json(m->gfx_families[i].members, m->gfx_families[i].nmembers));
        cJSON_AddItemToArray(fs, o);
    }
    cJSON *bs = cJSON_AddArrayToObject(doc, "rocm_builds");
    for (size_t i = 0; i < m->nrocm_builds; i++) {
        const struct ge_rocm_build *b = &m->rocm_builds[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "framework", b->framework);
        cJSON_AddStringToObject(o, "version", b->version.s);
        cJSON_AddStringToObject(o, "rocm", b->rocm.s);
        cJSON *pk = cJSON_AddArrayToObject(o, "packages");
        for (int k = 0; k < b->npkgs; k++) {
            char pin[64];
            snprintf(pin, sizeof pin, "%s==%s", b->pkgs[k].name, b->pkgs[k].version);
            cJSON_AddItemToArray(pk, cJSON_CreateString(pin));
        }
        ge_json_add_strn(o, "find_links", b->find_links[0] ? b->find_links : NULL);
        cJSON *py = b->npython ? cJSON_AddArrayToObject(o, "python") : NULL;
        if (!py)
            cJSON_AddNullToObject(o, "python");
        for (int k = 0; k < b->npython; k++)
            cJSON_AddItemToArray(py, cJSON_CreateString(b->python[k].s));
        cJSON_AddItemToObject(o, "gfx", gfx_json(b->gfx, b->ngfx));
        cJSON_AddItemToArray(bs, o);
    }
}

static cJSON *torch_json(const struct ge_matrix *m)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < m->ntorch; i++) {
        const struct ge_torch_release *r = &m->torch[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", r->version.s);
        ge_json_add_strn(o, "date", r->date[0] ? r->date : NULL);
        cJSON_AddItemToObject(o, "python", python_json(r->python, r->npython));
        ge_json_add_strn(o, "numpy", r->numpy[0] ? r->numpy : NULL);
        add_ver(o, "torchvision", r->has_vision, &r->vision);
        add_ver(o, "torchaudio", r->has_audio, &r->audio);
        cJSON *vs = cJSON_AddArrayToObject(o, "variants");
        for (int j = 0; j < r->nvariants; j++) {
            const struct ge_torch_variant *v = &r->variants[j];
            cJSON *vo = cJSON_CreateObject();
            cJSON_AddStringToObject(vo, "name", v->name);
            cJSON_AddStringToObject(vo, "platform", v->platform);
            cJSON_AddStringToObject(vo, "cuda", v->cuda.s);
            add_ver(vo, "cudnn", v->has_cudnn, &v->cudnn);
            tristate(vo, "default_on_pypi", v->default_on_pypi);
            if (v->narch) {
                cJSON *al = cJSON_AddArrayToObject(vo, "arch_list");
                for (int k = 0; k < v->narch; k++) {
                    char cc[16];
                    ge_cc_format(v->arch[k].cc, cc, sizeof cc);
                    if (v->arch[k].ptx)
                        strcat(cc, "+PTX");
                    cJSON_AddItemToArray(al, cJSON_CreateString(cc));
                }
            } else {
                cJSON_AddNullToObject(vo, "arch_list");
            }
            /* true: whether release wheels embed PTX is not known (only the cubins are) */
            cJSON_AddBoolToObject(vo, "ptx_unknown", v->ptx_unknown);
            ge_json_add_strn(vo, "numpy", v->numpy[0] ? v->numpy : NULL);
            cJSON_AddItemToArray(vs, vo);
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *tf_json(const struct ge_matrix *m)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < m->ntf; i++) {
        const struct ge_tf_release *r = &m->tf[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", r->version.s);
        cJSON_AddItemToObject(o, "python", python_json(r->python, r->npython));
        add_ver(o, "cuda", r->has_cuda, &r->cuda);
        add_ver(o, "cudnn", r->has_cudnn, &r->cudnn);
        tristate(o, "and_cuda_extra", r->and_cuda);
        cJSON_AddBoolToObject(o, "windows_native_gpu", r->windows_gpu);
        char sm[8];
        ge_json_add_strn(o, "min_sm", r->has_min_sm ? ge_cc_format(r->min_sm, sm, sizeof sm) : NULL);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *jax_json(const struct ge_matrix *m)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < m->njax; i++) {
        const struct ge_jax_release *r = &m->jax[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", r->version.s);
        cJSON_AddItemToObject(o, "python", python_json(r->python, r->npython));
        ge_json_add_strn(o, "numpy", r->numpy[0] ? r->numpy : NULL);
        cJSON_AddBoolToObject(o, "linux_aarch64", r->linux_aarch64);
        cJSON *xs = cJSON_AddArrayToObject(o, "extras");
        for (int j = 0; j < r->nextras; j++) {
            const struct ge_jax_extra *x = &r->extras[j];
            cJSON *xo = cJSON_CreateObject();
            char sm[8];
            cJSON_AddStringToObject(xo, "name", x->name);
            cJSON_AddBoolToObject(xo, "local", x->local);
            add_ver(xo, "cuda_min", x->has_cuda_min, &x->cuda_min);
            add_ver(xo, "cudnn_min", x->has_cudnn_min, &x->cudnn_min);
            add_ver(xo, "min_driver", x->has_min_driver, &x->min_driver);
            ge_json_add_strn(xo, "min_sm", x->has_min_sm ? ge_cc_format(x->min_sm, sm, sizeof sm) : NULL);
            cJSON_AddItemToArray(xs, xo);
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *branch_json(int branch)
{
    char b[16];
    snprintf(b, sizeof b, "R%d", branch);
    return branch ? cJSON_CreateString(b) : cJSON_CreateNull();
}

static cJSON *archs_json(const struct ge_matrix *m)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < m->narchs; i++) {
        const struct ge_gpu_arch *g = &m->archs[i];
        cJSON *o = cJSON_CreateObject();
        char cc[8];
        cJSON_AddStringToObject(o, "cc", ge_cc_format(g->cc, cc, sizeof cc));
        cJSON_AddStringToObject(o, "name", g->name);
        cJSON_AddItemToObject(o, "first_branch", branch_json(g->first_branch));
        cJSON_AddItemToObject(o, "last_branch", branch_json(g->last_branch));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

/* ---- gaps ---- */

/* The gaps of table t (-1: all), as text or into doc. */
static int show_gaps(struct ge_ctx *ctx, const struct ge_matrix *m, int t, cJSON *doc)
{
    struct ge_gaps g;
    if (ge_gaps_find(m, &g) < 0)
        return ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
    cJSON *arr = doc ? cJSON_AddArrayToObject(doc, "gaps") : NULL;
    size_t n = 0;
    const char *last = "";
    for (size_t i = 0; i < g.n; i++) {
        const struct ge_gap *x = &g.v[i];
        /* the rocm table is every AMD file's */
        bool amd = x->file == GE_MF_TORCH_ROCM || x->file == GE_MF_ROCM || x->file == GE_MF_TF_ROCM ||
                   x->file == GE_MF_JAX_ROCM;
        if (t >= 0 && (t == GE_MF_TORCH_ROCM ? !amd : (int)x->file != t))
            continue;
        n++;
        if (arr) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "file", ge_matrix_file_name(x->file));
            cJSON_AddStringToObject(o, "record", x->record);
            cJSON_AddStringToObject(o, "fact", x->fact);
            cJSON_AddStringToObject(o, "what", x->what);
            cJSON_AddItemToArray(arr, o);
            continue;
        }
        if (strcmp(last, ge_matrix_file_name(x->file)) != 0) {
            last = ge_matrix_file_name(x->file);
            printf("%s%s%s\n", ge_out_style(GE_STYLE_BOLD), last, ge_out_style(GE_STYLE_RESET));
        }
        printf("  %-40s %s\n", x->record, x->what);
    }
    if (arr)
        cJSON_AddNumberToObject(doc, "count", (double)n);
    else
        printf("%s%zu fact%s missing%s\n", n ? "\n" : "", n, n == 1 ? "" : "s",
               n ? "; an answer that needs one is 'incomplete-data', never a guess" : "");
    ge_gaps_fini(&g);
    return 0;
}

/* ---- text ---- */

static const char *or_dash(bool has, const struct ge_ver *v)
{
    return has ? v->s : "-";
}

static void header(const char *title)
{
    printf("%s%s%s\n", ge_out_style(GE_STYLE_BOLD), title, ge_out_style(GE_STYLE_RESET));
}

static void text_cuda(const struct ge_matrix *m)
{
    header("version  label                       date        linux min  windows min  compute capabilities");
    for (size_t i = m->ncuda; i-- > 0;) {
        const struct ge_cuda_release *r = &m->cuda[i];
        char drv[24];
        if (r->min_driver.has_linux)
            ge_strlcpy(drv, r->min_driver.linux_x86_64.s, sizeof drv);
        else if (r->branch)
            snprintf(drv, sizeof drv, "R%d", r->branch);
        else
            ge_strlcpy(drv, "-", sizeof drv);
        const struct ge_cuda_ccs *c = ge_matrix_cuda_ccs(m, &r->version.v);
        struct ge_buf b;
        ge_buf_init(&b);
        for (int k = 0; c && k < c->nccs; k++) {
            char cc[8];
            ge_buf_addf(&b, "%s%s", k ? " " : "", ge_cc_format(c->ccs[k], cc, sizeof cc));
        }
        printf("%-8s %-27s %-11s %-10s %-12s %s\n", r->version.s, r->label[0] ? r->label : "-",
               r->date[0] ? r->date : "-", drv, or_dash(r->min_driver.has_windows, &r->min_driver.windows_x86_64),
               c ? ge_buf_str(&b) : "-");
        ge_buf_fini(&b);
    }
    printf("\n");
    header("minor-version compatibility (every release of a major on one driver)");
    for (size_t i = 0; i < m->nmvc; i++)
        printf("CUDA %d.x  linux >= %s%s%s\n", m->mvc[i].major, m->mvc[i].min_driver.linux_x86_64.s,
               m->mvc[i].min_driver.has_windows ? ", windows >= " : "",
               m->mvc[i].min_driver.has_windows ? m->mvc[i].min_driver.windows_x86_64.s : "");
    printf("\n");
    header("driver branch -> newest CUDA it runs natively");
    for (size_t i = 0; i < m->nbranches; i++)
        printf("R%d  %s\n", m->branches[i].branch, m->branches[i].cuda.s);
    printf("\n");
    header("gpu architecture                                   drivers");
    for (size_t i = 0; i < m->narchs; i++) {
        const struct ge_gpu_arch *a = &m->archs[i];
        char cc[8], from[16] = "", to[16] = "";
        if (a->first_branch)
            snprintf(from, sizeof from, "R%d", a->first_branch);
        if (a->last_branch)
            snprintf(to, sizeof to, "R%d", a->last_branch);
        printf("%-5s %-45s %s%s%s\n", ge_cc_format(a->cc, cc, sizeof cc), a->name, from[0] ? from : "any",
               " to ", to[0] ? to : "newest");
    }
}

static void text_cudnn(const struct ge_matrix *m)
{
    header("version   full         build   cuda range   linux min  compute capabilities");
    for (size_t i = m->ncudnn; i-- > 0;) {
        const struct ge_cudnn_release *r = &m->cudnn[i];
        if (r->nbuilds == 0)
            printf("%-9s %-12s %s\n", r->version.s, or_dash(r->has_full, &r->full), "-       (builds not known)");
        for (int j = 0; j < r->nbuilds; j++) {
            const struct ge_cudnn_build *b = &r->builds[j];
            char build[16], range[32], ccs[160] = "-";
            snprintf(build, sizeof build, "cuda%d", b->cuda_major);
            if (b->has_cuda_min || b->has_cuda_max)
                snprintf(range, sizeof range, "%s-%s", b->has_cuda_min ? b->cuda_min.s : "?",
                         b->has_cuda_max ? b->cuda_max.s : "?");
            else
                ge_strlcpy(range, "-", sizeof range);
            if (b->nccs) {
                struct ge_buf s;
                ge_buf_init(&s);
                for (int k = 0; k < b->nccs; k++) {
                    char cc[8];
                    ge_buf_addf(&s, "%s%s", k ? " " : "", ge_cc_format(b->ccs[k], cc, sizeof cc));
                }
                ge_strlcpy(ccs, ge_buf_str(&s), sizeof ccs);
                ge_buf_fini(&s);
            } else if (b->has_ccs_min) {
                char cc[8];
                snprintf(ccs, sizeof ccs, ">= %s", ge_cc_format(b->ccs_min, cc, sizeof cc));
            }
            printf("%-9s %-12s %-7s %-12s %-10s %s\n", j ? "" : r->version.s,
                   j ? "" : or_dash(r->has_full, &r->full), build, range,
                   or_dash(b->min_driver.has_linux, &b->min_driver.linux_x86_64), ccs);
        }
    }
}

static void text_torch(const struct ge_matrix *m)
{
    header("torch    python     vision   audio    numpy  platform        variant  cuda     cudnn        driver >=  gpu "
           "architectures");
    static const char *const plats[] = {"linux-x86_64", "linux-aarch64", "windows-x86_64"};
    for (size_t i = m->ntorch; i-- > 0;) {
        const struct ge_torch_release *r = &m->torch[i];
        char py[64];
        ge_matrix_python_list(r->python, r->npython, "-", py, sizeof py);
        /* by platform, then newest CUDA first */
        int order[GE_MAX_VARIANTS], n = 0;
        for (size_t p = 0; p < sizeof plats / sizeof plats[0]; p++)
            for (int j = r->nvariants; j-- > 0;)
                if (strcmp(r->variants[j].platform, plats[p]) == 0)
                    order[n++] = j;
        for (int a = 1; a < n; a++)
            for (int b = a; b > 0 && strcmp(r->variants[order[b]].platform, r->variants[order[b - 1]].platform) == 0 &&
                            ge_version_cmp(&r->variants[order[b]].cuda.v, &r->variants[order[b - 1]].cuda.v) > 0;
                 b--) {
                int t = order[b];
                order[b] = order[b - 1];
                order[b - 1] = t;
            }
        for (int k = 0; k < n; k++) {
            const struct ge_torch_variant *v = &r->variants[order[k]];
            const struct ge_cuda_mvc *mvc = ge_matrix_mvc(m, (int)v->cuda.v.part[0]);
            /* the lowest driver that runs it: minor-version compatibility's floor */
            const char *floor = mvc ? mvc->min_driver.linux_x86_64.s : "-";
            char arch[160], name[20];
            ge_matrix_arch_list(v, arch, sizeof arch);
            snprintf(name, sizeof name, "%s%s", v->name, v->default_on_pypi == 1 ? "*" : "");
            bool first = k == 0;
            const char *np = v->numpy[0] ? v->numpy : first && r->numpy[0] ? r->numpy : "";
            printf("%-8s %-10s %-8s %-8s %-6s %-15s %-8s %-8s %-12s %-10s %s\n", first ? r->version.s : "",
                   first ? py : "", first ? or_dash(r->has_vision, &r->vision) : "",
                   first ? or_dash(r->has_audio, &r->audio) : "", np, v->platform, name, v->cuda.s,
                   or_dash(v->has_cudnn, &v->cudnn), floor, arch);
        }
    }
    printf("\n* PyPI's default build ('pip install torch') on its platform; the others come from %s.\n"
           "(PTX?): the cubins are known, whether the release wheels embed PTX is not.\n"
           "driver >=: minor-version compatibility's floor; 'gpuenv resolve' also checks each GPU.\n",
           m->torch_index_url);
}

static void text_tf(const struct ge_matrix *m)
{
    header("tensorflow  python     cuda   cudnn  min sm  [and-cuda]  windows gpu");
    for (size_t i = m->ntf; i-- > 0;) {
        const struct ge_tf_release *r = &m->tf[i];
        char py[64], sm[8] = "-";
        ge_matrix_python_list(r->python, r->npython, "-", py, sizeof py);
        if (r->has_min_sm)
            ge_cc_format(r->min_sm, sm, sizeof sm);
        printf("%-11s %-10s %-6s %-6s %-7s %-11s %s\n", r->version.s, py, or_dash(r->has_cuda, &r->cuda),
               or_dash(r->has_cudnn, &r->cudnn), sm, r->and_cuda < 0 ? "-" : r->and_cuda ? "yes" : "no",
               r->windows_gpu ? "yes" : "no");
    }
}

static void text_jax(const struct ge_matrix *m)
{
    header("jax      python     extra          cuda >=  cudnn >=  driver >=  sm >=");
    for (size_t i = m->njax; i-- > 0;) {
        const struct ge_jax_release *r = &m->jax[i];
        char py[64];
        ge_matrix_python_list(r->python, r->npython, "-", py, sizeof py);
        if (r->nextras == 0)
            printf("%-8s %-10s -\n", r->version.s, py);
        for (int j = 0; j < r->nextras; j++) {
            const struct ge_jax_extra *x = &r->extras[j];
            char sm[8] = "-";
            if (x->has_min_sm)
                ge_cc_format(x->min_sm, sm, sizeof sm);
            printf("%-8s %-10s %-14s %-8s %-9s %-10s %s\n", j ? "" : r->version.s, j ? "" : py, x->name,
                   or_dash(x->has_cuda_min, &x->cuda_min), or_dash(x->has_cudnn_min, &x->cudnn_min),
                   or_dash(x->has_min_driver, &x->min_driver), sm);
        }
    }
}

static void text_rocm(const struct ge_matrix *m)
{
    header("torch    variant     rocm    gfx targets of the wheels");
    if (!m->ntorch_rocm)
        printf("(no pytorch_rocm.json in %s)\n", m->dir);
    for (size_t i = m->ntorch_rocm; i-- > 0;) {
        const struct ge_torch_rocm_release *r = &m->torch_rocm[i];
        for (int j = 0; j < r->nvariants; j++) {
            const struct ge_rocm_variant *v = &r->variants[j];
            printf("%-8s %-11s %-7s ", j ? "" : r->version.s, v->name, v->rocm.s);
            char list[256];
            ge_gfx_list_format(v->gfx, v->ngfx, list, sizeof list);
            printf("%s%s\n", v->ngfx ? list : "not known", v->gfx_inferred ? " *" : "");
        }
    }
    printf("(* main's list at the release's branch cut, not read at the tag)\n");
    if (m->nrocm_builds) {
        printf("\n");
        header("framework   version   rocm    pins");
    }
    for (size_t i = m->nrocm_builds; i-- > 0;) {
        const struct ge_rocm_build *b = &m->rocm_builds[i];
        printf("%-11s %-9s %-7s", b->framework, b->version.s, b->rocm.s);
        for (int k = 0; k < b->npkgs; k++)
            printf(" %s==%s", b->pkgs[k].name, b->pkgs[k].version);
        printf("\n");
    }
    if (m->ngfx_families) {
        printf("\n");
        header("family            members (HSA_OVERRIDE_GFX_VERSION hints stay within one)");
    }
    for (size_t i = 0; i < m->ngfx_families; i++) {
        char list[200];
        ge_gfx_list_format(m->gfx_families[i].members, m->gfx_families[i].nmembers, list, sizeof list);
        printf("%-17s %s\n", m->gfx_families[i].name, list);
    }
}

static void text_summary(const struct ge_matrix *m)
{
    printf("data folder  %s\n\n", m->dir);
    header("file                 data version  records  newest");
    printf("%-20s %-13s %-8zu %s\n", "cuda.json", m->data_version[GE_MF_CUDA], m->ncuda,
           m->ncuda ? m->cuda[m->ncuda - 1].version.s : "-");
    printf("%-20s %-13s %-8zu %s\n", "cudnn.json", m->data_version[GE_MF_CUDNN], m->ncudnn,
           m->ncudnn ? m->cudnn[m->ncudnn - 1].version.s : "-");
    printf("%-20s %-13s %-8zu %s\n", "pytorch.json", m->data_version[GE_MF_TORCH], m->ntorch,
           m->ntorch ? m->torch[m->ntorch - 1].version.s : "-");
    printf("%-20s %-13s %-8zu %s\n", "tensorflow.json", m->data_version[GE_MF_TF], m->ntf,
           m->ntf ? m->tf[m->ntf - 1].version.s : "-");
    printf("%-20s %-13s %-8zu %s\n", "jax.json", m->data_version[GE_MF_JAX], m->njax,
           m->njax ? m->jax[m->njax - 1].version.s : "-");
    printf("%-20s %-13s %-8zu %s\n", "pytorch_rocm.json", m->data_version[GE_MF_TORCH_ROCM][0] ? m->data_version[GE_MF_TORCH_ROCM] : "absent",
           m->ntorch_rocm, m->ntorch_rocm ? m->torch_rocm[m->ntorch_rocm - 1].version.s : "-");
    printf("%-20s %-13s %-8zu %s\n", "rocm.json", m->data_version[GE_MF_ROCM][0] ? m->data_version[GE_MF_ROCM] : "absent",
           m->nrocm, m->nrocm ? m->rocm[m->nrocm - 1].version.s : "-");
    size_t ntf = 0;
    for (size_t i = 0; i < m->nrocm_builds; i++)
        ntf += strcmp(m->rocm_builds[i].framework, "tensorflow") == 0;
    printf("%-20s %-13s %-8zu\n", "tensorflow_rocm.json",
           m->data_version[GE_MF_TF_ROCM][0] ? m->data_version[GE_MF_TF_ROCM] : "absent", ntf);
    printf("%-20s %-13s %-8zu\n", "jax_rocm.json", m->data_version[GE_MF_JAX_ROCM][0] ? m->data_version[GE_MF_JAX_ROCM] : "absent",
           m->nrocm_builds - ntf);
    printf("\n'gpuenv matrix cuda|cudnn|torch|tensorflow|jax|rocm' shows one table.\n");
}

static int matrix_run(struct ge_ctx *ctx, int argc, char **argv)
{
    bool json = false, gaps = false;
    struct ge_cli_iter it;
    ge_cli_iter_init(&it, ctx, argc, argv);
    const char *arg;
    int o;
    while ((o = ge_cli_next(&it, &arg)) >= 0) {
        if (o == OPT_JSON)
            json = true;
        else if (o == OPT_GAPS)
            gaps = true;
    }
    int first = it.optind;
    ge_cli_iter_fini(&it);
    if (o == -2)
        return ctx->err.status;
    if (argc - first > 1) {
        ge_cli_usage(ctx, "'matrix' takes at most one table, not %d", argc - first);
        return ctx->err.status;
    }
    const char *which = argc - first == 1 ? argv[first] : NULL;
    int t = -1;
    if (which) {
        for (int i = 0; tables[i]; i++)
            if (strcmp(tables[i], which) == 0)
                t = i;
        if (t < 0) {
            ge_cli_usage(ctx, "unknown table '%s': use cuda, cudnn, torch, tensorflow, jax or rocm", which);
            return ctx->err.status;
        }
    }
    char dir[4096];
    if (ge_matrix_find_dir(dir, sizeof dir, &ctx->err) < 0)
        return ctx->err.status;
    struct ge_matrix *m = ge_matrix_load(dir, &ctx->err);
    if (!m)
        return ctx->err.status;
    if (json) {
        cJSON *doc = ge_json_doc(true);
        cJSON_AddStringToObject(doc, "data_dir", m->dir);
        cJSON *dv = cJSON_AddObjectToObject(doc, "data_version");
        for (int f = 0; f < GE_MF_COUNT; f++)
            ge_json_add_strn(dv, ge_matrix_file_name((enum ge_matrix_file)f), m->data_version[f][0] ? m->data_version[f] : NULL);
        if (gaps) {
            if (show_gaps(ctx, m, t, doc) < 0) {
                cJSON_Delete(doc);
                ge_matrix_free(m);
                return ctx->err.status;
            }
        } else if (t < 0 || t == 0) {
            cJSON_AddItemToObject(doc, "cuda", cuda_json(m));
            cJSON *mv = cJSON_AddArrayToObject(doc, "minor_version_compat");
            for (size_t i = 0; i < m->nmvc; i++) {
                cJSON *x = cJSON_CreateObject();
                cJSON_AddNumberToObject(x, "major", m->mvc[i].major);
                cJSON_AddItemToObject(x, "min_driver", drivers_json(&m->mvc[i].min_driver));
                cJSON_AddItemToArray(mv, x);
            }
            cJSON *br = cJSON_AddArrayToObject(doc, "driver_branches");
            for (size_t i = 0; i < m->nbranches; i++) {
                cJSON *x = cJSON_CreateObject();
                char b[16];
                snprintf(b, sizeof b, "R%d", m->branches[i].branch);
                cJSON_AddStringToObject(x, "branch", b);
                cJSON_AddStringToObject(x, "cuda", m->branches[i].cuda.s);
                cJSON_AddItemToArray(br, x);
            }
            cJSON_AddItemToObject(doc, "gpu_architectures", archs_json(m));
        }
        if (!gaps && (t < 0 || t == 1))
            cJSON_AddItemToObject(doc, "cudnn", cudnn_json(m));
        if (!gaps && (t < 0 || t == 2)) {
            cJSON_AddStringToObject(doc, "torch_index_url", m->torch_index_url);
            cJSON_AddItemToObject(doc, "torch", torch_json(m));
        }
        if (!gaps && (t < 0 || t == 3))
            cJSON_AddItemToObject(doc, "tensorflow", tf_json(m));
        if (!gaps && (t < 0 || t == 4))
            cJSON_AddItemToObject(doc, "jax", jax_json(m));
        if (!gaps && (t < 0 || t == 5))
        {
            cJSON_AddItemToObject(doc, "torch_rocm", torch_rocm_json(m));
            add_amd_json(doc, m);
        }
        if (ge_out_json(doc) == 0)
            ctx->json_printed = true;
    } else if (gaps) {
        if (show_gaps(ctx, m, t, NULL) < 0) {
            ge_matrix_free(m);
            return ctx->err.status;
        }
    } else {
        switch (t) {
        case 0: text_cuda(m); break;
        case 1: text_cudnn(m); break;
        case 2: text_torch(m); break;
        case 3: text_tf(m); break;
        case 4: text_jax(m); break;
        case 5: text_rocm(m); break;
        default: text_summary(m); break;
        }
    }
    ge_matrix_free(m);
    return GE_EXIT_OK;
}

const struct ge_cmd ge_cmd_matrix = {
    "matrix",
    "[cuda | cudnn | torch | tensorflow | jax | rocm]",
    "show what the compatibility matrix knows",
    "Show the compatibility matrix gpuenv resolves with: without a TABLE, its files, data versions and\n"
    "newest releases; with one, every release of CUDA, cuDNN, PyTorch, TensorFlow or JAX with what\n"
    "it needs (drivers, Python, CUDA, cuDNN, GPU architectures); rocm: PyTorch's ROCm wheels and the gfx\n"
    "targets they carry. --json prints the typed data.\n"
    "--gaps lists every fact the matrix lacks: an answer that needs one is 'incomplete-data'.",
    matrix_opts,
    matrix_run,
    false,
    "cuda cudnn torch tensorflow jax rocm", false,
};
