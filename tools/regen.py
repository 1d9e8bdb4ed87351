#!/usr/bin/env python3
"""regen.py: regenerate the mechanically derivable facts of data/ and diff them against data/.

Maintainer's tool (Python 3.11, standard library only).  It reads local checkouts (bare or not)
of upstream repositories through `git show <ref>:<path>` and folders of NVIDIA redistrib
manifests, derives the facts a script or manifest states, and prints, per release / variant /
field, "data says X, upstream says Y", plus match counts.

    regen.py torch --builder DIR [--test-infra DIR] --releases 2.1,2.2,...   pytorch.json
    regen.py jax   --jax DIR --versions 0.4.30,0.11.0 | --versions data       jax.json
    regen.py cuda  --manifests DIR [DIR ...]                                  cuda.json
    regen.py cudnn --manifests DIR [DIR ...]                                  cudnn.json

Common options: --data DIR (default: data/ next to tools/), --json (machine output),
--write (print the regenerated JSON fragments instead of the diff), -v (also list matches).
Exit status: 0 no difference, 1 differences, 2 usage or input error (one line on stderr).

Nothing here edits data/: a maintainer copies facts (with the recorded commits as sources).
See data/README.md, "Keeping the matrix current".
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import re
import subprocess
import sys
from pathlib import Path

PROG = "regen.py"
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data"


class InputError(Exception):
    """Bad usage or unreadable / malformed input: exit status 2, one line."""


# --------------------------------------------------------------------------------------------
# git access (bare mirrors from the fetch tool, or ordinary checkouts)


class Repo:
    def __init__(self, path: str, name: str):
        self.path = path
        self.name = name  # owner/name, for source records
        if not os.path.isdir(path):
            raise InputError(f"{path}: not a directory")
        out = self._git(["-C", path, "rev-parse", "--absolute-git-dir"], gitdir=False)
        if out is None:
            raise InputError(f"{path}: not a git repository")
        self.gitdir = out.strip()

    def _git(self, args, gitdir=True, check=False):
        cmd = ["git"] + (["--git-dir", self.gitdir] if gitdir else []) + args
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
        except FileNotFoundError:
            raise InputError("git not found on PATH")
        if p.returncode != 0:
            if check:
                raise InputError(f"git {' '.join(args)}: {p.stderr.strip().splitlines()[-1:] or ['failed']}")
            return None
        return p.stdout

    def commit(self, ref: str) -> str | None:
        out = self._git(["rev-parse", "--verify", "--quiet", ref + "^{commit}"])
        return out.strip() if out else None

    def show(self, commit: str, path: str) -> str | None:
        return self._git(["show", f"{commit}:{path}"])

    def ls(self, commit: str, folder: str) -> list[str]:
        out = self._git(["ls-tree", "--name-only", f"{commit}:{folder}"])
        return out.split() if out else []

    def last_change(self, commit: str, path: str) -> tuple[str, str] | None:
        out = self._git(["log", "-1", "--format=%H %cs", commit, "--", path])
        if not out or not out.strip():
            return None
        h, d = out.split()
        return h, d

    def date(self, commit: str) -> str:
        out = self._git(["show", "-s", "--format=%cs", commit])
        return out.strip() if out else ""


def resolve_ref(repo: Repo, candidates: list[str]) -> tuple[str, str]:
    for ref in candidates:
        c = repo.commit(ref)
        if c:
            return ref, c
    raise InputError(f"{repo.path}: none of the refs {', '.join(candidates)} exists")


# --------------------------------------------------------------------------------------------
# result model: differences, matches, notes


class Report:
    def __init__(self, kind: str):
        self.kind = kind
        self.diffs: list[dict] = []
        self.matches = 0
        self.matched: list[str] = []
        self.compared: set[str] = set()
        self.info: list[str] = []
        self.refs: list[dict] = []
        self.facts: list[dict] = []
        self.sources: dict[str, dict] = {}

    def diff(self, scope, field, data, upstream, where="", note=""):
        self.diffs.append({"scope": scope, "field": field, "data": data, "upstream": upstream,
                           "where": where, "note": note})

    def match(self, scope, field):
        self.matches += 1
        self.matched.append(f"{scope} {field}")

    def as_json(self):
        return {"tool": PROG, "kind": self.kind, "refs": self.refs, "compared": sorted(self.compared),
                "matches": self.matches, "differences": self.diffs, "info": self.info}


def fmt(v) -> str:
    if v is None:
        return "(nothing)"
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def mention_note(record: dict | None, value) -> str:
    """A cheap hint that a difference is deliberate: the record's comment names the value."""
    if not record or value is None or isinstance(value, (list, bool)):
        return ""
    c = record.get("comment") or ""
    if isinstance(c, str) and re.search(r"(?<![\w.])" + re.escape(str(value)) + r"(?![\w]|\.\d)", c):
        return f"the record's comment mentions {value}"
    return ""


def compare(rep: Report, scope: str, field: str, data_rec: dict, upstream, where: str,
            data_value=..., note=""):
    dv = data_rec.get(field) if data_value is ... else data_value
    if upstream is None:
        return
    if dv == upstream:
        rep.match(scope, field)
        return
    notes = [n for n in (note, mention_note(data_rec, upstream)) if n]
    if dv is None:
        notes.insert(0, "data lacks the field")
    elif isinstance(dv, str) and isinstance(upstream, str) and upstream.startswith(dv + "."):
        notes.insert(0, "data is less specific")
    rep.diff(scope, field, dv, upstream, where, "; ".join(notes))


def print_text(rep: Report, verbose: bool):
    out = []
    for r in rep.refs:
        line = f"read {r['repo']} {r['ref']} = {r['commit'][:12]}"
        if r.get("date"):
            line += f" ({r['date']})"
        out.append(line)
        for f in r.get("files", []):
            s = f"    {f['path']}"
            if f.get("last_changed"):
                s += f"  last changed {f['last_changed'][:12]} {f.get('last_changed_date', '')}"
            if f.get("note"):
                s += f"  [{f['note']}]"
            out.append(s)
    if rep.info:
        out.append("")
        out += [f"note: {i}" for i in rep.info]
    out.append("")
    for d in rep.diffs:
        s = f"DIFF {d['scope']} {d['field']}: data says {fmt(d['data'])}, upstream says {fmt(d['upstream'])}"
        if d["where"]:
            s += f"  [{d['where']}]"
        if d["note"]:
            s += f"  ({d['note']})"
        out.append(s)
    if verbose:
        out += [f"ok   {m}" for m in rep.matched]
    out.append("")
    out.append(f"{rep.kind}: {len(rep.compared)} records compared, {rep.matches} fields match, "
               f"{len(rep.diffs)} differ")
    print("\n".join(out))


def load_data(data_dir: Path, name: str) -> dict:
    p = data_dir / name
    try:
        with open(p, encoding="utf-8") as f:
            d = json.load(f)
    except FileNotFoundError:
        raise InputError(f"{p}: no such file")
    except json.JSONDecodeError as e:
        raise InputError(f"{p}: not valid JSON ({e.msg} at line {e.lineno})")
    if not isinstance(d, dict) or not isinstance(d.get("releases"), list):
        raise InputError(f"{p}: no 'releases' list")
    return d


def vkey(v: str):
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"[.+]", v))


# --------------------------------------------------------------------------------------------
# torch: pytorch/builder release branches (1.13 .. 2.5)

BUILD_CUDA = "manywheel/build_cuda.sh"
INSTALL_CUDA = "common/install_cuda.sh"
WIN_DIR = "windows"
WIN_INSTALL = "windows/internal/cuda_install.bat"
TI_MATRIX = "tools/scripts/generate_binary_build_matrix.py"


