/* cmd_env.c: using an installed environment: 'gpuenv env' (print the activation for a shell or
 * module system), 'gpuenv run' (one command inside it), 'gpuenv shell' (an interactive shell
 * inside it) and 'gpuenv modulefile' (a modulefile for Lmod or Environment Modules). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activate.h"
#include "lock.h"
#include "cmds.h"
#include "out.h"
#include "store.h"
#include "str.h"

/* Each option once, as an initializer: the tables below are subsets (C11 cannot initialise from
 * another const array's elements, so these are macros rather than an array to index). */
#define O_JSON {"json", 0, false, NULL, "print one JSON document (also on failure)", NULL}
#define O_DIR {"directory", 'C', true, "DIR", "the project folder (default: the current one)", "@dir"}
#define O_PREFIX {"prefix", 0, true, "DIR", "the prefix instead of the project's .gpuenv", "@dir"}
#define O_SHELL {"shell", 0, true, "SHELL", "the format: " GE_SHELL_NAMES " (default: from $SHELL)", GE_SHELL_NAMES}
#define O_CLEAN {"clean", 0, false, NULL, "leave out LD_LIBRARY_PATH entries that hold another CUDA or cuDNN", NULL}
#define O_FORMAT {"format", 0, true, "FORMAT", "lua (Lmod, the default) or tcl (Environment Modules)", "lua tcl"}
#define O_INSTALL {"install", 0, true, "DIR", "write DIR/gpuenv/NAME.lua (or the Tcl file NAME) atomically", "@dir"}
#define O_NAME {"name", 0, true, "NAME", "the module's name (default: the project folder's name)", NULL}
#define END {NULL, 0, false, NULL, NULL, NULL}

static const struct ge_opt env_opts[] = {O_JSON, O_DIR, O_PREFIX, O_SHELL, O_CLEAN, END};
static const struct ge_opt run_opts[] = {O_DIR, O_PREFIX, O_CLEAN, END};
static const struct ge_opt shell_opts[] = {O_DIR, O_PREFIX, O_CLEAN, END};
static const struct ge_opt module_opts[] = {O_JSON, O_DIR, O_PREFIX, O_FORMAT, O_INSTALL, O_NAME, END};

struct opts {
    bool json, clean, has_shell;
    const char *dir, *prefix, *install, *name;
    enum ge_shell shell;
    bool tcl;
    int first; /* first positional argument */
};

/* Parse by option name (each command's table is a subset of the options above). */
static int parse(struct ge_ctx *ctx, int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    struct ge_cli_iter it;
    ge_cli_iter_init(&it, ctx, argc, argv);
    const char *arg;
    int i, bad = 0;
    while ((i = ge_cli_next(&it, &arg)) >= 0) {
        const char *n = ctx->cmd->opts[i].name;
        if (strcmp(n, "json") == 0)
            o->json = true;
        else if (strcmp(n, "directory") == 0)
            o->dir = arg;
        else if (strcmp(n, "prefix") == 0)
            o->prefix = arg;
        else if (strcmp(n, "clean") == 0)
            o->clean = true;
        else if (strcmp(n, "install") == 0)
            o->install = arg;
        else if (strcmp(n, "name") == 0)
            o->name = arg;
        else if (strcmp(n, "shell") == 0) {
            o->has_shell = true;
            if (!bad && ge_shell_parse(arg, &o->shell) < 0)
                bad = ge_cli_usage(ctx, "unknown shell '%s': use one of %s", arg, GE_SHELL_NAMES);
        } else if (strcmp(n, "format") == 0) {
            o->tcl = strcmp(arg, "tcl") == 0;
            if (!bad && !o->tcl && strcmp(arg, "lua") != 0)
                bad = ge_cli_usage(ctx, "unknown --format '%s': use lua or tcl", arg);
        }
    }
    o->first = it.optind;
    ge_cli_iter_fini(&it);
    return i == -2 || bad ? -1 : 0;
}

