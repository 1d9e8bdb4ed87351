/* activate.c: the environment changes of a prefix, rendered for every shell and module system.
 *
 * Every format applies the same list (struct ge_env) and each undoes it exactly. The scripts run
 * no subprocess: sourcing one costs a few builtins. */
#include "activate.h"

#include "amd.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const shell_names[GE_SHELL_COUNT] = {
    [GE_SHELL_SH] = "sh",         [GE_SHELL_FISH] = "fish",   [GE_SHELL_CSH] = "csh",
    [GE_SHELL_PWSH] = "pwsh",     [GE_SHELL_DOTENV] = "dotenv", [GE_SHELL_LMOD] = "lmod",
    [GE_SHELL_TCL] = "tcl-module",
};

int ge_shell_parse(const char *name, enum ge_shell *out)
{
    static const struct {
        const char *name;
        enum ge_shell sh;
    } aliases[] = {
        {"sh", GE_SHELL_SH},       {"bash", GE_SHELL_SH},      {"zsh", GE_SHELL_SH},
        {"dash", GE_SHELL_SH},     {"ksh", GE_SHELL_SH},       {"ksh93", GE_SHELL_SH},
        {"mksh", GE_SHELL_SH},     {"ash", GE_SHELL_SH},       {"posix", GE_SHELL_SH},
        {"fish", GE_SHELL_FISH},   {"csh", GE_SHELL_CSH},      {"tcsh", GE_SHELL_CSH},
        {"pwsh", GE_SHELL_PWSH},   {"powershell", GE_SHELL_PWSH}, {"dotenv", GE_SHELL_DOTENV},
        {"lmod", GE_SHELL_LMOD},   {"lua", GE_SHELL_LMOD},     {"tcl-module", GE_SHELL_TCL},
        {"tcl", GE_SHELL_TCL},
    };
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (base[0] == '-') /* a login shell's argv[0], "-bash" */
        base++;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(base, aliases[i].name) == 0) {
            *out = aliases[i].sh;
            return 0;
        }
    return -1;
}

const char *ge_shell_name(enum ge_shell sh)
{
    return sh < GE_SHELL_COUNT ? shell_names[sh] : "?";
}

const char *ge_shell_file(enum ge_shell sh)
{
    switch (sh) {
    case GE_SHELL_SH:
        return "activate";
    case GE_SHELL_FISH:
        return "activate.fish";
    case GE_SHELL_CSH:
        return "activate.csh";
    case GE_SHELL_PWSH:
        return "activate.ps1";
    default:
        return NULL;
    }
}

int ge_env_check_path(const char *prefix, struct ge_err *err)
{
    for (const unsigned char *p = (const unsigned char *)prefix; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            ge_err_set(err, GE_EXIT_USAGE, "the prefix path holds a control character (a newline or tab): '%s'",
                       prefix);
            ge_err_hint(err, "no shell's activation could name it safely; use a folder without one");
            return -1;
        }
    return 0;
}

void ge_env_name(const char *prefix, char *out, size_t size)
{
    char tmp[4096];
    ge_strlcpy(tmp, prefix, sizeof tmp);
    size_t len = strlen(tmp);
    while (len > 1 && tmp[len - 1] == '/')
        tmp[--len] = '\0';
    char *base = strrchr(tmp, '/');
    if (base && strcmp(base + 1, ".gpuenv") == 0) {
        *base = '\0';
        base = strrchr(tmp, '/');
    }
    const char *name = base ? base + 1 : tmp;
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && k + 1 < size; p++) {
        unsigned char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '+' || c == '-' || c == '@';
        if (ok)
            out[k++] = (char)c;
        else if (k == 0 || out[k - 1] != '_') /* a run of others is one '_' */
            out[k++] = '_';
    }
    out[k] = '\0';
    if (k == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        ge_strlcpy(out, "gpuenv", size);
}

static struct ge_env_change *add(struct ge_env *env, enum ge_env_op op, const char *name)
{
    struct ge_env_change *c = &env->changes[env->n++];
    c->op = op;
    c->name = name;
    return c;
}

void ge_env_for_prefix(struct ge_env *env, const char *prefix, bool venv)
{
    memset(env, 0, sizeof *env);
    ge_strlcpy(env->prefix, prefix, sizeof env->prefix);
    ge_env_name(prefix, env->name, sizeof env->name);
    static const char *const set[] = {"CUDA_HOME", "CUDA_PATH", "CUDNN_PATH", "GPUENV_PREFIX"};
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
        ge_strlcpy(add(env, GE_ENV_SET, set[i])->value, prefix, sizeof env->changes[0].value);
    ge_strlcpy(add(env, GE_ENV_SET, "GPUENV_NAME")->value, env->name, sizeof env->changes[0].value);
    if (venv)
        snprintf(add(env, GE_ENV_SET, "VIRTUAL_ENV")->value, sizeof env->changes[0].value, "%s/venv", prefix);
    snprintf(add(env, GE_ENV_PREPEND, "PATH")->value, sizeof env->changes[0].value, "%s/bin", prefix);
    if (venv) /* applied after the line above: the venv's python comes first */
        snprintf(add(env, GE_ENV_PREPEND, "PATH")->value, sizeof env->changes[0].value, "%s/venv/bin", prefix);
    snprintf(add(env, GE_ENV_PREPEND, "LD_LIBRARY_PATH")->value, sizeof env->changes[0].value, "%s/lib", prefix);
}

/* The changes for a prefix made for AMD GPUs: as above without CUDA_HOME, CUDA_PATH and
 * CUDNN_PATH; ROCM_PATH set to the system's ROCm where one is installed ('rocm_path', "" for
 * none: the ROCm wheels bring their own); HSA_OVERRIDE_GFX_VERSION set where the install was
 * asked for it ('hsa_override', "" for none). HIP_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES are the
 * user's and left alone. */
