/* test_hipfat.c: the HIP fat-binary reader against libraries whose .hip_fatbin sections hold bundles
 * clang-offload-bundler wrote and compressed bundles of LLVM's layout (tests/fake/make_hipfat.sh,
 * built by make into the fake folder): target IDs with and without features, the older id form,
 * several bundles in one section, generic processors, compressed bundles of versions 1 to 3, zlib,
 * a decompression bomb; and against damaged and hostile bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipfat.h"
#include "str.h"
#include "tests.h"

static void path_of(const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/hip/%s", fake_dir(), name);
}

static struct ge_hipfat load(const char *name)
{
    struct ge_hipfat h;
    struct ge_err err;
    ge_err_clear(&err);
    char path[512];
    path_of(name, path, sizeof path);
    ck_assert_msg(ge_hipfat_read(path, &h, &err) == 0, "%s: %s", name, err.msg);
    return h;
}

/* "0:gfx90a:sramecc+:xnack- 0:gfx1100" (bundle:target), in the file's order. */
static const char *listing(const struct ge_hipfat *h, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < h->n; i++) {
        char nm[48];
        snprintf(buf + strlen(buf), size - strlen(buf), "%s%zu:%s", i ? " " : "", h->v[i].bundle,
                 ge_hipfat_target_name(&h->v[i], nm, sizeof nm));
    }
    return buf;
}

static const struct {
    const char *file, *want;
    size_t nbundles, ncompressed, nunreadable;
} fixtures[] = {
    {"libgfx90a.so", "0:gfx90a:sramecc+:xnack- 0:gfx1100", 1, 0, 0},
    {"libold.so", "0:gfx906", 1, 0, 0},
    {"libtwo.so", "0:gfx90a 0:gfx942 1:gfx90a", 2, 0, 0},
    {"libgeneric.so", "0:gfx11-generic 0:gfx9-generic:xnack+", 1, 0, 0},
    {"libccob1.so", "0:gfx942:xnack- 0:gfx1100 0:gfx1030 1:gfx90a", 2, 1, 0},
    {"libccob2.so", "0:gfx942:xnack- 0:gfx1100 0:gfx1030", 1, 1, 0},
    {"libccob3.so", "0:gfx942:xnack- 0:gfx1100 0:gfx1030 1:gfx90a 2:gfx942:xnack- 2:gfx1100 2:gfx1030", 3, 2, 0},
    {"libzlib.so", "1:gfx90a", 2, 0, 1},
    /* 64 MiB of zeros after the entry table: only the table is decompressed */
    {"libbomb.so", "0:gfx90a", 1, 1, 0},
};

START_TEST(every_bundle_is_read)
{
    struct ge_hipfat h = load(fixtures[_i].file);
    char buf[512];
    ck_assert_str_eq(listing(&h, buf, sizeof buf), fixtures[_i].want);
    ck_assert(h.has_section);
    ck_assert_uint_eq(h.nbundles, fixtures[_i].nbundles);
    ck_assert_uint_eq(h.ncompressed, fixtures[_i].ncompressed);
    ck_assert_uint_eq(h.nunreadable, fixtures[_i].nunreadable);
    if (h.nunreadable)
        ck_assert_str_eq(h.unreadable, "compressed with zlib: targets not readable");
    for (size_t i = 0; i < h.n; i++)
        ck_assert(h.v[i].size > 0);
    ge_hipfat_fini(&h);
}
END_TEST

START_TEST(a_library_without_hip_code_is_not_an_error)
{
    struct ge_hipfat h = load("libnone.so");
    ck_assert(!h.has_section);
    ck_assert_uint_eq(h.n, 0);
    ck_assert_uint_eq(h.nbundles, 0);
    ge_hipfat_fini(&h);
}
END_TEST