/* The environment of the project's prefix, which must exist. */
static int load_env(struct ge_ctx *ctx, const struct opts *o, struct ge_env *env)
{
    char project[PATH_MAX], prefix[PATH_MAX];
    if (ge_store_project_paths(o->dir, o->prefix, project, sizeof project, prefix, sizeof prefix, &ctx->err) < 0 ||
        ge_store_require_prefix(prefix, &ctx->err) < 0 || ge_env_check_path(prefix, &ctx->err) < 0)
        return -1;
    char py[PATH_MAX + 32], record[PATH_MAX + 32];
    snprintf(py, sizeof py, "%s/venv/bin/python", prefix);
    snprintf(record, sizeof record, "%s/gpuenv-prefix.lock", prefix);
    /* the prefix's own record says whose GPUs it was made for (none: an older prefix, NVIDIA's) */
    struct ge_lockfile l;
    struct ge_err lerr;
    ge_lock_init(&l);
    ge_err_clear(&lerr);
    if (access(record, F_OK) != 0 || ge_lock_read(record, &l, &lerr) < 0)
        ge_lock_fini(&l); /* what a damaged record left: nothing */
    ge_env_for_vendor(env, prefix, access(py, F_OK) == 0, l.vendor, l.hsa_override);
    ge_lock_fini(&l);
    return 0;
}

/* The shadowing check of the scripts, for what gpuenv says itself ('option' names the cure). */
static void warn_shadowing(const struct ge_env *env, const char *option)
{
    struct ge_buf b;
    ge_buf_init(&b);
    if (ge_env_shadowing(getenv("LD_LIBRARY_PATH"), env->prefix, &b) > 0)
        ge_log_warn("LD_LIBRARY_PATH also holds CUDA or cuDNN libraries in %s; the environment's own come first "
                    "(%s leaves those out)",
                    ge_buf_str(&b), option);
    ge_buf_fini(&b);
}

static enum ge_shell shell_from_env(void)
{
    enum ge_shell sh = GE_SHELL_SH;
    const char *s = getenv("SHELL");
    if (s && *s && ge_shell_parse(s, &sh) == 0 && sh <= GE_SHELL_PWSH)
        return sh;
    return GE_SHELL_SH;
}

/* ---- env ---- */

static int env_run(struct ge_ctx *ctx, int argc, char **argv)
{
    struct opts o;
    if (parse(ctx, argc, argv, &o) < 0)
        return ctx->err.status;
    if (o.first < argc)
        return ge_cli_usage(ctx, "unexpected argument '%s'", argv[o.first]), ctx->err.status;
    enum ge_shell sh = o.has_shell ? o.shell : shell_from_env();
    if (o.clean && (sh == GE_SHELL_LMOD || sh == GE_SHELL_TCL)) {
        ge_cli_usage(ctx, "--clean does not apply to modulefiles: 'module unload' could not put the entries back");
        return ctx->err.status;
    }
    struct ge_env env;
    if (load_env(ctx, &o, &env) < 0)
        return ctx->err.status;
    const char *ld = getenv("LD_LIBRARY_PATH");
    if (o.json) {
        cJSON *doc = ge_json_doc(true);
        cJSON_AddStringToObject(doc, "prefix", env.prefix);
        cJSON_AddStringToObject(doc, "name", env.name);
        /* the entries of LD_LIBRARY_PATH that hold another CUDA or cuDNN, each once; joined by
         * ':', which no entry holds */
        struct ge_buf shadow;
        ge_buf_init(&shadow);
        ge_env_shadowing_sep(ld, env.prefix, ":", &shadow);
        if (o.clean)
            ge_env_clean(&env, ld);
        cJSON *cs = cJSON_AddArrayToObject(doc, "changes");
        for (int i = 0; i < env.n; i++) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "op", env.changes[i].op == GE_ENV_PREPEND ? "prepend" : "set");
            cJSON_AddStringToObject(c, "name", env.changes[i].name);
            cJSON_AddStringToObject(c, "value", env.changes[i].value);
            cJSON_AddItemToArray(cs, c);
        }
        cJSON *sa = cJSON_AddArrayToObject(doc, "shadowing");
        for (const char *p = ge_buf_str(&shadow); *p;) {
            size_t len = strcspn(p, ":");
            char dir[4200];
            snprintf(dir, sizeof dir, "%.*s", (int)len, p);
            cJSON_AddItemToArray(sa, cJSON_CreateString(dir));
            p += len + (p[len] == ':');
        }
        ge_buf_fini(&shadow);
        if (ge_out_json(doc) == 0)
            ctx->json_printed = true;
        return GE_EXIT_OK;
    }
    if (o.clean)
        ge_env_clean(&env, ld);
    else if (sh == GE_SHELL_CSH) /* csh cannot eval the multi-line check: say it here, to stderr */
        warn_shadowing(&env, "'gpuenv env --clean'");
    const char *bad = sh == GE_SHELL_DOTENV ? ge_env_dotenv_unwritable(&env) : NULL;
    if (bad) {
        ge_err_set(&ctx->err, GE_EXIT_USAGE, "%s holds a line break: a dotenv line cannot carry it", bad);
        ge_err_hint(&ctx->err, "set %s without the line break and run 'gpuenv env' again", bad);
        return ctx->err.status;
    }
    struct ge_buf out;
    ge_buf_init(&out);
    if (ge_env_render(&env, sh, true, &out) < 0) {
        ge_buf_fini(&out);
        return ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory"), ctx->err.status;
    }
    fputs(ge_buf_str(&out), stdout);
    ge_buf_fini(&out);
    return GE_EXIT_OK;
}

