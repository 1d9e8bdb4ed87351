/* pyenv.c: the framework's Python environment: requirements, interpreter, pip, check. */
#include "pyenv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "python.h"
#include "str.h"
#include "version.h"

static void add_req(struct ge_py_plan *p, const char *fmt, const char *a, const char *b, const char *c)
{
    if (p->n < GE_PY_MAX_REQS)
        snprintf(p->reqs[p->n++], sizeof p->reqs[0], fmt, a, b, c);
}

void ge_py_plan_from(const struct ge_plan *plan, const char *pytorch_mirror, struct ge_py_plan *out)
{
    memset(out, 0, sizeof *out);
    ge_strlcpy(out->python, plan->python, sizeof out->python);
    for (int i = 0; i < plan->npkgs; i++) {
        const struct ge_plan_pkg *k = &plan->pkgs[i];
        bool torchy = strcmp(k->name, "torch") == 0 || strcmp(k->name, "torchvision") == 0 ||
                      strcmp(k->name, "torchaudio") == 0;
        if (torchy) {
            const struct ge_plan_pkg *t = NULL; /* the torch entry says where the variant lives */
            for (int j = 0; j < plan->npkgs; j++)
                if (strcmp(plan->pkgs[j].name, "torch") == 0)
                    t = &plan->pkgs[j];
            bool own_index = t && t->pypi_default != 1 && t->index_url[0] && k->variant[0];
            add_req(out, own_index ? "%s==%s+%s" : "%s==%s", k->name, k->version, k->variant);
            if (strcmp(k->name, "torch") == 0) {
                ge_strlcpy(out->framework, "torch", sizeof out->framework);
                /* what torch.__version__ says: PyPI's CUDA builds carry their label there too */
                snprintf(out->version, sizeof out->version, k->variant[0] ? "%s+%s" : "%s", k->version, k->variant);
                if (own_index) {
                    const char *url = k->index_url;
                    if (pytorch_mirror && ge_startswith(url, GE_PYTORCH_ORIGIN)) {
                        size_t ml = strlen(pytorch_mirror);
                        snprintf(out->index_url, sizeof out->index_url, "%.*s%s",
                                 (int)(ml && pytorch_mirror[ml - 1] == '/' ? ml - 1 : ml), pytorch_mirror,
                                 url + strlen(GE_PYTORCH_ORIGIN));
                    } else {
                        ge_strlcpy(out->index_url, url, sizeof out->index_url);
                    }
                }
            }
        } else if (strcmp(k->name, "tensorflow") == 0 || strcmp(k->name, "jax") == 0) {
            ge_strlcpy(out->framework, k->name, sizeof out->framework);
            ge_strlcpy(out->version, k->version, sizeof out->version);
            ge_strlcpy(out->find_links, k->find_links, sizeof out->find_links);
            if (k->extra[0])
                add_req(out, "%s[%s]==%s", k->name, k->extra, k->version);
            else
                add_req(out, "%s==%s%s", k->name, k->version, "");
            /* tensorflow without [and-cuda] (before 2.14) and JAX's -local extras load the
             * toolkit and cuDNN from the library path */
            out->needs_toolkit = strcmp(k->name, "tensorflow") == 0 ? !k->extra[0]
                                                                   : (strstr(k->extra, "local") != NULL);
        } else if (strcmp(k->name, "numpy") == 0 && k->constraint[0]) {
            add_req(out, "numpy%s%s%s", k->constraint, "", "");
        } else if (plan->vendor == GE_VENDOR_AMD && k->version[0] && strcmp(k->name, "rocm") != 0 &&
                   strcmp(k->name, "miopen") != 0) {
            /* an AMD build's pins: tensorflow-rocm, or jaxlib and JAX's ROCm plugin beside jax */
            add_req(out, "%s==%s%s", k->name, k->version, "");
            ge_strlcpy(out->find_links, k->find_links, sizeof out->find_links);
            if (strncmp(k->name, "tensorflow", 10) == 0) /* its version is the package's, not the module's */
                ge_strlcpy(out->framework, "tensorflow", sizeof out->framework);
        }
    }
}

