/**
 * Deploy lifecycle against the USS simulator (real sshd, real pip, real venvs):
 * trust → deploy → idempotent redeploy (0 bytes) → incremental upgrade → status → rollback →
 * prune; the inventory records it all.
 */
import { createHash } from "crypto";
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import type { BundleTarget } from "../../src/bundle/statement";
import { deploy } from "../../src/deploy/deploy";
import { rollback } from "../../src/deploy/rollback";
import { status } from "../../src/deploy/status";
import { installTargetTrust } from "../../src/deploy/trust";
import { startUssHosts, simExec, type SimCluster, type SimHost } from "../sim";
import { makeBundle, makeSigner, newInventory, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";

let sim: SimCluster;
let h: SimHost;
let work: string;
let signer: Signer;
let target: BundleTarget;
let root: string;
let inv: ReturnType<typeof newInventory>;
const bundles: CreatedBundle[] = [];

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = tmp("zwh-deploy-life-");
  signer = makeSigner(join(work, "keys"));
  target = await simTarget(h);
  root = `${h.home}/wh root`;
  inv = newInventory(work);
  for (let i = 1; i <= 4; i++) {
    bundles.push(await makeBundle(work, { id: "demo", sequence: i, target, signer, wheels: sampleWheels({ app: `1.${i - 1}` }, i === 1 ? 256 : 256) }));
  }
});

afterAll(async () => {
  await inv?.close();
  await sim?.stop();
});

function opts(extra: Record<string, unknown> = {}) {
  const out = recordingOutput();
  return { spec: specFor(h), root, progress: out.progress, warn: out.warn, store: inv, trustPath: signer.trustFile, out, ...extra };
}

function sha(p: string): string {
  return createHash("sha256").update(readFileSync(p)).digest("hex");
}

