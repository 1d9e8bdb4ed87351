#!/usr/bin/env python3
"""Every release in data/ resolves: each torch release on each platform it has builds for, each
TensorFlow release (Linux, and native Windows where it had GPU builds), each JAX release and
extra, each CUDA toolkit release. For each, try the GPUs its own data says it supports (the
newest first), each on a driver that can run that GPU (its architecture's last branch where it
has one, else the newest branch the matrix knows), with the newest Python the release supports,
until one resolves. A release that resolves on none of them is a hole in the data (or a
resolver bug): print it and exit 1. A platform where no build of a release lists its GPU
architectures has no GPU to try: it must be one of the gaps 'gpuenv matrix --gaps' states, and is
printed as such. Needs GPUENV; uses the shipped data."""
import json, os, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
gpuenv = os.environ["GPUENV"]
env = dict(os.environ, GPUENV_LIBCUDA="/nonexistent/libcuda.so.1",
           GPUENV_DATA_DIR=os.path.join(here, "..", "..", "data"), NO_COLOR="1")
for k in ("GPUENV_DRIVER", "GPUENV_GPUS", "CUDA_VISIBLE_DEVICES"):
    env.pop(k, None)

m = json.loads(subprocess.run([gpuenv, "matrix", "--json"], env=env, capture_output=True, text=True, check=True).stdout)
vt = lambda s: tuple(int(x) for x in s.split("."))
newest_branch = max(int(b["branch"][1:]) for b in m["driver_branches"])
archs = {a["cc"]: a for a in m["gpu_architectures"]}
known = sorted({cc for r in m["cuda"] if r["ccs"] for cc in r["ccs"]}, key=vt, reverse=True)
# Jetson parts (integrated, driver from JetPack) are not desktop or data-centre machines
jetson = {"5.3", "6.2", "7.2", "8.7", "8.8", "10.1", "11.0"}

def driver_for(cc):
    a = archs.get(cc)
    return str(int(a["last_branch"][1:])) if a and a["last_branch"] else str(newest_branch)

def resolves(req, gpus, python, platform="linux", arch="x86_64"):
    for cc in gpus:
        # an AMD GPU (gfx...) has no NVIDIA driver to describe
        host = ["--gpu", cc] if cc.startswith("gfx") else ["--gpu", cc, "--driver", driver_for(cc)]
        args = [gpuenv, "resolve", "--json", *req.split(), *host, "--platform", platform, "--arch", arch]
        if python:
            args += ["--python", python]
        r = subprocess.run(args, env=env, capture_output=True, text=True)
        if r.returncode == 0:
            return cc, None
        last = r.stdout
    try:
        err = json.loads(last)["error"]
        return None, "%s: %s" % (err.get("reason") or err.get("kind"), err["message"])
    except (ValueError, KeyError, UnboundLocalError):
        return None, "no answer"

gaps = json.loads(subprocess.run([gpuenv, "matrix", "--gaps", "--json"], env=env, capture_output=True, text=True,
                                 check=True).stdout)["gaps"]
arch_gaps = {g["record"] for g in gaps if g["fact"] == "arch"}
failures, stated, checked = [], [], 0
def check(what, req, gpus, python, **kw):
    global checked
    checked += 1
    gpus = [g for g in gpus if g not in jetson]
    cc, why = resolves(req, gpus, python, **kw)
    if not cc:
        failures.append("%s: resolves on none of %s: %s" % (what, " ".join(gpus) or "no GPU", why))

for r in m["torch"]:
    by_plat = {}
    for v in r["variants"]:
        by_plat.setdefault(v["platform"], set()).update(a.split("+")[0] for a in v["arch_list"] or [])
    for plat, ccs in sorted(by_plat.items()):
        os_, arch = plat.split("-", 1)
        if not ccs:
            builds = ["torch %s %s %s" % (r["version"], v["name"], plat) for v in r["variants"] if v["platform"] == plat]
            if all(b in arch_gaps for b in builds):
                stated.append("torch %s on %s (its builds' architectures are a stated gap)" % (r["version"], plat))
                continue
        check("torch %s on %s" % (r["version"], plat), "torch==" + r["version"], sorted(ccs, key=vt, reverse=True),
              r["python"][-1] if r["python"] else None, platform=os_, arch=arch)
