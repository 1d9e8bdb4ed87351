# t_python.sh: the framework's venv: pins from the right index (a loopback PEP 503 index built by
# tests/fake/make_index.py, served like download.pytorch.org and PyPI), requirements.txt, the
# framework's check, activation, the lock, failures and what a kill leaves.

ROOT="$E2E_DIR/../.."

setup_py() {
    python3 "$ROOT/tests/fake/make_mirror.py" "$T/fx" >/dev/null || fail "make_mirror.py"
    python3 "$ROOT/tests/fake/make_index.py" "$T/ix" || fail "make_index.py"
    export GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" GPUENV_MANIFEST_PATH="$T/fx/manifests" \
           GPUENV_CACHE_DIR="$T/cache" GPUENV_MIRROR="file://$T/fx/mirror"
    python3 "$ROOT/tests/fake/http_server.py" "$T/ix" >"$T/port" 2>"$T/index.log" &
    SRV=$!
    trap 'kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
    i=0; while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    IX="http://127.0.0.1:$(head -1 "$T/port")"
    # PyPI is pip's own configuration: here the loopback index, and no config file of this machine
    export PIP_INDEX_URL="$IX/simple" PIP_CONFIG_FILE=/dev/null PIP_NO_CACHE_DIR=1
    unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL FAKE_GPU VIRTUAL_ENV || true
    PY=$(command -v python3)
    P="$T/proj"
    mkdir -p "$P"
    V="$P/.gpuenv/venv/bin/python"
}

install_torch() {
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 --python "$PY" --pytorch-mirror "$IX" "$@"
}

test_torch_comes_from_its_variant_index_with_its_companions() {
    setup_py
    install_torch 'torch==2.4.1' torchvision --json
    assert_rc 0
    json "d['python']['framework'] == 'torch' and d['python']['framework_version'] == '2.4.1+cu124' and d['python']['requirements'] == ['torch==2.4.1+cu124', 'torchvision==0.19.1+cu124', 'numpy<2'] and d['python']['index_url'] == '$IX/whl/cu124' and d['python']['check']['version'] == '2.4.1+cu124' and d['python']['check']['cuda'] == '12.4' and d['python']['check']['gpu'] is False and d['packages']['cuda'] is None and d['downloads']['fetched'] == 0"
    out=$("$V" -c 'import torch, torchvision, numpy; print(torch.__version__, torchvision.__version__, numpy.__version__)')
    [ "$out" = "2.4.1+cu124 0.19.1+cu124 1.26.4" ] || fail "venv holds: $out"
    # the variant's wheels from PyTorch's index, the rest from pip's index, no other torch build
    grep -q "GET /files/torch-2.4.1%2Bcu124-py3" "$T/index.log" || fail "torch did not come from whl/cu124"
    grep -q "GET /files/numpy-1.26.4" "$T/index.log" || fail "numpy<2 not honoured"
    grep -q "GET /files/torch-2.4.1-py3\|GET /files/torch-2.4.1%2Bcpu" "$T/index.log" && fail "another torch build was fetched"
    # the command is shown and can be repeated by hand
    assert_err_has "gpuenv: running "
    assert_err_has " -m pip install "
    assert_err_has "gpuenv: warning: torch sees no GPU: on this machine it would run on the CPU"
    grep -qx -- "--extra-index-url $IX/whl/cu124" "$P/.gpuenv/requirements.txt" || fail "requirements.txt index line"
    grep -qx "torchvision==0.19.1+cu124" "$P/.gpuenv/requirements.txt" || fail "requirements.txt pins"
    # PyTorch's wheels bring CUDA: no NVIDIA archive was installed
    [ ! -e "$P/.gpuenv/bin/nvcc" ] || fail "a toolkit was installed for torch alone"
    python3 -c 'import json, sys; l = json.load(open(sys.argv[1])); p = l["python"]; assert p["version"] == "%d.%d" % sys.version_info[:2], p; assert p["requirements"][0] == "torch==2.4.1+cu124", p; assert l["archives"] == []' \
        "$P/gpuenv.lock" || fail "gpuenv.lock's python part"
}

test_the_check_reports_what_the_framework_sees() {
    setup_py
    FAKE_GPU=1 install_torch 'torch==2.4.1'
    assert_rc 0
    assert_out_has "installed torch 2.4.1+cu124 for Python"
    assert_out_has "check: version 2.4.1+cu124, CUDA 12.4, cuDNN 90100; sees Fake GPU; a matrix product on it came out right"
    assert_err_lacks "sees no GPU"
}

