"""z/OS USS simulator shims: chtag, ls, uname, iconv, cat, readlink, sha256, hostname, pax.

Every command on a simulated host's PATH that is not a plain symlink to a Linux tool is a tiny
generated wrapper that calls ``main(<command>, <hostdir>, argv)`` here.  Facts come from
/work/shared/reference/zos-uss.md (section numbers in comments).  Stdlib only.
"""

import os
import stat
import sys

TAG_XATTR = "user.zos.tag"  # value: b"<ccsid>:<txtflag 0|1>"; absent = untagged (s12 "Tag store")

# s1: code set names and numbers are interchangeable; a name is stored as its number.
CCSID_NAMES = {
    0: "untagged",
    37: "IBM-037",
    273: "IBM-273",
    500: "IBM-500",
    819: "ISO8859-1",
    850: "IBM-850",
    1047: "IBM-1047",
    1140: "IBM-1140",
    1208: "UTF-8",
    65535: "binary",
}
NAME_TO_CCSID = {v.upper(): k for k, v in CCSID_NAMES.items() if k != 0}
NAME_TO_CCSID.update({"ISO-8859-1": 819, "IBM1047": 1047, "UTF8": 1208, "BINARY": 65535})

DEFAULT_SWITCHES = {
    "unameSysname": "OS/390",
    "unameRelease": "29.00",
    "unameVersion": "04",
    "unameMachine": "8561",
    "nodename": "LPAR1",
    "strictUntaggedText": True,
    "pipTagsInstalledFiles": False,
    "hostileAutocvt": False,
    "autoTagMount": False,
    "noSha256": True,
    "strictPosix": True,
    "channelConvert": True,
    "pythonStdinEbcdic": True,
}

# s11: z/OS-faithful tables (glibc IBM1047 with the 0x15/0x25 swap); inverse permutations.
A2E_HEX = (
    "00010203372d2e2f1605150b0c0d0e0f101112133c3d322618193f271c1d1e1f405a7f7b5b6c507d4d5d5c4e6b60"
    "4b61f0f1f2f3f4f5f6f7f8f97a5e4c7e6e6f7cc1c2c3c4c5c6c7c8c9d1d2d3d4d5d6d7d8d9e2e3e4e5e6e7e8e9ad"
    "e0bd5f6d79818283848586878889919293949596979899a2a3a4a5a6a7a8a9c04fd0a107202122232425061728292a"
    "2b2c090a1b30311a333435360838393a3b04143eff41aa4ab19fb26ab5bbb49a8ab0caafbc908feafabea0b6b39dda"
    "9b8bb7b8b9ab6465626663679e687471727378757677ac69edeeebefecbf80fdfefbfcbaae594445424643479c4854"
    "515253585556578c49cdcecbcfcce170dddedbdc8d8edf"
)
E2A_HEX = (
    "000102039c09867f978d8e0b0c0d0e0f101112139d0a08871819928f1c1d1e1f808182838485171b88898a8b8c0506"
    "07909116939495960498999a9b14159e1a20a0e2e4e0e1e3e5e7f1a22e3c282b7c26e9eaebe8edeeefecdf21242a29"
    "3b5e2d2fc2c4c0c1c3c5c7d1a62c255f3e3ff8c9cacbc8cdcecfcc603a2340273d22d8616263646566676869abbbf0"
    "fdfeb1b06a6b6c6d6e6f707172aabae6b8c6a4b57e737475767778797aa1bfd05bdeaeaca3a5b7a9a7b6bcbdbedda8"
    "af5db4d77b414243444546474849adf4f6f2f3f57d4a4b4c4d4e4f505152b9fbfcf9faff5cf7535455565758595ab2"
    "d4d6d2d3d530313233343536373839b3dbdcd9da9f"
)
A2E = bytes.fromhex(A2E_HEX)
E2A = bytes.fromhex(E2A_HEX)
assert len(A2E) == 256 and len(E2A) == 256


# ---------------------------------------------------------------------------------------------
# host configuration


