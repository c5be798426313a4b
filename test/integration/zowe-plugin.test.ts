/**
 * The Zowe CLI plugin, end to end with the real Zowe CLI (dev dependency @zowe/cli) in an
 * isolated ZOWE_CLI_HOME: npm pack (bundled dependencies), `zowe plugins install <tgz>` with npm
 * offline and without install scripts (the air-gapped path of docs/offline-install.md),
 * `zowe plugins validate`, help review, --rfj equality with `zwh --json`, and the ssh/wheelhouse
 * profiles against two simulated LPARs (host-key pin honoured, a wrong pin refused), then
 * `target trust` + `deploy` + `status` of a signed bundle built here through the real
 * createBundle, through the installed plugin (so better-sqlite3 must load from the tgz without
 * install scripts: the packed lib/native addon, docs/offline-install.md).
 *
 * Headless like CI: the credential vault is disabled ("CredentialManager": false).
 * Needs lib/ built (scripts/test does it).
 */
import { spawnSync, type SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandTree } from "../../src/cli/defs/tree";
import { zoweExampleArgs } from "../../src/cli/zowe/convert";
import { dataInCliWords } from "../../src/cli/framework/cli-words";
import type { CommandDef, NodeDef } from "../../src/cli/framework/types";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { buildWheel, type WheelSpec } from "../support/wheels";
import { ZOWE, ZWH, installZowePlugin, rfjOf, zoweEnv } from "../support/zowe-plugin";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeZoweConfig } = require("../../profiles/generate-zowe-config.js");

let tmp: string;
let home: string;
let work: string;
let sim: SimCluster | undefined;
let inventory: string;
let packedFiles: string[] = [];

function zenv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // ZWH_INVENTORY / ZWH_TRUST_STATE: this run's own inventory and rollback cache, never ~/.zwh.
  return zoweEnv(home, { ZWH_INVENTORY: inventory, ZWH_TRUST_STATE: path.join(home, "trust-state.json"), ...extra });
}

function zowe(args: string[], extra: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(ZOWE, args, { cwd: work, env: zenv(extra), encoding: "utf8", timeout: 180_000 });
}

function zwh(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [ZWH, ...args], { cwd: work, env: zenv(), encoding: "utf8", timeout: 120_000 });
}

function commands(n: NodeDef, p: string[] = []): Array<{ path: string[]; cmd: CommandDef }> {
  if (n.type === "command") return [{ path: p, cmd: n }];
  return n.children.flatMap((c) => commands(c, [...p, c.name]));
}

beforeAll(async () => {
  const z = installZowePlugin("zwh-zowe-");
  ({ tmp, home, work, packedFiles } = z);
  inventory = path.join(tmp, "inventory", "inventory.db");
  // Recorded for docs/offline-install.md.
  console.log(`zowe plugin: npm pack ${z.packMs} ms, ${(fs.statSync(z.tgz).size / 1e6).toFixed(1)} MB; offline install ${z.installMs} ms`);

  sim = await startUssHosts({ hosts: 2, dir: path.join(tmp, "sim") } as Parameters<typeof startUssHosts>[0]);
  writeZoweConfig(sim.hosts, path.join(home, "zowe.config.json"), { wheelhouse: { keepReleases: 3 } });
}, 300_000);

