# t_mirror.sh: 'gpuenv mirror' and --offline: a mirror filled from a loopback origin (NVIDIA's
# layout from make_mirror.py, a PEP 503 index from make_index.py, both served by http_server.py),
# the origin stopped, and an install from the mirror with no network; a second run mending a
# damaged mirror; what --offline refuses.

ROOT="$E2E_DIR/../.."

setup_origin() {
    python3 "$ROOT/tests/fake/make_mirror.py" "$T/fx" >/dev/null || fail "make_mirror.py"
    python3 "$ROOT/tests/fake/make_index.py" "$T/ix" || fail "make_index.py"
    mkdir -p "$T/origin"
    cp -R "$T/fx/mirror/compute" "$T/ix/files" "$T/ix/simple" "$T/ix/whl" "$T/origin/" || fail "origin"
    # the manifests come from the origin here, as from NVIDIA's: no folder of them
    unset GPUENV_MANIFEST_PATH GPUENV_MIRROR GPUENV_OFFLINE PIP_FIND_LINKS PIP_EXTRA_INDEX_URL FAKE_GPU \
          VIRTUAL_ENV || true
    export GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" GPUENV_CACHE_DIR="$T/cache"
    python3 "$ROOT/tests/fake/http_server.py" "$T/origin" >"$T/port" 2>"$T/origin.log" &
    SRV=$!
    trap 'kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
    i=0; while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    O="http://127.0.0.1:$(head -1 "$T/port")"
    export PIP_INDEX_URL="$O/simple" PIP_CONFIG_FILE=/dev/null PIP_NO_CACHE_DIR=1
    PY=$(command -v python3)
    PYV=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    M="$T/m"
    P="$T/proj"
    mkdir -p "$P"
}

stop_origin() {
    kill $SRV; wait $SRV 2>/dev/null
    # pip's own index is dead too: anything not from the mirror fails
    export PIP_INDEX_URL=http://127.0.0.1:1/simple PIP_RETRIES=0
}

mirror() {
    gp mirror "$M" 'torch==2.4.1' cuda-toolkit --driver 550.54.15 --gpu 8.0 --python "$PYV" --mirror "$O" \
        --pytorch-mirror "$O" "$@"
}

test_mirror_from_an_origin_then_install_without_a_network() {
    setup_origin
    mirror --json
    assert_rc 0
    json "d['ok'] and d['mirror'] == '$M' and d['url'] == 'file://$M' and d['cuda'] == '12.4.1' and d['archives']['count'] == 4 and d['archives']['fetched'] == 4 and d['manifests']['count'] == 2 and d['wheels']['count'] == 2 and d['wheels']['added'] == 2 and d['python']['framework_version'] == '2.4.1+cu124'"
    # laid out as the origins lay it out, the manifests byte for byte
    cmp "$M/compute/cuda/redist/redistrib_12.4.1.json" "$T/fx/mirror/compute/cuda/redist/redistrib_12.4.1.json" ||
        fail "the manifest differs from the origin's"
    [ -f "$M/compute/cuda/redist/cuda_cudart/linux-x86_64/cuda_cudart-linux-x86_64-12.4.1-archive.tar.xz" ] ||
        fail "an archive is not at its manifest's path"
    [ -f "$M/files/torch-2.4.1+cu124-py3-none-any.whl" ] || fail "the torch wheel is missing"
    grep -q 'href="../../files/torch-2.4.1%2Bcu124-py3-none-any.whl#sha256=[0-9a-f]\{64\}"' "$M/simple/torch/index.html" ||
        fail "the index does not link the wheel with its digest"
    grep -q 'href="torch/"' "$M/simple/index.html" || fail "the root index lacks torch"
    ls -a "$M" | grep -q '^\.requirements' && fail "a temporary requirements file was left"
    stop_origin
    gp install -C "$P" 'torch==2.4.1' cuda-toolkit --driver 550.54.15 --gpu 8.0 --python "$PY" \
        --mirror "file://$M" --offline --json
    assert_rc 0
    json "d['ok'] and d['packages']['cuda'] == '12.4.1' and d['python']['check']['version'] == '2.4.1+cu124' and d['downloads']['fetched'] == 4"
    grep -qx -- "--index-url file://$M/simple/" "$P/.gpuenv/requirements.txt" || fail "requirements.txt's index"
    "$P/.gpuenv/venv/bin/python" -c 'import torch, numpy' || fail "the venv lacks its packages"
    [ -x "$P/.gpuenv/bin/nvcc" ] || fail "the toolkit is not in the prefix"
    # the lock installs again from the mirror alone, offline, through GPUENV_OFFLINE
    rm -rf "$T/cache" "$P/.gpuenv"
    GPUENV_OFFLINE=1 GPUENV_MIRROR="file://$M" gp install -C "$P" --python "$PY"
    assert_rc 0
    assert_out_has "installed torch 2.4.1+cu124"
}

