/* diag_python.c: the framework as the interpreter sees it: which frameworks import, how they were
 * built (CUDA, ROCm or neither, which CUDA), NumPy, duplicate copies, and the folders of the CUDA
 * libraries they load. One probe script, run once with a time limit, reports it all as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"
#include "proc.h"
#include "str.h"

/* Imports happen with fd 2 sent to a file, so that what a framework prints (NumPy's ABI message,
 * TensorFlow's logs) becomes evidence instead of noise. "stage" lines on stdout say what was being
 * imported if the interpreter hangs. */
static const char probe_py[] =
    "import sys, os, json, glob, tempfile, warnings, importlib, importlib.util\n"
    "r = {'python': '%d.%d.%d' % sys.version_info[:3], 'executable': sys.executable, 'prefix': sys.prefix,\n"
    "     'frameworks': {}, 'copies': {}, 'lib_dirs': []}\n"
    "def line(e):\n"
    "    s = str(e)\n"
    "    return '%s: %s' % (type(e).__name__, s.strip().splitlines()[0] if s.strip() else '')\n"
    "def guarded(name, fn):\n"
    "    print('stage ' + name, flush=True)\n"
    "    tf = tempfile.TemporaryFile()\n"
    "    sys.stderr.flush()\n"
    "    saved = os.dup(2)\n"
    "    os.dup2(tf.fileno(), 2)\n"
    "    with warnings.catch_warnings(record=True) as w:\n"
    "        warnings.simplefilter('always')\n"
    "        try:\n"
    "            out = fn()\n"
    "        except BaseException as e:\n"
    "            out = {'error': line(e)}\n"
    "        finally:\n"
    "            sys.stderr.flush()\n"
    "            os.dup2(saved, 2)\n"
    "            os.close(saved)\n"
    "    tf.seek(0)\n"
    "    text = tf.read().decode('utf-8', 'replace')\n"
    "    msgs = [str(x.message).strip().splitlines()[0] for x in w if str(x.message).strip()]\n"
    "    msgs += [l.strip() for l in text.splitlines() if l.strip()]\n"
    "    out['messages'] = msgs[:40]\n"
    "    return out\n"
    "def dist(name):\n"
    "    try:\n"
    "        from importlib import metadata\n"
    "        return metadata.version(name)\n"
    "    except Exception:\n"
    "        return None\n"
    "def numpy_info():\n"
    "    import numpy\n"
    "    return {'version': numpy.__version__, 'file': numpy.__file__}\n"
    "def torch_info():\n"
    "    import torch\n"
    "    d = {'version': torch.__version__, 'file': torch.__file__,\n"
    "         'cuda': getattr(torch.version, 'cuda', None), 'hip': getattr(torch.version, 'hip', None),\n"
    "         'lib_dirs': [os.path.join(os.path.dirname(torch.__file__), 'lib')]}\n"
    "    try:\n"
    "        d['cudnn'] = torch.backends.cudnn.version()\n"
    "    except BaseException as e:\n"
    "        d['cudnn_error'] = line(e)\n"
    "    return d\n"
    "def tensorflow_info():\n"
    "    import tensorflow as tf\n"
    "    base = os.path.dirname(tf.__file__)\n"
    "    d = {'version': tf.__version__, 'file': tf.__file__, 'built_with_cuda': bool(tf.test.is_built_with_cuda()),\n"
    "         'lib_dirs': [base, os.path.join(base, 'python')]}\n"
    "    b = tf.sysconfig.get_build_info()\n"
    "    d['cuda'], d['cudnn'] = b.get('cuda_version'), b.get('cudnn_version')\n"
    "    return d\n"
    "def jax_info():\n"
    "    import jax, jaxlib\n"
    "    d = {'version': jax.__version__, 'file': jax.__file__, 'jaxlib': getattr(jaxlib, '__version__', None),\n"
    "         'lib_dirs': [], 'cuda': None}\n"
    "    for major in ('13', '12', '11'):\n"
    "        for mod in ('jax_cuda%s_plugin' % major, 'jax_plugins.xla_cuda' + major):\n"
    "            try:\n"
    "                s = importlib.util.find_spec(mod)\n"
    "            except Exception:\n"
    "                s = None\n"
    "            if s and s.submodule_search_locations:\n"
    "                d['plugin'] = d.get('plugin') or mod\n"
    "                d['lib_dirs'] += list(s.submodule_search_locations)\n"
    "                rt = dist('nvidia-cuda-runtime-cu' + major) or dist('nvidia-cuda-runtime')\n"
    "                d['cuda'] = d['cuda'] or ('.'.join(rt.split('.')[:2]) if rt and rt.startswith(major + '.') else major)\n"
    "    if not d.get('plugin') and '+cuda' in (d['jaxlib'] or ''):\n"
    "        d['plugin'] = 'jaxlib'\n"
    "        d['cuda'] = d['jaxlib'].split('+cuda')[1][:2]\n"
    "    return d\n"
    "r['numpy'] = guarded('numpy', numpy_info) if importlib.util.find_spec('numpy') else None\n"
    "for name, fn in (('torch', torch_info), ('tensorflow', tensorflow_info), ('jax', jax_info)):\n"
    "    try:\n"
    "        found = importlib.util.find_spec(name) is not None\n"
    "    except Exception:\n"
    "        found = False\n"
    "    if found:\n"
    "        r['frameworks'][name] = guarded(name, fn)\n"
    "print('stage scanning', flush=True)\n"
    "seen = set()\n"
    "for p in sys.path:\n"
    "    if not p or not os.path.isdir(p):\n"
    "        continue\n"
    "    rp = os.path.realpath(p)\n"
    "    if rp in seen:\n"
    "        continue\n"
    "    seen.add(rp)\n"
    "    for pkg in ('torch', 'tensorflow', 'jax', 'jaxlib', 'numpy'):\n"
    "        if os.path.isfile(os.path.join(p, pkg, '__init__.py')):\n"
    "            r['copies'].setdefault(pkg, []).append(os.path.join(p, pkg))\n"
    "        metas = [m for m in glob.glob(os.path.join(p, pkg + '-*.dist-info')) if os.path.isdir(m)]\n"
    "        if len(metas) > 1:\n"
    "            r['copies'].setdefault(pkg + ' metadata', []).extend(sorted(metas))\n"
    "    r['lib_dirs'] += sorted(d for d in glob.glob(os.path.join(p, 'nvidia', '*', 'lib')) if os.path.isdir(d))\n"
    "for fw in r['frameworks'].values():\n"
    "    r['lib_dirs'] += [d for d in fw.get('lib_dirs', []) if os.path.isdir(d)]\n"
    "r['copies'] = {k: v for k, v in r['copies'].items() if len(v) > 1}\n"
    "print('result ' + json.dumps(r), flush=True)\n";

