/* test_tree.c: walks that never follow a link: merging, removing, link resolution, the index, and
 * copying with holes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "str.h"
#include "tests.h"
#include "tree.h"

static char *d;

static void setup(void)
{
    d = temp_dir();
}

static void teardown(void)
{
    rm_rf(d);
    free(d);
}

static void sh(const char *fmt, const char *a)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, fmt, a, a, a, a);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* The attack of the issue: one tree's link t -> s/../../../<out> escapes only through s (a link
 * to the tree's top); a second tree holding a real folder t/ must not be merged through it. */
START_TEST(merging_never_follows_a_link)
{
    sh("cd '%s' && mkdir -p outside a/d1/d2 b/d1/d2/t && ln -s ../.. a/d1/d2/s && "
       "ln -s s/../../outside a/d1/d2/t && echo pwned > b/d1/d2/t/x",
       d);
    char a[1024], b[1024], to[1024], p[1100];
    snprintf(a, sizeof a, "%s/a", d);
    snprintf(b, sizeof b, "%s/b", d);
    snprintf(to, sizeof to, "%s/prefix", d);
    struct ge_err err;
    ge_err_clear(&err);
    /* the chain is caught in the tree itself */
    ck_assert_int_eq(ge_tree_check_links(a, "tree a", &err), -1);
    ck_assert_msg(strstr(err.msg, "'d1/d2/t' -> 's/../../outside' resolves outside the tree"), "%s", err.msg);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_tree_merge(a, to, "a", &err), 0);
    ck_assert_int_eq(ge_tree_merge(b, to, "b", &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert_msg(strstr(err.msg, "components collide at") && strstr(err.msg, "a folder in one, a link"), "%s",
                  err.msg);
    snprintf(p, sizeof p, "%s/outside/x", d);
    ck_assert_int_ne(access(p, F_OK), 0);
    /* a folder on one side and a file on the other, or two links that differ */
    sh("cd '%s' && mkdir -p c/lib e/lib/x && echo 1 > c/lib/x && ln -s one c/lib/l && mkdir -p f/lib && ln -s two f/lib/l", d);
    snprintf(to, sizeof to, "%s/p2", d);
    snprintf(a, sizeof a, "%s/c", d);
    ck_assert_int_eq(ge_tree_merge(a, to, "c", &err), 0);
    snprintf(a, sizeof a, "%s/e", d);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_tree_merge(a, to, "e", &err), -1);
    ck_assert_msg(strstr(err.msg, "lib/x"), "%s", err.msg);
    snprintf(a, sizeof a, "%s/f", d);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_tree_merge(a, to, "f", &err), -1);
    ck_assert_msg(strstr(err.msg, "a link to two"), "%s", err.msg);
    /* the documentation folder name is checked like every name from outside */
    ge_err_clear(&err);
    ck_assert_int_eq(ge_tree_merge(a, to, "../../../../tmp/outside", &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
}
END_TEST

/* Links that each stay inside their own tree may leave the union: y's "lib/b -> ." turns x's
 * "lib/sub/a -> ../b/../.." (the top, read as text) into one folder above it. */
START_TEST(links_across_trees_are_checked_in_the_whole)
{
    sh("cd '%s' && mkdir -p x/lib/sub y/lib && ln -s ../b/../.. x/lib/sub/a && ln -s . y/lib/b", d);
    char x[1024], y[1024], to[1024];
    snprintf(x, sizeof x, "%s/x", d);
    snprintf(y, sizeof y, "%s/y", d);
    snprintf(to, sizeof to, "%s/prefix", d);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_tree_check_links(x, "x", &err), 0);
    ck_assert_int_eq(ge_tree_check_links(y, "y", &err), 0);
    ck_assert_int_eq(ge_tree_merge(x, to, "x", &err), 0);
    ck_assert_int_eq(ge_tree_merge(y, to, "y", &err), 0);
    ck_assert_int_eq(ge_tree_check_links(to, "the new environment", &err), -1);
    ck_assert_msg(strstr(err.msg, "'lib/sub/a' -> '../b/../..' resolves outside"), "%s", err.msg);
    /* absolute targets are refused, relative ones that stay inside pass */
    sh("cd '%s' && mkdir -p z/lib && ln -s /etc z/lib/abs", d);
    snprintf(x, sizeof x, "%s/z", d);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_tree_check_links(x, "z", &err), -1);
    ck_assert_msg(strstr(err.msg, "points to an absolute path"), "%s", err.msg);
}
END_TEST

