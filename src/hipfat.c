/* hipfat.c: the gfx targets of an ELF file's .hip_fatbin section (format notes in hipfat.h). */
#include "hipfat.h"

#include <archive.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd.h"
#include "elf.h"
#include "lazy.h"
#include "path.h"
#include "str.h"

#define BUNDLE_MAGIC "__CLANG_OFFLOAD_BUNDLE__"
#define BUNDLE_MAGIC_LEN 24u
#define CCOB_MAGIC "CCOB"
#define ID_MAX 255u
#define METHOD_ZLIB 0u
#define METHOD_ZSTD 1u
#define MAX_COMPRESSED (1u << 16) /* compressed bundles decompressed per file */

/* ---- libarchive, loaded on first use, for zstd (raw format, zstd filter) ---- */

static struct {
    __typeof__(&archive_read_new) read_new;
    __typeof__(&archive_read_support_filter_zstd) support_filter_zstd;
    __typeof__(&archive_read_support_format_raw) support_format_raw;
    __typeof__(&archive_read_open) read_open;
    __typeof__(&archive_read_next_header) read_next_header;
    __typeof__(&archive_read_data) read_data;
    __typeof__(&archive_read_free) read_free;
    __typeof__(&archive_filter_code) filter_code;
    __typeof__(&archive_error_string) error_string;
} la;

static const struct ge_lazy_sym la_syms[] = {
    {"archive_read_new", (void **)&la.read_new},
    {"archive_read_support_filter_zstd", (void **)&la.support_filter_zstd},
    {"archive_read_support_format_raw", (void **)&la.support_format_raw},
    {"archive_read_open", (void **)&la.read_open},
    {"archive_read_next_header", (void **)&la.read_next_header},
    {"archive_read_data", (void **)&la.read_data},
    {"archive_read_free", (void **)&la.read_free},
    {"archive_filter_code", (void **)&la.filter_code},
    {"archive_error_string", (void **)&la.error_string},
    {NULL, NULL},
};

static struct ge_lazy_lib libarchive = {"libarchive.so.13", "libarchive13", la_syms, 0};

/* ---- reading a bundle: from the file, or from a compressed bundle's decompressed stream ---- */

/* Bytes [rel, rel + n) of a bundle; 0 or -1 with err. */
struct reader {
    int (*read)(struct reader *r, uint64_t rel, void *buf, size_t n, const char *what, struct ge_err *err);
    const char *name;
    uint64_t limit;           /* the bundle may span no more than this */
};

struct file_reader {
    struct reader r;
    const struct ge_elf_src *s;
    uint64_t base;
};

static int file_read(struct reader *r, uint64_t rel, void *buf, size_t n, const char *what, struct ge_err *err)
{
    struct file_reader *f = (struct file_reader *)r;
    if (rel > r->limit || n > r->limit - rel)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': %s runs past the end of .hip_fatbin", r->name, what);
    return ge_elf_read(f->s, f->base + rel, buf, n, what, err);
}

/* The compressed bytes, fed to libarchive in chunks read from the file. */
struct feed {
    const struct ge_elf_src *s;
    uint64_t pos, end;
    struct ge_err err;
    unsigned char chunk[1 << 16];
};

static la_ssize_t feed_read(struct archive *a, void *ud, const void **out)
{
    (void)a;
    struct feed *f = ud;
    size_t n = f->end - f->pos < sizeof f->chunk ? (size_t)(f->end - f->pos) : sizeof f->chunk;
    *out = f->chunk;
    if (n && ge_elf_read(f->s, f->pos, f->chunk, n, "a compressed bundle", &f->err) < 0)
        return -1;
    f->pos += n;
    return (la_ssize_t)n;
}

struct zstd_reader {
    struct reader r;
    struct archive *a;
    struct feed *feed;
    unsigned char *buf;       /* what was decompressed so far */
    size_t len;
};

