/* digest.h: SHA-256, streamed, through libcrypto's EVP interface (loaded on first use). */
#ifndef GE_DIGEST_H
#define GE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GE_SHA256_HEX 65 /* 64 hex digits and the terminator */

struct ge_sha256 {
    void *ctx; /* EVP_MD_CTX *, owned */
};

/* Start a digest. 0, or -1 with err (libcrypto missing or failing). */
int ge_sha256_init(struct ge_sha256 *s, struct ge_err *err);
int ge_sha256_update(struct ge_sha256 *s, const void *data, size_t n, struct ge_err *err);
/* Finish into lowercase hex; the context is released either way. */
int ge_sha256_final(struct ge_sha256 *s, char hex[GE_SHA256_HEX], struct ge_err *err);
/* Release a digest that will not be finished (NULL-safe, idempotent). */
void ge_sha256_fini(struct ge_sha256 *s);

/* The digest and size of a whole file, read in blocks. */
int ge_sha256_file(const char *path, char hex[GE_SHA256_HEX], uint64_t *size, struct ge_err *err);

/* Whether s is 64 lowercase hex digits. */
int ge_sha256_valid(const char *s);

#endif
