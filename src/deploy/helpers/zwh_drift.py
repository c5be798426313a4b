#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Wheelhouse drift observer (stdlib only, Python >= 3.8). Companion of zwh_target.py.

Run as
    <base python3> -I -S zwh_drift.py observe --zwh-target PATH --root ROOT [--tags]
with the SDK's base interpreter in isolated mode and without `site`: nothing of the release
being examined (a planted .pth, a sitecustomize in the venv) can run while it is examined.
The installed set is read from the .dist-info directories (what `pip inspect` reads) instead
of starting the venv's interpreter for the same reason.

One ASCII JSON object on stdout: exit 0 observed (findings are data, not failures), 1 error.
Everything a drift report needs comes from this one run: links, the current release's receipt,
every installed file re-hashed against its RECORD, unowned files, the installed distributions,
file tags of the files the agent wrote (one `ls -T` call), the interpreter now vs. at deploy,
the lock, the trust anchors and the accepted-sequence state.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import sysconfig

HELPER = "zwh_drift"
HELPER_VERSION = 1
RECEIPT_MAX = 16 * 1024 * 1024


def emit(obj, code):
    obj.setdefault("helper", HELPER)
    obj.setdefault("version", HELPER_VERSION)
    sys.stdout.write(json.dumps(obj, ensure_ascii=True, sort_keys=True) + "\n")
    sys.stdout.flush()
    return code


