/**
 * The deploy lifecycle over z/OSMF (--transport zosmf) against the simulated z/OSMF, through the
 * built zwh, side by side with the same lifecycle over SSH on a second simulated LPAR: target
 * trust, deploy, idempotent re-deploy, upgrade, status, rollback, a corrupted store wheel and a
 * refused signature. The JSON results must be equal except for transport fields. Then the
 * z/OSMF failure cases (wrong TLS certificate, wrong credentials, a job that abends, a job that
 * outlives the command timeout, an upload that is cut) each give a coded error and leave
 * `current` as it was.
 */
import { readFileSync, readlinkSync, writeFileSync } from "fs";
import { basename, join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import { setSimSwitches, startUssHosts, type SimCluster, type SimHost } from "../sim";
import { zwh, type CliResult } from "../support/cli";
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

function run(t: Transport, args: string[], opts: { root?: string; conn?: Record<string, string>; env?: Record<string, string> } = {}): CliResult {
  const h = t === "ssh" ? sshHost : zHost;
  const root = opts.root ?? rootOf(t);
  // One workstation per install root: sequences this signer had accepted on another root must not
  // make the workstation refuse a lifecycle that starts again at sequence 1 as a rollback.
  const env = { ...ENV(h), ZWH_TRUST_STATE: join(work, `trust-state-${t}-${basename(root)}.json`), ...opts.env };
  return zwh([...args, ...conn(t, opts.conn), "--root", root, "--json"], { env, timeoutMs: 600_000 });
}

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
  for (const [from, to] of [[h.root, "<SIMROOT>"], [label, "<HOST>"], [work, "<WORK>"]] as const) s = s.split(from).join(to);
  // The nodename names the host in fields and in messages ("1 file(s) on LPAR2 do not match …").
  s = s.replace(new RegExp(`\\b${node}\\b`, "g"), "<HOST>");
  const DROP = new Set(["runId", "durationMs", "ms", "hostKeyFingerprint", "authMethod", "at", "startedAt", "finishedAt", "createdAt", "deployedAt", "acquiredAt", "expiresAt", "heartbeatAt", "targetFactsCached", "helperFiles", "pid", "controllerPid", "controller_pid", "since", "time", "timestamp", "age", "ageSeconds"]);
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === "object") {
      const out: Record<string, unknown> = {};
      // run-specific: timestamps (...At) and run ids (...RunId)
      for (const [k, val] of Object.entries(x as Record<string, unknown>)) if (!DROP.has(k) && !/(At|RunId)$/.test(k)) out[k] = walk(val);
      return out;
    }
    return x;
  };
  return walk(JSON.parse(s));
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

describe("z/OSMF and SSH give the same JSON", () => {
  it("for every step, except transport fields", () => {
    if (process.env.ZWH_TEST_DUMP) writeFileSync(process.env.ZWH_TEST_DUMP, JSON.stringify({ ssh: results.ssh, zosmf: results.zosmf, norm: Object.fromEntries(Object.keys(results.ssh).map((k) => [k, [normalize("ssh", results.ssh[k].json), normalize("zosmf", results.zosmf[k]?.json)]])) }, null, 1));
    const keys = Object.keys(results.ssh);
    expect(keys.length).toBeGreaterThanOrEqual(10);
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