/* ---- run ---- */

static int run_run(struct ge_ctx *ctx, int argc, char **argv)
{
    struct opts o;
    if (parse(ctx, argc, argv, &o) < 0)
        return ctx->err.status;
    if (o.first >= argc)
        return ge_cli_usage(ctx, "no command given: gpuenv run [options] -- COMMAND [ARG...]"), ctx->err.status;
    struct ge_env env;
    if (load_env(ctx, &o, &env) < 0)
        return ctx->err.status;
    if (o.clean)
        ge_env_clean(&env, getenv("LD_LIBRARY_PATH"));
    else
        warn_shadowing(&env, "--clean");
    if (ge_env_apply(&env, &ctx->err) < 0)
        return ctx->err.status;
    fflush(stdout);
    fflush(stderr);
    execvp(argv[o.first], argv + o.first);
    /* as env(1) and the shells: 127 when the command is not there, 126 when it cannot run */
    int e = errno;
    ge_err_set(&ctx->err, e == ENOENT ? 127 : 126, "cannot run '%s': %s", argv[o.first], strerror(e));
    ge_err_hint(&ctx->err, e == ENOENT ? "the environment's PATH starts with %s/bin; check the command's name"
                                       : "check the file's permissions (%s/bin comes first in PATH)",
                env.prefix);
    return ctx->err.status;
}

/* ---- shell ---- */

