/* venv.c: the framework's venv inside an install: build it in place, stage it, undo or rescue. */
#include "venv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyenv.h"
#include "store.h"
#include "str.h"
#include "tree.h"

#define VENV_ASIDE "venv.old-gpuenv"
#define PREFIX_MADE ".gpuenv-made-for-venv"

static int pjoin(char *out, size_t size, const char *a, const char *b)
{
    return ge_fmt(out, size, "%s/%s", a, b);
}

static int take_venv_back(const char *staging, void *venv)
{
    char staged[PATH_MAX + 32];
    return ge_fmt(staged, sizeof staged, "%s/venv", staging) == 0 && rename(staged, venv) == 0;
}

/* Undo what a killed gpuenv left: the previous venv moved aside, a venv moved into a staging
 * folder that was never switched in, a prefix made only to build a venv in. */
void ge_venv_rescue(const char *prefix)
{
    char v[PATH_MAX + 32], aside[PATH_MAX + 32], made[PATH_MAX + 32], marker[PATH_MAX + 32];
    struct ge_err ig;
    ge_err_clear(&ig);
    if (pjoin(v, sizeof v, prefix, "venv") < 0 || pjoin(aside, sizeof aside, prefix, VENV_ASIDE) < 0 ||
        pjoin(made, sizeof made, prefix, PREFIX_MADE) < 0 || pjoin(marker, sizeof marker, prefix, "gpuenv-prefix.lock") < 0)
        return;
    if (access(aside, F_OK) == 0) {
        ge_tree_remove(v, &ig);
        rename(aside, v);
    }
    if (access(made, F_OK) == 0 && access(marker, F_OK) != 0) {
        ge_tree_remove(prefix, &ig);
        return;
    }
    if (access(v, F_OK) == 0 || access(marker, F_OK) != 0)
        return;
    /* the prefix lost its venv to a staging folder: take it back */
    ge_store_each_leftover(prefix, ".staging-", take_venv_back, v);
}

/* Put things back after a failure before the switch. */
void ge_venv_undo(struct ge_venv_txn *t, const char *staging)
{
    char v[PATH_MAX + 32], aside[PATH_MAX + 32], staged[PATH_MAX + 64];
    struct ge_err ig;
    ge_err_clear(&ig);
    pjoin(v, sizeof v, t->prefix, "venv");
    pjoin(aside, sizeof aside, t->prefix, VENV_ASIDE);
    if (t->staged && staging[0] && pjoin(staged, sizeof staged, staging, "venv") == 0) {
        if (t->built)
            ge_tree_remove(staged, &ig);
        else
            rename(staged, v); /* a reused venv goes back unchanged */
    } else if (t->built) {
        ge_tree_remove(v, &ig);
    }
    if (t->aside)
        rename(aside, v);
    if (t->prefix_made)
        ge_tree_remove(t->prefix, &ig);
    t->aside = t->staged = t->prefix_made = t->built = false;
}

void ge_venv_done(struct ge_venv_txn *t)
{
    t->aside = t->staged = t->prefix_made = t->built = false;
}

