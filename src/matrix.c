/* matrix.c: load the data folder's JSON into typed structs, validating as it goes; no cJSON pointer leaves. */
#define _GNU_SOURCE
#include "matrix.h"
#include "req.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "matrix_cache.h"
#include "matrix_parse.h"
#include "path.h"
#include "str.h"

#ifndef GPUENV_DATADIR
#define GPUENV_DATADIR "/usr/local/share/gpuenv"
#endif

static const char *const file_names[GE_MF_COUNT] = {
    "cuda.json", "cudnn.json", "pytorch.json", "tensorflow.json", "jax.json", "pytorch_rocm.json", "rocm.json",
    "tensorflow_rocm.json", "jax_rocm.json",
};

/* Files a data folder may lack: what they hold is then simply not known. */
static bool optional_file(enum ge_matrix_file f)
{
    return f == GE_MF_TORCH_ROCM || f == GE_MF_ROCM || f == GE_MF_TF_ROCM || f == GE_MF_JAX_ROCM;
}

const char *ge_matrix_file_name(enum ge_matrix_file f)
{
    return file_names[f];
}

static bool has_cuda_json(const char *dir)
{
    char p[PATH_MAX];
    return ge_path_join(p, sizeof p, dir, "cuda.json") == 0 && access(p, R_OK) == 0;
}

int ge_matrix_find_dir(char *dir, size_t size, struct ge_err *err)
{
    const char *env = getenv("GPUENV_DATA_DIR");
    if (env && env[0]) {
        if (!has_cuda_json(env)) {
            ge_err_set(err, GE_EXIT_BAD_DATA, "GPUENV_DATA_DIR=%s holds no cuda.json", env);
            ge_err_hint(err, "point GPUENV_DATA_DIR at gpuenv's data folder, or unset it");
            return -1;
        }
        ge_strlcpy(dir, env, size);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            /* ./gpuenv at the top of a source tree, build/<kind>/gpuenv inside it, or an installed
             * <prefix>/bin/gpuenv with <prefix>/share/gpuenv (any PREFIX or DESTDIR: the
             * compiled-in folder below may be another build's) */
            const char *rel[] = {"data", "../../data", "../share/gpuenv"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                char cand[PATH_MAX], real[PATH_MAX];
                if (ge_path_join(cand, sizeof cand, exe, rel[i]) == 0 && has_cuda_json(cand) &&
                    realpath(cand, real)) {
                    ge_strlcpy(dir, real, size);
                    return 0;
                }
            }
        }
    }
    if (has_cuda_json(GPUENV_DATADIR)) {
        ge_strlcpy(dir, GPUENV_DATADIR, size);
        return 0;
    }
    ge_err_set(err, GE_EXIT_BAD_DATA, "cannot find gpuenv's data: no cuda.json in %s", GPUENV_DATADIR);
    ge_err_hint(err, "reinstall gpuenv ('make install'), or set GPUENV_DATA_DIR to its data folder");
    return -1;
}

/* ---- parsing with positions for error messages ---- */

int ge_mp_bad(struct ge_pctx *c, const char *fmt, ...)
{
    char msg[GE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ge_err_set(c->err, GE_EXIT_BAD_DATA, "%s: %s: %s", c->file, c->where[0] ? c->where : "top level", msg);
    ge_err_hint(c->err, "the data folder is damaged or from another gpuenv version: reinstall gpuenv "
                        "or fix GPUENV_DATA_DIR");
    return -1;
}

int ge_mp_parse_ver(struct ge_pctx *c, const cJSON *item, const char *key, struct ge_ver *out,
                     int minp, int maxp)
{
    if (!cJSON_IsString(item))
        return ge_mp_bad(c, "%s is not a string", key);
    if (ge_version_parse(&out->v, item->valuestring, minp, maxp) < 0 ||
        strlen(item->valuestring) >= sizeof out->s)
        return ge_mp_bad(c, "%s '%s' is not a well-formed version", key, item->valuestring);
    ge_strlcpy(out->s, item->valuestring, sizeof out->s);
    return 0;
}

/* An optional version field: 0 and *has = false when absent. */
int ge_mp_opt_ver(struct ge_pctx *c, const cJSON *obj, const char *key, bool *has, struct ge_ver *out,
                   int minp, int maxp)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    *has = false;
    if (!it || cJSON_IsNull(it))
        return 0;
    if (ge_mp_parse_ver(c, it, key, out, minp, maxp) < 0)
        return -1;
    *has = true;
    return 0;
}

int ge_mp_req_ver(struct ge_pctx *c, const cJSON *obj, const char *key, struct ge_ver *out, int minp, int maxp)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return ge_mp_bad(c, "%s is missing", key);
    return ge_mp_parse_ver(c, it, key, out, minp, maxp);
}

void ge_mp_opt_str(const cJSON *obj, const char *key, char *out, size_t size)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    out[0] = '\0';
    if (cJSON_IsString(it))
        ge_strlcpy(out, it->valuestring, size);
}

/* An optional compute capability ("7.5"): 0 and *has = false when absent. */
static int opt_cc(struct ge_pctx *c, const cJSON *obj, const char *key, bool *has, struct ge_cc *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    *has = false;
    if (!it || cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsString(it) || ge_cc_parse(out, it->valuestring) < 0)
        return ge_mp_bad(c, "%s is not a compute capability", key);
    *has = true;
    return 0;
}

static int opt_tristate(struct ge_pctx *c, const cJSON *obj, const char *key, int *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = -1;
    if (!it || cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsBool(it))
        return ge_mp_bad(c, "%s is not true or false", key);
    *out = cJSON_IsTrue(it) ? 1 : 0;
    return 0;
}

int ge_mp_check_source(struct ge_pctx *c, const cJSON *rec)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "source");
    if (!s)
        return ge_mp_bad(c, "record has no source");
    if (cJSON_IsString(s)) {
        if (!cJSON_GetObjectItemCaseSensitive(c->sources, s->valuestring))
            return ge_mp_bad(c, "unknown source '%s'", s->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(s) || cJSON_GetArraySize(s) == 0)
        return ge_mp_bad(c, "source is neither a source id nor a list of them");
    const cJSON *e;
    cJSON_ArrayForEach(e, s)
    {
        if (!cJSON_IsString(e))
            return ge_mp_bad(c, "source list holds a non-string");
        if (!cJSON_GetObjectItemCaseSensitive(c->sources, e->valuestring))
            return ge_mp_bad(c, "unknown source '%s'", e->valuestring);
    }
    return 0;
}

