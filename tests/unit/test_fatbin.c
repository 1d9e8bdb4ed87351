/* test_fatbin.c: the fat-binary reader against libraries nvcc built (tests/data/fatbin/make.sh):
 * cubins only, PTX only, both, several architectures, compressed, architecture- and
 * family-specific targets, two translation units, none at all; and against damaged files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatbin.h"
#include "str.h"
#include "tests.h"

#define FIX "tests/data/fatbin/"

static struct ge_fatbin load(const char *name)
{
    struct ge_fatbin fb;
    struct ge_err err;
    ge_err_clear(&err);
    char path[256];
    snprintf(path, sizeof path, FIX "%s", name);
    ck_assert_msg(ge_fatbin_read(path, &fb, &err) == 0, "%s: %s", name, err.msg);
    return fb;
}

/* The entries as "sm_75 sm_90 compute_90*" (* compressed), in the file's order. */
static const char *listing(const struct ge_fatbin *fb, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < fb->n; i++) {
        char nm[32];
        snprintf(buf + strlen(buf), size - strlen(buf), "%s%s%s", i ? " " : "",
                 ge_fatbin_entry_name(&fb->v[i], nm, sizeof nm), fb->v[i].compressed ? "*" : "");
    }
    return buf;
}

static const struct {
    const char *file, *want;
    size_t nfatbins;
} fixtures[] = {
    {"cubin80.so", "sm_80", 1},
    {"ptx90.so", "compute_90", 1},
    {"both.so", "sm_75 sm_90 compute_90*", 1},
    {"multi.so", "sm_75 sm_80 sm_86 sm_100 sm_120 compute_120*", 1},
    {"compressed.so", "sm_80* compute_80*", 1},
    {"specific.so", "sm_90a sm_100f compute_120a*", 1},
    {"two.so", "sm_80 sm_86 compute_86*", 2},
};

START_TEST(every_entry_of_nvcc_output_is_read)
{
    struct ge_fatbin fb = load(fixtures[_i].file);
    char buf[256];
    ck_assert_str_eq(listing(&fb, buf, sizeof buf), fixtures[_i].want);
    ck_assert_uint_eq(fb.nfatbins, fixtures[_i].nfatbins);
    ck_assert(fb.has_section);
    for (size_t i = 0; i < fb.n; i++) {
        ck_assert(fb.v[i].size > 0);
        if (fb.v[i].kind == GE_FATBIN_PTX) /* nvcc 13.0 writes PTX ISA 9.0 */
            ck_assert(fb.v[i].ver_major == 9 && fb.v[i].ver_minor == 0);
        if (fb.v[i].compressed)
            ck_assert(fb.v[i].uncompressed_size > fb.v[i].size);
    }
    ge_fatbin_fini(&fb);
}
END_TEST

static enum ge_fatbin_fit fit(const char *file, int major, int minor, char *via, size_t size)
{
    struct ge_fatbin fb = load(file);
    const struct ge_fatbin_entry *e = NULL;
    struct ge_cc cc = {major, minor};
    enum ge_fatbin_fit f = ge_fatbin_fit(&fb, cc, &e);
    if (e)
        ge_fatbin_entry_name(e, via, size);
    else
        snprintf(via, size, "-");
    ge_fatbin_fini(&fb);
    return f;
}

