/* test_req.c: pip-style requirements: parsing, normalisation, errors, matching (table-driven). */
#include <string.h>

#include "req.h"
#include "tests.h"

static const struct {
    const char *text, *name, *extra, *formatted;
    enum ge_pkg pkg;
    int nspecs;
} good[] = {
    {"torch", "torch", NULL, "torch", GE_PKG_TORCH, 0},
    {"torch==2.4.*", "torch", NULL, "torch==2.4.*", GE_PKG_TORCH, 1},
    {"torch>=2.1,<2.6", "torch", NULL, "torch>=2.1,<2.6", GE_PKG_TORCH, 2},
    {" torch >= 2.1 , < 2.6 ", "torch", NULL, "torch>=2.1,<2.6", GE_PKG_TORCH, 2},
    {"tensorflow[and-cuda]>=2.15", "tensorflow", "and-cuda", "tensorflow[and-cuda]>=2.15", GE_PKG_TENSORFLOW, 1},
    {"jax[cuda13]", "jax", "cuda13", "jax[cuda13]", GE_PKG_JAX, 0},
    {"JAX[CUDA12_local]", "jax", "cuda12-local", "jax[cuda12-local]", GE_PKG_JAX, 0},
    {"cuda-toolkit==12.4.*", "cuda-toolkit", NULL, "cuda-toolkit==12.4.*", GE_PKG_CUDA, 1},
    {"cuda==12.4.*", "cuda-toolkit", NULL, "cuda-toolkit==12.4.*", GE_PKG_CUDA, 1},
    {"cuda_toolkit~=12.4", "cuda-toolkit", NULL, "cuda-toolkit~=12.4", GE_PKG_CUDA, 1},
    {"cudnn>=9", "cudnn", NULL, "cudnn>=9", GE_PKG_CUDNN, 1},
    {"numpy>=2", "numpy", NULL, "numpy>=2", GE_PKG_NUMPY, 1},
    {"python>=3.11", "python", NULL, "python>=3.11", GE_PKG_PYTHON, 1},
    {"Torch_Vision!=0.20.0", "torch-vision", NULL, "torch-vision!=0.20.0", GE_PKG_UNKNOWN, 1},
    {"torchvision===0.20.1", "torchvision", NULL, "torchvision==0.20.1", GE_PKG_TORCHVISION, 1},
};

START_TEST(parses_what_users_write)
{
    struct ge_req r;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_msg(ge_req_parse(&r, good[_i].text, &err) == 0, "%s: %s", good[_i].text, err.msg);
    ck_assert_str_eq(r.name, good[_i].name);
    ck_assert_int_eq(r.pkg, good[_i].pkg);
    ck_assert_int_eq(r.nspecs, good[_i].nspecs);
    ck_assert_int_eq(r.nextras, good[_i].extra ? 1 : 0);
    if (good[_i].extra)
        ck_assert_str_eq(r.extras[0], good[_i].extra);
    char f[128];
    ge_req_format(&r, f, sizeof f);
    ck_assert_str_eq(f, good[_i].formatted);
}
END_TEST

static const struct {
    const char *text, *why;
} bad[] = {
    {"", "no package name"},
    {"==2.4", "no package name"},
    {"torch=2.4", "'=' is not an operator"},
    {"torch=>2.4", "'=' is not an operator"},
    {"torch>=", "an operator without a version"},
    {"torch>=2.x", "malformed version"},
    {"torch>=2.4.*", "'.*' only goes with == and !="},
    {"torch~=2", "'~=' needs at least two version parts"},
    {"torch>=2.1 <2.6", "separated by ','"},
    {"jax[cuda13", "unclosed '['"},
    {"jax[]", "malformed extra"},
    {"-torch", "malformed package name"},
    {"torch-", "malformed package name"},
    {"torch 2.4", "expected a version operator"},
    {"torch>=2.5.1+cu121", "a local label ('+cu121') goes only with =="},
    {"torch==2.5.*+cu121", "malformed version"},
    {"torch==2.5.1+", "malformed local label"},
    {"torch==2.5.1+cu/121", "malformed local label"},
    {"torch==2.5.1+cu121,==2.5.1+cu124", "more than one local label"},
    {"torch==2.6.0xyz1", "malformed version"},
    {"torch==2.6.*rc1", "malformed version"},
    {"torch; python_version < '3.12'", "environment markers ('python_version < '3.12'') are not evaluated"},
    {"torch @ https://x/torch.whl", "direct references"},
};