static int parse_drivers(struct ge_pctx *c, const cJSON *obj, const char *key, struct ge_drivers *d)
{
    memset(d, 0, sizeof *d);
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return 0;
    if (cJSON_IsString(it)) /* a bare version means Linux x86_64 */
        return ge_mp_opt_ver(c, obj, key, &d->has_linux, &d->linux_x86_64, 1, 3);
    if (!cJSON_IsObject(it))
        return ge_mp_bad(c, "%s is neither a version nor an object", key);
    if (ge_mp_opt_ver(c, it, "linux-x86_64", &d->has_linux, &d->linux_x86_64, 1, 3) < 0 ||
        ge_mp_opt_ver(c, it, "windows-x86_64", &d->has_windows, &d->windows_x86_64, 1, 3) < 0)
        return -1;
    return 0;
}

static int parse_ccs(struct ge_pctx *c, const cJSON *arr, const char *key, struct ge_cc *out, int *n, int max)
{
    *n = 0;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return ge_mp_bad(c, "%s is not a list", key);
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (*n >= max)
            return ge_mp_bad(c, "%s has more than %d entries", key, max);
        if (!cJSON_IsString(e) || ge_cc_parse(&out[*n], e->valuestring) < 0)
            return ge_mp_bad(c, "%s holds '%s', not a compute capability", key,
                       cJSON_IsString(e) ? e->valuestring : "a non-string");
        for (int i = 0; i < *n; i++)
            if (ge_cc_cmp(out[i], out[*n]) == 0)
                return ge_mp_bad(c, "%s lists %s twice", key, e->valuestring);
        (*n)++;
    }
    return 0;
}

int ge_mp_parse_python(struct ge_pctx *c, const cJSON *obj, struct ge_ver *out, int *n)
{
    *n = 0;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "python");
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return ge_mp_bad(c, "python is not a list");
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (*n >= GE_MAX_PY)
            return ge_mp_bad(c, "python has more than %d entries", GE_MAX_PY);
        if (ge_mp_parse_ver(c, e, "python", &out[*n], 2, 2) < 0)
            return -1;
        (*n)++;
    }
    return 0;
}

int ge_mp_where(struct ge_pctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->where, sizeof c->where, fmt, ap);
    va_end(ap);
    return 0;
}

/* The table's array, each element an object with a source; n gets its length. */
const cJSON *ge_mp_table(struct ge_pctx *c, const cJSON *doc, const char *key, size_t *n, bool required)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, key);
    *n = 0;
    c->where[0] = '\0';
    if (!t) {
        if (required)
            ge_mp_bad(c, "table '%s' is missing", key);
        return NULL;
    }
    if (!cJSON_IsArray(t)) {
        ge_mp_bad(c, "'%s' is not a list", key);
        return NULL;
    }
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, t)
    {
        ge_mp_where(c, "%s[%zu]", key, i);
        if (!cJSON_IsObject(e)) {
            ge_mp_bad(c, "not an object");
            return NULL;
        }
        if (ge_mp_check_source(c, e) < 0)
            return NULL;
        i++;
    }
    *n = i;
    return t;
}

void *ge_mp_alloc_table(struct ge_pctx *c, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        ge_err_set(c->err, GE_EXIT_FAILURE, "out of memory loading %s", c->file);
    return p;
}

/* ---- per file ---- */

static int parse_branch_name(const char *s, int *out)
{
    if (s[0] != 'R')
        return -1;
    char *end;
    long v = strtol(s + 1, &end, 10);
    if (end == s + 1 || *end || v < 100 || v > 9999)
        return -1;
    *out = (int)v;
    return 0;
}

static int load_cuda(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m)
{
    size_t n;
    const cJSON *t = ge_mp_table(c, doc, "releases", &n, true), *e;
    if (!t || !(m->cuda = ge_mp_alloc_table(c, n, sizeof *m->cuda)))
        return -1;
    size_t i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_cuda_release *r = &m->cuda[i];
        ge_mp_where(c, "releases[%zu]", i);
        if (ge_mp_req_ver(c, e, "version", &r->version, 3, 3) < 0 ||
            parse_drivers(c, e, "min_driver", &r->min_driver) < 0)
            return -1;
        ge_mp_opt_str(e, "label", r->label, sizeof r->label);
        ge_mp_opt_str(e, "date", r->date, sizeof r->date);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "driver_branch");
        if (b && (!cJSON_IsString(b) || parse_branch_name(b->valuestring, &r->branch) < 0))
            return ge_mp_bad(c, "driver_branch is not like R580");
        i++;
    }
    m->ncuda = n;

    if (!(t = ge_mp_table(c, doc, "minor_version_compat", &n, true)) || !(m->mvc = ge_mp_alloc_table(c, n, sizeof *m->mvc)))
        return -1;
    i = 0;
    cJSON_ArrayForEach(e, t)
    {
        ge_mp_where(c, "minor_version_compat[%zu]", i);
        const cJSON *mj = cJSON_GetObjectItemCaseSensitive(e, "major");
        if (!cJSON_IsNumber(mj) || mj->valueint < 1 || mj->valueint > 99)
            return ge_mp_bad(c, "major is not a CUDA major version");
        m->mvc[i].major = mj->valueint;
        if (parse_drivers(c, e, "min_driver", &m->mvc[i].min_driver) < 0)
            return -1;
        if (!m->mvc[i].min_driver.has_linux)
            return ge_mp_bad(c, "min_driver has no linux-x86_64 floor");
        i++;
    }
    m->nmvc = n;

    if (!(t = ge_mp_table(c, doc, "driver_branches", &n, true)) ||
        !(m->branches = ge_mp_alloc_table(c, n, sizeof *m->branches)))
        return -1;
    i = 0;
    cJSON_ArrayForEach(e, t)
    {
        ge_mp_where(c, "driver_branches[%zu]", i);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "branch");
        if (!cJSON_IsString(b) || parse_branch_name(b->valuestring, &m->branches[i].branch) < 0)
            return ge_mp_bad(c, "branch is not like R580");
        if (ge_mp_req_ver(c, e, "cuda", &m->branches[i].cuda, 2, 2) < 0)
            return -1;
        i++;
    }
    m->nbranches = n;

    /* optional: a data folder without it only cannot tell which PTX a driver compiles */
    t = ge_mp_table(c, doc, "ptx_isa", &n, false);
    if (c->err->status)
        return -1;
    if (!(m->ptx = ge_mp_alloc_table(c, n, sizeof *m->ptx)))
        return -1;
    i = 0;
    cJSON_ArrayForEach(e, t)
    {
        ge_mp_where(c, "ptx_isa[%zu]", i);
        if (ge_mp_req_ver(c, e, "isa", &m->ptx[i].isa, 2, 2) < 0 || ge_mp_req_ver(c, e, "cuda", &m->ptx[i].cuda, 2, 2) < 0)
            return -1;
        if (i > 0 && (ge_version_cmp(&m->ptx[i - 1].isa.v, &m->ptx[i].isa.v) >= 0 ||
                      ge_version_cmp(&m->ptx[i - 1].cuda.v, &m->ptx[i].cuda.v) > 0))
            return ge_mp_bad(c, "the table is not in ascending order of ISA and CUDA");
        i++;
    }
    m->nptx = n;

    if (!(t = ge_mp_table(c, doc, "compute_capabilities", &n, true)) || !(m->ccs = ge_mp_alloc_table(c, n, sizeof *m->ccs)))
        return -1;
    i = 0;
    cJSON_ArrayForEach(e, t)
    {
        ge_mp_where(c, "compute_capabilities[%zu]", i);
        if (ge_mp_req_ver(c, e, "cuda", &m->ccs[i].cuda, 2, 2) < 0 ||
            parse_ccs(c, cJSON_GetObjectItemCaseSensitive(e, "ccs"), "ccs", m->ccs[i].ccs, &m->ccs[i].nccs, GE_MAX_CCS) < 0)
            return -1;
        if (m->ccs[i].nccs == 0)
            return ge_mp_bad(c, "ccs is empty");
        i++;
    }
    m->nccs = n;

    if (!(t = ge_mp_table(c, doc, "gpu_architectures", &n, false)) && c->err->status)
        return -1;
    if (n && !(m->archs = ge_mp_alloc_table(c, n, sizeof *m->archs)))
        return -1;
    i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_gpu_arch *a = &m->archs[i];
        ge_mp_where(c, "gpu_architectures[%zu]", i);
        const cJSON *cc = cJSON_GetObjectItemCaseSensitive(e, "cc");
        if (!cJSON_IsString(cc) || ge_cc_parse(&a->cc, cc->valuestring) < 0)
            return ge_mp_bad(c, "cc is not a compute capability");
        ge_mp_opt_str(e, "name", a->name, sizeof a->name);
        if (ge_has_control(a->name))
            return ge_mp_bad(c, "name is malformed");
        static const char *const keys[2] = {"first_branch", "last_branch"};
        int *out[2] = {&a->first_branch, &a->last_branch};
        for (int k = 0; k < 2; k++) {
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, keys[k]);
            if (b && (!cJSON_IsString(b) || parse_branch_name(b->valuestring, out[k]) < 0))
                return ge_mp_bad(c, "%s is not like R580", keys[k]);
        }
        if (a->first_branch && a->last_branch && a->first_branch > a->last_branch)
            return ge_mp_bad(c, "first_branch is after last_branch");
        i++;
    }
    m->narchs = n;
    return 0;
}

