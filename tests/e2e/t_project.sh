# t_project.sh: 'gpuenv install', 'lock', 'list', 'remove' and 'cache' against a file:// mirror and
# manifests built by tests/fake/make_mirror.py, with the minimal matrix so that plans are fixed.

ROOT="$E2E_DIR/../.."

setup_project() {
    python3 "$ROOT/tests/fake/make_mirror.py" "$T/fx" ${1:-} || fail "make_mirror.py"
    export GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" GPUENV_MANIFEST_PATH="$T/fx/manifests" \
           GPUENV_CACHE_DIR="$T/cache" GPUENV_MIRROR="file://$T/fx/mirror"
    P="$T/my project's \$dir"   # spaces, a quote and a dollar sign
    mkdir -p "$P"
}

tree_of() { (cd "$1" && find . | LC_ALL=C sort && find . -type f -exec cat {} + | cksum); }

test_install_builds_a_complete_prefix_and_lock() {
    setup_project
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 --python 3.12
    assert_rc 0
    assert_out_has "installed cuda-toolkit 12.4.1 (4 archives, cudnn 9.1.0.70) into $P/.gpuenv"
    assert_out_has "downloaded 4"
    assert_out_has "not in this cuda release's manifest for linux-x86_64, so skipped: cuda_cccl"
    for f in bin/nvcc include/cuda_runtime.h include/cudnn.h lib/libcudart.so.12 lib/libcudnn.so.9 \
             lib64/libcublas.so.12 share/doc/cuda_nvcc/LICENSE share/doc/cudnn/LICENSE activate; do
        [ -e "$P/.gpuenv/$f" ] || fail "prefix lacks $f"
    done
    [ -f "$P/gpuenv.lock" ] || fail "no gpuenv.lock"
    python3 - "$P/gpuenv.lock" <<'PY' || fail "gpuenv.lock content"
import json, sys
l = json.load(open(sys.argv[1]))
assert l["schema"] == 1 and l["platform"] == "linux-x86_64", l
assert l["packages"] == {"cuda-toolkit": "12.4.1", "cudnn": "9.1.0.70", "cudnn_build": "cuda12"}, l["packages"]
assert l["host"] == {"driver": "550.54.15", "gpus": "8.0", "python": "3.12"}, l["host"]
assert sorted(a["component"] for a in l["archives"]) == ["cuda_cudart", "cuda_nvcc", "cudnn", "libcublas"]
assert all(len(a["sha256"]) == 64 and a["size"] > 0 and a["url_path"].startswith("compute/") for a in l["archives"])
PY
    ls -a "$P" | grep -q staging && fail "a staging folder was left"
    # not a terminal: no progress bars, no carriage returns, no escapes
    grep -q "$(printf '\r')" "$ERR" && fail "carriage return into a file"
    grep -q "$(printf '\033')" "$ERR" && fail "escape sequence into a file"
    gp -v install -C "$P" --driver 550.54.15 --gpu 8.0 --python 3.12
    assert_rc 0
    gp list -C "$P" --json
    assert_rc 0
    json 'd["cuda"] == "12.4.1" and d["cudnn"] == "9.1.0.70" and len(d["components"]) == 4'
}

test_second_project_installs_from_the_cache_without_network() {
    setup_project
    gp install -C "$P" --driver 550.54.15 --gpu 8.0
    assert_rc 0
    mkdir -p "$T/second"
    GPUENV_MIRROR="http://127.0.0.1:1" gp install -C "$T/second" --driver 550.54.15 --gpu 8.0 --json
    assert_rc 0
    json 'd["downloads"] == {"fetched": 0, "bytes": 0, "from_cache": 4, "repaired": 0}'
    # the files are shared: hard links into the cache's trees
    [ "$(stat -c %h "$T/second/.gpuenv/bin/nvcc")" -ge 3 ] || fail "not hard-linked"
}

