/* fuzz_lock.c: gpuenv.lock as a repository may hold it; whatever is accepted holds only safe names
 * and paths, and writes back to a lock that reads the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lock.h"
#include "path.h"
#include "str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_text(data, size);
    struct ge_lockfile l, back;
    struct ge_err err;
    ge_err_clear(&err);
    if (ge_lock_parse(s, &l, &err) == 0) {
        for (size_t i = 0; i < l.n; i++)
            if (!ge_name_safe(l.archives[i].component) || !ge_url_path_safe(l.archives[i].url_path))
                abort();
        char path[256];
        snprintf(path, sizeof path, "%s/gpuenv.lock", fuzz_dir());
        if (ge_lock_write(path, &l, &err) < 0 || ge_lock_read(path, &back, &err) < 0 ||
            !ge_lock_same_archives(&l, &back) || !ge_lock_same_python(&l, &back) || strcmp(l.cuda, back.cuda) != 0)
            abort();
        ge_lock_fini(&back);
        ge_lock_fini(&l);
    }
    free(s);
    return 0;
}
