/* test_str.c: buffers, checked formatting, path joins, file reading. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "tests.h"

START_TEST(buf_grows_and_stays_terminated)
{
    struct ge_buf b;
    ge_buf_init(&b);
    ck_assert_str_eq(ge_buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(ge_buf_addf(&b, "%d,", i % 10), 0);
    ck_assert_uint_eq(b.len, 2000);
    ck_assert_uint_eq(strlen(ge_buf_str(&b)), 2000);
    ck_assert_int_eq(ge_buf_add(&b, "x\0y", 3), 0);
    ck_assert_uint_eq(b.len, 2003);
    ge_buf_fini(&b);
    ck_assert_ptr_null(b.data);
    ge_buf_fini(&b); /* twice is harmless */
}
END_TEST

START_TEST(fmt_refuses_truncation)
{
    char small[6];
    ck_assert_int_eq(ge_fmt(small, sizeof small, "%s", "12345"), 0);
    ck_assert_int_eq(ge_fmt(small, sizeof small, "%s", "123456"), -1);
}
END_TEST

START_TEST(path_join_cases)
{
    char p[32];
    ck_assert_int_eq(ge_path_join(p, sizeof p, "/a", "b"), 0);
    ck_assert_str_eq(p, "/a/b");
    ck_assert_int_eq(ge_path_join(p, sizeof p, "/a/", "/b"), 0);
    ck_assert_str_eq(p, "/a/b");
    ck_assert_int_eq(ge_path_join(p, sizeof p, "", "b"), 0);
    ck_assert_str_eq(p, "b");
    ck_assert_int_eq(ge_path_join(p, 8, "/long/dir", "name"), -1);
}
END_TEST

START_TEST(small_helpers)
{
    char d[4];
    ck_assert_uint_eq(ge_strlcpy(d, "abcdef", sizeof d), 6);
    ck_assert_str_eq(d, "abc");
    char t[] = "580.159.04 \n\r\t";
    ge_rtrim(t);
    ck_assert_str_eq(t, "580.159.04");
    ck_assert(ge_startswith("sm_90", "sm_"));
    ck_assert(!ge_startswith("s", "sm_"));
}
END_TEST

START_TEST(read_file_limits)
{
    char *dir = temp_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/f", dir);
    write_file(path, "hello");
    size_t len = 0;
    char *s = ge_read_file(path, 100, &len);
    ck_assert_str_eq(s, "hello");
    ck_assert_uint_eq(len, 5);
    free(s);
    ck_assert_ptr_null(ge_read_file(path, 3, NULL));
    ck_assert_int_eq(errno, EFBIG);
    snprintf(path, sizeof path, "%s/none", dir);
    ck_assert_ptr_null(ge_read_file(path, 100, NULL));
    ck_assert_int_eq(errno, ENOENT);
    snprintf(path, sizeof path, "%s/empty", dir);
    write_file(path, "");
    s = ge_read_file(path, 100, &len);
    ck_assert_str_eq(s, "");
    free(s);
    rm_rf(dir);
    free(dir);
}
END_TEST

Suite *suite_str(void)
{
    Suite *s = suite_create("str");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, buf_grows_and_stays_terminated);
    tcase_add_test(tc, fmt_refuses_truncation);
    tcase_add_test(tc, path_join_cases);
    tcase_add_test(tc, small_helpers);
    tcase_add_test(tc, read_file_limits);
    suite_add_tcase(s, tc);
    return s;
}