test_lock_reinstall_locked_and_lock_only() {
    setup_project
    gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.0.*'
    assert_rc 0
    assert_out_has "locked cuda-toolkit 12.0.0"
    [ ! -e "$P/.gpuenv" ] || fail "lock installed something"
    [ ! -d "$T/cache/archives" ] || [ -z "$(ls "$T/cache/archives")" ] || fail "lock downloaded something"
    # install with no requirements installs exactly the lock
    gp install -C "$P" --json
    assert_rc 0
    json 'd["from_lock"] is True and d["packages"]["cuda"] == "12.0.0"'
    "$P/.gpuenv/bin/nvcc" | grep -q 12.0.0 || fail "not the locked toolkit"
    # --locked: the same request passes, another one fails with 7
    gp install -C "$P" --locked --driver 550.54.15 --gpu 8.0 'cuda==12.0.*'
    assert_rc 0
    gp install -C "$P" --locked --driver 550.54.15 --gpu 8.0 'cuda==12.4.*' --json
    assert_rc 7
    json 'd["error"]["kind"] == "locked" and "12.0.0" in d["error"]["message"]'
    mkdir -p "$T/nolock"
    gp install -C "$T/nolock" --locked --driver 550.54.15
    assert_rc 7; assert_err_has "has no gpuenv.lock"
}

test_failures_leave_the_previous_environment_whole() {
    setup_project
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.0.*'
    assert_rc 0
    before=$(tree_of "$P/.gpuenv")
    # a mirror that serves other bytes than the manifest lists
    python3 "$ROOT/tests/fake/make_mirror.py" "$T/other" || fail "mirror"
    for f in $(cd "$T/other/mirror" && find . -name '*12.4.1*' ! -name 'redistrib_*'); do
        printf 'X' | dd of="$T/fx/mirror/$f" bs=1 seek=40 conv=notrunc 2>/dev/null   # same size, other bytes
    done
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 5
    assert_err_has "sha256 mismatch"
    [ "$(tree_of "$P/.gpuenv")" = "$before" ] || fail "the previous prefix changed"
    # a dead mirror
    GPUENV_MIRROR="http://127.0.0.1:1" gp install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 1
    [ "$(tree_of "$P/.gpuenv")" = "$before" ] || fail "the previous prefix changed"
    ls -a "$P" | grep -q staging && fail "a staging folder was left"
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["packages"]["cuda-toolkit"] == "12.0.0"' \
        "$P/gpuenv.lock" || fail "the lock changed"
}

test_malicious_archive_is_refused() {
    setup_project --evil
    gp install -C "$P" --driver 550.54.15 --gpu 8.0
    assert_rc 5
    assert_err_has "points outside the archive"
    [ ! -e "$P/.gpuenv" ] || fail "a prefix was made"
    [ ! -e "$P/gpuenv.lock" ] || fail "a lock was written"
}

test_bad_input_is_a_usage_error() {
    setup_project
    gp install -C "$T/nowhere" --driver 550.54.15
    assert_rc 2; assert_err_has "project folder"
    gp install -C "$P" --mirror ftp://x --driver 550.54.15
    assert_rc 2; assert_err_has "invalid --mirror"
    gp install -C "$P" --driver 550.54.15 --components cuda_nvcc,no_such_thing
    assert_rc 2; assert_err_has "component 'no_such_thing' is not in the cuda manifest"
    gp install -C "$P" --driver 550.54.15 --platform windows
    assert_rc 2; assert_err_has "installs Linux toolkits only"
    gp install -C "$P" --jobs 0
    assert_rc 2
    printf '{"schema": 1}' >"$P/gpuenv.lock"
    gp install -C "$P"
    assert_rc 5; assert_err_has "gpuenv.lock"
}

test_list_remove_and_cache() {
    setup_project
    gp list -C "$P"
    assert_rc 1; assert_err_has "no gpuenv environment"
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 --components cuda_nvcc,cuda_cudart -q
    assert_rc 0
    gp list -C "$P"
    assert_rc 0; assert_out_has "cuda_nvcc"; assert_out_lacks "libcublas"
    gp cache list --json
    assert_rc 0; json 'd["archives"] == 2 and d["trees"] == 2 and d["cleaned"] is False'
    gp remove -C "$P"
    assert_rc 0; assert_out_has "removed $P/.gpuenv"
    [ ! -e "$P/.gpuenv" ] && [ -f "$P/gpuenv.lock" ] || fail "remove"
    gp install -C "$P" --json
    assert_rc 0; json 'd["downloads"]["fetched"] == 0'
    gp cache clean
    assert_rc 0; assert_out_has "0 entries removed, 2 kept for the prefixes that use them"
    gp cache clean --force
    assert_rc 0; assert_out_has "2 entries removed, 0 kept"
    [ -x "$P/.gpuenv/bin/nvcc" ] || fail "cleaning the cache broke the prefix"
    mkdir -p "$T/mine/.gpuenv"
    gp remove -C "$T/mine"
    assert_rc 1; assert_err_has "is not a gpuenv environment"
}