def parse_switches(text):
    """switches.json (written by the controller: a flat object of strings, numbers, booleans).
    Parsed as a Python expression with JSON's three names, because importing json (re, enum)
    costs more than the rest of a shim: every simulated command pays it."""
    return eval(compile(text, "switches.json", "eval"),  # noqa: S307 (our own file)
                {"__builtins__": {}, "true": True, "false": False, "null": None})


def load_switches(hostdir):
    sw = dict(DEFAULT_SWITCHES)
    try:
        with open(os.path.join(hostdir, "switches.json"), "r", encoding="utf-8") as f:
            sw.update(parse_switches(f.read()))
    except (OSError, ValueError):
        pass
    return sw


def out(s):
    sys.stdout.write(s)


def err(s):
    sys.stderr.write(s + "\n")


def fsname(p):
    return os.fsdecode(p) if isinstance(p, bytes) else p


# ---------------------------------------------------------------------------------------------
# tag store (s1, s12): a user.* xattr lives on the inode, so rename and O_TRUNC overwrite keep it
# and unlink + create clears it.


def get_tag(path, follow=True):
    """Return (ccsid, txt) or (0, False) for untagged."""
    try:
        raw = os.getxattr(path, TAG_XATTR, follow_symlinks=follow)
    except OSError:
        return (0, False)
    try:
        a, b = raw.decode("ascii").split(":")
        return (int(a), b == "1")
    except ValueError:
        return (0, False)


def set_tag(path, ccsid, txt, follow=True):
    if ccsid == 0 and not txt:
        try:
            os.removexattr(path, TAG_XATTR, follow_symlinks=follow)
        except OSError as e:
            if e.errno not in (61,):  # ENODATA: already untagged
                raise
        return
    os.setxattr(path, TAG_XATTR, ("%d:%d" % (ccsid, 1 if txt else 0)).encode("ascii"),
                follow_symlinks=follow)


def ccsid_name(ccsid):
    return CCSID_NAMES.get(ccsid, str(ccsid))


def tag_prefix(ccsid, txt):
    """The fixed 20-character prefix of s2: "%c %-12sT=%-3s "."""
    if ccsid == 65535:
        c = "b"
    elif txt:
        c = "t"
    elif ccsid == 0:
        c = "-"
    else:
        c = "m"
    return "%c %-12sT=%-3s " % (c, ccsid_name(ccsid), "on" if txt else "off")


BLANK_PREFIX = " " * 20


def parse_codeset(value):
    v = value.strip()
    if v.isdigit():
        n = int(v)
        if n in CCSID_NAMES and n != 0:
            return n
        return None
    return NAME_TO_CCSID.get(v.upper())


def edc_message(e):
    """z/OS LE message text for an OSError (s10)."""
    import errno as _e
    if e.errno == _e.ENOENT:
        return "EDC5129I No such file or directory."
    if e.errno in (_e.EACCES, _e.EPERM):
        return "EDC5111I Permission denied."
    if e.errno == _e.EMFILE:
        return "EDC5124I Too many open files."
    if e.errno == _e.ENOTDIR:
        return "EDC5135I Not a directory."
    if e.errno in (_e.ENOTSUP, getattr(_e, "EOPNOTSUPP", 95)):
        return "EDC5247I Operation not supported."
    return "EDC5%03dI %s." % (e.errno % 1000, os.strerror(e.errno))


# ---------------------------------------------------------------------------------------------
# chtag (s1.1). Usage and exclusivity messages are modelled on FSUM style; their numbers are not
# captured from a real system (s13).

CHTAG_USAGE = (
    "Usage: chtag -b | -r [-hqRv] pathname ...\n"
    "       chtag -c codeset [-hqRv] pathname ...\n"
    "       chtag -m | -t [-c codeset] [-hqRv] pathname ...\n"
    "       chtag -p [-hqRv] pathname ..."
)


def chtag_usage(msg):
    err("chtag: " + msg)
    err(CHTAG_USAGE)
    return 2