def sort_arches(entries: list[str]) -> list[str]:
    def k(e):
        base = e.split("+")[0]
        try:
            return tuple(int(x) for x in base.split("."))
        except ValueError:
            raise InputError(f"malformed arch entry {e!r}")
    seen, out = set(), []
    for e in sorted(entries, key=k):
        if e not in seen:
            seen.add(e)
            out.append(e)
    return out


def split_list(value: str, current: list[str] | None, where: str) -> list[str]:
    items = []
    for part in value.split(";"):
        part = part.strip()
        if not part:
            continue
        if part in ("${TORCH_CUDA_ARCH_LIST}", "$TORCH_CUDA_ARCH_LIST"):
            if current is None:
                raise InputError(f"{where}: TORCH_CUDA_ARCH_LIST extended before it is set")
            items += current
        elif re.fullmatch(r"\d+\.\d+(\+PTX)?", part):
            items.append(part)
        else:
            raise InputError(f"{where}: cannot read arch list entry {part!r}")
    return items


def parse_build_cuda(text: str, where: str = BUILD_CUDA) -> dict:
    """TORCH_CUDA_ARCH_LIST of build_cuda.sh: {'arms': [(pattern, {'x86': [...], 'aarch64': [...]})],
    'warnings': [...]}.  Understands the base assignment before `case ${CUDA_VERSION} in`, one
    assignment chain per arm, and `if [[ "$GPU_ARCH_TYPE" = "cuda-aarch64" ]]` splits."""
    lines = text.splitlines()
    assign = re.compile(r'^\s*(?:export\s+)?TORCH_CUDA_ARCH_LIST="?([^"]*)"?\s*$')
    base = None
    arms: list[tuple[str, dict]] = []
    warnings = []
    i, n = 0, len(lines)
    case_start = None
    while i < n:
        ln = lines[i]
        if re.match(r"^\s*case\s+\"?\$\{?CUDA_VERSION\}?\"?\s+in", ln):
            case_start = i
            break
        m = assign.match(ln)
        if m and "${TORCH_CUDA_ARCH_LIST}" not in m.group(1) and not ln.strip().startswith("#"):
            base = split_list(m.group(1), None, f"{where}:{i+1}")
        i += 1
    if case_start is None:
        raise InputError(f"{where}: no 'case ${{CUDA_VERSION}} in' block")
    if base is None:
        raise InputError(f"{where}: no base TORCH_CUDA_ARCH_LIST before the case block")
    i = case_start + 1
    cur_pat = None
    cur = None
    cond_stack: list[str] = []  # 'aarch64' | 'x86' | 'other'
    while i < n:
        ln = lines[i].split("#", 1)[0] if not lines[i].lstrip().startswith("#") else ""
        s = ln.strip()
        i += 1
        if not s:
            continue
        if s == "esac":
            break
        m = re.match(r"^([0-9.\[\]\-|*]+)\)$", s)
        if m and cur_pat is None:
            cur_pat = m.group(1)
            cur = {"x86": list(base), "aarch64": list(base), "_set": False}
            cond_stack = []
            continue
        if s == ";;":
            if cur_pat is not None:
                arms.append((cur_pat, {"x86": cur["x86"], "aarch64": cur["aarch64"]}))
            cur_pat, cur = None, None
            continue
        if cur_pat is None:
            continue
        if s.startswith("if "):
            if "aarch64" in s:
                cond_stack.append("x86" if "!=" in s else "aarch64")
            else:
                cond_stack.append("other")
            continue
        if s == "else":
            if cond_stack:
                cond_stack[-1] = {"aarch64": "x86", "x86": "aarch64"}.get(cond_stack[-1], "other")
            continue
        if s == "fi":
            if cond_stack:
                cond_stack.pop()
            continue
        m = assign.match(s)
        if m:
            if "other" in cond_stack:
                warnings.append(f"{where}: arm {cur_pat}: conditional assignment not interpreted: {s}")
                continue
            targets = ["x86", "aarch64"]
            if "aarch64" in cond_stack:
                targets = ["aarch64"]
            elif "x86" in cond_stack:
                targets = ["x86"]
            for t in targets:
                cur[t] = split_list(m.group(1), cur[t], f"{where}:{i}")
    else:
        raise InputError(f"{where}: case block has no 'esac'")
    # assignments after esac other than the env override are not interpreted: say so
    for j in range(i, n):
        s = lines[j].strip()
        m = assign.match(s)
        if m and "OVERRIDE_TORCH_CUDA_ARCH_LIST" not in s and m.group(1) not in (
                "${TORCH_CUDA_ARCH_LIST}", "$TORCH_CUDA_ARCH_LIST"):
            warnings.append(f"{where}:{j+1}: later assignment not interpreted: {s}")
    if not arms:
        raise InputError(f"{where}: no CUDA arms in the case block")
    return {"base": base, "arms": arms, "warnings": warnings}


def arm_for(parsed: dict, cuda_minor: str):
    for pat, lists in parsed["arms"]:
        if pat == "*":
            continue
        for alt in pat.split("|"):
            if fnmatch.fnmatchcase(cuda_minor, alt):
                return pat, lists
    return None, None


def minor_of_nodot(nodot: str) -> str:
    # 118 -> 11.8, 121 -> 12.1, 92 -> 9.2, 130 -> 13.0
    if len(nodot) == 3:
        return f"{nodot[:2]}.{nodot[2]}"
    if len(nodot) == 2:
        return f"{nodot[0]}.{nodot[1]}"
    raise InputError(f"cannot read CUDA version from {nodot!r}")


def parse_install_cuda(text: str, where: str = INSTALL_CUDA) -> dict:
    """{'11.8': {'cuda': '11.8.0', 'cudnn': '8.7.0.84'}, ...} from install_XYZ functions."""
    glob = {}
    for m in re.finditer(r"^\s*(CUDNN_VERSION)=([0-9.]+)\s*$", text, re.M):
        glob[m.group(1)] = m.group(2)
    res = {}
    funcs = list(re.finditer(r"^\s*(?:function\s+)?install_(\d{2,3})\s*(?:\(\))?\s*\{", text, re.M))
    for k, m in enumerate(funcs):
        body = text[m.end(): funcs[k + 1].start() if k + 1 < len(funcs) else len(text)]
        body = re.split(r"^\s*(?:function\s+)?\w+\s*(?:\(\))?\s*\{", body, maxsplit=1, flags=re.M)[0]
        minor = minor_of_nodot(m.group(1))
        local = dict(glob)
        for a in re.finditer(r"^\s*(CUDNN_VERSION)=([0-9.]+)\s*$", body, re.M):
            local[a.group(1)] = a.group(2)
        rec = {}
        r = re.search(r"cuda_(\d+\.\d+\.\d+)_[0-9.]+_linux(?:_sbsa)?\.run", body)
        if r:
            rec["cuda"] = r.group(1)
        c = re.search(r"cudnn-linux-[a-z0-9_]+-(\$\{CUDNN_VERSION\}|\$CUDNN_VERSION|[0-9.]+)_cuda", body)
        if c:
            v = c.group(1)
            if v.startswith("$"):
                v = local.get("CUDNN_VERSION")
                if v is None:
                    raise InputError(f"{where}: install_{m.group(1)} uses CUDNN_VERSION, which is never set")
            rec["cudnn"] = v
        if rec:
            res[minor] = rec
    if not res:
        raise InputError(f"{where}: no install_XYZ function with a CUDA runfile or cuDNN archive")
    return res