static int zstd_read(struct reader *r, uint64_t rel, void *buf, size_t n, const char *what, struct ge_err *err)
{
    struct zstd_reader *z = (struct zstd_reader *)r;
    if (rel > r->limit || n > r->limit - rel)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': %s runs past the end of its compressed bundle", r->name, what);
    if (rel + n > GE_HIPFAT_MAX_TABLE)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a compressed bundle's entry table is larger than %u bytes",
                          r->name, GE_HIPFAT_MAX_TABLE);
    while (z->len < rel + n) {
        la_ssize_t got = la.read_data(z->a, z->buf + z->len, (size_t)(rel + n) - z->len);
        if (got < 0) {
            if (z->feed->err.status)
                *err = z->feed->err;
            else
                ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a compressed bundle does not decompress: %s", r->name,
                           la.error_string(z->a) ? la.error_string(z->a) : "zstd error");
            return -1;
        }
        if (got == 0)
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a compressed bundle decompresses to fewer bytes than its "
                              "header says", r->name);
        z->len += (size_t)got;
    }
    memcpy(buf, z->buf + rel, n);
    return 0;
}

/* ---- target IDs ---- */

static const char *const gen9[] = {"gfx900", "gfx902", "gfx904", "gfx906", "gfx909", "gfx90c", NULL};
static const char *const gen94[] = {"gfx940", "gfx941", "gfx942", "gfx950", NULL};
static const char *const gen101[] = {"gfx1010", "gfx1011", "gfx1012", "gfx1013", NULL};
static const char *const gen103[] = {"gfx1030", "gfx1031", "gfx1032", "gfx1033", "gfx1034", "gfx1035", "gfx1036", NULL};
static const char *const gen11[] = {"gfx1100", "gfx1101", "gfx1102", "gfx1103", "gfx1150", "gfx1151", "gfx1152",
                                    "gfx1153", NULL};
static const char *const gen12[] = {"gfx1200", "gfx1201", NULL};

const char *const *ge_hipfat_generic_members(const char *proc)
{
    static const struct {
        const char *name;
        const char *const *members;
    } generics[] = {{"gfx9-generic", gen9},       {"gfx9-4-generic", gen94}, {"gfx10-1-generic", gen101},
                    {"gfx10-3-generic", gen103}, {"gfx11-generic", gen11},  {"gfx12-generic", gen12}};
    for (size_t i = 0; i < sizeof generics / sizeof generics[0]; i++)
        if (!strcmp(proc, generics[i].name))
            return generics[i].members;
    return NULL;
}

/* One bundle entry's id: 1 and t filled for an AMD GPU code object of the HIP runtime, 0 for
 * another entry (the host's, OpenMP's, another triple's), -1 for an id that is malformed. */
static int parse_id(const char *id, struct ge_hipfat_target *t)
{
    for (const char *p = id; *p; p++)
        if (*p <= ' ' || *p > '~')
            return -1;
    const char *dash = strchr(id, '-');
    if (!dash || dash == id)
        return -1;
    size_t kl = (size_t)(dash - id);
    const char *rest = dash + 1;
    static const char amdhsa[] = "amdgcn-amd-amdhsa";
    if (strncmp(rest, amdhsa, sizeof amdhsa - 1) != 0)
        return 0; /* the host, or another machine's code */
    if (kl < 3 || strncmp(id, "hip", 3) != 0)
        return 0; /* OpenMP's offload code: not the HIP runtime's to load */
    const char *tid = rest + sizeof amdhsa - 1;
    if (*tid != '-')
        return -1;
    tid++;
    if (*tid == '-') /* "amdgcn-amd-amdhsa--gfx90a": an empty environment */
        tid++;
    else if (!strncmp(tid, "unknown-", 8))
        tid += 8;
    size_t pl = strcspn(tid, ":");
    if (pl < 4 || pl >= sizeof t->proc || strncmp(tid, "gfx", 3) != 0 || strspn(tid, "abcdefghijklmnopqrstuvwxyz0123456789-") < pl)
        return -1;
    memset(t, 0, sizeof *t);
    memcpy(t->proc, tid, pl);
    t->proc[pl] = '\0';
    t->xnack = t->sramecc = GE_HIP_ANY;
    for (const char *f = tid + pl; *f;) {
        f++; /* the ':' */
        size_t fl = strcspn(f, ":");
        enum ge_hip_feature *slot = fl == 6 && !strncmp(f, "xnack", 5) ? &t->xnack
                                    : fl == 8 && !strncmp(f, "sramecc", 7) ? &t->sramecc
                                                                            : NULL;
        if (!slot || *slot != GE_HIP_ANY || (f[fl - 1] != '+' && f[fl - 1] != '-'))
            return -1;
        *slot = f[fl - 1] == '+' ? GE_HIP_ON : GE_HIP_OFF;
        f += fl;
    }
    return 1;
}