cJSON *ge_doctor_probe_python(const char *python, double timeout_s, char *note, size_t size)
{
    char *argv[] = {(char *)python, "-c", (char *)probe_py, NULL};
    struct ge_buf out, err_out;
    ge_buf_init(&out);
    ge_buf_init(&err_out);
    struct ge_proc_result r;
    struct ge_err err;
    ge_err_clear(&err);
    cJSON *doc = NULL;
    if (access(python, X_OK) != 0) {
        snprintf(note, size, "'%s' is not an executable file", python);
        goto done;
    }
    if (ge_proc_capture(argv, timeout_s, 4u << 20, &out, &err_out, &r, &err) < 0) {
        ge_strlcpy(note, err.msg, size);
        goto done;
    }
    const char *text = ge_buf_str(&out);
    const char *res = strstr(text, "\nresult ");
    if (!res && strncmp(text, "result ", 7) == 0)
        res = text - 1;
    if (res)
        doc = cJSON_Parse(res + 8);
    if (!doc) {
        /* the last stage it reached says what it was doing */
        const char *st = NULL;
        for (const char *p = text; (p = strstr(p, "stage ")); p += 6)
            if (p == text || p[-1] == '\n')
                st = p + 6;
        char stage[64] = "starting";
        if (st)
            ge_fmt(stage, sizeof stage, "%.*s", (int)strcspn(st, "\n"), st);
        const char *e = ge_buf_str(&err_out);
        const char *last = e;
        for (const char *p = e; *p; p++)
            if (*p == '\n' && p[1])
                last = p + 1;
        if (r.timed_out)
            ge_fmt(note, size, "'%s' did not finish within %gs (importing %s)", python, timeout_s, stage);
        else if (r.signal)
            ge_fmt(note, size, "'%s' died of signal %d while importing %s", python, r.signal, stage);
        else
            ge_fmt(note, size, "'%s' exited with status %d while importing %s%s%.*s", python, r.status, stage,
                     *last ? ": " : "", (int)strcspn(last, "\n"), last);
    }
done:
    ge_buf_fini(&out);
    ge_buf_fini(&err_out);
    return doc;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Any of the messages (or the error) says the NumPy ABI does not match. */
static const char *numpy_abi_text(const cJSON *fw)
{
    static const char *const marks[] = {"_ARRAY_API not found", "compiled using NumPy 1.x", "numpy.core.multiarray failed to import",
                                        "numpy.dtype size changed", "module compiled against ABI version",
                                        "module compiled against API version", NULL};
    const char *err = str_of(fw, "error");
    for (size_t i = 0; marks[i]; i++)
        if (err && strstr(err, marks[i]))
            return err;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(fw, "messages"))
    {
        for (size_t i = 0; cJSON_IsString(m) && marks[i]; i++)
            if (strstr(m->valuestring, marks[i]))
                return m->valuestring;
    }
    return NULL;
}

