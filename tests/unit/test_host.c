/* test_host.c: host overrides from flags and environment, and their validation. */
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "tests.h"

START_TEST(flags_describe_a_machine_without_probing)
{
    struct ge_host_req req;
    struct ge_err err;
    ge_err_clear(&err);
    ge_host_req_init(&req);
    ck_assert(!ge_host_req_overrides(&req));
    ck_assert_int_eq(ge_host_set_driver(&req, "535.104.05", "--driver", &err), 0);
    ck_assert_int_eq(ge_host_add_gpus(&req, "8.6", "--gpu", &err), 0);
    ck_assert_int_eq(ge_host_add_gpus(&req, "sm_90, 12.0", "--gpu", &err), 0);
    ck_assert(ge_host_req_overrides(&req));
    /* the probe would fail here (no such library): overrides must not run it */
    setenv("GPUENV_LIBCUDA", "/nonexistent/libcuda.so.1", 1);
    struct ge_driver_info info;
    ck_assert_int_eq(ge_host_detect(&req, &info, &err), 0);
    ck_assert_int_eq(info.source, GE_DRIVER_OVERRIDE);
    ck_assert_str_eq(info.version, "535.104.05");
    ck_assert_str_eq(info.version_source, "override");
    ck_assert_int_eq(info.cuda_int, 0);
    ck_assert_int_eq(info.ngpus, 3);
    char cc[8];
    ck_assert_str_eq(ge_cc_format(info.gpus[2].cc, cc, sizeof cc), "12.0");
    ck_assert_int_eq(info.gpus[2].index, 2);
}
END_TEST

START_TEST(environment_fills_what_flags_leave)
{
    struct ge_host_req req;
    struct ge_err err;
    ge_err_clear(&err);
    ge_host_req_init(&req);
    setenv("GPUENV_DRIVER", "580.65.06", 1);
    setenv("GPUENV_GPUS", "9.0,9.0", 1);
    ck_assert_int_eq(ge_host_add_gpus(&req, "7.5", "--gpu", &err), 0);
    ck_assert_int_eq(ge_host_req_from_env(&req, &err), 0);
    ck_assert_str_eq(req.driver, "580.65.06");
    ck_assert_int_eq(req.ngpus, 1); /* --gpu wins over GPUENV_GPUS */
    ck_assert_int_eq(req.gpus[0].major, 7);
}
END_TEST

static const struct {
    const char *driver, *gpus, *want;
} bad[] = {
    {"58", NULL, "invalid driver version '58' in --driver"},
    {"580.65.06.1", NULL, "invalid driver version"},
    {"R58O", NULL, "invalid driver version"},
    {"0580", NULL, "invalid driver version"},
    {NULL, "9", "invalid compute capability '9' in --gpu"},
    {NULL, "8.6,,x", "invalid compute capability 'x'"},
    {NULL, " , ", "empty compute capability in --gpu"},
    {NULL, "gfx", "invalid gfx target 'gfx' in --gpu"},
    {NULL, "gfx90z", "invalid gfx target 'gfx90z'"},
    {NULL, "gfx1100:xnack", "invalid gfx target 'gfx1100:xnack'"},
    {NULL, "gfx90a::", "invalid gfx target 'gfx90a::'"},
    {NULL, "gfx11000000000000000000000000000000", "invalid gfx target"},
};

/* A bare branch stands for its oldest driver; "86" is sm_86. */
START_TEST(branches_and_bare_capabilities)
{
    struct ge_host_req req;
    struct ge_err err;
    ge_err_clear(&err);
    ge_host_req_init(&req);
    ck_assert_int_eq(ge_host_set_driver(&req, "R550", "--driver", &err), 0);
    ck_assert(req.driver_branch);
    ck_assert_str_eq(req.driver, "550");
    ck_assert_int_eq(ge_host_set_driver(&req, "550.54.15", "--driver", &err), 0);
    ck_assert(!req.driver_branch);
    ck_assert_int_eq(ge_host_add_gpus(&req, "86,sm_90,12.0,121", "--gpu", &err), 0);
    ck_assert_int_eq(req.ngpus, 4);
    ck_assert(req.gpus[0].major == 8 && req.gpus[0].minor == 6 && req.gpus[3].major == 12 && req.gpus[3].minor == 1);
}
END_TEST

/* AMD GPUs by gfx target, as rocminfo writes them too (upper case, target features). */
START_TEST(gfx_targets_describe_amd_gpus)
{
    struct ge_host_req req;
    struct ge_err err;
    ge_err_clear(&err);
    ge_host_req_init(&req);
    ck_assert_int_eq(ge_host_add_gpus(&req, "gfx1100, 8.0,GFX90a gfx942:sramecc+:xnack-", "--gpu", &err), 0);
    ck_assert_int_eq(req.ngpus, 1);
    ck_assert_int_eq(req.namd, 3);
    ck_assert_uint_eq(req.amd[0], 110000u);
    ck_assert_uint_eq(req.amd[1], 90010u);
    ck_assert_uint_eq(req.amd[2], 90402u);
    ck_assert(req.gpus_given);
}
END_TEST

START_TEST(malformed_values_are_usage_errors)
{
    struct ge_host_req req;
    struct ge_err err;
    ge_err_clear(&err);
    ge_host_req_init(&req);
    int rc = bad[_i].driver ? ge_host_set_driver(&req, bad[_i].driver, "--driver", &err)
                            : ge_host_add_gpus(&req, bad[_i].gpus, "--gpu", &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ck_assert_msg(strstr(err.msg, bad[_i].want), "%s", err.msg);
    ck_assert(err.hint[0]);
}
END_TEST

START_TEST(malformed_environment)
{
    struct ge_host_req req;
    struct ge_err err;
    ge_err_clear(&err);
    ge_host_req_init(&req);
    setenv("GPUENV_GPUS", "sm_9x", 1);
    ck_assert_int_eq(ge_host_req_from_env(&req, &err), -1);
    ck_assert_msg(strstr(err.msg, "in GPUENV_GPUS"), "%s", err.msg);

    ge_err_clear(&err);
    ge_host_req_init(&req);
    unsetenv("GPUENV_GPUS");
    setenv("GPUENV_PROBE_TIMEOUT", "soon", 1);
    struct ge_driver_info info;
    ck_assert_int_eq(ge_host_detect(&req, &info, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ck_assert_msg(strstr(err.msg, "GPUENV_PROBE_TIMEOUT"), "%s", err.msg);
}
END_TEST

START_TEST(too_many_gpus)
{
    struct ge_host_req req;
    struct ge_err err;
    ge_err_clear(&err);
    ge_host_req_init(&req);
    for (int i = 0; i < GE_MAX_GPUS; i++)
        ck_assert_int_eq(ge_host_add_gpus(&req, "8.0", "--gpu", &err), 0);
    ck_assert_int_eq(ge_host_add_gpus(&req, "8.0", "--gpu", &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ck_assert_int_eq(ge_host_add_gpus(&req, "gfx90a", "--gpu", &err), -1); /* AMD's count with NVIDIA's */
}
END_TEST

Suite *suite_host(void)
{
    Suite *s = suite_create("host");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, flags_describe_a_machine_without_probing);
    tcase_add_test(tc, environment_fills_what_flags_leave);
    tcase_add_test(tc, branches_and_bare_capabilities);
    tcase_add_test(tc, gfx_targets_describe_amd_gpus);
    tcase_add_loop_test(tc, malformed_values_are_usage_errors, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, malformed_environment);
    tcase_add_test(tc, too_many_gpus);
    suite_add_tcase(s, tc);
    return s;
}
