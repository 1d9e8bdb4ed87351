/* fuzz_tree_index.c: the index of a cached tree, as the cache may hold it after damage. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "str.h"
#include "tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char root[256];
    struct ge_err err;
    ge_err_clear(&err);
    if (!root[0]) {
        snprintf(root, sizeof root, "%s/tree/bin", fuzz_dir());
        if (ge_mkdir_p(root) < 0)
            abort();
        char f[300];
        snprintf(f, sizeof f, "%s/nvcc", root);
        if (ge_write_file(f, "x", 1) < 0)
            abort();
        snprintf(root, sizeof root, "%s/tree", fuzz_dir());
    }
    const char *index = fuzz_file("index", data, size);
    if (ge_tree_verify(root, index, GE_TREE_FULL, &err) < 0 && err.status == 0)
        abort();
    return 0;
}