/* The matrix's NumPy rule for a framework release ("<2"), or NULL. */
static const char *numpy_rule(const struct ge_doctor *d, const char *fw, const char *version)
{
    struct ge_version v;
    char base[32];
    ge_strlcpy(base, version, sizeof base);
    base[strcspn(base, "+")] = '\0';
    if (!d->m || ge_doctor_vparse(base, &v) < 0)
        return NULL;
    if (!strcmp(fw, "torch")) {
        for (size_t i = 0; i < d->m->ntorch; i++)
            if (ge_version_cmp(&d->m->torch[i].version.v, &v) == 0)
                return d->m->torch[i].numpy[0] ? d->m->torch[i].numpy : NULL;
    } else if (!strcmp(fw, "tensorflow")) {
        for (size_t i = 0; i < d->m->ntf; i++)
            if (ge_version_cmp(&d->m->tf[i].version.v, &v) == 0)
                return d->m->tf[i].numpy[0] ? d->m->tf[i].numpy : NULL;
    }
    return NULL;
}

/* A torch without CUDA or ROCm on a machine whose GPUs are AMD's alone: the ROCm build to install. */
static void cpu_only_amd(struct ge_doctor *d, const char *version, const char *why)
{
    const struct ge_amd_gpu *g = &d->amd.gpus[0];
    struct ge_finding *x = ge_finding_add(&d->findings, GE_F_FRAMEWORK_CPU_ONLY, GE_SEV_ERROR, "torch",
                                          "torch %s is a build without CUDA or ROCm: it runs on the CPU only, not on "
                                          "this machine's AMD GPU (%s)", version, g->gfx);
    ge_finding_evidence(x, "torch", "%s; torch.version.hip is None", why);
    const struct ge_torch_rocm_release *r;
    const struct ge_rocm_variant *v = ge_doctor_rocm_build(d, g->gfx_target_version, version, &r);
    char url[256];
    if (v) {
        ge_matrix_torch_index_url(d->m, v->name, url, sizeof url);
        ge_finding_fix(x, false, false, "'%s -m pip install torch==%s --index-url %s' (a ROCm build whose targets "
                       "include %s; 'gpuenv matrix rocm' lists them)", d->python, r->version.s, url, g->gfx);
    }
    else
        ge_finding_fix(x, false, false, "install a ROCm build of torch whose targets include %s ('gpuenv matrix rocm' "
                       "lists PyTorch's)", g->gfx);
}

