# t_cli.sh: the command line: help, version, usage errors, exit statuses, JSON on failure.

test_no_command_exits_2() {
    gp
    assert_rc 2; assert_out_empty
    assert_err_has "gpuenv: error: no command given"
    assert_err_lines 2
}

test_help_goes_to_stdout() {
    gp --help
    assert_rc 0; assert_err_empty
    assert_out_has "usage: gpuenv"
    assert_out_has "  detect "
    gp help
    assert_rc 0; assert_out_has "usage: gpuenv"
    gp help detect
    assert_rc 0; assert_out_has "usage: gpuenv detect [options]"
    gp detect -h
    assert_rc 0; assert_out_has "--gpu=CC"
}

test_version_names_the_libraries() {
    gp --version
    assert_rc 0
    assert_out_has "gpuenv 0."
    assert_out_has "libcurl "
    assert_out_has "libarchive "
    assert_out_has "cJSON "
    gp -V
    assert_rc 0
}

test_unknown_command_and_options() {
    gp frobnicate
    assert_rc 2; assert_out_empty
    assert_err_has "gpuenv: error: unknown command 'frobnicate'"
    assert_err_lines 2
    gp --frobnicate
    assert_rc 2; assert_err_has "unknown option '--frobnicate'"
    gp detect --frobnicate
    assert_rc 2; assert_err_has "unknown option '--frobnicate'"
    assert_err_has "hint: see 'gpuenv help detect'"
    gp detect --driver
    assert_rc 2; assert_err_has "option '--driver' needs a value"
    gp --color=purple detect
    assert_rc 2; assert_err_has "invalid --color value 'purple'"
}

test_json_is_one_document_even_for_usage_errors() {
    gp detect --json --frobnicate
    assert_rc 2
    json 'd["schema"] == 1 and d["ok"] is False and d["error"]["kind"] == "usage" and d["error"]["exit"] == 2'
    assert_err_has "gpuenv: error: unknown option"
}

test_exit_status_table_matches_the_docs() {
    gp help exit-status
    assert_rc 0
    # the table as the binary has it, against the man page's EXIT STATUS section
    sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$E2E_DIR/../../man/gpuenv.1" |
        awk '/^\.It [0-9]+ Pq /{st=$2; kind=$4; getline; print st "\t" kind "\t" $0}' >"$T/man"
    [ -s "$T/man" ] || fail "no exit statuses found in man/gpuenv.1"
    cmp -s "$T/man" "$OUT" || { diff "$T/man" "$OUT"; fail "man page and binary disagree on exit statuses"; }
    # and the README's table
    grep -E '^\| [0-9]+ \| `[a-z-]+` \|' "$E2E_DIR/../../README.md" |
        awk -F'|' '{gsub(/[ `]/, "", $2); gsub(/[ `]/, "", $3); print $2 "\t" $3}' >"$T/readme"
    cut -f1,2 "$OUT" | cmp -s - "$T/readme" || { diff "$T/readme" "$OUT"; fail "README and binary disagree on exit statuses"; }
}

test_write_error_is_a_failure() {
    [ -w /dev/full ] || return 0
    "$GPUENV" --help >/dev/full 2>"$ERR"; RC=$?
    assert_rc 1
    assert_err_has "cannot write"
}

test_quiet_and_verbose() {
    CUDA_VISIBLE_DEVICES= GPUENV_LIBCUDA="$FAKE_LIB" gp detect
    assert_rc 0; assert_err_has "warning: CUDA_VISIBLE_DEVICES=''"
    CUDA_VISIBLE_DEVICES= GPUENV_LIBCUDA="$FAKE_LIB" gp -q detect
    assert_rc 0; assert_err_empty
    GPUENV_LIBCUDA="$FAKE_LIB" gp detect -v
    assert_rc 0; assert_err_has "gpuenv: tried $FAKE_LIB: loaded"
}

test_color_rules() {
    GPUENV_LIBCUDA="$FAKE_LIB" gp --color=always detect
    grep -q "$(printf '\033')\[1m" "$OUT" || fail "no colour with --color=always"
    GPUENV_LIBCUDA="$FAKE_LIB" gp detect
    ! grep -q "$(printf '\033')" "$OUT" || fail "colour into a file with --color=auto"
    GPUENV_LIBCUDA="$FAKE_LIB" NO_COLOR=1 gp detect --color=always
    grep -q "$(printf '\033')" "$OUT" || fail "--color=always must win over NO_COLOR"
}
