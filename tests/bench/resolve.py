#!/usr/bin/env python3
"""Time the whole `gpuenv resolve torch` process with the full matrix, beside `python3 -c pass`,
measured in the same run and interleaved so that machine noise hits both alike.

    python3 tests/bench/resolve.py [--runs N] [--gpuenv PATH]

Prints the median and 90th percentile of each, and their ratio. Target: resolve under 5 ms median.
The host is this machine as gpuenv sees it (driver probe, python3 on PATH); a second row times the
same with the host described by flags (no probe), as CI would run it."""
import argparse, os, statistics, subprocess, time

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=int, default=101)
ap.add_argument("--gpuenv", default=os.path.join(here, "..", "..", "gpuenv"))
a = ap.parse_args()

cmds = {
    "gpuenv resolve torch": [a.gpuenv, "-q", "resolve", "torch"],
    "gpuenv resolve torch (host by flags)": [a.gpuenv, "resolve", "torch", "--driver", "580.159.04",
                                             "--gpu", "9.0", "--python", "3.12"],
    "python3 -c pass": ["python3", "-c", "pass"],
    "true (starting any process)": ["true"],
}
times = {k: [] for k in cmds}
for k, c in cmds.items():  # warm the page cache once
    subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(a.runs):
    for k, c in cmds.items():
        t0 = time.perf_counter()
        r = subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[k].append((time.perf_counter() - t0) * 1000)
        # this machine may have no solution (3); the host described by flags always has one
        if r.returncode not in ((0,) if "flags" in k else (0, 3)):
            raise SystemExit(f"{k}: exit {r.returncode}")

def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]

base = statistics.median(times["python3 -c pass"])
print(f"{'command':40} {'median ms':>10} {'p90 ms':>8} {'vs python3 -c pass':>20}")
for k in cmds:
    med = statistics.median(times[k])
    print(f"{k:40} {med:10.2f} {q(times[k], 0.9):8.2f} {med / base:19.2f}x")
med = statistics.median(times["gpuenv resolve torch"])
print(f"target: gpuenv resolve torch under 5 ms median: {'met' if med < 5 else 'NOT met'} ({med:.2f} ms, {a.runs} runs)")
