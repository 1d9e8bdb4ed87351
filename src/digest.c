/* digest.c: SHA-256 through libcrypto's EVP API, streamed, with the library loaded lazily. */
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lazy.h"

static struct {
    __typeof__(&EVP_MD_CTX_new) EVP_MD_CTX_new;
    __typeof__(&EVP_MD_CTX_free) EVP_MD_CTX_free;
    __typeof__(&EVP_sha256) EVP_sha256;
    __typeof__(&EVP_DigestInit_ex) EVP_DigestInit_ex;
    __typeof__(&EVP_DigestUpdate) EVP_DigestUpdate;
    __typeof__(&EVP_DigestFinal_ex) EVP_DigestFinal_ex;
    __typeof__(&ERR_get_error) ERR_get_error;
    __typeof__(&ERR_error_string_n) ERR_error_string_n;
} evp;

static const struct ge_lazy_sym evp_syms[] = {
    GE_LAZY_SYM(evp, EVP_MD_CTX_new),    GE_LAZY_SYM(evp, EVP_MD_CTX_free),
    GE_LAZY_SYM(evp, EVP_sha256),        GE_LAZY_SYM(evp, EVP_DigestInit_ex),
    GE_LAZY_SYM(evp, EVP_DigestUpdate),  GE_LAZY_SYM(evp, EVP_DigestFinal_ex),
    GE_LAZY_SYM(evp, ERR_get_error),     GE_LAZY_SYM(evp, ERR_error_string_n),
    {NULL, NULL},
};

static struct ge_lazy_lib libcrypto = {"libcrypto.so.3", "libssl3", evp_syms, 0};

/* Fill err with libcrypto's own words for its latest error. */
static int crypto_fail(struct ge_err *err, const char *what)
{
    char buf[256] = "unknown error";
    unsigned long e = evp.ERR_get_error();
    if (e)
        evp.ERR_error_string_n(e, buf, sizeof buf);
    return ge_err_set(err, GE_EXIT_FAILURE, "SHA-256 %s failed: %s", what, buf);
}

int ge_sha256_init(struct ge_sha256 *s, struct ge_err *err)
{
    s->ctx = NULL;
    if (ge_lazy_load(&libcrypto, err) < 0)
        return -1;
    EVP_MD_CTX *ctx = evp.EVP_MD_CTX_new();
    if (!ctx)
        return crypto_fail(err, "context");
    if (evp.EVP_DigestInit_ex(ctx, evp.EVP_sha256(), NULL) != 1) {
        evp.EVP_MD_CTX_free(ctx);
        return crypto_fail(err, "initialisation");
    }
    s->ctx = ctx;
    return 0;
}

int ge_sha256_update(struct ge_sha256 *s, const void *data, size_t n, struct ge_err *err)
{
    if (n && evp.EVP_DigestUpdate(s->ctx, data, n) != 1)
        return crypto_fail(err, "update");
    return 0;
}

int ge_sha256_final(struct ge_sha256 *s, char hex[GE_SHA256_HEX], struct ge_err *err)
{
    unsigned char md[32];
    unsigned int len = 0;
    int ok = evp.EVP_DigestFinal_ex(s->ctx, md, &len) == 1 && len == sizeof md;
    ge_sha256_fini(s);
    if (!ok)
        return crypto_fail(err, "finalisation");
    for (unsigned i = 0; i < sizeof md; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

void ge_sha256_fini(struct ge_sha256 *s)
{
    if (s && s->ctx) {
        evp.EVP_MD_CTX_free(s->ctx);
        s->ctx = NULL;
    }
}

int ge_sha256_file(const char *path, char hex[GE_SHA256_HEX], uint64_t *size, struct ge_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ge_err_set(err, GE_EXIT_FAILURE, "cannot open '%s': %s", path, strerror(errno));
    struct ge_sha256 s;
    if (ge_sha256_init(&s, err) < 0) {
        close(fd);
        return -1;
    }
    static char block[1 << 16];
    uint64_t total = 0;
    for (;;) {
        ssize_t n = read(fd, block, sizeof block);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            ge_sha256_fini(&s);
            close(fd);
            return ge_err_set(err, GE_EXIT_FAILURE, "cannot read '%s': %s", path, strerror(e));
        }
        if (n == 0)
            break;
        if (ge_sha256_update(&s, block, (size_t)n, err) < 0) {
            ge_sha256_fini(&s);
            close(fd);
            return -1;
        }
        total += (uint64_t)n;
    }
    close(fd);
    if (size)
        *size = total;
    return ge_sha256_final(&s, hex, err);
}

int ge_sha256_valid(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return i == 64;
}
