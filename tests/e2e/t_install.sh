# t_install.sh: make install / uninstall with DESTDIR and PREFIX, as a packager runs them.

ROOT="$E2E_DIR/../.."

test_install_and_uninstall_mirror_each_other() {
    command -v make >/dev/null 2>&1 || fail "make missing"
    dest="$T/dest"
    make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/opt/gpuenv >"$OUT" 2>"$ERR"; RC=$?
    assert_rc 0
    for f in bin/gpuenv share/man/man1/gpuenv.1 share/bash-completion/completions/gpuenv \
             share/zsh/site-functions/_gpuenv share/fish/vendor_completions.d/gpuenv.fish \
             share/gpuenv/README.md share/gpuenv/cuda.json share/man/man5/gpuenv-matrix.5; do
        [ -f "$dest/opt/gpuenv/$f" ] || fail "install did not write $f"
    done
    [ -x "$dest/opt/gpuenv/bin/gpuenv" ] || fail "installed binary not executable"
    "$dest/opt/gpuenv/bin/gpuenv" --version >/dev/null || fail "installed binary does not run"
    make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/opt/gpuenv >"$OUT" 2>"$ERR"; RC=$?
    assert_rc 0
    left=$(find "$dest" -type f)
    [ -z "$left" ] || fail "uninstall left: $left"
}
