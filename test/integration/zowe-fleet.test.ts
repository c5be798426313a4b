/**
 * `zowe wh fleet plan|rollout|status` through the installed plugin (real Zowe CLI, isolated
 * ZOWE_CLI_HOME, headless) against three simulated LPARs, the fleet file naming two of them by
 * their Zowe ssh profiles: `--rfj` .data equals `zwh fleet … --json` for the same inputs (run
 * ids and times aside; fleet status byte for byte), a fleet with an unreachable host is exit 4
 * with success false and the recap as the error, and the plugin's progress (imperative's
 * progress bar, stderr lines) works without a terminal and on one.
 *
 * Like test/integration/zowe-plugin.test.ts this runs `npm pack` (test/support/zowe-plugin.ts), so
 * it runs in a checkout with a real node_modules (scripts/test), not in a worktree with a
 * symlinked one.
 */
import { spawnSync, type SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import { dataInCliWords } from "../../src/cli/framework/cli-words";
import { installTargetTrust } from "../../src/deploy/trust";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { ensureBuilt } from "../support/cli";
import { makeBundle, makeSigner, recordingOutput, sampleWheels, simTarget, specFor, type Signer } from "../support/deploy";
import { closedPort } from "../support/ports";
import { ZOWE, ZWH, installZowePlugin, rfjOf, withoutRunFields, zoweEnv, type RfjEnvelope } from "../support/zowe-plugin";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeZoweConfig } = require("../../profiles/generate-zowe-config.js");

let tmp: string;
let home: string;
let work: string;
let sim: SimCluster | undefined;
let signer: Signer;
let bundle: CreatedBundle;
let deadPort: number;

const H = (n: number): SimHost => sim!.hosts[n - 1]!;
const rootOf = (h: SimHost, tag: string) => `${h.home}/wh-${tag}`;
const inventoryOf = (cli: string) => path.join(tmp, `inventory-${cli}`, "inventory.db");

/** Both CLIs see the same Zowe team config (the fleet file's profile targets) and their own trust state. */
const cliEnv = (cli: "zowe" | "zwh", extra: NodeJS.ProcessEnv = {}) => zoweEnv(home, { ZWH_TRUST_STATE: path.join(tmp, `state-${cli}.json`), CI: "true", ...extra });
const zowe = (args: string[], extra: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
  spawnSync(ZOWE, args, { cwd: work, env: cliEnv("zowe", extra), encoding: "utf8", timeout: 300_000 });
const zwh = (args: string[]): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, [ZWH, ...args], { cwd: work, env: cliEnv("zwh"), encoding: "utf8", timeout: 300_000 });

/**
 * A fleet file (JSON is YAML): lpar1 and lpar2 by their Zowe ssh profiles (host, port, user, key
 * and the host key pin from the team config), lpar3 by address; every root <home>/wh-<tag>.
 * `dead` adds a target on a port nothing listens on.
 */
function fleetFile(tag: string, o: { dead?: boolean; hosts?: number[]; rollout?: Record<string, unknown> } = {}): string {
  const targets: Record<string, unknown> = {};
  for (const n of o.hosts ?? [1, 2, 3]) {
    const h = H(n);
    targets[h.name] = n === 3
      ? { host: h.host, port: h.port, user: h.user, identity: h.identityFile, knownHosts: h.knownHostsFile, python: h.pythonPath, root: rootOf(h, tag) }
      : { profile: h.name, python: h.pythonPath, root: rootOf(h, tag) };
  }
  if (o.dead) {
    const h = H(3);
    targets.lpar9 = { host: h.host, port: deadPort, user: h.user, identity: h.identityFile, knownHosts: h.knownHostsFile, python: h.pythonPath, root: rootOf(h, `${tag}-dead`) };
  }
  const f = path.join(work, `fleet-${tag}.yaml`);
  fs.writeFileSync(f, JSON.stringify({ defaults: { trust: signer.trustFile }, targets, rollout: { serial: ["100%"], forks: 4, ...(o.rollout ?? {}) } }, null, 2) + "\n");
  return f;
}

async function trustRoots(tag: string, ns: number[]): Promise<void> {
  await Promise.all(ns.map((n) => installTargetTrust({ spec: specFor(H(n)), root: rootOf(H(n), tag), trustPath: signer.trustFile, progress: recordingOutput().progress })));
}

