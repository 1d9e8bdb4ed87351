/* lazy.h: shared libraries loaded when a command first needs them, with typed symbol tables.
 * libcurl, libarchive and libcrypto bring ~40 shared objects between them; linking them would
 * cost every command ~15 ms of dynamic linking before main(). The headers still come from the
 * -dev packages at build time, so each symbol keeps its real type (__typeof__ of the function). */
#ifndef GE_LAZY_H
#define GE_LAZY_H

#include "err.h"

struct ge_lazy_sym {
    const char *name;
    void **slot; /* where the address goes */
};

/* A library and its symbols, loaded once; later calls return at once. */
struct ge_lazy_lib {
    const char *soname;          /* "libcrypto.so.3" */
    const char *package;         /* the Debian package that ships it, for the hint */
    const struct ge_lazy_sym *syms; /* NULL-name terminated */
    int loaded;                  /* a failed load is tried again on the next use */
};

/* Load lib and every symbol. 0, or -1 with err (GE_EXIT_FAILURE: the library or a symbol is
 * missing) naming the library and the package to install. */
int ge_lazy_load(struct ge_lazy_lib *lib, struct ge_err *err);

#define GE_LAZY_SYM(table, fn) {#fn, (void **)&(table).fn}

#endif