# AMD: each ROCm build of torch (with its label), tensorflow and jax resolves on a gfx target of its
# own list or, where that is not recorded, of its ROCm release's official list
pythons = {r["version"]: r["python"] for r in m["torch"]}
for r in m["torch_rocm"]:
    for v in r["variants"]:
        py = pythons.get(r["version"]) or [None]
        check("torch %s %s" % (r["version"], v["name"]), "torch==%s+%s" % (r["version"], v["name"]),
              list(reversed(v["gfx"] or [])), py[-1])
official = {}
for rr in m["rocm_releases"]:
    if rr["gfx"]:
        official[".".join(rr["version"].split(".")[:2])] = rr["gfx"]
fw_py = {("tensorflow", r["version"]): r["python"] for r in m["tensorflow"]}
fw_py.update({("jax", r["version"]): r["python"] for r in m["jax"]})
for b in m["rocm_builds"]:
    gfx = b["gfx"] or official.get(".".join(b["rocm"].split(".")[:2]), [])
    py = b["python"] or fw_py.get((b["framework"], b["version"])) or [None]
    check("%s %s rocm%s" % (b["framework"], b["version"], b["rocm"]), "%s==%s" % (b["framework"], b["version"]),
          list(reversed(gfx)), py[-1])
for r in m["tensorflow"]:
    gpus = [cc for cc in known if not r["min_sm"] or vt(cc) >= vt(r["min_sm"])]
    py = r["python"][-1] if r["python"] else None
    check("tensorflow %s on linux-x86_64" % r["version"], "tensorflow==" + r["version"], gpus, py)
    if r["windows_native_gpu"]:
        check("tensorflow %s on windows-x86_64" % r["version"], "tensorflow==" + r["version"], gpus, py, platform="windows")
for r in m["jax"]:
    py = r["python"][-1] if r["python"] else None
    for x in r["extras"]:
        gpus = [cc for cc in known if not x["min_sm"] or vt(cc) >= vt(x["min_sm"])]
        req = "jax[%s]==%s" % (x["name"].replace("_", "-"), r["version"])
        check("jax %s [%s]" % (r["version"], x["name"]), req, gpus, py)
        if r["linux_aarch64"]:
            check("jax %s [%s] on linux-aarch64" % (r["version"], x["name"]), req, gpus, py, arch="aarch64")
majors = {int(r["version"].split(".")[0]) for r in m["cuda"]}
for r in m["cudnn"]:
    # each cuDNN build resolves with some toolkit of its CUDA major, on a GPU it supports (the
    # matrix's toolkits start at CUDA 11: a cuda10 build has none to go with)
    for b in r["builds"]:
        if b["cuda_major"] not in majors:
            continue
        gpus = b["ccs"] and sorted(b["ccs"], key=vt, reverse=True) or known
        check("cudnn %s cuda%d" % (r["version"], b["cuda_major"]),
              "cudnn==%s cuda-toolkit==%d.*" % (r["full_version"] or r["version"], b["cuda_major"]), gpus, None)
for r in m["cuda"]:
    check("cuda-toolkit %s" % r["version"], "cuda-toolkit==" + r["version"], r["ccs"] and sorted(r["ccs"], key=vt, reverse=True) or known, None)

for f in stated:
    print("gap  " + f)
for f in failures:
    print("FAIL " + f)
print("%d releases checked, %d resolve on no GPU they support, %d stated gaps" % (checked, len(failures), len(stated)))
sys.exit(1 if failures else 0)
