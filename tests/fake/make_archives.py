#!/usr/bin/env python3
"""Build the archives the extraction tests unpack, in the folder given: one shaped like NVIDIA's
(a single top folder with files, folders, a relative symlink and a hard link), a zip of the same,
and one archive per attack or defect the unpacker must refuse (escaping paths and links, link
chains, special modes, control characters, deep nesting, archive bombs, sparse files)."""
import io, lzma, os, subprocess, sys, tarfile, zipfile

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

# setuid, setgid and world-writable modes: unpacked read-only, without the special bits
tar("modes.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE, "mode": 0o777}),
                     (TOP + "/bin", b"", {"type": tarfile.DIRTYPE, "mode": 0o777}),
                     (TOP + "/bin/suid", b"#!/bin/sh\n", {"mode": 0o6777}),
                     (TOP + "/bin/plain", b"data\n", {"mode": 0o666})])
# a name with a line break (would forge lines in messages and in the tree's index)
tar("control.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}), (TOP + "/evil\nname", b"x")])
# nested deeper than any NVIDIA archive (and than a walk's bounded stack of folders)
deep = TOP + "".join("/d%d" % i for i in range(130))
tar("deep.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}), (deep + "/f", b"x")])
# links that each stay inside as text but chain out of the tree: s climbs 12 folders to the
# top, t = s/../../tmp/gpuenv-evil reads (as text) as two folders up from d12, but through s
# it is two folders above the top
chain = TOP + "".join("/d%d" % i for i in range(1, 13))
tar("chain.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}), (chain, b"", {"type": tarfile.DIRTYPE}),
                     (chain + "/s", b"", {"type": tarfile.SYMTYPE, "linkname": "/".join([".."] * 12)}),
                     (chain + "/t", b"", {"type": tarfile.SYMTYPE, "linkname": "s/../../tmp/gpuenv-evil"})])
# a link loop stays inside but resolves to nothing
tar("loop.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}),
                    (TOP + "/a", b"", {"type": tarfile.SYMTYPE, "linkname": "b"}),
                    (TOP + "/b", b"", {"type": tarfile.SYMTYPE, "linkname": "a"})])
# 4 MiB of zeros: a few hundred bytes of xz (the unit tests give it a small bound)
tar("zeros.tar.xz", [(TOP, b"", {"type": tarfile.DIRTYPE}), (TOP + "/zeros", b"\0" * (4 << 20))])
# sparse files, as GNU tar stores them (a map of the data, no holes): 10 GB in a few hundred
# bytes, and a 48 MiB one within the default bound
def sparse_tar(name, size):
    work = os.path.join(out, "sparse-work")
    top = os.path.join(work, TOP)
    os.makedirs(top, exist_ok=True)
    f = os.path.join(top, "sparse")
    with open(f, "wb") as fh:
        fh.write(b"head")
        fh.truncate(size)
        fh.seek(size - 4)
        fh.write(b"tail")
    subprocess.run(["tar", "-C", work, "--sparse", "--format=gnu", "-cJf", os.path.join(out, name), TOP], check=True)
    os.remove(f)
    os.rmdir(top)
    os.rmdir(work)
sparse_tar("sparse_bomb.tar.xz", 10 * 10**9)
sparse_tar("sparse_ok.tar.xz", 48 << 20)

# a header that claims more bytes than the archive holds: the xz stream is whole, the tar inside
# it ends 100 bytes into a 10000-byte entry whose name is long (libarchive reallocates names)
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w") as t:
    add(t, TOP, b"", type=tarfile.DIRTYPE)
    add(t, TOP + "/" + "n" * 150 + "/short-entry", b"y" * 10000)
data = raw.getvalue()
cut = data.index(b"y" * 100) + 100
open(os.path.join(out, "short_entry.tar.xz"), "wb").write(lzma.compress(data[:cut], format=lzma.FORMAT_XZ))
