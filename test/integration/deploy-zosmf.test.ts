/**
 * The deploy lifecycle over z/OSMF (--transport zosmf) against the simulated z/OSMF, through the
 * built zwh, side by side with the same lifecycle over SSH on a second simulated LPAR: target
 * trust, deploy, idempotent re-deploy, upgrade, status, rollback, a corrupted store wheel and a
 * refused signature; then target probe, drift (clean, then a modified installed file and a
 * planted .pth) and the lock commands against a deploy paused under its lock. The JSON results
 * must be equal except for transport fields. A helper run with interpreter flags
 * (Transport.runHelper pythonFlags) gives the same result and counts on both transports. Then the
 * z/OSMF failure cases (wrong TLS certificate, wrong credentials, a job that abends, a job that
 * outlives the command timeout, an upload that is cut) each give a coded error and leave
 * `current` as it was.
 */
import { spawn } from "child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "fs";
import { basename, join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import { setSimSwitches, startUssHosts, type SimCluster, type SimHost } from "../sim";
import { openTransport } from "../../src/deploy/connect";
import type { TargetSpec } from "../../src/remote/target";
import { ISOLATED } from "../../src/remote/transport";
import { REPO, zwh, type CliResult } from "../support/cli";
import { makeBundle, makeSigner, sampleWheels, simTarget, tmp, type Signer } from "../support/deploy";

let sim: SimCluster;
let sshHost: SimHost;
let zHost: SimHost;
let work: string;
let signer: Signer;
let stranger: Signer;
const bundles: CreatedBundle[] = [];
let unsigned: CreatedBundle;

type Transport = "ssh" | "zosmf";
const ENV = (h: SimHost) => ({ ZWH_TEST_ZOSMF_PW: h.zosmf?.password ?? "" });

function rootOf(t: Transport, name = "wh"): string {
  return `${(t === "ssh" ? sshHost : zHost).home}/${name}`;
}

function conn(t: Transport, over: Record<string, string> = {}): string[] {
  if (t === "ssh") {
    const h = sshHost;
    return ["--host", h.host, "--port", String(h.port), "--user", h.user, "--identity", h.identityFile, "--known-hosts", h.knownHostsFile, "--python", h.pythonPath];
  }
  const z = zHost.zosmf!;
  const o: Record<string, string> = {
    "--zosmf-host": z.host, "--zosmf-port": String(z.port), "--zosmf-user": z.user, "--zosmf-password-env": "ZWH_TEST_ZOSMF_PW",
    "--zosmf-ca-file": z.caFile, "--python": zHost.pythonPath, ...over,
  };
  return ["--transport", "zosmf", ...Object.entries(o).flat()];
}

type RunOpts = { root?: string; conn?: Record<string, string>; env?: Record<string, string> };

function invocation(t: Transport, args: string[], opts: RunOpts = {}): { argv: string[]; env: Record<string, string> } {
  const h = t === "ssh" ? sshHost : zHost;
  const root = opts.root ?? rootOf(t);
  // One workstation per install root: sequences this signer had accepted on another root must not
  // make the workstation refuse a lifecycle that starts again at sequence 1 as a rollback.
  const env = { ...ENV(h), ZWH_TRUST_STATE: join(work, `trust-state-${t}-${basename(root)}.json`), ...opts.env };
  return { argv: [...args, ...conn(t, opts.conn), "--root", root, "--json"], env };
}

function run(t: Transport, args: string[], opts: RunOpts = {}): CliResult {
  const { argv, env } = invocation(t, args, opts);
  return zwh(argv, { env, timeoutMs: 600_000 });
}

/** `zwh deploy` started without waiting, paused before `step` (test seam); resolves once it is paused. */
async function pausedDeploy(t: Transport, args: string[], step: string, opts: RunOpts = {}): Promise<{ resume: () => void; done: Promise<CliResult> }> {
  const { argv, env } = invocation(t, args, opts);
  const dir = join(work, `pause-${t}-${step}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, [join(REPO, "bin", "zwh.js"), ...argv], {
    cwd: REPO, env: { ...process.env, CI: "true", ...env, ZWH_TEST_PAUSE_AT: step, ZWH_TEST_PAUSE_DIR: dir }, stdio: ["ignore", "pipe", "pipe"],
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
  while (!existsSync(join(dir, "paused"))) {
    if (child.exitCode !== null) throw new Error(`deploy over ${t} ended before pausing at ${step}: ${stdout}${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { resume: () => writeFileSync(join(dir, "resume"), ""), done };
}

/** How drift's remediation commands name each transport's target (checked below, then made equal). */
const TARGET_WORDS: Record<Transport, RegExp> = {
  ssh: /--host \S+ --port \d+ --user \S+ (?=--root )/g,
  zosmf: /--transport zosmf --zosmf-host \S+ --zosmf-port \d+ --zosmf-user \S+ --zosmf-password-env ZWH_TEST_ZOSMF_PW --zosmf-ca-file \S+ (?=--root )/g,
};

function current(root: string): string | null {
  try {
    return readlinkSync(join(root, "current"));
  } catch {
    return null;
  }
}

/** Transport fields and run-specific values out; roots, hosts and paths made equal. */
function normalize(t: Transport, v: unknown): unknown {
  const h = t === "ssh" ? sshHost : zHost;
  const label = t === "ssh" ? `${h.host}:${h.port}` : `${h.host}:${h.zosmf!.port}`;
  let s = JSON.stringify(v);
  // The two simulated hosts differ in nodename (LPAR1 / LPAR2), which names them in results.
  const node = t === "ssh" ? "LPAR1" : "LPAR2";
  s = s.replace(TARGET_WORDS[t], "<TARGET> ");
  // Run-specific values inside messages (a lock's description names its owner's run, lock, pid and time).
  s = s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<UUID>").replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<TIME>").replace(/\bpid \d+/g, "pid <PID>");
  for (const [from, to] of [[h.root, "<SIMROOT>"], [label, "<HOST>"], [work, "<WORK>"]] as const) s = s.split(from).join(to);
  // The nodename names the host in fields and in messages ("1 file(s) on LPAR2 do not match …").
  s = s.replace(new RegExp(`\\b${node}\\b`, "g"), "<HOST>");
  const DROP = new Set(["runId", "durationMs", "ms", "hostKeyFingerprint", "authMethod", "at", "startedAt", "finishedAt", "createdAt", "deployedAt", "acquiredAt", "expiresAt", "heartbeatAt", "targetFactsCached", "helperFiles", "pid", "controllerPid", "controller_pid", "since", "time", "timestamp", "age", "ageSeconds", "firstSeen", "lock_id", "lockId", "run_id", "controller_host", "expires", "acquired", "renewed"]);
  const parsed = JSON.parse(s) as Record<string, unknown>;
  // target probe: its connection block (port, certificate or host key, auth) is the transport's;
  // free space and the per-run probe directory are sampled per run.
  if (parsed?.command === "target probe") {
    delete parsed.target;
    const p = parsed as { root?: Record<string, unknown>; tagging?: Record<string, unknown>; helper?: Record<string, unknown> };
    for (const k of ["freeBytes", "totalBytes"]) delete p.root?.[k];
    delete p.tagging?.dir;
    delete p.helper?.path;
  }
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === "object") {
      const out: Record<string, unknown> = {};
      // run-specific: timestamps (...At, ..._at) and run ids (...RunId)
      for (const [k, val] of Object.entries(x as Record<string, unknown>)) if (!DROP.has(k) && !/(At|RunId|_at)$/.test(k)) out[k] = walk(val);
      return out;
    }
    return x;
  };
  return walk(parsed);
}

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 2, zosmf: true });
  [sshHost, zHost] = sim.hosts;
  work = tmp("zwh-deploy-zosmf-");
  signer = makeSigner(join(work, "keys"));
  stranger = makeSigner(join(work, "stranger"), "stranger");
  const target = await simTarget(sshHost);
  for (let i = 1; i <= 3; i++) bundles.push(await makeBundle(work, { id: "demo", sequence: i, target, signer, wheels: sampleWheels({ app: `1.${i - 1}` }, 64) }));
  unsigned = await makeBundle(work, { id: "demo", sequence: 9, target, signer: stranger, wheels: sampleWheels({ app: "9.0" }, 64) });
});