static void for_amd_prefix(struct ge_env *env, const char *prefix, bool venv, const char *rocm_path,
                           const char *hsa_override)
{
    ge_env_for_prefix(env, prefix, venv);
    int k = 0; /* drop NVIDIA's variables */
    for (int i = 0; i < env->n; i++)
        if (strcmp(env->changes[i].name, "CUDA_HOME") && strcmp(env->changes[i].name, "CUDA_PATH") &&
            strcmp(env->changes[i].name, "CUDNN_PATH"))
            env->changes[k++] = env->changes[i];
    env->n = k;
    if (rocm_path && rocm_path[0])
        ge_strlcpy(add(env, GE_ENV_SET, "ROCM_PATH")->value, rocm_path, sizeof env->changes[0].value);
    if (hsa_override && hsa_override[0])
        ge_strlcpy(add(env, GE_ENV_SET, "HSA_OVERRIDE_GFX_VERSION")->value, hsa_override,
                   sizeof env->changes[0].value);
}

void ge_env_for_vendor(struct ge_env *env, const char *prefix, bool venv, const char *vendor,
                       const char *hsa_override)
{
    if (!vendor || strcmp(vendor, "amd") != 0) {
        ge_env_for_prefix(env, prefix, venv);
        return;
    }
    char rocm[4096];
    ge_amd_system_rocm(getenv("GPUENV_SYSROOT"), rocm, sizeof rocm);
    for_amd_prefix(env, prefix, venv, rocm, hsa_override);
}

/* ---- library-path hygiene ---- */

/* The runtime, cuBLAS and cuDNN under the names toolkits (the unversioned development links),
 * NVIDIA's pip wheels and distributions ship them. */
const char *const ge_env_cuda_probes[] = {
    "libcudart.so",    "libcudart.so.11.0", "libcudart.so.12", "libcudart.so.13", "libcublas.so",
    "libcublas.so.11", "libcublas.so.12",   "libcublas.so.13", "libcudnn.so",     "libcudnn.so.8",
    "libcudnn.so.9",   NULL,
};

bool ge_env_dir_has_cuda(const char *dir)
{
    char p[4400];
    struct stat st;
    for (size_t i = 0; ge_env_cuda_probes[i]; i++)
        if (snprintf(p, sizeof p, "%s/%s", dir, ge_env_cuda_probes[i]) < (int)sizeof p && stat(p, &st) == 0)
            return true;
    return false;
}

static bool own_lib(const char *dir, size_t len, const char *prefix)
{
    size_t pl = strlen(prefix);
    return len > pl && strncmp(dir, prefix, pl) == 0 &&
           ((len == pl + 4 && strncmp(dir + pl, "/lib", 4) == 0) ||
            (len == pl + 6 && strncmp(dir + pl, "/lib64", 6) == 0));
}

/* Call fn on each entry of a path list: (entry, length, holds another CUDA). */
static void each_entry(const char *list, const char *prefix, void (*fn)(void *, const char *, size_t, bool), void *ud)
{
    for (const char *p = list ? list : ""; *p;) {
        const char *e = strchr(p, ':');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char dir[4200];
        bool cuda = false;
        if (len > 0 && len < sizeof dir && !own_lib(p, len, prefix)) {
            memcpy(dir, p, len);
            dir[len] = '\0';
            cuda = ge_env_dir_has_cuda(dir);
        }
        fn(ud, p, len, cuda);
        p += len;
        if (*p == ':')
            p++;
    }
}

struct shadow_ud {
    struct ge_buf *out;
    const char *sep;
    struct ge_buf seen; /* ":a:b:" */
    int n;
};

static void shadow_fn(void *ud, const char *dir, size_t len, bool cuda)
{
    struct shadow_ud *s = ud;
    if (!cuda)
        return;
    struct ge_buf key;
    ge_buf_init(&key);
    ge_buf_adds(&key, ":");
    ge_buf_add(&key, dir, len);
    ge_buf_adds(&key, ":");
    bool dup = strstr(ge_buf_str(&s->seen), ge_buf_str(&key)) != NULL;
    if (!dup) {
        if (s->seen.len == 0)
            ge_buf_adds(&s->seen, ":");
        ge_buf_add(&s->seen, dir, len);
        ge_buf_adds(&s->seen, ":");
        if (s->n++ > 0)
            ge_buf_adds(s->out, s->sep);
        ge_buf_add(s->out, dir, len);
    }
    ge_buf_fini(&key);
}

int ge_env_shadowing_sep(const char *ldpath, const char *prefix, const char *sep, struct ge_buf *out)
{
    struct shadow_ud s = {out, sep, {0}, 0};
    each_entry(ldpath, prefix, shadow_fn, &s);
    ge_buf_fini(&s.seen);
    return s.n;
}

int ge_env_shadowing(const char *ldpath, const char *prefix, struct ge_buf *out)
{
    return ge_env_shadowing_sep(ldpath, prefix, ", ", out);
}

struct clean_ud {
    struct ge_buf *out;
    const char *prefix;
};

static void clean_fn(void *ud, const char *dir, size_t len, bool cuda)
{
    struct clean_ud *c = ud;
    if (cuda || len == 0 || own_lib(dir, len, c->prefix))
        return;
    if (c->out->len)
        ge_buf_adds(c->out, ":");
    ge_buf_add(c->out, dir, len);
}

void ge_env_other_libs(const char *ldpath, const char *prefix, struct ge_buf *out)
{
    struct clean_ud c = {out, prefix};
    each_entry(ldpath, prefix, clean_fn, &c);
}

