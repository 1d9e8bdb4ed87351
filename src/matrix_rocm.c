/* matrix_rocm.c: the AMD side of the matrix: PyTorch's ROCm wheels (pytorch_rocm.json), AMD's
 * ROCm releases, gfx targets, target families and the override variable (rocm.json), and
 * TensorFlow's and JAX's ROCm builds (tensorflow_rocm.json, jax_rocm.json). Every file is
 * optional: what a data folder lacks is simply not known. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd.h"
#include "matrix_parse.h"
#include "str.h"

/* A "gfx": [...] list into an ascending array of gfx_target_version; absent: 0 entries (not known). */
static int parse_gfx(struct ge_pctx *c, const cJSON *arr, const char *key, unsigned *out, int *n, int max)
{
    *n = 0;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return ge_mp_bad(c, "%s is not a non-empty list", key);
    const cJSON *g;
    cJSON_ArrayForEach(g, arr)
    {
        unsigned t;
        if (!cJSON_IsString(g) || ge_amd_gfx_parse(g->valuestring, &t) < 0)
            return ge_mp_bad(c, "%s holds '%s', which is no gfx target", key, cJSON_IsString(g) ? g->valuestring : "?");
        if (*n == max)
            return ge_mp_bad(c, "%s has more than %d gfx targets", key, max);
        if (ge_gfx_list_has(out, *n, t))
            return ge_mp_bad(c, "gfx target %s is listed twice in %s", g->valuestring, key);
        int at = (*n)++;
        while (at > 0 && out[at - 1] > t) { /* kept ascending */
            out[at] = out[at - 1];
            at--;
        }
        out[at] = t;
    }
    return 0;
}

int ge_mp_load_torch_rocm(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m)
{
    size_t n;
    const cJSON *t = ge_mp_table(c, doc, "releases", &n, true), *e;
    if (!t || !(m->torch_rocm = ge_mp_alloc_table(c, n, sizeof *m->torch_rocm)))
        return -1;
    size_t i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_torch_rocm_release *r = &m->torch_rocm[i];
        ge_mp_where(c, "releases[%zu]", i);
        if (ge_mp_req_ver(c, e, "version", &r->version, 2, 3) < 0)
            return -1;
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(e, "variants"), *v;
        if (!cJSON_IsArray(vs) || cJSON_GetArraySize(vs) == 0)
            return ge_mp_bad(c, "variants is not a non-empty list");
        cJSON_ArrayForEach(v, vs)
        {
            ge_mp_where(c, "torch %s variants[%d]", r->version.s, r->nvariants);
            if (r->nvariants == GE_MAX_ROCM_VARIANTS)
                return ge_mp_bad(c, "more than %d variants", GE_MAX_ROCM_VARIANTS);
            struct ge_rocm_variant *x = &r->variants[r->nvariants++];
            if (!cJSON_IsObject(v) || ge_mp_check_source(c, v) < 0)
                return cJSON_IsObject(v) ? -1 : ge_mp_bad(c, "not an object");
            ge_mp_opt_str(v, "name", x->name, sizeof x->name);
            ge_mp_opt_str(v, "platform", x->platform, sizeof x->platform);
            if (ge_mp_req_ver(c, v, "rocm", &x->rocm, 2, 3) < 0)
                return -1;
            char want[32];
            snprintf(want, sizeof want, "rocm%s", x->rocm.s);
            if (strcmp(x->name, want) != 0)
                return ge_mp_bad(c, "variant '%s' of ROCm %s is not named %s", x->name, x->rocm.s, want);
            if (strcmp(x->platform, "linux-x86_64") != 0)
                return ge_mp_bad(c, "platform '%s': PyTorch builds ROCm wheels for linux-x86_64 only", x->platform);
            for (int k = 0; k + 1 < r->nvariants; k++)
                if (!strcmp(r->variants[k].name, x->name))
                    return ge_mp_bad(c, "variant %s is listed twice", x->name);
            if (parse_gfx(c, cJSON_GetObjectItemCaseSensitive(v, "gfx"), "gfx", x->gfx, &x->ngfx, GE_MAX_GFX) < 0)
                return -1;
            char basis[32];
            ge_mp_opt_str(v, "gfx_basis", basis, sizeof basis);
            if (basis[0] && (strcmp(basis, "main-at-branch-cut") != 0 || !x->ngfx))
                return ge_mp_bad(c, "gfx_basis '%s' is not main-at-branch-cut with a gfx list", basis);
            x->gfx_inferred = basis[0] != '\0';
        }
        i++;
    }
    m->ntorch_rocm = n;
    return 0;
}