static int load_cudnn(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m)
{
    /* sourced policy rules the resolver applies where per-release facts stop */
    const cJSON *pol = cJSON_GetObjectItemCaseSensitive(doc, "policies"), *pe;
    if (pol && !cJSON_IsArray(pol))
        return ge_mp_bad(c, "policies is not a list");
    size_t pi = 0;
    cJSON_ArrayForEach(pe, pol)
    {
        ge_mp_where(c, "policies[%zu]", pi++);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(pe, "id");
        if (!cJSON_IsObject(pe) || ge_mp_check_source(c, pe) < 0)
            return cJSON_IsObject(pe) ? -1 : ge_mp_bad(c, "not an object");
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(pe, "rule")))
            return ge_mp_bad(c, "a policy needs its rule in words");
        if (cJSON_IsString(id) && strcmp(id->valuestring, "cuda-major-build") == 0)
            m->rule_cudnn_major_build = true;
        else if (cJSON_IsString(id) && strcmp(id->valuestring, "hardware-forward-compat") == 0)
            m->rule_cudnn_forward_compat = true;
        else
            return ge_mp_bad(c, "unknown policy '%s'", cJSON_IsString(id) ? id->valuestring : "?");
    }
    size_t n;
    const cJSON *t = ge_mp_table(c, doc, "releases", &n, true), *e;
    if (!t || !(m->cudnn = ge_mp_alloc_table(c, n, sizeof *m->cudnn)))
        return -1;
    size_t i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_cudnn_release *r = &m->cudnn[i];
        ge_mp_where(c, "releases[%zu]", i);
        if (ge_mp_req_ver(c, e, "version", &r->version, 3, 3) < 0 ||
            ge_mp_opt_ver(c, e, "full_version", &r->has_full, &r->full, 4, 4) < 0)
            return -1;
        if (r->has_full && (r->full.v.part[0] != r->version.v.part[0] || r->full.v.part[1] != r->version.v.part[1] ||
                            r->full.v.part[2] != r->version.v.part[2]))
            return ge_mp_bad(c, "full_version %s does not extend version %s", r->full.s, r->version.s);
        const cJSON *builds = cJSON_GetObjectItemCaseSensitive(e, "builds"), *b;
        if (builds && !cJSON_IsArray(builds))
            return ge_mp_bad(c, "builds is not a list");
        size_t j = 0;
        cJSON_ArrayForEach(b, builds)
        {
            ge_mp_where(c, "releases[%zu].builds[%zu]", i, j);
            if (r->nbuilds >= GE_MAX_BUILDS)
                return ge_mp_bad(c, "more than %d builds", GE_MAX_BUILDS);
            if (ge_mp_check_source(c, b) < 0)
                return -1;
            struct ge_cudnn_build *bd = &r->builds[r->nbuilds];
            const cJSON *mj = cJSON_GetObjectItemCaseSensitive(b, "cuda_major");
            if (!cJSON_IsNumber(mj) || mj->valueint < 8 || mj->valueint > 99)
                return ge_mp_bad(c, "cuda_major is not a CUDA major version");
            bd->cuda_major = mj->valueint;
            for (int k = 0; k < r->nbuilds; k++)
                if (r->builds[k].cuda_major == bd->cuda_major)
                    return ge_mp_bad(c, "two builds for CUDA %d", bd->cuda_major);
            if (ge_mp_opt_ver(c, b, "cuda_min", &bd->has_cuda_min, &bd->cuda_min, 2, 3) < 0 ||
                ge_mp_opt_ver(c, b, "cuda_max", &bd->has_cuda_max, &bd->cuda_max, 2, 3) < 0 ||
                parse_drivers(c, b, "min_driver", &bd->min_driver) < 0 ||
                parse_ccs(c, cJSON_GetObjectItemCaseSensitive(b, "ccs"), "ccs", bd->ccs, &bd->nccs, GE_MAX_CCS) < 0)
                return -1;
            if ((bd->has_cuda_min && bd->cuda_min.v.part[0] != (unsigned)bd->cuda_major) ||
                (bd->has_cuda_max && bd->cuda_max.v.part[0] != (unsigned)bd->cuda_major) ||
                (bd->has_cuda_min && bd->has_cuda_max && ge_version_cmp(&bd->cuda_min.v, &bd->cuda_max.v) > 0))
                return ge_mp_bad(c, "CUDA range %s-%s does not fit build cuda%d", bd->has_cuda_min ? bd->cuda_min.s : "?",
                           bd->has_cuda_max ? bd->cuda_max.s : "?", bd->cuda_major);
            const cJSON *rows = cJSON_GetObjectItemCaseSensitive(b, "rows"), *row;
            if (rows && !cJSON_IsArray(rows))
                return ge_mp_bad(c, "rows is not a list");
            cJSON_ArrayForEach(row, rows)
            {
                if (bd->nrows >= GE_MAX_ROWS)
                    return ge_mp_bad(c, "more than %d rows", GE_MAX_ROWS);
                struct ge_cudnn_row *rw = &bd->rows[bd->nrows];
                const cJSON *cl = cJSON_GetObjectItemCaseSensitive(row, "cuda"), *cv;
                if (!cJSON_IsArray(cl) || cJSON_GetArraySize(cl) == 0)
                    return ge_mp_bad(c, "a row's cuda is not a list of CUDA minors");
                bool first = true;
                cJSON_ArrayForEach(cv, cl)
                {
                    struct ge_ver v;
                    if (ge_mp_parse_ver(c, cv, "a row's cuda", &v, 2, 2) < 0)
                        return -1;
                    if (v.v.part[0] != (unsigned)bd->cuda_major)
                        return ge_mp_bad(c, "a row's CUDA %s is not in build cuda%d", v.s, bd->cuda_major);
                    if (first || ge_version_cmp(&v.v, &rw->cuda_min.v) < 0)
                        rw->cuda_min = v;
                    if (first || ge_version_cmp(&v.v, &rw->cuda_max.v) > 0)
                        rw->cuda_max = v;
                    first = false;
                }
                struct ge_drivers d;
                memset(&d, 0, sizeof d);
                if (parse_drivers(c, row, "min_driver", &d) < 0 ||
                    parse_ccs(c, cJSON_GetObjectItemCaseSensitive(row, "ccs"), "ccs", rw->ccs, &rw->nccs, GE_MAX_CCS) < 0)
                    return -1;
                rw->has_driver = d.has_linux;
                rw->min_driver = d.linux_x86_64;
                bd->nrows++;
            }
            const cJSON *cm = cJSON_GetObjectItemCaseSensitive(b, "ccs_min");
            if (cm) {
                if (!cJSON_IsString(cm) || ge_cc_parse(&bd->ccs_min, cm->valuestring) < 0)
                    return ge_mp_bad(c, "ccs_min is not a compute capability");
                bd->has_ccs_min = true;
            }
            r->nbuilds++;
            j++;
        }
        i++;
    }
    m->ncudnn = n;
    return 0;
}

