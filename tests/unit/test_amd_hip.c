/* test_amd_hip.c: the HIP runtime probe against the fake libamdhip64.so: answers in both property
 * layouts, every failure mode (missing library or symbol, no device, old driver, hang, crash), the
 * /opt/rocm* search, the visibility variables, and the match with the KFD topology's GPUs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amd.h"
#include "amd_hip.h"
#include "str.h"
#include "tests.h"

static char lib[512], lib5[512];
static char *root; /* an empty sysroot, so that the real /opt/rocm never leaks in */

static void setup(void)
{
    snprintf(lib, sizeof lib, "%s/libamdhip64.so.6", fake_dir());
    snprintf(lib5, sizeof lib5, "%s/hip5/libamdhip64.so.5", fake_dir());
    root = temp_dir();
    static const char *const vars[] = {"FAKE_HIP_MODE", "FAKE_HIP_VERSION", "FAKE_HIP_GPUS", "FAKE_HIP_ERROR",
                                       "FAKE_HIP_STDOUT", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

static void teardown(void)
{
    rm_rf(root);
    free(root);
}

static int probe(const char *library, struct ge_hip_info *info, struct ge_err *err, double timeout)
{
    struct ge_hip_opts o = {library, root, timeout};
    ge_err_clear(err);
    return ge_hip_probe(&o, info, err);
}

static void copy(const char *from, const char *to)
{
    size_t n = 0;
    char *data = ge_read_file(from, 16u << 20, &n);
    ck_assert_ptr_nonnull(data);
    char dir[4096];
    ge_strlcpy(dir, to, sizeof dir);
    *strrchr(dir, '/') = '\0';
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(to, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
    free(data);
}

START_TEST(versions_and_pci_ids)
{
    char b[32];
    ck_assert_str_eq(ge_hip_version_string(60241134, b, sizeof b), "6.2.41134");
    ck_assert_str_eq(ge_hip_version_string(50731921, b, sizeof b), "5.7.31921");
    ck_assert_str_eq(ge_hip_version_string(70000000, b, sizeof b), "7.0.0");
    ck_assert_str_eq(ge_hip_version_string(0, b, sizeof b), "");
    ck_assert(ge_hip_same_pci("0000:03:00.0", "0000:03:00.0"));
    ck_assert(ge_hip_same_pci("0000:c3:00.0", "00000000:C3:00.0")); /* width of the domain, case */
    ck_assert(!ge_hip_same_pci("0000:c3:00.0", "0001:c3:00.0"));
    ck_assert(!ge_hip_same_pci("0000:03:00.0", "0000:03:00.1"));
    ck_assert(!ge_hip_same_pci("", "0000:03:00.0"));
    ck_assert(!ge_hip_same_pci("0000:03:00.0x", "0000:03:00.0"));
    ck_assert(!ge_hip_same_pci("gfx90a", "gfx90a"));
}
END_TEST

START_TEST(arch_from_either_layout)
{
    static unsigned char props[2048];
    char out[256];
    memset(props, 0, sizeof props);
    strcpy((char *)props + 1160, "gfx90a:sramecc+:xnack-");
    ck_assert_int_eq(ge_hip_props_arch(props, sizeof props, 6, out, sizeof out), 0);
    ck_assert_str_eq(out, "gfx90a:sramecc+:xnack-");
    ck_assert_int_eq(ge_hip_props_arch(props, sizeof props, 5, out, sizeof out), -1); /* nothing at 396 */
    ck_assert_str_eq(out, "");
    strcpy((char *)props + 396, "gfx1100");
    ck_assert_int_eq(ge_hip_props_arch(props, sizeof props, 5, out, sizeof out), 0);
    ck_assert_str_eq(out, "gfx1100");
    /* what is not a gfx target name is not taken: a wrong layout reads other fields */
    strcpy((char *)props + 1160, "AMD Radeon");
    ck_assert_int_eq(ge_hip_props_arch(props, sizeof props, 6, out, sizeof out), -1);
    memset(props + 1160, 'g', 300); /* no NUL within the field */
    ck_assert_int_eq(ge_hip_props_arch(props, sizeof props, 6, out, sizeof out), -1);
    ck_assert_int_eq(ge_hip_props_arch(props, 1200, 6, out, sizeof out), -1); /* the buffer is too short */
    ck_assert_int_eq(ge_hip_props_arch(props, sizeof props, 4, out, sizeof out), -1);
}
END_TEST

START_TEST(two_gpus_in_hip6)
{
    struct ge_hip_info info;
    struct ge_err err;
    setenv("FAKE_HIP_GPUS", "AMD Instinct MI250X|gfx90a:sramecc+:xnack-|0000:c3:00.0|68702699520;"
                            "AMD Instinct MI300X|gfx942:sramecc+:xnack-|0000:c4:00.0|206141652992", 1);
    ck_assert_int_eq(probe(lib, &info, &err, 10), 0);
    ck_assert_int_eq(info.status, GE_HIP_OK);
    ck_assert_str_eq(ge_hip_status_name(info.status), "ok");
    ck_assert_int_eq(info.runtime_version, 60241134);
    ck_assert_int_eq(info.driver_version, 60241134);
    ck_assert_str_eq(info.library_source, "GPUENV_LIBAMDHIP");
    ck_assert(strstr(info.library, "libamdhip64.so.6") != NULL);
    ck_assert_int_eq(info.ngpus, 2);
    ck_assert_str_eq(info.gpus[0].name, "AMD Instinct MI250X");
    ck_assert_str_eq(info.gpus[0].arch, "gfx90a:sramecc+:xnack-");
    ck_assert_str_eq(info.gpus[1].arch, "gfx942:sramecc+:xnack-");
    ck_assert_str_eq(info.gpus[1].pci_bus_id, "0000:c4:00.0");
    ck_assert_uint_eq(info.gpus[1].memory_bytes, 206141652992ull);
    ck_assert_int_eq(info.gpus[1].ordinal, 1);
}
END_TEST

START_TEST(hip5_layout)
{
    struct ge_hip_info info;
    struct ge_err err;
    setenv("FAKE_HIP_VERSION", "50731921", 1);
    ck_assert_int_eq(probe(lib5, &info, &err, 10), 0);
    ck_assert_int_eq(info.ngpus, 1);
    ck_assert_str_eq(info.gpus[0].arch, "gfx1100");
    /* a HIP 6 runtime without the R0600 call: its older struct is not trusted, the arch is unknown */
    setenv("FAKE_HIP_VERSION", "60241134", 1);
    ck_assert_int_eq(probe(lib5, &info, &err, 10), 0);
    ck_assert_str_eq(info.gpus[0].arch, "");
    ck_assert_str_eq(info.gpus[0].name, "AMD Radeon RX 7900 XTX");
}
END_TEST

START_TEST(visibility_is_the_runtimes)
{
    struct ge_hip_info info;
    struct ge_err err;
    setenv("FAKE_HIP_GPUS", "A|gfx90a|0000:c3:00.0|1;B|gfx942|0000:c4:00.0|1", 1);
    setenv("HIP_VISIBLE_DEVICES", "1", 1);
    ck_assert_int_eq(probe(lib, &info, &err, 10), 0);
    ck_assert_int_eq(info.ngpus, 1);
    ck_assert_str_eq(info.gpus[0].name, "B");
    setenv("HIP_VISIBLE_DEVICES", "", 1);
    ck_assert_int_eq(probe(lib, &info, &err, 10), -1);
    ck_assert_int_eq(info.status, GE_HIP_NO_DEVICE);
    ck_assert_int_eq(err.status, GE_EXIT_NO_GPU);
}
END_TEST

START_TEST(failures_are_distinct)
{
    struct ge_hip_info info;
    struct ge_err err;
    setenv("FAKE_HIP_MODE", "no-device", 1);
    ck_assert_int_eq(probe(lib, &info, &err, 10), -1);
    ck_assert_int_eq(info.status, GE_HIP_NO_DEVICE);
    ck_assert_int_eq(info.hip_error, 100);
    ck_assert_str_eq(info.hip_error_name, "hipErrorNoDevice");
    ck_assert_int_eq(info.runtime_version, 60241134); /* known before the failure */
    ck_assert(strstr(err.msg, "reports no GPU") != NULL);
    setenv("FAKE_HIP_MODE", "zero", 1);
    ck_assert_int_eq(probe(lib, &info, &err, 10), -1);
    ck_assert_int_eq(info.status, GE_HIP_NO_DEVICE);
    ck_assert_int_eq(info.hip_error, 0);
    setenv("FAKE_HIP_MODE", "insufficient-driver", 1);
    ck_assert_int_eq(probe(lib, &info, &err, 10), -1);
    ck_assert_int_eq(info.status, GE_HIP_INSUFFICIENT_DRIVER);
    ck_assert_str_eq(ge_hip_status_name(info.status), "insufficient-driver");
    ck_assert_int_eq(err.status, GE_EXIT_NO_DRIVER);
    ck_assert(strstr(err.msg, "hipErrorInsufficientDriver (35)") != NULL);
    setenv("FAKE_HIP_MODE", "error", 1);
    setenv("FAKE_HIP_ERROR", "1", 1);
    ck_assert_int_eq(probe(lib, &info, &err, 10), -1);
    ck_assert_int_eq(info.status, GE_HIP_FAILED);
    ck_assert_str_eq(info.call, "hipGetDeviceCount");
    setenv("FAKE_HIP_MODE", "exit", 1);
    ck_assert_int_eq(probe(lib, &info, &err, 10), -1);
    ck_assert_int_eq(info.status, GE_HIP_CRASHED);
    ck_assert(strstr(err.msg, "without an answer (exit status 3)") != NULL);
    unsetenv("FAKE_HIP_MODE");
    /* a library that is not the HIP runtime */
    char cuda[600];
    snprintf(cuda, sizeof cuda, "%s/libcuda.so.1", fake_dir());
    ck_assert_int_eq(probe(cuda, &info, &err, 10), -1);
    ck_assert_int_eq(info.status, GE_HIP_SYMBOL_MISSING);
    ck_assert_str_eq(info.call, "hipRuntimeGetVersion");
    ck_assert(strstr(err.msg, "has no symbol hipRuntimeGetVersion") != NULL);
    /* a file that does not load */
    char bad[4200];
    snprintf(bad, sizeof bad, "%s/libamdhip64.so", root);
    write_file(bad, "not an ELF file\n");
    ck_assert_int_eq(probe(bad, &info, &err, 10), -1);
    ck_assert_int_eq(info.status, GE_HIP_LOAD_FAILED);
    ck_assert(strstr(err.msg, "cannot load GPUENV_LIBAMDHIP=") != NULL);
}
END_TEST

START_TEST(hang_and_crash)
{
    struct ge_hip_info info;
    struct ge_err err;
    setenv("FAKE_HIP_MODE", "hang", 1);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ck_assert_int_eq(probe(lib, &info, &err, 0.5), -1);
    clock_gettime(CLOCK_MONOTONIC, &b);
    ck_assert(b.tv_sec - a.tv_sec < 5);
    ck_assert_int_eq(info.status, GE_HIP_TIMEOUT);
    ck_assert_str_eq(info.stage, "hipGetDeviceCount");
    ck_assert(strstr(err.msg, "did not answer within 0.5s (stuck in hipGetDeviceCount)") != NULL);
    setenv("FAKE_HIP_MODE", "crash", 1);
    ck_assert_int_eq(probe(lib, &info, &err, 10), -1);
    ck_assert_int_eq(info.status, GE_HIP_CRASHED);
    ck_assert_int_eq(info.signal, 11);
    ck_assert(strstr(err.msg, "crashed during hipGetDeviceCount (signal 11") != NULL);
}
END_TEST

START_TEST(the_newest_rocm_is_searched)
{
    struct ge_hip_info info;
    struct ge_err err;
    /* nothing under the sysroot: no child, and the loader is not asked for a sysroot's machine */
    ck_assert_int_eq(probe(NULL, &info, &err, 10), -1);
    ck_assert_int_eq(info.status, GE_HIP_NOT_FOUND);
    ck_assert(strstr(err.msg, "no HIP runtime found") != NULL);
    char p[4200], l[4200];
    snprintf(p, sizeof p, "%s/opt/rocm-5.7.1/lib/libamdhip64.so.5", root);
    copy(lib5, p);
    snprintf(p, sizeof p, "%s/opt/rocm-6.2.4/lib/libamdhip64.so", root);
    copy(lib, p);
    snprintf(p, sizeof p, "%s/opt/rocm-6.2.4/.info/version", root);
    write_file(p, "6.2.4-120\n");
    snprintf(l, sizeof l, "%s/opt/rocm", root);
    ck_assert_int_eq(symlink("rocm-6.2.4", l), 0);
    ck_assert_int_eq(probe(NULL, &info, &err, 10), 0);
    ck_assert_str_eq(info.library_source, "rocm");
    ck_assert(strstr(info.library, "/opt/rocm-6.2.4/lib/libamdhip64.so") != NULL);
    /* a newer ROCm named only by its folder wins */
    snprintf(p, sizeof p, "%s/opt/rocm-7.0.1/lib/libamdhip64.so.7", root);
    copy(lib5, p);
    setenv("FAKE_HIP_VERSION", "70051830", 1);
    ck_assert_int_eq(probe(NULL, &info, &err, 10), 0);
    ck_assert(strstr(info.library, "/opt/rocm-7.0.1/lib/libamdhip64.so.7") != NULL);
    ck_assert_int_eq(info.runtime_version, 70051830);
}
END_TEST

static void put_gpu(const char *r, int node, const char *props)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/sys/class/kfd/kfd/topology/nodes/%d/properties", r, node);
    write_file(p, props);
}

START_TEST(matched_to_the_kfd_gpus)
{
    put_gpu(root, 1, "gfx_target_version 90010\nvendor_id 4098\ndevice_id 29711\nlocation_id 49920\ndomain 0\n");
    put_gpu(root, 2, "gfx_target_version 90402\nvendor_id 4098\ndevice_id 29857\nlocation_id 50176\ndomain 0\n");
    static struct ge_amd_info a;
    ge_amd_detect(root, &a);
    ck_assert_int_eq(a.ngpus, 2);
    setenv("FAKE_HIP_GPUS", "MI300X|gfx942:sramecc+:xnack-|00000000:C4:00.0|1", 1);
    struct ge_hip_opts o = {lib, root, 10};
    ge_amd_confirm_hip(&a, &o);
    ck_assert_int_eq(a.hip.status, GE_HIP_OK);
    ck_assert_int_eq(a.hip_err.status, 0);
    ck_assert(!a.gpus[0].hip_seen); /* the gfx90a: HIP does not see it */
    ck_assert(a.gpus[1].hip_seen);
    ck_assert_int_eq(a.gpus[1].hip_index, 0);
    ck_assert_str_eq(a.hip.gpus[a.gpus[1].hip_index].arch, "gfx942:sramecc+:xnack-");
    /* a failure is said, not returned */
    setenv("FAKE_HIP_MODE", "crash", 1);
    ge_amd_confirm_hip(&a, &o);
    ck_assert_int_eq(a.hip.status, GE_HIP_CRASHED);
    ck_assert_int_eq(a.hip_err.status, GE_EXIT_NO_DRIVER);
    ck_assert(!a.gpus[0].hip_seen && !a.gpus[1].hip_seen);
    /* no KFD GPU: not asked */
    ge_amd_detect("/nonexistent-sysroot", &a);
    ge_amd_confirm_hip(&a, &o);
    ck_assert_int_eq(a.hip.status, GE_HIP_NOT_PROBED);
    ck_assert_str_eq(ge_hip_status_name(a.hip.status), "not-probed");
}
END_TEST

Suite *suite_amd_hip(void)
{
    Suite *s = suite_create("amd_hip");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, versions_and_pci_ids);
    tcase_add_test(t, arch_from_either_layout);
    tcase_add_test(t, two_gpus_in_hip6);
    tcase_add_test(t, hip5_layout);
    tcase_add_test(t, visibility_is_the_runtimes);
    tcase_add_test(t, failures_are_distinct);
    tcase_add_test(t, hang_and_crash);
    tcase_add_test(t, the_newest_rocm_is_searched);
    tcase_add_test(t, matched_to_the_kfd_gpus);
    suite_add_tcase(s, t);
    return s;
}
