/* cmd_complete.c: the hidden 'gpuenv __complete WORD...' helper behind the shell completions.
 * The words are those after "gpuenv" on the command line; the last one is being completed (it
 * may be empty). Candidates go to stdout, one a line, so the shells' scripts stay small and
 * never drift from the binary. A first line starting with ':' tells the shell what else to
 * offer, with its own completion:
 *   :files        file names (an option's value such as --python PATH)
 *   :dirs         folder names (-C DIR, --prefix DIR)
 *   :command N    the words from the N-th on (1 = the first after "gpuenv") are a command line
 *                 of their own ('gpuenv run -- python train.py'): complete it as one */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "str.h"

static void offer(const char *word, const char *cur)
{
    if (strncmp(word, cur, strlen(cur)) == 0)
        printf("%s\n", word);
}

/* The directive an option's word list carries ("@dir", "@file"), printed before any word. */
static void directive_of(const char *words)
{
    if (!words)
        return;
    if (strstr(words, "@dir"))
        printf(":dirs\n");
    else if (strstr(words, "@file"))
        printf(":files\n");
}

static void offer_words(const char *words, const char *cur, const char *prefix)
{
    char buf[512];
    const char *p = words;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (n > 0 && p[0] != '@' && n + strlen(prefix) < sizeof buf) {
            snprintf(buf, sizeof buf, "%s%.*s", prefix, (int)n, p);
            offer(buf, cur);
        }
        p += n;
        while (*p == ' ')
            p++;
    }
}

static void offer_opts(const struct ge_opt *opts, const char *cur)
{
    for (const struct ge_opt *o = opts; o && o->name; o++) {
        char buf[64];
        snprintf(buf, sizeof buf, "--%s%s", o->name, o->has_arg ? "=" : "");
        offer(buf, cur);
    }
}

static const struct ge_opt *find_long(const struct ge_opt *opts, const char *name, size_t len)
{
    for (const struct ge_opt *o = opts; o && o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static const struct ge_opt *find_short(const struct ge_opt *opts, int c)
{
    for (const struct ge_opt *o = opts; o && o->name; o++)
        if (o->short_name == c)
            return o;
    return NULL;
}

static const struct ge_opt *find_opt(const struct ge_cmd *cmd, const char *word)
{
    const struct ge_opt *o = NULL;
    if (word[0] == '-' && word[1] && word[1] != '-' && !word[2]) { /* -C */
        if (cmd)
            o = find_short(cmd->opts, word[1]);
        return o ? o : find_short(ge_cli_global_opts(), word[1]);
    }
    if (word[0] == '-' && word[1] == '-') {
        size_t len = strcspn(word + 2, "=");
        if (cmd)
            o = find_long(cmd->opts, word + 2, len);
        if (!o)
            o = find_long(ge_cli_global_opts(), word + 2, len);
    }
    return o;
}

static int complete_run(struct ge_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    /* argv[0] is "__complete"; argv[1..argc-2] are complete words; argv[argc-1] is current. */
    const char *cur = argc >= 2 ? argv[argc - 1] : "";
    const struct ge_cmd *cmd = NULL;
    int npos = 0; /* the command's positional arguments before the current word */
    for (int i = 1; i < argc - 1; i++) {
        const char *w = argv[i];
        /* a command whose options end at its command line ('run'): from there on it is the
         * line's own completion */
        if (cmd && cmd->stop_at_args && (strcmp(w, "--") == 0 || w[0] != '-')) {
            printf(":command %d\n", strcmp(w, "--") == 0 ? i + 1 : i);
            return GE_EXIT_OK;
        }
        if (w[0] == '-') {
            const struct ge_opt *o = find_opt(cmd, w);
            if (o && o->has_arg && !strchr(w, '='))
                i++; /* skip its value */
            continue;
        }
        if (!cmd) {
            cmd = ge_cli_find(w);
            if (!cmd)
                return GE_EXIT_OK; /* an unknown command: nothing to offer */
            continue;
        }
        npos++;
    }
    /* The value of an option: "--color=" + word, or the word after "--color". */
    const char *prev = argc >= 3 ? argv[argc - 2] : "";
    const struct ge_opt *po = prev[0] == '-' ? find_opt(cmd, prev) : NULL;
    if (po && po->has_arg && !strchr(prev, '=')) {
        directive_of(po->complete);
        if (po->complete)
            offer_words(po->complete, cur, "");
        return GE_EXIT_OK;
    }
    if (cur[0] == '-' && cur[1] == '-' && strchr(cur, '=')) {
        const struct ge_opt *o = find_opt(cmd, cur);
        if (o && o->complete) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "--%s=", o->name);
            offer_words(o->complete, cur, prefix);
        }
        return GE_EXIT_OK;
    }
    if (cmd && cmd->stop_at_args && cur[0] != '-') {
        printf(":command %d\n", argc - 1); /* the command itself */
        return GE_EXIT_OK;
    }
    if (cur[0] == '-') {
        if (cmd)
            offer_opts(cmd->opts, cur);
        offer_opts(ge_cli_global_opts(), cur);
        if (!cmd)
            offer("--version", cur);
        return GE_EXIT_OK;
    }
    if (!cmd) {
        for (const struct ge_cmd *const *c = ge_cli_commands(); *c; c++)
            if (!(*c)->hidden)
                offer((*c)->name, cur);
        return GE_EXIT_OK;
    }
    if (strcmp(cmd->name, "help") == 0) {
        for (const struct ge_cmd *const *c = ge_cli_commands(); *c; c++)
            if (!(*c)->hidden)
                offer((*c)->name, cur);
        offer("exit-status", cur);
    }
    /* "@dir WORDS": the first argument is a folder ('mirror DIR'), the others are WORDS */
    if (cmd->complete_args && ge_startswith(cmd->complete_args, "@dir ") && npos == 0)
        directive_of("@dir");
    else if (cmd->complete_args)
        offer_words(cmd->complete_args, cur, "");
    return GE_EXIT_OK;
}

static const struct ge_opt complete_opts[] = {{NULL, 0, false, NULL, NULL, NULL}};

const struct ge_cmd ge_cmd_complete = {
    "__complete",
    "WORD...",
    "list completions for the words after 'gpuenv' (used by the shell completions)",
    "Print the completions of the last WORD, one a line, given the WORDs before it.",
    complete_opts,
    complete_run,
    true,
    NULL, false,
};