static int load_rocm_releases(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m)
{
    size_t n;
    const cJSON *t = ge_mp_table(c, doc, "releases", &n, true), *e;
    if (!t || !(m->rocm = ge_mp_alloc_table(c, n, sizeof *m->rocm)))
        return -1;
    size_t i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_rocm_release *r = &m->rocm[i];
        ge_mp_where(c, "releases[%zu]", i);
        if (ge_mp_req_ver(c, e, "version", &r->version, 3, 3) < 0)
            return -1;
        ge_mp_where(c, "rocm %s", r->version.s);
        ge_mp_opt_str(e, "date", r->date, sizeof r->date);
        ge_mp_opt_str(e, "hip", r->hip, sizeof r->hip);
        if (parse_gfx(c, cJSON_GetObjectItemCaseSensitive(e, "gfx"), "gfx", r->gfx, &r->ngfx, GE_MAX_GFX) < 0 ||
            ge_mp_opt_ver(c, e, "miopen", &r->has_miopen, &r->miopen, 2, 3) < 0)
            return -1;
        const cJSON *kd = cJSON_GetObjectItemCaseSensitive(e, "kernel_driver"), *d;
        const cJSON *am = kd ? cJSON_GetObjectItemCaseSensitive(kd, "amdgpu") : NULL;
        if (kd && !cJSON_IsArray(am))
            return ge_mp_bad(c, "kernel_driver.amdgpu is not a list");
        cJSON_ArrayForEach(d, am)
        {
            if (r->ndrivers == GE_MAX_AMDGPU)
                return ge_mp_bad(c, "kernel_driver.amdgpu has more than %d entries", GE_MAX_AMDGPU);
            if (!cJSON_IsString(d) || !d->valuestring[0] || strlen(d->valuestring) >= sizeof r->drivers[0])
                return ge_mp_bad(c, "kernel_driver.amdgpu holds something that is no driver release");
            ge_strlcpy(r->drivers[r->ndrivers++], d->valuestring, sizeof r->drivers[0]);
        }
        i++;
    }
    m->nrocm = n;
    return 0;
}

static int load_gfx_targets(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m)
{
    size_t n;
    const cJSON *t = ge_mp_table(c, doc, "gfx_targets", &n, false), *e;
    if (!t)
        return c->err->status ? -1 : 0;
    if (!(m->gfx_targets = ge_mp_alloc_table(c, n, sizeof *m->gfx_targets)))
        return -1;
    size_t i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_gfx_target *g = &m->gfx_targets[i];
        ge_mp_where(c, "gfx_targets[%zu]", i);
        const cJSON *num = cJSON_GetObjectItemCaseSensitive(e, "gfx_target_version");
        ge_mp_opt_str(e, "gfx", g->name, sizeof g->name);
        ge_mp_opt_str(e, "name", g->product, sizeof g->product);
        ge_mp_opt_str(e, "architecture", g->architecture, sizeof g->architecture);
        unsigned want;
        if (ge_amd_gfx_parse(g->name, &want) < 0)
            return ge_mp_bad(c, "gfx '%s' is no gfx target", g->name);
        if (!cJSON_IsNumber(num) || num->valuedouble != (double)want)
            return ge_mp_bad(c, "gfx_target_version of %s is not %u", g->name, want);
        g->gfx = want;
        for (size_t k = 0; k < i; k++)
            if (m->gfx_targets[k].gfx == want)
                return ge_mp_bad(c, "gfx target %s is listed twice", g->name);
        i++;
    }
    m->ngfx_targets = n;
    for (size_t a = 1; a < n; a++) /* ascending by target */
        for (size_t b = a; b > 0 && m->gfx_targets[b - 1].gfx > m->gfx_targets[b].gfx; b--) {
            struct ge_gfx_target x = m->gfx_targets[b];
            m->gfx_targets[b] = m->gfx_targets[b - 1];
            m->gfx_targets[b - 1] = x;
        }
    return 0;
}

