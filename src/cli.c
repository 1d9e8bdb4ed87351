/* cli.c: global options, the command table, help, and turning errors into exit statuses. */
#define _GNU_SOURCE
#include "cli.h"

#include <cJSON.h>
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pyenv.h"
#include "cmds.h"
#include "out.h"
#include "str.h"

static const struct ge_opt global_opts[] = {
    {"quiet", 'q', false, NULL, "print only errors on stderr", NULL},
    {"verbose", 'v', false, NULL, "say more on stderr (twice for debug output)", NULL},
    {"color", 0, true, "WHEN", "colour output: auto (default), always or never", "auto always never"},
    {"help", 'h', false, NULL, "show help and exit", NULL},
    {NULL, 0, false, NULL, NULL, NULL},
};

static int cmd_help_run(struct ge_ctx *ctx, int argc, char **argv);

static const struct ge_opt help_opts[] = {{NULL, 0, false, NULL, NULL, NULL}};

static const struct ge_cmd cmd_help = {
    "help", "[COMMAND | exit-status]", "show help for gpuenv or one of its commands",
    "Show the usage of gpuenv, of one COMMAND, or the table of exit statuses (exit-status).",
    help_opts, cmd_help_run, false, NULL, false,
};

static const struct ge_cmd *const commands[] = {
    &ge_cmd_detect,
    &ge_cmd_resolve,
    &ge_cmd_install,
    &ge_cmd_doctor,
    &ge_cmd_lock,
    &ge_cmd_mirror,
    &ge_cmd_list,
    &ge_cmd_remove,
    &ge_cmd_env,
    &ge_cmd_run,
    &ge_cmd_shell,
    &ge_cmd_modulefile,
    &ge_cmd_cache,
    &ge_cmd_matrix,
    &cmd_help,
    &ge_cmd_complete,
    NULL,
};

const struct ge_cmd *const *ge_cli_commands(void)
{
    return commands;
}

const struct ge_cmd *ge_cli_find(const char *name)
{
    for (size_t i = 0; commands[i]; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

const struct ge_opt *ge_cli_global_opts(void)
{
    return global_opts;
}

int ge_cli_url(struct ge_ctx *ctx, const char *opt, const char *url)
{
    if (!url || ge_startswith(url, "https://") || ge_startswith(url, "http://") || ge_startswith(url, "file://"))
        return 0;
    return ge_cli_usage(ctx, "invalid %s '%s': give an https://, http:// or file:// URL", opt, url);
}

int ge_cli_number(struct ge_ctx *ctx, const char *opt, const char *arg, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || errno || v < min || v > max)
        return ge_cli_usage(ctx, "invalid %s '%s': give %ld to %ld", opt, arg, min, max);
    *out = v;
    return 0;
}

int ge_cli_python(struct ge_ctx *ctx, const char **python, const char **exe, char *xy, size_t size)
{
    if (!*python || !strchr(*python, '/'))
        return 0; /* a version, or nothing */
    *exe = *python;
    if (access(*exe, X_OK) != 0)
        return ge_cli_usage(ctx, "--python '%s': not an executable file", *exe);
    if (ge_py_version_of(*exe, xy, size, &ctx->err) < 0)
        return -1;
    *python = xy;
    return 0;
}

bool ge_env_offline(void)
{
    const char *v = getenv("GPUENV_OFFLINE");
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
                 strcasecmp(v, "on") == 0);
}

int ge_cli_usage(struct ge_ctx *ctx, const char *fmt, ...)
{
    char msg[GE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ge_err_set(&ctx->err, GE_EXIT_USAGE, "%s", msg);
    if (ctx->cmd)
        ge_err_hint(&ctx->err, "see 'gpuenv help %s'", ctx->cmd->name);
    else
        ge_err_hint(&ctx->err, "see 'gpuenv --help'");
    return -1;
}

/* ---- help ---- */

static void print_opts(const struct ge_opt *opts)
{
    for (const struct ge_opt *o = opts; o->name; o++) {
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
                     o->has_arg ? "=" : "", o->has_arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->has_arg ? "=" : "",
                     o->has_arg ? o->arg : "");
        if (strlen(left) > 24) /* too long for the column: the help goes below, aligned */
            printf("  %s\n  %-24s %s\n", left, "", o->help);
        else
            printf("  %-24s %s\n", left, o->help);
    }
}

