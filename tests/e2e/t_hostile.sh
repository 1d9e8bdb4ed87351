# t_hostile.sh: an installer that can be trusted. Hostile archives, manifests and locks, a cache
# that was tampered with or rotted, folders that are not gpuenv's, kills, full disks: nothing is
# written outside the prefix, nothing of the user's is lost, every damage is said and mended.
# Each case builds its own fixtures (tests/fake/make_mirror.py) against the minimal matrix.

ROOT="$E2E_DIR/../.."

mirror() {
    python3 "$ROOT/tests/fake/make_mirror.py" "$T/fx" "$@" || fail "make_mirror.py $*"
    export GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" GPUENV_MANIFEST_PATH="$T/fx/manifests" \
           GPUENV_CACHE_DIR="$T/cache" GPUENV_MIRROR="file://$T/fx/mirror"
    P="$T/project"
    mkdir -p "$P"
}

install_124() { gp install -C "$P" --driver 550.54.15 --gpu 8.0 "$@" 'cuda==12.4.*'; }

# Nothing named gpuenv-evil-marker may exist but in the mirror that served it and inside the
# tree of the archive that holds it.
no_marker_outside() {
    found=$(find "$T" -name 'gpuenv-evil-marker*' -not -path "$T/fx/*" -not -path "$T/cache/trees/*/root/d1/*" 2>/dev/null)
    [ -z "$found" ] || fail "written outside: $found"
}

no_partial_trees() {
    ! ls "$T/cache/trees" | grep -q tmp || fail "a half-unpacked tree stayed: $(ls "$T/cache/trees")"
}

test_link_chains_across_archives_are_refused() {
    mirror --chain
    install_124
    assert_rc 5
    assert_err_has "d12/t' -> 's/../../gpuenv-evil-marker' resolves outside the tree"
    no_marker_outside
    no_partial_trees
    [ ! -e "$P/.gpuenv" ] || fail "a prefix was made"
    cudart=$(cd "$T/fx/mirror/compute/cuda/redist/cuda_cudart/linux-x86_64" && sha256sum *12.4.1* | cut -c1-64)
    [ ! -e "$T/cache/trees/$cudart" ] || fail "the refused tree stayed in the cache"
}

test_unsafe_names_in_manifests_are_refused() {
    mirror --component-name
    install_124
    assert_rc 5
    assert_err_has "a component, platform, variant or version name holds a character or form that is not allowed"
    [ ! -e "/tmp/outside/x" ] || fail "wrote /tmp/outside/x"
    rm -rf "$T/fx"
    mirror --percent
    install_124
    assert_rc 5
    assert_err_has "relative_path is missing, leaves the redist tree or holds a character that is not allowed"
    [ -z "$(ls "$T/cache/archives" 2>/dev/null)" ] || fail "something was fetched: $(ls "$T/cache/archives")"
}

# A lock committed to a repository is input too: every name in it is checked, and it is checked
# against NVIDIA's manifests before anything is installed from it.
test_hand_edited_locks_are_refused() {
    mirror
    gp lock -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 0
    cp "$P/gpuenv.lock" "$T/good.lock"
    edit() { python3 - "$P/gpuenv.lock" "$1" <<'PY' || fail "edit"
import json, sys
l = json.load(open(sys.argv[1]))
a = l["archives"][0]
exec(sys.argv[2])
json.dump(l, open(sys.argv[1], "w"), indent=1)
PY
    }
    edit 'a["component"] = "../../../../../../tmp/outside/x"'
    gp install -C "$P"
    assert_rc 5; assert_err_has "holds a character or form that is not allowed"
    [ ! -e /tmp/outside/x ] || fail "wrote /tmp/outside/x"
    cp "$T/good.lock" "$P/gpuenv.lock"
    edit 'a["url_path"] = a["url_path"].replace("compute/cuda/redist/", "compute/cuda/redist/%2e%2e/")'
    gp install -C "$P"
    assert_rc 5; assert_err_has "is not a plain path under compute/"
    # a digest and size that are well formed but not NVIDIA's
    cp "$T/good.lock" "$P/gpuenv.lock"
    edit 'a["sha256"] = "0" * 64; a["size"] = 4'
    gp install -C "$P" --json
    assert_rc 5
    json '"has another SHA-256 than NVIDIA" in d["error"]["message"] or "has another size than NVIDIA" in d["error"]["message"]'
    [ -z "$(ls "$T/cache/archives" 2>/dev/null)" ] || fail "something was fetched for a refused lock"
    [ ! -e "$P/.gpuenv" ] || fail "a prefix was made"
    # the lock as written installs
    cp "$T/good.lock" "$P/gpuenv.lock"
    gp install -C "$P"
    assert_rc 0
}

