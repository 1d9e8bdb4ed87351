/* str.h: growable byte buffer, checked formatting into fixed arrays, small string helpers. */
#ifndef GE_STR_H
#define GE_STR_H

#include <stdbool.h>
#include <stddef.h>

/* A growable, always NUL-terminated buffer. Zero-initialised storage is a valid empty buffer. */
struct ge_buf {
    char *data;
    size_t len;
    size_t cap;
};

void ge_buf_init(struct ge_buf *b);
void ge_buf_fini(struct ge_buf *b);
/* Append; return 0, or -1 when memory runs out (the buffer keeps its old contents). */
int ge_buf_add(struct ge_buf *b, const void *p, size_t n);
int ge_buf_adds(struct ge_buf *b, const char *s);
int ge_buf_addf(struct ge_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The contents as a C string ("" for an empty buffer that never grew). */
const char *ge_buf_str(const struct ge_buf *b);

/* snprintf into a fixed array that fails (returns -1) instead of truncating silently. */
int ge_fmt(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "dir" + "/" + "name" into dst without doubling the slash; -1 when it does not fit. */
int ge_path_join(char *dst, size_t size, const char *dir, const char *name);
/* The absolute path as seen under root (GPUENV_SYSROOT; NULL or "" for /): root and path
 * written one after the other; "" when that does not fit. */
void ge_path_under(char *dst, size_t size, const char *root, const char *path);

/* Copy at most size-1 bytes and always terminate (strlcpy semantics); returns strlen(src). */
size_t ge_strlcpy(char *dst, const char *src, size_t size);
/* Remove trailing white space in place. */
void ge_rtrim(char *s);
bool ge_startswith(const char *s, const char *prefix);

/* Read a whole small file (at most max bytes) into a new NUL-terminated string; NULL on failure
 * with errno set. The caller frees the result. */
char *ge_read_file(const char *path, size_t max, size_t *len_out);

/* Replace path with data atomically: written to path.tmp-PID, synced, renamed over path; nothing
 * of it is left on failure. 0, or -1 with errno set. */
int ge_write_file(const char *path, const void *data, size_t len);

/* Make path and its missing parents (mode 0755). 0, or -1 with errno set. */
int ge_mkdir_p(const char *path);

/* A set of distinct words kept in a buffer, in the order first added: start it with
 * ge_wordset_init; ge_wordset_add adds a word not already there; ge_wordset_str writes them joined
 * by spaces ("sm_75 sm_90", "-" for none). */
void ge_wordset_init(struct ge_buf *b);
void ge_wordset_add(struct ge_buf *b, const char *word);
void ge_wordset_str(const struct ge_buf *b, char *out, size_t size);

#endif
