/* test_digest_manifest.c: SHA-256 through the lazily loaded libcrypto, and NVIDIA's manifests:
 * every shipped one parses, the variants and anomalies are read, and unsafe entries are refused. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "manifest.h"
#include "str.h"
#include "tests.h"

START_TEST(sha256_known_vectors_and_streaming)
{
    struct ge_err err;
    ge_err_clear(&err);
    char hex[GE_SHA256_HEX];
    struct ge_sha256 s;
    ck_assert_int_eq(ge_sha256_init(&s, &err), 0);
    ck_assert_int_eq(ge_sha256_final(&s, hex, &err), 0);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_int_eq(ge_sha256_init(&s, &err), 0);
    ck_assert_int_eq(ge_sha256_update(&s, "abc", 3, &err), 0);
    ck_assert_int_eq(ge_sha256_final(&s, hex, &err), 0);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* one byte at a time gives the same as all at once (FIPS 180-2's two-block message) */
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ck_assert_int_eq(ge_sha256_init(&s, &err), 0);
    for (size_t i = 0; msg[i]; i++)
        ck_assert_int_eq(ge_sha256_update(&s, msg + i, 1, &err), 0);
    ck_assert_int_eq(ge_sha256_final(&s, hex, &err), 0);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    ge_sha256_fini(&s); /* after final: harmless */
    ck_assert(ge_sha256_valid(hex));
    ck_assert(!ge_sha256_valid("ABC"));
    hex[10] = 'G';
    ck_assert(!ge_sha256_valid(hex));
}
END_TEST

START_TEST(sha256_of_a_file_matches_sha256sum)
{
    char *d = temp_dir();
    char path[512], cmd[2048], hex[GE_SHA256_HEX];
    snprintf(path, sizeof path, "%s/blob", d);
    snprintf(cmd, sizeof cmd, "head -c 300000 /dev/urandom > '%s' && sha256sum '%s' | cut -c1-64 > '%s.sum'", path, path, path);
    ck_assert_int_eq(system(cmd), 0);
    struct ge_err err;
    ge_err_clear(&err);
    uint64_t size = 0;
    ck_assert_int_eq(ge_sha256_file(path, hex, &size, &err), 0);
    ck_assert_uint_eq(size, 300000);
    snprintf(cmd, sizeof cmd, "%s.sum", path);
    char *want = ge_read_file(cmd, 128, NULL);
    ge_rtrim(want);
    ck_assert_str_eq(hex, want);
    free(want);
    snprintf(path, sizeof path, "%s/none", d);
    ck_assert_int_eq(ge_sha256_file(path, hex, &size, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot open"));
    rm_rf(d);
    free(d);
}
END_TEST

static struct ge_manifest *load(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "data/redist/%s", rel);
    struct ge_err err;
    ge_err_clear(&err);
    struct ge_manifest *m = ge_manifest_load(path, &err);
    ck_assert_msg(m != NULL, "%s: %s", rel, err.msg);
    return m;
}

START_TEST(every_shipped_manifest_parses)
{
    /* every one data/redist holds (SOURCES.md lists 16 CUDA and 11 cuDNN) */
    glob_t g;
    ck_assert_int_eq(glob("data/redist/*/redistrib_*.json", 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 27);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct ge_manifest *m = load(g.gl_pathv[i] + strlen("data/redist/"));
        ck_assert_uint_gt(m->n, 3);
        for (size_t k = 0; k < m->n; k++) {
            ck_assert(ge_sha256_valid(m->items[k].sha256));
            ck_assert_uint_gt(m->items[k].size, 0);
            ck_assert_ptr_nonnull(strstr(m->items[k].relative_path, m->items[k].component));
        }
        ge_manifest_free(m);
    }
    globfree(&g);
}
END_TEST

START_TEST(cuda_and_cudnn_records)
{
    struct ge_manifest *m = load("cuda/redistrib_12.4.1.json");
    ck_assert_str_eq(m->product, "cuda");
    ck_assert_str_eq(m->label, "12.4.1");
    const struct ge_archive_ref *a = ge_manifest_find(m, "cuda_nvcc", "linux-x86_64", NULL);
    ck_assert_ptr_nonnull(a);
    ck_assert(ge_startswith(a->relative_path, "cuda_nvcc/linux-x86_64/cuda_nvcc-linux-x86_64-"));
    ck_assert_ptr_nonnull(strstr(a->relative_path, a->version));
    ck_assert_ptr_null(ge_manifest_find(m, "cuda_nvcc", "linux-x86_64", "cuda12"));
    ck_assert_ptr_null(ge_manifest_find(m, "no_such_component", "linux-x86_64", NULL));
    ge_manifest_free(m);
    /* the oldest files have only release_date at the top */
    m = load("cuda/redistrib_11.8.0.json");
    ck_assert_str_eq(m->product, "");
    ck_assert_ptr_nonnull(ge_manifest_find(m, "libcublas", "linux-x86_64", NULL));
    ge_manifest_free(m);
    /* cuDNN: one archive per CUDA variant */
    m = load("cudnn/redistrib_9.27.0.json");
    ck_assert_str_eq(m->product, "cudnn");
    a = ge_manifest_find(m, "cudnn", "linux-x86_64", "cuda13");
    ck_assert(a && strstr(a->relative_path, "_cuda13-archive.tar.xz"));
    a = ge_manifest_find(m, "cudnn", "linux-x86_64", "cuda12");
    ck_assert(a && strstr(a->relative_path, "_cuda12-archive.tar.xz"));
    ck_assert_ptr_null(ge_manifest_find(m, "cudnn", "linux-x86_64", NULL));
    /* the 9.27.0 anomaly: windows-arm64 holds a flat archive and a cuda13 one */
    ck_assert_ptr_nonnull(ge_manifest_find(m, "cudnn", "windows-arm64", NULL));
    ck_assert_ptr_nonnull(ge_manifest_find(m, "cudnn", "windows-arm64", "cuda13"));
    ge_manifest_free(m);
    /* 13.1 onwards: cuda_compat per CUDA minor */
    m = load("cuda/redistrib_13.3.1.json");
    int minors = 0;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].component, "cuda_compat") == 0 && ge_startswith(m->items[i].variant, "cuda13."))
            minors++;
    ck_assert_int_gt(minors, 0);
    ge_manifest_free(m);
}
END_TEST

