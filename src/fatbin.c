/* fatbin.c: the cubins and PTX of an ELF file's .nv_fatbin section (format notes in fatbin.h). */
#include "fatbin.h"

#include "elf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FATBIN_MAGIC 0xBA55ED50u
#define FLAG_LZ4 0x2000u
#define FLAG_ZSTD 0x8000u
#define FLAG_ARCH_SPECIFIC 0x100000u
#define FLAG_FAMILY_SPECIFIC 0x200000u
#define ENTRY_MIN 64u             /* the shortest entry header seen */

static int add(struct ge_fatbin *fb, size_t *cap, const struct ge_fatbin_entry *e, const char *name, struct ge_err *err)
{
    if (fb->n >= GE_FATBIN_MAX_ENTRIES)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': more than %u fat binary entries", name, GE_FATBIN_MAX_ENTRIES);
    if (fb->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct ge_fatbin_entry *v = realloc(fb->v, nc * sizeof *v);
        if (!v)
            return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        fb->v = v;
        *cap = nc;
    }
    fb->v[fb->n++] = *e;
    return 0;
}

/* The fat binaries in [off, off + size) of s. */
static int walk_section(const struct ge_elf_src *s, uint64_t off, uint64_t size, struct ge_fatbin *fb, struct ge_err *err)
{
    size_t cap = 0;
    uint64_t end = off + size, pos = off;
    while (pos < end) {
        if (end - pos < 16) {
            /* trailing alignment padding */
            unsigned char pad[16] = {0}, zero[16] = {0};
            if (ge_elf_read(s, pos, pad, (size_t)(end - pos), "the .nv_fatbin section", err) < 0)
                return -1;
            if (memcmp(pad, zero, (size_t)(end - pos)) == 0)
                break;
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': .nv_fatbin ends in %llu stray bytes", s->name,
                              (unsigned long long)(end - pos));
        }
        unsigned char h[16];
        if (ge_elf_read(s, pos, h, sizeof h, "a fat binary header", err) < 0)
            return -1;
        uint32_t magic = ge_le32(h);
        if (magic == 0) { /* padding between fat binaries */
            pos += 8;
            continue;
        }
        if (magic != FATBIN_MAGIC)
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': .nv_fatbin holds no fat binary at offset %llu (magic %#x)",
                              s->name, (unsigned long long)(pos - off), magic);
        uint16_t hsz = ge_le16(h + 6);
        uint64_t fsz = ge_le64(h + 8);
        if (hsz < 16 || hsz > end - pos || fsz > end - pos - hsz)
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': the fat binary at offset %llu claims more bytes than "
                              ".nv_fatbin holds", s->name, (unsigned long long)(pos - off));
        fb->nfatbins++;
        uint64_t e = pos + hsz, fend = pos + hsz + fsz;
        while (e < fend) {
            unsigned char eh[ENTRY_MIN];
            if (fend - e < ENTRY_MIN)
                return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': an entry header at offset %llu is cut short",
                                  s->name, (unsigned long long)(e - off));
            if (ge_elf_read(s, e, eh, sizeof eh, "an entry header", err) < 0)
                return -1;
            uint16_t kind = ge_le16(eh);
            uint32_t ehsz = ge_le32(eh + 4);
            uint64_t psz = ge_le64(eh + 8);
            if (ehsz < ENTRY_MIN || ehsz > fend - e || psz > fend - e - ehsz)
                return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': the entry at offset %llu claims more bytes than its "
                                  "fat binary holds", s->name, (unsigned long long)(e - off));
            if (kind == GE_FATBIN_PTX || kind == GE_FATBIN_CUBIN) {
                uint64_t flags = ge_le64(eh + 40);
                struct ge_fatbin_entry x = {
                    .kind = (enum ge_fatbin_kind)kind,
                    .arch = ge_le32(eh + 28),
                    .suffix = flags & FLAG_ARCH_SPECIFIC ? 'a' : flags & FLAG_FAMILY_SPECIFIC ? 'f' : 0,
                    .ver_major = ge_le16(eh + 26),
                    .ver_minor = ge_le16(eh + 24),
                    .compressed = (flags & (FLAG_LZ4 | FLAG_ZSTD)) != 0,
                    .size = psz,
                    .uncompressed_size = ge_le64(eh + 56),
                    .fatbin = fb->nfatbins - 1,
                };
                if (x.arch == 0 || x.arch > 1000)
                    return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': the entry at offset %llu names architecture %u",
                                      s->name, (unsigned long long)(e - off), x.arch);
                if (add(fb, &cap, &x, s->name, err) < 0)
                    return -1;
            } /* other kinds (none seen) are skipped by their sizes */
            e += ehsz + psz;
        }
        pos = fend;
    }
    return 0;
}

/* Find .nv_fatbin in a 64-bit little-endian ELF and walk it. */
static int walk_found(void *ud, const struct ge_elf_src *s, uint64_t off, uint64_t size, struct ge_err *err)
{
    return walk_section(s, off, size, ud, err);
}

static int walk_elf(const struct ge_elf_src *s, struct ge_fatbin *fb, struct ge_err *err)
{
    return ge_elf_with_section(s, ".nv_fatbin", &fb->has_section, walk_found, fb, err);
}

