/* elf.c: the section table and the dynamic section of 64-bit little-endian ELF files. */
#include "elf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "str.h"

#define SHSTRTAB_MAX (16u << 20)
#define DYNSTR_MAX (64u << 20)
#define DYNAMIC_MAX (1u << 20)

int ge_elf_open(const char *path, struct ge_elf_src *s, struct ge_err *err)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->name = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ge_err_sys(err, errno, "cannot open '%s'", path);
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0) {
        int e = errno;
        close(fd);
        return ge_err_sys(err, e, "cannot read '%s'", path);
    }
    s->fd = fd;
    s->size = (uint64_t)size;
    return 0;
}

void ge_elf_close(struct ge_elf_src *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

struct ge_elf_src ge_elf_mem(const void *data, size_t len, const char *name)
{
    struct ge_elf_src s = {data, len, -1, len, name};
    return s;
}

int ge_elf_read(const struct ge_elf_src *s, uint64_t off, void *buf, size_t n, const char *what, struct ge_err *err)
{
    if (off > s->size || n > s->size - off)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': %s runs past the end of the file (byte %llu of %llu)", s->name,
                          what, (unsigned long long)(off + n), (unsigned long long)s->size);
    if (s->mem) {
        memcpy(buf, s->mem + off, n);
        return 0;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(s->fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ge_err_sys(err, errno, "cannot read '%s'", s->name);
        if (r == 0)
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s' is shorter than it says (it changed while read?)", s->name);
        got += (size_t)r;
    }
    return 0;
}

/* The section table's place: 0 with *shoff (0 when there is none), *shnum and *shstrndx, or -1. */
static int table(const struct ge_elf_src *s, uint64_t *shoff, uint64_t *shnum, uint32_t *shstrndx, struct ge_err *err)
{
    unsigned char eh[64];
    if (s->size < sizeof eh)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s' is not an ELF file (too short)", s->name);
    if (ge_elf_read(s, 0, eh, sizeof eh, "the ELF header", err) < 0)
        return -1;
    if (memcmp(eh, "\x7f" "ELF", 4) != 0)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s' is not an ELF file", s->name);
    if (eh[4] != 2 || eh[5] != 1)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s' is not a 64-bit little-endian ELF file", s->name);
    *shoff = ge_le64(eh + 40);
    uint16_t shentsize = ge_le16(eh + 58);
    *shnum = ge_le16(eh + 60);
    *shstrndx = ge_le16(eh + 62);
    if (*shoff == 0)
        return 0; /* no section table: nothing to find */
    if (shentsize != 64)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': section headers of %u bytes, not 64", s->name, shentsize);
    unsigned char sh[64];
    if (*shnum == 0 || *shstrndx == 0xffff) { /* the real values sit in section 0 */
        if (ge_elf_read(s, *shoff, sh, sizeof sh, "section header 0", err) < 0)
            return -1;
        if (*shnum == 0)
            *shnum = ge_le64(sh + 32);
        if (*shstrndx == 0xffff)
            *shstrndx = ge_le32(sh + 40);
    }
    if (*shnum > (s->size - (*shoff < s->size ? *shoff : s->size)) / 64)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': its section table runs past the end of the file", s->name);
    if (*shstrndx >= *shnum)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': its section-name table is section %u of %llu", s->name,
                          *shstrndx, (unsigned long long)*shnum);
    return 0;
}

static int header(const struct ge_elf_src *s, uint64_t shoff, uint64_t i, struct ge_elf_section *out, struct ge_err *err)
{
    unsigned char sh[64];
    if (ge_elf_read(s, shoff + i * 64, sh, sizeof sh, "a section header", err) < 0)
        return -1;
    out->name = NULL;
    out->index = i;
    out->type = ge_le32(sh + 4);
    out->off = ge_le64(sh + 24);
    out->size = ge_le64(sh + 32);
    out->link = ge_le32(sh + 40);
    out->in_file = out->type == 8 || (out->off <= s->size && out->size <= s->size - out->off);
    return 0;
}

int ge_elf_section_at(const struct ge_elf_src *s, uint64_t index, struct ge_elf_section *out, struct ge_err *err)
{
    uint64_t shoff, shnum;
    uint32_t shstrndx;
    if (table(s, &shoff, &shnum, &shstrndx, err) < 0)
        return -1;
    if (!shoff || index >= shnum)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s' has no section %llu", s->name, (unsigned long long)index);
    return header(s, shoff, index, out, err);
}

int ge_elf_each_section(const struct ge_elf_src *s, int (*fn)(void *ud, const struct ge_elf_section *sec, struct ge_err *err),
                        void *ud, struct ge_err *err)
{
    uint64_t shoff, shnum;
    uint32_t shstrndx;
    if (table(s, &shoff, &shnum, &shstrndx, err) < 0)
        return -1;
    if (!shoff)
        return 0;
    struct ge_elf_section st;
    if (header(s, shoff, shstrndx, &st, err) < 0)
        return -1;
    if (st.size > SHSTRTAB_MAX)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a section-name table of %llu bytes", s->name,
                          (unsigned long long)st.size);
    char *names = malloc(st.size + 1);
    if (!names)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    int rc = ge_elf_read(s, st.off, names, st.size, "the section-name table", err);
    names[st.size] = '\0';
    for (uint64_t i = 1; rc == 0 && i < shnum; i++) {
        struct ge_elf_section sec;
        if ((rc = header(s, shoff, i, &sec, err)) < 0)
            break;
        unsigned char raw[4];
        if ((rc = ge_elf_read(s, shoff + i * 64, raw, 4, "a section header", err)) < 0)
            break;
        uint32_t nm = ge_le32(raw);
        sec.name = nm < st.size ? names + nm : "";
        sec.in_file = sec.type == 8 || (sec.off <= s->size && sec.size <= s->size - sec.off);
        int r = fn(ud, &sec, err);
        if (r < 0)
            rc = -1;
        if (r != 0)
            break;
    }
    free(names);
    return rc;
}