START_TEST(every_manifest_in_shared_redist_parses)
{
    /* the copies beside the checkout (../shared/redist), where a developer or CI has them */
    glob_t g;
    if (glob("../shared/redist/*.json", 0, NULL, &g) != 0) {
        globfree(&g);
        fprintf(stderr, "note: ../shared/redist is not beside this checkout: its manifests were not parsed\n");
        return;
    }
    ck_assert_uint_ge(g.gl_pathc, 10);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct ge_err err;
        ge_err_clear(&err);
        struct ge_manifest *m = ge_manifest_load(g.gl_pathv[i], &err);
        ck_assert_msg(m != NULL, "%s: %s", g.gl_pathv[i], err.msg);
        ck_assert_uint_gt(m->n, 0);
        ge_manifest_free(m);
    }
    globfree(&g);
}
END_TEST

static const struct {
    const char *json, *want;
} bad[] = {
    {"[1]", "not a JSON object"},
    {"{\"x\": {\"linux-x86_64\": {}}}", "no release_date"},
    {"{\"release_date\": \"2024-01-01\"}", "lists no archive"},
    {"{\"release_date\": \"d\", \"c\": {\"version\": \"1\", \"linux-x86_64\": {\"relative_path\": \"../../etc/passwd\", "
     "\"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"size\": \"1\"}}}",
     "t.json: c linux-x86_64: relative_path is missing, leaves the redist tree"},
    /* escapes that curl would decode (a file:// mirror fetched /etc/passwd this way) */
    {"{\"release_date\": \"d\", \"c\": {\"linux-x86_64\": {\"relative_path\": \"c/%2e%2e/%2e%2e/etc/passwd\", "
     "\"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"size\": \"1\"}}}",
     "holds a character that is not allowed"},
    {"{\"release_date\": \"d\", \"c\": {\"linux-x86_64\": {\"relative_path\": \"c/x.tar.xz?a=b\", "
     "\"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"size\": \"1\"}}}",
     "holds a character that is not allowed"},
    /* a component name becomes share/doc/<component> */
    {"{\"release_date\": \"d\", \"../../../../tmp/outside/x\": {\"linux-x86_64\": {\"relative_path\": \"c/x.tar.xz\", "
     "\"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"size\": \"1\"}}}",
     "t.json: a component, platform, variant or version name holds a character or form that is not allowed"},
    {"{\"release_date\": \"d\", \"c\": {\"linux-x86_64\": {\"../x\": {\"relative_path\": \"c/x.tar.xz\", "
     "\"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"size\": \"1\"}}}}",
     "name holds a character or form that is not allowed"},
    {"{\"release_date\": \"d\", \"c\": {\"linux-x86_64\": {\"relative_path\": \"/abs/x.tar.xz\", "
     "\"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"size\": \"1\"}}}",
     "leaves the redist tree"},
    {"{\"release_date\": \"d\", \"c\": {\"linux-x86_64\": {\"relative_path\": \"c\\\\x.zip\", "
     "\"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"size\": \"1\"}}}",
     "leaves the redist tree"},
    {"{\"release_date\": \"d\", \"c\": {\"linux-x86_64\": {\"cuda12\": {\"relative_path\": \"c/x.tar.xz\", "
     "\"sha256\": \"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\", \"size\": \"1\"}}}}",
     "c linux-x86_64 cuda12: sha256 is not 64 lowercase hex digits"},
    {"{\"release_date\": \"d\", \"c\": {\"linux-x86_64\": {\"relative_path\": \"c/x.tar.xz\", "
     "\"sha256\": \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"size\": \"12kB\"}}}",
     "size is missing or not a positive number"},
    {"{\"release_date\": \"d\", \"c\": {\"linux-x86_64\": {\"relative_path\": \"c/x.tar.xz\"}}}",
     "sha256 is not 64 lowercase hex digits"},
};

START_TEST(unsafe_or_malformed_manifests_are_refused)
{
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_ptr_null(ge_manifest_parse(bad[_i].json, "t.json", &err));
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert_msg(strstr(err.msg, bad[_i].want), "want '%s', got '%s'", bad[_i].want, err.msg);
    ck_assert(err.hint[0]);
}
END_TEST

Suite *suite_digest_manifest(void)
{
    Suite *s = suite_create("digest+manifest");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, sha256_known_vectors_and_streaming);
    tcase_add_test(tc, sha256_of_a_file_matches_sha256sum);
    tcase_add_test(tc, every_shipped_manifest_parses);
    tcase_add_test(tc, cuda_and_cudnn_records);
    tcase_add_test(tc, every_manifest_in_shared_redist_parses);
    tcase_add_loop_test(tc, unsafe_or_malformed_manifests_are_refused, 0, sizeof bad / sizeof bad[0]);
    suite_add_tcase(s, tc);
    return s;
}