void ge_env_clean(struct ge_env *env, const char *ldpath)
{
    for (int i = 0; i < env->n; i++) {
        struct ge_env_change *ch = &env->changes[i];
        if (strcmp(ch->name, "LD_LIBRARY_PATH") != 0)
            continue;
        struct ge_buf rest;
        ge_buf_init(&rest);
        ge_env_other_libs(ldpath, env->prefix, &rest);
        if (rest.len) {
            size_t l = strlen(ch->value);
            snprintf(ch->value + l, sizeof ch->value - l, ":%s", ge_buf_str(&rest));
        }
        ch->op = GE_ENV_SET;
        env->cleaned = true;
        ge_buf_fini(&rest);
    }
}

int ge_env_apply(const struct ge_env *env, struct ge_err *err)
{
    for (int i = 0; i < env->n; i++) {
        const struct ge_env_change *c = &env->changes[i];
        const char *old = getenv(c->name);
        struct ge_buf v;
        ge_buf_init(&v);
        ge_buf_adds(&v, c->value);
        if (c->op == GE_ENV_PREPEND && old && *old) {
            ge_buf_adds(&v, ":");
            ge_buf_adds(&v, old);
        }
        int rc = setenv(c->name, ge_buf_str(&v), 1);
        ge_buf_fini(&v);
        if (rc != 0)
            return ge_err_set(err, GE_EXIT_FAILURE, "cannot set %s: out of memory", c->name);
    }
    return 0;
}

/* ---- quoting, one function per dialect ---- */

void ge_sh_quote(struct ge_buf *out, const char *value)
{
    ge_buf_adds(out, "'");
    for (const char *p = value; *p; p++) {
        if (*p == '\'')
            ge_buf_adds(out, "'\\''");
        else
            ge_buf_add(out, p, 1);
    }
    ge_buf_adds(out, "'");
}

/* fish: inside single quotes only \\ and \' are escapes */
void ge_fish_quote(struct ge_buf *out, const char *value)
{
    ge_buf_adds(out, "'");
    for (const char *p = value; *p; p++) {
        if (*p == '\'' || *p == '\\')
            ge_buf_adds(out, "\\");
        ge_buf_add(out, p, 1);
    }
    ge_buf_adds(out, "'");
}

/* csh: a backslash is literal inside single quotes, but ! still starts a history event there, and
 * a quote cannot be escaped: close the quotes around both */
static void csh_quote(struct ge_buf *out, const char *value)
{
    ge_buf_adds(out, "'");
    for (const char *p = value; *p; p++) {
        if (*p == '\'')
            ge_buf_adds(out, "'\\''");
        else if (*p == '!')
            ge_buf_adds(out, "'\\!'");
        else
            ge_buf_add(out, p, 1);
    }
    ge_buf_adds(out, "'");
}

/* PowerShell: single quotes, each doubled; the typographic single quotes (U+2018 to U+201B) count
 * as quotes too */
static void pwsh_quote(struct ge_buf *out, const char *value)
{
    ge_buf_adds(out, "'");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p == '\'') {
            ge_buf_adds(out, "''");
        } else if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0x98 && p[2] <= 0x9b) {
            ge_buf_add(out, p, 3);
            ge_buf_add(out, p, 3);
            p += 2;
        } else {
            ge_buf_add(out, p, 1);
        }
    }
    ge_buf_adds(out, "'");
}

/* Lua: a double-quoted string with \\, \" and control bytes escaped */
static void lua_quote(struct ge_buf *out, const char *value)
{
    ge_buf_adds(out, "\"");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p == '"' || *p == '\\')
            ge_buf_addf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            ge_buf_addf(out, "\\%03u", *p);
        else
            ge_buf_add(out, p, 1);
    }
    ge_buf_adds(out, "\"");
}

/* Tcl: a double-quoted word with every character Tcl substitutes or groups on escaped. Tcl
 * reads a file in the locale's encoding, and Lmod reads modulefiles under LC_ALL=C (ISO 8859-1):
 * a value with non-ASCII bytes is written as those bytes (\u00HH) decoded from UTF-8, so the
 * file is ASCII and Tcl holds the same characters in any locale. */
static void tcl_quote(struct ge_buf *out, const char *value)
{
    bool ascii = true;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        ascii = ascii && *p < 0x80;
    ge_buf_adds(out, ascii ? "\"" : "[encoding convertfrom utf-8 \"");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p >= 0x80) {
            ge_buf_addf(out, "\\u%04x", *p);
            continue;
        }
        if (strchr("\\\"$[]{};", *p))
            ge_buf_adds(out, "\\");
        ge_buf_add(out, p, 1);
    }
    ge_buf_adds(out, ascii ? "\"" : "\"]");
}

typedef void (*quote_fn)(struct ge_buf *, const char *);

/* "prefix/lib" and "prefix/lib64" quoted */
static void quoted_lib(struct ge_buf *out, quote_fn q, const char *prefix, const char *sub)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", prefix, sub);
    q(out, p);
}

static void probe_words(struct ge_buf *out, const char *sep)
{
    for (size_t i = 0; ge_env_cuda_probes[i]; i++)
        ge_buf_addf(out, "%s%s", i ? sep : "", ge_env_cuda_probes[i]);
}

#define WARNING_TEXT "gpuenv: warning: LD_LIBRARY_PATH also holds CUDA or cuDNN libraries in "
#define WARNING_TAIL "; the environment's own come first ('gpuenv env --clean' leaves those out)"

static void header(struct ge_buf *out, const struct ge_env *env, const char *what, const char *howto, quote_fn q,
                   const char *file, const char *comment)
{
    ge_buf_addf(out, "%s gpuenv activation of '%s' for %s: %s", comment, env->name, what, howto);
    if (file) {
        q(out, env->prefix);
        ge_buf_addf(out, "/%s", file);
    }
    ge_buf_addf(out, "\n%s undo it with gpuenv_deactivate. Written by gpuenv; do not edit.\n", comment);
}

/* Whether change i is the first for its variable: a variable changed twice (PATH, with a venv)
 * is saved and restored once. */
