"""Write small, valid, deterministic pure-Python wheels with the stdlib (no pip, no wheel package).

Shared by scripts/demo-wheels.py (the demo's wheels) and bench/deploy-wheels.py (the deploy
benchmarks' large wheels).
"""
import base64
import hashlib
import os
import zipfile


def record_hash(data):
    """RECORD's urlsafe-base64 sha256 without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(out, name, version, files, requires=(), generator="zwh", summary=None, compresslevel=None):
    """Write OUT/<dist>-<version>-py3-none-any.whl and return its path.

    files maps archive paths to contents (str is UTF-8 encoded, bytes as is); METADATA, WHEEL and
    a correct RECORD are added. requires: Requires-Dist lines. compresslevel: zlib level for the
    deflated members (None: zlib's default). Written to a temp file and renamed into place.
    """
    dist = name.replace("-", "_")
    di = "%s-%s.dist-info" % (dist, version)
    meta = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)
    if summary is not None:
        meta += "Summary: %s\n" % summary
    meta += "Requires-Python: >=3.8\n"
    meta += "".join("Requires-Dist: %s\n" % r for r in requires)
    members = {p: (b if isinstance(b, bytes) else b.encode()) for p, b in files.items()}
    members[di + "/METADATA"] = meta.encode()
    members[di + "/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: %s\nRoot-Is-Purelib: true\nTag: py3-none-any\n" % generator
    ).encode()
    record = ["%s,sha256=%s,%d" % (p, record_hash(b), len(b)) for p, b in members.items()]
    record.append(di + "/RECORD,,")
    members[di + "/RECORD"] = ("\n".join(record) + "\n").encode()
    path = os.path.join(out, "%s-%s-py3-none-any.whl" % (dist, version))
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as z:
        for p, b in members.items():
            zi = zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0))
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, b, compresslevel=compresslevel)
    os.replace(tmp, path)
    return path
