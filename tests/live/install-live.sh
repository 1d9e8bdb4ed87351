#!/bin/sh
# install-live.sh: on a machine with a GPU and a CUDA toolkit but no network, repack the toolkit as
# an NVIDIA-layout mirror, 'gpuenv install' a toolkit (nvcc, cudart) and cuDNN from it into a
# project, source the activation, compile and run a CUDA program with the prefix's nvcc, and load
# the prefix's cuDNN. Usage: GPUENV=path/to/gpuenv sh tests/live/install-live.sh [CUDA_ROOT]
set -eu
: "${GPUENV:?set GPUENV to the gpuenv binary}"
here=$(cd "$(dirname "$0")" && pwd)
cuda=${1:-/usr/local/cuda}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 "$here/make_local_mirror.py" "$cuda" "$W"
export GPUENV_CACHE_DIR="$W/cache" GPUENV_MANIFEST_PATH="$W/manifests" GPUENV_MIRROR="file://$W/mirror"
mkdir -p "$W/project"
comps=cuda_nvcc,cuda_cudart
[ -d "$W/manifests/cudnn" ] && comps=$comps,cudnn
"$GPUENV" install -C "$W/project" --components $comps 'cuda-toolkit==13.0.2'
. "$W/project/.gpuenv/activate"
echo "CUDA_HOME=$CUDA_HOME"
echo "nvcc: $(command -v nvcc)"
nvcc --version | tail -2
cat >"$W/hello.cu" <<'CU'
#include <cstdio>
__global__ void add(const float *a, const float *b, float *c, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) c[i] = a[i] + b[i];
}
int main() {
    const int n = 1 << 20;
    float *a, *b, *c;
    cudaMallocManaged(&a, n * sizeof(float)); cudaMallocManaged(&b, n * sizeof(float));
    cudaMallocManaged(&c, n * sizeof(float));
    for (int i = 0; i < n; i++) { a[i] = i; b[i] = 2 * i; }
    add<<<(n + 255) / 256, 256>>>(a, b, c, n);
    cudaError_t e = cudaDeviceSynchronize();
    cudaDeviceProp p; cudaGetDeviceProperties(&p, 0);
    printf("device: %s (sm_%d%d), kernel: %s, c[12345] = %.0f (want %d)\n", p.name, p.major, p.minor,
           cudaGetErrorString(e), c[12345], 3 * 12345);
    return e == cudaSuccess && c[12345] == 3 * 12345 ? 0 : 1;
}
CU
nvcc -arch=sm_90 -o "$W/hello" "$W/hello.cu"
"$W/hello"
if [ -d "$W/manifests/cudnn" ]; then
    python3 -c 'import ctypes, os; p = os.environ["CUDNN_PATH"] + "/lib/libcudnn.so.9"; l = ctypes.CDLL(p); print("cudnnGetVersion() =", l.cudnnGetVersion(), "from", p)'
else
    echo "no cuDNN on this machine to repack: not checked"
fi
gpuenv_deactivate
echo "install-live: ok"
