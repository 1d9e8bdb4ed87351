/* matrix_cache.h: the compiled cache of the matrix, for matrix.c (ge_matrix_cache_sum and
 * ge_cache_dir are public, in matrix.h). */
#ifndef GPUENV_MATRIX_CACHE_H
#define GPUENV_MATRIX_CACHE_H

#include "matrix.h"

/* The cache for dir when it is whole, matches this binary and the files of dir, and every field
 * checks out; else NULL (the caller parses the data). */
struct ge_matrix *ge_matrix_cache_read(const char *dir);

/* Keep m, loaded from m->dir, for the next run; atomically, and silently not when the cache
 * folder cannot be written. */
void ge_matrix_cache_write(const struct ge_matrix *m);

#endif