test_a_wrong_variant_cannot_sneak_in() {
    setup_py
    # PyTorch's cu124 index lacks torch: PyPI's 2.4.1 and 2.4.1+cpu must not stand in
    rm "$T/ix/whl/cu124/torch/index.html"
    install_torch 'torch==2.4.1'
    assert_rc 1
    assert_err_has "No matching distribution found for torch==2.4.1+cu124"
    assert_err_has "hint: pip's messages above say why; the previous environment is unchanged"
    grep -q "GET /files/torch" "$T/index.log" && fail "a torch wheel was fetched"
    [ ! -e "$P/.gpuenv" ] || fail "a prefix was left: $(ls -a "$P/.gpuenv")"
    ls -a "$P" | grep -q staging && fail "a staging folder was left"
    return 0
}

test_a_dead_index_leaves_the_previous_environment_whole() {
    setup_py
    install_torch 'torch==2.4.1'
    assert_rc 0
    before=$(cat "$P/.gpuenv/requirements.txt")
    kill $SRV; wait $SRV 2>/dev/null
    install_torch 'torch==2.4.1' torchaudio
    assert_rc 1
    [ "$(cat "$P/.gpuenv/requirements.txt")" = "$before" ] || fail "requirements.txt changed"
    "$V" -c 'import torch' || fail "the previous venv is broken"
    "$V" -c 'import torchaudio' 2>/dev/null && fail "half an install is visible"
    ls -a "$P/.gpuenv" | grep -q "venv.old" && fail "the moved-aside venv was left"
    ls -a "$P" | grep -q staging && fail "a staging folder was left"
    return 0
}

test_activation_and_run_use_the_venv() {
    setup_py
    install_torch 'torch==2.4.1'
    assert_rc 0
    gp run -C "$P" python -c 'import sys, torch; print(sys.prefix, torch.__version__)'
    assert_rc 0; assert_out "$P/.gpuenv/venv 2.4.1+cu124"
    A="$P/.gpuenv" bash -c '
        env -0 | sort -z > "$1/before"
        . "$A/activate"
        [ "$VIRTUAL_ENV" = "$A/venv" ] || exit 1
        [ "$(command -v python)" = "$A/venv/bin/python" ] || exit 2
        python -c "import torch" || exit 3
        gpuenv_deactivate
        env -0 | sort -z > "$1/after"
        cmp -s "$1/before" "$1/after" || exit 4' _ "$T" || fail "activation with the venv ($?)"
    # PATH changes twice (the prefix's bin, then the venv's): every shell restores it once, exactly
    A="$P/.gpuenv" fish --no-config -c '
        env -0 | sort -z > $argv[1]/before; source "$A/activate.fish"
        test (command -v python) = "$A/venv/bin/python"; or exit 1
        gpuenv_deactivate; env -0 | sort -z > $argv[1]/after
        cmp -s $argv[1]/before $argv[1]/after; or exit 2' "$T" || fail "fish with the venv"
    printf '%s\n' 'env -0 | sort -z > "$T/before"' 'source "$A/activate.csh"' 'if ("`which python`" != "$A/venv/bin/python") exit 1' \
        'gpuenv_deactivate' 'env -0 | sort -z > "$T/after"' 'cmp -s "$T/before" "$T/after" || exit 2' >"$T/v.csh"
    A="$P/.gpuenv" T="$T" tcsh -f "$T/v.csh" || fail "tcsh with the venv"
    PATH=/usr/bin:/bin gp env -C "$P" --shell dotenv
    assert_out_line "PATH=$P/.gpuenv/venv/bin:$P/.gpuenv/bin:/usr/bin:/bin"
    [ "$(grep -c '^PATH=' "$OUT")" = 1 ] || fail "dotenv: PATH twice"
    (cd "$P" && "$GPUENV" env --json) >"$OUT"
    json "{'op': 'set', 'name': 'VIRTUAL_ENV', 'value': '$P/.gpuenv/venv'} in d['changes']"
}

