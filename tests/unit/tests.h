/* tests.h: the suites of the one unit-test runner, one test_<module>.c each. */
#ifndef GE_TESTS_H
#define GE_TESTS_H

#include <check.h>

Suite *suite_err(void);
Suite *suite_str(void);
Suite *suite_version(void);
Suite *suite_log_out(void);
Suite *suite_driver(void);
Suite *suite_host(void);
Suite *suite_toolkit(void);
Suite *suite_cli(void);
Suite *suite_matrix(void);
Suite *suite_req(void);
Suite *suite_resolve(void);
Suite *suite_python(void);
Suite *suite_digest_manifest(void);
Suite *suite_fetch(void);
Suite *suite_extract(void);
Suite *suite_store(void);
Suite *suite_tree(void);
Suite *suite_project(void);
Suite *suite_lock_activate(void);
Suite *suite_activate(void);
Suite *suite_pyenv(void);
Suite *suite_gaps(void);
Suite *suite_manifest_src(void);
Suite *suite_fatbin(void);
Suite *suite_doctor(void);
Suite *suite_amd(void);
Suite *suite_hostfile(void);
Suite *suite_hipfat(void);
Suite *suite_amd_hip(void);
Suite *suite_mirror(void);

/* The folder with the fake libcuda.so.1 and libnvidia-ml.so.1 (GPUENV_FAKE_DIR). */
const char *fake_dir(void);
/* Run fn with stdout and stderr captured into *out and *err (heap strings; caller frees). */
int capture(int (*fn)(void *), void *arg, char **out, char **err);
/* A new empty temporary folder (caller removes it with rm_rf). */
char *temp_dir(void);
void rm_rf(const char *path);
void write_file(const char *path, const char *text);
/* Replace the first 'from' in the file with 'to' (the test fails when the file lacks it). */
void replace_in(const char *path, const char *from, const char *to);
/* A new temporary folder holding tests/fake/make_archives.py's archives (remove with rm_rf). */
char *archives_dir(void);

#endif
