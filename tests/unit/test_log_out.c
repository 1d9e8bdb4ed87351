/* test_log_out.c: stderr diagnostics by level and colour; JSON documents on stdout. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "out.h"
#include "tests.h"

static int emit_all(void *arg)
{
    (void)arg;
    struct ge_err e;
    ge_err_clear(&e);
    ge_err_set(&e, GE_EXIT_NO_DRIVER, "no driver");
    ge_err_hint(&e, "install one");
    ge_log_err(&e);
    ge_log_warn("careful");
    ge_log_info("chatter");
    ge_log_debug("details");
    return 0;
}

START_TEST(levels_filter_stderr_only)
{
    char *out, *err;
    ge_log_setup(GE_LOG_NORMAL, GE_COLOR_NEVER);
    capture(emit_all, NULL, &out, &err);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "gpuenv: error: no driver\nhint: install one\ngpuenv: warning: careful\n");
    free(out);
    free(err);

    ge_log_setup(GE_LOG_QUIET, GE_COLOR_NEVER);
    capture(emit_all, NULL, &out, &err);
    ck_assert_str_eq(err, "gpuenv: error: no driver\nhint: install one\n");
    free(out);
    free(err);

    ge_log_setup(GE_LOG_DEBUG, GE_COLOR_NEVER);
    capture(emit_all, NULL, &out, &err);
    ck_assert_ptr_nonnull(strstr(err, "gpuenv: chatter\ngpuenv: debug: details\n"));
    free(out);
    free(err);

    ge_log_setup(GE_LOG_NORMAL, GE_COLOR_ALWAYS);
    capture(emit_all, NULL, &out, &err);
    ck_assert_ptr_nonnull(strstr(err, "\033[1;31mgpuenv: error: \033[0mno driver"));
    free(out);
    free(err);
    ge_log_setup(GE_LOG_NORMAL, GE_COLOR_NEVER);
}
END_TEST

START_TEST(color_auto_rules)
{
    /* In the test runner stdout is not a terminal (captured or piped by make). */
    ck_assert(ge_color_enabled(GE_COLOR_ALWAYS, stdout));
    ck_assert(!ge_color_enabled(GE_COLOR_NEVER, stdout));
    setenv("NO_COLOR", "1", 1);
    ck_assert(!ge_color_enabled(GE_COLOR_AUTO, stdout));
    ck_assert(ge_color_enabled(GE_COLOR_ALWAYS, stdout));
    unsetenv("NO_COLOR");
    ge_out_setup(GE_COLOR_NEVER);
    ck_assert_str_eq(ge_out_style(GE_STYLE_BOLD), "");
    ge_out_setup(GE_COLOR_ALWAYS);
    ck_assert_str_eq(ge_out_style(GE_STYLE_BOLD), "\033[1m");
    ge_out_setup(GE_COLOR_NEVER);
}
END_TEST

static int print_error_doc(void *arg)
{
    return ge_out_json_error(arg);
}

START_TEST(json_error_document)
{
    struct ge_err e;
    ge_err_clear(&e);
    ge_err_set(&e, GE_EXIT_USAGE, "bad \"quote\"");
    char *out, *err;
    ck_assert_int_eq(capture(print_error_doc, &e, &out, &err), 0);
    cJSON *doc = cJSON_Parse(out);
    ck_assert_ptr_nonnull(doc);
    /* fixed key order: schema, ok, error */
    ck_assert_str_eq(doc->child->string, "schema");
    ck_assert_int_eq(doc->child->valueint, 1);
    ck_assert_str_eq(doc->child->next->string, "ok");
    ck_assert(cJSON_IsFalse(doc->child->next));
    cJSON *er = cJSON_GetObjectItem(doc, "error");
    ck_assert_str_eq(cJSON_GetObjectItem(er, "kind")->valuestring, "usage");
    ck_assert_int_eq(cJSON_GetObjectItem(er, "exit")->valueint, 2);
    ck_assert_str_eq(cJSON_GetObjectItem(er, "message")->valuestring, "bad \"quote\"");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(er, "hint")));
    ck_assert_str_eq(err, "");
    cJSON_Delete(doc);
    free(out);
    free(err);
}
END_TEST

Suite *suite_log_out(void)
{
    Suite *s = suite_create("log+out");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, levels_filter_stderr_only);
    tcase_add_test(tc, color_auto_rules);
    tcase_add_test(tc, json_error_document);
    suite_add_tcase(s, tc);
    return s;
}