static int parse_arch(struct ge_pctx *c, const cJSON *arr, struct ge_torch_variant *v)
{
    v->narch = 0;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return ge_mp_bad(c, "arch_list is not a list");
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (v->narch >= GE_MAX_ARCH)
            return ge_mp_bad(c, "arch_list has more than %d entries", GE_MAX_ARCH);
        if (!cJSON_IsString(e))
            return ge_mp_bad(c, "arch_list holds a non-string");
        char buf[16];
        if (ge_strlcpy(buf, e->valuestring, sizeof buf) >= sizeof buf)
            return ge_mp_bad(c, "arch_list entry '%s' is too long", e->valuestring);
        struct ge_arch *a = &v->arch[v->narch];
        char *plus = strstr(buf, "+PTX");
        a->ptx = plus != NULL;
        if (plus) {
            if (plus[4] != '\0')
                return ge_mp_bad(c, "arch_list entry '%s' is malformed", e->valuestring);
            *plus = '\0';
        }
        if (ge_cc_parse(&a->cc, buf) < 0 || strchr(buf, '_'))
            return ge_mp_bad(c, "arch_list entry '%s' is not like 9.0 or 9.0+PTX", e->valuestring);
        v->narch++;
    }
    return 0;
}

static int load_torch(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m)
{
    ge_mp_opt_str(doc, "index_url", m->torch_index_url, sizeof m->torch_index_url);
    if (!strstr(m->torch_index_url, "{variant}"))
        return ge_mp_bad(c, "index_url must hold {variant}");
    size_t n;
    const cJSON *t = ge_mp_table(c, doc, "releases", &n, true), *e;
    if (!t || !(m->torch = ge_mp_alloc_table(c, n, sizeof *m->torch)))
        return -1;
    size_t i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_torch_release *r = &m->torch[i];
        ge_mp_where(c, "releases[%zu]", i);
        if (ge_mp_req_ver(c, e, "version", &r->version, 3, 3) < 0 || ge_mp_parse_python(c, e, r->python, &r->npython) < 0 ||
            ge_mp_opt_ver(c, e, "torchvision", &r->has_vision, &r->vision, 3, 3) < 0 ||
            ge_mp_opt_ver(c, e, "torchaudio", &r->has_audio, &r->audio, 3, 3) < 0)
            return -1;
        ge_mp_opt_str(e, "date", r->date, sizeof r->date);
        ge_mp_opt_str(e, "numpy", r->numpy, sizeof r->numpy);
        if (r->numpy[0] && strcmp(r->numpy, "<2") != 0)
            return ge_mp_bad(c, "numpy rule '%s' is not understood (only \"<2\")", r->numpy);
        const cJSON *vars = cJSON_GetObjectItemCaseSensitive(e, "variants"), *v;
        if (!cJSON_IsArray(vars))
            return ge_mp_bad(c, "variants is not a list");
        size_t j = 0;
        cJSON_ArrayForEach(v, vars)
        {
            ge_mp_where(c, "releases[%zu].variants[%zu]", i, j);
            if (r->nvariants >= GE_MAX_VARIANTS)
                return ge_mp_bad(c, "more than %d variants", GE_MAX_VARIANTS);
            if (!cJSON_IsObject(v) || ge_mp_check_source(c, v) < 0)
                return cJSON_IsObject(v) ? -1 : ge_mp_bad(c, "not an object");
            struct ge_torch_variant *tv = &r->variants[r->nvariants];
            ge_mp_opt_str(v, "name", tv->name, sizeof tv->name);
            ge_mp_opt_str(v, "platform", tv->platform, sizeof tv->platform);
            if (!tv->platform[0])
                ge_strlcpy(tv->platform, "linux-x86_64", sizeof tv->platform);
            if (strcmp(tv->platform, "linux-x86_64") != 0 && strcmp(tv->platform, "linux-aarch64") != 0 &&
                strcmp(tv->platform, "windows-x86_64") != 0)
                return ge_mp_bad(c, "platform '%s' is not one of %s", tv->platform, GE_TORCH_PLATFORMS);
            ge_mp_opt_str(v, "numpy", tv->numpy, sizeof tv->numpy);
            if (tv->numpy[0] && strcmp(tv->numpy, "<2") != 0)
                return ge_mp_bad(c, "numpy rule '%s' is not understood (only \"<2\")", tv->numpy);
            char ptx[16];
            ge_mp_opt_str(v, "ptx", ptx, sizeof ptx);
            if (ptx[0] && strcmp(ptx, "unknown") != 0)
                return ge_mp_bad(c, "ptx '%s' is not understood (only \"unknown\"; known PTX is written 9.0+PTX)", ptx);
            tv->ptx_unknown = ptx[0] != '\0';
            if (ge_mp_req_ver(c, v, "cuda", &tv->cuda, 2, 3) < 0 ||
                ge_mp_opt_ver(c, v, "cudnn", &tv->has_cudnn, &tv->cudnn, 4, 4) < 0 ||
                opt_tristate(c, v, "default_on_pypi", &tv->default_on_pypi) < 0 ||
                parse_arch(c, cJSON_GetObjectItemCaseSensitive(v, "arch_list"), tv) < 0)
                return -1;
            char want[16];
            snprintf(want, sizeof want, "cu%u%u", (unsigned)tv->cuda.v.part[0], (unsigned)tv->cuda.v.part[1]);
            if (strcmp(tv->name, want) != 0)
                return ge_mp_bad(c, "variant '%s' does not match its CUDA %s (%s)", tv->name, tv->cuda.s, want);
            if (tv->ptx_unknown && tv->narch == 0)
                return ge_mp_bad(c, "ptx is unknown, but there is no arch_list it would qualify");
            for (int k = 0; k < r->nvariants; k++)
                if (strcmp(r->variants[k].name, tv->name) == 0 && strcmp(r->variants[k].platform, tv->platform) == 0)
                    return ge_mp_bad(c, "variant %s for %s listed twice", tv->name, tv->platform);
            r->nvariants++;
            j++;
        }
        i++;
    }
    m->ntorch = n;
    return 0;
}