static bool first_of(const struct ge_env *env, int i)
{
    for (int k = 0; k < i; k++)
        if (strcmp(env->changes[k].name, env->changes[i].name) == 0)
            return false;
    return true;
}

/* ---- POSIX sh ---- */

static void render_sh(const struct ge_env *env, struct ge_buf *out)
{
    header(out, env, "POSIX sh, bash, zsh, dash and ksh", "source it with  . ", ge_sh_quote, "activate", "#");
    /* the shadowing check, skipped when this environment is only sourced again; it splits
     * LD_LIBRARY_PATH without word splitting (zsh has none) */
    ge_buf_adds(out, env->cleaned ? "_gpuenv_w=; _gpuenv_r=\n" : "_gpuenv_w=; _gpuenv_r=${LD_LIBRARY_PATH-}\n");
    ge_buf_adds(out, "if [ \"${GPUENV_PREFIX-}\" = ");
    ge_sh_quote(out, env->prefix);
    ge_buf_adds(out, " ]; then _gpuenv_r=; fi\n"
                     "while [ -n \"$_gpuenv_r\" ]; do\n"
                     "    _gpuenv_d=${_gpuenv_r%%:*}\n"
                     "    case $_gpuenv_r in *:*) _gpuenv_r=${_gpuenv_r#*:} ;; *) _gpuenv_r= ;; esac\n"
                     "    case $_gpuenv_d in ''|");
    quoted_lib(out, ge_sh_quote, env->prefix, "lib");
    ge_buf_adds(out, "|");
    quoted_lib(out, ge_sh_quote, env->prefix, "lib64");
    ge_buf_adds(out, ") continue ;; esac\n"
                     "    case \", $_gpuenv_w, \" in *\", $_gpuenv_d, \"*) continue ;; esac\n"
                     "    for _gpuenv_f in ");
    probe_words(out, " ");
    ge_buf_adds(out, "; do\n"
                     "        if [ -e \"$_gpuenv_d/$_gpuenv_f\" ]; then _gpuenv_w=${_gpuenv_w:+\"$_gpuenv_w, \"}$_gpuenv_d; break; fi\n"
                     "    done\n"
                     "done\n"
                     "if [ -n \"$_gpuenv_w\" ]; then printf '%s\\n' \"" WARNING_TEXT "$_gpuenv_w" WARNING_TAIL "\" >&2; fi\n"
                     "unset _gpuenv_w _gpuenv_r _gpuenv_d _gpuenv_f\n"
                     "if command -v gpuenv_deactivate >/dev/null 2>&1; then gpuenv_deactivate; fi\n");
    /* remember every variable touched, including whether it was set at all */
    for (int i = 0; i < env->n; i++) {
        const char *v = env->changes[i].name;
        if (!first_of(env, i))
            continue;
        ge_buf_addf(out,
                    "if [ \"${%s+set}\" = set ]; then _GPUENV_HAD_%s=1; _GPUENV_OLD_%s=$%s; "
                    "else _GPUENV_HAD_%s=0; fi\n",
                    v, v, v, v, v);
    }
    for (int i = 0; i < env->n; i++) {
        const struct ge_env_change *c = &env->changes[i];
        ge_buf_addf(out, "%s=", c->name);
        ge_sh_quote(out, c->value);
        if (c->op == GE_ENV_PREPEND)
            ge_buf_addf(out, "${%s:+\":$%s\"}", c->name, c->name);
        ge_buf_addf(out, "; export %s\n", c->name);
    }
    ge_buf_addf(out, "if [ -z \"${GPUENV_NO_PROMPT-}\" ] && [ -n \"${PS1+set}\" ]; then "
                     "_GPUENV_OLD_PS1=$PS1; PS1=\"(%s) $PS1\"; fi\n",
                env->name);
    ge_buf_adds(out, "gpuenv_deactivate() {\n");
    for (int i = 0; i < env->n; i++) {
        const char *v = env->changes[i].name;
        if (!first_of(env, i))
            continue;
        ge_buf_addf(out,
                    "    if [ \"${_GPUENV_HAD_%s:-0}\" = 1 ]; then %s=$_GPUENV_OLD_%s; export %s; else unset %s; fi\n"
                    "    unset _GPUENV_HAD_%s _GPUENV_OLD_%s\n",
                    v, v, v, v, v, v, v);
    }
    ge_buf_adds(out, "    if [ -n \"${_GPUENV_OLD_PS1+set}\" ]; then PS1=$_GPUENV_OLD_PS1; unset _GPUENV_OLD_PS1; fi\n"
                     "    hash -r 2>/dev/null || true\n"
                     "    unset -f gpuenv_deactivate\n}\n");
    /* the shell caches command locations: forget them so the prefix's nvcc is found */
    ge_buf_adds(out, "hash -r 2>/dev/null || true\n");
}

/* ---- fish ---- */

