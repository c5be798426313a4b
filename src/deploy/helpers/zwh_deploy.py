#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Wheelhouse deploy-side helper (stdlib only, Python >= 3.8). Companion of zwh_target.py.

Uploaded as a tagged ISO8859-1 file and run as
    <python3> zwh_deploy.py <subcommand> --zwh-target PATH [options]
zwh_target.py is loaded from --zwh-target (same lock/link logic, no duplicated rules).
Same contract as zwh_target.py: ONE ASCII JSON object on stdout, exit 0 ok / 3 refused / 1 error.

Subcommands:
  observe       everything the planner needs in one round trip: interpreter fingerprint,
                current/previous links, releases (+ receipts), store presence for the wanted
                wheels, the lock, the target trust file, the accepted bundle sequences
                (zwh_target.py sequence_summary), the cached probe facts.
  stage         (re)create releases/<id>/ with wheels/<filename> symlinks into the store
  run-to-file   run argv, write its stdout bytes to a file (pip inspect), stderr passed back
  pip-verify    run by the NEW VENV's interpreter: `pip check`, then `pip inspect` into a file,
                both with pip's own code in this one interpreter start (pip from --pip-root, as
                pip's __pip-runner__.py loads it, or the interpreter's own); outputs and exit
                codes in the JSON
  wheel-members re-read every wheel of a release with THIS interpreter's zipfile (the reader
                pip uses) and compare its member list (names, sizes, sha256) and start-up
                hooks with what the signed statement says the workstation verified; exit 3
                on any difference (ZWH-DEPLOY-WHEEL-MEMBERS / ZWH-WHEEL-STARTUP-HOOK).
                With --expect-file, a wheel listed there with a "layout" is compared by
                layout instead (where zipfile finds each member's bytes and how it decodes
                them) and is not inflated: see member_layout_lines
  multi         several zwh_target.py subcommands in one interpreter start (prune + audit + unlock)
