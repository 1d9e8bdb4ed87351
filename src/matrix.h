/* matrix.h: the compatibility matrix of data/ as typed, validated structs (see gpuenv-matrix(5)). */
#ifndef GE_MATRIX_H
#define GE_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "version.h"

#define GE_MATRIX_SCHEMA 1

/* A version as parsed and as written ("580.159.04" keeps its zero). */
struct ge_ver {
    struct ge_version v;
    char s[24];
};

/* Linux x86_64 and Windows x86_64 minimum drivers; either may be unknown. */
struct ge_drivers {
    bool has_linux, has_windows;
    struct ge_ver linux_x86_64, windows_x86_64;
};

struct ge_cuda_release {
    struct ge_ver version;   /* 12.4.1 */
    char label[48];          /* "CUDA 12.4 Update 1" */
    char date[16];           /* "" when not known */
    struct ge_drivers min_driver;
    int branch;              /* 615 for "R615" where NVIDIA names only a branch; 0 if none */
};

struct ge_cuda_mvc {
    int major;
    struct ge_drivers min_driver;
};

/* A PTX ISA version and the CUDA release that introduced it: a driver running CUDA X.Y can
 * JIT-compile PTX of every ISA introduced at or before X.Y. */
struct ge_ptx_isa {
    struct ge_ver isa;      /* 8.4 */
    struct ge_ver cuda;     /* 12.4 */
};

struct ge_branch {
    int branch;             /* 535 */
    struct ge_ver cuda;     /* 12.2: the newest CUDA the branch runs natively */
};

#define GE_MAX_CCS 32
struct ge_cuda_ccs {
    struct ge_ver cuda;     /* a minor version: 12.8 */
    int nccs;
    struct ge_cc ccs[GE_MAX_CCS];
};

/* The drivers a GPU architecture runs on, at branch granularity (R570 = 570.x on Linux): from the
 * branch of the first CUDA release that targets it, to the last branch that supports it. 0: no
 * bound known. A machine outside these bounds cannot exist. */
struct ge_gpu_arch {
    struct ge_cc cc;
    char name[48];          /* "Blackwell (GB20x)" */
    int first_branch, last_branch;
};

/* A support-matrix row that narrows a build: these capabilities (and this driver) for this range
 * of CUDA minors only (cuDNN 9.10.2: 10.0 and 12.0 with CUDA 12.8+ and driver >= 570.26). */
#define GE_MAX_ROWS 4
struct ge_cudnn_row {
    struct ge_ver cuda_min, cuda_max;
    bool has_driver;
    struct ge_ver min_driver;    /* Linux x86_64 */
    int nccs;
    struct ge_cc ccs[GE_MAX_CCS];
};

struct ge_cudnn_build {
    int cuda_major;
    bool has_cuda_min, has_cuda_max; /* either end of the supported CUDA range may be unknown */
    struct ge_ver cuda_min, cuda_max;
    struct ge_drivers min_driver;
    int nccs;               /* 0 when not known */
    struct ge_cc ccs[GE_MAX_CCS];
    bool has_ccs_min;       /* older matrices say only "SM x.y and later" */
    struct ge_cc ccs_min;
    int nrows;              /* 0: ccs holds for every CUDA minor of the build */
    struct ge_cudnn_row rows[GE_MAX_ROWS];
};

#define GE_MAX_BUILDS 4
struct ge_cudnn_release {
    struct ge_ver version;  /* 9.8.0 */
    bool has_full;
    struct ge_ver full;     /* 9.8.0.87 */
    int nbuilds;
    struct ge_cudnn_build builds[GE_MAX_BUILDS];
};

struct ge_arch {
    struct ge_cc cc;
    bool ptx;               /* "9.0+PTX": PTX for 9.0 as well as the cubin */
};

#define GE_MAX_ARCH 24
#define GE_MAX_PY 12
struct ge_torch_variant {
    char name[16];          /* cu124 */
    char platform[16];      /* linux-x86_64, linux-aarch64 or windows-x86_64: one build per platform */
    struct ge_ver cuda;     /* 12.4 or 12.4.1 */
    bool has_cudnn;
    struct ge_ver cudnn;
    int default_on_pypi;    /* 1, 0, or -1 when not known */
    char numpy[8];          /* "<2" where this platform's wheels alone need NumPy 1.x, else "" */
    bool ptx_unknown;       /* the real architectures are known, whether PTX ships is not */
    int narch;              /* 0: not known */
    struct ge_arch arch[GE_MAX_ARCH];
};