test_setuid_and_writable_modes_are_stripped() {
    mirror --modes
    install_124
    assert_rc 0
    for f in bin/nvcc bin/ptxas include/w.h; do
        m=$(stat -c %a "$P/.gpuenv/$f")
        case "$f:$m" in bin/*:555 | include/*:444) ;; *) fail "$f has mode $m" ;; esac
    done
    [ -z "$(find "$P/.gpuenv" "$T/cache/trees" -perm /6022 -type f)" ] || fail "special or writable modes left"
    # shared with the cache by hard links, so nobody may write through a prefix into every project
    [ "$(stat -c %h "$P/.gpuenv/bin/nvcc")" -ge 2 ] || fail "not hard-linked"
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
        chmod 755 "$T"
        setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo x >> '$P/.gpuenv/bin/nvcc'" 2>/dev/null &&
            fail "another user could write into the shared file"
    fi
    return 0
}

test_archive_bombs_are_refused() {
    mirror --bomb
    install_124
    assert_rc 5
    assert_err_has "refusing libcublas: it unpacks to more than"
    assert_err_has "--max-unpack-ratio"
    [ -z "$(find "$T/cache" -size +100M)" ] || fail "the bomb was written out"
    # raising the bound is possible, but not past what the disk is told
    install_124 --max-unpack-ratio 0
    assert_rc 2; assert_err_has "invalid --max-unpack-ratio"
}

test_deep_trees_install_and_deeper_ones_are_refused() {
    mirror --deep 100
    install_124
    assert_rc 0
    [ -f "$P/.gpuenv/$(seq -f 'd%g' 0 99 | tr '\n' /)f" ] || fail "the deep file is missing"
    install_124
    assert_rc 0
    rm -rf "$T/fx" "$T/cache"
    mirror --deep 140
    install_124
    assert_rc 5
    assert_err_has "is nested deeper than 128 folders"
    install_124
    assert_rc 5
    ls -a "$P" | grep -q staging && fail "a staging folder was left"
    no_partial_trees
    return 0
}

# Never replace (and so delete) a folder gpuenv did not make.
test_a_foreign_prefix_is_never_replaced() {
    mirror
    mkdir -p "$T/X/src"
    echo precious >"$T/X/src/thesis.tex"
    gp install -C "$P" --prefix "$T/X" --driver 550.54.15 --gpu 8.0 --json
    assert_rc 1
    json '"holds files and is not a gpuenv environment" in d["error"]["message"]'
    [ "$(cat "$T/X/src/thesis.tex")" = precious ] || fail "the user's file is gone"
    [ -z "$(ls "$T/cache/archives" 2>/dev/null)" ] || fail "downloaded before refusing"
    ln -s "$T/X" "$T/link"
    gp install -C "$P" --prefix "$T/link" --driver 550.54.15 --gpu 8.0
    assert_rc 1; assert_err_has "is a symbolic link"
    # an empty folder, or one gpuenv made, is fine
    mkdir "$T/empty"
    gp install -C "$P" --prefix "$T/empty" --driver 550.54.15 --gpu 8.0
    assert_rc 0
    gp install -C "$P" --prefix "$T/empty" --driver 550.54.15 --gpu 8.0
    assert_rc 0
}

test_an_unwritable_project_is_refused_before_downloading() {
    mirror
    if [ "$(id -u)" = 0 ]; then
        command -v setpriv >/dev/null 2>&1 || { echo "setpriv missing: skipped (util-linux)"; return 0; }
        chmod 755 "$T" && mkdir -p "$T/cache" && chmod 777 "$T/cache"
        # the checkout may sit in a folder only root can enter (a mktemp -d clone): the binary and
        # the matrix go where the unprivileged user can reach them
        cp "$GPUENV" "$T/gpuenv" && cp -R "$GPUENV_DATA_DIR" "$T/data" && chmod -R a+rX "$T/gpuenv" "$T/data" "$T/fx" ||
            fail "copying for the unprivileged user"
        setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$T" GPUENV_DATA_DIR="$T/data" "$T/gpuenv" \
            install -C "$P" --driver 550.54.15 --gpu 8.0 >"$OUT" 2>"$ERR"
        RC=$?
    else
        chmod 555 "$P"
        gp install -C "$P" --driver 550.54.15 --gpu 8.0
        chmod 755 "$P"
    fi
    assert_rc 1
    assert_err_has "cannot write in the project folder '$P'"
    assert_err_has "hint: run gpuenv as a user who may write there"
    [ -z "$(ls "$T/cache/archives" 2>/dev/null)" ] || fail "downloaded into an install that could not finish"
}

# The prefix and gpuenv.lock change together: after a kill at any moment, the lock the project
# sees is the one its prefix holds, and a plain 'install' never goes back to the old one.
test_a_kill_never_leaves_the_lock_and_prefix_apart() {
    mirror
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.0.*' -q
    assert_rc 0
    rec() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"]["cuda-toolkit"])' "$1"; }
    for delay in 0.005 0.01 0.02 0.03 0.04 0.05 0.06 0.08 0.1 0.12 0.15 0.2 0.3; do
        rm -rf "$T/cache/trees"
        "$GPUENV" -q install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*' >/dev/null 2>&1 &
        pid=$!
        sleep $delay
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        have=$(rec "$P/.gpuenv/gpuenv-prefix.lock") || fail "after a kill at ${delay}s: no whole prefix"
        # what the project's lock says, once a pending lock left by the kill is taken into account
        if [ -f "$P/gpuenv.lock.pending" ] && cmp -s "$P/gpuenv.lock.pending" "$P/.gpuenv/gpuenv-prefix.lock"; then
            lock=$(rec "$P/gpuenv.lock.pending")
        else
            lock=$(rec "$P/gpuenv.lock")
        fi
        [ "$lock" = "$have" ] || fail "after a kill at ${delay}s: the lock says $lock, the prefix holds $have"
        # the next plain install keeps what the prefix holds and settles the lock
        "$GPUENV" -q install -C "$P" >/dev/null 2>&1 || fail "plain install after a kill at ${delay}s"
        [ "$(rec "$P/gpuenv.lock")" = "$have" ] || fail "after a kill at ${delay}s: install went from $have to $(rec "$P/gpuenv.lock")"
        [ "$(rec "$P/.gpuenv/gpuenv-prefix.lock")" = "$have" ] || fail "after a kill at ${delay}s: the prefix changed"
        [ ! -e "$P/gpuenv.lock.pending" ] || fail "a pending lock stayed"
        # back to the old one for the next round
        "$GPUENV" -q install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.0.*' >/dev/null 2>&1 || fail "reset"
    done
}

test_a_damaged_cache_is_mended() {
    mirror
    install_124 --json
    assert_rc 0
    sha=$(python3 -c 'import json,sys; print([a["sha256"] for a in json.load(open(sys.argv[1]))["archives"] if a["component"] == "cuda_nvcc"][0])' "$P/gpuenv.lock")
    tree="$T/cache/trees/$sha/root"
    # an edited file in a cached tree is not installed into a new project: the tree is made again
    chmod u+w "$tree/bin/nvcc" && echo 'echo tampered' >>"$tree/bin/nvcc"
    mkdir "$T/p2"
    gp install -C "$T/p2" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*' --json
    assert_rc 0
    json 'd["downloads"]["repaired"] == 1 and d["downloads"]["fetched"] == 0'
    assert_err_has "the cache's cuda_nvcc is damaged"
    "$T/p2/.gpuenv/bin/nvcc" | grep -q tampered && fail "the tampered file was installed"
    # a same-size archive with other bytes, and its tree gone: downloaded again
    rm -rf "$T/cache/trees/$sha"
    printf 'X' | dd of="$T/cache/archives/$sha" bs=1 seek=40 conv=notrunc 2>/dev/null
    mkdir "$T/p3"
    gp install -C "$T/p3" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*' --json
    assert_rc 0
    json 'd["downloads"]["repaired"] == 1 and d["downloads"]["fetched"] == 1'
    "$T/p3/.gpuenv/bin/nvcc" | grep -q "toolkit 12.4.1" || fail "not the right toolkit after the mend"
    # the same bytes written back with the old size and time: only reading tells (--verify)
    f="$tree/include/cuda_runtime.h"
    [ -f "$f" ] || f=$(find "$T/cache/trees" -name cuda_runtime.h | head -n 1)
    touch -r "$f" "$T/stamp" && chmod u+w "$f" && printf 'Z' | dd of="$f" bs=1 seek=3 conv=notrunc 2>/dev/null &&
        chmod a-w "$f" && touch -r "$T/stamp" "$f" || fail "damaging in place"
    mkdir "$T/p4"
    gp install -C "$T/p4" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*' --verify --json
    assert_rc 0
    json 'd["downloads"]["repaired"] == 1'
    gp cache verify --json
    assert_rc 0
    json 'd["ok"] and d["damaged"] == [] and d["archives"] == 4 and d["trees"] == 4'
    # cache verify finds, says and removes what is damaged; the next install mends it
    f=$(find "$T/cache/trees" -name libcublas.so.12.4.1 | head -n 1)
    chmod u+w "$f" && echo x >>"$f"
    gp cache verify
    assert_rc 5
    assert_out_has "damaged tree"
    assert_err_has "1 damaged entry found in the cache and removed"
    gp cache verify
    assert_rc 0
    mkdir "$T/p5"
    gp install -C "$T/p5" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 0
}

test_waiting_for_a_lock_is_said() {
    mirror
    mkdir -p "$T/cache"
    printf 'pid 4242: install into /somewhere/.gpuenv\n' >"$T/cache/lock"
    command -v flock >/dev/null 2>&1 || { echo "flock missing: skipped (util-linux)"; return 0; }
    flock "$T/cache/lock" sleep 2 &
    holder=$!
    sleep 0.3
    install_124
    wait $holder
    assert_rc 0
    assert_err_has "waiting for the cache $T/cache, which another gpuenv holds: pid 4242: install into /somewhere/.gpuenv"
}

# In a log (not a terminal) the unpacking is said archive by archive, never with bars.
test_unpacking_is_shown_in_a_log() {
    mirror
    install_124
    assert_rc 0
    assert_err_has "gpuenv: downloaded cuda_nvcc-linux-x86_64-12.4.1-archive.tar.xz"
    assert_err_has "gpuenv: unpacked cuda_nvcc ("
    assert_err_has "gpuenv: unpacked cudnn ("
    grep -q "$(printf '\r')" "$ERR" && fail "carriage return into a log"
    gp -q install -C "$P" --driver 550.54.15 --gpu 8.0 'cuda==12.0.*'
    assert_rc 0; assert_err_empty
}

# Mount a small tmpfs at $1 (root in a sandbox that allows it); 1 when not possible.
small_disk() {
    mkdir -p "$1"
    [ "$(id -u)" = 0 ] && mount -t tmpfs -o size="$2" tmpfs "$1" 2>/dev/null
}

test_a_full_disk_is_said_and_nothing_is_left() {
    mirror --big
    if ! small_disk "$T/small" 512k; then
        echo "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): skipped"
        return 0
    fi
    trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
    # the cache on one file system, the prefix on another too small for it: files are copied
    gp install -C "$P" --prefix "$T/small/env" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 1
    assert_err_has "no space left on the file system"
    assert_err_lacks "cross-device"
    # only the prefix's lock file (which must stay: see 'gpuenv remove') is left
    [ "$(ls -A "$T/small")" = env.flock ] || fail "left on the full disk: $(ls -A "$T/small")"
    umount "$T/small"
}

test_sparse_files_stay_sparse_across_file_systems() {
    mirror --sparse
    if ! small_disk "$T/other" 16m; then
        echo "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): skipped"
        return 0
    fi
    trap 'umount "$T/other" 2>/dev/null; rm -rf "$T"' EXIT
    gp install -C "$P" --prefix "$T/other/env" --driver 550.54.15 --gpu 8.0 'cuda==12.4.*'
    assert_rc 0
    f="$T/other/env/lib/sparse"
    [ "$(stat -c %s "$f")" -eq $((48 << 20)) ] || fail "size $(stat -c %s "$f")"
    used=$(( $(stat -c %b "$f") * $(stat -c %B "$f") ))
    [ "$used" -lt $((1 << 20)) ] || fail "the copy filled its holes: $used bytes"
    umount "$T/other"
}
