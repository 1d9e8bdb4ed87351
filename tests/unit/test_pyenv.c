/* test_pyenv.c: the Python part of a plan (pins, index, what needs the toolkit),
 * requirements.txt, finding an interpreter, running a child and the framework check's shape. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyenv.h"
#include "resolve.h"
#include "str.h"
#include "tests.h"

static struct ge_plan_pkg *pkg(struct ge_plan *p, const char *name, const char *version)
{
    struct ge_plan_pkg *k = &p->pkgs[p->npkgs++];
    memset(k, 0, sizeof *k);
    ge_strlcpy(k->name, name, sizeof k->name);
    ge_strlcpy(k->version, version, sizeof k->version);
    return k;
}

START_TEST(torch_pins_carry_the_variant_and_its_index)
{
    struct ge_plan plan;
    memset(&plan, 0, sizeof plan);
    strcpy(plan.python, "3.11");
    struct ge_plan_pkg *t = pkg(&plan, "torch", "2.4.1");
    strcpy(t->variant, "cu124");
    strcpy(t->index_url, "https://download.pytorch.org/whl/cu124");
    t->pypi_default = 0;
    strcpy(pkg(&plan, "torchvision", "0.19.1")->variant, "cu124");
    pkg(&plan, "cuda-toolkit", "12.4.1");
    strcpy(pkg(&plan, "numpy", "")->constraint, "<2");
    struct ge_py_plan py;
    ge_py_plan_from(&plan, NULL, &py);
    ck_assert_str_eq(py.framework, "torch");
    ck_assert_str_eq(py.version, "2.4.1+cu124");
    ck_assert_str_eq(py.index_url, "https://download.pytorch.org/whl/cu124");
    ck_assert_int_eq(py.n, 3);
    ck_assert_str_eq(py.reqs[0], "torch==2.4.1+cu124");
    ck_assert_str_eq(py.reqs[1], "torchvision==0.19.1+cu124");
    ck_assert_str_eq(py.reqs[2], "numpy<2");
    ck_assert(!py.needs_toolkit);
    struct ge_buf b;
    ge_buf_init(&b);
    ge_py_requirements_txt(&py, &b);
    ck_assert_ptr_nonnull(strstr(ge_buf_str(&b), "\n--extra-index-url https://download.pytorch.org/whl/cu124\n"
                                                 "torch==2.4.1+cu124\ntorchvision==0.19.1+cu124\nnumpy<2\n"));
    ge_buf_fini(&b);
    /* a mirror replaces the origin only */
    ge_py_plan_from(&plan, "http://mirror.site/pytorch/", &py);
    ck_assert_str_eq(py.index_url, "http://mirror.site/pytorch/whl/cu124");
    /* PyPI's own build: no label, no extra index */
    t->pypi_default = 1;
    ge_py_plan_from(&plan, NULL, &py);
    ck_assert_str_eq(py.reqs[0], "torch==2.4.1");
    ck_assert_str_eq(py.version, "2.4.1+cu124"); /* as torch.__version__ of PyPI's build says */
    ck_assert_str_eq(py.index_url, "");
}
END_TEST

START_TEST(tensorflow_and_jax_extras_decide_the_toolkit)
{
    struct ge_plan plan;
    memset(&plan, 0, sizeof plan);
    strcpy(plan.python, "3.11");
    struct ge_plan_pkg *k = pkg(&plan, "tensorflow", "2.15.0");
    strcpy(k->extra, "and-cuda");
    struct ge_py_plan py;
    ge_py_plan_from(&plan, NULL, &py);
    ck_assert_str_eq(py.reqs[0], "tensorflow[and-cuda]==2.15.0");
    ck_assert(!py.needs_toolkit);
    k->extra[0] = '\0'; /* before 2.14: CUDA from the prefix */
    ge_py_plan_from(&plan, NULL, &py);
    ck_assert_str_eq(py.reqs[0], "tensorflow==2.15.0");
    ck_assert(py.needs_toolkit);
    plan.npkgs = 0;
    k = pkg(&plan, "jax", "0.5.0");
    strcpy(k->extra, "cuda12");
    ge_py_plan_from(&plan, NULL, &py);
    ck_assert_str_eq(py.reqs[0], "jax[cuda12]==0.5.0");
    ck_assert(!py.needs_toolkit);
    strcpy(k->extra, "cuda12-local");
    ge_py_plan_from(&plan, NULL, &py);
    ck_assert(py.needs_toolkit);
    ck_assert_str_eq(py.find_links, "");
    /* 0.4.x: jaxlib's CUDA wheels are on JAX's own page, which requirements.txt names */
    k = &plan.pkgs[0];
    strcpy(k->version, "0.4.20");
    strcpy(k->extra, "cuda12-pip");
    strcpy(k->find_links, "https://storage.googleapis.com/jax-releases/jax_cuda_releases.html");
    ge_py_plan_from(&plan, NULL, &py);
    ck_assert_str_eq(py.find_links, k->find_links);
    struct ge_buf b;
    ge_buf_init(&b);
    ge_py_requirements_txt(&py, &b);
    ck_assert_ptr_nonnull(strstr(ge_buf_str(&b), "\n--find-links https://storage.googleapis.com/jax-releases/"
                                                 "jax_cuda_releases.html\njax[cuda12-pip]==0.4.20\n"));
    ge_buf_fini(&b);
    plan.npkgs = 0;
    pkg(&plan, "cuda-toolkit", "12.4.1");
    ge_py_plan_from(&plan, NULL, &py);
    ck_assert_str_eq(py.framework, "");
    ck_assert_int_eq(py.n, 0);
}
END_TEST