static void cpu_only(struct ge_doctor *d, const char *name, const char *version, const char *why)
{
    if (!strcmp(name, "torch") && d->amd.ngpus && !d->drv_ok) {
        cpu_only_amd(d, version, why);
        return;
    }
    struct ge_finding *x = ge_finding_add(&d->findings, GE_F_FRAMEWORK_CPU_ONLY, GE_SEV_ERROR, name,
                                          "%s %s is a build without CUDA: it runs on the CPU only", name, version);
    ge_finding_evidence(x, name, "%s", why);
    char base[32];
    ge_strlcpy(base, version, sizeof base);
    base[strcspn(base, "+")] = '\0';
    if (d->has_project)
        ge_finding_fix(x, false, false, "gpuenv install -C %s '%s==%s' (the CUDA build this machine runs)", d->project_dir,
                       !strcmp(name, "tensorflow") ? "tensorflow[and-cuda]" : !strcmp(name, "jax") ? "jax[cuda12]" : name,
                       base);
    else
        ge_finding_fix(x, false, false, "gpuenv install '%s==%s' (a prefix with the CUDA build this machine runs; "
                       "'gpuenv resolve %s==%s' shows the choice)", !strcmp(name, "tensorflow") ? "tensorflow[and-cuda]" : name, base,
                       name, base);
}

/* The framework's CUDA against what the driver runs: natively, through minor-version
 * compatibility (the same major, a driver at or above the major's floor), or not at all. */
static void cuda_vs_driver(struct ge_doctor *d, const char *name, const char *cuda)
{
    struct ge_version fc;
    if (!d->driver_cuda_known || ge_doctor_vparse(cuda, &fc) < 0)
        return;
    const struct ge_version *dc = &d->driver_cuda;
    if (fc.part[0] < dc->part[0] || (fc.part[0] == dc->part[0] && fc.part[1] <= dc->part[1]))
        return;
    char dcs[16];
    ge_version_format(dc, dcs, sizeof dcs);
    /* the driver the framework's CUDA needs natively */
    char need[32] = "";
    const struct ge_ver *floor = ge_doctor_cuda_floor(d, &fc);
    if (floor)
        ge_strlcpy(need, floor->s, sizeof need);
    const struct ge_cuda_mvc *mvc = d->m && fc.part[0] == dc->part[0] ? ge_matrix_mvc(d->m, (int)fc.part[0]) : NULL;
    struct ge_version dv;
    bool have_dv = ge_doctor_vparse(d->drv.version, &dv) == 0;
    if (mvc && mvc->min_driver.has_linux && have_dv && ge_version_cmp(&dv, &mvc->min_driver.linux_x86_64.v) >= 0) {
        struct ge_finding *x = ge_finding_add(
            &d->findings, GE_F_FRAMEWORK_MINOR_COMPAT, GE_SEV_INFO, name,
            "%s is built for CUDA %s and the driver runs CUDA %s: it works through minor-version compatibility, but "
            "PTX of CUDA %s cannot be JIT-compiled by this driver", name, cuda, dcs, cuda);
        ge_finding_evidence(x, name, "CUDA %s", cuda);
        ge_finding_evidence(x, "cuDriverGetVersion", "%s (driver %s)", dcs, d->drv.version);
        ge_finding_evidence(x, "minor-version compatibility", "CUDA %d.x needs driver >= %s", mvc->major,
                            mvc->min_driver.linux_x86_64.s);
        if (need[0])
            ge_finding_fix(x, true, true, "to run it natively, install driver %s or newer", need);
        return;
    }
    struct ge_finding *x = ge_finding_add(&d->findings, GE_F_FRAMEWORK_CUDA_TOO_NEW, GE_SEV_ERROR, name,
                                          "%s is built for CUDA %s, newer than driver %s runs (CUDA %s)", name, cuda,
                                          d->drv.version[0] ? d->drv.version : "?", dcs);
    ge_finding_evidence(x, name, "CUDA %s", cuda);
    ge_finding_evidence(x, "cuDriverGetVersion", "%s", dcs);
    if (mvc && mvc->min_driver.has_linux)
        ge_finding_evidence(x, "minor-version compatibility", "CUDA %d.x needs driver >= %s", mvc->major,
                            mvc->min_driver.linux_x86_64.s);
    if (need[0])
        ge_finding_fix(x, true, true, "install NVIDIA driver %s or newer, or a %s build for CUDA %s or older ('gpuenv "
                       "resolve %s' picks one)", need, name, dcs, name);
    else
        ge_finding_fix(x, false, false, "install a %s build for CUDA %s or older ('gpuenv resolve %s' picks one)", name, dcs,
                       name);
}