static void render_fish(const struct ge_env *env, struct ge_buf *out)
{
    header(out, env, "fish", "source it with  source ", ge_fish_quote, "activate.fish", "#");
    ge_buf_adds(out, "set -l _gpuenv_w\n"
                     "set -l _gpuenv_r \"$LD_LIBRARY_PATH\"\n");
    if (env->cleaned)
        ge_buf_adds(out, "set _gpuenv_r ''\n");
    ge_buf_adds(out, 
                     "test \"$GPUENV_PREFIX\" = ");
    ge_fish_quote(out, env->prefix);
    ge_buf_adds(out, "; and set _gpuenv_r ''\n"
                     "for _gpuenv_d in (string split : -- \"$_gpuenv_r\")\n"
                     "    contains -- $_gpuenv_d '' ");
    quoted_lib(out, ge_fish_quote, env->prefix, "lib");
    ge_buf_adds(out, " ");
    quoted_lib(out, ge_fish_quote, env->prefix, "lib64");
    ge_buf_adds(out, " $_gpuenv_w; and continue\n"
                     "    for _gpuenv_f in ");
    probe_words(out, " ");
    ge_buf_adds(out, "\n"
                     "        if test -e \"$_gpuenv_d/$_gpuenv_f\"\n"
                     "            set -a _gpuenv_w $_gpuenv_d\n"
                     "            break\n"
                     "        end\n"
                     "    end\n"
                     "end\n"
                     "set -q _gpuenv_w[1]; and printf '%s\\n' \"" WARNING_TEXT "\"(string join ', ' -- $_gpuenv_w)\"" WARNING_TAIL "\" >&2\n"
                     "set -e _gpuenv_w; set -e _gpuenv_r; set -e _gpuenv_d; set -e _gpuenv_f\n"
                     "functions -q gpuenv_deactivate; and gpuenv_deactivate\n");
    for (int i = 0; i < env->n; i++) {
        const char *v = env->changes[i].name;
        if (first_of(env, i))
            ge_buf_addf(out, "set -e _gpuenv_old_%s; set -q %s; and set -g _gpuenv_old_%s $%s\n", v, v, v, v);
    }
    for (int i = 0; i < env->n; i++) {
        const struct ge_env_change *c = &env->changes[i];
        if (c->op == GE_ENV_PREPEND) {
            ge_buf_addf(out, "if test -n \"$%s\"; set -gx %s ", c->name, c->name);
            ge_fish_quote(out, c->value);
            ge_buf_addf(out, " $%s; else; set -gx %s ", c->name, c->name);
            ge_fish_quote(out, c->value);
            ge_buf_adds(out, "; end\n");
        } else {
            ge_buf_addf(out, "set -gx %s ", c->name);
            ge_fish_quote(out, c->value);
            ge_buf_adds(out, "\n");
        }
    }
    ge_buf_addf(out, "if not set -q GPUENV_NO_PROMPT; and functions -q fish_prompt\n"
                     "    functions -e _gpuenv_old_fish_prompt\n"
                     "    functions -c fish_prompt _gpuenv_old_fish_prompt\n"
                     "    function _gpuenv_status; return $argv[1]; end\n"
                     "    function fish_prompt\n"
                     "        set -l s $status\n"
                     "        printf '(%%s) ' '%s'\n"
                     "        _gpuenv_status $s\n"
                     "        _gpuenv_old_fish_prompt\n"
                     "    end\n"
                     "end\n",
                env->name);
    ge_buf_adds(out, "function gpuenv_deactivate --description 'undo the gpuenv activation'\n");
    for (int i = 0; i < env->n; i++) {
        const char *v = env->changes[i].name;
        if (!first_of(env, i))
            continue;
        ge_buf_addf(out,
                    "    if set -q _gpuenv_old_%s; set -gx %s $_gpuenv_old_%s; set -e _gpuenv_old_%s; "
                    "else; set -e %s; end\n",
                    v, v, v, v, v);
    }
    ge_buf_adds(out, "    if functions -q _gpuenv_old_fish_prompt\n"
                     "        functions -e fish_prompt\n"
                     "        functions -c _gpuenv_old_fish_prompt fish_prompt\n"
                     "        functions -e _gpuenv_old_fish_prompt _gpuenv_status\n"
                     "    end\n"
                     "    functions -e gpuenv_deactivate\n"
                     "end\n");
}

/* ---- csh and tcsh ----
 * csh has no functions and evaluates every variable of a line even when an 'if' skips its
 * command, so a variable that may be unset is read only through eval '...' (single quotes defer
 * the substitution), and gpuenv_deactivate is an alias of one-line statements over variables
 * that always exist. Every line ends with ';' so that eval "`gpuenv env --shell csh`", which
 * joins the lines, runs the same statements. */