static int load_tf(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m)
{
    size_t n;
    const cJSON *t = ge_mp_table(c, doc, "releases", &n, true), *e;
    if (!t || !(m->tf = ge_mp_alloc_table(c, n, sizeof *m->tf)))
        return -1;
    size_t i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_tf_release *r = &m->tf[i];
        ge_mp_where(c, "releases[%zu]", i);
        int win;
        if (ge_mp_req_ver(c, e, "version", &r->version, 3, 3) < 0 || ge_mp_parse_python(c, e, r->python, &r->npython) < 0 ||
            ge_mp_opt_ver(c, e, "cuda", &r->has_cuda, &r->cuda, 2, 3) < 0 ||
            ge_mp_opt_ver(c, e, "cudnn", &r->has_cudnn, &r->cudnn, 2, 4) < 0 ||
            opt_tristate(c, e, "and_cuda_extra", &r->and_cuda) < 0 ||
            opt_tristate(c, e, "windows_native_gpu", &win) < 0 ||
            opt_cc(c, e, "min_sm", &r->has_min_sm, &r->min_sm) < 0)
            return -1;
        ge_mp_opt_str(e, "numpy", r->numpy, sizeof r->numpy);
        if (r->numpy[0] && strcmp(r->numpy, "<2") != 0)
            return ge_mp_bad(c, "numpy rule '%s' is not understood (only \"<2\")", r->numpy);
        r->windows_gpu = win == 1;
        i++;
    }
    m->ntf = n;
    return 0;
}

static int load_jax(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m)
{
    size_t n;
    const cJSON *t = ge_mp_table(c, doc, "releases", &n, true), *e;
    if (!t || !(m->jax = ge_mp_alloc_table(c, n, sizeof *m->jax)))
        return -1;
    size_t i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_jax_release *r = &m->jax[i];
        ge_mp_where(c, "releases[%zu]", i);
        if (ge_mp_req_ver(c, e, "version", &r->version, 3, 4) < 0 || ge_mp_parse_python(c, e, r->python, &r->npython) < 0)
            return -1;
        ge_mp_opt_str(e, "numpy", r->numpy, sizeof r->numpy);
        struct ge_req nr;
        struct ge_err ne;
        if (r->numpy[0] && (ge_has_control(r->numpy) || ge_req_parse(&nr, r->numpy, &ne) < 0 ||
                            nr.pkg != GE_PKG_NUMPY || nr.nextras || nr.local[0]))
            return ge_mp_bad(c, "numpy '%s' is not a NumPy requirement such as \"numpy>=1.22,<2\"", r->numpy);
        int a64;
        if (opt_tristate(c, e, "linux_aarch64", &a64) < 0)
            return -1;
        r->linux_aarch64 = a64 == 1;
        const cJSON *xs = cJSON_GetObjectItemCaseSensitive(e, "extras"), *x;
        if (!cJSON_IsArray(xs))
            return ge_mp_bad(c, "extras is not a list");
        size_t j = 0;
        cJSON_ArrayForEach(x, xs)
        {
            ge_mp_where(c, "releases[%zu].extras[%zu]", i, j);
            if (r->nextras >= GE_MAX_EXTRAS)
                return ge_mp_bad(c, "more than %d extras", GE_MAX_EXTRAS);
            if (!cJSON_IsObject(x) || ge_mp_check_source(c, x) < 0)
                return cJSON_IsObject(x) ? -1 : ge_mp_bad(c, "not an object");
            struct ge_jax_extra *ex = &r->extras[r->nextras];
            ge_mp_opt_str(x, "name", ex->name, sizeof ex->name);
            if (!ge_name_safe(ex->name))
                return ge_mp_bad(c, "extra '%s' is not a plain name", ex->name);
            int local;
            if (opt_tristate(c, x, "local", &local) < 0 ||
                ge_mp_opt_ver(c, x, "cuda_min", &ex->has_cuda_min, &ex->cuda_min, 2, 3) < 0 ||
                ge_mp_opt_ver(c, x, "cudnn_min", &ex->has_cudnn_min, &ex->cudnn_min, 1, 4) < 0 ||
                ge_mp_opt_ver(c, x, "min_driver", &ex->has_min_driver, &ex->min_driver, 1, 3) < 0)
                return -1;
            ex->local = local == 1;
            ge_mp_opt_str(x, "find_links", ex->find_links, sizeof ex->find_links);
            /* it goes into requirements.txt as --find-links: one plain https URL */
            if (ex->find_links[0] && (!ge_startswith(ex->find_links, "https://") || strpbrk(ex->find_links, " \t\r\n'\"\\")))
                return ge_mp_bad(c, "find_links '%s' is not a plain https URL", ex->find_links);
            if (opt_cc(c, x, "min_sm", &ex->has_min_sm, &ex->min_sm) < 0)
                return -1;
            for (int k = 0; k < r->nextras; k++)
                if (strcmp(r->extras[k].name, ex->name) == 0)
                    return ge_mp_bad(c, "extra %s listed twice", ex->name);
            r->nextras++;
            j++;
        }
        i++;
    }
    m->njax = n;
    return 0;
}

