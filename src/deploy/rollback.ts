/** `rollback`: back to the previous release (or --release) after checking it is intact; a plan like deploy's. */
import { hostname } from "os";
import { planRollback, type RollbackPlan } from "../core/plan-rollback";
import type { Progress } from "../core/progress";
import { ZwhError, refusal, toZwhError } from "../core/errors";
import { hostLabel } from "../remote/target";
import { withTarget } from "./connect";
import { checkReleaseId, checkRoot, layoutFor, releaseDir } from "./layout";
import { acquireLock, checkLockTtl, lockOwner, type LockHandle } from "./lock";
import { observeTarget, observedNodename } from "./observe";
import { prepareReadOnly } from "./read-only";
import { RunRecorder } from "./record";
import { activateRelease, inspectRelease } from "./release";
import { localUser, type TargetOps } from "./target-ops";
import type { CommonOptions } from "./types";

export interface RollbackResult {
  formatVersion: 1;
  runId: string;
  host: string;
  root: string;
  from: string | null;
  to: string;
  changed: boolean;
  /** Set when the release rolled back to carries an older statement than the target accepted (recorded as such); null on a dry run (the target says so only when it activates). */
  downgrade: { channel: string; accepted: number; offered: number } | null;
  /** --dry-run: the plan was computed and printed, nothing on the target changed (changed is false). */
  dryRun: boolean;
  /** What the rollback runs (or, on a dry run, would run): lock, inspect, activate, record. */
  plan: RollbackPlan;
  durationMs: number;
}

interface RollbackApply {
  ops: TargetOps;
  plan: RollbackPlan;
  /** `current`'s link target when observed: activation is refused if it moved since. */
  expectCurrent: string | null;
  runId: string;
  zosUser: string;
  lockTtl: number;
  progress: Progress;
  /** The step running (for the audit line and the failed run). */
  at: { step: string };
}

/**
 * Run a rollback plan's steps over one open session, under the lock; audit + unlock always.
 * Returns the downgrade when the release returned to carries an older sequence than the target
 * accepted: a rollback is a deliberate downgrade (activate --allow-downgrade), said so everywhere.
 */
async function applyRollbackPlan(a: RollbackApply): Promise<RollbackResult["downgrade"]> {
  const { ops, plan } = a;
  const to = plan.to!;
  let lock: LockHandle | undefined;
  let downgrade: RollbackResult["downgrade"] = null;
  try {
    for (const s of plan.steps) {
      if (s.id === "record") continue; // the inventory is written by the caller, after the session
      a.at.step = s.id;
      if (s.id === "lock") lock = await a.progress.step(s.title, () => acquireLock(ops, lockOwner("rollback", a.runId, a.zosUser, { release: to, message: `rollback to ${to}` }), a.lockTtl));
      else if (s.id === "inspect") await a.progress.step(s.title, () => inspectRelease(ops, to));
      else if (s.id === "activate") {
        const held = lock!;
        const act = await a.progress.step(s.title, () => activateRelease(ops, to, a.expectCurrent, "ZWH-ROLLBACK-ACTIVATE", { lockId: held.lockId, allowDowngrade: true }));
        const sq = act.sequence as { status?: string; channel?: string; offered?: number; accepted?: { sequence?: number } | null } | null;
        if (sq?.status === "downgrade") downgrade = { channel: String(sq.channel), accepted: Number(sq.accepted?.sequence), offered: Number(sq.offered) };
      }
      else throw new ZwhError("ZWH-INTERNAL", `the rollback plan has a step apply does not know: ${s.id}`);
    }
  } finally {
    if (lock) {
      await ops.batch([
        ops.auditArgv({ event: "rollback", run_id: a.runId, from: plan.from, to, step: a.at.step, downgrade, allow_downgrade: true, user: localUser(), zos_user: a.zosUser, controller_host: hostname() }),
        ops.unlockArgv(lock.lockId),
      ], { label: "audit + unlock" }).catch(() => undefined);
    }
  }
  return downgrade;
}

export interface RollbackHostOptions {
  spec: CommonOptions["spec"];
  root: string;
  progress: Progress;
  to?: string;
  lockTtlSeconds?: number;
  /** Observe (read-only) and plan; take no lock, write nothing, record no host result. */
  dryRun?: boolean;
}

