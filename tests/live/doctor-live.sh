#!/bin/sh
# doctor-live.sh: on a machine with an NVIDIA driver, 'gpuenv doctor' must run its kernel right on
# every GPU the driver lists (the PTX gpuenv carries, JIT-compiled by this driver), and say what
# it finds. Elsewhere it says it skipped. Opt-in: 'make check-live' runs it after check-live.sh.
: "${GPUENV:?set GPUENV to the gpuenv binary}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$GPUENV" detect >/dev/null 2>&1 || { echo "doctor-live: no working driver here: skipped"; exit 0; }
"$GPUENV" doctor --json ${DOCTOR_PYTHON:+--python "$DOCTOR_PYTHON"} >"$out"
rc=$?
python3 - "$out" "$rc" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["findings"]:
    print("%-7s %s: %s" % (f["severity"], f["code"], f["message"]))
kernels = [g["kernel"]["status"] for g in d["gpus"]]
print("doctor-live: exit %s, kernel on each GPU: %s" % (sys.argv[2], kernels))
sys.exit(0 if kernels and all(k == "ok" for k in kernels) else 1)
PY
