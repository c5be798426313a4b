"""SFTP subsystem for a simulated z/OS host.

Started by the host's login wrapper for `Subsystem sftp`.  With neither the hostileAutocvt nor
the autoTagMount switch on it simply execs the real OpenSSH sftp-server (byte-exact, new files
untagged: zos-uss.md s5.1).  Otherwise it relays SFTP v3 packets between the client (stdin/stdout)
and a child sftp-server and:

* autoTagMount: a file that did not exist before an OPEN with SSH_FXF_CREAT comes up tagged
  `t ISO8859-1` (s1 auto-tag mount, s12).
* hostileAutocvt = "a2e" | "e2a": data written through a handle opened for write+create on a file
  that is untagged at open time is transcoded with the s11 tables (zowex#1090, s5.2).  Files
  pre-tagged (e.g. `chtag -b`) are written raw.
"""

import os
import struct
import sys
import threading

if len(sys.argv) > 1:  # precompiled shims (controller: <dir>/shared/pycache)
    sys.pycache_prefix = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "shared", "pycache")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zsim  # noqa: E402

SFTP_SERVER = os.environ.get("ZWH_SIM_SFTP_SERVER", "/usr/lib/openssh/sftp-server")

FXP_OPEN, FXP_CLOSE, FXP_WRITE = 3, 4, 6
FXP_STATUS, FXP_HANDLE = 101, 102
FXF_WRITE, FXF_CREAT = 0x02, 0x08


def read_exact(fd, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def write_all(fd, data):
    mv = memoryview(data)
    while mv:
        n = os.write(fd, mv)
        mv = mv[n:]


def read_packet(fd):
    hdr = read_exact(fd, 4)
    if hdr is None:
        return None
    (length,) = struct.unpack(">I", hdr)
    body = read_exact(fd, length)
    if body is None:
        return None
    return body


def get_string(body, off):
    (n,) = struct.unpack_from(">I", body, off)
    return body[off + 4: off + 4 + n], off + 4 + n


def main():
    hostdir = sys.argv[1]
    sw = zsim.load_switches(hostdir)
    hostile = sw.get("hostileAutocvt") or False
    autotag = bool(sw.get("autoTagMount"))
    if not hostile and not autotag:
        os.execv(SFTP_SERVER, [SFTP_SERVER])
    table = zsim.E2A if hostile == "e2a" else zsim.A2E

    import subprocess
    child = subprocess.Popen([SFTP_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             bufsize=0)
    c_in = child.stdin.fileno()
    c_out = child.stdout.fileno()
    lock = threading.Lock()
    pending = {}  # request id -> (path, pflags, existed)
    convert = set()  # handles whose writes are transcoded

    def upstream():
        try:
            while True:
                body = read_packet(0)
                if body is None:
                    break
                t = body[0]
                if t == FXP_OPEN:
                    (rid,) = struct.unpack_from(">I", body, 1)
                    name, off = get_string(body, 5)
                    (pflags,) = struct.unpack_from(">I", body, off)
                    path = os.path.join(os.getcwd(), os.fsdecode(name))
                    with lock:
                        pending[rid] = (path, pflags, os.path.lexists(path))
                elif t == FXP_WRITE:
                    handle, off = get_string(body, 5)
                    with lock:
                        conv = handle in convert
                    if conv:
                        off += 8  # uint64 offset
                        data, end = get_string(body, off)
                        body = body[: off + 4] + data.translate(table) + body[end:]
                elif t == FXP_CLOSE:
                    handle, _ = get_string(body, 5)
                    with lock:
                        convert.discard(handle)
                write_all(c_in, struct.pack(">I", len(body)) + body)
        except OSError:
            pass
        finally:
            try:
                child.stdin.close()
            except OSError:
                pass

    th = threading.Thread(target=upstream, daemon=True)
    th.start()
    try:
        while True:
            body = read_packet(c_out)
            if body is None:
                break
            t = body[0]
            if t in (FXP_HANDLE, FXP_STATUS) and len(body) >= 5:
                (rid,) = struct.unpack_from(">I", body, 1)
                with lock:
                    info = pending.pop(rid, None)
                if info is not None and t == FXP_HANDLE:
                    path, pflags, existed = info
                    if pflags & FXF_WRITE and pflags & FXF_CREAT:
                        if autotag and not existed:
                            try:
                                zsim.set_tag(path, 819, True)
                            except OSError:
                                pass
                        if hostile and zsim.get_tag(path) == (0, False):
                            handle, _ = get_string(body, 5)
                            with lock:
                                convert.add(handle)
            write_all(1, struct.pack(">I", len(body)) + body)
    except OSError:
        pass
    child.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