"""
import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile

HELPER = "zwh_deploy"
HELPER_VERSION = 1


def emit(obj, code):
    obj.setdefault("helper", HELPER)
    obj.setdefault("version", HELPER_VERSION)
    sys.stdout.write(json.dumps(obj, ensure_ascii=True, sort_keys=True) + "\n")
    sys.stdout.flush()
    return code


def load_target(path):
    # No __pycache__ beside the helper: observe serves read-only commands (status) too, which
    # must not write under the install root.
    sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location("zwh_target_mod", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def interpreter_fingerprint():
    exe = sys.executable
    real = os.path.realpath(exe)
    try:
        st = os.stat(real)
        size, mtime = st.st_size, int(st.st_mtime)
    except OSError:
        size, mtime = None, None
    return {"executable": exe, "realpath": real, "version": sys.version.split()[0],
            "hexversion": sys.hexversion, "size": size, "mtime": mtime,
            "platform": sys.platform}


def link_info(zt, root, name):
    tgt, kind = zt._read_link(os.path.join(root, name))
    return {"target": tgt, "kind": kind, "release": zt._link_release_id(root, tgt) if kind == "link" else None}


def receipt_summary(path):
    try:
        r = read_json(path)
    except (OSError, ValueError):
        return None
    if not isinstance(r, dict):
        return None
    keep = ("releaseId", "bundleId", "channel", "sequence", "statementDigest", "complete", "createdAt",
            "activatedAt", "runId", "installed", "bootstrap", "python", "signers", "deployedBy")
    return dict((k, r.get(k)) for k in keep if k in r)


def cmd_observe(a):
    zt = load_target(a.zwh_target)
    root = os.path.abspath(a.root)
    out = {"command": "observe", "ok": True, "root": root, "python": interpreter_fingerprint()}
    # The LPAR's own name: a host's logical name when no --name or profile gives one.
    try:
        out["nodename"] = os.uname().nodename
    except (AttributeError, OSError):
        out["nodename"] = None
    out["rootExists"] = os.path.isdir(root)
    out["current"] = link_info(zt, root, "current")
    out["previous"] = link_info(zt, root, "previous")
    releases = []
    rel_root = os.path.join(root, "releases")
    try:
        names = sorted(os.listdir(rel_root))
    except OSError:
        names = []
    for n in names:
        p = os.path.join(rel_root, n)
        if n.startswith(".") or not os.path.isdir(p) or os.path.islink(p):
            continue
        try:
            mtime = os.stat(p).st_mtime
        except OSError:
            mtime = None
        releases.append({"id": n, "mtime": mtime, "receipt": receipt_summary(os.path.join(p, "receipt.json"))})
    out["releases"] = releases
    store = os.path.join(root, "store", "sha256")
    present, missing = [], []
    for w in a.wheel or []:
        hx, size, name = w.split(":", 2)
        p = os.path.join(store, hx, name)
        try:
            st = os.stat(p)
            ok = stat.S_ISREG(st.st_mode) and st.st_size == int(size)
        except OSError:
            ok = False
        (present if ok else missing).append(hx)
    out["store"] = {"present": present, "missing": missing}
    base, lock, owner_path = zt._lock_paths(root)
    held, owner, stale, incomplete = zt._lock_state(lock, owner_path)
    out["lock"] = {"held": held, "owner": owner, "stale": stale, "incomplete": incomplete}
    trust = os.path.join(base, "trust.json")
    out["trust"] = {"path": trust, "present": os.path.isfile(trust),
                    "sha256": zt.sha256_file(trust)[0] if os.path.isfile(trust) else None}
    try:
        out["sequences"] = zt.sequence_summary(root)
    except zt.HelperError as e:
        # Reported, not fatal here: activation refuses on a damaged state file (fail closed).
        out["sequences"] = {"trust_root": None, "channels": {}, "error": {"code": e.code, "message": e.message}}
    cache = None
    try:
        cache = read_json(os.path.join(base, "target-env.json"))
    except (OSError, ValueError):
        cache = None
    out["envCache"] = cache
    out["hostEnvCache"] = host_env_cache()
    return emit(out, 0)


def host_env_cache():
    """The session user's probe cache for THIS interpreter (any root): {path, data}.

    Probe facts describe the host and the interpreter (uname, tags, pip's platform tags), so a
    new root on a host already probed with the same interpreter can use them (the caller
    compares the fingerprint in the data). One file per interpreter path under $HOME."""
    home = os.path.expanduser("~")
    if not home.startswith("/"):
        return None
    key = hashlib.sha256(os.path.realpath(sys.executable).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    path = os.path.join(home, ".wheelhouse", "host-env-%s.json" % key)
    try:
        data = read_json(path)
    except (OSError, ValueError):
        data = None
    return {"path": path, "data": data}


def cmd_stage(a):
    """stage --release-dir D --wheels-file JSON --store S: D is rebuilt from scratch (it is never
    current: the caller checked) with wheels/<filename> -> <store>/sha256/<hex>/<filename>."""
    d = os.path.abspath(a.release_dir)
    parent = os.path.dirname(d)
    if os.path.lexists(d):
        if os.path.islink(d) or not os.path.isdir(d):
            os.unlink(d)
        else:
            # Rename away first (atomic): a process orphaned by a lost connection (pip) may
            # still be writing into the old tree; it can never touch the fresh one.
            trash = os.path.join(parent, ".trash-%d-%s" % (os.getpid(), os.urandom(6).hex()))
            os.rename(d, trash)
    for n in os.listdir(parent) if os.path.isdir(parent) else []:
        if n.startswith(".trash-"):
            shutil.rmtree(os.path.join(parent, n), ignore_errors=True)
    os.makedirs(os.path.join(d, "wheels"))
    wheels = read_json(a.wheels_file)
    items = wheels["files"] if isinstance(wheels, dict) else wheels
    missing = []
    for it in items:
        name, hx = it["name"], it["sha256"]
        if "/" in name or name.startswith("."):
            return emit({"command": "stage", "ok": False, "error": {"code": "ZWH-HELPER-BAD-NAME", "message": name}}, 1)
        src = os.path.join(os.path.abspath(a.store), "sha256", hx, name)
        if not os.path.isfile(src):
            missing.append(name)
            continue
        os.symlink(src, os.path.join(d, "wheels", name))
    if missing:
        return emit({"command": "stage", "ok": False, "refused": True, "missing": missing,
                     "error": {"code": "ZWH-DEPLOY-STORE-MISSING", "message": "wheels missing from the store"}}, 3)
    return emit({"command": "stage", "ok": True, "releaseDir": d, "linked": len(items)}, 0)


def cmd_run_to_file(a):
    argv = list(a.argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    with open(a.out, "wb") as f:
        p = subprocess.run(argv, stdout=f, stderr=subprocess.PIPE)
    err = p.stderr.decode("utf-8", "replace")[-4000:]
    return emit({"command": "run-to-file", "ok": p.returncode == 0, "exitCode": p.returncode,
                 "out": a.out, "stderr": err}, 0 if p.returncode == 0 else 1)


# ----------------------------------------------------------------------------------------
# pip-verify: `pip check` and `pip inspect` cost one pip start each (most of their CPU is importing
# pip). Both only read the installed metadata, so they run one after the other in one start.

class _PipFromRoot(object):
    """Import `pip` (only pip) from a given directory, as pip's own __pip-runner__.py does."""

    def __init__(self, root):
        self.root = root

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "pip":
            return None
        from importlib.machinery import PathFinder
        return PathFinder.find_spec(fullname, [self.root], target)


def _pip_run(pip_main, args, out, err):
    """pip's main(args) with its stdout/stderr going to out/err (pip's logging resolves
    sys.stdout/sys.stderr when each command configures it). Returns pip's exit code."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        return pip_main(args)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1
    finally:
        out.flush()
        err.flush()
        sys.stdout, sys.stderr = saved


def cmd_pip_verify(a):
    import io
    if a.pip_root:
        sys.meta_path.insert(0, _PipFromRoot(a.pip_root))
    from pip._internal.cli.main import main as pip_main
    common = ["--isolated", "--disable-pip-version-check", "--no-input"]
    check_out, check_err = io.StringIO(), io.StringIO()
    check_rc = _pip_run(pip_main, ["check"] + common, check_out, check_err)
    inspect_err = io.StringIO()
    with io.open(a.inspect_out, "w", encoding="utf-8") as f:
        inspect_rc = _pip_run(pip_main, ["inspect", "--local"] + common, f, inspect_err)
    ok = check_rc == 0 and inspect_rc == 0
    return emit({"command": "pip-verify", "ok": ok,
                 "check": {"exitCode": check_rc, "stdout": check_out.getvalue()[-4000:], "stderr": check_err.getvalue()[-4000:]},
                 "inspect": {"exitCode": inspect_rc, "out": a.inspect_out, "stderr": inspect_err.getvalue()[-4000:]}},
                0 if ok else 1)


# ----------------------------------------------------------------------------------------
# wheel-members: the member list as pip's reader sees it. The canonical form must stay in step
# with src/core/member-list.ts: one line per entry (directories too), sorted by the UTF-8 bytes
# of the name, "<sha256 hex> <size> <name>\n"; the digest is the sha256 of the lines.

DATA_HOOK_SCHEMES = ("purelib", "platlib")
CHUNK = 1024 * 1024


def normalize_name(name):
    """PEP 503."""
    return re.sub(r"[-_.]+", "-", name).lower()


def duplicate_names(names):
    """Problems for names zipfile lists more than once (it keeps the last; other readers the first)."""
    seen, out = set(), []
    for n in names:
        if n in seen:
            out.append("entry %s appears more than once (zipfile keeps the last)" % n)
        seen.add(n)
    return out


def wheel_member_list(path):
    """(lines, problems, names) of one wheel as zipfile reads it; raises on unreadable archives."""
    problems = []
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        problems.extend(duplicate_names(names))
        lines = []
        for info in infos:
            h = hashlib.sha256()
            size = 0
            with zf.open(info) as f:  # zipfile checks the CRC-32 at the end
                while True:
                    b = f.read(CHUNK)
                    if not b:
                        break
                    h.update(b)
                    size += len(b)
            if size != info.file_size:
                problems.append("entry %s: %d bytes read, %d declared" % (info.filename, size, info.file_size))
            lines.append((info.filename.encode("utf-8"), "%s %d %s\n" % (h.hexdigest(), size, info.filename)))
    lines.sort(key=lambda t: t[0])
    return [t[1] for t in lines], problems, names


# The member LAYOUT (src/core/member-list.ts memberLayoutDigest): one line per entry,
# "<name> <local header offset> <data offset> <method> <compressed size> <size> <crc32 hex8>\n",
# sorted like the member list. zipfile.open() reads and checks the local header (name, flags)
# but inflates nothing; the data offset is where the opened member's compressed bytes start.
# The caller has re-hashed the wheel (same bytes the workstation inflated and hashed), so equal
# layouts mean pip's reader decodes exactly the content the workstation verified.


def member_layout_lines(path):
    """(lines, names) of one wheel's layout as zipfile reads it; raises on unreadable archives."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        lines = []
        for info in infos:
            with zf.open(info) as f:
                start = getattr(f, "_orig_compress_start", None)
                if start is None:  # not seekable, or an older zipfile: where the header says
                    raw = zf.fp
                    raw.seek(info.header_offset)
                    h = raw.read(30)
                    start = info.header_offset + 30 + int.from_bytes(h[26:28], "little") + int.from_bytes(h[28:30], "little")
            lines.append((info.filename.encode("utf-8"), "%s %d %d %d %d %d %08x\n" % (
                info.filename, info.header_offset, start, info.compress_type, info.compress_size, info.file_size, info.CRC)))
    lines.sort(key=lambda t: t[0])
    return [t[1] for t in lines], [i.filename for i in infos]


def layout_expectations(path):
    """filename -> {"count", "sha256"} from a release JSON ([{name, layout}, ...]); {} without one."""
    if not path:
        return {}
    out = {}
    for e in read_json(path):
        lay = e.get("layout") if isinstance(e, dict) else None
        if isinstance(lay, dict) and isinstance(e.get("name"), str):
            out[e["name"]] = lay
    return out


def startup_hooks(names):
    """.pth files pip would install directly into site-packages (see src/core/wheel-paths.ts)."""
    data_dirs = set(n.split("/")[0][:-len(".dist-info")] + ".data" for n in names
                    if "/" in n and n.split("/")[0].endswith(".dist-info"))
    out = []
    for n in names:
        if n.endswith("/") or not n.lower().endswith(".pth"):
            continue
        parts = n.split("/")
        if len(parts) == 1 or (len(parts) == 3 and parts[0] in data_dirs and parts[1] in DATA_HOOK_SCHEMES):
            out.append(n)
    return sorted(out)


def cmd_wheel_members(a):
    statement = read_json(a.statement)
    pred = statement.get("predicate") or {}
    allowed = set((pred.get("policy") or {}).get("startupHooks") or [])
    layouts = layout_expectations(a.expect_file)
    results, bad, by_layout = [], 0, 0
    for w in pred.get("wheels") or []:
        fn = w.get("filename")
        lay = layouts.get(fn)
        want = lay if lay is not None else (w.get("members") or {})
        r = {"filename": fn, "ok": False, "expected": want, "by": "layout" if lay is not None else "content"}
        if not isinstance(fn, str) or "/" in fn or fn.startswith("."):
            r["problems"] = ["bad wheel filename in the statement"]
        else:
            try:
                wheel = os.path.join(a.wheels_dir, fn)
                if lay is not None:
                    by_layout += 1
                    lines, names = member_layout_lines(wheel)
                    problems = duplicate_names(names)
                    name_of = lambda ln: ln.rsplit(" ", 6)[0]
                else:
                    lines, problems, names = wheel_member_list(wheel)
                    name_of = lambda ln: ln.rstrip("\n").split(" ", 2)[2]
                digest = hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
                r["actual"] = {"count": len(lines), "sha256": digest}
                if len(lines) != want.get("count") or digest != want.get("sha256"):
                    problems.append("zipfile reads %d member(s) (%s digest %s); the workstation verified %s (digest %s)"
                                    % (len(lines), r["by"], digest[:16], want.get("count"), str(want.get("sha256"))[:16]))
                    r["members"] = [name_of(ln) for ln in lines][:200]
                hooks = [h for h in startup_hooks(names)
                         if "%s:%s" % (normalize_name(w.get("name") or ""), h.split("/")[-1]) not in allowed]
                if hooks:
                    r["startupHooks"] = hooks
                    problems.append("start-up hook(s) not allowed by the signed policy: %s" % ", ".join(hooks))
                r["problems"] = problems
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, RuntimeError, EOFError) as e:
                r["problems"] = ["zipfile cannot read it: %s: %s" % (type(e).__name__, e)]
        r["ok"] = not r["problems"]
        bad += 0 if r["ok"] else 1
        results.append(r)
    out = {"command": "wheel-members", "ok": bad == 0, "wheels": results, "checked": len(results), "byLayout": by_layout}
    if bad:
        first = next(r for r in results if not r["ok"])
        code = "ZWH-WHEEL-STARTUP-HOOK" if first.get("startupHooks") and len(first["problems"]) == 1 else "ZWH-DEPLOY-WHEEL-MEMBERS"
        out["refused"] = True
        out["error"] = {"code": code, "message": "%s: %s" % (first["filename"], "; ".join(first["problems"])),
                        "subject": first["filename"]}
        return emit(out, 3)
    return emit(out, 0)