def parse_win_bat(text: str, where: str) -> list[str]:
    m = re.search(r"^\s*set\s+TORCH_CUDA_ARCH_LIST=(.+?)\s*$", text, re.M | re.I)
    if not m:
        raise InputError(f"{where}: no 'set TORCH_CUDA_ARCH_LIST='")
    return split_list(m.group(1), None, where)


def parse_win_install(text: str, where: str = WIN_INSTALL) -> dict:
    res = {}
    labels = list(re.finditer(r"^:cuda(\d{2,3})\s*$", text, re.M))
    for k, m in enumerate(labels):
        body = text[m.end(): labels[k + 1].start() if k + 1 < len(labels) else len(text)]
        rec = {}
        r = re.search(r"CUDA_INSTALL_EXE=cuda_(\d+\.\d+\.\d+)_", body)
        if r:
            rec["cuda"] = r.group(1)
        c = re.search(r"CUDNN_FOLDER=\"?cudnn\S*?(\d+\.\d+\.\d+\.\d+)", body)
        if c:
            rec["cudnn"] = c.group(1)
        if rec:
            res[minor_of_nodot(m.group(1))] = rec
    return res


def ast_literal_assign(text: str, name: str, where: str):
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise InputError(f"{where}: Python syntax error at line {e.lineno}")
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets) and node.value is not None:
                try:
                    return ast.literal_eval(node.value)
                except ValueError:
                    raise InputError(f"{where}: {name} is not a literal")
    return None


def parse_ti_matrix(text: str, channel: str, where: str) -> dict:
    cuda = ast_literal_assign(text, "CUDA_ARCHES_DICT", where)
    py = ast_literal_assign(text, "PYTHON_ARCHES_DICT", where)
    if not isinstance(cuda, dict) or channel not in cuda:
        raise InputError(f"{where}: no CUDA_ARCHES_DICT[{channel!r}]")
    res = {"cuda": list(cuda[channel]), "python": list(py[channel]) if isinstance(py, dict) and channel in py else None,
           "aarch64": None}
    m = re.search(r"CUDA_AARCH64:\s*\"(cu\d+)\"", text)
    if m and re.search(r"arches\s*[+]?=\s*\[[^\]]*CUDA_AARCH64", text):
        res["aarch64"] = m.group(1)
    return res


def parse_releases_arg(s: str) -> list[tuple[str, str | None]]:
    out = []
    for item in s.split(","):
        item = item.strip()
        if not item:
            continue
        minor, _, ref = item.partition(":")
        if not re.fullmatch(r"\d+\.\d+", minor):
            raise InputError(f"--releases: {item!r} is not MAJOR.MINOR[:REF]")
        out.append((minor, ref or None))
    if not out:
        raise InputError("--releases: empty list")
    return out


def torch_read_release(b: Repo, ti: Repo | None, minor: str, ref: str | None, tmpl: str,
                       channel: str, rep: Report) -> dict:
    cands = [ref] if ref else [t.format(minor=minor) for t in tmpl.split(",")]
    used_ref, commit = resolve_ref(b, cands)
    refinfo = {"repo": b.name, "ref": used_ref, "commit": commit, "date": b.date(commit), "files": []}
    rep.refs.append(refinfo)

    def fileinfo(path, note="", at=None):
        lc = b.last_change(at or commit, path)
        fi = {"path": path, "commit": at or commit}
        if lc:
            fi["last_changed"], fi["last_changed_date"] = lc
        if note:
            fi["note"] = note
        refinfo["files"].append(fi)
        return fi

    text = b.show(commit, BUILD_CUDA)
    if text is None:
        raise InputError(f"{b.path}: {used_ref} has no {BUILD_CUDA}")
    parsed = parse_build_cuda(text, f"{used_ref}:{BUILD_CUDA}")
    fileinfo(BUILD_CUDA)
    rep.info += parsed["warnings"]

    inst_text = b.show(commit, INSTALL_CUDA)
    inst_commit, inst_note = commit, ""
    if inst_text is None:
        lc = b.last_change(commit, INSTALL_CUDA)
        if lc:
            inst_commit = b.commit(lc[0] + "^")
            inst_text = b.show(inst_commit, INSTALL_CUDA) if inst_commit else None
            inst_note = (f"absent at {used_ref}; deleted by {lc[0][:12]} ({lc[1]}); "
                         f"read the last copy, {inst_commit[:12] if inst_commit else '?'}")
    install = parse_install_cuda(inst_text, f"{used_ref}:{INSTALL_CUDA}") if inst_text else {}
    if inst_text:
        fi = fileinfo(INSTALL_CUDA, inst_note, inst_commit)
        fi["commit"] = inst_commit
    else:
        rep.info.append(f"{used_ref}: no {INSTALL_CUDA} in its history; Linux CUDA/cuDNN not derived")

    win_files = [f for f in b.ls(commit, WIN_DIR) if re.fullmatch(r"cuda\d{2,3}\.bat", f)]
    win_arch = {}
    for f in win_files:
        p = f"{WIN_DIR}/{f}"
        win_arch[minor_of_nodot(f[4:-4])] = (parse_win_bat(b.show(commit, p) or "", f"{used_ref}:{p}"), p)
        fileinfo(p)
    wtext = b.show(commit, WIN_INSTALL)
    win_inst = parse_win_install(wtext, f"{used_ref}:{WIN_INSTALL}") if wtext else {}
    if wtext:
        fileinfo(WIN_INSTALL, "skipped on runners whose image already has CUDA")

    matrix, matrix_src = None, ""
    if ti:
        tref, tcommit = resolve_ref(ti, [ref] if ref and ti.commit(ref) else [t.format(minor=minor) for t in tmpl.split(",")])
        ttext = ti.show(tcommit, TI_MATRIX)
        if ttext is None:
            raise InputError(f"{ti.path}: {tref} has no {TI_MATRIX}")
        matrix = parse_ti_matrix(ttext, channel, f"{tref}:{TI_MATRIX}")
        rep.refs.append({"repo": ti.name, "ref": tref, "commit": tcommit, "date": ti.date(tcommit),
                         "files": [{"path": TI_MATRIX, "commit": tcommit,
                                    "note": f"release-validation matrix, channel {channel!r}"}]})
        matrix_src = f"{ti.name} {tref}:{TI_MATRIX}"
        cuda_minors = matrix["cuda"]
    else:
        # without a matrix: the CUDA versions that have both a Windows .bat and a Linux arm
        cuda_minors = sorted((m for m in win_arch if arm_for(parsed, m)[0]), key=vkey)

    def facts_for(cm: str, platform: str) -> dict | None:
        """What the scripts at this ref say about CUDA `cm` on `platform` (None: no arm / no .bat)."""
        name = "cu" + cm.replace(".", "")
        if platform == "linux-x86_64":
            pat, lists = arm_for(parsed, cm)
            if pat is None:
                return None
            al = sort_arches(lists["x86"])
            w = f"{used_ref}:{BUILD_CUDA} arm {pat}"
            v = {"name": name, "platform": platform, "arch_list": al,
                 "ptx": any(e.endswith("+PTX") for e in al), "_where": {"arch_list": w, "ptx": w}}
            for fld in ("cuda", "cudnn"):
                if fld in install.get(cm, {}):
                    v[fld] = install[cm][fld]
                    v["_where"][fld] = (f"{used_ref}:{INSTALL_CUDA} install_{name[2:]}" if not inst_note else
                                        f"{inst_commit[:12]}:{INSTALL_CUDA} install_{name[2:]} (last copy before deletion)")
            return v
        if platform == "windows-x86_64":
            if cm not in win_arch:
                return None
            al, p = win_arch[cm]
            al = sort_arches(al)
            v = {"name": name, "platform": platform, "arch_list": al,
                 "ptx": any(e.endswith("+PTX") for e in al),
                 "_where": {"arch_list": f"{used_ref}:{p}", "ptx": f"{used_ref}:{p}"}}
            for fld in ("cuda", "cudnn"):
                if fld in win_inst.get(cm, {}):
                    v[fld] = win_inst[cm][fld]
                    v["_where"][fld] = f"{used_ref}:{WIN_INSTALL} :cuda{name[2:]} (skipped where the runner image has CUDA)"
            return v
        return None  # linux-aarch64: arch lists are not set by these scripts

    variants = []  # the upstream variant set, with facts
    for cm in cuda_minors:
        for plat in ("linux-x86_64", "windows-x86_64"):
            v = facts_for(cm, plat)
            if v:
                variants.append(v)
            elif matrix:
                what = "build_cuda.sh has no arm" if plat == "linux-x86_64" else f"there is no windows/cuda{cm.replace('.', '')}.bat"
                rep.info.append(f"{used_ref}: CUDA {cm} is in the matrix but {what} for it")
    if matrix and matrix.get("aarch64"):
        variants.append({"name": matrix["aarch64"], "platform": "linux-aarch64",
                         "_where": {"presence": matrix_src}})
    return {"minor": minor, "ref": used_ref, "commit": commit, "variants": variants, "matrix": matrix,
            "matrix_src": matrix_src, "install_commit": inst_commit, "facts_for": facts_for}


