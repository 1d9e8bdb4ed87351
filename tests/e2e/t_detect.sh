# t_detect.sh: 'gpuenv detect' against the fake driver: text and JSON, every failure mode and its
# exit status, overrides, CUDA_VISIBLE_DEVICES, installed toolkits.

H100="NVIDIA H100 80GB HBM3|9.0|85017493504|8c1e8d1e58a0f4b2a9f3c4d5e6f70812|00000000:18:00.0"

test_text_report() {
    mkdir -p "$GPUENV_SYSROOT/sys/module/nvidia"
    echo 580.159.04 >"$GPUENV_SYSROOT/sys/module/nvidia/version"
    GPUENV_LIBCUDA="$FAKE_LIB" gp detect
    assert_rc 0; assert_err_empty
    assert_out_has "  version   580.159.04 (/sys/module/nvidia/version)"
    assert_out_has "  cuda      13.0 (the newest CUDA this driver runs)"
    assert_out_has "  0    NVIDIA H100 80GB HBM3  9.0    79.2 GiB  00000000:18:00.0  GPU-8c1e8d1e-58a0-f4b2-a9f3-c4d5e6f70812"
    assert_out_has "cuda toolkits on this system"
}

test_json_report() {
    FAKE_CUDA_GPUS="$H100;NVIDIA GeForce RTX 4090|8.9|25386352640|0123456789abcdef0123456789abcdef|00000000:65:00.0" \
    FAKE_NVML_VERSION=580.159.04 GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
    assert_rc 0; assert_err_empty
    json 'list(d) == ["schema", "ok", "driver", "gpus", "cuda_visible_devices", "toolkits", "amd"]'
    json 'd["schema"] == 1 and d["ok"] is True'
    json 'd["driver"]["version"] == "580.159.04" and d["driver"]["cuda"] == "13.0"'
    json 'd["driver"]["source"] == "driver-api" and d["driver"]["version_source"] == "nvml"'
    json 'd["driver"]["library"].endswith("/libcuda.so.1")'
    json '[g["cc"] for g in d["gpus"]] == ["9.0", "8.9"] and [g["index"] for g in d["gpus"]] == [0, 1]'
    json 'd["gpus"][0] == {"index": 0, "name": "NVIDIA H100 80GB HBM3", "cc": "9.0", "memory_bytes": 85017493504, "uuid": "GPU-8c1e8d1e-58a0-f4b2-a9f3-c4d5e6f70812", "pci_bus_id": "00000000:18:00.0"}'
    json 'd["cuda_visible_devices"] is None and d["toolkits"] == []'
}

test_driver_version_unknown_is_null() {
    FAKE_NVML_FAIL=1 GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
    assert_rc 0
    json 'd["driver"]["version"] is None and d["driver"]["version_source"] is None and d["driver"]["cuda"] == "13.0"'
    FAKE_NVML_FAIL=1 GPUENV_LIBCUDA="$FAKE_LIB" gp detect
    assert_out_has "version   unknown"
}

test_no_driver_exits_4_and_says_what_was_tried() {
    gp detect
    assert_rc 4; assert_out_empty
    assert_err_has "gpuenv: error: no NVIDIA driver found: libcuda.so.1 is not in $GPUENV_SYSROOT/usr/lib/x86_64-linux-gnu"
    assert_err_has "/usr/lib/wsl/lib"
    assert_err_has "hint: install the NVIDIA driver"
    assert_err_lines 2
    gp detect --json
    assert_rc 4
    json 'd["ok"] is False and d["driver"] is None and d["gpus"] == [] and d["error"]["kind"] == "no-driver" and d["error"]["exit"] == 4'
    json '"--driver" in d["error"]["hint"]'
}

test_driver_found_in_container_folder() {
    mkdir -p "$GPUENV_SYSROOT/usr/local/nvidia/lib64"
    cp "$FAKE_LIB" "$GPUENV_SYSROOT/usr/local/nvidia/lib64/"
    gp detect --json
    assert_rc 0
    json 'd["driver"]["library"] == "'"$GPUENV_SYSROOT"'/usr/local/nvidia/lib64/libcuda.so.1"'
}

test_hang_times_out_with_exit_4() {
    start=$(date +%s)
    FAKE_CUDA_MODE=hang GPUENV_PROBE_TIMEOUT=1 GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
    took=$(( $(date +%s) - start ))
    assert_rc 4
    [ "$took" -lt 10 ] || fail "took ${took}s for a 1s timeout"
    json 'd["error"]["kind"] == "no-driver" and "stuck in cuInit" in d["error"]["message"]'
    assert_err_has "did not answer within 1s (stuck in cuInit)"
}

