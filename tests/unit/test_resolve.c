/* test_resolve.c: the resolver's rules against the minimal fixture matrix, one rule a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd.h"
#include "resolve.h"
#include "tests.h"

static struct ge_matrix *m;

static void setup(void)
{
    struct ge_err err;
    ge_err_clear(&err);
    m = ge_matrix_load("tests/data/matrix-min", &err);
    ck_assert_msg(m != NULL, "%s", err.msg);
}

static void teardown(void)
{
    ge_matrix_free(m);
}

/* A host: driver ("" unknown), GPUs as "8.0,9.0" ("" unknown), python ("" unknown). */
static struct ge_host_facts host(const char *driver, const char *gpus, const char *python)
{
    struct ge_host_facts h;
    memset(&h, 0, sizeof h);
    if (driver[0]) {
        h.driver_known = ge_version_parse(&h.driver.v, driver, 2, 3) == 0;
        snprintf(h.driver.s, sizeof h.driver.s, "%s", driver);
        h.driver_cuda_known = ge_matrix_driver_cuda(m, &h.driver.v, &h.driver_cuda) == 0;
    }
    if (gpus[0]) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", gpus);
        h.gpus_known = true;
        for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
            ge_cc_parse(&h.gpus[h.ngpus++], t);
    }
    if (python[0]) {
        h.python_known = ge_version_parse(&h.python.v, python, 2, 2) == 0;
        snprintf(h.python.s, sizeof h.python.s, "%s", python);
    }
    snprintf(h.platform, sizeof h.platform, "linux");
    snprintf(h.arch, sizeof h.arch, "x86_64");
    return h;
}

/* Resolve the space-separated requirements reqs with options o. */
static int resolve_opts(const struct ge_host_facts *h, const char *reqs, const struct ge_resolve_opts *o,
                        struct ge_plan *p, struct ge_err *err)
{
    struct ge_req r[8];
    int n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", reqs);
    ge_err_clear(err);
    for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
        ck_assert_int_eq(ge_req_parse(&r[n++], t, err), 0);
    ge_plan_init(p);
    return ge_resolve(m, h, r, n, o, p, err);
}

static int resolve(const struct ge_host_facts *h, const char *reqs, bool strict, struct ge_plan *p, struct ge_err *err)
{
    struct ge_resolve_opts o = {.strict = strict};
    return resolve_opts(h, reqs, &o, p, err);
}

static const struct ge_plan_pkg *pkg(const struct ge_plan *p, const char *name)
{
    for (int i = 0; i < p->npkgs; i++)
        if (strcmp(p->pkgs[i].name, name) == 0)
            return &p->pkgs[i];
    return NULL;
}