def cmd_torch(args) -> Report:
    global BUILD_CUDA, INSTALL_CUDA, WIN_DIR, WIN_INSTALL
    if not args.builder:
        raise InputError("torch: --builder is required")
    BUILD_CUDA, INSTALL_CUDA = args.build_cuda_path, args.install_cuda_path
    WIN_DIR = args.windows_dir
    WIN_INSTALL = f"{WIN_DIR}/internal/cuda_install.bat"
    b = Repo(args.builder, args.builder_repo)
    ti = Repo(args.test_infra, args.test_infra_repo) if args.test_infra else None
    data = load_data(Path(args.data), "pytorch.json")
    rep = Report("torch")
    file_comment = data.get("comment", "")
    sources = data.get("sources", {})
    for minor, ref in parse_releases_arg(args.releases):
        r = torch_read_release(b, ti, minor, ref, args.ref_template, args.channel, rep)
        rep.facts.append(r)
        drs = [d for d in data["releases"] if re.match(re.escape(minor) + r"(\.|$)", str(d.get("version", "")))]
        if not drs:
            rep.info.append(f"data/pytorch.json has no release {minor}.x")
        # the commits data cites for this ref
        cited = {}
        for d in drs:
            ids = d.get("source", [])
            ids = [ids] if isinstance(ids, str) else ids
            for v in d.get("variants", []):
                vs = v.get("source", [])
                ids += [vs] if isinstance(vs, str) else vs
            for sid in ids:
                s = sources.get(sid, {})
                if s.get("repo") == b.name and s.get("ref") == r["ref"]:
                    cited[sid] = s.get("commit")
        for sid, c in sorted(cited.items()):
            scope = f"{minor} source {sid}"
            if c == r["commit"]:
                rep.match(scope, "commit")
            else:
                rep.diff(scope, "commit", c, r["commit"], f"{b.name} {r['ref']}",
                         "the branch moved since data was written, or data cites another commit")
        for d in drs:
            ver = d["version"]
            if r["matrix"] and r["matrix"].get("python") and "python" in d:
                rep.compared.add(ver)
                compare(rep, ver, "python", d, r["matrix"]["python"], r["matrix_src"])
            dvars = {(v.get("name"), v.get("platform")): v for v in d.get("variants", [])}
            up = {(v["name"], v["platform"]): v for v in r["variants"]}
            set_src = r["matrix_src"] or f"{r['ref']}: windows/cuda*.bat with a build_cuda.sh arm"
            for key, uv in up.items():
                if key in dvars:
                    continue
                scope = f"{ver} {key[0]} {key[1]}"
                msg = "the file's comment lists it as left out" if scope in file_comment else ""
                if r["matrix"]:
                    rep.diff(scope, "variant", None, "present", uv["_where"].get("presence") or set_src, msg)
                else:
                    rep.info.append(f"{scope}: build scripts have it, data does not "
                                    f"(no build matrix read: pass --test-infra to decide)")
            for key, dv in dvars.items():
                scope = f"{ver} {key[0]} {key[1]}"
                m = re.fullmatch(r"cu(\d{2,3})", str(key[0]))
                uv = up.get(key) or (r["facts_for"](minor_of_nodot(m.group(1)), key[1]) if m else None)
                if key not in up and (r["matrix"] or uv is None) and not (key[1] == "linux-aarch64" and not r["matrix"]):
                    why = ("not in the release matrix" if r["matrix"] else
                           "no build_cuda.sh arm / windows .bat for this CUDA version")
                    rep.diff(scope, "variant", "present", None, set_src, why)
                if key in up and r["matrix"]:
                    rep.match(scope, "variant")
                if uv is None or key[1] == "linux-aarch64":
                    continue
                rep.compared.add(scope)
                for fld in ("cuda", "cudnn", "arch_list"):
                    if fld in uv:
                        compare(rep, scope, fld, dv, uv[fld], uv["_where"].get(fld, ""))
                if "ptx" in uv and "ptx" in dv:
                    compare(rep, scope, "ptx", dv, uv["ptx"], uv["_where"].get("ptx", ""))
    return rep


def torch_fragments(rep: Report, b_repo: str) -> dict:
    out = {"sources": {}, "releases": []}
    for r in rep.facts:
        tag = "builder_r" + r["minor"].replace(".", "")
        out["sources"][tag + "_build_cuda"] = {"repo": b_repo, "path": BUILD_CUDA, "commit": r["commit"], "ref": r["ref"]}
        out["sources"][tag + "_install_cuda"] = {"repo": b_repo, "path": INSTALL_CUDA, "commit": r["install_commit"],
                                                 "ref": r["ref"] if r["install_commit"] == r["commit"] else
                                                 f"last copy before deletion (reached from {r['ref']})"}
        out["sources"][tag + "_windows"] = {"repo": b_repo, "path": f"{WIN_DIR}/cuda*.bat, " + WIN_INSTALL,
                                            "commit": r["commit"], "ref": r["ref"]}
        vs = []
        for v in r["variants"]:
            x = {k: v[k] for k in ("name", "platform", "cuda", "cudnn", "arch_list", "ptx") if k in v}
            if v["platform"] == "linux-x86_64":
                x["source"] = [tag + "_build_cuda", tag + "_install_cuda"]
            elif v["platform"] == "windows-x86_64":
                x["source"] = [tag + "_windows"]
            else:
                x["comment"] = "presence from the release matrix only; facts not derived"
            vs.append(x)
        out["releases"].append({"release_branch": r["minor"], "variants": vs})
    return out


# --------------------------------------------------------------------------------------------
# jax: jax-ml/jax tags jax-vX.Y.Z (setup.py, jax/version.py, plugin pins)


class Unresolved(Exception):
    pass