def chtag(argv, hostdir):
    flags = set()
    codeset = None
    operands = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            operands.extend(argv[i + 1:])
            break
        if a.startswith("-") and len(a) > 1 and not operands:
            j = 1
            while j < len(a):
                ch = a[j]
                if ch == "c":
                    rest = a[j + 1:]
                    if rest:
                        codeset = rest
                    else:
                        i += 1
                        if i >= len(argv):
                            return chtag_usage('FSUM5011 Option "-c" requires an argument.')
                        codeset = argv[i]
                    flags.add("c")
                    break
                if ch not in "tbmrpRhqv":
                    return chtag_usage('FSUM5006 Unknown option "-%s".' % ch)
                flags.add(ch)
                j += 1
            i += 1
            continue
        operands.append(a)
        i += 1

    rules = {
        "b": "cmtr",
        "r": "bcmt",
        "m": "tbr",
        "t": "mbr",
        "c": "rb",
        "p": "bcmrt",
    }
    for f, bad in rules.items():
        if f in flags:
            for g in bad:
                if g in flags:
                    return chtag_usage(
                        "FSUMF171 Options -%s and -%s are mutually exclusive." % tuple(sorted((f, g))))
    if not flags & set("bcmrtp"):
        return chtag_usage("FSUMF172 Specify one of the options -b, -c, -m, -p, -r or -t.")
    if not operands:
        return chtag_usage("FSUMF173 Missing pathname operand.")
    ccsid_req = None
    if "c" in flags:
        ccsid_req = parse_codeset(codeset)
        if ccsid_req is None:
            err('chtag: FSUMF174 Code set "%s" is not valid.' % codeset)
            return 1
    recurse = "R" in flags
    nolink = "h" in flags
    verbose = "v" in flags
    rc = 0

    def failed(path, e):
        """FSUMF180 for one operand; chtag carries on with the others and exits 1."""
        nonlocal rc
        err('chtag: FSUMF180 file "%s": %s' % (path, edc_message(e)))
        rc = 1

    def apply(path):
        try:
            st = os.lstat(path)
        except OSError as e:
            return failed(path, e)
        if stat.S_ISLNK(st.st_mode):
            if nolink:
                return
            try:
                st = os.stat(path)
            except OSError as e:
                return failed(path, e)
        if stat.S_ISDIR(st.st_mode):
            if recurse:
                try:
                    names = sorted(os.listdir(path))
                except OSError as e:
                    return failed(path, e)
                for n in names:
                    apply(os.path.join(path, n))
            elif "p" in flags:
                out(BLANK_PREFIX + path + "\n")
            return
        cur = get_tag(path)
        if "p" in flags:
            out(tag_prefix(*cur) + path + "\n")
            return
        ccsid, txt = cur
        if "r" in flags:
            ccsid, txt = 0, False
        elif "b" in flags:
            ccsid, txt = 65535, False
        elif "t" in flags:
            ccsid, txt = (ccsid_req if ccsid_req is not None else ccsid), True
        elif "m" in flags:
            ccsid, txt = (ccsid_req if ccsid_req is not None else ccsid), False
        else:  # -c alone: untagged (or binary) becomes mixed; otherwise the text flag is kept
            if ccsid in (0, 65535):
                txt = False
            ccsid = ccsid_req
        try:
            if not os.access(path, os.W_OK):
                raise PermissionError(13, "Permission denied")
            set_tag(path, ccsid, txt)
        except OSError as e:
            return failed(path, e)
        if verbose:
            out("%s%s\n" % (tag_prefix(ccsid, txt), path))

    for p in operands:
        apply(p)
    return rc


# ---------------------------------------------------------------------------------------------
# ls (s2): -T adds the 20-character tag prefix; everything else is the real ls.

REAL_LS = "/bin/ls"


