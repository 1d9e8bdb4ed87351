#!/bin/sh
# seeds.sh OUT: a seed corpus per harness, made from what the repository already holds (real
# manifests, the minimal matrix, the test archives, a real lock) so nothing is duplicated.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
root="$here/../.."
mkdir -p "$out"
for f in $(cd "$root/tests/fuzz" && ls fuzz_*.c | sed -e '/^fuzz_common\.c$/d' -e 's/^fuzz_\(.*\)\.c$/\1/'); do mkdir -p "$out/$f"; done
i=0
for v in 12.4.1 580.159.04 581.57 9.0 sm_90 sm_100a compute_86 1.2.3.4 0.0 99.9 12.; do
    printf '%s' "$v" >"$out/version/$i"; i=$((i + 1))
done
for r in torch 'torch>=2.1,<2.6' 'torch==2.5.1+cu121' 'jax[cuda12]==0.4.31' 'tensorflow[and-cuda]~=2.15.0' \
         'cuda-toolkit==12.4.*' 'cudnn>=9' 'torch!=2.0.0; python_version<"3.12"'; do
    printf '%s' "$r" >"$out/req/$i"; i=$((i + 1))
done
cp "$root"/data/redist/cudnn/redistrib_9.1.0.json "$root"/data/redist/cudnn/redistrib_8.9.7.json "$out/manifest/"
k=0
for f in "$root"/tests/data/matrix-min/*.json; do
    printf "\\$(printf '%03o' $k)" >"$out/matrix/$k"; cat "$f" >>"$out/matrix/$k"; k=$((k + 1))
done
printf '\000\000\000\000xyz' >"$out/matrix_cache/0"
python3 "$root/tests/fake/make_archives.py" "$out/extract"
rm -f "$out/extract/sparse_bomb.tar.xz"   # slow to refuse under the fuzzer's sanitizers; a unit test has it
cat >"$out/tree_index/0" <<'I'
gpuenv-tree 1
d	0755	-	-	-	bin
f	0444	1	1700000000.000000000	2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881	bin/nvcc
I
cat >"$out/lock/0" <<'L'
{"schema": 1, "generator": "gpuenv", "requirements": ["cuda==12.4.*"],
 "host": {"driver": "550.54.15", "gpus": "8.0", "python": "3.12"}, "platform": "linux-x86_64",
 "packages": {"cuda-toolkit": "12.4.1", "cudnn": "9.1.0.70", "cudnn_build": "cuda12"},
 "archives": [{"package": "cuda-toolkit", "component": "cuda_nvcc", "version": "12.4.131", "platform": "linux-x86_64",
   "variant": "", "url_path": "compute/cuda/redist/cuda_nvcc/linux-x86_64/cuda_nvcc-linux-x86_64-12.4.131-archive.tar.xz",
   "size": 1234, "sha256": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"}],
 "python": {"framework": "torch", "framework_version": "2.4.1+cu124", "version": "3.12",
   "index_url": "https://download.pytorch.org/whl/cu124", "requirements": ["torch==2.4.1+cu124", "numpy<2"]}}
L
# a fleet's lock: the node types it was resolved for
sed 's/"platform": "linux-x86_64",$/"platform": "linux-x86_64", "hosts": [{"name": "a100", "driver": "550.54.15", "gpus": "8.0,8.0"}, {"name": "login", "driver": "", "gpus": ""}],/' \
    "$out/lock/0" >"$out/lock/1"
# nvcc's own output: whole libraries, and their .nv_fatbin sections alone
cp "$root"/tests/data/fatbin/*.so "$out/fatbin/"
for f in "$root"/tests/data/fatbin/both.so "$root"/tests/data/fatbin/two.so; do
    objcopy -O binary --only-section=.nv_fatbin "$f" "$out/fatbin/section-$(basename "$f" .so)" 2>/dev/null || true
done
# clang-offload-bundler's bundles and compressed ones (tests/fake/make_hipfat.sh), whole libraries
# and sections alone; the 64 MiB bomb stays a unit test's
sh "$root/tests/fake/make_hipfat.sh" "$out/hip-src" >/dev/null
cp "$out"/hip-src/lib*.so "$out/hip-src"/sections/* "$out/hipfat/" 2>/dev/null || true
rm -rf "$out/hip-src" "$out/hipfat/libbomb.so"
# two nodes as 'srun gpuenv detect --json' gathers them, and a login node without a GPU
cat >"$out/hostfile/0" <<'H'
{"schema": 1, "ok": true, "driver": {"version": "535.104.05", "cuda": "12.2"}, "gpus": [{"index": 0, "cc": "7.0"}], "amd": null}
{"schema": 1, "ok": true, "driver": {"version": "580.65.06"}, "gpus": [{"cc": "9.0"}, {"cc": "9.0"}],
 "amd": {"gpus": [{"gfx": "gfx90a"}]}}
{"schema": 1, "ok": false, "driver": null, "gpus": []}
H
# a mirror's record of its wheels, as 'gpuenv mirror' writes it
cat >"$out/mirror_record/0" <<'R'
{"gpuenv_mirror": 1, "index": "simple", "wheels": [
 {"file": "torch-2.4.1+cu124-cp312-cp312-linux_x86_64.whl", "sha256": "1e3f4c1ba0d4b2e8c2ef3c8f0a2d5b7e9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e", "size": 799109536},
 {"file": "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "sha256": "0000000000000000000000000000000000000000000000000000000000000000", "size": 0}]}
R
