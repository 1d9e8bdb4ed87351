/* version.h: dotted numeric versions (drivers, CUDA, cuDNN) and compute capabilities, as values. */
#ifndef GE_VERSION_H
#define GE_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GE_VERSION_PARTS 4

/* 1 to 4 numeric parts; missing parts compare as 0 ("12.4" == "12.4.0"). */
struct ge_version {
    uint32_t part[GE_VERSION_PARTS];
    uint8_t n;
};

enum ge_cmp { GE_CMP_LESS = -1, GE_CMP_EQUAL = 0, GE_CMP_GREATER = 1 };

/* Strict parse of "D[.D[.D[.D]]]", each D 1 to 9 decimal digits, nothing around it.
 * min_parts/max_parts bound the number of parts. Return 0, or -1 for malformed input. */
int ge_version_parse(struct ge_version *v, const char *s, int min_parts, int max_parts);
enum ge_cmp ge_version_cmp(const struct ge_version *a, const struct ge_version *b);
/* "12.4.1" (no zero padding) into buf; returns buf. */
char *ge_version_format(const struct ge_version *v, char *buf, size_t size);

/* A driver version as NVIDIA writes it: "580.159.04" (Linux) or "581.57" (Windows). */
int ge_driver_version_parse(struct ge_version *v, const char *s);

/* The CUDA version the driver API reports as an integer (13000 -> 13.0, 12020 -> 12.2). */
struct ge_version ge_cuda_version_from_int(int v);

/* A compute capability: 9.0, 10.3, 12.1. */
struct ge_cc {
    uint8_t major;
    uint8_t minor;
};

/* Accepts "9.0", "sm_90", "sm_100", "compute_90" (the arch-specific suffixes "a" and "f" are
 * accepted and ignored: they name the same GPU). Majors 1..99, minors 0..9. 0 or -1. */
int ge_cc_parse(struct ge_cc *cc, const char *s);
/* "9.0" into buf (at least 8 bytes); returns buf. */
char *ge_cc_format(struct ge_cc cc, char *buf, size_t size);
int ge_cc_cmp(struct ge_cc a, struct ge_cc b);

#endif
