#!/usr/bin/env python3
"""Generate the demo's small pure-Python wheels (stdlib only, deterministic):
zwhdemo-util 1.0 <- zwhdemo-lib 1.0 <- zwhdemo-app <APP_VERSION>.
Usage: demo-wheels.py OUT_DIR APP_VERSION"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from wheelgen import write_wheel  # noqa: E402


def wheel(out, name, version, files, requires=()):
    return write_wheel(out, name, version, files, requires, generator="zwh-demo")


out, app = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
wheel(out, "zwhdemo-util", "1.0", {"zwhdemo_util/__init__.py": 'VERSION = "1.0"\n'})
wheel(out, "zwhdemo-lib", "1.0", {"zwhdemo_lib/__init__.py": "from zwhdemo_util import VERSION as UTIL\n"}, ["zwhdemo-util>=1.0"])
wheel(out, "zwhdemo-app", app, {"zwhdemo_app/__init__.py": 'import zwhdemo_lib\nVERSION = "%s"\n' % app}, ["zwhdemo-lib>=1.0"])
print(out)
