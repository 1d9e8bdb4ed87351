#!/usr/bin/env python3
"""Wrap an offload bundle as clang --offload-compress does (the layout of CompressedOffloadBundle,
clang/lib/Driver/OffloadBundler.cpp; see src/hipfat.h): "CCOB", u16 version, u16 method (0 zlib,
1 zstd), the sizes of the version, the first 8 bytes of the bundle's MD5, the compressed bundle.

Usage: make_ccob.py VERSION METHOD IN OUT     (METHOD: zstd or zlib; zstd through the zstd program)
       make_ccob.py --bomb OUT                a bundle of one gfx90a entry followed by 64 MiB of zeros"""
import hashlib
import struct
import subprocess
import sys
import zlib


def ccob(version, method, data):
    if method == "zstd":
        packed = subprocess.run(["zstd", "-q", "-c", "--no-check"], input=data, stdout=subprocess.PIPE, check=True).stdout
        code = 1
    else:
        packed = zlib.compress(data)
        code = 0
    digest = hashlib.md5(data).digest()[:8]
    if version == 1:
        head = b"CCOB" + struct.pack("<HHI", 1, code, len(data)) + digest
    elif version == 2:
        total = 24 + len(packed)
        head = b"CCOB" + struct.pack("<HHII", 2, code, total, len(data)) + digest
    else:
        total = 32 + len(packed)
        head = b"CCOB" + struct.pack("<HHQQ", 3, code, total, len(data)) + digest
    return head + packed


def bomb():
    tid = b"hipv4-amdgcn-amd-amdhsa--gfx90a"
    head = b"__CLANG_OFFLOAD_BUNDLE__" + struct.pack("<Q", 1)
    start = len(head) + 24 + len(tid)
    size = 64 << 20
    return head + struct.pack("<QQQ", start, size, len(tid)) + tid + bytes(size)


if sys.argv[1] == "--bomb":
    with open(sys.argv[2], "wb") as f:
        f.write(ccob(3, "zstd", bomb()))
else:
    version, method, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    with open(src, "rb") as f:
        data = f.read()
    with open(dst, "wb") as f:
        f.write(ccob(version, method, data))