static int load_gfx_families(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m)
{
    size_t n;
    const cJSON *t = ge_mp_table(c, doc, "gfx_families", &n, false), *e;
    if (!t)
        return c->err->status ? -1 : 0;
    if (!(m->gfx_families = ge_mp_alloc_table(c, n, sizeof *m->gfx_families)))
        return -1;
    size_t i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_gfx_family *f = &m->gfx_families[i];
        ge_mp_where(c, "gfx_families[%zu]", i);
        ge_mp_opt_str(e, "name", f->name, sizeof f->name);
        if (!f->name[0])
            return ge_mp_bad(c, "a family needs a name");
        if (parse_gfx(c, cJSON_GetObjectItemCaseSensitive(e, "members"), "members", f->members, &f->nmembers,
                      GE_MAX_FAMILY) < 0)
            return -1;
        if (f->nmembers < 2)
            return ge_mp_bad(c, "family %s has fewer than two members", f->name);
        /* a target belongs to one family at most: the override hint must not have two answers */
        for (size_t k = 0; k < i; k++)
            for (int a = 0; a < f->nmembers; a++)
                if (ge_gfx_list_has(m->gfx_families[k].members, m->gfx_families[k].nmembers, f->members[a])) {
                    char g[16];
                    ge_amd_gfx_name(f->members[a], g, sizeof g);
                    return ge_mp_bad(c, "%s is in family %s and in %s", g, m->gfx_families[k].name, f->name);
                }
        i++;
    }
    m->ngfx_families = n;
    return 0;
}

int ge_mp_load_rocm(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m)
{
    if (load_rocm_releases(c, doc, m) < 0 || load_gfx_targets(c, doc, m) < 0 || load_gfx_families(c, doc, m) < 0)
        return -1;
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, "hsa_override");
    if (o) {
        ge_mp_where(c, "hsa_override");
        if (!cJSON_IsObject(o) || ge_mp_check_source(c, o) < 0)
            return cJSON_IsObject(o) ? -1 : ge_mp_bad(c, "not an object");
        ge_mp_opt_str(o, "variable", m->hsa_override, sizeof m->hsa_override);
        if (!m->hsa_override[0])
            return ge_mp_bad(c, "variable is missing");
    }
    return 0;
}

static int parse_pkgs(struct ge_pctx *c, const cJSON *arr, struct ge_rocm_build *b)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return ge_mp_bad(c, "packages is not a non-empty list");
    const cJSON *p;
    cJSON_ArrayForEach(p, arr)
    {
        if (b->npkgs == GE_MAX_ROCM_PKGS)
            return ge_mp_bad(c, "more than %d packages", GE_MAX_ROCM_PKGS);
        struct ge_rocm_pkg *k = &b->pkgs[b->npkgs++];
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "name"),
                    *ver = cJSON_GetObjectItemCaseSensitive(p, "version");
        if (!cJSON_IsString(name) || !name->valuestring[0] || strlen(name->valuestring) >= sizeof k->name ||
            strspn(name->valuestring, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(name->valuestring))
            return ge_mp_bad(c, "a package needs a name of letters, digits, '-', '_' and '.'");
        /* a release, with a local label where the wheels carry one (jaxlib 0.4.30+rocm611) */
        struct ge_version pv;
        char rel[sizeof k->version];
        const char *plus = cJSON_IsString(ver) ? strchr(ver->valuestring, '+') : NULL;
        if (!cJSON_IsString(ver) || strlen(ver->valuestring) >= sizeof k->version ||
            (plus && (!plus[1] || strspn(plus + 1, "abcdefghijklmnopqrstuvwxyz0123456789.") != strlen(plus + 1))))
            return ge_mp_bad(c, "package %s has no well-formed version", name->valuestring);
        ge_strlcpy(rel, ver->valuestring, plus ? (size_t)(plus - ver->valuestring) + 1 : sizeof rel);
        if (ge_version_parse(&pv, rel, 1, 4) < 0)
            return ge_mp_bad(c, "package %s has no well-formed version", name->valuestring);
        ge_strlcpy(k->name, name->valuestring, sizeof k->name);
        ge_strlcpy(k->version, ver->valuestring, sizeof k->version);
    }
    return 0;
}

