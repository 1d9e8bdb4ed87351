#!/usr/bin/env python3
"""Lay fake framework packages straight into a site-packages folder, for gpuenv doctor's tests
(no pip, no wheels: doctor only imports them and reads files).

Usage: make_site.py SITE SPEC...
    torch=2.4.1+cu124        torch of that version; CUDA from the label (+cu124 -> 12.4, +cpu -> none,
                             no label -> 12.1); +rocm6.2: no CUDA, torch.version.hip 6.2.41133-dd7f95766
    torch-hip=6.3.42131-x    torch.version.hip of a torch without a label (built from source): no CUDA
    tensorflow=2.15.0        TensorFlow built with CUDA 12.2; tensorflow-cpu=2.15.0 without CUDA
    jax=0.5.0                JAX with its jax_cuda12_plugin; jax-cpu=0.5.0 without a plugin
    numpy=2.1.0              NumPy of that version
    numpy-abi=torch          the framework warns at import as one built against NumPy 1.x does
    broken=torch:MESSAGE     importing the framework raises ImportError(MESSAGE)
    lib=REL:SRC              copy the file SRC to SITE/REL (torch/lib/libx.so, nvidia/cudnn/lib/libcudnn.so.9)
    dist=NAME-VERSION        an (extra) NAME-VERSION.dist-info folder
    cudnn-broken             torch.nn.functional.conv2d fails as a cuDNN missing its sub-libraries does"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frameworks import JAX, PLAIN, TENSORFLOW, TORCH  # noqa: E402

site = sys.argv[1]
os.makedirs(site, exist_ok=True)
extra = {}  # module -> text prepended to its __init__.py
extra_hip = {}  # "torch-hip" -> torch.version.hip


def put(rel, text):
    path = os.path.join(site, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def torch_hip(version):
    if "torch-hip" in extra_hip:
        return extra_hip["torch-hip"]
    m = re.search(r"\+rocm(\d+\.\d+)", version)
    return m.group(1) + ".41133-dd7f95766" if m else None


def torch_cuda(version):
    if torch_hip(version):
        return None
    m = re.search(r"\+cu(\d+)(\d)$", version)
    if m:
        return "%s.%s" % (m.group(1), m.group(2))
    return None if version.endswith("+cpu") else "12.1"


mods = []
for spec in sys.argv[2:]:
    key, _, value = spec.partition("=")
    if key == "numpy-abi":
        extra[value] = ("import warnings\nwarnings.warn('Failed to initialize NumPy: _ARRAY_API not found "
                        "(Triggered internally at torch/csrc/utils/tensor_numpy.cpp:84.)')\n")
    elif key == "broken":
        mod, _, msg = value.partition(":")
        extra[mod] = "raise ImportError(%r)\n" % msg
    elif key == "lib":
        rel, _, src = value.partition(":")
        os.makedirs(os.path.dirname(os.path.join(site, rel)), exist_ok=True)
        shutil.copyfile(src, os.path.join(site, rel))
    elif key == "cudnn-broken":
        put("torch/nn/__init__.py", "")
        put("torch/nn/functional.py", "def conv2d(x, w):\n    raise RuntimeError('cudnnFinalize failed "
            "cudnn_status: CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED')\n")
    elif key == "torch-hip":
        extra_hip[key] = value
    elif key == "dist":
        os.makedirs(os.path.join(site, value + ".dist-info"), exist_ok=True)
    else:
        mods.append((key, value))

for key, version in mods:
    if key == "torch":
        mod, text = "torch", TORCH.format(version=version, cuda=torch_cuda(version))
        text += "version.hip = %r\n" % torch_hip(version)
        os.makedirs(os.path.join(site, "torch", "lib"), exist_ok=True)
    elif key in ("tensorflow", "tensorflow-cpu"):
        mod, text = "tensorflow", TENSORFLOW.format(version=version, cuda=None if key.endswith("-cpu") else "12.2")
    elif key in ("jax", "jax-cpu"):
        mod, text = "jax", JAX.format(version=version, cuda=None)
        put("jaxlib/__init__.py", "__version__ = %r\n" % version)
        if key == "jax":
            put("jax_cuda12_plugin/__init__.py", PLAIN.format(version=version, cuda=None))
    elif key == "numpy":
        mod, text = "numpy", PLAIN.format(version=version, cuda=None)
    else:
        sys.exit("make_site.py: unknown spec " + key)
    put(mod + "/__init__.py", extra.get(mod, "") + text)
    os.makedirs(os.path.join(site, "%s-%s.dist-info" % (mod, version.split("+")[0])), exist_ok=True)
