# t_docs.sh: the drift test: every command, option and environment variable the binary knows is
# in the man page, the README and --help; the man page names nothing the binary lacks; the
# completions ask the binary. Also lints the man page when mandoc is present.

ROOT="$E2E_DIR/../.."
MAN="$ROOT/man/gpuenv.1"
README="$ROOT/README.md"

commands() { "$GPUENV" __complete ""; }
options() { "$GPUENV" __complete "$1" --; }

test_every_command_and_option_is_documented() {
    [ -n "$(commands)" ] || fail "no commands from __complete"
    for c in $(commands); do
        grep -q "^\.Ss gpuenv $c\b" "$MAN" || fail "man page lacks a section for '$c'"
        grep -q "gpuenv $c" "$README" || fail "README does not mention 'gpuenv $c'"
        "$GPUENV" help "$c" >"$OUT" 2>"$ERR" || fail "gpuenv help $c failed"
        for o in $(options "$c"); do
            name=${o#--}; name=${name%=}
            grep -q "Fl \\\\-$name\b" "$MAN" || fail "man page lacks option --$name ($c)"
            grep -qF -- "--$name" "$OUT" || fail "'gpuenv help $c' lacks --$name"
            short=$(grep -o -- "-[a-zA-Z], --$name\b" "$OUT" | cut -c1-2)
            grep -qF -- "--$name" "$README" || { [ -n "$short" ] && grep -qF -- "\`$short" "$README"; } ||
                fail "README lacks option --$name ($c)"
        done
    done
}

test_man_page_names_nothing_the_binary_lacks() {
    all=$(for c in $(commands); do options "$c"; done; echo --version)
    for c in $(sed -n 's/^\.Ss gpuenv \([a-z_-]*\).*/\1/p' "$MAN"); do
        commands | grep -qx "$c" || fail "man page documents unknown command '$c'"
    done
    for name in $(grep -o 'Fl \\-[a-z-]*' "$MAN" | sed 's/Fl \\-//' | sort -u); do
        printf '%s\n' "$all" | grep -q -- "^--$name=\?$" || fail "man page documents unknown option --$name"
    done
}

test_every_environment_variable_is_documented() {
    vars=$(grep -ho 'getenv("GPUENV_[A-Z_]*")' "$ROOT"/src/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u)
    [ -n "$vars" ] || fail "no GPUENV_ variables found in src/"
    for v in $vars; do
        grep -q "^\.It Ev $v\b" "$MAN" || fail "man page ENVIRONMENT lacks $v"
        grep -qF "\`$v\`" "$README" || fail "README lacks $v"
    done
    # the documented ones are read by gpuenv, or read or set by the activation it renders
    known=$(printf '%s\n' "$vars"; grep -ho '"[^"]*GPUENV_[A-Z_]*' "$ROOT"/src/activate.c "$ROOT"/src/cmd_env.c |
            grep -o 'GPUENV_[A-Z_]*' | sort -u)
    for v in $(sed -n 's/^\.It Ev \(GPUENV_[A-Z_]*\)\( , Ev \(GPUENV_[A-Z_]*\)\)\{0,1\}.*/\1 \3/p' "$MAN"); do
        printf '%s\n' "$known" | grep -qx "$v" || fail "man page documents unused variable $v"
    done
}

test_completions_ask_the_binary() {
    for f in gpuenv.bash _gpuenv gpuenv.fish; do
        grep -q '__complete' "$ROOT/completions/$f" || fail "completions/$f does not use __complete"
    done
}

test_man_page_lints_clean() {
    command -v mandoc >/dev/null 2>&1 || { echo "mandoc missing: 'make deps' installs it"; exit 1; }
    mandoc -Tlint -Wwarning "$ROOT"/man/*.[1-9] || fail "mandoc -Tlint"
    mandoc -Tascii "$MAN" 2>"$ERR" | sed "s/.$(printf '\b')//g" >"$OUT" || fail "mandoc could not render gpuenv.1"
    grep -q "EXIT STATUS" "$OUT" || fail "rendered page lacks EXIT STATUS"
}