START_TEST(deep_and_read_only_trees_are_removed)
{
    /* 150 folders deep, each read-only: an iterative walk, no recursion to overflow */
    char cmd[20000], p[8192];
    snprintf(p, sizeof p, "%s/deep", d);
    ck_assert_int_eq(ge_mkdir_p(p), 0);
    size_t n = strlen(p);
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(p + n, sizeof p - n, "/d");
    ck_assert_int_eq(ge_mkdir_p(p), 0);
    snprintf(cmd, sizeof cmd, "echo x > '%s/f' && chmod -R a-w '%s/deep'", p, d);
    ck_assert_int_eq(system(cmd), 0);
    struct ge_err err;
    ge_err_clear(&err);
    snprintf(p, sizeof p, "%s/deep", d);
    ck_assert_msg(ge_tree_remove(p, &err) == 0, "%s", err.msg);
    ck_assert_int_ne(access(p, F_OK), 0);
    /* a link is removed, never followed */
    sh("cd '%s' && mkdir -p keep r && echo precious > keep/f && ln -s ../keep r/l && ln -s keep top", d);
    snprintf(p, sizeof p, "%s/r", d);
    ck_assert_int_eq(ge_tree_remove(p, &err), 0);
    snprintf(p, sizeof p, "%s/top", d);
    ck_assert_int_eq(ge_tree_remove(p, &err), 0);
    snprintf(p, sizeof p, "%s/keep/f", d);
    ck_assert_int_eq(access(p, F_OK), 0);
    /* deeper than any walk goes: refused with a message, not a crash */
    snprintf(p, sizeof p, "%s/deeper", d);
    n = strlen(p);
    for (int i = 0; i < GE_TREE_MAX_DEPTH + 5; i++)
        n += (size_t)snprintf(p + n, sizeof p - n, "/d");
    ck_assert_int_eq(ge_mkdir_p(p), 0);
    snprintf(p, sizeof p, "%s/deeper", d);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_tree_check_links(p, "deeper", &err), -1);
    ck_assert_msg(strstr(err.msg, "nested deeper than"), "%s", err.msg);
}
END_TEST

START_TEST(the_index_records_and_verifies_a_tree)
{
    sh("cd '%s' && mkdir -p t/bin t/lib && printf abc > t/bin/a && chmod 555 t/bin/a && ln -s ../bin/a t/lib/l", d);
    char t[1024], idx[1024];
    snprintf(t, sizeof t, "%s/t", d);
    snprintf(idx, sizeof idx, "%s/index", d);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_tree_index(t, idx, &err), 0);
    char *text = ge_read_file(idx, 1 << 20, NULL);
    ck_assert_ptr_nonnull(text);
    /* sorted, one line per entry, the SHA-256 of "abc" */
    ck_assert_msg(strstr(text, "gpuenv-tree 1\nd\t0755\t-\t-\t-\tbin\nf\t0555\t3\t"), "%s", text);
    ck_assert(strstr(text, "\tba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\tbin/a\n"));
    ck_assert(strstr(text, "l\t-\t-\t-\t-\tlib/l\t../bin/a\n"));
    free(text);
    ck_assert_int_eq(ge_tree_verify(t, idx, GE_TREE_FULL, &err), 0);
    /* an empty tree has an empty index, and an empty index fits only an empty tree (found by
     * fuzzing: no records must not mean a search through nothing) */
    sh("mkdir -p '%s/empty'", d);
    char e[1024], eidx[1024];
    snprintf(e, sizeof e, "%s/empty", d);
    snprintf(eidx, sizeof eidx, "%s/empty-index", d);
    ck_assert_int_eq(ge_tree_index(e, eidx, &err), 0);
    ck_assert_int_eq(ge_tree_verify(e, eidx, GE_TREE_QUICK, &err), 0);
    ck_assert_int_eq(ge_tree_verify(t, eidx, GE_TREE_QUICK, &err), -1);
    ck_assert_msg(strstr(err.msg, "was not in the archive"), "%s", err.msg);
    ge_err_clear(&err);
    snprintf(idx, sizeof idx, "%s/none", d);
    ck_assert_int_eq(ge_tree_verify(t, idx, GE_TREE_QUICK, &err), -1);
    ck_assert_msg(strstr(err.msg, "has no index") && err.status == GE_EXIT_BAD_DATA, "%s", err.msg);
}
END_TEST

START_TEST(copies_keep_holes)
{
    char a[1024], b[1024];
    snprintf(a, sizeof a, "%s/sparse", d);
    snprintf(b, sizeof b, "%s/copy", d);
    int in = open(a, O_RDWR | O_CREAT, 0644);
    ck_assert_int_ge(in, 0);
    ck_assert_int_eq(pwrite(in, "head", 4, 0), 4);
    ck_assert_int_eq(pwrite(in, "tail", 4, (64 << 20) - 4), 4);
    int out = open(b, O_RDWR | O_CREAT, 0644);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_copy_fd(in, out, 64 << 20, b, &err), 0);
    struct stat st;
    ck_assert_int_eq(fstat(out, &st), 0);
    ck_assert_int_eq(st.st_size, 64 << 20);
    ck_assert_msg((long long)st.st_blocks * 512 < (4 << 20), "%lld bytes allocated", (long long)st.st_blocks * 512);
    char buf[4];
    ck_assert_int_eq(pread(out, buf, 4, 0), 4);
    ck_assert(memcmp(buf, "head", 4) == 0);
    ck_assert_int_eq(pread(out, buf, 4, (64 << 20) - 4), 4);
    ck_assert(memcmp(buf, "tail", 4) == 0);
    close(in);
    close(out);
}
END_TEST

Suite *suite_tree(void)
{
    Suite *s = suite_create("tree");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, merging_never_follows_a_link);
    tcase_add_test(tc, links_across_trees_are_checked_in_the_whole);
    tcase_add_test(tc, deep_and_read_only_trees_are_removed);
    tcase_add_test(tc, the_index_records_and_verifies_a_tree);
    tcase_add_test(tc, copies_keep_holes);
    suite_add_tcase(s, tc);
    return s;
}
