/**
 * Fleet rollouts against 12 simulated LPARs through the built zwh CLI (`zwh fleet …`): a mixed
 * fleet (unreachable, host key mismatch, lock held, pip failing, a shared filesystem) recapped
 * with exit 6 and a retry file, the retry file round trip (--limit @FILE), a stalled host failed
 * by the progress deadline, the canary stop on an interpreter too old for the bundle, the
 * per-batch, cumulative and all-failed stop rules (with proof that hosts of later batches were
 * never touched), --limit errors, plan (read-only), resume after the controller is SIGKILLed,
 * rollback and status. The PostgreSQL shard split is in fleet-shard.test.ts.
 */
import { spawn } from "child_process";
import { chmodSync, existsSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import type { FleetRecap, HostRecap } from "../../src/core/fleet-types";
import { acquireLock, lockOwner } from "../../src/deploy/lock";
import { layoutFor } from "../../src/deploy/layout";
import { TargetOps } from "../../src/deploy/target-ops";
import { installTargetTrust } from "../../src/deploy/trust";
import { openStore } from "../../src/inventory";
import { connect } from "../../src/index";
import { cpuMark, readCpuRecords, setSimSwitches, startUssHosts, type SimCluster, type SimHost } from "../sim";
import { REPO, ensureBuilt, zwhAsync } from "../support/cli";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy";
import { closedPort as unusedPort } from "../support/ports";
import { makeBundle, makeSigner, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";
import { zosTarget } from "../../src/bundle/target";

let sim: SimCluster;
let H: SimHost[];
let work: string;
let signer: Signer;
let v1: CreatedBundle;
let v2: CreatedBundle;
let newPy: CreatedBundle;
let inventory: string;
let retryDir: string;
let stall: FaultProxy;
let stallKnownHosts: string;
let closedPort: number;

const host = (n: number) => H[n - 1]!;

type TargetOverride = Partial<{ port: number; hostKey: string; knownHosts: string; root: string }>;

/** A fleet file (JSON is YAML) over the given hosts, each with root <home>/wh-<tag> unless overridden. */
function fleetFile(tag: string, o: { hosts: number[]; over?: Record<number, TargetOverride>; groups?: Record<string, string[]>; shared?: Record<string, string[]>; rollout?: Record<string, unknown> }): string {
  const targets: Record<string, unknown> = {};
  for (const n of o.hosts) {
    const h = host(n);
    targets[h.name] = { host: h.host, port: h.port, user: h.user, identity: h.identityFile, knownHosts: h.knownHostsFile, python: h.pythonPath, root: rootOf(h, tag), ...(o.over?.[n] ?? {}) };
  }
  const doc = { defaults: { trust: signer.trustFile }, targets, groups: o.groups ?? {}, sharedFilesystems: o.shared ?? {}, rollout: { forks: 12, ...(o.rollout ?? {}) } };
  const f = join(work, `fleet-${tag}.yaml`);
  writeFileSync(f, JSON.stringify(doc, null, 2) + "\n");
  return f;
}

const rootOf = (h: SimHost, tag: string) => `${h.home}/wh-${tag}`;

async function trustRoots(tag: string, ns: number[], root?: (h: SimHost) => string): Promise<void> {
  await Promise.all(ns.map((n) => installTargetTrust({ spec: specFor(host(n)), root: root ? root(host(n)) : rootOf(host(n), tag), trustPath: signer.trustFile, progress: recordingOutput().progress })));
}

interface Run {
  code: number;
  recap: FleetRecap & { ok?: boolean; error?: { code: string; message: string } };
  stderr: string;
}

async function fleet(args: string[], state: string): Promise<Run> {
  // `fleet plan` records nothing, so it takes no --inventory.
  const inv = args[0] === "plan" ? [] : ["--inventory", inventory];
  const r = await zwhAsync(["fleet", ...args, ...inv, "--json"], { env: { ZWH_TRUST_STATE: join(work, `state-${state}.json`), HOME: work } });
  // The stderr and the JSON error travel with the exit code, so a failed expectation says why.
  const json = r.json as unknown as Run["recap"];
  return { code: r.code, recap: json, stderr: `${r.stderr}\n${JSON.stringify(json?.error ?? null)}` };
}

function byHost(r: Run): Map<string, HostRecap> {
  return new Map(r.recap.hosts.map((h) => [h.host, h]));
}

function currentOf(root: string): string | null {
  try {
    return readlinkSync(join(root, "current"));
  } catch {
    return null;
  }
}

/** No session of any kind reached the host since `mark`, and its root holds nothing. */
function untouched(h: SimHost, root: string, mark: number): void {
  expect(readCpuRecords(h, mark)).toEqual([]);
  expect(existsSync(root)).toBe(false);
}

beforeAll(async () => {
  ensureBuilt();
  sim = await startUssHosts({ hosts: 12 });
  H = sim.hosts;
  work = tmp("zwh-fleet-");
  chmodSync(work, 0o755);
  signer = makeSigner(join(work, "keys"));
  const target = await simTarget(host(1));
  v1 = await makeBundle(work, { id: "fleetapp", sequence: 1, target, signer, wheels: sampleWheels({ app: "1.0" }) });
  v2 = await makeBundle(work, { id: "fleetapp", sequence: 2, target, signer, wheels: sampleWheels({ app: "2.0" }) });
  // Closed for the next Python minor than the simulated SDK's: every host's interpreter is too old for it.
  const [maj, min] = target.pythonVersion.split(".").map(Number);
  newPy = await makeBundle(work, { id: "newpy", sequence: 99, target: zosTarget(`${maj}.${min! + 1}`, target.platform), signer, wheels: sampleWheels({ app: "1.0" }) });
  inventory = join(work, "inventory.db");
  retryDir = join(work, "retry");
  closedPort = await unusedPort();
  stall = await startFaultProxy({ targetHost: host(6).host, targetPort: host(6).port, mode: "pass" });
  stallKnownHosts = join(work, "known_hosts_stall");
  writeFileSync(stallKnownHosts, readFileSync(host(6).knownHostsFile, "utf8").replace(`]:${host(6).port} `, `]:${stall.port} `));
}, 900_000);

afterAll(async () => {
  await stall?.stop();
  await sim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("zwh fleet (12 simulated LPARs)", () => {
  it("--limit that matches nothing is exit 1 ZWH-FLEET-LIMIT-NOMATCH and touches nothing; more than one host needs --yes", async () => {
    const f = fleetFile("limit", { hosts: [1, 2, 3] });
    const marks = [1, 2, 3].map((n) => cpuMark(host(n)));
    const r = await fleet(["rollout", v1.dir, "--fleet", f, "--limit", "lpar99", "--yes"], "limit");
    expect(r.code).toBe(1);
    expect(r.recap.error?.code).toBe("ZWH-FLEET-LIMIT-NOMATCH");
    expect(r.recap.error?.message).toMatch(/lpar99/);
    const y = await fleet(["rollout", v1.dir, "--fleet", f, "--limit", "lpar1,lpar2"], "limit");
    expect(y.code).toBe(1);
    expect(y.recap.error?.code).toBe("ZWH-FLEET-CONFIRM");
    [1, 2, 3].forEach((n, i) => untouched(host(n), rootOf(host(n), "limit"), marks[i]!));
  }, 120_000);

  let mixRetry: string;
  let mixRun: string;

  it("a mixed fleet: unreachable and host-key mismatch are unreachable, lock held and pip failure are failed, a shared filesystem installs once; exit 6, retry file", async () => {
    const all = [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12];
    const shared = `${host(7).home}/wh-mix-shared`;
    await trustRoots("mix", [1, 4, 5, 9, 10, 11, 12]);
    await trustRoots("mix", [7], () => shared);
    // lpar4: a maintenance lock held by someone else.
    const t4 = await connect(specFor(host(4)));
    const ops = new TargetOps(t4, layoutFor(rootOf(host(4), "mix")), host(4).pythonPath);
    await ops.ensureHelpers();
    const held = await acquireLock(ops, lockOwner("maintenance", "manual-run", host(4).user, { message: "fix the zFS" }), 3600);
    await t4.close();
    setSimSwitches(host(5), { pipInstallFails: "fleet test" });
    const f = fleetFile("mix", {
      hosts: all,
      over: { 2: { port: closedPort }, 3: { hostKey: host(4).hostKeyFingerprint }, 7: { root: shared }, 8: { root: shared } },
      shared: { plexfs: ["lpar7", "lpar8"] },
      rollout: { serial: ["100%"], maxFailPercentage: 100, continueOnBatchFailure: true },
    });
    const r = await fleet(["rollout", v1.dir, "--fleet", f, "--yes", "--retry-dir", retryDir], "mix");
    setSimSwitches(host(5), { pipInstallFails: "" });
    const m = byHost(r);
    expect(r.code, r.stderr).toBe(6);
    expect(r.recap.exitCode).toBe(6);
    expect(r.recap.stopped).toBeUndefined();
    for (const n of [1, 7, 9, 10, 11, 12]) expect(m.get(`lpar${n}`)?.status, `lpar${n}`).toBe("changed");
    expect(m.get("lpar2")).toMatchObject({ status: "unreachable", step: "connect" });
    expect(m.get("lpar2")!.errorCode).toMatch(/^ZWH-SSH-/);
    expect(m.get("lpar3")).toMatchObject({ status: "unreachable", errorCode: "ZWH-SSH-HOSTKEY-MISMATCH" });
    expect(m.get("lpar4")).toMatchObject({ status: "failed", errorCode: "ZWH-LOCK-HELD" });
    expect(m.get("lpar4")!.reason).toMatch(/maintenance|manual-run/);
    expect(m.get("lpar5")).toMatchObject({ status: "failed", step: "install" });
    expect(m.get("lpar5")!.reason).toMatch(/EDC5133I|No space left/);
    // Shared filesystem: lpar7 installed, lpar8 only verified the same release.
    expect(m.get("lpar8")).toMatchObject({ status: "ok", sharedWith: { group: "plexfs", installer: "lpar7" }, releaseId: m.get("lpar7")!.releaseId });
    expect(readdirSync(join(shared, "releases"))).toEqual([m.get("lpar7")!.releaseId]);
    // The lock of lpar4 is still the maintenance lock; nothing was installed there.
    expect(JSON.parse(readFileSync(join(rootOf(host(4), "mix"), ".wheelhouse", "lock", "owner.json"), "utf8")).lock_id).toBe(held.lockId);
    expect(currentOf(rootOf(host(4), "mix"))).toBeNull();
    // Batch totals and the retry file (failed + unreachable, with the reasons).
    expect(r.recap.batches).toHaveLength(1);
    expect(r.recap.batches[0]!.counts).toMatchObject({ changed: 6, ok: 1, failed: 2, unreachable: 2 });
    mixRetry = r.recap.retryFile!;
    mixRun = r.recap.runId;
    expect(mixRetry.startsWith(retryDir)).toBe(true);
    const retry = readFileSync(mixRetry, "utf8");
    for (const n of [2, 3, 4, 5]) expect(retry).toMatch(new RegExp(`^lpar${n}\\b.*#`, "m"));
    expect(retry).toMatch(/ZWH-LOCK-HELD/);
    expect(retry).not.toMatch(/^lpar1\b/m);
    // The store: one fleet run, every host with its batch and outcome; the shared group recorded.
    const store = await openStore(inventory);
    try {
      const rows = await store.listRunHosts(mixRun);
      expect(rows.map((x) => x.host).sort()).toEqual(all.map((n) => `lpar${n}`).sort());
      expect(rows.every((x) => x.batchNo === 0)).toBe(true);
      expect(rows.find((x) => x.host === "lpar2")).toMatchObject({ status: "unreachable" });
      expect(rows.find((x) => x.host === "lpar5")).toMatchObject({ status: "failed", failedStep: "install" });
      expect(rows.find((x) => x.host === "lpar8")).toMatchObject({ status: "ok" });
      expect((await store.getRun(mixRun))).toMatchObject({ kind: "fleet", status: "partial", exitCode: 6 });
      expect((await store.listFsGroups()).find((g) => g.name === "plexfs")?.hosts).toEqual(["lpar7", "lpar8"]);
    } finally {
      await store.close();
    }
    // The lock stays for the retry round trip to find; release it now the way an operator would.
    const again = await connect(specFor(host(4)));
    await new TargetOps(again, layoutFor(rootOf(host(4), "mix")), host(4).pythonPath).helper("zwh_target.py", ["lock", "release", "--root", rootOf(host(4), "mix"), "--lock-id", held.lockId]);
    await again.close();
  }, 600_000);

  it("the retry file round trip: --limit @FILE selects exactly the failed and unreachable hosts; the fixed ones now succeed (exit 4)", async () => {
    expect(currentOf(rootOf(host(4), "mix"))).toBeNull();
    const f = join(work, "fleet-mix.yaml");
    const marks = new Map([1, 7, 9].map((n) => [n, cpuMark(host(n))]));
    const r = await fleet(["rollout", v1.dir, "--fleet", f, "--limit", `@${mixRetry}`, "--yes", "--retry-dir", retryDir], "mix");
    expect(r.code, r.stderr).toBe(4);
    const m = byHost(r);
    expect([...m.keys()].sort()).toEqual(["lpar2", "lpar3", "lpar4", "lpar5"]);
    expect(m.get("lpar4")?.status).toBe("changed");
    expect(m.get("lpar5")?.status).toBe("changed");
    expect(m.get("lpar2")?.status).toBe("unreachable");
    expect(m.get("lpar3")?.status).toBe("unreachable");
    // Hosts not in the retry file were not contacted.
    for (const [n, mark] of marks) expect(readCpuRecords(host(n), mark)).toEqual([]);
    expect(readFileSync(r.recap.retryFile!, "utf8")).not.toMatch(/^lpar[45]\b/m);
  }, 600_000);

  it("a host that stops making progress is failed with ZWH-FLEET-STALLED by the progress deadline, not by a transport timeout", async () => {
    await trustRoots("stall", [6]);
    const f = fleetFile("stall", { hosts: [6], over: { 6: { port: stall.port, knownHosts: stallKnownHosts } } });
    // Enough for the SSH handshake, then nothing more in either direction (the helpers' upload stalls).
    stall.setMode({ mode: "stallAfterBytes", bytes: 30_000, direction: "up" });
    const r = await fleet(["rollout", v1.dir, "--fleet", f, "--yes", "--progress-deadline", "10", "--retry-dir", retryDir], "stall");
    stall.setMode({ mode: "pass" });
    expect(r.code, r.stderr).toBe(2);
    // Only the deadline produces this code (SFTP inactivity would be ZWH-SSH-TIMEOUT after 120 s).
    expect(byHost(r).get("lpar6")).toMatchObject({ status: "failed", errorCode: "ZWH-FLEET-STALLED" });
    // Which step the 30 kB budget runs out in (observe with its helper upload, or the wheel
    // upload) depends on what the target already holds; the deadline is what is tested.
    expect(byHost(r).get("lpar6")!.reason).toMatch(/^lpar6: no progress for 10 s during '[^']+'; its session was closed and the host failed$/);
  }, 300_000);

  it("the canary batch must fully succeed: an interpreter too old for the bundle stops the run, and no other host is touched (exit 2)", async () => {
    await trustRoots("canary", [1]);
    const f = fleetFile("canary", { hosts: [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12], groups: { canary: ["lpar1"] }, rollout: { canary: "canary", serial: [2, "100%"], maxFailPercentage: 100 } });
    const others = [2, 3, 4, 5, 7, 8, 9, 10, 11, 12];
    const marks = new Map(others.map((n) => [n, cpuMark(host(n))]));
    const r = await fleet(["rollout", newPy.dir, "--fleet", f, "--yes", "--retry-dir", retryDir], "canary");
    expect(r.code, r.stderr).toBe(2);
    const m = byHost(r);
    expect(m.get("lpar1")).toMatchObject({ status: "failed", batch: 0, errorCode: "ZWH-BUNDLE-TARGET-MISMATCH", step: "verify-bundle" });
    expect(m.get("lpar1")!.reason).toMatch(/pythonVersion/);
    expect(r.recap.stopped).toMatchObject({ code: "ZWH-FLEET-CANARY-FAILED", batch: 0 });
    for (const n of others) {
      expect(m.get(`lpar${n}`)).toMatchObject({ status: "skipped", errorCode: "ZWH-FLEET-CANARY-FAILED" });
      untouched(host(n), rootOf(host(n), "canary"), marks.get(n)!);
    }
    expect(currentOf(rootOf(host(1), "canary"))).toBeNull();
  }, 300_000);

  it("per-batch threshold: a batch whose failures exceed maxFailPercentage stops the run; later batches are skipped and untouched", async () => {
    // Batches of 2 on roots where v1 is current (unchanged is cheap); lpar2 is unreachable.
    const f = fleetFile("thr", { hosts: [1, 2, 9, 10, 11, 12], over: { 1: { root: rootOf(host(1), "mix") }, 2: { port: closedPort } }, rollout: { serial: [2], maxFailPercentage: 25, maxFailTotal: 5 } });
    const later = [9, 10, 11, 12];
    const marks = new Map(later.map((n) => [n, cpuMark(host(n))]));
    const r = await fleet(["rollout", v1.dir, "--fleet", f, "--yes", "--retry-dir", retryDir], "thr");
    // 4 (unreachable) + 2 (hosts skipped: the bundle is not on them, so CI must not pass).
    expect(r.code, r.stderr).toBe(6);
    expect(r.recap.stopped).toMatchObject({ code: "ZWH-FLEET-BATCH-THRESHOLD", batch: 0 });
    const m = byHost(r);
    expect(m.get("lpar1")?.status).toBe("unchanged");
    for (const n of later) {
      expect(m.get(`lpar${n}`)).toMatchObject({ status: "skipped", errorCode: "ZWH-FLEET-BATCH-THRESHOLD" });
      untouched(host(n), rootOf(host(n), "thr"), marks.get(n)!);
    }
    expect(r.recap.batches.map((b) => b.counts.skipped)).toEqual([0, 2, 2]);
  }, 300_000);

  it("cumulative threshold: each batch within maxFailPercentage, but failures so far exceed maxFailTotal", async () => {
    const mixRoot = (n: number) => ({ root: rootOf(host(n), "mix") });
    // Batch 0: lpar1 ok + lpar2 unreachable (50%, not > 50); batch 1: lpar9 ok + lpar3 unreachable: total 2 > 1.
    const f = fleetFile("cum", {
      hosts: [1, 2, 9, 3, 10, 11],
      over: { 1: mixRoot(1), 9: mixRoot(9), 10: mixRoot(10), 11: mixRoot(11), 2: { port: closedPort }, 3: { port: closedPort } },
      rollout: { serial: [2], maxFailPercentage: 50, maxFailTotal: 1 },
    });
    const marks = new Map([10, 11].map((n) => [n, cpuMark(host(n))]));
    const r = await fleet(["rollout", v1.dir, "--fleet", f, "--yes", "--retry-dir", retryDir], "mix");
    expect(r.code, r.stderr).toBe(6);
    expect(r.recap.stopped).toMatchObject({ code: "ZWH-FLEET-TOTAL-THRESHOLD", batch: 1 });
    const m = byHost(r);
    expect(m.get("lpar9")?.status).toBe("unchanged");
    for (const n of [10, 11]) {
      expect(m.get(`lpar${n}`)).toMatchObject({ status: "skipped", errorCode: "ZWH-FLEET-TOTAL-THRESHOLD" });
      expect(readCpuRecords(host(n), marks.get(n)!)).toEqual([]);
    }
  }, 300_000);

  it("a batch where every host failed stops even at maxFailPercentage 100, unless --continue-on-batch-failure", async () => {
    const f = fleetFile("allfail", {
      hosts: [2, 3, 9, 10],
      over: { 2: { port: closedPort }, 3: { port: closedPort }, 9: { root: rootOf(host(9), "mix") }, 10: { root: rootOf(host(10), "mix") } },
      rollout: { serial: [2], maxFailPercentage: 100, maxFailTotal: "100%" },
    });
    const mark9 = cpuMark(host(9));
    const r = await fleet(["rollout", v1.dir, "--fleet", f, "--yes", "--retry-dir", retryDir], "mix");
    expect(r.code, r.stderr).toBe(6);
    expect(r.recap.stopped).toMatchObject({ code: "ZWH-FLEET-BATCH-ALL-FAILED", batch: 0 });
    expect(byHost(r).get("lpar9")?.status).toBe("skipped");
    expect(readCpuRecords(host(9), mark9)).toEqual([]);
    const c = await fleet(["rollout", v1.dir, "--fleet", f, "--yes", "--continue-on-batch-failure", "--retry-dir", retryDir], "mix");
    expect(c.code, c.stderr).toBe(4);
    expect(c.recap.stopped).toBeUndefined();
    expect(byHost(c).get("lpar9")?.status).toBe("unchanged");
    expect(byHost(c).get("lpar10")?.status).toBe("unchanged");
  }, 300_000);

  it("fleet plan preflights every host read-only: what would change, the lock, the interpreter, unreachable hosts (nothing written)", async () => {
    const f = fleetFile("plan", {
      hosts: [1, 2, 4, 9],
      over: { 1: { root: rootOf(host(1), "mix") }, 2: { port: closedPort }, 4: { root: rootOf(host(4), "mix") }, 9: { root: rootOf(host(9), "fresh-plan") } },
    });
    const before = readdirSync(join(rootOf(host(1), "mix"), "releases"));
    const r = await fleet(["plan", v2.dir, "--fleet", f], "plan");
    expect(r.code, r.stderr).toBe(6);
    const m = byHost(r);
    expect(m.get("lpar1")).toMatchObject({ status: "ok" });
    expect(m.get("lpar1")!.reason).toMatch(/would install/);
    expect(m.get("lpar2")?.status).toBe("unreachable");
    expect(m.get("lpar9")?.status).toBe("failed"); // a fresh root has no trust anchors: blocked
    const pf = (r.recap as unknown as { preflight: Array<{ host: string; python?: { version: string }; sequence?: { accepted: number | null; offered: number } }> }).preflight;
    expect(pf.find((p) => p.host === "lpar1")).toMatchObject({ sequence: { accepted: 1, offered: 2 } });
    expect(pf.find((p) => p.host === "lpar1")!.python?.version).toMatch(/^3\./);
    expect(readdirSync(join(rootOf(host(1), "mix"), "releases"))).toEqual(before);
    expect(existsSync(rootOf(host(9), "fresh-plan"))).toBe(false);
    const old = await fleet(["plan", newPy.dir, "--fleet", f, "--limit", "lpar1"], "plan");
    expect(old.code).toBe(2);
    expect(byHost(old).get("lpar1")).toMatchObject({ status: "failed", errorCode: "ZWH-BUNDLE-TARGET-MISMATCH" });
  }, 300_000);

  it("resume after the controller is SIGKILLed mid-run: done hosts stay, the rest run, this run's orphaned lock is taken over (exit 0)", async () => {
    const ns = [9, 10, 11, 12];
    await trustRoots("resume", ns);
    const f = fleetFile("resume", { hosts: ns, rollout: { serial: [1, "100%"], maxFailPercentage: 0 } });
    const s0 = await openStore(inventory);
    const seq0 = (await s0.listEvents()).length;
    await s0.close();
    const c = spawn(process.execPath, [join(REPO, "bin", "zwh.js"), "fleet", "rollout", v1.dir, "--fleet", f, "--yes", "--inventory", inventory, "--retry-dir", retryDir], {
      cwd: REPO, env: { ...process.env, CI: "true", HOME: work, ZWH_TRUST_STATE: join(work, "state-resume.json") }, stdio: "ignore",
    });
    const exited = new Promise<void>((r) => c.on("exit", () => r()));
    // Kill once batch 0 is recorded and a batch-1 host holds its deployment lock.
    const lockDirs = [10, 11, 12].map((n) => join(rootOf(host(n), "resume"), ".wheelhouse", "lock"));
    let runId: string | undefined;
    const t0 = Date.now();
    while (Date.now() - t0 < 300_000) {
      await new Promise((r) => setTimeout(r, 100));
      if (!runId) {
        const s = await openStore(inventory);
        try {
          const runs = (await s.listEvents(seq0 + 1)).filter((e) => e.type === "run.host" && e.host === "lpar9" && (e.payload as { status?: string }).status === "changed");
          runId = runs.at(-1)?.runId ?? undefined;
        } finally {
          await s.close();
        }
      }
      if (runId && lockDirs.some((d) => existsSync(join(d, "owner.json")))) break;
    }
    expect(runId).toBeDefined();
    c.kill("SIGKILL");
    await exited;
    const locked = [10, 11, 12].filter((n, i) => existsSync(join(lockDirs[i]!, "owner.json")));
    expect(locked.length).toBeGreaterThan(0);
    const s = await openStore(inventory);
    let before;
    try {
      before = await s.listRunHosts(runId!);
      expect((await s.getRun(runId!))?.finishedAt).toBeNull();
    } finally {
      await s.close();
    }
    expect(before.find((x) => x.host === "lpar9")?.status).toBe("changed");
    expect(before.filter((x) => x.status === "running").length).toBeGreaterThan(0);
    const r = await fleet(["resume", runId!, "--yes", "--retry-dir", retryDir], "resume");
    expect(r.code, r.stderr).toBe(0);
    expect(r.recap.runId).toBe(runId);
    const m = byHost(r);
    expect(m.get("lpar9")?.status).toBe("changed"); // kept from before the kill, not re-run
    for (const n of [10, 11, 12]) {
      expect(["changed", "unchanged"]).toContain(m.get(`lpar${n}`)?.status);
      expect(currentOf(rootOf(host(n), "resume"))).toBe(`releases/${m.get("lpar9")!.releaseId}`);
      expect(existsSync(join(rootOf(host(n), "resume"), ".wheelhouse", "lock", "owner.json"))).toBe(false);
    }
    const s2 = await openStore(inventory);
    try {
      const take = (await s2.listEvents()).filter((e) => e.type === "fleet.lock-takeover" && e.runId === runId).map((e) => e.host);
      // Every lock seen at the kill was taken over; a lock acquire still in flight on the target
      // when the controller died may have left more (all of this run, all of hosts left running).
      for (const n of locked) expect(take).toContain(`lpar${n}`);
      for (const h of take) expect(before.find((x) => x.host === h)?.status).toBe("running");
      expect((await s2.getRun(runId!))).toMatchObject({ status: "changed", exitCode: 0 });
    } finally {
      await s2.close();
    }
  }, 900_000);

  it("fleet rollback returns every selected host to its previous release, and fleet status shows it", async () => {
    // The retry round trip left lpar4/lpar5 on v1 with no previous; deploy v2 on lpar1 and lpar9 first.
    const f = fleetFile("rb", { hosts: [1, 9], over: { 1: { root: rootOf(host(1), "mix") }, 9: { root: rootOf(host(9), "mix") } } });
    const up = await fleet(["rollout", v2.dir, "--fleet", f, "--yes", "--retry-dir", retryDir], "rb");
    expect(up.code, up.stderr).toBe(0);
    const v2rel = byHost(up).get("lpar1")!.releaseId!;
    const back = await fleet(["rollback", "--fleet", f, "--yes", "--retry-dir", retryDir], "rb");
    expect(back.code, back.stderr).toBe(0);
    expect(back.recap.operation).toBe("rollback");
    for (const h of ["lpar1", "lpar9"]) {
      expect(byHost(back).get(h)?.status).toBe("changed");
      expect(byHost(back).get(h)?.releaseId).not.toBe(v2rel);
    }
    const st = await zwhAsync(["fleet", "status", "--fleet", f, "--inventory", inventory, "--json"], { env: { HOME: work } });
    expect(st.code, st.stderr).toBe(0);
    const rows = (st.json as { hosts: Array<{ host: string; current: string; lastRun: { kind: string; status: string } }> }).hosts;
    expect(rows.find((x) => x.host === "lpar1")).toMatchObject({ current: byHost(back).get("lpar1")!.releaseId, lastRun: { kind: "fleet", status: "changed" } });
  }, 600_000);
});
