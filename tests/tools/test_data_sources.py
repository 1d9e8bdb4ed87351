#!/usr/bin/env python3
"""Checks of data/ that the C loader does not make: python3 tests/tools/test_data_sources.py.

Every source of the ROCm files and of cuda.json's ptx_isa rows has a URL, or a repository with the
path and commit read; every
record of the ROCm files names sources that exist; rocm.json's gfx_target_version of each target is
its name's (major * 10000 + minor * 100 + stepping) and every release lists only known targets;
pytorch_rocm.json names only releases of pytorch.json. rocm.json is not read by gpuenv yet, so this
is where its facts are held to the rules."""

import json
import re
import sys
import unittest
from pathlib import Path

sys.dont_write_bytecode = True
DATA = Path(__file__).resolve().parents[2] / "data"


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
        for name in ("rocm.json", "pytorch_rocm.json"):
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
        for name in ("rocm.json", "pytorch_rocm.json"):
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


if __name__ == "__main__":
    unittest.main()