void ge_cli_print_help(void)
{
    printf("usage: gpuenv [-q | -v] [--color=WHEN] COMMAND [ARGS]\n"
           "       gpuenv --version\n\n"
           "Line up the NVIDIA driver, CUDA toolkit, cuDNN and machine-learning frameworks.\n\n"
           "%scommands:%s\n",
           ge_out_style(GE_STYLE_BOLD), ge_out_style(GE_STYLE_RESET));
    for (size_t i = 0; commands[i]; i++)
        if (!commands[i]->hidden)
            printf("  %-11s %s\n", commands[i]->name, commands[i]->summary);
    printf("\n%sglobal options:%s\n", ge_out_style(GE_STYLE_BOLD), ge_out_style(GE_STYLE_RESET));
    print_opts(global_opts);
    printf("  %-24s %s\n", "-V, --version", "show the versions of gpuenv and its libraries");
    printf("\n'gpuenv help COMMAND' shows a command's options, 'gpuenv help exit-status' the exit\n"
           "statuses; man gpuenv tells the rest.\n");
}

void ge_cli_print_cmd_help(const struct ge_cmd *cmd)
{
    printf("usage: gpuenv %s [options]%s%s\n\n%s\n\n%soptions:%s\n", cmd->name,
           cmd->args[0] ? " " : "", cmd->args, cmd->description, ge_out_style(GE_STYLE_BOLD),
           ge_out_style(GE_STYLE_RESET));
    print_opts(cmd->opts);
    print_opts(global_opts);
}

static void print_exit_statuses(void)
{
    size_t n;
    const struct ge_exit_info *t = ge_exit_table(&n);
    for (size_t i = 0; i < n; i++)
        printf("%d\t%s\t%s\n", t[i].status, t[i].name, t[i].meaning);
}

static int cmd_help_run(struct ge_ctx *ctx, int argc, char **argv)
{
    bool unused = false;
    int first;
    if (ge_cli_parse_json_only(ctx, argc, argv, -1, &unused, &first) < 0)
        return ctx->err.status;
    if (argc - first > 1) {
        ge_cli_usage(ctx, "'help' takes one topic, not %d", argc - first);
        return ctx->err.status;
    }
    if (argc - first == 0) {
        ge_cli_print_help();
        return GE_EXIT_OK;
    }
    const char *topic = argv[first];
    if (strcmp(topic, "exit-status") == 0) {
        print_exit_statuses();
        return GE_EXIT_OK;
    }
    const struct ge_cmd *c = ge_cli_find(topic);
    if (!c) {
        ge_cli_usage(ctx, "no help for '%s': not a command", topic);
        return ctx->err.status;
    }
    ge_cli_print_cmd_help(c);
    return GE_EXIT_OK;
}

/* ---- option iteration ---- */

struct iter_priv {
    struct option *longopts;
    char shortopts[128];
    int nglobal;
    int ncmd;
};

static size_t count_opts(const struct ge_opt *o)
{
    size_t n = 0;
    while (o && o[n].name)
        n++;
    return n;
}

void ge_cli_iter_init(struct ge_cli_iter *it, struct ge_ctx *ctx, int argc, char **argv)
{
    memset(it, 0, sizeof *it);
    it->ctx = ctx;
    it->argc = argc;
    it->argv = argv;
    it->optind = argc;
    struct iter_priv *p = calloc(1, sizeof *p);
    if (!p)
        return;
    size_t ng = count_opts(global_opts), nc = count_opts(ctx->cmd->opts);
    p->longopts = calloc(ng + nc + 1, sizeof *p->longopts);
    if (!p->longopts) {
        free(p);
        return;
    }
    /* Options may come after positional arguments (GNU order), except for a command that passes
     * its arguments on to another program ('+': they end the options); ':' reports a missing
     * argument as ':'. */
    size_t sl = 0;
    if (ctx->cmd->stop_at_args)
        p->shortopts[sl++] = '+';
    p->shortopts[sl++] = ':';
    for (size_t i = 0; i < ng + nc; i++) {
        const struct ge_opt *o = i < ng ? &global_opts[i] : &ctx->cmd->opts[i - ng];
        p->longopts[i].name = o->name;
        p->longopts[i].has_arg = o->has_arg ? required_argument : no_argument;
        p->longopts[i].flag = NULL;
        p->longopts[i].val = 1000 + (int)i;
        if (o->short_name && sl + 3 < sizeof p->shortopts) {
            p->shortopts[sl++] = (char)o->short_name;
            if (o->has_arg)
                p->shortopts[sl++] = ':';
        }
    }
    p->nglobal = (int)ng;
    p->ncmd = (int)nc;
    it->priv = p;
    optind = 0; /* glibc: 0 fully re-initialises getopt, also after an earlier parse */
    opterr = 0;
}