# A helper the driver forks keeps the probe's pipe open: the answer is used at once, and the
# helper ends with the probe (its process group).
test_a_driver_helper_does_not_hold_detect() {
    start=$(date +%s)
    FAKE_CUDA_MODE=helper FAKE_CUDA_HELPER_S=30 GPUENV_PROBE_TIMEOUT=20 GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
    took=$(( $(date +%s) - start ))
    assert_rc 0
    json 'd["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3"'
    [ "$took" -lt 10 ] || fail "took ${took}s: waited for the helper"
    sleep 0.2
    # the helper is a fork of the probe, itself a fork of gpuenv: the same command line
    left=$(ps -eo args | grep -c "^$GPUENV detect --json\$")
    [ "$left" -eq 0 ] || fail "probe processes left: $left"
}

# A killed gpuenv takes its probe with it (a hung probe must not stay behind as an orphan).
test_the_probe_dies_with_gpuenv() {
    FAKE_CUDA_MODE=hang GPUENV_PROBE_TIMEOUT=60 GPUENV_LIBCUDA="$FAKE_LIB" "$GPUENV" detect >/dev/null 2>&1 &
    pid=$!
    child=""
    for i in $(seq 1 100); do
        child=$(cat /proc/$pid/task/*/children 2>/dev/null | tr -s ' ' '\n' | head -n 1)
        [ -n "$child" ] && break
        sleep 0.05
    done
    [ -n "$child" ] || fail "no probe child seen"
    kill -9 $pid
    wait $pid 2>/dev/null
    for i in $(seq 1 100); do
        [ -d /proc/$child ] || break
        grep -q '^State:.*Z' /proc/$child/status 2>/dev/null && break
        sleep 0.05
    done
    if [ -d /proc/$child ] && ! grep -q '^State:.*Z' /proc/$child/status 2>/dev/null; then
        kill -9 $child
        fail "the probe $child outlived gpuenv"
    fi
}

test_crash_exits_4() {
    FAKE_CUDA_MODE=crash GPUENV_LIBCUDA="$FAKE_LIB" gp detect
    assert_rc 4
    assert_err_has "the NVIDIA driver crashed during cuInit (signal 11"
    assert_err_lines 2
}

test_init_failures_exit_4_with_hints() {
    FAKE_CUDA_MODE=stub GPUENV_LIBCUDA="$FAKE_LIB" gp detect
    assert_rc 4; assert_err_has "CUDA_ERROR_STUB_LIBRARY"; assert_err_has "hint: "
    FAKE_CUDA_MODE=init-fail FAKE_CUDA_ERROR=803 GPUENV_LIBCUDA="$FAKE_LIB" gp detect
    assert_rc 4; assert_err_has "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"; assert_err_has "reboot"
    FAKE_CUDA_MODE=init-fail GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
    assert_rc 4; json 'd["driver"]["cuda"] == "13.0" and d["gpus"] == []'
}

test_no_device_exits_6_but_reports_the_driver() {
    FAKE_CUDA_MODE=no-device GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
    assert_rc 6
    json 'd["ok"] is False and d["error"]["kind"] == "no-gpu" and d["driver"]["cuda"] == "13.0" and d["gpus"] == []'
    FAKE_CUDA_MODE=no-device GPUENV_LIBCUDA="$FAKE_LIB" gp detect
    assert_rc 6
    assert_out_has "  none"
    assert_err_has "gpuenv: error: the NVIDIA driver reports no GPU"
}

test_not_fooled_by_cuda_visible_devices() {
    for v in "" "NoDevFiles" "7" "GPU-doesnotexist" "-1"; do
        CUDA_VISIBLE_DEVICES="$v" GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
        assert_rc 0
        json 'len(d["gpus"]) == 1 and d["cuda_visible_devices"] == "'"$v"'"'
        assert_err_has "warning: CUDA_VISIBLE_DEVICES='$v'"
    done
}

test_noisy_driver_keeps_json_clean() {
    FAKE_CUDA_STDOUT="driver says hello" GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
    assert_rc 0
    json 'd["ok"] is True'
}

test_overrides_describe_another_machine() {
    # even with a broken driver, overrides do not probe
    FAKE_CUDA_MODE=crash GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json --driver 535.104.05 --gpu 8.6 --gpu sm_90,12.0
    assert_rc 0
    json 'd["driver"] == {"version": "535.104.05", "cuda": None, "source": "override", "version_source": "override", "library": None}'
    json '[g["cc"] for g in d["gpus"]] == ["8.6", "9.0", "12.0"] and d["gpus"][0]["name"] is None'
    GPUENV_DRIVER=550.54.15 GPUENV_GPUS="8.0, 8.9" gp detect --json
    assert_rc 0
    json 'd["driver"]["version"] == "550.54.15" and [g["cc"] for g in d["gpus"]] == ["8.0", "8.9"]'
    GPUENV_DRIVER=550.54.15 gp detect --json --driver 580.65.06
    json 'd["driver"]["version"] == "580.65.06"'
    gp detect --gpu 7.5
    assert_rc 0
    assert_out_has "not given"
}

test_bad_overrides_exit_2() {
    gp detect --driver 580.x
    assert_rc 2; assert_err_has "invalid driver version '580.x' in --driver"
    GPUENV_GPUS="nine" gp detect --json
    assert_rc 2; assert_err_has "invalid compute capability 'nine' in GPUENV_GPUS"
    json 'd["error"]["kind"] == "usage"'
    GPUENV_PROBE_TIMEOUT=-3 GPUENV_LIBCUDA="$FAKE_LIB" gp detect
    assert_rc 2; assert_err_has "invalid GPUENV_PROBE_TIMEOUT '-3'"
}

test_installed_toolkits_are_listed_apart() {
    mkdir -p "$T/sys/cuda-12.4/bin" "$T/sys/cuda-11.8"
    printf '{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}' >"$T/sys/cuda-12.4/version.json"
    printf '#!/bin/sh\n' >"$T/sys/cuda-12.4/bin/nvcc"; chmod +x "$T/sys/cuda-12.4/bin/nvcc"
    printf 'CUDA Version 11.8.89\n' >"$T/sys/cuda-11.8/version.txt"
    ln -s "$T/sys/cuda-12.4" "$T/sys/cuda"
    GPUENV_TOOLKIT_PATH="$T/sys/cuda:$T/sys/cuda-*" GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
    assert_rc 0
    json '[t["version"] for t in d["toolkits"]] == ["11.8.89", "12.4.1"]'
    json 'd["toolkits"][1]["aliases"] == ["'"$T"'/sys/cuda"] and d["toolkits"][1]["nvcc"] is True and d["toolkits"][0]["nvcc"] is False'
    json 'd["driver"]["cuda"] == "13.0"'
    GPUENV_TOOLKIT_PATH="$T/sys/cuda:$T/sys/cuda-*" GPUENV_LIBCUDA="$FAKE_LIB" gp detect
    assert_out_has "  12.4.1    $T/sys/cuda-12.4 (also $T/sys/cuda)"
    assert_out_has "  11.8.89   $T/sys/cuda-11.8 [no nvcc]"
}

test_driver_on_loader_path() {
    # the plain dlopen("libcuda.so.1") path: no sysroot, the fake folder on LD_LIBRARY_PATH
    unset GPUENV_SYSROOT
    LD_LIBRARY_PATH="$GPUENV_FAKE_DIR" gp detect --json
    assert_rc 0
    json 'd["driver"]["library"] == "'"$GPUENV_FAKE_DIR"'/libcuda.so.1" and d["driver"]["version_source"] in ("nvml", "/sys/module/nvidia/version", "/proc/driver/nvidia/version")'
}

# amd_gpu NODE GFX_TARGET_VERSION DEVICE_ID LOCATION_ID RENDER_MINOR [MEMORY]: a GPU node of a fake
# KFD topology, as the amdgpu driver writes it
test_amd_gpus_from_the_kfd_topology() {
    amd_machine
    amd_gpu 1 110000 29772 768 128
    gp detect --json
    assert_rc 0   # no NVIDIA driver, but a GPU: not a failure
    json 'd["ok"] and d["driver"] is None and d["gpus"] == []'
    json 'd["amd"]["gpus"][0]["gfx"] == "gfx1100" and d["amd"]["gpus"][0]["gfx_target_version"] == 110000 and d["amd"]["gpus"][0]["vendor"] == "amd"'
    json 'd["amd"]["gpus"][0]["pci_bus_id"] == "0000:03:00.0" and d["amd"]["gpus"][0]["pci_id"] == "1002:744c" and d["amd"]["gpus"][0]["render_node"] == "/dev/dri/renderD128"'
    json 'd["amd"]["kfd"] == {"exists": True, "access": True} and d["amd"]["driver"]["module_loaded"]'
    json 'len(d["amd"]["rocm"]) == 1 and d["amd"]["rocm"][0]["version"] == "6.2.4"'
    gp detect
    assert_rc 0
    assert_out_has "amd gpus"
    assert_out_has "gfx1100"
    assert_out_has "rocm      6.2.4"
    # a node of two data-center GPUs, one without its render node; /dev/kfd missing
    rm "$GPUENV_SYSROOT/dev/kfd"
    amd_gpu 2 90010 29711 49920 136 68702699520
    amd_gpu 3 90402 29857 50176 144 206141652992
    rm "$GPUENV_SYSROOT/dev/dri/renderD144"
    gp detect --json
    json '[g["gfx"] for g in d["amd"]["gpus"]] == ["gfx1100", "gfx90a", "gfx942"] and [g["render_access"] for g in d["amd"]["gpus"]] == [True, True, False]'
    json 'd["amd"]["kfd"]["exists"] is False'
    gp detect
    assert_out_has "[no /dev/kfd: ROCm cannot reach these GPUs]"
    assert_out_has "[no access to its render node]"
}

test_nvidia_and_amd_on_one_machine() {
    amd_machine
    amd_gpu 1 110000 29772 768 128
    GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
    assert_rc 0
    json 'len(d["gpus"]) == 1 and d["gpus"][0]["cc"] == "9.0" and [g["gfx"] for g in d["amd"]["gpus"]] == ["gfx1100"]'
    # a machine described by flags is that machine: nothing of this one is read
    gp detect --json --driver 550.54.15 --gpu 8.0
    json 'd["amd"] is None'
}

# amd_hip [FILE]: the fake HIP runtime (HIP 6 unless FILE names another fake) as ROCm 6.2.4's
# libamdhip64.so.6 in the fake tree; nothing of the caller's HIP environment is kept
amd_hip() {
    unset GPUENV_LIBAMDHIP FAKE_HIP_MODE FAKE_HIP_VERSION FAKE_HIP_GPUS FAKE_HIP_ERROR FAKE_HIP_STDOUT \
          HIP_VISIBLE_DEVICES ROCR_VISIBLE_DEVICES || true
    mkdir -p "$GPUENV_SYSROOT/opt/rocm-6.2.4/lib"
    cp "${1:-$GPUENV_FAKE_DIR/libamdhip64.so.6}" "$GPUENV_SYSROOT/opt/rocm-6.2.4/lib/libamdhip64.so.6"
}

MI250X="AMD Instinct MI250X|gfx90a:sramecc+:xnack-|0000:C3:00.0|68702699520"
MI300X="AMD Instinct MI300X|gfx942:sramecc+:xnack-|0000:c4:00.0|206141652992"

test_hip_confirms_a_gfx1100_machine() {
    amd_machine
    amd_gpu 1 110000 29772 768 128
    amd_hip
    gp detect --json
    assert_rc 0; assert_err_empty
    json 'd["amd"]["hip"]["status"] == "ok" and d["amd"]["hip"]["version"] == "6.2.41134" and d["amd"]["hip"]["runtime_version"] == 60241134'
    json 'd["amd"]["hip"]["library"] == "'"$GPUENV_SYSROOT"'/opt/rocm-6.2.4/lib/libamdhip64.so.6" and d["amd"]["hip"]["library_source"] == "rocm"'
    json 'd["amd"]["hip"]["error"] is None and d["amd"]["hip"]["visible_devices"] == {"HIP_VISIBLE_DEVICES": None, "ROCR_VISIBLE_DEVICES": None}'
    json 'd["amd"]["gpus"][0]["hip_seen"] and d["amd"]["gpus"][0]["hip"] == {"ordinal": 0, "name": "AMD Radeon RX 7900 XTX", "arch": "gfx1100"}'
    json 'd["amd"]["hip"]["gpus"] == [{"ordinal": 0, "name": "AMD Radeon RX 7900 XTX", "arch": "gfx1100", "pci_bus_id": "0000:03:00.0", "memory_bytes": 25753026560, "node": 1}]'
    json 'list(d["amd"]) == ["driver", "kfd", "gpus", "rocm", "hip"]'
    gp detect
    assert_rc 0; assert_err_empty
    assert_out_has "0000:03:00.0  hip #0 gfx1100"
    assert_out_has "  hip       6.2.41134 $GPUENV_SYSROOT/opt/rocm-6.2.4/lib/libamdhip64.so.6 (sees 1 of 1 GPU)"
}

test_hip_on_a_gfx90a_and_gfx942_node() {
    amd_machine
    amd_gpu 2 90010 29711 49920 136 68702699520
    amd_gpu 3 90402 29857 50176 144 206141652992
    amd_hip
    FAKE_HIP_GPUS="$MI250X;$MI300X" gp detect --json
    assert_rc 0; assert_err_empty
    json '[g["hip"]["arch"] for g in d["amd"]["gpus"]] == ["gfx90a:sramecc+:xnack-", "gfx942:sramecc+:xnack-"]'
    json '[g["node"] for g in d["amd"]["hip"]["gpus"]] == [2, 3] and [g["hip"]["ordinal"] for g in d["amd"]["gpus"]] == [0, 1]'
    # HIP 5's runtime and its older device properties, named by GPUENV_LIBAMDHIP
    FAKE_HIP_VERSION=50731921 FAKE_HIP_GPUS="$MI250X;$MI300X" GPUENV_LIBAMDHIP="$GPUENV_FAKE_DIR/hip5/libamdhip64.so.5" gp detect --json
    assert_rc 0
    json 'd["amd"]["hip"]["version"] == "5.7.31921" and d["amd"]["hip"]["library_source"] == "GPUENV_LIBAMDHIP"'
    json '[g["hip"]["arch"] for g in d["amd"]["gpus"]] == ["gfx90a:sramecc+:xnack-", "gfx942:sramecc+:xnack-"]'
    # the runtime applies HIP_VISIBLE_DEVICES: the GPU it hides is listed, and said to be unseen
    HIP_VISIBLE_DEVICES=1 FAKE_HIP_GPUS="$MI250X;$MI300X" gp detect --json
    assert_rc 0
    json '[g["hip_seen"] for g in d["amd"]["gpus"]] == [False, True] and d["amd"]["gpus"][0]["hip"] is None'
    json 'd["amd"]["hip"]["visible_devices"] == {"HIP_VISIBLE_DEVICES": "1", "ROCR_VISIBLE_DEVICES": None}'
    HIP_VISIBLE_DEVICES=1 FAKE_HIP_GPUS="$MI250X;$MI300X" gp detect
    assert_out_has "0000:c3:00.0  [not seen by HIP]"
    assert_out_has "hip #0 gfx942:sramecc+:xnack-"
    assert_out_has "(sees 1 of 2 GPUs)"
    assert_out_has "  hip       HIP_VISIBLE_DEVICES='1' is set: the runtime shows only the GPUs it names"
}

test_hip_missing_still_lists_the_kfd_gpus() {
    amd_machine
    amd_gpu 1 110000 29772 768 128
    amd_hip
    rm "$GPUENV_SYSROOT/opt/rocm-6.2.4/lib/libamdhip64.so.6"
    gp detect --json
    assert_rc 0; assert_err_empty
    json 'd["amd"]["gpus"][0]["gfx"] == "gfx1100" and d["amd"]["gpus"][0]["hip_seen"] is False and d["amd"]["gpus"][0]["hip"] is None'
    json 'd["amd"]["hip"]["status"] == "not-found" and d["amd"]["hip"]["library"] is None and d["amd"]["hip"]["gpus"] == []'
    json '"libamdhip64.so is not in" in d["amd"]["hip"]["error"]["message"] and "GPUENV_LIBAMDHIP" in d["amd"]["hip"]["error"]["hint"]'
    gp detect
    assert_rc 0; assert_err_empty
    assert_out_has "  hip       no HIP runtime found: libamdhip64.so is not in $GPUENV_SYSROOT/opt/rocm*/lib"
    assert_out_lacks "[not seen by HIP]"
    # a library that is not HIP's, and one that does not load
    GPUENV_LIBAMDHIP="$FAKE_LIB" gp detect --json
    assert_rc 0
    json 'd["amd"]["hip"]["status"] == "symbol-missing" and d["amd"]["hip"]["error"]["call"] == "hipRuntimeGetVersion"'
    assert_err_has "warning: unusable HIP runtime: "
    GPUENV_LIBAMDHIP="$T/nothing.so" gp detect --json
    assert_rc 0
    json 'd["amd"]["hip"]["status"] == "load-failed"'
    assert_err_has "warning: cannot load GPUENV_LIBAMDHIP=$T/nothing.so"
}

test_hip_hang_is_killed_and_detect_answers() {
    amd_machine
    amd_gpu 1 110000 29772 768 128
    amd_hip
    start=$(date +%s)
    FAKE_HIP_MODE=hang GPUENV_PROBE_TIMEOUT=1 gp detect --json
    took=$(( $(date +%s) - start ))
    assert_rc 0
    [ "$took" -lt 10 ] || fail "took ${took}s for a 1s timeout"
    json 'd["amd"]["hip"]["status"] == "timeout" and d["amd"]["hip"]["error"]["stage"] == "hipGetDeviceCount"'
    json 'd["amd"]["gpus"][0]["gfx"] == "gfx1100" and d["amd"]["gpus"][0]["hip_seen"] is False'
    assert_err_has "warning: the HIP runtime did not answer within 1s (stuck in hipGetDeviceCount); its probe was killed"
    sleep 0.2
    left=$(ps -eo args | grep -c "^$GPUENV detect --json\$")
    [ "$left" -eq 0 ] || fail "probe processes left: $left"
}

test_hip_crash_is_named() {
    amd_machine
    amd_gpu 1 110000 29772 768 128
    amd_hip
    FAKE_HIP_MODE=crash gp detect
    assert_rc 0
    assert_out_has "  hip       the HIP runtime crashed during hipGetDeviceCount (signal 11"
    assert_out_has "gfx1100"
    assert_err_has "warning: the HIP runtime crashed during hipGetDeviceCount (signal 11"
    FAKE_HIP_MODE=crash gp detect --json
    json 'd["ok"] and d["amd"]["hip"]["status"] == "crashed" and d["amd"]["hip"]["error"]["signal"] == 11'
}

test_hip_sees_no_device_while_kfd_has_gpus() {
    amd_machine
    amd_gpu 1 110000 29772 768 128
    amd_hip
    FAKE_HIP_MODE=no-device gp detect --json
    assert_rc 0
    json 'd["amd"]["hip"]["status"] == "no-device" and d["amd"]["hip"]["error"]["name"] == "hipErrorNoDevice" and d["amd"]["hip"]["error"]["code"] == 100'
    json 'd["amd"]["hip"]["version"] == "6.2.41134" and len(d["amd"]["gpus"]) == 1 and not d["amd"]["gpus"][0]["hip_seen"]'
    assert_err_has "warning: the HIP runtime reports no GPU: hipGetDeviceCount: hipErrorNoDevice (100)"
    assert_err_has "hint: check /dev/kfd"
    FAKE_HIP_MODE=insufficient-driver gp detect --json
    json 'd["amd"]["hip"]["status"] == "insufficient-driver" and d["amd"]["hip"]["error"]["code"] == 35'
    assert_err_has "the amdgpu driver is too old for this HIP runtime"
    # ROCR_VISIBLE_DEVICES naming no GPU hides them all: said, and why it may be
    ROCR_VISIBLE_DEVICES=7 gp detect
    assert_rc 0
    assert_out_has "  hip       the HIP runtime reports no GPU"
    assert_out_has "  hip       ROCR_VISIBLE_DEVICES='7' is set"
    # a noisy runtime does not break the JSON document
    FAKE_HIP_STDOUT="hip says hello" gp detect --json
    assert_rc 0
    json 'd["amd"]["hip"]["status"] == "ok"'
}

test_hip_with_nvidia_on_one_machine() {
    amd_machine
    amd_gpu 1 110000 29772 768 128
    amd_hip
    GPUENV_LIBCUDA="$FAKE_LIB" gp detect --json
    assert_rc 0; assert_err_empty
    json 'len(d["gpus"]) == 1 and d["gpus"][0]["cc"] == "9.0" and d["driver"]["cuda"] == "13.0"'
    json 'd["amd"]["hip"]["status"] == "ok" and d["amd"]["gpus"][0]["hip"]["arch"] == "gfx1100"'
    # an NVIDIA machine with ROCm installed but no AMD GPU: the HIP runtime is not asked
    rm -r "$GPUENV_SYSROOT/sys/class/kfd/kfd/topology/nodes/1"
    GPUENV_LIBCUDA="$FAKE_LIB" FAKE_HIP_MODE=crash gp detect --json
    assert_rc 0; assert_err_empty
    json 'd["amd"]["gpus"] == [] and d["amd"]["hip"]["status"] == "not-probed"'
}
