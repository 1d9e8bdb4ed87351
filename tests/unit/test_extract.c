/* test_extract.c: unpacking NVIDIA-shaped archives, and refusing every unsafe or damaged one
 * without writing outside the target folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "str.h"
#include "tests.h"

static char *dir;

static void setup(void)
{
    dir = archives_dir();
}

static void teardown(void)
{
    rm_rf(dir);
    free(dir);
}

static int run(const char *archive, const char *into, struct ge_extract_stats *st, struct ge_err *err)
{
    char a[1024], d[1024];
    snprintf(a, sizeof a, "%s/%s", dir, archive);
    snprintf(d, sizeof d, "%s/%s", dir, into);
    ge_err_clear(err);
    return ge_extract(a, d, st, err);
}

START_TEST(nvidia_shaped_archive_unpacks_without_its_top_folder)
{
    struct ge_extract_stats st;
    struct ge_err err;
    ck_assert_msg(run("good.tar.xz", "out", &st, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(st.files, 3);
    ck_assert_uint_eq(st.links, 3);
    ck_assert_uint_eq(st.dirs, 3);
    char p[1024], link[256];
    snprintf(p, sizeof p, "%s/out/bin/nvcc", dir);
    struct stat sb;
    ck_assert_int_eq(stat(p, &sb), 0);
    ck_assert(sb.st_mode & S_IXUSR);
    snprintf(p, sizeof p, "%s/out/lib/libcudart.so.12", dir);
    ssize_t n = readlink(p, link, sizeof link - 1);
    ck_assert_int_gt(n, 0);
    link[n] = '\0';
    ck_assert_str_eq(link, "libcudart.so.12.4.127");
    snprintf(p, sizeof p, "%s/out/lib/libcudart.so", dir);
    ck_assert_int_eq(stat(p, &sb), 0); /* resolves through ../lib inside the tree */
    snprintf(p, sizeof p, "%s/out/lib/copy.so", dir);
    ck_assert_int_eq(stat(p, &sb), 0);
    ck_assert_uint_eq(sb.st_nlink, 2);
    snprintf(p, sizeof p, "%s/out/cuda_nvcc-linux-x86_64-12.4.131-archive", dir);
    ck_assert_int_ne(access(p, F_OK), 0);
    /* zip, as the Windows archives are */
    ck_assert_msg(run("good.zip", "zipout", &st, &err) == 0, "%s", err.msg);
    snprintf(p, sizeof p, "%s/zipout/bin/nvcc.exe", dir);
    ck_assert_int_eq(access(p, F_OK), 0);
}
END_TEST

static const struct {
    const char *archive, *want;
    int status;
} bad[] = {
    {"absolute.tar.xz", "entry '/tmp/gpuenv-evil' is absolute or climbs out", GE_EXIT_BAD_DATA},
    {"dotdot.tar.xz", "climbs out with '..'", GE_EXIT_BAD_DATA},
    {"symlink_out.tar.xz", "is a symbolic link that points outside the archive", GE_EXIT_BAD_DATA},
    {"symlink_abs.tar.xz", "is a symbolic link that points outside the archive", GE_EXIT_BAD_DATA},
    {"hardlink_out.tar.xz", "is a hard link to something outside the archive", GE_EXIT_BAD_DATA},
    {"device.tar.xz", "is a device node, fifo or socket", GE_EXIT_BAD_DATA},
    {"two_tops.tar.xz", "entry 'other-folder/b' lies outside the archive's top folder", GE_EXIT_BAD_DATA},
    {"empty.tar.xz", "is empty", GE_EXIT_BAD_DATA},
    {"truncated.tar.xz", "is damaged", GE_EXIT_BAD_DATA},
    {"not_an_archive.tar.xz", "is damaged", GE_EXIT_BAD_DATA},
};

START_TEST(unsafe_or_damaged_archives_are_refused)
{
    struct ge_err err;
    ck_assert_int_eq(run(bad[_i].archive, "out", NULL, &err), -1);
    ck_assert_int_eq(err.status, bad[_i].status);
    ck_assert_msg(strstr(err.msg, bad[_i].want), "%s: %s", bad[_i].archive, err.msg);
    ck_assert(strstr(err.msg, bad[_i].archive) != NULL);
    /* nothing landed outside the target */
    ck_assert_int_ne(access("/tmp/gpuenv-evil", F_OK), 0);
    char p[1024];
    snprintf(p, sizeof p, "%s/evil", dir);
    ck_assert_int_ne(access(p, F_OK), 0);
}
END_TEST

START_TEST(paths_that_stay_inside)
{
    ck_assert(ge_path_stays_inside("a/b"));
    ck_assert(ge_path_stays_inside("a/../b"));
    ck_assert(ge_path_stays_inside("./a"));
    ck_assert(!ge_path_stays_inside("../a"));
    ck_assert(!ge_path_stays_inside("a/../../b"));
    ck_assert(!ge_path_stays_inside("/a"));
    ck_assert(!ge_path_stays_inside(""));
}
END_TEST

Suite *suite_extract(void)
{
    Suite *s = suite_create("extract");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, nvidia_shaped_archive_unpacks_without_its_top_folder);
    tcase_add_loop_test(tc, unsafe_or_damaged_archives_are_refused, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, paths_that_stay_inside);
    suite_add_tcase(s, tc);
    return s;
}
