/* test_activate.c: the one list of environment changes and its renderings: quoting in every
 * dialect, the shape of each script (no subprocess when sourced), names, the shadowing check and
 * --clean. The scripts run in real shells in tests/e2e/t_activate.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "activate.h"
#include "str.h"
#include "tests.h"

typedef void (*quote_fn)(struct ge_buf *, const char *);

static char *quoted(quote_fn q, const char *v)
{
    struct ge_buf b;
    ge_buf_init(&b);
    q(&b, v);
    char *s = strdup(ge_buf_str(&b));
    ge_buf_fini(&b);
    return s;
}

static char *render(const char *prefix, enum ge_shell sh, bool for_eval)
{
    struct ge_env env;
    ge_env_for_prefix(&env, prefix, false);
    struct ge_buf b;
    ge_buf_init(&b);
    ck_assert_int_eq(ge_env_render(&env, sh, for_eval, &b), 0);
    char *s = strdup(ge_buf_str(&b));
    ge_buf_fini(&b);
    return s;
}

START_TEST(sh_and_fish_quoting)
{
    char *s = quoted(ge_sh_quote, "it's $HOME `x` \\ \"q\"");
    ck_assert_str_eq(s, "'it'\\''s $HOME `x` \\ \"q\"'");
    free(s);
    s = quoted(ge_fish_quote, "it's $HOME \\ (x)");
    ck_assert_str_eq(s, "'it\\'s $HOME \\\\ (x)'");
    free(s);
}
END_TEST

/* every dialect's rendering of a hostile path holds it quoted the dialect's way */
START_TEST(every_dialect_quotes_the_prefix)
{
    const char *p = "/w/a b'c$d\\e!f[g]{h}\xe2\x80\x99i\xc3\xa9/.gpuenv";
    static const struct {
        enum ge_shell sh;
        const char *want; /* CUDA_HOME's assignment */
    } cases[] = {
        {GE_SHELL_SH, "CUDA_HOME='/w/a b'\\''c$d\\e!f[g]{h}\xe2\x80\x99i\xc3\xa9/.gpuenv'; export CUDA_HOME"},
        {GE_SHELL_FISH, "set -gx CUDA_HOME '/w/a b\\'c$d\\\\e!f[g]{h}\xe2\x80\x99i\xc3\xa9/.gpuenv'"},
        {GE_SHELL_CSH, "setenv CUDA_HOME '/w/a b'\\''c$d\\e'\\!'f[g]{h}\xe2\x80\x99i\xc3\xa9/.gpuenv' ;"},
        {GE_SHELL_PWSH, "$env:CUDA_HOME = '/w/a b''c$d\\e!f[g]{h}\xe2\x80\x99\xe2\x80\x99i\xc3\xa9/.gpuenv'"},
        {GE_SHELL_LMOD, "pushenv(\"CUDA_HOME\", \"/w/a b'c$d\\\\e!f[g]{h}\xe2\x80\x99i\xc3\xa9/.gpuenv\")"},
        {GE_SHELL_TCL, "gpuenv_set CUDA_HOME [encoding convertfrom utf-8 \"/w/a b'c\\$d\\\\e!f\\[g\\]\\{h\\}"
                      "\\u00e2\\u0080\\u0099i\\u00c3\\u00a9/.gpuenv\"]"},
        {GE_SHELL_DOTENV, "CUDA_HOME=/w/a b'c$d\\e!f[g]{h}\xe2\x80\x99i\xc3\xa9/.gpuenv\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = render(p, cases[i].sh, false);
        ck_assert_msg(strstr(s, cases[i].want), "%s lacks %s", ge_shell_name(cases[i].sh), cases[i].want);
        free(s);
    }
    /* Lua escapes control bytes; a prefix never has them (refused), a name never either */
    struct ge_env env;
    ge_env_for_prefix(&env, "/p/.gpuenv", false);
    ge_strlcpy(env.changes[0].value, "a\"b\x01", sizeof env.changes[0].value);
    struct ge_buf b;
    ge_buf_init(&b);
    ge_env_render(&env, GE_SHELL_LMOD, false, &b);
    ck_assert_ptr_nonnull(strstr(ge_buf_str(&b), "pushenv(\"CUDA_HOME\", \"a\\\"b\\001\")"));
    ge_buf_fini(&b);
}
END_TEST

START_TEST(scripts_run_no_subprocess_and_undo_everything)
{
    static const enum ge_shell shells[] = {GE_SHELL_SH, GE_SHELL_FISH, GE_SHELL_CSH, GE_SHELL_PWSH};
    for (size_t i = 0; i < sizeof shells / sizeof shells[0]; i++) {
        char *s = render("/p q/.gpuenv", shells[i], false);
        /* no command substitution: sourcing costs builtins only (fish's (string ...) is a builtin) */
        ck_assert_msg(!strstr(s, "$(") || shells[i] == GE_SHELL_PWSH, "%s", ge_shell_name(shells[i]));
        ck_assert_msg(!strchr(s, '`'), "%s", ge_shell_name(shells[i]));
        if (shells[i] == GE_SHELL_FISH) {
            char *copy = strdup(s), *save = NULL;
            for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strstr(line, "gpuenv: warning:"))
                    continue; /* parentheses inside the warning's text */
                for (const char *p = strchr(line, '('); p; p = strchr(p + 1, '('))
                    ck_assert_msg(strncmp(p, "(string ", 8) == 0 || p[-1] == '\'', "fish substitution: %s", line);
            }
            free(copy);
        }
        ck_assert_ptr_nonnull(strstr(s, "gpuenv_deactivate"));
        ck_assert_ptr_nonnull(strstr(s, "GPUENV_NO_PROMPT"));
        ck_assert_ptr_nonnull(strstr(s, "gpuenv: warning: LD_LIBRARY_PATH also holds CUDA or cuDNN"));
        /* every variable set is restored by name */
        static const char *const vars[] = {"CUDA_HOME", "CUDA_PATH", "CUDNN_PATH", "GPUENV_PREFIX",
                                           "GPUENV_NAME", "PATH", "LD_LIBRARY_PATH"};
        for (size_t k = 0; k < sizeof vars / sizeof vars[0]; k++)
            ck_assert_msg(strstr(s, vars[k]), "%s lacks %s", ge_shell_name(shells[i]), vars[k]);
        free(s);
    }
    char *s = render("/p q/.gpuenv", GE_SHELL_SH, false);
    ck_assert_ptr_nonnull(strstr(s, "PATH='/p q/.gpuenv/bin'${PATH:+\":$PATH\"}; export PATH"));
    ck_assert_ptr_nonnull(strstr(s, "PS1=\"(p_q) $PS1\""));
    free(s);
    /* modulefiles: pushenv restores on unload, prepend_path removes its entry */
    s = render("/p q/.gpuenv", GE_SHELL_LMOD, false);
    ck_assert_ptr_nonnull(strstr(s, "prepend_path(\"LD_LIBRARY_PATH\", \"/p q/.gpuenv/lib\")"));
    ck_assert_ptr_null(strstr(s, "setenv("));
    free(s);
    s = render("/p q/.gpuenv", GE_SHELL_TCL, false);
    ck_assert(strncmp(s, "#%Module", 8) == 0);
    ck_assert_ptr_nonnull(strstr(s, "prepend-path PATH \"/p q/.gpuenv/bin\""));
    free(s);
}
END_TEST