/* The platforms torch variants are built for, as the matrix names them. */
#define GE_TORCH_PLATFORMS "linux-x86_64 linux-aarch64 windows-x86_64"

#define GE_MAX_VARIANTS 16
struct ge_torch_release {
    struct ge_ver version;
    char date[16];
    int npython;
    struct ge_ver python[GE_MAX_PY];
    char numpy[16];         /* "<2" when the NumPy rule applies, else "" */
    bool has_vision, has_audio;
    struct ge_ver vision, audio;
    int nvariants;
    struct ge_torch_variant variants[GE_MAX_VARIANTS];
};

struct ge_tf_release {
    struct ge_ver version;
    int npython;
    struct ge_ver python[GE_MAX_PY];
    bool has_cuda, has_cudnn;
    struct ge_ver cuda, cudnn;
    int and_cuda;           /* the tensorflow[and-cuda] extra: 1, 0, -1 not known */
    bool windows_gpu;
    bool has_min_sm;        /* the oldest GPU its wheels run on, where the project states it */
    struct ge_cc min_sm;
    char numpy[8];          /* "<2" (built against NumPy 1.x), or "" */
};

struct ge_jax_extra {
    char name[24];          /* cuda12, cuda12_local */
    char find_links[96];    /* where pip finds its jaxlib (JAX's own wheel page, 0.4.x), "" for PyPI */
    bool local;
    bool has_cuda_min, has_cudnn_min, has_min_driver, has_min_sm;
    struct ge_ver cuda_min, cudnn_min, min_driver;
    struct ge_cc min_sm;
};

#define GE_MAX_EXTRAS 8
struct ge_jax_release {
    struct ge_ver version;  /* 0.4.25, or 0.9.0.1 */
    char numpy[24];         /* install_requires' NumPy floor (">=1.22"), "" when not known */
    int npython;
    struct ge_ver python[GE_MAX_PY];
    int nextras;
    struct ge_jax_extra extras[GE_MAX_EXTRAS];
    bool linux_aarch64;     /* its CUDA wheels exist for Linux aarch64 too (docs/installation.md at the tag) */
};

/* PyTorch's ROCm wheels of one release (pytorch_rocm.json, optional in a data folder). */
#define GE_MAX_GFX 24
struct ge_rocm_variant {
    char name[16];          /* rocm6.2 */
    char platform[16];      /* linux-x86_64 */
    struct ge_ver rocm;     /* 6.2, or 5.4.2 */
    int ngfx;               /* 0: the targets are not known */
    unsigned gfx[GE_MAX_GFX]; /* the gfx targets its wheels carry, as gfx_target_version, ascending */
    bool gfx_inferred;      /* gfx_basis "main-at-branch-cut": main's list at the release's branch cut */
};

#define GE_MAX_ROCM_VARIANTS 4
struct ge_torch_rocm_release {
    struct ge_ver version;  /* a release of pytorch.json */
    int nvariants;
    struct ge_rocm_variant variants[GE_MAX_ROCM_VARIANTS];
};

/* A ROCm release (rocm.json): AMD's compatibility matrix row. */
#define GE_MAX_AMDGPU 8
struct ge_rocm_release {
    struct ge_ver version;  /* 6.2.4 */
    char date[16];          /* "" when not known */
    int ngfx;               /* 0: not known */
    unsigned gfx[GE_MAX_GFX]; /* the officially supported targets, as gfx_target_version, ascending */
    bool has_miopen;
    struct ge_ver miopen;   /* 3.2.0 */
    char hip[24];           /* "6.2.41134", "" when not known */
    int ndrivers;           /* the amdgpu driver releases it supports, as AMD writes them ("6.4.x", "30.10") */
    char drivers[GE_MAX_AMDGPU][16];
};

/* A gfx target AMD names (rocm.json gfx_targets). */
struct ge_gfx_target {
    unsigned gfx;           /* 90010 */
    char name[16];          /* gfx90a */
    char product[96];       /* "Instinct MI210 / MI250 / MI250X" */
    char architecture[16];  /* CDNA2 */
};

/* Targets whose code is interchangeable: LLVM's generic processor families (rocm.json gfx_families). */
#define GE_MAX_FAMILY 16
struct ge_gfx_family {
    char name[24];          /* gfx10-3-generic */
    int nmembers;
    unsigned members[GE_MAX_FAMILY]; /* ascending */
};

/* A TensorFlow or JAX build for ROCm (tensorflow_rocm.json, jax_rocm.json): the pip pins that
 * install it and what it runs on. */
#define GE_MAX_ROCM_PKGS 4
struct ge_rocm_pkg {
    char name[32];          /* tensorflow-rocm, jax-rocm60-plugin */
    char version[24];       /* 2.14.0.600 */
};