function json(r: SpawnSyncReturns<string>): Record<string, any> {
  expect(r.stdout, r.stderr).toMatch(/^\s*\{/);
  return JSON.parse(r.stdout) as Record<string, any>;
}

/** zowe's .data against zwh's object for the same inputs: equal once run ids, times and `more` are left out. */
function expectSameData(z: RfjEnvelope, w: Record<string, any>, more: string[] = []): void {
  const a = JSON.stringify(withoutRunFields(z.data, more));
  const b = JSON.stringify(withoutRunFields(dataInCliWords(w, "zowe"), more));
  expect(a).toBe(b);
}

beforeAll(async () => {
  ensureBuilt();
  ({ tmp, home, work } = installZowePlugin("zwh-zowe-fleet-"));
  sim = await startUssHosts({ hosts: 3, dir: path.join(tmp, "sim") });
  // schema: false keeps @zowe/cli (and its own ssh2) out of this process: the bundle and trust
  // set-up below use ours in-process.
  writeZoweConfig(sim.hosts, path.join(home, "zowe.config.json"), { schema: false });
  signer = makeSigner(path.join(work, "keys"));
  bundle = await makeBundle(work, { id: "zfleet", sequence: 1, target: await simTarget(H(1)), signer, wheels: sampleWheels({ app: "1.0" }) });
  deadPort = await closedPort();
  await trustRoots("zowe", [1, 2, 3]);
  await trustRoots("zwh", [1, 2, 3]);
}, 600_000);

afterAll(async () => {
  await sim?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("zowe wh fleet (3 simulated LPARs, two by Zowe ssh profile)", () => {
  it("fleet plan: --rfj .data equals zwh fleet plan --json (free space aside); nothing changes", () => {
    const f = fleetFile("zowe");
    const z = zowe(["wh", "fleet", "plan", bundle.dir, "--fleet", f, "--rfj"]);
    expect(z.status, z.stdout + z.stderr).toBe(0);
    const env = rfjOf(z);
    expect({ success: env.success, exitCode: env.exitCode }).toEqual({ success: true, exitCode: 0 });
    expect(env.data).toMatchObject({ ok: true, command: "fleet plan", operation: "plan", exitCode: 0 });
    expect(env.data.hosts.map((h: { host: string; status: string }) => `${h.host}:${h.status}`)).toEqual(["lpar1:ok", "lpar2:ok", "lpar3:ok"]);
    // The profile targets were reached with the team config's pinned host keys.
    expect(env.data.preflight.map((p: { hostKeyFingerprint: string }) => p.hostKeyFingerprint)).toEqual([1, 2, 3].map((n) => H(n).hostKeyFingerprint));
    const w = zwh(["fleet", "plan", bundle.dir, "--fleet", f, "--json"]);
    expect(w.status, w.stderr).toBe(0);
    expectSameData(env, json(w), ["freeBytes"]);
    for (const n of [1, 2, 3]) expect(fs.existsSync(path.join(rootOf(H(n), "zowe"), "current"))).toBe(false);
  });

  it("fleet rollout --yes: the same recap from both CLIs (each to its own roots), then fleet status --rfj byte for byte zwh's", () => {
    const z = zowe(["wh", "fleet", "rollout", bundle.dir, "--fleet", fleetFile("zowe"), "--inventory", inventoryOf("zowe"), "--yes", "--rfj"]);
    expect(z.status, z.stdout + z.stderr).toBe(0);
    const env = rfjOf(z);
    expect({ success: env.success, exitCode: env.exitCode }).toEqual({ success: true, exitCode: 0 });
    expect(env.data).toMatchObject({ ok: true, command: "fleet rollout", operation: "rollout", exitCode: 0 });
    expect(env.data.hosts.map((h: { host: string; status: string }) => `${h.host}:${h.status}`)).toEqual(["lpar1:changed", "lpar2:changed", "lpar3:changed"]);
    for (const n of [1, 2, 3]) expect(fs.readlinkSync(path.join(rootOf(H(n), "zowe"), "current"))).toContain(env.data.hosts[n - 1].releaseId);

    const w = zwh(["fleet", "rollout", bundle.dir, "--fleet", fleetFile("zwh"), "--inventory", inventoryOf("zwh"), "--yes", "--json"]);
    expect(w.status, w.stderr).toBe(0);
    expectSameData(env, json(w));

    // Status reads the zowe run's roots and inventory in both CLIs: nothing differs at all.
    const f = fleetFile("zowe");
    const zs = zowe(["wh", "fleet", "status", "--fleet", f, "--inventory", inventoryOf("zowe"), "--rfj"]);
    expect(zs.status, zs.stdout + zs.stderr).toBe(0);
    const st = rfjOf(zs);
    expect(st.success).toBe(true);
    expect(st.data.hosts.map((h: { host: string; current: string; lastRun: { runId: string } }) => [h.host, h.current, h.lastRun.runId]))
      .toEqual(env.data.hosts.map((h: { host: string; releaseId: string }) => [h.host, h.releaseId, env.data.runId]));
    const ws = zwh(["fleet", "status", "--fleet", f, "--inventory", inventoryOf("zowe"), "--json"]);
    expect(ws.status, ws.stderr).toBe(0);
    expect(JSON.stringify(st.data)).toBe(JSON.stringify(json(ws)));
  });

  it("an unreachable host: exit 4, success false, the recap as the error, the retry command in Zowe's words; the same data as zwh's", () => {
    const z = zowe(["wh", "fleet", "rollout", bundle.dir, "--fleet", fleetFile("zowe", { hosts: [1], dead: true }), "--inventory", inventoryOf("zowe"), "--yes", "--rfj"]);
    expect(z.status, z.stdout + z.stderr).toBe(4);
    const env = rfjOf(z);
    expect({ success: env.success, exitCode: env.exitCode, ok: env.data.ok, dataExit: env.data.exitCode }).toEqual({ success: false, exitCode: 4, ok: false, dataExit: 4 });
    const hosts = new Map(env.data.hosts.map((h: { host: string }) => [h.host, h]));
    expect(hosts.get("lpar1")).toMatchObject({ status: "unchanged" });
    expect(hosts.get("lpar9")).toMatchObject({ status: "unreachable", errorCode: expect.stringMatching(/^ZWH-/) });
    expect(fs.readFileSync(env.data.retryFile, "utf8")).toMatch(/^lpar9 +# unreachable ZWH-/m);
    expect(env.error?.msg).toContain("lpar9");
    expect(env.error?.msg).toContain("to retry: zowe wh fleet rollout");
    expect(env.message).toContain("lpar9");
    expect(JSON.stringify(env)).not.toContain("'zwh ");

    const w = zwh(["fleet", "rollout", bundle.dir, "--fleet", fleetFile("zwh", { hosts: [1], dead: true }), "--inventory", inventoryOf("zwh"), "--yes", "--json"]);
    expect(w.status, w.stderr).toBe(4);
    // The retry file sits next to each CLI's own inventory, named by its run id.
    expectSameData(env, json(w), ["retryFile"]);
  });

  it("progress without a terminal, colour on and CI unset (imperative makes its bar but draws nothing): the per-host lines on stderr, the recap on stdout", () => {
    const f = fleetFile("zowe");
    const r = zowe(["wh", "fleet", "plan", bundle.dir, "--fleet", f], { FORCE_COLOR: "1", CI: undefined });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const n of [1, 2, 3]) expect(r.stderr).toMatch(new RegExp(`^\\[host \\] lpar${n} batch 0 ok$`, "m"));
    expect(r.stdout).toContain("Fleet plan");
    expect(r.stdout + r.stderr).not.toMatch(/progress bar has already been started|TypeError|at .*\.js:\d+/);
  });

  it("progress on a terminal (script(1) gives the command a pty): the bar shows hosts done and failed and the host at work, then the lines and the recap", () => {
    const f = fleetFile("zowe", { hosts: [1, 2], dead: true });
    const cmd = [ZOWE, "wh", "fleet", "rollout", bundle.dir, "--fleet", f, "--inventory", inventoryOf("zowe"), "--yes"].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("script", ["-qefc", cmd, "/dev/null"], { cwd: work, env: cliEnv("zowe", { FORCE_COLOR: "1", CI: undefined, TERM: "xterm" }), encoding: "utf8", timeout: 300_000 });
    expect(r.status, r.stdout + r.stderr).toBe(4);
    const out = r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
    // Redrawn every 65 ms: the refused connection fails lpar9 at once, lpar1 and lpar2 take
    // their SSH sessions' time, so the failure shows while they still run.
    expect(out).toMatch(/\| [0-2]\/3 done, 1 failed; batch 0: lpar[12]\b/);
    // Held back by imperative while the bar ran, printed once it ended (right after its last frame).
    expect(out).toMatch(/\| Complete\s*\[host \] lpar\d batch 0 /);
    expect(out).toMatch(/\[host \] lpar9 batch 0 unreachable ZWH-[A-Z-]+: /);
    expect(out).toMatch(/^\[host \] lpar1 batch 0 unchanged\r?$/m);
    expect(out).toMatch(/^lpar9 +unreachable /m);
  });
});
