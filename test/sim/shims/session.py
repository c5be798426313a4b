"""Exec session of a simulated z/OS host: channel conversion and CPU accounting.

The host's login wrapper runs every exec request as ``session.py <hostdir> <command>``. It starts
``/bin/sh -c <command>`` (the z/OS login shell, zos-uss.md s5.3) and:

* channelConvert (switch, default on; s5.3, s12 "Exec"): z/OS sshd converts exec stdin/stdout
  between ISO8859-1 and IBM-1047. The simulator's programs are Linux (ASCII) programs, so the text
  they write stands for the EBCDIC text a z/OS program would write, which sshd turns back into the
  same ISO8859-1 text; raw file bytes, however, are taken as EBCDIC and arrive through the s11 E2A
  table. The simulator cannot know where bytes came from, so it decides per line: a line that is
  printable UTF-8 text (tabs, CR, FF, BS and ESC allowed) passes unchanged, any other line
  (including its newline) goes through E2A. Stdin is the mirror: text lines pass, other lines go
  through A2E (what a z/OS program receives). Stderr is not touched (always text, s5.3).
* the session preload (``<hostdir>/zsim_preload.so``, built from zsim_preload.c) is put in the
  shell's LD_PRELOAD: _TAG_REDIR_OUT/ERR tagging and scripts read through their tag (s3, s4).
* CPU accounting like SMF type 30 (issue 9 item 10): one JSON line per exec (and per SFTP
  session, ``kind: "sftp"``, started as ``session.py <hostdir> --sftp``) appended to
  ``<hostdir>/smf30.jsonl``: the command, user and system CPU seconds of the whole process tree
  (wait4 rusage of the shell: it includes every descendant that was waited for), elapsed seconds
  and the exit code.

Stdlib only; runs under the simulator's base Python with -IBS.
"""

import os
import select
import signal
import sys
import threading
import time

# precompiled shims (controller: <dir>/shared/pycache), read-only: -B keeps us from writing
sys.pycache_prefix = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "shared", "pycache")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zsim  # noqa: E402

ACCT_FILE = "smf30.jsonl"
_ALLOWED_CTRL = set(b"\t\r\f\b\x1b\x0b")
FLUSH_IDLE = 0.2  # seconds without output after which a pending partial text line is sent
MAX_PENDING = 1 << 16


def is_text(line):
    """A line a z/OS program could have written as text (see module doc)."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    for b in line:
        if (b < 0x20 and b not in _ALLOWED_CTRL) or b == 0x7F:
            return False
    return True


class LineConverter:
    """Splits a byte stream into lines and converts the non-text ones with `table`."""

    def __init__(self, table):
        self.table = table
        self.pending = b""

    def feed(self, data):
        buf = self.pending + data
        cut = buf.rfind(b"\n") + 1
        done, self.pending = buf[:cut], buf[cut:]
        res = self.convert(done, True)
        if len(self.pending) > MAX_PENDING:
            res += self.convert(self.pending, False)
            self.pending = b""
        return res

    def flush_text_tail(self):
        """The pending partial line, if it is text (an unfinished prompt); else nothing."""
        if self.pending and is_text(self.pending):
            t, self.pending = self.pending, b""
            return t
        return b""

    def finish(self):
        t, self.pending = self.pending, b""
        return self.convert(t, False) if t else b""

    def convert(self, data, complete):
        if not data:
            return b""
        parts = data.split(b"\n")
        if complete:
            parts = parts[:-1]
        out = []
        for k, p in enumerate(parts):
            nl = complete or k < len(parts) - 1
            if is_text(p):
                out.append(p + (b"\n" if nl else b""))
            else:
                out.append((p + (b"\n" if nl else b"")).translate(self.table))
        return b"".join(out)


def write_all(fd, data):
    mv = memoryview(data)
    while mv:
        n = os.write(fd, mv)
        mv = mv[n:]


def _json(v):
    """JSON for str/int/float (json itself costs an import of re and enum per exec)."""
    if isinstance(v, str):
        out = []
        for ch in v:
            o = ord(ch)
            if ch in '"\\':
                out.append("\\" + ch)
            elif o < 0x20 or 0xD800 <= o <= 0xDFFF:
                out.append("\\u%04x" % o)
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


def account(hostdir, rec):
    line = ("{" + ", ".join("%s: %s" % (_json(k), _json(rec[k])) for k in sorted(rec)) + "}\n").encode("utf-8")
    try:
        fd = os.open(os.path.join(hostdir, ACCT_FILE), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as e:
        sys.stderr.write("zwh-sim: cannot write the accounting record: %s\n" % e)


def main():
    hostdir, command = sys.argv[1], sys.argv[2]
    sw = zsim.load_switches(hostdir)
    # "--sftp": the SFTP subsystem (sftp_filter.py) is accounted too, and never converted (s5.1)
    sftp = command == "--sftp"
    convert = bool(sw.get("channelConvert", True)) and not sftp
    if sftp:
        argv = [sys.executable, "-IBS", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "sftp_filter.py"), hostdir]
    else:
        argv = ["sh", "-c", command]
    t0 = time.time()
    start = time.monotonic()
    # SIGPIPE back to default for the child (Python ignores it)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

    if convert:
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        if convert:
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            for fd in (in_r, in_w, out_r, out_w):
                os.close(fd)
        try:
            # the login wrapper started us with `env -i`: LC_CTYPE can only be CPython's C-locale
            # coercion (PEP 538), which must not leak into the z/OS session
            env = {k: v for k, v in os.environ.items() if k != "LC_CTYPE"}
            # the session preload (zsim_preload.c: _TAG_REDIR_OUT/ERR, scripts read through their
            # tag) for every program of the exec; never for the SFTP server
            preload = os.path.join(hostdir, "zsim_preload.so")
            if not sftp and os.path.exists(preload):
                env["LD_PRELOAD"] = preload
            os.execve(sys.executable if sftp else "/bin/sh", argv, env)
        finally:
            os._exit(127)

    if convert:
        os.close(in_r)
        os.close(out_w)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

        def pump_stdin():
            conv = LineConverter(zsim.A2E)
            try:
                while True:
                    data = os.read(0, 65536)
                    if not data:
                        break
                    write_all(in_w, conv.feed(data))
                write_all(in_w, conv.finish())
            except OSError:
                pass
            finally:
                try:
                    os.close(in_w)
                except OSError:
                    pass

        threading.Thread(target=pump_stdin, daemon=True).start()
        conv = LineConverter(zsim.E2A)
        try:
            while True:
                r, _, _ = select.select([out_r], [], [], FLUSH_IDLE)
                if not r:
                    tail = conv.flush_text_tail()
                    if tail:
                        write_all(1, tail)
                    continue
                data = os.read(out_r, 65536)
                if not data:
                    break
                write_all(1, conv.feed(data))
            write_all(1, conv.finish())
        except OSError:
            pass  # client gone: the shell gets SIGPIPE on its next write
        os.close(out_r)

    while True:
        try:
            _, status, ru = os.wait4(pid, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    rc = code if code >= 0 else 128 - code
    account(hostdir, {
        "type": 30,
        "kind": "sftp" if sftp else "exec",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0)),
        "command": "sftp-server" if sftp else command,
        "user": ru.ru_utime,
        "system": ru.ru_stime,
        "cpu": ru.ru_utime + ru.ru_stime,
        "elapsed": time.monotonic() - start,
        "exit": rc,
        **({"signal": -code} if code < 0 else {}),
    })
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return rc


if __name__ == "__main__":
    sys.exit(main())
