/* test_matrix.c: loading and validating the matrix: a minimal fixture, every kind of defect,
 * and facts of the shipped data/ that the resolver's rules depend on. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "matrix.h"
#include "str.h"
#include "tests.h"

#define FIXTURE "tests/data/matrix-min"

static struct ge_matrix *load(const char *dir, struct ge_err *err)
{
    ge_err_clear(err);
    return ge_matrix_load(dir, err);
}

START_TEST(fixture_loads_sorted_with_lookups)
{
    struct ge_err err;
    struct ge_matrix *m = load(FIXTURE, &err);
    ck_assert_msg(m != NULL, "%s", err.msg);
    ck_assert_uint_eq(m->ncuda, 6);
    ck_assert_str_eq(m->cuda[0].version.s, "12.0.0"); /* sorted */
    ck_assert_str_eq(m->cuda[5].version.s, "13.4.2");
    ck_assert_int_eq(m->cuda[5].branch, 615);
    ck_assert(!m->cuda[5].min_driver.has_linux);
    ck_assert_str_eq(m->data_version[GE_MF_CUDA], "2026.01.01");
    struct ge_version v;
    ge_version_parse(&v, "12.4", 1, 4);
    const struct ge_cuda_release *r = ge_matrix_cuda_newest_of_minor(m, &v);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->min_driver.windows_x86_64.s, "551.78");
    ck_assert_ptr_null(ge_matrix_cuda(m, &v)); /* 12.4 is not 12.4.1 */
    ck_assert_str_eq(ge_matrix_mvc(m, 12)->min_driver.linux_x86_64.s, "525.60.13");
    ck_assert_ptr_null(ge_matrix_mvc(m, 11));
    ge_version_parse(&v, "9.1.0.70", 1, 4);
    const struct ge_cudnn_release *cd = ge_matrix_cudnn(m, &v);
    ck_assert_ptr_nonnull(cd);
    const struct ge_cudnn_build *b = ge_matrix_cudnn_build(cd, 11);
    ck_assert(b && !b->has_cuda_min && b->has_cuda_max && b->has_ccs_min && b->nccs == 0);
    const struct ge_torch_variant *tv = &m->torch[0].variants[0];
    ck_assert_int_eq(tv->narch, 5);
    ck_assert(tv->arch[4].ptx && tv->arch[4].cc.major == 9 && !tv->arch[3].ptx);
    ck_assert_int_eq(tv->default_on_pypi, 0);
    ck_assert_str_eq(m->torch[0].numpy, "<2");
    ck_assert_int_eq(m->tf[0].and_cuda, 1);
    ck_assert(m->jax[0].extras[0].has_min_sm && m->jax[0].extras[0].min_sm.minor == 2);
    ck_assert(!m->tf[0].has_min_sm);
    /* GPU architectures: sorted, looked up by exact capability */
    ck_assert_uint_eq(m->narchs, 2);
    struct ge_cc cc = {6, 0};
    const struct ge_gpu_arch *a = ge_matrix_gpu_arch(m, cc);
    ck_assert(a == &m->archs[0] && a->first_branch == 0 && a->last_branch == 580);
    cc = (struct ge_cc){12, 0};
    a = ge_matrix_gpu_arch(m, cc);
    ck_assert(a && a->first_branch == 570 && a->last_branch == 0);
    ck_assert_str_eq(a->name, "Blackwell (GB20x)");
    cc = (struct ge_cc){8, 6};
    ck_assert_ptr_null(ge_matrix_gpu_arch(m, cc));
    ge_matrix_free(m);
}
END_TEST

