import { execFileSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { homedir, tmpdir } from "os";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { errorCode } from "../support/unit";
import { prepareAuth } from "../../src/remote/auth";
import { DEFAULT_PYTHON } from "../../src/remote/target";
import { targetSpecFromArgs } from "../../src/remote/target-args";
import { connectTarget } from "../../src/remote/connection";
import { startUssHosts, type SimCluster } from "../sim";

const code = errorCode;

describe("targetSpecFromArgs", () => {
  it("maps the target options", () => {
    const spec = targetSpecFromArgs(
      {
        host: "lpar1", port: 2222, user: "IBMUSER", identity: "~/.ssh/id_ed25519", passwordEnv: "ZPW", passphraseEnv: "ZKP",
        hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8", knownHosts: "/kh", handshakeTimeout: 5000,
        commandTimeout: 60000, python: "/usr/lpp/IBM/cyp/v3r13/pyz/bin/python3",
      },
      { ZPW: "pw-value", ZKP: "kp-value" },
    );
    expect(spec).toEqual({
      host: "lpar1", port: 2222, user: "IBMUSER", identityFile: join(homedir(), ".ssh/id_ed25519"), password: "pw-value",
      passphrase: "kp-value", hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8", knownHostsFile: "/kh",
      handshakeTimeoutMs: 5000, commandTimeoutMs: 60000, pythonPath: "/usr/lpp/IBM/cyp/v3r13/pyz/bin/python3",
    });
  });

  it("defaults port 22 and the IBM Python path", () => {
    const spec = targetSpecFromArgs({ host: "h", user: "u" }, {});
    expect(spec).toEqual({ host: "h", port: 22, user: "u", pythonPath: DEFAULT_PYTHON });
  });

  it("refuses literal secrets unless they come from a profile", () => {
    expect(code(() => targetSpecFromArgs({ host: "h", user: "u", password: "secret" }, {}))).toBe("ZWH-ARGS-SECRET");
    expect(code(() => targetSpecFromArgs({ host: "h", user: "u", passphrase: "secret" }, {}))).toBe("ZWH-ARGS-SECRET");
    const fromProfile = targetSpecFromArgs({ host: "h", user: "u", password: "secret" }, {}, { secretsFromProfile: true });
    expect(fromProfile.password).toBe("secret");
    // The error (it must be one) never echoes the secret.
    let err: unknown;
    try {
      targetSpecFromArgs({ host: "h", user: "u", password: "s3cr3t-value" }, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ZwhError);
    expect((err as ZwhError).code).toBe("ZWH-ARGS-SECRET");
    expect(JSON.stringify((err as ZwhError).toJSON())).not.toContain("s3cr3t-value");
    expect((err as ZwhError).message).not.toContain("s3cr3t-value");
  });

  it("reports missing or bad inputs with codes", () => {
    expect(code(() => targetSpecFromArgs({ user: "u" }, {}))).toBe("ZWH-ARGS-MISSING");
    expect(code(() => targetSpecFromArgs({ host: "h" }, {}))).toBe("ZWH-ARGS-MISSING");
    expect(code(() => targetSpecFromArgs({ host: "h", user: "u", passwordEnv: "NOPE" }, {}))).toBe("ZWH-ARGS-ENV");
    expect(code(() => targetSpecFromArgs({ host: "h", user: "u", passwordEnv: "my password" }, {}))).toBe("ZWH-ARGS-INVALID");
    expect(code(() => targetSpecFromArgs({ host: "h", user: "u", port: 70000 }, {}))).toBe("ZWH-ARGS-INVALID");
    expect(code(() => targetSpecFromArgs({ host: "h", user: "u", port: "x" }, {}))).toBe("ZWH-ARGS-INVALID");
    expect(code(() => targetSpecFromArgs({ host: "h", user: "u", python: "python3" }, {}))).toBe("ZWH-ARGS-INVALID");
  });
});

describe("--env NAME=VALUE -> TargetSpec.extraEnv", () => {
  it("maps each pair; the value is everything after the first '=' (may be empty, may contain = and quotes); last one wins", () => {
    const spec = targetSpecFromArgs({ host: "h", user: "u", env: ["LIBPATH=/usr/lib/site", "_BPXK_JOBLOG=STDERR", "A=x=y 'z'", "EMPTY=", "A=last"] }, {});
    expect(spec.extraEnv).toEqual({ LIBPATH: "/usr/lib/site", _BPXK_JOBLOG: "STDERR", A: "last", EMPTY: "" });
    expect(targetSpecFromArgs({ host: "h", user: "u", env: "ONE=1" }, {}).extraEnv).toEqual({ ONE: "1" });
    expect(targetSpecFromArgs({ host: "h", user: "u", env: [] }, {}).extraEnv).toBeUndefined();
  });

  it("refuses names that are not shell variable names, missing '=', non-strings and NUL", () => {
    for (const bad of ["NOVALUE", "=x", "1A=x", "A-B=x", "A B=x", "$(id)=x", "A\0=x"]) {
      expect(code(() => targetSpecFromArgs({ host: "h", user: "u", env: [bad] }, {})), bad).toBe("ZWH-ARGS-INVALID");
    }
    expect(code(() => targetSpecFromArgs({ host: "h", user: "u", env: [42] }, {}))).toBe("ZWH-ARGS-INVALID");
    expect(code(() => targetSpecFromArgs({ host: "h", user: "u", env: ["A=x\0y"] }, {}))).toBe("ZWH-ARGS-INVALID");
  });

  describe("on the simulator", () => {
    let sim: SimCluster;
    beforeAll(async () => {
      sim = await startUssHosts({ hosts: 1 });
    }, 180_000);
    afterAll(async () => sim?.stop());

    it("the values reach the remote command's environment literally, after (and over) Wheelhouse's own settings", async () => {
      const h = sim.hosts[0];
      const hostile = "a b 'q' \"d\" $(id) `id` $HOME;*";
      const spec = targetSpecFromArgs(
        { host: h.host, port: h.port, user: h.user, identity: h.identityFile, knownHosts: h.knownHostsFile, python: h.pythonPath,
          env: [`ZWH_SITE=${hostile}`, "_BPXK_JOBLOG=STDERR", "LANG=En_US.IBM-1047"] },
        {},
      );
      const s = await connectTarget(spec);
      try {
        const r = await s.exec(["env"]);
        expect(r.code, r.stderr).toBe(0);
        const vars = new Map(r.stdout.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
        expect(vars.get("ZWH_SITE")).toBe(hostile);
        expect(vars.get("_BPXK_JOBLOG")).toBe("STDERR");
        expect(vars.get("LANG")).toBe("En_US.IBM-1047");
        expect(vars.get("_BPXK_AUTOCVT")).toBe("ON");
      } finally {
        await s.close();
      }
    });
  });
});

describe("prepareAuth", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "zwh-auth-"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "plain")]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "right horse", "-f", join(dir, "enc")]);
    writeFileSync(join(dir, "junk"), "not a key\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const base = { host: "h", port: 22, user: "u" };

  it("orders key → agent → password", () => {
    expect(prepareAuth({ ...base, identityFile: join(dir, "plain"), agent: "/sock", password: "p" }, {}).plan).toEqual([
      "publickey", "agent", "password", "keyboard-interactive",
    ]);
    expect(prepareAuth({ ...base }, { SSH_AUTH_SOCK: "/agent.sock" })).toMatchObject({ plan: ["agent"], agent: "/agent.sock" });
    // SSH_AUTH_SOCK is only a default when no key and no password were given.
    expect(prepareAuth({ ...base, password: "p" }, { SSH_AUTH_SOCK: "/agent.sock" }).plan).toEqual(["password", "keyboard-interactive"]);
    expect(prepareAuth({ ...base, identityFile: join(dir, "enc"), passphrase: "right horse" }, {}).plan).toEqual(["publickey"]);
  });

  it("reports key problems precisely", () => {
    expect(code(() => prepareAuth({ ...base, identityFile: join(dir, "missing") }, {}))).toBe("ZWH-SSH-KEY");
    expect(code(() => prepareAuth({ ...base, identityFile: join(dir, "junk") }, {}))).toBe("ZWH-SSH-KEY");
    expect(code(() => prepareAuth({ ...base, identityFile: join(dir, "plain.pub") }, {}))).toBe("ZWH-SSH-KEY");
    expect(code(() => prepareAuth({ ...base, identityFile: join(dir, "enc") }, {}))).toBe("ZWH-SSH-KEY-PASSPHRASE");
    expect(code(() => prepareAuth({ ...base, identityFile: join(dir, "enc"), passphrase: "wrong" }, {}))).toBe("ZWH-SSH-KEY-PASSPHRASE");
    expect(code(() => prepareAuth({ ...base }, {}))).toBe("ZWH-SSH-AUTH");
  });
});