int ge_mp_load_rocm_builds(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m, const char *framework)
{
    size_t n;
    const cJSON *t = ge_mp_table(c, doc, "releases", &n, true), *e;
    if (!t)
        return -1;
    struct ge_rocm_build *all = realloc(m->rocm_builds, (m->nrocm_builds + n + 1) * sizeof *all);
    if (!all)
        return ge_err_set(c->err, GE_EXIT_FAILURE, "out of memory loading %s", c->file);
    m->rocm_builds = all;
    size_t i = 0;
    cJSON_ArrayForEach(e, t)
    {
        struct ge_rocm_build *b = &all[m->nrocm_builds + i];
        memset(b, 0, sizeof *b);
        ge_strlcpy(b->framework, framework, sizeof b->framework);
        ge_mp_where(c, "releases[%zu]", i);
        if (ge_mp_req_ver(c, e, "version", &b->version, 2, 4) < 0)
            return -1;
        ge_mp_where(c, "%s %s", framework, b->version.s);
        if (ge_mp_req_ver(c, e, "rocm", &b->rocm, 2, 3) < 0 ||
            parse_pkgs(c, cJSON_GetObjectItemCaseSensitive(e, "packages"), b) < 0 ||
            ge_mp_parse_python(c, e, b->python, &b->npython) < 0 ||
            parse_gfx(c, cJSON_GetObjectItemCaseSensitive(e, "gfx"), "gfx", b->gfx, &b->ngfx, GE_MAX_GFX) < 0)
            return -1;
        ge_mp_opt_str(e, "platform", b->platform, sizeof b->platform);
        if (strcmp(b->platform, "linux-x86_64") != 0)
            return ge_mp_bad(c, "platform '%s': ROCm builds are for linux-x86_64", b->platform);
        const cJSON *fl = cJSON_GetObjectItemCaseSensitive(e, "find_links");
        if (fl && (!cJSON_IsString(fl) || strlen(fl->valuestring) >= sizeof b->find_links ||
                   (fl->valuestring[0] && strncmp(fl->valuestring, "https://", 8) != 0)))
            return ge_mp_bad(c, "find_links is neither \"\" nor an https:// URL");
        ge_mp_opt_str(e, "find_links", b->find_links, sizeof b->find_links);
        /* one build per framework version and ROCm */
        for (size_t k = 0; k < m->nrocm_builds + i; k++)
            if (!strcmp(all[k].framework, framework) && ge_version_cmp(&all[k].version.v, &b->version.v) == 0 &&
                ge_version_cmp(&all[k].rocm.v, &b->rocm.v) == 0)
                return ge_mp_bad(c, "the build for ROCm %s is listed twice", b->rocm.s);
        i++;
    }
    m->nrocm_builds += n;
    return 0;
}

static int cmp_torch_rocm(const void *a, const void *b)
{
    return ge_version_cmp(&((const struct ge_torch_rocm_release *)a)->version.v,
                          &((const struct ge_torch_rocm_release *)b)->version.v);
}

static int cmp_rocm(const void *a, const void *b)
{
    return ge_version_cmp(&((const struct ge_rocm_release *)a)->version.v, &((const struct ge_rocm_release *)b)->version.v);
}

static int cmp_build(const void *pa, const void *pb)
{
    const struct ge_rocm_build *a = pa, *b = pb;
    int d = strcmp(b->framework, a->framework); /* tensorflow before jax */
    if (!d)
        d = ge_version_cmp(&a->version.v, &b->version.v);
    return d ? d : ge_version_cmp(&a->rocm.v, &b->rocm.v);
}

