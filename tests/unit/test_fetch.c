/* test_fetch.c: downloads against a loopback HTTP server with injected faults and a file://
 * folder: parallel transfers, checks, retries, resume, stalls, and nothing half-written. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "digest.h"
#include "fetch.h"
#include "str.h"
#include "tests.h"

static char *root;       /* served files */
static char *out;        /* downloads */
static pid_t server;
static int port;
static char sums[3][GE_SHA256_HEX];
static const uint64_t sizes[3] = {200000, 70000, 1};

static void setup(void)
{
    root = temp_dir();
    out = temp_dir();
    char cmd[1024], path[512];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/f%d.tar.xz", root, i);
        snprintf(cmd, sizeof cmd, "head -c %llu /dev/urandom > '%s'", (unsigned long long)sizes[i], path);
        ck_assert_int_eq(system(cmd), 0);
        struct ge_err err;
        ge_err_clear(&err);
        ck_assert_int_eq(ge_sha256_file(path, sums[i], NULL, &err), 0);
    }
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    server = fork();
    ck_assert_int_ge(server, 0);
    if (server == 0) {
        dup2(fds[1], 1);
        int null = open("/dev/null", 1);
        dup2(null, 2);
        close(fds[0]);
        execlp("python3", "python3", "tests/fake/http_server.py", root, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* the port, up to its newline */
    char buf[32] = "";
    size_t got = 0;
    while (got + 1 < sizeof buf && !strchr(buf, '\n')) {
        ssize_t n = read(fds[0], buf + got, sizeof buf - 1 - got);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
        buf[got] = '\0';
    }
    close(fds[0]);
    port = atoi(buf);
    ck_assert_int_gt(port, 0);
}

static void teardown(void)
{
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    rm_rf(root);
    rm_rf(out);
    free(root);
    free(out);
}

static void job(struct ge_fetch_job *j, const char *fault, int file)
{
    memset(j, 0, sizeof *j);
    snprintf(j->url, sizeof j->url, "http://127.0.0.1:%d%s/f%d.tar.xz", port, fault, file);
    snprintf(j->dest, sizeof j->dest, "%s/f%d.tar.xz", out, file);
    j->size = sizes[file];
    memcpy(j->sha256, sums[file], GE_SHA256_HEX);
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static struct ge_fetch_opts fast = {3, 3, 2, 20, NULL, NULL, NULL};

START_TEST(parallel_downloads_are_verified_and_committed)
{
    struct ge_fetch_job j[3];
    for (int i = 0; i < 3; i++)
        job(&j[i], "", i);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_msg(ge_fetch_run(j, 3, &fast, &err) == 0, "%s", err.msg);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(j[i].status, 0);
        ck_assert_uint_eq(j[i].received, sizes[i]);
        ck_assert_int_eq(j[i].attempts, 1);
        char hex[GE_SHA256_HEX], part[4200];
        ck_assert_int_eq(ge_sha256_file(j[i].dest, hex, NULL, &err), 0);
        ck_assert_str_eq(hex, sums[i]);
        snprintf(part, sizeof part, "%s.part", j[i].dest);
        ck_assert(!exists(part));
    }
}
END_TEST

START_TEST(file_urls_work)
{
    struct ge_fetch_job j;
    job(&j, "", 1);
    snprintf(j.url, sizeof j.url, "file://%s/f1.tar.xz", root);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_msg(ge_fetch_run(&j, 1, &fast, &err) == 0, "%s", err.msg);
    ck_assert(exists(j.dest));
}
END_TEST

START_TEST(not_found_fails_at_once_and_leaves_nothing)
{
    struct ge_fetch_job j;
    job(&j, "/fail404", 0);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fetch_run(&j, 1, &fast, &err), -1);
    ck_assert_msg(j.attempts == 1, "a 404 is not retried, but took %d attempts: %s", j.attempts, j.error);
    ck_assert_msg(strstr(j.error, "HTTP 404 (not on this mirror)") && strstr(j.error, "/fail404/f0.tar.xz"), "%s", j.error);
    ck_assert_ptr_nonnull(strstr(err.msg, "HTTP 404"));
    char part[4200];
    snprintf(part, sizeof part, "%s.part", j.dest);
    ck_assert(!exists(j.dest) && !exists(part));
}
END_TEST

