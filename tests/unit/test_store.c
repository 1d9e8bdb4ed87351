/* test_store.c: the cache's shared trees, merging trees into a staging prefix, the atomic switch,
 * removal and locks. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "cache_use.h"
#include "lock.h"
#include "store.h"
#include "str.h"
#include "tests.h"
#include "tree.h"

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

static int unpack(struct ge_store *s, const char *sha, bool verify, bool *refetch, struct ge_err *err)
{
    char p[4096];
    struct stat st;
    ge_store_archive_path(s, sha, p, sizeof p);
    uint64_t size = stat(p, &st) == 0 ? (uint64_t)st.st_size : 1;
    ge_err_clear(err);
    return ge_store_unpack(s, sha, size, "test", verify, NULL, refetch, err);
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
    bool refetch = true;
    ck_assert_msg(unpack(&s, sha, true, &refetch, &err) == 0, "%s", err.msg);
    ck_assert(!refetch);
    ck_assert(ge_store_has_tree(&s, sha));
    char tree[4096];
    ge_store_tree_path(&s, sha, tree, sizeof tree);
    ck_assert(exists("%s/%s", tree, "bin/nvcc"));
    ck_assert_int_eq(ge_store_verify_tree(&s, sha, GE_TREE_FULL, &err), 0);
    ck_assert_int_eq(unpack(&s, sha, false, &refetch, &err), 0); /* made again, replacing the first */
    /* a damaged archive leaves neither a tree nor a temporary folder */
    cache_put(&s, "symlink_out.tar.xz", bad);
    ck_assert_int_eq(unpack(&s, bad, false, &refetch, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert(!refetch); /* the archive is what its digest says: downloading it again cannot help */
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
    bool refetch;
    ck_assert_int_eq(unpack(&s, sha, true, &refetch, &err), 0);
    ck_assert_int_eq(unpack(&s, zsha, true, &refetch, &err), 0);
    ge_store_tree_path(&s, sha, tree, sizeof tree);
    ck_assert_msg(ge_store_link_tree(&s, sha, staging, "cuda_nvcc", NULL, &err) == 0, "%s", err.msg);
    /* the same tree again merges cleanly (identical files) */
    ck_assert_msg(ge_store_link_tree(&s, sha, staging, "cuda_nvcc", NULL, &err) == 0, "%s", err.msg);
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
    ck_assert_int_eq(ge_store_link_tree(&s, zsha, staging, "cuda_nvcc_win", NULL, &err), 0);
    ck_assert(exists("%s/%s", staging, "bin/nvcc.exe"));
    /* a different file at the same path is a conflict */
    snprintf(a, sizeof a, "%s/other", d);
    snprintf(b, sizeof b, "%s/other/bin", d);
    ck_assert_int_eq(mkdir(a, 0755), 0);
    ck_assert_int_eq(mkdir(b, 0755), 0);
    snprintf(b, sizeof b, "%s/other/bin/nvcc", d);
    write_file(b, "something else\n");
    ck_assert_int_eq(ge_tree_merge(a, staging, "other", &err), -1);
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

static void on_wait(void *ud, const char *what, const char *holder)
{
    snprintf(ud, 600, "%s|%s", what, holder);
}

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
        int fd = ge_store_lock_file(path, "the test lock", "holding it for a test", NULL, NULL, &err);
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
    char heard[600] = "";
    int fd = ge_store_lock_file(path, "the test lock", "second", on_wait, heard, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_ge(fd, 0);
    /* the waiter was told what it waits for, and who holds it */
    char want[128];
    snprintf(want, sizeof want, "the test lock|pid %ld: holding it for a test", (long)pid);
    ck_assert_str_eq(heard, want);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(waited > 0.2, "waited only %.3fs", waited);
    close(fd);
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* An edited, truncated, re-moded or extra file in a cached tree is caught by the quick check;
 * the same bytes written back with the old time only by the full one. */
START_TEST(cached_trees_and_archives_are_verified)
{
    struct ge_store s;
    struct ge_err err;
    ge_err_clear(&err);
    char cache[1024], sha[GE_SHA256_HEX], tree[4096], p[4200], cmd[9000];
    snprintf(cache, sizeof cache, "%s/cache", d);
    ck_assert_int_eq(ge_store_open(&s, cache, &err), 0);
    cache_put(&s, "good.tar.xz", sha);
    bool refetch;
    ck_assert_int_eq(unpack(&s, sha, true, &refetch, &err), 0);
    ge_store_tree_path(&s, sha, tree, sizeof tree);
    static const struct {
        const char *damage, *want;
    } cases[] = {
        {"chmod u+w '%s/bin/nvcc' && echo x >> '%s/bin/nvcc' && chmod u-w '%s/bin/nvcc'", "bin/nvcc' has another size"},
        {"chmod 0777 '%s/bin/nvcc'%.0s%.0s", "bin/nvcc' has another mode"},
        {"touch -d 2001-01-01 '%s/LICENSE'%.0s%.0s", "LICENSE' was modified"},
        {"rm '%s/lib/libcudart.so'%.0s%.0s", "lib/libcudart.so' is missing"},
        {"echo new > '%s/extra'%.0s%.0s", "extra' was not in the archive"},
        {"ln -sfn /etc '%s/lib/libcudart.so.12'%.0s%.0s", "lib/libcudart.so.12' points elsewhere"},
        {"rm -r '%s/bin' && ln -s lib '%s/bin'%.0s", "bin' is of another kind"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ge_err_clear(&err);
        ck_assert_int_eq(unpack(&s, sha, false, &refetch, &err), 0);
        ck_assert_int_eq(ge_store_verify_tree(&s, sha, GE_TREE_QUICK, &err), 0);
        snprintf(cmd, sizeof cmd, cases[i].damage, tree, tree, tree);
        ck_assert_int_eq(system(cmd), 0);
        ck_assert_int_eq(ge_store_verify_tree(&s, sha, GE_TREE_QUICK, &err), -1);
        ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
        ck_assert_msg(strstr(err.msg, cases[i].want), "%zu: %s", i, err.msg);
    }
    /* the same size and time, other bytes: only reading the file tells */
    ck_assert_int_eq(unpack(&s, sha, false, &refetch, &err), 0);
    snprintf(cmd, sizeof cmd, "cd '%s/lib' && chmod u+w libcudart.so.12.4.127 && touch -r libcudart.so.12.4.127 /tmp/.gpuenv-t-$$ && "
                              "printf Z | dd of=libcudart.so.12.4.127 bs=1 seek=100 conv=notrunc 2>/dev/null && "
                              "chmod a-w libcudart.so.12.4.127 && touch -r /tmp/.gpuenv-t-$$ libcudart.so.12.4.127 && rm /tmp/.gpuenv-t-$$", tree);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(ge_store_verify_tree(&s, sha, GE_TREE_QUICK, &err), 0);
    ck_assert_int_eq(ge_store_verify_tree(&s, sha, GE_TREE_FULL, &err), -1);
    /* (copy.so is a hard link to the same file: either name may come first) */
    ck_assert_msg(strstr(err.msg, "' has other contents than when it was unpacked"), "%s", err.msg);
    /* a damaged index is said as such */
    ge_store_index_path(&s, sha, p, sizeof p);
    write_file(p, "gpuenv-tree 1\nf\tzz\n");
    ge_err_clear(&err);
    ck_assert_int_eq(ge_store_verify_tree(&s, sha, GE_TREE_QUICK, &err), -1);
    ck_assert_msg(strstr(err.msg, "index") && err.status == GE_EXIT_BAD_DATA, "%s", err.msg);
    /* an archive whose bytes are not its name: removed and marked for another download */
    ge_store_archive_path(&s, sha, p, sizeof p);
    snprintf(cmd, sizeof cmd, "printf Z | dd of='%s' bs=1 seek=40 conv=notrunc 2>/dev/null", p);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(unpack(&s, sha, true, &refetch, &err), -1);
    ck_assert(refetch);
    ck_assert_msg(strstr(err.msg, "is damaged: its SHA-256 is"), "%s", err.msg);
    ck_assert_int_ne(access(p, F_OK), 0);
    ge_store_close(&s);
}
END_TEST

static size_t ndamaged;
static void count_damaged(void *ud, const char *kind, const char *sha256, const char *why)
{
    (void)ud, (void)sha256, (void)why;
    ck_assert(strcmp(kind, "archive") == 0 || strcmp(kind, "tree") == 0);
    ndamaged++;
}

START_TEST(verify_all_removes_what_is_damaged)
{
    struct ge_store s;
    struct ge_err err;
    ge_err_clear(&err);
    char cache[1024], a[GE_SHA256_HEX], b[GE_SHA256_HEX], tree[4096], p[4200], cmd[9000];
    snprintf(cache, sizeof cache, "%s/cache", d);
    ck_assert_int_eq(ge_store_open(&s, cache, &err), 0);
    cache_put(&s, "good.tar.xz", a);
    cache_put(&s, "good.zip", b);
    bool refetch;
    ck_assert_int_eq(unpack(&s, a, true, &refetch, &err), 0);
    ck_assert_int_eq(unpack(&s, b, true, &refetch, &err), 0);
    size_t na, nt;
    ndamaged = 0;
    ck_assert_int_eq(ge_store_verify_all(&s, &na, &nt, count_damaged, NULL, &err), 0);
    ck_assert(na == 2 && nt == 2 && ndamaged == 0);
    ge_store_tree_path(&s, a, tree, sizeof tree);
    snprintf(cmd, sizeof cmd, "chmod u+w '%s/bin/nvcc' && echo x >> '%s/bin/nvcc'", tree, tree);
    ck_assert_int_eq(system(cmd), 0);
    ge_store_archive_path(&s, b, p, sizeof p);
    snprintf(cmd, sizeof cmd, "printf Z | dd of='%s' bs=1 seek=40 conv=notrunc 2>/dev/null", p);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(ge_store_verify_all(&s, &na, &nt, count_damaged, NULL, &err), 0);
    ck_assert_uint_eq(ndamaged, 2);
    ck_assert(!ge_store_has_tree(&s, a) && ge_store_has_tree(&s, b));
    ck_assert_int_ne(access(p, F_OK), 0);
    ge_store_close(&s);
}
END_TEST

/* A lock pinning one archive, written as a prefix's gpuenv-prefix.lock. */
static void prefix_with(const char *prefix, const char *component, const char *sha)
{
    struct ge_lockfile l;
    ge_lock_init(&l);
    strcpy(l.platform, "linux-x86_64");
    strcpy(l.cuda, "12.4.1");
    struct ge_lock_archive a;
    memset(&a, 0, sizeof a);
    strcpy(a.package, "cuda-toolkit");
    strcpy(a.component, component);
    strcpy(a.version, "12.4.131");
    strcpy(a.platform, "linux-x86_64");
    strcpy(a.url_path, "compute/cuda/redist/x.tar.xz");
    a.size = 1;
    strcpy(a.sha256, sha);
    struct ge_err err;
    ge_err_clear(&err);
    char path[4200];
    ck_assert_int_eq(ge_mkdir_p(prefix), 0);
    snprintf(path, sizeof path, "%s/gpuenv-prefix.lock", prefix);
    ck_assert_int_eq(ge_lock_add(&l, &a, &err), 0);
    ck_assert_int_eq(ge_lock_write(path, &l, &err), 0);
    ge_lock_fini(&l);
}

START_TEST(cache_users_are_recorded_and_clean_keeps_their_entries)
{
    struct ge_store s;
    struct ge_err err;
    ge_err_clear(&err);
    char cache[4096], pa[4096], pb[4096], a[GE_SHA256_HEX], b[GE_SHA256_HEX];
    snprintf(cache, sizeof cache, "%s/cache", d);
    snprintf(pa, sizeof pa, "%s/a/.gpuenv", d);
    snprintf(pb, sizeof pb, "%s/b/.gpuenv", d);
    ck_assert_int_eq(ge_store_open(&s, cache, &err), 0);
    ck_assert(!s.readonly);
    cache_put(&s, "good.tar.xz", a);
    cache_put(&s, "good.zip", b);
    prefix_with(pa, "cuda_nvcc", a);
    prefix_with(pb, "libcublas", b);
    ck_assert_int_eq(ge_store_register_prefix(&s, pa, &err), 0);
    ck_assert_int_eq(ge_store_register_prefix(&s, pb, &err), 0);
    ck_assert_int_eq(ge_store_register_prefix(&s, pb, &err), 0); /* once per prefix */
    struct ge_cache_use u;
    ck_assert_int_eq(ge_cache_use_read(&s, &u, &err), 0);
    ck_assert_uint_eq(u.nusers, 2);
    ck_assert_uint_eq(u.nentries, 2);
    for (size_t i = 0; i < u.nentries; i++) {
        const struct ge_cache_entry *e = &u.entries[i];
        ck_assert(e->archive);
        ck_assert_uint_eq(e->nusers, 1);
        ck_assert_str_eq(u.users[e->users[0]].prefix, strcmp(e->sha256, a) == 0 ? pa : pb);
        ck_assert_str_eq(e->component, strcmp(e->sha256, a) == 0 ? "cuda_nvcc" : "libcublas");
    }
    ge_cache_use_fini(&u);
    /* b's prefix goes: its entry may go, and its record */
    char rm[4200];
    snprintf(rm, sizeof rm, "%s/gpuenv-prefix.lock", pb);
    ck_assert_int_eq(unlink(rm), 0);
    ck_assert_int_eq(ge_cache_use_read(&s, &u, &err), 0);
    size_t removed, kept;
    ck_assert_int_eq(ge_cache_use_clean(&s, &u, false, &removed, &kept, &err), 0);
    ck_assert_uint_eq(removed, 1);
    ck_assert_uint_eq(kept, 1);
    ge_cache_use_fini(&u);
    char pa_arch[4096], pb_arch[4096];
    ge_store_archive_path(&s, a, pa_arch, sizeof pa_arch);
    ge_store_archive_path(&s, b, pb_arch, sizeof pb_arch);
    ck_assert(access(pa_arch, F_OK) == 0 && access(pb_arch, F_OK) != 0);
    ck_assert_int_eq(ge_cache_use_read(&s, &u, &err), 0);
    ck_assert_uint_eq(u.nusers, 1);
    ck_assert_uint_eq(u.nentries, 1);
    /* forced, everything goes; the living prefix stays recorded */
    ck_assert_int_eq(ge_cache_use_clean(&s, &u, true, &removed, &kept, &err), 0);
    ck_assert_uint_eq(removed, 1);
    ge_cache_use_fini(&u);
    ck_assert_int_eq(ge_cache_use_read(&s, &u, &err), 0);
    ck_assert_uint_eq(u.nentries, 0);
    ck_assert_uint_eq(u.nusers, 1);
    ge_cache_use_fini(&u);
    ge_store_close(&s);
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
    tcase_add_test(tc, cached_trees_and_archives_are_verified);
    tcase_add_test(tc, verify_all_removes_what_is_damaged);
    tcase_add_test(tc, cache_users_are_recorded_and_clean_keeps_their_entries);
    suite_add_tcase(s, tc);
    return s;
}
