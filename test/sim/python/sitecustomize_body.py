# --- z/OS identity for the simulated IBM Open Enterprise SDK for Python (zos-uss.md s6, s12) ---
# This file lives in the SDK's stdlib directory (not site-packages), so every process started
# from this interpreter gets it: `python -I`, venvs created from it, pip's subprocesses.
# (`python -S` skips site and this file; the platform and uname part is also set from the
# stdlib's encodings/__init__.py, see identity_early.py, so `python -I -S` is z/OS too.)
import os as _os
import sys as _sys


def _zwh_load():
    cfg = {"unameSysname": "OS/390", "unameRelease": "29.00", "unameVersion": "04",
           "unameMachine": "8561", "nodename": "LPAR1", "pipTagsInstalledFiles": False,
           "pythonStdinEbcdic": True}
    try:
        import json
        with open(ZWH_SWITCHES, "r", encoding="utf-8") as f:  # noqa: F821 (set by the header)
            cfg.update(json.load(f))
    except Exception:
        pass
    return cfg


_zwh_cfg = _zwh_load()
_sys.platform = "zos"
_zwh_uname = _os.uname_result((_zwh_cfg["unameSysname"], _zwh_cfg["nodename"],
                                _zwh_cfg["unameRelease"], _zwh_cfg["unameVersion"],
                                _zwh_cfg["unameMachine"]))


def _zwh_os_uname():
    return _zwh_uname


_os.uname = _zwh_os_uname

# The SDK keeps pip in <prefix>/lib/python3.X/site-packages. A Debian base interpreter (used when
# the session user cannot run a private pyenv one) only looks in dist-packages: add the SDK's own
# site-packages, but never inside a venv (that would leak the SDK's packages into it).
if _sys.prefix == _sys.base_prefix:
    _zwh_sp = _os.path.join(_sys.prefix, "lib", "python%d.%d" % _sys.version_info[:2], "site-packages")
    if _zwh_sp not in _sys.path and _os.path.isdir(_zwh_sp):
        import site as _site
        _site.addsitedir(_zwh_sp)
if "platform" in _sys.modules:  # drop a cached Linux uname, if any
    _sys.modules["platform"]._uname_cache = None
# sysconfig.get_platform() derives "os390-<release>-<machine>" from os.uname() by itself.


def _zwh_install_pip_tagging():
    """pipTagsInstalledFiles: tag every file a wheel install writes as `t ISO8859-1` (s8, s13)."""
    import importlib.abc
    import importlib.machinery

    target = "pip._internal.operations.install.wheel"

    def tag_record(lib_dirs, distinfo):
        for lib in lib_dirs:
            rec = _os.path.join(lib, distinfo, "RECORD")
            if not _os.path.exists(rec):
                continue
            import csv
            with open(rec, newline="", encoding="utf-8") as f:
                for row in csv.reader(f):
                    if not row:
                        continue
                    p = _os.path.normpath(_os.path.join(lib, row[0]))
                    try:
                        _os.setxattr(p, "user.zos.tag", b"819:1")
                    except OSError:
                        pass
            return

    def patch(mod):
        orig = mod.install_wheel

        def install_wheel(name, wheel_path, scheme, *a, **kw):
            res = orig(name, wheel_path, scheme, *a, **kw)
            try:
                import zipfile
                with zipfile.ZipFile(wheel_path) as z:
                    infos = {n.split("/")[0] for n in z.namelist()
                             if n.split("/")[0].endswith(".dist-info")}
                for d in infos:
                    tag_record([scheme.purelib, scheme.platlib], d)
            except Exception:
                pass
            return res

        mod.install_wheel = install_wheel

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target_=None):
            if fullname != target:
                return None
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is None or spec.loader is None:
                return spec
            loader = spec.loader
            orig_exec = loader.exec_module

            def exec_module(module):
                orig_exec(module)
                patch(module)

            loader.exec_module = exec_module
            return spec

    _sys.meta_path.insert(0, _Finder())


if _zwh_cfg.get("pipTagsInstalledFiles"):
    _zwh_install_pip_tagging()


