/**
 * apply: run a deploy plan's actions, in the plan's order, over one open session. Nothing runs
 * that the plan does not list (`--dry-run` prints the same list). The lock action takes the
 * root's lock; every later action runs under it; prune releases it with the audit line.
 * Failures carry the step they happened in; the caller (host.ts) releases a lock left held.
 */
import { createHash } from "crypto";
import { existsSync, readFileSync } from "fs";
import { hostname } from "os";
import { join } from "path";
import type { VerifiedBundle } from "../bundle/verify";
import type { Trust } from "../bundle/signing/trust";
import { ZwhError, refusal } from "../core/errors";
import { fmtBytes, type DeployPlan, type PlanWheel } from "../core/plan";
import type { Progress } from "../core/progress";
import { parseJsonLine } from "../remote/json-line";
import { chtagCommands, lsTagArgv } from "../remote/tags";
import type { ProbeResult } from "../remote/probe";
import type { TargetSpec } from "../remote/target";
import { pipEnv, releaseDir, storePath } from "./layout";
import { acquireLock, lockOwner, type LockHandle } from "./lock";
import { LockKeeper } from "./lock-keeper";
import { targetLabel } from "./sequence-guard";
import type { FileSequenceStore } from "../bundle/signing/sequence-state";
import type { Observation } from "./observe";
import { cliVersion } from "./record";
import { activateRelease, createVenv, inspectRelease } from "./release";
import { prepareStaging, quarantineCorrupt, removeFromStore, stagingCommands } from "./staging";
import { verifySignatureOnTarget } from "./target-signature";
import { localUser, type BatchResult, type TargetOps } from "./target-ops";
import { BOOTSTRAP_PACKAGES, type DeployHooks, type DeployResult, type DeployStepId, type StepTiming } from "./types";
import { verifyInstalled, type InstalledCheck } from "./verify-install";
import { checkWheelMembers, wheelMembersArgv } from "./wheel-check";

/** Times each step (the result's `steps`) and reports it as a progress step. */
export class StepTimer {
  readonly steps: StepTiming[] = [];
  constructor(private readonly progress: Progress) {}
  async step<T>(id: DeployStepId, title: string, fn: (update: (m: string) => void) => Promise<T>, bytes?: () => number): Promise<T> {
    const t0 = Date.now();
    const r = await this.progress.step(title, (s) => fn((m) => s.update(m)));
    const t: StepTiming = { step: id, ms: Date.now() - t0 };
    if (bytes) t.bytes = bytes();
    this.steps.push(t);
    return r;
  }
}

/** Everything the actions of one host's deploy share. `state` is what apply leaves for the caller. */
export interface ApplyContext {
  ops: TargetOps;
  spec: TargetSpec;
  runId: string;
  plan: DeployPlan;
  vb: VerifiedBundle;
  wheels: PlanWheel[];
  obs: Observation;
  facts: { probe: ProbeResult; cached: boolean };
  trust: Trust;
  keep: number;
  smoke?: string;
  lockTtl: number;
  heartbeatMs?: number;
  hooks?: DeployHooks;
  timer: StepTimer;
  /** Filled in as actions complete. */
  result: DeployResult;
  /** The "record" action (host.ts: the inventory). */
  record: () => Promise<void>;
  /** Rollback protection (sequence-guard.ts): a deliberate downgrade, and the workstation cache to raise. */
  sequence: { allowDowngrade?: boolean; downgrade: boolean; accepted: number | null; cache?: FileSequenceStore };
  /** The lock and its heartbeat (lock-keeper.ts) from acquisition to activation. */
  state: {
    step: DeployStepId; lock?: LockHandle; keeper?: LockKeeper; staged: boolean; sequenceStatus?: string; receiptWritten?: boolean;
    /** This run's upload step re-hashed what it uploaded: verify-target re-hashes only the wheels stored before. */
    rehashOnly?: boolean;
    /** The lock's exec prepared the upload's staging. */
    stagingReady?: boolean;
  };
}

type Action = (c: ApplyContext) => Promise<void>;

