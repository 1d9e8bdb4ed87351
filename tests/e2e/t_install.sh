# t_install.sh: make install / uninstall with DESTDIR and PREFIX, as a packager runs them, on a copy
# of the source tree (so that rebuilding for another PREFIX never touches the binary under test).

ROOT="$E2E_DIR/../.."

# make as a packager runs it: nothing inherited from the make running the tests (SANITIZE=1)
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE -u B make "$@"; }

copy_tree() {
    command -v make >/dev/null 2>&1 || fail "make missing"
    S="$T/src"
    mkdir -p "$S"
    (cd "$ROOT" && cp -R Makefile src data man completions "$S"/) || fail "copying the tree"
}

test_install_and_uninstall_mirror_each_other() {
    copy_tree
    dest="$T/dest"
    mk -s -C "$S" -j2 install DESTDIR="$dest" PREFIX=/opt/gpuenv >"$OUT" 2>"$ERR"; RC=$?
    assert_rc 0
    for f in bin/gpuenv share/man/man1/gpuenv.1 share/bash-completion/completions/gpuenv \
             share/zsh/site-functions/_gpuenv share/fish/vendor_completions.d/gpuenv.fish \
             share/gpuenv/README.md share/gpuenv/cuda.json share/man/man5/gpuenv-matrix.5; do
        [ -f "$dest/opt/gpuenv/$f" ] || fail "install did not write $f"
    done
    [ -x "$dest/opt/gpuenv/bin/gpuenv" ] || fail "installed binary not executable"
    "$dest/opt/gpuenv/bin/gpuenv" --version >/dev/null || fail "installed binary does not run"
    mk -s -C "$S" uninstall DESTDIR="$dest" PREFIX=/opt/gpuenv >"$OUT" 2>"$ERR"; RC=$?
    assert_rc 0
    left=$(find "$dest" -type f)
    [ -z "$left" ] || fail "uninstall left: $left"
    [ ! -e "$dest/opt/gpuenv/share/gpuenv" ] || fail "uninstall left the data folder"
}

# 'make && make install PREFIX=/usr': the staged binary finds its data, whatever the first build
# compiled in; a PREFIX change rebuilds what holds the data folder; zsh's folder is Debian's.
test_a_staged_install_resolves() {
    copy_tree
    mk -s -C "$S" -j2 >/dev/null 2>&1 || fail "make"
    dest="$T/dest"
    mk -s -C "$S" -j2 install DESTDIR="$dest" PREFIX=/usr >"$OUT" 2>"$ERR"; RC=$?
    assert_rc 0
    [ -f "$dest/usr/share/zsh/vendor-completions/_gpuenv" ] || fail "zsh completion not in vendor-completions"
    OUTB="$OUT"
    "$dest/usr/bin/gpuenv" resolve torch --driver 550.54.15 --gpu 8.0 --python 3.12 >"$OUT" 2>"$ERR"; RC=$?
    assert_rc 0
    assert_out_has "torch"
    # a real PREFIX (no DESTDIR): the binary, moved away from it, still finds the data it was built for
    mk -s -C "$S" -j2 install PREFIX="$T/real" >/dev/null 2>"$ERR" || fail "install to $T/real"
    mkdir -p "$T/elsewhere"
    cp "$T/real/bin/gpuenv" "$T/elsewhere/gpuenv"
    "$T/elsewhere/gpuenv" resolve torch --driver 550.54.15 --gpu 8.0 --python 3.12 >"$OUT" 2>"$ERR"; RC=$?
    assert_rc 0
    # CPPFLAGS reach the compiler
    mk -C "$S" -n -B build/rel/str.o CPPFLAGS=-DGPUENV_CPPFLAGS_SEEN >"$OUT" 2>&1 || fail "make -n"
    assert_out_has "-DGPUENV_CPPFLAGS_SEEN"
}

# uninstall removes exactly what install wrote, even when DATADIR is a folder holding other things
test_uninstall_removes_only_its_own_files() {
    copy_tree
    dest="$T/dest"
    mkdir -p "$dest/usr/share/other"
    echo keep >"$dest/usr/share/other/file"
    echo keep >"$dest/usr/share/README.md.orig"
    mk -s -C "$S" -j2 install DESTDIR="$dest" PREFIX=/usr DATADIR=/usr/share >"$OUT" 2>"$ERR"; RC=$?
    assert_rc 0
    [ -f "$dest/usr/share/cuda.json" ] || fail "data not in DATADIR"
    mk -s -C "$S" uninstall DESTDIR="$dest" PREFIX=/usr DATADIR=/usr/share >"$OUT" 2>"$ERR"; RC=$?
    assert_rc 0
    [ -f "$dest/usr/share/other/file" ] && [ -f "$dest/usr/share/README.md.orig" ] || fail "uninstall removed others' files"
    [ ! -e "$dest/usr/share/cuda.json" ] && [ ! -e "$dest/usr/share/redist" ] || fail "uninstall left gpuenv's data"
    left=$(cd "$dest" && find . -type f | sort | tr '\n' ' ')
    [ "$left" = "./usr/share/README.md.orig ./usr/share/other/file " ] || fail "left: $left"
}
