/* fuzz_req.c: requirements as users and locks write them ('torch>=2.1,<2.6', 'jax[cuda12]'). */
#include <stdlib.h>

#include "fuzz.h"
#include "req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_text(data, size);
    struct ge_req r;
    struct ge_err err;
    ge_err_clear(&err);
    if (ge_req_parse(&r, s, &err) < 0 && (err.status == 0 || !err.msg[0]))
        abort(); /* a refusal always says why */
    free(s);
    return 0;
}