/**
 * Roll one host back over an open session, inside a run someone else started (a fleet rolls
 * many hosts back in one run): observe, plan, apply, record the host's result. Throws the step's
 * error with details.step.
 */
export async function rollbackHost(ops: TargetOps, run: RunRecorder, o: RollbackHostOptions): Promise<Omit<RollbackResult, "formatVersion" | "runId" | "durationMs">> {
  const lockTtl = checkLockTtl(o.lockTtlSeconds);
  const root = checkRoot(o.root);
  const at = { step: "observe" };
  let host = hostLabel(o.spec);
  try {
    // A dry run observes read-only: a missing root is ZWH-ROOT-NOT-FOUND and missing helpers run
    // from a per-run /tmp directory (read-only.ts), so nothing is written under the root.
    const done = o.dryRun ? await prepareReadOnly(ops) : undefined;
    const obs = await o.progress.step("Observe the target", () => observeTarget(ops, [], { readOnly: !!o.dryRun })).finally(() => done?.());
    const raw = obs.raw;
    host = await run.hostName(o.spec, observedNodename(raw));
    const plan = planRollback(
      { current: raw.current.release, previous: raw.previous.release, releases: raw.releases.map((r) => r.id) },
      { host, root: ops.layout.root },
      o.to !== undefined ? checkReleaseId(o.to) : undefined,
    );
    const b = plan.blockers[0];
    if (b) throw refusal(b.code, b.message, { subject: b.code === "ZWH-ROLLBACK-NO-PREVIOUS" ? ops.layout.root : plan.to ?? ops.layout.root, hint: b.hint });
    if (o.dryRun) return { host, root, from: plan.from, to: plan.to!, changed: false, downgrade: null, dryRun: true, plan };
    let res: { from: string | null; to: string; changed: boolean; downgrade: RollbackResult["downgrade"] };
    if (plan.action === "noop") res = { from: plan.from, to: plan.to!, changed: false, downgrade: null };
    else {
      const downgrade = await applyRollbackPlan({ ops, plan, expectCurrent: raw.current.target, runId: run.runId, zosUser: o.spec.user, lockTtl, progress: o.progress, at });
      res = { from: plan.from, to: plan.to!, changed: true, downgrade };
    }
    at.step = "record";
    if (run.recording) {
      await o.progress.step("Record in the inventory", async () => {
        await run.ensureHost(host, o.spec);
        if (res.changed) await run.activated(host, root, res.to, releaseDir(layoutFor(root), res.to));
        if (res.downgrade) await run.event("rollback.downgrade", host, { root, from: res.from, to: res.to, ...res.downgrade, allowDowngrade: true });
        await run.hostResult(host, o.spec, { status: res.changed ? "changed" : "ok", releaseId: res.to, root });
      });
    }
    return { host, root, ...res, dryRun: false, plan };
  } catch (e) {
    const z = toZwhError(e);
    throw z.details?.step ? z : new ZwhError(z.code, z.message, { subject: z.subject, hint: z.hint, exitCode: z.exitCode, transient: z.transient, cause: z, details: { ...(z.details ?? {}), step: at.step } });
  }
}

export async function rollback(o: CommonOptions & { to?: string; lockTtlSeconds?: number; dryRun?: boolean }): Promise<RollbackResult> {
  const t0 = Date.now();
  checkLockTtl(o.lockTtlSeconds);
  const run = await RunRecorder.start(o.store, "rollback", o.argv);
  let step = "connect";
  try {
    // The normalised root (no trailing slash...), as deploy records it in the inventory.
    checkRoot(o.root);
    const res = await withTarget(o, async (ops) => {
      step = "observe";
      return rollbackHost(ops, run, o);
    });
    await run.finish({ status: res.changed ? "changed" : "ok", exitCode: 0 });
    return { formatVersion: 1, runId: run.runId, ...res, durationMs: Date.now() - t0 };
  } catch (e) {
    const err = toZwhError(e);
    await run.finishFailed(err, String(err.details?.step ?? step));
    throw err;
  }
}