START_TEST(native_driver_gives_the_full_plan)
{
    struct ge_host_facts h = host("550.54.15", "8.0", "3.12");
    struct ge_plan p;
    struct ge_err err;
    ck_assert_msg(resolve(&h, "torch", false, &p, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(pkg(&p, "torch")->version, "2.4.1");
    ck_assert_str_eq(pkg(&p, "torch")->variant, "cu124");
    ck_assert_str_eq(pkg(&p, "torch")->index_url, "https://download.pytorch.org/whl/cu124");
    ck_assert_str_eq(pkg(&p, "cuda-toolkit")->version, "12.4.1");
    ck_assert_str_eq(pkg(&p, "cudnn")->version, "9.1.0.70");
    ck_assert_str_eq(pkg(&p, "cudnn")->build, "cuda12");
    ck_assert_str_eq(pkg(&p, "numpy")->constraint, "<2");
    ck_assert_str_eq(p.python, "3.12");
    ck_assert_ptr_nonnull(strstr(p.pip, "pip install torch==2.4.1 'numpy<2' --index-url https://download.pytorch.org/whl/cu124"));
    ck_assert(p.cands[0].chosen && !p.cands[0].mvc);
    ck_assert_int_eq(p.nnotes, 0);
    ge_plan_fini(&p);
}
END_TEST

START_TEST(minor_version_compatibility_and_strict)
{
    struct ge_host_facts h = host("535.104.05", "8.0", "3.12");
    struct ge_plan p;
    struct ge_err err;
    ck_assert_int_eq(resolve(&h, "torch", false, &p, &err), 0);
    ck_assert(p.cands[0].mvc);
    ck_assert_ptr_nonnull(strstr(p.notes[0], "minor-version compatibility"));
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve(&h, "torch", true, &p, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_NO_SOLUTION);
    ck_assert_str_eq(p.reason, "driver-too-old");
    ck_assert_msg(strstr(err.msg, "driver 535.104.05 supports up to CUDA 12.2"), "%s", err.msg);
    ck_assert_msg(strstr(err.hint, "a driver >= 550.54.15 would allow torch 2.4.1 cu124"), "%s", err.hint);
    ge_plan_fini(&p);
    /* below the CUDA 12 floor: refused even without --strict */
    h = host("520.61.05", "8.0", "3.12");
    ck_assert_int_eq(resolve(&h, "torch", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "driver-too-old");
    ck_assert_msg(strstr(err.hint, "a driver >= 525.60.13 would allow torch 2.4.1 cu124"), "%s", err.hint);
    ge_plan_fini(&p);
}
END_TEST

START_TEST(gpu_rules_cubin_ptx_and_dropped)
{
    struct ge_plan p;
    struct ge_err err;
    /* 8.9: the 8.0 cubin runs (same major, lower minor) */
    struct ge_host_facts h = host("550.54.15", "8.9", "3.12");
    ck_assert_int_eq(resolve(&h, "torch", false, &p, &err), 0);
    ge_plan_fini(&p);
    /* 3.7: older than every arch */
    h = host("550.54.15", "3.7", "3.12");
    ck_assert_int_eq(resolve(&h, "torch", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-gpu");
    ck_assert_msg(strstr(p.cands[0].why[GE_REASON_GPU], "has no code for compute capability 3.7"), "%s",
                  p.cands[0].why[GE_REASON_GPU]);
    ge_plan_fini(&p);
    /* 12.0: only 9.0's PTX runs, which a native driver must JIT; its cuDNN 9.1 (listing up to 9.0)
     * runs there in forward-compatibility mode, said as a rule */
    h = host("550.54.15", "12.0", "3.12");
    ck_assert_int_eq(resolve(&h, "torch", false, &p, &err), 0);
    bool said = false;
    for (int i = 0; i < p.nnotes; i++)
        said = said || strstr(p.notes[i], "policy 'hardware-forward-compat'");
    ck_assert(said);
    ge_plan_fini(&p);
    /* cuDNN 8 has no forward compatibility: 8.9.7 (CUDA <= 12.2, up to 9.0) on 12.0 is refused */
    h = host("550.54.15", "12.0", "3.12");
    ck_assert_int_eq(resolve(&h, "cudnn==8.9.7", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-gpu");
    ck_assert_msg(strstr(err.hint, "only from 9.0, with CUDA 12+"), "%s", err.hint);
    ge_plan_fini(&p);
    h = host("535.104.05", "12.0", "3.12");
    ck_assert_int_eq(resolve(&h, "torch", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "driver-too-old");
    ck_assert_ptr_nonnull(strstr(p.cands[0].why[GE_REASON_DRIVER], "only through PTX"));
    ge_plan_fini(&p);
    /* mixed GPUs: every one must run */
    h = host("550.54.15", "8.0,3.7", "3.12");
    ck_assert_int_eq(resolve(&h, "torch", false, &p, &err), -1);
    ck_assert_ptr_nonnull(strstr(p.cands[0].why[GE_REASON_GPU], "(GPU 1)"));
    ge_plan_fini(&p);
}
END_TEST

START_TEST(python_platform_and_conflicts)
{
    struct ge_plan p;
    struct ge_err err;
    struct ge_host_facts h = host("550.54.15", "8.0", "3.10");
    ck_assert_int_eq(resolve(&h, "torch", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-python");
    /* the versions with a gap are listed, not spanned */
    ck_assert_ptr_nonnull(strstr(p.cands[0].why[GE_REASON_PYTHON], "supports Python 3.8, 3.11, 3.12, not 3.10"));
    ge_plan_fini(&p);
    /* python>=3.11 asks for another Python than this machine's 3.10: 3.12 fits */
    ck_assert_int_eq(resolve(&h, "torch python>=3.11", false, &p, &err), 0);
    ck_assert_str_eq(p.python, "3.12");
    ge_plan_fini(&p);
    h = host("550.54.15", "8.0", "3.12");
    snprintf(h.platform, sizeof h.platform, "windows");
    ck_assert_int_eq(resolve(&h, "torch", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-platform");
    ge_plan_fini(&p);
    h = host("550.54.15", "8.0", "3.12");
    ck_assert_int_eq(resolve(&h, "torch numpy>=2", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "conflict");
    ck_assert_ptr_nonnull(strstr(err.msg, "needs NumPy < 2"));
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve(&h, "torch cuda==12.4.*", false, &p, &err), 0);
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve(&h, "torch cuda>=13", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "conflict");
    ge_plan_fini(&p);
}
END_TEST

START_TEST(unknown_names_versions_and_two_frameworks)
{
    struct ge_plan p;
    struct ge_err err;
    struct ge_host_facts h = host("550.54.15", "8.0", "3.12");
    ck_assert_int_eq(resolve(&h, "pytorch", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unknown-package");
    ck_assert_int_eq(err.status, GE_EXIT_NO_SOLUTION);
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve(&h, "torch==9.9", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "no-such-version");
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve(&h, "torch jax", false, &p, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve(&h, "torch>=2 torch<3", false, &p, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve(&h, "tensorflow[gpu]", false, &p, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ge_plan_fini(&p);
}
END_TEST

START_TEST(no_requirement_gives_the_newest_toolkit)
{
    struct ge_plan p;
    struct ge_err err;
    struct ge_host_facts h = host("550.54.15", "8.0", "");
    ck_assert_int_eq(resolve(&h, "", false, &p, &err), 0);
    ck_assert_str_eq(pkg(&p, "cuda-toolkit")->version, "12.4.1");
    ck_assert_str_eq(pkg(&p, "cudnn")->version, "9.1.0.70");
    ck_assert_str_eq(p.pip, "");
    ck_assert(p.cands[0].newer && (p.cands[0].fails & (1u << GE_REASON_DRIVER))); /* 13.4.2 */
    ge_plan_fini(&p);
    /* the GPU rule for toolkits: 3.7 is older than every capability of 12.4 and 13.0; the minimal
     * matrix lacks the capabilities of 12.1 and 13.4, so those cannot be vouched for: the answer
     * is the gap, not a guessed refusal */
    h = host("580.65.06", "3.7", "");
    ck_assert_int_eq(resolve(&h, "", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "incomplete-data");
    ck_assert_msg(strstr(err.msg, "the matrix cannot vouch for"), "%s", err.msg);
    ge_plan_fini(&p);
    h = host("580.65.06", "3.7", "");
    ck_assert_int_eq(resolve(&h, "cuda-toolkit==12.4.*", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-gpu");
    ge_plan_fini(&p);
    /* nothing known about the host: nothing refused */
    h = host("", "", "");
    ck_assert_int_eq(resolve(&h, "torch", false, &p, &err), 0);
    ge_plan_fini(&p);
}
END_TEST

START_TEST(tensorflow_and_jax)
{
    struct ge_plan p;
    struct ge_err err;
    struct ge_host_facts h = host("550.54.15", "8.6", "3.11");
    ck_assert_msg(resolve(&h, "tensorflow[and-cuda]", false, &p, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(pkg(&p, "tensorflow")->extra, "and-cuda");
    ck_assert_ptr_nonnull(strstr(p.pip, "pip install 'tensorflow[and-cuda]==2.15.0'"));
    ge_plan_fini(&p);
    ck_assert_msg(resolve(&h, "jax[cuda12]", false, &p, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(pkg(&p, "jax")->extra, "cuda12");
    ge_plan_fini(&p);
    h = host("550.54.15", "5.0", "3.11");
    ck_assert_int_eq(resolve(&h, "jax", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-gpu");
    ge_plan_fini(&p);
}
END_TEST

/* AMD GPUs, as gfx target names ("gfx90a,gfx1031"), on a host with no NVIDIA GPU. */
static struct ge_host_facts amd_host(const char *gfx, const char *python)
{
    struct ge_host_facts h = host("", "", python);
    char buf[64];
    snprintf(buf, sizeof buf, "%s", gfx);
    h.amd_known = true;
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
        ck_assert_int_eq(ge_amd_gfx_parse(t, &h.amd[h.namd++]), 0);
    return h;
}

static int resolve_amd(const struct ge_host_facts *h, const char *reqs, enum ge_vendor v, bool override,
                       struct ge_plan *p, struct ge_err *err)
{
    struct ge_resolve_opts o = {.vendor = v, .hsa_override = override};
    return resolve_opts(h, reqs, &o, p, err);
}

START_TEST(amd_gpus_get_a_rocm_build_holding_their_target)
{
    struct ge_plan p;
    struct ge_err err;
    struct ge_host_facts h = amd_host("gfx90a", "3.12");
    ck_assert_msg(resolve_amd(&h, "torch", GE_VENDOR_AUTO, false, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.vendor, GE_VENDOR_AMD);
    ck_assert_str_eq(pkg(&p, "torch")->variant, "rocm6.1"); /* the newest ROCm first */
    ck_assert_str_eq(pkg(&p, "torch")->index_url, "https://download.pytorch.org/whl/rocm6.1");
    ck_assert_str_eq(pkg(&p, "rocm")->version, "6.1");
    ck_assert_str_eq(pkg(&p, "miopen")->version, "3.1.0");
    ck_assert_ptr_null(pkg(&p, "cuda-toolkit"));
    ck_assert_str_eq(p.hsa_override, "");
    ge_plan_fini(&p);
    /* a label picks the variant */
    ck_assert_int_eq(resolve_amd(&h, "torch==2.4.1+rocm6.0", GE_VENDOR_AUTO, false, &p, &err), 0);
    ck_assert_str_eq(pkg(&p, "torch")->variant, "rocm6.0");
    ck_assert_str_eq(pkg(&p, "miopen")->version, "3.0.0");
    ge_plan_fini(&p);
    /* gfx1031: no build carries it; the same-family gfx1030 is named, never applied unasked */
    h = amd_host("gfx1031", "3.12");
    ck_assert_int_eq(resolve_amd(&h, "torch", GE_VENDOR_AUTO, false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-gpu");
    ck_assert_ptr_nonnull(strstr(err.hint, "HSA_OVERRIDE_GFX_VERSION=10.3.0"));
    ck_assert_ptr_nonnull(strstr(p.cands[0].why[GE_REASON_GPU], "no code object for gfx1031"));
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve_amd(&h, "torch", GE_VENDOR_AUTO, true, &p, &err), 0);
    ck_assert_str_eq(p.hsa_override, "10.3.0");
    ge_plan_fini(&p);
    /* the variable applies to every GPU: a gfx1100 beside it cannot be told it is a gfx1030 */
    h = amd_host("gfx1031,gfx1100", "3.12");
    ck_assert_int_eq(resolve_amd(&h, "torch", GE_VENDOR_AUTO, true, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-gpu");
    ge_plan_fini(&p);
    /* a target whose family no build reaches: no override named */
    h = amd_host("gfx1201", "3.12");
    ck_assert_int_eq(resolve_amd(&h, "torch", GE_VENDOR_AUTO, false, &p, &err), -1);
    ck_assert_ptr_null(strstr(err.hint, "HSA_OVERRIDE"));
    ge_plan_fini(&p);
}
END_TEST

START_TEST(amd_platform_vendor_and_other_frameworks)
{
    struct ge_plan p;
    struct ge_err err;
    struct ge_host_facts h = amd_host("gfx90a", "3.11");
    snprintf(h.platform, sizeof h.platform, "windows");
    ck_assert_int_eq(resolve_amd(&h, "torch", GE_VENDOR_AUTO, false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-platform");
    ge_plan_fini(&p);
    /* both vendors: the user chooses, and a plan is one vendor's */
    h = amd_host("gfx90a", "3.11");
    h.gpus_known = true;
    ge_cc_parse(&h.gpus[h.ngpus++], "8.0");
    ck_assert_int_eq(resolve_amd(&h, "torch", GE_VENDOR_AUTO, false, &p, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ck_assert_ptr_nonnull(strstr(err.hint, "--vendor"));
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve_amd(&h, "torch", GE_VENDOR_NVIDIA, false, &p, &err), 0);
    ck_assert_str_eq(pkg(&p, "torch")->variant, "cu124");
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve_amd(&h, "torch", GE_VENDOR_AMD, false, &p, &err), 0);
    ck_assert_str_eq(pkg(&p, "torch")->variant, "rocm6.1");
    ge_plan_fini(&p);
    ck_assert_int_eq(resolve_amd(&h, "torch==2.4.1+rocm6.1 cuda-toolkit", GE_VENDOR_AUTO, false, &p, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ge_plan_fini(&p);
    /* no framework: nothing gpuenv installs for AMD */
    h = amd_host("gfx90a", "3.11");
    ck_assert_int_eq(resolve_amd(&h, "", GE_VENDOR_AUTO, false, &p, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ge_plan_fini(&p);
    /* tensorflow-rocm: its gfx list unknown, the GPU on ROCm 6.1's official list; the system's ROCm */
    ck_assert_msg(resolve_amd(&h, "tensorflow", GE_VENDOR_AUTO, false, &p, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(pkg(&p, "tensorflow-rocm")->version, "2.15.0");
    ck_assert_str_eq(pkg(&p, "tensorflow-rocm")->find_links, "https://repo.radeon.com/rocm/manylinux/rocm-rel-6.1/");
    bool said = false;
    for (int i = 0; i < p.nnotes; i++)
        said = said || strstr(p.notes[i], "supports officially");
    ck_assert(said);
    ge_plan_fini(&p);
    h.rocm_known = true;
    ge_version_parse(&h.rocm.v, "6.0.2", 2, 3);
    snprintf(h.rocm.s, sizeof h.rocm.s, "6.0.2");
    ck_assert_int_eq(resolve_amd(&h, "tensorflow", GE_VENDOR_AUTO, false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "driver-too-old");
    ge_plan_fini(&p);
    /* gfx1100 is on ROCm 6.1's list, not in the jax build's own: refused */
    h = amd_host("gfx1100", "3.11");
    ck_assert_int_eq(resolve_amd(&h, "jax", GE_VENDOR_AUTO, false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-gpu");
    ge_plan_fini(&p);
}
END_TEST

/* A fleet's host: a name and host() facts. */
static struct ge_fleet_host named(const char *name, const char *driver, const char *gpus)
{
    struct ge_fleet_host h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "%s", name);
    h.f = host(driver, gpus, "3.12");
    return h;
}

/* A fleet is checked host by host, not squashed into one machine: the 12.0 GPU runs torch's 9.0
 * PTX under its own native driver, while the other host's older driver runs the build through
 * minor-version compatibility (one machine with both GPUs on the older driver could not JIT). */
START_TEST(fleet_each_host_on_its_own_terms)
{
    struct ge_fleet_host fl[3] = {named("a100", "535.104.05", "8.0"), named("rtx", "550.54.15", "12.0"),
                                  named("login", "", "")};
    fl[2].f.gpus_known = true; /* no GPU at all, and no driver */
    struct ge_req r;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_req_parse(&r, "torch", &err), 0);
    struct ge_resolve_opts o = {.strict = false};
    struct ge_plan p;
    ge_plan_init(&p);
    ck_assert_msg(ge_resolve_fleet(m, fl, 3, &r, 1, &o, &p, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(pkg(&p, "torch")->variant, "cu124");
    ck_assert(p.cands[0].mvc && p.cands[0].mvc_hosts == 1u); /* through MVC on a100 only */
    bool said = false;
    for (int i = 0; i < p.nnotes; i++)
        said = said || strstr(p.notes[i], "minor-version compatibility on a100");
    ck_assert(said);
    ge_plan_fini(&p);
    /* the same GPUs as one machine on the older driver: the PTX cannot be JIT-compiled there */
    struct ge_host_facts one = host("535.104.05", "8.0,12.0", "3.12");
    ck_assert_int_eq(resolve(&one, "torch", false, &p, &err), -1);
    ck_assert_str_eq(p.reason, "driver-too-old");
    ge_plan_fini(&p);
    /* --strict: a100's driver must run CUDA 12.4 natively; the refusal names it, and the hint says
     * which host needs which driver */
    o.strict = true;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_resolve_fleet(m, fl, 3, &r, 1, &o, &p, &err), -1);
    ck_assert_str_eq(p.reason, "driver-too-old");
    ck_assert_msg(strstr(err.msg, "driver 535.104.05 of a100"), "%s", err.msg);
    ck_assert_msg(strstr(err.hint, "a driver >= 550.54.15 on a100"), "%s", err.hint);
    ck_assert(p.cands[0].hosts[GE_REASON_DRIVER] == 1u);
    ck_assert_msg(strncmp(p.cands[0].why[GE_REASON_DRIVER], "a100: ", 6) == 0, "%s", p.cands[0].why[GE_REASON_DRIVER]);
    ge_plan_fini(&p);
    /* a GPU no build runs, on one host: refused there, named */
    fl[1].f = host("550.54.15", "3.7", "3.12");
    o.strict = false;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_resolve_fleet(m, fl, 3, &r, 1, &o, &p, &err), -1);
    ck_assert_str_eq(p.reason, "unsupported-gpu");
    ck_assert_msg(strstr(err.msg, "compute capability 3.7 of rtx"), "%s", err.msg);
    ge_plan_fini(&p);
    /* a host of the other vendor only: a usage error, not a silent plan */
    fl[1].f = host("", "", "3.12");
    fl[1].f.amd_known = true;
    fl[1].f.namd = 1;
    fl[1].f.amd[0] = 90010;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_resolve_fleet(m, fl, 3, &r, 1, &o, &p, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_USAGE);
    ge_plan_fini(&p);
}
END_TEST

/* Without a newer candidate kept out, nothing is said to bind the choice; toolkits without a
 * framework are checked natively on every host, and the one that cannot is named with its fix. */
START_TEST(fleet_bound_choices_name_their_host)
{
    struct ge_fleet_host fl[2] = {named("new", "550.54.15", "9.0"), named("old", "525.60.13", "8.0")};
    struct ge_resolve_opts o = {.strict = false};
    struct ge_plan p;
    struct ge_err err;
    ge_err_clear(&err);
    ge_plan_init(&p);
    ck_assert_msg(ge_resolve_fleet(m, fl, 2, NULL, 0, &o, &p, &err) == 0, "%s", err.msg);
    const struct ge_plan_pkg *tk = pkg(&p, "cuda-toolkit");
    ck_assert_ptr_nonnull(tk);
    /* each host's own reason: the old driver is named on the old host */
    const struct ge_plan_bound *b = NULL;
    for (int i = 0; i < p.nbound; i++)
        if (p.bound[i].host == 1)
            b = &p.bound[i];
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(b->reason, "driver-too-old");
    ck_assert_msg(strncmp(b->why, "old: ", 5) == 0 && strstr(b->why, "525.60.13"), "%s", b->why);
    const char *chosen = NULL;
    for (size_t i = 0; i < p.ncands; i++)
        if (p.cands[i].chosen)
            chosen = p.cands[i].label;
    ck_assert_ptr_nonnull(chosen);
    ck_assert_str_eq(b->choice, chosen);
    /* the same as the old host alone */
    struct ge_plan q;
    ge_plan_init(&q);
    ck_assert_int_eq(resolve(&fl[1].f, "", false, &q, &err), 0);
    ck_assert_str_eq(pkg(&q, "cuda-toolkit")->version, tk->version);
    ck_assert_int_eq(q.nbound, 0);
    ge_plan_fini(&q);
    ge_plan_fini(&p);
}
END_TEST

Suite *suite_resolve(void)
{
    Suite *s = suite_create("resolve");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, native_driver_gives_the_full_plan);
    tcase_add_test(tc, minor_version_compatibility_and_strict);
    tcase_add_test(tc, gpu_rules_cubin_ptx_and_dropped);
    tcase_add_test(tc, python_platform_and_conflicts);
    tcase_add_test(tc, unknown_names_versions_and_two_frameworks);
    tcase_add_test(tc, no_requirement_gives_the_newest_toolkit);
    tcase_add_test(tc, tensorflow_and_jax);
    tcase_add_test(tc, amd_gpus_get_a_rocm_build_holding_their_target);
    tcase_add_test(tc, amd_platform_vendor_and_other_frameworks);
    tcase_add_test(tc, fleet_each_host_on_its_own_terms);
    tcase_add_test(tc, fleet_bound_choices_name_their_host);
    suite_add_tcase(s, tc);
    return s;
}