START_TEST(driver_to_cuda)
{
    struct ge_err err;
    struct ge_matrix *m = load(FIXTURE, &err);
    const struct {
        const char *driver, *cuda;
    } t[] = {{"535.104.05", "12.2"}, {"580.159.04", "13.0"}, {"550.54.15", "12.4"}, {"560.1", "12.4"}, {"400.1", NULL}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct ge_version d, c;
        char buf[16];
        ge_version_parse(&d, t[i].driver, 1, 4);
        int rc = ge_matrix_driver_cuda(m, &d, &c);
        if (!t[i].cuda)
            ck_assert_int_eq(rc, -1);
        else {
            ck_assert_int_eq(rc, 0);
            ck_assert_str_eq(ge_version_format(&c, buf, sizeof buf), t[i].cuda);
        }
    }
    ge_matrix_free(m);
}
END_TEST

/* Each defect: in which file, what to replace with what, and the words the error must hold. */
static const struct {
    const char *file, *from, *to, *want;
} defects[] = {
    {"pytorch.json", "\"9.0+PTX\"], \"source\": \"rel\"}", "\"9.0+PTX\"]}", "pytorch.json: releases[0].variants[0]: record has no source"},
    {"cuda.json", "\"source\": [\"rn\"]", "\"source\": [\"nope\"]", "cuda.json: releases[4]: unknown source 'nope'"},
    {"cuda.json", "\"12.4.1\"", "\"12.4.x\"", "releases[0]: version '12.4.x' is not a well-formed version"},
    {"cuda.json", "\"version\": \"12.0.0\"", "\"version\": \"12.4.1\"", "CUDA 12.4.1 is listed twice"},
    {"cuda.json", "\"R535\"", "\"535\"", "branch is not like R580"},
    {"cuda.json", "\"R535\", \"cuda\": \"12.2\"", "\"R580\", \"cuda\": \"12.2\"", "driver branch R580 is listed twice"},
    {"cuda.json", "\"9.0\"]", "\"9.0\", \"5.0\"]", "ccs lists 5.0 twice"},
    {"cuda.json", "\"schema\": 1", "\"schema\": 2", "cuda.json: top level: schema is not 1"},
    {"cuda.json", "\"data_version\": \"2026.01.01\",", "", "data_version is missing"},
    {"cuda.json", "\"url\": ", "\"link\": ", "sources.rn: a source needs a url or a repo"},
    {"cuda.json", "\"compute_capabilities\"", "\"ccs\"", "table 'compute_capabilities' is missing"},
    {"cudnn.json", "\"full_version\": \"9.1.0.70\"", "\"full_version\": \"9.2.0.70\"", "full_version 9.2.0.70 does not extend version 9.1.0"},
    {"cudnn.json", "\"cuda_max\": \"12.4\"", "\"cuda_max\": \"11.4\"", "does not fit build cuda12"},
    {"pytorch.json", "\"cudnn\": \"9.1.0.70\"", "\"cudnn\": \"9.9.9.9\"", "torch 2.4.1 cu124: cuDNN 9.9.9.9 is not in cudnn.json"},
    {"pytorch.json", "\"cuda\": \"12.4\"", "\"cuda\": \"12.1\"", "variant 'cu124' does not match its CUDA 12.1"},
    {"pytorch.json", "\"name\": \"cu124\", \"cuda\": \"12.4\"", "\"name\": \"cu126\", \"cuda\": \"12.6\"", "CUDA 12.6 is not in cuda.json"},
    {"pytorch.json", "\"9.0+PTX\"", "\"9.0+ptx\"", "arch_list entry '9.0+ptx' is not like 9.0 or 9.0+PTX"},
    {"pytorch.json", "\"numpy\": \"<2\"", "\"numpy\": \">=2\"", "numpy rule '>=2' is not understood"},
    {"pytorch.json", "{variant}", "cu124", "index_url must hold {variant}"},
    {"tensorflow.json", "\"and_cuda_extra\": true", "\"and_cuda_extra\": \"yes\"", "and_cuda_extra is not true or false"},
    {"tensorflow.json", "\"cuda\": \"12.2\"", "\"cuda\": \"12.3\"", "tensorflow.json: tensorflow 2.15.0: CUDA 12.3 is not in cuda.json"},
    {"tensorflow.json", "\"cudnn\": \"8.9\"", "\"cudnn\": \"7.6\"", "tensorflow 2.15.0: no cuDNN 7.6 release is in cudnn.json"},
    {"jax.json", "\"cuda_min\": \"12.1\"", "\"cuda_min\": \"12.7\"", "jax.json: jax 0.5.0 [cuda12]: CUDA 12.7 is not in cuda.json"},
    {"jax.json", "\"min_sm\": \"5.2\"", "\"min_sm\": \"sm5\"", "min_sm is not a compute capability"},
    {"jax.json", "\"python\": [\"3.10\", \"3.11\", \"3.12\", \"3.13\"]", "\"python\": [\"3\"]", "python '3' is not a well-formed version"},
    {"jax.json", "}\n    ]\n}", "}\n    ]\n", "jax.json: top level: not valid JSON (near line"},
    {"cuda.json", "\"first_branch\": \"R570\"", "\"first_branch\": \"570\"", "gpu_architectures[0]: first_branch is not like R580"},
    {"cuda.json", "\"first_branch\": \"R570\"", "\"first_branch\": \"R590\", \"last_branch\": \"R580\"", "first_branch is after last_branch"},
    {"cuda.json", "\"cc\": \"6.0\"", "\"cc\": \"12.0\"", "gpu architecture 12.0 is listed twice"},
    {"cuda.json", "\"cc\": \"6.0\"", "\"cc\": \"six\"", "gpu_architectures[1]: cc is not a compute capability"},
    {"tensorflow.json", "\"cudnn\": \"8.9\"", "\"cudnn\": \"8.9\", \"min_sm\": \"6\"", "tensorflow.json: releases[0]: min_sm is not a compute capability"},
    {"pytorch_rocm.json", "\"version\": \"2.4.1\"", "\"version\": \"2.4.0\"", "pytorch_rocm.json: top level: torch 2.4.0 is not in pytorch.json"},
    {"pytorch_rocm.json", "\"name\": \"rocm6.1\"", "\"name\": \"rocm6.2\"", "variant 'rocm6.2' of ROCm 6.1 is not named rocm6.1"},
    {"pytorch_rocm.json", "\"gfx90a\", \"gfx942\", \"gfx1030\", \"gfx1100\"], \"source\": [\"builder_r24_rocm\", \"ti_rocm_241\", \"pt_release_md_main\"]",
     "\"gfx90a\", \"gfx942\", \"gfx1030\", \"gfx1100\"]", "variants[1]: record has no source"},
    {"pytorch_rocm.json", "\"gfx942\",", "\"gfx94z\",", "gfx holds 'gfx94z', which is no gfx target"},
    {"pytorch_rocm.json", "\"gfx942\",", "\"gfx900\",", "gfx target gfx900 is listed twice"},
    {"pytorch_rocm.json", "\"platform\": \"linux-x86_64\"", "\"platform\": \"windows-x86_64\"", "PyTorch builds ROCm wheels for linux-x86_64 only"},
    {"pytorch_rocm.json", "\"name\": \"rocm6.1\",", "\"name\": \"rocm6.1\", \"gfx_basis\": \"guess\",", "gfx_basis 'guess' is not main-at-branch-cut"},
    {"rocm.json", "\"version\": \"6.1.0\"", "\"version\": \"6.1\"", "rocm.json: releases[1]: version '6.1' is not a well-formed version"},
    {"rocm.json", "\"version\": \"6.1.0\"", "\"version\": \"6.0.0\"", "ROCm 6.0.0 is listed twice"},
    {"rocm.json", "\"miopen\": \"3.1.0\"", "\"miopen\": \"three\"", "rocm 6.1.0: miopen 'three' is not a well-formed version"},
    {"rocm.json", "\"amdgpu\": [", "\"amdgpu\": [7, ", "kernel_driver.amdgpu holds something that is no driver release"},
    {"rocm.json", "\"gfx_target_version\": 90010", "\"gfx_target_version\": 90009", "gfx_target_version of gfx90a is not 90010"},
    {"rocm.json", "\"gfx\": \"gfx942\", \"gfx_target_version\": 90402", "\"gfx\": \"gfx90a\", \"gfx_target_version\": 90010", "gfx target gfx90a is listed twice"},
    {"rocm.json", "\"members\": [\"gfx1100\",", "\"members\": [\"gfx1030\", \"gfx1100\",", "gfx1030 is in family gfx10-3-generic and in gfx11-generic"},
    {"rocm.json", "[\"gfx1030\", \"gfx1031\", \"gfx1032\", \"gfx1033\", \"gfx1034\", \"gfx1035\", \"gfx1036\"]", "[\"gfx1030\"]", "family gfx10-3-generic has fewer than two members"},
    {"rocm.json", "\"variable\": \"HSA_OVERRIDE_GFX_VERSION\", ", "", "hsa_override: variable is missing"},
    {"tensorflow_rocm.json", "\"rocm\": \"6.1\"", "\"rocm\": \"six\"", "tensorflow 2.15.0: rocm 'six' is not a well-formed version"},
    {"tensorflow_rocm.json", "\"version\": \"2.15.0\"}]", "\"version\": \"2.15.0; rm -rf\"}]", "package tensorflow-rocm has no well-formed version"},
    {"tensorflow_rocm.json", "\"name\": \"tensorflow-rocm\"", "\"name\": \"tensorflow rocm\"", "a package needs a name of letters"},
    {"tensorflow_rocm.json", "\"find_links\": \"https://", "\"find_links\": \"http://", "find_links is neither \"\" nor an https:// URL"},
    {"tensorflow_rocm.json", "\"platform\": \"linux-x86_64\"", "\"platform\": \"windows-x86_64\"", "ROCm builds are for linux-x86_64"},
    {"jax_rocm.json", "\"version\": \"0.5.0\"}]", "\"version\": \"0.5.0+\"}]", "package jax-rocm60-plugin has no well-formed version"},
    {"jax_rocm.json", "\"gfx900\", \"gfx906\"", "\"gfx900\", \"gfx900\"", "gfx target gfx900 is listed twice in gfx"},
};

