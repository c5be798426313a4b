/**
 * The per-host deploy pipeline: observe → verify the bundle against the target → plan → apply →
 * record, over ONE open session, inside a run someone else started. `deploy` (deploy.ts) runs it
 * for one host; a fleet runs it for many hosts inside one run.
 */
import { loadAndVerifyBundle, type FilesVerified, type VerifiedBundle } from "../bundle/verify";
import { bundleStatementDigest, peekWheels } from "../bundle/peek";
import { targetFromProbe } from "../bundle/target";
import type { Trust } from "../bundle/signing/trust";
import { describeOwner, planDeploy, type DeployPlan } from "../core/plan";
import { ZwhError, refusal, toZwhError } from "../core/errors";
import { DEFAULT_PYTHON, hostLabel } from "../remote/target";
import type { Transport } from "../remote/transport";
import { StepTimer, applyDeployPlan, type ApplyContext } from "./apply";
import { checkRoot, layoutFor, releaseDir, releaseIdFor } from "./layout";
import { checkLockTtl, releaseAfterFailure } from "./lock";
import { observeTarget, targetFacts, type Observation } from "./observe";
import type { EarlyVerify } from "./early-verify";
import { wheelsOf, type RunRecorder } from "./record";
import { TargetOps, localUser } from "./target-ops";
import { deployView, isDowngrade, refreshCache, targetSequences, type TargetSequences } from "./sequence-guard";
import { DEFAULT_KEEP, DEPLOY_FORMAT_VERSION, type DeployOptions, type DeployResult, type DeployStepId } from "./types";

export interface DeployHostOptions extends Omit<DeployOptions, "store" | "argv" | "trustPath" | "warn"> {
  /** The trust anchors the bundle is verified against (loaded once per run). */
  trust: Trust;
  /** A fresh session when this one is lost and a lock must still be released. */
  reopen?: () => Promise<Transport>;
  /** Step timings (shared with the caller's connect step). */
  timer?: StepTimer;
  /** When the caller started (durationMs counts from here). */
  startedAt?: number;
  /** The wheels were verified once for the whole run (a fleet): re-check only what depends on this target. */
  filesVerified?: FilesVerified;
  /** The wheels are being verified while this host is connected and observed (early-verify.ts). */
  earlyVerify?: EarlyVerify;
}

/** Wrap an error with the step it happened in (kept in details.step). */
export function inStep(step: string, e: unknown): ZwhError {
  const z = toZwhError(e);
  if (z.details?.step) return z;
  return new ZwhError(z.code, z.message, {
    subject: z.subject, hint: z.hint, exitCode: z.exitCode, transient: z.transient, cause: z,
    details: { ...(z.details ?? {}), step },
  });
}

/** Check --keep: an integer >= 1. */
export function checkKeep(v: number | undefined): number {
  const keep = v ?? DEFAULT_KEEP;
  if (!Number.isInteger(keep) || keep < 1) throw new ZwhError("ZWH-ARGS-INVALID", `--keep must be an integer >= 1 (got ${String(v)})`, { subject: "keep" });
  return keep;
}

/**
 * Deploy to one host over the open session `t`, inside `run`. Records the host's outcome in the
 * run (not the run's end). Throws the step's error (details.step), after releasing a lock it took.
 */
