#!/usr/bin/env python3
"""Benchmark 'gpuenv install' against what a person would script, side by side in one run.

    python3 tests/bench/install.py [--cuda /usr/local/cuda] [--work DIR] [--gpuenv PATH]

Builds, once (kept in --work), a mirror in NVIDIA's layout from the CUDA toolkit on this machine:
cuda_cudart, cuda_nvrtc and libcublas repacked as tar.xz archives with a CUDA manifest, and its
cuDNN in a cuDNN manifest under the version the plan names (only bytes and archives matter here). Then,
serving it from a loopback HTTP server, measures:
  (a) a cold 'gpuenv install' (empty cache);
  (b) the script a person would write: curl each archive, sha256sum -c, tar -xJf, one by one;
  (c) the ideal on this machine: max(xz decode time of the largest archive, total decode / cores);
  (d) a warm 'gpuenv install' into a second project (everything cached);
  (e) (c) again with the files written: tar -xJf of each archive instead of xz -dc;
and gpuenv's peak memory and CPU time (its CPU time / cores is the floor no scheduling can beat). Targets: (a) <= 1.15 x (c); (a) >= 1.8x faster than (b); (d) < 2% of
(a); peak memory < 100 MB."""
import argparse, glob, hashlib, json, os, shutil, subprocess, sys, tarfile, time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", ".."))
ap = argparse.ArgumentParser()
ap.add_argument("--cuda", default="/usr/local/cuda")
ap.add_argument("--work", default="/tmp/gpuenv-bench-install")
ap.add_argument("--gpuenv", default=os.path.join(root, "gpuenv"))
a = ap.parse_args()
cuda = os.path.realpath(a.cuda)
lib = os.path.join(cuda, "targets", "x86_64-linux", "lib")
inc = os.path.join(cuda, "targets", "x86_64-linux", "include")
if not os.path.isdir(lib):
    lib, inc = os.path.join(cuda, "lib64"), os.path.join(cuda, "include")
if not os.path.isdir(lib):
    lib = os.path.join(cuda, "lib")

COMPONENTS = {  # component: (file globs in lib, header globs in include)
    "cuda_cudart": (["libcudart.so*", "libcudart_static.a"], ["cuda_runtime*.h", "driver_types.h"]),
    "cuda_nvrtc": (["libnvrtc*.so*"], ["nvrtc.h"]),
    "libcublas": (["libcublas.so*", "libcublasLt.so*"], ["cublas*.h"]),
}
# cuDNN goes in its own manifest, as NVIDIA ships it, under the version the plan names for CUDA 13
# (the machine's own cuDNN repacked: the bench measures bytes and archives, not cuDNN's version)
CUDNN = ("9.27.0", "9.27.0.42", "cuda13", (["libcudnn*.so*"], ["cudnn*.h"]))
VERSION = "13.0.2"   # the manifest's label: a release the matrix knows, so the plan can name it
mirror = os.path.join(a.work, "mirror")
manifests = os.path.join(a.work, "manifests")


def digests(path):
    """sha256, md5 and size of a file, read in blocks: the bench's own memory must stay small, or
    the children it forks inherit it in their peak-memory figure."""
    sha, md5, size = hashlib.sha256(), hashlib.md5(), 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
            md5.update(block)
            size += len(block)
    return {"sha256": sha.hexdigest(), "md5": md5.hexdigest(), "size": str(size)}


