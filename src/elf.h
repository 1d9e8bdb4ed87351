/* elf.h: reading 64-bit little-endian ELF files by offset, from memory or a file, without mapping
 * them (a framework's library can be gigabytes): the section table, and the dynamic section's
 * DT_NEEDED, DT_RPATH and DT_RUNPATH. Every offset and size is checked against the file. */
#ifndef GE_ELF_H
#define GE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Bytes from memory (mem) or from a file (fd), by offset; name is used in messages. */
struct ge_elf_src {
    const unsigned char *mem;
    size_t len;
    int fd;
    uint64_t size;
    const char *name;
};

static inline uint16_t ge_le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t ge_le32(const unsigned char *p) { return (uint32_t)ge_le16(p) | (uint32_t)ge_le16(p + 2) << 16; }
static inline uint64_t ge_le64(const unsigned char *p) { return (uint64_t)ge_le32(p) | (uint64_t)ge_le32(p + 4) << 32; }

/* Open path as a source (fd, size, name = path); ge_elf_close closes it. 0, or -1 with err. */
int ge_elf_open(const char *path, struct ge_elf_src *s, struct ge_err *err);
void ge_elf_close(struct ge_elf_src *s);
/* A source over len bytes in memory. */
struct ge_elf_src ge_elf_mem(const void *data, size_t len, const char *name);

/* n bytes at off into buf; 'what' names them in the message of a read past the end
 * (GE_EXIT_BAD_DATA). 0 or -1. */
int ge_elf_read(const struct ge_elf_src *s, uint64_t off, void *buf, size_t n, const char *what, struct ge_err *err);

struct ge_elf_section {
    const char *name;
    uint32_t type;           /* SHT_*: 6 dynamic, 8 nobits */
    uint64_t off, size;
    bool in_file;            /* [off, off + size) lies in the file (or the section has no bytes: type 8) */
    uint32_t link;           /* sh_link: the dynamic section's string table */
    uint64_t index;
};

/* Call fn for every section after the first, in order (fn checks in_file before reading one); fn returns 0 to go on, 1 to stop, -1 for
 * an error it filled. A file without a section table has none. 0 or -1 with err (GE_EXIT_BAD_DATA
 * for what is not a 64-bit little-endian ELF file or is malformed). */
int ge_elf_each_section(const struct ge_elf_src *s, int (*fn)(void *ud, const struct ge_elf_section *sec, struct ge_err *err),
                        void *ud, struct ge_err *err);
/* The section called 'name': *has says whether the file has one; fn is called with its bytes'
 * place when it has any (not for SHT_NOBITS). -1 with err when it runs past the end of the file
 * ('what' names the file in the message), or what fn returns. */
int ge_elf_with_section(const struct ge_elf_src *s, const char *name, bool *has,
                        int (*fn)(void *ud, const struct ge_elf_src *s, uint64_t off, uint64_t size, struct ge_err *err),
                        void *ud, struct ge_err *err);
/* The header of section 'index' (its name is not read: NULL). */
int ge_elf_section_at(const struct ge_elf_src *s, uint64_t index, struct ge_elf_section *out, struct ge_err *err);

#define GE_ELF_MAX_NEEDED 128
#define GE_ELF_PATH_MAX 2048

/* What the dynamic loader reads of a shared library. */
struct ge_elf_dynamic {
    bool has_dynamic;
    int nneeded;
    char needed[GE_ELF_MAX_NEEDED][128]; /* DT_NEEDED sonames, the first GE_ELF_MAX_NEEDED */
    char rpath[GE_ELF_PATH_MAX];   /* DT_RPATH: searched before LD_LIBRARY_PATH; "" when none */
    char runpath[GE_ELF_PATH_MAX]; /* DT_RUNPATH: after it (and it disables DT_RPATH); "" when none */
};

int ge_elf_dynamic_read(const char *path, struct ge_elf_dynamic *out, struct ge_err *err);
int ge_elf_dynamic_parse(const void *elf, size_t len, const char *name, struct ge_elf_dynamic *out, struct ge_err *err);

#endif