START_TEST(refuses_malformed_requirements)
{
    struct ge_req r;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_req_parse(&r, bad[_i].text, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ck_assert_msg(strstr(err.msg, bad[_i].why), "'%s': %s", bad[_i].text, err.msg);
    ck_assert(strstr(err.msg, "invalid requirement '") == err.msg);
    ck_assert(err.hint[0]);
}
END_TEST

static const struct {
    const char *req, *version;
    int match;
} matches[] = {
    {"torch==2.4.*", "2.4.1", 1},   {"torch==2.4.*", "2.4", 1},     {"torch==2.4.*", "2.5.0", 0},
    {"torch==2.4.*", "2.40.0", 0},  {"torch==2.4", "2.4.0", 1},     {"torch==2.4", "2.4.1", 0},
    {"torch!=2.4.*", "2.4.1", 0},   {"torch!=2.4.*", "2.5.1", 1},   {"torch>=2.1,<2.6", "2.5.1", 1},
    {"torch>=2.1,<2.6", "2.6.0", 0}, {"torch>=2.1,<2.6", "2.0.1", 0}, {"torch~=2.4", "2.9.1", 1},
    {"torch~=2.4", "3.0.0", 0},     {"torch~=2.4", "2.3.9", 0},     {"torch~=2.4.1", "2.4.9", 1},
    {"torch~=2.4.1", "2.5.0", 0},   {"torch>2.4", "2.4.0", 0},      {"torch<=2.4", "2.4.0", 1},
    {"cuda==12.*", "12.9.1", 1},    {"cuda==12.*", "13.0.0", 0},    {"torch", "1.13.1", 1},
    /* a local label does not change which release matches */
    {"torch==2.5.1+cu121", "2.5.1", 1}, {"torch==2.5.1+cu121", "2.5.0", 0},
    /* PEP 440: a pre-release sits just below its release, a post-release just above */
    {"torch==2.6.0rc1", "2.6.0", 0}, {"torch>=2.6.0rc1", "2.6.0", 1}, {"torch>=2.6.0rc1", "2.5.1", 0},
    {"torch<2.6.0rc1", "2.5.1", 1},  {"torch<2.6.0rc1", "2.6.0", 0},  {"torch>2.6.0.dev20250101", "2.6.0", 1},
    {"torch!=2.6.0a1", "2.6.0", 1},  {"torch~=2.6.0rc1", "2.6.3", 1}, {"torch~=2.6.0rc1", "2.7.0", 0},
    {"torch>=2.4.1.post1", "2.4.1", 0}, {"torch>2.4.1.post1", "2.4.2", 1}, {"torch<=2.4.1.post1", "2.4.1", 1},
    {"torch<2.4.1.post1", "2.4.1", 1}, {"torch==2.4.1.post1", "2.4.1", 0}, {"torch>=2.6.0b2", "2.6.0", 1},
};

START_TEST(local_labels_and_suffixes_are_kept)
{
    struct ge_req r;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_req_parse(&r, "torch==2.5.1+CU121", &err), 0);
    ck_assert_str_eq(r.local, "cu121");
    char buf[64];
    ge_req_format(&r, buf, sizeof buf);
    ck_assert_str_eq(buf, "torch==2.5.1+cu121");
    ck_assert_int_eq(ge_req_parse(&r, "torch>=2.6.0rc1", &err), 0);
    ck_assert_int_eq(r.specs[0].suffix, GE_SUFFIX_PRE);
    ck_assert_str_eq(r.specs[0].suffix_text, "rc1");
    ck_assert_int_eq(ge_req_parse(&r, "torch==2.4.1.post1", &err), 0);
    ck_assert_int_eq(r.specs[0].suffix, GE_SUFFIX_POST);
    ge_req_format(&r, buf, sizeof buf);
    ck_assert_str_eq(buf, "torch==2.4.1.post1");
}
END_TEST

START_TEST(matches_like_pip)
{
    struct ge_req r;
    struct ge_err err;
    struct ge_version v;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_req_parse(&r, matches[_i].req, &err), 0);
    ck_assert_int_eq(ge_version_parse(&v, matches[_i].version, 1, 4), 0);
    ck_assert_msg(ge_req_match(&r, &v) == (matches[_i].match == 1), "%s vs %s", matches[_i].req, matches[_i].version);
}
END_TEST

Suite *suite_req(void)
{
    Suite *s = suite_create("req");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, parses_what_users_write, 0, sizeof good / sizeof good[0]);
    tcase_add_loop_test(tc, refuses_malformed_requirements, 0, sizeof bad / sizeof bad[0]);
    tcase_add_loop_test(tc, matches_like_pip, 0, sizeof matches / sizeof matches[0]);
    tcase_add_test(tc, local_labels_and_suffixes_are_kept);
    suite_add_tcase(s, tc);
    return s;
}
