/* python.c: find the version of the python3 on PATH, cheaply: reading files beats starting an
 * interpreter (pyenv's shim alone costs a third of a second). */
#define _GNU_SOURCE
#include "python.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "str.h"
#include "version.h"

extern char **environ;

int ge_python_xy(const char *text, char *out, size_t size)
{
    struct ge_version v;
    char buf[32];
    size_t n = strcspn(text, " \t\r\n");
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    if (ge_version_parse(&v, buf, 2, 3) < 0 || v.part[0] < 2 || v.part[0] > 9)
        return -1;
    snprintf(out, size, "%u.%u", (unsigned)v.part[0], (unsigned)v.part[1]);
    return 0;
}

/* pyvenv.cfg holds "version = 3.11.7" (or "version_info = 3.12.1.final.0"). */
static int from_pyvenv(const char *dir, char *out, size_t size)
{
    char p[PATH_MAX];
    if (ge_path_join(p, sizeof p, dir, "pyvenv.cfg") < 0)
        return -1;
    char *text = ge_read_file(p, 1 << 16, NULL);
    if (!text)
        return -1;
    int rc = -1;
    for (char *line = strtok(text, "\n"); line && rc < 0; line = strtok(NULL, "\n")) {
        const char *keys[] = {"version", "version_info"};
        for (size_t k = 0; k < 2 && rc < 0; k++) {
            size_t kl = strlen(keys[k]);
            const char *s = line;
            if (strncmp(s, keys[k], kl) != 0)
                continue;
            s += kl;
            while (*s == ' ')
                s++;
            if (*s != '=')
                continue;
            s++;
            while (*s == ' ')
                s++;
            char v[32];
            size_t n = 0;
            /* "3.12.1.final.0": keep the numeric head */
            while ((s[n] >= '0' && s[n] <= '9') || s[n] == '.') {
                if (n + 1 >= sizeof v)
                    break;
                v[n] = s[n];
                n++;
            }
            v[n] = '\0';
            if (n && v[n - 1] == '.')
                v[n - 1] = '\0';
            char *dot3 = strchr(v, '.') ? strchr(strchr(v, '.') + 1, '.') : NULL;
            if (dot3 && strchr(dot3 + 1, '.'))
                *strchr(dot3 + 1, '.') = '\0';
            rc = ge_python_xy(v, out, size);
        }
    }
    free(text);
    return rc;
}

int ge_python_find_on_path(const char *name, char *out, size_t size)
{
    const char *path = getenv("PATH");
    if (!path)
        return -1;
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int rc = -1;
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && rc < 0; d = strtok_r(NULL, ":", &save)) {
        char p[PATH_MAX];
        struct stat st;
        if (ge_path_join(p, sizeof p, d[0] ? d : ".", name) == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
            access(p, X_OK) == 0) {
            ge_strlcpy(out, p, size);
            rc = 0;
        }
    }
    free(copy);
    return rc;
}

/* pyenv: PYENV_VERSION, a .python-version up from the current folder, then $PYENV_ROOT/version. */
static int from_pyenv(const char *shim, char *out, size_t size, char *source, size_t ssize)
{
    if (!strstr(shim, "/shims/"))
        return -1;
    const char *pv = getenv("PYENV_VERSION");
    if (pv && pv[0] && ge_python_xy(pv, out, size) == 0) {
        ge_strlcpy(source, "PYENV_VERSION", ssize);
        return 0;
    }
    char dir[PATH_MAX];
    if (getcwd(dir, sizeof dir)) {
        for (;;) {
            char p[PATH_MAX + 32];
            snprintf(p, sizeof p, "%s/.python-version", strcmp(dir, "/") ? dir : "");
            char *text = ge_read_file(p, 4096, NULL);
            if (text) {
                int rc = ge_python_xy(text, out, size);
                free(text);
                if (rc == 0) {
                    snprintf(source, ssize, "%s", p);
                    return 0;
                }
                return -1; /* "system" or a name: let python3 itself say */
            }
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir)
                break;
            *slash = '\0';
        }
    }
    char root[PATH_MAX];
    const char *r = getenv("PYENV_ROOT");
    if (r && r[0])
        ge_strlcpy(root, r, sizeof root);
    else {
        /* the shims folder sits in the root */
        ge_strlcpy(root, shim, sizeof root);
        char *s = strstr(root, "/shims/");
        *s = '\0';
    }
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/version", root);
    char *text = ge_read_file(p, 4096, NULL);
    if (!text)
        return -1;
    int rc = ge_python_xy(text, out, size);
    free(text);
    if (rc == 0)
        snprintf(source, ssize, "%s", p);
    return rc;
}

int ge_python_version_of(const char *exe, char *out, size_t size)
{
    char *argv[] = {(char *)exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])", NULL};
    struct ge_buf o, e; /* stderr is kept apart and dropped */
    ge_buf_init(&o);
    ge_buf_init(&e);
    struct ge_proc_result r;
    struct ge_err err;
    ge_err_clear(&err);
    int rc = ge_proc_capture(argv, 5, 63, &o, &e, &r, &err) == 0 ? ge_python_xy(ge_buf_str(&o), out, size) : -1;
    ge_buf_fini(&o);
    ge_buf_fini(&e);
    return rc;
}

int ge_python_detect(char *version, size_t vsize, char *source, size_t ssize)
{
    const char *venv = getenv("VIRTUAL_ENV");
    if (venv && venv[0] && from_pyvenv(venv, version, vsize) == 0) {
        snprintf(source, ssize, "%s/pyvenv.cfg", venv);
        return 0;
    }
    char exe[PATH_MAX], real[PATH_MAX];
    if (ge_python_find_on_path("python3", exe, sizeof exe) < 0)
        return -1;
    if (realpath(exe, real)) {
        const char *base = strrchr(real, '/');
        base = base ? base + 1 : real;
        if (strncmp(base, "python", 6) == 0 && ge_python_xy(base + 6, version, vsize) == 0) {
            snprintf(source, ssize, "%s", real);
            return 0;
        }
    }
    if (from_pyenv(exe, version, vsize, source, ssize) == 0)
        return 0;
    /* a venv's bin/python3: its pyvenv.cfg is one folder up */
    char dir[PATH_MAX];
    ge_strlcpy(dir, exe, sizeof dir);
    char *s = strrchr(dir, '/');
    if (s) {
        *s = '\0';
        s = strrchr(dir, '/');
        if (s) {
            *s = '\0';
            if (from_pyvenv(dir, version, vsize) == 0) {
                snprintf(source, ssize, "%s/pyvenv.cfg", dir);
                return 0;
            }
        }
    }
    if (ge_python_version_of(exe, version, vsize) == 0) { /* the last resort */
        snprintf(source, ssize, "%s", exe);
        return 0;
    }
    return -1;
}