def _zwh_install_pip_failure(text):
    """pipInstallFails (test switch): pip's wheel installer fails like a full zFS, so pip exits non-zero."""
    import errno
    import importlib.abc
    import importlib.machinery

    target = "pip._internal.operations.install.wheel"

    def install_wheel(*a, **kw):
        raise OSError(errno.ENOSPC, "EDC5133I No space left on device. (simulated: %s)" % text)

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target_=None):
            if fullname != target:
                return None
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is None or spec.loader is None:
                return spec
            orig_exec = spec.loader.exec_module

            def exec_module(module):
                orig_exec(module)
                module.install_wheel = install_wheel

            spec.loader.exec_module = exec_module
            return spec

    _sys.meta_path.insert(0, _Finder())


if _zwh_cfg.get("pipInstallFails"):
    _zwh_install_pip_failure(str(_zwh_cfg.get("pipInstallFails")))


# --- IBM Python specifics (zos-uss.md s9, s12) ---------------------------------------------------
# cp1047: IBM's Python has it, CPython's stdlib does not (LookupError). The z/OS-faithful table of
# s11 (LF <-> 0x15), registered under the names IBM's codec answers to.
_ZWH_E2A = bytes.fromhex(
    "000102039c09867f978d8e0b0c0d0e0f101112139d0a08871819928f1c1d1e1f808182838485171b88898a8b8c0506"
    "07909116939495960498999a9b14159e1a20a0e2e4e0e1e3e5e7f1a22e3c282b7c26e9eaebe8edeeefecdf21242a29"
    "3b5e2d2fc2c4c0c1c3c5c7d1a62c255f3e3ff8c9cacbc8cdcecfcc603a2340273d22d8616263646566676869abbbf0"
    "fdfeb1b06a6b6c6d6e6f707172aabae6b8c6a4b57e737475767778797aa1bfd05bdeaeaca3a5b7a9a7b6bcbdbedda8"
    "af5db4d77b414243444546474849adf4f6f2f3f57d4a4b4c4d4e4f505152b9fbfcf9faff5cf7535455565758595ab2"
    "d4d6d2d3d530313233343536373839b3dbdcd9da9f")


def _zwh_register_cp1047():
    import codecs

    decoding_table = _ZWH_E2A.decode("latin-1")
    encoding_table = codecs.charmap_build(decoding_table)

    def encode(text, errors="strict"):
        return codecs.charmap_encode(text, errors, encoding_table)

    def decode(data, errors="strict"):
        return codecs.charmap_decode(data, errors, decoding_table)

    class IncEnc(codecs.IncrementalEncoder):
        def encode(self, text, final=False):
            return codecs.charmap_encode(text, self.errors, encoding_table)[0]

    class IncDec(codecs.IncrementalDecoder):
        def decode(self, data, final=False):
            return codecs.charmap_decode(data, self.errors, decoding_table)[0]

    class Writer(codecs.StreamWriter):
        def encode(self, text, errors="strict"):
            return encode(text, errors)

    class Reader(codecs.StreamReader):
        def decode(self, data, errors="strict"):
            return decode(data, errors)

    info = codecs.CodecInfo(name="cp1047", encode=encode, decode=decode,
                            incrementalencoder=IncEnc, incrementaldecoder=IncDec,
                            streamwriter=Writer, streamreader=Reader)
    names = {"cp1047", "ibm1047", "ibm_1047", "1047"}

    def search(name):
        return info if name.replace("-", "_").lower() in names else None

    codecs.register(search)


_zwh_register_cp1047()


def _zwh_stdin_source_check():
    """pythonStdinEbcdic (s9): z/OS pipes are untagged and sshd converts stdin to IBM-1047, so
    Python source piped on stdin is EBCDIC to the interpreter: without PYTHONSTDINENCODING it is a
    `SyntaxError: Non-UTF-8 code ...`. The real interpreter is run on the converted bytes so the
    message is CPython's own."""
    if _os.environ.get("PYTHONSTDINENCODING") or _os.environ.get("ZWH_SIM_STDIN_CHECKED"):
        return
    if not _sys.argv or _sys.argv[0] not in ("", "-") or _sys.flags.interactive:
        return
    try:
        if _sys.stdin is None or _sys.stdin.isatty():
            return
    except (OSError, ValueError):
        return
    import subprocess
    a2e = bytes(_ZWH_E2A.index(i) for i in range(256))
    data = _sys.stdin.buffer.read().translate(a2e)
    env = dict(_os.environ, ZWH_SIM_STDIN_CHECKED="1")
    r = subprocess.run([_sys.executable, "-"] + _sys.argv[1:], input=data, env=env)
    _os._exit(r.returncode)


if _zwh_cfg.get("pythonStdinEbcdic", True):
    _zwh_stdin_source_check()