START_TEST(which_gpu_has_a_kernel_image)
{
    static const struct {
        const char *file;
        int major, minor;
        enum ge_fatbin_fit want;
        const char *via;
    } c[] = {
        {"cubin80.so", 8, 0, GE_FIT_CUBIN, "sm_80"},
        {"cubin80.so", 8, 6, GE_FIT_CUBIN, "sm_80"},  /* same major, higher minor */
        {"cubin80.so", 9, 0, GE_FIT_NONE, "-"},       /* "no kernel image is available" */
        {"cubin80.so", 7, 5, GE_FIT_NONE, "-"},
        {"ptx90.so", 9, 0, GE_FIT_PTX, "compute_90"},
        {"ptx90.so", 12, 0, GE_FIT_PTX, "compute_90"}, /* JIT for a newer GPU */
        {"ptx90.so", 8, 6, GE_FIT_NONE, "-"},          /* PTX never runs on an older GPU */
        {"both.so", 7, 5, GE_FIT_CUBIN, "sm_75"},
        {"both.so", 8, 6, GE_FIT_NONE, "-"},
        {"both.so", 9, 0, GE_FIT_CUBIN, "sm_90"},
        {"both.so", 10, 0, GE_FIT_PTX, "compute_90"},
        {"multi.so", 8, 9, GE_FIT_CUBIN, "sm_86"},
        {"multi.so", 9, 0, GE_FIT_NONE, "-"},          /* the H200 against a list without 9.x */
        {"multi.so", 10, 3, GE_FIT_CUBIN, "sm_100"},
        {"multi.so", 12, 1, GE_FIT_CUBIN, "sm_120"},
        {"specific.so", 9, 0, GE_FIT_CUBIN, "sm_90a"},
        {"specific.so", 10, 3, GE_FIT_CUBIN, "sm_100f"}, /* a family-specific cubin serves its family */
        {"specific.so", 12, 0, GE_FIT_PTX, "compute_120a"},
        {"specific.so", 12, 1, GE_FIT_NONE, "-"},        /* architecture-specific PTX: 12.0 only */
        /* two translation units: each must be served; the worst-served one decides */
        {"two.so", 8, 6, GE_FIT_CUBIN, "sm_80"},
        {"two.so", 9, 0, GE_FIT_NONE, "-"},          /* k.cu has sm_80 alone; k2.cu's PTX would do */
        {"plain.so", 9, 0, GE_FIT_NONE, "-"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char via[32];
        enum ge_fatbin_fit f = fit(c[i].file, c[i].major, c[i].minor, via, sizeof via);
        ck_assert_msg(f == c[i].want && strcmp(via, c[i].via) == 0, "%s on %d.%d: fit %d via %s, want %d via %s",
                      c[i].file, c[i].major, c[i].minor, f, via, c[i].want, c[i].via);
    }
}
END_TEST

START_TEST(coverage_counts_fat_binaries)
{
    struct ge_fatbin fb = load("two.so");
    struct ge_fatbin_coverage c = ge_fatbin_cover(&fb, (struct ge_cc){9, 0});
    ck_assert(c.cubin == 0 && c.ptx == 1 && c.none == 1);
    c = ge_fatbin_cover(&fb, (struct ge_cc){8, 6});
    ck_assert(c.cubin == 2 && c.ptx == 0 && c.none == 0);
    c = ge_fatbin_cover(&fb, (struct ge_cc){7, 5});
    ck_assert(c.cubin == 0 && c.ptx == 0 && c.none == 2);
    ck_assert_uint_eq(fb.v[0].fatbin, 0);
    ck_assert_uint_eq(fb.v[2].fatbin, 1);
    ge_fatbin_fini(&fb);
}
END_TEST

START_TEST(a_library_without_gpu_code_is_not_an_error)
{
    struct ge_fatbin fb = load("plain.so");
    ck_assert(!fb.has_section);
    ck_assert_uint_eq(fb.n, 0);
    ge_fatbin_fini(&fb);
}
END_TEST

/* A fixture's bytes, to damage in memory. */
static unsigned char *bytes(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, FIX "%s", name);
    unsigned char *b = (unsigned char *)ge_read_file(path, 1 << 24, len);
    ck_assert_ptr_nonnull(b);
    return b;
}

static size_t find(const unsigned char *b, size_t len, const void *what, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(b + i, what, n) == 0)
            return i;
    ck_abort_msg("pattern not found");
    return 0;
}