void ge_cli_iter_fini(struct ge_cli_iter *it)
{
    struct iter_priv *p = it->priv;
    if (p) {
        free(p->longopts);
        free(p);
    }
    it->priv = NULL;
}

static int opt_index_for_short(const struct iter_priv *p, const struct ge_cmd *cmd, int c)
{
    for (int i = 0; i < p->nglobal + p->ncmd; i++) {
        const struct ge_opt *o = i < p->nglobal ? &global_opts[i] : &cmd->opts[i - p->nglobal];
        if (o->short_name == c)
            return i;
    }
    return -1;
}

/* Handle a global option; 0 to go on, -2 to stop (help printed or bad value). */
static int apply_global(struct ge_ctx *ctx, const char *name, const char *arg)
{
    if (strcmp(name, "quiet") == 0) {
        ctx->verbosity = GE_LOG_QUIET;
    } else if (strcmp(name, "verbose") == 0) {
        ctx->verbosity = ctx->verbosity < 0 ? 1 : ctx->verbosity + 1;
    } else if (strcmp(name, "color") == 0) {
        if (strcmp(arg, "auto") == 0)
            ctx->color = GE_COLOR_AUTO;
        else if (strcmp(arg, "always") == 0)
            ctx->color = GE_COLOR_ALWAYS;
        else if (strcmp(arg, "never") == 0)
            ctx->color = GE_COLOR_NEVER;
        else {
            ge_cli_usage(ctx, "invalid --color value '%s': use auto, always or never", arg);
            return -2;
        }
    } else if (strcmp(name, "help") == 0) {
        ge_out_setup(ctx->color);
        if (ctx->cmd)
            ge_cli_print_cmd_help(ctx->cmd);
        else
            ge_cli_print_help();
        return -2;
    }
    ge_log_setup(ctx->verbosity, ctx->color);
    ge_out_setup(ctx->color);
    return 0;
}

int ge_cli_next(struct ge_cli_iter *it, const char **arg)
{
    struct iter_priv *p = it->priv;
    struct ge_ctx *ctx = it->ctx;
    *arg = NULL;
    if (!p) {
        ge_err_set(&ctx->err, GE_EXIT_FAILURE, "out of memory");
        return -2;
    }
    for (;;) {
        int longidx = -1;
        int c = getopt_long(it->argc, it->argv, p->shortopts, p->longopts, &longidx);
        if (c == -1) {
            it->optind = optind;
            return -1;
        }
        const char *bad = it->argv[optind - 1];
        if (c == '?') {
            if (optopt && optopt < 1000)
                ge_cli_usage(ctx, "unknown option '-%c'", optopt);
            else
                ge_cli_usage(ctx, "unknown option '%s'", bad);
            return -2;
        }
        if (c == ':') {
            if (optopt >= 1000)
                ge_cli_usage(ctx, "option '%s' needs a value", bad);
            else
                ge_cli_usage(ctx, "option '-%c' needs a value", optopt);
            return -2;
        }
        int idx = c >= 1000 ? c - 1000 : opt_index_for_short(p, ctx->cmd, c);
        if (idx < 0) {
            ge_cli_usage(ctx, "unknown option '-%c'", c);
            return -2;
        }
        if (idx < p->nglobal) {
            if (apply_global(ctx, global_opts[idx].name, optarg) < 0)
                return -2;
            continue;
        }
        *arg = optarg;
        return idx - p->nglobal;
    }
}

int ge_cli_parse_json_only(struct ge_ctx *ctx, int argc, char **argv, int json_opt, bool *json, int *first)
{
    struct ge_cli_iter it;
    ge_cli_iter_init(&it, ctx, argc, argv);
    const char *arg;
    int o;
    while ((o = ge_cli_next(&it, &arg)) >= 0)
        if (o == json_opt)
            *json = true;
    *first = it.optind;
    ge_cli_iter_fini(&it);
    return o == -2 ? -1 : 0;
}

/* ---- main ---- */

/* The version string a library reports, through a function that takes no argument (or one
 * int, passed 0), loaded at run time: libcurl, libarchive and libcrypto are only loaded by the
 * commands that download, unpack or hash, so that every other command starts in a millisecond
 * instead of paying ~15 ms of dynamic linking for 40 libraries it does not use. */
static const char *lib_version(const char *lib, const char *sym, char *buf, size_t size)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(buf, size, "not found (%s)", lib);
        return buf;
    }
    const char *(*fn)(int) = (const char *(*)(int))dlsym(h, sym);
    snprintf(buf, size, "%s", fn ? fn(0) : "unknown");
    return buf; /* the library stays loaded: its string may point into it */
}

