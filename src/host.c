/* host.c: host facts from the driver probe or from overrides given by flags and environment. */
#include "host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

void ge_host_req_init(struct ge_host_req *req)
{
    memset(req, 0, sizeof *req);
}

int ge_host_set_driver(struct ge_host_req *req, const char *value, const char *from, struct ge_err *err)
{
    struct ge_version v;
    if (ge_driver_version_parse(&v, value) < 0 || strlen(value) >= sizeof req->driver) {
        ge_err_set(err, GE_EXIT_USAGE, "invalid driver version '%s' in %s", value, from);
        ge_err_hint(err, "give the version NVIDIA prints, such as 580.65.06 or 535.104.05");
        return -1;
    }
    ge_strlcpy(req->driver, value, sizeof req->driver);
    req->driver_given = true;
    return 0;
}

int ge_host_add_gpus(struct ge_host_req *req, const char *value, const char *from, struct ge_err *err)
{
    char buf[1024];
    if (ge_strlcpy(buf, value, sizeof buf) >= sizeof buf) {
        ge_err_set(err, GE_EXIT_USAGE, "%s is too long", from);
        return -1;
    }
    int added = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        struct ge_cc cc;
        if (ge_cc_parse(&cc, tok) < 0) {
            ge_err_set(err, GE_EXIT_USAGE, "invalid compute capability '%s' in %s", tok, from);
            ge_err_hint(err, "give it as MAJOR.MINOR (8.6, 9.0, 12.0) or as sm_86");
            return -1;
        }
        if (req->ngpus >= GE_MAX_GPUS) {
            ge_err_set(err, GE_EXIT_USAGE, "more than %d GPUs in %s", GE_MAX_GPUS, from);
            return -1;
        }
        req->gpus[req->ngpus++] = cc;
        added++;
    }
    if (!added) {
        ge_err_set(err, GE_EXIT_USAGE, "empty compute capability in %s", from);
        ge_err_hint(err, "give it as MAJOR.MINOR (8.6, 9.0, 12.0) or as sm_86");
        return -1;
    }
    req->gpus_given = true;
    return 0;
}

int ge_host_req_from_env(struct ge_host_req *req, struct ge_err *err)
{
    const char *d = getenv("GPUENV_DRIVER");
    if (!req->driver_given && d && d[0] && ge_host_set_driver(req, d, "GPUENV_DRIVER", err) < 0)
        return -1;
    const char *g = getenv("GPUENV_GPUS");
    if (!req->gpus_given && g && g[0] && ge_host_add_gpus(req, g, "GPUENV_GPUS", err) < 0)
        return -1;
    return 0;
}

bool ge_host_req_overrides(const struct ge_host_req *req)
{
    return req->driver_given || req->gpus_given;
}

static int probe_timeout(double *out, struct ge_err *err)
{
    const char *t = getenv("GPUENV_PROBE_TIMEOUT");
    *out = GE_PROBE_TIMEOUT_DEFAULT;
    if (!t || !t[0])
        return 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(t, &end);
    if (errno || end == t || *end != '\0' || !(v > 0) || v > 3600) {
        ge_err_set(err, GE_EXIT_USAGE, "invalid GPUENV_PROBE_TIMEOUT '%s'", t);
        ge_err_hint(err, "give a number of seconds between 0 and 3600, such as 20 or 0.5");
        return -1;
    }
    *out = v;
    return 0;
}

int ge_host_detect(const struct ge_host_req *req, struct ge_driver_info *info, struct ge_err *err)
{
    if (ge_host_req_overrides(req)) {
        memset(info, 0, sizeof *info);
        info->source = GE_DRIVER_OVERRIDE;
        if (req->driver_given) {
            ge_strlcpy(info->version, req->driver, sizeof info->version);
            ge_strlcpy(info->version_source, "override", sizeof info->version_source);
        }
        for (int i = 0; i < req->ngpus; i++) {
            info->gpus[i].index = i;
            info->gpus[i].cc = req->gpus[i];
        }
        info->ngpus = req->ngpus;
        return 0;
    }
    struct ge_probe_opts o = {getenv("GPUENV_LIBCUDA"), getenv("GPUENV_SYSROOT"), 0};
    if (probe_timeout(&o.timeout_s, err) < 0) {
        memset(info, 0, sizeof *info);
        return -1;
    }
    return ge_driver_probe(&o, info, err);
}
