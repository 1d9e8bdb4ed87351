/* fuzz_extract.c: archives, unpacked with install's bounds into a fresh folder; nothing may land
 * outside it, and every link left inside must resolve inside. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extract.h"
#include "fuzz.h"
#include "tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *archive = fuzz_file("archive", data, size);
    char out[256];
    snprintf(out, sizeof out, "%s/out", fuzz_dir());
    struct ge_extract_limits lim = ge_extract_limits_for(size, 4);
    struct ge_err err;
    ge_err_clear(&err);
    if (ge_extract(archive, "fuzz", out, &lim, NULL, NULL, &err) == 0) {
        struct ge_err e2;
        ge_err_clear(&e2);
        if (ge_tree_check_links(out, "fuzz", &e2) < 0)
            abort(); /* accepted a tree whose links leave it */
    } else if (err.status == 0) {
        abort();
    }
    /* nothing beside the output folder but the archive */
    DIR *d = opendir(fuzz_dir());
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "archive") &&
            strcmp(e->d_name, "out"))
            abort(); /* something escaped the output folder */
    if (d)
        closedir(d);
    ge_err_clear(&err);
    ge_tree_remove(out, &err);
    return 0;
}