static int shell_run(struct ge_ctx *ctx, int argc, char **argv)
{
    struct opts o;
    if (parse(ctx, argc, argv, &o) < 0)
        return ctx->err.status;
    if (o.first < argc)
        return ge_cli_usage(ctx, "unexpected argument '%s'", argv[o.first]), ctx->err.status;
    struct ge_env env;
    if (load_env(ctx, &o, &env) < 0)
        return ctx->err.status;
    const char *inside = getenv("GPUENV_SHELL");
    if (inside && *inside)
        ge_log_warn("already inside 'gpuenv shell' for %s; this one starts inside it", inside);
    const char *shell = getenv("SHELL");
    if (!shell || !*shell)
        shell = "/bin/sh";
    const char *base = strrchr(shell, '/');
    base = base ? base + 1 : shell;
    enum ge_shell kind = GE_SHELL_SH;
    bool known = ge_shell_parse(shell, &kind) == 0;
    char rc[PATH_MAX + 64], init[PATH_MAX + 64];
    const char *args[6] = {shell, NULL};
    struct ge_buf cmdline;
    ge_buf_init(&cmdline);
    if (o.clean) { /* the activation adds the prefix's own lib, and finds nothing to warn about */
        struct ge_buf rest;
        ge_buf_init(&rest);
        ge_env_other_libs(getenv("LD_LIBRARY_PATH"), env.prefix, &rest);
        if (rest.len)
            setenv("LD_LIBRARY_PATH", ge_buf_str(&rest), 1);
        else
            unsetenv("LD_LIBRARY_PATH");
        ge_buf_fini(&rest);
    }
    /* bash, zsh and fish run the user's start-up first and the activation (prompt included) last;
     * another shell gets the variables, without a prompt */
    if (strcmp(base, "bash") == 0) {
        snprintf(rc, sizeof rc, "%s/shell/%s", env.prefix, ge_shell_rc_file(GE_RC_BASH));
        args[1] = "--rcfile";
        args[2] = rc;
        args[3] = "-i";
    } else if (strcmp(base, "zsh") == 0) {
        snprintf(rc, sizeof rc, "%s/shell", env.prefix);
        const char *z = getenv("ZDOTDIR");
        if (z)
            setenv("_GPUENV_ZDOTDIR", z, 1);
        else
            unsetenv("_GPUENV_ZDOTDIR");
        setenv("ZDOTDIR", rc, 1);
        args[1] = "-i";
    } else if (known && kind == GE_SHELL_FISH) {
        ge_buf_adds(&cmdline, "source ");
        ge_fish_quote(&cmdline, env.prefix);
        ge_buf_adds(&cmdline, "/activate.fish");
        snprintf(init, sizeof init, "%s", ge_buf_str(&cmdline));
        args[1] = "-C";
        args[2] = init;
    } else {
        if (!o.clean)
            warn_shadowing(&env, "--clean");
        if (ge_env_apply(&env, &ctx->err) < 0) {
            ge_buf_fini(&cmdline);
            return ctx->err.status;
        }
    }
    ge_buf_fini(&cmdline);
    setenv("GPUENV_SHELL", env.name, 1);
    ge_log_info("starting %s in the environment '%s'; 'exit' leaves it", shell, env.name);
    fflush(stdout);
    fflush(stderr);
    execvp(shell, (char *const *)args);
    int e = errno;
    ge_err_set(&ctx->err, GE_EXIT_FAILURE, "cannot start the shell '%s': %s", shell, strerror(e));
    ge_err_hint(&ctx->err, "set SHELL to a shell that exists, or use 'gpuenv run -- COMMAND'");
    return ctx->err.status;
}

/* ---- modulefile ---- */

static int module_run(struct ge_ctx *ctx, int argc, char **argv)
{
    struct opts o;
    if (parse(ctx, argc, argv, &o) < 0)
        return ctx->err.status;
    if (o.first < argc)
        return ge_cli_usage(ctx, "unexpected argument '%s'", argv[o.first]), ctx->err.status;
    if (o.name && (!*o.name || strchr(o.name, '/') || o.name[0] == '.'))
        return ge_cli_usage(ctx, "invalid --name '%s': a module name is one path component", o.name),
               ctx->err.status;
    struct ge_env env;
    if (load_env(ctx, &o, &env) < 0)
        return ctx->err.status;
    if (o.name)
        ge_env_name(o.name, env.name, sizeof env.name);
    bool odd = false; /* what Lmod 8.6 misreads in a Tcl modulefile */
    for (const unsigned char *p = (const unsigned char *)env.prefix; *p; p++)
        odd = odd || *p == '\\' || *p >= 0x80;
    if (o.tcl && odd)
        ge_log_warn("the prefix path holds a backslash or a non-ASCII character, which Lmod 8.6 misreads in Tcl "
                    "modulefiles (Environment Modules reads them right); with Lmod use the Lua format");
    struct ge_buf text;
    ge_buf_init(&text);
    ge_env_render(&env, o.tcl ? GE_SHELL_TCL : GE_SHELL_LMOD, false, &text);
    char path[PATH_MAX + 256] = "";
    int status = GE_EXIT_OK;
    if (o.install) {
        char dir[PATH_MAX + 16];
        struct stat st;
        if (stat(o.install, &st) < 0 || !S_ISDIR(st.st_mode)) {
            ge_err_set(&ctx->err, GE_EXIT_USAGE, "module folder '%s': %s", o.install,
                       errno == 0 || errno == ENOENT ? "no such folder" : strerror(errno));
            ge_err_hint(&ctx->err, "give a folder on MODULEPATH (or one for 'module use')");
            status = ctx->err.status;
        } else if (ge_fmt(dir, sizeof dir, "%s/gpuenv", o.install) < 0 ||
                   ge_fmt(path, sizeof path, "%s/%s%s", dir, env.name, o.tcl ? "" : ".lua") < 0) {
            ge_err_set(&ctx->err, GE_EXIT_USAGE, "module path too long");
            status = ctx->err.status;
        } else if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
            ge_err_set(&ctx->err, GE_EXIT_FAILURE, "cannot make '%s': %s", dir, strerror(errno));
            status = ctx->err.status;
        } else if (ge_write_file(path, text.data, text.len) < 0) {
            ge_err_set(&ctx->err, GE_EXIT_FAILURE, "cannot write '%s': %s", path, strerror(errno));
            status = ctx->err.status;
        }
    }
    if (status == GE_EXIT_OK) {
        if (o.json) {
            cJSON *doc = ge_json_doc(true);
            cJSON_AddStringToObject(doc, "prefix", env.prefix);
            cJSON_AddStringToObject(doc, "name", env.name);
            cJSON_AddStringToObject(doc, "format", o.tcl ? "tcl" : "lua");
            ge_json_add_strn(doc, "path", path[0] ? path : NULL);
            if (!path[0])
                cJSON_AddStringToObject(doc, "text", ge_buf_str(&text));
            if (ge_out_json(doc) == 0)
                ctx->json_printed = true;
        } else if (path[0]) {
            printf("wrote %s\nload it with:  module use %s && module load gpuenv/%s\n", path, o.install, env.name);
        } else {
            fputs(ge_buf_str(&text), stdout);
        }
    }
    ge_buf_fini(&text);
    return status;
}

