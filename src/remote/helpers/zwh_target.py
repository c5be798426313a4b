#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Wheelhouse target-side helper: one file, many subcommands, stdlib only (Python >= 3.8).

Uploaded once per host (SFTP, tagged ISO8859-1) and run as
    <python3> /path/zwh_target.py <subcommand> [options] [--] [paths...]
Never piped on stdin: z/OS pipes are untagged, and code read from them fails to decode.

Contract shared by every subcommand:
  * stdout carries exactly ONE JSON object (ASCII only, keys sorted) followed by a newline;
    nothing else is ever printed there, so the controller can parse it after the exec
    channel's code-page conversion.
  * exit 0 = ok, 3 = refused / verification failed (the JSON says why), 1 = error.
  * every object has "helper", "version", "command" and "ok"; errors add
    "error": {"code", "message", ...}.
  * paths arrive as argv (never through a shell), so spaces and metacharacters are fine.
    Put "--" before positional paths that could start with "-".
  * files are read in binary mode, so z/OS tags and auto-conversion never touch the bytes.

Subcommands (details at each cmd_* function):
  hash            sha256 + size of files; --expect / --expect-file turn it into a check
  store-commit    verify staged uploads and move them into <store>/sha256/<hex>/<filename>
  record-verify   re-hash every installed RECORD entry of a venv; report unowned files
  activate        atomically point <root>/current at releases/<id> (previous kept too)
  inspect-release check a release dir is intact enough to roll back to
  prune           keep N newest releases, never current or previous
  lock            acquire | release | status | break | heartbeat  (<root>/.wheelhouse/lock)
  sequence        status: the highest accepted bundle sequence per (trust root, channel)
  audit-append    append one JSON line to <root>/.wheelhouse/audit.log
"""
import argparse
import base64
import csv
import datetime
import errno
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import uuid

HELPER = "zwh_target"
HELPER_VERSION = 1
CHUNK = 1024 * 1024

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 3

HEX64 = re.compile(r"^[0-9a-f]{64}$")
# RECORD hashes from these algorithms cannot be trusted to detect deliberate tampering.
WEAK_ALGOS = frozenset(["md5", "sha1", "sha224"])
# A lock dir without owner.json is normally an acquirer between mkdir and write; only after
# this many seconds do we call it stale (a crash left it behind).
INCOMPLETE_LOCK_GRACE = 120
DEFAULT_LOCK_TTL = 900


class HelperError(Exception):
    """An error (exit 1) or refusal (exit 3) reported as the single JSON object."""

    def __init__(self, code, message, exit_code=EXIT_ERROR, **details):
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.exit_code = exit_code
        self.details = details


class NotRegularFile(Exception):
    pass


class Parser(argparse.ArgumentParser):
    # argparse normally prints usage to stderr and exits 2; we must answer with JSON + exit 1.
    def error(self, message):
        raise HelperError("ZWH-HELPER-USAGE", message, usage=self.format_usage().strip())


# ----------------------------------------------------------------------------------------
# small utilities


def now_epoch():
    return datetime.datetime.now(datetime.timezone.utc).timestamp()


def iso_utc(epoch):
    d = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def parse_iso(value):
    """ISO 8601 -> epoch seconds, or None. fromisoformat() before 3.11 rejects 'Z'."""
    if not isinstance(value, str) or not value:
        return None
    s = value.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    try:
        d = datetime.datetime.fromisoformat(s)
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


def hash_file(path, algo="sha256"):
    """Stream a regular file; return (hasher, size). Refuses FIFOs/devices (they could block)."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(path)
    h = hashlib.new(algo)
    size = 0
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            h.update(block)
            size += len(block)
    return h, size


def sha256_file(path):
    h, size = hash_file(path)
    return h.hexdigest(), size