struct ge_rocm_build {
    char framework[16];     /* tensorflow | jax */
    struct ge_ver version;  /* the framework's: 2.14.0 */
    struct ge_ver rocm;     /* the ROCm it is built for: 6.0 */
    char platform[16];      /* linux-x86_64 */
    char find_links[160];   /* where pip finds the wheels, "" for PyPI */
    int npkgs;
    struct ge_rocm_pkg pkgs[GE_MAX_ROCM_PKGS];
    int npython;            /* 0: not known */
    struct ge_ver python[GE_MAX_PY];
    int ngfx;               /* 0: not known */
    unsigned gfx[GE_MAX_GFX];
};

enum ge_matrix_file {
    GE_MF_CUDA, GE_MF_CUDNN, GE_MF_TORCH, GE_MF_TF, GE_MF_JAX, GE_MF_TORCH_ROCM, GE_MF_ROCM, GE_MF_TF_ROCM,
    GE_MF_JAX_ROCM, GE_MF_COUNT
};

struct ge_matrix {
    char dir[4096];
    char data_version[GE_MF_COUNT][16];
    size_t ncuda, nmvc, nbranches, nccs, ncudnn, ntorch, ntf, njax, narchs, nptx, ntorch_rocm;
    size_t nrocm, ngfx_targets, ngfx_families, nrocm_builds;
    struct ge_cuda_release *cuda; /* every array ascending by version */
    struct ge_cuda_mvc *mvc;
    struct ge_branch *branches;
    struct ge_cuda_ccs *ccs;
    struct ge_gpu_arch *archs;    /* ascending by compute capability */
    struct ge_ptx_isa *ptx;       /* ascending by ISA (and so by CUDA); may be empty */
    struct ge_torch_rocm_release *torch_rocm; /* ascending; empty without pytorch_rocm.json */
    struct ge_rocm_release *rocm;             /* ascending; empty without rocm.json */
    struct ge_gfx_target *gfx_targets;        /* ascending by gfx_target_version */
    struct ge_gfx_family *gfx_families;
    struct ge_rocm_build *rocm_builds;        /* tensorflow's, then jax's; each ascending by version, ROCm */
    char hsa_override[32];    /* rocm.json hsa_override.variable ("HSA_OVERRIDE_GFX_VERSION"), "" when not sourced */
    struct ge_cudnn_release *cudnn;
    struct ge_torch_release *torch;
    struct ge_tf_release *tf;
    struct ge_jax_release *jax;
    char torch_index_url[128]; /* "https://download.pytorch.org/whl/{variant}" */
    /* cudnn.json's policy 'cuda-major-build': a cuDNN build for CUDA NN runs with every later
     * NN.y, its cuda_max being the newest minor when it was released (a sourced rule) */
    bool rule_cudnn_major_build;
    /* cudnn.json's policy 'hardware-forward-compat': from cuDNN 9.0, a build for CUDA >= 12 runs
     * on GPUs newer than every capability it supports natively (through PTX) */
    bool rule_cudnn_forward_compat;
    bool from_cache;           /* loaded from the compiled cache, not parsed */
};

/* The file name of each part: "cuda.json", ... */
const char *ge_matrix_file_name(enum ge_matrix_file f);

/* The data folder: GPUENV_DATA_DIR, else data/ beside the binary (a source tree), else the
 * installed GPUENV_DATADIR. Writes it to dir; 0, or -1 with err when none holds cuda.json. */
int ge_matrix_find_dir(char *dir, size_t size, struct ge_err *err);

/* Load and validate every file of dir: schema, sources of every record, well-formed versions,
 * no duplicates, cross-references (a torch variant's CUDA and cuDNN exist, its name matches its
 * CUDA). NULL with err (GE_EXIT_BAD_DATA naming the file and record) on any defect.
 * A validated matrix is kept, as its typed structs, in the cache folder (GPUENV_CACHE_DIR, else
 * $XDG_CACHE_HOME/gpuenv, else ~/.cache/gpuenv) and reused while the data files are unchanged
 * (same device, inode, size and modification time, and the same gpuenv binary): parsing 300 kB of
 * JSON costs more than all
 * of 'gpuenv resolve' otherwise. A cache that cannot be read or written is simply not used. */
struct ge_matrix *ge_matrix_load(const char *dir, struct ge_err *err);

/* The checksum that ends matrix.bin (over everything before it): a 64-bit FNV-1a, a word at a
 * time. Public for the tests and the fuzzer, which forge caches with a right sum. */