void ge_py_plan_of_lock(const struct ge_lockfile *l, struct ge_py_plan *out)
{
    memset(out, 0, sizeof *out);
    ge_strlcpy(out->framework, l->py_framework, sizeof out->framework);
    ge_strlcpy(out->version, l->py_framework_version, sizeof out->version);
    ge_strlcpy(out->python, l->py_python, sizeof out->python);
    ge_strlcpy(out->index_url, l->py_index, sizeof out->index_url);
    ge_strlcpy(out->find_links, l->py_find_links, sizeof out->find_links);
    for (int i = 0; i < l->py_n && out->n < GE_PY_MAX_REQS; i++)
        ge_strlcpy(out->reqs[out->n++], l->py_reqs[i], sizeof out->reqs[0]);
}

void ge_py_requirements_txt(const struct ge_py_plan *p, struct ge_buf *out)
{
    ge_buf_addf(out, "# %s for Python %s, written by gpuenv: reproduce with\n"
                     "#   python -m pip install -r requirements.txt\n",
                p->framework, p->python);
    if (p->index_url[0] && p->index_only) /* a mirror: it alone, pip's configured indexes not asked */
        ge_buf_addf(out, "--index-url %s\n", p->index_url);
    else if (p->index_url[0]) /* an extra index: everything else comes from pip's own configuration */
        ge_buf_addf(out, "--extra-index-url %s\n", p->index_url);
    if (p->find_links[0] && !p->index_only)
        ge_buf_addf(out, "--find-links %s\n", p->find_links);
    for (int i = 0; i < p->n; i++)
        ge_buf_addf(out, "%s\n", p->reqs[i]);
}

/* The next requirement line of *p (neither a comment, an option nor blank), its length in *n. */
static const char *next_requirement(const char **p, size_t *n)
{
    while (**p) {
        const char *line = *p;
        size_t len = strcspn(line, "\n");
        *p = line + len + (line[len] == '\n');
        while (len && (*line == ' ' || *line == '\t'))
            line++, len--;
        if (len && *line != '#' && *line != '-') {
            *n = len;
            return line;
        }
    }
    return NULL;
}

bool ge_py_same_requirements(const char *a, const char *b)
{
    for (;;) {
        size_t na = 0, nb = 0;
        const char *x = next_requirement(&a, &na), *y = next_requirement(&b, &nb);
        if (!x || !y)
            return !x && !y;
        if (na != nb || memcmp(x, y, na) != 0)
            return false;
    }
}

