#!/usr/bin/env python3
"""Repack the CUDA toolkit installed on this machine as an NVIDIA-layout redist mirror, for the
live install check on a GPU machine that has no network:

    make_local_mirror.py CUDA_ROOT OUT

Writes OUT/mirror/compute/{cuda,cudnn}/redist/... and OUT/manifests/{cuda,cudnn}/redistrib_*.json:
cuda_nvcc (bin, nvvm, headers, the static runtime and the targets/ links nvcc.profile uses),
cuda_cudart (the shared runtime) and cudnn (when the toolkit tree holds libcudnn), labelled as
CUDA 13.0.2 and cuDNN 9.27.0 (the versions gpuenv's plan names for such a machine; the bytes are
this machine's own, which the check prints)."""
import hashlib, os, sys, tarfile

root, out = os.path.realpath(sys.argv[1]), sys.argv[2]
CUDA, CUDNN, CUDNN_FULL = "13.0.2", "9.27.0", "9.27.0.42"


def walk(rel):
    p = os.path.join(root, rel)
    if os.path.islink(p) or not os.path.isdir(p):
        yield rel
        return
    yield rel
    for name in sorted(os.listdir(p)):
        yield from walk(os.path.join(rel, name))


def pack(kind, comp, version, rels, variant=""):
    top = "%s-linux-x86_64-%s%s-archive" % (comp, version, "_" + variant if variant else "")
    rel = "%s/linux-x86_64/%s.tar.xz" % (comp, top)
    path = os.path.join(out, "mirror", "compute", kind, "redist", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w:xz", preset=1) as t:
        for r in rels:
            t.add(os.path.join(root, r), arcname=top + "/" + r, recursive=False)
    h = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return {"relative_path": rel, "sha256": h, "md5": "0" * 32, "size": str(os.path.getsize(path))}


def entries(tops, keep):
    seen = []
    for t in tops:
        if os.path.lexists(os.path.join(root, t)):
            seen += [r for r in walk(t) if keep(r)]
    return seen


def is_cudnn(r):
    return os.path.basename(r).startswith(("cudnn", "libcudnn"))


nvcc = entries(["bin", "nvvm", "include", "targets"], lambda r: not is_cudnn(r))
nvcc += [r for r in ("lib", "lib/libcudart_static.a", "lib/libcudadevrt.a", "lib/libculibos.a")
         if os.path.lexists(os.path.join(root, r))]
cudart = ["lib"] + [os.path.join("lib", f) for f in sorted(os.listdir(os.path.join(root, "lib")))
                    if f.startswith("libcudart.so")]
cudnn = ["lib", "include"] + [os.path.join(d, f) for d in ("lib", "include")
                              for f in sorted(os.listdir(os.path.join(root, d))) if is_cudnn(f)]
m = {"release_date": "2025-01-01", "release_label": CUDA, "release_product": "cuda"}
for comp, rels in (("cuda_nvcc", nvcc), ("cuda_cudart", cudart)):
    m[comp] = {"name": comp, "version": CUDA, "linux-x86_64": pack("cuda", comp, CUDA, rels)}
import json
os.makedirs(os.path.join(out, "manifests", "cuda"), exist_ok=True)
json.dump(m, open(os.path.join(out, "manifests", "cuda", "redistrib_%s.json" % CUDA), "w"), indent=4)
if len(cudnn) > 2:
    dm = {"release_date": "2025-01-01", "release_label": CUDNN, "release_product": "cudnn",
          "cudnn": {"name": "cudnn", "version": CUDNN_FULL,
                    "linux-x86_64": {"cuda13": pack("cudnn", "cudnn", CUDNN_FULL, cudnn, "cuda13")}}}
    os.makedirs(os.path.join(out, "manifests", "cudnn"), exist_ok=True)
    json.dump(dm, open(os.path.join(out, "manifests", "cudnn", "redistrib_%s.json" % CUDNN), "w"), indent=4)
print("mirror: cuda_nvcc %d entries, cuda_cudart %d, cudnn %d" % (len(nvcc), len(cudart), len(cudnn) - 2))
