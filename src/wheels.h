/* wheels.h: a mirror's wheels: DIR/files/ holds them (put there by 'pip download'), DIR/simple/ is
 * the PEP 503 index pip installs from (each link carrying the wheel's SHA-256, which pip checks),
 * and DIR/gpuenv-mirror.json records each wheel's SHA-256 and size from when it arrived, so that a
 * later run tells a damaged wheel from a good one. The record is also what marks DIR as a gpuenv
 * mirror. Knows nothing of pip or HTTP. */
#ifndef GE_WHEELS_H
#define GE_WHEELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"

#define GE_MIRROR_RECORD "gpuenv-mirror.json"
#define GE_MIRROR_SCHEMA 1

struct ge_wheel {
    char file[256];            /* the wheel's file name in DIR/files */
    char sha256[GE_SHA256_HEX];
    uint64_t size;
};

struct ge_wheels {
    char dir[3000];            /* the mirror */
    size_t n, cap;
    struct ge_wheel *w;
};

/* Read DIR's record (none yet: no wheels). 0, or -1 with err: GE_EXIT_BAD_DATA for a damaged
 * record, naming it. */
int ge_wheels_open(struct ge_wheels *w, const char *dir, struct ge_err *err);
void ge_wheels_fini(struct ge_wheels *w);

/* Whether name is a wheel's file name gpuenv serves: a safe name ending in ".whl" whose first
 * part is a project name. */
bool ge_wheel_name_ok(const char *name);

/* PEP 503's normalized project name of a wheel file ("Foo_Bar-1.0-py3-none-any.whl" -> "foo-bar"). */
void ge_wheel_project(const char *file, char *out, size_t size);

/* Read every recorded wheel back: one that is gone is forgotten; one whose SHA-256 or size
 * differs is removed (a later 'pip download' fetches it again) and said through damaged(ud, file,
 * why). *good counts the rest. 0, or -1 with err when a file cannot be read. */
int ge_wheels_verify(struct ge_wheels *w, void (*damaged)(void *ud, const char *file, const char *why), void *ud,
                     size_t *good, struct ge_err *err);

/* Record the wheels in DIR/files that are new or changed size since the record (what pip just
 * downloaded): their SHA-256 read now. *added counts them. 0, or -1 with err. */
int ge_wheels_scan(struct ge_wheels *w, size_t *added, struct ge_err *err);

/* Write DIR/simple/ (every recorded wheel, by project) and the record, each replaced in one step.
 * 0, or -1 with err. */
int ge_wheels_publish(const struct ge_wheels *w, struct ge_err *err);

#endif