static int finish(int rc, struct ge_fatbin *out)
{
    if (rc < 0)
        ge_fatbin_fini(out);
    return rc;
}

int ge_fatbin_read(const char *path, struct ge_fatbin *out, struct ge_err *err)
{
    memset(out, 0, sizeof *out);
    struct ge_elf_src s;
    if (ge_elf_open(path, &s, err) < 0)
        return -1;
    int rc = walk_elf(&s, out, err);
    ge_elf_close(&s);
    return finish(rc, out);
}

int ge_fatbin_parse_elf(const void *elf, size_t len, const char *name, struct ge_fatbin *out, struct ge_err *err)
{
    memset(out, 0, sizeof *out);
    struct ge_elf_src s = ge_elf_mem(elf, len, name);
    return finish(walk_elf(&s, out, err), out);
}

int ge_fatbin_parse_section(const void *data, size_t len, const char *name, struct ge_fatbin *out,
                            struct ge_err *err)
{
    memset(out, 0, sizeof *out);
    out->has_section = true;
    struct ge_elf_src s = ge_elf_mem(data, len, name);
    return finish(walk_section(&s, 0, len, out, err), out);
}

void ge_fatbin_fini(struct ge_fatbin *fb)
{
    free(fb->v);
    fb->v = NULL;
    fb->n = fb->nfatbins = 0;
}

/* The best entry for cc among v[from, to): a cubin before PTX, then the newest architecture. */
static enum ge_fatbin_fit best_in(const struct ge_fatbin_entry *v, size_t from, size_t to, struct ge_cc cc,
                                  const struct ge_fatbin_entry **via)
{
    const struct ge_fatbin_entry *cubin = NULL, *ptx = NULL;
    unsigned want = (unsigned)cc.major * 10u + (unsigned)cc.minor;
    for (size_t i = from; i < to; i++) {
        const struct ge_fatbin_entry *e = &v[i];
        unsigned major = e->arch / 10, minor = e->arch % 10;
        if (e->kind == GE_FATBIN_CUBIN) {
            bool fits = e->suffix == 'a' ? e->arch == want
                                         : major == (unsigned)cc.major && minor <= (unsigned)cc.minor;
            if (fits && (!cubin || e->arch > cubin->arch))
                cubin = e;
        } else {
            bool fits = e->suffix == 'a' ? e->arch == want : e->arch <= want;
            if (fits && (!ptx || e->arch > ptx->arch))
                ptx = e;
        }
    }
    *via = cubin ? cubin : ptx;
    return cubin ? GE_FIT_CUBIN : ptx ? GE_FIT_PTX : GE_FIT_NONE;
}

/* Calls fn for each fat binary that holds entries, with its best fit. */
static void each_fatbin(const struct ge_fatbin *fb, struct ge_cc cc,
                        void (*fn)(void *, enum ge_fatbin_fit, const struct ge_fatbin_entry *), void *ud)
{
    for (size_t i = 0; i < fb->n;) {
        size_t j = i;
        while (j < fb->n && fb->v[j].fatbin == fb->v[i].fatbin)
            j++;
        const struct ge_fatbin_entry *via;
        enum ge_fatbin_fit f = best_in(fb->v, i, j, cc, &via);
        fn(ud, f, via);
        i = j;
    }
}

struct worst {
    bool any;
    enum ge_fatbin_fit fit;
    const struct ge_fatbin_entry *via;
};

static void take_worst(void *ud, enum ge_fatbin_fit f, const struct ge_fatbin_entry *via)
{
    struct worst *w = ud;
    /* NONE is worse than PTX, PTX worse than a cubin */
    int rank = f == GE_FIT_NONE ? 0 : f == GE_FIT_PTX ? 1 : 2;
    int have = !w->any ? 3 : w->fit == GE_FIT_NONE ? 0 : w->fit == GE_FIT_PTX ? 1 : 2;
    if (rank < have) {
        w->fit = f;
        w->via = via;
    }
    w->any = true;
}

enum ge_fatbin_fit ge_fatbin_fit(const struct ge_fatbin *fb, struct ge_cc cc, const struct ge_fatbin_entry **via)
{
    struct worst w = {false, GE_FIT_NONE, NULL};
    each_fatbin(fb, cc, take_worst, &w);
    if (via)
        *via = w.fit == GE_FIT_NONE ? NULL : w.via;
    return w.any ? w.fit : GE_FIT_NONE;
}

static void count(void *ud, enum ge_fatbin_fit f, const struct ge_fatbin_entry *via)
{
    (void)via;
    struct ge_fatbin_coverage *c = ud;
    if (f == GE_FIT_CUBIN)
        c->cubin++;
    else if (f == GE_FIT_PTX)
        c->ptx++;
    else
        c->none++;
}

struct ge_fatbin_coverage ge_fatbin_cover(const struct ge_fatbin *fb, struct ge_cc cc)
{
    struct ge_fatbin_coverage c = {0, 0, 0};
    each_fatbin(fb, cc, count, &c);
    return c;
}

const char *ge_fatbin_entry_name(const struct ge_fatbin_entry *e, char *buf, size_t size)
{
    snprintf(buf, size, "%s_%u%s", e->kind == GE_FATBIN_PTX ? "compute" : "sm", e->arch,
             e->suffix == 'a' ? "a" : e->suffix == 'f' ? "f" : "");
    return buf;
}
