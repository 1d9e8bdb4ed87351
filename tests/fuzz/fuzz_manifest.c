/* fuzz_manifest.c: NVIDIA redistrib manifests; whatever is accepted holds only safe names. */
#include <stdlib.h>

#include "fuzz.h"
#include "manifest.h"
#include "path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_text(data, size);
    struct ge_err err;
    ge_err_clear(&err);
    struct ge_manifest *m = ge_manifest_parse(s, "fuzz.json", &err);
    for (size_t i = 0; m && i < m->n; i++) {
        const struct ge_archive_ref *a = &m->items[i];
        if (!ge_name_safe(a->component) || !ge_name_safe(a->platform) || !ge_url_path_safe(a->relative_path) ||
            !ge_sha256_valid(a->sha256) || a->size == 0)
            abort();
    }
    if (!m && err.status == 0)
        abort();
    ge_manifest_free(m);
    free(s);
    return 0;
}
