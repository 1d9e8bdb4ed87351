/* test_project.c: a project's paths, the prefix's lock and the journal that keeps gpuenv.lock in
 * step with the prefix, and the checks made before anything is downloaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "project.h"
#include "str.h"
#include "tests.h"

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

static void lock_for(struct ge_lockfile *l, const char *cuda)
{
    ge_lock_init(l);
    strcpy(l->platform, "linux-x86_64");
    strcpy(l->cuda, cuda);
}

static char *cuda_of(const char *path)
{
    struct ge_lockfile l;
    struct ge_err err;
    ge_err_clear(&err);
    if (ge_lock_read(path, &l, &err) < 0)
        return strdup("?");
    char *v = strdup(l.cuda);
    ge_lock_fini(&l);
    return v;
}

/* A kill after the pending lock was written: before the switch the old lock stays, after it the
 * pending one becomes the lock, whoever takes the prefix's lock next. */
START_TEST(a_pending_lock_is_settled_by_what_the_prefix_holds)
{
    struct ge_project p;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_project_init(&p, d, NULL, &err), 0);
    struct ge_lockfile old, neu;
    lock_for(&old, "12.0.0");
    lock_for(&neu, "12.4.1");
    ck_assert_int_eq(ge_project_write_lock(&p, &old, &err), 0);
    ck_assert_int_eq(mkdir(p.prefix, 0755), 0);
    ck_assert_int_eq(ge_lock_write(p.record, &old, &err), 0);

    /* killed before the switch: the prefix holds the old plan, the pending lock is dropped */
    ck_assert_int_eq(ge_project_stage_lock(&p, &neu, &err), 0);
    ck_assert_int_eq(access(p.pending, F_OK), 0);
    ck_assert_int_eq(ge_project_lock(&p, "test", NULL, NULL, &err), 0);
    ck_assert(!p.settled_forward);
    ck_assert_int_ne(access(p.pending, F_OK), 0);
    char *v = cuda_of(p.lock);
    ck_assert_str_eq(v, "12.0.0");
    free(v);
    ge_project_unlock(&p);

    /* killed after the switch: the prefix holds the new plan, the pending lock becomes the lock */
    ck_assert_int_eq(ge_project_stage_lock(&p, &neu, &err), 0);
    ck_assert_int_eq(ge_lock_write(p.record, &neu, &err), 0); /* the switch */
    ck_assert_int_eq(ge_project_lock(&p, "test", NULL, NULL, &err), 0);
    ck_assert(p.settled_forward);
    ck_assert_int_ne(access(p.pending, F_OK), 0);
    v = cuda_of(p.lock);
    ck_assert_str_eq(v, "12.4.1");
    free(v);
    ge_project_unlock(&p);

    /* the whole journal in order */
    ck_assert_int_eq(ge_project_stage_lock(&p, &old, &err), 0);
    ck_assert_int_eq(ge_lock_write(p.record, &old, &err), 0);
    ck_assert_int_eq(ge_project_settle_lock(&p, &err), 0);
    v = cuda_of(p.lock);
    ck_assert_str_eq(v, "12.0.0");
    free(v);
    ge_lock_fini(&old);
    ge_lock_fini(&neu);
}
END_TEST

START_TEST(foreign_prefixes_and_unwritable_folders_are_refused)
{
    struct ge_project p;
    struct ge_err err;
    ge_err_clear(&err);
    char pre[1024], f[1100];
    snprintf(pre, sizeof pre, "%s/env", d);
    ck_assert_int_eq(ge_project_init(&p, d, pre, &err), 0);
    ck_assert_int_eq(ge_project_check_prefix(&p, &err), 0); /* missing */
    ck_assert_int_eq(mkdir(pre, 0755), 0);
    ck_assert_int_eq(ge_project_check_prefix(&p, &err), 0); /* empty */
    snprintf(f, sizeof f, "%s/thesis.tex", pre);
    write_file(f, "precious\n");
    ck_assert_int_eq(ge_project_check_prefix(&p, &err), -1);
    ck_assert_msg(strstr(err.msg, "holds files and is not a gpuenv environment"), "%s", err.msg);
    write_file(p.record, "{}");
    ge_err_clear(&err);
    ck_assert_int_eq(ge_project_check_prefix(&p, &err), 0); /* gpuenv's */
    ck_assert_int_eq(ge_project_check_writable(&p, true, &err), 0);
    /* a prefix in a folder that does not exist */
    snprintf(pre, sizeof pre, "%s/no/such/env", d);
    ck_assert_int_eq(ge_project_init(&p, d, pre, &err), 0);
    ck_assert_int_eq(ge_project_check_writable(&p, true, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    /* control characters in a prefix are refused at once */
    ge_err_clear(&err);
    ck_assert_int_eq(ge_project_init(&p, d, "/tmp/a\nb", &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
}
END_TEST

Suite *suite_project(void)
{
    Suite *s = suite_create("project");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_pending_lock_is_settled_by_what_the_prefix_holds);
    tcase_add_test(tc, foreign_prefixes_and_unwritable_folders_are_refused);
    suite_add_tcase(s, tc);
    return s;
}
