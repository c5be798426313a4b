#!/usr/bin/env python3
"""Generate the deploy benchmarks' wheels (stdlib only, deterministic): N pure-Python,
pip-installable py3-none-any wheels of about MB MiB each, mostly incompressible data files
(seeded pseudo-random bytes, deflated like real wheels), with a correct RECORD.
zwhbench-app 1.0 requires every zwhbench-libNN 1.0, so the set is closed.
Usage: deploy-wheels.py OUT_DIR N MB"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "lib"))
from wheelgen import write_wheel  # noqa: E402

BLOB = 3 * 1024 * 1024 + 12345  # per data file


def wheel(out, name, version, files, requires=()):
    return write_wheel(out, name, version, files, requires, generator="zwh-bench",
                       summary="wheelhouse deploy benchmark", compresslevel=1)


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