/* csh for eval: one statement a line, each ended by ';', no comment (eval joins the lines) */
START_TEST(csh_for_eval_survives_joined_lines)
{
    char *s = render("/p/.gpuenv", GE_SHELL_CSH, true);
    ck_assert_ptr_null(strchr(s, '#'));
    ck_assert_ptr_null(strstr(s, "endif"));
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"))
        ck_assert_msg(strlen(line) >= 2 && strcmp(line + strlen(line) - 2, " ;") == 0, "%s", line);
    free(s);
    s = render("/p/.gpuenv", GE_SHELL_CSH, false);
    ck_assert_ptr_nonnull(strstr(s, "foreach _gpuenv_d"));
    free(s);
}
END_TEST

START_TEST(names_and_shells)
{
    static const struct {
        const char *prefix, *name;
    } names[] = {
        {"/w/my project/.gpuenv", "my_project"}, {"/w/a'b$c/.gpuenv/", "a_b_c"},
        {"/w/caf\xc3\xa9/.gpuenv", "caf_"},      {"/opt/envs/torch-2.5", "torch-2.5"},
        {"/.gpuenv", "gpuenv"},                  {"/w/x+y@z.1/.gpuenv", "x+y@z.1"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char n[128];
        ge_env_name(names[i].prefix, n, sizeof n);
        ck_assert_str_eq(n, names[i].name);
    }
    enum ge_shell sh;
    ck_assert_int_eq(ge_shell_parse("/usr/bin/zsh", &sh), 0);
    ck_assert_int_eq(sh, GE_SHELL_SH);
    ck_assert_int_eq(ge_shell_parse("-bash", &sh), 0);
    ck_assert_int_eq(sh, GE_SHELL_SH);
    ck_assert_int_eq(ge_shell_parse("tcsh", &sh), 0);
    ck_assert_int_eq(sh, GE_SHELL_CSH);
    ck_assert_int_eq(ge_shell_parse("powershell", &sh), 0);
    ck_assert_int_eq(sh, GE_SHELL_PWSH);
    ck_assert_int_eq(ge_shell_parse("tcl-module", &sh), 0);
    ck_assert_int_eq(sh, GE_SHELL_TCL);
    ck_assert_int_eq(ge_shell_parse("nu", &sh), -1);
    ck_assert_str_eq(ge_shell_file(GE_SHELL_FISH), "activate.fish");
    ck_assert_ptr_null(ge_shell_file(GE_SHELL_DOTENV));
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_env_check_path("/a\nb", &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_env_check_path("/a b'$\\!\xc3\xa9", &err), 0);
}
END_TEST

START_TEST(shadowing_and_clean)
{
    char *d = temp_dir();
    char a[512], b[512], c[512], pre[512], f[600], ld[4096];
    snprintf(a, sizeof a, "%s/cuda-12/lib64", d);        /* a system toolkit */
    snprintf(b, sizeof b, "%s/site/nvidia/cudnn/lib", d); /* a pip wheel's folder */
    snprintf(c, sizeof c, "%s/other lib", d);             /* nothing CUDA */
    snprintf(pre, sizeof pre, "%s/proj/.gpuenv", d);
    /* write_file makes the folders */
    snprintf(f, sizeof f, "%s/libcudart.so.12", a);
    write_file(f, "");
    snprintf(f, sizeof f, "%s/libcudnn.so.9", b);
    write_file(f, "");
    snprintf(f, sizeof f, "%s/x", c);
    write_file(f, "");
    snprintf(f, sizeof f, "%s/lib/libcudart.so.12", pre);
    write_file(f, "");
    /* the prefix's own lib never counts; repeats count once; empty entries are skipped */
    snprintf(ld, sizeof ld, "%s:%s::%s:%s:%s/lib", a, c, b, a, pre);
    struct ge_buf out;
    ge_buf_init(&out);
    ck_assert_int_eq(ge_env_shadowing(ld, pre, &out), 2);
    char want[1200];
    snprintf(want, sizeof want, "%s, %s", a, b);
    ck_assert_str_eq(ge_buf_str(&out), want);
    ge_buf_fini(&out);
    ge_buf_init(&out);
    ck_assert_int_eq(ge_env_shadowing(NULL, pre, &out), 0);
    ck_assert_int_eq(ge_env_shadowing(c, pre, &out), 0);
    ge_buf_fini(&out);
    struct ge_env env;
    ge_env_for_prefix(&env, pre, false);
    ge_env_clean(&env, ld);
    bool found = false;
    for (int i = 0; i < env.n; i++)
        if (strcmp(env.changes[i].name, "LD_LIBRARY_PATH") == 0) {
            ck_assert_int_eq(env.changes[i].op, GE_ENV_SET);
            snprintf(want, sizeof want, "%s/lib:%s", pre, c);
            ck_assert_str_eq(env.changes[i].value, want);
            found = true;
        }
    ck_assert(found);
    rm_rf(d);
    free(d);
}
END_TEST

START_TEST(dotenv_holds_final_values_and_rc_files_source_the_user_first)
{
    setenv("PATH", "/usr/bin:/bin", 1);
    unsetenv("LD_LIBRARY_PATH");
    char *s = render("/p q/.gpuenv", GE_SHELL_DOTENV, false);
    ck_assert_ptr_nonnull(strstr(s, "\nPATH=/p q/.gpuenv/bin:/usr/bin:/bin\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nLD_LIBRARY_PATH=/p q/.gpuenv/lib\n"));
    ck_assert_ptr_nonnull(strstr(s, "\nGPUENV_NAME=p_q\n"));
    free(s);
    struct ge_buf b;
    ge_buf_init(&b);
    ge_shell_rc("/p'q/.gpuenv", GE_RC_BASH, &b);
    const char *t = ge_buf_str(&b);
    const char *user = strstr(t, ". ~/.bashrc"), *act = strstr(t, ". '/p'\\''q/.gpuenv'/activate");
    ck_assert(user && act && user < act);
    ge_buf_fini(&b);
    ge_buf_init(&b);
    ge_shell_rc("/p/.gpuenv", GE_RC_ZSHENV, &b);
    ck_assert_ptr_nonnull(strstr(ge_buf_str(&b), "ZDOTDIR='/p/.gpuenv'/shell"));
    ge_buf_fini(&b);
    ck_assert_str_eq(ge_shell_rc_file(GE_RC_ZSHRC), ".zshrc");
}
END_TEST

Suite *suite_activate(void)
{
    Suite *s = suite_create("activate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, sh_and_fish_quoting);
    tcase_add_test(tc, every_dialect_quotes_the_prefix);
    tcase_add_test(tc, scripts_run_no_subprocess_and_undo_everything);
    tcase_add_test(tc, csh_for_eval_survives_joined_lines);
    tcase_add_test(tc, names_and_shells);
    tcase_add_test(tc, shadowing_and_clean);
    tcase_add_test(tc, dotenv_holds_final_values_and_rc_files_source_the_user_first);
    suite_add_tcase(s, tc);
    return s;
}