afterAll(async () => {
  await sim?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("zowe plugins install / validate", () => {
  it("validates cleanly and is listed", () => {
    const v = zowe(["plugins", "validate", "zos-wheelhouse"]);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain("successfully validated");
    expect(v.stdout + v.stderr).not.toMatch(/\*\*\* (CMD|CFG)_ERROR|Warning/);
    expect(zowe(["plugins", "list"]).stdout).toContain("zos-wheelhouse");
  });

  it("npm pack ships no build objects and no rebuild-only sources (scripts/pack-filter.js)", () => {
    expect(packedFiles.length).toBeGreaterThan(100);
    const objects = packedFiles.filter((f) => /\.(o|a|obj|lib)$|\/obj\.target\/|\/\.deps\/|\/build\/(.*\/)?(Makefile|[^/]*\.mk)$/.test(f));
    expect(objects).toEqual([]);
    expect(packedFiles.filter((f) => f.startsWith("node_modules/better-sqlite3/deps/") || f.startsWith("node_modules/better-sqlite3/src/"))).toEqual([]);
    // What runs stays: ssh2's crypto addon, cpu-features' addon and the packed SQLite addon.
    expect(packedFiles).toEqual(expect.arrayContaining(["lib/native/better_sqlite3.node", "node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node"]));
  });

  it("better-sqlite3 arrives without its build/ (its files list), so the inventory can only load the packed lib/native addon", () => {
    const dir = path.join(home, "plugins", "installed", "lib", "node_modules", "zos-wheelhouse");
    expect(fs.existsSync(path.join(dir, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "lib", "native", "better_sqlite3.node"))).toBe(true);
    // Open a store with the installed plugin's own code, as deploy/status do.
    const db = path.join(tmp, "native-check.db");
    const r = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(path.join(dir, "lib", "inventory"))}).openStore(${JSON.stringify(db)}).then((s) => s.close())`], { cwd: dir, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.existsSync(db)).toBe(true);
  });

  it("the host's @zowe/zos-uss-for-zowe-sdk is not resolvable from the installed plugin (why ssh options are declared)", () => {
    const dir = path.join(home, "plugins", "installed", "lib", "node_modules", "zos-wheelhouse");
    const r = spawnSync(process.execPath, ["-e", "require.resolve('@zowe/zos-uss-for-zowe-sdk')"], { cwd: dir, encoding: "utf8" });
    expect(r.status).not.toBe(0);
  });
});

describe("help", () => {
  it("zowe wheelhouse --help and the wh alias list every group and top-level command", () => {
    const a = zowe(["wheelhouse", "--help"]);
    const b = zowe(["wh", "--help"]);
    expect(a.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(a.stdout.replace(/\s+/g, " ")).toContain(commandTree().description.split(" ").slice(0, 8).join(" "));
    for (const c of commandTree().children) {
      if (c.type === "group" && commands(c).length === 0) continue;
      expect(a.stdout).toContain(c.name);
    }
  });

  for (const { path: p, cmd } of commands(commandTree())) {
    it(`zowe wh ${p.join(" ")} --help has the description, options and examples`, () => {
      const r = zowe(["wh", ...p, "--help"]);
      expect(r.status, r.stderr).toBe(0);
      const flat = r.stdout.replace(/\s+/g, " ");
      expect(flat).toContain(cmd.description.split(" ").slice(0, 8).join(" "));
      // Zowe's rendered help: a real DESCRIPTION section and at least one example.
      const section = (name: string) => {
        const m = new RegExp(`^ ${name}\\n -+\\n([\\s\\S]*?)(?=^ [A-Z][A-Z /]+\\n -+\\n|(?![\\s\\S]))`, "m").exec(r.stdout);
        return m ? m[1].replace(/\s+/g, " ").trim() : "";
      };
      expect(section("DESCRIPTION").length, "DESCRIPTION of at least 40 characters").toBeGreaterThanOrEqual(40);
      const examples = section("EXAMPLES");
      expect(examples.match(/\$ zowe wheelhouse /g)?.length ?? 0, "at least one example").toBeGreaterThanOrEqual(1);
      expect(examples.match(/- [^:]{10,}:/g)?.length ?? 0, "every example has a description").toBe(cmd.examples.length);
      for (const e of cmd.examples) expect(flat).toContain(`zowe wheelhouse ${p.join(" ")} ${zoweExampleArgs(e)}`.replace(/\s+/g, " ").trim());
      for (const o of cmd.options.filter((x) => x.only !== "zwh")) expect(r.stdout).toContain(`--${o.name}`);
      if (cmd.connects) {
        expect(r.stdout).toContain("--ssh-profile");
        expect(r.stdout).toContain("--host-key");
      } else {
        expect(r.stdout).not.toContain("--ssh-profile");
      }
    });
  }
});

describe("--rfj equals zwh --json", () => {
  it("trust show: .data is byte-for-byte the zwh --json object", () => {
    const trust = path.join(work, "trust.json");
    expect(zwh(["trust", "init", "--out", trust, "--json"]).status).toBe(0);
    const a = zwh(["trust", "show", "--trust", trust, "--json"]);
    const b = zowe(["wh", "trust", "show", "--trust", trust, "--rfj"]);
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    expect(JSON.stringify(JSON.parse(b.stdout).data)).toBe(JSON.stringify(JSON.parse(a.stdout)));
  });

  it("an error: same object, same exit code, message on stderr", () => {
    const missing = path.join(work, "missing-trust.json");
    const a = zwh(["trust", "show", "--trust", missing, "--json"]);
    const b = zowe(["wh", "trust", "show", "--trust", missing, "--rfj"]);
    const env = JSON.parse(b.stdout);
    // The same object, its prose in Zowe's words ('zowe wh trust init', not 'zwh trust init').
    expect(env.data).toEqual(dataInCliWords(JSON.parse(a.stdout), "zowe"));
    expect(env.data.error.hint).toContain("'zowe wh trust init");
    expect(JSON.stringify(env)).not.toContain("'zwh ");
    expect(env.data.ok).toBe(false);
    expect(env.exitCode).toBe(a.status);
    expect(b.status).toBe(a.status);
    expect(env.stderr).toContain(env.data.error.code);
    // Failed like Zowe core's commands fail (issue 8 §6): success false, message, top-level error.
    expect(env.success).toBe(false);
    expect(env.message).toContain(env.data.error.code);
    expect(env.error).toMatchObject({ errorCode: env.data.error.code, msg: expect.stringContaining(env.data.error.message) });
  });
});

describe("ssh and wheelhouse profiles against two simulated LPARs", () => {
  const volatile = (d: Record<string, unknown>) => {
    const c = JSON.parse(JSON.stringify(d));
    delete c.probedAt;
    if (c.root) { delete c.root.freeBytes; delete c.root.totalBytes; }
    // A read-only probe runs its helper from a fresh per-run /tmp directory (removed afterwards).
    if (c.helper) delete c.helper.path;
    // The tag check runs in its own per-run temporary directory too.
    if (c.tagging) delete c.tagging.dir;
    return c;
  };
  const flags = (h: SimHost) => ["--host", h.host, "--port", String(h.port), "--user", h.user, "--identity", h.identityFile,
    "--host-key", h.hostKeyFingerprint, "--python", h.pythonPath, "--root", `${h.home}/wheelhouse`];

  it("target probe with --ssh-profile/--wheelhouse-profile: the pinned host key is used, data as zwh's", () => {
    for (const [i, h] of sim!.hosts.entries()) {
      const b = zowe(["wh", "target", "probe", "--ssh-profile", h.name, "--wheelhouse-profile", `prod.${h.name}`, "--rfj"]);
      expect(b.status, b.stdout + b.stderr).toBe(0);
      const data = JSON.parse(b.stdout).data;
      expect(data.ok).toBe(true);
      expect(data.uname.nodename).toBe(`LPAR${i + 1}`);
      expect(data.python.path).toBe(h.pythonPath);
      const a = zwh(["target", "probe", ...flags(h), "--json"]);
      expect(a.status, a.stderr).toBe(0);
      expect(volatile(data)).toEqual(volatile(JSON.parse(a.stdout)));
    }
  });

  it("human output goes through the response API (text on stdout, progress on stderr)", () => {
    const r = zowe(["wheelhouse", "target", "probe", "--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("LPAR1");
    expect(r.stderr).toContain("[done ] Probe target");
  });

  it("a wrong hostKey in the ssh profile is refused (exit 3), before credentials are sent", () => {
    const cfgFile = path.join(home, "zowe.config.json");
    const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
    cfg.profiles.wrongkey = { type: "ssh", properties: { ...cfg.profiles.lpar1.properties, hostKey: cfg.profiles.lpar2.properties.hostKey } };
    cfg.profiles.insecure = { type: "ssh", properties: { ...cfg.profiles.lpar1.properties, insecure: true } };
    fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 4));
    const r = zowe(["wh", "target", "probe", "--ssh-profile", "wrongkey", "--wheelhouse-profile", "prod.lpar1", "--rfj"]);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout).data.error.code).toBe("ZWH-SSH-HOSTKEY-MISMATCH");

    const s = zowe(["wh", "target", "probe", "--ssh-profile", "insecure", "--wheelhouse-profile", "prod.lpar1", "--rfj"]);
    expect(s.status).toBe(3);
    expect(JSON.parse(s.stdout).data.error.code).toBe("ZWH-PROFILE-INSECURE");
    const t = zowe(["wh", "target", "probe", "--ssh-profile", "insecure", "--wheelhouse-profile", "prod.lpar1", "--insecure", "false"]);
    expect(t.status, t.stderr).toBe(0);
  });

  it("a wrong --ssh-profile or --wheelhouse-profile name is refused by name in both CLIs (imperative alone ignores it)", () => {
    for (const [args, zwhArgs, type] of [
      [["--ssh-profile", "lpar9", "--wheelhouse-profile", "prod.lpar1"], ["--profile", "lpar9", "--wheelhouse-profile", "prod.lpar1"], "ssh"],
      [["--ssh-profile", "lpar1", "--wheelhouse-profile", "prdo"], ["--profile", "lpar1", "--wheelhouse-profile", "prdo"], "wheelhouse"],
    ] as const) {
      const z = zowe(["wh", "status", ...args, "--rfj"]);
      expect(z.status, z.stdout + z.stderr).toBe(1);
      const env = JSON.parse(z.stdout);
      expect(env.success).toBe(false);
      expect(env.data.error.code).toBe("ZWH-PROFILE-NOT-FOUND");
      expect(env.data.error.message).toBe(`no ${type} profile named '${args[type === "ssh" ? 1 : 3]}' in the Zowe team config`);
      expect(env.data.error.hint).toContain(type === "ssh" ? "lpar1" : "prod.lpar1");
      const w = zwh(["status", ...zwhArgs, "--json"]);
      expect(w.status).toBe(1);
      expect(JSON.parse(w.stdout).error).toMatchObject({ code: "ZWH-PROFILE-NOT-FOUND", message: env.data.error.message });
    }
  });

  it("hints name the options of the CLI in use: the ssh profile's privateKey in Zowe, --identity in zwh", () => {
    const cfgFile = path.join(home, "zowe.config.json");
    const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
    cfg.profiles.nokey = { type: "ssh", properties: { ...cfg.profiles.lpar1.properties, privateKey: path.join(tmp, "no-such-key") } };
    fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 4));
    const z = zowe(["wh", "target", "probe", "--ssh-profile", "nokey", "--wheelhouse-profile", "prod.lpar1"]);
    expect(z.status).toBe(1);
    expect(z.stderr).toContain("ZWH-SSH-KEY");
    expect(z.stderr).toContain("privateKey");
    expect(z.stderr).not.toMatch(/--identity|--password-env|'zwh /);
    const h = sim!.hosts[0];
    const w = zwh(["target", "probe", "--host", h.host, "--port", String(h.port), "--user", h.user, "--identity", path.join(tmp, "no-such-key"), "--host-key", h.hostKeyFingerprint]);
    expect(w.status).toBe(1);
    expect(w.stderr).toContain("--identity");
  });

  it("the hostKey pin works for core 'zowe uss issue ssh' and Wheelhouse alike; an unknown key's refusal gives that pin; a fingerprint pin is warned about", () => {
    const core = zowe(["uss", "issue", "ssh", "echo zwh-core-ok", "--ssh-profile", "lpar1", "--exec"]);
    expect(core.status, core.stdout + core.stderr).toBe(0);
    expect(core.stdout).toContain("zwh-core-ok");
    const wh = zowe(["wh", "target", "probe", "--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1"]);
    expect(wh.status, wh.stderr).toBe(0);
    expect(wh.stderr).not.toContain("SHA256 fingerprint");

    const cfgFile = path.join(home, "zowe.config.json");
    const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
    const { hostKey, ...unpinned } = cfg.profiles.lpar1.properties;
    cfg.profiles.nopin = { type: "ssh", properties: unpinned };
    cfg.profiles.fppin = { type: "ssh", properties: { ...unpinned, hostKey: sim!.hosts[0].hostKeyFingerprint } };
    fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 4));
    const unknown = zowe(["wh", "target", "probe", "--ssh-profile", "nopin", "--wheelhouse-profile", "prod.lpar1", "--rfj"]);
    expect(unknown.status).toBe(3);
    const err = JSON.parse(unknown.stdout).data.error;
    expect(err.code).toBe("ZWH-SSH-HOSTKEY-UNKNOWN");
    // The key the refusal offers is exactly what core Zowe pinned and accepts.
    expect(err.details.presentedKey).toBe(hostKey);
    expect(err.hint).toContain(`hostKey ${hostKey}`);

    const fp = zowe(["wh", "target", "probe", "--ssh-profile", "fppin", "--wheelhouse-profile", "prod.lpar1"]);
    expect(fp.status, fp.stderr).toBe(0);
    expect(fp.stderr).toContain("zowe config set profiles.fppin.properties.hostKey");
    expect(zowe(["uss", "issue", "ssh", "echo x", "--ssh-profile", "fppin", "--exec"]).status).not.toBe(0);
  });

  describe("deploy end to end through the installed plugin", { timeout: 300_000 }, () => {
    const trustFile = () => path.join(tmp, "keys", "trust.json");
    let bundleDir: string;
    const wheels: WheelSpec[] = [
      { name: "zwhdemo-util", version: "1.0", files: { "zwhdemo_util/__init__.py": "VERSION = '1.0'\n" } },
      { name: "zwhdemo-app", version: "1.0", requiresDist: ["zwhdemo-util>=1.0"], files: { "zwhdemo_app/__init__.py": "import zwhdemo_util\nVERSION = '1.0'\n" } },
    ];
    const bundleWheels = wheels.map((w) => w.name).sort();
    const rfj = rfjOf;

    // A real signed bundle, made the way a release engineer makes one: generated pure-Python
    // wheels, the target environment probed through the plugin, then zwh keys/trust/bundle
    // create (the real createBundle). Done with the CLIs rather than in-process: this worker
    // already loaded @zowe/cli's own ssh2 1.15 (for the config schema), and loading our ssh2
    // 1.17's native sshcrypto.node after it in the same process aborts Node.
    beforeAll(async () => {
      const keys = path.join(tmp, "keys");
      const ok = (r: SpawnSyncReturns<string>) => expect(r.status, r.stdout + r.stderr).toBe(0);
      ok(zwh(["keys", "generate", "--out", path.join(keys, "release-bot")]));
      ok(zwh(["trust", "init", "--out", trustFile(), "--channel", "stable"]));
      ok(zwh(["trust", "add-key", "--trust", trustFile(), "--key", path.join(keys, "release-bot.pub"), "--name", "release-bot"]));
      const probe = zowe(["wh", "target", "probe", "--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--rfj"]);
      ok(probe);
      fs.writeFileSync(path.join(work, "probe.json"), JSON.stringify(JSON.parse(probe.stdout).data));
      const wheelDir = path.join(work, "wheels");
      for (const w of wheels) await buildWheel(wheelDir, w);
      fs.writeFileSync(path.join(work, "top.txt"), "zwhdemo-app\n");
      bundleDir = path.join(work, "bundle-demo-1");
      ok(zwh(["bundle", "create", wheelDir, "--out", bundleDir, "--id", "demo", "--channel", "stable", "--sequence", "1",
        "--target-env", path.join(work, "probe.json"), "--requirements", path.join(work, "top.txt"), "--sign-key", path.join(keys, "release-bot.key")]));
    }, 120_000);

    it("lpar1: target trust, deploy --ssh-profile lpar1 --wheelhouse-profile prod.lpar1 --rfj, then status --rfj", () => {
      const t = rfj(zowe(["wh", "target", "trust", "--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--trust", trustFile(), "--rfj"]));
      expect(t.exitCode, t.stderr).toBe(0);
      expect(t.data).toMatchObject({ ok: true, changed: true });

      const d = zowe(["wheelhouse", "deploy", bundleDir, "--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--trust", trustFile(), "--rfj"]);
      expect(d.status, d.stdout + d.stderr).toBe(0);
      const dep = rfj(d).data;
      expect(dep).toMatchObject({ ok: true, command: "deploy", action: "install", changed: true, dryRun: false });
      expect(dep.installed.map((p: { name: string }) => p.name).sort()).toEqual(bundleWheels);
      expect(dep.current).toBe(dep.releaseId);
      expect(dep.upload.files).toBe(bundleWheels.length);
      // keepReleases (3, from the shared prod profile) reached --keep: nothing to prune yet, no error.
      expect(dep.pruned).toEqual([]);
      // The run was recorded in this test's inventory (ZWH_INVENTORY), opened by the installed plugin.
      expect(fs.existsSync(inventory)).toBe(true);

      const s = zowe(["wh", "status", "--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--rfj"]);
      expect(s.status, s.stderr).toBe(0);
      const st = rfj(s).data;
      expect(st.ok).toBe(true);
      expect(st.current).toMatchObject({ releaseId: dep.releaseId, bundleId: "demo", channel: "stable", sequence: 1 });
      expect(st.current.installed.map((p: { name: string }) => p.name).sort()).toEqual(bundleWheels);
      expect(st.lock.held).toBe(false);
      expect(st.trust.present).toBe(true);
      expect(st.inventory.lastRun).toBeTruthy();

      // Redeploying the current bundle is a no-op.
      const again = rfj(zowe(["wh", "deploy", bundleDir, "--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--trust", trustFile(), "--rfj"])).data;
      expect(again).toMatchObject({ ok: true, action: "noop", changed: false });
    });

    it("a tampered bundle's refusal is success:false with exit 3 and the first finding as the error (verify and deploy)", () => {
      const bad = path.join(work, "bundle-tampered");
      fs.cpSync(bundleDir, bad, { recursive: true });
      const wheelDir = path.join(bad, "wheels");
      const whl = path.join(wheelDir, fs.readdirSync(wheelDir).find((f) => f.endsWith(".whl"))!);
      const bytes = fs.readFileSync(whl);
      bytes[bytes.length - 30] ^= 0xff;
      fs.writeFileSync(whl, bytes);
      for (const args of [["wh", "bundle", "verify", bad, "--trust", trustFile(), "--rfj"],
        // A root where this bundle is not current: a re-deploy of the current bundle re-checks only
        // the signed statement (nothing is sent), so the tampered wheel would never be read there.
        ["wh", "deploy", bad, "--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--root", path.join(sim!.hosts[0].home, "zowe-tampered-root"), "--trust", trustFile(), "--rfj"]]) {
        const r = zowe(args);
        expect(r.status, r.stdout + r.stderr).toBe(3);
        const env = rfj(r);
        expect({ success: env.success, exitCode: env.exitCode, ok: env.data.ok }).toEqual({ success: false, exitCode: 3, ok: false });
        expect((env as any).error.errorCode).toBe(env.data.error.code);
        expect((env as any).message).toContain(env.data.error.code);
      }
    });

    it("status and lock status of a missing root: ZWH-ROOT-NOT-FOUND, success false, nothing created", () => {
      const missing = path.join(sim!.hosts[0].home, "zowe-no-root");
      for (const cmd of [["status"], ["lock", "status"]]) {
        const r = zowe(["wh", ...cmd, "--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--root", missing, "--rfj"]);
        expect(r.status, r.stdout + r.stderr).toBe(1);
        const env = rfj(r);
        expect({ success: env.success, code: env.data.error.code }).toEqual({ success: false, code: "ZWH-ROOT-NOT-FOUND" });
        expect(fs.existsSync(missing)).toBe(false);
      }
    });

    it("target trust: different keys at the same version need --replace, and the output names them", () => {
      const root = path.join(sim!.hosts[0].home, "zowe-trust-root");
      const prof = ["--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--root", root];
      expect(zowe(["wh", "target", "trust", ...prof, "--trust", trustFile(), "--rfj"]).status).toBe(0);
      const keys = path.join(tmp, "keys2");
      const other = path.join(keys, "other-trust.json");
      expect(zwh(["keys", "generate", "--out", path.join(keys, "intruder")]).status).toBe(0);
      expect(zwh(["trust", "init", "--out", other, "--channel", "stable"]).status).toBe(0);
      expect(zwh(["trust", "add-key", "--trust", other, "--key", path.join(keys, "intruder.pub"), "--name", "intruder"]).status).toBe(0);
      // Same version as the installed file (both: init then one add-key).
      expect(JSON.parse(fs.readFileSync(other, "utf8")).version).toBe(JSON.parse(fs.readFileSync(trustFile(), "utf8")).version);
      const refused = zowe(["wh", "target", "trust", ...prof, "--trust", other, "--rfj"]);
      expect(refused.status).toBe(3);
      expect(rfj(refused).data.error.code).toBe("ZWH-TRUST-REPLACE");
      const replaced = zowe(["wh", "target", "trust", ...prof, "--trust", other, "--replace"]);
      expect(replaced.status, replaced.stderr).toBe(0);
      expect(replaced.stdout).toMatch(/removed keys: release-bot /);
    });

    it("a failed smoke test shows its output in the message and in data.error.details.output", () => {
      const root = path.join(sim!.hosts[0].home, "zowe-smoke-root");
      const prof = ["--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--root", root];
      expect(zowe(["wh", "target", "trust", ...prof, "--trust", trustFile()]).status).toBe(0);
      const r = zowe(["wh", "deploy", bundleDir, ...prof, "--trust", trustFile(), "--smoke", "import zwhdemo_not_there", "--rfj"]);
      expect(r.status).toBe(1);
      const env = rfj(r);
      expect(env.data.error.code).toBe("ZWH-DEPLOY-SMOKE");
      expect(env.data.error.details.output).toContain("No module named 'zwhdemo_not_there'");
      expect((env as any).message).toContain("No module named 'zwhdemo_not_there'");
    });

    it("deploy takes a 'bundle pack' archive", () => {
      const tar = path.join(work, "bundle-demo-1.tar");
      expect(zwh(["bundle", "pack", bundleDir, "--out", tar]).status).toBe(0);
      const root = path.join(sim!.hosts[0].home, "zowe-tar-root");
      const prof = ["--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--root", root];
      expect(zowe(["wh", "target", "trust", ...prof, "--trust", trustFile()]).status).toBe(0);
      const d = zowe(["wh", "deploy", tar, ...prof, "--trust", trustFile(), "--rfj"]);
      expect(d.status, d.stdout + d.stderr).toBe(0);
      expect(rfj(d).data).toMatchObject({ ok: true, action: "install" });
    });

    it("FIFO and /dev/zero inputs are refused at once through the plugin too", () => {
      const fifo = path.join(work, "trust.fifo");
      spawnSync("mkfifo", [fifo]);
      const zero = path.join(work, "zero-env.json");
      fs.symlinkSync("/dev/zero", zero);
      for (const args of [["wh", "bundle", "verify", bundleDir, "--trust", fifo, "--rfj"], ["wh", "bundle", "verify", bundleDir, "--trust", trustFile(), "--target-env", zero, "--rfj"]]) {
        const r = zowe(args);
        expect(r.status, r.stdout + r.stderr).toBe(1);
        expect(rfj(r).data.error.code).toBe("ZWH-INPUT-NOT-REGULAR");
      }
      const bad = zowe(["wh", "deploy", bundleDir, "--ssh-profile", "lpar1", "--wheelhouse-profile", "prod.lpar1", "--keep", "1e3", "--rfj"]);
      expect(bad.status).toBe(1);
      expect(rfj(bad).data.error).toMatchObject({ code: "ZWH-USAGE", message: "--keep expects a whole number in decimal digits, got '1e3'" });
    });

    it("lpar2: trustFile, inventory and environment come from the wheelhouse profile (prod.lpar2)", () => {
      const cfgFile = path.join(home, "zowe.config.json");
      const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
      const lpar2Inventory = path.join(tmp, "lpar2", "inv.db");
      Object.assign(cfg.profiles.prod.profiles.lpar2.properties, {
        trustFile: trustFile(),
        inventory: lpar2Inventory,
        // Quotes, spaces and shell metacharacters arrive literally. (No "$": Zowe itself expands
        // $NAME in team-config values on the workstation before the plugin sees them.)
        environment: { ZWH_E2E_SITE: "lpar2 'site' \"q\" `id`;*" },
      });
      fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 4));
      const prof = ["--ssh-profile", "lpar2", "--wheelhouse-profile", "prod.lpar2"];

      const t = zowe(["wh", "target", "trust", ...prof, "--trust", trustFile(), "--rfj"]);
      expect(t.status, t.stdout + t.stderr).toBe(0);
      // No --trust: the profile's trustFile. The smoke test runs on the target with the profile's
      // environment exported (--env), and fails the deploy unless the value arrived literally.
      const d = zowe(["wh", "deploy", bundleDir, ...prof, "--rfj",
        "--smoke", "import os, zwhdemo_app; assert os.environ.get('ZWH_E2E_SITE') == 'lpar2 \\'site\\' \"q\" `id`;*', os.environ.get('ZWH_E2E_SITE')"]);
      expect(d.status, d.stdout + d.stderr).toBe(0);
      const dep = rfj(d).data;
      expect(dep).toMatchObject({ ok: true, action: "install" });
      // Named by the ssh profile it was reached through (not host:port).
      expect(dep.host).toBe("lpar2");
      // The profile's inventory, not ZWH_INVENTORY, recorded this run.
      expect(fs.existsSync(lpar2Inventory)).toBe(true);
      const st = rfj(zowe(["wh", "status", ...prof, "--rfj"])).data;
      expect(st.current.releaseId).toBe(dep.releaseId);
      expect(st.inventory.lastRun).toBeTruthy();
      // The same status through ZWH_INVENTORY's store knows nothing about lpar2.
      const other = rfj(zowe(["wh", "status", ...prof, "--inventory", inventory, "--rfj"])).data;
      expect(other.current.releaseId).toBe(dep.releaseId);
      expect(other.inventory?.lastRun ?? null).toBeNull();
    });
  });
});