test_the_lock_reproduces_the_venv() {
    setup_py
    install_torch 'torch==2.4.1' torchvision
    assert_rc 0
    gp list -C "$P"
    assert_rc 0; assert_out_has "torch 2.4.1+cu124 in the venv (Python "; assert_out_has "    torchvision==0.19.1+cu124"
    gp list -C "$P" --json
    assert_rc 0; json "d['python']['requirements'][0] == 'torch==2.4.1+cu124' and d['components'] == []"
    gp remove -C "$P"
    assert_rc 0
    gp install -C "$P" --python "$PY" --json
    assert_rc 0
    json "d['from_lock'] and d['python']['requirements'] == ['torch==2.4.1+cu124', 'torchvision==0.19.1+cu124', 'numpy<2']"
    "$V" -c 'import torchvision' || fail "the lock's venv lacks torchvision"
    # the same again keeps the venv as it is
    gp install -C "$P" --python "$PY" -v
    assert_rc 0; assert_err_has "already holds these requirements: kept"
    assert_err_lacks "pip install"
    # --locked: another request fails with 7
    install_torch --locked 'torch==2.4.1' torchaudio
    assert_rc 7; assert_err_has "--locked"
}

test_no_python_python_only_and_named_toolkits() {
    setup_py
    install_torch --no-python 'torch==2.4.1'
    assert_rc 0
    [ -x "$P/.gpuenv/bin/nvcc" ] || fail "--no-python installed no toolkit"
    [ ! -e "$P/.gpuenv/venv" ] || fail "--no-python made a venv"
    install_torch 'torch==2.4.1' cuda-toolkit
    assert_rc 0
    [ -x "$P/.gpuenv/bin/nvcc" ] && [ -x "$V" ] || fail "torch with cuda-toolkit: both parts expected"
    install_torch --python-only 'torch==2.4.1' cuda-toolkit
    assert_rc 0
    [ ! -e "$P/.gpuenv/bin/nvcc" ] && [ -x "$V" ] || fail "--python-only"
    mkdir -p "$T/nolock"
    gp install -C "$T/nolock" --driver 550.54.15 --gpu 8.0 --python-only
    assert_rc 2; assert_err_has "holds no framework"
    gp install -C "$P" --no-python --python-only torch
    assert_rc 2
    gp install -C "$P" --python /nonexistent/python3 torch
    assert_rc 2; assert_err_has "not an executable file"
}

test_tensorflow_and_jax_bring_cuda_through_pip() {
    setup_py
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 --python "$PY" 'tensorflow==2.15.0' --json
    assert_rc 0
    json "d['python']['requirements'] == ['tensorflow[and-cuda]==2.15.0'] and d['python']['check']['version'] == '2.15.0' and d['packages']['cuda'] is None"
    "$V" -c 'import nvidia_cudnn_fake' || fail "the and-cuda extra's packages are missing"
    gp lock -C "$T" --driver 550.54.15 --gpu 8.0 --python 3.11 'jax[cuda12]'
    assert_rc 0
    python3 -c 'import json, sys; p = json.load(open(sys.argv[1]))["python"]; assert p["requirements"] == ["jax[cuda12]==0.5.0"], p' \
        "$T/gpuenv.lock" || fail "jax's pin"
}