afterAll(async () => {
  await sim?.stop();
});

const results: Record<Transport, Record<string, CliResult>> = { ssh: {}, zosmf: {} };

describe.each(["ssh", "zosmf"] as const)("lifecycle over %s", { timeout: 900_000 }, (t) => {
  const inv = () => join(work, `inv-${t}.db`);
  const trust = () => ["--trust", signer.trustFile];

  it("target trust, deploy, idempotent re-deploy, upgrade", () => {
    const r = results[t];
    r.trust = run(t, ["target", "trust", ...trust()]);
    expect(r.trust.code, r.trust.stdout + r.trust.stderr).toBe(0);
    r.deploy1 = run(t, ["deploy", bundles[0].dir, ...trust(), "--smoke", "import zwhdemo_app", "--inventory", inv()]);
    expect(r.deploy1.code, r.deploy1.stdout + r.deploy1.stderr).toBe(0);
    expect(r.deploy1.json).toMatchObject({ action: "install", changed: true, upload: { files: 3 } });
    r.again = run(t, ["deploy", bundles[0].dir, ...trust(), "--inventory", inv()]);
    expect(r.again.json).toMatchObject({ action: "noop", changed: false, upload: { files: 0, bytes: 0 } });
    r.deploy2 = run(t, ["deploy", bundles[1].dir, ...trust(), "--inventory", inv()]);
    expect(r.deploy2.code, r.deploy2.stdout + r.deploy2.stderr).toBe(0);
    expect(r.deploy2.json).toMatchObject({ action: "install", changed: true, upload: { files: 1 } });
    expect(current(rootOf(t))).toBe(`releases/${String(r.deploy2.json!.releaseId)}`);
  });

  it("status, rollback, status", () => {
    const r = results[t];
    r.status1 = run(t, ["status", "--inventory", inv()]);
    expect(r.status1.code, r.status1.stdout + r.status1.stderr).toBe(0);
    r.rollback = run(t, ["rollback", "--inventory", inv()]);
    expect(r.rollback.code, r.rollback.stdout + r.rollback.stderr).toBe(0);
    expect(current(rootOf(t))).toBe(`releases/${String(r.deploy1.json!.releaseId)}`);
    r.status2 = run(t, ["status", "--inventory", inv()]);
    expect(r.status2.code).toBe(0);
  });

  it("a corrupted store wheel is caught on the target; current unchanged; a re-run converges", () => {
    const r = results[t];
    const before = current(rootOf(t));
    const util = bundles[2].statement.predicate.wheels.find((w) => w.name === "zwhdemo-util")!;
    const p = join(rootOf(t), "store", "sha256", util.sha256, util.filename);
    const b = readFileSync(p);
    b[b.length - 40] ^= 0xff;
    writeFileSync(p, b);
    r.corrupt = run(t, ["deploy", bundles[2].dir, ...trust(), "--inventory", inv()]);
    expect(r.corrupt.code).toBe(3);
    expect((r.corrupt.json!.error as { code: string }).code).toBe("ZWH-DEPLOY-STORE-CORRUPT");
    expect(current(rootOf(t))).toBe(before);
    r.converge = run(t, ["deploy", bundles[2].dir, ...trust(), "--inventory", inv()]);
    expect(r.converge.code, r.converge.stdout + r.converge.stderr).toBe(0);
    expect(r.converge.json).toMatchObject({ action: "install", changed: true });
  });

  it("a bundle signed by an untrusted key is refused before anything is sent", () => {
    const r = results[t];
    const before = current(rootOf(t));
    r.refused = run(t, ["deploy", unsigned.dir, ...trust(), "--inventory", inv()]);
    expect(r.refused.code).toBe(3);
    expect(JSON.stringify(r.refused.json!.error)).toMatch(/ZWH-SIG/);
    expect(current(rootOf(t))).toBe(before);
  });
});