static void render_csh(const struct ge_env *env, bool for_eval, struct ge_buf *out)
{
    if (!for_eval) /* eval joins the lines: a comment would swallow the rest */
        header(out, env, "csh and tcsh", "source it with  source ", csh_quote, "activate.csh", "#");
    if (!for_eval && !env->cleaned) {
        /* tcsh splits a word with :as (spaces in entries travel as \001 meanwhile); BSD csh
         * cannot without a subprocess, so it skips the check */
        ge_buf_adds(out, "set _gpuenv_again = 0\n"
                         "if ($?GPUENV_PREFIX) then\n"
                         "    if (\"$GPUENV_PREFIX\" == ");
        csh_quote(out, env->prefix);
        ge_buf_adds(out, ") set _gpuenv_again = 1\n"
                         "endif\n"
                         "if ($?LD_LIBRARY_PATH && $?tcsh && $_gpuenv_again == 0) then\n"
                         "    set _gpuenv_w = ''\n"
                         "    foreach _gpuenv_d ( $LD_LIBRARY_PATH:as/ /\001/:as/:/ / )\n"
                         "        set _gpuenv_d = \"$_gpuenv_d:as/\001/ /\"\n"
                         "        if ( \"$_gpuenv_d\" == ");
        quoted_lib(out, csh_quote, env->prefix, "lib");
        ge_buf_adds(out, " || \"$_gpuenv_d\" == ");
        quoted_lib(out, csh_quote, env->prefix, "lib64");
        ge_buf_adds(out, " ) continue\n"
                         "        foreach _gpuenv_f ( ");
        probe_words(out, " ");
        ge_buf_adds(out, " )\n"
                         "            if ( -e \"$_gpuenv_d/$_gpuenv_f\" ) then\n"
                         "                if ( \"$_gpuenv_w\" != '' ) set _gpuenv_w = \"$_gpuenv_w, \"\n"
                         "                set _gpuenv_w = \"$_gpuenv_w$_gpuenv_d\"\n"
                         "                break\n"
                         "            endif\n"
                         "        end\n"
                         "    end\n"
                         "    if ( \"$_gpuenv_w\" != '' ) echo \"" WARNING_TEXT "$_gpuenv_w" WARNING_TAIL "\" > /dev/stderr\n"
                         "    unset _gpuenv_w _gpuenv_d _gpuenv_f\n"
                         "endif\n"
                         "unset _gpuenv_again\n");
    }
    /* an alias after 'if (...)' is not expanded: eval expands it */
    ge_buf_adds(out, "if ($?_gpuenv_active) eval gpuenv_deactivate ;\n");
    for (int i = 0; i < env->n; i++) {
        const char *v = env->changes[i].name;
        if (!first_of(env, i))
            continue;
        ge_buf_addf(out, "set _gpuenv_had_%s = $?%s ; set _gpuenv_old_%s = '' ; "
                         "if ($?%s) eval 'set _gpuenv_old_%s = $%s:q' ;\n",
                    v, v, v, v, v, v);
    }
    for (int i = 0; i < env->n; i++) {
        const struct ge_env_change *c = &env->changes[i];
        if (c->op == GE_ENV_PREPEND) { /* before the current value, when it is set and not empty */
            ge_buf_adds(out, "set _gpuenv_v = ");
            csh_quote(out, c->value);
            ge_buf_addf(out, " ; if ($?%s) eval 'if (\"$%s\" != \"\") set _gpuenv_v = \"$_gpuenv_v\":$%s:q' ; "
                             "setenv %s $_gpuenv_v:q ; unset _gpuenv_v ;\n",
                        c->name, c->name, c->name, c->name);
            continue;
        }
        ge_buf_addf(out, "setenv %s ", c->name);
        csh_quote(out, c->value);
        ge_buf_adds(out, " ;\n");
    }
    ge_buf_addf(out, "set _gpuenv_had_prompt = 0 ; set _gpuenv_old_prompt = '' ; "
                     "if ($?prompt && ! $?GPUENV_NO_PROMPT) eval 'set _gpuenv_had_prompt = 1; "
                     "set _gpuenv_old_prompt = $prompt:q; set prompt = \"(%s) \"$prompt:q' ;\n",
                env->name);
    ge_buf_adds(out, "set _gpuenv_active ;\nalias gpuenv_deactivate '");
    for (int i = 0; i < env->n; i++) {
        const char *v = env->changes[i].name;
        if (!first_of(env, i))
            continue;
        ge_buf_addf(out, "if ($_gpuenv_had_%s == 1) setenv %s $_gpuenv_old_%s:q; if ($_gpuenv_had_%s == 0) unsetenv %s; "
                         "unset _gpuenv_had_%s _gpuenv_old_%s; ",
                    v, v, v, v, v, v, v);
    }
    ge_buf_adds(out, "if ($_gpuenv_had_prompt == 1) set prompt = $_gpuenv_old_prompt:q; "
                     "unset _gpuenv_had_prompt _gpuenv_old_prompt _gpuenv_active; rehash; unalias gpuenv_deactivate' ;\n"
                     "rehash ;\n");
}

/* ---- PowerShell ---- */

static void render_pwsh(const struct ge_env *env, struct ge_buf *out)
{
    header(out, env, "PowerShell", "dot-source it with  . ", pwsh_quote, "activate.ps1", "#");
    ge_buf_adds(out, "$_gpuenv_w = @()\n");
    if (env->cleaned) {
        ge_buf_adds(out, "$_gpuenv_r = ''\n");
    } else {
        ge_buf_adds(out, "$_gpuenv_r = if ($env:GPUENV_PREFIX -eq ");
        pwsh_quote(out, env->prefix);
        ge_buf_adds(out, ") { '' } else { \"$env:LD_LIBRARY_PATH\" }\n");
    }
    ge_buf_adds(out, "$_gpuenv_own = @(");
    quoted_lib(out, pwsh_quote, env->prefix, "lib");
    ge_buf_adds(out, ", ");
    quoted_lib(out, pwsh_quote, env->prefix, "lib64");
    ge_buf_adds(out, ")\n"
                     "foreach ($_gpuenv_d in $_gpuenv_r.Split(':')) {\n"
                     "    if ($_gpuenv_d -eq '' -or $_gpuenv_own -contains $_gpuenv_d -or $_gpuenv_w -contains $_gpuenv_d) { continue }\n"
                     "    foreach ($_gpuenv_f in @(");
    for (size_t i = 0; ge_env_cuda_probes[i]; i++)
        ge_buf_addf(out, "%s'%s'", i ? ", " : "", ge_env_cuda_probes[i]);
    ge_buf_adds(out, ")) {\n"
                     "        if (Test-Path -LiteralPath (Join-Path $_gpuenv_d $_gpuenv_f)) { $_gpuenv_w += $_gpuenv_d; break }\n"
                     "    }\n"
                     "}\n"
                     "if ($_gpuenv_w.Count -gt 0) { [Console]::Error.WriteLine('" WARNING_TEXT "' + ($_gpuenv_w -join ', ') + '" WARNING_TAIL "') }\n"
                     "Remove-Variable _gpuenv_w, _gpuenv_r, _gpuenv_own, _gpuenv_d, _gpuenv_f -ErrorAction SilentlyContinue\n"
                     "if (Get-Command gpuenv_deactivate -ErrorAction SilentlyContinue) { gpuenv_deactivate }\n"
                     "$global:_GPUENV_SAVED = @{}\n");
    for (int i = 0; i < env->n; i++)
        ge_buf_addf(out, "$global:_GPUENV_SAVED['%s'] = [Environment]::GetEnvironmentVariable('%s')\n",
                    env->changes[i].name, env->changes[i].name);
    for (int i = 0; i < env->n; i++) {
        const struct ge_env_change *c = &env->changes[i];
        ge_buf_addf(out, "$env:%s = ", c->name);
        pwsh_quote(out, c->value);
        if (c->op == GE_ENV_PREPEND)
            ge_buf_addf(out, " + $(if ($env:%s) { ':' + $env:%s } else { '' })", c->name, c->name);
        ge_buf_adds(out, "\n");
    }
    ge_buf_addf(out, "if (-not $env:GPUENV_NO_PROMPT) {\n"
                     "    $global:_GPUENV_OLD_PROMPT = $function:prompt\n"
                     "    function global:prompt { '(%s) ' + $(& $global:_GPUENV_OLD_PROMPT) }\n"
                     "}\n",
                env->name);
    ge_buf_adds(out, "function global:gpuenv_deactivate {\n"
                     "    foreach ($k in $global:_GPUENV_SAVED.Keys) {\n"
                     "        [Environment]::SetEnvironmentVariable($k, $global:_GPUENV_SAVED[$k])\n"
                     "    }\n"
                     "    if ($global:_GPUENV_OLD_PROMPT) {\n"
                     "        $function:global:prompt = $global:_GPUENV_OLD_PROMPT\n"
                     "        Remove-Variable -Scope Global _GPUENV_OLD_PROMPT\n"
                     "    }\n"
                     "    Remove-Variable -Scope Global _GPUENV_SAVED\n"
                     "    Remove-Item function:gpuenv_deactivate\n"
                     "}\n");
}

