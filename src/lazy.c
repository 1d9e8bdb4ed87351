/* lazy.c: dlopen a library on first use and fill its typed symbol table. */
#include "lazy.h"

#include <dlfcn.h>
#include <stddef.h>

int ge_lazy_load(struct ge_lazy_lib *lib, struct ge_err *err)
{
    if (lib->loaded)
        return 0;
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        ge_err_set(err, GE_EXIT_FAILURE, "cannot load %s: %s", lib->soname, dlerror());
        ge_err_hint(err, "install it (Debian and Ubuntu: 'apt install %s')", lib->package);
        return -1;
    }
    for (const struct ge_lazy_sym *s = lib->syms; s->name; s++) {
        void *p = dlsym(h, s->name);
        if (!p) {
            ge_err_set(err, GE_EXIT_FAILURE, "%s has no symbol %s: it is too old or not the expected library",
                       lib->soname, s->name);
            ge_err_hint(err, "install a current %s", lib->package);
            dlclose(h);
            return -1;
        }
        *s->slot = p;
    }
    lib->loaded = 1; /* the handle stays open for the life of the process */
    return 0;
}
