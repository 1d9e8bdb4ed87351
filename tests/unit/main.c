/* main.c: the unit-test runner and the helpers the suites share. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "str.h"
#include "tests.h"

const char *fake_dir(void)
{
    const char *d = getenv("GPUENV_FAKE_DIR");
    ck_assert_msg(d && d[0], "GPUENV_FAKE_DIR must name the fake driver folder (make check sets it)");
    return d;
}

static char *slurp_fd(int fd)
{
    lseek(fd, 0, SEEK_SET);
    struct ge_buf b;
    ge_buf_init(&b);
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        ge_buf_add(&b, chunk, (size_t)n);
    if (!b.data)
        ge_buf_add(&b, "", 0);
    return b.data;
}

int capture(int (*fn)(void *), void *arg, char **out, char **err)
{
    fflush(stdout);
    fflush(stderr);
    FILE *fo = tmpfile(), *fe = tmpfile();
    int so = dup(1), se = dup(2);
    dup2(fileno(fo), 1);
    dup2(fileno(fe), 2);
    int rc = fn(arg);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    *out = slurp_fd(fileno(fo));
    *err = slurp_fd(fileno(fe));
    fclose(fo);
    fclose(fe);
    return rc;
}

char *temp_dir(void)
{
    char tmpl[] = "/tmp/gpuenv-unit-XXXXXX";
    char *d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return strdup(d);
}

void rm_rf(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/bin/rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

void write_file(const char *path, const char *text)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/bin/mkdir -p \"$(/usr/bin/dirname '%s')\"", path);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

void replace_in(const char *path, const char *from, const char *to)
{
    char *text = ge_read_file(path, 1 << 20, NULL);
    ck_assert_ptr_nonnull(text);
    char *at = strstr(text, from);
    ck_assert_msg(at != NULL, "%s lacks '%s': %s", path, from, text);
    struct ge_buf b;
    ge_buf_init(&b);
    ge_buf_add(&b, text, (size_t)(at - text));
    ge_buf_adds(&b, to);
    ge_buf_adds(&b, at + strlen(from));
    write_file(path, ge_buf_str(&b));
    ge_buf_fini(&b);
    free(text);
}

char *archives_dir(void)
{
    char *d = temp_dir();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 tests/fake/make_archives.py '%s'", d);
    ck_assert_int_eq(system(cmd), 0);
    return d;
}

int main(void)
{
    /* never the user's own cache: one for this run, removed at the end */
    char cache[] = "/tmp/gpuenv-unit-cache-XXXXXX";
    if (!mkdtemp(cache))
        return 2;
    setenv("GPUENV_CACHE_DIR", cache, 1);
    SRunner *sr = srunner_create(suite_err());
    srunner_add_suite(sr, suite_str());
    srunner_add_suite(sr, suite_version());
    srunner_add_suite(sr, suite_log_out());
    srunner_add_suite(sr, suite_driver());
    srunner_add_suite(sr, suite_host());
    srunner_add_suite(sr, suite_toolkit());
    srunner_add_suite(sr, suite_cli());
    srunner_add_suite(sr, suite_matrix());
    srunner_add_suite(sr, suite_req());
    srunner_add_suite(sr, suite_resolve());
    srunner_add_suite(sr, suite_python());
    srunner_add_suite(sr, suite_digest_manifest());
    srunner_add_suite(sr, suite_manifest_src());
    srunner_add_suite(sr, suite_fatbin());
    srunner_add_suite(sr, suite_doctor());
    srunner_add_suite(sr, suite_amd());
    srunner_add_suite(sr, suite_hostfile());
    srunner_add_suite(sr, suite_hipfat());
    srunner_add_suite(sr, suite_amd_hip());
    srunner_add_suite(sr, suite_fetch());
    srunner_add_suite(sr, suite_extract());
    srunner_add_suite(sr, suite_store());
    srunner_add_suite(sr, suite_tree());
    srunner_add_suite(sr, suite_project());
    srunner_add_suite(sr, suite_lock_activate());
    srunner_add_suite(sr, suite_activate());
    srunner_add_suite(sr, suite_pyenv());
    srunner_add_suite(sr, suite_gaps());
    srunner_add_suite(sr, suite_mirror());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "/bin/rm -rf '%s'", cache);
    if (system(cmd) != 0)
        return 2;
    return failed == 0 ? 0 : 1;
}
