# t_matrix.sh: 'gpuenv matrix': the summary, each table, JSON, a damaged or missing data folder.

ROOT="$E2E_DIR/../.."

test_summary_lists_every_file() {
    GPUENV_DATA_DIR="$ROOT/data" gp matrix
    assert_rc 0; assert_err_empty
    for f in cuda.json cudnn.json pytorch.json tensorflow.json jax.json; do assert_out_has "$f"; done
    assert_out_has "data folder  $ROOT/data"
}

test_data_found_beside_the_binary_without_configuration() {
    mkdir -p "$T/tree/data"
    cp "$ROOT"/data/*.json "$T/tree/data/"
    cp "$GPUENV" "$T/tree/gpuenv"
    "$T/tree/gpuenv" matrix >"$OUT" 2>"$ERR"; RC=$?
    assert_rc 0
    assert_out_has "data folder  $T/tree/data"
}

test_tables_as_text() {
    export GPUENV_DATA_DIR="$ROOT/data"
    gp matrix cuda
    assert_rc 0
    assert_out_has "12.4.1   CUDA 12.4 Update 1"
    assert_out_has "CUDA 12.x  linux >= 525.60.13"
    assert_out_has "R535  12.2"
    assert_out_has "12.0  Blackwell (GB20x: RTX 50xx, RTX PRO 6000)     R570 to newest"
    assert_out_has "3.7   Kepler (GK210: Tesla K80)                     any to R470"
    gp matrix torch
    assert_rc 0
    assert_out_has "cu130*"
    assert_out_has "https://download.pytorch.org/whl/{variant}"
    gp matrix cudnn
    assert_rc 0; assert_out_has "9.10.2.21"
    gp matrix tensorflow
    assert_rc 0; assert_out_has "2.15.0      3.9-3.11   12.2   8.9    3.5     yes"
    assert_out_has "2.17.1      3.9-3.12   12.3   8.9    6.0     yes"
    gp matrix jax
    assert_rc 0; assert_out_has "cuda12"
}

test_json_holds_the_typed_tables() {
    export GPUENV_DATA_DIR="$ROOT/data"
    gp matrix --json
    assert_rc 0
    json 'list(d)[:4] == ["schema", "ok", "data_dir", "data_version"] and set(d["data_version"]) == {"cuda.json", "cudnn.json", "pytorch.json", "tensorflow.json", "jax.json", "pytorch_rocm.json", "rocm.json", "tensorflow_rocm.json", "jax_rocm.json"}'
    json 'all(k in d for k in ["cuda", "minor_version_compat", "driver_branches", "cudnn", "torch", "tensorflow", "jax", "torch_rocm"])'
    json '[r["version"] for r in d["cuda"]] == sorted([r["version"] for r in d["cuda"]], key=lambda v: [int(x) for x in v.split(".")])'
    json 'next(m for m in d["minor_version_compat"] if m["major"] == 12)["min_driver"]["linux-x86_64"] == "525.60.13"'
    json 'any(v["name"] == "cu124" for r in d["torch"] for v in r["variants"])'
    json 'next(a for a in d["gpu_architectures"] if a["cc"] == "10.0")["first_branch"] == "R570"'
    json 'next(a for a in d["gpu_architectures"] if a["cc"] == "6.1")["last_branch"] == "R580" and next(a for a in d["gpu_architectures"] if a["cc"] == "6.1")["first_branch"] is None'
    json 'next(r for r in d["tensorflow"] if r["version"] == "2.17.0")["min_sm"] == "6.0"'
    gp matrix torch --json
    assert_rc 0
    json '"torch" in d and "cuda" not in d and d["torch_index_url"].endswith("{variant}")'
}

test_gaps_list_each_missing_fact() {
    # a copy of the data with facts taken out: each shows up once, under its file and record
    mkdir -p "$T/data"
    cp "$ROOT"/data/*.json "$T/data/"
    python3 - "$T/data" <<'PY'
import json, sys
d = sys.argv[1]
tf = json.load(open(d + "/tensorflow.json"))
r = next(r for r in tf["releases"] if r["version"] == "2.19.0")
del r["cudnn"], r["min_sm"]
json.dump(tf, open(d + "/tensorflow.json", "w"))
jx = json.load(open(d + "/jax.json"))
r = next(r for r in jx["releases"] if r["version"] == "0.6.0")
e = next(e for e in r["extras"] if e["name"] == "cuda12")
del e["min_driver"]
json.dump(jx, open(d + "/jax.json", "w"))
PY
    GPUENV_DATA_DIR="$T/data" gp matrix tensorflow --gaps
    assert_rc 0
    assert_out_has "tensorflow 2.19.0                        the cuDNN it was tested with"
    assert_out_has "tensorflow 2.19.0                        the oldest GPU its wheels run on"
    assert_out_has "2 facts missing"
    assert_out_lacks "jax"
    GPUENV_DATA_DIR="$T/data" gp matrix --gaps --json
    assert_rc 0
    json 'd["ok"] and d["count"] == len(d["gaps"]) and {"file": "jax.json", "record": "jax 0.6.0 [cuda12]", "fact": "min_driver", "what": "the oldest driver it runs on"} in d["gaps"]'
    json '"torch" not in d and "cuda" not in d and all(set(g) == {"file", "record", "fact", "what"} for g in d["gaps"])'
    # the shipped data: TensorFlow and JAX are complete
    GPUENV_DATA_DIR="$ROOT/data" gp matrix jax --gaps
    assert_rc 0; assert_out_has "0 facts missing"
    GPUENV_DATA_DIR="$ROOT/data" gp matrix tensorflow --gaps --json
    assert_rc 0; json 'd["count"] == 0 and d["gaps"] == []'
}

test_bad_table_and_arguments() {
    gp matrix cuDNN
    assert_rc 2; assert_err_has "unknown table 'cuDNN'"
    gp matrix cuda torch
    assert_rc 2; assert_err_has "takes at most one table"
}

test_damaged_data_exits_5_naming_the_record() {
    mkdir -p "$T/data"
    cp "$ROOT"/data/*.json "$T/data/"
    python3 - "$T/data/pytorch.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["releases"][0]["variants"][0]["cuda"] = "12.x"
json.dump(d, open(sys.argv[1], "w"))
PY
    GPUENV_DATA_DIR="$T/data" gp matrix --json
    assert_rc 5
    json 'd["ok"] is False and d["error"]["kind"] == "bad-data" and "pytorch.json: releases[0].variants[0]" in d["error"]["message"]'
    assert_err_has "'12.x' is not a well-formed version"
    cp "$ROOT/data/pytorch.json" "$T/data/"
    printf '{"schema": 1,' >"$T/data/jax.json"
    GPUENV_DATA_DIR="$T/data" gp matrix
    assert_rc 5; assert_err_has "jax.json: top level: not valid JSON"
    assert_err_lines 2
    GPUENV_DATA_DIR="$T/nowhere" gp matrix
    assert_rc 5; assert_err_has "GPUENV_DATA_DIR=$T/nowhere holds no cuda.json"
}

test_redist_manifests_are_well_formed() {
    # NVIDIA's manifests in data/redist: valid JSON, a product and date, and for every archive a
    # relative path naming its component, a 64-hex sha256, a 32-hex md5 and a size in bytes.
    python3 - "$ROOT/data/redist" >"$OUT" 2>&1 <<'PY' || { cat "$OUT"; fail "redist manifests"; }
import glob, json, os, re, sys
root = sys.argv[1]
files = sorted(glob.glob(os.path.join(root, "cuda", "redistrib_*.json")) + glob.glob(os.path.join(root, "cudnn", "redistrib_*.json")))
assert len(files) >= 20, files
hexre = lambda n: re.compile("^[0-9a-f]{%d}$" % n)
sha, md5 = hexre(64), hexre(32)
for f in files:
    kind = os.path.basename(os.path.dirname(f))
    m = json.load(open(f))
    assert m.get("release_date"), f
    if "release_product" in m:
        assert m["release_product"] == kind, (f, m["release_product"])
    archives = 0
    def leaf(name, ver, a, where):
        global archives
        assert sha.match(a["sha256"]) and md5.match(a["md5"]), where
        assert a["size"].isdigit() and int(a["size"]) > 0, where
        assert a["relative_path"].startswith(name + "/"), where
        archives += 1
    for name, comp in m.items():
        if not isinstance(comp, dict):
            continue
        for plat, entry in comp.items():
            if not isinstance(entry, dict):
                continue
            if "relative_path" in entry:
                leaf(name, comp.get("version"), entry, (f, name, plat))
            for var, sub in entry.items():  # cuDNN: one object per CUDA variant
                if isinstance(sub, dict) and "relative_path" in sub:
                    leaf(name, comp.get("version"), sub, (f, name, plat, var))
    assert archives >= 3, (f, archives)
    assert not open(f, "rb").read().count(b"\r"), f
print(len(files), "manifests ok")
PY
    grep -q "manifests ok" "$OUT" || fail "no manifests checked"
    for f in "$ROOT"/data/redist/*/redistrib_*.json; do
        grep -qF "$(basename "$f")" "$ROOT/data/redist/SOURCES.md" || fail "SOURCES.md does not list $f"
    done
}