/* ---- order, duplicates, cross-references ---- */

#define SORT_BY(type, field)                                                         \
    static int cmp_##type(const void *a, const void *b)                              \
    {                                                                                \
        return ge_version_cmp(&((const struct type *)a)->field.v, &((const struct type *)b)->field.v); \
    }
SORT_BY(ge_cuda_release, version)
SORT_BY(ge_cudnn_release, version)
SORT_BY(ge_torch_release, version)
SORT_BY(ge_tf_release, version)
SORT_BY(ge_jax_release, version)
SORT_BY(ge_branch, cuda)
SORT_BY(ge_cuda_ccs, cuda)

static int cmp_arch(const void *a, const void *b)
{
    return ge_cc_cmp(((const struct ge_gpu_arch *)a)->cc, ((const struct ge_gpu_arch *)b)->cc);
}

int ge_mp_sort_unique(struct ge_pctx *c, void *base, size_t n, size_t size,
                       int (*cmp)(const void *, const void *), const char *what,
                       const char *(*name)(const void *))
{
    if (n == 0)
        return 0; /* an optional file that is absent: no array at all */
    qsort(base, n, size, cmp);
    for (size_t i = 1; i < n; i++) {
        const char *a = (const char *)base + (i - 1) * size, *b = (const char *)base + i * size;
        if (cmp(a, b) == 0) {
            c->where[0] = '\0';
            return ge_mp_bad(c, "%s %s is listed twice", what, name(b));
        }
    }
    return 0;
}

static const char *name_cuda(const void *p) { return ((const struct ge_cuda_release *)p)->version.s; }
static const char *name_cudnn(const void *p) { return ((const struct ge_cudnn_release *)p)->version.s; }
static const char *name_torch(const void *p) { return ((const struct ge_torch_release *)p)->version.s; }
static const char *name_tf(const void *p) { return ((const struct ge_tf_release *)p)->version.s; }
static const char *name_jax(const void *p) { return ((const struct ge_jax_release *)p)->version.s; }
static const char *name_ccs(const void *p) { return ((const struct ge_cuda_ccs *)p)->cuda.s; }

static int cross_check(struct ge_pctx *c, struct ge_matrix *m)
{
    for (size_t i = 0; i < m->ntorch; i++) {
        const struct ge_torch_release *r = &m->torch[i];
        for (int j = 0; j < r->nvariants; j++) {
            const struct ge_torch_variant *v = &r->variants[j];
            ge_mp_where(c, "torch %s %s", r->version.s, v->name);
            bool found = v->cuda.v.n == 3 ? ge_matrix_cuda(m, &v->cuda.v) != NULL
                                          : ge_matrix_cuda_newest_of_minor(m, &v->cuda.v) != NULL;
            if (!found)
                return ge_mp_bad(c, "CUDA %s is not in cuda.json", v->cuda.s);
            if (v->has_cudnn && !ge_matrix_cudnn(m, &v->cudnn.v))
                return ge_mp_bad(c, "cuDNN %s is not in cudnn.json", v->cudnn.s);
            if (!ge_matrix_mvc(m, (int)v->cuda.v.part[0]))
                return ge_mp_bad(c, "no minor-version compatibility floor for CUDA %u", (unsigned)v->cuda.v.part[0]);
        }
    }
    c->file = "tensorflow.json";
    for (size_t i = 0; i < m->ntf; i++) {
        const struct ge_tf_release *r = &m->tf[i];
        ge_mp_where(c, "tensorflow %s", r->version.s);
        if (r->has_cuda && !ge_matrix_cuda_newest_of_minor(m, &r->cuda.v))
            return ge_mp_bad(c, "CUDA %s is not in cuda.json", r->cuda.s);
        bool series = !r->has_cudnn;
        for (size_t k = 0; k < m->ncudnn && !series; k++) {
            const struct ge_version *cv = &m->cudnn[k].version.v;
            series = cv->part[0] == r->cudnn.v.part[0] && (r->cudnn.v.n < 2 || cv->part[1] == r->cudnn.v.part[1]);
        }
        if (!series)
            return ge_mp_bad(c, "no cuDNN %s release is in cudnn.json", r->cudnn.s);
    }
    c->file = "jax.json";
    for (size_t i = 0; i < m->njax; i++)
        for (int j = 0; j < m->jax[i].nextras; j++) {
            const struct ge_jax_extra *x = &m->jax[i].extras[j];
            ge_mp_where(c, "jax %s [%s]", m->jax[i].version.s, x->name);
            if (x->has_cuda_min && !ge_matrix_cuda_newest_of_minor(m, &x->cuda_min.v))
                return ge_mp_bad(c, "CUDA %s is not in cuda.json", x->cuda_min.s);
            if (x->has_cuda_min && !ge_matrix_mvc(m, (int)x->cuda_min.v.part[0]))
                return ge_mp_bad(c, "no minor-version compatibility floor for CUDA %u", (unsigned)x->cuda_min.v.part[0]);
        }
    c->file = "cudnn.json";
    for (size_t i = 0; i < m->ncudnn; i++) {
        for (size_t k = i + 1; k < m->ncudnn; k++)
            if (m->cudnn[i].has_full && m->cudnn[k].has_full &&
                ge_version_cmp(&m->cudnn[i].full.v, &m->cudnn[k].full.v) == 0) {
                ge_mp_where(c, "cudnn %s", m->cudnn[k].version.s);
                return ge_mp_bad(c, "full_version %s is listed twice", m->cudnn[k].full.s);
            }
    }
    return 0;
}