test_amd_gpus_get_the_rocm_variant_and_its_activation() {
    setup_py
    # a described gfx90a: torch's ROCm wheels from their own index, ROCm's check, no NVIDIA archive
    FAKE_GPU=1 gp install -C "$P" --gpu gfx90a --python "$PY" --pytorch-mirror "$IX" 'torch==2.4.1' torchvision --json
    assert_rc 0
    json "d['python']['requirements'] == ['torch==2.4.1+rocm6.1', 'torchvision==0.19.1+rocm6.1', 'numpy<2'] and d['python']['index_url'] == '$IX/whl/rocm6.1' and d['python']['check']['hip'] == '6.1.40091-a8dbc0c19' and d['python']['check']['cuda'] is None and d['packages']['cuda'] is None"
    grep -q "GET /files/torch-2.4.1%2Brocm6.1-py3" "$T/index.log" || fail "torch did not come from whl/rocm6.1"
    python3 -c 'import json, sys; h = json.load(open(sys.argv[1]))["host"]; assert h["vendor"] == "amd" and h["gpus"] == "gfx90a" and "hsa_override" not in h, h' \
        "$P/gpuenv.lock" || fail "gpuenv.lock's host"
    [ ! -e "$P/.gpuenv/bin/nvcc" ] || fail "a toolkit was installed for an AMD GPU"
    # activation: no CUDA variables; ROCM_PATH only where the system has a ROCm
    grep -q CUDA_HOME "$P/.gpuenv/activate" && fail "CUDA_HOME in an AMD prefix's activation"
    grep -q ROCM_PATH "$P/.gpuenv/activate" && fail "ROCM_PATH without a system ROCm"
    mkdir -p "$T/root/opt/rocm-6.1.2/.info" && echo 6.1.2-119 >"$T/root/opt/rocm-6.1.2/.info/version"
    GPUENV_SYSROOT="$T/root" gp env -C "$P" --shell sh
    assert_rc 0
    assert_out_has "ROCM_PATH='/opt/rocm-6.1.2'"
    assert_out_lacks "CUDA_HOME"
    assert_out_lacks "HSA_OVERRIDE_GFX_VERSION"
    FAKE_GPU=1 gp install -C "$P" --gpu gfx90a --python "$PY" --pytorch-mirror "$IX" 'torch==2.4.1'
    assert_rc 0
    assert_out_has "check: version 2.4.1+rocm6.1, HIP 6.1.40091-a8dbc0c19; sees Fake GPU"
    # the lock alone reinstalls it, AMD's activation with it
    rm -rf "$P/.gpuenv"
    gp install -C "$P" --python "$PY" --pytorch-mirror "$IX"
    assert_rc 0
    "$V" -c 'import torch; assert torch.version.hip' || fail "the lock did not give back the ROCm build"
    grep -q CUDA_HOME "$P/.gpuenv/activate" && fail "CUDA_HOME in the activation of an AMD lock"
    # a consumer GPU no build carries: refused, the override named; planned with it only when asked
    gp install -C "$P" --gpu gfx1031 --python "$PY" --pytorch-mirror "$IX" 'torch==2.4.1'
    assert_rc 3
    assert_err_has "no candidate has code for gfx1031"
    assert_err_has "HSA_OVERRIDE_GFX_VERSION=10.3.0"
    gp install -C "$P" --gpu gfx1031 --python "$PY" --pytorch-mirror "$IX" --hsa-override 'torch==2.4.1'
    assert_rc 0
    grep -q "HSA_OVERRIDE_GFX_VERSION='10.3.0'" "$P/.gpuenv/activate" || fail "the override is not in the activation"
    python3 -c 'import json, sys; h = json.load(open(sys.argv[1]))["host"]; assert h["hsa_override"] == "10.3.0", h' \
        "$P/gpuenv.lock" || fail "the lock lacks the override"
    # the NVIDIA parts alone make no sense for AMD GPUs
    gp install -C "$P" --gpu gfx90a --python "$PY" --no-python 'torch==2.4.1'
    assert_rc 2
    assert_err_has "installs only the framework's venv"
}

test_what_a_kill_leaves_is_put_back() {
    setup_py
    install_torch 'torch==2.4.1'
    assert_rc 0
    # killed while pip ran: the previous venv aside, a half-made one in its place
    mv "$P/.gpuenv/venv" "$P/.gpuenv/venv.old-gpuenv"
    mkdir -p "$P/.gpuenv/venv/bin"
    install_torch 'torch==2.4.1'
    assert_rc 0; assert_err_lacks "pip install"
    "$V" -c 'import torch' || fail "the previous venv was not put back"
    # killed after the venv moved into staging, before the switch
    mkdir "$P/.gpuenv.staging-99999"
    mv "$P/.gpuenv/venv" "$P/.gpuenv.staging-99999/venv"
    install_torch 'torch==2.4.1'
    assert_rc 0; assert_err_lacks "pip install"
    "$V" -c 'import torch' || fail "the staged venv was not taken back"
    ls -a "$P" | grep -q staging && fail "a staging folder was left"
    return 0
}

test_system_site_packages_reuse_a_framework_the_interpreter_has() {
    setup_py
    # an interpreter that is itself a venv holding torch (as on a machine with a framework
    # installed): --system-site-packages lets the new venv use it, with no index at all
    python3 -m venv "$T/parent" >/dev/null || fail "venv"
    "$T/parent/bin/python" -m pip install -q --disable-pip-version-check --extra-index-url "$IX/whl/cu124" \
        'torch==2.4.1+cu124' 'numpy<2' || fail "pip into the parent"
    kill $SRV; wait $SRV 2>/dev/null
    export PIP_INDEX_URL=http://127.0.0.1:1/simple PIP_RETRIES=0
    gp install -C "$P" --driver 550.54.15 --gpu 8.0 --python "$T/parent/bin/python" --system-site-packages 'torch==2.4.1'
    assert_rc 0
    assert_out_has "check: version 2.4.1+cu124"
    assert_err_has "Requirement already satisfied: torch==2.4.1+cu124"
    out=$("$V" -c 'import torch; print(torch.__file__)')
    case "$out" in "$T/parent/"*) ;; *) fail "torch came from $out" ;; esac
}
