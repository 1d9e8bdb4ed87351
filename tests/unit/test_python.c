/* test_python.c: finding python3's version without starting it where files tell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "python.h"
#include "tests.h"

START_TEST(xy_forms)
{
    char out[16];
    ck_assert_int_eq(ge_python_xy("3.12.1", out, sizeof out), 0);
    ck_assert_str_eq(out, "3.12");
    ck_assert_int_eq(ge_python_xy("3.11\n", out, sizeof out), 0);
    ck_assert_str_eq(out, "3.11");
    ck_assert_int_eq(ge_python_xy("3", out, sizeof out), -1);
    ck_assert_int_eq(ge_python_xy("system", out, sizeof out), -1);
    ck_assert_int_eq(ge_python_xy("", out, sizeof out), -1);
}
END_TEST

START_TEST(sources_in_order)
{
    char *d = temp_dir();
    char p[1024], v[16], src[512], *path = strdup(getenv("PATH"));
    unsetenv("PYENV_ROOT");
    unsetenv("PYENV_VERSION");
    unsetenv("VIRTUAL_ENV");
    /* an active virtual environment wins */
    snprintf(p, sizeof p, "%s/venv/pyvenv.cfg", d);
    write_file(p, "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n");
    snprintf(p, sizeof p, "%s/venv", d);
    setenv("VIRTUAL_ENV", p, 1);
    ck_assert_int_eq(ge_python_detect(v, sizeof v, src, sizeof src), 0);
    ck_assert_str_eq(v, "3.11");
    ck_assert_ptr_nonnull(strstr(src, "pyvenv.cfg"));
    unsetenv("VIRTUAL_ENV");
    /* python3 -> python3.9: the name tells */
    snprintf(p, sizeof p, "%s/bin/python3.9", d);
    write_file(p, "#!/bin/sh\nexit 1\n");
    ck_assert_int_eq(chmod(p, 0755), 0);
    char link[1024];
    snprintf(link, sizeof link, "%s/bin/python3", d);
    ck_assert_int_eq(symlink("python3.9", link), 0);
    snprintf(p, sizeof p, "%s/bin", d);
    setenv("PATH", p, 1);
    ck_assert_int_eq(ge_python_detect(v, sizeof v, src, sizeof src), 0);
    ck_assert_str_eq(v, "3.9");
    /* a pyenv shim: PYENV_VERSION, without running anything */
    snprintf(p, sizeof p, "%s/pyenv/shims/python3", d);
    write_file(p, "#!/bin/sh\nexit 1\n");
    ck_assert_int_eq(chmod(p, 0755), 0);
    snprintf(p, sizeof p, "%s/pyenv/shims", d);
    setenv("PATH", p, 1);
    setenv("PYENV_VERSION", "3.12.4", 1);
    ck_assert_int_eq(ge_python_detect(v, sizeof v, src, sizeof src), 0);
    ck_assert_str_eq(v, "3.12");
    ck_assert_str_eq(src, "PYENV_VERSION");
    unsetenv("PYENV_VERSION");
    /* ... or the root's version file */
    snprintf(p, sizeof p, "%s/pyenv/version", d);
    write_file(p, "3.10.14\n");
    ck_assert_int_eq(chdir(d), 0);
    ck_assert_int_eq(ge_python_detect(v, sizeof v, src, sizeof src), 0);
    ck_assert_str_eq(v, "3.10");
    /* a script that prints a version, as the last resort */
    snprintf(p, sizeof p, "%s/other/python3", d);
    write_file(p, "#!/bin/sh\necho 3.13\n");
    ck_assert_int_eq(chmod(p, 0755), 0);
    snprintf(p, sizeof p, "%s/other", d);
    setenv("PATH", p, 1);
    ck_assert_int_eq(ge_python_detect(v, sizeof v, src, sizeof src), 0);
    ck_assert_str_eq(v, "3.13");
    /* none */
    setenv("PATH", "/nonexistent", 1);
    ck_assert_int_eq(ge_python_detect(v, sizeof v, src, sizeof src), -1);
    setenv("PATH", path, 1);
    free(path);
    rm_rf(d);
    free(d);
}
END_TEST

Suite *suite_python(void)
{
    Suite *s = suite_create("python");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, xy_forms);
    tcase_add_test(tc, sources_in_order);
    suite_add_tcase(s, tc);
    return s;
}