/* ---- bundles ---- */

static int add(struct ge_hipfat *h, size_t *cap, const struct ge_hipfat_target *t, const char *name, struct ge_err *err)
{
    if (h->n >= (size_t)GE_HIPFAT_MAX_ENTRIES * 16)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': more than %u code objects", name, GE_HIPFAT_MAX_ENTRIES * 16);
    if (h->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        struct ge_hipfat_target *v = realloc(h->v, nc * sizeof *v);
        if (!v)
            return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        h->v = v;
        *cap = nc;
    }
    h->v[h->n++] = *t;
    return 0;
}

/* An uncompressed bundle through r: its code objects into h; *len gets the bytes it spans. */
static int parse_bundle(struct reader *r, struct ge_hipfat *h, size_t *cap, uint64_t *len, struct ge_err *err)
{
    unsigned char hd[BUNDLE_MAGIC_LEN + 8];
    if (r->read(r, 0, hd, sizeof hd, "a bundle header", err) < 0)
        return -1;
    if (memcmp(hd, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) != 0)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a bundle lacks the __CLANG_OFFLOAD_BUNDLE__ magic", r->name);
    uint64_t count = ge_le64(hd + BUNDLE_MAGIC_LEN), pos = sizeof hd, end = sizeof hd;
    /* each entry takes 24 bytes of header at least */
    if (count > GE_HIPFAT_MAX_ENTRIES || count > (r->limit - pos) / 24)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a bundle claims %llu entries", r->name, (unsigned long long)count);
    size_t bundle = h->nbundles - 1;
    for (uint64_t i = 0; i < count; i++) {
        unsigned char eh[24];
        char id[ID_MAX + 1];
        if (r->read(r, pos, eh, sizeof eh, "a bundle entry", err) < 0)
            return -1;
        uint64_t off = ge_le64(eh), size = ge_le64(eh + 8), idlen = ge_le64(eh + 16);
        if (idlen == 0 || idlen > ID_MAX)
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a bundle entry's id is %llu bytes long", r->name,
                              (unsigned long long)idlen);
        if (r->read(r, pos + 24, id, (size_t)idlen, "a bundle entry's id", err) < 0)
            return -1;
        id[idlen] = '\0';
        pos += 24 + idlen;
        if (off == 0 || off > r->limit || size > r->limit - off)
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': the code object of '%s' lies outside its bundle", r->name, id);
        if (off + size > end)
            end = off + size;
        struct ge_hipfat_target t;
        int k = strlen(id) == idlen ? parse_id(id, &t) : -1;
        if (k < 0) {
            bool text = strlen(id) == idlen && !ge_has_control(id);
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a bundle entry has a malformed id '%.64s'", r->name,
                              text ? id : "(not text)");
        }
        if (k > 0) {
            t.size = size;
            t.bundle = bundle;
            if (add(h, cap, &t, r->name, err) < 0)
                return -1;
        }
    }
    *len = end > pos ? end : pos;
    return 0;
}

/* Decompress the zstd stream in [off, off + clen) of s and read the bundle it holds (of usize
 * bytes) from it: only as far as its entry table. */
