/* hipfat.h: the AMD GPU code a HIP shared library carries, read from its ELF .hip_fatbin section
 * without AMD's tools: the gfx targets of the code objects in each clang offload bundle, and from
 * that, whether a GPU has a code object it can load ("hipErrorNoBinaryForGpu", "invalid device
 * function" answered before the first launch).
 *
 * The format, as clang writes and reads it (llvm/llvm-project at commit
 * 000390203c87508e7d1bbf2002bb9ce819cef1b8: clang/lib/Driver/OffloadBundler.cpp, BinaryFileHandler and
 * CompressedOffloadBundle; clang/include/clang/Driver/OffloadBundler.h; the method numbers are
 * llvm::compression::Format of llvm/include/llvm/Support/Compression.h; all little-endian):
 *   An uncompressed bundle: the 24 bytes "__CLANG_OFFLOAD_BUNDLE__", u64 number of entries, then per
 *   entry u64 offset (from the bundle's start), u64 size, u64 id length and the id (no NUL); the
 *   code objects follow. An id is <kind>-<triple>[-<target id>]: "hipv4-amdgcn-amd-amdhsa--gfx90a:
 *   sramecc+:xnack-" (kind hipv4, triple amdgcn-amd-amdhsa with an empty environment, target id
 *   gfx90a with its features), "hip-amdgcn-amd-amdhsa-gfx906" (older clang), "host-x86_64-unknown-
 *   linux-gnu" (the host's entry, of size 0). The bundle ends at the furthest offset + size.
 *   A compressed bundle (clang --offload-compress): "CCOB", u16 version, u16 method (0 zlib, 1 zstd),
 *   then version 1: u32 uncompressed size, u64 hash (20 bytes in all); version 2: u32 total size
 *   (header included), u32 uncompressed size, u64 hash (24); version 3: u64 total size, u64
 *   uncompressed size, u64 hash (32); then the compressed uncompressed bundle. Version 1 says
 *   nothing of its own length: its data runs to the next bundle or the end of the section.
 *   A linked library's .hip_fatbin is its objects' bundles one after another, each object's section
 *   aligned, so zero padding may sit between them (read here as such; clang-offload-bundler's own
 *   -list walks one bundle file, so this part is not LLVM's word but the linker's way).
 * Target IDs and generic processors: llvm/docs/AMDGPUUsage.rst ("Target ID", "AMDGPU Generic
 * Processors"; llvm/llvm-project commit f5c8b0a9139bcc301b75f3e77e307f65f7f870d8): a feature left
 * out of a target ID means "any" (the code runs with it on or off); a generic processor's code runs
 * on each processor of its family listed there. */
#ifndef GE_HIPFAT_H
#define GE_HIPFAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* A target feature's setting: in the target ID as "xnack+" (on), "xnack-" (off), or absent (any). */
enum ge_hip_feature { GE_HIP_ANY = -1, GE_HIP_OFF = 0, GE_HIP_ON = 1 };

struct ge_hipfat_target {
    char proc[24];            /* "gfx90a", "gfx11-generic" */
    enum ge_hip_feature xnack, sramecc;
    uint64_t size;            /* its code object's bytes */
    size_t bundle;            /* which bundle (translation unit) of the section holds it */
};

struct ge_hipfat {
    size_t n;                 /* AMD GPU code objects */
    struct ge_hipfat_target *v;
    size_t nbundles;          /* bundles in the section, readable or not */
    size_t ncompressed;       /* of them compressed (and read) */
    size_t nunreadable;       /* compressed bundles whose targets could not be read */
    char unreadable[128];     /* why the first of them could not: "compressed with zlib: targets not readable" */
    bool has_section;         /* the file has a .hip_fatbin section at all */
};

#define GE_HIPFAT_MAX_ENTRIES (1u << 16)  /* code objects in one bundle */
#define GE_HIPFAT_MAX_TABLE (1u << 20)    /* bytes of a compressed bundle decompressed: its entry table */
#define GE_HIPFAT_MAX_BUNDLES (1u << 20)

/* Read the bundles of an ELF file's .hip_fatbin. A file without the section is not an error:
 * has_section is false and n is 0. Only headers are read (and, of a compressed bundle, the first
 * GE_HIPFAT_MAX_TABLE bytes it decompresses to, through libarchive's zstd filter): a library of a
 * gigabyte costs little. 0, or -1 with err: GE_EXIT_BAD_DATA for a file that is not a 64-bit
 * little-endian ELF or whose section is malformed or cut short, GE_EXIT_FAILURE when it cannot be
 * read or libarchive cannot be loaded. A zlib-compressed bundle is no error: it is counted in
 * nunreadable (libarchive has no zlib stream reader). */
int ge_hipfat_read(const char *path, struct ge_hipfat *out, struct ge_err *err);
/* The same over an ELF image in memory, and over the bytes of a .hip_fatbin section alone (name
 * is used in messages). */
int ge_hipfat_parse_elf(const void *elf, size_t len, const char *name, struct ge_hipfat *out, struct ge_err *err);
int ge_hipfat_parse_section(const void *data, size_t len, const char *name, struct ge_hipfat *out, struct ge_err *err);
void ge_hipfat_fini(struct ge_hipfat *h);

/* How a code object serves a GPU. */
enum ge_hipfat_fit { GE_HIPFIT_NONE, GE_HIPFIT_GENERIC, GE_HIPFIT_EXACT };

/* Whether t's code runs on a GPU of gfx_target_version (KFD's 90010 for gfx90a) whose xnack and
 * sramecc modes are as given (GE_HIP_ANY when not known): the same processor, or a generic
 * processor whose family holds it; each feature of t either absent or equal to the GPU's (a GPU
 * mode not known matches either). */
enum ge_hipfat_fit ge_hipfat_target_fit(const struct ge_hipfat_target *t, unsigned gfx_target_version,
                                        enum ge_hip_feature xnack, enum ge_hip_feature sramecc);

/* Per bundle that holds AMD code objects: how many the GPU runs through an exact processor's code
 * object, only through a generic one, or not at all. The HIP runtime refuses a library when one of
 * its bundles has no code object for a device, so any 'none' means the library's kernels fail. */
struct ge_hipfat_coverage {
    size_t exact, generic, none;
};
struct ge_hipfat_coverage ge_hipfat_cover(const struct ge_hipfat *h, unsigned gfx_target_version,
                                          enum ge_hip_feature xnack, enum ge_hip_feature sramecc);

/* "gfx90a:sramecc+:xnack-" for messages (the target ID, features in LLVM's order). */
const char *ge_hipfat_target_name(const struct ge_hipfat_target *t, char *buf, size_t size);

/* The members of a generic processor ("gfx9-generic"): a NULL-terminated list, NULL when proc is
 * not a generic processor this table knows. */
const char *const *ge_hipfat_generic_members(const char *proc);

#endif
