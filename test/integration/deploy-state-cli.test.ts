/**
 * Issue 8 §3 and §5 through the built zwh CLI against the USS simulator:
 * - the LPAR keeps its own rollback state: two workstations with separate HOME, state file and
 *   inventory cannot downgrade a host; `bundle verify` agrees with `deploy` once the workstation
 *   has seen the target; rollback still works and is recorded as a downgrade; --allow-downgrade
 *   is explicit and recorded;
 * - locks that mean something: a live lock is not broken without --force, a break is recorded
 *   with who broke it, and the deploy that lost its lock stops before activation with `current`
 *   unchanged (the run is paused mid-flight with the ZWH_TEST_PAUSE_* test seam).
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Each test runs several real deploys (sshd, pip, venvs) through the CLI; the shared CI machine is slow.
const LONG = 600_000;
import type { CreatedBundle } from "../../src/bundle/create";
import { FileSequenceStore } from "../../src/bundle/signing/sequence-state";
import { deploy } from "../../src/deploy/deploy";
import { installTargetTrust } from "../../src/deploy/trust";
import { openStore } from "../../src/inventory";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { ensureBuilt, REPO, zwh, type CliResult } from "../support/cli";
import { makeBundle, makeSigner, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";

let sim: SimCluster;
let h: SimHost;
let work: string;
let signer: Signer;
let b1: CreatedBundle;
let b2: CreatedBundle;
let b3: CreatedBundle;

beforeAll(async () => {
  ensureBuilt();
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = tmp("zwh-state-cli-");
  signer = makeSigner(join(work, "keys"));
  const target = await simTarget(h);
  b1 = await makeBundle(work, { id: "app", sequence: 1, target, signer, wheels: sampleWheels({ app: "1.0" }) });
  b2 = await makeBundle(work, { id: "app", sequence: 2, target, signer, wheels: sampleWheels({ app: "2.0" }) });
  b3 = await makeBundle(work, { id: "app", sequence: 3, target, signer, wheels: sampleWheels({ app: "3.0" }) });
});

afterAll(async () => {
  await sim?.stop();
});

/** One operator workstation: its own HOME, rollback state file and inventory. */
interface Workstation {
  home: string;
  state: string;
  inventory: string;
  env: NodeJS.ProcessEnv;
}