static int inflate_bundle(const struct ge_elf_src *s, uint64_t off, uint64_t clen, uint64_t usize, struct ge_hipfat *h,
                          size_t *cap, struct ge_err *err)
{
    unsigned char zm[4] = {0};
    if (clen >= 4 && ge_elf_read(s, off, zm, 4, "a compressed bundle", err) < 0)
        return -1;
    if (memcmp(zm, "\x28\xb5\x2f\xfd", 4) != 0)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a zstd-compressed bundle holds no zstd stream", s->name);
    if (ge_lazy_load(&libarchive, err) < 0)
        return -1;
    struct zstd_reader z = {{zstd_read, s->name, usize}, NULL, NULL, NULL, 0};
    int rc = -1;
    z.feed = calloc(1, sizeof *z.feed);
    size_t want = usize < GE_HIPFAT_MAX_TABLE ? (size_t)usize : GE_HIPFAT_MAX_TABLE;
    z.buf = malloc(want ? want : 1);
    z.a = la.read_new();
    if (!z.feed || !z.buf || !z.a) {
        ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        goto out;
    }
    *z.feed = (struct feed){.s = s, .pos = off, .end = off + clen};
    ge_err_clear(&z.feed->err);
    /* ARCHIVE_WARN: a libarchive without libzstd, which would run the zstd program instead */
    if (la.support_filter_zstd(z.a) != ARCHIVE_OK || la.support_format_raw(z.a) != ARCHIVE_OK) {
        ge_err_set(err, GE_EXIT_FAILURE, "'%s': this libarchive cannot decompress zstd", s->name);
        goto out;
    }
    struct archive_entry *e;
    if (la.read_open(z.a, z.feed, NULL, feed_read, NULL) != ARCHIVE_OK || la.read_next_header(z.a, &e) != ARCHIVE_OK ||
        la.filter_code(z.a, 0) != ARCHIVE_FILTER_ZSTD) {
        if (z.feed->err.status)
            *err = z.feed->err;
        else
            ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a compressed bundle does not decompress: %s", s->name,
                       la.error_string(z.a) ? la.error_string(z.a) : "not zstd");
        goto out;
    }
    uint64_t len;
    rc = parse_bundle(&z.r, h, cap, &len, err);
out:
    if (z.a)
        la.read_free(z.a);
    free(z.buf);
    free(z.feed);
    return rc;
}

/* Where a version 1 compressed bundle at pos ends: the next bundle's magic (at a multiple of 8
 * from pos), or end. */
static int v1_end(const struct ge_elf_src *s, uint64_t pos, uint64_t end, uint64_t *out, struct ge_err *err)
{
    unsigned char buf[4096 + BUNDLE_MAGIC_LEN];
    for (uint64_t at = pos + 8; at < end; at += 4096) {
        size_t n = end - at < sizeof buf ? (size_t)(end - at) : sizeof buf;
        if (ge_elf_read(s, at, buf, n, "a compressed bundle", err) < 0)
            return -1;
        for (size_t i = 0; i < 4096 && i + 4 <= n; i += 8)
            if (!memcmp(buf + i, CCOB_MAGIC, 4) ||
                (i + BUNDLE_MAGIC_LEN <= n && !memcmp(buf + i, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN))) {
                *out = at + i;
                return 0;
            }
    }
    *out = end;
    return 0;
}

/* A version 1 bundle's data runs to its region's end, less the zero padding after it, which zstd
 * would read as a broken next frame; a frame's own last bytes may be zeros: try those back too. */
static int inflate_v1(const struct ge_elf_src *s, uint64_t data, uint64_t rend, uint64_t usize, struct ge_hipfat *h,
                      size_t *cap, struct ge_err *err)
{
    size_t n0 = h->n;
    if (inflate_bundle(s, data, rend - data, usize, h, cap, err) == 0)
        return 0;
    struct ge_err first = *err;
    unsigned char tail[4096];
    size_t tn = rend - data < sizeof tail ? (size_t)(rend - data) : sizeof tail;
    if (ge_elf_read(s, rend - tn, tail, tn, "a compressed bundle", err) < 0)
        return -1;
    size_t zeros = 0;
    while (zeros < tn && tail[tn - 1 - zeros] == 0)
        zeros++;
    for (size_t keep = 0; zeros && keep < 4 && keep < zeros; keep++) {
        h->n = n0;
        ge_err_clear(err);
        if (inflate_bundle(s, data, rend - zeros + keep - data, usize, h, cap, err) == 0)
            return 0;
    }
    h->n = n0;
    *err = first;
    return -1;
}

