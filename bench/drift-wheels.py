#!/usr/bin/env python3
"""Generate the drift benchmark's wheels (stdlib only, deterministic): N pure-Python
py3-none-any wheels with F small modules each (about N*F installed files), like a real
site-packages full of small .py files. zwhdrift-app requires every zwhdrift-libNN.
Usage: drift-wheels.py OUT_DIR N F"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "lib"))
from wheelgen import write_wheel  # noqa: E402


def main():
    out, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        name = "zwhdrift-app" if i == 0 else "zwhdrift-lib%02d" % i
        pkg = name.replace("-", "_")
        rnd = random.Random("zwh-drift-%d" % i)
        files = {"%s/__init__.py" % pkg: ('NAME = "%s"\n' % name).encode()}
        for k in range(per - 1):
            body = "".join("X%d = %r\n" % (j, rnd.getrandbits(64)) for j in range(rnd.randint(20, 120)))
            files["%s/mod_%04d.py" % (pkg, k)] = body.encode()
        requires = ["zwhdrift-lib%02d>=1.0" % j for j in range(1, n)] if i == 0 else []
        write_wheel(out, name, "1.0", files, requires, generator="zwh-bench", summary="wheelhouse drift benchmark")
    print(out)


main()
