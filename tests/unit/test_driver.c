/* test_driver.c: the driver probe against the fake libcuda.so.1: answers, every failure mode,
 * timeouts, crashes, CUDA_VISIBLE_DEVICES, the search folders and the version sources. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"
#include "tests.h"

static char lib[512];
static char *root; /* an empty sysroot, so that the real /sys and /proc never leak in */

static void setup(void)
{
    snprintf(lib, sizeof lib, "%s/libcuda.so.1", fake_dir());
    root = temp_dir();
    unsetenv("CUDA_VISIBLE_DEVICES");
}

static void teardown(void)
{
    rm_rf(root);
    free(root);
}

static int probe(struct ge_driver_info *info, struct ge_err *err, double timeout)
{
    struct ge_probe_opts o = {lib, root, timeout, false};
    ge_err_clear(err);
    return ge_driver_probe(&o, info, err);
}

START_TEST(one_h100)
{
    struct ge_driver_info info;
    struct ge_err err;
    setenv("FAKE_NVML_VERSION", "580.159.04", 1);
    ck_assert_int_eq(probe(&info, &err, 10), 0);
    ck_assert_int_eq(info.source, GE_DRIVER_PROBED);
    ck_assert_int_eq(info.cuda_int, 13000);
    char cuda[16];
    ck_assert_str_eq(ge_driver_cuda_string(&info, cuda, sizeof cuda), "13.0");
    ck_assert_str_eq(info.version, "580.159.04");
    ck_assert_str_eq(info.version_source, "nvml");
    ck_assert_ptr_nonnull(strstr(info.library, "libcuda.so.1"));
    ck_assert_int_eq(info.ngpus, 1);
    ck_assert_str_eq(info.gpus[0].name, "NVIDIA H100 80GB HBM3");
    ck_assert_int_eq(info.gpus[0].cc.major, 9);
    ck_assert_int_eq(info.gpus[0].cc.minor, 0);
    ck_assert_uint_eq(info.gpus[0].memory_bytes, 85017493504ULL);
    ck_assert_str_eq(info.gpus[0].uuid, "GPU-8c1e8d1e-58a0-f4b2-a9f3-c4d5e6f70812");
    ck_assert_str_eq(info.gpus[0].pci_bus_id, "00000000:18:00.0");
}
END_TEST

START_TEST(several_gpus_and_missing_fields)
{
    setenv("FAKE_CUDA_GPUS",
           "NVIDIA A100-SXM4-40GB|8.0|42505273344|00112233445566778899aabbccddeeff|0000:07:00.0;"
           "NVIDIA GeForce RTX 5090|12.0|0||;Tesla K80|3.7|12000000000||0000:81:00.0",
           1);
    setenv("FAKE_CUDA_DRIVER", "12020", 1);
    struct ge_driver_info info;
    struct ge_err err;
    ck_assert_int_eq(probe(&info, &err, 10), 0);
    ck_assert_int_eq(info.ngpus, 3);
    char cc[8], cuda[16];
    ck_assert_str_eq(ge_driver_cuda_string(&info, cuda, sizeof cuda), "12.2");
    ck_assert_str_eq(ge_cc_format(info.gpus[1].cc, cc, sizeof cc), "12.0");
    ck_assert_str_eq(info.gpus[1].uuid, "");
    ck_assert_str_eq(info.gpus[1].pci_bus_id, "");
    ck_assert_uint_eq(info.gpus[1].memory_bytes, 0);
    ck_assert_str_eq(ge_cc_format(info.gpus[2].cc, cc, sizeof cc), "3.7");
    ck_assert_int_eq(info.gpus[2].index, 2);
}
END_TEST

