/* fuzz.h: what the libFuzzer harnesses share: a NUL-terminated copy of the input, and a private
 * scratch folder per process for the parsers that read files. */
#ifndef GE_FUZZ_H
#define GE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string (the caller frees it); inputs holding a NUL are cut there. */
char *fuzz_text(const uint8_t *data, size_t size);
/* A folder made once per process, removed at exit. */
const char *fuzz_dir(void);
/* Write data to fuzz_dir()/name; returns the path (static storage). */
const char *fuzz_file(const char *name, const uint8_t *data, size_t size);

#endif
