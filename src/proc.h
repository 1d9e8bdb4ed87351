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

/* A probe of a vendor library in a child process (driver.c, amd_hip.c): fn(fd, arg) runs in a
 * fork of gpuenv, in its own process group, killed with gpuenv (PR_SET_PDEATHSIG), with the
 * default action for crash signals, and writes its answer to fd; the child _exits when fn
 * returns. The parent reads into stream until answered(stream, len, answered_arg) says the answer
 * is complete, the child is gone, or timeout_s passes; then it kills the child's whole group and
 * reaps it. 'what' names the probe in error messages ("the driver probe"). 0 (the outcome in r),
 * or -1 with err when no child could be run or read. The caller must not hold threads: this forks. */
struct ge_proc_child {
    bool answered;  /* answered() said yes */
    bool timed_out; /* the limit passed first */
    bool exited;    /* the child ended by itself */
    int status;     /* its waitpid() status */
};
typedef void (*ge_proc_child_fn)(int fd, void *arg);
typedef bool (*ge_proc_answered_fn)(const unsigned char *buf, size_t len, void *arg);
int ge_proc_run_child(const char *what, double timeout_s, ge_proc_child_fn fn, void *arg,
                      ge_proc_answered_fn answered, void *answered_arg, struct ge_buf *stream,
                      struct ge_proc_child *r, struct ge_err *err);

/* In a child of ge_proc_run_child: write one message (a type byte, then n bytes); _exit(120) when
 * the parent is gone. */
void ge_proc_child_send(int fd, char type, const void *p, size_t n);

#endif