static int load_file(struct ge_matrix *m, enum ge_matrix_file f, struct ge_err *err)
{
    char path[PATH_MAX];
    if (ge_path_join(path, sizeof path, m->dir, file_names[f]) < 0)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "data folder path too long: %s", m->dir);
    char *text = ge_read_file(path, 64u << 20, NULL);
    if (!text && errno == ENOENT && optional_file(f))
        return 0;
    if (!text) {
        ge_err_set(err, GE_EXIT_BAD_DATA, "cannot read %s: %s", path, strerror(errno));
        ge_err_hint(err, "reinstall gpuenv, or set GPUENV_DATA_DIR to a complete data folder");
        return -1;
    }
    cJSON *doc = cJSON_Parse(text);
    struct ge_pctx c = {file_names[f], NULL, err, ""};
    int rc = -1;
    if (!doc) {
        /* cJSON points at where parsing stopped: turn it into a line number */
        const char *at = cJSON_GetErrorPtr();
        int line = 1;
        for (const char *p = text; at && p < at && *p; p++)
            line += *p == '\n';
        ge_mp_bad(&c, "not valid JSON (near line %d)", line);
        goto out;
    }
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
    if (!cJSON_IsNumber(schema) || schema->valueint != GE_MATRIX_SCHEMA) {
        ge_mp_bad(&c, "schema is not %d (this gpuenv reads schema %d)", GE_MATRIX_SCHEMA, GE_MATRIX_SCHEMA);
        goto out;
    }
    ge_mp_opt_str(doc, "data_version", m->data_version[f], sizeof m->data_version[f]);
    if (!m->data_version[f][0]) {
        ge_mp_bad(&c, "data_version is missing");
        goto out;
    }
    c.sources = cJSON_GetObjectItemCaseSensitive(doc, "sources");
    if (!cJSON_IsObject(c.sources)) {
        ge_mp_bad(&c, "sources is missing");
        goto out;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, c.sources)
    {
        ge_mp_where(&c, "sources.%s", s->string);
        if (!cJSON_IsObject(s) || !(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "url")) ||
                                    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "repo")))) {
            ge_mp_bad(&c, "a source needs a url or a repo");
            goto out;
        }
    }
    switch (f) {
    case GE_MF_CUDA: rc = load_cuda(&c, doc, m); break;
    case GE_MF_CUDNN: rc = load_cudnn(&c, doc, m); break;
    case GE_MF_TORCH: rc = load_torch(&c, doc, m); break;
    case GE_MF_TF: rc = load_tf(&c, doc, m); break;
    case GE_MF_JAX: rc = load_jax(&c, doc, m); break;
    case GE_MF_TORCH_ROCM: rc = ge_mp_load_torch_rocm(&c, doc, m); break;
    case GE_MF_ROCM: rc = ge_mp_load_rocm(&c, doc, m); break;
    case GE_MF_TF_ROCM: rc = ge_mp_load_rocm_builds(&c, doc, m, "tensorflow"); break;
    case GE_MF_JAX_ROCM: rc = ge_mp_load_rocm_builds(&c, doc, m, "jax"); break;
    default: break;
    }
out:
    cJSON_Delete(doc);
    free(text);
    return rc;
}

struct ge_matrix *ge_matrix_load(const char *dir, struct ge_err *err)
{
    struct ge_matrix *m = ge_matrix_cache_read(dir);
    if (m)
        return m;
    m = calloc(1, sizeof *m);
    if (!m) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        return NULL;
    }
    ge_strlcpy(m->dir, dir, sizeof m->dir);
    for (int f = 0; f < GE_MF_COUNT; f++)
        if (load_file(m, (enum ge_matrix_file)f, err) < 0)
            goto fail;
    struct ge_pctx c = {"cuda.json", NULL, err, ""};
    if (ge_mp_sort_unique(&c, m->cuda, m->ncuda, sizeof *m->cuda, cmp_ge_cuda_release, "CUDA", name_cuda) < 0 ||
        ge_mp_sort_unique(&c, m->ccs, m->nccs, sizeof *m->ccs, cmp_ge_cuda_ccs, "compute capabilities of CUDA", name_ccs) < 0)
        goto fail;
    qsort(m->branches, m->nbranches, sizeof *m->branches, cmp_ge_branch);
    qsort(m->archs, m->narchs, sizeof *m->archs, cmp_arch);
    for (size_t i = 1; i < m->narchs; i++)
        if (ge_cc_cmp(m->archs[i - 1].cc, m->archs[i].cc) == 0) {
            char cc[8];
            ge_mp_bad(&c, "gpu architecture %s is listed twice", ge_cc_format(m->archs[i].cc, cc, sizeof cc));
            goto fail;
        }
    for (size_t i = 1; i < m->nbranches; i++)
        for (size_t k = 0; k < i; k++)
            if (m->branches[k].branch == m->branches[i].branch) {
                ge_mp_bad(&c, "driver branch R%d is listed twice", m->branches[i].branch);
                goto fail;
            }
    for (size_t i = 0; i < m->nmvc; i++)
        for (size_t k = 0; k < i; k++)
            if (m->mvc[k].major == m->mvc[i].major) {
                ge_mp_bad(&c, "minor-version compatibility of CUDA %d is listed twice", m->mvc[i].major);
                goto fail;
            }
    c.file = "cudnn.json";
    if (ge_mp_sort_unique(&c, m->cudnn, m->ncudnn, sizeof *m->cudnn, cmp_ge_cudnn_release, "cuDNN", name_cudnn) < 0)
        goto fail;
    c.file = "pytorch.json";
    if (ge_mp_sort_unique(&c, m->torch, m->ntorch, sizeof *m->torch, cmp_ge_torch_release, "torch", name_torch) < 0)
        goto fail;
    c.file = "tensorflow.json";
    if (ge_mp_sort_unique(&c, m->tf, m->ntf, sizeof *m->tf, cmp_ge_tf_release, "tensorflow", name_tf) < 0)
        goto fail;
    c.file = "jax.json";
    if (ge_mp_sort_unique(&c, m->jax, m->njax, sizeof *m->jax, cmp_ge_jax_release, "jax", name_jax) < 0)
        goto fail;
    if (ge_mp_check_rocm(&c, m) < 0)
        goto fail;
    c.file = "pytorch.json";
    if (cross_check(&c, m) < 0)
        goto fail;
    ge_matrix_cache_write(m);
    return m;
fail:
    ge_matrix_free(m);
    return NULL;
}

void ge_matrix_free(struct ge_matrix *m)
{
    if (!m)
        return;
    free(m->cuda);
    free(m->mvc);
    free(m->branches);
    free(m->ccs);
    free(m->cudnn);
    free(m->torch);
    free(m->tf);
    free(m->jax);
    free(m->archs);
    free(m->ptx);
    free(m->torch_rocm);
    free(m->rocm);
    free(m->gfx_targets);
    free(m->gfx_families);
    free(m->rocm_builds);
    free(m);
}

int ge_matrix_ptx_isa_for_cuda(const struct ge_matrix *m, const struct ge_version *cuda, struct ge_version *isa)
{
    const struct ge_ptx_isa *best = NULL;
    for (size_t i = 0; i < m->nptx; i++)
        if (ge_version_cmp(&m->ptx[i].cuda.v, cuda) <= 0)
            best = &m->ptx[i];
    if (!best)
        return -1;
    *isa = best->isa.v;
    return 0;
}

