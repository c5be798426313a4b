#!/usr/bin/env python3
"""Generate the deploy benchmarks' wheels (stdlib only, deterministic): N pure-Python,
pip-installable py3-none-any wheels of about MB MiB each, mostly incompressible data files
(seeded pseudo-random bytes, deflated like real wheels), with a correct RECORD.
zwhbench-app 1.0 requires every zwhbench-libNN 1.0, so the set is closed.
Usage: deploy-wheels.py OUT_DIR N MB"""
import base64, hashlib, os, random, sys, zipfile

BLOB = 3 * 1024 * 1024 + 12345  # per data file


def rec_hash(b):
    return base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()


def wheel(out, name, version, files, requires=()):
    dist = name.replace("-", "_")
    di = "%s-%s.dist-info" % (dist, version)
    meta = "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: wheelhouse deploy benchmark\nRequires-Python: >=3.8\n" % (name, version)
    meta += "".join("Requires-Dist: %s\n" % r for r in requires)
    members = dict(files)
    members[di + "/METADATA"] = meta.encode()
    members[di + "/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: zwh-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = ["%s,sha256=%s,%d" % (p, rec_hash(b), len(b)) for p, b in members.items()]
    record.append(di + "/RECORD,,")
    members[di + "/RECORD"] = ("\n".join(record) + "\n").encode()
    path = os.path.join(out, "%s-%s-py3-none-any.whl" % (dist, version))
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for p, b in members.items():
            zi = zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0))
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, b, compresslevel=1)
    os.replace(tmp, path)
    return path


def main():
    out, n, mb = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    libs = []
    for i in range(n):
        name = "zwhbench-app" if i == 0 else "zwhbench-lib%02d" % i
        pkg = name.replace("-", "_")
        rnd = random.Random("zwh-bench-%d" % i)
        files = {"%s/__init__.py" % pkg: ('NAME = "%s"\nVERSION = "1.0"\n' % name).encode()}
        left = int(mb * 1024 * 1024)
        k = 0
        while left > 0:
            size = min(BLOB, left)
            files["%s/data/blob_%03d.bin" % (pkg, k)] = rnd.randbytes(size)
            left -= size
            k += 1
        if i == 0:
            requires = ["zwhbench-lib%02d>=1.0" % j for j in range(1, n)]
        else:
            requires = []
        wheel(out, name, "1.0", files, requires)
        libs.append(name)
    print(out)


main()