uint64_t ge_matrix_cache_sum(const unsigned char *p, size_t n);

/* The cache folder as above; -1 when no HOME tells where it is. */
int ge_cache_dir(char *out, size_t size);
void ge_matrix_free(struct ge_matrix *m);

/* Look-ups. */
const struct ge_cuda_release *ge_matrix_cuda(const struct ge_matrix *m, const struct ge_version *v);
/* The newest release of the minor version of v (12.4 -> 12.4.1). */
const struct ge_cuda_release *ge_matrix_cuda_newest_of_minor(const struct ge_matrix *m, const struct ge_version *v);
const struct ge_cuda_mvc *ge_matrix_mvc(const struct ge_matrix *m, int major);
const struct ge_cuda_ccs *ge_matrix_cuda_ccs(const struct ge_matrix *m, const struct ge_version *minor);
/* cuDNN by "9.8.0" or "9.8.0.87". */
const struct ge_cudnn_release *ge_matrix_cudnn(const struct ge_matrix *m, const struct ge_version *v);
const struct ge_cudnn_build *ge_matrix_cudnn_build(const struct ge_cudnn_release *r, int cuda_major);

/* Whether compute capability cc is a real one: some CUDA release of the matrix targets it (its
 * nvcc list) or a torch build lists it, or it is older than all of them (Kepler's 3.0, Fermi). */
/* The driver bounds of the architecture of cc, or NULL when the matrix has none. */
const struct ge_gpu_arch *ge_matrix_gpu_arch(const struct ge_matrix *m, struct ge_cc cc);

bool ge_matrix_cc_known(const struct ge_matrix *m, struct ge_cc cc);

/* A torch variant's GPU architectures: "7.5 8.0 9.0+PTX", "-" for none. */
void ge_matrix_arch_list(const struct ge_torch_variant *v, char *out, size_t size);

/* A list of Python versions in words: "3.9<span>3.13" for a run of minors, each one joined by
 * ", " when there are gaps ("3.8, 3.11, 3.12"), "-" for none. */
void ge_matrix_python_list(const struct ge_ver *py, int n, const char *span, char *out, size_t size);

/* The index a torch variant's wheels come from: the matrix's torch_index_url with {variant} filled
 * (https://download.pytorch.org/whl/cu124); that default without a matrix (m NULL). */
void ge_matrix_torch_index_url(const struct ge_matrix *m, const char *variant, char *out, size_t size);

/* ROCm look-ups (matrix_rocm.c). The release of exactly this version, or NULL. */
const struct ge_rocm_release *ge_matrix_rocm(const struct ge_matrix *m, const struct ge_version *v);
/* The newest release of the minor of v (6.2 -> 6.2.4), or NULL. */
const struct ge_rocm_release *ge_matrix_rocm_newest_of_minor(const struct ge_matrix *m, const struct ge_version *v);
/* PyTorch's ROCm wheels of torch release v, or NULL. */
const struct ge_torch_rocm_release *ge_matrix_torch_rocm(const struct ge_matrix *m, const struct ge_version *v);
/* The target AMD names with this gfx_target_version, or NULL. */
const struct ge_gfx_target *ge_matrix_gfx_target(const struct ge_matrix *m, unsigned gfx);
/* The family holding target gfx, or NULL. */
const struct ge_gfx_family *ge_matrix_gfx_family(const struct ge_matrix *m, unsigned gfx);
/* Whether the ascending list holds gfx. */
bool ge_gfx_list_has(const unsigned *list, int n, unsigned gfx);
/* A gfx list in words: "gfx900 gfx906 gfx90a", "-" for none. */
void ge_gfx_list_format(const unsigned *list, int n, char *out, size_t size);

/* The newest CUDA a driver runs natively, from the driver branch table (its major number) or,
 * failing that, the newest release whose Linux minimum the driver meets. -1 when neither tells. */
int ge_matrix_driver_cuda(const struct ge_matrix *m, const struct ge_version *driver, struct ge_version *cuda);

/* The newest PTX ISA a driver running CUDA 'cuda' can JIT-compile: the newest ISA introduced at or
 * before it. 0, or -1 when the table does not reach back that far or is empty. */
int ge_matrix_ptx_isa_for_cuda(const struct ge_matrix *m, const struct ge_version *cuda, struct ge_version *isa);
/* The CUDA release that introduced PTX ISA 'isa'. 0, or -1 when the table does not list it. */
int ge_matrix_ptx_isa_cuda(const struct ge_matrix *m, const struct ge_version *isa, struct ge_version *cuda);

#endif