test_pytorch_rocm_wheels_and_their_gfx_targets() {
    gp matrix rocm
    assert_rc 0
    assert_out_has "torch    variant     rocm    gfx targets of the wheels"
    assert_out_line "2.4.1    rocm6.0     6.0     gfx900 gfx906 gfx908 gfx90a gfx942 gfx1030 gfx1100"
    gp matrix rocm --json
    json '[v["name"] for r in d["torch_rocm"] if r["version"] == "2.1.0" for v in r["variants"]] == ["rocm5.5", "rocm5.6"]'
    json '[v["gfx"] for r in d["torch_rocm"] if r["version"] == "2.4.1" for v in r["variants"] if v["name"] == "rocm6.1"] == [["gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030", "gfx1100"]]'
    gp matrix --gaps rocm --json
    json 'd["count"] > 0 and all(g["file"] in ("pytorch_rocm.json", "rocm.json", "tensorflow_rocm.json", "jax_rocm.json") for g in d["gaps"])'
    json 'all(g["fact"] in ("gfx", "python", "miopen") for g in d["gaps"]) and any(g["record"] == "tensorflow 2.18.1 rocm6.4" for g in d["gaps"])'
    gp matrix rocm --json
    json 'next(v for r in d["torch_rocm"] if r["version"] == "2.9.1" for v in r["variants"] if v["name"] == "rocm6.4")["gfx_basis"] == "main-at-branch-cut"'
    json 'any(f["name"] == "gfx10-3-generic" and "gfx1031" in f["members"] for f in d["gfx_families"]) and any(b["packages"] == ["tensorflow-rocm==2.14.0.600"] for b in d["rocm_builds"])'
    json 'next(r for r in d["rocm_releases"] if r["version"] == "6.2.4")["miopen"] == "3.2.0"'
    # a data folder without the file: the table is empty, nothing fails
    mkdir -p "$T/data"
    cp "$E2E_DIR"/../../data/cuda.json "$E2E_DIR"/../../data/cudnn.json "$E2E_DIR"/../../data/pytorch.json \
       "$E2E_DIR"/../../data/tensorflow.json "$E2E_DIR"/../../data/jax.json "$T/data/"
    GPUENV_DATA_DIR="$T/data" gp matrix --json
    assert_rc 0
    json 'd["data_version"]["pytorch_rocm.json"] is None and d["torch_rocm"] == []'
    GPUENV_DATA_DIR="$T/data" gp matrix
    assert_out_line "pytorch_rocm.json    absent        0        -"
    assert_out_line "rocm.json            absent        0        -"
}
