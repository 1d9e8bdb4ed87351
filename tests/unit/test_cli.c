/* test_cli.c: the command line as a user meets it: global options, help, errors, exit statuses,
 * JSON on failure and the completion helper. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cli.h"
#include "tests.h"

struct run {
    char *argv[16];
    int argc;
};

static int run_main(void *arg)
{
    struct run *r = arg;
    return ge_main(r->argc, r->argv);
}

/* Run gpuenv with the given words (NULL-terminated); returns the status. */
static int gpuenv(char **out, char **err, ...)
{
    struct run r = {{"gpuenv"}, 1};
    va_list ap;
    va_start(ap, err);
    const char *w;
    while ((w = va_arg(ap, const char *)) != NULL && r.argc < 15)
        r.argv[r.argc++] = (char *)w;
    va_end(ap);
    r.argv[r.argc] = NULL;
    return capture(run_main, &r, out, err);
}

static void setup(void)
{
    unsetenv("GPUENV_DRIVER");
    unsetenv("GPUENV_GPUS");
    setenv("GPUENV_TOOLKIT_PATH", "/nonexistent", 1);
    setenv("NO_COLOR", "1", 1);
}

#define FREE2 \
    do {      \
        free(out); \
        free(err); \
    } while (0)

START_TEST(no_command_is_usage)
{
    char *out, *err;
    ck_assert_int_eq(gpuenv(&out, &err, NULL), 2);
    ck_assert_str_eq(out, "");
    ck_assert(strncmp(err, "gpuenv: error: no command given\nhint: ", 38) == 0);
    FREE2;
}
END_TEST

START_TEST(help_and_version)
{
    char *out, *err;
    ck_assert_int_eq(gpuenv(&out, &err, "--help", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: gpuenv"));
    ck_assert_ptr_nonnull(strstr(out, "  detect "));
    ck_assert_ptr_null(strstr(out, "__complete"));
    ck_assert_str_eq(err, "");
    FREE2;
    ck_assert_int_eq(gpuenv(&out, &err, "-h", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: gpuenv"));
    FREE2;
    ck_assert_int_eq(gpuenv(&out, &err, "--version", NULL), 0);
    ck_assert(strncmp(out, "gpuenv " GPUENV_VERSION "\n", strlen(GPUENV_VERSION) + 8) == 0);
    ck_assert_ptr_nonnull(strstr(out, "libcurl "));
    ck_assert_ptr_nonnull(strstr(out, "libarchive "));
    ck_assert_ptr_nonnull(strstr(out, "cJSON "));
    FREE2;
    ck_assert_int_eq(gpuenv(&out, &err, "help", "detect", NULL), 0);
    ck_assert(strncmp(out, "usage: gpuenv detect [options]\n", 31) == 0);
    ck_assert_ptr_nonnull(strstr(out, "--driver=VERSION"));
    FREE2;
    ck_assert_int_eq(gpuenv(&out, &err, "detect", "--help", NULL), 0);
    ck_assert(strncmp(out, "usage: gpuenv detect", 20) == 0);
    FREE2;
    ck_assert_int_eq(gpuenv(&out, &err, "help", "exit-status", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "0\tok\t"));
    ck_assert_ptr_nonnull(strstr(out, "4\tno-driver\t"));
    FREE2;
}
END_TEST

static const struct {
    const char *a[4];
    const char *want;
} usage_cases[] = {
    {{"frobnicate"}, "gpuenv: error: unknown command 'frobnicate'\n"},
    {{"--bogus"}, "gpuenv: error: unknown option '--bogus'\n"},
    {{"-x"}, "gpuenv: error: unknown option '-x'\n"},
    {{"--color=rainbow", "detect"}, "invalid --color value 'rainbow'"},
    {{"--color"}, "option '--color' needs a value"},
    {{"--quiet=yes"}, "option '--quiet' takes no value"},
    {{"detect", "--bogus"}, "gpuenv: error: unknown option '--bogus'\nhint: see 'gpuenv help detect'\n"},
    {{"detect", "-z"}, "unknown option '-z'"},
    {{"detect", "--driver"}, "option '--driver' needs a value"},
    {{"detect", "extra"}, "unexpected argument 'extra'"},
    {{"detect", "--gpu", "nine"}, "invalid compute capability 'nine' in --gpu"},
    {{"help", "nothing"}, "no help for 'nothing'"},
    {{"help", "a", "b"}, "'help' takes one topic"},
};

START_TEST(usage_errors_exit_2)
{
    struct run r = {{"gpuenv"}, 1};
    for (int i = 0; i < 4 && usage_cases[_i].a[i]; i++)
        r.argv[r.argc++] = (char *)usage_cases[_i].a[i];
    char *out, *err;
    ck_assert_int_eq(capture(run_main, &r, &out, &err), 2);
    ck_assert_str_eq(out, "");
    ck_assert_msg(strstr(err, usage_cases[_i].want), "got: %s", err);
    ck_assert_msg(strstr(err, "\nhint: "), "no hint: %s", err);
    FREE2;
}
END_TEST

START_TEST(json_usage_error_is_a_document)
{
    char *out, *err;
    ck_assert_int_eq(gpuenv(&out, &err, "detect", "--json", "--gpu", "x", NULL), 2);
    cJSON *doc = cJSON_Parse(out);
    ck_assert_ptr_nonnull(doc);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(doc, "ok")));
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "error"), "kind")->valuestring, "usage");
    cJSON_Delete(doc);
    FREE2;
}
END_TEST

