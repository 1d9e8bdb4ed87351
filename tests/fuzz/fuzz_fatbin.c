/* fuzz_fatbin.c: ELF files (their .nv_fatbin and dynamic sections) and .nv_fatbin sections alone;
 * whatever is accepted holds sane entries, and every refusal says why. */
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "fatbin.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ge_fatbin fb;
    struct ge_err err;
    for (int as_section = 0; as_section < 2; as_section++) {
        ge_err_clear(&err);
        int rc = as_section ? ge_fatbin_parse_section(data, size, "fuzz", &fb, &err)
                            : ge_fatbin_parse_elf(data, size, "fuzz.so", &fb, &err);
        if (rc < 0 && err.status == 0)
            abort();
        for (size_t i = 0; rc == 0 && i < fb.n; i++) {
            if (fb.v[i].arch == 0 || fb.v[i].arch > 1000 || fb.v[i].size > size || fb.v[i].fatbin >= fb.nfatbins ||
                (i > 0 && fb.v[i].fatbin < fb.v[i - 1].fatbin))
                abort();
            /* the fit is the worst over the fat binaries, and agrees with the counts */
            struct ge_cc cc = {(int)(fb.v[i].arch / 10), (int)(fb.v[i].arch % 10)};
            struct ge_fatbin_coverage c = ge_fatbin_cover(&fb, cc);
            enum ge_fatbin_fit f = ge_fatbin_fit(&fb, cc, NULL);
            if (c.cubin + c.ptx + c.none > fb.nfatbins || (f == GE_FIT_NONE) != (c.none > 0) ||
                (f == GE_FIT_CUBIN) != (c.none == 0 && c.ptx == 0))
                abort();
        }
        ge_fatbin_fini(&fb);
    }
    static struct ge_elf_dynamic dyn;
    ge_err_clear(&err);
    int rc = ge_elf_dynamic_parse(data, size, "fuzz.so", &dyn, &err);
    if ((rc < 0 && err.status == 0) || dyn.nneeded > GE_ELF_MAX_NEEDED || strlen(dyn.rpath) >= sizeof dyn.rpath)
        abort();
    return 0;
}
