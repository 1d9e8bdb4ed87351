#!/bin/sh
# run.sh: run every end-to-end test (the test_* functions of tests/e2e/t_*.sh), each in its own
# subshell with a fresh temporary HOME, and print "N passed, N failed".
# Needs GPUENV (the binary under test) and GPUENV_FAKE_DIR (the fake driver libraries).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${GPUENV:?set GPUENV to the gpuenv binary}"
: "${GPUENV_FAKE_DIR:?set GPUENV_FAKE_DIR to the fake driver folder}"
export GPUENV GPUENV_FAKE_DIR E2E_DIR="$here"
only=${1:-}
passed=0 failed=0 failures=""
for file in "$here"/t_*.sh; do
    for t in $(sed -n 's/^\(test_[A-Za-z0-9_]*\)() *{.*/\1/p' "$file"); do
        [ -n "$only" ] && [ "$t" != "$only" ] && continue
        log=$(mktemp)
        if (. "$here/lib.sh" && . "$file" && setup_case && "$t") >"$log" 2>&1; then
            passed=$((passed + 1))
            echo "ok   $(basename "$file" .sh) $t"
        else
            failed=$((failed + 1))
            failures="$failures $t"
            echo "FAIL $(basename "$file" .sh) $t"
            sed 's/^/     | /' "$log" | tail -n 25
        fi
        rm -f "$log"
    done
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
