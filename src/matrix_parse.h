/* matrix_parse.h: the helpers the matrix's file loaders share (matrix.c, matrix_rocm.c): reading
 * typed fields out of cJSON with the file and record named in every error. Internal to the
 * matrix; nothing outside matrix*.c includes it. */
#ifndef GE_MATRIX_PARSE_H
#define GE_MATRIX_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "err.h"
#include "matrix.h"

struct ge_pctx {
    const char *file;
    const cJSON *sources;
    struct ge_err *err;
    char where[160]; /* "releases[3].variants[1]" */
};

/* Set err (GE_EXIT_BAD_DATA) naming the file and record; -1. */
int ge_mp_bad(struct ge_pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Name the record the next errors are about; 0. */
int ge_mp_where(struct ge_pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ge_mp_parse_ver(struct ge_pctx *c, const cJSON *item, const char *key, struct ge_ver *out, int minp, int maxp);
/* An optional version: 0 and *has = false when absent. */
int ge_mp_opt_ver(struct ge_pctx *c, const cJSON *obj, const char *key, bool *has, struct ge_ver *out, int minp,
                  int maxp);
int ge_mp_req_ver(struct ge_pctx *c, const cJSON *obj, const char *key, struct ge_ver *out, int minp, int maxp);
void ge_mp_opt_str(const cJSON *obj, const char *key, char *out, size_t size);
/* The record's "source": an id, or a list of ids, each one of the file's sources. */
int ge_mp_check_source(struct ge_pctx *c, const cJSON *rec);
/* "python": ["3.9", ...], absent for not known. */
int ge_mp_parse_python(struct ge_pctx *c, const cJSON *obj, struct ge_ver *out, int *n);
/* The table's array, each element an object with a source; n gets its length. NULL when absent
 * (an error only when required) or malformed. */
const cJSON *ge_mp_table(struct ge_pctx *c, const cJSON *doc, const char *key, size_t *n, bool required);
void *ge_mp_alloc_table(struct ge_pctx *c, size_t n, size_t size);
/* Sort a table and refuse duplicates ("<what> <name> is listed twice"). */
int ge_mp_sort_unique(struct ge_pctx *c, void *base, size_t n, size_t size, int (*cmp)(const void *, const void *),
                      const char *what, const char *(*name)(const void *));

/* The ROCm files (matrix_rocm.c): pytorch_rocm.json, rocm.json, tensorflow_rocm.json,
 * jax_rocm.json; and their checks against each other and pytorch.json once all are loaded. */
int ge_mp_load_torch_rocm(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m);
int ge_mp_load_rocm(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m);
int ge_mp_load_rocm_builds(struct ge_pctx *c, const cJSON *doc, struct ge_matrix *m, const char *framework);
int ge_mp_check_rocm(struct ge_pctx *c, struct ge_matrix *m);

#endif