int ge_venv_build(struct ge_venv_txn *t, const struct ge_lockfile *l, const struct ge_venv_opts *o,
                  const char *staging, struct ge_err *err)
{
    struct ge_py_plan py;
    ge_py_plan_of_lock(l, &py);
    if (o->pip_index && o->pip_index[0]) {
        ge_strlcpy(py.index_url, o->pip_index, sizeof py.index_url);
        py.index_only = true;
    }
    struct ge_buf txt;
    ge_buf_init(&txt);
    ge_py_requirements_txt(&py, &txt);
    char req[PATH_MAX + 64], v[PATH_MAX + 32], aside[PATH_MAX + 32], vpy[PATH_MAX + 64], staged[PATH_MAX + 64];
    int rc = -1;
    if (pjoin(req, sizeof req, staging, "requirements.txt") < 0 || pjoin(v, sizeof v, t->prefix, "venv") < 0 ||
        pjoin(aside, sizeof aside, t->prefix, VENV_ASIDE) < 0 || pjoin(vpy, sizeof vpy, v, "bin/python") < 0 ||
        pjoin(staged, sizeof staged, staging, "venv") < 0) {
        ge_err_set(err, GE_EXIT_FAILURE, "path too long: %s", t->prefix);
        goto out;
    }
    if (ge_store_write_text(staging, "requirements.txt", ge_buf_str(&txt), err) < 0)
        goto out;
    /* the same requirements for the same Python as the venv there: keep it */
    char have_req[PATH_MAX + 64], xy[16];
    struct ge_err ig;
    ge_err_clear(&ig);
    char *old = pjoin(have_req, sizeof have_req, t->prefix, "requirements.txt") == 0
                    ? ge_read_file(have_req, 1 << 20, NULL) : NULL;
    bool same = old && ge_py_same_requirements(old, ge_buf_str(&txt)) && access(vpy, X_OK) == 0 &&
                ge_py_version_of(vpy, xy, sizeof xy, &ig) == 0 && strcmp(xy, l->py_python) == 0;
    free(old);
    if (same) {
        t->kept = true;
    } else if (o->offline && !py.index_only) {
        ge_err_set(err, GE_EXIT_FAILURE, "--offline: the venv needs %s's wheels from an index, and no mirror holds "
                   "them", l->py_framework[0] ? l->py_framework : "the framework");
        ge_err_hint(err, "make a mirror where there is a network ('gpuenv mirror DIR ...'), bring it here and give "
                         "--mirror file://DIR; or leave the venv out with --no-python");
        goto out;
    } else {
        char exe[PATH_MAX];
        if (ge_py_find(o->python_exe, l->py_python, exe, sizeof exe, err) < 0)
            goto out;
        struct stat st;
        if (stat(t->prefix, &st) < 0) {
            if (mkdir(t->prefix, 0755) < 0) {
                ge_err_set(err, GE_EXIT_FAILURE, "cannot create '%s': %s", t->prefix, strerror(errno));
                goto out;
            }
            t->prefix_made = true;
            if (ge_store_write_text(t->prefix, PREFIX_MADE, "", err) < 0)
                goto out;
        }
        if (access(v, F_OK) == 0) {
            if (rename(v, aside) < 0) {
                ge_err_set(err, GE_EXIT_FAILURE, "cannot move '%s' aside: %s", v, strerror(errno));
                goto out;
            }
            t->aside = true;
        }
        t->built = true;
        char *mk[6];
        int n = 0;
        mk[n++] = exe;
        mk[n++] = "-m";
        mk[n++] = "venv";
        if (o->system_site) {
            mk[n++] = "--system-site-packages";
            /* without ensurepip (Debian's python3-venv missing) the interpreter's own pip serves */
            char *probe[] = {exe, "-c", "import ensurepip", NULL}, *pip_probe[] = {exe, "-m", "pip", "--version", NULL};
            struct ge_err pe;
            ge_err_clear(&pe);
            if (ge_py_quiet(probe, &pe) < 0 && ge_py_quiet(pip_probe, &pe) == 0)
                mk[n++] = "--without-pip";
        }
        mk[n++] = v;
        mk[n] = NULL;
        if (o->on_command)
            o->on_command(o->ud, mk);
        if (ge_py_run(mk, err) < 0) {
            ge_err_hint(err, "Debian and Ubuntu keep venv in the python3-venv package (python%s-venv)",
                        l->py_python);
            goto out;
        }
        if (o->system_site && ge_py_see_parent(exe, vpy, err) < 0)
            goto out;
        char *pip[12];
        int k = 0;
        pip[k++] = vpy;
        pip[k++] = "-m";
        pip[k++] = "pip";
        pip[k++] = "install";
        pip[k++] = "--disable-pip-version-check";
        pip[k++] = "--no-input";
        if (o->quiet)
            pip[k++] = "-q";
        pip[k++] = "-r";
        pip[k++] = req;
        pip[k] = NULL;
        if (o->on_command)
            o->on_command(o->ud, pip);
        if (ge_py_run(pip, err) < 0) {
            ge_err_hint(err, "pip's messages above say why; the previous environment is unchanged");
            goto out;
        }
    }
    if (rename(v, staged) < 0) {
        ge_err_set(err, GE_EXIT_FAILURE, "cannot move '%s' into '%s': %s", v, staging, strerror(errno));
        goto out;
    }
    t->staged = true;
    rc = 0;
out:
    ge_buf_fini(&txt);
    return rc;
}

int ge_venv_check(const char *prefix, const struct ge_lockfile *l, cJSON **check, bool *no_gpu, struct ge_err *err)
{
    *check = NULL;
    *no_gpu = false;
    char py[PATH_MAX + 32];
    if (ge_fmt(py, sizeof py, "%s/venv/bin/python", prefix) < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "path too long: %s", prefix);
    if (!(*check = ge_py_check(py, l->py_framework, err)))
        return -1;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(*check, "error");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(*check, "version");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(*check, "gpu");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(*check, "matmul");
    if (cJSON_IsString(e)) {
        ge_err_set(err, GE_EXIT_FAILURE, "%s was installed but does not load: %s", l->py_framework, e->valuestring);
        ge_err_hint(err, "'gpuenv run -- python -c \"import %s\"' shows the whole error",
                    strcmp(l->py_framework, "tensorflow") == 0 ? "tensorflow" : l->py_framework);
        return -1;
    }
    if (l->py_framework_version[0] && cJSON_IsString(v) && strcmp(v->valuestring, l->py_framework_version) != 0) {
        ge_err_set(err, GE_EXIT_FAILURE, "%s reports version %s, but %s was asked for", l->py_framework,
                   v->valuestring, l->py_framework_version);
        ge_err_hint(err, "another build came from an index in pip's configuration (PIP_INDEX_URL, pip.conf)");
        return -1;
    }
    if (cJSON_IsTrue(g) && !cJSON_IsTrue(m)) {
        ge_err_set(err, GE_EXIT_FAILURE, "%s sees the GPU, but a matrix product on it came out wrong",
                   l->py_framework);
        ge_err_hint(err, "'gpuenv detect' and 'gpuenv resolve --explain' show what the driver and GPU allow");
        return -1;
    }
    const cJSON *conv = cJSON_GetObjectItemCaseSensitive(*check, "conv");
    if (cJSON_IsFalse(conv)) {
        const cJSON *ce = cJSON_GetObjectItemCaseSensitive(*check, "conv_error");
        ge_err_set(err, GE_EXIT_FAILURE, "%s sees the GPU, but a convolution through cuDNN failed%s%s", l->py_framework,
                   cJSON_IsString(ce) ? ": " : "", cJSON_IsString(ce) ? ce->valuestring : "");
        ge_err_hint(err, "'gpuenv doctor' finds what shadows cuDNN (LD_LIBRARY_PATH)");
        return -1;
    }
    *no_gpu = !cJSON_IsTrue(g);
    return 0;
}

