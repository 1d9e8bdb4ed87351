/* matrix_cache.c: the compiled cache of a validated matrix (matrix.bin): the typed structs as
 * bytes, stamped with the identity of each data file and of the binary, summed, and checked field
 * by field when read back, so that a damaged or forged file is never used. */
#include "matrix_cache.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "path.h"
#include "str.h"

int ge_cache_dir(char *out, size_t size)
{
    const char *c = getenv("GPUENV_CACHE_DIR");
    if (c && c[0])
        return ge_fmt(out, size, "%s", c);
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && x[0] == '/')
        return ge_fmt(out, size, "%s/gpuenv", x);
    const char *h = getenv("HOME");
    if (h && h[0])
        return ge_fmt(out, size, "%s/.cache/gpuenv", h);
    return -1;
}

#define CACHE_MAGIC "GEMTX007"

/* What the cache must match: the layout of this build's structs and the identity of each file. */
struct cache_header {
    char magic[8];
    uint32_t layout[17];
    uint64_t stamp[GE_MF_COUNT][5]; /* dev, ino, size, mtime s, mtime ns */
    uint64_t exe[5];                /* the same of the gpuenv binary: a rebuilt parser reparses */
    char dir[4096];
    uint64_t n[15];
};

static void cache_layout(uint32_t layout[17])
{
    const uint32_t l[17] = {(uint32_t)sizeof(struct ge_gpu_arch), (uint32_t)sizeof(struct ge_matrix), (uint32_t)sizeof(struct ge_cuda_release),
                            (uint32_t)sizeof(struct ge_cuda_mvc), (uint32_t)sizeof(struct ge_branch),
                            (uint32_t)sizeof(struct ge_cuda_ccs), (uint32_t)sizeof(struct ge_cudnn_release),
                            (uint32_t)sizeof(struct ge_torch_release), (uint32_t)sizeof(struct ge_tf_release),
                            (uint32_t)sizeof(struct ge_jax_release), GE_MAX_CCS * 1000u + GE_MAX_ARCH,
                            GE_MAX_PY * 1000u + GE_MAX_VARIANTS, GE_MAX_BUILDS * 1000u + GE_MAX_EXTRAS,
                            (uint32_t)sizeof(struct ge_rocm_release), (uint32_t)sizeof(struct ge_gfx_target),
                            (uint32_t)sizeof(struct ge_gfx_family), (uint32_t)sizeof(struct ge_rocm_build)};
    memcpy(layout, l, sizeof l);
}

static int stamp_of(const char *path, uint64_t out[5])
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return -1;
        memset(out, 0, 5 * sizeof *out); /* an optional file that is absent: its arrival changes the stamp */
        return 0;
    }
    out[0] = (uint64_t)st.st_dev;
    out[1] = (uint64_t)st.st_ino;
    out[2] = (uint64_t)st.st_size;
    out[3] = (uint64_t)st.st_mtim.tv_sec;
    out[4] = (uint64_t)st.st_mtim.tv_nsec;
    return 0;
}

/* The identity of every data file and of the binary that parsed them. */
static int cache_stamp(const char *dir, struct cache_header *h)
{
    for (int f = 0; f < GE_MF_COUNT; f++) {
        char p[PATH_MAX];
        if (ge_path_join(p, sizeof p, dir, ge_matrix_file_name((enum ge_matrix_file)f)) < 0 || stamp_of(p, h->stamp[f]) < 0)
            return -1;
    }
    return stamp_of("/proc/self/exe", h->exe);
}

static void cache_header_init(struct cache_header *h, const char *dir)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, CACHE_MAGIC, sizeof h->magic);
    cache_layout(h->layout);
    ge_strlcpy(h->dir, dir, sizeof h->dir);
}

#define ARRAYS(X)                                     \
    X(0, cuda, ncuda) X(1, mvc, nmvc) X(2, branches, nbranches) X(3, ccs, nccs) \
    X(4, cudnn, ncudnn) X(5, torch, ntorch) X(6, tf, ntf) X(7, jax, njax) X(8, archs, narchs) \
    X(9, ptx, nptx) X(10, torch_rocm, ntorch_rocm) X(11, rocm, nrocm) X(12, gfx_targets, ngfx_targets) \
    X(13, gfx_families, ngfx_families) X(14, rocm_builds, nrocm_builds)

/* A 64-bit FNV-1a over the file, a word at a time: each step is a bijection of the state, so any
 * change to one word changes the sum. Against bit rot and torn writes, not against forgery (whoever
 * can write the cache can write the sum; the field checks below keep such a file from being read
 * out of bounds). */
