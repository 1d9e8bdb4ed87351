/* test_store.c: the cache's shared trees, merging trees into a staging prefix, the atomic switch,
 * removal and locks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "store.h"
#include "str.h"
#include "tests.h"

static char *d;

static void setup(void)
{
    d = archives_dir();
}

static void teardown(void)
{
    rm_rf(d);
    free(d);
}

/* Put archive (a file made by make_archives.py) into the cache under its digest. */
static void cache_put(struct ge_store *s, const char *archive, char sha[GE_SHA256_HEX])
{
    char src[1024], dst[4096], cmd[9000];
    struct ge_err err;
    ge_err_clear(&err);
    snprintf(src, sizeof src, "%s/%s", d, archive);
    ck_assert_int_eq(ge_sha256_file(src, sha, NULL, &err), 0);
    ge_store_archive_path(s, sha, dst, sizeof dst);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, dst);
    ck_assert_int_eq(system(cmd), 0);
}

static int exists(const char *fmt, const char *a, const char *b)
{
    char p[9000];
    snprintf(p, sizeof p, fmt, a, b);
    return access(p, F_OK) == 0;
}

START_TEST(unpacked_trees_are_shared_and_atomic)
{
    struct ge_store s;
    struct ge_err err;
    ge_err_clear(&err);
    char cache[1024], sha[GE_SHA256_HEX], bad[GE_SHA256_HEX];
    snprintf(cache, sizeof cache, "%s/cache", d);
    ck_assert_int_eq(ge_store_open(&s, cache, &err), 0);
    ck_assert(exists("%s/%s", cache, "archives") && exists("%s/%s", cache, "trees"));
    cache_put(&s, "good.tar.xz", sha);
    ck_assert(!ge_store_has_tree(&s, sha));
    ck_assert_msg(ge_store_unpack(&s, sha, &err) == 0, "%s", err.msg);
    ck_assert(ge_store_has_tree(&s, sha));
    char tree[4096];
    ge_store_tree_path(&s, sha, tree, sizeof tree);
    ck_assert(exists("%s/%s", tree, "bin/nvcc"));
    ck_assert_int_eq(ge_store_unpack(&s, sha, &err), 0); /* already there */
    /* a damaged archive leaves neither a tree nor a temporary folder */
    cache_put(&s, "symlink_out.tar.xz", bad);
    ck_assert_int_eq(ge_store_unpack(&s, bad, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert(!ge_store_has_tree(&s, bad));
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls '%s/trees' | grep tmp)\"", cache);
    ck_assert_int_eq(system(cmd), 0);
    char good[1024];
    struct stat st;
    snprintf(good, sizeof good, "%s/good.tar.xz", d);
    ck_assert_int_eq(stat(good, &st), 0);
    ck_assert(ge_store_has_archive(&s, sha, (uint64_t)st.st_size));
    ck_assert(ge_store_has_archive(&s, sha, 0) == false); /* the size must match too */
    ge_store_close(&s);
}
END_TEST

