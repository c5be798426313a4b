
# --- appended by test/sim/controller.js: z/OS identity without `site` (zos-uss.md s6) ---
# On z/OS sys.platform is "zos" and os.uname() says OS/390 in every mode, including
# `python -I -S`, which skips site and therefore sitecustomize. `encodings` is imported during
# interpreter start-up before site, so the identity is also set here. sitecustomize sets the
# same values again (idempotent) and adds the rest (switches, pip tagging).
def _zwh_early_identity():
    import sys
    import os
    sys.platform = "zos"
    cfg = {"unameSysname": "OS/390", "unameRelease": "29.00", "unameVersion": "04",
           "unameMachine": "8561", "nodename": "LPAR1"}
    # This early in start-up builtins.open does not exist yet and json is not wanted: read the
    # file with os and its flat "key": "value" pairs by hand.
    try:
        fd = os.open(ZWH_EARLY_SWITCHES, os.O_RDONLY)  # noqa: F821 (set by the header)
        try:
            raw = os.read(fd, 65536).decode("utf-8")
        finally:
            os.close(fd)
        for key in list(cfg):
            i = raw.find('"%s"' % key)
            if i < 0:
                continue
            j = raw.find('"', raw.find(":", i) + 1)
            k = raw.find('"', j + 1)
            if j > 0 and k > j:
                cfg[key] = raw[j + 1:k]
    except Exception:
        pass
    u = os.uname_result((cfg["unameSysname"], cfg["nodename"], cfg["unameRelease"],
                         cfg["unameVersion"], cfg["unameMachine"]))
    os.uname = lambda: u


_zwh_early_identity()
del _zwh_early_identity
