/* proc.c: run a program with a time limit and capture its output. */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
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

void ge_proc_child_send(int fd, char type, const void *p, size_t n)
{
    const char *c = p;
    if (write(fd, &type, 1) != 1)
        _exit(120);
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(120);
        c += w;
        n -= (size_t)w;
    }
}

int ge_proc_run_child(const char *what, double timeout_s, ge_proc_child_fn fn, void *arg,
                      ge_proc_answered_fn answered, void *answered_arg, struct ge_buf *stream,
                      struct ge_proc_child *r, struct ge_err *err)
{
    memset(r, 0, sizeof *r);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot create a pipe: %s", strerror(errno));
    fflush(NULL); /* the child must not flush the parent's buffered output again */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot fork %s: %s", what, strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        /* Die with gpuenv: a killed gpuenv must not leave a probe hung in a driver behind. Its
         * own process group lets the parent end whatever the library started in it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(121);
        setpgid(0, 0);
        /* Die by the signal itself when the library crashes, so that the parent can name it,
         * whatever handlers the parent had (a sanitizer's, for one). */
        static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGPIPE};
        for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
            signal(fatal[i], SIG_DFL);
        fn(fds[1], arg);
        _exit(0);
    }
    setpgid(pid, pid); /* also here: whichever of the two runs first */
    close(fds[1]);

    bool failed = false;
    double deadline = now_s() + (timeout_s > 0 ? timeout_s : 20.0);
    /* Read until the answer is complete, the child is gone, or time is up; not until EOF, as a
     * helper the library forked may hold the pipe open long after the child answered. The child
     * is watched without being reaped (WNOWAIT), so that its pid, and with it its process group,
     * stays ours until the group is killed below. */
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) {
            r->timed_out = true;
            break;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int pr = poll(&p, 1, r->exited ? 0 : left > 0.05 ? 50 : (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            ge_err_set(err, GE_EXIT_FAILURE, "poll on %s: %s", what, strerror(errno));
            failed = true;
            break;
        }
        if (pr > 0) {
            char chunk[8192];
            ssize_t n = read(fds[0], chunk, sizeof chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break; /* EOF: the child exited or closed its end */
            if (ge_buf_add(stream, chunk, (size_t)n) < 0) {
                ge_err_set(err, GE_EXIT_FAILURE, "out of memory reading %s", what);
                failed = true;
                break;
            }
            if ((r->answered = answered((const unsigned char *)ge_buf_str(stream), stream->len, answered_arg)))
                break;
            continue;
        }
        if (r->exited)
            break; /* gone, and nothing more to read */
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
            r->exited = true; /* read what it left once more, without waiting */
    }
    /* Wait for the child to end: with an answer, a moment (it lingers for nothing we need);
     * without one (it closed the pipe), until the deadline, so that a crash is named as one. */
    double until = r->answered ? now_s() + 0.2 : deadline;
    while (!r->exited && !r->timed_out && !failed) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
            r->exited = true;
        } else if (now_s() >= until) {
            r->timed_out = !r->answered;
            break;
        } else {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    /* End the probe's whole group (the child and whatever the library started in it), then reap */
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
        ;
    close(fds[0]);
    return failed ? -1 : 0;
}
