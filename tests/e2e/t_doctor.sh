# t_doctor.sh: 'gpuenv doctor' against machines broken on purpose: fake /sys, /proc and /dev trees
# (GPUENV_SYSROOT), the fake libcuda.so.1 (FAKE_CUDA_* says how it behaves), venvs filled with fake
# frameworks by tests/fake/make_site.py, fat binaries built by nvcc (tests/data/fatbin) and real
# prefixes installed from the file:// mirror of tests/fake/make_mirror.py. Every check has a case that
# finds its problem and one that does not.

ROOT="$E2E_DIR/../.."
FB="$ROOT/tests/data/fatbin"
LIBDIR=usr/lib/x86_64-linux-gnu

# machine [DRIVER [MODULE]]: the fake driver installed as libcuda.so.DRIVER, the kernel module at
# MODULE ("none": not loaded), /dev/nvidiactl, nvidia0 and nvidia1; an empty project folder
machine() {
    v=${1:-580.65.06} mod=${2:-${1:-580.65.06}}
    R=$GPUENV_SYSROOT
    mkdir -p "$R/$LIBDIR" "$R/dev" "$T/p"
    cp "$FAKE_LIB" "$R/$LIBDIR/libcuda.so.$v"
    ln -sf "libcuda.so.$v" "$R/$LIBDIR/libcuda.so.1"
    if [ "$mod" != none ]; then
        mkdir -p "$R/sys/module/nvidia"
        echo "$mod" >"$R/sys/module/nvidia/version"
    fi
    : >"$R/dev/nvidiactl"; : >"$R/dev/nvidia0"; : >"$R/dev/nvidia1"
    PY=${PY:-}
}