function workstation(name: string): Workstation {
  const home = join(work, `ws-${name}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(home, { recursive: true });
  return { home, state: join(home, ".zwh", "trust-state.json"), inventory: join(home, ".zwh", "inventory.db"), env: { HOME: home } };
}

function targetArgs(root: string): string[] {
  return ["--host", h.host, "--port", String(h.port), "--user", h.user, "--identity", h.identityFile, "--known-hosts", h.knownHostsFile, "--python", h.pythonPath, "--root", root];
}

function deployArgs(ws: Workstation, bundle: CreatedBundle, root: string, extra: string[] = []): string[] {
  return ["deploy", bundle.dir, ...targetArgs(root), "--trust", signer.trustFile, "--state", ws.state, "--inventory", ws.inventory, "--json", ...extra];
}

let n = 0;
async function trustedRoot(name: string): Promise<string> {
  const root = `${h.home}/${name}-${++n}`;
  await installTargetTrust({ spec: specFor(h), root, trustPath: signer.trustFile, progress: recordingOutput().progress });
  return root;
}

const current = (root: string) => readlinkSync(join(root, "current"));
const audit = (root: string) => readFileSync(join(root, ".wheelhouse", "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const releaseOf = (b: CreatedBundle) => `releases/app-${b.statementDigest.slice(7, 19)}`;
const trustRoot = () => "sha256:" + createHash("sha256").update(readFileSync(signer.trustFile)).digest("hex");
const err = (r: CliResult) => (r.json as { error: { code: string; message: string; hint?: string; details?: Record<string, unknown> } }).error;

async function events(ws: Workstation, type: string): Promise<Array<{ payload: Record<string, unknown> }>> {
  const s = await openStore(ws.inventory);
  try {
    return ((await s.listEvents()) as Array<{ type: string; payload: unknown }>).filter((e) => e.type === type).map((e) => ({ payload: e.payload as Record<string, unknown> }));
  } finally {
    await s.close();
  }
}

describe("the LPAR keeps its own trusted state (two workstations, one host)", () => {
  it("B, with fresh state, cannot deploy sequence 1 over A's sequence 2; B's verify then agrees with the target", async () => {
    const root = await trustedRoot("two-ws");
    const A = workstation("a");
    const B = workstation("b");
    for (const b of [b1, b2]) {
      const r = zwh(deployArgs(A, b, root), { env: A.env });
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    expect(current(root)).toBe(releaseOf(b2));

    // Before B has talked to the host, its empty cache cannot know better.
    const before = zwh(["bundle", "verify", b1.dir, "--trust", signer.trustFile, "--state", B.state, "--json"], { env: B.env });
    expect(before.code, before.stdout).toBe(0);

    const r = zwh(deployArgs(B, b1, root), { env: B.env });
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const e = err(r);
    expect(e.code).toBe("ZWH-SEQ-ROLLBACK");
    // Names the host and root whose record decided, and that it is the target's own record.
    expect(e.message).toContain(`${root} (the target's record)`);
    expect(String(e.details?.acceptedBy)).toMatch(/^\S+ /);
    expect(e.message).toMatch(/sequence 1 .*lower than sequence 2/);
    expect(e.details).toMatchObject({ channel: "stable", offered: 1, accepted: 2 });
    expect(e.hint).toMatch(/--allow-downgrade/);
    expect(current(root)).toBe(releaseOf(b2));

    // B's cache learned the target's bound: verify and deploy now give the same answer.
    const after = zwh(["bundle", "verify", b1.dir, "--trust", signer.trustFile, "--state", B.state, "--json"], { env: B.env });
    expect(after.code).toBe(3);
    expect((after.json as { findings: Array<{ code: string }> }).findings[0].code).toBe("ZWH-SEQ-ROLLBACK");
    const same = zwh(["bundle", "verify", b2.dir, "--trust", signer.trustFile, "--state", B.state, "--json"], { env: B.env });
    expect([same.code, (same.json as { sequenceStatus: string }).sequenceStatus, (same.json as { trustRoot: string }).trustRoot]).toEqual([0, "same", trustRoot()]);
    expect(new FileSequenceStore(B.state).get(trustRoot(), "stable")).toMatchObject({ sequence: 2, digest: b2.statementDigest });
  }, LONG);

  it("the target itself refuses when a workstation's check passed but the host moved on (checked under the lock, before upload)", async () => {
    const root = await trustedRoot("race");
    const out = recordingOutput();
    const base = { spec: specFor(h), root, progress: out.progress, warn: out.warn, trustPath: signer.trustFile };
    let a: unknown;
    const e = await deploy({
      ...base, bundleDir: b1.dir, sequenceCache: new FileSequenceStore(join(work, `race-b-${n}.json`)),
      hooks: {
        // B verified sequence 1 against an empty target; before it takes the lock, A deploys 2.
        beforeStep: async (s) => {
          if (s === "lock") a = await deploy({ ...base, bundleDir: b2.dir, sequenceCache: new FileSequenceStore(join(work, `race-a-${n}.json`)) });
        },
      },
    }).catch((x: unknown) => x as { code: string; message: string; details: Record<string, unknown> });
    expect(a).toMatchObject({ changed: true });
    expect(e).toMatchObject({ code: "ZWH-SEQ-ROLLBACK", exitCode: 3, details: { offered: 1, accepted: 2, host: expect.any(String) } });
    expect((e as { message: string }).message).toMatch(/refused.*was not changed/);
    expect(current(root)).toBe(releaseOf(b2));
    expect(existsSync(join(root, releaseOf(b1)))).toBe(false); // nothing uploaded or staged
    expect(existsSync(join(root, ".wheelhouse", "lock"))).toBe(false);
  }, LONG);

  it("rollback still works and is recorded as a downgrade; --allow-downgrade is explicit and recorded", async () => {
    const root = await trustedRoot("rollback");
    const A = workstation("a");
    const B = workstation("b");
    for (const b of [b1, b2]) expect(zwh(deployArgs(A, b, root), { env: A.env }).code).toBe(0);

    const rb = zwh(["rollback", ...targetArgs(root), "--inventory", B.inventory, "--json"], { env: B.env });
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect(rb.json).toMatchObject({ changed: true, to: releaseOf(b1).slice(9), downgrade: { channel: "stable", accepted: 2, offered: 1 } });
    expect(current(root)).toBe(releaseOf(b1));
    expect(audit(root).filter((x) => x.event === "rollback").at(-1)).toMatchObject({ allow_downgrade: true, downgrade: { accepted: 2, offered: 1 } });
    expect((await events(B, "rollback.downgrade"))[0].payload).toMatchObject({ channel: "stable", accepted: 2, offered: 1, to: releaseOf(b1).slice(9) });
    // The target's bound did not move: rolling back is not accepting the old statement.
    const seq = JSON.parse(readFileSync(join(root, ".wheelhouse", "sequence.json"), "utf8"));
    expect(seq.trustRoots[trustRoot()].channels.stable).toMatchObject({ sequence: 2, digest: b2.statementDigest });

    // Forward again, then a deliberate downgrade by deploy: only with --allow-downgrade, and recorded.
    expect(zwh(deployArgs(B, b3, root), { env: B.env }).code).toBe(0);
    expect(err(zwh(deployArgs(B, b2, root), { env: B.env })).code).toBe("ZWH-SEQ-ROLLBACK");
    const dg = zwh(deployArgs(B, b2, root, ["--allow-downgrade"]), { env: B.env });
    expect(dg.code, dg.stdout + dg.stderr).toBe(0);
    expect(dg.json).toMatchObject({ changed: true, sequence: { accepted: 3, downgrade: true, trustRoot: trustRoot() } });
    expect(current(root)).toBe(releaseOf(b2));
    expect(audit(root).filter((x) => x.event === "deploy" && x.ok).at(-1)).toMatchObject({ sequence: 2, sequence_status: "downgrade", downgrade: { allowed: true, accepted: 3, offered: 2 } });
    expect((await events(B, "deploy.downgrade"))[0].payload).toMatchObject({ channel: "stable", offered: 2, accepted: 3, allowDowngrade: true });
    expect(JSON.parse(readFileSync(join(root, ".wheelhouse", "sequence.json"), "utf8")).trustRoots[trustRoot()].channels.stable.sequence).toBe(3);
  }, LONG);
});

