#!/usr/bin/env python3
"""Run a command and report the CPU its whole process tree used on this machine (the controller):
bench/fleet.js wraps each contender's client process with it, so the controller's cost (ssh
clients, Ansible's forks, Node) is measured the same way for every contender.

Usage: child-cpu.py CMD [ARGS...]
Exits with CMD's exit status; the last line on stderr is
  ZWH-BENCH-CHILD-CPU {"user": <s>, "system": <s>}
(resource.RUSAGE_CHILDREN: every descendant that was waited for, which is all of them once CMD
exits, except daemons that outlive it, such as Ansible's ssh ControlPersist masters)."""
import json
import resource
import subprocess
import sys


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    rc = subprocess.call(sys.argv[1:])
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.flush()
    print("ZWH-BENCH-CHILD-CPU " + json.dumps({"user": ru.ru_utime, "system": ru.ru_stime}), file=sys.stderr)
    return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main())