START_TEST(which_gpu_has_a_code_object)
{
    static const struct {
        const char *file;
        unsigned gtv;
        enum ge_hip_feature xnack, sramecc;
        size_t exact, generic, none;
    } c[] = {
        {"libgfx90a.so", 90010, GE_HIP_ANY, GE_HIP_ANY, 1, 0, 0},
        {"libgfx90a.so", 90010, GE_HIP_OFF, GE_HIP_ON, 1, 0, 0},
        {"libgfx90a.so", 90010, GE_HIP_ON, GE_HIP_ANY, 0, 0, 1},  /* xnack- code on an xnack+ GPU */
        {"libgfx90a.so", 90010, GE_HIP_ANY, GE_HIP_OFF, 0, 0, 1}, /* sramecc+ code, ECC off */
        {"libgfx90a.so", 110000, GE_HIP_ON, GE_HIP_ON, 1, 0, 0},  /* no features: any mode */
        {"libgfx90a.so", 110001, GE_HIP_ANY, GE_HIP_ANY, 0, 0, 1}, /* gfx1101: another processor */
        {"libgfx90a.so", 90402, GE_HIP_ANY, GE_HIP_ANY, 0, 0, 1},
        {"libold.so", 90006, GE_HIP_ANY, GE_HIP_ANY, 1, 0, 0},
        /* two bundles: both must serve the GPU */
        {"libtwo.so", 90010, GE_HIP_ANY, GE_HIP_ANY, 2, 0, 0},
        {"libtwo.so", 90402, GE_HIP_ANY, GE_HIP_ANY, 1, 0, 1},
        /* generic processors serve their families (llvm/docs/AMDGPUUsage.rst) */
        {"libgeneric.so", 110001, GE_HIP_ANY, GE_HIP_ANY, 0, 1, 0},
        {"libgeneric.so", 110501, GE_HIP_ANY, GE_HIP_ANY, 0, 1, 0},  /* gfx1151 */
        {"libgeneric.so", 120001, GE_HIP_ANY, GE_HIP_ANY, 0, 0, 1},  /* gfx1201: gfx12-generic's */
        {"libgeneric.so", 90006, GE_HIP_ANY, GE_HIP_ANY, 0, 1, 0},   /* gfx906 in gfx9-generic */
        {"libgeneric.so", 90006, GE_HIP_OFF, GE_HIP_ANY, 0, 0, 1},   /* ... built xnack+ */
        {"libgeneric.so", 90010, GE_HIP_ANY, GE_HIP_ANY, 0, 0, 1},   /* gfx90a is in no generic family */
        {"libccob3.so", 90402, GE_HIP_OFF, GE_HIP_ANY, 2, 0, 1},
        {"libccob3.so", 90010, GE_HIP_ANY, GE_HIP_ANY, 1, 0, 2},
        /* an unreadable bundle is not counted either way */
        {"libzlib.so", 90010, GE_HIP_ANY, GE_HIP_ANY, 1, 0, 0},
        {"libnone.so", 90010, GE_HIP_ANY, GE_HIP_ANY, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct ge_hipfat h = load(c[i].file);
        struct ge_hipfat_coverage v = ge_hipfat_cover(&h, c[i].gtv, c[i].xnack, c[i].sramecc);
        ck_assert_msg(v.exact == c[i].exact && v.generic == c[i].generic && v.none == c[i].none,
                      "%s on %u: %zu exact %zu generic %zu none", c[i].file, c[i].gtv, v.exact, v.generic, v.none);
        ge_hipfat_fini(&h);
    }
    ck_assert_ptr_null(ge_hipfat_generic_members("gfx90a"));
    ck_assert_str_eq(ge_hipfat_generic_members("gfx10-3-generic")[6], "gfx1036");
}
END_TEST

static unsigned char *bytes(const char *name, size_t *len)
{
    char path[512];
    path_of(name, path, sizeof path);
    unsigned char *b = (unsigned char *)ge_read_file(path, 1 << 24, len);
    ck_assert_ptr_nonnull(b);
    return b;
}

static int parse(const unsigned char *b, size_t len, struct ge_hipfat *h, struct ge_err *err)
{
    ge_err_clear(err);
    int rc = ge_hipfat_parse_section(b, len, "x", h, err);
    ck_assert(rc == 0 || err->status == GE_EXIT_BAD_DATA);
    return rc;
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

START_TEST(damaged_and_hostile_sections_are_refused)
{
    struct ge_hipfat h;
    struct ge_err err;
    size_t len;
    unsigned char *b = bytes("sections/gfx90a", &len);
    ck_assert_int_eq(parse(b, len, &h, &err), 0);
    ck_assert_uint_eq(h.n, 2);
    ge_hipfat_fini(&h);
    /* cut short anywhere: refused, or (past the entry table) read whole */
    for (size_t cut = 0; cut < len; cut += 7) {
        int rc = parse(b, cut, &h, &err);
        ck_assert(rc < 0 || h.n == 0 || h.n == 2);
        ge_hipfat_fini(&h);
    }
    unsigned char *c = malloc(len);
    /* a huge entry count; an offset beyond the end; a size that wraps; a bad id; no magic */
    struct {
        size_t at;
        uint64_t v;
        const char *says;
    } bad[] = {
        {24, UINT64_MAX, "claims"},
        {24, 1u << 20, "claims"},
        {32, 1u << 30, "outside its bundle"},
        {40, UINT64_MAX - 8, "outside its bundle"},
        {48, 1u << 16, "id is"},
        {48, 0, "id is"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(c, b, len);
        put64(c + bad[i].at, bad[i].v);
        ck_assert_int_eq(parse(c, len, &h, &err), -1);
        ck_assert_msg(strstr(err.msg, bad[i].says), "%zu: %s", i, err.msg);
    }
    memcpy(c, b, len);
    c[56] = '\n'; /* "host-x86_64..." with a control character */
    ck_assert_int_eq(parse(c, len, &h, &err), -1);
    ck_assert_msg(strstr(err.msg, "malformed id"), "%s", err.msg);
    memcpy(c, b, len);
    c[3] = 'X';
    ck_assert_int_eq(parse(c, len, &h, &err), -1);
    ck_assert_msg(strstr(err.msg, "holds no offload bundle"), "%s", err.msg);
    free(c);
    free(b);
    /* a target id of a feature LLVM does not know, or twice the same feature */
    static const char *const ids[] = {"hipv4-amdgcn-amd-amdhsa--gfx90a:ecc+", "hipv4-amdgcn-amd-amdhsa--gfx90a:xnack+:xnack-",
                                      "hipv4-amdgcn-amd-amdhsa--gfx90a:xnack", "hipv4-amdgcn-amd-amdhsa--GFX90A",
                                      "hipv4-amdgcn-amd-amdhsa--", "hipv4-amdgcn-amd-amdhsax"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        unsigned char s[256] = "__CLANG_OFFLOAD_BUNDLE__";
        size_t n = strlen(ids[i]);
        put64(s + 24, 1);
        put64(s + 32, 56 + n);
        put64(s + 40, 1);
        put64(s + 48, n);
        memcpy(s + 56, ids[i], n);
        s[56 + n] = 'x';
        ck_assert_int_eq(parse(s, 57 + n, &h, &err), -1);
        ck_assert_msg(strstr(err.msg, "malformed id"), "%s: %s", ids[i], err.msg);
    }
}
END_TEST

START_TEST(damaged_compressed_bundles_are_refused)
{
    struct ge_hipfat h;
    struct ge_err err;
    size_t len;
    unsigned char *b = bytes("sections/ccob2", &len);
    ck_assert_int_eq(parse(b, len, &h, &err), 0);
    ck_assert_uint_eq(h.n, 3);
    ge_hipfat_fini(&h);
    for (size_t cut = 1; cut < len; cut++) {
        ck_assert_int_eq(parse(b, cut, &h, &err), -1);
        ge_hipfat_fini(&h);
    }
    unsigned char *c = malloc(len);
    struct {
        size_t at;
        uint32_t v;
        const char *says; /* NULL: any refusal */
    } bad[] = {
        {4, 9, "unknown version"},
        {6, 7, "unknown method"},
        {8, 0x7fffffff, "claims"},             /* the total size */
        {12, 4, "bytes uncompressed"},          /* too small for a bundle */
        {12, 40, "claims 4 entries"},              /* smaller than its entry table */
        {24, 0, "no zstd stream"},
        {40, 0xffffffff, NULL},                 /* the compressed data itself */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(c, b, len);
        if (bad[i].at == 4 || bad[i].at == 6) {
            c[bad[i].at] = (unsigned char)bad[i].v;
        } else {
            for (int k = 0; k < 4; k++)
                c[bad[i].at + k] = (unsigned char)(bad[i].v >> (8 * k));
        }
        ck_assert_int_eq(parse(c, len, &h, &err), -1);
        ck_assert_msg(!bad[i].says || strstr(err.msg, bad[i].says), "%zu: %s", i, err.msg);
    }
    free(c);
    free(b);
    /* a bomb's table is read, and nothing more */
    b = bytes("sections/bomb", &len);
    ck_assert_int_eq(parse(b, len, &h, &err), 0);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_uint_eq(h.v[0].size, 64u << 20);
    ge_hipfat_fini(&h);
    free(b);
}
END_TEST

START_TEST(files_that_are_not_elf_are_refused)
{
    struct ge_hipfat h;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_hipfat_parse_elf("not an ELF file at all, but long enough to be read as a header: ......", 72,
                                         "x.so", &h, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_hipfat_read("/nonexistent/lib.so", &h, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_FAILURE);
}
END_TEST

Suite *suite_hipfat(void)
{
    Suite *s = suite_create("hipfat");
    TCase *t = tcase_create("core");
    tcase_add_loop_test(t, every_bundle_is_read, 0, sizeof fixtures / sizeof fixtures[0]);
    tcase_add_test(t, a_library_without_hip_code_is_not_an_error);
    tcase_add_test(t, which_gpu_has_a_code_object);
    tcase_add_test(t, damaged_and_hostile_sections_are_refused);
    tcase_add_test(t, damaged_compressed_bundles_are_refused);
    tcase_add_test(t, files_that_are_not_elf_are_refused);
    suite_add_tcase(s, t);
    return s;
}