START_TEST(not_fooled_by_cuda_visible_devices)
{
    setenv("FAKE_CUDA_GPUS", "A|8.0|1||;B|8.6|2||", 1);
    const char *values[] = {"", "garbage", "-1", "1", "GPU-none"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        setenv("CUDA_VISIBLE_DEVICES", values[i], 1);
        struct ge_driver_info info;
        struct ge_err err;
        ck_assert_msg(probe(&info, &err, 10) == 0, "CUDA_VISIBLE_DEVICES='%s': %s", values[i], err.msg);
        ck_assert_int_eq(info.ngpus, 2);
        ck_assert_str_eq(info.gpus[0].name, "A");
        /* the caller's environment is left as it was */
        ck_assert_str_eq(getenv("CUDA_VISIBLE_DEVICES"), values[i]);
    }
}
END_TEST

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(hang_in_cuinit_times_out)
{
    setenv("FAKE_CUDA_MODE", "hang", 1);
    struct ge_driver_info info;
    struct ge_err err;
    double t0 = now();
    ck_assert_int_eq(probe(&info, &err, 0.5), -1);
    double took = now() - t0;
    ck_assert_int_eq(err.status, GE_EXIT_NO_DRIVER);
    ck_assert_msg(strstr(err.msg, "did not answer within 0.5s") && strstr(err.msg, "cuInit"), "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(err.hint, "GPUENV_PROBE_TIMEOUT"));
    ck_assert_msg(took < 5.0, "took %.1fs", took); /* generous: a loaded CI machine */
}
END_TEST

START_TEST(hang_in_driver_version_names_the_call)
{
    setenv("FAKE_CUDA_MODE", "hang-version", 1);
    struct ge_driver_info info;
    struct ge_err err;
    ck_assert_int_eq(probe(&info, &err, 0.3), -1);
    ck_assert_msg(strstr(err.msg, "cuDriverGetVersion") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(crash_is_reported)
{
    setenv("FAKE_CUDA_MODE", "crash", 1);
    struct ge_driver_info info;
    struct ge_err err;
    ck_assert_int_eq(probe(&info, &err, 10), -1);
    ck_assert_int_eq(err.status, GE_EXIT_NO_DRIVER);
    ck_assert_msg(strstr(err.msg, "crashed during cuInit (signal 11"), "%s", err.msg);
}
END_TEST

START_TEST(child_exit_without_answer)
{
    setenv("FAKE_CUDA_MODE", "exit", 1);
    struct ge_driver_info info;
    struct ge_err err;
    ck_assert_int_eq(probe(&info, &err, 10), -1);
    ck_assert_msg(strstr(err.msg, "ended during cuInit without an answer (exit status 3)"), "%s", err.msg);
}
END_TEST

static const struct {
    const char *mode, *code, *msg, *hint;
    int status;
} init_cases[] = {
    {"init-fail", "999", "cuInit: CUDA_ERROR_UNKNOWN (999): unknown error", "kernel module", GE_EXIT_NO_DRIVER},
    {"init-fail", "803", "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (803)", "reboot", GE_EXIT_NO_DRIVER},
    {"init-fail", "4242", "cuInit: error 4242", "kernel module", GE_EXIT_NO_DRIVER},
    {"stub", NULL, "CUDA_ERROR_STUB_LIBRARY (34)", "stub", GE_EXIT_NO_DRIVER},
    {"no-device", NULL, "reports no GPU", "/dev/nvidia", GE_EXIT_NO_GPU},
    {"query-fail", NULL, "failed while querying device 0", "nvidia-smi", GE_EXIT_NO_DRIVER},
};

START_TEST(init_failures)
{
    setenv("FAKE_CUDA_MODE", init_cases[_i].mode, 1);
    if (init_cases[_i].code)
        setenv("FAKE_CUDA_ERROR", init_cases[_i].code, 1);
    struct ge_driver_info info;
    struct ge_err err;
    ck_assert_int_eq(probe(&info, &err, 10), -1);
    ck_assert_int_eq(err.status, init_cases[_i].status);
    ck_assert_msg(strstr(err.msg, init_cases[_i].msg), "%s", err.msg);
    ck_assert_msg(strstr(err.hint, init_cases[_i].hint), "%s", err.hint);
    /* what the probe learnt before cuInit is kept */
    ck_assert_int_eq(info.cuda_int, 13000);
    ck_assert_ptr_nonnull(strstr(info.library, "libcuda.so.1"));
}
END_TEST

START_TEST(explicit_library_missing_or_wrong)
{
    struct ge_driver_info info;
    struct ge_err err;
    snprintf(lib, sizeof lib, "%s/nonexistent/libcuda.so.1", root);
    ck_assert_int_eq(probe(&info, &err, 10), -1);
    ck_assert_int_eq(err.status, GE_EXIT_NO_DRIVER);
    ck_assert_msg(strstr(err.msg, "cannot load GPUENV_LIBCUDA="), "%s", err.msg);

    /* a real shared library that is not a driver */
    snprintf(lib, sizeof lib, "%s/libnvidia-ml.so.1", fake_dir());
    ck_assert_int_eq(probe(&info, &err, 10), -1);
    ck_assert_msg(strstr(err.msg, "has no symbol cuInit"), "%s", err.msg);
}
END_TEST

START_TEST(search_folders_under_sysroot)
{
    struct ge_driver_info info;
    struct ge_err err;
    struct ge_probe_opts o = {NULL, root, 10, false};
    /* nothing anywhere: every folder is named as tried */
    ck_assert_int_eq(ge_driver_probe(&o, &info, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_NO_DRIVER);
    ck_assert_msg(strstr(err.msg, "no NVIDIA driver found") && strstr(err.msg, "/usr/lib/wsl/lib") &&
                      strstr(err.msg, "/usr/local/nvidia/lib64"), "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(err.hint, "--driver"));

    /* a broken file in one folder is the error reported, not "not found" */
    char path[1024], cmd[2048];
    snprintf(path, sizeof path, "%s/usr/lib/x86_64-linux-gnu/libcuda.so.1", root);
    write_file(path, "not an ELF file");
    ge_err_clear(&err);
    ck_assert_int_eq(ge_driver_probe(&o, &info, &err), -1);
    ck_assert_msg(strstr(err.msg, "cannot load ") && strstr(err.msg, "x86_64-linux-gnu/libcuda.so.1: "), "%s", err.msg);

    /* the driver in RHEL's folder is found when the Debian one is absent */
    snprintf(cmd, sizeof cmd, "rm -f '%s' && mkdir -p '%s/usr/lib64/nvidia' && cp '%s/libcuda.so.1' '%s/usr/lib64/nvidia/'",
             path, root, fake_dir(), root);
    ck_assert_int_eq(system(cmd), 0);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_driver_probe(&o, &info, &err), 0);
    ck_assert_ptr_nonnull(strstr(info.library, "/usr/lib64/nvidia/libcuda.so.1"));
    ck_assert_int_eq(info.ngpus, 1);
}
END_TEST

START_TEST(version_from_sysfs_then_procfs)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/proc/driver/nvidia/version", root);
    write_file(path, "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n"
                     "GCC version:  gcc version 12.3.0\n");
    struct ge_driver_info info;
    struct ge_err err;
    ck_assert_int_eq(probe(&info, &err, 10), 0);
    ck_assert_str_eq(info.version, "550.54.15");
    ck_assert_str_eq(info.version_source, "/proc/driver/nvidia/version");
    snprintf(path, sizeof path, "%s/sys/module/nvidia/version", root);
    write_file(path, "575.57.08\n");
    ck_assert_int_eq(probe(&info, &err, 10), 0);
    ck_assert_str_eq(info.version, "575.57.08");
    ck_assert_str_eq(info.version_source, "/sys/module/nvidia/version");
}
END_TEST

START_TEST(version_unknown_when_no_source)
{
    setenv("FAKE_NVML_FAIL", "1", 1);
    struct ge_driver_info info;
    struct ge_err err;
    ck_assert_int_eq(probe(&info, &err, 10), 0);
    ck_assert_str_eq(info.version, "");
    ck_assert_str_eq(info.version_source, "");
}
END_TEST

START_TEST(parse_version_files)
{
    char out[32];
    ck_assert_int_eq(ge_driver_parse_version_file("580.159.04\n", out, sizeof out), 0);
    ck_assert_str_eq(out, "580.159.04");
    ck_assert_int_eq(ge_driver_parse_version_file(
                         "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build\n",
                         out, sizeof out), 0);
    ck_assert_str_eq(out, "580.95.05");
    ck_assert_int_eq(ge_driver_parse_version_file("NVRM version: garbage\n", out, sizeof out), -1);
    ck_assert_int_eq(ge_driver_parse_version_file("", out, sizeof out), -1);
    ck_assert_int_eq(ge_driver_parse_version_file("banana\n", out, sizeof out), -1);
    char tiny[4];
    ck_assert_int_eq(ge_driver_parse_version_file("580.159.04\n", tiny, sizeof tiny), -1);
}
END_TEST

static int probe_noisy(void *arg)
{
    struct ge_driver_info *info = arg;
    struct ge_err err;
    return probe(info, &err, 10);
}

START_TEST(noisy_driver_cannot_pollute_stdout)
{
    setenv("FAKE_CUDA_STDOUT", "{\"garbage\": true}\n", 1);
    struct ge_driver_info *info = malloc(sizeof *info);
    char *out, *err;
    ck_assert_int_eq(capture(probe_noisy, info, &out, &err), 0);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    free(info);
}
END_TEST

START_TEST(uuid_format)
{
    unsigned char b[16];
    for (int i = 0; i < 16; i++)
        b[i] = (unsigned char)(i * 17);
    char out[48];
    ge_driver_format_uuid(b, out, sizeof out);
    ck_assert_str_eq(out, "GPU-00112233-4455-6677-8899-aabbccddeeff");
}
END_TEST

Suite *suite_driver(void)
{
    Suite *s = suite_create("driver");
    TCase *tc = tcase_create("probe");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, one_h100);
    tcase_add_test(tc, several_gpus_and_missing_fields);
    tcase_add_test(tc, not_fooled_by_cuda_visible_devices);
    tcase_add_test(tc, hang_in_cuinit_times_out);
    tcase_add_test(tc, hang_in_driver_version_names_the_call);
    tcase_add_test(tc, crash_is_reported);
    tcase_add_test(tc, child_exit_without_answer);
    tcase_add_loop_test(tc, init_failures, 0, sizeof init_cases / sizeof init_cases[0]);
    tcase_add_test(tc, explicit_library_missing_or_wrong);
    tcase_add_test(tc, search_folders_under_sysroot);
    tcase_add_test(tc, version_from_sysfs_then_procfs);
    tcase_add_test(tc, version_unknown_when_no_source);
    tcase_add_test(tc, noisy_driver_cannot_pollute_stdout);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("parse");
    tcase_add_test(tp, parse_version_files);
    tcase_add_test(tp, uuid_format);
    suite_add_tcase(s, tp);
    return s;
}
