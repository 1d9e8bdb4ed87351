/* test_err.c: the error object and the exit-status table. */
#include <string.h>

#include "err.h"
#include "tests.h"

START_TEST(exit_table_is_dense_and_stable)
{
    size_t n;
    const struct ge_exit_info *t = ge_exit_table(&n);
    ck_assert_uint_eq(n, GE_EXIT_COUNT);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(t[i].status, (int)i);
        ck_assert_ptr_eq(ge_exit_lookup((int)i), &t[i]);
    }
    /* The numbers are a public contract: pin them. */
    ck_assert_str_eq(ge_exit_lookup(2)->name, "usage");
    ck_assert_str_eq(ge_exit_lookup(3)->name, "no-solution");
    ck_assert_str_eq(ge_exit_lookup(4)->name, "no-driver");
    ck_assert_str_eq(ge_exit_lookup(5)->name, "bad-data");
    ck_assert_str_eq(ge_exit_lookup(6)->name, "no-gpu");
    ck_assert_str_eq(ge_exit_lookup(7)->name, "locked");
    ck_assert_ptr_null(ge_exit_lookup(-1));
    ck_assert_ptr_null(ge_exit_lookup(GE_EXIT_COUNT));
}
END_TEST

START_TEST(first_error_wins_and_prefix_adds_context)
{
    struct ge_err e;
    ge_err_clear(&e);
    ck_assert_int_eq(ge_err_set(&e, GE_EXIT_BAD_DATA, "bad '%s'", "x.json"), -1);
    ge_err_set(&e, GE_EXIT_FAILURE, "later");
    ck_assert_int_eq(e.status, GE_EXIT_BAD_DATA);
    ck_assert_str_eq(e.msg, "bad 'x.json'");
    ge_err_prefix(&e, "loading %s", "data");
    ck_assert_str_eq(e.msg, "loading data: bad 'x.json'");
    ge_err_hint(&e, "run %s", "this");
    ck_assert_str_eq(e.hint, "run this");
    ge_err_clear(&e);
    ck_assert_int_eq(e.status, 0);
    /* status 0 is not an error: it becomes a plain failure */
    ge_err_set(&e, 0, "x");
    ck_assert_int_eq(e.status, GE_EXIT_FAILURE);
}
END_TEST

START_TEST(long_messages_truncate_safely)
{
    struct ge_err e;
    ge_err_clear(&e);
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ge_err_set(&e, 1, "%s", big);
    ck_assert_uint_eq(strlen(e.msg), GE_ERR_MSG_MAX - 1);
    ge_err_prefix(&e, "ctx");
    ck_assert_uint_eq(strlen(e.msg), GE_ERR_MSG_MAX - 1);
    ck_assert(strncmp(e.msg, "ctx: aaa", 8) == 0);
    ge_err_prefix(&e, "%s", big);
    ck_assert_uint_eq(strlen(e.msg), GE_ERR_MSG_MAX - 1);
}
END_TEST

Suite *suite_err(void)
{
    Suite *s = suite_create("err");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, exit_table_is_dense_and_stable);
    tcase_add_test(tc, first_error_wins_and_prefix_adds_context);
    tcase_add_test(tc, long_messages_truncate_safely);
    suite_add_tcase(s, tc);
    return s;
}