class SafeEval:
    """Evaluate the literal parts of a setup.py without running it: constants, f-strings,
    names bound to such values, lists, dicts (with ** unpacking), comprehensions over them."""

    def __init__(self, names: dict):
        self.names = dict(names)

    def ev(self, n):
        if isinstance(n, ast.Constant):
            return n.value
        if isinstance(n, ast.JoinedStr):
            return "".join(str(self.ev(v)) for v in n.values)
        if isinstance(n, ast.FormattedValue):
            return str(self.ev(n.value))
        if isinstance(n, ast.Name):
            if n.id in self.names:
                return self.names[n.id]
            raise Unresolved(n.id)
        if isinstance(n, (ast.List, ast.Tuple)):
            out = []
            for e in n.elts:
                if isinstance(e, ast.Starred):
                    out += list(self.ev(e.value))
                else:
                    out.append(self.ev(e))
            return out
        if isinstance(n, ast.Dict):
            d = {}
            for k, v in zip(n.keys, n.values):
                if k is None:
                    d.update(self.ev(v))
                else:
                    d[self.ev(k)] = self.ev(v)
            return d
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            return self.ev(n.left) + self.ev(n.right)
        if isinstance(n, ast.IfExp):
            return self.ev(n.body) if self.ev(n.test) else self.ev(n.orelse)
        if isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], (ast.Eq, ast.NotEq)):
            r = self.ev(n.left) == self.ev(n.comparators[0])
            return r if isinstance(n.ops[0], ast.Eq) else not r
        if isinstance(n, ast.Subscript):
            return self.ev(n.value)[self.ev(n.slice)]
        if isinstance(n, (ast.DictComp, ast.ListComp)):
            out = {} if isinstance(n, ast.DictComp) else []
            self._comp(n, n.generators, out)
            return out
        raise Unresolved(type(n).__name__)

    def _comp(self, n, gens, out):
        if not gens:
            if isinstance(n, ast.DictComp):
                out[self.ev(n.key)] = self.ev(n.value)
            else:
                out.append(self.ev(n.elt))
            return
        g = gens[0]
        if not isinstance(g.target, ast.Name):
            raise Unresolved("comprehension target")
        saved = self.names.get(g.target.id, Unresolved)
        for item in self.ev(g.iter):
            self.names[g.target.id] = item
            if all(self.ev(c) for c in g.ifs):
                self._comp(n, gens[1:], out)
        if saved is Unresolved:
            self.names.pop(g.target.id, None)
        else:
            self.names[g.target.id] = saved


def module_names(tree: ast.Module, ev: SafeEval, pinned=()):
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in pinned:
                continue
            try:
                ev.names[node.targets[0].id] = ev.ev(node.value)
            except (Unresolved, KeyError, IndexError, TypeError):
                pass


def find_setup_call(tree) -> ast.Call | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setup":
            return node
    return None


def parse_setup(text: str, preset: dict, where: str, pinned=()) -> dict:
    """setup(...) keywords of a setup.py, evaluated without running it; names in `pinned` keep
    their preset value (placeholders such as the plugin's `cuda_version = 0`)."""
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise InputError(f"{where}: Python syntax error at line {e.lineno}")
    ev = SafeEval(preset)
    module_names(tree, ev, pinned)
    for k, v in preset.items():  # values read from version.py win over placeholders
        if v is not None:
            ev.names.setdefault(k, v)
    call = find_setup_call(tree)
    if call is None:
        raise InputError(f"{where}: no setup(...) call")
    out = {"warnings": []}
    for kw in call.keywords:
        if kw.arg in ("python_requires", "install_requires", "extras_require", "classifiers"):
            try:
                out[kw.arg] = ev.ev(kw.value)
            except (Unresolved, KeyError, IndexError, TypeError) as e:
                # per-item evaluation for dicts and lists so that one opaque entry does not hide the rest
                if isinstance(kw.value, ast.Dict):
                    d = {}
                    for k, v in zip(kw.value.keys, kw.value.values):
                        try:
                            if k is None:
                                d.update(ev.ev(v))
                            else:
                                d[ev.ev(k)] = ev.ev(v)
                        except (Unresolved, KeyError, IndexError, TypeError) as e2:
                            out["warnings"].append(f"{where}: {kw.arg} entry not evaluated ({e2})")
                    out[kw.arg] = d
                else:
                    out["warnings"].append(f"{where}: {kw.arg} not evaluated ({e})")
    return out


def version_py(text: str | None) -> dict:
    res = {}
    if not text:
        return res
    for name in ("_version", "_minimum_jaxlib_version"):
        m = re.search(r"^" + name + r"\s*=\s*['\"]([^'\"]+)['\"]", text, re.M)
        if m:
            res[name] = m.group(1)
    return res


PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(\[[^\]]*\])?\s*((?:[<>=!~]=?\s*[\w.*+]+\s*,?\s*)*)\s*(?:;.*)?$")


def pin_floor(spec: str) -> str | None:
    m = re.search(r">=\s*([\w.]+)", spec or "")
    return m.group(1) if m else None


def mm(v: str | None) -> str | None:
    if not v:
        return None
    parts = v.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else v


def nvidia_pins_from_requirements(text: str) -> dict[int, dict[str, str]]:
    """build/nvidia-requirements.txt: {cuda_major: {package: floor}}; blocks are separated by blank lines."""
    blocks, cur = [], []
    for ln in text.splitlines():
        if not ln.strip():
            if cur:
                blocks.append(cur)
                cur = []
            continue
        if ln.lstrip().startswith("#"):
            continue
        cur.append(ln)
    if cur:
        blocks.append(cur)
    res: dict[int, dict[str, str]] = {}
    for blk in blocks:
        pins = {}
        majors = []
        for ln in blk:
            m = PIN.match(ln)
            if not m:
                continue
            name, spec = m.group(1), m.group(3)
            mj = re.search(r"-cu(\d+)$", name)
            if mj:
                majors.append(int(mj.group(1)))
            f = pin_floor(spec)
            if f:
                pins[name] = f
        if not pins:
            continue
        if majors:
            major = max(set(majors), key=majors.count)
        else:
            rt = [v for k, v in pins.items() if k.startswith("nvidia-cuda-runtime")]
            if not rt:
                continue
            major = int(rt[0].split(".")[0])
        res.setdefault(major, {}).update(pins)
    return res


