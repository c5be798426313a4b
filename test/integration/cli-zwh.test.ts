import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUssHosts, type SimCluster } from "../sim";
import { commandTree } from "../../src/cli/defs/tree";
import type { CommandDef, GroupDef, NodeDef } from "../../src/cli/framework/types";
import { zwh } from "../support/cli";

let sim: SimCluster;
beforeAll(async () => { sim = await startUssHosts({ hosts: 1 }); });
afterAll(async () => { await sim?.stop(); });

function targetArgs(knownHosts?: string): string[] {
  const h = sim.hosts[0];
  return ["--host", h.host, "--port", String(h.port), "--user", h.user, "--identity", h.identityFile,
    "--known-hosts", knownHosts ?? h.knownHostsFile, "--python", h.pythonPath];
}

describe("zwh target probe (built CLI against a simulated LPAR)", () => {
  it("prints one JSON object with the z/OS facts and exits 0", () => {
    const h = sim.hosts[0];
    const r = zwh(["target", "probe", ...targetArgs(), "--root", `${h.root}/u`, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const j = r.json as any;
    expect(j).toMatchObject({ formatVersion: 1, command: "target probe", ok: true });
    expect(j.uname.sysname).toBe("OS/390");
    expect(j.python).toMatchObject({ sysPlatform: "zos", platformSystem: "OS/390", sysconfigPlatform: "os390-29.00-8561" });
    expect(j.compatibleTags[0]).toMatch(/^cp3\d+-cp3\d+-os390_29_00_8561$/);
    expect(j.compatibleTags.some((t: string) => t.includes("linux"))).toBe(false);
    expect(j.markerEnv.sys_platform).toBe("zos");
    expect(j.tagging.works).toBe(true);
    expect(j.target.hostKeyFingerprint).toBe(h.hostKeyFingerprint);
  });

  it("refuses a wrong pinned host key with ZWH-SSH-HOSTKEY-MISMATCH", () => {
    const wrong = "SHA256:" + Buffer.alloc(32, 7).toString("base64").replace(/=+$/, "");
    const r = zwh(["target", "probe", ...targetArgs(), "--host-key", wrong, "--json"]);
    expect(r.code).toBe(3);
    const err = (r.json as any).error;
    expect(err.code).toBe("ZWH-SSH-HOSTKEY-MISMATCH");
    expect(err.message).toContain(sim.hosts[0].hostKeyFingerprint);
  });

  it("refuses an unknown host key, printing the fingerprint and how to pin it", () => {
    const r = zwh(["target", "probe", ...targetArgs("/dev/null")]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("ZWH-SSH-HOSTKEY-UNKNOWN");
    expect(r.stderr).toContain(sim.hosts[0].hostKeyFingerprint);
    expect(r.stderr).toContain("--host-key");
  });

  it("never accepts a password on the command line", () => {
    const r = zwh(["target", "probe", ...targetArgs(), "--password", "secret"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ZWH-USAGE");
    expect(r.stderr).not.toContain("secret'");
  });
});

describe("zwh with Zowe team-config profiles", () => {
  it("takes the connection from an ssh profile (pinned host key) and deploy settings from a wheelhouse profile", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-zowe-home-"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { writeZoweConfig } = require("../../profiles/generate-zowe-config.js");
    writeZoweConfig(sim.hosts, path.join(home, "zowe.config.json"), { schema: true });
    fs.mkdirSync(path.join(home, "settings"));
    // Headless: no OS keyring (the CI path documented in docs/zowe-plugin.md).
    fs.writeFileSync(path.join(home, "settings", "imperative.json"), JSON.stringify({ overrides: { CredentialManager: false } }));
    const r = zwh(["target", "probe", "--profile", "lpar1", "--wheelhouse-profile", "prod", "--json"], { env: { ZOWE_CLI_HOME: home }, cwd: home });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const j = r.json as any;
    expect(j.target).toMatchObject({ port: sim.hosts[0].port, hostKeyFingerprint: sim.hosts[0].hostKeyFingerprint });
    expect(j.python.path).toBe(sim.hosts[0].pythonPath);
  });
});

describe("zwh help", () => {
  function commands(node: NodeDef, path: string[] = []): string[][] {
    if (node.type === "command") return [path];
    return (node as GroupDef).children.flatMap((c) => commands(c, [...path, c.name]));
  }
  it("every command has a description, usage and at least one example", () => {
    const all = commands(commandTree());
    expect(all.length).toBeGreaterThan(3);
    for (const p of all) {
      const r = zwh([...p, "--help"]);
      expect(r.code, p.join(" ")).toBe(0);
      expect(r.stdout, p.join(" ")).toContain(`zwh ${p.join(" ")}`);
      expect(r.stdout, p.join(" ")).toContain("EXAMPLES");
    }
  });

  it("local-only commands show no connection or profile options; connecting ones do (issue 8 §6)", () => {
    const cmds = commands(commandTree()).map((p) => ({ p, cmd: findCmd(p) }));
    for (const { p, cmd } of cmds) {
      const help = zwh([...p, "--help"]).stdout;
      const where = p.join(" ");
      if (cmd.connects) {
        expect({ where, profile: help.includes("--profile"), host: help.includes("--host") }).toEqual({ where, profile: true, host: true });
      } else {
        // `inventory list/history/export --host H` filters the records by logical host name: it is
        // not a connection option (no Target options group, no --user/--identity).
        const hostIsFilter = p[0] === "inventory" && /Only this host/.test(help);
        expect({ where, profile: /--profile\b/.test(help), target: help.includes("Target options"), host: /--host\b/.test(help) && !hostIsFilter })
          .toEqual({ where, profile: false, target: false, host: false });
      }
    }
    // And a local command refuses the connection profile instead of ignoring it.
    const r = zwh(["keys", "generate", "--out", "/tmp/never", "--profile", "lpar1", "--json"]);
    expect({ code: r.code, err: (r.json as any)?.error?.code }).toEqual({ code: 1, err: "ZWH-USAGE" });
  });
});

function findCmd(p: string[]): CommandDef {
  let node: NodeDef = commandTree();
  for (const name of p) node = (node as GroupDef).children.find((c) => c.name === name)!;
  return node as CommandDef;
}