def load_target(path):
    spec = importlib.util.spec_from_file_location("zwh_target_mod", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_json_capped(path, cap=RECEIPT_MAX):
    """A regular file's JSON, or None when it is absent, not regular, too large or not JSON."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        import stat as _stat
        if not _stat.S_ISREG(st.st_mode) or st.st_size > cap:
            return None
        chunks, left = [], st.st_size + 1
        while left > 0:
            b = os.read(fd, min(left, 1 << 20))
            if not b:
                break
            chunks.append(b)
            left -= len(b)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > cap:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return None


def interpreter_now():
    """The base interpreter as it is now (an APAR applied to the SDK changes these)."""
    exe = sys.executable
    real = os.path.realpath(exe)
    try:
        st = os.stat(real)
        size, mtime = st.st_size, int(st.st_mtime)
    except OSError:
        size, mtime = None, None
    return {"executable": exe, "realpath": real, "version": sys.version.split()[0],
            "hexversion": sys.hexversion, "build": sys.version, "size": size, "mtime": mtime,
            "platform": sys.platform, "sysconfigPlatform": sysconfig.get_platform()}


def pyvenv_cfg(venv):
    out = {}
    try:
        with open(os.path.join(venv, "pyvenv.cfg"), "rb") as f:
            for line in f.read(65536).decode("utf-8", "replace").splitlines():
                k, sep, v = line.partition("=")
                if sep:
                    out[k.strip()] = v.strip()
    except OSError:
        return None
    return out


def link_info(zt, root, name):
    tgt, kind = zt._read_link(os.path.join(root, name))
    return {"target": tgt, "kind": kind, "release": zt._link_release_id(root, tgt) if kind == "link" else None}


def tag_listing(paths):
    """`ls -T` over the given paths in one process (tags are not visible through stat)."""
    if not paths:
        return {"ran": False, "lines": []}
    try:
        p = subprocess.run(["ls", "-T"] + paths, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        return {"ran": False, "error": str(e), "lines": []}
    text = p.stdout.decode("latin-1")
    return {"ran": True, "exitCode": p.returncode, "lines": [l for l in text.split("\n") if l]}


# The text files deploy writes into a release, each created and tagged t ISO8859-1 before any
# byte is written (reports pip writes itself, e.g. pip-inspect.json, are not ours to tag).
AGENT_TEXT_FILES = ("receipt.json", "requirements.lock.txt", "manifest.intoto.json", "manifest.dsse.json",
                    "manifest.intoto.json.sig")


def release_files(release_dir):
    """(text files the agent wrote, wheels in the store) of one release, for the tag check."""
    text = [os.path.join(release_dir, n) for n in AGENT_TEXT_FILES
            if os.path.isfile(os.path.join(release_dir, n)) and not os.path.islink(os.path.join(release_dir, n))]
    wheels = []
    wdir = os.path.join(release_dir, "wheels")
    for n in sorted(os.listdir(wdir)) if os.path.isdir(wdir) else []:
        if n.endswith(".whl"):
            wheels.append(os.path.realpath(os.path.join(wdir, n)))
    return text, wheels


def trust_state(zt, base):
    out = {}
    trust = os.path.join(base, "trust.json")
    out["trust"] = {"present": os.path.isfile(trust),
                    "sha256": zt.sha256_file(trust)[0] if os.path.isfile(trust) else None}
    # The accepted-sequence state kept on the target (one JSON file; any of the names used).
    seq = None
    for n in ("accepted-sequences.json", "sequence-state.json", "accepted.json"):
        seq = read_json_capped(os.path.join(base, n))
        if seq is not None:
            out["acceptedFile"] = n
            break
    out["accepted"] = seq
    return out


def cmd_observe(a):
    zt = load_target(a.zwh_target)
    root = os.path.normpath(os.path.abspath(a.root))
    out = {"command": "observe", "ok": True, "root": root, "interpreter": interpreter_now(),
           "nodename": os.uname().nodename}
    if not os.path.isdir(root):
        return emit({"command": "observe", "ok": False, "root": root,
                     "error": {"code": "ZWH-ROOT-NOT-FOUND", "message": "the install root does not exist",
                               "subject": root}}, 1)
    out["current"] = link_info(zt, root, "current")
    out["previous"] = link_info(zt, root, "previous")
    base, lock, owner_path = zt._lock_paths(root)
    held, owner, stale, incomplete = zt._lock_state(lock, owner_path)
    out["lock"] = {"held": held, "owner": owner, "stale": stale, "incomplete": incomplete}
    out.update(trust_state(zt, base))
    rid = out["current"]["release"]
    if rid is None:
        out["release"] = None
        return emit(out, 0)
    rdir = os.path.join(root, "releases", rid)
    rel = {"id": rid, "exists": os.path.isdir(rdir)}
    out["release"] = rel
    if not rel["exists"]:
        return emit(out, 0)
    receipt = read_json_capped(os.path.join(rdir, "receipt.json"))
    rel["receipt"] = receipt if isinstance(receipt, dict) else None
    venv = os.path.join(rdir, "venv")
    rel["venv"] = {"exists": os.path.isdir(venv), "cfg": pyvenv_cfg(venv)}
    sites = zt.find_site_packages(venv) if os.path.isdir(venv) else []
    dists, findings, checked, files = [], [], 0, 0
    for sp in sites:
        d, f, stats = zt.verify_site_packages(sp, prefix=venv)
        for x in f:
            x["site_packages"] = sp
        dists.extend(d)
        findings.extend(f)
        checked += stats["checked"]
        files += stats["owned"]
    rel["sitePackages"] = sites
    rel["distributions"] = [{"name": d["name"], "version": d["version"], "files": d["files"],
                             "recordSha256": d["record_sha256"]} for d in dists]
    rel["record"] = {"checked": checked, "owned": files, "findings": findings}
    if a.tags:
        text, wheels = release_files(rdir)
        rel["tags"] = {"text": text, "binary": wheels, "listing": tag_listing(text + wheels)}
    return emit(out, 0)


def main():
    p = argparse.ArgumentParser(prog="zwh_drift.py", add_help=False)
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("observe", add_help=False)
    s.add_argument("--zwh-target", required=True)
    s.add_argument("--root", required=True)
    s.add_argument("--tags", action="store_true")
    s.set_defaults(func=cmd_observe)
    try:
        a = p.parse_args()
        if not getattr(a, "func", None):
            return emit({"command": None, "ok": False, "error": {"code": "ZWH-HELPER-USAGE", "message": "no subcommand"}}, 1)
        return a.func(a)
    except SystemExit:
        return emit({"command": None, "ok": False, "error": {"code": "ZWH-HELPER-USAGE", "message": "bad arguments"}}, 1)
    except Exception as e:  # noqa: BLE001 - always one JSON object
        err = {"code": "ZWH-HELPER-INTERNAL", "message": str(e), "type": type(e).__name__}
        if isinstance(e, OSError) and e.filename is not None:
            err["subject"] = e.filename
        return emit({"command": None, "ok": False, "error": err}, 1)


if __name__ == "__main__":
    sys.exit(main())
