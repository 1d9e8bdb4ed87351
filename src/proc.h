/* proc.h: run a program, capture what it prints, and never wait on it longer than a limit. */
#ifndef GE_PROC_H
#define GE_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "str.h"

struct ge_proc_result {
    int status;       /* its exit status; -1 when it did not exit by itself */
    int signal;       /* the signal that ended it, 0 if none */
    bool timed_out;   /* killed (with its whole process group) when the limit passed */
};

/* Run argv (argv[0] a path) with stdin from /dev/null and stdout into out (at most max bytes are
 * kept; the rest is read and dropped). stderr goes into errout, or is inherited when errout is
 * NULL. The program runs in its own process group, which is killed when timeout_s (> 0) passes.
 * 0 once it ended (whatever its status: see r), or -1 with err when it could not be started. */
int ge_proc_capture(char *const argv[], double timeout_s, size_t max, struct ge_buf *out, struct ge_buf *errout,
                    struct ge_proc_result *r, struct ge_err *err);

#endif