export async function deployHost(t: Transport, run: RunRecorder, o: DeployHostOptions): Promise<DeployResult> {
  const t0 = o.startedAt ?? Date.now();
  const root = checkRoot(o.root);
  const layout = layoutFor(root);
  const python = o.spec.pythonPath ?? DEFAULT_PYTHON;
  const keep = checkKeep(o.keep);
  const lockTtl = checkLockTtl(o.lockTtlSeconds);
  // The logical name (--name, profile) or, until the target reports its nodename, the address.
  let host = hostLabel(o.spec);
  const runId = run.runId;
  const warnings: string[] = [];
  const timer = o.timer ?? new StepTimer(o.progress);
  const ops = new TargetOps(t, layout, python);
  const state: ApplyContext["state"] = { step: "observe", staged: false };
  let verified: VerifiedBundle | undefined;
  let releaseId: string | undefined;
  try {
    const peek = peekWheels(o.bundleDir);
    // The target's facts (probe) belong to observing it: timed in this step, cached on the target
    // per interpreter fingerprint, so only a root's first deploy (or a changed Python) probes.
    const { obs, facts } = await timer.step("observe", "Observe the target", async (u) => {
      const ob: Observation = await observeTarget(ops, peek);
      u(`current ${ob.state.current ?? "none"}, ${ob.raw.store.present.length}/${peek.length} wheels in the store, lock ${ob.state.lock.held ? "HELD" : "free"}`);
      const f = await targetFacts(ops, ob);
      if (!f.cached) u("target facts probed (uname, Python, pip, tags, tagging) and cached on the target");
      return { obs: ob, facts: f };
    });
    host = await run.hostName(o.spec, obs.raw.nodename ?? facts.probe.uname?.nodename);
    // The target's accepted sequences win; the workstation cache learns them (sequence-guard.ts).
    const seqs: TargetSequences = targetSequences(obs.raw as { sequences?: TargetSequences }, host, root);
    refreshCache(o.sequenceCache, host, root, seqs);
    const cacheView = o.sequenceCache && o.trust.rootId ? o.sequenceCache.forTrustRoot(o.trust.rootId) : undefined;
    state.step = "verify-bundle";
    verified = await timer.step("verify-bundle", "Verify the bundle locally against the target", async (u) => {
      // Unchanged re-deploy: the current release was built and verified from this exact signed
      // statement, so only the statement is re-checked (signatures, expiry, sequence).
      const digest = bundleStatementDigest(o.bundleDir);
      const cur = obs.state.releases.find((r) => r.id === obs.state.current);
      const statementOnly = !o.repair && !!digest && !!cur && cur.complete && cur.statementDigest === digest;
      if (statementOnly) o.earlyVerify?.stop();
      const early = statementOnly || o.filesVerified ? undefined : await o.earlyVerify?.result;
      const v = await loadAndVerifyBundle(o.bundleDir, { trust: o.trust, targetEnv: targetFromProbe(facts.probe), sequenceStore: o.allowDowngrade ? undefined : deployView(host, root, seqs, cacheView), now: o.now, statementOnly, vulnGate: o.vulnGate, filesVerified: o.filesVerified ?? early });
      u(`${v.predicate.bundleId} seq ${v.predicate.sequence}, ${v.wheels.length} wheels, signed by ${v.signers.map((s) => s.name).join(", ")}` +
        (v.scope === "statement" ? " (already current: statement re-checked, wheels not re-read)" : o.filesVerified ? " (wheels verified once for this run)" : early ? " (wheels verified while connecting)" : ""));
      return v;
    });
    for (const f of verified.findings) warnings.push(`${f.code}: ${f.message}`);
    const vb = verified;
    const dg = isDowngrade(seqs, cacheView, vb.predicate.channel, vb.predicate.sequence, vb.statementDigest);
    releaseId = releaseIdFor(vb.predicate.bundleId, vb.statementDigest);
    state.step = "plan";
    const wheels = wheelsOf(vb);
    // The early store query used the unverified list; re-ask only if the verified list differs.
    let observed = obs;
    const peekSet = new Set(peek.map((w) => `${w.sha256}:${w.size}:${w.filename}`));
    if (wheels.some((w) => !peekSet.has(`${w.sha256}:${w.size}:${w.filename}`))) observed = { ...obs, state: (await observeTarget(ops, wheels)).state };
    const st = observed.state;
    const plan: DeployPlan = planDeploy(
      { bundleId: vb.predicate.bundleId, channel: vb.predicate.channel, sequence: vb.predicate.sequence, statementDigest: vb.statementDigest, releaseId, wheels },
      st,
      { keep, smoke: o.smoke, repair: o.repair === true },
    );
    releaseId = plan.releaseId;
    const result: DeployResult = {
      formatVersion: DEPLOY_FORMAT_VERSION, runId, host, root,
      bundle: { id: vb.predicate.bundleId, channel: vb.predicate.channel, sequence: vb.predicate.sequence, statementDigest: vb.statementDigest, wheels: vb.wheels.length, signers: vb.signers.map((s) => ({ keyid: s.keyid, name: s.name })), verification: vb.scope },
      releaseId: plan.releaseId, sequence: { trustRoot: seqs.trust_root, accepted: dg.accepted, downgrade: dg.downgrade },
      action: plan.action, changed: false, dryRun: !!o.dryRun, plan,
      current: st.current, previous: st.previous,
      upload: { files: 0, bytes: 0, helperFiles: obs.helpersUploaded, skipped: plan.reuse.length },
      installed: [], bootstrap: [], pruned: [], steps: timer.steps, durationMs: 0, warnings, targetFactsCached: facts.cached,
      roundTrips: t.stats,
    };

    if (o.dryRun) {
      result.durationMs = Date.now() - t0;
      return result;
    }
    const blocker = plan.blockers.find((b) => b.code !== "ZWH-LOCK-HELD");
    if (blocker && plan.action !== "noop") throw refusal(blocker.code, `${host}: ${blocker.message}`, { subject: root, hint: blocker.hint });

    if (plan.action === "noop") {
      if (st.lock.held) warnings.push(`the root is locked by ${describeOwner(st.lock.owner ?? {})}; nothing was changed`);
      const rec = obs.raw.releases.find((x) => x.id === plan.releaseId)?.receipt;
      result.installed = rec?.installed ?? [];
      result.bootstrap = rec?.bootstrap ?? [];
      if (run.recording) {
        await run.hostFacts(host, o.spec, facts.probe);
        await run.hostResult(host, o.spec, { status: "ok", releaseId: plan.releaseId, root });
      }
      result.durationMs = Date.now() - t0;
      return result;
    }

    await applyDeployPlan({
      ops, spec: o.spec, runId, plan, vb, wheels, obs: observed, facts, trust: o.trust, keep, smoke: o.smoke, lockTtl,
      heartbeatMs: o.heartbeatMs, hooks: o.hooks, timer, result, state,
      sequence: { allowDowngrade: o.allowDowngrade, downgrade: dg.downgrade, accepted: dg.accepted, cache: o.sequenceCache },
      record: async () => {
        if (!run.recording) return;
        await timer.step("record", "Record in the inventory", async () => {
          await run.hostFacts(host, o.spec, facts.probe);
          await run.deployed(host, root, vb, { releaseId: plan.releaseId, path: releaseDir(layout, plan.releaseId), installed: result.installed, pruned: result.pruned });
          if (dg.downgrade) {
            await run.event("deploy.downgrade", host, { root, release: plan.releaseId, channel: vb.predicate.channel, offered: vb.predicate.sequence, accepted: dg.accepted, trustRoot: seqs.trust_root, allowDowngrade: true });
          }
          await run.hostResult(host, o.spec, { status: "changed", releaseId: plan.releaseId, root });
        });
      },
    });
    result.durationMs = Date.now() - t0;
    return result;
  } catch (e) {
    const step: DeployStepId = state.step;
    const err = inStep(step, e);
    await state.keeper?.stop();
    // A lost lock is someone else's now (or gone): never release it; the audit line still goes.
    const lock = err.code === "ZWH-LOCK-LOST" ? undefined : state.lock;
    let lockReleased = !lock;
    if (lock || err.code === "ZWH-LOCK-LOST") {
      lockReleased = await releaseAfterFailure(ops, o.reopen, lock, {
        event: "deploy", ok: false, run_id: runId, release: releaseId ?? null, step, error: err.code, message: err.message.slice(0, 500), user: localUser(),
      });
    }
    if (!lockReleased && lock) {
      (err.details as Record<string, unknown>).lockLeft = { lockId: lock.lockId, owner: lock.owner };
    }
    if (state.staged && releaseId) await run.failedRelease(host, root, releaseId, releaseDir(layout, releaseId), verified);
    await run.hostFailed(host, o.spec, err, step, releaseId, root).catch(() => undefined);
    if (!lockReleased && lock) {
      throw new ZwhError(err.code, err.message, {
        subject: err.subject, exitCode: err.exitCode, transient: err.transient, details: err.details, cause: err,
        hint: `${err.hint ? err.hint + " " : ""}The deployment lock ${lock.lockId} could not be released (connection lost). Once you know this run is gone: zwh lock break --lock-id ${lock.lockId} (same target options and --root; from another machine, or while the lock is not yet stale, add --force).`,
      });
    }
    throw err;
  }
}
