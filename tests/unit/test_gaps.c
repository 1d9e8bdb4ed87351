/* test_gaps.c: the facts the matrix lacks, found record by record, and none where it is whole;
 * and the machines that cannot exist, refused when described. */
#include <stdlib.h>
#include <string.h>

#include "gaps.h"
#include "host.h"
#include "matrix.h"
#include "tests.h"

#define FIXTURE "tests/data/matrix-min"

static bool has_gap(const struct ge_gaps *g, enum ge_matrix_file f, const char *record, const char *fact)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->v[i].file == f && strcmp(g->v[i].record, record) == 0 && strcmp(g->v[i].fact, fact) == 0)
            return g->v[i].what[0] != '\0';
    return false;
}

START_TEST(each_missing_fact_is_one_gap)
{
    struct ge_err err;
    ge_err_clear(&err);
    struct ge_matrix *m = ge_matrix_load(FIXTURE, &err);
    ck_assert_msg(m != NULL, "%s", err.msg);
    struct ge_gaps g;
    ck_assert_int_eq(ge_gaps_find(m, &g), 0);
    /* the fixture lacks: the capabilities of CUDA 12.1 and 13.4, cuDNN 8.9.7's capabilities,
     * cuDNN 9.1.0 cuda11's oldest CUDA, TensorFlow 2.15.0's GPU floor, and its ROCm build's gfx
     * targets and Python versions */
    ck_assert(has_gap(&g, GE_MF_CUDA, "cuda 12.1.1", "ccs"));
    ck_assert(has_gap(&g, GE_MF_CUDA, "cuda 13.4.2", "ccs"));
    ck_assert(has_gap(&g, GE_MF_CUDNN, "cudnn 8.9.7 cuda12", "ccs"));
    ck_assert(has_gap(&g, GE_MF_CUDNN, "cudnn 9.1.0 cuda11", "cuda_min"));
    ck_assert(has_gap(&g, GE_MF_TF, "tensorflow 2.15.0", "min_sm"));
    ck_assert(has_gap(&g, GE_MF_TF_ROCM, "tensorflow 2.15.0 rocm6.1", "gfx"));
    ck_assert(has_gap(&g, GE_MF_TF_ROCM, "tensorflow 2.15.0 rocm6.1", "python"));
    ck_assert_uint_eq(g.n, 7);
    /* newest first within a file, files in order */
    for (size_t i = 1; i < g.n; i++)
        ck_assert(g.v[i - 1].file <= g.v[i].file);
    ck_assert_str_eq(g.v[0].record, "cuda 13.4.2");
    ge_gaps_fini(&g);

    /* take facts out of a torch variant and a jax extra: each is one more gap */
    m->torch[0].variants[0].ptx_unknown = true;
    m->torch[0].variants[0].has_cudnn = false;
    m->jax[0].extras[0].has_min_driver = false;
    ck_assert_int_eq(ge_gaps_find(m, &g), 0);
    ck_assert(has_gap(&g, GE_MF_TORCH, "torch 2.4.1 cu124 linux-x86_64", "ptx"));
    ck_assert(has_gap(&g, GE_MF_TORCH, "torch 2.4.1 cu124 linux-x86_64", "cudnn"));
    ck_assert(has_gap(&g, GE_MF_JAX, "jax 0.5.0 [cuda12]", "min_driver"));
    ck_assert_uint_eq(g.n, 10);
    /* no architectures: that is the gap, not whether PTX ships */
    m->torch[0].variants[0].narch = 0;
    ge_gaps_fini(&g);
    ck_assert_int_eq(ge_gaps_find(m, &g), 0);
    ck_assert(has_gap(&g, GE_MF_TORCH, "torch 2.4.1 cu124 linux-x86_64", "arch"));
    ck_assert(!has_gap(&g, GE_MF_TORCH, "torch 2.4.1 cu124 linux-x86_64", "ptx"));
    ge_gaps_fini(&g);
    /* a cuDNN release without any build is one gap (it could never be chosen), not one per fact */
    m->cudnn[0].nbuilds = 0;
    ck_assert_int_eq(ge_gaps_find(m, &g), 0);
    ck_assert(has_gap(&g, GE_MF_CUDNN, "cudnn 8.9.7", "builds"));
    ck_assert(!has_gap(&g, GE_MF_CUDNN, "cudnn 8.9.7 cuda12", "ccs"));
    ge_gaps_fini(&g);
    ge_matrix_free(m);
}
END_TEST

