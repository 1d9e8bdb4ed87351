/* fuzz_matrix.c: the matrix's JSON files. The input's first byte picks the file it replaces in a
 * copy of the minimal matrix (tests/data/matrix-min, or GPUENV_FUZZ_DATA); the rest is that file.
 * No cache is read or written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "matrix.h"
#include "str.h"

static char *orig[GE_MF_COUNT];
static size_t orig_len[GE_MF_COUNT];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[256], name[300];
    snprintf(dir, sizeof dir, "%s/data", fuzz_dir());
    if (!orig[0]) {
        const char *src = getenv("GPUENV_FUZZ_DATA");
        if (ge_mkdir_p(dir) < 0)
            abort();
        for (int f = 0; f < GE_MF_COUNT; f++) {
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", src ? src : "tests/data/matrix-min", ge_matrix_file_name((enum ge_matrix_file)f));
            if (!(orig[f] = ge_read_file(p, 16 << 20, &orig_len[f])))
                abort();
            snprintf(name, sizeof name, "data/%s", ge_matrix_file_name((enum ge_matrix_file)f));
            fuzz_file(name, (const uint8_t *)orig[f], orig_len[f]);
        }
        setenv("GPUENV_CACHE_DIR", "/proc/gpuenv-fuzz-no-cache", 1);
    }
    if (size < 1)
        return 0;
    enum ge_matrix_file f = (enum ge_matrix_file)(data[0] % GE_MF_COUNT);
    snprintf(name, sizeof name, "data/%s", ge_matrix_file_name(f));
    fuzz_file(name, data + 1, size - 1);
    struct ge_err err;
    ge_err_clear(&err);
    struct ge_matrix *m = ge_matrix_load(dir, &err);
    if (!m && err.status == 0)
        abort();
    ge_matrix_free(m);
    fuzz_file(name, (const uint8_t *)orig[f], orig_len[f]);
    return 0;
}
