#!/usr/bin/env python3
"""Build the archives the extraction tests unpack, in the folder given: one shaped like NVIDIA's
(a single top folder with files, folders, a relative symlink and a hard link), a zip of the same,
and one archive per attack or defect the unpacker must refuse."""
import io, os, sys, tarfile, zipfile

out = sys.argv[1]
TOP = "cuda_nvcc-linux-x86_64-12.4.131-archive"


def add(t, name, data=b"", **kw):
    info = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(info, k, v)
    if info.type == tarfile.REGTYPE:
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    else:
        t.addfile(info)


def tar(name, entries):
    with tarfile.open(os.path.join(out, name), "w:xz") as t:
        for e in entries:
            add(t, *e[:2], **(e[2] if len(e) > 2 else {}))


good = [
    (TOP, b"", {"type": tarfile.DIRTYPE, "mode": 0o755}),
    (TOP + "/bin", b"", {"type": tarfile.DIRTYPE, "mode": 0o755}),
    (TOP + "/bin/nvcc", b"#!/bin/sh\necho nvcc\n", {"mode": 0o755}),
    (TOP + "/lib", b"", {"type": tarfile.DIRTYPE, "mode": 0o755}),
    (TOP + "/lib/libcudart.so.12.4.127", b"\x7fELF" + b"x" * 5000, {"mode": 0o644}),
    (TOP + "/lib/libcudart.so.12", b"", {"type": tarfile.SYMTYPE, "linkname": "libcudart.so.12.4.127"}),
    (TOP + "/lib/libcudart.so", b"", {"type": tarfile.SYMTYPE, "linkname": "../lib/libcudart.so.12"}),
    (TOP + "/lib/copy.so", b"", {"type": tarfile.LNKTYPE, "linkname": TOP + "/lib/libcudart.so.12.4.127"}),
    (TOP + "/LICENSE", b"license text\n", {"mode": 0o644}),
]
tar("good.tar.xz", good)
with zipfile.ZipFile(os.path.join(out, "good.zip"), "w") as z:
    z.writestr(TOP + "/bin/nvcc.exe", b"MZ" + b"y" * 100)
    z.writestr(TOP + "/LICENSE", b"license text\n")

tar("absolute.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}), ("/tmp/gpuenv-evil", b"x")])
tar("dotdot.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}), (TOP + "/../../evil", b"x")])
tar("symlink_out.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}),
                           (TOP + "/lib/escape", b"", {"type": tarfile.SYMTYPE, "linkname": "../../../etc"})])
tar("symlink_abs.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}),
                           (TOP + "/passwd", b"", {"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"})])
tar("hardlink_out.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}),
                            (TOP + "/shadow", b"", {"type": tarfile.LNKTYPE, "linkname": "/etc/shadow"})])
tar("device.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}),
                      (TOP + "/null", b"", {"type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3})])
tar("two_tops.tar.xz", [(TOP + "/a", b"x"), ("other-folder/b", b"y")])
tar("empty.tar.xz", [])
data = open(os.path.join(out, "good.tar.xz"), "rb").read()
open(os.path.join(out, "truncated.tar.xz"), "wb").write(data[: len(data) // 2])
open(os.path.join(out, "not_an_archive.tar.xz"), "wb").write(b"this is text, not xz\n" * 10)
