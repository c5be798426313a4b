
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
    try:
        with open(ZWH_EARLY_SWITCHES, "rb") as f:  # noqa: F821 (set by the header)
            raw = f.read().decode("utf-8")
        import json
        cfg.update(json.loads(raw))
    except Exception:
        pass
    u = os.uname_result((cfg["unameSysname"], cfg["nodename"], cfg["unameRelease"],
                         cfg["unameVersion"], cfg["unameMachine"]))
    os.uname = lambda: u


_zwh_early_identity()
del _zwh_early_identity