int ge_matrix_ptx_isa_cuda(const struct ge_matrix *m, const struct ge_version *isa, struct ge_version *cuda)
{
    for (size_t i = 0; i < m->nptx; i++)
        if (ge_version_cmp(&m->ptx[i].isa.v, isa) == 0) {
            *cuda = m->ptx[i].cuda.v;
            return 0;
        }
    return -1;
}

/* ---- look-ups ---- */

const struct ge_cuda_release *ge_matrix_cuda(const struct ge_matrix *m, const struct ge_version *v)
{
    for (size_t i = 0; i < m->ncuda; i++)
        if (ge_version_cmp(&m->cuda[i].version.v, v) == 0)
            return &m->cuda[i];
    return NULL;
}

const struct ge_cuda_release *ge_matrix_cuda_newest_of_minor(const struct ge_matrix *m, const struct ge_version *v)
{
    const struct ge_cuda_release *best = NULL;
    for (size_t i = 0; i < m->ncuda; i++)
        if (m->cuda[i].version.v.part[0] == v->part[0] && m->cuda[i].version.v.part[1] == v->part[1])
            best = &m->cuda[i]; /* ascending: the last match is the newest */
    return best;
}

const struct ge_cuda_mvc *ge_matrix_mvc(const struct ge_matrix *m, int major)
{
    for (size_t i = 0; i < m->nmvc; i++)
        if (m->mvc[i].major == major)
            return &m->mvc[i];
    return NULL;
}

const struct ge_cuda_ccs *ge_matrix_cuda_ccs(const struct ge_matrix *m, const struct ge_version *minor)
{
    for (size_t i = 0; i < m->nccs; i++)
        if (m->ccs[i].cuda.v.part[0] == minor->part[0] && m->ccs[i].cuda.v.part[1] == minor->part[1])
            return &m->ccs[i];
    return NULL;
}

const struct ge_cudnn_release *ge_matrix_cudnn(const struct ge_matrix *m, const struct ge_version *v)
{
    for (size_t i = 0; i < m->ncudnn; i++) {
        const struct ge_cudnn_release *r = &m->cudnn[i];
        if (v->n == 4 ? (r->has_full && ge_version_cmp(&r->full.v, v) == 0)
                      : ge_version_cmp(&r->version.v, v) == 0)
            return r;
    }
    return NULL;
}

const struct ge_cudnn_build *ge_matrix_cudnn_build(const struct ge_cudnn_release *r, int cuda_major)
{
    for (int i = 0; i < r->nbuilds; i++)
        if (r->builds[i].cuda_major == cuda_major)
            return &r->builds[i];
    return NULL;
}

int ge_matrix_driver_cuda(const struct ge_matrix *m, const struct ge_version *driver, struct ge_version *cuda)
{
    for (size_t i = 0; i < m->nbranches; i++)
        if ((unsigned)m->branches[i].branch == driver->part[0]) {
            *cuda = m->branches[i].cuda.v;
            return 0;
        }
    int found = -1;
    for (size_t i = 0; i < m->ncuda; i++) {
        const struct ge_cuda_release *r = &m->cuda[i];
        if (r->min_driver.has_linux && ge_version_cmp(driver, &r->min_driver.linux_x86_64.v) >= 0) {
            *cuda = r->version.v;
            cuda->n = 2;
            found = 0;
        }
    }
    return found;
}

void ge_matrix_python_list(const struct ge_ver *py, int n, const char *span, char *out, size_t size)
{
    bool run = true;
    for (int i = 1; i < n; i++)
        run = run && py[i].v.n >= 2 && py[i - 1].v.n >= 2 && py[i].v.part[0] == py[i - 1].v.part[0] &&
              py[i].v.part[1] == py[i - 1].v.part[1] + 1;
    if (n == 0) {
        ge_strlcpy(out, "-", size);
    } else if (n == 1) {
        ge_strlcpy(out, py[0].s, size);
    } else if (run) {
        snprintf(out, size, "%s%s%s", py[0].s, span, py[n - 1].s);
    } else {
        out[0] = '\0';
        for (int i = 0; i < n; i++) {
            size_t l = strlen(out);
            snprintf(out + l, size - l, "%s%s", i ? ", " : "", py[i].s);
        }
    }
}

const struct ge_gpu_arch *ge_matrix_gpu_arch(const struct ge_matrix *m, struct ge_cc cc)
{
    for (size_t i = 0; i < m->narchs; i++)
        if (ge_cc_cmp(m->archs[i].cc, cc) == 0)
            return &m->archs[i];
    return NULL;
}

bool ge_matrix_cc_known(const struct ge_matrix *m, struct ge_cc cc)
{
    bool older = true; /* older than every capability the matrix lists: a GPU of an earlier era */
    for (size_t i = 0; i < m->nccs; i++)
        for (int k = 0; k < m->ccs[i].nccs; k++) {
            if (ge_cc_cmp(m->ccs[i].ccs[k], cc) == 0)
                return true;
            if (ge_cc_cmp(m->ccs[i].ccs[k], cc) <= 0)
                older = false;
        }
    if (older && m->nccs)
        return true;
    /* architectures older than the matrix's first CUDA (Kepler's 3.0/3.2 in torch's old lists) */
    for (size_t i = 0; i < m->ntorch; i++)
        for (int v = 0; v < m->torch[i].nvariants; v++)
            for (int a = 0; a < m->torch[i].variants[v].narch; a++)
                if (ge_cc_cmp(m->torch[i].variants[v].arch[a].cc, cc) == 0)
                    return true;
    return false;
}

void ge_matrix_arch_list(const struct ge_torch_variant *v, char *out, size_t size)
{
    struct ge_buf b;
    ge_buf_init(&b);
    for (int i = 0; i < v->narch; i++) {
        char cc[8];
        ge_buf_addf(&b, "%s%s%s", i ? " " : "", ge_cc_format(v->arch[i].cc, cc, sizeof cc),
                    v->arch[i].ptx ? "+PTX" : "");
    }
    if (v->ptx_unknown)
        ge_buf_adds(&b, " (PTX?)");
    ge_strlcpy(out, v->narch ? ge_buf_str(&b) : "-", size);
    ge_buf_fini(&b);
}

void ge_matrix_torch_index_url(const struct ge_matrix *m, const char *variant, char *out, size_t size)
{
    const char *tpl = m ? m->torch_index_url : "https://download.pytorch.org/whl/{variant}";
    const char *at = strstr(tpl, "{variant}");
    if (!at) /* a loaded matrix always has it (validated) */
        at = tpl + strlen(tpl);
    if (ge_fmt(out, size, "%.*s%s%s", (int)(at - tpl), tpl, variant, *at ? at + strlen("{variant}") : "") < 0 && size)
        out[0] = '\0';
}
