/* test_mirror.c: a mirror's wheels (names, projects, the record, verification, the PEP 503
 * index), the manylinux tags of a target, and requirements.txt against a mirror. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mirror.h"
#include "pyenv.h"
#include "str.h"
#include "tests.h"
#include "wheels.h"

START_TEST(wheel_names_and_projects)
{
    ck_assert(ge_wheel_name_ok("torch-2.4.1+cu124-cp312-cp312-linux_x86_64.whl"));
    ck_assert(ge_wheel_name_ok("nvidia_cudnn_cu12-9.1.0.70-py3-none-manylinux2014_x86_64.whl"));
    ck_assert(!ge_wheel_name_ok("../evil-1.0-py3-none-any.whl"));
    ck_assert(!ge_wheel_name_ok(".hidden-1.0-py3-none-any.whl"));
    ck_assert(!ge_wheel_name_ok("torch-2.4.1.tar.gz"));
    ck_assert(!ge_wheel_name_ok("noversion.whl"));
    ck_assert(!ge_wheel_name_ok("a b-1.0-py3-none-any.whl"));
    ck_assert(!ge_wheel_name_ok("x-1.0-py3-none-any.whl\n"));
    char p[64];
    ge_wheel_project("Foo_Bar.baz-1.0-py3-none-any.whl", p, sizeof p);
    ck_assert_str_eq(p, "foo-bar-baz");
    ge_wheel_project("nvidia_cudnn_cu12-9.1.0.70-py3-none-any.whl", p, sizeof p);
    ck_assert_str_eq(p, "nvidia-cudnn-cu12");
    ge_wheel_project("a__b-1-py3-none-any.whl", p, 3);
    ck_assert_str_eq(p, "a");
    ge_wheel_project("a__b-1-py3-none-any.whl", p, 4);
    ck_assert_str_eq(p, "a-b");
}
END_TEST

START_TEST(manylinux_tags_of_a_target)
{
    char t[64][40];
    int n = ge_mirror_platforms("2.28", "x86_64", t, 64);
    ck_assert_str_eq(t[0], "manylinux_2_28_x86_64");
    ck_assert_str_eq(t[n - 1], "linux_x86_64");
    bool m2014 = false, m1 = false, m2010 = false, newer = false;
    for (int i = 0; i < n; i++) {
        m2014 |= strcmp(t[i], "manylinux2014_x86_64") == 0;
        m2010 |= strcmp(t[i], "manylinux2010_x86_64") == 0;
        m1 |= strcmp(t[i], "manylinux1_x86_64") == 0;
        newer |= strcmp(t[i], "manylinux_2_29_x86_64") == 0;
    }
    ck_assert(m2014 && m2010 && m1 && !newer);
    n = ge_mirror_platforms("2.17", "aarch64", t, 64);
    ck_assert_str_eq(t[0], "manylinux_2_17_aarch64");
    ck_assert_str_eq(t[1], "manylinux2014_aarch64");
    for (int i = 0; i < n; i++)
        ck_assert(strstr(t[i], "manylinux1") == NULL && strstr(t[i], "manylinux2010") == NULL);
    ck_assert_int_eq(ge_mirror_platforms("2.4", "x86_64", t, 64), 0);
    ck_assert_int_eq(ge_mirror_platforms("3.1", "x86_64", t, 64), 0);
    ck_assert_int_eq(ge_mirror_platforms("2.28x", "x86_64", t, 64), 0);
    ck_assert_int_eq(ge_mirror_platforms("2.28", "ppc64le", t, 64), 0);
    ck_assert_int_eq(ge_mirror_platforms(NULL, "x86_64", t, 64), 0);
    ck_assert_int_eq(ge_mirror_platforms("2.35", "x86_64", t, 3), 3);
}
END_TEST

static void put(const char *dir, const char *name, const char *text)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/files/%s", dir, name);
    write_file(p, text);
}

static int ndamaged;
static void on_damaged(void *ud, const char *file, const char *why)
{
    (void)ud;
    (void)why;
    ck_assert_str_eq(file, "numpy-1.26.4-py3-none-any.whl");
    ndamaged++;
}

START_TEST(wheels_are_recorded_verified_and_indexed)
{
    char *d = temp_dir();
    char files[4096], path[4200];
    snprintf(files, sizeof files, "%s/files", d);
    ck_assert_int_eq(ge_mkdir_p(files), 0);
    put(d, "torch-2.4.1+cu124-py3-none-any.whl", "torch");
    put(d, "numpy-1.26.4-py3-none-any.whl", "numpy");
    put(d, "Typing_Extensions-4.0-py3-none-any.whl", "te");
    put(d, "notes.txt", "not a wheel");
    struct ge_err err;
    ge_err_clear(&err);
    struct ge_wheels w;
    ck_assert_int_eq(ge_wheels_open(&w, d, &err), 0);
    ck_assert_uint_eq(w.n, 0);
    size_t added = 0, good = 0;
    ck_assert_int_eq(ge_wheels_scan(&w, &added, &err), 0);
    ck_assert_uint_eq(added, 3);
    ck_assert_int_eq(ge_wheels_publish(&w, &err), 0);
    ge_wheels_fini(&w);

    snprintf(path, sizeof path, "%s/simple/torch/index.html", d);
    char *page = ge_read_file(path, 1 << 20, NULL);
    ck_assert_ptr_nonnull(page);
    /* the link carries sha256("torch"), and '+' is escaped */
    ck_assert_ptr_nonnull(strstr(page, "<a href=\"../../files/torch-2.4.1%2Bcu124-py3-none-any.whl#sha256="
                                       "37bf51bfba4699a940ce31349422b24a5bc55a2b179ed7aec74459a9ae8d57b7\">torch-2.4.1+cu124-py3-none-any.whl</a>"));
    free(page);
    snprintf(path, sizeof path, "%s/simple/typing-extensions/index.html", d);
    ck_assert_int_eq(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/simple/index.html", d);
    page = ge_read_file(path, 1 << 20, NULL);
    ck_assert_ptr_nonnull(strstr(page, "<a href=\"numpy/\">numpy</a>"));
    ck_assert_ptr_null(strstr(page, "notes"));
    free(page);

    /* a second run: the record read back, a damaged wheel removed, a gone one forgotten */
    put(d, "numpy-1.26.4-py3-none-any.whl", "NUMPY");
    snprintf(path, sizeof path, "%s/files/Typing_Extensions-4.0-py3-none-any.whl", d);
    unlink(path);
    ck_assert_int_eq(ge_wheels_open(&w, d, &err), 0);
    ck_assert_uint_eq(w.n, 3);
    ndamaged = 0;
    ck_assert_int_eq(ge_wheels_verify(&w, on_damaged, NULL, &good, &err), 0);
    ck_assert_int_eq(ndamaged, 1);
    ck_assert_uint_eq(good, 1);
    ck_assert_uint_eq(w.n, 1);
    snprintf(path, sizeof path, "%s/files/numpy-1.26.4-py3-none-any.whl", d);
    ck_assert_int_ne(access(path, F_OK), 0);
    put(d, "numpy-1.26.4-py3-none-any.whl", "numpy");
    ck_assert_int_eq(ge_wheels_scan(&w, &added, &err), 0);
    ck_assert_uint_eq(added, 1);
    ck_assert_int_eq(ge_wheels_publish(&w, &err), 0);
    ge_wheels_fini(&w);
    snprintf(path, sizeof path, "%s/simple/typing-extensions", d);
    ck_assert_int_ne(access(path, F_OK), 0); /* the index lists only what is there */

    /* damaged records are refused, naming the file */
    const char *bad[] = {
        "not json",
        "{\"gpuenv_mirror\": 2, \"wheels\": []}",
        "{\"gpuenv_mirror\": 1, \"wheels\": {}}",
        "{\"gpuenv_mirror\": 1, \"wheels\": [{\"file\": \"../x-1-py3-none-any.whl\", \"sha256\": "
        "\"0000000000000000000000000000000000000000000000000000000000000000\", \"size\": 1}]}",
        "{\"gpuenv_mirror\": 1, \"wheels\": [{\"file\": \"x-1-py3-none-any.whl\", \"sha256\": \"00\", \"size\": 1}]}",
        "{\"gpuenv_mirror\": 1, \"wheels\": [{\"file\": \"x-1-py3-none-any.whl\", \"sha256\": "
        "\"0000000000000000000000000000000000000000000000000000000000000000\", \"size\": -1}]}",
    };
    snprintf(path, sizeof path, "%s/" GE_MIRROR_RECORD, d);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i]);
        ge_err_clear(&err);
        ck_assert_int_eq(ge_wheels_open(&w, d, &err), -1);
        ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
        ck_assert_ptr_nonnull(strstr(err.msg, GE_MIRROR_RECORD));
        ck_assert_ptr_null(w.w);
    }
    rm_rf(d);
    free(d);
}
END_TEST