static void framework(struct ge_doctor *d, const char *name, const cJSON *fw, const char *numpy)
{
    const char *version = str_of(fw, "version");
    const char *err = str_of(fw, "error");
    const char *abi = numpy_abi_text(fw);
    const char *rule = version ? numpy_rule(d, name, version) : NULL;
    if (abi || (rule && numpy && atoi(numpy) >= 2 && !strcmp(rule, "<2"))) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_NUMPY_ABI, GE_SEV_ERROR, name,
                                              "%s%s%s was built against NumPy 1.x, and NumPy %s is installed", name,
                                              version ? " " : "", version ? version : "", numpy ? numpy : "2");
        if (abi)
            ge_finding_evidence(x, name, "%s", abi);
        if (rule)
            ge_finding_evidence(x, "the matrix", "%s %s needs numpy%s", name, version, rule);
        ge_finding_fix(x, false, false, "'%s -m pip install \"numpy<2\"'", d->python);
    }
    if (err && !abi) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_FRAMEWORK_IMPORT, GE_SEV_ERROR, name,
                                              "'import %s' fails: %s", name, err);
        ge_finding_evidence(x, d->python, "%s", err);
        const cJSON *m;
        int k = 0;
        cJSON_ArrayForEach(m, cJSON_GetObjectItem(fw, "messages"))
        {
            if (cJSON_IsString(m) && k++ < 2)
                ge_finding_evidence(x, "stderr", "%s", m->valuestring);
        }
        if (strstr(err, "libcudnn") || strstr(err, "libcublas") || strstr(err, "libcudart") || strstr(err, "libnccl"))
            ge_finding_fix(x, false, false, "check LD_LIBRARY_PATH (see library-shadowed), then reinstall %s", name);
        else
            ge_finding_fix(x, false, false, "reinstall %s in this environment ('%s -m pip install --force-reinstall %s')",
                           name, d->python, name);
    }
    if (err)
        return;
    const char *cuda = str_of(fw, "cuda");
    if (!strcmp(name, "torch")) {
        if (!cuda && !str_of(fw, "hip"))
            cpu_only(d, name, version ? version : "?", version && strstr(version, "+cpu") ? "a +cpu build"
                                                                                         : "torch.version.cuda is None");
    } else if (!strcmp(name, "tensorflow")) {
        const cJSON *b = cJSON_GetObjectItem(fw, "built_with_cuda");
        if (cJSON_IsFalse(b))
            cpu_only(d, name, version ? version : "?", "tf.test.is_built_with_cuda() is False");
    } else if (!strcmp(name, "jax")) {
        if (!str_of(fw, "plugin"))
            cpu_only(d, name, version ? version : "?", "no CUDA plugin (jax-cuda12-plugin, jax-cuda13-plugin) is installed");
    }
    if (cuda && d->drv_ok)
        cuda_vs_driver(d, name, cuda);
    if (!strcmp(name, "torch") && (str_of(fw, "hip") || (version && strstr(version, "+rocm"))))
        ge_diag_amd_framework(d, name, version, str_of(fw, "hip"), cJSON_GetObjectItem(fw, "lib_dirs"));
}