# venv SPEC...: a venv (no pip) whose site-packages make_site.py fills; PY is its python
venv() {
    python3 -m venv --without-pip "$T/venv" || fail "python3 -m venv"
    SITE=$("$T/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    python3 "$ROOT/tests/fake/make_site.py" "$SITE" "$@" || fail "make_site.py $*"
    PY="$T/venv/bin/python"
}

# doc [OPTION...]: doctor --json on the project folder, with the venv's python (or an empty venv)
doc() {
    [ -n "${PY:-}" ] || venv
    mkdir -p "$T/p"
    gp doctor -C "$T/p" --python "$PY" --json "$@"
}

# doc_as_nobody: doctor --json as user 65534 (needs root and setpriv), with a binary, data and
# a cache it can reach (T may be private to root)
doc_as_nobody() {
    U=$(mktemp -d /tmp/gpuenv-doctor-user.XXXXXX)
    cp "$GPUENV" "$U/gpuenv"; cp -r "$ROOT/data" "$U/data"; chmod -R a+rX "$U" "$T"
    setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$U" GPUENV_DATA_DIR="$U/data" GPUENV_CACHE_DIR="$U/c" \
        "$U/gpuenv" doctor -C "$U" --no-gpu-check --python /nonexistent --json >"$OUT" 2>"$ERR"
    RC=$?
    rm -rf "$U"
}

has() { json "any(f['code'] == '$1' and f['severity'] == '$2' for f in d['findings'])"; }
lacks() { json "all(f['code'] != '$1' for f in d['findings'])"; }
check_is() { json "[c['status'] for c in d['checks'] if c['name'] == '$1'] == ['$2']"; }

test_a_healthy_machine_has_no_error() {
    machine
    venv torch=2.4.1+cu124 numpy=1.26.4 "lib=torch/lib/libtorch_cuda.so:$FB/both.so"
    FAKE_GPU=1 doc
    assert_rc 0
    json "d['ok'] is True and d['counts']['error'] == 0 and d['counts']['warning'] == 0"
    for c in driver visible-devices library-path cuda-home python binaries gpu; do check_is $c ok; done
    check_is project skipped
    json "d['gpus'][0]['kernel']['status'] == 'ok' and d['gpus'][0]['cc'] == '9.0'"
    json "d['python']['frameworks']['torch']['cuda'] == '12.4' and d['python']['numpy']['version'] == '1.26.4'"
    json "[b['code'] for b in d['binaries']] == ['sm_75 sm_90 compute_90'] and d['binaries'][0]['origin'] == 'framework'"
    json "d['fix_plan'] == [] and 'error' not in d"
    # the text report says the same, and --fix-plan has nothing to do
    FAKE_GPU=1 gp doctor -C "$T/p" --python "$PY"
    assert_rc 0
    assert_out_has "GPU 0  NVIDIA H100 80GB HBM3  compute capability 9.0, kernel ran right"
    assert_out_line "0 errors, 0 warnings, 0 notes"
    assert_err_empty
    FAKE_GPU=1 gp doctor -C "$T/p" --python "$PY" --fix-plan
    assert_out "nothing to fix"
}

test_no_driver_and_what_to_install() {
    mkdir -p "$GPUENV_SYSROOT/sys/bus/pci/devices/0000:18:00.0"
    d="$GPUENV_SYSROOT/sys/bus/pci/devices/0000:18:00.0"
    echo 0x10de >"$d/vendor"; echo 0x030200 >"$d/class"; echo 0x2335 >"$d/device"
    doc
    assert_rc 8
    has no-driver error
    json "'1 NVIDIA GPU, the first 0000:18:00.0 (10de:2335)' in str(d['findings'][0]['evidence'])"
    json "d['findings'][0]['fix']['root'] and d['findings'][0]['fix']['reboot'] and 'nvidia-driver' in d['findings'][0]['fix']['action']"
    json "d['error']['kind'] == 'unhealthy' and d['error']['exit'] == 8 and d['ok'] is False"
    check_is gpu skipped
    check_is binaries skipped
    # with a framework in the interpreter, the fix names the driver its CUDA needs
    rm -rf "$T/venv"; PY=
    venv torch=2.4.1+cu124
    doc
    json "'(550.54.14 or newer, for torch\'s CUDA 12.4)' in d['findings'][0]['fix']['action']"
    gp doctor -C "$T/p" --python "$PY"
    assert_rc 8
    assert_err_has "gpuenv: error: doctor found 1 error (first: no-driver)"
    assert_err_has "--fix-plan"
    gp doctor -C "$T/p" --python "$PY" --fix-plan
    assert_rc 8
    assert_out_has "1. install the NVIDIA driver"
    assert_out_has "[root] [reboot]"
}

test_module_and_library_of_different_versions() {
    machine 580.65.06 550.54.15
    FAKE_CUDA_MODE=init-fail FAKE_CUDA_ERROR=803 doc
    assert_rc 8
    has driver-version-mismatch error
    json "(lambda f: f['code'] == 'driver-version-mismatch' and '550.54.15' in f['message'] and '580.65.06' in f['message'] and f['fix']['reboot'])(d['findings'][0])"
    # the same versions and a working driver: no mismatch
    machine 580.65.06 580.65.06
    doc
    lacks driver-version-mismatch
    check_is driver ok
}

test_module_not_loaded_nouveau_and_device_files() {
    machine 580.65.06 none
    mkdir -p "$GPUENV_SYSROOT/sys/module/nouveau"
    FAKE_CUDA_MODE=init-fail FAKE_CUDA_ERROR=999 doc
    assert_rc 8
    has module-not-loaded error
    has nouveau-loaded error
    json "any('blacklist nouveau' in f['fix']['action'] for f in d['findings'] if f['code'] == 'nouveau-loaded')"
    rm -r "$GPUENV_SYSROOT/sys/module/nouveau"
    machine
    rm "$GPUENV_SYSROOT/dev/nvidia0"
    doc
    assert_rc 8
    has device-nodes-missing error
    lacks nouveau-loaded
    lacks module-not-loaded
    json "[f['subject'] for f in d['findings'] if f['code'] == 'device-nodes-missing'] == ['/dev/nvidia0']"
}

test_device_files_this_user_cannot_open() {
    [ "$(id -u)" = 0 ] || { echo "needs root to hand the test to another user: skipped"; return 0; }
    command -v setpriv >/dev/null 2>&1 || { echo "setpriv missing: skipped (util-linux)"; return 0; }
    machine
    chmod 0666 "$GPUENV_SYSROOT/dev/nvidiactl" "$GPUENV_SYSROOT/dev/nvidia1"
    chmod 0660 "$GPUENV_SYSROOT/dev/nvidia0"
    chgrp video "$GPUENV_SYSROOT/dev/nvidia0" 2>/dev/null || chgrp 44 "$GPUENV_SYSROOT/dev/nvidia0"
    doc_as_nobody
    has device-nodes-denied error
    json "[(f['subject'], 'usermod -aG' in f['fix']['action']) for f in d['findings'] if f['code'] == 'device-nodes-denied'] == [('/dev/nvidia0', True)]"
    # as root the same files open
    doc
    lacks device-nodes-denied
}

test_stub_library_container_and_wsl() {
    mkdir -p "$GPUENV_SYSROOT/usr/local/cuda/lib64/stubs" "$T/p"
    cp "$FAKE_LIB" "$GPUENV_SYSROOT/usr/local/cuda/lib64/stubs/libcuda.so.1"
    GPUENV_LIBCUDA="$GPUENV_SYSROOT/usr/local/cuda/lib64/stubs/libcuda.so.1" FAKE_CUDA_MODE=stub doc
    assert_rc 8
    has stub-libcuda error
    json "any('usr/local/cuda/lib64/stubs from LD_LIBRARY_PATH' in f['fix']['action'] for f in d['findings'])"
    # a container without the GPU
    : >"$GPUENV_SYSROOT/.dockerenv"
    doc
    has container-without-gpu error
    lacks no-driver
    json "any('--gpus all' in f['fix']['action'] for f in d['findings'])"
    rm "$GPUENV_SYSROOT/.dockerenv"
    # WSL2 without the Windows driver's library, then with it (no module, no /dev/nvidia* needed)
    mkdir -p "$GPUENV_SYSROOT/proc"
    echo "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@1b9c0c0d0b2a)" >"$GPUENV_SYSROOT/proc/version"
    doc
    has wsl-library-missing error
    lacks no-driver
    mkdir -p "$GPUENV_SYSROOT/usr/lib/wsl/lib"
    cp "$FAKE_LIB" "$GPUENV_SYSROOT/usr/lib/wsl/lib/libcuda.so.1"
    doc
    lacks wsl-library-missing
    lacks device-nodes-missing
    lacks module-not-loaded
    check_is driver ok
}

test_a_hanging_driver_does_not_hang_doctor() {
    machine
    GPUENV_PROBE_TIMEOUT=1 FAKE_CUDA_MODE=hang doc
    assert_rc 8
    has driver-hung error
}

test_cuda_visible_devices() {
    machine
    export FAKE_CUDA_GPUS="NVIDIA A100-SXM4-80GB|8.0|85899345920|11111111222233334444555555555555|00000000:07:00.0;NVIDIA A100-SXM4-80GB|8.0|85899345920|aaaaaaaabbbbccccddddeeeeeeeeeeee|00000000:0f:00.0"
    CUDA_VISIBLE_DEVICES= doc
    assert_rc 8
    has cuda-visible-devices-empty error
    json "d['fix_plan'][0]['action'] == 'unset CUDA_VISIBLE_DEVICES'"
    CUDA_VISIBLE_DEVICES=5 doc
    has cuda-visible-devices-invalid error
    CUDA_VISIBLE_DEVICES=0,7 doc
    has cuda-visible-devices-invalid warning
    CUDA_VISIBLE_DEVICES=1 doc
    assert_rc 0
    has gpus-hidden info
    CUDA_VISIBLE_DEVICES=GPU-aaaaaaaa,GPU-11111111 doc
    assert_rc 0
    lacks gpus-hidden
    lacks cuda-visible-devices-invalid
    check_is visible-devices ok
    # the probe describes the machine, not the variable: both GPUs are listed and checked
    json "len(d['gpus']) == 2 and all(g['kernel']['status'] == 'ok' for g in d['gpus'])"
}

test_library_path_shadowing_the_frameworks_cudnn() {
    machine
    printf 'pip cudnn 9.1' >"$T/pip.so"
    venv torch=2.4.1+cu124 "lib=nvidia/cudnn/lib/libcudnn.so.9:$T/pip.so"
    mkdir -p "$T/sys" "$T/same" "$T/old8"
    printf 'system cudnn 9.0.0, another build' >"$T/sys/libcudnn.so.9.0.0"
    ln -s libcudnn.so.9.0.0 "$T/sys/libcudnn.so.9"
    : >"$T/old8/libcudnn.so.8"
    cp "$T/pip.so" "$T/same/libcudnn.so.9"
    LD_LIBRARY_PATH="$T/same" FAKE_GPU=1 doc
    lacks library-shadowed
    check_is library-path ok
    # the loader takes the first folder that holds the name: an identical copy first is harmless
    LD_LIBRARY_PATH="$T/same:$T/sys" FAKE_GPU=1 doc
    lacks library-shadowed
    LD_LIBRARY_PATH="$T/sys:$T/same" FAKE_GPU=1 doc
    has library-shadowed error
    json "(lambda f: f['subject'] == 'libcudnn.so.9' and '9.0.0' in f['message'] and f['fix']['action'] == 'remove $T/sys from LD_LIBRARY_PATH')([f for f in d['findings'] if f['code'] == 'library-shadowed'][0])"
    LD_LIBRARY_PATH="$T/old8:$T/sys" FAKE_GPU=1 doc
    has cudnn-majors-mixed warning
}

test_a_library_pinned_by_rpath_is_not_shadowed() {
    command -v cc >/dev/null 2>&1 || { echo "no C compiler: skipped"; return 0; }
    machine
    # as PyTorch's wheels do: libtorch_cuda.so needs libcudnn.so.9 and finds it through DT_RPATH
    # ($ORIGIN/../../nvidia/cudnn/lib), which the loader searches before LD_LIBRARY_PATH; cuDNN's
    # sub-libraries are found through cuDNN's own DT_RUNPATH, after it
    echo 'int gpuenv_test_symbol;' >"$T/x.c"
    cc -shared -fPIC -o "$T/libcudnn.so.9" -Wl,-soname,libcudnn.so.9 "$T/x.c" || fail "cc libcudnn"
    cc -shared -fPIC -o "$T/libtorch_cuda.so" "$T/x.c" -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../../nvidia/cudnn/lib' \
        -Wl,--no-as-needed "$T/libcudnn.so.9" || fail "cc libtorch_cuda"
    printf 'pip graph 9.1' >"$T/graph.so"
    venv torch=2.4.1+cu124 "lib=torch/lib/libtorch_cuda.so:$T/libtorch_cuda.so" \
        "lib=nvidia/cudnn/lib/libcudnn.so.9:$T/libcudnn.so.9" "lib=nvidia/cudnn/lib/libcudnn_graph.so.9:$T/graph.so"
    mkdir -p "$T/sys"
    printf 'system cudnn 9.0.0' >"$T/sys/libcudnn.so.9"
    printf 'system graph 9.0.0' >"$T/sys/libcudnn_graph.so.9"
    LD_LIBRARY_PATH="$T/sys" FAKE_GPU=1 doc
    json "[f['subject'] for f in d['findings'] if f['code'] == 'library-shadowed'] == ['libcudnn_graph.so.9']"
    json "'1 of their libraries pinned by DT_RPATH' in [c['note'] for c in d['checks'] if c['name'] == 'library-path'][0]"
}

test_cuda_home() {
    machine
    venv torch=2.4.1+cu124
    mkdir -p "$T/tk122" "$T/tk124"
    echo '{"cuda": {"name": "CUDA SDK", "version": "12.2.140"}}' >"$T/tk122/version.json"
    echo '{"cuda": {"name": "CUDA SDK", "version": "12.4.131"}}' >"$T/tk124/version.json"
    CUDA_HOME="$T/nothing" FAKE_GPU=1 doc
    has cuda-home-missing warning
    CUDA_HOME="$T/tk122" FAKE_GPU=1 doc
    has cuda-home-mismatch warning
    json "any('12.2.140' in f['message'] and '12.4' in f['message'] for f in d['findings'])"
    CUDA_HOME="$T/tk124" CUDA_PATH="$T/tk124" FAKE_GPU=1 doc
    lacks cuda-home-mismatch
    lacks cuda-home-missing
    check_is cuda-home ok
}

test_cpu_only_builds() {
    machine
    venv torch=2.4.1+cpu
    doc
    assert_rc 8
    has framework-cpu-only error
    json "any('torch==2.4.1' in f['fix']['action'] for f in d['findings'] if f['code'] == 'framework-cpu-only')"
    rm -rf "$T/venv"; PY=
    venv tensorflow-cpu=2.15.0 jax-cpu=0.5.0 numpy=1.26.4
    doc
    json "sorted(f['subject'] for f in d['findings'] if f['code'] == 'framework-cpu-only') == ['jax', 'tensorflow']"
    rm -rf "$T/venv"; PY=
    venv tensorflow=2.15.0 jax=0.5.0 numpy=1.26.4
    doc
    lacks framework-cpu-only
    # one CPU-only framework does not keep another's own check from running (they run side by side)
    rm -rf "$T/venv"; PY=
    venv torch=2.4.1+cu124 tensorflow-cpu=2.15.0 numpy=1.26.4
    FAKE_GPU=1 doc
    json "[f['subject'] for f in d['findings'] if f['code'] == 'framework-cpu-only'] == ['tensorflow']"
    json "'1 framework check, 0 failed' in [c['note'] for c in d['checks'] if c['name'] == 'gpu'][0]"
}

test_framework_cuda_against_the_driver() {
    # CUDA 12.4 on a 12.2 driver of branch 535: minor-version compatibility
    machine 535.104.05
    venv torch=2.4.1+cu124
    FAKE_CUDA_DRIVER=12020 FAKE_GPU=1 doc
    assert_rc 0
    has framework-minor-version-compat info
    lacks framework-cuda-too-new
    # on an 11.8 driver it cannot run at all, and the fix names the driver CUDA 12.4 needs
    machine 520.61.05
    FAKE_CUDA_DRIVER=11080 doc
    assert_rc 8
    has framework-cuda-too-new error
    json "any('550.54.14 or newer' in f['fix']['action'] for f in d['findings'] if f['code'] == 'framework-cuda-too-new')"
    # the framework check is not run on a build the driver cannot run
    json "'0 framework checks' in [c['note'] for c in d['checks'] if c['name'] == 'gpu'][0]"
}

test_numpy_abi_copies_and_import_errors() {
    machine
    venv torch=2.4.1+cu124 numpy=2.1.0 numpy-abi=torch
    FAKE_GPU=1 doc
    assert_rc 8
    has numpy-abi-mismatch error
    json "any('numpy<2' in f['fix']['action'] for f in d['findings'] if f['code'] == 'numpy-abi-mismatch')"
    # the matrix's rule alone: TensorFlow 2.15 was built against NumPy 1.x
    rm -rf "$T/venv"; PY=
    venv tensorflow=2.15.0 numpy=2.1.0
    doc
    has numpy-abi-mismatch error
    json "any('needs numpy<2' in str(f['evidence']) for f in d['findings'])"
    rm -rf "$T/venv"; PY=
    venv tensorflow=2.15.0 numpy=1.26.4 "broken=torch:libcudnn.so.9: cannot open shared object file: No such file or directory" torch=2.4.1+cu124
    doc
    has framework-import-failed error
    lacks numpy-abi-mismatch
    json "any('LD_LIBRARY_PATH' in f['fix']['action'] for f in d['findings'] if f['code'] == 'framework-import-failed')"
    # a second torch ahead on sys.path, and two dist-info folders of one package
    python3 "$ROOT/tests/fake/make_site.py" "$T/extra" torch=2.5.1+cu124 dist=numpy-2.1.0 || fail "make_site.py"
    cp -r "$T/extra/numpy-2.1.0.dist-info" "$SITE/"
    PYTHONPATH="$T/extra" doc
    has framework-copies warning
    json "sorted(f['subject'] for f in d['findings'] if f['code'] == 'framework-copies') == ['numpy metadata', 'torch']"
}

test_the_framework_check_on_the_gpu() {
    machine
    venv torch=2.4.1+cu124
    doc
    assert_rc 8
    has framework-sees-no-gpu error
    # the check also runs a convolution through cuDNN, which a shadowed sub-library breaks
    python3 "$ROOT/tests/fake/make_site.py" "$SITE" cudnn-broken || fail "make_site.py"
    FAKE_GPU=1 doc
    assert_rc 8
    json "any('CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED' in f['message'] for f in d['findings'] if f['code'] == 'framework-sees-no-gpu')"
    FAKE_GPU=1 doc --no-gpu-check
    assert_rc 0
    check_is gpu skipped
    json "d['gpus'][0]['kernel']['status'] == 'not-run'"
}

test_the_kernel_on_each_gpu() {
    machine
    export FAKE_CUDA_GPUS="NVIDIA A100|8.0|85899345920|11111111222233334444555555555555|00000000:07:00.0;NVIDIA L4|8.9|24152899584|aaaaaaaabbbbccccddddeeeeeeeeeeee|00000000:0f:00.0"
    FAKE_CUDA_KERNEL=ptx-new doc
    assert_rc 8
    json "[f['subject'] for f in d['findings'] if f['code'] == 'gpu-check-failed'] == ['GPU 0', 'GPU 1']"
    json "'CUDA_ERROR_UNSUPPORTED_PTX_VERSION' in d['findings'][0]['message']"
    FAKE_CUDA_KERNEL="ok;wrong" doc
    has gpu-check-wrong-result error
    json "[g['kernel']['status'] for g in d['gpus']] == ['ok', 'wrong']"
    # a kernel that hangs costs its GPU's result, not the machine's description
    GPUENV_PROBE_TIMEOUT=2 FAKE_CUDA_KERNEL="ok;hang" doc
    has gpu-check-hung error
    json "[g['kernel']['status'] for g in d['gpus']] == ['ok', 'hung'] and d['gpus'][1]['name'] == 'NVIDIA L4'"
    FAKE_CUDA_KERNEL="crash" doc
    json "[g['kernel']['status'] for g in d['gpus']] == ['hung', 'not-run']"
    has gpu-check-hung error
}

test_no_kernel_image_and_ptx_from_fat_binaries() {
    machine
    # an sm_80-only library on an H100
    doc --binary "$FB/cubin80.so"
    assert_rc 8
    has no-kernel-image error
    json "(lambda f: f['subject'] == '$FB/cubin80.so' and 'sm_80' in str(f['evidence']) and 'code=sm_90' in f['fix']['action'])([f for f in d['findings'] if f['code'] == 'no-kernel-image'][0])"
    # PTX for 9.0 only: the driver must JIT it (CUDA 13.0 runs PTX ISA 9.0) ...
    doc --binary "$FB/ptx90.so" --binary "$FB/both.so" --binary "$FB/plain.so"
    assert_rc 0
    has ptx-jit-only warning
    json "[f['subject'] for f in d['findings'] if f['code'] == 'ptx-jit-only'] == ['$FB/ptx90.so']"
    json "any(f['code'] == 'binary-unreadable' and f['severity'] == 'info' and f['subject'] == '$FB/plain.so' for f in d['findings'])"
    # ... which a CUDA 12.8 driver cannot: PTX ISA 9.0 came with CUDA 13.0
    FAKE_CUDA_DRIVER=12080 doc --binary "$FB/ptx90.so"
    has ptx-too-new error
    json "any('CUDA 13.0 or later' in f['fix']['action'] for f in d['findings'] if f['code'] == 'ptx-too-new')"
    # the framework's own libraries are read too
    # (NVIDIA's own libraries are read and listed, not judged: CUDA 13's cuFFT keeps its kernels
    # outside .nv_fatbin, and which GPUs they support is the matrix's part)
    venv torch=2.4.1+cu124 "lib=torch/lib/libtorch_cuda.so:$FB/cubin80.so" "lib=nvidia/cufft/lib/libcufft.so.12:$FB/cubin80.so"
    FAKE_GPU=1 doc
    has no-kernel-image error
    json "[f['subject'].split('/')[-1] for f in d['findings'] if f['code'] == 'no-kernel-image'] == ['libtorch_cuda.so']"
    json "sorted((b['path'].split('/')[-1], b['origin']) for b in d['binaries']) == [('libcufft.so.12', 'nvidia'), ('libtorch_cuda.so', 'framework')]"
    echo "not an ELF file" >"$T/junk.so"
    doc --binary "$T/junk.so"
    has binary-unreadable error
}

test_the_project_against_its_lock_and_prefix() {
    machine 550.54.15
    python3 "$ROOT/tests/fake/make_mirror.py" "$T/fx" >/dev/null || fail "make_mirror.py"
    export GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" GPUENV_MANIFEST_PATH="$T/fx/manifests" \
           GPUENV_CACHE_DIR="$T/cache" GPUENV_MIRROR="file://$T/fx/mirror"
    mkdir -p "$T/p"
    gp install -C "$T/p" --driver 550.54.15 --gpu 9.0 --python 3.12
    assert_rc 0
    doc
    lacks prefix-files-changed
    lacks lock-other-machine
    check_is project ok
    json "'4 archives, 4 compared' in [c['note'] for c in d['checks'] if c['name'] == 'project'][0]"
    # a file rewritten with the same size: only --verify sees it
    f="$T/p/.gpuenv/include/cuda_runtime.h"
    size=$(wc -c <"$f")
    rm "$f"; head -c "$size" /dev/zero >"$f"
    doc
    lacks prefix-files-changed
    doc --verify
    has prefix-files-changed error
    rm "$T/p/.gpuenv/bin/nvcc"
    doc
    has prefix-files-changed error
    json "any('bin/nvcc is missing' in str(f['evidence']) for f in d['findings'])"
    json "any(s['action'] == 'gpuenv install -C $T/p --locked (puts the pinned files back)' for s in d['fix_plan'])"
    # another machine: GPUs and an older driver than the lock's
    machine 535.104.05
    export FAKE_CUDA_GPUS="NVIDIA A100|8.0|85899345920|11111111222233334444555555555555|00000000:07:00.0"
    doc
    has lock-other-machine warning
    json "any('driver 550.54.15 and GPUs 9.0' in f['message'] for f in d['findings'])"
    # the project moved: the activation names the old place
    unset FAKE_CUDA_GPUS
    mv "$T/p" "$T/q"
    gp doctor -C "$T/q" --python "$PY" --json
    has activation-stale warning
    rm -r "$T/q/.gpuenv"
    gp doctor -C "$T/q" --python "$PY" --json
    assert_rc 8
    has prefix-missing error
}

test_bad_options() {
    gp doctor --timeout 0
    assert_rc 2
    assert_err_has "--timeout"
    gp doctor --json extra
    assert_rc 2
    json "d['error']['kind'] == 'usage'"
}

test_a_library_that_will_not_load_and_a_failing_init() {
    machine
    echo "not a library" >"$GPUENV_SYSROOT/$LIBDIR/libcuda.so.580.65.06"
    doc
    assert_rc 8
    has driver-load-failed error
    lacks no-driver
    machine
    FAKE_CUDA_MODE=init-fail FAKE_CUDA_ERROR=999 doc
    assert_rc 8
    has driver-init-failed error
    lacks driver-version-mismatch
    lacks module-not-loaded
    lacks driver-load-failed
}

test_the_interpreter_and_the_venv_against_the_lock() {
    machine
    mkdir -p "$T/nopython" "$T/p"
    # no interpreter at all: a note, as nothing asks for one
    PATH="$T/nopython" gp doctor -C "$T/p" --json
    has no-python info
    venv numpy=1.26.4
    doc
    has no-framework info
    # a project whose lock pins torch 2.4.1+cu124 in its venv
    GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" gp lock -C "$T/p" --driver 580.65.06 --gpu 9.0 --python 3.12 'torch==2.4.1'
    assert_rc 0
    grep -q '"torch==2.4.1+cu124"' "$T/p/gpuenv.lock" || fail "the lock pins no torch"
    mkdir -p "$T/p/.gpuenv"
    cp "$T/p/gpuenv.lock" "$T/p/.gpuenv/gpuenv-prefix.lock"
    python3 -m venv --without-pip "$T/p/.gpuenv/venv" || fail "venv"
    S=$("$T/p/.gpuenv/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    python3 "$ROOT/tests/fake/make_site.py" "$S" torch=2.5.1+cu124 || fail "make_site.py"
    # the project's venv is the interpreter examined when none is active or given
    unset VIRTUAL_ENV || true
    FAKE_GPU=1 GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" gp doctor -C "$T/p" --json
    assert_rc 8
    has venv-not-locked error
    json "any('2.5.1+cu124' in f['message'] and '2.4.1+cu124' in f['message'] for f in d['findings'] if f['code'] == 'venv-not-locked')"
    json "'the project' in [c['note'] for c in d['checks'] if c['name'] == 'python'][0]"
    python3 "$ROOT/tests/fake/make_site.py" "$S" torch=2.4.1+cu124 || fail "make_site.py"
    FAKE_GPU=1 GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" gp doctor -C "$T/p" --json
    lacks venv-not-locked
    # a lock that pins a framework makes a missing one an error
    rm -r "$S/torch"
    GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" gp doctor -C "$T/p" --json
    has no-framework error
    PATH="$T/nopython" GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" gp doctor -C "$T/p" --python "$T/nopython/python3" --json
    has framework-import-failed error
}

test_an_amd_machine() {
    mkdir -p "$T/p"
    n="$GPUENV_SYSROOT/sys/class/kfd/kfd/topology/nodes/1"
    mkdir -p "$n" "$GPUENV_SYSROOT/dev/dri" "$GPUENV_SYSROOT/sys/module/amdgpu"
    printf 'simd_count 192\ngfx_target_version 110000\nvendor_id 4098\ndevice_id 29772\nlocation_id 768\ndrm_render_minor 128\n' >"$n/properties"
    # no /dev/kfd: ROCm cannot reach the GPU; no NVIDIA driver is only a note here
    doc --no-gpu-check
    assert_rc 8
    has amd-kfd-missing error
    has no-driver info
    json "any('--device=/dev/kfd' in f['fix']['action'] for f in d['findings'] if f['code'] == 'amd-kfd-missing')"
    : >"$GPUENV_SYSROOT/dev/kfd"
    : >"$GPUENV_SYSROOT/dev/dri/renderD128"
    doc --no-gpu-check
    assert_rc 0
    lacks amd-kfd-missing
    lacks amd-render-denied
    check_is amd ok
    json "'1 AMD GPU (first gfx1100)' in [c['note'] for c in d['checks'] if c['name'] == 'amd'][0]"
    # the system's HIP runtime: asked as detect does; a failing one is an error, an unseen GPU a warning
    mkdir -p "$GPUENV_SYSROOT/opt/rocm-6.2.4/lib"
    cp "$GPUENV_FAKE_DIR/libamdhip64.so.6" "$GPUENV_SYSROOT/opt/rocm-6.2.4/lib/libamdhip64.so"
    mkdir -p "$GPUENV_SYSROOT/opt/rocm-6.2.4/.info" && echo 6.2.4-120 >"$GPUENV_SYSROOT/opt/rocm-6.2.4/.info/version"
    FAKE_HIP_GPUS="AMD Radeon RX 7900 XTX|gfx1100|0000:03:00.0|25753026560" doc --no-gpu-check
    assert_rc 0
    lacks amd-hip-failed
    lacks amd-hip-unseen
    FAKE_HIP_MODE=insufficient-driver doc --no-gpu-check
    assert_rc 8
    has amd-hip-failed error
    FAKE_HIP_GPUS="AMD Instinct MI250X|gfx90a|0000:c1:00.0|68702699520" doc --no-gpu-check
    has amd-hip-unseen warning
    # the user's HIP_VISIBLE_DEVICES hides the KFD GPU on purpose: a note
    HIP_VISIBLE_DEVICES=1 FAKE_HIP_GPUS="AMD Radeon RX 7900 XTX|gfx1100|0000:03:00.0|25753026560;AMD Instinct MI250X|gfx90a|0000:c1:00.0|68702699520" doc --no-gpu-check
    has amd-hip-unseen info
    lacks amd-hip-failed
    rm -rf "$GPUENV_SYSROOT/opt/rocm-6.2.4"
    # a lock made for AMD GPUs: compared with the KFD topology's, not with NVIDIA's (none here)
    printf '{"schema": 1, "generator": "gpuenv", "requirements": ["torch"], "host": {"driver": "", "gpus": "gfx1100", "python": "3.12", "vendor": "amd"}, "platform": "linux-x86_64", "packages": {"cuda-toolkit": "", "cudnn": "", "cudnn_build": ""}, "archives": [], "python": null}\n' >"$T/p/gpuenv.lock"
    doc --no-gpu-check
    lacks lock-other-machine
    sed -i 's/"gfx1100"/"gfx90a"/' "$T/p/gpuenv.lock"
    doc --no-gpu-check
    has lock-other-machine warning
    json "any('AMD GPUs gfx90a, this machine has gfx1100' in f['message'] for f in d['findings'] if f['code'] == 'lock-other-machine')"
    rm "$T/p/gpuenv.lock"
    # the same files, opened by a user outside their group
    [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 || { echo "needs root and setpriv: rest skipped"; return 0; }
    chmod 0660 "$GPUENV_SYSROOT/dev/kfd" "$GPUENV_SYSROOT/dev/dri/renderD128"
    chgrp 44 "$GPUENV_SYSROOT/dev/kfd" "$GPUENV_SYSROOT/dev/dri/renderD128"
    doc_as_nobody
    has amd-kfd-denied error
    has amd-render-denied error
    json "any('usermod -aG' in f['fix']['action'] for f in d['findings'] if f['code'] == 'amd-kfd-denied')"
}

# amd_node NODE GFX_TARGET_VERSION RENDER_MINOR: an AMD GPU in the fake KFD topology, with /dev/kfd
# and its render node; HIP: the libraries of tests/fake/make_hipfat.sh (make builds them)
HIP="$GPUENV_FAKE_DIR/hip"
amd_node() {
    n="$GPUENV_SYSROOT/sys/class/kfd/kfd/topology/nodes/$1"
    mkdir -p "$n" "$GPUENV_SYSROOT/dev/dri" "$GPUENV_SYSROOT/sys/module/amdgpu" "$T/p"
    printf 'simd_count 192\ngfx_target_version %s\nvendor_id 4098\ndevice_id 29772\nlocation_id 768\ndrm_render_minor %s\n' \
        "$2" "$3" >"$n/properties"
    : >"$GPUENV_SYSROOT/dev/kfd"
    : >"$GPUENV_SYSROOT/dev/dri/renderD$3"
}

# rocm VERSION: a ROCm install /opt/rocm-VERSION
rocm() {
    mkdir -p "$GPUENV_SYSROOT/opt/rocm-$1/.info"
    echo "$1-115" >"$GPUENV_SYSROOT/opt/rocm-$1/.info/version"
}

test_amd_code_objects_of_the_framework_and_of_binaries() {
    amd_node 1 110000 128
    venv torch=2.5.1+rocm6.2 "lib=torch/lib/libtorch_hip.so:$HIP/libgfx90a.so" "lib=torch/lib/libamdhip64.so.6:$HIP/libnone.so"
    doc --no-gpu-check
    assert_rc 0
    lacks amd-no-code-object
    lacks framework-cpu-only
    check_is binaries ok
    json "[(b['path'].split('/')[-1], b['origin'], b['code']) for b in d['binaries']] == [('libtorch_hip.so', 'framework', 'gfx90a:sramecc+:xnack- gfx1100')]"
    # a gfx1101, which the library lacks: the fix names a torch build that has it, and the override's risk
    amd_node 1 110001 128
    doc --no-gpu-check
    assert_rc 8
    has amd-no-code-object error
    json "(lambda f: f['subject'].endswith('torch/lib/libtorch_hip.so') and 'gfx1101' in f['message'] and 'gfx90a:sramecc+:xnack- gfx1100' in str(f['evidence']) and 'whl/rocm' in f['fix']['action'] and 'HSA_OVERRIDE_GFX_VERSION=11.0.0' in f['fix']['action'] and 'unsupported' in f['fix']['action'])([f for f in d['findings'] if f['code'] == 'amd-no-code-object'][0])"
    # two GPUs of one kind are one finding
    amd_node 2 110001 136
    doc --no-gpu-check
    json "len([f for f in d['findings'] if f['code'] == 'amd-no-code-object']) == 1"
    # --binary: a generic target serves the whole family; two bundles must both serve the GPU
    rm -rf "$T/venv"; PY=
    venv numpy=1.26.4
    doc --no-gpu-check --binary "$HIP/libgeneric.so"
    assert_rc 0
    lacks amd-no-code-object
    lacks binary-unreadable
    rm -r "$GPUENV_SYSROOT/sys/class/kfd/kfd/topology/nodes/2"
    amd_node 1 90402 128
    doc --no-gpu-check --binary "$HIP/libtwo.so" --binary "$HIP/libccob2.so" --binary "$HIP/libnone.so"
    assert_rc 8
    json "[f['subject'].split('/')[-1] for f in d['findings'] if f['code'] == 'amd-no-code-object'] == ['libtwo.so']"
    json "(lambda f: '1 of the 2 bundles' in f['message'] and '--offload-arch=gfx942' in f['fix']['action'])([f for f in d['findings'] if f['code'] == 'amd-no-code-object'][0])"
    json "[f['subject'].split('/')[-1] for f in d['findings'] if f['code'] == 'binary-unreadable'] == ['libnone.so']"
    # the override is named only within the GPU's LLVM family (rocm.json gfx_families): gfx1031 may
    # run gfx1030's code, gfx1010 (gfx10-1-generic) may not, though both are gfx10
    amd_node 1 100301 128
    doc --no-gpu-check --binary "$HIP/libccob2.so"
    json "(lambda f: 'HSA_OVERRIDE_GFX_VERSION=10.3.0' in f['fix']['action'])([f for f in d['findings'] if f['code'] == 'amd-no-code-object'][0])"
    amd_node 1 100100 128
    doc --no-gpu-check --binary "$HIP/libccob2.so"
    json "(lambda f: 'gfx1010' in f['message'] and 'HSA_OVERRIDE' not in f['fix']['action'])([f for f in d['findings'] if f['code'] == 'amd-no-code-object'][0])"
    # a bundle compressed with zlib is said to be unreadable, not guessed at (the other serves gfx90a)
    amd_node 1 90010 128
    doc --no-gpu-check --binary "$HIP/libzlib.so"
    lacks amd-no-code-object
    json "any(f['severity'] == 'info' and 'compressed with zlib: targets not readable' in f['message'] for f in d['findings'] if f['code'] == 'binary-unreadable')"
    # a library no AMD GPU is here to run: read, not judged
    rm -r "$GPUENV_SYSROOT/sys/class/kfd"
    machine
    doc --no-gpu-check --binary "$HIP/libtwo.so"
    lacks amd-no-code-object
    json "[b['code'] for b in d['binaries']] == ['gfx90a gfx942']"
}

test_a_torch_without_cuda_or_rocm_on_an_amd_machine() {
    amd_node 1 110000 128
    venv torch=2.5.1+cpu
    doc --no-gpu-check
    assert_rc 8
    has framework-cpu-only error
    json "(lambda f: 'without CUDA or ROCm' in f['message'] and 'torch==2.5.1 --index-url https://download.pytorch.org/whl/rocm6' in f['fix']['action'] and 'gfx1100' in f['fix']['action'])([f for f in d['findings'] if f['code'] == 'framework-cpu-only'][0])"
    rm -rf "$T/venv"; PY=
    venv torch=2.5.1+rocm6.2
    doc --no-gpu-check
    assert_rc 0
    lacks framework-cpu-only
    json "d['python']['frameworks']['torch']['hip'] == '6.2.41133-dd7f95766' and d['python']['frameworks']['torch']['cuda'] is None"
    # on the GPU: no kernel of gpuenv's for AMD, but the framework's own check runs through ROCm
    FAKE_GPU=1 doc
    assert_rc 0
    check_is gpu ok
    json "'1 framework check on the AMD GPU, 0 failed' in [c['note'] for c in d['checks'] if c['name'] == 'gpu'][0]"
    doc
    assert_rc 8
    has framework-sees-no-gpu error
    json "any('sees no GPU' in f['message'] for f in d['findings'] if f['code'] == 'framework-sees-no-gpu')"
}

test_a_framework_built_for_a_newer_rocm_than_the_systems() {
    amd_node 1 110000 128
    rocm 6.0.2
    # built from source against ROCm 6.3, loading the system's HIP runtime
    venv torch=2.5.0a0 torch-hip=6.3.42131-fa1d09cbd
    doc --no-gpu-check
    assert_rc 0
    has amd-rocm-too-old warning
    json "(lambda f: 'ROCm 6.3' in f['message'] and '6.0.2' in f['message'] and 'torch.version.hip 6.3.42131-fa1d09cbd' in str(f['evidence']))([f for f in d['findings'] if f['code'] == 'amd-rocm-too-old'][0])"
    # a wheel that brings its own HIP runtime does not load the system's
    python3 "$ROOT/tests/fake/make_site.py" "$SITE" "lib=torch/lib/libamdhip64.so:$HIP/libnone.so" || fail "make_site.py"
    doc --no-gpu-check
    lacks amd-rocm-too-old
    # without it again, but with a ROCm as new as the build's
    rm "$SITE/torch/lib/libamdhip64.so"
    rocm 6.3.1
    doc --no-gpu-check
    lacks amd-rocm-too-old
    # the wheel's local version says it too
    rm -rf "$T/venv" "$GPUENV_SYSROOT/opt/rocm-6.3.1"; PY=
    venv torch=2.5.1+rocm6.2
    doc --no-gpu-check
    has amd-rocm-too-old warning
    gp doctor -C "$T/p" --python "$PY" --no-gpu-check
    assert_rc 0
    assert_out_has "amd-rocm-too-old"
}

# A fleet's lock (--host): this machine must be one of its node types, not its one host
test_a_fleets_lock_against_this_machine() {
    machine 550.54.15
    python3 "$ROOT/tests/fake/make_mirror.py" "$T/fx" >/dev/null || fail "make_mirror.py"
    export GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" GPUENV_MANIFEST_PATH="$T/fx/manifests" \
           GPUENV_CACHE_DIR="$T/cache" GPUENV_MIRROR="file://$T/fx/mirror"
    printf '{"schema": 1, "driver": {"version": "550.54.15"}, "gpus": [{"cc": "8.0"}]}\n' >"$T/a100.json"
    printf '{"schema": 1, "driver": {"version": "560.35.03"}, "gpus": [{"cc": "9.0"}]}\n' >"$T/h100.json"
    mkdir -p "$T/p"
    gp lock -C "$T/p" --host "$T/a100.json" --host "$T/h100.json" --python 3.12
    assert_rc 0
    export FAKE_CUDA_GPUS="NVIDIA A100|8.0|85899345920|11111111222233334444555555555555|00000000:07:00.0"
    doc
    lacks lock-other-machine
    export FAKE_CUDA_GPUS="NVIDIA T4|7.5|16106127360|11111111222233334444555555555555|00000000:07:00.0"
    doc
    has lock-other-machine warning
    json "any('none of the 2 node types' in f['message'] and 'a100 (8.0), h100 (9.0)' in f['message'] for f in d['findings'])"
}