/* A compressed bundle at pos (before end): read it, or count it unreadable; *len gets its bytes. */
static int compressed(const struct ge_elf_src *s, uint64_t pos, uint64_t end, struct ge_hipfat *h, size_t *cap,
                      uint64_t *len, struct ge_err *err)
{
    unsigned char hd[32];
    if (end - pos < 8)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a compressed bundle header is cut short", s->name);
    if (ge_elf_read(s, pos, hd, 8, "a compressed bundle header", err) < 0)
        return -1;
    unsigned version = ge_le16(hd + 4), method = ge_le16(hd + 6);
    size_t hsz = version == 1 ? 20 : version == 2 ? 24 : version == 3 ? 32 : 0;
    if (!hsz)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a compressed bundle of unknown version %u", s->name, version);
    if (end - pos < hsz)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a compressed bundle header is cut short", s->name);
    if (ge_elf_read(s, pos, hd, hsz, "a compressed bundle header", err) < 0)
        return -1;
    uint64_t total, usize;
    if (version == 1) {
        usize = ge_le32(hd + 8);
        if (v1_end(s, pos, end, &total, err) < 0)
            return -1;
        total -= pos;
    } else if (version == 2) {
        total = ge_le32(hd + 8);
        usize = ge_le32(hd + 12);
    } else {
        total = ge_le64(hd + 8);
        usize = ge_le64(hd + 16);
    }
    if (total < hsz || total > end - pos)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a compressed bundle claims %llu bytes, more than .hip_fatbin "
                          "holds", s->name, (unsigned long long)total);
    *len = total;
    if (method == METHOD_ZLIB) {
        if (!h->nunreadable++)
            ge_strlcpy(h->unreadable, "compressed with zlib: targets not readable", sizeof h->unreadable);
        return 0;
    }
    if (method != METHOD_ZSTD)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a compressed bundle of unknown method %u", s->name, method);
    if (usize < BUNDLE_MAGIC_LEN + 8)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': a compressed bundle of %llu bytes uncompressed", s->name,
                          (unsigned long long)usize);
    if (++h->ncompressed > MAX_COMPRESSED)
        return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': more than %u compressed bundles", s->name, MAX_COMPRESSED);
    if (version == 1)
        return inflate_v1(s, pos + hsz, pos + total, usize, h, cap, err);
    return inflate_bundle(s, pos + hsz, total - hsz, usize, h, cap, err);
}

/* The bundles in [off, off + size) of s. */
static int walk_section(const struct ge_elf_src *s, uint64_t off, uint64_t size, struct ge_hipfat *h, struct ge_err *err)
{
    size_t cap = h->n;
    uint64_t end = off + size, pos = off;
    unsigned char buf[4096];
    while (pos < end) {
        size_t n = end - pos < sizeof buf ? (size_t)(end - pos) : sizeof buf;
        if (ge_elf_read(s, pos, buf, n, "the .hip_fatbin section", err) < 0)
            return -1;
        size_t skip = 0;
        while (skip < n && buf[skip] == 0) /* padding between bundles */
            skip++;
        if (skip) {
            pos += skip;
            continue;
        }
        if (h->nbundles >= GE_HIPFAT_MAX_BUNDLES)
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': more than %u bundles", s->name, GE_HIPFAT_MAX_BUNDLES);
        uint64_t len = 0;
        if (n >= BUNDLE_MAGIC_LEN && !memcmp(buf, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN)) {
            h->nbundles++;
            struct file_reader f = {{file_read, s->name, end - pos}, s, pos};
            if (parse_bundle(&f.r, h, &cap, &len, err) < 0)
                return -1;
        } else if (n >= 4 && !memcmp(buf, CCOB_MAGIC, 4)) {
            h->nbundles++;
            if (compressed(s, pos, end, h, &cap, &len, err) < 0)
                return -1;
        } else {
            return ge_err_set(err, GE_EXIT_BAD_DATA, "'%s': .hip_fatbin holds no offload bundle at offset %llu", s->name,
                              (unsigned long long)(pos - off));
        }
        pos += len;
    }
    return 0;
}