START_TEST(interpreters_children_and_the_check)
{
    struct ge_err err;
    ge_err_clear(&err);
    char exe[4096], xy[16], want[16];
    /* python3 on PATH, by its version */
    ck_assert_int_eq(ge_py_find(NULL, "0.1", exe, sizeof exe, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "no Python 0.1"));
    ck_assert(err.hint[0]);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_py_find("/nonexistent/python3", NULL, exe, sizeof exe, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ge_err_clear(&err);
    FILE *f = popen("command -v python3", "r");
    ck_assert_ptr_nonnull(f);
    char path[4096] = "";
    ck_assert_ptr_nonnull(fgets(path, sizeof path, f));
    pclose(f);
    ge_rtrim(path);
    ck_assert_int_eq(ge_py_version_of(path, want, sizeof want, &err), 0);
    ck_assert_int_eq(ge_py_find(path, want, exe, sizeof exe, &err), 0);
    ck_assert_str_eq(exe, path);
    ck_assert_int_eq(ge_py_find(NULL, want, exe, sizeof exe, &err), 0);
    ck_assert_int_eq(ge_py_version_of(exe, xy, sizeof xy, &err), 0);
    ck_assert_str_eq(xy, want);
    ck_assert_int_eq(ge_py_find(path, "0.1", exe, sizeof exe, &err), -1); /* the plan is for another */
    ge_err_clear(&err);
    /* a child's failure is named with its status */
    char *fails[] = {"/bin/sh", "-c", "exit 3", NULL};
    ck_assert_int_eq(ge_py_run(fails, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "exit status 3"));
    ge_err_clear(&err);
    char *ok[] = {"/bin/true", NULL};
    ck_assert_int_eq(ge_py_run(ok, &err), 0);
    /* a framework the check does not know: nothing imported, no GPU */
    cJSON *c = ge_py_check(path, "tensorflow_missing_here", &err);
    ck_assert_ptr_nonnull(c);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(c, "gpu")));
    ck_assert_ptr_null(cJSON_GetObjectItem(c, "error"));
    cJSON_Delete(c);
    /* torch: its version where this python has it, else the import error, as JSON */
    char probe[4200];
    snprintf(probe, sizeof probe, "'%s' -c 'import torch' 2>/dev/null", path);
    bool has_torch = system(probe) == 0;
    c = ge_py_check(path, "torch", &err);
    ck_assert_ptr_nonnull(c);
    if (has_torch) {
        ck_assert(cJSON_IsString(cJSON_GetObjectItem(c, "version")));
    } else {
        const cJSON *e = cJSON_GetObjectItem(c, "error");
        ck_assert(cJSON_IsString(e));
        ck_assert_ptr_nonnull(strstr(e->valuestring, "ModuleNotFoundError"));
    }
    cJSON_Delete(c);
}
END_TEST

Suite *suite_pyenv(void)
{
    Suite *s = suite_create("pyenv");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, torch_pins_carry_the_variant_and_its_index);
    tcase_add_test(tc, tensorflow_and_jax_extras_decide_the_toolkit);
    tcase_add_test(tc, interpreters_children_and_the_check);
    suite_add_tcase(s, tc);
    return s;
}
