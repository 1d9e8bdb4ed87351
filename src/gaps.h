/* gaps.h: what the matrix does not know. Each record the resolver reads (a CUDA release, a cuDNN
 * build, a torch variant, a TensorFlow release, a JAX extra) is checked for every fact the resolver
 * needs from it; each one missing is a gap, and an answer that needs it is 'incomplete-data'. */
#ifndef GPUENV_GAPS_H
#define GPUENV_GAPS_H

#include <stddef.h>

#include "matrix.h"

struct ge_gap {
    enum ge_matrix_file file; /* which data file holds the record */
    char record[64];          /* "torch 2.5.1 cu121 linux-x86_64" */
    char fact[32];            /* a stable key: "ptx", "arch", "cudnn", "min_driver", ... */
    char what[128];           /* the fact in words: "whether its wheels embed PTX" */
};

struct ge_gaps {
    size_t n, cap;
    struct ge_gap *v;
};

/* Every gap of m, in data-file order, then record order (newest first). 0, or -1 when out of
 * memory. */
int ge_gaps_find(const struct ge_matrix *m, struct ge_gaps *out);
void ge_gaps_fini(struct ge_gaps *g);

#endif
