/* fuzz_hostfile.c: --host FILE, the documents of 'gpuenv detect --json' in a row; whatever is
 * accepted describes machines with well-formed GPUs, each node type once. */
#include <stdlib.h>
#include <string.h>

#include "amd.h"
#include "fuzz.h"
#include "hostfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_text(data, size);
    struct ge_host_req h[GE_HOSTFILE_MAX];
    int n = 0;
    struct ge_err err;
    ge_err_clear(&err);
    if (ge_hostfile_parse(s, "fuzz", h, GE_HOSTFILE_MAX, &n, &err) == 0) {
        if (n < 1 || n > GE_HOSTFILE_MAX)
            abort();
        for (int i = 0; i < n; i++) {
            if (h[i].ngpus + h[i].namd > GE_MAX_GPUS || !h[i].gpus_given)
                abort();
            for (int g = 0; g < h[i].namd; g++) {
                char name[16];
                if (ge_amd_gfx_name(h[i].amd[g], name, sizeof name) < 0)
                    abort();
            }
        }
    } else if (err.status != GE_EXIT_USAGE) {
        abort();
    }
    free(s);
    return 0;
}