uint64_t ge_matrix_cache_sum(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* ---- every field of a matrix read back from the cache ----
 * The structs are read as bytes: every bool must be 0 or 1 (anything else is undefined
 * behaviour to read as a bool), every string terminated within its array, every version what its
 * text says, every count within its array, every compute capability and tri-state in range, and
 * every table in the order the loader leaves it. */

_Static_assert(sizeof(bool) == 1, "the cache reads bools as bytes");

static bool ok_bool(const bool *b)
{
    unsigned char c;
    memcpy(&c, b, 1);
    return c <= 1;
}

#define OK_STR(a) (memchr((a), 0, sizeof(a)) != NULL)

static bool ok_ver(const struct ge_ver *v)
{
    if (!OK_STR(v->s))
        return false;
    if (v->v.n == 0) { /* an optional version left out */
        for (int i = 0; i < GE_VERSION_PARTS; i++)
            if (v->v.part[i])
                return false;
        return v->s[0] == '\0';
    }
    struct ge_version t;
    if (v->v.n > GE_VERSION_PARTS || ge_version_parse(&t, v->s, 1, GE_VERSION_PARTS) < 0 || t.n != v->v.n)
        return false;
    for (int i = 0; i < GE_VERSION_PARTS; i++)
        if (t.part[i] != v->v.part[i])
            return false;
    return true;
}

static bool ok_cc(struct ge_cc c)
{
    return (c.major == 0 && c.minor == 0) || (c.major >= 1 && c.major <= 99 && c.minor <= 9);
}

static bool ok_tri(int t)
{
    return t >= -1 && t <= 1;
}

static bool ok_drivers(const struct ge_drivers *d)
{
    return ok_bool(&d->has_linux) && ok_bool(&d->has_windows) && ok_ver(&d->linux_x86_64) && ok_ver(&d->windows_x86_64);
}

static bool ok_ccs(const struct ge_cc *ccs, int n, int max)
{
    if (n < 0 || n > max)
        return false;
    for (int i = 0; i < n; i++)
        if (!ok_cc(ccs[i]))
            return false;
    return true;
}

static bool ok_py(const struct ge_ver *py, int n)
{
    if (n < 0 || n > GE_MAX_PY)
        return false;
    for (int i = 0; i < n; i++)
        if (!ok_ver(&py[i]))
            return false;
    return true;
}

static bool ok_cuda(const struct ge_cuda_release *r)
{
    return ok_ver(&r->version) && OK_STR(r->label) && OK_STR(r->date) && ok_drivers(&r->min_driver) && r->branch >= 0;
}

static bool ok_mvc(const struct ge_cuda_mvc *r)
{
    return r->major >= 0 && ok_drivers(&r->min_driver);
}

static bool ok_branch(const struct ge_branch *r)
{
    return r->branch >= 0 && ok_ver(&r->cuda);
}

static bool ok_ptx(const struct ge_ptx_isa *r)
{
    return ok_ver(&r->isa) && ok_ver(&r->cuda);
}

static bool ok_gfx(const unsigned *g, int n, int max)
{
    if (n < 0 || n > max)
        return false;
    for (int k = 0; k < n; k++)
        if (g[k] < 70000 || g[k] > 991515 || (k > 0 && g[k - 1] >= g[k]))
            return false;
    return true;
}

static bool ok_torch_rocm(const struct ge_torch_rocm_release *r)
{
    if (!ok_ver(&r->version) || r->nvariants < 1 || r->nvariants > GE_MAX_ROCM_VARIANTS)
        return false;
    for (int i = 0; i < r->nvariants; i++) {
        const struct ge_rocm_variant *v = &r->variants[i];
        if (!OK_STR(v->name) || !OK_STR(v->platform) || !ok_ver(&v->rocm) || v->ngfx < 0 || v->ngfx > GE_MAX_GFX)
            return false;
        if (!ok_gfx(v->gfx, v->ngfx, GE_MAX_GFX) || !ok_bool(&v->gfx_inferred))
            return false;
    }
    return true;
}

static bool ok_rocm(const struct ge_rocm_release *r)
{
    if (!ok_ver(&r->version) || !OK_STR(r->date) || !ok_gfx(r->gfx, r->ngfx, GE_MAX_GFX) || !ok_bool(&r->has_miopen) ||
        !ok_ver(&r->miopen) || !OK_STR(r->hip) || r->ndrivers < 0 || r->ndrivers > GE_MAX_AMDGPU)
        return false;
    for (int i = 0; i < r->ndrivers; i++)
        if (!OK_STR(r->drivers[i]) || ge_has_control(r->drivers[i]))
            return false;
    return true;
}

static bool ok_gfx_target(const struct ge_gfx_target *t)
{
    return ok_gfx(&t->gfx, 1, 1) && OK_STR(t->name) && OK_STR(t->product) && OK_STR(t->architecture) &&
           !ge_has_control(t->product);
}

static bool ok_gfx_family(const struct ge_gfx_family *f)
{
    return OK_STR(f->name) && !ge_has_control(f->name) && f->nmembers >= 2 &&
           ok_gfx(f->members, f->nmembers, GE_MAX_FAMILY);
}

static bool ok_rocm_build(const struct ge_rocm_build *b)
{
    if (!OK_STR(b->framework) || !ok_ver(&b->version) || !ok_ver(&b->rocm) || !OK_STR(b->platform) ||
        !OK_STR(b->find_links) || ge_has_control(b->find_links) || b->npkgs < 1 || b->npkgs > GE_MAX_ROCM_PKGS ||
        !ok_py(b->python, b->npython) || !ok_gfx(b->gfx, b->ngfx, GE_MAX_GFX))
        return false;
    for (int i = 0; i < b->npkgs; i++)
        if (!OK_STR(b->pkgs[i].name) || !OK_STR(b->pkgs[i].version) || ge_has_control(b->pkgs[i].name) ||
            ge_has_control(b->pkgs[i].version))
            return false;
    return true;
}

static bool ok_cuda_ccs(const struct ge_cuda_ccs *r)
{
    return ok_ver(&r->cuda) && ok_ccs(r->ccs, r->nccs, GE_MAX_CCS);
}

static bool ok_cudnn(const struct ge_cudnn_release *r)
{
    if (!ok_ver(&r->version) || !ok_bool(&r->has_full) || !ok_ver(&r->full) || r->nbuilds < 0 ||
        r->nbuilds > GE_MAX_BUILDS)
        return false;
    for (int b = 0; b < r->nbuilds; b++) {
        const struct ge_cudnn_build *x = &r->builds[b];
        if (x->cuda_major < 0 || !ok_bool(&x->has_cuda_min) || !ok_bool(&x->has_cuda_max) || !ok_ver(&x->cuda_min) ||
            !ok_ver(&x->cuda_max) || !ok_drivers(&x->min_driver) || !ok_ccs(x->ccs, x->nccs, GE_MAX_CCS) ||
            !ok_bool(&x->has_ccs_min) || !ok_cc(x->ccs_min) || x->nrows < 0 || x->nrows > GE_MAX_ROWS)
            return false;
        for (int k = 0; k < x->nrows; k++)
            if (!ok_ver(&x->rows[k].cuda_min) || !ok_ver(&x->rows[k].cuda_max) || !ok_bool(&x->rows[k].has_driver) ||
                !ok_ver(&x->rows[k].min_driver) || !ok_ccs(x->rows[k].ccs, x->rows[k].nccs, GE_MAX_CCS))
                return false;
    }
    return true;
}

static bool ok_torch(const struct ge_torch_release *r)
{
    if (!ok_ver(&r->version) || !OK_STR(r->date) || !ok_py(r->python, r->npython) || !OK_STR(r->numpy) ||
        !ok_bool(&r->has_vision) || !ok_bool(&r->has_audio) || !ok_ver(&r->vision) || !ok_ver(&r->audio) ||
        r->nvariants < 0 || r->nvariants > GE_MAX_VARIANTS)
        return false;
    for (int i = 0; i < r->nvariants; i++) {
        const struct ge_torch_variant *v = &r->variants[i];
        /* the name goes into the index URL */
        if (!OK_STR(v->platform) || !ge_name_safe(v->platform) || !OK_STR(v->numpy) || !ok_bool(&v->ptx_unknown) ||
            !OK_STR(v->name) || !ge_name_safe(v->name) || !ok_ver(&v->cuda) || !ok_bool(&v->has_cudnn) ||
            !ok_ver(&v->cudnn) || !ok_tri(v->default_on_pypi) || v->narch < 0 || v->narch > GE_MAX_ARCH)
            return false;
        for (int k = 0; k < v->narch; k++)
            if (!ok_cc(v->arch[k].cc) || !ok_bool(&v->arch[k].ptx))
                return false;
    }
    return true;
}

static bool ok_tf(const struct ge_tf_release *r)
{
    return ok_ver(&r->version) && ok_py(r->python, r->npython) && ok_bool(&r->has_cuda) && ok_bool(&r->has_cudnn) &&
           ok_ver(&r->cuda) && ok_ver(&r->cudnn) && ok_tri(r->and_cuda) && ok_bool(&r->windows_gpu) &&
           ok_bool(&r->has_min_sm) && ok_cc(r->min_sm) && OK_STR(r->numpy);
}

static bool ok_jax(const struct ge_jax_release *r)
{
    if (!ok_ver(&r->version) || !OK_STR(r->numpy) || !ok_py(r->python, r->npython) || !ok_bool(&r->linux_aarch64) ||
        r->nextras < 0 ||
        r->nextras > GE_MAX_EXTRAS)
        return false;
    for (int i = 0; i < r->nextras; i++) {
        const struct ge_jax_extra *x = &r->extras[i];
        if (!OK_STR(x->find_links) || ge_has_control(x->find_links) ||
            (x->find_links[0] && !ge_startswith(x->find_links, "https://")) ||
            !OK_STR(x->name) || !ge_name_safe(x->name) || !ok_bool(&x->local) || !ok_bool(&x->has_cuda_min) ||
            !ok_bool(&x->has_cudnn_min) || !ok_bool(&x->has_min_driver) || !ok_bool(&x->has_min_sm) ||
            !ok_ver(&x->cuda_min) || !ok_ver(&x->cudnn_min) || !ok_ver(&x->min_driver) || !ok_cc(x->min_sm))
            return false;
    }
    return true;
}

/* Each table valid, record by record, and ascending as the loader sorted it. */
#define CHECK_TABLE(field, count, okfn, key)                                                      \
    for (size_t i = 0; i < m->count; i++)                                                        \
        if (!okfn(&m->field[i]) ||                                                               \
            (i > 0 && ge_version_cmp(&m->field[i - 1].key.v, &m->field[i].key.v) > 0))         \
            return false;
#define CHECK_ROWS(field, count, okfn)                                                            \
    for (size_t i = 0; i < m->count; i++)                                                        \
        if (!okfn(&m->field[i]))                                                                 \
            return false;

static bool ok_arch(const struct ge_gpu_arch *a)
{
    return ok_cc(a->cc) && OK_STR(a->name) && !ge_has_control(a->name) && a->first_branch >= 0 &&
           a->first_branch < 10000 && a->last_branch >= 0 && a->last_branch < 10000;
}

static bool cache_sane(const struct ge_matrix *m)
{
    for (int f = 0; f < GE_MF_COUNT; f++)
        if (!OK_STR(m->data_version[f]))
            return false;
    if (!OK_STR(m->torch_index_url) || !strstr(m->torch_index_url, "{variant}") || !ok_bool(&m->from_cache) ||
        !ok_bool(&m->rule_cudnn_major_build) || !ok_bool(&m->rule_cudnn_forward_compat) || !OK_STR(m->hsa_override) ||
        ge_has_control(m->hsa_override))
        return false;
    CHECK_TABLE(cuda, ncuda, ok_cuda, version)
    CHECK_ROWS(mvc, nmvc, ok_mvc)
    CHECK_TABLE(branches, nbranches, ok_branch, cuda)
    CHECK_TABLE(ptx, nptx, ok_ptx, isa)
    CHECK_TABLE(torch_rocm, ntorch_rocm, ok_torch_rocm, version)
    CHECK_TABLE(rocm, nrocm, ok_rocm, version)
    CHECK_ROWS(gfx_targets, ngfx_targets, ok_gfx_target)
    CHECK_ROWS(gfx_families, ngfx_families, ok_gfx_family)
    CHECK_ROWS(rocm_builds, nrocm_builds, ok_rocm_build)
    CHECK_TABLE(ccs, nccs, ok_cuda_ccs, cuda)
    CHECK_TABLE(cudnn, ncudnn, ok_cudnn, version)
    CHECK_TABLE(torch, ntorch, ok_torch, version)
    CHECK_TABLE(tf, ntf, ok_tf, version)
    CHECK_TABLE(jax, njax, ok_jax, version)
    for (size_t i = 0; i < m->narchs; i++)
        if (!ok_arch(&m->archs[i]) || (i > 0 && ge_cc_cmp(m->archs[i - 1].cc, m->archs[i].cc) >= 0))
            return false;
    return true;
}

/* The cache for dir, when it is whole, matches this binary and these files, and every field
 * checks out; else NULL (the caller parses the data again). */
struct ge_matrix *ge_matrix_cache_read(const char *dir)
{
    char cdir[PATH_MAX], path[PATH_MAX];
    struct cache_header want, got;
    if (ge_cache_dir(cdir, sizeof cdir) < 0 || ge_path_join(path, sizeof path, cdir, "matrix.bin") < 0)
        return NULL;
    cache_header_init(&want, dir);
    if (cache_stamp(dir, &want) < 0)
        return NULL;
    size_t len;
    unsigned char *buf = (unsigned char *)ge_read_file(path, 256u << 20, &len);
    if (!buf)
        return NULL;
    struct ge_matrix *m = NULL;
    uint64_t sum;
    size_t off = sizeof got + sizeof *m;
    if (len < off + sizeof sum)
        goto out;
    memcpy(&sum, buf + len - sizeof sum, sizeof sum);
    if (sum != ge_matrix_cache_sum(buf, len - sizeof sum))
        goto out;
    memcpy(&got, buf, sizeof got);
    if (memcmp(got.magic, want.magic, sizeof got.magic) != 0 || memcmp(got.layout, want.layout, sizeof got.layout) != 0 ||
        memcmp(got.stamp, want.stamp, sizeof got.stamp) != 0 || memcmp(got.exe, want.exe, sizeof got.exe) != 0 ||
        strncmp(got.dir, want.dir, sizeof got.dir) != 0)
        goto out;
    if (!(m = calloc(1, sizeof *m)))
        goto out;
    memcpy(m, buf + sizeof got, sizeof *m);
    /* the arrays follow in a fixed order; the pointers in the struct as read are stale */
    m->cuda = NULL, m->mvc = NULL, m->branches = NULL, m->ccs = NULL;
    m->cudnn = NULL, m->torch = NULL, m->tf = NULL, m->jax = NULL, m->archs = NULL, m->ptx = NULL, m->torch_rocm = NULL;
    m->rocm = NULL, m->gfx_targets = NULL, m->gfx_families = NULL, m->rocm_builds = NULL;
#define READ_ARRAY(i, field, count)                                                                 \
    m->count = (size_t)got.n[i];                                                                    \
    if (got.n[i] > 100000 || got.n[i] * sizeof *m->field > len - sizeof sum - off ||                \
        !(m->field = calloc(m->count ? m->count : 1, sizeof *m->field)))                            \
        goto fail;                                                                                  \
    memcpy(m->field, buf + off, m->count * sizeof *m->field);                                       \
    off += m->count * sizeof *m->field;
    ARRAYS(READ_ARRAY)
#undef READ_ARRAY
    if (off != len - sizeof sum || !cache_sane(m))
        goto fail;
    ge_strlcpy(m->dir, dir, sizeof m->dir);
    m->from_cache = true;
    goto out;
fail:
    ge_matrix_free(m);
    m = NULL;
out:
    free(buf);
    return m;
}

/* Write the cache next to where it is read, atomically (a temporary file renamed over it). */
void ge_matrix_cache_write(const struct ge_matrix *m)
{
    char cdir[PATH_MAX], path[PATH_MAX];
    struct cache_header h;
    if (ge_cache_dir(cdir, sizeof cdir) < 0 || ge_path_join(path, sizeof path, cdir, "matrix.bin") < 0)
        return;
    cache_header_init(&h, m->dir);
    if (cache_stamp(m->dir, &h) < 0)
        return;
#define COUNT(i, field, count) h.n[i] = (uint64_t)m->count;
    ARRAYS(COUNT)
#undef COUNT
    struct ge_buf b;
    ge_buf_init(&b);
    int bad = ge_buf_add(&b, &h, sizeof h);
    bad |= ge_buf_add(&b, m, sizeof *m);
#define ADD_ARRAY(i, field, count) bad |= ge_buf_add(&b, m->field, m->count * sizeof *m->field);
    ARRAYS(ADD_ARRAY)
#undef ADD_ARRAY
    uint64_t sum = bad ? 0 : ge_matrix_cache_sum((const unsigned char *)b.data, b.len);
    bad |= ge_buf_add(&b, &sum, sizeof sum);
    if (bad == 0 && ge_mkdir_p(cdir) == 0)
        ge_write_file(path, b.data, b.len);
    ge_buf_fini(&b);
}