START_TEST(detect_override_json)
{
    char *out, *err;
    ck_assert_int_eq(gpuenv(&out, &err, "-q", "detect", "--json", "--driver", "535.104.05", "--gpu",
                            "8.6", "--gpu=sm_90", NULL), 0);
    cJSON *doc = cJSON_Parse(out);
    ck_assert_ptr_nonnull(doc);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(doc, "ok")));
    cJSON *d = cJSON_GetObjectItem(doc, "driver");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "version")->valuestring, "535.104.05");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "source")->valuestring, "override");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d, "cuda")));
    cJSON *g = cJSON_GetObjectItem(doc, "gpus");
    ck_assert_int_eq(cJSON_GetArraySize(g), 2);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(g, 1), "cc")->valuestring, "9.0");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(g, 1), "name")));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "toolkits")), 0);
    cJSON_Delete(doc);
    ck_assert_str_eq(err, "");
    FREE2;
}
END_TEST

static const struct {
    const char *a[5];
    const char *want;    /* exact output */
} complete_cases[] = {
    {{"__complete", ""}, "detect\nresolve\ninstall\ndoctor\nlock\nmirror\nlist\nremove\nenv\nrun\nshell\nmodulefile\ncache\nmatrix\nhelp\n"},
    {{"__complete", "matrix", "c"}, "cuda\ncudnn\n"},
    {{"__complete", "de"}, "detect\n"},
    {{"__complete", "--c"}, "--color=\n"},
    {{"__complete", "--color", ""}, "auto\nalways\nnever\n"},
    {{"__complete", "--color=a"}, "--color=auto\n--color=always\n"},
    {{"__complete", "detect", "--j"}, "--json\n"},
    {{"__complete", "detect", "--gpu", "12"}, "12.0\n12.1\n"},
    {{"__complete", "detect", "--gpu=9"}, "--gpu=9.0\n"},
    {{"__complete", "help", ""}, "detect\nresolve\ninstall\ndoctor\nlock\nmirror\nlist\nremove\nenv\nrun\nshell\nmodulefile\ncache\nmatrix\nhelp\nexit-status\n"},
    {{"__complete", "-v", "--color", "never", "det"}, "detect\n"},
    {{"__complete", "nosuch", ""}, ""},
    {{"__complete", "resolve", "--pl"}, "--platform=\n"},
    {{"__complete", "resolve", "--platform", ""}, "linux\nwindows\n"},
    {{"__complete", "resolve", "jax"}, "jax\njax[cuda12]\njax[cuda13]\n"},
    {{"__complete", "env", "--shell", "t"}, "tcsh\ntcl-module\n"},
    {{"__complete", "env", "--shell=f"}, "--shell=fish\n"},
    {{"__complete", "modulefile", "--format", ""}, "lua\ntcl\n"},
    {{"__complete", "run", "--c"}, "--clean\n--color=\n"},
    {{"__complete", "doctor", "--f"}, "--fix-plan\n"},
    {{"__complete", "mirror", ""}, ":dirs\n"},
    {{"__complete", "mirror", "/srv/m", "tor"}, "torch\n"},
    {{"__complete", "cache", "--f"}, "--force\n"},
    {{"__complete", "do"}, "doctor\n"},
    {{"__complete", "resolve", "--python=3.1"}, "--python=3.10\n--python=3.11\n--python=3.12\n--python=3.13\n--python=3.14\n"},
};

START_TEST(completion_helper)
{
    struct run r = {{"gpuenv"}, 1};
    for (int i = 0; i < 5 && complete_cases[_i].a[i]; i++)
        r.argv[r.argc++] = (char *)complete_cases[_i].a[i];
    char *out, *err;
    ck_assert_int_eq(capture(run_main, &r, &out, &err), 0);
    ck_assert_str_eq(out, complete_cases[_i].want);
    FREE2;
}
END_TEST

START_TEST(global_options_after_the_command)
{
    char *out, *err;
    ck_assert_int_eq(gpuenv(&out, &err, "detect", "--driver=580.65.06", "-q", "--color=never", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "580.65.06"));
    FREE2;
}
END_TEST

Suite *suite_cli(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, no_command_is_usage);
    tcase_add_test(tc, help_and_version);
    tcase_add_loop_test(tc, usage_errors_exit_2, 0, sizeof usage_cases / sizeof usage_cases[0]);
    tcase_add_test(tc, json_usage_error_is_a_document);
    tcase_add_test(tc, detect_override_json);
    tcase_add_loop_test(tc, completion_helper, 0, sizeof complete_cases / sizeof complete_cases[0]);
    tcase_add_test(tc, global_options_after_the_command);
    suite_add_tcase(s, tc);
    return s;
}
