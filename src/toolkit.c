/* toolkit.c: find CUDA toolkits installed outside gpuenv and read their versions. */
#define _GNU_SOURCE
#include "toolkit.h"

#include <cJSON.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "str.h"
#include "version.h"

int ge_toolkit_version(const char *dir, char *version, size_t vsize, char *source, size_t ssize)
{
    char path[PATH_MAX];
    char *text;

    /* version.json (CUDA 11.1 and later): {"cuda": {"version": "12.4.1"}} */
    if (ge_path_join(path, sizeof path, dir, "version.json") == 0 &&
        (text = ge_read_file(path, 1 << 20, NULL)) != NULL) {
        cJSON *doc = cJSON_Parse(text);
        free(text);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "cuda"), "version");
        struct ge_version pv;
        int ok = cJSON_IsString(v) && ge_version_parse(&pv, v->valuestring, 2, 4) == 0;
        if (ok) {
            ge_strlcpy(version, v->valuestring, vsize);
            ge_strlcpy(source, "version.json", ssize);
        }
        cJSON_Delete(doc);
        if (ok)
            return 0;
    }
    /* version.txt (up to CUDA 11.0): "CUDA Version 10.2.89" */
    if (ge_path_join(path, sizeof path, dir, "version.txt") == 0 &&
        (text = ge_read_file(path, 1 << 16, NULL)) != NULL) {
        char word[64] = "";
        int ok = sscanf(text, "CUDA Version %63s", word) == 1;
        free(text);
        struct ge_version pv;
        if (ok && ge_version_parse(&pv, word, 2, 4) == 0) {
            ge_strlcpy(version, word, vsize);
            ge_strlcpy(source, "version.txt", ssize);
            return 0;
        }
    }
    /* include/cuda.h: "#define CUDA_VERSION 13000", for installs without either file (pip-built
     * trees, some distribution packages). */
    if (ge_path_join(path, sizeof path, dir, "include/cuda.h") == 0 &&
        (text = ge_read_file(path, 8 << 20, NULL)) != NULL) {
        const char *p = strstr(text, "#define CUDA_VERSION ");
        int iv = 0;
        int ok = p && sscanf(p, "#define CUDA_VERSION %d", &iv) == 1 && iv >= 1000;
        free(text);
        if (ok) {
            struct ge_version cv = ge_cuda_version_from_int(iv);
            ge_version_format(&cv, version, vsize);
            ge_strlcpy(source, "include/cuda.h", ssize);
            return 0;
        }
    }
    return -1;
}

static void consider(const char *dir, struct ge_toolkit_list *out)
{
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(dir, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return;
    for (size_t i = 0; i < out->n; i++) {
        struct ge_toolkit *t = &out->items[i];
        if (strcmp(t->path, real) == 0) {
            if (strcmp(dir, real) != 0 && t->naliases < GE_TOOLKIT_ALIASES) {
                for (int a = 0; a < t->naliases; a++)
                    if (strcmp(t->aliases[a], dir) == 0)
                        return;
                ge_strlcpy(t->aliases[t->naliases++], dir, sizeof t->aliases[0]);
            }
            return;
        }
    }
    if (out->n >= GE_TOOLKIT_MAX)
        return;
    struct ge_toolkit t;
    memset(&t, 0, sizeof t);
    if (ge_toolkit_version(real, t.version, sizeof t.version, t.version_source,
                           sizeof t.version_source) < 0)
        return;
    ge_strlcpy(t.path, real, sizeof t.path);
    char nvcc[PATH_MAX];
    t.has_nvcc = ge_path_join(nvcc, sizeof nvcc, real, "bin/nvcc") == 0 && access(nvcc, X_OK) == 0;
    if (strcmp(dir, real) != 0)
        ge_strlcpy(t.aliases[t.naliases++], dir, sizeof t.aliases[0]);
    out->items[out->n++] = t;
}

static void consider_nvcc_on_path(struct ge_toolkit_list *out)
{
    const char *path = getenv("PATH");
    if (!path)
        return;
    char *copy = strdup(path);
    if (!copy)
        return;
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char nvcc[PATH_MAX], real[PATH_MAX];
        if (ge_path_join(nvcc, sizeof nvcc, d, "nvcc") < 0 || access(nvcc, X_OK) != 0 ||
            !realpath(nvcc, real))
            continue;
        /* .../bin/nvcc -> ... */
        char *s = strrchr(real, '/');
        if (s) {
            *s = '\0';
            s = strrchr(real, '/');
            if (s && strcmp(s, "/bin") == 0) {
                *s = '\0';
                consider(real[0] ? real : "/", out);
            }
        }
        break; /* only the nvcc a shell would run */
    }
    free(copy);
}

static int cmp_toolkit(const void *a, const void *b)
{
    return strcmp(((const struct ge_toolkit *)a)->path, ((const struct ge_toolkit *)b)->path);
}

void ge_toolkit_scan(const char *search, bool also_env, struct ge_toolkit_list *out)
{
    out->n = 0;
    char *copy = strdup(search ? search : "");
    if (copy) {
        char *save = NULL;
        for (char *pat = strtok_r(copy, ":", &save); pat; pat = strtok_r(NULL, ":", &save)) {
            glob_t g;
            if (glob(pat, GLOB_ONLYDIR, NULL, &g) == 0) {
                for (size_t i = 0; i < g.gl_pathc; i++)
                    consider(g.gl_pathv[i], out);
            }
            globfree(&g);
        }
        free(copy);
    }
    if (also_env) {
        const char *vars[] = {"CUDA_HOME", "CUDA_PATH"};
        for (size_t i = 0; i < 2; i++) {
            const char *v = getenv(vars[i]);
            if (v && v[0])
                consider(v, out);
        }
        consider_nvcc_on_path(out);
    }
    qsort(out->items, out->n, sizeof out->items[0], cmp_toolkit);
}
