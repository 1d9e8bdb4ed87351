# t_completion.sh: the bash, zsh and fish completion scripts, run in the real shells.

ROOT="$E2E_DIR/../.."

bin_on_path() {
    mkdir -p "$T/bin"
    ln -sf "$GPUENV" "$T/bin/gpuenv"
    PATH="$T/bin:$PATH"; export PATH
}

test_bash_completion() {
    bin_on_path
    bash -c '
        . "$1/completions/gpuenv.bash"
        try() { COMP_LINE=$1; COMP_POINT=${#1}; COMPREPLY=(); _gpuenv; printf "%s|" "${COMPREPLY[@]}"; echo; }
        try "gpuenv "
        try "gpuenv de"
        try "gpuenv detect --j"
        try "gpuenv --color=al"
        try "gpuenv --color "
        try "gpuenv help "
        try "gpuenv detect --gpu 8."
        try "gpuenv matrix t"
        try "gpuenv matrix --ga"
        try "gpuenv resolve --vendor "
        try "gpuenv install --gpu gfx11"
    ' _ "$ROOT" >"$OUT" 2>"$ERR"
    RC=$?
    assert_rc 0
    cat >"$T/want" <<'W'
detect|resolve|install|doctor|lock|mirror|list|remove|env|run|shell|modulefile|cache|matrix|help|
detect|
--json|
always|
auto|always|never|
detect|resolve|install|doctor|lock|mirror|list|remove|env|run|shell|modulefile|cache|matrix|help|exit-status|
8.0|8.6|8.7|8.9|
torch|tensorflow|
--gaps|
nvidia|amd|
gfx1100|gfx1101|gfx1102|gfx1151|
W
    cmp -s "$T/want" "$OUT" || { diff "$T/want" "$OUT"; fail "bash completions"; }
}

test_zsh_completion() {
    command -v zsh >/dev/null 2>&1 || { echo "zsh missing: 'make deps' installs it"; exit 1; }
    bin_on_path
    # compadd only exists inside a completion widget: stand it in with a function that prints
    # what it was given, and drive _gpuenv with the words zsh would pass.
    zsh -f -c '
        compadd() { local s=" "; [[ $1 == -Q ]] && shift; if [[ $1 == -S ]]; then s=$2; shift 2; fi; shift; print -r -- "${(j:,:)@}[$s]"; }
        autoload -Uz +X "$1/completions/_gpuenv" 2>/dev/null || source "$1/completions/_gpuenv" 2>/dev/null
        try() { words=("$@"); CURRENT=$#; _gpuenv; }
        fpath=("$1/completions" $fpath)
        try gpuenv ""
        try gpuenv detect --
        try gpuenv --color ne
        try gpuenv matrix --ga
        try gpuenv resolve --vendor ""
    ' _ "$ROOT" >"$OUT" 2>"$ERR"
    RC=$?
    assert_rc 0
    cat >"$T/want" <<'W'
detect,resolve,install,doctor,lock,mirror,list,remove,env,run,shell,modulefile,cache,matrix,help[ ]
--json,--quiet,--verbose,--help[ ]
--driver=,--gpu=,--color=[]
never[ ]
--gaps[ ]
nvidia,amd[ ]
W
    cmp -s "$T/want" "$OUT" || { diff "$T/want" "$OUT"; fail "zsh completions"; }
}

test_fish_completion() {
    command -v fish >/dev/null 2>&1 || { echo "fish missing: 'make deps' installs it"; exit 1; }
    bin_on_path
    fish --no-config -c "source '$ROOT/completions/gpuenv.fish'; complete -C 'gpuenv de'; complete -C 'gpuenv detect --dr'; complete -C 'gpuenv --color='; complete -C 'gpuenv matrix --ga'; complete -C 'gpuenv resolve --vendor='" >"$OUT" 2>"$ERR"
    RC=$?
    assert_rc 0
    cat >"$T/want" <<'W'
detect
--driver=
--color=always
--color=auto
--color=never
--gaps
--vendor=amd
--vendor=nvidia
W
    cmp -s "$T/want" "$OUT" || { diff "$T/want" "$OUT"; fail "fish completions"; }
}

# Folders, files and command lines fall back to each shell's own completion: -C DIR, --python
# PATH, and the command after 'run'.
test_fallbacks_to_files_folders_and_commands() {
    bin_on_path
    mkdir -p "$T/w/somedir" && : >"$T/w/somefile" && cd "$T/w" || fail "setup"
    bash -c '
        . "$1/completions/gpuenv.bash"
        try() { COMP_LINE=$1; COMP_POINT=${#1}; COMPREPLY=(); _gpuenv; printf "%s|" "${COMPREPLY[@]}"; echo; }
        try "gpuenv run -C so"
        try "gpuenv install --python some"
        try "gpuenv resolve --python some"
        try "gpuenv run -- gpuen"
        try "gpuenv run -C somedir gpuen"
        try "gpuenv mirror so"
        try "gpuenv mirror somedir tor"
    ' _ "$ROOT" >"$OUT" 2>"$ERR"
    RC=$?
    assert_rc 0
    cat >"$T/want" <<'W'
somedir|
somedir|somefile|
somedir|somefile|
gpuenv|
gpuenv|
somedir|
torch|
W
    cmp -s "$T/want" "$OUT" || { diff "$T/want" "$OUT"; fail "bash fallbacks"; }
    if command -v zsh >/dev/null 2>&1; then
        zsh -f -c '
            compadd() { local s=" "; [[ $1 == -Q ]] && shift; if [[ $1 == -S ]]; then s=$2; shift 2; fi; shift; print -r -- "${(j:,:)@}[$s]"; }
            _files() { print -r -- "FILES${1:+ $*}"; }
            _normal() { print -r -- "NORMAL ${(j:,:)words} $CURRENT"; }
            source "$1/completions/_gpuenv" 2>/dev/null
            try() { words=("$@"); CURRENT=$#; _gpuenv; }
            try gpuenv run -C ""
            try gpuenv install --python 3.1
            try gpuenv resolve --python 3.1
            try gpuenv run -C d -- python tr
        ' _ "$ROOT" >"$OUT" 2>"$ERR"
        RC=$?
        assert_rc 0
        cat >"$T/want" <<'W'
FILES -/
FILES
3.10,3.11,3.12,3.13,3.14[ ]
FILES
3.10,3.11,3.12,3.13,3.14[ ]
NORMAL python,tr 2
W
        cmp -s "$T/want" "$OUT" || { diff "$T/want" "$OUT"; fail "zsh fallbacks"; }
    fi
    if command -v fish >/dev/null 2>&1; then
        fish --no-config -c "source '$ROOT/completions/gpuenv.fish'; complete -C 'gpuenv run -C so'; complete -C 'gpuenv install --python some'; complete -C 'gpuenv run -- gpuen'" >"$OUT" 2>"$ERR"
        RC=$?
        assert_rc 0
        assert_out_line "somedir/"
        assert_out_line "somefile"
        grep -q "^gpuenv" "$OUT" || fail "fish: no command offered after run --"
        fish --no-config -c "source '$ROOT/completions/gpuenv.fish'; complete -C 'gpuenv resolve --python some'" >"$OUT" 2>"$ERR"
        RC=$?
        assert_rc 0
        assert_out_line "somefile"
    fi
}