def _c_unquote(s, i):
    """Parse a GNU ls --quoting-style=c string starting at s[i] == '"'. Returns (bytes, next)."""
    assert s[i] == 0x22
    i += 1
    outb = bytearray()
    esc = {ord("n"): 10, ord("t"): 9, ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("r"): 13,
           ord("v"): 11, ord('"'): 0x22, ord("\\"): 0x5C, ord("?"): 0x3F, ord("'"): 0x27}
    while i < len(s):
        c = s[i]
        if c == 0x22:
            return bytes(outb), i + 1
        if c == 0x5C and i + 1 < len(s):
            d = s[i + 1]
            if 0x30 <= d <= 0x37:
                j = i + 1
                k = 0
                v = 0
                while j < len(s) and k < 3 and 0x30 <= s[j] <= 0x37:
                    v = v * 8 + (s[j] - 0x30)
                    j += 1
                    k += 1
                outb.append(v & 0xFF)
                i = j
                continue
            outb.append(esc.get(d, d))
            i += 2
            continue
        outb.append(c)
        i += 1
    return bytes(outb), i


def _render_quoted(line):
    """Replace every c-quoted string in an ls line with its literal bytes.
    Returns (literal_line, first_name_bytes_or_None, start_index_of_name_in_literal)."""
    res = bytearray()
    first = None
    start = None
    i = 0
    while i < len(line):
        if line[i] == 0x22:
            name, i = _c_unquote(line, i)
            if first is None:
                first = name
                start = len(res)
            res += name
        else:
            res.append(line[i])
            i += 1
    return bytes(res), first, start