/** Run-scoped paths of the staging area. */
function staging(c: ApplyContext): { dir: string; uploadJson: string; releaseJson: string; rehashJson: string } {
  const base = c.ops.layout.stagingBase;
  return {
    dir: `${base}/${c.runId}`, uploadJson: `${base}/${c.runId}.upload.json`, releaseJson: `${base}/${c.runId}.release.json`,
    rehashJson: `${base}/${c.runId}.rehash.json`,
  };
}

async function enter(c: ApplyContext, step: DeployStepId): Promise<void> {
  c.state.step = step;
  await c.hooks?.beforeStep?.(step, { layout: c.ops.layout, releaseId: c.plan.releaseId });
  c.state.keeper?.assertHeld(step);
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

const lock: Action = async (c) => {
  await enter(c, "lock");
  const { vb, plan } = c;
  // The upload's staging (leftovers removed, files created and tagged) is prepared in the lock's
  // exec, once the lock is ours: one round trip fewer.
  const prep = plan.steps.some((s) => s.id === "upload") ? stagingCommands(c.ops, staging(c).dir, uploadFiles(c).all) : undefined;
  const held = await c.timer.step("lock", "Acquire the deployment lock", () =>
    acquireLock(c.ops, lockOwner("deploy", c.runId, c.spec.user, {
      cli_version: cliVersion(), bundle: vb.predicate.bundleId, bundle_digest: vb.statementDigest, release: plan.releaseId, message: `deploy ${plan.releaseId}`,
    }), c.lockTtl, { channel: vb.predicate.channel, sequence: vb.predicate.sequence, digest: vb.statementDigest, allowDowngrade: c.sequence.allowDowngrade }, prep?.cmds ?? []),
  );
  c.state.lock = { lockId: held.lockId, owner: held.owner };
  // Heartbeat from here to activation; a lost lock stops the run at the next step.
  c.state.keeper = new LockKeeper(c.ops, c.state.lock.lockId, c.lockTtl);
  c.state.keeper.start(c.heartbeatMs ?? Math.max(1000, (c.lockTtl * 1000) / 3));
  if (prep) {
    prep.check(held.then); // a failure here releases the lock (host.ts)
    c.state.stagingReady = true;
  }
};

/** What the upload writes into staging: the wheels to upload and three small text files. */
function uploadFiles(c: ApplyContext): { wheels: Array<{ path: string; kind: "binary" }>; texts: Array<{ path: string; data: string; kind: "text" }>; all: Array<{ path: string; kind: "text" | "binary" }> } {
  const { plan: p, ops } = c;
  const st = staging(c);
  const wheels = p.upload.map((w) => ({ path: `${st.dir}/${w.filename}`, kind: "binary" as const }));
  const texts = [
    { path: st.uploadJson, data: JSON.stringify(p.upload.map((w) => ({ name: w.filename, sha256: w.sha256, size: w.size }))) + "\n", kind: "text" as const },
    { path: st.releaseJson, data: releaseJsonText(c), kind: "text" as const },
    // The release's wheels that were already in the store: verify-target re-hashes these (the
    // ones uploaded now are re-hashed by store-commit, under the same lock).
    { path: st.rehashJson, data: JSON.stringify(storedBefore(c).map((w) => ({ path: storePath(ops.layout, w.sha256, w.filename), sha256: w.sha256, size: w.size }))) + "\n", kind: "text" as const },
  ];
  return { wheels, texts, all: [...wheels, ...texts] };
}

const upload: Action = async (c) => {
  await enter(c, "upload");
  const { ops, plan: p, vb } = c;
  const layout = ops.layout;
  const st = staging(c);
  let sent = 0;
  await c.timer.step("upload", p.upload.length ? `Upload ${p.upload.length} wheel(s), ${fmtBytes(p.uploadBytes)}` : "Upload (nothing: the store has every wheel)", async (u) => {
    const { wheels: wheelFiles, texts, all } = uploadFiles(c);
    if (!c.state.stagingReady) await prepareStaging(ops, st.dir, all);
    const byName = new Map(vb.wheels.map((w) => [w.filename, w]));
    await Promise.all([
      ...texts.map((t) => ops.session.writeFile(t.path, t.data)),
      ops.session.putFiles(p.upload.map((w) => ({ localPath: byName.get(w.filename)!.path, remotePath: `${st.dir}/${w.filename}` })), {
        concurrency: 4,
        onProgress: (pr) => {
          sent = pr.bytesDone;
          u(`${pr.filesDone}/${pr.filesTotal} wheels, ${fmtBytes(pr.bytesDone)} of ${fmtBytes(pr.bytesTotal)}`);
        },
      }),
    ]);
    sent = p.uploadBytes;
    // One exec: check every tag we wrote, then re-hash on the target and move into the store;
    // when that succeeded, the next step's stage commands (stageCommands).
    const cmds: string[][] = [["ls", "-T", ...texts.map((t) => t.path), ...wheelFiles.map((f) => f.path)]];
    if (p.upload.length) cmds.push(ops.zwhTarget("store-commit", "--staging", st.dir, "--store", layout.store, "--expect-file", st.uploadJson));
    const next = p.steps[p.steps.findIndex((s) => s.id === "upload") + 1];
    const stageCmds = next?.id === "stage" ? stageCommands(c) : undefined;
    const guards = cmds.length;
    const res = await ops.batch([...cmds, ...(stageCmds?.cmds ?? [])], { label: `ls -T + store-commit${stageCmds ? " + stage + pre-tag" : ""}`, stopAtFailure: guards });
    if (stageCmds && !res[guards].skipped) stagedEarly.set(c, { cmds: stageCmds, res: res.slice(guards) });
    ops.checkTagListing(res[0].stdout, [...texts.map((t) => ({ path: t.path, kind: t.kind })), ...wheelFiles]);
    if (p.upload.length) {
      const sc = parseJsonLine(res[1].stdout) ?? {};
      const rejected = (sc.rejected ?? []) as Array<Record<string, unknown>>;
      if (res[1].code !== 0 || rejected.length) {
        throw refusal("ZWH-DEPLOY-UPLOAD-CORRUPT", `${rejected.length} uploaded wheel(s) did not arrive intact on ${c.result.host} (re-hashed on the target): ${rejected.map((x) => `${String(x.name)} (${String(x.reason)})`).join(", ") || String((sc.error as Record<string, unknown> | undefined)?.message ?? "store-commit failed")}`, {
          subject: c.result.host,
          details: { rejected, unexpected: sc.unexpected },
          hint: "Nothing was moved into the store under a final name. Re-run the deploy; if it repeats, check for SFTP conversion (AUTOCVT) on the target.",
        });
      }
    }
  }, () => sent);
  c.state.rehashOnly = true;
  c.result.upload.files = p.upload.length;
  c.result.upload.bytes = p.uploadBytes;
};

/** The release's wheels this run did not upload (already in the target's store). */
function storedBefore(c: ApplyContext): PlanWheel[] {
  const uploaded = new Set(c.plan.upload.map((w) => w.filename));
  return c.wheels.filter((w) => !uploaded.has(w.filename));
}

/**
 * The release's wheels for the target helpers: where each is in the store and its sha256 + size
 * (stage, the re-hash), and the member layout this run verified (the wheel-members check).
 */
function releaseJsonText(c: ApplyContext): string {
  const layoutOf = new Map(c.vb.wheels.map((w) => [w.filename, w.memberLayout]));
  return JSON.stringify(c.wheels.map((w) => {
    const lay = layoutOf.get(w.filename);
    return { name: w.filename, path: storePath(c.ops.layout, w.sha256, w.filename), sha256: w.sha256, size: w.size, ...(lay ? { layout: lay } : {}) };
  })) + "\n";
}

/** The text files stage wrote into the release (their tags are checked in verify-target's exec). */
const stagedFiles = new WeakMap<ApplyContext, Array<{ path: string; kind: "text" }>>();

/**
 * stage's exec: build releases/<id> (zwh_deploy.py stage), then create its text files empty and
 * tag them ISO8859-1 before any byte is written; the writes follow over SFTP and their tags are
 * checked (ls -T) in the first exec of verify-target. receipt.json is created and tagged here
 * too, and written after verify-install (its tag is checked again with activate). The upload's
 * last exec runs these commands when the store commit before them succeeds (one round trip).
 */
function stageCommands(c: ApplyContext): { cmds: string[][]; files: Array<{ path: string; data: Buffer }>; check: (res: BatchResult[]) => void } {
  const { ops, vb } = c;
  const rdir = releaseDir(ops.layout, c.plan.releaseId);
  const files: Array<{ path: string; data: Buffer }> = [
    { path: `${rdir}/requirements.lock.txt`, data: vb.lockBytes },
    { path: `${rdir}/manifest.intoto.json`, data: vb.statementBytes },
  ];
  const env = join(vb.dir, "manifest.dsse.json");
  if (existsSync(env)) files.push({ path: `${rdir}/manifest.dsse.json`, data: readFileSync(env) });
  const sig = join(vb.dir, "manifest.intoto.json.sig");
  if (existsSync(sig)) files.push({ path: `${rdir}/manifest.intoto.json.sig`, data: readFileSync(sig) });
  const stageArgs = ["stage", "--release-dir", rdir, "--wheels-file", staging(c).releaseJson, "--store", ops.layout.store];
  const paths = [...files.map((f) => f.path), receiptPath(rdir)];
  const prep: string[][] = [["touch", ...paths], ["chmod", "644", ...paths]];
  const tags = chtagCommands(paths.map((path) => ({ path, kind: "text" as const })));
  const check = (res: BatchResult[]) => {
    ops.helperOutcome("zwh_deploy.py", stageArgs, res[0], [0]);
    c.state.staged = true;
    const bad = res.findIndex((r, i) => i > 0 && r.code !== 0);
    if (bad > 0 && bad <= prep.length) {
      throw new ZwhError("ZWH-REMOTE-COMMAND", `creating the release files failed on ${ops.host} (${prep[bad - 1][0]} exit ${res[bad].code}): ${res[bad].stdout.trim().slice(-300)}`, {
        subject: rdir, details: { command: prep[bad - 1].slice(0, 4), exitCode: res[bad].code },
      });
    }
    if (bad > prep.length) throw ops.chtagFailed(tags[bad - 1 - prep.length], res[bad].code);
    stagedFiles.set(c, paths.map((path) => ({ path, kind: "text" as const })));
  };
  return { cmds: [ops.helperArgv("zwh_deploy.py", stageArgs), ...prep, ...tags], files, check };
}

/** stage's exec results when the upload's exec ran them (stageCommands). */
const stagedEarly = new WeakMap<ApplyContext, { cmds: ReturnType<typeof stageCommands>; res: BatchResult[] }>();

const stage: Action = async (c) => {
  await enter(c, "stage");
  const { ops } = c;
  await c.timer.step("stage", `Stage release ${c.plan.releaseId}`, async () => {
    const early = stagedEarly.get(c);
    const st = early?.cmds ?? stageCommands(c);
    st.check(early?.res ?? (await ops.batch(st.cmds, { label: "stage + pre-tag" })));
    await Promise.all(st.files.map((f) => ops.session.writeFile(f.path, f.data)));
  });
};

const verifyTarget: Action = async (c) => {
  await enter(c, "verify-target");
  const { ops } = c;
  const rdir = releaseDir(ops.layout, c.plan.releaseId);
  const host = c.result.host;
  // The empty venv (no pip, nothing of the release) is created on the session's second exec
  // channel while the target verifies; install waits for it. If the verification refuses, the
  // venv is removed again, so a refused release never has one.
  const venv = c.plan.steps.some((s) => s.id === "install") ? startVenv(c, rdir) : undefined;
  try {
    await verifyTargetChecks(c, rdir, host);
  } catch (e) {
    if (venv) {
      await venv.catch(() => undefined);
      // The heartbeat in the venv's exec found the lock gone: that explains the failure (another
      // run may have cleared this run's staging), and the root is no longer ours to clean.
      if (c.state.keeper?.isLost) c.state.keeper.assertHeld("verify-target");
      await ops.batch([["rm", "-rf", `${rdir}/venv`]], { label: "remove the venv of a refused release" }).catch(() => undefined);
    }
    throw e;
  }
};

/** Pending venv creation per run (verify-target starts it, install uses it). */
const venvOf = new WeakMap<ApplyContext, Promise<string[]>>();

function startVenv(c: ApplyContext, rdir: string): Promise<string[]> {
  const p = createVenv(c.ops, `${rdir}/venv`, c.state.keeper);
  p.catch(() => undefined); // awaited by install (or by verify-target's failure path)
  venvOf.set(c, p);
  return p;
}

async function verifyTargetChecks(c: ApplyContext, rdir: string, host: string): Promise<void> {
  const { ops, vb } = c;
  const layout = ops.layout;
  await c.timer.step("verify-target", "Verify the signature and the wheels on the target", async () => {
    // DSSE and/or SSHSIG against the target's own anchors (target-signature.ts), plus the re-hash.
    const sshsig = join(vb.dir, "manifest.intoto.json.sig");
    const written = stagedFiles.get(c) ?? [];
    const [hres, wres, lsres] = await verifySignatureOnTarget(ops, {
      rdir, channel: vb.predicate.channel, localTrust: c.trust, scratchPrefix: `${layout.stagingBase}/${c.runId}`,
      hasEnvelope: existsSync(join(vb.dir, "manifest.dsse.json")), sshsigText: existsSync(sshsig) ? readFileSync(sshsig, "latin1") : undefined,
      dsseKeyIds: new Set(vb.signers.filter((x) => x.kind === "dsse").map((x) => x.keyid)),
    }, [
      ops.zwhTarget("hash", "--expect", `${rdir}/manifest.intoto.json=${vb.statementDigest.replace(/^sha256:/, "")}:${vb.statementBytes.length}`,
        "--expect", `${rdir}/requirements.lock.txt=${sha256(vb.lockBytes)}:${vb.lockBytes.length}`,
        // Each wheel's bytes are hashed on the target once per deploy: after upload (store-commit)
        // or, already stored before, here. pip's --require-hashes checks them again as it reads.
        "--expect-file", c.state.rehashOnly ? staging(c).rehashJson : staging(c).releaseJson),
      wheelMembersArgv(ops, rdir, staging(c).releaseJson), // what pip's reader sees = what was verified (wheel-check.ts)
      lsTagArgv(written.map((f) => f.path)),
    ]);
    // The release's text files were written after stage tagged them: check the tags first.
    ops.checkTagListing(lsres.stdout, written);
    const hv = parseJsonLine(hres.stdout);
    if (hres.code !== 0) {
      const mism = ((hv?.mismatches ?? []) as Array<Record<string, unknown>>);
      const bad = mism.map((m) => String(m.path));
      // Quarantine corrupt store entries so a re-run uploads them again.
      const storeBad = await removeFromStore(ops, bad);
      throw refusal("ZWH-DEPLOY-STORE-CORRUPT", `${mism.length || "some"} file(s) on ${host} do not match the signed manifest: ${bad.slice(0, 5).join(", ")}`, {
        subject: host,
        details: { mismatches: mism, errors: hv?.errors, removedFromStore: storeBad },
        hint: "Corrupt store entries were removed; re-run the deploy to upload them again.",
      });
    }
    checkWheelMembers(wres, host, rdir);
  });
};

/** pip's argv prefix chosen by install, used again by verify-install. */
const pipOf = new WeakMap<ApplyContext, string[]>();

const install: Action = async (c) => {
  await enter(c, "install");
  const { ops } = c;
  const layout = ops.layout;
  const rdir = releaseDir(layout, c.plan.releaseId);
  await c.timer.step("install", "Create the venv and install offline (hardened pip)", async (u) => {
    u("python -m venv --without-pip");
    // The lock was renewed (and checked) in the venv's exec, right before this long pip step;
    // activate checks it again on the target.
    const pipArgv = await (venvOf.get(c) ?? createVenv(ops, `${rdir}/venv`, c.state.keeper));
    c.state.keeper?.assertHeld("install");
    pipOf.set(c, pipArgv);
    u(`pip install --no-index --require-hashes (${pipArgv[2] === "pip" ? "the venv's pip" : "the interpreter's pip, run by the venv"})`);
    {
      const r = await ops.session.exec([
        ...pipArgv, "install", "--isolated", "--no-index", "--find-links", `${rdir}/wheels`,
        "--only-binary=:all:", "--require-hashes", "--disable-pip-version-check", "--no-cache-dir", "--no-input",
        "--report", `${rdir}/install-report.json`, "-r", `${rdir}/requirements.lock.txt`,
      ], { label: "pip install", env: pipEnv(layout) });
      if (r.code !== 0) {
        const hashErr = /DO NOT MATCH THE HASHES|Hashes are required/.test(r.stderr + r.stdout);
        if (hashErr) await quarantineCorrupt(ops, staging(c).releaseJson);
        const tail = (r.stderr || r.stdout).trim().split("\n").slice(-8).join("\n");
        const mk = hashErr ? refusal : (code: string, m: string, x: object) => new ZwhError(code, m, x);
        throw mk(hashErr ? "ZWH-DEPLOY-PIP-HASH" : "ZWH-DEPLOY-PIP-INSTALL", `pip install failed on ${c.result.host} (exit ${r.code})${hashErr ? ": a wheel does not match its hash in the signed lock" : ""}:\n${tail}`, {
          subject: rdir,
          details: { exitCode: r.code, stderr: r.stderr.slice(-4000) },
          hint: hashErr ? "A wheel was changed on the target after upload. Nothing was activated; re-run the deploy." : "Nothing was activated. See pip's message above.",
        });
      }
    }
  });
};

const verifyInstall: Action = async (c) => {
  await enter(c, "verify-install");
  const { ops, vb, plan: p } = c;
  const rdir = releaseDir(ops.layout, p.releaseId);
  const installed: InstalledCheck = await c.timer.step("verify-install", "Verify the installed set (pip check, pip inspect, RECORD" + (c.smoke ? ", smoke" : "") + ")", async () =>
    verifyInstalled(ops, rdir, vb, { smoke: c.smoke, bootstrapAllowed: BOOTSTRAP_PACKAGES, pip: pipOf.get(c) }),
  );
  c.result.installed = installed.installed;
  c.result.bootstrap = installed.bootstrap;

  // The receipt is written last: its "complete" marks an intact release (re-activation, noop).
  const receipt = {
    formatVersion: 1, complete: true, releaseId: p.releaseId, bundleId: vb.predicate.bundleId, channel: vb.predicate.channel,
    sequence: vb.predicate.sequence, statementDigest: vb.statementDigest, signers: vb.signers, runId: c.runId, createdAt: new Date().toISOString(),
    deployedBy: { user: localUser(), zosUser: c.spec.user, controllerHost: hostname(), cliVersion: cliVersion() },
    python: { path: ops.python, version: c.facts.probe.python.version, fingerprint: c.obs.raw.python },
    installed: installed.installed, bootstrap: installed.bootstrap, wheels: c.wheels.map((w) => ({ filename: w.filename, sha256: w.sha256, size: w.size })),
    checks: installed.checks,
  };
  // Into the file stage created and tagged (verify-target checked the tag); activate re-checks it.
  await ops.session.writeFile(receiptPath(rdir), JSON.stringify(receipt, null, 2) + "\n");
  c.state.receiptWritten = true;
};

function receiptPath(rdir: string): string {
  return `${rdir}/receipt.json`;
}

/** The activate path's re-check of an intact existing release (timed as verify-install). */
const inspect: Action = async (c) => {
  await enter(c, "verify-install");
  const p = c.plan;
  await c.timer.step("verify-install", `Re-check release ${p.releaseId}`, async () => {
    await inspectRelease(c.ops, p.releaseId);
  });
  const rec = c.obs.raw.releases.find((x) => x.id === p.releaseId)?.receipt;
  c.result.installed = rec?.installed ?? [];
  c.result.bootstrap = rec?.bootstrap ?? [];
};

const activate: Action = async (c) => {
  await enter(c, "activate");
  const p = c.plan;
  const act = await c.timer.step("activate", `Activate ${p.releaseId}`, () =>
    activateRelease(c.ops, p.releaseId, c.obs.raw.current.target, "ZWH-DEPLOY-ACTIVATE", {
      lockId: c.state.lock!.lockId, allowDowngrade: c.sequence.allowDowngrade,
      ...(c.state.receiptWritten ? { textFile: receiptPath(releaseDir(c.ops.layout, p.releaseId)) } : {}),
    }));
  await c.state.keeper?.stop();
  // The target accepted the statement: the workstation cache learns its new bound.
  const sq = act.sequence as { status?: string; trust_root?: string | null } | null;
  c.state.sequenceStatus = sq?.status;
  if (sq?.trust_root && (sq.status === "new" || sq.status === "same")) {
    c.sequence.cache?.refresh(sq.trust_root, c.vb.predicate.channel, { sequence: c.vb.predicate.sequence, digest: c.vb.statementDigest, source: targetLabel(c.result.host, c.ops.layout.root) });
  }
  c.result.changed = true;
  c.result.current = p.releaseId;
  c.result.previous = (act.previous_release as string | null) ?? c.obs.state.current;
};

const prune: Action = async (c) => {
  c.state.step = "prune";
  const { ops, vb, plan: p, result } = c;
  const lk = c.state.lock!;
  result.pruned = await c.timer.step("prune", `Prune (keep current, previous and ${c.keep} other release(s)); record on the target`, async () => {
    // One exec, one interpreter start for the three helper commands (zwh_deploy.py multi).
    const res = await ops.batch([
      ops.multiArgv([
        ops.zwhTarget("prune", "--root", ops.layout.root, "--keep", String(c.keep)),
        ops.auditArgv({ event: "deploy", ok: true, run_id: c.runId, release: p.releaseId, previous: result.previous, bundle: vb.predicate.bundleId, bundle_digest: vb.statementDigest, channel: vb.predicate.channel, sequence: vb.predicate.sequence,
          sequence_status: c.state.sequenceStatus ?? null, ...(c.sequence.downgrade ? { downgrade: { allowed: true, accepted: c.sequence.accepted, offered: vb.predicate.sequence } } : {}),
          user: localUser(), zos_user: c.spec.user, controller_host: hostname(), uploaded_bytes: result.upload.bytes }),
        ops.unlockArgv(lk.lockId),
      ]),
      ["rm", "-rf", ops.layout.stagingBase],
    ], { label: "prune + audit + unlock" });
    const [pr, , un] = ops.multiResults(res[0].stdout, 3);
    c.state.lock = undefined;
    const pj = pr.json;
    if (pr.code !== 0) result.warnings.push(`prune reported errors: ${JSON.stringify(pj.errors ?? pj.error ?? pj)}`.slice(0, 600));
    if (un.code !== 0) result.warnings.push(`releasing the lock failed: ${JSON.stringify(un.json).slice(-300)}`);
    return (pj.removed ?? []) as string[];
  });
};

const record: Action = async (c) => {
  c.state.step = "record";
  await c.record();
};

/** The action behind every plan step id (core/plan.ts). */
export const DEPLOY_ACTIONS: Record<string, Action> = {
  lock, upload, stage, "verify-target": verifyTarget, install, "verify-install": verifyInstall, inspect, activate, prune, record,
};

/** Run the plan's steps in order. */
export async function applyDeployPlan(c: ApplyContext): Promise<void> {
  for (const s of c.plan.steps) {
    const action = DEPLOY_ACTIONS[s.id];
    if (!action) throw new ZwhError("ZWH-INTERNAL", `the deploy plan has a step apply does not know: ${s.id}`);
    await action(c);
  }
}
