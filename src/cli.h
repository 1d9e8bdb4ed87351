/* cli.h: the command table, global options, option parsing for commands, help and exit codes. */
#ifndef GE_CLI_H
#define GE_CLI_H

#include <stdbool.h>

#include "err.h"
#include "log.h"

#define GPUENV_VERSION "0.1.0"

/* One option of a command, the single description used by parsing, help, completion and the
 * docs drift test. */
struct ge_opt {
    const char *name;     /* long name without "--" */
    int short_name;       /* 0 for none */
    bool has_arg;
    const char *arg;      /* the argument's name in help: "VERSION" */
    const char *help;
    const char *complete; /* space-separated words offered for the argument, or NULL */
};

struct ge_ctx;

struct ge_cmd {
    const char *name;
    const char *args;     /* usage after the options: "[REQUIREMENT...]", or "" */
    const char *summary;  /* one line, lowercase, for the command list */
    const char *description; /* a paragraph for 'gpuenv help CMD' */
    const struct ge_opt *opts; /* terminated by an entry with name NULL */
    int (*run)(struct ge_ctx *ctx, int argc, char **argv);
    bool hidden;
    const char *complete_args; /* space-separated words offered for positional arguments, or NULL */
    bool stop_at_args;    /* options end at the first positional argument: the rest is a command line */
};

/* What every command gets: the global settings and the error to fill. */
struct ge_ctx {
    const struct ge_cmd *cmd;
    int verbosity;        /* enum ge_level */
    enum ge_color color;
    bool json;            /* --json was given: failures also go out as a JSON document */
    bool json_printed;    /* the command already printed its document (with the error in it) */
    struct ge_err err;
};

/* Iterate over a command's options (getopt_long underneath); global options (-q, -v, --color,
 * -h) are handled here too. Returns the index into cmd->opts of the next command option (its
 * argument in *arg), -1 when the options end (positional arguments start at argv[*optind_out]),
 * or -2 on a usage error (ctx->err filled) or when help was printed (ctx->err.status stays 0). */
struct ge_cli_iter {
    struct ge_ctx *ctx;
    int argc;
    char **argv;
    void *priv; /* getopt tables, freed when the iteration ends */
    int optind;
};
void ge_cli_iter_init(struct ge_cli_iter *it, struct ge_ctx *ctx, int argc, char **argv);
int ge_cli_next(struct ge_cli_iter *it, const char **arg);
void ge_cli_iter_fini(struct ge_cli_iter *it);

/* For commands whose only option is --json (index json_opt in cmd->opts): parse the options,
 * set *json, and give the index of the first positional argument. 0, or -1 when the command
 * should return ctx->err.status (a usage error, or help was printed). */
int ge_cli_parse_json_only(struct ge_ctx *ctx, int argc, char **argv, int json_opt, bool *json, int *first);

/* Fill ctx->err with a usage error (exit 2) and a hint to see the command's help; returns -1. */
int ge_cli_usage(struct ge_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A URL option's value (opt: "--mirror"): https://, http:// or file://; NULL (not given) passes.
 * 0, or -1 with a usage error. */
int ge_cli_url(struct ge_ctx *ctx, const char *opt, const char *url);
/* A whole number from min to max as opt's value: 0 with *out, or -1 with a usage error. */
int ge_cli_number(struct ge_ctx *ctx, const char *opt, const char *arg, long min, long max, long *out);
/* --python X.Y|PATH: a path names the interpreter (*exe) and the plan is for its version, written
 * into xy, to which *python then points. 0, or -1 (usage, or the interpreter does not run). */
int ge_cli_python(struct ge_ctx *ctx, const char **python, const char **exe, char *xy, size_t size);

/* Whether GPUENV_OFFLINE asks for no network (1, yes, true, on), as --offline does. */
bool ge_env_offline(void);

/* The command table (including hidden commands), NULL-terminated. */
const struct ge_cmd *const *ge_cli_commands(void);
const struct ge_cmd *ge_cli_find(const char *name);
/* The global options, NULL-name terminated. */
const struct ge_opt *ge_cli_global_opts(void);

/* Entry point: returns the process's exit status. */
int ge_main(int argc, char **argv);

/* Help texts, on stdout. */
void ge_cli_print_help(void);
void ge_cli_print_cmd_help(const struct ge_cmd *cmd);

#endif