START_TEST(damaged_and_hostile_files_are_refused)
{
    struct ge_fatbin fb;
    struct ge_err err;
    size_t len;
    unsigned char *b = bytes("both.so", &len);
    /* the whole file parses from memory as from disk */
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fatbin_parse_elf(b, len, "both.so", &fb, &err), 0);
    ck_assert_uint_eq(fb.n, 3);
    ge_fatbin_fini(&fb);
    /* cut short anywhere: refused or, where the cut spares the section and its table, read whole */
    for (size_t cut = 0; cut < len; cut += 97) {
        ge_err_clear(&err);
        int rc = ge_fatbin_parse_elf(b, cut, "cut.so", &fb, &err);
        ck_assert(rc == 0 || err.status == GE_EXIT_BAD_DATA);
        ck_assert(rc < 0 || fb.n == 0 || fb.n == 3);
        ge_fatbin_fini(&fb);
    }
    static const unsigned char magic[4] = {0x50, 0xed, 0x55, 0xba};
    size_t at = find(b, len, magic, sizeof magic);
    /* another magic */
    unsigned char *c = malloc(len);
    memcpy(c, b, len);
    c[at] ^= 0xff;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fatbin_parse_elf(c, len, "x.so", &fb, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    ck_assert_msg(strstr(err.msg, "holds no fat binary"), "%s", err.msg);
    /* a fat binary that claims 2^63 bytes; an entry that claims more than its fat binary */
    memcpy(c, b, len);
    c[at + 15] = 0x80;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fatbin_parse_elf(c, len, "x.so", &fb, &err), -1);
    ck_assert_msg(strstr(err.msg, "claims more bytes"), "%s", err.msg);
    memcpy(c, b, len);
    c[at + 16 + 15] = 0x7f;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fatbin_parse_elf(c, len, "x.so", &fb, &err), -1);
    ck_assert_msg(strstr(err.msg, "claims more bytes"), "%s", err.msg);
    /* an entry header shorter than any real one */
    memcpy(c, b, len);
    c[at + 16 + 4] = 8;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fatbin_parse_elf(c, len, "x.so", &fb, &err), -1);
    /* a 32-bit or big-endian ELF, and no ELF at all */
    memcpy(c, b, len);
    c[4] = 1;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fatbin_parse_elf(c, len, "x.so", &fb, &err), -1);
    ck_assert_msg(strstr(err.msg, "not a 64-bit little-endian ELF"), "%s", err.msg);
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fatbin_parse_elf("#!/bin/sh\n", 10, "x.sh", &fb, &err), -1);
    ck_assert_int_eq(err.status, GE_EXIT_BAD_DATA);
    /* a section table past the end */
    memcpy(c, b, len);
    c[40 + 7] = 0x7f;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fatbin_parse_elf(c, len, "x.so", &fb, &err), -1);
    free(c);
    free(b);
    /* a missing file is a failure to read, not bad data */
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fatbin_read(FIX "nowhere.so", &fb, &err), -1);
    ck_assert_int_ne(err.status, GE_EXIT_BAD_DATA);
}
END_TEST

START_TEST(a_section_alone_with_padding)
{
    /* two empty fat binaries with 8 bytes of zero padding between them, then trailing zeros */
    unsigned char s[48] = {0};
    const unsigned char h[16] = {0x50, 0xed, 0x55, 0xba, 1, 0, 16, 0};
    memcpy(s, h, 16);
    memcpy(s + 24, h, 16);
    struct ge_fatbin fb;
    struct ge_err err;
    ge_err_clear(&err);
    ck_assert_int_eq(ge_fatbin_parse_section(s, sizeof s, "s", &fb, &err), 0);
    ck_assert_uint_eq(fb.nfatbins, 2);
    ck_assert_uint_eq(fb.n, 0);
    ge_fatbin_fini(&fb);
    s[44] = 1; /* stray bytes at the end */
    ck_assert_int_eq(ge_fatbin_parse_section(s, sizeof s, "s", &fb, &err), -1);
}
END_TEST

Suite *suite_fatbin(void)
{
    Suite *s = suite_create("fatbin");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, every_entry_of_nvcc_output_is_read, 0, sizeof fixtures / sizeof fixtures[0]);
    tcase_add_test(tc, which_gpu_has_a_kernel_image);
    tcase_add_test(tc, coverage_counts_fat_binaries);
    tcase_add_test(tc, a_library_without_gpu_code_is_not_an_error);
    tcase_add_test(tc, damaged_and_hostile_files_are_refused);
    tcase_add_test(tc, a_section_alone_with_padding);
    suite_add_tcase(s, tc);
    return s;
}