const struct ge_cmd ge_cmd_env = {
    "env", "", "print the environment's activation for a shell, dotenv or a module system",
    "Print the project's activation for SHELL, to evaluate in the current shell:\n"
    "  eval \"$(gpuenv env --shell bash)\"    gpuenv env --shell fish | source\n"
    "  eval \"`gpuenv env --shell csh`\"      gpuenv env --shell pwsh | Out-String | Invoke-Expression\n"
    "The same text as the .gpuenv/activate* files; dotenv prints the final values (docker --env-file),\n"
    "lmod and tcl-module a modulefile. --clean leaves out LD_LIBRARY_PATH entries holding another\n"
    "CUDA or cuDNN. --json prints the list of changes instead.",
    env_opts, env_run, false, NULL, false,
};

const struct ge_cmd ge_cmd_run = {
    "run", "[--] COMMAND [ARG...]", "run one command inside the environment",
    "Run COMMAND with the project's environment applied, without touching the calling shell (for\n"
    "scripts, batch jobs and CI). gpuenv replaces itself with the command (exec): its exit status and\n"
    "signals pass through unchanged. 127 when the command is not found, 126 when it cannot run.\n"
    "Options end at COMMAND.",
    run_opts, run_run, false, NULL, true,
};

const struct ge_cmd ge_cmd_shell = {
    "shell", "", "start $SHELL with the environment active",
    "Start an interactive $SHELL with the project's environment active; 'exit' leaves it. bash, zsh\n"
    "and fish run the user's own start-up files first, then the activation (prompt included); other\n"
    "shells get the variables. GPUENV_SHELL holds the environment's name inside.",
    shell_opts, shell_run, false, NULL, false,
};

const struct ge_cmd ge_cmd_modulefile = {
    "modulefile", "", "print or install a modulefile for Lmod or Environment Modules",
    "Print the project's environment as a modulefile (Lmod's Lua, or Tcl with --format tcl), or\n"
    "with --install DIR write it as DIR/gpuenv/NAME.lua (Tcl: DIR/gpuenv/NAME) so that\n"
    "'module use DIR; module load gpuenv/NAME' activates it and 'module unload' restores what was\n"
    "there before (Lmod 8.6 only unsets a Tcl modulefile's variables: use Lua with Lmod).",
    module_opts, module_run, false, NULL, false,
};