START_TEST(server_errors_are_retried)
{
    struct ge_fetch_job j;
    job(&j, "/fail500-2", 0);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_msg(ge_fetch_run(&j, 1, &fast, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(j.attempts, 3);
    job(&j, "/fail500-9", 1);
    ck_assert_int_eq(ge_fetch_run(&j, 1, &fast, &err), -1);
    ck_assert_int_eq(j.attempts, 4); /* one try and three retries */
    ck_assert_ptr_nonnull(strstr(j.error, "HTTP 500"));
}
END_TEST

START_TEST(wrong_bytes_are_refused)
{
    struct ge_fetch_job j;
    job(&j, "/garbage", 0);
    struct ge_err err;
    ge_err_clear(&err);
    struct ge_fetch_opts once = fast;
    once.retries = 1;
    ck_assert_int_eq(ge_fetch_run(&j, 1, &once, &err), -1);
    ck_assert_int_eq(j.status, GE_EXIT_BAD_DATA);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert_msg(strstr(j.error, "sha256 mismatch: the manifest lists ") != NULL, "%s", j.error);
    char part[4200];
    snprintf(part, sizeof part, "%s.part", j.dest);
    ck_assert(!exists(j.dest) && !exists(part));
    /* a manifest size that is too small: the extra bytes are refused */
    job(&j, "", 0);
    j.size = 1000;
    ck_assert_int_eq(ge_fetch_run(&j, 1, &once, &err), -1);
    ck_assert_ptr_nonnull(strstr(j.error, "more than the 1000 bytes"));
    /* no checksum: refused before anything is fetched */
    job(&j, "", 0);
    j.sha256[0] = '\0';
    ck_assert_int_eq(ge_fetch_run(&j, 1, &once, &err), -1);
    ck_assert_ptr_nonnull(strstr(j.error, "no size or sha256"));
    ck_assert_int_eq(j.attempts, 0);
}
END_TEST

START_TEST(partial_files_resume_and_cut_connections_retry)
{
    struct ge_fetch_job j;
    job(&j, "", 0);
    char part[4200], cmd[9000];
    snprintf(part, sizeof part, "%s.part", j.dest);
    snprintf(cmd, sizeof cmd, "head -c 80000 '%s/f0.tar.xz' > '%s'", root, part);
    ck_assert_int_eq(system(cmd), 0);
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_msg(ge_fetch_run(&j, 1, &fast, &err) == 0, "%s", err.msg);
    ck_assert(j.resumed);
    ck_assert_uint_eq(j.received, sizes[0] - 80000);
    /* a server that ignores ranges: start over, still verified */
    unlink(j.dest);
    ck_assert_int_eq(system(cmd), 0);
    job(&j, "/norange", 0);
    ck_assert_msg(ge_fetch_run(&j, 1, &fast, &err) == 0, "%s", err.msg);
    ck_assert(exists(j.dest));
    /* a connection cut halfway: the retry resumes from the half */
    unlink(j.dest);
    job(&j, "/truncate-1", 0);
    ck_assert_msg(ge_fetch_run(&j, 1, &fast, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(j.attempts, 2);
    ck_assert(j.resumed);
}
END_TEST

START_TEST(a_stalled_transfer_times_out)
{
    struct ge_fetch_job j;
    job(&j, "/stall", 0);
    struct ge_fetch_opts o = fast;
    o.retries = 0;
    o.stall_s = 1;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fetch_run(&j, 1, &o, &err), -1);
    ck_assert_msg(strstr(j.error, "/stall/f0.tar.xz: ") != NULL, "%s", j.error);
    ck_assert(!exists(j.dest));
    /* the half that arrived is kept for a later resume */
    char part[4200];
    snprintf(part, sizeof part, "%s.part", j.dest);
    ck_assert(exists(part));
}
END_TEST

START_TEST(a_dead_mirror_fails_cleanly)
{
    struct ge_fetch_job j;
    job(&j, "", 0);
    snprintf(j.url, sizeof j.url, "http://127.0.0.1:1/f0.tar.xz");
    struct ge_fetch_opts o = fast;
    o.retries = 1;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fetch_run(&j, 1, &o, &err), -1);
    ck_assert_int_eq(j.attempts, 2);
    ck_assert(!exists(j.dest));
    ck_assert(err.hint[0]);
}
END_TEST

Suite *suite_fetch(void)
{
    Suite *s = suite_create("fetch");
    TCase *tc = tcase_create("loopback");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, parallel_downloads_are_verified_and_committed);
    tcase_add_test(tc, file_urls_work);
    tcase_add_test(tc, not_found_fails_at_once_and_leaves_nothing);
    tcase_add_test(tc, server_errors_are_retried);
    tcase_add_test(tc, wrong_bytes_are_refused);
    tcase_add_test(tc, partial_files_resume_and_cut_connections_retry);
    tcase_add_test(tc, a_stalled_transfer_times_out);
    tcase_add_test(tc, a_dead_mirror_fails_cleanly);
    suite_add_tcase(s, tc);
    return s;
}
