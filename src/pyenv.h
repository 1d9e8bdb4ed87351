/* pyenv.h: the framework's Python environment: what pip installs from where (one
 * requirements.txt), which interpreter makes the venv, running pip, and the framework's own
 * check of what it sees. */
#ifndef GE_PYENV_H
#define GE_PYENV_H

#include <stdbool.h>

#include <cJSON.h>

#include "err.h"
#include "lock.h"
#include "resolve.h"
#include "str.h"

#define GE_PY_MAX_REQS 8

struct ge_py_plan {
    char framework[16];    /* torch | tensorflow | jax; "" when the plan holds none */
    char version[24];      /* the framework's version, as its module reports it ("2.4.1+cu124") */
    char python[16];       /* X.Y the plan is for */
    char index_url[256];   /* an extra index (PyTorch's for a variant PyPI lacks), or "" */
    bool index_only;       /* index_url is the only index (a gpuenv mirror's): pip's own are not asked */
    char find_links[128];  /* a page of wheels to look in (JAX's, for 0.4.x CUDA jaxlibs), or "" */
    int n;
    char reqs[GE_PY_MAX_REQS][96]; /* "torch==2.4.1+cu124", "numpy<2" */
    bool needs_toolkit;    /* the framework loads the prefix's CUDA toolkit and cuDNN at run time */
};

#define GE_PYTORCH_ORIGIN "https://download.pytorch.org"

/* The Python part of a plan. 'pytorch_mirror' (or NULL) replaces https://download.pytorch.org.
 * Pins carry the variant's local label where there is one (torch==2.4.1+cu124), so no other build
 * can satisfy them. TensorFlow from 2.14 and JAX's cudaNN extras bring CUDA as pip packages;
 * TensorFlow before 2.14 and JAX's -local extras need the prefix's toolkit. */
void ge_py_plan_from(const struct ge_plan *plan, const char *pytorch_mirror, struct ge_py_plan *out);

/* The Python part a lock pins (its framework, interpreter, index and requirements). */
void ge_py_plan_of_lock(const struct ge_lockfile *l, struct ge_py_plan *out);
/* requirements.txt: a comment saying how to reproduce, the index line, one requirement a line. */
void ge_py_requirements_txt(const struct ge_py_plan *p, struct ge_buf *out);

/* The interpreter for the venv: 'spec' an interpreter path, else python3.X (X.Y = 'version') on
 * PATH, else python3 when it is X.Y. Its path into exe; -1 with err (exit 1) when none fits. */
/* Whether two requirements.txt texts ask for the same packages: their requirement lines alike,
 * whatever their comments and index lines (the pins carry the build's label, so another index
 * cannot change what they install). */
bool ge_py_same_requirements(const char *a, const char *b);
int ge_py_find(const char *spec, const char *version, char *exe, size_t size, struct ge_err *err);
/* An interpreter's X.Y, by running it. */
int ge_py_version_of(const char *exe, char *xy, size_t size, struct ge_err *err);

/* Run argv (argv[0] a path), its stdout sent to our stderr so that stdout keeps only results.
 * 0 when it exits 0; else -1 with err naming what failed. */
int ge_py_run(char *const argv[], struct ge_err *err);
/* When the interpreter 'exe' is itself a venv, a venv made from it with --system-site-packages
 * sees the base installation, not exe's packages: a .pth file in the new venv ('venv_python')
 * adds exe's site-packages after its own. 0 (also when exe is no venv), or -1 with err. */
int ge_py_see_parent(const char *exe, const char *venv_python, struct ge_err *err);

/* The same with its output thrown away: for probes. */
int ge_py_quiet(char *const argv[], struct ge_err *err);

/* The framework's check, run with the venv's python: a JSON object with "framework", "version",
 * "cuda", "cudnn", "gpu" (bool), "device", "matmul" (bool: a small product on the GPU came out
 * right) or "error". The caller frees it. NULL with err when the interpreter cannot run. */
cJSON *ge_py_check(const char *python, const char *framework, struct ge_err *err);
/* The same, the interpreter killed when timeout_s (> 0) passes, its stderr into errout (inherited
 * when NULL). */
cJSON *ge_py_check_timed(const char *python, const char *framework, double timeout_s, struct ge_buf *errout,
                         struct ge_err *err);

#endif