describe("deploy lifecycle", () => {
  it("refuses to deploy before the target has trust anchors", async () => {
    const o = opts();
    await expect(deploy({ ...o, bundleDir: bundles[0].dir })).rejects.toMatchObject({ code: "ZWH-DEPLOY-TARGET-TRUST-MISSING", exitCode: 3 });
    expect(existsSync(join(root, "current"))).toBe(false);
  });

  it("installs trust anchors as read-only tagged text", async () => {
    const o = opts();
    const r = await installTargetTrust({ spec: o.spec, root, trustPath: signer.trustFile, progress: o.progress });
    expect(r.changed).toBe(true);
    const p = join(root, ".wheelhouse", "trust.json");
    expect(statSync(p).mode & 0o777).toBe(0o444);
    const ls = await simExec(h, `ls -T '${p}'`);
    expect(ls.stdout).toMatch(/^t ISO8859-1 +T=on/);
    const again = await installTargetTrust({ spec: o.spec, root, trustPath: signer.trustFile, progress: o.progress });
    expect(again.changed).toBe(false);
  });

  it("deploys v1: uploads every wheel, installs, activates, records", async () => {
    const o = opts({ smoke: "import zwhdemo_app" });
    const r = await deploy({ ...o, bundleDir: bundles[0].dir });
    expect(r.action).toBe("install");
    expect(r.changed).toBe(true);
    expect(r.upload.files).toBe(3);
    const wheelBytes = bundles[0].statement.predicate.wheels.reduce((a, w) => a + w.size, 0);
    expect(r.upload.bytes).toBe(wheelBytes);
    expect(r.installed.map((x) => x.name).sort()).toEqual(["zwhdemo-app", "zwhdemo-lib", "zwhdemo-util"]);
    // venv --without-pip + the interpreter's pip (>= 22.3) --python: exactly the manifest, no bootstrap pip
    expect(r.bootstrap).toEqual([]);
    expect(r.bundle.verification).toBe("full");
    expect(readlinkSync(join(root, "current"))).toBe(`releases/${r.releaseId}`);
    // receipt + audit on the target, tagged text
    const receipt = JSON.parse(readFileSync(join(root, "releases", r.releaseId, "receipt.json"), "utf8"));
    expect(receipt).toMatchObject({ complete: true, statementDigest: bundles[0].statementDigest, runId: r.runId });
    expect(receipt.activatedAt).toBeTruthy();
    const audit = readFileSync(join(root, ".wheelhouse", "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(audit.some((a) => a.event === "deploy" && a.ok === true && a.release === r.releaseId)).toBe(true);
    // store is content addressed and every file matches its address
    for (const w of bundles[0].statement.predicate.wheels) expect(sha(join(root, "store", "sha256", w.sha256, w.filename))).toBe(w.sha256);
    const ls = await simExec(h, `ls -T '${join(root, "releases", r.releaseId, "requirements.lock.txt")}' '${join(root, "releases", r.releaseId, "receipt.json")}'`);
    expect(ls.stdout.split("\n").filter(Boolean).every((l) => l.startsWith("t ISO8859-1"))).toBe(true);
    // the installed app runs through current/
    const run = await simExec(h, `'${root}/current/venv/bin/python' -c 'import zwhdemo_app; print(zwhdemo_app.VERSION)'`);
    expect(run.stdout.trim()).toBe("1.0");
    // inventory
    const st = await inv.hostStatus(r.host, root);
    expect(st.active?.releaseId).toBe(r.releaseId);
    expect(st.active?.packages.map((p) => p.name).sort()).toEqual(["zwhdemo-app", "zwhdemo-lib", "zwhdemo-util"]);
    // The target keeps what it accepted, per (trust root, channel).
    const seq = JSON.parse(readFileSync(join(root, ".wheelhouse", "sequence.json"), "utf8"));
    expect(seq.trustRoots[`sha256:${sha(signer.trustFile)}`].channels.stable).toMatchObject({ sequence: 1, digest: bundles[0].statementDigest, release: r.releaseId });
    expect((await simExec(h, `ls -T '${join(root, ".wheelhouse", "sequence.json")}'`)).stdout).toMatch(/^t ISO8859-1 +T=on/);
    expect(o.out.steps.some((s) => s.startsWith("Upload 3 wheel(s)"))).toBe(true);
  });

  it("redeploying the current bundle changes nothing and uploads 0 bytes", async () => {
    const before = statSync(join(root, "current")).mtimeMs;
    const o = opts();
    const r = await deploy({ ...o, bundleDir: bundles[0].dir });
    expect(r.action).toBe("noop");
    expect(r.changed).toBe(false);
    expect(r.upload).toMatchObject({ files: 0, bytes: 0, helperFiles: 0 });
    expect(r.targetFactsCached).toBe(true);
    // Already current from this exact signed statement: only the statement is re-checked locally.
    expect(r.bundle.verification).toBe("statement");
    expect(statSync(join(root, "current")).mtimeMs).toBe(before);
  });

  it("dry-run prints the plan and changes nothing", async () => {
    const o = opts();
    const r = await deploy({ ...o, bundleDir: bundles[1].dir, dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.action).toBe("install");
    expect(r.plan.upload.map((w) => w.name)).toEqual(["zwhdemo-app"]);
    expect(r.plan.steps.map((s) => s.id)).toContain("upload");
    expect(readlinkSync(join(root, "current"))).toBe(`releases/${r.plan.currentRelease}`);
    expect(existsSync(join(root, "releases", r.releaseId))).toBe(false);
  });

  it("upgrades incrementally: only the changed wheel is uploaded", async () => {
    const o = opts();
    const r = await deploy({ ...o, bundleDir: bundles[1].dir });
    const changed = bundles[1].statement.predicate.wheels.filter((w) => !bundles[0].statement.predicate.wheels.some((x) => x.sha256 === w.sha256));
    expect(changed.map((w) => w.name)).toEqual(["zwhdemo-app"]);
    expect(r.upload.files).toBe(1);
    expect(r.upload.bytes).toBe(changed[0].size);
    expect(r.previous).toBe(bundles[0].statement.predicate.bundleId + "-" + bundles[0].statementDigest.slice(7, 19));
    const run = await simExec(h, `'${root}/current/venv/bin/python' -c 'import zwhdemo_app; print(zwhdemo_app.VERSION)'`);
    expect(run.stdout.trim()).toBe("1.1");
  });

  it("status shows current, previous, what is installed, and the lock", async () => {
    const o = opts();
    const s = await status({ ...o });
    expect(s.current?.releaseId).toMatch(/^demo-/);
    expect(s.current?.installed.find((p) => p.name === "zwhdemo-app")?.version).toBe("1.1");
    expect(s.previous?.releaseId).toBeTruthy();
    expect(s.lock.held).toBe(false);
    expect(s.trust.present).toBe(true);
    expect(s.inventory?.lastRun).toBeTruthy();
  });

  it("rolls back to the previous release after checking it is intact", async () => {
    const o = opts();
    const prev = readlinkSync(join(root, "previous"));
    const r = await rollback({ ...o });
    expect(r.changed).toBe(true);
    expect(`releases/${r.to}`).toBe(prev);
    // Back to a sequence-1 release while the target accepted 2: a deliberate, recorded downgrade.
    expect(r.downgrade).toEqual({ channel: "stable", accepted: 2, offered: 1 });
    const run = await simExec(h, `'${root}/current/venv/bin/python' -c 'import zwhdemo_app; print(zwhdemo_app.VERSION)'`);
    expect(run.stdout.trim()).toBe("1.0");
    expect((await inv.hostStatus(r.host, root)).active?.releaseId).toBe(r.to);
  });

  it("refuses to roll back to a broken release", async () => {
    const o = opts();
    const s = await status({ ...o });
    const prev = s.previous!.releaseId;
    // damage an installed file of the previous release
    const site = join(root, "releases", prev, "venv", "lib");
    const py = readdirSync(site)[0];
    const f = join(site, py, "site-packages", "zwhdemo_app", "__init__.py");
    const orig = readFileSync(f);
    require("fs").writeFileSync(f, "raise SystemExit('tampered')\n");
    await expect(rollback({ ...o })).rejects.toMatchObject({ code: "ZWH-RELEASE-BROKEN", exitCode: 3 });
    expect(readlinkSync(join(root, "current"))).toBe(`releases/${s.current!.releaseId}`);
    require("fs").writeFileSync(f, orig);
  });

  it("re-deploying a bundle whose release exists intact re-activates it without uploading; old releases are pruned", async () => {
    const o = opts();
    const r = await deploy({ ...o, bundleDir: bundles[1].dir });
    expect(r.action).toBe("activate");
    expect(r.upload.bytes).toBe(0);
    const r3 = await deploy({ ...opts(), bundleDir: bundles[2].dir, keep: 1 });
    expect(r3.action).toBe("install");
    const r4 = await deploy({ ...opts(), bundleDir: bundles[3].dir, keep: 1 });
    // keep 1 + current + previous are kept; the oldest release is gone
    const left = readdirSync(join(root, "releases"));
    expect(left).toContain(r4.releaseId);
    expect(left).toContain(r3.releaseId);
    expect(left.length).toBeLessThanOrEqual(3);
    expect(r4.pruned.length + r3.pruned.length).toBeGreaterThan(0);
  });

  it("refuses an older bundle (channel sequence) after a newer one was accepted", async () => {
    await expect(deploy({ ...opts(), bundleDir: bundles[0].dir })).rejects.toMatchObject({ code: "ZWH-SEQ-ROLLBACK" });
  });

  it("rolls back with a trailing slash on --root and records it under the same root as deploy", async () => {
    const o = opts({ root: `${root}/` });
    const prev = readlinkSync(join(root, "previous"));
    const r = await rollback({ ...o });
    expect(r.changed).toBe(true);
    expect(r.root).toBe(root);
    expect(`releases/${r.to}`).toBe(prev);
    expect((await inv.hostStatus(r.host, root)).active?.releaseId).toBe(r.to);
  });
});
