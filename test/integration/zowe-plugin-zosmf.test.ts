/**
 * `zowe wheelhouse … --transport zosmf` through the installed plugin (real Zowe CLI, isolated
 * ZOWE_CLI_HOME, headless: "CredentialManager": false) against the simulated z/OSMF: the zosmf
 * profile written by profiles/generate-zowe-config.js, the CA from the wheelhouse profile's
 * zosmfCaFile; target probe, target trust, deploy, status; `--rfj` .data equal to zwh --json
 * except for run-specific fields; a wrong zosmf password gives ZWH-ZOSMF-AUTH.
 *
 * Like test/integration/zowe-plugin.test.ts this runs `npm pack`, so it is run by the
 * integrator's full suite (scripts/test), not in a worktree with a symlinked node_modules.
 */
import { spawnSync, type SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUssHosts, type SimCluster } from "../sim";
import { buildWheel, type WheelSpec } from "../support/wheels";
import { ZOWE, ZWH, installZowePlugin, rfjOf as rfj, withoutRunFields as stable, zoweEnv } from "../support/zowe-plugin";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeZoweConfig } = require("../../profiles/generate-zowe-config.js");

let tmp: string;
let home: string;
let work: string;
let sim: SimCluster | undefined;

const zenv = (extra: NodeJS.ProcessEnv = {}) => zoweEnv(home, { ZWH_INVENTORY: path.join(tmp, "inventory.db"), ...extra });
const zowe = (args: string[], extra: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
  spawnSync(ZOWE, args, { cwd: work, env: zenv(extra), encoding: "utf8", timeout: 600_000 });
const zwh = (args: string[]): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, [ZWH, ...args], { cwd: work, env: zenv(), encoding: "utf8", timeout: 600_000 });
const ok = (r: SpawnSyncReturns<string>) => expect(r.status, r.stdout + r.stderr).toBe(0);

const PROF = ["--transport", "zosmf", "--zosmf-profile", "lpar1_zosmf", "--wheelhouse-profile", "prod"];

beforeAll(async () => {
  ({ tmp, home, work } = installZowePlugin("zwh-zowe-zosmf-"));
  sim = await startUssHosts({ hosts: 1, dir: path.join(tmp, "sim"), zosmf: true });
  const cfgFile = path.join(home, "zowe.config.json");
  writeZoweConfig(sim.hosts, cfgFile, {});
  // a second zosmf profile with a wrong password
  const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
  cfg.profiles.bad_zosmf = { type: "zosmf", properties: { ...cfg.profiles.lpar1_zosmf.properties, password: "wrong-zosmf-pw" } };
  fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 4));
}, 600_000);

afterAll(async () => {
  await sim?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("zowe wheelhouse --transport zosmf", () => {
  const wheels: WheelSpec[] = [
    { name: "zwhdemo-util", version: "1.0", files: { "zwhdemo_util/__init__.py": "VERSION = '1.0'\n" } },
    { name: "zwhdemo-app", version: "1.0", requiresDist: ["zwhdemo-util>=1.0"], files: { "zwhdemo_app/__init__.py": "import zwhdemo_util\nVERSION = '1.0'\n" } },
  ];
  const trustFile = () => path.join(tmp, "keys", "trust.json");
  let bundleDir: string;

  beforeAll(async () => {
    const keys = path.join(tmp, "keys");
    ok(zwh(["keys", "generate", "--out", path.join(keys, "release-bot")]));
    ok(zwh(["trust", "init", "--out", trustFile(), "--channel", "stable"]));
    ok(zwh(["trust", "add-key", "--trust", trustFile(), "--key", path.join(keys, "release-bot.pub"), "--name", "release-bot"]));
    const probe = zowe(["wh", "target", "probe", ...PROF, "--rfj"]);
    ok(probe);
    expect(rfj(probe).data.target.authMethod).toBe("zosmf-basic");
    fs.writeFileSync(path.join(work, "probe.json"), JSON.stringify(rfj(probe).data));
    const wheelDir = path.join(work, "wheels");
    for (const w of wheels) await buildWheel(wheelDir, w);
    fs.writeFileSync(path.join(work, "top.txt"), "zwhdemo-app\n");
    bundleDir = path.join(work, "bundle-demo-1");
    ok(zwh(["bundle", "create", wheelDir, "--out", bundleDir, "--id", "demo", "--channel", "stable", "--sequence", "1",
      "--target-env", path.join(work, "probe.json"), "--requirements", path.join(work, "top.txt"), "--sign-key", path.join(keys, "release-bot.key")]));
  }, 600_000);

  it("target trust, deploy, status through the plugin; status --rfj .data equals zwh --json", () => {
    ok(zowe(["wh", "target", "trust", ...PROF, "--trust", trustFile(), "--rfj"]));
    const d = zowe(["wh", "deploy", bundleDir, ...PROF, "--trust", trustFile(), "--rfj"]);
    ok(d);
    expect(rfj(d).data).toMatchObject({ ok: true, action: "install", changed: true, upload: { files: 2 } });
    const a = zowe(["wh", "status", ...PROF, "--rfj"]);
    const b = zwh(["status", ...PROF, "--json"]);
    ok(a);
    ok(b);
    expect(stable(rfj(a).data)).toEqual(stable(JSON.parse(b.stdout)));
    expect(rfj(a).data.current.releaseId).toBe(rfj(d).data.releaseId);
  });

  it("a wrong zosmf password gives ZWH-ZOSMF-AUTH and is not printed", () => {
    const r = zowe(["wh", "status", "--transport", "zosmf", "--zosmf-profile", "bad_zosmf", "--wheelhouse-profile", "prod", "--rfj"]);
    expect(rfj(r).exitCode).toBe(1);
    expect(rfj(r).data.error.code).toBe("ZWH-ZOSMF-AUTH");
    expect(r.stdout + r.stderr).not.toContain("wrong-zosmf-pw");
  });
});