static const char *name_torch_rocm(const void *p) { return ((const struct ge_torch_rocm_release *)p)->version.s; }
static const char *name_rocm(const void *p) { return ((const struct ge_rocm_release *)p)->version.s; }

int ge_mp_check_rocm(struct ge_pctx *c, struct ge_matrix *m)
{
    c->file = "pytorch_rocm.json";
    if (ge_mp_sort_unique(c, m->torch_rocm, m->ntorch_rocm, sizeof *m->torch_rocm, cmp_torch_rocm, "torch",
                          name_torch_rocm) < 0)
        return -1;
    c->where[0] = '\0';
    for (size_t i = 0; i < m->ntorch_rocm; i++) { /* every release is one of pytorch.json's */
        bool known = false;
        for (size_t k = 0; k < m->ntorch && !known; k++)
            known = ge_version_cmp(&m->torch[k].version.v, &m->torch_rocm[i].version.v) == 0;
        if (!known)
            return ge_mp_bad(c, "torch %s is not in pytorch.json", m->torch_rocm[i].version.s);
    }
    c->file = "rocm.json";
    if (ge_mp_sort_unique(c, m->rocm, m->nrocm, sizeof *m->rocm, cmp_rocm, "ROCm", name_rocm) < 0)
        return -1;
    if (m->nrocm_builds)
        qsort(m->rocm_builds, m->nrocm_builds, sizeof *m->rocm_builds, cmp_build);
    return 0;
}

/* ---- look-ups ---- */

bool ge_gfx_list_has(const unsigned *list, int n, unsigned gfx)
{
    for (int i = 0; i < n; i++)
        if (list[i] == gfx)
            return true;
    return false;
}

void ge_gfx_list_format(const unsigned *list, int n, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        char g[16];
        if (ge_amd_gfx_name(list[i], g, sizeof g) < 0)
            snprintf(g, sizeof g, "%u", list[i]);
        int w = snprintf(out + len, len < size ? size - len : 0, "%s%s", i ? " " : "", g);
        if (w < 0 || len + (size_t)w >= size)
            break;
        len += (size_t)w;
    }
    if (!n && size > 1)
        ge_strlcpy(out, "-", size);
}

const struct ge_rocm_release *ge_matrix_rocm(const struct ge_matrix *m, const struct ge_version *v)
{
    for (size_t i = 0; i < m->nrocm; i++)
        if (ge_version_cmp(&m->rocm[i].version.v, v) == 0)
            return &m->rocm[i];
    return NULL;
}

const struct ge_rocm_release *ge_matrix_rocm_newest_of_minor(const struct ge_matrix *m, const struct ge_version *v)
{
    for (size_t i = m->nrocm; i-- > 0;) {
        const struct ge_version *r = &m->rocm[i].version.v;
        if (r->part[0] == v->part[0] && r->part[1] == v->part[1])
            return &m->rocm[i];
    }
    return NULL;
}

const struct ge_torch_rocm_release *ge_matrix_torch_rocm(const struct ge_matrix *m, const struct ge_version *v)
{
    for (size_t i = 0; i < m->ntorch_rocm; i++)
        if (ge_version_cmp(&m->torch_rocm[i].version.v, v) == 0)
            return &m->torch_rocm[i];
    return NULL;
}

const struct ge_gfx_target *ge_matrix_gfx_target(const struct ge_matrix *m, unsigned gfx)
{
    for (size_t i = 0; i < m->ngfx_targets; i++)
        if (m->gfx_targets[i].gfx == gfx)
            return &m->gfx_targets[i];
    return NULL;
}

const struct ge_gfx_family *ge_matrix_gfx_family(const struct ge_matrix *m, unsigned gfx)
{
    for (size_t i = 0; i < m->ngfx_families; i++)
        if (ge_gfx_list_has(m->gfx_families[i].members, m->gfx_families[i].nmembers, gfx))
            return &m->gfx_families[i];
    return NULL;
}