def pack(kind, comp, top, libs, heads):
    """Repack the matching files of this CUDA as <top>/lib, <top>/include in a tar.xz of the
    mirror; returns (relative path, digests), or None when none match."""
    rel = "%s/linux-x86_64/%s.tar.xz" % (comp, top)
    path = os.path.join(mirror, "compute", kind, "redist", rel)
    files = [("lib", f) for g in libs for f in glob.glob(os.path.join(lib, g))] + \
            [("include", f) for g in heads for f in glob.glob(os.path.join(inc, g))]
    if not files:
        print("bench: %s not in %s, left out" % (comp, cuda))
        return None
    os.makedirs(os.path.dirname(path), exist_ok=True)
    stage = os.path.join(a.work, "stage", top)
    for sub, f in files:
        d = os.path.join(stage, sub)
        os.makedirs(d, exist_ok=True)
        dst = os.path.join(d, os.path.basename(f))
        if os.path.islink(f):
            os.symlink(os.readlink(f), dst)
        else:
            shutil.copy2(f, dst)
    print("bench: packing %s ..." % comp, flush=True)
    subprocess.run(["tar", "-C", os.path.dirname(stage), "-cf", path, "--use-compress-program=xz -T2 -6", top], check=True)
    shutil.rmtree(os.path.dirname(stage))
    return dict(relative_path=rel, **digests(path))


def build_mirror():
    if os.path.exists(os.path.join(manifests, "cuda", "redistrib_%s.json" % VERSION)):
        return
    shutil.rmtree(a.work, ignore_errors=True)
    m = {"release_date": "2025-01-01", "release_label": VERSION, "release_product": "cuda"}
    for comp, (libs, heads) in COMPONENTS.items():
        entry = pack("cuda", comp, "%s-linux-x86_64-%s-archive" % (comp, VERSION), libs, heads)
        if entry:
            m[comp] = {"name": comp, "version": VERSION, "linux-x86_64": entry}
    short, full, variant, (libs, heads) = CUDNN
    entry = pack("cudnn", "cudnn", "cudnn-linux-x86_64-%s_%s-archive" % (full, variant), libs, heads)
    if entry:
        dm = {"release_date": "2025-01-01", "release_label": short, "release_product": "cudnn",
              "cudnn": {"name": "cudnn", "version": full, "linux-x86_64": {variant: entry}}}
        os.makedirs(os.path.join(manifests, "cudnn"), exist_ok=True)
        json.dump(dm, open(os.path.join(manifests, "cudnn", "redistrib_%s.json" % short), "w"), indent=4)
    os.makedirs(os.path.join(manifests, "cuda"), exist_ok=True)
    json.dump(m, open(os.path.join(manifests, "cuda", "redistrib_%s.json" % VERSION), "w"), indent=4)


def timed(cmd, env=None):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, rusage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    if status != 0:
        raise SystemExit("bench: %s failed: %s" % (" ".join(cmd), p.stderr.read().decode()))
    return dt, rusage.ru_maxrss / 1024.0, rusage.ru_utime + rusage.ru_stime  # s, MiB, CPU s


build_mirror()
m = json.load(open(os.path.join(manifests, "cuda", "redistrib_%s.json" % VERSION)))
archives = [(k, v["linux-x86_64"], "cuda") for k, v in m.items() if isinstance(v, dict)]
dmp = os.path.join(manifests, "cudnn", "redistrib_%s.json" % CUDNN[0])
if os.path.exists(dmp):
    archives.append(("cudnn", json.load(open(dmp))["cudnn"]["linux-x86_64"][CUDNN[2]], "cudnn"))
