#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Wheelhouse target-side helper for the z/OSMF transport: unpack an upload archive (stdlib only,
Python >= 3.8).

    <python3> zwh_unpack.py --archive DIR/.zwh-upload-X.tar --dest DIR [--remove-archive]

z/OSMF is slow per request, so many small files travel as ONE ustar archive. Its members are
plain file names (no directories, links, '..' or absolute paths; anything else is refused before
a byte is written). Each member is written into DIR/<name> with open(..., "wb") - O_TRUNC on an
existing file keeps its inode and so its z/OS file tag (the pipeline pre-creates and tags every
file before the upload and checks the tags and hashes afterwards).

stdout: one JSON object {"helper","version","command","ok","files":[{"name","size"}]} or with
"error": {"code","message"}; exit 0 ok, 1 error.
"""
import argparse
import json
import os
import re
import sys
import tarfile

VERSION = "1"
NAME_RE = re.compile(r"^[A-Za-z0-9._+-]{1,100}$")


def emit(obj, rc):
    base = {"helper": "zwh_unpack", "version": VERSION, "command": "unpack"}
    base.update(obj)
    sys.stdout.write(json.dumps(base, sort_keys=True, ensure_ascii=True) + "\n")
    return rc


def fail(code, message):
    return emit({"ok": False, "error": {"code": code, "message": message}}, 1)


def main(argv=None):
    p = argparse.ArgumentParser(prog="zwh_unpack.py")
    p.add_argument("--archive", required=True)
    p.add_argument("--dest", required=True)
    p.add_argument("--remove-archive", action="store_true")
    a = p.parse_args(argv)
    try:
        with tarfile.open(a.archive, "r:") as tf:
            members = tf.getmembers()
            for m in members:
                if not m.isfile() or not NAME_RE.match(m.name) or m.name in (".", ".."):
                    return fail("ZWH-ZOSMF-UNPACK", "archive member %r is not a plain file name" % m.name)
            names = [m.name for m in members]
            if len(set(names)) != len(names):
                return fail("ZWH-ZOSMF-UNPACK", "archive has duplicate members")
            out = []
            for m in members:
                src = tf.extractfile(m)
                dest = os.path.join(a.dest, m.name)
                with open(dest, "wb") as f:
                    n = 0
                    while True:
                        chunk = src.read(1024 * 1024)
                        if not chunk:
                            break
                        f.write(chunk)
                        n += len(chunk)
                    f.flush()
                    os.fsync(f.fileno())
                if n != m.size:
                    return fail("ZWH-ZOSMF-UNPACK", "member %s: wrote %d of %d bytes" % (m.name, n, m.size))
                out.append({"name": m.name, "size": n})
    except (OSError, tarfile.TarError) as e:
        return fail("ZWH-ZOSMF-UNPACK", "%s: %s" % (a.archive, e))
    if a.remove_archive:
        try:
            os.unlink(a.archive)
        except OSError:
            pass
    return emit({"ok": True, "files": out}, 0)


if __name__ == "__main__":
    sys.exit(main())