/** Start `zwh deploy` paused before `step` (test seam); resolves once it is paused. */
async function pausedDeploy(ws: Workstation, bundle: CreatedBundle, root: string, step: string) {
  const dir = join(ws.home, `pause-${step}`);
  mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, [join(REPO, "bin", "zwh.js"), ...deployArgs(ws, bundle, root)], {
    cwd: REPO, env: { ...process.env, CI: "true", ...ws.env, ZWH_TEST_PAUSE_AT: step, ZWH_TEST_PAUSE_DIR: dir }, stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code) => {
    let json: Record<string, unknown> | undefined;
    try { json = JSON.parse(stdout); } catch { /* the test says what it expected */ }
    resolve({ code: code ?? -1, stdout, stderr, json });
  }));
  for (;;) {
    if (existsSync(join(dir, "paused"))) break;
    if (child.exitCode !== null) throw new Error(`deploy ended before pausing at ${step}: ${stdout}${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { resume: () => writeFileSync(join(dir, "resume"), ""), done };
}

describe("locks that mean something (built CLI)", () => {
  it("a live lock is not broken without --force; a forced break is recorded; the deploy under it stops before activation", async () => {
    const root = await trustedRoot("lock-live");
    const A = workstation("a");
    const B = workstation("b");
    expect(zwh(deployArgs(A, b1, root), { env: A.env }).code).toBe(0);
    const run = await pausedDeploy(A, b2, root, "activate");
    try {
      const st = zwh(["lock", "status", ...targetArgs(root), "--json"], { env: B.env });
      expect(st.json).toMatchObject({ held: true, stale: false, owner: { operation: "deploy", bundle: "app" } });
      const lockId = String((st.json as { owner: { lock_id: string } }).owner.lock_id);

      const refused = zwh(["lock", "break", ...targetArgs(root), "--inventory", B.inventory, "--json"], { env: B.env });
      expect(refused.code).toBe(3);
      expect(err(refused).code).toBe("ZWH-LOCK-LIVE");
      expect(err(refused).hint).toMatch(/--force/);
      expect(zwh(["lock", "status", ...targetArgs(root), "--json"], { env: B.env }).json).toMatchObject({ held: true, owner: { lock_id: lockId } });

      const br = zwh(["lock", "break", ...targetArgs(root), "--lock-id", lockId, "--force", "--inventory", B.inventory, "--json"], { env: B.env });
      expect(br.code, br.stdout + br.stderr).toBe(0);
      expect(br.json).toMatchObject({ broken: true, forced: true, owner: { lock_id: lockId }, by: { user: expect.any(String), controller_host: expect.any(String) } });
      expect(audit(root).at(-1)).toMatchObject({ event: "lock-break", forced: true, broken_owner: { lock_id: lockId }, by: { run_id: expect.any(String) } });
      expect((await events(B, "lock.break"))[0].payload).toMatchObject({ broken: true, forced: true, owner: { lock_id: lockId }, by: { user: expect.any(String) } });
    } finally {
      run.resume();
    }
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(err(r).code).toBe("ZWH-LOCK-LOST");
    expect(err(r).message).toMatch(/nothing was activated/);
    expect(current(root)).toBe(releaseOf(b1));
    expect(zwh(["lock", "status", ...targetArgs(root), "--json"], { env: B.env }).json).toMatchObject({ held: false });
    expect(audit(root).at(-1)).toMatchObject({ event: "deploy", ok: false, error: "ZWH-LOCK-LOST" });
  }, LONG);

  it("a deploy whose lock was broken and taken by another run notices at its next heartbeat and changes nothing", async () => {
    const root = await trustedRoot("lock-taken");
    const A = workstation("a");
    const B = workstation("b");
    expect(zwh(deployArgs(A, b1, root), { env: A.env }).code).toBe(0);
    const run = await pausedDeploy(A, b2, root, "verify-target");
    let other: CliResult;
    try {
      expect(zwh(["lock", "break", ...targetArgs(root), "--force", "--inventory", B.inventory, "--json"], { env: B.env }).code).toBe(0);
      // B now deploys under its own lock... paused, so A meets a lock that is not its own.
      const runB = await pausedDeploy(B, b3, root, "upload");
      run.resume();
      const r = await run.done;
      expect(r.code, r.stdout + r.stderr).toBe(3);
      // B's lock exec cleared the staging A was verifying from; the heartbeat in A's venv exec,
      // run alongside verify-target, found the lock taken.
      expect(err(r)).toMatchObject({ code: "ZWH-LOCK-LOST", details: { step: "verify-target" } });
      expect(err(r).message).toMatch(/now held by/);
      expect(current(root)).toBe(releaseOf(b1));
      runB.resume();
      other = await runB.done;
    } finally {
      run.resume();
    }
    // A did not release B's lock: B finished normally.
    expect(other.code, other.stdout + other.stderr).toBe(0);
    expect(current(root)).toBe(releaseOf(b3));
  }, LONG);
});
