# t_activate.sh: using an installed environment in real shells (bash, dash, zsh, ksh, fish, tcsh,
# csh), through Lmod (Lua and Tcl modulefiles), 'gpuenv env', 'gpuenv run', 'gpuenv shell' and
# 'gpuenv modulefile'. The project's path holds a space, a quote, '$', a backslash, '!' and a
# non-ASCII letter, so every dialect's quoting is exercised.

ROOT="$E2E_DIR/../.."

# install the fixture toolkit into $P; A is the prefix; SHADOW a folder with another CUDA runtime
setup_env() {
    python3 "$ROOT/tests/fake/make_mirror.py" "$T/fx" >/dev/null || fail "make_mirror.py"
    export GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" GPUENV_MANIFEST_PATH="$T/fx/manifests" \
           GPUENV_CACHE_DIR="$T/cache" GPUENV_MIRROR="file://$T/fx/mirror"
    P="${1:-$T/my proj's \$dir \\ é!}"
    mkdir -p "$P"
    gp install -q -C "$P" --driver 550.54.15 --gpu 8.0
    assert_rc 0
    export A="$P/.gpuenv" T
    export SHADOW="$T/usr local/cuda-12/lib64"
    mkdir -p "$SHADOW" && : >"$SHADOW/libcudart.so.12"
    export LDP="$SHADOW:$T/plain dir"
    export NAME=my_proj_s_dir_
    unset GPUENV_NO_PROMPT GPUENV_PREFIX GPUENV_NAME || true
}

need() { command -v "$1" >/dev/null 2>&1 || { echo "$1 missing: 'make deps' installs it"; exit 1; }; }

# The shells write env -0 dumps to $T/before, $T/during (active, sourced twice) and $T/after
# (deactivated), and nvcc's output to $T/nvcc; this checks them.
check_dumps() {
    python3 - "$T" "$A" "$LDP" "$1" <<'PY' || fail "$1: environment round trip"
import sys
t, a, ldp, shell = sys.argv[1:]
def dump(name):
    env = {}
    for item in open("%s/%s" % (t, name), "rb").read().split(b"\0"):
        if item:
            k, _, v = item.decode().partition("=")
            env[k] = v
    for k in ("_AST_FEATURES", "_", "SHLVL"):  # ksh93's own; the last command; nesting depth
        env.pop(k, None)
    return env
before, during, after = dump("before"), dump("during"), dump("after")
for k in ("CUDA_HOME", "CUDA_PATH", "CUDNN_PATH", "GPUENV_PREFIX"):
    assert during.get(k) == a, (shell, k, during.get(k))
assert during["GPUENV_NAME"] == "my_proj_s_dir_", during["GPUENV_NAME"]
path = during["PATH"].split(":")
assert path[0] == a + "/bin" and path.count(a + "/bin") == 1, (shell, "PATH", path[:3])
assert path[1:] == before["PATH"].split(":"), (shell, "PATH rest")
assert during["LD_LIBRARY_PATH"] == a + "/lib:" + ldp, (shell, during["LD_LIBRARY_PATH"])
assert "gpuenv test toolkit 12.4.1" in open(t + "/nvcc").read(), shell
if before != after:
    for k in sorted(set(before) | set(after)):
        if before.get(k) != after.get(k):
            print(shell, "differs:", k, repr(before.get(k)), "->", repr(after.get(k)))
    sys.exit(1)
PY
}

# the warning about the other CUDA on LD_LIBRARY_PATH: once, though sourced twice
check_one_warning() {
    n=$(grep -c "gpuenv: warning: LD_LIBRARY_PATH also holds CUDA or cuDNN libraries in $SHADOW;" "$ERR")
    [ "$n" -eq 1 ] || fail "$1: $n shadowing warnings, expected 1"
}