START_TEST(every_defect_is_refused_with_its_place)
{
    char *dir = temp_dir();
    char cmd[1024], path[1024];
    snprintf(cmd, sizeof cmd, "cp %s/*.json '%s'", FIXTURE, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/%s", dir, defects[_i].file);
    replace_in(path, defects[_i].from, defects[_i].to);
    struct ge_err err;
    struct ge_matrix *m = load(dir, &err);
    ck_assert_msg(m == NULL, "defect %d accepted", _i);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert_msg(strstr(err.msg, defects[_i].want), "want '%s', got '%s'", defects[_i].want, err.msg);
    ck_assert(err.hint[0]);
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(missing_file_and_folder)
{
    char *dir = temp_dir();
    char cmd[1024];
    /* the AMD files may be absent: what they hold is then simply not known */
    snprintf(cmd, sizeof cmd, "cp %s/*.json '%s' && rm '%s/pytorch_rocm.json' '%s/rocm.json' '%s/tensorflow_rocm.json' "
             "'%s/jax_rocm.json'", FIXTURE, dir, dir, dir, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    struct ge_err e0;
    struct ge_matrix *m0 = load(dir, &e0);
    ck_assert_msg(m0, "%s", e0.msg);
    ck_assert_uint_eq(m0->ntorch_rocm, 0);
    ck_assert_uint_eq(m0->nrocm + m0->ngfx_targets + m0->ngfx_families + m0->nrocm_builds, 0);
    ck_assert_str_eq(m0->hsa_override, "");
    ck_assert_str_eq(m0->data_version[GE_MF_TORCH_ROCM], "");
    ge_matrix_free(m0);
    /* present, they are read whole */
    snprintf(cmd, sizeof cmd, "cp %s/*.json '%s'", FIXTURE, dir);
    ck_assert_int_eq(system(cmd), 0);
    m0 = load(dir, &e0);
    ck_assert_msg(m0, "%s", e0.msg);
    ck_assert_uint_eq(m0->nrocm, 2);
    ck_assert_str_eq(m0->rocm[1].version.s, "6.1.0");
    ck_assert_str_eq(m0->rocm[1].miopen.s, "3.1.0");
    ck_assert_int_eq(m0->rocm[1].ndrivers, 3);
    ck_assert_uint_eq(m0->ngfx_targets, 4);
    ck_assert_uint_eq(m0->gfx_targets[0].gfx, 90010u); /* ascending */
    ck_assert_ptr_nonnull(ge_matrix_gfx_family(m0, 100301u));
    ck_assert_str_eq(ge_matrix_gfx_family(m0, 100301u)->name, "gfx10-3-generic");
    ck_assert_ptr_null(ge_matrix_gfx_family(m0, 90010u));
    ck_assert_str_eq(m0->hsa_override, "HSA_OVERRIDE_GFX_VERSION");
    ck_assert_uint_eq(m0->nrocm_builds, 2);
    ck_assert_str_eq(m0->rocm_builds[0].framework, "tensorflow"); /* tensorflow's first */
    ck_assert_str_eq(m0->rocm_builds[1].pkgs[1].name, "jax-rocm60-plugin");
    ck_assert_ptr_eq(ge_matrix_rocm_newest_of_minor(m0, &m0->rocm[1].version.v), &m0->rocm[1]);
    ge_matrix_free(m0);
    snprintf(cmd, sizeof cmd, "cp %s/*.json '%s' && rm '%s/jax.json'", FIXTURE, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    struct ge_err err;
    ck_assert_ptr_null(load(dir, &err));
    ck_assert_msg(strstr(err.msg, "cannot read ") && strstr(err.msg, "jax.json"), "%s", err.msg);
    char found[4096];
    setenv("GPUENV_DATA_DIR", dir, 1);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_matrix_find_dir(found, sizeof found, &err), 0);
    ck_assert_str_eq(found, dir);
    setenv("GPUENV_DATA_DIR", "/nonexistent", 1);
    ck_assert_int_eq(ge_matrix_find_dir(found, sizeof found, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    unsetenv("GPUENV_DATA_DIR");
    rm_rf(dir);
    free(dir);
}
END_TEST

START_TEST(compiled_cache_is_reused_and_invalidated)
{
    char *cache = temp_dir(), *dir = temp_dir();
    char cmd[1024], path[1024];
    setenv("GPUENV_CACHE_DIR", cache, 1);
    snprintf(cmd, sizeof cmd, "cp %s/*.json '%s'", FIXTURE, dir);
    ck_assert_int_eq(system(cmd), 0);
    struct ge_err err;
    struct ge_matrix *a = load(dir, &err), *b;
    ck_assert(a && !a->from_cache);
    b = load(dir, &err);
    ck_assert(b && b->from_cache);
    /* the same typed data either way */
    ck_assert_uint_eq(a->ncuda, b->ncuda);
    ck_assert_uint_eq(a->ntorch, b->ntorch);
    ck_assert_mem_eq(a->cuda, b->cuda, a->ncuda * sizeof *a->cuda);
    ck_assert_mem_eq(a->torch, b->torch, a->ntorch * sizeof *a->torch);
    ck_assert_mem_eq(a->cudnn, b->cudnn, a->ncudnn * sizeof *a->cudnn);
    ck_assert_str_eq(b->torch_index_url, a->torch_index_url);
    ck_assert_str_eq(b->data_version[GE_MF_JAX], a->data_version[GE_MF_JAX]);
    ge_matrix_free(b);
    /* a changed data file is parsed again (and validated: a defect is still found) */
    snprintf(path, sizeof path, "%s/pytorch.json", dir);
    replace_in(path, "\"cuda\": \"12.4\"", "\"cuda\": \"12.x\"");
    ck_assert_ptr_null(load(dir, &err));
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    replace_in(path, "\"cuda\": \"12.x\"", "\"cuda\": \"12.4\"");
    b = load(dir, &err);
    ck_assert(b && !b->from_cache);
    ge_matrix_free(b);
    /* a damaged cache is ignored and written again */
    snprintf(path, sizeof path, "%s/matrix.bin", cache);
    ck_assert_int_eq(truncate(path, 9000), 0);
    b = load(dir, &err);
    ck_assert(b && !b->from_cache);
    ge_matrix_free(b);
    b = load(dir, &err);
    ck_assert(b && b->from_cache);
    ge_matrix_free(b);
    /* an unusable cache folder costs nothing but the cache */
    setenv("GPUENV_CACHE_DIR", "/proc/gpuenv-no-such-folder", 1);
    b = load(dir, &err);
    ck_assert(b && !b->from_cache);
    ge_matrix_free(b);
    ge_matrix_free(a);
    unsetenv("GPUENV_CACHE_DIR");
    rm_rf(dir);
    rm_rf(cache);
    free(dir);
    free(cache);
}
END_TEST

/* Bit rot is caught by the sum; a file forged with a right sum (ge_matrix_cache_sum) by the
 * checks of every field. */
START_TEST(damaged_or_forged_caches_are_never_used)
{
    char *cache = temp_dir(), *dir = temp_dir();
    char cmd[1024], path[1024];
    setenv("GPUENV_CACHE_DIR", cache, 1);
    snprintf(cmd, sizeof cmd, "cp %s/*.json '%s'", FIXTURE, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/matrix.bin", cache);
    struct ge_err err;
    struct ge_matrix *a = load(dir, &err), *b;
    ck_assert(a && !a->from_cache);
    size_t len;
    unsigned char *good = (unsigned char *)ge_read_file(path, 64 << 20, &len);
    ck_assert_ptr_nonnull(good);
    /* 60 single-bit flips anywhere in the file: each one is noticed */
    srand(12345);
    for (int k = 0; k < 60; k++) {
        unsigned char *flipped = malloc(len);
        memcpy(flipped, good, len);
        size_t at = (size_t)rand() % len;
        flipped[at] ^= (unsigned char)(1u << (rand() % 8));
        ck_assert_int_eq(ge_write_file(path, flipped, len), 0);
        free(flipped);
        b = load(dir, &err);
        ck_assert_msg(b && !b->from_cache, "a flip at byte %zu was used", at);
        ck_assert_mem_eq(b->torch, a->torch, a->ntorch * sizeof *a->torch);
        ge_matrix_free(b);
    }
    /* forged with a right sum: a bool that is 2, a version with 7 parts, an unterminated string,
     * a count beyond its array, a variant name that would leave the index URL */
    size_t arrays = a->ncuda * sizeof *a->cuda + a->nmvc * sizeof *a->mvc + a->nbranches * sizeof *a->branches +
                    a->nccs * sizeof *a->ccs + a->ncudnn * sizeof *a->cudnn;
    size_t header = len - 8 - sizeof *a - arrays - a->ntorch * sizeof *a->torch - a->ntf * sizeof *a->tf -
                    a->njax * sizeof *a->jax - a->narchs * sizeof *a->archs - a->nptx * sizeof *a->ptx -
                    a->ntorch_rocm * sizeof *a->torch_rocm - a->nrocm * sizeof *a->rocm -
                    a->ngfx_targets * sizeof *a->gfx_targets - a->ngfx_families * sizeof *a->gfx_families -
                    a->nrocm_builds * sizeof *a->rocm_builds;
    size_t torch0 = header + sizeof *a + arrays;
    ck_assert(a->ntorch > 0 && a->torch[0].nvariants > 0);
    static const struct {
        size_t off;
        unsigned char byte;
    } forged[] = {
        {offsetof(struct ge_torch_release, has_vision), 2},
        {offsetof(struct ge_torch_release, variants) + offsetof(struct ge_torch_variant, arch) +
             offsetof(struct ge_arch, ptx), 0x80},
        {offsetof(struct ge_torch_release, version) + offsetof(struct ge_ver, v) + offsetof(struct ge_version, n), 7},
        {offsetof(struct ge_torch_release, numpy) + sizeof(((struct ge_torch_release *)0)->numpy) - 1, 'x'},
        {offsetof(struct ge_torch_release, nvariants), 99},
        {offsetof(struct ge_torch_release, variants) + offsetof(struct ge_torch_variant, name), '/'},
    };
    for (size_t k = 0; k < sizeof forged / sizeof forged[0]; k++) {
        unsigned char *f = malloc(len);
        memcpy(f, good, len);
        if (forged[k].byte == 'x') /* fill the whole string */
            memset(f + torch0 + offsetof(struct ge_torch_release, numpy), 'x', sizeof a->torch[0].numpy);
        else
            f[torch0 + forged[k].off] = forged[k].byte;
        uint64_t sum = ge_matrix_cache_sum(f, len - 8);
        memcpy(f + len - 8, &sum, 8);
        ck_assert_int_eq(ge_write_file(path, f, len), 0);
        free(f);
        b = load(dir, &err);
        ck_assert_msg(b && !b->from_cache, "forged field %zu was used", k);
        ge_matrix_free(b);
    }
    /* a valid change with its sum made right is used: the forging itself works, so the refusals
     * above came from the field checks */
    unsigned char *f = malloc(len);
    memcpy(f, good, len);
    f[torch0 + offsetof(struct ge_torch_release, has_audio)] ^= 1;
    uint64_t sum = ge_matrix_cache_sum(f, len - 8);
    memcpy(f + len - 8, &sum, 8);
    ck_assert_int_eq(ge_write_file(path, f, len), 0);
    free(f);
    b = load(dir, &err);
    ck_assert(b && b->from_cache && b->torch[0].has_audio != a->torch[0].has_audio);
    ge_matrix_free(b);
    free(good);
    ge_matrix_free(a);
    unsetenv("GPUENV_CACHE_DIR");
    rm_rf(dir);
    rm_rf(cache);
    free(dir);
    free(cache);
}
END_TEST

/* ---- the shipped data ---- */

static int has_cc(const struct ge_cuda_ccs *c, const char *cc)
{
    struct ge_cc want;
    ge_cc_parse(&want, cc);
    for (int i = 0; i < c->nccs; i++)
        if (ge_cc_cmp(c->ccs[i], want) == 0)
            return 1;
    return 0;
}

static const struct ge_cuda_ccs *ccs_of(const struct ge_matrix *m, const char *minor)
{
    struct ge_version v;
    ge_version_parse(&v, minor, 2, 2);
    const struct ge_cuda_ccs *c = ge_matrix_cuda_ccs(m, &v);
    ck_assert_msg(c != NULL, "no compute capabilities for CUDA %s", minor);
    return c;
}

START_TEST(shipped_data_loads_and_holds_the_known_facts)
{
    struct ge_err err;
    struct ge_matrix *m = load("data", &err);
    ck_assert_msg(m != NULL, "%s", err.msg);
    ck_assert_uint_ge(m->ncuda, 50);
    ck_assert_uint_ge(m->ncudnn, 50);
    ck_assert_uint_ge(m->ntorch, 16);
    ck_assert_uint_ge(m->ntf, 12);
    ck_assert_uint_ge(m->njax, 10);
    /* PyTorch's ROCm wheels: 2.4.1+rocm6.1 carries gfx942 and gfx1100, not gfx1101 (pytorch/builder
     * release/2.4 build_docker.sh) */
    ck_assert_uint_ge(m->ntorch_rocm, 28);
    const struct ge_torch_rocm_release *tr = NULL;
    for (size_t i = 0; i < m->ntorch_rocm; i++)
        if (!strcmp(m->torch_rocm[i].version.s, "2.4.1"))
            tr = &m->torch_rocm[i];
    ck_assert_ptr_nonnull(tr);
    const struct ge_rocm_variant *rv = NULL;
    for (int j = 0; j < tr->nvariants; j++)
        if (!strcmp(tr->variants[j].name, "rocm6.1"))
            rv = &tr->variants[j];
    ck_assert_ptr_nonnull(rv);
    bool has942 = false, has1100 = false, has1101 = false;
    for (int k = 0; k < rv->ngfx; k++) {
        has942 |= rv->gfx[k] == 90402;
        has1100 |= rv->gfx[k] == 110000;
        has1101 |= rv->gfx[k] == 110001;
    }
    ck_assert(has942 && has1100 && !has1101);
    /* minor-version compatibility floors (CUDA compatibility guide) */
    ck_assert_str_eq(ge_matrix_mvc(m, 11)->min_driver.linux_x86_64.s, "450.80.02");
    ck_assert_str_eq(ge_matrix_mvc(m, 12)->min_driver.linux_x86_64.s, "525.60.13");
    ck_assert_int_eq(ge_matrix_mvc(m, 13)->min_driver.linux_x86_64.v.part[0], 580);
    /* driver branches */
    struct ge_version d, c;
    char buf[16];
    ge_version_parse(&d, "535.104.05", 1, 4);
    ck_assert_int_eq(ge_matrix_driver_cuda(m, &d, &c), 0);
    ck_assert_str_eq(ge_version_format(&c, buf, sizeof buf), "12.2");
    ge_version_parse(&d, "580.159.04", 1, 4);
    ck_assert_int_eq(ge_matrix_driver_cuda(m, &d, &c), 0);
    ck_assert_str_eq(ge_version_format(&c, buf, sizeof buf), "13.0");
    /* compute capabilities per release */
    ck_assert(has_cc(ccs_of(m, "11.8"), "3.5"));
    ck_assert(!has_cc(ccs_of(m, "12.0"), "3.5") && !has_cc(ccs_of(m, "12.0"), "3.7"));
    ck_assert(has_cc(ccs_of(m, "12.8"), "10.0") && has_cc(ccs_of(m, "12.8"), "12.0"));
    ck_assert(!has_cc(ccs_of(m, "12.6"), "10.0"));
    ck_assert(has_cc(ccs_of(m, "12.9"), "10.3") && has_cc(ccs_of(m, "12.9"), "12.1"));
    ck_assert(!has_cc(ccs_of(m, "13.0"), "5.2") && !has_cc(ccs_of(m, "13.0"), "6.1") &&
              !has_cc(ccs_of(m, "13.0"), "7.0"));
    ck_assert(has_cc(ccs_of(m, "13.0"), "11.0") && !has_cc(ccs_of(m, "13.0"), "10.1"));
    ck_assert(has_cc(ccs_of(m, "12.9"), "10.1"));
    /* every torch variant's CUDA is covered by minor-version compatibility data */
    for (size_t i = 0; i < m->ntorch; i++)
        for (int j = 0; j < m->torch[i].nvariants; j++)
            ck_assert_ptr_nonnull(ge_matrix_mvc(m, (int)m->torch[i].variants[j].cuda.v.part[0]));
    ge_matrix_free(m);
}
END_TEST

Suite *suite_matrix(void)
{
    Suite *s = suite_create("matrix");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fixture_loads_sorted_with_lookups);
    tcase_add_test(tc, driver_to_cuda);
    tcase_add_loop_test(tc, every_defect_is_refused_with_its_place, 0, sizeof defects / sizeof defects[0]);
    tcase_add_test(tc, missing_file_and_folder);
    tcase_add_test(tc, compiled_cache_is_reused_and_invalidated);
    tcase_add_test(tc, damaged_or_forged_caches_are_never_used);
    tcase_add_test(tc, shipped_data_loads_and_holds_the_known_facts);
    suite_add_tcase(s, tc);
    return s;
}
