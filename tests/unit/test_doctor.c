/* test_doctor.c: the parts of 'gpuenv doctor' that are pure: the finding codes and the fix plan,
 * CUDA_VISIBLE_DEVICES as the driver reads it, a driver's version from its library's name, the
 * PTX ISA table, and running a program with a time limit. The checks themselves are tested end
 * to end (tests/e2e/t_doctor.sh) on machines broken on purpose. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "elf.h"
#include "finding.h"
#include "proc.h"
#include "str.h"
#include "tests.h"

START_TEST(codes_are_a_stable_table)
{
    size_t n;
    const struct ge_code_info *t = ge_code_table(&n);
    ck_assert_uint_eq(n, GE_F_COUNT);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq((int)t[i].code, (int)i); /* looked up by index */
        ck_assert(t[i].name[0] && t[i].meaning[0]);
        ck_assert_msg(strspn(t[i].name, "abcdefghijklmnopqrstuvwxyz-") == strlen(t[i].name), "%s", t[i].name);
        for (size_t k = 0; k < i; k++)
            ck_assert_str_ne(t[i].name, t[k].name);
    }
    /* published names: never renamed */
    ck_assert_str_eq(ge_code_info(GE_F_DRIVER_MISMATCH)->name, "driver-version-mismatch");
    ck_assert_str_eq(ge_code_info(GE_F_NO_KERNEL_IMAGE)->name, "no-kernel-image");
    ck_assert_str_eq(ge_code_info(GE_F_CVD_EMPTY)->name, "cuda-visible-devices-empty");
    ck_assert_ptr_null(ge_code_info(GE_F_COUNT));
}
END_TEST

START_TEST(findings_sort_worst_first_and_plan_in_area_order)
{
    struct ge_findings f;
    ge_findings_init(&f);
    ge_finding_add(&f, GE_F_GPUS_HIDDEN, GE_SEV_INFO, NULL, "hidden");
    struct ge_finding *x = ge_finding_add(&f, GE_F_FRAMEWORK_CPU_ONLY, GE_SEV_ERROR, "torch", "cpu %d", 1);
    ge_finding_fix(x, false, false, "gpuenv install torch");
    x = ge_finding_add(&f, GE_F_CVD_EMPTY, GE_SEV_ERROR, NULL, "empty");
    ge_finding_fix(x, false, false, "unset CUDA_VISIBLE_DEVICES");
    x = ge_finding_add(&f, GE_F_NO_DRIVER, GE_SEV_ERROR, NULL, "none");
    ge_finding_fix(x, true, true, "install the driver");
    x = ge_finding_add(&f, GE_F_CUDA_HOME_MISSING, GE_SEV_WARNING, "CUDA_HOME", "missing");
    ge_finding_fix(x, false, false, "unset CUDA_HOME");
    x = ge_finding_add(&f, GE_F_CVD_INVALID, GE_SEV_ERROR, NULL, "same fix");
    ge_finding_fix(x, false, false, "unset CUDA_VISIBLE_DEVICES");
    x = ge_finding_add(&f, GE_F_GPUS_HIDDEN, GE_SEV_INFO, NULL, "an info's fix is not a step");
    ge_finding_fix(x, false, false, "unset CUDA_VISIBLE_DEVICES too");
    ge_finding_evidence(x, "CUDA_VISIBLE_DEVICES", "%s", "0");
    for (int i = 0; i < 10; i++)
        ge_finding_evidence(x, "more", "%d", i); /* bounded */
    ck_assert_int_eq(x->nevidence, GE_FINDING_MAX_EVIDENCE);
    ge_findings_sort(&f);
    ck_assert_int_eq(f.v[0].code, GE_F_NO_DRIVER);
    ck_assert_int_eq(f.v[1].code, GE_F_CVD_EMPTY);
    ck_assert_int_eq(f.v[2].code, GE_F_CVD_INVALID);
    ck_assert_int_eq(f.v[3].code, GE_F_FRAMEWORK_CPU_ONLY);
    ck_assert_int_eq(f.v[4].code, GE_F_CUDA_HOME_MISSING);
    ck_assert_int_eq(f.v[5].severity, GE_SEV_INFO);
    ck_assert_str_eq(f.v[5].message, "hidden"); /* equal ones keep their order */
    ck_assert_uint_eq(ge_findings_count(&f, GE_SEV_ERROR), 4);
    const struct ge_finding *steps[8];
    size_t n = ge_findings_plan(&f, steps, 8);
    ck_assert_uint_eq(n, 4); /* one "unset CUDA_VISIBLE_DEVICES", no info */
    ck_assert_str_eq(steps[0]->fix, "install the driver");
    ck_assert_str_eq(steps[1]->fix, "unset CUDA_VISIBLE_DEVICES");
    ck_assert_str_eq(steps[2]->fix, "unset CUDA_HOME");
    ck_assert_str_eq(steps[3]->fix, "gpuenv install torch");
    cJSON *j = ge_finding_json(&f.v[0]);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "code")->valuestring, "no-driver");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "area")->valuestring, "driver");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "fix"), "reboot")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "subject")));
    cJSON_Delete(j);
    ge_findings_fini(&f);
}
END_TEST

