#!/bin/sh
# make_hipfat.sh OUT: shared libraries whose .hip_fatbin sections hold clang offload bundles, as a
# HIP library's do: bundles written by clang-offload-bundler (CLANG_OFFLOAD_BUNDLER, else
# clang-offload-bundler-14 or clang-offload-bundler on PATH) from stand-in code objects, compressed
# ones written by make_ccob.py, several per section where a linked library has several (4096-byte
# aligned, zero padding between). Also OUT/sections/*: the sections alone (fuzzing seeds).
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
bundler=${CLANG_OFFLOAD_BUNDLER:-$(command -v clang-offload-bundler-14 || command -v clang-offload-bundler || true)}
[ -n "$bundler" ] || { echo "make_hipfat.sh: no clang-offload-bundler (Debian: clang-14)" >&2; exit 1; }
CC=${CC:-cc}
w=$(mktemp -d "${TMPDIR:-/tmp}/gpuenv-hipfat.XXXXXX")
trap 'rm -rf "$w"' EXIT
mkdir -p "$out/sections"

# bundle NAME HOST_ID TARGET...: a bundle of one stand-in code object per target
bundle() {
    name=$1 targets=$2 inputs=/dev/null i=0
    shift 2
    for t in "$@"; do
        i=$((i + 1))
        printf '\177ELF stand-in code object for %s\n' "$t" >"$w/$name.$i.co"
        targets="$targets,$t" inputs="$inputs,$w/$name.$i.co"
    done
    "$bundler" -type=o -bundle-align=4096 -targets="$targets" -inputs="$inputs" -outputs="$w/$name.b"
}

# section NAME PART...: the parts one after another, each from a multiple of 4096
section() {
    name=$1
    shift
    : >"$w/$name.sec"
    for p in "$@"; do
        size=$(wc -c <"$w/$name.sec")
        pad=$(( (4096 - size % 4096) % 4096 ))
        [ "$pad" -eq 0 ] || head -c "$pad" /dev/zero >>"$w/$name.sec"
        cat "$w/$p.b" >>"$w/$name.sec"
    done
    cp "$w/$name.sec" "$out/sections/$name"
}

# library NAME: a shared library with the section NAME as its .hip_fatbin
library() {
    objcopy --add-section .hip_fatbin="$w/$1.sec" --set-section-flags .hip_fatbin=contents,readonly \
        "$w/host.so" "$out/lib$1.so"
}

H=host-x86_64-unknown-linux-gnu
echo 'int gpuenv_hip_host(void) { return 0; }' >"$w/host.c"
"$CC" -shared -fPIC -o "$w/host.so" "$w/host.c"
cp "$w/host.so" "$out/libnone.so"

bundle a $H hipv4-amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack- hipv4-amdgcn-amd-amdhsa--gfx1100
bundle old $H hip-amdgcn-amd-amdhsa-gfx906
bundle b1 $H hipv4-amdgcn-amd-amdhsa--gfx90a hipv4-amdgcn-amd-amdhsa--gfx942
bundle b2 $H hipv4-amdgcn-amd-amdhsa--gfx90a
bundle gen $H hipv4-amdgcn-amd-amdhsa--gfx11-generic hipv4-amdgcn-amd-amdhsa--gfx9-generic:xnack+
bundle c $H hipv4-amdgcn-amd-amdhsa--gfx942:xnack- hipv4-amdgcn-amd-amdhsa--gfx1100 hipv4-amdgcn-amd-amdhsa--gfx1030
python3 "$here/make_ccob.py" 1 zstd "$w/c.b" "$w/c1.b"
python3 "$here/make_ccob.py" 2 zstd "$w/c.b" "$w/c2.b"
python3 "$here/make_ccob.py" 3 zstd "$w/c.b" "$w/c3.b"
python3 "$here/make_ccob.py" 2 zlib "$w/c.b" "$w/z2.b"
python3 "$here/make_ccob.py" --bomb "$w/bomb.b"

section gfx90a a;            library gfx90a
section old old;             library old
section two b1 b2;           library two
section generic gen;         library generic
section ccob1 c1 b2;         library ccob1
section ccob2 c2;            library ccob2
section ccob3 c3 b2 c2;      library ccob3
section zlib z2 b2;          library zlib
section bomb bomb;           library bomb
