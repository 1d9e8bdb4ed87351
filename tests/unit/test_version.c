/* test_version.c: version and compute-capability parsing and ordering, table-driven. */
#include <string.h>

#include "tests.h"
#include "version.h"

static const struct {
    const char *s;
    int min, max;
    int ok;
    const char *formatted;
} parse_cases[] = {
    {"580.159.04", 2, 3, 1, "580.159.4"},
    {"12.4", 1, 4, 1, "12.4"},
    {"13", 1, 4, 1, "13"},
    {"9.27.0.12", 1, 4, 1, "9.27.0.12"},
    {"1.2.3.4.5", 1, 4, 0, NULL},
    {"", 1, 4, 0, NULL},
    {".1", 1, 4, 0, NULL},
    {"1.", 1, 4, 0, NULL},
    {"1..2", 1, 4, 0, NULL},
    {"1.2a", 1, 4, 0, NULL},
    {" 1.2", 1, 4, 0, NULL},
    {"-1.2", 1, 4, 0, NULL},
    {"1234567890.1", 1, 4, 0, NULL}, /* ten digits: overflow refused */
    {"580", 2, 3, 0, NULL},
    {"580.65.06.1", 2, 3, 0, NULL},
};

START_TEST(version_parse_table)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        struct ge_version v;
        int rc = ge_version_parse(&v, parse_cases[i].s, parse_cases[i].min, parse_cases[i].max);
        ck_assert_msg((rc == 0) == parse_cases[i].ok, "case '%s'", parse_cases[i].s);
        if (rc == 0) {
            char buf[64];
            ck_assert_str_eq(ge_version_format(&v, buf, sizeof buf), parse_cases[i].formatted);
        }
    }
    struct ge_version v;
    ck_assert_int_eq(ge_version_parse(&v, NULL, 1, 4), -1);
}
END_TEST

static const struct {
    const char *a, *b;
    int cmp;
} cmp_cases[] = {
    {"12.4", "12.4.0", 0},   {"12.4.1", "12.4", 1},  {"12.10", "12.9", 1},
    {"580.65.06", "580.159.04", -1}, {"525.60.13", "525.60.13", 0}, {"11.8", "12.0", -1},
    {"9", "10", -1},
};

START_TEST(version_compare_table)
{
    for (size_t i = 0; i < sizeof cmp_cases / sizeof cmp_cases[0]; i++) {
        struct ge_version a, b;
        ck_assert_int_eq(ge_version_parse(&a, cmp_cases[i].a, 1, 4), 0);
        ck_assert_int_eq(ge_version_parse(&b, cmp_cases[i].b, 1, 4), 0);
        ck_assert_msg((int)ge_version_cmp(&a, &b) == cmp_cases[i].cmp, "%s vs %s", cmp_cases[i].a,
                      cmp_cases[i].b);
        ck_assert_int_eq((int)ge_version_cmp(&b, &a), -cmp_cases[i].cmp);
    }
}
END_TEST

START_TEST(cuda_from_driver_int)
{
    const struct {
        int v;
        const char *s;
    } t[] = {{13000, "13.0"}, {12020, "12.2"}, {11080, "11.8"}, {12090, "12.9"}, {13040, "13.4"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct ge_version v = ge_cuda_version_from_int(t[i].v);
        char buf[16];
        ck_assert_str_eq(ge_version_format(&v, buf, sizeof buf), t[i].s);
    }
}
END_TEST

static const struct {
    const char *s;
    int ok, major, minor;
} cc_cases[] = {
    {"9.0", 1, 9, 0},     {"8.6", 1, 8, 6},     {"12.1", 1, 12, 1},  {"10.3", 1, 10, 3},
    {"sm_90", 1, 9, 0},   {"sm_86", 1, 8, 6},   {"sm_100", 1, 10, 0}, {"sm_121", 1, 12, 1},
    {"sm_90a", 1, 9, 0},  {"sm_100f", 1, 10, 0}, {"compute_89", 1, 8, 9},
    {"9", 0, 0, 0},       {"9.", 0, 0, 0},      {"9.10", 0, 0, 0},   {"09.0", 0, 0, 0},
    {"sm_9", 0, 0, 0},    {"sm_", 0, 0, 0},     {"sm_90b", 0, 0, 0}, {"sm_1000", 0, 0, 0},
    {"", 0, 0, 0},        {"x.y", 0, 0, 0},     {"100.0", 0, 0, 0},  {"9.0 ", 0, 0, 0},
};

START_TEST(cc_parse_table)
{
    for (size_t i = 0; i < sizeof cc_cases / sizeof cc_cases[0]; i++) {
        struct ge_cc cc;
        int rc = ge_cc_parse(&cc, cc_cases[i].s);
        ck_assert_msg((rc == 0) == cc_cases[i].ok, "case '%s'", cc_cases[i].s);
        if (rc == 0) {
            ck_assert_int_eq(cc.major, cc_cases[i].major);
            ck_assert_int_eq(cc.minor, cc_cases[i].minor);
        }
    }
    struct ge_cc a = {9, 0}, b = {10, 0}, c = {8, 9};
    ck_assert_int_lt(ge_cc_cmp(a, b), 0);
    ck_assert_int_gt(ge_cc_cmp(a, c), 0);
    ck_assert_int_eq(ge_cc_cmp(a, a), 0);
    char buf[8];
    ck_assert_str_eq(ge_cc_format(b, buf, sizeof buf), "10.0");
}
END_TEST

Suite *suite_version(void)
{
    Suite *s = suite_create("version");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, version_parse_table);
    tcase_add_test(tc, version_compare_table);
    tcase_add_test(tc, cuda_from_driver_int);
    tcase_add_test(tc, cc_parse_table);
    suite_add_tcase(s, tc);
    return s;
}
