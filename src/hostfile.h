/* hostfile.h: machines described by files (--host FILE): the documents 'gpuenv detect --json'
 * prints, one or several in a row ('srun --nodes=N --ntasks-per-node=1 gpuenv detect --json'
 * gathers one per node), read back as host descriptions, each node type once. */
#ifndef GE_HOSTFILE_H
#define GE_HOSTFILE_H

#include "err.h"
#include "host.h"

/* Parse text (the file's whole content; 'path' names it in messages) into at most max distinct
 * host descriptions: each document's driver version and GPUs (NVIDIA's capabilities and AMD's gfx
 * targets), as --driver and --gpu would give them; a document without GPUs describes a machine
 * without any (a login node). 0, or -1 with a usage error (GE_EXIT_USAGE) naming the document. */
#define GE_HOSTFILE_MAX 64

int ge_hostfile_parse(const char *text, const char *path, struct ge_host_req *out, int max, int *n,
                      struct ge_err *err);
/* The same from a file, or standard input for "-". */
int ge_hostfile_read(const char *path, struct ge_host_req *out, int max, int *n, struct ge_err *err);

/* Whether two descriptions are one node type: the same driver and GPUs in the same order. */
bool ge_host_req_same(const struct ge_host_req *a, const struct ge_host_req *b);

#endif
