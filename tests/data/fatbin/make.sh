#!/bin/sh
# make.sh: rebuild the fat-binary fixtures of tests/unit/test_fatbin.c with nvcc (CUDA 13.0 made
# the committed ones: /usr/local/cuda/bin/nvcc, V13.0.88). Run from this folder:
#   NVCC=/usr/local/cuda/bin/nvcc sh make.sh
# Each is a shared library of one tiny kernel, without the CUDA runtime (-cudart none), so it is
# small; only its .nv_fatbin section matters.
set -eu
NVCC=${NVCC:-nvcc}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cat >"$t/k.cu" <<'CU'
extern "C" __global__ void add1(float *x, int n) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) x[i] += 1.0f; }
CU
cat >"$t/k2.cu" <<'CU'
extern "C" __global__ void mul2(float *x, int n) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) x[i] *= 2.0f; }
CU
so() { out=$1; shift; "$NVCC" -cudart none -shared -Xcompiler -fPIC -o "$out" "$t/k.cu" "$@"; }
so cubin80.so -gencode arch=compute_80,code=sm_80
so ptx90.so -gencode arch=compute_90,code=compute_90 -Xfatbin -compress=false
so both.so -gencode arch=compute_75,code=sm_75 -gencode arch=compute_90,code=[sm_90,compute_90]
so multi.so -gencode arch=compute_75,code=sm_75 -gencode arch=compute_80,code=sm_80 \
    -gencode arch=compute_86,code=sm_86 -gencode arch=compute_100,code=sm_100 \
    -gencode arch=compute_120,code=[sm_120,compute_120]
so compressed.so -gencode arch=compute_80,code=[sm_80,compute_80] -Xfatbin -compress-all
so specific.so -gencode arch=compute_90a,code=sm_90a -gencode arch=compute_100f,code=sm_100f \
    -gencode arch=compute_120a,code=compute_120a
# two translation units: two fat binaries in one section
"$NVCC" -cudart none -Xcompiler -fPIC -c -o "$t/k.o" "$t/k.cu" -gencode arch=compute_80,code=sm_80
"$NVCC" -cudart none -Xcompiler -fPIC -c -o "$t/k2.o" "$t/k2.cu" -gencode arch=compute_86,code=[sm_86,compute_86]
cc -shared -o two.so "$t/k.o" "$t/k2.o"
# no GPU code at all
echo 'int f(void) { return 1; }' >"$t/plain.c"
cc -shared -fPIC -o plain.so "$t/plain.c"
strip --strip-unneeded ./*.so
