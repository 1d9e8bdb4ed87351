/* activate.c: render the environment changes of a prefix for the shells. */
#include "activate.h"

#include <stdio.h>
#include <string.h>

void ge_env_for_prefix(struct ge_env *env, const char *prefix)
{
    memset(env, 0, sizeof *env);
    ge_strlcpy(env->prefix, prefix, sizeof env->prefix);
    static const char *const set[] = {"CUDA_HOME", "CUDA_PATH", "CUDNN_PATH", "GPUENV_PREFIX"};
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
        struct ge_env_change *c = &env->changes[env->n++];
        c->op = GE_ENV_SET;
        c->name = set[i];
        ge_strlcpy(c->value, prefix, sizeof c->value);
    }
    struct ge_env_change *c = &env->changes[env->n++];
    c->op = GE_ENV_PREPEND;
    c->name = "PATH";
    snprintf(c->value, sizeof c->value, "%s/bin", prefix);
    c = &env->changes[env->n++];
    c->op = GE_ENV_PREPEND;
    c->name = "LD_LIBRARY_PATH";
    snprintf(c->value, sizeof c->value, "%s/lib", prefix);
}

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

int ge_env_render_sh(const struct ge_env *env, struct ge_buf *out)
{
    ge_buf_adds(out, "# gpuenv activation (POSIX sh, bash, zsh, dash, ksh): source it with\n"
                     "#   . ");
    ge_sh_quote(out, env->prefix);
    ge_buf_adds(out, "/activate\n"
                     "# and undo it with gpuenv_deactivate. Written by gpuenv; do not edit.\n"
                     "if command -v gpuenv_deactivate >/dev/null 2>&1; then gpuenv_deactivate; fi\n");
    /* remember every variable touched, including whether it was set at all */
    for (int i = 0; i < env->n; i++) {
        const char *v = env->changes[i].name;
        ge_buf_addf(out,
                    "if [ \"${%s+set}\" = set ]; then _GPUENV_HAD_%s=1; _GPUENV_OLD_%s=$%s; "
                    "else _GPUENV_HAD_%s=0; fi\n",
                    v, v, v, v, v);
    }
    for (int i = 0; i < env->n; i++) {
        const struct ge_env_change *c = &env->changes[i];
        if (c->op == GE_ENV_SET) {
            ge_buf_addf(out, "%s=", c->name);
            ge_sh_quote(out, c->value);
            ge_buf_addf(out, "; export %s\n", c->name);
        } else {
            ge_buf_addf(out, "%s=", c->name);
            ge_sh_quote(out, c->value);
            ge_buf_addf(out, "${%s:+\":$%s\"}; export %s\n", c->name, c->name, c->name);
        }
    }
    ge_buf_adds(out, "gpuenv_deactivate() {\n");
    for (int i = 0; i < env->n; i++) {
        const char *v = env->changes[i].name;
        ge_buf_addf(out,
                    "    if [ \"${_GPUENV_HAD_%s:-0}\" = 1 ]; then %s=$_GPUENV_OLD_%s; export %s; else unset %s; fi\n"
                    "    unset _GPUENV_HAD_%s _GPUENV_OLD_%s\n",
                    v, v, v, v, v, v, v);
    }
    ge_buf_adds(out, "    unset -f gpuenv_deactivate\n}\n");
    /* the shell caches command locations: forget them so the prefix's nvcc is found */
    ge_buf_adds(out, "hash -r 2>/dev/null || true\n");
    return 0;
}
