#!/bin/sh
# smoke.sh BUILD SECONDS: run every harness briefly from its seeds and past crashes
# (tests/fuzz/regressions/<harness>/: CI's smoke test; 'make fuzz' builds them, and a longer run
# is the same command with more seconds). A crash fails, and its input is kept in BUILD/crashes/.
set -u
b=$1 secs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gpuenv-fuzz-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
sh "$here/seeds.sh" "$work/seeds" || exit 1
mkdir -p "$b/crashes"
failed=0
for f in $(cd "$here" && ls fuzz_*.c | sed -e '/^fuzz_common\.c$/d' -e 's/^fuzz_\(.*\)\.c$/\1/'); do
    mkdir -p "$work/corpus/$f"
    cp -R "$work/seeds/$f/." "$work/corpus/$f/"
    # inputs that once crashed a harness (each a fixed bug) are run first, every time
    [ -d "$here/regressions/$f" ] && cp -R "$here/regressions/$f/." "$work/corpus/$f/"
    if GPUENV_FUZZ_DATA="$here/../data/matrix-min" "$b/fuzz_$f" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$b/crashes/$f-" -print_final_stats=1 "$work/corpus/$f" \
        >"$work/$f.log" 2>&1; then
        echo "ok   fuzz_$f: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$f.log" | grep -o '[0-9]*$') runs"
    else
        failed=$((failed + 1))
        echo "FAIL fuzz_$f"
        tail -n 30 "$work/$f.log" | sed 's/^/     | /'
    fi
done
[ "$failed" -eq 0 ]
