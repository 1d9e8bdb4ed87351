/* test_amd.c: AMD GPUs from a KFD topology the test writes: gfx target names both ways, the
 * properties files, CPU nodes skipped, ROCm installs found once, device-file access. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amd.h"
#include "str.h"
#include "tests.h"

static const struct {
    unsigned v;
    const char *name;
} gfx_cases[] = {
    {80003, "gfx803"},  {90006, "gfx906"},  {90008, "gfx908"},  {90010, "gfx90a"},   {90402, "gfx942"},
    {90500, "gfx950"},  {100300, "gfx1030"}, {110000, "gfx1100"}, {110001, "gfx1101"}, {110501, "gfx1151"},
    {120001, "gfx1201"}, {90012, "gfx90c"},
};

START_TEST(gfx_names_both_ways)
{
    char buf[16];
    ck_assert_int_eq(ge_amd_gfx_name(gfx_cases[_i].v, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, gfx_cases[_i].name);
    unsigned v = 0;
    ck_assert_int_eq(ge_amd_gfx_parse(gfx_cases[_i].name, &v), 0);
    ck_assert_uint_eq(v, gfx_cases[_i].v);
}
END_TEST

START_TEST(gfx_names_refused)
{
    char buf[16];
    ck_assert_int_eq(ge_amd_gfx_name(0, buf, sizeof buf), -1); /* a CPU node */
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(ge_amd_gfx_name(91600, buf, sizeof buf), -1);
    ck_assert_int_eq(ge_amd_gfx_name(90016, buf, sizeof buf), -1);
    unsigned v;
    static const char *const bad[] = {"gfx", "gfx9", "gfx90", "gfx9g0", "gfxabc", "sm_90", "gfx12345", "gfx-90", "gfx690"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(ge_amd_gfx_parse(bad[i], &v) == -1, "%s", bad[i]);
}
END_TEST

START_TEST(properties_lines)
{
    const char *t = "cpu_cores_count 0\nsimd_count 416\ngfx_target_version 90010\nvendor_id 4098\nlocation_id 768\nbad 12x\n";
    uint64_t v;
    ck_assert_int_eq(ge_amd_property(t, "gfx_target_version", &v), 0);
    ck_assert_uint_eq(v, 90010);
    ck_assert_int_eq(ge_amd_property(t, "cpu_cores_count", &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(ge_amd_property(t, "location_id", &v), 0);
    ck_assert_uint_eq(v, 768);
    ck_assert_int_eq(ge_amd_property(t, "vendor", &v), -1); /* a prefix of a key is not the key */
    ck_assert_int_eq(ge_amd_property(t, "bad", &v), -1);
    ck_assert_int_eq(ge_amd_property(t, "drm_render_minor", &v), -1);
}
END_TEST

static void put(const char *root, const char *rel, const char *text)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    write_file(p, text);
}

START_TEST(a_node_of_two_gpus_and_a_cpu)
{
    char *root = temp_dir();
    const char *n = "sys/class/kfd/kfd/topology/nodes";
    char rel[256];
    snprintf(rel, sizeof rel, "%s/0/properties", n);
    put(root, rel, "cpu_cores_count 64\nsimd_count 0\ngfx_target_version 0\n");
    snprintf(rel, sizeof rel, "%s/2/properties", n);
    put(root, rel, "simd_count 1216\ngfx_target_version 90402\nvendor_id 4098\ndevice_id 29857\nlocation_id 49920\n"
                   "domain 1\ndrm_render_minor 136\n");
    snprintf(rel, sizeof rel, "%s/2/name", n);
    put(root, rel, "gfx942\n");
    snprintf(rel, sizeof rel, "%s/2/mem_banks/0/properties", n);
    put(root, rel, "heap_type 1\nsize_in_bytes 206141652992\n");
    snprintf(rel, sizeof rel, "%s/10/properties", n);
    put(root, rel, "simd_count 416\ngfx_target_version 90010\nvendor_id 4098\ndevice_id 29711\nlocation_id 768\n"
                   "drm_render_minor 128\n");
    put(root, "dev/dri/renderD128", "");
    put(root, "dev/kfd", "");
    put(root, "sys/module/amdgpu/version", "6.8.5\n");
    put(root, "opt/rocm-6.2.4/.info/version", "6.2.4-120\n");
    put(root, "opt/rocm-5.7.1/.info/version", "5.7.1-98\n");
    char link[4200];
    snprintf(link, sizeof link, "%s/opt/rocm", root);
    ck_assert_int_eq(symlink("rocm-6.2.4", link), 0);
    struct ge_amd_info a;
    ge_amd_detect(root, &a);
    ck_assert_int_eq(a.ngpus, 2); /* the CPU node is not a GPU */
    ck_assert_int_eq(a.gpus[0].node, 2); /* node order, numerically: 2 before 10 */
    ck_assert_str_eq(a.gpus[0].gfx, "gfx942");
    ck_assert_str_eq(a.gpus[0].name, "gfx942");
    ck_assert_str_eq(a.gpus[0].pci_bus_id, "0001:c3:00.0");
    ck_assert_uint_eq(a.gpus[0].memory_bytes, 206141652992ull);
    ck_assert_uint_eq(a.gpus[0].vendor_id, 0x1002);
    ck_assert_int_eq(a.gpus[0].render_minor, 136);
    ck_assert(!a.gpus[0].render_access); /* no /dev/dri/renderD136 */
    ck_assert_str_eq(a.gpus[1].gfx, "gfx90a");
    ck_assert_str_eq(a.gpus[1].pci_bus_id, "0000:03:00.0");
    ck_assert(a.gpus[1].render_access);
    ck_assert_uint_eq(a.gpus[1].memory_bytes, 0);
    ck_assert(a.module_loaded && a.kfd_exists && a.kfd_access);
    ck_assert_str_eq(a.driver_version, "6.8.5");
    ck_assert_int_eq(a.nrocm, 2); /* /opt/rocm is rocm-6.2.4 again */
    ck_assert_str_eq(a.rocm[0].version, "5.7.1");
    ck_assert_str_eq(a.rocm[1].version, "6.2.4");
    rm_rf(root);
    free(root);
    /* a machine without any of it */
    ge_amd_detect("/nonexistent-sysroot", &a);
    ck_assert_int_eq(a.ngpus + a.nrocm, 0);
    ck_assert(!a.module_loaded && !a.kfd_exists);
}
END_TEST

Suite *suite_amd(void)
{
    Suite *s = suite_create("amd");
    TCase *t = tcase_create("core");
    tcase_add_loop_test(t, gfx_names_both_ways, 0, sizeof gfx_cases / sizeof gfx_cases[0]);
    tcase_add_test(t, gfx_names_refused);
    tcase_add_test(t, properties_lines);
    tcase_add_test(t, a_node_of_two_gpus_and_a_cpu);
    suite_add_tcase(s, t);
    return s;
}
