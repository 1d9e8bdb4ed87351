/* out.h: the result on stdout: text with optional styling, or one JSON document. */
#ifndef GE_OUT_H
#define GE_OUT_H

#include <stdbool.h>

#include <cJSON.h>

#include "err.h"
#include "log.h"

#define GE_JSON_SCHEMA 1

enum ge_style { GE_STYLE_RESET, GE_STYLE_BOLD, GE_STYLE_DIM, GE_STYLE_GREEN, GE_STYLE_YELLOW, GE_STYLE_RED };

void ge_out_setup(enum ge_color mode);
/* The escape sequence for a style, or "" when stdout is not coloured. */
const char *ge_out_style(enum ge_style s);

/* A new document {"schema": 1, "ok": ok}; NULL when memory runs out. */
cJSON *ge_json_doc(bool ok);
/* Add "error": {"kind", "exit", "message", "hint"} from err to doc (and set "ok": false). */
void ge_json_add_error(cJSON *doc, const struct ge_err *err);
/* Add key: string, or key: null when s is NULL. */
void ge_json_add_strn(cJSON *obj, const char *key, const char *s);

/* Print doc on stdout (indented, one trailing newline) and delete it. 0, or -1 on a write error. */
int ge_out_json(cJSON *doc);
/* Print {"schema":1,"ok":false,"error":{...}} for err. */
int ge_out_json_error(const struct ge_err *err);

/* Say on stderr the command a child runs ("gpuenv: running pip install ..."), its words quoted
 * for a shell where they need it; nothing below the normal log level. */
void ge_out_command(char *const argv[]);

#endif
