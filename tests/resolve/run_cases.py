#!/usr/bin/env python3
"""Run the resolver cases: every non-comment line of tests/resolve/*.cases is one case,

    EXIT | ARGUMENTS | CHECK | WHY

run as `gpuenv resolve --json ARGUMENTS` (split like a shell would) against the shipped data, in
this folder (so that --host hosts/NAME.json names a machine described in hosts/),
with no driver on the machine so that only the arguments describe it. The case passes when the
exit status is EXIT and CHECK, a Python expression, is true. CHECK sees:
  d            the JSON document
  pkg(name)    the plan's package of that name (a dict), or {}
  v(name)      its version;  var(name) its variant;  extra(name) its extra
  reason       error.reason ("" on success)
  rejected(s)  the reason codes of the rejected candidate labelled s (a list)
  notes        the plan's notes joined as one string
  bound        the plan's "bound" entries as (instead_of, host, reason) tuples
WHY is the fact that makes the answer right and where it comes from.
Prints one line per failure and "N passed, N failed"; exits 1 on any failure."""
import glob, json, os, shlex, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
gpuenv = os.path.abspath(os.environ["GPUENV"])
env = dict(os.environ, GPUENV_LIBCUDA="/nonexistent/libcuda.so.1",
           GPUENV_DATA_DIR=os.path.join(here, "..", "..", "data"), NO_COLOR="1")
for k in ("GPUENV_DRIVER", "GPUENV_GPUS", "CUDA_VISIBLE_DEVICES"):
    env.pop(k, None)

passed = failed = 0
for path in sorted(glob.glob(os.path.join(here, "*.cases"))):
    for n, line in enumerate(open(path), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{os.path.basename(path)}:{n}"
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) != 4 or not parts[3]:
            print(f"FAIL {where}: malformed case (EXIT | ARGUMENTS | CHECK | WHY)")
            failed += 1
            continue
        want, args, check, _why = parts
        r = subprocess.run([gpuenv, "resolve", "--json", "--explain"] + shlex.split(args),
                           env=env, capture_output=True, text=True, cwd=here)
        try:
            d = json.loads(r.stdout)
        except ValueError:
            print(f"FAIL {where}: stdout is not one JSON document: {r.stdout[:200]!r}")
            failed += 1
            continue
        plan = d.get("plan") or {}
        pkgs = {p["name"]: p for p in plan.get("packages", [])}
        ns = {
            "d": d,
            "pkg": lambda name: pkgs.get(name, {}),
            "v": lambda name: pkgs.get(name, {}).get("version"),
            # a version as a tuple of numbers, to compare as versions: vt("cudnn") >= (9, 10)
            "vt": lambda name: tuple(int(x) for x in (pkgs.get(name, {}).get("version") or "0").split(".")),
            "var": lambda name: pkgs.get(name, {}).get("variant"),
            "extra": lambda name: pkgs.get(name, {}).get("extra"),
            "reason": (d.get("error") or {}).get("reason", ""),
            "rejected": lambda label: [x["code"] for c in d.get("rejected", []) if c["candidate"] == label
                                       for x in c["reasons"]],
            "notes": " ".join(plan.get("notes", [])),
            "bound": [(b["instead_of"], h, b["reason"]) for b in plan.get("bound", []) for h in b["hosts"]],
        }
        try:
            ok = r.returncode == int(want) and bool(eval(check, ns))
        except Exception as e:  # a broken check is a failing case
            ok, check = False, f"{check} ({e})"
        if ok:
            passed += 1
        else:
            failed += 1
            summary = {k: pkgs[k].get("version") or pkgs[k].get("constraint") for k in pkgs}
            err = d.get("error") or {}
            print(f"FAIL {where}: resolve {args}\n     want exit {want} and {check}\n"
                  f"     got exit {r.returncode}, plan {summary}, error {err.get('reason')}: {err.get('message')}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
