# t_cache.sh: the cache shared by several prefixes and users: who uses an entry, 'cache clean'
# keeping what an existing prefix needs, a read-only cache an admin prepared serving another user
# without a lock or write access, and a cache on another file system (a tmpfs) copied from with
# a one-line note.

ROOT="$E2E_DIR/../.."

setup_cache() {
    python3 "$ROOT/tests/fake/make_mirror.py" "$T/fx" >/dev/null || fail "make_mirror.py"
    export GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" GPUENV_MANIFEST_PATH="$T/fx/manifests" \
           GPUENV_CACHE_DIR="$T/cache" GPUENV_MIRROR="file://$T/fx/mirror"
    unset GPUENV_OFFLINE || true
    mkdir -p "$T/a" "$T/b"
}

test_clean_keeps_what_existing_prefixes_were_installed_from() {
    setup_cache
    gp install -C "$T/a" cuda-toolkit==12.4.1 --driver 550.54.15 --no-python -q
    assert_rc 0
    gp install -C "$T/b" cuda-toolkit==12.0.0 --driver 550.54.15 --no-python --components cuda_nvcc -q
    assert_rc 0
    gp cache list --json
    assert_rc 0
    json "len(d['entries']) == 5 and sorted(p['path'] for p in d['prefixes']) == ['$T/a/.gpuenv', '$T/b/.gpuenv'] and [e['used_by'] for e in d['entries'] if e['component'] == 'cuda_nvcc' and e['version'] == '12.0.0'] == [['$T/b/.gpuenv']] and all(e['used_by'] == ['$T/a/.gpuenv'] for e in d['entries'] if e['version'] != '12.0.0')"
    gp cache list
    assert_rc 0
    assert_out_has "cuda_nvcc            12.0.0       archive+tree"
    assert_out_has "used by $T/b/.gpuenv"
    # b's prefix is removed: what only it used may go, a's stays
    gp remove -C "$T/b"
    assert_rc 0
    gp cache clean --json
    assert_rc 0
    json "d['cleaned'] and d['removed'] == 1 and d['kept'] == 4"
    gp cache list --json
    json "len(d['entries']) == 4 and [p['path'] for p in d['prefixes']] == ['$T/a/.gpuenv']"
    # a reinstall of a needs no download
    rm -rf "$T/a/.gpuenv"
    gp install -C "$T/a" --json
    assert_rc 0
    json "d['downloads']['fetched'] == 0"
    # a prefix whose lock cannot be read may need anything: clean keeps everything, --force does not
    chmod u+w "$T/a/.gpuenv" 2>/dev/null
    echo 'damaged' >"$T/a/.gpuenv/gpuenv-prefix.lock"
    gp cache clean
    assert_rc 0
    assert_out_has "0 entries removed, 4 kept"
    assert_out_has "every entry kept"
    gp cache clean --force --json
    assert_rc 0
    json "d['removed'] == 4 and d['kept'] == 0"
    [ -x "$T/a/.gpuenv/bin/nvcc" ] || fail "cleaning the cache broke the prefix"
    gp cache list --force
    assert_rc 2
    assert_err_has "--force goes with 'cache clean'"
}

