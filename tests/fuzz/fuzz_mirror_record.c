/* fuzz_mirror_record.c: a mirror's gpuenv-mirror.json, as a copied or tampered mirror may hold it;
 * whatever is accepted names only wheels that are safe file names, and publishes an index that
 * reads back the same. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "str.h"
#include "wheels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file(GE_MIRROR_RECORD, data, size);
    struct ge_wheels w, back;
    struct ge_err err;
    ge_err_clear(&err);
    if (ge_wheels_open(&w, fuzz_dir(), &err) == 0) {
        for (size_t i = 0; i < w.n; i++)
            if (!ge_wheel_name_ok(w.w[i].file) || strchr(w.w[i].file, '/'))
                abort();
        if (ge_wheels_publish(&w, &err) < 0 || ge_wheels_open(&back, fuzz_dir(), &err) < 0 || back.n != w.n)
            abort();
        for (size_t i = 0; i < w.n; i++) {
            bool found = false;
            for (size_t k = 0; k < back.n && !found; k++)
                found = strcmp(w.w[i].file, back.w[k].file) == 0 && strcmp(w.w[i].sha256, back.w[k].sha256) == 0 &&
                        w.w[i].size == back.w[k].size;
            if (!found)
                abort();
        }
        ge_wheels_fini(&back);
        ge_wheels_fini(&w);
    } else if (err.status != GE_EXIT_BAD_DATA && err.status != GE_EXIT_FAILURE) {
        abort();
    }
    return 0;
}
