/* test_lock_activate.c: gpuenv.lock written and read back, damaged locks refused (the
 * activation itself is in test_activate.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lock.h"
#include "str.h"
#include "tests.h"

static const char *const SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static void sample(struct ge_lockfile *l)
{
    ge_lock_init(l);
    l->nreqs = 1;
    strcpy(l->reqs[0], "cuda==12.4.*");
    strcpy(l->host_driver, "550.54.15");
    strcpy(l->host_gpus, "8.0,9.0");
    strcpy(l->platform, "linux-x86_64");
    strcpy(l->cuda, "12.4.1");
    strcpy(l->py_framework, "torch");
    strcpy(l->py_framework_version, "2.4.1+cu124");
    strcpy(l->py_python, "3.11");
    strcpy(l->py_index, "https://download.pytorch.org/whl/cu124");
    strcpy(l->py_find_links, "https://example.org/wheels.html");
    l->py_n = 2;
    strcpy(l->py_reqs[0], "torch==2.4.1+cu124");
    strcpy(l->py_reqs[1], "numpy<2");
    struct ge_lock_archive a;
    memset(&a, 0, sizeof a);
    strcpy(a.package, "cuda-toolkit");
    strcpy(a.component, "cuda_nvcc");
    strcpy(a.version, "12.4.131");
    strcpy(a.platform, "linux-x86_64");
    strcpy(a.url_path, "compute/cuda/redist/cuda_nvcc/linux-x86_64/x.tar.xz");
    a.size = 123456789012ULL;
    strcpy(a.sha256, SHA);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_lock_add(l, &a, &err), 0);
}

START_TEST(lock_round_trip)
{
    char *d = temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/gpuenv.lock", d);
    struct ge_lockfile a, b;
    sample(&a);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_lock_write(path, &a, &err), 0);
    ck_assert_int_eq(ge_lock_read(path, &b, &err), 0);
    ck_assert_str_eq(b.reqs[0], "cuda==12.4.*");
    ck_assert_str_eq(b.host_gpus, "8.0,9.0");
    ck_assert_uint_eq(b.n, 1);
    ck_assert_uint_eq(b.archives[0].size, 123456789012ULL);
    ck_assert(ge_lock_same_archives(&a, &b));
    ck_assert(ge_lock_same_python(&a, &b));
    ck_assert_str_eq(b.py_reqs[1], "numpy<2");
    ck_assert_str_eq(b.py_index, "https://download.pytorch.org/whl/cu124");
    strcpy(b.py_reqs[1], "numpy<3");
    ck_assert(!ge_lock_same_python(&a, &b));
    strcpy(b.py_reqs[1], "numpy<2");
    /* a page of wheels (JAX 0.4.x) goes round the lock, and a different one is a different venv */
    ck_assert_str_eq(b.py_find_links, "https://example.org/wheels.html");
    strcpy(a.py_find_links, "https://storage.googleapis.com/jax-releases/jax_cuda_releases.html");
    ck_assert(!ge_lock_same_python(&a, &b));
    b.archives[0].sha256[0] = 'f';
    ck_assert(!ge_lock_same_archives(&a, &b));
    ge_lock_fini(&a);
    ge_lock_fini(&b);
    rm_rf(d);
    free(d);
}
END_TEST

static const struct {
    const char *from, *to, *want;
} damage[] = {
    {"\"schema\":\t1", "\"schema\":\t2", "not a gpuenv lock of schema 1"},
    {SHA, "E3B0", "sha256 or size is malformed"},
    {"compute/cuda/redist", "../../etc", "url_path '../../etc/cuda_nvcc/linux-x86_64/x.tar.xz' is not a plain path"},
    {"compute/cuda/redist", "compute/%2e%2e/%2e%2e", "is not a plain path under compute/"},
    {"compute/cuda/redist", "https://evil/compute", "is not a plain path under compute/"},
    {"123456789012", "0", "sha256 or size is malformed"},
    /* a hand-edited component becomes share/doc/<component> */
    {"\"component\":\t\"cuda_nvcc\"", "\"component\":\t\"../../../../../../tmp/outside/x\"",
     "a name (package, component, version, platform or variant) holds a character or form that is not allowed"},
    {"\"variant\":\t\"\"", "\"variant\":\t\"a/b\"", "holds a character or form that is not allowed"},
    {"\"cuda-toolkit\":\t\"12.4.1\"", "\"cuda-toolkit\":\t\"12.4.1\\n\"", "a package version is malformed"},
    {"\"platform\":\t\"linux-x86_64\",\n\t\"packages\"", "\"packages\"", "'platform' is missing"},
    {"\"archives\"", "\"files\"", "'archives' is missing"},
    {"\"numpy<2\"", "\"--index-url=http://evil\"", "python: requirements are malformed"},
    {"\"https://download.pytorch.org/whl/cu124\"", "\"ftp://x\"", "python: 'index_url' is malformed"},
    {"\"https://example.org/wheels.html\"", "\"http://example.org/w.html\"", "python: 'find_links' is malformed"},
    {"\"https://example.org/wheels.html\"", "7", "python: 'find_links' is malformed"},
    {"\"framework\":\t\"torch\"", "\"framework\":\t7", "python: 'framework' is missing or malformed"},
};

START_TEST(damaged_locks_are_refused)
{
    char *d = temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/gpuenv.lock", d);
    struct ge_lockfile a, b;
    sample(&a);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_lock_write(path, &a, &err), 0);
    ge_lock_fini(&a);
    replace_in(path, damage[_i].from, damage[_i].to);
    ck_assert_int_eq(ge_lock_read(path, &b, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert_msg(strstr(err.msg, damage[_i].want), "%s", err.msg);
    ck_assert(err.hint[0]);
    rm_rf(d);
    free(d);
}
END_TEST

Suite *suite_lock_activate(void)
{
    Suite *s = suite_create("lock+activate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, lock_round_trip);
    tcase_add_loop_test(tc, damaged_locks_are_refused, 0, sizeof damage / sizeof damage[0]);
    suite_add_tcase(s, tc);
    return s;
}