def fsync_path(path):
    # Makes data (a file) or a rename (its directory) durable; some file systems refuse
    # O_RDONLY on directories, which is harmless.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def tag_text(path):
    """On z/OS tag files we write as ASCII text so shell tools read them correctly.

    Best effort: tagging is cosmetic for our own readers (they read bytes), so failure is
    ignored rather than turning a successful operation into an error.
    """
    if sys.platform not in ("zos", "os390"):
        return
    try:
        subprocess.run(["chtag", "-tc", "ISO8859-1", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    except OSError:
        pass


def json_bytes(obj):
    return json.dumps(obj, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode("ascii")


def write_json_atomic(path, obj):
    """Write to a temp name in the same dir, fsync, then rename: readers see old or new."""
    d = os.path.dirname(path) or "."
    tmp = _temp_sibling(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        data = json_bytes(obj) + b"\n"
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quiet(tmp)
        raise
    os.close(fd)
    tag_text(tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quiet(tmp)
        raise
    fsync_path(d)


def read_json_file(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def _temp_sibling(path):
    """A unique hidden name next to path: renaming it onto path is atomic (same directory)."""
    d = os.path.dirname(path) or "."
    return os.path.join(d, ".%s.tmp-%d-%s" % (os.path.basename(path), os.getpid(), uuid.uuid4().hex[:12]))


def _unlink_quiet(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def safe_component(value, what):
    """A single path component we create or remove: no separators, no dot-names, no NUL."""
    if (not value or "/" in value or "\0" in value or value in (".", "..")
            or value.startswith(".") or len(value) > 255):
        raise HelperError("ZWH-HELPER-BAD-NAME", "invalid %s: %r" % (what, value), subject=value)
    return value


def parse_sha_size(spec, text):
    """'<hex64>:<size>' -> (hex, size)."""
    parts = text.split(":")
    if len(parts) != 2:
        raise HelperError("ZWH-HELPER-USAGE", "expectation must be NAME=SHA256:SIZE", subject=spec)
    hx = parts[0].strip().lower()
    if not HEX64.match(hx):
        raise HelperError("ZWH-HELPER-USAGE", "expected sha256 must be 64 hex digits", subject=spec)
    try:
        size = int(parts[1])
    except ValueError:
        raise HelperError("ZWH-HELPER-USAGE", "expected size must be an integer", subject=spec)
    if size < 0:
        raise HelperError("ZWH-HELPER-USAGE", "expected size must be >= 0", subject=spec)
    return hx, size


def collect_expectations(expect_args, expect_file, key="path"):
    """Merge --expect K=SHA:SIZE (K may contain '=') and --expect-file JSON into an ordered dict.

    The JSON file may be a list of {key, sha256, size}, {"files": [...]} or {K: {sha256, size}}.
    """
    out = {}
    for spec in expect_args or []:
        if "=" not in spec:
            raise HelperError("ZWH-HELPER-USAGE", "expectation must be NAME=SHA256:SIZE", subject=spec)
        k, v = spec.rsplit("=", 1)
        out[k] = parse_sha_size(spec, v)
    if expect_file:
        try:
            data = read_json_file(expect_file)
        except (OSError, ValueError) as e:
            raise HelperError("ZWH-HELPER-EXPECT-FILE", "cannot read expectations: %s" % e, subject=expect_file)
        items = []
        if isinstance(data, dict) and isinstance(data.get("files"), list):
            items = data["files"]
        elif isinstance(data, list):
            items = data
        elif isinstance(data, dict):
            for k, v in data.items():
                if not isinstance(v, dict):
                    raise HelperError("ZWH-HELPER-EXPECT-FILE", "bad expectation entry", subject=k)
                items.append(dict(v, **{key: k}))
        else:
            raise HelperError("ZWH-HELPER-EXPECT-FILE", "expectations must be a list or object")
        for it in items:
            if not isinstance(it, dict) or not isinstance(it.get(key), str):
                raise HelperError("ZWH-HELPER-EXPECT-FILE", "each expectation needs a string %r" % key)
            out[it[key]] = parse_sha_size(it[key], "%s:%s" % (it.get("sha256"), it.get("size")))
    return out


def result(command, ok=True, **fields):
    obj = {"helper": HELPER, "version": HELPER_VERSION, "command": command, "ok": ok}
    obj.update(fields)
    return obj


# ----------------------------------------------------------------------------------------
# hash


def cmd_hash(args):
    """hash [--expect PATH=SHA256:SIZE ...] [--expect-file JSON] [--] [PATH ...]

    -> {"files": [{"path","sha256","size"}], "mismatches": [...], "errors": [...]}
    Mismatch reasons: sha256, size, missing, not-regular. Exit 3 on any mismatch; exit 1 when
    a file that nobody set an expectation for cannot be hashed.
    """
    expect = collect_expectations(args.expect, args.expect_file)
    paths = []
    for p in list(args.paths) + list(expect.keys()):
        if p not in paths:
            paths.append(p)
    if not paths:
        raise HelperError("ZWH-HELPER-USAGE", "no files given")
    files, mismatches, errors = [], [], []
    for p in paths:
        exp = expect.get(p)
        try:
            hx, size = sha256_file(p)
        except (FileNotFoundError, NotADirectoryError):
            (mismatches if exp else errors).append(_missing(p, exp, "missing"))
            continue
        except NotRegularFile:
            (mismatches if exp else errors).append(_missing(p, exp, "not-regular"))
            continue
        except OSError as e:
            errors.append({"path": p, "reason": "os-error", "errno": e.errno, "message": str(e)})
            continue
        files.append({"path": p, "sha256": hx, "size": size})
        if exp:
            reasons = []
            if hx != exp[0]:
                reasons.append("sha256")
            if size != exp[1]:
                reasons.append("size")
            if reasons:
                mismatches.append({"path": p, "reason": reasons[0], "reasons": reasons,
                                   "expected": {"sha256": exp[0], "size": exp[1]},
                                   "actual": {"sha256": hx, "size": size}})
    if errors:
        return EXIT_ERROR, result("hash", False, files=files, mismatches=mismatches, errors=errors,
                                  error={"code": "ZWH-HELPER-HASH-IO", "message": "some files could not be hashed"})
    if mismatches:
        return EXIT_REFUSED, result("hash", False, refused=True, files=files, mismatches=mismatches, errors=[])
    return EXIT_OK, result("hash", True, files=files, mismatches=[], errors=[])


def _missing(path, exp, reason):
    out = {"path": path, "reason": reason, "reasons": [reason]}
    if exp:
        out["expected"] = {"sha256": exp[0], "size": exp[1]}
    return out


# ----------------------------------------------------------------------------------------
# store-commit


def cmd_store_commit(args):
    """store-commit --staging DIR --store DIR (--expect NAME=SHA256:SIZE ... | --expect-file JSON)

    Layout: <store>/sha256/<hex>/<filename>. The content address makes identical wheels
    shared across releases, and keeping the real wheel filename lets pip use the dir with
    --find-links (pip needs the name to parse tags).

    Each staged file is first renamed into <store>/.incoming/ (a dir only we write), hashed
    there, and renamed to its final name only if sha256 and size match; so a concurrent
    writer to the staging dir cannot swap bytes after the check, and a final name never
    holds a partial or unverified file. Mismatching files are deleted.
    -> {"committed": [{"name","sha256","size","path","status"}],
        "rejected": [{"name","reason","expected","actual"?,"deleted"}], "refused": bool,
        "unexpected": [names in staging with no expectation (left in place)]}
    status: committed | already-present | repaired (final name held different bytes).
    Exit 3 if anything was refused or unexpected (verified files are still committed).
    """
    expect = collect_expectations(args.expect, args.expect_file, key="name")
    if not expect:
        raise HelperError("ZWH-HELPER-USAGE", "store-commit needs --expect or --expect-file")
    staging = args.staging
    store = args.store
    if not os.path.isdir(staging):
        raise HelperError("ZWH-HELPER-NOT-FOUND", "staging dir does not exist", subject=staging)
    # Validate every name before touching anything, so a bad name cannot leave a half-done commit.
    for name in expect:
        safe_component(name, "file name")
    incoming = os.path.join(store, ".incoming")
    os.makedirs(incoming, exist_ok=True)
    committed, rejected = [], []
    for name, (hx, size) in expect.items():
        src = os.path.join(staging, name)
        exp = {"sha256": hx, "size": size}
        try:
            st = os.lstat(src)
        except FileNotFoundError:
            rejected.append({"name": name, "reason": "missing", "expected": exp, "deleted": False})
            continue
        if not stat.S_ISREG(st.st_mode):
            deleted = False
            if stat.S_ISLNK(st.st_mode):
                _unlink_quiet(src)
                deleted = True
            rejected.append({"name": name, "reason": "not-regular", "expected": exp, "deleted": deleted})
            continue
        tmp = os.path.join(incoming, "%s-%s" % (uuid.uuid4().hex, name))
        try:
            os.replace(src, tmp)
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            # Staging on another file system: copy into our private dir, then drop the source.
            try:
                shutil.copyfile(src, tmp)
            except BaseException:
                _unlink_quiet(tmp)
                raise
            os.unlink(src)
        try:
            got_hx, got_size = sha256_file(tmp)
        except BaseException:
            _unlink_quiet(tmp)
            raise
        if got_hx != hx or got_size != size:
            _unlink_quiet(tmp)
            rejected.append({"name": name, "reason": "sha256" if got_hx != hx else "size",
                            "expected": exp, "actual": {"sha256": got_hx, "size": got_size},
                            "deleted": True})
            continue
        final_dir = os.path.join(store, "sha256", hx)
        os.makedirs(final_dir, exist_ok=True)
        final = os.path.join(final_dir, name)
        status_ = "committed"
        if os.path.lexists(final):
            try:
                fh, fsz = sha256_file(final)
                status_ = "already-present" if (fh == hx and fsz == size) else "repaired"
            except (OSError, NotRegularFile):
                status_ = "repaired"
        if status_ == "already-present":
            _unlink_quiet(tmp)
        else:
            fsync_path(tmp)
            try:
                os.replace(tmp, final)
            except BaseException:
                _unlink_quiet(tmp)
                raise
            fsync_path(final_dir)
        committed.append({"name": name, "sha256": hx, "size": size, "path": final, "status": status_})
    unexpected = sorted(n for n in os.listdir(staging) if n not in expect)
    ok = not rejected and not unexpected
    return (EXIT_OK if ok else EXIT_REFUSED), result(
        "store-commit", ok, refused=not ok, committed=committed, rejected=rejected,
        unexpected=unexpected, layout="sha256/<hex>/<filename>", store=store)


# ----------------------------------------------------------------------------------------
# record-verify


def find_site_packages(venv):
    base = os.path.join(venv, "lib")
    found = []
    try:
        names = sorted(os.listdir(base))
    except OSError:
        names = []
    for n in names:
        if n.startswith("python3"):
            sp = os.path.join(base, n, "site-packages")
            if os.path.isdir(sp):
                found.append(sp)
    return found


def _dist_identity(dist_info_path):
    """(name, version) from METADATA, falling back to the dir name."""
    base = os.path.basename(dist_info_path)[: -len(".dist-info")]
    name, _, version = base.partition("-")
    try:
        with open(os.path.join(dist_info_path, "METADATA"), "rb") as f:
            head = f.read(65536).decode("utf-8", "replace")
        for line in head.splitlines():
            if not line.strip():
                break
            if line.lower().startswith("name:"):
                name = line.split(":", 1)[1].strip()
            elif line.lower().startswith("version:"):
                version = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return name, version


def _rel(site, path):
    try:
        r = os.path.relpath(path, site)
    except ValueError:
        return path
    return path if r.startswith("..") else r


def verify_site_packages(site, prefix=None):
    """Re-hash every RECORD entry under one site-packages dir. Returns (dists, findings, stats)."""
    site = os.path.abspath(site)
    prefix_abs = os.path.abspath(prefix) if prefix else None
    owned = {}
    dists, findings = [], []
    checked = 0
    entries = sorted(os.listdir(site))
    for entry in entries:
        full = os.path.join(site, entry)
        if entry.endswith(".egg-info") or entry.endswith(".egg"):
            # Legacy installs have no hashed file list, so they cannot be verified at all.
            findings.append({"kind": "unverifiable-dist", "path": entry, "dist": entry})
            continue
        if not entry.endswith(".dist-info") or not os.path.isdir(full):
            continue
        name, version = _dist_identity(full)
        record = os.path.join(full, "RECORD")
        try:
            with open(record, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            findings.append({"kind": "no-record", "path": entry, "dist": name})
            continue
        try:
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
        except (UnicodeDecodeError, csv.Error) as e:
            findings.append({"kind": "bad-record", "path": _rel(site, record), "dist": name, "message": str(e)})
            continue
        record_files = 0
        for row in rows:
            if not row or not row[0]:
                continue
            rpath = row[0]
            rhash = row[1].strip() if len(row) > 1 else ""
            rsize = row[2].strip() if len(row) > 2 else ""
            target = rpath if os.path.isabs(rpath) else os.path.join(site, rpath)
            target = os.path.normpath(target)
            # Report the path exactly as RECORD spells it (scripts: ../../../bin/x), so a
            # finding can be matched to its RECORD line.
            shown = rpath
            owned.setdefault(target, name)
            record_files += 1
            if prefix_abs and not (target == prefix_abs or target.startswith(prefix_abs + os.sep)):
                findings.append({"kind": "outside-prefix", "path": shown, "dist": name, "resolved": target})
            is_pyc = target.endswith(".pyc")
            is_record_self = (os.path.dirname(target) == full and
                              os.path.basename(target) in ("RECORD", "RECORD.jws", "RECORD.p7s"))
            if not rhash:
                if is_pyc or is_record_self:
                    continue
                # A blanked hash would hide a tampered file, so an unhashed entry is a finding.
                findings.append({"kind": "unhashed", "path": shown, "dist": name})
                if not os.path.lexists(target):
                    findings.append({"kind": "missing", "path": shown, "dist": name})
                continue
            algo, sep, b64 = rhash.partition("=")
            algo = algo.strip().lower()
            if not sep or algo not in hashlib.algorithms_guaranteed:
                findings.append({"kind": "bad-hash", "path": shown, "dist": name, "hash": rhash})
                continue
            if algo in WEAK_ALGOS:
                findings.append({"kind": "weak-hash", "path": shown, "dist": name, "hash": rhash})
            try:
                h, size = hash_file(target, algo)
            except (FileNotFoundError, NotADirectoryError):
                findings.append({"kind": "missing", "path": shown, "dist": name})
                continue
            except NotRegularFile:
                findings.append({"kind": "modified", "path": shown, "dist": name, "reasons": ["not-regular"]})
                continue
            checked += 1
            got = base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode("ascii")
            reasons = []
            if got != b64.strip().rstrip("="):
                reasons.append("hash")
            if rsize:
                try:
                    if int(rsize) != size:
                        reasons.append("size")
                except ValueError:
                    reasons.append("size")
            if reasons:
                findings.append({"kind": "modified", "path": shown, "dist": name, "reasons": reasons,
                                 "expected": {"hash": rhash, "size": rsize},
                                 "actual": {"hash": "%s=%s" % (algo, got), "size": size}})
        dists.append({"name": name, "version": version, "dist_info": entry, "files": record_files,
                      "record_sha256": hashlib.sha256(raw).hexdigest()})
    # Unowned: anything in site-packages that no RECORD lists. Bytecode caches are
    # regenerated by Python at will, so they are not evidence of tampering.
    unowned = 0
    for dirpath, dirnames, filenames in os.walk(site):
        # os.walk lists symlinks to dirs as dirs; never descend into them (they could point
        # anywhere), but they are entries in site-packages and need an owner like files.
        linked = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and d not in linked)
        for fn in sorted(list(filenames) + linked):
            if fn.endswith(".pyc"):
                continue
            p = os.path.normpath(os.path.join(dirpath, fn))
            if p in owned:
                continue
            unowned += 1
            f = {"kind": "unowned", "path": _rel(site, p)}
            if fn.endswith(".pth"):
                # .pth lines starting with "import" run at every interpreter start.
                f["suspicious"] = "pth"
            findings.append(f)
    return dists, findings, {"checked": checked, "owned": len(owned), "unowned": unowned}


def cmd_record_verify(args):
    """record-verify (--venv DIR | --site-packages DIR)

    -> {"site_packages": [...], "distributions": [{"name","version","dist_info","files",
        "record_sha256"}], "findings": [{"kind","path","dist"?...}], "counts": {kind: n},
        "checked": n}
    kinds: modified (reasons hash/size), missing, unowned (+ "suspicious": "pth"),
    unhashed, bad-hash, weak-hash, bad-record, no-record, unverifiable-dist, outside-prefix
    (venv mode: RECORD points outside the venv). Finding paths are
    as RECORD spells them (scripts: ../../../bin/x, resolved against site-packages); unowned
    paths are relative to site-packages. Exit 3 on any finding.
    """
    if bool(args.venv) == bool(args.site_packages):
        raise HelperError("ZWH-HELPER-USAGE", "give exactly one of --venv or --site-packages")
    return _record_verify("record-verify", args.venv, args.site_packages)


def _record_verify(command, venv, site_packages):
    if venv:
        sites = find_site_packages(venv)
        if not sites:
            raise HelperError("ZWH-HELPER-NOT-FOUND", "no lib/python3*/site-packages in venv", subject=venv)
    else:
        if not os.path.isdir(site_packages):
            raise HelperError("ZWH-HELPER-NOT-FOUND", "site-packages dir does not exist", subject=site_packages)
        sites = [site_packages]
    all_dists, all_findings = [], []
    checked = 0
    for sp in sites:
        dists, findings, stats = verify_site_packages(sp, prefix=venv)
        for f in findings:
            f["site_packages"] = sp
        all_dists.extend(dists)
        all_findings.extend(findings)
        checked += stats["checked"]
    counts = {}
    for f in all_findings:
        counts[f["kind"]] = counts.get(f["kind"], 0) + 1
    ok = not all_findings
    return (EXIT_OK if ok else EXIT_REFUSED), result(
        command, ok, refused=not ok, site_packages=sites, distributions=all_dists,
        findings=all_findings, counts=counts, checked=checked)


# ----------------------------------------------------------------------------------------
# the target's own rollback state and the short-lived guard around lock and link changes
#
# <root>/.wheelhouse/sequence.json (tagged ISO8859-1 text, replaced atomically):
#   {"formatVersion": 1,
#    "trustRoots": {"sha256:<hex of trust.json bytes>": {"channels": {"stable": {
#        "sequence": 7, "digest": "sha256:<statement>", "release": "<id>", "acceptedAt": "<ISO>"}}}}}
# The trust root is the sha256 of <root>/.wheelhouse/trust.json exactly as `target trust`
# installed it. A trust root seen for the first time inherits, per channel, the highest
# sequence accepted under any earlier trust root of this install root: rotating keys must not
# reset rollback protection. A root deployed before this file existed starts from the
# highest sequence among its complete releases' receipts (same channel).

SEQ_FORMAT = 1


def _wh_dir(root):
    return os.path.join(os.path.abspath(root), ".wheelhouse")


def trust_root_id(root):
    """'sha256:<hex>' of the installed trust.json bytes, or None when there is none."""
    p = os.path.join(_wh_dir(root), "trust.json")
    try:
        hx, _ = sha256_file(p)
    except (OSError, NotRegularFile):
        return None
    return "sha256:" + hx


def _valid_entry(e):
    return (isinstance(e, dict) and isinstance(e.get("sequence"), int) and not isinstance(e.get("sequence"), bool)
            and e["sequence"] >= 0 and isinstance(e.get("digest"), str))


def read_sequence_state(root):
    """The state file, or one bootstrapped from release receipts (nothing is written)."""
    p = os.path.join(_wh_dir(root), "sequence.json")
    try:
        data = read_json_file(p)
    except FileNotFoundError:
        return _bootstrap_sequence_state(root)
    except (OSError, ValueError) as e:
        # Fail closed: a damaged file must not silently reset rollback protection.
        raise HelperError("ZWH-SEQ-STATE", "the target's rollback state is unreadable: %s" % e, subject=p)
    roots = data.get("trustRoots") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("formatVersion") != SEQ_FORMAT or not isinstance(roots, dict):
        raise HelperError("ZWH-SEQ-STATE", "the target's rollback state has an unknown format", subject=p)
    for tid, v in roots.items():
        chans = v.get("channels") if isinstance(v, dict) else None
        if not isinstance(chans, dict) or not all(_valid_entry(e) for e in chans.values()):
            raise HelperError("ZWH-SEQ-STATE", "the target's rollback state is damaged (trust root %s)" % tid, subject=p)
    return data


def _bootstrap_sequence_state(root):
    chans = {}
    rel_root = os.path.join(os.path.abspath(root), "releases")
    try:
        names = sorted(os.listdir(rel_root))
    except OSError:
        names = []
    for n in names:
        try:
            r = read_json_file(os.path.join(rel_root, n, "receipt.json"))
        except (OSError, ValueError):
            continue
        if not isinstance(r, dict) or r.get("complete") is not True or not isinstance(r.get("channel"), str):
            continue
        e = {"sequence": r.get("sequence"), "digest": r.get("statementDigest"), "release": n, "bootstrap": True}
        if not _valid_entry(e):
            continue
        old = chans.get(r["channel"])
        if old is None or e["sequence"] > old["sequence"]:
            chans[r["channel"]] = e
    tid = trust_root_id(root) or "none"
    return {"formatVersion": SEQ_FORMAT, "trustRoots": {tid: {"channels": chans}} if chans else {}}


def accepted_sequence(state, tid, channel):
    """The entry that binds (tid, channel): its own, else the highest under another trust root."""
    roots = state.get("trustRoots", {})
    own = roots.get(tid, {}).get("channels", {}).get(channel)
    if own is not None:
        return dict(own, trust_root=tid)
    best = None
    for other, v in sorted(roots.items()):
        e = v.get("channels", {}).get(channel)
        if e is not None and (best is None or e["sequence"] > best["sequence"]):
            best = dict(e, trust_root=other, inherited=True)
    return best


def check_offer(root, state, tid, channel, sequence, digest, allow_downgrade):
    """'new', 'same' or 'downgrade' (only with allow_downgrade); else a refusal (exit 3)."""
    if not isinstance(sequence, int) or sequence < 0 or not re.match(r"^sha256:[0-9a-f]{64}$", digest or ""):
        raise HelperError("ZWH-HELPER-USAGE", "an offered sequence needs a channel, an integer >= 0 and a sha256: digest")
    last = accepted_sequence(state, tid, channel)
    if last is None or sequence > last["sequence"]:
        return "new", last
    if sequence == last["sequence"] and digest == last["digest"]:
        return "same", last
    if allow_downgrade:
        return "downgrade", last
    details = {"channel": channel, "offered": sequence, "offered_digest": digest, "accepted": last["sequence"],
               "accepted_digest": last["digest"], "accepted_release": last.get("release"), "trust_root": tid,
               "root": os.path.abspath(root)}
    if sequence < last["sequence"]:
        raise HelperError("ZWH-SEQ-ROLLBACK", "channel %s: offered sequence %d is lower than sequence %d this target accepted"
                          % (channel, sequence, last["sequence"]), EXIT_REFUSED, **details)
    raise HelperError("ZWH-SEQ-REPLAY", "channel %s: sequence %d was accepted here for a different statement"
                      % (channel, sequence), EXIT_REFUSED, **details)


def record_accepted(root, state, tid, channel, sequence, digest, release):
    """Raise the bound for (tid, channel) to this statement; never lowers it. Returns whether written."""
    path = os.path.join(_wh_dir(root), "sequence.json")
    last = accepted_sequence(state, tid, channel)
    if last is not None and sequence < last["sequence"]:
        return False
    own = state.get("trustRoots", {}).get(tid, {}).get("channels", {}).get(channel)
    if own is not None and own["sequence"] == sequence and own["digest"] == digest and os.path.exists(path):
        return False
    state.setdefault("trustRoots", {}).setdefault(tid, {}).setdefault("channels", {})[channel] = {
        "sequence": sequence, "digest": digest, "release": release, "acceptedAt": iso_utc(now_epoch())}
    state["formatVersion"] = SEQ_FORMAT
    os.makedirs(_wh_dir(root), exist_ok=True)
    write_json_atomic(path, state)
    return True


def release_statement(release_dir):
    """(channel, sequence, digest) from releases/<id>/manifest.intoto.json, or None."""
    p = os.path.join(release_dir, "manifest.intoto.json")
    try:
        st = os.lstat(p)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 64 * 1024 * 1024:
            return None
        with open(p, "rb") as f:
            raw = f.read()
        pred = json.loads(raw.decode("utf-8")).get("predicate", {})
    except (OSError, ValueError, AttributeError):
        return None
    ch, seq = pred.get("channel") if isinstance(pred, dict) else None, pred.get("sequence") if isinstance(pred, dict) else None
    if not isinstance(ch, str) or not isinstance(seq, int) or isinstance(seq, bool):
        return None
    return ch, seq, "sha256:" + hashlib.sha256(raw).hexdigest()


def sequence_summary(root):
    """{"trust_root": id|None, "channels": {name: entry}}: the bound each channel has under the
    installed trust root (entries carry trust_root, and inherited/bootstrap when so)."""
    root = os.path.abspath(root)
    state = read_sequence_state(root)
    tid = trust_root_id(root) or "none"
    names = set()
    for v in state.get("trustRoots", {}).values():
        names.update(v.get("channels", {}).keys())
    chans = dict((c, accepted_sequence(state, tid, c)) for c in sorted(names))
    return {"trust_root": None if tid == "none" else tid, "channels": chans}


def cmd_sequence(args):
    """sequence status --root R   (read-only) -> sequence_summary()"""
    return EXIT_OK, result("sequence", True, **sequence_summary(args.root))


class Guard(object):
    """An exclusive fcntl lock on <root>/.wheelhouse/.guard for the few milliseconds a lock or
    link change takes, so `lock break` can never slip between activate's lock-id check and
    its rename. Without fcntl (not expected on z/OS or Linux) the operations run unguarded."""

    def __init__(self, root):
        self.path = os.path.join(_wh_dir(root), ".guard")
        self.fd = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:
            return self
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        created = not os.path.exists(self.path)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if created:
            tag_text(self.path)
        fcntl.lockf(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # closing drops the lock
            self.fd = None
        return False


def append_audit(root, entry):
    """One O_APPEND write of one JSON line to <root>/.wheelhouse/audit.log; returns (path, bytes)."""
    entry = dict(entry)
    entry.setdefault("target_ts", iso_utc(now_epoch()))
    base = _wh_dir(root)
    os.makedirs(base, exist_ok=True)
    path = os.path.join(base, "audit.log")
    created = not os.path.exists(path)
    line = json_bytes(entry) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        try:
            written = os.write(fd, line)
        except OSError as e:
            # os.write names no file: add it, so a full or read-only file system names the log.
            raise OSError(e.errno, e.strerror, path)
        if written != len(line):
            raise HelperError("ZWH-HELPER-SHORT-WRITE", "short write to audit log", subject=path)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        tag_text(path)
    return path, len(line)


# ----------------------------------------------------------------------------------------
# releases: activate, inspect-release, prune


def _link_release_id(root, target):
    """Which release a current/previous link target names, or None."""
    if target is None:
        return None
    t = target if os.path.isabs(target) else os.path.join(root, target)
    t = os.path.normpath(t)
    rel_root = os.path.normpath(os.path.join(root, "releases"))
    if os.path.dirname(t) == rel_root:
        return os.path.basename(t)
    return None


def _read_link(path):
    """(target or None, kind) where kind is 'link', 'absent' or 'other' (real file/dir)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None, "absent"
    if stat.S_ISLNK(st.st_mode):
        return os.readlink(path), "link"
    return None, "other"


def atomic_symlink(link_path, target):
    """Point link_path at target with no moment where link_path is missing.

    `ln -sfn` unlinks then re-creates (a window with no link); rename(2) over an existing
    name is atomic on POSIX, so build the new link under a temp name and rename it in.
    """
    d = os.path.dirname(link_path)
    tmp = _temp_sibling(link_path)
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link_path)
    except BaseException:
        _unlink_quiet(tmp)
        raise
    fsync_path(d)


def _release_checks(release_dir):
    """File-level checks that a release can run: [{"name","ok","detail"?}], pyvenv dict."""
    checks = []
    pyvenv = None
    try:
        st = os.lstat(release_dir)
        is_dir = stat.S_ISDIR(st.st_mode)
    except FileNotFoundError:
        is_dir = False
    checks.append({"name": "release-dir", "ok": is_dir})
    venv = os.path.join(release_dir, "venv")
    cfg = os.path.join(venv, "pyvenv.cfg")
    try:
        with open(cfg, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        pyvenv = {}
        for line in text.splitlines():
            k, sep, v = line.partition("=")
            if sep:
                pyvenv[k.strip()] = v.strip()
        checks.append({"name": "pyvenv.cfg", "ok": True})
    except OSError:
        checks.append({"name": "pyvenv.cfg", "ok": False, "detail": "missing or unreadable"})
    py = os.path.join(venv, "bin", "python")
    if not os.path.lexists(py):
        checks.append({"name": "venv-python", "ok": False, "detail": "venv/bin/python missing"})
    elif not os.path.exists(py):
        # venv python is a symlink to the base interpreter; an interpreter upgrade or
        # removal leaves it dangling, which is exactly what breaks a rollback.
        checks.append({"name": "venv-python", "ok": False, "detail": "dangling link -> %s" % os.readlink(py)})
    else:
        detail = os.readlink(py) if os.path.islink(py) else None
        c = {"name": "venv-python", "ok": True}
        if detail:
            c["detail"] = detail
        checks.append(c)
    if pyvenv and pyvenv.get("home"):
        home_ok = os.path.isdir(pyvenv["home"])
        c = {"name": "pyvenv-home", "ok": home_ok}
        if not home_ok:
            c["detail"] = "home dir %s missing" % pyvenv["home"]
        checks.append(c)
    return checks, pyvenv


def cmd_activate(args):
    """activate --root R --release ID [--expect-current TARGET|none] [--lock-id ID]
                [--allow-downgrade] [--no-receipt-stamp]

    Refuses (exit 3) when releases/ID or its venv python/pyvenv.cfg is missing, when
    <root>/current is a real file/dir, or when --expect-current does not match (a
    compare-and-swap guard against a concurrent activation). The link target is relative
    ("releases/ID") so the whole root can be moved. Before the flip, <root>/previous is
    pointed at the old target, so prune and rollback can read both from disk. Stamps
    "activatedAt" into releases/ID/receipt.json when that file exists (prune orders by it).

    Under the guard (see Guard), in one step with the swap:
      * the deployment lock must be --lock-id (ZWH-LOCK-LOST otherwise); without --lock-id,
        a lock held by anyone refuses (ZWH-LOCK-HELD);
      * the release's signed statement (releases/ID/manifest.intoto.json) must not be older
        than what this target accepted for its (trust root, channel) (ZWH-SEQ-ROLLBACK /
        ZWH-SEQ-REPLAY) unless --allow-downgrade; a newer one becomes the accepted bound.
        A release without a statement (not made by deploy) is activated unchecked.
    -> {"previous": old target|null, "current": "releases/ID", "previous_release",
        "release", "changed": bool, "receipt_stamped": bool,
        "sequence": {"channel","offered","digest","status": new|same|downgrade,
                     "accepted": entry before|null, "trust_root", "recorded": bool} | null}
    """
    root = os.path.abspath(args.root)
    rid = safe_component(args.release, "release id")
    release_dir = os.path.join(root, "releases", rid)
    checks, _ = _release_checks(release_dir)
    failed = [c for c in checks if not c["ok"]]
    if failed:
        raise HelperError("ZWH-ACTIVATE-RELEASE-BROKEN", "release %s is missing or incomplete" % rid,
                          EXIT_REFUSED, subject=release_dir, checks=checks)
    with Guard(root):
        _check_lock_for_activation(root, args.lock_id)
        seq = None
        stmt = release_statement(release_dir)
        if stmt is not None:
            tid = trust_root_id(root) or "none"
            state = read_sequence_state(root)
            status, last = check_offer(root, state, tid, stmt[0], stmt[1], stmt[2], args.allow_downgrade)
            seq = {"channel": stmt[0], "offered": stmt[1], "digest": stmt[2], "status": status, "accepted": last,
                   "trust_root": None if tid == "none" else tid, "recorded": False}
        current = os.path.join(root, "current")
        old, kind = _read_link(current)
        if kind == "other":
            raise HelperError("ZWH-ACTIVATE-NOT-SYMLINK", "%s exists and is not a symlink" % current,
                              EXIT_REFUSED, subject=current)
        if args.expect_current is not None:
            want = None if args.expect_current in ("", "none") else args.expect_current
            if want != old:
                raise HelperError("ZWH-ACTIVATE-CURRENT-CHANGED", "current is %r, expected %r" % (old, want),
                                  EXIT_REFUSED, subject=current, actual=old, expected=want)
        new = "releases/" + rid
        changed = old != new
        if changed:
            if old is not None:
                prev_path = os.path.join(root, "previous")
                _, pkind = _read_link(prev_path)
                if pkind == "other":
                    raise HelperError("ZWH-ACTIVATE-NOT-SYMLINK", "%s exists and is not a symlink" % prev_path,
                                      EXIT_REFUSED, subject=prev_path)
                atomic_symlink(prev_path, old)
            atomic_symlink(current, new)
        if seq is not None and seq["status"] in ("new", "same"):
            seq["recorded"] = record_accepted(root, state, tid, stmt[0], stmt[1], stmt[2], rid)
    stamped = False
    receipt = os.path.join(release_dir, "receipt.json")
    if changed and not args.no_receipt_stamp and os.path.isfile(receipt):
        try:
            data = read_json_file(receipt)
            if isinstance(data, dict):
                data["activatedAt"] = iso_utc(now_epoch())
                write_json_atomic(receipt, data)
                stamped = True
        except (OSError, ValueError):
            stamped = False
    return EXIT_OK, result("activate", True, previous=old, current=new,
                           previous_release=_link_release_id(root, old), release=rid,
                           changed=changed, receipt_stamped=stamped, sequence=seq)


def _check_lock_for_activation(root, lock_id):
    base, lock, owner_path = _lock_paths(root)
    held, owner, stale, incomplete = _lock_state(lock, owner_path)
    holder = owner.get("lock_id") if owner else None
    if lock_id is not None and (not held or holder != lock_id):
        raise HelperError("ZWH-LOCK-LOST", "the deployment lock %s is no longer held (%s)"
                          % (lock_id, "held by %s" % holder if held else "no lock"), EXIT_REFUSED,
                          expected_lock_id=lock_id, owner=owner)
    if lock_id is None and held:
        raise HelperError("ZWH-LOCK-HELD", "the target is locked by %s" % (holder or "an incomplete lock"),
                          EXIT_REFUSED, owner=owner, stale=stale)


def cmd_inspect_release(args):
    """inspect-release (--release-dir DIR | --root R --release ID) [--verify-record]

    File checks only (nothing is executed): release dir, venv/pyvenv.cfg, venv/bin/python
    exists and its link target resolves, the pyvenv.cfg "home" dir exists; optionally the
    RECORD verification of record-verify.
    -> {"release_dir", "checks": [{"name","ok","detail"?}], "pyvenv": {...}|null,
        "receipt": {...}|null, "record": {findings, counts, ...}|null}; exit 3 if any fails.
    """
    if args.release_dir:
        release_dir = os.path.abspath(args.release_dir)
    elif args.root and args.release:
        release_dir = os.path.join(os.path.abspath(args.root), "releases", safe_component(args.release, "release id"))
    else:
        raise HelperError("ZWH-HELPER-USAGE", "give --release-dir or --root with --release")
    checks, pyvenv = _release_checks(release_dir)
    receipt = None
    try:
        receipt = read_json_file(os.path.join(release_dir, "receipt.json"))
    except (OSError, ValueError):
        receipt = None
    record = None
    if args.verify_record and all(c["ok"] for c in checks):
        try:
            _, rec = _record_verify("record-verify", os.path.join(release_dir, "venv"), None)
        except HelperError as e:
            checks.append({"name": "record-verify", "ok": False, "detail": e.message})
        else:
            record = {k: rec[k] for k in ("findings", "counts", "checked", "distributions", "site_packages")}
            checks.append({"name": "record-verify", "ok": rec["ok"]})
    ok = all(c["ok"] for c in checks)
    return (EXIT_OK if ok else EXIT_REFUSED), result(
        "inspect-release", ok, refused=not ok, release_dir=release_dir, checks=checks,
        pyvenv=pyvenv, receipt=receipt, record=record)


def cmd_prune(args):
    """prune --root R --keep N [--protect ID ...] [--dry-run]

    Keeps the N newest releases, ordered by receipt.json "activatedAt" (falling back to the
    dir mtime for releases never activated), and never removes the targets of
    <root>/current and <root>/previous or any --protect id.
    -> {"kept": [ids], "removed": [ids], "protected": [ids], "errors": [...], "dry_run": bool}
    Exit 1 if a removal failed.
    """
    if args.keep < 0:
        raise HelperError("ZWH-HELPER-USAGE", "--keep must be >= 0")
    root = os.path.abspath(args.root)
    rel_root = os.path.join(root, "releases")
    protected = set(args.protect or [])
    for link in ("current", "previous"):
        tgt, kind = _read_link(os.path.join(root, link))
        rid = _link_release_id(root, tgt) if kind == "link" else None
        if rid:
            protected.add(rid)
    candidates = []
    try:
        names = os.listdir(rel_root)
    except FileNotFoundError:
        names = []
    for n in names:
        p = os.path.join(rel_root, n)
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or n.startswith("."):
            continue
        when = None
        try:
            data = read_json_file(os.path.join(p, "receipt.json"))
            if isinstance(data, dict):
                when = parse_iso(data.get("activatedAt"))
        except (OSError, ValueError):
            when = None
        candidates.append((when if when is not None else st.st_mtime, n))
    candidates.sort(key=lambda t: (t[0], t[1]), reverse=True)
    kept, removed, errors = [], [], []
    slots = args.keep
    for _, n in candidates:
        if n in protected:
            kept.append(n)
            continue
        if slots > 0:
            slots -= 1
            kept.append(n)
            continue
        if args.dry_run:
            removed.append(n)
            continue
        errs = _rmtree_collect(os.path.join(rel_root, n), n)
        if errs:
            errors.extend(errs)
        else:
            removed.append(n)
    ok = not errors
    out = result("prune", ok, kept=kept, removed=removed, protected=sorted(p for p in protected if p in names),
                 errors=errors, dry_run=bool(args.dry_run))
    if not ok:
        out["error"] = {"code": "ZWH-PRUNE-FAILED", "message": "some releases could not be removed"}
    return (EXIT_OK if ok else EXIT_ERROR), out


def _rmtree_collect(path, rid):
    errs = []

    def onerror(fn, p, exc_info):
        errs.append({"release": rid, "path": p, "message": str(exc_info[1])})

    def onexc(fn, p, exc):
        errs.append({"release": rid, "path": p, "message": str(exc)})

    # 3.12 deprecated onerror (and warns on stderr); onexc does not exist before 3.12.
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=onexc)
    else:
        shutil.rmtree(path, onerror=onerror)
    return errs


# ----------------------------------------------------------------------------------------
# lock


def _lock_paths(root):
    base = os.path.join(os.path.abspath(root), ".wheelhouse")
    lock = os.path.join(base, "lock")
    return base, lock, os.path.join(lock, "owner.json")


def _lock_state(lock, owner_path):
    """(held, owner or None, stale, incomplete)."""
    try:
        st = os.lstat(lock)
    except FileNotFoundError:
        return False, None, False, False
    try:
        owner = read_json_file(owner_path)
        if not isinstance(owner, dict):
            owner = None
    except (OSError, ValueError):
        owner = None
    now = now_epoch()
    if owner is None:
        return True, None, (now - st.st_mtime) > INCOMPLETE_LOCK_GRACE, True
    exp = parse_iso(owner.get("expires_at"))
    return True, owner, (exp is not None and now > exp), False


def _remove_lock_dir(base, lock):
    """Rename the lock away first (atomic), then delete: others never see a half-removed lock."""
    tomb = os.path.join(base, ".lock.removed-%s" % uuid.uuid4().hex)
    os.rename(lock, tomb)
    shutil.rmtree(tomb, ignore_errors=True)


def cmd_lock(args):
    """lock acquire --root R --owner-json JSON [--ttl SEC]
                    [--offer-channel C --offer-sequence N --offer-digest sha256:HEX [--allow-downgrade]]
       lock release --root R --lock-id ID
       lock status --root R
       lock break --root R [--lock-id ID] [--force] [--owner-gone] [--by-json JSON]
       lock heartbeat --root R --lock-id ID [--ttl SEC]

    The lock is the directory <root>/.wheelhouse/lock (mkdir is atomic, also on shared zFS)
    holding owner.json (controller fields from --owner-json, plus lock_id, created_at,
    heartbeat_at, expires_at, ttl_seconds, target_host, root, all set with the target's
    clock so staleness never depends on controller clock skew).
    acquire -> {"acquired": true, "lock_id", "owner", "sequence"?} or exit 3 {"held": true,
               "owner", "stale", "incomplete"}; a stale lock is never taken over automatically.
               With --offer-*, the offered bundle is checked against the target's accepted
               sequence right after the mkdir; a refusal (ZWH-SEQ-ROLLBACK / ZWH-SEQ-REPLAY,
               exit 3) removes the lock again, so nothing is left changed.
    release -> {"released": bool, "reason"?}; exit 3 if held by another lock_id.
    status  -> {"held", "owner", "stale", "incomplete"}
    break   -> {"broken": bool, "owner", "forced"}; exit 3 ZWH-LOCK-ID-MISMATCH if --lock-id names
               another lock; exit 3 ZWH-LOCK-LIVE if the lock is live (not stale) unless --force or
               --owner-gone (the caller checked the owner's process is gone). A break appends
               {"event": "lock-break", "broken_owner", "forced", "by"} to the audit log.
    heartbeat -> {"owner"} with new heartbeat_at/expires_at; exit 3 {"lost": true} if not ours.
    release, break and heartbeat run under the guard, like activate.
    """
    base, lock, owner_path = _lock_paths(args.root)
    action = args.lock_action
    if action == "acquire":
        return _lock_acquire(args, base, lock, owner_path)
    if action == "status":
        held, owner, stale, incomplete = _lock_state(lock, owner_path)
        return EXIT_OK, result("lock", True, action=action, held=held, owner=owner, stale=stale,
                               incomplete=incomplete)
    if action == "break" and args.by_json is not None:
        by = _json_object(args.by_json, "--by-json")
    with Guard(args.root):
        held, owner, stale, incomplete = _lock_state(lock, owner_path)
        if action == "release":
            if not held:
                return EXIT_OK, result("lock", True, action=action, released=False, reason="not-held")
            if owner is None or owner.get("lock_id") != args.lock_id:
                return EXIT_REFUSED, result("lock", False, refused=True, action=action, released=False,
                                            reason="not-owner", owner=owner,
                                            error={"code": "ZWH-LOCK-NOT-OWNER", "message": "lock is held by another owner"})
            _remove_lock_dir(base, lock)
            return EXIT_OK, result("lock", True, action=action, released=True, owner=owner)
        if action == "break":
            if not held:
                return EXIT_OK, result("lock", True, action=action, broken=False, reason="not-held", owner=None)
            if args.lock_id is not None and (owner is None or owner.get("lock_id") != args.lock_id):
                return EXIT_REFUSED, result("lock", False, refused=True, action=action, broken=False,
                                            reason="lock-id-mismatch", owner=owner,
                                            error={"code": "ZWH-LOCK-ID-MISMATCH",
                                                   "message": "the lock is not the one named by --lock-id"})
            if not stale and not args.force and not args.owner_gone:
                return EXIT_REFUSED, result("lock", False, refused=True, action=action, broken=False,
                                            reason="live", owner=owner, stale=False, incomplete=incomplete,
                                            error={"code": "ZWH-LOCK-LIVE",
                                                   "message": "the lock is live (heartbeat not expired)"})
            _remove_lock_dir(base, lock)
            append_audit(args.root, {"event": "lock-break", "broken_owner": owner, "stale": stale,
                                     "incomplete": incomplete, "forced": bool(args.force and not stale),
                                     "owner_gone": bool(args.owner_gone), "by": by if args.by_json is not None else None})
            return EXIT_OK, result("lock", True, action=action, broken=True, owner=owner, stale=stale,
                                   incomplete=incomplete, forced=bool(args.force and not stale))
        if action == "heartbeat":
            if not held or owner is None or owner.get("lock_id") != args.lock_id:
                return EXIT_REFUSED, result("lock", False, refused=True, action=action, lost=True, owner=owner,
                                            error={"code": "ZWH-LOCK-LOST", "message": "we no longer hold the lock"})
            ttl = args.ttl if args.ttl is not None else owner.get("ttl_seconds") or DEFAULT_LOCK_TTL
            now = now_epoch()
            owner["heartbeat_at"] = iso_utc(now)
            owner["expires_at"] = iso_utc(now + ttl)
            owner["ttl_seconds"] = ttl
            write_json_atomic(owner_path, owner)
            return EXIT_OK, result("lock", True, action=action, owner=owner)
    raise HelperError("ZWH-HELPER-USAGE", "unknown lock action %r" % action)


def _json_object(text, what):
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise HelperError("ZWH-HELPER-USAGE", "%s is not JSON: %s" % (what, e))
    if not isinstance(obj, dict):
        raise HelperError("ZWH-HELPER-USAGE", "%s must be a JSON object" % what)
    return obj


def _lock_acquire(args, base, lock, owner_path):
    owner_in = _json_object(args.owner_json, "--owner-json")
    ttl = args.ttl if args.ttl is not None else DEFAULT_LOCK_TTL
    if ttl <= 0:
        raise HelperError("ZWH-HELPER-USAGE", "--ttl must be > 0")
    lock_id = owner_in.get("lock_id") or str(uuid.uuid4())
    if not isinstance(lock_id, str):
        raise HelperError("ZWH-HELPER-USAGE", "lock_id must be a string")
    offer = None
    if args.offer_channel is not None or args.offer_sequence is not None or args.offer_digest is not None:
        if args.offer_channel is None or args.offer_sequence is None or args.offer_digest is None:
            raise HelperError("ZWH-HELPER-USAGE", "--offer-channel, --offer-sequence and --offer-digest go together")
        offer = (args.offer_channel, args.offer_sequence, args.offer_digest)
    os.makedirs(base, mode=0o755, exist_ok=True)
    try:
        os.mkdir(lock)
    except FileExistsError:
        held, owner, stale, incomplete = _lock_state(lock, owner_path)
        return EXIT_REFUSED, result("lock", False, refused=True, action="acquire", held=True, owner=owner,
                                    stale=stale, incomplete=incomplete,
                                    error={"code": "ZWH-LOCK-HELD", "message": "the target is locked"})
    seq = None
    try:
        if offer is not None:
            # Under our lock, so no other deploy can accept a newer statement in between.
            root = os.path.abspath(args.root)
            tid = trust_root_id(root) or "none"
            status, last = check_offer(root, read_sequence_state(root), tid, offer[0], offer[1], offer[2],
                                       args.allow_downgrade)
            seq = {"channel": offer[0], "offered": offer[1], "status": status, "accepted": last,
                   "trust_root": None if tid == "none" else tid}
        now = now_epoch()
        owner = dict(owner_in)
        owner.update({"lock_id": lock_id, "created_at": iso_utc(now), "heartbeat_at": iso_utc(now),
                      "expires_at": iso_utc(now + ttl), "ttl_seconds": ttl,
                      "target_host": _nodename(), "root": os.path.abspath(args.root)})
        write_json_atomic(owner_path, owner)
    except BaseException:
        # Refused or failed: leave no lock behind (nobody else can hold this one yet).
        shutil.rmtree(lock, ignore_errors=True)
        raise
    return EXIT_OK, result("lock", True, action="acquire", acquired=True, lock_id=lock_id, owner=owner, sequence=seq)


def _nodename():
    try:
        return os.uname().nodename
    except AttributeError:
        return None


# ----------------------------------------------------------------------------------------
# audit-append


def cmd_audit_append(args):
    """audit-append --root R --json OBJECT

    Appends the object (keys sorted, ASCII) plus "target_ts" as one line to
    <root>/.wheelhouse/audit.log with a single O_APPEND write, so concurrent writers never
    interleave within a line. -> {"appended": true, "path", "bytes"}
    """
    try:
        entry = json.loads(args.json)
    except ValueError as e:
        raise HelperError("ZWH-HELPER-USAGE", "--json is not JSON: %s" % e)
    if not isinstance(entry, dict):
        raise HelperError("ZWH-HELPER-USAGE", "--json must be a JSON object")
    path, n = append_audit(args.root, entry)
    return EXIT_OK, result("audit-append", True, appended=True, path=path, bytes=n)


# ----------------------------------------------------------------------------------------
# main


def build_parser():
    p = Parser(prog="zwh_target.py", add_help=False)
    sub = p.add_subparsers(dest="command")
    sub.required = True

    s = sub.add_parser("hash", add_help=False)
    s.add_argument("--expect", action="append", default=[])
    s.add_argument("--expect-file")
    s.add_argument("paths", nargs="*")
    s.set_defaults(func=cmd_hash)

    s = sub.add_parser("store-commit", add_help=False)
    s.add_argument("--staging", required=True)
    s.add_argument("--store", required=True)
    s.add_argument("--expect", action="append", default=[])
    s.add_argument("--expect-file")
    s.set_defaults(func=cmd_store_commit)

    s = sub.add_parser("record-verify", add_help=False)
    s.add_argument("--venv")
    s.add_argument("--site-packages")
    s.set_defaults(func=cmd_record_verify)

    s = sub.add_parser("activate", add_help=False)
    s.add_argument("--root", required=True)
    s.add_argument("--release", required=True)
    s.add_argument("--expect-current")
    s.add_argument("--lock-id")
    s.add_argument("--allow-downgrade", action="store_true")
    s.add_argument("--no-receipt-stamp", action="store_true")
    s.set_defaults(func=cmd_activate)

    s = sub.add_parser("inspect-release", add_help=False)
    s.add_argument("--release-dir")
    s.add_argument("--root")
    s.add_argument("--release")
    s.add_argument("--verify-record", action="store_true")
    s.set_defaults(func=cmd_inspect_release)

    s = sub.add_parser("prune", add_help=False)
    s.add_argument("--root", required=True)
    s.add_argument("--keep", type=int, required=True)
    s.add_argument("--protect", action="append", default=[])
    s.add_argument("--dry-run", action="store_true")
    s.set_defaults(func=cmd_prune)

    s = sub.add_parser("lock", add_help=False)
    ls = s.add_subparsers(dest="lock_action")
    ls.required = True
    for action in ("acquire", "release", "status", "break", "heartbeat"):
        a = ls.add_parser(action, add_help=False)
        a.add_argument("--root", required=True)
        if action == "acquire":
            a.add_argument("--owner-json", required=True)
            a.add_argument("--offer-channel")
            a.add_argument("--offer-sequence", type=int)
            a.add_argument("--offer-digest")
            a.add_argument("--allow-downgrade", action="store_true")
        if action in ("acquire", "heartbeat"):
            a.add_argument("--ttl", type=int)
        if action in ("release", "heartbeat"):
            a.add_argument("--lock-id", required=True)
        if action == "break":
            a.add_argument("--lock-id")
            a.add_argument("--force", action="store_true")
            a.add_argument("--owner-gone", action="store_true")
            a.add_argument("--by-json")
    s.set_defaults(func=cmd_lock)

    s = sub.add_parser("sequence", add_help=False)
    qs = s.add_subparsers(dest="sequence_action")
    qs.required = True
    q = qs.add_parser("status", add_help=False)
    q.add_argument("--root", required=True)
    s.set_defaults(func=cmd_sequence)

    s = sub.add_parser("audit-append", add_help=False)
    s.add_argument("--root", required=True)
    s.add_argument("--json", required=True)
    s.set_defaults(func=cmd_audit_append)
    return p


def emit(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=True, sort_keys=True) + "\n")
    sys.stdout.flush()


def run(argv=None):
    """One subcommand, in this interpreter: (exit code, result object). main() prints it;
    zwh_deploy.py multi runs several in one interpreter start."""
    command = None
    try:
        args = build_parser().parse_args(argv)
        command = args.command
        code, obj = args.func(args)
    except HelperError as e:
        obj = result(command, False, error=dict(e.details, code=e.code, message=e.message))
        if e.exit_code == EXIT_REFUSED:
            obj["refused"] = True
        code = e.exit_code
    except Exception as e:  # noqa: BLE001 - every failure must still be one JSON object
        err = {"code": "ZWH-HELPER-INTERNAL", "message": str(e), "type": type(e).__name__}
        if isinstance(e, OSError):
            err["errno"] = e.errno
            if e.filename is not None:
                err["subject"] = e.filename
            err.update(file_system_error(e))
        obj = result(command, False, error=err)
        code = EXIT_ERROR
    return code, obj


def file_system_error(e):
    """Own codes for a full or read-only file system (z/OS: EDC5133I / EDC5141I), with the path."""
    text = str(e)
    where = e.filename if e.filename is not None else "the target file system"
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) or "EDC5133I" in text:
        return {"code": "ZWH-TARGET-DISK-FULL",
                "message": "no space left on the file system of %s (ENOSPC, EDC5133I): %s" % (where, text),
                "hint": "Free space or grow the z/OS UNIX file system that holds it (e.g. zfsadm grow), or use another --root. "
                        "Nothing was activated; re-run the command afterwards."}
    if e.errno == errno.EROFS or "EDC5141I" in text:
        return {"code": "ZWH-TARGET-READ-ONLY-FS",
                "message": "%s is on a read-only file system (EROFS, EDC5141I): %s" % (where, text),
                "hint": "Mount that file system read-write, or use a --root on a writable one. Nothing was activated."}
    return {}


def main(argv=None):
    code, obj = run(argv)
    emit(obj)
    return code


if __name__ == "__main__":
    sys.exit(main())