test_a_second_run_verifies_mends_and_adds() {
    setup_origin
    mirror
    assert_rc 0
    a="$M/compute/cuda/redist/libcublas/linux-x86_64/libcublas-linux-x86_64-12.4.1-archive.tar.xz"
    printf 'x' >>"$a"
    printf 'damaged' >"$M/files/numpy-1.26.4-py3-none-any.whl"
    echo '{}' >"$M/compute/cudnn/redist/redistrib_9.1.0.json"
    rm "$M/files/torch-2.4.1+cu124-py3-none-any.whl"
    : >"$T/origin.log"
    mirror --json
    assert_rc 0
    json "d['archives']['repaired'] == 1 and d['archives']['fetched'] == 1 and d['manifests']['written'] == 1 and d['wheels']['repaired'] == 1 and d['wheels']['added'] == 2 and d['wheels']['count'] == 2"
    assert_err_has "the mirror's libcublas is damaged"
    assert_err_has "the mirror's wheel numpy-1.26.4-py3-none-any.whl is damaged"
    cmp -s "$M/compute/cudnn/redist/redistrib_9.1.0.json" "$T/fx/mirror/compute/cudnn/redist/redistrib_9.1.0.json" ||
        fail "the damaged manifest was not replaced"
    grep -q "cuda_cudart" "$T/origin.log" && fail "a good archive was downloaded again"
    # another plan adds to the same mirror, and the index keeps both
    gp mirror "$M" 'torch==2.4.1' torchvision --driver 550.54.15 --gpu 8.0 --python "$PYV" --pytorch-mirror "$O" \
        --no-python --json
    assert_rc 0
    json "d['wheels'] is None and d['archives']['count'] == 4 and d['archives']['fetched'] == 0"
    gp mirror "$M" 'torch==2.4.1' torchvision --driver 550.54.15 --gpu 8.0 --python "$PYV" --pytorch-mirror "$O" \
        --python-only
    assert_rc 0
    assert_out_has "3 wheels in the index (1 new; 0 replaced)"
    grep -q torchvision "$M/simple/index.html" || fail "torchvision is not in the index"
    grep -q 'href="torch/"' "$M/simple/index.html" || fail "torch left the index"
}

test_a_lock_is_mirrored_as_it_is() {
    setup_origin
    gp lock -C "$P" 'torch==2.4.1' cuda-toolkit --driver 550.54.15 --gpu 8.0 --python "$PYV" --mirror "$O" \
        --pytorch-mirror "$O"
    assert_rc 0
    (cd "$P" && "$GPUENV" mirror "$M" --mirror "$O" >"$OUT" 2>"$ERR"); RC=$?
    assert_rc 0
    assert_out_has "install from it with:  gpuenv install --mirror file://$M --offline"
    # a lock whose archive the origin now serves differently is refused, nothing written for it
    rm -rf "$M"
    python3 - "$P/gpuenv.lock" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["archives"][0]["sha256"] = "0" * 64
json.dump(d, open(sys.argv[1], "w"))
PY
    [ $? -eq 0 ] || fail "editing the lock"
    gp mirror "$M" --lock "$P/gpuenv.lock" --mirror "$O" --json
    assert_rc 5
    json "not d['ok'] and d['error']['exit'] == 5 and d['error']['kind'] == 'bad-data'"
    [ -e "$M/compute/cuda/redist/cuda_nvcc" ] && fail "an archive was mirrored for a refused lock"
    return 0
}

test_offline_refuses_what_is_not_here() {
    setup_origin
    stop_origin
    # nothing cached, no local mirror: the archives and the manifest are missing
    gp install -C "$P" cuda-toolkit==12.4.1 --driver 550.54.15 --offline --no-python --json
    assert_rc 5
    json "not d['ok'] and 'fetching is off' in d['error']['message'] and 'gpuenv mirror' in d['error']['hint']"
    GPUENV_MANIFEST_PATH="$T/fx/manifests" gp install -C "$P" cuda-toolkit==12.4.1 --driver 550.54.15 --offline \
        --no-python
    assert_rc 1
    assert_err_has "gpuenv: error: --offline: 4 archives of gpuenv.lock are not in the cache"
    [ -e "$P/.gpuenv" ] && fail "a prefix was made"
    # a mirror on the network is no mirror offline
    GPUENV_OFFLINE=yes gp install -C "$P" cuda-toolkit --driver 550.54.15 --mirror "http://127.0.0.1:1"
    assert_rc 2
    assert_err_has "gpuenv: error: --offline, but the mirror http://127.0.0.1:1 is on the network"
    # the venv without a mirror of wheels
    mkdir -p "$T/nv"
    cp -R "$T/fx/mirror/compute" "$T/nv/"
    gp install -C "$P" 'torch==2.4.1' --driver 550.54.15 --gpu 8.0 --python "$PY" --mirror "file://$T/nv" --offline
    assert_rc 1
    assert_err_has "gpuenv: error: --offline: the venv needs torch's wheels from an index, and no mirror holds them"
    # resolve reads nothing from the network: --offline changes nothing
    gp resolve torch --driver 550.54.15 --gpu 8.0 --python 3.12 --offline
    assert_rc 0
}

test_mirror_refuses_bad_arguments_and_a_damaged_record() {
    setup_origin
    gp mirror
    assert_rc 2
    assert_err_has "'mirror' needs the folder to fill"
    gp mirror "$M" torch --lock "$P/gpuenv.lock"
    assert_rc 2
    gp mirror "$M" --json
    assert_rc 2
    json "not d['ok'] and 'nothing to mirror' in d['error']['message']"
    gp mirror "$M" torch --glibc 3.1 --driver 550.54.15
    assert_rc 2
    assert_err_has "invalid --glibc '3.1'"
    # an interpreter without pip: said before anything is downloaded for the wheels
    "$PY" -m venv --without-pip "$T/nopip" || fail "venv"
    gp mirror "$M" 'torch==2.4.1' --driver 550.54.15 --gpu 8.0 --python "$T/nopip/bin/python" --pytorch-mirror "$O"
    assert_rc 1
    assert_err_has "has no pip to download the wheels with"
    assert_err_has "python3-pip"
    rm -rf "$M"
    mkdir -p "$M"
    echo '{"gpuenv_mirror": 1, "wheels": [{"file": "../evil.whl", "sha256": "x", "size": 1}]}' >"$M/gpuenv-mirror.json"
    mirror
    assert_rc 5
    assert_err_has "gpuenv-mirror.json is damaged"
    [ -e "$M/files" ] && fail "wheels were downloaded beside a damaged record"
    return 0
}