test_kill_9_at_any_moment_leaves_a_whole_prefix() {
    setup_project
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.0.*' -q
    assert_rc 0
    for delay in 0.005 0.01 0.02 0.03 0.05 0.08 0.12 0.2; do
        rm -rf "$T/cache/trees"            # make the install do real work each time
        "$GPUENV" -q install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*' >/dev/null 2>&1 &
        pid=$!
        sleep $delay
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        # whichever prefix is there is whole: its record parses and its nvcc is the recorded toolkit
        v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"]["cuda-toolkit"])' \
            "$P/.gpuenv/gpuenv-prefix.lock") || fail "after kill at ${delay}s: no whole prefix"
        "$P/.gpuenv/bin/nvcc" | grep -q "toolkit $v" || fail "after kill at ${delay}s: prefix says $v, nvcc disagrees"
        [ -L "$P/.gpuenv/lib/libcudart.so.12" ] || fail "after kill at ${delay}s: lib incomplete"
    done
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 0
    "$P/.gpuenv/bin/nvcc" | grep -q "toolkit 12.4.1" || fail "rerun did not install 12.4.1"
    ls -a "$P" | grep -q staging && fail "stale staging folders were not cleaned"
    ls "$T/cache/trees" | grep -q tmp && fail "stale trees were not cleaned"
    return 0
}

test_two_installs_at_once_on_one_project_and_cache() {
    setup_project
    "$GPUENV" -q install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*' >"$T/a.out" 2>&1 &
    a=$!
    "$GPUENV" -q install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.0.*' >"$T/b.out" 2>&1 &
    b=$!
    wait $a; ra=$?
    wait $b; rb=$?
    [ $ra -eq 0 ] && [ $rb -eq 0 ] || { cat "$T/a.out" "$T/b.out"; fail "concurrent installs: $ra $rb"; }
    v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"]["cuda-toolkit"])' \
        "$P/.gpuenv/gpuenv-prefix.lock") && [ -n "$v" ] || fail "no record of what the prefix holds"
    "$P/.gpuenv/bin/nvcc" | grep -q "toolkit $v\$" || fail "the prefix is not whole"
    ls -a "$P" | grep -q staging && fail "a staging folder was left"
    return 0
}

