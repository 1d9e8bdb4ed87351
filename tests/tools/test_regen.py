#!/usr/bin/env python3
"""Tests of tools/regen.py: python3 tests/tools/test_regen.py (stdlib unittest, no network, < 5 s).

Builds a tiny git repository with fake pytorch/builder release branches (and a fake JAX tag and
fake NVIDIA manifests) in a temporary folder, runs the tool against a fake data/ folder and checks
the parsers, the diff, the exit status and the one-line error on malformed input."""

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # leave no __pycache__ in tools/
ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "regen.py"
spec = importlib.util.spec_from_file_location("regen", TOOL)
regen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(regen)

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}

BUILD_CUDA = """#!/bin/bash
TORCH_CUDA_ARCH_LIST="5.0;6.0;7.0;7.5;8.0;8.6"
case ${CUDA_VERSION} in
    12.4)
        if [[ "$GPU_ARCH_TYPE" = "cuda-aarch64" ]]; then
            TORCH_CUDA_ARCH_LIST="9.0"
        else
            TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST};9.0+PTX"
        fi
        ;;
    12.1)
        TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST};9.0"
        ;;
    11.8)
        TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST};3.7;9.0"
        ;;
    11.[67])
        TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST};3.7"
        ;;
    *)
        echo "unknown cuda version $CUDA_VERSION"
        exit 1
        ;;
esac
if [[ -n "$OVERRIDE_TORCH_CUDA_ARCH_LIST" ]]; then
    TORCH_CUDA_ARCH_LIST="$OVERRIDE_TORCH_CUDA_ARCH_LIST"
fi
"""

INSTALL_CUDA = """#!/bin/bash
CUDNN_VERSION=9.1.0.70
function install_118 {
    wget -q https://developer.download.nvidia.com/compute/cuda/11.8.0/local_installers/cuda_11.8.0_520.61.05_linux.run
    wget -q https://x/cudnn-linux-x86_64-${CUDNN_VERSION}_cuda11-archive.tar.xz
}
function install_124 {
    wget -q https://x/cuda_12.4.0_550.54.14_linux.run
    wget -q https://x/cudnn-linux-x86_64-${CUDNN_VERSION}_cuda12-archive.tar.xz
}
function prune_118 {
    echo cuda_99.9.9_1_linux.run
}
"""

WIN_BAT = """@echo off
IF "%BUILD_VISION%" == "" (
    set TORCH_CUDA_ARCH_LIST={arches}
    set TORCH_NVCC_FLAGS=-Xfatbin -compress-all
)
"""

WIN_INSTALL = """@echo on
:cuda118
set CUDA_INSTALL_EXE=cuda_11.8.0_522.06_windows.exe
set CUDNN_FOLDER=cudnn-windows-x86_64-9.1.0.70_cuda11-archive
goto cuda_common
:cuda124
set CUDA_INSTALL_EXE=cuda_12.4.0_551.61_windows.exe
set CUDNN_FOLDER=cudnn-windows-x86_64-8.9.7.29_cuda12-archive
goto cuda_common
:cuda_common
"""

SETUP_PY = """
from setuptools import setup
_current_jaxlib_version = '0.9.0'
_available_cuda11_cudnn_versions = ['86']
_version_module = load_version_module('jax')
_jax_version = _version_module._version
_minimum_jaxlib_version = _version_module._minimum_jaxlib_version
setup(
    name='jax',
    python_requires='>=3.10',
    install_requires=[
        f'jaxlib >={_minimum_jaxlib_version}, <={_jax_version}',
        'numpy>=1.24',
        "numpy>=1.26.0; python_version>='3.12'",
    ],
    extras_require={
        'cpu': [],
        'cuda12': [
          f"jaxlib=={_current_jaxlib_version}",
          f"jax-cuda12-plugin[with-cuda]>={_current_jaxlib_version},<={_jax_version}",
        ],
        'cuda12-local': [f"jax-cuda12-plugin=={_current_jaxlib_version}"],
        **{f'cuda11_cudnn{v}': f"jaxlib=={_current_jaxlib_version}+cuda11.cudnn{v}"
           for v in _available_cuda11_cudnn_versions},
    },
    classifiers=[
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
    ],
)
"""

