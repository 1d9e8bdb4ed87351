/* test_manifest_src.c: where a manifest comes from (ge_manifest_obtain): the folders of
 * GPUENV_MANIFEST_PATH first, then the data folder's redist/, then the cache, then the origin
 * (file:// here), exactly the release asked for, checked before it is cached. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest_src.h"
#include "str.h"
#include "tests.h"

/* A manifest of product/label whose one archive's size is marker (to tell copies apart). */
static void put_manifest(const char *dir, const char *product, const char *label, const char *file, int marker)
{
    char cmd[4200], path[4200], text[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    snprintf(text, sizeof text,
             "{\"release_date\": \"2024-04-12\", \"release_label\": \"%s\", \"release_product\": \"%s\", "
             "\"cuda_cudart\": {\"name\": \"CUDA Runtime\", \"version\": \"12.4.127\", \"linux-x86_64\": "
             "{\"relative_path\": \"cuda_cudart/linux-x86_64/cuda_cudart-linux-x86_64-12.4.127-archive.tar.xz\", "
             "\"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"size\": \"%d\"}}}",
             label, product, marker);
    write_file(path, text);
}

static long size_of_first(const struct ge_manifest *m)
{
    return m && m->n ? (long)m->items[0].size : -1;
}

struct env {
    char *d;
    char data[4096], site[4096], origin_dir[4096], origin[4200], cache[4096];
};

static void setup(struct env *e)
{
    e->d = temp_dir();
    snprintf(e->data, sizeof e->data, "%s/data", e->d);
    snprintf(e->site, sizeof e->site, "%s/site", e->d);
    snprintf(e->origin_dir, sizeof e->origin_dir, "%s/origin", e->d);
    snprintf(e->origin, sizeof e->origin, "file://%s/origin/", e->d); /* a trailing slash is fine */
    snprintf(e->cache, sizeof e->cache, "%s/cache", e->d);
    setenv("GPUENV_CACHE_DIR", e->cache, 1);
    unsetenv("GPUENV_MANIFEST_PATH");
    unsetenv("GPUENV_MIRROR");
}

START_TEST(fetched_from_the_origin_checked_and_cached)
{
    struct env e;
    setup(&e);
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/compute/cuda/redist", e.origin_dir);
    put_manifest(dir, "cuda", "12.4.1", "redistrib_12.4.1.json", 7);
    struct ge_manifest_src s = {e.data, e.origin, false, false};
    struct ge_manifest_got got;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_manifest_obtain(&s, "cuda", "12.4.1", &got, &err), 0);
    ck_assert(got.fetched);
    ck_assert_int_eq(size_of_first(got.m), 7);
    ck_assert_str_eq(got.file, "redistrib_12.4.1.json");
    ck_assert_msg(strstr(got.from, "/origin/compute/cuda/redist/redistrib_12.4.1.json") &&
                      !strstr(got.from, "origin//"), "%s", got.from);
    ck_assert(ge_sha256_valid(got.sha256));
    char sha[GE_SHA256_HEX];
    strcpy(sha, got.sha256);
    ge_manifest_free(got.m);

    /* the cache serves the next call, with the same digest, and no origin is needed */
    char cached[4300];
    snprintf(cached, sizeof cached, "%s/manifests/cuda/redistrib_12.4.1.json", e.cache);
    struct stat st;
    ck_assert_int_eq(stat(cached, &st), 0);
    struct ge_manifest_src off = {e.data, "file:///nonexistent", true, false};
    ck_assert_int_eq(ge_manifest_obtain(&off, "cuda", "12.4.1", &got, &err), 0);
    ck_assert(!got.fetched);
    ck_assert_str_eq(got.sha256, sha);
    ck_assert_str_eq(got.from, cached);
    ge_manifest_free(got.m);

    /* a damaged cache entry is dropped and fetched again; offline, a file:// origin (a local
     * mirror) serves, and the caller may keep the bytes */
    write_file(cached, "{\"release_label\": ");
    struct ge_manifest_src local = {e.data, e.origin, true, true};
    ck_assert_int_eq(ge_manifest_obtain(&local, "cuda", "12.4.1", &got, &err), 0);
    ck_assert(got.fetched);
    ck_assert_str_eq(got.sha256, sha);
    char origin_file[4400];
    snprintf(origin_file, sizeof origin_file, "%s/compute/cuda/redist/redistrib_12.4.1.json", e.origin_dir);
    size_t len;
    char *bytes = ge_read_file(origin_file, 1 << 20, &len);
    ck_assert_ptr_nonnull(got.text);
    ck_assert_uint_eq(got.len, len);
    ck_assert_int_eq(memcmp(got.text, bytes, len), 0);
    free(bytes);
    free(got.text);
    ge_manifest_free(got.m);
    /* kept bytes from a folder too */
    ck_assert_int_eq(ge_manifest_obtain(&local, "cuda", "12.4.1", &got, &err), 0);
    ck_assert(!got.fetched);
    ck_assert_ptr_nonnull(got.text);
    ck_assert_uint_eq(got.len, len);
    free(got.text);
    ge_manifest_free(got.m);
    rm_rf(e.d);
    free(e.d);
}
END_TEST

