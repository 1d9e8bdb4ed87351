/* req.h: requirements as users write them for pip ("torch>=2.1,<2.6", "jax[cuda13]", "cuda==12.4.*"). */
#ifndef GE_REQ_H
#define GE_REQ_H

#include <stdbool.h>

#include "err.h"
#include "version.h"

enum ge_req_op { GE_OP_EQ, GE_OP_NE, GE_OP_GE, GE_OP_LE, GE_OP_GT, GE_OP_LT, GE_OP_COMPAT };

/* Where a PEP 440 version with a suffix sits against the final releases gpuenv's matrix lists:
 * a pre- or dev-release (2.6.0rc1, 2.6.0.dev20250101) just below v, a post-release (2.4.1.post1)
 * just above it. */
enum ge_suffix { GE_SUFFIX_NONE, GE_SUFFIX_PRE, GE_SUFFIX_POST };

struct ge_spec {
    enum ge_req_op op;
    struct ge_version v;
    bool wildcard; /* "==2.4.*" / "!=2.4.*": compare only the parts given */
    enum ge_suffix suffix;
    char suffix_text[24]; /* "rc1", "dev20250101", "post1" as written, for messages */
};

#define GE_REQ_MAX_SPECS 8
#define GE_REQ_MAX_EXTRAS 4

/* The packages gpuenv knows; anything else is GE_PKG_UNKNOWN (reported as unknown-package). */
enum ge_pkg {
    GE_PKG_UNKNOWN,
    GE_PKG_TORCH,
    GE_PKG_TORCHVISION,
    GE_PKG_TORCHAUDIO,
    GE_PKG_TENSORFLOW,
    GE_PKG_JAX,
    GE_PKG_CUDA,
    GE_PKG_CUDNN,
    GE_PKG_NUMPY,
    GE_PKG_PYTHON,
};

struct ge_req {
    char text[128];         /* as the user wrote it, for messages */
    char name[48];          /* normalised: lowercase, '_' and '.' as '-'; "cuda" -> "cuda-toolkit" */
    enum ge_pkg pkg;
    int nextras;
    char extras[GE_REQ_MAX_EXTRAS][24]; /* normalised like names */
    int nspecs;
    struct ge_spec specs[GE_REQ_MAX_SPECS];
    char local[24];         /* "cu121" from "==2.5.1+cu121": PyTorch's variant label, "" without one */
};

/* Parse one requirement, as pip writes it: a name, extras, specifiers; "==2.5.1+cu121" names a
 * local label (only with ==, as PEP 440 allows); pre-, post- and dev-release suffixes are read
 * (the matrix lists final releases: "==2.6.0rc1" then matches none, ">=2.6.0rc1" matches 2.6.0
 * and later). Environment markers ("; python_version < '3.12'") are refused: they describe a
 * machine, which gpuenv takes from the driver or --python/--platform/--arch. 0, or -1 with a
 * usage error (GE_EXIT_USAGE) saying what is wrong. */
int ge_req_parse(struct ge_req *r, const char *text, struct ge_err *err);
/* Whether v satisfies every spec of r (PEP 440 for release numbers: 2.4 == 2.4.0). */
bool ge_req_match(const struct ge_req *r, const struct ge_version *v);
/* "torch>=2.1,<2.6" back from the parsed form, for messages. */
void ge_req_format(const struct ge_req *r, char *buf, size_t size);

#endif