/* ---- dotenv: the final values, one NAME=value a line, literal (docker's --env-file reads them
 * so; no quotes) ---- */

/* The final value of each variable: the changes applied in order, as the shells do (a variable
 * changed twice ends in the slot of its first change). */
static void dotenv_values(const struct ge_env *env, struct ge_buf val[GE_ENV_MAX])
{
    for (int i = 0; i < env->n; i++)
        ge_buf_init(&val[i]);
    for (int i = 0; i < env->n; i++) {
        const struct ge_env_change *c = &env->changes[i];
        int k = 0;
        while (strcmp(env->changes[k].name, c->name) != 0)
            k++;
        const char *old = k < i ? ge_buf_str(&val[k]) : getenv(c->name);
        struct ge_buf v;
        ge_buf_init(&v);
        ge_buf_adds(&v, c->value);
        if (c->op == GE_ENV_PREPEND && old && *old)
            ge_buf_addf(&v, ":%s", old);
        ge_buf_fini(&val[k]);
        val[k] = v;
    }
}

const char *ge_env_dotenv_unwritable(const struct ge_env *env)
{
    struct ge_buf val[GE_ENV_MAX];
    dotenv_values(env, val);
    const char *bad = NULL;
    for (int i = 0; i < env->n; i++) {
        if (!bad && first_of(env, i) && strpbrk(ge_buf_str(&val[i]), "\n\r"))
            bad = env->changes[i].name;
        ge_buf_fini(&val[i]);
    }
    return bad;
}

static void render_dotenv(const struct ge_env *env, struct ge_buf *out)
{
    /* a line break would end the line and start another variable (LD_PRELOAD=...): such a value
     * cannot be written at all (docker's --env-file has no quoting) */
    if (ge_env_dotenv_unwritable(env))
        return;
    ge_buf_addf(out, "# gpuenv environment of '%s': the values for this environment, literal, one a line\n",
                env->name);
    struct ge_buf val[GE_ENV_MAX];
    dotenv_values(env, val);
    for (int i = 0; i < env->n; i++) {
        if (first_of(env, i))
            ge_buf_addf(out, "%s=%s\n", env->changes[i].name, ge_buf_str(&val[i]));
        ge_buf_fini(&val[i]);
    }
}

/* ---- Lmod (Lua) ---- */

static void render_lmod(const struct ge_env *env, struct ge_buf *out)
{
    ge_buf_addf(out, "-- gpuenv environment '%s' for Lmod: module load gpuenv/%s; module unload undoes it.\n"
                     "-- Written by gpuenv; do not edit.\n",
                env->name, env->name);
    ge_buf_adds(out, "whatis(");
    struct ge_buf t;
    ge_buf_init(&t);
    ge_buf_addf(&t, "CUDA toolkit and cuDNN of the gpuenv environment in %s", env->prefix);
    lua_quote(out, ge_buf_str(&t));
    ge_buf_fini(&t);
    ge_buf_adds(out, ")\nif mode() == \"load\" then\n    local own = { [");
    quoted_lib(out, lua_quote, env->prefix, "lib");
    ge_buf_adds(out, "] = true, [");
    quoted_lib(out, lua_quote, env->prefix, "lib64");
    ge_buf_adds(out, "] = true }\n    local found, seen = {}, {}\n"
                     "    for d in string.gmatch(os.getenv(\"LD_LIBRARY_PATH\") or \"\", \"[^:]+\") do\n"
                     "        if not own[d] and not seen[d] then\n"
                     "            seen[d] = true\n"
                     "            for _, f in ipairs({");
    for (size_t i = 0; ge_env_cuda_probes[i]; i++)
        ge_buf_addf(out, "%s\"%s\"", i ? ", " : "", ge_env_cuda_probes[i]);
    ge_buf_adds(out, "}) do\n"
                     "                if isFile(d .. \"/\" .. f) then found[#found + 1] = d; break end\n"
                     "            end\n"
                     "        end\n"
                     "    end\n"
                     "    if #found > 0 then\n"
                     "        io.stderr:write(\"" WARNING_TEXT "\" .. table.concat(found, \", \") .. \"" WARNING_TAIL "\\n\")\n"
                     "    end\n"
                     "end\n");
    for (int i = 0; i < env->n; i++) {
        const struct ge_env_change *c = &env->changes[i];
        /* pushenv restores the previous value on unload; setenv would unset it */
        ge_buf_addf(out, "%s(\"%s\", ", c->op == GE_ENV_PREPEND ? "prepend_path" : "pushenv", c->name);
        lua_quote(out, c->value);
        ge_buf_adds(out, ")\n");
    }
}

