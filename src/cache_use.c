/* cache_use.c: the cache's entries and the prefixes that use them. */
#include "cache_use.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "str.h"
#include "tree.h"

uint64_t ge_cache_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    uint64_t total = 0;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[PATH_MAX];
        if (ge_path_join(child, sizeof child, path, e->d_name) == 0)
            total += ge_cache_bytes(child);
    }
    if (d)
        closedir(d);
    return total;
}

static struct ge_cache_entry *entry(struct ge_cache_use *u, const char *sha, size_t *cap)
{
    for (size_t i = 0; i < u->nentries; i++)
        if (strcmp(u->entries[i].sha256, sha) == 0)
            return &u->entries[i];
    if (u->nentries == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        struct ge_cache_entry *e = realloc(u->entries, c * sizeof *e);
        if (!e)
            return NULL;
        u->entries = e;
        *cap = c;
    }
    struct ge_cache_entry *e = &u->entries[u->nentries++];
    memset(e, 0, sizeof *e);
    memcpy(e->sha256, sha, GE_SHA256_HEX);
    return e;
}

/* The archives (files) or trees (folders) of one cache folder; names that are not a digest
 * (work in progress, ".tmp-") are not entries. */
static int read_entries(struct ge_cache_use *u, const char *dir, bool tree, size_t *cap, struct ge_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : ge_err_sys(err, errno, "cannot read '%s'", dir);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!ge_sha256_valid(de->d_name))
            continue;
        struct ge_cache_entry *e = entry(u, de->d_name, cap);
        if (!e) {
            rc = ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
            break;
        }
        char p[PATH_MAX];
        if (ge_path_join(p, sizeof p, dir, de->d_name) == 0)
            e->bytes += ge_cache_bytes(p);
        if (tree)
            e->tree = true;
        else
            e->archive = true;
    }
    closedir(d);
    return rc;
}

/* One record of <cache>/prefixes/: the prefix it names, and what that prefix's lock pins. */
static int read_user(struct ge_cache_user *c, const char *record, struct ge_err *err)
{
    memset(c, 0, sizeof *c);
    ge_strlcpy(c->record, record, sizeof c->record);
    char *text = ge_read_file(record, PATH_MAX, NULL);
    if (!text)
        return 0; /* gone meanwhile */
    text[strcspn(text, "\n")] = '\0';
    ge_strlcpy(c->prefix, text, sizeof c->prefix);
    free(text);
    if (c->prefix[0] != '/')
        return 0; /* not a record gpuenv wrote: a prefix that does not exist */
    char lockpath[PATH_MAX + 32];
    if (ge_fmt(lockpath, sizeof lockpath, "%s/gpuenv-prefix.lock", c->prefix) < 0 || access(lockpath, F_OK) != 0)
        return 0; /* removed ('gpuenv remove', rm -rf): it needs nothing */
    c->exists = true;
    struct ge_lockfile *l = calloc(1, sizeof *l);
    if (!l)
        return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
    ge_lock_init(l);
    struct ge_err e;
    ge_err_clear(&e);
    if (ge_lock_read(lockpath, l, &e) < 0) {
        c->unknown = true; /* damaged or unreadable: it may need anything */
    } else if (l->n) {
        if (!(c->pins = calloc(l->n, sizeof *c->pins))) {
            ge_lock_fini(l);
            free(l);
            return ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
        }
        for (size_t i = 0; i < l->n; i++, c->n++) {
            memcpy(c->pins[c->n].sha256, l->archives[i].sha256, GE_SHA256_HEX);
            ge_strlcpy(c->pins[c->n].component, l->archives[i].component, sizeof c->pins[0].component);
            ge_strlcpy(c->pins[c->n].version, l->archives[i].version, sizeof c->pins[0].version);
        }
    }
    ge_lock_fini(l);
    free(l);
    return 0;
}

int ge_cache_use_read(const struct ge_store *s, struct ge_cache_use *u, struct ge_err *err)
{
    memset(u, 0, sizeof *u);
    char dir[PATH_MAX];
    size_t cap = 0;
    snprintf(dir, sizeof dir, "%s/archives", s->dir);
    if (read_entries(u, dir, false, &cap, err) < 0)
        goto fail;
    snprintf(dir, sizeof dir, "%s/trees", s->dir);
    if (read_entries(u, dir, true, &cap, err) < 0)
        goto fail;
    snprintf(dir, sizeof dir, "%s/prefixes", s->dir);
    DIR *d = opendir(dir);
    if (!d && errno != ENOENT) {
        ge_err_sys(err, errno, "cannot read '%s'", dir);
        goto fail;
    }
    struct dirent *de;
    size_t ucap = 0;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.' || strchr(de->d_name, '.'))
            continue; /* ".", "..", and ge_write_file's temporaries */
        if (u->nusers == ucap) {
            size_t c = ucap ? 2 * ucap : 16;
            struct ge_cache_user *g = realloc(u->users, c * sizeof *g);
            if (!g) {
                closedir(d);
                ge_err_set(err, GE_EXIT_FAILURE, "out of memory");
                goto fail;
            }
            u->users = g;
            ucap = c;
        }
        char record[PATH_MAX];
        if (ge_path_join(record, sizeof record, dir, de->d_name) < 0)
            continue;
        if (read_user(&u->users[u->nusers], record, err) < 0) {
            closedir(d);
            goto fail;
        }
        u->any_unknown = u->any_unknown || u->users[u->nusers].unknown;
        u->nusers++;
    }
    if (d)
        closedir(d);
    for (size_t i = 0; i < u->nentries; i++) {
        struct ge_cache_entry *e = &u->entries[i];
        for (size_t k = 0; k < u->nusers; k++) {
            const struct ge_cache_user *c = &u->users[k];
            const struct ge_cache_pin *pin = NULL;
            for (size_t j = 0; j < c->n && !pin; j++)
                if (strcmp(c->pins[j].sha256, e->sha256) == 0)
                    pin = &c->pins[j];
            if (!pin)
                continue;
            if (e->nusers < sizeof e->users / sizeof e->users[0])
                e->users[e->nusers] = k;
            e->nusers++;
            if (!e->component[0]) { /* named by the first lock that pins it */
                ge_strlcpy(e->component, pin->component, sizeof e->component);
                ge_strlcpy(e->version, pin->version, sizeof e->version);
            }
        }
    }
    return 0;
fail:
    ge_cache_use_fini(u);
    return -1;
}

void ge_cache_use_fini(struct ge_cache_use *u)
{
    for (size_t i = 0; i < u->nusers; i++)
        free(u->users[i].pins);
    free(u->users);
    free(u->entries);
    memset(u, 0, sizeof *u);
}

int ge_cache_use_clean(struct ge_store *s, const struct ge_cache_use *u, bool force, size_t *removed, size_t *kept,
                       struct ge_err *err)
{
    *removed = *kept = 0;
    for (size_t i = 0; i < u->nentries; i++) {
        const struct ge_cache_entry *e = &u->entries[i];
        if (!force && (e->nusers || u->any_unknown)) {
            (*kept)++;
            continue;
        }
        if ((e->tree && ge_store_drop_tree(s, e->sha256, err) < 0) ||
            (e->archive && ge_store_drop_archive(s, e->sha256, err) < 0))
            return -1;
        (*removed)++;
    }
    for (size_t k = 0; k < u->nusers; k++)
        if (!u->users[k].exists && unlink(u->users[k].record) < 0 && errno != ENOENT)
            return ge_err_sys(err, errno, "cannot remove '%s'", u->users[k].record);
    return 0;
}
