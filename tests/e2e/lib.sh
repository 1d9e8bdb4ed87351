# lib.sh: helpers for the end-to-end tests. Sourced into a subshell per test.
# gp ARGS...       run gpuenv; stdout, stderr and the status land in $OUT, $ERR, $RC
# assert_rc N      the status was N
# assert_out TEXT  stdout was exactly TEXT (a trailing newline is implied)
# assert_out_has / assert_err_has / assert_out_lacks / assert_err_lacks SUBSTRING (one line)
# assert_out_line LINE  stdout has exactly this line
# assert_err_lines N   stderr has exactly N lines
# json EXPR        evaluate a Python expression over the JSON document on stdout (bound to d);
#                  fails unless stdout is exactly one JSON document and EXPR is true
set -u

setup_case()
{
    T=$(mktemp -d "${TMPDIR:-/tmp}/gpuenv-e2e.XXXXXX")
    trap 'rm -rf "$T"' EXIT
    export HOME="$T/home" XDG_CACHE_HOME="$T/cache"
    mkdir -p "$HOME"
    OUT="$T/stdout" ERR="$T/stderr"
    # A deterministic host: no real driver, no system toolkits, no colour, nothing inherited.
    unset GPUENV_DRIVER GPUENV_GPUS GPUENV_LIBCUDA GPUENV_PROBE_TIMEOUT GPUENV_SYSROOT \
          CUDA_VISIBLE_DEVICES CUDA_HOME CUDA_PATH NO_COLOR FAKE_CUDA_MODE FAKE_CUDA_GPUS \
          FAKE_CUDA_DRIVER FAKE_CUDA_ERROR FAKE_NVML_VERSION FAKE_NVML_FAIL || true
    export GPUENV_TOOLKIT_PATH="$T/no-toolkits"
    export GPUENV_SYSROOT="$T/root"
    mkdir -p "$GPUENV_SYSROOT"
    FAKE_LIB="$GPUENV_FAKE_DIR/libcuda.so.1"
}

gp()
{
    "$GPUENV" "$@" >"$OUT" 2>"$ERR"
    RC=$?
    return 0
}

fail()
{
    echo "assertion failed: $*"
    echo "--- status: ${RC:-?}"
    echo "--- stdout:"; cat "$OUT" 2>/dev/null
    echo "--- stderr:"; cat "$ERR" 2>/dev/null
    exit 1
}

assert_rc() { [ "$RC" -eq "$1" ] || fail "status $RC, expected $1"; }
assert_out() { printf '%s\n' "$1" | cmp -s - "$OUT" || fail "stdout differs from: $1"; }
assert_out_empty() { [ ! -s "$OUT" ] || fail "stdout not empty"; }
# a SUBSTRING holding a newline would be two grep patterns, one of them empty (always matching)
no_newline() { case "$1" in *"
"*) fail "assertion text holds a newline (grep would match anything): $1" ;; esac; }
assert_out_has() { no_newline "$1"; grep -qF -- "$1" "$OUT" || fail "stdout lacks: $1"; }
assert_out_line() { no_newline "$1"; grep -qxF -- "$1" "$OUT" || fail "stdout lacks the line: $1"; }
assert_out_lacks() { ! grep -qF -- "$1" "$OUT" || fail "stdout has: $1"; }
assert_err_has() { no_newline "$1"; grep -qF -- "$1" "$ERR" || fail "stderr lacks: $1"; }
assert_err_lacks() { ! grep -qF -- "$1" "$ERR" || fail "stderr has: $1"; }
assert_err_empty() { [ ! -s "$ERR" ] || fail "stderr not empty"; }
assert_err_lines() { n=$(wc -l <"$ERR"); [ "$n" -eq "$1" ] || fail "stderr has $n lines, expected $1"; }

json()
{
    python3 - "$OUT" "$1" <<'PY' || fail "json: $1"
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text)            # exactly one document: json.loads refuses trailing data
ok = eval(sys.argv[2], {"d": d})
if not ok:
    print("json expression false:", sys.argv[2]); sys.exit(1)
PY
}

# A fake AMD machine under GPUENV_SYSROOT: amd_machine (the KFD topology's CPU node, /dev/kfd,
# ROCm 6.2.4 in /opt), then amd_gpu NODE GFX_TARGET_VERSION DEVICE_ID LOCATION_ID RENDER_MINOR [MEMORY].
amd_gpu() {
    n="$GPUENV_SYSROOT/sys/class/kfd/kfd/topology/nodes/$1"
    mkdir -p "$n/mem_banks/0"
    printf 'cpu_cores_count 0\nsimd_count 192\ngfx_target_version %s\nvendor_id 4098\ndevice_id %s\nlocation_id %s\ndomain 0\ndrm_render_minor %s\n' \
        "$2" "$3" "$4" "$5" >"$n/properties"
    printf 'heap_type 1\nsize_in_bytes %s\n' "${6:-25753026560}" >"$n/mem_banks/0/properties"
    mkdir -p "$GPUENV_SYSROOT/dev/dri" "$GPUENV_SYSROOT/sys/module/amdgpu"
    : >"$GPUENV_SYSROOT/dev/dri/renderD$5"
}

amd_machine() {
    n="$GPUENV_SYSROOT/sys/class/kfd/kfd/topology/nodes/0"
    mkdir -p "$n"
    printf 'cpu_cores_count 32\nsimd_count 0\ngfx_target_version 0\n' >"$n/properties"
    mkdir -p "$GPUENV_SYSROOT/dev"
    : >"$GPUENV_SYSROOT/dev/kfd"
    mkdir -p "$GPUENV_SYSROOT/opt/rocm-6.2.4/.info"
    echo "6.2.4-120" >"$GPUENV_SYSROOT/opt/rocm-6.2.4/.info/version"
    ln -s rocm-6.2.4 "$GPUENV_SYSROOT/opt/rocm"
}