def cmd_multi(a):
    """Several zwh_target.py subcommands in ONE interpreter start (each --cmd a JSON argv list),
    all of them run, in order; each result is reported with its own exit code."""
    zt = load_target(a.zwh_target)
    results = []
    for c in a.cmd:
        argv = json.loads(c)
        if not isinstance(argv, list) or not all(isinstance(x, str) for x in argv):
            raise ValueError("--cmd must be a JSON list of strings")
        code, obj = zt.run(argv)
        results.append({"code": code, "result": obj})
    return emit({"command": "multi", "ok": all(r["code"] == 0 for r in results), "results": results}, 0)


def main():
    p = argparse.ArgumentParser(prog="zwh_deploy.py", add_help=False)
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("observe", add_help=False)
    s.add_argument("--zwh-target", required=True)
    s.add_argument("--root", required=True)
    s.add_argument("--wheel", action="append", default=[])
    s.set_defaults(func=cmd_observe)
    s = sub.add_parser("stage", add_help=False)
    s.add_argument("--release-dir", required=True)
    s.add_argument("--wheels-file", required=True)
    s.add_argument("--store", required=True)
    s.set_defaults(func=cmd_stage)
    s = sub.add_parser("multi", add_help=False)
    s.add_argument("--zwh-target", required=True)
    s.add_argument("--cmd", action="append", default=[])
    s.set_defaults(func=cmd_multi)
    s = sub.add_parser("run-to-file", add_help=False)
    s.add_argument("--out", required=True)
    s.add_argument("argv", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_run_to_file)
    s = sub.add_parser("pip-verify", add_help=False)
    s.add_argument("--inspect-out", required=True)
    s.add_argument("--pip-root", default=None)
    s.set_defaults(func=cmd_pip_verify)
    s = sub.add_parser("wheel-members", add_help=False)
    s.add_argument("--statement", required=True)
    s.add_argument("--wheels-dir", required=True)
    s.add_argument("--expect-file", default=None)
    s.set_defaults(func=cmd_wheel_members)
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
