#!/usr/bin/env python3
"""Build a PEP 503 package index for gpuenv's venv tests: small but valid wheels named like the
real ones (torch-2.4.1+cu124, torchvision-0.19.1+cu124, torch-2.4.1+rocm6.1, numpy, tensorflow with its and-cuda extra,
nvidia-*, jax with its cuda12 extra and plugin), laid out under the paths download.pytorch.org and
PyPI use:
    OUT/whl/<variant>/<project>/index.html    PyTorch's index of one CUDA variant
    OUT/simple/<project>/index.html           PyPI's simple index
    OUT/files/<wheel>                          the wheels, linked with their sha256
Serve OUT with tests/fake/http_server.py; pip then takes --extra-index-url http://HOST/whl/cu124
and PIP_INDEX_URL=http://HOST/simple.

The modules answer the framework checks gpuenv runs: torch reports its version, CUDA and cuDNN,
and sees a GPU ("Fake GPU", a correct matrix product) only when FAKE_GPU=1.

Usage: make_index.py OUT"""
import base64, hashlib, io, os, sys, zipfile

out = os.path.abspath(sys.argv[1])

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frameworks import TORCH, TENSORFLOW, JAX, PLAIN  # noqa: E402


def wheel(name, version, module, text, requires=(), extras=()):
    """Write OUT/files/<wheel> and return its file name and sha256."""
    dist = name.replace("-", "_")
    tag = "py3-none-any"
    fname = "%s-%s-%s.whl" % (dist, version, tag)
    info = "%s-%s.dist-info" % (dist, version)
    meta = "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: gpuenv test wheel\n" % (name, version)
    for e in extras:
        meta += "Provides-Extra: %s\n" % e
    for r in requires:
        meta += "Requires-Dist: %s\n" % r
    body = text.format(version=version, cuda=CUDA.get(version))
    if version in HIP:  # a ROCm build: torch.version.hip, and no CUDA
        body += "version.hip = %r\n" % HIP[version]
    files = {
        "%s/__init__.py" % module: body,
        "%s/METADATA" % info: meta,
        "%s/WHEEL" % info: "Wheel-Version: 1.0\nGenerator: gpuenv-tests\nRoot-Is-Purelib: true\nTag: %s\n" % tag,
    }
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data.encode()).digest()).rstrip(b"=").decode()
        record += "%s,sha256=%s,%d\n" % (path, digest, len(data.encode()))
    record += "%s/RECORD,,\n" % info
    files["%s/RECORD" % info] = record
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            z.writestr(path, data)
    os.makedirs(os.path.join(out, "files"), exist_ok=True)
    with open(os.path.join(out, "files", fname), "wb") as f:
        f.write(buf.getvalue())
    return fname, hashlib.sha256(buf.getvalue()).hexdigest()


def index(where, project, wheels):
    d = os.path.join(out, where, project)
    os.makedirs(d, exist_ok=True)
    links = "".join('<a href="/files/%s#sha256=%s">%s</a><br>\n' % (f, h, f) for f, h in wheels)
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("<!DOCTYPE html>\n<html><body>\n%s</body></html>\n" % links)


HIP = {"2.4.1+rocm6.1": "6.1.40091-a8dbc0c19"}
CUDA = {"2.4.1+cu124": "12.4", "2.4.1+cu121": "12.1", "2.4.1": "12.1", "2.4.1+cpu": None, "2.15.0": "12.2"}

# PyTorch's per-variant indexes: the companions carry the same variant
for variant in ("cu124", "cu121"):
    index("whl/" + variant, "torch", [wheel("torch", "2.4.1+" + variant, "torch", TORCH, ["numpy"])])
    index("whl/" + variant, "torchvision", [wheel("torchvision", "0.19.1+" + variant, "torchvision", PLAIN,
                                                  ["torch==2.4.1+" + variant])])
    index("whl/" + variant, "torchaudio", [wheel("torchaudio", "2.4.1+" + variant, "torchaudio", PLAIN,
                                                 ["torch==2.4.1+" + variant])])
index("whl/cpu", "torch", [wheel("torch", "2.4.1+cpu", "torch", TORCH)])
# a ROCm variant: HIP in CUDA's place (the ROCm wheels bring their own ROCm)
index("whl/rocm6.1", "torch", [wheel("torch", "2.4.1+rocm6.1", "torch", TORCH, ["numpy"])])
index("whl/rocm6.1", "torchvision", [wheel("torchvision", "0.19.1+rocm6.1", "torchvision", PLAIN,
                                           ["torch==2.4.1+rocm6.1"])])

# PyPI: numpy, PyPI's own torch build, a CPU build that must never stand in for a CUDA one,
# tensorflow with [and-cuda], jax with [cuda12]
index("simple", "numpy", [wheel("numpy", "1.26.4", "numpy", PLAIN), wheel("numpy", "2.1.0", "numpy", PLAIN)])
index("simple", "torch", [wheel("torch", "2.4.1", "torch", TORCH, ["numpy"]),
                          wheel("torch", "2.4.1+cpu", "torch", TORCH)])
index("simple", "nvidia-cudnn-cu12", [wheel("nvidia-cudnn-cu12", "8.9.4.25", "nvidia_cudnn_fake", PLAIN)])
index("simple", "tensorflow", [wheel("tensorflow", "2.15.0", "tensorflow", TENSORFLOW,
                                     ['nvidia-cudnn-cu12==8.9.4.25; extra == "and-cuda"'], ["and-cuda"])])
index("simple", "jax-cuda12-plugin", [wheel("jax-cuda12-plugin", "0.5.0", "jax_cuda12_plugin", PLAIN)])
index("simple", "jax", [wheel("jax", "0.5.0", "jax", JAX, ['jax-cuda12-plugin==0.5.0; extra == "cuda12"'],
                              ["cuda12"])])
