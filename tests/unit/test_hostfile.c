/* test_hostfile.c: --host FILE: detect documents, one or several in a row, as host descriptions. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "fleet.h"
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
        "{\"schema\": 1, \"ok\": false, \"driver\": null, \"gpus\": [], \"error\": {\"kind\": \"no-driver\"}}\n";
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
    /* a detect that failed for another reason than a missing driver or GPU describes nothing */
    {"{\"schema\": 1, \"ok\": false, \"gpus\": [], \"error\": {\"kind\": \"usage\", \"message\": \"bad\"}}",
     "'gpuenv detect' failed there (bad)"},
    {"{\"schema\": 1, \"ok\": false, \"gpus\": []}", "failed there (no message)"},
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
}
END_TEST

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* --host files add up: each node type once, named after its file, "#k" within a file of several */
START_TEST(fleet_names_node_types_after_their_files)
{
    char dir[] = "/tmp/gpuenv-fleet.XXXXXX", a[64], b[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/v100.json", dir);
    snprintf(b, sizeof b, "%s/nodes.jsonl", dir);
    write_text(a, "{\"schema\": 1, \"driver\": {\"version\": \"535.104.05\"}, \"gpus\": [{\"cc\": \"7.0\"}]}");
    write_text(b, "{\"schema\": 1, \"driver\": {\"version\": \"535.104.05\"}, \"gpus\": [{\"cc\": \"7.0\"}]}\n"
                  "{\"schema\": 1, \"driver\": {\"version\": \"570.86.10\"}, \"gpus\": [{\"cc\": \"9.0\"}]}\n"
                  "{\"schema\": 1, \"ok\": false, \"driver\": null, \"gpus\": [], \"error\": {\"kind\": \"no-driver\"}}\n");
    struct ge_fleet_req *fl = ge_fleet_req_new();
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_msg(ge_fleet_add_file(fl, a, &err) == 0, "%s", err.msg);
    ck_assert_msg(ge_fleet_add_file(fl, b, &err) == 0, "%s", err.msg);
    ck_assert_msg(ge_fleet_add_file(fl, a, &err) == 0, "%s", err.msg); /* nothing new */
    ck_assert_int_eq(fl->n, 3);
    ck_assert_str_eq(fl->names[0], "v100");
    ck_assert_str_eq(fl->names[1], "nodes#2");
    ck_assert_str_eq(fl->names[2], "nodes#3");
    ck_assert(fl->reqs[2].gpus_given && fl->reqs[2].ngpus == 0 && !fl->reqs[2].driver_given);
    ck_assert_int_eq(ge_fleet_add_file(fl, "/nonexistent/x.json", &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    unlink(a);
    unlink(b);
    rmdir(dir);
    free(fl);
}
END_TEST

static struct ge_host_facts facts(const char *driver, const char *gpus)
{
    struct ge_host_facts f;
    memset(&f, 0, sizeof f);
    if (driver[0]) {
        f.driver_known = ge_driver_version_parse(&f.driver.v, driver) == 0;
        snprintf(f.driver.s, sizeof f.driver.s, "%s", driver);
    }
    f.gpus_known = true;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", gpus);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
        ge_cc_parse(&f.gpus[f.ngpus++], t);
    return f;
}

/* a machine is a lock's node type with the same kinds of GPUs and a driver at least as new */
START_TEST(fleet_lock_round_trip_and_match)
{
    struct ge_fleet_host hosts[2];
    memset(hosts, 0, sizeof hosts);
    snprintf(hosts[0].name, sizeof hosts[0].name, "a100");
    hosts[0].f = facts("550.54.15", "8.0,8.0");
    snprintf(hosts[1].name, sizeof hosts[1].name, "login");
    hosts[1].f = facts("", "");
    struct ge_lockfile *l = calloc(1, sizeof *l);
    ge_lock_init(l);
    ge_fleet_to_lock(hosts, 2, false, l);
    ck_assert_int_eq(l->nhosts, 2);
    ck_assert_str_eq(l->hosts[0].gpus, "8.0,8.0");
    ck_assert_str_eq(l->hosts[1].driver, "");
    char why[512];
    struct ge_host_facts me = facts("550.54.15", "8.0");
    ck_assert_int_eq(ge_fleet_match(l, &me, why, sizeof why), 0); /* fewer GPUs of the same kind */
    me = facts("560.35.03", "8.0,8.0");
    ck_assert_int_eq(ge_fleet_match(l, &me, why, sizeof why), 0); /* a newer driver */
    me = facts("535.104.05", "8.0");
    ck_assert_int_eq(ge_fleet_match(l, &me, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "older than a100's 550.54.15"), "%s", why);
    me = facts("550.54.15", "8.0,9.0");
    ck_assert_int_eq(ge_fleet_match(l, &me, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "its GPUs (8.0,9.0) are those of none"), "%s", why);
    me = facts("", "");
    ck_assert_int_eq(ge_fleet_match(l, &me, why, sizeof why), 1); /* the login node */
    /* back from the lock as descriptions; a damaged one is bad data */
    struct ge_fleet_req *fl = ge_fleet_req_new();
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_msg(ge_fleet_from_lock(fl, l, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fl->n, 2);
    ck_assert_str_eq(fl->reqs[0].driver, "550.54.15");
    ck_assert_int_eq(fl->reqs[0].ngpus, 2);
    ck_assert(fl->reqs[1].gpus_given && fl->reqs[1].ngpus == 0);
    snprintf(l->hosts[0].gpus, sizeof l->hosts[0].gpus, "8.x");
    ck_assert_int_eq(ge_fleet_from_lock(fl, l, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    /* a lock without node types matches every machine */
    l->nhosts = 0;
    ck_assert_int_eq(ge_fleet_match(l, &me, why, sizeof why), 0);
    free(fl);
    free(l);
}
END_TEST

Suite *suite_hostfile(void)
{
    Suite *s = suite_create("hostfile");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, documents_in_a_row_each_node_type_once);
    tcase_add_loop_test(tc, malformed_documents_are_usage_errors, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, too_many_node_types_and_gpus);
    tcase_add_test(tc, fleet_names_node_types_after_their_files);
    tcase_add_test(tc, fleet_lock_round_trip_and_match);
    suite_add_tcase(s, tc);
    return s;
}