void ge_diag_python(struct ge_doctor *d)
{
    bool expected = d->has_lock && d->lock.py_framework[0];
    if (!d->python[0]) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_NO_PYTHON, expected ? GE_SEV_ERROR : GE_SEV_INFO, NULL,
                                              "no Python interpreter found: no framework was examined");
        ge_finding_evidence(x, "PATH", "no python3");
        ge_finding_fix(x, false, false, "%s", expected ? "gpuenv install (it builds the project's venv)" : "give --python PATH");
        ge_doctor_check(d, "python", GE_CHECK_SKIPPED, "no interpreter");
        return;
    }
    if (!d->py) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_FRAMEWORK_IMPORT, GE_SEV_ERROR, d->python,
                                              "the interpreter could not be examined: %s", d->py_note);
        ge_finding_evidence(x, d->python, "%s", d->py_note);
        ge_finding_fix(x, false, false, "run '%s -c \"import torch\"' (or the framework in use) to see why", d->python);
        ge_doctor_check(d, "python", GE_CHECK_PROBLEM, "%s", d->py_note);
        return;
    }
    size_t before = d->findings.n;
    const cJSON *np = cJSON_GetObjectItem(d->py, "numpy");
    const char *numpy = np ? str_of(np, "version") : NULL;
    const cJSON *fws = cJSON_GetObjectItem(d->py, "frameworks"), *fw;
    int n = 0;
    cJSON_ArrayForEach(fw, fws)
    {
        framework(d, fw->string, fw, numpy);
        n++;
    }
    if (!n) {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_NO_FRAMEWORK, expected ? GE_SEV_ERROR : GE_SEV_INFO,
                                              d->python, "no framework (torch, tensorflow, jax) is importable by %s", d->python);
        ge_finding_evidence(x, d->python, "python %s (%s)", str_of(d->py, "python") ? str_of(d->py, "python") : "?",
                            d->python_source);
        if (expected)
            ge_finding_fix(x, false, false, "gpuenv install -C %s --locked", d->project_dir);
        else
            ge_finding_fix(x, false, false, "gpuenv install torch (or tensorflow[and-cuda], jax[cuda12]) builds a venv "
                           "that runs here");
    }
    const cJSON *copies = cJSON_GetObjectItem(d->py, "copies"), *c;
    cJSON_ArrayForEach(c, copies)
    {
        struct ge_finding *x = ge_finding_add(&d->findings, GE_F_FRAMEWORK_COPIES, GE_SEV_WARNING, c->string,
                                              "%d copies of %s are importable: the first on sys.path wins, whatever "
                                              "pip says is installed", cJSON_GetArraySize(c), c->string);
        const cJSON *p;
        cJSON_ArrayForEach(p, c)
        {
            if (cJSON_IsString(p))
                ge_finding_evidence(x, "sys.path", "%s", p->valuestring);
        }
        char pkg[64];
        ge_strlcpy(pkg, c->string, sizeof pkg);
        pkg[strcspn(pkg, " ")] = '\0';
        ge_finding_fix(x, false, false, "'%s -m pip uninstall -y %s' until no copy is left, then install it once", d->python,
                       pkg);
    }
    ge_doctor_check(d, "python", ge_doctor_problems_since(d, before) ? GE_CHECK_PROBLEM : GE_CHECK_OK, "%s (Python %s, from %s)",
                    d->python, str_of(d->py, "python") ? str_of(d->py, "python") : "?", d->python_source);
}
