#!/usr/bin/env python3
"""Build a small NVIDIA-shaped redist mirror and its manifests for the install tests:

    make_mirror.py OUT [--evil]

OUT/mirror/compute/{cuda,cudnn}/redist/... holds tar.xz archives laid out like NVIDIA's (one top
folder: bin/, include/, lib/, LICENSE); OUT/manifests/{cuda,cudnn}/redistrib_X.Y.Z.json lists them
with their real sha256 and size, for CUDA 12.4.1 and 12.0.0 and cuDNN 9.1.0 (a cuda12 build). With
--evil, cuda_cudart 12.4.1 holds a symlink that escapes its folder (its manifest entry still
matches the file, as a compromised mirror and manifest would)."""
import hashlib, io, json, os, sys, tarfile

out = sys.argv[1]
evil = "--evil" in sys.argv


def archive(kind, comp, version, files, plat="linux-x86_64", variant=""):
    top = "%s-%s-%s%s-archive" % (comp, plat, version, "_" + variant if variant else "")
    rel = "%s/%s/%s.tar.xz" % (comp, plat, top)
    path = os.path.join(out, "mirror", "compute", kind, "redist", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w:xz") as t:
        dirs = set()
        for name, data, mode, link in files:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(top + "/" + d)
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    t.addfile(info)
            info = tarfile.TarInfo(top + "/" + name)
            if link:
                info.type, info.linkname = tarfile.SYMTYPE, link
                t.addfile(info)
            else:
                info.size, info.mode = len(data), mode
                t.addfile(info, io.BytesIO(data))
    blob = open(path, "rb").read()
    return {"relative_path": rel, "sha256": hashlib.sha256(blob).hexdigest(),
            "md5": hashlib.md5(blob).hexdigest(), "size": str(len(blob))}


def cuda(version):
    v = version
    nvcc = b"#!/bin/sh\necho \"nvcc from gpuenv test toolkit " + v.encode() + b"\"\n"
    comps = {
        "cuda_nvcc": [("bin/nvcc", nvcc, 0o755, None), ("LICENSE", b"nvcc license\n", 0o644, None)],
        "cuda_cudart": [("include/cuda_runtime.h", b"/* cuda_runtime " + v.encode() + b" */\n", 0o644, None),
                        ("lib/libcudart.so." + v, b"\x7fELF cudart", 0o644, None),
                        ("lib/libcudart.so.12", None, 0, "libcudart.so." + v),
                        ("LICENSE", b"cudart license\n", 0o644, None)],
        "libcublas": [("lib/libcublas.so." + v, b"\x7fELF cublas", 0o644, None),
                      ("lib/libcublas.so.12", None, 0, "libcublas.so." + v),
                      ("LICENSE", b"cublas license\n", 0o644, None)],
    }
    if evil and v == "12.4.1":
        comps["cuda_cudart"].append(("lib/escape", None, 0, "../../../../etc"))
    m = {"release_date": "2024-04-12", "release_label": v, "release_product": "cuda"}
    for comp, files in comps.items():
        m[comp] = {"name": comp, "license": "CUDA Toolkit", "version": v, "linux-x86_64": archive("cuda", comp, v, files)}
    write("cuda", v, m)


def cudnn(version, full):
    files = [("include/cudnn.h", b"/* cudnn " + full.encode() + b" */\n", 0o644, None),
             ("lib/libcudnn.so." + full, b"\x7fELF cudnn", 0o644, None),
             ("lib/libcudnn.so.9", None, 0, "libcudnn.so." + full),
             ("LICENSE", b"cudnn license\n", 0o644, None)]
    m = {"release_date": "2024-04-16", "release_label": version, "release_product": "cudnn",
         "cudnn": {"name": "NVIDIA CUDA Deep Neural Network library", "license": "cudnn", "version": full,
                   "linux-x86_64": {"cuda12": archive("cudnn", "cudnn", full, files, variant="cuda12")},
                   "cuda_variant": ["12"]}}
    write("cudnn", version, m)


def write(kind, version, m):
    d = os.path.join(out, "manifests", kind)
    os.makedirs(d, exist_ok=True)
    json.dump(m, open(os.path.join(d, "redistrib_%s.json" % version), "w"), indent=4)


cuda("12.4.1")
cuda("12.0.0")
cudnn("9.1.0", "9.1.0.70")
