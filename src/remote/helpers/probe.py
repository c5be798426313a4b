# Wheelhouse target probe. Standard library only. Uploaded as a file tagged ISO8859-1 and run
# as `python3 probe.py [--root DIR]` (never piped on stdin). Prints ONE ASCII JSON object.
import json
import os
import platform
import subprocess
import sys
import sysconfig

FORMAT = 1


def _err(e):
    return "%s: %s" % (type(e).__name__, e)


def compatible_tags(errors):
    try:
        from pip._vendor.packaging import tags
        return [str(t) for t in tags.sys_tags()], "pip._vendor.packaging"
    except Exception as e:  # pragma: no cover - depends on the pip version
        errors.append("sys_tags: " + _err(e))
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "debug", "--verbose"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=300).stdout
    except Exception as e:
        errors.append("pip debug: " + _err(e))
        return [], "none"
    result, inside = [], False
    for line in out.splitlines():
        if line.startswith("Compatible tags:"):
            inside = True
            continue
        if inside:
            if line.startswith(" ") and line.strip():
                result.append(line.strip())
            elif line.strip():
                break
    return result, "pip debug --verbose"


def marker_env(errors):
    try:
        from pip._vendor.packaging.markers import default_environment
        return dict(default_environment())
    except Exception as e:
        errors.append("default_environment: " + _err(e))
    impl = sys.implementation
    iv = "%d.%d.%d" % impl.version[:3]
    if impl.version.releaselevel != "final":
        iv += impl.version.releaselevel[0] + str(impl.version.serial)
    return {
        "implementation_name": impl.name,
        "implementation_version": iv,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def pip_version(errors):
    try:
        import pip
        return pip.__version__
    except Exception as e:
        errors.append("import pip: " + _err(e))
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=120).stdout
        parts = out.split()
        return parts[1] if len(parts) > 1 and parts[0] == "pip" else None
    except Exception as e:
        errors.append("pip --version: " + _err(e))
        return None


def space(root, errors):
    if root is None:
        return None
    probe = root
    while probe and not os.path.exists(probe):
        parent = os.path.dirname(probe.rstrip("/")) or "/"
        if parent == probe:
            break
        probe = parent
    info = {"path": root, "exists": os.path.isdir(root), "measuredAt": probe,
            "freeBytes": None, "totalBytes": None, "writable": None}
    try:
        st = os.statvfs(probe)
        info["freeBytes"] = st.f_bavail * st.f_frsize
        info["totalBytes"] = st.f_blocks * st.f_frsize
        info["writable"] = os.access(probe, os.W_OK)
    except Exception as e:
        errors.append("statvfs: " + _err(e))
    return info


def main(argv):
    root = None
    if len(argv) >= 2 and argv[0] == "--root":
        root = argv[1]
    errors = []
    u = os.uname()
    tags, tags_source = compatible_tags(errors)
    out = {
        "formatVersion": FORMAT,
        "python": {
            "path": sys.executable,
            "version": platform.python_version(),
            "versionInfo": list(sys.version_info[:3]),
            "implementation": sys.implementation.name,
            "sysPlatform": sys.platform,
            "platformSystem": platform.system(),
            "sysconfigPlatform": sysconfig.get_platform(),
            "prefix": sys.prefix,
            "basePrefix": getattr(sys, "base_prefix", sys.prefix),
            "inVenv": getattr(sys, "base_prefix", sys.prefix) != sys.prefix,
            "banner": sys.version.replace("\n", " "),
            "filesystemEncoding": sys.getfilesystemencoding(),
            "preferredEncoding": __import__("locale").getpreferredencoding(False),
        },
        "osUname": {"sysname": u.sysname, "nodename": u.nodename, "release": u.release,
                    "version": u.version, "machine": u.machine},
        "pip": {"version": pip_version(errors)},
        "compatibleTags": tags,
        "compatibleTagsSource": tags_source,
        "markerEnv": marker_env(errors),
        "root": space(root, errors),
        "home": os.environ.get("HOME"),
        "errors": errors,
    }
    sys.stdout.write(json.dumps(out, ensure_ascii=True, sort_keys=True))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