static struct ge_driver_info two_gpus(void)
{
    struct ge_driver_info d;
    memset(&d, 0, sizeof d);
    d.ngpus = 2;
    strcpy(d.gpus[0].uuid, "GPU-11111111-2222-3333-4444-555555555555");
    strcpy(d.gpus[1].uuid, "GPU-1111aaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    return d;
}

static const struct {
    const char *cvd;
    int visible;
    const char *bad;
} cvd_cases[] = {
    {"0", 1, ""},
    {"0,1", 2, ""},
    {" 1 , 0 ", 2, ""},
    {"1,0,1", 2, "1"},          /* a repeat ends the list */
    {"2", 0, "2"},
    {"0,2,1", 1, "2"},          /* the driver ignores what follows a bad entry */
    {"-1", 0, "-1"},
    {"GPU-11111111", 1, ""},    /* a unique prefix of a UUID */
    {"GPU-1111", 0, "GPU-1111"}, /* ambiguous */
    {"1111aaaa-bbbb", 1, ""},   /* "GPU-" is optional */
    {"MIG-5c8b0b1f-0b0e-5a8e-9b0c-0d4b2f0e9c7a", 1, ""},
    {"foo", 0, "foo"},
    {",", 0, ""},
};

START_TEST(cuda_visible_devices_as_the_driver_reads_it)
{
    struct ge_driver_info d = two_gpus();
    char bad[64];
    int n = ge_doctor_cvd_visible(cvd_cases[_i].cvd, &d, bad, sizeof bad);
    ck_assert_msg(n == cvd_cases[_i].visible, "'%s': %d visible", cvd_cases[_i].cvd, n);
    ck_assert_str_eq(bad, cvd_cases[_i].bad);
}
END_TEST

START_TEST(driver_version_from_the_library_name)
{
    char v[32];
    ck_assert_int_eq(ge_doctor_library_version("/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04", v, sizeof v), 0);
    ck_assert_str_eq(v, "580.159.04");
    ck_assert_int_eq(ge_doctor_library_version("libcuda.so.535.104.05", v, sizeof v), 0);
    ck_assert_str_eq(v, "535.104.05");
    ck_assert_int_eq(ge_doctor_library_version("/usr/lib/wsl/lib/libcuda.so.1", v, sizeof v), -1);
    ck_assert_int_eq(ge_doctor_library_version("/x/libcuda.so", v, sizeof v), -1);
    ck_assert_int_eq(ge_doctor_library_version("/x/libcudart.so.12.4.127", v, sizeof v), -1);
    ck_assert_int_eq(ge_doctor_library_version("/x/libcuda.so.580.1x.2", v, sizeof v), -1);
    ck_assert_int_eq(ge_doctor_library_version("/x/libcuda.so.580.65.06", v, 4), -1);
}
END_TEST

START_TEST(ptx_isa_table_of_the_matrix)
{
    struct ge_err err;
    ge_err_clear(&err);
    struct ge_matrix *m = ge_matrix_load("data", &err);
    ck_assert_msg(m, "%s", err.msg);
    ck_assert_uint_gt(m->nptx, 20);
    struct ge_version cuda, isa;
    ck_assert_int_eq(ge_version_parse(&cuda, "13.0", 2, 2), 0);
    ck_assert_int_eq(ge_matrix_ptx_isa_for_cuda(m, &cuda, &isa), 0);
    ck_assert_uint_eq(isa.part[0], 9);
    ck_assert_uint_eq(isa.part[1], 0);
    /* CUDA 12.6 introduced no ISA: its driver compiles 12.5's 8.5 */
    ck_assert_int_eq(ge_version_parse(&cuda, "12.6", 2, 2), 0);
    ck_assert_int_eq(ge_matrix_ptx_isa_for_cuda(m, &cuda, &isa), 0);
    ck_assert_uint_eq(isa.part[0] * 10 + isa.part[1], 85);
    ck_assert_int_eq(ge_version_parse(&cuda, "8.0", 2, 2), 0);
    ck_assert_int_eq(ge_matrix_ptx_isa_for_cuda(m, &cuda, &isa), -1);
    ck_assert_int_eq(ge_version_parse(&isa, "8.7", 2, 2), 0);
    ck_assert_int_eq(ge_matrix_ptx_isa_cuda(m, &isa, &cuda), 0);
    ck_assert_uint_eq(cuda.part[0] * 10 + cuda.part[1], 128);
    ck_assert_int_eq(ge_version_parse(&isa, "5.0", 2, 2), 0);
    ck_assert_int_eq(ge_matrix_ptx_isa_cuda(m, &isa, &cuda), -1);
    ge_matrix_free(m);
}
END_TEST

START_TEST(a_program_is_killed_at_its_time_limit)
{
    struct ge_buf out, errout;
    ge_buf_init(&out);
    ge_buf_init(&errout);
    struct ge_proc_result r;
    struct ge_err err;
    ge_err_clear(&err);
    /* the child that hangs also leaves a grandchild holding the pipes: the group goes */
    char *hang[] = {"/bin/sh", "-c", "echo started; echo oops >&2; sleep 30 & sleep 30", NULL};
    ck_assert_int_eq(ge_proc_capture(hang, 0.3, 1024, &out, &errout, &r, &err), 0);
    ck_assert(r.timed_out);
    ck_assert_str_eq(ge_buf_str(&out), "started\n");
    ck_assert_str_eq(ge_buf_str(&errout), "oops\n");
    ge_buf_fini(&out);
    ge_buf_init(&out);
    char *cut[] = {"/bin/sh", "-c", "printf 0123456789; exit 3", NULL};
    ck_assert_int_eq(ge_proc_capture(cut, 5, 4, &out, NULL, &r, &err), 0);
    ck_assert(!r.timed_out);
    ck_assert_int_eq(r.status, 3);
    ck_assert_str_eq(ge_buf_str(&out), "0123");
    char *none[] = {"/nonexistent/python", NULL};
    ck_assert_int_eq(ge_proc_capture(none, 5, 4, &out, NULL, &r, &err), 0);
    ck_assert_int_eq(r.status, 127);
    ge_buf_fini(&out);
    ge_buf_fini(&errout);
}
END_TEST

START_TEST(dynamic_section_rpath_runpath_needed)
{
    char p[4096];
    struct ge_elf_dynamic d;
    struct ge_err err;
    ge_err_clear(&err);
    snprintf(p, sizeof p, "%s/librpath.so", fake_dir());
    ck_assert_msg(ge_elf_dynamic_read(p, &d, &err) == 0, "%s", err.msg);
    ck_assert(d.has_dynamic);
    ck_assert_str_eq(d.rpath, "$ORIGIN/../nvidia/cudnn/lib");
    ck_assert_str_eq(d.runpath, "");
    bool libm = false;
    for (int i = 0; i < d.nneeded; i++)
        libm |= strcmp(d.needed[i], "libm.so.6") == 0;
    ck_assert(libm);
    snprintf(p, sizeof p, "%s/librunpath.so", fake_dir());
    ck_assert_msg(ge_elf_dynamic_read(p, &d, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(d.rpath, "");
    ck_assert_str_eq(d.runpath, "$ORIGIN:/opt/x");
    /* nvcc's fixtures: a dynamic section, no search path */
    ck_assert_int_eq(ge_elf_dynamic_read("tests/data/fatbin/both.so", &d, &err), 0);
    ck_assert(d.has_dynamic && !d.rpath[0] && !d.runpath[0]);
    /* not ELF, cut short */
    ck_assert_int_eq(ge_elf_dynamic_parse("#!/bin/sh\n", 10, "script", &d, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    size_t len;
    char *whole = ge_read_file(p, 1 << 24, &len);
    ck_assert_ptr_nonnull(whole);
    for (size_t cut = 0; cut < len; cut += len / 97 + 1) {
        ge_err_clear(&err);
        int rc = ge_elf_dynamic_parse(whole, cut, "cut", &d, &err);
        ck_assert(rc == 0 || err.status == GE_EXIT_BAD_DATA);
    }
    free(whole);
}
END_TEST

Suite *suite_doctor(void)
{
    Suite *s = suite_create("doctor");
    TCase *t = tcase_create("core");
    tcase_add_test(t, codes_are_a_stable_table);
    tcase_add_test(t, findings_sort_worst_first_and_plan_in_area_order);
    tcase_add_loop_test(t, cuda_visible_devices_as_the_driver_reads_it, 0, sizeof cvd_cases / sizeof cvd_cases[0]);
    tcase_add_test(t, driver_version_from_the_library_name);
    tcase_add_test(t, ptx_isa_table_of_the_matrix);
    tcase_add_test(t, a_program_is_killed_at_its_time_limit);
    tcase_add_test(t, dynamic_section_rpath_runpath_needed);
    suite_add_tcase(s, t);
    return s;
}