NV_REQ = """nvidia-cuda-runtime-cu12>=12.1.105 ; sys_platform == "linux"
# comment
nvidia-cudnn-cu12>=9.8,<10.0 ; sys_platform == "linux"

nvidia-cuda-runtime>=13.0.48 ; sys_platform == "linux"
nvidia-cudnn-cu13>=9.12.0.46,<10.0 ; sys_platform == "linux"
"""


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True,
                          capture_output=True, text=True).stdout.strip()


def write(root, rel, text):
    p = Path(root, rel)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def run_tool(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = regen.main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


class Fixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        t = Path(cls.tmp.name)
        # ---- fake pytorch/builder: release/9.1 (good), release/9.2 (install_cuda.sh deleted),
        #      release/9.3 (malformed build_cuda.sh)
        b = t / "builder"
        b.mkdir()
        git(b, "init", "-q", "-b", "main")
        write(b, "manywheel/build_cuda.sh", BUILD_CUDA)
        write(b, "common/install_cuda.sh", INSTALL_CUDA)
        write(b, "windows/cuda118.bat", WIN_BAT.format(arches="3.7+PTX;5.0;6.0;6.1;7.0;7.5;8.0;8.6;9.0"))
        write(b, "windows/cuda124.bat", WIN_BAT.format(arches="5.0;6.0;6.1;7.0;7.5;8.0;8.6;9.0"))
        write(b, "windows/internal/cuda_install.bat", WIN_INSTALL)
        git(b, "add", "-A")
        git(b, "commit", "-q", "-m", "base")
        cls.base = git(b, "rev-parse", "HEAD")
        git(b, "branch", "release/9.1")
        git(b, "checkout", "-q", "-b", "release/9.2")
        git(b, "rm", "-q", "common/install_cuda.sh")
        git(b, "commit", "-q", "-m", "move images elsewhere")
        cls.r92 = git(b, "rev-parse", "HEAD")
        git(b, "checkout", "-q", "-b", "release/9.3", "release/9.1")
        write(b, "manywheel/build_cuda.sh", BUILD_CUDA.replace("esac", "# no end"))
        git(b, "commit", "-q", "-am", "broken")
        git(b, "checkout", "-q", "main")
        # a bare clone, as the fetch tool gives
        cls.bare = t / "builder.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(b), str(cls.bare)], env=GIT_ENV, check=True)
        git(cls.bare, "fetch", "-q", "origin", "+refs/heads/*:refs/heads/*")
        cls.r91 = git(cls.bare, "rev-parse", "release/9.1")

        # ---- fake jax tag
        j = t / "jax"
        j.mkdir()
        git(j, "init", "-q", "-b", "main")
        write(j, "setup.py", SETUP_PY)
        write(j, "jax/version.py", '_version = "0.9.0"\n_minimum_jaxlib_version = "0.8.0"\n')
        write(j, "build/nvidia-requirements.txt", NV_REQ)
        git(j, "add", "-A")
        git(j, "commit", "-q", "-m", "jax")
        git(j, "tag", "jax-v0.9.0")
        cls.jax = j
        cls.jax_commit = git(j, "rev-parse", "HEAD")

        # ---- fake data/
        d = t / "data"
        d.mkdir()
        v = lambda name, plat, **kw: {"name": name, "platform": plat, **kw, "source": "s"}
        torch = {"schema": 1, "comment": "Left out: 9.1.0 cu124 linux-aarch64 (unconfirmed).",
                 "sources": {"s": {"url": "x"},
                             "b91": {"repo": "pytorch/builder", "path": "manywheel/build_cuda.sh",
                                     "commit": "0" * 40, "ref": "release/9.1"}},
                 "releases": [
            {"version": "9.1.0", "source": ["s", "b91"], "variants": [
                v("cu118", "linux-x86_64", cuda="11.8.0", cudnn="9.1.0.70",
                  arch_list=["3.7", "5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"]),
                v("cu124", "linux-x86_64", cuda="12.4", cudnn="9.1.0.70",
                  arch_list=["5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"], ptx="unknown"),
                v("cu118", "windows-x86_64", cuda="11.8.0", cudnn="9.1.0.70",
                  arch_list=["3.7+PTX", "5.0", "6.0", "6.1", "7.0", "7.5", "8.0", "8.6", "9.0"]),
                v("cu124", "windows-x86_64", cuda="12.4.0", cudnn="9.1.0.70",
                  arch_list=["5.0", "6.0", "6.1", "7.0", "7.5", "8.0", "8.6", "9.0"],
                  comment="cuda_install.bat names 8.9.7.29, but the runner image has 9.1.0.70"),
                v("cu121", "linux-x86_64", cuda="12.1.1"),
                v("cu130", "linux-x86_64", cuda="13.0.0")]},
            {"version": "9.2.0", "source": "s", "variants": [
                v("cu124", "linux-x86_64", cuda="12.4.0", cudnn="9.1.0.70",
                  arch_list=["5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0+PTX"])]}]}
        (d / "pytorch.json").write_text(json.dumps(torch))
        jaxd = {"schema": 1, "sources": {"t": {"repo": "jax-ml/jax", "path": "setup.py", "ref": "jax-v0.9.0",
                                               "commit": cls.jax_commit}},
                "releases": [{"version": "0.9.0", "python": ["3.10", "3.11"], "numpy": "numpy>=1.25",
                              "source": "t", "extras": [
                                  {"name": "cuda12", "local": False, "cuda_min": "12.1", "cudnn_min": "9.8"},
                                  {"name": "cuda12-local", "local": True},
                                  {"name": "cuda13", "local": False}]}]}
        (d / "jax.json").write_text(json.dumps(jaxd))
        (d / "cudnn.json").write_text(json.dumps({"schema": 1, "comment": "", "releases": [
            {"version": "9.5.1", "full_version": "9.5.1.17", "date": "2024-10-25", "builds": [
                {"cuda_major": 12, "archive_suffix": "cuda12", "platforms": ["linux-x86_64"]},
                {"cuda_major": 11, "archive_suffix": "cuda11", "platforms": ["linux-x86_64"]}]}]}))
        (d / "cuda.json").write_text(json.dumps({"schema": 1, "releases": [
            {"version": "12.4.1", "date": "2024-04-03"}]}))
        cls.data = d
        m = t / "manifests"
        m.mkdir()
        arch = lambda p, v: {"relative_path": f"cudnn/{p}/cudnn-{p}-9.5.1.17_cuda{v}-archive.tar.xz",
                             "sha256": "0" * 64, "md5": "0" * 32, "size": "1"}
        (m / "cudnn-redistrib_9.5.1.json").write_text(json.dumps({
            "release_date": "2024-10-25", "release_label": "9.5.1", "release_product": "cudnn",
            "cudnn": {"name": "cuDNN", "version": "9.5.1.17",
                      "linux-x86_64": {"cuda11": arch("linux-x86_64", 11), "cuda12": arch("linux-x86_64", 12)},
                      "cuda_variant": ["11", "12"],
                      "linux-sbsa": {"cuda12": arch("linux-sbsa", 12)}}}))
        (m / "redistrib_12.4.1.json").write_text(json.dumps({
            "release_date": "2024-04-03", "release_label": "12.4.1", "release_product": "cuda",
            "cuda_cudart": {"version": "12.4.127", "linux-x86_64": {}, "windows-x86_64": {}},
            "nvidia_driver": {"version": "550.54.15", "linux-x86_64": {}}}))
        cls.manifests = m

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()


class ParserTests(unittest.TestCase):
    def test_build_cuda_arms(self):
        p = regen.parse_build_cuda(BUILD_CUDA)
        pat, lists = regen.arm_for(p, "12.4")
        self.assertEqual(pat, "12.4")
        self.assertEqual(lists["x86"][-1], "9.0+PTX")
        self.assertEqual(lists["aarch64"], ["9.0"])
        self.assertEqual(regen.arm_for(p, "11.7")[0], "11.[67]")
        self.assertIsNone(regen.arm_for(p, "13.0")[0])  # '*' is not a CUDA arm
        self.assertEqual(regen.sort_arches(regen.arm_for(p, "11.8")[1]["x86"]),
                         ["3.7", "5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"])

    def test_install_cuda(self):
        self.assertEqual(regen.parse_install_cuda(INSTALL_CUDA),
                         {"11.8": {"cuda": "11.8.0", "cudnn": "9.1.0.70"},
                          "12.4": {"cuda": "12.4.0", "cudnn": "9.1.0.70"}})

    def test_windows(self):
        self.assertEqual(regen.parse_win_install(WIN_INSTALL)["12.4"], {"cuda": "12.4.0", "cudnn": "8.9.7.29"})
        self.assertEqual(regen.parse_win_bat(WIN_BAT.format(arches="3.7+PTX;5.0"), "x"), ["3.7+PTX", "5.0"])

    def test_malformed_arch_entry(self):
        with self.assertRaises(regen.InputError):
            regen.parse_build_cuda(BUILD_CUDA.replace(";3.7;9.0", ";3.7;sm_90"))

    def test_nvidia_requirements_blocks(self):
        pins = regen.nvidia_pins_from_requirements(NV_REQ)
        self.assertEqual(pins[12]["nvidia-cudnn-cu12"], "9.8")
        self.assertEqual(pins[13]["nvidia-cuda-runtime"], "13.0.48")


class TorchTests(Fixture):
    def test_diff(self):
        rc, out, err = run_tool("torch", "--builder", self.bare, "--releases", "9.1,9.2", "--data", self.data)
        self.assertEqual(rc, 1, out + err)
        self.assertEqual(err, "")
        self.assertIn(f"read pytorch/builder release/9.1 = {self.r91[:12]}", out)
        # the 12.4 arm carries +PTX upstream; data says 'unknown' and lists 9.0 without it
        self.assertIn("DIFF 9.1.0 cu124 linux-x86_64 arch_list: data says [5.0, 6.0, 7.0, 7.5, 8.0, 8.6, 9.0], "
                      "upstream says [5.0, 6.0, 7.0, 7.5, 8.0, 8.6, 9.0+PTX]", out)
        self.assertIn("DIFF 9.1.0 cu124 linux-x86_64 ptx: data says unknown, upstream says true", out)
        self.assertIn("DIFF 9.1.0 cu124 linux-x86_64 cuda: data says 12.4, upstream says 12.4.0", out)
        self.assertIn("data is less specific", out)
        self.assertIn("DIFF 9.1.0 cu124 windows-x86_64 cudnn: data says 9.1.0.70, upstream says 8.9.7.29", out)
        self.assertIn("the record's comment mentions 8.9.7.29", out)
        # cu121 has a Linux arm but no .bat: not in the inferred variant set, yet its facts are derived
        self.assertIn("DIFF 9.1.0 cu121 linux-x86_64 arch_list: data says (nothing), upstream says "
                      "[5.0, 6.0, 7.0, 7.5, 8.0, 8.6, 9.0]", out)
        self.assertIn("(data lacks the field)", out)
        self.assertNotIn("9.1.0 cu121 linux-x86_64 variant", out)
        # cu130: no arm in build_cuda.sh ('*' does not count), no .bat
        self.assertIn("DIFF 9.1.0 cu130 linux-x86_64 variant: data says present, upstream says (nothing)", out)
        self.assertIn("DIFF 9.1 source b91 commit: data says " + "0" * 40, out)
        self.assertNotIn("9.1.0 cu118 linux-x86_64 arch_list", out)  # matches
        # release/9.2 has no install_cuda.sh: the last copy before its deletion is read
        self.assertIn("deleted by " + self.r92[:12], out)
        self.assertIn("read the last copy, " + self.base[:12], out)
        self.assertNotIn("DIFF 9.2.0", out)
        self.assertRegex(out, r"torch: 6 records compared, \d+ fields match, 7 differ")

    def test_matches_exit_0_and_json(self):
        rc, out, _ = run_tool("torch", "--builder", self.bare, "--releases", "9.2", "--data", self.data, "--json")
        self.assertEqual(rc, 0, out)
        j = json.loads(out)
        self.assertEqual(j["differences"], [])
        self.assertEqual(j["compared"], ["9.2.0 cu124 linux-x86_64"])
        self.assertEqual(j["refs"][0]["commit"], self.r92)

    def test_explicit_ref_and_write(self):
        rc, out, _ = run_tool("torch", "--builder", self.bare, "--releases", f"9.1:{self.base[:10]}",
                              "--data", self.data, "--write")
        self.assertEqual(rc, 0)
        frag = json.loads(out)
        self.assertEqual(frag["sources"]["builder_r91_build_cuda"]["commit"], self.base)
        names = {(v["name"], v["platform"]): v for v in frag["releases"][0]["variants"]}
        self.assertEqual(set(names), {("cu118", "linux-x86_64"), ("cu118", "windows-x86_64"),
                                      ("cu124", "linux-x86_64"), ("cu124", "windows-x86_64")})
        self.assertTrue(names[("cu124", "linux-x86_64")]["ptx"])
        self.assertTrue(names[("cu118", "windows-x86_64")]["ptx"])

    def test_malformed_build_cuda_exit_2_one_line(self):
        p = subprocess.run([sys.executable, str(TOOL), "torch", "--builder", str(self.bare),
                            "--releases", "9.3", "--data", str(self.data)], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("release/9.3:manywheel/build_cuda.sh: case block has no 'esac'", p.stderr)

    def test_usage_errors(self):
        for argv in (["torch", "--builder", self.bare, "--releases", "nine", "--data", self.data],
                     ["torch", "--builder", self.bare, "--releases", "9.9", "--data", self.data],
                     ["torch", "--builder", self.data, "--releases", "9.1", "--data", self.data],
                     ["torch", "--releases", "9.1"], ["nonsense"], []):
            rc, out, err = run_tool(*argv)
            self.assertEqual(rc, 2, argv)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertTrue(err.startswith("regen.py: error: "), err)

    def test_malformed_data_json(self):
        bad = Path(self.tmp.name, "baddata")
        bad.mkdir(exist_ok=True)
        (bad / "pytorch.json").write_text("{ not json")
        rc, _, err = run_tool("torch", "--builder", self.bare, "--releases", "9.1", "--data", bad)
        self.assertEqual(rc, 2)
        self.assertIn("not valid JSON", err)


class JaxTests(Fixture):
    def test_jax(self):
        rc, out, err = run_tool("jax", "--jax", self.jax, "--versions", "0.9.0", "--data", self.data, "-v")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("DIFF 0.9.0 numpy: data says numpy>=1.25, upstream says numpy>=1.24", out)
        self.assertIn("DIFF 0.9.0 extra cuda11_cudnn86 extra: data says (nothing), upstream says present", out)
        self.assertIn("DIFF 0.9.0 extra cuda13 extra: data says present, upstream says (nothing)", out)
        for ok in ("0.9.0 python", "0.9.0 extra cuda12 cuda_min", "0.9.0 extra cuda12 cudnn_min",
                   "0.9.0 extra cuda12 local", "0.9.0 extra cuda12-local local", "0.9.0 source t commit"):
            self.assertIn("ok   " + ok, out)

    def test_jax_write(self):
        rc, out, _ = run_tool("jax", "--jax", self.jax, "--versions", "0.9.0", "--data", self.data, "--write")
        self.assertEqual(rc, 0)
        r = json.loads(out)["releases"][0]
        ex = {e["name"]: e for e in r["extras"]}
        self.assertEqual(ex["cuda11_cudnn86"]["cudnn_min"], "8.6")
        self.assertTrue(ex["cuda11_cudnn86"]["local"])
        self.assertEqual(r["python_requires"], ">=3.10")


class ManifestTests(Fixture):
    def test_cudnn(self):
        rc, out, _ = run_tool("cudnn", "--manifests", self.manifests, "--data", self.data)
        self.assertEqual(rc, 1, out)
        self.assertIn("DIFF 9.5.1 cuda12 platforms: data says [linux-x86_64], upstream says "
                      "[linux-sbsa, linux-x86_64]  [cudnn-redistrib_9.5.1.json]  (manifest adds linux-sbsa)", out)
        self.assertNotIn("cuda11 platforms", out)

    def test_cuda(self):
        rc, out, _ = run_tool("cuda", "--manifests", self.manifests, "--data", self.data, "--json")
        self.assertEqual(rc, 0, out)
        self.assertEqual(json.loads(out)["compared"], ["12.4.1"])

    def test_bad_manifest(self):
        bad = Path(self.tmp.name, "badman")
        bad.mkdir(exist_ok=True)
        (bad / "redistrib_1.2.3.json").write_text("[1, 2")
        rc, _, err = run_tool("cudnn", "--manifests", bad, "--data", self.data)
        self.assertEqual(rc, 2)
        self.assertIn("redistrib_1.2.3.json: not valid JSON", err)


if __name__ == "__main__":
    unittest.main(verbosity=1)