def jax_read_tag(repo: Repo, version: str, tmpl: str, rep: Report) -> dict:
    ref, commit = resolve_ref(repo, [t.format(version=version) for t in tmpl.split(",")])
    refinfo = {"repo": repo.name, "ref": ref, "commit": commit, "date": repo.date(commit), "files": []}
    rep.refs.append(refinfo)
    setup_text = repo.show(commit, "setup.py")
    if setup_text is None:
        raise InputError(f"{repo.path}: {ref} has no setup.py")
    refinfo["files"].append({"path": "setup.py", "commit": commit})
    vp = version_py(repo.show(commit, "jax/version.py"))
    preset = {"_jax_version": vp.get("_version"), "_minimum_jaxlib_version": vp.get("_minimum_jaxlib_version")}
    st = parse_setup(setup_text, {k: v for k, v in preset.items() if v}, f"{ref}:setup.py")
    rep.info += st["warnings"]

    # pins of the plugin's with-cuda extra
    plugin_pins: dict[int, dict[str, str]] = {}
    plugin_where = ""
    req = repo.show(commit, "build/nvidia-requirements.txt")
    if req is not None:
        plugin_pins = nvidia_pins_from_requirements(req)
        plugin_where = f"{ref}:build/nvidia-requirements.txt"
        refinfo["files"].append({"path": "build/nvidia-requirements.txt", "commit": commit})
    else:
        ptext = repo.show(commit, "jax_plugins/cuda/plugin_setup.py")
        if ptext is not None:
            refinfo["files"].append({"path": "jax_plugins/cuda/plugin_setup.py", "commit": commit})
            plugin_where = f"{ref}:jax_plugins/cuda/plugin_setup.py"
            majors = set()
            for reqs in (parse_setup(setup_text, {k: v for k, v in preset.items() if v}, f"{ref}:setup.py")
                         .get("extras_require") or {}).values():
                for r in reqs if isinstance(reqs, list) else [reqs]:
                    m = re.search(r"jax-cuda(\d+)-plugin\[with[-_]cuda\]", str(r))
                    if m:
                        majors.add(int(m.group(1)))
            for major in sorted(majors):
                pst = parse_setup(ptext, {"cuda_version": major}, plugin_where, pinned=("cuda_version",))
                rep.info += [w for w in pst["warnings"] if w not in rep.info]
                for key, reqs in (pst.get("extras_require") or {}).items():
                    if re.sub("-", "_", str(key)) != "with_cuda":
                        continue
                    for r in reqs if isinstance(reqs, list) else []:
                        m = PIN.match(str(r))
                        mj = m and re.search(r"-cu(\d+)$", m.group(1))
                        f = m and pin_floor(m.group(3))
                        # the pin counts for this major only if its own suffix says so, or it has none
                        # and the runtime it belongs to is of this major (cuda_whl_sfx placeholders)
                        if f and (not mj or int(mj.group(1)) == major):
                            if not mj and m.group(1).startswith("nvidia-cuda-runtime") and not f.startswith(f"{major}."):
                                continue
                            plugin_pins.setdefault(major, {})[m.group(1)] = f

    facts = {"version": version, "ref": ref, "commit": commit, "extras": []}
    cls = [c for c in st.get("classifiers") or [] if isinstance(c, str)]
    py = [m.group(1) for c in cls for m in [re.fullmatch(r"Programming Language :: Python :: (\d+\.\d+)", c)] if m]
    if py:
        facts["python"] = sorted(py, key=vkey)
    if isinstance(st.get("python_requires"), str):
        facts["python_requires"] = st["python_requires"]
    for r in st.get("install_requires") or []:
        if isinstance(r, str) and re.match(r"^\s*numpy\s*>=", r) and ";" not in r:
            facts["numpy"] = re.sub(r"\s+", "", r)
            break
    extras = st.get("extras_require") or {}
    if not isinstance(extras, dict):
        raise InputError(f"{ref}:setup.py: extras_require is not a dict")
    for name, reqs in extras.items():
        if not str(name).startswith("cuda"):
            continue
        reqs = [reqs] if isinstance(reqs, str) else list(reqs)
        x = {"name": name, "requires": reqs, "_where": {}}
        with_cuda, major, pins, nvidia = False, None, {}, False
        for r in reqs:
            r = str(r)
            m = re.search(r"jax-cuda(\d+)-plugin(\[([^\]]+)\])?", r)
            if m:
                major = int(m.group(1))
                if m.group(3) and re.sub("-", "_", m.group(3)) == "with_cuda":
                    with_cuda = True
            m = re.search(r"jaxlib\s*==\s*[\w.]+\+cuda(\d+)\.cudnn(\d+)", r)
            if m:
                major = int(m.group(1))
                d = m.group(2)
                x["cudnn_min"] = f"{d[0]}.{d[1:]}" if len(d) == 2 else f"{d[0]}.{d[1]}"
                x["_where"]["cudnn_min"] = f"{ref}:setup.py jaxlib local version +cuda{m.group(1)}.cudnn{d}"
            pm = PIN.match(r)
            if pm and pm.group(1).startswith("nvidia-"):
                nvidia = True
                if pin_floor(pm.group(3)):
                    pins[pm.group(1)] = pin_floor(pm.group(3))
        pin_where = f"{ref}:setup.py extra {name}"
        if with_cuda and major in plugin_pins:
            pins = {**plugin_pins[major], **pins}
            pin_where = plugin_where
        elif with_cuda:
            rep.info.append(f"{ref}: extra {name} pulls jax-cuda{major}-plugin[with-cuda] but its pins were not found")
        x["local"] = not (with_cuda or nvidia)
        if major:
            x["cuda_major"] = major
        if not x["local"]:
            cud = [v for k, v in pins.items() if re.fullmatch(r"nvidia-cudnn(-cu\d+)?", k)]
            rt = [v for k, v in pins.items() if re.fullmatch(r"nvidia-cuda-runtime(-cu\d+)?", k)]
            if cud:
                x["cudnn_min"] = mm(cud[0])
                x["_where"]["cudnn_min"] = pin_where
            if rt:
                x["cuda_min"] = mm(rt[0])
                x["_where"]["cuda_min"] = pin_where
        x["_where"]["local"] = f"{ref}:setup.py extra {name}"
        facts["extras"].append(x)
    return facts


