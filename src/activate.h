/* activate.h: one list of environment changes for a prefix, rendered per shell. */
#ifndef GE_ACTIVATE_H
#define GE_ACTIVATE_H

#include "err.h"
#include "str.h"

enum ge_env_op { GE_ENV_SET, GE_ENV_PREPEND };

struct ge_env_change {
    enum ge_env_op op;
    const char *name;
    char value[4200];
};

#define GE_ENV_MAX 8

struct ge_env {
    char prefix[4096];
    int n;
    struct ge_env_change changes[GE_ENV_MAX];
};

/* The changes for a prefix: CUDA_HOME, CUDA_PATH, CUDNN_PATH and GPUENV_PREFIX set to it, PATH
 * and LD_LIBRARY_PATH prepended with its bin and lib. */
void ge_env_for_prefix(struct ge_env *env, const char *prefix);

/* A POSIX sh script (sh, dash, bash, zsh, ksh) that applies env when sourced and defines
 * gpuenv_deactivate, which restores every variable exactly, unset ones included; sourcing it
 * twice does not stack. No subprocess runs. */
int ge_env_render_sh(const struct ge_env *env, struct ge_buf *out);

/* 'value' quoted for POSIX sh: single quotes, with ' written as '\''. */
void ge_sh_quote(struct ge_buf *out, const char *value);

#endif
