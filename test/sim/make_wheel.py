"""Build a tiny, valid wheel with the stdlib (used by the simulator tests).

usage: make_wheel.py OUTDIR NAME VERSION TAG   (TAG like py3-none-any, cp311-cp311-os390_29_00_8561)
Prints the wheel's path.
"""
import base64
import hashlib
import os
import sys
import zipfile


def rec(name, data):
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, h, len(data))


def main():
    outdir, name, version, tag = sys.argv[1:5]
    dist = name.replace("-", "_")
    di = "%s-%s.dist-info" % (dist, version)
    py, abi, plat = tag.split("-")
    files = {
        "%s/__init__.py" % dist: ("VERSION = %r\n" % version).encode(),
        di + "/METADATA": ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)).encode(),
        di + "/WHEEL": ("Wheel-Version: 1.0\nGenerator: zwh-sim\nRoot-Is-Purelib: %s\nTag: %s\n"
                        % ("true" if plat == "any" else "false", tag)).encode(),
    }
    record = "\n".join([rec(k, v) for k, v in files.items()] + [di + "/RECORD,,", ""])
    files[di + "/RECORD"] = record.encode()
    path = os.path.join(outdir, "%s-%s-%s.whl" % (dist, version, tag))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in files.items():
            z.writestr(zipfile.ZipInfo(k, (2024, 1, 1, 0, 0, 0)), v)
    print(path)


if __name__ == "__main__":
    main()
