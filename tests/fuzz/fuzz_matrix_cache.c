/* fuzz_matrix_cache.c: matrix.bin, damaged or forged. A good cache of the minimal matrix is made
 * once; each input is laid over its records (its first 4 bytes say where) and the checksum made
 * right again, so that the field checks, not only the checksum, meet every mutation. Whatever is
 * accepted must be what the JSON files say. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "matrix.h"
#include "str.h"


static char dir[256], bin[256];
static unsigned char *good;
static size_t len;
static struct ge_matrix *truth;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ge_err err;
    ge_err_clear(&err);
    if (!good) {
        const char *src = getenv("GPUENV_FUZZ_DATA");
        char cmd[1024];
        snprintf(dir, sizeof dir, "%s/data", fuzz_dir());
        snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s'/*.json '%s'/", dir, src ? src : "tests/data/matrix-min", dir);
        if (system(cmd) != 0)
            abort();
        setenv("GPUENV_CACHE_DIR", fuzz_dir(), 1);
        snprintf(bin, sizeof bin, "%s/matrix.bin", fuzz_dir());
        truth = ge_matrix_load(dir, &err); /* parses, and writes the cache */
        if (!truth || !(good = (unsigned char *)ge_read_file(bin, 64 << 20, &len)))
            abort();
    }
    if (size < 4)
        return 0;
    unsigned char *f = malloc(len);
    memcpy(f, good, len);
    uint32_t at;
    memcpy(&at, data, 4);
    /* over the records, not the header (a header change only makes the cache stale) */
    size_t header = len - 8 - sizeof *truth - truth->ncuda * sizeof *truth->cuda - truth->nmvc * sizeof *truth->mvc -
                    truth->nbranches * sizeof *truth->branches - truth->nccs * sizeof *truth->ccs -
                    truth->ncudnn * sizeof *truth->cudnn - truth->ntorch * sizeof *truth->torch -
                    truth->ntf * sizeof *truth->tf - truth->njax * sizeof *truth->jax;
    size_t body = len - 8 - header, off = header + at % body, n = size - 4;
    if (n > len - 8 - off)
        n = len - 8 - off;
    memcpy(f + off, data + 4, n);
    uint64_t sum = ge_matrix_cache_sum(f, len - 8);
    memcpy(f + len - 8, &sum, 8);
    if (ge_write_file(bin, f, len) < 0)
        abort();
    free(f);
    struct ge_matrix *m = ge_matrix_load(dir, &err);
    if (!m)
        abort(); /* the JSON is still there: a refused cache is parsed again */
    if (!m->from_cache && (m->ntorch != truth->ntorch || memcmp(m->torch, truth->torch, m->ntorch * sizeof *m->torch)))
        abort();
    ge_matrix_free(m);
    return 0;
}