START_TEST(a_mirrors_index_is_the_only_one)
{
    struct ge_py_plan py;
    memset(&py, 0, sizeof py);
    strcpy(py.framework, "torch");
    strcpy(py.python, "3.12");
    strcpy(py.index_url, "file:///srv/m/simple/");
    strcpy(py.find_links, "https://storage.googleapis.com/jax-releases/jax_cuda_releases.html");
    py.index_only = true;
    strcpy(py.reqs[py.n++], "torch==2.4.1+cu124");
    struct ge_buf b;
    ge_buf_init(&b);
    ge_py_requirements_txt(&py, &b);
    ck_assert_ptr_nonnull(strstr(ge_buf_str(&b), "\n--index-url file:///srv/m/simple/\ntorch==2.4.1+cu124\n"));
    ck_assert_ptr_null(strstr(ge_buf_str(&b), "extra-index-url"));
    ck_assert_ptr_null(strstr(ge_buf_str(&b), "find-links"));
    /* the same pins from another index are the same requirements; other pins are not */
    ck_assert(ge_py_same_requirements(ge_buf_str(&b), "# x\n--extra-index-url https://download.pytorch.org/whl/cu124\n"
                                                      "  torch==2.4.1+cu124\n\n"));
    ck_assert(!ge_py_same_requirements(ge_buf_str(&b), "--index-url x\ntorch==2.4.1+cu121\n"));
    ck_assert(!ge_py_same_requirements(ge_buf_str(&b), "torch==2.4.1+cu124\nnumpy<2\n"));
    ck_assert(!ge_py_same_requirements("torch==2.4.1+cu124\nnumpy<2\n", ge_buf_str(&b)));
    ck_assert(ge_py_same_requirements("", "# only comments\n--index-url x\n"));
    ge_buf_fini(&b);
}
END_TEST