/* ---- Tcl modulefile (Environment Modules, and Lmod) ---- */

static void render_tcl(const struct ge_env *env, struct ge_buf *out)
{
    ge_buf_addf(out, "#%%Module1.0\n"
                     "# gpuenv environment '%s' for Environment Modules and Lmod: module load gpuenv/%s;\n"
                     "# module unload undoes it. Written by gpuenv; do not edit.\n",
                env->name, env->name);
    struct ge_buf t;
    ge_buf_init(&t);
    ge_buf_addf(&t, "CUDA toolkit and cuDNN of the gpuenv environment in %s", env->prefix);
    ge_buf_adds(out, "module-whatis ");
    tcl_quote(out, ge_buf_str(&t));
    ge_buf_fini(&t);
    ge_buf_adds(out, "\nif {[module-info mode load] && [info exists ::env(LD_LIBRARY_PATH)]} {\n"
                     "    set gpuenv_found {}\n"
                     "    foreach gpuenv_d [split $::env(LD_LIBRARY_PATH) :] {\n"
                     "        if {$gpuenv_d eq {} || $gpuenv_d eq ");
    quoted_lib(out, tcl_quote, env->prefix, "lib");
    ge_buf_adds(out, " || $gpuenv_d eq ");
    quoted_lib(out, tcl_quote, env->prefix, "lib64");
    ge_buf_adds(out, " || [lsearch -exact $gpuenv_found $gpuenv_d] >= 0} continue\n"
                     "        foreach gpuenv_f {");
    probe_words(out, " ");
    ge_buf_adds(out, "} {\n"
                     "            if {[file exists $gpuenv_d/$gpuenv_f]} { lappend gpuenv_found $gpuenv_d; break }\n"
                     "        }\n"
                     "    }\n"
                     "    if {[llength $gpuenv_found] > 0} {\n"
                     "        puts stderr \"" WARNING_TEXT "[join $gpuenv_found {, }]" WARNING_TAIL "\"\n"
                     "    }\n"
                     "}\n");
    /* pushenv restores the previous value on unload in Environment Modules; Lmod 8.6 does not
     * undo a Tcl pushenv at all, so there setenv, which unload unsets */
    ge_buf_adds(out, "proc gpuenv_set {name value} {\n"
                     "    if {[info exists ::env(LMOD_VERSION)]} { setenv $name $value } else { pushenv $name $value }\n"
                     "}\n");
    for (int i = 0; i < env->n; i++) {
        const struct ge_env_change *c = &env->changes[i];
        ge_buf_addf(out, "%s %s ", c->op == GE_ENV_PREPEND ? "prepend-path" : "gpuenv_set", c->name);
        tcl_quote(out, c->value);
        ge_buf_adds(out, "\n");
    }
}

const char *ge_shell_rc_file(enum ge_rc which)
{
    return which == GE_RC_BASH ? "bashrc" : which == GE_RC_ZSHENV ? ".zshenv" : ".zshrc";
}

void ge_shell_rc(const char *prefix, enum ge_rc which, struct ge_buf *out)
{
    static const char restore[] =
        "if [ -n \"${_GPUENV_ZDOTDIR+set}\" ]; then ZDOTDIR=$_GPUENV_ZDOTDIR; export ZDOTDIR; else unset ZDOTDIR; fi\n"
        "unset _GPUENV_ZDOTDIR\n";
    ge_buf_addf(out, "# gpuenv shell start-up for %s: the user's own start-up, then the environment.\n"
                     "# Written by gpuenv; do not edit.\n",
                which == GE_RC_BASH ? "bash (--rcfile)" : "zsh (ZDOTDIR)");
    switch (which) {
    case GE_RC_BASH:
        ge_buf_adds(out, "if [ -f ~/.bashrc ]; then . ~/.bashrc; fi\n. ");
        break;
    case GE_RC_ZSHENV:
        ge_buf_adds(out, restore);
        ge_buf_adds(out, "if [ -f \"${ZDOTDIR:-$HOME}/.zshenv\" ]; then . \"${ZDOTDIR:-$HOME}/.zshenv\"; fi\n"
                         "if [ -n \"${ZDOTDIR+set}\" ]; then _GPUENV_ZDOTDIR=$ZDOTDIR; fi\n"
                         "ZDOTDIR=");
        ge_sh_quote(out, prefix);
        ge_buf_adds(out, "/shell\n");
        return;
    default:
        ge_buf_adds(out, restore);
        ge_buf_adds(out, "if [ -f \"${ZDOTDIR:-$HOME}/.zshrc\" ]; then . \"${ZDOTDIR:-$HOME}/.zshrc\"; fi\n. ");
        break;
    }
    ge_sh_quote(out, prefix);
    ge_buf_adds(out, "/activate\n");
}

int ge_env_render(const struct ge_env *env, enum ge_shell sh, bool for_eval, struct ge_buf *out)
{
    size_t before = out->len;
    switch (sh) {
    case GE_SHELL_SH:
        render_sh(env, out);
        break;
    case GE_SHELL_FISH:
        render_fish(env, out);
        break;
    case GE_SHELL_CSH:
        render_csh(env, for_eval, out);
        break;
    case GE_SHELL_PWSH:
        render_pwsh(env, out);
        break;
    case GE_SHELL_DOTENV:
        render_dotenv(env, out);
        break;
    case GE_SHELL_LMOD:
        render_lmod(env, out);
        break;
    case GE_SHELL_TCL:
        render_tcl(env, out);
        break;
    default:
        return -1;
    }
    return out->len > before ? 0 : -1;
}
