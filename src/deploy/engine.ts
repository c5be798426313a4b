/**
 * Deploy one bundle to one install root on one LPAR: observe → plan → apply → record.
 * One SSH connection for everything. See docs/deploy.md for the result shape.
 */
import { createHash, randomUUID } from "crypto";
import { existsSync, readFileSync } from "fs";
import { hostname } from "os";
import { join } from "path";
import { acceptBundleSequence, loadAndVerifyBundle, type VerifiedBundle } from "../bundle/verify";
import { targetFromProbe } from "../bundle/target";
import { loadTrust } from "../bundle/signing/trust";
import { describeOwner, fmtBytes, planDeploy, type DeployPlan, type PlanWheel } from "../core/plan";
import { ZwhError, refusal, toZwhError } from "../core/errors";
import type { Progress } from "../cli/framework/types";
import type { InventoryStore } from "../inventory/types";
import { connectTarget, type RemoteSession } from "../remote/connection";
import { DEFAULT_PYTHON, hostLabel, type TargetSpec } from "../remote/target";
import { parseJsonLine } from "../remote/json-line";
import { checkRoot, layoutFor, pipEnv, releaseDir, releaseIdFor, storePath, type RootLayout } from "./layout";
import { observeTarget, targetFacts, type Observation } from "./observe";
import { TargetOps, chtagCommands, chunks, localUser } from "./target-ops";
import { verifySignatureOnTarget } from "./target-signature";
import { statementDigest } from "../bundle/signing/sequence-state";
import { verifyInstalled, type InstalledCheck } from "./verify-install";

export const DEPLOY_FORMAT_VERSION = 1;
export const DEFAULT_KEEP = 5;
export const DEFAULT_LOCK_TTL_S = 900;
/**
 * Names pip's venv bootstrap may add besides the manifest. Only when the fallback bootstraps pip
 * into the venv (ensurepip): with the interpreter's pip >= 22.3 the venv is created --without-pip
 * and the installed set is exactly the manifest.
 */
export const BOOTSTRAP_PACKAGES = ["pip", "setuptools", "wheel"];
/** First pip release with `pip --python` (run pip against another interpreter or venv). */
export const PIP_PYTHON_OPTION_MIN: readonly [number, number] = [22, 3];

export type DeployStepId = "connect" | "observe" | "verify-bundle" | "plan" | "lock" | "upload" | "stage" | "verify-target" | "install" | "verify-install" | "activate" | "prune" | "record";

export interface DeployHooks {
  /** Test seam: called right before a step runs (fault injection, tampering). */
  beforeStep?: (step: DeployStepId, info: { layout: RootLayout; releaseId?: string }) => Promise<void> | void;
}

export interface CommonOptions {
  spec: TargetSpec;
  root: string;
  progress: Progress;
  warn: (m: string) => void;
  store?: InventoryStore;
  env?: NodeJS.ProcessEnv;
  argv?: string[];
}

export interface DeployOptions extends CommonOptions {
  bundleDir: string;
  trustPath: string;
  keep?: number;
  smoke?: string;
  dryRun?: boolean;
  lockTtlSeconds?: number;
  heartbeatMs?: number;
  hooks?: DeployHooks;
  now?: Date;
}

export interface StepTiming {
  step: DeployStepId;
  ms: number;
  bytes?: number;
}

export interface DeployResult {
  formatVersion: number;
  runId: string;
  host: string;
  root: string;
  bundle: {
    id: string; channel: string; sequence: number; statementDigest: string; wheels: number; signers: Array<{ keyid: string; name: string }>;
    /** "full", or "statement" when the release was already current (wheels not re-read locally). */
    verification: "full" | "statement";
  };
  releaseId: string;
  action: DeployPlan["action"];
  changed: boolean;
  dryRun: boolean;
  plan: DeployPlan;
  current: string | null;
  previous: string | null;
  upload: { files: number; bytes: number; helperFiles: number; skipped: number };
  installed: Array<{ name: string; version: string; sha256?: string }>;
  bootstrap: Array<{ name: string; version: string }>;
  pruned: string[];
  steps: StepTiming[];
  durationMs: number;
  warnings: string[];
  targetFactsCached: boolean;
}

function cliVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(join(__dirname, "..", "..", "package.json")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

class Timer {
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

/** Wrap an error with the step it happened in (kept in details.step). */
function inStep(step: DeployStepId, e: unknown): ZwhError {
  const z = toZwhError(e);
  if (z.details?.step) return z;
  return new ZwhError(z.code, z.message, {
    subject: z.subject, hint: z.hint, exitCode: z.exitCode, transient: z.transient, cause: z,
    details: { ...(z.details ?? {}), step },
  });
}

interface LockHandle {
  lockId: string;
  owner: Record<string, unknown>;
}

/** --lock-ttl: whole seconds >= 1 (default DEFAULT_LOCK_TTL_S). */
export function checkLockTtl(v: number | undefined): number {
  if (v === undefined) return DEFAULT_LOCK_TTL_S;
  if (!Number.isInteger(v) || v < 1) {
    throw new ZwhError("ZWH-ARGS-INVALID", `--lock-ttl must be a whole number of seconds >= 1 (got ${String(v)})`, {
      subject: "lock-ttl", hint: `The default is ${DEFAULT_LOCK_TTL_S}. A deploy renews its lock every ttl/3 while pip runs.`,
    });
  }
  return v;
}

export async function acquireLock(ops: TargetOps, owner: Record<string, unknown>, ttl: number): Promise<LockHandle> {
  await ops.session.mkdirp(ops.layout.wh, 0o755);
  const r = await ops.helper("zwh_target.py", ["lock", "acquire", "--root", ops.layout.root, "--owner-json", JSON.stringify(owner), "--ttl", String(ttl)], { label: "lock acquire" });
  if (r.code === 3) {
    const o = (r.json.owner ?? {}) as Record<string, unknown>;
    throw refusal("ZWH-LOCK-HELD", `${ops.host} ${ops.layout.root} is locked${r.json.stale ? " (stale)" : ""} by ${describeOwner(o)}`, {
      subject: ops.layout.root,
      details: { owner: o, stale: r.json.stale === true, incomplete: r.json.incomplete === true },
      hint: r.json.stale
        ? "The lock is stale (past its expiry). Make sure that run is gone, then remove it with 'zwh lock break' (same target options and --root)."
        : "Another deployment is running. Wait for it, or see 'zwh lock status'.",
    });
  }
  return { lockId: String(r.json.lock_id), owner: r.json.owner as Record<string, unknown> };
}

/**
 * After a failure: append the audit line and release the lock, on the same session if it is
 * alive, else on a fresh connection. Returns whether the lock was released.
 */
async function cleanupAfterFailure(ops: TargetOps, spec: TargetSpec, env: NodeJS.ProcessEnv | undefined, lock: LockHandle | undefined, entry: Record<string, unknown>): Promise<boolean> {
  const run = async (o: TargetOps): Promise<boolean> => {
    const cmds = [o.auditArgv(entry)];
    if (lock) cmds.push(o.unlockArgv(lock.lockId));
    const res = await o.batch(cmds, { label: "audit+unlock", timeoutMs: 60_000 });
    return !lock || res[1].code === 0;
  };
  try {
    if (!ops.session.closed) return await run(ops);
  } catch {
    /* fall through to a fresh connection */
  }
  let s: RemoteSession | undefined;
  try {
    s = await connectTarget({ ...spec, handshakeTimeoutMs: Math.min(spec.handshakeTimeoutMs ?? 10_000, 10_000) }, { env: env ?? process.env });
    return await run(new TargetOps(s, ops.layout, ops.python));
  } catch {
    return false;
  } finally {
    await s?.close().catch(() => undefined);
  }
}

function wheelsOf(v: VerifiedBundle): PlanWheel[] {
  return v.wheels.map((w) => ({ filename: w.filename, name: w.name, version: w.version, sha256: w.sha256, size: w.size }));
}

async function recordBundle(store: InventoryStore, vb: VerifiedBundle): Promise<void> {
  await store.recordBundle({
    bundleId: vb.predicate.bundleId, channel: vb.predicate.channel, sequence: vb.predicate.sequence, digestSha256: vb.statementDigest,
    manifest: vb.statement, manifestBytes: vb.statementBytes, signerIdentities: vb.signers, wheels: wheelsOf(vb),
  });
}

/** Unverified read of the statement's wheel list, only to ask the target's store early. */
function peekWheels(bundleDir: string): PlanWheel[] {
  try {
    const st = JSON.parse(readFileSync(join(bundleDir, "manifest.intoto.json"), "utf8")) as { predicate?: { wheels?: PlanWheel[] } };
    return (st.predicate?.wheels ?? []).filter((w) => typeof w.sha256 === "string" && /^[0-9a-f]{64}$/.test(w.sha256) && typeof w.filename === "string" && !w.filename.includes("/") && Number.isInteger(w.size));
  } catch {
    return [];
  }
}

export async function deploy(o: DeployOptions): Promise<DeployResult> {
  const t0 = Date.now();
  const root = checkRoot(o.root);
  const layout = layoutFor(root);
  const python = o.spec.pythonPath ?? DEFAULT_PYTHON;
  const keep = o.keep ?? DEFAULT_KEEP;
  if (!Number.isInteger(keep) || keep < 1) throw new ZwhError("ZWH-ARGS-INVALID", `--keep must be an integer >= 1 (got ${String(o.keep)})`, { subject: "keep" });
  const lockTtl = checkLockTtl(o.lockTtlSeconds);
  const host = hostLabel(o.spec);
  const warnings: string[] = [];
  const timer = new Timer(o.progress);
  const store = o.store;
  const runId = store ? await store.startRun("deploy", { actorLocal: localUser(), controllerHost: hostname(), cliVersion: cliVersion(), argv: o.argv }) : randomUUID();
  const trust = loadTrust(o.trustPath);
  let step: DeployStepId = "connect";
  let session: RemoteSession | undefined;
  let ops: TargetOps | undefined;
  let lock: LockHandle | undefined;
  let verified: VerifiedBundle | undefined;
  let releaseId: string | undefined;
  let plan: DeployPlan | undefined;
  let staged = false;
  const hook = async (s: DeployStepId) => o.hooks?.beforeStep?.(s, { layout, releaseId });
  try {
    session = await timer.step("connect", `Connect to ${o.spec.user}@${host}`, () => connectTarget(o.spec, { env: o.env ?? process.env }));
    ops = new TargetOps(session, layout, python);
    const tops = ops;
    step = "observe";
    const peek = peekWheels(o.bundleDir);
    const obs: Observation = await timer.step("observe", "Observe the target", async (u) => {
      const ob = await observeTarget(tops, peek);
      u(`current ${ob.state.current ?? "none"}, ${ob.raw.store.present.length}/${peek.length} wheels in the store, lock ${ob.state.lock.held ? "HELD" : "free"}`);
      return ob;
    });
    const facts = await targetFacts(ops, obs);
    step = "verify-bundle";
    verified = await timer.step("verify-bundle", "Verify the bundle locally against the target", async (u) => {
      // Unchanged re-deploy: the current release was built and verified from this exact signed
      // statement, so only the statement is re-checked (signatures, expiry, sequence).
      const digest = bundleStatementDigest(o.bundleDir);
      const cur = obs.state.releases.find((r) => r.id === obs.state.current);
      const statementOnly = !!digest && !!cur && cur.complete && cur.statementDigest === digest;
      const v = await loadAndVerifyBundle(o.bundleDir, { trust, targetEnv: targetFromProbe(facts.probe), sequenceStore: store, now: o.now, statementOnly });
      u(`${v.predicate.bundleId} seq ${v.predicate.sequence}, ${v.wheels.length} wheels, signed by ${v.signers.map((s) => s.name).join(", ")}` +
        (v.scope === "statement" ? " (already current: statement re-checked, wheels not re-read)" : ""));
      return v;
    });
    for (const f of verified.findings) warnings.push(`${f.code}: ${f.message}`);
    const vb = verified;
    releaseId = releaseIdFor(vb.predicate.bundleId, vb.statementDigest);
    step = "plan";
    const wheels = wheelsOf(vb);
    // The early store query used the unverified list; re-ask only if the verified list differs.
    let state = obs.state;
    const peekSet = new Set(peek.map((w) => `${w.sha256}:${w.size}:${w.filename}`));
    if (wheels.some((w) => !peekSet.has(`${w.sha256}:${w.size}:${w.filename}`))) state = (await observeTarget(tops, wheels)).state;
    plan = planDeploy(
      { bundleId: vb.predicate.bundleId, channel: vb.predicate.channel, sequence: vb.predicate.sequence, statementDigest: vb.statementDigest, releaseId, wheels },
      state,
      { keep, smoke: o.smoke },
    );
    const p = plan;
    const base = (): DeployResult => ({
      formatVersion: DEPLOY_FORMAT_VERSION, runId, host, root,
      bundle: { id: vb.predicate.bundleId, channel: vb.predicate.channel, sequence: vb.predicate.sequence, statementDigest: vb.statementDigest, wheels: vb.wheels.length, signers: vb.signers.map((s) => ({ keyid: s.keyid, name: s.name })), verification: vb.scope },
      releaseId: p.releaseId, action: p.action, changed: false, dryRun: !!o.dryRun, plan: p,
      current: state.current, previous: state.previous,
      upload: { files: 0, bytes: 0, helperFiles: obs.helpersUploaded, skipped: p.reuse.length },
      installed: [], bootstrap: [], pruned: [], steps: timer.steps, durationMs: 0, warnings, targetFactsCached: facts.cached,
    });

    if (o.dryRun) {
      const r = base();
      r.durationMs = Date.now() - t0;
      if (store) await finishRecord(store, runId, host, o, { status: "ok", exitCode: p.blockers.length ? 3 : 0 }, undefined);
      return r;
    }
    const blocker = p.blockers.find((b) => b.code !== "ZWH-LOCK-HELD");
    if (blocker && p.action !== "noop") throw refusal(blocker.code, `${host}: ${blocker.message}`, { subject: root, hint: blocker.hint });

    if (p.action === "noop") {
      if (state.lock.held) warnings.push(`the root is locked by ${describeOwner(state.lock.owner ?? {})}; nothing was changed`);
      const rec = obs.raw.releases.find((x) => x.id === p.releaseId)?.receipt;
      const r = base();
      r.installed = rec?.installed ?? [];
      r.bootstrap = rec?.bootstrap ?? [];
      if (store) {
        await recordHostFacts(store, o.spec, facts.probe);
        acceptBundleSequence(store, vb);
        await finishRecord(store, runId, host, o, { status: "ok", exitCode: 0 }, { status: "ok", releaseId: p.releaseId });
      }
      r.durationMs = Date.now() - t0;
      return r;
    }

    // ---- apply, under the host lock ----
    step = "lock";
    await hook("lock");
    const ttl = lockTtl;
    lock = await timer.step("lock", "Acquire the deployment lock", () =>
      acquireLock(tops, {
        operation: "deploy", run_id: runId, user: localUser(), zos_user: o.spec.user, controller_host: hostname(), controller_pid: process.pid,
        cli_version: cliVersion(), bundle: vb.predicate.bundleId, bundle_digest: vb.statementDigest, release: p.releaseId, message: `deploy ${p.releaseId}`,
      }, ttl),
    );
    const lk = lock;
    const rdir = releaseDir(layout, p.releaseId);
    const result = base();
    let installed: InstalledCheck | undefined;
    let pipArgv: string[] | undefined;

    if (p.action === "install") {
      const staging = `${layout.stagingBase}/${runId}`;
      const uploadJson = `${layout.stagingBase}/${runId}.upload.json`;
      const releaseJson = `${layout.stagingBase}/${runId}.release.json`;
      step = "upload";
      await hook("upload");
      let sent = 0;
      await timer.step("upload", p.upload.length ? `Upload ${p.upload.length} wheel(s), ${fmtBytes(p.uploadBytes)}` : "Upload (nothing: the store has every wheel)", async (u) => {
        const wheelFiles = p.upload.map((w) => ({ path: `${staging}/${w.filename}`, kind: "binary" as const }));
        const texts = [
          { path: uploadJson, data: JSON.stringify(p.upload.map((w) => ({ name: w.filename, sha256: w.sha256, size: w.size }))) + "\n", kind: "text" as const },
          { path: releaseJson, data: JSON.stringify(wheels.map((w) => ({ name: w.filename, path: storePath(layout, w.sha256, w.filename), sha256: w.sha256, size: w.size }))) + "\n", kind: "text" as const },
        ];
        await prepareStaging(tops, staging, [...wheelFiles, ...texts]);
        const byName = new Map(vb.wheels.map((w) => [w.filename, w]));
        await Promise.all([
          ...texts.map((t) => session!.writeFile(t.path, t.data)),
          session!.uploadMany(p.upload.map((w) => ({ localPath: byName.get(w.filename)!.path, remotePath: `${staging}/${w.filename}` })), {
            concurrency: 4,
            onProgress: (pr) => {
              sent = pr.bytesDone;
              u(`${pr.filesDone}/${pr.filesTotal} wheels, ${fmtBytes(pr.bytesDone)} of ${fmtBytes(pr.bytesTotal)}`);
            },
          }),
        ]);
        sent = p.uploadBytes;
        // One exec: check every tag we wrote, then re-hash on the target and move into the store.
        const cmds: string[][] = [["ls", "-T", uploadJson, releaseJson, ...wheelFiles.map((f) => f.path)]];
        if (p.upload.length) cmds.push(tops.zwhTarget("store-commit", "--staging", staging, "--store", layout.store, "--expect-file", uploadJson));
        const res = await tops.batch(cmds, { label: "ls -T + store-commit" });
        tops.checkTagListing(res[0].stdout, [...texts.map((t) => ({ path: t.path, kind: t.kind })), ...wheelFiles]);
        if (p.upload.length) {
          const sc = parseJsonLine(res[1].stdout) ?? {};
          const rejected = (sc.rejected ?? []) as Array<Record<string, unknown>>;
          if (res[1].code !== 0 || rejected.length) {
            throw refusal("ZWH-DEPLOY-UPLOAD-CORRUPT", `${rejected.length} uploaded wheel(s) did not arrive intact on ${host} (re-hashed on the target): ${rejected.map((x) => `${String(x.name)} (${String(x.reason)})`).join(", ") || String((sc.error as Record<string, unknown> | undefined)?.message ?? "store-commit failed")}`, {
              subject: host,
              details: { rejected, unexpected: sc.unexpected },
              hint: "Nothing was moved into the store under a final name. Re-run the deploy; if it repeats, check for SFTP conversion (AUTOCVT) on the target.",
            });
          }
        }
      }, () => sent);
      result.upload.files = p.upload.length;
      result.upload.bytes = p.uploadBytes;

      step = "stage";
      await hook("stage");
      await timer.step("stage", `Stage release ${p.releaseId}`, async () => {
        await tops.helper("zwh_deploy.py", ["stage", "--release-dir", rdir, "--wheels-file", releaseJson, "--store", layout.store], { allow: [0], label: "stage" });
        staged = true;
        const files: Array<{ path: string; data: Buffer; kind: "text" }> = [
          { path: `${rdir}/requirements.lock.txt`, data: vb.lockBytes, kind: "text" },
          { path: `${rdir}/manifest.intoto.json`, data: vb.statementBytes, kind: "text" },
        ];
        const env = join(vb.dir, "manifest.dsse.json");
        if (existsSync(env)) files.push({ path: `${rdir}/manifest.dsse.json`, data: readFileSync(env), kind: "text" });
        const sig = join(vb.dir, "manifest.intoto.json.sig");
        if (existsSync(sig)) files.push({ path: `${rdir}/manifest.intoto.json.sig`, data: readFileSync(sig), kind: "text" });
        await tops.writeTagged(files);
      });

      step = "verify-target";
      await hook("verify-target");
      await timer.step("verify-target", "Verify the signature and the wheels on the target", async () => {
        // DSSE and/or SSHSIG against the target's own anchors (target-signature.ts), plus the re-hash.
        const sshsig = join(vb.dir, "manifest.intoto.json.sig");
        const [hres] = await verifySignatureOnTarget(tops, {
          rdir, channel: vb.predicate.channel, localTrust: trust, scratchPrefix: `${layout.stagingBase}/${runId}`,
          hasEnvelope: existsSync(join(vb.dir, "manifest.dsse.json")), sshsigText: existsSync(sshsig) ? readFileSync(sshsig, "latin1") : undefined,
          dsseKeyIds: new Set(vb.signers.filter((x) => x.kind === "dsse").map((x) => x.keyid)),
        }, [
          tops.zwhTarget("hash", "--expect", `${rdir}/manifest.intoto.json=${vb.statementDigest.replace(/^sha256:/, "")}:${vb.statementBytes.length}`,
            "--expect", `${rdir}/requirements.lock.txt=${sha256(vb.lockBytes)}:${vb.lockBytes.length}`, "--expect-file", releaseJson),
        ]);
        const hv = parseJsonLine(hres.stdout);
        if (hres.code !== 0) {
          const mism = ((hv?.mismatches ?? []) as Array<Record<string, unknown>>);
          const bad = mism.map((m) => String(m.path));
          // Quarantine corrupt store entries so a re-run uploads them again.
          const storeBad = await removeFromStore(tops, bad);
          throw refusal("ZWH-DEPLOY-STORE-CORRUPT", `${mism.length || "some"} file(s) on ${host} do not match the signed manifest: ${bad.slice(0, 5).join(", ")}`, {
            subject: host,
            details: { mismatches: mism, errors: hv?.errors, removedFromStore: storeBad },
            hint: "Corrupt store entries were removed; re-run the deploy to upload them again.",
          });
        }
      });

      step = "install";
      await hook("install");
      await timer.step("install", "Create the venv and install offline (hardened pip)", async (u) => {
        await session!.mkdirp(layout.home, 0o700);
        u("python -m venv --without-pip");
        pipArgv = await createVenv(tops, `${rdir}/venv`);
        u(`pip install --no-index --require-hashes (${pipArgv.includes("--python") ? "the interpreter's pip --python venv" : "the venv's pip"})`);
        const hb = setInterval(() => {
          void tops.helper("zwh_target.py", ["lock", "heartbeat", "--root", root, "--lock-id", lk.lockId, "--ttl", String(ttl)], { label: "lock heartbeat" }).catch(() => undefined);
        }, o.heartbeatMs ?? Math.max(1000, (ttl * 1000) / 3));
        try {
          const r = await tops.session.exec([
            ...pipArgv, "install", "--isolated", "--no-index", "--find-links", `${rdir}/wheels`,
            "--only-binary=:all:", "--require-hashes", "--disable-pip-version-check", "--no-cache-dir", "--no-input",
            "--report", `${rdir}/install-report.json`, "-r", `${rdir}/requirements.lock.txt`,
          ], { label: "pip install", env: pipEnv(layout) });
          if (r.code !== 0) {
            const hashErr = /DO NOT MATCH THE HASHES|Hashes are required/.test(r.stderr + r.stdout);
            if (hashErr) await quarantineCorrupt(tops, releaseJson);
            const tail = (r.stderr || r.stdout).trim().split("\n").slice(-8).join("\n");
            const mk = hashErr ? refusal : (c: string, m: string, x: object) => new ZwhError(c, m, x);
            throw mk(hashErr ? "ZWH-DEPLOY-PIP-HASH" : "ZWH-DEPLOY-PIP-INSTALL", `pip install failed on ${host} (exit ${r.code})${hashErr ? ": a wheel does not match its hash in the signed lock" : ""}:\n${tail}`, {
              subject: rdir,
              details: { exitCode: r.code, stderr: r.stderr.slice(-4000) },
              hint: hashErr ? "A wheel was changed on the target after upload. Nothing was activated; re-run the deploy." : "Nothing was activated. See pip's message above.",
            });
          }
        } finally {
          clearInterval(hb);
        }
      });

      step = "verify-install";
      await hook("verify-install");
      installed = await timer.step("verify-install", "Verify the installed set (pip check, pip inspect, RECORD" + (o.smoke ? ", smoke" : "") + ")", async () =>
        verifyInstalled(tops, rdir, vb, { smoke: o.smoke, bootstrapAllowed: BOOTSTRAP_PACKAGES, pip: pipArgv }),
      );
      result.installed = installed.installed;
      result.bootstrap = installed.bootstrap;

      // The receipt is written last: its "complete" marks an intact release (re-activation, noop).
      const receipt = {
        formatVersion: 1, complete: true, releaseId: p.releaseId, bundleId: vb.predicate.bundleId, channel: vb.predicate.channel,
        sequence: vb.predicate.sequence, statementDigest: vb.statementDigest, signers: vb.signers, runId, createdAt: new Date().toISOString(),
        deployedBy: { user: localUser(), zosUser: o.spec.user, controllerHost: hostname(), cliVersion: cliVersion() },
        python: { path: python, version: facts.probe.python.version, fingerprint: obs.raw.python },
        installed: installed.installed, bootstrap: installed.bootstrap, wheels: wheels.map((w) => ({ filename: w.filename, sha256: w.sha256, size: w.size })),
        checks: installed.checks,
      };
      await tops.writeTagged([{ path: `${rdir}/receipt.json`, data: JSON.stringify(receipt, null, 2) + "\n", kind: "text" }]);
    } else {
      // activate: an intact existing release, re-checked before the switch.
      step = "verify-install";
      await hook("verify-install");
      await timer.step("verify-install", `Re-check release ${p.releaseId}`, async () => {
        await inspectRelease(tops, p.releaseId);
      });
      const rec = obs.raw.releases.find((x) => x.id === p.releaseId)?.receipt;
      result.installed = rec?.installed ?? [];
      result.bootstrap = rec?.bootstrap ?? [];
    }

    step = "activate";
    await hook("activate");
    const act = await timer.step("activate", `Activate ${p.releaseId}`, () => activateRelease(tops, p.releaseId, obs.raw.current.target, "ZWH-DEPLOY-ACTIVATE"));
    result.changed = true;
    result.current = p.releaseId;
    result.previous = (act.previous_release as string | null) ?? state.current;

    step = "prune";
    const pr = await timer.step("prune", `Prune, keep ${keep}; record on the target`, async () => {
      const res = await tops.batch([
        tops.zwhTarget("prune", "--root", root, "--keep", String(keep)),
        tops.auditArgv({ event: "deploy", ok: true, run_id: runId, release: p.releaseId, previous: result.previous, bundle: vb.predicate.bundleId, bundle_digest: vb.statementDigest, channel: vb.predicate.channel, sequence: vb.predicate.sequence, user: localUser(), zos_user: o.spec.user, controller_host: hostname(), uploaded_bytes: result.upload.bytes }),
        tops.unlockArgv(lk.lockId),
        ["rm", "-rf", layout.stagingBase],
      ], { label: "prune + audit + unlock" });
      lock = undefined;
      const pj = parseJsonLine(res[0].stdout) ?? {};
      if (res[0].code !== 0) warnings.push(`prune reported errors: ${JSON.stringify(pj.errors ?? pj.error ?? res[0].stdout.slice(-300))}`);
      if (res[2].code !== 0) warnings.push(`releasing the lock failed: ${res[2].stdout.slice(-300)}`);
      return (pj.removed ?? []) as string[];
    });
    result.pruned = pr;

    step = "record";
    if (store) {
      await timer.step("record", "Record in the inventory", async () => {
        await recordHostFacts(store, o.spec, facts.probe);
        await recordBundle(store, vb);
        let rowId: number | undefined;
        try {
          rowId = await store.recordRelease({ host, root, releaseId: p.releaseId, path: rdir, bundleDigest: vb.statementDigest, runId });
        } catch (e) {
          // Re-activation of a release the inventory already knows (ids are never reused).
          if (!(e instanceof ZwhError && e.code === "ZWH-STORE-CONFLICT")) throw e;
        }
        const sha = new Map(vb.wheels.map((w) => [w.name, w.sha256]));
        if (rowId !== undefined) {
          await store.recordInstalled(rowId, [
            ...result.installed.map((x) => ({ name: x.name, version: x.version, wheelSha256: x.sha256 ?? sha.get(x.name), installer: "pip" })),
          ]);
        }
        await store.setActiveRelease(host, root, p.releaseId, runId);
        for (const id of pr) {
          try {
            await store.setReleaseState(host, root, id, "pruned", runId);
          } catch {
            /* a release this inventory never saw */
          }
        }
        acceptBundleSequence(store, vb);
        await finishRecord(store, runId, host, o, { status: "changed", exitCode: 0 }, { status: "changed", releaseId: p.releaseId });
      });
    }
    result.durationMs = Date.now() - t0;
    return result;
  } catch (e) {
    const err = inStep(step, e);
    let lockReleased = !lock;
    if (ops && lock) {
      lockReleased = await cleanupAfterFailure(ops, o.spec, o.env, lock, {
        event: "deploy", ok: false, run_id: runId, release: releaseId ?? null, step, error: err.code, message: err.message.slice(0, 500), user: localUser(),
      });
    }
    if (!lockReleased && lock) {
      (err.details as Record<string, unknown>).lockLeft = { lockId: lock.lockId, owner: lock.owner };
    }
    if (store) {
      try {
        if (staged && releaseId && verified) await recordBundle(store, verified);
        if (staged && releaseId) await store.recordRelease({ host, root, releaseId, path: releaseDir(layout, releaseId), bundleDigest: verified?.statementDigest, state: "failed", runId });
      } catch {
        /* keep the original error */
      }
      await finishRecord(store, runId, host, o, { status: err.exitCode === 3 ? "refused" : "failed", exitCode: err.exitCode || 1, errorCode: err.code, errorText: err.message, failedStep: step }, { status: err.exitCode === 3 ? "refused" : "failed", releaseId, errorCode: err.code, errorText: err.message, failedStep: step }).catch(() => undefined);
    }
    if (!lockReleased && lock) {
      throw new ZwhError(err.code, err.message, {
        subject: err.subject, exitCode: err.exitCode, transient: err.transient, details: err.details, cause: err,
        hint: `${err.hint ? err.hint + " " : ""}The deployment lock ${lock.lockId} could not be released (connection lost). Once you know this run is gone: zwh lock break --lock-id ${lock.lockId} (same target options and --root).`,
      });
    }
    throw err;
  } finally {
    await session?.close().catch(() => undefined);
  }
}

/**
 * ONE exec before the upload (we hold the lock): remove leftovers of interrupted runs, create the
 * staging dir, create every file empty (mode 0644) and tag it (chtag -b for wheels, chtag -t -c
 * ISO8859-1 for text) — what `rm` exec + SFTP mkdirp + TargetOps.precreate did in two execs and
 * ~N+8 SFTP round trips. No byte is written before the tag is set; the ls -T after the writes checks it.
 */
async function prepareStaging(ops: TargetOps, staging: string, files: Array<{ path: string; kind: "text" | "binary" }>): Promise<void> {
  const all = files.map((f) => f.path);
  const cmds: string[][] = [["rm", "-rf", ops.layout.stagingBase], ["mkdir", "-p", "-m", "755", staging]];
  for (const c of chunks(all, 200)) cmds.push(["touch", ...c], ["chmod", "644", ...c]);
  const firstTag = cmds.length;
  cmds.push(...chtagCommands(files));
  const res = await ops.batch(cmds, { label: "prepare staging + chtag" });
  const bad = res.findIndex((r, i) => i > 0 && r.code !== 0);
  if (bad < 0) return;
  if (bad < firstTag) {
    throw new ZwhError("ZWH-REMOTE-COMMAND", `creating the staging files failed on ${ops.host} (${cmds[bad][0]} exit ${res[bad].code}): ${res[bad].stdout.trim().slice(-300)}`, {
      subject: staging, details: { command: cmds[bad].slice(0, 4), exitCode: res[bad].code },
    });
  }
  throw ops.chtagFailed(cmds[bad], res[bad].code);
}

/**
 * Create the release venv WITHOUT pip (no ensurepip: that was ~3 s of every install on the
 * simulator, unpacking and byte-compiling pip into each release) and pick the pip to run:
 * - the target interpreter's own pip when it is >= 22.3: `<python> -m pip --python <venv>/bin/python`
 *   (pip re-runs itself under the venv's interpreter, so it installs into, checks and inspects
 *   the venv); the installed set is then exactly the manifest, no bootstrap packages;
 * - else (no pip, older pip, unparsable version): bootstrap pip into the venv as `python -m venv`
 *   would (`<venv>/bin/python -m ensurepip --upgrade --default-pip`) and use `<venv>/bin/python -m pip`.
 * One exec for venv + version probe (+ one for the fallback). Returns pip's argv prefix.
 */
export async function createVenv(ops: TargetOps, venv: string): Promise<string[]> {
  const venvArgv = [ops.python, "-m", "venv", "--without-pip", venv];
  // The version probe runs the way pip will run (same env, `python -m`-style sys.path).
  const res = await ops.batch([venvArgv, [ops.python, "-c", "import pip; print('zwh-pip-version=' + pip.__version__)"]], {
    label: "python -m venv --without-pip + pip version", env: pipEnv(ops.layout),
  });
  // A batch keeps stdout only: on failure run venv again alone for its exit code and stderr.
  if (res[0].code !== 0) await ops.session.execChecked(venvArgv, { label: "python -m venv --without-pip" });
  const vpy = `${venv}/bin/python`;
  const m = res[1].code === 0 ? /zwh-pip-version=(\d+)\.(\d+)/.exec(res[1].stdout) : null;
  const [maj, min] = PIP_PYTHON_OPTION_MIN;
  if (m && (Number(m[1]) > maj || (Number(m[1]) === maj && Number(m[2]) >= min))) return [ops.python, "-m", "pip", "--python", vpy];
  await ops.session.execChecked([vpy, "-m", "ensurepip", "--upgrade", "--default-pip"], { label: "python -m ensurepip (venv)" });
  return [vpy, "-m", "pip"];
}

/** Re-hash the release's store wheels and remove the ones that no longer match, so a re-run re-uploads them. */
async function quarantineCorrupt(ops: TargetOps, releaseJson: string): Promise<string[]> {
  try {
    const r = await ops.helper("zwh_target.py", ["hash", "--expect-file", releaseJson], { label: "re-hash store", allow: [0, 1, 3] });
    return await removeFromStore(ops, ((r.json.mismatches ?? []) as Array<Record<string, unknown>>).map((m) => String(m.path)));
  } catch {
    return [];
  }
}

/** Remove the paths that lie in the wheel store (best effort); returns them. */
async function removeFromStore(ops: TargetOps, paths: string[]): Promise<string[]> {
  const inStore = paths.filter((x) => x.startsWith(`${ops.layout.store}/`));
  if (inStore.length) await ops.batch([["rm", "-f", ...inStore]], { label: "quarantine" }).catch(() => undefined);
  return inStore;
}

export function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

/**
 * Switch `current` to `releaseId` (zwh_target.py activate: previous := current, rename(2)), only
 * if `current` still points where it did when observed. Refused with the helper's code, else `fallbackCode`.
 */
export async function activateRelease(ops: TargetOps, releaseId: string, expectCurrent: string | null, fallbackCode: string): Promise<Record<string, unknown>> {
  const r = await ops.helper("zwh_target.py", ["activate", "--root", ops.layout.root, "--release", releaseId, "--expect-current", expectCurrent ?? "none"], { label: "activate" });
  if (r.code !== 0) {
    const err = (r.json.error ?? {}) as Record<string, unknown>;
    throw refusal(String(err.code ?? fallbackCode), `activation on ${hostLabel(ops.session.spec)} was refused: ${String(err.message ?? "")}`, { subject: ops.layout.root, details: { helper: r.json } });
  }
  return r.json;
}

export async function inspectRelease(ops: TargetOps, releaseId: string): Promise<Record<string, unknown>> {
  const r = await ops.helper("zwh_target.py", ["inspect-release", "--root", ops.layout.root, "--release", releaseId, "--verify-record"], { label: "inspect-release" });
  if (r.code !== 0) {
    const checks = ((r.json.checks ?? []) as Array<Record<string, unknown>>).filter((c) => !c.ok);
    const rec = r.json.record as Record<string, unknown> | null;
    const findings = ((rec?.findings ?? []) as Array<Record<string, unknown>>).slice(0, 5).map((f) => `${String(f.kind)} ${String(f.path)}`);
    throw refusal("ZWH-RELEASE-BROKEN", `release ${releaseId} on ${ops.host} is not intact: ${[...checks.map((c) => `${String(c.name)}${c.detail ? ` (${String(c.detail)})` : ""}`), ...findings].join("; ")}`, {
      subject: releaseId,
      details: { checks: r.json.checks, record: rec },
      hint: "Deploy the bundle again to rebuild it, or choose another release.",
    });
  }
  return r.json;
}

async function recordHostFacts(store: InventoryStore, spec: TargetSpec, probe: { uname?: { sysname?: string }; python?: { path?: string; version?: string }; compatibleTags?: string[] }): Promise<void> {
  await store.upsertHost({
    name: hostLabel(spec), address: spec.host, port: spec.port, sshUser: spec.user,
    sysname: probe.uname?.sysname, pythonPath: spec.pythonPath, pythonVersion: probe.python?.version, platformTags: (probe.compatibleTags ?? []).slice(0, 50),
  });
}

async function finishRecord(
  store: InventoryStore, runId: string, host: string, o: CommonOptions,
  run: { status: "ok" | "changed" | "failed" | "refused"; exitCode: number; errorCode?: string; errorText?: string; failedStep?: string },
  hostRes: { status: "ok" | "changed" | "failed" | "refused"; releaseId?: string; errorCode?: string; errorText?: string; failedStep?: string } | undefined,
): Promise<void> {
  if (hostRes) {
    if (!(await store.getHost(host))) await store.upsertHost({ name: host, address: o.spec.host, port: o.spec.port, sshUser: o.spec.user });
    await store.recordRunHost(runId, host, hostRes);
  }
  await store.finishRun(runId, run);
}

/** "sha256:<hex>" of the bundle's manifest.intoto.json, or undefined when it cannot be read. */
function bundleStatementDigest(bundleDir: string): string | undefined {
  try {
    return statementDigest(readFileSync(join(bundleDir, "manifest.intoto.json")));
  } catch {
    return undefined;
  }
}