/* Find .hip_fatbin in a 64-bit little-endian ELF and walk it. */
static int walk_found(void *ud, const struct ge_elf_src *s, uint64_t off, uint64_t size, struct ge_err *err)
{
    return walk_section(s, off, size, ud, err);
}

static int walk_elf(const struct ge_elf_src *s, struct ge_hipfat *h, struct ge_err *err)
{
    return ge_elf_with_section(s, ".hip_fatbin", &h->has_section, walk_found, h, err);
}

static int finish(int rc, struct ge_hipfat *out)
{
    if (rc < 0)
        ge_hipfat_fini(out);
    return rc;
}

int ge_hipfat_read(const char *path, struct ge_hipfat *out, struct ge_err *err)
{
    memset(out, 0, sizeof *out);
    struct ge_elf_src s;
    if (ge_elf_open(path, &s, err) < 0)
        return -1;
    int rc = walk_elf(&s, out, err);
    ge_elf_close(&s);
    return finish(rc, out);
}

int ge_hipfat_parse_elf(const void *elf, size_t len, const char *name, struct ge_hipfat *out, struct ge_err *err)
{
    memset(out, 0, sizeof *out);
    struct ge_elf_src s = ge_elf_mem(elf, len, name);
    return finish(walk_elf(&s, out, err), out);
}

int ge_hipfat_parse_section(const void *data, size_t len, const char *name, struct ge_hipfat *out, struct ge_err *err)
{
    memset(out, 0, sizeof *out);
    out->has_section = true;
    struct ge_elf_src s = ge_elf_mem(data, len, name);
    return finish(walk_section(&s, 0, len, out, err), out);
}

void ge_hipfat_fini(struct ge_hipfat *h)
{
    free(h->v);
    memset(h, 0, sizeof *h);
}

/* ---- matching ---- */

static bool feature_fits(enum ge_hip_feature code, enum ge_hip_feature gpu)
{
    return code == GE_HIP_ANY || gpu == GE_HIP_ANY || code == gpu;
}

enum ge_hipfat_fit ge_hipfat_target_fit(const struct ge_hipfat_target *t, unsigned gfx_target_version,
                                        enum ge_hip_feature xnack, enum ge_hip_feature sramecc)
{
    char gpu[16];
    if (ge_amd_gfx_name(gfx_target_version, gpu, sizeof gpu) < 0 || !feature_fits(t->xnack, xnack) ||
        !feature_fits(t->sramecc, sramecc))
        return GE_HIPFIT_NONE;
    if (!strcmp(t->proc, gpu))
        return GE_HIPFIT_EXACT;
    const char *const *m = ge_hipfat_generic_members(t->proc);
    for (; m && *m; m++)
        if (!strcmp(*m, gpu))
            return GE_HIPFIT_GENERIC;
    return GE_HIPFIT_NONE;
}

struct ge_hipfat_coverage ge_hipfat_cover(const struct ge_hipfat *h, unsigned gfx_target_version,
                                          enum ge_hip_feature xnack, enum ge_hip_feature sramecc)
{
    struct ge_hipfat_coverage c = {0, 0, 0};
    for (size_t i = 0; i < h->n;) {
        size_t j = i;
        enum ge_hipfat_fit best = GE_HIPFIT_NONE;
        for (; j < h->n && h->v[j].bundle == h->v[i].bundle; j++) {
            enum ge_hipfat_fit f = ge_hipfat_target_fit(&h->v[j], gfx_target_version, xnack, sramecc);
            if (f > best)
                best = f;
        }
        if (best == GE_HIPFIT_EXACT)
            c.exact++;
        else if (best == GE_HIPFIT_GENERIC)
            c.generic++;
        else
            c.none++;
        i = j;
    }
    return c;
}

const char *ge_hipfat_target_name(const struct ge_hipfat_target *t, char *buf, size_t size)
{
    ge_fmt(buf, size, "%s%s%s", t->proc,
           t->sramecc == GE_HIP_ANY ? "" : t->sramecc == GE_HIP_ON ? ":sramecc+" : ":sramecc-",
           t->xnack == GE_HIP_ANY ? "" : t->xnack == GE_HIP_ON ? ":xnack+" : ":xnack-");
    return buf;
}