START_TEST(site_folders_serve_first_then_shipped_then_cache)
{
    struct env e;
    setup(&e);
    char dir[4300], path[8400];
    snprintf(dir, sizeof dir, "%s/manifests/cudnn", e.cache);
    put_manifest(dir, "cudnn", "9.1.0", "redistrib_9.1.0.json", 3);
    snprintf(dir, sizeof dir, "%s/redist/cudnn", e.data);
    put_manifest(dir, "cudnn", "9.1.0", "redistrib_9.1.0.json", 2);
    snprintf(dir, sizeof dir, "%s/two/cudnn", e.site);
    put_manifest(dir, "cudnn", "9.1.0", "redistrib_9.1.0.json", 1);
    snprintf(path, sizeof path, "%s/one:%s/two", e.site, e.site); /* 'one' does not exist */
    setenv("GPUENV_MANIFEST_PATH", path, 1);
    struct ge_manifest_src s = {e.data, "file:///nonexistent", true, false};
    struct ge_manifest_got got;
    struct ge_err err;
    ge_err_clear(&err);
    /* a cuDNN's fourth part is not in the manifest's name */
    ck_assert_int_eq(ge_manifest_obtain(&s, "cudnn", "9.1.0.70", &got, &err), 0);
    ck_assert_int_eq(size_of_first(got.m), 1);
    ge_manifest_free(got.m);
    unsetenv("GPUENV_MANIFEST_PATH");
    ck_assert_int_eq(ge_manifest_obtain(&s, "cudnn", "9.1.0", &got, &err), 0);
    ck_assert_int_eq(size_of_first(got.m), 2);
    ge_manifest_free(got.m);
    struct ge_manifest_src nodata = {NULL, "file:///nonexistent", true, false};
    ck_assert_int_eq(ge_manifest_obtain(&nodata, "cudnn", "9.1.0", &got, &err), 0);
    ck_assert_int_eq(size_of_first(got.m), 3);
    ge_manifest_free(got.m);
    rm_rf(e.d);
    free(e.d);
}
END_TEST

START_TEST(never_another_release_and_errors_are_classified)
{
    struct env e;
    setup(&e);
    char dir[4300], cached[4300];
    snprintf(dir, sizeof dir, "%s/compute/cuda/redist", e.origin_dir);
    /* a neighbour is never a stand-in */
    put_manifest(dir, "cuda", "12.4.0", "redistrib_12.4.0.json", 1);
    struct ge_manifest_src s = {e.data, e.origin, false, false};
    struct ge_manifest_got got;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_manifest_obtain(&s, "cuda", "12.4.1", &got, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert_ptr_null(got.m);
    ck_assert_msg(strstr(err.hint, "GPUENV_MANIFEST_PATH"), "%s", err.hint);
    /* a file under the right name that is another release, or another product */
    put_manifest(dir, "cuda", "12.4.0", "redistrib_12.4.1.json", 1);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_manifest_obtain(&s, "cuda", "12.4.1", &got, &err), -1);
    ck_assert_msg(strstr(err.msg, "names another release (cuda 12.4.0)"), "%s", err.msg);
    snprintf(cached, sizeof cached, "%s/manifests/cuda/redistrib_12.4.1.json", e.cache);
    ck_assert_int_ne(access(cached, F_OK), 0);
    put_manifest(dir, "cudnn", "12.4.1", "redistrib_12.4.1.json", 1);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_manifest_obtain(&s, "cuda", "12.4.1", &got, &err), -1);
    ck_assert_msg(strstr(err.msg, "names another product"), "%s", err.msg);
    /* offline and not at hand: an origin on the network is not asked */
    struct ge_manifest_src off = {e.data, "http://127.0.0.1:1", true, false};
    ge_err_clear(&err);
    ck_assert_int_eq(ge_manifest_obtain(&off, "cuda", "12.4.1", &got, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert_msg(strstr(err.msg, "fetching is off"), "%s", err.msg);
    /* no release name can be made of these */
    const char *bad[] = {"12.4", "12", "x.y.z", "12.4.1.2.3", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ge_err_clear(&err);
        ck_assert_int_eq(ge_manifest_obtain(&s, "cuda", bad[i], &got, &err), -1);
        ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    }
    ge_err_clear(&err);
    ck_assert_int_eq(ge_manifest_obtain(&s, "../cuda", "12.4.1", &got, &err), -1);
    rm_rf(e.d);
    free(e.d);
}
END_TEST

Suite *suite_manifest_src(void)
{
    Suite *s = suite_create("manifest_src");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fetched_from_the_origin_checked_and_cached);
    tcase_add_test(tc, site_folders_serve_first_then_shipped_then_cache);
    tcase_add_test(tc, never_another_release_and_errors_are_classified);
    suite_add_tcase(s, tc);
    return s;
}