def cmd_jax(args) -> Report:
    if not args.jax:
        raise InputError("jax: --jax is required")
    repo = Repo(args.jax, args.jax_repo)
    data = load_data(Path(args.data), "jax.json")
    rep = Report("jax")
    by_ver = {str(d.get("version")): d for d in data["releases"]}
    if not args.versions:
        raise InputError("jax: --versions is required (a list, or 'data' for every release in jax.json)")
    if args.versions == "data":
        versions = [v for v in by_ver if repo.commit(args.tag_template.split(",")[0].format(version=v))]
    else:
        versions = [v.strip() for v in args.versions.split(",") if v.strip()]
        for v in versions:
            if not re.fullmatch(r"\d+(\.\d+)+", v):
                raise InputError(f"--versions: {v!r} is not a version")
    sources = data.get("sources", {})
    for v in versions:
        f = jax_read_tag(repo, v, args.tag_template, rep)
        rep.facts.append(f)
        d = by_ver.get(v)
        if d is None:
            rep.diff(v, "release", None, "present", f["ref"], "tag exists, data has no record")
            continue
        rep.compared.add(v)
        for fld in ("python", "numpy"):
            if fld in f:
                compare(rep, v, fld, d, f[fld], f"{f['ref']}:setup.py")
        # cited commits for this tag
        ids = d.get("source", [])
        ids = [ids] if isinstance(ids, str) else list(ids)
        for e in d.get("extras", []):
            es = e.get("source", [])
            ids += [es] if isinstance(es, str) else es
        for sid in sorted(set(ids)):
            s = sources.get(sid, {})
            if s.get("repo") == repo.name and s.get("ref") == f["ref"] and s.get("commit"):
                if s["commit"] == f["commit"]:
                    rep.match(f"{v} source {sid}", "commit")
                else:
                    rep.diff(f"{v} source {sid}", "commit", s["commit"], f["commit"], f["ref"])
        dex = {e.get("name"): e for e in d.get("extras", [])}
        uex = {x["name"]: x for x in f["extras"]}
        for name, x in uex.items():
            scope = f"{v} extra {name}"
            if name not in dex:
                rep.diff(scope, "extra", None, "present", f"{f['ref']}:setup.py",
                         f"the release's comment mentions {name}" if re.search(
                             r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", d.get("comment") or "") else "")
                continue
            rep.compared.add(scope)
            for fld in ("local", "cuda_min", "cudnn_min"):
                if fld in x:
                    compare(rep, scope, fld, dex[name], x[fld], x["_where"].get(fld, ""))
        for name in dex:
            if name not in uex:
                rep.diff(f"{v} extra {name}", "extra", "present", None, f"{f['ref']}:setup.py",
                         "setup.py at the tag has no such extra")
    return rep


def jax_fragments(rep: Report) -> dict:
    out = {"releases": []}
    for f in rep.facts:
        r = {k: f[k] for k in ("version", "python", "numpy", "python_requires") if k in f}
        r["extras"] = [{k: x[k] for k in ("name", "local", "cuda_min", "cudnn_min", "requires") if k in x}
                       for x in f["extras"]]
        r["source_commit"] = {"repo": rep.refs[0]["repo"] if rep.refs else "", "ref": f["ref"], "commit": f["commit"]}
        out["releases"].append(r)
    return out


# --------------------------------------------------------------------------------------------
# cuda / cudnn: NVIDIA redistrib manifests

PLATFORM_KEYS = re.compile(r"^(linux|windows|source)(-[a-z0-9_]+)?$")


def read_manifests(dirs: list[str]) -> list[dict]:
    out = []
    if not dirs:
        raise InputError("--manifests: no folder given")
    for d in dirs:
        if not os.path.isdir(d):
            raise InputError(f"{d}: not a directory")
        for fn in sorted(os.listdir(d)):
            m = re.search(r"redistrib_(\d+(?:\.\d+)+)\.json$", fn)
            if not m:
                continue
            p = os.path.join(d, fn)
            try:
                with open(p, encoding="utf-8") as f:
                    j = json.load(f)
            except json.JSONDecodeError as e:
                raise InputError(f"{p}: not valid JSON ({e.msg} at line {e.lineno})")
            if not isinstance(j, dict):
                raise InputError(f"{p}: not a JSON object")
            prod = j.get("release_product")
            if not prod:
                prod = "cudnn" if "cudnn" in j else ("cuda" if any(k.startswith("cuda_") for k in j) else None)
            if prod is None:
                raise InputError(f"{p}: neither a CUDA nor a cuDNN manifest")
            out.append({"path": p, "file_version": m.group(1), "product": prod, "json": j})
    return out


def cuda_manifest_facts(mf: dict) -> dict:
    j = mf["json"]
    label = j.get("release_label") or mf["file_version"]
    if not re.fullmatch(r"\d+\.\d+\.\d+", str(label)):
        raise InputError(f"{mf['path']}: release_label {label!r} is not X.Y.Z")
    plats = set()
    for k, v in j.items():
        if isinstance(v, dict):
            plats |= {p for p in v if PLATFORM_KEYS.match(p) and p not in ("source",) and not p.endswith("-all")}
    f = {"version": label, "platforms": sorted(plats), "_path": mf["path"]}
    if j.get("release_date"):
        f["date"] = j["release_date"]
    drv = j.get("nvidia_driver")
    if isinstance(drv, dict) and drv.get("version"):
        f["bundled_driver"] = {p: drv["version"] for p in drv if PLATFORM_KEYS.match(p)}
    return f


def cudnn_manifest_facts(mf: dict) -> dict:
    j = mf["json"]
    comp = j.get("cudnn")
    if not isinstance(comp, dict) or not comp.get("version"):
        raise InputError(f"{mf['path']}: no 'cudnn' component with a version")
    full = comp["version"]
    if not re.fullmatch(r"\d+\.\d+\.\d+(\.\d+)?", full):
        raise InputError(f"{mf['path']}: cudnn version {full!r} malformed")
    builds: dict[int, set] = {}
    anomalies = []
    prod_major = re.search(r"cuda-(\d+)$", str(j.get("release_product", "")))
    for plat, v in comp.items():
        if not PLATFORM_KEYS.match(plat) or not isinstance(v, dict):
            continue
        subs = {k: s for k, s in v.items() if re.fullmatch(r"cuda\d+", k) and isinstance(s, dict)}
        for k in subs:
            builds.setdefault(int(k[4:]), set()).add(plat)
        if "relative_path" in v:
            m = re.search(r"_cuda(\d+)(?:\.\d+)?-archive", v["relative_path"])
            major = int(m.group(1)) if m else (int(prod_major.group(1)) if prod_major else None)
            if major is None:
                anomalies.append(f"{plat}: archive without a CUDA variant")
                continue
            if subs:
                anomalies.append(f"{plat}: flat archive {os.path.basename(v['relative_path'])} beside per-variant entries")
            builds.setdefault(major, set()).add(plat)
    f = {"version": ".".join(full.split(".")[:3]), "full_version": full, "_path": mf["path"],
         "builds": {k: sorted(v) for k, v in builds.items()}, "anomalies": anomalies,
         "per_major_file": bool(prod_major)}
    if j.get("release_date"):
        f["date"] = j["release_date"]
    return f


def merge_by_version(facts: list[dict], rep: Report, fields: tuple) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for f in facts:
        v = f["version"]
        if v not in out:
            out[v] = dict(f)
            out[v]["_paths"] = [f["_path"]]
            out[v]["dates"] = {f["date"]: [f["_path"]]} if "date" in f else {}
            continue
        o = out[v]
        o["_paths"].append(f["_path"])
        if "date" in f:
            o["dates"].setdefault(f["date"], []).append(f["_path"])
        for fld in fields:
            if fld in f and fld in o and f[fld] != o[fld] and fld != "builds":
                rep.info.append(f"{v}: manifests disagree on {fld}: {fmt(o[fld])} ({o['_path']}) vs "
                                f"{fmt(f[fld])} ({f['_path']})")
        if "builds" in f:
            for k, plats in f["builds"].items():
                o["builds"][k] = sorted(set(o["builds"].get(k, [])) | set(plats))
            o["anomalies"] = o.get("anomalies", []) + f.get("anomalies", [])
    return out


def compare_date(rep: Report, scope: str, d: dict, u: dict, file_comment: str = ""):
    dates = u.get("dates") or {}
    if not dates:
        return
    if d.get("date") in dates:
        rep.match(scope, "date")
        if len(dates) > 1:
            rep.info.append(f"{scope}: manifests carry several dates {sorted(dates)}; data has {d['date']}")
        return
    up = sorted(dates)[0] if len(dates) == 1 else " or ".join(sorted(dates))
    note = "data lacks the field" if d.get("date") is None else mention_note(d, sorted(dates)[0])
    if not note and sorted(dates)[0] in file_comment:
        note = f"the file's comment mentions {sorted(dates)[0]}"
    rep.diff(scope, "date", d.get("date"), up, ", ".join(os.path.basename(p) for p in u["_paths"]), note)


def cmd_cuda(args) -> Report:
    data = load_data(Path(args.data), "cuda.json")
    rep = Report("cuda")
    mfs = [m for m in read_manifests(args.manifests) if m["product"] == "cuda"]
    if not mfs:
        raise InputError("no CUDA redistrib manifest in " + ", ".join(args.manifests))
    ups = merge_by_version([cuda_manifest_facts(m) for m in mfs], rep, ("platforms", "bundled_driver"))
    rep.facts = list(ups.values())
    byv = {str(d.get("version")): d for d in data["releases"]}
    for v in sorted(ups, key=vkey):
        u = ups[v]
        where = ", ".join(os.path.basename(p) for p in u["_paths"])
        d = byv.get(v)
        if d is None:
            rep.diff(v, "release", None, "present", where, "manifest exists, data has no record")
            continue
        rep.compared.add(v)
        compare_date(rep, v, d, u)
        if "bundled_driver" in u and "bundled_driver" in d:
            compare(rep, v, "bundled_driver", d, {k: u["bundled_driver"][k] for k in d["bundled_driver"]
                                                  if k in u["bundled_driver"]} or u["bundled_driver"], where)
            extra = sorted(set(u["bundled_driver"]) - set(d["bundled_driver"]))
            if extra:
                rep.info.append(f"{v}: manifest also bundles a driver for {', '.join(extra)} "
                                f"({u['bundled_driver'][extra[0]]}); data lists only {', '.join(sorted(d['bundled_driver']))}")
        elif "bundled_driver" in d and "bundled_driver" not in u:
            rep.diff(v, "bundled_driver", d["bundled_driver"], None, where, "manifest has no nvidia_driver")
        if "platforms" in d:
            compare(rep, v, "platforms", d, u["platforms"], where)
    missing = [v for v in byv if v not in ups]
    if missing:
        rep.info.append(f"{len(missing)} data releases have no manifest in the folders given (not a difference)")
    return rep


def cmd_cudnn(args) -> Report:
    data = load_data(Path(args.data), "cudnn.json")
    rep = Report("cudnn")
    mfs = [m for m in read_manifests(args.manifests) if m["product"].startswith("cudnn")]
    if not mfs:
        raise InputError("no cuDNN redistrib manifest in " + ", ".join(args.manifests))
    ups = merge_by_version([cudnn_manifest_facts(m) for m in mfs], rep, ("full_version",))
    rep.facts = list(ups.values())
    byv = {str(d.get("version")): d for d in data["releases"]}
    for v in sorted(ups, key=vkey):
        u = ups[v]
        where = ", ".join(os.path.basename(p) for p in u["_paths"])
        for a in sorted(set(u.get("anomalies", []))):
            rep.info.append(f"{v}: manifest anomaly: {a}")
        d = byv.get(v)
        if d is None:
            rep.diff(v, "release", None, "present", where, "manifest exists, data has no record")
            continue
        rep.compared.add(v)
        compare(rep, v, "full_version", d, u["full_version"], where)
        compare_date(rep, v, d, u, data.get("comment", ""))
        dbuilds = {}
        for b in d.get("builds", []):
            dbuilds.setdefault(b.get("cuda_major"), b)
        for major, plats in sorted(u["builds"].items(), reverse=True):
            scope = f"{v} cuda{major}"
            b = dbuilds.get(major)
            if b is None:
                rep.diff(scope, "build", None, "present", where)
                continue
            rep.compared.add(scope)
            compare(rep, scope, "archive_suffix", b, f"cuda{major}", where)
            dp = b.get("platforms")
            if dp is None:
                rep.diff(scope, "platforms", None, plats, where, "data lacks the field")
            elif sorted(dp) == plats:
                rep.match(scope, "platforms")
            else:
                extra = sorted(set(plats) - set(dp))
                lack = sorted(set(dp) - set(plats))
                note = "; ".join(x for x in (f"manifest adds {', '.join(extra)}" if extra else "",
                                              f"manifest lacks {', '.join(lack)}" if lack else "") if x)
                rep.diff(scope, "platforms", dp, plats, where, note)
        for major in dbuilds:
            if major not in u["builds"]:
                rep.diff(f"{v} cuda{major}", "build", "present", None, where, "no such variant in the manifest(s)")
    missing = [v for v in byv if v not in ups]
    if missing:
        rep.info.append(f"{len(missing)} data releases have no manifest in the folders given (not a difference)")
    return rep


def manifest_fragment(f: dict) -> dict:
    """A cuda.json / cudnn.json-shaped record from merged manifest facts."""
    out = {"version": f["version"]}
    if "full_version" in f:
        out["full_version"] = f["full_version"]
    dates = sorted(f.get("dates") or {})
    if dates:
        out["date"] = dates[0]
    if "bundled_driver" in f:
        out["bundled_driver"] = f["bundled_driver"]
    if "builds" in f:
        out["builds"] = [{"cuda_major": k, "archive_suffix": f"cuda{k}", "platforms": f["builds"][k]}
                         for k in sorted(f["builds"], reverse=True)]
    elif "platforms" in f:
        out["platforms"] = f["platforms"]
    out["manifests"] = [os.path.basename(p) for p in f.get("_paths", [])]
    notes = []
    if len(dates) > 1:
        notes.append("manifests carry several dates: " + ", ".join(
            f"{d} ({', '.join(os.path.basename(p) for p in f['dates'][d])})" for d in dates))
    notes += sorted(set(f.get("anomalies", [])))
    if notes:
        out["comment"] = "; ".join(notes)
    return out


# --------------------------------------------------------------------------------------------
# command line


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise InputError(message)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", default=str(DEFAULT_DATA), help="data/ folder (default: %(default)s)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument("--write", action="store_true", help="print the regenerated JSON fragments")
    common.add_argument("-v", "--verbose", action="store_true", help="also list matching fields")
    sub = p.add_subparsers(dest="cmd", parser_class=Parser)
    t = sub.add_parser("torch", parents=[common], help="pytorch/builder release branches vs pytorch.json")
    t.add_argument("--builder", help="pytorch/builder checkout or bare git dir")
    t.add_argument("--builder-repo", default="pytorch/builder", help="owner/name for sources")
    t.add_argument("--test-infra", help="pytorch/test-infra checkout (release matrix: variant set, Python)")
    t.add_argument("--test-infra-repo", default="pytorch/test-infra")
    t.add_argument("--releases", required=True, help="e.g. 2.1,2.2 or 2.5:COMMIT")
    t.add_argument("--ref-template", default="release/{minor},origin/release/{minor}",
                   help="comma-separated candidates (default: %(default)s)")
    t.add_argument("--channel", default="test", help="test-infra channel that names the release's CUDA set")
    t.add_argument("--build-cuda-path", default="manywheel/build_cuda.sh",
                   help="path of build_cuda.sh in the repository (pytorch/pytorch: .ci/manywheel/build_cuda.sh)")
    t.add_argument("--install-cuda-path", default="common/install_cuda.sh",
                   help="(pytorch/pytorch: .ci/docker/common/install_cuda.sh)")
    t.add_argument("--windows-dir", default="windows", help="folder of cudaXYZ.bat and internal/cuda_install.bat "
                   "(pytorch/pytorch: .ci/pytorch/windows)")
    j = sub.add_parser("jax", parents=[common], help="jax-ml/jax tags vs jax.json")
    j.add_argument("--jax", help="jax-ml/jax checkout or bare git dir")
    j.add_argument("--jax-repo", default="jax-ml/jax")
    j.add_argument("--versions", help="e.g. 0.4.30,0.11.0, or 'data'")
    j.add_argument("--tag-template", default="jax-v{version}")
    for name in ("cuda", "cudnn"):
        c = sub.add_parser(name, parents=[common], help=f"redistrib manifests vs {name}.json")
        c.add_argument("--manifests", nargs="+", required=True, help="folders of redistrib_X.Y.Z.json")
    return p


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if not args.cmd:
            raise InputError("a subcommand is required: torch, jax, cuda or cudnn")
        rep = {"torch": cmd_torch, "jax": cmd_jax, "cuda": cmd_cuda, "cudnn": cmd_cudnn}[args.cmd](args)
    except InputError as e:
        msg = " ".join(str(e).split())
        print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 2
    if args.write:
        if args.cmd == "torch":
            frag = torch_fragments(rep, args.builder_repo)
        elif args.cmd == "jax":
            frag = jax_fragments(rep)
        else:
            frag = {"releases": [manifest_fragment(f) for f in rep.facts]}
        print(json.dumps(frag, indent=2, default=sorted))
        return 0
    if args.json:
        print(json.dumps(rep.as_json(), indent=2))
    else:
        print_text(rep, args.verbose)
    return 1 if rep.diffs else 0


if __name__ == "__main__":
    sys.exit(main())
