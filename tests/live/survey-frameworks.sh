#!/bin/sh
# survey-frameworks.sh VENV: on a GPU machine, what the installed frameworks really carry, to
# compare with data/: torch's and jax's versions, the CUDA and cuDNN they report, torch's arch
# list, and for every CUDA shared library of the venv (torch, jaxlib and its CUDA plugin, NVIDIA's
# wheels) the real-architecture cubins and the PTX it embeds, read with cuobjdump. Prints one JSON
# document. Needs cuobjdump on PATH or in /usr/local/cuda/bin. Opt-in; run by hand or on the
# device: sh tests/live/survey-frameworks.sh /opt/torch/.venv > survey.json
set -u
venv=${1:?usage: survey-frameworks.sh VENV}
py="$venv/bin/python3"
obj=$(command -v cuobjdump || echo /usr/local/cuda/bin/cuobjdump)
[ -x "$obj" ] || { echo "survey: no cuobjdump" >&2; exit 1; }
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$py" - "$site" "$obj" <<'PY'
import json, os, re, subprocess, sys
site, obj = sys.argv[1], sys.argv[2]
out = {"site": site, "frameworks": {}, "libraries": {}}
try:
    import torch
    out["frameworks"]["torch"] = {
        "version": torch.__version__, "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "arch_list": torch.cuda.get_arch_list(), "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "capability": list(torch.cuda.get_device_capability(0)) if torch.cuda.is_available() else None}
except Exception as e:  # a framework that does not load is a finding too
    out["frameworks"]["torch"] = {"error": repr(e)}
try:
    import jax, jaxlib
    out["frameworks"]["jax"] = {"version": jax.__version__, "jaxlib": jaxlib.__version__,
                                "devices": [str(d) for d in jax.devices()]}
except Exception as e:
    out["frameworks"]["jax"] = {"error": repr(e)}
try:
    from importlib import metadata
    out["distributions"] = sorted("%s==%s" % (d.metadata["Name"], d.version) for d in metadata.distributions()
                                  if re.match(r"(torch|jax|nvidia|triton|numpy)", (d.metadata["Name"] or "").lower()))
except Exception as e:
    out["distributions"] = repr(e)
roots = [os.path.join(site, d) for d in os.listdir(site)
         if re.match(r"(torch|jax|jaxlib|jax_cuda\d+_plugin|jax_plugins|nvidia|triton)$", d)]
for r in roots:
    for dp, dn, fn in os.walk(r):
        for f in fn:
            p = os.path.join(dp, f)
            if ".so" not in f or os.path.islink(p) or os.path.getsize(p) < (1 << 20):
                continue
            rel = os.path.relpath(p, site)
            res = {}
            for kind, flag in (("elf", "--list-elf"), ("ptx", "--list-ptx")):
                try:
                    t = subprocess.run([obj, flag, p], capture_output=True, text=True, timeout=300).stdout
                except Exception as e:
                    t = ""
                    res["error"] = repr(e)
                res[kind] = sorted(set(re.findall(r"sm_(\d+[a-z]?)", t)), key=lambda s: (int(re.match(r"\d+", s).group()), s))
            if res.get("elf") or res.get("ptx"):
                out["libraries"][rel] = res
json.dump(out, sys.stdout, indent=1)
print()
PY