test_manifests_come_from_the_mirror_for_exactly_the_release() {
    setup_project
    unset GPUENV_MANIFEST_PATH
    # over HTTP, as from NVIDIA: fetched beside the archives, checked, cached, its digest locked
    python3 "$ROOT/tests/fake/http_server.py" "$T/fx/mirror" >"$T/port" 2>"$T/http.log" &
    SRV=$!
    trap 'kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
    i=0; while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    H="http://127.0.0.1:$(head -1 "$T/port")"
    GPUENV_MIRROR="$H" gp install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 0
    assert_out_has "fetched NVIDIA's manifest of cuda 12.4.1 from $H/compute/cuda/redist/redistrib_12.4.1.json"
    grep -q "GET /compute/cuda/redist/redistrib_12.4.1.json" "$T/http.log" || fail "not fetched over HTTP"
    cmp -s "$T/cache/manifests/cuda/redistrib_12.4.1.json" "$T/fx/mirror/compute/cuda/redist/redistrib_12.4.1.json" ||
        fail "the fetched manifest was not cached"
    python3 - "$P/gpuenv.lock" "$T/fx/mirror/compute" <<'PY' || fail "the lock's manifests"
import hashlib, json, sys
l = json.load(open(sys.argv[1]))
for kind, f in (("cuda-toolkit", "cuda/redist/redistrib_12.4.1.json"), ("cudnn", "cudnn/redist/redistrib_9.1.0.json")):
    assert l["manifests"][kind] == hashlib.sha256(open(sys.argv[2] + "/" + f, "rb").read()).hexdigest(), (kind, l)
PY
    # a damaged cache entry is fetched again
    printf 'garbage' >"$T/cache/manifests/cuda/redistrib_12.4.1.json"
    GPUENV_MIRROR="$H" gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 0
    assert_out_has "fetched NVIDIA's manifest of cuda 12.4.1"
    # the cache serves the next run: the mirror need not have it any more
    mv "$T/fx/mirror/compute/cuda/redist/redistrib_12.4.1.json" "$T/m.json"
    GPUENV_MIRROR="$H" gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 0
    assert_out_lacks "fetched NVIDIA's manifest of cuda"
    gp cache list --json
    assert_rc 0; json 'd["manifests"] == 2 and d["manifest_bytes"] > 0'
    gp cache clean
    assert_rc 0
    [ -e "$T/cache/manifests" ] || fail "'cache clean' removed the manifests"
    gp cache clean --force
    assert_rc 0
    [ ! -e "$T/cache/manifests" ] || fail "'cache clean --force' kept the manifests"
    # a release the origin has no manifest of is refused, never stood in for by a neighbour
    GPUENV_MIRROR="$H" gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*' --json
    assert_rc 5
    json 'd["error"]["exit"] == 5 and "redistrib_12.4.1.json" in d["error"]["message"] and "GPUENV_MANIFEST_PATH" in d["error"]["hint"]'
    # a mirror that serves another release's manifest under this name
    cp "$T/fx/mirror/compute/cuda/redist/redistrib_12.0.0.json" "$T/fx/mirror/compute/cuda/redist/redistrib_12.4.1.json"
    GPUENV_MIRROR="$H" gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 5
    assert_err_has "names another release (cuda 12.0.0): it is not NVIDIA's manifest of cuda 12.4.1"
    [ ! -e "$T/cache/manifests/cuda/redistrib_12.4.1.json" ] || fail "a wrong manifest was cached"
    # a damaged one
    printf '{"release_label": "12.4.1", ' >"$T/fx/mirror/compute/cuda/redist/redistrib_12.4.1.json"
    GPUENV_MIRROR="$H" gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 5; assert_err_lines 2
    # a mirror that fails now and then is retried; a dead one is exit 1
    mv "$T/m.json" "$T/fx/mirror/compute/cuda/redist/redistrib_12.4.1.json"
    GPUENV_MIRROR="$H/fail500-1" gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 0
    rm -rf "$T/cache/manifests"
    GPUENV_MIRROR="http://127.0.0.1:1" gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 1; assert_err_has "hint: check the network or --mirror"
    # shipped and GPUENV_MANIFEST_PATH manifests serve first, with no network at all
    GPUENV_MANIFEST_PATH="$T/fx/manifests" GPUENV_MIRROR="http://127.0.0.1:1" \
        gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 0
}

test_a_changed_manifest_is_never_installed_silently() {
    setup_project
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.0.*'
    assert_rc 0
    # the same archives, but the manifest was edited since the lock (here: its date)
    sed -i 's/"release_date": "[^"]*"/"release_date": "2099-01-01"/' "$T/fx/manifests/cuda/redistrib_12.0.0.json"
    gp install -C "$P" --locked --driver 550.54.15 --gpu 8.0 'cuda==12.0.*' --json
    assert_rc 7
    json 'd["error"]["kind"] == "locked" and "manifest of CUDA 12.0.0 changed" in d["error"]["message"]'
    # installing from the lock alone checks it against the manifest too
    rm -rf "$P/.gpuenv"
    gp install -C "$P"
    assert_rc 5
    assert_err_has "is not the one gpuenv.lock was written from"
    [ ! -e "$P/.gpuenv" ] || fail "a prefix was made"
    # 'gpuenv lock' pins what it now says
    gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.0.*'
    assert_rc 0
    gp install -C "$P"
    assert_rc 0
}
