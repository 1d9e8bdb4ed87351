#!/usr/bin/env python3
"""Time activating one environment three ways, side by side in one run, inside one bash process
each (so that starting bash is not counted):
  (a) sourcing .gpuenv/activate (and gpuenv_deactivate);
  (b) eval "$(gpuenv env --shell bash)" (and gpuenv_deactivate);
  (c) Lmod: module load of the environment's Lua modulefile (and module unload).

    python3 tests/bench/activate.py [--rounds N] [--gpuenv PATH]

Builds the fixture toolkit's mirror (tests/fake/make_mirror.py) and installs it into a project in a
temporary folder. Rounds interleave the three so that machine noise hits all alike; prints the
median time of one activation + deactivation for each, and the ratios. Target: (a) at least 10x
faster than (c)."""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", ".."))
ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=15)
ap.add_argument("--per-round", type=int, default=20, help="activations timed together in one round")
ap.add_argument("--gpuenv", default=os.path.join(root, "gpuenv"))
a = ap.parse_args()
lmod_init = "/usr/share/lmod/lmod/init/bash"
if not os.path.exists(lmod_init):
    sys.exit("bench: Lmod is not installed ('make deps' installs it)")

work = tempfile.mkdtemp(prefix="gpuenv-bench-activate.")
try:
    subprocess.run([sys.executable, os.path.join(root, "tests", "fake", "make_mirror.py"), work + "/fx"],
                   check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, GPUENV_DATA_DIR=os.path.join(root, "tests", "data", "matrix-min"),
               GPUENV_MANIFEST_PATH=work + "/fx/manifests", GPUENV_CACHE_DIR=work + "/cache",
               GPUENV_MIRROR="file://" + work + "/fx/mirror", LD_LIBRARY_PATH="/usr/lib/x86_64-linux-gnu")
    proj = work + "/proj"
    os.makedirs(proj)
    subprocess.run([a.gpuenv, "-q", "install", "-C", proj, "--driver", "550.54.15", "--gpu", "8.0"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    os.makedirs(work + "/modules")
    subprocess.run([a.gpuenv, "modulefile", "-C", proj, "--install", work + "/modules"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    n = a.per_round
    # each script prints the seconds its n activations took, measured by bash itself
    loops = {
        "(a) . .gpuenv/activate": '. "$P/.gpuenv/activate"; gpuenv_deactivate',
        "(b) eval \"$(gpuenv env --shell bash)\"": 'eval "$("$G" env -C "$P" --shell bash)"; gpuenv_deactivate',
        "(c) module load (Lmod, Lua modulefile)": 'module load gpuenv/proj; module unload gpuenv/proj',
    }
    scripts = {}
    for k, body in loops.items():
        scripts[k] = (". %s; module use %s/modules\n" % (lmod_init, work) +
                      "t0=$EPOCHREALTIME\nfor ((i = 0; i < %d; i++)); do %s; done\nt1=$EPOCHREALTIME\n" % (n, body) +
                      'echo "$t0 $t1"\n')
    env.update(P=proj, G=a.gpuenv)
    # each way must activate for real before it is timed: CUDA_HOME set inside, unset after
    for k, body in loops.items():
        first, _, undo = body.rpartition("; ")
        check = (". %s; module use %s/modules\n%s\n[ \"$CUDA_HOME\" = \"$P/.gpuenv\" ] || exit 9\n%s\n"
                 "[ -z \"${CUDA_HOME+set}\" ] || exit 10\n") % (lmod_init, work, first, undo)
        r = subprocess.run(["bash", "-c", check], env={k: v for k, v in env.items() if k != "CUDA_HOME"}, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("bench: %s does not activate (exit %d): %s" % (k, r.returncode, r.stderr.strip()))
    times = {k: [] for k in loops}
    for r in range(a.rounds):
        for k, s in scripts.items():
            out = subprocess.run(["bash", "-c", s], env=env, capture_output=True, text=True, check=True).stdout
            t0, t1 = (float(x.replace(",", ".")) for x in out.split())
            times[k].append((t1 - t0) / n)
finally:
    shutil.rmtree(work, ignore_errors=True)

med = {k: statistics.median(v) for k, v in times.items()}
base = med["(a) . .gpuenv/activate"]
print("%-42s %12s %10s" % ("one activation + deactivation, bash", "median ms", "vs (a)"))
for k in loops:
    print("%-42s %12.3f %9.1fx" % (k, med[k] * 1000, med[k] / base))
ratio = med["(c) module load (Lmod, Lua modulefile)"] / base
print("target: sourcing the script at least 10x faster than module load: %s (%.1fx)" %
      ("met" if ratio >= 10 else "NOT met", ratio))
