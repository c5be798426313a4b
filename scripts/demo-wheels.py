#!/usr/bin/env python3
"""Generate the demo's small pure-Python wheels (stdlib only, deterministic):
zwhdemo-util 1.0 <- zwhdemo-lib 1.0 <- zwhdemo-app <APP_VERSION>.
Usage: demo-wheels.py OUT_DIR APP_VERSION"""
import base64, hashlib, os, sys, zipfile

def wheel(out, name, version, files, requires=()):
    dist = name.replace("-", "_")
    di = "%s-%s.dist-info" % (dist, version)
    meta = "Metadata-Version: 2.1\nName: %s\nVersion: %s\nRequires-Python: >=3.8\n" % (name, version)
    meta += "".join("Requires-Dist: %s\n" % r for r in requires)
    members = dict(files)
    members[di + "/METADATA"] = meta
    members[di + "/WHEEL"] = "Wheel-Version: 1.0\nGenerator: zwh-demo\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for p, text in members.items():
        b = text.encode()
        h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (p, h, len(b)))
    record.append(di + "/RECORD,,")
    members[di + "/RECORD"] = "\n".join(record) + "\n"
    path = os.path.join(out, "%s-%s-py3-none-any.whl" % (dist, version))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, text in members.items():
            zi = zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0))
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, text)
    return path

out, app = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
wheel(out, "zwhdemo-util", "1.0", {"zwhdemo_util/__init__.py": 'VERSION = "1.0"\n'})
wheel(out, "zwhdemo-lib", "1.0", {"zwhdemo_lib/__init__.py": "from zwhdemo_util import VERSION as UTIL\n"}, ["zwhdemo-util>=1.0"])
wheel(out, "zwhdemo-app", app, {"zwhdemo_app/__init__.py": 'import zwhdemo_lib\nVERSION = "%s"\n' % app}, ["zwhdemo-lib>=1.0"])
print(out)
