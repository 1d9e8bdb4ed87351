/* test_extract.c: unpacking NVIDIA-shaped archives, and refusing every unsafe or damaged one
 * without writing outside the target folder. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract.h"
#include "path.h"
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
    struct stat sb;
    struct ge_extract_limits lim = ge_extract_limits_for(stat(a, &sb) == 0 ? (uint64_t)sb.st_size : 0, 0);
    return ge_extract(a, NULL, d, &lim, NULL, st, err);
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
    {"control.tar.xz", "has a control character in its name", GE_EXIT_BAD_DATA},
    /* the entry's name is said whole, though libarchive has moved its own copy meanwhile */
    {"short_entry.tar.xz", "nnnnnnnnnn/short-entry': ", GE_EXIT_BAD_DATA},
    {"deep.tar.xz", "is nested deeper than 128 folders", GE_EXIT_BAD_DATA},
    {"chain.tar.xz", "d12/t' -> 's/../../tmp/gpuenv-evil' resolves outside the tree", GE_EXIT_BAD_DATA},
    {"loop.tar.xz", "loops (more than 40 links deep)", GE_EXIT_BAD_DATA},
    {"sparse_bomb.tar.xz", "unpacks to more than", GE_EXIT_BAD_DATA},
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

START_TEST(paths_and_names_from_outside)
{
    ck_assert(ge_path_stays_inside("a/b"));
    ck_assert(ge_path_stays_inside("a/../b"));
    ck_assert(ge_path_stays_inside("./a"));
    ck_assert(!ge_path_stays_inside("../a"));
    ck_assert(!ge_path_stays_inside("a/../../b"));
    ck_assert(!ge_path_stays_inside("/a"));
    ck_assert(!ge_path_stays_inside(""));
    ck_assert(ge_name_safe("cuda_nvcc") && ge_name_safe("linux-x86_64") && ge_name_safe("12.4.131") &&
              ge_name_safe("cuda13.1") && ge_name_safe("libcufft+x"));
    static const char *const bad_names[] = {"", ".", "..", ".hidden", "-opt", "a/b", "a b", "a%2e", "x\ny",
                                            "../../../../tmp/outside/x",
                                            "0123456789012345678901234567890123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        ck_assert_msg(!ge_name_safe(bad_names[i]), "%s", bad_names[i]);
    ck_assert(ge_url_path_safe("cuda_nvcc/linux-x86_64/cuda_nvcc-linux-x86_64-12.4.131-archive.tar.xz"));
    ck_assert(ge_url_path_safe("compute/cudnn/redist/cudnn/linux-sbsa/cudnn-9.1.0.70_cuda12-archive.tar.xz"));
    static const char *const bad_paths[] = {"", "/etc/passwd", "a/../b", "%2e%2e/%2e%2e/etc/passwd", "a/./b",
                                            "a//b", "a/", "a?b", "a#b", "a\\b", "a b", "a\tb", "..", "."};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++)
        ck_assert_msg(!ge_url_path_safe(bad_paths[i]), "%s", bad_paths[i]);
    ck_assert(ge_has_control("a\x7f") && ge_has_control("\r") && !ge_has_control("plain é"));
}
END_TEST

START_TEST(modes_are_read_only_without_special_bits)
{
    struct ge_err err;
    ck_assert_msg(run("modes.tar.xz", "out", NULL, &err) == 0, "%s", err.msg);
    char p[1024];
    struct stat sb;
    snprintf(p, sizeof p, "%s/out/bin/suid", dir);
    ck_assert_int_eq(lstat(p, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 07777, 0555);
    snprintf(p, sizeof p, "%s/out/bin/plain", dir);
    ck_assert_int_eq(lstat(p, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 07777, 0444);
    snprintf(p, sizeof p, "%s/out/bin", dir);
    ck_assert_int_eq(lstat(p, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 07777, 0755);
}
END_TEST

START_TEST(archive_bombs_are_refused_and_sparse_files_stay_sparse)
{
    struct ge_err err;
    char a[1024], d[1024];
    /* 4 MiB of zeros from a few hundred bytes, against a bound of 1 MiB */
    snprintf(a, sizeof a, "%s/zeros.tar.xz", dir);
    snprintf(d, sizeof d, "%s/bomb", dir);
    struct ge_extract_limits lim = {1 << 20, 0};
    ge_err_clear(&err);
    ck_assert_int_eq(ge_extract(a, "zeros", d, &lim, NULL, NULL, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert_msg(strstr(err.msg, "refusing zeros: it unpacks to more than 1 MiB"), "%s", err.msg);
    ck_assert(strstr(err.hint, "--max-unpack-ratio") != NULL);
    /* the entry count is bounded too */
    struct ge_extract_limits few = {0, 2};
    snprintf(a, sizeof a, "%s/good.tar.xz", dir);
    snprintf(d, sizeof d, "%s/many", dir);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_extract(a, NULL, d, &few, NULL, NULL, &err), -1);
    ck_assert_msg(strstr(err.msg, "holds more than 2 entries"), "%s", err.msg);
    /* the default bound: 64 MiB plus 32 times the archive */
    struct ge_extract_limits def = ge_extract_limits_for(1000, 0);
    ck_assert(def.max_bytes == (64ull << 20) + 32000 && def.max_entries == GE_EXTRACT_MAX_ENTRIES);
    ck_assert(ge_extract_limits_for(1000, 2).max_bytes == (64ull << 20) + 2000);
    ck_assert(ge_extract_limits_for(UINT64_MAX / 2, 0).max_bytes == UINT64_MAX); /* no overflow */
    /* a 48 MiB sparse file is within the default bound of its tiny archive, and stays sparse */
    struct stat sb;
    snprintf(a, sizeof a, "%s/sparse_ok.tar.xz", dir);
    ck_assert_int_eq(stat(a, &sb), 0);
    struct ge_extract_limits ok = ge_extract_limits_for((uint64_t)sb.st_size, 0);
    uint64_t progress = 0;
    snprintf(d, sizeof d, "%s/sparse", dir);
    ge_err_clear(&err);
    ck_assert_msg(ge_extract(a, NULL, d, &ok, &progress, NULL, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(progress, (uint64_t)sb.st_size); /* every compressed byte was counted */
    snprintf(d, sizeof d, "%s/sparse/sparse", dir);
    ck_assert_int_eq(stat(d, &sb), 0);
    ck_assert_int_eq(sb.st_size, 48 << 20);
    ck_assert_msg((uint64_t)sb.st_blocks * 512 < (1u << 20), "%lld bytes allocated", (long long)sb.st_blocks * 512);
}
END_TEST

Suite *suite_extract(void)
{
    Suite *s = suite_create("extract");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, nvidia_shaped_archive_unpacks_without_its_top_folder);
    tcase_add_loop_test(tc, unsafe_or_damaged_archives_are_refused, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, paths_and_names_from_outside);
    tcase_add_test(tc, modes_are_read_only_without_special_bits);
    tcase_add_test(tc, archive_bombs_are_refused_and_sparse_files_stay_sparse);
    suite_add_tcase(s, tc);
    return s;
}
