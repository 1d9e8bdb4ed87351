/* cmds.h: the commands cli.c dispatches to, one cmd_<name>.c each. */
#ifndef GE_CMDS_H
#define GE_CMDS_H

#include "cli.h"

extern const struct ge_cmd ge_cmd_detect;
extern const struct ge_cmd ge_cmd_matrix;
extern const struct ge_cmd ge_cmd_install;
extern const struct ge_cmd ge_cmd_lock;
extern const struct ge_cmd ge_cmd_mirror;
extern const struct ge_cmd ge_cmd_list;
extern const struct ge_cmd ge_cmd_remove;
extern const struct ge_cmd ge_cmd_env;
extern const struct ge_cmd ge_cmd_run;
extern const struct ge_cmd ge_cmd_shell;
extern const struct ge_cmd ge_cmd_modulefile;
extern const struct ge_cmd ge_cmd_cache;
extern const struct ge_cmd ge_cmd_resolve;
extern const struct ge_cmd ge_cmd_complete;
extern const struct ge_cmd ge_cmd_doctor;

#endif
