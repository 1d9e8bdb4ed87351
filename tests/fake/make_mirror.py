#!/usr/bin/env python3
"""Build a small NVIDIA-shaped redist mirror and its manifests for the install tests:

    make_mirror.py OUT [--evil | --chain | --modes | --bomb | --deep N | --big | --component-name |
                        --percent]

OUT/mirror/compute/{cuda,cudnn}/redist/... holds tar.xz archives laid out like NVIDIA's (one top
folder: bin/, include/, lib/, LICENSE); OUT/manifests/{cuda,cudnn}/redistrib_X.Y.Z.json lists them
with their real sha256 and size, for CUDA 12.4.1 and 12.0.0 and cuDNN 9.1.0 (a cuda12 build); the
mirror serves the same manifests beside the archives, as NVIDIA does.
Each option makes CUDA 12.4.1 hostile the way a compromised mirror and manifest would (every
manifest entry still matches its file):
  --evil            cuda_cudart holds a symlink that escapes its folder
  --chain           cuda_cudart holds d1/../d12/s -> 12 x '..' (the top: inside) and
                    t -> s/../../gpuenv-evil-marker (outside only through s); libcublas holds a
                    real folder d1/../d12/t/ with a file gpuenv-evil-marker
  --modes           cuda_nvcc's files are setuid/setgid and world-writable
  --bomb            libcublas holds a 10 GB sparse file in a few hundred bytes
  --deep N          libcublas nests N folders deep
  --big             libcublas holds 1 MiB of incompressible data (to fill a small disk)
  --sparse          libcublas holds a 48 MiB sparse file (4 bytes of data at each end)
  --component-name  a component is named ../../../../../../tmp/outside/x
  --percent         cuda_nvcc's relative_path climbs out with %2e%2e escapes"""
import hashlib, io, json, os, random, subprocess, sys, tarfile

out = sys.argv[1]
opts = sys.argv[2:]
evil = "--evil" in opts
deep = int(opts[opts.index("--deep") + 1]) if "--deep" in opts else 0


def archive(kind, comp, version, files, plat="linux-x86_64", variant="", sparse=None):
    top = "%s-%s-%s%s-archive" % (comp, plat, version, "_" + variant if variant else "")
    rel = "%s/%s/%s.tar.xz" % (comp, plat, top)
    path = os.path.join(out, "mirror", "compute", kind, "redist", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if sparse:
        # GNU tar stores a sparse file as a map of its data: python's tarfile cannot write one
        work = os.path.join(out, "sparse-work")
        os.makedirs(os.path.join(work, top, "lib"), exist_ok=True)
        with open(os.path.join(work, top, "lib", "sparse"), "wb") as fh:
            fh.write(b"head")
            fh.truncate(sparse)
            fh.seek(sparse - 4)
            fh.write(b"tail")
        for name, data, mode, link in files:
            if data is not None:
                f = os.path.join(work, top, name)
                os.makedirs(os.path.dirname(f), exist_ok=True)
                open(f, "wb").write(data)
        subprocess.run(["tar", "-C", work, "--sparse", "--format=gnu", "-cJf", path, top], check=True)
        subprocess.run(["rm", "-rf", work], check=True)
        blob = open(path, "rb").read()
        return {"relative_path": rel, "sha256": hashlib.sha256(blob).hexdigest(),
                "md5": hashlib.md5(blob).hexdigest(), "size": str(len(blob))}
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
    sparse = None
    if v == "12.4.1":
        if evil:
            comps["cuda_cudart"].append(("lib/escape", None, 0, "../../../../etc"))
        if "--chain" in opts:
            chain = "/".join("d%d" % i for i in range(1, 13))
            comps["cuda_cudart"] += [(chain + "/s", None, 0, "/".join([".."] * 12)),
                                     (chain + "/t", None, 0, "s/../../gpuenv-evil-marker")]
            comps["libcublas"].append((chain + "/t/gpuenv-evil-marker", b"pwned\n", 0o644, None))
        if "--modes" in opts:
            comps["cuda_nvcc"] = [("bin/nvcc", nvcc, 0o6777, None), ("bin/ptxas", b"ptxas\n", 0o4755, None),
                                  ("include/w.h", b"/* w */\n", 0o666, None), ("LICENSE", b"nvcc license\n", 0o644, None)]
        if "--bomb" in opts:
            sparse = 10 * 10**9
        if "--sparse" in opts:
            sparse = 48 << 20
        if deep:
            comps["libcublas"].append(("/".join("d%d" % i for i in range(deep)) + "/f", b"deep\n", 0o644, None))
        if "--big" in opts:
            comps["libcublas"].append(("lib/big", random.Random(7).randbytes(1 << 20), 0o644, None))
    m = {"release_date": "2024-04-12", "release_label": v, "release_product": "cuda"}
    for comp, files in comps.items():
        m[comp] = {"name": comp, "license": "CUDA Toolkit", "version": v,
                   "linux-x86_64": archive("cuda", comp, v, files, sparse=sparse if comp == "libcublas" else None)}
    if v == "12.4.1" and "--component-name" in opts:
        m["../../../../../../tmp/outside/x"] = m.pop("libcublas")
    if v == "12.4.1" and "--percent" in opts:
        m["cuda_nvcc"]["linux-x86_64"]["relative_path"] = "cuda_nvcc/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd"
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
    # in a manifest folder (GPUENV_MANIFEST_PATH) and, as NVIDIA serves it, beside the archives
    text = json.dumps(m, indent=4)
    for d in (os.path.join(out, "manifests", kind), os.path.join(out, "mirror", "compute", kind, "redist")):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "redistrib_%s.json" % version), "w") as f:
            f.write(text)


cuda("12.4.1")
cuda("12.0.0")
cudnn("9.1.0", "9.1.0.70")