function sitePackages(t: Transport): string {
  const lib = join(rootOf(t), "current", "venv", "lib");
  const py = readdirSync(lib).find((n) => n.startsWith("python3"))!;
  return join(lib, py, "site-packages");
}

function specOf(t: Transport): TargetSpec {
  if (t === "ssh") {
    const h = sshHost;
    return { host: h.host, port: h.port, user: h.user, identityFile: h.identityFile, knownHostsFile: h.knownHostsFile, pythonPath: h.pythonPath };
  }
  const z = zHost.zosmf!;
  return { host: z.host, port: z.port, user: z.user, pythonPath: zHost.pythonPath, transport: "zosmf", zosmf: { host: z.host, port: z.port, user: z.user, password: z.password, caFile: z.caFile } };
}

describe.each(["ssh", "zosmf"] as const)("target probe, drift and lock over %s", { timeout: 900_000 }, (t) => {
  const inv = () => join(work, `inv-${t}.db`);

  it("a helper run carries interpreter flags (runHelper pythonFlags): same result and counts as over the other transport", async () => {
    const h = t === "ssh" ? sshHost : zHost;
    const helper = join(h.home, "flags-helper.py"); // the simulated LPAR's files are this machine's
    writeFileSync(helper, "import json, sys\nprint(json.dumps({'isolated': sys.flags.isolated, 'noSite': sys.flags.no_site, 'site': 'site' in sys.modules, 'args': sys.argv[1:]}))\n");
    const tr = await openTransport(specOf(t));
    try {
      const isolated = await tr.runHelper(h.pythonPath, helper, ["a b", "$HOME"], { label: "flags", pythonFlags: ISOLATED });
      expect(isolated).toMatchObject({ code: 0, json: { isolated: 1, noSite: 1, site: false, args: ["a b", "$HOME"] } });
      expect(tr.stats).toMatchObject({ execs: 1, pythonStarts: 1 });
      const plain = await tr.runHelper(h.pythonPath, helper, [], { label: "flags" });
      expect(plain).toMatchObject({ code: 0, json: { isolated: 0, noSite: 0, site: true } });
      expect(tr.stats).toMatchObject({ execs: 2, pythonStarts: 2 });
      await expect(tr.runHelper(h.pythonPath, helper, [], { pythonFlags: ["-c" as never] })).rejects.toMatchObject({ code: "ZWH-INTERNAL" });
      expect(tr.stats.execs).toBe(2); // refused before anything was sent
    } finally {
      await tr.close();
    }
  });

  it("target probe", () => {
    const r = results[t];
    r.probe = run(t, ["target", "probe"]);
    expect(r.probe.code, r.probe.stdout + r.probe.stderr).toBe(0);
    expect(r.probe.json).toMatchObject({ ok: true, uname: { sysname: "OS/390" }, tagging: { works: true } });
  });

  it("drift: clean after the lifecycle, then a modified installed file and a planted .pth (which did not run)", () => {
    const r = results[t];
    r.driftClean = run(t, ["drift", "--inventory", inv()]);
    expect(r.driftClean.code, r.driftClean.stdout + r.driftClean.stderr).toBe(0);
    expect(r.driftClean.json).toMatchObject({ exitCode: 0, findings: [], hosts: [{ status: "clean" }] });
    const sp = sitePackages(t);
    const f = join(sp, "zwhdemo_lib", "__init__.py");
    writeFileSync(f, readFileSync(f, "utf8") + "# edited on the LPAR\n");
    const marker = join(work, `pth-ran-${t}`);
    writeFileSync(join(sp, "zz-planted.pth"), `import os; open(${JSON.stringify(marker)}, "w").close()\n`);
    r.driftTampered = run(t, ["drift", "--inventory", inv()]);
    expect(r.driftTampered.code, r.driftTampered.stdout + r.driftTampered.stderr).toBe(2);
    const findings = r.driftTampered.json!.findings as Array<{ kind: string; severity: string; subject: string; remediation: string }>;
    expect(findings.find((x) => x.subject.endsWith("zwhdemo_lib/__init__.py"))).toMatchObject({ kind: "integrity", severity: "high" });
    expect(findings.find((x) => x.subject.endsWith("zz-planted.pth"))).toMatchObject({ severity: "high" });
    // The fix is named in the words of the transport that reached the host.
    for (const x of findings) expect(x.remediation).toMatch(new RegExp(TARGET_WORDS[t].source));
    expect(existsSync(marker)).toBe(false);
  });

  it("lock: a deploy paused under its lock shows in lock status; break refuses a live lock, --force breaks it; the deploy then stops", async () => {
    const r = results[t];
    const root = rootOf(t, "wh-lock");
    r.lockTrust = run(t, ["target", "trust", "--trust", signer.trustFile], { root });
    expect(r.lockTrust.code, r.lockTrust.stdout + r.lockTrust.stderr).toBe(0);
    const d = await pausedDeploy(t, ["deploy", bundles[0].dir, "--trust", signer.trustFile, "--inventory", join(work, `inv-lock-${t}.db`)], "upload", { root });
    let lockId = "";
    try {
      r.lockHeld = run(t, ["lock", "status"], { root });
      expect(r.lockHeld.code, r.lockHeld.stdout + r.lockHeld.stderr).toBe(0);
      expect(r.lockHeld.json).toMatchObject({ held: true, stale: false, owner: { operation: "deploy" } });
      lockId = String((r.lockHeld.json as { owner: { lock_id: string } }).owner.lock_id);
      r.lockRefused = run(t, ["lock", "break", "--inventory", join(work, `inv-lock-b-${t}.db`)], { root });
      expect(r.lockRefused.code).toBe(3);
      expect((r.lockRefused.json!.error as { code: string }).code).toBe("ZWH-LOCK-LIVE");
      r.lockBroken = run(t, ["lock", "break", "--lock-id", lockId, "--force", "--inventory", join(work, `inv-lock-b-${t}.db`)], { root });
      expect(r.lockBroken.code, r.lockBroken.stdout + r.lockBroken.stderr).toBe(0);
      expect(r.lockBroken.json).toMatchObject({ broken: true, forced: true, owner: { lock_id: lockId } });
    } finally {
      d.resume();
    }
    r.lockLost = await d.done;
    expect(r.lockLost.code, r.lockLost.stdout + r.lockLost.stderr).toBe(3);
    expect((r.lockLost.json!.error as { code: string }).code).toBe("ZWH-LOCK-LOST");
    expect(current(root)).toBe(null);
    r.lockAfter = run(t, ["lock", "status"], { root });
    expect(r.lockAfter.json).toMatchObject({ held: false });
  });
});