static int run_child(char *const argv[], bool quiet, struct ge_err *err)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot start '%s': %s", argv[0], strerror(errno));
    if (pid == 0) {
        int null = quiet ? open("/dev/null", O_WRONLY) : -1;
        if (null >= 0) {
            dup2(null, STDERR_FILENO);
            close(null);
        }
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execv(argv[0], argv);
        fprintf(stderr, "gpuenv: error: cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return ge_err_set(err, GE_EXIT_FAILURE, "cannot wait for '%s': %s", argv[0], strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFSIGNALED(st))
        return ge_err_set(err, GE_EXIT_FAILURE, "'%s %s' was killed by signal %d", argv[0], argv[1] ? argv[1] : "",
                          WTERMSIG(st));
    return ge_err_set(err, GE_EXIT_FAILURE, "'%s %s %s' failed (exit status %d)", argv[0], argv[1] ? argv[1] : "",
                      argv[1] && argv[2] ? argv[2] : "", WEXITSTATUS(st));
}

int ge_py_run(char *const argv[], struct ge_err *err)
{
    return run_child(argv, false, err);
}

int ge_py_quiet(char *const argv[], struct ge_err *err)
{
    return run_child(argv, true, err);
}

/* Run argv and read what it prints on stdout (at most size-1 bytes). */
static int capture(char *const argv[], char *buf, size_t size, struct ge_err *err)
{
    struct ge_buf out;
    ge_buf_init(&out);
    struct ge_proc_result r;
    int rc = ge_proc_capture(argv, 0, size - 1, &out, NULL, &r, err);
    ge_strlcpy(buf, ge_buf_str(&out), size);
    ge_buf_fini(&out);
    if (rc < 0)
        return -1;
    if (r.status != 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "'%s' failed (%s %d)", argv[0], r.signal ? "signal" : "exit status",
                          r.signal ? r.signal : r.status);
    return 0;
}

int ge_py_version_of(const char *exe, char *xy, size_t size, struct ge_err *err)
{
    if (ge_python_version_of(exe, xy, size) < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "'%s' reports no Python version", exe);
    return 0;
}

static bool executable(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

int ge_py_find(const char *spec, const char *version, char *exe, size_t size, struct ge_err *err)
{
    char xy[16];
    if (spec && strchr(spec, '/')) {
        if (!executable(spec))
            return ge_err_set(err, GE_EXIT_USAGE, "--python '%s': not an executable file", spec);
        ge_strlcpy(exe, spec, size);
        if (ge_py_version_of(exe, xy, sizeof xy, err) < 0)
            return -1;
        if (version && version[0] && strcmp(xy, version) != 0)
            return ge_err_set(err, GE_EXIT_USAGE, "--python '%s' is Python %s, but the plan is for %s", spec, xy,
                              version);
        return 0;
    }
    char name[32];
    snprintf(name, sizeof name, "python%s", version);
    if (ge_python_find_on_path(name, exe, size) == 0)
        return 0;
    if (ge_python_find_on_path("python3", exe, size) == 0) {
        struct ge_err ignore;
        ge_err_clear(&ignore);
        if (ge_py_version_of(exe, xy, sizeof xy, &ignore) == 0 && strcmp(xy, version) == 0)
            return 0;
    }
    ge_err_set(err, GE_EXIT_FAILURE, "no Python %s to make the environment with: neither %s nor a python3 of that "
                                     "version is on PATH",
               version, name);
    ge_err_hint(err, "install Python %s, or give its path with --python /path/to/python%s", version, version);
    return -1;
}

int ge_py_see_parent(const char *exe, const char *venv_python, struct ge_err *err)
{
    char parent[8192], own[4096];
    char *a[] = {(char *)exe, "-c",
                 "import sys, sysconfig\n"
                 "if sys.prefix != sys.base_prefix:\n"
                 "    p = sysconfig.get_paths()\n"
                 "    print('\\n'.join(dict.fromkeys([p['purelib'], p['platlib']])))\n",
                 NULL};
    char *b[] = {(char *)venv_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", NULL};
    if (capture(a, parent, sizeof parent, err) < 0)
        return -1;
    if (!parent[0])
        return 0; /* not a venv: --system-site-packages already shows its packages */
    if (capture(b, own, sizeof own, err) < 0)
        return -1;
    ge_rtrim(own);
    char path[4200];
    if (ge_fmt(path, sizeof path, "%s/_gpuenv_parent.pth", own) < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "path too long: %s", own);
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(parent, f) >= 0;
    ok = (f && fclose(f) == 0) && ok;
    if (!ok)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

/* The check: one JSON line on stdout, whatever happens. */
static const char check_py[] =
    "import json, sys\n"
    "fw = sys.argv[1]\n"
    "r = {'framework': fw, 'gpu': False}\n"
    "try:\n"
    "    if fw == 'torch':\n"
    "        import torch\n"
    "        r['version'] = torch.__version__\n"
    "        r['cuda'] = torch.version.cuda\n"
    "        r['hip'] = getattr(torch.version, 'hip', None)\n"
    "        r['cudnn'] = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None\n"
    "        r['gpu'] = bool(torch.cuda.is_available())\n"
    "        if r['gpu']:\n"
    "            r['device'] = torch.cuda.get_device_name(0)\n"
    "            a = torch.ones(64, 64, device='cuda')\n"
    "            r['matmul'] = float((a @ a).sum().item()) == 64.0 ** 3\n"
    "            if r['cudnn']:\n"
    "                try:\n"
    "                    import torch.nn.functional as F\n"
    "                except ImportError:\n"
    "                    F = None\n"
    "                if F is not None:\n"
    "                    try:\n"
    "                        y = F.conv2d(torch.ones(1, 1, 4, 4, device='cuda'), torch.ones(1, 1, 3, 3, device='cuda'))\n"
    "                        r['conv'] = float(y.sum().item()) == 36.0\n"
    "                    except BaseException as e:\n"
    "                        r['conv'] = False\n"
    "                        r['conv_error'] = '%s: %s' % (type(e).__name__, str(e).strip().splitlines()[-1] if str(e).strip() else '')\n"
    "    elif fw == 'tensorflow':\n"
    "        import tensorflow as tf\n"
    "        r['version'] = tf.__version__\n"
    "        b = tf.sysconfig.get_build_info()\n"
    "        r['cuda'], r['cudnn'] = b.get('cuda_version'), b.get('cudnn_version')\n"
    "        r['hip'] = b.get('rocm_version') if b.get('is_rocm_build') else None\n"
    "        g = tf.config.list_physical_devices('GPU')\n"
    "        r['gpu'] = len(g) > 0\n"
    "        if g:\n"
    "            r['device'] = g[0].name\n"
    "            with tf.device('/GPU:0'):\n"
    "                a = tf.ones((64, 64))\n"
    "                r['matmul'] = float(tf.reduce_sum(tf.matmul(a, a))) == 64.0 ** 3\n"
    "    elif fw == 'jax':\n"
    "        import jax, jax.numpy as jnp\n"
    "        r['version'] = jax.__version__\n"
    "        g = [d for d in jax.devices() if d.platform in ('gpu', 'cuda', 'rocm')]\n"
    "        r['gpu'] = len(g) > 0\n"
    "        if g:\n"
    "            r['device'] = g[0].device_kind\n"
    "            a = jax.device_put(jnp.ones((64, 64)), g[0])\n"
    "            r['matmul'] = float((a @ a).sum()) == 64.0 ** 3\n"
    "except BaseException as e:\n"
    "    r['error'] = '%s: %s' % (type(e).__name__, str(e).splitlines()[0] if str(e) else '')\n"
    "print(json.dumps(r))\n";

cJSON *ge_py_check_timed(const char *python, const char *framework, double timeout_s, struct ge_buf *errout,
                         struct ge_err *err)
{
    char *argv[] = {(char *)python, "-c", (char *)check_py, (char *)framework, NULL};
    struct ge_buf out;
    ge_buf_init(&out);
    struct ge_proc_result pr;
    cJSON *r = NULL;
    if (ge_proc_capture(argv, timeout_s, 1 << 16, &out, errout, &pr, err) == 0) {
        /* a framework may print on stdout before the result line */
        const char *doc = strstr(ge_buf_str(&out), "{\"framework\"");
        r = doc ? cJSON_Parse(doc) : NULL;
        if (pr.timed_out)
            ge_err_set(err, GE_EXIT_FAILURE, "the %s check did not finish within %gs", framework, timeout_s);
        else if (!r && pr.status != 0)
            ge_err_set(err, GE_EXIT_FAILURE, "'%s' failed (%s %d)", python, pr.signal ? "signal" : "exit status",
                       pr.signal ? pr.signal : pr.status);
        else if (!r)
            ge_err_set(err, GE_EXIT_FAILURE, "the %s check printed no result", framework);
        if (pr.timed_out) {
            cJSON_Delete(r);
            r = NULL;
        }
    }
    ge_buf_fini(&out);
    return r;
}

cJSON *ge_py_check(const char *python, const char *framework, struct ge_err *err)
{
    return ge_py_check_timed(python, framework, 0, NULL, err);
}