total = sum(int(x["size"]) for _, x, _ in archives)
srv = subprocess.Popen([sys.executable, os.path.join(root, "tests", "fake", "http_server.py"), mirror],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
port = int(srv.stdout.readline())
base = "http://127.0.0.1:%d" % port
comps = ",".join(k for k, _, _ in archives)
try:
    run = os.path.join(a.work, "run")
    shutil.rmtree(run, ignore_errors=True)
    os.makedirs(os.path.join(run, "p1"))
    os.makedirs(os.path.join(run, "p2"))
    env = dict(os.environ, GPUENV_CACHE_DIR=os.path.join(run, "cache"), GPUENV_MANIFEST_PATH=manifests,
               GPUENV_MIRROR=base)
    gp = [a.gpuenv, "-q", "install", "--driver", "580.65.06", "--gpu", "9.0", "--python", "3.12",
          "--components", comps, "cuda-toolkit==" + VERSION]
    subprocess.run(["sync"])
    ta, mem, cpua = timed(gp + ["-C", os.path.join(run, "p1")], env)
    td, mem2, _ = timed(gp + ["-C", os.path.join(run, "p2")], env)
    # (b) the script a person would write
    script = os.path.join(run, "script")
    os.makedirs(script)
    t0 = time.perf_counter()
    for comp, x, kind in archives:
        f = os.path.join(script, os.path.basename(x["relative_path"]))
        subprocess.run(["curl", "-sSf", "-o", f, base + "/compute/%s/redist/" % kind + x["relative_path"]], check=True)
        subprocess.run(["sha256sum", "-c", "--quiet", "-"], input=("%s  %s\n" % (x["sha256"], f)).encode(), check=True)
        subprocess.run(["tar", "-C", script, "-xJf", f], check=True)
    tb = time.perf_counter() - t0
    # (c) the ideal: xz decoding, the one part nothing avoids
    dec = []
    for comp, x, kind in archives:
        f = os.path.join(script, os.path.basename(x["relative_path"]))
        t0 = time.perf_counter()
        subprocess.run(["xz", "-dc", f], stdout=subprocess.DEVNULL, check=True)
        dec.append(time.perf_counter() - t0)
    cores = os.cpu_count() or 1
    tc = max(max(dec), sum(dec) / cores)
    # (e) the same floor counting the files written too: tar -xJf of each archive
    ext = []
    for comp, x, kind in archives:
        f = os.path.join(script, os.path.basename(x["relative_path"]))
        d = os.path.join(run, "untar-" + comp)
        os.makedirs(d)
        t0 = time.perf_counter()
        subprocess.run(["tar", "-C", d, "-xJf", f], check=True)
        ext.append(time.perf_counter() - t0)
        shutil.rmtree(d)
    te = max(max(ext), sum(ext) / cores)
finally:
    srv.kill()
print("mirror: %d archives, %.0f MiB compressed, %d cores" % (len(archives), total / 1048576, os.cpu_count()))
print("%-46s %9s %10s" % ("", "seconds", "ratio"))
print("%-46s %9.2f %10s" % ("(a) gpuenv install, cold", ta, "1.00"))
print("%-46s %9.2f %9.2fx" % ("(b) curl + sha256sum -c + tar -xJf, one by one", tb, tb / ta))
print("%-46s %9.2f %9.2fx" % ("(c) ideal: xz decode, spread over the cores", tc, tc / ta))
print("%-46s %9.3f %9.2f%%" % ("(d) gpuenv install, warm, second project", td, 100 * td / ta))
print("%-46s %9.2f %9.2fx" % ("(e) ideal with the files written: tar -xJf", te, te / ta))
print("gpuenv's CPU time in (a): %.2f s, so its floor on %d cores is %.2f s (%.2f x (c)); cores busy %.0f%%" % (
    cpua, cores, cpua / cores, cpua / cores / tc, 100 * cpua / (cores * ta)))
print("peak memory of gpuenv: %.1f MiB cold, %.1f MiB warm" % (mem, mem2))
print("beyond the issue: (a) <= 1.15 x (e), the floor that counts writing the files: %s (%.2f)" % (
    "met" if ta <= 1.15 * te else "NOT met", ta / te))
print("targets: (a) <= 1.15 x (c): %s (%.2f); (a) >= 1.8x faster than (b): %s (%.2fx); (d) < 2%% of (a): %s; memory < 100 MB: %s" % (
    "met" if ta <= 1.15 * tc else "NOT met", ta / tc, "met" if tb / ta >= 1.8 else "NOT met", tb / ta,
    "met" if td < 0.02 * ta else "NOT met", "met" if max(mem, mem2) < 100 else "NOT met"))