def ls(argv, hostdir):
    opts = []
    operands = []
    want_t = False
    long_mode = False
    dir_only = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            operands.extend(argv[i + 1:])
            break
        if a.startswith("-") and len(a) > 1 and not a.startswith("--"):
            letters = a[1:]
            if "T" in letters:
                want_t = True
                letters = letters.replace("T", "")
            if any(ch in letters for ch in "lnog"):
                long_mode = True
            if "d" in letters:
                dir_only = True
            if letters:
                opts.append("-" + letters)
        elif a.startswith("--"):
            opts.append(a)
        else:
            operands.append(a)
        i += 1
    import subprocess
    cmd = [REAL_LS] + opts + ([] if long_mode else ["-1"]) + ["--quoting-style=c", "--"] + operands
    p = subprocess.run(["ls"] + cmd[1:], executable=REAL_LS, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    _ls_errors(p.stderr)
    ctx = None
    if not dir_only:
        if not operands:
            ctx = b"."
        elif len(operands) == 1 and os.path.isdir(operands[0]):
            ctx = os.fsencode(operands[0])
    w = sys.stdout.buffer
    for line in p.stdout.split(b"\n"):
        if line == b"":
            w.write(b"\n")
            continue
        if line.startswith(b'"') and line.endswith(b'":'):
            name, nxt = _c_unquote(line, 0)
            if nxt == len(line) - 1:
                ctx = name
                w.write(name + b":\n")
                continue
        if long_mode and line.startswith(b"total "):
            w.write(line + b"\n")
            continue
        lit, name, start = _render_quoted(line)
        if name is None:
            w.write(line + b"\n")
            continue
        path = name if ctx is None else os.path.join(ctx, name)
        prefix = _ls_prefix(path, long_mode)
        w.write(prefix.encode("ascii") + lit + b"\n")
    # ls output ends with "\n"; split produced one trailing empty element we wrote as "\n" - undo.
    w.flush()
    return p.returncode


def _ls_prefix(path, long_mode):
    try:
        st = os.lstat(path) if long_mode else os.stat(path)
    except OSError:
        return BLANK_PREFIX
    if not stat.S_ISREG(st.st_mode):
        return BLANK_PREFIX
    return tag_prefix(*get_tag(path))


def _ls_errors(data):
    # GNU: ls: cannot access 'x': No such file or directory  ->  z/OS FSUM style
    import re
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        m = re.match(r"^ls: cannot access '(.*)': No such file or directory$", line)
        if m:
            err('ls: FSUM6785 File or directory "%s" is not found' % m.group(1))
        else:
            err(line)


def ls_main(argv, hostdir):
    # run ls and strip the extra trailing newline produced by split()
    import io
    real_stdout = sys.stdout
    buf = io.BytesIO()

    class W:
        buffer = buf

        def write(self, s):
            buf.write(s.encode())

        def flush(self):
            pass

    if load_switches(hostdir).get("strictPosix", True):
        for a in argv:
            if a == "--":
                break
            if a.startswith("--"):  # z/OS ls has no long options (strictPosix, issue 9 item 4)
                err('ls: FSUM5006 Unknown option "%s".' % a.split("=")[0])
                return 2
    if not any(a.startswith("-") and not a.startswith("--") and "T" in a for a in argv
               if a != "--"):
        os.execv(REAL_LS, ["ls"] + argv)
    sys.stdout = W()
    try:
        rc = ls(argv, hostdir)
    finally:
        sys.stdout = real_stdout
    data = buf.getvalue()
    if data.endswith(b"\n\n"):
        data = data[:-1]
    elif data == b"\n":
        data = b""
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return rc


# ---------------------------------------------------------------------------------------------
# uname (s6)


def uname(argv, hostdir):
    sw = load_switches(hostdir)
    fields = [
        ("s", sw["unameSysname"]),
        ("n", sw["nodename"]),
        ("r", sw["unameRelease"]),
        ("v", sw["unameVersion"]),
        ("m", sw["unameMachine"]),
    ]
    sel = set()
    for a in argv:
        if not a.startswith("-") or len(a) < 2:
            err("uname: FSUM5008 Too many arguments.")
            err("Usage: uname [-amnrsvlI]")
            return 2
        for ch in a[1:]:
            if ch == "a":
                sel.update("snrvm")
            elif ch in "snrvm":
                sel.add(ch)
            else:
                err('uname: FSUM5006 Unknown option "-%s".' % ch)
                err("Usage: uname [-amnrsv]")
                return 2
    if not sel:
        sel.add("s")
    out(" ".join(v for k, v in fields if k in sel) + "\n")
    return 0


# ---------------------------------------------------------------------------------------------
# iconv (s11) with z/OS code set names.

ICONV_SETS = {
    "ISO8859-1": 819, "ISO-8859-1": 819, "819": 819, "ISO8859_1": 819,
    "IBM-1047": 1047, "1047": 1047, "IBM1047": 1047,
    "UTF-8": 1208, "1208": 1208, "UTF8": 1208,
}
# every other code set chtag accepts (CCSID_NAMES) is known to iconv too, by name and number;
# Python's stdlib codecs provide them (issue 9 item 9)
STDLIB_CODECS = {37: "cp037", 273: "cp273", 500: "cp500", 850: "cp850", 1140: "cp1140"}
for _n, _c in list(NAME_TO_CCSID.items()):
    if _c in STDLIB_CODECS:
        ICONV_SETS.setdefault(_n, _c)
        ICONV_SETS.setdefault(str(_c), _c)


def _to_unicode(data, cs):
    if cs in STDLIB_CODECS:
        return data.decode(STDLIB_CODECS[cs])
    if cs == 819:
        return data.decode("latin-1")
    if cs == 1047:
        return data.translate(E2A).decode("latin-1")
    return data.decode("utf-8")


def _from_unicode(text, cs, omit):
    errors = "ignore" if omit else "strict"
    if cs in STDLIB_CODECS:
        return text.encode(STDLIB_CODECS[cs], errors)
    if cs == 819:
        return text.encode("latin-1", errors)
    if cs == 1047:
        return text.encode("latin-1", errors).translate(A2E)
    return text.encode("utf-8")


def iconv(argv, hostdir):
    src = dst = None
    omit = False
    files = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "-l":
            names = sorted({c: n for n, c in ICONV_SETS.items() if not n.isdigit() and n == CCSID_NAMES.get(c, "").upper()}.items())
            out("".join("%s %d\n" % (CCSID_NAMES[c], c) for c, _ in names))
            return 0
        if a == "-c":
            omit = True
        elif a.startswith("-f") or a.startswith("-t"):
            v = a[2:]
            if not v:
                i += 1
                if i >= len(argv):
                    err("iconv: FSUM6322 Option -%s requires an argument." % a[1])
                    return 2
                v = argv[i]
            if a[1] == "f":
                src = v
            else:
                dst = v
        elif a == "--":
            files.extend(argv[i + 1:])
            break
        elif a.startswith("-") and a != "-":
            err('iconv: FSUM5006 Unknown option "%s".' % a)
            err("Usage: iconv [-sc] -f fromcode -t tocode [file ...]")
            return 2
        else:
            files.append(a)
        i += 1
    if src is None or dst is None:
        err("Usage: iconv [-sc] -f fromcode -t tocode [file ...]")
        return 2
    s = ICONV_SETS.get(src.upper())
    d = ICONV_SETS.get(dst.upper())
    if s is None or d is None:
        err('iconv: FSUM6373 Cannot open converter from "%s" to "%s".' % (src, dst))
        return 1
    rc = 0
    for f in files or ["-"]:
        try:
            if f == "-":
                data = sys.stdin.buffer.read()
            else:
                with open(f, "rb") as fh:
                    data = fh.read()
        except OSError as e:
            err('iconv: FSUM6373 file "%s": %s' % (f, edc_message(e)))
            rc = 1
            continue
        if s == d:
            res = data
        elif s == 819 and d == 1047:
            res = data.translate(A2E)
        elif s == 1047 and d == 819:
            res = data.translate(E2A)
        else:
            try:
                res = _from_unicode(_to_unicode(data, s), d, omit)
            except UnicodeError:
                err("iconv: FSUM6375 Conversion error: input contains a character that is not "
                    "valid in the source or target code set.")
                return 1
        sys.stdout.buffer.write(res)
    sys.stdout.flush()
    return rc


# ---------------------------------------------------------------------------------------------
# cat: plain /bin/cat unless strictUntaggedText is on (s4): then the client sees what a z/OS
# EBCDIC `cat` plus sshd's EBCDIC->ISO8859-1 channel conversion would produce.


def cat(argv, hostdir):
    sw = load_switches(hostdir)
    if not sw.get("strictUntaggedText"):
        os.execv("/bin/cat", ["cat"] + argv)
    files = [a for a in argv if not (a.startswith("-") and a != "-")]
    rc = 0
    w = sys.stdout.buffer
    for f in files or ["-"]:
        if f == "-":
            w.write(sys.stdin.buffer.read())
            continue
        try:
            with open(f, "rb") as fh:
                data = fh.read()
        except OSError as e:
            err('cat: FSUM6181 file "%s": %s' % (f, edc_message(e)))
            rc = 1
            continue
        w.write(_as_read_by_zos(f, data))
    w.flush()
    return rc


# ---------------------------------------------------------------------------------------------
# head, grep, sed, awk under strictUntaggedText read their FILE operands through the tag, like cat
# (s3, s4): each file operand is replaced by a pipe carrying what cat would show. Output that names
# files (grep with several files, head's ==> headers) names the pipe (/dev/fd/N): a limitation.

TAG_READERS = {
    # tool: (real path, option letters taking a value, "first operand is a script unless -e/-f")
    "head": ("/usr/bin/head", "nc", ""),
    "grep": ("/usr/bin/grep", "efmABCD", "ef"),
    "sed": ("/usr/bin/sed", "ef", "ef"),
    "awk": ("/usr/bin/awk", "fvF", "f"),
}


NATIVE_XATTR = "user.zsim.native"


def is_native(path):
    """True for a file whose bytes are the text of a z/OS EBCDIC program as the simulator stores
    it: the session preload (zsim_preload.c) marks the files such programs write on stdout/stderr."""
    try:
        os.getxattr(path, NATIVE_XATTR)
        return True
    except OSError:
        return False


def _as_read_by_zos(path, data):
    """What a client sees when a z/OS EBCDIC program (cat, head, grep, sed, awk) shows the file
    through sshd's EBCDIC->ISO8859-1 channel conversion (s3, s4, s5.3)."""
    ccsid, txt = get_tag(path)
    autocvt = os.environ.get("_BPXK_AUTOCVT", "OFF").upper() in ("ON", "ALL")
    ascii_cvt = txt and ccsid in (819, 1208) and autocvt
    if is_native(path):
        # EBCDIC text: read as it is, unless AUTOCVT converts it as if it were ASCII
        return data.translate(A2E) if ascii_cvt else data
    if ascii_cvt:
        return data
    # untagged counts as EBCDIC; b/m never converted; ASCII-tagged without AUTOCVT; t IBM-1047
    return data.translate(E2A)


def tag_reader(tool, argv, hostdir):
    real, argletters, scriptopts = TAG_READERS[tool]
    if not load_switches(hostdir).get("strictUntaggedText"):
        os.execv(real, [tool] + argv)
    if tool == "sed" and any(a.startswith("-") and not a.startswith("--") and "i" in a.split("e")[0]
                             for a in argv):
        os.execv(real, [tool] + argv)  # GNU sed -i (strictPosix off) edits the file itself
    files = []  # indexes of file operands
    have_script = False
    need_script = bool(scriptopts)
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a.startswith("-") and len(a) > 1 and not a[1:].isdigit():
            for k, ch in enumerate(a[1:]):
                if ch in argletters:
                    if ch in scriptopts:
                        have_script = True
                    if k == len(a) - 2:
                        i += 1
                    break
            i += 1
            continue
        break
    rest = list(range(i, len(argv)))
    if need_script and not have_script and rest:
        rest = rest[1:]
    for j in rest:
        a = argv[j]
        if tool == "awk" and "=" in a and a.split("=", 1)[0].isidentifier():
            continue
        if a != "-":
            files.append(j)
    if not files:
        os.execv(real, [tool] + argv)
    args = list(argv)
    for j in files:
        try:
            with open(argv[j], "rb") as fh:
                data = _as_read_by_zos(argv[j], fh.read())
        except OSError:
            continue  # the tool reports it
        r, w = os.pipe()
        if os.fork() == 0:
            os.close(r)
            try:
                mv = memoryview(data)
                while mv:
                    mv = mv[os.write(w, mv):]
            except OSError:
                pass
            os._exit(0)
        os.close(w)
        os.set_inheritable(r, True)
        args[j] = "/dev/fd/%d" % r
    os.execv(real, [tool] + args)


# ---------------------------------------------------------------------------------------------
# readlink: present without GNU's -f (s12 "absent tools")


def readlink(argv, hostdir):
    ops = []
    for a in argv:
        if a.startswith("-") and len(a) > 1:
            err('readlink: FSUM5006 Unknown option "%s".' % a)
            err("Usage: readlink pathname")
            return 2
        ops.append(a)
    if len(ops) != 1:
        err("Usage: readlink pathname")
        return 2
    try:
        out(os.readlink(ops[0]) + "\n")
    except OSError as e:
        # s10 shape of a file error (FSUM6258 as in the mv mock); the readlink number itself is
        # not captured from a real system (s13), see test/sim/README.md
        err('readlink: FSUM6258 cannot open file "%s": %s' % (ops[0], edc_message(e)))
        return 1
    return 0


# ---------------------------------------------------------------------------------------------
# sha256: only on PATH when the noSha256 switch is off (s5.3, unverified on base z/OS)


def sha256(argv, hostdir):
    rev = False
    files = []
    for a in argv:
        if a == "-r":
            rev = True
        elif a.startswith("-") and a != "-":
            err('sha256: FSUM5006 Unknown option "%s".' % a)
            return 2
        else:
            files.append(a)
    rc = 0
    for f in files or ["-"]:
        import hashlib
        h = hashlib.sha256()
        try:
            fh = sys.stdin.buffer if f == "-" else open(f, "rb")
            with fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        except OSError as e:
            err('sha256: FSUM6258 cannot open file "%s": %s' % (f, edc_message(e)))
            rc = 1
            continue
        if rev:
            out("%s %s\n" % (h.hexdigest(), f))
        else:
            out("SHA256 (%s) = %s\n" % (f, h.hexdigest()))
    return rc


# ---------------------------------------------------------------------------------------------
# hostname: the LPAR's node name, as uname -n (s6), not the Linux host name of the simulator.


def hostname(argv, hostdir):
    if argv:
        err('hostname: FSUM5006 Unknown option "%s".' % argv[0])
        err("Usage: hostname")
        return 2
    out(load_switches(hostdir)["nodename"] + "\n")
    return 0


# ---------------------------------------------------------------------------------------------
# pax (s1.1): tags are kept only with the extended formats (-x pax, -o saveext, -x os390). The
# Debian pax has none of them, so those archives are written (and every archive is read) by GNU
# tar in pax format with the tag xattr in the extended header; other uses run the Debian pax.

REAL_PAX = "/usr/bin/pax"
REAL_TAR = "/bin/tar"


def pax(argv, hostdir):
    mode_r = mode_w = verbose = gz = False
    archive = None
    fmt = None
    opts = []
    operands = []
    other = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            operands.extend(argv[i + 1:])
            break
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                ch = a[j]
                if ch in "fxop":
                    val = a[j + 1:]
                    if not val:
                        i += 1
                        if i >= len(argv):
                            err('pax: FSUM5011 Option "-%s" requires an argument.' % ch)
                            return 2
                        val = argv[i]
                    if ch == "f":
                        archive = val
                    elif ch == "x":
                        fmt = val
                    elif ch == "o":
                        opts.extend(val.split(","))
                    else:
                        other = True
                    break
                if ch == "r":
                    mode_r = True
                elif ch == "w":
                    mode_w = True
                elif ch == "v":
                    verbose = True
                elif ch == "z":
                    gz = True
                else:
                    other = True
                j += 1
        else:
            operands.append(a)
        i += 1
    extended = "saveext" in opts or fmt in ("pax", "os390")
    if mode_w and not mode_r and extended and not other:
        cmd = [REAL_TAR, "-c", "--format=pax", "--xattrs", "--xattrs-include=user.zos.tag",
               "-f", archive or "-"] + (["-z"] if gz else []) + (["-v"] if verbose else [])
        os.execv(REAL_TAR, cmd + ["--"] + (operands or ["."]))
    if mode_r and not mode_w and not other and archive:
        cmd = [REAL_TAR, "-x", "--xattrs", "--xattrs-include=user.zos.tag", "-f", archive]
        cmd += (["-z"] if gz else []) + (["-v"] if verbose else [])
        os.execv(REAL_TAR, cmd + ["--"] + operands)
    rest = [a for a in argv]
    if fmt in ("pax", "os390") or opts:  # Debian pax knows neither; drop them for plain archives
        rest = []
        skip = False
        for k, a in enumerate(argv):
            if skip:
                skip = False
                continue
            if a in ("-x", "-o") and k + 1 < len(argv):
                skip = True
                continue
            if a.startswith("-x") or a.startswith("-o"):
                continue
            rest.append(a)
    os.execv(REAL_PAX, ["pax"] + rest)


COMMANDS = {
    "head": lambda argv, hostdir: tag_reader("head", argv, hostdir),
    "grep": lambda argv, hostdir: tag_reader("grep", argv, hostdir),
    "sed": lambda argv, hostdir: tag_reader("sed", argv, hostdir),
    "awk": lambda argv, hostdir: tag_reader("awk", argv, hostdir),
    "hostname": hostname,
    "pax": pax,
    "chtag": chtag,
    "ls": ls_main,
    "uname": uname,
    "iconv": iconv,
    "cat": cat,
    "readlink": readlink,
    "sha256": sha256,
}


def main(cmd, hostdir, argv):
    try:
        rc = COMMANDS[cmd](argv, hostdir)
    except BrokenPipeError:
        rc = 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return rc