START_TEST(a_local_mirror_is_told_by_its_record)
{
    char *d = temp_dir();
    char url[4200], index[4300];
    struct ge_err err;
    ge_err_clear(&err);
    snprintf(url, sizeof url, "file://%s/", d);
    ck_assert_int_eq(ge_mirror_pip_index(url, index, sizeof index, &err), 0);
    char rec[4200];
    snprintf(rec, sizeof rec, "%s/" GE_MIRROR_RECORD, d);
    write_file(rec, "{}");
    ck_assert_int_eq(ge_mirror_pip_index(url, index, sizeof index, &err), 1);
    char want[4300];
    snprintf(want, sizeof want, "file://%s/simple/", d);
    ck_assert_str_eq(index, want);
    /* no mirror at all behind http: an error, not a silent fallback */
    ck_assert_int_eq(ge_mirror_pip_index("http://127.0.0.1:1", index, sizeof index, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_FAILURE);
    rm_rf(d);
    free(d);
}
END_TEST

Suite *suite_mirror(void)
{
    Suite *s = suite_create("mirror");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, wheel_names_and_projects);
    tcase_add_test(tc, manylinux_tags_of_a_target);
    tcase_add_test(tc, wheels_are_recorded_verified_and_indexed);
    tcase_add_test(tc, a_mirrors_index_is_the_only_one);
    tcase_add_test(tc, a_local_mirror_is_told_by_its_record);
    suite_add_tcase(s, tc);
    return s;
}
