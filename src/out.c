/* out.c: results on stdout, text or JSON; never writes to stderr. */
#include "out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activate.h"
#include "str.h"

static bool out_color = false;

void ge_out_setup(enum ge_color mode)
{
    out_color = ge_color_enabled(mode, stdout);
}

const char *ge_out_style(enum ge_style s)
{
    if (!out_color)
        return "";
    switch (s) {
    case GE_STYLE_RESET: return "\033[0m";
    case GE_STYLE_BOLD: return "\033[1m";
    case GE_STYLE_DIM: return "\033[2m";
    case GE_STYLE_GREEN: return "\033[32m";
    case GE_STYLE_YELLOW: return "\033[33m";
    case GE_STYLE_RED: return "\033[31m";
    }
    return "";
}

cJSON *ge_json_doc(bool ok)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return NULL;
    cJSON_AddNumberToObject(doc, "schema", GE_JSON_SCHEMA);
    cJSON_AddBoolToObject(doc, "ok", ok);
    return doc;
}

void ge_json_add_strn(cJSON *obj, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(obj, key, s);
    else
        cJSON_AddNullToObject(obj, key);
}

void ge_json_add_error(cJSON *doc, const struct ge_err *err)
{
    cJSON_ReplaceItemInObject(doc, "ok", cJSON_CreateFalse());
    cJSON *e = cJSON_AddObjectToObject(doc, "error");
    if (!e)
        return;
    const struct ge_exit_info *info = ge_exit_lookup(err->status);
    cJSON_AddStringToObject(e, "kind", info ? info->name : "failure");
    cJSON_AddNumberToObject(e, "exit", err->status ? err->status : GE_EXIT_FAILURE);
    cJSON_AddStringToObject(e, "message", err->msg);
    ge_json_add_strn(e, "hint", err->hint[0] ? err->hint : NULL);
}

int ge_out_json(cJSON *doc)
{
    if (!doc)
        return -1;
    char *s = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!s)
        return -1;
    int rc = (fputs(s, stdout) < 0 || fputc('\n', stdout) == EOF) ? -1 : 0;
    free(s);
    return rc;
}

int ge_out_json_error(const struct ge_err *err)
{
    cJSON *doc = ge_json_doc(false);
    if (!doc)
        return -1;
    ge_json_add_error(doc, err);
    return ge_out_json(doc);
}

void ge_out_command(char *const argv[])
{
    if (ge_log_level() < GE_LOG_NORMAL)
        return;
    struct ge_buf b;
    ge_buf_init(&b);
    for (int i = 0; argv[i]; i++) {
        if (i)
            ge_buf_adds(&b, " ");
        if (strpbrk(argv[i], " '\"$\\`!*?[]()<>|&;"))
            ge_sh_quote(&b, argv[i]);
        else
            ge_buf_adds(&b, argv[i]);
    }
    fprintf(stderr, "gpuenv: running %s\n", ge_buf_str(&b));
    ge_buf_fini(&b);
}
