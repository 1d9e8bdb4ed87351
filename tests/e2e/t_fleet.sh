# t_fleet.sh: one plan and one lock for several node types (--host, repeatable): the documents
# 'gpuenv detect --json' prints on each node (as 'srun gpuenv detect --json' gathers them), read
# back, resolved for all at once, recorded in gpuenv.lock, and a machine checked against them.

ROOT="$E2E_DIR/../.."

# detect on a "node": the fake driver of this version (and CUDA version) with these GPUs
# ("name|cc;name|cc"), as srun runs it on each node
node_detect() { # DRIVER_VERSION CUDA_VERSION_INT GPUS
    FAKE_NVML_VERSION=$1 FAKE_CUDA_DRIVER=$2 FAKE_CUDA_GPUS=$3 GPUENV_LIBCUDA="$FAKE_LIB" "$GPUENV" detect --json
}

test_a_stream_of_node_documents_resolves_for_every_node_type() {
    # what 'srun --nodes=5 --ntasks-per-node=1 gpuenv detect --json' prints: two V100 nodes, two
    # H100 nodes and a node whose driver cannot be loaded (no GPU for the plan)
    v100="Tesla V100-SXM2-32GB|7.0;Tesla V100-SXM2-32GB|7.0" h100="NVIDIA H100 80GB HBM3|9.0"
    { node_detect 535.104.05 12020 "$v100"; node_detect 535.104.05 12020 "$v100"
      node_detect 570.86.10 12080 "$h100"; node_detect 570.86.10 12080 "$h100"
      GPUENV_LIBCUDA=/nonexistent "$GPUENV" detect --json; } >"$T/nodes.json" 2>/dev/null
    [ "$(grep -c '"schema"' "$T/nodes.json")" -eq 5 ] || fail "five documents expected"
    gp resolve --json --python 3.12 --host - torch <"$T/nodes.json"
    assert_rc 0
    json 'len(d["hosts"]) == 3 and [h["name"] for h in d["hosts"]] == ["stdin#1", "stdin#2", "stdin#3"] and d["hosts"][2]["gpus"] == [] and d["host"]["driver"] is None and d["plan"]["packages"][0]["variant"] == "cu126"'
    json 'any(b["hosts"] == ["stdin#1"] and b["reason"] == "unsupported-gpu" for b in d["plan"]["bound"])'
    gp resolve --python 3.12 --host "$T/nodes.json" torch
    assert_rc 0
    assert_out_has "plan for 3 node types; python 3.12"
    assert_out_has "bound by"
    assert_out_has "torch 2.14.0 cu126, not torch 2.14.0 cu130: nodes#1: torch 2.14.0 cu130 has no code for compute capability 7.0"
    assert_err_lacks "cannot check the driver"   # the node without a driver is no GPU node
    # a refusal names the node type that refuses
    gp resolve --json --python 3.12 --host "$T/nodes.json" 'torch==2.14.0+cu130'
    assert_rc 3
    json 'd["error"]["reason"] == "unsupported-gpu" and "of nodes#1" in d["error"]["message"]'
    # a detect that failed for another reason describes nothing: refused, not taken for a login node
    printf '{"schema": 1, "ok": false, "driver": null, "gpus": [], "error": {"kind": "failure", "message": "timed out"}}\n' >"$T/bad.json"
    gp resolve --host "$T/nodes.json" --host "$T/bad.json" torch
    assert_rc 2
    assert_err_has "--host $T/bad.json: document 1: 'gpuenv detect' failed there (timed out)"
}

test_a_lock_for_two_node_types_installs_on_each() {
    python3 "$ROOT/tests/fake/make_mirror.py" "$T/fx" || fail "make_mirror.py"
    export GPUENV_DATA_DIR="$ROOT/tests/data/matrix-min" GPUENV_MANIFEST_PATH="$T/fx/manifests" \
           GPUENV_CACHE_DIR="$T/cache" GPUENV_MIRROR="file://$T/fx/mirror"
    gp detect --json --driver 550.54.15 --gpu 8.0
    cp "$OUT" "$T/a100.json"
    gp detect --json --driver 560.35.03 --gpu 9.0,9.0
    cp "$OUT" "$T/h100.json"
    mkdir -p "$T/p"
    gp lock -C "$T/p" --host "$T/a100.json" --host "$T/h100.json" --python 3.12
    assert_rc 0
    assert_out_has "for 2 node types: a100, h100"
    python3 - "$T/p/gpuenv.lock" <<'PY' || fail "the lock's hosts"
import json, sys
l = json.load(open(sys.argv[1]))
assert l["hosts"] == [{"name": "a100", "driver": "550.54.15", "gpus": "8.0"},
                      {"name": "h100", "driver": "560.35.03", "gpus": "9.0,9.0"}], l["hosts"]
assert l["host"]["driver"] == "" and l["host"]["gpus"] == "", l["host"]
assert l["packages"]["cuda-toolkit"] == "12.4.1", l["packages"]
PY
    # installed on each node type; the machine is said to be one of them
    gp -v install -C "$T/p" --driver 550.54.15 --gpu 8.0
    assert_rc 0
    assert_err_has "this machine is gpuenv.lock's node type a100"
    gp -v install -C "$T/p" --json --driver 565.57.01 --gpu 9.0
    assert_rc 0
    json 'd["from_lock"] is True and [h["name"] for h in d["hosts"]] == ["a100", "h100"]'
    assert_err_has "this machine is gpuenv.lock's node type h100"
    # --locked resolves again for the lock's node types, not for this machine alone
    gp install -C "$T/p" --locked --driver 560.35.03 --gpu 9.0
    assert_rc 0
    # a machine that is none of them: a warning, or with --locked a refusal that names the nearest
    gp install -C "$T/p" --driver 550.54.15 --gpu 7.5
    assert_rc 0
    assert_err_has "warning: this machine is none of the node types gpuenv.lock was resolved for: its GPUs (7.5) are those of none of the lock's node types: a100 (8.0), h100 (9.0,9.0)"
    gp install -C "$T/p" --locked --json --driver 535.104.05 --gpu 8.0
    assert_rc 7
    json 'd["error"]["kind"] == "locked" and "driver 535.104.05 is older than a100" in d["error"]["message"]'
    # a damaged node type in the lock is bad data, said as such
    sed 's/"gpus":[[:space:]]*"9.0,9.0"/"gpus": "9.x"/' "$T/p/gpuenv.lock" >"$T/p/l" && mv "$T/p/l" "$T/p/gpuenv.lock"
    gp install -C "$T/p" --locked --driver 560.35.03 --gpu 9.0
    assert_rc 5
    assert_err_has "gpuenv.lock: hosts: h100:"
}

