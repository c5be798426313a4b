import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { envBlock, exportPrefix, pythonHome } from "../../src/remote/env-block";

describe("z/OS env block", () => {
  it("renders the exact prefix without a Python path", () => {
    expect(envBlock()).toBe(
      "export _BPXK_AUTOCVT=ON _CEE_RUNOPTS='FILETAG(AUTOCVT,AUTOTAG) POSIX(ON)' _TAG_REDIR_IN=txt " +
        "_TAG_REDIR_OUT=txt _TAG_REDIR_ERR=txt LANG=C; ",
    );
  });

  it("renders PATH/LIBPATH from the Python SDK home and appends extraEnv", () => {
    expect(envBlock({ pythonPath: "/usr/lpp/IBM/cyp/v3r12/pyz/bin/python3", extraEnv: { PIP_NO_CACHE_DIR: "1", SITE: "a b" } })).toBe(
      "export _BPXK_AUTOCVT=ON _CEE_RUNOPTS='FILETAG(AUTOCVT,AUTOTAG) POSIX(ON)' _TAG_REDIR_IN=txt " +
        "_TAG_REDIR_OUT=txt _TAG_REDIR_ERR=txt LANG=C " +
        'PATH=/usr/lpp/IBM/cyp/v3r12/pyz/bin:"${PATH:-/bin:/usr/bin}" ' +
        'LIBPATH=/usr/lpp/IBM/cyp/v3r12/pyz/lib"${LIBPATH:+:$LIBPATH}" ' +
        "PIP_NO_CACHE_DIR=1 SITE='a b'; ",
    );
  });

  it("derives the SDK home only from <home>/bin/<exe>", () => {
    expect(pythonHome("/usr/lpp/IBM/cyp/v3r12/pyz/bin/python3")).toBe("/usr/lpp/IBM/cyp/v3r12/pyz");
    expect(pythonHome("/u/me/venv/bin/python")).toBe("/u/me/venv");
    expect(pythonHome("python3")).toBeUndefined();
  });

  it("quotes hostile SDK paths and extra values", () => {
    const prefix = envBlock({ pythonPath: "/opt/my py$(id)/bin/python3", extraEnv: { X: "`id`'" } });
    const r = spawnSync("/bin/sh", ["-c", prefix + 'printf "%s|%s|%s" "$PATH" "$X" "$_CEE_RUNOPTS"'], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin" },
    });
    expect(r.stdout).toBe("/opt/my py$(id)/bin:/usr/bin:/bin|`id`'|FILETAG(AUTOCVT,AUTOTAG) POSIX(ON)");
  });

  it("keeps the remote PATH, falls back to /bin:/usr/bin when it is empty, never leaves an empty element", () => {
    const prefix = envBlock({ pythonPath: "/p/bin/python3" });
    const show = 'printf "%s|%s" "$PATH" "${LIBPATH-unset}"';
    const withPath = spawnSync("/bin/sh", ["-c", prefix + show], { encoding: "utf8", env: { PATH: "/sim/bin", LIBPATH: "/l" } });
    expect(withPath.stdout).toBe("/p/bin:/sim/bin|/p/lib:/l");
    const empty = spawnSync("/bin/sh", ["-c", prefix + show], { encoding: "utf8", env: { PATH: "" } });
    expect(empty.stdout).toBe("/p/bin:/bin:/usr/bin|/p/lib");
  });

  it("exportPrefix is empty for no variables", () => {
    expect(exportPrefix({})).toBe("");
    expect(exportPrefix({ A: "1" })).toBe("export A=1; ");
  });
});