/* ---- the dynamic section ---- */

struct dyn_find {
    const struct ge_elf_src *s;
    struct ge_elf_dynamic *out;
};

static void copy_str(const char *strs, uint64_t size, uint64_t at, char *dst, size_t dsize)
{
    if (at >= size) {
        dst[0] = '\0';
        return;
    }
    size_t n = strnlen(strs + at, (size_t)(size - at));
    if (n >= dsize)
        n = dsize - 1;
    memcpy(dst, strs + at, n);
    dst[n] = '\0';
}

static int dynamic_section(void *ud, const struct ge_elf_section *sec, struct ge_err *err)
{
    struct dyn_find *f = ud;
    if (sec->type != 6) /* SHT_DYNAMIC */
        return 0;
    f->out->has_dynamic = true;
    if (!sec->in_file)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': its dynamic section runs past the end of the file", f->s->name);
    struct ge_elf_section str;
    if (ge_elf_section_at(f->s, sec->link, &str, err) < 0)
        return -1;
    if (sec->size > DYNAMIC_MAX || str.size > DYNSTR_MAX || str.type == 8 || !str.in_file)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': its dynamic section or string table is malformed", f->s->name);
    unsigned char *dyn = malloc(sec->size ? sec->size : 1);
    char *strs = malloc(str.size + 1);
    int rc = -1;
    if (!dyn || !strs) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    if (ge_elf_read(f->s, sec->off, dyn, sec->size, "the dynamic section", err) < 0 ||
        ge_elf_read(f->s, str.off, strs, str.size, "the dynamic string table", err) < 0)
        goto out;
    strs[str.size] = '\0';
    for (uint64_t i = 0; i + 16 <= sec->size; i += 16) {
        int64_t tag = (int64_t)ge_le64(dyn + i);
        uint64_t val = ge_le64(dyn + i + 8);
        if (tag == 0) /* DT_NULL */
            break;
        if (tag == 1 && f->out->nneeded < GE_ELF_MAX_NEEDED) /* DT_NEEDED */
            copy_str(strs, str.size, val, f->out->needed[f->out->nneeded++], sizeof f->out->needed[0]);
        else if (tag == 15) /* DT_RPATH */
            copy_str(strs, str.size, val, f->out->rpath, sizeof f->out->rpath);
        else if (tag == 29) /* DT_RUNPATH */
            copy_str(strs, str.size, val, f->out->runpath, sizeof f->out->runpath);
    }
    rc = 1; /* one dynamic section */
out:
    free(dyn);
    free(strs);
    return rc;
}

static int dynamic(const struct ge_elf_src *s, struct ge_elf_dynamic *out, struct ge_err *err)
{
    memset(out, 0, sizeof *out);
    struct dyn_find f = {s, out};
    return ge_elf_each_section(s, dynamic_section, &f, err);
}

int ge_elf_dynamic_read(const char *path, struct ge_elf_dynamic *out, struct ge_err *err)
{
    memset(out, 0, sizeof *out);
    struct ge_elf_src s;
    if (ge_elf_open(path, &s, err) < 0)
        return -1;
    int rc = dynamic(&s, out, err);
    ge_elf_close(&s);
    return rc;
}

int ge_elf_dynamic_parse(const void *elf, size_t len, const char *name, struct ge_elf_dynamic *out, struct ge_err *err)
{
    struct ge_elf_src s = ge_elf_mem(elf, len, name);
    return dynamic(&s, out, err);
}

struct named {
    const char *name;
    bool *has;
    int (*fn)(void *ud, const struct ge_elf_src *s, uint64_t off, uint64_t size, struct ge_err *err);
    void *ud;
    const struct ge_elf_src *s;
};

static int named_section(void *ud, const struct ge_elf_section *sec, struct ge_err *err)
{
    struct named *n = ud;
    if (strcmp(sec->name, n->name) != 0)
        return 0;
    *n->has = true;
    if (sec->type == 8) /* SHT_NOBITS: no bytes in the file */
        return 0;
    if (!sec->in_file)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': its %s section runs past the end of the file", n->s->name,
                          n->name);
    return n->fn(n->ud, n->s, sec->off, sec->size, err);
}

int ge_elf_with_section(const struct ge_elf_src *s, const char *name, bool *has,
                        int (*fn)(void *ud, const struct ge_elf_src *s, uint64_t off, uint64_t size, struct ge_err *err),
                        void *ud, struct ge_err *err)
{
    struct named n = {name, has, fn, ud, s};
    return ge_elf_each_section(s, named_section, &n, err);
}
