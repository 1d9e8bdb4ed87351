/* fuzz_version.c: versions, driver versions and compute capabilities, parsed and printed back. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_text(data, size);
    struct ge_version v, w;
    char buf[64];
    if (ge_version_parse(&v, s, 1, 4) == 0) {
        /* what is printed parses back to the same version */
        ge_version_format(&v, buf, sizeof buf);
        if (ge_version_parse(&w, buf, 1, 4) != 0 || ge_version_cmp(&v, &w) != GE_CMP_EQUAL)
            abort();
    }
    ge_driver_version_parse(&v, s);
    struct ge_cc cc;
    if (ge_cc_parse(&cc, s) == 0) {
        ge_cc_format(cc, buf, sizeof buf);
        struct ge_cc back;
        if (ge_cc_parse(&back, buf) != 0 || ge_cc_cmp(cc, back) != 0)
            abort();
    }
    free(s);
    return 0;
}
