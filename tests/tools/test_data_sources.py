#!/usr/bin/env python3
"""Checks of data/ that the C loader does not make: python3 tests/tools/test_data_sources.py.

Every source of the ROCm files and of cuda.json's ptx_isa rows has a URL, or a repository with the
path and commit read; every
record of the ROCm files names sources that exist; rocm.json's gfx_target_version of each target is
its name's (major * 10000 + minor * 100 + stepping) and every release lists only known targets;
pytorch_rocm.json names only releases of pytorch.json; tensorflow_rocm.json and jax_rocm.json name only
releases of tensorflow.json and jax.json, in order, with exact pins; rocm.json's hsa_override and
gfx_families are well formed. rocm.json is not read by gpuenv yet, so this is where its facts are held
to the rules."""

import json
import re
import sys
import unittest
from pathlib import Path

sys.dont_write_bytecode = True
DATA = Path(__file__).resolve().parents[2] / "data"


ROCM_FILES = ("rocm.json", "pytorch_rocm.json", "tensorflow_rocm.json", "jax_rocm.json")


def vkey(v):
    return tuple(int(x) for x in v.split("."))


def load(name):
    return json.loads((DATA / name).read_text())


def record_sources(node, out):
    """Every 'source' value of the records under node, with where it was found."""
    if isinstance(node, dict):
        if "source" in node:
            out.append(node["source"])
        for k, v in node.items():
            if k != "sources":
                record_sources(v, out)
    elif isinstance(node, list):
        for v in node:
            record_sources(v, out)
    return out


def gfx_value(name):
    m = re.fullmatch(r"gfx(\d{1,2})([0-9a-f])([0-9a-f])", name)
    if not m:
        return None
    return int(m.group(1)) * 10000 + int(m.group(2), 16) * 100 + int(m.group(3), 16)


class DataSources(unittest.TestCase):
    def assert_located(self, name, sid, s):
        """A URL, or a repository with the path and commit read."""
        with self.subTest(file=name, source=sid):
            if "url" not in s:
                self.assertTrue("repo" in s and "path" in s and "commit" in s, "neither a url nor repo, path, commit")
                self.assertRegex(s["commit"], r"^[0-9a-f]{7,40}$")

    def test_every_source_is_primary_and_located(self):
        for name in ROCM_FILES:
            for sid, s in load(name)["sources"].items():
                self.assert_located(name, sid, s)
        # cuda.json's ptx_isa table: each row's sources exist and are located
        cuda = load("cuda.json")
        rows = cuda["ptx_isa"]
        self.assertGreater(len(rows), 20)
        for row in rows:
            for sid in row["source"]:
                self.assertIn(sid, cuda["sources"])
                self.assert_located("cuda.json", sid, cuda["sources"][sid])

    def test_rocm_files_name_known_sources(self):
        for name in ROCM_FILES:
            d = load(name)
            for src in record_sources({k: v for k, v in d.items() if k != "sources"}, []):
                ids = [src] if isinstance(src, str) else src
                self.assertTrue(ids, name + ": an empty source list")
                for i in ids:
                    self.assertIn(i, d["sources"], "%s: unknown source %s" % (name, i))

    def test_rocm_gfx_targets_and_releases(self):
        d = load("rocm.json")
        targets = {}
        for t in d["gfx_targets"]:
            self.assertEqual(gfx_value(t["gfx"]), t["gfx_target_version"], t["gfx"])
            targets[t["gfx"]] = t
        versions = [tuple(int(x) for x in r["version"].split(".")) for r in d["releases"]]
        self.assertEqual(len(versions), len(set(versions)), "a release is listed twice")
        for r in d["releases"]:
            for g in r.get("gfx", []):
                self.assertIn(g, targets, "ROCm %s lists %s, which gfx_targets lacks" % (r["version"], g))
            if "date" in r:
                self.assertRegex(r["date"], r"^\d{4}-\d{2}-\d{2}$")

    def test_pytorch_rocm_releases_are_pytorch_releases(self):
        torch = {r["version"] for r in load("pytorch.json")["releases"]}
        for r in load("pytorch_rocm.json")["releases"]:
            self.assertIn(r["version"], torch)
            for v in r["variants"]:
                for g in v.get("gfx", []):
                    self.assertIsNotNone(gfx_value(g), g)

    def test_framework_rocm_releases(self):
        for name, base in (("tensorflow_rocm.json", "tensorflow.json"), ("jax_rocm.json", "jax.json")):
            known = {r["version"] for r in load(base)["releases"]}
            rel = load(name)["releases"]
            self.assertGreater(len(rel), 5, name)
            keys = [(vkey(r["version"]), vkey(r["rocm"])) for r in rel]
            self.assertEqual(keys, sorted(keys), name + ": releases not ascending by version, then rocm")
            self.assertEqual(len(keys), len(set(keys)), name + ": a release and ROCm line listed twice")
            for r in rel:
                with self.subTest(file=name, version=r["version"], rocm=r["rocm"]):
                    self.assertIn(r["version"], known)
                    self.assertRegex(r["rocm"], r"^\d+\.\d+$")
                    self.assertTrue(r["packages"])
                    for pkg in r["packages"]:
                        self.assertRegex(pkg["name"], r"^[a-z0-9][a-z0-9._-]*$")
                        self.assertRegex(pkg["version"], r"^\d+(\.\d+)+(\+[a-z0-9.]+)?$")
                    self.assertTrue(r["find_links"] == "" or r["find_links"].startswith("https://"))
                    self.assertEqual(r["platform"], "linux-x86_64")
                    if "python" in r:
                        py = [vkey(x) for x in r["python"]]
                        self.assertEqual(py, sorted(set(py)))
                    if "gfx" in r:
                        self.assertEqual(len(r["gfx"]), len(set(r["gfx"])))
                        for g in r["gfx"]:
                            self.assertIsNotNone(gfx_value(g), g)

    def test_rocm_hsa_override_and_gfx_families(self):
        d = load("rocm.json")
        o = d["hsa_override"]
        self.assertEqual(o["variable"], "HSA_OVERRIDE_GFX_VERSION")
        self.assertEqual(o["format"], "major.minor.stepping")
        self.assertTrue(o["source"] and o["comment"])
        fams = d["gfx_families"]
        self.assertGreaterEqual(len(fams), 6)
        seen = set()
        for f in fams:
            with self.subTest(family=f["name"]):
                m = re.fullmatch(r"gfx(\d+)(-\d+)?-generic", f["name"])
                self.assertIsNotNone(m, f["name"])
                self.assertTrue(f["source"])
                self.assertGreaterEqual(len(f["members"]), 2)
                for g in f["members"]:
                    v = gfx_value(g)
                    self.assertIsNotNone(v, g)
                    self.assertEqual(v // 10000, int(m.group(1)), "%s is not a gfx%s target" % (g, m.group(1)))
                    self.assertNotIn(g, seen, "%s is in two families" % g)
                    seen.add(g)


if __name__ == "__main__":
    unittest.main()
