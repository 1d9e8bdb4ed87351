/* project.c: a project's paths, the prefix's lock, the journal that keeps gpuenv.lock and the
 * prefix in step, and the checks made before anything is downloaded. */
#include "project.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activate.h"
#include "str.h"

/* What a killed gpuenv may leave in a prefix it made only to build a venv in (see venv.c). */
#define PREFIX_MADE ".gpuenv-made-for-venv"

int ge_project_init(struct ge_project *p, const char *dir, const char *pre, struct ge_err *err)
{
    memset(p, 0, sizeof *p);
    p->flock_fd = -1;
    if (ge_store_project_paths(dir, pre, p->dir, sizeof p->dir, p->prefix, sizeof p->prefix, err) < 0 ||
        ge_env_check_path(p->prefix, err) < 0)
        return -1;
    if (ge_fmt(p->lock, sizeof p->lock, "%s/gpuenv.lock", p->dir) < 0 ||
        ge_fmt(p->pending, sizeof p->pending, "%s/gpuenv.lock.pending", p->dir) < 0 ||
        ge_fmt(p->record, sizeof p->record, "%s/gpuenv-prefix.lock", p->prefix) < 0)
        return ge_err_set(err, GE_EXIT_USAGE, "project path too long: %s", p->dir);
    return 0;
}

/* A pending lock left by a kill: the switch happened if the prefix records exactly it. */
static void settle_pending(struct ge_project *p)
{
    size_t pl, rl;
    char *pending = ge_read_file(p->pending, 16u << 20, &pl);
    if (!pending)
        return;
    char *record = ge_read_file(p->record, 16u << 20, &rl);
    if (record && pl == rl && memcmp(pending, record, pl) == 0 && rename(p->pending, p->lock) == 0)
        p->settled_forward = true;
    else
        unlink(p->pending);
    free(pending);
    free(record);
}

int ge_project_lock(struct ge_project *p, const char *doing, ge_wait_fn on_wait, void *ud, struct ge_err *err)
{
    if (p->flock_fd >= 0)
        return 0;
    char path[PATH_MAX + 16], what[PATH_MAX + 32];
    if (ge_fmt(path, sizeof path, "%s.flock", p->prefix) < 0)
        return ge_err_set(err, GE_EXIT_USAGE, "prefix path too long: %s", p->prefix);
    snprintf(what, sizeof what, "the environment %s", p->prefix);
    if ((p->flock_fd = ge_store_lock_file(path, what, doing, on_wait, ud, err)) < 0)
        return -1;
    settle_pending(p);
    return 0;
}

void ge_project_unlock(struct ge_project *p)
{
    if (p->flock_fd >= 0)
        close(p->flock_fd);
    p->flock_fd = -1;
}

int ge_project_check_prefix(const struct ge_project *p, struct ge_err *err)
{
    struct stat st;
    if (lstat(p->prefix, &st) < 0)
        return errno == ENOENT ? 0 : ge_err_sys(err, errno, "cannot inspect '%s'", p->prefix);
    if (S_ISLNK(st.st_mode)) {
        ge_err_set(err, GE_EXIT_FAILURE, "the prefix '%s' is a symbolic link: not installing through it", p->prefix);
        ge_err_hint(err, "give the folder it points to with --prefix");
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        ge_err_set(err, GE_EXIT_FAILURE, "the prefix '%s' exists and is not a folder", p->prefix);
        ge_err_hint(err, "give --prefix a new or empty folder");
        return -1;
    }
    char made[PATH_MAX + 32];
    if (access(p->record, F_OK) == 0 ||
        (ge_fmt(made, sizeof made, "%s/" PREFIX_MADE, p->prefix) == 0 && access(made, F_OK) == 0))
        return 0;
    DIR *d = opendir(p->prefix);
    if (!d)
        return ge_err_sys(err, errno, "cannot read '%s'", p->prefix);
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    if (empty)
        return 0;
    /* never replace (and so delete) a folder of someone else's files */
    ge_err_set(err, GE_EXIT_FAILURE, "'%s' holds files and is not a gpuenv environment: not installing into it",
               p->prefix);
    ge_err_hint(err, "give --prefix a new or empty folder, or move those files away first");
    return -1;
}

static int probe_writable(const char *dir, const char *what, struct ge_err *err)
{
    char probe[PATH_MAX + 64];
    if (ge_fmt(probe, sizeof probe, "%s/.gpuenv-write-test-%ld", dir, (long)getpid()) < 0)
        return ge_err_set(err, GE_EXIT_USAGE, "path too long: %s", dir);
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST) {
        unlink(probe); /* a probe of a killed gpuenv with our pid */
        fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
    if (fd < 0) {
        ge_err_sys(err, errno, "cannot write in %s '%s'", what, dir);
        if (errno == EACCES || errno == EPERM || errno == EROFS)
            ge_err_hint(err, "run gpuenv as a user who may write there, or choose another folder with -C or --prefix");
        return -1;
    }
    close(fd);
    unlink(probe);
    return 0;
}

int ge_project_check_writable(const struct ge_project *p, bool need_prefix, struct ge_err *err)
{
    if (probe_writable(p->dir, "the project folder", err) < 0)
        return -1;
    if (!need_prefix)
        return 0;
    char parent[PATH_MAX];
    ge_strlcpy(parent, p->prefix, sizeof parent);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    if (strcmp(parent, p->dir) == 0)
        return 0;
    struct stat st;
    if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode)) {
        ge_err_set(err, GE_EXIT_USAGE, "the prefix's folder '%s' does not exist", parent);
        ge_err_hint(err, "make it first, or give --prefix a path in an existing folder");
        return -1;
    }
    return probe_writable(parent, "the prefix's folder", err);
}

int ge_project_write_lock(const struct ge_project *p, const struct ge_lockfile *l, struct ge_err *err)
{
    return ge_lock_write(p->lock, l, err);
}

int ge_project_stage_lock(const struct ge_project *p, const struct ge_lockfile *l, struct ge_err *err)
{
    return ge_lock_write(p->pending, l, err);
}

int ge_project_settle_lock(const struct ge_project *p, struct ge_err *err)
{
    if (rename(p->pending, p->lock) < 0)
        return ge_err_sys(err, errno, "cannot move '%s' over '%s'", p->pending, p->lock);
    return 0;
}

void ge_project_abandon_lock(const struct ge_project *p)
{
    unlink(p->pending);
}
