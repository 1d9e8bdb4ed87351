/* proc.c: run a program with a time limit and capture its output. */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ge_proc_capture(char *const argv[], double timeout_s, size_t max, struct ge_buf *out, struct ge_buf *errout,
                    struct ge_proc_result *r, struct ge_err *err)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    int po[2], pe[2] = {-1, -1};
    if (pipe2(po, O_CLOEXEC) < 0)
        return ge_err_sys(err, errno, "cannot make a pipe");
    if (errout && pipe2(pe, O_CLOEXEC) < 0) {
        int e = errno;
        close(po[0]);
        close(po[1]);
        return ge_err_sys(err, e, "cannot make a pipe");
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(po[0]);
        close(po[1]);
        if (errout) {
            close(pe[0]);
            close(pe[1]);
        }
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot start '%s': %s", argv[0], strerror(e));
    }
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, STDIN_FILENO);
        dup2(po[1], STDOUT_FILENO);
        if (errout)
            dup2(pe[1], STDERR_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    setpgid(pid, pid);
    close(po[1]);
    if (errout)
        close(pe[1]);
    struct pollfd p[2] = {{.fd = po[0], .events = POLLIN}, {.fd = errout ? pe[0] : -1, .events = POLLIN}};
    struct ge_buf *to[2] = {out, errout};
    int open_fds = errout ? 2 : 1;
    double deadline = timeout_s > 0 ? now_s() + timeout_s : 0;
    char chunk[8192];
    while (open_fds > 0) {
        int wait_ms = -1;
        if (deadline) {
            double left = deadline - now_s();
            if (left <= 0) {
                r->timed_out = true;
                break;
            }
            wait_ms = (int)(left * 1000) + 1;
        }
        int n = poll(p, 2, wait_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = read(p[i].fd, chunk, sizeof chunk);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                p[i].fd = -1;
                open_fds--;
                continue;
            }
            if (to[i] && to[i]->len < max)
                ge_buf_add(to[i], chunk, (size_t)got < max - to[i]->len ? (size_t)got : max - to[i]->len);
        }
    }
    if (r->timed_out)
        kill(-pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    kill(-pid, SIGKILL); /* whatever it left running in its group */
    close(po[0]);
    if (errout)
        close(pe[0]);
    if (WIFEXITED(st))
        r->status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
        r->signal = WTERMSIG(st);
    return 0;
}