# the user 'nobody' with nothing of its own but a project folder and a HOME; the binary and the
# matrix are copied where it can read them (a fresh clone may sit in a folder only root enters)
as_nobody() {
    setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$T/home-nobody" GPUENV_DATA_DIR="$T/data" \
        "$T/bin/gpuenv" "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

test_a_read_only_cache_serves_another_user_without_a_lock() {
    [ "$(id -u)" -eq 0 ] || { echo "skipped: switching to another user needs root"; return 0; }
    command -v setpriv >/dev/null 2>&1 || { echo "skipped: setpriv (util-linux) missing"; return 0; }
    setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null ||
        { echo "skipped: this sandbox cannot switch to the user nobody"; return 0; }
    setup_cache
    chmod 755 "$T"
    mkdir -p "$T/bin"
    cp "$GPUENV" "$T/bin/gpuenv" && cp -R "$GPUENV_DATA_DIR" "$T/data" || fail "copying gpuenv"
    chmod -R a+rX "$T/fx" "$T/bin" "$T/data"
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/bin/gpuenv" --version >/dev/null 2>&1 ||
        { echo "skipped: the user nobody cannot run gpuenv here"; return 0; }
    # the admin fills the cache
    gp install -C "$T/a" cuda-toolkit==12.4.1 --driver 550.54.15 --no-python -q
    assert_rc 0
    lock_before=$(stat -c %Y:%s "$T/cache/lock")
    mkdir -p "$T/u" "$T/home-nobody"
    chown nobody "$T/u" "$T/home-nobody"
    as_nobody install -C "$T/u" cuda-toolkit==12.4.1 --driver 550.54.15 --no-python --json
    assert_rc 0
    json "d['ok'] and d['downloads']['fetched'] == 0 and d['downloads']['from_cache'] == 4"
    # files it may not link are copied, said in one line
    [ "$(grep -c "cannot be hard-linked into $T/u/.gpuenv (this user may not link its files)" "$ERR")" -eq 1 ] ||
        fail "no one-line note about the copies"
    [ -x "$T/u/.gpuenv/bin/nvcc" ] || fail "the prefix lacks nvcc"
    [ "$(stat -c %U "$T/u/.gpuenv/bin/nvcc")" = nobody ] || fail "nvcc is not the user's own copy"
    [ "$(stat -c %Y:%s "$T/cache/lock")" = "$lock_before" ] || fail "the reader wrote the cache's lock"
    [ "$(ls "$T/cache/prefixes" | wc -l)" -eq 1 ] || fail "the reader recorded itself in a read-only cache"
    # what the cache lacks cannot be put there: said, and nothing is half-made
    as_nobody install -C "$T/u" cuda-toolkit==12.0.0 --driver 550.54.15 --no-python
    assert_rc 1
    assert_err_has "the shared cache $T/cache is read-only to this user and lacks 3 archives of gpuenv.lock"
    assert_err_has "GPUENV_CACHE_DIR"
    ls -a "$T/u" | grep -q staging && fail "a staging folder was left"
    as_nobody cache list --json
    assert_rc 0
    json "d['readonly'] is True and len(d['entries']) == 4"
    as_nobody cache clean
    assert_rc 1
    assert_err_has "is read-only to this user"
}

test_a_cache_on_another_file_system_is_copied_from_with_a_note() {
    shm=/dev/shm
    [ -d "$shm" ] && [ -w "$shm" ] || { echo "skipped: no writable /dev/shm"; return 0; }
    [ "$(stat -f -c %T "$shm")" = tmpfs ] || { echo "skipped: /dev/shm is not a tmpfs here"; return 0; }
    [ "$(stat -c %d "$shm")" != "$(stat -c %d "$T")" ] || { echo "skipped: /dev/shm and $T are one file system"; return 0; }
    setup_cache
    C=$(mktemp -d "$shm/gpuenv-e2e-cache.XXXXXX")
    trap 'rm -rf "$T" "$C"' EXIT
    GPUENV_CACHE_DIR="$C" gp install -C "$T/a" cuda-toolkit==12.4.1 --driver 550.54.15 --no-python
    assert_rc 0
    [ "$(grep -c "gpuenv: $C cannot be hard-linked into $T/a/.gpuenv (it is on another file system): 10 files copied" "$ERR")" -eq 1 ] ||
        fail "no one-line note about the copies"
    [ "$(stat -c %h "$T/a/.gpuenv/bin/nvcc")" -eq 1 ] || fail "nvcc is linked, not copied"
    [ ! -w "$T/a/.gpuenv/bin/nvcc" ] || [ "$(id -u)" -eq 0 ] || fail "the copy is writable"
    [ "$(stat -c %a "$T/a/.gpuenv/bin/nvcc")" = 555 ] || fail "the copy's mode: $(stat -c %a "$T/a/.gpuenv/bin/nvcc")"
    # the same cache on the same file system links, and says nothing
    GPUENV_CACHE_DIR="$T/cache" gp install -C "$T/b" cuda-toolkit==12.4.1 --driver 550.54.15 --no-python
    assert_rc 0
    assert_err_lacks "cannot be hard-linked"
}
