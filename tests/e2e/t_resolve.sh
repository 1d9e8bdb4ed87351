# t_resolve.sh: 'gpuenv resolve' end to end: the table of cases in tests/resolve/*.cases, text
# output, the host detection paths and the usage errors.

ROOT="$E2E_DIR/../.."

test_resolver_cases() {
    python3 "$ROOT/tests/resolve/run_cases.py" >"$OUT" 2>"$ERR"; RC=$?
    cat "$OUT"
    assert_rc 0
    n=$(sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p' "$OUT")
    [ "${n:-0}" -ge 60 ] || fail "only ${n:-0} resolver cases"
}

# Every release of every framework and toolkit in data/ resolves on some GPU its data says it
# supports, on each platform it has builds for (tests/resolve/coverage.py).
test_every_release_resolves_somewhere() {
    python3 "$ROOT/tests/resolve/coverage.py" >"$OUT" 2>"$ERR"; RC=$?
    cat "$OUT"
    assert_rc 0
    n=$(sed -n 's/^\([0-9]*\) releases checked, 0 resolve.*/\1/p' "$OUT")
    [ "${n:-0}" -ge 400 ] || fail "only ${n:-0} releases checked"
}

test_text_output_shows_plan_pip_and_rejections() {
    export GPUENV_DATA_DIR="$ROOT/data"
    gp resolve torch --driver 535.104.05 --gpu 8.0 --python 3.11
    assert_rc 0
    assert_out_has "plan for driver 535.104.05 (CUDA 12.2); gpu 8.0; python 3.11; linux x86_64"
    assert_out_has "install with"
    assert_out_has "pip install torch=="
    assert_out_has "--index-url https://download.pytorch.org/whl/cu126"
    assert_out_has "note: "
    assert_out_has "newer candidates rejected"
    assert_out_has "driver-too-old: "
    assert_err_empty
    gp resolve torch --driver 535.104.05 --gpu 8.0 --python 3.11 --explain
    assert_rc 0
    assert_out_has "candidates (newest first)"
    assert_out_has "chosen"
}

test_failure_is_one_error_with_hint_and_exit_3() {
    export GPUENV_DATA_DIR="$ROOT/data"
    gp resolve torch --driver 418.67 --gpu 7.0 --python 3.10
    assert_rc 3; assert_out_empty
    assert_err_has "gpuenv: error: cannot satisfy 'torch': driver 418.67"
    assert_err_has "hint: a driver >= 450.80.02 would allow torch"
    assert_err_lines 2
    gp resolve torch --driver 418.67 --gpu 7.0 --python 3.10 --json
    assert_rc 3
    json 'd["ok"] is False and "plan" not in d and d["error"]["code"] == "unsat" and d["error"]["reason"] == "driver-too-old" and d["error"]["exit"] == 3 and len(d["rejected"]) > 0'
    json 'list(d)[:4] == ["schema", "ok", "host", "error"]'
}

test_without_a_driver_it_warns_and_goes_on() {
    export GPUENV_DATA_DIR="$ROOT/data"
    gp resolve torch --python 3.12
    assert_rc 0
    assert_err_has "gpuenv: warning: cannot check the driver: no NVIDIA driver found"
    assert_err_has "hint: describe the machine with --driver VERSION"
    assert_err_has "warning: no GPU known"
    gp resolve torch --python 3.12 --json -q
    assert_rc 0; assert_err_empty
    json 'd["host"]["driver"] is None and d["host"]["gpus"] is None and d["host"]["python"]["source"] == "override"'
}

test_probed_driver_is_used() {
    export GPUENV_DATA_DIR="$ROOT/data"
    FAKE_CUDA_DRIVER=12020 GPUENV_LIBCUDA="$FAKE_LIB" FAKE_NVML_VERSION=535.104.05 gp resolve torch --python 3.11 --json
    assert_rc 0
    json 'd["host"]["driver"] == {"version": "535.104.05", "cuda": "12.2", "source": "driver-api"} and d["host"]["gpus"] == [{"index": 0, "cc": "9.0"}]'
    json 'any(p["name"] == "torch" and p["variant"].startswith("cu12") for p in d["plan"]["packages"])'
}

test_python_found_without_running_it() {
    export GPUENV_DATA_DIR="$ROOT/data"
    mkdir -p "$T/venv/bin"
    printf 'home = /usr/bin\nversion = 3.11.9\n' >"$T/venv/pyvenv.cfg"
    VIRTUAL_ENV="$T/venv" gp resolve torch --driver 580.65.06 --gpu 9.0 --json
    assert_rc 0
    json 'd["host"]["python"] == {"version": "3.11", "source": "'"$T"'/venv/pyvenv.cfg"} and d["plan"]["python"] == "3.11"'
}

test_usage_errors_exit_2() {
    export GPUENV_DATA_DIR="$ROOT/data"
    gp resolve 'torch=>2' --driver 580.65.06
    assert_rc 2; assert_err_has "invalid requirement 'torch=>2'"
    gp resolve torch jax --driver 580.65.06
    assert_rc 2; assert_err_has "asks for a second framework"
    gp resolve torch --python three
    assert_rc 2; assert_err_has "invalid --python 'three'"
    gp resolve torch --platform macos
    assert_rc 2; assert_err_has "invalid --platform 'macos'"
    gp resolve torch --arch ppc64le --json
    assert_rc 2; json 'd["error"]["kind"] == "usage"'
    gp resolve 'jax[rocm]' --driver 580.65.06
    assert_rc 2; assert_err_has "jax has no extra 'rocm'"
    gp resolve torch --driver 580.65.06 --python "$T/nowhere/python3"
    assert_rc 2; assert_err_has "not an executable file"
    gp resolve torch --driver 580.65.06 --python /bin/true
    assert_rc 2; assert_err_has "did not say its version"
}

test_python_given_as_an_interpreter() {
    export GPUENV_DATA_DIR="$ROOT/data"
    # a fake interpreter that answers as Python 3.9 would: the plan is for 3.9
    mkdir -p "$T/venv/bin"
    printf '#!/bin/sh\necho 3.9\n' >"$T/venv/bin/python"; chmod +x "$T/venv/bin/python"
    gp resolve torch --driver 580.65.06 --gpu 8.0 --python "$T/venv/bin/python" --json
    assert_rc 0
    json 'd["host"]["python"] == {"version": "3.9", "source": "'"$T"'/venv/bin/python"} and d["plan"]["packages"][0]["version"] == "2.8.0"'
}

test_damaged_data_exits_5() {
    mkdir -p "$T/data"; cp "$ROOT"/data/*.json "$T/data/"
    printf '{}' >"$T/data/cuda.json"
    GPUENV_DATA_DIR="$T/data" gp resolve torch --driver 580.65.06
    assert_rc 5; assert_err_has "cuda.json: top level: schema is not 1"
}

test_amd_gpus_from_the_kfd_topology_get_a_rocm_plan() {
    amd_machine
    amd_gpu 1 90010 29704 768 128
    gp resolve 'torch==2.4.1' --python 3.12
    assert_rc 0
    assert_out_has "plan for amd gpu gfx90a; rocm 6.2.4; python 3.12; linux x86_64"
    assert_out_has "torch==2.4.1 --index-url https://download.pytorch.org/whl/rocm6.1"
    assert_err_lacks "cannot check the driver"   # no NVIDIA driver is no matter for an AMD plan
    gp resolve --json 'torch==2.4.1' --python 3.12
    json 'd["host"]["amd_gpus"] == [{"index": 0, "gfx": "gfx90a"}] and d["host"]["rocm"]["version"] == "6.2.4" and d["plan"]["vendor"] == "amd"'
    # tensorflow-rocm loads the system's ROCm: 6.2.4 is too old for a ROCm 6.4 build
    gp resolve --json 'tensorflow==2.18.1' --python 3.11
    assert_rc 3
    json 'd["error"]["reason"] == "driver-too-old" and "ROCm 6.2.4" in d["error"]["message"] + d["error"]["hint"]'
    # with an NVIDIA GPU described too, the user chooses
    gp resolve 'torch==2.4.1' --python 3.12 --gpu 8.0 --gpu gfx90a
    assert_rc 2
    assert_err_has "--vendor"
    gp detect --gpu gfx1100 --json
    assert_rc 0
    json 'd["amd"]["gpus"][0]["gfx"] == "gfx1100"'
    gp resolve torch --gpu gfx12
    assert_rc 2
    assert_err_has "invalid gfx target 'gfx12'"
}

# --host FILE: the machine as 'gpuenv detect --json' described it there, as srun gathers it
test_a_machine_described_by_its_detect_document() {
    gp detect --driver 535.104.05 --gpu 7.0 --json
    cp "$OUT" "$T/v100.json"
    cat "$T/v100.json" "$T/v100.json" >"$T/partition.json"   # two identical nodes: one node type
    gp resolve --json --host "$T/partition.json" --python 3.11 torch
    assert_rc 0
    json 'd["host"]["driver"]["version"] == "535.104.05" and d["host"]["gpus"] == [{"index": 0, "cc": "7.0"}] and d["plan"]["packages"][0]["variant"] == "cu126"'
    gp lock -C "$T" --host - --python 3.11 torch <"$T/v100.json"
    assert_rc 0
    python3 -c 'import json, sys; h = json.load(open(sys.argv[1]))["host"]; assert h["driver"] == "535.104.05" and h["gpus"] == "7.0", h' \
        "$T/gpuenv.lock" || fail "the lock's host"
    gp resolve --host "$T/v100.json" --gpu 8.0 torch
    assert_rc 2
    assert_err_has "both describe the machine"
    printf '{"schema": 1, "gpus": [{"cc": "7.0"}]}\n{"schema": 1,' >"$T/cut.json"
    gp resolve --json --host "$T/cut.json" torch
    assert_rc 2
    json 'd["ok"] is False and "document 2: not valid JSON" in d["error"]["message"]'
}
