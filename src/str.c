/* str.c: growable byte buffer, checked formatting, small string helpers. */
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ge_buf_init(struct ge_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ge_buf_fini(struct ge_buf *b)
{
    free(b->data);
    ge_buf_init(b);
}

static int buf_reserve(struct ge_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2)
            return -1;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ge_buf_add(struct ge_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ge_buf_adds(struct ge_buf *b, const char *s)
{
    return ge_buf_add(b, s, strlen(s));
}

int ge_buf_addf(struct ge_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

const char *ge_buf_str(const struct ge_buf *b)
{
    return b->data ? b->data : "";
}

int ge_fmt(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size)
        return -1;
    return 0;
}

int ge_path_join(char *dst, size_t size, const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (name[0] == '/')
        name++;
    const char *sep = (dl > 0 && dir[dl - 1] == '/') ? "" : "/";
    if (dl == 0)
        sep = "";
    return ge_fmt(dst, size, "%s%s%s", dir, sep, name);
}

size_t ge_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

void ge_rtrim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

bool ge_startswith(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

char *ge_read_file(const char *path, size_t max, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct ge_buf b;
    ge_buf_init(&b);
    char chunk[4096];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (r == 0)
            break;
        if (b.len + (size_t)r > max) {
            errno = EFBIG;
            goto fail;
        }
        if (ge_buf_add(&b, chunk, (size_t)r) < 0) {
            errno = ENOMEM;
            goto fail;
        }
    }
    close(fd);
    if (!b.data && ge_buf_add(&b, "", 0) < 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (len_out)
        *len_out = b.len;
    return b.data;
fail: {
    int e = errno;
    close(fd);
    ge_buf_fini(&b);
    errno = e;
    return NULL;
}
}

int ge_write_file(const char *path, const void *data, size_t len)
{
    char tmp[4200];
    if (ge_fmt(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int e = done == len ? 0 : (errno ? errno : EIO);
    if (!e && fsync(fd) < 0)
        e = errno;
    if (close(fd) < 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) < 0)
        e = errno;
    if (e) {
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

int ge_mkdir_p(const char *path)
{
    char buf[4096];
    if (ge_strlcpy(buf, path, sizeof buf) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* The buffer holds " w1 w2 ... ": each word between spaces, so that a lookup is one strstr. */
void ge_wordset_init(struct ge_buf *b)
{
    ge_buf_init(b);
    ge_buf_adds(b, " ");
}

void ge_wordset_add(struct ge_buf *b, const char *word)
{
    char key[256];
    if (ge_fmt(key, sizeof key, " %s ", word) < 0 || !strstr(ge_buf_str(b), key))
        ge_buf_addf(b, "%s ", word);
}

void ge_wordset_str(const struct ge_buf *b, char *out, size_t size)
{
    const char *all = ge_buf_str(b);
    size_t len = strlen(all);
    if (len <= 1)
        ge_strlcpy(out, "-", size);
    else
        ge_fmt(out, size, "%.*s", (int)(len - 2), all + 1);
}

void ge_path_under(char *dst, size_t size, const char *root, const char *path)
{
    if (ge_fmt(dst, size, "%s%s", root ? root : "", path) < 0 && size)
        dst[0] = '\0';
}
