#!/bin/sh
# check-live.sh: compare 'gpuenv detect --json' with nvidia-smi on a machine with a real driver:
# the driver version, and per GPU the name, compute capability, memory, PCI bus id and UUID.
# Opt-in ('make check-live'); where no driver is present it says so and exits 0.
set -u
: "${GPUENV:?set GPUENV to the gpuenv binary}"
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "check-live: skipped: no working nvidia-smi, so no driver to compare with"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$GPUENV" detect --json >"$tmp/gpuenv.json" 2>"$tmp/gpuenv.err"
rc=$?
nvidia-smi --query-gpu=index,name,driver_version,compute_cap,memory.total,pci.bus_id,uuid \
    --format=csv,noheader,nounits >"$tmp/smi.csv" || { echo "check-live: nvidia-smi query failed"; exit 1; }
echo "gpuenv detect --json (exit $rc):"; cat "$tmp/gpuenv.json"; cat "$tmp/gpuenv.err"
echo "nvidia-smi:"; cat "$tmp/smi.csv"
python3 - "$tmp/gpuenv.json" "$tmp/smi.csv" <<'PY'
import csv, json, sys
d = json.load(open(sys.argv[1]))
rows = [[c.strip() for c in r] for r in csv.reader(open(sys.argv[2])) if r]
bad = []
def check(what, a, b):
    status = "ok  " if a == b else "DIFF"
    if a != b:
        bad.append(what)
    print(f"{status} {what}: gpuenv={a!r} nvidia-smi={b!r}")
def pci(s):
    # nvidia-smi prints an 8-digit domain, the driver API a 4-digit one: compare as numbers
    dom, bus, rest = s.lower().split(":")
    return (int(dom, 16), int(bus, 16), rest)
check("ok", d.get("ok"), True)
check("gpu count", len(d["gpus"]), len(rows))
for g, r in zip(d["gpus"], rows):
    i = g["index"]
    check(f"gpu {i} index", str(i), r[0])
    check(f"gpu {i} name", g["name"], r[1])
    check(f"driver version (gpu {i})", d["driver"]["version"], r[2])
    check(f"gpu {i} compute capability", g["cc"], r[3])
    # cuDeviceTotalMem counts the memory CUDA can use; nvidia-smi's memory.total counts the whole
    # framebuffer, including what the driver reserves (H100 80GB: 81079 against 81559 MiB).
    # Agree when the driver API's figure is at most nvidia-smi's and within 2% of it.
    mib, smi = g["memory_bytes"] // (1024 * 1024), int(r[4])
    check(f"gpu {i} memory within 2% below nvidia-smi's ({mib} of {smi} MiB)", smi * 0.98 <= mib <= smi, True)
    check(f"gpu {i} pci bus id", pci(g["pci_bus_id"]), pci(r[5]))
    check(f"gpu {i} uuid", g["uuid"], r[6])
print("check-live:", "all fields agree" if not bad else "DISAGREE on " + ", ".join(bad))
sys.exit(1 if bad else 0)
PY