# A real single-node Slurm cluster from Debian's packages (munge, slurmctld, slurmd), configured in
# the test's folder and stopped at the end: 'srun gpuenv detect --json' gathers the documents.
# Debian's Slurm is not built for several slurmd on one host, so the node's three tasks stand for
# three node types, each task's fake driver set by its SLURM_PROCID. Skipped, with the reason,
# where the packages are missing or the daemons cannot run (they need root).
slurm_up() {
    for b in munged slurmctld slurmd srun scontrol sinfo; do
        command -v "$b" >/dev/null 2>&1 || { echo "skipped: $b missing (Debian: slurmd slurmctld slurm-client munge)"; return 1; }
    done
    [ "$(id -u)" = 0 ] || { echo "skipped: slurmd runs jobs as their users and must be root; this is uid $(id -u)"; return 1; }
    S="$T/slurm"
    mkdir -p "$S/state" "$S/spool" "$S/log"
    head -c 1024 /dev/urandom >"$S/munge.key" && chmod 600 "$S/munge.key"
    munged --force -S "$S/munge.sock" --key-file="$S/munge.key" --log-file="$S/log/munged.log" \
        --pid-file="$S/munged.pid" --seed-file="$S/munged.seed" || { echo "skipped: munged did not start"; return 1; }
    port=$((20000 + $$ % 20000))
    node=$(hostname -s)
    cat >"$S/slurm.conf" <<CONF
ClusterName=gpuenv-e2e
SlurmctldHost=$node
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$S/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SelectType=select/cons_tres
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=$node CPUs=$(nproc) State=UNKNOWN
PartitionName=gpu Nodes=ALL Default=YES MaxTime=5 State=UP
CONF
    export SLURM_CONF="$S/slurm.conf"
    trap 'scontrol shutdown >/dev/null 2>&1; sleep 1; kill $(cat "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munged.pid" 2>/dev/null) 2>/dev/null; rm -rf "$T"' EXIT
    slurmctld && slurmd || { echo "skipped: slurmctld or slurmd did not start: $(tail -n 3 "$S"/log/*.log)"; return 1; }
    for _ in $(seq 50); do
        sinfo -h -o %t 2>/dev/null | grep -qx idle && return 0
        sleep 0.2
    done
    echo "skipped: the node never became idle: $(sinfo 2>&1 | tail -n 1); $(tail -n 3 "$S/log/slurmctld.log")"
    return 1
}

test_srun_gathers_the_node_documents() {
    slurm_up || return 0
    # each task is a node: task 0 a V100 node on R535, 1 an H100 node on R570, 2 a login node
    cat >"$T/as-node.sh" <<NODE
#!/bin/sh
case \$SLURM_PROCID in
0) export FAKE_NVML_VERSION=535.104.05 FAKE_CUDA_DRIVER=12020 FAKE_CUDA_GPUS='Tesla V100|7.0;Tesla V100|7.0' GPUENV_LIBCUDA=$FAKE_LIB ;;
1) export FAKE_NVML_VERSION=570.86.10 FAKE_CUDA_DRIVER=12080 FAKE_CUDA_GPUS='NVIDIA H100|9.0' GPUENV_LIBCUDA=$FAKE_LIB ;;
*) export GPUENV_LIBCUDA=/nonexistent/libcuda.so.1 ;;
esac
exec "\$@"
NODE
    chmod +x "$T/as-node.sh"
    timeout 60 srun --nodes=1 --ntasks=3 --overcommit --kill-on-bad-exit=0 "$T/as-node.sh" "$GPUENV" detect --json \
        >"$T/nodes.json" 2>"$T/srun.err"
    [ "$(grep -c '"schema"' "$T/nodes.json")" -eq 3 ] || fail "srun gathered no three documents: $(cat "$T/srun.err")"
    gp lock -C "$T" --host "$T/nodes.json" --python 3.12 --json torch
    assert_rc 0
    python3 - "$T/gpuenv.lock" <<'PY' || fail "the lock's hosts"
import json, sys
hosts = json.load(open(sys.argv[1]))["hosts"]
got = sorted((h["driver"], h["gpus"]) for h in hosts)
assert got == [("", ""), ("535.104.05", "7.0,7.0"), ("570.86.10", "9.0")], got
PY
}
