/* toolkit.h: CUDA toolkits already installed on the system (not gpuenv's own prefixes). */
#ifndef GE_TOOLKIT_H
#define GE_TOOLKIT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define GE_TOOLKIT_MAX 32
#define GE_TOOLKIT_ALIASES 4

struct ge_toolkit {
    char path[512];         /* the real folder */
    char version[32];       /* "12.4.1", or "13.0" when only cuda.h tells */
    char version_source[32]; /* "version.json", "version.txt" or "include/cuda.h" */
    bool has_nvcc;
    int naliases;
    char aliases[GE_TOOLKIT_ALIASES][512]; /* other names found for it: /usr/local/cuda */
};

struct ge_toolkit_list {
    size_t n;
    struct ge_toolkit items[GE_TOOLKIT_MAX];
};

/* The default places, colon-separated glob patterns: used unless GPUENV_TOOLKIT_PATH is set. */
#define GE_TOOLKIT_DEFAULT_PATH "/usr/local/cuda:/usr/local/cuda-*:/opt/cuda:/opt/cuda-*:/usr/lib/cuda"

/* Look for toolkits in the colon-separated glob patterns of search; when also_env is true,
 * CUDA_HOME, CUDA_PATH and the nvcc on PATH are looked at too. Folders without a version are
 * skipped. Results are sorted by path. Never fails: an unreadable folder is simply not listed. */
void ge_toolkit_scan(const char *search, bool also_env, struct ge_toolkit_list *out);

/* The version of the toolkit in dir, from version.json, version.txt or include/cuda.h. 0 or -1. */
int ge_toolkit_version(const char *dir, char *version, size_t vsize, char *source, size_t ssize);

#endif
