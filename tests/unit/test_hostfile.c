/* test_hostfile.c: --host FILE: detect documents, one or several in a row, as host descriptions. */
#include <stdio.h>
#include <string.h>

#include "hostfile.h"
#include "tests.h"

START_TEST(documents_in_a_row_each_node_type_once)
{
    const char *text =
        "{\"schema\": 1, \"ok\": true, \"driver\": {\"version\": \"535.104.05\", \"cuda\": \"12.2\"},\n"
        " \"gpus\": [{\"index\": 0, \"cc\": \"7.0\"}], \"amd\": null}\n"
        "{\"schema\": 1, \"ok\": true, \"driver\": {\"version\": \"535.104.05\"}, \"gpus\": [{\"cc\": \"7.0\"}]}\n"
        "  {\"schema\": 1, \"driver\": {\"version\": \"580.65.06\"}, \"gpus\": [{\"cc\": \"9.0\"}, {\"cc\": \"9.0\"}],"
        " \"amd\": {\"gpus\": [{\"gfx\": \"gfx90a\"}]}}"
        "{\"schema\": 1, \"ok\": false, \"driver\": null, \"gpus\": []}\n";
    struct ge_host_req h[8];
    int n;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_msg(ge_hostfile_parse(text, "nodes.json", h, 8, &n, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(n, 3); /* the two V100 nodes are one node type */
    ck_assert_str_eq(h[0].driver, "535.104.05");
    ck_assert(h[0].ngpus == 1 && h[0].gpus[0].major == 7 && h[0].gpus[0].minor == 0);
    ck_assert(h[1].ngpus == 2 && h[1].namd == 1 && h[1].amd[0] == 90010u);
    /* a login node: no driver and no GPU, which is a fact too */
    ck_assert(!h[2].driver_given && h[2].gpus_given && h[2].ngpus == 0 && h[2].namd == 0);
}
END_TEST

static const struct {
    const char *text, *want;
} bad[] = {
    {"", "holds no document"},
    {" \n ", "holds no document"},
    {"{\"schema\": 1, \"gpus\": []}\n{\"schema\": 1,\n \"gpus\": [}", "document 2: not valid JSON (near line 3)"},
    {"[]", "document 1: not a document of 'gpuenv detect --json'"},
    {"{\"schema\": 2, \"gpus\": []}", "not a document"},
    {"{\"schema\": 1, \"gpus\": [{\"name\": \"x\"}]}", "has no \"cc\""},
    {"{\"schema\": 1, \"gpus\": [{\"cc\": \"8.6.1\"}]}", "invalid compute capability '8.6.1'"},
    {"{\"schema\": 1, \"gpus\": [], \"driver\": {\"version\": \"5x\"}}", "invalid driver version '5x'"},
    {"{\"schema\": 1, \"gpus\": [], \"driver\": 7}", "neither an object nor null"},
    {"{\"schema\": 1, \"gpus\": [], \"amd\": {\"gpus\": [{\"gfx\": \"sm_90\"}]}}", "has no \"gfx\" target"},
    {"{\"schema\": 1, \"gpus\": [], \"amd\": {\"gpus\": [{\"gfx\": \"gfx9z\"}]}}", "invalid gfx target 'gfx9z'"},
};

START_TEST(malformed_documents_are_usage_errors)
{
    struct ge_host_req h[8];
    int n;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_hostfile_parse(bad[_i].text, "f", h, 8, &n, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ck_assert_msg(strstr(err.msg, bad[_i].want), "want '%s', got '%s'", bad[_i].want, err.msg);
    ck_assert(err.hint[0]);
}
END_TEST

START_TEST(too_many_node_types_and_gpus)
{
    char text[4096] = "";
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "{\"schema\": 1, \"gpus\": [{\"cc\": \"8.%d\"}]}\n", i);
    }
    struct ge_host_req h[2];
    int n;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_hostfile_parse(text, "f", h, 2, &n, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "more node types"));
    /* one node type for a command that plans for one machine; never beside --gpu */
    struct ge_host_req req;
    ge_host_req_init(&req);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_host_add_gpus(&req, "8.0", "--gpu", &err), 0);
    ck_assert_int_eq(ge_hostfile_apply(&req, "/nonexistent", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "both describe the machine"));
}
END_TEST

Suite *suite_hostfile(void)
{
    Suite *s = suite_create("hostfile");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, documents_in_a_row_each_node_type_once);
    tcase_add_loop_test(tc, malformed_documents_are_usage_errors, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, too_many_node_types_and_gpus);
    suite_add_tcase(s, tc);
    return s;
}
