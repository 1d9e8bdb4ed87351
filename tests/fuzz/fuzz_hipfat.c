/* fuzz_hipfat.c: ELF files (their .hip_fatbin sections) and .hip_fatbin sections alone, compressed
 * bundles included; whatever is accepted holds sane targets, and every refusal says why. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hipfat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ge_hipfat h;
    struct ge_err err;
    for (int as_section = 0; as_section < 2; as_section++) {
        ge_err_clear(&err);
        int rc = as_section ? ge_hipfat_parse_section(data, size, "fuzz", &h, &err)
                            : ge_hipfat_parse_elf(data, size, "fuzz.so", &h, &err);
        if (rc < 0 && err.status == 0)
            abort();
        if (rc < 0)
            continue;
        if (h.ncompressed + h.nunreadable > h.nbundles)
            abort();
        for (size_t i = 0; i < h.n; i++) {
            const struct ge_hipfat_target *t = &h.v[i];
            if (strncmp(t->proc, "gfx", 3) != 0 || strlen(t->proc) >= sizeof t->proc || t->bundle >= h.nbundles ||
                (i > 0 && t->bundle < h.v[i - 1].bundle))
                abort();
            /* per bundle, one answer: the counts add up to the bundles that hold targets */
            struct ge_hipfat_coverage c = ge_hipfat_cover(&h, 90010, GE_HIP_ANY, GE_HIP_ANY);
            if (c.exact + c.generic + c.none > h.nbundles || c.exact + c.generic + c.none == 0)
                abort();
            char name[64];
            ge_hipfat_target_name(t, name, sizeof name);
        }
        ge_hipfat_fini(&h);
    }
    return 0;
}
