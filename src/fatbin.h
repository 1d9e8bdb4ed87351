/* fatbin.h: the GPU code a CUDA shared library or object carries, read from its ELF .nv_fatbin
 * section without NVIDIA's tools: each cubin (machine code for one architecture) and each PTX
 * (virtual code the driver can JIT-compile for that architecture and newer ones), and from that,
 * whether a GPU has a kernel image it can run ("no kernel image is available" answered before the
 * first launch).
 *
 * What the bytes say (learned from nvcc 12.x/13.0 output and checked against cuobjdump; all
 * little-endian; nothing here is published by NVIDIA):
 *   The section is a sequence of fat binaries, one per translation unit, each 8-byte aligned (zero
 *   padding may sit between them). A fat binary: u32 magic 0xBA55ED50, u16 version (1), u16 header
 *   size (16), u64 size of the entries that follow.
 *   An entry: u16 kind (1 PTX, 2 ELF cubin), u16 (0x0101), u32 header size (64, 80, 112 seen; the
 *   payload follows the header), u64 payload size; at 16: u32 compressed size, u32 (0 or 64), u16
 *   version minor, u16 version major (the PTX ISA version for PTX, 1.8 for cubins of nvcc 13), u32
 *   architecture (90 for sm_90/compute_90), u32 name offset, u32 name length, u64 flags, u64 0,
 *   u64 uncompressed size (0 when the payload is stored as is).
 *   Flags: 0x1 64-bit code, 0x10 Linux host, 0x2000 payload compressed with LZ4 (CUDA < 12.8),
 *   0x8000 payload compressed with ZSTD (CUDA 12.8 on, PTX by default), 0x100000 an
 *   architecture-specific target (sm_90a), 0x200000 a family-specific target (sm_100f), 0x1000000
 *   with the 112-byte headers of sm_100 and newer. Offsets in an entry header: kind 0, header
 *   size 4, payload size 8, compressed size 16, version minor 24 and major 26, architecture 28,
 *   flags 40, uncompressed size 56. */
#ifndef GE_FATBIN_H
#define GE_FATBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "version.h"

enum ge_fatbin_kind { GE_FATBIN_PTX = 1, GE_FATBIN_CUBIN = 2 };

struct ge_fatbin_entry {
    enum ge_fatbin_kind kind;
    unsigned arch;            /* 90: sm_90 for a cubin, compute_90 for PTX */
    char suffix;              /* 'a' (architecture-specific), 'f' (family-specific) or 0 */
    unsigned ver_major, ver_minor; /* the PTX ISA version of PTX */
    bool compressed;
    uint64_t size;            /* the payload as stored */
    uint64_t uncompressed_size; /* 0 when stored as is */
    size_t fatbin;            /* which fat binary (translation unit) of the section holds it */
};

struct ge_fatbin {
    size_t n;                 /* entries */
    struct ge_fatbin_entry *v;
    size_t nfatbins;          /* fat binaries in the section (translation units) */
    bool has_section;         /* the file has a .nv_fatbin section at all */
};

#define GE_FATBIN_MAX_ENTRIES (1u << 20)

/* Read the fat binaries of an ELF file (a shared library, executable or object). A file without a
 * .nv_fatbin section is not an error: has_section is false and n is 0. Only the headers are read,
 * so a library of a gigabyte costs a few thousand small reads. 0, or -1 with err: GE_EXIT_BAD_DATA
 * for a file that is not a 64-bit little-endian ELF or whose section is malformed or cut short,
 * GE_EXIT_FAILURE when it cannot be read. */
int ge_fatbin_read(const char *path, struct ge_fatbin *out, struct ge_err *err);

/* The same over an ELF image in memory (name is used in messages). */
int ge_fatbin_parse_elf(const void *elf, size_t len, const char *name, struct ge_fatbin *out, struct ge_err *err);

/* The same over the bytes of a .nv_fatbin section alone. */
int ge_fatbin_parse_section(const void *data, size_t len, const char *name, struct ge_fatbin *out,
                            struct ge_err *err);

void ge_fatbin_fini(struct ge_fatbin *fb);

/* How a GPU of compute capability cc can run this code. */
enum ge_fatbin_fit {
    GE_FIT_NONE,              /* no kernel image: neither a cubin nor PTX it can use */
    GE_FIT_CUBIN,             /* a cubin of its major with a minor at or below its own */
    GE_FIT_PTX,               /* only PTX at or below its capability, which the driver must JIT */
};

/* How the file's code runs on cc: every fat binary (each translation unit's kernels) must have an
 * image for it, so this is the worst over them (GE_FIT_NONE when one has none: its kernels fail
 * with "no kernel image is available"); *via (when not NULL) gets the entry that serves the
 * worst-served fat binary, NULL for GE_FIT_NONE or a file without GPU code. Within a fat binary:
 * a cubin for X.Y runs on X.Z with Z >= Y; an architecture-specific cubin (sm_90a) only on exactly
 * X.Y; a family-specific one (sm_100f) on the same major from Y up; a cubin is preferred to PTX.
 * PTX for X.Y runs, JIT-compiled, on any capability at or above X.Y, except architecture-specific
 * PTX, which runs only on X.Y. */
enum ge_fatbin_fit ge_fatbin_fit(const struct ge_fatbin *fb, struct ge_cc cc, const struct ge_fatbin_entry **via);

/* How many fat binaries of the file cc runs through a cubin, only through PTX, or not at all. */
struct ge_fatbin_coverage {
    size_t cubin, ptx, none;
};
struct ge_fatbin_coverage ge_fatbin_cover(const struct ge_fatbin *fb, struct ge_cc cc);

/* "sm_90", "sm_90a", "compute_120" for messages. */
const char *ge_fatbin_entry_name(const struct ge_fatbin_entry *e, char *buf, size_t size);

#endif