static void print_version(void)
{
    char curl[512], arch[128], ssl[128];
    printf("gpuenv %s\n", GPUENV_VERSION);
    /* curl_version() says "libcurl/7.88.1 OpenSSL/3.0.11 zlib/...": its first word is enough */
    lib_version("libcurl.so.4", "curl_version", curl, sizeof curl);
    if (strncmp(curl, "libcurl/", 8) == 0) {
        curl[strcspn(curl, " ")] = '\0';
        curl[7] = ' ';
    }
    printf("%s, %s, cJSON %s, %s\n", curl,
           lib_version("libarchive.so.13", "archive_version_string", arch, sizeof arch), cJSON_Version(),
           lib_version("libcrypto.so.3", "OpenSSL_version", ssl, sizeof ssl));
}

static bool wants_json(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--json") == 0)
            return true;
    }
    return false;
}

static int finish(struct ge_ctx *ctx, int status)
{
    if (status != GE_EXIT_OK) {
        if (ctx->err.status == 0)
            ge_err_set(&ctx->err, status, "%s failed", ctx->cmd ? ctx->cmd->name : "gpuenv");
        ge_log_err(&ctx->err);
        if (ctx->json && !ctx->json_printed)
            ge_out_json_error(&ctx->err);
    }
    /* Output that could not be written is a failure (a full disk, a closed pipe). */
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (status == GE_EXIT_OK) {
            ge_log_error("cannot write to standard output: %s", errno ? strerror(errno) : "write error");
            status = GE_EXIT_FAILURE;
        }
    }
    return status;
}

int ge_main(int argc, char **argv)
{
    struct ge_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.color = GE_COLOR_AUTO;
    ctx.json = wants_json(argc, argv);
    ge_log_setup(ctx.verbosity, ctx.color);
    ge_out_setup(ctx.color);

    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            print_version();
            return finish(&ctx, GE_EXIT_OK);
        }
        /* Short options may be bundled (-vv, -qv); --color takes "=WHEN" or the next word. */
        if (a[1] != '-') {
            for (const char *s = a + 1; *s; s++) {
                const char *name = *s == 'q' ? "quiet" : *s == 'v' ? "verbose" : *s == 'h' ? "help" : NULL;
                if (!name) {
                    ge_cli_usage(&ctx, "unknown option '-%c'", *s);
                    return finish(&ctx, GE_EXIT_USAGE);
                }
                if (apply_global(&ctx, name, NULL) < 0)
                    return finish(&ctx, ctx.err.status ? ctx.err.status : GE_EXIT_OK);
            }
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        char key[32];
        size_t kl = eq ? (size_t)(eq - name) : strlen(name);
        if (kl >= sizeof key) {
            ge_cli_usage(&ctx, "unknown option '%s'", a);
            return finish(&ctx, GE_EXIT_USAGE);
        }
        memcpy(key, name, kl);
        key[kl] = '\0';
        const struct ge_opt *o = NULL;
        for (const struct ge_opt *g = global_opts; g->name; g++)
            if (strcmp(g->name, key) == 0)
                o = g;
        if (!o) {
            ge_cli_usage(&ctx, "unknown option '%s'", a);
            return finish(&ctx, GE_EXIT_USAGE);
        }
        const char *val = NULL;
        if (o->has_arg) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                ge_cli_usage(&ctx, "option '--%s' needs a value", o->name);
                return finish(&ctx, GE_EXIT_USAGE);
            }
        } else if (eq) {
            ge_cli_usage(&ctx, "option '--%s' takes no value", o->name);
            return finish(&ctx, GE_EXIT_USAGE);
        }
        if (apply_global(&ctx, o->name, val) < 0)
            return finish(&ctx, ctx.err.status ? ctx.err.status : GE_EXIT_OK);
    }
    if (i >= argc) {
        ge_err_set(&ctx.err, GE_EXIT_USAGE, "no command given");
        ge_err_hint(&ctx.err, "'gpuenv detect' shows this machine's driver and GPUs; "
                              "'gpuenv --help' lists the commands");
        return finish(&ctx, GE_EXIT_USAGE);
    }
    const struct ge_cmd *cmd = ge_cli_find(argv[i]);
    if (!cmd) {
        ge_err_set(&ctx.err, GE_EXIT_USAGE, "unknown command '%s'", argv[i]);
        ge_err_hint(&ctx.err, "'gpuenv --help' lists the commands");
        return finish(&ctx, GE_EXIT_USAGE);
    }
    ctx.cmd = cmd;
    int status = cmd->run(&ctx, argc - i, argv + i);
    return finish(&ctx, status);
}