test_posix_shells_source_twice_and_restore_exactly() {
    setup_env
    for sh in bash dash zsh ksh; do
        need $sh
        LD_LIBRARY_PATH="$LDP" CUDA_HOME="/old home" $sh -c '
            env -0 > "$T/before"
            . "$A/activate"; . "$A/activate"
            env -0 > "$T/during"
            nvcc > "$T/nvcc"
            gpuenv_deactivate
            env -0 > "$T/after"
            if command -v gpuenv_deactivate >/dev/null 2>&1; then echo "gpuenv_deactivate left"; exit 1; fi
            ' >"$OUT" 2>"$ERR" || fail "$sh: script failed"
        check_dumps $sh
        check_one_warning $sh
        # the same through eval of 'gpuenv env', from the project folder
        rm -f "$T/during"
        (cd "$P" && LD_LIBRARY_PATH="$LDP" $sh -c '
            env -0 > "$T/before"
            eval "$("$GPUENV" env --shell '$sh')"; eval "$("$GPUENV" env --shell '$sh')"
            env -0 > "$T/during"; nvcc > "$T/nvcc"
            gpuenv_deactivate
            env -0 > "$T/after"') >"$OUT" 2>"$ERR" || fail "$sh: eval failed"
        check_dumps "$sh eval"
    done
}

test_fish_sources_twice_and_restores_exactly() {
    need fish
    setup_env
    LD_LIBRARY_PATH="$LDP" CUDA_HOME="/old home" fish --no-config -c '
        env -0 > "$T/before"
        source "$A/activate.fish"; source "$A/activate.fish"
        env -0 > "$T/during"
        nvcc > "$T/nvcc"
        gpuenv_deactivate
        env -0 > "$T/after"
        functions -q gpuenv_deactivate; and exit 1
        true' >"$OUT" 2>"$ERR" || fail "fish: script failed"
    check_dumps fish
    check_one_warning fish
    (cd "$P" && LD_LIBRARY_PATH="$LDP" fish --no-config -c '
        env -0 > "$T/before"
        $GPUENV env --shell fish | source
        env -0 > "$T/during"; nvcc > "$T/nvcc"
        gpuenv_deactivate
        env -0 > "$T/after"') >"$OUT" 2>"$ERR" || fail "fish: eval failed"
    check_dumps "fish eval"
}

test_csh_and_tcsh_source_twice_and_restore_exactly() {
    setup_env
    cat >"$T/t.csh" <<'EOF'
env -0 > "$T/before"
source "$A/activate.csh"
source "$A/activate.csh"
env -0 > "$T/during"
nvcc > "$T/nvcc"
gpuenv_deactivate
env -0 > "$T/after"
alias gpuenv_deactivate | grep -q . && exit 1
exit 0
EOF
    cat >"$T/e.csh" <<'EOF'
cd "$P"
env -0 > "$T/before"
eval "`$GPUENV env --shell csh`"
eval "`$GPUENV env --shell csh`"
env -0 > "$T/during"
nvcc > "$T/nvcc"
gpuenv_deactivate
env -0 > "$T/after"
EOF
    export P
    for sh in tcsh csh; do
        need $sh
        LD_LIBRARY_PATH="$LDP" CUDA_HOME="/old home" $sh -f "$T/t.csh" >"$OUT" 2>"$ERR" || fail "$sh: script failed"
        check_dumps $sh
        # BSD csh cannot split LD_LIBRARY_PATH without a subprocess: only tcsh warns
        if [ $sh = tcsh ]; then check_one_warning tcsh; else assert_err_empty; fi
        LD_LIBRARY_PATH="$LDP" $sh -f "$T/e.csh" >"$OUT" 2>"$ERR" || fail "$sh: eval failed"
        check_dumps "$sh eval"
        # for eval, gpuenv itself warns (once per eval)
        n=$(grep -c "LD_LIBRARY_PATH also holds" "$ERR"); [ "$n" -eq 2 ] || fail "$sh eval: $n warnings"
    done
}

test_prompt_shows_the_name_unless_told_not_to() {
    setup_env
    for sh in bash zsh dash ksh; do
        need $sh
        out=$($sh -c 'PS1="\$ "; . "$A/activate"; printf "%s|" "$PS1"; gpuenv_deactivate; printf "%s|" "$PS1"
                      GPUENV_NO_PROMPT=1; . "$A/activate"; printf "%s|" "$PS1"; gpuenv_deactivate' 2>&1)
        [ "$out" = "($NAME) \$ |\$ |\$ |" ] || fail "$sh prompt: $out"
        # a shell without a prompt (a script) gets none
        out=$($sh -c 'unset PS1; . "$A/activate"; echo "${PS1-unset}"')
        [ "$out" = unset ] || fail "$sh: PS1 set in a script: $out"
    done
    out=$(fish --no-config -c 'function fish_prompt; printf "> "; end
        source "$A/activate.fish"; fish_prompt; printf "|"; false; fish_prompt; printf "|"
        gpuenv_deactivate; fish_prompt; printf "|"
        set -gx GPUENV_NO_PROMPT 1; source "$A/activate.fish"; fish_prompt' 2>&1)
    [ "$out" = "($NAME) > |($NAME) > |> |> " ] || fail "fish prompt: $out"
    for sh in tcsh csh; do
        printf '%s\n' 'set prompt = "> "' 'source "$A/activate.csh"' 'echo "$prompt|"' 'gpuenv_deactivate' \
            'echo "$prompt|"' 'setenv GPUENV_NO_PROMPT 1' 'source "$A/activate.csh"' 'echo "$prompt|"' >"$T/p.csh"
        out=$($sh -f "$T/p.csh" 2>&1 | tr -d '\n')
        [ "$out" = "($NAME) > |> |> |" ] || fail "$sh prompt: $out"
    done
}

test_another_environment_replaces_the_active_one() {
    setup_env
    mkdir -p "$T/second"
    gp install -q -C "$T/second" --driver 550.54.15 --gpu 8.0
    assert_rc 0
    out=$(bash -c '. "$A/activate"; . "$T/second/.gpuenv/activate"; echo "$CUDA_HOME|$PATH"; gpuenv_deactivate
                   echo "${CUDA_HOME-unset}"')
    case "$out" in
        "$T/second/.gpuenv|$T/second/.gpuenv/bin:"*"
unset") ;;
        *) fail "switching environments: $out" ;;
    esac
    case "$out" in *"$A/bin"*) fail "the first environment's PATH stayed: $out" ;; esac
}

test_env_clean_dotenv_json_and_errors() {
    setup_env
    cd "$P" || fail cd
    LD_LIBRARY_PATH="$LDP" gp env --shell bash --clean
    assert_rc 0
    out=$(LD_LIBRARY_PATH="$LDP" bash -c 'eval "$(cat "$1")"; echo "$LD_LIBRARY_PATH"; gpuenv_deactivate
                                          echo "$LD_LIBRARY_PATH"' _ "$OUT" 2>&1)
    [ "$out" = "$A/lib:$T/plain dir
$LDP" ] || fail "--clean: $out"
    LD_LIBRARY_PATH="$LDP" gp env --json
    assert_rc 0
    json "d['ok'] and d['prefix'] == __import__('os').environ['A'] and d['name'] == '$NAME' and d['shadowing'] == ['$SHADOW'] and [c['op'] for c in d['changes']] == ['set'] * 5 + ['prepend'] * 2"
    PATH="/usr/bin:/bin" LD_LIBRARY_PATH= gp env --shell dotenv
    assert_rc 0
    assert_out_line "CUDA_HOME=$A"
    assert_out_line "PATH=$A/bin:/usr/bin:/bin"
    assert_out_line "LD_LIBRARY_PATH=$A/lib"
    # an inherited value with a line break would forge a line (LD_PRELOAD=...): refused
    LD_LIBRARY_PATH="/opt/x
LD_PRELOAD=/tmp/evil.so" gp env --shell dotenv
    assert_rc 2; assert_out_empty
    assert_err_has "LD_LIBRARY_PATH holds a line break: a dotenv line cannot carry it"
    # the default comes from $SHELL
    SHELL=/usr/bin/fish gp env
    assert_out_has "set -gx CUDA_HOME "
    SHELL=/bin/tcsh gp env
    assert_out_has "setenv CUDA_HOME "
    gp env --shell nushell
    assert_rc 2; assert_err_has "unknown shell 'nushell'"
    gp env --shell lmod --clean --json
    assert_rc 2; json "d['error']['kind'] == 'usage'"
    gp env -C "$T" --json
    assert_rc 1; json "not d['ok'] and 'no gpuenv environment' in d['error']['message']"
    gp env -C "$T"
    assert_rc 1; assert_err_has "hint: 'gpuenv install' makes one"
}

test_run_passes_status_signals_and_arguments() {
    setup_env
    gp run -C "$P" -- sh -c 'echo "$CUDA_HOME"; exit 3'
    assert_rc 3; assert_out "$A"
    gp run -C "$P" sh -c 'kill -TERM $$'
    assert_rc 143
    gp run -C "$P" python3 -c 'import sys; print(sys.argv[1:])' 'a b' '' 'c"d' "e'f" -x --y
    assert_rc 0
    assert_out "['a b', '', 'c\"d', \"e'f\", '-x', '--y']"
    gp run -C "$P" nvcc
    assert_rc 0; assert_out_has "gpuenv test toolkit 12.4.1"
    # the warning, or --clean
    LD_LIBRARY_PATH="$LDP" gp run -C "$P" sh -c 'echo "$LD_LIBRARY_PATH"'
    assert_rc 0; assert_out "$A/lib:$LDP"; assert_err_lines 1; assert_err_has "$SHADOW"
    LD_LIBRARY_PATH="$LDP" gp run --clean -C "$P" sh -c 'echo "$LD_LIBRARY_PATH"'
    assert_rc 0; assert_out "$A/lib:$T/plain dir"; assert_err_empty
    gp run -C "$P" no-such-command
    assert_rc 127; assert_err_has "cannot run 'no-such-command'"
    printf 'x\n' >"$T/notexec"
    gp run -C "$P" "$T/notexec"
    assert_rc 126
    gp run -C "$P"
    assert_rc 2; assert_err_has "no command given"
    gp run -C "$T" true
    assert_rc 1; assert_err_has "no gpuenv environment"
}

test_shell_starts_the_users_shell_inside() {
    setup_env
    need bash; need zsh; need fish
    printf 'export USER_RC=bash\n' >"$HOME/.bashrc"
    printf 'export USER_RC=zsh\n' >"$HOME/.zshrc"
    mkdir -p "$HOME/.config/fish" && printf 'set -gx USER_RC fish\n' >"$HOME/.config/fish/config.fish"
    for sh in bash zsh fish; do
        echo 'echo "in:$CUDA_HOME|$GPUENV_SHELL|$USER_RC"; exit 4' | SHELL=$(command -v $sh) "$GPUENV" shell -C "$P" \
            >"$OUT" 2>"$ERR"
        RC=$?
        assert_rc 4
        assert_out_has "in:$A|$NAME|$sh"
    done
    # bash shows the name in its prompt (on stderr, as interactive bash prints it)
    echo 'exit 0' | SHELL=$(command -v bash) "$GPUENV" shell -C "$P" >"$OUT" 2>"$ERR"
    assert_err_has "($NAME) "
    # another shell gets the variables
    echo 'echo "in:$CUDA_HOME|$GPUENV_SHELL"; exit 5' | SHELL=/bin/dash "$GPUENV" shell -C "$P" >"$OUT" 2>"$ERR"
    RC=$?
    assert_rc 5; assert_out_has "in:$A|$NAME"
    SHELL=/nonexistent/shell gp shell -C "$P"
    assert_rc 1; assert_err_has "cannot start the shell '/nonexistent/shell'"
}

test_modulefile_install_and_lmod_round_trip() {
    [ -f /usr/share/lmod/lmod/init/bash ] || { echo "lmod missing: 'make deps' installs it"; exit 1; }
    setup_env
    mkdir -p "$T/modules"
    gp modulefile -C "$P" --install "$T/modules"
    assert_rc 0; assert_out_has "wrote $T/modules/gpuenv/$NAME.lua"
    (cd "$P" && "$GPUENV" env --shell lmod) | cmp -s - "$T/modules/gpuenv/$NAME.lua" || fail "env --shell lmod differs"
    # Lmod 8.6 misreads backslashes and non-ASCII in Tcl modulefiles (documented; gpuenv warns):
    # the Tcl one is for a project whose path has neither
    gp modulefile -C "$P" --format tcl
    assert_rc 0; assert_err_has "with Lmod use the Lua format"
    TP="$T/tcl proj's \$dir"
    mkdir -p "$TP"
    gp install -q -C "$TP" --driver 550.54.15 --gpu 8.0
    assert_rc 0
    gp modulefile -C "$TP" --install "$T/modules" --format tcl --name tclmod --json
    assert_rc 0; json "d['path'] == '$T/modules/gpuenv/tclmod' and d['format'] == 'tcl' and d['name'] == 'tclmod'"
    assert_err_empty
    head -1 "$T/modules/gpuenv/tclmod" | grep -q '^#%Module' || fail "not a Tcl modulefile"
    for mod in "$NAME" tclmod; do
        [ $mod = tclmod ] && export A="$TP/.gpuenv"
        # a PATH without repeats: Lmod drops repeated entries when it unloads; under Lmod a Tcl
        # modulefile's unload unsets its variables (documented), so CUDA_HOME is unset before
        old="/old home"; [ $mod = tclmod ] && old=
        PATH=/usr/local/bin:/usr/bin:/bin LD_LIBRARY_PATH="$LDP" CUDA_HOME="$old" bash -c '
            [ -n "$CUDA_HOME" ] || unset CUDA_HOME
            . /usr/share/lmod/lmod/init/bash
            module use "$T/modules"
            env -0 > "$T/before"
            module load "gpuenv/$1" || exit 1
            env -0 > "$T/during"
            nvcc > "$T/nvcc"
            module unload "gpuenv/$1" || exit 2
            env -0 > "$T/after"' _ "$mod" >"$OUT" 2>"$ERR" || fail "module $mod"
        python3 - "$T" "$A" "$LDP" "$old" <<'PY' || fail "module $mod: round trip"
import sys
t, a, ldp, old = sys.argv[1:]
def dump(n):  # Lmod's own bookkeeping variables aside
    env = dict(i.decode().split("=", 1) for i in open("%s/%s" % (t, n), "rb").read().split(b"\0") if i)
    return {k: v for k, v in env.items()
            if not k.startswith(("_ModuleTable", "__LMOD", "LOADEDMODULES", "_LMFILES_", "LMOD_")) and k not in ("_", "SHLVL")}
b, d, af = dump("before"), dump("during"), dump("after")
assert d["CUDA_HOME"] == a and d["CUDNN_PATH"] == a, d.get("CUDA_HOME")
assert d["PATH"].split(":")[0] == a + "/bin" and d["LD_LIBRARY_PATH"] == a + "/lib:" + ldp, d["LD_LIBRARY_PATH"]
assert af.get("CUDA_HOME") == (old or None), af.get("CUDA_HOME")   # pushenv restored it
diff = {k for k in set(b) | set(af) if b.get(k) != af.get(k)}
assert not diff, diff
assert "gpuenv test toolkit 12.4.1" in open(t + "/nvcc").read()
PY
        grep -q "LD_LIBRARY_PATH also holds CUDA or cuDNN libraries in $SHADOW" "$ERR" || fail "module $mod: no warning"
    done
    gp modulefile -C "$P" --install "$T/nowhere"
    assert_rc 2; assert_err_has "module folder '$T/nowhere'"
    gp modulefile -C "$P" --format yaml
    assert_rc 2
    gp modulefile -C "$P" --name ../x
    assert_rc 2
    ls "$T/modules/gpuenv" | grep -q tmp && fail "a temporary file was left"
    return 0
}

test_a_prefix_no_shell_can_name_is_refused() {
    setup_env
    gp install -C "$T" --prefix "$T/new
line" --driver 550.54.15 --gpu 8.0 --json
    assert_rc 2
    json "d['error']['kind'] == 'usage' and 'control character' in d['error']['message']"
    [ ! -e "$T/new
line" ] || fail "a prefix was made"
}