describe("z/OSMF and SSH give the same JSON", () => {
  it("for every step, except transport fields", () => {
    if (process.env.ZWH_TEST_DUMP) writeFileSync(process.env.ZWH_TEST_DUMP, JSON.stringify({ ssh: results.ssh, zosmf: results.zosmf, norm: Object.fromEntries(Object.keys(results.ssh).map((k) => [k, [normalize("ssh", results.ssh[k].json), normalize("zosmf", results.zosmf[k]?.json)]])) }, null, 1));
    const keys = Object.keys(results.ssh);
    expect(keys.length).toBeGreaterThanOrEqual(18);
    expect(Object.keys(results.zosmf)).toEqual(keys);
    for (const k of keys) {
      expect({ step: k, data: normalize("zosmf", results.zosmf[k].json) }).toEqual({ step: k, data: normalize("ssh", results.ssh[k].json) });
    }
  });
});

describe("z/OSMF failures: coded errors, current unchanged", { timeout: 600_000 }, () => {
  // Each case on its own root and inventory, with v1 deployed first where a failure must leave it current.
  let n = 0;
  const fresh = (deployFirst: boolean) => {
    const root = rootOf("zosmf", `wh-fail-${++n}`);
    const inv = join(work, `inv-fail-${n}.db`);
    const tr = run("zosmf", ["target", "trust", "--trust", signer.trustFile], { root });
    expect(tr.code, tr.stdout + tr.stderr).toBe(0);
    if (deployFirst) {
      const d = run("zosmf", ["deploy", bundles[0].dir, "--trust", signer.trustFile, "--inventory", inv], { root });
      expect(d.code, d.stdout + d.stderr).toBe(0);
    }
    return { root, inv, before: current(root) };
  };
  const errCode = (r: CliResult) => (r.json?.error as { code?: string } | undefined)?.code;

  it("drift --all-recorded with the z/OSMF transport is refused (the inventory's hosts are SSH addresses)", () => {
    const r = run("zosmf", ["drift", "--all-recorded", "--inventory", join(work, "inv-zosmf.db")]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(errCode(r)).toBe("ZWH-ARGS-CONFLICT");
    expect(r.json!.error).toMatchObject({ hint: expect.stringContaining("zwh drift --transport zosmf") });
  });

  it("a wrong TLS certificate (a CA that did not issue it)", () => {
    const root = rootOf("zosmf");
    const before = current(root);
    const r = run("zosmf", ["deploy", bundles[2].dir, "--trust", signer.trustFile, "--inventory", join(work, "inv-zosmf.db")], { conn: { "--zosmf-ca-file": zHost.zosmf!.wrongCaFile } });
    expect(r.code).toBe(1);
    expect(errCode(r)).toBe("ZWH-ZOSMF-TLS");
    expect(current(root)).toBe(before);
  });

  it("wrong credentials (and the password never appears in the output)", () => {
    const root = rootOf("zosmf");
    const before = current(root);
    const r = run("zosmf", ["deploy", bundles[2].dir, "--trust", signer.trustFile, "--inventory", join(work, "inv-zosmf.db")], { env: { ZWH_TEST_ZOSMF_PW: "not-the-password" } });
    expect(r.code).toBe(1);
    expect(errCode(r)).toBe("ZWH-ZOSMF-AUTH");
    expect(r.stdout + r.stderr).not.toContain("not-the-password");
    expect(current(root)).toBe(before);
  });

  // The switches match the venv command itself ("…venv --without-pip /<root>…"), not the
  // cleanup job, whose audit line quotes the failed step's label ("python -m venv --without-pip + …").
  it("a job that abends during the install", () => {
    const f = fresh(true);
    setSimSwitches(zHost, { zosmfJobAbend: "S0C4:venv --without-pip /" });
    let r: CliResult;
    try {
      r = run("zosmf", ["deploy", bundles[1].dir, "--trust", signer.trustFile, "--inventory", f.inv], { root: f.root });
    } finally {
      setSimSwitches(zHost, { zosmfJobAbend: "" });
    }
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(errCode(r)).toBe("ZWH-ZOSMF-JOB-ABEND");
    expect(JSON.stringify(r.json!.error)).toContain("ABEND S0C4");
    expect(current(f.root)).toBe(f.before);
    expect(run("zosmf", ["lock", "status"], { root: f.root }).json).toMatchObject({ held: false });
  });

  it("a job that outlives the command timeout is cancelled", () => {
    const f = fresh(true);
    setSimSwitches(zHost, { zosmfJobStallMs: "120000:venv --without-pip /" });
    let r: CliResult;
    try {
      r = run("zosmf", ["deploy", bundles[1].dir, "--trust", signer.trustFile, "--inventory", f.inv, "--command-timeout", "8000"], { root: f.root });
    } finally {
      setSimSwitches(zHost, { zosmfJobStallMs: "" });
    }
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(errCode(r)).toBe("ZWH-ZOSMF-JOB-TIMEOUT");
    expect(current(f.root)).toBe(f.before);
    expect(run("zosmf", ["lock", "status"], { root: f.root }).json).toMatchObject({ held: false });
  });

  it("an upload that is cut", () => {
    const f = fresh(false);
    setSimSwitches(zHost, { zosmfCutUploadAfter: "700" });
    let r: CliResult;
    try {
      r = run("zosmf", ["deploy", bundles[0].dir, "--trust", signer.trustFile, "--inventory", f.inv], { root: f.root });
    } finally {
      setSimSwitches(zHost, { zosmfCutUploadAfter: "" });
    }
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(errCode(r)).toBe("ZWH-ZOSMF-DISCONNECTED");
    expect(current(f.root)).toBe(null);
    const again = run("zosmf", ["deploy", bundles[0].dir, "--trust", signer.trustFile, "--inventory", f.inv], { root: f.root });
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });
});