START_TEST(trees_merge_into_a_prefix_by_hard_links)
{
    struct ge_store s;
    struct ge_err err;
    ge_err_clear(&err);
    char cache[1024], sha[GE_SHA256_HEX], zsha[GE_SHA256_HEX], staging[1024], tree[4096];
    snprintf(cache, sizeof cache, "%s/cache", d);
    snprintf(staging, sizeof staging, "%s/staging", d);
    ck_assert_int_eq(ge_store_open(&s, cache, &err), 0);
    cache_put(&s, "good.tar.xz", sha);
    cache_put(&s, "good.zip", zsha);
    ck_assert_int_eq(ge_store_unpack(&s, sha, &err), 0);
    ck_assert_int_eq(ge_store_unpack(&s, zsha, &err), 0);
    ge_store_tree_path(&s, sha, tree, sizeof tree);
    ck_assert_msg(ge_store_link_tree(tree, staging, "cuda_nvcc", &err) == 0, "%s", err.msg);
    /* the same tree again merges cleanly (identical files) */
    ck_assert_msg(ge_store_link_tree(tree, staging, "cuda_nvcc", &err) == 0, "%s", err.msg);
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/bin/nvcc", tree);
    snprintf(b, sizeof b, "%s/bin/nvcc", staging);
    struct stat x, y;
    ck_assert_int_eq(stat(a, &x), 0);
    ck_assert_int_eq(stat(b, &y), 0);
    ck_assert(x.st_ino == y.st_ino); /* a hard link, not a copy */
    ck_assert(exists("%s/%s", staging, "share/doc/cuda_nvcc/LICENSE"));
    ck_assert(!exists("%s/%s", staging, "LICENSE"));
    char link[256];
    snprintf(a, sizeof a, "%s/lib/libcudart.so.12", staging);
    ssize_t n = readlink(a, link, sizeof link - 1);
    ck_assert_int_gt(n, 0);
    ge_store_tree_path(&s, zsha, tree, sizeof tree);
    ck_assert_int_eq(ge_store_link_tree(tree, staging, "cuda_nvcc_win", &err), 0);
    ck_assert(exists("%s/%s", staging, "bin/nvcc.exe"));
    /* a different file at the same path is a conflict */
    snprintf(a, sizeof a, "%s/other", d);
    snprintf(b, sizeof b, "%s/other/bin", d);
    ck_assert_int_eq(mkdir(a, 0755), 0);
    ck_assert_int_eq(mkdir(b, 0755), 0);
    snprintf(b, sizeof b, "%s/other/bin/nvcc", d);
    write_file(b, "something else\n");
    ck_assert_int_eq(ge_store_link_tree(a, staging, "other", &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert_ptr_nonnull(strstr(err.msg, "collide at"));
    ge_store_close(&s);
}
END_TEST

START_TEST(commit_switches_whole_prefixes)
{
    char staging[1024], prefix[1024], p[2048];
    struct ge_err err;
    ge_err_clear(&err);
    snprintf(staging, sizeof staging, "%s/staging", d);
    snprintf(prefix, sizeof prefix, "%s/project/.gpuenv", d);
    snprintf(p, sizeof p, "%s/new-1", staging);
    write_file(p, "1");
    snprintf(p, sizeof p, "%s/project", d);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ck_assert_int_eq(ge_store_commit(staging, prefix, &err), 0);
    ck_assert(exists("%s/%s", prefix, "new-1") && !exists("%s%s", staging, ""));
    snprintf(p, sizeof p, "%s/new-2", staging);
    write_file(p, "2");
    /* a read-only folder in the old prefix is removed too */
    snprintf(p, sizeof p, "%s/ro", prefix);
    ck_assert_int_eq(mkdir(p, 0555), 0);
    ck_assert_int_eq(ge_store_commit(staging, prefix, &err), 0);
    ck_assert(exists("%s/%s", prefix, "new-2") && !exists("%s/%s", prefix, "new-1"));
    ck_assert(!exists("%s%s", staging, ""));
    ck_assert_int_eq(ge_store_remove_tree(prefix, &err), 0);
    ck_assert(!exists("%s%s", prefix, ""));
    ck_assert_int_eq(ge_store_remove_tree(prefix, &err), 0); /* gone already: fine */
}
END_TEST

START_TEST(locks_serialise_processes)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lock", d);
    struct ge_err err;
    ge_err_clear(&err);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = ge_store_lock_file(path, &err);
        if (write(fds[1], "x", 1) != 1)
            _exit(1);
        struct timespec ts = {0, 400 * 1000 * 1000};
        nanosleep(&ts, NULL);
        close(fd);
        _exit(fd < 0);
    }
    char c;
    ck_assert_int_eq(read(fds[0], &c, 1), 1); /* the child holds the lock */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int fd = ge_store_lock_file(path, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_ge(fd, 0);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(waited > 0.2, "waited only %.3fs", waited);
    close(fd);
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

Suite *suite_store(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unpacked_trees_are_shared_and_atomic);
    tcase_add_test(tc, trees_merge_into_a_prefix_by_hard_links);
    tcase_add_test(tc, commit_switches_whole_prefixes);
    tcase_add_test(tc, locks_serialise_processes);
    suite_add_tcase(s, tc);
    return s;
}
