# --- z/OS identity for the simulated IBM Open Enterprise SDK for Python (zos-uss.md s6, s12) ---
# This file lives in the SDK's stdlib directory (not site-packages), so every process started
# from this interpreter gets it: `python -I`, venvs created from it, pip's subprocesses.
# (`python -S` skips site and therefore this file: a documented limitation.)
import os as _os
import sys as _sys


def _zwh_load():
    cfg = {"unameSysname": "OS/390", "unameRelease": "29.00", "unameVersion": "04",
           "unameMachine": "8561", "nodename": "LPAR1", "pipTagsInstalledFiles": False}
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
