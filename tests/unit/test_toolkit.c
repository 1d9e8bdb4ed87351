/* test_toolkit.c: finding installed CUDA toolkits and reading their versions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests.h"
#include "toolkit.h"

static char *root;

static void setup(void)
{
    root = temp_dir();
}

static void teardown(void)
{
    rm_rf(root);
    free(root);
}

static void put(const char *rel, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    write_file(p, text);
}

START_TEST(version_sources_in_order)
{
    char v[32], src[32], dir[1024];
    put("a/version.json", "{\"cuda\": {\"name\": \"CUDA SDK\", \"version\": \"12.4.1\"}}");
    put("a/version.txt", "CUDA Version 99.0.0\n");
    snprintf(dir, sizeof dir, "%s/a", root);
    ck_assert_int_eq(ge_toolkit_version(dir, v, sizeof v, src, sizeof src), 0);
    ck_assert_str_eq(v, "12.4.1");
    ck_assert_str_eq(src, "version.json");

    put("b/version.txt", "CUDA Version 10.2.89\n");
    snprintf(dir, sizeof dir, "%s/b", root);
    ck_assert_int_eq(ge_toolkit_version(dir, v, sizeof v, src, sizeof src), 0);
    ck_assert_str_eq(v, "10.2.89");
    ck_assert_str_eq(src, "version.txt");

    put("c/include/cuda.h", "/* header */\n#define CUDA_VERSION 13000\n");
    put("c/version.json", "{corrupt");
    snprintf(dir, sizeof dir, "%s/c", root);
    ck_assert_int_eq(ge_toolkit_version(dir, v, sizeof v, src, sizeof src), 0);
    ck_assert_str_eq(v, "13.0");
    ck_assert_str_eq(src, "include/cuda.h");

    put("d/version.json", "{\"cuda\": {\"version\": \"twelve\"}}");
    snprintf(dir, sizeof dir, "%s/d", root);
    ck_assert_int_eq(ge_toolkit_version(dir, v, sizeof v, src, sizeof src), -1);
}
END_TEST

START_TEST(scan_dedups_links_and_sorts)
{
    char pat[2048], link[1024], target[1024];
    put("cuda-12.4/version.json", "{\"cuda\": {\"version\": \"12.4.1\"}}");
    put("cuda-12.4/bin/nvcc", "#!/bin/sh\n");
    snprintf(target, sizeof target, "%s/cuda-12.4/bin/nvcc", root);
    ck_assert_int_eq(chmod(target, 0755), 0);
    put("cuda-11.8/version.json", "{\"cuda\": {\"version\": \"11.8.0\"}}");
    put("cuda-junk/readme", "not a toolkit");
    snprintf(target, sizeof target, "%s/cuda-12.4", root);
    snprintf(link, sizeof link, "%s/cuda", root);
    ck_assert_int_eq(symlink(target, link), 0);
    snprintf(pat, sizeof pat, "%s/cuda:%s/cuda-*:%s/missing-*", root, root, root);
    struct ge_toolkit_list *l = malloc(sizeof *l);
    ge_toolkit_scan(pat, false, l);
    ck_assert_uint_eq(l->n, 2);
    ck_assert_str_eq(l->items[0].version, "11.8.0");
    ck_assert(!l->items[0].has_nvcc);
    ck_assert_str_eq(l->items[1].version, "12.4.1");
    ck_assert(l->items[1].has_nvcc);
    ck_assert_int_eq(l->items[1].naliases, 1);
    ck_assert_str_eq(l->items[1].aliases[0], link);
    free(l);
}
END_TEST

START_TEST(scan_reads_cuda_home_and_nvcc_on_path)
{
    put("home/version.json", "{\"cuda\": {\"version\": \"12.6.3\"}}");
    put("opt/cuda-x/version.json", "{\"cuda\": {\"version\": \"12.8.1\"}}");
    put("opt/cuda-x/bin/nvcc", "#!/bin/sh\n");
    char p[1024], path[2048];
    snprintf(p, sizeof p, "%s/opt/cuda-x/bin/nvcc", root);
    ck_assert_int_eq(chmod(p, 0755), 0);
    snprintf(p, sizeof p, "%s/home", root);
    setenv("CUDA_HOME", p, 1);
    unsetenv("CUDA_PATH");
    snprintf(path, sizeof path, "%s/opt/cuda-x/bin:/usr/bin:/bin", root);
    setenv("PATH", path, 1);
    struct ge_toolkit_list *l = malloc(sizeof *l);
    ge_toolkit_scan("", true, l);
    ck_assert_uint_eq(l->n, 2);
    ck_assert_str_eq(l->items[0].version, "12.6.3");
    ck_assert_str_eq(l->items[1].version, "12.8.1");
    free(l);
}
END_TEST

Suite *suite_toolkit(void)
{
    Suite *s = suite_create("toolkit");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, version_sources_in_order);
    tcase_add_test(tc, scan_dedups_links_and_sorts);
    tcase_add_test(tc, scan_reads_cuda_home_and_nvcc_on_path);
    suite_add_tcase(s, tc);
    return s;
}