/* The shipped data: TensorFlow and JAX are whole (every release, every extra). */
START_TEST(shipped_tensorflow_and_jax_have_no_gaps)
{
    struct ge_err err;
    ge_err_clear(&err);
    struct ge_matrix *m = ge_matrix_load("data", &err);
    ck_assert_msg(m != NULL, "%s", err.msg);
    struct ge_gaps g;
    ck_assert_int_eq(ge_gaps_find(m, &g), 0);
    for (size_t i = 0; i < g.n; i++)
        ck_assert_msg(g.v[i].file != GE_MF_TF && g.v[i].file != GE_MF_JAX, "%s: %s", g.v[i].record, g.v[i].what);
    ge_gaps_fini(&g);
    ge_matrix_free(m);
}
END_TEST

/* A machine described with a GPU its driver cannot run is a usage error; one that can exist is
 * gathered as described. */
static const struct {
    const char *driver, *gpu, *platform;
    int status;
    const char *want;
} machines[] = {
    {"535.104.05", "12.0", "linux", GE_EXIT_USAGE, "no driver older than branch R570"},
    {"565.57.01", "12.0", "linux", GE_EXIT_USAGE, "not a machine that exists"},
    {"570.86.10", "12.0", "linux", 0, NULL},
    {"570", "12.0", "linux", 0, NULL},         /* the branch's oldest release */
    {"569", "12.0", "linux", GE_EXIT_USAGE, "R570"},
    {"580.95.05", "6.0", "linux", 0, NULL},
    {"590.44.01", "6.0", "linux", GE_EXIT_USAGE, "branch R580 is the last driver"},
    {"590.44.01", "6.0", "windows", 0, NULL},  /* Windows numbers R580's drivers 580-58x */
    {"590.44.01", "8.6", "linux", 0, NULL},    /* no bounds known for 8.6 in the fixture */
};

START_TEST(impossible_machines_are_refused)
{
    struct ge_err err;
    ge_err_clear(&err);
    struct ge_matrix *m = ge_matrix_load(FIXTURE, &err);
    ck_assert_msg(m != NULL, "%s", err.msg);
    struct ge_host_req req;
    ge_host_req_init(&req);
    ck_assert_int_eq(ge_host_set_driver(&req, machines[_i].driver, "--driver", &err), 0);
    ck_assert_int_eq(ge_host_add_gpus(&req, machines[_i].gpu, "--gpu", &err), 0);
    struct ge_host_view *view = calloc(1, sizeof *view);
    ck_assert_ptr_nonnull(view);
    int rc = ge_host_gather(&req, "3.12", machines[_i].platform, "x86_64", m, view, &err);
    if (machines[_i].status) {
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(err.status, machines[_i].status);
        ck_assert_msg(strstr(err.msg, machines[_i].want), "%s", err.msg);
        ck_assert(err.hint[0]);
    } else {
        ck_assert_msg(rc == 0, "%s", err.msg);
        ck_assert(view->f.driver_known && view->f.gpus_known);
    }
    free(view);
    ge_matrix_free(m);
}
END_TEST

Suite *suite_gaps(void)
{
    Suite *s = suite_create("gaps");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, each_missing_fact_is_one_gap);
    tcase_add_test(tc, shipped_tensorflow_and_jax_have_no_gaps);
    tcase_add_loop_test(tc, impossible_machines_are_refused, 0, sizeof machines / sizeof machines[0]);
    suite_add_tcase(s, tc);
    return s;
}
