#!/usr/bin/env python3
"""Repack the CUDA toolkit installed on this machine as an NVIDIA-layout redist mirror, for the
live install check on a GPU machine that has no network:

    make_local_mirror.py CUDA_ROOT OUT

Writes OUT/mirror/compute/{cuda,cudnn}/redist/... and OUT/manifests/{cuda,cudnn}/redistrib_*.json:
cuda_nvcc (bin, nvvm, headers, the static runtime and the links nvcc.profile uses), cuda_cudart
(the shared runtime) and cudnn (from the toolkit tree, else from the nvidia-cudnn Python package
of the python3 on PATH), labelled as CUDA 13.0.2 and cuDNN 9.27.0: the versions gpuenv's plan
names for such a machine. The bytes are this machine's own; the check prints what they are. The
toolkit's own layout is kept (a runfile install keeps its libraries in targets/<arch>/lib)."""
import hashlib, json, os, subprocess, sys, tarfile

root, out = os.path.realpath(sys.argv[1]), sys.argv[2]
CUDA, CUDNN, CUDNN_FULL = "13.0.2", "9.27.0", "9.27.0.42"


def first_dir(cands):
    for c in cands:
        p = os.path.realpath(os.path.join(root, c))
        if os.path.isdir(p):
            return os.path.relpath(p, root)
    raise SystemExit("no %s under %s" % (" or ".join(cands), root))


libdir = first_dir(["lib", "lib64", "targets/x86_64-linux/lib"])
incdir = first_dir(["include", "targets/x86_64-linux/include"])
STATIC = {"libcudart_static.a", "libcudadevrt.a", "libculibos.a"}


def walk(rel):
    p = os.path.join(root, rel)
    yield rel
    if os.path.isdir(p) and not os.path.islink(p):
        for name in sorted(os.listdir(p)):
            yield from walk(os.path.join(rel, name))


def is_cudnn(r):
    return os.path.basename(r).startswith(("cudnn", "libcudnn"))


def pack(kind, comp, version, members, variant=""):
    """members: (file on disk, path inside the archive's top folder)"""
    top = "%s-linux-x86_64-%s%s-archive" % (comp, version, "_" + variant if variant else "")
    rel = "%s/linux-x86_64/%s.tar.xz" % (comp, top)
    path = os.path.join(out, "mirror", "compute", kind, "redist", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w:xz", preset=1) as t:
        for src, arc in members:
            t.add(src, arcname=top + "/" + arc, recursive=False)
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            sha.update(b)
    return {"relative_path": rel, "sha256": sha.hexdigest(), "md5": "0" * 32, "size": str(os.path.getsize(path))}


def keep_nvcc(r):
    if is_cudnn(r):
        return False
    if r == libdir or not r.startswith(libdir + "/"):
        return True
    return os.path.basename(r) in STATIC


nvcc = []
for t in ["bin", "nvvm", "include", "lib", "lib64", "targets"]:
    if os.path.lexists(os.path.join(root, t)):
        nvcc += [r for r in walk(t) if keep_nvcc(r) and not os.path.basename(r).startswith("libcudart.so")]
cudart = [libdir] + [os.path.join(libdir, f) for f in sorted(os.listdir(os.path.join(root, libdir)))
                     if f.startswith("libcudart.so")]
members = lambda rels: [(os.path.join(root, r), r) for r in rels]
m = {"release_date": "2025-01-01", "release_label": CUDA, "release_product": "cuda",
     "cuda_nvcc": {"name": "cuda_nvcc", "version": CUDA, "linux-x86_64": pack("cuda", "cuda_nvcc", CUDA, members(nvcc))},
     "cuda_cudart": {"name": "cuda_cudart", "version": CUDA,
                     "linux-x86_64": pack("cuda", "cuda_cudart", CUDA, members(cudart))}}
os.makedirs(os.path.join(out, "manifests", "cuda"), exist_ok=True)
json.dump(m, open(os.path.join(out, "manifests", "cuda", "redistrib_%s.json" % CUDA), "w"), indent=4)

# cuDNN: in the toolkit tree, else the nvidia-cudnn wheel of python3
cudnn = [(os.path.join(root, d, f), "lib/" + f if d == libdir else "include/" + f)
         for d in (libdir, incdir) for f in sorted(os.listdir(os.path.join(root, d))) if is_cudnn(f)]
where = root
if not any(a.startswith("lib/") for _, a in cudnn):
    try:
        pkg = subprocess.run([sys.executable, "-c", "import nvidia.cudnn, os; print(list(nvidia.cudnn.__path__)[0])"],
                             capture_output=True, text=True, check=True).stdout.strip()
        cudnn = [(os.path.join(pkg, d, f), d + "/" + f) for d in ("lib", "include")
                 if os.path.isdir(os.path.join(pkg, d)) for f in sorted(os.listdir(os.path.join(pkg, d)))]
        where = pkg
    except (subprocess.CalledProcessError, OSError):
        cudnn = []
if cudnn:
    dirs = [(os.path.dirname(s), a.split("/")[0]) for s, a in cudnn]
    members_dnn = sorted(set(dirs)) + cudnn
    dm = {"release_date": "2025-01-01", "release_label": CUDNN, "release_product": "cudnn",
          "cudnn": {"name": "cudnn", "version": CUDNN_FULL,
                    "linux-x86_64": {"cuda13": pack("cudnn", "cudnn", CUDNN_FULL, members_dnn, "cuda13")}}}
    os.makedirs(os.path.join(out, "manifests", "cudnn"), exist_ok=True)
    json.dump(dm, open(os.path.join(out, "manifests", "cudnn", "redistrib_%s.json" % CUDNN), "w"), indent=4)
print("mirror from %s (libraries in %s): cuda_nvcc %d entries, cuda_cudart %d, cudnn %d from %s"
      % (root, libdir, len(nvcc), len(cudart), len(cudnn), where if cudnn else "nowhere"))
