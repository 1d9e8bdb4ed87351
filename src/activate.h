/* activate.h: one list of environment changes for a prefix, rendered per shell and module
 * system, so that the formats can never disagree. */
#ifndef GE_ACTIVATE_H
#define GE_ACTIVATE_H

#include <stdbool.h>

#include "err.h"
#include "str.h"

enum ge_env_op { GE_ENV_SET, GE_ENV_PREPEND };

struct ge_env_change {
    enum ge_env_op op;
    const char *name;
    char value[4200];
};

#define GE_ENV_MAX 12

struct ge_env {
    char prefix[4096];
    char name[128];  /* the environment's name: prompts, module names, GPUENV_NAME */
    bool cleaned;    /* LD_LIBRARY_PATH was cleaned: the scripts need no shadowing check */
    int n;
    struct ge_env_change changes[GE_ENV_MAX];
};

/* The formats: POSIX sh (sh, bash, zsh, dash, ksh), fish, csh/tcsh, PowerShell, dotenv, Lmod
 * (Lua) and Tcl modulefiles. */
enum ge_shell {
    GE_SHELL_SH,
    GE_SHELL_FISH,
    GE_SHELL_CSH,
    GE_SHELL_PWSH,
    GE_SHELL_DOTENV,
    GE_SHELL_LMOD,
    GE_SHELL_TCL,
    GE_SHELL_COUNT
};

/* The names --shell accepts, space-separated (for help and completion). */
#define GE_SHELL_NAMES "sh bash zsh dash ksh fish csh tcsh pwsh dotenv lmod tcl-module"

/* A --shell name (or a shell's path, as in $SHELL) to its format; -1 when unknown. */
int ge_shell_parse(const char *name, enum ge_shell *out);
/* The canonical name of a format ("sh", "fish", "csh", "pwsh", "dotenv", "lmod", "tcl-module"). */
const char *ge_shell_name(enum ge_shell sh);
/* The file gpuenv install writes into the prefix for a format, or NULL (dotenv and modulefiles
 * are printed on demand). */
const char *ge_shell_file(enum ge_shell sh);

/* Refuse a prefix no shell could name safely: control characters (newlines included). */
int ge_env_check_path(const char *prefix, struct ge_err *err);

/* The environment's name for a prefix: the project folder's name (the prefix's parent when the
 * prefix is '.gpuenv'), with each run of characters other than ASCII letters, digits, '.', '_',
 * '+', '-' and '@' written as one '_', so it is safe in every prompt and as a module name (Lmod
 * 8.6 cannot unload a module whose name is not ASCII). */
void ge_env_name(const char *prefix, char *out, size_t size);

/* The changes for a prefix: CUDA_HOME, CUDA_PATH, CUDNN_PATH, GPUENV_PREFIX and GPUENV_NAME set,
 * PATH and LD_LIBRARY_PATH prepended with its bin and lib; with 'venv' (the prefix holds the
 * framework's venv) also VIRTUAL_ENV set and the venv's bin first in PATH. */
void ge_env_for_prefix(struct ge_env *env, const char *prefix, bool venv);


/* The changes for a prefix made by a plan for 'vendor' as its lock records it: "amd" (with the
 * system's ROCm, ge_amd_system_rocm under GPUENV_SYSROOT, and the lock's hsa_override), else
 * NVIDIA's. */
void ge_env_for_vendor(struct ge_env *env, const char *prefix, bool venv, const char *vendor,
                       const char *hsa_override);

/* The library files whose presence marks a folder as holding a CUDA toolkit or cuDNN, NULL-ended;
 * every format's shadowing check probes exactly these. */
extern const char *const ge_env_cuda_probes[];
bool ge_env_dir_has_cuda(const char *dir);

/* The entries of the path list 'ldpath' (LD_LIBRARY_PATH) that hold another CUDA or cuDNN than
 * the prefix's own, each once, joined by ", " into 'out'; returns how many. */
int ge_env_shadowing(const char *ldpath, const char *prefix, struct ge_buf *out);
/* The same joined by 'sep' (":" gives a path list: no entry holds one). */
int ge_env_shadowing_sep(const char *ldpath, const char *prefix, const char *sep, struct ge_buf *out);
/* The entries of 'ldpath' that stay with --clean: no other CUDA or cuDNN, not the prefix's own, not
 * empty; joined by ':' into out. */
void ge_env_other_libs(const char *ldpath, const char *prefix, struct ge_buf *out);

/* Replace the LD_LIBRARY_PATH prepend by a SET of the prefix's lib followed by the entries of
 * 'ldpath' that hold no other CUDA or cuDNN (and no empty entries). */
void ge_env_clean(struct ge_env *env, const char *ldpath);

/* Render env in a format. A shell script applies the changes when sourced and defines
 * gpuenv_deactivate, which restores every variable exactly (unset ones included); sourcing it
 * twice does not stack; it prefixes the prompt with "(name) " unless GPUENV_NO_PROMPT is set, and
 * warns once on stderr when LD_LIBRARY_PATH already holds another CUDA or cuDNN. No subprocess
 * runs. 'for_eval': the text is for eval (csh joins its lines, so the multi-line shadowing check
 * is left to the caller there). dotenv holds the final values, computed from this process's
 * environment; modulefiles undo themselves on 'module unload'. 0, or -1 when memory ran out. */
int ge_env_render(const struct ge_env *env, enum ge_shell sh, bool for_eval, struct ge_buf *out);
/* The variable whose final dotenv value (inherited parts included) holds a line break, which no
 * dotenv line can carry, or NULL. ge_env_render writes no dotenv text when there is one. */
const char *ge_env_dotenv_unwritable(const struct ge_env *env);

/* The start-up files 'gpuenv shell' gives an interactive shell so that the user's own start-up
 * runs first and the activation (prompt included) last: bash's --rcfile, and zsh's .zshenv and
 * .zshrc in a ZDOTDIR of their own (the user's ZDOTDIR travels in _GPUENV_ZDOTDIR). They live in
 * the prefix's shell/ folder, whose name ge_shell_rc_file gives. */
enum ge_rc { GE_RC_BASH, GE_RC_ZSHENV, GE_RC_ZSHRC, GE_RC_COUNT };
void ge_shell_rc(const char *prefix, enum ge_rc which, struct ge_buf *out);
const char *ge_shell_rc_file(enum ge_rc which);

/* Apply env to this process's environment (for 'gpuenv run' and 'gpuenv shell'). */
int ge_env_apply(const struct ge_env *env, struct ge_err *err);

/* 'value' quoted for POSIX sh: single quotes, with ' written as '\''. */
void ge_sh_quote(struct ge_buf *out, const char *value);
/* 'value' quoted for fish: single quotes, with \ and ' escaped by a backslash. */
void ge_fish_quote(struct ge_buf *out, const char *value);

#endif
